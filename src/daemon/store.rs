//! The live trace store: documents grouped by trace ID as they arrive, re-assembled when they
//! change, with a trace limit so memory stays bounded however long the daemon runs.
//!
//! Documents of one trace arrive over time (subsegments streamed on their own, an in-progress
//! segment completed later), so the store keeps every document and lets the engine's
//! [`assemble`] merge them; assembly is lazy ([`LiveStore::refresh`]) so a burst of documents
//! for one trace costs one assembly. When a new trace would exceed the limit, the trace that
//! arrived first is evicted (and counted).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::engine::dataset::Dataset;
use crate::engine::{assemble, summarize};
use crate::model::{Segment, Trace, TraceSummary};

/// The default trace limit.
pub const DEFAULT_TRACE_LIMIT: usize = 10_000;

#[derive(Debug, Default)]
struct Entry {
    docs: Vec<Segment>,
    trace: Option<Arc<Trace>>,
    summary: Option<TraceSummary>,
    dirty: bool,
}

/// Traces received so far, oldest-trace eviction beyond the limit.
#[derive(Debug)]
pub struct LiveStore {
    limit: usize,
    traces: HashMap<String, Entry>,
    order: VecDeque<String>,
    dirty: Vec<String>,
    evicted: u64,
    version: u64,
}

impl LiveStore {
    /// An empty store keeping at most `limit` traces (at least 1).
    pub fn new(limit: usize) -> Self {
        Self {
            limit: limit.max(1),
            traces: HashMap::new(),
            order: VecDeque::new(),
            dirty: Vec::new(),
            evicted: 0,
            version: 0,
        }
    }

    /// Adds one document (it must have a trace ID; others are ignored). Returns how many traces
    /// were evicted to make room.
    pub fn push(&mut self, doc: Segment) -> u64 {
        let Some(id) = doc.trace_id.clone() else {
            return 0;
        };
        let mut evicted = 0;
        self.version += 1;
        let entry = match self.traces.get_mut(&id) {
            Some(e) => e,
            None => {
                while self.traces.len() >= self.limit {
                    let Some(old) = self.order.pop_front() else {
                        break;
                    };
                    if self.traces.remove(&old).is_some() {
                        evicted += 1;
                    }
                }
                self.order.push_back(id.clone());
                self.traces.entry(id.clone()).or_default()
            }
        };
        entry.docs.push(doc);
        if !entry.dirty {
            entry.dirty = true;
            self.dirty.push(id);
        }
        self.evicted += evicted;
        evicted
    }

    /// Assembles and summarizes the traces that changed since the last call; returns how many.
    pub fn refresh(&mut self) -> usize {
        let mut n = 0;
        for id in std::mem::take(&mut self.dirty) {
            if let Some(e) = self.traces.get_mut(&id) {
                if e.dirty {
                    let t = assemble(&id, e.docs.iter().cloned());
                    e.summary = Some(summarize(&t));
                    e.trace = Some(Arc::new(t));
                    e.dirty = false;
                    n += 1;
                }
            }
        }
        n
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

    /// Grows with every document; a UI redraws when it changed.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The assembled traces and their summaries, oldest first, as the headless commands and
    /// the TUI use them (refreshes first).
    pub fn dataset(&mut self) -> Dataset {
        self.refresh();
        let mut pairs: Vec<(Arc<Trace>, TraceSummary)> = self
            .order
            .iter()
            .filter_map(|id| self.traces.get(id))
            .filter_map(|e| Some((e.trace.clone()?, e.summary.clone()?)))
            .collect();
        pairs.sort_by(|a, b| {
            a.0.start_time()
                .unwrap_or(0.0)
                .total_cmp(&b.0.start_time().unwrap_or(0.0))
                .then_with(|| a.0.id.cmp(&b.0.id))
        });
        let (traces, summaries) = pairs.into_iter().unzip();
        Dataset {
            traces,
            summaries,
            ..Dataset::default()
        }
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
        let t = &d.traces[0];
        assert_eq!(t.roots.len(), 1, "{t:#?}");
        assert!(!d.summaries[0].is_partial.unwrap_or(false));
        assert_eq!(s.refresh(), 0, "nothing changed");
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
