//! The live trace store: documents grouped by trace ID as they arrive, re-assembled when they
//! change, with limits so memory stays bounded however long the daemon runs and whatever a
//! client sends.
//!
//! Documents of one trace arrive over time (subsegments streamed on their own, an in-progress
//! segment completed later), so the store keeps every document and lets the engine's
//! [`assemble()`] merge them. Ingest is cheap: a document arrives as checked JSON text and is
//! filed under its trace ID (one hash lookup for a known trace); the typed parse, assembly and
//! summary happen in [`LiveStore::refresh`], lazily, once per changed trace, within a time
//! budget, so a burst never stalls the receive path. A trace keeps its documents' JSON text
//! (the assembled trace holds the typed copies), parsed again only if more documents come.
//!
//! What one trace may hold is bounded as X-Ray bounds it ([`TraceLimits`]):
//! - a document sent again with the same ID **replaces** the earlier copy (an SDK re-sends a
//!   segment when it completes; a misbehaving client may re-send one forever), except that a
//!   completed copy is never replaced by an in-progress one;
//! - past [`TraceLimits::documents`] documents or [`TraceLimits::bytes`] bytes of them, new
//!   documents of the trace are dropped, counted, and the trace is marked `limit_exceeded`, as
//!   X-Ray marks a trace past its trace document size;
//! - a trace whose assembly took long is not assembled again before ten times that has passed,
//!   so a busy trace costs at most a tenth of the parser thread however often it changes.
//!
//! When a new trace would exceed the trace limit, the trace that arrived first is evicted
//! (and counted).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::engine::assemble;
use crate::engine::dataset::{Dataset, LiveTrace, parse_texts};

/// The default trace limit.
pub const DEFAULT_TRACE_LIMIT: usize = 10_000;

/// X-Ray's trace document size: past it X-Ray keeps what it has and marks the trace
/// `LimitExceeded` (500 KB for segments sent in batches; see "AWS X-Ray endpoints and quotas").
pub const DEFAULT_TRACE_BYTES: usize = 500 * 1000;

/// Documents one trace may hold by default: X-Ray documents are at least ~100 bytes, so its
/// size limit holds about this many; the count bounds the bookkeeping of tiny documents.
pub const DEFAULT_TRACE_DOCUMENTS: usize = 5_000;

/// An assembly that took less than this is not throttled.
const CHEAP_ASSEMBLY: Duration = Duration::from_millis(2);

/// How much one trace may hold (see the module comment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceLimits {
    /// Traces kept before the oldest is evicted (at least 1).
    pub traces: usize,
    /// Documents one trace may hold (at least 1).
    pub documents: usize,
    /// Bytes of documents one trace may hold.
    pub bytes: usize,
}

impl Default for TraceLimits {
    fn default() -> Self {
        Self {
            traces: DEFAULT_TRACE_LIMIT,
            documents: DEFAULT_TRACE_DOCUMENTS,
            bytes: DEFAULT_TRACE_BYTES,
        }
    }
}

/// One document of a trace, as received.
#[derive(Debug)]
struct Doc {
    id: Box<str>,
    text: Bytes,
    in_progress: bool,
}

/// Documents kept before a trace looks them up by ID through a map rather than a scan.
const SCAN_UP_TO: usize = 16;

#[derive(Debug, Default)]
struct Entry {
    /// One document per ID, as JSON text.
    docs: Vec<Doc>,
    /// Where each ID is in `docs`, once there are more than [`SCAN_UP_TO`].
    by_id: hashbrown::HashMap<Box<str>, usize, foldhash::fast::RandomState>,
    /// Bytes of `docs`.
    bytes: usize,
    /// Documents were dropped at the trace's limits.
    limit_exceeded: bool,
    /// What the last refresh made of the documents: text, summary and graph fragment, as a
    /// file's traces are kept (no typed copy). Shared: a UI's snapshot copies a pointer under
    /// the lock.
    kept: Option<Arc<LiveTrace>>,
    dirty: bool,
    /// Not assembled again before this (a costly trace; see the module comment).
    not_before: Option<Instant>,
}

/// What became of one document given to [`LiveStore::file`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filed {
    /// Its ID was new to its trace.
    Added,
    /// It replaced an earlier copy (same ID), or was an in-progress copy of a document whose
    /// completed copy was kept.
    Replaced,
    /// Its trace is at its limits: dropped.
    TraceFull,
}

impl Entry {
    fn position(&self, id: &str) -> Option<usize> {
        if self.docs.len() <= SCAN_UP_TO {
            self.docs.iter().position(|d| &*d.id == id)
        } else {
            self.by_id.get(id).copied()
        }
    }

    /// Files one document within `limits`.
    fn file(&mut self, id: &str, text: Bytes, in_progress: bool, limits: &TraceLimits) -> Filed {
        if let Some(i) = self.position(id) {
            let Some(old) = self.docs.get_mut(i) else {
                return Filed::Replaced;
            };
            // A completed copy is never replaced by an in-progress one.
            if in_progress && !old.in_progress {
                return Filed::Replaced;
            }
            let bytes = self.bytes - old.text.len() + text.len();
            if bytes > limits.bytes {
                self.limit_exceeded = true;
                return Filed::TraceFull;
            }
            self.bytes = bytes;
            old.text = text;
            old.in_progress = in_progress;
            return Filed::Replaced;
        }
        if self.docs.len() >= limits.documents.max(1) || self.bytes + text.len() > limits.bytes {
            self.limit_exceeded = true;
            return Filed::TraceFull;
        }
        self.bytes += text.len();
        self.docs.push(Doc {
            id: id.into(),
            text,
            in_progress,
        });
        if self.docs.len() > SCAN_UP_TO {
            if self.by_id.is_empty() {
                self.index();
            } else {
                self.by_id.insert(id.into(), self.docs.len() - 1);
            }
        }
        Filed::Added
    }

    /// Builds [`Entry::by_id`] afresh (empty while the documents are few enough to scan).
    fn index(&mut self) {
        self.by_id.clear();
        if self.docs.len() > SCAN_UP_TO {
            self.by_id = self
                .docs
                .iter()
                .enumerate()
                .map(|(i, d)| (d.id.clone(), i))
                .collect();
        }
    }

    /// Drops the documents at `bad` (positions, ascending): their typed parse failed.
    fn forget(&mut self, bad: &[usize]) {
        for &i in bad.iter().rev() {
            if i < self.docs.len() {
                let d = self.docs.remove(i);
                self.bytes -= d.text.len();
            }
        }
        self.index();
    }
}

/// What [`LiveStore::refresh`] did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Refresh {
    /// Traces assembled.
    pub assembled: usize,
    /// Documents that failed the typed parse, with the reason; they are left out.
    pub bad: Vec<(String, String)>,
    /// The budget ran out with traces still due: call again soon.
    pub more: bool,
}

/// Traces received so far, oldest-trace eviction beyond the limit.
#[derive(Debug)]
pub struct LiveStore {
    limits: TraceLimits,
    /// Keyed with a fast hasher: trace IDs come from local SDKs, and this map is on the
    /// parser thread's per-datagram path (one lookup when the trace is known).
    traces: hashbrown::HashMap<Arc<str>, Entry, foldhash::fast::RandomState>,
    order: VecDeque<Arc<str>>,
    dirty: VecDeque<Arc<str>>,
    evicted: u64,
    version: u64,
}

impl LiveStore {
    /// An empty store keeping at most `limit` traces (at least 1), each within X-Ray's limits
    /// ([`TraceLimits::default`]).
    pub fn new(limit: usize) -> Self {
        Self::with_limits(TraceLimits {
            traces: limit,
            ..TraceLimits::default()
        })
    }

    /// An empty store within `limits`.
    pub fn with_limits(limits: TraceLimits) -> Self {
        let limits = TraceLimits {
            traces: limits.traces.max(1),
            documents: limits.documents.max(1),
            ..limits
        };
        Self {
            limits,
            traces: hashbrown::HashMap::with_capacity_and_hasher(
                limits.traces.clamp(1, 1 << 16),
                foldhash::fast::RandomState::default(),
            ),
            order: VecDeque::new(),
            dirty: VecDeque::new(),
            evicted: 0,
            version: 0,
        }
    }

    /// Adds one document as JSON text with ID `id`, completed unless `in_progress` (as
    /// [`check_datagram`](super::datagram::check_datagram) found them); it is parsed on the
    /// next [`LiveStore::refresh`]. Returns what became of it and how many traces were
    /// evicted to make room.
    pub fn file(
        &mut self,
        trace_id: &str,
        id: &str,
        in_progress: bool,
        text: impl Into<Bytes>,
    ) -> (Filed, u64) {
        let text = text.into();
        let limits = self.limits;
        // The common case for streamed documents: the trace is known (one hash lookup).
        if let Some((key, e)) = self.traces.get_key_value_mut(trace_id) {
            let filed = e.file(id, text, in_progress, &limits);
            if filed != Filed::TraceFull && !e.dirty {
                e.dirty = true;
                self.dirty.push_back(key.clone());
            }
            return (filed, 0);
        }
        let mut evicted = 0;
        while self.traces.len() >= self.limits.traces {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if self.traces.remove(&old).is_some() {
                evicted += 1;
            }
        }
        if evicted > 0 {
            // Traces a UI shows are gone.
            self.evicted += evicted;
            self.version += 1;
        }
        let key: Arc<str> = Arc::from(trace_id);
        let mut e = Entry {
            dirty: true,
            ..Entry::default()
        };
        let filed = e.file(id, text, in_progress, &limits);
        self.order.push_back(key.clone());
        self.dirty.push_back(key.clone());
        self.traces.insert(key, e);
        if self.dirty.len() > 2 * self.limits.traces + 1024 {
            // Refreshes have not run for a while (a flood): drop the IDs of traces evicted
            // since they changed, so the queue stays within the trace limit.
            let traces = &self.traces;
            self.dirty
                .retain(|id| traces.get(id).is_some_and(|e| e.dirty));
        }
        (filed, evicted)
    }

    /// Parses, assembles and summarizes every trace that changed; returns how many traces were
    /// assembled and the documents that failed the typed parse (dropped from their trace).
    pub fn refresh(&mut self) -> Refresh {
        self.refresh_within(None)
    }

    /// The same, stopping after `budget` (the rest waits for the next call, oldest first).
    /// With a budget, traces whose last assembly was costly wait their turn (see the module
    /// comment); without one, every changed trace is assembled.
    pub fn refresh_within(&mut self, budget: Option<Duration>) -> Refresh {
        let start = Instant::now();
        let mut out = Refresh::default();
        let mut later = Vec::new();
        while let Some(id) = self.dirty.pop_front() {
            // Evicted since it changed (or assembled already): nothing to do, and not counted
            // against the budget, so under a flood of new traces the queue drains.
            let Some(e) = self.traces.get_mut(&id).filter(|e| e.dirty) else {
                continue;
            };
            if budget.is_some() && e.not_before.is_some_and(|t| Instant::now() < t) {
                later.push(id);
                continue;
            }
            let began = Instant::now();
            let mut segs = Vec::with_capacity(e.docs.len());
            let mut bad = Vec::new();
            let texts: Vec<Bytes> = e.docs.iter().map(|d| d.text.clone()).collect();
            for (i, parsed) in parse_texts(&texts).enumerate() {
                match parsed {
                    Ok(seg) => segs.push(seg),
                    Err(f) => {
                        let text = texts.get(i).map(|t| String::from_utf8_lossy(t));
                        out.bad
                            .push((text.unwrap_or_default().into_owned(), f.message));
                        bad.push(i);
                    }
                }
            }
            if !bad.is_empty() {
                e.forget(&bad);
            }
            let texts = e.docs.iter().map(|d| d.text.clone()).collect();
            let mut t = assemble(&id, segs);
            t.limit_exceeded = e.limit_exceeded;
            e.kept = Some(Arc::new(LiveTrace::new(t, texts)));
            e.dirty = false;
            let cost = began.elapsed();
            e.not_before = (cost >= CHEAP_ASSEMBLY).then(|| began + cost * 10);
            out.assembled += 1;
            if budget.is_some_and(|b| start.elapsed() >= b) {
                out.more = !self.dirty.is_empty();
                break;
            }
        }
        // Costly traces wait for the next refresh, still first in line.
        for id in later.into_iter().rev() {
            self.dirty.push_front(id);
        }
        if out.assembled > 0 {
            // What a UI shows changed too.
            self.version += 1;
        }
        out
    }

    /// Traces waiting for [`LiveStore::refresh`].
    pub fn pending(&self) -> usize {
        self.dirty.len()
    }

    /// Traces held now.
    pub fn len(&self) -> usize {
        self.traces.len()
    }

    /// No traces yet.
    pub fn is_empty(&self) -> bool {
        self.traces.is_empty()
    }

    /// Traces evicted so far.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Bytes of documents held now (what the limits bound).
    pub fn bytes(&self) -> usize {
        self.traces.values().map(|e| e.bytes).sum()
    }

    /// Grows whenever what [`LiveStore::assembled`] returns changes (an assembly, an
    /// eviction); a UI takes a new snapshot when it changed. Documents waiting to be
    /// assembled do not change it.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The assembled traces and their summaries, oldest first, as the headless commands and
    /// the TUI use them (refreshes first).
    pub fn dataset(&mut self) -> Dataset {
        self.refresh();
        self.assembled()
    }

    /// The traces assembled so far, oldest first, without assembling anything: what a UI
    /// shows while the parser thread catches up within its budget.
    pub fn assembled(&self) -> Dataset {
        Assembled::from(self).into_dataset()
    }
}

/// The assembled traces of a [`LiveStore`] as shared pointers: cheap to take under the store's
/// lock (nothing is copied there); [`Assembled::into_dataset`] does the copying and sorting
/// after the lock is released.
#[derive(Debug, Default)]
pub struct Assembled(Vec<Arc<LiveTrace>>);

impl From<&LiveStore> for Assembled {
    fn from(store: &LiveStore) -> Self {
        Assembled(
            store
                .order
                .iter()
                .filter_map(|id| store.traces.get(id)?.kept.clone())
                .collect(),
        )
    }
}

impl Assembled {
    /// The traces and their summaries, ordered by start time.
    pub fn into_dataset(self) -> Dataset {
        Dataset::from_live(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document's JSON text.
    fn doc(trace: &str, id: &str, parent: Option<&str>, in_progress: bool) -> String {
        let mut v = serde_json::json!({
            "trace_id": trace, "id": id, "name": "svc", "start_time": 10.0,
        });
        if in_progress {
            v["in_progress"] = true.into();
        } else {
            v["end_time"] = 11.0.into();
        }
        if let Some(p) = parent {
            v["parent_id"] = p.into();
            v["type"] = "subsegment".into();
            v["start_time"] = 10.2.into();
            v["end_time"] = 10.4.into();
        }
        v.to_string()
    }

    /// Files a document as the parser thread does.
    fn put(s: &mut LiveStore, trace: &str, id: &str, parent: Option<&str>, ip: bool) -> u64 {
        s.file(trace, id, ip, doc(trace, id, parent, ip)).1
    }

    #[test]
    fn merges_streamed_and_completed_documents() {
        let mut s = LiveStore::new(10);
        put(&mut s, "1-a", "aaaaaaaaaaaaaaaa", None, true);
        put(
            &mut s,
            "1-a",
            "bbbbbbbbbbbbbbbb",
            Some("aaaaaaaaaaaaaaaa"),
            false,
        );
        put(&mut s, "1-a", "aaaaaaaaaaaaaaaa", None, false);
        let d = s.dataset();
        assert_eq!(d.traces.len(), 1);
        let t = &d.traces.get(0).unwrap();
        assert_eq!(t.roots.len(), 1, "{t:#?}");
        assert_eq!(
            t.nodes.len(),
            2,
            "the completed copy replaced the in-progress one"
        );
        assert!(!d.summary(0).unwrap().is_partial.unwrap_or(false));
        assert_eq!(s.refresh().assembled, 0, "nothing changed");
    }

    #[test]
    fn a_document_sent_again_replaces_the_earlier_copy_but_never_a_completed_one() {
        let mut s = LiveStore::new(10);
        let text = doc("1-a", "aaaaaaaaaaaaaaaa", None, false);
        assert_eq!(
            s.file("1-a", "aaaaaaaaaaaaaaaa", false, text.clone()).0,
            Filed::Added
        );
        for _ in 0..10_000 {
            assert_eq!(
                s.file("1-a", "aaaaaaaaaaaaaaaa", false, text.clone()).0,
                Filed::Replaced
            );
        }
        assert_eq!(s.bytes(), text.len(), "one copy kept");
        // A late in-progress copy does not undo the completed one.
        let ip = doc("1-a", "aaaaaaaaaaaaaaaa", None, true);
        assert_eq!(
            s.file("1-a", "aaaaaaaaaaaaaaaa", true, ip).0,
            Filed::Replaced
        );
        let d = s.dataset();
        assert_eq!(d.traces.get(0).unwrap().nodes.len(), 1);
        assert!(!d.summary(0).unwrap().is_partial.unwrap_or(false));
        assert!(!d.traces.get(0).unwrap().limit_exceeded);
    }

    #[test]
    fn a_trace_holds_at_most_its_limits_and_says_so() {
        let limits = TraceLimits {
            traces: 10,
            documents: 100,
            bytes: 1_000_000,
        };
        let mut s = LiveStore::with_limits(limits);
        let root = "aaaaaaaaaaaaaaaa";
        put(&mut s, "1-a", root, None, false);
        let mut full = 0;
        for i in 0..150_000u64 {
            let id = format!("{i:016x}");
            let (filed, _) = s.file("1-a", &id, false, doc("1-a", &id, Some(root), false));
            full += u64::from(filed == Filed::TraceFull);
        }
        assert_eq!(full, 150_000 - 99, "the root and 99 subsegments kept");
        let d = s.dataset();
        let t = d.traces.get(0).unwrap();
        assert_eq!(t.nodes.len(), 100);
        assert!(t.limit_exceeded, "the trace says documents were left out");
        // Bytes bound a trace too.
        let mut s = LiveStore::with_limits(TraceLimits {
            bytes: 1_000,
            ..limits
        });
        for i in 0..100u64 {
            let id = format!("{i:016x}");
            s.file("1-b", &id, false, doc("1-b", &id, None, false));
        }
        assert!(s.bytes() <= 1_000, "{}", s.bytes());
        assert!(s.bytes() > 800, "filled up to the limit: {}", s.bytes());
        // Replacing a document with a larger copy past the limit is refused too.
        let (filed, _) = s.file("1-b", &format!("{:016x}", 0), false, "x".repeat(2_000));
        assert_eq!(filed, Filed::TraceFull);
    }

    #[test]
    fn a_costly_trace_waits_its_turn_under_a_budget_but_not_without_one() {
        let mut s = LiveStore::new(10);
        put(&mut s, "1-a", "aaaaaaaaaaaaaaaa", None, false);
        s.refresh();
        s.traces.get_mut("1-a").unwrap().not_before =
            Some(Instant::now() + Duration::from_secs(60));
        put(&mut s, "1-a", "bbbbbbbbbbbbbbbb", None, false);
        let r = s.refresh_within(Some(Duration::from_secs(1)));
        assert_eq!((r.assembled, r.more), (0, false), "waits, and is not due");
        assert_eq!(s.pending(), 1, "still queued");
        assert_eq!(s.assembled().traces.get(0).unwrap().nodes.len(), 1);
        assert_eq!(s.refresh().assembled, 1);
        assert_eq!(s.assembled().traces.get(0).unwrap().nodes.len(), 2);
    }

    #[test]
    fn the_refresh_queue_stays_bounded_under_a_flood_of_new_traces() {
        let mut s = LiveStore::new(10);
        for i in 0..100_000 {
            s.file(
                &format!("1-{i}"),
                "a",
                false,
                r#"{"trace_id":"1-x","id":"a","name":"x","start_time":1,"end_time":2}"#,
            );
        }
        assert_eq!(s.len(), 10);
        assert!(s.pending() <= 2 * 10 + 1024, "{}", s.pending());
        // Evicted traces waiting in the queue cost no budget: even a zero budget assembles a
        // live trace.
        assert_eq!(s.refresh_within(Some(Duration::ZERO)).assembled, 1);
        assert_eq!(s.refresh().assembled, 9);
        assert_eq!(s.pending(), 0);
    }

    #[test]
    fn documents_arriving_across_refreshes_are_merged() {
        let mut s = LiveStore::new(10);
        put(&mut s, "1-a", "aaaaaaaaaaaaaaaa", None, true);
        assert_eq!(s.refresh().assembled, 1);
        assert!(
            s.assembled()
                .summary(0)
                .unwrap()
                .is_partial
                .unwrap_or(false)
        );
        // A subsegment on its own, then the completed segment, each after a refresh: the
        // documents kept as text are parsed again and merged with the new ones.
        put(
            &mut s,
            "1-a",
            "bbbbbbbbbbbbbbbb",
            Some("aaaaaaaaaaaaaaaa"),
            false,
        );
        assert_eq!(s.refresh().assembled, 1);
        put(&mut s, "1-a", "aaaaaaaaaaaaaaaa", None, false);
        assert_eq!(s.refresh().assembled, 1);
        let d = s.assembled();
        let t = &d.traces.get(0).unwrap();
        assert_eq!(t.nodes.len(), 2, "{t:#?}");
        assert_eq!(t.roots.len(), 1);
        assert!(!d.summary(0).unwrap().is_partial.unwrap_or(false));
    }

    #[test]
    fn documents_parse_on_refresh_and_bad_ones_are_reported_once() {
        let mut s = LiveStore::new(10);
        s.file(
            "1-a",
            "a",
            false,
            r#"{"trace_id":"1-a","id":"a","name":"x","start_time":1,"end_time":2}"#,
        );
        s.file("1-a", "b", false, r#"{"trace_id":"1-a","id":"b","name":"x","start_time":1,"http":{"response":{"status":{}}}}"#);
        assert_eq!(s.pending(), 1);
        let r = s.refresh();
        assert_eq!(r.assembled, 1);
        assert_eq!(r.bad.len(), 1, "{r:?}");
        assert!(r.bad[0].1.contains("http.response.status"), "{r:?}");
        assert_eq!(s.dataset().traces.get(0).unwrap().nodes.len(), 1);
        // Another document for the trace: the bad one is not reported again.
        s.file(
            "1-a",
            "c",
            false,
            r#"{"trace_id":"1-a","id":"c","name":"x","start_time":1,"end_time":2}"#,
        );
        let r = s.refresh();
        assert!(r.bad.is_empty(), "{r:?}");
        assert_eq!(s.dataset().traces.get(0).unwrap().nodes.len(), 2);
    }

    #[test]
    fn a_snapshot_keeps_text_and_gives_what_typed_traces_give() {
        // The demo's documents, filed as the parser thread files them.
        let mut s = LiveStore::new(100_000);
        let mut by_trace: std::collections::BTreeMap<String, Vec<crate::model::Segment>> =
            Default::default();
        for line in crate::source::load::DEMO_NDJSON.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let (Some(t), Some(id)) = (v["trace_id"].as_str(), v["id"].as_str()) else {
                continue;
            };
            let ip = v["in_progress"] == true;
            s.file(t, id, ip, line.to_owned());
            by_trace
                .entry(t.to_owned())
                .or_default()
                .push(serde_json::from_str(line).unwrap());
        }
        let live = s.dataset();
        // The old way: every trace assembled, typed and kept.
        let mut traces: Vec<Arc<crate::model::Trace>> = by_trace
            .into_iter()
            .map(|(id, docs)| Arc::new(assemble(&id, docs)))
            .collect();
        traces.sort_by(|a, b| {
            a.start_time()
                .unwrap_or(0.0)
                .total_cmp(&b.start_time().unwrap_or(0.0))
                .then_with(|| a.id.cmp(&b.id))
        });
        let summaries = traces
            .iter()
            .map(|t| Arc::new(crate::engine::summarize(t)))
            .collect();
        let typed =
            Dataset::from_summaries(crate::engine::dataset::Traces::built(traces), summaries);
        assert!(live.traces.len() > 30, "{}", live.traces.len());
        assert_eq!(live.traces.len(), typed.traces.len());
        for i in 0..live.traces.len() {
            assert!(live.traces.is_stored(i), "kept as text, not typed");
            assert_eq!(live.traces.get(i), typed.traces.get(i), "trace {i}");
            assert_eq!(live.summary(i), typed.summary(i), "summary {i}");
            assert_eq!(live.rows[i], typed.rows[i], "row {i}");
        }
        assert_eq!(live.traces.graph_of_all(), typed.traces.graph_of_all());
    }

    #[test]
    fn a_ui_snapshot_never_assembles_and_the_version_says_when_to_take_one() {
        let mut s = LiveStore::new(10);
        put(&mut s, "1-a", "aaaaaaaaaaaaaaaa", None, false);
        let v0 = s.version();
        // Nothing assembled yet: the snapshot is empty and cost no parsing.
        assert!(s.assembled().traces.is_empty());
        assert_eq!(s.pending(), 1);
        s.refresh();
        assert!(s.version() > v0, "assembly changes what a UI shows");
        let shown = s.assembled();
        assert_eq!(shown.traces.len(), 1);
        assert_eq!(shown.rows.len(), 1);
        // A refresh with nothing to do leaves the version alone.
        let v1 = s.version();
        s.refresh();
        assert_eq!(s.version(), v1);
        // So does a document waiting to be assembled (a UI would show the same traces)...
        put(&mut s, "1-a", "bbbbbbbbbbbbbbbb", None, false);
        assert_eq!(s.version(), v1);
        // ...but not an eviction: a trace a UI shows is gone.
        let mut small = LiveStore::new(1);
        put(&mut small, "1-a", "a", None, false);
        small.refresh();
        let v = small.version();
        put(&mut small, "1-b", "b", None, false);
        assert!(small.version() > v);
        assert!(small.assembled().traces.is_empty());
    }

    #[test]
    fn evicts_oldest_trace_beyond_limit() {
        let mut s = LiveStore::new(2);
        assert_eq!(put(&mut s, "1-a", "a", None, false), 0);
        assert_eq!(put(&mut s, "1-b", "b", None, false), 0);
        assert_eq!(put(&mut s, "1-a", "c", None, false), 0, "same trace");
        assert_eq!(put(&mut s, "1-c", "d", None, false), 1);
        assert_eq!(s.len(), 2);
        assert_eq!(s.evicted(), 1);
        let ids: Vec<_> = s.dataset().traces.iter().map(|t| t.id.clone()).collect();
        assert_eq!(ids, ["1-b", "1-c"]);
    }
}
