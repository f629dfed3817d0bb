//! `xray-tui listen --headless --save`: the real binary receives real UDP datagrams, stops on
//! SIGTERM, and what it saved reads back as assembled traces.

#[path = "support/listen.rs"]
mod listen_support;

use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_xray-tui");
const HEADER: &str = "{\"format\":\"json\",\"version\":1}\n";
const T1: &str = "1-5f84c7a1-00000000000000000000000a";
const T2: &str = "1-5f84c7a1-00000000000000000000000b";

use listen_support::free_port;

fn tmp(name: &str) -> PathBuf {
    let p = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("xray-tui-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

fn send(sock: &UdpSocket, port: u16, payload: &[u8]) {
    sock.send_to(payload, ("127.0.0.1", port)).expect("send");
}

fn doc(v: serde_json::Value) -> Vec<u8> {
    format!("{HEADER}{v}").into_bytes()
}

#[cfg(unix)]
#[test]
fn receives_saves_and_reassembles() {
    let port = free_port();
    let save = tmp("listen.ndjson");
    let child = listen_support::start(port, &save);
    let sock = UdpSocket::bind("127.0.0.1:0").expect("client");
    use serde_json::json;
    // Trace 1: an in-progress segment, a subsegment streamed on its own, then the completed
    // segment.
    send(
        &sock,
        port,
        &doc(json!({
            "trace_id": T1, "id": "1000000000000001", "name": "orders", "start_time": 1700000000.0,
            "in_progress": true
        })),
    );
    send(
        &sock,
        port,
        &doc(json!({
            "type": "subsegment", "trace_id": T1, "parent_id": "1000000000000001",
            "id": "2000000000000001", "name": "DynamoDB", "namespace": "aws",
            "start_time": 1700000000.1, "end_time": 1700000000.3
        })),
    );
    send(
        &sock,
        port,
        &doc(json!({
            "trace_id": T1, "id": "1000000000000001", "name": "orders", "start_time": 1700000000.0,
            "end_time": 1700000000.5, "http": {"response": {"status": 200}},
            "annotations": {"customer": "gold"}
        })),
    );
    // Trace 2: a fault, sent pretty-printed across lines.
    let pretty = serde_json::to_string_pretty(&json!({
        "trace_id": T2, "id": "1000000000000002", "name": "billing", "start_time": 1700000001.0,
        "end_time": 1700000001.2, "fault": true, "http": {"response": {"status": 500}}
    }))
    .expect("json");
    send(&sock, port, format!("{HEADER}{pretty}").as_bytes());
    // Damage of every kind: all counted, none saved.
    send(&sock, port, b"no header here");
    send(
        &sock,
        port,
        b"{\"format\":\"json\",\"version\":1}\n{\"trace_id\": \"1-",
    );
    send(&sock, port, b"{\"format\":\"json\",\"version\":1}\n{nope}");
    send(
        &sock,
        port,
        b"{\"format\":\"json\",\"version\":1}\n{\"id\":\"a\",\"name\":\"x\",\"start_time\":1}",
    );
    send(&sock, port, b"{\"format\":\"json\",\"version\":1}\n");
    std::thread::sleep(Duration::from_millis(300));
    let err = listen_support::stop(child);
    assert!(err.contains("accepted 4"), "{err}");
    assert!(err.contains("rejected 5"), "{err}");
    assert!(err.contains("saved 4 documents"), "{err}");
    assert!(err.contains("rejected (14 bytes): bad header"), "{err}");
    for reason in [
        "bad_header 1",
        "truncated 1",
        "bad_json 1",
        "missing_trace_id 1",
        "missing_document 1",
    ] {
        assert!(err.contains(reason), "{reason}: {err}");
    }

    let saved = std::fs::read_to_string(&save).expect("saved file");
    // The capture holds request data: only its owner may read it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&save)
            .expect("saved file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert_eq!(saved.lines().count(), 4, "{saved}");
    for line in saved.lines() {
        let _: serde_json::Value = serde_json::from_str(line).expect("one JSON document a line");
    }

    let out = Command::new(BIN)
        .args(["query", "--format", "json", "--file"])
        .arg(&save)
        .output()
        .expect("query");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let sums = v["TraceSummaries"].as_array().expect("summaries");
    assert_eq!(sums.len(), 2, "{v:#}");
    let t1 = sums.iter().find(|s| s["Id"] == T1).expect("trace 1");
    assert_eq!(t1["IsPartial"], false, "{t1:#}");
    assert_eq!(t1["Duration"], 0.5, "{t1:#}");
    let t2 = sums.iter().find(|s| s["Id"] == T2).expect("trace 2");
    assert_eq!(t2["HasFault"], true, "{t2:#}");

    let out = Command::new(BIN)
        .args(["trace", T1, "--format", "json", "--file"])
        .arg(&save)
        .output()
        .expect("trace");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("DynamoDB"), "{text}");
    let _ = std::fs::remove_file(&save);
}

#[cfg(unix)]
/// `POST /GetSamplingRules` on the daemon's port: the whole HTTP answer.
fn sampling_rules(port: u16) -> String {
    use std::io::{Read, Write};
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let body = "{}";
    write!(
        c,
        "POST /GetSamplingRules HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut resp = String::new();
    c.read_to_string(&mut resp).expect("read");
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    resp
}

#[test]
fn answers_sampling_requests_over_http() {
    let port = free_port();
    let save = tmp("sampling.ndjson");
    let child = listen_support::start(port, &save);
    let resp = sampling_rules(port);
    assert!(resp.contains("\"ReservoirSize\":1"), "{resp}");
    let err = listen_support::stop(child);
    assert!(err.contains("sampling 1"), "{err}");
    assert!(
        err.contains(
            "sampling: X-Ray's default rule (1 a second, then 5%); --sample-all keeps every request"
        ),
        "{err}"
    );
    let _ = std::fs::remove_file(&save);
}

/// `--sample-all` serves one rule that keeps every request (issue 15, item 11).
#[test]
fn sample_all_serves_a_rule_that_keeps_every_request() {
    let port = free_port();
    let child = listen_support::start_command(Command::new(BIN), port, &["--sample-all".as_ref()]);
    let resp = sampling_rules(port);
    assert!(resp.contains("\"FixedRate\":1.0"), "{resp}");
    assert!(resp.contains("\"ReservoirSize\":0"), "{resp}");
    let err = listen_support::stop(child);
    assert!(err.contains("sampling: every request\n"), "{err}");
}

#[test]
fn rejects_a_bad_bind_address() {
    let out = Command::new(BIN)
        .args(["listen", "--headless", "--bind", "udp:127.0.0.1:1"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--bind"));
}

/// `--save` counts what reached the file: on a device that is always full nothing is saved,
/// every document is counted as failed, and the reason is said.
#[cfg(target_os = "linux")]
#[test]
fn save_counts_only_what_reached_the_file() {
    use serde_json::json;
    let port = free_port();
    let child = listen_support::start(port, std::path::Path::new("/dev/full"));
    let sock = UdpSocket::bind("127.0.0.1:0").expect("client");
    for i in 0..20 {
        send(
            &sock,
            port,
            &doc(json!({
                "trace_id": T1, "id": format!("10000000000000{i:02}"), "name": "orders",
                "start_time": 1700000000.0, "end_time": 1700000000.5
            })),
        );
    }
    // A moment for the datagrams to arrive (stopping parses what is queued).
    std::thread::sleep(Duration::from_millis(300));
    let err = listen_support::stop(child);
    assert!(err.contains("accepted 20"), "{err}");
    assert!(err.contains("save-failed 20"), "{err}");
    assert!(
        err.contains("saved 0 documents to /dev/full, failed 20 (No space left on device"),
        "{err}"
    );
}

/// "Accepted" has one meaning at any rate: passed the receive check (header, JSON, the
/// required fields), stored and saved. A document whose full parse fails later (a field of the
/// wrong type) stays accepted and saved and is counted as `unparsed`, never taken back.
#[cfg(unix)]
#[test]
fn a_document_that_fails_the_full_parse_stays_accepted_and_is_counted_unparsed() {
    use serde_json::json;
    let port = free_port();
    let save = tmp("unparsed.ndjson");
    let child = listen_support::start(port, &save);
    let sock = UdpSocket::bind("127.0.0.1:0").expect("client");
    send(
        &sock,
        port,
        &doc(json!({
            "trace_id": T1, "id": "1000000000000001", "name": "orders",
            "start_time": 1700000000.0, "end_time": 1700000000.5, "cause": 5
        })),
    );
    send(
        &sock,
        port,
        &doc(json!({
            "trace_id": T2, "id": "1000000000000002", "name": "billing",
            "start_time": 1700000001.0, "end_time": 1700000001.2
        })),
    );
    // A moment for the datagrams to arrive (stopping parses and assembles what is queued).
    std::thread::sleep(Duration::from_millis(300));
    let err = listen_support::stop(child);
    assert!(err.contains("accepted 2 traces 2"), "{err}");
    assert!(err.contains("unparsed 1"), "{err}");
    assert!(!err.contains("rejected"), "{err}");
    assert!(err.contains("saved 2 documents"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&save)
            .expect("saved")
            .lines()
            .count(),
        2
    );
    let _ = std::fs::remove_file(&save);
}
