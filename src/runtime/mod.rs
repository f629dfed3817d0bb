//! The runtime: everything that touches the world while the app runs. It takes the terminal,
//! starts the source through the source seam, runs the event loop, carries out the app's
//! [`Cmd`]s and gives the terminal back on every way out.
//!
//! Threads, not async: one thread reads input; the source answers from its own threads through
//! a sink; both send [`Event`]s into one channel. The loop blocks for the first event (or a
//! tick), drains whatever else is queued, applies it all with [`App::update`], carries out the
//! [`Cmd`]s, and draws once if anything changed. It knows no source's internals: a
//! [`Cmd::Source`] request goes to the [`source::Handle`], an [`Update`] comes back as
//! [`Event::Source`].
//!
//! Signals (see [`signals`]) are noted by a thread of their own and acted on here: one that
//! ends the app gives the terminal back, stops the source and is reported in [`Ended`], so
//! the process can exit with 128 + its number; SIGTSTP and SIGCONT stop and resume the app like
//! Ctrl-Z.

pub mod analyse;
pub mod count;
pub mod effects;
pub mod history;
pub mod logging;
pub mod signals;
pub mod terminal;

use std::io;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::Duration;

use crossterm::event::{self as ct, KeyEventKind, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;

use crate::app::{App, Cmd, Event};
use crate::config::Config;
use crate::source::{self, Request, Update};
use crate::ui;
use terminal::{Guard, Term};

/// How often the loop wakes without input (spinner frames).
const TICK: Duration = Duration::from_millis(100);

/// How the app starts: the source, and the query settings the command line gave.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The source to start.
    pub source: source::Options,
    /// The time window as typed (`15m`, `START..END`); empty: everything, or the source's
    /// default.
    pub window: String,
    /// An X-Ray group whose filter applies (AWS).
    pub group: Option<String>,
    /// Start in follow mode (AWS).
    pub follow: bool,
    /// The region console URLs name.
    pub region: Option<String>,
}

impl Launch {
    /// A launch of `source` with no window, group or region, not following.
    pub fn new(source: source::Options) -> Self {
        Launch {
            source,
            window: String::new(),
            group: None,
            follow: false,
            region: None,
        }
    }
}

/// Why the app could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The terminal could not be set up or drawn on.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The source could not start (the daemon's address is taken, ...).
    #[error("{0}")]
    Source(String),
}

/// How the app ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ended {
    /// What the source said when it stopped (the daemon's final counters).
    pub said: Option<String>,
    /// The signal that ended the app (SIGTERM, SIGHUP, SIGQUIT, SIGINT), if one did; the
    /// process should exit with 128 + it.
    pub signal: Option<i32>,
}

/// Runs the app over `launch`'s source until the user quits or a signal ends it. The source
/// starts before the terminal is taken (so a failure to start is a plain error) and stops after
/// it is given back; what it says when it stops (the daemon's final counters) is returned with
/// the signal, if any.
pub fn run(launch: Launch, config: Config) -> Result<Ended, Error> {
    let watch = signals::Watch::start()?;
    let (tx, rx) = mpsc::channel();
    let sink_tx = tx.clone();
    let sink: source::Sink = Arc::new(move |u| {
        let _ = sink_tx.send(Event::Source(u));
    });
    let handle = source::start(launch.source, sink).map_err(|e| Error::Source(e.0))?;
    let result = (|| -> Result<Option<i32>, Error> {
        terminal::install_panic_hook();
        let mut term = terminal::setup()?;
        let _guard = Guard;
        let size = term.size()?;
        let mut app = App::new(handle.label(), Rect::new(0, 0, size.width, size.height))
            .with_source(handle.kind())
            .with_history(history::load_history())
            .with_region(launch.region)
            .with_config(config)
            .with_opener(effects::display_available());
        app.window = launch.window;
        app.group = launch.group;
        app.follow = launch.follow;
        tracing::info!(source = %app.source_label, "started the interactive app");
        spawn_input(tx.clone());
        let first = app.start_load();
        let ended = run_loop(&mut term, &mut app, &handle, &watch, &tx, &rx, first);
        if !matches!(ended, Ok(None)) {
            // Leaving on a signal or an error, the terminal may be gone (SIGHUP): ratatui's
            // drop would fail to show the cursor and say so with `eprintln!`, which panics on a
            // dead terminal. The guard puts the terminal back instead; the process is ending.
            std::mem::forget(term);
        }
        Ok(ended?)
    })();
    let said = handle.stop();
    // One that came while the source stopped counts too; so does one that came as the terminal
    // went away (SIGHUP) and made drawing fail.
    match (result, watch.ending()) {
        (Ok(signal), ending) => Ok(Ended {
            said,
            signal: signal.or(ending),
        }),
        (Err(e), Some(signal)) => {
            tracing::info!("{e} (ending on signal {signal})");
            Ok(Ended {
                said,
                signal: Some(signal),
            })
        }
        (Err(e), None) => Err(e),
    }
}

/// The event loop; returns when the app quits (`None`) or a signal ends it (`Some(signal)`).
fn run_loop(
    term: &mut Term,
    app: &mut App,
    source: &source::Handle,
    watch: &signals::Watch,
    tx: &Sender<Event>,
    rx: &Receiver<Event>,
    mut cmds: Vec<Cmd>,
) -> io::Result<Option<i32>> {
    let mut loads = logging::LoadLog::default();
    let counter = count::Counter::default();
    let analyser = analyse::Analyser::default();
    let analyst = count::Latest::default();
    loop {
        if let Some(signal) = watch.ending() {
            tracing::info!(signal, "ending on a signal");
            return Ok(Some(signal));
        }
        // SIGTSTP from outside: the Ctrl-Z path.
        if watch.take_stop() {
            cmds.push(Cmd::Suspend);
        }
        if watch.take_resumed() {
            terminal::resume()?;
            redraw_all(term, app)?;
        }
        // Of the counts asked for since the last pass, only the newest is worth starting.
        let newest_count = cmds.iter().rposition(|c| matches!(c, Cmd::Count(_)));
        let newest_analysis = cmds
            .iter()
            .rposition(|c| matches!(c, Cmd::AnalyseTraces(_)));
        for (i, cmd) in cmds.drain(..).enumerate() {
            match cmd {
                Cmd::Count(request) => {
                    if Some(i) == newest_count {
                        counter.start(*request, tx.clone());
                    }
                }
                Cmd::StopCount => counter.stop(),
                Cmd::Analyse(request) => analyser.start(request, tx.clone()),
                Cmd::AnalyseTraces(request) => {
                    if Some(i) == newest_analysis {
                        analyst.analyse(*request, tx.clone());
                    }
                }
                Cmd::StopAnalysis => analyst.stop(),
                Cmd::PrepareAnalysis(p) => analyst.prepare(p.0, tx.clone()),
                Cmd::Quit => return Ok(None),
                Cmd::Source(request) => {
                    if let Request::Load { generation } = &request {
                        loads.started(*generation);
                    }
                    source.send(request);
                }
                Cmd::Suspend => {
                    terminal::suspend()?;
                    redraw_all(term, app)?;
                }
                // Off the UI thread; a failure to save is not worth interrupting anyone for.
                Cmd::SaveHistory(h) => {
                    std::thread::spawn(move || history::save_history(&h));
                }
                c @ (Cmd::Copy(_) | Cmd::CopyEscape(_) | Cmd::OpenUrl(_) | Cmd::Export(_)) => {
                    effects::carry_out(c, tx);
                }
            }
        }
        if app.take_dirty() {
            term.draw(|f| ui::draw(f, app))?;
        }
        let first = match rx.recv_timeout(TICK) {
            Ok(e) => e,
            Err(RecvTimeoutError::Timeout) => Event::Tick,
            Err(RecvTimeoutError::Disconnected) => return Ok(None),
        };
        let mut events = vec![first];
        events.extend(rx.try_iter());
        for e in events {
            if let Event::Source(Update::Loaded(d)) = &e {
                loads.finished(d);
            }
            cmds.extend(app.update(e));
        }
    }
}

/// Makes the next draw repaint every cell: a fresh terminal has empty buffers. (`Terminal::clear`
/// would query the cursor position, which the input thread's pending read would swallow.)
fn redraw_all(term: &mut Term, app: &mut App) -> io::Result<()> {
    *term = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    app.dirty = true;
    Ok(())
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
