//! Time windows: `--since 15m|2h|1d`, or `--start`/`--end` (RFC 3339 or epoch seconds), and
//! their split into pieces the API accepts.

/// A time window that cannot be used: a bad `--since`, `--start`/`--end` or typed window.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WindowError(pub String);

/// The longest window one `GetTraceSummaries` call is given. The API reference states no
/// maximum, but the console and the developer guide cap a trace query at 6 hours and the
/// service has rejected longer ranges; splitting costs one call per piece and is always safe.
pub const MAX_SUMMARY_WINDOW_SECS: f64 = 6.0 * 3600.0;

/// How `GetTraceSummaries` reads the window (`TimeRangeType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum TimeRangeKind {
    /// By trace start time (encoded in the trace ID).
    TraceId,
    /// By trace update time (the service's default).
    #[default]
    Event,
    /// By segment end time.
    Service,
}

/// A time window in epoch seconds.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Window {
    /// Start (epoch seconds).
    pub start: f64,
    /// End (epoch seconds).
    pub end: f64,
    /// How the service matches traces to it.
    pub kind: TimeRangeKind,
}

impl Window {
    /// The window from the CLI's options. `--start` wins over `--since`; `--end` defaults to
    /// `now`; `--since` defaults to 15 minutes.
    pub fn resolve(
        since: Option<&str>,
        start: Option<&str>,
        end: Option<&str>,
        kind: TimeRangeKind,
        now: f64,
    ) -> Result<Window, WindowError> {
        let end = match end {
            Some(e) => parse_time(e)?,
            None => now,
        };
        let start = match (start, since) {
            (Some(s), _) => parse_time(s)?,
            (None, Some(s)) => end - parse_since(s)?,
            (None, None) => end - 15.0 * 60.0,
        };
        if start >= end {
            return Err(WindowError(format!(
                "the window is empty: start ({}) is not before end ({})",
                super::time::format_utc(start),
                super::time::format_utc(end)
            )));
        }
        Ok(Window { start, end, kind })
    }

    /// The window cut into pieces of at most [`MAX_SUMMARY_WINDOW_SECS`], newest first (so
    /// the most recent traces show up first).
    pub fn pieces(&self) -> Vec<(f64, f64)> {
        let mut out = Vec::new();
        let mut hi = self.end;
        while hi > self.start {
            let lo = (hi - MAX_SUMMARY_WINDOW_SECS).max(self.start);
            out.push((lo, hi));
            hi = lo;
        }
        out
    }
}

/// A time window as a person types it in the app: `15m` (the last 15 minutes) or
/// `START..END` (RFC 3339 or epoch seconds; an empty END means now).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WindowSpec {
    /// The last this many seconds.
    Last(f64),
    /// From, to (`None`: now).
    Between(f64, Option<f64>),
}

impl WindowSpec {
    /// Parses `15m`, `2h`, `1d` or `START..END`.
    pub fn parse(text: &str) -> Result<WindowSpec, WindowError> {
        let t = text.trim();
        match t.split_once("..") {
            Some((a, b)) => {
                let start = parse_time(a.trim())?;
                let end = match b.trim() {
                    "" => None,
                    e => Some(parse_time(e)?),
                };
                if end.is_some_and(|e| e <= start) {
                    return Err(WindowError(format!(
                        "{t:?}: the end is not after the start"
                    )));
                }
                Ok(WindowSpec::Between(start, end))
            }
            None => Ok(WindowSpec::Last(parse_since(t)?)),
        }
    }

    /// The window ending at `now` (relative specs) as `(start, end)`.
    pub fn range(self, now: f64) -> (f64, f64) {
        match self {
            WindowSpec::Last(s) => (now - s, now),
            WindowSpec::Between(a, b) => (a, b.unwrap_or(now)),
        }
    }

    /// For people: `last 15m`, or the two times in UTC.
    pub fn describe(self, text: &str) -> String {
        match self {
            WindowSpec::Last(_) => format!("last {}", text.trim()),
            WindowSpec::Between(a, b) => format!(
                "{} – {}",
                super::time::format_utc(a),
                b.map_or_else(|| "now".to_owned(), super::time::format_utc)
            ),
        }
    }
}

/// `15m`, `2h`, `1d`, `90s`, `1w` (or a bare number of seconds) to seconds.
pub fn parse_since(s: &str) -> Result<f64, WindowError> {
    let t = s.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| WindowError(format!("--since {s:?}: expected e.g. 15m, 2h or 1d")))?;
    let mult = match unit.trim() {
        "" | "s" | "sec" | "secs" => 1.0,
        "m" | "min" | "mins" => 60.0,
        "h" | "hr" | "hrs" => 3600.0,
        "d" | "day" | "days" => 86400.0,
        "w" => 7.0 * 86400.0,
        other => {
            return Err(WindowError(format!(
                "--since {s:?}: unknown unit {other:?} (use s, m, h, d or w)"
            )));
        }
    };
    if n <= 0.0 || !n.is_finite() {
        return Err(WindowError(format!("--since {s:?}: must be positive")));
    }
    Ok(n * mult)
}

/// An RFC 3339 timestamp or epoch seconds to epoch seconds.
pub fn parse_time(s: &str) -> Result<f64, WindowError> {
    let t = s.trim();
    if let Ok(n) = t.parse::<f64>() {
        if n.is_finite() && n >= 0.0 {
            return Ok(n);
        }
    }
    super::time::parse_iso8601(t).ok_or_else(|| {
        WindowError(format!(
            "{s:?}: expected an RFC 3339 time (2026-11-24T10:00:00Z) or epoch seconds"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_units() {
        assert_eq!(parse_since("15m").ok(), Some(900.0));
        assert_eq!(parse_since("2h").ok(), Some(7200.0));
        assert_eq!(parse_since("1d").ok(), Some(86400.0));
        assert_eq!(parse_since("30").ok(), Some(30.0));
        assert!(parse_since("5y").is_err());
        assert!(parse_since("-5m").is_err());
        assert!(parse_since("").is_err());
    }

    #[test]
    fn times_and_windows() {
        assert_eq!(parse_time("1700000000").ok(), Some(1_700_000_000.0));
        assert_eq!(
            parse_time("2023-11-14T22:13:20Z").ok(),
            Some(1_700_000_000.0)
        );
        assert!(parse_time("yesterday").is_err());
        let w = Window::resolve(Some("1d"), None, None, TimeRangeKind::Event, 100_000.0);
        let w = w.ok().unwrap_or_default();
        assert_eq!(w.start, 100_000.0 - 86400.0);
        let p = w.pieces();
        assert_eq!(p.len(), 4);
        assert_eq!(p[0], (100_000.0 - MAX_SUMMARY_WINDOW_SECS, 100_000.0));
        assert_eq!(p[3].0, w.start);
        assert!(Window::resolve(None, Some("10"), Some("5"), TimeRangeKind::Event, 0.0).is_err());
    }
}
