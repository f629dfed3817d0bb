//! `listen --forward`: besides showing them, upload accepted documents to AWS X-Ray with
//! `PutTraceSegments`, batched as the X-Ray daemon does (up to 50 documents, or whatever
//! arrived within 1 s), with retries and a bounded buffer.
//!
//! The upload runs on its own thread, behind a bounded queue: a slow or unreachable AWS never
//! slows down receiving. When the queue is full, documents are dropped and counted; a batch
//! that still fails after its retries is counted as failed (the X-Ray daemon drops it at once).
//! A document whose trace ID is not in X-Ray form (an OpenTelemetry trace ID whose first 8 hex
//! digits are not a time) is not sent at all: X-Ray refuses it, and says nothing of why, so it
//! is counted under its own reason
//! ([`FORWARD_NOT_XRAY_ID`](crate::source::feed::FORWARD_NOT_XRAY_ID)) instead.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Documents per `PutTraceSegments` call (the API's maximum).
pub const BATCH_SIZE: usize = 50;
/// A partial batch is sent after this long.
pub const BATCH_WAIT: Duration = Duration::from_secs(1);
/// Documents waiting for upload before new ones are dropped.
pub const QUEUE_DOCS: usize = 10_000;
/// Attempts per batch (1 + retries), with exponential backoff from 200 ms.
pub const ATTEMPTS: u32 = 4;

/// Forwarding counters.
#[derive(Debug, Default)]
pub struct ForwardStats {
    /// Documents the service accepted.
    pub sent: AtomicU64,
    /// Documents dropped because the queue was full.
    pub dropped: AtomicU64,
    /// Documents that failed after every retry, or that the service reported unprocessed.
    pub failed: AtomicU64,
    /// Documents left out of the upload because their trace ID is not in X-Ray form (see
    /// [`FORWARD_NOT_XRAY_ID`](crate::source::feed::FORWARD_NOT_XRAY_ID)).
    pub not_xray_id: AtomicU64,
    /// The last upload error, for a person.
    pub last_error: std::sync::Mutex<Option<String>>,
}

/// Uploads one batch; returns how many documents the service did not process, or an error
/// (which is retried).
pub trait Upload: Send + 'static {
    /// Sends `docs` (at most [`BATCH_SIZE`]).
    fn put(&mut self, docs: &[String]) -> Result<usize, String>;
}

/// The queue in front of the upload thread.
#[derive(Debug)]
pub struct Forwarder {
    tx: Option<SyncSender<String>>,
    thread: Option<JoinHandle<()>>,
    /// The counters.
    pub stats: Arc<ForwardStats>,
}

impl Forwarder {
    /// Starts the upload thread.
    pub fn start(upload: impl Upload, stats: Arc<ForwardStats>) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::sync_channel(QUEUE_DOCS);
        let s = stats.clone();
        let thread = std::thread::Builder::new()
            .name("xray-forward".into())
            .spawn(move || run(rx, upload, &s, Duration::from_millis(200)))?;
        Ok(Self {
            tx: Some(tx),
            thread: Some(thread),
            stats,
        })
    }

    /// Queues one document of trace `trace_id`; never blocks (a full queue drops it and
    /// counts). A trace ID not in X-Ray form (`1-8hex-24hex`) is counted and not queued.
    pub fn push(&self, trace_id: &str, doc: String) {
        if !crate::model::header::is_xray_id(trace_id) {
            self.stats.not_xray_id.fetch_add(1, Relaxed);
            return;
        }
        if let Some(tx) = &self.tx {
            match tx.try_send(doc) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                    self.stats.dropped.fetch_add(1, Relaxed);
                }
            }
        }
    }

    /// Sends what is queued and stops the thread.
    pub fn finish(mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(rx: Receiver<String>, mut upload: impl Upload, stats: &ForwardStats, backoff: Duration) {
    let mut batch: Vec<String> = Vec::with_capacity(BATCH_SIZE);
    let mut since = Instant::now();
    loop {
        let wait = if batch.is_empty() {
            Duration::from_secs(3600)
        } else {
            BATCH_WAIT.saturating_sub(since.elapsed())
        };
        let closed = match rx.recv_timeout(wait) {
            Ok(doc) => {
                if batch.is_empty() {
                    since = Instant::now();
                }
                batch.push(doc);
                false
            }
            Err(RecvTimeoutError::Timeout) => false,
            Err(RecvTimeoutError::Disconnected) => true,
        };
        if !batch.is_empty()
            && (closed || batch.len() >= BATCH_SIZE || since.elapsed() >= BATCH_WAIT)
        {
            send(&mut upload, &batch, stats, backoff);
            batch.clear();
        }
        if closed {
            return;
        }
    }
}

fn send(upload: &mut impl Upload, batch: &[String], stats: &ForwardStats, backoff: Duration) {
    let mut delay = backoff;
    for attempt in 1..=ATTEMPTS {
        match upload.put(batch) {
            Ok(unprocessed) => {
                let unprocessed = unprocessed.min(batch.len());
                stats
                    .sent
                    .fetch_add((batch.len() - unprocessed) as u64, Relaxed);
                stats.failed.fetch_add(unprocessed as u64, Relaxed);
                return;
            }
            Err(e) => {
                if attempt == ATTEMPTS {
                    if let Ok(mut last) = stats.last_error.lock() {
                        *last = Some(e);
                    }
                    stats.failed.fetch_add(batch.len() as u64, Relaxed);
                } else {
                    std::thread::sleep(delay);
                    delay *= 2;
                }
            }
        }
    }
}

/// Uploads with the AWS SDK, credentials and region from the usual AWS configuration chain.
#[derive(Debug)]
pub struct AwsUpload {
    rt: tokio::runtime::Runtime,
    client: aws_sdk_xray::Client,
}

impl AwsUpload {
    /// Loads the AWS configuration (environment, profile, instance role...).
    pub fn new() -> std::io::Result<Self> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let config = rt.block_on(aws_config::load_defaults(
            aws_config::BehaviorVersion::latest(),
        ));
        if config.region().is_none() {
            return Err(std::io::Error::other(
                "--forward: no AWS region configured (set AWS_REGION or a profile region)",
            ));
        }
        Ok(Self {
            client: aws_sdk_xray::Client::new(&config),
            rt,
        })
    }
}

impl Upload for AwsUpload {
    fn put(&mut self, docs: &[String]) -> Result<usize, String> {
        let call = self
            .client
            .put_trace_segments()
            .set_trace_segment_documents(Some(docs.to_vec()))
            .send();
        // The timer must be made inside the runtime (outside it, tokio panics).
        let out = self
            .rt
            .block_on(async { tokio::time::timeout(Duration::from_secs(5), call).await })
            .map_err(|_| "timed out".to_owned())?
            .map_err(|e| aws_sdk_xray::error::DisplayErrorContext(e).to_string())?;
        Ok(out.unprocessed_trace_segments().len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Clone, Default)]
    struct Fake {
        calls: Arc<Mutex<Vec<usize>>>,
        fail_first: Arc<AtomicU64>,
    }

    impl Upload for Fake {
        fn put(&mut self, docs: &[String]) -> Result<usize, String> {
            if self.fail_first.load(Relaxed) > 0 {
                self.fail_first.fetch_sub(1, Relaxed);
                return Err("throttled".into());
            }
            self.calls
                .lock()
                .map_err(|e| e.to_string())?
                .push(docs.len());
            Ok(0)
        }
    }

    #[test]
    fn batches_of_fifty_then_the_rest_on_finish() {
        let fake = Fake::default();
        let f = Forwarder::start(fake.clone(), Arc::default()).expect("start");
        for i in 0..120 {
            f.push(TRACE, format!("{{\"n\":{i}}}"));
        }
        let stats = f.stats.clone();
        f.finish();
        assert_eq!(*fake.calls.lock().expect("lock"), [50, 50, 20]);
        assert_eq!(stats.sent.load(Relaxed), 120);
    }

    const TRACE: &str = "1-5759e988-bd862e3fe1be46a994272793";

    #[test]
    fn documents_of_w3c_only_trace_ids_are_counted_not_sent() {
        let fake = Fake::default();
        let f = Forwarder::start(fake.clone(), Arc::default()).expect("start");
        f.push(TRACE, "{}".into());
        // An OpenTelemetry trace ID kept in W3C form (its first 8 digits are not a time).
        f.push("0000000000000000000000000000abcd", "{}".into());
        f.push("0af7651916cd43dd8448eb211c80319c", "{}".into());
        f.push(TRACE, "{}".into());
        let stats = f.stats.clone();
        f.finish();
        assert_eq!(*fake.calls.lock().expect("lock"), [2]);
        assert_eq!(stats.sent.load(Relaxed), 2);
        assert_eq!(stats.not_xray_id.load(Relaxed), 2);
        assert_eq!(stats.failed.load(Relaxed), 0);
        assert_eq!(stats.dropped.load(Relaxed), 0);
    }

    #[test]
    fn retries_then_counts_failures() {
        let stats = ForwardStats::default();
        let mut fake = Fake::default();
        fake.fail_first.store(2, Relaxed);
        send(&mut fake, &["{}".into()], &stats, Duration::ZERO);
        assert_eq!(stats.sent.load(Relaxed), 1, "third attempt succeeds");
        fake.fail_first.store(10, Relaxed);
        send(
            &mut fake,
            &["{}".into(), "{}".into()],
            &stats,
            Duration::ZERO,
        );
        assert_eq!(stats.failed.load(Relaxed), 2);
    }
}
