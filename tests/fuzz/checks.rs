//! What the fuzz targets check, as functions of the input bytes. The targets in
//! `fuzz_targets/` call them; `tests/fuzz_checks.rs` calls them too, on the fixtures and on
//! random and mutated inputs, so they are compiled and run by every `cargo test` and cannot
//! drift from the library.

use xray_tui::engine::dataset::{Collector, Dataset};
use xray_tui::filter::{Vocabulary, complete, parse};
use xray_tui::model::Event;
use xray_tui::source::REJECT_REASONS;
use xray_tui::source::daemon::datagram::check_datagram;
use xray_tui::source::file;

/// The filter language never panics, an error's span lies inside the input, and whatever
/// parses prints back to the same tree.
pub fn filter_parse(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    match parse(input) {
        Ok(f) => {
            let printed = f.to_string();
            let again = parse(&printed).expect("normalised text parses");
            assert_eq!(again, f, "round trip of {printed:?}");
        }
        Err(e) => {
            assert!(e.span.start <= e.span.end && e.span.end <= input.len());
            let _ = e.render(input);
        }
    }
    let _ = complete(input, input.len(), &Vocabulary::default());
    let _ = complete(input, input.len() / 2, &Vocabulary::default());
}

/// Loads `data` one way (`owned`: documents kept as text, as the app and the commands read a
/// file; otherwise each parsed as it is read); every warning's line lies inside the input.
fn load(data: &[u8], owned: bool) -> Dataset {
    let lines = data.iter().filter(|&&b| b == b'\n').count() + 1;
    let mut collector = Collector::new();
    let mut sink = |e: Event| {
        if let Event::Warning(w) = &e {
            assert!(w.location.line.is_none_or(|l| l >= 1 && l <= lines), "{w}");
        }
        collector.push(e);
    };
    if owned {
        file::load_owned("fuzz", data.to_vec(), &mut sink);
    } else {
        file::load_bytes("fuzz", data, &mut sink);
    }
    collector.finish()
}

/// The file reader never panics on any bytes, both ways of reading find the same traces with
/// the same rows, and what loads assembles, summarises, exports and makes a service graph.
pub fn segment_documents(data: &[u8]) {
    let text = load(data, true);
    let parsed = load(data, false);
    let ids = |d: &Dataset| d.traces.ids().map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(ids(&text), ids(&parsed), "the same traces either way");
    assert_eq!(text.rows.len(), parsed.rows.len());
    for d in [&text, &parsed] {
        let traces: Vec<_> = d.traces.iter().collect();
        let refs: Vec<_> = traces.iter().map(|t| t.as_ref()).collect();
        let _ = xray_tui::engine::export::batch_traces(&refs);
        let _ = xray_tui::engine::service_graph(refs.iter().copied());
        assert_eq!(d.summaries().count(), d.rows.len());
    }
}

/// The daemon's datagram check never panics, an accepted datagram's document and trace ID lie
/// inside it, and a rejected one has one of the counted reasons.
pub fn datagrams(data: &[u8]) {
    match check_datagram(data) {
        Ok(c) => {
            assert!(c.doc.len() <= data.len());
            assert!(c.trace_id.len() <= data.len());
        }
        Err(e) => assert!(REJECT_REASONS.contains(&e.reason())),
    }
}
