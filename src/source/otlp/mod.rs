//! OpenTelemetry's protocol (OTLP) into `listen`: apps instrumented with an OpenTelemetry SDK
//! export spans to `127.0.0.1:4318` (HTTP) or `127.0.0.1:4317` (gRPC), the SDKs' defaults,
//! and see them in xray-tui as X-Ray segments, with no collector and no AWS account.
//!
//! [`receive`] serves both protocols and hands what it accepted to the daemon, which files the
//! documents like the ones that come over UDP; [`translate`] turns spans into segment
//! documents.

pub mod grpc;
pub mod http;
pub mod receive;
pub mod translate;
