//! Real clients: the official AWS X-Ray SDK for Python (`aws-xray-sdk`) sends traces to
//! `xray-tui listen --headless --save`, and its centralized sampler polls xray-tui's sampling
//! endpoints. The app is `tests/daemon/app.py`.
//!
//! The interpreter is `$XRAY_TUI_PYTHON` (`.ci/run` points it at a venv it creates when the
//! global `python3` lacks the SDK), else `python3`. Without Python or the SDK the tests are
//! skipped with a message, except under `CI=true`, where they fail.

#[path = "support/aws_nodes.rs"]
mod aws_nodes;
#[path = "support/listen.rs"]
mod listen_support;
#[path = "support/python.rs"]
mod python_support;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_xray-tui");

fn python() -> Option<String> {
    python_support::python("aws_xray_sdk")
}

use listen_support::free_port;

/// Gives the last datagrams the SDK sent time to arrive, then stops the daemon.
fn stop_after_drain(child: std::process::Child) -> String {
    std::thread::sleep(Duration::from_millis(300));
    listen_support::stop(child)
}

fn app(py: &str, port: u16, mode: &str) -> serde_json::Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/daemon/app.py");
    let out = Command::new(py)
        .arg(script)
        .arg(mode)
        .env("AWS_XRAY_DAEMON_ADDRESS", format!("127.0.0.1:{port}"))
        .env_remove("AWS_XRAY_SDK_ENABLED")
        .env_remove("AWS_XRAY_TRACING_NAME")
        .env_remove("AWS_XRAY_CONTEXT_MISSING")
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "app.py {mode} failed (SDK warnings or errors?):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("app.py prints JSON")
}

fn xray(args: &[&str], file: &PathBuf) -> Output {
    let out = Command::new(BIN)
        .args(args)
        .arg("--file")
        .arg(file)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[cfg(unix)]
#[test]
fn python_sdk_traces_arrive_and_assemble() {
    let Some(py) = python() else { return };
    let port = free_port();
    let save = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("xray-tui-py-{}.ndjson", std::process::id()));
    let _ = std::fs::remove_file(&save);
    let daemon = listen_support::start(port, &save);
    let ids = app(&py, port, "traces");
    let err = stop_after_drain(daemon);
    assert!(!err.contains("rejected"), "{err}");

    let saved = std::fs::read_to_string(&save).expect("saved");
    let docs: Vec<serde_json::Value> = saved
        .lines()
        .map(|l| serde_json::from_str(l).expect("NDJSON line"))
        .collect();
    let streamed = docs.iter().filter(|d| d["type"] == "subsegment").count();
    assert!(
        streamed >= 30,
        "the large trace streams its subsegments: {streamed}"
    );

    let q = xray(&["query", "--format", "json"], &save);
    let v: serde_json::Value = serde_json::from_slice(&q.stdout).expect("json");
    let sums = v["TraceSummaries"].as_array().expect("summaries");
    assert_eq!(sums.len(), 3, "{v:#}");
    let find = |k: &str| {
        sums.iter()
            .find(|s| s["Id"] == ids[k])
            .unwrap_or_else(|| panic!("{k} trace in {v:#}"))
    };
    let ok = find("ok");
    assert_eq!(ok["Http"]["HttpStatus"], 200, "{ok:#}");
    assert_eq!(ok["HasFault"], false);
    let ann = ok["Annotations"].to_string();
    assert!(
        ann.contains("customer_tier") && ann.contains("gold"),
        "{ann}"
    );
    let names: Vec<&str> = ok["ServiceIds"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(|s| s["Name"].as_str())
        .collect();
    assert!(
        names.contains(&"frontend") && names.contains(&"backend"),
        "{names:?}"
    );
    let fault = find("fault");
    assert_eq!(fault["HasFault"], true, "{fault:#}");
    assert_eq!(find("large")["IsPartial"], false);

    // The fault's exception and the large trace's 40 subsegments, assembled.
    let t = xray(
        &[
            "trace",
            ids["fault"].as_str().expect("id"),
            "--format",
            "json",
        ],
        &save,
    );
    let text = String::from_utf8_lossy(&t.stdout);
    assert!(text.contains("card processor unavailable"), "{text}");
    let t = xray(&["trace", ids["large"].as_str().expect("id")], &save);
    let text = String::from_utf8_lossy(&t.stdout);
    assert_eq!(
        (0..40)
            .filter(
                |i| text.contains(&format!("work-{i} ")) || text.contains(&format!("work-{i}\n"))
            )
            .count(),
        40,
        "{text}"
    );
    // The downstream call shows as an edge in the service graph.
    let g = xray(&["graph", "--format", "json"], &save);
    let g: serde_json::Value = serde_json::from_slice(&g.stdout).expect("graph");
    let edges = g.to_string();
    assert!(edges.contains("backend"), "{g:#}");
    let _ = std::fs::remove_file(&save);
}

#[cfg(unix)]
#[test]
fn python_sdk_centralized_sampling_talks_to_xray_tui() {
    let Some(py) = python() else { return };
    let port = free_port();
    let save = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("xray-tui-pys-{}.ndjson", std::process::id()));
    let daemon = listen_support::start(port, &save);
    let got = app(&py, port, "sampling");
    let err = stop_after_drain(daemon);
    assert_eq!(got["rules"], serde_json::json!(["Default"]), "{got}");
    assert_eq!(got["rate"], 0.05);
    assert_eq!(got["quota"], 1, "SamplingTargets answered: {got}");
    assert!(got["sampled"].as_u64().is_some_and(|n| n >= 1), "{got}");
    assert!(
        err.contains("sampling 2"),
        "GetSamplingRules + SamplingTargets: {err}"
    );
    let _ = std::fs::remove_file(&save);
}

/// Issue 15, item 1, live: the Python SDK's patched boto3 calls DynamoDB, SQS, S3 and SNS
/// (moto's in-process AWS), its subsegments go through `listen`, and the saved trace makes the
/// nodes X-Ray draws (`tests/support/aws_nodes.rs`; the same check runs on the captured
/// fixture in `tests/file_source.rs`).
#[cfg(unix)]
#[test]
fn python_sdk_aws_calls_make_xrays_nodes_through_listen() {
    let Some(py) = python() else { return };
    let port = free_port();
    let save = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("xray-tui-py-aws-{}.ndjson", std::process::id()));
    let _ = std::fs::remove_file(&save);
    let daemon = listen_support::start(port, &save);
    let ids = app(&py, port, "aws");
    let err = stop_after_drain(daemon);
    assert!(!err.contains("rejected"), "{err}");
    let source = xray_tui::cli::SourceArgs {
        files: vec![save.display().to_string()],
        ..Default::default()
    };
    let data = xray_tui::cli::load(&source, &mut std::io::sink()).expect("loads");
    assert_eq!(
        data.traces.get(0).map(|t| t.id.clone()),
        ids["aws"].as_str().map(str::to_owned)
    );
    aws_nodes::check(&data);
    let _ = std::fs::remove_file(&save);
}
