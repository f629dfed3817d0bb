//! `xray-tui listen` receives OpenTelemetry traces over OTLP (issue 16): the real binary, with
//! the real OpenTelemetry Python SDK exporting over OTLP/HTTP and OTLP/gRPC
//! (`tests/daemon/otel_app.py`: a minimal trace, and a checkout service with boto3 under
//! `opentelemetry-instrumentation-botocore` against moto, HTTP, SQL, an exception and an error
//! status, checked through the capture's traces, graph, filter and summaries), and with plain HTTP/1.1 requests for what an SDK does not
//! send: JSON, gzip, the error answers, a decompression bomb, and backpressure (429 with
//! `Retry-After`, gRPC `RESOURCE_EXHAUSTED` with a `RetryInfo`).
//!
//! The Python interpreter is `$XRAY_TUI_PYTHON` (`tests/run.sh` points it at a venv with
//! `tests/daemon/requirements.txt`), else `python3`. Without the SDK that test is skipped with a
//! message, except under `CI=true`, where it fails.
#![cfg(target_os = "linux")]

#[path = "support/listen.rs"]
mod listen_support;
#[path = "support/python.rs"]
mod python_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

use listen_support::{free_port, proc_status};

const BIN: &str = env!("CARGO_BIN_EXE_xray-tui");

fn tmp(name: &str) -> PathBuf {
    std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("xray-tui-otlp-{}-{name}", std::process::id()))
}

/// A free TCP port on loopback.
fn tcp_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port()
}

/// `listen --headless` with OTLP on ports of its own; waits until both OTLP ports answer.
/// Returns the child and the HTTP and gRPC ports.
fn start(extra: &[&str]) -> (Child, u16, u16) {
    let (http, grpc) = (tcp_port(), tcp_port());
    let mut args = vec![
        "--otlp-http".to_owned(),
        format!("127.0.0.1:{http}"),
        "--otlp-grpc".to_owned(),
        format!("127.0.0.1:{grpc}"),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|s| s.as_ref()).collect();
    let child = listen_support::start_command(Command::new(BIN), free_port(), &args);
    for port in [http, grpc] {
        listen_support::wait_for_tcp(port, "OTLP did not start");
    }
    (child, http, grpc)
}

/// The `stopped:` line of a stopped `listen`.
fn stopped_line(err: &str) -> &str {
    err.lines()
        .find(|l| l.starts_with("stopped: "))
        .unwrap_or_else(|| panic!("no stopped line in {err}"))
}

/// An answer: status, headers (lower-cased names), body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One HTTP/1.1 request on a connection of its own (`Connection: close`), read to its end.
fn request(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
    let mut c = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    c.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head += &format!("{k}: {v}\r\n");
    }
    head += "\r\n";
    c.write_all(head.as_bytes()).expect("head");
    // The server may answer (413) and close before the whole body is sent.
    let _ = c.write_all(body);
    read_answer(&mut c)
}

fn read_answer(c: &mut TcpStream) -> Answer {
    let mut raw = Vec::new();
    let _ = c.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no answer head: {}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

/// An OTLP/JSON request: one span per `(span id, parent id)` of trace `trace` (32 hex digits,
/// or empty for a span no translation can take).
fn otlp_json(service: &str, trace: &str, spans: &[(&str, &str)]) -> String {
    let spans: Vec<serde_json::Value> = spans
        .iter()
        .enumerate()
        .map(|(i, (id, parent))| {
            serde_json::json!({
                "traceId": trace, "spanId": id, "parentSpanId": parent,
                "name": format!("span-{i}"), "kind": if parent.is_empty() { 2 } else { 3 },
                "startTimeUnixNano": "1700000000000000000",
                "endTimeUnixNano": "1700000000250000000",
            })
        })
        .collect();
    serde_json::json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
        "scopeSpans": [{"scope": {"name": "test"}, "spans": spans}],
    }]})
    .to_string()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

/// The saved file's documents.
fn saved_docs(save: &PathBuf) -> Vec<serde_json::Value> {
    std::fs::read_to_string(save)
        .expect("saved")
        .lines()
        .map(|l| serde_json::from_str(l).expect("an NDJSON line"))
        .collect()
}

fn query_ids(save: &PathBuf) -> Vec<String> {
    let out = Command::new(BIN)
        .args(["query", "--format", "ids", "--file"])
        .arg(save)
        .output()
        .expect("query");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// X-Ray's form of a 32-hex-digit trace ID.
fn xray_id(hex: &str) -> String {
    format!("1-{}-{}", &hex[..8], &hex[8..])
}

/// The interpreter with the OpenTelemetry SDK and its OTLP exporters.
fn python() -> Option<String> {
    python_support::python(
        "opentelemetry.sdk.trace, opentelemetry.exporter.otlp.proto.http.trace_exporter, \
         opentelemetry.exporter.otlp.proto.grpc.trace_exporter",
    )
}

/// Runs `tests/daemon/otel_app.py ARGS` (with `env`) against the listener's OTLP ports, stops
/// the listener, and returns what the script says it sent and the listener's stderr.
fn run_otel_app(
    py: &str,
    args: &[&str],
    env: &[(&str, &std::ffi::OsStr)],
    child: std::process::Child,
    (http, grpc): (u16, u16),
) -> (serde_json::Value, String) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/daemon/otel_app.py");
    let out = Command::new(py)
        .arg(script)
        .args(args)
        .env(
            "OTLP_HTTP_ENDPOINT",
            format!("http://127.0.0.1:{http}/v1/traces"),
        )
        .env("OTLP_GRPC_ENDPOINT", format!("http://127.0.0.1:{grpc}"))
        .envs(env.iter().copied())
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .env_remove("OTEL_SDK_DISABLED")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("python");
    let err = listen_support::stop(child);
    assert!(
        out.status.success(),
        "otel_app.py {args:?} failed:\n{}\n{err}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sent = serde_json::from_slice(&out.stdout).expect("otel_app prints JSON");
    (sent, err)
}

/// The span IDs `otel_app.py` says it sent for one protocol, sorted.
fn span_ids(sent: &serde_json::Value) -> Vec<&str> {
    let mut ids: Vec<&str> = sent["spans"]
        .as_array()
        .expect("spans")
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    ids.sort_unstable();
    ids
}

/// The OpenTelemetry Python SDK exports one trace over OTLP/HTTP (protobuf) and one over
/// OTLP/gRPC; `--save` holds one segment document per span, and the capture reopens.
#[test]
fn the_python_sdk_exports_over_http_and_grpc() {
    let Some(py) = python() else { return };
    let save = tmp("sdk.ndjson");
    let _ = std::fs::remove_file(&save);
    let (child, http, grpc) = start(&["--save", save.to_str().expect("path")]);
    let (sent, err) = run_otel_app(&py, &[], &[], child, (http, grpc));
    let line = stopped_line(&err);
    assert!(
        line.contains("otlp requests 2 spans 6 accepted 6"),
        "one request per protocol, three spans each: {line}"
    );
    assert!(
        !line.contains("otlp-"),
        "nothing rejected, throttled or refused: {line}"
    );
    assert!(line.contains("saved 6"), "{line}");

    let docs = saved_docs(&save);
    assert_eq!(docs.len(), 6, "one document per span: {docs:#?}");
    let mut traces = Vec::new();
    for protocol in ["http", "grpc"] {
        let trace = xray_id(sent[protocol]["trace"].as_str().expect("trace"));
        let want = span_ids(&sent[protocol]);
        let mut got: Vec<&str> = docs
            .iter()
            .filter(|d| d["trace_id"] == trace.as_str())
            .filter_map(|d| d["id"].as_str())
            .collect();
        got.sort_unstable();
        assert_eq!(got, want, "{protocol}: the documents of trace {trace}");
        traces.push(trace);
    }
    for d in &docs {
        for field in ["name", "id", "trace_id", "start_time"] {
            assert!(!d[field].is_null(), "a segment document has {field}: {d}");
        }
    }
    let mut ids = query_ids(&save);
    ids.sort();
    traces.sort();
    assert_eq!(ids, traces, "the capture reopens with --file");
    let _ = std::fs::remove_file(&save);
}

/// `xray-tui ARGS`'s standard output; fails the test if it fails.
fn xray_tui(args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new(BIN).args(args).output().expect("xray-tui");
    assert!(
        out.status.success(),
        "xray-tui {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// A checkout service as an app has it, instrumented with the real SDK
/// (`tests/daemon/otel_app.py shop`): boto3 under `opentelemetry-instrumentation-botocore`
/// against moto's in-process AWS, a payments API over HTTP, PostgreSQL, an exception and an
/// ERROR status; `checkout-http` exports over OTLP/HTTP, `checkout-grpc` over OTLP/gRPC. The
/// capture shows the traces with their faults and errors, the service graph (the DynamoDB
/// table as its node, the remote API, the database, the edges from the service) and answers
/// `service()`; and it reads back to the same summaries as the SDK's own encoding of the same
/// spans loaded as OTLP/JSON with `--file`.
#[test]
fn a_checkout_service_instrumented_with_the_sdk_reads_as_in_x_ray() {
    let Some(py) = python_support::python(
        "opentelemetry.sdk.trace, opentelemetry.exporter.otlp.proto.http.trace_exporter, \
         opentelemetry.exporter.otlp.proto.grpc.trace_exporter, \
         opentelemetry.instrumentation.botocore, boto3, moto",
    ) else {
        return;
    };
    let save = tmp("shop.ndjson");
    let export = tmp("shop-otlp.json");
    let _ = std::fs::remove_file(&save);
    let (child, http, grpc) = start(&["--save", save.to_str().expect("path")]);
    let (sent, err) = run_otel_app(
        &py,
        &["shop"],
        &[("OTLP_JSON_OUT", export.as_os_str())],
        child,
        (http, grpc),
    );
    let line = stopped_line(&err);
    assert!(
        line.contains("otlp requests 2 spans 16 accepted 16"),
        "one request per protocol, eight spans each: {line}"
    );
    assert!(!line.contains("otlp-"), "nothing refused: {line}");
    assert!(line.contains("traces 4 saved 16"), "{line}");

    // One document per span, under the trace the SDK made it in.
    let docs = saved_docs(&save);
    assert_eq!(docs.len(), 16, "{docs:#?}");
    let mut all_traces = Vec::new();
    for protocol in ["http", "grpc"] {
        let spans = sent[protocol]["spans"].as_object().expect("spans");
        assert_eq!(spans.len(), 2, "{protocol}: two traces");
        for (trace, ids) in spans {
            let trace = xray_id(trace);
            let mut want: Vec<&str> = ids
                .as_array()
                .expect("ids")
                .iter()
                .filter_map(|s| s.as_str())
                .collect();
            let mut got: Vec<&str> = docs
                .iter()
                .filter(|d| d["trace_id"] == trace.as_str())
                .filter_map(|d| d["id"].as_str())
                .collect();
            want.sort_unstable();
            got.sort_unstable();
            assert_eq!(got, want, "{protocol}: the documents of {trace}");
            all_traces.push(trace);
        }
    }
    let trace =
        |protocol: &str, which: &str| xray_id(sent[protocol][which].as_str().expect("a trace ID"));

    // The botocore instrumentation's spans: `aws` subsegments named by the service, with the
    // operation, the request ID and the table.
    let dynamo: Vec<&serde_json::Value> = docs.iter().filter(|d| d["name"] == "DynamoDB").collect();
    assert_eq!(dynamo.len(), 6, "PutItem, GetItem, PutItem per service");
    for d in &dynamo {
        assert_eq!(d["type"], "subsegment", "{d}");
        assert_eq!(d["namespace"], "aws", "{d}");
        assert_eq!(d["aws"]["table_name"], "orders", "{d}");
        assert!(
            ["PutItem", "GetItem"].contains(&d["aws"]["operation"].as_str().unwrap_or("")),
            "{d}"
        );
        assert!(
            d["aws"]["request_id"]
                .as_str()
                .is_some_and(|id| !id.is_empty()),
            "moto's request ID: {d}"
        );
    }
    let refused: Vec<_> = dynamo.iter().filter(|d| d["error"] == true).collect();
    assert_eq!(
        refused.len(),
        2,
        "the conditional PutItem, once per service"
    );
    for d in refused {
        assert_eq!(d["http"]["response"]["status"], 400, "{d}");
        assert!(d["fault"].is_null(), "a 400 is an error, not a fault: {d}");
        assert!(
            d["cause"]["exceptions"][0]["type"]
                .as_str()
                .is_some_and(|t| t.ends_with("ConditionalCheckFailedException")),
            "{d}"
        );
    }
    for d in docs.iter().filter(|d| d["name"] == "payments.local") {
        assert_eq!(d["namespace"], "remote", "{d}");
        assert_eq!(
            d["http"]["request"]["url"], "http://payments.local:8080/charge",
            "{d}"
        );
    }
    for d in docs
        .iter()
        .filter(|d| d["name"] == "orders@orders-db.internal")
    {
        assert_eq!(d["sql"]["database_type"], "postgresql", "{d}");
        assert_eq!(
            d["sql"]["sanitized_query"],
            "SELECT id, total FROM orders WHERE customer = $1"
        );
    }
    let raised: Vec<_> = docs
        .iter()
        .filter(|d| d["name"] == "render receipt")
        .collect();
    assert_eq!(raised.len(), 2);
    for d in raised {
        assert_eq!(d["fault"], true, "an ERROR status without HTTP status: {d}");
        let e = &d["cause"]["exceptions"][0];
        assert_eq!(
            (&e["type"], &e["message"]),
            (&"ValueError".into(), &"receipt template missing".into())
        );
        assert!(e["stack"].as_array().is_some_and(|s| !s.is_empty()), "{d}");
    }

    // The capture reads back to the same summaries as the SDK's encoding of the same spans.
    let live = xray_tui(&[
        "query".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        "--file".as_ref(),
        save.as_ref(),
    ]);
    let from_export = xray_tui(&[
        "query".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        "--file".as_ref(),
        export.as_ref(),
    ]);
    assert_eq!(
        live, from_export,
        "the capture against the spans as OTLP/JSON"
    );
    let summaries: serde_json::Value = serde_json::from_str(&live).expect("JSON");
    let summaries = summaries["TraceSummaries"].as_array().expect("summaries");
    let mut ids: Vec<String> = summaries
        .iter()
        .filter_map(|s| s["Id"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    all_traces.sort();
    assert_eq!(ids, all_traces);
    for protocol in ["http", "grpc"] {
        let of = |id: String| {
            summaries
                .iter()
                .find(|s| s["Id"] == id.as_str())
                .unwrap_or_else(|| panic!("no summary of {id}"))
        };
        let ok = of(trace(protocol, "ok"));
        let fault = of(trace(protocol, "fault"));
        assert_eq!(
            (&ok["HasFault"], &ok["HasError"], &ok["Http"]["HttpStatus"]),
            (&false.into(), &false.into(), &200.into()),
            "{ok}"
        );
        assert_eq!(
            (
                &fault["HasFault"],
                &fault["HasError"],
                &fault["Http"]["HttpStatus"]
            ),
            (&true.into(), &true.into(), &500.into()),
            "{fault}"
        );
        for s in [ok, fault] {
            assert_eq!(
                s["EntryPoint"]["Name"],
                format!("checkout-{protocol}"),
                "{s}"
            );
            assert!(s["Duration"].as_f64().is_some_and(|d| d > 0.0), "{s}");
            assert_eq!(s["Http"]["HttpURL"], "http://shop.local/checkout", "{s}");
        }
        let services: Vec<(&str, &str)> = ok["ServiceIds"]
            .as_array()
            .expect("ServiceIds")
            .iter()
            .map(|s| {
                (
                    s["Name"].as_str().unwrap_or(""),
                    s["Type"].as_str().unwrap_or(""),
                )
            })
            .collect();
        for want in [
            ("orders", "AWS::DynamoDB::Table"),
            ("payments.local", "remote"),
            ("orders@orders-db.internal", "Database::SQL"),
        ] {
            assert!(services.contains(&want), "{want:?} in {services:?}");
        }
    }

    // The service graph: each service's node with its edges to the table, the API and the
    // database; the failures on the table's node.
    let graph = xray_tui(&[
        "graph".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        "--file".as_ref(),
        save.as_ref(),
    ]);
    let graph: serde_json::Value = serde_json::from_str(&graph).expect("JSON");
    let nodes = graph["Services"].as_array().expect("Services");
    let node = |name: &str, kind: Option<&str>| {
        nodes
            .iter()
            .find(|n| n["Name"] == name && n["Type"].as_str() == kind)
            .unwrap_or_else(|| panic!("no node {name} {kind:?} in {graph}"))
    };
    let reference = |n: &serde_json::Value| n["ReferenceId"].as_i64().expect("ReferenceId");
    let table = node("orders", Some("AWS::DynamoDB::Table"));
    assert_eq!(table["SummaryStatistics"]["TotalCount"], 6, "{table}");
    assert_eq!(
        table["SummaryStatistics"]["ErrorStatistics"]["OtherCount"], 2,
        "{table}"
    );
    let targets = [
        reference(table),
        reference(node("payments.local", Some("remote"))),
        reference(node("orders@orders-db.internal", Some("Database::SQL"))),
    ];
    for protocol in ["http", "grpc"] {
        let service = node(&format!("checkout-{protocol}"), None);
        assert_eq!(service["Root"], true, "{service}");
        assert_eq!(
            service["SummaryStatistics"]["FaultStatistics"]["TotalCount"], 1,
            "{service}"
        );
        let mut edges: Vec<i64> = service["Edges"]
            .as_array()
            .expect("Edges")
            .iter()
            .filter_map(|e| e["ReferenceId"].as_i64())
            .collect();
        edges.sort_unstable();
        let mut want = targets.to_vec();
        want.sort_unstable();
        assert_eq!(edges, want, "the edges of checkout-{protocol}");
    }
    assert_eq!(
        nodes.len(),
        7,
        "two clients, two services, three downstream: {graph}"
    );
    let text = xray_tui(&[
        "graph".as_ref(),
        "--format".as_ref(),
        "text".as_ref(),
        "--file".as_ref(),
        save.as_ref(),
    ]);
    assert!(text.contains("-> orders (AWS::DynamoDB::Table)"), "{text}");
    assert!(text.contains("-> payments.local (remote)"), "{text}");
    assert!(
        text.contains("-> orders@orders-db.internal (Database::SQL)"),
        "{text}"
    );

    // `service()` picks one service's traces.
    for protocol in ["http", "grpc"] {
        let filter = format!("service(\"checkout-{protocol}\")");
        let ids = xray_tui(&[
            "query".as_ref(),
            "--filter".as_ref(),
            filter.as_ref(),
            "--format".as_ref(),
            "ids".as_ref(),
            "--file".as_ref(),
            save.as_ref(),
        ]);
        let mut ids: Vec<&str> = ids.lines().collect();
        ids.sort_unstable();
        let mut want = [trace(protocol, "ok"), trace(protocol, "fault")];
        want.sort();
        assert_eq!(ids, want, "{filter}");
    }
    let _ = std::fs::remove_file(&save);
    let _ = std::fs::remove_file(&export);
}

/// A W3C trace ID whose first 8 hex digits are its spans' start (1,700,000,000 s), so X-Ray
/// takes it: it is shown and saved as `1-6553f100-…`.
const TRACE: &str = "6553f1001a2b3c4d5e6f708192a3b4c5";

/// OTLP/JSON and gzip, a partial success, and the error answers, from a plain HTTP client.
#[test]
fn http_takes_json_and_gzip_and_answers_errors_as_the_spec_says() {
    let save = tmp("http.ndjson");
    let _ = std::fs::remove_file(&save);
    let (child, http, _) = start(&["--save", save.to_str().expect("path")]);
    let json = [("Content-Type", "application/json")];

    let a = request(
        http,
        "POST",
        "/v1/traces",
        &json,
        otlp_json("shop", TRACE, &[("70de5b6f19ff9a0a", "")]).as_bytes(),
    );
    assert_eq!((a.status, a.text()), (200, "{}".to_owned()));
    assert_eq!(a.header("content-type"), Some("application/json"));

    let child_span = otlp_json("shop", TRACE, &[("0102030405060708", "70de5b6f19ff9a0a")]);
    let a = request(
        http,
        "POST",
        "/v1/traces",
        &[
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Encoding", "gzip"),
        ],
        &gzip(child_span.as_bytes()),
    );
    assert_eq!((a.status, a.text()), (200, "{}".to_owned()), "gzip");

    // A span without IDs cannot become a document: a partial success that says so.
    let half = otlp_json("shop", "", &[("", "")]);
    let mut v: serde_json::Value = serde_json::from_str(&half).expect("json");
    let mut good: serde_json::Value = serde_json::from_str(&otlp_json(
        "shop",
        TRACE,
        &[("1112131415161718", "70de5b6f19ff9a0a")],
    ))
    .expect("json");
    v["resourceSpans"]
        .as_array_mut()
        .expect("array")
        .push(good["resourceSpans"][0].take());
    let a = request(http, "POST", "/v1/traces", &json, v.to_string().as_bytes());
    assert_eq!(a.status, 200, "{}", a.text());
    let body: serde_json::Value = serde_json::from_slice(&a.body).expect("json answer");
    assert_eq!(body["partialSuccess"]["rejectedSpans"], "1", "{body}");
    assert!(
        body["partialSuccess"]["errorMessage"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );

    // The protobuf answer to a protobuf request.
    let a = request(
        http,
        "POST",
        "/v1/traces",
        &[("Content-Type", "application/x-protobuf")],
        &[],
    );
    assert_eq!(a.status, 200);
    assert_eq!(a.header("content-type"), Some("application/x-protobuf"));
    assert!(a.body.is_empty(), "an empty ExportTraceServiceResponse");

    let a = request(
        http,
        "POST",
        "/v1/traces",
        &[("Content-Type", "text/plain")],
        b"x",
    );
    assert_eq!(a.status, 415, "{}", a.text());
    let a = request(
        http,
        "POST",
        "/v1/traces",
        &[
            ("Content-Type", "application/json"),
            ("Content-Encoding", "br"),
        ],
        b"x",
    );
    assert_eq!(a.status, 415, "{}", a.text());
    let a = request(http, "POST", "/v1/metrics", &json, b"{}");
    assert_eq!(a.status, 404, "{}", a.text());
    let a = request(http, "GET", "/v1/traces", &[], b"");
    assert_eq!(a.status, 405, "{}", a.text());
    assert_eq!(a.header("allow"), Some("POST"));
    let a = request(http, "POST", "/v1/traces", &json, b"{not json");
    assert_eq!(a.status, 400, "{}", a.text());
    // Past 5 MB: refused before the body is read, by its Content-Length...
    let mut c = TcpStream::connect(("127.0.0.1", http)).expect("connect");
    c.write_all(
        b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 6000000\r\n\r\n{\"resourceSpans\": [",
    )
    .expect("head");
    c.shutdown(std::net::Shutdown::Write).expect("shutdown");
    let a = read_answer(&mut c);
    assert_eq!(a.status, 413, "{}", a.text());
    // ...or, inflated, once 5 MB of it are out.
    let a = request(
        http,
        "POST",
        "/v1/traces",
        &[
            ("Content-Type", "application/json"),
            ("Content-Encoding", "gzip"),
        ],
        &gzip(&vec![b' '; 6_000_000]),
    );
    assert_eq!(a.status, 413, "{}", a.text());

    // More spans than X-Ray's OTLP endpoint takes in one request.
    let many = otlp_json("shop", TRACE, &vec![("70de5b6f19ff9a0a", ""); 10_001]);
    let a = request(http, "POST", "/v1/traces", &json, many.as_bytes());
    assert_eq!(a.status, 413, "{}", a.text());
    assert!(a.text().contains("10001 spans"), "{}", a.text());

    let err = listen_support::stop(child);
    let line = stopped_line(&err);
    assert!(
        line.contains("otlp requests 4 spans 4 accepted 3 otlp-rejected 1"),
        "{line}"
    );
    assert!(line.contains("otlp-refused 8"), "{line}");
    let docs = saved_docs(&save);
    assert_eq!(docs.len(), 3, "{docs:#?}");
    assert_eq!(query_ids(&save), vec![xray_id(TRACE)]);
    let _ = std::fs::remove_file(&save);
}

/// A gzip body that inflates to 256 MiB is refused (413) once 5 MB are out, with the
/// process's peak memory a few MB over what it had.
#[test]
fn a_decompression_bomb_is_refused_within_the_limit() {
    let (child, http, _) = start(&[]);
    let pid = child.id();
    // 256 MiB of zeros, gzipped (about 250 KB), made without holding them.
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..256 {
        e.write_all(&zeros).expect("gzip");
    }
    let bomb = e.finish().expect("gzip");
    assert!(bomb.len() < 1_000_000, "{}", bomb.len());
    let (_, before, _) = proc_status(pid);
    for _ in 0..3 {
        let a = request(
            http,
            "POST",
            "/v1/traces",
            &[
                ("Content-Type", "application/x-protobuf"),
                ("Content-Encoding", "gzip"),
            ],
            &bomb,
        );
        assert_eq!(a.status, 413, "{}", a.text());
    }
    let (_, peak, _) = proc_status(pid);
    let err = listen_support::stop(child);
    assert!(
        peak < before + 48 * 1024,
        "peak {peak} KiB from {before} KiB: the bomb was inflated past the limit"
    );
    assert!(stopped_line(&err).contains("otlp-refused 3"), "{err}");
}

/// When the daemon cannot take a request (here: room for none in its queue), HTTP answers 429
/// with `Retry-After` and gRPC `RESOURCE_EXHAUSTED` with a `RetryInfo` delay; both counted,
/// nothing filed.
#[test]
fn a_full_queue_answers_retry_later_on_both_protocols() {
    let save = tmp("busy.ndjson");
    let _ = std::fs::remove_file(&save);
    let (child, http, grpc) = start(&["--otlp-queue", "0", "--save", save.to_str().expect("path")]);
    let body = otlp_json("shop", TRACE, &[("70de5b6f19ff9a0a", "")]);
    let a = request(
        http,
        "POST",
        "/v1/traces",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    );
    assert_eq!(a.status, 429, "{}", a.text());
    assert_eq!(a.header("retry-after"), Some("1"));
    let status: serde_json::Value = serde_json::from_slice(&a.body).expect("a Status");
    assert_eq!(status["details"][0]["retryDelay"], "1s", "{status}");

    let a = request(
        http,
        "POST",
        "/v1/traces",
        &[("Content-Type", "application/x-protobuf")],
        &[],
    );
    assert_eq!(a.status, 429);
    assert_eq!(a.header("retry-after"), Some("1"));

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let status = rt.block_on(async {
        use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
        use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
        let mut client = TraceServiceClient::connect(format!("http://127.0.0.1:{grpc}"))
            .await
            .expect("connect");
        client
            .export(ExportTraceServiceRequest::default())
            .await
            .expect_err("throttled")
    });
    assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
    use tonic_types::StatusExt;
    let retry = status.get_details_retry_info().expect("a RetryInfo");
    assert_eq!(retry.retry_delay, Some(Duration::from_secs(1)));

    let err = listen_support::stop(child);
    let line = stopped_line(&err);
    assert!(
        line.contains("otlp requests 0 spans 0 accepted 0"),
        "{line}"
    );
    assert!(line.contains("otlp-throttled 3"), "{line}");
    assert_eq!(std::fs::read_to_string(&save).unwrap_or_default(), "");
    let _ = std::fs::remove_file(&save);
}

/// A busy listener answers 429 / `RESOURCE_EXHAUSTED` with a retry delay; the SDK's real
/// exporters wait and send again, and every span arrives once: nothing lost, nothing twice.
#[test]
fn the_sdks_exporters_retry_a_throttled_export_and_nothing_is_lost() {
    let Some(py) = python() else { return };
    for protocol in ["http", "grpc"] {
        let save = tmp(&format!("retried-{protocol}.ndjson"));
        let _ = std::fs::remove_file(&save);
        let (child, http, grpc) = start(&[
            "--otlp-throttle-first",
            "1",
            "--save",
            save.to_str().expect("path"),
        ]);
        let (sent, err) = run_otel_app(&py, &[protocol], &[], child, (http, grpc));
        let line = stopped_line(&err);
        assert!(
            line.contains("otlp requests 1 spans 3 accepted 3"),
            "{protocol}: the export sent again was taken: {line}"
        );
        assert!(line.contains("otlp-throttled 1"), "{protocol}: {line}");
        let want = span_ids(&sent[protocol]);
        let docs = saved_docs(&save);
        let mut got: Vec<&str> = docs.iter().filter_map(|d| d["id"].as_str()).collect();
        got.sort_unstable();
        assert_eq!(got, want, "{protocol}: each span saved once");
        let _ = std::fs::remove_file(&save);
    }
}

/// An OTLP port already taken (a Collector running, say) is a warning naming the flag to
/// change, and `listen` goes on with UDP and the other protocol.
#[test]
fn a_taken_otlp_port_is_a_warning_and_listen_goes_on() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let grpc = tcp_port();
    let args = [
        "--otlp-http".to_owned(),
        format!("127.0.0.1:{port}"),
        "--otlp-grpc".to_owned(),
        format!("127.0.0.1:{grpc}"),
    ];
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|s| s.as_ref()).collect();
    let child = listen_support::start_command(Command::new(BIN), free_port(), &args);
    let err = listen_support::stop(child);
    assert!(
        err.contains(&format!(
            "warning: OTLP/HTTP is off: cannot listen on 127.0.0.1:{port}"
        )) && err.contains("--otlp-http ADDR"),
        "{err}"
    );
    assert!(
        err.contains(&format!("otlp: grpc 127.0.0.1:{grpc}")),
        "{err}"
    );
    drop(taken);
}

/// A gRPC export with a span no translation can take (no trace or span ID) is a partial
/// success, as the spec says: the good span is filed, the bad one is counted in
/// `partial_success.rejected_spans` with a message saying why.
#[test]
fn grpc_answers_a_partial_success_for_a_bad_span() {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
    let save = tmp("grpc-partial.ndjson");
    let _ = std::fs::remove_file(&save);
    let (child, _, grpc) = start(&["--save", save.to_str().expect("path")]);
    use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
    // One good span and one with neither trace nor span ID, in one export.
    let span = |trace: Vec<u8>, id: Vec<u8>| Span {
        trace_id: trace,
        span_id: id,
        name: "GET /".into(),
        kind: 2,
        start_time_unix_nano: 1_700_000_000_000_000_000,
        end_time_unix_nano: 1_700_000_000_250_000_000,
        ..Default::default()
    };
    let hex = |s: &str| -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    };
    let request = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![KeyValue {
                    key: "service.name".into(),
                    value: Some(AnyValue {
                        value: Some(any_value::Value::StringValue("shop".into())),
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans: vec![
                    span(Vec::new(), Vec::new()),
                    span(hex(TRACE), hex("2122232425262728")),
                ],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let answer = rt.block_on(async {
        let mut client = TraceServiceClient::connect(format!("http://127.0.0.1:{grpc}"))
            .await
            .expect("connect");
        client.export(request).await.expect("an answer")
    });
    let partial = answer
        .into_inner()
        .partial_success
        .expect("a partial success");
    assert_eq!(partial.rejected_spans, 1, "{partial:?}");
    assert!(!partial.error_message.is_empty(), "{partial:?}");
    let err = listen_support::stop(child);
    let line = stopped_line(&err);
    assert!(
        line.contains("otlp requests 1 spans 2 accepted 1"),
        "{line}"
    );
    assert!(line.contains("otlp-rejected 1"), "{line}");
    let ids: Vec<String> = saved_docs(&save)
        .iter()
        .filter_map(|d| d["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(ids, ["2122232425262728"]);
    let _ = std::fs::remove_file(&save);
}

/// `--no-otlp` binds no OTLP port, even with addresses given for both: nothing answers on
/// them, and the start-up says nothing of OTLP.
#[test]
fn no_otlp_binds_no_otlp_port() {
    let (http, grpc) = (tcp_port(), tcp_port());
    let args = [
        "--no-otlp".to_owned(),
        "--otlp-http".to_owned(),
        format!("127.0.0.1:{http}"),
        "--otlp-grpc".to_owned(),
        format!("127.0.0.1:{grpc}"),
    ];
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|s| s.as_ref()).collect();
    let child = listen_support::start_command(Command::new(BIN), free_port(), &args);
    // The UDP and sampling sockets are bound; give OTLP time it would have had to bind.
    std::thread::sleep(Duration::from_millis(500));
    for port in [http, grpc] {
        // A connection to itself (the port is in the kernel's client range) is no listener.
        let listening = TcpStream::connect(("127.0.0.1", port))
            .is_ok_and(|s| s.local_addr().ok() != s.peer_addr().ok());
        assert!(!listening, "something listens on OTLP port {port}");
    }
    let err = listen_support::stop(child);
    assert!(!err.contains("otlp:"), "{err}");
    assert!(!stopped_line(&err).contains("otlp"), "{err}");
}
