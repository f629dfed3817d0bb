//! One busy trace must not exhaust the daemon (issue 14, item 1): the real `xray-tui listen
//! --headless` gets the same segment over and over, then one trace with 150,000 distinct
//! subsegments. A document sent again replaces the earlier copy; a trace past its limits
//! keeps what it has and counts the rest as `trace-full`. Memory is read from
//! `/proc/PID/status`, so these tests run on Linux.
#![cfg(target_os = "linux")]

#[path = "support/listen.rs"]
mod listen_support;

use std::net::UdpSocket;
use std::process::Command;
use std::time::{Duration, Instant};

use listen_support::{free_port, proc_status};

const HEADER: &str = "{\"format\":\"json\",\"version\":1}\n";
const TRACE: &str = "1-5f84c7a1-1a2b3c4d5e6f708192a3b4c5";
/// Peak resident memory the daemon must stay under: a few MiB over what it takes idle. Kept
/// copies of every document sent would take over 100 MiB in either test.
const PEAK_LIMIT_KB: u64 = 64 * 1024;

/// A segment of `orders-api` with 20 SQL and HTTP subsegments, about 6 KB: the shape an SDK
/// sends when a request completes.
fn segment() -> String {
    let subs: Vec<serde_json::Value> = (0..20)
        .map(|i| {
            let t = 1_700_000_000.0 + f64::from(i) * 0.01;
            if i % 2 == 0 {
                serde_json::json!({
                    "id": format!("{:016x}", 0x1000 + i), "name": "orders@db.shop.internal",
                    "start_time": t, "end_time": t + 0.004, "namespace": "remote",
                    "sql": {"url": "jdbc:postgresql://db.shop.internal:5432/orders",
                            "database_type": "PostgreSQL", "database_version": "15.4",
                            "driver_version": "PostgreSQL JDBC Driver 42.7.4", "user": "orders_svc",
                            "sanitized_query": "SELECT o.id, o.status, o.total FROM orders o WHERE o.customer_id = ? ORDER BY o.created_at DESC LIMIT 20"}
                })
            } else {
                serde_json::json!({
                    "id": format!("{:016x}", 0x1000 + i), "name": "inventory.shop.internal",
                    "start_time": t, "end_time": t + 0.006, "namespace": "remote",
                    "http": {"request": {"method": "GET", "url": format!("http://inventory.shop.internal/v1/stock/SKU-{i}"), "traced": true},
                             "response": {"status": 200, "content_length": 96}}
                })
            }
        })
        .collect();
    serde_json::json!({
        "trace_id": TRACE, "id": "70de5b6f19ff9a0a", "name": "orders-api",
        "start_time": 1_700_000_000.0, "end_time": 1_700_000_000.3,
        "origin": "AWS::ECS::Container",
        "http": {"request": {"method": "GET", "url": "http://orders.shop.internal/api/orders?customer=4242"},
                 "response": {"status": 200}},
        "annotations": {"customer_tier": "gold"},
        "subsegments": subs,
    })
    .to_string()
}

/// Sends `n` datagrams made by `make` at about `rate` a second.
fn send_paced(port: u16, n: u64, rate: u64, make: impl Fn(u64) -> Vec<u8>) {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("client");
    sock.connect(("127.0.0.1", port)).expect("connect");
    let t0 = Instant::now();
    for i in 0..n {
        let datagram = make(i);
        // A loaded machine may refuse a send for a moment (no buffer space, or an ICMP error
        // left by a datagram the kernel could not deliver): send it again, so `n` arrive.
        let mut tries = 0;
        while let Err(e) = sock.send(&datagram) {
            tries += 1;
            assert!(tries < 200, "send {i}: {e}");
            std::thread::sleep(Duration::from_millis(5));
        }
        if i % 500 == 499 {
            let due = Duration::from_secs_f64((i + 1) as f64 / rate as f64);
            if let Some(wait) = due.checked_sub(t0.elapsed()) {
                std::thread::sleep(wait);
            }
        }
    }
}

/// Waits until the daemon has taken in `n` datagrams (its status line says so), then stops it;
/// returns its peak RSS in KiB and its final status line.
fn finish(child: std::process::Child) -> (u64, String) {
    // Let the parser catch up and assemble, then read the peak before stopping (the peak
    // after SIGTERM would include the final flush only).
    std::thread::sleep(Duration::from_millis(1500));
    let (_, peak, _) = proc_status(child.id());
    let err = listen_support::stop(child);
    let stopped = err
        .lines()
        .find(|l| l.starts_with("stopped:"))
        .unwrap_or_else(|| panic!("no final line in {err}"))
        .to_owned();
    (peak, stopped)
}

/// Stops the daemon and checks its final line: all `sent` datagrams received and accepted into
/// one trace, nothing dropped, `counted` (the outcome under test) said, and the peak RSS
/// under [`PEAK_LIMIT_KB`].
fn finish_with(child: std::process::Child, sent: u64, counted: &str) {
    let (peak, stopped) = finish(child);
    eprintln!("{stopped}; peak {peak} KiB");
    assert!(
        stopped.contains(&format!("received {sent} accepted {sent} traces 1 ")),
        "{stopped}"
    );
    assert!(stopped.contains(counted), "{counted:?} in {stopped}");
    assert!(!stopped.contains("dropped"), "{stopped}");
    assert!(peak < PEAK_LIMIT_KB, "peak RSS {peak} KiB: {stopped}");
}

/// The two floods take turns: side by side on a two-core machine they would measure each
/// other.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn a_segment_sent_again_and_again_is_kept_once() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let port = free_port();
    let child =
        listen_support::start_command(Command::new(env!("CARGO_BIN_EXE_xray-tui")), port, &[]);
    let datagram = format!("{HEADER}{}", segment()).into_bytes();
    assert!(datagram.len() > 5_000, "{}", datagram.len());
    let sent = 30_000;
    // 10,000 a second, as in the flood.
    send_paced(port, sent, 10_000, |_| datagram.clone());
    finish_with(child, sent, &format!(" replaced {}", sent - 1));
}

#[test]
fn a_trace_of_150k_subsegments_is_bounded_by_the_per_trace_limit() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let port = free_port();
    let child = listen_support::start_command(
        Command::new(env!("CARGO_BIN_EXE_xray-tui")),
        port,
        &["--trace-max-documents".as_ref(), "1000".as_ref()],
    );
    let sent = 150_000;
    send_paced(port, sent, 50_000, |i| {
        let t = 1_700_000_000.0 + i as f64 * 1e-5;
        format!(
            "{HEADER}{}",
            serde_json::json!({
                "trace_id": TRACE, "id": format!("{:016x}", i + 1), "type": "subsegment",
                "parent_id": "70de5b6f19ff9a0a", "name": "shop-shipments",
                "start_time": t, "end_time": t + 0.002, "namespace": "aws",
                "aws": {"operation": "GetItem", "table_name": "shop-shipments", "region": "eu-west-1",
                        "request_id": format!("REQ{i:020}"), "retries": 0},
                "http": {"response": {"status": 200, "content_length": 412}},
            })
        )
        .into_bytes()
    });
    finish_with(child, sent, &format!(" trace-full {}", sent - 1000));
}
