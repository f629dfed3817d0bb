//! Large-trace tools over the waterfall's rows (issue #18): folding runs of same-name siblings
//! into one `×N` row, folding each service (segment) to one row, clipping rows to a zoomed time
//! window, and the trace's density for the overview strip.
//!
//! Every function here is one pass over the rows (or the nodes), without recursion, so a trace
//! of 100,000 entities is answered in milliseconds.

use std::collections::HashSet;

use crate::engine::waterfall::{Row, Status};
use crate::model::{NodeId, NodeKind, Trace};

/// Runs shorter than this stay as they are (a pair of calls reads fine as two rows).
pub const RUN_MIN: usize = 3;

/// A run of consecutive same-name siblings shown as one row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Run {
    /// How many siblings it stands for.
    pub count: usize,
    /// The sum of their durations (seconds; in-progress members count to the end of the trace).
    pub total: f64,
}

/// For each row, the index of the first row after it that is not its descendant (the next
/// sibling, or whatever follows the subtree): one pass with a stack.
fn subtree_ends(rows: &[Row]) -> Vec<usize> {
    let n = rows.len();
    let mut end = vec![n; n];
    let mut open: Vec<usize> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        while let Some(&top) = open.last() {
            if rows[top].depth >= r.depth {
                end[top] = i;
                open.pop();
            } else {
                break;
            }
        }
        open.push(i);
    }
    end
}

fn same_run(trace: &Trace, a: &Row, b: &Row) -> bool {
    let (Some(x), Some(y)) = (trace.nodes.get(a.node), trace.nodes.get(b.node)) else {
        return false;
    };
    a.depth == b.depth && x.parent == y.parent && x.doc.name == y.doc.name
}

/// Folds each run of at least `min` consecutive siblings with the same name into one row
/// standing for all of them (with their descendants): the first member's node, a bar from the
/// first start to the last end (its duration is that span; `None` if a member is still in
/// progress), the worst status of the members, and [`Row::run`] with the count and the total
/// of their durations. A run whose first member is in `open` stays expanded. `span` is the
/// trace's length, where in-progress members end.
pub fn fold_runs(
    trace: &Trace,
    rows: Vec<Row>,
    min: usize,
    open: &HashSet<NodeId>,
    span: f64,
) -> Vec<Row> {
    let min = min.max(2);
    let ends = subtree_ends(&rows);
    let mut out = Vec::with_capacity(rows.len());
    // The later members of open runs: they start no run of their own.
    let mut in_open: HashSet<usize> = HashSet::new();
    let mut i = 0;
    while i < rows.len() {
        let first = &rows[i];
        if in_open.contains(&i) {
            out.push(first.clone());
            i += 1;
            continue;
        }
        // The members: i, then each next sibling with the same name.
        let mut count = 1;
        let mut j = ends[i];
        while j < rows.len() && same_run(trace, first, &rows[j]) {
            count += 1;
            j = ends[j];
        }
        if count >= min && open.contains(&first.node) {
            let mut m = ends[i];
            while m < j {
                in_open.insert(m);
                m = ends[m];
            }
        }
        if count < min || open.contains(&first.node) {
            out.push(first.clone());
            i += 1;
            continue;
        }
        let mut total = 0.0;
        let mut last_end = first.offset;
        let mut status = Status::Ok;
        let mut in_progress = false;
        let mut skew = None;
        let mut m = i;
        while m < j {
            let r = &rows[m];
            let d = r.duration.unwrap_or_else(|| (span - r.offset).max(0.0));
            in_progress |= r.duration.is_none();
            total += d;
            last_end = last_end.max(r.offset + d);
            status = status.max(r.status);
            skew = skew.or(r.skew);
            m = ends[m];
        }
        out.push(Row {
            duration: (!in_progress).then_some((last_end - first.offset).max(0.0)),
            status,
            has_children: true,
            collapsed: true,
            skew,
            run: Some(Run { count, total }),
            ..first.clone()
        });
        i = j;
    }
    out
}

/// Folds every service to one row: only segment rows stay (and orphaned subsegments, which
/// belong to none), indented by how many shown rows they hang under; the subsegments of the
/// segments in `open` show too. A segment row with children is marked collapsed unless open.
pub fn fold_services(trace: &Trace, rows: Vec<Row>, open: &HashSet<NodeId>) -> Vec<Row> {
    let mut out = Vec::with_capacity(rows.len().min(1024));
    // The original depths of the shown rows this one may hang under.
    let mut shown: Vec<u32> = Vec::new();
    for mut r in rows {
        let Some(node) = trace.nodes.get(r.node) else {
            continue;
        };
        let keep = node.kind == NodeKind::Segment || node.segment.is_none_or(|s| open.contains(&s));
        if !keep {
            continue;
        }
        while shown.last().is_some_and(|&d| d >= r.depth) {
            shown.pop();
        }
        let depth = r.depth;
        r.depth = u32::try_from(shown.len()).unwrap_or(u32::MAX);
        shown.push(depth);
        if node.kind == NodeKind::Segment && r.run.is_none() {
            let subs = node.children.iter().any(|&c| {
                trace
                    .nodes
                    .get(c)
                    .is_some_and(|x| x.kind == NodeKind::Subsegment)
            });
            if subs && !open.contains(&r.node) {
                r.has_children = true;
                r.collapsed = true;
            }
        }
        out.push(r);
    }
    out
}

/// A row's place in a zoomed window `[lo, hi]` (seconds from the trace's start): its offset and
/// duration inside the window (from the window's start), and whether it was cut on the left or
/// the right; a row wholly outside is `Before` or `After`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Clip {
    /// Inside the window, at least in part.
    Inside {
        /// Seconds from the window's start.
        offset: f64,
        /// Seconds inside the window (`None`: in progress, open to the window's end).
        duration: Option<f64>,
        /// It started before the window.
        cut_left: bool,
        /// It ends after the window.
        cut_right: bool,
    },
    /// It ended before the window.
    Before,
    /// It starts after the window.
    After,
}

/// Where `[offset, offset + duration]` falls in the window `[lo, hi]`; an in-progress row
/// (`duration` unknown) runs past the window's end.
pub fn clip(offset: f64, duration: Option<f64>, lo: f64, hi: f64) -> Clip {
    let end = duration.map_or(f64::INFINITY, |d| offset + d.max(0.0));
    if offset > hi {
        return Clip::After;
    }
    if end < lo {
        return Clip::Before;
    }
    let start = offset.max(lo);
    let cut_right = end > hi;
    Clip::Inside {
        offset: start - lo,
        duration: duration.map(|_| (end.min(hi) - start).max(0.0)),
        cut_left: offset < lo,
        cut_right,
    }
}

/// The window `[lo, hi]` (seconds from the trace's start) the rows `a..=b` cover (either
/// order): the earliest start to the latest end, in-progress rows ending at `span`. `None` for
/// an empty range or a window of no length.
pub fn window_of_rows(rows: &[Row], a: usize, b: usize, span: f64) -> Option<(f64, f64)> {
    let (a, b) = (a.min(b), a.max(b));
    let part = rows.get(a..=b.min(rows.len().checked_sub(1)?))?;
    let lo = part.iter().map(|r| r.offset).reduce(f64::min)?;
    let hi = part
        .iter()
        .map(|r| r.duration.map_or(span, |d| r.offset + d))
        .reduce(f64::max)?;
    (hi > lo).then_some((lo, hi))
}

/// How many bins [`density`] divides a trace into.
pub const DENSITY_BINS: usize = 512;

/// How many entities run in each of `bins` equal slices of the trace (`intervals` are the
/// nodes' `[start, end]` from the trace's start, `span` its length): a difference array, one
/// pass over the entities and one over the bins.
pub fn density(intervals: &[(f64, f64)], span: f64, bins: usize) -> Vec<u32> {
    let mut diff = vec![0i64; bins + 1];
    if bins == 0 {
        return Vec::new();
    }
    let scale = if span > 0.0 { bins as f64 / span } else { 0.0 };
    let bin = |t: f64| {
        let b = (t * scale).floor();
        if b.is_finite() && b > 0.0 {
            (b as usize).min(bins - 1)
        } else {
            0
        }
    };
    for &(s, e) in intervals {
        let (a, b) = (bin(s), bin(e));
        diff[a] += 1;
        diff[b.max(a) + 1] -= 1;
    }
    let mut out = Vec::with_capacity(bins);
    let mut at = 0i64;
    for d in &diff[..bins] {
        at += d;
        out.push(u32::try_from(at.max(0)).unwrap_or(u32::MAX));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::assemble;
    use crate::engine::waterfall::rows;
    use crate::model::Segment;
    use serde_json::json;

    fn trace(docs: serde_json::Value) -> Trace {
        let docs: Vec<Segment> = serde_json::from_value(docs).expect("valid test documents");
        assemble("1-5f2aebcc-b475d14618c51eaa28753d37", docs)
    }

    fn sub(id: &str, name: &str, start: f64, end: f64) -> serde_json::Value {
        json!({"id": id, "name": name, "start_time": start, "end_time": end})
    }

    /// api [0, 10]: q1 q2 q3 (three `query`, q2 with a child), then `cache`, then two `put`,
    /// then four `query` again (the second with a fault).
    fn runs_trace() -> Trace {
        let mut q2 = sub("q2", "query", 101.0, 102.0);
        q2["subsegments"] = json!([sub("q2a", "inner", 101.2, 101.4)]);
        let mut late2 = sub("r2", "query", 106.0, 106.5);
        late2["fault"] = json!(true);
        trace(json!([{
            "id": "a", "name": "api", "trace_id": "t", "start_time": 100.0, "end_time": 110.0,
            "subsegments": [
                sub("q1", "query", 100.0, 100.5),
                q2,
                sub("q3", "query", 102.0, 103.0),
                sub("c", "cache", 103.0, 103.25),
                sub("p1", "put", 104.0, 104.5),
                sub("p2", "put", 104.5, 105.0),
                sub("r1", "query", 105.0, 105.5),
                late2,
                sub("r3", "query", 107.0, 108.0),
                sub("r4", "query", 108.0, 109.0)
            ]
        }]))
    }

    fn ids(t: &Trace, rows: &[Row]) -> Vec<String> {
        rows.iter()
            .map(|r| match r.run {
                Some(run) => format!("{}×{}", t.nodes[r.node].doc.id, run.count),
                None => t.nodes[r.node].doc.id.clone(),
            })
            .collect()
    }

    #[test]
    fn runs_of_three_or_more_fold_with_their_span_and_total() {
        let t = runs_trace();
        let all = rows(&t, &HashSet::new());
        let folded = fold_runs(&t, all, RUN_MIN, &HashSet::new(), 10.0);
        // The pair of `put` stays; q2's child folds away with its run.
        assert_eq!(ids(&t, &folded), ["a", "q1×3", "c", "p1", "p2", "r1×4"]);
        let q = &folded[1];
        let run = q.run.expect("a run");
        // Span 100.0..103.0; total 0.5 + 1.0 + 1.0.
        assert!((q.offset - 0.0).abs() < 1e-9);
        assert!((q.duration.expect("finished") - 3.0).abs() < 1e-9);
        assert!((run.total - 2.5).abs() < 1e-9);
        assert!(q.collapsed && q.has_children);
        assert_eq!(q.status, Status::Ok);
        let r = &folded[5];
        let run = r.run.expect("a run");
        // 105.0..109.0; 0.5 + 0.5 + 1.0 + 1.0; the fault of r2 shows on the run.
        assert!((r.offset - 5.0).abs() < 1e-9);
        assert!((r.duration.expect("finished") - 4.0).abs() < 1e-9);
        assert!((run.total - 3.0).abs() < 1e-9);
        assert_eq!(run.count, 4);
        assert_eq!(r.status, Status::Fault);
    }

    #[test]
    fn an_open_run_shows_its_members_and_pairs_fold_when_asked() {
        let t = runs_trace();
        let q1 = t.nodes.iter().position(|n| n.doc.id == "q1").expect("q1");
        let open: HashSet<NodeId> = [q1].into();
        let folded = fold_runs(&t, rows(&t, &HashSet::new()), RUN_MIN, &open, 10.0);
        assert_eq!(
            ids(&t, &folded),
            ["a", "q1", "q2", "q2a", "q3", "c", "p1", "p2", "r1×4"]
        );
        let pairs = fold_runs(&t, rows(&t, &HashSet::new()), 2, &HashSet::new(), 10.0);
        assert_eq!(ids(&t, &pairs), ["a", "q1×3", "c", "p1×2", "r1×4"]);
    }

    #[test]
    fn services_fold_to_their_segments() {
        let t = trace(json!([
            {"id":"a","name":"api","trace_id":"t","start_time":1.0,"end_time":2.0,
             "subsegments":[
                {"id":"c","name":"orders","namespace":"remote","start_time":1.1,"end_time":1.5},
                {"id":"x","name":"local","start_time":1.1,"end_time":1.2}]},
            {"id":"b","name":"orders","trace_id":"t","parent_id":"c","start_time":1.2,"end_time":1.4,
             "subsegments":[{"id":"y","name":"db","start_time":1.25,"end_time":1.3}]}
        ]));
        let all = rows(&t, &HashSet::new());
        let folded = fold_services(&t, all.clone(), &HashSet::new());
        assert_eq!(ids(&t, &folded), ["a", "b"]);
        assert_eq!(
            folded[1].depth, 1,
            "b hangs under a, the call between them hidden"
        );
        assert!(folded.iter().all(|r| r.collapsed && r.has_children));
        let b = t.nodes.iter().position(|n| n.doc.id == "b").expect("b");
        let open: HashSet<NodeId> = [b].into();
        let opened = fold_services(&t, all, &open);
        assert_eq!(ids(&t, &opened), ["a", "b", "y"]);
        assert_eq!(
            opened.iter().map(|r| r.depth).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        assert!(!opened[1].collapsed);
    }

    #[test]
    fn clipping_to_a_window() {
        // Window [2, 4].
        assert_eq!(clip(0.0, Some(1.0), 2.0, 4.0), Clip::Before);
        assert_eq!(clip(5.0, Some(1.0), 2.0, 4.0), Clip::After);
        assert_eq!(
            clip(1.0, Some(2.0), 2.0, 4.0),
            Clip::Inside {
                offset: 0.0,
                duration: Some(1.0),
                cut_left: true,
                cut_right: false
            }
        );
        assert_eq!(
            clip(3.0, Some(3.0), 2.0, 4.0),
            Clip::Inside {
                offset: 1.0,
                duration: Some(1.0),
                cut_left: false,
                cut_right: true
            }
        );
        assert_eq!(
            clip(1.0, Some(9.0), 2.0, 4.0),
            Clip::Inside {
                offset: 0.0,
                duration: Some(2.0),
                cut_left: true,
                cut_right: true
            }
        );
        assert_eq!(
            clip(3.0, None, 2.0, 4.0),
            Clip::Inside {
                offset: 1.0,
                duration: None,
                cut_left: false,
                cut_right: true
            }
        );
    }

    #[test]
    fn the_window_of_selected_rows() {
        let t = runs_trace();
        let all = rows(&t, &HashSet::new());
        // q3 (102..103) back to q2 (101..102) and its child: 1.0..3.0.
        let q3 = all
            .iter()
            .position(|r| t.nodes[r.node].doc.id == "q3")
            .expect("q3");
        let q2 = all
            .iter()
            .position(|r| t.nodes[r.node].doc.id == "q2")
            .expect("q2");
        assert_eq!(window_of_rows(&all, q3, q2, 10.0), Some((1.0, 3.0)));
        assert_eq!(window_of_rows(&all, 99, 100, 10.0), None);
        // One zero-length row has no window.
        let c = all
            .iter()
            .position(|r| t.nodes[r.node].doc.id == "c")
            .expect("c");
        assert!(window_of_rows(&all, c, c, 10.0).is_some());
    }

    #[test]
    fn density_counts_running_entities() {
        // Span 4 in 4 bins: [0,4] everywhere, [1,2] in bins 1 and 2, [3,3] in bin 3.
        let d = density(&[(0.0, 4.0), (1.0, 2.0), (3.0, 3.0)], 4.0, 4);
        assert_eq!(d, [1, 2, 2, 2]);
        assert!(density(&[], 0.0, 0).is_empty());
        assert_eq!(density(&[(0.0, 0.0)], 0.0, 2), [1, 0]);
    }
}
