//! Starting and stopping the real `xray-tui listen --headless` for the daemon tests.
#![allow(dead_code)] // each test crate uses part of it

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port free for both TCP and UDP on loopback.
pub fn free_port() -> u16 {
    loop {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        if std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// Starts `listen --headless --save SAVE` on `127.0.0.1:PORT` and waits until its TCP
/// (sampling) port answers: both sockets are bound by then.
pub fn start(port: u16, save: &Path) -> Child {
    let cmd = Command::new(env!("CARGO_BIN_EXE_xray-tui"));
    start_command(cmd, port, &["--save".as_ref(), save.as_os_str()])
}

/// Starts `cmd` (the binary, with its environment already set) as
/// `listen --headless --bind 127.0.0.1:PORT ARGS...` (with `--no-otlp` unless ARGS set an OTLP
/// address), and waits until both sockets are bound.
pub fn start_command(mut cmd: Command, port: u16, args: &[&std::ffi::OsStr]) -> Child {
    // OTLP's well-known ports only when a test asks for OTLP (on ports of its own).
    let otlp = args
        .iter()
        .any(|a| a.to_str().is_some_and(|a| a.starts_with("--otlp")));
    let child = cmd
        .args(["listen", "--headless", "--bind"])
        .arg(format!("127.0.0.1:{port}"))
        .args(if otlp { None } else { Some("--no-otlp") })
        .args(args)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_for_tcp(port, "listen did not start");
    child
}

/// Waits until something listens on TCP `port` (10 s at most, else panics with `what`).
///
/// A connection to itself does not count: a port from [`free_port`] is in the range the
/// kernel picks clients' ports from, so before the server binds it a probe can be given that
/// very port and "connect" to itself; the server then finds the port taken and the test reads
/// a reset.
pub fn wait_for_tcp(port: u16, what: &str) {
    let t0 = Instant::now();
    loop {
        if let Ok(s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            if s.local_addr().ok() != s.peer_addr().ok() {
                return;
            }
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Stops it with SIGTERM, as a container runtime would; it must exit 0. Returns its stderr.
pub fn stop(child: Child) -> String {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "exit {:?}: {err}", out.status);
    err
}

/// `VmRSS`, `VmHWM` (peak) in KiB and `Threads` of process `pid`, from `/proc/PID/status`
/// (Linux).
pub fn proc_status(pid: u32) -> (u64, u64, u64) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let field = |k: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(k))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{k} in {text}"))
    };
    (field("VmRSS:"), field("VmHWM:"), field("Threads:"))
}
