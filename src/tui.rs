//! The terminal runtime: sets the terminal up, runs the event loop, and restores the terminal on
//! every way out (return, error, panic, suspend).
//!
//! Threads, not async: one thread reads input, a loader thread per load runs
//! [`headless::load`]; both send [`Event`]s into one channel. The loop blocks for the first event
//! (or a tick), drains whatever else is queued, applies it all with [`App::update`], carries out
//! the [`Cmd`]s, and draws once if anything changed.

use std::io::{self, Stdout};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use crossterm::event::{
    self as ct, DisableMouseCapture, EnableMouseCapture, KeyEventKind, MouseEventKind,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;

use crate::app::{
    App, Cmd, DaemonFeed, DataEvent, DataUpdate, Event, Feed, SourceKind, TraceFetched,
};
use crate::cli::SourceArgs;
use crate::daemon::Daemon;
use crate::daemon::stats::kernel_rcvbuf_errors;
use crate::headless::{self, Failure};
use crate::source::aws::live::{Connect, Fetcher, FetcherOptions, LiveEvent, Request};
use crate::ui;

/// How often the loop wakes without input (spinner frames).
const TICK: Duration = Duration::from_millis(100);

type Term = Terminal<CrosstermBackend<Stdout>>;

/// Puts the terminal back: raw mode off, mouse reports off, main screen, cursor shown. Safe to
/// call twice.
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

fn setup() -> io::Result<Term> {
    enable_raw_mode()?;
    if let Err(e) = execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture) {
        restore();
        return Err(e);
    }
    Terminal::new(CrosstermBackend::new(io::stdout())).inspect_err(|_| restore())
}

/// Restores the terminal when dropped, so early returns and unwinding leave it usable.
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Restores the terminal before the previous panic hook prints, so the message is readable.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

/// What the status line calls the source.
pub fn source_label(source: &SourceArgs) -> String {
    let mut parts = Vec::new();
    if source.demo {
        parts.push("demo".to_owned());
    }
    parts.extend(source.files.iter().map(|f| {
        if f == "-" {
            "stdin".to_owned()
        } else {
            f.clone()
        }
    }));
    parts.join(", ")
}

/// Where the app's data comes from, and the runtime parts that feed it.
enum Backend {
    /// Files or the demo: a loader thread per load.
    Files(SourceArgs),
    /// The X-Ray API: the fetcher thread.
    Aws(Fetcher),
    /// The local daemon; the pump thread sends its snapshots.
    Daemon,
}

/// Runs the interactive app over files, the demo or AWS until the user quits.
pub fn run(source: &SourceArgs, config: crate::config::Config) -> Result<(), Failure> {
    let source = &source.with_defaults(&config.defaults);
    let aws = crate::source::aws::headless::is_aws(source);
    if aws {
        // Check the window before taking the terminal, so a typo is a plain error.
        crate::source::aws::headless::window(source).map_err(|e| Failure::Usage(e.with_hint()))?;
    }
    install_panic_hook();
    let mut terminal = setup()?;
    let _guard = Guard;
    let size = terminal.size()?;
    let (tx, rx) = mpsc::channel();
    let region = aws_region(source, &config);
    let (backend, kind, label) = if aws {
        let opts = crate::source::aws::headless::options(source);
        let label = format!("aws {}", region.clone().unwrap_or_default());
        let sink = tx.clone();
        let fetcher = Fetcher::start(
            FetcherOptions {
                connect: Connect::Options(opts),
                kind: source.time_range_type,
                follow_every: Duration::from_secs(source.follow_every.max(1)),
                disk_cache: crate::source::aws::live::default_cache_dir(),
            },
            move |e| {
                let _ = sink.send(live_event(e));
            },
        )?;
        (Backend::Aws(fetcher), SourceKind::Aws, label)
    } else {
        (
            Backend::Files(source.clone()),
            SourceKind::Files,
            source_label(source),
        )
    };
    let mut app = make_app(label, size, kind, region, config);
    if aws {
        app.window = aws_window_text(source);
        app.group = source.group.clone();
        app.follow = source.follow;
    }
    spawn_input(tx.clone());
    let first = app.start_load();
    run_loop(&mut terminal, &mut app, &backend, &tx, &rx, first)?;
    Ok(())
}

/// The app for a terminal of `size`: the filter history, the config and its key bindings, and
/// whether a browser can be opened here.
fn make_app(
    label: String,
    size: ratatui::layout::Size,
    kind: SourceKind,
    region: Option<String>,
    config: crate::config::Config,
) -> App {
    let app = App::new(label, Rect::new(0, 0, size.width, size.height))
        .with_source(kind)
        .with_history(load_history())
        .with_region(region)
        .with_config(config)
        .with_opener(crate::effects::display_available());
    tracing::info!(source = %app.source_label, "started the interactive app");
    app
}

/// The window the command line asked for, as the app's window editor writes it.
fn aws_window_text(source: &SourceArgs) -> String {
    match (&source.start, &source.since) {
        (Some(s), _) => format!("{s}..{}", source.end.clone().unwrap_or_default()),
        (None, Some(s)) => s.clone(),
        (None, None) => String::new(),
    }
}

/// Turns a fetcher event into an app event.
fn live_event(e: LiveEvent) -> Event {
    match e {
        LiveEvent::Data { generation, data } => Event::Update(DataUpdate { generation, data }),
        LiveEvent::Progress {
            generation: _,
            progress,
        } => Event::Feed(Feed::Aws(Box::new(progress))),
        LiveEvent::Trace { id, result } => Event::Trace(TraceFetched { id, result }),
        LiveEvent::TraceGraph { id, result } => Event::TraceGraph { id, result },
    }
}

/// `xray-tui listen` without `--headless`: the local daemon with the app on top, in follow
/// mode. Stops the daemon (flushing `--save`) on the way out and prints its final counters.
pub fn run_listen(
    args: &crate::cli::ListenArgs,
    config: crate::config::Config,
) -> Result<(), Failure> {
    let opts = crate::daemon::headless::options(args)?;
    let kernel_before = kernel_rcvbuf_errors();
    let daemon = Daemon::start(opts).map_err(|e| Failure::Runtime(e.to_string()))?;
    let label = format!("listen udp {}", daemon.udp_addr());
    let result = (|| -> Result<(), Failure> {
        install_panic_hook();
        let mut terminal = setup()?;
        let _guard = Guard;
        let size = terminal.size()?;
        let (tx, rx) = mpsc::channel();
        let mut app = make_app(label, size, SourceKind::Daemon, None, config);
        spawn_input(tx.clone());
        let stop = Arc::new(AtomicBool::new(false));
        let pump = spawn_pump(
            &daemon,
            app.generation,
            kernel_before,
            tx.clone(),
            stop.clone(),
        );
        let first = app.start_load();
        let r = run_loop(&mut terminal, &mut app, &Backend::Daemon, &tx, &rx, first);
        stop.store(true, Relaxed);
        let _ = pump.join();
        r.map_err(Failure::from)
    })();
    let stats = daemon.stop();
    eprintln!("stopped: {stats}");
    result
}

/// How often the pump looks at the daemon.
const PUMP_EVERY: Duration = Duration::from_millis(250);
/// Sends the daemon's counters (when they change) and a snapshot of its traces with their
/// service graph (when what it shows changed, paced by [`crate::daemon::snapshot_interval`])
/// to the loop. The work happens here, never on the UI thread.
fn spawn_pump(
    daemon: &Daemon,
    generation: u64,
    kernel_before: Option<u64>,
    tx: Sender<Event>,
    stop: Arc<AtomicBool>,
) -> thread::JoinHandle<()> {
    let stats = Arc::clone(daemon.stats());
    let store = Arc::clone(daemon.store());
    let (udp, tcp, recv_buffer) = (
        daemon.udp_addr(),
        daemon.tcp_addr(),
        daemon.recv_buffer_usable(),
    );
    thread::spawn(move || {
        let mut version = 0;
        let mut next_snapshot = Instant::now();
        while !stop.load(Relaxed) {
            let recent = stats
                .recent_rejects()
                .iter()
                .map(|r| {
                    format!(
                        "{} ({} B): {}",
                        r.error,
                        r.size,
                        crate::daemon::datagram::shorten(&r.preview, 100)
                    )
                })
                .collect();
            let feed = DaemonFeed {
                udp: udp.to_string(),
                tcp: tcp.map(|a| a.to_string()),
                recv_buffer,
                stats: stats.snapshot(),
                kernel_drops: match (kernel_before, kernel_rcvbuf_errors()) {
                    (Some(a), Some(b)) => Some(b.saturating_sub(a)),
                    _ => None,
                },
                recent,
            };
            if tx.send(Event::Feed(Feed::Daemon(Box::new(feed)))).is_err() {
                return;
            }
            let due = Instant::now() >= next_snapshot;
            let current = store.lock().map(|s| s.version()).unwrap_or(version);
            if due && current != version {
                version = current;
                let started = Instant::now();
                let snapshot = crate::daemon::snapshot(&store);
                next_snapshot = started + crate::daemon::snapshot_interval(started.elapsed());
                if let Some(data) = snapshot {
                    let update = DataUpdate {
                        generation,
                        data: Arc::new(data),
                    };
                    if tx.send(Event::Update(update)).is_err() {
                        return;
                    }
                }
            }
            thread::sleep(PUMP_EVERY);
        }
    })
}

fn run_loop(
    terminal: &mut Term,
    app: &mut App,
    backend: &Backend,
    tx: &Sender<Event>,
    rx: &Receiver<Event>,
    mut cmds: Vec<Cmd>,
) -> io::Result<()> {
    let mut loads = crate::logging::LoadLog::default();
    loop {
        for cmd in cmds.drain(..) {
            match cmd {
                Cmd::Quit => return Ok(()),
                Cmd::Load { generation } => {
                    if let Backend::Files(source) = backend {
                        loads.started(generation);
                        spawn_load(source.clone(), generation, tx.clone());
                    }
                }
                Cmd::Fetch(q) => {
                    if let Backend::Aws(f) = backend {
                        f.send(Request::Query {
                            generation: q.generation,
                            window: q.window,
                            filter: q.filter,
                            group: q.group,
                            follow: q.follow,
                        });
                    }
                }
                Cmd::FetchTrace { id } => {
                    if let Backend::Aws(f) = backend {
                        f.send(Request::Trace(id));
                    }
                }
                Cmd::FetchTraceGraph { id } => {
                    if let Backend::Aws(f) = backend {
                        f.send(Request::TraceGraph(id));
                    }
                }
                Cmd::Follow(on) => {
                    if let Backend::Aws(f) = backend {
                        f.send(Request::Follow(on));
                    }
                }
                Cmd::Suspend => {
                    suspend()?;
                    // A fresh terminal has empty buffers, so the next draw repaints every cell.
                    // (`Terminal::clear` would query the cursor position, which the input
                    // thread's pending read would swallow.)
                    *terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
                    app.dirty = true;
                }
                // Off the UI thread; a failure to save is not worth interrupting anyone for.
                Cmd::SaveHistory(h) => {
                    std::thread::spawn(move || save_history(&h));
                }
                c @ (Cmd::Copy(_) | Cmd::CopyEscape(_) | Cmd::OpenUrl(_) | Cmd::Export(_)) => {
                    crate::effects::carry_out(c, tx);
                }
            }
        }
        if app.take_dirty() {
            terminal.draw(|f| ui::draw(f, app))?;
        }
        let first = match rx.recv_timeout(TICK) {
            Ok(e) => e,
            Err(RecvTimeoutError::Timeout) => Event::Tick,
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        };
        let mut events = vec![first];
        events.extend(rx.try_iter());
        for e in events {
            if let Event::Data(d) = &e {
                loads.finished(d);
            }
            cmds.extend(app.update(e));
        }
    }
}

/// The region console URLs use: `--region`, else the config's `[defaults] region`, else
/// `AWS_REGION`, else `AWS_DEFAULT_REGION`.
fn aws_region(source: &SourceArgs, config: &crate::config::Config) -> Option<String> {
    let known = source
        .region
        .clone()
        .or_else(|| config.defaults.region.clone());
    known.or_else(|| {
        ["AWS_REGION", "AWS_DEFAULT_REGION"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|r| !r.trim().is_empty()))
    })
}

/// Where the filter history lives: `$XRAY_TUI_DATA/filter-history`, or the platform's data
/// directory (`~/.local/share/xray-tui/` on Linux).
pub fn history_path() -> Option<std::path::PathBuf> {
    crate::paths::data_dir().map(|d| d.join("filter-history"))
}

/// The saved filter expressions, oldest first (one a line); none when there is no file.
pub fn load_history() -> Vec<String> {
    history_path()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .map(|t| {
            t.lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Writes the filter history (best effort).
pub fn save_history(history: &[String]) {
    if let Some(p) = history_path() {
        if let Some(dir) = p.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let mut text = history.join("\n");
        text.push('\n');
        let _ = std::fs::write(p, text);
    }
}

/// Reads terminal input on its own thread; ends when the loop is gone.
fn spawn_input(tx: Sender<Event>) {
    thread::spawn(move || {
        loop {
            let ev = match ct::read() {
                Ok(ct::Event::Key(k)) if k.kind == KeyEventKind::Press => Event::Key(k),
                Ok(ct::Event::Resize(w, h)) => Event::Resize(w, h),
                // Motion would flood the loop; the app uses clicks and the wheel only.
                Ok(ct::Event::Mouse(m))
                    if !matches!(m.kind, MouseEventKind::Moved | MouseEventKind::Drag(_)) =>
                {
                    Event::Mouse(m)
                }
                Ok(_) => continue,
                Err(_) => return,
            };
            if tx.send(ev).is_err() {
                return;
            }
        }
    });
}

/// Loads the sources on a thread and answers with the generation it was asked for.
fn spawn_load(source: SourceArgs, generation: u64, tx: Sender<Event>) {
    thread::spawn(move || {
        // Located warnings are also kept in the dataset; the text copy is not needed here.
        let mut sink = io::sink();
        let result = headless::load(&source, &mut sink)
            .map(Arc::new)
            .map_err(|e| e.to_string());
        let _ = tx.send(Event::Data(DataEvent { generation, result }));
    });
}

/// Ctrl-Z: give the terminal back, stop until `fg`, then take it again.
#[cfg(unix)]
fn suspend() -> io::Result<()> {
    restore();
    // Stops the process the way the shell's Ctrl-Z would; returns once the shell resumes us.
    signal_hook::low_level::raise(signal_hook::consts::SIGTSTP)?;
    enable_raw_mode()?;
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableMouseCapture,
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    )?;
    Ok(())
}

/// Suspending is a Unix job-control feature; elsewhere Ctrl-Z does nothing.
#[cfg(not(unix))]
fn suspend() -> io::Result<()> {
    Ok(())
}
