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
    /// The entity whose document ID is `id` (a tracing header's `Parent=`), ignoring case and
    /// surrounding spaces.
    pub fn node_with_id(&self, id: &str) -> Option<NodeId> {
        let id = id.trim();
        self.nodes
            .iter()
            .position(|n| n.doc.id.eq_ignore_ascii_case(id))
    }

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

    /// The trace's duration as X-Ray gives it: from the earliest start to the latest end (see
    /// [`Trace::end_time`]), to the microsecond, with no clock skew corrected. The list and
    /// the trace's header both show this figure.
    pub fn duration(&self) -> Option<f64> {
        let (start, end) = self.start_time().zip(self.end_time())?;
        Some(((end - start) * 1e6).round() / 1e6)
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
    ///
    /// Nesting stops at [`MAX_NESTED`] levels inside one document: a subsegment deeper than that
    /// is written as a document of its own (`"type": "subsegment"`, its `trace_id` and
    /// `parent_id`), as X-Ray lets SDKs send them, so a chain of any depth serialises (and drops)
    /// without recursing in proportion to its depth, and reads back as the same trace. Built
    /// with explicit stacks, never recursion.
    pub fn documents(&self) -> Vec<Segment> {
        // Depth of each node inside the document that holds it (0: the document itself).
        // Nodes are in depth-first order, so a parent always comes before its children.
        let mut level = vec![0usize; self.nodes.len()];
        let mut is_doc = vec![false; self.nodes.len()];
        for (id, node) in self.nodes.iter().enumerate() {
            let nested_level = match node.parent {
                Some(p) if node.kind == NodeKind::Subsegment => level[p] + 1,
                _ => 0,
            };
            if nested_level == 0 || nested_level > MAX_NESTED {
                is_doc[id] = true;
            } else {
                level[id] = nested_level;
            }
        }
        let mut out = Vec::new();
        for (id, node) in self.nodes.iter().enumerate() {
            if !is_doc[id] {
                continue;
            }
            let mut doc = self.nest(id, &is_doc);
            if doc.trace_id.is_none() {
                doc.trace_id = Some(self.id.clone());
            }
            if node.kind == NodeKind::Subsegment {
                if let Some(p) = node.parent {
                    // Split off below MAX_NESTED: say where it belongs.
                    doc.kind = Some("subsegment".to_owned());
                    doc.parent_id = Some(self.nodes[p].doc.id.clone());
                }
            }
            out.push(doc);
        }
        out
    }

    /// `id`'s document with the subsegments under it nested (those not written as documents of
    /// their own), built bottom-up from an explicit depth-first order.
    fn nest(&self, id: NodeId, is_doc: &[bool]) -> Segment {
        // Pre-order of the nested part: (node, index of its parent in `order`).
        let mut order: Vec<(NodeId, usize)> = Vec::new();
        let mut stack = vec![(id, usize::MAX)];
        while let Some((n, up)) = stack.pop() {
            let at = order.len();
            order.push((n, up));
            for &c in self.nodes[n].children.iter().rev() {
                if self.nodes[c].kind == NodeKind::Subsegment && !is_doc[c] {
                    stack.push((c, at));
                }
            }
        }
        let mut built: Vec<Option<Segment>> = order
            .iter()
            .map(|&(n, _)| {
                let mut doc = self.nodes[n].doc.clone();
                doc.subsegments = Vec::new();
                Some(doc)
            })
            .collect();
        // Children come after their parent in pre-order: attach from the end, so each node is
        // complete when it is attached.
        for i in (1..order.len()).rev() {
            let Some(mut doc) = built[i].take() else {
                continue;
            };
            doc.subsegments.reverse();
            if let Some(Some(parent)) = built.get_mut(order[i].1) {
                parent.subsegments.push(doc);
            }
        }
        let mut root = built
            .into_iter()
            .next()
            .flatten()
            .unwrap_or_else(|| self.nodes[id].doc.clone());
        root.subsegments.reverse();
        root
    }
}

/// How many levels of subsegments [`Trace::documents`] nests inside one document before
/// writing the deeper ones as documents of their own.
pub const MAX_NESTED: usize = 32;
