//! End to end: the real binary in a pseudo-terminal on `--demo`. Keys go in, the screen is read
//! back through a VT100 parser, and quitting must leave the terminal as it was.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

struct Session {
    writer: Box<dyn Write + Send>,
    screen: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Session {
    fn start(args: &[&str]) -> Session {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: 40,
                cols: 120,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_xray-tui"));
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        let data = std::env::temp_dir().join(format!("xray-tui-pty-{}", std::process::id()));
        cmd.env("XRAY_TUI_DATA", data);
        let child = pty.slave.spawn_command(cmd).expect("spawn");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("reader");
        let writer = pty.master.take_writer().expect("writer");
        let screen = Arc::new(Mutex::new(vt100::Parser::new(
            std::num::NonZeroU16::new(40).expect("rows"),
            std::num::NonZeroU16::new(120).expect("cols"),
            0,
        )));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (s, r) = (Arc::clone(&screen), Arc::clone(&raw));
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut p) = s.lock() {
                    p.process(&buf[..n]);
                }
                if let Ok(mut v) = r.lock() {
                    v.extend_from_slice(&buf[..n]);
                }
            }
        });
        // Keep the master alive for the session's length.
        std::mem::forget(pty.master);
        Session {
            writer,
            screen,
            raw,
            child,
        }
    }

    fn contents(&self) -> String {
        self.screen.lock().expect("screen").screen().contents()
    }

    /// Waits until the screen shows `text` (up to 20 s, for slow CI machines).
    fn wait_for(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.contents().contains(text) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "the screen never showed {text:?}; it shows:\n{}",
            self.contents()
        );
    }

    fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).expect("write");
        self.writer.flush().expect("flush");
    }

    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        panic!("the app did not exit; screen:\n{}", self.contents());
    }
}

#[test]
fn demo_session_finds_a_fault_and_quits_cleanly() {
    let mut s = Session::start(&["--demo"]);
    s.wait_for("X-Ray traces");
    s.wait_for("387 traces");
    // The faults, the first one opened, its deepest failing call found.
    s.send("f");
    s.wait_for("show faults");
    s.send("\r");
    s.wait_for("Trace 1-");
    s.send("nnnnnnnn6");
    s.wait_for("Exc");
    // A filter expression from the prompt.
    s.send("q/responsetime > 2\r");
    s.wait_for("/ responsetime > 2");
    s.send("q");
    let status = s.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    let raw = s.raw.lock().expect("raw").clone();
    let text = String::from_utf8_lossy(&raw);
    let enter = text
        .find("\u{1b}[?1049h")
        .expect("entered the alternate screen");
    let leave = text
        .rfind("\u{1b}[?1049l")
        .expect("left the alternate screen");
    assert!(leave > enter);
    assert!(
        text[leave..].contains("\u{1b}[?25h") || text[..leave].rfind("\u{1b}[?25h").is_some(),
        "cursor shown again"
    );
}

#[test]
fn ctrl_c_quits_from_the_prompt() {
    let mut s = Session::start(&["--demo"]);
    s.wait_for("387 traces");
    s.send("/fau");
    s.wait_for("/ fau");
    s.send("\u{3}");
    assert!(s.wait_exit().success());
    let raw = s.raw.lock().expect("raw").clone();
    assert!(String::from_utf8_lossy(&raw).contains("\u{1b}[?1049l"));
}

#[test]
fn without_a_terminal_it_says_so_and_exits_2() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_xray-tui"))
        .arg("--demo")
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("terminal"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
