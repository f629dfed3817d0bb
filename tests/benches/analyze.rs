//! Analysis benchmark: each `analyze` view over 100k generated traces, in process (the load
//! is done once before timing): the groups by status, service and edge, the response-time
//! histogram, the series per minute and the fault comparison over the row-level dimensions;
//! and the Analysis screen: its root causes, its RED tables and all it asks when it opens (in
//! one thread, and as the app works it out, in two halves on two cores).
//!
//! Why: issue #17 asks for each view in <= 50 ms over 100k traces. The views that read inside
//! traces (root causes, annotations, operations, SDKs) read each trace's facts from a table
//! worked out once a dataset (`facts_100k`, on every core, as the app does); the `*_100k`
//! views with a table are measured with it, and `root_causes_untabled_100k` without one (every
//! trace assembled again, as `analyze` on the command line does).
//!
//! Run: `cargo bench --bench analyze` (generating and loading 100k traces takes ~10 s before
//! timing starts). Results: `docs/benchmarks.md`, "Analysis (issue #17)".

#[path = "gen.rs"]
#[allow(dead_code)]
mod scale_gen;

use std::sync::OnceLock;

use divan::Bencher;
use xray_tui::engine::dataset::{Collector, Dataset};
use xray_tui::filter::analyze::{
    Dimension, FactTable, Measured, group_by, group_by_with, histogram, over_time,
};
use xray_tui::source::file;

fn main() {
    divan::main();
}

/// The table of facts of [`data`], worked out once.
fn table() -> &'static FactTable {
    static TABLE: OnceLock<FactTable> = OnceLock::new();
    TABLE.get_or_init(|| build_table(&data().0))
}

fn build_table(d: &Dataset) -> FactTable {
    use rayon::prelude::*;
    FactTable::build(d, |chunks, f| chunks.into_par_iter().map(f).collect())
}

/// 100k generated traces, loaded as the app loads them.
fn data() -> &'static (Dataset, Vec<usize>) {
    static DATA: OnceLock<(Dataset, Vec<usize>)> = OnceLock::new();
    DATA.get_or_init(|| {
        let cfg = scale_gen::Config {
            traces: 100_000,
            ..scale_gen::Config::default()
        };
        let mut text = Vec::new();
        scale_gen::write_ndjson(&cfg, &mut text).expect("generates");
        let mut c = Collector::new();
        file::load_owned("gen", text, &mut |e| c.push(e));
        let d = c.finish_with(xray_tui::source::parallel::map);
        let all = (0..d.rows.len()).collect();
        (d, all)
    })
}

#[divan::bench(args = ["status", "service", "edge", "url"])]
fn group_100k(bencher: Bencher, by: &str) {
    let (d, all) = data();
    let dim: Dimension = by.parse().expect("dimension");
    bencher.bench(|| divan::black_box(group_by(d, all, &dim)));
}

/// The groups that read inside traces, from the table.
#[divan::bench(args = ["rootcause", "rootcause-entity", "exception", "operation", "sdk", "annotation.tier"])]
fn group_tabled_100k(bencher: Bencher, by: &str) {
    let (d, all) = data();
    let t = table();
    let dim: Dimension = by.parse().expect("dimension");
    bencher.bench(|| divan::black_box(group_by_with(d, Some(t), all, &dim)));
}

/// Working out the table of facts of 100k traces (each assembled once), on every core: what
/// the Analysis screen does once a dataset.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn facts_100k(bencher: Bencher) {
    let (d, _) = data();
    bencher.bench(|| divan::black_box(build_table(d)));
}

#[divan::bench]
fn histogram_100k(bencher: Bencher) {
    let (d, all) = data();
    bencher.bench(|| divan::black_box(histogram(d, all, &Measured::Traces, 20)));
}

#[divan::bench]
fn over_time_100k(bencher: Bencher) {
    let (d, all) = data();
    bencher.bench(|| divan::black_box(over_time(d, all, 60.0)));
}

/// The Analysis screen's root causes, from the table.
#[divan::bench]
fn root_causes_100k(bencher: Bencher) {
    let (d, all) = data();
    let t = table();
    bencher
        .bench(|| divan::black_box(xray_tui::filter::analyze::root_causes_with(d, Some(t), all)));
}

/// The same without a table: every trace's full summary (assembled again).
#[divan::bench(sample_count = 3, sample_size = 1)]
fn root_causes_untabled_100k(bencher: Bencher) {
    let (d, all) = data();
    bencher.bench(|| divan::black_box(xray_tui::filter::analyze::root_causes(d, all)));
}

/// The RED tables: the service graph of all traces and of each interval, and the operations
/// from the table.
#[divan::bench]
fn red_100k(bencher: Bencher) {
    let (d, all) = data();
    let t = table();
    bencher.bench(|| divan::black_box(xray_tui::filter::analyze::red_with(d, Some(t), all, 60.0)));
}

/// What the Analysis screen asks when it opens: every part, the faults against the rest.
fn whole_screen(all: &[usize]) -> xray_tui::filter::analyze::Question {
    use xray_tui::filter::analyze::{Parts, Question, Selection};
    Question {
        rows: all.to_vec(),
        context: None,
        selection: Selection::Faults,
        measured: Measured::Traces,
        buckets: 20,
        parts: Parts::ALL,
    }
}

/// Everything the Analysis screen asks when it opens (faults against the rest in Compare),
/// from the table, in one thread.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn screen_100k(bencher: Bencher) {
    use xray_tui::filter::analyze::answer;
    let (d, all) = data();
    let q = whole_screen(all);
    let t = table();
    bencher.bench(|| divan::black_box(answer(d, Some(t), &q, &|| false)));
}

/// The same as the app works it out (`runtime::count::analyse`: the parts in two halves, one
/// a core), once the dataset's table is kept (the first request works it out: `facts_100k`).
#[divan::bench(sample_count = 10, sample_size = 1)]
fn screen_worker_100k(bencher: Bencher) {
    use xray_tui::app::analysis::AnalysisRequest;
    let (d, all) = data();
    let request = AnalysisRequest {
        generation: 1,
        data: std::sync::Arc::new(d.clone()),
        question: whole_screen(all),
    };
    let facts = xray_tui::runtime::count::FactCache::default();
    facts.table(&request.data);
    bencher.bench(|| {
        divan::black_box(xray_tui::runtime::count::analyse(&request, &facts, &|| {
            false
        }))
    });
}
