//! OpenTelemetry traces (OTLP) as X-Ray segment documents, from files and over the network.
//!
//! Why: most new instrumentation speaks OpenTelemetry, not the X-Ray SDKs (in maintenance), and
//! AWS turns OTel spans into segments on its side (the Collector's X-Ray exporter, the X-Ray
//! OTLP endpoint). To show OTel data here with X-Ray's meaning (the same graph nodes, `fault`
//! and `error`, `service()` and `edge()` in filters), spans are translated by the exporter's
//! rules into the segment documents the rest of xray-tui already reads, at the edge: files
//! (`--file spans.json`, the Collector's file exporter output) and the OTLP receiver hand the
//! engine documents, and nothing past the source knows the data was OTel.
//!
//! [`receive`] serves OTLP/HTTP ([`http`], `127.0.0.1:4318`) and OTLP/gRPC ([`grpc`],
//! `127.0.0.1:4317`), the SDKs' defaults, for `listen`, and hands what it accepted to the
//! daemon, which files the documents like the ones that come over UDP; [`translate`] turns
//! spans into segment documents.

pub mod grpc;
pub mod http;
pub mod receive;
pub mod translate;
