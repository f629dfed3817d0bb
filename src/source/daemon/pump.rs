//! The daemon as a source of the app: a pump thread that turns the daemon's counters and
//! snapshots into [`Update`]s, so the app sees the daemon through the same seam as files and
//! AWS, and all the work of a snapshot happens here, never on the UI thread.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::thread;
use std::time::{Duration, Instant};

use super::{Daemon, DaemonOptions, datagram, snapshot, snapshot_interval};
use crate::source::otlp::receive::Endpoint;
use crate::source::{DaemonFeed, DaemonStats, Feed, Request, Sink, Snapshot, Update};

/// How often the pump looks at the daemon.
const PUMP_EVERY: Duration = Duration::from_millis(250);

/// A running daemon with its pump.
pub struct Pumped {
    daemon: Daemon,
    stop: Arc<AtomicBool>,
    /// The generation snapshots carry: that of the last [`Request::Load`].
    generation: Arc<AtomicU64>,
    /// Set by a [`Request::Load`]: send a snapshot on the next round even if nothing changed.
    resend: Arc<AtomicBool>,
    pump: Option<thread::JoinHandle<()>>,
}

impl Pumped {
    /// Starts the daemon and its pump; counters go to `sink` every round (when they change
    /// the app redraws), snapshots when what the store shows changed, paced by
    /// [`snapshot_interval`].
    pub fn start(opts: DaemonOptions, sink: Sink) -> io::Result<Pumped> {
        let daemon = Daemon::start(opts)?;
        let drops = daemon.socket_drops();
        let stop = Arc::new(AtomicBool::new(false));
        let generation = Arc::new(AtomicU64::new(0));
        let resend = Arc::new(AtomicBool::new(false));
        let pump = spawn(
            &daemon,
            drops,
            sink,
            Arc::clone(&stop),
            Arc::clone(&generation),
            Arc::clone(&resend),
        )?;
        Ok(Pumped {
            daemon,
            stop,
            generation,
            resend,
            pump: Some(pump),
        })
    }

    /// The running daemon.
    pub fn daemon(&self) -> &Daemon {
        &self.daemon
    }

    /// A load asks for the current snapshot again under its generation; nothing else applies.
    pub fn send(&self, request: Request) {
        if let Request::Load { generation } = request {
            self.generation.store(generation, Relaxed);
            self.resend.store(true, Relaxed);
        }
    }

    /// Stops the pump, then the daemon (flushing `--save`); the final counters.
    pub fn stop(mut self) -> DaemonStats {
        self.stop.store(true, Relaxed);
        if let Some(p) = self.pump.take() {
            let _ = p.join();
        }
        self.daemon.stop()
    }
}

fn spawn(
    daemon: &Daemon,
    drops: Option<super::stats::SocketDrops>,
    sink: Sink,
    stop: Arc<AtomicBool>,
    generation: Arc<AtomicU64>,
    resend: Arc<AtomicBool>,
) -> io::Result<thread::JoinHandle<()>> {
    let stats = Arc::clone(daemon.stats());
    let store = Arc::clone(daemon.store());
    let (udp, tcp, recv_buffer) = (
        daemon.udp_addr(),
        daemon.tcp_addr(),
        daemon.recv_buffer_usable(),
    );
    let sampling = daemon.sampling_rules();
    let (otlp_http, otlp_grpc) = (
        daemon.otlp_http().addr().map(|a| a.to_string()),
        daemon.otlp_grpc().addr().map(|a| a.to_string()),
    );
    let otlp_unbound: Vec<String> = [
        ("OTLP/HTTP", "--otlp-http", daemon.otlp_http()),
        ("OTLP/gRPC", "--otlp-grpc", daemon.otlp_grpc()),
    ]
    .iter()
    .filter_map(|(protocol, flag, e)| match e {
        Endpoint::Failed { addr, error } => Some(format!(
            "{protocol} is off: cannot listen on {addr} ({error}); see {flag}"
        )),
        _ => None,
    })
    .collect();
    let sampler = daemon.sampler();
    thread::Builder::new()
        .name("xray-daemon-pump".into())
        .spawn(move || {
            let mut version = 0;
            let mut next_snapshot = Instant::now();
            while !stop.load(Relaxed) {
                let recent = stats
                    .recent_rejects()
                    .iter()
                    .map(|r| {
                        format!(
                            "{}{} ({} B): {}",
                            if r.unparsed { "unparsed: " } else { "" },
                            r.error,
                            r.size,
                            datagram::shorten(&r.preview, 100)
                        )
                    })
                    .collect();
                sink(Update::Feed(Feed::Daemon(Box::new(DaemonFeed {
                    udp: udp.to_string(),
                    tcp: tcp.map(|a| a.to_string()),
                    recv_buffer,
                    stats: stats.snapshot(),
                    kernel_drops: drops.and_then(|d| d.read()),
                    recent,
                    save_error: stats.save_error(),
                    sampling: sampling.as_ref().map(|(d, _)| d.clone()),
                    default_sampling: sampling.as_ref().is_some_and(|(_, d)| *d),
                    sampling_counts: sampler
                        .as_ref()
                        .map(|s| s.rule_counts())
                        .unwrap_or_default(),
                    otlp_http: otlp_http.clone(),
                    otlp_grpc: otlp_grpc.clone(),
                    otlp_unbound: otlp_unbound.clone(),
                    otlp_problem: stats.otlp.last_problem(),
                }))));
                let forced = resend.swap(false, Relaxed);
                let due = forced || Instant::now() >= next_snapshot;
                let current = store.lock().map(|s| s.version()).unwrap_or(version);
                if due && (forced || current != version) {
                    version = current;
                    let started = Instant::now();
                    let data = snapshot(&store);
                    next_snapshot = started + snapshot_interval(started.elapsed());
                    if let Some(data) = data {
                        sink(Update::Snapshot(Snapshot {
                            generation: generation.load(Relaxed),
                            data: Arc::new(data),
                        }));
                    }
                }
                thread::sleep(PUMP_EVERY);
            }
        })
}
