//! The scale generator (`tests/benches/gen.rs`) makes data the app reads without a single
//! warning, with the shapes the scale benchmarks rely on, the same bytes for the same seed.
//!
//! Why: the scale figures in `docs/benchmarks.md` are only comparable between runs and
//! between designs if the generated data is valid, realistic and reproducible; a generator that
//! drifts into warnings would measure the error path instead of the load.

#[path = "benches/gen.rs"]
#[allow(dead_code)]
mod scale_gen;

use std::path::PathBuf;

use scale_gen::{Config, DATAGRAM_HEADER};
use xray_tui::cli::SourceArgs;
use xray_tui::engine::dataset::Dataset;

/// A file in the temp dir, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, bytes: &[u8]) -> Self {
        let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("xray-tui-scale-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).expect("write temp file");
        Self(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Loads `bytes` through the CLI's loader; asserts that nothing was warned about.
fn load(name: &str, bytes: &[u8]) -> Dataset {
    let file = TempFile::new(name, bytes);
    let source = SourceArgs {
        files: vec![file.0.to_string_lossy().into_owned()],
        ..Default::default()
    };
    let mut warnings = Vec::new();
    let data = xray_tui::cli::load(&source, &mut warnings).expect("loads");
    assert_eq!(String::from_utf8_lossy(&warnings), "", "warnings on {name}");
    assert!(data.warnings.is_empty(), "{:?}", data.warnings);
    data
}

fn cfg(traces: u64) -> Config {
    Config {
        traces,
        in_progress_every: 50,
        ..Config::default()
    }
}

fn ndjson(cfg: &Config) -> Vec<u8> {
    let mut out = Vec::new();
    scale_gen::write_ndjson(cfg, &mut out).expect("writes");
    out
}

#[test]
fn ndjson_loads_without_warnings_with_the_expected_shapes() {
    let cfg = cfg(400);
    let bytes = ndjson(&cfg);
    let per_trace = bytes.len() / 400;
    assert!((2000..3500).contains(&per_trace), "{per_trace} B/trace");
    let data = load("shapes.ndjson", &bytes);
    assert_eq!(data.traces.len(), 400);
    assert_eq!(data.rows.len(), 400);

    // Exactly one trace in 50 is still running; nothing else is partial (no orphans).
    let partial = data
        .rows
        .iter()
        .filter(|s| s.is_partial == Some(true))
        .count();
    assert_eq!(partial, 8);
    let in_progress = data
        .traces
        .iter()
        .filter(|t| t.nodes.iter().any(|n| n.doc.is_in_progress()))
        .count();
    assert_eq!(in_progress, 8);

    let share = |f: fn(&xray_tui::model::row::Row) -> bool| {
        data.rows.iter().filter(|s| f(s)).count() as f64 / 400.0
    };
    let (fault, error, throttle) = (
        share(|s| s.has_fault),
        share(|s| s.has_error),
        share(|s| s.has_throttle),
    );
    assert!((0.003..0.08).contains(&fault), "fault share {fault}");
    assert!((0.01..0.15).contains(&error), "error share {error}");
    assert!(
        (0.003..0.08).contains(&throttle),
        "throttle share {throttle}"
    );

    // The documents: 1 to ~10 a trace, some subsegments sent on their own, the origins and
    // downstream kinds the issue lists, nesting up to 9 or 10 deep.
    let text = String::from_utf8(bytes).expect("utf-8");
    for needle in [
        "\"origin\":\"AWS::ApiGateway::Stage\"",
        "\"origin\":\"AWS::Lambda::Function\"",
        "\"origin\":\"AWS::ECS::Container\"",
        "\"origin\":\"AWS::EKS::Container\"",
        "\"type\":\"subsegment\"",
        "\"table_name\":",
        "\"queue_url\":",
        "\"bucket_name\":",
        "\"sanitized_query\":",
        "\"namespace\":\"remote\"",
        "\"stack\":[",
        "\"user\":\"customer-",
        "\"metadata\":",
        "\"annotations\":",
        "\"in_progress\":true",
        "\"status\":429",
    ] {
        assert!(text.contains(needle), "no {needle}");
    }
    let docs = data.traces.iter().map(|t| {
        t.nodes
            .iter()
            .filter(|n| n.kind == xray_tui::model::trace::NodeKind::Segment)
            .count()
    });
    let (min, max) = docs.fold((usize::MAX, 0), |(a, b), n| (a.min(n), b.max(n)));
    assert_eq!(min, 1);
    assert!((7..=10).contains(&max), "at most {max} segments a trace");
    let depth = data
        .traces
        .iter()
        .filter_map(|t| t.nodes.iter().map(|n| n.depth).max())
        .max()
        .unwrap_or(0);
    assert!((8..=10).contains(&depth), "depth {depth}");
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let a = ndjson(&cfg(300));
    assert_eq!(a, ndjson(&cfg(300)));
    let other = Config {
        seed: 7,
        ..cfg(300)
    };
    assert_ne!(a, ndjson(&other));
}

#[test]
fn batch_get_traces_output_loads_the_same_traces() {
    let cfg = cfg(200);
    let mut files: Vec<TempFile> = Vec::new();
    let w = scale_gen::write_batch(&cfg, 80, &mut |k| {
        let f = TempFile::new(&format!("batch.{k:03}.json"), b"");
        let out = std::fs::File::create(&f.0)?;
        files.push(f);
        Ok(Box::new(out))
    })
    .expect("writes");
    assert_eq!((w.traces, files.len()), (200, 3));
    let mut ids = Vec::new();
    for f in &files {
        let bytes = std::fs::read(&f.0).expect("read back");
        let data = load("batch.json", &bytes);
        ids.extend(data.rows.iter().map(|s| s.id.to_string()));
    }
    let from_ndjson = load("batch.ndjson", &ndjson(&cfg));
    let mut want: Vec<String> = from_ndjson.rows.iter().map(|s| s.id.to_string()).collect();
    ids.sort();
    want.sort();
    assert_eq!(ids, want);
}

#[test]
fn the_huge_trace_is_one_trace_with_every_subsegment() {
    let mut out = Vec::new();
    let w = scale_gen::write_huge(1, 1000, &mut out).expect("writes");
    assert_eq!(w.documents, 11);
    let data = load("huge.ndjson", &out);
    assert_eq!(data.traces.len(), 1);
    assert_eq!(data.traces.get(0).unwrap().nodes.len(), 1001);
}

#[test]
fn datagrams_are_realistic_documents_of_their_size() {
    for (target, subs) in [(1024, 0..=3), (8192, 15..=25)] {
        let (d, at) = scale_gen::datagram(1, target);
        assert!(d.len() <= target && d.len() > target * 3 / 4, "{}", d.len());
        assert!(d.starts_with(DATAGRAM_HEADER.as_bytes()));
        assert_eq!(&d[at..at + 24], b"000000000000000000000000");
        let doc: xray_tui::model::Segment =
            serde_json::from_slice(&d[DATAGRAM_HEADER.len()..]).expect("a segment");
        assert!(
            subs.contains(&doc.subsegments.len()),
            "{}",
            doc.subsegments.len()
        );
        // No padding: no string value longer than a realistic field.
        let text = String::from_utf8_lossy(&d);
        let longest = text.split('"').map(str::len).max().unwrap_or(0);
        assert!(longest < 200, "a {longest}-byte string");
    }
}
