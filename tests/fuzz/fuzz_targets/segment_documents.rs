//! Fuzz target: the file reader never panics on any bytes, every warning points inside the
//! input, and whatever it delivers assembles, summarises and exports. See docs/fuzzing.md.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xray_tui::engine::dataset::Collector;
use xray_tui::model::Event;
use xray_tui::source::file;

fuzz_target!(|data: &[u8]| {
    let lines = data.iter().filter(|&&b| b == b'\n').count() + 1;
    let mut collector = Collector::new();
    file::load_bytes("fuzz", data, &mut |e| {
        if let Event::Warning(w) = &e {
            assert!(w.location.line.is_none_or(|l| l >= 1 && l <= lines), "{w}");
        }
        collector.push(e);
    });
    let data = collector.finish();
    let traces: Vec<_> = data.traces.iter().map(|t| t.as_ref()).collect();
    let _ = xray_tui::engine::export::batch_traces(&traces);
    let _ = xray_tui::engine::service_graph(traces.iter().copied());
});
