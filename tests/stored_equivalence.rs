//! Keeping documents as text (the data core since the scale redesign) gives exactly what
//! parsing every document as it was read gave: the same traces, summaries, service graph and
//! located warnings, in the same order, on the demo, on every fixture, on generated data and on
//! damaged input. The typed path (`file::load_bytes`) is the reference.

// Test helpers may unwrap: a missing fixture should fail the test loudly.
#![allow(clippy::unwrap_used)]

#[path = "benches/gen.rs"]
#[allow(dead_code)]
mod scale_gen;

use proptest::prelude::*;
use xray_tui::engine::dataset::{Collector, Dataset};
use xray_tui::engine::{export, service_graph};
use xray_tui::source::{file, parallel};

/// Both paths over the same inputs (name, bytes), each through the collector.
fn both(inputs: &[(&str, Vec<u8>)]) -> (Dataset, Dataset) {
    let mut typed = Collector::new();
    let mut stored = Collector::new();
    for (name, bytes) in inputs {
        file::load_bytes(name, bytes, &mut |e| typed.push(e));
        file::load_owned(name, bytes.clone(), &mut |e| stored.push(e));
    }
    (typed.finish(), stored.finish_with(parallel::map))
}

fn all_summaries(d: &Dataset) -> Vec<xray_tui::model::TraceSummary> {
    d.summaries().map(std::sync::Arc::unwrap_or_clone).collect()
}

/// Everything a user can see of a dataset, as text.
fn view(d: &Dataset) -> Vec<String> {
    let mut out = vec![
        format!("{:?}", d.rows),
        export::summaries_json(&all_summaries(d)).unwrap(),
        serde_json::to_string(&service_graph(d.traces.iter())).unwrap(),
    ];
    out.extend(d.warnings.iter().map(ToString::to_string));
    let traces: Vec<_> = d.traces.iter().collect();
    let refs: Vec<_> = traces.iter().map(|t| &**t).collect();
    out.push(serde_json::to_string(&export::batch_traces(&refs).unwrap()).unwrap());
    out
}

fn assert_same(inputs: &[(&str, Vec<u8>)]) -> Dataset {
    let (typed, stored) = both(inputs);
    assert_eq!(typed.traces.len(), stored.traces.len());
    for i in 0..typed.traces.len() {
        assert_eq!(typed.traces.get(i), stored.traces.get(i), "trace {i}");
    }
    let (a, b) = (view(&typed), view(&stored));
    assert_eq!(a.len(), b.len(), "warnings differ:\n{a:#?}\n{b:#?}");
    for (x, y) in a.iter().zip(&b) {
        assert!(x == y, "differs:\n  typed:  {x:.400}\n  stored: {y:.400}");
    }
    stored
}

fn fixtures() -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from("tests/fixtures")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_none_or(|x| x != "md") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_demo_is_the_same() {
    let d = assert_same(&[(
        "demo",
        xray_tui::source::load::DEMO_NDJSON.as_bytes().to_vec(),
    )]);
    assert!(d.traces.len() > 300);
    // And the stored path did keep the documents as text.
    let mut stored = 0;
    file::load_owned(
        "demo",
        xray_tui::source::load::DEMO_NDJSON.into(),
        &mut |e| {
            stored += usize::from(matches!(
                e,
                xray_tui::model::Event::Item(xray_tui::model::Item::Stored(_))
            ));
        },
    );
    assert!(stored > 1000, "{stored} stored documents");
}

#[test]
fn every_fixture_is_the_same_alone_and_all_together() {
    let all: Vec<(String, Vec<u8>)> = fixtures()
        .into_iter()
        .map(|p| (p.to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    assert!(all.len() > 30);
    for (name, bytes) in &all {
        assert_same(&[(name.as_str(), bytes.clone())]);
    }
    let together: Vec<(&str, Vec<u8>)> = all.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    let d = assert_same(&together);
    assert!(!d.warnings.is_empty(), "the damaged fixtures warn");
}

#[test]
fn generated_data_and_its_batch_output_are_the_same() {
    let cfg = scale_gen::Config {
        traces: 400,
        ..scale_gen::Config::default()
    };
    let mut ndjson = Vec::new();
    scale_gen::write_ndjson(&cfg, &mut ndjson).unwrap();
    let mut batch: Vec<u8> = Vec::new();
    // The batch output of the loaded NDJSON, as `trace --all --format json` writes it.
    let d = assert_same(&[("gen.ndjson", ndjson)]);
    assert_eq!(d.traces.len(), 400);
    let traces: Vec<_> = d.traces.iter().collect();
    let refs: Vec<_> = traces.iter().map(|t| &**t).collect();
    batch.extend(serde_json::to_vec_pretty(&export::batch_traces(&refs).unwrap()).unwrap());
    assert_same(&[("gen.json", batch)]);
}

#[test]
fn documents_of_one_trace_in_two_files_assemble_together() {
    let text = xray_tui::source::load::DEMO_NDJSON;
    let lines: Vec<&str> = text.lines().collect();
    let (a, b) = lines.split_at(lines.len() / 2);
    let d = assert_same(&[
        ("a.ndjson", a.join("\n").into_bytes()),
        ("b.ndjson", b.join("\n").into_bytes()),
    ]);
    let whole = assert_same(&[("demo", text.as_bytes().to_vec())]);
    assert_eq!(
        export::summaries_json(&all_summaries(&d)).unwrap(),
        export::summaries_json(&all_summaries(&whole)).unwrap()
    );
}

#[test]
fn damaged_documents_warn_at_the_same_places() {
    let good = r#"{"trace_id":"1-5f84c7a3-0123456789abcdef01234567","id":"aaaaaaaaaaaaaaaa","name":"a","start_time":1,"end_time":2}"#;
    let bad_type = r#"{"trace_id":"1-5f84c7a3-0123456789abcdef01234567","id":"bbbbbbbbbbbbbbbb","name":"b","start_time":1,"end_time":2,"http":{"response":{"status":"x"}}}"#;
    let no_id = r#"{"trace_id":"1-5f84c7a3-0123456789abcdef01234568","name":"c","start_time":1}"#;
    let deep = {
        let mut s = String::from(
            r#"{"trace_id":"1-5f84c7a3-0123456789abcdef01234569","id":"cccccccccccccccc","name":"d","start_time":1,"metadata":"#,
        );
        s.push_str(&"[".repeat(200));
        s.push_str(&"]".repeat(200));
        s.push('}');
        s
    };
    let ndjson = [good, bad_type, "{not json", no_id, &deep, good].join("\n");
    let d = assert_same(&[("bad.ndjson", ndjson.into_bytes())]);
    assert!(d.warnings.len() >= 3, "{:#?}", d.warnings);
    assert!(
        d.warnings[0].to_string().starts_with("bad.ndjson:2:"),
        "{}",
        d.warnings[0]
    );
    let array = format!("[{good},\n  {bad_type},\n  {no_id}]");
    assert_same(&[("bad-array.json", array.into_bytes())]);
    let batch = serde_json::json!({"Traces": [
        {"Id": "1-5f84c7a3-0123456789abcdef01234567", "Segments": [
            {"Id": "a", "Document": good},
            {"Id": "b", "Document": bad_type},
            {"Id": "c", "Document": "{oops"},
            {"Id": "d", "Document": 3},
            {"Id": "e"},
        ]},
        {"Id": "1-5f84c7a3-0123456789abcdef01234560", "Segments": [{"Id": "f", "Document": no_id}]},
    ]});
    let d = assert_same(&[("bad-batch.json", serde_json::to_vec_pretty(&batch).unwrap())]);
    assert!(d.warnings.len() >= 4, "{:#?}", d.warnings);
    let mut bytes = good.as_bytes().to_vec();
    bytes.extend_from_slice(b"\n\xff\xfe");
    bytes.extend_from_slice(bad_type.as_bytes());
    assert_same(&[("utf8.ndjson", bytes)]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    /// Any damage to any byte of real documents: the same data and the same warnings.
    #[test]
    fn damage_anywhere_reads_the_same(at in 0usize..40_000, byte in any::<u8>(), cut in 0usize..3) {
        let text = xray_tui::source::load::DEMO_NDJSON.as_bytes();
        let mut bytes = text[..60_000.min(text.len())].to_vec();
        let at = at % bytes.len();
        match cut {
            0 => bytes[at] = byte,
            1 => bytes.truncate(at),
            _ => bytes.insert(at, byte),
        }
        assert_same(&[("damaged.ndjson", bytes)]);
    }
}

#[test]
fn the_streamed_summaries_export_is_byte_identical() {
    let (typed, stored) = both(&[(
        "demo",
        xray_tui::source::load::DEMO_NDJSON.as_bytes().to_vec(),
    )]);
    let want = export::summaries_json(&all_summaries(&typed)).unwrap();
    let rows: Vec<usize> = (0..stored.rows.len()).collect();
    let mut got = Vec::new();
    xray_tui::cli::report::write_summaries_json(&mut got, &stored, &rows).unwrap();
    assert_eq!(String::from_utf8(got).unwrap(), want);
    // A selection, and none.
    let some: Vec<usize> = rows.iter().copied().filter(|i| i % 3 == 1).collect();
    let picked: Vec<_> = some
        .iter()
        .map(|&i| std::sync::Arc::unwrap_or_clone(typed.summary(i).unwrap()))
        .collect();
    let mut got = Vec::new();
    xray_tui::cli::report::write_summaries_json(&mut got, &stored, &some).unwrap();
    assert_eq!(
        String::from_utf8(got).unwrap(),
        export::summaries_json(&picked).unwrap()
    );
    let mut got = Vec::new();
    xray_tui::cli::report::write_summaries_json(&mut got, &stored, &[]).unwrap();
    assert_eq!(
        String::from_utf8(got).unwrap(),
        export::summaries_json(&[]).unwrap()
    );
}

/// A preview built from the traces a load finds, part by part ([`Collector::early`],
/// [`Dataset::append`]), holds every trace once, each the same as the whole load's once all
/// its documents are read, and gives the same service graph.
#[test]
fn a_preview_built_in_parts_is_the_whole_load() {
    let text = xray_tui::source::load::DEMO_NDJSON;
    let mut c = Collector::new();
    file::load_owned("demo", text.as_bytes().to_vec(), &mut |e| c.push(e));
    let found = c.trace_count();
    let mut preview = Dataset::default();
    for part in [0..1, 1..found / 4, found / 4..found / 2, found / 2..found] {
        preview.append(c.early(part).run(true).shown.unwrap());
    }
    let whole = c.finish();
    assert_eq!(preview.rows.len(), whole.rows.len());
    assert_eq!(preview.traces.len(), whole.traces.len());
    for i in 0..whole.traces.len() {
        let id = whole.traces.id(i).unwrap();
        let j = preview.traces.position(id).expect("every trace");
        assert_eq!(preview.traces.get(j), whole.traces.get(i), "{id}");
        let row = preview.row_of(id).unwrap();
        assert_eq!(
            preview.summary(row),
            whole.summary(whole.row_of(id).unwrap())
        );
    }
    assert_eq!(preview.traces.graph_of_all(), whole.traces.graph_of_all());
    // A part of a trace whose other documents come later is shown with what it has.
    let mut partial = Collector::new();
    let first_doc = text.lines().next().unwrap();
    file::load_owned("demo", format!("{first_doc}\n").into_bytes(), &mut |e| {
        partial.push(e)
    });
    let p = partial.early(0..1).run(true).shown.unwrap();
    assert_eq!(p.traces.len(), 1);
    assert!(!p.traces.get(0).unwrap().nodes.is_empty());
}
