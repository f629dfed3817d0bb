//! Daemon ingest benchmark (placeholder).
fn main() {}
