//! Which service an entity stands for, the way the X-Ray service names graph nodes.
//!
//! - A segment is its service: name from `name`, type from `origin`.
//! - An inferred segment, or a subsegment calling AWS (`namespace: "aws"`) with no segment under
//!   it, is the AWS resource called: DynamoDB is named by its table, SQS by its queue, S3 by its
//!   bucket, Lambda by its function; the type is `origin` or `AWS::<Service>[::<Resource>]`.
//! - A remote call (`namespace: "remote"`) with no segment under it is the remote host (type
//!   `remote`), or the database for SQL (type `Database::SQL`).

use crate::model::summary::ServiceId;
use crate::model::{NodeId, NodeKind, Segment, Trace};

/// A node of the service graph: name, type and account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceKey {
    /// Node name.
    pub name: String,
    /// Node type (`AWS::EC2::Instance`, `remote`, ...); empty when unknown.
    pub kind: String,
    /// Account ID, when the documents say.
    pub account_id: Option<String>,
}

impl ServiceKey {
    /// As the API's `ServiceId`.
    pub fn to_service_id(&self) -> ServiceId {
        ServiceId {
            name: Some(self.name.clone()),
            names: vec![self.name.clone()],
            account_id: self.account_id.clone(),
            kind: (!self.kind.is_empty()).then(|| self.kind.clone()),
        }
    }
}

/// The service a segment node stands for.
pub fn of_segment(doc: &Segment) -> ServiceKey {
    if doc.is_inferred() {
        if let Some(k) = of_downstream(doc) {
            return ServiceKey {
                kind: doc.origin.clone().unwrap_or(k.kind),
                ..k
            };
        }
    }
    ServiceKey {
        name: doc.name.clone(),
        kind: doc.origin.clone().unwrap_or_default(),
        account_id: doc.aws.as_ref().and_then(|a| a.account_id.clone()),
    }
}

/// The downstream service a call subsegment reaches, if it is a call (`aws` or `remote`
/// namespace, or an `sql` block).
pub fn of_downstream(doc: &Segment) -> Option<ServiceKey> {
    let ns = doc.namespace.as_deref();
    let account_id = doc.aws.as_ref().and_then(|a| a.account_id.clone());
    if ns == Some("aws") || (doc.is_inferred() && doc.aws.is_some()) {
        let aws = doc.aws.as_ref();
        let svc = aws_service(&doc.name);
        let extra_str = |k: &str| {
            aws.and_then(|a| a.extra.get(k))
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        let first_resource = || {
            aws.and_then(|a| a.resource_names.as_ref())
                .and_then(|r| r.first().cloned())
        };
        // A call that names its resource is drawn as that resource's node (a table, a queue,
        // a bucket, a function); one that does not, as the service's generic node.
        let resource = |name: Option<String>, kind: &str| match name {
            Some(n) => (n, kind.to_owned()),
            None => (svc.to_owned(), aws_service_kind(svc)),
        };
        let (name, kind) = match svc {
            "DynamoDB" => resource(
                aws.and_then(|a| a.table_name.clone())
                    .or_else(first_resource),
                "AWS::DynamoDB::Table",
            ),
            "SQS" => resource(
                aws.and_then(|a| a.queue_url.as_deref())
                    .and_then(|u| u.rsplit('/').next())
                    .map(str::to_owned)
                    .or_else(|| extra_str("queue_name"))
                    .or_else(first_resource),
                "AWS::SQS::Queue",
            ),
            "S3" => resource(
                extra_str("bucket_name").or_else(first_resource),
                "AWS::S3::Bucket",
            ),
            "Lambda" => resource(
                extra_str("function_name").or_else(first_resource),
                "AWS::Lambda::Function",
            ),
            _ => (svc.to_owned(), aws_service_kind(svc)),
        };
        return Some(ServiceKey {
            name,
            kind: doc
                .origin
                .clone()
                .filter(|_| doc.is_inferred())
                .unwrap_or(kind),
            account_id,
        });
    }
    if doc.sql.is_some() {
        return Some(ServiceKey {
            name: doc.name.clone(),
            kind: "Database::SQL".to_owned(),
            account_id,
        });
    }
    if ns == Some("remote") {
        return Some(ServiceKey {
            name: doc.name.clone(),
            kind: "remote".to_owned(),
            account_id,
        });
    }
    None
}

/// An AWS service as X-Ray draws it: the generic node's name and type, and every SDK's
/// spelling of it, folded as [`fold`] does.
struct AwsService {
    name: &'static str,
    kind: &'static str,
    spellings: &'static [&'static str],
}

/// The AWS services SDKs commonly trace. Spellings, folded: the Python SDK's botocore endpoint
/// prefix (`secretsmanager`, `states`, `monitoring`, `email`, `api.ecr`), the Go SDK's service
/// name (the same), the Node SDK's v2 service identifier (`stepfunctions`,
/// `cognitoidentityserviceprovider`) and v3 client name (`SFN`, `CloudWatchLogs`), the Java
/// SDK's v1 client name (`AWSSecretsManager`, `AWSSimpleSystemsManagement`, `AWSLogs`) and v2
/// service name (`Ssm`, `Sfn`), the .NET SDK's (`SecurityToken`, `KeyManagementService`,
/// `SimpleEmail`), and the service ID OpenTelemetry's `rpc.service` carries (`Secrets
/// Manager`, `CloudWatch Logs`, `Cognito Identity Provider`). Types follow the CloudFormation
/// namespaces X-Ray and CloudWatch use (`AWS::StepFunctions`, `AWS::Logs`).
const AWS_SERVICES: &[AwsService] = &[
    AwsService {
        name: "DynamoDB",
        kind: "AWS::DynamoDB",
        spellings: &["dynamodb"],
    },
    AwsService {
        name: "SQS",
        kind: "AWS::SQS",
        spellings: &["sqs"],
    },
    AwsService {
        name: "S3",
        kind: "AWS::S3",
        spellings: &["s3"],
    },
    AwsService {
        name: "Lambda",
        kind: "AWS::Lambda",
        spellings: &["lambda"],
    },
    AwsService {
        name: "SNS",
        kind: "AWS::SNS",
        spellings: &["sns", "simplenotificationservice"],
    },
    AwsService {
        name: "Kinesis",
        kind: "AWS::Kinesis",
        spellings: &["kinesis"],
    },
    AwsService {
        name: "EventBridge",
        kind: "AWS::EventBridge",
        spellings: &["eventbridge", "events", "cloudwatchevents"],
    },
    AwsService {
        name: "SecretsManager",
        kind: "AWS::SecretsManager",
        spellings: &["secretsmanager"],
    },
    AwsService {
        name: "SSM",
        kind: "AWS::SSM",
        spellings: &["ssm", "simplesystemsmanagement"],
    },
    AwsService {
        name: "STS",
        kind: "AWS::STS",
        spellings: &["sts", "securitytoken", "securitytokenservice"],
    },
    AwsService {
        name: "KMS",
        kind: "AWS::KMS",
        spellings: &["kms", "keymanagementservice"],
    },
    AwsService {
        name: "StepFunctions",
        kind: "AWS::StepFunctions",
        spellings: &["stepfunctions", "sfn", "states"],
    },
    AwsService {
        name: "Athena",
        kind: "AWS::Athena",
        spellings: &["athena"],
    },
    AwsService {
        name: "Firehose",
        kind: "AWS::KinesisFirehose",
        spellings: &["firehose", "kinesisfirehose"],
    },
    AwsService {
        name: "CloudWatch",
        kind: "AWS::CloudWatch",
        spellings: &["cloudwatch", "monitoring"],
    },
    AwsService {
        name: "CloudWatchLogs",
        kind: "AWS::Logs",
        spellings: &["cloudwatchlogs", "logs"],
    },
    AwsService {
        name: "CognitoIdentityProvider",
        kind: "AWS::Cognito",
        spellings: &[
            "cognitoidentityprovider",
            "cognitoidp",
            "cognitoidentityserviceprovider",
        ],
    },
    AwsService {
        name: "EC2",
        kind: "AWS::EC2",
        spellings: &["ec2"],
    },
    AwsService {
        name: "ECS",
        kind: "AWS::ECS",
        spellings: &["ecs"],
    },
    AwsService {
        name: "ECR",
        kind: "AWS::ECR",
        spellings: &["ecr", "apiecr"],
    },
    AwsService {
        name: "SES",
        kind: "AWS::SES",
        spellings: &["ses", "email", "simpleemail", "simpleemailservice"],
    },
    AwsService {
        name: "ApiGateway",
        kind: "AWS::ApiGateway",
        spellings: &["apigateway"],
    },
    AwsService {
        name: "AppSync",
        kind: "AWS::AppSync",
        spellings: &["appsync"],
    },
    AwsService {
        name: "BedrockRuntime",
        kind: "AWS::BedrockRuntime",
        spellings: &["bedrockruntime"],
    },
    AwsService {
        name: "Glue",
        kind: "AWS::Glue",
        spellings: &["glue"],
    },
    AwsService {
        name: "KinesisVideo",
        kind: "AWS::KinesisVideo",
        spellings: &["kinesisvideo", "kinesisvideostreams"],
    },
];

/// An SDK's service name folded for matching: ASCII letters and digits only, lower case,
/// without an `Amazon`/`AWS` prefix or a `v2` suffix (`AmazonDynamoDBv2` -> `dynamodb`,
/// `Secrets Manager` -> `secretsmanager`, `api.ecr` -> `apiecr`).
fn fold(name: &str) -> String {
    let mut key: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    for prefix in ["amazon", "aws"] {
        if let Some(rest) = key.strip_prefix(prefix).filter(|r| !r.is_empty()) {
            key = rest.to_owned();
        }
    }
    if let Some(rest) = key.strip_suffix("v2").filter(|r| !r.is_empty()) {
        key = rest.to_owned();
    }
    key
}

fn lookup(name: &str) -> Option<&'static AwsService> {
    let key = fold(name);
    AWS_SERVICES
        .iter()
        .find(|s| s.spellings.contains(&key.as_str()))
}

/// X-Ray's name for the AWS service an SDK's call subsegment is named after. Each SDK spells
/// them its own way: the Python SDK uses botocore's endpoint prefix (`dynamodb`, `sqs`,
/// `secretsmanager`, `states`), the Node SDK `dynamodb` (v2) or `DynamoDB` (v3), the Java SDK
/// v1 `AmazonDynamoDBv2`/`AWSSecretsManager`, v2 `DynamoDb`/`SecretsManager`, the .NET SDK
/// `DynamoDBv2`, the Go SDK `dynamodb` or `DynamoDB`, OpenTelemetry's `rpc.service`
/// `DynamoDB`, `Secrets Manager` or `AWS::DynamoDB`. X-Ray draws one node per service (or per
/// table, queue, bucket, function) whatever the spelling, so the known services (see
/// `AWS_SERVICES`) are matched without case, `Amazon`/`AWS` prefixes, a `v2` suffix or
/// punctuation. Services not in the table keep the SDK's name.
pub fn aws_service(name: &str) -> &str {
    lookup(name).map_or(name, |s| s.name)
}

/// The type of the generic node of the AWS service an SDK's call subsegment is named after
/// (`AWS::SecretsManager`, `AWS::StepFunctions`); `AWS::<name>` for services not in the
/// table.
pub fn aws_service_kind(name: &str) -> String {
    lookup(name).map_or_else(|| format!("AWS::{name}"), |s| s.kind.to_owned())
}

/// AWS services that deliver asynchronously: a consumer's segment hangs under the producer's
/// call, but the graph goes producer -> queue/topic -> consumer (X-Ray draws the resource).
const MESSAGING: [&str; 4] = ["SQS", "SNS", "Kinesis", "EventBridge"];

/// For a call to a queue, topic or stream (`namespace: "aws"`), the resource node that sits
/// between the producer and the consumers whose segments hang under the call.
pub fn messaging_resource(doc: &Segment) -> Option<ServiceKey> {
    if doc.namespace.as_deref() == Some("aws") && MESSAGING.contains(&aws_service(&doc.name)) {
        of_downstream(doc)
    } else {
        None
    }
}

/// For a call subsegment, the segment nodes directly under it (the called service's own
/// segments, or the inferred segment the service made for it).
pub fn called_segments(trace: &Trace, call: NodeId) -> impl Iterator<Item = NodeId> + '_ {
    trace.nodes[call]
        .children
        .iter()
        .copied()
        .filter(|&c| trace.nodes[c].kind == NodeKind::Segment)
}

/// One call between two graph nodes, as the service graph counts it.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The calling service.
    pub from: ServiceKey,
    /// The called service or resource.
    pub to: ServiceKey,
    /// The entity the call is measured on (its duration and outcome): the calling subsegment;
    /// the child segment for a segment directly under a segment; the consumer's segment for a
    /// queue -> consumer edge.
    pub measured_on: NodeId,
    /// The called service's own segment, when it has one.
    pub callee: Option<NodeId>,
    /// `to` is known only through this call (no segment of its own): its node statistics come
    /// from the calls into it.
    pub inferred_target: bool,
}

/// The calls of a trace, the edges of its service graph (the client -> root edge aside):
/// - a segment directly under a segment is called by the parent's service (Lambda service ->
///   function);
/// - the outermost call subsegments in each segment's subsegment tree (a call is an `aws` or
///   `remote` subsegment, one with `sql`, or one with segments under it; local subsegments are
///   walked through; subsegments nested in a call are part of it);
/// - a call reaches the services whose segments hang under it or under subsegments nested in
///   it, each once; with none, the downstream resource it names;
/// - a call to a queue/topic with consumers under it goes producer -> resource -> consumers.
pub fn calls(trace: &Trace) -> Vec<Call> {
    let mut out = Vec::new();
    for (id, node) in trace.segment_nodes() {
        let from = of_segment(&node.doc);
        if let Some(p) = node.parent {
            if trace.nodes[p].kind == NodeKind::Segment {
                out.push(Call {
                    from: of_segment(&trace.nodes[p].doc),
                    to: from.clone(),
                    measured_on: id,
                    callee: Some(id),
                    inferred_target: false,
                });
            }
        }
        let mut stack: Vec<NodeId> = subsegment_children(trace, id).collect();
        stack.reverse();
        while let Some(sub) = stack.pop() {
            let doc = &trace.nodes[sub].doc;
            let downstream = of_downstream(doc);
            let is_call = downstream.is_some() || called_segments(trace, sub).next().is_some();
            let targets = if is_call {
                segments_inside(trace, sub)
            } else {
                Vec::new()
            };
            let via = messaging_resource(doc).filter(|v| !targets.iter().any(|(k, _)| k == v));
            if let (Some(via), false) = (via, targets.is_empty()) {
                out.push(Call {
                    from: from.clone(),
                    to: via.clone(),
                    measured_on: sub,
                    callee: None,
                    inferred_target: true,
                });
                for c in called_segments(trace, sub) {
                    out.push(Call {
                        from: via.clone(),
                        to: of_segment(&trace.nodes[c].doc),
                        measured_on: c,
                        callee: Some(c),
                        inferred_target: false,
                    });
                }
            } else if !targets.is_empty() {
                for (to, seg) in targets {
                    out.push(Call {
                        from: from.clone(),
                        to,
                        measured_on: sub,
                        callee: Some(seg),
                        inferred_target: false,
                    });
                }
            } else if let Some(to) = downstream {
                out.push(Call {
                    from: from.clone(),
                    to,
                    measured_on: sub,
                    callee: None,
                    inferred_target: true,
                });
            } else {
                // Local work: calls may be nested inside it.
                let before = stack.len();
                stack.extend(subsegment_children(trace, sub));
                stack[before..].reverse();
            }
        }
    }
    out
}

fn subsegment_children(trace: &Trace, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
    trace.nodes[id]
        .children
        .iter()
        .copied()
        .filter(|&c| trace.nodes[c].kind == NodeKind::Subsegment)
}

/// Services of the segments under subsegment `call` or under subsegments nested in it, each
/// once (with the first such segment), sorted.
fn segments_inside(trace: &Trace, call: NodeId) -> Vec<(ServiceKey, NodeId)> {
    let mut out: std::collections::BTreeMap<ServiceKey, NodeId> = Default::default();
    let mut stack = vec![call];
    while let Some(id) = stack.pop() {
        for s in called_segments(trace, id) {
            out.entry(of_segment(&trace.nodes[s].doc)).or_insert(s);
        }
        stack.extend(subsegment_children(trace, id));
    }
    out.into_iter().collect()
}

/// Every node of the trace's service graph, in first-seen (depth-first) order: the segments'
/// services and the resources known only through calls (see [`calls`]).
pub fn services_in(trace: &Trace) -> Vec<ServiceKey> {
    let mut seen: Vec<(NodeId, ServiceKey)> = trace
        .segment_nodes()
        .map(|(id, n)| (id, of_segment(&n.doc)))
        .chain(
            calls(trace)
                .into_iter()
                .filter(|c| c.inferred_target)
                .map(|c| (c.measured_on, c.to)),
        )
        .collect();
    // Depth-first order of the entities that introduce them.
    seen.sort_by_key(|(id, _)| *id);
    let mut out: Vec<ServiceKey> = Vec::new();
    for (_, k) in seen {
        if !out.contains(&k) {
            out.push(k);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dynamodb_call_is_named_by_table() {
        let doc: Segment = serde_json::from_value(
            json!({"id":"a","name":"DynamoDB","start_time":1.0,"end_time":2.0,
            "namespace":"aws","aws":{"table_name":"scorekeep-user","operation":"UpdateItem"}}),
        )
        .expect("valid");
        let k = of_downstream(&doc).expect("a call");
        assert_eq!(k.name, "scorekeep-user");
        assert_eq!(k.kind, "AWS::DynamoDB::Table");
    }

    #[test]
    fn every_sdks_spelling_is_one_service() {
        for name in [
            "dynamodb",
            "DynamoDB",
            "DynamoDb",
            "AmazonDynamoDBv2",
            "DynamoDBv2",
            "AWS::DynamoDB",
            "Amazon DynamoDB",
        ] {
            assert_eq!(aws_service(name), "DynamoDB", "{name}");
        }
        assert_eq!(aws_service("sqs"), "SQS");
        assert_eq!(aws_service("AmazonSQS"), "SQS");
        assert_eq!(aws_service("s3"), "S3");
        assert_eq!(aws_service("Amazon S3"), "S3");
        assert_eq!(aws_service("lambda"), "Lambda");
        assert_eq!(aws_service("AWSLambda"), "Lambda");
        assert_eq!(aws_service("sns"), "SNS");
        assert_eq!(aws_service("events"), "EventBridge");
        // Unknown services keep their name; a bare prefix is not emptied.
        assert_eq!(aws_service("Rekognition"), "Rekognition");
        assert_eq!(aws_service("aws"), "aws");
    }

    /// The node a call subsegment named `name` (with no resource) is drawn as.
    fn node_of_call(name: &str) -> ServiceKey {
        let doc: Segment = serde_json::from_value(json!({"id":"a","name":name,
            "start_time":1.0,"end_time":2.0,"namespace":"aws","aws":{"operation":"Op"}}))
        .expect("valid");
        of_downstream(&doc).expect("a call")
    }

    #[test]
    fn every_sdks_spelling_of_other_services_is_one_node() {
        // Python/Go (botocore endpoint prefix), Node v2 / v3, Java v1 / v2, .NET, and the
        // service IDs OpenTelemetry's rpc.service carries.
        let cases: &[(&str, &str, &[&str])] = &[
            (
                "SecretsManager",
                "AWS::SecretsManager",
                &[
                    "secretsmanager",
                    "SecretsManager",
                    "AWSSecretsManager",
                    "AmazonSecretsManager",
                    "Secrets Manager",
                ],
            ),
            (
                "SSM",
                "AWS::SSM",
                &[
                    "ssm",
                    "SSM",
                    "Ssm",
                    "AWSSimpleSystemsManagement",
                    "SimpleSystemsManagement",
                ],
            ),
            (
                "STS",
                "AWS::STS",
                &[
                    "sts",
                    "STS",
                    "Sts",
                    "AWSSecurityTokenService",
                    "SecurityToken",
                ],
            ),
            (
                "KMS",
                "AWS::KMS",
                &["kms", "KMS", "Kms", "AWSKMS", "KeyManagementService"],
            ),
            (
                "StepFunctions",
                "AWS::StepFunctions",
                &[
                    "states",
                    "stepfunctions",
                    "SFN",
                    "Sfn",
                    "AWSStepFunctions",
                    "StepFunctions",
                ],
            ),
            (
                "Athena",
                "AWS::Athena",
                &["athena", "Athena", "AmazonAthena"],
            ),
            (
                "Firehose",
                "AWS::KinesisFirehose",
                &[
                    "firehose",
                    "Firehose",
                    "AmazonKinesisFirehose",
                    "KinesisFirehose",
                ],
            ),
            (
                "CloudWatch",
                "AWS::CloudWatch",
                &["monitoring", "cloudwatch", "CloudWatch", "AmazonCloudWatch"],
            ),
            (
                "CloudWatchLogs",
                "AWS::Logs",
                &[
                    "logs",
                    "cloudwatchlogs",
                    "CloudWatchLogs",
                    "AWSLogs",
                    "CloudWatch Logs",
                ],
            ),
            (
                "CognitoIdentityProvider",
                "AWS::Cognito",
                &[
                    "cognito-idp",
                    "cognitoidentityserviceprovider",
                    "CognitoIdentityProvider",
                    "AWSCognitoIdentityProvider",
                    "Cognito Identity Provider",
                ],
            ),
            ("EC2", "AWS::EC2", &["ec2", "EC2", "Ec2", "AmazonEC2"]),
            ("ECS", "AWS::ECS", &["ecs", "ECS", "Ecs", "AmazonECS"]),
            (
                "ECR",
                "AWS::ECR",
                &["api.ecr", "ecr", "ECR", "Ecr", "AmazonECR"],
            ),
            (
                "SES",
                "AWS::SES",
                &[
                    "email",
                    "ses",
                    "SES",
                    "SESv2",
                    "Ses",
                    "AmazonSimpleEmailService",
                    "SimpleEmail",
                    "SimpleEmailV2",
                ],
            ),
            (
                "ApiGateway",
                "AWS::ApiGateway",
                &[
                    "apigateway",
                    "APIGateway",
                    "ApiGateway",
                    "ApiGatewayV2",
                    "AmazonApiGateway",
                    "API Gateway",
                ],
            ),
            (
                "AppSync",
                "AWS::AppSync",
                &["appsync", "AppSync", "AWSAppSync"],
            ),
            (
                "BedrockRuntime",
                "AWS::BedrockRuntime",
                &[
                    "bedrock-runtime",
                    "bedrockruntime",
                    "BedrockRuntime",
                    "AmazonBedrockRuntime",
                    "Bedrock Runtime",
                ],
            ),
            ("Glue", "AWS::Glue", &["glue", "Glue", "AWSGlue"]),
            (
                "KinesisVideo",
                "AWS::KinesisVideo",
                &[
                    "kinesisvideo",
                    "KinesisVideo",
                    "AmazonKinesisVideo",
                    "Kinesis Video",
                ],
            ),
        ];
        for (name, kind, spellings) in cases {
            for spelling in *spellings {
                let node = node_of_call(spelling);
                assert_eq!(
                    (node.name.as_str(), node.kind.as_str()),
                    (*name, *kind),
                    "{spelling}"
                );
            }
        }
    }

    #[test]
    fn the_table_is_consistent() {
        // Each canonical name maps to itself, and no spelling belongs to two services.
        let mut seen = std::collections::HashSet::new();
        for s in AWS_SERVICES {
            assert_eq!(aws_service(s.name), s.name);
            assert_eq!(aws_service_kind(s.name), s.kind);
            for sp in s.spellings {
                assert_eq!(fold(sp), *sp, "spellings are stored folded");
                assert!(seen.insert(*sp), "{sp} twice");
            }
        }
        // Unknown services keep the SDK's name and get an AWS:: type.
        assert_eq!(aws_service_kind("Rekognition"), "AWS::Rekognition");
    }

    #[test]
    fn local_subsegment_is_not_a_call() {
        let doc: Segment = serde_json::from_value(
            json!({"id":"a","name":"## compute","start_time":1.0,"end_time":2.0}),
        )
        .expect("valid");
        assert_eq!(of_downstream(&doc), None);
    }
}
