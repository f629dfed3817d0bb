//! The AWS fetcher the TUI talks to: a thread that owns the X-Ray client and an async runtime,
//! takes [`Request`]s, and answers with [`Update`]s through a callback. The UI never waits
//! on it.
//!
//! - A [`Request::Query`] supersedes the one before it (its task is aborted; answers carry the
//!   query's generation, so anything already in flight is dropped by the app). Summary pages
//!   are streamed as snapshots while they arrive, with `TracesProcessedCount` and
//!   `ApproximateTime` in the [`AwsProgress`]; the window's service graph and the groups come
//!   with them.
//! - Follow mode polls the service every [`FOLLOW_EVERY`] for the window since the last poll
//!   (with a small overlap, since the service indexes traces late), merges by trace ID (an
//!   in-progress trace's newer summary replaces the older), and doubles its interval while the
//!   service throttles.
//! - [`Request::Trace`] fetches one trace's documents (`BatchGetTraces`), from a bounded
//!   in-memory LRU cache when it was fetched before, else from the disk cache (one
//!   `batch-get-traces` JSON file per trace ID): a finished trace never changes, so it is
//!   fetched once. Traces with segments still in progress are not written to disk.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::{mpsc, watch};

use super::{AwsError, AwsOptions, SummaryQuery, TimeRangeKind, Window, XRay};
use crate::engine::dataset::{Collector, Dataset};
use crate::model::window::WindowSpec;
use crate::model::{Event, Item};
use crate::model::{Group, ServiceGraph, Trace, TraceSummary};
use crate::source::{AwsProgress, Feed, Query, Request, Snapshot, TraceFetched, Update};

/// How often follow mode polls, when the service is not throttling.
pub const FOLLOW_EVERY: Duration = Duration::from_secs(10);
/// The longest follow interval while throttled.
pub const FOLLOW_MAX: Duration = Duration::from_secs(300);
/// How far back each follow poll looks before the previous poll's end.
pub const FOLLOW_OVERLAP_SECS: f64 = 60.0;
/// Full traces kept in the cache.
pub const TRACE_CACHE: usize = 500;
/// Snapshots are sent at most this often while pages stream in.
const SNAPSHOT_EVERY: Duration = Duration::from_millis(250);

/// A running fetcher; dropping it stops the thread.
#[derive(Debug)]
pub struct Fetcher {
    tx: mpsc::UnboundedSender<Request>,
}

/// How the fetcher gets its client.
#[derive(Debug, Clone)]
pub enum Connect {
    /// Resolve the configuration (aws-config + overrides) on the first request; a failure is
    /// reported and retried on the next one.
    Options(AwsOptions),
    /// Use this client.
    Client(XRay),
}

/// Fetcher settings.
#[derive(Debug, Clone)]
pub struct FetcherOptions {
    /// Where the client comes from.
    pub connect: Connect,
    /// How `GetTraceSummaries` reads the window.
    pub kind: TimeRangeKind,
    /// Follow mode's interval when not throttled ([`FOLLOW_EVERY`]).
    pub follow_every: Duration,
    /// A directory for finished traces ([`default_cache_dir`]); `None` keeps them in memory
    /// only.
    pub disk_cache: Option<PathBuf>,
}

impl FetcherOptions {
    /// The region the status line and console URLs name: the configured one, else
    /// `AWS_REGION`, else `AWS_DEFAULT_REGION`; empty when none is known.
    pub fn region_label(&self) -> String {
        let configured = match &self.connect {
            Connect::Options(o) => o.region.clone(),
            Connect::Client(_) => None,
        };
        configured.or_else(super::env_region).unwrap_or_default()
    }
}

/// Where finished traces are cached: `$XRAY_TUI_CACHE`, else the platform's cache directory
/// (`~/.cache/xray-tui/traces` on Linux).
pub fn default_cache_dir() -> Option<PathBuf> {
    match std::env::var_os("XRAY_TUI_CACHE") {
        Some(d) => Some(PathBuf::from(d)),
        None => Some(
            directories::ProjectDirs::from("", "", "xray-tui")?
                .cache_dir()
                .join("traces"),
        ),
    }
}

/// The cache file of a trace; `None` for an ID that is not safe as a file name.
fn cache_file(dir: &Path, id: &str) -> Option<PathBuf> {
    let safe = !id.is_empty()
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    safe.then(|| dir.join(format!("{id}.json")))
}

/// Reads a cached trace (the file source parses it, as any `batch-get-traces` output).
fn read_cached(dir: &Path, id: &str) -> Option<Arc<Trace>> {
    let path = cache_file(dir, id)?;
    let bytes = std::fs::read(&path).ok()?;
    let mut collector = Collector::new();
    crate::source::file::load_bytes(&path.to_string_lossy(), &bytes, &mut |e| collector.push(e));
    let data = collector.finish();
    if !data.warnings.is_empty() {
        // A damaged cache file is fetched again (and rewritten).
        return None;
    }
    data.traces.by_id(id)
}

/// Writes a finished trace to the cache (best effort: a full disk only costs a refetch).
fn write_cached(dir: &Path, trace: &Trace) {
    if trace.nodes.iter().any(|n| n.doc.is_in_progress()) {
        return;
    }
    let Some(path) = cache_file(dir, &trace.id) else {
        return;
    };
    let Ok(json) =
        crate::engine::export::batch_traces(&[trace]).and_then(|b| serde_json::to_vec(&b))
    else {
        return;
    };
    let _ = crate::paths::create_private_dir(dir);
    // Write then rename, so a reader never sees half a file.
    let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
    if crate::paths::write_private(&tmp, &json).is_ok() && std::fs::rename(&tmp, &path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

impl Fetcher {
    /// Starts the fetcher thread. `sink` gets every event (from the fetcher's threads).
    pub fn start(
        opts: FetcherOptions,
        sink: impl Fn(Update) + Send + Sync + 'static,
    ) -> std::io::Result<Fetcher> {
        let (tx, rx) = mpsc::unbounded_channel();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("xray-fetch")
            .build()?;
        std::thread::Builder::new()
            .name("xray-fetcher".into())
            .spawn(move || rt.block_on(serve(opts, rx, Arc::new(sink))))?;
        Ok(Fetcher { tx })
    }

    /// Asks for something; answers arrive through the sink.
    pub fn send(&self, req: Request) {
        let _ = self.tx.send(req);
    }
}

type Sink = Arc<dyn Fn(Update) + Send + Sync>;

/// A bounded least-recently-used cache of full traces.
#[derive(Debug, Default)]
struct TraceCache {
    order: VecDeque<String>,
    traces: HashMap<String, Arc<Trace>>,
}

impl TraceCache {
    fn get(&mut self, id: &str) -> Option<Arc<Trace>> {
        let t = self.traces.get(id).cloned()?;
        self.order.retain(|x| x != id);
        self.order.push_back(id.to_owned());
        Some(t)
    }

    fn put(&mut self, t: Arc<Trace>) {
        self.order.retain(|x| *x != t.id);
        self.order.push_back(t.id.clone());
        self.traces.insert(t.id.clone(), t);
        while self.order.len() > TRACE_CACHE {
            if let Some(old) = self.order.pop_front() {
                self.traces.remove(&old);
            }
        }
    }
}

async fn serve(opts: FetcherOptions, mut rx: mpsc::UnboundedReceiver<Request>, sink: Sink) {
    let (aws, mut xray) = match opts.connect {
        Connect::Options(o) => (o, None),
        Connect::Client(x) => (AwsOptions::default(), Some(x)),
    };
    let kind = opts.kind;
    let region_label = aws.region.clone().unwrap_or_default();
    let cache = Arc::new(Mutex::new(TraceCache::default()));
    let (follow_tx, follow_rx) = watch::channel(false);
    let mut query: Option<tokio::task::JoinHandle<()>> = None;
    while let Some(req) = rx.recv().await {
        // Connecting can fail (no region, no credentials): say why, and try again on the
        // next request, so fixing the environment and pressing `r` works.
        let client = match &xray {
            Some(x) => x.clone(),
            None => match XRay::connect(&aws).await {
                Ok(x) => {
                    xray = Some(x.clone());
                    x
                }
                Err(e) => {
                    sink(Update::Feed(Feed::Aws(Box::new(AwsProgress {
                        region: region_label.clone(),
                        error: Some(e.with_hint()),
                        ..AwsProgress::default()
                    }))));
                    match req {
                        Request::Trace(id) => sink(Update::Trace(TraceFetched {
                            id,
                            result: Err(e.to_string()),
                        })),
                        Request::TraceGraph(id) => sink(Update::TraceGraph {
                            id,
                            result: Err(e.to_string()),
                        }),
                        _ => {}
                    }
                    continue;
                }
            },
        };
        match req {
            Request::Query(Query {
                generation,
                window,
                filter,
                group,
                follow,
            }) => {
                if let Some(q) = query.take() {
                    q.abort();
                }
                let _ = follow_tx.send(follow);
                let job = QueryJob {
                    xray: client,
                    sink: Arc::clone(&sink),
                    generation,
                    window,
                    filter,
                    group,
                    kind,
                    region: region_label.clone(),
                    follow: follow_rx.clone(),
                    follow_every: opts.follow_every,
                };
                query = Some(tokio::spawn(job.run()));
            }
            Request::Follow(on) => {
                let _ = follow_tx.send(on);
            }
            // Summaries are always asked for again with a query.
            // The service evaluates filters itself; nothing is asked of it row by row.
            Request::Load { .. } | Request::Evaluate(_) => {}
            Request::TraceGraph(id) => {
                let sink = Arc::clone(&sink);
                tokio::spawn(async move {
                    let result = client
                        .trace_graph(std::slice::from_ref(&id))
                        .await
                        .map_err(|e| e.with_hint());
                    sink(Update::TraceGraph { id, result });
                });
            }
            Request::Trace(id) => {
                let sink = Arc::clone(&sink);
                let cache = Arc::clone(&cache);
                let disk = opts.disk_cache.clone();
                tokio::spawn(async move {
                    let result = trace(&client, &id, &cache, disk).await;
                    sink(Update::Trace(TraceFetched { id, result }));
                });
            }
        }
    }
    if let Some(q) = query {
        q.abort();
    }
}

/// A trace from the memory cache, the disk cache, or the service (in that order); what the
/// service returns is cached in both.
async fn trace(
    client: &XRay,
    id: &str,
    cache: &Mutex<TraceCache>,
    disk: Option<PathBuf>,
) -> Result<Arc<Trace>, String> {
    if let Some(t) = cache.lock().ok().and_then(|mut c| c.get(id)) {
        return Ok(t);
    }
    if let Some(dir) = disk.clone() {
        let key = id.to_owned();
        let found = tokio::task::spawn_blocking(move || read_cached(&dir, &key))
            .await
            .ok()
            .flatten();
        if let Some(t) = found {
            if let Ok(mut c) = cache.lock() {
                c.put(Arc::clone(&t));
            }
            return Ok(t);
        }
    }
    let t = fetch_trace(client, id).await?;
    if let Ok(mut c) = cache.lock() {
        c.put(Arc::clone(&t));
    }
    if let Some(dir) = disk {
        let t = Arc::clone(&t);
        let _ = tokio::task::spawn_blocking(move || write_cached(&dir, &t)).await;
    }
    Ok(t)
}

/// `BatchGetTraces` for one ID, assembled.
async fn fetch_trace(xray: &XRay, id: &str) -> Result<Arc<Trace>, String> {
    let mut collector = Collector::new();
    let out = xray
        .traces(&[id.to_owned()], |e| collector.push(e))
        .await
        .map_err(|e| e.with_hint())?;
    if !out.missing.is_empty() {
        return Err("X-Ray did not return it (unknown, expired, or still being processed)".into());
    }
    let data = collector.finish();
    data.traces
        .get(0)
        .ok_or_else(|| "X-Ray returned no documents for it".to_owned())
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// One query: its summaries, streamed, then (in follow mode) polls.
struct QueryJob {
    xray: XRay,
    sink: Sink,
    generation: u64,
    window: String,
    filter: Option<String>,
    group: Option<String>,
    kind: TimeRangeKind,
    region: String,
    follow: watch::Receiver<bool>,
    follow_every: Duration,
}

/// What one query has gathered.
#[derive(Default)]
struct Gathered {
    summaries: Vec<TraceSummary>,
    index: HashMap<String, usize>,
    graph: Option<ServiceGraph>,
    groups: Vec<Group>,
}

impl Gathered {
    fn merge(&mut self, page: Vec<TraceSummary>) {
        for s in page {
            match self.index.get(&s.id) {
                Some(&i) => {
                    if let Some(old) = self.summaries.get_mut(i) {
                        *old = s;
                    }
                }
                None => {
                    self.index.insert(s.id.clone(), self.summaries.len());
                    self.summaries.push(s);
                }
            }
        }
    }

    fn snapshot(&self) -> Arc<Dataset> {
        let mut collector = Collector::new();
        for s in &self.summaries {
            collector.push(Event::Item(Item::Summary(s.clone())));
        }
        if let Some(g) = &self.graph {
            collector.push(Event::Item(Item::ServiceGraph(g.clone())));
        }
        collector.push(Event::Item(Item::Groups(self.groups.clone())));
        Arc::new(collector.finish())
    }
}

impl QueryJob {
    fn progress(&self, p: &AwsProgress) {
        (self.sink)(Update::Feed(Feed::Aws(Box::new(p.clone()))));
    }

    fn data(&self, g: &Gathered) {
        (self.sink)(Update::Snapshot(Snapshot {
            generation: self.generation,
            data: g.snapshot(),
        }));
    }

    async fn run(mut self) {
        let text = if self.window.trim().is_empty() {
            "15m".to_owned()
        } else {
            self.window.trim().to_owned()
        };
        let mut p = AwsProgress {
            region: self.region.clone(),
            fetching: true,
            following: *self.follow.borrow(),
            ..AwsProgress::default()
        };
        let spec = match WindowSpec::parse(&text) {
            Ok(s) => s,
            Err(e) => {
                p.fetching = false;
                p.error = Some(e.to_string());
                self.progress(&p);
                return;
            }
        };
        p.window = spec.describe(&text);
        self.progress(&p);
        let mut g = Gathered::default();
        // Groups and the graph are extras: a failure there is shown, the list still loads.
        match self.xray.groups().await {
            Ok(groups) => g.groups = groups,
            Err(e) => p.error = Some(e.with_hint()),
        }
        let (start, end) = spec.range(now());
        let window = Window {
            start,
            end,
            kind: self.kind,
        };
        let q = SummaryQuery {
            window,
            filter: self.filter.clone(),
            group: self.group.clone(),
        };
        let mut last_sent: Option<std::time::Instant> = None;
        let (generation, sink) = (self.generation, Arc::clone(&self.sink));
        let result = self
            .xray
            .summaries(&q, |page| {
                p.pages += 1;
                p.traces_processed += page.traces_processed_count.unwrap_or(0);
                p.approximate_time = page.approximate_time.or(p.approximate_time);
                g.merge(page.summaries);
                // The first page shows at once; later ones at most every SNAPSHOT_EVERY.
                if last_sent.is_none_or(|t| t.elapsed() >= SNAPSHOT_EVERY) {
                    last_sent = Some(std::time::Instant::now());
                    let data = g.snapshot();
                    sink(Update::Snapshot(Snapshot { generation, data }));
                    sink(Update::Feed(Feed::Aws(Box::new(p.clone()))));
                }
            })
            .await;
        if let Err(e) = result {
            p.error = Some(e.with_hint());
        }
        if p.error.is_none() || !g.summaries.is_empty() {
            match self
                .xray
                .service_graph(&window, self.group.as_deref())
                .await
            {
                Ok(graph) if !graph.services.is_empty() => g.graph = Some(graph),
                Ok(_) => {}
                Err(e) => p.error = p.error.take().or(Some(e.with_hint())),
            }
        }
        p.fetching = false;
        self.data(&g);
        self.progress(&p);
        self.follow_loop(g, p, end).await;
    }

    /// Polls for new traces while follow mode is on; waits for it to be turned on otherwise.
    async fn follow_loop(&mut self, mut g: Gathered, mut p: AwsProgress, mut last_end: f64) {
        let mut every = self.follow_every;
        loop {
            if !*self.follow.borrow() {
                p.following = false;
                p.poll_every = None;
                self.progress(&p);
                if self.follow.changed().await.is_err() {
                    return;
                }
                continue;
            }
            p.following = true;
            p.poll_every = Some(every.as_secs());
            self.progress(&p);
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                changed = self.follow.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    continue;
                }
            }
            let end = now();
            let q = SummaryQuery {
                window: Window {
                    start: (last_end - FOLLOW_OVERLAP_SECS).min(end - 1.0),
                    end,
                    kind: self.kind,
                },
                filter: self.filter.clone(),
                group: self.group.clone(),
            };
            let mut fresh = Vec::new();
            match self
                .xray
                .summaries(&q, |page| fresh.extend(page.summaries))
                .await
            {
                Ok(()) => {
                    every = self.follow_every;
                    p.throttled = false;
                    p.error = None;
                    last_end = end;
                    p.pages += 1;
                    if !fresh.is_empty() {
                        g.merge(fresh);
                        self.data(&g);
                    }
                }
                Err(AwsError::Throttled(m)) => {
                    every = (every * 2).min(FOLLOW_MAX);
                    p.throttled = true;
                    p.error = Some(format!(
                        "throttled: {m}; polling every {}s",
                        every.as_secs()
                    ));
                }
                Err(e) => p.error = Some(e.with_hint()),
            }
        }
    }
}
