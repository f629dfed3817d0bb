//! The Analysis screen (`A` from the list and the map): the listed traces by root cause,
//! compared against a baseline, as a response-time histogram, and over time with RED tables.
//!
//! The numbers come from [`crate::filter::analyze`], worked out off the UI thread: the screen
//! asks with [`Cmd::AnalyseTraces`] and a generation, and the runtime answers with
//! [`Event::TracesAnalysed`](super::Event::TracesAnalysed); an answer to an older question is dropped. They are asked for again
//! when the listed traces change (new data, another filter or window), never per frame.
//! `Enter` on a row adds its clause to the filter (or, on an interval, narrows the window) and
//! goes back to the list.

use std::sync::Arc;

use super::{App, Cmd, LoadState, Mode};
use crate::engine::dataset::Dataset;
use crate::filter::analyze::{Answers, Measured, Parts, Question, Selection};
use crate::keys::Action;

/// The screen's tabs, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Fault, error and response-time root causes.
    RootCauses,
    /// A selection against its baseline, every dimension ranked.
    Compare,
    /// The response-time distribution.
    Histogram,
    /// Requests per interval.
    OverTime,
    /// Rate, errors and duration per service and per operation.
    Red,
}

impl Tab {
    /// Every tab, in order.
    pub const ALL: [Tab; 5] = [
        Tab::RootCauses,
        Tab::Compare,
        Tab::Histogram,
        Tab::OverTime,
        Tab::Red,
    ];

    /// The tab's title.
    pub const fn title(self) -> &'static str {
        match self {
            Tab::RootCauses => "Root causes",
            Tab::Compare => "Compare",
            Tab::Histogram => "Histogram",
            Tab::OverTime => "Over time",
            Tab::Red => "RED",
        }
    }

    /// Its place in [`Tab::ALL`].
    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }

    /// Each tab's title as the tab bar shows it (` 1 Root causes `), in order; the bar puts a
    /// one-cell separator between them.
    pub fn bar_titles() -> Vec<String> {
        Tab::ALL
            .iter()
            .enumerate()
            .map(|(i, t)| format!(" {} {} ", i + 1, t.title()))
            .collect()
    }

    /// The tab whose title is at column `x` of the tab bar drawn from column `x0` across
    /// `width` cells (` 1 Root causes │ 2 Compare │ ...`); when the titles do not fit, the bar
    /// shows the current one only, and a click on it is the next tab.
    pub fn at_column(x0: u16, width: u16, x: u16, current: Tab) -> Option<Tab> {
        let titles = Tab::bar_titles();
        let bars = Tab::ALL.len() - 1;
        let used: usize = titles
            .iter()
            .map(|t| crate::model::format::width(t))
            .sum::<usize>()
            + bars;
        let x = usize::from(x.checked_sub(x0)?);
        if used > usize::from(width) {
            return Some(Tab::ALL[(current.index() + 1) % Tab::ALL.len()]);
        }
        let mut at = 0;
        for (t, title) in Tab::ALL.into_iter().zip(&titles) {
            let w = crate::model::format::width(title);
            if (at..at + w).contains(&x) {
                return Some(t);
            }
            at += w + 1;
        }
        None
    }
}

/// Histogram bins.
pub const BUCKETS: usize = 20;

/// What the Analysis screen asks the runtime to work out.
#[derive(Debug, Clone)]
pub struct AnalysisRequest {
    /// Answers carry it back; only the newest is kept.
    pub generation: u64,
    /// The data.
    pub data: Arc<Dataset>,
    /// What to work out.
    pub question: Question,
    /// Worked out no more than a tenth of the time: a live source's new traces asking again
    /// (the daemon shares the machine with the app it watches). A person's own asking (a
    /// filter, a tab) is answered at once.
    pub paced: bool,
}

impl PartialEq for AnalysisRequest {
    fn eq(&self, other: &Self) -> bool {
        self.generation == other.generation && self.question == other.question
    }
}

impl Eq for AnalysisRequest {}

/// The runtime's answer to an [`AnalysisRequest`].
#[derive(Debug, Clone)]
pub struct Analyzed {
    /// The request's generation.
    pub generation: u64,
    /// The parts asked for.
    pub answers: Answers,
}

/// The screen's state.
#[derive(Debug, Clone)]
pub struct AnalysisState {
    /// The tab showing.
    pub tab: Tab,
    /// The selected row of each tab.
    pub selected: [usize; 5],
    /// The latest question's generation.
    pub generation: u64,
    /// Parts asked for and not answered yet.
    pub pending: Parts,
    /// What is known (parts keep their last answer until a new one arrives).
    pub answers: Answers,
    /// What the histogram measures.
    pub measured: Measured,
    /// What the Compare tab selects.
    pub selection: Selection,
    /// The histogram bin where a range starts (Space), if one is being marked.
    pub anchor: Option<usize>,
    /// The screen it was opened from (Back returns there).
    pub from: Mode,
    /// The listed traces changed: ask again.
    pub stale: bool,
    /// How far the dataset's table of facts is worked out (rows done, of), while an answer
    /// waits for it.
    pub progress: Option<(usize, usize)>,
}

impl AnalysisState {
    /// A new screen, opened from `from`.
    pub fn new(from: Mode) -> Self {
        AnalysisState {
            tab: Tab::RootCauses,
            selected: [0; 5],
            generation: 0,
            pending: Parts::NONE,
            answers: Answers::default(),
            measured: Measured::Traces,
            selection: Selection::Faults,
            anchor: None,
            from,
            stale: true,
            progress: None,
        }
    }

    /// Rows in the current tab.
    pub fn len(&self) -> usize {
        self.len_of(self.tab)
    }

    /// Rows in `tab`.
    pub fn len_of(&self, tab: Tab) -> usize {
        let a = &self.answers;
        match tab {
            Tab::RootCauses => a.causes.as_ref().map_or(0, Vec::len),
            Tab::Compare => a.compare.as_ref().map_or(0, |c| c.differences.len()),
            Tab::Histogram => a.histogram.as_ref().map_or(0, |h| h.0.bins.len()),
            Tab::OverTime => a.time.as_ref().map_or(0, |t| t.series.len()),
            Tab::Red => a
                .time
                .as_ref()
                .map_or(0, |t| t.red.services.len() + t.red.operations.len()),
        }
    }

    /// Whether the current tab has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The current tab's selected row.
    pub fn row(&self) -> usize {
        self.selected[self.tab.index()]
    }

    pub(super) fn move_by(&mut self, by: isize) {
        let n = self.len();
        let at = &mut self.selected[self.tab.index()];
        *at = at.saturating_add_signed(by).min(n.saturating_sub(1));
    }

    /// The histogram's marked range of bins, lowest first (a single bin without a mark).
    pub fn range(&self) -> (usize, usize) {
        let at = self.selected[Tab::Histogram.index()];
        let from = self.anchor.unwrap_or(at);
        (from.min(at), from.max(at))
    }

    /// Whether the parts of the current tab are being worked out.
    pub fn computing(&self) -> bool {
        let p = self.pending;
        match self.tab {
            Tab::RootCauses => p.causes,
            Tab::Compare => p.compare,
            Tab::Histogram => p.histogram,
            Tab::OverTime | Tab::Red => p.time,
        }
    }

    /// The selections the Compare tab cycles through: the filter (when one is applied), the
    /// faults, errors and throttles, the histogram's marked range and the selected interval.
    pub fn selections(&self, filtered: bool) -> Vec<Selection> {
        let mut v = Vec::new();
        if filtered {
            v.push(Selection::Filter);
        }
        v.extend([Selection::Faults, Selection::Errors, Selection::Throttles]);
        if let Some((h, _)) = &self.answers.histogram {
            let (a, b) = self.range();
            if let (Some(lo), Some(hi)) = (h.bins.get(a), h.bins.get(b)) {
                if self.measured == Measured::Traces {
                    v.push(Selection::ResponseTime(lo.lo, hi.hi));
                }
            }
        }
        if let Some(t) = &self.answers.time {
            if let Some(i) = t.series.get(self.selected[Tab::OverTime.index()]) {
                v.push(Selection::Started(i.start, i.start + t.interval));
            }
        }
        v
    }
}

/// A number of seconds for a filter clause, at millisecond precision, rounded `down` or up so
/// the range keeps every value it was drawn from.
pub fn clause_seconds(v: f64, down: bool) -> String {
    let ms = v * 1000.0;
    let ms = if down {
        (ms + 1e-6).floor()
    } else {
        (ms - 1e-6).ceil()
    };
    format!("{}", ms.max(0.0) / 1000.0)
}

impl App {
    /// `A`: opens the Analysis screen over the listed traces.
    pub(super) fn open_analysis(&mut self) {
        if self.data.is_none() {
            self.toast_info("nothing loaded to analyse yet");
            return;
        }
        let mut st = AnalysisState::new(self.mode);
        if self.list.expr.is_some() {
            st.selection = Selection::Filter;
        }
        self.analysis = Some(st);
        self.mode = Mode::Analysis;
        self.message = None;
    }

    /// The listed traces changed: the screen asks again once this event is handled.
    pub(super) fn analysis_outdated(&mut self) {
        if let Some(a) = self.analysis.as_mut() {
            a.stale = true;
        }
    }

    /// Asks for everything again when the listed traces changed. While an answer is being
    /// worked out it waits for it (asking again as soon as it arrives): a live source's
    /// updates, twice a second, would otherwise supersede every answer before it is done.
    pub(super) fn ask_analysis(&mut self) -> Vec<Cmd> {
        let Some(st) = self.analysis.as_ref() else {
            return Vec::new();
        };
        if self.mode != Mode::Analysis || !st.stale || st.pending != Parts::NONE {
            return Vec::new();
        }
        // New live traces: paced, once there are numbers on screen.
        let paced = self.caps().live && st.answers != Answers::default();
        let mut cmds = self.ask_parts(Parts::ALL);
        for c in &mut cmds {
            if let Cmd::AnalyseTraces(r) = c {
                r.paced = paced;
            }
        }
        cmds
    }

    /// Whether the Analysis screen waits for a load to finish before it asks: a file's
    /// traces stream in while it loads, and each part shown would be read inside again (the
    /// work is done once, on the whole, when the load is done). A source that lists summaries
    /// (AWS) is asked page by page: its summaries are cheap to read.
    pub fn analysis_waits_for_load(&self) -> bool {
        self.load == LoadState::Loading && !self.caps().remote_query
    }

    fn ask_parts(&mut self, parts: Parts) -> Vec<Cmd> {
        if self.analysis_waits_for_load() {
            if let Some(st) = self.analysis.as_mut() {
                st.stale = true;
            }
            return Vec::new();
        }
        let Some(data) = self.data.clone() else {
            return Vec::new();
        };
        let context = if self.list.expr.is_some() {
            Some(
                self.list_rows_besides_expr(&data)
                    .map_or_else(|| (0..data.rows.len()).collect(), |r| r.to_vec()),
            )
        } else {
            None
        };
        let rows = self.list.visible.clone();
        let filtered = self.list.expr.is_some();
        self.analysis_seq += 1;
        let generation = self.analysis_seq;
        let Some(st) = self.analysis.as_mut() else {
            return Vec::new();
        };
        if !st.selections(filtered).contains(&st.selection) {
            st.selection = Selection::Faults;
        }
        st.stale = false;
        st.generation = generation;
        // Parts still pending from an older question are asked again with this one.
        let p = st.pending;
        let parts = Parts {
            causes: parts.causes || p.causes,
            compare: parts.compare || p.compare,
            histogram: parts.histogram || p.histogram,
            time: parts.time || p.time,
        };
        st.pending = parts;
        if parts == Parts::ALL {
            // Other traces: a marked range of the old histogram's bins means nothing now.
            st.anchor = None;
        }
        vec![Cmd::AnalyseTraces(Box::new(AnalysisRequest {
            generation,
            paced: false,
            data,
            question: Question {
                rows,
                context,
                selection: st.selection,
                measured: st.measured.clone(),
                buckets: BUCKETS,
                parts,
            },
        }))]
    }

    /// The runtime's answer: kept if it answers the latest question.
    pub(super) fn analyzed(&mut self, a: Analyzed) {
        let Some(st) = self.analysis.as_mut() else {
            return;
        };
        if a.generation != st.generation {
            return;
        }
        let new = a.answers;
        st.answers.traces = new.traces;
        if let Some(c) = new.causes {
            st.answers.causes = Some(c);
        }
        if let Some(c) = new.compare {
            st.answers.compare = Some(c);
        }
        if let Some(h) = new.histogram {
            st.answers.histogram = Some(h);
        }
        if let Some(t) = new.time {
            st.answers.time = Some(t);
        }
        st.pending = Parts::NONE;
        st.progress = None;
        // Fewer rows than before: each tab's selection stays on one.
        for (i, tab) in Tab::ALL.into_iter().enumerate() {
            let n = st.len_of(tab);
            st.selected[i] = st.selected[i].min(n.saturating_sub(1));
        }
        self.dirty = true;
    }

    /// After a whole load of data that will not change on its own (files, the demo): what
    /// the Analysis screen reads inside its traces is worked out now ([`Cmd::PrepareAnalysis`]).
    /// Not for live data (it changes twice a second) nor for a source that lists summaries
    /// (AWS: traces are fetched when opened).
    pub(super) fn prepare_analysis(&mut self, loaded: bool) -> Vec<Cmd> {
        let caps = self.caps();
        if !loaded
            || self.load != LoadState::Loaded
            || caps.live
            || caps.remote_query
            || caps.traces_on_demand
        {
            return Vec::new();
        }
        match &self.data {
            Some(d) if !d.rows.is_empty() => vec![Cmd::PrepareAnalysis(super::Prepared(d.clone()))],
            _ => Vec::new(),
        }
    }

    /// How far the table the pending answer waits for is worked out (shown while it is
    /// pending; an answer clears it).
    pub(super) fn analysis_progress(&mut self, done: usize, of: usize) {
        let Some(st) = self.analysis.as_mut() else {
            return;
        };
        if st.pending != Parts::NONE && st.progress != Some((done, of)) {
            st.progress = Some((done, of));
            self.dirty = true;
        }
    }

    /// A key on the Analysis screen.
    pub(super) fn analysis_action(&mut self, action: Action) -> Vec<Cmd> {
        let page = isize::try_from(super::layout::list_rows(self.size).saturating_sub(3).max(1))
            .unwrap_or(1);
        let filtered = self.list.expr.is_some();
        let Some(st) = self.analysis.as_mut() else {
            self.mode = Mode::List;
            return Vec::new();
        };
        let n = Tab::ALL.len();
        match action {
            Action::Back | Action::Analysis => {
                self.mode = match st.from {
                    Mode::Map if self.map.is_some() => Mode::Map,
                    _ => Mode::List,
                };
                self.analysis = None;
                return vec![Cmd::StopAnalysis];
            }
            Action::Up => st.move_by(-1),
            Action::Down => st.move_by(1),
            Action::PageUp => st.move_by(-page),
            Action::PageDown => st.move_by(page),
            Action::Top => st.move_by(isize::MIN),
            Action::Bottom => st.move_by(isize::MAX),
            Action::NextTab => st.tab = Tab::ALL[(st.tab.index() + 1) % n],
            Action::PrevTab => st.tab = Tab::ALL[(st.tab.index() + n - 1) % n],
            Action::Tab(i) => {
                if let Some(&t) = Tab::ALL.get(usize::from(i)) {
                    st.tab = t;
                }
            }
            Action::Toggle if st.tab == Tab::Histogram => {
                st.anchor = match st.anchor {
                    Some(_) => None,
                    None => Some(st.row()),
                };
            }
            Action::Left | Action::Right => {
                let forward = action == Action::Right;
                match st.tab {
                    Tab::Histogram => {
                        let mut targets = vec![Measured::Traces];
                        if let Some((_, m)) = &st.answers.histogram {
                            targets.extend(m.iter().cloned());
                        }
                        st.measured = cycle(&targets, &st.measured, forward);
                        st.anchor = None;
                        st.selected[Tab::Histogram.index()] = 0;
                        return self.ask_parts(Parts {
                            histogram: true,
                            ..Parts::NONE
                        });
                    }
                    Tab::Compare => {
                        let choices = st.selections(filtered);
                        st.selection = cycle(&choices, &st.selection, forward);
                        st.selected[Tab::Compare.index()] = 0;
                        return self.ask_parts(Parts {
                            compare: true,
                            ..Parts::NONE
                        });
                    }
                    _ => {}
                }
            }
            Action::Open => return self.analysis_enter(),
            _ => {}
        }
        Vec::new()
    }

    /// `Enter`: the selected row's clause extends the filter (an interval narrows the
    /// window), and the list shows the traces.
    fn analysis_enter(&mut self) -> Vec<Cmd> {
        let Some(st) = self.analysis.as_ref() else {
            return Vec::new();
        };
        let at = st.row();
        let a = &st.answers;
        let clause: Result<String, String> = match st.tab {
            Tab::RootCauses => a
                .causes
                .as_ref()
                .and_then(|c| c.get(at))
                .map(|c| c.group.filter.clone())
                .ok_or_default(),
            Tab::Compare => match a.compare.as_ref().and_then(|c| c.differences.get(at)) {
                Some(d) if d.filter.is_empty() => Err(format!(
                    "X-Ray's filter language cannot select {} {}",
                    d.dimension, d.key
                )),
                Some(d) => Ok(d.filter.clone()),
                None => Err(String::new()),
            },
            Tab::Histogram => match &a.histogram {
                Some((h, _)) => {
                    let (lo, hi) = st.range();
                    match (h.bins.get(lo), h.bins.get(hi)) {
                        (Some(l), Some(r)) => Ok(h
                            .range_filter
                            .replace("{lo}", &clause_seconds(l.lo, true))
                            .replace("{hi}", &clause_seconds(r.hi, false))),
                        _ => Err(String::new()),
                    }
                }
                None => Err(String::new()),
            },
            Tab::OverTime => {
                let Some(i) = a.time.as_ref().and_then(|t| t.series.get(at)) else {
                    return Vec::new();
                };
                let window = i.window.clone();
                self.analysis = None;
                self.mode = Mode::List;
                let mut cmds = vec![Cmd::StopAnalysis];
                cmds.extend(self.set_window(&window));
                return cmds;
            }
            Tab::Red => match &a.time {
                Some(t) => {
                    let svc = t.red.services.len();
                    if at < svc {
                        Ok(t.red.services[at].filter.clone())
                    } else {
                        match t.red.operations.get(at - svc) {
                            Some(op) => Err(format!(
                                "X-Ray's filter language cannot select an operation ({}); \
                                 filter by its service instead",
                                op.name
                            )),
                            None => Err(String::new()),
                        }
                    }
                }
                None => Err(String::new()),
            },
        };
        let clause = match clause {
            Ok(c) if !c.is_empty() => c,
            Ok(_) => return Vec::new(),
            Err(e) => {
                if !e.is_empty() {
                    self.toast_info(e);
                }
                return Vec::new();
            }
        };
        let text = match self.list.expr_text() {
            Some(old) => format!("({old}) AND {clause}"),
            None => clause,
        };
        match self.apply_filter(&text) {
            Ok(mut cmds) => {
                self.analysis = None;
                self.mode = Mode::List;
                cmds.push(Cmd::StopAnalysis);
                cmds
            }
            Err(e) => {
                self.toast_error(format!("{text}: {}", e.message));
                Vec::new()
            }
        }
    }
}

/// The entry after (or before) `current` in `all`, wrapping; the first when it is not there.
fn cycle<T: Clone + PartialEq>(all: &[T], current: &T, forward: bool) -> T {
    let n = all.len();
    let Some(at) = all.iter().position(|x| x == current) else {
        return all.first().cloned().unwrap_or_else(|| current.clone());
    };
    all[if forward {
        (at + 1) % n
    } else {
        (at + n - 1) % n
    }]
    .clone()
}

/// `Err("")` for a missing row (nothing to say).
trait OrDefault<T> {
    fn ok_or_default(self) -> Result<T, String>;
}

impl<T> OrDefault<T> for Option<T> {
    fn ok_or_default(self) -> Result<T, String> {
        self.ok_or_else(String::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clause_seconds_keep_the_range_whole() {
        assert_eq!(clause_seconds(0.1234, true), "0.123");
        assert_eq!(clause_seconds(0.1234, false), "0.124");
        assert_eq!(clause_seconds(0.3, true), "0.3");
        assert_eq!(clause_seconds(0.3, false), "0.3");
        assert_eq!(clause_seconds(2.0, false), "2");
    }

    #[test]
    fn cycling_wraps_both_ways() {
        let v = [1, 2, 3];
        assert_eq!(cycle(&v, &3, true), 1);
        assert_eq!(cycle(&v, &1, false), 3);
        assert_eq!(cycle(&v, &9, true), 1);
    }
}
