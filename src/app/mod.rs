//! The interactive app's state and its one transition function.
//!
//! [`App`] owns all UI state. [`App::update`] takes one [`Event`] (a key, a resize, loaded data,
//! a tick) and returns the [`Cmd`]s the runtime should carry out (load, quit, suspend). It does
//! no I/O and reads no clock, so the whole UI can be driven and checked in tests by feeding
//! events; drawing (`crate::ui`) only reads the state.

pub mod keymap;
pub mod layout;
pub mod list;
pub mod map;
pub mod trace_view;

use std::collections::HashMap;
use std::sync::Arc;

use crossterm::event::{KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::layout::Rect;

use crate::engine::dataset::Dataset;
use crate::engine::waterfall;
use keymap::{Action, Scope, action_for};
use list::{ListState, scroll_offset};
use trace_view::{DetailTab, TraceView};

/// Something that happened.
#[derive(Debug, Clone)]
pub enum Event {
    /// A key was pressed.
    Key(KeyEvent),
    /// The terminal is now this many columns and rows.
    Resize(u16, u16),
    /// A load finished.
    Data(DataEvent),
    /// Time passed (drives the loading spinner).
    Tick,
}

/// The result of one load.
#[derive(Debug, Clone)]
pub struct DataEvent {
    /// The load this answers; answers to older loads are dropped.
    pub generation: u64,
    /// The data, or why there is none.
    pub result: Result<Arc<Dataset>, String>,
}

/// Something the runtime should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    /// Load the sources and answer with [`Event::Data`] carrying this generation.
    Load {
        /// The generation to answer with.
        generation: u64,
    },
    /// Restore the terminal and exit.
    Quit,
    /// Restore the terminal, stop the process (SIGTSTP), and set the terminal up again on resume.
    Suspend,
}

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
    /// The loaded data.
    pub data: Option<Arc<Dataset>>,
    /// Trace ID to index in `data.traces`.
    trace_index: HashMap<String, usize>,
    /// The trace list.
    pub list: ListState,
    /// The open trace, if any.
    pub view: Option<TraceView>,
    /// The service map, while it shows.
    pub map: Option<map::MapState>,
    /// The screen.
    pub mode: Mode,
    /// The help overlay is showing.
    pub help: bool,
    /// Help scroll (lines).
    pub help_scroll: u16,
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
}

impl App {
    /// A new app for a terminal of `size`, nothing loaded.
    pub fn new(source_label: impl Into<String>, size: Rect) -> Self {
        App {
            source_label: source_label.into(),
            generation: 0,
            load: LoadState::Idle,
            data: None,
            trace_index: HashMap::new(),
            list: ListState::default(),
            view: None,
            map: None,
            mode: Mode::List,
            help: false,
            help_scroll: 0,
            size,
            spinner: 0,
            message: None,
            dirty: true,
            quit: false,
        }
    }

    /// Starts (or restarts) loading: a new generation, so any older answer is ignored.
    pub fn start_load(&mut self) -> Vec<Cmd> {
        self.generation += 1;
        self.load = LoadState::Loading;
        self.dirty = true;
        vec![Cmd::Load {
            generation: self.generation,
        }]
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
        }
    }

    /// Applies one event.
    pub fn update(&mut self, event: Event) -> Vec<Cmd> {
        match event {
            Event::Key(key) => {
                if key.kind != KeyEventKind::Press {
                    return Vec::new();
                }
                let Some(action) = action_for(self.scope(), &key) else {
                    return Vec::new();
                };
                self.dirty = true;
                if self.help {
                    return self.help_action(action, &key);
                }
                self.action(action)
            }
            Event::Resize(w, h) => {
                self.size = Rect::new(0, 0, w, h);
                self.scroll();
                self.dirty = true;
                Vec::new()
            }
            Event::Data(d) => {
                if d.generation != self.generation {
                    return Vec::new();
                }
                self.dirty = true;
                match d.result {
                    Ok(data) => self.set_data(data),
                    Err(e) => self.load = LoadState::Failed(e),
                }
                Vec::new()
            }
            Event::Tick => {
                if self.load == LoadState::Loading {
                    self.spinner = self.spinner.wrapping_add(1);
                    self.dirty = true;
                }
                Vec::new()
            }
        }
    }

    fn help_action(&mut self, action: Action, key: &KeyEvent) -> Vec<Cmd> {
        match action {
            Action::Quit if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.quit = true;
                vec![Cmd::Quit]
            }
            Action::Suspend => vec![Cmd::Suspend],
            Action::Help | Action::Back | Action::Quit => {
                self.help = false;
                self.help_scroll = 0;
                Vec::new()
            }
            Action::Down | Action::DetailsDown => {
                self.help_scroll = self.help_scroll.saturating_add(1);
                Vec::new()
            }
            Action::Up | Action::DetailsUp => {
                self.help_scroll = self.help_scroll.saturating_sub(1);
                Vec::new()
            }
            Action::PageDown => {
                self.help_scroll = self.help_scroll.saturating_add(10);
                Vec::new()
            }
            Action::PageUp => {
                self.help_scroll = self.help_scroll.saturating_sub(10);
                Vec::new()
            }
            Action::Top => {
                self.help_scroll = 0;
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn action(&mut self, action: Action) -> Vec<Cmd> {
        match action {
            Action::Quit => {
                self.quit = true;
                return vec![Cmd::Quit];
            }
            Action::Suspend => return vec![Cmd::Suspend],
            Action::Help => {
                self.help = true;
                self.help_scroll = 0;
            }
            Action::Reload => {
                self.message = None;
                return self.start_load();
            }
            _ => match self.mode {
                Mode::List => self.list_action(action),
                Mode::Trace => self.trace_action(action),
                Mode::Map => {
                    self.map_action(action);
                    return Vec::new();
                }
            },
        }
        self.scroll();
        Vec::new()
    }

    fn list_action(&mut self, action: Action) {
        let page = isize::try_from(layout::list_rows(self.size).max(1)).unwrap_or(1);
        let summaries = self.data.as_ref().map_or(&[][..], |d| &d.summaries[..]);
        match action {
            Action::Up => self.list.move_by(-1),
            Action::Down => self.list.move_by(1),
            Action::PageUp => self.list.move_by(-page),
            Action::PageDown => self.list.move_by(page),
            Action::Top => self.list.selected = 0,
            Action::Bottom => self.list.move_by(isize::MAX),
            Action::SortNext => {
                self.list.sort = self.list.sort.next();
                self.list.rebuild(summaries);
            }
            Action::SortReverse => {
                self.list.descending = !self.list.descending;
                self.list.rebuild(summaries);
            }
            // Esc and f clear a map filter (service or edge) first.
            Action::Back | Action::Filter if self.list.only.is_some() => {
                self.list.only = None;
                self.list.rebuild(summaries);
                self.list.offset = 0;
            }
            Action::Map => self.open_map(),
            Action::Filter => {
                self.list.filter = self.list.filter.next();
                self.list.rebuild(summaries);
                self.list.offset = 0;
            }
            Action::Open => self.open_selected(),
            _ => {}
        }
    }

    fn trace_action(&mut self, action: Action) {
        let page = isize::try_from(layout::waterfall_rows(self.size).max(1)).unwrap_or(1);
        let Some(v) = self.view.as_mut() else {
            self.mode = Mode::List;
            return;
        };
        match action {
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
            Action::ExpandAll => v.set_collapsed(Default::default()),
            Action::CollapseSegments => {
                let c = waterfall::segments_only(&v.trace);
                v.set_collapsed(c);
            }
            Action::NextProblem | Action::PrevProblem
                if !v.jump_problem(action == Action::NextProblem) =>
            {
                self.message = Some("no fault, error or throttle in this trace".into());
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
            Action::DetailsDown => v.details_scroll = v.details_scroll.saturating_add(3),
            Action::DetailsUp => v.details_scroll = v.details_scroll.saturating_sub(3),
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
            m.scroll_into_view(map::canvas_size(self.size));
        }
    }

    fn set_data(&mut self, data: Arc<Dataset>) {
        self.trace_index = data
            .traces
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.clone(), i))
            .collect();
        self.list.rebuild(&data.summaries);
        let reopen = self.view.as_ref().map(|v| v.trace.id.clone());
        self.data = Some(data);
        self.load = LoadState::Loaded;
        self.view = None;
        self.map = None;
        self.mode = Mode::List;
        if let Some(id) = reopen {
            self.open_trace(&id);
        }
        self.scroll();
    }

    fn open_selected(&mut self) {
        let id = self
            .list
            .visible
            .get(self.list.selected)
            .and_then(|&i| self.data.as_ref()?.summaries.get(i))
            .map(|s| s.id.clone());
        if let Some(id) = id {
            self.open_trace(&id);
        }
    }

    fn open_trace(&mut self, id: &str) {
        let Some(data) = self.data.as_ref() else {
            return;
        };
        let Some(trace) = self.trace_index.get(id).and_then(|&i| data.traces.get(i)) else {
            self.message = Some(format!(
                "only the summary of {id} is loaded; load its segment documents to open it"
            ));
            return;
        };
        let summary = data.summaries.iter().find(|s| s.id == id).cloned();
        self.view = Some(TraceView::new(Arc::clone(trace), summary));
        self.mode = Mode::Trace;
        self.message = None;
    }

    /// The summary under the list's selection.
    pub fn selected_summary(&self) -> Option<&crate::model::TraceSummary> {
        let i = *self.list.visible.get(self.list.selected)?;
        self.data.as_ref()?.summaries.get(i)
    }
}
