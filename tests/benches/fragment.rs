//! Fragments (issue #13): filter evaluations per second through the fast path (summary + graph
//! fragment, no trace) against the full evaluation over assembled traces, and the service
//! graph from fragments against the graph from traces.
//!
//! Data: the demo's 387 traces repeated to 38,700 (the same summaries, fragments and traces
//! in every copy, as the fast path reads no trace ID). Run: `cargo bench --bench fragment`;
//! `FRAGMENT_COPIES=2584 cargo bench --bench fragment -- fast` for a million rows.

use std::hint::black_box;
use std::sync::{Arc, OnceLock};

use divan::Bencher;
use divan::counter::ItemsCount;
use xray_tui::engine::dataset::Collector;
use xray_tui::engine::graph::{Fragment, GraphBuilder, ServiceKeys};
use xray_tui::engine::{service_graph, summarize};
use xray_tui::filter::{EvalContext, parse};
use xray_tui::model::row::{Interner, Row};
use xray_tui::model::{Trace, TraceSummary};

/// Copies of the demo: `FRAGMENT_COPIES`, else 100 (38,700 traces).
fn copies() -> usize {
    std::env::var("FRAGMENT_COPIES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

fn main() {
    divan::main();
}

struct Data {
    traces: Vec<Arc<Trace>>,
    summaries: Vec<TraceSummary>,
    rows: Vec<Row>,
    frags: Vec<Fragment>,
    keys: ServiceKeys,
}

fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| {
        let mut c = Collector::new();
        xray_tui::source::file::load_bytes(
            "demo",
            xray_tui::source::load::DEMO_NDJSON.as_bytes(),
            &mut |e| c.push(e),
        );
        let demo: Vec<Arc<Trace>> = c.finish().traces.iter().collect();
        let mut keys = ServiceKeys::new();
        let mut strings = Interner::default();
        let mut d = Data {
            traces: Vec::new(),
            summaries: Vec::new(),
            rows: Vec::new(),
            frags: Vec::new(),
            keys: ServiceKeys::new(),
        };
        for _ in 0..copies() {
            for t in &demo {
                d.traces.push(Arc::clone(t));
                let s = summarize(t);
                d.rows.push(Row::of(&s, &mut strings));
                d.summaries.push(s);
                d.frags.push(Fragment::of(t, &mut keys));
            }
        }
        d.keys = keys;
        d
    })
}

/// Fast-path evaluations (no trace): `service("orders-api")` and friends.
#[divan::bench(args = [
    r#"service("orders-api")"#,
    r#"edge("checkout", "payments")"#,
    r#"service("orders-api") AND fault"#,
])]
fn fast(bencher: Bencher, expr: &str) {
    let d = data();
    let f = parse(expr).expect("parses");
    let ctx = EvalContext::default();
    bencher.counter(ItemsCount::new(d.frags.len())).bench(|| {
        d.rows
            .iter()
            .zip(&d.frags)
            .filter(|(r, fr)| {
                f.evaluate_fast(black_box(r), None, black_box(fr), &d.keys, &ctx)
                    == Some(xray_tui::filter::Verdict::Match)
            })
            .count()
    });
}

/// The full evaluation over the assembled traces, for comparison.
#[divan::bench(args = [
    r#"service("orders-api")"#,
    r#"edge("checkout", "payments")"#,
    r#"service("orders-api") AND fault"#,
])]
fn full(bencher: Bencher, expr: &str) {
    let d = data();
    let f = parse(expr).expect("parses");
    let ctx = EvalContext::default();
    bencher.counter(ItemsCount::new(d.traces.len())).bench(|| {
        d.summaries
            .iter()
            .zip(&d.traces)
            .filter(|(s, t)| f.matches(black_box(s), Some(t), &ctx))
            .count()
    });
}

/// The service graph of every trace, from the fragments.
#[divan::bench(sample_count = 10)]
fn graph_from_fragments(bencher: Bencher) {
    let d = data();
    bencher.counter(ItemsCount::new(d.frags.len())).bench(|| {
        let mut b = GraphBuilder::new();
        for f in &d.frags {
            b.add_fragment(f, &d.keys);
        }
        black_box(b.finish())
    });
}

/// The same graph from the assembled traces.
#[divan::bench(sample_count = 10)]
fn graph_from_traces(bencher: Bencher) {
    let d = data();
    bencher
        .counter(ItemsCount::new(d.traces.len()))
        .bench(|| black_box(service_graph(d.traces.iter().map(Arc::as_ref))));
}

/// Computing the fragments at load.
#[divan::bench(sample_count = 10)]
fn fragment_of(bencher: Bencher) {
    let d = data();
    let demo = &d.traces[..d.traces.len() / copies()];
    bencher.counter(ItemsCount::new(demo.len())).bench(|| {
        let mut keys = ServiceKeys::new();
        for t in demo {
            black_box(Fragment::of(t, &mut keys));
        }
        keys.len()
    });
}
