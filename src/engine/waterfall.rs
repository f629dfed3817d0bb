//! Waterfall rows for one trace: the timeline the trace view draws, as plain data.
//!
//! Rows are depth-first (children by start time), with offsets from the trace start. Clock
//! skew: a segment runs on another host, so its clock can disagree with its caller's; when a
//! child segment starts before, or ends after, the call it hangs under, it is shifted into the
//! caller's window (as far as its length allows) and the row records the shift. Subsegments share
//! their segment's clock and are never shifted. In-progress rows have no duration: they are open
//! to the end of the trace.

use std::collections::HashSet;

use crate::engine::service;
use crate::model::format::{truncate, url_path, width};
use crate::model::{NodeId, NodeKind, Trace};

/// How an entity ended (the segment's [`Outcome`](crate::model::segment::Outcome)).
pub use crate::model::segment::Outcome as Status;

/// One line of the waterfall.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The entity.
    pub node: NodeId,
    /// Indentation level.
    pub depth: u32,
    /// Seconds from the trace start to the (skew-corrected) start.
    pub offset: f64,
    /// Seconds; `None` while in progress (the bar runs to the end of the trace).
    pub duration: Option<f64>,
    /// How it ended.
    pub status: Status,
    /// The service it belongs to (its segment's name); empty for orphans. Shared by the rows
    /// of one segment.
    pub service: std::sync::Arc<str>,
    /// Segment or subsegment.
    pub kind: NodeKind,
    /// It has children.
    pub has_children: bool,
    /// Its children are hidden.
    pub collapsed: bool,
    /// Seconds it was shifted to fit its caller (clock skew), if any.
    pub skew: Option<f64>,
    /// A subsegment whose parent never arrived.
    pub orphan: bool,
    /// A run of same-name siblings this row stands for (`name ×N`), if folded
    /// ([`fold_runs`](crate::engine::fold::fold_runs)).
    pub run: Option<crate::engine::fold::Run>,
}

/// The cells of a timeline a row's bar covers: `[start, end)`, and whether it is open-ended
/// (in progress: it runs to the end of the timeline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarCells {
    /// First cell covered.
    pub start: usize,
    /// One past the last cell covered.
    pub end: usize,
    /// The entity is still in progress.
    pub open: bool,
}

impl BarCells {
    /// Whether cell `i` is part of the bar.
    pub fn covers(self, i: usize) -> bool {
        (self.start..self.end).contains(&i)
    }
}

/// Where the bar of `[offset, offset + duration]` falls on a timeline of `width` cells for a
/// `span`-second trace: the one geometry the app's waterfall and the text report share. A bar
/// is at least one cell wide and never starts past the last cell; an in-progress entity
/// (`duration` unknown) runs to the end; times that are not finite count as 0.
pub fn bar_cells(offset: f64, duration: Option<f64>, span: f64, width: usize) -> BarCells {
    let scale = if span > 0.0 { width as f64 / span } else { 0.0 };
    let cell = |t: f64, round: fn(f64) -> f64| {
        let c = round(t * scale);
        if c.is_finite() && c > 0.0 {
            c as usize
        } else {
            0
        }
    };
    let start = cell(offset, f64::floor)
        .min(width)
        .min(width.saturating_sub(1));
    match duration {
        Some(d) => BarCells {
            start,
            end: cell(offset + d, f64::ceil).clamp(start + 1, width.max(start + 1)),
            open: false,
        },
        None => BarCells {
            start,
            end: width,
            open: true,
        },
    }
}

/// Skew-corrected start and shift of every node.
struct Corrected {
    start: Vec<f64>,
    skew: Vec<Option<f64>>,
}

fn correct(trace: &Trace) -> Corrected {
    let n = trace.nodes.len();
    let mut c = Corrected {
        start: vec![0.0; n],
        skew: vec![None; n],
    };
    let mut shift = vec![0.0; n];
    // Nodes are in depth-first order: parents come before their children.
    for (id, node) in trace.nodes.iter().enumerate() {
        let doc = &node.doc;
        let inherited = node.parent.map_or(0.0, |p| shift[p]);
        let mut start = doc.start_time + inherited;
        let mut own = inherited;
        if let (NodeKind::Segment, Some(p)) = (node.kind, node.parent) {
            let ps = c.start[p];
            let pe = trace.nodes[p]
                .doc
                .duration()
                .map_or(f64::INFINITY, |d| ps + d.max(0.0));
            let len = doc.duration().unwrap_or(0.0).max(0.0);
            let fix = if start < ps {
                ps - start
            } else if start + len > pe {
                -(start + len - pe).min(start - ps)
            } else {
                0.0
            };
            if fix != 0.0 {
                start += fix;
                own += fix;
                c.skew[id] = Some(fix);
            }
        }
        c.start[id] = start;
        shift[id] = own;
    }
    c
}

/// Each node's `[start, end]` in seconds from the trace's start, after skew correction; an
/// in-progress node runs to the end of the trace (as its bar does).
pub fn intervals(trace: &Trace) -> Vec<(f64, f64)> {
    let c = correct(trace);
    let (t0, span) = window_of(trace, &c);
    trace
        .nodes
        .iter()
        .zip(&c.start)
        .map(|(n, &s)| {
            let start = s - t0;
            let end = n.doc.duration().map_or(span, |d| start + d.max(0.0));
            (start, end.max(start))
        })
        .collect()
}

/// The trace's time window after skew correction: `(start, length)`, length never negative.
pub fn window(trace: &Trace) -> (f64, f64) {
    window_of(trace, &correct(trace))
}

/// The trace's duration for a header: [`Trace::duration`], the figure the list shows, and
/// when correcting clock skew made the timeline (`window`, its length in seconds) another
/// length, that one too: `317ms (232ms skew-corrected)`.
pub fn duration_label(trace: &Trace, window: f64) -> String {
    use crate::model::time::format_duration;
    let drawn = format_duration(window);
    match trace.duration().map(format_duration) {
        Some(d) if d != drawn => format!("{d} ({drawn} skew-corrected)"),
        _ => drawn,
    }
}

fn window_of(trace: &Trace, c: &Corrected) -> (f64, f64) {
    let start = c.start.iter().copied().reduce(f64::min).unwrap_or(0.0);
    let end = trace
        .nodes
        .iter()
        .zip(&c.start)
        .map(|(n, s)| s + n.doc.duration().unwrap_or(0.0).max(0.0))
        .reduce(f64::max)
        .unwrap_or(start);
    (start, (end - start).max(0.0))
}

/// What a subsegment called, shown after its name so that two calls of one name can be told
/// apart: the AWS operation, then the SQL query or the HTTP method and URL (`None` for
/// segments and for calls that record none of these). Long parts are cut (`…`).
pub fn call(trace: &Trace, node: NodeId) -> Option<String> {
    let c = call_parts(trace, node)?;
    let mut parts: Vec<String> = Vec::new();
    parts.extend(c.operation.map(str::to_owned));
    if let Some(q) = c.sql {
        parts.push(truncate(q, SQL_CELLS));
    } else {
        let call = [c.method, c.url]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        if !call.is_empty() {
            parts.push(truncate(&call, HTTP_CELLS));
        }
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// The cells [`call`] takes, worked out without building it (0 without one): the trace view
/// sizes its name column by it on every entity.
pub fn call_width(trace: &Trace, node: NodeId) -> usize {
    let Some(c) = call_parts(trace, node) else {
        return 0;
    };
    let op = c.operation.map_or(0, width);
    let rest = match c.sql {
        Some(q) => width(q).min(SQL_CELLS),
        None => {
            let (m, u) = (c.method.map_or(0, width), c.url.map_or(0, width));
            let both = usize::from(m > 0 && u > 0);
            (m + both + u).min(HTTP_CELLS)
        }
    };
    op + rest + if op > 0 && rest > 0 { 2 } else { 0 }
}

/// The most of a SQL query and of an HTTP call [`call`] shows.
const SQL_CELLS: usize = 40;
const HTTP_CELLS: usize = 48;

/// The borrowed pieces of what a subsegment called.
struct CallParts<'a> {
    operation: Option<&'a str>,
    sql: Option<&'a str>,
    method: Option<&'a str>,
    url: Option<&'a str>,
}

fn call_parts(trace: &Trace, node: NodeId) -> Option<CallParts<'_>> {
    let n = trace.nodes.get(node)?;
    if n.kind != NodeKind::Subsegment {
        return None;
    }
    let doc = &n.doc;
    let request = doc.http.as_ref().and_then(|h| h.request.as_ref());
    Some(CallParts {
        operation: doc.aws.as_ref().and_then(|a| a.operation.as_deref()),
        sql: doc.sql.as_ref().and_then(|s| s.sanitized_query.as_deref()),
        method: request.and_then(|m| m.method.as_deref()),
        // A call named after the host it called shows the path only.
        url: request
            .and_then(|m| m.url.as_deref())
            .map(|u| match url_host(u) {
                Some(host) if host == doc.name => url_path(u),
                _ => u,
            }),
    })
}

/// The host of an absolute URL (`http://host:port/...` gives `host`).
fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    Some(host.split(':').next().unwrap_or(host))
}

/// All rows, skipping the children of nodes in `collapsed`.
pub fn rows(trace: &Trace, collapsed: &HashSet<NodeId>) -> Vec<Row> {
    let c = correct(trace);
    let (t0, _) = window_of(trace, &c);
    let mut out = Vec::with_capacity(trace.nodes.len());
    // Service names per segment, computed once (most rows are subsegments of a few segments).
    let names: Vec<Option<std::sync::Arc<str>>> = trace
        .nodes
        .iter()
        .map(|n| (n.kind == NodeKind::Segment).then(|| service::of_segment(&n.doc).name.into()))
        .collect();
    let mut stack: Vec<NodeId> = trace.roots.iter().rev().copied().collect();
    while let Some(id) = stack.pop() {
        let node = &trace.nodes[id];
        let is_collapsed = collapsed.contains(&id) && !node.children.is_empty();
        out.push(Row {
            node: id,
            depth: node.depth,
            offset: c.start[id] - t0,
            duration: node.doc.duration().map(|d| d.max(0.0)),
            status: node.doc.outcome(),
            service: node
                .segment
                .and_then(|s| names[s].clone())
                .unwrap_or_default(),
            kind: node.kind,
            has_children: !node.children.is_empty(),
            collapsed: is_collapsed,
            skew: c.skew[id],
            orphan: node.is_orphan(),
            run: None,
        });
        if !is_collapsed {
            stack.extend(node.children.iter().rev());
        }
    }
    out
}

/// Every node with children: collapse them all to see only the roots.
pub fn all_collapsible(trace: &Trace) -> HashSet<NodeId> {
    (0..trace.nodes.len())
        .filter(|&i| !trace.nodes[i].children.is_empty())
        .collect()
}

/// Collapse every subsegment that has no segment below it, so the rows show the services a
/// request went through and the calls between them ("collapse to segments").
pub fn segments_only(trace: &Trace) -> HashSet<NodeId> {
    let mut has_segment_below = vec![false; trace.nodes.len()];
    // Nodes are in depth-first order, so children come after parents: walk backwards.
    for id in (0..trace.nodes.len()).rev() {
        let n = &trace.nodes[id];
        if n.children
            .iter()
            .any(|&c| has_segment_below[c] || trace.nodes[c].kind == NodeKind::Segment)
        {
            has_segment_below[id] = true;
        }
    }
    (0..trace.nodes.len())
        .filter(|&i| !trace.nodes[i].children.is_empty() && !has_segment_below[i])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_width_is_the_width_of_the_call() {
        let mut seen = 0;
        let mut traces = crate::engine::test_support::fixture_traces(
            "awsdocs-aws-xray-developer-guide/xray-api-gettingdata.md.block07.json",
        );
        traces.extend(crate::engine::test_support::fixture_traces(
            "aws-cli-examples/batch-traces-get.rst.output01.json",
        ));
        for t in traces {
            for id in 0..t.nodes.len() {
                let want = call(&t, id).map_or(0, |c| width(&c));
                assert_eq!(call_width(&t, id), want, "{:?}", call(&t, id));
                seen += usize::from(want > 0);
            }
        }
        assert!(seen > 0, "the fixtures have calls");
    }

    #[test]
    fn bars_cover_their_time_and_stay_on_the_timeline() {
        let b = |o, d, span, w| {
            let c = bar_cells(o, d, span, w);
            (c.start, c.end, c.open)
        };
        assert_eq!(b(0.0, Some(1.0), 1.0, 4), (0, 4, false));
        assert_eq!(b(0.5, Some(0.25), 1.0, 4), (2, 3, false));
        assert_eq!(b(0.5, None, 1.0, 4), (2, 4, true));
        // Zero span and zero duration: one cell at the start.
        assert_eq!(b(0.0, Some(0.0), 0.0, 3), (0, 1, false));
        // Past the end, negative or not finite: clamped, never empty.
        assert_eq!(b(2.0, Some(1.0), 1.0, 4), (3, 4, false));
        assert_eq!(b(-1.0, Some(f64::NAN), 1.0, 4), (0, 1, false));
        assert_eq!(b(f64::INFINITY, None, 1.0, 4), (0, 4, true));
    }
    use crate::engine::assemble;
    use crate::model::Segment;
    use proptest::prelude::*;
    use serde_json::json;

    fn trace(docs: serde_json::Value) -> Trace {
        let docs: Vec<Segment> = serde_json::from_value(docs).expect("valid test documents");
        assemble("1-5f2aebcc-b475d14618c51eaa28753d37", docs)
    }

    #[test]
    fn skewed_child_segment_is_clamped_and_marked() {
        let t = trace(json!([
            {"id":"a","name":"api","trace_id":"t","start_time":100.0,"end_time":101.0,
             "subsegments":[{"id":"c","name":"orders","namespace":"remote","start_time":100.2,"end_time":100.8}]},
            {"id":"b","name":"orders","trace_id":"t","parent_id":"c","start_time":99.9,"end_time":100.3,
             "subsegments":[{"id":"d","name":"work","start_time":99.95,"end_time":100.0}]}
        ]));
        let rows = rows(&t, &HashSet::new());
        let b = rows
            .iter()
            .find(|r| t.nodes[r.node].doc.id == "b")
            .expect("row");
        assert!((b.offset - 0.2).abs() < 1e-9, "shifted to the call's start");
        assert!(b.skew.is_some_and(|s| (s - 0.3).abs() < 1e-9));
        let d = rows
            .iter()
            .find(|r| t.nodes[r.node].doc.id == "d")
            .expect("row");
        assert!(
            (d.offset - 0.25).abs() < 1e-9,
            "descendants move with their segment"
        );
    }

    #[test]
    fn in_progress_is_open_ended_and_collapse_hides_children() {
        let t = trace(json!([
            {"id":"a","name":"api","trace_id":"t","start_time":1.0,"in_progress":true,
             "subsegments":[{"id":"c","name":"db","start_time":1.1,"end_time":1.2,"error":true}]}
        ]));
        let all = rows(&t, &HashSet::new());
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].duration, None);
        assert_eq!(all[1].status, Status::Error);
        let folded = rows(&t, &all_collapsible(&t));
        assert_eq!(folded.len(), 1);
        assert!(folded[0].collapsed);
    }

    #[test]
    fn segments_only_keeps_paths_to_child_segments() {
        let t = trace(json!([
            {"id":"a","name":"api","trace_id":"t","start_time":1.0,"end_time":2.0,
             "subsegments":[
                {"id":"c","name":"orders","namespace":"remote","start_time":1.1,"end_time":1.5},
                {"id":"x","name":"local","start_time":1.1,"end_time":1.2,
                  "subsegments":[{"id":"y","name":"inner","start_time":1.1,"end_time":1.15}]}]},
            {"id":"b","name":"orders","trace_id":"t","parent_id":"c","start_time":1.2,"end_time":1.4}
        ]));
        let visible: Vec<String> = rows(&t, &segments_only(&t))
            .iter()
            .map(|r| t.nodes[r.node].doc.id.clone())
            .collect();
        assert_eq!(visible, ["a", "c", "b", "x"]);
    }

    proptest! {
        /// Whatever the clocks say, every finished row fits in the trace window.
        #[test]
        fn rows_stay_inside_the_trace(
            spans in proptest::collection::vec((0.0f64..10.0, 0.0f64..5.0, 0usize..8), 1..12)
        ) {
            let mut docs = Vec::new();
            for (i, (start, len, parent)) in spans.iter().enumerate() {
                let mut d = json!({"id": format!("n{i}"), "name": format!("s{i}"), "trace_id":"t",
                    "start_time": start, "end_time": start + len});
                if i > 0 {
                    d["parent_id"] = json!(format!("n{}", parent % i));
                }
                docs.push(d);
            }
            let t = trace(serde_json::Value::Array(docs));
            let (_, len) = window(&t);
            let rows = rows(&t, &HashSet::new());
            prop_assert_eq!(rows.len(), t.nodes.len());
            for r in &rows {
                prop_assert!(r.offset >= -1e-9);
                prop_assert!(r.offset + r.duration.unwrap_or(0.0) <= len + 1e-9);
                // A child segment that fits in its caller is drawn inside it.
                if let Some(p) = t.nodes[r.node].parent {
                    let pr = rows.iter().find(|x| x.node == p).expect("parent row");
                    let (pd, d) = (pr.duration.unwrap_or(0.0), r.duration.unwrap_or(0.0));
                    if d <= pd {
                        prop_assert!(r.offset >= pr.offset - 1e-9);
                        prop_assert!(r.offset + d <= pr.offset + pd + 1e-9);
                    }
                }
            }
        }
    }
}
