//! What live sources report besides data: the counters and progress the status line and the
//! diagnostics pane show. Part of the seam's vocabulary, so the app names these types without
//! reaching into a source.

use std::fmt;

/// Counters of a live source, for the status line and the diagnostics pane.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Feed {
    /// Nothing live.
    #[default]
    None,
    /// The local daemon.
    Daemon(Box<DaemonFeed>),
    /// The X-Ray API.
    Aws(Box<AwsProgress>),
}

/// The local daemon's state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DaemonFeed {
    /// The UDP address segments are received on.
    pub udp: String,
    /// The TCP address sampling requests are answered on.
    pub tcp: Option<String>,
    /// The socket receive buffer datagrams can fill (bytes), as the kernel granted it.
    pub recv_buffer: usize,
    /// The counters.
    pub stats: DaemonStats,
    /// Datagrams the kernel dropped for the daemon's socket because its receive buffer was full
    /// (its own overflow counter), where the OS tells.
    pub kernel_drops: Option<u64>,
    /// The last rejected datagrams, newest last: `reason (size B): start of it`.
    pub recent: Vec<String>,
    /// Why the last `--save` write failed, if one did.
    pub save_error: Option<String>,
    /// The sampling rules served to SDKs, described; `None` when the endpoint is off.
    pub sampling: Option<String>,
    /// X-Ray's default rule is served (1 a second, then 5%): most requests are not traced.
    pub default_sampling: bool,
    /// What the SDKs reported per sampling rule, by rule name.
    pub sampling_counts: Vec<RuleCounts>,
    /// Where OTLP/HTTP is received (`127.0.0.1:4318`); `None` when not.
    pub otlp_http: Option<String>,
    /// Where OTLP/gRPC is received (`127.0.0.1:4317`); `None` when not.
    pub otlp_grpc: Option<String>,
    /// OTLP protocols asked for that could not listen, and why.
    pub otlp_unbound: Vec<String>,
    /// Why the last OTLP request was refused or spans of it left out.
    pub otlp_problem: Option<String>,
}

/// What the SDKs reported for one sampling rule through `SamplingTargets` since the daemon
/// started: the requests they matched to it, and how many they sampled (from the reservoir or
/// the fixed rate) and borrowed (sampled before they had a quota).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleCounts {
    /// The rule's name.
    pub rule: String,
    /// Its priority (X-Ray tries rules from the lowest number up).
    pub priority: i64,
    /// What it matches, for people: `every request`, or the fields that are not `*`
    /// (`service checkout · POST /api/checkout*`).
    pub matches: String,
    /// Requests a second kept before the rate applies.
    pub reservoir: u64,
    /// The share of the rest kept (0 to 1).
    pub rate: f64,
    /// Requests the SDKs matched to it.
    pub requests: u64,
    /// Of those, sampled.
    pub sampled: u64,
    /// Of those, sampled by borrowing from the reservoir before a quota came.
    pub borrowed: u64,
}

/// Why the daemon rejects a datagram, in the order its counters are shown (the names of
/// [`DaemonStats::rejected`]).
pub const REJECT_REASONS: [&str; 9] = [
    "empty",
    "oversize",
    "not_utf8",
    "bad_header",
    "missing_document",
    "truncated",
    "bad_json",
    "bad_document",
    "missing_trace_id",
];

/// A copy of the daemon's counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DaemonStats {
    /// Datagrams read from the socket.
    pub received: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Documents accepted into the store.
    pub accepted: u64,
    /// Datagrams dropped because the parser queue was full (overload).
    pub dropped_queue_full: u64,
    /// Traces evicted, oldest first, to stay under the trace limit.
    pub evicted: u64,
    /// Documents sent again with an ID their trace already held: the later copy replaced
    /// the earlier one (or was an in-progress copy of a completed one, and was left out).
    pub replaced: u64,
    /// Documents left out of the store because their trace was at its limits (still saved
    /// and forwarded); the trace is marked `limit_exceeded`.
    pub trace_full: u64,
    /// Traces in the store now.
    pub traces: u64,
    /// Documents in the `--save` file (their write succeeded).
    pub saved: u64,
    /// Documents whose write to the `--save` file failed (not in it).
    pub save_errors: u64,
    /// Sampling requests answered.
    pub sampling_requests: u64,
    /// Sampling requests and connections refused for a limit (too large, too slow, too many
    /// connections) or a malformed request head.
    pub sampling_refused: u64,
    /// Accepted documents (stored and saved) whose full parse failed later (e.g. `"cause": 5`):
    /// they are not shown, and not taken back from `accepted`.
    pub unparsed: u64,
    /// Socket read errors.
    pub recv_errors: u64,
    /// Documents uploaded by `--forward`.
    pub forwarded: u64,
    /// Documents `--forward` could not upload.
    pub forward_failed: u64,
    /// Documents `--forward` dropped because its queue was full.
    pub forward_dropped: u64,
    /// Documents `--forward` left out because their trace ID is not in X-Ray form
    /// ([`FORWARD_NOT_XRAY_ID`]).
    pub forward_not_xray_id: u64,
    /// OTLP export requests accepted (answered with success, partial or whole).
    pub otlp_requests: u64,
    /// Spans in them.
    pub otlp_spans: u64,
    /// Of those, spans filed as segment documents (into the store, `--save`, `--forward`).
    pub otlp_accepted: u64,
    /// Of those, spans the translation left out (answered as a partial success).
    pub otlp_rejected: u64,
    /// OTLP requests refused because the daemon could not take them now (HTTP 429, gRPC
    /// `RESOURCE_EXHAUSTED`, with a retry delay): the exporter sends them again.
    pub otlp_throttled: u64,
    /// OTLP requests and connections refused as malformed or past a limit (404, 405, 413, 415,
    /// a body that does not decode, too many connections).
    pub otlp_refused: u64,
    /// Rejected datagrams, indexed like [`REJECT_REASONS`].
    pub rejected: [u64; REJECT_REASONS.len()],
}

/// Why `--forward` leaves a document out when its trace ID is not `1-8hex-24hex` (an
/// OpenTelemetry trace ID whose first 8 hex digits are not a time).
pub const FORWARD_NOT_XRAY_ID: &str = "trace ID not in X-Ray form: X-Ray refuses it";

impl DaemonStats {
    /// All rejected datagrams.
    pub fn rejected_total(&self) -> u64 {
        self.rejected.iter().sum()
    }

    /// `(reason, count)` for every reason with a non-zero count.
    pub fn rejected_by_reason(&self) -> Vec<(&'static str, u64)> {
        REJECT_REASONS
            .iter()
            .zip(self.rejected)
            .filter(|(_, n)| *n > 0)
            .map(|(r, n)| (*r, n))
            .collect()
    }
}

impl fmt::Display for DaemonStats {
    /// The one-line status of `listen --headless`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "received {} accepted {} traces {}",
            self.received, self.accepted, self.traces
        )?;
        let bad = self.rejected_total();
        if bad > 0 {
            write!(f, " rejected {bad} (")?;
            for (i, (r, n)) in self.rejected_by_reason().into_iter().enumerate() {
                if i > 0 {
                    f.write_str(" ")?;
                }
                write!(f, "{r} {n}")?;
            }
            f.write_str(")")?;
        }
        if self.unparsed > 0 {
            write!(f, " unparsed {}", self.unparsed)?;
        }
        if self.dropped_queue_full > 0 {
            write!(f, " dropped {}", self.dropped_queue_full)?;
        }
        if self.evicted > 0 {
            write!(f, " evicted {}", self.evicted)?;
        }
        if self.replaced > 0 {
            write!(f, " replaced {}", self.replaced)?;
        }
        if self.trace_full > 0 {
            write!(f, " trace-full {}", self.trace_full)?;
        }
        if self.saved > 0 || self.save_errors > 0 {
            write!(f, " saved {}", self.saved)?;
        }
        if self.save_errors > 0 {
            write!(f, " save-failed {}", self.save_errors)?;
        }
        if self.forwarded + self.forward_failed + self.forward_dropped + self.forward_not_xray_id
            > 0
        {
            write!(f, " forwarded {}", self.forwarded)?;
            if self.forward_failed + self.forward_dropped > 0 {
                write!(
                    f,
                    " forward-failed {} forward-dropped {}",
                    self.forward_failed, self.forward_dropped
                )?;
            }
            if self.forward_not_xray_id > 0 {
                write!(f, " forward-not-xray-id {}", self.forward_not_xray_id)?;
            }
        }
        if self.sampling_requests > 0 {
            write!(f, " sampling {}", self.sampling_requests)?;
        }
        if self.sampling_refused > 0 {
            write!(f, " sampling-refused {}", self.sampling_refused)?;
        }
        if self.otlp_requests + self.otlp_throttled + self.otlp_refused > 0 {
            write!(
                f,
                " otlp requests {} spans {} accepted {}",
                self.otlp_requests, self.otlp_spans, self.otlp_accepted
            )?;
            if self.otlp_rejected > 0 {
                write!(f, " otlp-rejected {}", self.otlp_rejected)?;
            }
            if self.otlp_throttled > 0 {
                write!(f, " otlp-throttled {}", self.otlp_throttled)?;
            }
            if self.otlp_refused > 0 {
                write!(f, " otlp-refused {}", self.otlp_refused)?;
            }
        }
        Ok(())
    }
}

/// The AWS fetcher's progress, for the status line: pages, traces processed, follow mode,
/// throttling, the last error.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AwsProgress {
    /// The region asked.
    pub region: String,
    /// The window, for people.
    pub window: String,
    /// Summary pages received for the current query.
    pub pages: usize,
    /// `TracesProcessedCount`, summed over the pages.
    pub traces_processed: i64,
    /// `ApproximateTime` of the last page (epoch seconds).
    pub approximate_time: Option<f64>,
    /// Pages are still coming.
    pub fetching: bool,
    /// Follow mode is on.
    pub following: bool,
    /// Seconds between follow polls now (grows while throttled).
    pub poll_every: Option<u64>,
    /// The service throttled the last poll.
    pub throttled: bool,
    /// The last error, with a hint.
    pub error: Option<String>,
}

impl AwsProgress {
    /// The heading over [`AwsProgress::error`]: whether X-Ray answered at all
    /// ([`AwsError::heading_of`](crate::source::aws::AwsError::heading_of)).
    pub fn error_heading(&self) -> Option<&'static str> {
        self.error
            .as_deref()
            .map(crate::source::aws::AwsError::heading_of)
    }
}

/// How far a file load is, for the status line and the list while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LoadProgress {
    /// The load this is about ([`super::Request::Load`]'s generation).
    pub generation: u64,
    /// What it is doing.
    pub phase: LoadPhase,
    /// Bytes read so far (the reading phase), of `total_bytes`.
    pub bytes: u64,
    /// Bytes of all the inputs, when known (not for stdin).
    pub total_bytes: Option<u64>,
    /// Traces assembled so far (the assembling phase), of `total_traces`.
    pub traces: u64,
    /// Traces found in the input (so far, while it is read and indexed).
    pub total_traces: u64,
    /// Seconds since the load started.
    pub elapsed: f64,
    /// How fast the phase goes: bytes a second while reading and indexing, traces a second
    /// while assembling (from the phase's start), once there is a rate to go by.
    pub rate: Option<f64>,
}

/// The phases of a file load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoadPhase {
    /// Reading the inputs into memory.
    #[default]
    Reading,
    /// Finding each document and its trace.
    Indexing,
    /// Parsing, assembling and summarising each trace.
    Assembling,
}

impl LoadProgress {
    /// The share done, 0 to 1: reading and indexing count for 20% each, assembling for the
    /// rest (about how a load's time splits).
    pub fn fraction(&self) -> f64 {
        let part = |done: u64, total: u64| {
            if total == 0 {
                0.0
            } else {
                (done as f64 / total as f64).clamp(0.0, 1.0)
            }
        };
        match self.phase {
            LoadPhase::Reading => 0.2 * self.total_bytes.map_or(0.0, |t| part(self.bytes, t)),
            LoadPhase::Indexing => {
                0.2 + 0.2 * self.total_bytes.map_or(0.0, |t| part(self.bytes, t))
            }
            LoadPhase::Assembling => 0.4 + 0.6 * part(self.traces, self.total_traces),
        }
    }

    /// Seconds left at the rate so far, once there is a rate to go by.
    pub fn eta(&self) -> Option<f64> {
        let f = self.fraction();
        (f > 0.02 && self.elapsed > 0.2).then(|| self.elapsed * (1.0 - f) / f)
    }
}

impl fmt::Display for LoadProgress {
    /// `reading 1.1 of 2.7 GB · 410 MB/s`, `indexing 1.0 of 2.7 GB · 42,782 traces · 820 MB/s`,
    /// `assembling 430,000 of 1,000,000 traces · 95,000/s`, each with the ETA.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::model::format::thousands;
        match self.phase {
            LoadPhase::Reading | LoadPhase::Indexing => {
                let verb = if self.phase == LoadPhase::Reading {
                    "reading"
                } else {
                    "indexing"
                };
                write!(f, "{verb} {}", bytes(self.bytes))?;
                if let Some(t) = self.total_bytes {
                    write!(f, " of {}", bytes(t))?;
                }
                if self.total_traces > 0 {
                    let n = self.total_traces;
                    let noun = if n == 1 { "trace" } else { "traces" };
                    write!(f, " · {} {noun}", thousands(n))?;
                }
                if let Some(r) = self.rate {
                    write!(f, " · {}/s", bytes(r as u64))?;
                }
            }
            LoadPhase::Assembling => {
                write!(
                    f,
                    "assembling {} of {} traces",
                    thousands(self.traces),
                    thousands(self.total_traces)
                )?;
                if let Some(r) = self.rate {
                    write!(f, " · {}/s", thousands(r as u64))?;
                }
            }
        }
        if let Some(eta) = self.eta() {
            write!(f, " · {eta:.0} s left")?;
        }
        Ok(())
    }
}

/// Works out [`LoadProgress::rate`]: when each phase started, and where its count stood.
#[derive(Debug, Default)]
pub struct Rate {
    start: Option<(LoadPhase, f64, u64)>,
}

impl Rate {
    /// The rate of `p`'s phase at `p.elapsed` (`None` until the phase has run a fifth of a
    /// second).
    pub fn of(&mut self, p: &LoadProgress) -> Option<f64> {
        let done = match p.phase {
            LoadPhase::Reading | LoadPhase::Indexing => p.bytes,
            LoadPhase::Assembling => p.traces,
        };
        let (phase, t0, n0) = *self.start.get_or_insert((p.phase, p.elapsed, done));
        if phase != p.phase {
            self.start = Some((p.phase, p.elapsed, done));
            return None;
        }
        let seconds = p.elapsed - t0;
        (seconds >= 0.2).then(|| done.saturating_sub(n0) as f64 / seconds)
    }
}

fn bytes(n: u64) -> String {
    match n {
        n if n >= 1_000_000_000 => format!("{:.1} GB", n as f64 / 1e9),
        n if n >= 1_000_000 => format!("{:.0} MB", n as f64 / 1e6),
        n if n >= 1_000 => format!("{:.0} kB", n as f64 / 1e3),
        n => format!("{n} B"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_says_traces_found_and_the_phases_rate() {
        let mut rate = Rate::default();
        let mut p = LoadProgress {
            phase: LoadPhase::Indexing,
            bytes: 100_000_000,
            total_bytes: Some(2_700_000_000),
            total_traces: 42_782,
            elapsed: 1.0,
            ..LoadProgress::default()
        };
        assert_eq!(rate.of(&p), None, "the phase has only begun");
        p.bytes = 900_000_000;
        p.elapsed = 2.0;
        p.rate = rate.of(&p);
        assert_eq!(p.rate, Some(800_000_000.0));
        assert!(
            p.to_string()
                .starts_with("indexing 900 MB of 2.7 GB · 42,782 traces · 800 MB/s · "),
            "{p}"
        );
        p.phase = LoadPhase::Assembling;
        p.traces = 0;
        p.total_traces = 1_000_000;
        assert_eq!(rate.of(&p), None, "a new phase, a new rate");
        p.traces = 95_000;
        p.elapsed = 3.0;
        p.rate = rate.of(&p);
        assert_eq!(p.rate, Some(95_000.0));
        assert!(
            p.to_string()
                .starts_with("assembling 95,000 of 1,000,000 traces · 95,000/s · "),
            "{p}"
        );
    }

    #[test]
    fn progress_weighs_reading_and_assembling() {
        let mut p = LoadProgress {
            total_bytes: Some(1000),
            bytes: 500,
            elapsed: 2.0,
            ..LoadProgress::default()
        };
        assert!((p.fraction() - 0.1).abs() < 1e-9);
        assert_eq!(p.eta().map(|s| s.round()), Some(18.0));
        assert_eq!(p.to_string(), "reading 500 B of 1 kB · 18 s left");
        p.rate = Some(250.0);
        assert_eq!(p.to_string(), "reading 500 B of 1 kB · 250 B/s · 18 s left");
        p.rate = None;
        p.phase = LoadPhase::Indexing;
        assert!((p.fraction() - 0.3).abs() < 1e-9);
        assert!(p.to_string().starts_with("indexing 500 B of 1 kB"));
        p.phase = LoadPhase::Reading;
        p.total_bytes = None;
        assert_eq!(p.fraction(), 0.0);
        assert_eq!(p.eta(), None, "no rate to go by");
        p.phase = LoadPhase::Assembling;
        p.traces = 3;
        p.total_traces = 4;
        assert!((p.fraction() - 0.85).abs() < 1e-9);
        p.total_traces = 0;
        assert!(
            (p.fraction() - 0.4).abs() < 1e-9,
            "no traces: nothing to divide"
        );
    }
}
