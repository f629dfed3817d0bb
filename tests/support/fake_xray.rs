//! A local X-Ray API for tests: moto's server with `tests/moto/moto_xray_fixed.py`, one per
//! test, on a free port, killed on drop. Python is `XRAY_FAKE_PYTHON`, else the repo's
//! `.venv/bin/python`, else `python3`. Without Python + moto the tests skip with a message,
//! except under `CI=true`, where that is a failure.

#![allow(dead_code)]

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A running fake X-Ray.
pub struct FakeXray {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    log: PathBuf,
}

fn python() -> Option<String> {
    let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python");
    let candidates = std::env::var("XRAY_FAKE_PYTHON")
        .ok()
        .into_iter()
        .chain([venv.to_owned(), "python3".to_owned()]);
    candidates.into_iter().find(|py| {
        Command::new(py)
            .args(["-c", "import moto.xray, flask, flask_cors"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    })
}

/// A unique temp path.
pub fn temp_path(tag: &str) -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("xray-tui-{tag}-{}-{nanos}", std::process::id()))
}

impl FakeXray {
    /// Starts a server with these extra environment variables (`XRAY_FAKE_*`). `None` means
    /// "skip this test" (the message is printed); under `CI=true` it panics instead.
    pub fn start(env: &[(&str, &str)]) -> Option<FakeXray> {
        let Some(py) = python() else {
            if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0") {
                panic!(
                    "CI=true but no Python with moto: run .ci/run, or pip install -r \
                     tests/moto/requirements.txt"
                );
            }
            eprintln!(
                "skipping: no Python with moto[xray], flask, flask-cors (pip install -r \
                 tests/moto/requirements.txt into .venv)"
            );
            return None;
        };
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/moto/moto_xray_fixed.py");
        let log = temp_path("fake-xray.log");
        // stderr goes to a file, not a pipe: werkzeug logs a line per request and an unread
        // pipe would eventually block the server.
        let file = std::fs::File::create(&log).expect("create the fake's log");
        let mut cmd = Command::new(&py);
        cmd.args([script, "-H", "127.0.0.1", "-p", "0"])
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("clone log handle"))
            .stderr(file);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("spawn the fake X-Ray");
        let mut me = FakeXray {
            child,
            endpoint: String::new(),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        let marker = "Running on http://127.0.0.1:";
        loop {
            let mut s = String::new();
            if let Ok(mut f) = std::fs::File::open(&me.log) {
                let _ = f.read_to_string(&mut s);
            }
            if let Some(i) = s.find(marker) {
                let port: String = s[i + marker.len()..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                if !port.is_empty() {
                    me.endpoint = format!("http://127.0.0.1:{port}");
                    return Some(me);
                }
            }
            if let Ok(Some(st)) = me.child.try_wait() {
                panic!("the fake X-Ray exited early ({st}):\n{s}");
            }
            assert!(
                Instant::now() < deadline,
                "the fake X-Ray did not start:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server's log so far (one line per request).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for FakeXray {
    fn drop(&mut self) {
        let _ = self.child.kill(); // moto keeps everything in memory
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}
