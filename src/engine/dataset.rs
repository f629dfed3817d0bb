//! The collector: turns a stream of source [`Event`]s into a [`Dataset`] of assembled traces,
//! their summaries, the service graph and the groups.
//!
//! Documents are grouped by trace ID as they arrive and assembled once, at the end, so each
//! document is held once and arrival order does not matter. Summaries read from a file stand in
//! for traces whose documents were not loaded; a computed summary wins when both exist.

use std::collections::HashMap;
use std::sync::Arc;

use crate::engine::{assemble, summarize};
use crate::model::{Event, Item, Warning};
use crate::model::{Group, Segment, ServiceGraph, Trace, TraceSummary};

/// Everything loaded from the sources, ready to query.
#[derive(Debug, Default, Clone)]
pub struct Dataset {
    /// Assembled traces, oldest first.
    pub traces: Vec<Arc<Trace>>,
    /// One summary per trace (computed, or read from a summaries file), oldest first.
    pub summaries: Vec<TraceSummary>,
    /// Service graphs read from files.
    pub graphs: Vec<ServiceGraph>,
    /// Groups read from files.
    pub groups: Vec<Group>,
    /// What could not be read, with locations.
    pub warnings: Vec<Warning>,
}

impl Dataset {
    /// The trace with this ID; a unique prefix or suffix of the ID also matches.
    pub fn find_trace(&self, id: &str) -> Result<&Arc<Trace>, FindError> {
        if let Some(t) = self.traces.iter().find(|t| t.id == id) {
            return Ok(t);
        }
        let matches: Vec<&Arc<Trace>> = self
            .traces
            .iter()
            .filter(|t| !id.is_empty() && (t.id.starts_with(id) || t.id.ends_with(id)))
            .collect();
        match matches.as_slice() {
            [one] => Ok(one),
            [] => Err(FindError::NotFound),
            many => Err(FindError::Ambiguous(
                many.iter().map(|t| t.id.clone()).collect(),
            )),
        }
    }

    /// Nothing at all was loaded.
    pub fn is_empty(&self) -> bool {
        self.traces.is_empty()
            && self.summaries.is_empty()
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

/// Accumulates events; [`Collector::finish`] assembles.
#[derive(Debug, Default)]
pub struct Collector {
    order: Vec<String>,
    docs: HashMap<String, Vec<Segment>>,
    limit_exceeded: HashMap<String, bool>,
    summaries: Vec<TraceSummary>,
    graphs: Vec<ServiceGraph>,
    groups: Vec<Group>,
    warnings: Vec<Warning>,
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
                Some(id) => self.add_doc(id, doc),
                None => self.warnings.push(Warning {
                    location: crate::model::Location {
                        source: "(input)".into(),
                        line: None,
                        column: None,
                    },
                    message: format!("segment {} has no trace_id; skipped", doc.id),
                }),
            },
            Event::Item(Item::Trace {
                id,
                documents,
                limit_exceeded,
            }) => {
                if limit_exceeded {
                    self.limit_exceeded.insert(id.clone(), true);
                }
                if documents.is_empty() {
                    self.touch(&id);
                }
                for doc in documents {
                    self.add_doc(id.clone(), doc);
                }
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

    fn touch(&mut self, id: &str) {
        if !self.docs.contains_key(id) {
            self.order.push(id.to_owned());
            self.docs.insert(id.to_owned(), Vec::new());
        }
    }

    fn add_doc(&mut self, id: String, doc: Segment) {
        self.touch(&id);
        if let Some(list) = self.docs.get_mut(&id) {
            list.push(doc);
        }
    }

    /// How many traces have documents so far.
    pub fn trace_count(&self) -> usize {
        self.order.len()
    }

    /// Assembles the traces and computes their summaries.
    pub fn finish(mut self) -> Dataset {
        let mut traces: Vec<Arc<Trace>> = Vec::with_capacity(self.order.len());
        for id in &self.order {
            let docs = self.docs.remove(id).unwrap_or_default();
            if docs.is_empty() {
                continue;
            }
            let mut t = assemble(id, docs);
            t.limit_exceeded = self.limit_exceeded.get(id).copied().unwrap_or(false);
            traces.push(Arc::new(t));
        }
        traces.sort_by(|a, b| {
            a.start_time()
                .unwrap_or(0.0)
                .total_cmp(&b.start_time().unwrap_or(0.0))
                .then_with(|| a.id.cmp(&b.id))
        });
        let mut summaries: Vec<TraceSummary> = traces.iter().map(|t| summarize(t)).collect();
        let have: std::collections::HashSet<String> =
            summaries.iter().map(|s| s.id.clone()).collect();
        let mut seen = have.clone();
        for s in self.summaries {
            if seen.insert(s.id.clone()) {
                summaries.push(s);
            }
        }
        summaries.sort_by(|a, b| {
            a.start_time
                .unwrap_or(0.0)
                .total_cmp(&b.start_time.unwrap_or(0.0))
                .then_with(|| a.id.cmp(&b.id))
        });
        Dataset {
            traces,
            summaries,
            graphs: self.graphs,
            groups: self.groups,
            warnings: self.warnings,
        }
    }
}
