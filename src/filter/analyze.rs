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

use crate::engine::dataset::{BodyToken, Dataset};
use crate::filter::print::{annotation_keyword, write_string};
use crate::model::format::route;
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

    /// The names of the dimensions besides `annotation.KEY`, as `analyze --by` takes them.
    pub fn names() -> impl Iterator<Item = &'static str> {
        tabled().into_iter().map(|(n, _, _)| n)
    }

    /// Whether its keys are read inside each trace (its documents), not from its list row:
    /// a [`FactTable`] then saves assembling every trace again.
    pub const fn reads_inside(&self) -> bool {
        !matches!(
            self,
            Dimension::Url
                | Dimension::Status
                | Dimension::Method
                | Dimension::User
                | Dimension::Service
                | Dimension::Edge
        )
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
    sorted.get(rank(sorted.len(), p)?).copied()
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
        Group::tallied(key, filter, Tally::of(data, members), members.len(), total)
    }

    /// The group of `count` traces (of `total` analysed) that add up to `t`.
    fn tallied(key: String, filter: String, mut t: Tally, count: usize, total: usize) -> Group {
        let [p50, p90, p99] = t.percentiles([50.0, 90.0, 99.0]);
        Group {
            filter,
            count,
            share: if total == 0 {
                0.0
            } else {
                count as f64 / total as f64
            },
            faults: t.faults,
            errors: t.errors,
            throttles: t.throttles,
            p50,
            p90,
            p99,
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
    summary: std::cell::OnceCell<Option<std::sync::Arc<crate::model::TraceSummary>>>,
    trace: std::cell::OnceCell<Option<std::sync::Arc<Trace>>>,
    facts: std::cell::OnceCell<Option<Arc<Facts>>>,
}

impl<'a> Seen<'a> {
    fn new(data: &'a Dataset, row: usize) -> Self {
        Seen {
            data,
            row,
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

    /// What the analysis reads of the trace, worked out from its summary and its assembled
    /// trace.
    fn facts(&self) -> Option<&Facts> {
        self.facts
            .get_or_init(|| {
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

/// The dimensions a [`FactTable`] keeps each trace's keys of, with whether the comparison
/// ranks them (besides each annotation key, kept as met).
fn tabled() -> [(&'static str, Dimension, bool); 14] {
    [
        ("rootcause", Dimension::RootCause, true),
        ("rootcause-entity", Dimension::RootCauseEntity, true),
        ("exception", Dimension::Exception, true),
        ("service", Dimension::Service, true),
        ("edge", Dimension::Edge, true),
        ("url", Dimension::Url, true),
        ("status", Dimension::Status, true),
        ("method", Dimension::Method, true),
        ("user", Dimension::User, true),
        ("resource-arn", Dimension::ResourceArn, true),
        ("sdk", Dimension::Sdk, true),
        ("fault-rootcause", Dimension::FaultRootCause, false),
        ("error-rootcause", Dimension::ErrorRootCause, false),
        ("operation", Dimension::Operation, false),
    ]
}

/// Rows of numbers: each row's items in one shared list (a row is a range of it), so that a
/// million traces make a few large allocations instead of millions of small ones.
#[derive(Debug, Clone, PartialEq)]
struct PerRow<T> {
    /// Where each row starts in `items`, and where the last one ends.
    at: Vec<usize>,
    items: Vec<T>,
}

impl<T> Default for PerRow<T> {
    fn default() -> Self {
        PerRow {
            at: vec![0],
            items: Vec::new(),
        }
    }
}

impl<T> PerRow<T> {
    /// Adds a row.
    fn push(&mut self, row: impl IntoIterator<Item = T>) {
        self.items.extend(row);
        self.at.push(self.items.len());
    }

    /// The items of row `i` (none past the last row).
    fn row(&self, i: usize) -> &[T] {
        match (self.at.get(i), self.at.get(i + 1)) {
            (Some(&a), Some(&b)) => self.items.get(a..b).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Rows.
    fn len(&self) -> usize {
        self.at.len() - 1
    }

    /// Appends `other`'s rows, each item mapped by `f`.
    fn append<U>(&mut self, other: PerRow<U>, f: impl FnMut(U) -> T) {
        let base = self.items.len();
        self.items.extend(other.items.into_iter().map(f));
        self.at
            .extend(other.at.into_iter().skip(1).map(|a| a + base));
    }

    /// Heap bytes.
    fn bytes(&self) -> usize {
        self.at.capacity() * size_of::<usize>() + self.items.capacity() * size_of::<T>()
    }
}

/// One operation of a trace as a [`FactTable`] keeps it (12 bytes): which, when, how long,
/// how it ended.
#[derive(Debug, Clone, Copy, PartialEq)]
struct OpFact {
    /// The operation's number, with its error ([`OpFact::ERROR`]) and fault
    /// ([`OpFact::FAULT`]) flags.
    id: u32,
    /// Seconds after the trace's first start.
    after: f32,
    /// Seconds it took (NaN: in progress).
    time: f32,
}

impl OpFact {
    const ERROR: u32 = 1 << 30;
    const FAULT: u32 = 1 << 31;
    const ID: u32 = Self::ERROR - 1;

    /// Operation `o` of a trace that started at `first` (epoch seconds), numbered `id`
    /// (`None` past 2^30 operations).
    fn of(o: &Operation, id: u32, first: f64) -> Option<OpFact> {
        (id <= Self::ID).then(|| OpFact {
            id: id | if o.error { Self::ERROR } else { 0 } | if o.fault { Self::FAULT } else { 0 },
            after: (o.start - first) as f32,
            time: o.duration.map_or(f32::NAN, |d| d as f32),
        })
    }

    fn id(&self) -> usize {
        (self.id & Self::ID) as usize
    }

    fn error(&self) -> bool {
        self.id & Self::ERROR != 0
    }

    fn fault(&self) -> bool {
        self.id & Self::FAULT != 0
    }

    /// When it started, for a trace that started at `first`.
    fn start(&self, first: f64) -> f64 {
        first + f64::from(self.after)
    }

    fn duration(&self) -> Option<f64> {
        (!self.time.is_nan()).then_some(f64::from(self.time))
    }
}

/// What the analysis reads inside each trace of a dataset (its [`Facts`]), worked out once
/// (on several threads, by the caller) and kept, numbered, while the dataset is analysed again
/// and again (another filter, another selection, another tab): per row, the number of every
/// key it has in each dimension (the fixed dimensions, and each annotation key), the root
/// causes it ends in and meets, and its operations. The views that read inside traces then
/// only count.
///
/// Why numbers: a table of each trace's facts as text and lists took ~1.8 KB a trace (1.8 GB
/// at a million traces); numbered in shared lists it takes a few hundred bytes.
#[derive(Debug, Default)]
pub struct FactTable {
    /// The dimensions met (`rootcause`, ..., `annotation.tier`), and whether the comparison
    /// ranks them.
    dims: Vec<(Arc<str>, bool)>,
    /// The keys met: dimension (number), key, clause.
    keys: Vec<(u32, Box<str>, Box<str>)>,
    /// Per row, the numbers of its keys, sorted, without repeats.
    row_keys: PerRow<u32>,
    /// The root causes met ([`cause_parts`]), numbered.
    causes: Vec<CauseId>,
    /// Per row, the causes its paths end in, and those it meets (sorted, no repeats).
    cause_ends: PerRow<u32>,
    cause_meets: PerRow<u32>,
    /// Per row, its operations, numbered in `op_keys`.
    ops: PerRow<OpFact>,
    /// The operations met: their keys (of the `operation` dimension).
    op_keys: Vec<u32>,
    /// What groups add up of each row.
    measures: Measures,
    /// Per row, its trace's ID and documents, so that a later table of the same live source
    /// can copy the rows of traces that did not change.
    tokens: Vec<Option<(Arc<str>, BodyToken)>>,
    /// How many keys some row has.
    used: usize,
}

/// A part of a [`FactTable`] as one thread works it out, numbered on its own.
#[derive(Default)]
pub struct FactChunk {
    table: FactTable,
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
/// repeats, in place.
fn renumber(ids: &mut [u32], local: &[u32]) -> usize {
    for k in ids.iter_mut() {
        *k = local.get(*k as usize).copied().unwrap_or(u32::MAX);
    }
    ids.sort_unstable();
    let mut n = 0;
    for i in 0..ids.len() {
        if ids[i] != u32::MAX && (n == 0 || ids[n - 1] != ids[i]) {
            ids[n] = ids[i];
            n += 1;
        }
    }
    n
}

/// Appends `rows` (numbered by `local`) to `to`, each row sorted and without repeats.
fn append_renumbered(to: &mut PerRow<u32>, mut rows: PerRow<u32>, local: &[u32]) {
    for i in 0..rows.len() {
        let (a, b) = (rows.at[i], rows.at[i + 1]);
        let n = renumber(&mut rows.items[a..b], local);
        to.push(rows.items[a..a + n].iter().copied());
    }
}

/// The name a dimension has in a [`FactTable`] (`rootcause`, `annotation.tier`).
fn dim_name(dim: &Dimension) -> std::borrow::Cow<'static, str> {
    if let Dimension::Annotation(k) = dim {
        return format!("annotation.{k}").into();
    }
    tabled()
        .into_iter()
        .find(|(_, d, _)| d == dim)
        .map_or("".into(), |(n, _, _)| n.into())
}

impl FactTable {
    /// The facts of every row of `data`. `map` must return `f(chunk)` for every chunk (rows
    /// of `data`), in order (a caller spreads them over its threads; the core starts none).
    pub fn build(
        data: &Dataset,
        map: impl FnOnce(Vec<Vec<usize>>, &(dyn Fn(Vec<usize>) -> FactChunk + Sync)) -> Vec<FactChunk>,
    ) -> FactTable {
        FactTable::build_from(data, None, map)
    }

    /// [`FactTable::build`], copying from `previous` (the table of an earlier dataset of the
    /// same live source) the rows of the traces that are the same in both
    /// ([`crate::engine::dataset::Traces::body_token`]): only new and changed traces are read.
    pub fn build_from(
        data: &Dataset,
        previous: Option<&FactTable>,
        map: impl FnOnce(Vec<Vec<usize>>, &(dyn Fn(Vec<usize>) -> FactChunk + Sync)) -> Vec<FactChunk>,
    ) -> FactTable {
        const CHUNK: usize = 2048;
        let n = data.rows.len();
        let reused = previous.map(|p| p.reusable(data));
        let todo: Vec<usize> = (0..n)
            .filter(|&i| reused.as_ref().is_none_or(|r| r[i].is_none()))
            .collect();
        let chunks: Vec<Vec<usize>> = todo.chunks(CHUNK).map(<[usize]>::to_vec).collect();
        let done = map(chunks, &|rows| FactTable::chunk(data, &rows));
        // The chunks' numbers made the table's (which goes on from the previous one's).
        let mut t = previous.map(FactTable::numbering).unwrap_or_default();
        let mut dims: foldhash::HashMap<Arc<str>, u32> = (0u32..)
            .zip(&t.dims)
            .map(|(d, (name, _))| (name.clone(), d))
            .collect();
        let mut keys: foldhash::HashMap<(u32, Box<str>), u32> = (0u32..)
            .zip(&t.keys)
            .map(|(k, (d, key, _))| ((*d, key.clone()), k))
            .collect();
        let mut causes: foldhash::HashMap<CauseId, u32> = (0u32..)
            .zip(&t.causes)
            .map(|(n, c)| (c.clone(), n))
            .collect();
        let mut ops: foldhash::HashMap<u32, u32> =
            (0u32..).zip(&t.op_keys).map(|(n, &k)| (k, n)).collect();
        for FactChunk { table: c } in done {
            let local_dims: Vec<u32> = c
                .dims
                .into_iter()
                .map(|(name, ranked)| match dims.get(&name) {
                    Some(&d) => d,
                    None => {
                        let d = t.dims.len() as u32;
                        t.dims.push((name.clone(), ranked));
                        dims.insert(name, d);
                        d
                    }
                })
                .collect();
            let local: Vec<u32> = c
                .keys
                .into_iter()
                .map(|(dim, key, filter)| {
                    let dim = local_dims.get(dim as usize).copied().unwrap_or(u32::MAX);
                    let k = (dim, key);
                    if let Some(&id) = keys.get(&k) {
                        return id;
                    }
                    let id = t.keys.len() as u32;
                    t.keys.push((dim, k.1.clone(), filter));
                    keys.insert(k, id);
                    id
                })
                .collect();
            append_renumbered(&mut t.row_keys, c.row_keys, &local);
            // A chunk numbers its operations by their keys; the table, densely.
            let mut op_number = |key: usize| -> u32 {
                let key = local.get(key).copied().unwrap_or(u32::MAX);
                number_of(&mut ops, &mut t.op_keys, key).min(OpFact::ID)
            };
            let numbered: Vec<u32> = c.ops.items.iter().map(|o| op_number(o.id())).collect();
            let mut numbered = numbered.into_iter();
            t.ops.append(c.ops, |o| OpFact {
                id: (o.id & !OpFact::ID) | numbered.next().unwrap_or(OpFact::ID),
                ..o
            });
            let local: Vec<u32> = c
                .causes
                .into_iter()
                .map(|id| number_of(&mut causes, &mut t.causes, id))
                .collect();
            append_renumbered(&mut t.cause_ends, c.cause_ends, &local);
            append_renumbered(&mut t.cause_meets, c.cause_meets, &local);
            t.tokens.extend(c.tokens);
        }
        // The rows in order: copied from the previous table, or read now.
        if let (Some(p), Some(reused)) = (previous, reused) {
            let fresh = std::mem::take(&mut t);
            t = fresh.numbering();
            let mut next = 0;
            for r in reused {
                match r {
                    Some(j) => t.copy_row(p, j),
                    None => {
                        t.copy_row(&fresh, next);
                        next += 1;
                    }
                }
            }
        }
        let mut used = vec![false; t.keys.len()];
        for &k in &t.row_keys.items {
            if let Some(u) = used.get_mut(k as usize) {
                *u = true;
            }
        }
        t.used = used.into_iter().filter(|&u| u).count();
        t.measures = Measures::of(data);
        t
    }

    /// Its numbering (dimensions, keys, causes, operations), without rows.
    fn numbering(&self) -> FactTable {
        FactTable {
            dims: self.dims.clone(),
            keys: self.keys.clone(),
            causes: self.causes.clone(),
            op_keys: self.op_keys.clone(),
            ..FactTable::default()
        }
    }

    /// Adds row `j` of `from` (numbered as this table is).
    fn copy_row(&mut self, from: &FactTable, j: usize) {
        self.row_keys.push(from.row_keys.row(j).iter().copied());
        self.cause_ends.push(from.cause_ends.row(j).iter().copied());
        self.cause_meets
            .push(from.cause_meets.row(j).iter().copied());
        self.ops.push(from.ops.row(j).iter().copied());
        self.tokens.push(from.tokens.get(j).cloned().flatten());
    }

    /// For each row of `data`, this table's row of the same trace with the same documents.
    fn reusable(&self, data: &Dataset) -> Vec<Option<usize>> {
        let index: foldhash::HashMap<&str, usize> = self
            .tokens
            .iter()
            .enumerate()
            .filter_map(|(j, t)| Some((&*t.as_ref()?.0, j)))
            .collect();
        (0..data.rows.len())
            .map(|i| {
                let id = &*data.rows.get(i)?.id;
                let token = data.traces.body_token(data.trace_of_row(i)?)?;
                let &j = index.get(id)?;
                let (_, kept) = self.tokens.get(j)?.as_ref()?;
                kept.same(&token).then_some(j)
            })
            .collect()
    }

    /// Whether a later table may go on from this one: most of its keys are still some row's
    /// (a live source's traces come and go; their keys would pile up).
    pub fn worth_extending(&self) -> bool {
        self.keys.len() <= 2 * self.used + 4096
    }

    /// One chunk: each row's facts, then its keys in every dimension.
    fn chunk(data: &Dataset, rows: &[usize]) -> FactChunk {
        let mut strings = Strings::default();
        let mut edges = EdgeNames::new();
        let mut c = FactTable::default();
        let mut cause_ids: foldhash::HashMap<CauseId, u32> = Default::default();
        let mut ids: foldhash::HashMap<(u32, Box<str>), u32> = Default::default();
        let fixed = tabled();
        c.dims = fixed
            .iter()
            .map(|(n, _, ranked)| (Arc::from(*n), *ranked))
            .collect();
        let operation = fixed
            .iter()
            .position(|(_, d, _)| *d == Dimension::Operation)
            .unwrap_or(0) as u32;
        let mut notes: foldhash::HashMap<Arc<str>, u32> = Default::default();
        let mut mine = Vec::new();
        for &i in rows {
            let seen = Seen::new(data, i);
            c.tokens
                .push(data.trace_of_row(i).and_then(|t| {
                    Some((data.rows.get(i)?.id.clone(), data.traces.body_token(t)?))
                }));
            let facts = seen
                .summary()
                .map(|s| Arc::new(Facts::of(s, seen.trace(), &mut strings)));
            let _ = seen.facts.set(facts.clone());
            mine.clear();
            let mut add = |dim: u32, k: &str, f: &dyn Fn() -> String| {
                let key = (dim, Box::<str>::from(k));
                let id = match ids.get(&key) {
                    Some(&id) => id,
                    None => {
                        let id = c.keys.len() as u32;
                        c.keys.push((dim, key.1.clone(), f().into()));
                        ids.insert(key, id);
                        id
                    }
                };
                mine.push(id);
            };
            for (d, (_, dim, _)) in fixed.iter().enumerate() {
                keys_of(&seen, dim, &mut edges, &mut |k, f| add(d as u32, k, f));
            }
            let first = data.rows.get(i).and_then(|r| r.start_time).unwrap_or(0.0);
            if let Some(f) = &facts {
                for (k, value) in &f.annotations {
                    let dim = match notes.get(k) {
                        Some(&d) => d,
                        None => {
                            let d = c.dims.len() as u32;
                            c.dims.push((Arc::from(format!("annotation.{k}")), true));
                            notes.insert(k.clone(), d);
                            d
                        }
                    };
                    if let Some(text) = annotation_text(value) {
                        add(dim, &text, &|| annotation_filter(k, value, &text));
                    }
                }
                c.ops.push(f.operations.iter().filter_map(|o| {
                    let id = ids.get(&(operation, Box::from(&*o.key))).copied()?;
                    OpFact::of(o, id, first)
                }));
            } else {
                c.ops.push([]);
            }
            c.row_keys.push(mine.iter().copied());
            let (ends, meets) = facts.as_deref().map(cause_parts).unwrap_or_default();
            let mut number = |ids: Vec<CauseId>| -> Vec<u32> {
                ids.into_iter()
                    .map(|id| number_of(&mut cause_ids, &mut c.causes, id))
                    .collect()
            };
            let (ends, meets) = (number(ends), number(meets));
            c.cause_ends.push(ends);
            c.cause_meets.push(meets);
        }
        FactChunk { table: c }
    }

    /// [`cause_members`] from the numbers kept for each row.
    fn cause_members(&self, rows: &[usize]) -> (Vec<CauseId>, Vec<Vec<usize>>) {
        let mut present = vec![false; self.causes.len()];
        for &i in rows {
            for &n in self.cause_ends.row(i) {
                present[n as usize] = true;
            }
        }
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); self.causes.len()];
        for &i in rows {
            for &n in self.cause_meets.row(i) {
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

    /// How many rows it covers.
    pub fn len(&self) -> usize {
        self.row_keys.len()
    }

    /// It covers none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// About how many bytes it holds (its lists and their text).
    pub fn bytes(&self) -> usize {
        let text: usize = self.keys.iter().map(|(_, k, f)| k.len() + f.len()).sum();
        self.keys.capacity() * size_of::<(u32, Box<str>, Box<str>)>()
            + text
            + self.row_keys.bytes()
            + self.cause_ends.bytes()
            + self.cause_meets.bytes()
            + self.ops.bytes()
            + self.op_keys.capacity() * size_of::<u32>()
            + self.measures.times.capacity() * size_of::<f64>()
            + self.measures.flags.capacity()
            + self.causes.capacity() * size_of::<CauseId>()
    }

    /// Whether it is the table of `data` (as many rows).
    fn covers(&self, data: &Dataset) -> bool {
        self.len() == data.rows.len()
    }

    /// [`group_by`] by counting each row's keys of `dim` (operations from each row's list of
    /// them).
    fn group_by(&self, rows: &[usize], dim: &Dimension) -> Vec<Group> {
        let name = dim_name(dim);
        let Some(d) = self.dims.iter().position(|(n, _)| **n == *name) else {
            return Vec::new();
        };
        let d = d as u32;
        let mut members: Vec<Vec<u32>>;
        // The key of each list of members: an operation's, or the key itself.
        let operations = *dim == Dimension::Operation;
        if operations {
            members = vec![Vec::new(); self.op_keys.len()];
            for &i in rows {
                for o in self.ops.row(i) {
                    if let Some(m) = members.get_mut(o.id())
                        && m.last() != Some(&(i as u32))
                    {
                        m.push(i as u32);
                    }
                }
            }
        } else {
            members = vec![Vec::new(); self.keys.len()];
            for &i in rows {
                for &k in self.row_keys.row(i) {
                    if let (Some((kd, _, _)), Some(m)) =
                        (self.keys.get(k as usize), members.get_mut(k as usize))
                        && *kd == d
                    {
                        m.push(i as u32);
                    }
                }
            }
        }
        let mut out: Vec<Group> = members
            .into_iter()
            .enumerate()
            .filter(|(_, m)| !m.is_empty())
            .filter_map(|(n, m)| {
                let k = if operations {
                    *self.op_keys.get(n)? as usize
                } else {
                    n
                };
                let (_, key, filter) = self.keys.get(k)?;
                let t = self.measures.tally(&m);
                Some(Group::tallied(
                    key.to_string(),
                    filter.to_string(),
                    t,
                    m.len(),
                    rows.len(),
                ))
            })
            .collect();
        largest_first(&mut out);
        out
    }

    /// [`compare`] by counting each side's keys.
    fn compare(&self, selection: &[usize], baseline: &[usize]) -> Vec<Difference> {
        let mut counts = [vec![0u32; self.keys.len()], vec![0u32; self.keys.len()]];
        for (side, rows) in [selection, baseline].into_iter().enumerate() {
            for &i in rows {
                for &k in self.row_keys.row(i) {
                    if let Some(c) = counts[side].get_mut(k as usize) {
                        *c += 1;
                    }
                }
            }
        }
        // The dimensions ranked: the fixed ones, and the selection's annotation keys, the
        // first 50 by name.
        let mut ranked: Vec<bool> = self
            .dims
            .iter()
            .map(|(n, r)| *r && !n.starts_with("annotation."))
            .collect();
        let mut notes: Vec<(&str, usize)> = self
            .keys
            .iter()
            .zip(&counts[0])
            .filter(|(_, n)| **n > 0)
            .filter_map(|((d, _, _), _)| {
                let name = &*self.dims.get(*d as usize)?.0;
                name.starts_with("annotation.")
                    .then_some((name, *d as usize))
            })
            .collect();
        notes.sort_unstable();
        notes.dedup();
        for (_, d) in notes.into_iter().take(50) {
            ranked[d] = true;
        }
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
                    && ranked.get(*d as usize).copied().unwrap_or(false)
            })
            .map(|(k, (d, key, filter))| Difference {
                dimension: self
                    .dims
                    .get(*d as usize)
                    .map_or_else(String::new, |(n, _)| n.to_string()),
                key: key.to_string(),
                filter: filter.to_string(),
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
    if let Some(t) = table.filter(|t| t.covers(data)) {
        return t.group_by(rows, dim);
    }
    if *dim == Dimension::Edge {
        return edge_groups(data, rows);
    }
    let mut groups = Grouper::default();
    let mut edges = EdgeNames::new();
    for &i in rows {
        // A group counts a trace once however often its key comes (`Grouper::add`).
        keys_of(&Seen::new(data, i), dim, &mut edges, &mut |k, f| {
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

/// [`group_by`] edges: each trace's calls grouped by the node ids they join, named once a
/// pair (ids of the same names, of nodes of different types, make one group).
fn edge_groups(data: &Dataset, rows: &[usize]) -> Vec<Group> {
    let mut pairs: foldhash::HashMap<(u32, u32), u32> = Default::default();
    let mut members: Vec<Vec<usize>> = Vec::new();
    for &i in rows {
        let Some(frag) = data.trace_of_row(i).and_then(|t| data.traces.fragment(t)) else {
            continue;
        };
        for pair in frag.edges() {
            let n = *pairs.entry(pair).or_insert_with(|| {
                members.push(Vec::new());
                members.len() as u32 - 1
            });
            let m = &mut members[n as usize];
            if m.last() != Some(&i) {
                m.push(i);
            }
        }
    }
    let keys = data.traces.keys();
    let mut named: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    let mut merged = false;
    for ((a, b), n) in pairs {
        let names = (keys.get(a).name.as_str(), keys.get(b).name.as_str());
        let m = std::mem::take(&mut members[n as usize]);
        match named.get_mut(&names) {
            Some(rows) => {
                rows.extend(m);
                merged = true;
            }
            None => {
                named.insert(names, m);
            }
        }
    }
    let mut out: Vec<Group> = named
        .into_iter()
        .map(|((a, b), mut m)| {
            if merged {
                m.sort_unstable();
                m.dedup();
            }
            Group::of(
                format!("{a} -> {b}"),
                format!("edge({}, {})", quoted(a), quoted(b)),
                &m,
                data,
                rows.len(),
            )
        })
        .collect();
    largest_first(&mut out);
    out
}

/// The operation an entity stands for, with the service it belongs to (its segment's name):
/// an AWS call's `aws.operation` (`DynamoDB GetItem`, any entity), a segment's request
/// (`GET /api/products/{id}`: the URL's [`route`]). Other entities have none.
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
    let path = route(req.url.as_deref()?);
    let op = match req.method.as_deref() {
        Some(m) => format!("{m} {path}"),
        None => path.into_owned(),
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
    let (causes, members) = match table.filter(|t| t.covers(data)) {
        Some(t) => t.cause_members(rows),
        None => cause_members(data, rows),
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
fn cause_members(data: &Dataset, rows: &[usize]) -> (Vec<CauseId>, Vec<Vec<usize>>) {
    // Pass 1: the causes single paths end in (numbered).
    let mut ids: foldhash::HashMap<CauseId, u32> = Default::default();
    let mut causes: Vec<CauseId> = Vec::new();
    let mut parts: Vec<(usize, Vec<CauseId>)> = Vec::with_capacity(rows.len());
    for &i in rows {
        let seen = Seen::new(data, i);
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

/// What a [`Tally`] reads of each trace, by row, in two dense lists: adding up large groups
/// then reads a few bytes a trace, near each other, rather than each trace's whole row.
#[derive(Debug, Default)]
struct Measures {
    /// The response time (or duration; NaN: neither).
    times: Vec<f64>,
    /// Fault, error, throttle ([`Measures::FAULT`]...).
    flags: Vec<u8>,
}

impl Measures {
    const FAULT: u8 = 1;
    const ERROR: u8 = 2;
    const THROTTLE: u8 = 4;

    /// Every row of `data`.
    fn of(data: &Dataset) -> Measures {
        let mut m = Measures {
            times: Vec::with_capacity(data.rows.len()),
            flags: Vec::with_capacity(data.rows.len()),
        };
        for r in &data.rows {
            m.times
                .push(r.response_time.or(r.duration).unwrap_or(f64::NAN));
            m.flags.push(
                (u8::from(r.has_fault) * Self::FAULT)
                    | (u8::from(r.has_error) * Self::ERROR)
                    | (u8::from(r.has_throttle) * Self::THROTTLE),
            );
        }
        m
    }

    /// What the rows `members` add up to ([`Tally::of`]).
    fn tally(&self, members: &[u32]) -> Tally {
        let mut t = Tally::with_room(members.len());
        for &i in members {
            let (Some(&time), Some(&f)) = (self.times.get(i as usize), self.flags.get(i as usize))
            else {
                continue;
            };
            t.add(
                (!time.is_nan()).then_some(time),
                f & Self::FAULT != 0,
                f & Self::ERROR != 0,
                f & Self::THROTTLE != 0,
            );
        }
        t
    }
}

impl Tally {
    fn of(data: &Dataset, members: &[usize]) -> Tally {
        let mut t = Tally::with_room(members.len());
        for r in members.iter().filter_map(|&i| data.rows.get(i)) {
            t.add(
                r.response_time.or(r.duration),
                r.has_fault,
                r.has_error,
                r.has_throttle,
            );
        }
        t
    }

    /// None yet, with room for `n` times.
    fn with_room(n: usize) -> Tally {
        Tally {
            faults: 0,
            errors: 0,
            throttles: 0,
            times: Vec::with_capacity(n),
        }
    }

    /// One trace more: its response time (if any) and how it failed.
    fn add(&mut self, time: Option<f64>, fault: bool, error: bool, throttle: bool) {
        self.faults += usize::from(fault);
        self.errors += usize::from(error);
        self.throttles += usize::from(throttle);
        self.times.extend(time);
    }

    /// The `p`-th percentiles of its times ([`percentile`]), each found by selection rather
    /// than a whole sort (the times are reordered).
    fn percentiles<const N: usize>(&mut self, ps: [f64; N]) -> [Option<f64>; N] {
        ps.map(|p| {
            let at = rank(self.times.len(), p)?;
            Some(*self.times.select_nth_unstable_by(at, f64::total_cmp).1)
        })
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

/// A response-time distribution: bins from the fastest to the slowest, and the nearest-rank
/// percentiles. The bins are of equal width, or, when the times span more than two orders of
/// magnitude (most requests fast, a few very slow: the usual case), of equal ratio (a log
/// scale), so that where most requests are is not one bin.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Histogram {
    /// Values counted.
    pub count: u64,
    /// The bins, fastest first.
    pub bins: Vec<Bin>,
    /// The bins are of equal ratio (a log scale), not of equal width.
    pub log: bool,
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
    let (bins, log) = match (flat.first(), flat.last()) {
        (Some(&lo), Some(&hi)) => bins_of(&values, lo, hi, buckets),
        _ => (Vec::new(), false),
    };
    Histogram {
        count,
        bins,
        log,
        percentiles,
        range_filter,
    }
}

/// `buckets` bins from `lo` to `hi` (the last includes `hi`) counting `values` (sorted, each
/// with its count): of equal ratio when the positive values span more than two orders of
/// magnitude (zeros then go in the first bin, which starts at `lo`), else of equal width.
fn bins_of(values: &[(f64, u64)], lo: f64, hi: f64, buckets: usize) -> (Vec<Bin>, bool) {
    let base = values.iter().map(|v| v.0).find(|&v| v > 0.0).unwrap_or(0.0);
    let log = base > 0.0 && hi / base > 100.0;
    // The edge between bin `b - 1` and bin `b`.
    let edge = |b: usize| -> f64 {
        if b == 0 {
            lo
        } else if b == buckets {
            hi
        } else if log {
            base * (hi / base).powf(b as f64 / buckets as f64)
        } else {
            lo + (hi - lo) * b as f64 / buckets as f64
        }
    };
    let mut bins: Vec<Bin> = (0..buckets)
        .map(|b| Bin {
            lo: edge(b),
            hi: edge(b + 1),
            count: 0,
        })
        .collect();
    let span = if log {
        (hi / base).ln()
    } else {
        (hi - lo).max(f64::EPSILON)
    };
    for &(v, n) in values {
        let at = if log {
            if v < base {
                0.0
            } else {
                (v / base).ln() / span
            }
        } else {
            (v - lo) / span
        };
        let mut b = ((at * buckets as f64) as usize).min(buckets - 1);
        // Rounding at an edge: a value belongs to the bin whose range holds it.
        while b > 0 && v < bins[b].lo {
            b -= 1;
        }
        while b + 1 < buckets && v >= bins[b + 1].lo {
            b += 1;
        }
        bins[b].count += n;
    }
    (bins, log)
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
            let mut t = Tally::of(data, &m);
            let [p90] = t.percentiles([90.0]);
            Interval {
                start,
                count: m.len(),
                faults: t.faults,
                errors: t.errors,
                throttles: t.throttles,
                p90,
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
    if let Some(t) = table.filter(|t| t.covers(data)) {
        return t.compare(selection, baseline);
    }
    let dims: Vec<(String, Dimension)> = tabled()
        .into_iter()
        .filter(|(_, _, ranked)| *ranked)
        .map(|(n, d, _)| (n.to_owned(), d))
        .collect();
    // Per dimension, the groups of each side; annotation keys as they are met.
    let mut sides: Vec<[Grouper; 2]> = dims.iter().map(|_| Default::default()).collect();
    let mut notes: BTreeMap<String, [Grouper; 2]> = BTreeMap::new();
    let mut in_selection: std::collections::HashSet<String> = Default::default();
    let mut edges = EdgeNames::new();
    for (side, rows) in [selection, baseline].into_iter().enumerate() {
        for &i in rows {
            let seen = Seen::new(data, i);
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

/// What the requests of one thing (a service node, an operation) add up to.
#[derive(Clone)]
struct Totals {
    count: u64,
    errors: u64,
    faults: u64,
    /// Requests per interval.
    spark: Vec<u64>,
}

/// Requests added up per thing (numbered): their counts at once, their durations gathered in
/// one list and grouped by thing at the end (a counting sort), so that millions of requests
/// make a few allocations.
struct Tallies<T> {
    slots: usize,
    totals: Vec<Option<Totals>>,
    times: Vec<(u32, T)>,
}

impl<T: Copy + Default> Tallies<T> {
    fn new(things: usize, slots: usize) -> Self {
        Tallies {
            slots,
            totals: vec![None; things],
            times: Vec::new(),
        }
    }

    /// Thing `id`'s totals (made on first sight).
    fn of(&mut self, id: u32) -> Option<&mut Totals> {
        let slots = self.slots;
        let t = self.totals.get_mut(id as usize)?;
        Some(t.get_or_insert_with(|| Totals {
            count: 0,
            errors: 0,
            faults: 0,
            spark: vec![0; slots],
        }))
    }

    /// A request of thing `id`: in interval `slot`, `time` long (`None`: not measured),
    /// ended in an error or a fault.
    fn add(&mut self, id: u32, slot: Option<usize>, time: Option<T>, error: bool, fault: bool) {
        let Some(t) = self.of(id) else { return };
        t.count += 1;
        t.errors += u64::from(error);
        t.faults += u64::from(fault);
        if let Some(s) = slot.and_then(|s| t.spark.get_mut(s)) {
            *s += 1;
        }
        if let Some(time) = time {
            self.times.push((id, time));
        }
    }

    /// Each thing met, with its totals and the 50th and 99th percentiles of its times.
    fn finish(self, cmp: fn(&T, &T) -> std::cmp::Ordering) -> Vec<(usize, Totals, [Option<T>; 2])> {
        let mut at = vec![0usize; self.totals.len() + 1];
        for &(id, _) in &self.times {
            at[id as usize + 1] += 1;
        }
        for i in 1..at.len() {
            at[i] += at[i - 1];
        }
        let mut next = at.clone();
        let mut sorted: Vec<T> = vec![T::default(); self.times.len()];
        for (id, t) in self.times {
            let n = &mut next[id as usize];
            sorted[*n] = t;
            *n += 1;
        }
        self.totals
            .into_iter()
            .enumerate()
            .filter_map(|(id, t)| {
                let values = sorted.get_mut(at[id]..at[id + 1]).unwrap_or_default();
                let ps = [50.0, 99.0].map(|p| {
                    let at = rank(values.len(), p)?;
                    Some(*values.select_nth_unstable_by(at, cmp).1)
                });
                Some((id, t?, ps))
            })
            .collect()
    }
}

/// The index of the `p`-th percentile among `n` sorted values by nearest rank.
fn rank(n: usize, p: f64) -> Option<usize> {
    if n == 0 {
        return None;
    }
    let rank = ((p / 100.0) * n as f64).ceil().max(1.0) as usize;
    Some(rank.min(n) - 1)
}

/// The RED tables of the traces at `rows`, with sparklines of `interval` seconds (aligned as
/// [`over_time`] aligns its intervals).
pub fn red(data: &Dataset, rows: &[usize], interval: f64) -> RedTables {
    red_with(data, None, rows, interval)
}

/// [`red`], reading the traces' operations from `table` where it has them.
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
    // added up by node name, for the whole span and for each interval; times in whole
    // milliseconds, as the graph's histograms keep them.
    let keys = data.traces.keys();
    let mut names: Vec<&str> = Vec::new();
    let mut name_ids: foldhash::HashMap<&str, u32> = Default::default();
    let named: Vec<u32> = (0..keys.len() as u32)
        .map(|k| number_of(&mut name_ids, &mut names, keys.get(k).name.as_str()))
        .collect();
    let mut services: Tallies<u32> = Tallies::new(names.len(), n);
    for &i in rows {
        let Some(r) = data.rows.get(i) else { continue };
        let Some(frag) = data.trace_of_row(i).and_then(|t| data.traces.fragment(t)) else {
            continue;
        };
        let at = r.start_time.map(slot);
        frag.requests(&mut |key, measured| {
            let Some(&id) = named.get(key as usize) else {
                return;
            };
            match measured {
                None => {
                    services.of(id);
                }
                Some((d, outcome)) => {
                    use crate::model::segment::Outcome;
                    // Saturating at 49 days.
                    let ms = (d * 1000.0).round().max(0.0) as u32;
                    let (error, fault) = match outcome {
                        Outcome::Ok => (false, false),
                        Outcome::Fault => (false, true),
                        _ => (true, false),
                    };
                    services.add(id, at, Some(ms), error, fault);
                }
            }
        });
    }
    let mut services: Vec<Red> = services
        .finish(u32::cmp)
        .into_iter()
        .map(|(id, t, [p50, p99])| {
            let name = names.get(id).copied().unwrap_or_default();
            let secs = |ms: Option<u32>| ms.map(|ms| f64::from(ms) / 1000.0);
            Red {
                filter: format!("service({})", quoted(name)),
                name: name.to_owned(),
                count: t.count,
                rate: t.count as f64 / seconds,
                errors: t.errors,
                faults: t.faults,
                p50: secs(p50),
                p99: secs(p99),
                spark: t.spark,
            }
        })
        .collect();
    // Operations: every entity that is one, trace by trace (as the table numbers them when
    // there is one, numbered here by name otherwise).
    let add_op = |ops: &mut Tallies<f32>, o: &OpFact, first: f64| {
        let slot = Some(slot(o.start(first)));
        ops.add(
            o.id() as u32,
            slot,
            o.duration().map(|d| d as f32),
            o.error(),
            o.fault(),
        );
    };
    let (op_names, ops): (Vec<Arc<str>>, Tallies<f32>) = match table.filter(|t| t.covers(data)) {
        Some(t) => {
            let mut ops = Tallies::new(t.op_keys.len(), n);
            for &i in rows {
                let first = data.rows.get(i).and_then(|r| r.start_time).unwrap_or(0.0);
                for o in t.ops.row(i) {
                    add_op(&mut ops, o, first);
                }
            }
            let name = |&k: &u32| t.keys.get(k as usize).map_or("", |(_, k, _)| &**k);
            (t.op_keys.iter().map(|k| Arc::from(name(k))).collect(), ops)
        }
        None => {
            let mut names: Vec<Arc<str>> = Vec::new();
            let mut ids: foldhash::HashMap<Arc<str>, u32> = Default::default();
            let mut facts = Vec::new();
            for &i in rows {
                let seen = Seen::new(data, i);
                let Some(f) = seen.facts() else { continue };
                let first = data.rows.get(i).and_then(|r| r.start_time).unwrap_or(0.0);
                for o in &f.operations {
                    let id = number_of(&mut ids, &mut names, o.key.clone());
                    facts.extend(OpFact::of(o, id, first).map(|f| (f, first)));
                }
            }
            let mut ops = Tallies::new(names.len(), n);
            for (o, first) in &facts {
                add_op(&mut ops, o, *first);
            }
            (names, ops)
        }
    };
    let mut operations: Vec<Red> = ops
        .finish(f32::total_cmp)
        .into_iter()
        .map(|(id, t, [p50, p99])| Red {
            name: op_names.get(id).map_or_else(String::new, |n| n.to_string()),
            filter: String::new(),
            count: t.count,
            rate: t.count as f64 / seconds,
            errors: t.errors,
            faults: t.faults,
            p50: p50.map(f64::from),
            p99: p99.map(f64::from),
            spark: t.spark,
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
            // Three things' values, interleaved, grouped and selected by `Tallies`.
            let mut tallies: Tallies<u64> = Tallies::new(3, 1);
            let mut each: [Vec<f64>; 3] = Default::default();
            for i in 0..n {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let v = seed >> 40;
                tallies.add((i % 3) as u32, Some(0), Some(v), false, false);
                each[i % 3].push(v as f64);
            }
            let got = tallies.finish(u64::cmp);
            assert_eq!(got.len(), n.min(3), "n = {n}");
            for (id, totals, ps) in got {
                let mut sorted = each[id].clone();
                sorted.sort_by(f64::total_cmp);
                assert_eq!(totals.count as usize, sorted.len());
                assert_eq!(totals.spark, vec![sorted.len() as u64]);
                let want = [50.0, 99.0].map(|p| percentile(&sorted, p));
                assert_eq!(ps.map(|v| v.map(|v| v as f64)), want, "n = {n}");
            }
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
