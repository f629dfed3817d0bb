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
        let svc = doc.name.as_str();
        let extra_str = |k: &str| {
            aws.and_then(|a| a.extra.get(k))
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        let first_resource = || {
            aws.and_then(|a| a.resource_names.as_ref())
                .and_then(|r| r.first().cloned())
        };
        let (name, kind) = match svc {
            "DynamoDB" => (
                aws.and_then(|a| a.table_name.clone())
                    .or_else(first_resource)
                    .unwrap_or_else(|| svc.to_owned()),
                "AWS::DynamoDB::Table".to_owned(),
            ),
            "SQS" => (
                aws.and_then(|a| a.queue_url.as_deref())
                    .and_then(|u| u.rsplit('/').next())
                    .map(str::to_owned)
                    .or_else(first_resource)
                    .unwrap_or_else(|| svc.to_owned()),
                "AWS::SQS::Queue".to_owned(),
            ),
            "S3" => (
                extra_str("bucket_name")
                    .or_else(first_resource)
                    .unwrap_or_else(|| svc.to_owned()),
                "AWS::S3::Bucket".to_owned(),
            ),
            "Lambda" => (
                extra_str("function_name")
                    .or_else(first_resource)
                    .unwrap_or_else(|| svc.to_owned()),
                "AWS::Lambda::Function".to_owned(),
            ),
            _ => (svc.to_owned(), format!("AWS::{svc}")),
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

/// AWS services that deliver asynchronously: a consumer's segment hangs under the producer's
/// call, but the graph goes producer -> queue/topic -> consumer (X-Ray draws the resource).
const MESSAGING: [&str; 4] = ["SQS", "SNS", "Kinesis", "EventBridge"];

/// For a call to a queue, topic or stream (`namespace: "aws"`), the resource node that sits
/// between the producer and the consumers whose segments hang under the call.
pub fn messaging_resource(doc: &Segment) -> Option<ServiceKey> {
    if doc.namespace.as_deref() == Some("aws") && MESSAGING.contains(&doc.name.as_str()) {
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

/// Every service the trace touched, in first-seen order: segments' services, then downstream
/// resources reached by calls that have no segment under them.
pub fn services_in(trace: &Trace) -> Vec<ServiceKey> {
    let mut out: Vec<ServiceKey> = Vec::new();
    let mut push = |k: ServiceKey| {
        if !out.contains(&k) {
            out.push(k);
        }
    };
    for (id, node) in trace.nodes.iter().enumerate() {
        match node.kind {
            NodeKind::Segment => push(of_segment(&node.doc)),
            NodeKind::Subsegment => {
                if called_segments(trace, id).next().is_none() {
                    if let Some(k) = of_downstream(&node.doc) {
                        push(k);
                    }
                } else if let Some(k) = messaging_resource(&node.doc) {
                    push(k);
                }
            }
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
    fn local_subsegment_is_not_a_call() {
        let doc: Segment = serde_json::from_value(
            json!({"id":"a","name":"## compute","start_time":1.0,"end_time":2.0}),
        )
        .expect("valid");
        assert_eq!(of_downstream(&doc), None);
    }
}
