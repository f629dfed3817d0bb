//! Analysis across traces: group the traces by a dimension (URL, status, user, service, edge,
//! annotation value, root-cause service, ...) and say, per group, how many traces, how many
//! failed, and how slow they were — with the X-Ray filter expression that selects exactly that
//! group's traces, so every answer leads back to the traces behind it (`query --filter`, the
//! app's filter prompt, or the X-Ray console).
//!
//! It lives with the filter because each group is defined by a filter clause: a trace is in a
//! group exactly when the group's clause matches it (the tests check this for every row).
//! Percentiles are nearest-rank over the traces' response times (the entry segment's duration;
//! a trace still in progress counts with its duration so far).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

use crate::engine::dataset::Dataset;
use crate::filter::print::{annotation_keyword, write_string};
use crate::model::format::url_path;
use crate::model::rootcause::{RootCauseKind, RootCausePath};
use crate::model::summary::SummaryAnnotationValue;
use crate::model::trace::{NodeId, NodeKind, Trace};

/// What traces are grouped by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dimension {
    /// The service at the end of each fault and error root-cause path.
    RootCause,
    /// The service at the end of each fault root-cause path.
    FaultRootCause,
    /// The service at the end of each error root-cause path.
    ErrorRootCause,
    /// The entry request's URL.
    Url,
    /// The entry request's HTTP status.
    Status,
    /// The entry request's method.
    Method,
    /// Each user seen in the trace.
    User,
    /// Each service (graph node name) in the trace.
    Service,
    /// Each call between two services.
    Edge,
    /// Each value of one annotation.
    Annotation(String),
    /// Each operation: the URL path of a segment's request, the `aws.operation` of an AWS call
    /// (`checkout: GET /api/cart`, `checkout: DynamoDB GetItem`). X-Ray's filter language
    /// cannot select an operation, so these groups have no filter.
    Operation,
    /// The entity at the end of each fault and error root-cause path.
    RootCauseEntity,
    /// Each exception type on a fault or error root-cause path.
    Exception,
    /// Each resource ARN of the trace's segments.
    ResourceArn,
    /// Each X-Ray SDK (name and version) that recorded a segment; no filter selects it.
    Sdk,
}

impl Dimension {
    /// Whether X-Ray's filter language can select this dimension's groups (every group then
    /// has a filter; otherwise none has).
    pub const fn filterable(&self) -> bool {
        !matches!(self, Dimension::Operation | Dimension::Sdk)
    }
}

/// What a group without a filter says in its filter's place.
pub const NO_FILTER: &str = "(no X-Ray filter selects it)";

impl std::str::FromStr for Dimension {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "rootcause" => Dimension::RootCause,
            "fault-rootcause" => Dimension::FaultRootCause,
            "error-rootcause" => Dimension::ErrorRootCause,
            "url" => Dimension::Url,
            "status" => Dimension::Status,
            "method" => Dimension::Method,
            "user" => Dimension::User,
            "service" => Dimension::Service,
            "edge" => Dimension::Edge,
            "operation" => Dimension::Operation,
            "rootcause-entity" => Dimension::RootCauseEntity,
            "exception" => Dimension::Exception,
            "resource-arn" => Dimension::ResourceArn,
            "sdk" => Dimension::Sdk,
            _ => match s.strip_prefix("annotation.") {
                Some(key) if !key.is_empty() => Dimension::Annotation(key.to_owned()),
                _ => {
                    return Err(format!(
                        "`{s}`: group by rootcause, fault-rootcause, error-rootcause, \
                         rootcause-entity, exception, url, status, method, user, service, edge, \
                         operation, resource-arn, sdk or annotation.KEY"
                    ));
                }
            },
        })
    }
}

/// One group of traces.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// What the traces share (`/api/cart`, `503`, `checkout -> payments`).
    pub key: String,
    /// The filter expression that selects exactly these traces; empty when X-Ray's filter
    /// language cannot select them ([`Dimension::filterable`]).
    pub filter: String,
    /// Traces in the group.
    pub count: usize,
    /// `count` as a share of the traces analysed (0 to 1).
    pub share: f64,
    /// Of them, with a fault.
    pub faults: usize,
    /// With an error.
    pub errors: usize,
    /// Throttled.
    pub throttles: usize,
    /// Response-time percentiles (seconds), nearest-rank.
    pub p50: Option<f64>,
    /// See `p50`.
    pub p90: Option<f64>,
    /// See `p50`.
    pub p99: Option<f64>,
}

/// The `p`-th percentile (0 to 100) of `sorted` values by nearest rank: the smallest value
/// with at least `p`% of the values at or below it.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

/// The `p`-th percentiles of `values` (in any order; reordered), as [`percentile`] gives them
/// of the sorted values, each found by selection rather than a whole sort.
fn percentiles<const N: usize>(values: &mut [f64], ps: [f64; N]) -> [Option<f64>; N] {
    ps.map(|p| {
        if values.is_empty() {
            return None;
        }
        let rank = ((p / 100.0) * values.len() as f64).ceil().max(1.0) as usize;
        let at = rank.min(values.len()) - 1;
        let (_, v, _) = values.select_nth_unstable_by(at, f64::total_cmp);
        Some(*v)
    })
}

fn quoted(s: &str) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_string(&mut out, s);
    out
}

/// Groups in the order first met, found by key without allocating: a key and its filter are
/// built once, when the group is new. Each trace counts once per group.
#[derive(Default)]
struct Grouper {
    groups: Vec<(String, String, Vec<usize>)>,
    index: foldhash::HashMap<String, usize>,
}

impl Grouper {
    fn add(&mut self, key: &str, filter: &dyn Fn() -> String, row: usize) {
        let at = match self.index.get(key) {
            Some(&at) => at,
            None => {
                self.index.insert(key.to_owned(), self.groups.len());
                self.groups.push((key.to_owned(), filter(), Vec::new()));
                self.groups.len() - 1
            }
        };
        let members = &mut self.groups[at].2;
        if members.last() != Some(&row) {
            members.push(row);
        }
    }

    /// The groups with their tallies (shares of `total` traces), in the order first met.
    fn finish(self, data: &Dataset, total: usize) -> Vec<(Group, Vec<usize>)> {
        self.groups
            .into_iter()
            .map(|(key, filter, members)| (Group::of(key, filter, &members, data, total), members))
            .collect()
    }
}

impl Group {
    /// The group of traces `members` (rows of `data`, of `total` analysed).
    fn of(key: String, filter: String, members: &[usize], data: &Dataset, total: usize) -> Group {
        let t = Tally::of(data, members);
        Group {
            filter,
            count: members.len(),
            share: if total == 0 {
                0.0
            } else {
                members.len() as f64 / total as f64
            },
            faults: t.faults,
            errors: t.errors,
            throttles: t.throttles,
            p50: percentile(&t.times, 50.0),
            p90: percentile(&t.times, 90.0),
            p99: percentile(&t.times, 99.0),
            key,
        }
    }
}

/// Largest first, then by key.
fn largest_first(groups: &mut [Group]) {
    groups.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
}

/// The root-cause kinds of a dimension, with their filter words.
fn failure_kinds(dim: &Dimension) -> &'static [(RootCauseKind, &'static str)] {
    match dim {
        Dimension::FaultRootCause => &[(RootCauseKind::Fault, "fault")],
        Dimension::ErrorRootCause => &[(RootCauseKind::Error, "error")],
        _ => &[
            (RootCauseKind::Fault, "fault"),
            (RootCauseKind::Error, "error"),
        ],
    }
}

/// One trace as the dimensions see it: its row, and its summary and assembled trace, each
/// worked out once, when a dimension first needs it.
struct Seen<'a> {
    data: &'a Dataset,
    row: usize,
    table: Option<&'a FactTable>,
    summary: std::cell::OnceCell<Option<std::sync::Arc<crate::model::TraceSummary>>>,
    trace: std::cell::OnceCell<Option<std::sync::Arc<Trace>>>,
    facts: std::cell::OnceCell<Option<Arc<Facts>>>,
}

impl<'a> Seen<'a> {
    fn new(data: &'a Dataset, row: usize, table: Option<&'a FactTable>) -> Self {
        Seen {
            data,
            row,
            table,
            summary: std::cell::OnceCell::new(),
            trace: std::cell::OnceCell::new(),
            facts: std::cell::OnceCell::new(),
        }
    }

    /// The kept summary, or one worked out from [`Seen::trace`] (assembled once for both).
    fn summary(&self) -> Option<&crate::model::TraceSummary> {
        self.summary
            .get_or_init(|| match self.data.kept_summary(self.row) {
                Some(s) => Some(s.clone()),
                // From the trace (not `Dataset::summary_of`, which finds the row again by a
                // scan of every row).
                None => Some(std::sync::Arc::new(crate::engine::summarize(self.trace()?))),
            })
            .as_deref()
    }

    fn trace(&self) -> Option<&Trace> {
        self.trace
            .get_or_init(|| {
                let r = self.data.rows.get(self.row)?;
                // Built without the cache: a pass over many traces would only push out the
                // ones a person opened.
                self.data
                    .traces
                    .position(&r.id)
                    .and_then(|t| self.data.traces.build(t))
            })
            .as_deref()
    }

    /// What the analysis reads of the trace: from the table when it has them, else worked
    /// out from the summary and the trace.
    fn facts(&self) -> Option<&Facts> {
        self.facts
            .get_or_init(|| {
                if let Some(f) = self.table.and_then(|t| t.get(self.row)) {
                    return Some(f.clone());
                }
                let summary = self.summary()?;
                Some(Arc::new(Facts::of(
                    summary,
                    self.trace(),
                    &mut Strings::default(),
                )))
            })
            .as_deref()
    }
}

/// What the analysis across traces reads of one trace besides its list row (root causes,
/// annotations, resource ARNs, SDKs, operations), worked out once from its summary and its
/// assembled trace: the views then group and count without assembling anything
/// ([`FactTable`]).
#[derive(Debug, Default, PartialEq)]
pub struct Facts {
    causes: Vec<CauseEnd>,
    annotations: Vec<(Arc<str>, SummaryAnnotationValue)>,
    arns: Vec<Arc<str>>,
    sdks: Vec<Arc<str>>,
    operations: Vec<Operation>,
}

/// Where one root-cause path ends.
#[derive(Debug, PartialEq)]
struct CauseEnd {
    kind: RootCauseKind,
    /// The last service of the path.
    service: Arc<str>,
    /// The last entity with a name (`""`: none).
    entity: Arc<str>,
    /// The last exception with a name, and its message (faults and errors).
    exception: Option<(Arc<str>, Option<Arc<str>>)>,
    /// Every exception name on the path.
    exceptions: Vec<Arc<str>>,
    /// The path records an exception (named or not).
    any_exception: bool,
}

/// One entity that is an operation ([`operation_of`]).
#[derive(Debug, PartialEq)]
struct Operation {
    /// `service: operation`.
    key: Arc<str>,
    start: f64,
    duration: Option<f64>,
    error: bool,
    fault: bool,
}

/// Strings shared by the facts of many traces (most are the same few names).
#[derive(Default)]
struct Strings(HashMap<Box<str>, Arc<str>>);

impl Strings {
    fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.0.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        self.0.insert(s.into(), a.clone());
        a
    }
}

impl Facts {
    /// The facts of a trace from its summary and (for operations and SDKs) its assembled
    /// trace.
    fn of(s: &crate::model::TraceSummary, trace: Option<&Trace>, strings: &mut Strings) -> Facts {
        let mut f = Facts::default();
        for kind in [
            RootCauseKind::Fault,
            RootCauseKind::Error,
            RootCauseKind::ResponseTime,
        ] {
            for p in RootCausePath::of(s, kind) {
                let Some(service) = p.services.last().and_then(|s| s.name) else {
                    continue;
                };
                let entity = p
                    .services
                    .iter()
                    .flat_map(|s| &s.entities)
                    .next_back()
                    .and_then(|e| e.name)
                    .unwrap_or("");
                let failure = kind != RootCauseKind::ResponseTime;
                let exception = p
                    .exceptions()
                    .last()
                    .filter(|_| failure)
                    .and_then(|(_, x)| {
                        let name = strings.get(x.name.as_deref()?);
                        Some((name, x.message.as_deref().map(|m| strings.get(m))))
                    });
                let exceptions = p
                    .exceptions()
                    .filter_map(|(_, x)| x.name.as_deref())
                    .map(|n| strings.get(n))
                    .collect();
                f.causes.push(CauseEnd {
                    kind,
                    service: strings.get(service),
                    entity: strings.get(entity),
                    exception,
                    exceptions,
                    any_exception: failure && p.exceptions().next().is_some(),
                });
            }
        }
        for (k, values) in &s.annotations {
            let k = strings.get(k);
            f.annotations.extend(
                values
                    .iter()
                    .map(|v| (k.clone(), v.annotation_value.clone())),
            );
        }
        f.arns = s
            .resource_arns
            .iter()
            .filter_map(|a| a.arn.as_deref())
            .map(|a| strings.get(a))
            .collect();
        if let Some(trace) = trace {
            for (id, node) in trace.nodes.iter().enumerate() {
                if let Some(sdk) = sdk_of(&node.doc) {
                    f.sdks.push(strings.get(&sdk));
                }
                let Some((svc, op)) = operation_of(trace, id) else {
                    continue;
                };
                let d = &node.doc;
                f.operations.push(Operation {
                    key: strings.get(&format!("{svc}: {op}")),
                    start: d.start_time,
                    duration: d.end_time.map(|end| (end - d.start_time).max(0.0)),
                    error: d.error == Some(true),
                    fault: d.fault == Some(true),
                });
            }
        }
        f
    }

    /// The ends of its root-cause paths of `kind`.
    fn ends(&self, kind: RootCauseKind) -> impl Iterator<Item = &CauseEnd> {
        self.causes.iter().filter(move |c| c.kind == kind)
    }
}

/// The [`Facts`] of every trace of a dataset, by row, worked out once (on several threads, by
/// the caller) and kept while the dataset is analysed again and again (another filter,
/// another selection, another tab); with them, every key each trace has in the dimensions the
/// comparison ranks, numbered, so that a comparison only counts.
#[derive(Debug, Default)]
pub struct FactTable {
    rows: Vec<Option<Arc<Facts>>>,
    /// The comparison's keys: dimension, key, clause.
    keys: Vec<(Arc<str>, String, String)>,
    /// Per row, the numbers of its keys, sorted, without repeats.
    row_keys: Vec<Box<[u32]>>,
    /// The root causes met ([`cause_parts`]), numbered.
    causes: Vec<CauseId>,
    /// Per row, the causes its paths end in, and those it meets (numbers, sorted, no repeats).
    cause_ends: Vec<Box<[u32]>>,
    cause_meets: Vec<Box<[u32]>>,
    /// The operations met (`service: operation`), numbered.
    ops: Vec<Arc<str>>,
    /// Per row, the number of each of its operations, in the order of its facts'.
    row_ops: Vec<Box<[u32]>>,
}

/// A part of a [`FactTable`] as one thread works it out.
pub struct FactChunk {
    facts: Vec<Option<Arc<Facts>>>,
    keys: Vec<(Arc<str>, String, String)>,
    row_keys: Vec<Vec<u32>>,
    causes: Vec<CauseId>,
    cause_ends: Vec<Vec<u32>>,
    cause_meets: Vec<Vec<u32>>,
    ops: Vec<Arc<str>>,
    row_ops: Vec<Vec<u32>>,
}

/// The number of `v` in `list` (numbered in the order first met, found by `ids`).
fn number_of<T: std::hash::Hash + Eq + Clone>(
    ids: &mut foldhash::HashMap<T, u32>,
    list: &mut Vec<T>,
    v: T,
) -> u32 {
    if let Some(&n) = ids.get(&v) {
        return n;
    }
    let n = list.len() as u32;
    list.push(v.clone());
    ids.insert(v, n);
    n
}

/// Numbers `ids` (of a chunk's own numbering, into `local`) in the table's, sorted, without
/// repeats.
fn renumber(ids: Vec<u32>, local: &[u32]) -> Box<[u32]> {
    let mut ids: Vec<u32> = ids
        .into_iter()
        .filter_map(|k| local.get(k as usize).copied())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.into_boxed_slice()
}

/// The dimensions the comparison ranks (besides each annotation key), with their names.
fn compared() -> [(&'static str, Dimension); 11] {
    [
        ("rootcause", Dimension::RootCause),
        ("rootcause-entity", Dimension::RootCauseEntity),
        ("exception", Dimension::Exception),
        ("service", Dimension::Service),
        ("edge", Dimension::Edge),
        ("url", Dimension::Url),
        ("status", Dimension::Status),
        ("method", Dimension::Method),
        ("user", Dimension::User),
        ("resource-arn", Dimension::ResourceArn),
        ("sdk", Dimension::Sdk),
    ]
}

impl FactTable {
    /// The facts of every row of `data`. `map` must return `f(chunk)` for every chunk, in
    /// order (a caller spreads them over its threads; the core starts none).
    pub fn build(
        data: &Dataset,
        map: impl FnOnce(
            Vec<std::ops::Range<usize>>,
            &(dyn Fn(std::ops::Range<usize>) -> FactChunk + Sync),
        ) -> Vec<FactChunk>,
    ) -> FactTable {
        const CHUNK: usize = 2048;
        let n = data.rows.len();
        let chunks: Vec<std::ops::Range<usize>> = (0..n)
            .step_by(CHUNK)
            .map(|a| a..(a + CHUNK).min(n))
            .collect();
        let done = map(chunks, &|range| FactTable::chunk(data, range));
        // The chunks' keys numbered once for the whole table.
        let mut t = FactTable::default();
        let mut ids: foldhash::HashMap<(Arc<str>, String), u32> = Default::default();
        let mut causes: foldhash::HashMap<CauseId, u32> = Default::default();
        let mut ops: foldhash::HashMap<Arc<str>, u32> = Default::default();
        for c in done {
            let local: Vec<u32> = c
                .keys
                .into_iter()
                .map(|(dim, key, filter)| {
                    let k = (dim, key);
                    if let Some(&id) = ids.get(&k) {
                        return id;
                    }
                    let id = t.keys.len() as u32;
                    t.keys.push((k.0.clone(), k.1.clone(), filter));
                    ids.insert(k, id);
                    id
                })
                .collect();
            t.rows.extend(c.facts);
            t.row_keys
                .extend(c.row_keys.into_iter().map(|ks| renumber(ks, &local)));
            let local: Vec<u32> = c
                .causes
                .into_iter()
                .map(|id| number_of(&mut causes, &mut t.causes, id))
                .collect();
            t.cause_ends
                .extend(c.cause_ends.into_iter().map(|ids| renumber(ids, &local)));
            t.cause_meets
                .extend(c.cause_meets.into_iter().map(|ids| renumber(ids, &local)));
            let local: Vec<u32> = c
                .ops
                .into_iter()
                .map(|op| number_of(&mut ops, &mut t.ops, op))
                .collect();
            t.row_ops.extend(c.row_ops.into_iter().map(|ids| {
                ids.into_iter()
                    .map(|k| local.get(k as usize).copied().unwrap_or(u32::MAX))
                    .collect()
            }));
        }
        t
    }

    /// [`cause_members`] from the numbers kept for each row.
    fn cause_members(&self, rows: &[usize]) -> (Vec<CauseId>, Vec<Vec<usize>>) {
        let mut present = vec![false; self.causes.len()];
        for &i in rows {
            for &n in self.cause_ends.get(i).map_or(&[][..], |c| &c[..]) {
                present[n as usize] = true;
            }
        }
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); self.causes.len()];
        for &i in rows {
            for &n in self.cause_meets.get(i).map_or(&[][..], |c| &c[..]) {
                if present[n as usize] {
                    members[n as usize].push(i);
                }
            }
        }
        // Only the causes of these traces, numbered as met.
        let mut causes = Vec::new();
        let mut kept = Vec::new();
        for ((id, m), p) in self.causes.iter().zip(members).zip(present) {
            if p {
                causes.push(id.clone());
                kept.push(m);
            }
        }
        (causes, kept)
    }

    /// One chunk: each row's facts, then its keys in every compared dimension.
    fn chunk(data: &Dataset, range: std::ops::Range<usize>) -> FactChunk {
        let mut strings = Strings::default();
        let mut edges = EdgeNames::new();
        let mut c = FactChunk {
            facts: Vec::with_capacity(range.len()),
            keys: Vec::new(),
            row_keys: Vec::with_capacity(range.len()),
            causes: Vec::new(),
            cause_ends: Vec::with_capacity(range.len()),
            cause_meets: Vec::with_capacity(range.len()),
            ops: Vec::new(),
            row_ops: Vec::with_capacity(range.len()),
        };
        let mut cause_ids: foldhash::HashMap<CauseId, u32> = Default::default();
        let mut op_ids: foldhash::HashMap<Arc<str>, u32> = Default::default();
        let mut ids: foldhash::HashMap<(Arc<str>, String), u32> = Default::default();
        let dims: Vec<(Arc<str>, Dimension)> = compared()
            .into_iter()
            .map(|(n, d)| (Arc::from(n), d))
            .collect();
        let mut notes: foldhash::HashMap<Arc<str>, Arc<str>> = Default::default();
        for i in range {
            let seen = Seen::new(data, i, None);
            let facts = seen
                .summary()
                .map(|s| Arc::new(Facts::of(s, seen.trace(), &mut strings)));
            let _ = seen.facts.set(facts.clone());
            let mut mine = Vec::new();
            let mut add = |dim: &Arc<str>, k: &str, f: &dyn Fn() -> String| {
                let key = (dim.clone(), k.to_owned());
                let id = match ids.get(&key) {
                    Some(&id) => id,
                    None => {
                        let id = c.keys.len() as u32;
                        c.keys.push((dim.clone(), k.to_owned(), f()));
                        ids.insert(key, id);
                        id
                    }
                };
                mine.push(id);
            };
            for (name, dim) in &dims {
                keys_of(&seen, dim, &mut edges, &mut |k, f| add(name, k, f));
            }
            if let Some(f) = &facts {
                for (k, value) in &f.annotations {
                    let dim = notes
                        .entry(k.clone())
                        .or_insert_with(|| Arc::from(format!("annotation.{k}")))
                        .clone();
                    if let Some(text) = annotation_text(value) {
                        add(&dim, &text, &|| annotation_filter(k, value, &text));
                    }
                }
            }
            let (ends, meets) = facts.as_deref().map(cause_parts).unwrap_or_default();
            let mut number = |ids: Vec<CauseId>| -> Vec<u32> {
                ids.into_iter()
                    .map(|id| number_of(&mut cause_ids, &mut c.causes, id))
                    .collect()
            };
            let (ends, meets) = (number(ends), number(meets));
            c.cause_ends.push(ends);
            c.cause_meets.push(meets);
            let ops = facts.as_deref().map_or(&[][..], |f| &f.operations[..]);
            let ids = ops
                .iter()
                .map(|o| number_of(&mut op_ids, &mut c.ops, o.key.clone()))
                .collect();
            c.row_ops.push(ids);
            c.facts.push(facts);
            c.row_keys.push(mine);
        }
        c
    }

    /// The facts of row `i`.
    fn get(&self, i: usize) -> Option<&Arc<Facts>> {
        self.rows.get(i)?.as_ref()
    }

    /// How many rows it covers.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// It covers none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// [`compare`] by counting each side's keys.
    fn compare(&self, selection: &[usize], baseline: &[usize]) -> Vec<Difference> {
        let mut counts = [vec![0u32; self.keys.len()], vec![0u32; self.keys.len()]];
        for (side, rows) in [selection, baseline].into_iter().enumerate() {
            for &i in rows {
                for &k in self.row_keys.get(i).map_or(&[][..], |k| &k[..]) {
                    if let Some(c) = counts[side].get_mut(k as usize) {
                        *c += 1;
                    }
                }
            }
        }
        // The annotation keys of the selection, the first 50 by name.
        let mut notes: Vec<&str> = self
            .keys
            .iter()
            .zip(&counts[0])
            .filter(|((d, _, _), n)| **n > 0 && d.starts_with("annotation."))
            .map(|((d, _, _), _)| &**d)
            .collect();
        notes.sort_unstable();
        notes.dedup();
        notes.truncate(50);
        let share = |n: u32, total: usize| {
            if total == 0 {
                0.0
            } else {
                f64::from(n) / total as f64
            }
        };
        let mut out: Vec<Difference> = self
            .keys
            .iter()
            .enumerate()
            .filter(|&(k, (d, _, _))| {
                (counts[0][k] > 0 || counts[1][k] > 0)
                    && (!d.starts_with("annotation.") || notes.binary_search(&&**d).is_ok())
            })
            .map(|(k, (d, key, filter))| Difference {
                dimension: d.to_string(),
                key: key.clone(),
                filter: filter.clone(),
                selection: share(counts[0][k], selection.len()),
                baseline: share(counts[1][k], baseline.len()),
            })
            .collect();
        sort_differences(&mut out);
        out
    }
}

/// Names of edges by node ids, worked out once per pair of ids: `(key, filter)`.
type EdgeNames = HashMap<(u32, u32), (String, String)>;

/// What a dimension hands each key of a trace: the key, and its clause, built only when the
/// key is new (`""`: none selects it). A key may come more than once for one trace.
type Add<'a> = dyn FnMut(&str, &dyn Fn() -> String) + 'a;

/// The keys of one trace for `dim`, each handed to `add` with its clause.
fn keys_of(seen: &Seen, dim: &Dimension, edges: &mut EdgeNames, add: &mut Add) {
    let data = seen.data;
    let Some(r) = data.rows.get(seen.row) else {
        return;
    };
    match dim {
        Dimension::Url => {
            if let Some(u) = r.http_url.as_deref() {
                add(u, &|| format!("http.url = {}", quoted(u)));
            }
        }
        Dimension::Status => {
            if let Some(s) = r.http_status {
                add(&s.to_string(), &|| format!("http.status = {s}"));
            }
        }
        Dimension::Method => {
            if let Some(m) = r.http_method.as_deref() {
                add(m, &|| format!("http.method = {}", quoted(m)));
            }
        }
        Dimension::User => {
            for u in r.users.iter() {
                add(u, &|| format!("user = {}", quoted(u)));
            }
        }
        Dimension::Service => {
            for n in r.services.iter() {
                add(n, &|| format!("service({})", quoted(n)));
            }
        }
        Dimension::Edge => {
            let Some(t) = data.traces.position(&r.id) else {
                return;
            };
            let Some(frag) = data.traces.fragment(t) else {
                return;
            };
            let keys = data.traces.keys();
            for (a, b) in frag.edges() {
                let (key, filter) = edges.entry((a, b)).or_insert_with(|| {
                    let (a, b) = (keys.get(a).name.as_str(), keys.get(b).name.as_str());
                    (
                        format!("{a} -> {b}"),
                        format!("edge({}, {})", quoted(a), quoted(b)),
                    )
                });
                add(key, &|| filter.clone());
            }
        }
        Dimension::Annotation(key) => {
            let Some(f) = seen.facts() else { return };
            for (_, v) in f.annotations.iter().filter(|(k, _)| **k == **key) {
                if let Some(text) = annotation_text(v) {
                    add(&text, &|| annotation_filter(key, v, &text));
                }
            }
        }
        Dimension::RootCause | Dimension::FaultRootCause | Dimension::ErrorRootCause => {
            let Some(f) = seen.facts() else { return };
            let kinds = failure_kinds(dim);
            for &(kind, word) in kinds {
                // The root cause is the last service of each path (the first ones are the
                // callers it went through).
                for c in f.ends(kind) {
                    let name = &*c.service;
                    let key = if kinds.len() > 1 {
                        format!("{word}: {name}")
                    } else {
                        name.to_owned()
                    };
                    add(&key, &|| {
                        format!(
                            "rootcause.{word}.service {{ name = {} AND last }}",
                            quoted(name)
                        )
                    });
                }
            }
        }
        Dimension::RootCauseEntity | Dimension::Exception => {
            let Some(f) = seen.facts() else { return };
            for &(kind, word) in failure_kinds(dim) {
                for c in f.ends(kind) {
                    if *dim == Dimension::Exception {
                        for name in &c.exceptions {
                            add(&format!("{word}: {name}"), &|| {
                                format!("rootcause.{word}.exception {{ name = {} }}", quoted(name))
                            });
                        }
                        continue;
                    }
                    let name = &*c.entity;
                    if !name.is_empty() {
                        add(&format!("{word}: {name}"), &|| {
                            format!(
                                "rootcause.{word}.entity {{ name = {} AND last }}",
                                quoted(name)
                            )
                        });
                    }
                }
            }
        }
        Dimension::ResourceArn => {
            let Some(f) = seen.facts() else { return };
            for a in &f.arns {
                add(a, &|| format!("resource.arn = {}", quoted(a)));
            }
        }
        Dimension::Operation => {
            let Some(f) = seen.facts() else { return };
            for o in &f.operations {
                add(&o.key, &String::new);
            }
        }
        Dimension::Sdk => {
            let Some(f) = seen.facts() else { return };
            for k in &f.sdks {
                add(k, &String::new);
            }
        }
    }
}

/// The groups of the traces at `rows` (row indices of `data`), largest first.
pub fn group_by(data: &Dataset, rows: &[usize], dim: &Dimension) -> Vec<Group> {
    group_by_with(data, None, rows, dim)
}

/// [`group_by`], reading the traces' [`Facts`] from `table` where it has them.
pub fn group_by_with(
    data: &Dataset,
    table: Option<&FactTable>,
    rows: &[usize],
    dim: &Dimension,
) -> Vec<Group> {
    // Operations by the numbers the table keeps for each trace, when it has them.
    if let Some(t) =
        table.filter(|t| *dim == Dimension::Operation && t.row_ops.len() == data.rows.len())
    {
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); t.ops.len()];
        for &i in rows {
            for &id in t.row_ops.get(i).map_or(&[][..], |o| &o[..]) {
                let Some(m) = members.get_mut(id as usize) else {
                    continue;
                };
                if m.last() != Some(&i) {
                    m.push(i);
                }
            }
        }
        let mut out: Vec<Group> = t
            .ops
            .iter()
            .zip(members)
            .filter(|(_, m)| !m.is_empty())
            .map(|(k, m)| Group::of(k.to_string(), String::new(), &m, data, rows.len()))
            .collect();
        largest_first(&mut out);
        return out;
    }
    let mut groups = Grouper::default();
    let mut edges = EdgeNames::new();
    for &i in rows {
        // A group counts a trace once however often its key comes (`Grouper::add`).
        keys_of(&Seen::new(data, i, table), dim, &mut edges, &mut |k, f| {
            groups.add(k, f, i);
        });
    }
    let mut out: Vec<Group> = groups
        .finish(data, rows.len())
        .into_iter()
        .map(|(g, _)| g)
        .collect();
    largest_first(&mut out);
    out
}

/// The operation an entity stands for, with the service it belongs to (its segment's name):
/// an AWS call's `aws.operation` (`DynamoDB GetItem`, any entity), a segment's request
/// (`GET /api/cart`, the URL's path without its query). Other entities have none.
pub fn operation_of(trace: &Trace, node: NodeId) -> Option<(String, String)> {
    let n = trace.nodes.get(node)?;
    let service = &trace.nodes.get(n.segment?)?.doc.name;
    let doc = &n.doc;
    if let Some(op) = doc.aws.as_ref().and_then(|a| a.operation.as_deref()) {
        return Some((service.clone(), format!("{} {op}", doc.name)));
    }
    if n.kind != NodeKind::Segment {
        return None;
    }
    let req = doc.http.as_ref()?.request.as_ref()?;
    let path = url_path(req.url.as_deref()?);
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let path = if path.is_empty() { "/" } else { path };
    let op = match req.method.as_deref() {
        Some(m) => format!("{m} {path}"),
        None => path.to_owned(),
    };
    Some((service.clone(), op))
}

/// The X-Ray SDK that recorded a document (`X-Ray for Go 1.8.3`), if it says.
fn sdk_of(doc: &crate::model::segment::Segment) -> Option<String> {
    let x = doc.aws.as_ref()?.xray.as_ref()?;
    let name = x.sdk.as_deref()?;
    Some(match x.sdk_version.as_deref() {
        Some(v) => format!("{name} {v}"),
        None => name.to_owned(),
    })
}

/// Traces grouped by root cause as X-Ray reports it: the kind (fault, error, response time),
/// the service at the end of the path, the entity nearest the cause, and (faults and errors)
/// the last exception recorded on the path.
#[derive(Debug, Clone, PartialEq)]
pub struct CauseGroup {
    /// Fault, error or response time.
    pub kind: RootCauseKind,
    /// The service at the end of the path.
    pub service: String,
    /// The entity nearest the cause (empty when the path names none).
    pub entity: String,
    /// The last exception on the path: `type: message` (faults and errors only).
    pub exception: Option<String>,
    /// The traces, with the clause that selects exactly them (`rootcause.*` blocks).
    pub group: Group,
}

/// The word `rootcause.<word>.*` uses for a kind.
pub const fn kind_word(kind: RootCauseKind) -> &'static str {
    match kind {
        RootCauseKind::Fault => "fault",
        RootCauseKind::Error => "error",
        RootCauseKind::ResponseTime => "responsetime",
    }
}

/// The fault, error and response-time root causes of the traces at `rows`, largest first.
///
/// A group is what one root-cause path ends in: its last service, its last entity and
/// (faults and errors) its last exception. Its filter ANDs `rootcause.<kind>.service { name =
/// ... AND last }`, `rootcause.<kind>.entity { name = ... AND last }` and
/// `rootcause.<kind>.exception { name = ... AND message = ... AND last }` (or, for a path
/// without an exception, `!rootcause.<kind>.exception`). Each block may be met by another of
/// the trace's paths, so a trace is counted in every group whose filter it meets (the blocks
/// answered from the sets of its paths' ends), which keeps each filter exact for traces with
/// several root causes of a kind.
pub fn root_causes(data: &Dataset, rows: &[usize]) -> Vec<CauseGroup> {
    root_causes_with(data, None, rows)
}

/// [`root_causes`], reading the traces' [`Facts`] from `table` where it has them.
pub fn root_causes_with(
    data: &Dataset,
    table: Option<&FactTable>,
    rows: &[usize],
) -> Vec<CauseGroup> {
    let (causes, members) = match table.filter(|t| t.cause_meets.len() == data.rows.len()) {
        Some(t) => t.cause_members(rows),
        None => cause_members(data, table, rows),
    };
    let total = rows.len();
    let mut out: Vec<CauseGroup> = causes
        .into_iter()
        .zip(members)
        .filter(|(_, m)| !m.is_empty())
        .map(|((kind, service, entity, exception), members)| {
            let cause: Cause = (
                kind,
                service.to_string(),
                entity.to_string(),
                exception.map(|(n, m)| (n.to_string(), m.map(|m| m.to_string()))),
            );
            let group = Group::of(
                cause_key(&cause),
                cause_filter(&cause),
                &members,
                data,
                total,
            );
            let (kind, service, entity, exception) = cause;
            CauseGroup {
                kind,
                service,
                entity,
                exception: exception.map(|(n, m)| match m {
                    Some(m) if !m.is_empty() => format!("{n}: {m}"),
                    _ => n,
                }),
                group,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.group
            .count
            .cmp(&a.group.count)
            .then_with(|| a.group.key.cmp(&b.group.key))
    });
    out
}

/// A trace's root causes, as [`root_causes`] counts them: the causes its paths end in, and
/// every cause whose blocks its paths' ends meet (each block may be met by another of its
/// paths), sorted, without repeats.
fn cause_parts(f: &Facts) -> (Vec<CauseId>, Vec<CauseId>) {
    let mut ends = Vec::new();
    let mut meets = Vec::new();
    let empty: Arc<str> = Arc::from("");
    for kind in [
        RootCauseKind::Fault,
        RootCauseKind::Error,
        RootCauseKind::ResponseTime,
    ] {
        let mut e = Ends::default();
        for c in f.ends(kind) {
            e.services.push(c.service.clone());
            if !c.entity.is_empty() {
                e.entities.push(c.entity.clone());
            }
            e.any_exception |= c.any_exception;
            if let Some((n, m)) = &c.exception {
                e.exceptions.push((n.clone(), m.clone()));
                if m.is_some() {
                    e.exceptions.push((n.clone(), None));
                }
            }
            ends.push((
                kind,
                c.service.clone(),
                c.entity.clone(),
                c.exception.clone(),
            ));
        }
        if e.services.is_empty() {
            continue;
        }
        let exceptions: Vec<Option<LastException>> =
            if kind == RootCauseKind::ResponseTime || !e.any_exception {
                vec![None]
            } else {
                e.exceptions.iter().cloned().map(Some).collect()
            };
        for svc in &e.services {
            for entity in e.entities.iter().chain([&empty]) {
                for x in &exceptions {
                    meets.push((kind, svc.clone(), entity.clone(), x.clone()));
                }
            }
        }
    }
    (ends, meets)
}

/// The root causes the traces at `rows` end in, numbered, and the traces of each, worked out
/// trace by trace.
fn cause_members(
    data: &Dataset,
    table: Option<&FactTable>,
    rows: &[usize],
) -> (Vec<CauseId>, Vec<Vec<usize>>) {
    // Pass 1: the causes single paths end in (numbered).
    let mut ids: foldhash::HashMap<CauseId, u32> = Default::default();
    let mut causes: Vec<CauseId> = Vec::new();
    let mut parts: Vec<(usize, Vec<CauseId>)> = Vec::with_capacity(rows.len());
    for &i in rows {
        let seen = Seen::new(data, i, table);
        let Some(f) = seen.facts() else { continue };
        let (ends, meets) = cause_parts(f);
        for id in ends {
            if !ids.contains_key(&id) {
                ids.insert(id.clone(), causes.len() as u32);
                causes.push(id);
            }
        }
        parts.push((i, meets));
    }
    // Pass 2: each trace in every group whose blocks its paths' ends meet.
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); causes.len()];
    let mut met: Vec<u32> = Vec::new();
    for (i, meets) in parts {
        met.clear();
        met.extend(meets.iter().filter_map(|id| ids.get(id).copied()));
        met.sort_unstable();
        met.dedup();
        for &n in &met {
            members[n as usize].push(i);
        }
    }
    (causes, members)
}

/// A root cause as it is met: kind, service, entity (`""`: none), last exception.
type CauseId = (RootCauseKind, Arc<str>, Arc<str>, Option<LastException>);

/// The last exception of a root-cause path: its name and message.
type LastException = (Arc<str>, Option<Arc<str>>);

/// A root cause: kind, service, entity (may be empty), exception (name, message).
type Cause = (
    RootCauseKind,
    String,
    String,
    Option<(String, Option<String>)>,
);

/// The ends of one trace's root-cause paths of one kind.
#[derive(Default)]
struct Ends {
    services: Vec<Arc<str>>,
    entities: Vec<Arc<str>>,
    /// Last exceptions, each also without its message (a cause recorded without one).
    exceptions: Vec<(Arc<str>, Option<Arc<str>>)>,
    any_exception: bool,
}

/// A cause as people read it (and as its group is found): `fault: payments > charge >
/// Timeout: gave up`.
fn cause_key(c: &Cause) -> String {
    let (kind, service, entity, exception) = c;
    let mut key = format!("{}: {service}", kind_word(*kind));
    if !entity.is_empty() {
        let _ = write!(key, " > {entity}");
    }
    match exception {
        Some((n, Some(m))) => {
            let _ = write!(key, " > {n}: {m}");
        }
        Some((n, None)) => {
            let _ = write!(key, " > {n}");
        }
        None => {}
    }
    key
}

/// The clause that selects a cause's traces.
fn cause_filter(c: &Cause) -> String {
    let (kind, service, entity, exception) = c;
    let word = kind_word(*kind);
    let mut clauses = vec![format!(
        "rootcause.{word}.service {{ name = {} AND last }}",
        quoted(service)
    )];
    if !entity.is_empty() {
        clauses.push(format!(
            "rootcause.{word}.entity {{ name = {} AND last }}",
            quoted(entity)
        ));
    }
    if *kind != RootCauseKind::ResponseTime {
        match exception {
            Some((n, m)) => {
                let mut c = format!("rootcause.{word}.exception {{ name = {}", quoted(n));
                if let Some(m) = m {
                    let _ = write!(c, " AND message = {}", quoted(m));
                }
                c.push_str(" AND last }");
                clauses.push(c);
            }
            None => clauses.push(format!("!rootcause.{word}.exception")),
        }
    }
    clauses.join(" AND ")
}

/// What a set of traces adds up to: failures, and response times sorted for percentiles.
struct Tally {
    faults: usize,
    errors: usize,
    throttles: usize,
    times: Vec<f64>,
}

impl Tally {
    fn of(data: &Dataset, members: &[usize]) -> Tally {
        let mut t = Tally {
            faults: 0,
            errors: 0,
            throttles: 0,
            times: Vec::with_capacity(members.len()),
        };
        for r in members.iter().filter_map(|&i| data.rows.get(i)) {
            t.faults += usize::from(r.has_fault);
            t.errors += usize::from(r.has_error);
            t.throttles += usize::from(r.has_throttle);
            t.times.extend(r.response_time.or(r.duration));
        }
        t.times.sort_by(f64::total_cmp);
        t
    }
}

/// An annotation value as a group's key: the string itself, `true`, `12.5`.
fn annotation_text(v: &SummaryAnnotationValue) -> Option<std::borrow::Cow<'_, str>> {
    if let Some(s) = v.string_value.as_deref() {
        return Some(s.into());
    }
    if let Some(b) = v.boolean_value {
        return Some(if b { "true" } else { "false" }.into());
    }
    let n = v.number_value?;
    let mut text = String::new();
    let _ = write!(text, "{n}");
    Some(text.into())
}

/// The clause that selects traces with annotation `key` = `v` (`text`: its key).
fn annotation_filter(key: &str, v: &SummaryAnnotationValue, text: &str) -> String {
    let kw = annotation_keyword(key);
    if v.string_value.is_some() {
        format!("{kw} = {}", quoted(text))
    } else {
        format!("{kw} = {text}")
    }
}

/// Which response times a histogram counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Measured {
    /// The traces' response times.
    Traces,
    /// A service node's response times (its segments), by name.
    Service(String),
    /// The calls from one service to another, by name.
    Edge(String, String),
}

/// One bin of a histogram: `[lo, hi)` seconds (the last bin includes `hi`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bin {
    /// Lower edge (seconds).
    pub lo: f64,
    /// Upper edge (seconds).
    pub hi: f64,
    /// Values in it.
    pub count: u64,
}

/// A response-time distribution: equal-width bins from the fastest to the slowest, and the
/// nearest-rank percentiles.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Histogram {
    /// Values counted.
    pub count: u64,
    /// The bins, fastest first.
    pub bins: Vec<Bin>,
    /// p50, p90, p95, p99 (seconds).
    pub percentiles: [(u8, Option<f64>); 4],
    /// The clause that selects the traces of a range `[lo, hi]` (with `{lo}` and `{hi}` in
    /// it): the traces' `responsetime`, or the node's or edge's block form.
    pub range_filter: String,
}

/// The response-time histogram of `rows` in `buckets` equal bins, for the traces, a service
/// node or an edge (from the service graph of those traces: its millisecond histograms).
pub fn histogram(data: &Dataset, rows: &[usize], what: &Measured, buckets: usize) -> Histogram {
    let mut values: Vec<(f64, u64)> = Vec::new();
    let range_filter = match what {
        Measured::Traces => {
            values.extend(rows.iter().filter_map(|&i| {
                let r = data.rows.get(i)?;
                Some((r.response_time.or(r.duration)?, 1))
            }));
            "responsetime >= {lo} AND responsetime <= {hi}".to_owned()
        }
        Measured::Service(name) | Measured::Edge(name, _) => {
            let traces: Vec<usize> = rows
                .iter()
                .filter_map(|&i| data.traces.position(&data.rows.get(i)?.id))
                .collect();
            let g = data.traces.graph(traces);
            // Every node of that name (X-Ray's `service("checkout")` means them all: a Lambda
            // function's two nodes share it), and every edge between such nodes.
            let named = |n: &crate::model::graph::Service, name: &str| {
                n.name.as_deref() == Some(name) && n.kind.as_deref() != Some("client")
            };
            let mut hist: Vec<crate::model::graph::HistogramEntry> = Vec::new();
            for node in g.services.iter().filter(|n| named(n, name)) {
                match what {
                    Measured::Edge(_, to) => {
                        for e in &node.edges {
                            if g.node(e.reference_id).is_some_and(|n| named(n, to)) {
                                hist.extend(e.response_time_histogram.iter().cloned());
                            }
                        }
                    }
                    _ => hist.extend(node.response_time_histogram.iter().cloned()),
                }
            }
            values.extend(hist.iter().map(|h| (h.value, h.count)));
            match what {
                Measured::Edge(a, b) => format!(
                    "edge({}, {}) {{ responsetime >= {{lo}} AND responsetime <= {{hi}} }}",
                    quoted(a),
                    quoted(b)
                ),
                _ => format!(
                    "service({}) {{ responsetime >= {{lo}} AND responsetime <= {{hi}} }}",
                    quoted(name)
                ),
            }
        }
    };
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    let count: u64 = values.iter().map(|v| v.1).sum();
    // The sorted values, expanded for percentiles (counts are per millisecond value: bounded
    // by the number of requests measured).
    let flat: Vec<f64> = values
        .iter()
        .flat_map(|&(v, n)| std::iter::repeat_n(v, usize::try_from(n).unwrap_or(0)))
        .collect();
    let pick = |p: f64| percentile(&flat, p);
    let percentiles = [
        (50, pick(50.0)),
        (90, pick(90.0)),
        (95, pick(95.0)),
        (99, pick(99.0)),
    ];
    let buckets = buckets.clamp(1, 200);
    let bins = match (flat.first(), flat.last()) {
        (Some(&lo), Some(&hi)) => {
            let width = ((hi - lo) / buckets as f64).max(f64::EPSILON);
            let mut bins: Vec<Bin> = (0..buckets)
                .map(|b| Bin {
                    lo: lo + width * b as f64,
                    hi: if b + 1 == buckets {
                        hi
                    } else {
                        lo + width * (b + 1) as f64
                    },
                    count: 0,
                })
                .collect();
            for &(v, n) in &values {
                let b = (((v - lo) / width) as usize).min(buckets - 1);
                bins[b].count += n;
            }
            bins
        }
        _ => Vec::new(),
    };
    Histogram {
        count,
        bins,
        percentiles,
        range_filter,
    }
}

/// One interval of a time series.
#[derive(Debug, Clone, PartialEq)]
pub struct Interval {
    /// Start (epoch seconds).
    pub start: f64,
    /// Traces that started in it.
    pub count: usize,
    /// Of them, with a fault.
    pub faults: usize,
    /// With an error.
    pub errors: usize,
    /// Throttled.
    pub throttles: usize,
    /// The 90th percentile of their response times (seconds).
    pub p90: Option<f64>,
    /// The interval as a time window (`START..END`, what `--start`/`--end` and the app's `w`
    /// take): time is the window's business, not the filter's.
    pub window: String,
}

/// Requests per `interval` seconds across the traces' time span, with faults, errors,
/// throttles and p90; empty intervals included, so the series has no holes.
pub fn over_time(data: &Dataset, rows: &[usize], interval: f64) -> Vec<Interval> {
    let interval = if interval.is_finite() && interval > 0.0 {
        interval
    } else {
        60.0
    };
    let starts: Vec<(f64, usize)> = rows
        .iter()
        .filter_map(|&i| Some((data.rows.get(i)?.start_time?, i)))
        .collect();
    let Some(first) = starts.iter().map(|s| s.0).reduce(f64::min) else {
        return Vec::new();
    };
    let last = starts.iter().map(|s| s.0).fold(first, f64::max);
    let origin = (first / interval).floor() * interval;
    // Bounded: at most 100,000 intervals (a coarser interval is asked for past that).
    let n = (((last - origin) / interval).floor() as usize + 1).min(100_000);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(t, i) in &starts {
        let k = (((t - origin) / interval) as usize).min(n - 1);
        members[k].push(i);
    }
    members
        .into_iter()
        .enumerate()
        .map(|(k, m)| {
            let start = origin + interval * k as f64;
            let t = Tally::of(data, &m);
            Interval {
                start,
                count: m.len(),
                faults: t.faults,
                errors: t.errors,
                throttles: t.throttles,
                p90: percentile(&t.times, 90.0),
                window: format!(
                    "{}..{}",
                    crate::model::time::format_utc(start),
                    crate::model::time::format_utc(start + interval)
                ),
            }
        })
        .collect()
}

/// One dimension value, as common in a selection as in its baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// The dimension (`service`, `url`, `annotation.tier`...).
    pub dimension: String,
    /// The value.
    pub key: String,
    /// The clause that selects the traces with it.
    pub filter: String,
    /// Share of the selection's traces with it (0 to 1).
    pub selection: f64,
    /// Share of the baseline's traces with it.
    pub baseline: f64,
}

impl Difference {
    /// How differently it is distributed: the difference of the two shares.
    pub fn score(&self) -> f64 {
        (self.selection - self.baseline).abs()
    }
}

/// Every value of the usual dimensions (root-cause services and entities, exception types,
/// services, edges, URL, status, method, user, resource ARN, SDK, each annotation key of the
/// selection) ranked by how differently it is spread over `selection` and `baseline`, largest
/// difference first. SDK values have no filter (X-Ray's language cannot select them).
///
/// One pass over the traces: each one's summary and assembled trace are worked out once for
/// all the dimensions.
pub fn compare(data: &Dataset, selection: &[usize], baseline: &[usize]) -> Vec<Difference> {
    compare_with(data, None, selection, baseline)
}

/// [`compare`], reading the traces' [`Facts`] from `table` where it has them.
pub fn compare_with(
    data: &Dataset,
    table: Option<&FactTable>,
    selection: &[usize],
    baseline: &[usize],
) -> Vec<Difference> {
    if let Some(t) = table.filter(|t| t.row_keys.len() == data.rows.len()) {
        return t.compare(selection, baseline);
    }
    let dims: Vec<(String, Dimension)> = compared()
        .into_iter()
        .map(|(n, d)| (n.to_owned(), d))
        .collect();
    // Per dimension, the groups of each side; annotation keys as they are met.
    let mut sides: Vec<[Grouper; 2]> = dims.iter().map(|_| Default::default()).collect();
    let mut notes: BTreeMap<String, [Grouper; 2]> = BTreeMap::new();
    let mut in_selection: std::collections::HashSet<String> = Default::default();
    let mut edges = EdgeNames::new();
    for (side, rows) in [selection, baseline].into_iter().enumerate() {
        for &i in rows {
            let seen = Seen::new(data, i, table);
            for ((_, dim), groups) in dims.iter().zip(sides.iter_mut()) {
                keys_of(&seen, dim, &mut edges, &mut |k, f| {
                    groups[side].add(k, f, i);
                });
            }
            let Some(f) = seen.facts() else { continue };
            for (k, value) in &f.annotations {
                let groups = match notes.get_mut(&**k) {
                    Some(g) => &mut g[side],
                    None => &mut notes.entry(k.to_string()).or_default()[side],
                };
                if let Some(text) = annotation_text(value) {
                    groups.add(&text, &|| annotation_filter(k, value, &text), i);
                }
                if side == 0 && !in_selection.contains(&**k) {
                    in_selection.insert(k.to_string());
                }
            }
        }
    }
    // The annotation keys of the selection, the first 50 by name.
    let notes = notes
        .into_iter()
        .filter(|(k, _)| in_selection.contains(k))
        .take(50)
        .map(|(k, g)| (format!("annotation.{k}"), g));
    let totals = [selection.len(), baseline.len()];
    let mut out = Vec::new();
    for (name, [sel, base]) in dims.into_iter().map(|(n, _)| n).zip(sides).chain(notes) {
        let share = |g: Grouper, total: usize| -> BTreeMap<String, (String, f64)> {
            g.groups
                .into_iter()
                .map(|(key, filter, members)| {
                    let share = if total == 0 {
                        0.0
                    } else {
                        members.len() as f64 / total as f64
                    };
                    (key, (filter, share))
                })
                .collect()
        };
        let (sel, base) = (share(sel, totals[0]), share(base, totals[1]));
        let mut all: Vec<&String> = sel.keys().chain(base.keys()).collect();
        all.sort();
        all.dedup();
        for k in all {
            let (s, b) = (sel.get(k), base.get(k));
            let Some(filter) = s.or(b).map(|g| g.0.clone()) else {
                continue;
            };
            out.push(Difference {
                dimension: name.clone(),
                key: k.clone(),
                filter,
                selection: s.map_or(0.0, |g| g.1),
                baseline: b.map_or(0.0, |g| g.1),
            });
        }
    }
    sort_differences(&mut out);
    out
}

/// Largest difference first, then by dimension and key.
fn sort_differences(out: &mut [Difference]) {
    out.sort_by(|a, b| {
        b.score()
            .total_cmp(&a.score())
            .then_with(|| a.dimension.cmp(&b.dimension))
            .then_with(|| a.key.cmp(&b.key))
    });
}

/// One line of a RED table (rate, errors, duration): a service node, or an operation of one.
#[derive(Debug, Clone, PartialEq)]
pub struct Red {
    /// The service (`checkout`), or the service and the operation (`checkout: GET /cart`).
    pub name: String,
    /// The clause that selects the traces through it: `service("checkout")` for a service,
    /// empty for an operation (X-Ray's filter language cannot select one).
    pub filter: String,
    /// Requests (a service's segments and the calls to an inferred node; an operation's
    /// entities).
    pub count: u64,
    /// Requests per second over the analysed span.
    pub rate: f64,
    /// Of them, errors (4xx).
    pub errors: u64,
    /// Faults (5xx).
    pub faults: u64,
    /// Response-time percentiles (seconds), nearest-rank.
    pub p50: Option<f64>,
    /// See `p50`.
    pub p99: Option<f64>,
    /// Requests per interval of the span, for a sparkline.
    pub spark: Vec<u64>,
}

/// The RED tables of a set of traces: per service node, from the service graph of those
/// traces (as the map shows them), and per operation ([`operation_of`]), from the traces'
/// entities.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RedTables {
    /// Per service, busiest first.
    pub services: Vec<Red>,
    /// Per service and operation, busiest first.
    pub operations: Vec<Red>,
}

/// An interval that splits `span` seconds into at most about 60 steps: 1 s, 5 s, 10 s, 30 s,
/// 1 min, 5 min, 15 min, 30 min, 1 h, 3 h, 6 h, 12 h or 1 day.
pub fn auto_interval(span: f64) -> f64 {
    const STEPS: [f64; 13] = [
        1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 10800.0, 21600.0, 43200.0,
        86400.0,
    ];
    STEPS
        .into_iter()
        .find(|s| span / s <= 60.0)
        .unwrap_or(86400.0)
}

/// The span (first and last start, epoch seconds) of the traces at `rows`.
pub fn span(data: &Dataset, rows: &[usize]) -> Option<(f64, f64)> {
    rows.iter()
        .filter_map(|&i| data.rows.get(i)?.start_time)
        .fold(None, |acc, t| match acc {
            None => Some((t, t)),
            Some((a, b)) => Some((f64::min(a, t), f64::max(b, t))),
        })
}

/// An operation's errors, faults, durations and requests per interval.
type OpTotals = (u64, u64, Vec<f64>, Vec<u64>);

/// A service node's requests, errors, faults, response times and requests per interval,
/// added up over the nodes of its name.
#[derive(Default)]
struct Totals {
    count: u64,
    errors: u64,
    faults: u64,
    times: Vec<f64>,
    spark: Vec<u64>,
}

/// The RED tables of the traces at `rows`, with sparklines of `interval` seconds (aligned as
/// [`over_time`] aligns its intervals).
pub fn red(data: &Dataset, rows: &[usize], interval: f64) -> RedTables {
    red_with(data, None, rows, interval)
}

/// [`red`], reading the traces' [`Facts`] from `table` where it has them.
pub fn red_with(
    data: &Dataset,
    table: Option<&FactTable>,
    rows: &[usize],
    interval: f64,
) -> RedTables {
    let Some((first, last)) = span(data, rows) else {
        return RedTables::default();
    };
    let interval = if interval.is_finite() && interval > 0.0 {
        interval
    } else {
        60.0
    };
    let origin = (first / interval).floor() * interval;
    let n = (((last - origin) / interval).floor() as usize + 1).min(100_000);
    let seconds = n as f64 * interval;
    let slot = |t: f64| (((t - origin) / interval).max(0.0) as usize).min(n - 1);
    // Services: what each trace adds to the service graph's nodes (as the map counts them),
    // added up by node name, for the whole span and for each interval.
    let keys = data.traces.keys();
    let mut by_key: foldhash::HashMap<u32, Totals> = Default::default();
    for &i in rows {
        let Some(r) = data.rows.get(i) else { continue };
        let Some(frag) = data
            .traces
            .position(&r.id)
            .and_then(|t| data.traces.fragment(t))
        else {
            continue;
        };
        let at = r.start_time.map(slot);
        frag.requests(&mut |key, measured| {
            let e = by_key.entry(key).or_insert_with(|| Totals {
                spark: vec![0; n],
                ..Totals::default()
            });
            let Some((d, outcome)) = measured else { return };
            e.count += 1;
            match outcome {
                crate::model::segment::Outcome::Ok => {}
                crate::model::segment::Outcome::Fault => e.faults += 1,
                _ => e.errors += 1,
            }
            // In whole milliseconds, as the graph's histograms keep them.
            e.times.push((d * 1000.0).round() as i64 as f64 / 1000.0);
            if let Some(s) = at {
                e.spark[s] += 1;
            }
        });
    }
    let mut whole: BTreeMap<&str, Totals> = BTreeMap::new();
    for (key, t) in by_key {
        let e = whole.entry(keys.get(key).name.as_str()).or_default();
        e.count += t.count;
        e.errors += t.errors;
        e.faults += t.faults;
        e.times.extend(t.times);
        if e.spark.is_empty() {
            e.spark = t.spark;
        } else {
            e.spark.iter_mut().zip(t.spark).for_each(|(a, b)| *a += b);
        }
    }
    let mut services: Vec<Red> = whole
        .into_iter()
        .map(|(name, t)| {
            let Totals {
                count,
                errors,
                faults,
                mut times,
                spark,
            } = t;
            let [p50, p99] = percentiles(&mut times, [50.0, 99.0]);
            Red {
                filter: format!("service({})", quoted(name)),
                spark,
                name: name.to_owned(),
                count,
                rate: count as f64 / seconds,
                errors,
                faults,
                p50,
                p99,
            }
        })
        .collect();
    // Operations: every entity that is one, trace by trace (by the numbers the table keeps
    // when it has them, by name otherwise).
    let mut ops: foldhash::HashMap<Arc<str>, OpTotals> = Default::default();
    let add = |e: &mut OpTotals, o: &Operation| {
        e.0 += u64::from(o.error);
        e.1 += u64::from(o.fault);
        e.2.extend(o.duration);
        e.3[slot(o.start)] += 1;
    };
    let numbered = table.filter(|t| t.row_ops.len() == data.rows.len());
    if let Some(t) = numbered {
        let mut by_id: Vec<Option<OpTotals>> = vec![None; t.ops.len()];
        for &i in rows {
            let (Some(Some(f)), Some(ids)) = (t.rows.get(i), t.row_ops.get(i)) else {
                continue;
            };
            for (o, &id) in f.operations.iter().zip(ids.iter()) {
                let Some(slot_of) = by_id.get_mut(id as usize) else {
                    continue;
                };
                add(
                    slot_of.get_or_insert_with(|| (0, 0, Vec::new(), vec![0; n])),
                    o,
                );
            }
        }
        ops.extend(
            t.ops
                .iter()
                .zip(by_id)
                .filter_map(|(k, e)| Some((k.clone(), e?))),
        );
    }
    for &i in rows.iter().filter(|_| numbered.is_none()) {
        let seen = Seen::new(data, i, table);
        let Some(f) = seen.facts() else { continue };
        for o in &f.operations {
            let e = match ops.get_mut(&o.key) {
                Some(e) => e,
                None => ops
                    .entry(o.key.clone())
                    .or_insert_with(|| (0, 0, Vec::new(), vec![0; n])),
            };
            add(e, o);
        }
    }
    let mut operations: Vec<Red> = ops
        .into_iter()
        .map(|(name, (errors, faults, mut times, spark))| {
            let [p50, p99] = percentiles(&mut times, [50.0, 99.0]);
            let count: u64 = spark.iter().sum();
            Red {
                name: name.to_string(),
                filter: String::new(),
                count,
                rate: count as f64 / seconds,
                errors,
                faults,
                p50,
                p99,
                spark,
            }
        })
        .collect();
    for t in [&mut services, &mut operations] {
        t.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    }
    RedTables {
        services,
        operations,
    }
}

/// What the Compare tab sets against the rest.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Selection {
    /// The traces the filter lets through, against the others of the window.
    Filter,
    /// The traces with a fault, against the others.
    Faults,
    /// With an error.
    Errors,
    /// Throttled.
    Throttles,
    /// With a response time from `.0` to `.1` seconds (a histogram range).
    ResponseTime(f64, f64),
    /// Started from `.0` to before `.1` (epoch seconds: a time interval).
    Started(f64, f64),
}

impl Selection {
    /// What it selects, for people (`the faults`, `response time 0.1 s to 0.3 s`).
    pub fn label(&self) -> String {
        use crate::model::time::{format_duration, format_utc};
        match *self {
            Selection::Filter => "the filtered traces".into(),
            Selection::Faults => "the faults".into(),
            Selection::Errors => "the errors".into(),
            Selection::Throttles => "the throttled".into(),
            Selection::ResponseTime(a, b) => {
                format!(
                    "response time {} to {}",
                    format_duration(a),
                    format_duration(b)
                )
            }
            Selection::Started(a, _) => format!("the interval from {}", format_utc(a)),
        }
    }
}

/// `rows` split into a selection and its baseline. For [`Selection::Filter`], `rows` are the
/// filtered traces and the baseline is the rest of `context` (every row when `None`).
pub fn split(
    data: &Dataset,
    rows: &[usize],
    context: Option<&[usize]>,
    selection: Selection,
) -> (Vec<usize>, Vec<usize>) {
    if selection == Selection::Filter {
        let chosen: std::collections::HashSet<usize> = rows.iter().copied().collect();
        let baseline = match context {
            Some(c) => c.iter().copied().filter(|i| !chosen.contains(i)).collect(),
            None => (0..data.rows.len())
                .filter(|i| !chosen.contains(i))
                .collect(),
        };
        return (rows.to_vec(), baseline);
    }
    rows.iter().partition(|&&i| {
        let Some(r) = data.rows.get(i) else {
            return false;
        };
        match selection {
            Selection::Faults => r.has_fault,
            Selection::Errors => r.has_error,
            Selection::Throttles => r.has_throttle,
            Selection::ResponseTime(a, b) => r
                .response_time
                .or(r.duration)
                .is_some_and(|t| t >= a && t <= b),
            Selection::Started(a, b) => r.start_time.is_some_and(|t| t >= a && t < b),
            Selection::Filter => false,
        }
    })
}

/// The service nodes and edges of the traces at `rows` a histogram can measure, by name.
pub fn measurable(data: &Dataset, rows: &[usize]) -> Vec<Measured> {
    let traces: Vec<usize> = rows
        .iter()
        .filter_map(|&i| data.traces.position(&data.rows.get(i)?.id))
        .collect();
    let g = data.traces.graph(traces);
    let name = |n: &crate::model::graph::Service| {
        n.name
            .clone()
            .filter(|_| n.kind.as_deref() != Some("client"))
    };
    let mut services = Vec::new();
    let mut edges = Vec::new();
    for node in &g.services {
        let Some(a) = name(node) else { continue };
        for e in &node.edges {
            if let Some(b) = g.node(e.reference_id).and_then(name) {
                edges.push(Measured::Edge(a.clone(), b));
            }
        }
        services.push(Measured::Service(a));
    }
    let key = |m: &Measured| match m {
        Measured::Service(a) => (a.clone(), String::new()),
        Measured::Edge(a, b) => (a.clone(), b.clone()),
        Measured::Traces => (String::new(), String::new()),
    };
    for v in [&mut services, &mut edges] {
        v.sort_by_key(key);
        v.dedup();
    }
    services.extend(edges);
    services
}

/// Which parts of the Analysis screen to work out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts {
    /// Root causes.
    pub causes: bool,
    /// The comparison.
    pub compare: bool,
    /// The histogram and what it can measure.
    pub histogram: bool,
    /// The time series and the RED tables.
    pub time: bool,
}

impl Parts {
    /// Everything.
    pub const ALL: Parts = Parts {
        causes: true,
        compare: true,
        histogram: true,
        time: true,
    };
    /// Nothing.
    pub const NONE: Parts = Parts {
        causes: false,
        compare: false,
        histogram: false,
        time: false,
    };
}

/// What the Analysis screen asks about a set of traces.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    /// The traces (row indices): what the list shows.
    pub rows: Vec<usize>,
    /// The rows the list would show without its filter expression, for the baseline of
    /// [`Selection::Filter`] (every row when `None`).
    pub context: Option<Vec<usize>>,
    /// The Compare tab's selection.
    pub selection: Selection,
    /// What the histogram measures.
    pub measured: Measured,
    /// Histogram bins.
    pub buckets: usize,
    /// The parts wanted.
    pub parts: Parts,
}

/// The Compare tab's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// What was selected.
    pub selection: Selection,
    /// Traces selected.
    pub selected: usize,
    /// Traces in the baseline.
    pub baseline: usize,
    /// The differences, largest first.
    pub differences: Vec<Difference>,
}

/// The Over time tab's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// The interval (seconds).
    pub interval: f64,
    /// Requests per interval.
    pub series: Vec<Interval>,
    /// Per service and per operation.
    pub red: RedTables,
}

/// The answers to a [`Question`]: the parts asked for.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Answers {
    /// Traces analysed.
    pub traces: usize,
    /// Root causes.
    pub causes: Option<Vec<CauseGroup>>,
    /// The comparison.
    pub compare: Option<Comparison>,
    /// The histogram, and what else it can measure.
    pub histogram: Option<(Histogram, Vec<Measured>)>,
    /// The time series and the RED tables.
    pub time: Option<Timeline>,
}

/// Works out the parts `q` asks for; `None` as soon as `stale()` says (between parts) that the
/// answer is no longer wanted.
///
/// `table`, when given, has the [`Facts`] of the dataset's rows (see [`FactTable::build`]):
/// the parts that read inside traces then assemble none.
pub fn answer(
    data: &Dataset,
    table: Option<&FactTable>,
    q: &Question,
    stale: &dyn Fn() -> bool,
) -> Option<Answers> {
    let rows = &q.rows;
    let mut a = Answers {
        traces: rows.len(),
        ..Answers::default()
    };
    if q.parts.causes {
        a.causes = Some(root_causes_with(data, table, rows));
    }
    if stale() {
        return None;
    }
    if q.parts.histogram {
        a.histogram = Some((
            histogram(data, rows, &q.measured, q.buckets),
            measurable(data, rows),
        ));
    }
    if stale() {
        return None;
    }
    if q.parts.time {
        let interval = span(data, rows).map_or(60.0, |(a, b)| auto_interval(b - a));
        a.time = Some(Timeline {
            interval,
            series: over_time(data, rows, interval),
            red: red_with(data, table, rows, interval),
        });
    }
    if stale() {
        return None;
    }
    if q.parts.compare {
        let (sel, base) = split(data, rows, q.context.as_deref(), q.selection);
        a.compare = Some(Comparison {
            selection: q.selection,
            selected: sel.len(),
            baseline: base.len(),
            differences: compare_with(data, table, &sel, &base),
        });
    }
    Some(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_selection_are_those_of_the_sorted_values() {
        let mut seed = 11u64;
        for n in [0usize, 1, 2, 3, 10, 99, 1000] {
            let mut v: Vec<f64> = (0..n)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (seed >> 40) as f64 / 1000.0
                })
                .collect();
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            let ps = [0.0, 1.0, 50.0, 90.0, 99.0, 100.0];
            let got = percentiles(&mut v, ps);
            let want = ps.map(|p| percentile(&sorted, p));
            assert_eq!(got, want, "n = {n}");
        }
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(5.0));
        assert_eq!(percentile(&v, 90.0), Some(9.0));
        assert_eq!(percentile(&v, 99.0), Some(10.0));
        assert_eq!(percentile(&v, 0.0), Some(1.0));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[3.0], 99.0), Some(3.0));
    }

    #[test]
    fn dimensions_parse_and_say_what_is_allowed() {
        assert_eq!("url".parse::<Dimension>(), Ok(Dimension::Url));
        assert_eq!(
            "annotation.customer_tier".parse::<Dimension>(),
            Ok(Dimension::Annotation("customer_tier".into()))
        );
        let e = "colour".parse::<Dimension>().expect_err("unknown");
        assert!(e.contains("annotation.KEY"), "{e}");
        assert!("annotation.".parse::<Dimension>().is_err());
    }
}
