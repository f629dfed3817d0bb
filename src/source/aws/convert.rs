//! SDK types to the model's API-shaped types. `aws_sdk_xray::types` stays here, so `model/`
//! never depends on the SDK and a file and AWS produce the same values.

use aws_sdk_xray::primitives::DateTime;
use aws_sdk_xray::types as sdk;

use crate::model::graph::{
    Alias, Edge, EdgeStatistics, ErrorStatistics, FaultStatistics, HistogramEntry, Service,
};
use crate::model::summary::{
    AvailabilityZone, InstanceId, ResourceArn, ServiceId, SummaryAnnotationValue, SummaryHttp,
    TraceUser, ValueWithServiceIds,
};
use crate::model::{Group, ServiceGraph, TraceSummary};

/// Epoch seconds of an SDK timestamp.
pub fn secs(t: Option<&DateTime>) -> Option<f64> {
    t.map(DateTime::as_secs_f64)
}

fn u64_of(v: Option<i64>) -> u64 {
    v.and_then(|n| u64::try_from(n).ok()).unwrap_or(0)
}

fn service_id(s: &sdk::ServiceId) -> ServiceId {
    ServiceId {
        name: s.name().map(str::to_owned),
        names: s.names().to_vec(),
        account_id: s.account_id().map(str::to_owned),
        kind: s.r#type().map(str::to_owned),
    }
}

fn service_ids(list: &[sdk::ServiceId]) -> Vec<ServiceId> {
    list.iter().map(service_id).collect()
}

/// A `GetTraceSummaries` summary. Root causes are not converted yet (they are recomputed
/// locally when the traces are fetched, which is the default).
pub fn summary(s: &sdk::TraceSummary) -> TraceSummary {
    let http = s.http().map(|h| SummaryHttp {
        http_url: h.http_url().map(str::to_owned),
        http_status: h.http_status().and_then(|v| u16::try_from(v).ok()),
        http_method: h.http_method().map(str::to_owned),
        user_agent: h.user_agent().map(str::to_owned),
        client_ip: h.client_ip().map(str::to_owned),
    });
    let annotations = s
        .annotations()
        .map(|m| {
            m.iter()
                .map(|(k, vals)| {
                    let vals = vals
                        .iter()
                        .map(|v| ValueWithServiceIds {
                            annotation_value: annotation_value(v.annotation_value()),
                            service_ids: service_ids(v.service_ids()),
                        })
                        .collect();
                    (k.clone(), vals)
                })
                .collect()
        })
        .unwrap_or_default();
    TraceSummary {
        id: s.id().unwrap_or_default().to_owned(),
        start_time: secs(s.start_time()),
        duration: s.duration(),
        response_time: s.response_time(),
        has_fault: s.has_fault().unwrap_or(false),
        has_error: s.has_error().unwrap_or(false),
        has_throttle: s.has_throttle().unwrap_or(false),
        is_partial: s.is_partial(),
        http,
        annotations,
        users: s
            .users()
            .iter()
            .map(|u| TraceUser {
                user_name: u.user_name().map(str::to_owned),
                service_ids: service_ids(u.service_ids()),
            })
            .collect(),
        service_ids: service_ids(s.service_ids()),
        resource_arns: s
            .resource_arns()
            .iter()
            .map(|r| ResourceArn {
                arn: r.arn().map(str::to_owned),
            })
            .collect(),
        instance_ids: s
            .instance_ids()
            .iter()
            .map(|r| InstanceId {
                id: r.id().map(str::to_owned),
            })
            .collect(),
        availability_zones: s
            .availability_zones()
            .iter()
            .map(|r| AvailabilityZone {
                name: r.name().map(str::to_owned),
            })
            .collect(),
        entry_point: s.entry_point().map(service_id),
        revision: (s.revision() != 0).then_some(i64::from(s.revision())),
        matched_event_time: secs(s.matched_event_time()),
        ..TraceSummary::default()
    }
}

fn annotation_value(v: Option<&sdk::AnnotationValue>) -> SummaryAnnotationValue {
    let mut out = SummaryAnnotationValue::default();
    match v {
        Some(sdk::AnnotationValue::NumberValue(n)) => out.number_value = Some(*n),
        Some(sdk::AnnotationValue::BooleanValue(b)) => out.boolean_value = Some(*b),
        Some(sdk::AnnotationValue::StringValue(s)) => out.string_value = Some(s.clone()),
        _ => {}
    }
    out
}

fn histogram(list: &[sdk::HistogramEntry]) -> Vec<HistogramEntry> {
    list.iter()
        .map(|h| HistogramEntry {
            value: h.value(),
            count: u64::try_from(h.count()).unwrap_or(0),
        })
        .collect()
}

fn errors(e: Option<&sdk::ErrorStatistics>) -> ErrorStatistics {
    e.map(|e| ErrorStatistics {
        throttle_count: u64_of(e.throttle_count()),
        other_count: u64_of(e.other_count()),
        total_count: u64_of(e.total_count()),
    })
    .unwrap_or_default()
}

fn faults(f: Option<&sdk::FaultStatistics>) -> FaultStatistics {
    f.map(|f| FaultStatistics {
        other_count: u64_of(f.other_count()),
        total_count: u64_of(f.total_count()),
    })
    .unwrap_or_default()
}

fn graph_service(s: &sdk::Service) -> Service {
    Service {
        reference_id: i64::from(s.reference_id().unwrap_or(0)),
        name: s.name().map(str::to_owned),
        names: s.names().to_vec(),
        root: s.root(),
        account_id: s.account_id().map(str::to_owned),
        kind: s.r#type().map(str::to_owned),
        state: s.state().map(str::to_owned),
        start_time: secs(s.start_time()),
        end_time: secs(s.end_time()),
        edges: s.edges().iter().map(edge).collect(),
        summary_statistics: s.summary_statistics().map(|st| EdgeStatistics {
            ok_count: u64_of(st.ok_count()),
            error_statistics: errors(st.error_statistics()),
            fault_statistics: faults(st.fault_statistics()),
            total_count: u64_of(st.total_count()),
            total_response_time: st.total_response_time().unwrap_or(0.0),
        }),
        duration_histogram: histogram(s.duration_histogram()),
        response_time_histogram: histogram(s.response_time_histogram()),
        ..Service::default()
    }
}

fn edge(e: &sdk::Edge) -> Edge {
    Edge {
        reference_id: i64::from(e.reference_id().unwrap_or(0)),
        start_time: secs(e.start_time()),
        end_time: secs(e.end_time()),
        summary_statistics: e.summary_statistics().map(|st| EdgeStatistics {
            ok_count: u64_of(st.ok_count()),
            error_statistics: errors(st.error_statistics()),
            fault_statistics: faults(st.fault_statistics()),
            total_count: u64_of(st.total_count()),
            total_response_time: st.total_response_time().unwrap_or(0.0),
        }),
        response_time_histogram: histogram(e.response_time_histogram()),
        aliases: e
            .aliases()
            .iter()
            .map(|a| Alias {
                name: a.name().map(str::to_owned),
                names: a.names().to_vec(),
                kind: a.r#type().map(str::to_owned),
            })
            .collect(),
        edge_type: e.edge_type().map(str::to_owned),
        ..Edge::default()
    }
}

/// A `GetServiceGraph` page's services, added to `graph`.
pub fn graph_services(graph: &mut ServiceGraph, services: &[sdk::Service]) {
    graph.services.extend(services.iter().map(graph_service));
}

/// A `GetGroups` group.
pub fn group(g: &sdk::GroupSummary) -> Group {
    Group {
        group_name: g.group_name().unwrap_or_default().to_owned(),
        group_arn: g.group_arn().map(str::to_owned),
        filter_expression: g.filter_expression().map(str::to_owned),
        insights_configuration: g.insights_configuration().map(|i| {
            serde_json::json!({
                "InsightsEnabled": i.insights_enabled(),
                "NotificationsEnabled": i.notifications_enabled(),
            })
        }),
    }
}

/// The API's `TimeRangeType` for a window kind.
pub fn time_range_type(
    kind: crate::model::window::TimeRangeKind,
) -> aws_sdk_xray::types::TimeRangeType {
    use crate::model::window::TimeRangeKind as K;
    use aws_sdk_xray::types::TimeRangeType as T;
    match kind {
        K::TraceId => T::TraceId,
        K::Event => T::Event,
        K::Service => T::Service,
    }
}
