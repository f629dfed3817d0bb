//! Inside one trace: the critical path, self time and per-service / per-operation statistics.
//!
//! A big trace hides the one entity that mattered among thousands. Three answers, each a pure
//! function of the assembled trace on the waterfall's clock-skew-corrected timeline:
//!
//! - **Self time**: an entity's duration minus the union of its children's intervals (clipped
//!   to its own): what it spent itself, with overlapping children counted once (a consumer
//!   under a queue or topic call is not part of the call).
//! - **Critical path**: the chain of entities that determined the end-to-end time. Walk back
//!   from the end of the entry segment: at each entity, the child that finished last before
//!   the entity resumed is on the path up to its end; then from that child's start, the next
//!   child that finished last before it, and so on; the time no child covers is the entity's
//!   own. Parallel children that finished earlier are off the path; asynchronous consumers (the
//!   segments under an SQS/SNS/Kinesis/EventBridge call, and work that starts after its caller
//!   ended) never delay the caller and are left out. In-progress entities run to the end of
//!   the trace, as their bars do.
//! - **Statistics**: per service and per operation (the AWS operation, the SQL query, the URL
//!   path, else the name): count, total, self time total, average, maximum, share of the trace.
//!
//! Nothing recurses in proportion to depth: the path is walked with an explicit stack, and
//! each entity's children are sorted once, so a 100,000-entity trace takes milliseconds.

use std::collections::BTreeMap;

use crate::engine::{service, waterfall};
use crate::model::format::{route, truncate};
use crate::model::{NodeId, NodeKind, Trace};

/// One stretch of the critical path: `node` was what the trace waited on from `start` to `end`
/// (seconds, on the corrected timeline, from the trace's start).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Section {
    /// The entity.
    pub node: NodeId,
    /// Seconds from the trace start.
    pub start: f64,
    /// Seconds from the trace start.
    pub end: f64,
}

/// One entity on the critical path, with the time the path spent in it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// The entity.
    pub node: NodeId,
    /// Its start and end, seconds from the trace start (corrected; in progress: the trace end).
    pub start: f64,
    /// See `start`.
    pub end: f64,
    /// The path's time in it: the sum of its sections.
    pub on_path: f64,
}

/// The critical path of a trace.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CriticalPath {
    /// The stretches in time order (consecutive stretches of one entity merged).
    pub sections: Vec<Section>,
    /// The entities on the path, in the order the path first reaches them.
    pub steps: Vec<Step>,
}

impl CriticalPath {
    /// Whether `node` is on the path.
    pub fn contains(&self, node: NodeId) -> bool {
        self.steps.iter().any(|s| s.node == node)
    }

    /// Every node on the path, as a lookup table for a trace of `len` nodes.
    pub fn mask(&self, len: usize) -> Vec<bool> {
        let mut m = vec![false; len];
        for s in &self.steps {
            if let Some(x) = m.get_mut(s.node) {
                *x = true;
            }
        }
        m
    }
}

/// Each node's `[start, end]`, seconds from the trace start, on the corrected timeline; an
/// in-progress node ends with the trace ([`waterfall::intervals`]).
pub fn intervals(trace: &Trace) -> Vec<(f64, f64)> {
    waterfall::intervals(trace)
}

/// The critical path and every node's self time, worked out on one timeline (what the trace
/// view needs when a trace opens).
pub fn analyse(trace: &Trace) -> (CriticalPath, Vec<f64>) {
    let iv = intervals(trace);
    (critical_path_of(trace, &iv), self_times_of(trace, &iv))
}

/// Self time of every node: its duration minus the union of its children's intervals clipped
/// to its own (asynchronous consumers under a queue or topic call aside).
pub fn self_times(trace: &Trace) -> Vec<f64> {
    let iv = intervals(trace);
    self_times_of(trace, &iv)
}

fn self_times_of(trace: &Trace, iv: &[(f64, f64)]) -> Vec<f64> {
    let mut out = Vec::with_capacity(trace.nodes.len());
    let mut kids: Vec<(f64, f64)> = Vec::new();
    for (id, node) in trace.nodes.iter().enumerate() {
        let (s, e) = iv[id];
        kids.clear();
        kids.extend(node.children.iter().filter_map(|&c| {
            // A consumer runs on its own time, not the call that sent it the message.
            if asynchronous(trace, id, c) {
                return None;
            }
            let (cs, ce) = iv[c];
            let (a, b) = (cs.max(s), ce.min(e));
            (b > a).then_some((a, b))
        }));
        kids.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut covered = 0.0;
        let mut run: Option<(f64, f64)> = None;
        for &(a, b) in &kids {
            run = match run {
                Some((ra, rb)) if a <= rb => Some((ra, rb.max(b))),
                Some((ra, rb)) => {
                    covered += rb - ra;
                    Some((a, b))
                }
                None => Some((a, b)),
            };
        }
        if let Some((ra, rb)) = run {
            covered += rb - ra;
        }
        out.push(((e - s) - covered).max(0.0));
    }
    out
}

/// Whether `child` runs on its own time, not its caller's: a consumer segment under a call to a
/// queue, topic or stream.
fn asynchronous(trace: &Trace, parent: NodeId, child: NodeId) -> bool {
    trace.nodes[child].kind == NodeKind::Segment
        && service::messaging_resource(&trace.nodes[parent].doc).is_some()
}

/// The entity the path starts from: the entry segment, else the root that ends last.
fn path_root(trace: &Trace, iv: &[(f64, f64)]) -> Option<NodeId> {
    trace.root_segment().or_else(|| {
        trace
            .roots
            .iter()
            .copied()
            .max_by(|&a, &b| iv[a].1.total_cmp(&iv[b].1))
    })
}

/// The critical path of `trace` (empty for a trace without entities).
pub fn critical_path(trace: &Trace) -> CriticalPath {
    critical_path_of(trace, &intervals(trace))
}

fn critical_path_of(trace: &Trace, iv: &[(f64, f64)]) -> CriticalPath {
    let Some(root) = path_root(trace, iv) else {
        return CriticalPath::default();
    };
    // Each visited node's synchronous children, latest end first (sorted once, when the walk
    // first reaches the node).
    let mut sorted: Vec<Option<Vec<NodeId>>> = vec![None; trace.nodes.len()];
    // (node, window start, cursor, next child index): the part of `node` from `lo` up to
    // `cursor` is still to walk back through.
    let mut stack: Vec<(NodeId, f64, f64, usize)> = vec![(root, iv[root].0, iv[root].1, 0)];
    let mut backwards: Vec<Section> = Vec::new();
    let mut emit = |node: NodeId, start: f64, end: f64| {
        if end > start {
            backwards.push(Section { node, start, end });
        }
    };
    while let Some((node, lo, cursor, at)) = stack.pop() {
        let kids = sorted[node].get_or_insert_with(|| {
            let mut k: Vec<NodeId> = trace.nodes[node]
                .children
                .iter()
                .copied()
                .filter(|&c| !asynchronous(trace, node, c))
                .collect();
            k.sort_by(|&a, &b| iv[b].1.total_cmp(&iv[a].1));
            k
        });
        // The child that finished last before `cursor`, among those started before it.
        let mut i = at;
        let next = loop {
            let Some(&c) = kids.get(i) else {
                break None;
            };
            i += 1;
            let (cs, ce) = iv[c];
            if ce <= lo {
                // Sorted by end: every later child ended before the window too.
                break None;
            }
            if cs < cursor {
                break Some(c);
            }
        };
        match next {
            Some(c) => {
                let (cs, ce) = iv[c];
                let child_end = ce.min(cursor);
                let child_start = cs.max(lo);
                emit(node, child_end, cursor);
                // Back in `node` before the child started, after the child's own part.
                stack.push((node, lo, child_start, i));
                stack.push((c, child_start, child_end, 0));
            }
            None => emit(node, lo, cursor),
        }
    }
    backwards.reverse();
    let mut sections: Vec<Section> = Vec::with_capacity(backwards.len());
    for s in backwards {
        match sections.last_mut() {
            Some(last) if last.node == s.node && (last.end - s.start).abs() < 1e-12 => {
                last.end = s.end
            }
            _ => sections.push(s),
        }
    }
    let mut steps: Vec<Step> = Vec::new();
    let mut index: Vec<Option<usize>> = vec![None; trace.nodes.len()];
    for s in &sections {
        let i = *index[s.node].get_or_insert_with(|| {
            steps.push(Step {
                node: s.node,
                start: iv[s.node].0,
                end: iv[s.node].1,
                on_path: 0.0,
            });
            steps.len() - 1
        });
        steps[i].on_path += s.end - s.start;
    }
    CriticalPath { sections, steps }
}

/// One row of a trace's statistics.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StatRow {
    /// The service (its segment's name).
    pub service: String,
    /// The operation (empty in the per-service table).
    pub operation: String,
    /// Entities counted.
    pub count: usize,
    /// Their durations added up (seconds).
    pub total: f64,
    /// Their self times added up (seconds).
    pub self_total: f64,
    /// The longest (seconds).
    pub max: f64,
    /// `self_total` as a share of the trace's length (0 to 1).
    pub share: f64,
}

impl StatRow {
    /// The average duration (seconds).
    pub fn avg(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.total / self.count as f64
        }
    }
}

/// Statistics of one trace, largest self time first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TraceStats {
    /// The trace's length (seconds).
    pub length: f64,
    /// Per service.
    pub services: Vec<StatRow>,
    /// Per service and operation.
    pub operations: Vec<StatRow>,
}

/// What an entity did, for the statistics: the AWS operation, the SQL query, the URL's route
/// ([`route`]: ids read `{id}`), else its name.
pub fn operation(trace: &Trace, node: NodeId) -> String {
    let doc = &trace.nodes[node].doc;
    if let Some(op) = doc.aws.as_ref().and_then(|a| a.operation.as_deref()) {
        return format!("{} {op}", doc.name);
    }
    if let Some(q) = doc.sql.as_ref().and_then(|s| s.sanitized_query.as_deref()) {
        return truncate(q, 60);
    }
    if let Some(u) = doc
        .http
        .as_ref()
        .and_then(|h| h.request.as_ref())
        .and_then(|r| r.url.as_deref())
    {
        let method = doc
            .http
            .as_ref()
            .and_then(|h| h.request.as_ref())
            .and_then(|r| r.method.as_deref())
            .unwrap_or("");
        return format!("{method} {}", route(u)).trim().to_owned();
    }
    doc.name.clone()
}

/// The statistics of `trace`.
pub fn stats(trace: &Trace) -> TraceStats {
    let iv = intervals(trace);
    let own = self_times_of(trace, &iv);
    let length = waterfall::window(trace).1;
    let mut services: BTreeMap<String, StatRow> = BTreeMap::new();
    let mut operations: BTreeMap<(String, String), StatRow> = BTreeMap::new();
    for (id, node) in trace.nodes.iter().enumerate() {
        let svc = node
            .segment
            .map(|s| service::of_segment(&trace.nodes[s].doc).name)
            .unwrap_or_else(|| "(orphan)".to_owned());
        let d = iv[id].1 - iv[id].0;
        let add = |row: &mut StatRow| {
            row.count += 1;
            row.total += d;
            row.self_total += own[id];
            row.max = row.max.max(d);
        };
        add(services.entry(svc.clone()).or_insert_with(|| StatRow {
            service: svc.clone(),
            ..StatRow::default()
        }));
        let op = operation(trace, id);
        add(operations
            .entry((svc.clone(), op.clone()))
            .or_insert_with(|| StatRow {
                service: svc,
                operation: op,
                ..StatRow::default()
            }));
    }
    let finish = |rows: Vec<StatRow>| {
        let mut rows: Vec<StatRow> = rows
            .into_iter()
            .map(|mut r| {
                r.share = if length > 0.0 {
                    r.self_total / length
                } else {
                    0.0
                };
                r
            })
            .collect();
        rows.sort_by(|a, b| {
            b.self_total
                .total_cmp(&a.self_total)
                .then_with(|| a.service.cmp(&b.service))
                .then_with(|| a.operation.cmp(&b.operation))
        });
        rows
    };
    TraceStats {
        length,
        services: finish(services.into_values().collect()),
        operations: finish(operations.into_values().collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::assemble;
    use crate::model::Segment;
    use serde_json::{Value, json};

    fn trace(docs: Vec<Value>) -> Trace {
        assemble(
            "1-5f000000-000000000000000000000001",
            docs.into_iter()
                .map(|v| serde_json::from_value::<Segment>(v).expect("valid test document")),
        )
    }

    fn sub(id: &str, name: &str, s: f64, e: f64, subs: Vec<Value>) -> Value {
        json!({"id": id, "name": name, "start_time": s, "end_time": e, "subsegments": subs})
    }

    fn node(t: &Trace, id: &str) -> NodeId {
        t.nodes
            .iter()
            .position(|n| n.doc.id == id)
            .unwrap_or_else(|| panic!("no {id}"))
    }

    fn names(t: &Trace, p: &CriticalPath) -> Vec<String> {
        p.steps
            .iter()
            .map(|s| t.nodes[s.node].doc.id.clone())
            .collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    /// root 0..10: a 1..4 and b 2..8 in parallel, then c 8.5..9.5 after a gap.
    /// Walking back from 10: root's own 9.5..10, c 8.5..9.5, root 8..8.5, b 2..8 (b finished
    /// last before root resumed at 8.5; a's 2..4 is hidden under b), then before b started, a
    /// 1..2 (still running then), and root 0..1.
    #[test]
    fn parallel_children_and_gaps() {
        let t = trace(vec![json!({
            "id": "r", "name": "api", "start_time": 100.0, "end_time": 110.0, "trace_id": "1-5f000000-000000000000000000000001",
            "subsegments": [
                sub("a", "a", 101.0, 104.0, vec![]),
                sub("b", "b", 102.0, 108.0, vec![]),
                sub("c", "c", 108.5, 109.5, vec![]),
            ]
        })]);
        let p = critical_path(&t);
        assert_eq!(names(&t, &p), vec!["r", "a", "b", "c"]);
        let on = |id: &str| {
            p.steps
                .iter()
                .find(|s| s.node == node(&t, id))
                .map(|s| s.on_path)
        };
        assert!(close(on("r").unwrap(), 1.0 + 0.5 + 0.5), "{:?}", on("r"));
        assert!(close(on("a").unwrap(), 1.0));
        assert!(close(on("b").unwrap(), 6.0));
        assert!(close(on("c").unwrap(), 1.0));
        let total: f64 = p.sections.iter().map(|s| s.end - s.start).sum();
        assert!(
            close(total, 10.0),
            "the path covers the whole trace: {total}"
        );
        // Sections in time order, each where the previous ended.
        for w in p.sections.windows(2) {
            assert!(close(w[0].end, w[1].start), "{:?}", p.sections);
        }
    }

    /// Overlapping children: b 2..6 and c 5..9 overlap; c finishes last, then b covers 2..5.
    /// Self time of the root counts the overlap once: 10 - (2..9) = 3.
    #[test]
    fn overlapping_children_and_self_time() {
        let t = trace(vec![json!({
            "id": "r", "name": "api", "start_time": 0.0, "end_time": 10.0, "trace_id": "1-5f000000-000000000000000000000001",
            "subsegments": [
                sub("b", "b", 2.0, 6.0, vec![sub("b1", "b1", 2.5, 3.0, vec![])]),
                sub("c", "c", 5.0, 9.0, vec![]),
            ]
        })]);
        let p = critical_path(&t);
        let order: Vec<(String, f64, f64)> = p
            .sections
            .iter()
            .map(|s| (t.nodes[s.node].doc.id.clone(), s.start, s.end))
            .collect();
        assert_eq!(
            order,
            vec![
                ("r".into(), 0.0, 2.0),
                ("b".into(), 2.0, 2.5),
                ("b1".into(), 2.5, 3.0),
                ("b".into(), 3.0, 5.0),
                ("c".into(), 5.0, 9.0),
                ("r".into(), 9.0, 10.0),
            ]
        );
        let own = self_times(&t);
        assert!(close(own[node(&t, "r")], 3.0), "{own:?}");
        assert!(close(own[node(&t, "b")], 3.5));
        assert!(close(own[node(&t, "c")], 4.0));
        assert!(close(own[node(&t, "b1")], 0.5));
    }

    /// An in-progress child runs to the end of the trace and is on the path to it; a consumer
    /// under an SQS call is not, though it ends last (the send itself is).
    #[test]
    fn in_progress_and_asynchronous_consumers() {
        let tid = "1-5f000000-000000000000000000000001";
        let t = trace(vec![
            json!({"id": "r", "name": "api", "start_time": 0.0, "end_time": 4.0, "trace_id": tid,
            "subsegments": [
                {"id": "q", "name": "SQS", "namespace": "aws", "start_time": 1.0, "end_time": 1.5,
                 "aws": {"operation": "SendMessage", "queue_url": "https://sqs.eu-west-1.amazonaws.com/1/orders"}},
                {"id": "w", "name": "work", "start_time": 2.0, "in_progress": true}
            ]}),
            json!({"id": "k", "name": "consumer", "parent_id": "q", "trace_id": tid,
                   "start_time": 3.0, "end_time": 9.0}),
        ]);
        let p = critical_path(&t);
        let ids = names(&t, &p);
        assert!(!ids.contains(&"k".to_owned()), "{ids:?}");
        assert_eq!(
            ids,
            vec!["r", "q", "w"],
            "the send held the root up, the consumer did not"
        );
        let q = p.steps.iter().find(|s| s.node == node(&t, "q")).expect("q");
        assert!(close(q.on_path, 0.5), "{q:?}");
        let w = p.steps.iter().find(|s| s.node == node(&t, "w")).expect("w");
        // The root ends at 4; the in-progress work runs to the trace's end but is on the path
        // only within the root.
        assert!(close(w.on_path, 2.0), "{w:?}");
        assert!(close(w.end, waterfall::window(&t).1), "{w:?}");
        assert!(w.end > 4.0, "{w:?}");
    }

    /// A child segment on a skewed clock is moved into its caller, as the waterfall draws it,
    /// and the path follows the corrected times.
    #[test]
    fn clock_skew_is_corrected_first() {
        let tid = "1-5f000000-000000000000000000000001";
        let t = trace(vec![
            json!({"id": "r", "name": "api", "start_time": 10.0, "end_time": 14.0, "trace_id": tid,
                   "subsegments": [{"id": "call", "name": "backend", "namespace": "remote",
                                    "start_time": 11.0, "end_time": 13.0}]}),
            // Its host's clock is 100 s ahead.
            json!({"id": "b", "name": "backend", "parent_id": "call", "trace_id": tid,
                   "start_time": 111.2, "end_time": 112.8}),
        ]);
        let p = critical_path(&t);
        assert_eq!(names(&t, &p), vec!["r", "call", "b"]);
        let b = p.steps.iter().find(|s| s.node == node(&t, "b")).expect("b");
        assert!(close(b.on_path, 1.6), "{b:?}");
        let total: f64 = p.sections.iter().map(|s| s.end - s.start).sum();
        assert!(close(total, 4.0), "{total}");
    }

    /// 100,000 siblings and a 100,000-deep chain: no recursion, and quick.
    #[test]
    fn wide_and_deep_traces() {
        let tid = "1-5f000000-000000000000000000000001";
        let mut docs = vec![
            json!({"id": "r", "name": "api", "start_time": 0.0, "end_time": 1000.0, "trace_id": tid}),
        ];
        for i in 0..100_000u32 {
            let s = f64::from(i) * 0.01;
            docs.push(
                json!({"id": format!("s{i}"), "name": "w", "type": "subsegment", "parent_id": "r",
                             "trace_id": tid, "start_time": s, "end_time": s + 0.005}),
            );
        }
        let t = trace(docs);
        let p = critical_path(&t);
        assert_eq!(p.steps.len(), 100_001);
        let mut docs = vec![
            json!({"id": "d0", "name": "api", "start_time": 0.0, "end_time": 1.0, "trace_id": tid}),
        ];
        for i in 1..100_000u32 {
            docs.push(
                json!({"id": format!("d{i}"), "name": "x", "type": "subsegment",
                             "parent_id": format!("d{}", i - 1), "trace_id": tid,
                             "start_time": 0.0, "end_time": 1.0}),
            );
        }
        let t = trace(docs);
        let p = critical_path(&t);
        assert_eq!(
            p.steps.len(),
            1,
            "the deepest entity covers all: {}",
            p.steps.len()
        );
        assert_eq!(t.nodes[p.steps[0].node].doc.id, "d99999");
        let own = self_times(&t);
        assert!(close(own.iter().sum::<f64>(), 1.0));
    }

    #[test]
    fn statistics_by_service_and_operation() {
        let tid = "1-5f000000-000000000000000000000001";
        let t = trace(vec![json!({
            "id": "r", "name": "orders", "start_time": 0.0, "end_time": 1.0, "trace_id": tid,
            "subsegments": [
                {"id": "d1", "name": "DynamoDB", "namespace": "aws", "start_time": 0.1, "end_time": 0.3,
                 "aws": {"operation": "GetItem", "table_name": "t"}},
                {"id": "d2", "name": "DynamoDB", "namespace": "aws", "start_time": 0.4, "end_time": 0.5,
                 "aws": {"operation": "GetItem", "table_name": "t"}},
                {"id": "q", "name": "db@host", "start_time": 0.6, "end_time": 0.9,
                 "sql": {"sanitized_query": "SELECT 1"}}
            ]
        })]);
        let st = stats(&t);
        assert!(close(st.length, 1.0));
        assert_eq!(st.services.len(), 1);
        assert_eq!(st.services[0].count, 4);
        assert!(
            close(st.services[0].self_total, 1.0),
            "self times add up to the trace"
        );
        let get = st
            .operations
            .iter()
            .find(|r| r.operation == "DynamoDB GetItem")
            .expect("GetItem");
        assert_eq!(get.count, 2);
        assert!(close(get.total, 0.3) && close(get.max, 0.2) && close(get.avg(), 0.15));
        assert!(close(get.share, 0.3));
        // Largest self time first: the root's own 0.4, then the query's 0.3.
        assert_eq!(st.operations[0].operation, "orders");
        assert_eq!(st.operations[1].operation, "SELECT 1");
    }
}
