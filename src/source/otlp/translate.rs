//! One OTLP export request → X-Ray segment documents, one per span, by the rules of the
//! OpenTelemetry Collector's X-Ray exporter (`awsxrayexporter`), which is what AWS itself applies
//! to OTel data. The rules, and where this differs:
//!
//! - **Segment or subsegment.** SERVER and CONSUMER spans, and spans without a parent, are
//!   segments; the rest are subsegments sent on their own (`"type": "subsegment"`, `parent_id`).
//!   (The exporter makes a CONSUMER span with a parent a subsegment; here it is the consuming
//!   service's segment, so the graph shows producer → queue → consumer as X-Ray does for SQS.)
//! - **Name.** `aws.local.service` (SERVER), `aws.remote.service` (CLIENT, PRODUCER), then
//!   `peer.service`, `aws.service`, `db.name@host`, `service.name` (segments), `rpc.service`,
//!   `http.host`, `net.peer.name`, `server.address` (new HTTP conventions), then the span name
//!   with the characters X-Ray refuses removed.
//! - **namespace** `aws` for AWS SDK calls (`rpc.system = aws-api`), `remote` for other client
//!   calls; **aws** (operation, region, request ID, queue URL, table names, S3 bucket, Lambda
//!   function; EC2, ECS, EKS, Beanstalk, Lambda, log groups and the SDK from resource
//!   attributes), **origin** from `cloud.platform`, **http** from old and new HTTP conventions,
//!   **sql** from `db.*` for SQL systems, **cause** from `exception` events (stacks parsed for
//!   Java, Python, JavaScript and .NET) or the span status, **fault/error/throttle** from the HTTP
//!   status (5xx fault, 429 throttle and error, 4xx error) or an ERROR status, **annotations**
//!   from the keys listed in `aws.xray.annotations`, **metadata** for every other attribute
//!   (resource attributes as `otel.resource.*` on segments), **links** kept; span events other
//!   than exceptions, which the exporter drops, kept as `metadata.otel.events`.
//! - **Trace IDs.** A W3C trace ID whose first 8 hex digits are a time up to 28 days before the
//!   span's start (or 5 minutes after) is an X-Ray ID in disguise: it becomes
//!   `1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx`. Any other ID is kept as its 32 hex digits, and the
//!   documents say X-Ray would not take it (`metadata.otel.xray_trace_id: false`). The exporter
//!   drops such spans; a local viewer shows them. Deciding by the span's own time rather than
//!   the clock keeps old files readable and the translation a pure function.
//!
//! Input is untrusted (files, the network): nothing here panics, every walk is bounded (attribute
//! values nested deeper than [`MAX_VALUE_DEPTH`] are cut), and a span that cannot be a document
//! is a [`Rejected`] with the reason.

use std::collections::BTreeMap;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{Span, span::SpanKind, status::StatusCode};
use serde_json::{Map, Value};

use crate::model::parse::{self, Failure};
use crate::model::segment::{
    Aws, Cause, CauseDetails, Ec2, Ecs, Eks, ElasticBeanstalk, Exception, Http, HttpRequest,
    HttpResponse, Lambda, ServiceInfo, Sql, StackFrame, XraySdk,
};
use crate::model::{AnnotationValue, Segment};

/// One X-Ray segment document made from one span.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The document, as JSON.
    pub json: String,
    /// The trace it belongs to: `1-xxxxxxxx-…`, or 32 hex digits for a W3C ID X-Ray would not
    /// accept.
    pub trace_id: String,
    /// The segment or subsegment ID (the span ID, 16 hex digits).
    pub id: String,
    /// The span had not ended (no end time).
    pub in_progress: bool,
}

/// What one export request became.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Translation {
    /// One document per translated span.
    pub documents: Vec<Document>,
    /// Spans that could not be translated.
    pub rejected: Vec<Rejected>,
    /// Spans in the request.
    pub spans: usize,
}

/// A span that could not be translated, and why (for OTLP partial success and the diagnostics
/// pane).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Where the span is in the request and its name: `resourceSpans[0].scopeSpans[1].spans[2] "GET"`.
    pub span: String,
    /// Why it was not translated.
    pub reason: String,
}

/// The typed form of a [`Translation`]: segments rather than JSON text (for readers that hand
/// the engine documents directly).
#[derive(Debug, Clone, Default)]
pub struct Segments {
    /// One segment per translated span.
    pub segments: Vec<Segment>,
    /// Spans that could not be translated.
    pub rejected: Vec<Rejected>,
    /// Spans in the request.
    pub spans: usize,
}

/// Attribute values nested deeper than this (arrays in maps in arrays...) are cut short in
/// metadata.
pub const MAX_VALUE_DEPTH: usize = 16;

/// Translates every span of an export request into a segment document.
pub fn translate(request: &ExportTraceServiceRequest) -> Translation {
    let typed = translate_segments(request);
    let mut rejected = typed.rejected;
    let mut documents = Vec::with_capacity(typed.segments.len());
    for seg in typed.segments {
        match serde_json::to_string(&seg) {
            Ok(json) => documents.push(Document {
                json,
                trace_id: seg.trace_id.clone().unwrap_or_default(),
                id: seg.id.clone(),
                in_progress: seg.in_progress == Some(true),
            }),
            Err(e) => rejected.push(Rejected {
                span: format!("span {}", seg.id),
                reason: format!("could not be written as JSON: {e}"),
            }),
        }
    }
    Translation {
        documents,
        rejected,
        spans: typed.spans,
    }
}

/// Same as [`translate`], the documents as typed [`Segment`]s.
pub fn translate_segments(request: &ExportTraceServiceRequest) -> Segments {
    let mut out = Segments::default();
    for (i, rs) in request.resource_spans.iter().enumerate() {
        let resource = Res::new(rs.resource.as_ref());
        for (j, ss) in rs.scope_spans.iter().enumerate() {
            let scope = ss.scope.as_ref();
            for (k, span) in ss.spans.iter().enumerate() {
                out.spans += 1;
                match segment(
                    span,
                    &resource,
                    scope.map(|s| (s.name.as_str(), s.version.as_str())),
                ) {
                    Ok(seg) => out.segments.push(seg),
                    Err(reason) => out.rejected.push(Rejected {
                        span: format!(
                            "resourceSpans[{i}].scopeSpans[{j}].spans[{k}] {:?}",
                            span.name
                        ),
                        reason,
                    }),
                }
            }
        }
    }
    out
}

/// OTLP/JSON (the protobuf JSON mapping: lowerCamelCase, hex trace/span ids, enums as ints) to
/// the request. The error names the line, column and field path.
pub fn parse_json(bytes: &[u8]) -> Result<ExportTraceServiceRequest, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        format!(
            "invalid UTF-8 at byte {}: OTLP/JSON is UTF-8 text",
            e.valid_up_to()
        )
    })?;
    parse_str(text).map_err(|f| {
        let before = text.get(..f.at).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!("line {line}, column {column}: {}", f.message)
    })
}

/// [`parse_json`] of text, the failure at a byte offset of it (for located warnings). serde_json's
/// recursion limit bounds how deeply the input may nest.
pub fn parse_str(text: &str) -> Result<ExportTraceServiceRequest, Failure> {
    if let Ok(r) = serde_json::from_str::<ExportTraceServiceRequest>(text) {
        return Ok(r);
    }
    let mut de = serde_json::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, ExportTraceServiceRequest>(&mut de) {
        Ok(r) => match de.end() {
            Ok(()) => Ok(r),
            Err(err) => Err(Failure {
                at: parse::offset_in(text, &err),
                message: parse::bare_message(&err),
            }),
        },
        Err(e) => {
            let inner = e.path().to_string();
            let err = e.into_inner();
            let path = if inner == "." { "" } else { inner.as_str() };
            Err(Failure {
                at: parse::offset_in(text, &err),
                message: format!("{}{}", parse::lead(path), parse::bare_message(&err)),
            })
        }
    }
}

// ---------------------------------------------------------------------------------------------
// One span as `ListRetrievedTraces` gives it

/// One OpenTelemetry span as `aws xray list-retrieved-traces --trace-format OTEL` gives it in a
/// span's `Document`, as an export request of that one span, for [`translate`].
///
/// What the shape is: the API reference (`API_ListRetrievedTraces`, `API_Span`, and the SDKs'
/// `RetrievedTrace`/`Span` models: `Traces[{Id, Duration, Spans[{Id, Document}]}]`) says only
/// that `Document` is a string; the CloudWatch Transaction Search guide says spans are kept in
/// the `aws/spans` log group "in the semantic convention format with W3C trace IDs", X-Ray
/// segments converted to it. That format is one OTLP span flattened with its resource and
/// scope: `{"resource": {"attributes": {...}}, "scope": {"name", "version"}, "traceId",
/// "spanId", "parentSpanId", "name", "kind": "SERVER", "startTimeUnixNano",
/// "endTimeUnixNano", "durationNano", "attributes": {...}, "status": {"code": "ERROR"},
/// "events": [...], "links": [...]}`. Read leniently, since AWS does not publish a schema:
/// attributes as a map or as OTLP's `[{"key", "value"}]` list, kinds and status codes as
/// names (`SERVER`, `SPAN_KIND_SERVER`) or numbers, times as numbers or strings, the end time
/// from the start and `durationNano` when it is missing.
pub fn span_document(text: &str) -> Result<ExportTraceServiceRequest, String> {
    use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
    use opentelemetry_proto::tonic::trace::v1::span::{Event, Link};
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Status};

    let doc: Value = serde_json::from_str(text).map_err(|e| parse::bare_message(&e))?;
    let Value::Object(doc) = doc else {
        return Err("expected an OpenTelemetry span object".into());
    };
    let get = |k: &str| doc.get(k);
    let text_of = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();
    let id = |v: Option<&Value>| unhex(v.and_then(Value::as_str).unwrap_or_default());
    let start = get("startTimeUnixNano").and_then(nanos).unwrap_or(0);
    let end = get("endTimeUnixNano")
        .and_then(nanos)
        .or_else(|| Some(start.saturating_add(get("durationNano").and_then(nanos)?)))
        .unwrap_or(0);
    let status = get("status").map(|st| Status {
        code: st.get("code").map_or(0, |c| enum_code(c, STATUS_CODES)),
        message: text_of(st.get("message")),
    });
    let events = get("events")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .take(MAX_EVENTS)
                .map(|e| Event {
                    time_unix_nano: e.get("timeUnixNano").and_then(nanos).unwrap_or(0),
                    name: text_of(e.get("name")),
                    attributes: key_values(e.get("attributes")),
                    dropped_attributes_count: 0,
                })
                .collect()
        })
        .unwrap_or_default();
    let links = get("links")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .take(MAX_EVENTS)
                .map(|l| Link {
                    trace_id: id(l.get("traceId")),
                    span_id: id(l.get("spanId")),
                    attributes: key_values(l.get("attributes")),
                    ..Link::default()
                })
                .collect()
        })
        .unwrap_or_default();
    let span = Span {
        trace_id: id(get("traceId")),
        span_id: id(get("spanId")),
        parent_span_id: id(get("parentSpanId")),
        name: text_of(get("name")),
        kind: get("kind").map_or(0, |k| enum_code(k, SPAN_KINDS)),
        start_time_unix_nano: start,
        end_time_unix_nano: end,
        attributes: key_values(get("attributes")),
        events,
        links,
        status,
        ..Span::default()
    };
    let resource = get("resource").map(|r| Resource {
        attributes: key_values(r.get("attributes")),
        ..Resource::default()
    });
    let scope = get("scope").map(|sc| InstrumentationScope {
        name: text_of(sc.get("name")),
        version: text_of(sc.get("version")),
        ..InstrumentationScope::default()
    });
    Ok(ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource,
            scope_spans: vec![ScopeSpans {
                scope,
                spans: vec![span],
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    })
}

const SPAN_KINDS: &[&str] = &[
    "UNSPECIFIED",
    "INTERNAL",
    "SERVER",
    "CLIENT",
    "PRODUCER",
    "CONSUMER",
];
const STATUS_CODES: &[&str] = &["UNSET", "OK", "ERROR"];

/// An enum written as its number or its name (`SERVER`, `SPAN_KIND_SERVER`, `STATUS_CODE_ERROR`,
/// any case); 0 when unknown.
fn enum_code(v: &Value, names: &[&str]) -> i32 {
    if let Some(n) = v.as_i64() {
        return i32::try_from(n).unwrap_or(0);
    }
    let name = v.as_str().unwrap_or_default().to_ascii_uppercase();
    let name = name
        .strip_prefix("SPAN_KIND_")
        .or_else(|| name.strip_prefix("STATUS_CODE_"))
        .unwrap_or(&name);
    names
        .iter()
        .position(|n| *n == name)
        .and_then(|i| i32::try_from(i).ok())
        .unwrap_or(0)
}

/// Nanoseconds written as a number or a string.
fn nanos(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| *f >= 0.0 && *f < 1.8e19)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Hex digits as bytes; empty when they are not hex (the span is then refused for its ID).
fn unhex(s: &str) -> Vec<u8> {
    let s = s.trim();
    if s.len() % 2 != 0 || s.len() > 64 {
        return Vec::new();
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect::<Option<Vec<u8>>>()
        .unwrap_or_default()
}

/// Attributes written as a map (`{"http.method": "GET"}`) or as OTLP/JSON's key-value list.
fn key_values(v: Option<&Value>) -> Vec<KeyValue> {
    match v {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| KeyValue {
                key: k.clone(),
                value: Some(json_any(v, 0)),
                ..KeyValue::default()
            })
            .collect(),
        Some(list @ Value::Array(_)) => {
            serde_json::from_value::<Vec<KeyValue>>(list.clone()).unwrap_or_default()
        }
        _ => Vec::new(),
    }
}

/// A JSON value as an attribute value; past [`MAX_VALUE_DEPTH`] levels the rest is kept as its
/// JSON text.
fn json_any(v: &Value, depth: usize) -> AnyValue {
    use opentelemetry_proto::tonic::common::v1::{ArrayValue, KeyValueList};
    let value = match v {
        Value::String(s) => any_value::Value::StringValue(s.clone()),
        Value::Bool(b) => any_value::Value::BoolValue(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => any_value::Value::IntValue(i),
            None => any_value::Value::DoubleValue(n.as_f64().unwrap_or(0.0)),
        },
        Value::Null => return AnyValue { value: None },
        other if depth >= MAX_VALUE_DEPTH => any_value::Value::StringValue(other.to_string()),
        Value::Array(a) => any_value::Value::ArrayValue(ArrayValue {
            values: a.iter().map(|x| json_any(x, depth + 1)).collect(),
        }),
        Value::Object(m) => any_value::Value::KvlistValue(KeyValueList {
            values: m
                .iter()
                .map(|(k, x)| KeyValue {
                    key: k.clone(),
                    value: Some(json_any(x, depth + 1)),
                    ..KeyValue::default()
                })
                .collect(),
        }),
    };
    AnyValue { value: Some(value) }
}

// ---------------------------------------------------------------------------------------------
// Attributes

/// A span's (or resource's) attributes, looked up by key, remembering which were used for a
/// field (those do not go to metadata again).
struct Attrs<'a> {
    list: &'a [KeyValue],
    /// Keys hashed with foldhash: SipHash over every attribute key of every span was ~10% of a
    /// translation in a profile of the OTLP/HTTP benchmark.
    index: foldhash::HashMap<&'a str, usize>,
    used: Vec<bool>,
}

impl<'a> Attrs<'a> {
    fn new(list: &'a [KeyValue]) -> Self {
        let mut index = foldhash::HashMap::with_capacity_and_hasher(list.len(), Default::default());
        for (i, kv) in list.iter().enumerate() {
            index.entry(kv.key.as_str()).or_insert(i);
        }
        Attrs {
            list,
            index,
            used: vec![false; list.len()],
        }
    }
    fn value(&self, key: &str) -> Option<&'a any_value::Value> {
        let i = *self.index.get(key)?;
        self.list.get(i)?.value.as_ref()?.value.as_ref()
    }
    fn has(&self, key: &str) -> bool {
        self.value(key).is_some()
    }
    fn str(&self, key: &str) -> Option<&'a str> {
        match self.value(key)? {
            any_value::Value::StringValue(s) => Some(s.as_str()),
            _ => None,
        }
    }
    /// A string, or a scalar written as one.
    fn text(&self, key: &str) -> Option<String> {
        scalar_text(self.value(key)?)
    }
    fn int(&self, key: &str) -> Option<i64> {
        match self.value(key)? {
            any_value::Value::IntValue(i) => Some(*i),
            any_value::Value::DoubleValue(d) if d.fract() == 0.0 && d.abs() < 9e15 => {
                Some(*d as i64)
            }
            any_value::Value::StringValue(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
    /// Marks keys as used for a field.
    fn take(&mut self, keys: &[&str]) {
        for k in keys {
            if let Some(&i) = self.index.get(k) {
                if let Some(u) = self.used.get_mut(i) {
                    *u = true;
                }
            }
        }
    }
    /// Attributes not used for a field, in order.
    fn rest(&self) -> impl Iterator<Item = (&'a str, &'a any_value::Value)> + '_ {
        self.list
            .iter()
            .zip(&self.used)
            .filter(|(_, used)| !**used)
            .filter_map(|(kv, _)| Some((kv.key.as_str(), kv.value.as_ref()?.value.as_ref()?)))
    }
}

fn scalar_text(v: &any_value::Value) -> Option<String> {
    match v {
        any_value::Value::StringValue(s) => Some(s.clone()),
        any_value::Value::IntValue(i) => Some(i.to_string()),
        any_value::Value::DoubleValue(d) => Some(d.to_string()),
        any_value::Value::BoolValue(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Strings of a string or an array of strings (`&`-separated in one string, as environment
/// variables set them, when `split`).
fn strings(v: Option<&any_value::Value>, split: bool) -> Vec<String> {
    match v {
        Some(any_value::Value::StringValue(s)) if split => s
            .split('&')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
        Some(any_value::Value::StringValue(s)) => vec![s.clone()],
        Some(any_value::Value::ArrayValue(a)) => a
            .values
            .iter()
            .filter_map(|v| match v.value.as_ref()? {
                any_value::Value::StringValue(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// An attribute value as JSON, cut at [`MAX_VALUE_DEPTH`]: a depth limit, not the input's
/// nesting, bounds the recursion.
fn to_json(v: &any_value::Value, depth: usize) -> Value {
    if depth >= MAX_VALUE_DEPTH {
        return Value::String("(nested too deeply)".to_owned());
    }
    let inner = |a: &AnyValue| {
        a.value
            .as_ref()
            .map_or(Value::Null, |v| to_json(v, depth + 1))
    };
    match v {
        any_value::Value::StringValue(s) => Value::String(s.clone()),
        any_value::Value::BoolValue(b) => Value::Bool(*b),
        any_value::Value::IntValue(i) => Value::from(*i),
        any_value::Value::DoubleValue(d) => {
            serde_json::Number::from_f64(*d).map_or(Value::Null, Value::Number)
        }
        any_value::Value::ArrayValue(a) => Value::Array(a.values.iter().map(inner).collect()),
        any_value::Value::KvlistValue(kv) => Value::Object(
            kv.values
                .iter()
                .map(|kv| (kv.key.clone(), kv.value.as_ref().map_or(Value::Null, inner)))
                .collect(),
        ),
        any_value::Value::BytesValue(b) => {
            use base64::Engine as _;
            Value::String(base64::engine::general_purpose::STANDARD.encode(b))
        }
        any_value::Value::StringValueStrindex(_) => Value::Null,
    }
}

fn annotation(v: &any_value::Value) -> Option<AnnotationValue> {
    match v {
        any_value::Value::StringValue(s) => Some(AnnotationValue::String(s.clone())),
        any_value::Value::BoolValue(b) => Some(AnnotationValue::Bool(*b)),
        any_value::Value::IntValue(i) => Some(AnnotationValue::Number((*i).into())),
        any_value::Value::DoubleValue(d) => {
            serde_json::Number::from_f64(*d).map(AnnotationValue::Number)
        }
        _ => None,
    }
}

/// X-Ray's annotation keys: letters, digits, `_` (and `.`, which the exporter keeps by default).
fn annotation_key(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The span name as a segment name: the characters X-Ray refuses removed, 200 at most.
fn segment_name(name: &str) -> String {
    let kept: String = name
        .chars()
        .filter(|&c| c.is_alphabetic() || c.is_ascii_digit() || " _.:/%&#=+\\-@".contains(c))
        .take(200)
        .collect();
    if kept.is_empty() {
        "span".to_owned()
    } else {
        kept
    }
}

// ---------------------------------------------------------------------------------------------
// Resource

/// A resource's attributes and what the translation needs of them.
struct Res<'a> {
    attrs: Attrs<'a>,
}

impl<'a> Res<'a> {
    fn new(resource: Option<&'a Resource>) -> Self {
        Res {
            attrs: Attrs::new(resource.map_or(&[][..], |r| r.attributes.as_slice())),
        }
    }
    fn str(&self, key: &str) -> Option<&'a str> {
        self.attrs.str(key).filter(|s| !s.is_empty())
    }
    /// Not running on another cloud than AWS.
    fn aws_or_unknown(&self) -> bool {
        self.str("cloud.provider").is_none_or(|p| p == "aws")
    }
    /// `origin`, from `cloud.platform`.
    fn origin(&self) -> Option<&'static str> {
        if !self.aws_or_unknown() {
            return None;
        }
        Some(match self.str("cloud.platform")? {
            "aws_app_runner" => "AWS::AppRunner::Service",
            "aws_eks" => "AWS::EKS::Container",
            "aws_elastic_beanstalk" => "AWS::ElasticBeanstalk::Environment",
            "aws_ec2" => "AWS::EC2::Instance",
            "aws_lambda" => "AWS::Lambda::Function",
            "aws_ecs" => match self.str("aws.ecs.launchtype") {
                Some("ec2") => "AWS::ECS::EC2",
                Some("fargate") => "AWS::ECS::Fargate",
                _ => "AWS::ECS::Container",
            },
            _ => return None,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Spans

const MAX_AGE: i64 = 28 * 24 * 60 * 60;
const MAX_SKEW: i64 = 5 * 60;

/// The trace ID as X-Ray writes it when its first 32 bits are a time near `start` (epoch
/// seconds); otherwise its 32 hex digits. The flag says which.
pub fn trace_id(bytes: &[u8], start: i64) -> (String, bool) {
    let hex = hex(bytes);
    let epoch = bytes
        .get(..4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, |b| i64::from(u32::from_be_bytes(b)));
    let delta = start - epoch;
    match (hex.get(..8), hex.get(8..)) {
        (Some(time), Some(id)) if bytes.len() == 16 && (-MAX_SKEW..=MAX_AGE).contains(&delta) => {
            (format!("1-{time}-{id}"), true)
        }
        _ => (hex, false),
    }
}

fn hex(bytes: &[u8]) -> String {
    // By table, not `write!`: every span's IDs go through here (formatting was ~7% of a
    // translation in a profile of the OTLP/HTTP benchmark).
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// An ID for something the span does not name (an exception), the same every time the span is
/// translated.
fn derived_id(span_id: &[u8], salt: u64) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in span_id.iter().chain(&salt.to_le_bytes()) {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Nanoseconds since the epoch as seconds, to the microsecond (what X-Ray keeps).
fn seconds(nanos: u64) -> f64 {
    (nanos / 1_000) as f64 / 1e6
}

fn kind_name(kind: SpanKind) -> &'static str {
    match kind {
        SpanKind::Unspecified => "UNSPECIFIED",
        SpanKind::Internal => "INTERNAL",
        SpanKind::Server => "SERVER",
        SpanKind::Client => "CLIENT",
        SpanKind::Producer => "PRODUCER",
        SpanKind::Consumer => "CONSUMER",
    }
}

fn valid_id(bytes: &[u8], len: usize) -> bool {
    bytes.len() == len && bytes.iter().any(|b| *b != 0)
}

/// One span as a segment document.
fn segment(span: &Span, res: &Res, scope: Option<(&str, &str)>) -> Result<Segment, String> {
    if !valid_id(&span.trace_id, 16) {
        return Err(format!(
            "invalid trace ID {:?}: 16 bytes, not all zero, expected",
            hex(&span.trace_id)
        ));
    }
    if !valid_id(&span.span_id, 8) {
        return Err(format!(
            "invalid span ID {:?}: 8 bytes, not all zero, expected",
            hex(&span.span_id)
        ));
    }
    let has_parent = !span.parent_span_id.is_empty() && span.parent_span_id.iter().any(|b| *b != 0);
    if has_parent && span.parent_span_id.len() != 8 {
        return Err(format!(
            "invalid parent span ID {:?}: 8 bytes expected",
            hex(&span.parent_span_id)
        ));
    }
    if span.start_time_unix_nano == 0 {
        return Err("no start time".to_owned());
    }
    let kind = SpanKind::try_from(span.kind).unwrap_or(SpanKind::Unspecified);
    let is_segment = matches!(kind, SpanKind::Server | SpanKind::Consumer) || !has_parent;
    let start = seconds(span.start_time_unix_nano);
    let start_secs = i64::try_from(span.start_time_unix_nano / 1_000_000_000).unwrap_or(i64::MAX);
    let (trace, xray_id) = trace_id(&span.trace_id, start_secs);
    let end = (span.end_time_unix_nano != 0).then(|| seconds(span.end_time_unix_nano));

    let mut attrs = Attrs::new(&span.attributes);
    let aws_sdk = attrs.str("rpc.system") == Some("aws-api");

    let http = make_http(span, kind, &mut attrs);
    let (flags, cause) = make_cause(span, kind, res, &mut attrs);
    let aws = make_aws(&mut attrs, res, is_segment);
    let sql = make_sql(span, &mut attrs);

    // The name: X-Ray names segments after services, not operations.
    let mut namespace: Option<&str> = None;
    let mut name: Option<String> = None;
    let local_root = attrs.str("aws.span.kind") == Some("LOCAL_ROOT");
    if kind == SpanKind::Server || (kind == SpanKind::Internal && local_root) {
        name = attrs.text("aws.local.service");
    }
    if name.is_none()
        && (matches!(kind, SpanKind::Client | SpanKind::Producer)
            || (!is_segment && kind == SpanKind::Consumer))
    {
        name = attrs.text("aws.remote.service").map(|n| {
            if aws_sdk {
                n.strip_prefix("AWS.SDK.")
                    .or_else(|| n.strip_prefix("AWS::"))
                    .unwrap_or(&n)
                    .to_owned()
            } else {
                n
            }
        });
    }
    name = name.or_else(|| attrs.text("peer.service"));
    if aws_sdk {
        namespace = Some("aws");
    }
    if name.is_none() {
        if let Some(n) = attrs.text("aws.service") {
            name = Some(n);
            namespace.get_or_insert("aws");
        }
    }
    if name.is_none() {
        let db = attrs.text("db.name").or_else(|| attrs.text("db.namespace"));
        if let Some(db) = db {
            let host = attrs
                .str("db.connection_string")
                .and_then(|c| url_host(c.strip_prefix("jdbc:").unwrap_or(c)))
                .or_else(|| attrs.text("server.address"))
                .or_else(|| attrs.text("net.peer.name"));
            name = Some(match host {
                Some(h) if !h.is_empty() => format!("{db}@{h}"),
                _ => db,
            });
        }
    }
    if name.is_none() && is_segment && !matches!(kind, SpanKind::Client | SpanKind::Producer) {
        name = res.str("service.name").map(str::to_owned);
    }
    for key in [
        "rpc.service",
        "http.host",
        "net.peer.name",
        "server.address",
    ] {
        if name.is_none() {
            name = attrs.text(key);
        }
    }
    let name = name
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| segment_name(&span.name));
    if namespace.is_none() && kind == SpanKind::Client {
        namespace = Some("remote");
    }
    if namespace.is_none()
        && !is_segment
        && matches!(
            kind,
            SpanKind::Client | SpanKind::Producer | SpanKind::Consumer
        )
        && attrs.has("aws.remote.service")
    {
        namespace = Some("remote");
    }
    if is_segment {
        namespace = None;
    }

    // What is left: user, annotations, metadata.
    let user = attrs.text("enduser.id");
    attrs.take(&["enduser.id"]);
    let indexed: Vec<String> = strings(attrs.value("aws.xray.annotations"), false);
    attrs.take(&["aws.xray.annotations"]);
    let mut annotations = BTreeMap::new();
    let mut default = Map::new();
    let mut metadata = Map::new();
    if is_segment {
        for (k, v) in res.attrs.rest() {
            default.insert(format!("otel.resource.{k}"), to_json(v, 0));
        }
    }
    for (k, v) in attrs.rest() {
        if indexed.iter().any(|i| i == k) {
            if let Some(a) = annotation(v) {
                annotations.insert(annotation_key(k), a);
                continue;
            }
        }
        if let (Some(ns), any_value::Value::StringValue(s)) =
            (k.strip_prefix("aws.xray.metadata."), v)
        {
            match serde_json::from_str::<Map<String, Value>>(s) {
                Ok(m) if ns.eq_ignore_ascii_case("default") => default.extend(m),
                Ok(m) => {
                    metadata.insert(ns.to_owned(), Value::Object(m));
                }
                Err(_) => {
                    default.insert(k.to_owned(), Value::String(s.clone()));
                }
            }
            continue;
        }
        default.insert(k.to_owned(), to_json(v, 0));
    }
    if !default.is_empty() {
        metadata.insert("default".to_owned(), Value::Object(default));
    }
    let mut otel = Map::new();
    otel.insert("span_kind".into(), kind_name(kind).into());
    otel.insert("trace_id".into(), hex(&span.trace_id).into());
    otel.insert("xray_trace_id".into(), xray_id.into());
    if let Some(status) = &span.status {
        if !status.message.is_empty() {
            otel.insert("status_message".into(), status.message.clone().into());
        }
    }
    let events = make_events(span);
    if !events.is_empty() {
        otel.insert("events".into(), Value::Array(events));
    }
    if let Some((scope_name, version)) = scope.filter(|(n, _)| !n.is_empty()) {
        otel.insert("scope".into(), scope_name.into());
        if !version.is_empty() {
            otel.insert("scope_version".into(), version.into());
        }
    }
    metadata.insert("otel".to_owned(), Value::Object(otel));

    let mut extra = Map::new();
    let links = make_links(span, start_secs);
    if !links.is_empty() {
        extra.insert("links".to_owned(), Value::Array(links));
    }

    Ok(Segment {
        id: hex(&span.span_id),
        name,
        trace_id: Some(trace),
        start_time: start,
        end_time: end,
        in_progress: end.is_none().then_some(true),
        parent_id: has_parent.then(|| hex(&span.parent_span_id)),
        kind: (!is_segment).then(|| "subsegment".to_owned()),
        namespace: namespace.map(str::to_owned),
        origin: if is_segment {
            res.origin().map(str::to_owned)
        } else {
            None
        },
        user,
        resource_arn: None,
        service: if is_segment {
            res.str("service.version").map(|v| {
                Box::new(ServiceInfo {
                    version: Some(v.to_owned()),
                    ..ServiceInfo::default()
                })
            })
        } else {
            None
        },
        http: http.map(Box::new),
        aws: aws.map(Box::new),
        sql: sql.map(Box::new),
        error: flags.error.then_some(true),
        fault: flags.fault.then_some(true),
        throttle: flags.throttle.then_some(true),
        cause: cause.map(Box::new),
        annotations: (!annotations.is_empty()).then_some(annotations),
        metadata: Some(Box::new(metadata)),
        precursor_ids: None,
        inferred: None,
        subsegments: Vec::new(),
        extra,
    })
}

/// The host of a URL (`scheme://user@host:port/path`), if it has one.
fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit('@').next()?;
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        host_port.split(':').next()?
    };
    (!host.is_empty()).then(|| host.to_owned())
}

// ---------------------------------------------------------------------------------------------
// http

fn make_http(span: &Span, kind: SpanKind, attrs: &mut Attrs) -> Option<Http> {
    let mut req = HttpRequest::default();
    let mut resp = HttpResponse::default();
    let mut has_http = false;
    let mut has_url_parts = false;
    let mut has_peer_addr = false;

    if let Some(m) = attrs
        .text("http.request.method")
        .or_else(|| attrs.text("http.method"))
    {
        req.method = Some(m);
        has_http = true;
    }
    if let Some(ip) = attrs.text("http.client_ip") {
        req.client_ip = Some(ip);
        has_http = true;
    }
    if let Some(ua) = attrs
        .text("user_agent.original")
        .or_else(|| attrs.text("http.user_agent"))
    {
        req.user_agent = Some(ua);
        has_http = true;
    }
    if let Some(code) = attrs
        .int("http.response.status_code")
        .or_else(|| attrs.int("http.status_code"))
    {
        resp.status = u16::try_from(code).ok();
        has_http = true;
    }
    let full = attrs.text("url.full").or_else(|| attrs.text("http.url"));
    if full.is_some() {
        has_http = true;
        has_url_parts = true;
    }
    let scheme = attrs
        .text("url.scheme")
        .or_else(|| attrs.text("http.scheme"));
    has_http |= scheme.is_some();
    let target = attrs.text("http.target");
    let path = attrs.text("url.path");
    let query = attrs.text("url.query");
    has_http |= target.is_some() || path.is_some() || query.is_some();
    for key in ["http.host", "http.server_name"] {
        if attrs.has(key) {
            has_http = true;
            has_url_parts = true;
        }
    }
    if attrs.has("net.host.port") {
        has_http = true;
    }
    for key in [
        "host.name",
        "net.host.name",
        "net.peer.name",
        "server.address",
    ] {
        has_url_parts |= attrs.has(key);
    }
    if let Some(ip) = attrs.text("net.peer.ip") {
        req.client_ip.get_or_insert(ip);
        has_url_parts = true;
        has_peer_addr = true;
    }
    if let Some(ip) = attrs.str("network.peer.address") {
        if ip.parse::<std::net::IpAddr>().is_ok() {
            req.client_ip.get_or_insert_with(|| ip.to_owned());
            has_url_parts = true;
            has_peer_addr = true;
        }
    }
    if let Some(ip) = attrs.str("client.address") {
        if ip.parse::<std::net::IpAddr>().is_ok() {
            req.client_ip = Some(ip.to_owned());
        }
    }
    if !has_peer_addr && req.client_ip.is_some() {
        req.x_forwarded_for = Some(true);
    }
    if !has_http {
        return None;
    }
    attrs.take(&[
        "http.request.method",
        "http.method",
        "http.client_ip",
        "user_agent.original",
        "http.user_agent",
        "http.response.status_code",
        "http.status_code",
        "url.full",
        "http.url",
        "url.scheme",
        "http.scheme",
        "http.target",
        "url.path",
        "url.query",
        "http.host",
        "http.server_name",
        "net.host.port",
        "net.host.name",
        "net.peer.port",
        "net.peer.ip",
        "network.peer.address",
        "client.address",
        "server.port",
    ]);
    if has_url_parts {
        req.url = Some(match full {
            Some(u) => u,
            None => {
                let scheme = scheme.unwrap_or_else(|| "http".to_owned());
                let (host, port) = if kind == SpanKind::Server {
                    let host = [
                        "http.host",
                        "http.server_name",
                        "net.host.name",
                        "host.name",
                        "server.address",
                    ]
                    .iter()
                    .find_map(|k| attrs.text(k));
                    let port = attrs
                        .text("net.host.port")
                        .or_else(|| attrs.text("server.port"));
                    (host, port)
                } else {
                    let host = [
                        "http.host",
                        "net.peer.name",
                        "net.peer.ip",
                        "server.address",
                    ]
                    .iter()
                    .find_map(|k| attrs.text(k));
                    let port = attrs
                        .text("net.peer.port")
                        .or_else(|| attrs.text("server.port"));
                    (host, port)
                };
                let mut url = format!("{scheme}://{}", host.unwrap_or_default());
                let default_port = |p: &str| {
                    p.is_empty()
                        || (scheme == "http" && p == "80")
                        || (scheme == "https" && p == "443")
                };
                if let Some(p) = port.filter(|p| !default_port(p)) {
                    url.push(':');
                    url.push_str(&p);
                }
                match target {
                    Some(t) => url.push_str(&t),
                    None => {
                        url.push_str(path.as_deref().unwrap_or("/"));
                        if let Some(q) = query {
                            if !q.starts_with('?') {
                                url.push('?');
                            }
                            url.push_str(&q);
                        }
                    }
                }
                url
            }
        });
    }
    let length = attrs
        .int("http.response.body.size")
        .or_else(|| attrs.int("http.response_content_length"))
        .or_else(|| {
            span.events.iter().find_map(|e| {
                let ea = Attrs::new(&e.attributes);
                (ea.str("message.type") == Some("RECEIVED"))
                    .then(|| ea.int("messaging.message_payload_size_bytes"))
                    .flatten()
            })
        });
    resp.content_length = length
        .and_then(|l| u64::try_from(l).ok())
        .filter(|l| *l > 0);
    let req = (req != HttpRequest::default()).then_some(req);
    let resp = (resp != HttpResponse::default()).then_some(resp);
    Some(Http {
        request: req,
        response: resp,
        ..Http::default()
    })
}

// ---------------------------------------------------------------------------------------------
// fault, error, throttle, cause

#[derive(Default)]
struct Flags {
    fault: bool,
    error: bool,
    throttle: bool,
}

fn make_cause(span: &Span, kind: SpanKind, res: &Res, attrs: &mut Attrs) -> (Flags, Option<Cause>) {
    let status_code = span
        .status
        .as_ref()
        .and_then(|s| StatusCode::try_from(s.code).ok())
        .unwrap_or(StatusCode::Unset);
    let is_error = status_code == StatusCode::Error;
    let remote = matches!(kind, SpanKind::Client | SpanKind::Producer);
    let language = res.str("telemetry.sdk.language").unwrap_or_default();

    let mut exceptions = Vec::new();
    let mut seen_exception = false;
    for (n, event) in span.events.iter().enumerate() {
        if event.name != "exception" {
            continue;
        }
        seen_exception = true;
        let ea = Attrs::new(&event.attributes);
        let salt = (n as u64) << 16;
        let mut parsed = parse_exception(
            ea.text("exception.type").unwrap_or_default(),
            ea.text("exception.message").unwrap_or_default(),
            ea.str("exception.stacktrace").unwrap_or_default(),
            remote,
            language,
            &mut |i| derived_id(&span.span_id, salt + i),
        );
        exceptions.append(&mut parsed);
    }
    let cause = if seen_exception {
        Some(Cause::Details(CauseDetails {
            exceptions,
            ..CauseDetails::default()
        }))
    } else if is_error {
        let mut message = span
            .status
            .as_ref()
            .map(|s| s.message.clone())
            .unwrap_or_default();
        if message.is_empty() {
            message = attrs.text("http.status_text").unwrap_or_default();
        }
        attrs.take(&["http.status_text"]);
        (!message.is_empty()).then(|| {
            Cause::Details(CauseDetails {
                exceptions: vec![Exception {
                    id: Some(derived_id(&span.span_id, u64::MAX)),
                    message: Some(message),
                    kind: Some(String::new()),
                    ..Exception::default()
                }],
                ..CauseDetails::default()
            })
        })
    } else {
        None
    };

    let code = attrs
        .int("http.status_code")
        .or_else(|| attrs.int("http.response.status_code"));
    let mut flags = Flags::default();
    match code {
        Some(c @ 400..=499) => {
            flags.error = true;
            flags.throttle = c == 429;
        }
        Some(500..=599) => flags.fault = true,
        _ => flags.fault = is_error,
    }
    (flags, cause)
}

/// One `exception` event as X-Ray exceptions: the exception, with its stack when the
/// language's format is known, and the exceptions that caused it (Java's `Caused by:`, Python's
/// chained tracebacks).
fn parse_exception(
    kind: String,
    message: String,
    stack: &str,
    remote: bool,
    language: &str,
    id: &mut dyn FnMut(u64) -> String,
) -> Vec<Exception> {
    let mut out = vec![Exception {
        id: Some(id(0)),
        kind: Some(kind),
        message: Some(message),
        remote: Some(remote),
        ..Exception::default()
    }];
    if stack.is_empty() {
        return out;
    }
    match language {
        "java" | "php" => java_stack(stack, &mut out, remote, id),
        "python" => python_stack(stack, &mut out, remote, id),
        "javascript" | "nodejs" => javascript_stack(stack, &mut out),
        "dotnet" => dotnet_stack(stack, &mut out),
        _ => {}
    }
    out
}

fn frame(path: &str, line: u64, label: &str) -> StackFrame {
    StackFrame {
        path: Some(path.to_owned()),
        line: Some(line),
        label: Some(label.to_owned()),
        ..StackFrame::default()
    }
}

/// Appends a cause to the last exception.
fn push_cause(
    out: &mut Vec<Exception>,
    kind: &str,
    message: String,
    remote: bool,
    id: &mut dyn FnMut(u64) -> String,
) {
    let new_id = id(out.len() as u64);
    if let Some(last) = out.last_mut() {
        last.cause = Some(new_id.clone());
    }
    out.push(Exception {
        id: Some(new_id),
        kind: Some(kind.to_owned()),
        message: Some(message),
        remote: Some(remote),
        ..Exception::default()
    });
}

/// `\tat pkg.Class.method(File.java:12)` frames; `Caused by: Type: message` starts a cause.
fn java_stack(
    stack: &str,
    out: &mut Vec<Exception>,
    remote: bool,
    id: &mut dyn FnMut(u64) -> String,
) {
    let is_frame = |l: &str| l.starts_with("\tat ") && l.contains('(') && l.ends_with(')');
    let mut lines = stack.lines().skip(1).peekable();
    while let Some(line) = lines.next() {
        if is_frame(line) {
            let body = line.get(4..line.len() - 1).unwrap_or_default();
            let Some((label, path)) = body.split_once('(') else {
                continue;
            };
            let label = label.split_once('/').map_or(label, |(_, l)| l);
            let (path, n) = match path.split_once(':') {
                Some((p, n)) => (p, n.parse().unwrap_or(0)),
                None => (path, 0),
            };
            if let Some(last) = out.last_mut() {
                last.stack.push(frame(path, n, label));
            }
        } else if let Some(cause) = line.strip_prefix("Caused by: ") {
            let (kind, mut message) = match cause.split_once(':') {
                Some((k, m)) => (k, m.strip_prefix(' ').unwrap_or(m).to_owned()),
                None => (cause, String::new()),
            };
            // The message may go on over several lines, up to the next frame.
            while let Some(next) = lines.peek() {
                if is_frame(next) {
                    break;
                }
                message.push_str(next);
                lines.next();
            }
            push_cause(out, kind, message, remote, id);
        }
    }
}

/// `  File "path", line 12, in label` frames, innermost last; `During handling of the above
/// exception, another exception occurred:` separates chained exceptions (read from the end).
fn python_stack(
    stack: &str,
    out: &mut Vec<Exception>,
    remote: bool,
    id: &mut dyn FnMut(u64) -> String,
) {
    let lines: Vec<&str> = stack.split('\n').collect();
    // The last line is the exception itself.
    let mut i = lines.len().saturating_sub(2);
    if lines.len() < 2 {
        return;
    }
    while let Some(line) = lines.get(i).copied() {
        if let Some(rest) = line.strip_prefix("  File \"") {
            let parts: Vec<&str> = rest.split(',').collect();
            if let [file, number, label] = parts.as_slice() {
                let file = file.strip_suffix('"').unwrap_or(file);
                let n = number
                    .strip_prefix(" line ")
                    .and_then(|n| n.trim().parse().ok())
                    .unwrap_or(0);
                let label = label.strip_prefix(" in ").unwrap_or_default();
                if let Some(last) = out.last_mut() {
                    last.stack.push(frame(file, n, label));
                }
            }
        } else if line
            .starts_with("During handling of the above exception, another exception occurred:")
        {
            // The cause's message ends two lines up; its frames are above that.
            let Some(next_file) = (0..i)
                .rev()
                .find(|&j| lines.get(j).is_some_and(|l| l.starts_with("  File ")))
            else {
                return;
            };
            let message = lines
                .get(next_file + 2..i.saturating_sub(1))
                .map(|m| m.join("\n"))
                .unwrap_or_default();
            let Some((kind, msg)) = message.split_once(':') else {
                return;
            };
            push_cause(
                out,
                kind,
                msg.strip_prefix(' ').unwrap_or(msg).to_owned(),
                remote,
                id,
            );
            i = next_file;
            continue;
        }
        if i == 0 {
            break;
        }
        i -= 1;
    }
}

/// `    at label (path:line:column)` or `    at path:line:column` frames.
fn javascript_stack(stack: &str, out: &mut [Exception]) {
    let Some(first) = out.first_mut() else {
        return;
    };
    for line in stack.lines().skip(1) {
        let Some(rest) = line.strip_prefix("    at ") else {
            continue;
        };
        let (label, mut path) = match rest.find('(') {
            Some(p) if rest.ends_with(')') => (
                rest.get(..p).unwrap_or_default().trim_end(),
                rest.get(p + 1..rest.len() - 1).unwrap_or_default(),
            ),
            Some(_) => continue,
            None => ("", rest),
        };
        let mut n = 0;
        let colons: Vec<usize> = path.match_indices(':').map(|(i, _)| i).collect();
        if colons.len() >= 2 {
            let (a, b) = (colons[colons.len() - 2], colons[colons.len() - 1]);
            n = path.get(a + 1..b).and_then(|s| s.parse().ok()).unwrap_or(0);
            path = path.get(..a).unwrap_or_default();
        } else if colons.is_empty() && path.contains("native") {
            path = "native";
        }
        if !path.is_empty() || !label.is_empty() || n != 0 {
            first.stack.push(frame(path, n, label));
        }
    }
}

/// `   at Namespace.Class.Method() in C:\path\File.cs:line 12` frames.
fn dotnet_stack(stack: &str, out: &mut [Exception]) {
    let Some(first) = out.first_mut() else {
        return;
    };
    for line in stack.lines().skip(1) {
        let Some(rest) = line.trim().strip_prefix("at ") else {
            continue;
        };
        match rest.split_once(" in ") {
            Some((label, path)) => {
                let (path, n) = match path.rsplit_once(':') {
                    Some((p, n)) => (
                        p,
                        n.strip_prefix("line ")
                            .unwrap_or(n)
                            .trim()
                            .parse()
                            .unwrap_or(0),
                    ),
                    None => (path, 0),
                };
                first.stack.push(frame(path, n, label));
            }
            None => {
                if let Some(end) = rest.rfind(')') {
                    first
                        .stack
                        .push(frame("", 0, rest.get(..=end).unwrap_or_default()));
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// aws

fn make_aws(attrs: &mut Attrs, res: &Res, is_segment: bool) -> Option<Aws> {
    if !res.aws_or_unknown() {
        return None;
    }
    let mut aws = Aws::default();
    let r = |k: &str| res.str(k).map(str::to_owned);
    if is_segment {
        aws.account_id = r("cloud.account.id");
    }
    if let Some(a) = attrs.text("aws.account_id") {
        aws.account_id = Some(a);
    }
    aws.operation = attrs
        .text("aws.operation")
        .or_else(|| attrs.text("rpc.method"));
    aws.region = attrs.text("aws.region");
    aws.request_id = attrs
        .text("aws.request_id")
        .or_else(|| attrs.text("aws.requestId"));
    aws.queue_url = attrs
        .text("messaging.url")
        .or_else(|| attrs.text("aws.queue_url"))
        .or_else(|| attrs.text("aws.queue.url"))
        .or_else(|| attrs.text("aws.sqs.queue.url"));
    aws.table_name = attrs
        .text("aws.table_name")
        .or_else(|| attrs.text("aws.table.name"));
    let tables = strings(attrs.value("aws.dynamodb.table_names"), false);
    match tables.as_slice() {
        [] => {}
        [one] => aws.table_name = Some(one.clone()),
        many => {
            aws.table_name = None;
            aws.extra.insert("table_names".into(), many.to_vec().into());
        }
    }
    if let Some(b) = attrs.text("aws.s3.bucket") {
        aws.extra.insert("bucket_name".into(), b.into());
    }
    if let Some(f) = attrs.text("aws.lambda.function.name") {
        aws.extra.insert("function_name".into(), f.into());
    }
    attrs.take(&[
        "aws.account_id",
        "aws.operation",
        "rpc.method",
        "aws.region",
        "aws.request_id",
        "aws.requestId",
        "messaging.url",
        "aws.queue_url",
        "aws.queue.url",
        "aws.sqs.queue.url",
        "aws.table_name",
        "aws.table.name",
        "aws.dynamodb.table_names",
        "aws.s3.bucket",
        "aws.lambda.function.name",
    ]);

    if is_segment {
        let platform = res.str("cloud.platform").unwrap_or_default();
        let zone = r("cloud.availability_zone");
        if platform == "aws_ec2" || res.str("host.id").is_some() {
            aws.ec2 = Some(Ec2 {
                instance_id: r("host.id"),
                availability_zone: zone.clone(),
                instance_size: r("host.type"),
                ami_id: r("host.image.id"),
                ..Ec2::default()
            });
        }
        if platform == "aws_ecs" {
            let mut ecs = Ecs {
                container: r("container.name"),
                container_id: r("container.id"),
                ..Ecs::default()
            };
            for (field, key) in [
                ("availability_zone", "cloud.availability_zone"),
                ("container_arn", "aws.ecs.container.arn"),
                ("cluster_arn", "aws.ecs.cluster.arn"),
                ("task_arn", "aws.ecs.task.arn"),
                ("task_family", "aws.ecs.task.family"),
                ("launch_type", "aws.ecs.launchtype"),
            ] {
                if let Some(v) = r(key) {
                    ecs.extra.insert(field.into(), v.into());
                }
            }
            aws.ecs = Some(ecs);
        }
        if platform == "aws_elastic_beanstalk" {
            if let Some(deploy) = r("service.instance.id") {
                aws.elastic_beanstalk = Some(ElasticBeanstalk {
                    environment_name: r("service.namespace"),
                    version_label: r("service.version"),
                    deployment_id: Some(deploy),
                    ..ElasticBeanstalk::default()
                });
            }
        }
        if platform == "aws_eks" || res.str("k8s.cluster.name").is_some() {
            aws.eks = Some(Eks {
                cluster_name: r("k8s.cluster.name"),
                pod: r("k8s.pod.name"),
                container_id: r("container.id"),
                ..Eks::default()
            });
        }
        if platform == "aws_lambda" {
            aws.lambda = Some(Lambda {
                function_arn: r("cloud.resource_id").or_else(|| r("faas.id")),
                function_version: r("faas.version"),
                ..Lambda::default()
            });
        }
        let groups = |key: &str| strings(res.attrs.value(key), true);
        let arns = groups("aws.log.group.arns");
        let logs: Vec<Value> = if !arns.is_empty() {
            arns.into_iter()
                .map(|arn| {
                    let name = arn.split(':').nth(6).unwrap_or(&arn).to_owned();
                    serde_json::json!({"log_group": name, "arn": arn})
                })
                .collect()
        } else {
            groups("aws.log.group.names")
                .into_iter()
                .map(|g| serde_json::json!({"log_group": g}))
                .collect()
        };
        if !logs.is_empty() {
            aws.extra
                .insert("cloudwatch_logs".into(), Value::Array(logs));
        }
        if let Some(sdk) = res.str("telemetry.sdk.name") {
            let sdk = match res.str("telemetry.sdk.language") {
                Some(l) => format!("{sdk} for {l}"),
                None => sdk.to_owned(),
            };
            let auto = res.str("telemetry.auto.version").is_some()
                || res.str("telemetry.distro.version").is_some();
            let mut xray = XraySdk {
                sdk: Some(sdk),
                sdk_version: r("telemetry.sdk.version"),
                ..XraySdk::default()
            };
            xray.extra
                .insert("auto_instrumentation".into(), auto.into());
            aws.xray = Some(xray);
        }
    }
    (aws != Aws::default()).then_some(aws)
}

// ---------------------------------------------------------------------------------------------
// sql

fn is_sql(system: &str) -> bool {
    matches!(
        system,
        "db2"
            | "ibm.db2"
            | "mssql"
            | "microsoft.sql_server"
            | "oracle"
            | "oracle.db"
            | "derby"
            | "hive"
            | "mariadb"
            | "mysql"
            | "other_sql"
            | "postgresql"
            | "sqlite"
            | "teradata"
    )
}

fn make_sql(span: &Span, attrs: &mut Attrs) -> Option<Sql> {
    let system = attrs
        .text("db.system")
        .or_else(|| attrs.text("db.system.name"))?;
    if !is_sql(&system) {
        return None;
    }
    let instance = attrs
        .text("db.name")
        .or_else(|| attrs.text("db.namespace"))
        .unwrap_or_default();
    let connection = attrs
        .text("db.connection_string")
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    let sql = Sql {
        url: Some(span.name.clone()),
        connection_string: Some(format!("{connection}/{instance}")),
        database_type: Some(system),
        user: attrs.text("db.user").or_else(|| attrs.text("user.name")),
        sanitized_query: attrs
            .text("db.statement")
            .or_else(|| attrs.text("db.query.text")),
        ..Sql::default()
    };
    attrs.take(&[
        "db.system",
        "db.system.name",
        "db.name",
        "db.namespace",
        "db.connection_string",
        "db.user",
        "user.name",
        "db.statement",
        "db.query.text",
    ]);
    Some(sql)
}

// ---------------------------------------------------------------------------------------------
// events

/// Span events kept on a document (OpenTelemetry SDKs keep at most 128 a span).
pub const MAX_EVENTS: usize = 128;

/// The span's events other than exceptions (those are the cause), as
/// `metadata.otel.events: [{"name", "time", "attributes"}]`: the exporter drops them; a local
/// viewer shows them (the details pane's Links tab).
fn make_events(span: &Span) -> Vec<Value> {
    span.events
        .iter()
        .filter(|e| e.name != "exception")
        .take(MAX_EVENTS)
        .map(|e| {
            let mut event = Map::new();
            event.insert("name".into(), e.name.clone().into());
            if e.time_unix_nano > 0 {
                event.insert("time".into(), seconds(e.time_unix_nano).into());
            }
            if !e.attributes.is_empty() {
                event.insert("attributes".into(), attributes_json(&e.attributes));
            }
            Value::Object(event)
        })
        .collect()
}

/// An event's or a link's attributes as a JSON object (values bounded as metadata's are).
fn attributes_json(attributes: &[KeyValue]) -> Value {
    Value::Object(
        attributes
            .iter()
            .filter_map(|kv| {
                Some((
                    kv.key.clone(),
                    to_json(kv.value.as_ref()?.value.as_ref()?, 0),
                ))
            })
            .collect(),
    )
}

// ---------------------------------------------------------------------------------------------
// links

fn make_links(span: &Span, start_secs: i64) -> Vec<Value> {
    span.links
        .iter()
        .filter(|l| valid_id(&l.trace_id, 16) && valid_id(&l.span_id, 8))
        .take(MAX_EVENTS)
        .map(|l| {
            let (trace, _) = trace_id(&l.trace_id, start_secs);
            let mut link = Map::new();
            link.insert("trace_id".into(), trace.into());
            link.insert("id".into(), hex(&l.span_id).into());
            if !l.attributes.is_empty() {
                link.insert("attributes".into(), attributes_json(&l.attributes));
            }
            Value::Object(link)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{assemble, service, service_graph};
    use crate::model::Trace;
    use serde_json::json;

    #[test]
    fn hex_is_two_lower_case_digits_a_byte() {
        assert_eq!(hex(&[]), "");
        assert_eq!(
            hex(&[0x00, 0x0f, 0x10, 0xab, 0xff, 0x5b, 0xf6]),
            "000f10abff5bf6"
        );
        let all: Vec<u8> = (0..=255).collect();
        let want: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex(&all), want);
    }

    /// 2024-01-01T00:00:00Z, and a trace ID that starts with it (an X-Ray ID in W3C form).
    const T0: u64 = 1_704_067_200;
    const TRACE: &str = "65920080a1b2c3d4e5f60718293a4b5c";
    const XRAY: &str = "1-65920080-a1b2c3d4e5f60718293a4b5c";

    fn nanos(secs: f64) -> String {
        ((T0 as f64 + secs) * 1e9).round().to_string()
    }

    fn kv(attrs: &Value) -> Value {
        let list: Vec<Value> = attrs
            .as_object()
            .expect("object")
            .iter()
            .map(|(k, v)| {
                let value = match v {
                    Value::String(s) => json!({"stringValue": s}),
                    Value::Bool(b) => json!({"boolValue": b}),
                    Value::Number(n) if n.is_i64() => json!({"intValue": n.to_string()}),
                    Value::Number(n) => json!({"doubleValue": n}),
                    Value::Array(a) => json!({"arrayValue": {"values":
                        a.iter().map(|s| json!({"stringValue": s})).collect::<Vec<_>>()}}),
                    other => panic!("{other}"),
                };
                json!({"key": k, "value": value})
            })
            .collect();
        Value::Array(list)
    }

    /// A span: id, parent ("" for none), kind, name, attributes; 0.1 s long.
    fn span(id: &str, parent: &str, kind: i32, name: &str, attrs: Value) -> Value {
        json!({
            "traceId": TRACE, "spanId": id, "parentSpanId": parent, "name": name, "kind": kind,
            "startTimeUnixNano": nanos(1.0), "endTimeUnixNano": nanos(1.1),
            "attributes": kv(&attrs),
        })
    }

    fn request(resource: Value, spans: Vec<Value>) -> ExportTraceServiceRequest {
        let body = json!({"resourceSpans": [{
            "resource": {"attributes": kv(&resource)},
            "scopeSpans": [{"scope": {"name": "test"}, "spans": spans}],
        }]});
        parse_json(body.to_string().as_bytes()).expect("OTLP/JSON")
    }

    /// Translates and reads every document back with the model, as a file would be read.
    fn docs(req: &ExportTraceServiceRequest) -> Vec<Segment> {
        let t = translate(req);
        assert!(t.rejected.is_empty(), "{:?}", t.rejected);
        t.documents
            .iter()
            .map(|d| parse::typed::<Segment>(&d.json, "").expect("parses as a segment"))
            .collect()
    }

    fn one(resource: Value, s: Value) -> Segment {
        docs(&request(resource, vec![s])).remove(0)
    }

    fn trace(segs: Vec<Segment>) -> Trace {
        let id = segs[0].trace_id.clone().expect("trace id");
        assemble(&id, segs)
    }

    const SERVER: i32 = 2;
    const CLIENT: i32 = 3;
    const PRODUCER: i32 = 4;
    const INTERNAL: i32 = 1;

    #[test]
    fn server_span_is_a_segment_named_by_service_with_http_old_semconv() {
        let s = one(
            json!({"service.name": "orders"}),
            span(
                "00000000000000a1",
                "",
                SERVER,
                "GET /orders/{id}",
                json!({
                    "http.method": "GET", "http.url": "https://api.example.com/orders/7",
                    "http.status_code": 200, "http.user_agent": "curl/8", "http.client_ip": "10.0.0.9",
                    "custom": "kept"
                }),
            ),
        );
        assert_eq!(s.name, "orders");
        assert_eq!(s.id, "00000000000000a1");
        assert_eq!(s.trace_id.as_deref(), Some(XRAY));
        assert_eq!(s.kind, None);
        assert_eq!(s.start_time, T0 as f64 + 1.0);
        assert_eq!(s.end_time, Some(T0 as f64 + 1.1));
        let http = s.http.as_deref().expect("http");
        let req = http.request.as_ref().expect("request");
        assert_eq!(req.method.as_deref(), Some("GET"));
        assert_eq!(req.url.as_deref(), Some("https://api.example.com/orders/7"));
        assert_eq!(req.user_agent.as_deref(), Some("curl/8"));
        assert_eq!(req.client_ip.as_deref(), Some("10.0.0.9"));
        assert_eq!(req.x_forwarded_for, Some(true));
        assert_eq!(http.response.as_ref().and_then(|r| r.status), Some(200));
        assert_eq!(s.outcome(), crate::model::segment::Outcome::Ok);
        let meta = s.metadata.as_deref().expect("metadata");
        assert_eq!(meta["default"]["custom"], "kept");
        assert_eq!(meta["default"]["otel.resource.service.name"], "orders");
        assert!(
            meta["default"].get("http.method").is_none(),
            "mapped, not repeated"
        );
        assert_eq!(meta["otel"]["span_kind"], "SERVER");
    }

    #[test]
    fn http_new_semconv_and_status_flags() {
        let server = |code: i64| {
            one(
                json!({"service.name": "api"}),
                span(
                    "00000000000000b1",
                    "",
                    SERVER,
                    "POST",
                    json!({
                        "http.request.method": "POST", "url.scheme": "https",
                        "server.address": "shop.example.com", "server.port": 8443,
                        "url.path": "/cart", "url.query": "x=1",
                        "http.response.status_code": code,
                    }),
                ),
            )
        };
        let ok = server(201);
        let http = ok.http.as_deref().expect("http");
        let req = http.request.as_ref().expect("request");
        assert_eq!(req.method.as_deref(), Some("POST"));
        assert_eq!(
            req.url.as_deref(),
            Some("https://shop.example.com:8443/cart?x=1")
        );
        assert_eq!(http.response.as_ref().and_then(|r| r.status), Some(201));
        assert_eq!((ok.fault, ok.error, ok.throttle), (None, None, None));
        let f = server(500);
        assert_eq!((f.fault, f.error, f.throttle), (Some(true), None, None));
        let t = server(429);
        assert_eq!(
            (t.fault, t.error, t.throttle),
            (None, Some(true), Some(true))
        );
        let e = server(404);
        assert_eq!((e.fault, e.error, e.throttle), (None, Some(true), None));
    }

    #[test]
    fn error_status_without_http_is_a_fault_with_the_message() {
        let mut s = span("00000000000000c1", "", INTERNAL, "job", json!({}));
        s["status"] = json!({"code": 2, "message": "disk full"});
        let seg = one(json!({"service.name": "batch"}), s);
        assert_eq!((seg.fault, seg.error), (Some(true), None));
        let ex = seg.exceptions();
        assert_eq!(ex.len(), 1);
        assert_eq!(ex[0].message.as_deref(), Some("disk full"));
        // Root INTERNAL span: a segment, named by the service.
        assert_eq!(seg.name, "batch");
        assert_eq!(
            seg.metadata.as_deref().expect("meta")["otel"]["status_message"],
            "disk full"
        );
    }

    fn graph_nodes(t: &Trace) -> Vec<(String, String)> {
        let g = service_graph([t]);
        let mut v: Vec<(String, String)> = g
            .services
            .iter()
            .map(|s| {
                (
                    s.name.clone().unwrap_or_default(),
                    s.kind.clone().unwrap_or_default(),
                )
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn dynamodb_call_is_an_aws_subsegment_and_a_table_node() {
        let segs = docs(&request(
            json!({"service.name": "orders", "cloud.provider": "aws", "cloud.account.id": "123456789012"}),
            vec![
                span(
                    "00000000000000d1",
                    "",
                    SERVER,
                    "GET /",
                    json!({"http.method": "GET"}),
                ),
                span(
                    "00000000000000d2",
                    "00000000000000d1",
                    CLIENT,
                    "DynamoDB.GetItem",
                    json!({
                        "rpc.system": "aws-api", "rpc.service": "DynamoDB", "rpc.method": "GetItem",
                        "aws.dynamodb.table_names": ["orders-table"], "aws.request_id": "R1",
                        "aws.region": "eu-west-1",
                    }),
                ),
            ],
        ));
        let call = &segs[1];
        assert_eq!(call.kind.as_deref(), Some("subsegment"));
        assert_eq!(call.parent_id.as_deref(), Some("00000000000000d1"));
        assert_eq!(call.trace_id.as_deref(), Some(XRAY));
        assert_eq!(call.name, "DynamoDB");
        assert_eq!(call.namespace.as_deref(), Some("aws"));
        let aws = call.aws.as_deref().expect("aws");
        assert_eq!(aws.table_name.as_deref(), Some("orders-table"));
        assert_eq!(aws.operation.as_deref(), Some("GetItem"));
        assert_eq!(aws.request_id.as_deref(), Some("R1"));
        assert_eq!(aws.region.as_deref(), Some("eu-west-1"));
        // The caller's account and resource blocks belong to its segment only.
        assert_eq!(aws.account_id, None);
        assert_eq!(call.origin, None);
        let key = service::of_downstream(call).expect("a call");
        assert_eq!(
            (key.name.as_str(), key.kind.as_str()),
            ("orders-table", "AWS::DynamoDB::Table")
        );

        let t = trace(segs);
        assert_eq!(t.roots.len(), 1);
        let root = &t.nodes[t.roots[0]];
        assert_eq!(root.doc.name, "orders");
        assert_eq!(root.children.len(), 1);
        assert_eq!(t.nodes[root.children[0]].doc.name, "DynamoDB");
        let nodes = graph_nodes(&t);
        assert!(
            nodes.contains(&("orders-table".to_owned(), "AWS::DynamoDB::Table".to_owned())),
            "{nodes:?}"
        );
        assert!(nodes.iter().any(|(n, _)| n == "orders"), "{nodes:?}");
    }

    #[test]
    fn sqs_queue_url_and_s3_bucket() {
        let segs = docs(&request(
            json!({"service.name": "orders"}),
            vec![
                span("00000000000000e1", "", SERVER, "POST /", json!({})),
                span(
                    "00000000000000e2",
                    "00000000000000e1",
                    PRODUCER,
                    "SQS.SendMessage",
                    json!({
                        "rpc.system": "aws-api", "rpc.service": "SQS", "rpc.method": "SendMessage",
                        "messaging.url": "https://sqs.eu-west-1.amazonaws.com/123456789012/orders-queue",
                    }),
                ),
                span(
                    "00000000000000e3",
                    "00000000000000e1",
                    CLIENT,
                    "S3.PutObject",
                    json!({
                        "rpc.system": "aws-api", "rpc.service": "S3", "rpc.method": "PutObject",
                        "aws.s3.bucket": "invoices",
                    }),
                ),
            ],
        ));
        assert_eq!(segs[1].name, "SQS");
        assert_eq!(segs[1].namespace.as_deref(), Some("aws"));
        assert_eq!(
            segs[1].aws.as_deref().and_then(|a| a.queue_url.as_deref()),
            Some("https://sqs.eu-west-1.amazonaws.com/123456789012/orders-queue")
        );
        assert_eq!(segs[2].name, "S3");
        let nodes = graph_nodes(&trace(segs));
        assert!(
            nodes.contains(&("orders-queue".into(), "AWS::SQS::Queue".into())),
            "{nodes:?}"
        );
        assert!(
            nodes.contains(&("invoices".into(), "AWS::S3::Bucket".into())),
            "{nodes:?}"
        );
    }

    #[test]
    fn db_attributes_become_sql_named_db_at_host() {
        let s = &docs(&request(
            json!({"service.name": "orders"}),
            vec![
                span("00000000000000f1", "", SERVER, "GET /", json!({})),
                span(
                    "00000000000000f2",
                    "00000000000000f1",
                    CLIENT,
                    "SELECT orders",
                    json!({
                        "db.system": "postgresql", "db.name": "shop",
                        "db.connection_string": "jdbc:postgresql://db.internal:5432",
                        "db.user": "app", "db.statement": "SELECT * FROM orders WHERE id = ?",
                    }),
                ),
            ],
        ))[1];
        assert_eq!(s.name, "shop@db.internal");
        assert_eq!(s.namespace.as_deref(), Some("remote"));
        let sql = s.sql.as_deref().expect("sql");
        assert_eq!(sql.database_type.as_deref(), Some("postgresql"));
        assert_eq!(sql.url.as_deref(), Some("SELECT orders"));
        assert_eq!(
            sql.connection_string.as_deref(),
            Some("jdbc:postgresql://db.internal:5432/shop")
        );
        assert_eq!(sql.user.as_deref(), Some("app"));
        assert_eq!(
            sql.sanitized_query.as_deref(),
            Some("SELECT * FROM orders WHERE id = ?")
        );
        let key = service::of_downstream(s).expect("a call");
        assert_eq!(
            (key.name.as_str(), key.kind.as_str()),
            ("shop@db.internal", "Database::SQL")
        );
    }

    #[test]
    fn exception_events_become_causes_with_java_stacks() {
        let mut s = span(
            "0000000000000101",
            "",
            SERVER,
            "GET /",
            json!({"http.status_code": 500}),
        );
        s["events"] = json!([{
            "name": "exception", "timeUnixNano": nanos(1.05),
            "attributes": kv(&json!({
                "exception.type": "java.lang.IllegalStateException",
                "exception.message": "no stock",
                "exception.stacktrace": "java.lang.IllegalStateException: no stock\n\tat com.shop.Orders.place(Orders.java:42)\n\tat java.base/java.lang.Thread.run(Thread.java:833)\nCaused by: java.io.IOException: timeout\n\tat com.shop.Db.query(Db.java:7)\n\t... 2 more",
            })),
        }]);
        let seg = one(
            json!({"service.name": "orders", "telemetry.sdk.language": "java"}),
            s,
        );
        assert_eq!(seg.fault, Some(true));
        let ex = seg.exceptions();
        assert_eq!(ex.len(), 2, "{ex:?}");
        assert_eq!(
            ex[0].kind.as_deref(),
            Some("java.lang.IllegalStateException")
        );
        assert_eq!(ex[0].message.as_deref(), Some("no stock"));
        assert_eq!(ex[0].remote, Some(false));
        assert_eq!(
            ex[0].stack,
            vec![
                frame("Orders.java", 42, "com.shop.Orders.place"),
                frame("Thread.java", 833, "java.lang.Thread.run"),
            ]
        );
        assert_eq!(ex[0].cause, ex[1].id);
        assert_eq!(ex[1].kind.as_deref(), Some("java.io.IOException"));
        assert_eq!(ex[1].message.as_deref(), Some("timeout"));
        assert_eq!(ex[1].stack, vec![frame("Db.java", 7, "com.shop.Db.query")]);
        // The same span gives the same exception IDs every time.
        let id = ex[0].id.clone();
        assert_eq!(id.as_deref().map(str::len), Some(16));
    }

    #[test]
    fn python_javascript_and_dotnet_stacks() {
        let mut id = |i: u64| format!("{i:016x}");
        let py = parse_exception(
            "ValueError".into(),
            "bad".into(),
            "Traceback (most recent call last):\n  File \"app.py\", line 10, in handler\n    run()\n  File \"lib.py\", line 3, in run\n    raise ValueError('bad')\nValueError: bad",
            false,
            "python",
            &mut id,
        );
        assert_eq!(
            py[0].stack,
            vec![frame("lib.py", 3, "run"), frame("app.py", 10, "handler")]
        );
        let js = parse_exception(
            "Error".into(),
            "boom".into(),
            "Error: boom\n    at handler (/app/index.js:12:7)\n    at /app/server.js:40:3",
            true,
            "javascript",
            &mut id,
        );
        assert_eq!(
            js[0].stack,
            vec![
                frame("/app/index.js", 12, "handler"),
                frame("/app/server.js", 40, "")
            ]
        );
        assert_eq!(js[0].remote, Some(true));
        let net = parse_exception(
            "System.Exception".into(),
            "x".into(),
            "System.Exception: x\n   at Shop.Orders.Place() in /src/Orders.cs:line 21",
            false,
            "dotnet",
            &mut id,
        );
        assert_eq!(
            net[0].stack,
            vec![frame("/src/Orders.cs", 21, "Shop.Orders.Place()")]
        );
        // Unknown language: the exception without a stack.
        let go = parse_exception("E".into(), "m".into(), "whatever", false, "cobol", &mut id);
        assert!(go[0].stack.is_empty());
    }

    #[test]
    fn annotations_from_the_listed_keys_the_rest_metadata() {
        let s = one(
            json!({"service.name": "orders"}),
            span(
                "0000000000000111",
                "",
                SERVER,
                "GET /",
                json!({
                    "aws.xray.annotations": ["customer.tier", "retries"],
                    "customer.tier": "gold", "retries": 3, "note": "not indexed",
                    "enduser.id": "alice",
                }),
            ),
        );
        let ann = s.annotations.as_ref().expect("annotations");
        assert_eq!(
            ann.get("customer.tier"),
            Some(&AnnotationValue::String("gold".into()))
        );
        assert_eq!(ann.get("retries"), Some(&AnnotationValue::Number(3.into())));
        assert_eq!(ann.len(), 2);
        assert_eq!(s.user.as_deref(), Some("alice"));
        let meta = s.metadata.as_deref().expect("metadata");
        assert_eq!(meta["default"]["note"], "not indexed");
        assert!(meta["default"].get("aws.xray.annotations").is_none());
        assert!(meta["default"].get("customer.tier").is_none());
    }

    #[test]
    fn resource_attributes_give_origin_and_aws_blocks() {
        let origin = |platform: &str, extra: Value| {
            let mut r =
                json!({"service.name": "svc", "cloud.provider": "aws", "cloud.platform": platform});
            if let (Some(r), Some(e)) = (r.as_object_mut(), extra.as_object()) {
                r.extend(e.clone());
            }
            one(r, span("0000000000000121", "", SERVER, "op", json!({})))
        };
        let ecs = origin(
            "aws_ecs",
            json!({"container.name": "web", "container.id": "c1", "aws.ecs.task.arn": "arn:t"}),
        );
        assert_eq!(ecs.origin.as_deref(), Some("AWS::ECS::Container"));
        let e = ecs
            .aws
            .as_deref()
            .and_then(|a| a.ecs.as_ref())
            .expect("ecs");
        assert_eq!(
            (e.container.as_deref(), e.container_id.as_deref()),
            (Some("web"), Some("c1"))
        );
        assert_eq!(e.extra["task_arn"], "arn:t");
        let fargate = origin("aws_ecs", json!({"aws.ecs.launchtype": "fargate"}));
        assert_eq!(fargate.origin.as_deref(), Some("AWS::ECS::Fargate"));
        let eks = origin(
            "aws_eks",
            json!({"k8s.cluster.name": "prod", "k8s.pod.name": "web-1"}),
        );
        assert_eq!(eks.origin.as_deref(), Some("AWS::EKS::Container"));
        let k = eks
            .aws
            .as_deref()
            .and_then(|a| a.eks.as_ref())
            .expect("eks");
        assert_eq!(
            (k.cluster_name.as_deref(), k.pod.as_deref()),
            (Some("prod"), Some("web-1"))
        );
        let ec2 = origin(
            "aws_ec2",
            json!({"host.id": "i-0abc", "host.type": "t3.micro", "cloud.availability_zone": "eu-west-1a"}),
        );
        assert_eq!(ec2.origin.as_deref(), Some("AWS::EC2::Instance"));
        let i = ec2
            .aws
            .as_deref()
            .and_then(|a| a.ec2.as_ref())
            .expect("ec2");
        assert_eq!(i.instance_id.as_deref(), Some("i-0abc"));
        assert_eq!(i.availability_zone.as_deref(), Some("eu-west-1a"));
        let lambda = origin(
            "aws_lambda",
            json!({"cloud.resource_id": "arn:aws:lambda:eu-west-1:1:function:f", "faas.version": "$LATEST", "aws.log.group.names": "/aws/lambda/f"}),
        );
        assert_eq!(lambda.origin.as_deref(), Some("AWS::Lambda::Function"));
        let aws = lambda.aws.as_deref().expect("aws");
        let l = aws.lambda.as_ref().expect("lambda");
        assert_eq!(
            l.function_arn.as_deref(),
            Some("arn:aws:lambda:eu-west-1:1:function:f")
        );
        assert_eq!(
            aws.extra["cloudwatch_logs"],
            json!([{"log_group": "/aws/lambda/f"}])
        );
        let gcp = one(
            json!({"service.name": "svc", "cloud.provider": "gcp", "cloud.platform": "gcp_compute_engine"}),
            span("0000000000000121", "", SERVER, "op", json!({})),
        );
        assert!(gcp.origin.is_none() && gcp.aws.is_none());
    }

    #[test]
    fn trace_ids_epoch_plausible_or_kept_as_w3c() {
        let start = T0 as i64 + 1;
        let bytes = |h: &str| {
            (0..16)
                .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).expect("hex"))
                .collect::<Vec<u8>>()
        };
        assert_eq!(trace_id(&bytes(TRACE), start), (XRAY.to_owned(), true));
        // A random ID: its first 32 bits are no time near the span.
        let random = "f3c9a1b27d4e5f60718293a4b5c6d7e8";
        assert_eq!(trace_id(&bytes(random), start), (random.to_owned(), false));
        // Older than 28 days before the span, or in its future: not an X-Ray ID.
        let old = format!("{:08x}{}", T0 - 29 * 86_400, &TRACE[8..]);
        assert!(!trace_id(&bytes(&old), start).1);
        let ahead = format!("{:08x}{}", T0 + 3_600, &TRACE[8..]);
        assert!(!trace_id(&bytes(&ahead), start).1);

        let mut s = span("0000000000000131", "", SERVER, "op", json!({}));
        s["traceId"] = json!(random);
        let seg = one(json!({"service.name": "svc"}), s);
        assert_eq!(seg.trace_id.as_deref(), Some(random));
        let otel = &seg.metadata.as_deref().expect("meta")["otel"];
        assert_eq!(otel["xray_trace_id"], false);
        assert_eq!(otel["trace_id"], random);
    }

    #[test]
    fn links_kept_and_in_progress() {
        let mut s = span("0000000000000141", "", 5, "process", json!({}));
        s["links"] = json!([{"traceId": TRACE, "spanId": "00000000000000aa",
            "attributes": kv(&json!({"messaging.operation": "receive"}))}]);
        s["endTimeUnixNano"] = json!("0");
        let t = translate(&request(json!({"service.name": "worker"}), vec![s]));
        assert!(t.documents[0].in_progress);
        let seg = parse::typed::<Segment>(&t.documents[0].json, "").expect("parses");
        assert_eq!(seg.in_progress, Some(true));
        assert_eq!(seg.end_time, None);
        assert_eq!(
            seg.extra["links"],
            json!([{"trace_id": XRAY, "id": "00000000000000aa",
                "attributes": {"messaging.operation": "receive"}}])
        );
        // A CONSUMER span is its service's segment.
        assert_eq!((seg.kind.as_deref(), seg.name.as_str()), (None, "worker"));
    }

    #[test]
    fn a_retrieved_span_document_translates_like_its_otlp_span() {
        let doc = json!({
            "resource": {"attributes": {"service.name": "worker", "cloud.platform": "aws_lambda"}},
            "scope": {"name": "io.opentelemetry.aws-lambda", "version": "2.1.0"},
            "traceId": TRACE, "spanId": "0000000000000161", "parentSpanId": "",
            "name": "process", "kind": "CONSUMER",
            "startTimeUnixNano": T0 * 1_000_000_000, "durationNano": 250_000_000,
            "attributes": {"messaging.system": "aws_sqs", "retries": 2, "tags": ["a", {"b": 1}]},
            "status": {"code": "STATUS_CODE_ERROR", "message": "boom"},
            "events": [{"name": "cache.miss", "timeUnixNano": T0 * 1_000_000_000 + 5_000_000,
                "attributes": {"key": "k1"}}],
            "links": [{"traceId": TRACE, "spanId": "00000000000000aa",
                "attributes": {"messaging.operation": "receive"}}]
        });
        let request = span_document(&doc.to_string()).expect("reads");
        let t = translate_segments(&request);
        assert!(t.rejected.is_empty(), "{:?}", t.rejected);
        let seg = &t.segments[0];
        assert_eq!(
            (seg.name.as_str(), seg.trace_id.as_deref()),
            ("worker", Some(XRAY))
        );
        assert_eq!(seg.end_time, Some(T0 as f64 + 0.25));
        assert_eq!(seg.fault, Some(true));
        assert_eq!(seg.origin.as_deref(), Some("AWS::Lambda::Function"));
        assert_eq!(seg.extra["links"][0]["trace_id"], XRAY);
        let meta = seg.metadata.as_deref().expect("meta");
        assert_eq!(meta["otel"]["span_kind"], "CONSUMER");
        assert_eq!(meta["otel"]["events"][0]["name"], "cache.miss");
        assert_eq!(meta["otel"]["events"][0]["attributes"]["key"], "k1");
        assert_eq!(meta["default"]["retries"], 2);
        assert_eq!(meta["default"]["tags"], json!(["a", {"b": 1}]));
        // OTLP/JSON's own spellings read too: numbered kinds and key-value lists.
        let mut otlp = span("0000000000000162", "", SERVER, "op", json!({"a": "b"}));
        otlp["resource"] = json!({"attributes": kv(&json!({"service.name": "svc"}))});
        let t = translate_segments(&span_document(&otlp.to_string()).expect("reads"));
        assert_eq!(t.segments[0].name, "svc");
        for bad in ["[1]", "{", "\"span\""] {
            assert!(span_document(bad).is_err(), "{bad}");
        }
        // An ID that is not hex is the translation's refusal, with its reason.
        let t = translate_segments(
            &span_document(&json!({"traceId": "zz", "spanId": "01"}).to_string()).expect("reads"),
        );
        assert_eq!(t.rejected.len(), 1);
    }

    #[test]
    fn events_other_than_exceptions_are_kept() {
        let mut s = span("0000000000000171", "", SERVER, "op", json!({}));
        s["events"] = json!([
            {"name": "exception", "timeUnixNano": "1704067200000000000",
                "attributes": kv(&json!({"exception.type": "E"}))},
            {"name": "retry", "timeUnixNano": "1704067200100000000",
                "attributes": kv(&json!({"attempt": 2}))}
        ]);
        let seg = one(json!({"service.name": "svc"}), s);
        let events = &seg.metadata.as_deref().expect("meta")["otel"]["events"];
        assert_eq!(
            events,
            &json!([{"name": "retry", "time": T0 as f64 + 0.1,
            "attributes": {"attempt": 2}}])
        );
    }

    #[test]
    fn bad_spans_are_rejected_with_a_reason() {
        let mut bad = span("0000000000000000", "", SERVER, "zero", json!({}));
        bad["spanId"] = json!("");
        let good = span("0000000000000151", "", SERVER, "ok", json!({}));
        let t = translate(&request(json!({}), vec![bad, good]));
        assert_eq!((t.spans, t.documents.len(), t.rejected.len()), (2, 1, 1));
        assert!(t.rejected[0].span.contains("spans[0]"), "{:?}", t.rejected);
        assert!(t.rejected[0].reason.contains("span ID"), "{:?}", t.rejected);
        // Without service.name a server span is named after the span.
        assert!(t.documents[0].json.contains("\"name\":\"ok\""));
    }

    #[test]
    fn parse_json_errors_are_located() {
        let e = parse_json(
            b"{\"resourceSpans\": [{\"scopeSpans\": [{\"spans\": [{\"traceId\": \"zz\"}]}]}]}",
        )
        .expect_err("bad hex");
        assert!(e.starts_with("line 1, column"), "{e}");
        assert!(
            e.contains("resourceSpans[0].scopeSpans[0].spans[0].traceId"),
            "{e}"
        );
        let e = parse_json(b"{\"resourceSpans\": [\n{\"x\": 1},\n]}").expect_err("trailing comma");
        assert!(e.starts_with("line 3"), "{e}");
        assert!(parse_json(b"\xff").is_err());
    }

    #[test]
    fn span_names_lose_characters_xray_refuses() {
        assert_eq!(segment_name("GET /orders/{id}"), "GET /orders/id");
        assert_eq!(segment_name("!!!"), "span");
        assert_eq!(segment_name(&"x".repeat(300)).len(), 200);
    }

    /// The span shapes of the OpenTelemetry Collector's X-Ray translator tests
    /// (`exporter/awsxrayexporter/internal/translator/*_test.go`), with the values those tests
    /// expect: the exporter AWS ships is the specification this translation follows.
    mod collector_shapes {
        use super::*;

        /// An HTTP span of `kind` as the Collector's tests make it (named `/users/junit`, with a
        /// parent), plus `events`; its `http` block.
        fn http_of(kind: i32, attrs: Value, events: Value) -> Http {
            let mut s = span("00000000000000c2", "", kind, "/users/junit", attrs);
            s["events"] = events;
            let seg = one(json!({"service.name": "junit"}), s);
            seg.http.as_deref().cloned().expect("an http block")
        }

        fn url_of(kind: i32, attrs: Value) -> Option<String> {
            http_of(kind, attrs, json!([])).request.and_then(|r| r.url)
        }

        #[test]
        fn client_urls_from_url_or_its_parts_old_and_stable() {
            let junit = "https://api.example.com/users/junit";
            let cases = [
                json!({"http.method": "GET", "http.url": junit, "http.status_code": 200}),
                json!({"http.request.method": "GET", "url.full": junit, "http.response.status_code": 200}),
                json!({"http.method": "GET", "http.scheme": "https", "http.host": "api.example.com",
                       "http.target": "/users/junit", "http.status_code": 200, "user.id": "junit"}),
            ];
            for attrs in cases {
                assert_eq!(
                    url_of(CLIENT, attrs.clone()).as_deref(),
                    Some(junit),
                    "{attrs}"
                );
            }
            // Stable: scheme and host, no path.
            let url = url_of(
                CLIENT,
                json!({"http.request.method": "GET", "url.scheme": "https",
                       "http.host": "api.example.com", "http.response.status_code": 200}),
            );
            assert_eq!(url.as_deref(), Some("https://api.example.com/"));
        }

        #[test]
        fn client_urls_from_the_peer_name_port_and_ip() {
            let http = http_of(
                CLIENT,
                json!({"http.method": "GET", "http.scheme": "http", "net.peer.name": "kb234.example.com",
                       "net.peer.port": 8080, "net.peer.ip": "10.8.17.36", "http.target": "/users/junit",
                       "http.status_code": 200}),
                json!([]),
            );
            let req = http.request.expect("request");
            assert_eq!(
                req.url.as_deref(),
                Some("http://kb234.example.com:8080/users/junit")
            );
            assert_eq!(req.client_ip.as_deref(), Some("10.8.17.36"));
            let stable = url_of(
                CLIENT,
                json!({"http.request.method": "GET", "url.scheme": "http", "net.peer.name": "kb234.example.com",
                       "net.peer.port": 8080, "net.peer.ip": "10.8.17.36", "http.response.status_code": 200}),
            );
            assert_eq!(stable.as_deref(), Some("http://kb234.example.com:8080/"));
            // The port as a string, an IPv4 and an IPv6 peer (443 is https's own port).
            let v4 = url_of(
                CLIENT,
                json!({"http.method": "GET", "http.scheme": "http", "net.peer.ip": "10.8.17.36",
                       "net.peer.port": "8080", "http.target": "/users/junit"}),
            );
            assert_eq!(v4.as_deref(), Some("http://10.8.17.36:8080/users/junit"));
            let v6 = url_of(
                CLIENT,
                json!({"http.method": "GET", "http.scheme": "https", "net.peer.ip": "2001:db8:85a3::8a2e:370:7334",
                       "net.peer.port": "443", "http.target": "/users/junit"}),
            );
            assert_eq!(
                v6.as_deref(),
                Some("https://2001:db8:85a3::8a2e:370:7334/users/junit")
            );
        }

        #[test]
        fn the_client_ip_prefers_the_client_over_the_peer() {
            let ip = |attrs: Value| {
                http_of(CLIENT, attrs, json!([]))
                    .request
                    .and_then(|r| r.client_ip)
            };
            assert_eq!(
                ip(json!({"http.client_ip": "1.2.3.4", "net.peer.ip": "10.8.17.36"})).as_deref(),
                Some("1.2.3.4")
            );
            assert_eq!(
                ip(json!({"url.full": "https://api.example.com/users/junit", "client.address": "1.2.3.4",
                          "network.peer.address": "10.8.17.36"}))
                .as_deref(),
                Some("1.2.3.4")
            );
        }

        #[test]
        fn server_urls_from_url_host_server_name_or_host_name() {
            let junit = "https://api.example.com/users/junit";
            let cases = [
                json!({"http.method": "GET", "http.url": junit, "http.client_ip": "192.168.15.32",
                       "http.user_agent": "PostmanRuntime/7.21.0", "http.status_code": 200}),
                json!({"http.request.method": "GET", "url.full": junit, "client.address": "192.168.15.32",
                       "user_agent.original": "PostmanRuntime/7.21.0", "http.response.status_code": 200}),
                json!({"http.method": "GET", "http.scheme": "https", "http.host": "api.example.com",
                       "http.target": "/users/junit", "http.client_ip": "192.168.15.32", "http.status_code": 200}),
                json!({"http.request.method": "GET", "url.scheme": "https", "server.address": "api.example.com",
                       "url.path": "/users/junit", "client.address": "192.168.15.32", "http.response.status_code": 200}),
                json!({"http.method": "GET", "http.scheme": "https", "http.server_name": "api.example.com",
                       "net.host.port": 443, "http.target": "/users/junit", "http.client_ip": "192.168.15.32",
                       "http.status_code": 200}),
                json!({"http.request.method": "GET", "url.scheme": "https", "server.address": "api.example.com",
                       "server.port": 443, "url.path": "/users/junit", "client.address": "192.168.15.32",
                       "http.response.status_code": 200}),
            ];
            let kb = "http://kb234.example.com:8080/users/junit";
            let kb_cases = [
                json!({"http.method": "GET", "http.scheme": "http", "host.name": "kb234.example.com",
                       "net.host.port": 8080, "http.target": "/users/junit", "http.client_ip": "192.168.15.32",
                       "http.status_code": 200}),
                json!({"http.request.method": "GET", "url.scheme": "http", "server.address": "kb234.example.com",
                       "server.port": 8080, "url.path": "/users/junit", "client.address": "192.168.15.32",
                       "http.response.status_code": 200}),
            ];
            let all = cases.map(|c| (junit, c)).into_iter();
            for (want, attrs) in all.chain(kb_cases.map(|c| (kb, c))) {
                let got = url_of(SERVER, attrs.clone());
                assert_eq!(got.as_deref(), Some(want), "{attrs}");
            }
        }

        #[test]
        fn too_few_url_parts_leave_the_url_out_and_the_size_comes_from_a_received_event() {
            let received = json!([{
                "name": "message", "timeUnixNano": nanos(1.1),
                "attributes": kv(&json!({"message.type": "RECEIVED", "message.id": 1,
                                         "messaging.message_payload_size_bytes": 12452})),
            }]);
            let old = json!({"http.method": "GET", "http.scheme": "http", "http.client_ip": "192.168.15.32",
                             "http.user_agent": "PostmanRuntime/7.21.0", "http.target": "/users/junit",
                             "net.host.port": 443, "net.peer.port": 8080, "http.status_code": 200});
            let stable = json!({"http.request.method": "GET", "url.scheme": "http",
                                "client.address": "192.168.15.32", "user_agent.original": "PostmanRuntime/7.21.0",
                                "url.path": "/users/junit", "server.port": 443,
                                "http.response.status_code": 200});
            for attrs in [old, stable] {
                let http = http_of(SERVER, attrs.clone(), received.clone());
                let req = http.request.expect("request");
                assert_eq!(req.url, None, "{attrs}");
                assert_eq!(req.client_ip.as_deref(), Some("192.168.15.32"));
                assert_eq!(req.method.as_deref(), Some("GET"));
                assert_eq!(req.user_agent.as_deref(), Some("PostmanRuntime/7.21.0"));
                let resp = http.response.expect("response");
                assert_eq!((resp.status, resp.content_length), (Some(200), Some(12452)));
            }
        }

        #[test]
        fn x_forwarded_for_only_without_a_peer_address_and_never_for_a_host_name() {
            let req = |attrs: Value| http_of(SERVER, attrs, json!([])).request.expect("request");
            let url = "https://api.example.com/users/junit";
            let forwarded = req(json!({"url.full": url, "client.address": "192.168.15.32"}));
            assert_eq!(forwarded.x_forwarded_for, Some(true));
            let direct = req(json!({"url.full": url, "client.address": "192.168.15.32",
                                    "network.peer.address": "192.168.15.32"}));
            assert_eq!(direct.client_ip.as_deref(), Some("192.168.15.32"));
            assert_eq!(direct.x_forwarded_for, None);
            let named = req(json!({"url.full": url, "client.address": "api.example.com",
                                   "network.peer.address": "api.example.com"}));
            assert_eq!((named.client_ip, named.x_forwarded_for), (None, None));
        }

        #[test]
        fn sql_databases_only_with_the_connection_string_and_instance() {
            let sql_of = |attrs: Value| {
                one(
                    json!({"service.name": "junit"}),
                    span("00000000000000c3", "", CLIENT, "customers", attrs),
                )
                .sql
                .as_deref()
                .cloned()
            };
            let mysql = sql_of(json!({"db.system": "mysql", "db.name": "customers",
                                      "db.statement": "SELECT * FROM user WHERE user_id = ?",
                                      "db.user": "readonly_user",
                                      "db.connection_string": "mysql://db.example.com:3306",
                                      "net.peer.name": "db.example.com", "net.peer.port": "3306"}))
            .expect("sql");
            assert_eq!(
                mysql.connection_string.as_deref(),
                Some("mysql://db.example.com:3306/customers")
            );
            assert_eq!(
                mysql.url.as_deref(),
                Some("customers"),
                "the span's name, as the exporter does"
            );
            assert_eq!(mysql.user.as_deref(), Some("readonly_user"));
            assert_eq!(
                mysql.sanitized_query.as_deref(),
                Some("SELECT * FROM user WHERE user_id = ?")
            );
            let redis = sql_of(
                json!({"db.system": "redis", "db.name": "0", "db.statement": "SET key value",
                                      "db.connection_string": "redis://db.example.com:3306"}),
            );
            assert!(redis.is_none(), "redis is not an SQL database");
            let postgres = sql_of(json!({"db.system": "postgresql", "db.name": "customers",
                                         "db.connection_string": ""}))
            .expect("sql");
            assert_eq!(
                postgres.connection_string.as_deref(),
                Some("localhost/customers")
            );
        }

        /// A segment from a resource with `attrs` (on AWS).
        fn on_aws(attrs: Value) -> Segment {
            let mut r = json!({"service.name": "signup_aggregator", "cloud.provider": "aws",
                               "cloud.account.id": "123456789", "cloud.availability_zone": "us-east-1c"});
            if let (Some(r), Some(a)) = (r.as_object_mut(), attrs.as_object()) {
                r.extend(a.clone());
            }
            one(r, span("0000000000000131", "", SERVER, "op", json!({})))
        }

        #[test]
        fn ec2_ecs_beanstalk_and_eks_resources() {
            let ec2 = on_aws(
                json!({"cloud.platform": "aws_ec2", "host.id": "i-00f7c0bcb26da2a99",
                                    "host.type": "m5.xlarge", "host.image.id": "ami-0123456789"}),
            );
            let aws = ec2.aws.as_deref().expect("aws");
            assert_eq!(aws.account_id.as_deref(), Some("123456789"));
            let i = aws.ec2.as_ref().expect("ec2");
            assert_eq!(
                (
                    i.instance_id.as_deref(),
                    i.availability_zone.as_deref(),
                    i.instance_size.as_deref(),
                    i.ami_id.as_deref()
                ),
                (
                    Some("i-00f7c0bcb26da2a99"),
                    Some("us-east-1c"),
                    Some("m5.xlarge"),
                    Some("ami-0123456789")
                )
            );
            assert!(aws.ecs.is_none() && aws.eks.is_none() && aws.elastic_beanstalk.is_none());

            let arn = |what: &str| format!("arn:aws:ecs:us-west-2:123456789123:{what}");
            let ecs = on_aws(
                json!({"cloud.platform": "aws_ecs", "container.image.name": "otel/signupaggregator",
                                    "container.image.tag": "v1", "container.name": "signup_aggregator-x82ufje83",
                                    "container.id": "0123456789A", "host.id": "i-00f7c0bcb26da2a99",
                                    "aws.ecs.cluster.arn": arn("cluster/my-cluster"),
                                    "aws.ecs.container.arn": arn("container-instance/123"),
                                    "aws.ecs.task.arn": arn("task/123"), "aws.ecs.task.family": "family",
                                    "aws.ecs.launchtype": "fargate", "host.type": "m5.xlarge"}),
            );
            let aws = ecs.aws.as_deref().expect("aws");
            assert!(aws.ec2.is_some(), "an ECS task on an instance has both");
            assert!(aws.eks.is_none() && aws.elastic_beanstalk.is_none());
            let e = aws.ecs.as_ref().expect("ecs");
            assert_eq!(
                (e.container.as_deref(), e.container_id.as_deref()),
                (Some("signup_aggregator-x82ufje83"), Some("0123456789A"))
            );
            for (field, want) in [
                ("availability_zone", "us-east-1c".to_owned()),
                ("cluster_arn", arn("cluster/my-cluster")),
                ("container_arn", arn("container-instance/123")),
                ("task_arn", arn("task/123")),
                ("task_family", "family".to_owned()),
                ("launch_type", "fargate".to_owned()),
            ] {
                assert_eq!(e.extra[field], want.as_str(), "{field}");
            }
            assert_eq!(ecs.origin.as_deref(), Some("AWS::ECS::Fargate"));

            let beanstalk = on_aws(
                json!({"cloud.platform": "aws_elastic_beanstalk", "service.namespace": "production",
                                          "service.instance.id": "232", "service.version": "4"}),
            );
            let aws = beanstalk.aws.as_deref().expect("aws");
            let b = aws.elastic_beanstalk.as_ref().expect("beanstalk");
            assert_eq!(
                (
                    b.environment_name.as_deref(),
                    b.version_label.as_deref(),
                    b.deployment_id.as_deref()
                ),
                (Some("production"), Some("4"), Some("232"))
            );
            assert!(aws.ec2.is_none() && aws.ecs.is_none() && aws.eks.is_none());
            assert_eq!(
                beanstalk.origin.as_deref(),
                Some("AWS::ElasticBeanstalk::Environment")
            );

            let eks = on_aws(
                json!({"cloud.platform": "aws_eks", "k8s.cluster.name": "production",
                                    "k8s.namespace.name": "default", "k8s.deployment.name": "signup_aggregator",
                                    "k8s.pod.name": "my-deployment-65dcf7d447-ddjnl",
                                    "container.name": "signup_aggregator-x82ufje83", "container.id": "0123456789A",
                                    "host.id": "i-00f7c0bcb26da2a99", "host.type": "m5.xlarge"}),
            );
            let aws = eks.aws.as_deref().expect("aws");
            let k = aws.eks.as_ref().expect("eks");
            assert_eq!(
                (
                    k.cluster_name.as_deref(),
                    k.pod.as_deref(),
                    k.container_id.as_deref()
                ),
                (
                    Some("production"),
                    Some("my-deployment-65dcf7d447-ddjnl"),
                    Some("0123456789A")
                )
            );
            assert!(aws.ec2.is_some() && aws.ecs.is_none() && aws.elastic_beanstalk.is_none());
        }

        #[test]
        fn the_sdk_named_for_its_language_and_auto_instrumentation_marked() {
            let sdk = |attrs: Value| {
                let seg = on_aws(attrs);
                let x = seg
                    .aws
                    .as_deref()
                    .and_then(|a| a.xray.clone())
                    .expect("xray");
                (
                    x.sdk,
                    x.sdk_version,
                    x.extra.get("auto_instrumentation").cloned(),
                )
            };
            let name = |s: &str| Some(s.to_owned());
            assert_eq!(
                sdk(
                    json!({"telemetry.sdk.name": "opentelemetry", "telemetry.sdk.language": "java",
                           "telemetry.sdk.version": "1.2.3"})
                ),
                (
                    name("opentelemetry for java"),
                    name("1.2.3"),
                    Some(json!(false))
                )
            );
            assert_eq!(
                sdk(
                    json!({"telemetry.sdk.name": "opentelemetry", "telemetry.sdk.language": "java",
                           "telemetry.sdk.version": "1.2.3", "telemetry.auto.version": "3.4.5"})
                ),
                (
                    name("opentelemetry for java"),
                    name("1.2.3"),
                    Some(json!(true))
                )
            );
            assert_eq!(
                sdk(
                    json!({"telemetry.sdk.name": "opentelemetry", "telemetry.sdk.language": "go",
                           "telemetry.sdk.version": "2.0.3"})
                )
                .0,
                name("opentelemetry for go")
            );
            assert_eq!(
                sdk(
                    json!({"telemetry.sdk.name": "opentracing", "telemetry.sdk.language": "java",
                           "telemetry.sdk.version": "2.0.3"})
                )
                .0,
                name("opentracing for java")
            );
        }

        #[test]
        fn log_groups_by_name_or_by_arn() {
            let logs = |attrs: Value| {
                on_aws(attrs)
                    .aws
                    .as_deref()
                    .map(|a| a.extra["cloudwatch_logs"].clone())
            };
            assert_eq!(
                logs(json!({"aws.log.group.names": ["group1", "group2"]})),
                Some(json!([{"log_group": "group1"}, {"log_group": "group2"}]))
            );
            let arn1 = "arn:aws:logs:us-east-1:123456789123:log-group:group1";
            let arn2 = "arn:aws:logs:us-east-1:123456789123:log-group:group2:*";
            assert_eq!(
                logs(
                    json!({"aws.log.group.arns": [arn1, arn2], "aws.log.group.names": ["ignored"]})
                ),
                Some(
                    json!([{"log_group": "group1", "arn": arn1}, {"log_group": "group2", "arn": arn2}])
                )
            );
        }

        #[test]
        fn aws_call_attributes_and_their_alternate_names() {
            let aws_of = |attrs: Value| {
                let segs = docs(&request(
                    json!({"service.name": "orders"}),
                    vec![
                        span("00000000000000e1", "", SERVER, "POST /", json!({})),
                        span(
                            "00000000000000e2",
                            "00000000000000e1",
                            CLIENT,
                            "call",
                            attrs,
                        ),
                    ],
                ));
                segs[1].aws.as_deref().cloned().expect("aws")
            };
            let put = aws_of(json!({"rpc.system": "aws-api", "rpc.service": "DynamoDB",
                                    "rpc.method": "IncorrectAWSSDKOperation", "aws.operation": "PutItem",
                                    "aws.request_id": "75107C82-EC8A-4F75-883F-4440B491B0AB",
                                    "aws.table_name": "WIDGET_TYPES"}));
            assert_eq!(
                put.operation.as_deref(),
                Some("PutItem"),
                "aws.operation wins over rpc.method"
            );
            assert_eq!(
                put.request_id.as_deref(),
                Some("75107C82-EC8A-4F75-883F-4440B491B0AB")
            );
            assert_eq!(put.table_name.as_deref(), Some("WIDGET_TYPES"));
            let alt = aws_of(
                json!({"rpc.system": "aws-api", "rpc.service": "DynamoDB", "rpc.method": "ListBuckets",
                                    "aws.table.name": "MyTable", "aws.requestId": "12345-request",
                                    "aws.account_id": "987654321", "aws.region": "us-east-2"}),
            );
            assert_eq!(alt.operation.as_deref(), Some("ListBuckets"));
            assert_eq!(alt.table_name.as_deref(), Some("MyTable"));
            assert_eq!(alt.request_id.as_deref(), Some("12345-request"));
            assert_eq!(alt.account_id.as_deref(), Some("987654321"));
            assert_eq!(alt.region.as_deref(), Some("us-east-2"));
        }

        /// Whether `want` is within `got`: each of `want`'s object keys in `got` with a value
        /// that contains it; anything else equal. Says the first path that differs.
        fn within(got: &Value, want: &Value, path: &str) -> Result<(), String> {
            match (got, want) {
                (Value::Object(g), Value::Object(w)) => w.iter().try_for_each(|(k, v)| {
                    let at = format!("{path}.{k}");
                    within(g.get(k).ok_or(format!("{at} missing in {got}"))?, v, &at)
                }),
                (g, w) if g == w => Ok(()),
                (g, w) => Err(format!("{path}: {g} where the example has {w}")),
            }
        }

        /// A published example with the fields no span can carry taken out.
        fn example(text: &str, without: &[&str]) -> Value {
            let mut v: Value = serde_json::from_str(text).expect("the example parses");
            for path in without {
                let mut at = &mut v;
                let mut keys = path.split('.').peekable();
                while let Some(k) = keys.next() {
                    if keys.peek().is_none() {
                        at.as_object_mut().expect("object").remove(k);
                        break;
                    }
                    at = if let Ok(i) = k.parse::<usize>() {
                        &mut at[i]
                    } else {
                        &mut at[k]
                    };
                }
            }
            v
        }

        /// The documents a request translates to, as JSON.
        fn raw(req: &ExportTraceServiceRequest) -> Vec<Value> {
            let t = translate(req);
            assert!(t.rejected.is_empty(), "{:?}", t.rejected);
            t.documents
                .iter()
                .map(|d| serde_json::from_str(&d.json).expect("JSON"))
                .collect()
        }

        const DOCS: &str = "../../../tests/fixtures/public/awsdocs-aws-xray-developer-guide/";

        /// The segment documents the X-Ray developer guide shows, from the spans an
        /// OpenTelemetry SDK makes for the same calls.
        #[test]
        fn the_developer_guides_examples_from_the_spans_of_the_same_calls() {
            // A segment with a remote HTTP call (xray-api-segmentdocuments, block 1).
            let want = example(
                include_str!(concat!(
                    "../../../tests/fixtures/public/awsdocs-aws-xray-developer-guide/",
                    "xray-api-segmentdocuments.md.block01.json"
                )),
                // Ids and times are the spans' own; `traced` needs the callee's segment.
                &["trace_id", "id", "start_time", "end_time", "subsegments"],
            );
            let got = raw(&request(
                json!({"service.name": "www.example.com"}),
                vec![
                    span(
                        "defdfd9912dc5a56",
                        "",
                        SERVER,
                        "GET /health",
                        json!({"http.request.method": "GET", "url.full": "https://www.example.com/health",
                                "user_agent.original": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_6) AppleWebKit/601.7.7",
                                "client.address": "11.0.3.111", "network.peer.address": "11.0.3.111",
                                "http.response.status_code": 200, "http.response.body.size": 86}),
                    ),
                    span(
                        "53995c3f42cd8ad8",
                        "defdfd9912dc5a56",
                        CLIENT,
                        "POST",
                        json!({"http.request.method": "POST", "url.full": "https://api.example.com/health",
                                "server.address": "api.example.com",
                                "http.response.status_code": 200, "http.response.body.size": 861}),
                    ),
                ],
            ));
            within(&got[0], &want, "").unwrap_or_else(|e| panic!("segment: {e}"));
            let mut call = example(
                include_str!(concat!(
                    "../../../tests/fixtures/public/awsdocs-aws-xray-developer-guide/",
                    "xray-api-segmentdocuments.md.block01.json"
                )),
                &[
                    "subsegments.0.id",
                    "subsegments.0.start_time",
                    "subsegments.0.end_time",
                    "subsegments.0.http.request.traced",
                ],
            )["subsegments"][0]
                .take();
            call["type"] = "subsegment".into();
            within(&got[1], &call, "").unwrap_or_else(|e| panic!("call: {e}"));

            // A DynamoDB call inside a custom subsegment (block 8).
            let block08 = include_str!(concat!(
                "../../../tests/fixtures/public/awsdocs-aws-xray-developer-guide/",
                "xray-api-segmentdocuments.md.block08.json"
            ));
            let got = raw(&request(
                json!({"service.name": "Scorekeep"}),
                vec![
                    span("00000000000000a1", "", SERVER, "POST /api/user", json!({})),
                    span(
                        "0e58d2918e9038e8",
                        "00000000000000a1",
                        INTERNAL,
                        "## UserModel.saveUser",
                        json!({}),
                    ),
                    span(
                        "0f910026178b71eb",
                        "0e58d2918e9038e8",
                        CLIENT,
                        "DynamoDB.UpdateItem",
                        json!({"rpc.system": "aws-api", "rpc.service": "DynamoDB", "rpc.method": "UpdateItem",
                                "aws.dynamodb.table_names": ["scorekeep-user"],
                                "aws.request_id": "3AIENM5J4ELQ3SPODHKBIRVIC3VV4KQNSO5AEMVJF66Q9ASUAAJG",
                                "http.status_code": 200, "http.response_content_length": 58}),
                    ),
                ],
            ));
            // Metadata under `debug` is the X-Ray SDK's API; a span's attributes go to `default`.
            let custom = example(
                block08,
                &["id", "start_time", "end_time", "metadata", "subsegments"],
            );
            within(&got[1], &custom, "").unwrap_or_else(|e| panic!("custom: {e}"));
            // `resource_names` is the X-Ray SDK's own; the exporter does not write it.
            let dynamo = example(
                block08,
                &[
                    "subsegments.0.id",
                    "subsegments.0.start_time",
                    "subsegments.0.end_time",
                    "subsegments.0.aws.resource_names",
                ],
            )["subsegments"][0]
                .clone();
            within(&got[2], &dynamo, "").unwrap_or_else(|e| panic!("DynamoDB: {e}"));

            // An SQL query (block 11): named database@host, the statement and the user kept.
            let got = raw(&request(
                json!({"service.name": "Scorekeep"}),
                vec![
                    span(
                        "00000000000000a1",
                        "",
                        SERVER,
                        "GET /api/customers",
                        json!({}),
                    ),
                    span(
                        "3fd8634e78ca9560",
                        "00000000000000a1",
                        CLIENT,
                        "SELECT ebdb",
                        json!({"db.system": "postgresql", "db.name": "ebdb",
                                "server.address": "aawijb5u25wdoy.cpamxznpdoq8.us-west-2.rds.amazonaws.com",
                                "db.connection_string": "jdbc:postgresql://aawijb5u25wdoy.cpamxznpdoq8.us-west-2.rds.amazonaws.com:5432",
                                "db.user": "dbuser",
                                "db.statement": "SELECT  *  FROM  customers  WHERE  customer_id=?;"}),
                    ),
                ],
            ));
            // The exporter puts the span's name in `sql.url` and the connection string with
            // the database in `connection_string`; it knows nothing of the driver, the
            // database's version or the statement's preparation; the type is `db.system`.
            let sql = example(
                include_str!(concat!(
                    "../../../tests/fixtures/public/awsdocs-aws-xray-developer-guide/",
                    "xray-api-segmentdocuments.md.block11.json"
                )),
                &[
                    "id",
                    "start_time",
                    "end_time",
                    "sql.url",
                    "sql.preparation",
                    "sql.database_type",
                    "sql.database_version",
                    "sql.driver_version",
                ],
            );
            within(&got[1], &sql, "").unwrap_or_else(|e| panic!("SQL: {e}"));
            assert_eq!(
                got[1]["sql"]["connection_string"],
                "jdbc:postgresql://aawijb5u25wdoy.cpamxznpdoq8.us-west-2.rds.amazonaws.com:5432/ebdb"
            );
            let _ = DOCS;
        }

        #[test]
        fn an_sqs_queue_by_any_of_its_attribute_names() {
            for key in [
                "messaging.url",
                "aws.queue_url",
                "aws.queue.url",
                "aws.sqs.queue.url",
            ] {
                let url = "https://sqs.us-east-1.amazonaws.com/123456789012/orders-queue";
                let mut attrs = json!({"rpc.system": "aws-api", "rpc.service": "SQS",
                                       "rpc.method": "SendMessage"});
                attrs[key] = url.into();
                let segs = docs(&request(
                    json!({"service.name": "orders"}),
                    vec![
                        span("00000000000000e1", "", SERVER, "POST /", json!({})),
                        span(
                            "00000000000000e2",
                            "00000000000000e1",
                            PRODUCER,
                            "SQS.SendMessage",
                            attrs,
                        ),
                    ],
                ));
                assert_eq!(
                    segs[1].aws.as_deref().and_then(|a| a.queue_url.as_deref()),
                    Some(url),
                    "{key}"
                );
                let nodes = graph_nodes(&trace(segs));
                assert!(
                    nodes.contains(&("orders-queue".into(), "AWS::SQS::Queue".into())),
                    "{key}: {nodes:?}"
                );
            }
        }
    }
}
