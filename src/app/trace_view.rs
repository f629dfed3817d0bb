//! The trace view's state: the open trace, which rows are collapsed, the waterfall rows that
//! result (cached, recomputed only when the collapsed set changes), the selection and the
//! details tab.

use std::collections::HashSet;
use std::sync::Arc;

use crate::engine::find::Field;
use crate::engine::fold;
use crate::engine::waterfall::{self, Row, Status};
use crate::model::format::width;
use crate::model::{NodeId, Segment, Trace, TraceSummary};

/// Details panes narrower than this show the tabs' short titles.
pub const SHORT_TABS_BELOW: u16 = 100;

/// A tab of the details pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailTab {
    /// Name, IDs, times, origin, user, service version.
    Overview,
    /// The `http` block.
    Http,
    /// The `aws` block: account, region, operation, resources.
    Resources,
    /// Annotations.
    Annotations,
    /// Metadata as pretty JSON.
    Metadata,
    /// Exceptions with stack frames.
    Exceptions,
    /// The `sql` block.
    Sql,
    /// The whole document as pretty JSON.
    Raw,
    /// Span links (OpenTelemetry's, and X-Ray's own `links`, e.g. SQS → Lambda batches) and
    /// span events.
    Links,
}

impl DetailTab {
    /// The tab that shows a find match in `field`.
    pub fn of_field(field: Field) -> DetailTab {
        match field {
            Field::Name | Field::Cause => DetailTab::Overview,
            Field::AnnotationKey | Field::AnnotationValue => DetailTab::Annotations,
            Field::HttpUrl | Field::HttpMethod | Field::UserAgent => DetailTab::Http,
            Field::SqlQuery | Field::SqlUrl => DetailTab::Sql,
            Field::ExceptionMessage | Field::ExceptionType | Field::StackFrame => {
                DetailTab::Exceptions
            }
            Field::AwsOperation | Field::AwsTable | Field::AwsQueue => DetailTab::Resources,
        }
    }

    /// Every tab, in order (keys `1`..`9`).
    pub const ALL: [DetailTab; 9] = [
        DetailTab::Overview,
        DetailTab::Http,
        DetailTab::Resources,
        DetailTab::Annotations,
        DetailTab::Metadata,
        DetailTab::Exceptions,
        DetailTab::Sql,
        DetailTab::Raw,
        DetailTab::Links,
    ];

    /// Position in [`DetailTab::ALL`].
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|&t| t == self).unwrap_or(0)
    }

    /// The full title.
    pub fn title(self) -> &'static str {
        match self {
            DetailTab::Overview => "Overview",
            DetailTab::Http => "HTTP",
            DetailTab::Resources => "Resources",
            DetailTab::Annotations => "Annotations",
            DetailTab::Metadata => "Metadata",
            DetailTab::Exceptions => "Exceptions",
            DetailTab::Sql => "SQL",
            DetailTab::Raw => "Raw",
            DetailTab::Links => "Links",
        }
    }

    /// A short title for narrow panes.
    pub fn short_title(self) -> &'static str {
        match self {
            DetailTab::Overview => "Info",
            DetailTab::Http => "HTTP",
            DetailTab::Resources => "AWS",
            DetailTab::Annotations => "Ann",
            DetailTab::Metadata => "Meta",
            DetailTab::Exceptions => "Exc",
            DetailTab::Sql => "SQL",
            DetailTab::Raw => "Raw",
            DetailTab::Links => "Lnk",
        }
    }

    /// The tab's label in the details pane's title: `1 Overview `, or `1 Info ` when `short`.
    pub fn label(self, short: bool) -> String {
        let title = if short {
            self.short_title()
        } else {
            self.title()
        };
        format!("{} {title} ", self.index() + 1)
    }

    /// The tab under column `x` of the details pane's title row (the pane at `pane_x`, `width`
    /// cells wide): the labels start after the corner and one space.
    pub fn at_column(pane_x: u16, width: u16, x: u16) -> Option<DetailTab> {
        let short = width < SHORT_TABS_BELOW;
        let mut at = usize::from(pane_x) + 2;
        let x = usize::from(x);
        for t in Self::ALL {
            let w = crate::model::format::width(&t.label(short));
            if (at..at + w).contains(&x) {
                return Some(t);
            }
            at += w;
        }
        None
    }

    /// Whether the document has anything to show on this tab.
    pub fn has_content(self, doc: &Segment) -> bool {
        match self {
            DetailTab::Overview | DetailTab::Raw => true,
            DetailTab::Http => doc.http.is_some(),
            DetailTab::Resources => doc.aws.is_some() || doc.resource_arn.is_some(),
            DetailTab::Annotations => doc.annotations.as_ref().is_some_and(|a| !a.is_empty()),
            DetailTab::Metadata => doc.metadata.as_ref().is_some_and(|m| !m.is_empty()),
            DetailTab::Exceptions => doc.cause.is_some(),
            DetailTab::Sql => doc.sql.is_some(),
            DetailTab::Links => !links_of(doc).is_empty() || !events_of(doc).is_empty(),
        }
    }
}

/// The most links and events the Links tab lists for one entity (X-Ray keeps at most 20
/// links a segment; OpenTelemetry SDKs 128 links and 128 events a span).
pub const MAX_LINKS: usize = 128;

/// A link from an entity to a span of another trace (or of the same one).
#[derive(Debug, Clone, PartialEq)]
pub struct SpanLink {
    /// The linked trace, as written (`1-…`, or 32 hex digits).
    pub trace_id: String,
    /// The linked span (segment or subsegment), if named.
    pub span_id: Option<String>,
    /// The link's attributes (OpenTelemetry), or X-Ray's `attributes` (`referenceType`).
    pub attributes: Vec<(String, String)>,
}

/// A span event the translation kept (OpenTelemetry events other than exceptions, which are
/// the Exceptions tab's).
#[derive(Debug, Clone, PartialEq)]
pub struct SpanEvent {
    /// The event's name.
    pub name: String,
    /// When it happened (epoch seconds), if known.
    pub time: Option<f64>,
    /// Its attributes, as text.
    pub attributes: Vec<(String, String)>,
}

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn attributes(v: Option<&serde_json::Value>) -> Vec<(String, String)> {
    v.and_then(serde_json::Value::as_object)
        .map(|m| {
            m.iter()
                .take(MAX_LINKS)
                .map(|(k, v)| (k.clone(), value_text(v)))
                .collect()
        })
        .unwrap_or_default()
}

/// The links a document carries: its `links` (`[{"trace_id", "id", "attributes"}]`, the shape
/// X-Ray's segment documents use for linked traces and the OpenTelemetry translation keeps span
/// links in), at most [`MAX_LINKS`]; links without a trace ID are left out.
pub fn links_of(doc: &Segment) -> Vec<SpanLink> {
    let Some(list) = doc.extra.get("links").and_then(serde_json::Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|l| {
            let trace_id = l.get("trace_id")?.as_str()?.trim();
            (!trace_id.is_empty()).then(|| SpanLink {
                trace_id: trace_id.to_owned(),
                span_id: l
                    .get("id")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned),
                attributes: attributes(l.get("attributes")),
            })
        })
        .take(MAX_LINKS)
        .collect()
}

/// The span events a document carries (`metadata.otel.events`, where the OpenTelemetry
/// translation keeps the events that are not exceptions), at most [`MAX_LINKS`].
pub fn events_of(doc: &Segment) -> Vec<SpanEvent> {
    let list = doc
        .metadata
        .as_deref()
        .and_then(|m| m.get("otel"))
        .and_then(|o| o.get("events"))
        .and_then(serde_json::Value::as_array);
    let Some(list) = list else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|e| {
            Some(SpanEvent {
                name: e.get("name")?.as_str()?.to_owned(),
                time: e.get("time").and_then(serde_json::Value::as_f64),
                attributes: attributes(e.get("attributes")),
            })
        })
        .take(MAX_LINKS)
        .collect()
}

/// Where [`TraceView::jump_problem`] went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jump {
    /// To the next problem in that direction.
    Moved,
    /// Round the end of the trace to the problem at the other end (or back to the only one).
    Wrapped,
    /// The trace has no fault, error or throttle.
    None,
}

/// What the trace view needs worked out for a trace that takes time on a big one (~70 ms at
/// 100,000 entities), so it is worked out off the UI thread ([`analyse`]) and handed back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Analysis {
    /// Which entities are on the critical path, or on the way to it (by node).
    pub on_path: Vec<bool>,
    /// Each entity's self time (by node).
    pub self_time: Vec<f64>,
    /// Entities running in each of [`DENSITY_BINS`](crate::engine::fold::DENSITY_BINS) slices.
    pub density: Vec<u32>,
}

/// Asks for a trace's [`Analysis`]; the newest request supersedes the ones before.
#[derive(Debug, Clone)]
pub struct AnalyseRequest {
    /// Which request this is.
    pub generation: u64,
    /// The trace.
    pub trace: Arc<Trace>,
}

/// Two requests are the same when they ask about the same trace value.
impl PartialEq for AnalyseRequest {
    fn eq(&self, other: &Self) -> bool {
        self.generation == other.generation && Arc::ptr_eq(&self.trace, &other.trace)
    }
}

impl Eq for AnalyseRequest {}

/// The answer to an [`AnalyseRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct Analysed {
    /// The request's generation.
    pub generation: u64,
    /// What was worked out.
    pub analysis: Analysis,
}

/// Works out the critical path (with the entities it runs through), the self times and the
/// density of a trace.
pub fn analyse(trace: &Trace) -> Analysis {
    let (path, own) = crate::engine::critical::analyse(trace);
    let mut mask = path.mask(trace.nodes.len());
    // The entities the path runs through (its steps' ancestors) too, so the tree holds.
    for s in &path.steps {
        let mut up = trace.nodes.get(s.node).and_then(|n| n.parent);
        while let Some(p) = up {
            if mask[p] {
                break;
            }
            mask[p] = true;
            up = trace.nodes[p].parent;
        }
    }
    let iv = waterfall::intervals(trace);
    let span = waterfall::window(trace).1;
    Analysis {
        on_path: mask,
        self_time: own,
        density: fold::density(&iv, span, fold::DENSITY_BINS),
    }
}

/// What a `z` did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ZoomStep {
    /// Marked the start of a selection.
    Marked,
    /// Zoomed to this window (seconds from the trace's start).
    Zoomed((f64, f64)),
    /// Nothing to zoom to (no rows, or a window of no length).
    Nothing,
}

/// An open trace.
#[derive(Debug, Clone)]
pub struct TraceView {
    /// The trace.
    pub trace: Arc<Trace>,
    /// Its summary, for the header.
    pub summary: Option<TraceSummary>,
    /// Nodes whose children are hidden.
    pub collapsed: HashSet<NodeId>,
    /// The visible waterfall rows.
    pub rows: Vec<Row>,
    /// `(start, length)` of the trace after skew correction.
    pub window: (f64, f64),
    /// Selected row.
    pub selected: usize,
    /// First row drawn.
    pub offset: usize,
    /// Details tab.
    pub tab: DetailTab,
    /// Details scroll (lines).
    pub details_scroll: u16,
    /// The Links tab's marked link: (the entity it belongs to, its index among the entity's
    /// links). Another entity selected means its first link.
    pub link: (NodeId, usize),
    /// The find bar's query and matches, while a find is active.
    pub find: Option<super::find::FindState>,
    /// Which entities are on the critical path (by node), worked out off the UI thread when
    /// the trace opens (empty until then).
    pub on_path: Vec<bool>,
    /// Each entity's self time (by node): its duration minus its children's.
    pub self_time: Vec<f64>,
    /// Show only the critical path (and the entities it runs through).
    pub path_only: bool,
    /// Entities shorter than this many seconds are hidden (0: none), cycled by `t` through
    /// [`HIDE_SHORTER`].
    pub hide_shorter: f64,
    /// How many entities the threshold hides.
    pub hidden: usize,
    /// The trace's statistics shown instead of the waterfall (`S`), and their scroll.
    pub stats: Option<StatsView>,
    /// Cells the widest visible row's name column would take (indent, fold mark, name, marks
    /// and what it called), up to [`NAME_WIDTH_MAX`]: worked out when the rows change, so the
    /// waterfall gives names the room they need and the bars the rest.
    pub name_width: usize,
    /// Runs of at least [`RUN_MIN`](crate::engine::fold::RUN_MIN) same-name siblings show as
    /// one `×N` row (`s`).
    pub fold_runs: bool,
    /// The runs expanded again (by their first member).
    pub open_runs: HashSet<NodeId>,
    /// Each service (segment) shows as one row, its subsegments hidden (`C`).
    pub by_service: bool,
    /// The segments whose subsegments show while [`TraceView::by_service`] is on.
    pub open_services: HashSet<NodeId>,
    /// The time window the bars are drawn for (seconds from the trace's start), if zoomed.
    pub zoom: Option<(f64, f64)>,
    /// Where a zoom selection started (`z`), until `z` again sets the window.
    pub zoom_mark: Option<NodeId>,
    /// How many entities run in each of [`DENSITY_BINS`](crate::engine::fold::DENSITY_BINS)
    /// slices of the trace, for the overview strip (empty until measured).
    pub density: Vec<u32>,
    /// How many segments the trace has (for the header, counted once).
    pub segments: usize,
    /// The rows with only the collapsed set applied, kept until it changes (empty: to work
    /// out), so the tools' keys refilter them instead of walking the tree again.
    base: Vec<Row>,
    /// Each node's name cells with what it called , measured once.
    name_cells: Vec<u32>,
}

/// The trace's statistics as the trace view shows them (per service, then per operation).
#[derive(Debug, Clone)]
pub struct StatsView {
    /// The tables.
    pub stats: crate::engine::critical::TraceStats,
    /// Lines scrolled.
    pub scroll: usize,
}

/// The thresholds `t` cycles through (seconds): 1 ms, 10 ms, 100 ms, then none.
pub const HIDE_SHORTER: [f64; 3] = [0.001, 0.01, 0.1];

/// The most a name column asks for.
pub const NAME_WIDTH_MAX: usize = 120;

/// The marks after a row's name (clock skew corrected, parent missing).
pub fn row_marks(row: &Row) -> &'static str {
    match (row.skew.is_some(), row.orphan) {
        (true, true) => " ~skew ?orphan",
        (true, false) => " ~skew",
        (false, true) => " ?orphan",
        (false, false) => "",
    }
}

/// The mark after a folded run's name: ` ×N Σ total` (empty for other rows).
pub fn run_mark(row: &Row) -> String {
    row.run.map_or_else(String::new, |r| {
        format!(
            " ×{} Σ{}",
            r.count,
            crate::model::time::format_duration(r.total)
        )
    })
}

/// The name cells of each node: its name, and what it called after two spaces.
fn name_cells(trace: &Trace) -> Vec<u32> {
    (0..trace.nodes.len())
        .map(|n| {
            let name = width(&trace.nodes[n].doc.name);
            let call = match waterfall::call_width(trace, n) {
                0 => 0,
                w => 2 + w,
            };
            u32::try_from(name + call).unwrap_or(u32::MAX)
        })
        .collect()
}

fn wanted_name_width(cells: &[u32], rows: &[Row]) -> usize {
    let mut most = 0;
    for r in rows {
        let indent = 2 * (r.depth as usize).min(NAME_WIDTH_MAX);
        let own = cells.get(r.node).map_or(0, |&c| c as usize);
        let run = if r.run.is_some() {
            width(&run_mark(r))
        } else {
            0
        };
        most = most.max(indent + 2 + own + run + width(row_marks(r)));
        if most >= NAME_WIDTH_MAX {
            return NAME_WIDTH_MAX;
        }
    }
    most
}

impl TraceView {
    /// Opens a trace fully expanded, the root segment selected.
    pub fn new(trace: Arc<Trace>, summary: Option<TraceSummary>) -> Self {
        let window = waterfall::window(&trace);
        let mut v = TraceView {
            trace,
            summary,
            collapsed: HashSet::new(),
            rows: Vec::new(),
            window,
            selected: 0,
            offset: 0,
            tab: DetailTab::Overview,
            details_scroll: 0,
            link: (usize::MAX, 0),
            find: None,
            name_width: 0,
            on_path: Vec::new(),
            self_time: Vec::new(),
            path_only: false,
            hide_shorter: 0.0,
            hidden: 0,
            stats: None,
            fold_runs: false,
            open_runs: HashSet::new(),
            by_service: false,
            open_services: HashSet::new(),
            zoom: None,
            zoom_mark: None,
            density: Vec::new(),
            segments: 0,
            base: Vec::new(),
            name_cells: Vec::new(),
        };
        v.measure_names();
        v.refresh(None);
        if let Some(root) = v.trace.root_segment() {
            if let Some(i) = v.rows.iter().position(|r| r.node == root) {
                v.selected = i;
            }
        }
        v
    }

    /// The selected row.
    pub fn selected_row(&self) -> Option<&Row> {
        self.rows.get(self.selected)
    }

    /// The selected entity's links, and the index of the marked one.
    pub fn links(&self) -> (Vec<SpanLink>, usize) {
        let Some(node) = self.selected_row().map(|r| r.node) else {
            return (Vec::new(), 0);
        };
        let links = self
            .trace
            .nodes
            .get(node)
            .map(|n| links_of(&n.doc))
            .unwrap_or_default();
        let at = if self.link.0 == node { self.link.1 } else { 0 };
        let at = at.min(links.len().saturating_sub(1));
        (links, at)
    }

    /// Marks the next (`forward`) or previous link of the selected entity, wrapping round;
    /// false if it has none.
    pub fn move_link(&mut self, forward: bool) -> bool {
        let (links, at) = self.links();
        let Some(node) = self.selected_row().map(|r| r.node) else {
            return false;
        };
        if links.is_empty() {
            return false;
        }
        let n = links.len();
        let next = if forward {
            (at + 1) % n
        } else {
            (at + n - 1) % n
        };
        self.link = (node, next);
        // The Links tab lists the links first, two lines each after its heading.
        self.details_scroll = u16::try_from(next * 2).unwrap_or(u16::MAX);
        true
    }

    /// Selects the entity with this document ID (expanding what hides it); false if the trace
    /// has none.
    pub fn reveal_doc(&mut self, id: &str) -> bool {
        match self.trace.nodes.iter().position(|n| n.doc.id == id) {
            Some(n) => self.reveal(n),
            None => false,
        }
    }

    /// Swaps in a newer version of the same trace (more documents arrived), keeping the
    /// selected entity, the collapsed ones (matched by document ID), the tab and the scroll.
    pub fn replace(&mut self, trace: Arc<Trace>, summary: Option<TraceSummary>) {
        let doc_id = |t: &Trace, n: NodeId| t.nodes.get(n).map(|x| x.doc.id.clone());
        let selected = self
            .selected_row()
            .and_then(|r| doc_id(&self.trace, r.node));
        // Node IDs of the older version, by document ID in the newer one.
        let ids = |set: &HashSet<NodeId>| -> Vec<String> {
            set.iter().filter_map(|&n| doc_id(&self.trace, n)).collect()
        };
        let (collapsed, runs, services) = (
            ids(&self.collapsed),
            ids(&self.open_runs),
            ids(&self.open_services),
        );
        let mark = self.zoom_mark.and_then(|n| doc_id(&self.trace, n));
        let by_id = |id: &str| trace.nodes.iter().position(|x| x.doc.id == id);
        let nodes =
            |v: Vec<String>| -> HashSet<NodeId> { v.iter().filter_map(|id| by_id(id)).collect() };
        self.collapsed = nodes(collapsed);
        self.open_runs = nodes(runs);
        self.open_services = nodes(services);
        self.zoom_mark = mark.as_deref().and_then(by_id);
        let keep = selected.as_deref().and_then(by_id);
        self.window = waterfall::window(&trace);
        self.trace = trace;
        self.summary = summary;
        self.measure_names();
        // The older version's analysis does not fit: the newer one's is asked for.
        self.on_path.clear();
        self.self_time.clear();
        self.density.clear();
        self.refresh(keep);
    }

    /// Counts the segments and measures every node's name (once a version of the trace).
    fn measure_names(&mut self) {
        self.segments = self.trace.segment_nodes().count();
        self.name_cells = name_cells(&self.trace);
        self.base.clear();
    }

    /// Takes in the trace's [`Analysis`] (worked out off the UI thread); it must be of this
    /// trace (as many nodes), else it is left out.
    pub fn set_analysis(&mut self, a: Analysis) {
        let n = self.trace.nodes.len();
        if a.on_path.len() != n || a.self_time.len() != n {
            return;
        }
        self.on_path = a.on_path;
        self.self_time = a.self_time;
        self.density = a.density;
        if self.path_only {
            let keep = self.selected_row().map(|r| r.node);
            self.refresh(keep);
        }
    }

    /// Whether the critical path and self times are here yet.
    pub fn analysed(&self) -> bool {
        self.on_path.len() == self.trace.nodes.len()
    }

    /// Shows the trace's statistics instead of the waterfall, or the waterfall again.
    pub fn toggle_stats(&mut self) {
        self.stats = match self.stats {
            Some(_) => None,
            None => Some(StatsView {
                stats: crate::engine::critical::stats(&self.trace),
                scroll: 0,
            }),
        };
    }

    /// Hides entities shorter than the next threshold of [`HIDE_SHORTER`] (after the last:
    /// none hidden); returns the threshold.
    pub fn cycle_hide_shorter(&mut self) -> f64 {
        let next = HIDE_SHORTER
            .iter()
            .copied()
            .find(|&t| t > self.hide_shorter)
            .unwrap_or(0.0);
        self.hide_shorter = next;
        let keep = self.selected_row().map(|r| r.node);
        self.refresh(keep);
        next
    }

    /// Hides entities shorter than `t` seconds (0: none hidden), the selection kept.
    pub fn set_hide_shorter(&mut self, t: f64) {
        self.hide_shorter = t.max(0.0);
        let keep = self.selected_row().map(|r| r.node);
        self.refresh(keep);
    }

    /// Shows only the critical path, or everything again; the selection stays on its entity
    /// (or the nearest one shown).
    pub fn toggle_path_only(&mut self) {
        self.path_only = !self.path_only;
        let keep = self.selected_row().map(|r| r.node);
        self.refresh(keep);
    }

    /// Recomputes the rows, keeping `keep` selected (or the nearest visible ancestor).
    fn refresh(&mut self, keep: Option<NodeId>) {
        if self.base.is_empty() {
            self.base = waterfall::rows(&self.trace, &self.collapsed);
        }
        self.rows = self.base.clone();
        if self.path_only && self.analysed() {
            let on = &self.on_path;
            self.rows
                .retain(|r| on.get(r.node).copied().unwrap_or(false));
        }
        if self.hide_shorter > 0.0 {
            let before = self.rows.len();
            let min = self.hide_shorter;
            // A root always shows; an entity still in progress is not short.
            self.rows
                .retain(|r| r.depth == 0 || r.duration.is_none_or(|d| d >= min));
            self.hidden = before - self.rows.len();
        } else {
            self.hidden = 0;
        }
        if self.fold_runs {
            let rows = std::mem::take(&mut self.rows);
            self.rows = fold::fold_runs(
                &self.trace,
                rows,
                fold::RUN_MIN,
                &self.open_runs,
                self.window.1,
            );
        }
        if self.by_service {
            let rows = std::mem::take(&mut self.rows);
            self.rows = fold::fold_services(&self.trace, rows, &self.open_services);
        }
        self.name_width = wanted_name_width(&self.name_cells, &self.rows);
        if let Some(node) = keep {
            let path = self.trace.path_to(node);
            let found = path
                .iter()
                .rev()
                .find_map(|n| self.rows.iter().position(|r| r.node == *n));
            self.selected = found.unwrap_or(0);
        }
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }

    /// Collapses or expands the selected row.
    pub fn toggle(&mut self) {
        if self.open_folded() {
            return;
        }
        if self.by_service && self.close_service() {
            return;
        }
        let Some(row) = self.selected_row() else {
            return;
        };
        if !row.has_children {
            // A member of a `×N` run shown open: the run folds again.
            self.close_run();
            return;
        }
        let node = row.node;
        if !self.collapsed.remove(&node) {
            self.collapsed.insert(node);
        }
        self.base.clear();
        self.refresh(Some(node));
    }

    /// Replaces the collapsed set.
    pub fn set_collapsed(&mut self, collapsed: HashSet<NodeId>) {
        let keep = self.selected_row().map(|r| r.node);
        self.collapsed = collapsed;
        self.base.clear();
        self.refresh(keep);
    }

    /// Selects the next (or previous) fault, error or throttle entity in tree order, wrapping
    /// around (and saying so) and expanding collapsed rows that hide it.
    pub fn jump_problem(&mut self, forward: bool) -> Jump {
        let all = waterfall::rows(&self.trace, &HashSet::new());
        let n = all.len();
        let here = self
            .selected_row()
            .and_then(|r| all.iter().position(|x| x.node == r.node))
            .unwrap_or(0);
        for step in 1..=n {
            let i = if forward {
                (here + step) % n
            } else {
                (here + n - step % n) % n
            };
            if all[i].status == Status::Ok {
                continue;
            }
            if self.reveal(all[i].node) {
                // Past the last problem (or before the first): round to the other end.
                let wrapped = if forward { i <= here } else { i >= here };
                return if wrapped { Jump::Wrapped } else { Jump::Moved };
            }
        }
        Jump::None
    }

    /// `←`: collapses the selected row when it is open, else selects its parent's row.
    pub fn collapse_or_parent(&mut self) {
        if self.by_service && self.close_service() {
            return;
        }
        let Some(row) = self.selected_row() else {
            return;
        };
        let node = row.node;
        if row.has_children && !self.collapsed.contains(&node) {
            self.collapsed.insert(node);
            self.base.clear();
            self.refresh(Some(node));
            return;
        }
        let parent = self.trace.nodes.get(node).and_then(|n| n.parent);
        if let Some(pos) = parent.and_then(|p| self.rows.iter().position(|r| r.node == p)) {
            self.selected = pos;
            self.details_scroll = 0;
        }
    }

    /// `→`: expands the selected row when it is collapsed, else moves to its first child.
    pub fn expand_or_child(&mut self) {
        if self.open_folded() {
            return;
        }
        let Some(row) = self.selected_row() else {
            return;
        };
        if !row.has_children {
            return;
        }
        let node = row.node;
        if self.collapsed.remove(&node) {
            self.base.clear();
            self.refresh(Some(node));
        } else {
            self.move_by(1);
        }
    }

    /// Selects the next of the trace's fault and error root causes (the first, when the
    /// selection is on none of them), expanding what hides it. Its position among them and
    /// how many there are; `None` without any.
    pub fn jump_root_cause(&mut self) -> Option<(usize, usize)> {
        let causes = crate::engine::summary::root_cause_entities(&self.trace);
        let here = self.selected_row().map(|r| r.node);
        let next = match here.and_then(|h| causes.iter().position(|&c| c == h)) {
            Some(i) => (i + 1) % causes.len(),
            None => 0,
        };
        let &node = causes.get(next)?;
        self.reveal(node).then_some((next, causes.len()))
    }

    /// Selects a find match and shows the details tab of the field that matched.
    pub fn reveal_match(&mut self, node: NodeId, field: Option<Field>) {
        if self.reveal(node) {
            if let Some(f) = field {
                self.tab = DetailTab::of_field(f);
            }
        }
    }

    /// Selects a node, expanding the collapsed rows that hide it; `false` when it has no row.
    pub fn reveal(&mut self, target: NodeId) -> bool {
        if target >= self.trace.nodes.len() {
            return false;
        }
        let hidden: Vec<NodeId> = self
            .trace
            .path_to(target)
            .into_iter()
            .filter(|&p| p != target && self.collapsed.contains(&p))
            .collect();
        let folded = self.unfold_for(target);
        if !hidden.is_empty() || folded {
            for p in hidden {
                self.collapsed.remove(&p);
                self.base.clear();
            }
            self.refresh(None);
        }
        match self.rows.iter().position(|r| r.node == target) {
            Some(pos) => {
                self.selected = pos;
                self.details_scroll = 0;
                true
            }
            None => false,
        }
    }

    /// Expands the selected `×N` row, or (by service) the selected folded service; false when
    /// it is neither.
    fn open_folded(&mut self) -> bool {
        let Some(row) = self.selected_row() else {
            return false;
        };
        let node = row.node;
        if row.run.is_some() {
            self.open_runs.insert(node);
        } else if self.by_service && row.kind == crate::model::NodeKind::Segment && row.collapsed {
            self.open_services.insert(node);
        } else {
            return false;
        }
        self.refresh(Some(node));
        true
    }

    /// Folds the selected service again (by service); false when it is not an open one.
    fn close_service(&mut self) -> bool {
        let Some(row) = self.selected_row() else {
            return false;
        };
        let node = row.node;
        if row.kind != crate::model::NodeKind::Segment || !self.open_services.remove(&node) {
            return false;
        }
        self.refresh(Some(node));
        true
    }

    /// Folds the open `×N` run the selected row belongs to again (selecting the run's row);
    /// false when it belongs to none.
    fn close_run(&mut self) -> bool {
        if !self.fold_runs {
            return false;
        }
        let Some(node) = self.selected_row().map(|r| r.node) else {
            return false;
        };
        let Some(first) = self.run_start(node) else {
            return false;
        };
        if !self.open_runs.remove(&first) {
            return false;
        }
        self.refresh(Some(first));
        true
    }

    /// Opens the runs and the services that would hide `target` (and its ancestors); whether
    /// anything changed.
    fn unfold_for(&mut self, target: NodeId) -> bool {
        let mut changed = false;
        let path = self.trace.path_to(target);
        if self.by_service {
            for &p in &path {
                if let Some(s) = self.trace.nodes.get(p).and_then(|n| n.segment) {
                    changed |= self.open_services.insert(s);
                }
            }
        }
        if self.fold_runs {
            for &p in &path {
                if let Some(first) = self.run_start(p) {
                    changed |= self.open_runs.insert(first);
                }
            }
        }
        changed
    }

    /// The first of the same-name siblings running up to `node` (itself when its previous
    /// sibling has another name).
    fn run_start(&self, node: NodeId) -> Option<NodeId> {
        let n = self.trace.nodes.get(node)?;
        let siblings: &[NodeId] = match n.parent {
            Some(p) => &self.trace.nodes.get(p)?.children,
            None => &self.trace.roots,
        };
        let at = siblings.iter().position(|&s| s == node)?;
        let name = &n.doc.name;
        let first = siblings[..at]
            .iter()
            .rev()
            .take_while(|&&s| self.trace.nodes.get(s).is_some_and(|x| &x.doc.name == name))
            .last()
            .copied();
        Some(first.unwrap_or(node))
    }

    /// Folds runs of same-name siblings into `×N` rows, or shows every row again; returns
    /// whether they are folded now.
    pub fn toggle_fold_runs(&mut self) -> bool {
        self.fold_runs = !self.fold_runs;
        self.open_runs.clear();
        let keep = self.selected_row().map(|r| r.node);
        self.refresh(keep);
        self.fold_runs
    }

    /// Folds each service to one row, or shows every row again; returns whether they are
    /// folded now.
    pub fn toggle_by_service(&mut self) -> bool {
        self.by_service = !self.by_service;
        self.open_services.clear();
        let keep = self.selected_row().map(|r| r.node);
        self.refresh(keep);
        self.by_service
    }

    /// `z`: the first press marks the selected row; the second zooms the bars to the window
    /// the rows from the mark to the selection cover. What happened.
    pub fn zoom_step(&mut self) -> ZoomStep {
        let Some(here) = self.selected_row().map(|r| r.node) else {
            return ZoomStep::Nothing;
        };
        let Some(mark) = self.zoom_mark.take() else {
            self.zoom_mark = Some(here);
            return ZoomStep::Marked;
        };
        let from = self
            .rows
            .iter()
            .position(|r| r.node == mark)
            .unwrap_or(self.selected);
        match fold::window_of_rows(&self.rows, from, self.selected, self.window.1) {
            Some(w) => {
                self.zoom = Some(w);
                ZoomStep::Zoomed(w)
            }
            None => ZoomStep::Nothing,
        }
    }

    /// `Z`: the whole trace again (and no zoom selection).
    pub fn zoom_reset(&mut self) -> bool {
        self.zoom_mark = None;
        self.zoom.take().is_some()
    }

    /// The time window the bars are drawn for: the zoom, or the whole trace (seconds from its
    /// start).
    pub fn view_window(&self) -> (f64, f64) {
        self.zoom.unwrap_or((0.0, self.window.1))
    }

    /// Moves the selection, clamped.
    pub fn move_by(&mut self, delta: isize) {
        let last = self.rows.len().saturating_sub(1);
        let next = self.selected.saturating_add_signed(delta).min(last);
        if next != self.selected {
            self.details_scroll = 0;
        }
        self.selected = next;
    }
}
