//! `TraceSummary` and friends, in the JSON shape of `GetTraceSummaries` (and so of
//! `aws xray get-trace-summaries`). The local engine produces these; the file source reads them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::segment::Extra;
use super::time;

fn is_empty_map(m: &Extra) -> bool {
    m.is_empty()
}

/// The top-level object of a `get-trace-summaries` response.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TraceSummariesPage {
    /// The summaries.
    #[serde(default)]
    pub trace_summaries: Vec<TraceSummary>,
    /// The window end the service used.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::opt_epoch"
    )]
    pub approximate_time: Option<f64>,
    /// How many traces were scanned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traces_processed_count: Option<u64>,
    /// Paging token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// One trace's summary.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TraceSummary {
    /// The trace ID.
    pub id: String,
    /// Earliest segment start (epoch seconds).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::opt_epoch"
    )]
    pub start_time: Option<f64>,
    /// First start to last end, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    /// The root segment's duration, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_time: Option<f64>,
    /// Some entity faulted (5xx).
    #[serde(default)]
    pub has_fault: bool,
    /// Some entity errored (4xx).
    #[serde(default)]
    pub has_error: bool,
    /// Some entity was throttled (429).
    #[serde(default)]
    pub has_throttle: bool,
    /// Some entity is still in progress, or parts are missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_partial: Option<bool>,
    /// HTTP details of the root segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<SummaryHttp>,
    /// Annotation key to the values seen, with the services that recorded them.
    #[serde(default)]
    pub annotations: BTreeMap<String, Vec<ValueWithServiceIds>>,
    /// Users seen in the trace.
    #[serde(default)]
    pub users: Vec<TraceUser>,
    /// Services in the trace.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service_ids: Vec<ServiceId>,
    /// Resources the trace touched.
    #[serde(
        rename = "ResourceARNs",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub resource_arns: Vec<ResourceArn>,
    /// EC2 instances.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instance_ids: Vec<InstanceId>,
    /// Availability zones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub availability_zones: Vec<AvailabilityZone>,
    /// The first service the request reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_point: Option<ServiceId>,
    /// Where faults came from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fault_root_causes: Vec<FaultRootCause>,
    /// Where errors came from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_root_causes: Vec<FaultRootCause>,
    /// Where the time went.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response_time_root_causes: Vec<ResponseTimeRootCause>,
    /// Revision number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<i64>,
    /// When the event the query matched on happened.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::opt_epoch"
    )]
    pub matched_event_time: Option<f64>,
    /// Other fields.
    #[serde(flatten, default, skip_serializing_if = "is_empty_map")]
    pub extra: Extra,
}

/// `Http` in a summary.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SummaryHttp {
    /// Request URL.
    #[serde(rename = "HttpURL", default, skip_serializing_if = "Option::is_none")]
    pub http_url: Option<String>,
    /// Response status.
    #[serde(
        rename = "HttpStatus",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub http_status: Option<u16>,
    /// Request method.
    #[serde(
        rename = "HttpMethod",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub http_method: Option<String>,
    /// Client user agent.
    #[serde(rename = "UserAgent", default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Client IP.
    #[serde(rename = "ClientIp", default, skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<String>,
}

/// An annotation value seen in a trace, with the services that recorded it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ValueWithServiceIds {
    /// The value.
    pub annotation_value: SummaryAnnotationValue,
    /// Services that recorded it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service_ids: Vec<ServiceId>,
}

/// `AnnotationValue`: exactly one member is set.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SummaryAnnotationValue {
    /// A number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_value: Option<f64>,
    /// A boolean.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boolean_value: Option<bool>,
    /// A string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_value: Option<String>,
}

/// A user seen in a trace.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TraceUser {
    /// The user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// Services that saw this user.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service_ids: Vec<ServiceId>,
}

/// A service's identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceId {
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// All names (aliases).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// Account ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Type, e.g. `AWS::Lambda::Function`.
    #[serde(rename = "Type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// `{"ARN": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct ResourceArn {
    /// The ARN.
    #[serde(rename = "ARN", default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
}

/// `{"Id": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct InstanceId {
    /// The instance ID.
    #[serde(rename = "Id", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// `{"Name": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct AvailabilityZone {
    /// The zone.
    #[serde(rename = "Name", default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A fault or error root cause: the services on the failing path.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FaultRootCause {
    /// Services, each with the path of entities down to the cause.
    #[serde(default)]
    pub services: Vec<RootCauseService>,
    /// The failure reached the client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_impacting: Option<bool>,
}

/// A service in a fault/error root cause.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RootCauseService {
    /// Service name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// All names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// Type.
    #[serde(rename = "Type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Account ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Entities from the service's segment down to the failing one.
    #[serde(default)]
    pub entity_path: Vec<RootCauseEntity>,
    /// The service is inferred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inferred: Option<bool>,
}

/// An entity on a fault/error root-cause path.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RootCauseEntity {
    /// Entity name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Exceptions recorded on it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<RootCauseException>,
    /// A downstream (remote) entity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<bool>,
}

/// An exception in a root cause.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RootCauseException {
    /// Exception type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A response-time root cause.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResponseTimeRootCause {
    /// Services on the slow path.
    #[serde(default)]
    pub services: Vec<ResponseTimeRootCauseService>,
    /// The slowness reached the client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_impacting: Option<bool>,
}

/// A service in a response-time root cause.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResponseTimeRootCauseService {
    /// Service name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// All names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// Type.
    #[serde(rename = "Type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Account ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Entities on the slow path.
    #[serde(default)]
    pub entity_path: Vec<ResponseTimeRootCauseEntity>,
    /// The service is inferred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inferred: Option<bool>,
}

/// An entity on a response-time root-cause path.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResponseTimeRootCauseEntity {
    /// Entity name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Share of the response time spent here (0..1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<f64>,
    /// A downstream (remote) entity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<bool>,
}
