//! The service graph, built locally from traces the way `GetServiceGraph` builds it.
//!
//! Why: files and the local daemon have no X-Ray service to ask for a graph, but users still want
//! the map of who calls whom, with request counts, latency and failure rates. The output is the
//! API's own shape ([`ServiceGraph`]), so the renderers and the TUI treat a graph read from a
//! `get-service-graph` file and one built here the same way.
//!
//! Rules (from the X-Ray docs for `GetServiceGraph`, `Service`, `Edge`, `EdgeStatistics`,
//! `HistogramEntry`, and the published responses):
//! - **Nodes.** Every segment is its service ([`service::of_segment`]); inferred segments are the
//!   AWS resource they stand for. A call subsegment with no segment under it reaches an inferred
//!   node ([`service::of_downstream`]). Each trace's entry segment
//!   ([`Trace::root_segment`]) makes its service `Root: true` and adds a `client` node named after
//!   it, with an edge client → root service. `State` is `active` for services that sent
//!   segments of their own, `unknown` for clients and inferred nodes.
//! - **Edges.** A service's calls are the *outermost* call subsegments of its segments' subtrees
//!   (a call is a subsegment in the `aws`/`remote` namespace, with an `sql` block, or with
//!   segments hanging under it). Subsegments nested in a call are part of that call (a remote
//!   call wrapping its HTTP request, an SDK call wrapping its retries), so they never count as a
//!   second call. The call's targets are the services of the segments hanging anywhere inside it
//!   (each distinct target counted once per call); with none, the inferred node of the call
//!   itself. A segment whose parent is another segment directly (the Lambda service → Lambda
//!   function pattern) makes an edge parent service → its service, measured on the child.
//! - **Statistics.** Edges are measured on the calling entity: the call subsegment's duration
//!   and outcome (the root segment's for client edges). Service nodes are measured on their own
//!   segments; inferred nodes on their inferred segments or on the calls without one.
//!   Outcome: `fault` → fault, else `throttle` → error (throttle), else `error` → error
//!   (other); when none of the three flags is present, the HTTP status decides (5xx fault,
//!   429 throttle, other 4xx error). Each request lands in exactly one bucket, so
//!   `OkCount + ErrorStatistics.TotalCount + FaultStatistics.TotalCount = TotalCount`.
//! - **In progress.** X-Ray only counts completed work: in-progress entities create their nodes
//!   and edges and widen the time window, but are not counted in statistics or histograms.
//! - **Orphans.** Subsegments whose segment never arrived belong to no service: skipped. A
//!   segment they call (a Lambda function's call when the function's own segment was not
//!   received) is called by a `client` node, as an entry request is, so every request into a
//!   service arrives by an edge; it is not made a root.
//! - **Histograms.** Durations rounded to the millisecond, sorted by value; counts sum to the
//!   statistic's `TotalCount`. Nodes get the same histogram as `DurationHistogram` and
//!   `ResponseTimeHistogram`, as in the published responses.
//! - **Order.** Clients first, then services by name, type and account; `ReferenceId`s are the
//!   positions in that order, edges are sorted by target. The same traces always give the same
//!   graph, whatever order they were added in. A trace added twice counts twice: callers that
//!   receive updated versions of a trace rebuild from the latest versions.
//!
//! **Fragments.** What one trace adds to the graph is captured once, at load, as a [`Fragment`]:
//! one small op per measurement (the entity's start, end and flags), with services interned as
//! `u32` ids in a [`ServiceKeys`] table shared by the dataset. [`GraphBuilder::add`] is
//! [`GraphBuilder::add_fragment`] of [`Fragment::of`], so a graph built from fragments is the
//! graph built from the traces, float for float.

use std::collections::BTreeMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};

use foldhash::fast::FixedState;

use crate::model::graph::{
    Edge, EdgeStatistics, ErrorStatistics, FaultStatistics, HistogramEntry, Service,
};
use crate::model::segment::{Flags, Outcome};
use crate::model::{NodeId, NodeKind, Segment, ServiceGraph, Trace};

use super::service::{self, ServiceKey};

/// Hash maps keyed by interned ids (deterministic hashing; iteration order is never output).
type IdMap<V> = hashbrown::HashMap<u32, V, FixedState>;

/// Builds the service graph of these traces, as GetServiceGraph would for the window they cover.
pub fn service_graph<T: std::borrow::Borrow<Trace>>(
    traces: impl IntoIterator<Item = T>,
) -> ServiceGraph {
    let mut b = GraphBuilder::new();
    for t in traces {
        b.add(t.borrow());
    }
    b.finish()
}

/// Distinguishes key tables, so a cache of ids can tell whether it belongs to a table.
static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);

/// An interner of graph nodes ([`ServiceKey`]) as dense `u32` ids, shared by all the
/// [`Fragment`]s of a dataset. It only grows: an id, once given, keeps its key.
#[derive(Debug)]
pub struct ServiceKeys {
    keys: Vec<ServiceKey>,
    /// Ids, found by the hash of their key.
    ids: hashbrown::HashTable<u32>,
    hasher: FixedState,
    /// Unique per table (clones get their own): `(token, len)` identifies a table's contents.
    token: u64,
}

impl Default for ServiceKeys {
    fn default() -> Self {
        Self {
            keys: Vec::new(),
            ids: hashbrown::HashTable::new(),
            hasher: FixedState::default(),
            token: NEXT_TOKEN.fetch_add(1, Ordering::Relaxed),
        }
    }
}

impl Clone for ServiceKeys {
    fn clone(&self) -> Self {
        Self {
            keys: self.keys.clone(),
            ids: self.ids.clone(),
            hasher: self.hasher.clone(),
            token: NEXT_TOKEN.fetch_add(1, Ordering::Relaxed),
        }
    }
}

impl ServiceKeys {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// The id of `key`, adding it if new.
    pub fn intern(&mut self, key: ServiceKey) -> u32 {
        match self.id_of(&key) {
            Some(id) => id,
            None => self.insert(key),
        }
    }

    /// The id of `key`, adding a copy of it if new.
    pub fn intern_ref(&mut self, key: &ServiceKey) -> u32 {
        match self.id_of(key) {
            Some(id) => id,
            None => self.insert(key.clone()),
        }
    }

    fn insert(&mut self, key: ServiceKey) -> u32 {
        // More than 4 billion distinct services cannot be held in memory anyway.
        let id = self.keys.len() as u32;
        let hash = self.hasher.hash_one(&key);
        let Self {
            keys, ids, hasher, ..
        } = self;
        ids.insert_unique(hash, id, |&i| hasher.hash_one(&keys[i as usize]));
        keys.push(key);
        id
    }

    /// The key of an id given by this table.
    ///
    /// # Panics
    /// If `id` was not given by this table.
    pub fn get(&self, id: u32) -> &ServiceKey {
        &self.keys[id as usize]
    }

    /// The id of `key`, if the table has it.
    pub fn id_of(&self, key: &ServiceKey) -> Option<u32> {
        let hash = self.hasher.hash_one(key);
        self.ids
            .find(hash, |&i| self.keys[i as usize] == *key)
            .copied()
    }

    /// How many keys (ids are `0..len`).
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// No key yet.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Every key, by id.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (u32, &ServiceKey)> + '_ {
        self.keys.iter().enumerate().map(|(i, k)| (i as u32, k))
    }

    /// Unique to this table (clones included): with [`ServiceKeys::len`], what a cache of ids
    /// derived from the table must match.
    pub fn token(&self) -> u64 {
        self.token
    }
}

/// When and how one entity ran: what the graph reads from a document it measures.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Span {
    /// `start_time`.
    start: f64,
    /// `end_time`, or `start_time` while it has none.
    end: f64,
}

/// Flags of one op, one bit each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bits(u8);

impl Bits {
    const FAULT: u8 = 1;
    const ERROR: u8 = 1 << 1;
    const THROTTLE: u8 = 1 << 2;
    /// [`Segment::is_in_progress`]: not counted in statistics.
    const IN_PROGRESS: u8 = 1 << 3;
    /// The document has an `end_time` ([`Span::end`] is it).
    const HAS_END: u8 = 1 << 4;
    /// Segment op: an inferred segment. Call op: the target is known only through the call.
    const INFERRED: u8 = 1 << 5;
    /// Segment op: the trace's entry segment ([`Trace::root_segment`]).
    const ROOT: u8 = 1 << 6;

    fn of(doc: &Segment) -> Self {
        let f = doc.flags();
        let mut b = 0;
        for (on, bit) in [
            (f.fault, Self::FAULT),
            (f.error, Self::ERROR),
            (f.throttle, Self::THROTTLE),
            (doc.is_in_progress(), Self::IN_PROGRESS),
            (doc.end_time.is_some(), Self::HAS_END),
        ] {
            if on {
                b |= bit;
            }
        }
        Bits(b)
    }

    fn with(self, bit: u8, on: bool) -> Self {
        if on { Bits(self.0 | bit) } else { self }
    }

    fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }

    fn flags(self) -> Flags {
        Flags {
            fault: self.has(Self::FAULT),
            error: self.has(Self::ERROR),
            throttle: self.has(Self::THROTTLE),
        }
    }

    /// As [`Segment::outcome`].
    fn outcome(self) -> Outcome {
        if self.has(Self::FAULT) {
            Outcome::Fault
        } else if self.has(Self::THROTTLE) {
            Outcome::Throttle
        } else if self.has(Self::ERROR) {
            Outcome::Error
        } else {
            Outcome::Ok
        }
    }

    /// As [`Segment::duration`].
    fn duration(self, span: Span) -> Option<f64> {
        self.has(Self::HAS_END).then_some(span.end - span.start)
    }
}

fn span(doc: &Segment) -> Span {
    Span {
        start: doc.start_time,
        end: doc.end_time.unwrap_or(doc.start_time),
    }
}

/// Whether segment `id` hangs under subsegments that belong to no segment (an orphan's call):
/// its caller never arrived. Walks up without recursion.
fn called_by_an_orphan(trace: &Trace, id: NodeId) -> bool {
    let mut up = trace.nodes[id].parent;
    let mut any = false;
    while let Some(p) = up {
        if trace.nodes[p].kind == NodeKind::Segment {
            return false;
        }
        any = true;
        up = trace.nodes[p].parent;
    }
    any
}

/// One measurement of a fragment, in the order [`GraphBuilder`] applies them.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    /// A segment node: its service (active unless inferred), measured on the segment.
    Segment { key: u32, span: Span, bits: Bits },
    /// A call (see [`service::calls`]): the edge `from -> to`, and the target's own statistics
    /// when it is known only through calls, measured on the calling entity.
    Call {
        from: u32,
        to: u32,
        span: Span,
        bits: Bits,
    },
    /// The entry request: the service is a root, its client calls it (measured on the root
    /// segment). Only for a root segment that is not inferred.
    Root { key: u32, span: Span, bits: Bits },
    /// A request from a caller that never arrived (the segment hangs under an orphan
    /// subsegment, as a Lambda function's calls do when the function's own segment is not
    /// received): a client calls the service, measured on its segment, and the service is not
    /// made a root.
    Unknown { key: u32, span: Span, bits: Bits },
}

/// One trace's whole contribution to the service graph, computed once from the assembled trace
/// ([`Fragment::of`]) and kept instead of it: the time window of its entities and one op per
/// measured entity, with services as ids of a shared [`ServiceKeys`]. It also answers which
/// graph nodes and edges the trace has ([`Fragment::nodes`], [`Fragment::edges`]) and how its
/// entry segment ended ([`Fragment::root`]), for the filter's fast path.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fragment {
    ops: Box<[Op]>,
    /// First start and last end (or start, while in progress) of any entity.
    window: Option<Span>,
    /// First start of any entity to the last end of any entity that has one (what the
    /// filter's `duration` reads).
    duration: Option<f64>,
    /// Some entity is inferred (what the filter's `inferred` reads).
    any_inferred: bool,
}

impl Fragment {
    /// The service nodes this trace adds to the service graph, and each request it adds to a
    /// node's statistics, as [`GraphBuilder`] counts them: `each(key, None)` for a node it
    /// names, `each(key, Some((duration, outcome)))` for a request measured on it (not in
    /// progress, with a duration). Clients are not service nodes.
    pub fn requests(&self, each: &mut dyn FnMut(u32, Option<(f64, Outcome)>)) {
        let measured = |span: Span, bits: Bits| {
            if bits.has(Bits::IN_PROGRESS) {
                return None;
            }
            Some((bits.duration(span)?, bits.outcome()))
        };
        for op in &self.ops {
            match *op {
                Op::Segment { key, span, bits } => each(key, measured(span, bits)),
                Op::Call {
                    from,
                    to,
                    span,
                    bits,
                } => {
                    if bits.has(Bits::INFERRED) {
                        each(to, measured(span, bits));
                    }
                    each(from, None);
                }
                Op::Root { key, .. } => each(key, None),
                Op::Unknown { .. } => {}
            }
        }
    }
}

/// A graph node of a trace, as [`Fragment::nodes`] lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentNode {
    /// The service's id in the [`ServiceKeys`] the fragment was built with.
    pub key: u32,
    /// An inferred node: an inferred segment, or a call with no segment under it.
    pub inferred: bool,
    /// The trace's entry segment ([`Trace::root_segment`]).
    pub root: bool,
}

/// How a trace's entry segment ([`Trace::root_segment`]) ended, as [`Fragment::root`] tells.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RootSegment {
    /// The service's id in the [`ServiceKeys`] the fragment was built with.
    pub key: u32,
    /// Fault, error and throttle, as [`Segment::flags`].
    pub flags: Flags,
    /// As [`Segment::is_in_progress`].
    pub in_progress: bool,
    /// As [`Segment::duration`].
    pub duration: Option<f64>,
}

impl Fragment {
    /// The contribution of `trace`, its services interned in `keys`.
    pub fn of(trace: &Trace, keys: &mut ServiceKeys) -> Fragment {
        let mut window = Window::default();
        for node in &trace.nodes {
            window.see(span(&node.doc));
        }
        let root = trace.root_segment();
        let mut ops = Vec::new();
        for (id, node) in trace.segment_nodes() {
            let doc = &node.doc;
            ops.push(Op::Segment {
                key: keys.intern(service::of_segment(doc)),
                span: span(doc),
                bits: Bits::of(doc)
                    .with(Bits::INFERRED, doc.is_inferred())
                    .with(Bits::ROOT, Some(id) == root),
            });
        }
        for call in service::calls(trace) {
            let doc = &trace.nodes[call.measured_on].doc;
            ops.push(Op::Call {
                from: keys.intern(call.from),
                to: keys.intern(call.to),
                span: span(doc),
                bits: Bits::of(doc).with(Bits::INFERRED, call.inferred_target),
            });
        }
        for (id, node) in trace.segment_nodes() {
            if !node.doc.is_inferred() && called_by_an_orphan(trace, id) {
                ops.push(Op::Unknown {
                    key: keys.intern(service::of_segment(&node.doc)),
                    span: span(&node.doc),
                    bits: Bits::of(&node.doc),
                });
            }
        }
        if let Some(r) = root {
            let doc = &trace.nodes[r].doc;
            if !doc.is_inferred() {
                ops.push(Op::Root {
                    key: keys.intern(service::of_segment(doc)),
                    span: span(doc),
                    bits: Bits::of(doc),
                });
            }
        }
        let window = match (window.start, window.end) {
            (Some(start), Some(end)) => Some(Span { start, end }),
            _ => None,
        };
        let first = trace
            .nodes
            .iter()
            .map(|n| n.doc.start_time)
            .reduce(f64::min);
        let last = trace
            .nodes
            .iter()
            .filter_map(|n| n.doc.end_time)
            .reduce(f64::max);
        Fragment {
            ops: ops.into_boxed_slice(),
            window,
            duration: first.zip(last).map(|(a, b)| b - a),
            any_inferred: trace.nodes.iter().any(|n| n.doc.is_inferred()),
        }
    }

    /// The trace's graph nodes: every segment's service (in trace order), then every resource
    /// known only through a call into it (in call order). A service may come more than once.
    pub fn nodes(&self) -> impl Iterator<Item = FragmentNode> + '_ {
        self.ops.iter().filter_map(|op| match *op {
            Op::Segment { key, bits, .. } => Some(FragmentNode {
                key,
                inferred: bits.has(Bits::INFERRED),
                root: bits.has(Bits::ROOT),
            }),
            Op::Call { to, bits, .. } if bits.has(Bits::INFERRED) => Some(FragmentNode {
                key: to,
                inferred: true,
                root: false,
            }),
            _ => None,
        })
    }

    /// The trace's edges `(from, to)`, one per call, in call order (see [`service::calls`]);
    /// the client -> root edge is not included.
    pub fn edges(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.ops.iter().filter_map(|op| match *op {
            Op::Call { from, to, .. } => Some((from, to)),
            _ => None,
        })
    }

    /// The trace's entry segment ([`Trace::root_segment`]), if it has one.
    pub fn root(&self) -> Option<RootSegment> {
        self.ops.iter().find_map(|op| match *op {
            Op::Segment { key, span, bits } if bits.has(Bits::ROOT) => Some(RootSegment {
                key,
                flags: bits.flags(),
                in_progress: bits.has(Bits::IN_PROGRESS),
                duration: bits.duration(span),
            }),
            _ => None,
        })
    }

    /// How many measurements the fragment holds.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// The trace's duration as the filter reads it: first start of any entity to the last
    /// end of any entity that has one.
    pub fn duration(&self) -> Option<f64> {
        self.duration
    }

    /// Some entity of the trace is inferred.
    pub fn any_inferred(&self) -> bool {
        self.any_inferred
    }

    /// Moves the fragment from the key table it was built with (`from`) to `to`: built apart
    /// (on several threads, each trace with a small table of its own), kept with one table.
    pub fn rekey(&mut self, from: &ServiceKeys, to: &mut ServiceKeys) {
        let ids: Vec<u32> = from.iter().map(|(_, k)| to.intern_ref(k)).collect();
        let id = |k: u32| ids.get(k as usize).copied().unwrap_or(k);
        for op in self.ops.iter_mut() {
            match op {
                Op::Segment { key, .. } | Op::Root { key, .. } | Op::Unknown { key, .. } => {
                    *key = id(*key)
                }
                Op::Call { from, to, .. } => (*from, *to) = (id(*from), id(*to)),
            }
        }
    }

    /// The trace had no entity to measure.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// Builds a service graph one trace at a time (for the daemon, which receives traces as they
/// complete). [`GraphBuilder::snapshot`] can be taken at any time.
#[derive(Debug, Clone, Default)]
pub struct GraphBuilder {
    /// The builder's own ids: every node met so far.
    keys: ServiceKeys,
    /// Ids of the table fragments were last added from -> the builder's ids.
    remap: Remap,
    /// Service nodes by id.
    services: IdMap<NodeAcc>,
    /// Client nodes by the id of the service they call.
    clients: IdMap<NodeAcc>,
    window: Window,
}

/// Translation of one [`ServiceKeys`] table's ids into a builder's.
#[derive(Debug, Clone, Default)]
struct Remap {
    /// The table's [`ServiceKeys::token`].
    token: u64,
    ids: Vec<u32>,
}

#[derive(Debug, Clone, Default)]
struct NodeAcc {
    root: bool,
    active: bool,
    /// `None` for clients, which have no statistics of their own.
    stats: Option<Acc>,
    window: Window,
    /// By target service id (edges only ever reach services).
    edges: IdMap<Acc>,
}

/// First start and last end seen.
#[derive(Debug, Clone, Copy, Default)]
struct Window {
    start: Option<f64>,
    end: Option<f64>,
}

impl Window {
    fn see(&mut self, s: Span) {
        self.start = Some(self.start.map_or(s.start, |x| x.min(s.start)));
        self.end = Some(self.end.map_or(s.end, |e| e.max(s.end)));
    }
}

/// Statistics of the requests measured on one node or edge.
#[derive(Debug, Clone, Default)]
struct Acc {
    ok: u64,
    error_other: u64,
    throttle: u64,
    fault: u64,
    total_response_time: f64,
    /// Duration in whole milliseconds → count.
    histogram: BTreeMap<i64, u64>,
    window: Window,
}

impl Acc {
    /// Records one request measured on an entity (time window only, while in progress).
    fn record(&mut self, span: Span, bits: Bits) {
        self.window.see(span);
        if bits.has(Bits::IN_PROGRESS) {
            return;
        }
        let Some(d) = bits.duration(span) else { return };
        match bits.outcome() {
            Outcome::Ok => self.ok += 1,
            Outcome::Error => self.error_other += 1,
            Outcome::Throttle => self.throttle += 1,
            Outcome::Fault => self.fault += 1,
        }
        self.total_response_time += d;
        // `as` saturates (and maps NaN to 0): damaged times cannot panic here.
        *self
            .histogram
            .entry((d * 1000.0).round() as i64)
            .or_default() += 1;
    }

    fn total(&self) -> u64 {
        self.ok + self.error_other + self.throttle + self.fault
    }

    fn statistics(&self) -> EdgeStatistics {
        EdgeStatistics {
            ok_count: self.ok,
            error_statistics: ErrorStatistics {
                throttle_count: self.throttle,
                other_count: self.error_other,
                total_count: self.throttle + self.error_other,
            },
            fault_statistics: FaultStatistics {
                other_count: self.fault,
                total_count: self.fault,
            },
            total_count: self.total(),
            total_response_time: self.total_response_time,
        }
    }

    fn histogram(&self) -> Vec<HistogramEntry> {
        self.histogram
            .iter()
            .map(|(&ms, &count)| HistogramEntry {
                value: ms as f64 / 1000.0,
                count,
            })
            .collect()
    }
}

impl GraphBuilder {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one trace's entities, calls and entry request: the fragment of the trace.
    pub fn add(&mut self, trace: &Trace) {
        let f = Fragment::of(trace, &mut self.keys);
        self.apply(&f, Some);
    }

    /// Adds one trace's contribution, computed by [`Fragment::of`] with `keys` (fragments from
    /// other tables are not understood: their unknown ids are skipped). Fragments from several
    /// tables may go into one builder, though switching tables costs a translation each time.
    pub fn add_fragment(&mut self, f: &Fragment, keys: &ServiceKeys) {
        if self.remap.token != keys.token {
            self.remap = Remap {
                token: keys.token,
                ids: Vec::new(),
            };
        }
        for (id, key) in keys.iter().skip(self.remap.ids.len()) {
            debug_assert_eq!(id as usize, self.remap.ids.len());
            let local = self.keys.intern_ref(key);
            self.remap.ids.push(local);
        }
        let remap = std::mem::take(&mut self.remap.ids);
        self.apply(f, |id| remap.get(id as usize).copied());
        self.remap.ids = remap;
    }

    /// Applies the ops of `f`, its ids translated by `id` into the builder's own.
    fn apply(&mut self, f: &Fragment, id: impl Fn(u32) -> Option<u32>) {
        if let Some(w) = f.window {
            self.window.see(w);
        }
        for op in &f.ops {
            match *op {
                Op::Segment { key, span, bits } => {
                    let Some(key) = id(key) else { continue };
                    let acc = self.services.entry(key).or_default();
                    acc.active |= !bits.has(Bits::INFERRED);
                    acc.window.see(span);
                    acc.stats
                        .get_or_insert_with(Acc::default)
                        .record(span, bits);
                }
                Op::Call {
                    from,
                    to,
                    span,
                    bits,
                } => {
                    let (Some(from), Some(to)) = (id(from), id(to)) else {
                        continue;
                    };
                    if bits.has(Bits::INFERRED) {
                        let acc = self.services.entry(to).or_default();
                        acc.window.see(span);
                        acc.stats
                            .get_or_insert_with(Acc::default)
                            .record(span, bits);
                    }
                    self.services
                        .entry(from)
                        .or_default()
                        .edges
                        .entry(to)
                        .or_default()
                        .record(span, bits);
                }
                Op::Root { key, span, bits } | Op::Unknown { key, span, bits } => {
                    let Some(key) = id(key) else { continue };
                    if matches!(op, Op::Root { .. }) {
                        self.services.entry(key).or_default().root = true;
                    }
                    let client = self.clients.entry(key).or_default();
                    client.window.see(span);
                    client.edges.entry(key).or_default().record(span, bits);
                }
            }
        }
    }

    /// The graph so far.
    pub fn snapshot(&self) -> ServiceGraph {
        // Clients first, then services, each by key: reference IDs are positions in that order.
        let clients = self.sorted(&self.clients);
        let services = self.sorted(&self.services);
        let service_ref: IdMap<i64> = services
            .iter()
            .zip(clients.len() as i64..)
            .map(|(&(k, _), r)| (k, r))
            .collect();
        let nodes = clients
            .iter()
            .map(|&(k, acc)| (k, acc, true))
            .chain(services.iter().map(|&(k, acc)| (k, acc, false)));
        let services = nodes
            .zip(0..)
            .map(|((k, acc, client), reference_id)| {
                let k = self.keys.get(k);
                let mut edges: Vec<Edge> = acc
                    .edges
                    .iter()
                    .filter_map(|(target, e)| {
                        Some(Edge {
                            reference_id: *service_ref.get(target)?,
                            start_time: e.window.start,
                            end_time: e.window.end,
                            summary_statistics: Some(e.statistics()),
                            response_time_histogram: e.histogram(),
                            ..Edge::default()
                        })
                    })
                    .collect();
                edges.sort_by_key(|e| e.reference_id);
                let histogram = acc.stats.as_ref().map(Acc::histogram).unwrap_or_default();
                Service {
                    reference_id,
                    name: Some(k.name.clone()),
                    names: vec![k.name.clone()],
                    root: acc.root.then_some(true),
                    account_id: if client { None } else { k.account_id.clone() },
                    kind: Some(if client {
                        "client".to_owned()
                    } else {
                        k.kind.clone()
                    })
                    .filter(|s| !s.is_empty()),
                    state: Some(if acc.active { "active" } else { "unknown" }.to_owned()),
                    start_time: acc.window.start,
                    end_time: acc.window.end,
                    edges,
                    summary_statistics: acc.stats.as_ref().map(Acc::statistics),
                    duration_histogram: histogram.clone(),
                    response_time_histogram: histogram,
                    ..Service::default()
                }
            })
            .collect();
        ServiceGraph {
            start_time: self.window.start,
            end_time: self.window.end,
            services,
            ..ServiceGraph::default()
        }
    }

    /// The graph of everything added.
    pub fn finish(self) -> ServiceGraph {
        self.snapshot()
    }

    /// The nodes of `m` in the order of their keys.
    fn sorted<'s>(&self, m: &'s IdMap<NodeAcc>) -> Vec<(u32, &'s NodeAcc)> {
        let mut v: Vec<(u32, &NodeAcc)> = m.iter().map(|(&k, a)| (k, a)).collect();
        v.sort_by(|a, b| self.keys.get(a.0).cmp(self.keys.get(b.0)));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::assemble;
    use crate::engine::test_support::fixture_traces;
    use crate::model::graph::EdgeStatistics;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    /// The graph as JSON text: equal text is equal floats, bit for bit (`float_roundtrip`).
    fn json(g: &ServiceGraph) -> String {
        serde_json::to_string(g).expect("serializes")
    }

    #[test]
    fn ops_are_compact() {
        assert!(
            std::mem::size_of::<Op>() <= 32,
            "{}",
            std::mem::size_of::<Op>()
        );
    }

    #[test]
    fn service_keys_intern_once_and_only_grow() {
        let k = |n: &str| ServiceKey {
            name: n.to_owned(),
            kind: "remote".to_owned(),
            account_id: None,
        };
        let mut keys = ServiceKeys::new();
        assert!(keys.is_empty());
        assert_eq!(keys.intern(k("a")), 0);
        assert_eq!(keys.intern_ref(&k("b")), 1);
        assert_eq!(keys.intern(k("a")), 0);
        assert_eq!(keys.len(), 2);
        assert_eq!(keys.get(1), &k("b"));
        assert_eq!(keys.id_of(&k("b")), Some(1));
        assert_eq!(keys.id_of(&k("c")), None);
        let copy = keys.clone();
        assert_ne!(copy.token(), keys.token(), "a copy may grow apart");
        assert_eq!(copy.id_of(&k("a")), Some(0));
        for i in 0..1000 {
            keys.intern(k(&format!("n{i}")));
        }
        for (id, key) in keys.iter() {
            assert_eq!(keys.id_of(key), Some(id));
        }
    }

    /// The graph of `traces` through fragments sharing one key table, and by the old builder.
    fn check_against_reference(traces: &[Trace]) {
        let want = json(&reference::service_graph(traces));
        assert_eq!(json(&service_graph(traces)), want, "GraphBuilder::add");
        let mut keys = ServiceKeys::new();
        let frags: Vec<Fragment> = traces.iter().map(|t| Fragment::of(t, &mut keys)).collect();
        let mut b = GraphBuilder::new();
        for f in &frags {
            b.add_fragment(f, &keys);
        }
        assert_eq!(json(&b.finish()), want, "add_fragment");
        // Tables switched between fragments, and traces added directly, mixed in one builder.
        let mut b = GraphBuilder::new();
        let mut other = ServiceKeys::new();
        for (i, (t, f)) in traces.iter().zip(&frags).enumerate() {
            match i % 3 {
                0 => b.add_fragment(f, &keys),
                1 => b.add(t),
                _ => b.add_fragment(&Fragment::of(t, &mut other), &other),
            }
        }
        assert_eq!(json(&b.finish()), want, "mixed");
    }

    #[test]
    fn fragments_give_the_graph_of_the_traces() {
        check_against_reference(&block07());
        for path in [
            "aws-cli-examples/batch-traces-get.rst.output01.json",
            "awsdocs-aws-xray-developer-guide/xray-api-gettingdata.md.block02.json",
        ] {
            check_against_reference(&fixture_traces(path));
        }
    }

    #[test]
    fn fragment_nodes_edges_and_root() {
        let traces = block07();
        let mut keys = ServiceKeys::new();
        let f = Fragment::of(&traces[0], &mut keys);
        let name = |id: u32| keys.get(id).name.as_str();
        let edges: Vec<(&str, &str)> = f.edges().map(|(a, b)| (name(a), name(b))).collect();
        assert_eq!(edges.len(), 4, "{edges:?}");
        let root = f.root().expect("a root segment");
        assert_eq!(name(root.key), "Scorekeep");
        assert!(!root.in_progress);
        assert_eq!(root.flags, Flags::default());
        let roots: Vec<FragmentNode> = f.nodes().filter(|n| n.root).collect();
        assert_eq!(roots.len(), 1);
        assert_eq!(roots[0].key, root.key);
        assert!(f.nodes().any(|n| n.inferred));
        assert!(!f.is_empty() && f.len() > edges.len());
    }

    fn block07() -> Vec<Trace> {
        fixture_traces("awsdocs-aws-xray-developer-guide/xray-api-gettingdata.md.block07.json")
    }

    fn trace(docs: Vec<Value>) -> Trace {
        assemble(
            "1-a-b",
            docs.into_iter()
                .map(|v| serde_json::from_value::<Segment>(v).expect("valid test document")),
        )
    }

    fn find<'g>(g: &'g ServiceGraph, name: &str, kind: &str) -> &'g Service {
        g.services
            .iter()
            .find(|s| s.name.as_deref() == Some(name) && s.kind.as_deref() == Some(kind))
            .unwrap_or_else(|| panic!("no node {name} ({kind}) in {:#?}", g.services))
    }

    fn edge<'g>(g: &'g ServiceGraph, from: &Service, to: &Service) -> &'g Edge {
        let from = g.node(from.reference_id).expect("source");
        from.edges
            .iter()
            .find(|e| e.reference_id == to.reference_id)
            .unwrap_or_else(|| panic!("no edge {:?} -> {:?}", from.name, to.name))
    }

    fn stats(e: &Edge) -> &EdgeStatistics {
        e.summary_statistics.as_ref().expect("stats")
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn block07_nodes() {
        let g = service_graph(block07());
        let names: Vec<(Option<&str>, Option<&str>)> = g
            .services
            .iter()
            .map(|s| (s.name.as_deref(), s.kind.as_deref()))
            .collect();
        assert_eq!(
            names,
            vec![
                (Some("Scorekeep"), Some("client")),
                (Some("SNS"), Some("AWS::SNS")),
                (
                    Some("Scorekeep"),
                    Some("AWS::ElasticBeanstalk::Environment")
                ),
                (Some("random-name"), Some("AWS::Lambda")),
                (Some("random-name"), Some("AWS::Lambda::Function")),
                (Some("scorekeep-user"), Some("AWS::DynamoDB::Table")),
            ]
        );
        for (i, s) in g.services.iter().enumerate() {
            assert_eq!(s.reference_id, i as i64);
        }
        let root = find(&g, "Scorekeep", "AWS::ElasticBeanstalk::Environment");
        assert_eq!(root.root, Some(true));
        assert_eq!(root.state.as_deref(), Some("active"));
        let client = find(&g, "Scorekeep", "client");
        assert_eq!(client.root, None);
        assert_eq!(client.state.as_deref(), Some("unknown"));
        assert_eq!(client.summary_statistics, None);
        assert_eq!(
            find(&g, "scorekeep-user", "AWS::DynamoDB::Table")
                .state
                .as_deref(),
            Some("unknown")
        );
        assert_eq!(
            find(&g, "SNS", "AWS::SNS").state.as_deref(),
            Some("unknown")
        );
        let f = find(&g, "random-name", "AWS::Lambda::Function");
        assert_eq!(f.account_id.as_deref(), Some("123456789012"));
        assert_eq!(g.start_time, Some(1499473411.562));
        assert_eq!(g.end_time, Some(1499473414.794));
    }

    #[test]
    fn block07_edges_and_statistics() {
        let g = service_graph(block07());
        let client = find(&g, "Scorekeep", "client");
        let root = find(&g, "Scorekeep", "AWS::ElasticBeanstalk::Environment");
        let lambda = find(&g, "random-name", "AWS::Lambda");
        let func = find(&g, "random-name", "AWS::Lambda::Function");
        let table = find(&g, "scorekeep-user", "AWS::DynamoDB::Table");
        let sns = find(&g, "SNS", "AWS::SNS");

        let edge_count: usize = g.services.iter().map(|s| s.edges.len()).sum();
        assert_eq!(edge_count, 5);
        assert_eq!(client.edges.len(), 1);
        assert_eq!(root.edges.len(), 2);
        assert_eq!(lambda.edges.len(), 1);
        assert_eq!(func.edges.len(), 1);
        assert!(table.edges.is_empty() && sns.edges.is_empty());
        // Edges sorted by target.
        assert!(
            root.edges
                .windows(2)
                .all(|w| w[0].reference_id < w[1].reference_id)
        );

        let check = |e: &Edge, rt: f64| {
            let s = stats(e);
            assert_eq!((s.total_count, s.ok_count), (1, 1));
            assert!(
                close(s.total_response_time, rt),
                "{} != {rt}",
                s.total_response_time
            );
        };
        check(edge(&g, client, root), 3.232); // root segment
        check(edge(&g, root, lambda), 2.943); // Lambda Invoke subsegment
        check(edge(&g, root, table), 0.079); // DynamoDB nested in ## UserModel.saveUser
        check(edge(&g, lambda, func), 1.74); // function segment under the Lambda segment
        check(edge(&g, func, sns), 0.959); // SNS Publish subsegment

        let hist = &edge(&g, root, table).response_time_histogram;
        assert_eq!(
            hist,
            &vec![HistogramEntry {
                value: 0.079,
                count: 1
            }]
        );

        let rs = root.summary_statistics.as_ref().expect("stats");
        assert_eq!(rs.total_count, 1);
        assert!(close(rs.total_response_time, 3.232));
        assert_eq!(
            root.duration_histogram,
            vec![HistogramEntry {
                value: 3.232,
                count: 1
            }]
        );
        assert_eq!(root.duration_histogram, root.response_time_histogram);
        let ts = table.summary_statistics.as_ref().expect("stats");
        assert_eq!((ts.total_count, ts.ok_count), (1, 1));
        assert!(close(ts.total_response_time, 0.079));
    }

    #[test]
    fn inferred_segment_and_call_without_one_reach_the_same_node() {
        let path = "aws-cli-examples/batch-traces-get.rst.output01.json";
        let with_inferred = fixture_traces(path);
        // Same trace without the inferred segment: the call itself names the table.
        let mut bare = with_inferred.clone();
        let docs: Vec<Segment> = bare[0]
            .documents()
            .into_iter()
            .filter(|d| !d.is_inferred())
            .collect();
        bare[0] = assemble(&bare[0].id, docs);
        let a = service_graph(&with_inferred);
        let b = service_graph(&bare);
        assert_eq!(a, b);
        let table = find(&a, "scorekeep-user", "AWS::DynamoDB::Table");
        assert_eq!(
            table.summary_statistics.as_ref().map(|s| s.total_count),
            Some(1)
        );
        assert_eq!(a.services.len(), 3);
    }

    fn seg_with(flags: Value) -> Value {
        let mut v = json!({"id":"s1","name":"api","start_time":1.0,"end_time":1.5,"origin":"AWS::EC2::Instance"});
        if let (Some(o), Some(f)) = (v.as_object_mut(), flags.as_object()) {
            o.extend(f.clone());
        }
        v
    }

    #[test]
    fn root_outcomes_land_in_their_buckets() {
        let traces: Vec<Trace> = [
            json!({}),
            json!({"fault": true, "error": true}),
            json!({"error": true, "throttle": true}),
            json!({"error": true}),
            json!({"http": {"response": {"status": 503}}}),
            json!({"http": {"response": {"status": 429}}}),
            json!({"http": {"response": {"status": 404}}}),
            json!({"error": false, "http": {"response": {"status": 404}}}),
        ]
        .into_iter()
        .map(|f| trace(vec![seg_with(f)]))
        .collect();
        let g = service_graph(&traces);
        let client = find(&g, "api", "client");
        let api = find(&g, "api", "AWS::EC2::Instance");
        let want = EdgeStatistics {
            ok_count: 2,
            error_statistics: ErrorStatistics {
                throttle_count: 2,
                other_count: 2,
                total_count: 4,
            },
            fault_statistics: FaultStatistics {
                other_count: 2,
                total_count: 2,
            },
            total_count: 8,
            total_response_time: 4.0,
        };
        assert_eq!(stats(edge(&g, client, api)), &want);
        assert_eq!(api.summary_statistics.as_ref(), Some(&want));
        assert_eq!(
            api.response_time_histogram,
            vec![HistogramEntry {
                value: 0.5,
                count: 8
            }]
        );
    }

    #[test]
    fn call_outcomes_come_from_the_calling_subsegment() {
        let t = trace(vec![
            json!({"id":"s1","name":"api","start_time":1.0,"end_time":2.0,"subsegments":[
                {"id":"c1","name":"DynamoDB","namespace":"aws","start_time":1.1,"end_time":1.2,"throttle":true,"error":true,
                 "aws":{"table_name":"t"}},
                {"id":"c2","name":"DynamoDB","namespace":"aws","start_time":1.2,"end_time":1.4,
                 "http":{"response":{"status":500}},"aws":{"table_name":"t"}},
                {"id":"c3","name":"DynamoDB","namespace":"aws","start_time":1.4,"end_time":1.5,
                 "http":{"response":{"status":400}},"aws":{"table_name":"t"}},
                {"id":"c4","name":"DynamoDB","namespace":"aws","start_time":1.5,"end_time":1.505,"aws":{"table_name":"t"}}
            ]}),
        ]);
        let g = service_graph([&t]);
        let api = g
            .services
            .iter()
            .find(|s| s.name.as_deref() == Some("api") && s.kind.is_none())
            .expect("api node without a type");
        let table = find(&g, "t", "AWS::DynamoDB::Table");
        let s = stats(edge(&g, api, table));
        assert_eq!(s.total_count, 4);
        assert_eq!(s.ok_count, 1);
        assert_eq!(s.fault_statistics.total_count, 1);
        assert_eq!(s.error_statistics.throttle_count, 1);
        assert_eq!(s.error_statistics.other_count, 1);
        assert_eq!(s.error_statistics.total_count, 2);
        assert!(close(s.total_response_time, 0.405));
        assert_eq!(table.summary_statistics.as_ref(), Some(s));
        let hist = &edge(&g, api, table).response_time_histogram;
        let values: Vec<f64> = hist.iter().map(|h| h.value).collect();
        assert_eq!(values, vec![0.005, 0.1, 0.2]);
        assert_eq!(hist.iter().map(|h| h.count).sum::<u64>(), 4);
    }

    #[test]
    fn nested_call_counts_once_and_reaches_the_traced_service() {
        // A remote call wrapping its HTTP request; the downstream segment hangs under the inner
        // one. One call, to the traced service, not to an inferred "orders-client" node.
        let t = trace(vec![
            json!({"id":"s1","name":"api","start_time":1.0,"end_time":2.0,"subsegments":[
                {"id":"outer","name":"orders-client","namespace":"remote","start_time":1.1,"end_time":1.9,"subsegments":[
                    {"id":"inner","name":"orders.local","namespace":"remote","start_time":1.15,"end_time":1.85,
                     "http":{"request":{"url":"http://orders.local/"},"response":{"status":200}}}
                ]},
                {"id":"r1","name":"cache","namespace":"remote","start_time":1.0,"end_time":1.05,"subsegments":[
                    {"id":"r2","name":"cache-http","namespace":"remote","start_time":1.0,"end_time":1.04}
                ]}
            ]}),
            json!({"id":"s2","name":"orders","parent_id":"inner","start_time":1.2,"end_time":1.8}),
        ]);
        let g = service_graph([&t]);
        let api = g
            .services
            .iter()
            .find(|s| s.name.as_deref() == Some("api") && s.kind.is_none())
            .expect("api");
        let names: Vec<&str> = api
            .edges
            .iter()
            .filter_map(|e| g.node(e.reference_id)?.name.as_deref())
            .collect();
        assert_eq!(names, vec!["cache", "orders"]);
        for e in &api.edges {
            assert_eq!(stats(e).total_count, 1);
        }
        let orders = g
            .services
            .iter()
            .find(|s| s.name.as_deref() == Some("orders"))
            .expect("orders");
        assert!(
            close(stats(edge(&g, api, orders)).total_response_time, 0.8),
            "measured on the outer call"
        );
        assert!(
            g.services
                .iter()
                .all(|s| s.name.as_deref() != Some("cache-http"))
        );
        assert!(
            g.services
                .iter()
                .all(|s| s.name.as_deref() != Some("orders-client"))
        );
    }

    #[test]
    fn queue_sits_between_producer_and_consumer() {
        let t = trace(vec![
            json!({"id":"p1","name":"producer","origin":"AWS::EC2::Instance","trace_id":"1-5f2aebcc-b475d14618c51eaa28753d37","start_time":1.0,"end_time":2.0,
                "subsegments":[{"id":"sq","name":"SQS","namespace":"aws","start_time":1.1,"end_time":1.2,
                    "aws":{"operation":"SendMessage","queue_url":"https://sqs.eu-west-1.amazonaws.com/123456789012/order-events"}}]}),
            json!({"id":"c1","name":"consumer","origin":"AWS::ECS::Container","trace_id":"1-5f2aebcc-b475d14618c51eaa28753d37","parent_id":"sq","start_time":1.3,"end_time":1.5}),
        ]);
        let g = service_graph([&t]);
        let producer = find(&g, "producer", "AWS::EC2::Instance");
        let queue = find(&g, "order-events", "AWS::SQS::Queue");
        let consumer = find(&g, "consumer", "AWS::ECS::Container");
        assert_eq!(stats(edge(&g, producer, queue)).total_count, 1);
        assert_eq!(stats(edge(&g, queue, consumer)).total_count, 1);
        assert!(
            producer
                .edges
                .iter()
                .all(|e| e.reference_id != consumer.reference_id),
            "no direct producer -> consumer edge"
        );
    }

    #[test]
    fn in_progress_creates_nodes_but_is_not_counted() {
        let t = trace(vec![
            json!({"id":"s1","name":"api","start_time":1.0,"in_progress":true,"subsegments":[
                {"id":"c1","name":"SQS","namespace":"aws","start_time":1.1,"in_progress":true,"aws":{"queue_url":"https://sqs/1/jobs"},
                 "fault": true},
                {"id":"c2","name":"SQS","namespace":"aws","start_time":1.1,"end_time":1.2,"in_progress":true,
                 "aws":{"queue_url":"https://sqs/1/jobs"}}
            ]}),
        ]);
        let g = service_graph([&t]);
        assert_eq!(g.services.len(), 3);
        let client = find(&g, "api", "client");
        let queue = find(&g, "jobs", "AWS::SQS::Queue");
        assert_eq!(stats(&client.edges[0]).total_count, 0);
        assert!(client.edges[0].response_time_histogram.is_empty());
        assert_eq!(
            queue.summary_statistics.as_ref().map(|s| s.total_count),
            Some(0)
        );
        assert_eq!(queue.start_time, Some(1.1));
        let api = g
            .services
            .iter()
            .find(|s| s.name.as_deref() == Some("api") && s.kind.is_none())
            .expect("api");
        assert_eq!(api.edges.len(), 1);
        assert_eq!(stats(&api.edges[0]).total_count, 0);
        assert_eq!(stats(&api.edges[0]).fault_statistics.total_count, 0);
        assert_eq!(g.end_time, Some(1.2));
    }

    #[test]
    fn orphans_do_not_panic_and_belong_to_no_service() {
        let t = trace(vec![
            json!({"id":"x1","name":"DynamoDB","type":"subsegment","parent_id":"gone","namespace":"aws",
                   "start_time":1.0,"end_time":2.0,"aws":{"table_name":"t"}}),
            json!({"id":"s9","name":"worker","parent_id":"x1","start_time":1.1,"end_time":1.9}),
        ]);
        let g = service_graph([&t]);
        let names: Vec<&str> = g
            .services
            .iter()
            .filter_map(|s| s.name.as_deref())
            .collect();
        // The segment's caller is an orphan: a client calls it, and it is not an entry point.
        assert_eq!(names, vec!["worker", "worker"], "no table; a client");
        let client = find(&g, "worker", "client");
        assert_eq!(client.edges.len(), 1);
        assert_eq!(stats(&client.edges[0]).total_count, 1);
        let worker = g
            .services
            .iter()
            .find(|s| s.kind.as_deref() != Some("client"))
            .expect("worker");
        assert_eq!(worker.root, None, "not a root");
        assert!(
            g.services
                .iter()
                .all(|s| s.edges.iter().all(|e| g.node(e.reference_id).is_some()))
        );
    }

    /// A Lambda function's calls sent through a local daemon hang under the function's
    /// segment, which Lambda itself sends (so it never arrives locally): the backend they call
    /// still gets an edge for each of its requests.
    #[test]
    fn every_request_into_a_service_arrives_by_an_edge_even_from_an_orphan() {
        let frontend = |n: &str| {
            json!({"id": format!("f{n}"), "name": "web", "start_time": 1.0, "end_time": 2.0,
                   "subsegments": [{"id": format!("c{n}"), "name": "backend",
                   "namespace": "remote", "start_time": 1.1, "end_time": 1.9,
                   "http": {"request": {"method": "GET", "url": "http://backend/x"}}}]})
        };
        let backend = |n: &str| {
            json!({"id": format!("b{n}"), "name": "backend", "parent_id": format!("c{n}"),
                   "start_time": 1.2, "end_time": 1.8})
        };
        let mut traces: Vec<Trace> = ["1", "2"]
            .iter()
            .map(|n| trace(vec![frontend(n), backend(n)]))
            .collect();
        // The facade: the SDK's subsegments name the function's segment (never received) as
        // their parent; one of them calls the backend.
        traces.push(trace(vec![
            json!({"id": "c3", "name": "backend", "type": "subsegment",
                   "parent_id": "0f1e2d3c4b5a6978", "namespace": "remote",
                   "start_time": 1.0, "end_time": 1.5,
                   "http": {"request": {"method": "GET", "url": "http://backend/x"}}}),
            backend("3"),
        ]));
        let g = service_graph(&traces);
        let b = g
            .services
            .iter()
            .find(|s| s.name.as_deref() == Some("backend") && s.kind.as_deref() != Some("client"))
            .expect("backend");
        let requests = b.summary_statistics.as_ref().map(|s| s.total_count);
        let incoming: u64 = g
            .services
            .iter()
            .flat_map(|s| &s.edges)
            .filter(|e| e.reference_id == b.reference_id)
            .map(|e| stats(e).total_count)
            .sum();
        assert_eq!(requests, Some(3));
        assert_eq!(
            incoming, 3,
            "2 from web, 1 from a client: the unknown caller"
        );
        assert_eq!(
            edge(&g, find(&g, "backend", "client"), b)
                .summary_statistics
                .as_ref()
                .map(|s| s.total_count),
            Some(1)
        );
        assert_eq!(b.root, None);
    }

    #[test]
    fn order_of_traces_does_not_matter_and_builder_matches() {
        let mut traces = block07();
        traces.push(trace(vec![seg_with(json!({"fault": true}))]));
        let a = service_graph(&traces);
        traces.reverse();
        let b = service_graph(&traces);
        assert_eq!(a, b);
        let mut builder = GraphBuilder::new();
        builder.add(&traces[0]);
        let partial = builder.snapshot();
        assert_eq!(partial.services.len(), 2);
        builder.add(&traces[1]);
        assert_eq!(builder.finish(), a);
    }

    #[test]
    fn json_has_the_api_shape() {
        let g = service_graph(block07());
        let v = serde_json::to_value(&g).expect("serializes");
        let client = &v["Services"][0];
        assert_eq!(client["Type"], "client");
        assert_eq!(client["State"], "unknown");
        assert!(client.get("SummaryStatistics").is_none());
        assert_eq!(v["Services"][2]["Root"], true);
        assert_eq!(v["Services"][2]["Edges"][0]["Aliases"], json!([]));
        let back: ServiceGraph = serde_json::from_value(v).expect("reads back");
        assert_eq!(back, g);
    }

    /// Random small traces: each entity is a segment or a subsegment document, with a random
    /// parent (an earlier entity, a missing one, or none), random call-ness, flags and progress.
    fn arb_trace() -> impl Strategy<Value = Trace> {
        let entity = (
            any::<bool>(),
            0usize..10,
            0u8..4,
            0u8..6,
            any::<bool>(),
            0u8..3,
            0u16..600,
            1u32..400,
        );
        proptest::collection::vec(entity, 1..10).prop_map(|ents| {
            let docs: Vec<Value> = ents
                .iter()
                .enumerate()
                .map(
                    |(i, &(is_sub, parent, ns, flags, in_progress, name, status, dur))| {
                        let mut d = json!({"id": format!("e{i}"), "name": format!("svc{name}"),
                        "start_time": 100.0 + i as f64 * 0.01});
                        let o = d.as_object_mut().expect("object");
                        if is_sub {
                            o.insert("type".into(), json!("subsegment"));
                        }
                        if parent < i {
                            o.insert("parent_id".into(), json!(format!("e{parent}")));
                        } else if parent == 9 {
                            o.insert("parent_id".into(), json!("missing"));
                        }
                        match ns {
                            1 => {
                                o.insert("namespace".into(), json!("aws"));
                                o.insert("aws".into(), json!({"table_name": "tbl"}));
                            }
                            2 => {
                                o.insert("namespace".into(), json!("remote"));
                            }
                            3 if !is_sub => {
                                o.insert("inferred".into(), json!(true));
                                o.insert("aws".into(), json!({}));
                            }
                            _ => {}
                        }
                        match flags {
                            1 => {
                                o.insert("fault".into(), json!(true));
                            }
                            2 => {
                                o.insert("error".into(), json!(true));
                            }
                            3 => {
                                o.insert("throttle".into(), json!(true));
                                o.insert("error".into(), json!(true));
                            }
                            _ => {}
                        }
                        o.insert("http".into(), json!({"response": {"status": status}}));
                        if in_progress {
                            o.insert("in_progress".into(), json!(true));
                        } else {
                            o.insert(
                                "end_time".into(),
                                json!(100.0 + i as f64 * 0.01 + f64::from(dur) / 1000.0),
                            );
                        }
                        d
                    },
                )
                .collect();
            trace(docs)
        })
    }

    fn consistent(s: &EdgeStatistics, hist: &[HistogramEntry]) -> Result<(), TestCaseError> {
        prop_assert_eq!(
            s.ok_count + s.error_statistics.total_count + s.fault_statistics.total_count,
            s.total_count
        );
        prop_assert_eq!(
            s.error_statistics.throttle_count + s.error_statistics.other_count,
            s.error_statistics.total_count
        );
        prop_assert_eq!(hist.iter().map(|h| h.count).sum::<u64>(), s.total_count);
        prop_assert!(hist.windows(2).all(|w| w[0].value < w[1].value));
        Ok(())
    }

    proptest! {
        #[test]
        fn graph_is_well_formed(traces in proptest::collection::vec(arb_trace(), 1..4)) {
            let g = service_graph(&traces);
            let ids: std::collections::BTreeSet<i64> = g.services.iter().map(|s| s.reference_id).collect();
            prop_assert_eq!(ids.len(), g.services.len(), "reference IDs are unique");
            for s in &g.services {
                if let Some(st) = &s.summary_statistics {
                    consistent(st, &s.response_time_histogram)?;
                    prop_assert_eq!(&s.duration_histogram, &s.response_time_histogram);
                }
                for e in &s.edges {
                    prop_assert!(ids.contains(&e.reference_id), "edge to a missing node");
                    consistent(stats(e), &e.response_time_histogram)?;
                }
                prop_assert!(s.edges.windows(2).all(|w| w[0].reference_id < w[1].reference_id));
            }
            let completed = traces.iter().flat_map(|t| &t.nodes).filter(|n| !n.doc.is_in_progress()).count();
            let counted: u64 = g.services.iter().filter_map(|s| s.summary_statistics.as_ref()).map(|s| s.total_count).sum();
            prop_assert!(counted as usize <= completed, "each entity counted at most once on a node");
            let mut rev = traces.clone();
            rev.reverse();
            prop_assert_eq!(service_graph(&rev), g);
            check_against_reference(&traces);
        }
    }

    /// The builder as it was before fragments, kept to check that the fragment path gives the
    /// same graph, bit for bit.
    mod reference {
        #![allow(dead_code)]
        use std::collections::BTreeMap;

        use crate::engine::service::{self, ServiceKey};
        use crate::model::graph::{
            Edge, EdgeStatistics, ErrorStatistics, FaultStatistics, HistogramEntry, Service,
        };
        use crate::model::segment::Outcome;
        use crate::model::{Segment, ServiceGraph, Trace};

        pub fn service_graph<'a>(traces: impl IntoIterator<Item = &'a Trace>) -> ServiceGraph {
            let mut b = GraphBuilder::new();
            for t in traces {
                b.add(t);
            }
            b.finish()
        }

        /// Builds a service graph one trace at a time (for the daemon, which receives traces as they
        /// complete). [`GraphBuilder::snapshot`] can be taken at any time.
        #[derive(Debug, Clone, Default)]
        pub struct GraphBuilder {
            nodes: BTreeMap<NodeKey, NodeAcc>,
            window: Window,
        }

        /// A graph node before reference IDs are assigned. Clients sort before services.
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
        enum NodeKey {
            Client(ServiceKey),
            Service(ServiceKey),
        }

        #[derive(Debug, Clone, Default)]
        struct NodeAcc {
            root: bool,
            active: bool,
            /// `None` for clients, which have no statistics of their own.
            stats: Option<Acc>,
            window: Window,
            edges: BTreeMap<NodeKey, Acc>,
        }

        /// First start and last end seen.
        #[derive(Debug, Clone, Copy, Default)]
        struct Window {
            start: Option<f64>,
            end: Option<f64>,
        }

        impl Window {
            fn see(&mut self, doc: &Segment) {
                let end = doc.end_time.unwrap_or(doc.start_time);
                self.start = Some(self.start.map_or(doc.start_time, |s| s.min(doc.start_time)));
                self.end = Some(self.end.map_or(end, |e| e.max(end)));
            }
        }

        /// Statistics of the requests measured on one node or edge.
        #[derive(Debug, Clone, Default)]
        struct Acc {
            ok: u64,
            error_other: u64,
            throttle: u64,
            fault: u64,
            total_response_time: f64,
            /// Duration in whole milliseconds → count.
            histogram: BTreeMap<i64, u64>,
            window: Window,
        }

        fn outcome(doc: &Segment) -> Outcome {
            doc.outcome()
        }

        impl Acc {
            /// Records one request measured on `doc` (time window only, while in progress).
            fn record(&mut self, doc: &Segment) {
                self.window.see(doc);
                if doc.is_in_progress() {
                    return;
                }
                let Some(d) = doc.duration() else { return };
                match outcome(doc) {
                    Outcome::Ok => self.ok += 1,
                    Outcome::Error => self.error_other += 1,
                    Outcome::Throttle => self.throttle += 1,
                    Outcome::Fault => self.fault += 1,
                }
                self.total_response_time += d;
                // `as` saturates (and maps NaN to 0): damaged times cannot panic here.
                *self
                    .histogram
                    .entry((d * 1000.0).round() as i64)
                    .or_default() += 1;
            }

            fn total(&self) -> u64 {
                self.ok + self.error_other + self.throttle + self.fault
            }

            fn statistics(&self) -> EdgeStatistics {
                EdgeStatistics {
                    ok_count: self.ok,
                    error_statistics: ErrorStatistics {
                        throttle_count: self.throttle,
                        other_count: self.error_other,
                        total_count: self.throttle + self.error_other,
                    },
                    fault_statistics: FaultStatistics {
                        other_count: self.fault,
                        total_count: self.fault,
                    },
                    total_count: self.total(),
                    total_response_time: self.total_response_time,
                }
            }

            fn histogram(&self) -> Vec<HistogramEntry> {
                self.histogram
                    .iter()
                    .map(|(&ms, &count)| HistogramEntry {
                        value: ms as f64 / 1000.0,
                        count,
                    })
                    .collect()
            }
        }

        impl GraphBuilder {
            /// An empty graph.
            pub fn new() -> Self {
                Self::default()
            }

            /// Adds one trace's entities, calls and entry request.
            pub fn add(&mut self, trace: &Trace) {
                for node in &trace.nodes {
                    self.window.see(&node.doc);
                }
                for (_, node) in trace.segment_nodes() {
                    let key = service::of_segment(&node.doc);
                    let acc = self.service(&key);
                    acc.active |= !node.doc.is_inferred();
                    acc.window.see(&node.doc);
                    acc.stats.get_or_insert_with(Acc::default).record(&node.doc);
                }
                for call in service::calls(trace) {
                    let doc = &trace.nodes[call.measured_on].doc;
                    if call.inferred_target {
                        let acc = self.service(&call.to);
                        acc.window.see(doc);
                        acc.stats.get_or_insert_with(Acc::default).record(doc);
                    }
                    self.edge(&call.from, NodeKey::Service(call.to), doc);
                }
                // A segment whose path up holds no other segment, under an orphan: a client.
                for (id, node) in trace.segment_nodes() {
                    let path = trace.path_to(id);
                    let others = path
                        .iter()
                        .filter(|&&n| {
                            n != id && trace.nodes[n].kind == crate::model::NodeKind::Segment
                        })
                        .count();
                    if path.len() > 1 && others == 0 && !node.doc.is_inferred() {
                        let key = service::of_segment(&node.doc);
                        let client = self.nodes.entry(NodeKey::Client(key.clone())).or_default();
                        client.window.see(&node.doc);
                        client
                            .edges
                            .entry(NodeKey::Service(key))
                            .or_default()
                            .record(&node.doc);
                    }
                }
                if let Some(r) = trace.root_segment() {
                    let doc = &trace.nodes[r].doc;
                    if !doc.is_inferred() {
                        let key = service::of_segment(doc);
                        self.service(&key).root = true;
                        let client = self.nodes.entry(NodeKey::Client(key.clone())).or_default();
                        client.window.see(doc);
                        client
                            .edges
                            .entry(NodeKey::Service(key))
                            .or_default()
                            .record(doc);
                    }
                }
            }

            /// The graph so far.
            pub fn snapshot(&self) -> ServiceGraph {
                let ids: BTreeMap<&NodeKey, i64> = self.nodes.keys().zip(0..).collect();
                let services = self
                    .nodes
                    .iter()
                    .zip(0..)
                    .map(|((key, acc), reference_id)| {
                        let (k, client) = match key {
                            NodeKey::Client(k) => (k, true),
                            NodeKey::Service(k) => (k, false),
                        };
                        let mut edges: Vec<Edge> = acc
                            .edges
                            .iter()
                            .filter_map(|(target, e)| {
                                Some(Edge {
                                    reference_id: *ids.get(target)?,
                                    start_time: e.window.start,
                                    end_time: e.window.end,
                                    summary_statistics: Some(e.statistics()),
                                    response_time_histogram: e.histogram(),
                                    ..Edge::default()
                                })
                            })
                            .collect();
                        edges.sort_by_key(|e| e.reference_id);
                        let histogram = acc.stats.as_ref().map(Acc::histogram).unwrap_or_default();
                        Service {
                            reference_id,
                            name: Some(k.name.clone()),
                            names: vec![k.name.clone()],
                            root: acc.root.then_some(true),
                            account_id: if client { None } else { k.account_id.clone() },
                            kind: Some(if client {
                                "client".to_owned()
                            } else {
                                k.kind.clone()
                            })
                            .filter(|s| !s.is_empty()),
                            state: Some(if acc.active { "active" } else { "unknown" }.to_owned()),
                            start_time: acc.window.start,
                            end_time: acc.window.end,
                            edges,
                            summary_statistics: acc.stats.as_ref().map(Acc::statistics),
                            duration_histogram: histogram.clone(),
                            response_time_histogram: histogram,
                            ..Service::default()
                        }
                    })
                    .collect();
                ServiceGraph {
                    start_time: self.window.start,
                    end_time: self.window.end,
                    services,
                    ..ServiceGraph::default()
                }
            }

            /// The graph of everything added.
            pub fn finish(self) -> ServiceGraph {
                self.snapshot()
            }

            fn service(&mut self, key: &ServiceKey) -> &mut NodeAcc {
                self.nodes.entry(NodeKey::Service(key.clone())).or_default()
            }

            fn edge(&mut self, from: &ServiceKey, to: NodeKey, measured_on: &Segment) {
                self.service(from)
                    .edges
                    .entry(to)
                    .or_default()
                    .record(measured_on);
            }
        }
    }
}
