//! Where xray-tui keeps its own files, decided in one place: the filter history and the log
//! file must agree on `XRAY_TUI_DATA` and on the platform directories.

use std::path::PathBuf;

/// The directory for kept data (the filter history): `$XRAY_TUI_DATA`, else the platform's data
/// directory (`~/.local/share/xray-tui/` on Linux).
pub fn data_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("XRAY_TUI_DATA").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    Some(
        directories::ProjectDirs::from("", "", "xray-tui")?
            .data_dir()
            .to_path_buf(),
    )
}

/// The directory for state such as logs: `$XRAY_TUI_DATA`, else the platform's state directory
/// (`~/.local/state/xray-tui/` on Linux), else the data directory (platforms without one).
pub fn state_dir() -> Option<PathBuf> {
    if std::env::var_os("XRAY_TUI_DATA").is_some_and(|d| !d.is_empty()) {
        return data_dir();
    }
    directories::ProjectDirs::from("", "", "xray-tui")
        .and_then(|p| p.state_dir().map(PathBuf::from))
        .or_else(data_dir)
}

/// The log file: `xray-tui.log` in [`state_dir`].
pub fn log_path() -> Option<PathBuf> {
    state_dir().map(|d| d.join("xray-tui.log"))
}
