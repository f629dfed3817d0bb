//! The local X-Ray engine: what the X-Ray service does with segment documents, done here, for
//! files and the local daemon. Pure functions over immutable data; no I/O, no UI.

pub mod assemble;
pub mod dataset;
pub mod graph;
pub mod graph_text;
pub mod service;
pub mod summary;
pub mod waterfall;

pub use assemble::assemble;
pub use graph::{GraphBuilder, service_graph};
pub use summary::summarize;
