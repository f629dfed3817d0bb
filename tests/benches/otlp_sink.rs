//! The baseline of the OTLP/HTTP benchmark (issue #16): a bare OTLP/HTTP receiver that reads
//! each request's body, decodes it (prost, the same message types) to count its spans, and
//! answers 200 with an empty `ExportTraceServiceResponse`; nothing else.
//!
//! Why: as `udp_sink.rs` for the UDP rows, what a receiver that only takes requests gets from
//! the same sender (`otlp_send.rs`), on the same shared box in the same invocation, says how
//! much of `listen`'s rate the machine, HTTP and decoding cost and how much its own work
//! (translating spans into segment documents, filing them, `--save`). It is served as `listen`
//! serves OTLP/HTTP (`src/source/otlp/http.rs`): hyper's HTTP/1.1 with keep-alive on a
//! current-thread tokio runtime, one task a connection; decoding on that thread.
//!
//! Run: `cargo run --release --example otlp_sink -- --bind 127.0.0.1:0`. Prints `listening on
//! http ADDR` on stderr once bound, serves until SIGTERM or SIGINT, then prints one JSON line on
//! stdout: `{"requests":..,"spans":..,"bytes":..,"seconds":..}` (seconds from the first
//! request to the last).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

#[derive(Default)]
struct Counts {
    requests: u64,
    spans: u64,
    bytes: u64,
    first: Option<Instant>,
    last: Option<Instant>,
}

async fn answer(req: Request<Incoming>, counts: Arc<Mutex<Counts>>) -> Response<Full<Bytes>> {
    let status = match req.into_body().collect().await {
        Ok(body) => {
            let body = body.to_bytes();
            match ExportTraceServiceRequest::decode(body.clone()) {
                Ok(r) => {
                    let spans: usize = r
                        .resource_spans
                        .iter()
                        .flat_map(|r| &r.scope_spans)
                        .map(|s| s.spans.len())
                        .sum();
                    if let Ok(mut c) = counts.lock() {
                        let now = Instant::now();
                        c.first.get_or_insert(now);
                        c.last = Some(now);
                        c.requests += 1;
                        c.spans += spans as u64;
                        c.bytes += body.len() as u64;
                    }
                    StatusCode::OK
                }
                Err(_) => StatusCode::BAD_REQUEST,
            }
        }
        Err(_) => StatusCode::BAD_REQUEST,
    };
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/x-protobuf"),
    );
    r
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bind: SocketAddr = args
        .iter()
        .position(|a| a == "--bind")
        .and_then(|i| args.get(i + 1))
        .map_or("127.0.0.1:4318", String::as_str)
        .parse()
        .map_err(|_| std::io::Error::other("usage: otlp_sink [--bind ADDR]"))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let counts = Arc::new(Mutex::new(Counts::default()));
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(bind).await?;
        eprintln!("listening on http {}", listener.local_addr()?);
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        loop {
            let stream = tokio::select! {
                s = listener.accept() => s?.0,
                _ = term.recv() => break,
                _ = tokio::signal::ctrl_c() => break,
            };
            let _ = stream.set_nodelay(true);
            let counts = counts.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let counts = counts.clone();
                    async move { Ok::<_, Infallible>(answer(req, counts).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
        Ok::<_, std::io::Error>(())
    })?;
    let c = counts
        .lock()
        .map_err(|_| std::io::Error::other("poisoned"))?;
    let seconds = match (c.first, c.last) {
        (Some(a), Some(b)) => (b - a).as_secs_f64(),
        _ => 0.0,
    };
    println!(
        "{{\"requests\":{},\"spans\":{},\"bytes\":{},\"seconds\":{seconds:.3}}}",
        c.requests, c.spans, c.bytes
    );
    Ok(())
}
