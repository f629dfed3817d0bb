//! Analysis benchmark: each `analyze` view over 100k generated traces, in process (the load
//! is done once before timing): the groups by status, service and edge, the response-time
//! histogram, the series per minute and the fault comparison over the row-level dimensions;
//! and the Analysis screen: its root causes, its RED tables and all it asks when it opens (in
//! one thread, and as the app works it out, in two halves on two cores).
//!
//! Why: issue #17 asks for each view in <= 50 ms over 100k traces (<= 500 ms over 1M). The
//! views that read inside traces (root causes, annotations, operations, SDKs) read each trace's
//! facts from a table worked out once a dataset (`facts`, on every core, as the app does); the
//! views with a table are measured with it, and `root_causes_untabled` without one (every
//! trace assembled again). `facts_live` is the table of a live source's next snapshot, made
//! afresh or going on from the last one's.
//!
//! Run: `cargo bench --bench analyze` (generating and loading 100k traces takes ~10 s before
//! timing starts); `ANALYZE_TRACES=1000000 cargo bench --bench analyze` for 1M (~2 minutes
//! before timing, ~6 GB). The table's memory (resident set before and after it is built) is
//! printed once. Results: `docs/benchmarks.md`, "Analysis (issue #17)".

#[path = "gen.rs"]
#[allow(dead_code)]
mod scale_gen;

use std::sync::{Arc, OnceLock};

use divan::Bencher;
use xray_tui::engine::dataset::{Collector, Dataset};
use xray_tui::filter::analyze::{Dimension, FactTable, Measured, group_by, group_by_with};
use xray_tui::source::file;

/// The app's allocator, so that the figures are the app's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

/// The table of facts of [`data`], worked out once (its memory printed).
fn table() -> &'static FactTable {
    static TABLE: OnceLock<FactTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let d = &data().0;
        let before = resident_kib();
        let t = build_table(d);
        let after = resident_kib();
        eprintln!(
            "facts table of {} traces: {} MiB held; resident set {} -> {} MiB (+{} MiB)",
            d.rows.len(),
            t.bytes() >> 20,
            before / 1024,
            after / 1024,
            after.saturating_sub(before) / 1024
        );
        t
    })
}

/// This process's resident set (KiB), from `/proc/self/status` (0 where there is none).
fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// How many traces: `ANALYZE_TRACES`, 100k unless set.
fn traces() -> u64 {
    std::env::var("ANALYZE_TRACES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

fn build_table(d: &Dataset) -> FactTable {
    use rayon::prelude::*;
    FactTable::build(d, |chunks, f| chunks.into_par_iter().map(f).collect())
}

/// 100k generated traces ([`traces`]), loaded as the app loads them.
fn data() -> &'static (Dataset, Vec<usize>) {
    static DATA: OnceLock<(Dataset, Vec<usize>)> = OnceLock::new();
    DATA.get_or_init(|| {
        let cfg = scale_gen::Config {
            traces: traces(),
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
fn group(bencher: Bencher, by: &str) {
    let (d, all) = data();
    let dim: Dimension = by.parse().expect("dimension");
    bencher.bench(|| divan::black_box(group_by(d, all, &dim)));
}

/// The groups that read inside traces, from the table.
#[divan::bench(args = ["rootcause", "rootcause-entity", "exception", "operation", "sdk", "annotation.customer_tier"])]
fn group_tabled(bencher: Bencher, by: &str) {
    let (d, all) = data();
    let t = table();
    let dim: Dimension = by.parse().expect("dimension");
    bencher.bench(|| divan::black_box(group_by_with(d, Some(t), all, &dim)));
}

/// Working out the table of facts of 100k traces (each assembled once), on every core: what
/// the Analysis screen does once a dataset.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn facts(bencher: Bencher) {
    let (d, _) = data();
    bencher.bench(|| divan::black_box(build_table(d)));
}

#[divan::bench]
fn histograms(bencher: Bencher) {
    let (d, all) = data();
    bencher.bench(|| {
        divan::black_box(xray_tui::filter::analyze::histogram(
            d,
            all,
            &Measured::Traces,
            20,
        ))
    });
}

#[divan::bench]
fn series(bencher: Bencher) {
    let (d, all) = data();
    bencher.bench(|| divan::black_box(xray_tui::filter::analyze::over_time(d, all, 60.0)));
}

/// The Analysis screen's root causes, from the table.
#[divan::bench]
fn root_causes(bencher: Bencher) {
    let (d, all) = data();
    let t = table();
    bencher
        .bench(|| divan::black_box(xray_tui::filter::analyze::root_causes_with(d, Some(t), all)));
}

/// The same without a table: every trace's full summary (assembled again).
#[divan::bench(sample_count = 3, sample_size = 1)]
fn root_causes_untabled(bencher: Bencher) {
    let (d, all) = data();
    bencher.bench(|| divan::black_box(xray_tui::filter::analyze::root_causes(d, all)));
}

/// The faults against the rest over every compared dimension, from the table (the Compare
/// tab).
#[divan::bench]
fn compare(bencher: Bencher) {
    let (d, all) = data();
    let t = table();
    let (faults, rest) = xray_tui::filter::analyze::split(
        d,
        all,
        None,
        xray_tui::filter::analyze::Selection::Faults,
    );
    bencher.bench(|| {
        divan::black_box(xray_tui::filter::analyze::compare_with(
            d,
            Some(t),
            &faults,
            &rest,
        ))
    });
}

/// The RED tables: the service graph of all traces and of each interval, and the operations
/// from the table.
#[divan::bench]
fn red(bencher: Bencher) {
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
fn screen(bencher: Bencher) {
    use xray_tui::filter::analyze::answer;
    let (d, all) = data();
    let q = whole_screen(all);
    let t = table();
    bencher.bench(|| divan::black_box(answer(d, Some(t), &q, &|| false)));
}

/// The same as the app works it out (`runtime::count::analyse`: the parts in two halves, one
/// a core), once the dataset's table is kept (the first request works it out: `facts`).
#[divan::bench(sample_count = 10, sample_size = 1)]
fn screen_worker(bencher: Bencher) {
    use xray_tui::app::analysis::AnalysisRequest;
    let (d, all) = data();
    let request = AnalysisRequest {
        paced: false,
        generation: 1,
        data: std::sync::Arc::new(d.clone()),
        question: whole_screen(all),
    };
    let facts = xray_tui::runtime::count::FactCache::default();
    let _ = facts.table(&request.data, &|_, _| {});
    bencher.bench(|| {
        divan::black_box(xray_tui::runtime::count::analyse(
            &request,
            &facts,
            &|| false,
            &|_, _| {},
        ))
    });
}

/// A live source's two snapshots ([`live_snapshots`]): 10,000 traces (the daemon's default
/// limit), then the same with 500 more; the first's table.
fn live() -> &'static (Arc<Dataset>, Arc<Dataset>, FactTable) {
    static LIVE: OnceLock<(Arc<Dataset>, Arc<Dataset>, FactTable)> = OnceLock::new();
    LIVE.get_or_init(|| {
        use xray_tui::source::daemon::store::LiveStore;
        let cfg = scale_gen::Config {
            traces: 10_500,
            ..scale_gen::Config::default()
        };
        let mut text = Vec::new();
        scale_gen::write_ndjson(&cfg, &mut text).expect("generates");
        let docs: Vec<(String, String, Vec<u8>)> = text
            .split(|&b| b == b'\n')
            .filter_map(|l| {
                let v: serde_json::Value = serde_json::from_slice(l).ok()?;
                Some((
                    v["trace_id"].as_str()?.to_owned(),
                    v["id"].as_str()?.to_owned(),
                    l.to_vec(),
                ))
            })
            .collect();
        let mut order: Vec<&str> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (t, _, _) in &docs {
            if seen.insert(t.as_str()) {
                order.push(t);
            }
        }
        let later: std::collections::HashSet<&str> = order[10_000..].iter().copied().collect();
        let mut store = LiveStore::new(100_000);
        for (t, id, l) in docs.iter().filter(|d| !later.contains(d.0.as_str())) {
            store.file(t, id, false, l.clone());
        }
        let first = Arc::new(store.dataset());
        for (t, id, l) in docs.iter().filter(|d| later.contains(d.0.as_str())) {
            store.file(t, id, false, l.clone());
        }
        let second = Arc::new(store.dataset());
        let table = build_table(&first);
        (first, second, table)
    })
}

/// The table of a live source's next snapshot (10,000 traces and 500 new ones): made afresh,
/// or going on from the last snapshot's (only the new traces read).
#[divan::bench(args = ["afresh", "going on"], sample_count = 10, sample_size = 1)]
fn facts_live(bencher: Bencher, how: &str) {
    use rayon::prelude::*;
    let (first, second, table) = live();
    assert!(first.rows.len() >= 9_000 && second.rows.len() > first.rows.len());
    let previous = (how == "going on").then_some(table);
    bencher.bench(|| {
        divan::black_box(FactTable::build_from(second, previous, |chunks, f| {
            chunks.into_par_iter().map(f).collect()
        }))
    });
}
