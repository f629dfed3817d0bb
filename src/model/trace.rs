//! A trace assembled from its segment documents: one arena of entities (segments, subsegments,
//! inferred segments) linked into a tree.
//!
//! Why an arena: nested subsegments, subsegments sent on their own, and child segments of other
//! services that hang under the subsegment that called them all become the same thing, a node
//! with a parent, so the waterfall, the summary and the service graph walk one structure. Each
//! node owns its document with `subsegments` moved out into the arena, so nothing is stored
//! twice. Nodes are in depth-first order from the roots, children sorted by start time: two
//! assemblies of the same documents are equal whatever order they arrived in.

use serde::Serialize;

use super::segment::Segment;

/// Index of a node in [`Trace::nodes`].
pub type NodeId = usize;

/// What a node was in the documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum NodeKind {
    /// A segment document: the work one service did for the request.
    Segment,
    /// A subsegment, nested or sent on its own.
    Subsegment,
}

/// One entity of a trace.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The document, without its nested subsegments (they are nodes of their own).
    pub doc: Segment,
    /// Segment or subsegment.
    pub kind: NodeKind,
    /// The entity it hangs under.
    pub parent: Option<NodeId>,
    /// Entities under it, by start time.
    pub children: Vec<NodeId>,
    /// Distance from its root.
    pub depth: u32,
    /// The segment it belongs to (itself for segments); `None` for orphaned subsegments.
    pub segment: Option<NodeId>,
}

impl Node {
    /// A subsegment whose parent never arrived: a root that is not a segment. (Its own
    /// children belong under it and are not orphans.)
    pub fn is_orphan(&self) -> bool {
        self.kind == NodeKind::Subsegment && self.parent.is_none()
    }
}

/// A trace: all its entities, as a forest.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Trace {
    /// The trace ID.
    pub id: String,
    /// Entities in depth-first order.
    pub nodes: Vec<Node>,
    /// Top-level entities by start time: the root segment, segments whose caller is not in the
    /// trace, and orphaned subsegments.
    pub roots: Vec<NodeId>,
    /// The service said the trace was too large to return whole.
    pub limit_exceeded: bool,
}

impl Trace {
    /// The entry segment: the earliest top-level, non-inferred segment.
    pub fn root_segment(&self) -> Option<NodeId> {
        let segs = || {
            self.roots
                .iter()
                .copied()
                .filter(|&r| self.nodes[r].kind == NodeKind::Segment)
        };
        segs()
            .find(|&r| !self.nodes[r].doc.is_inferred() && self.nodes[r].doc.parent_id.is_none())
            .or_else(|| segs().find(|&r| !self.nodes[r].doc.is_inferred()))
            .or_else(|| segs().next())
    }

    /// Earliest start time of any entity.
    pub fn start_time(&self) -> Option<f64> {
        self.nodes.iter().map(|n| n.doc.start_time).reduce(f64::min)
    }

    /// Latest end time of any entity (in-progress entities count with their start).
    pub fn end_time(&self) -> Option<f64> {
        self.nodes
            .iter()
            .map(|n| n.doc.end_time.unwrap_or(n.doc.start_time))
            .reduce(f64::max)
    }

    /// Nodes that are segments (including inferred ones).
    pub fn segment_nodes(&self) -> impl Iterator<Item = (NodeId, &Node)> {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.kind == NodeKind::Segment)
    }

    /// The path from a root down to `id`, inclusive.
    pub fn path_to(&self, id: NodeId) -> Vec<NodeId> {
        let mut path = vec![id];
        let mut cur = id;
        while let Some(p) = self.nodes[cur].parent {
            path.push(p);
            cur = p;
        }
        path.reverse();
        path
    }

    /// The documents again, as the service would return them: one per segment, subsegments
    /// nested; orphaned subsegments as documents of their own.
    pub fn documents(&self) -> Vec<Segment> {
        let mut out = Vec::new();
        for (id, node) in self.nodes.iter().enumerate() {
            if node.kind == NodeKind::Segment || node.is_orphan() {
                let mut doc = self.nest(id);
                if doc.trace_id.is_none() {
                    doc.trace_id = Some(self.id.clone());
                }
                out.push(doc);
            }
        }
        out
    }

    fn nest(&self, id: NodeId) -> Segment {
        let node = &self.nodes[id];
        let mut doc = node.doc.clone();
        doc.subsegments = node
            .children
            .iter()
            .filter(|&&c| self.nodes[c].kind == NodeKind::Subsegment)
            .map(|&c| self.nest(c))
            .collect();
        doc
    }
}
