//! Placeholder: replaced by the full translator on merge.
//!
//! OTLP spans into X-Ray segment documents. This minimal version makes one document per span
//! (a segment, or a subsegment when the span has a parent), enough for the receiver's tests.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;

/// One segment document made from a span.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The document as JSON text.
    pub json: String,
    /// Its X-Ray trace ID (`1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx`).
    pub trace_id: String,
    /// Its document ID (16 hex digits).
    pub id: String,
    /// The span has not ended.
    pub in_progress: bool,
}

/// A span that could not become a document, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    /// The span, for people (its name and ID).
    pub span: String,
    /// Why it was left out.
    pub reason: String,
}

/// What [`translate`] made of a request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Translation {
    /// The documents, in the request's order.
    pub documents: Vec<Document>,
    /// The spans left out.
    pub rejected: Vec<Rejected>,
    /// Spans in the request.
    pub spans: usize,
}

/// Turns every span of `request` into a segment document.
pub fn translate(request: &ExportTraceServiceRequest) -> Translation {
    let mut out = Translation::default();
    for rs in &request.resource_spans {
        let service = rs.resource.as_ref().and_then(|r| {
            r.attributes
                .iter()
                .find(|kv| kv.key == "service.name")
                .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                    Value::StringValue(s) => Some(s.clone()),
                    _ => None,
                })
        });
        for ss in &rs.scope_spans {
            for span in &ss.spans {
                out.spans += 1;
                let hex = |b: &[u8]| b.iter().map(|b| format!("{b:02x}")).collect::<String>();
                let (trace, id) = (hex(&span.trace_id), hex(&span.span_id));
                if trace.len() != 32 || id.len() != 16 {
                    out.rejected.push(Rejected {
                        span: format!("{} {id}", span.name),
                        reason: "the trace or span ID is not 16 or 8 bytes".into(),
                    });
                    continue;
                }
                let trace_id = format!("1-{}-{}", &trace[..8], &trace[8..]);
                let secs = |ns: u64| ns as f64 / 1e9;
                let mut doc = serde_json::json!({
                    "name": service.clone().unwrap_or_else(|| span.name.clone()),
                    "id": id,
                    "trace_id": trace_id,
                    "start_time": secs(span.start_time_unix_nano),
                });
                let in_progress = span.end_time_unix_nano == 0;
                if in_progress {
                    doc["in_progress"] = true.into();
                } else {
                    doc["end_time"] = secs(span.end_time_unix_nano).into();
                }
                if !span.parent_span_id.is_empty() {
                    doc["parent_id"] = hex(&span.parent_span_id).into();
                    doc["type"] = "subsegment".into();
                    doc["name"] = span.name.clone().into();
                }
                out.documents.push(Document {
                    json: doc.to_string(),
                    trace_id,
                    id,
                    in_progress,
                });
            }
        }
    }
    out
}

/// Parses an OTLP/JSON request body.
pub fn parse_json(bytes: &[u8]) -> Result<ExportTraceServiceRequest, String> {
    serde_json::from_slice(bytes).map_err(|e| e.to_string())
}
