//! The Python interpreter the tests that drive real SDKs use: `$XRAY_TUI_PYTHON` (tests/run.sh
//! points it at the pinned venv), else `python3`. Without it, or without the modules a test
//! needs, the test is skipped with a message, except under `CI=true`, where it fails.

use std::process::{Command, Stdio};

/// The interpreter, when it can import every module of `modules` (`"aws_xray_sdk, flask"`);
/// `None` (the test skips) when it cannot, outside CI.
pub fn python(modules: &str) -> Option<String> {
    let py = std::env::var("XRAY_TUI_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&py)
        .args(["-c", &format!("import {modules}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Some(py);
    }
    let msg = format!(
        "{py} cannot import {modules}: run tests/run.sh, or `pip install -r tests/daemon/requirements.txt`"
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg} (required when CI=true)");
    }
    eprintln!("SKIPPED: {msg}");
    None
}
