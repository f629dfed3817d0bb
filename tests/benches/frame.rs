//! Frame benchmark: the trace list drawn at 200x50 with 1k and 100k generated traces loaded
//! (1M with `XRAY_TUI_FRAME_1M=1`: ~4 GB and a minute of loading).
//!
//! Why: issue #13 asks for a list frame that stays flat (<= 0.6 ms) from 1k to 1M traces:
//! anything a frame shows that depends on all traces (the header's counts, the time range,
//! column widths) is worked out when the data or the filter changes, so only the rows on
//! screen cost anything per frame. This draws exactly what the terminal loop draws (`ui::draw` of an
//! `App` that received `Update::Loaded`), into a ratatui `TestBackend` instead of a terminal,
//! with data from the scale generator (`tests/benches/gen.rs`, default seed).
//!
//! Also what taking a newer snapshot costs the UI task (`apply_snapshot`).
//!
//! Run: `cargo bench --bench frame` (loading 100k traces takes ~10 s before timing starts).
//! Results: `docs/benchmarks.md`, "Scale (issue #13)".

#[path = "gen.rs"]
#[allow(dead_code)]
mod scale_gen;

use std::sync::Arc;

use divan::Bencher;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use xray_tui::app::{App, Event};
use xray_tui::engine::dataset::Collector;
use xray_tui::source::file;
use xray_tui::source::{Loaded, Update};

fn main() {
    divan::main();
}

/// 1k and 100k traces; 1M too when `XRAY_TUI_FRAME_1M` is set.
fn sizes() -> Vec<u64> {
    let mut v = vec![1_000, 100_000];
    if std::env::var_os("XRAY_TUI_FRAME_1M").is_some() {
        v.push(1_000_000);
    }
    v
}

/// An app at 200x50 showing the list of `traces` generated traces.
fn loaded_app(traces: u64) -> App {
    let cfg = scale_gen::Config {
        traces,
        ..scale_gen::Config::default()
    };
    let mut text = Vec::new();
    scale_gen::write_ndjson(&cfg, &mut text).expect("generates");
    let mut c = Collector::new();
    file::load_owned("gen", text, &mut |e| c.push(e));
    let data = Arc::new(c.finish_with(xray_tui::source::parallel::map));
    assert!(data.warnings.is_empty(), "{:?}", data.warnings.first());
    let mut app = App::new("scale", Rect::new(0, 0, 200, 50));
    let _ = app.start_load();
    let generation = app.generation;
    app.update(Event::Source(Update::Loaded(Loaded {
        generation,
        result: Ok(data),
    })));
    assert_eq!(app.list.visible.len() as u64, traces);
    app
}

/// One frame of the trace list.
#[divan::bench(args = sizes(), sample_count = 100)]
fn list_frame(bencher: Bencher, traces: u64) {
    let app = loaded_app(traces);
    let mut term = Terminal::new(TestBackend::new(200, 50)).expect("test terminal");
    bencher.bench_local(|| {
        term.draw(|f| xray_tui::ui::draw(f, &app)).expect("draw");
    });
}

/// What the UI task spends taking a newer snapshot of `traces` traces in place (a live source's
/// update, or a large load's growing preview): the list is filtered and sorted again, the
/// selection kept. Paced by the sources (at most every 0.3–0.5 s, and ten times its cost), so
/// this is how long keys wait at worst while data streams in.
#[divan::bench(args = sizes(), sample_count = 20)]
fn apply_snapshot(bencher: Bencher, traces: u64) {
    let mut app = loaded_app(traces);
    let data = app.data.clone().expect("data");
    let generation = app.generation;
    bencher.bench_local(|| {
        app.update(Event::Source(Update::Snapshot(
            xray_tui::source::Snapshot {
                generation,
                data: data.clone(),
            },
        )));
    });
}
