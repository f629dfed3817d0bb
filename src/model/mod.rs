//! The X-Ray data model: segment documents, assembled traces, and the API's JSON shapes
//! (trace summaries, service graph, batch traces, groups). No I/O and no UI here.

pub mod batch;
pub mod depth;
pub mod format;
pub mod graph;
pub mod header;
pub mod input;
pub mod parse;
pub mod rootcause;
pub mod row;
pub mod segment;
pub mod summary;
pub mod time;
pub mod trace;
pub mod window;

pub use batch::{BatchSegment, BatchTrace, BatchTraces, Group, GroupsPage};
pub use graph::ServiceGraph;
pub use input::{Event, Item, Location, Warning};
pub use segment::{AnnotationValue, Cause, Segment};
pub use summary::{TraceSummariesPage, TraceSummary};
pub use trace::{Node, NodeId, NodeKind, Trace};
