//! Sources: where X-Ray data comes from, behind one seam.
//!
//! Every source (files and the demo, the X-Ray API, the local daemon; OTLP next) plugs in the
//! same way: [`start`] takes its [`Options`] and a sink, does its I/O on its own threads, and
//! answers with [`Update`]s through the sink; the app asks for things with [`Request`]s sent
//! through the [`Handle`]. The app never learns which source it talks to beyond its
//! [`SourceKind`] and what that kind can do ([`Capabilities`]).
//!
//! This module is the vocabulary of that seam; the folders below it are the sources. A new
//! source is a folder here, a variant of [`Options`] and of the private `Inner`, and a line in
//! [`start`] and in [`Handle::send`].

pub mod aws;
pub mod daemon;
pub mod feed;
pub mod file;
pub mod load;
pub mod otlp;
pub mod parallel;
pub mod read;
pub(crate) mod serve;

use std::sync::Arc;

use crate::engine::dataset::Dataset;
use crate::model::{ServiceGraph, Trace};

/// What kind of source the app shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceKind {
    /// Files or the demo: loaded once (`r` loads again).
    #[default]
    Files,
    /// `xray-tui listen`: the local daemon, always live.
    Daemon,
    /// The X-Ray API: summaries page by page, traces on demand, follow mode.
    Aws,
}

/// What a source can do. The app asks this, never "is this AWS?".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// Data keeps arriving on its own (newest first; snapshots applied in place).
    pub live: bool,
    /// The source itself evaluates the filter expression and the time window: changing either
    /// is a new [`Request::Query`], not a local re-evaluation.
    pub remote_query: bool,
    /// The list holds summaries; a trace's documents are fetched when it is opened
    /// ([`Request::Trace`]).
    pub traces_on_demand: bool,
    /// Follow mode can be switched on and off ([`Request::Follow`]).
    pub follow: bool,
    /// The source has its own map of a trace ([`Request::TraceGraph`]).
    pub trace_graph: bool,
    /// `r` loads the data again ([`Request::Load`]).
    pub reload: bool,
}

impl SourceKind {
    /// What this kind of source can do.
    pub const fn capabilities(self) -> Capabilities {
        match self {
            SourceKind::Files => Capabilities {
                live: false,
                remote_query: false,
                traces_on_demand: false,
                follow: false,
                trace_graph: false,
                reload: true,
            },
            SourceKind::Daemon => Capabilities {
                live: true,
                remote_query: false,
                traces_on_demand: false,
                follow: false,
                trace_graph: false,
                reload: false,
            },
            SourceKind::Aws => Capabilities {
                live: true,
                remote_query: true,
                traces_on_demand: true,
                follow: true,
                trace_graph: true,
                reload: true,
            },
        }
    }
}

/// What the app asks a source for. Answers come back as [`Update`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Load everything again, answered with [`Update::Loaded`] of this generation (files).
    Load {
        /// The generation to answer with; answers to older ones are dropped by the app.
        generation: u64,
    },
    /// Summaries for a window, filter and group, superseding older queries (AWS).
    Query(Query),
    /// Start or stop polling for new traces (AWS).
    Follow(bool),
    /// One trace's documents, answered with [`Update::Trace`] (AWS).
    Trace(String),
    /// The source's own map of one trace, answered with [`Update::TraceGraph`] (AWS).
    TraceGraph(String),
    /// Filter verdicts for rows whose traces must be parsed again, worked out off the UI
    /// thread and answered with [`Update::Verdicts`] (files).
    Evaluate(Box<Evaluation>),
}

/// What [`Request::Evaluate`] asks: the verdicts of `filter` on some rows of `data`.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Answers carry it; the app drops answers to older evaluations.
    pub id: u64,
    /// The data the rows are of.
    pub data: Arc<Dataset>,
    /// The applied filter.
    pub filter: crate::filter::Filter,
    /// The groups `group.name` refers to.
    pub groups: Vec<crate::model::Group>,
    /// The rows to decide.
    pub rows: Vec<usize>,
}

/// Two evaluations are the same request when they ask the same of the same data.
impl PartialEq for Evaluation {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && Arc::ptr_eq(&self.data, &other.data)
            && self.filter.to_string() == other.filter.to_string()
            && self.rows == other.rows
    }
}

impl Eq for Evaluation {}

/// The answer to a [`Request::Evaluate`]: for each row asked, whether the filter matches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdicts {
    /// The evaluation answered.
    pub id: u64,
    /// `(row, matches)` for every row asked.
    pub matches: Vec<(usize, bool)>,
}

/// A query for a source that evaluates filters and windows itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    /// Answers carry this generation; older answers are dropped.
    pub generation: u64,
    /// The time window (`15m`, `3h`, `1d`, or `START..END` in RFC 3339 or epoch seconds);
    /// empty: the last 15 minutes.
    pub window: String,
    /// A filter expression, passed to the service.
    pub filter: Option<String>,
    /// An X-Ray group.
    pub group: Option<String>,
    /// Keep polling for new traces.
    pub follow: bool,
}

/// What a source tells the app.
#[derive(Debug, Clone)]
pub enum Update {
    /// A whole load finished (or failed): replaces the data.
    Loaded(Loaded),
    /// A live source has newer data: applied in place, the selection kept.
    Snapshot(Snapshot),
    /// A live source's counters or paging progress.
    Feed(Feed),
    /// How far a file load is.
    Progress(LoadProgress),
    /// Filter verdicts worked out off the UI thread.
    Verdicts(Verdicts),
    /// A trace fetched on demand.
    Trace(TraceFetched),
    /// The source's map of a trace.
    TraceGraph {
        /// The trace.
        id: String,
        /// The graph (empty when the source has none), or why there is none.
        result: Result<ServiceGraph, String>,
    },
}

/// The result of one load.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The load this answers; answers to older loads are dropped.
    pub generation: u64,
    /// The data, or why there is none.
    pub result: Result<Arc<Dataset>, String>,
}

/// A newer snapshot of a live source's data; from a source that is not live, a preview of a
/// load still running (its first traces), replaced by the load's [`Update::Loaded`].
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The request this answers; a source that pushes on its own sends the generation of the
    /// last [`Request::Load`] (0 before any).
    pub generation: u64,
    /// Everything the source holds now.
    pub data: Arc<Dataset>,
}

/// A trace fetched on demand.
#[derive(Debug, Clone)]
pub struct TraceFetched {
    /// The trace ID asked for.
    pub id: String,
    /// The trace, or why it could not be fetched.
    pub result: Result<Arc<Trace>, String>,
}

pub use feed::{
    AwsProgress, DaemonFeed, DaemonStats, Feed, LoadPhase, LoadProgress, REJECT_REASONS,
};

/// Where updates go: called on the source's own threads.
pub type Sink = Arc<dyn Fn(Update) + Send + Sync>;

/// How to start a source.
#[derive(Debug, Clone)]
pub enum Options {
    /// Files and the bundled demo.
    Files(load::Files),
    /// The X-Ray API.
    Aws(aws::live::FetcherOptions),
    /// The local daemon (`xray-tui listen`).
    Daemon(daemon::DaemonOptions),
}

/// A source could not start.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartError(pub String);

/// A running source: send it [`Request`]s; [`Handle::stop`] ends it.
pub struct Handle {
    kind: SourceKind,
    label: String,
    inner: Inner,
}

enum Inner {
    Files { files: load::Files, sink: Sink },
    Aws(aws::live::Fetcher),
    Daemon(daemon::pump::Pumped),
}

/// Starts a source. Its answers (and, for live sources, its snapshots and counters) go to
/// `sink` from its own threads; nothing is loaded until the first [`Request`], except that a
/// live source that pushes (the daemon) starts sending at once.
pub fn start(options: Options, sink: Sink) -> Result<Handle, StartError> {
    Ok(match options {
        Options::Files(files) => Handle {
            kind: SourceKind::Files,
            label: files.label(),
            inner: Inner::Files { files, sink },
        },
        Options::Aws(opts) => {
            let label = format!("aws {}", opts.region_label());
            let fetcher = aws::live::Fetcher::start(opts, move |u| sink(u))
                .map_err(|e| StartError(e.to_string()))?;
            Handle {
                kind: SourceKind::Aws,
                label,
                inner: Inner::Aws(fetcher),
            }
        }
        Options::Daemon(opts) => {
            let pumped =
                daemon::pump::Pumped::start(opts, sink).map_err(|e| StartError(e.to_string()))?;
            Handle {
                kind: SourceKind::Daemon,
                label: format!("listen udp {}", pumped.daemon().udp_addr()),
                inner: Inner::Daemon(pumped),
            }
        }
    })
}

impl Handle {
    /// What kind of source this is.
    pub fn kind(&self) -> SourceKind {
        self.kind
    }

    /// What the status line calls it (`demo, a.json`, `aws eu-west-1`, `listen udp ...`).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Asks the source for something; requests a source cannot answer are ignored.
    pub fn send(&self, request: Request) {
        match &self.inner {
            Inner::Files { files, sink } => match request {
                Request::Load { generation } => {
                    load::spawn(files.clone(), generation, Arc::clone(sink));
                }
                Request::Evaluate(e) => load::evaluate(*e, Arc::clone(sink)),
                _ => {}
            },
            Inner::Aws(f) => f.send(request),
            Inner::Daemon(p) => p.send(request),
        }
    }

    /// Stops the source and says how it ended, when there is something to say (the daemon's
    /// final counters).
    pub fn stop(self) -> Option<String> {
        match self.inner {
            Inner::Files { .. } | Inner::Aws(_) => None,
            Inner::Daemon(p) => Some(format!("stopped: {}", p.stop())),
        }
    }
}
