//! OTLP/HTTP: `POST /v1/traces` with an `ExportTraceServiceRequest` as protobuf
//! (`application/x-protobuf`) or JSON (`application/json`), plain or `Content-Encoding: gzip`,
//! answered in the request's encoding as the OTLP specification says: 200 with an
//! `ExportTraceServiceResponse` (a partial success names the spans left out), 400 for a body
//! that does not decode, 404, 405, 413 past [`MAX_REQUEST_BYTES`] uncompressed (or past
//! [`MAX_SPANS`](super::receive::MAX_SPANS) spans), 415 for other
//! types or encodings, and 429 with `Retry-After` when the daemon cannot take the request now.
//! Errors carry a `google.rpc.Status`.
//!
//! Served by hyper (HTTP/1.1, keep-alive) with the limits of the sampling endpoint: bounded
//! heads, bodies and the time they take, and a cap on held connections
//! (`source::serve`).

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Body as _, Incoming};
use hyper::header::{
    ALLOW, CONNECTION, CONTENT_ENCODING, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER,
};
use hyper::{Method, Request, Response, StatusCode};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;
use serde_json::json;
use tonic_types::{ErrorDetails, StatusExt};

use super::receive::{
    Intake, MAX_REQUEST_BYTES, RETRY_AFTER as RETRY_DELAY, Throttled, too_many_spans,
};
use crate::source::serve::{Limits, Slots, serve_http1};

/// The path exporters post traces to.
pub const PATH: &str = "/v1/traces";

/// The largest body read as sent: a gzip body of incompressible data is a little larger than
/// its content, so some room over [`MAX_REQUEST_BYTES`].
pub const MAX_WIRE_BYTES: usize = MAX_REQUEST_BYTES + MAX_REQUEST_BYTES / 64;

/// The longest request head read, in bytes (431 past it).
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

/// A request head must arrive within this of the connection opening or of the previous
/// answer, else the connection is closed. Exporters keep their connection between exports,
/// every 5 s by default: longer than that, so a kept connection is still there.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// A request body must arrive within this of its head (408 past it).
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// Connections held at once: at the cap a new one replaces the oldest idle one, or gets a 503
/// when every held one is being answered. An app's exporter holds one or a few.
pub const MAX_CONNECTIONS: usize = 128;

/// How a request body is encoded, from its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    fn of(headers: &HeaderMap) -> Option<Encoding> {
        let value = headers.get(CONTENT_TYPE)?.to_str().ok()?;
        let media = value.split(';').next().unwrap_or_default().trim();
        if media.eq_ignore_ascii_case("application/x-protobuf") {
            Some(Encoding::Protobuf)
        } else if media.eq_ignore_ascii_case("application/json") {
            Some(Encoding::Json)
        } else {
            None
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => "application/x-protobuf",
            Encoding::Json => "application/json",
        }
    }
}

/// The accept loop: a task per admitted connection, on the receiver's thread.
pub(crate) async fn serve(listener: tokio::net::TcpListener, intake: Arc<Intake>) {
    let slots = Arc::new(Slots::new(MAX_CONNECTIONS));
    loop {
        let stream = crate::source::serve::accept(&listener).await;
        let Some((n, busy, close)) = slots.admit(&intake.stats.refused) else {
            intake.stats.refuse("too many connections");
            let _ = stream.try_write(&refusal());
            continue;
        };
        let (intake, slots) = (intake.clone(), slots.clone());
        tokio::spawn(async move {
            let limits = Limits {
                max_head: MAX_HEAD_BYTES,
                head_timeout: HEADER_TIMEOUT,
            };
            let answer = |req| answer(req, intake.clone());
            serve_http1(stream, busy, &close, limits, answer, || {
                intake.stats.refuse("a malformed request head")
            })
            .await;
            slots.release(n);
        });
    }
}

/// What becomes of a request that is not answered 200.
#[derive(Debug)]
struct Refused {
    status: StatusCode,
    why: String,
}

impl Refused {
    fn new(status: StatusCode, why: impl Into<String>) -> Refused {
        Refused {
            status,
            why: why.into(),
        }
    }
}

/// Reads one request within the limits and answers it.
async fn answer(req: Request<Incoming>, intake: Arc<Intake>) -> Response<Full<Bytes>> {
    let reply = Encoding::of(req.headers()).unwrap_or(Encoding::Json);
    match handle(req, &intake).await {
        Ok((response, encoding)) => ok(&response, encoding),
        Err(r) if r.status == StatusCode::TOO_MANY_REQUESTS => {
            // Counted by the intake, or here when refused before the body was read.
            throttled(reply)
        }
        Err(r) => {
            intake
                .stats
                .refuse(&format!("{} {}", r.status.as_u16(), r.why));
            let mut resp = status_response(r.status, reply, &r.why);
            if r.status == StatusCode::METHOD_NOT_ALLOWED {
                resp.headers_mut()
                    .insert(ALLOW, HeaderValue::from_static("POST"));
            }
            if r.status == StatusCode::PAYLOAD_TOO_LARGE || r.status == StatusCode::REQUEST_TIMEOUT
            {
                resp.headers_mut()
                    .insert(CONNECTION, HeaderValue::from_static("close"));
            }
            resp
        }
    }
}

async fn handle(
    req: Request<Incoming>,
    intake: &Arc<Intake>,
) -> Result<(ExportTraceServiceResponse, Encoding), Refused> {
    if req.uri().path() != PATH {
        return Err(Refused::new(
            StatusCode::NOT_FOUND,
            format!("OTLP traces are received at POST {PATH}"),
        ));
    }
    if req.method() != Method::POST {
        return Err(Refused::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{PATH} takes POST"),
        ));
    }
    let Some(encoding) = Encoding::of(req.headers()) else {
        return Err(Refused::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/x-protobuf or application/json",
        ));
    };
    let gzip = match req
        .headers()
        .get(CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or_default().trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("" | "identity") => false,
        Some("gzip") => true,
        Some(_) => {
            return Err(Refused::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Content-Encoding must be gzip or none",
            ));
        }
    };
    if req.body().size_hint().lower() > MAX_WIRE_BYTES as u64 {
        return Err(too_large());
    }
    let Some(permit) = intake.begin() else {
        intake.stats.throttle();
        return Err(Refused::new(StatusCode::TOO_MANY_REQUESTS, "busy"));
    };
    let limited = Limited::new(req.into_body(), MAX_WIRE_BYTES).collect();
    let body = match tokio::time::timeout(BODY_TIMEOUT, limited).await {
        Ok(Ok(b)) => b.to_bytes(),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => return Err(too_large()),
        Ok(Err(_)) => {
            return Err(Refused::new(
                StatusCode::BAD_REQUEST,
                "the request body could not be read",
            ));
        }
        Err(_) => {
            return Err(Refused::new(
                StatusCode::REQUEST_TIMEOUT,
                "the request body came too slowly",
            ));
        }
    };
    // Decoding and translating run on the blocking pool; the permit bounds how many.
    let work = {
        let intake = intake.clone();
        move || {
            let request = decode(&body, gzip, encoding)?;
            if let Some(why) = too_many_spans(&request) {
                return Err(Refused::new(StatusCode::PAYLOAD_TOO_LARGE, why));
            }
            intake
                .accept(&request)
                .map_err(|Throttled| Refused::new(StatusCode::TOO_MANY_REQUESTS, "busy"))
        }
    };
    let response = tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| Refused::new(StatusCode::INTERNAL_SERVER_ERROR, "the decoder failed"))??;
    drop(permit);
    Ok((response, encoding))
}

fn too_large() -> Refused {
    Refused::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "requests are limited to {} MB uncompressed",
            MAX_REQUEST_BYTES / 1_000_000
        ),
    )
}

/// The request in a body as sent: inflated within [`MAX_REQUEST_BYTES`] when gzip, then
/// decoded.
fn decode(
    body: &[u8],
    gzip: bool,
    encoding: Encoding,
) -> Result<ExportTraceServiceRequest, Refused> {
    let inflated;
    let bytes = if gzip {
        inflated = inflate(body, MAX_REQUEST_BYTES)?;
        &inflated[..]
    } else if body.len() > MAX_REQUEST_BYTES {
        return Err(too_large());
    } else {
        body
    };
    match encoding {
        Encoding::Protobuf => ExportTraceServiceRequest::decode(bytes).map_err(|e| {
            Refused::new(StatusCode::BAD_REQUEST, format!("not an OTLP request: {e}"))
        }),
        Encoding::Json => super::translate::parse_json(bytes).map_err(|e| {
            Refused::new(StatusCode::BAD_REQUEST, format!("not an OTLP request: {e}"))
        }),
    }
}

/// Inflates a gzip body, reading at most `max` bytes of its content: past that it is refused
/// (413) with no more than `max + 1` bytes held, whatever the body would inflate to.
fn inflate(body: &[u8], max: usize) -> Result<Vec<u8>, Refused> {
    let mut out = Vec::with_capacity(body.len().saturating_mul(4).min(max));
    let mut d = flate2::read::MultiGzDecoder::new(body).take(max as u64 + 1);
    d.read_to_end(&mut out).map_err(|e| {
        Refused::new(
            StatusCode::BAD_REQUEST,
            format!("the gzip body does not inflate: {e}"),
        )
    })?;
    if out.len() > max {
        return Err(too_large());
    }
    Ok(out)
}

/// 200 with the response in `encoding`.
fn ok(response: &ExportTraceServiceResponse, encoding: Encoding) -> Response<Full<Bytes>> {
    let body = match encoding {
        Encoding::Protobuf => response.encode_to_vec(),
        Encoding::Json => {
            let v = match &response.partial_success {
                // int64 as a string, as protobuf's JSON mapping writes it.
                Some(p) => json!({"partialSuccess": {
                    "rejectedSpans": p.rejected_spans.to_string(),
                    "errorMessage": p.error_message,
                }}),
                None => json!({}),
            };
            v.to_string().into_bytes()
        }
    };
    with_body(StatusCode::OK, encoding, body)
}

/// 429 with `Retry-After`, and a `google.rpc.Status` carrying a `RetryInfo` of the same delay.
fn throttled(encoding: Encoding) -> Response<Full<Bytes>> {
    let why = "xray-tui is busy filing earlier spans; retry later";
    let body = match encoding {
        Encoding::Protobuf => tonic::Status::with_error_details(
            tonic::Code::ResourceExhausted,
            why,
            ErrorDetails::with_retry_info(Some(RETRY_DELAY)),
        )
        .details()
        .to_vec(),
        Encoding::Json => json!({
            "code": tonic::Code::ResourceExhausted as i32,
            "message": why,
            "details": [{
                "@type": "type.googleapis.com/google.rpc.RetryInfo",
                "retryDelay": format!("{}s", RETRY_DELAY.as_secs()),
            }],
        })
        .to_string()
        .into_bytes(),
    };
    let mut r = with_body(StatusCode::TOO_MANY_REQUESTS, encoding, body);
    r.headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(RETRY_DELAY.as_secs()));
    r
}

/// An error answer: a `google.rpc.Status` with a gRPC code like the HTTP status.
fn status_response(status: StatusCode, encoding: Encoding, why: &str) -> Response<Full<Bytes>> {
    let code = match status {
        StatusCode::NOT_FOUND => tonic::Code::NotFound,
        StatusCode::METHOD_NOT_ALLOWED | StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            tonic::Code::Unimplemented
        }
        StatusCode::PAYLOAD_TOO_LARGE => tonic::Code::ResourceExhausted,
        StatusCode::REQUEST_TIMEOUT => tonic::Code::DeadlineExceeded,
        StatusCode::BAD_REQUEST => tonic::Code::InvalidArgument,
        _ => tonic::Code::Internal,
    };
    let body = match encoding {
        Encoding::Protobuf => tonic_types::pb::Status {
            code: code as i32,
            message: why.to_owned(),
            details: Vec::new(),
        }
        .encode_to_vec(),
        Encoding::Json => json!({"code": code as i32, "message": why})
            .to_string()
            .into_bytes(),
    };
    with_body(status, encoding, body)
}

fn with_body(status: StatusCode, encoding: Encoding, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static(encoding.content_type()),
    );
    r
}

/// A whole HTTP/1.1 503 that closes the connection, for a connection hyper never sees.
fn refusal() -> Vec<u8> {
    let body = json!({"code": tonic::Code::Unavailable as i32, "message": "too many connections"})
        .to_string();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: {}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        RETRY_DELAY.as_secs(),
        body.len()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).expect("gzip");
        e.finish().expect("gzip")
    }

    #[test]
    fn inflation_stops_at_the_limit() {
        let bomb = gzip(&vec![0u8; 50 * 1000 * 1000]);
        assert!(bomb.len() < 100_000, "{}", bomb.len());
        let r = inflate(&bomb, MAX_REQUEST_BYTES).expect_err("too large");
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(inflate(&gzip(b"hello"), 5).expect("fits"), b"hello");
        assert_eq!(
            inflate(b"not gzip", 100)
                .map_err(|r| r.status)
                .expect_err("bad"),
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn content_types_with_parameters_are_understood() {
        let mut h = HeaderMap::new();
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/JSON; charset=utf-8"),
        );
        assert_eq!(Encoding::of(&h), Some(Encoding::Json));
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-protobuf"),
        );
        assert_eq!(Encoding::of(&h), Some(Encoding::Protobuf));
        h.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert_eq!(Encoding::of(&h), None);
    }
}
