//! The X-Ray segment document, as AWS documents it, in typed serde structs.
//!
//! One struct, [`Segment`], stands for segments, subsegments (nested or sent on their own) and
//! inferred segments, because the service uses one document shape for all of them. Every object
//! keeps the fields it does not know in an `extra` map, so a document read and written again keeps
//! everything it had (round-trip safe). Flags are `Option<bool>` for the same reason: a document
//! that said `"error": false` still says so when printed.
//!
//! SDKs disagree on a few scalar types (`content_length` as a string, `deployment_id` as a
//! number); those fields accept both forms, see [`lenient`].

use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

use serde_json::{Map, Number, Value};

/// Fields a document carried that this model does not name; kept in order for round trips.
pub type Extra = Map<String, Value>;

fn is_empty_map(m: &Extra) -> bool {
    m.is_empty()
}

/// A segment, subsegment or inferred segment document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// 16 hex digits, unique within the trace.
    pub id: String,
    /// Service name for segments; operation or resource name for subsegments.
    pub name: String,
    /// `1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx`; present on documents sent on their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    /// Epoch seconds (years 1970-9999).
    #[serde(with = "super::time::seconds")]
    pub start_time: f64,
    /// Epoch seconds; absent while in progress.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "super::time::opt_seconds"
    )]
    pub end_time: Option<f64>,
    /// `true` while the work has not finished; replaced later by the completed document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_progress: Option<bool>,
    /// The caller: for a segment, the subsegment (or segment) upstream; for a subsegment sent on
    /// its own, the entity it belongs under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// `"subsegment"` for subsegments sent as their own documents.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `"aws"` for AWS SDK calls, `"remote"` for other downstream calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The kind of resource running the service, e.g. `AWS::EC2::Instance`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// The user who sent the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The ARN of the resource that ran the segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_arn: Option<String>,
    /// The service's version and runtime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<Box<ServiceInfo>>,
    /// The HTTP request served (segments) or made (subsegments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<Box<Http>>,
    /// AWS resource information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws: Option<Box<Aws>>,
    /// A SQL query made by a subsegment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql: Option<Box<Sql>>,
    /// A client error (4xx).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<bool>,
    /// A server fault (5xx).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<bool>,
    /// Throttled (429).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttle: Option<bool>,
    /// Why it failed: exceptions with stacks, or an exception ID found elsewhere in the trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Box<Cause>>,
    /// Indexed key-value pairs for filter expressions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, AnnotationValue>>,
    /// Arbitrary JSON by namespace; not indexed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Box<Map<String, Value>>>,
    /// Subsegment IDs that ran before this one in the same parent (async work).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precursor_ids: Option<Vec<String>>,
    /// The service made this segment up from a downstream call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inferred: Option<bool>,
    /// Nested subsegments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subsegments: Vec<Segment>,
    /// Fields not named above.
    #[serde(flatten, default, skip_serializing_if = "is_empty_map")]
    pub extra: Extra,
}

/// Dropping a segment frees its nested subsegments with an explicit stack, so a document nested
/// thousands of levels deep does not recurse once per level.
impl Drop for Segment {
    fn drop(&mut self) {
        if self.subsegments.is_empty() {
            return;
        }
        let mut stack = std::mem::take(&mut self.subsegments);
        while let Some(mut s) = stack.pop() {
            stack.append(&mut s.subsegments);
        }
    }
}

impl Segment {
    /// The document was sent with `"type": "subsegment"`.
    pub fn is_subsegment_doc(&self) -> bool {
        self.kind.as_deref() == Some("subsegment")
    }
    /// Work not finished: flagged in progress, or no end time yet.
    pub fn is_in_progress(&self) -> bool {
        self.in_progress == Some(true) || self.end_time.is_none()
    }
    /// Server fault (5xx).
    pub fn is_fault(&self) -> bool {
        self.fault == Some(true)
    }
    /// Client error (4xx).
    pub fn is_error(&self) -> bool {
        self.error == Some(true)
    }
    /// Throttled (429).
    pub fn is_throttle(&self) -> bool {
        self.throttle == Some(true)
    }
    /// Fault, error and throttle as X-Ray counts them: the document's flags, or, when it sets
    /// none of the three, what its HTTP status says (5xx fault; 429 error and throttle; other
    /// 4xx error).
    pub fn flags(&self) -> Flags {
        if self.fault.is_some() || self.error.is_some() || self.throttle.is_some() {
            return Flags {
                fault: self.is_fault(),
                error: self.is_error(),
                throttle: self.is_throttle(),
            };
        }
        match self.http_status() {
            Some(500..=599) => Flags {
                fault: true,
                ..Flags::default()
            },
            Some(429) => Flags {
                error: true,
                throttle: true,
                ..Flags::default()
            },
            Some(400..=499) => Flags {
                error: true,
                ..Flags::default()
            },
            _ => Flags::default(),
        }
    }
    /// How the entity ended, the worst of its [`flags`](Self::flags) winning.
    pub fn outcome(&self) -> Outcome {
        let f = self.flags();
        if f.fault {
            Outcome::Fault
        } else if f.throttle {
            Outcome::Throttle
        } else if f.error {
            Outcome::Error
        } else {
            Outcome::Ok
        }
    }
    /// Made up by the service for a downstream call.
    pub fn is_inferred(&self) -> bool {
        self.inferred == Some(true)
    }
    /// `end_time - start_time`, or `None` while in progress.
    pub fn duration(&self) -> Option<f64> {
        self.end_time.map(|e| e - self.start_time)
    }
    /// The HTTP response status, if any.
    pub fn http_status(&self) -> Option<u16> {
        self.http.as_ref()?.response.as_ref()?.status
    }
    /// The annotations, by key.
    pub fn annotation_values(&self) -> impl Iterator<Item = (&str, &AnnotationValue)> + '_ {
        self.annotations
            .iter()
            .flat_map(|m| m.iter())
            .map(|(k, v)| (k.as_str(), v))
    }
    /// The exceptions recorded in `cause` (none for an exception-ID reference).
    pub fn exceptions(&self) -> &[Exception] {
        match self.cause.as_deref() {
            Some(Cause::Details(d)) => &d.exceptions,
            _ => &[],
        }
    }
}

/// Fault, error and throttle of one entity (see [`Segment::flags`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags {
    /// Server fault (5xx).
    pub fault: bool,
    /// Client error (4xx, 429 included).
    pub error: bool,
    /// Throttled (429).
    pub throttle: bool,
}

/// How an entity ended; ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// No error, fault or throttle.
    Ok,
    /// A client error (4xx).
    Error,
    /// Throttled (429).
    Throttle,
    /// A server fault (5xx).
    Fault,
}

impl Outcome {
    /// The letter screens and reports mark it with: `F`ault, `T`hrottle, `E`rror; none for ok.
    pub const fn letter(self) -> Option<char> {
        match self {
            Outcome::Ok => None,
            Outcome::Error => Some('E'),
            Outcome::Throttle => Some('T'),
            Outcome::Fault => Some('F'),
        }
    }
}

/// An annotation value: X-Ray accepts strings, numbers and booleans.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged, expecting = "a string, number or boolean annotation value")]
pub enum AnnotationValue {
    /// A string value.
    String(String),
    /// A number, kept exactly as written.
    Number(Number),
    /// A boolean.
    Bool(bool),
}

impl AnnotationValue {
    /// Reads a JSON scalar; `None` for null, arrays and objects (which X-Ray does not index).
    pub fn from_json(v: &Value) -> Option<Self> {
        match v {
            Value::String(s) => Some(Self::String(s.clone())),
            Value::Number(n) => Some(Self::Number(n.clone())),
            Value::Bool(b) => Some(Self::Bool(*b)),
            _ => None,
        }
    }
    /// Back to JSON.
    pub fn to_json(&self) -> Value {
        match self {
            Self::String(s) => Value::String(s.clone()),
            Self::Number(n) => Value::Number(n.clone()),
            Self::Bool(b) => Value::Bool(*b),
        }
    }
    /// The value as text, for tables and search.
    pub fn display(&self) -> String {
        match self {
            Self::String(s) => s.clone(),
            Self::Number(n) => n.to_string(),
            Self::Bool(b) => b.to_string(),
        }
    }
}

/// `service`: the version of the application and its runtime.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ServiceInfo {
    /// Application version.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub version: Option<String>,
    /// Other fields (runtime, runtime_version, compiler...).
    #[serde(flatten, default, skip_serializing_if = "is_empty_map")]
    pub extra: Extra,
}

/// `http`: request and response.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Http {
    /// The request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<HttpRequest>,
    /// The response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<HttpResponse>,
    /// Other fields.
    #[serde(flatten, default, skip_serializing_if = "is_empty_map")]
    pub extra: Extra,
}

/// `http.request`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct HttpRequest {
    /// GET, POST...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Full URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The client's user agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// The client's IP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<String>,
    /// `client_ip` came from an `X-Forwarded-For` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_forwarded_for: Option<bool>,
    /// The downstream call is traced (a segment of its own exists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traced: Option<bool>,
    /// Other fields.
    #[serde(flatten, default, skip_serializing_if = "is_empty_map")]
    pub extra: Extra,
}

/// `http.response`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct HttpResponse {
    /// Status code.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_u16"
    )]
    pub status: Option<u16>,
    /// Body length in bytes (some SDKs send a string).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_length"
    )]
    pub content_length: Option<u64>,
    /// Other fields.
    #[serde(flatten, default, skip_serializing_if = "is_empty_map")]
    pub extra: Extra,
}

/// `aws`: the resource a segment ran on, or the AWS call a subsegment made.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Aws {
    /// Account ID.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub account_id: Option<String>,
    /// API operation (subsegments), e.g. `GetItem`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// Region of the resource called.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The AWS request ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// How many times the call was retried.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_u64"
    )]
    pub retries: Option<u64>,
    /// DynamoDB table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_name: Option<String>,
    /// SQS queue URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_url: Option<String>,
    /// Names of the resources used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_names: Option<Vec<String>>,
    /// EC2 instance information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ec2: Option<Ec2>,
    /// ECS container information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecs: Option<Ecs>,
    /// EKS pod information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eks: Option<Eks>,
    /// Elastic Beanstalk environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elastic_beanstalk: Option<ElasticBeanstalk>,
    /// Lambda function information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda: Option<Lambda>,
    /// The X-Ray SDK that recorded the segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xray: Option<XraySdk>,
    /// Other fields (bucket_name, topic_arn, function_arn...).
    #[serde(flatten, default, skip_serializing_if = "is_empty_map")]
    pub extra: Extra,
}

/// `aws.ec2`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Ec2 {
    /// Instance ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// Availability zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
    /// Instance type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_size: Option<String>,
    /// AMI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ami_id: Option<String>,
    /// Other fields.
    #[serde(flatten, default, skip_serializing_if = "is_empty_map")]
    pub extra: Extra,
}

/// `aws.ecs`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Ecs {
    /// Container host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// Container ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_id: Option<String>,
    /// Other fields.
    #[serde(flatten, default, skip_serializing_if = "is_empty_map")]
    pub extra: Extra,
}

/// `aws.eks`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Eks {
    /// Pod name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    /// Cluster name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    /// Container ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_id: Option<String>,
    /// Other fields.
    #[serde(flatten, default, skip_serializing_if = "is_empty_map")]
    pub extra: Extra,
}

/// `aws.elastic_beanstalk`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ElasticBeanstalk {
    /// Environment name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_name: Option<String>,
    /// Application version label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_label: Option<String>,
    /// Deployment ID (a number in most SDKs).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub deployment_id: Option<String>,
    /// Other fields.
    #[serde(flatten, default, skip_serializing_if = "is_empty_map")]
    pub extra: Extra,
}

/// `aws.lambda`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Lambda {
    /// Function ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_arn: Option<String>,
    /// Function version.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub function_version: Option<String>,
    /// Other fields (log groups, cold start...).
    #[serde(flatten, default, skip_serializing_if = "is_empty_map")]
    pub extra: Extra,
}

/// `aws.xray`: the SDK.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct XraySdk {
    /// SDK name, e.g. `X-Ray for Java`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdk: Option<String>,
    /// SDK version.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub sdk_version: Option<String>,
    /// Other fields (auto_instrumentation...).
    #[serde(flatten, default, skip_serializing_if = "is_empty_map")]
    pub extra: Extra,
}

/// `sql`: a query made by a subsegment.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Sql {
    /// Database URL without credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Connection string (when no URL is used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_string: Option<String>,
    /// The query, with user values taken out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sanitized_query: Option<String>,
    /// Database engine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_type: Option<String>,
    /// Database version.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub database_version: Option<String>,
    /// Driver name and version.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub driver_version: Option<String>,
    /// Database user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// `call` or `statement`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preparation: Option<String>,
    /// Other fields.
    #[serde(flatten, default, skip_serializing_if = "is_empty_map")]
    pub extra: Extra,
}

/// `cause`: full exception details, or the ID of an exception recorded elsewhere in the trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Cause {
    /// A 16-character exception ID (reference form).
    Id(String),
    /// Working directory, paths and exceptions.
    Details(CauseDetails),
}

impl<'de> Deserialize<'de> for Cause {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Cause;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an exception ID string or a cause object")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Cause, E> {
                Ok(Cause::Id(v.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Cause, E> {
                Ok(Cause::Id(v))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Cause, A::Error> {
                CauseDetails::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(Cause::Details)
            }
        }
        d.deserialize_any(V)
    }
}

/// `cause` as an object.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CauseDetails {
    /// Working directory when the exception happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_directory: Option<String>,
    /// Libraries or modules in use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paths: Option<Vec<String>>,
    /// The exceptions, outermost first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<Exception>,
    /// Other fields.
    #[serde(flatten, default, skip_serializing_if = "is_empty_map")]
    pub extra: Extra,
}

/// One exception in `cause.exceptions`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Exception {
    /// 16 hex digits; other entities refer to it with a bare `cause` string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The exception type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Raised by a downstream service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<bool>,
    /// Stack frames left out of `stack`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_u64"
    )]
    pub truncated: Option<u64>,
    /// Exceptions skipped between this one and its child.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_u64"
    )]
    pub skipped: Option<u64>,
    /// ID of this exception's parent, the exception that caused it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// Stack frames, innermost first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stack: Vec<StackFrame>,
    /// Other fields.
    #[serde(flatten, default, skip_serializing_if = "is_empty_map")]
    pub extra: Extra,
}

/// One stack frame.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StackFrame {
    /// File path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Line number.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_u64"
    )]
    pub line: Option<u64>,
    /// Function or method name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Other fields.
    #[serde(flatten, default, skip_serializing_if = "is_empty_map")]
    pub extra: Extra,
}

/// Deserializers that accept the forms SDKs actually send (a number as a string, and so on).
pub mod lenient {
    use serde::{Deserialize, Deserializer, de::Error};
    use serde_json::Value;

    /// A string, or a number/bool turned into its text.
    pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(other) => Err(D::Error::custom(format!(
                "invalid type: {}, expected a string or a number",
                kind(&other)
            ))),
        }
    }

    /// A non-negative integer, or a string holding one.
    pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| *f >= 0.0 && f.fract() == 0.0)
                        .map(|f| f as u64)
                })
                .map(Some)
                .ok_or_else(|| {
                    D::Error::custom(format!(
                        "invalid value: {n}, expected a non-negative integer"
                    ))
                }),
            Some(Value::String(s)) => s.trim().parse::<u64>().map(Some).map_err(|_| {
                D::Error::custom(format!(
                    "invalid value: string {s:?}, expected a non-negative integer"
                ))
            }),
            Some(other) => Err(D::Error::custom(format!(
                "invalid type: {}, expected a non-negative integer",
                kind(&other)
            ))),
        }
    }

    /// A length where SDKs write `-1` for "unknown" (Java's `HttpURLConnection`): negative
    /// numbers read as absent.
    pub fn opt_length<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            Some(Value::Number(n)) if n.as_f64().is_some_and(|f| f < 0.0) => Ok(None),
            other => opt_u64(other.unwrap_or(Value::Null)).map_err(D::Error::custom),
        }
    }

    /// An HTTP status code (number or numeric string).
    pub fn opt_u16<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
        let v = opt_u64(d)?;
        v.map(|n| {
            u16::try_from(n).map_err(|_| {
                D::Error::custom(format!("invalid value: {n}, expected an HTTP status code"))
            })
        })
        .transpose()
    }

    fn kind(v: &Value) -> &'static str {
        match v {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_stays_small() {
        // Millions of these are held at once; big optional blocks are boxed.
        assert!(
            std::mem::size_of::<Segment>() <= 512,
            "{}",
            std::mem::size_of::<Segment>()
        );
    }
}

#[cfg(test)]
mod lenient_tests {
    use super::*;

    #[test]
    fn flags_fall_back_to_http_status_only_without_flags() {
        let doc = |v: serde_json::Value| -> Segment {
            let mut base = serde_json::json!({"id":"a","name":"n","start_time":1.0,"end_time":2.0});
            if let (Some(b), Some(extra)) = (base.as_object_mut(), v.as_object()) {
                b.extend(extra.clone());
            }
            serde_json::from_value(base).expect("valid")
        };
        let status = |c: u16| serde_json::json!({"http":{"response":{"status":c}}});
        assert_eq!(doc(status(503)).outcome(), Outcome::Fault);
        assert_eq!(
            doc(status(429)).flags(),
            Flags {
                fault: false,
                error: true,
                throttle: true
            }
        );
        assert_eq!(doc(status(404)).outcome(), Outcome::Error);
        assert_eq!(doc(status(200)).outcome(), Outcome::Ok);
        // An explicit flag wins over the status.
        let mut v = status(404);
        v["error"] = serde_json::json!(false);
        assert_eq!(doc(v).outcome(), Outcome::Ok);
        let both = serde_json::json!({"fault": true, "throttle": true});
        assert_eq!(doc(both).outcome(), Outcome::Fault);
    }

    #[test]
    fn content_length_minus_one_means_unknown() {
        let r: HttpResponse =
            serde_json::from_str(r#"{"status":200,"content_length":-1}"#).expect("accepted");
        assert_eq!(r.content_length, None);
        let r: HttpResponse =
            serde_json::from_str(r#"{"content_length":"861"}"#).expect("accepted");
        assert_eq!(r.content_length, Some(861));
        assert!(serde_json::from_str::<HttpResponse>(r#"{"content_length":"lots"}"#).is_err());
    }
}
