//! The OTLP receiver: OTLP/HTTP (`POST /v1/traces`, protobuf or JSON, gzip or not; [`http`])
//! and OTLP/gRPC (`TraceService/Export`; [`grpc`]) on one thread of their own, handing the
//! documents [`translate`] makes of each request to the daemon.
//!
//! ## Why it is built this way
//!
//! OpenTelemetry exporters, unlike X-Ray SDKs, retry: a request answered HTTP 429 or gRPC
//! `RESOURCE_EXHAUSTED` with a retry delay is sent again later. So nothing is dropped
//! silently here: when the daemon cannot take a request now, it is refused with a delay
//! ([`RETRY_AFTER`]) and counted (`otlp-throttled`), and the exporter keeps the spans.
//!
//! - The documents of an accepted request go into the daemon's **parser queue**, the same
//!   bounded queue UDP datagrams take, through a [`Submit`] the daemon provides: one parser
//!   thread files everything into the store, the `--save` file and `--forward`, so both inputs
//!   obey the same per-trace limits and dedupe, and are counted in one place. A request is
//!   answered once its documents are queued, not once filed.
//! - What OTLP requests may hold in that queue is bounded on its own ([`QueueLimits`]: requests
//!   and bytes), so a burst of large exports cannot crowd out UDP batches or grow memory past
//!   the budget; past it, requests are throttled.
//! - Every input is bounded as in the sampling endpoint: request bodies to X-Ray's OTLP limit
//!   of 5 MB uncompressed ([`MAX_REQUEST_BYTES`]; a gzip body is inflated within it, so a
//!   decompression bomb costs 5 MB and a 413), connections held, requests worked on at once
//!   ([`MAX_IN_FLIGHT`]: each may hold a body, its inflated copy and its documents), request
//!   heads and how long they and bodies may take.
//! - Decoding and translating a large request takes milliseconds: it runs on the runtime's
//!   blocking pool (at most [`MAX_IN_FLIGHT`] threads), so one export does not hold up the
//!   other connections; the thread runs at the parser's lower priority, behind the UDP
//!   receive thread.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use super::translate;
pub use super::translate::Document;
use super::{grpc, http};

/// The largest request taken, uncompressed: X-Ray's OTLP endpoint takes 5 MB a request.
pub const MAX_REQUEST_BYTES: usize = 5 * 1000 * 1000;

/// The most spans one request may hold, as at X-Ray's OTLP endpoint (the SDKs' batches hold
/// 512): with [`MAX_REQUEST_BYTES`], what one request's documents take stays bounded.
pub const MAX_SPANS: usize = 10_000;

/// Why a request holds too many spans ([`MAX_SPANS`]), if it does.
pub(crate) fn too_many_spans(request: &ExportTraceServiceRequest) -> Option<String> {
    let spans: usize = request
        .resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len())
        .sum();
    (spans > MAX_SPANS).then(|| format!("{spans} spans in one request; at most {MAX_SPANS}"))
}

/// How long an exporter is asked to wait before sending a throttled request again.
pub const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Requests decoded, translated and queued at once (both protocols): each may hold a body of
/// up to [`MAX_REQUEST_BYTES`], its inflated copy and its documents. Past it, throttled.
pub const MAX_IN_FLIGHT: usize = 4;

/// What OTLP requests may hold in the daemon's parser queue at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueLimits {
    /// Requests waiting to be filed (0 refuses every request: for tests of throttling).
    pub requests: usize,
    /// Bytes of their documents (one request larger than this is taken when none waits).
    pub bytes: usize,
    /// The first requests answered as if the queue were full whatever it holds: for tests of
    /// an exporter's retries.
    pub throttle_first: usize,
}

impl Default for QueueLimits {
    fn default() -> Self {
        Self {
            requests: 64,
            bytes: 64 * 1024 * 1024,
            throttle_first: 0,
        }
    }
}

/// The OTLP counters; every request ends up in exactly one of `requests` (answered with
/// success, partial or not), `throttled` or `refused`.
#[derive(Debug, Default)]
pub struct OtlpStats {
    pub(crate) requests: AtomicU64,
    pub(crate) spans: AtomicU64,
    pub(crate) accepted: AtomicU64,
    pub(crate) rejected: AtomicU64,
    pub(crate) throttled: AtomicU64,
    pub(crate) refused: AtomicU64,
    /// Why the last request was refused or spans rejected, for the diagnostics pane.
    pub(crate) last_problem: Mutex<Option<String>>,
}

impl OtlpStats {
    /// Spans of accepted requests (`spans`), and of those, filed (`accepted`) and left out by
    /// the translation (`rejected`): the daemon counts filed spans as it files them.
    pub fn count_filed(&self, spans: u64) {
        self.accepted.fetch_add(spans, Relaxed);
    }

    /// Why the last request was refused or spans of it rejected.
    pub fn last_problem(&self) -> Option<String> {
        self.last_problem.lock().ok().and_then(|p| p.clone())
    }

    fn problem(&self, why: String) {
        if let Ok(mut p) = self.last_problem.lock() {
            *p = Some(why);
        }
    }

    /// A request refused for a limit or as malformed.
    pub(crate) fn refuse(&self, why: &str) {
        self.refused.fetch_add(1, Relaxed);
        self.problem(format!("refused: {why}"));
    }

    /// A request refused because the daemon could not take it now.
    pub(crate) fn throttle(&self) {
        self.throttled.fetch_add(1, Relaxed);
    }
}

/// One accepted request's documents, for the daemon to file. Holds its place in the queue's
/// budget ([`QueueLimits`]) until dropped.
#[derive(Debug)]
pub struct Export {
    /// The documents, in the request's order.
    pub documents: Vec<Document>,
    /// Spans they were made from (the spans the translation did not reject).
    pub spans: u64,
    _ticket: Ticket,
}

/// How the daemon takes an [`Export`]: `false` when its queue is full now (the request is
/// throttled).
pub type Submit = Arc<dyn Fn(Export) -> bool + Send + Sync>;

/// What OTLP requests hold in the parser queue now.
#[derive(Debug)]
struct Pending {
    limits: QueueLimits,
    /// Requests and bytes.
    held: Mutex<(usize, usize)>,
    /// Of [`QueueLimits::throttle_first`], the requests still to be throttled.
    throttle_left: AtomicUsize,
}

/// A place in [`Pending`], given back when dropped.
#[derive(Debug)]
struct Ticket {
    pending: Arc<Pending>,
    bytes: usize,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let Ok(mut held) = self.pending.held.lock() {
            held.0 = held.0.saturating_sub(1);
            held.1 = held.1.saturating_sub(self.bytes);
        }
    }
}

impl Pending {
    /// Whether this request is one of the first ones to be throttled whatever the queue holds.
    fn throttled_first(&self) -> bool {
        self.throttle_left
            .fetch_update(Relaxed, Relaxed, |left| left.checked_sub(1))
            .is_ok()
    }

    /// Whether a request might be taken now (checked before its body is read).
    fn has_room(&self) -> bool {
        self.held
            .lock()
            .is_ok_and(|held| held.0 < self.limits.requests && held.1 < self.limits.bytes)
    }

    /// A place for a request of `bytes`, if the budget allows.
    fn reserve(self: &Arc<Self>, bytes: usize) -> Option<Ticket> {
        let mut held = self.held.lock().ok()?;
        let fits = held.1.saturating_add(bytes) <= self.limits.bytes || held.0 == 0;
        if held.0 >= self.limits.requests || !fits {
            return None;
        }
        held.0 += 1;
        held.1 += bytes;
        Some(Ticket {
            pending: self.clone(),
            bytes,
        })
    }
}

/// Bytes a document holds while queued: its text and IDs, and the bookkeeping around them.
fn footprint(d: &Document) -> usize {
    d.json.len() + d.trace_id.len() + d.id.len() + 64
}

/// What both protocols share: the way into the daemon, the budgets and the counters.
pub(crate) struct Intake {
    submit: Submit,
    pending: Arc<Pending>,
    in_flight: Arc<Semaphore>,
    pub(crate) stats: Arc<OtlpStats>,
}

/// The daemon cannot take a request now: it is to be sent again after [`RETRY_AFTER`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Throttled;

impl Intake {
    /// A place to work on one request now, or `None` (throttle it): checked before its body is
    /// read, so a busy daemon does not read 5 MB to refuse it.
    pub(crate) fn begin(&self) -> Option<OwnedSemaphorePermit> {
        if self.pending.throttled_first() || !self.pending.has_room() {
            return None;
        }
        self.in_flight.clone().try_acquire_owned().ok()
    }

    /// Translates a request and hands its documents to the daemon; the answer, with the spans
    /// the translation rejected as a partial success. Counts what happened.
    pub(crate) fn accept(
        &self,
        request: &ExportTraceServiceRequest,
    ) -> Result<ExportTraceServiceResponse, Throttled> {
        let t = translate::translate(request);
        let bytes = t.documents.iter().map(footprint).sum();
        let Some(ticket) = self.pending.reserve(bytes) else {
            self.stats.throttle();
            return Err(Throttled);
        };
        let rejected = t.rejected.len();
        let export = Export {
            documents: t.documents,
            spans: t.spans.saturating_sub(rejected) as u64,
            _ticket: ticket,
        };
        if !(self.submit)(export) {
            self.stats.throttle();
            return Err(Throttled);
        }
        self.stats.requests.fetch_add(1, Relaxed);
        self.stats.spans.fetch_add(t.spans as u64, Relaxed);
        self.stats.rejected.fetch_add(rejected as u64, Relaxed);
        let partial_success = (rejected > 0).then(|| {
            let message = rejected_message(&t.rejected);
            self.stats.problem(message.clone());
            ExportTracePartialSuccess {
                rejected_spans: rejected as i64,
                error_message: message,
            }
        });
        Ok(ExportTraceServiceResponse { partial_success })
    }
}

/// Reasons named in a partial success's message, at most.
const REASONS_SHOWN: usize = 3;

/// `2 of the spans could not be shown as X-Ray segments: NAME ID: why; ...`, the first few.
fn rejected_message(rejected: &[translate::Rejected]) -> String {
    let mut m = format!(
        "{} span{} could not become X-Ray segment documents: ",
        rejected.len(),
        if rejected.len() == 1 { "" } else { "s" }
    );
    for (i, r) in rejected.iter().take(REASONS_SHOWN).enumerate() {
        if i > 0 {
            m.push_str("; ");
        }
        m.push_str(&crate::model::format::shorten_middle(
            &format!("{}: {}", r.span, r.reason),
            200,
        ));
    }
    if rejected.len() > REASONS_SHOWN {
        m.push_str(&format!("; and {} more", rejected.len() - REASONS_SHOWN));
    }
    m
}

/// Where one protocol listens.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Endpoint {
    /// Not asked for.
    #[default]
    Off,
    /// Listening here.
    Listening(SocketAddr),
    /// The address asked for could not be bound.
    Failed {
        /// The address asked for.
        addr: SocketAddr,
        /// Why, from the OS.
        error: String,
    },
}

impl Endpoint {
    /// The address listened on, if any.
    pub fn addr(&self) -> Option<SocketAddr> {
        match self {
            Endpoint::Listening(a) => Some(*a),
            _ => None,
        }
    }

    /// Binds `addr` (`None`: off); a failure is kept, not returned: the daemon goes on
    /// without this protocol.
    pub fn bind(addr: Option<SocketAddr>) -> (Endpoint, Option<std::net::TcpListener>) {
        let Some(addr) = addr else {
            return (Endpoint::Off, None);
        };
        match std::net::TcpListener::bind(addr).and_then(|l| Ok((l.local_addr()?, l))) {
            Ok((at, l)) => (Endpoint::Listening(at), Some(l)),
            Err(e) => (
                Endpoint::Failed {
                    addr,
                    error: e.to_string(),
                },
                None,
            ),
        }
    }
}

/// The receiver: both servers on one thread running a current-thread tokio runtime. Stopped
/// by [`Receiver::stop`] (or by dropping it, without waiting).
#[derive(Debug)]
pub struct Receiver {
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Receiver {
    /// Serves OTLP/HTTP on `http` and OTLP/gRPC on `grpc` (either may be `None`), handing
    /// accepted requests to `submit`.
    pub fn start(
        http: Option<std::net::TcpListener>,
        grpc: Option<std::net::TcpListener>,
        limits: QueueLimits,
        submit: Submit,
        stats: Arc<OtlpStats>,
    ) -> io::Result<Receiver> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .max_blocking_threads(MAX_IN_FLIGHT)
            .build()?;
        let (http, grpc) = {
            let _in = runtime.enter();
            let tokio = |l: Option<std::net::TcpListener>| -> io::Result<_> {
                l.map(|l| {
                    l.set_nonblocking(true)?;
                    tokio::net::TcpListener::from_std(l)
                })
                .transpose()
            };
            (tokio(http)?, tokio(grpc)?)
        };
        let intake = Arc::new(Intake {
            submit,
            pending: Arc::new(Pending {
                throttle_left: AtomicUsize::new(limits.throttle_first),
                limits,
                held: Mutex::new((0, 0)),
            }),
            in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            stats,
        });
        let (shutdown, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("xray-otlp".into())
            .spawn(move || {
                // Behind the UDP receive thread, like the parser (the blocking pool's threads
                // are started from this one and inherit it).
                crate::source::daemon::run_behind_receive();
                runtime.block_on(async move {
                    let http = async {
                        match http {
                            Some(l) => http::serve(l, intake.clone()).await,
                            None => std::future::pending().await,
                        }
                    };
                    let grpc = async {
                        match grpc {
                            Some(l) => grpc::serve(l, intake.clone()).await,
                            None => std::future::pending().await,
                        }
                    };
                    tokio::select! {
                        // Sent, or the `Receiver` dropped.
                        _ = stopped => {}
                        () = http => {}
                        () = grpc => {}
                    }
                });
                // Every connection task goes with the runtime: their sockets close now, and
                // the daemon's queue loses this sender.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })?;
        Ok(Receiver {
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// Stops serving, closes every connection and waits for the thread.
    pub fn stop(mut self) {
        self.shutdown.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.shutdown.take();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intake(limits: QueueLimits, take: bool) -> Intake {
        Intake {
            submit: Arc::new(move |_| take),
            pending: Arc::new(Pending {
                throttle_left: AtomicUsize::new(limits.throttle_first),
                limits,
                held: Mutex::new((0, 0)),
            }),
            in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            stats: Arc::default(),
        }
    }

    #[test]
    fn the_queue_budget_takes_one_large_request_alone_and_gives_back_on_drop() {
        let p = Arc::new(Pending {
            limits: QueueLimits {
                requests: 2,
                bytes: 100,
                throttle_first: 0,
            },
            held: Mutex::new((0, 0)),
            throttle_left: AtomicUsize::new(0),
        });
        let big = p.reserve(500).expect("alone, a large request is taken");
        assert!(p.reserve(1).is_none(), "nothing more past the bytes");
        assert!(!p.has_room());
        drop(big);
        let a = p.reserve(60).expect("a");
        assert!(p.reserve(60).is_none(), "60 + 60 > 100");
        let b = p.reserve(40).expect("b");
        assert!(p.reserve(0).is_none(), "two requests held");
        drop((a, b));
        assert!(p.has_room());
        assert_eq!(*p.held.lock().expect("held"), (0, 0));
    }

    #[test]
    fn a_full_queue_throttles_and_counts() {
        let req = ExportTraceServiceRequest::default();
        let full = intake(QueueLimits::default(), false);
        assert_eq!(full.accept(&req), Err(Throttled));
        assert_eq!(full.stats.throttled.load(Relaxed), 1);
        assert_eq!(full.stats.requests.load(Relaxed), 0);
        let none = intake(
            QueueLimits {
                requests: 0,
                bytes: 1,
                throttle_first: 0,
            },
            true,
        );
        assert!(none.begin().is_none());
        assert_eq!(none.accept(&req), Err(Throttled));
        let first = intake(
            QueueLimits {
                throttle_first: 2,
                ..QueueLimits::default()
            },
            true,
        );
        assert!(first.begin().is_none() && first.begin().is_none());
        assert!(first.begin().is_some(), "only the first two");
        let ok = intake(QueueLimits::default(), true);
        assert!(ok.begin().is_some());
        assert_eq!(ok.accept(&req), Ok(ExportTraceServiceResponse::default()));
        assert_eq!(ok.stats.requests.load(Relaxed), 1);
    }

    #[test]
    fn a_partial_success_names_the_first_reasons() {
        let r = |i: usize| translate::Rejected {
            span: format!("span-{i}"),
            reason: "bad".into(),
        };
        let m = rejected_message(&(0..5).map(r).collect::<Vec<_>>());
        assert_eq!(
            m,
            "5 spans could not become X-Ray segment documents: span-0: bad; span-1: bad; \
             span-2: bad; and 2 more"
        );
    }
}
