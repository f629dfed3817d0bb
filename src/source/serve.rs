//! Bounded HTTP/1.1 serving shared by the daemon's sampling endpoint and the OTLP receiver:
//! a cap on held connections that lets a new client in by closing the oldest idle one, and the
//! "lingering close" that makes sure a client reads its last answer. Both servers face clients
//! that may be slow, idle or hostile, and share the process with the UDP threads, so every
//! connection they hold is counted and every close is bounded in bytes and time.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

/// One held connection: whether a request on it is being answered, and how to close it.
#[derive(Debug)]
pub(crate) struct Slot {
    busy: Arc<AtomicBool>,
    close: Arc<Notify>,
}

/// The connections held, oldest first (by number).
#[derive(Debug)]
pub(crate) struct Slots {
    max: usize,
    next: AtomicU64,
    open: Mutex<BTreeMap<u64, Slot>>,
}

impl Slots {
    /// Room for `max` connections (at least 1).
    pub(crate) fn new(max: usize) -> Slots {
        Slots {
            max: max.max(1),
            next: AtomicU64::new(0),
            open: Mutex::new(BTreeMap::new()),
        }
    }

    /// A place for a new connection: `(number, busy, close)`, or `None` if `max`
    /// are held and all are being answered. At the cap, the oldest connection not being
    /// answered is told to close and its place taken.
    pub(crate) fn admit(&self, refused: &AtomicU64) -> Option<(u64, Arc<AtomicBool>, Arc<Notify>)> {
        let mut open = match self.open.lock() {
            Ok(o) => o,
            Err(p) => p.into_inner(),
        };
        if open.len() >= self.max {
            let idle = open
                .iter()
                .find(|(_, s)| !s.busy.load(Relaxed))
                .map(|(&n, _)| n)?;
            if let Some(s) = open.remove(&idle) {
                s.close.notify_one();
                refused.fetch_add(1, Relaxed);
            }
        }
        let n = self.next.fetch_add(1, Relaxed);
        let slot = Slot {
            busy: Arc::new(AtomicBool::new(false)),
            close: Arc::new(Notify::new()),
        };
        let handles = (n, slot.busy.clone(), slot.close.clone());
        open.insert(n, slot);
        Some(handles)
    }

    /// Connection `n` has closed.
    pub(crate) fn release(&self, n: u64) {
        match self.open.lock() {
            Ok(mut o) => o.remove(&n),
            Err(p) => p.into_inner().remove(&n),
        };
    }
}

/// Marks a connection busy while a request on it is answered (also if the answer is dropped).
struct Busy(Arc<AtomicBool>);

impl Busy {
    fn new(flag: &Arc<AtomicBool>) -> Busy {
        flag.store(true, Relaxed);
        Busy(flag.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.store(false, Relaxed);
    }
}

/// Closes a connection hyper is done with so that its last answer arrives. A socket closed
/// with unread bytes in its receive buffer sends a reset, and a reset can reach the client
/// before the answer does (a 413 sent before the body was read is lost that way). So the
/// write side is shut first and what the client still sends is read and dropped, at most
/// [`LINGER_BYTES`] and for at most [`LINGER_TIME`], as web servers do ("lingering close").
async fn linger(mut stream: tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    if stream.shutdown().await.is_err() {
        return;
    }
    let drain = async {
        let mut buf = vec![0u8; 4 * 1024];
        let mut read = 0;
        while read < LINGER_BYTES {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => read += n,
            }
        }
    };
    let _ = tokio::time::timeout(LINGER_TIME, drain).await;
}

/// The most a closing connection's unread input is drained, in bytes (see [`linger`]).
const LINGER_BYTES: usize = 256 * 1024;

/// The longest a closing connection is drained (see [`linger`]).
const LINGER_TIME: Duration = Duration::from_secs(2);

/// How one HTTP/1.1 connection is held: the largest request head and how long the next head
/// may take (from the opening or the previous answer: idle keep-alive connections end).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// The longest head (request line and headers), in bytes.
    pub(crate) max_head: usize,
    /// How long a head may take to arrive.
    pub(crate) head_timeout: Duration,
}

/// The next connection on `listener`. An accept that fails (out of file descriptors, say) is
/// tried again after a pause, so connections being served can close meanwhile.
pub(crate) async fn accept(listener: &tokio::net::TcpListener) -> tokio::net::TcpStream {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => return stream,
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Serves one admitted HTTP/1.1 connection with keep-alive within `limits`, `answer`ing each
/// request while the connection counts as busy. It ends when the client is done (then it
/// lingers, so the client reads the last answer), when hyper refuses a malformed or oversized
/// head itself (400, 431: `on_bad_head` is called), or when `close` is notified (its place was
/// given to a new client).
pub(crate) async fn serve_http1<F, Fut>(
    stream: tokio::net::TcpStream,
    busy: Arc<AtomicBool>,
    close: &Notify,
    limits: Limits,
    answer: F,
    on_bad_head: impl FnOnce(),
) where
    F: Fn(hyper::Request<hyper::body::Incoming>) -> Fut + Send,
    Fut: std::future::Future<Output = hyper::Response<http_body_util::Full<bytes::Bytes>>> + Send,
{
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(move |req| {
        let busy = Busy::new(&busy);
        let answer = answer(req);
        async move {
            let answer = answer.await;
            drop(busy);
            Ok::<_, std::convert::Infallible>(answer)
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.head_timeout)
        .max_buf_size(limits.max_head)
        .keep_alive(true)
        .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
    tokio::select! {
        r = conn.without_shutdown() => match r {
            // Boxed: the drain's state is only allocated for a connection that gets there.
            Ok(parts) => Box::pin(linger(parts.io.into_inner())).await,
            // hyper answered a bad or oversized head itself (400, 431).
            Err(e) if e.is_parse() => on_bad_head(),
            Err(_) => {}
        },
        () = close.notified() => {}
    }
}
