//! Trace summaries, computed the way `GetTraceSummaries` reports them, for files and the daemon.
//!
//! - `Duration`: first start to last end of any entity; `ResponseTime`: the root segment's own
//!   duration (absent while it is in progress).
//! - `HasFault`/`HasError`/`HasThrottle`: the flag on any entity, at any depth.
//! - `IsPartial`: some entity is in progress, or a subsegment's parent never arrived.
//! - `Http`: the root segment's request and response.
//! - Root causes: X-Ray reports the *deepest* failing entity on each failing path, with the
//!   services on the way to it. A path starts at the root segment and follows failing children;
//!   where no child fails, the entity is the cause. The path is cut into services (the segment
//!   each entity belongs to); a failing call with no segment under it adds the inferred service
//!   it called (`Inferred: true`). The response-time root cause follows the longest child.

use std::collections::BTreeMap;

use crate::engine::service::{self, ServiceKey};
use crate::model::summary::{
    AvailabilityZone, FaultRootCause, InstanceId, ResourceArn, ResponseTimeRootCause,
    ResponseTimeRootCauseEntity, ResponseTimeRootCauseService, RootCauseEntity, RootCauseException,
    RootCauseService, SummaryAnnotationValue, SummaryHttp, TraceUser, ValueWithServiceIds,
};
use crate::model::{AnnotationValue, NodeId, NodeKind, Segment, Trace, TraceSummary};

/// At most this many root causes of each kind, as the console shows a handful.
const MAX_ROOT_CAUSES: usize = 10;

/// Summarises one assembled trace.
pub fn summarize(trace: &Trace) -> TraceSummary {
    let start = trace.start_time();
    let root = trace.root_segment();
    let root_doc = root.map(|r| &trace.nodes[r].doc);
    let service_of = |id: NodeId| -> Option<ServiceKey> {
        trace.nodes[id]
            .segment
            .map(|s| service::of_segment(&trace.nodes[s].doc))
    };

    let mut annotations: BTreeMap<String, Vec<ValueWithServiceIds>> = BTreeMap::new();
    let mut users: Vec<TraceUser> = Vec::new();
    let mut arns: Vec<ResourceArn> = Vec::new();
    let mut instances: Vec<InstanceId> = Vec::new();
    let mut zones: Vec<AvailabilityZone> = Vec::new();
    for (id, node) in trace.nodes.iter().enumerate() {
        let doc = &node.doc;
        let sid = service_of(id).map(|k| k.to_service_id());
        for (key, value) in doc.annotation_values() {
            let value = summary_value(value);
            let list = annotations.entry(key.to_owned()).or_default();
            match list.iter_mut().find(|v| v.annotation_value == value) {
                Some(v) => push_unique(&mut v.service_ids, sid.clone()),
                None => list.push(ValueWithServiceIds {
                    annotation_value: value,
                    service_ids: sid.clone().into_iter().collect(),
                }),
            }
        }
        if let Some(user) = &doc.user {
            match users
                .iter_mut()
                .find(|u| u.user_name.as_ref() == Some(user))
            {
                Some(u) => push_unique(&mut u.service_ids, sid.clone()),
                None => users.push(TraceUser {
                    user_name: Some(user.clone()),
                    service_ids: sid.clone().into_iter().collect(),
                }),
            }
        }
        if let Some(arn) = &doc.resource_arn {
            push_unique(
                &mut arns,
                Some(ResourceArn {
                    arn: Some(arn.clone()),
                }),
            );
        }
        if let Some(ec2) = doc.aws.as_ref().and_then(|a| a.ec2.as_ref()) {
            if let Some(i) = &ec2.instance_id {
                push_unique(
                    &mut instances,
                    Some(InstanceId {
                        id: Some(i.clone()),
                    }),
                );
            }
            if let Some(z) = &ec2.availability_zone {
                push_unique(
                    &mut zones,
                    Some(AvailabilityZone {
                        name: Some(z.clone()),
                    }),
                );
            }
        }
    }

    TraceSummary {
        id: trace.id.clone(),
        start_time: start,
        duration: trace.duration(),
        response_time: root_doc.and_then(Segment::duration).map(round_us),
        has_fault: trace.nodes.iter().any(|n| n.doc.flags().fault),
        has_error: trace.nodes.iter().any(|n| n.doc.flags().error),
        has_throttle: trace.nodes.iter().any(|n| n.doc.flags().throttle),
        is_partial: Some(
            trace
                .nodes
                .iter()
                .any(|n| n.doc.is_in_progress() || n.is_orphan()),
        ),
        http: root_doc.and_then(summary_http),
        annotations,
        users,
        service_ids: service::services_in(trace)
            .iter()
            .map(ServiceKey::to_service_id)
            .collect(),
        resource_arns: arns,
        instance_ids: instances,
        availability_zones: zones,
        entry_point: root_doc.map(|d| service::of_segment(d).to_service_id()),
        fault_root_causes: failure_root_causes(trace, root, |d| d.flags().fault),
        error_root_causes: failure_root_causes(trace, root, |d| {
            let f = d.flags();
            f.error || f.throttle
        }),
        response_time_root_causes: response_time_root_cause(trace, root).into_iter().collect(),
        revision: None,
        matched_event_time: None,
        extra: Default::default(),
    }
}

/// Durations to the microsecond, the precision segment documents carry (a 287 µs request
/// must not read as 0), without the float noise of a subtraction (`0.28700000001`).
fn round_us(secs: f64) -> f64 {
    (secs * 1e6).round() / 1e6
}

/// Shares of a whole, to a thousandth.
fn round_ms(secs: f64) -> f64 {
    (secs * 1000.0).round() / 1000.0
}

fn push_unique<T: PartialEq>(list: &mut Vec<T>, item: Option<T>) {
    if let Some(item) = item {
        if !list.contains(&item) {
            list.push(item);
        }
    }
}

fn summary_value(v: &AnnotationValue) -> SummaryAnnotationValue {
    match v {
        AnnotationValue::String(s) => SummaryAnnotationValue {
            string_value: Some(s.clone()),
            ..Default::default()
        },
        AnnotationValue::Number(n) => SummaryAnnotationValue {
            number_value: n.as_f64(),
            ..Default::default()
        },
        AnnotationValue::Bool(b) => SummaryAnnotationValue {
            boolean_value: Some(*b),
            ..Default::default()
        },
    }
}

fn summary_http(doc: &Segment) -> Option<SummaryHttp> {
    let http = doc.http.as_ref()?;
    let req = http.request.as_ref();
    Some(SummaryHttp {
        http_url: req.and_then(|r| r.url.clone()),
        http_status: doc.http_status(),
        http_method: req.and_then(|r| r.method.clone()),
        user_agent: req.and_then(|r| r.user_agent.clone()),
        client_ip: req.and_then(|r| r.client_ip.clone()),
    })
}

/// Deepest failing entities (failing, with no failing child), in depth-first order.
/// The entities the summary names as fault and error root causes (the deepest faulting ones,
/// then the deepest erring or throttled ones; each once), for jumping to them in a trace.
pub fn root_cause_entities(trace: &Trace) -> Vec<NodeId> {
    let fault = |d: &Segment| d.flags().fault;
    let error = |d: &Segment| {
        let f = d.flags();
        f.error || f.throttle
    };
    let mut out = failing_leaves(trace, &fault);
    for n in failing_leaves(trace, &error) {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

fn failing_leaves(trace: &Trace, fails: &dyn Fn(&Segment) -> bool) -> Vec<NodeId> {
    (0..trace.nodes.len())
        .filter(|&id| {
            let n = &trace.nodes[id];
            fails(&n.doc) && !n.children.iter().any(|&c| fails(&trace.nodes[c].doc))
        })
        .collect()
}

fn is_remote(doc: &Segment) -> bool {
    matches!(doc.namespace.as_deref(), Some("remote") | Some("aws"))
}

/// `Name`, `Names`, `Type`, `AccountId` of a root-cause service.
type IdFields = (Option<String>, Vec<String>, Option<String>, Option<String>);

fn id_fields(key: Option<&ServiceKey>) -> IdFields {
    match key {
        Some(k) => (
            Some(k.name.clone()),
            vec![k.name.clone()],
            Some(k.kind.clone()).filter(|t| !t.is_empty()),
            k.account_id.clone(),
        ),
        None => (None, Vec::new(), None, None),
    }
}

/// Cuts a root-to-entity path into per-service runs: `(service, [entities])`.
fn services_on_path(trace: &Trace, path: &[NodeId]) -> Vec<(Option<ServiceKey>, Vec<NodeId>)> {
    let mut out: Vec<(Option<NodeId>, Vec<NodeId>)> = Vec::new();
    for &id in path {
        let seg = trace.nodes[id].segment;
        match out.last_mut() {
            Some((s, ids)) if *s == seg => ids.push(id),
            _ => out.push((seg, vec![id])),
        }
    }
    out.into_iter()
        .map(|(seg, ids)| (seg.map(|s| service::of_segment(&trace.nodes[s].doc)), ids))
        .collect()
}

fn failure_root_causes(
    trace: &Trace,
    root: Option<NodeId>,
    fails: impl Fn(&Segment) -> bool,
) -> Vec<FaultRootCause> {
    let client_impacting = root.map(|r| fails(&trace.nodes[r].doc));
    let mut causes: Vec<FaultRootCause> = Vec::new();
    for leaf in failing_leaves(trace, &fails) {
        let path = trace.path_to(leaf);
        let mut services: Vec<RootCauseService> = services_on_path(trace, &path)
            .into_iter()
            .map(|(key, ids)| {
                let (name, names, kind, account_id) = id_fields(key.as_ref());
                RootCauseService {
                    name,
                    names,
                    kind,
                    account_id,
                    entity_path: ids
                        .iter()
                        .map(|&id| failure_entity(&trace.nodes[id].doc))
                        .collect(),
                    inferred: Some(
                        ids.first()
                            .is_some_and(|&i| trace.nodes[i].doc.is_inferred()),
                    ),
                }
            })
            .collect();
        let leaf_node = &trace.nodes[leaf];
        if leaf_node.kind == NodeKind::Subsegment {
            if let Some(k) = service::of_downstream(&leaf_node.doc) {
                services.push(RootCauseService {
                    name: Some(k.name.clone()),
                    names: vec![k.name.clone()],
                    kind: Some(k.kind.clone()),
                    account_id: k.account_id.clone(),
                    entity_path: vec![RootCauseEntity {
                        name: Some(k.name),
                        exceptions: Vec::new(),
                        remote: Some(true),
                    }],
                    inferred: Some(true),
                });
            }
        }
        let cause = FaultRootCause {
            services,
            client_impacting,
        };
        if !causes.contains(&cause) {
            causes.push(cause);
        }
        if causes.len() == MAX_ROOT_CAUSES {
            break;
        }
    }
    causes
}

fn failure_entity(doc: &Segment) -> RootCauseEntity {
    RootCauseEntity {
        name: Some(doc.name.clone()),
        exceptions: doc
            .exceptions()
            .iter()
            .map(|e| RootCauseException {
                name: e.kind.clone(),
                message: e.message.clone(),
            })
            .collect(),
        remote: Some(is_remote(doc)),
    }
}

fn response_time_root_cause(trace: &Trace, root: Option<NodeId>) -> Option<ResponseTimeRootCause> {
    let root = root?;
    let total = trace.nodes[root].doc.duration().filter(|d| *d > 0.0)?;
    let mut path = vec![root];
    let mut cur = root;
    while let Some(next) = trace.nodes[cur]
        .children
        .iter()
        .copied()
        .filter(|&c| trace.nodes[c].doc.duration().is_some())
        .max_by(|&a, &b| {
            let (da, db) = (&trace.nodes[a].doc, &trace.nodes[b].doc);
            da.duration()
                .unwrap_or(0.0)
                .total_cmp(&db.duration().unwrap_or(0.0))
                .then_with(|| db.start_time.total_cmp(&da.start_time))
        })
    {
        path.push(next);
        cur = next;
    }
    let services = services_on_path(trace, &path)
        .into_iter()
        .map(|(key, ids)| {
            let (name, names, kind, account_id) = id_fields(key.as_ref());
            ResponseTimeRootCauseService {
                name,
                names,
                kind,
                account_id,
                entity_path: ids
                    .iter()
                    .map(|&id| {
                        let doc = &trace.nodes[id].doc;
                        ResponseTimeRootCauseEntity {
                            name: Some(doc.name.clone()),
                            coverage: doc.duration().map(|d| round_ms(d / total)),
                            remote: Some(is_remote(doc)),
                        }
                    })
                    .collect(),
                inferred: Some(
                    ids.first()
                        .is_some_and(|&i| trace.nodes[i].doc.is_inferred()),
                ),
            }
        })
        .collect();
    Some(ResponseTimeRootCause {
        services,
        client_impacting: Some(true),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::assemble;
    use serde_json::json;

    fn trace(docs: serde_json::Value) -> Trace {
        let docs: Vec<Segment> = serde_json::from_value(docs).expect("valid test documents");
        assemble("1-5f2aebcc-b475d14618c51eaa28753d37", docs)
    }

    fn failing_chain() -> Trace {
        trace(json!([
            {"id":"g","name":"gateway","trace_id":"1-5f2aebcc-b475d14618c51eaa28753d37","start_time":10.0,"end_time":11.0,"fault":true,
             "origin":"AWS::ApiGateway::Stage","user":"alice",
             "http":{"request":{"method":"POST","url":"https://shop/api/pay","client_ip":"10.0.0.1"},"response":{"status":502}},
             "annotations":{"tier":"gold","items":3},
             "subsegments":[{"id":"gc","name":"payments","namespace":"remote","start_time":10.1,"end_time":10.9,"fault":true}]},
            {"id":"p","name":"payments","trace_id":"1-5f2aebcc-b475d14618c51eaa28753d37","parent_id":"gc","start_time":10.2,"end_time":10.8,"fault":true,
             "origin":"AWS::ECS::Container","annotations":{"tier":"gold"},
             "subsegments":[{"id":"ps","name":"api.stripe.example","namespace":"remote","start_time":10.3,"end_time":10.7,"fault":true,
               "http":{"response":{"status":500}},
               "cause":{"exceptions":[{"id":"e1","type":"HTTPError","message":"500 from stripe","remote":true}]}}]}
        ]))
    }

    #[test]
    fn flags_times_and_http_come_from_the_right_places() {
        let s = summarize(&failing_chain());
        assert_eq!(s.start_time, Some(10.0));
        assert_eq!(s.duration, Some(1.0));
        assert_eq!(s.response_time, Some(1.0));
        assert!(s.has_fault && !s.has_error && !s.has_throttle);
        assert_eq!(s.is_partial, Some(false));
        let http = s.http.expect("root http");
        assert_eq!(http.http_status, Some(502));
        assert_eq!(http.http_method.as_deref(), Some("POST"));
        assert_eq!(s.users[0].user_name.as_deref(), Some("alice"));
        assert_eq!(
            s.entry_point.and_then(|e| e.name).as_deref(),
            Some("gateway")
        );
    }

    #[test]
    fn annotations_merge_values_across_services() {
        let s = summarize(&failing_chain());
        let tier = &s.annotations["tier"];
        assert_eq!(tier.len(), 1, "one distinct value");
        assert_eq!(
            tier[0].service_ids.len(),
            2,
            "recorded by gateway and payments"
        );
        assert_eq!(
            s.annotations["items"][0].annotation_value.number_value,
            Some(3.0)
        );
    }

    #[test]
    fn fault_root_cause_is_the_deepest_failing_entity() {
        let s = summarize(&failing_chain());
        assert_eq!(s.fault_root_causes.len(), 1);
        let rc = &s.fault_root_causes[0];
        let names: Vec<_> = rc
            .services
            .iter()
            .filter_map(|s| s.name.as_deref())
            .collect();
        assert_eq!(names, ["gateway", "payments", "api.stripe.example"]);
        let payments = &rc.services[1];
        let last = payments.entity_path.last().expect("entity");
        assert_eq!(last.name.as_deref(), Some("api.stripe.example"));
        assert_eq!(last.exceptions[0].name.as_deref(), Some("HTTPError"));
        assert_eq!(rc.services[2].inferred, Some(true));
        assert_eq!(rc.client_impacting, Some(true));
        assert!(s.error_root_causes.is_empty());
    }

    #[test]
    fn response_time_root_cause_follows_the_longest_path() {
        let s = summarize(&failing_chain());
        let rc = &s.response_time_root_causes[0];
        let last = rc
            .services
            .last()
            .and_then(|s| s.entity_path.last())
            .expect("entity");
        assert_eq!(last.name.as_deref(), Some("api.stripe.example"));
        assert_eq!(last.coverage, Some(0.4));
    }

    #[test]
    fn in_progress_root_is_partial_without_response_time() {
        let s = summarize(&trace(json!([
            {"id":"g","name":"gateway","trace_id":"1-5f2aebcc-b475d14618c51eaa28753d37","start_time":10.0,"in_progress":true}
        ])));
        assert_eq!(s.is_partial, Some(true));
        assert_eq!(s.response_time, None);
        assert_eq!(s.duration, Some(0.0));
    }
}
