//! End to end: the real binary in a pseudo-terminal on `--demo`. Keys go in, the screen is read
//! back through a VT100 parser, and quitting must leave the terminal as it was.

#[path = "support/pty.rs"]
mod pty;

use pty::Session;

#[test]
fn demo_session_finds_a_fault_and_quits_cleanly() {
    let mut s = Session::start(&["--demo"]);
    s.wait_for("X-Ray traces");
    s.wait_for("387 traces");
    // The faults, the first one opened, its deepest failing call found.
    s.send("f");
    s.wait_for("show faults");
    s.send("\r");
    s.wait_for("Trace 1-");
    s.send("nnnnnnnn6");
    s.wait_for("Exc");
    // A filter expression from the prompt.
    s.send("q/responsetime > 2\r");
    s.wait_for("/ responsetime > 2");
    s.send("q");
    let status = s.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    let raw = s.raw.lock().expect("raw").clone();
    let text = String::from_utf8_lossy(&raw);
    let enter = text
        .find("\u{1b}[?1049h")
        .expect("entered the alternate screen");
    let leave = text
        .rfind("\u{1b}[?1049l")
        .expect("left the alternate screen");
    assert!(leave > enter);
    assert!(
        text[leave..].contains("\u{1b}[?25h") || text[..leave].rfind("\u{1b}[?25h").is_some(),
        "cursor shown again"
    );
    // The log may hold request data (filter expressions, trace IDs): only its owner reads it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let data = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("xray-tui-pty-{}", std::process::id()));
        let log = std::fs::metadata(data.join("xray-tui.log")).expect("the session logged");
        assert_eq!(log.permissions().mode() & 0o777, 0o600);
    }
}

#[test]
fn ctrl_c_quits_from_the_prompt() {
    let mut s = Session::start(&["--demo"]);
    s.wait_for("387 traces");
    s.send("/fau");
    s.wait_for("/ fau");
    s.send("\u{3}");
    assert!(s.wait_exit().success());
    let raw = s.raw.lock().expect("raw").clone();
    assert!(String::from_utf8_lossy(&raw).contains("\u{1b}[?1049l"));
}

#[test]
fn without_a_terminal_it_says_so_and_exits_2() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_xray-tui"))
        .arg("--demo")
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("terminal"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn listen_opens_the_app_and_shows_segments_as_they_arrive() {
    let save = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("xray-tui-pty-listen-{}.ndjson", std::process::id()));
    let _ = std::fs::remove_file(&save);
    let save_arg = save.to_string_lossy().into_owned();
    let (mut s, addr) = Session::start_listen(&save_arg);
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").expect("client socket");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64();
    let segment = serde_json::json!({
        "id": "70de5b6f19ff9a0a",
        "trace_id": format!("1-{:08x}-a006649127e371903a2de979", now as u64),
        "name": "live-checkout",
        "start_time": now - 0.25,
        "end_time": now,
        "http": {"request": {"method": "POST", "url": "http://shop/api/live-order"},
                 "response": {"status": 502}},
        "fault": true,
    });
    let datagram = format!("{{\"format\":\"json\",\"version\":1}}\n{segment}");
    sock.send_to(datagram.as_bytes(), &addr).expect("send");
    sock.send_to(b"{\"format\":\"json\",\"version\":1}\n{\"id\": oops", &addr)
        .expect("send");
    // The trace shows up without a key press; the bad datagram is counted.
    s.wait_for("/api/live-order");
    s.wait_for("bad 1");
    s.send("D");
    s.wait_for("Rejected datagrams: 1");
    s.send("\u{1b}");
    s.send("\r");
    s.wait_for("live-checkout");
    s.send("qq");
    let status = s.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    let saved = std::fs::read_to_string(&save).expect("the --save file");
    assert!(saved.contains("live-order"), "{saved}");
    let _ = std::fs::remove_file(&save);
}

/// OpenTelemetry spans posted over OTLP/HTTP reach the app's list as they arrive, like UDP
/// segments: the list shows each service's trace, a `service("NAME")` filter from the prompt
/// keeps only that service's trace, and it opens with its spans as segments and subsegments.
#[test]
fn listen_shows_otlp_traces_in_the_app() {
    use std::io::{Read, Write};
    let otlp = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let otlp_addr = format!("127.0.0.1:{otlp}");
    let mut s = Session::start(&[
        "listen",
        "--bind",
        "127.0.0.1:0",
        "--otlp-http",
        &otlp_addr,
        "--otlp-grpc",
        "127.0.0.1:0",
    ]);
    s.wait_for("Listening for X-Ray segments on udp 127.0.0.1:");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let nanos = |t: u64| (t * 1_000_000_000).to_string();
    // Two services, a trace each; W3C trace IDs that start with the time (X-Ray form).
    let resource = |service: &str, trace: u32, spans: serde_json::Value| {
        let id = format!("{now:08x}{trace:024x}");
        let spans: Vec<serde_json::Value> = spans
            .as_array()
            .expect("spans")
            .iter()
            .map(|sp| {
                let mut sp = sp.clone();
                sp["traceId"] = id.clone().into();
                sp["startTimeUnixNano"] = nanos(now - 2).into();
                sp["endTimeUnixNano"] = nanos(now - 1).into();
                sp
            })
            .collect();
        serde_json::json!({
            "resource": {"attributes": [
                {"key": "service.name", "value": {"stringValue": service}}]},
            "scopeSpans": [{"spans": spans}],
        })
    };
    let orders = resource(
        "otel-orders",
        0xa1,
        serde_json::json!([
            {"spanId": "00000000000000a1", "name": "POST /api/otel-order", "kind": 2,
             "attributes": [
                {"key": "http.request.method", "value": {"stringValue": "POST"}},
                {"key": "url.full", "value": {"stringValue": "http://shop/api/otel-order"}},
                {"key": "http.response.status_code", "value": {"intValue": "201"}}]},
            {"spanId": "00000000000000a2", "parentSpanId": "00000000000000a1",
             "name": "DynamoDB.PutItem", "kind": 3,
             "attributes": [
                {"key": "rpc.system", "value": {"stringValue": "aws-api"}},
                {"key": "rpc.service", "value": {"stringValue": "DynamoDB"}},
                {"key": "rpc.method", "value": {"stringValue": "PutItem"}},
                {"key": "aws.dynamodb.table_names",
                 "value": {"arrayValue": {"values": [{"stringValue": "otel-orders-table"}]}}}]}
        ]),
    );
    let billing = resource(
        "otel-billing",
        0xb1,
        serde_json::json!([
            {"spanId": "00000000000000b1", "name": "GET /api/otel-bill", "kind": 2,
             "attributes": [
                {"key": "http.request.method", "value": {"stringValue": "GET"}},
                {"key": "url.full", "value": {"stringValue": "http://shop/api/otel-bill"}},
                {"key": "http.response.status_code", "value": {"intValue": "200"}}]}
        ]),
    );
    let body = serde_json::json!({"resourceSpans": [orders, billing]}).to_string();
    // The OTLP port may open a moment after the UDP one.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut conn = loop {
        match std::net::TcpStream::connect(("127.0.0.1", otlp)) {
            Ok(c) => break c,
            Err(e) if std::time::Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("the OTLP port: {e}"),
        }
    };
    write!(
        conn,
        "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut answer = String::new();
    conn.read_to_string(&mut answer).expect("answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // Both traces show up without a key press.
    s.wait_for("/api/otel-order");
    s.wait_for("/api/otel-bill");
    s.wait_for("X-Ray traces 2");
    // The service filter, typed at the prompt, keeps only the orders trace.
    s.send("/service(\"otel-orders\")\r");
    s.wait_for("X-Ray traces 1/2");
    let screen = s.contents();
    assert!(screen.contains("/api/otel-order"), "{screen}");
    assert!(!screen.contains("/api/otel-bill"), "{screen}");
    // It opens: the server span as the service's segment, the DynamoDB call under it.
    s.send("\r");
    s.wait_for("Trace 1-");
    s.wait_for("DynamoDB");
    let screen = s.contents();
    assert!(screen.contains("otel-orders"), "{screen}");
    s.send("qq");
    let status = s.wait_exit();
    assert!(status.success(), "exit status {status:?}");
}
