//! A pseudo-terminal session with the real binary: keys go in, the screen is read back
//! through a VT100 parser.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, MasterPty, PtySize, native_pty_system};

/// The binary running in a pseudo-terminal.
pub struct Session {
    pub writer: Box<dyn Write + Send>,
    pub screen: Arc<Mutex<vt100::Parser>>,
    pub raw: Arc<Mutex<Vec<u8>>>,
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
    /// The terminal's controlling side, open for the session's length.
    pub master: Box<dyn MasterPty + Send>,
}

impl Session {
    /// Starts the binary with `args` in a 120x40 terminal.
    pub fn start(args: &[&str]) -> Session {
        Self::start_with(args, &[])
    }

    /// Starts `listen --bind 127.0.0.1:0 --save SAVE` in the app and waits for it to show the
    /// UDP address it listens on, which it returns (`127.0.0.1:PORT`).
    pub fn start_listen(save: &str) -> (Session, String) {
        let s = Session::start(&[
            "listen",
            "--bind",
            "127.0.0.1:0",
            "--no-otlp",
            "--save",
            save,
        ]);
        s.wait_for("Listening for X-Ray segments on udp 127.0.0.1:");
        let screen = s.contents();
        let marker = "AWS_XRAY_DAEMON_ADDRESS=";
        let at = screen.find(marker).expect("the address is shown") + marker.len();
        let addr = screen[at..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
            .collect();
        (s, addr)
    }

    /// Starts the binary with `args` and extra environment variables.
    pub fn start_with(args: &[&str], env: &[(&str, &str)]) -> Session {
        Self::start_program(env!("CARGO_BIN_EXE_xray-tui"), args, env)
    }

    /// Starts `program` (the binary, or a shell that runs it) with `args` and extra
    /// environment variables.
    pub fn start_program(program: &str, args: &[&str], env: &[(&str, &str)]) -> Session {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: 40,
                cols: 120,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pty");
        let mut cmd = CommandBuilder::new(program);
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        let data = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("xray-tui-pty-{}", std::process::id()));
        cmd.env("XRAY_TUI_DATA", &data);
        cmd.env("XRAY_TUI_CACHE", data.join("cache"));
        for (k, v) in env {
            cmd.env(k, v);
        }
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
        Session {
            writer,
            screen,
            raw,
            child,
            master: pty.master,
        }
    }

    /// The process ID of the program started.
    pub fn pid(&self) -> u32 {
        self.child.process_id().expect("a process id")
    }

    /// Sends `signal` (`TERM`, `HUP`, ...) to process `pid` with kill(1).
    pub fn kill(pid: u32, signal: &str) {
        let status = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pid.to_string())
            .status()
            .expect("kill(1) runs");
        assert!(status.success(), "kill -{signal} {pid}: {status}");
    }

    /// The state letter of process `pid` (`R`, `S`, `T` for stopped, ...), from `/proc`.
    pub fn process_state(pid: u32) -> Option<char> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // `pid (comm) state ...`: the name may hold spaces and parentheses.
        let after = &stat[stat.rfind(')')? + 1..];
        after.trim_start().chars().next()
    }

    /// Waits until process `pid` is in state `state` (up to 20 s).
    pub fn wait_state(&self, pid: u32, state: char) {
        self.wait_until(&format!("process {pid} in state {state}"), || {
            Self::process_state(pid) == Some(state)
        });
    }

    /// Polls `ready` until it holds (up to 20 s, for slow CI machines).
    pub fn wait_until(&self, what: &str, mut ready: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if ready() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "waited for {what} in vain; the screen shows:\n{}",
            self.contents()
        );
    }

    /// The terminal's settings as `stty -a` prints them (`-icanon` in raw mode).
    pub fn stty(&self) -> String {
        let tty = self.master.tty_name().expect("the terminal's name");
        let out = std::process::Command::new("stty")
            .arg("-F")
            .arg(&tty)
            .arg("-a")
            .output()
            .expect("stty runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The foreground process group of the terminal: a job a shell started runs as its leader.
    pub fn foreground(&self) -> Option<u32> {
        self.master
            .process_group_leader()
            .and_then(|p| u32::try_from(p).ok())
    }

    /// How many bytes the program has written so far.
    pub fn written(&self) -> usize {
        self.raw.lock().expect("raw").len()
    }

    /// What the program wrote from byte `from` on, as text.
    pub fn written_since(&self, from: usize) -> String {
        let raw = self.raw.lock().expect("raw");
        String::from_utf8_lossy(&raw[from.min(raw.len())..]).into_owned()
    }

    pub fn contents(&self) -> String {
        self.screen.lock().expect("screen").screen().contents()
    }

    /// Waits until the screen shows `text` (up to 20 s, for slow CI machines).
    pub fn wait_for(&self, text: &str) {
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

    pub fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).expect("write");
        self.writer.flush().expect("flush");
    }

    pub fn wait_exit(&mut self) -> portable_pty::ExitStatus {
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
