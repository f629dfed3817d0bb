//! What every source hands the engine: a stream of [`Item`]s, and located [`Warning`]s for what
//! it could not read. It lives in the model (not in `source`) so the engine's collector can take
//! it without knowing any source: a file, the daemon and AWS feed the same pipeline.

use std::fmt;

use super::{Group, Segment, ServiceGraph, TraceSummary};

/// Where something was read: a file (or `-` for stdin), a line, and a column when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The path as given, or `-` for stdin.
    pub source: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.source)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        Ok(())
    }
}

/// Something that could not be read, and where. The rest of the input still loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Where.
    pub location: Location,
    /// What was wrong, for a person (e.g. `Traces[0].Segments[2].Document: missing field "id"`).
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// One unit of data from a source.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A segment document, or a subsegment sent on its own (has `trace_id`).
    Document(Segment),
    /// A whole trace, as `BatchGetTraces` returns it: all its documents at once.
    Trace {
        /// The trace ID.
        id: String,
        /// Its documents.
        documents: Vec<Segment>,
        /// The service said the trace was too large to return whole.
        limit_exceeded: bool,
    },
    /// A trace summary, as `GetTraceSummaries` returns it.
    Summary(TraceSummary),
    /// A service graph, as `GetServiceGraph` returns it.
    ServiceGraph(ServiceGraph),
    /// Groups, as `GetGroups` returns them.
    Groups(Vec<Group>),
}

/// What a source emits: data, or a warning about data it had to skip.
// Events are moved once from the parser to the collector; boxing would add an allocation each.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Data.
    Item(Item),
    /// A located problem; loading goes on.
    Warning(Warning),
}
