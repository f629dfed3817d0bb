//! Live sources in the app: the local daemon and AWS with paging and follow mode.
//!
//! Files load once; live sources keep answering. The runtime sends each newer snapshot as
//! a [`Snapshot`] ([`Update::Snapshot`](crate::source::Update::Snapshot)), which [`App`] applies *in place*: the selected
//! trace stays selected (new traces stream in without moving it), the open trace is refreshed
//! when more of it arrived, and the screen stays where it is. Counters and paging progress
//! arrive separately as [`Feed`]s, so the status line can tick without touching the list.
//! With AWS, the list holds the service's summaries and a trace's documents are fetched when it
//! is opened ([`Request::Trace`]); the filter prompt and the time
//! window ask the service again ([`Request::Query`]). The app asks the source what it can do
//! ([`crate::source::Capabilities`]), never which source it is.

use std::sync::Arc;

use crossterm::event::KeyEvent;

use crate::keys::Action;
use crate::model::Trace;
use crate::model::window::WindowSpec;
use crate::source::{Feed, Query, Request, Snapshot, SourceKind, TraceFetched};

use super::input::TextInput;
use super::overlay::Overlay;
use super::{App, Cmd, LoadState, Mode};

impl App {
    /// Says what kind of source this app shows.
    pub fn with_source(mut self, kind: SourceKind) -> Self {
        self.source = kind;
        self
    }

    /// Applies a newer snapshot of a live source in place.
    pub(super) fn apply_update(&mut self, u: Snapshot) {
        if u.generation != self.generation {
            return;
        }
        self.dirty = true;
        let first = self.data.is_none();
        let screen_row = self.list.selected.saturating_sub(self.list.offset);
        self.index(&u.data);
        self.data = Some(u.data);
        self.reevaluate();
        self.rebuild_list();
        // A file load's preview: the load goes on (its progress shown) until it answers.
        if self.caps().live || self.load != LoadState::Loading {
            self.load = LoadState::Loaded;
        } else {
            self.previewed = Some(u.generation);
        }
        if first {
            self.list.selected = 0;
            self.list.offset = 0;
        } else {
            // The selected trace keeps its place on the screen while rows arrive around it.
            self.list.offset = self.list.selected.saturating_sub(screen_row);
        }
        self.refresh_open_trace();
        self.refresh_map();
        self.scroll();
    }

    /// Redraws an open service map from the newer graph (computed off the UI thread by the
    /// source), keeping the selected node.
    fn refresh_map(&mut self) {
        let Some(m) = self.map.as_ref() else {
            return;
        };
        if m.trace_id.is_some() {
            return;
        }
        let Some((graph, filter, basis)) = self.map_graph() else {
            return;
        };
        if graph == m.graph || graph.services.is_empty() {
            return;
        }
        let mut next = m.successor(graph);
        next.filter = filter;
        next.basis = basis;
        self.map = Some(next);
    }

    /// Replaces the open trace with its newer version (more documents arrived), keeping the
    /// selected row, the collapsed rows and the tab.
    fn refresh_open_trace(&mut self) {
        let Some(v) = self.view.as_mut() else {
            return;
        };
        let Some(data) = self.data.as_ref() else {
            return;
        };
        let Some(newer) = data.traces.by_id(&v.trace.id) else {
            return;
        };
        if Arc::ptr_eq(&newer, &v.trace) {
            return;
        }
        let summary = data.summary_of(&newer).map(Arc::unwrap_or_clone);
        v.replace(Arc::clone(&newer), summary);
        self.analyse(newer);
    }

    /// The service's map of a trace arrived: it replaces the locally computed map of that trace
    /// if it is still showing (keeping the selected node), with the trace's links to other
    /// traces added as the local map has them (the service's map has none). An empty or failed
    /// answer keeps the local map, which needs nothing from the service.
    pub(super) fn apply_trace_graph(
        &mut self,
        id: &str,
        result: Result<crate::model::ServiceGraph, String>,
    ) {
        let Some(m) = self.map.as_ref() else {
            return;
        };
        if m.trace_id.as_deref() != Some(id) {
            return;
        }
        match result {
            Ok(graph) if !graph.services.is_empty() => {
                let graph = match self.view.as_ref().filter(|v| v.trace.id == id) {
                    Some(v) => super::map::with_links(graph, &v.trace),
                    None => graph,
                };
                self.dirty = true;
                self.map = Some(m.successor(graph));
                self.scroll();
            }
            Ok(_) => {}
            Err(e) => {
                self.dirty = true;
                self.toast_error(format!("GetTraceGraph: {e}; showing the map computed here"));
            }
        }
    }

    /// Takes a live source's counters; redraws only when they changed.
    pub(super) fn apply_feed(&mut self, feed: Feed) {
        // A query that failed before any data came (no region, no credentials, access
        // denied...) is a failed load: the screen says why instead of spinning.
        if let Feed::Aws(p) = &feed {
            if let (Some(e), false, None) = (&p.error, p.fetching, &self.data) {
                self.load = LoadState::Failed(e.clone());
            }
        }
        if self.feed != feed {
            self.feed = feed;
            self.dirty = true;
        }
    }

    /// A trace fetched on demand arrived: keep it, and open it if it is the one asked for.
    pub(super) fn apply_trace(&mut self, t: TraceFetched) {
        self.dirty = true;
        let waiting = self.pending_trace.as_deref() == Some(t.id.as_str());
        match t.result {
            Ok(trace) => {
                self.fetched.retain(|x| x.id != trace.id);
                self.fetched.push(Arc::clone(&trace));
                if self.fetched.len() > FETCHED_KEEP {
                    self.fetched.remove(0);
                }
                if waiting {
                    self.pending_trace = None;
                    self.show_trace(trace);
                }
            }
            Err(e) => {
                if waiting {
                    self.pending_trace = None;
                    self.toast_error(format!("trace {}: {e}", t.id));
                }
            }
        }
    }

    /// The query the AWS fetcher should run for the current window, filter and group.
    pub(super) fn fetch_query(&mut self) -> Vec<Cmd> {
        self.generation += 1;
        self.load = LoadState::Loading;
        self.dirty = true;
        vec![Cmd::Source(Request::Query(Query {
            generation: self.generation,
            window: self.window.clone(),
            filter: self.list.expr_text(),
            group: self.group.clone(),
            follow: self.follow,
        }))]
    }

    /// Opens a trace whose documents are not loaded: from the fetched ones, else asks AWS.
    pub(super) fn open_remote(&mut self, id: &str) -> Vec<Cmd> {
        if let Some(t) = self.fetched.iter().find(|t| t.id == id) {
            let t = Arc::clone(t);
            self.show_trace(t);
            return Vec::new();
        }
        self.pending_trace = Some(id.to_owned());
        self.message = Some(format!("fetching trace {id}…"));
        vec![Cmd::Source(Request::Trace(id.to_owned()))]
    }

    /// Asks for the open trace's critical path, self times and density (off the UI thread);
    /// any older request's answer is left out.
    fn analyse(&mut self, trace: Arc<Trace>) {
        self.analyse_seq += 1;
        self.pending
            .push(Cmd::Analyse(super::trace_view::AnalyseRequest {
                generation: self.analyse_seq,
                trace,
            }));
    }

    /// Opens `trace` in the trace view, with its summary for the header.
    pub(super) fn show_trace(&mut self, trace: Arc<Trace>) {
        let summary = self
            .data
            .as_ref()
            .and_then(|d| d.summary_of(&trace))
            .map(Arc::unwrap_or_clone);
        self.view = Some(super::trace_view::TraceView::new(
            Arc::clone(&trace),
            summary,
        ));
        self.analyse(trace);
        self.mode = Mode::Trace;
        self.message = None;
        self.scroll();
    }

    /// Turns follow mode on or off (AWS: polls for new traces; the daemon is always live).
    pub(super) fn toggle_follow(&mut self) -> Vec<Cmd> {
        let caps = self.caps();
        if caps.follow {
            self.follow = !self.follow;
            self.message = Some(
                if self.follow {
                    "follow: polling for new traces"
                } else {
                    "follow: off"
                }
                .into(),
            );
            return vec![Cmd::Source(Request::Follow(self.follow))];
        }
        self.toast_info(if caps.live {
            "this source is always live"
        } else {
            "follow mode needs a live source (AWS or listen)"
        });
        Vec::new()
    }
}

/// Traces fetched on demand that the app keeps (the fetcher keeps more in its cache).
pub const FETCHED_KEEP: usize = 64;

impl App {
    /// The list's time window over local data (files, daemon) as `(start, end)`: a relative
    /// window ends at the newest trace, so `15m` over a file shows its last 15 minutes. With
    /// AWS the service applies the window; `None` shows everything.
    pub(super) fn window_range(&self) -> Option<(f64, f64)> {
        if self.caps().remote_query || self.window.trim().is_empty() {
            return None;
        }
        let spec = WindowSpec::parse(&self.window).ok()?;
        let newest = self
            .data
            .as_ref()?
            .rows
            .iter()
            .filter_map(|s| s.start_time)
            .fold(f64::NEG_INFINITY, f64::max);
        newest.is_finite().then(|| spec.range(newest))
    }

    /// Which window the list shows, for its header.
    pub fn window_label(&self) -> String {
        let text = self.window.trim();
        if text.is_empty() {
            return if self.caps().remote_query {
                "last 15m".into()
            } else {
                "all".into()
            };
        }
        match WindowSpec::parse(text) {
            Ok(spec @ WindowSpec::Last(_)) if !self.caps().remote_query => {
                format!("{} of the data", spec.describe(text))
            }
            Ok(spec) => spec.describe(text),
            Err(_) => text.to_owned(),
        }
    }

    /// A key while the time window editor is open, with its action in the window scope: a
    /// binding, else the character is typed.
    pub(super) fn window_key(
        &mut self,
        mut input: TextInput,
        action: Option<Action>,
        key: &KeyEvent,
    ) -> Vec<Cmd> {
        match action {
            Some(Action::PromptCancel) => return Vec::new(),
            Some(Action::PromptApply) => return self.set_window(input.text()),
            Some(a) if input.apply(a) => {}
            _ => {
                if let Some(c) = super::input::typed_char(key) {
                    input.insert(c);
                }
            }
        }
        self.overlays.push(Overlay::Window(input));
        Vec::new()
    }

    /// Applies a typed time window (empty: everything, or the default with AWS). A bad one
    /// keeps the editor open with the reason.
    pub(super) fn set_window(&mut self, text: &str) -> Vec<Cmd> {
        let text = text.trim();
        if !text.is_empty() {
            if let Err(e) = WindowSpec::parse(text) {
                self.message = Some(format!("time window: {e}"));
                self.overlays.push(Overlay::Window(TextInput::new(text)));
                return Vec::new();
            }
        }
        self.window = text.to_owned();
        self.message = Some(format!("window: {}", self.window_label()));
        if self.caps().remote_query {
            return self.fetch_query();
        }
        self.list.window = self.window_range();
        self.rebuild_list();
        self.list.offset = 0;
        self.scroll();
        Vec::new()
    }
}
