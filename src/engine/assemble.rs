//! Assembly: what the X-Ray service does with the documents of one trace.
//!
//! Rules (from the X-Ray segment-document docs and what the SDKs send):
//! - every entity (segment, nested subsegment, subsegment sent on its own) is keyed by its id;
//!   a document re-sent with the same id replaces the earlier one, except that an in-progress
//!   version never replaces a completed one (UDP does not keep order);
//! - a nested subsegment hangs under the entity it was nested in; a document sent on its own
//!   hangs under the entity its `parent_id` names, which for a segment is the subsegment of the
//!   service that called it (so a downstream service's segment sits under the call);
//! - a subsegment whose parent never arrived is an orphan: kept, shown as a root, never dropped;
//! - `parent_id` loops (damaged data) are broken rather than followed forever;
//! - children are sorted by start time (then id), so arrival order does not matter.

use std::collections::HashMap;

use crate::model::{Node, NodeId, NodeKind, Segment, Trace};

struct Flat {
    doc: Segment,
    kind: NodeKind,
    /// Id of the entity it was nested in, when nested.
    nested_in: Option<String>,
    /// Sent as a document of its own (not nested).
    top_level: bool,
}

/// Builds a trace from its documents (segments, and subsegments sent on their own).
pub fn assemble(trace_id: &str, docs: impl IntoIterator<Item = Segment>) -> Trace {
    let mut flat: Vec<Flat> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for doc in docs {
        let kind = if doc.is_subsegment_doc() {
            NodeKind::Subsegment
        } else {
            NodeKind::Segment
        };
        flatten(doc, kind, None, true, &mut flat, &mut by_id);
    }

    // Link each surviving entity to its parent.
    let live: Vec<usize> = {
        let mut v: Vec<usize> = by_id.values().copied().collect();
        v.sort_unstable();
        v
    };
    let mut parent: HashMap<usize, usize> = HashMap::new();
    for &i in &live {
        let f = &flat[i];
        let key = f.nested_in.as_deref().or(if f.top_level {
            f.doc.parent_id.as_deref()
        } else {
            None
        });
        if let Some(&p) = key.and_then(|k| by_id.get(k)) {
            if p != i {
                parent.insert(i, p);
            }
        }
    }
    break_cycles(&live, &mut parent);

    let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut roots = Vec::new();
    for &i in &live {
        match parent.get(&i) {
            Some(&p) => children.entry(p).or_default().push(i),
            None => roots.push(i),
        }
    }
    let order = |a: &usize, b: &usize| {
        let (da, db) = (&flat[*a].doc, &flat[*b].doc);
        da.start_time
            .total_cmp(&db.start_time)
            .then_with(|| da.id.cmp(&db.id))
    };
    roots.sort_by(order);
    for list in children.values_mut() {
        list.sort_by(order);
    }

    // Emit in depth-first order.
    let mut slots: Vec<Option<Flat>> = flat.into_iter().map(Some).collect();
    let mut trace = Trace {
        id: trace_id.to_owned(),
        ..Trace::default()
    };
    let mut stack: Vec<(usize, Option<NodeId>, u32, Option<NodeId>)> =
        roots.iter().rev().map(|&r| (r, None, 0, None)).collect();
    while let Some((fi, parent_node, depth, seg)) = stack.pop() {
        let Some(mut f) = slots[fi].take() else {
            continue;
        };
        let id = trace.nodes.len();
        let segment = if f.kind == NodeKind::Segment {
            Some(id)
        } else {
            seg
        };
        if f.kind == NodeKind::Subsegment && parent_node.is_some() && f.top_level {
            // Sent on its own but now placed: what made it a separate document is implied by
            // its position, as if it had been nested all along.
            f.doc.trace_id = None;
            f.doc.kind = None;
            f.doc.parent_id = None;
        }
        trace.nodes.push(Node {
            doc: f.doc,
            kind: f.kind,
            parent: parent_node,
            children: Vec::new(),
            depth,
            segment,
        });
        match parent_node {
            Some(p) => trace.nodes[p].children.push(id),
            None => trace.roots.push(id),
        }
        if let Some(kids) = children.get(&fi) {
            for &k in kids.iter().rev() {
                stack.push((k, Some(id), depth + 1, segment));
            }
        }
    }
    trace
}

/// Moves each document and the subsegments nested in it (at any depth) into `flat`, in
/// depth-first order, with an explicit stack: nesting depth costs heap, not call stack.
fn flatten(
    doc: Segment,
    kind: NodeKind,
    nested_in: Option<String>,
    top_level: bool,
    flat: &mut Vec<Flat>,
    by_id: &mut HashMap<String, usize>,
) {
    let mut stack = vec![(doc, kind, nested_in, top_level)];
    while let Some((mut doc, kind, nested_in, top_level)) = stack.pop() {
        let subs = std::mem::take(&mut doc.subsegments);
        let id = doc.id.clone();
        let entry = Flat {
            doc,
            kind,
            nested_in,
            top_level,
        };
        match by_id.get(&id) {
            Some(&old) if !replaces(&entry.doc, &flat[old].doc) => {}
            _ => {
                by_id.insert(id.clone(), flat.len());
                flat.push(entry);
            }
        }
        for sub in subs.into_iter().rev() {
            stack.push((sub, NodeKind::Subsegment, Some(id.clone()), false));
        }
    }
}

/// Does `new` replace `old` (same id)? Later wins, but never in-progress over completed.
fn replaces(new: &Segment, old: &Segment) -> bool {
    !new.is_in_progress() || old.is_in_progress()
}

/// Drops parent links that form loops, so every entity reaches a root.
fn break_cycles(live: &[usize], parent: &mut HashMap<usize, usize>) {
    // 0 = unvisited, 1 = on the current walk, 2 = known to reach a root.
    let mut state: HashMap<usize, u8> = HashMap::new();
    for &start in live {
        let mut walk = Vec::new();
        let mut cur = start;
        loop {
            match state.get(&cur).copied().unwrap_or(0) {
                2 => break,
                1 => {
                    // A loop: cut the link out of the node where we came back.
                    parent.remove(&cur);
                    break;
                }
                _ => {}
            }
            state.insert(cur, 1);
            walk.push(cur);
            match parent.get(&cur) {
                Some(&p) => cur = p,
                None => break,
            }
        }
        for n in walk {
            state.insert(n, 2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn seg(v: serde_json::Value) -> Segment {
        serde_json::from_value(v).expect("valid test document")
    }

    #[test]
    fn independent_subsegment_hangs_under_its_parent() {
        let t = assemble(
            "1-a-b",
            [
                seg(
                    json!({"id":"s1","name":"api","trace_id":"1-a-b","start_time":1.0,"end_time":3.0}),
                ),
                seg(
                    json!({"id":"x1","name":"db","trace_id":"1-a-b","type":"subsegment","parent_id":"s1","start_time":1.5,"end_time":2.0}),
                ),
            ],
        );
        assert_eq!(t.roots, vec![0]);
        assert_eq!(t.nodes[0].children, vec![1]);
        assert_eq!(t.nodes[1].kind, NodeKind::Subsegment);
        assert_eq!(t.nodes[1].segment, Some(0));
        assert_eq!(
            t.nodes[1].doc.parent_id, None,
            "placement makes parent_id implicit"
        );
    }

    #[test]
    fn orphan_is_kept_as_a_root() {
        let t = assemble(
            "1-a-b",
            [seg(
                json!({"id":"x1","name":"db","trace_id":"1-a-b","type":"subsegment","parent_id":"missing","start_time":1.5,"end_time":2.0}),
            )],
        );
        assert_eq!(t.nodes.len(), 1);
        assert!(t.nodes[0].is_orphan());
        let t = assemble(
            "1-a-b",
            [seg(
                json!({"id":"x1","name":"work","trace_id":"1-a-b","type":"subsegment","parent_id":"missing","start_time":1.5,"end_time":2.0,
                "subsegments":[{"id":"x2","name":"DynamoDB","namespace":"aws","start_time":1.6,"end_time":1.7}]}),
            )],
        );
        assert!(
            !t.nodes[1].is_orphan(),
            "an orphan's children hang under it"
        );
        let docs = t.documents();
        assert_eq!(docs.len(), 1, "exported as one document");
        assert_eq!(docs[0].subsegments.len(), 1);
        assert_eq!(t.nodes[0].doc.parent_id.as_deref(), Some("missing"));
    }

    #[test]
    fn completed_replaces_in_progress_in_any_order() {
        let ip = seg(
            json!({"id":"s1","name":"api","trace_id":"1-a-b","start_time":1.0,"in_progress":true}),
        );
        let done =
            seg(json!({"id":"s1","name":"api","trace_id":"1-a-b","start_time":1.0,"end_time":2.0}));
        for docs in [
            vec![ip.clone(), done.clone()],
            vec![done.clone(), ip.clone()],
        ] {
            let t = assemble("1-a-b", docs);
            assert_eq!(t.nodes.len(), 1);
            assert_eq!(t.nodes[0].doc.end_time, Some(2.0));
        }
    }

    #[test]
    fn parent_id_loop_does_not_hang_or_drop() {
        let t = assemble(
            "1-a-b",
            [
                seg(
                    json!({"id":"a","name":"a","trace_id":"1-a-b","start_time":1.0,"end_time":2.0,"parent_id":"b"}),
                ),
                seg(
                    json!({"id":"b","name":"b","trace_id":"1-a-b","start_time":1.0,"end_time":2.0,"parent_id":"a"}),
                ),
            ],
        );
        assert_eq!(t.nodes.len(), 2);
        assert_eq!(t.roots.len(), 1);
    }

    #[test]
    fn child_segment_hangs_under_calling_subsegment() {
        let t = assemble(
            "1-a-b",
            [
                seg(
                    json!({"id":"down","name":"orders","trace_id":"1-a-b","parent_id":"call","start_time":1.2,"end_time":1.8}),
                ),
                seg(
                    json!({"id":"s1","name":"api","trace_id":"1-a-b","start_time":1.0,"end_time":3.0,
                    "subsegments":[{"id":"call","name":"orders","namespace":"remote","start_time":1.1,"end_time":1.9}]}),
                ),
            ],
        );
        let down = t
            .nodes
            .iter()
            .position(|n| n.doc.id == "down")
            .expect("present");
        let call = t
            .nodes
            .iter()
            .position(|n| n.doc.id == "call")
            .expect("present");
        assert_eq!(t.nodes[down].parent, Some(call));
        assert_eq!(t.nodes[down].depth, 2);
        assert_eq!(t.nodes[down].segment, Some(down));
        assert_eq!(t.root_segment(), Some(0));
        assert_eq!(t.documents().len(), 2);
    }
}
