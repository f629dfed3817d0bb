//! Filter evaluation speed: a typical 3-clause expression over 1,000,000 trace summaries (the
//! files/daemon case with summaries only) and over assembled traces; plus parsing.
//!
//! Run: `cargo bench --bench filter`. Figures are recorded in docs/benchmarks.md.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::OnceLock;

use divan::Bencher;
use serde_json::json;
use xray_tui::engine::assemble;
use xray_tui::filter::{EvalContext, parse};
use xray_tui::model::summary::{
    ServiceId, SummaryAnnotationValue, SummaryHttp, ValueWithServiceIds,
};
use xray_tui::model::{Segment, Trace, TraceSummary};

const EXPR: &str =
    "service(\"orders-api\") AND responsetime > 0.1 AND annotation.customer_tier = \"gold\"";

fn main() {
    divan::main();
}

fn sid(name: &str, kind: &str) -> ServiceId {
    ServiceId {
        name: Some(name.to_owned()),
        names: vec![name.to_owned()],
        account_id: Some("123456789012".to_owned()),
        kind: Some(kind.to_owned()),
    }
}

fn summary(i: usize) -> TraceSummary {
    let entry = if i % 2 == 0 {
        "orders-api"
    } else {
        "users-api"
    };
    let tier = ["gold", "silver", "bronze"][i % 3];
    let mut annotations = BTreeMap::new();
    annotations.insert(
        "customer_tier".to_owned(),
        vec![ValueWithServiceIds {
            annotation_value: SummaryAnnotationValue {
                string_value: Some(tier.to_owned()),
                ..Default::default()
            },
            service_ids: Vec::new(),
        }],
    );
    annotations.insert(
        "items".to_owned(),
        vec![ValueWithServiceIds {
            annotation_value: SummaryAnnotationValue {
                number_value: Some((i % 7) as f64),
                ..Default::default()
            },
            service_ids: Vec::new(),
        }],
    );
    TraceSummary {
        id: format!("1-{:08x}-{:024x}", i, i),
        start_time: Some(1.7e9 + i as f64),
        duration: Some((i % 500) as f64 / 1000.0 + 0.01),
        response_time: Some((i % 300) as f64 / 1000.0),
        http: Some(SummaryHttp {
            http_url: Some(format!("https://{entry}/v1/items/{i}")),
            http_status: Some(200),
            http_method: Some("GET".to_owned()),
            ..Default::default()
        }),
        annotations,
        service_ids: vec![
            sid(entry, "AWS::ECS::Container"),
            sid("inventory", "AWS::ECS::Container"),
            sid("orders-table", "AWS::DynamoDB::Table"),
        ],
        ..Default::default()
    }
}

fn summaries() -> &'static [TraceSummary] {
    static DATA: OnceLock<Vec<TraceSummary>> = OnceLock::new();
    DATA.get_or_init(|| (0..1_000_000).map(summary).collect())
}

fn trace(i: usize) -> (TraceSummary, Trace) {
    let entry = if i % 2 == 0 {
        "orders-api"
    } else {
        "users-api"
    };
    let tier = ["gold", "silver", "bronze"][i % 3];
    let rt = (i % 300) as f64 / 1000.0 + 0.001;
    let docs: Vec<Segment> = serde_json::from_value(json!([
        {"id":"a","name":entry,"start_time":0.0,"end_time":rt,
         "http":{"request":{"method":"GET","url":"https://x/v1/items"},"response":{"status":200}},
         "annotations":{"customer_tier":tier},
         "subsegments":[
            {"id":"b","name":"inventory","namespace":"remote","start_time":0.0,"end_time":rt / 2.0},
            {"id":"c","name":"DynamoDB","namespace":"aws","start_time":0.0,"end_time":rt / 3.0,"aws":{"table_name":"orders-table"}}]},
        {"id":"d","name":"inventory","parent_id":"b","start_time":0.0,"end_time":rt / 2.5}
    ]))
    .expect("documents");
    let t = assemble(&format!("1-{:08x}-{:024x}", i, i), docs);
    (summary(i), t)
}

fn traces() -> &'static [(TraceSummary, Trace)] {
    static DATA: OnceLock<Vec<(TraceSummary, Trace)>> = OnceLock::new();
    DATA.get_or_init(|| (0..100_000).map(trace).collect())
}

/// The 3-clause expression over 1,000,000 summaries (no traces).
#[divan::bench(sample_count = 10, sample_size = 1)]
fn summaries_1m_three_clauses(bencher: Bencher) {
    let data = summaries();
    let f = parse(EXPR).expect("parses");
    let ctx = EvalContext::default();
    bencher.bench(|| {
        data.iter()
            .filter(|s| f.matches(black_box(s), None, &ctx))
            .count()
    });
}

/// The same expression over 100,000 assembled traces (the service test walks the graph).
#[divan::bench(sample_count = 10, sample_size = 1)]
fn traces_100k_three_clauses(bencher: Bencher) {
    let data = traces();
    let f = parse(EXPR).expect("parses");
    let ctx = EvalContext::default();
    bencher.bench(|| {
        data.iter()
            .filter(|(s, t)| f.matches(black_box(s), Some(t), &ctx))
            .count()
    });
}

/// Parsing the expression.
#[divan::bench]
fn parse_three_clauses() -> bool {
    parse(black_box(EXPR)).is_ok()
}
