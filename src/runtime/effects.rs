//! The runtime's half of copy, open and export: the I/O that `App::update` asks for with
//! [`Cmd::Copy`], [`Cmd::OpenUrl`] and
//! [`Cmd::Export`].
//!
//! The clipboard goes through the terminal (OSC 52) rather than a clipboard library: it needs no
//! display server and works over SSH and in most multiplexers, which is where a TUI is often run.
//! Exports reuse the CLI's JSON writers (`report`), so a file written here reads back with
//! `--file` like the output of `query --format json` and `trace --format json`.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::Sender;

use base64::Engine;

use crate::app::share::{Export, ExportData};
use crate::app::toast::Level;
use crate::app::{Cmd, Event};
use crate::engine::export;

/// Carries out a copy (escapes here, on the UI thread: they must not land in the middle of a
/// frame being drawn; `tmux load-buffer` on a thread of its own), an open or an export (on a
/// thread of its own); failures, a copy tmux refused and the export's file come back on `tx`.
/// Other commands are not this module's and are ignored.
pub fn carry_out(cmd: Cmd, tx: &Sender<Event>) {
    match cmd {
        // In tmux, an application's OSC 52 is ignored unless `set-clipboard on`; tmux's own
        // `load-buffer -w` sets its buffer and the outer terminal's clipboard either way. It
        // runs off the UI thread; if it fails, the escapes come back here as `CopyEscape`.
        Cmd::Copy(text) if in_tmux() => {
            let tx = tx.clone();
            std::thread::spawn(move || {
                if tmux_load_buffer(&text, None).is_err() {
                    let _ = tx.send(Event::CopyFallback(text));
                }
            });
        }
        Cmd::Copy(text) | Cmd::CopyEscape(text) => {
            let sequence = if in_tmux() {
                // Older tmux: the plain sequence (`set-clipboard on`) and the wrapped one
                // (`allow-passthrough on`); a terminal that gets both sets the same text twice.
                format!("{}{}", osc52(&text), tmux_passthrough(&osc52(&text)))
            } else {
                osc52(&text)
            };
            if let Err(e) = write_flush(&mut io::stdout(), &sequence) {
                tracing::error!("copy failed: {e}");
                let _ = tx.send(Event::Notice(Level::Error, format!("copy failed: {e}")));
            }
        }
        Cmd::OpenUrl(url) => {
            let tx = tx.clone();
            std::thread::spawn(move || {
                if let Err(e) = open_url(&url) {
                    tracing::warn!("opening {url}: {e}");
                    let _ = tx.send(Event::Notice(
                        Level::Error,
                        format!("{e}; the URL is on the clipboard"),
                    ));
                }
            });
        }
        Cmd::Export(export) => {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let dir = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
                let result = write_export(&export, &dir);
                match &result {
                    Ok(p) => tracing::info!("exported {}", p.display()),
                    Err(e) => tracing::error!("export failed: {e}"),
                }
                let _ = tx.send(Event::Exported(result));
            });
        }
        _ => {}
    }
}

/// Whether this runs inside tmux.
fn in_tmux() -> bool {
    std::env::var_os("TMUX").is_some_and(|v| !v.is_empty())
}

/// The OSC 52 "set clipboard" sequence for `text`: `ESC ] 52 ; c ; <base64> BEL`.
pub fn osc52(text: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\x1b]52;c;{b64}\x07")
}

/// Writes the OSC 52 sequence for `text` to `out` and flushes it.
pub fn copy_to(out: &mut dyn Write, text: &str) -> io::Result<()> {
    write_flush(out, &osc52(text))
}

fn write_flush(out: &mut dyn Write, sequence: &str) -> io::Result<()> {
    out.write_all(sequence.as_bytes())?;
    out.flush()
}

/// `sequence` wrapped for tmux's passthrough (`ESC P tmux; … ESC \`, every ESC inside
/// doubled), which tmux hands to the outer terminal when `allow-passthrough` is on.
pub fn tmux_passthrough(sequence: &str) -> String {
    format!("\x1bPtmux;{}\x1b\\", sequence.replace('\x1b', "\x1b\x1b"))
}

/// Puts `text` in tmux's paste buffer and, through tmux, on the outer terminal's clipboard
/// (`tmux load-buffer -w -`, tmux 3.2 and later); `socket` names a server other than `$TMUX`'s.
fn tmux_load_buffer(text: &str, socket: Option<&Path>) -> io::Result<()> {
    let mut cmd = Command::new("tmux");
    if let Some(s) = socket {
        cmd.arg("-S").arg(s);
    }
    let mut child = cmd
        .args(["load-buffer", "-w", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(text.as_bytes())?;
    }
    let status = child.wait()?;
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!("tmux load-buffer: {status}")))
    }
}

/// Whether a browser can be opened here: macOS, or a graphical session (`DISPLAY` or
/// `WAYLAND_DISPLAY` set). Over plain SSH there is none, and `xdg-open` would start a text
/// browser in the middle of the screen.
pub fn display_available() -> bool {
    let set = |v: &str| std::env::var_os(v).is_some_and(|x| !x.is_empty());
    cfg!(target_os = "macos") || set("DISPLAY") || set("WAYLAND_DISPLAY")
}

/// Opens `url` with the platform's opener, its output discarded (it would draw over the
/// screen); waits for the opener to exit and says why it failed.
pub fn open_url(url: &str) -> Result<(), String> {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let status = Command::new(opener)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run {opener}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{opener} failed ({status})"))
    }
}

/// The export as JSON text: a trace as `batch-get-traces`, summaries as `get-trace-summaries`.
pub fn export_json(data: &ExportData) -> Result<String, String> {
    let text = match data {
        ExportData::Trace(t) => {
            let batch = export::batch_traces(&[t.as_ref()]).map_err(|e| e.to_string())?;
            serde_json::to_string_pretty(&batch).map_err(|e| e.to_string())?
        }
        ExportData::Summaries { data, rows } => {
            let summaries: Vec<_> = rows
                .iter()
                .filter_map(|&i| data.summary(i))
                .map(std::sync::Arc::unwrap_or_clone)
                .collect();
            export::summaries_json(&summaries).map_err(|e| e.to_string())?
        }
    };
    Ok(text + "\n")
}

/// Writes an export into `dir` under its file name, or `name-1.json`, `name-2.json`… when that
/// is taken (an existing file is never overwritten), and returns the path written.
pub fn write_export(export: &Export, dir: &Path) -> Result<PathBuf, String> {
    let text = export_json(&export.data)?;
    write_new(dir, &export.file_name, text.as_bytes()).map_err(|e| {
        format!(
            "cannot write {}: {e}",
            dir.join(&export.file_name).display()
        )
    })
}

/// Creates a file that did not exist (`create_new`, so two exports cannot race for one name).
fn write_new(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<PathBuf> {
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s, format!(".{e}")),
        _ => (name, String::new()),
    };
    for n in 0..1000u32 {
        let candidate = if n == 0 {
            dir.join(name)
        } else {
            dir.join(format!("{stem}-{n}{ext}"))
        };
        match crate::paths::private(OpenOptions::new().write(true).create_new(true))
            .open(&candidate)
        {
            Ok(mut f) => {
                f.write_all(bytes)?;
                f.flush()?;
                return Ok(candidate);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("{name} and 999 numbered variants exist"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_is_esc_bracket_52_base64_bel() {
        assert_eq!(osc52("1-abc"), "\x1b]52;c;MS1hYmM=\x07");
        let mut out = Vec::new();
        copy_to(&mut out, "hi").expect("write");
        assert_eq!(out, b"\x1b]52;c;aGk=\x07");
    }

    #[test]
    fn tmux_passthrough_doubles_every_escape_inside() {
        assert_eq!(
            tmux_passthrough(&osc52("hi")),
            "\x1bPtmux;\x1b\x1b]52;c;aGk=\x07\x1b\\"
        );
    }

    /// Against a real tmux server on a private socket (skipped where tmux is not installed;
    /// `.ci/run` installs it).
    #[test]
    fn copy_in_tmux_lands_in_its_paste_buffer() {
        if Command::new("tmux").arg("-V").output().is_err() {
            eprintln!("tmux not installed: skipped");
            return;
        }
        let sock = std::env::temp_dir().join(format!("xray-tui-tmux-{}", std::process::id()));
        let tmux = |args: &[&str]| {
            Command::new("tmux")
                .arg("-S")
                .arg(&sock)
                .args(args)
                .output()
                .expect("tmux")
        };
        assert!(
            tmux(&["new-session", "-d", "-x", "80", "-y", "24"])
                .status
                .success()
        );
        let copied = tmux_load_buffer("1-5f84c7a1-0123456789abcdef01234567", Some(&sock));
        let shown = tmux(&["show-buffer"]);
        let _ = tmux(&["kill-server"]);
        let _ = std::fs::remove_file(&sock);
        copied.expect("load-buffer");
        assert_eq!(
            String::from_utf8_lossy(&shown.stdout),
            "1-5f84c7a1-0123456789abcdef01234567"
        );
    }

    #[test]
    fn taken_names_get_a_number() {
        let dir = std::env::temp_dir().join(format!("xray-tui-effects-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let a = write_new(&dir, "x.json", b"1").expect("first");
        let b = write_new(&dir, "x.json", b"2").expect("second");
        let c = write_new(&dir, "x.json", b"3").expect("third");
        assert_eq!(a, dir.join("x.json"));
        assert_eq!(b, dir.join("x-1.json"));
        assert_eq!(c, dir.join("x-2.json"));
        assert_eq!(std::fs::read(&a).expect("read"), b"1", "not overwritten");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
