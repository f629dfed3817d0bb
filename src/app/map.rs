//! The service map screen's state: the graph, its layout (made for the room the screen has:
//! fitted to it, with compact boxes where space is short, or full size), the selected node and
//! edge, and the scroll position of the drawing.
//!
//! Why a screen of its own: on call, the first question is "which service is failing?". The map
//! answers it at a glance (boxes coloured by health, the worst one selected when it opens), and
//! Enter turns the answer into the list of traces to read (those through the node or the edge).
//! The same screen shows the map of one trace from the trace view.
//!
//! It opens on the entry point: the view starts at the left, where the clients and the roots
//! are, so a map that does not fit is read from where requests come in.

use std::collections::HashSet;

use ratatui::layout::{Constraint, Layout, Rect};

use super::layout::screen;
use super::list::TraceSet;
use super::{App, Mode};
use crate::engine::dataset::Dataset;
use crate::engine::graph::{Fragment, ServiceKeys};
use crate::engine::graph_layout::{LayoutOptions, MapLayout, fit, layout};
use crate::engine::service;
use crate::keys::Action;
use crate::model::graph::{EdgeStatistics, Service};
use crate::model::{ServiceGraph, Trace};

/// From this width on, the statistics sit in a sidebar right of the drawing, not below it.
pub const SIDEBAR_FROM: u16 = 140;
/// Width of the sidebar.
pub const SIDEBAR_W: u16 = 46;
/// Height of the footer when there is no sidebar.
pub const FOOTER_H: u16 = 4;

/// How maps are shown; kept by the app from one map to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapView {
    /// Boxes shrink until the drawing fits the screen (else they are full size).
    pub fit: bool,
    /// The details panel (statistics and keys) shows beside or below the drawing.
    pub panel: bool,
}

impl Default for MapView {
    fn default() -> Self {
        MapView {
            fit: true,
            panel: true,
        }
    }
}

/// The map's body: `(drawing, statistics)`; side by side when wide, stacked otherwise. Without
/// the panel the drawing takes the whole body and the statistics area is empty.
pub fn split(body: Rect, panel: bool) -> (Rect, Rect) {
    if !panel {
        return (body, Rect::new(body.x, body.y + body.height, body.width, 0));
    }
    if body.width >= SIDEBAR_FROM {
        let [c, s] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(SIDEBAR_W)]).areas(body);
        (c, s)
    } else {
        let [c, s] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(FOOTER_H)]).areas(body);
        (c, s)
    }
}

/// Cells of the drawing that fit on a terminal of `size`, with or without the panel.
pub fn canvas_size(size: Rect, panel: bool) -> (usize, usize) {
    let (c, _) = split(screen(size).body, panel);
    (usize::from(c.width), usize::from(c.height))
}

/// What a service map is drawn from, for its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Basis {
    /// The documents of `drawn` of the `listed` traces (the others are summaries only: there is
    /// nothing to draw them from).
    Traces {
        /// Traces with documents, drawn.
        drawn: usize,
        /// Traces the list holds (or shows, when it is filtered).
        listed: usize,
    },
    /// A service graph as read from a file (no trace documents loaded).
    GraphFile,
    /// The service's own graph of the time window (AWS GetServiceGraph).
    ServiceGraph,
    /// One trace.
    Trace,
}

impl Basis {
    /// How many listed traces are summaries only, left out of the drawing.
    pub fn left_out(&self) -> usize {
        match self {
            Basis::Traces { drawn, listed } => listed.saturating_sub(*drawn),
            _ => 0,
        }
    }
}

/// Request counts of a node or edge, read defensively from possibly partial statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counts {
    /// All requests.
    pub total: u64,
    /// Successful requests.
    pub ok: u64,
    /// 4xx other than 429.
    pub errors: u64,
    /// 429s.
    pub throttles: u64,
    /// 5xx.
    pub faults: u64,
    /// Sum of response times, seconds.
    pub total_time: f64,
}

impl Counts {
    /// Counts of one statistics block.
    pub fn of(s: &EdgeStatistics) -> Self {
        let e = &s.error_statistics;
        let throttles = e.throttle_count;
        Counts {
            total: s.total_count,
            ok: s.ok_count,
            errors: e.other_count.max(e.total_count.saturating_sub(throttles)),
            throttles,
            faults: s
                .fault_statistics
                .total_count
                .max(s.fault_statistics.other_count),
            total_time: s.total_response_time,
        }
    }

    /// Adds another block.
    pub fn add(&mut self, o: &Counts) {
        self.total += o.total;
        self.ok += o.ok;
        self.errors += o.errors;
        self.throttles += o.throttles;
        self.faults += o.faults;
        self.total_time += o.total_time;
    }

    /// Average response time, seconds.
    pub fn avg(&self) -> Option<f64> {
        (self.total > 0).then(|| self.total_time / self.total as f64)
    }

    /// `n` as a percentage of all requests.
    pub fn pct(&self, n: u64) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            n as f64 * 100.0 / self.total as f64
        }
    }

    /// Health, worst first: faults, then errors, then throttles.
    pub fn health(&self) -> Health {
        if self.faults > 0 {
            Health::Fault
        } else if self.errors > 0 {
            Health::Error
        } else if self.throttles > 0 {
            Health::Throttle
        } else if self.total > 0 {
            Health::Ok
        } else {
            Health::Unknown
        }
    }

    /// Sort key, worst first.
    fn badness(&self) -> (u64, u64, u64) {
        (self.faults, self.errors, self.throttles)
    }
}

/// How a node or edge is doing; decides its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// Some 5xx.
    Fault,
    /// Some 4xx, no 5xx.
    Error,
    /// Some 429s only.
    Throttle,
    /// Requests, all fine.
    Ok,
    /// No statistics.
    Unknown,
}

/// The type of a map node that stands for a linked trace (drawn with dashed edges).
pub const LINKED_TRACE: &str = "linked trace";

/// The edge type of a span link on the map.
pub const LINK_EDGE: &str = "link";

/// Whether a map edge is a span link to another trace.
pub fn is_link(e: &crate::model::graph::Edge) -> bool {
    e.edge_type.as_deref() == Some(LINK_EDGE)
}

/// The trace map with the trace's links to other traces: a node for each linked trace (type
/// [`LINKED_TRACE`], named `→ trace 1-…`, its ID as its one other name) and an edge of type
/// [`LINK_EDGE`] to it from the service of each entity that links there.
pub fn with_links(mut graph: ServiceGraph, trace: &Trace) -> ServiceGraph {
    let mut next = graph
        .services
        .iter()
        .map(|s| s.reference_id)
        .max()
        .unwrap_or(0);
    for node in &trace.nodes {
        let links = super::trace_view::links_of(&node.doc);
        if links.is_empty() {
            continue;
        }
        let Some(seg) = node.segment.and_then(|s| trace.nodes.get(s)) else {
            continue;
        };
        let key = service::of_segment(&seg.doc);
        let Some(from) = graph
            .services
            .iter()
            .position(|s| s.name.as_deref() == Some(key.name.as_str()))
        else {
            continue;
        };
        for l in links {
            let same = crate::model::header::trace_id_candidates(&l.trace_id).contains(&trace.id);
            if same {
                continue;
            }
            let to = match graph.services.iter().find(|s| {
                s.kind.as_deref() == Some(LINKED_TRACE) && s.names == [l.trace_id.clone()]
            }) {
                Some(s) => s.reference_id,
                None => {
                    next += 1;
                    graph.services.push(Service {
                        reference_id: next,
                        name: Some(format!("→ trace {}", l.trace_id)),
                        names: vec![l.trace_id.clone()],
                        kind: Some(LINKED_TRACE.to_owned()),
                        ..Service::default()
                    });
                    next
                }
            };
            let edges = &mut graph.services[from].edges;
            if !edges.iter().any(|e| e.reference_id == to) {
                edges.push(crate::model::graph::Edge {
                    reference_id: to,
                    edge_type: Some(LINK_EDGE.to_owned()),
                    ..Default::default()
                });
            }
        }
    }
    graph
}

/// The display name of a node.
pub fn node_name(s: &Service) -> String {
    s.name
        .clone()
        .or_else(|| s.names.first().cloned())
        .unwrap_or_else(|| format!("#{}", s.reference_id))
}

/// A short type for a box: `AWS::DynamoDB::Table` → `DynamoDB`, `Database::SQL` → `SQL`.
pub fn short_kind(kind: Option<&str>) -> String {
    let Some(k) = kind else {
        return "-".to_owned();
    };
    let parts: Vec<&str> = k.split("::").collect();
    match parts.as_slice() {
        ["AWS", svc, ..] => (*svc).to_owned(),
        [.., last] => (*last).to_owned(),
        [] => k.to_owned(),
    }
}

/// What Enter lists traces for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Traces through a node: `(name, type)`.
    Service(String, String),
    /// Traces with a call between two nodes.
    Edge((String, String), (String, String)),
}

/// State of the map screen.
#[derive(Debug, Clone)]
pub struct MapState {
    /// The graph drawn.
    pub graph: ServiceGraph,
    /// Its layout.
    pub layout: MapLayout,
    /// Selected node (index in `graph.services`).
    pub selected: usize,
    /// Selected edge (index in `layout.edges`), an outgoing edge of the selected node.
    pub edge: Option<usize>,
    /// First column and row of the drawing shown.
    pub offset: (usize, usize),
    /// The trace, for a trace map.
    pub trace_id: Option<String>,
    /// Per node counts (clients: the sum of their calls).
    pub counts: Vec<Counts>,
    /// What narrowed the traces the map is drawn from (the list's filters), for the header.
    pub filter: Option<String>,
    /// The node with the most faults and how many, if any node has a fault.
    pub most_faults: Option<(usize, u64)>,
    /// What the map is drawn from.
    pub basis: Basis,
    /// Fitted or full size, with or without the panel.
    pub view: MapView,
    /// The box sizes of `layout`.
    pub options: LayoutOptions,
    /// The drawing area and fit setting `layout` was made for (`None`: not yet laid out for
    /// the screen, so the view opens on the entry point).
    arranged: Option<(usize, usize, bool)>,
}

impl MapState {
    /// A map of `graph`, opened on the node with the most faults (else the first in reading
    /// order). `trace_id` is set for the map of one trace. Laid out at full size until
    /// [`MapState::arrange`] fits it to the screen.
    pub fn new(graph: ServiceGraph, trace_id: Option<String>, view: MapView) -> Self {
        let options = LayoutOptions::default();
        let layout = layout(&graph, &options);
        let counts: Vec<Counts> = graph
            .services
            .iter()
            .map(|s| match &s.summary_statistics {
                Some(st) => Counts::of(st),
                None => {
                    let mut c = Counts::default();
                    for e in &s.edges {
                        if let Some(st) = &e.summary_statistics {
                            c.add(&Counts::of(st));
                        }
                    }
                    c
                }
            })
            .collect();
        // Clients only repeat the faults of the services they call.
        let is_client = |i: usize| graph.services[i].kind.as_deref() == Some("client");
        let most_faults = (0..counts.len())
            .filter(|&i| counts[i].faults > 0 && !is_client(i))
            .max_by_key(|&i| (counts[i].faults, std::cmp::Reverse(i)))
            .map(|i| (i, counts[i].faults));
        let first = layout.reading_order().first().copied().unwrap_or(0);
        MapState {
            selected: most_faults.map_or(first, |m| m.0),
            graph,
            layout,
            edge: None,
            offset: (0, 0),
            basis: if trace_id.is_some() {
                Basis::Trace
            } else {
                Basis::Traces {
                    drawn: 0,
                    listed: 0,
                }
            },
            trace_id,
            counts,
            most_faults,
            filter: None,
            view,
            options,
            arranged: None,
        }
    }

    /// Lays the map out for a terminal of `size` when the room or the fit setting changed
    /// (fitted: the roomiest boxes whose drawing fits; else full size), then keeps the
    /// selection in view. The first time, the view opens on the entry point: scrolled to the
    /// left and top, with the node with the most faults selected if it shows there, else the
    /// first service in reading order.
    pub fn arrange(&mut self, size: Rect) {
        let (w, h) = canvas_size(size, self.view.panel);
        let key = (w, h, self.view.fit);
        if self.arranged != Some(key) {
            let first = self.arranged.is_none();
            (self.options, self.layout) = if self.view.fit {
                fit(&self.graph, w, h)
            } else {
                let o = LayoutOptions::default();
                (o, layout(&self.graph, &o))
            };
            self.arranged = Some(key);
            if first {
                self.offset = (0, 0);
                if !self.shows(self.selected, (w, h)) {
                    let order = self.layout.reading_order();
                    let entry = order
                        .iter()
                        .copied()
                        .find(|&i| self.graph.services[i].kind.as_deref() != Some("client"))
                        .or(order.first().copied());
                    if let Some(i) = entry {
                        self.select(i);
                    }
                }
            }
        }
        self.offset = (
            self.offset.0.min(self.layout.width.saturating_sub(w)),
            self.offset.1.min(self.layout.height.saturating_sub(h)),
        );
        self.scroll_into_view((w, h));
    }

    /// Whether node `i`'s box is wholly inside the view of `w` × `h` cells.
    pub fn shows(&self, i: usize, (w, h): (usize, usize)) -> bool {
        self.layout.boxes.get(i).is_some_and(|b| {
            b.x >= self.offset.0
                && b.y >= self.offset.1
                && b.x + b.w <= self.offset.0 + w
                && b.y + b.h <= self.offset.1 + h
        })
    }

    /// How many nodes lie, wholly or partly, outside a view of `w` × `h` cells on each side:
    /// `[left, right, above, below]` (a node off a corner counts on both sides).
    pub fn outside(&self, (w, h): (usize, usize)) -> [usize; 4] {
        let (x0, y0) = self.offset;
        let mut n = [0; 4];
        for b in &self.layout.boxes {
            n[0] += usize::from(b.x < x0);
            n[1] += usize::from(b.x + b.w > x0 + w);
            n[2] += usize::from(b.y < y0);
            n[3] += usize::from(b.y + b.h > y0 + h);
        }
        n
    }

    /// Goes back to the entry point: the first node in reading order, the view at the left.
    pub fn home(&mut self) {
        if let Some(&i) = self.layout.reading_order().first() {
            self.select(i);
        }
        self.offset = (0, 0);
    }

    /// A map of a newer `graph` of the same traces, with the same node selected if it is
    /// still there.
    pub fn successor(&self, graph: ServiceGraph) -> MapState {
        let selected = self.node().map(node_name);
        let mut next = MapState::new(graph, self.trace_id.clone(), self.view);
        // Already open: the view stays where it is (see `arrange`).
        next.arranged = Some((usize::MAX, usize::MAX, self.view.fit));
        next.offset = self.offset;
        next.basis = self.basis.clone();
        next.filter = self.filter.clone();
        if let Some(i) = selected.and_then(|name| {
            next.graph
                .services
                .iter()
                .position(|s| node_name(s) == name)
        }) {
            next.selected = i;
        }
        next
    }

    /// The selected node.
    pub fn node(&self) -> Option<&Service> {
        self.graph.services.get(self.selected)
    }

    /// Statistics of the selected edge.
    pub fn edge_counts(&self, route: usize) -> Counts {
        self.layout
            .edges
            .get(route)
            .and_then(|r| self.graph.services.get(r.from)?.edges.get(r.edge))
            .and_then(|e| e.summary_statistics.as_ref())
            .map(Counts::of)
            .unwrap_or_default()
    }

    /// Routes into and out of the selected node, worst first (faults, errors, throttles).
    pub fn worst_edges(&self) -> Vec<usize> {
        let mut v: Vec<usize> = (0..self.layout.edges.len())
            .filter(|&r| {
                let e = &self.layout.edges[r];
                e.from == self.selected || e.to == self.selected
            })
            .filter(|&r| self.edge_counts(r).health() != Health::Ok)
            .filter(|&r| self.edge_counts(r).health() != Health::Unknown)
            .collect();
        v.sort_by_key(|&r| (std::cmp::Reverse(self.edge_counts(r).badness()), r));
        v
    }

    fn select(&mut self, i: usize) {
        self.selected = i;
        self.edge = None;
    }

    /// Moves to the next (or previous) node in reading order.
    pub fn step(&mut self, forward: bool) {
        let order = self.layout.reading_order();
        let Some(p) = order.iter().position(|&i| i == self.selected) else {
            return;
        };
        let n = order.len();
        let q = if forward {
            (p + 1) % n
        } else {
            (p + n - 1) % n
        };
        self.select(order[q]);
    }

    /// Moves to the nearest node in a direction (`dx`, `dy` in -1..=1, one of them 0).
    pub fn go(&mut self, dx: i64, dy: i64) {
        let Some(cur) = self.layout.boxes.get(self.selected) else {
            return;
        };
        let (cx, cy) = cur.center();
        let (cx, cy) = (cx as i64, cy as i64);
        let best = self
            .layout
            .boxes
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != self.selected)
            .filter_map(|(i, b)| {
                let (x, y) = b.center();
                let (ddx, ddy) = (x as i64 - cx, y as i64 - cy);
                let (along, across) = if dx != 0 {
                    (ddx * dx, ddy.abs())
                } else {
                    (ddy * dy, ddx.abs())
                };
                // Sideways distance weighs more, so a move stays in its lane.
                (along > 0).then_some((along + 3 * across, i))
            })
            .min();
        if let Some((_, i)) = best {
            self.select(i);
        }
    }

    /// Selects the next outgoing edge of the selected node; after the last, none.
    pub fn next_edge(&mut self) {
        let outs: Vec<usize> = (0..self.layout.edges.len())
            .filter(|&r| self.layout.edges[r].from == self.selected)
            .collect();
        self.edge = match self.edge.and_then(|e| outs.iter().position(|&r| r == e)) {
            None => outs.first().copied(),
            Some(p) => outs.get(p + 1).copied(),
        };
    }

    /// Selects the next node with faults, errors or throttles, worst first, wrapping.
    pub fn next_problem(&mut self) -> bool {
        let mut bad: Vec<usize> = (0..self.counts.len())
            .filter(|&i| {
                matches!(
                    self.counts[i].health(),
                    Health::Fault | Health::Error | Health::Throttle
                )
            })
            .collect();
        bad.sort_by_key(|&i| (std::cmp::Reverse(self.counts[i].badness()), i));
        let next = match bad.iter().position(|&i| i == self.selected) {
            Some(p) => bad.get((p + 1) % bad.len()).copied(),
            None => bad.first().copied(),
        };
        match next {
            Some(i) => {
                self.select(i);
                true
            }
            None => false,
        }
    }

    /// Scrolls so the selected node's box (and the selected edge's end) is inside a view of
    /// `w` × `h` cells, moving as little as possible.
    pub fn scroll_into_view(&mut self, (w, h): (usize, usize)) {
        let Some(b) = self.layout.boxes.get(self.selected) else {
            return;
        };
        let fit = |off: usize, start: usize, len: usize, view: usize| {
            if view == 0 {
                return start;
            }
            let mut o = off;
            if start + len > o + view {
                o = (start + len).saturating_sub(view);
            }
            if start < o {
                o = start;
            }
            o
        };
        // A margin of two cells left of the box shows the arrows entering it.
        let x0 = b.x.saturating_sub(2);
        self.offset = (
            fit(self.offset.0, x0, b.w + (b.x - x0), w),
            fit(self.offset.1, b.y, b.h, h),
        );
    }

    /// What Enter lists traces for: the selected edge, else the selected node.
    pub fn target(&self) -> Option<Target> {
        let key = |i: usize| {
            self.graph
                .services
                .get(i)
                .map(|s| (node_name(s), s.kind.clone().unwrap_or_default()))
        };
        match self.edge.and_then(|e| self.layout.edges.get(e)) {
            Some(r) => Some(Target::Edge(key(r.from)?, key(r.to)?)),
            None => key(self.selected).map(|(n, k)| Target::Service(n, k)),
        }
    }
}

impl Target {
    /// How the list header names the filter.
    pub fn label(&self) -> String {
        match self {
            Target::Service(n, _) => format!("service({n:?})"),
            Target::Edge((a, _), (b, _)) => format!("edge({a:?}, {b:?})"),
        }
    }

    /// Whether a trace goes through this node or edge. Clients stand for the callers of the
    /// trace's entry service.
    pub fn matches(&self, trace: &Trace) -> bool {
        let mut keys = ServiceKeys::new();
        let f = Fragment::of(trace, &mut keys);
        self.matches_fragment(&f, &keys)
    }

    /// The same, from the trace's graph fragment (nothing to assemble).
    pub fn matches_fragment(&self, f: &Fragment, keys: &ServiceKeys) -> bool {
        let root = f.root().map(|r| keys.get(r.key));
        let is = |k: &service::ServiceKey, (n, t): &(String, String)| &k.name == n && &k.kind == t;
        match self {
            Target::Service(n, t) if t == "client" => root.is_some_and(|r| &r.name == n),
            Target::Service(n, t) => f.nodes().any(|x| {
                let k = keys.get(x.key);
                &k.name == n && &k.kind == t
            }),
            Target::Edge((a, ta), to) if ta == "client" => {
                root.is_some_and(|r| &r.name == a && is(r, to))
            }
            Target::Edge(from, to) => f
                .edges()
                .any(|(a, b)| is(keys.get(a), from) && is(keys.get(b), to)),
        }
    }

    /// The traces of `data` through this node or edge. Summaries loaded without their documents
    /// match a node by their service IDs.
    pub fn traces(&self, data: &Dataset) -> TraceSet {
        let keys = data.traces.keys();
        let mut ids: HashSet<String> = (0..data.traces.len())
            .filter(|&i| {
                data.traces
                    .fragment(i)
                    .is_some_and(|f| self.matches_fragment(f, keys))
            })
            .filter_map(|i| data.traces.id(i).map(str::to_owned))
            .collect();
        let loaded: HashSet<&str> = data.traces.ids().collect();
        if let Target::Service(n, _) = self {
            for s in data.rows.iter().filter(|s| !loaded.contains(&*s.id)) {
                if s.services.iter().any(|x| **x == **n) {
                    ids.insert(s.id.to_string());
                }
            }
        }
        TraceSet {
            label: self.label(),
            ids,
        }
    }
}

impl App {
    /// What narrows the trace list (expression, quick filter, map selection), as the map
    /// header says it; `None` when the list shows every trace.
    pub fn list_filter_label(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(e) = self.list.expr_text() {
            parts.push(e);
        }
        if self.list.filter != super::list::QuickFilter::All {
            parts.push(self.list.filter.label().to_owned());
        }
        if let Some(o) = &self.list.only {
            parts.push(o.label.clone());
        }
        (!parts.is_empty()).then(|| parts.join(" AND "))
    }

    /// The graph the service map shows, the list filter it reflects, and what it is drawn
    /// from: with no trace documents the first graph read from a file (or given by the
    /// service); while the list is filtered, the graph of the matching traces; a live source's
    /// graph as its source computed it (off the UI thread); else the graph of every loaded
    /// trace. Traces listed from their summaries alone have no documents to draw: the basis
    /// counts them.
    pub(super) fn map_graph(&self) -> Option<(ServiceGraph, Option<String>, Basis)> {
        let data = self.data.as_ref()?;
        let filter = self.list_filter_label();
        let caps = self.caps();
        let given = if caps.traces_on_demand {
            Basis::ServiceGraph
        } else {
            Basis::GraphFile
        };
        let all = Basis::Traces {
            drawn: data.traces.len(),
            listed: data.rows.len().max(data.traces.len()),
        };
        Some(if data.traces.is_empty() {
            (
                data.graphs.first().cloned().unwrap_or_default(),
                None,
                given,
            )
        } else if filter.is_some() {
            let shown: Vec<usize> = self
                .list
                .visible
                .iter()
                .filter_map(|&i| data.rows.get(i))
                .filter_map(|s| data.traces.position(&s.id))
                .collect();
            let basis = Basis::Traces {
                drawn: shown.len(),
                listed: self.list.visible.len(),
            };
            (data.traces.graph(shown), filter, basis)
        } else if let (true, Some(g)) = (caps.live, data.graphs.first()) {
            let basis = if caps.traces_on_demand { given } else { all };
            (g.clone(), None, basis)
        } else {
            (data.traces.graph_of_all(), None, all)
        })
    }

    /// Opens the map of the traces the list shows: every loaded trace, or, while the list is
    /// filtered, the matching ones (with no trace documents, the first graph read from a file).
    pub(super) fn open_map(&mut self) {
        let Some((graph, filter, basis)) = self.map_graph() else {
            return;
        };
        if graph.services.is_empty() {
            let left_out = match basis.left_out() {
                0 => String::new(),
                n => format!(
                    " ({} without documents)",
                    crate::model::format::count(n, "summary", "summaries")
                ),
            };
            self.message = Some(match &filter {
                Some(f) => format!("no services to map in the traces matching {f}{left_out}"),
                None => format!("no services to map{left_out}"),
            });
            return;
        }
        let mut m = MapState::new(graph, None, self.map_view);
        m.filter = filter;
        m.basis = basis;
        m.arrange(self.size);
        self.map = Some(m);
        self.mode = Mode::Map;
        self.message = None;
    }

    /// Opens the map of the trace in the trace view.
    pub(super) fn open_trace_map(&mut self) {
        let Some(v) = self.view.as_ref() else {
            return;
        };
        let graph = with_links(crate::engine::service_graph([&*v.trace]), &v.trace);
        if graph.services.is_empty() {
            self.message = Some("no services to map in this trace".into());
            return;
        }
        let id = v.trace.id.clone();
        let mut m = MapState::new(graph, Some(id.clone()), self.map_view);
        m.arrange(self.size);
        self.map = Some(m);
        self.mode = Mode::Map;
        // A source with its own map of the trace (AWS): it replaces the local one when it comes.
        if self.caps().trace_graph {
            self.pending
                .push(super::Cmd::Source(crate::source::Request::TraceGraph(id)));
        }
    }

    /// Handles a key on the map.
    pub(super) fn map_action(&mut self, action: Action) {
        let Some(m) = self.map.as_mut() else {
            self.mode = Mode::List;
            return;
        };
        match action {
            Action::Back => {
                self.mode = if m.trace_id.is_some() && self.view.is_some() {
                    Mode::Trace
                } else {
                    Mode::List
                };
                self.map = None;
                return;
            }
            Action::Up => m.go(0, -1),
            Action::Down => m.go(0, 1),
            Action::Left => m.go(-1, 0),
            Action::Right => m.go(1, 0),
            Action::NextTab => m.step(true),
            Action::PrevTab => m.step(false),
            Action::NextEdge => m.next_edge(),
            Action::Top => m.home(),
            Action::Fit => {
                m.view.fit = !m.view.fit;
                self.map_view.fit = m.view.fit;
                let fit = m.view.fit;
                m.arrange(self.size);
                self.toast_info(if fit {
                    "map fitted to the screen"
                } else {
                    "map at full size"
                });
                return;
            }
            Action::Panel => {
                m.view.panel = !m.view.panel;
                self.map_view.panel = m.view.panel;
            }
            Action::NextProblem if !m.next_problem() => {
                self.message = Some("no node with faults, errors or throttles".into());
            }
            Action::Open
                if m.edge.is_none()
                    && m.node()
                        .is_some_and(|s| s.kind.as_deref() == Some(LINKED_TRACE)) =>
            {
                let Some(id) = m.node().and_then(|s| s.names.first().cloned()) else {
                    return;
                };
                let loaded = self.data.as_ref().and_then(|d| d.resolve_id(&id));
                if loaded.is_none() && !self.caps().traces_on_demand {
                    self.toast_error(format!("linked trace {id} is not loaded"));
                    return;
                }
                self.map = None;
                self.open_trace(&id);
                return;
            }
            Action::Open => {
                let (Some(t), Some(data)) = (m.target(), self.data.as_ref()) else {
                    return;
                };
                let set = t.traces(data);
                self.list.only = Some(set);
                self.list.rebuild(&data.rows);
                self.list.selected = 0;
                self.list.offset = 0;
                self.map = None;
                self.view = None;
                self.mode = Mode::List;
                return;
            }
            _ => {}
        }
        if let Some(m) = self.map.as_mut() {
            m.arrange(self.size);
        }
    }
}
