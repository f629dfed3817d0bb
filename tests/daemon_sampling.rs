//! The sampling endpoint of the real `xray-tui listen --headless` under hostile clients (issue
//! 14, item 6): an endless request line, a huge body, thousands of idle connections, a
//! slowloris head, all at once while UDP segments keep coming. Memory and threads are read
//! from `/proc/PID/status`, so these tests run on Linux.
#![cfg(target_os = "linux")]

#[path = "support/listen.rs"]
mod listen_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::Child;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

use listen_support::free_port;

/// The endpoint's limits, as `src/source/daemon/sampling.rs` sets them.
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// Resident memory the daemon must stay under, whatever the clients do.
const RSS_LIMIT_KB: u64 = 100 * 1024;
/// The same while 30,000 traces arrive over UDP: the 10,000 the daemon holds (assembled, with
/// their summaries) take about 47 MiB of it themselves (76 MiB peak without any client).
const RSS_LIMIT_WITH_TRACES_KB: u64 = 128 * 1024;
/// Threads the daemon may have: main, receive, parse, sampling, signals and a few spare.
const THREAD_LIMIT: u64 = 16;

fn tmp(name: &str) -> PathBuf {
    let p = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("xray-tui-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

struct Listen {
    child: Child,
    port: u16,
    save: PathBuf,
}

impl Listen {
    fn start(name: &str) -> Listen {
        let port = free_port();
        let save = tmp(name);
        let child = listen_support::start(port, &save);
        Listen { child, port, save }
    }

    /// `VmRSS`, `VmHWM` (peak) in KiB and `Threads` from `/proc/PID/status`.
    fn status(&self) -> (u64, u64, u64) {
        listen_support::proc_status(self.child.id())
    }

    fn connect(&self) -> TcpStream {
        let c = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        c.set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        c
    }

    /// Stops it; returns its stderr (the final status line).
    fn stop(self) -> String {
        let err = listen_support::stop(self.child);
        let _ = std::fs::remove_file(&self.save);
        err
    }
}

/// One HTTP/1.1 response: status and body (by its `Content-Length`).
fn read_response(r: &mut impl BufRead) -> std::io::Result<(u16, String)> {
    let mut line = String::new();
    r.read_line(&mut line)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("status line {line:?}")))?;
    let mut length = 0;
    loop {
        let mut h = String::new();
        r.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    r.read_exact(&mut body)?;
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

fn request(path: &str, body: &str, close: bool) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n{}\r\n{body}",
        body.len(),
        if close { "Connection: close\r\n" } else { "" }
    )
}

/// A normal `GetSamplingRules` on a new connection is answered 200 with the rules.
fn rules_answered(l: &Listen) {
    let mut c = l.connect();
    c.write_all(request("/GetSamplingRules", "{}", true).as_bytes())
        .expect("write");
    let (status, body) = read_response(&mut BufReader::new(c)).expect("answer");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"ReservoirSize\":1"), "{body}");
}

/// Sends `bytes` of a request line that never ends; returns what came back (a 431, or nothing
/// if the connection was closed first).
fn endless_line(l: &Listen, bytes: usize) -> String {
    let mut c = l.connect();
    c.set_write_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let chunk = vec![b'A'; 64 * 1024];
    let mut sent = 0;
    while sent < bytes {
        match c.write(&chunk) {
            Ok(n) => sent += n,
            Err(_) => break,
        }
    }
    let mut resp = Vec::new();
    let _ = c.read_to_end(&mut resp);
    String::from_utf8_lossy(&resp).into_owned()
}

/// Headers promising 100 MB and the first 32 KiB of it: answered 413 before the body is read.
/// `late` waits before reading the answer, as a busy client would: the answer and the
/// server's close have both arrived by then, and the answer must not be lost to a reset.
fn huge_content_length(l: &Listen, late: bool) -> std::io::Result<(u16, String)> {
    let mut c = l.connect();
    let mut req =
        b"POST /SamplingTargets HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n".to_vec();
    req.extend(std::iter::repeat_n(b' ', 32 * 1024));
    c.write_all(&req)?;
    if late {
        std::thread::sleep(Duration::from_millis(50));
    }
    read_response(&mut BufReader::new(c))
}

#[test]
fn an_endless_request_line_gets_431_and_memory_stays_bounded() {
    let l = Listen::start("sampling-line.ndjson");
    for _ in 0..10 {
        let resp = endless_line(&l, 10 * 1024 * 1024);
        assert!(
            resp.is_empty() || resp.starts_with("HTTP/1.1 431"),
            "{resp}"
        );
    }
    let (rss, peak, _) = l.status();
    eprintln!("after 10 x 10 MB request lines: VmRSS {rss} KiB, VmHWM {peak} KiB");
    assert!(peak < RSS_LIMIT_KB, "peak RSS {peak} KiB");
    rules_answered(&l);
    let err = l.stop();
    assert!(err.contains("sampling-refused 10"), "{err}");
}

#[test]
fn bodies_past_the_limit_get_413() {
    let l = Listen::start("sampling-body.ndjson");
    // Many times: the answer must arrive every time, not be lost to a reset sent because the
    // body was never read.
    for i in 0..100 {
        let (status, body) = huge_content_length(&l, i % 10 == 0).expect("answer");
        assert_eq!(status, 413, "{body}");
        assert!(body.contains("1 MiB"), "{body}");
    }

    // Chunked, so the size is only known as it is read: refused once past 1 MiB.
    let mut c = l.connect();
    let writer = {
        let mut c = c.try_clone().expect("clone");
        std::thread::spawn(move || {
            let _ = c.write_all(
                b"POST /SamplingTargets HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
            );
            let chunk = format!("10000\r\n{}\r\n", " ".repeat(0x10000));
            for _ in 0..17 {
                if c.write_all(chunk.as_bytes()).is_err() {
                    return;
                }
            }
            let _ = c.write_all(b"0\r\n\r\n");
        })
    };
    let (status, body) = read_response(&mut BufReader::new(&mut c)).expect("answer");
    assert_eq!(status, 413, "{body}");
    let _ = writer.join();

    // Just under the limit is fine (and answered as today: 200 with targets).
    let docs = r#"{"RuleName":"Default","ClientID":"0123456789abcdef01234567","Timestamp":1,"RequestCount":1,"SampledCount":0,"BorrowCount":0}"#;
    let mut all = Vec::new();
    while all.len() * (docs.len() + 1) < 1000 * 1024 {
        all.push(docs);
    }
    let payload = format!("{{\"SamplingStatisticsDocuments\":[{}]}}", all.join(","));
    assert!(payload.len() < 1024 * 1024);
    let mut c = l.connect();
    c.write_all(request("/SamplingTargets", &payload, true).as_bytes())
        .expect("write");
    let (status, body) = read_response(&mut BufReader::new(c)).expect("answer");
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        v["SamplingTargetDocuments"].as_array().map(Vec::len),
        Some(all.len())
    );
    let err = l.stop();
    assert!(err.contains("sampling 1 sampling-refused 101"), "{err}");
}

#[test]
fn thousands_of_idle_connections_take_no_threads_and_requests_still_get_answers() {
    let l = Listen::start("sampling-idle.ndjson");
    let (_, _, before) = l.status();
    let idle: Vec<TcpStream> = (0..2000).map(|_| l.connect()).collect();
    std::thread::sleep(Duration::from_millis(500));
    let (rss, _, threads) = l.status();
    eprintln!("2,000 idle connections: threads {before} -> {threads}, VmRSS {rss} KiB");
    assert!(threads <= before.max(THREAD_LIMIT), "{threads} threads");
    rules_answered(&l);
    rules_answered(&l);
    assert!(l.status().2 <= before.max(THREAD_LIMIT));
    // Stopping does not wait for the connections still open.
    let t0 = Instant::now();
    l.stop();
    assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
    drop(idle);
}

#[test]
fn a_slowloris_head_is_closed_after_the_header_timeout() {
    let l = Listen::start("sampling-slow.ndjson");
    let mut c = l.connect();
    let closed = Arc::new(AtomicBool::new(false));
    let t0 = Instant::now();
    let reader = {
        let (mut c, closed) = (c.try_clone().expect("clone"), closed.clone());
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = c.read_to_end(&mut buf);
            closed.store(true, Relaxed);
            (t0.elapsed(), buf)
        })
    };
    let head =
        b"POST /GetSamplingRules HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    for b in head {
        if closed.load(Relaxed) || c.write_all(&[*b]).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    let (after, got) = reader.join().expect("reader");
    eprintln!("slowloris closed after {after:?}");
    assert!(
        after >= HEADER_TIMEOUT - Duration::from_millis(500),
        "{after:?}"
    );
    assert!(after < HEADER_TIMEOUT * 2, "{after:?}");
    assert!(!String::from_utf8_lossy(&got).contains(" 200 "));
    rules_answered(&l);
    l.stop();
}

#[test]
fn keep_alive_answers_requests_on_one_connection() {
    let l = Listen::start("sampling-keepalive.ndjson");
    let c = l.connect();
    let mut w = c.try_clone().expect("clone");
    let mut r = BufReader::new(c);
    w.write_all(request("/GetSamplingRules", "{}", false).as_bytes())
        .expect("write");
    let (status, body) = read_response(&mut r).expect("first");
    assert_eq!(status, 200);
    assert!(body.contains("SamplingRuleRecords"), "{body}");
    let targets = r#"{"SamplingStatisticsDocuments":[{"RuleName":"Default","ClientID":"abc","Timestamp":1,"RequestCount":1,"SampledCount":0,"BorrowCount":0}]}"#;
    w.write_all(request("/SamplingTargets", targets, false).as_bytes())
        .expect("write");
    let (status, body) = read_response(&mut r).expect("second");
    assert_eq!(status, 200);
    assert!(body.contains("\"ReservoirQuota\":1"), "{body}");
    // A bad path on the same connection: 404, and the connection stays open.
    w.write_all(request("/nope", "", false).as_bytes())
        .expect("write");
    assert_eq!(read_response(&mut r).expect("third").0, 404);
    let err = l.stop();
    assert!(err.contains("sampling 3"), "{err}");
}

/// Adaptive sampling as current SDKs use it (ADOT Java 2.11.5+, Python 0.15.0+): rules with a
/// `SamplingRateBoost` from a `--sampling-rules` file are served back as they are, and a
/// `SamplingTargets` request with `SamplingBoostStatisticsDocuments` is answered 200 with the
/// usual targets and no error.
#[test]
fn adaptive_sampling_additions_are_accepted() {
    let rules = tmp("boost-rules.json");
    std::fs::write(
        &rules,
        r#"{"SamplingRuleRecords": [{"SamplingRule": {"RuleName": "checkout", "Priority": 1,
            "FixedRate": 0.1, "ReservoirSize": 2, "ServiceName": "*", "ServiceType": "*",
            "Host": "*", "HTTPMethod": "*", "URLPath": "*", "ResourceARN": "*", "Version": 1,
            "SamplingRateBoost": {"MaxRate": 0.5, "CooldownWindowMinutes": 1}},
            "CreatedAt": 1.7e9, "ModifiedAt": 1.7e9}]}"#,
    )
    .expect("rules");
    let port = free_port();
    let save = tmp("sampling-boost.ndjson");
    let cmd = std::process::Command::new(env!("CARGO_BIN_EXE_xray-tui"));
    let child = listen_support::start_command(
        cmd,
        port,
        &[
            "--save".as_ref(),
            save.as_os_str(),
            "--sampling-rules".as_ref(),
            rules.as_os_str(),
        ],
    );
    let l = Listen { child, port, save };
    let c = l.connect();
    let mut w = c.try_clone().expect("clone");
    let mut r = BufReader::new(c);
    w.write_all(request("/GetSamplingRules", "{}", false).as_bytes())
        .expect("write");
    let (status, body) = read_response(&mut r).expect("rules");
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(r#""SamplingRateBoost":{"MaxRate":0.5,"CooldownWindowMinutes":1}"#),
        "{body}"
    );
    let targets = r#"{"SamplingStatisticsDocuments":[{"RuleName":"checkout","ClientID":"abc","Timestamp":1.7e9,"RequestCount":5,"SampledCount":1,"BorrowCount":0}],"SamplingBoostStatisticsDocuments":[{"RuleName":"checkout","ServiceName":"cart","Timestamp":1.7e9,"AnomalyCount":2,"TotalCount":5,"SampledAnomalyCount":1}]}"#;
    w.write_all(request("/SamplingTargets", targets, false).as_bytes())
        .expect("write");
    let (status, body) = read_response(&mut r).expect("targets");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""RuleName":"checkout""#), "{body}");
    assert!(body.contains(r#""ReservoirQuota":2"#), "{body}");
    assert!(body.contains(r#""UnprocessedStatistics":[]"#), "{body}");
    assert!(
        body.contains(r#""UnprocessedBoostStatistics":[]"#),
        "{body}"
    );
    assert!(!body.contains("Exception"), "{body}");
    let err = l.stop();
    let _ = std::fs::remove_file(&rules);
    assert!(err.contains("sampling 2"), "{err}");
}

/// Everything at once, while segments keep coming: none is lost, memory and threads stay
/// bounded, and SDK requests are still answered.
#[test]
fn udp_ingest_is_unaffected_by_all_of_it_at_once() {
    let l = Arc::new(Listen::start("sampling-all.ndjson"));
    let done = Arc::new(AtomicBool::new(false));
    let mut attackers = Vec::new();
    // Endless request lines, one after another.
    {
        let (l, done) = (l.clone(), done.clone());
        attackers.push(std::thread::spawn(move || {
            while !done.load(Relaxed) {
                endless_line(&l, 10 * 1024 * 1024);
            }
        }));
    }
    // 100 MB bodies announced.
    {
        let (l, done) = (l.clone(), done.clone());
        attackers.push(std::thread::spawn(move || {
            // At the connection cap a connection not yet being answered may give its place to
            // a newer one (and be reset): that is the design. Every answer given is a 413.
            let mut answered = 0;
            while !done.load(Relaxed) {
                if let Ok((status, body)) = huge_content_length(&l, false) {
                    assert_eq!(status, 413, "{body}");
                    answered += 1;
                }
            }
            assert!(answered > 0, "no 413 answered");
        }));
    }
    // 2,000 idle connections and 50 slowloris heads, held until the end.
    {
        let (l, done) = (l.clone(), done.clone());
        attackers.push(std::thread::spawn(move || {
            let _idle: Vec<TcpStream> = (0..2000).map(|_| l.connect()).collect();
            let mut slow: Vec<TcpStream> = (0..50).map(|_| l.connect()).collect();
            while !done.load(Relaxed) {
                for c in &mut slow {
                    let _ = c.write_all(b"a");
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        }));
    }

    let sock = UdpSocket::bind("127.0.0.1:0").expect("client");
    let sent = 30_000u64;
    let t0 = Instant::now();
    for i in 0..sent {
        let d = format!(
            "{{\"format\":\"json\",\"version\":1}}\n{{\"trace_id\":\"1-5f84c7a1-{i:024x}\",\
             \"id\":\"{i:016x}\",\"name\":\"svc\",\"start_time\":1,\"end_time\":2}}"
        );
        sock.send_to(d.as_bytes(), ("127.0.0.1", l.port))
            .expect("send");
        if i % 1000 == 999 {
            // 5,000 datagrams a second, for six seconds: past the header timeout.
            let due = Duration::from_millis((i + 1) / 5);
            if let Some(wait) = due.checked_sub(t0.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        if i % 10_000 == 9_999 {
            rules_answered(&l);
        }
    }
    let (rss, peak, threads) = l.status();
    eprintln!("all at once: VmRSS {rss} KiB, VmHWM {peak} KiB, threads {threads}");
    done.store(true, Relaxed);
    for a in attackers {
        a.join().expect("attacker");
    }
    assert!(peak < RSS_LIMIT_WITH_TRACES_KB, "peak RSS {peak} KiB");
    assert!(threads <= THREAD_LIMIT, "{threads} threads");
    std::thread::sleep(Duration::from_millis(300));
    let l = Arc::try_unwrap(l).unwrap_or_else(|_| panic!("still shared"));
    let err = l.stop();
    eprintln!("{err}");
    assert!(
        err.contains(&format!("received {sent} accepted {sent} ")),
        "{err}"
    );
    assert!(!err.contains(" dropped "), "{err}");
}

#[test]
fn a_body_that_does_not_come_gets_408() {
    let l = Listen::start("sampling-slowbody.ndjson");
    let mut c = l.connect();
    let t0 = Instant::now();
    c.write_all(b"POST /SamplingTargets HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        .expect("write");
    let (status, body) = read_response(&mut BufReader::new(c)).expect("answer");
    assert_eq!(status, 408, "{body}");
    assert!(t0.elapsed() < HEADER_TIMEOUT * 2, "{:?}", t0.elapsed());
    let err = l.stop();
    assert!(err.contains("sampling-refused 1"), "{err}");
}
