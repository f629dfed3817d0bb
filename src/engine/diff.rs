//! Two traces side by side: their trees aligned by path, so "what got slower" is a list.
//!
//! Entities are matched by where they are: under matched parents, by service and name, the
//! k-th sibling of one name matched with the k-th of the same name on the other side (a
//! request that makes three DynamoDB calls compares its calls in order). What has no partner
//! is present on one side only. Each matched pair carries both durations and self times on
//! the waterfall's corrected timeline. The walk keeps its own stack: no recursion, whatever
//! the depth.

use std::collections::HashMap;

use crate::engine::critical;
use crate::engine::service;
use crate::model::{NodeId, Trace};

/// One line of a comparison: an entity of either trace, or of both.
#[derive(Debug, Clone, PartialEq)]
pub struct DiffRow {
    /// Depth in the aligned tree.
    pub depth: usize,
    /// The service the entity belongs to.
    pub service: String,
    /// The entity's name.
    pub name: String,
    /// Its place among same-named siblings (0 for the first).
    pub occurrence: usize,
    /// The entity in the first trace.
    pub a: Option<NodeId>,
    /// The entity in the second trace.
    pub b: Option<NodeId>,
    /// Durations (seconds) in the first and second trace.
    pub duration: (Option<f64>, Option<f64>),
    /// Self times (seconds) in the first and second trace.
    pub self_time: (Option<f64>, Option<f64>),
}

impl DiffRow {
    /// Second minus first duration, when both sides have it.
    pub fn delta(&self) -> Option<f64> {
        Some(self.duration.1? - self.duration.0?)
    }

    /// Second minus first self time; a side without the entity counts 0 (an added entity's
    /// whole self time is a difference).
    pub fn self_delta(&self) -> f64 {
        self.self_time.1.unwrap_or(0.0) - self.self_time.0.unwrap_or(0.0)
    }
}

struct Side<'t> {
    trace: &'t Trace,
    iv: Vec<(f64, f64)>,
    own: Vec<f64>,
}

impl<'t> Side<'t> {
    fn of(trace: &'t Trace) -> Self {
        let iv = critical::intervals(trace);
        let (_, own) = critical::analyse(trace);
        Side { trace, iv, own }
    }

    fn key(&self, n: NodeId) -> (String, String) {
        let node = &self.trace.nodes[n];
        let svc = node
            .segment
            .map(|s| service::of_segment(&self.trace.nodes[s].doc).name)
            .unwrap_or_default();
        (svc, node.doc.name.clone())
    }

    fn duration(&self, n: Option<NodeId>) -> Option<f64> {
        let n = n?;
        self.trace.nodes[n].doc.duration()?;
        Some(self.iv[n].1 - self.iv[n].0)
    }

    fn self_time(&self, n: Option<NodeId>) -> Option<f64> {
        Some(self.own[n?])
    }
}

/// Where an entity is among its siblings: service, name, and the how-manieth of that name.
type Place = (String, String, usize);

/// `nodes` keyed by their [`Place`], in order.
fn keyed(side: &Side<'_>, nodes: &[NodeId]) -> Vec<(Place, NodeId)> {
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    nodes
        .iter()
        .map(|&n| {
            let (s, name) = side.key(n);
            let k = seen.entry((s.clone(), name.clone())).or_insert(0);
            let key = (s, name, *k);
            *k += 1;
            (key, n)
        })
        .collect()
}

/// Work for the walk: a level of children to align, or an aligned row to put out before its
/// children are aligned.
enum Work {
    Level(Vec<NodeId>, Vec<NodeId>, usize),
    Row(DiffRow),
}

/// The two traces' entities aligned, in tree order (the first trace's order, the second's
/// extra entities after their matched siblings).
pub fn diff(a: &Trace, b: &Trace) -> Vec<DiffRow> {
    let (sa, sb) = (Side::of(a), Side::of(b));
    let mut out = Vec::new();
    let mut stack = vec![Work::Level(a.roots.clone(), b.roots.clone(), 0)];
    while let Some(work) = stack.pop() {
        let (ca, cb, depth) = match work {
            Work::Row(row) => {
                let kids = |t: &Trace, n: Option<NodeId>| {
                    n.map(|n| t.nodes[n].children.clone()).unwrap_or_default()
                };
                let (ka, kb) = (kids(a, row.a), kids(b, row.b));
                let depth = row.depth + 1;
                out.push(row);
                if !ka.is_empty() || !kb.is_empty() {
                    stack.push(Work::Level(ka, kb, depth));
                }
                continue;
            }
            Work::Level(ca, cb, depth) => (ca, cb, depth),
        };
        let ka = keyed(&sa, &ca);
        let kb = keyed(&sb, &cb);
        let index_b: HashMap<&Place, NodeId> = kb.iter().map(|(k, n)| (k, *n)).collect();
        let mut pairs: Vec<(Place, Option<NodeId>, Option<NodeId>)> = ka
            .iter()
            .map(|(k, n)| (k.clone(), Some(*n), index_b.get(k).copied()))
            .collect();
        let matched: std::collections::HashSet<NodeId> = pairs.iter().filter_map(|p| p.2).collect();
        pairs.extend(
            kb.iter()
                .filter(|(_, n)| !matched.contains(n))
                .map(|(k, n)| (k.clone(), None, Some(*n))),
        );
        // Last first: the first pair comes off the stack first, its children before the
        // next sibling.
        for ((service, name, occurrence), x, y) in pairs.into_iter().rev() {
            stack.push(Work::Row(DiffRow {
                depth,
                service,
                name,
                occurrence,
                a: x,
                b: y,
                duration: (sa.duration(x), sb.duration(y)),
                self_time: (sa.self_time(x), sb.self_time(y)),
            }));
        }
    }
    out
}

/// The rows with the largest self-time differences first (`n` of them).
pub fn biggest(rows: &[DiffRow], n: usize) -> Vec<&DiffRow> {
    let mut v: Vec<&DiffRow> = rows.iter().collect();
    v.sort_by(|x, y| y.self_delta().abs().total_cmp(&x.self_delta().abs()));
    v.truncate(n);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::assemble;
    use crate::model::Segment;
    use serde_json::{Value, json};

    fn trace(doc: Value) -> Trace {
        let seg: Segment = serde_json::from_value(doc).expect("valid");
        assemble("1-5f000000-000000000000000000000001", [seg])
    }

    fn sub(id: &str, name: &str, s: f64, e: f64) -> Value {
        json!({"id": id, "name": name, "start_time": s, "end_time": e})
    }

    /// A: api 0..10 with db 1..3, db 3..4, cache 5..6. B: api 0..12 with db 1..2, db 2..7 and
    /// a new queue call 8..9; no cache. Repeated `db` siblings are matched in order.
    #[test]
    fn added_removed_and_repeated_nodes() {
        let a = trace(
            json!({"id": "r", "name": "api", "start_time": 0.0, "end_time": 10.0,
            "trace_id": "1-5f000000-000000000000000000000001",
            "subsegments": [sub("a1", "db", 1.0, 3.0), sub("a2", "db", 3.0, 4.0), sub("a3", "cache", 5.0, 6.0)]}),
        );
        let b = trace(
            json!({"id": "r", "name": "api", "start_time": 0.0, "end_time": 12.0,
            "trace_id": "1-5f000000-000000000000000000000001",
            "subsegments": [sub("b1", "db", 1.0, 2.0), sub("b2", "db", 2.0, 7.0), sub("b3", "queue", 8.0, 9.0)]}),
        );
        let rows = diff(&a, &b);
        let shape: Vec<(usize, &str, usize, bool, bool)> = rows
            .iter()
            .map(|r| {
                (
                    r.depth,
                    r.name.as_str(),
                    r.occurrence,
                    r.a.is_some(),
                    r.b.is_some(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (0, "api", 0, true, true),
                (1, "db", 0, true, true),
                (1, "db", 1, true, true),
                (1, "cache", 0, true, false),
                (1, "queue", 0, false, true),
            ]
        );
        let close = |x: f64, y: f64| (x - y).abs() < 1e-9;
        assert!(close(rows[0].delta().unwrap(), 2.0));
        assert!(close(rows[1].delta().unwrap(), -1.0));
        assert!(close(rows[2].delta().unwrap(), 4.0));
        assert_eq!(rows[3].delta(), None, "only in A");
        // Self time of api: A 10 - (1..4 and 5..6) = 6; B 12 - (1..7 and 8..9) = 5.
        assert!(close(rows[0].self_delta(), -1.0));
        // The removed cache counts -1, the added queue +1.
        assert!(close(rows[3].self_delta(), -1.0));
        assert!(close(rows[4].self_delta(), 1.0));
        let top = biggest(&rows, 2);
        assert_eq!((top[0].name.as_str(), top[0].occurrence), ("db", 1));
        assert!(close(top[0].self_delta(), 4.0));
    }

    /// A 100,000-deep chain on both sides is aligned without recursion.
    #[test]
    fn deep_traces() {
        let tid = "1-5f000000-000000000000000000000001";
        let chain = |end: f64| {
            let mut docs = vec![
                serde_json::from_value::<Segment>(json!({"id": "d0", "name": "api",
                "start_time": 0.0, "end_time": end, "trace_id": tid}))
                .expect("valid"),
            ];
            for i in 1..100_000u32 {
                docs.push(
                    serde_json::from_value::<Segment>(json!({"id": format!("d{i}"), "name": "x",
                    "type": "subsegment", "parent_id": format!("d{}", i - 1), "trace_id": tid,
                    "start_time": 0.0, "end_time": end}))
                    .expect("valid"),
                );
            }
            assemble(tid, docs)
        };
        let rows = diff(&chain(1.0), &chain(2.0));
        assert_eq!(rows.len(), 100_000);
        assert!(rows.iter().all(|r| r.a.is_some() && r.b.is_some()));
        assert_eq!(rows.last().map(|r| r.depth), Some(99_999));
    }
}
