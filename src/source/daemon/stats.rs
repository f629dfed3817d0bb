//! Counters the daemon keeps, shared lock-free between its threads, and the last few rejected
//! datagrams for a diagnostics pane. Every datagram ends up in exactly one bucket: accepted,
//! rejected (by reason), or dropped because the parser queue was full. The OTLP receiver keeps
//! its own ([`OtlpStats`](crate::source::otlp::receive::OtlpStats)), shown with these.

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
    /// The OTLP receiver's counters (zero when it is off).
    pub otlp: std::sync::Arc<crate::source::otlp::receive::OtlpStats>,
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
        let preview = preview(bytes);
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
            forward_not_xray_id: self.forward.not_xray_id.load(Relaxed),
            otlp_requests: self.otlp.requests.load(Relaxed),
            otlp_spans: self.otlp.spans.load(Relaxed),
            otlp_accepted: self.otlp.accepted.load(Relaxed),
            otlp_rejected: self.otlp.rejected.load(Relaxed),
            otlp_throttled: self.otlp.throttled.load(Relaxed),
            otlp_refused: self.otlp.refused.load(Relaxed),
            rejected: std::array::from_fn(|i| self.rejected.get(i).map_or(0, |c| c.load(Relaxed))),
        }
    }
}

/// The start of a rejected datagram for people: its first 120 bytes as text (newlines as
/// `⏎`), or, when they are not text, `binary, N bytes:` and a hex dump of the first 16 (a row
/// of `�` says nothing).
fn preview(bytes: &[u8]) -> String {
    let head = bytes.get(..bytes.len().min(120)).unwrap_or(bytes);
    match std::str::from_utf8(head) {
        Ok(text) => text.replace('\n', "⏎"),
        // Cut inside a character at byte 120: still text.
        Err(e) if e.error_len().is_none() && e.valid_up_to() > 0 => head
            .get(..e.valid_up_to())
            .map(|t| String::from_utf8_lossy(t).replace('\n', "⏎"))
            .unwrap_or_default(),
        Err(_) => {
            let hex: Vec<String> = bytes.iter().take(16).map(|b| format!("{b:02x}")).collect();
            let more = if bytes.len() > 16 { " …" } else { "" };
            format!("binary, {} bytes: {}{more}", bytes.len(), hex.join(" "))
        }
    }
}

/// Where to read how many datagrams the kernel dropped for one socket because its receive
/// buffer was full: the counter `SO_RXQ_OVFL` reports, which Linux also shows in the `drops`
/// column of `/proc/net/udp` (and `udp6`) on the socket's line. Read there, the receive path
/// needs no control messages; the count is this socket's alone (the machine-wide
/// `RcvbufErrors` counts every socket's, other programs' included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketDrops {
    inode: u64,
}

impl SocketDrops {
    /// The counter of `socket`; `None` where the OS does not show it.
    pub fn of(socket: &std::net::UdpSocket) -> Option<SocketDrops> {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            let link = std::fs::read_link(format!("/proc/self/fd/{}", socket.as_raw_fd())).ok()?;
            let inode = link
                .to_str()?
                .strip_prefix("socket:[")?
                .strip_suffix(']')?
                .parse()
                .ok()?;
            Some(SocketDrops { inode })
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = socket;
            None
        }
    }

    /// Datagrams dropped so far; `None` if the socket is no longer listed.
    pub fn read(&self) -> Option<u64> {
        ["/proc/net/udp", "/proc/net/udp6"].iter().find_map(|path| {
            let text = std::fs::read_to_string(path).ok()?;
            text.lines().skip(1).find_map(|line| {
                let cols: Vec<&str> = line.split_whitespace().collect();
                // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
                let inode: u64 = cols.get(9)?.parse().ok()?;
                (inode == self.inode).then(|| cols.get(12)?.parse().ok())?
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_datagrams_are_shown_as_hex_not_replacement_characters() {
        assert_eq!(
            preview(&[0xff, 0xfe, 0x00, 0x41]),
            "binary, 4 bytes: ff fe 00 41"
        );
        let long: Vec<u8> = (0..40).map(|i| 0x80 + i).collect();
        assert_eq!(
            preview(&long),
            "binary, 40 bytes: 80 81 82 83 84 85 86 87 88 89 8a 8b 8c 8d 8e 8f …"
        );
        assert_eq!(preview(b"{\"a\":1}\n{"), "{\"a\":1}⏎{");
        // Text cut inside a character at 120 bytes stays text.
        let text = "é".repeat(100);
        assert!(!preview(text.as_bytes()).starts_with("binary"));
    }

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

    /// A socket with a small buffer that nobody reads: what does not fit is dropped, and the
    /// counter says exactly how much (received + dropped = sent).
    #[cfg(target_os = "linux")]
    #[test]
    fn counts_this_sockets_drops_only() {
        use std::net::UdpSocket;
        let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None)
            .expect("socket");
        sock.set_recv_buffer_size(4096).expect("rcvbuf");
        sock.bind(
            &"127.0.0.1:0"
                .parse::<std::net::SocketAddr>()
                .expect("addr")
                .into(),
        )
        .expect("bind");
        let sock: UdpSocket = sock.into();
        let drops = SocketDrops::of(&sock).expect("a counter on Linux");
        assert_eq!(drops.read(), Some(0));
        // Another socket that drops nothing: its counter is its own.
        let other = UdpSocket::bind("127.0.0.1:0").expect("other");
        let other_drops = SocketDrops::of(&other).expect("counter");
        let tx = UdpSocket::bind("127.0.0.1:0").expect("sender");
        let sent = 200;
        for _ in 0..sent {
            tx.send_to(&[b'x'; 1000], sock.local_addr().expect("addr"))
                .expect("send");
        }
        sock.set_nonblocking(true).expect("nonblocking");
        let mut received = 0;
        let mut buf = [0u8; 2048];
        while sock.recv(&mut buf).is_ok() {
            received += 1;
        }
        let dropped = drops.read().expect("still listed");
        assert!(dropped > 0, "a 4 KiB buffer cannot hold 200 KB");
        assert_eq!(received + dropped, sent);
        assert_eq!(other_drops.read(), Some(0));
    }
}
