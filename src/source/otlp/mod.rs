//! OpenTelemetry traces (OTLP) as X-Ray segment documents.
//!
//! Why: most new instrumentation speaks OpenTelemetry, not the X-Ray SDKs (in maintenance), and
//! AWS turns OTel spans into segments on its side (the Collector's X-Ray exporter, the X-Ray
//! OTLP endpoint). To show OTel data here with X-Ray's meaning (the same graph nodes, `fault`
//! and `error`, `service()` and `edge()` in filters), spans are translated by the exporter's
//! rules into the segment documents the rest of xray-tui already reads, at the edge: files
//! (`--file spans.json`, the Collector's file exporter output) and the OTLP receiver hand the
//! engine documents, and nothing past the source knows the data was OTel.

pub mod translate;
