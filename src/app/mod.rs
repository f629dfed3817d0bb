//! The interactive app's state and its one transition function.
//!
//! [`App`] owns all UI state. [`App::update`] takes one [`Event`] (a key, a resize, loaded data,
//! a tick) and returns the [`Cmd`]s the runtime should carry out (load, quit, suspend). It does
//! no I/O and reads no clock, so the whole UI can be driven and checked in tests by feeding
//! events; drawing (`crate::ui`) only reads the state.

pub mod analysis;
pub mod find;
pub mod groups;
pub mod input;
pub mod layout;
pub mod list;
pub mod live;
pub mod map;
pub mod mouse;
pub mod overlay;
pub mod palette;
pub mod prompt;
pub mod share;
pub mod toast;
pub mod trace_view;

use std::sync::Arc;

use crossterm::event::{KeyEvent, KeyEventKind, MouseEvent};
use ratatui::layout::Rect;

use crate::config::Config;
use crate::engine::dataset::Dataset;
use crate::engine::waterfall;
use crate::filter::{self, EvalContext, FilterError, Verdict, Vocabulary};
use crate::keys::{Action, Keymap, Scope};
use crate::model::Group;
use crate::model::format::count;
use crate::source::{Capabilities, Feed, Loaded, Request, SourceKind, Update};
use list::{ListState, SortColumn, scroll_offset};
use overlay::Overlay;
use prompt::Prompt;
use trace_view::{DetailTab, TraceView};

/// Something that happened.
#[derive(Debug, Clone)]
pub enum Event {
    /// A key was pressed.
    Key(KeyEvent),
    /// The mouse was clicked or its wheel turned (motion is not reported).
    Mouse(MouseEvent),
    /// The terminal is now this many columns and rows.
    Resize(u16, u16),
    /// The source answered a request, or has something new (data, counters, a trace).
    Source(Update),
    /// Time passed (drives the loading spinner and expires toasts).
    Tick,
    /// An export finished: the file written, or why not.
    Exported(Result<std::path::PathBuf, String>),
    /// Something the runtime wants said (a copy or an opener that failed).
    Notice(toast::Level, String),
    /// tmux did not take a copy (no tmux 3.2 here): put it on the clipboard with escapes.
    CopyFallback(String),
    /// The count of traces matching the prompt's expression ([`Cmd::Count`]).
    Counted(prompt::Counted),
    /// The open trace's critical path, self times and density ([`Cmd::Analyse`]).
    Analysed(Box<trace_view::Analysed>),
    /// The Analysis screen's numbers ([`Cmd::AnalyseTraces`]).
    TracesAnalysed(Box<analysis::Analyzed>),
    /// How far the table of what the Analysis screen reads inside traces is worked out
    /// (rows done, rows in all): the first answer on a dataset waits for it.
    AnalysisProgress {
        /// Rows done.
        done: usize,
        /// Rows in all.
        of: usize,
    },
}

/// Something the runtime should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    /// Ask the source for something; it answers with [`Event::Source`].
    Source(Request),
    /// Restore the terminal and exit.
    Quit,
    /// Restore the terminal, stop the process (SIGTSTP), and set the terminal up again on resume.
    Suspend,
    /// Write the filter history (oldest first) to the data directory.
    SaveHistory(Vec<String>),
    /// Put this text on the clipboard (an OSC 52 escape written to the terminal; inside tmux,
    /// through `tmux load-buffer`).
    Copy(String),
    /// Put this text on the clipboard with escapes only (OSC 52, also wrapped for tmux).
    CopyEscape(String),
    /// Open this URL with the platform's opener (`xdg-open`, `open`).
    OpenUrl(String),
    /// Write an export file and answer with [`Event::Exported`].
    Export(share::Export),
    /// Count the traces the prompt's expression matches off the UI thread and answer with
    /// [`Event::Counted`]; a newer request supersedes it.
    Count(Box<prompt::CountRequest>),
    /// Stop counting: the prompt closed.
    StopCount,
    /// Work out the open trace's critical path, self times and density off the UI thread and
    /// answer with [`Event::Analysed`]; a newer request supersedes it.
    Analyse(trace_view::AnalyseRequest),
    /// Work out the Analysis screen's numbers off the UI thread and answer with
    /// [`Event::TracesAnalysed`]; a newer request supersedes it.
    AnalyseTraces(Box<analysis::AnalysisRequest>),
    /// Stop working them out: the Analysis screen closed.
    StopAnalysis,
    /// A whole dataset is here and will not change on its own (a file or the demo): work
    /// out what the Analysis screen reads inside its traces now, off the UI thread, so that
    /// the screen answers at once when it opens (progress with [`Event::AnalysisProgress`]).
    PrepareAnalysis(Prepared),
}

/// The dataset of [`Cmd::PrepareAnalysis`] (commands compare by rows, not by contents).
#[derive(Debug, Clone)]
pub struct Prepared(pub Arc<Dataset>);

impl PartialEq for Prepared {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Prepared {}

/// How many filter expressions the history keeps.
pub const HISTORY_MAX: usize = 200;

/// Where the data stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadState {
    /// Nothing asked for yet.
    Idle,
    /// A load is running.
    Loading,
    /// The data is here.
    Loaded,
    /// The last load failed.
    Failed(String),
}

/// Which screen is showing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The trace list.
    List,
    /// One trace: waterfall and details.
    Trace,
    /// The service map (of every trace, or of the open trace).
    Map,
    /// The Analysis screen (of the listed traces).
    Analysis,
}

/// All UI state.
#[derive(Debug, Clone)]
pub struct App {
    /// What the data comes from, for the status line (`demo`, file names).
    pub source_label: String,
    /// The current load generation.
    pub generation: u64,
    /// Where the data stands.
    pub load: LoadState,
    /// The evaluation the source is working out for the applied filter (rows whose traces must
    /// be parsed again), if any: the list shows what is decided so far.
    pub evaluating: Option<u64>,
    /// The last evaluation asked for.
    eval_seq: u64,
    /// The last count of the prompt's matches asked for.
    count_seq: u64,
    /// The last analysis of an open trace asked for.
    analyse_seq: u64,
    /// How far the running file load is (`None` before its first report).
    pub progress: Option<crate::source::LoadProgress>,
    /// The load whose preview the list shows (a large file's traces found so far): its
    /// answer is applied as a newer snapshot, keeping the selection and the open screens.
    previewed: Option<u64>,
    /// Rows shown when the running load was asked for (`None` for the first load): what a
    /// reload's toast compares with.
    rows_before_load: Option<usize>,
    /// The loaded data.
    pub data: Option<Arc<Dataset>>,
    /// The trace list.
    pub list: ListState,
    /// The open trace, if any.
    pub view: Option<TraceView>,
    /// The service map, while it shows.
    pub map: Option<map::MapState>,
    /// The Analysis screen, while it shows.
    pub analysis: Option<analysis::AnalysisState>,
    /// The last Analysis question asked.
    analysis_seq: u64,
    /// How maps show (fitted or full size, with or without the panel), kept from one map to
    /// the next.
    pub map_view: map::MapView,
    /// The screen.
    pub mode: Mode,
    /// What is open over the screen (help, diagnostics, prompt, window editor, palette,
    /// groups), bottom first; keys, clicks and drawing all go by its top.
    pub overlays: overlay::Overlays,
    /// Terminal size.
    pub size: Rect,
    /// Spinner frame.
    pub spinner: usize,
    /// The last notice or error, for the status line.
    pub message: Option<String>,
    /// Set when the state changed since the last draw.
    pub dirty: bool,
    /// Set once the app should end.
    pub quit: bool,
    /// Applied filter expressions, oldest first (kept across runs by the runtime).
    pub history: Vec<String>,
    /// Words the prompt completes from (services, edges, annotations... of the loaded data);
    /// see `App::refresh_vocab`.
    pub vocab: Vocabulary,
    /// `vocab` matches the loaded data.
    vocab_fresh: bool,
    /// The configuration: saved filters (`@name`) and local groups.
    pub config: Config,
    /// Groups `group.name` resolves against: the loaded ones, then the config's local ones.
    pub groups: Vec<Group>,
    /// What kind of source the data comes from.
    pub source: SourceKind,
    /// A live source's counters.
    pub feed: Feed,
    /// Traces fetched on demand (AWS), newest last.
    pub fetched: Vec<Arc<crate::model::Trace>>,
    /// The trace being fetched to open.
    pub pending_trace: Option<String>,
    /// The time window as typed (`15m`, `1h`, `START..END`); empty means everything loaded.
    pub window: String,
    /// AWS: the group whose filter applies.
    pub group: Option<String>,
    /// AWS: follow mode (poll for new traces).
    pub follow: bool,
    /// Commands asked for by a handler deep in an action; `update` returns them too.
    pending: Vec<Cmd>,
    /// The palette's entries for the loaded data, built when it first opens after a load.
    palette_cache: palette::PaletteCache,
    /// Short messages in a corner that expire by ticks.
    pub toasts: toast::Toasts,
    /// The AWS region, for console URLs (unknown: `share::FALLBACK_REGION`, said in a toast).
    pub region: Option<String>,
    /// Whether a browser can be opened (a display is available).
    pub can_open: bool,
    /// The keys: the built-in table with the config's overrides.
    pub keymap: Keymap,
    /// Trace IDs are shown in W3C form (32 hex digits) rather than as kept (`W`).
    pub w3c_ids: bool,
}

impl App {
    /// A new app for a terminal of `size`, nothing loaded.
    pub fn new(source_label: impl Into<String>, size: Rect) -> Self {
        App {
            source_label: source_label.into(),
            generation: 0,
            load: LoadState::Idle,
            progress: None,
            previewed: None,
            rows_before_load: None,
            evaluating: None,
            eval_seq: 0,
            count_seq: 0,
            analyse_seq: 0,
            data: None,
            list: ListState::default(),
            view: None,
            map: None,
            analysis: None,
            analysis_seq: 0,
            map_view: map::MapView::default(),
            mode: Mode::List,
            overlays: overlay::Overlays::default(),
            size,
            spinner: 0,
            message: None,
            dirty: true,
            quit: false,
            history: Vec::new(),
            vocab: Vocabulary::default(),
            vocab_fresh: true,
            config: Config::default(),
            groups: Vec::new(),
            source: SourceKind::Files,
            feed: Feed::None,
            fetched: Vec::new(),
            pending_trace: None,
            window: String::new(),
            group: None,
            follow: false,
            pending: Vec::new(),
            palette_cache: palette::PaletteCache::default(),
            toasts: toast::Toasts::default(),
            region: None,
            can_open: false,
            keymap: Keymap::default(),
            w3c_ids: false,
        }
    }

    /// The same app with a configuration (saved filters, local groups, key bindings, theme
    /// colours).
    pub fn with_config(mut self, config: Config) -> Self {
        self.groups = config.groups();
        self.keymap = config.keymap.clone();
        self.config = config;
        self
    }

    /// The same app with a filter history (oldest first), as read from the data directory.
    pub fn with_history(mut self, history: Vec<String>) -> Self {
        self.history = history;
        self
    }

    /// What the source can do.
    pub fn caps(&self) -> Capabilities {
        self.source.capabilities()
    }

    /// Starts (or restarts) loading: a new generation, so any older answer is ignored. A source
    /// that evaluates queries itself (AWS) is asked again; one that pushes on its own (the
    /// daemon) needs no load.
    pub fn start_load(&mut self) -> Vec<Cmd> {
        let caps = self.caps();
        if caps.remote_query {
            return self.fetch_query();
        }
        if !caps.reload {
            // Nothing received yet is an empty list, not a load in progress.
            if self.data.is_none() {
                self.data = Some(Arc::new(Dataset::default()));
            }
            self.load = LoadState::Loaded;
            self.dirty = true;
            return Vec::new();
        }
        self.generation += 1;
        self.load = LoadState::Loading;
        self.progress = None;
        self.rows_before_load = self.data.as_ref().map(|d| d.rows.len());
        self.dirty = true;
        vec![Cmd::Source(Request::Load {
            generation: self.generation,
        })]
    }

    /// Applies what the source sent.
    fn apply_source(&mut self, update: Update) {
        match update {
            Update::Loaded(d) => self.apply_loaded(d),
            Update::Snapshot(u) => self.apply_update(u),
            Update::Feed(f) => self.apply_feed(f),
            Update::Verdicts(v) => self.apply_verdicts(v),
            Update::Progress(p) => {
                if p.generation == self.generation && self.load == LoadState::Loading {
                    self.progress = Some(p);
                    self.dirty = true;
                }
            }
            Update::Trace(t) => self.apply_trace(t),
            Update::TraceGraph { id, result } => self.apply_trace_graph(&id, result),
        }
    }

    /// A whole load finished: its data replaces what was shown, unless a newer load started.
    fn apply_loaded(&mut self, d: Loaded) {
        if d.generation != self.generation {
            return;
        }
        self.dirty = true;
        let before = self.rows_before_load.take();
        let previewed = self.previewed.take() == Some(d.generation);
        match d.result {
            Ok(data) => {
                let now = data.rows.len();
                if previewed {
                    // The list already shows part of it: the whole replaces the part in place.
                    self.load = LoadState::Loaded;
                    self.apply_update(crate::source::Snapshot {
                        generation: d.generation,
                        data,
                    });
                } else {
                    self.set_data(data);
                }
                // A reload (`r`) says what it found, even when nothing changed.
                if let Some(before) = before {
                    let change = match now.cmp(&before) {
                        std::cmp::Ordering::Equal => "no change".to_owned(),
                        _ => format!("{:+}", now as i64 - before as i64),
                    };
                    self.toast_info(format!(
                        "reloaded: {} ({change})",
                        crate::model::format::count(now, "trace", "traces")
                    ));
                }
            }
            Err(e) => self.load = LoadState::Failed(e),
        }
    }

    /// Clears the dirty flag, saying whether a draw is due.
    pub fn take_dirty(&mut self) -> bool {
        std::mem::replace(&mut self.dirty, false)
    }

    /// The key scope of the current screen.
    pub fn scope(&self) -> Scope {
        match self.mode {
            Mode::List => Scope::List,
            Mode::Trace => Scope::Trace,
            Mode::Map => Scope::Map,
            Mode::Analysis => Scope::Analysis,
        }
    }

    /// Applies one event.
    pub fn update(&mut self, event: Event) -> Vec<Cmd> {
        let mut cmds = self.handle(event);
        cmds.append(&mut self.pending);
        // The listed traces changed while the Analysis screen shows: its numbers are asked
        // for again (once per event, whatever changed them).
        cmds.extend(self.ask_analysis());
        cmds
    }

    fn handle(&mut self, event: Event) -> Vec<Cmd> {
        match event {
            Event::Key(key) => {
                if key.kind != KeyEventKind::Press {
                    return Vec::new();
                }
                // The overlay on top takes the key, then the find bar while it types, then the
                // screen.
                if let Some(cmds) = self.overlay_key(&key) {
                    return cmds;
                }
                if self.find_editing() {
                    self.dirty = true;
                    return match self.keymap.action_for(Scope::Find, &key) {
                        Some(Action::Quit) => self.quit(),
                        action => self.find_key(action, &key),
                    };
                }
                let Some(action) = self.keymap.action_for(self.scope(), &key) else {
                    return Vec::new();
                };
                self.dirty = true;
                self.action(action)
            }
            Event::Mouse(m) => {
                self.mouse(m);
                Vec::new()
            }
            Event::Resize(w, h) => {
                self.size = Rect::new(0, 0, w, h);
                self.scroll();
                self.dirty = true;
                Vec::new()
            }
            Event::Source(u) => {
                let loaded = matches!(u, Update::Loaded(_));
                let data = loaded || matches!(u, Update::Snapshot(_));
                self.apply_source(u);
                if data {
                    self.recount_prompt();
                }
                self.prepare_analysis(loaded)
            }
            Event::Tick => {
                if self.toasts.tick() {
                    self.dirty = true;
                }
                // Something is being worked out that the screen shows a spinner for.
                let analysing = self.mode == Mode::Analysis
                    && self
                        .analysis
                        .as_ref()
                        .is_some_and(|a| a.pending != crate::filter::analyze::Parts::NONE);
                if self.load == LoadState::Loading || analysing {
                    self.spinner = self.spinner.wrapping_add(1);
                    self.dirty = true;
                }
                Vec::new()
            }
            Event::Exported(result) => {
                self.exported(result);
                Vec::new()
            }
            Event::Notice(level, text) => {
                self.notice(level, text);
                Vec::new()
            }
            Event::CopyFallback(text) => vec![Cmd::CopyEscape(text)],
            Event::Analysed(a) => {
                if a.generation == self.analyse_seq {
                    if let Some(v) = self.view.as_mut() {
                        v.set_analysis(a.analysis);
                        self.dirty = true;
                    }
                }
                Vec::new()
            }
            Event::TracesAnalysed(a) => {
                self.analyzed(*a);
                Vec::new()
            }
            Event::AnalysisProgress { done, of } => {
                self.analysis_progress(done, of);
                Vec::new()
            }
            Event::Counted(c) => {
                if let Some(Overlay::Prompt(p)) = self.overlays.top_mut() {
                    if p.counted(c) {
                        self.dirty = true;
                    }
                }
                Vec::new()
            }
        }
    }

    /// The key scope that takes every key, if one does: the top overlay's (the diagnostics
    /// pane takes none), else the find bar's while it types.
    pub fn input_scope(&self) -> Option<Scope> {
        match self.overlays.top().and_then(overlay::Overlay::scope) {
            Some(scope) => Some(scope),
            None => self.find_editing().then_some(Scope::Find),
        }
    }

    /// A key for the overlay on top, if it takes keys (`None`: nothing is open, or the
    /// diagnostics pane, whose keys are the screen's). The overlay is taken off the stack while
    /// its handler runs; the handler puts it back to keep it open.
    fn overlay_key(&mut self, key: &KeyEvent) -> Option<Vec<Cmd>> {
        let scope = self.overlays.top()?.scope()?;
        let top = self.overlays.pop()?;
        if let Overlay::Help { scroll } = top {
            return Some(self.help_key(scroll, key));
        }
        self.dirty = true;
        // An input's own bindings only (so `q` types), `quit` (Ctrl-C) among them; a key bound
        // to nothing is the input's to type.
        let action = self.keymap.action_for(scope, key);
        if action == Some(Action::Quit) {
            self.overlays.push(top);
            return Some(self.quit());
        }
        Some(match top {
            Overlay::Prompt(p) => self.prompt_key(p, action, key),
            Overlay::Window(input) => self.window_key(input, action, key),
            Overlay::Threshold(input) => self.threshold_key(input, action, key),
            Overlay::Palette(p) => self.palette_key(p, action, key),
            Overlay::Groups(g) => self.groups_key(g, action),
            // Taken care of above.
            Overlay::Help { .. } | Overlay::Diagnostics => {
                self.overlays.push(top);
                Vec::new()
            }
        })
    }

    /// Says what hiding entities shorter than `t` hid (`more`: how to hide more).
    fn said_hidden(&mut self, t: f64, more: &str) {
        let hidden = self.view.as_ref().map_or(0, |v| v.hidden);
        self.toast_info(if t > 0.0 {
            format!(
                "hiding entities shorter than {} ({hidden} hidden; {more})",
                crate::model::time::format_duration(t)
            )
        } else {
            "every entity shown".to_owned()
        });
    }

    /// A key while the hide-shorter-than input is open (the time window's editing keys).
    fn threshold_key(
        &mut self,
        mut input: input::TextInput,
        action: Option<Action>,
        key: &crossterm::event::KeyEvent,
    ) -> Vec<Cmd> {
        match action {
            Some(Action::PromptCancel) => return Vec::new(),
            Some(Action::PromptApply) => {
                match parse_threshold(input.text()) {
                    Ok(t) => {
                        if let Some(v) = self.view.as_mut() {
                            v.set_hide_shorter(t);
                        }
                        self.said_hidden(t, "T to change");
                    }
                    Err(e) => {
                        self.message = Some(format!("hide shorter than: {e}"));
                        self.overlays.push(Overlay::Threshold(input));
                    }
                }
                return Vec::new();
            }
            Some(a) if input.apply(a) => {}
            _ => {
                if let Some(c) = input::typed_char(key) {
                    input.insert(c);
                }
            }
        }
        self.overlays.push(Overlay::Threshold(input));
        Vec::new()
    }

    /// Leaves the app.
    fn quit(&mut self) -> Vec<Cmd> {
        self.quit = true;
        vec![Cmd::Quit]
    }

    /// A key while the help shows (taken off the stack at `scroll`): the help's own bindings
    /// first (`quit`, Ctrl-C), then the screen's, whose motions scroll the help and whose
    /// `help`, `back` and `quit` (`q`) close it.
    fn help_key(&mut self, scroll: u16, key: &KeyEvent) -> Vec<Cmd> {
        let own = self.keymap.action_in(Scope::Help, key);
        let Some(action) = own.or_else(|| self.keymap.action_for(self.scope(), key)) else {
            self.overlays.push(Overlay::Help { scroll });
            return Vec::new();
        };
        self.dirty = true;
        let scroll = match action {
            Action::Quit if own.is_some() => {
                self.overlays.push(Overlay::Help { scroll });
                return self.quit();
            }
            Action::Suspend => {
                self.overlays.push(Overlay::Help { scroll });
                return vec![Cmd::Suspend];
            }
            Action::Help | Action::Back | Action::Quit => return Vec::new(),
            Action::Down | Action::DetailsDown => scroll.saturating_add(1),
            Action::Up | Action::DetailsUp => scroll.saturating_sub(1),
            Action::PageDown => scroll.saturating_add(10),
            Action::PageUp => scroll.saturating_sub(10),
            Action::Top => 0,
            _ => scroll,
        };
        self.overlays.push(Overlay::Help { scroll });
        Vec::new()
    }

    fn action(&mut self, action: Action) -> Vec<Cmd> {
        if matches!(self.overlays.top(), Some(Overlay::Diagnostics)) && action == Action::Back {
            self.overlays.pop();
            return Vec::new();
        }
        match action {
            Action::Quit => return self.quit(),
            Action::Suspend => return vec![Cmd::Suspend],
            // Esc in the list clears what filters it, whichever way it was set (a map
            // filter first; then an expression from the prompt or the palette; then the
            // quick filter), and says what it cleared.
            Action::Back
                if self.mode == Mode::List
                    && (self.list.only.is_some()
                        || self.list.expr.is_some()
                        || self.list.filter != list::QuickFilter::All) =>
            {
                if self.list.only.is_some() {
                    self.clear_map_filter();
                } else if let Some(text) = self.list.expr_text() {
                    let cmds = self.apply_filter("").unwrap_or_default();
                    self.toast_info(format!("filter cleared: {text}"));
                    return cmds;
                } else {
                    let was = self.list.filter;
                    self.list.filter = list::QuickFilter::All;
                    self.rebuild_list();
                    self.list.offset = 0;
                    self.toast_info(format!("filter cleared: {} only", was.label()));
                }
            }
            Action::Help => self.overlays.push(Overlay::Help { scroll: 0 }),
            Action::Reload => {
                self.message = None;
                return self.start_load();
            }
            Action::Follow => return self.toggle_follow(),
            Action::Diagnostics => self.overlays.toggle_diagnostics(),
            Action::Window => {
                let input = input::TextInput::new(&self.window);
                self.overlays.push(Overlay::Window(input));
            }
            Action::Palette => self.open_palette(),
            Action::Groups => self.open_groups(),
            Action::Copy | Action::OpenConsole | Action::Export => {
                return self.share_action(action);
            }
            Action::IdForm if self.mode != Mode::Map => {
                self.w3c_ids = !self.w3c_ids;
                self.toast_info(if self.w3c_ids {
                    "trace IDs in W3C form (32 hex digits; W: X-Ray form)"
                } else {
                    "trace IDs in X-Ray form (1-…; W: W3C form)"
                });
            }
            _ => match self.mode {
                Mode::List => self.list_action(action),
                Mode::Trace => {
                    if !self.find_action(action) {
                        self.trace_action(action);
                    }
                }
                Mode::Map if action == Action::Analysis => self.open_analysis(),
                Mode::Map => {
                    self.map_action(action);
                    return Vec::new();
                }
                Mode::Analysis => return self.analysis_action(action),
            },
        }
        self.scroll();
        Vec::new()
    }

    /// Clears the map filter (a service or an edge chosen on the map) and says so.
    fn clear_map_filter(&mut self) {
        let Some(only) = self.list.only.take() else {
            return;
        };
        self.rebuild_list();
        self.list.offset = 0;
        self.toast_info(format!("filter cleared: {}", only.label));
    }

    fn list_action(&mut self, action: Action) {
        let page = isize::try_from(layout::list_rows(self.size).max(1)).unwrap_or(1);
        let summaries = self.data.as_ref().map_or(&[][..], |d| &d.rows[..]);
        match action {
            Action::Up => self.list.move_by(-1),
            Action::Down => self.list.move_by(1),
            Action::PageUp => self.list.move_by(-page),
            Action::PageDown => self.list.move_by(page),
            Action::Top => self.list.selected = 0,
            Action::Bottom => self.list.move_by(isize::MAX),
            Action::SortNext => self.list.sort_by(self.list.sort.next(), summaries),
            Action::SortReverse => self.list.reverse(summaries),
            Action::SortBy(i) => {
                if let Some(col) = SortColumn::at(i) {
                    self.list.sort_by(col, summaries);
                }
            }
            // f clears a map filter (service or edge) first, as Esc does.
            Action::Filter if self.list.only.is_some() => self.clear_map_filter(),
            Action::Map => self.open_map(),
            Action::Analysis => self.open_analysis(),
            Action::Filter => {
                self.list.filter = self.list.filter.next();
                self.list.rebuild(summaries);
                self.list.offset = 0;
            }
            Action::Open => self.open_selected(),
            Action::FilterPrompt => {
                let text = self.list.expr_text().unwrap_or_default();
                let saved = self
                    .config
                    .filters
                    .iter()
                    .map(|(n, e)| (n.clone(), e.clone()))
                    .collect();
                self.refresh_vocab();
                let mut p = Prompt::new(&text, &self.vocab, saved);
                self.count_prompt(&mut p, false);
                self.overlays.push(Overlay::Prompt(p));
            }
            _ => {}
        }
    }

    /// A key while the prompt is open, with its action in the prompt's scope: a binding, else
    /// the character is typed. With a candidate highlighted, Enter inserts it and Up/Down move
    /// the highlight; Esc closes the popup before the prompt.
    fn prompt_key(&mut self, mut p: Prompt, action: Option<Action>, key: &KeyEvent) -> Vec<Cmd> {
        let v = &self.vocab;
        match action {
            Some(Action::PromptApply) if p.picking() => {
                p.accept_candidate(v);
            }
            Some(Action::PromptApply) => match self.apply_filter(p.input.text()) {
                Ok(mut cmds) => {
                    cmds.extend(Self::stop_count(&p));
                    return cmds;
                }
                Err(e) => p.error = Some(e),
            },
            Some(Action::PromptCancel) if p.close_popup() => {}
            Some(Action::PromptCancel) => return Self::stop_count(&p),
            Some(Action::PromptComplete) => {
                p.complete(v);
            }
            Some(Action::PromptNextCandidate) => p.cycle_candidate(1),
            Some(Action::PromptPrevCandidate) => p.cycle_candidate(-1),
            Some(Action::PromptHistoryPrev) if p.picking() => p.cycle_candidate(-1),
            Some(Action::PromptHistoryNext) if p.picking() => p.cycle_candidate(1),
            Some(Action::PromptHistoryPrev) => p.history_prev(&self.history, v),
            Some(Action::PromptHistoryNext) => p.history_next(&self.history, v),
            Some(a) if p.edit(a, v) => {}
            _ => {
                if let Some(c) = input::typed_char(key) {
                    p.insert(c, v);
                }
            }
        }
        self.count_prompt(&mut p, false);
        self.overlays.push(Overlay::Prompt(p));
        Vec::new()
    }

    /// What closing the prompt asks of the runtime: to stop a count still running.
    fn stop_count(p: &Prompt) -> Vec<Cmd> {
        match p.count {
            prompt::LiveCount::Counting(_) => vec![Cmd::StopCount],
            _ => Vec::new(),
        }
    }

    /// Asks for a count of the traces the prompt's expression matches, when it parses and
    /// was not counted yet (`again`: count even so, as after new data). A source that
    /// evaluates expressions itself gets none: X-Ray counts once it is applied.
    fn count_prompt(&mut self, p: &mut Prompt, again: bool) {
        if self.caps().remote_query {
            p.uncounted(prompt::LiveCount::Remote);
            return;
        }
        if let Some(Err(e)) = p.parsed().map(|f| f.check_groups(&self.groups)) {
            p.error = Some(e);
            p.uncounted(prompt::LiveCount::None);
            return;
        }
        let Some(data) = self.data.clone() else {
            p.uncounted(prompt::LiveCount::None);
            return;
        };
        let Some(filter) = p.next_count(again) else {
            return;
        };
        self.count_seq += 1;
        p.count = prompt::LiveCount::Counting(self.count_seq);
        let rows = self.list_rows_besides_expr(&data);
        self.pending.push(Cmd::Count(Box::new(prompt::CountRequest {
            generation: self.count_seq,
            data,
            filter,
            groups: self.groups.clone(),
            rows,
        })));
    }

    /// New data while the prompt is open: its expression is counted again.
    fn recount_prompt(&mut self) {
        if !matches!(self.overlays.top(), Some(Overlay::Prompt(_))) {
            return;
        }
        if let Some(Overlay::Prompt(mut p)) = self.overlays.pop() {
            self.count_prompt(&mut p, true);
            self.overlays.push(Overlay::Prompt(p));
        }
    }

    /// The rows the list would show whatever the expression (its quick filter, a map filter
    /// and the time window applied); `None` when nothing else narrows it.
    fn list_rows_besides_expr(&self, data: &Dataset) -> Option<Arc<[usize]>> {
        let l = &self.list;
        if l.filter == list::QuickFilter::All && l.only.is_none() && l.window.is_none() {
            return None;
        }
        Some(
            (0..data.rows.len())
                .filter(|&i| {
                    let r = &data.rows[i];
                    l.filter.keeps(r)
                        && l.only.as_ref().is_none_or(|o| o.ids.contains(&*r.id))
                        && l.window
                            .is_none_or(|(a, b)| r.start_time.is_none_or(|t| t >= a && t <= b))
                })
                .collect(),
        )
    }

    /// Applies a filter expression to the list (empty text clears it). On success the prompt
    /// stays closed and the history is saved; on error nothing changes.
    fn apply_filter(&mut self, text: &str) -> Result<Vec<Cmd>, FilterError> {
        let text = text.trim();
        if text.is_empty() {
            let had = self.list.expr.take().is_some();
            self.list.matches = None;
            self.evaluating = None;
            self.rebuild_list();
            self.message = None;
            if self.caps().remote_query && had {
                return Ok(self.fetch_query());
            }
            return Ok(Vec::new());
        }
        // `@name` stands for a saved filter.
        let text = self
            .config
            .expand(text)
            .map_err(|m| FilterError::new(m, 0..text.len()))?
            .to_owned();
        let f = filter::parse(&text)?;
        if self.caps().remote_query {
            // The service evaluates it (after the local syntax check above).
            self.list.expr = Some(f.clone());
            prompt::remember(&mut self.history, &f.to_string(), HISTORY_MAX);
            self.message = Some(format!("asking X-Ray for traces matching {f}"));
            let mut cmds = self.fetch_query();
            cmds.push(Cmd::SaveHistory(self.history.clone()));
            return Ok(cmds);
        }
        f.check_groups(&self.groups)?;
        self.list.matches = Some(self.evaluate(&f));
        self.list.expr = Some(f.clone());
        self.rebuild_list();
        self.list.offset = 0;
        self.say_matches();
        prompt::remember(&mut self.history, &f.to_string(), HISTORY_MAX);
        Ok(vec![Cmd::SaveHistory(self.history.clone())])
    }

    /// `12 traces match …`, and whether more are being checked.
    fn say_matches(&mut self) {
        let Some(f) = self.list.expr.as_ref() else {
            return;
        };
        let shown = self.list.visible.len();
        self.message = Some(if self.evaluating.is_some() {
            format!(
                "{} {f} so far; checking the rest",
                count(shown, "trace matches", "traces match")
            )
        } else {
            format!("{} {f}", count(shown, "trace matches", "traces match"))
        });
    }

    /// Which summaries the applied expression selects. Summaries whose trace is not loaded are
    /// judged on what the summary holds; undecided ones are left out. Rows decided without
    /// parsing (the index, kept traces) are decided here; the rest are asked of the source,
    /// which parses their traces off the UI thread ([`Request::Evaluate`]), and count as not
    /// matching until it answers.
    fn evaluate(&mut self, f: &filter::Filter) -> Vec<bool> {
        let Some(data) = self.data.clone() else {
            return Vec::new();
        };
        let groups = self.groups.clone();
        let ctx = EvalContext { groups: &groups };
        let mut undecided = Vec::new();
        let matches = (0..data.rows.len())
            .map(|i| match f.quick_verdict_at(&data, i, &ctx) {
                Some(v) => v == Verdict::Match,
                None => {
                    undecided.push(i);
                    false
                }
            })
            .collect();
        self.eval_seq += 1;
        self.evaluating = None;
        if !undecided.is_empty() {
            self.evaluating = Some(self.eval_seq);
            self.pending.push(Cmd::Source(Request::Evaluate(Box::new(
                crate::source::Evaluation {
                    id: self.eval_seq,
                    data,
                    filter: f.clone(),
                    groups,
                    rows: undecided,
                },
            ))));
        }
        matches
    }

    /// The source's verdicts on the rows it was asked about: the list shows them.
    fn apply_verdicts(&mut self, v: crate::source::Verdicts) {
        if self.evaluating != Some(v.id) {
            return;
        }
        self.evaluating = None;
        if let Some(m) = self.list.matches.as_mut() {
            for (i, yes) in v.matches {
                if let Some(x) = m.get_mut(i) {
                    *x = yes;
                }
            }
        }
        self.rebuild_list();
        self.say_matches();
        self.scroll();
        self.dirty = true;
    }

    fn rebuild_list(&mut self) {
        if let Some(d) = &self.data {
            self.list.rebuild(&d.rows);
        }
        self.analysis_outdated();
    }

    fn trace_action(&mut self, action: Action) {
        let page = isize::try_from(layout::waterfall_rows(self.size).max(1)).unwrap_or(1);
        let Some(v) = self.view.as_mut() else {
            self.mode = Mode::List;
            return;
        };
        // The statistics take the screen's keys while they show: they scroll, and Esc or `S`
        // goes back to the waterfall.
        if let Some(st) = v.stats.as_mut() {
            let lines = st.stats.services.len() + st.stats.operations.len() + 4;
            let step = |by: isize| {
                st.scroll
                    .saturating_add_signed(by)
                    .min(lines.saturating_sub(1))
            };
            match action {
                Action::Up => st.scroll = step(-1),
                Action::Down => st.scroll = step(1),
                Action::PageUp => st.scroll = step(-page),
                Action::PageDown => st.scroll = step(page),
                Action::Top => st.scroll = 0,
                Action::Bottom => st.scroll = step(isize::MAX),
                Action::Back | Action::TraceStats => v.stats = None,
                _ => {}
            }
            return;
        }
        match action {
            Action::TraceStats => v.toggle_stats(),
            Action::Back => {
                self.view = None;
                self.mode = Mode::List;
            }
            Action::Up => v.move_by(-1),
            Action::Down => v.move_by(1),
            Action::PageUp => v.move_by(-page),
            Action::PageDown => v.move_by(page),
            Action::Top => v.move_by(isize::MIN),
            Action::Bottom => v.move_by(isize::MAX),
            Action::Toggle => v.toggle(),
            Action::CriticalPath => {
                v.toggle_path_only();
                let shown = v.rows.len();
                let on = v.path_only;
                self.toast_info(if on {
                    format!(
                        "critical path: {} (p shows all)",
                        count(shown, "entity", "entities")
                    )
                } else {
                    "all entities (▐ marks the critical path)".to_owned()
                });
            }
            Action::HideShort => {
                let t = v.cycle_hide_shorter();
                self.said_hidden(t, "t for more");
            }
            Action::HideShorterThan => {
                let text = match v.hide_shorter {
                    t if t > 0.0 => crate::model::time::format_duration(t),
                    _ => String::new(),
                };
                self.overlays
                    .push(Overlay::Threshold(input::TextInput::new(&text)));
            }
            Action::FoldRuns => {
                let on = v.toggle_fold_runs();
                let runs = v.rows.iter().filter(|r| r.run.is_some()).count();
                self.toast_info(if on {
                    format!(
                        "{} of same-name siblings folded (Enter opens one; s: all)",
                        count(runs, "run", "runs")
                    )
                } else {
                    "every sibling shown".to_owned()
                });
            }
            Action::FoldServices => {
                let on = v.toggle_by_service();
                self.toast_info(if on {
                    "one row per service (Enter opens one; C: all)"
                } else {
                    "every entity shown"
                });
            }
            Action::Zoom => match v.zoom_step() {
                trace_view::ZoomStep::Marked => {
                    self.toast_info("zoom: move to the last row of the range, then z");
                }
                trace_view::ZoomStep::Zoomed((lo, hi)) => {
                    let f = crate::model::time::format_duration;
                    self.toast_info(format!("zoomed to {}–{} (Z: whole trace)", f(lo), f(hi)));
                }
                trace_view::ZoomStep::Nothing => self.toast_info("nothing to zoom to"),
            },
            Action::ZoomReset if v.zoom_reset() => self.toast_info("the whole trace"),
            Action::Left => v.collapse_or_parent(),
            Action::Right => v.expand_or_child(),
            Action::RootCause => match v.jump_root_cause() {
                Some((i, n)) if n > 1 => self.toast_info(format!("root cause {} of {n}", i + 1)),
                Some(_) => {}
                None => self.toast_info("no fault or error root cause in this trace"),
            },
            Action::ExpandAll => v.set_collapsed(Default::default()),
            Action::CollapseSegments => {
                let c = waterfall::segments_only(&v.trace);
                v.set_collapsed(c);
            }
            Action::NextProblem | Action::PrevProblem => {
                let forward = action == Action::NextProblem;
                match v.jump_problem(forward) {
                    trace_view::Jump::Moved => {}
                    trace_view::Jump::Wrapped => self.toast_info(if forward {
                        "past the last problem: back to the first"
                    } else {
                        "before the first problem: on to the last"
                    }),
                    trace_view::Jump::None => {
                        self.toast_info("no fault, error or throttle in this trace");
                    }
                }
            }
            Action::NextTab | Action::PrevTab => {
                let n = DetailTab::ALL.len();
                let i = v.tab.index();
                let next = if action == Action::NextTab {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                v.tab = DetailTab::ALL[next];
                v.details_scroll = 0;
            }
            Action::Tab(i) => {
                if let Some(&t) = DetailTab::ALL.get(usize::from(i)) {
                    v.tab = t;
                    v.details_scroll = 0;
                }
            }
            Action::DetailsDown | Action::DetailsUp
                if v.tab == DetailTab::Links && v.move_link(action == Action::DetailsDown) => {}
            Action::DetailsDown => v.details_scroll = v.details_scroll.saturating_add(3),
            Action::DetailsUp => v.details_scroll = v.details_scroll.saturating_sub(3),
            Action::FollowLink => self.follow_link(),
            Action::RelatedLogs => {
                let cmds = self.share_action(action);
                self.pending.extend(cmds);
            }
            Action::Map => self.open_trace_map(),
            _ => {}
        }
    }

    /// Keeps the selections on screen after a move or a resize.
    fn scroll(&mut self) {
        self.list.scroll_into_view(layout::list_rows(self.size));
        let h = layout::waterfall_rows(self.size);
        if let Some(v) = self.view.as_mut() {
            v.offset = scroll_offset(v.offset, v.selected, h, v.rows.len());
        }
        if let Some(m) = self.map.as_mut() {
            m.arrange(self.size);
        }
    }

    fn set_data(&mut self, data: Arc<Dataset>) {
        self.index(&data);
        let reopen = self.view.as_ref().map(|v| v.trace.id.clone());
        self.data = Some(data);
        self.reevaluate();
        self.rebuild_list();
        self.load = LoadState::Loaded;
        self.view = None;
        self.map = None;
        // The Analysis screen stays, over the new data.
        self.mode = if self.analysis.is_some() {
            Mode::Analysis
        } else {
            Mode::List
        };
        if let Some(id) = reopen {
            self.open_trace(&id);
        }
        self.scroll();
    }

    /// Takes note of newly arrived data: groups, and completion words to rebuild (traces are
    /// found through the dataset's own index).
    fn index(&mut self, data: &Dataset) {
        self.groups = data.groups.clone();
        for g in self.config.groups() {
            if !self.groups.iter().any(|x| x.group_name == g.group_name) {
                self.groups.push(g);
            }
        }
        // Built when the prompt or the palette needs it, not on every live update.
        self.vocab_fresh = false;
    }

    /// Makes `vocab` match the loaded data (it walks every trace: done when an input that
    /// completes from it opens, not each time data arrives).
    pub(crate) fn refresh_vocab(&mut self) {
        if self.vocab_fresh {
            return;
        }
        self.vocab = match &self.data {
            Some(d) => Vocabulary::from_dataset(d),
            None => Vocabulary::default(),
        }
        .with_groups(&self.groups);
        self.vocab_fresh = true;
    }

    /// Applies the filter expression and the time window to the current data again (a filter
    /// applied before a reload applies to the new data too). With AWS the service already
    /// applied the expression.
    fn reevaluate(&mut self) {
        self.list.window = self.window_range();
        if self.caps().remote_query {
            self.list.matches = None;
            return;
        }
        // Parsed once when it was applied: a live update only evaluates it.
        if let Some(f) = self.list.expr.clone() {
            self.list.matches = Some(self.evaluate(&f));
        }
    }

    /// Opens the trace the marked link of the selected entity points to, at the linked span:
    /// the same trace just moves the selection; a trace that is not loaded is said so (a source
    /// that fetches traces on demand is asked for it).
    fn follow_link(&mut self) {
        let Some(v) = self.view.as_mut() else {
            return;
        };
        let (links, at) = v.links();
        let Some(link) = links.into_iter().nth(at) else {
            self.toast_info("no span links on this entity (9: the Links tab)");
            return;
        };
        let same = crate::model::header::trace_id_candidates(&link.trace_id)
            .iter()
            .any(|c| *c == v.trace.id);
        let span = link.span_id.clone().unwrap_or_default();
        if same {
            if span.is_empty() {
                self.toast_info("the link points to this trace");
            } else if !v.reveal_doc(&span) {
                self.toast_info(format!("the linked span {span} is not in this trace"));
            }
            return;
        }
        let shown = crate::model::format::trace_id_in(&link.trace_id, self.w3c_ids).into_owned();
        let loaded = self
            .data
            .as_ref()
            .and_then(|d| d.resolve_id(&link.trace_id));
        if loaded.is_none() && !self.caps().traces_on_demand {
            self.toast_error(format!("linked trace {shown} is not loaded"));
            return;
        }
        self.open_trace(&link.trace_id);
        if let Some(v) = self.view.as_mut() {
            let opened = crate::model::header::trace_id_candidates(&link.trace_id)
                .iter()
                .any(|c| *c == v.trace.id);
            if opened && !span.is_empty() && !v.reveal_doc(&span) {
                self.toast_info(format!(
                    "opened {shown}; the linked span {span} is not in it"
                ));
            }
        }
    }

    fn open_selected(&mut self) {
        let id = self
            .list
            .visible
            .get(self.list.selected)
            .and_then(|&i| self.data.as_ref()?.rows.get(i))
            .map(|s| s.id.to_string());
        if let Some(id) = id {
            self.open_trace(&id);
        }
    }

    fn open_trace(&mut self, id: &str) {
        let Some(data) = self.data.as_ref() else {
            return;
        };
        let resolved = data.resolve_id(id);
        let id = resolved.as_deref().unwrap_or(id);
        let Some(trace) = data.traces.by_id(id) else {
            if self.caps().traces_on_demand {
                // The service knows traces by their X-Ray spelling.
                let id = crate::model::header::xray_form(id).unwrap_or_else(|| id.to_owned());
                let cmds = self.open_remote(&id);
                self.pending.extend(cmds);
                return;
            }
            if resolved.is_none() {
                self.toast_error(format!("trace {id} is not loaded"));
                return;
            }
            self.toast_error(format!(
                "only the summary of {id} is loaded; load its segment documents to open it"
            ));
            return;
        };
        self.show_trace(trace);
    }

    /// The row under the list's selection.
    pub fn selected_summary(&self) -> Option<&crate::model::row::Row> {
        let i = *self.list.visible.get(self.list.selected)?;
        self.data.as_ref()?.rows.get(i)
    }
}

/// A typed duration under which entities are hidden, in seconds: `5ms`, `250us` (or `µs`),
/// `1.5s`, `2m`; a bare number is milliseconds; empty or 0 hides nothing.
fn parse_threshold(text: &str) -> Result<f64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(0.0);
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (5ms, 250us, 1.5s)"))?;
    let scale = match unit.trim() {
        "" | "ms" => 1e-3,
        "us" | "µs" => 1e-6,
        "s" => 1.0,
        "m" | "min" => 60.0,
        other => return Err(format!("unknown unit {other:?} (us, ms, s, m)")),
    };
    let t = n * scale;
    if !t.is_finite() || t < 0.0 {
        return Err(format!("{text:?} is not a duration (5ms, 250us, 1.5s)"));
    }
    Ok(t)
}

#[cfg(test)]
mod threshold_tests {
    use super::parse_threshold;

    #[test]
    fn typed_thresholds_read_as_seconds() {
        assert_eq!(parse_threshold(""), Ok(0.0));
        assert_eq!(parse_threshold(" 0 "), Ok(0.0));
        assert_eq!(parse_threshold("5"), Ok(0.005), "a bare number is ms");
        assert_eq!(parse_threshold("5ms"), Ok(0.005));
        assert_eq!(parse_threshold("250us"), Ok(0.00025));
        assert_eq!(parse_threshold("250µs"), Ok(0.00025));
        assert_eq!(parse_threshold("1.5s"), Ok(1.5));
        assert_eq!(parse_threshold("2m"), Ok(120.0));
        assert!(parse_threshold("5 parsecs").is_err());
        assert!(parse_threshold("ms").is_err());
        assert!(parse_threshold("1.2.3ms").is_err());
        assert!(parse_threshold("-5ms").is_err());
    }
}
