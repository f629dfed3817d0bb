//! Demo data (placeholder until the generator branch lands).
/// The demo dataset.
pub const DEMO_NDJSON: &str = "";
