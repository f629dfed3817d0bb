//! The local daemon: `xray-tui listen` stands in for the X-Ray daemon on a developer's machine,
//! so an app instrumented with any X-Ray SDK shows its traces live, with no AWS account.
//!
//! ## Why it is built this way
//!
//! SDKs send one UDP datagram per document and never retry, so a datagram the kernel cannot
//! queue is lost for good. Measurements on a 2-core box (`docs/benchmarks.md`) show that the
//! kernel's default socket buffer (208 KiB) loses datagrams even at 50 k/s, and that parsing an
//! 8 KB document into the typed model costs ~5 µs and assembling its trace as much again, far
//! more than receiving it (~1.3 µs). So:
//!
//! - the socket asks for a large receive buffer ([`DEFAULT_RECV_BUFFER`], 16 MiB) and reports
//!   the size the kernel granted;
//! - the **receive thread does no parsing**: it reads datagrams straight into a batch buffer
//!   (reused through a pool) and hands full batches to a parser thread over a **bounded**
//!   queue; when the queue is full the batch is dropped and counted, never queued without
//!   bound, and the receive thread never waits on anything else;
//! - the parser thread checks each datagram ([`datagram::check_datagram`]: header, UTF-8,
//!   well-formed JSON, the required fields), files a copy of each accepted document in the
//!   [`LiveStore`], which groups them by trace (one copy per document ID, each trace within
//!   X-Ray's limits) and evicts the oldest trace beyond a limit, so memory stays bounded,
//!   hands the same copies to the `--save` thread ([`save::SaveThread`]), which turns them
//!   into lines and writes them, and hands the batch buffer straight back (had
//!   documents kept views of it, the receive thread would allocate new buffers all the time,
//!   and under that churn glibc's heap trimming stalled it long enough to lose 8 KB datagrams);
//! - typed parsing and assembly (~10 µs a trace, several times the check) happen lazily, every
//!   100 ms, and only once a second under heavy load, so a flood is received whole first;
//! - sampling requests on TCP ([`sampling`]) are served by hyper on a small tokio runtime on
//!   a thread of its own, with every input bounded, so no client can slow the UDP threads;
//! - OTLP exports ([`crate::source::otlp`], on a runtime and thread of their own) come into the
//!   parser's queue as a second kind of input: their documents are filed, saved and forwarded
//!   by the same loop as datagrams. OTLP exporters retry, so when the queue cannot take a
//!   request it is refused with a retry delay rather than dropped.
//!
//! A UI gets a [`Daemon`] from [`Daemon::start`] and reads [`Daemon::stats`] and
//! [`Daemon::store`]; [`Daemon::stop`] stops every thread and flushes `--save`. The app does
//! not read them itself: [`pump`] sends the daemon's counters and snapshots through the
//! source seam, like every other source.

pub mod addr;
pub mod datagram;
pub mod forward;
pub mod pump;
pub mod sampling;
pub mod save;
pub mod stats;
pub mod store;

use std::io;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};

use crate::engine::dataset::Dataset;
use crate::source::otlp::receive::{self as otlp, Endpoint};

pub use crate::source::DaemonStats;
pub use addr::{DaemonAddress, parse_address};
pub use datagram::{DatagramError, MAX_DATAGRAM, parse_datagram};
pub use sampling::SamplingRules;
pub use stats::Stats;
pub use store::LiveStore;

/// The socket receive buffer asked for by default (16 MiB).
pub const DEFAULT_RECV_BUFFER: usize = 16 * 1024 * 1024;

/// How the daemon runs.
#[derive(Debug, Clone)]
pub struct DaemonOptions {
    /// Where to listen.
    pub address: DaemonAddress,
    /// `SO_RCVBUF` to ask for.
    pub recv_buffer: usize,
    /// Traces kept before the oldest is evicted, and what one trace may hold.
    pub limits: store::TraceLimits,
    /// Append accepted documents here as NDJSON.
    pub save: Option<PathBuf>,
    /// Rules served to SDKs; `None` disables the TCP sampling endpoint.
    pub sampling: Option<SamplingRules>,
    /// Memory for datagrams waiting to be parsed, in bytes: the parser queue holds this much
    /// (in batch buffers of about 320 KiB) before the receive thread drops. Like the X-Ray
    /// daemon's `--buffer-memory`, it absorbs a burst the parser cannot keep up with at once.
    pub buffer_memory: usize,
    /// Also upload accepted documents to AWS X-Ray (`PutTraceSegments`).
    pub forward: bool,
    /// Only receive and count: no parsing, no store (the benchmark's bare loop).
    pub bare: bool,
    /// The OTLP receiver; `None` (the default here) leaves it off.
    pub otlp: Option<OtlpOptions>,
}

/// Where the OTLP receiver listens and what its requests may hold in the parser queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtlpOptions {
    /// OTLP/HTTP (`None`: off).
    pub http: Option<SocketAddr>,
    /// OTLP/gRPC (`None`: off).
    pub grpc: Option<SocketAddr>,
    /// What waiting OTLP requests may hold; past it they are throttled.
    pub queue: otlp::QueueLimits,
}

impl Default for OtlpOptions {
    /// The OpenTelemetry exporters' defaults, on loopback.
    fn default() -> Self {
        Self {
            http: Some(SocketAddr::from(([127, 0, 0, 1], 4318))),
            grpc: Some(SocketAddr::from(([127, 0, 0, 1], 4317))),
            queue: otlp::QueueLimits::default(),
        }
    }
}

impl Default for DaemonOptions {
    fn default() -> Self {
        Self {
            address: DaemonAddress::default(),
            recv_buffer: DEFAULT_RECV_BUFFER,
            limits: store::TraceLimits::default(),
            save: None,
            sampling: Some(SamplingRules::default()),
            buffer_memory: default_buffer_memory(),
            forward: false,
            bare: false,
            otlp: None,
        }
    }
}

/// The least `--buffer-memory` (the X-Ray daemon's minimum, 3 MB).
pub const MIN_BUFFER_MEMORY: usize = 3 * 1000 * 1000;

/// What the parser queue holds by default: as the X-Ray daemon, 1% of the host's memory
/// (64 MiB where it cannot be read), at least [`MIN_BUFFER_MEMORY`].
pub fn default_buffer_memory() -> usize {
    #[cfg(target_os = "linux")]
    // `totalram` is a C `unsigned long`: 32 bits on some targets.
    #[allow(clippy::useless_conversion)]
    let total = {
        let info = rustix::system::sysinfo();
        usize::try_from(u64::from(info.totalram).saturating_mul(u64::from(info.mem_unit)))
            .unwrap_or(usize::MAX)
    };
    #[cfg(not(target_os = "linux"))]
    let total = 6400 * 1024 * 1024;
    (total / 100).max(MIN_BUFFER_MEMORY)
}

/// Batches the parser queue holds for `buffer_memory` bytes (each batch buffer is
/// the receive batch limit plus room for one more datagram, however full).
pub fn queue_batches(buffer_memory: usize) -> usize {
    (buffer_memory.max(MIN_BUFFER_MEMORY) / BATCH_BUFFER).max(1)
}

/// A batch is handed to the parser at this many bytes...
pub const BATCH_BYTES: usize = 256 * 1024;
/// ...or this many datagrams...
const BATCH_COUNT: usize = 512;
/// ...or when its first datagram is this old, or when the socket is idle this long.
const BATCH_AGE: Duration = Duration::from_millis(2);
/// A batch buffer: room for a full batch plus one more datagram of the largest kind (and the
/// byte that tells an oversize datagram), so the receive thread reads straight into it.
const BATCH_BUFFER: usize = BATCH_BYTES + MAX_DATAGRAM + 1;
/// Emptied batches kept for reuse (the parser hands each back once it has copied the
/// documents out).
const POOL_BUFFERS: usize = 64;
/// How often the parser re-assembles changed traces...
const REFRESH_EVERY: Duration = Duration::from_millis(100);
/// ...and how often under heavy load (datagrams queued, or more than [`BUSY_RATE`] a second):
/// ingest first, so a flood is received whole and shown a second later.
const REFRESH_UNDER_LOAD: Duration = Duration::from_secs(1);
/// Datagrams a second above which the parser counts as under heavy load (a busy developer
/// machine sends hundreds; a load test, tens of thousands).
const BUSY_RATE: f64 = 20_000.0;
/// No batch for this long: the flood is over.
const QUIET: Duration = Duration::from_millis(20);

/// Datagrams received together, back to back in one buffer that the receive thread reads
/// into directly (no copy per datagram). The parser copies each accepted document out and
/// sends the buffer back at once, so under steady load the receive thread never allocates.
#[derive(Debug)]
struct Batch {
    /// [`BATCH_BUFFER`] bytes, initialized once and reused through the pool; the first `used`
    /// hold datagrams.
    buf: Vec<u8>,
    used: usize,
    /// Where each datagram ends in `buf`.
    ends: Vec<usize>,
}

impl Batch {
    /// An empty batch: one handed back by the parser, else a new one.
    fn new(pool: &Receiver<Batch>) -> Batch {
        match pool.try_recv() {
            Ok(b) if b.buf.len() == BATCH_BUFFER => b,
            _ => Batch {
                // calloc'd: pages are only touched as datagrams fill them.
                buf: vec![0; BATCH_BUFFER],
                used: 0,
                ends: Vec::with_capacity(BATCH_COUNT),
            },
        }
    }

    /// The same buffers, emptied for reuse.
    fn recycled(mut self) -> Batch {
        self.used = 0;
        self.ends.clear();
        self
    }
}

/// What the parser thread takes from its queue.
#[derive(Debug)]
enum Input {
    /// Datagrams from the receive thread.
    Datagrams(Batch),
    /// One OTLP request's documents.
    Otlp(otlp::Export),
}

/// The datagrams of a batch, in order.
fn datagrams<'a>(data: &'a [u8], ends: &'a [usize]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut start = 0;
    ends.iter().map(move |&end| {
        let d = data.get(start..end).unwrap_or_default();
        start = end;
        d
    })
}

/// A running daemon.
#[derive(Debug)]
pub struct Daemon {
    udp: SocketAddr,
    tcp: Option<SocketAddr>,
    recv_buffer: usize,
    stats: Arc<Stats>,
    /// The kernel's count of datagrams dropped for the socket (its buffer was full).
    drops: Option<stats::SocketDrops>,
    /// The sampling endpoint's rules and what SDKs reported for them.
    sampler: Option<Arc<sampling::Sampler>>,
    store: Arc<Mutex<LiveStore>>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    sampling: Option<sampling::Server>,
    /// Where OTLP is received, or why not, and the receiver (boxed: rarely read).
    otlp: Box<OtlpSide>,
}

#[derive(Debug)]
struct OtlpSide {
    http: Endpoint,
    grpc: Endpoint,
    receiver: Option<otlp::Receiver>,
}

impl Daemon {
    /// Binds the sockets and starts the receive, parser and sampling threads.
    pub fn start(opts: DaemonOptions) -> io::Result<Daemon> {
        let socket = Socket::new(
            Domain::for_address(opts.address.udp),
            Type::DGRAM,
            Some(Protocol::UDP),
        )?;
        // Ask for the big buffer; the kernel may grant less (rmem_max). Report what we got.
        let _ = socket.set_recv_buffer_size(opts.recv_buffer);
        let mut recv_buffer = socket.recv_buffer_size().unwrap_or(0);
        // Capped by `net.core.rmem_max`: a privileged process (root, CAP_NET_ADMIN) may go past
        // the cap with SO_RCVBUFFORCE; others keep what they got.
        #[cfg(target_os = "linux")]
        if recv_buffer < opts.recv_buffer
            && nix::sys::socket::setsockopt(
                &socket,
                nix::sys::socket::sockopt::RcvBufForce,
                &opts.recv_buffer,
            )
            .is_ok()
        {
            recv_buffer = socket.recv_buffer_size().unwrap_or(recv_buffer);
        }
        socket.bind(&opts.address.udp.into()).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot bind UDP {}: {e}", opts.address.udp),
            )
        })?;
        socket.set_read_timeout(Some(BATCH_AGE))?;
        let udp_socket: UdpSocket = socket.into();
        let udp = udp_socket.local_addr()?;
        let drops = stats::SocketDrops::of(&udp_socket);

        let stats = Arc::new(Stats::default());
        let store = Arc::new(Mutex::new(LiveStore::with_limits(opts.limits)));
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();

        let mut tcp = None;
        let mut server = None;
        let mut sampler = None;
        if let Some(rules) = opts.sampling.clone() {
            // `host:0` for both means "any free port": use the UDP port for TCP too when we can.
            let mut want = opts.address.tcp;
            if want.port() == 0 && opts.address.udp == opts.address.tcp {
                want.set_port(udp.port());
            }
            let listener = TcpListener::bind(want)
                .or_else(|e| {
                    if opts.address.tcp.port() == 0 {
                        TcpListener::bind(opts.address.tcp)
                    } else {
                        Err(e)
                    }
                })
                .map_err(|e| io::Error::new(e.kind(), format!("cannot bind TCP {want}: {e}")))?;
            tcp = Some(listener.local_addr()?);
            let s = Arc::new(sampling::Sampler::new(rules));
            sampler = Some(s.clone());
            server = Some(sampling::Server::start(listener, s, stats.clone())?);
        }

        let saver = match &opts.save {
            Some(p) => Some(save::SaveThread::start(
                save::Saver::open(p)?,
                stats.clone(),
            )?),
            None => None,
        };
        let forwarder = if opts.forward {
            let upload = forward::AwsUpload::new()?;
            Some(forward::Forwarder::start(upload, stats.forward.clone())?)
        } else {
            None
        };
        let (tx, rx) = mpsc::sync_channel::<Input>(queue_batches(opts.buffer_memory));
        // Bound before the threads start: a port in use is reported, and the daemon goes on.
        let (otlp_http, http_listener) = Endpoint::bind(opts.otlp.and_then(|o| o.http));
        let (otlp_grpc, grpc_listener) = Endpoint::bind(opts.otlp.and_then(|o| o.grpc));
        let receiver = if http_listener.is_some() || grpc_listener.is_some() {
            let tx = tx.clone();
            let submit: otlp::Submit =
                Arc::new(move |export| tx.try_send(Input::Otlp(export)).is_ok());
            Some(otlp::Receiver::start(
                http_listener,
                grpc_listener,
                opts.otlp.map(|o| o.queue).unwrap_or_default(),
                submit,
                stats.otlp.clone(),
            )?)
        } else {
            None
        };
        let (pool_tx, pool_rx) = mpsc::sync_channel::<Batch>(POOL_BUFFERS);
        {
            let (stats, stop) = (stats.clone(), stop.clone());
            threads.push(std::thread::Builder::new().name("xray-recv".into()).spawn(
                move || {
                    run_ahead();
                    receive(udp_socket, tx, pool_rx, &stats, &stop)
                },
            )?);
        }
        {
            let (stats, store) = (stats.clone(), store.clone());
            let bare = opts.bare;
            threads.push(
                std::thread::Builder::new()
                    .name("xray-parse".into())
                    .spawn(move || {
                        run_behind_receive();
                        parse(rx, pool_tx, saver, forwarder, &store, &stats, bare)
                    })?,
            );
        }
        Ok(Daemon {
            udp,
            tcp,
            recv_buffer,
            stats,
            drops,
            sampler,
            store,
            stop,
            threads,
            sampling: server,
            otlp: Box::new(OtlpSide {
                http: otlp_http,
                grpc: otlp_grpc,
                receiver,
            }),
        })
    }

    /// Where OTLP/HTTP is received, or why not.
    pub fn otlp_http(&self) -> &Endpoint {
        &self.otlp.http
    }

    /// Where OTLP/gRPC is received, or why not.
    pub fn otlp_grpc(&self) -> &Endpoint {
        &self.otlp.grpc
    }

    /// The UDP address segments are received on.
    pub fn udp_addr(&self) -> SocketAddr {
        self.udp
    }

    /// The receive buffer datagrams can fill, in bytes: what the kernel granted, without the
    /// bookkeeping share Linux adds (it reports twice the usable size).
    pub fn recv_buffer_usable(&self) -> usize {
        if cfg!(target_os = "linux") {
            self.recv_buffer / 2
        } else {
            self.recv_buffer
        }
    }

    /// The TCP address sampling requests are answered on, if enabled.
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        self.tcp
    }

    /// The socket receive buffer the kernel granted, in bytes (Linux reports twice the usable
    /// size, as `SO_RCVBUF` does).
    pub fn recv_buffer(&self) -> usize {
        self.recv_buffer
    }

    /// Where to read the datagrams the kernel dropped for this daemon's socket because its
    /// receive buffer was full (`None` where the OS does not tell).
    pub fn socket_drops(&self) -> Option<stats::SocketDrops> {
        self.drops
    }

    /// The sampling rules served to SDKs, described, and whether they are X-Ray's default;
    /// `None` when the sampling endpoint is off.
    pub fn sampling_rules(&self) -> Option<(String, bool)> {
        let rules = self.sampler.as_ref()?.rules();
        Some((rules.describe(), rules.is_default()))
    }

    /// The sampling endpoint's rules and what SDKs reported for them (`None` when it is off),
    /// for a thread that reports them.
    pub fn sampler(&self) -> Option<Arc<sampling::Sampler>> {
        self.sampler.clone()
    }

    /// The live counters.
    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    /// The traces received so far.
    pub fn store(&self) -> &Arc<Mutex<LiveStore>> {
        &self.store
    }

    /// What the app shows (see [`snapshot`]).
    pub fn snapshot(&self) -> Option<Dataset> {
        snapshot(&self.store)
    }

    /// Stops every thread, after the parser has handled all queued datagrams and flushed
    /// `--save`. Returns the final counters.
    pub fn stop(self) -> DaemonStats {
        self.stop.store(true, Relaxed);
        if let Some(s) = self.sampling {
            s.stop();
        }
        // Its queue sender goes with it, so the parser sees the queue close once the receive
        // thread is gone too, after filing what was queued.
        if let Some(r) = self.otlp.receiver {
            r.stop();
        }
        for t in self.threads {
            let _ = t.join();
        }
        self.stats.snapshot()
    }
}

/// The fewest milliseconds between two [`snapshot`]s a UI takes.
pub const SNAPSHOT_EVERY: Duration = Duration::from_millis(500);

/// How long a UI waits after a [`snapshot`] that took `cost` before taking the next: at least
/// [`SNAPSHOT_EVERY`], and long enough that snapshots use at most a tenth of a core however
/// many traces are held (the daemon shares the machine with the app it watches).
pub fn snapshot_interval(cost: Duration) -> Duration {
    SNAPSHOT_EVERY.max(cost.saturating_mul(10))
}

/// What a UI shows of `store`: the traces assembled so far and their service graph. The lock
/// is held only to copy `Arc`s; summaries are copied and the graph computed after it is
/// released, so the parser thread is never kept waiting on them.
pub fn snapshot(store: &Mutex<LiveStore>) -> Option<Dataset> {
    let shared = store::Assembled::from(&*store.lock().ok()?);
    let mut data = shared.into_dataset();
    data.graphs = vec![data.traces.graph_of_all()];
    Some(data)
}

/// The receive loop: socket → batches → bounded queue. No parsing, no locks, no waiting.
fn receive(
    socket: UdpSocket,
    tx: SyncSender<Input>,
    pool: Receiver<Batch>,
    stats: &Stats,
    stop: &AtomicBool,
) {
    let mut batch = Batch::new(&pool);
    let mut first = Instant::now();
    let (mut received, mut bytes) = (0u64, 0u64);
    let send = |batch: &mut Batch, received: &mut u64, bytes: &mut u64| {
        stats.received.fetch_add(*received, Relaxed);
        stats.bytes.fetch_add(*bytes, Relaxed);
        (*received, *bytes) = (0, 0);
        let full = std::mem::replace(batch, Batch::new(&pool));
        match tx.try_send(Input::Datagrams(full)) {
            Ok(()) => true,
            Err(TrySendError::Full(Input::Datagrams(b))) => {
                stats
                    .dropped_queue_full
                    .fetch_add(b.ends.len() as u64, Relaxed);
                // Reuse the dropped batch's buffer; the fresh one is freed.
                *batch = b.recycled();
                true
            }
            Err(TrySendError::Full(Input::Otlp(_))) => true,
            Err(TrySendError::Disconnected(_)) => false,
        }
    };
    loop {
        // Room for one more datagram of any size, plus the byte that tells an oversize one.
        let room = batch
            .buf
            .get_mut(batch.used..batch.used + MAX_DATAGRAM + 1)
            .unwrap_or_default();
        match socket.recv(room) {
            Ok(n) => {
                if batch.ends.is_empty() {
                    first = Instant::now();
                }
                batch.used += n;
                batch.ends.push(batch.used);
                received += 1;
                bytes += n as u64;
                if batch.used >= BATCH_BYTES
                    || batch.ends.len() >= BATCH_COUNT
                    || first.elapsed() >= BATCH_AGE
                {
                    // Under constant load the socket never idles: check for stop here too.
                    if !send(&mut batch, &mut received, &mut bytes) || stop.load(Relaxed) {
                        return;
                    }
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                if !batch.ends.is_empty() && !send(&mut batch, &mut received, &mut bytes) {
                    return;
                }
                if stop.load(Relaxed) {
                    return;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => {
                // e.g. ECONNREFUSED reported by a previous send on some systems; keep going.
                stats.recv_errors.fetch_add(1, Relaxed);
                if stop.load(Relaxed) {
                    return;
                }
            }
        }
    }
}

/// Where the parser files documents: the store, `--save` and `--forward`.
struct Outlets<'a> {
    store: &'a Mutex<LiveStore>,
    saver: Option<save::SaveThread>,
    forwarder: Option<forward::Forwarder>,
    stats: &'a Stats,
}

/// One document to file: its trace, its ID, whether it is in progress, and its text.
struct ToFile<'a> {
    trace_id: &'a str,
    id: &'a str,
    in_progress: bool,
    text: bytes::Bytes,
}

impl Outlets<'_> {
    /// Files documents under one hold of the store's lock, hands them to `--save` and
    /// `--forward`, and counts what the store did; returns how many were filed.
    fn file<'a>(&self, docs: impl ExactSizeIterator<Item = ToFile<'a>>) -> u64 {
        let mut st = match self.store.lock() {
            Ok(st) => st,
            Err(p) => p.into_inner(),
        };
        let (mut accepted, mut evicted, mut replaced, mut full) = (0, 0, 0, 0);
        let mut to_save = Vec::with_capacity(if self.saver.is_some() { docs.len() } else { 0 });
        for d in docs {
            if let Some(f) = &self.forwarder {
                f.push(d.trace_id, String::from_utf8_lossy(&d.text).into_owned());
            }
            if self.saver.is_some() {
                to_save.push(d.text.clone());
            }
            let (filed, gone) = st.file(d.trace_id, d.id, d.in_progress, d.text);
            match filed {
                store::Filed::Added => {}
                store::Filed::Replaced => replaced += 1,
                store::Filed::TraceFull => full += 1,
            }
            evicted += gone;
            accepted += 1;
        }
        let stats = self.stats;
        stats.evicted.fetch_add(evicted, Relaxed);
        stats.replaced.fetch_add(replaced, Relaxed);
        stats.trace_full.fetch_add(full, Relaxed);
        stats.traces.store(st.len() as u64, Relaxed);
        drop(st);
        if let Some(s) = &self.saver {
            s.send(to_save);
        }
        accepted
    }

    /// Flushes `--save` and `--forward`.
    fn finish(self) {
        if let Some(s) = self.saver {
            s.finish();
        }
        if let Some(f) = self.forwarder {
            f.finish();
        }
    }
}

/// The parser loop: batches and OTLP exports → documents → `--save` and the store.
fn parse(
    rx: Receiver<Input>,
    pool: SyncSender<Batch>,
    saver: Option<save::SaveThread>,
    forwarder: Option<forward::Forwarder>,
    store: &Mutex<LiveStore>,
    stats: &Stats,
    bare: bool,
) {
    let outlets = Outlets {
        store,
        saver,
        forwarder,
        stats,
    };
    let mut last_refresh = Instant::now();
    // Documents handled since the last refresh, and when the last input came: heavy load is
    // many documents a second that are still coming.
    let mut since_refresh = 0usize;
    let mut last_batch = Instant::now();
    // Traces are waiting to be assembled and nothing else is: assemble again at once.
    let mut catching_up = false;
    // An input taken off the queue to see whether more are waiting.
    let mut ahead: Option<Input> = None;
    loop {
        let wait = if catching_up {
            Duration::ZERO
        } else {
            REFRESH_EVERY
        };
        let input = match ahead.take() {
            Some(b) => Some(b),
            None => match rx.recv_timeout(wait) {
                Ok(b) => Some(b),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            },
        };
        match input {
            Some(Input::Datagrams(batch)) => {
                let (data, ends) = (batch.buf.get(..batch.used).unwrap_or_default(), &batch.ends);
                since_refresh += ends.len();
                last_batch = Instant::now();
                if !bare {
                    let checked = check_batch(data, ends, stats);
                    // A copy of its own (one allocation): the batch buffer goes back to the
                    // receive thread at once, not when the trace is evicted. The save thread
                    // shares it.
                    let accepted = outlets.file(checked.iter().map(|c| ToFile {
                        trace_id: &c.trace_id,
                        id: &c.id,
                        in_progress: c.in_progress,
                        text: bytes::Bytes::copy_from_slice(c.doc.as_bytes()),
                    }));
                    stats.accepted.fetch_add(accepted, Relaxed);
                }
                let _ = pool.try_send(batch.recycled());
            }
            Some(Input::Otlp(mut export)) => {
                since_refresh += export.documents.len();
                last_batch = Instant::now();
                let spans = export.spans;
                // The text moves into the store (no copy); the IDs are borrowed.
                outlets.file(export.documents.iter_mut().map(|d| {
                    let otlp::Document {
                        json,
                        trace_id,
                        id,
                        in_progress,
                    } = d;
                    let (trace_id, id): (&String, &String) = (trace_id, id);
                    ToFile {
                        trace_id,
                        id,
                        in_progress: *in_progress,
                        text: bytes::Bytes::from(std::mem::take(json)),
                    }
                }));
                stats.otlp.count_filed(spans);
                // Its place in the queue's OTLP budget is given back here.
                drop(export);
            }
            None => {}
        }
        let since = last_refresh.elapsed();
        if !bare && (since >= REFRESH_EVERY || catching_up) {
            // Ingest comes first: under heavy load, assemble only every REFRESH_UNDER_LOAD
            // for a fiftieth of the thread. Otherwise assemble in slices of at most
            // REFRESH_EVERY / 2 (the longest a batch waits), back to back while traces are
            // waiting, so a backlog left by a burst is shown soon after the burst ends.
            let waiting = match rx.try_recv() {
                Ok(b) => {
                    ahead = Some(b);
                    true
                }
                Err(_) => false,
            };
            let flood = last_batch.elapsed() < QUIET
                && since_refresh as f64 >= BUSY_RATE * since.max(REFRESH_EVERY).as_secs_f64();
            let busy = waiting || flood;
            catching_up = false;
            if !busy || since >= REFRESH_UNDER_LOAD {
                last_refresh = Instant::now();
                since_refresh = 0;
                let budget = if busy {
                    REFRESH_UNDER_LOAD / 50
                } else {
                    REFRESH_EVERY / 2
                };
                catching_up = refresh(store, stats, Some(budget)) && !busy;
            }
        }
    }
    outlets.finish();
    let _ = refresh(store, stats, None);
}

/// How much lower than the process the threads behind the receive thread run (a nice value;
/// Linux keeps one per thread). A datagram the receive thread does not read in time is lost
/// for good, while the parser and `--save` catch up from their queues: on a busy machine (the
/// app under load on the same cores) the receive thread must get a core the moment it wakes.
/// Measured on two cores (`docs/benchmarks.md`, daemon rows): 5 starved the parser behind a
/// busy sender; 2 keeps both fed.
const BEHIND_RECEIVE: i32 = 2;

/// The nice value the receive thread asks for: above the rest of the machine, where allowed
/// (root, `CAP_SYS_NICE` or `RLIMIT_NICE`, as in most containers); elsewhere it stays at the
/// process's own and only the threads behind it step back.
const RECEIVE_NICE: i32 = -5;

/// Raises the calling thread's priority to [`RECEIVE_NICE`] if allowed (best effort; Linux
/// only).
fn run_ahead() {
    #[cfg(target_os = "linux")]
    {
        let now = rustix::process::getpriority_process(None).unwrap_or(0);
        if now > RECEIVE_NICE {
            let _ = rustix::process::setpriority_process(None, RECEIVE_NICE);
        }
    }
}

/// Lowers the calling thread's priority by [`BEHIND_RECEIVE`] (best effort; Linux only).
pub(crate) fn run_behind_receive() {
    #[cfg(target_os = "linux")]
    {
        let now = rustix::process::getpriority_process(None).unwrap_or(0);
        let _ = rustix::process::setpriority_process(None, now + BEHIND_RECEIVE);
    }
}

/// Checks every datagram of a batch ([`datagram::check_datagram`]), counting the rejected
/// ones; returns the accepted documents in order, borrowed from the batch. On this thread:
/// spreading the check over a pool cost more in hand-overs (futex waits, wake-ups) than it
/// gained on two cores.
fn check_batch<'a>(data: &'a [u8], ends: &'a [usize], stats: &Stats) -> Vec<datagram::Checked<'a>> {
    datagrams(data, ends)
        .filter_map(|d| match datagram::check_datagram(d) {
            Ok(c) => Some(c),
            Err(e) => {
                stats.reject(e, d);
                None
            }
        })
        .collect()
}

/// Assembles changed traces; documents that fail the typed parse are counted as rejected.
/// Returns whether traces are still due (the budget ran out).
fn refresh(store: &Mutex<LiveStore>, stats: &Stats, budget: Option<Duration>) -> bool {
    let r = match store.lock() {
        Ok(mut st) => st.refresh_within(budget),
        Err(_) => return false,
    };
    for (doc, why) in r.bad {
        stats.unparsed(why, doc.as_bytes());
    }
    r.more
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_is_read_back_datagram_by_datagram_and_reused_empty() {
        let (pool_tx, pool_rx) = mpsc::sync_channel(4);
        let mut b = Batch::new(&pool_rx);
        for d in [&b"first"[..], b"", b"last"] {
            b.buf[b.used..b.used + d.len()].copy_from_slice(d);
            b.used += d.len();
            b.ends.push(b.used);
        }
        let got: Vec<&[u8]> = datagrams(&b.buf[..b.used], &b.ends).collect();
        assert_eq!(got, [&b"first"[..], b"", b"last"]);
        pool_tx.try_send(b.recycled()).expect("pool");
        let again = Batch::new(&pool_rx);
        assert_eq!((again.used, again.ends.len()), (0, 0));
        assert_eq!(again.buf.len(), BATCH_BUFFER);
        assert!(again.ends.capacity() >= 3, "the same buffers, not new ones");
        assert!(pool_rx.try_recv().is_err());
    }

    /// Many traces through a real socket, more than the trace limit, so batch buffers are
    /// recycled many times over while kept traces hold documents received in them: every kept
    /// trace must still hold exactly the document sent for it.
    #[test]
    fn documents_survive_buffer_reuse_and_eviction() {
        let daemon = Daemon::start(DaemonOptions {
            address: DaemonAddress {
                udp: "127.0.0.1:0".parse().expect("addr"),
                tcp: "127.0.0.1:0".parse().expect("addr"),
            },
            sampling: None,
            limits: store::TraceLimits {
                traces: 300,
                ..store::TraceLimits::default()
            },
            ..DaemonOptions::default()
        })
        .expect("daemon");
        let sock = UdpSocket::bind("127.0.0.1:0").expect("client");
        sock.connect(daemon.udp_addr()).expect("connect");
        let pad = "p".repeat(700);
        let sent = 3000;
        for i in 0..sent {
            let d = format!(
                "{{\"format\":\"json\",\"version\":1}}\n{{\"trace_id\":\"1-5f84c7a1-{i:024x}\",\
                 \"id\":\"{i:016x}\",\"name\":\"svc-{i}\",\"start_time\":{i},\"end_time\":{},\
                 \"metadata\":{{\"default\":{{\"pad\":\"{pad}\"}}}}}}",
                i + 1
            );
            sock.send(d.as_bytes()).expect("send");
            if i % 200 == 199 {
                // Let the receive thread keep up: this test is about buffers, not loss.
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        let store = daemon.store().clone();
        let stats = daemon.stop();
        assert_eq!(stats.received, sent, "{stats}");
        assert_eq!(stats.accepted, sent, "{stats}");
        assert_eq!(stats.evicted, sent - 300, "{stats}");
        let data = store.lock().expect("store").dataset();
        assert_eq!(data.traces.len(), 300);
        for (n, t) in data.traces.iter().enumerate() {
            let i = sent as usize - 300 + n;
            assert_eq!(t.id, format!("1-5f84c7a1-{i:024x}"));
            let seg = &t.nodes[0].doc;
            assert_eq!(seg.id, format!("{i:016x}"));
            assert_eq!(seg.name, format!("svc-{i}"));
        }
    }
}
