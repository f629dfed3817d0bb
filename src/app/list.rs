//! The trace list's state: which summaries are visible (quick filter), in what order (sort), and
//! which one is selected. Plain data over the dataset's summaries; no drawing here.

use std::cmp::Ordering;
use std::collections::HashSet;

use crate::model::format::url_path;
use crate::model::row::Row;

/// A column the list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortColumn {
    /// Start time.
    Time,
    /// Trace ID.
    Id,
    /// HTTP method.
    Method,
    /// URL path.
    Path,
    /// HTTP status.
    Status,
    /// Trace duration.
    Duration,
    /// Response time.
    Response,
    /// Fault, error, throttle (worst first when descending).
    Flags,
}

impl SortColumn {
    /// The cycle `s` walks through.
    pub const ALL: [SortColumn; 8] = [
        SortColumn::Time,
        SortColumn::Id,
        SortColumn::Method,
        SortColumn::Path,
        SortColumn::Status,
        SortColumn::Duration,
        SortColumn::Response,
        SortColumn::Flags,
    ];

    /// The column after this one.
    pub fn next(self) -> Self {
        let i = Self::ALL.iter().position(|&c| c == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    /// The column at `index` in [`Self::ALL`] (a `sort_by` key's column).
    pub fn at(index: u8) -> Option<Self> {
        Self::ALL.get(usize::from(index)).copied()
    }

    /// The order a column starts in when chosen: the newest, longest, worst and highest
    /// first; names and IDs A to Z.
    pub fn starts_descending(self) -> bool {
        !matches!(self, SortColumn::Id | SortColumn::Method | SortColumn::Path)
    }

    /// Its name in the header.
    pub fn label(self) -> &'static str {
        match self {
            SortColumn::Time => "time",
            SortColumn::Id => "id",
            SortColumn::Method => "method",
            SortColumn::Path => "path",
            SortColumn::Status => "status",
            SortColumn::Duration => "duration",
            SortColumn::Response => "response",
            SortColumn::Flags => "flags",
        }
    }
}

/// The quick filter `f` cycles through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuickFilter {
    /// Every trace.
    All,
    /// Traces with a fault.
    Faults,
    /// Traces with an error.
    Errors,
    /// Traces that were throttled.
    Throttles,
}

impl QuickFilter {
    /// The filter after this one.
    pub fn next(self) -> Self {
        match self {
            QuickFilter::All => QuickFilter::Faults,
            QuickFilter::Faults => QuickFilter::Errors,
            QuickFilter::Errors => QuickFilter::Throttles,
            QuickFilter::Throttles => QuickFilter::All,
        }
    }

    /// Whether a trace passes.
    pub fn keeps(self, s: &Row) -> bool {
        match self {
            QuickFilter::All => true,
            QuickFilter::Faults => s.has_fault,
            QuickFilter::Errors => s.has_error,
            QuickFilter::Throttles => s.has_throttle,
        }
    }

    /// Its name in the header.
    pub fn label(self) -> &'static str {
        match self {
            QuickFilter::All => "all",
            QuickFilter::Faults => "faults",
            QuickFilter::Errors => "errors",
            QuickFilter::Throttles => "throttles",
        }
    }
}

/// A set of traces the list is narrowed to, with what it stands for (shown in the list header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceSet {
    /// How the header names it: `service("payments")`, `edge("a", "b")`.
    pub label: String,
    /// The IDs of the traces in it.
    pub ids: HashSet<String>,
}

/// Selection, order and filter of the trace list.
#[derive(Debug, Clone)]
pub struct ListState {
    /// Indices into the dataset's summaries, in display order.
    pub visible: Vec<usize>,
    /// Position of the selected row in `visible`.
    pub selected: usize,
    /// First row drawn (the list is virtualised: only the rows on screen are built).
    pub offset: usize,
    /// Sort column.
    pub sort: SortColumn,
    /// Sort descending.
    pub descending: bool,
    /// Quick filter.
    pub filter: QuickFilter,
    /// The applied filter expression, parsed once when applied (live updates evaluate it again
    /// without parsing); its text is the normalised expression.
    pub expr: Option<crate::filter::Filter>,
    /// Which summaries (by index) the expression selects; `None` without an expression.
    pub matches: Option<Vec<bool>>,
    /// Traces chosen on the service map (a node's or an edge's); Esc or `f` clears it.
    pub only: Option<TraceSet>,
    /// The time window `(start, end)` in epoch seconds: traces starting outside are hidden.
    pub window: Option<(f64, f64)>,
    /// What the header says about the traces shown (and how many are loaded), counted when
    /// the list is rebuilt (never per frame: a frame's cost must not grow with the number of
    /// traces).
    pub stats: ListStats,
}

/// Counts and time range of the summaries shown, for the list header: they follow the
/// filter and the time window.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ListStats {
    /// Summaries loaded (shown or not).
    pub total: usize,
    /// With a fault.
    pub faults: usize,
    /// With an error.
    pub errors: usize,
    /// Throttled.
    pub throttles: usize,
    /// With only a summary loaded (no documents to open).
    pub summary_only: usize,
    /// The earliest and the latest start time, when any summary has one.
    pub span: Option<(f64, f64)>,
}

impl ListStats {
    /// The counts of the summaries at `shown`, with `total` all of `summaries`.
    pub fn of_shown(summaries: &[Row], shown: impl IntoIterator<Item = usize>) -> Self {
        let mut st = ListStats {
            total: summaries.len(),
            ..ListStats::default()
        };
        for s in shown.into_iter().filter_map(|i| summaries.get(i)) {
            st.faults += usize::from(s.has_fault);
            st.errors += usize::from(s.has_error);
            st.throttles += usize::from(s.has_throttle);
            st.summary_only += usize::from(s.summary_only);
            if let Some(t) = s.start_time {
                st.span = Some(st.span.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
            }
        }
        st
    }
}

impl Default for ListState {
    fn default() -> Self {
        ListState {
            visible: Vec::new(),
            selected: 0,
            offset: 0,
            // Newest first, as the X-Ray console, k9s and otel-tui list things.
            sort: SortColumn::Time,
            descending: true,
            filter: QuickFilter::All,
            expr: None,
            matches: None,
            only: None,
            window: None,
            stats: ListStats::default(),
        }
    }
}

fn flag_rank(s: &Row) -> u8 {
    u8::from(s.has_fault) * 4 + u8::from(s.has_throttle) * 2 + u8::from(s.has_error)
}

fn compare(col: SortColumn, a: &Row, b: &Row) -> Ordering {
    let num = |x: Option<f64>, y: Option<f64>| {
        x.unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&y.unwrap_or(f64::NEG_INFINITY))
    };
    match col {
        SortColumn::Time => num(a.start_time, b.start_time),
        SortColumn::Id => a.id.cmp(&b.id),
        SortColumn::Method => a.http_method.cmp(&b.http_method),
        SortColumn::Path => {
            fn path(s: &Row) -> Option<&str> {
                s.http_url.as_deref().map(url_path)
            }
            path(a).cmp(&path(b))
        }
        SortColumn::Status => a.http_status.cmp(&b.http_status),
        SortColumn::Duration => num(a.duration, b.duration),
        SortColumn::Response => num(a.response_time, b.response_time),
        SortColumn::Flags => flag_rank(a).cmp(&flag_rank(b)),
    }
}

impl ListState {
    /// The applied filter expression as text (normalised), for headers and queries.
    pub fn expr_text(&self) -> Option<String> {
        self.expr.as_ref().map(ToString::to_string)
    }

    /// Rebuilds `visible` after the data, the sort or the filter changed, keeping the selected
    /// trace selected when it is still shown.
    pub fn rebuild(&mut self, summaries: &[Row]) {
        let keep = self
            .visible
            .get(self.selected)
            .and_then(|&i| summaries.get(i))
            .map(|s| s.id.clone());
        let matches = self.matches.as_deref();
        let mut v: Vec<usize> = (0..summaries.len())
            .filter(|&i| self.filter.keeps(&summaries[i]))
            .filter(|&i| matches.is_none_or(|m| m.get(i).copied().unwrap_or(false)))
            .filter(|&i| {
                self.only
                    .as_ref()
                    .is_none_or(|o| o.ids.contains(&*summaries[i].id))
            })
            .filter(|&i| {
                self.window
                    .is_none_or(|(a, b)| summaries[i].start_time.is_none_or(|t| t >= a && t <= b))
            })
            .collect();
        let (col, desc) = (self.sort, self.descending);
        v.sort_by(|&x, &y| {
            let (a, b) = (&summaries[x], &summaries[y]);
            let o = compare(col, a, b).then_with(|| Row::by_start(a, b));
            if desc { o.reverse() } else { o }
        });
        self.visible = v;
        self.stats = ListStats::of_shown(summaries, self.visible.iter().copied());
        self.selected = keep
            .and_then(|id| {
                self.visible
                    .iter()
                    .position(|&i| summaries.get(i).is_some_and(|s| *s.id == *id))
            })
            .unwrap_or(0);
    }

    /// Sorts by `col` (its starting order; the other order when it is the column already
    /// sorted by) and goes to the top: after a sort the interesting rows are there.
    pub fn sort_by(&mut self, col: SortColumn, summaries: &[Row]) {
        if self.sort == col {
            self.descending = !self.descending;
        } else {
            self.sort = col;
            self.descending = col.starts_descending();
        }
        self.resorted(summaries);
    }

    /// Reverses the order and goes to the top.
    pub fn reverse(&mut self, summaries: &[Row]) {
        self.descending = !self.descending;
        self.resorted(summaries);
    }

    fn resorted(&mut self, summaries: &[Row]) {
        self.rebuild(summaries);
        self.selected = 0;
        self.offset = 0;
    }

    /// Moves the selection by `delta` rows, clamped to the list.
    pub fn move_by(&mut self, delta: isize) {
        let last = self.visible.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    /// Keeps the selected row inside a window of `height` rows starting at `offset`.
    pub fn scroll_into_view(&mut self, height: usize) {
        self.offset = scroll_offset(self.offset, self.selected, height, self.visible.len());
    }
}

/// The first row to draw so that `selected` is visible in `height` rows, moving `offset` as
/// little as possible.
pub fn scroll_offset(offset: usize, selected: usize, height: usize, len: usize) -> usize {
    if height == 0 {
        return selected;
    }
    let mut o = offset.min(len.saturating_sub(height));
    if selected < o {
        o = selected;
    } else if selected >= o + height {
        o = selected + 1 - height;
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_count_every_summary_once() {
        let mut strings = crate::model::row::Interner::default();
        let mut s = |fault, error, throttle, start| {
            let summary = crate::model::TraceSummary {
                has_fault: fault,
                has_error: error,
                has_throttle: throttle,
                start_time: start,
                ..crate::model::TraceSummary::default()
            };
            Row::of(&summary, &mut strings)
        };
        let all = [
            s(true, false, false, Some(20.0)),
            s(false, true, true, Some(10.0)),
            s(true, true, false, None),
        ];
        let st = ListStats::of_shown(&all, 0..all.len());
        assert_eq!((st.total, st.faults, st.errors, st.throttles), (3, 2, 2, 1));
        assert_eq!(st.span, Some((10.0, 20.0)));
        let mut list = ListState::default();
        list.rebuild(&all);
        assert_eq!(list.stats, st);
        assert_eq!(ListStats::of_shown(&[], 0..0).span, None);
    }
}
