//! The log file: `tracing` events written to `xray-tui.log` in the state directory
//! ([`crate::paths::log_path`]), never to the terminal, which the TUI owns while it runs.
//!
//! The level comes from `XRAY_TUI_LOG` (`info` by default; `debug`, `off`, or per-target
//! directives such as `xray_tui=debug,aws_config=warn`). A log over [`ROTATE_BYTES`] is moved
//! to `xray-tui.log.1` at start, so the file cannot grow without end. The AWS SDK's crates stay
//! at `info` unless named, and every line goes through [`redact`]: credentials never reach
//! the file, whatever a dependency logs.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::source::Loaded;

/// A log larger than this at start is moved aside (one old file is kept).
pub const ROTATE_BYTES: u64 = 5 * 1024 * 1024;

/// The AWS SDK and HTTP crates: at `debug` and `trace` they log requests, signing steps and
/// credential lookups, so they stay at `info` unless `XRAY_TUI_LOG` names them.
const SDK_TARGETS: &[&str] = &[
    "aws_config",
    "aws_credential_types",
    "aws_runtime",
    "aws_sdk_xray",
    "aws_sigv4",
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
    "aws_smithy_http",
    "aws_smithy_http_client",
    "hyper",
    "hyper_util",
    "h2",
    "rustls",
    "tokio",
];

/// The filter `XRAY_TUI_LOG` gives, and a complaint when it could not be read (`info` then).
/// A bare level (`debug`) applies to xray-tui itself; the SDK's crates stay at `info` (or the
/// level asked for, if lower) unless named (`aws_smithy_runtime=debug`).
pub fn filter_from(value: Option<&str>) -> (Targets, Option<String>) {
    let default = || Targets::new().with_default(tracing::Level::INFO);
    let (targets, complaint) = match value.map(str::trim).filter(|v| !v.is_empty()) {
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
    };
    let named: Vec<String> = targets.iter().map(|(t, _)| t.to_owned()).collect();
    let cap = targets
        .default_level()
        .unwrap_or(LevelFilter::OFF)
        .min(LevelFilter::INFO);
    let targets = SDK_TARGETS
        .iter()
        .filter(|sdk| !named.iter().any(|n| sdk.starts_with(n.as_str())))
        .fold(targets, |t, sdk| t.with_target(*sdk, cap));
    (targets, complaint)
}

/// Hides secrets in a log line: AWS access key IDs, SigV4 signatures and credential scopes,
/// session tokens and secret keys, whatever crate logged them.
pub fn redact(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while !rest.is_empty() {
        // Access key IDs: AKIA/ASIA and 16 upper-case letters or digits.
        let key_at = ["AKIA", "ASIA"]
            .iter()
            .filter_map(|p| rest.find(p))
            .filter(|&i| {
                let id = &rest.as_bytes()[i..];
                id.len() >= 20
                    && id[4..20]
                        .iter()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            })
            .min();
        // Values after these markers, up to a separator.
        let marker_at = SECRET_MARKERS
            .iter()
            .filter_map(|m| find_ignore_case(rest, m).map(|i| (i, m.len())))
            .min();
        match (key_at, marker_at) {
            (Some(k), m) if m.is_none_or(|(i, _)| k < i) => {
                out.push_str(&rest[..k]);
                out.push_str("AKIA****************");
                rest = &rest[k + 20..];
            }
            (_, Some((i, len))) => {
                out.push_str(&rest[..i + len]);
                out.push_str("<redacted>");
                let tail = &rest[i + len..];
                let end = tail
                    .find(|c: char| c.is_whitespace() || matches!(c, ',' | '"' | '\'' | '&' | ';'))
                    .unwrap_or(tail.len());
                rest = &tail[end..];
            }
            _ => {
                out.push_str(rest);
                break;
            }
        }
    }
    out
}

/// What precedes a secret value in headers, query strings, config dumps and SDK debug output.
const SECRET_MARKERS: &[&str] = &[
    "Signature=",
    "X-Amz-Signature=",
    "x-amz-security-token: ",
    "x-amz-security-token=",
    "X-Amz-Security-Token=",
    "aws_secret_access_key=",
    "aws_secret_access_key = ",
    "aws_session_token=",
    "aws_session_token = ",
    "secret_access_key: \"",
    "session_token: Some(\"",
];

fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    (0..=h.len().checked_sub(n.len())?).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// The log file behind [`redact`]: each event is written whole (the fmt layer writes one event
/// per call), with its secrets hidden.
struct Redacting(std::fs::File);

impl std::io::Write for Redacting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
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
        .with_writer(Mutex::new(Redacting(file)));
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
                summaries = data.rows.len(),
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
    fn the_sdk_stays_at_info_unless_named() {
        use tracing::Level;
        let (t, _) = filter_from(Some("debug"));
        assert!(t.would_enable("xray_tui::runtime", &Level::DEBUG));
        assert!(!t.would_enable("aws_sigv4::http_request", &Level::DEBUG));
        assert!(!t.would_enable("aws_smithy_runtime::client", &Level::TRACE));
        assert!(t.would_enable("aws_config::profile", &Level::INFO));
        let (t, _) = filter_from(Some("warn"));
        assert!(!t.would_enable("aws_config", &Level::INFO));
        let (t, _) = filter_from(Some("xray_tui=trace,aws_smithy_runtime=debug"));
        assert!(t.would_enable("aws_smithy_runtime::client", &Level::DEBUG));
        assert!(!t.would_enable("aws_sigv4", &Level::DEBUG));
    }

    #[test]
    fn credentials_never_reach_the_log() {
        let line = "DEBUG aws_sigv4: authorization=AWS4-HMAC-SHA256 \
            Credential=AKIAIOSFODNN7EXAMPLE/20261125/us-east-1/xray/aws4_request, \
            SignedHeaders=host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7 \
            x-amz-security-token: IQoJb3JpZ2luX2VjEXAMPLETOKEN== key ASIAXYZ0123456789ABC";
        let r = redact(line);
        assert!(!r.contains("AKIAIOSFODNN7EXAMPLE"), "{r}");
        assert!(!r.contains("5d672d79c15b"), "{r}");
        assert!(!r.contains("IQoJb3JpZ2luX2Vj"), "{r}");
        assert!(!r.contains("ASIAXYZ0123456789ABC"), "{r}");
        assert!(r.contains("SignedHeaders=host;x-amz-date"), "{r}");
        assert!(r.starts_with("DEBUG aws_sigv4: authorization=AWS4-HMAC-SHA256"));
        let plain = "INFO xray_tui: load finished traces=387 ASIA is a continent";
        assert_eq!(redact(plain), plain);
    }

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
