//! The external sender of the OTLP/HTTP benchmark (issue #16): realistic spans as OTLP/HTTP
//! protobuf exports, batches of 512 spans (the SDKs' default batch), over N keep-alive HTTP/1.1
//! connections, every request sent again after a throttle (429, its `Retry-After`) until it is
//! taken, as an exporter does: so nothing is lost, and the figure is how many spans a second
//! the receiver accepts.
//!
//! Why a process of its own: as the UDP rows' `udp_send.rs`, the receiver is measured whole
//! (`xray-tui listen --headless --save FILE`), against the bare receiver `otlp_sink.rs` in the
//! same invocation (`tests/benches/scale.py --rows otlp-http`).
//!
//! The spans: one trace is ten spans of a service `orders-api` (resource attributes as an SDK
//! sets them): a server span with HTTP attributes, two internal spans, DynamoDB `GetItem` and
//! `Query` client spans with the attributes of the botocore instrumentation, two PostgreSQL
//! client spans, two HTTP client calls (one in ten fails with a 503 and an exception event) and
//! an SQS `SendMessage` producer span; each span under its instrumentation's scope. Every trace
//! has a new ID whose first 32 bits are the time, as X-Ray's. No padding strings: attribute
//! values are of realistic length (URLs, statements, request IDs, a short stack).
//!
//! Run: `cargo run --release --example otlp_send -- --to 127.0.0.1:4318 --seconds 5`.
//! Options: `--connections N` (default 4), `--batch N` spans a request (default 512),
//! `--seconds S` (default 5; sending stops starting new requests then, and the requests under
//! way are finished, retries included), `--rate N` spans/s over all connections (default:
//! unpaced, as fast as the receiver takes them). Prints one JSON line on stdout:
//! `{"requests":..,"spans":..,"accepted":..,"rejected":..,"throttled":..,"errors":..,
//! "seconds":..,"achieved":..,"bytes":..,"connections":..,"batch":..}`: `spans` sent in requests
//! that were taken, `accepted` those less the partial successes' rejected spans, `throttled`
//! 429 answers (each request then sent again), `seconds` from the first request to the last
//! answer, `achieved` accepted spans a second.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, InstrumentationScope, KeyValue, any_value::Value,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event, SpanKind};
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use prost::Message;

/// Spans a trace.
const TRACE_SPANS: u64 = 10;

fn s(key: &str, v: &str) -> KeyValue {
    KeyValue {
        key_strindex: 0,
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(Value::StringValue(v.to_owned())),
        }),
    }
}

fn i(key: &str, v: i64) -> KeyValue {
    KeyValue {
        key_strindex: 0,
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(Value::IntValue(v)),
        }),
    }
}

fn strings(key: &str, vs: &[&str]) -> KeyValue {
    KeyValue {
        key_strindex: 0,
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(Value::ArrayValue(ArrayValue {
                values: vs
                    .iter()
                    .map(|v| AnyValue {
                        value: Some(Value::StringValue((*v).to_owned())),
                    })
                    .collect(),
            })),
        }),
    }
}

/// A 64-bit mix (splitmix64): IDs that look random and differ from run to run.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The instrumentation scopes, in the order their spans go into a request.
const SCOPES: [(&str, &str); 5] = [
    ("opentelemetry.instrumentation.flask", "0.66b2"),
    ("orders-api", ""),
    ("opentelemetry.instrumentation.botocore", "0.66b2"),
    ("opentelemetry.instrumentation.psycopg", "0.66b2"),
    ("opentelemetry.instrumentation.requests", "0.66b2"),
];

/// Span `n` (of all spans sent in this run) and the index of its scope in [`SCOPES`].
fn span(n: u64, nonce: u64, epoch_s: u64) -> (usize, Span) {
    let trace = n / TRACE_SPANS;
    let pos = n % TRACE_SPANS;
    let mut trace_id = Vec::with_capacity(16);
    trace_id.extend_from_slice(&(epoch_s as u32).to_be_bytes());
    trace_id.extend_from_slice(&mix(trace ^ nonce).to_be_bytes());
    trace_id.extend_from_slice(&(mix(trace.wrapping_add(nonce)) as u32).to_be_bytes());
    let id = |p: u64| {
        mix((trace * TRACE_SPANS + p) ^ nonce.rotate_left(17))
            .to_be_bytes()
            .to_vec()
    };
    let parent = match pos {
        0 => None,
        2 | 3 => Some(1),
        9 => Some(7),
        _ => Some(0),
    };
    // Traces start 100 µs apart; children inside their parent.
    let start = epoch_s * 1_000_000_000 + trace * 100_000;
    let (offset_ms, duration_ms) = [
        (0, 48),
        (1, 12),
        (2, 4),
        (7, 5),
        (14, 6),
        (21, 3),
        (25, 15),
        (41, 6),
        (42, 2),
        (44, 2),
    ][pos as usize];
    let failed = trace % 10 == 3;
    let order = trace % 100_000;
    let request_id = format!("{:016X}{:016X}{:04X}", mix(n), mix(n + 1), n & 0xffff);
    let (scope, name, kind, attributes) = match pos {
        0 => (
            0,
            "GET /orders/{id}".to_owned(),
            SpanKind::Server,
            vec![
                s("http.request.method", "GET"),
                s("url.scheme", "https"),
                s("url.path", &format!("/orders/{order}")),
                s("http.route", "/orders/{id}"),
                s("server.address", "orders.example.com"),
                s("client.address", "10.0.12.34"),
                s("network.protocol.version", "1.1"),
                s(
                    "user_agent.original",
                    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)",
                ),
                i("http.response.status_code", if failed { 502 } else { 200 }),
            ],
        ),
        1 => (1, "load order".to_owned(), SpanKind::Internal, vec![]),
        2 | 4 => {
            let op = if pos == 2 { "GetItem" } else { "Query" };
            (
                2,
                format!("DynamoDB.{op}"),
                SpanKind::Client,
                vec![
                    s("rpc.system", "aws-api"),
                    s("rpc.service", "DynamoDB"),
                    s("rpc.method", op),
                    s("cloud.region", "eu-west-1"),
                    s("server.address", "dynamodb.eu-west-1.amazonaws.com"),
                    s("db.system", "dynamodb"),
                    strings("aws.dynamodb.table_names", &["orders"]),
                    s("aws.request_id", &request_id),
                    i("http.status_code", 200),
                    i("retry_attempts", 0),
                ],
            )
        }
        3 | 5 => (
            3,
            "SELECT orders".to_owned(),
            SpanKind::Client,
            vec![
                s("db.system", "postgresql"),
                s("db.namespace", "orders"),
                s("db.user", "orders_app"),
                s(
                    "server.address",
                    "orders-db.cluster-c1x2y3.eu-west-1.rds.amazonaws.com",
                ),
                i("server.port", 5432),
                s(
                    "db.query.text",
                    if pos == 3 {
                        "SELECT id, customer_id, total, status FROM orders WHERE id = %s"
                    } else {
                        "SELECT sku, quantity, price FROM order_lines WHERE order_id = %s"
                    },
                ),
            ],
        ),
        6 | 9 => {
            let (method, url, host) = if pos == 6 {
                (
                    "POST",
                    "https://payments.internal:8443/v1/charges",
                    "payments.internal",
                )
            } else {
                (
                    "GET",
                    "http://inventory.internal/stock/sku-4711",
                    "inventory.internal",
                )
            };
            let status = if failed && pos == 6 { 503 } else { 200 };
            (
                4,
                method.to_owned(),
                SpanKind::Client,
                vec![
                    s("http.request.method", method),
                    s("url.full", url),
                    s("server.address", host),
                    i("http.response.status_code", status),
                ],
            )
        }
        7 => (1, "render receipt".to_owned(), SpanKind::Internal, vec![]),
        _ => (
            2,
            "SQS.SendMessage".to_owned(),
            SpanKind::Producer,
            vec![
                s("rpc.system", "aws-api"),
                s("rpc.service", "SQS"),
                s("rpc.method", "SendMessage"),
                s("cloud.region", "eu-west-1"),
                s(
                    "aws.sqs.queue_url",
                    "https://sqs.eu-west-1.amazonaws.com/123456789012/order-events",
                ),
                s("messaging.system", "aws_sqs"),
                s("messaging.destination.name", "order-events"),
                s("aws.request_id", &request_id),
                i("http.status_code", 200),
            ],
        ),
    };
    let error = failed && (pos == 0 || pos == 6);
    let events = if failed && pos == 6 {
        vec![Event {
            time_unix_nano: start + (offset_ms + duration_ms) * 1_000_000,
            name: "exception".to_owned(),
            attributes: vec![
                s("exception.type", "requests.exceptions.HTTPError"),
                s(
                    "exception.message",
                    "503 Server Error: Service Unavailable for url: https://payments.internal:8443/v1/charges",
                ),
                s(
                    "exception.stacktrace",
                    "Traceback (most recent call last):\n  File \"/app/orders/payments.py\", line 88, in charge\n    response.raise_for_status()\n  File \"/usr/local/lib/python3.12/site-packages/requests/models.py\", line 1024, in raise_for_status\n    raise HTTPError(http_error_msg, response=self)\nrequests.exceptions.HTTPError: 503 Server Error: Service Unavailable\n",
                ),
            ],
            ..Event::default()
        }]
    } else {
        Vec::new()
    };
    let span = Span {
        trace_id,
        span_id: id(pos),
        parent_span_id: parent.map(id).unwrap_or_default(),
        name,
        kind: kind as i32,
        start_time_unix_nano: start + offset_ms * 1_000_000,
        end_time_unix_nano: start + (offset_ms + duration_ms) * 1_000_000,
        attributes,
        events,
        status: error.then(|| Status {
            message: String::new(),
            code: StatusCode::Error as i32,
        }),
        flags: 0x100,
        ..Span::default()
    };
    (scope, span)
}

/// The export request of spans `first..first + batch`.
fn request(first: u64, batch: u64, nonce: u64, epoch_s: u64) -> ExportTraceServiceRequest {
    let mut scopes: Vec<Vec<Span>> = vec![Vec::new(); SCOPES.len()];
    for n in first..first + batch {
        let (scope, span) = span(n, nonce, epoch_s);
        scopes[scope].push(span);
    }
    let resource = Resource {
        attributes: vec![
            s("service.name", "orders-api"),
            s("service.version", "2.14.1"),
            s("deployment.environment.name", "production"),
            s("telemetry.sdk.language", "python"),
            s("telemetry.sdk.name", "opentelemetry"),
            s("telemetry.sdk.version", "1.45.2"),
            s("cloud.provider", "aws"),
            s("cloud.platform", "aws_ecs"),
            s("cloud.region", "eu-west-1"),
            s("host.name", "ip-10-0-12-34.eu-west-1.compute.internal"),
        ],
        ..Resource::default()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(resource),
            scope_spans: scopes
                .into_iter()
                .zip(SCOPES)
                .filter(|(spans, _)| !spans.is_empty())
                .map(|(spans, (name, version))| ScopeSpans {
                    scope: Some(InstrumentationScope {
                        name: name.to_owned(),
                        version: version.to_owned(),
                        ..InstrumentationScope::default()
                    }),
                    spans,
                    ..ScopeSpans::default()
                })
                .collect(),
            ..ResourceSpans::default()
        }],
    }
}

#[derive(Default)]
struct Counts {
    requests: AtomicU64,
    spans: AtomicU64,
    rejected: AtomicU64,
    throttled: AtomicU64,
    errors: AtomicU64,
    bytes: AtomicU64,
}

/// One answer: its status, `Retry-After` in seconds, body.
fn read_answer(r: &mut BufReader<TcpStream>) -> std::io::Result<(u16, Option<u64>, Vec<u8>)> {
    let mut line = String::new();
    r.read_line(&mut line)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let (mut length, mut retry, mut close) = (0usize, None, false);
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            let v = v.trim();
            match k.to_ascii_lowercase().as_str() {
                "content-length" => length = v.parse().unwrap_or(0),
                "retry-after" => retry = v.parse().ok(),
                "connection" => close = v.eq_ignore_ascii_case("close"),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    r.read_exact(&mut body)?;
    if close {
        return Err(std::io::Error::other("closed by the server"));
    }
    Ok((status, retry, body))
}

fn connect(to: SocketAddr) -> std::io::Result<(TcpStream, BufReader<TcpStream>)> {
    let c = TcpStream::connect(to)?;
    c.set_nodelay(true)?;
    c.set_read_timeout(Some(Duration::from_secs(60)))?;
    let r = BufReader::new(c.try_clone()?);
    Ok((c, r))
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = || {
        std::io::Error::other(
            "usage: otlp_send --to HOST:PORT [--connections N] [--batch N] [--seconds S] [--rate SPANS]",
        )
    };
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let num = |name: &str, default: f64| -> std::io::Result<f64> {
        opt(name)
            .map(|v| v.parse().map_err(|_| usage()))
            .transpose()
            .map(|v| v.unwrap_or(default))
    };
    let to: SocketAddr = opt("--to")
        .ok_or_else(usage)?
        .parse()
        .map_err(|_| usage())?;
    let connections = num("--connections", 4.0)? as usize;
    let batch = num("--batch", 512.0)? as u64;
    let seconds = num("--seconds", 5.0)?;
    let rate = num("--rate", 0.0)?;
    let epoch_s = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(std::io::Error::other)?
        .as_secs();
    let nonce = mix(epoch_s ^ u64::from(std::process::id()));

    let next = Arc::new(AtomicU64::new(0));
    let counts = Arc::new(Counts::default());
    let t0 = Instant::now();
    let until = t0 + Duration::from_secs_f64(seconds);
    let threads: Vec<_> = (0..connections)
        .map(|_| {
            let (next, counts) = (next.clone(), counts.clone());
            std::thread::spawn(move || -> std::io::Result<()> {
                let (mut c, mut r) = connect(to)?;
                let mut body = Vec::new();
                loop {
                    let b = next.fetch_add(1, Relaxed);
                    if rate > 0.0 {
                        // The b-th request is due when the run has sent b batches at the rate.
                        let due = t0 + Duration::from_secs_f64(b as f64 * batch as f64 / rate);
                        if due >= until {
                            return Ok(());
                        }
                        if let Some(wait) = due.checked_duration_since(Instant::now()) {
                            std::thread::sleep(wait);
                        }
                    } else if Instant::now() >= until {
                        return Ok(());
                    }
                    body.clear();
                    request(b * batch, batch, nonce, epoch_s)
                        .encode(&mut body)
                        .map_err(std::io::Error::other)?;
                    let head = format!(
                        "POST /v1/traces HTTP/1.1\r\nHost: {to}\r\nContent-Type: application/x-protobuf\r\nUser-Agent: OTel-OTLP-Exporter-Python/1.45.2\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    );
                    // Until taken: a throttled request (or one whose connection broke) is sent
                    // again, as an exporter would.
                    loop {
                        let sent = c
                            .write_all(head.as_bytes())
                            .and_then(|()| c.write_all(&body))
                            .and_then(|()| read_answer(&mut r));
                        match sent {
                            Ok((200, _, answer)) => {
                                counts.requests.fetch_add(1, Relaxed);
                                counts.spans.fetch_add(batch, Relaxed);
                                counts.bytes.fetch_add(body.len() as u64, Relaxed);
                                let rejected = ExportTraceServiceResponse::decode(&answer[..])
                                    .ok()
                                    .and_then(|a| a.partial_success)
                                    .map_or(0, |p| p.rejected_spans.max(0) as u64);
                                counts.rejected.fetch_add(rejected, Relaxed);
                                break;
                            }
                            Ok((429 | 503, retry, _)) => {
                                counts.throttled.fetch_add(1, Relaxed);
                                std::thread::sleep(Duration::from_secs(retry.unwrap_or(1)));
                            }
                            Ok((status, _, answer)) => {
                                return Err(std::io::Error::other(format!(
                                    "answered {status}: {}",
                                    String::from_utf8_lossy(&answer)
                                )));
                            }
                            Err(_) => {
                                counts.errors.fetch_add(1, Relaxed);
                                std::thread::sleep(Duration::from_millis(100));
                                (c, r) = connect(to)?;
                            }
                        }
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join()
            .map_err(|_| std::io::Error::other("a sender thread panicked"))??;
    }
    let secs = t0.elapsed().as_secs_f64();
    let spans = counts.spans.load(Relaxed);
    let rejected = counts.rejected.load(Relaxed);
    println!(
        "{{\"requests\":{},\"spans\":{spans},\"accepted\":{},\"rejected\":{rejected},\"throttled\":{},\"errors\":{},\"seconds\":{secs:.3},\"achieved\":{:.0},\"bytes\":{},\"connections\":{connections},\"batch\":{batch}}}",
        counts.requests.load(Relaxed),
        spans - rejected,
        counts.throttled.load(Relaxed),
        counts.errors.load(Relaxed),
        (spans - rejected) as f64 / secs,
        counts.bytes.load(Relaxed),
    );
    Ok(())
}
