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
    /// The configuration file (default: $XRAY_TUI_CONFIG, else the platform's config directory,
    /// e.g. ~/.config/xray-tui/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<std::path::PathBuf>,
    /// Print the default configuration (every key, documented) and exit.
    #[arg(long)]
    pub print_default_config: bool,
}

/// A global option that `listen` does not use: it receives segments; it neither reads files
/// nor queries X-Ray.
struct Unused {
    /// The argument's id.
    id: &'static str,
    /// Its long flag.
    flag: &'static str,
    /// Its short flag, if any.
    short: Option<char>,
    /// Whether it takes a value.
    takes_value: bool,
    /// What it is for, as the refusal says it: `an option for …`.
    purpose: &'static str,
}

/// What the AWS query options are for.
const QUERYING: &str = "querying AWS X-Ray";
/// What the file options are for.
const READING: &str = "reading X-Ray data from files";

/// An [`Unused`] option.
const fn unused(
    id: &'static str,
    flag: &'static str,
    short: Option<char>,
    takes_value: bool,
    purpose: &'static str,
) -> Unused {
    Unused {
        id,
        flag,
        short,
        takes_value,
        purpose,
    }
}

/// The global options `listen` does not use: the AWS source's query options, the files, the
/// demo and the line limit for files.
const LISTEN_UNUSED: [Unused; 11] = [
    unused("since", "--since", None, true, QUERYING),
    unused("start", "--start", None, true, QUERYING),
    unused("end", "--end", None, true, QUERYING),
    unused("time_range_type", "--time-range-type", None, true, QUERYING),
    unused("group", "--group", None, true, QUERYING),
    unused("follow", "--follow", None, false, QUERYING),
    unused("follow_every", "--follow-every", None, true, QUERYING),
    unused("summaries_only", "--summaries-only", None, false, QUERYING),
    unused("demo", "--demo", None, false, "opening the bundled demo"),
    unused("files", "--file", Some('f'), true, READING),
    unused("max_line", "--max-line", None, true, READING),
];

impl Cli {
    /// The command line's definition as the binary uses it: clap's, with the options `listen`
    /// does not use (AWS queries, files, the demo) left out of `listen --help` (hidden copies
    /// of them stand in for the global ones there, so that giving one to `listen` can be
    /// refused).
    pub fn definition() -> clap::Command {
        use clap::CommandFactory;
        Cli::command().mut_subcommand("listen", |mut listen| {
            for u in &LISTEN_UNUSED {
                let mut arg = clap::Arg::new(u.id)
                    .long(u.flag.trim_start_matches("--"))
                    .hide(true)
                    .action(if u.takes_value {
                        clap::ArgAction::Set
                    } else {
                        clap::ArgAction::SetTrue
                    });
                if let Some(c) = u.short {
                    arg = arg.short(c);
                }
                listen = listen.arg(arg);
            }
            listen
        })
    }

    /// Parses the process's arguments with [`Cli::definition`]; prints help, the version or
    /// an error (an option `listen` does not use, given to it, is one) and exits as clap does.
    pub fn parse_args() -> Cli {
        Cli::parse_args_from(std::env::args_os()).unwrap_or_else(|e| e.exit())
    }

    /// [`Cli::parse_args`] of these arguments, the error returned.
    pub fn parse_args_from<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        use clap::FromArgMatches;
        let mut cmd = Cli::definition();
        let matches = cmd.try_get_matches_from_mut(args)?;
        if let Some(listen) = matches.subcommand_matches("listen") {
            let given = LISTEN_UNUSED.iter().find(|u| {
                listen.value_source(u.id) == Some(clap::parser::ValueSource::CommandLine)
            });
            if let Some(u) = given {
                let mut sub = cmd.find_subcommand("listen").cloned().unwrap_or(cmd);
                return Err(sub.error(
                    clap::error::ErrorKind::ArgumentConflict,
                    format!(
                        "`{}` is an option for {}; `listen` receives segments and does not \
                         use it",
                        u.flag, u.purpose
                    ),
                ));
            }
        }
        Cli::from_arg_matches(&matches)
    }
}

/// Where data comes from: the bundled demo, files, or AWS (when neither is given).
#[derive(Debug, Clone, Default, Args)]
pub struct SourceArgs {
    /// Use the bundled demo dataset (no AWS needed).
    #[arg(long, global = true)]
    pub demo: bool,
    /// Read X-Ray data from a file (`-` for stdin); repeatable. Accepts AWS CLI outputs
    /// (get-trace-summaries, batch-get-traces, list-retrieved-traces in XRAY and OTEL form,
    /// get-service-graph, get-groups), NDJSON or JSON
    /// arrays of segment documents, daemon captures, and OpenTelemetry JSON (OTLP, as the
    /// Collector's file exporter writes it).
    #[arg(long = "file", short = 'f', value_name = "PATH", global = true)]
    pub files: Vec<String>,
    /// Files: the longest line read, in bytes (default 64 MiB). A longer line is left out with
    /// a warning naming it, and a line that never ends (`/dev/zero`) ends the input.
    #[arg(long, value_name = "BYTES", global = true, default_value_t = crate::source::read::DEFAULT_MAX_LINE)]
    pub max_line: usize,

    // --- AWS source: used when neither --demo nor --file is given. Credentials, region and
    // endpoint also come from everything aws-config reads (env, ~/.aws files, SSO, ...).
    /// AWS: use this named profile from the shared config files.
    #[arg(long, global = true, value_name = "NAME", help_heading = "AWS")]
    pub profile: Option<String>,
    /// AWS: the region (else AWS_REGION or the profile's).
    #[arg(long, global = true, value_name = "REGION", help_heading = "AWS")]
    pub region: Option<String>,
    /// AWS: send X-Ray requests to this URL (else AWS_ENDPOINT_URL_XRAY / AWS_ENDPOINT_URL).
    #[arg(long, global = true, value_name = "URL", help_heading = "AWS")]
    pub endpoint_url: Option<String>,
    /// AWS: how far back to look, e.g. 15m, 2h, 1d [default: 15m].
    #[arg(long, global = true, value_name = "DURATION", help_heading = "AWS")]
    pub since: Option<String>,
    /// AWS: window start, RFC 3339 or epoch seconds (instead of --since).
    #[arg(
        long,
        global = true,
        value_name = "TIME",
        help_heading = "AWS",
        conflicts_with = "since"
    )]
    pub start: Option<String>,
    /// AWS: window end, RFC 3339 or epoch seconds [default: now].
    #[arg(long, global = true, value_name = "TIME", help_heading = "AWS")]
    pub end: Option<String>,
    /// AWS: what the window applies to.
    #[arg(long, global = true, value_enum, default_value_t, help_heading = "AWS")]
    pub time_range_type: crate::source::aws::TimeRangeKind,
    /// AWS: an X-Ray group (its filter expression applies; `graph` uses the group's graph).
    #[arg(long, global = true, value_name = "NAME", help_heading = "AWS")]
    pub group: Option<String>,
    /// AWS, in the app: start in follow mode (poll for new traces; `F` toggles it).
    #[arg(long, global = true, help_heading = "AWS")]
    pub follow: bool,
    /// AWS, in the app: seconds between follow-mode polls (doubling while throttled).
    #[arg(
        long,
        global = true,
        value_name = "SECS",
        default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..),
        help_heading = "AWS"
    )]
    pub follow_every: u64,
    /// AWS: `query` prints the service's own summaries and does not fetch the traces.
    #[arg(long, global = true, help_heading = "AWS")]
    pub summaries_only: bool,
}

impl SourceArgs {
    /// The same sources with the config's `[defaults]` filling what the command line left
    /// unset (region, profile, and the window when neither `--since` nor `--start` is given).
    pub fn with_defaults(&self, d: &crate::config::Defaults) -> SourceArgs {
        let mut s = self.clone();
        if s.region.is_none() {
            s.region.clone_from(&d.region);
        }
        if s.profile.is_none() {
            s.profile.clone_from(&d.profile);
        }
        if s.since.is_none() && s.start.is_none() {
            s.since.clone_from(&d.since);
        }
        s
    }
}

/// The headless commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List trace summaries, newest first.
    Query(QueryArgs),
    /// Show whole traces.
    Trace(TraceArgs),
    /// Show the service graph.
    Graph(GraphArgs),
    /// Work with X-Ray filter expressions.
    #[command(subcommand)]
    Filter(FilterCommand),
    /// Group traces by a dimension (root cause, URL, status, method, user, service, edge,
    /// annotation): per group the count, share, faults, errors, throttles, response-time
    /// percentiles, and the filter expression that selects exactly its traces.
    Analyze(AnalyzeArgs),
    /// Assert things about the traces, for CI: each assertion prints PASS or FAIL with the
    /// traces that break it; exit 0 when all hold, 1 when one fails, 2 for bad usage.
    Check(CheckArgs),
    /// Compare two traces: their trees aligned by service and name (repeated siblings in
    /// order), each entity's duration and self time on both sides, what only one has, and the
    /// biggest differences.
    Diff(DiffArgs),
    /// Stand in for the X-Ray daemon: receive segments from SDKs on UDP (and answer their
    /// sampling requests on TCP) at the same address.
    Listen(ListenArgs),
}

/// `filter` subcommands.
#[derive(Debug, Subcommand)]
pub enum FilterCommand {
    /// Check an expression: print it normalised, or show the error under it (exit 2).
    /// Group names are checked against the groups in `--file` inputs, when given.
    Check {
        /// The expression, e.g. `service("orders-api") AND responsetime > 0.5`.
        #[arg(value_name = "EXPR")]
        expr: String,
    },
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
    /// One trace ID a line, newest first.
    Ids,
}

/// `check` options: the assertions (each repeatable; at least one).
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("assertions").required(true).multiple(true)
    .args(["none", "some", "max_p95", "max_p99", "max_fault_rate"])))]
pub struct CheckArgs {
    /// Check only the traces this X-Ray filter expression selects.
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
    /// No trace matches this expression (e.g. `fault`).
    #[arg(long, value_name = "EXPR")]
    pub none: Vec<String>,
    /// At least one trace matches this expression.
    #[arg(long, value_name = "EXPR")]
    pub some: Vec<String>,
    /// The 95th percentile of response times is at most this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub max_p95: Vec<f64>,
    /// The 99th percentile of response times is at most this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub max_p99: Vec<f64>,
    /// The share of traces with a fault is at most this (0 to 1).
    #[arg(long, value_name = "RATE")]
    pub max_fault_rate: Vec<f64>,
    /// Receive the traces of COMMAND (after `--`) instead of reading a source: a local daemon
    /// at ADDR (default 127.0.0.1:2000) that samples every request, and OTLP/HTTP on a free
    /// port; COMMAND runs with AWS_XRAY_DAEMON_ADDRESS and OTEL_EXPORTER_OTLP_ENDPOINT pointing
    /// at them, then the traces it sent are checked.
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "127.0.0.1:2000")]
    pub listen: Option<String>,
    /// With --listen: how long to wait after COMMAND ends for its last traces to arrive.
    #[arg(long, value_name = "SECONDS", default_value_t = 1.0)]
    pub settle: f64,
    /// With --listen: the command to run (after `--`), e.g. `-- pytest tests/`.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// `diff` options.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The first trace (an ID, a unique part of one, or a tracing header).
    #[arg(value_name = "TRACE_A")]
    pub a: String,
    /// The second trace.
    #[arg(value_name = "TRACE_B")]
    pub b: String,
    /// Output format: `text` (the aligned trees and the biggest differences) or `json`.
    #[arg(long, value_enum, default_value_t = TraceFormat::Text)]
    pub format: TraceFormat,
}

/// `analyze` options: one of `--by`, `--histogram`, `--over-time`, `--compare`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("mode").required(true)
    .args(["by", "histogram", "over_time", "compare"])))]
pub struct AnalyzeArgs {
    /// An X-Ray filter expression: analyse only the traces it selects.
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
    /// What to group by: rootcause, fault-rootcause, error-rootcause, rootcause-entity,
    /// exception, url, status, method, user, service, edge, resource-arn, annotation.KEY, or
    /// operation (URL path of a segment, aws.operation of an AWS call) and sdk, which no
    /// X-Ray filter can select.
    #[arg(long, value_name = "DIMENSION", value_parser = parse_dimension)]
    pub by: Option<crate::filter::analyze::Dimension>,
    /// The response-time distribution: bins and percentiles (of the traces, or of one
    /// service node or edge).
    #[arg(long)]
    pub histogram: bool,
    /// With --histogram: a service node's response times.
    #[arg(
        long,
        value_name = "NAME",
        requires = "histogram",
        conflicts_with = "edge"
    )]
    pub service: Option<String>,
    /// With --histogram: the calls from one service to another.
    #[arg(long, value_name = "FROM,TO", requires = "histogram")]
    pub edge: Option<String>,
    /// With --histogram: how many bins.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub buckets: usize,
    /// Requests per interval with faults, errors, throttles and p90.
    #[arg(long)]
    pub over_time: bool,
    /// With --over-time: the interval, like 30s, 1m, 1h.
    #[arg(long, value_name = "DURATION", default_value = "1m")]
    pub interval: String,
    /// Compare the traces this expression selects with the rest (or with --baseline): every
    /// dimension value ranked by how differently it is spread.
    #[arg(long, value_name = "EXPR")]
    pub compare: Option<String>,
    /// With --compare: the traces to compare with (default: the others).
    #[arg(long, value_name = "EXPR", requires = "compare")]
    pub baseline: Option<String>,
    /// With --compare: how many rows.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub top: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AnalyzeFormat::Table)]
    pub format: AnalyzeFormat,
}

fn parse_dimension(s: &str) -> Result<crate::filter::analyze::Dimension, String> {
    s.parse()
}

/// `analyze --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AnalyzeFormat {
    /// Aligned columns for people.
    Table,
    /// `{"by": ..., "traces": N, "groups": [...]}` (times in seconds, shares from 0 to 1).
    Json,
}

/// `trace` options.
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// Trace IDs in X-Ray (`1-...`) or W3C (32 hex digits) spelling (a unique prefix or suffix
    /// is enough), or tracing headers as pasted from a log (`Root=1-...;Parent=...;Sampled=1`,
    /// a W3C `traceparent`).
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
    /// Print the critical path instead of the waterfall: the entities that determined the
    /// trace's end-to-end time, each with the path's time in it (JSON: ids in order with
    /// start, end and self time).
    #[arg(long, conflicts_with = "stats")]
    pub critical_path: bool,
    /// Print statistics instead of the waterfall: per service and per operation (AWS
    /// operation, SQL, URL path), count, total, self time, average, maximum, share.
    #[arg(long)]
    pub stats: bool,
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
    /// Documents one trace may hold; past it the trace's new documents are left out (still
    /// saved) and counted as `trace-full`. A document sent again with the same ID replaces
    /// the earlier copy and counts once.
    #[arg(long, value_name = "N", default_value_t = crate::source::daemon::store::DEFAULT_TRACE_DOCUMENTS)]
    pub trace_max_documents: usize,
    /// Bytes of documents one trace may hold (default: X-Ray's trace document size, 500 KB);
    /// past it as for `--trace-max-documents`.
    #[arg(long, value_name = "BYTES", default_value_t = crate::source::daemon::store::DEFAULT_TRACE_BYTES)]
    pub trace_max_bytes: usize,
    /// Sampling rules served to SDKs, as `aws xray get-sampling-rules` prints them
    /// (default: X-Ray's default rule, 1 request per second then 5%).
    #[arg(long, value_name = "FILE")]
    pub sampling_rules: Option<std::path::PathBuf>,
    /// Serve one rule that samples every request (X-Ray's default keeps 1 a second, then 5%,
    /// so a local app shows few of its requests).
    #[arg(long, conflicts_with = "sampling_rules")]
    pub sample_all: bool,
    /// Socket receive buffer to ask for, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024 * 1024)]
    pub recv_buffer: usize,
    /// Memory for datagrams waiting to be parsed, in MB (minimum 3; default: 1% of the host's
    /// memory, as the X-Ray daemon's `--buffer-memory`). A burst larger than this and the
    /// socket's buffer together is dropped and counted.
    #[arg(short = 'm', long, value_name = "MB", value_parser = clap::value_parser!(u64).range(3..))]
    pub buffer_memory: Option<u64>,
    /// Receive OpenTelemetry traces over OTLP/HTTP (`POST /v1/traces`, protobuf or JSON) at
    /// this address: `OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318`.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:4318")]
    pub otlp_http: std::net::SocketAddr,
    /// Receive OpenTelemetry traces over OTLP/gRPC at this address (the gRPC exporters'
    /// default, `http://localhost:4317`).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:4317")]
    pub otlp_grpc: std::net::SocketAddr,
    /// Do not receive OTLP (only X-Ray segments over UDP).
    #[arg(long)]
    pub no_otlp: bool,
    /// OTLP requests waiting to be filed at once; past it they are answered with a retry
    /// delay (429, `RESOURCE_EXHAUSTED`). For tests: 0 refuses every request.
    #[arg(long, value_name = "N", default_value_t = crate::source::otlp::receive::QueueLimits::default().requests, hide = true)]
    pub otlp_queue: usize,
    /// Answer the first N OTLP requests as if the queue were full (429,
    /// `RESOURCE_EXHAUSTED`), to see an exporter retry.
    #[arg(long, value_name = "N", default_value_t = 0, hide = true)]
    pub otlp_throttle_first: usize,
}
