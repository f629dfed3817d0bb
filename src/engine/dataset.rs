//! The collector: turns a stream of source [`Event`]s into a [`Dataset`] of traces, their
//! summaries, the service graph and the groups.
//!
//! Why it is shaped this way: inputs run to gigabytes, and a typed copy of every document costs
//! several times the bytes it came in. So documents that arrive as text ([`Item::Stored`], what
//! files give) stay text: the collector groups their spans by trace ID as they arrive, and at
//! [`Collector::finish`] each trace is parsed, assembled and summarised once, on every core,
//! then dropped, keeping only its summary and where its documents are. A trace is assembled
//! again when something opens it ([`Traces::get`], with a small cache). The daemon's store
//! keeps each trace the same way, as its documents' text, a summary and a graph fragment
//! ([`LiveTrace`], [`Dataset::from_live`]). Documents that arrive typed (AWS answers) are
//! assembled once and kept.
//!
//! Arrival order does not matter: a trace's documents are assembled together whenever they came.
//! Summaries read from a file stand in for traces whose documents were not loaded; a computed
//! summary wins when both exist.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;

use crate::engine::graph::{Fragment, GraphBuilder, ServiceKeys};
use crate::engine::{assemble, summarize};
use crate::model::input::{LineIndex, Origin, Stored};
use crate::model::row::{Interner, Row};
use crate::model::summary::SummaryAnnotationValue;
use crate::model::{Event, Item, Location, Warning, parse};
use crate::model::{Group, Segment, ServiceGraph, Trace, TraceSummary};

/// Traces with at least this many entities stay assembled after loading: parsing them again
/// would make opening them slow.
const KEEP_ASSEMBLED: usize = 5_000;

/// Annotation key -> up to [`SAMPLES`] distinct values seen.
pub type Samples = BTreeMap<String, Vec<SummaryAnnotationValue>>;

/// How many values of each annotation key [`Dataset::annotation_samples`] keeps.
pub const SAMPLES: usize = 20;

/// Adds the annotation values of `s` to `samples`, up to [`SAMPLES`] per key.
fn sample(samples: &mut Samples, s: &TraceSummary) {
    for (key, values) in &s.annotations {
        let list = match samples.get_mut(key) {
            Some(l) => l,
            None => samples.entry(key.clone()).or_default(),
        };
        for v in values {
            if list.len() >= SAMPLES {
                break;
            }
            if !list.contains(&v.annotation_value) {
                list.push(v.annotation_value.clone());
            }
        }
    }
}

/// What every trace's work adds to, under one lock: the rows' strings, the fragments' service
/// keys, the annotation samples.
type Shared = (Interner, ServiceKeys, Samples);

/// How many traces [`Collector::finish_with`] hands out at a time.
const BATCH: usize = 2_048;

/// How many assembled traces [`Traces::get`] keeps for the next call.
const CACHE: usize = 8;

/// Everything loaded from the sources, ready to query.
#[derive(Debug, Default, Clone)]
pub struct Dataset {
    /// The traces with documents, oldest first.
    pub traces: Traces,
    /// One row per trace (computed, or from a summary read from a file or a service), oldest
    /// first: what the list shows. [`Dataset::summary`] gives the full summary.
    pub rows: Vec<Row>,
    /// Full summaries kept beside `rows` where there is no stored trace to compute them from
    /// (read from a summaries file, or given by a live source); `None` where they are computed
    /// on demand.
    full: Vec<Option<Arc<TraceSummary>>>,
    /// Strings shared by the rows.
    strings: Interner,
    /// A few values of each annotation key seen in the traces whose summaries are not kept
    /// (for completion in the filter prompt).
    samples: Samples,
    /// Service graphs read from files.
    pub graphs: Vec<ServiceGraph>,
    /// Groups read from files.
    pub groups: Vec<Group>,
    /// What could not be read, with locations.
    pub warnings: Vec<Warning>,
}

impl Dataset {
    /// A dataset of these traces and their summaries (kept whole), in the summaries' order.
    pub fn from_summaries(traces: Traces, summaries: Vec<Arc<TraceSummary>>) -> Self {
        let mut d = Dataset {
            traces,
            ..Dataset::default()
        };
        for s in summaries {
            let row = if d.traces.position(&s.id).is_some() {
                Row::of(&s, &mut d.strings)
            } else {
                Row::of_summary_only(&s, &mut d.strings)
            };
            d.rows.push(row);
            d.full.push(Some(s));
        }
        d
    }

    /// A dataset of a live source's traces, ordered by start (ties by ID): nothing is parsed
    /// or assembled; each trace's summary and fragment are shared or copied.
    pub fn from_live(live: Vec<Arc<LiveTrace>>) -> Self {
        let mut live = live;
        live.sort_by(|a, b| a.start.total_cmp(&b.start).then_with(|| a.id.cmp(&b.id)));
        let mut d = Dataset::default();
        let t = &mut d.traces;
        t.entries.reserve_exact(live.len());
        t.frags.reserve_exact(live.len());
        for l in live {
            let mut frag = l.frag.clone();
            frag.rekey(&l.keys, &mut t.keys);
            t.push(
                Entry {
                    id: l.id.clone(),
                    limit_exceeded: l.limit_exceeded,
                    body: l.body.clone(),
                },
                frag,
            );
            d.rows.push(Row::of(&l.summary, &mut d.strings));
            d.full.push(Some(l.summary.clone()));
        }
        d
    }

    /// Adds the traces and rows of `other` after this dataset's (no trace may be in both):
    /// how a preview of a large load grows while the load goes on. Rows are no longer in start
    /// order (the list sorts them itself); groups, graphs read from files and warnings of
    /// `other` are left out.
    pub fn append(&mut self, other: Dataset) {
        let Dataset {
            traces,
            rows,
            full,
            samples,
            ..
        } = other;
        let t = &mut self.traces;
        // Texts shared by both are kept once.
        let texts: Vec<u32> = traces
            .texts
            .iter()
            .map(
                |text| match t.texts.iter().position(|x| Arc::ptr_eq(x, text)) {
                    Some(i) => i as u32,
                    None => {
                        t.texts.push(text.clone());
                        (t.texts.len() - 1) as u32
                    }
                },
            )
            .collect();
        let docs_before = t.docs.len() as u32;
        t.docs.extend(traces.docs.iter().map(|d| DocRef {
            text: texts.get(d.text as usize).copied().unwrap_or(d.text),
            ..*d
        }));
        for (mut e, mut frag) in traces.entries.into_iter().zip(traces.frags) {
            if let Body::Stored { first, .. } = &mut e.body {
                *first += docs_before;
            }
            frag.rekey(&traces.keys, &mut t.keys);
            t.push(e, frag);
        }
        self.rows.extend(rows);
        self.full.extend(full);
        for (key, values) in samples {
            let list = self.samples.entry(key).or_default();
            for v in values {
                if list.len() < SAMPLES && !list.contains(&v) {
                    list.push(v);
                }
            }
        }
    }

    /// How many rows have only a summary (no documents), counted now (the list counts it
    /// once per load, never per frame).
    pub fn summary_only_count(&self) -> usize {
        self.rows.iter().filter(|r| r.summary_only).count()
    }

    /// The full summary of row `index`: kept, or computed from its trace.
    pub fn summary(&self, index: usize) -> Option<Arc<TraceSummary>> {
        if let Some(Some(s)) = self.full.get(index) {
            return Some(s.clone());
        }
        let t = self
            .traces
            .build(self.traces.position(&self.rows.get(index)?.id)?)?;
        Some(Arc::new(summarize(&t)))
    }

    /// The full summary of `trace`, one of this dataset's, already assembled: the kept one,
    /// or computed from it (nothing is parsed again). `None` when it has no row.
    pub fn summary_of(&self, trace: &Trace) -> Option<Arc<TraceSummary>> {
        let i = self.row_of(&trace.id)?;
        Some(match self.kept_summary(i) {
            Some(s) => s.clone(),
            None => Arc::new(summarize(trace)),
        })
    }

    /// The full summary of row `index` when it is kept (not computed on demand).
    pub fn kept_summary(&self, index: usize) -> Option<&Arc<TraceSummary>> {
        self.full.get(index)?.as_ref()
    }

    /// A few values of each annotation key of the traces whose summaries are computed on
    /// demand (see [`Dataset::kept_summary`] for the others).
    pub fn annotation_samples(&self) -> &Samples {
        &self.samples
    }

    /// Every full summary, in row order (computed one by one where not kept).
    pub fn summaries(&self) -> impl Iterator<Item = Arc<TraceSummary>> + '_ {
        (0..self.rows.len()).filter_map(|i| self.summary(i))
    }

    /// Where the trace of row `i` is among [`Dataset::traces`] (`None`: summary only). Rows
    /// and traces are mostly in the same order, so this is mostly a comparison, not a lookup.
    pub fn trace_of_row(&self, i: usize) -> Option<usize> {
        let id = &*self.rows.get(i)?.id;
        if self.traces.id(i) == Some(id) {
            return Some(i);
        }
        self.traces.position(id)
    }

    /// The row of the trace with this ID: where its trace is when rows and traces are in the
    /// same order (no summary-only rows among them: the usual case, found at once), else found
    /// by a scan.
    pub fn row_of(&self, id: &str) -> Option<usize> {
        if let Some(i) = self.traces.position(id) {
            if self.rows.get(i).is_some_and(|r| &*r.id == id) {
                return Some(i);
            }
        }
        self.rows.iter().position(|r| &*r.id == id)
    }

    /// The ID under which a trace named `text` is loaded: the ID itself, the ID a pasted
    /// tracing header names, or the other spelling of either (X-Ray `1-…` ⇔ 32-digit W3C).
    /// `None` when no loaded trace (assembled or summarised) has any of them.
    pub fn resolve_id(&self, text: &str) -> Option<String> {
        crate::model::header::trace_id_candidates(text)
            .into_iter()
            .find(|c| self.traces.position(c).is_some() || self.row_of(c).is_some())
    }

    /// The trace with this ID (either spelling, or a tracing header naming it); a unique
    /// prefix or suffix of the ID in either spelling also matches.
    pub fn find_trace(&self, id: &str) -> Result<Arc<Trace>, FindError> {
        let exact = crate::model::header::trace_id_candidates(id)
            .into_iter()
            .find_map(|c| self.traces.position(&c));
        let index = match exact {
            Some(i) => i,
            None => {
                let id = id.trim();
                let lower = id.to_ascii_lowercase();
                let matches: Vec<usize> = (0..self.traces.len())
                    .filter(|&i| {
                        let t = self.traces.id(i).unwrap_or_default();
                        if id.is_empty() {
                            return false;
                        }
                        if t.starts_with(id) || t.ends_with(id) {
                            return true;
                        }
                        crate::model::header::other_form(t)
                            .is_some_and(|o| o.starts_with(&lower) || o.ends_with(&lower))
                    })
                    .collect();
                match matches.as_slice() {
                    [one] => *one,
                    [] => return Err(FindError::NotFound),
                    many => {
                        return Err(FindError::Ambiguous(
                            many.iter()
                                .filter_map(|&i| self.traces.id(i))
                                .map(str::to_owned)
                                .collect(),
                        ));
                    }
                }
            }
        };
        self.traces.get(index).ok_or(FindError::NotFound)
    }

    /// Nothing at all was loaded.
    pub fn is_empty(&self) -> bool {
        self.traces.is_empty()
            && self.rows.is_empty()
            && self.graphs.is_empty()
            && self.groups.is_empty()
    }
}

/// Why [`Dataset::find_trace`] found nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FindError {
    /// No trace has that ID.
    #[error("no trace with that ID")]
    NotFound,
    /// Several traces match a partial ID.
    #[error("the ID matches several traces: {}", .0.join(", "))]
    Ambiguous(Vec<String>),
}

/// Where one stored document is: a span of one of the dataset's texts.
#[derive(Debug, Clone, Copy)]
struct DocRef {
    text: u32,
    quoted: bool,
    len: u32,
    start: usize,
}

/// What the dataset holds of one trace.
#[derive(Debug, Clone)]
enum Body {
    /// Assembled and kept (typed input, or a trace too large to parse again quickly).
    Built(Arc<Trace>),
    /// Its documents, as spans (`docs[range]`), assembled when asked for.
    Stored { first: u32, count: u32 },
    /// Its documents, each a buffer of its own (what a live source keeps: documents arrive
    /// one datagram or request at a time), assembled when asked for.
    Texts(Arc<[Bytes]>),
}

/// The identity of a trace's documents ([`Traces::body_token`]). It keeps their allocation's
/// address from being reused while it is held, not the documents themselves.
#[derive(Debug, Clone)]
pub enum BodyToken {
    /// Texts of a live source.
    Texts(std::sync::Weak<[Bytes]>),
    /// A trace kept assembled.
    Built(std::sync::Weak<Trace>),
}

impl BodyToken {
    /// The same documents (still held by some dataset).
    pub fn same(&self, other: &BodyToken) -> bool {
        match (self, other) {
            (BodyToken::Texts(a), BodyToken::Texts(b)) => {
                std::sync::Weak::ptr_eq(a, b) && a.strong_count() > 0
            }
            (BodyToken::Built(a), BodyToken::Built(b)) => {
                std::sync::Weak::ptr_eq(a, b) && a.strong_count() > 0
            }
            _ => false,
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    id: Arc<str>,
    limit_exceeded: bool,
    body: Body,
}

/// The last few traces [`Traces::get`] assembled, by index, most recent last.
type Cache = Vec<(usize, Arc<Trace>)>;

/// The traces of a dataset, oldest first. Each is assembled on demand from its documents'
/// text (or kept assembled); the last few assembled are cached.
#[derive(Debug, Default, Clone)]
pub struct Traces {
    entries: Vec<Entry>,
    /// Each trace's contribution to the service graph (with `keys`), computed at load.
    frags: Vec<Fragment>,
    /// The services the fragments name.
    keys: ServiceKeys,
    docs: Vec<DocRef>,
    texts: Vec<Arc<String>>,
    index: HashMap<Arc<str>, usize>,
    cache: Arc<Mutex<Cache>>,
}

impl Traces {
    /// Traces already assembled, in this order.
    pub fn built(traces: Vec<Arc<Trace>>) -> Self {
        let mut t = Traces::default();
        for trace in traces {
            let frag = Fragment::of(&trace, &mut t.keys);
            t.push(
                Entry {
                    id: trace.id.as_str().into(),
                    limit_exceeded: trace.limit_exceeded,
                    body: Body::Built(trace),
                },
                frag,
            );
        }
        t
    }

    fn push(&mut self, e: Entry, frag: Fragment) {
        self.index.insert(e.id.clone(), self.entries.len());
        self.entries.push(e);
        self.frags.push(frag);
    }

    /// Finds each trace by ID again (after its entries were filled or reordered).
    fn reindex(&mut self) {
        self.index = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.clone(), i))
            .collect();
    }

    /// The trace at `index`'s contribution to the service graph (its nodes and edges too).
    pub fn fragment(&self, index: usize) -> Option<&Fragment> {
        self.frags.get(index)
    }

    /// The services the fragments name.
    pub fn keys(&self) -> &ServiceKeys {
        &self.keys
    }

    /// The service graph of these traces (by index), from their fragments: nothing is parsed.
    pub fn graph(&self, which: impl IntoIterator<Item = usize>) -> ServiceGraph {
        let mut b = GraphBuilder::new();
        for i in which {
            if let Some(f) = self.frags.get(i) {
                b.add_fragment(f, &self.keys);
            }
        }
        b.finish()
    }

    /// The service graph of every trace.
    pub fn graph_of_all(&self) -> ServiceGraph {
        self.graph(0..self.len())
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// None.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The ID of the trace at `index`.
    pub fn id(&self, index: usize) -> Option<&str> {
        self.entries.get(index).map(|e| &*e.id)
    }

    /// What the documents of the trace at `index` are, to tell whether it is the same trace
    /// in another dataset of the same live source (its texts, or its assembled trace, shared
    /// between the two rather than copied). `None` for documents in the dataset's own buffers
    /// (a file: every load is new).
    pub fn body_token(&self, index: usize) -> Option<BodyToken> {
        match &self.entries.get(index)?.body {
            Body::Texts(t) => Some(BodyToken::Texts(Arc::downgrade(t))),
            Body::Built(t) => Some(BodyToken::Built(Arc::downgrade(t))),
            Body::Stored { .. } => None,
        }
    }

    /// Every ID, in order.
    pub fn ids(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.entries.iter().map(|e| &*e.id)
    }

    /// Where the trace with exactly this ID is.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The trace at `index`, assembled (from its documents' text when it is not kept
    /// assembled; the last few are cached).
    pub fn get(&self, index: usize) -> Option<Arc<Trace>> {
        let e = self.entries.get(index)?;
        if let Body::Built(t) = &e.body {
            return Some(t.clone());
        }
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(pos) = cache.iter().position(|(i, _)| *i == index) {
            let hit = cache.remove(pos);
            let t = hit.1.clone();
            cache.push(hit);
            return Some(t);
        }
        drop(cache);
        let t = Arc::new(self.assemble(e));
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= CACHE {
            cache.remove(0);
        }
        cache.push((index, t.clone()));
        Some(t)
    }

    /// The trace at `index`, assembled without touching the cache (for passes over many
    /// traces, which would only push out the ones a person opened).
    pub fn build(&self, index: usize) -> Option<Arc<Trace>> {
        let e = self.entries.get(index)?;
        Some(match &e.body {
            Body::Built(t) => t.clone(),
            Body::Stored { .. } | Body::Texts(_) => Arc::new(self.assemble(e)),
        })
    }

    /// The trace at `index` is kept as text: assembling it means parsing it again.
    pub fn is_stored(&self, index: usize) -> bool {
        self.entries
            .get(index)
            .is_some_and(|e| !matches!(e.body, Body::Built(_)))
    }

    /// The trace with this ID.
    pub fn by_id(&self, id: &str) -> Option<Arc<Trace>> {
        self.get(self.position(id)?)
    }

    /// Every trace in order, each assembled as it is reached (none is kept by this).
    pub fn iter(&self) -> impl Iterator<Item = Arc<Trace>> + '_ {
        (0..self.entries.len()).filter_map(|i| self.build(i))
    }

    /// Parses and assembles a trace kept as text (its documents parsed when it was loaded or
    /// received, so the ones that fail were left out then).
    fn assemble(&self, e: &Entry) -> Trace {
        let mut t = match &e.body {
            Body::Built(t) => return Trace::clone(t),
            Body::Stored { first, count } => {
                let (first, count) = (*first as usize, *count as usize);
                let docs = self.docs.get(first..first + count).unwrap_or_default();
                assemble(
                    &e.id,
                    docs.iter()
                        .filter_map(|d| parse_doc(&self.texts, d, "").ok()),
                )
            }
            Body::Texts(texts) => assemble(&e.id, parse_texts(texts).filter_map(Result::ok)),
        };
        t.limit_exceeded = e.limit_exceeded;
        t
    }
}

/// Each of `texts` parsed as a segment document (a live source checked them for UTF-8 and
/// well-formed JSON when they arrived).
pub fn parse_texts(texts: &[Bytes]) -> impl Iterator<Item = Result<Segment, parse::Failure>> + '_ {
    texts.iter().map(|b| {
        let text = std::str::from_utf8(b).map_err(|e| parse::Failure {
            at: e.valid_up_to(),
            message: "not UTF-8".to_owned(),
        })?;
        parse::typed::<Segment>(text, "")
    })
}

/// One trace as a live source keeps it between snapshots: its documents' text (what it is
/// assembled from when someone opens it), its summary and its service-graph fragment,
/// computed once when its documents last changed. The same as a file's traces keep (text, a
/// summary, a fragment), so a live store holds no typed copy of a trace either, except of
/// one too large to parse again quickly.
#[derive(Debug)]
pub struct LiveTrace {
    id: Arc<str>,
    limit_exceeded: bool,
    body: Body,
    summary: Arc<TraceSummary>,
    /// The fragment, its services numbered in its own table (so a store's memory does not
    /// grow with the services of traces it has evicted).
    frag: Fragment,
    keys: ServiceKeys,
    start: f64,
}

impl LiveTrace {
    /// `trace`, assembled from `texts` (the documents that parsed, in any order), summarised
    /// and reduced to its fragment; kept assembled only when it is large.
    pub fn new(trace: Trace, texts: Vec<Bytes>) -> LiveTrace {
        let summary = Arc::new(summarize(&trace));
        let mut keys = ServiceKeys::new();
        let frag = Fragment::of(&trace, &mut keys);
        let start = trace.start_time().unwrap_or(0.0);
        let (id, limit_exceeded) = (Arc::from(trace.id.as_str()), trace.limit_exceeded);
        let body = if trace.nodes.len() >= KEEP_ASSEMBLED {
            Body::Built(Arc::new(trace))
        } else {
            Body::Texts(texts.into())
        };
        LiveTrace {
            id,
            limit_exceeded,
            body,
            summary,
            frag,
            keys,
            start,
        }
    }

    /// Its summary.
    pub fn summary(&self) -> &Arc<TraceSummary> {
        &self.summary
    }

    /// It is kept assembled (a large trace), not as text.
    pub fn is_built(&self) -> bool {
        matches!(self.body, Body::Built(_))
    }
}

fn parse_doc(texts: &[Arc<String>], d: &DocRef, path: &str) -> Result<Segment, parse::Failure> {
    let raw = texts
        .get(d.text as usize)
        .and_then(|t| t.get(d.start..d.start + d.len as usize))
        .unwrap_or_default();
    if d.quoted {
        parse::quoted_document(raw, path)
    } else {
        parse::typed::<Segment>(raw, path)
    }
}

/// The traces [`Collector::finish_showing`] has finished so far.
pub struct Partial<'a> {
    traces: &'a Traces,
    rows: &'a [Row],
    full: &'a [Option<Arc<TraceSummary>>],
    shared: &'a Mutex<Shared>,
}

impl Partial<'_> {
    /// How many.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// None yet.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// A copy of them as a dataset (in the order found, not by start; the groups, graphs and
    /// warnings of the load come with the finished one).
    pub fn dataset(&self) -> Dataset {
        let (keys, samples) = {
            let guard = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
            (guard.1.clone(), guard.2.clone())
        };
        let t = self.traces;
        let mut traces = Traces {
            entries: t.entries.clone(),
            frags: t.frags.clone(),
            keys,
            docs: t.docs.clone(),
            texts: t.texts.clone(),
            ..Traces::default()
        };
        traces.reindex();
        Dataset {
            traces,
            rows: self.rows.to_vec(),
            full: self.full.to_vec(),
            samples,
            ..Dataset::default()
        }
    }
}

/// A stored document waiting for [`Collector::finish`].
#[derive(Debug)]
struct Pending {
    at: DocRef,
    /// Index into the collector's origins.
    origin: u32,
    /// How many warnings had arrived before it: where its own warning goes, if it has one
    /// (as if it had been parsed when it was read).
    warnings_before: usize,
}

/// One trace's documents so far.
#[derive(Debug, Default)]
struct Slot {
    id: Arc<str>,
    typed: Vec<Segment>,
    stored: Vec<u32>,
    limit_exceeded: bool,
}

/// Accumulates events; [`Collector::finish`] assembles.
#[derive(Debug, Default)]
pub struct Collector {
    slots: Vec<Slot>,
    index: HashMap<Arc<str>, usize>,
    pending: Vec<Pending>,
    origins: Vec<Origin>,
    texts: Vec<Arc<String>>,
    summaries: Vec<TraceSummary>,
    graphs: Vec<ServiceGraph>,
    groups: Vec<Group>,
    warnings: Vec<Warning>,
    /// The tables the traces' work adds to (shared with [`Early`] parts still at work).
    shared: Arc<Mutex<Shared>>,
    /// Traces worked on while the input was still being read ([`Collector::settle`]), by slot:
    /// kept when the trace got no more documents since.
    early: HashMap<u32, Worked>,
}

/// A trace worked on early: how many stored documents it had then, its flag, the result.
struct Worked {
    count: u32,
    limit_exceeded: bool,
    done: Done,
}

impl fmt::Debug for Worked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Worked")
            .field("count", &self.count)
            .field("limit_exceeded", &self.limit_exceeded)
            .finish_non_exhaustive()
    }
}

/// Traces handed out while the input is still being read ([`Collector::early`]), with their
/// stored documents so far: parsed, assembled and summarised on another thread
/// ([`Early::run`]), the results taken back with [`Collector::settle`]. The reading goes on
/// meanwhile, so the work of a load is spread over both cores from its start; a trace that
/// gets more documents afterwards is worked on again at the end.
pub struct Early {
    /// The traces, their documents numbered `0..` in `part.pending`.
    part: Collector,
    /// For each of them: its slot in the collector, stored documents, flag.
    slots: Vec<(u32, u32, bool)>,
    /// The collector's number of each document of `part.pending`.
    numbers: Vec<u32>,
}

/// What [`Early::run`] worked out, for [`Collector::settle`].
pub struct Settled {
    worked: Vec<(u32, Worked)>,
    /// The same traces as a dataset of their own, in the order found, when [`Early::run`] was
    /// asked for it (what a preview of the load shows).
    pub shown: Option<Dataset>,
}

impl Early {
    /// How many traces.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// None.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Works on each trace in turn (on the calling thread); with `show`, also makes a dataset
    /// of them.
    pub fn run(self, show: bool) -> Settled {
        let Early {
            part,
            slots,
            numbers,
        } = self;
        let mut shown = show.then(|| Built::new(part.texts.clone()));
        let mut worked = Vec::with_capacity(slots.len());
        for (slot, (at, count, limit_exceeded)) in part.slots.into_iter().zip(slots) {
            let mut done = process(
                Job(slot),
                &part.pending,
                &part.origins,
                &part.texts,
                &part.shared,
            );
            if let Some(b) = shown.as_mut() {
                b.add(done.copy(), &part.pending);
            }
            let number = |n: &mut u32| *n = numbers.get(*n as usize).copied().unwrap_or(u32::MAX);
            done.parsed.iter_mut().for_each(number);
            done.failed.iter_mut().for_each(|(n, _)| number(n));
            worked.push((
                at,
                Worked {
                    count,
                    limit_exceeded,
                    done,
                },
            ));
        }
        let shown = shown.map(|b| {
            let (keys, samples) = {
                let guard = part.shared.lock().unwrap_or_else(PoisonError::into_inner);
                (guard.1.clone(), guard.2.clone())
            };
            b.dataset(keys, samples)
        });
        Settled { worked, shown }
    }
}

/// Traces as they are finished, in the order found: what a dataset is made of.
struct Built {
    traces: Traces,
    rows: Vec<Row>,
    full: Vec<Option<Arc<TraceSummary>>>,
    starts: Vec<f64>,
    failed: Vec<(u32, parse::Failure)>,
}

impl Built {
    fn new(texts: Vec<Arc<String>>) -> Self {
        Built {
            traces: Traces {
                texts,
                ..Traces::default()
            },
            rows: Vec::new(),
            full: Vec::new(),
            starts: Vec::new(),
            failed: Vec::new(),
        }
    }

    /// Files one finished trace (none when no document of it parsed).
    fn add(&mut self, d: Done, pending: &[Pending]) {
        self.failed.extend(d.failed);
        let body = match d.body {
            Some(t) => Body::Built(t),
            None if d.parsed.is_empty() => return,
            None => {
                let docs = &mut self.traces.docs;
                let first = docs.len() as u32;
                docs.extend(
                    d.parsed
                        .iter()
                        .filter_map(|&n| pending.get(n as usize))
                        .map(|p| p.at),
                );
                Body::Stored {
                    first,
                    count: docs.len() as u32 - first,
                }
            }
        };
        self.traces.entries.push(Entry {
            id: d.row.id.clone(),
            limit_exceeded: d.limit_exceeded,
            body,
        });
        self.traces.frags.push(d.frag.unwrap_or_default());
        self.starts.push(d.start.unwrap_or(0.0));
        self.rows.push(d.row);
        self.full.push(d.full);
    }

    /// A dataset of them, in the order found.
    fn dataset(self, keys: ServiceKeys, samples: Samples) -> Dataset {
        let mut traces = self.traces;
        traces.keys = keys;
        traces.reindex();
        Dataset {
            traces,
            rows: self.rows,
            full: self.full,
            samples,
            ..Dataset::default()
        }
    }
}

/// One trace's work for [`Collector::finish_with`]: its documents, to parse and assemble.
#[derive(Debug)]
pub struct Job(Slot);

/// One trace after parsing and assembly ([`Collector::finish_with`]).
pub struct Done {
    limit_exceeded: bool,
    start: Option<f64>,
    /// The list row, and the full summary when the trace is kept assembled.
    row: Row,
    full: Option<Arc<TraceSummary>>,
    body: Option<Arc<Trace>>,
    /// Indices into `pending` of the documents that parsed.
    parsed: Vec<u32>,
    /// Its contribution to the service graph (keys of the shared table).
    frag: Option<Fragment>,
    /// Documents that did not parse, with why.
    failed: Vec<(u32, parse::Failure)>,
}

impl Done {
    /// A copy to show (without its failures, which are the load's to report).
    fn copy(&self) -> Done {
        Done {
            limit_exceeded: self.limit_exceeded,
            start: self.start,
            row: self.row.clone(),
            full: self.full.clone(),
            body: self.body.clone(),
            parsed: self.parsed.clone(),
            frag: self.frag.clone(),
            failed: Vec::new(),
        }
    }
}

impl Collector {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one event.
    pub fn push(&mut self, event: Event) {
        match event {
            Event::Warning(w) => self.warnings.push(w),
            Event::Item(Item::Document(doc)) => match doc.trace_id.clone() {
                Some(id) => self.slot(id).typed.push(doc),
                None => self.warnings.push(Warning {
                    location: Location {
                        source: "(input)".into(),
                        line: None,
                        column: None,
                    },
                    message: format!("segment {} has no trace_id; skipped", doc.id),
                }),
            },
            Event::Item(Item::Stored(mut doc)) => {
                let id = std::mem::take(&mut doc.trace_id);
                let n = self.keep(doc);
                self.slot(id).stored.push(n);
            }
            Event::Item(Item::Trace {
                id,
                documents,
                limit_exceeded,
            }) => {
                let slot = self.slot(id);
                slot.limit_exceeded |= limit_exceeded;
                slot.typed.extend(documents);
            }
            Event::Item(Item::Summary(s)) => self.summaries.push(s),
            Event::Item(Item::ServiceGraph(g)) => self.graphs.push(g),
            Event::Item(Item::Groups(g)) => {
                for group in g {
                    match self
                        .groups
                        .iter_mut()
                        .find(|x| x.group_name == group.group_name)
                    {
                        Some(old) => *old = group,
                        None => self.groups.push(group),
                    }
                }
            }
        }
    }

    fn slot(&mut self, id: String) -> &mut Slot {
        let n = match self.index.get(id.as_str()) {
            Some(&n) => n,
            None => {
                let n = self.slots.len();
                let id: Arc<str> = id.into();
                self.index.insert(id.clone(), n);
                self.slots.push(Slot {
                    id,
                    ..Slot::default()
                });
                n
            }
        };
        &mut self.slots[n]
    }

    /// The index of `o` in `origins` (most documents of an input share one).
    fn origin(&mut self, o: Origin) -> u32 {
        let last = self.origins.len().saturating_sub(4);
        if let Some(i) = self.origins[last..].iter().rposition(|x| *x == o) {
            return (last + i) as u32;
        }
        self.origins.push(o);
        (self.origins.len() - 1) as u32
    }

    /// Files a stored document; returns its index in `pending`.
    fn keep(&mut self, doc: Stored) -> u32 {
        let text = match self.texts.last() {
            Some(t) if Arc::ptr_eq(t, &doc.text) => self.texts.len() - 1,
            _ => match self.texts.iter().position(|t| Arc::ptr_eq(t, &doc.text)) {
                Some(i) => i,
                None => {
                    self.texts.push(doc.text.clone());
                    self.texts.len() - 1
                }
            },
        };
        let n = self.pending.len() as u32;
        let origin = self.origin(doc.origin);
        self.pending.push(Pending {
            at: DocRef {
                text: text as u32,
                quoted: doc.quoted,
                len: u32::try_from(doc.len).unwrap_or(u32::MAX),
                start: doc.start,
            },
            origin,
            warnings_before: self.warnings.len(),
        });
        n
    }

    /// The traces of this range (in the order found) that have only stored documents so far,
    /// to be worked on while reading goes on (see [`Early`]). Cheap: documents are spans of
    /// texts shared with this collector.
    pub fn early(&self, traces: std::ops::Range<usize>) -> Early {
        let mut part = Collector {
            texts: self.texts.clone(),
            shared: self.shared.clone(),
            ..Collector::default()
        };
        let (mut slots, mut numbers) = (Vec::new(), Vec::new());
        let first = traces.start;
        for (i, slot) in self
            .slots
            .get(traces)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            if slot.stored.is_empty() || !slot.typed.is_empty() {
                continue;
            }
            let from = part.pending.len() as u32;
            for &n in &slot.stored {
                let Some(p) = self.pending.get(n as usize) else {
                    continue;
                };
                let origin = self
                    .origins
                    .get(p.origin as usize)
                    .cloned()
                    .unwrap_or_default();
                let origin = part.origin(origin);
                part.pending.push(Pending {
                    at: p.at,
                    origin,
                    warnings_before: 0,
                });
                numbers.push(n);
            }
            part.slots.push(Slot {
                id: slot.id.clone(),
                typed: Vec::new(),
                stored: (from..part.pending.len() as u32).collect(),
                limit_exceeded: slot.limit_exceeded,
            });
            slots.push((
                (first + i) as u32,
                slot.stored.len() as u32,
                slot.limit_exceeded,
            ));
        }
        Early {
            part,
            slots,
            numbers,
        }
    }

    /// Takes back what an [`Early`] part worked out.
    pub fn settle(&mut self, s: Settled) {
        self.early.extend(s.worked);
    }

    /// How many traces have documents so far.
    pub fn trace_count(&self) -> usize {
        self.slots.len()
    }

    /// Parses, assembles and summarises every trace, and orders them by start.
    pub fn finish(self) -> Dataset {
        self.finish_with(|jobs, run| jobs.into_iter().map(run).collect())
    }

    /// Same, with the caller running the per-trace work: `map` must return `run(job)` for
    /// every job, in the order given (a source hands them to several threads; the core starts
    /// none).
    pub fn finish_with(
        self,
        map: impl FnMut(Vec<Job>, &(dyn Fn(Job) -> Done + Sync)) -> Vec<Done>,
    ) -> Dataset {
        self.finish_showing(map, &mut |_| {})
    }

    /// Same, calling `show` after each batch with the traces finished so far (in the order
    /// they were found), so that a caller can show them while the rest is worked on.
    pub fn finish_showing(
        self,
        mut map: impl FnMut(Vec<Job>, &(dyn Fn(Job) -> Done + Sync)) -> Vec<Done>,
        show: &mut dyn FnMut(&Partial<'_>),
    ) -> Dataset {
        let Collector {
            slots,
            pending,
            texts,
            summaries: read_summaries,
            graphs,
            groups,
            mut warnings,
            index,
            origins,
            shared,
            mut early,
        } = self;
        // Not needed past this point; a large load should not carry it through the work.
        drop(index);
        let mut built = Built::new(texts);
        built.rows = Vec::with_capacity(slots.len() + read_summaries.len());
        built.full.reserve_exact(built.rows.capacity());
        built.starts.reserve_exact(slots.len());
        built.traces.entries.reserve_exact(slots.len());
        built.traces.frags.reserve_exact(slots.len());
        built.traces.docs.reserve_exact(pending.len());
        let mut slots = slots;
        // In batches: each batch's results go straight into the dataset, so the work in
        // flight, not the whole input's, is what is held besides it.
        // In the order found (the final order is set by sorting below), taken from the end of
        // the reversed slots, giving their memory back as they go.
        let mut next = 0u32;
        slots.reverse();
        while !slots.is_empty() {
            let batch: Vec<Slot> = slots.drain(slots.len().saturating_sub(BATCH)..).collect();
            if slots.capacity() > 4 * slots.len() + 4 * BATCH {
                slots.shrink_to_fit();
            }
            // Reversed back: in the order found within the batch too. A trace worked on while
            // reading, with no document since, is taken as it was worked out.
            let mut ready: Vec<Option<Done>> = Vec::with_capacity(batch.len());
            let mut jobs = Vec::new();
            for slot in batch.into_iter().rev() {
                let at = next;
                next += 1;
                match early.remove(&at) {
                    Some(w)
                        if w.count as usize == slot.stored.len()
                            && w.limit_exceeded == slot.limit_exceeded
                            && slot.typed.is_empty() =>
                    {
                        ready.push(Some(w.done));
                    }
                    _ => {
                        ready.push(None);
                        jobs.push(Job(slot));
                    }
                }
            }
            let mut done = if jobs.is_empty() {
                Vec::new()
            } else {
                map(jobs, &|job| {
                    process(job, &pending, &origins, &built.traces.texts, &shared)
                })
            }
            .into_iter();
            for d in ready {
                if let Some(d) = d.or_else(|| done.next()) {
                    built.add(d, &pending);
                }
            }
            show(&Partial {
                traces: &built.traces,
                rows: &built.rows,
                full: &built.full,
                shared: &shared,
            });
        }
        drop(early);
        // Early parts have all been settled (their threads hold no copy now); should one not
        // have been, its tables are copied.
        let (mut strings, keys, samples) = match Arc::try_unwrap(shared) {
            Ok(m) => m.into_inner().unwrap_or_else(PoisonError::into_inner),
            Err(arc) => arc.lock().unwrap_or_else(PoisonError::into_inner).clone(),
        };
        let Built {
            mut traces,
            mut rows,
            mut full,
            starts,
            mut failed,
        } = built;
        traces.keys = keys;

        // Documents that did not parse: located warnings, in input order.
        failed.sort_by_key(|(n, _)| *n);
        let mut lines: HashMap<u32, LineIndex> = HashMap::new();
        let mut late: Vec<(usize, Warning)> = Vec::with_capacity(failed.len());
        for (n, f) in failed {
            let Some(p) = pending.get(n as usize) else {
                continue;
            };
            let text = traces
                .texts
                .get(p.at.text as usize)
                .map_or("", |t| t.as_str());
            let index = lines
                .entry(p.at.text)
                .or_insert_with(|| LineIndex::new(text));
            late.push((
                p.warnings_before,
                Warning {
                    location: index.locate(
                        origins.get(p.origin as usize).map_or("", |o| &o.source),
                        text,
                        p.at.start + f.at,
                    ),
                    message: f.message,
                },
            ));
        }
        if !late.is_empty() {
            warnings = merge_in_order(warnings, late);
        }
        // What is left is only needed to add rows (a summaries file read with the documents):
        // the peak of a large load is reached below, so it goes now.
        drop(pending);
        drop(origins);
        if read_summaries.is_empty() {
            strings = Interner::default();
        }

        // Oldest first (ties by ID), moved in place.
        let mut order: Vec<u32> = (0..rows.len() as u32).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (a as usize, b as usize);
            starts[a]
                .total_cmp(&starts[b])
                .then_with(|| rows[a].id.cmp(&rows[b].id))
        });
        drop(starts);
        permute(&mut traces.entries, &order);
        permute(&mut traces.frags, &order);
        permute(&mut rows, &order);
        permute(&mut full, &order);
        drop(order);
        traces.reindex();

        if !read_summaries.is_empty() {
            let computed = rows.len();
            let mut seen: std::collections::HashSet<Arc<str>> =
                rows.iter().map(|r| r.id.clone()).collect();
            for s in read_summaries {
                if seen.insert(s.id.as_str().into()) {
                    rows.push(Row::of_summary_only(&s, &mut strings));
                    full.push(Some(Arc::new(s)));
                }
            }
            if rows.len() > computed {
                let mut pairs: Vec<(Row, Option<Arc<TraceSummary>>)> =
                    rows.into_iter().zip(full).collect();
                pairs.sort_by(|(a, _), (b, _)| {
                    a.start_time
                        .unwrap_or(0.0)
                        .total_cmp(&b.start_time.unwrap_or(0.0))
                        .then_with(|| a.id.cmp(&b.id))
                });
                (rows, full) = pairs.into_iter().unzip();
            }
        }
        Dataset {
            traces,
            rows,
            full,
            strings,
            samples,
            graphs,
            groups,
            warnings,
        }
    }
}

/// Reorders `v` in place so that `v[i]` becomes the old `v[order[i]]` (`order` is a
/// permutation): each cycle of the permutation is walked once with swaps.
fn permute<T>(v: &mut [T], order: &[u32]) {
    let mut seen = vec![false; v.len()];
    for i in 0..v.len().min(order.len()) {
        if seen[i] {
            continue;
        }
        let mut cur = i;
        loop {
            seen[cur] = true;
            let next = order[cur] as usize;
            if next == i || next >= v.len() {
                break;
            }
            v.swap(cur, next);
            cur = next;
        }
    }
}

/// Puts each late warning (of a document parsed after reading) where reading would have put
/// it: after the warnings that had arrived before its document. `late` is in input order.
fn merge_in_order(warnings: Vec<Warning>, late: Vec<(usize, Warning)>) -> Vec<Warning> {
    let mut out = Vec::with_capacity(warnings.len() + late.len());
    let mut late = late.into_iter().peekable();
    for (k, w) in warnings.into_iter().enumerate() {
        while let Some((_, l)) = late.next_if(|(before, _)| *before <= k) {
            out.push(l);
        }
        out.push(w);
    }
    out.extend(late.map(|(_, l)| l));
    out
}

/// One trace: parse its stored documents, assemble, summarise; keep the assembly only when
/// it came typed or is large.
fn process(
    job: Job,
    pending: &[Pending],
    origins: &[Origin],
    texts: &[Arc<String>],
    shared: &Mutex<Shared>,
) -> Done {
    let Slot {
        id,
        typed,
        stored,
        limit_exceeded,
    } = job.0;
    let had_typed = !typed.is_empty();
    let mut docs: Vec<Segment> = typed;
    let mut parsed = Vec::with_capacity(stored.len());
    let mut failed = Vec::new();
    for n in stored {
        let Some(p) = pending.get(n as usize) else {
            continue;
        };
        let path = origins.get(p.origin as usize).map_or("", |o| &o.path);
        match parse_doc(texts, &p.at, path) {
            Ok(d) => {
                docs.push(d);
                parsed.push(n);
            }
            Err(f) => failed.push((n, f)),
        }
    }
    if docs.is_empty() {
        return Done {
            limit_exceeded,
            start: None,
            row: Row::of(&TraceSummary::default(), &mut Interner::default()),
            full: None,
            body: None,
            parsed,
            failed,
            frag: None,
        };
    }
    let mut t = assemble(&id, docs);
    t.limit_exceeded = limit_exceeded;
    let summary = summarize(&t);
    // Built with a table of its own (no lock held meanwhile), then moved to the shared one.
    let mut local = ServiceKeys::new();
    let mut frag = Fragment::of(&t, &mut local);
    let row = {
        let mut guard = shared.lock().unwrap_or_else(PoisonError::into_inner);
        let (strings, keys, samples) = &mut *guard;
        frag.rekey(&local, keys);
        sample(samples, &summary);
        Row::of(&summary, strings)
    };
    let keep = had_typed || t.nodes.len() >= KEEP_ASSEMBLED;
    Done {
        limit_exceeded,
        start: t.start_time(),
        row,
        full: keep.then(|| Arc::new(summary)),
        body: keep.then(|| Arc::new(t)),
        parsed,
        failed,
        frag: Some(frag),
    }
}

#[cfg(test)]
mod permute_tests {
    use super::permute;

    #[test]
    fn permute_moves_each_item_to_its_place() {
        let mut seed = 7u64;
        for n in [0usize, 1, 2, 5, 64, 1000] {
            let mut order: Vec<u32> = (0..n as u32).collect();
            // A deterministic shuffle.
            for i in (1..n).rev() {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                order.swap(i, (seed >> 33) as usize % (i + 1));
            }
            let old: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
            let mut v = old.clone();
            permute(&mut v, &order);
            let want: Vec<String> = order.iter().map(|&k| old[k as usize].clone()).collect();
            assert_eq!(v, want, "n = {n}");
        }
    }
}

#[cfg(test)]
mod row_tests {
    use super::*;

    fn trace(id: &str) -> Arc<Trace> {
        let doc = format!(
            r#"{{"trace_id":"{id}","id":"a{}","name":"svc","start_time":1,"end_time":2}}"#,
            id.len()
        );
        let seg: Segment = serde_json::from_str(&doc).expect("a document");
        Arc::new(assemble(id, vec![seg]))
    }

    #[test]
    fn row_of_finds_rows_in_and_out_of_the_traces_order() {
        let with_docs = trace("1-b");
        let summary_only = TraceSummary {
            id: "1-a".into(),
            ..TraceSummary::default()
        };
        let d = Dataset::from_summaries(
            Traces::built(vec![with_docs.clone()]),
            vec![Arc::new(summary_only), Arc::new(summarize(&with_docs))],
        );
        // The trace is first among traces, second among rows: found anyway.
        assert_eq!(d.traces.position("1-b"), Some(0));
        assert_eq!(d.row_of("1-b"), Some(1));
        assert_eq!(d.row_of("1-a"), Some(0));
        assert_eq!(d.row_of("1-c"), None);
        // Same order: found where the trace is.
        let same = Dataset::from_live(Vec::new());
        assert_eq!(same.row_of("1-b"), None);
    }
}
