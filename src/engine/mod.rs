//! The local X-Ray engine: what the X-Ray service does with segment documents, done here, for
//! files and the local daemon. Pure functions over immutable data; no I/O, no UI.

pub mod assemble;
pub mod critical;
pub mod dataset;
pub mod diff;
pub mod export;
pub mod find;
pub mod fold;
pub mod graph;
pub mod graph_layout;
pub mod graph_text;
pub mod service;
pub mod summary;
pub mod waterfall;

pub use assemble::assemble;
pub use graph::{Fragment, GraphBuilder, ServiceKeys, service_graph};
pub use summary::summarize;

/// Helpers shared by the engine's unit tests.
#[cfg(test)]
pub(crate) mod test_support {
    use crate::model::{BatchTraces, Segment, Trace};

    /// Text of a file under `tests/fixtures/public/`.
    pub fn fixture(path: &str) -> String {
        let full = format!(
            "{}/tests/fixtures/public/{path}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(full).expect("fixture present")
    }

    /// The traces of a `batch-get-traces` fixture, assembled.
    pub fn fixture_traces(path: &str) -> Vec<Trace> {
        let batch: BatchTraces = serde_json::from_str(&fixture(path)).expect("batch JSON");
        batch
            .traces
            .iter()
            .map(|t| {
                let docs = t
                    .segments
                    .iter()
                    .map(|s| serde_json::from_str::<Segment>(&s.document).expect("document"));
                super::assemble(t.id.as_deref().unwrap_or(""), docs)
            })
            .collect()
    }
}
