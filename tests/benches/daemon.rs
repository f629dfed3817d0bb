//! Daemon ingest benchmark: UDP datagrams over loopback into the daemon running in-process,
//! through the full path (receive, parse, store by trace, assemble) next to a bare receive loop
//! (receive and count only), at paced rates and unpaced.
//!
//! Run: `cargo bench --bench daemon` (about a minute). `-- --micro`: per-document CPU cost
//! without sockets; `-- --burst`: 100 000 datagrams at once, then how soon the app shows them
//! all. Options after `--`:
//! `--seconds S` (per run, default 2), `--sizes 1024,8192`, `--rates 50000,100000,200000,0`
//! (0 = unpaced), `--with-app` (also the full path while the app is open: the pump's
//! snapshots go through the real `App::update` and its screen is drawn, as when
//! `xray-tui listen` runs in a terminal), `--padded` (every mode: the document used before
//! issue #13, padded to the size with one long string, which serde skips at memchr speed; by
//! default each datagram is a realistic segment from the scale generator `tests/benches/gen.rs`,
//! at most the size: about 20 subsegments in 8 KB, no padding, and rows show its actual size).
//! Results and how to read them: `docs/benchmarks.md`, "Daemon ingest".

use std::net::UdpSocket;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use xray_tui::model::trace::NodeKind;
use xray_tui::source::daemon::{Daemon, DaemonAddress, DaemonOptions};

#[path = "gen.rs"]
#[allow(dead_code)]
mod scale_gen;

#[path = "udp_pace.rs"]
#[allow(dead_code)]
mod udp_pace;
use udp_pace::{Plan, send_paced, set_trace_id};

const HEADER: &str = "{\"format\":\"json\",\"version\":1}\n";

/// Datagrams are the scale generator's realistic segments (not `--padded`).
static REALISTIC: AtomicBool = AtomicBool::new(true);

/// A datagram whose trace ID digits start at the returned offset: the generator's realistic
/// segment of at most `size` bytes, or with `--padded` exactly `size` bytes, padded.
fn template(size: usize) -> (Vec<u8>, usize) {
    if REALISTIC.load(Ordering::Relaxed) {
        return scale_gen::datagram(scale_gen::DEFAULT_SEED, size);
    }
    let head = format!(
        "{HEADER}{{\"trace_id\":\"1-5f84c7a1-000000000000000000000000\",\"id\":\"70de5b6f19ff9a0a\",\
         \"name\":\"orders-api\",\"start_time\":1700000000.123,\"end_time\":1700000000.456,\
         \"http\":{{\"request\":{{\"method\":\"GET\",\"url\":\"https://api.example.com/orders/42\"}},\
         \"response\":{{\"status\":200,\"content_length\":512}}}},\
         \"aws\":{{\"xray\":{{\"sdk\":\"X-Ray for Python\",\"sdk_version\":\"2.15.0\"}}}},\
         \"annotations\":{{\"customer_tier\":\"gold\",\"order_id\":42}},\
         \"subsegments\":[{{\"id\":\"1111111111111111\",\"name\":\"DynamoDB\",\"namespace\":\"aws\",\
         \"start_time\":1700000000.2,\"end_time\":1700000000.3,\
         \"aws\":{{\"operation\":\"GetItem\",\"table_name\":\"orders\"}}}}],\
         \"metadata\":{{\"default\":{{\"pad\":\""
    );
    let tail = "\"}}}";
    let at = head.find("000000000000000000000000").unwrap_or(0);
    let pad = size.saturating_sub(head.len() + tail.len());
    let mut d = head.into_bytes();
    d.extend(std::iter::repeat_n(b'x', pad));
    d.extend_from_slice(tail.as_bytes());
    (d, at)
}

/// Gives the document's segment (its first `"id"`) the ID `n`, in hex.
fn set_segment_id(d: &mut [u8], n: u64) {
    let Some(at) = d.windows(6).position(|w| w == b"\"id\":\"").map(|p| p + 6) else {
        return;
    };
    if let Some(id) = d.get_mut(at..at + 16) {
        for (k, b) in id.iter_mut().rev().enumerate() {
            *b = b"0123456789abcdef"[((n >> (4 * k)) & 15) as usize];
        }
    }
}

struct Row {
    mode: String,
    size: usize,
    rate: u64,
    sent: u64,
    got: u64,
    secs: f64,
    send_secs: f64,
    dropped: u64,
    kernel: Option<u64>,
    granted: usize,
}

/// What the app does to a running daemon while it is open, with the real `App`: counters
/// every 250 ms, and a snapshot of the assembled traces with their service graph when
/// something changed, paced by `snapshot_interval` (as `tui::spawn_pump` does); each snapshot
/// goes through `App::update` (list rebuilt, filter and sort applied) and the screen is drawn
/// at 160x48, as the UI thread does, until `stop`.
fn ui_load(daemon: &Daemon, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<usize> {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::layout::Rect;
    use xray_tui::app::{App, Event};
    use xray_tui::source::{Snapshot, SourceKind, Update};
    let (store, stats) = (daemon.store().clone(), daemon.stats().clone());
    std::thread::spawn(move || {
        let (mut version, mut snapshots) = (u64::MAX, 0);
        let mut next = Instant::now();
        let mut app = App::new("listen", Rect::new(0, 0, 160, 48)).with_source(SourceKind::Daemon);
        let _ = app.start_load();
        let Ok(mut term) = Terminal::new(TestBackend::new(160, 48));
        while !stop.load(Ordering::Relaxed) {
            let _ = stats.snapshot();
            let _ = stats.recent_rejects();
            let v = store.lock().map(|s| s.version()).unwrap_or(version);
            if v != version && Instant::now() >= next {
                version = v;
                let started = Instant::now();
                if let Some(data) = xray_tui::source::daemon::snapshot(&store) {
                    snapshots += 1;
                    let generation = app.generation;
                    app.update(Event::Source(Update::Snapshot(Snapshot {
                        generation,
                        data: Arc::new(data),
                    })));
                }
                next = started + xray_tui::source::daemon::snapshot_interval(started.elapsed());
            }
            let _ = term.draw(|f| xray_tui::ui::draw(f, &app));
            std::thread::sleep(Duration::from_millis(250));
        }
        snapshots
    })
}

fn run(bare: bool, ui: bool, size: usize, rate: u64, seconds: f64) -> std::io::Result<Row> {
    let daemon = Daemon::start(DaemonOptions {
        address: DaemonAddress {
            udp: "127.0.0.1:0".parse().map_err(std::io::Error::other)?,
            tcp: "127.0.0.1:0".parse().map_err(std::io::Error::other)?,
        },
        sampling: None,
        bare,
        ..DaemonOptions::default()
    })?;
    let stop_ui = Arc::new(AtomicBool::new(false));
    let ui_thread = ui.then(|| ui_load(&daemon, stop_ui.clone()));
    let sock = UdpSocket::bind("127.0.0.1:0")?;
    sock.connect(daemon.udp_addr())?;
    let (mut d, at) = template(size);
    let size = d.len();
    // Paced: exactly rate x seconds, however long that takes. Unpaced: as many as the sender
    // manages in the time. Bursts of 16, the last stretch before each spun (the sender shares
    // the 2 cores with the daemon, so it sleeps while far ahead).
    let paced = rate > 0;
    let plan = Plan {
        rate,
        count: if paced {
            (rate as f64 * seconds) as u64
        } else {
            u64::MAX
        },
        seconds: if paced { f64::INFINITY } else { seconds },
        burst: 16,
        spin: true,
    };
    let kernel_before = kernel_rcvbuf_errors();
    let t0 = Instant::now();
    let udp_pace::Sent {
        sent,
        seconds: send_secs,
        ..
    } = send_paced(&sock, &mut d, at, &plan)?;
    // Wait until everything received has been handled (or nothing moves for 300 ms).
    let stats = daemon.stats().clone();
    let done = |s: &xray_tui::source::DaemonStats| {
        if bare {
            s.received
        } else {
            s.accepted + s.rejected_total() + s.dropped_queue_full
        }
    };
    let mut last = (done(&stats.snapshot()), Instant::now());
    let mut end = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(10));
        let s = stats.snapshot();
        let n = done(&s);
        if n != last.0 {
            last = (n, Instant::now());
            end = Instant::now();
        } else if last.1.elapsed() >= Duration::from_millis(300) || n >= sent {
            break;
        }
    }
    let secs = end.duration_since(t0).as_secs_f64().max(1e-9);
    let granted = daemon.recv_buffer_usable();
    stop_ui.store(true, Ordering::Relaxed);
    let snapshots = ui_thread.map(|t| t.join().unwrap_or(0));
    let final_stats = daemon.stop();
    let got = if bare {
        final_stats.received
    } else {
        final_stats.accepted
    };
    Ok(Row {
        mode: match (bare, snapshots) {
            (true, _) => "bare loop".to_owned(),
            (false, None) => "full path".to_owned(),
            (false, Some(n)) => format!("full path + app ({n} snapshots shown)"),
        },
        size,
        rate,
        sent,
        got,
        secs,
        send_secs,
        dropped: final_stats.dropped_queue_full,
        kernel: kernel_before.and_then(|a| kernel_rcvbuf_errors().map(|b| b.saturating_sub(a))),
        granted,
    })
}

fn arg<T: std::str::FromStr>(args: &[String], name: &str) -> Option<Vec<T>> {
    let i = args.iter().position(|a| a == name)?;
    args.get(i + 1)?
        .split(',')
        .map(|s| s.parse().ok())
        .collect()
}

/// The parser thread's work per datagram, without sockets: parse, store, assemble.
fn micro(size: usize, n: u64, per_trace: u64) {
    use xray_tui::source::daemon::datagram::check_datagram;
    use xray_tui::source::daemon::{LiveStore, parse_datagram};
    let (mut d, at) = template(size);
    let size = d.len();
    let mut dgs = Vec::new();
    for i in 0..n {
        set_trace_id(&mut d, at, i / per_trace);
        set_segment_id(&mut d, i);
        dgs.push(d.clone());
    }
    let t = Instant::now();
    let ok = dgs.iter().filter(|d| check_datagram(d).is_ok()).count();
    let check = t.elapsed();
    assert_eq!(ok, dgs.len());
    let t = Instant::now();
    let full = dgs.iter().filter(|d| parse_datagram(d).is_ok()).count();
    let parse = t.elapsed();
    // Ingest (the parser thread's per-datagram work) as the daemon runs: check + file under
    // the trace ID, at the default trace limit, so most new traces evict an old one.
    let mut store = LiveStore::new(xray_tui::source::daemon::store::DEFAULT_TRACE_LIMIT);
    let t = Instant::now();
    for d in &dgs {
        if let Ok(c) = check_datagram(d) {
            store.file(
                &c.trace_id,
                &c.id,
                c.in_progress,
                bytes::Bytes::copy_from_slice(c.doc.as_bytes()),
            );
        }
    }
    let evicting = t.elapsed();
    let t = Instant::now();
    let kept = store.refresh().assembled;
    let refresh_kept = t.elapsed();
    let t = Instant::now();
    let copied = xray_tui::source::daemon::store::Assembled::from(&store);
    let under_lock = t.elapsed();
    drop(copied);
    let store = std::sync::Mutex::new(store);
    let t = Instant::now();
    let shown = xray_tui::source::daemon::snapshot(&store).map_or(0, |d| d.traces.len());
    let snapshot = t.elapsed();
    println!(
        "micro {size} B x {n}, {per_trace} a trace: check alone {:.2} µs/doc; ingest at the default trace limit \
         (check + file + evict) {:.2} µs/doc; typed parse alone {:.2} µs/doc ({full} parsed); \
         refresh (typed parse + assemble + summarize) {:.2} µs/trace ({kept} traces); \
         app snapshot of {shown} traces {:.1} ms ({:.1} ms of it under the store's lock)",
        check.as_secs_f64() * 1e6 / n as f64,
        evicting.as_secs_f64() * 1e6 / n as f64,
        parse.as_secs_f64() * 1e6 / n as f64,
        refresh_kept.as_secs_f64() * 1e6 / kept.max(1) as f64,
        snapshot.as_secs_f64() * 1e3,
        under_lock.as_secs_f64() * 1e3,
    );
}

/// A burst, then idle: `n` 1 KB datagrams sent as fast as the sender can, `per_trace` to a
/// trace, while the app's pump takes paced snapshots. Reports how long after the burst ended
/// every document was accepted, every trace assembled, and the app was shown all of them.
fn burst(n: u64, per_trace: u64) -> std::io::Result<()> {
    let daemon = Daemon::start(DaemonOptions {
        address: DaemonAddress {
            udp: "127.0.0.1:0".parse().map_err(std::io::Error::other)?,
            tcp: "127.0.0.1:0".parse().map_err(std::io::Error::other)?,
        },
        sampling: None,
        ..DaemonOptions::default()
    })?;
    let traces = n.div_ceil(per_trace) as usize;
    let (store, stats) = (daemon.store().clone(), daemon.stats().clone());
    let done = Arc::new(AtomicBool::new(false));
    // The pump, as `tui::spawn_pump` runs it: every 250 ms, a paced snapshot when the store
    // changed; returns when a snapshot showed every trace with every document.
    let pump = {
        let (store, done) = (store.clone(), done.clone());
        std::thread::spawn(move || {
            let (mut version, mut next) = (u64::MAX, Instant::now());
            while !done.load(Ordering::Relaxed) {
                let v = store.lock().map(|s| s.version()).unwrap_or(version);
                if v != version && Instant::now() >= next {
                    version = v;
                    let started = Instant::now();
                    if let Some(d) = xray_tui::source::daemon::snapshot(&store) {
                        let docs: usize = d
                            .traces
                            .iter()
                            .map(|t| {
                                t.nodes
                                    .iter()
                                    .filter(|n| n.kind == NodeKind::Segment)
                                    .count()
                            })
                            .sum();
                        if d.traces.len() == traces && docs as u64 == n {
                            return Some(Instant::now());
                        }
                    }
                    next = started + xray_tui::source::daemon::snapshot_interval(started.elapsed());
                }
                std::thread::sleep(Duration::from_millis(250));
            }
            None
        })
    };
    let sock = UdpSocket::bind("127.0.0.1:0")?;
    sock.connect(daemon.udp_addr())?;
    let (mut d, at) = template(1024);
    let t0 = Instant::now();
    for i in 0..n {
        set_trace_id(&mut d, at, i / per_trace);
        // A distinct segment ID per document, so each is a segment of its trace.
        set_segment_id(&mut d, i);
        sock.send(&d)?;
    }
    let sent_in = t0.elapsed();
    let end = Instant::now();
    let (mut accepted_at, mut assembled_at) = (None, None);
    while end.elapsed() < Duration::from_secs(10) {
        let s = stats.snapshot();
        if accepted_at.is_none() && s.accepted + s.rejected_total() + s.dropped_queue_full >= n {
            accepted_at = Some(end.elapsed());
        }
        if accepted_at.is_some() && store.lock().map(|s| s.pending()).unwrap_or(1) == 0 {
            assembled_at = Some(end.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let shown = loop {
        if pump.is_finished() || end.elapsed() > Duration::from_secs(10) {
            done.store(true, Ordering::Relaxed);
            break pump.join().ok().flatten().map(|t| t.duration_since(end));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let s = daemon.stop();
    let ms =
        |d: Option<Duration>| d.map_or("never".to_owned(), |d| format!("{} ms", d.as_millis()));
    println!(
        "burst: {n} × 1 KB datagrams ({traces} traces) sent in {} ms; loss {} ({} in the queue); \
         after the burst: all accepted {}, all assembled {}, all shown by the app's pump {}",
        sent_in.as_millis(),
        n - s.accepted,
        s.dropped_queue_full,
        ms(accepted_at),
        ms(assembled_at),
        ms(shown),
    );
    Ok(())
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    REALISTIC.store(!args.iter().any(|a| a == "--padded"), Ordering::Relaxed);
    if args.iter().any(|a| a == "--micro") {
        micro(1024, 100_000, 1);
        micro(8192, 50_000, 1);
        micro(1024, 100_000, 10);
        return Ok(());
    }
    if args.iter().any(|a| a == "--burst") {
        return burst(100_000, 10);
    }
    let seconds = arg::<f64>(&args, "--seconds")
        .and_then(|v| v.first().copied())
        .unwrap_or(2.0);
    let sizes = arg::<usize>(&args, "--sizes").unwrap_or_else(|| vec![1024, 8192]);
    let rates = arg::<u64>(&args, "--rates").unwrap_or_else(|| vec![50_000, 100_000, 200_000, 0]);
    println!(
        "| Size | Offered | Path | Sent | Sent/s (achieved) | Handled | Handled/sent | Loss % | Handled/s | Queue drops | Kernel RcvbufErrors | SO_RCVBUF granted |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for &size in &sizes {
        for &rate in &rates {
            let with_app = args.iter().any(|a| a == "--with-app");
            let modes: &[(bool, bool)] = if with_app {
                &[(true, false), (false, false), (false, true)]
            } else {
                &[(true, false), (false, false)]
            };
            for &(bare, ui) in modes {
                let r = run(bare, ui, size, rate, seconds)?;
                let ratio = r.got as f64 / r.sent.max(1) as f64;
                println!(
                    "| {} B | {} | {} | {} | {:.0} | {} | {:.4} | {:.3} | {:.0} | {} | {} | {} KiB |",
                    r.size,
                    if r.rate == 0 {
                        "unpaced".to_owned()
                    } else {
                        format!("{}k/s", r.rate / 1000)
                    },
                    r.mode,
                    r.sent,
                    r.sent as f64 / r.send_secs.max(1e-9),
                    r.got,
                    ratio,
                    (1.0 - ratio) * 100.0,
                    r.got as f64 / r.secs,
                    r.dropped,
                    r.kernel.map_or("n/a".to_owned(), |k| k.to_string()),
                    r.granted / 1024,
                );
            }
        }
    }
    Ok(())
}

/// The kernel's UDP `RcvbufErrors` counter (datagrams dropped because a socket buffer was
/// full, all sockets), from `/proc/net/snmp`; `None` where that file does not exist. The
/// tables of this benchmark report its delta over a run.
fn kernel_rcvbuf_errors() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/net/snmp").ok()?;
    let mut udp = text.lines().filter(|l| l.starts_with("Udp:"));
    let names = udp.next()?;
    let values = udp.next()?;
    let i = names.split_whitespace().position(|n| n == "RcvbufErrors")?;
    values.split_whitespace().nth(i)?.parse().ok()
}
