//! The live trace store: documents grouped by trace ID as they arrive, re-assembled when they
//! change, with a trace limit so memory stays bounded however long the daemon runs.
//!
//! Documents of one trace arrive over time (subsegments streamed on their own, an in-progress
//! segment completed later), so the store keeps every document and lets the engine's
//! [`assemble()`] merge them. Ingest is cheap: a document arrives as checked JSON text and is
//! filed under its trace ID (one hash lookup for a known trace); the typed parse, assembly and
//! summary happen in [`LiveStore::refresh`], lazily, once per changed trace, within a time
//! budget, so a burst never stalls the receive path. After assembly a trace keeps its
//! documents' JSON text (not typed copies: the assembled trace holds those), parsed again only
//! if more documents come. When a new trace would exceed the limit, the trace that arrived
//! first is evicted (and counted).

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;

use crate::engine::dataset::{Dataset, Traces};
use crate::engine::{assemble, summarize};
use crate::model::{Segment, Trace, TraceSummary};

/// The default trace limit.
pub const DEFAULT_TRACE_LIMIT: usize = 10_000;

#[derive(Debug, Default)]
struct Entry {
    /// Documents received but not parsed yet, as JSON text.
    raw: Vec<Bytes>,
    /// The text of documents already assembled: parsed again only if the trace changes (the
    /// typed documents live on in `trace`, so none is kept twice).
    kept: Vec<Bytes>,
    /// Typed documents added with [`LiveStore::push`].
    docs: Vec<Segment>,
    trace: Option<Arc<Trace>>,
    // Shared: entries stay small, and a UI's snapshot copies a pointer under the lock.
    summary: Option<Arc<TraceSummary>>,
    dirty: bool,
}

/// What [`LiveStore::refresh`] did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Refresh {
    /// Traces assembled.
    pub assembled: usize,
    /// Documents that failed the typed parse, with the reason; they are left out.
    pub bad: Vec<(String, String)>,
}

/// Traces received so far, oldest-trace eviction beyond the limit.
#[derive(Debug)]
pub struct LiveStore {
    limit: usize,
    /// Keyed with a fast hasher: trace IDs come from local SDKs, and this map is on the
    /// parser thread's per-datagram path (one lookup when the trace is known).
    traces: hashbrown::HashMap<Arc<str>, Entry, foldhash::fast::RandomState>,
    order: VecDeque<Arc<str>>,
    dirty: VecDeque<Arc<str>>,
    evicted: u64,
    version: u64,
}

impl LiveStore {
    /// An empty store keeping at most `limit` traces (at least 1).
    pub fn new(limit: usize) -> Self {
        Self {
            limit: limit.max(1),
            traces: hashbrown::HashMap::with_capacity_and_hasher(
                limit.clamp(1, 1 << 16),
                foldhash::fast::RandomState::default(),
            ),
            order: VecDeque::new(),
            dirty: VecDeque::new(),
            evicted: 0,
            version: 0,
        }
    }

    /// Adds one typed document (it must have a trace ID; others are ignored). Returns how many
    /// traces were evicted to make room.
    pub fn push(&mut self, doc: Segment) -> u64 {
        let Some(id) = doc.trace_id.clone() else {
            return 0;
        };
        self.entry(&id, |e| e.docs.push(doc))
    }

    /// Adds one document as JSON text (checked by
    /// [`check_datagram`](super::datagram::check_datagram)); it is parsed on the next
    /// [`LiveStore::refresh`]. Returns how many traces were evicted to make room.
    pub fn push_raw(&mut self, trace_id: &str, doc: impl Into<Bytes>) -> u64 {
        let doc = doc.into();
        self.entry(trace_id, |e| e.raw.push(doc))
    }

    /// Files a document with `add` under trace `id` (a new trace when unknown, evicting the
    /// oldest beyond the limit) and marks the trace for the next refresh.
    fn entry(&mut self, id: &str, add: impl FnOnce(&mut Entry)) -> u64 {
        // The common case for streamed documents: the trace is known (one hash lookup).
        if let Some((key, e)) = self.traces.get_key_value_mut(id) {
            add(e);
            if !e.dirty {
                e.dirty = true;
                self.dirty.push_back(key.clone());
            }
            return 0;
        }
        let mut evicted = 0;
        while self.traces.len() >= self.limit {
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
        let key: Arc<str> = Arc::from(id);
        let mut e = Entry {
            dirty: true,
            ..Entry::default()
        };
        add(&mut e);
        self.order.push_back(key.clone());
        self.dirty.push_back(key.clone());
        self.traces.insert(key, e);
        if self.dirty.len() > 2 * self.limit + 1024 {
            // Refreshes have not run for a while (a flood): drop the IDs of traces evicted
            // since they changed, so the queue stays within the trace limit.
            let traces = &self.traces;
            self.dirty
                .retain(|id| traces.get(id).is_some_and(|e| e.dirty));
        }
        evicted
    }

    /// Parses, assembles and summarizes every trace that changed; returns how many traces were
    /// assembled and the documents that failed the typed parse (dropped from their trace).
    pub fn refresh(&mut self) -> Refresh {
        self.refresh_within(None)
    }

    /// The same, stopping after `budget` (the rest waits for the next call, oldest first).
    pub fn refresh_within(&mut self, budget: Option<std::time::Duration>) -> Refresh {
        let start = std::time::Instant::now();
        let mut out = Refresh::default();
        while let Some(id) = self.dirty.pop_front() {
            // Evicted since it changed (or assembled already): nothing to do, and not counted
            // against the budget, so under a flood of new traces the queue drains.
            let Some(e) = self.traces.get_mut(&id).filter(|e| e.dirty) else {
                continue;
            };
            let mut segs = Vec::with_capacity(e.docs.len() + e.kept.len() + e.raw.len());
            segs.extend(e.docs.iter().cloned());
            // Parsed before, so they parse again.
            segs.extend(
                e.kept
                    .iter()
                    .filter_map(|text| serde_json::from_slice::<Segment>(text).ok()),
            );
            for raw in std::mem::take(&mut e.raw) {
                match serde_json::from_slice::<Segment>(&raw) {
                    Ok(seg) => {
                        segs.push(seg);
                        e.kept.push(raw);
                    }
                    Err(err) => out
                        .bad
                        .push((String::from_utf8_lossy(&raw).into_owned(), err.to_string())),
                }
            }
            let t = assemble(&id, segs);
            e.summary = Some(Arc::new(summarize(&t)));
            e.trace = Some(Arc::new(t));
            e.dirty = false;
            out.assembled += 1;
            if budget.is_some_and(|b| start.elapsed() >= b) {
                break;
            }
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
/// lock (no summary is copied there); [`Assembled::into_dataset`] does the copying and sorting
/// after the lock is released.
#[derive(Debug, Default)]
pub struct Assembled(Vec<(Arc<Trace>, Arc<TraceSummary>)>);

impl From<&LiveStore> for Assembled {
    fn from(store: &LiveStore) -> Self {
        Assembled(
            store
                .order
                .iter()
                .filter_map(|id| store.traces.get(id))
                .filter_map(|e| Some((e.trace.clone()?, e.summary.clone()?)))
                .collect(),
        )
    }
}

impl Assembled {
    /// The traces and their summaries, ordered by start time.
    pub fn into_dataset(self) -> Dataset {
        let mut pairs = self.0;
        pairs.sort_by(|a, b| {
            a.0.start_time()
                .unwrap_or(0.0)
                .total_cmp(&b.0.start_time().unwrap_or(0.0))
                .then_with(|| a.0.id.cmp(&b.0.id))
        });
        let (traces, summaries): (Vec<_>, Vec<_>) = pairs.into_iter().unzip();
        Dataset::from_summaries(Traces::built(traces), summaries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(trace: &str, id: &str, parent: Option<&str>, in_progress: bool) -> Segment {
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
        serde_json::from_value(v).expect("doc")
    }

    #[test]
    fn merges_streamed_and_completed_documents() {
        let mut s = LiveStore::new(10);
        s.push(doc("1-a", "aaaaaaaaaaaaaaaa", None, true));
        s.push(doc(
            "1-a",
            "bbbbbbbbbbbbbbbb",
            Some("aaaaaaaaaaaaaaaa"),
            false,
        ));
        s.push(doc("1-a", "aaaaaaaaaaaaaaaa", None, false));
        let d = s.dataset();
        assert_eq!(d.traces.len(), 1);
        let t = &d.traces.get(0).unwrap();
        assert_eq!(t.roots.len(), 1, "{t:#?}");
        assert!(!d.summary(0).unwrap().is_partial.unwrap_or(false));
        assert_eq!(s.refresh().assembled, 0, "nothing changed");
    }

    #[test]
    fn the_refresh_queue_stays_bounded_under_a_flood_of_new_traces() {
        let mut s = LiveStore::new(10);
        for i in 0..100_000 {
            s.push_raw(
                &format!("1-{i}"),
                r#"{"trace_id":"1-x","id":"a","name":"x","start_time":1,"end_time":2}"#,
            );
        }
        assert_eq!(s.len(), 10);
        assert!(s.pending() <= 2 * 10 + 1024, "{}", s.pending());
        // Evicted traces waiting in the queue cost no budget: even a zero budget assembles a
        // live trace.
        assert_eq!(
            s.refresh_within(Some(std::time::Duration::ZERO)).assembled,
            1
        );
        assert_eq!(s.refresh().assembled, 9);
        assert_eq!(s.pending(), 0);
    }

    #[test]
    fn raw_documents_arriving_across_refreshes_are_merged() {
        let mut s = LiveStore::new(10);
        let text = |d: Segment| Bytes::from(serde_json::to_vec(&d).expect("json"));
        s.push_raw("1-a", text(doc("1-a", "aaaaaaaaaaaaaaaa", None, true)));
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
        s.push_raw(
            "1-a",
            text(doc(
                "1-a",
                "bbbbbbbbbbbbbbbb",
                Some("aaaaaaaaaaaaaaaa"),
                false,
            )),
        );
        assert_eq!(s.refresh().assembled, 1);
        s.push_raw("1-a", text(doc("1-a", "aaaaaaaaaaaaaaaa", None, false)));
        assert_eq!(s.refresh().assembled, 1);
        let d = s.assembled();
        let t = &d.traces.get(0).unwrap();
        assert_eq!(t.nodes.len(), 2, "{t:#?}");
        assert_eq!(t.roots.len(), 1);
        assert!(!d.summary(0).unwrap().is_partial.unwrap_or(false));
    }

    #[test]
    fn raw_documents_parse_on_refresh_and_bad_ones_are_reported() {
        let mut s = LiveStore::new(10);
        s.push_raw(
            "1-a",
            r#"{"trace_id":"1-a","id":"a","name":"x","start_time":1,"end_time":2}"#,
        );
        s.push_raw("1-a", r#"{"trace_id":"1-a","id":"b","name":"x","start_time":1,"http":{"response":{"status":{}}}}"#);
        assert_eq!(s.pending(), 1);
        let r = s.refresh();
        assert_eq!(r.assembled, 1);
        assert_eq!(r.bad.len(), 1, "{r:?}");
        assert_eq!(s.dataset().traces.get(0).unwrap().nodes.len(), 1);
    }

    #[test]
    fn a_ui_snapshot_never_assembles_and_the_version_says_when_to_take_one() {
        let mut s = LiveStore::new(10);
        s.push(doc("1-a", "aaaaaaaaaaaaaaaa", None, false));
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
        s.push(doc("1-a", "bbbbbbbbbbbbbbbb", None, false));
        assert_eq!(s.version(), v1);
        // ...but not an eviction: a trace a UI shows is gone.
        let mut small = LiveStore::new(1);
        small.push(doc("1-a", "a", None, false));
        small.refresh();
        let v = small.version();
        small.push(doc("1-b", "b", None, false));
        assert!(small.version() > v);
        assert!(small.assembled().traces.is_empty());
    }

    #[test]
    fn evicts_oldest_trace_beyond_limit() {
        let mut s = LiveStore::new(2);
        assert_eq!(s.push(doc("1-a", "a", None, false)), 0);
        assert_eq!(s.push(doc("1-b", "b", None, false)), 0);
        assert_eq!(s.push(doc("1-a", "c", None, false)), 0, "same trace");
        assert_eq!(s.push(doc("1-c", "d", None, false)), 1);
        assert_eq!(s.len(), 2);
        assert_eq!(s.evicted(), 1);
        let ids: Vec<_> = s.dataset().traces.iter().map(|t| t.id.clone()).collect();
        assert_eq!(ids, ["1-b", "1-c"]);
    }
}
