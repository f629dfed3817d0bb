//! The bare parse: what reading a file costs before xray-tui does anything with it.
//!
//! Why: every load figure of the scale benchmark (issue #13) is a ratio to this run of the same
//! bytes in the same invocation, so the figures compare designs rather than machines or load.
//! It is the "bare `serde_json` typed parse" of `docs/benchmarks.md`: read the file, then
//! deserialize every document into a lean typed struct (the fields summaries, the graph and the
//! filter need, owned; `cause`, `metadata` and unknown fields skipped), nested subsegments
//! included, with the same `serde_json` build (features) the library uses. For
//! `batch-get-traces` output it parses the outer JSON, then each `Document` string.
//!
//! It runs with the binary's global allocator (mimalloc), so that the ratio compares the work
//! done, not two allocators.
//!
//! Run: `cargo run --release --example baseline_parse -- FILE...` (NDJSON or batch output;
//! a file whose first key is `"Traces"` is batch output). Prints one line: bytes, documents,
//! entities, seconds, MB/s. `--model` parses into the library's own `Segment` instead (the
//! rich, round-trip-safe model: unknown fields kept), for comparison.

use std::collections::HashMap;
use std::time::Instant;

use serde::Deserialize;

/// A segment or subsegment, lean but typed.
#[derive(Deserialize)]
#[allow(dead_code)]
struct Doc {
    id: String,
    name: String,
    #[serde(default)]
    trace_id: Option<String>,
    #[serde(default)]
    parent_id: Option<String>,
    start_time: f64,
    #[serde(default)]
    end_time: Option<f64>,
    #[serde(default)]
    in_progress: Option<bool>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    origin: Option<String>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    error: Option<bool>,
    #[serde(default)]
    fault: Option<bool>,
    #[serde(default)]
    throttle: Option<bool>,
    #[serde(default)]
    http: Option<Http>,
    #[serde(default)]
    aws: Option<Aws>,
    #[serde(default)]
    sql: Option<Sql>,
    #[serde(default)]
    annotations: Option<HashMap<String, serde_json::Value>>,
    #[serde(default)]
    subsegments: Vec<Doc>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Http {
    #[serde(default)]
    request: Option<Request>,
    #[serde(default)]
    response: Option<Response>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Request {
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    user_agent: Option<String>,
    #[serde(default)]
    client_ip: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Response {
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    content_length: Option<u64>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Aws {
    #[serde(default)]
    operation: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
    #[serde(default)]
    table_name: Option<String>,
    #[serde(default)]
    queue_url: Option<String>,
    #[serde(default)]
    bucket_name: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Sql {
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    sanitized_query: Option<String>,
    #[serde(default)]
    database_type: Option<String>,
}

/// `batch-get-traces` output: documents as JSON strings.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Batch {
    traces: Vec<BatchTrace>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct BatchTrace {
    id: String,
    #[serde(default)]
    duration: Option<f64>,
    segments: Vec<BatchSegment>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct BatchSegment {
    id: String,
    document: String,
}

/// Entities in a document (itself and every nested subsegment).
fn entities(d: &Doc) -> u64 {
    1 + d.subsegments.iter().map(entities).sum::<u64>()
}

/// Entities in a document of the library's model.
fn model_entities(d: &xray_tui::model::Segment) -> u64 {
    1 + d.subsegments.iter().map(model_entities).sum::<u64>()
}

/// Parses one document; its entity count, or `None` when it does not parse.
fn parse(text: &[u8], model: bool) -> Option<u64> {
    if model {
        serde_json::from_slice::<xray_tui::model::Segment>(text)
            .ok()
            .map(|d| model_entities(&d))
    } else {
        serde_json::from_slice::<Doc>(text)
            .ok()
            .map(|d| entities(&d))
    }
}

/// The same allocator as the `xray-tui` binary: the baseline differs from it only in what is
/// done with the bytes.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut paths: Vec<String> = std::env::args().skip(1).collect();
    let model = paths.iter().any(|a| a == "--model");
    paths.retain(|a| a != "--model");
    assert!(!paths.is_empty(), "usage: baseline_parse FILE...");
    let t0 = Instant::now();
    let (mut bytes, mut docs, mut ents, mut bad) = (0u64, 0u64, 0u64, 0u64);
    for path in &paths {
        let data = std::fs::read(path).expect("read the input file");
        bytes += data.len() as u64;
        let first = data.iter().find(|b| !b.is_ascii_whitespace()).copied();
        let batch = first == Some(b'{')
            && data
                .windows(9)
                .take(64)
                .any(|w| w == b"\"Traces\":" || w == b"\"Traces\" ");
        if batch {
            match serde_json::from_slice::<Batch>(&data) {
                Ok(b) => {
                    for t in &b.traces {
                        for s in &t.segments {
                            match parse(s.document.as_bytes(), model) {
                                Some(n) => {
                                    docs += 1;
                                    ents += n;
                                }
                                None => bad += 1,
                            }
                        }
                    }
                }
                Err(_) => bad += 1,
            }
        } else {
            for line in data.split(|&b| b == b'\n') {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                match parse(line, model) {
                    Some(n) => {
                        docs += 1;
                        ents += n;
                    }
                    None => bad += 1,
                }
            }
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "baseline_parse: {bytes} bytes, {docs} documents, {ents} entities, {bad} unparsed, \
         {secs:.3} s, {:.0} MB/s",
        bytes as f64 / 1e6 / secs.max(1e-9)
    );
}
