//! `check --listen -- COMMAND`: the traces a command's app sends are received and checked. The
//! apps are real: the AWS X-Ray SDK for Python (`tests/daemon/app.py`) over UDP, and the
//! OpenTelemetry Python SDK over OTLP/HTTP with nothing configured but the environment
//! `check` sets. Skipped without Python and the SDKs, except under `CI=true`.

#[path = "support/listen.rs"]
mod listen_support;
#[path = "support/python.rs"]
mod python_support;

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_xray-tui");

fn python() -> Option<String> {
    python_support::python(
        "aws_xray_sdk, opentelemetry.sdk, opentelemetry.exporter.otlp.proto.http",
    )
}

fn check(assertions: &[&str], command: &[&str]) -> Output {
    let port = listen_support::free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut args = vec!["check", "--listen", addr.as_str(), "--settle", "0.5"];
    args.extend_from_slice(assertions);
    args.push("--");
    args.extend_from_slice(command);
    Command::new(BIN).args(&args).output().expect("runs")
}

/// The X-Ray SDK app sends an ok trace, a fault and a large one: `--none fault` fails and names
/// the fault trace; `--some fault` with a generous p99 passes.
#[test]
fn the_traces_of_an_xray_sdk_app_are_checked() {
    let Some(py) = python() else { return };
    let app = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/daemon/app.py");
    let out = check(&["--none", "fault"], &[&py, app, "traces"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    // The app prints its trace IDs first.
    let ids: serde_json::Value =
        serde_json::from_str(text.lines().next().expect("the app's line")).expect("json");
    let fault = ids["fault"].as_str().expect("fault id");
    assert!(text.contains("checking 3 traces"), "{text}");
    assert!(text.contains("FAIL  none: fault (1 match)"), "{text}");
    assert!(text.contains(fault), "{text}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:"), "{err}");

    let out = check(
        &["--some", "fault", "--max-p99", "5"],
        &[&py, app, "traces"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("all 2 checks passed"), "{text}");
}

/// An OpenTelemetry app that only reads the standard environment: its spans arrive over
/// OTLP/HTTP and are checked like segments (the 500 is a fault).
#[test]
fn the_spans_of_an_opentelemetry_app_are_checked() {
    let Some(py) = python() else { return };
    let script = r#"
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
p = TracerProvider(resource=Resource.create({"service.name": "otel-check"}))
p.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter()))
t = p.get_tracer("check")
with t.start_as_current_span("GET /orders", kind=trace.SpanKind.SERVER) as s:
    s.set_attribute("http.request.method", "GET")
    s.set_attribute("url.full", "http://localhost/orders")
    s.set_attribute("http.response.status_code", 500)
p.shutdown()
"#;
    let out = check(
        &["--some", "service(\"otel-check\")", "--none", "fault"],
        &[&py, "-c", script],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{text}\n{err}");
    assert!(err.contains("1 OTLP span;"), "{err}");
    assert!(
        text.contains("PASS  some: service(\"otel-check\") (1 match)"),
        "{text}"
    );
    assert!(text.contains("FAIL  none: fault (1 match)"), "{text}");
}

/// A command that fails fails the check, said on its own line, even when the assertions hold.
#[test]
fn a_failing_command_fails_the_check() {
    let Some(py) = python() else { return };
    let out = check(
        &["--max-fault-rate", "1"],
        &[&py, "-c", "import sys; sys.exit(3)"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("FAIL  the command exited with status 3"),
        "{text}"
    );
    // And without a command, --listen is a usage error.
    let out = Command::new(BIN)
        .args(["check", "--listen", "--none", "fault"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
}
