//! The terminal runtime: sets the terminal up, runs the event loop, and restores the terminal on
//! every way out (return, error, panic, suspend).
//!
//! Threads, not async: one thread reads input, a loader thread per load runs
//! [`headless::load`]; both send [`Event`]s into one channel. The loop blocks for the first event
//! (or a tick), drains whatever else is queued, applies it all with [`App::update`], carries out
//! the [`Cmd`]s, and draws once if anything changed.

use std::io::{self, Stdout};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::Duration;

use crossterm::event::{self as ct, KeyEventKind};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;

use crate::app::{App, Cmd, DataEvent, Event};
use crate::cli::SourceArgs;
use crate::headless::{self, Failure};
use crate::ui;

/// How often the loop wakes without input (spinner frames).
const TICK: Duration = Duration::from_millis(100);

type Term = Terminal<CrosstermBackend<Stdout>>;

/// Puts the terminal back: raw mode off, main screen, cursor shown. Safe to call twice.
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(io::stdout(), LeaveAlternateScreen, crossterm::cursor::Show);
}

fn setup() -> io::Result<Term> {
    enable_raw_mode()?;
    if let Err(e) = execute!(io::stdout(), EnterAlternateScreen) {
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

/// Runs the interactive app until the user quits.
pub fn run(source: &SourceArgs, config: crate::config::Config) -> Result<(), Failure> {
    if !source.demo && source.files.is_empty() {
        return Err(Failure::Usage(
            "no source given: use --demo for the bundled demo data or --file PATH for X-Ray files"
                .into(),
        ));
    }
    let keymap = crate::app::bindings::Keymap::from_config(&config)
        .map_err(|e| Failure::Usage(e.to_string()))?;
    install_panic_hook();
    let mut terminal = setup()?;
    let _guard = Guard;
    let size = terminal.size()?;
    let mut app = App::new(
        source_label(source),
        Rect::new(0, 0, size.width, size.height),
    )
    .with_history(load_history())
    .with_region(aws_region(source, &config))
    .with_config(config)
    .with_keymap(keymap)
    .with_opener(crate::effects::display_available());
    tracing::info!(source = %app.source_label, "started the interactive app");
    let (tx, rx) = mpsc::channel();
    spawn_input(tx.clone());
    let first = app.start_load();
    run_loop(&mut terminal, &mut app, source, &tx, &rx, first)?;
    Ok(())
}

fn run_loop(
    terminal: &mut Term,
    app: &mut App,
    source: &SourceArgs,
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
                    loads.started(generation);
                    spawn_load(source.clone(), generation, tx.clone());
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
                c @ (Cmd::Copy(_) | Cmd::OpenUrl(_) | Cmd::Export(_)) => {
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
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    )?;
    Ok(())
}

/// Suspending is a Unix job-control feature; elsewhere Ctrl-Z does nothing.
#[cfg(not(unix))]
fn suspend() -> io::Result<()> {
    Ok(())
}
