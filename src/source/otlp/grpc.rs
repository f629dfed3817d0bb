//! OTLP/gRPC: the `opentelemetry.proto.collector.trace.v1.TraceService/Export` method, served
//! by tonic with messages of at most [`MAX_REQUEST_BYTES`] (gzip accepted, inflated within the
//! same limit). A request the daemon cannot take now is answered `RESOURCE_EXHAUSTED` with a
//! `google.rpc.RetryInfo`, which OTLP exporters honour by retrying after its delay; spans the
//! translation left out are answered as a partial success.
//!
//! gRPC clients keep one HTTP/2 connection open, so connections are capped
//! ([`MAX_CONNECTIONS`]; past it a new one is closed at once and counted), as are the streams
//! on one connection ([`MAX_STREAMS`]): what tonic may buffer is bounded by connections ×
//! streams × message size.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tonic::codec::CompressionEncoding;
use tonic_types::{ErrorDetails, StatusExt};

use super::receive::{Intake, MAX_REQUEST_BYTES, RETRY_AFTER, Throttled, too_many_spans};

/// Connections held at once; past it a new connection is closed at once.
pub const MAX_CONNECTIONS: usize = 32;

/// Requests one connection may have open at once.
pub const MAX_STREAMS: u32 = 4;

/// The longest header block a request may send.
const MAX_HEADER_LIST: u32 = 16 * 1024;

/// A request must be answered within this, or it is cancelled.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How often an idle connection is pinged, and how long a ping may go unanswered before the
/// connection is closed: a client that went away frees its place.
const KEEPALIVE: Duration = Duration::from_secs(60);
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// The `TraceService` handed to tonic.
struct Export {
    intake: Arc<Intake>,
}

#[tonic::async_trait]
impl TraceService for Export {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let Some(permit) = self.intake.begin() else {
            self.intake.stats.throttle();
            return Err(throttled());
        };
        let request = request.into_inner();
        if let Some(why) = too_many_spans(&request) {
            self.intake.stats.refuse(&why);
            return Err(tonic::Status::invalid_argument(why));
        }
        let intake = self.intake.clone();
        // Translating runs on the blocking pool; the permit bounds how many.
        let answer = tokio::task::spawn_blocking(move || intake.accept(&request))
            .await
            .map_err(|_| tonic::Status::internal("the translation failed"))?;
        drop(permit);
        match answer {
            Ok(response) => Ok(tonic::Response::new(response)),
            Err(Throttled) => Err(throttled()),
        }
    }
}

/// `RESOURCE_EXHAUSTED` with a `RetryInfo`: the exporter keeps the spans and retries.
fn throttled() -> tonic::Status {
    tonic::Status::with_error_details(
        tonic::Code::ResourceExhausted,
        "xray-tui is busy filing earlier spans; retry later",
        ErrorDetails::with_retry_info(Some(RETRY_AFTER)),
    )
}

/// A connection holding one of the [`MAX_CONNECTIONS`] places until it closes.
struct Held {
    stream: TcpStream,
    _place: OwnedSemaphorePermit,
}

impl AsyncRead for Held {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Held {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

impl tonic::transport::server::Connected for Held {
    type ConnectInfo = ();

    fn connect_info(&self) {}
}

/// Accepts connections within the cap and serves `TraceService` on them.
pub(crate) async fn serve(listener: tokio::net::TcpListener, intake: Arc<Intake>) {
    let places = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let (tx, rx) = mpsc::channel::<Result<Held, std::io::Error>>(1);
    let accept = {
        let intake = intake.clone();
        async move {
            loop {
                let stream = crate::source::serve::accept(&listener).await;
                let Ok(place) = places.clone().try_acquire_owned() else {
                    intake.stats.refuse("too many gRPC connections");
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let held = Held {
                    stream,
                    _place: place,
                };
                if tx.send(Ok(held)).await.is_err() {
                    return;
                }
            }
        }
    };
    let service = TraceServiceServer::new(Export { intake })
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(MAX_REQUEST_BYTES);
    let server = tonic::transport::Server::builder()
        .max_concurrent_streams(MAX_STREAMS)
        .concurrency_limit_per_connection(MAX_STREAMS as usize)
        .http2_max_header_list_size(MAX_HEADER_LIST)
        .http2_keepalive_interval(Some(KEEPALIVE))
        .http2_keepalive_timeout(Some(KEEPALIVE_TIMEOUT))
        .timeout(REQUEST_TIMEOUT)
        .serve_with_incoming(service, tokio_stream::wrappers::ReceiverStream::new(rx));
    tokio::select! {
        () = accept => {}
        _ = server => {}
    }
}
