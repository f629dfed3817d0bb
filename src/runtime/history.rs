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
        if let Some(dir) = p.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let mut text = history.join("\n");
        text.push('\n');
        let _ = std::fs::write(p, text);
    }
}
