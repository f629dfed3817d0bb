//! Command-line interface: the TUI (no subcommand) and the headless commands, which are a
//! stable contract for scripts and tests.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// AWS X-Ray traces in the terminal: from AWS, from files, or from a local daemon.
#[derive(Debug, Parser)]
#[command(name = "xray-tui", version, about, long_about = None)]
pub struct Cli {
    /// What to run; without one, the interactive app opens.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Where the data comes from.
    #[command(flatten)]
    pub source: SourceArgs,
}

/// Where data comes from: the bundled demo, files, or (later) AWS.
#[derive(Debug, Clone, Default, Args)]
pub struct SourceArgs {
    /// Use the bundled demo dataset (no AWS needed).
    #[arg(long, global = true)]
    pub demo: bool,
    /// Read X-Ray data from a file (`-` for stdin); repeatable. Accepts AWS CLI outputs
    /// (get-trace-summaries, batch-get-traces, get-service-graph, get-groups), NDJSON or JSON
    /// arrays of segment documents, and daemon captures.
    #[arg(long = "file", short = 'f', value_name = "PATH", global = true)]
    pub files: Vec<String>,
}

/// The headless commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List trace summaries.
    Query(QueryArgs),
    /// Show whole traces.
    Trace(TraceArgs),
    /// Show the service graph.
    Graph(GraphArgs),
    /// Stand in for the X-Ray daemon: receive segments from SDKs on UDP (and answer their
    /// sampling requests on TCP) at the same address.
    Listen(ListenArgs),
}

/// `query` options.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// An X-Ray filter expression.
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = QueryFormat::Table)]
    pub format: QueryFormat,
}

/// `query --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QueryFormat {
    /// Aligned columns for people.
    Table,
    /// `{"TraceSummaries": [...]}`, as `aws xray get-trace-summaries` prints it.
    Json,
    /// One trace ID a line, oldest first.
    Ids,
}

/// `trace` options.
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// Trace IDs (a unique prefix or suffix is enough).
    #[arg(value_name = "TRACE_ID", required_unless_present = "all")]
    pub ids: Vec<String>,
    /// Every loaded trace.
    #[arg(long, conflicts_with = "ids")]
    pub all: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TraceFormat::Text)]
    pub format: TraceFormat,
    /// Width of the timeline bars in `text` format.
    #[arg(long, default_value_t = 40, value_name = "COLUMNS")]
    pub bar_width: usize,
}

/// `trace --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    /// The waterfall as text.
    Text,
    /// `{"Traces": [...]}`, as `aws xray batch-get-traces` prints it.
    Json,
}

/// `graph` options.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Text)]
    pub format: GraphFormat,
}

/// `graph --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Nodes and edges with statistics, for people.
    Text,
    /// `{"Services": [...]}`, as `aws xray get-service-graph` prints it.
    Json,
    /// Graphviz DOT.
    Dot,
}

/// `listen` options (the local daemon).
#[derive(Debug, Clone, Args)]
pub struct ListenArgs {
    /// Address: `host:port` (UDP and TCP), or `"tcp:host:port udp:host:port"` as in
    /// `AWS_XRAY_DAEMON_ADDRESS`. Loopback unless asked otherwise.
    #[arg(long, value_name = "ADDRESS", default_value = "127.0.0.1:2000")]
    pub bind: String,
    /// No TUI: print a one-line status to stderr (for containers and CI).
    #[arg(long)]
    pub headless: bool,
    /// Append every accepted document to FILE as NDJSON (reopen with `--file FILE`).
    #[arg(long, value_name = "FILE")]
    pub save: Option<std::path::PathBuf>,
    /// Also upload every accepted document to AWS X-Ray (`PutTraceSegments`, batches of 50,
    /// retries), as the X-Ray daemon does; uses the usual AWS credentials and region.
    #[arg(long)]
    pub forward: bool,
    /// Traces kept in memory; the oldest is evicted beyond this.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub trace_limit: usize,
    /// Sampling rules served to SDKs, as `aws xray get-sampling-rules` prints them
    /// (default: X-Ray's default rule, 1 request per second then 5%).
    #[arg(long, value_name = "FILE")]
    pub sampling_rules: Option<std::path::PathBuf>,
    /// Socket receive buffer to ask for, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024 * 1024)]
    pub recv_buffer: usize,
}
