//! What every source hands the engine: a stream of [`Item`]s, and located [`Warning`]s for what
//! it could not read. It lives in the model (not in `source`) so the engine's collector can take
//! it without knowing any source: a file, the daemon and AWS feed the same pipeline.

use std::fmt;
use std::sync::Arc;

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
    /// A segment document kept as JSON text: parsed when its trace is assembled (and again
    /// whenever the trace is opened), so a large input is held once, as the bytes it came in.
    Stored(Stored),
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

/// A segment document still as JSON text: a span of a shared input buffer.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// The text it is a span of (a whole input file, usually).
    pub text: Arc<String>,
    /// Byte offset of the document's first byte in `text`.
    pub start: usize,
    /// Length in bytes.
    pub len: usize,
    /// The span is a JSON string literal holding the document (the `Document` of a
    /// `batch-get-traces` output): decode it before parsing.
    pub quoted: bool,
    /// The trace it belongs to.
    pub trace_id: String,
    /// Where it was read, for a warning if it does not parse: the input's name, and the field
    /// path inside the input (`[3]`, `Traces[0].Segments[1].Document`; empty at the top).
    pub origin: Origin,
}

/// Where a stored document was read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    /// The input's name (a path, `-`, `demo`).
    pub source: Arc<str>,
    /// Field path in the input; empty for a top-level document.
    pub path: Box<str>,
}

impl Stored {
    /// The document's text (the JSON string literal when [`Stored::quoted`]).
    pub fn raw(&self) -> &str {
        self.text
            .get(self.start..self.start + self.len)
            .unwrap_or_default()
    }
}

/// Line starts of a text, for turning byte offsets into 1-based lines and columns.
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes `text` (one pass over its bytes).
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex { starts }
    }

    /// 0-based index of the line holding `offset`.
    pub fn index(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// Byte offset where the 0-based line `index` starts.
    pub fn start(&self, index: usize) -> Option<usize> {
        self.starts.get(index).copied()
    }

    /// The location of a byte offset of `text`: line, and column in characters.
    pub fn locate(&self, source: &str, text: &str, offset: usize) -> Location {
        let mut off = offset.min(text.len());
        while off > 0 && !text.is_char_boundary(off) {
            off -= 1;
        }
        let idx = self.index(off);
        let start = self.start(idx).unwrap_or(0).min(off);
        let column = 1 + text.get(start..off).map_or(0, |s| s.chars().count());
        Location {
            source: source.to_owned(),
            line: Some(idx + 1),
            column: Some(column),
        }
    }
}
