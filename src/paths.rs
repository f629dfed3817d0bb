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

/// Opens files only their owner may read: 0600 on Unix. xray-tui's files may hold request data
/// (URLs, user names, SQL, annotations), so none of them is world-readable.
pub fn private(options: &mut std::fs::OpenOptions) -> &mut std::fs::OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Creates `dir` and any missing parents, each only its owner may enter (0700 on Unix);
/// directories that exist already are left as they are.
pub fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Writes `bytes` to `path`, replacing it, as a file only its owner may read (an existing file
/// of ours is made private too).
pub fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = private(
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true),
    )
    .open(path)?;
    restrict(&f)?;
    f.write_all(bytes)?;
    f.flush()
}

/// Makes an open file of ours private (0600 on Unix), whatever mode it was created with.
pub fn restrict(file: &std::fs::File) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &std::path::Path) -> u32 {
        std::fs::metadata(p).expect("exists").permissions().mode() & 0o777
    }

    #[test]
    fn our_files_and_directories_are_private() {
        let base = std::env::temp_dir().join(format!("xray-tui-paths-{}", std::process::id()));
        let dir = base.join("a/b");
        create_private_dir(&dir).expect("dirs");
        assert_eq!(mode(&base.join("a")), 0o700);
        assert_eq!(mode(&dir), 0o700);
        let f = dir.join("f");
        // An existing world-readable file of ours becomes private when written again.
        std::fs::write(&f, "old").expect("write");
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        write_private(&f, b"new").expect("write");
        assert_eq!(mode(&f), 0o600);
        assert_eq!(std::fs::read_to_string(&f).expect("read"), "new");
        let g = dir.join("g");
        private(std::fs::OpenOptions::new().write(true).create_new(true))
            .open(&g)
            .expect("create");
        assert_eq!(mode(&g), 0o600);
        let _ = std::fs::remove_dir_all(&base);
    }
}
