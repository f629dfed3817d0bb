//! Engine benchmarks: how fast a file becomes traces, summaries, a graph and waterfall rows.
//!
//! Run with `cargo bench --bench engine`; figures go to `docs/benchmarks.md`.

use std::collections::HashSet;
use std::hint::black_box;
use std::sync::Arc;

use divan::Bencher;
use divan::counter::{BytesCount, ItemsCount};
use xray_tui::engine::dataset::{Collector, Dataset};
use xray_tui::engine::{assemble, service_graph, summarize, waterfall};
use xray_tui::model::{Segment, Trace};
use xray_tui::source::file;

fn main() {
    divan::main();
}

/// The demo, `copies` times, each copy with its own trace IDs (~1.7 MB per copy).
fn scaled_demo(copies: usize) -> String {
    let demo = xray_tui::source::load::DEMO_NDJSON;
    let mut out = String::with_capacity(demo.len() * copies);
    for c in 0..copies {
        if c == 0 {
            out.push_str(demo);
        } else {
            // Rewrite the last 4 hex digits of every trace ID: "-xxxx\"" -> unique per copy.
            let tag = format!("{:04x}", c);
            for line in demo.lines() {
                match line.find("\"trace_id\":\"1-") {
                    Some(i) => {
                        let end = i + "\"trace_id\":\"".len() + 35;
                        out.push_str(&line[..end - 4]);
                        out.push_str(&tag);
                        out.push_str(&line[end..]);
                    }
                    None => out.push_str(line),
                }
                out.push('\n');
            }
        }
    }
    out
}

fn load(text: &str) -> Dataset {
    let mut c = Collector::new();
    file::load_bytes("bench", text.as_bytes(), &mut |e| c.push(e));
    c.finish()
}

/// Parse + group + assemble + summarise, end to end.
#[divan::bench(args = [1, 20])]
fn load_ndjson(bencher: Bencher, copies: usize) {
    let text = scaled_demo(copies);
    bencher
        .counter(BytesCount::new(text.len()))
        .bench(|| black_box(load(&text)));
}

/// The same documents as one `batch-get-traces` file (documents as JSON strings).
#[divan::bench]
fn load_batch_get_traces(bencher: Bencher) {
    let data = load(xray_tui::source::load::DEMO_NDJSON);
    let all: Vec<Arc<Trace>> = data.traces.iter().collect();
    let traces: Vec<&Trace> = all.iter().map(Arc::as_ref).collect();
    let batch = xray_tui::engine::export::batch_traces(&traces).expect("encodes");
    let text = serde_json::to_string_pretty(&batch).expect("encodes");
    bencher
        .counter(BytesCount::new(text.len()))
        .bench(|| black_box(load(&text)));
}

/// Summaries of every demo trace.
#[divan::bench]
fn summarize_demo(bencher: Bencher) {
    let data = load(xray_tui::source::load::DEMO_NDJSON);
    let all: Vec<Arc<Trace>> = data.traces.iter().collect();
    bencher.counter(ItemsCount::new(all.len())).bench(|| {
        for t in &all {
            black_box(summarize(t));
        }
    });
}

/// The service graph of 20 copies of the demo (7,740 traces).
#[divan::bench]
fn service_graph_demo_x20(bencher: Bencher) {
    let data = load(&scaled_demo(20));
    let all: Vec<Arc<Trace>> = data.traces.iter().collect();
    let nodes: usize = all.iter().map(|t| t.nodes.len()).sum();
    bencher
        .counter(ItemsCount::new(nodes))
        .bench(|| black_box(service_graph(all.iter().map(Arc::as_ref))));
}

/// One trace of 1 segment + 50,000 subsegments (10 calls deep in places).
fn huge_trace() -> Trace {
    huge_trace_of(5_000)
}

/// One segment + `steps` × 10 subsegments: each step calls DynamoDB 9 times in a row.
fn huge_trace_of(steps: u64) -> Trace {
    let tid = "1-6b055217-f83b86d84f9ae698c37f1c99";
    let mut subs = Vec::new();
    for i in 0..steps {
        let start = 1.0 + i as f64 * 0.001;
        let mut inner = Vec::new();
        for j in 0..9u64 {
            inner.push(serde_json::json!({"id": format!("{:08x}{:08x}", i, j + 1), "name": "DynamoDB",
                "namespace": "aws", "start_time": start + j as f64 * 0.0001, "end_time": start + j as f64 * 0.0001 + 0.00005,
                "aws": {"operation": "GetItem", "table_name": "t"}}));
        }
        subs.push(
            serde_json::json!({"id": format!("{:08x}00000000", i), "name": format!("## step {i}"),
            "start_time": start, "end_time": start + 0.0009, "subsegments": inner}),
        );
    }
    let end = 2.0 + steps as f64 * 0.001;
    let doc = serde_json::json!({"id": "ffffffffffffffff", "name": "batch-job", "trace_id": tid,
        "start_time": 1.0, "end_time": end, "subsegments": subs});
    let seg: Segment = serde_json::from_value(doc).expect("valid");
    assemble(tid, [seg])
}

/// Waterfall rows of a 50,000-entity trace: all expanded, and collapsed to segments.
#[divan::bench(args = ["expanded", "collapsed"])]
fn waterfall_50k(bencher: Bencher, mode: &str) {
    let t = huge_trace();
    let collapsed = if mode == "collapsed" {
        waterfall::all_collapsible(&t)
    } else {
        HashSet::new()
    };
    bencher
        .counter(ItemsCount::new(t.nodes.len()))
        .bench(|| black_box(waterfall::rows(&t, &collapsed)));
}

/// Assembling the 50,000-entity trace from its document.
#[divan::bench]
fn assemble_50k(bencher: Bencher) {
    let t = huge_trace();
    let docs = t.documents();
    bencher
        .counter(ItemsCount::new(t.nodes.len()))
        .bench(|| black_box(assemble(&t.id, docs.clone())));
}

/// The critical path of the 50,000-entity trace (5,000 sequential steps, each with 9 calls).
#[divan::bench]
fn critical_path_50k(bencher: Bencher) {
    let t = huge_trace();
    bencher
        .counter(ItemsCount::new(t.nodes.len()))
        .bench(|| black_box(xray_tui::engine::critical::critical_path(&t)));
}

/// Per-service and per-operation statistics (with self times) of the 50,000-entity trace.
#[divan::bench]
fn stats_50k(bencher: Bencher) {
    let t = huge_trace();
    bencher
        .counter(ItemsCount::new(t.nodes.len()))
        .bench(|| black_box(xray_tui::engine::critical::stats(&t)));
}

/// Opening the 50,000-entity trace in the app's trace view: rows and name widths (the critical
/// path and self times are worked out off the UI thread since: `analyse_100k`).
#[divan::bench]
fn open_trace_view_50k(bencher: Bencher) {
    let t = Arc::new(huge_trace());
    bencher.counter(ItemsCount::new(t.nodes.len())).bench(|| {
        black_box(xray_tui::app::trace_view::TraceView::new(
            Arc::clone(&t),
            None,
        ))
    });
}

/// The 100,000-entity trace (10,000 steps of 9 DynamoDB calls) open in the trace view, its
/// analysis in.
fn view_100k() -> xray_tui::app::trace_view::TraceView {
    use xray_tui::app::trace_view::{TraceView, analyse};
    let t = Arc::new(huge_trace_of(10_000));
    let mut v = TraceView::new(Arc::clone(&t), None);
    v.set_analysis(analyse(&t));
    v
}

/// Opening the 100,000-entity trace in the trace view (what the UI thread does: rows and the
/// name column's width).
#[divan::bench]
fn open_trace_view_100k(bencher: Bencher) {
    let t = Arc::new(huge_trace_of(10_000));
    bencher.counter(ItemsCount::new(t.nodes.len())).bench(|| {
        black_box(xray_tui::app::trace_view::TraceView::new(
            Arc::clone(&t),
            None,
        ))
    });
}

/// The analysis of the 100,000-entity trace (critical path, self times, the overview's
/// density), worked out off the UI thread.
#[divan::bench]
fn analyse_100k(bencher: Bencher) {
    let t = huge_trace_of(10_000);
    bencher
        .counter(ItemsCount::new(t.nodes.len()))
        .bench(|| black_box(xray_tui::app::trace_view::analyse(&t)));
}

/// The large-trace tools on the 100,000-entity trace, each key press as the trace view answers
/// it: `s` (fold the 10,000 runs of 9 DynamoDB calls into ×9 rows), `C` (one row per service),
/// `t` (hide entities under 1 ms), `z` twice (zoom to the first 5,000 rows' range) and `p`
/// (the critical path only). Each sample presses the key twice (on and off, or a zoom and a
/// zoom out), so one answer is half the time.
#[divan::bench(args = ["fold_runs", "fold_services", "hide_short", "zoom", "path_only"])]
fn tools_100k(bencher: Bencher, tool: &str) {
    let mut v = view_100k();
    let n = v.trace.nodes.len();
    bencher
        .counter(ItemsCount::new(n))
        .bench_local(|| match tool {
            "fold_runs" => {
                v.toggle_fold_runs();
                v.toggle_fold_runs();
            }
            "fold_services" => {
                v.toggle_by_service();
                v.toggle_by_service();
            }
            "hide_short" => {
                // 1 ms hides every call; three more presses step back to none.
                for _ in 0..4 {
                    v.cycle_hide_shorter();
                }
            }
            "zoom" => {
                v.move_by(isize::MIN);
                v.zoom_step();
                v.move_by(5_000);
                v.zoom_step();
                black_box(v.zoom);
                v.zoom_reset();
            }
            _ => {
                v.toggle_path_only();
                v.toggle_path_only();
            }
        });
}

/// One frame of the trace view at 200x50 on the 100,000-entity trace (runs folded and zoomed,
/// the overview strip drawn from the density).
#[divan::bench(args = ["plain", "folded_zoomed"])]
fn trace_frame_100k(bencher: Bencher, mode: &str) {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::layout::Rect;
    let mut v = view_100k();
    if mode == "folded_zoomed" {
        v.toggle_fold_runs();
        v.move_by(100);
        v.zoom_step();
        v.move_by(2_000);
        v.zoom_step();
    }
    let mut app = xray_tui::app::App::new("bench", Rect::new(0, 0, 200, 50));
    app.view = Some(v);
    app.mode = xray_tui::app::Mode::Trace;
    let mut term = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    bencher.bench_local(|| {
        term.draw(|f| xray_tui::ui::draw(f, &app)).expect("draw");
    });
}
