//! The filter history: applied expressions, one a line, kept across runs in the data
//! directory.

/// Where the filter history lives: `$XRAY_TUI_DATA/filter-history`, or the platform's data
/// directory (`~/.local/share/xray-tui/` on Linux).
pub fn history_path() -> Option<std::path::PathBuf> {
    crate::paths::data_dir().map(|d| d.join("filter-history"))
}

/// The saved filter expressions, oldest first (one a line); none when there is no file.
pub fn load_history() -> Vec<String> {
    history_path()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .map(|t| {
            t.lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Writes the filter history (best effort).
pub fn save_history(history: &[String]) {
    if let Some(p) = history_path() {
        let _ = write_history(&p, history);
    }
}

/// Writes `history` to `path`, one expression a line, as a private file (0600) in a private
/// directory (0700): the expressions name services, users and URLs.
pub fn write_history(path: &std::path::Path, history: &[String]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        crate::paths::create_private_dir(dir)?;
    }
    let mut text = history.join("\n");
    text.push('\n');
    crate::paths::write_private(path, text.as_bytes())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_history_is_private() {
        let dir = std::env::temp_dir().join(format!("xray-tui-history-{}", std::process::id()));
        let path = dir.join("data/filter-history");
        write_history(&path, &["fault".to_owned(), "service(\"a\")".to_owned()]).expect("write");
        let mode = |p: &std::path::Path| {
            std::fs::metadata(p).expect("exists").permissions().mode() & 0o777
        };
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.join("data")), 0o700);
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "fault\nservice(\"a\")\n"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
