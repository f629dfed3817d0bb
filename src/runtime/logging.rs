//! The log file: `tracing` events written to `xray-tui.log` in the state directory
//! ([`crate::paths::log_path`]), never to the terminal, which the TUI owns while it runs.
//!
//! The level comes from `XRAY_TUI_LOG` (`info` by default; `debug`, `off`, or per-target
//! directives such as `xray_tui=debug,aws_config=warn`). A log over [`ROTATE_BYTES`] is moved
//! to `xray-tui.log.1` at start, so the file cannot grow without end.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::source::Loaded;

/// A log larger than this at start is moved aside (one old file is kept).
pub const ROTATE_BYTES: u64 = 5 * 1024 * 1024;

/// The filter `XRAY_TUI_LOG` gives, and a complaint when it could not be read (`info` then).
pub fn filter_from(value: Option<&str>) -> (Targets, Option<String>) {
    let default = || Targets::new().with_default(tracing::Level::INFO);
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => (default(), None),
        Some(v) => match v.parse::<Targets>() {
            Ok(t) => (t, None),
            Err(e) => (
                default(),
                Some(format!(
                    "XRAY_TUI_LOG={v:?} not understood ({e}); logging at info"
                )),
            ),
        },
    }
}

/// Starts logging to the log file; returns its path, or `None` when there is no directory to
/// write to or a subscriber is already set (then nothing is logged: logging must never stop
/// the app).
pub fn init() -> Option<PathBuf> {
    let path = crate::paths::log_path()?;
    if let Some(dir) = path.parent() {
        crate::paths::create_private_dir(dir).ok()?;
    }
    if std::fs::metadata(&path).is_ok_and(|m| m.len() > ROTATE_BYTES) {
        let _ = std::fs::rename(&path, path.with_extension("log.1"));
    }
    let file = crate::paths::private(OpenOptions::new().create(true).append(true))
        .open(&path)
        .ok()?;
    // A log from an older version may be world-readable.
    let _ = crate::paths::restrict(&file);
    let (filter, complaint) = filter_from(std::env::var("XRAY_TUI_LOG").ok().as_deref());
    let layer = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(Mutex::new(file));
    tracing_subscriber::registry()
        .with(layer)
        .with(filter)
        .try_init()
        .ok()?;
    if let Some(c) = complaint {
        tracing::warn!("{c}");
    }
    Some(path)
}

/// Times loads from their [`Request::Load`](crate::source::Request::Load) to their answer and logs each
/// answer (counts and duration, or the error).
#[derive(Debug, Default)]
pub struct LoadLog {
    started: HashMap<u64, Instant>,
}

impl LoadLog {
    /// A load of `generation` started.
    pub fn started(&mut self, generation: u64) {
        tracing::info!(generation, "load started");
        self.started.insert(generation, Instant::now());
    }

    /// A load answered.
    pub fn finished(&mut self, d: &Loaded) {
        let ms = self
            .started
            .remove(&d.generation)
            .map_or(0, |t| t.elapsed().as_millis());
        match &d.result {
            Ok(data) => tracing::info!(
                generation = d.generation,
                traces = data.traces.len(),
                summaries = data.summaries.len(),
                warnings = data.warnings.len(),
                ms,
                "load finished"
            ),
            Err(e) => tracing::error!(generation = d.generation, ms, "load failed: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_level_comes_from_xray_tui_log() {
        use tracing::Level;
        let (t, c) = filter_from(None);
        assert!(c.is_none());
        assert!(t.would_enable("xray_tui", &Level::INFO));
        assert!(!t.would_enable("xray_tui", &Level::DEBUG));
        let (t, _) = filter_from(Some("debug"));
        assert!(t.would_enable("xray_tui", &Level::DEBUG));
        let (t, _) = filter_from(Some("xray_tui=trace,aws_config=warn"));
        assert!(t.would_enable("xray_tui::tui", &Level::TRACE));
        assert!(!t.would_enable("aws_config", &Level::INFO));
        let (t, c) = filter_from(Some("xray_tui=loud"));
        assert!(c.is_some_and(|c| c.contains("xray_tui=loud")));
        assert!(t.would_enable("x", &Level::INFO));
    }
}
