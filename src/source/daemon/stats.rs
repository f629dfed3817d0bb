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

/// Bytes shown before the first one that is not UTF-8.
const BEFORE_INVALID: usize = 4;
/// Bytes shown from the first one that is not UTF-8 on.
const FROM_INVALID: usize = 6;

/// The start of a rejected datagram for people: its first 120 bytes as text (newlines as
/// `⏎`), or, when it is not text, `binary, N bytes, not UTF-8 at byte K:` and a hex dump of the
/// bytes around byte K, that one in brackets (a row of `�` says nothing, and the first bytes
/// are the same header in every datagram).
fn preview(bytes: &[u8]) -> String {
    let invalid = match std::str::from_utf8(bytes) {
        Ok(_) => None,
        // Cut inside a character at the end: still text.
        Err(e) if e.error_len().is_none() => None,
        Err(e) => Some(e.valid_up_to()),
    };
    let Some(at) = invalid else {
        let head = bytes.get(..bytes.len().min(120)).unwrap_or(bytes);
        // Cut inside a character at byte 120: the whole characters before it.
        let text = match std::str::from_utf8(head) {
            Ok(t) => t,
            Err(e) => head
                .get(..e.valid_up_to())
                .and_then(|h| std::str::from_utf8(h).ok())
                .unwrap_or_default(),
        };
        return text.replace('\n', "⏎");
    };
    let start = at.saturating_sub(BEFORE_INVALID);
    let end = bytes.len().min(at + FROM_INVALID);
    let mut dump: Vec<String> = Vec::with_capacity(end - start + 2);
    if start > 0 {
        dump.push("…".to_owned());
    }
    for (i, b) in bytes.iter().enumerate().take(end).skip(start) {
        dump.push(if i == at {
            format!("[{b:02x}]")
        } else {
            format!("{b:02x}")
        });
    }
    if end < bytes.len() {
        dump.push("…".to_owned());
    }
    format!(
        "binary, {}, not UTF-8 at byte {at}: {}",
        crate::model::format::count(bytes.len(), "byte", "bytes"),
        dump.join(" ")
    )
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
            "binary, 4 bytes, not UTF-8 at byte 0: [ff] fe 00 41"
        );
        assert_eq!(
            preview(&[0x80]),
            "binary, 1 byte, not UTF-8 at byte 0: [80]"
        );
        let long: Vec<u8> = (0..40).map(|i| 0x80 + i).collect();
        assert_eq!(
            preview(&long),
            "binary, 40 bytes, not UTF-8 at byte 0: [80] 81 82 83 84 85 …"
        );
        // A datagram of the usual shape: the header is text, the bad byte is in the document.
        // The bytes around it show, not the header every datagram starts with.
        let mut dg = b"{\"format\":\"json\",\"version\":1}\n{\"name\":\"a".to_vec();
        let at = dg.len();
        dg.extend_from_slice(&[0xc3, 0x28]);
        dg.extend_from_slice(b"bc\",\"id\":\"1\"}");
        assert_eq!(
            preview(&dg),
            format!(
                "binary, {} bytes, not UTF-8 at byte {at}: … 22 3a 22 61 [c3] 28 62 63 22 2c …",
                dg.len()
            )
        );
        // Past the first 120 bytes too.
        let mut late =
            format!("{{\"format\":\"json\",\"version\":1}}\n{}", "x".repeat(200)).into_bytes();
        late.push(0xff);
        assert_eq!(
            preview(&late),
            format!(
                "binary, {} bytes, not UTF-8 at byte {}: … 78 78 78 78 [ff]",
                late.len(),
                late.len() - 1
            )
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
