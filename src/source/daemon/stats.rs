//! Counters the daemon keeps, shared lock-free between its threads, and the last few rejected
//! datagrams for a diagnostics pane. Every datagram ends up in exactly one bucket: accepted,
//! rejected (by reason), or dropped because the parser queue was full.

use crate::source::DaemonStats;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::SystemTime;

use super::datagram::DatagramError;

/// How many rejected datagrams are kept for diagnostics.
pub const RECENT_REJECTS: usize = 16;

/// A rejected datagram, for diagnostics.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    /// When it was parsed.
    pub at: SystemTime,
    /// Why it was rejected.
    pub error: DatagramError,
    /// Its size in bytes.
    pub size: usize,
    /// The start of it, as text (lossy), for a person.
    pub preview: String,
    /// Accepted, then its full parse failed (counted as `unparsed`, not as rejected).
    pub unparsed: bool,
}

impl Rejected {
    /// What happened to it, for a person: `rejected` or `unparsed`.
    pub fn outcome(&self) -> &'static str {
        if self.unparsed {
            "unparsed"
        } else {
            "rejected"
        }
    }
}

/// Live counters; read them with [`Stats::snapshot`].
#[derive(Debug, Default)]
pub struct Stats {
    pub(crate) received: AtomicU64,
    pub(crate) bytes: AtomicU64,
    pub(crate) accepted: AtomicU64,
    pub(crate) dropped_queue_full: AtomicU64,
    pub(crate) evicted: AtomicU64,
    pub(crate) replaced: AtomicU64,
    pub(crate) trace_full: AtomicU64,
    pub(crate) traces: AtomicU64,
    pub(crate) saved: AtomicU64,
    pub(crate) save_errors: AtomicU64,
    pub(crate) sampling_requests: AtomicU64,
    pub(crate) sampling_refused: AtomicU64,
    pub(crate) unparsed: AtomicU64,
    pub(crate) recv_errors: AtomicU64,
    pub(crate) rejected: [AtomicU64; DatagramError::REASONS.len()],
    pub(crate) recent: Mutex<VecDeque<Rejected>>,
    /// Why the last `--save` write failed, if one did.
    pub(crate) save_error: Mutex<Option<String>>,
    /// `--forward` counters (zero when not forwarding).
    pub forward: std::sync::Arc<super::forward::ForwardStats>,
}

impl Stats {
    pub(crate) fn reject(&self, error: DatagramError, bytes: &[u8]) {
        if let Some(c) = self.rejected.get(error.reason_index()) {
            c.fetch_add(1, Relaxed);
        }
        self.remember(error, bytes, false);
    }

    /// An accepted document whose full parse failed when its trace was assembled: counted as
    /// `unparsed` (it stays accepted and saved, so the counts do not depend on when assembly
    /// ran) and kept among the recent problems for the diagnostics pane.
    pub(crate) fn unparsed(&self, why: String, doc: &[u8]) {
        self.unparsed.fetch_add(1, Relaxed);
        self.remember(DatagramError::BadDocument(why), doc, true);
    }

    fn remember(&self, error: DatagramError, bytes: &[u8], unparsed: bool) {
        let head = bytes.get(..bytes.len().min(120)).unwrap_or(bytes);
        let preview = String::from_utf8_lossy(head).replace('\n', "⏎");
        if let Ok(mut r) = self.recent.lock() {
            if r.len() == RECENT_REJECTS {
                r.pop_front();
            }
            r.push_back(Rejected {
                at: SystemTime::now(),
                error,
                size: bytes.len(),
                preview,
                unparsed,
            });
        }
    }

    /// Counts what a `--save` write did: documents that reached the file, and those whose
    /// write failed (with the reason kept for the diagnostics).
    pub(crate) fn record_save(&self, w: super::save::Written) {
        self.saved.fetch_add(w.saved, Relaxed);
        self.save_errors.fetch_add(w.failed, Relaxed);
        if let Some(e) = w.error {
            if let Ok(mut last) = self.save_error.lock() {
                *last = Some(e);
            }
        }
    }

    /// Why the last `--save` write failed, if one did.
    pub fn save_error(&self) -> Option<String> {
        self.save_error.lock().ok().and_then(|e| e.clone())
    }

    /// The last few rejected datagrams, oldest first.
    pub fn recent_rejects(&self) -> Vec<Rejected> {
        self.recent
            .lock()
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// A consistent-enough copy of the counters.
    pub fn snapshot(&self) -> DaemonStats {
        DaemonStats {
            received: self.received.load(Relaxed),
            bytes: self.bytes.load(Relaxed),
            accepted: self.accepted.load(Relaxed),
            dropped_queue_full: self.dropped_queue_full.load(Relaxed),
            evicted: self.evicted.load(Relaxed),
            replaced: self.replaced.load(Relaxed),
            trace_full: self.trace_full.load(Relaxed),
            traces: self.traces.load(Relaxed),
            saved: self.saved.load(Relaxed),
            save_errors: self.save_errors.load(Relaxed),
            sampling_requests: self.sampling_requests.load(Relaxed),
            sampling_refused: self.sampling_refused.load(Relaxed),
            unparsed: self.unparsed.load(Relaxed),
            recv_errors: self.recv_errors.load(Relaxed),
            forwarded: self.forward.sent.load(Relaxed),
            forward_failed: self.forward.failed.load(Relaxed),
            forward_dropped: self.forward.dropped.load(Relaxed),
            rejected: std::array::from_fn(|i| self.rejected.get(i).map_or(0, |c| c.load(Relaxed))),
        }
    }
}

/// The kernel's UDP `RcvbufErrors` counter (datagrams dropped because a socket buffer was
/// full, all sockets), from `/proc/net/snmp`; `None` where that file does not exist.
pub fn kernel_rcvbuf_errors() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/net/snmp").ok()?;
    let mut udp = text.lines().filter(|l| l.starts_with("Udp:"));
    let names = udp.next()?;
    let values = udp.next()?;
    let i = names.split_whitespace().position(|n| n == "RcvbufErrors")?;
    values.split_whitespace().nth(i)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_line_names_reasons() {
        let s = Stats::default();
        s.received.fetch_add(3, Relaxed);
        s.accepted.fetch_add(1, Relaxed);
        s.reject(DatagramError::Empty, b"");
        s.reject(DatagramError::MissingDocument, b"{}\n");
        let line = s.snapshot().to_string();
        assert_eq!(
            line,
            "received 3 accepted 1 traces 0 rejected 2 (empty 1 missing_document 1)"
        );
        assert_eq!(s.recent_rejects().len(), 2);
        for _ in 0..40 {
            s.reject(DatagramError::Empty, b"");
        }
        assert_eq!(s.recent_rejects().len(), RECENT_REJECTS);
    }

    #[test]
    fn reads_kernel_counter_on_linux() {
        if std::path::Path::new("/proc/net/snmp").exists() {
            assert!(kernel_rcvbuf_errors().is_some());
        }
    }
}
