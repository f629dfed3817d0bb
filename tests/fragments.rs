//! Fragments (`engine::graph::Fragment`): one small record per trace, computed at load, that
//! stands in for the assembled trace wherever all traces are needed at once. Checked on the
//! demo, every fixture, a few hand-made traces and generated data:
//!
//! - the service graph built from fragments is the one built from the traces, byte for byte
//!   as `graph --format json` prints it;
//! - the filter's fast path ([`Filter::evaluate_fast`]) gives exactly the full evaluation's
//!   verdict whenever it gives one, over many expressions using every keyword, and does give
//!   one for graph filters.

#[path = "benches/gen.rs"]
#[allow(dead_code)]
mod scale_gen;

#[path = "support/groups.rs"]
mod support_groups;
use support_groups::groups;

use serde_json::json;
use xray_tui::engine::dataset::Collector;
use xray_tui::engine::graph::{Fragment, GraphBuilder, ServiceKeys};
use xray_tui::engine::{assemble, service_graph, summarize};
use xray_tui::filter::{EvalContext, Filter, Verdict, parse};
use xray_tui::model::row::{Interner, Row};
use xray_tui::model::{Segment, Trace, TraceSummary};
use xray_tui::source::file;

fn collect(run: impl FnOnce(&mut dyn FnMut(xray_tui::model::Event))) -> Vec<Trace> {
    let mut c = Collector::new();
    run(&mut |e| c.push(e));
    c.finish()
        .traces
        .iter()
        .map(std::sync::Arc::unwrap_or_clone)
        .collect()
}

fn demo() -> Vec<Trace> {
    collect(|sink| file::load_bytes("demo", xray_tui::source::load::DEMO_NDJSON.as_bytes(), sink))
}

/// Every trace of every file under `tests/fixtures/`, each file loaded on its own.
fn fixtures() -> Vec<Trace> {
    let mut dirs = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures"
    ))];
    let mut files = Vec::new();
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("fixtures") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    files
        .iter()
        .flat_map(|f| {
            collect(|sink| {
                let _ = file::load_path(&f.to_string_lossy(), sink);
            })
        })
        .collect()
}

/// Hand-made traces where the entry segment and the rest of the trace disagree.
fn handmade() -> Vec<Trace> {
    let t = |id: &str, docs: serde_json::Value| {
        let docs: Vec<Segment> = serde_json::from_value(docs).expect("documents");
        assemble(id, docs)
    };
    vec![
        // The root is fine, a downstream service faulted.
        t(
            "1-00000001-000000000000000000000002",
            json!([
                {"id":"o","name":"orders-api","start_time":0.0,"end_time":1.0,
                 "http":{"request":{"method":"GET","url":"https://shop/orders"},"response":{"status":200}},
                 "annotations":{"customer_tier":"gold"},
                 "subsegments":[{"id":"oc","name":"backend","namespace":"remote","start_time":0.1,"end_time":0.5,"fault":true,
                   "http":{"request":{"method":"GET"},"response":{"status":500}}}]},
                {"id":"b","name":"backend","parent_id":"oc","start_time":0.15,"end_time":0.45,"fault":true,
                 "http":{"response":{"status":500}}}
            ]),
        ),
        // The root says it is in progress but has an end time; a subsegment is in progress.
        t(
            "1-00000001-000000000000000000000005",
            json!([
                {"id":"a","name":"orders-api","start_time":5.0,"end_time":5.25,"in_progress":true,"throttle":true,
                 "subsegments":[{"id":"c","name":"DynamoDB","namespace":"aws","start_time":5.1,"in_progress":true,
                   "aws":{"table_name":"shop-carts","account_id":"999988887777"}}]}
            ]),
        ),
        // Only an inferred segment and an orphan: no entry segment that is not inferred.
        t(
            "1-00000001-000000000000000000000006",
            json!([
                {"id":"i","name":"DynamoDB","inferred":true,"start_time":1.0,"end_time":1.5,"aws":{"table_name":"t"}},
                {"id":"x","type":"subsegment","parent_id":"gone","name":"payments","namespace":"remote",
                 "start_time":1.1,"end_time":1.2}
            ]),
        ),
        // A root 429 without flags; a 4XX elsewhere.
        t(
            "1-00000001-000000000000000000000003",
            json!([
                {"id":"t","name":"api","start_time":0.0,"end_time":0.05,"user":"bob",
                 "http":{"request":{"method":"PUT","url":"https://svc/items"},"response":{"status":429}},
                 "subsegments":[{"id":"s","name":"payments","namespace":"remote","start_time":0.01,"end_time":0.02,
                   "http":{"response":{"status":404}}}]}
            ]),
        ),
    ]
}

/// Generated traces with every shape of the scale generator, a few still in progress.
fn generated(n: u64) -> Vec<Trace> {
    let cfg = scale_gen::Config {
        traces: n,
        in_progress_every: 20,
        ..scale_gen::Config::default()
    };
    let mut bytes = Vec::new();
    scale_gen::write_ndjson(&cfg, &mut bytes).expect("writes");
    collect(|sink| file::load_bytes("gen.ndjson", &bytes, sink))
}

fn all_traces() -> Vec<Trace> {
    let mut v = demo();
    v.extend(fixtures());
    v.extend(handmade());
    v.extend(generated(300));
    v
}

/// The graph as `graph --format json` prints it.
fn json_text(g: &xray_tui::model::ServiceGraph) -> String {
    serde_json::to_string_pretty(g).expect("serializes")
}

fn graph_from_fragments(traces: &[Trace]) -> String {
    let mut keys = ServiceKeys::new();
    let frags: Vec<Fragment> = traces.iter().map(|t| Fragment::of(t, &mut keys)).collect();
    let mut b = GraphBuilder::new();
    for f in &frags {
        b.add_fragment(f, &keys);
    }
    json_text(&b.finish())
}

#[test]
fn demo_graph_from_fragments_is_byte_identical() {
    let traces = demo();
    assert_eq!(traces.len(), 387);
    let want = json_text(&service_graph(&traces));
    assert!(want.len() > 100_000);
    assert_eq!(graph_from_fragments(&traces), want);
}

#[test]
fn graph_from_fragments_is_byte_identical_on_fixtures_and_generated_data() {
    for traces in [fixtures(), handmade(), generated(500)] {
        assert!(!traces.is_empty());
        assert_eq!(
            graph_from_fragments(&traces),
            json_text(&service_graph(&traces))
        );
    }
}

/// Expressions over every keyword: the cases of `tests/filter_eval.rs`, the README's examples,
/// and more over the demo's services, annotations and users.
const EXPRESSIONS: &[&str] = &[
    r##"ok"##,
    r##"fault"##,
    r##"error"##,
    r##"throttle"##,
    r##"partial"##,
    r##"!ok"##,
    r##"ok = false"##,
    r##"inferred"##,
    r##"responsetime > 3"##,
    r##"responsetime > 0.1"##,
    r##"!(responsetime > 0.1)"##,
    r##"duration >= 1 AND duration <= 2"##,
    r##"http.status != 200"##,
    r##"!(http.status = 200)"##,
    r##"http.status >= 500"##,
    r##"http.url CONTAINS "/api/""##,
    r##"http.method = "GET""##,
    r##"http.useragent BEGINSWITH "curl/""##,
    r##"http.clientip = "10.0.0.1""##,
    r##"user CONTAINS """##,
    r##"user = "alice""##,
    r##"user = "Alice""##,
    r##"http.url AND responseTime > 2"##,
    r##"availabilityzone BEGINSWITH "us-""##,
    r##"instance.id = "i-0e3cf4d2de0f3f37a""##,
    r##"resource.arn ENDSWITH ":function:random-name""##,
    r##"account.id = "123456789012""##,
    r##"annotation.Name = "Ola""##,
    r##"annotation.tier = "gold""##,
    r##"annotation.items > 2"##,
    r##"annotation.items = "3""##,
    r##"annotation.order_id = 42"##,
    r##"annotation.order_id = "42""##,
    r##"annotation.flag"##,
    r##"!annotation.flag"##,
    r##"annotation.flag = false"##,
    r##"annotation.customer_tier"##,
    r##"annotation[customer_tier] = "gold""##,
    r##"service("random-name")"##,
    r##"service("random-name") { error }"##,
    r##"service(id(name: "random-name", type: "AWS::Lambda::Function"))"##,
    r##"service(id(type: "AWS::Lambda"))"##,
    r##"service(id(name: "random-name", type: "AWS::SQS::Queue"))"##,
    r##"service(id(account.id: "111122223333"))"##,
    r##"service("api.example.com")"##,
    r##"service("scorekeep-user")"##,
    r##"!service("scorekeep-user")"##,
    r##"service(id(type: "AWS::SQS::Queue"))"##,
    r##"service("backend") { fault }"##,
    r##"service() { fault }"##,
    r##"service("Scorekeep") { root }"##,
    r##"service("scorekeep-user") { root }"##,
    r##"service("payments") { responsetime > 0.5 }"##,
    r##"service("gateway") { name = "gateway" AND type = "AWS::ApiGateway::Stage" }"##,
    r##"edge("Scorekeep", "scorekeep-user")"##,
    r##"edge("scorekeep-user", "Scorekeep")"##,
    r##"edge("random-name", "random-name")"##,
    r##"edge("random-name", "SNS")"##,
    r##"edge("orders-api", "backend") { fault }"##,
    r##"edge("orders-api", "backend") { http.status = 500 }"##,
    r##"edge("www.example.com", "api.example.com") { http.method = "POST" }"##,
    r##"edge("gateway", "payments") { name = "payments" }"##,
    r##"rootcause.fault.service"##,
    r##"rootcause.fault.service { name = "payments" }"##,
    r##"rootcause.fault.service { name = "backend" }"##,
    r##"rootcause.fault.entity { last AND name = "api.stripe.example" }"##,
    r##"rootcause.fault.entity { first AND name = "api.stripe.example" }"##,
    r##"rootcause.fault.service { index = 0 AND name = "gateway" }"##,
    r##"rootcause.fault.service { index = 1 AND name = "gateway" }"##,
    r##"rootcause.fault.service { inferred AND remote AND name = "api.stripe.example" }"##,
    r##"rootcause.fault.exception { name = "HTTPError" AND message CONTAINS "stripe" }"##,
    r##"rootcause.error.service"##,
    r##"rootcause.responsetime.service { name = "payments" }"##,
    r##"rootcause.responsetime.entity { name = "api.stripe.example" AND coverage > 0.39 AND coverage < 0.41 }"##,
    r##"rootcause.json = #[{"Services":[{"Name":"gateway"},{"Name":"payments"},{"Name":"api.stripe.example"}]}]"##,
    r##"rootcause.json = #[{"Services":[{"Name":"payments"}]}]"##,
    r##"rootcause.json = #[{"ClientImpacting":true,"Services":[{"Name":"CauseIsExceptionID"}]}]"##,
    r##"group.name = "slow""##,
    r##"group.arn = "arn:aws:xray:us-east-1:123456789012:group/slow/ABC""##,
    r##"group.name = "gold-or-slow""##,
    r##"group.name != "slow""##,
    r##"group.name = "loop-a""##,
    r##"group.name = "loop-b" AND !ok"##,
    r##"group.name = "all""##,
    r##"group.name = "nope""##,
    r##"ok OR fault AND error"##,
    r##"(ok OR fault) AND responsetime > 1"##,
    r##"service("orders-api") AND responsetime > 0.1 AND annotation.customer_tier = "gold""##,
    r##"service("payments") { fault OR error }"##,
    r##"edge("checkout", "payments") { responsetime > 0.3 }"##,
    r##"annotation.customer_tier = "gold" AND !ok"##,
    r##"service("payments") {fault} and responsetime>1"##,
    r##"service("checkout") { fault OR error }"##,
    r##"service("orders-api")"##,
    r##"service("orders-api") AND fault"##,
    r##"service("orders-api") AND !ok"##,
    r##"service("orders-api") OR service("payments")"##,
    r##"service("payments") AND (fault OR error OR throttle)"##,
    r##"!service("payments")"##,
    r##"service()"##,
    r##"!service()"##,
    r##"service(id(name: "checkout", type: "AWS::Lambda::Function"))"##,
    r##"service(id(type: "AWS::DynamoDB::Table"))"##,
    r##"service(id(type: "Database::SQL"))"##,
    r##"service(id(account.id: "123456789012"))"##,
    r##"service("order-events") AND service("inventory-worker")"##,
    r##"edge("checkout", "payments")"##,
    r##"edge("orders-api", "shop-carts")"##,
    r##"edge("order-events", "inventory-worker")"##,
    r##"edge("checkout", "order-events") AND !edge("order-events", "inventory-worker")"##,
    r##"edge(id(type: "AWS::Lambda"), id(type: "AWS::Lambda::Function"))"##,
    r##"edge("shop-api/prod", "orders-api") OR throttle"##,
    r##"edge("orders-api", "shop-carts") AND responsetime > 0.05"##,
    r##"fault = true"##,
    r##"error = false"##,
    r##"throttle != false"##,
    r##"ok = true AND partial = false"##,
    r##"partial"##,
    r##"!partial"##,
    r##"inferred = false"##,
    r##"responsetime >= 0.2"##,
    r##"responsetime < 0.01"##,
    r##"duration > 0.5"##,
    r##"http.status = 429"##,
    r##"http.status = 404 OR http.status = 409"##,
    r##"http.url ENDSWITH "/checkout""##,
    r##"http.method = "POST""##,
    r##"http.useragent CONTAINS "Mozilla""##,
    r##"http.clientip BEGINSWITH "10.""##,
    r##"user = "catalog_ro""##,
    r##"user"##,
    r##"availabilityzone = "eu-west-1b""##,
    r##"instance.id BEGINSWITH "i-""##,
    r##"resource.arn CONTAINS "function""##,
    r##"account.id"##,
    r##"annotation.customer_tier = "gold""##,
    r##"annotation.cart_items >= 3"##,
    r##"annotation.is_retry"##,
    r##"!annotation.is_retry"##,
    r##"annotation.cache_hit = true"##,
    r##"annotation.order_total > 100"##,
    r##"annotation.sku BEGINSWITH "SKU""##,
    r##"rootcause.fault.service { name = "payments" }"##,
    r##"rootcause.error.entity { remote }"##,
    r##"rootcause.responsetime.service { name = "orders-api" AND coverage > 0.1 }"##,
    r##"rootcause.fault.exception { message CONTAINS "Timeout" }"##,
    r##"service("payments") AND rootcause.fault.service { name = "api.stripe.example" }"##,
    r##"service("orders-api") AND duration > 0.1"##,
    r##"service("orders-api") AND account.id = "123456789012""##,
    r##"service("nope") AND inferred"##,
    r##"service("orders-api") OR group.name = "slow""##,
    r##"group.name = "slow" AND service("orders-api")"##,
    r##"!(service("orders-api") AND fault) OR http.status = 500"##,
];

struct Prepared {
    traces: Vec<Trace>,
    summaries: Vec<TraceSummary>,
    rows: Vec<Row>,
    frags: Vec<Fragment>,
    keys: ServiceKeys,
}

fn prepared() -> Prepared {
    let traces = all_traces();
    let summaries: Vec<TraceSummary> = traces.iter().map(summarize).collect();
    let mut strings = Interner::default();
    let rows = summaries.iter().map(|s| Row::of(s, &mut strings)).collect();
    let mut keys = ServiceKeys::new();
    let frags = traces.iter().map(|t| Fragment::of(t, &mut keys)).collect();
    Prepared {
        traces,
        summaries,
        rows,
        frags,
        keys,
    }
}

/// How many traces the fast path decided (with the summary at hand); panics where it
/// disagrees with the full evaluation, with or without the summary (the list row alone).
fn check(f: &Filter, d: &Prepared, ctx: &EvalContext) -> usize {
    let mut decided = 0;
    for (i, ((t, s), frag)) in d.traces.iter().zip(&d.summaries).zip(&d.frags).enumerate() {
        let row = &d.rows[i];
        let full = f.evaluate(s, Some(t), ctx);
        if let Some(v) = f.evaluate_fast(row, Some(s), frag, &d.keys, ctx) {
            decided += 1;
            assert_eq!(v, full, "`{f}` on {}", t.id);
        }
        if let Some(v) = f.evaluate_fast(row, None, frag, &d.keys, ctx) {
            assert_eq!(v, full, "`{f}` on {} from its row", t.id);
        }
    }
    decided
}

/// How many traces the fast path decides from the list row alone (no summary).
fn row_only(f: &Filter, d: &Prepared, ctx: &EvalContext) -> usize {
    (0..d.traces.len())
        .filter(|&i| {
            f.evaluate_fast(&d.rows[i], None, &d.frags[i], &d.keys, ctx)
                .is_some()
        })
        .count()
}

#[test]
fn fast_path_agrees_with_the_full_evaluation() {
    let d = prepared();
    assert!(d.traces.len() > 600, "{}", d.traces.len());
    let groups = groups();
    let ctx = EvalContext { groups: &groups };
    assert!(EXPRESSIONS.len() >= 80);
    let mut decided_somewhere = 0;
    let mut verdicts = std::collections::BTreeSet::new();
    for e in EXPRESSIONS {
        let f = parse(e).unwrap_or_else(|err| panic!("{e}\n{}", err.render(e)));
        let n = check(&f, &d, &ctx);
        if n > 0 {
            decided_somewhere += 1;
        }
        for (i, ((t, s), frag)) in d.traces.iter().zip(&d.summaries).zip(&d.frags).enumerate() {
            verdicts.insert(format!(
                "{:?}",
                f.evaluate_fast(&d.rows[i], Some(s), frag, &d.keys, &ctx)
                    .unwrap_or(f.evaluate(s, Some(t), &ctx))
            ));
        }
    }
    assert!(
        decided_somewhere > EXPRESSIONS.len() * 3 / 4,
        "{decided_somewhere}"
    );
    assert!(verdicts.contains("Match") && verdicts.contains("NoMatch"));
}

#[test]
fn fast_path_decides_graph_filters() {
    let d = prepared();
    let ctx = EvalContext::default();
    for e in [
        r#"service("orders-api")"#,
        r#"service("x")"#,
        r#"service(id(type: "AWS::SQS::Queue"))"#,
        r#"edge("checkout", "payments")"#,
        r#"edge("a", "b")"#,
        r#"!service("payments")"#,
        r#"service("orders-api") AND fault"#,
        r#"service("orders-api") AND fault AND responsetime > 0.01"#,
        r#"duration > 1 OR inferred"#,
        r#"!inferred AND duration <= 0.5"#,
        r#"service("orders-api") OR edge("checkout", "payments")"#,
        r#"(service("payments") OR service("catalog")) AND !ok"#,
        r#"edge("shop-api/prod", "orders-api") OR throttle OR http.status = 404"#,
    ] {
        let f = parse(e).expect("parses");
        assert_eq!(check(&f, &d, &ctx), d.traces.len(), "`{e}` needed a trace");
        assert_eq!(
            row_only(&f, &d, &ctx),
            d.traces.len(),
            "`{e}` needed a summary"
        );
    }
    // The list row decides what it holds; the rest needs the summary.
    for e in [
        r#"http.url CONTAINS "orders" AND http.method = "POST""#,
        r#"user = "alice" OR partial OR http.status >= 500"#,
    ] {
        let f = parse(e).expect("parses");
        assert_eq!(
            row_only(&f, &d, &ctx),
            d.traces.len(),
            "`{e}` needed a summary"
        );
    }
    let f = parse(r#"annotation.tier = "gold""#).expect("parses");
    assert_eq!(row_only(&f, &d, &ctx), 0);
    // Both verdicts occur.
    let f = parse(r#"service("orders-api") AND fault"#).expect("parses");
    let n = |v: Verdict| {
        (0..d.traces.len())
            .filter(|&i| f.evaluate_fast(&d.rows[i], None, &d.frags[i], &d.keys, &ctx) == Some(v))
            .count()
    };
    assert!(n(Verdict::Match) > 0 && n(Verdict::NoMatch) > 0);
    // What needs the trace is left to it, unless the rest decides.
    let f = parse(r#"service("orders-api") { fault }"#).expect("parses");
    assert_eq!(check(&f, &d, &ctx), 0);
    let f = parse(r#"service("nope") AND account.id = "1""#).expect("parses");
    assert_eq!(check(&f, &d, &ctx), d.traces.len());
}
