//! The fuzzy palette (`Ctrl-P`): one input that jumps anywhere. It ranks, with skim's fuzzy
//! matcher, the trace IDs, URLs, services, users, annotation values and groups of the loaded
//! data, and the commands of the current screen (from the keymap, so they never drift from the
//! keys). Enter opens the trace, applies the filter the entry stands for (`service("x")`,
//! `http.url = "..."`, ...) through the filter prompt's own path, or runs the command.
//!
//! Why: on call, people paste a trace ID from a log line or remember half a URL; walking the list
//! for it is slow. Cost: the data entries are built once per load, when the palette first opens
//! (a `Weak` of the dataset says whether they are still current), and each keystroke only scores
//! them; drawing builds the visible rows only.

use std::fmt::Write as _;
use std::sync::{Arc, Weak};

use crossterm::event::KeyEvent;
use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use ratatui::layout::Rect;

use super::input::{TextInput, typed_char};
use super::list::{QuickFilter, SortColumn, scroll_offset};
use super::{App, Cmd, Mode};
use crate::engine::dataset::Dataset;
use crate::filter::print::{annotation_keyword, write_string};
use crate::keys::{Action, Keymap, Scope};
use crate::model::Group;
use crate::model::format::url_path;
use crate::model::header;

/// What an entry is, for its tag in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A command of the keymap (or a list setting).
    Command,
    /// A service-graph node.
    Service,
    /// A group.
    Group,
    /// A user.
    User,
    /// An annotation value.
    Annotation,
    /// An entry-point URL.
    Url,
    /// A trace ID.
    Trace,
}

impl Kind {
    /// The tag shown left of the entry.
    pub fn tag(self) -> &'static str {
        match self {
            Kind::Command => "cmd",
            Kind::Service => "service",
            Kind::Group => "group",
            Kind::User => "user",
            Kind::Annotation => "annot",
            Kind::Url => "url",
            Kind::Trace => "trace",
        }
    }
}

/// What choosing an entry does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Run {
    /// Open the trace with this ID.
    OpenTrace(String),
    /// Open the trace a tracing header names, at the entity that made the call.
    OpenTraceAt {
        /// The trace.
        trace_id: String,
        /// The segment or subsegment ID to select, if the header names one.
        parent: Option<String>,
    },
    /// Apply this filter expression to the list (empty clears it).
    Filter(String),
    /// Run a keymap action on the current screen.
    Action(Action),
    /// Set the list's quick filter.
    QuickFilter(QuickFilter),
    /// Sort the list by a column.
    Sort(SortColumn),
}

/// One thing the palette can jump to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its kind.
    pub kind: Kind,
    /// The text matched against the input and shown.
    pub text: String,
    /// What it does or what it is (a filter expression, a key, a trace's request).
    pub detail: String,
    /// What Enter does.
    pub run: Run,
}

/// The data entries of one load, kept between openings of the palette.
#[derive(Debug, Clone, Default)]
pub struct PaletteCache {
    source: Weak<Dataset>,
    /// The trace IDs are spelled in W3C form.
    w3c: bool,
    entries: Arc<Vec<Entry>>,
}

/// The open palette.
#[derive(Debug, Clone)]
pub struct Palette {
    /// What is typed.
    pub input: TextInput,
    /// The commands of the screen it was opened on.
    pub commands: Vec<Entry>,
    /// The entries of the loaded data.
    pub data: Arc<Vec<Entry>>,
    /// The input read as a tracing header (`Root=1-...;Parent=...`, a `traceparent`): an
    /// entry of its own, first in the list.
    pub header: Option<Entry>,
    /// Indices of the entries that match (the header, commands, then data), best first.
    pub results: Vec<usize>,
    /// Selected position in `results`.
    pub selected: usize,
    /// First result drawn.
    pub offset: usize,
}

/// Where the palette is drawn on a terminal of `size`: centred, at most 100 × 22 cells.
pub fn area(size: Rect) -> Rect {
    let w = size.width.saturating_sub(4).min(100);
    let h = size.height.saturating_sub(2).min(22);
    Rect::new(
        size.x + (size.width - w) / 2,
        size.y + (size.height - h) / 2,
        w,
        h,
    )
}

/// Result rows that fit (the box minus its borders, the input line and the rule under it).
pub fn result_rows(size: Rect) -> usize {
    usize::from(area(size).height.saturating_sub(4))
}

fn quoted(s: &str) -> String {
    let mut out = String::new();
    let _ = write_string(&mut out, s);
    out
}

/// The filter expression for a group.
pub fn group_filter(name: &str) -> String {
    format!("group.name = {}", quoted(name))
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Whether an action makes sense as a command (moving the selection does not).
fn is_command(a: Action) -> bool {
    !matches!(
        a,
        Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom
            | Action::Left
            | Action::Right
            | Action::Palette
    )
}

/// The commands offered on a screen: its keymap bindings and the global ones (each action
/// once), then the list's quick filters and sort columns.
pub fn commands(keymap: &Keymap, scope: Scope, has_expr: bool) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    let mut seen: Vec<Action> = Vec::new();
    let all = keymap.bindings();
    for b in all
        .iter()
        .filter(|b| b.scope == scope)
        .chain(all.iter().filter(|b| b.scope == Scope::Global))
    {
        if !is_command(b.action) || seen.contains(&b.action) {
            continue;
        }
        seen.push(b.action);
        out.push(Entry {
            kind: Kind::Command,
            text: capitalised(b.description),
            detail: b.keys_label(),
            run: Run::Action(b.action),
        });
    }
    for q in [
        QuickFilter::All,
        QuickFilter::Faults,
        QuickFilter::Errors,
        QuickFilter::Throttles,
    ] {
        out.push(Entry {
            kind: Kind::Command,
            text: format!("Filter: {}", q.label()),
            detail: "trace list".into(),
            run: Run::QuickFilter(q),
        });
    }
    for c in SortColumn::ALL {
        out.push(Entry {
            kind: Kind::Command,
            text: format!("Sort by {}", c.label()),
            detail: "trace list".into(),
            run: Run::Sort(c),
        });
    }
    if has_expr {
        out.push(Entry {
            kind: Kind::Command,
            text: "Clear the filter expression".into(),
            detail: "trace list".into(),
            run: Run::Filter(String::new()),
        });
    }
    out
}

/// The entries of the loaded data: services, groups, users, annotation values, entry-point
/// URLs and trace IDs, each once, in that order.
pub fn data_entries(
    data: &Dataset,
    vocab: &crate::filter::Vocabulary,
    groups: &[Group],
    w3c: bool,
) -> Vec<Entry> {
    let mut out = Vec::new();
    for s in &vocab.services {
        let expr = format!("service({})", quoted(s));
        out.push(Entry {
            kind: Kind::Service,
            text: s.clone(),
            detail: expr.clone(),
            run: Run::Filter(expr),
        });
    }
    for g in groups {
        let expr = group_filter(&g.group_name);
        out.push(Entry {
            kind: Kind::Group,
            text: g.group_name.clone(),
            detail: g.filter_expression.clone().unwrap_or_else(|| expr.clone()),
            run: Run::Filter(expr),
        });
    }
    for u in &vocab.users {
        let expr = format!("user = {}", quoted(u));
        out.push(Entry {
            kind: Kind::User,
            text: u.clone(),
            detail: expr.clone(),
            run: Run::Filter(expr),
        });
    }
    for (k, values) in &vocab.annotations {
        for v in values {
            let expr = format!("{} = {v}", annotation_keyword(k));
            out.push(Entry {
                kind: Kind::Annotation,
                text: format!("{k} = {v}"),
                detail: expr.clone(),
                run: Run::Filter(expr),
            });
        }
    }
    let mut urls: Vec<&str> = data
        .rows
        .iter()
        .filter_map(|s| s.http_url.as_deref())
        .collect();
    urls.sort_unstable();
    urls.dedup();
    for u in urls {
        let expr = format!("http.url = {}", quoted(u));
        out.push(Entry {
            kind: Kind::Url,
            text: u.to_owned(),
            detail: "http.url filter".into(),
            run: Run::Filter(expr),
        });
    }
    for s in &data.rows {
        let mut detail = String::new();
        if let Some(m) = &s.http_method {
            let _ = write!(detail, "{m} ");
        }
        if let Some(u) = &s.http_url {
            let _ = write!(detail, "{} ", url_path(u));
        }
        if let Some(c) = s.http_status {
            let _ = write!(detail, "{c} ");
        }
        if let Some(d) = s.duration {
            detail.push_str(&crate::model::time::format_duration(d));
        }
        out.push(Entry {
            kind: Kind::Trace,
            text: crate::model::format::trace_id_in(&s.id, w3c).into_owned(),
            detail: detail.trim_end().to_owned(),
            run: Run::OpenTrace(s.id.to_string()),
        });
    }
    out
}

impl Palette {
    /// The entry at index `i` of the combined list (the header, commands, then data).
    pub fn entry(&self, i: usize) -> Option<&Entry> {
        let i = match &self.header {
            Some(h) if i == 0 => return Some(h),
            Some(_) => i - 1,
            None => i,
        };
        match i.checked_sub(self.commands.len()) {
            None => self.commands.get(i),
            Some(j) => self.data.get(j),
        }
    }

    /// How many entries there are in all.
    pub fn len(&self) -> usize {
        usize::from(self.header.is_some()) + self.commands.len() + self.data.len()
    }

    /// Whether there is nothing to choose from.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Ranks the entries against the input: best score first, ties in entry order; an empty
    /// input lists every entry in order.
    pub fn rank(&mut self) {
        let pattern = self.input.text().trim();
        self.header = header::parse(pattern).map(|r| Entry {
            kind: Kind::Trace,
            text: pattern.to_owned(),
            detail: match &r.parent {
                Some(p) => format!("tracing header: open {} at {p}", r.trace_id),
                None => format!("tracing header: open {}", r.trace_id),
            },
            run: Run::OpenTraceAt {
                trace_id: r.trace_id,
                parent: r.parent,
            },
        });
        if self.header.is_none() && (header::is_xray_id(pattern) || header::is_w3c_id(pattern)) {
            // A whole trace ID, in either spelling: open the trace it names.
            let other = header::other_form(pattern).unwrap_or_default();
            self.header = Some(Entry {
                kind: Kind::Trace,
                text: pattern.to_owned(),
                detail: format!("trace ID: open it (also spelled {other})"),
                run: Run::OpenTrace(pattern.to_owned()),
            });
        }
        if self.header.is_some() {
            // A header is what was meant: it alone.
            self.results = vec![0];
        } else if pattern.is_empty() {
            self.results = (0..self.len()).collect();
        } else {
            let m = SkimMatcherV2::default().ignore_case();
            let mut scored: Vec<(i64, usize)> = (0..self.len())
                .filter_map(|i| {
                    let e = self.entry(i)?;
                    m.fuzzy_match(&e.text, pattern).map(|s| (s, i))
                })
                .collect();
            scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            self.results = scored.into_iter().map(|(_, i)| i).collect();
        }
        self.selected = 0;
        self.offset = 0;
    }

    /// The highlighted entry.
    pub fn current(&self) -> Option<&Entry> {
        self.entry(*self.results.get(self.selected)?)
    }

    /// The characters of `text` (by char index) that the input matched, for highlighting.
    pub fn matched_chars(&self, text: &str) -> Vec<usize> {
        let pattern = self.input.text().trim();
        if pattern.is_empty() {
            return Vec::new();
        }
        SkimMatcherV2::default()
            .ignore_case()
            .fuzzy_indices(text, pattern)
            .map(|(_, v)| v)
            .unwrap_or_default()
    }

    /// Moves the highlight by `delta` results, keeping it inside a window of `rows` results.
    pub fn move_by(&mut self, delta: isize, rows: usize) {
        let last = self.results.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
        self.offset = scroll_offset(self.offset, self.selected, rows, self.results.len());
    }
}

impl App {
    /// Opens the palette over the current screen; the data entries are built on the first
    /// opening after a load.
    pub(super) fn open_palette(&mut self) {
        self.refresh_vocab();
        let data_entries = match &self.data {
            None => Arc::new(Vec::new()),
            Some(d) => {
                let fresh = self
                    .palette_cache
                    .source
                    .upgrade()
                    .is_some_and(|s| Arc::ptr_eq(&s, d))
                    && self.palette_cache.w3c == self.w3c_ids;
                if !fresh {
                    self.palette_cache = PaletteCache {
                        source: Arc::downgrade(d),
                        w3c: self.w3c_ids,
                        entries: Arc::new(data_entries(d, &self.vocab, &self.groups, self.w3c_ids)),
                    };
                }
                Arc::clone(&self.palette_cache.entries)
            }
        };
        let mut p = Palette {
            input: TextInput::default(),
            commands: commands(&self.keymap, self.scope(), self.list.expr.is_some()),
            data: data_entries,
            header: None,
            results: Vec::new(),
            selected: 0,
            offset: 0,
        };
        p.rank();
        self.overlays.push(p);
    }

    /// A key while the palette is open, with its action in the palette's scope: a binding,
    /// else the character is typed.
    pub(super) fn palette_key(
        &mut self,
        mut p: Palette,
        action: Option<Action>,
        key: &KeyEvent,
    ) -> Vec<Cmd> {
        let rows = result_rows(self.size).max(1);
        let page = isize::try_from(rows).unwrap_or(1);
        match action {
            Some(Action::PromptApply) => {
                return match p.current().map(|e| e.run.clone()) {
                    Some(run) => self.run_entry(run),
                    None => {
                        self.overlays.push(p);
                        Vec::new()
                    }
                };
            }
            Some(Action::PromptCancel) => return Vec::new(),
            Some(Action::Up) => p.move_by(-1, rows),
            Some(Action::Down) => p.move_by(1, rows),
            Some(Action::PageUp) => p.move_by(-page, rows),
            Some(Action::PageDown) => p.move_by(page, rows),
            Some(a) if p.input.apply(a) => p.rank(),
            _ => {
                if let Some(c) = typed_char(key) {
                    p.input.insert(c);
                    p.rank();
                }
            }
        }
        self.overlays.push(p);
        Vec::new()
    }

    /// Back to the trace list, closing a trace or the map.
    fn show_list(&mut self) {
        self.view = None;
        self.map = None;
        self.mode = Mode::List;
    }

    /// Does what a palette entry stands for.
    fn run_entry(&mut self, run: Run) -> Vec<Cmd> {
        match run {
            Run::OpenTrace(id) => {
                self.open_trace(&id);
                if self.mode == Mode::Trace {
                    self.map = None;
                }
            }
            Run::OpenTraceAt { trace_id, parent } => {
                self.open_trace(&trace_id);
                if self.mode == Mode::Trace {
                    self.map = None;
                    let at = self.view.as_mut().zip(parent.as_deref()).map(|(v, p)| {
                        let node = v.trace.node_with_id(p);
                        node.is_some_and(|n| v.reveal(n))
                    });
                    if at == Some(false) {
                        self.toast_info(format!(
                            "the calling entity {} is not in this trace",
                            parent.unwrap_or_default()
                        ));
                    }
                }
            }
            Run::Filter(expr) => match self.apply_filter(&expr) {
                Ok(cmds) => {
                    self.show_list();
                    self.scroll();
                    return cmds;
                }
                Err(e) => self.message = Some(format!("{expr}: {e}")),
            },
            Run::Action(a) => return self.action(a),
            Run::QuickFilter(q) => {
                self.show_list();
                self.list.filter = q;
                self.list.offset = 0;
                self.rebuild_list();
            }
            Run::Sort(c) => {
                self.show_list();
                self.list.sort = c;
                self.rebuild_list();
            }
        }
        self.scroll();
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_come_from_the_keymap_without_motions() {
        let c = commands(&Keymap::default(), Scope::List, false);
        assert!(c.iter().any(|e| e.run == Run::Action(Action::Map)
            && e.text == "Service map of all traces"
            && e.detail == "m"));
        assert!(c.iter().any(|e| e.text == "Filter: faults"));
        assert!(!c.iter().any(|e| e.run == Run::Action(Action::Down)));
        assert!(!c.iter().any(|e| e.run == Run::Filter(String::new())));
        assert!(
            commands(&Keymap::default(), Scope::List, true)
                .iter()
                .any(|e| e.run == Run::Filter(String::new()))
        );
        // Each action once, even when a screen and the global scope both bind it.
        let t = commands(&Keymap::default(), Scope::Trace, false);
        let backs = t
            .iter()
            .filter(|e| e.run == Run::Action(Action::Back))
            .count();
        assert_eq!(backs, 1);
    }

    #[test]
    fn group_filters_quote_their_names() {
        assert_eq!(group_filter("a \"b\""), r#"group.name = "a \"b\"""#);
    }
}
