//! The command line: clap's arguments ([`args`]), the headless commands ([`commands`]),
//! `listen` without the app ([`listen`]), arguments turned into each part's own options
//! ([`options`]), the text reports ([`report`]) and the exit statuses ([`Failure`]).
//!
//! Why a folder of its own: this is the top of the crate. It may use every module; nothing
//! below it (runtime, app, ui, sources, engine, model) imports it, so each of those takes its
//! own options and can be driven by tests or another front end.

pub mod args;
pub mod check;
pub mod commands;
pub mod listen;
pub mod options;
pub mod report;

use std::io::{self, IsTerminal, Write};

pub use args::{
    AnalyzeArgs, AnalyzeFormat, CheckArgs, Cli, Command, DiffArgs, FilterCommand, GraphArgs,
    GraphFormat, ListenArgs, QueryArgs, QueryFormat, SourceArgs, TraceArgs, TraceFormat,
};
pub use commands::{config, load, run_command};

/// A failure with its exit status.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Bad usage: exit 2.
    #[error("{0}")]
    Usage(String),
    /// Runtime failure: exit 1.
    #[error("{0}")]
    Runtime(String),
    /// Output could not be written.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The app was ended by this signal (SIGTERM, ...) after giving the terminal back: exit
    /// 128 + it, saying nothing more.
    #[error("ended by signal {0}")]
    Signal(i32),
}

impl Failure {
    /// The process exit status for this failure.
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Usage(_) => 2,
            Failure::Runtime(_) | Failure::Io(_) => 1,
            Failure::Signal(n) => 128 + n,
        }
    }
}

impl From<crate::runtime::Error> for Failure {
    fn from(e: crate::runtime::Error) -> Self {
        match e {
            crate::runtime::Error::Io(e) => Failure::Io(e),
            crate::runtime::Error::Source(m) => Failure::Runtime(m),
        }
    }
}

/// Runs what the command line asks for: the app (no subcommand, or `listen` on a terminal) or a
/// headless command writing to `out` and `err`.
pub fn run(cli: &Cli, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), Failure> {
    if cli.print_default_config {
        return out
            .write_all(crate::config::DEFAULT.as_bytes())
            .map_err(Failure::from);
    }
    match &cli.command {
        None => interactive(cli),
        // `listen` opens the app in follow mode; without a terminal it runs headless.
        Some(Command::Listen(args)) if !args.headless && io::stdout().is_terminal() => {
            listen::interactive(cli, args)
        }
        Some(Command::Listen(args)) => listen::run(args, err),
        Some(Command::Check(args)) if args.listen.is_some() || !args.command.is_empty() => {
            check::run_listen(cli, args, out, err)
        }
        Some(command) => run_command(cli, command, out, err),
    }
}

/// No subcommand: the interactive app, which needs a terminal to draw on.
fn interactive(cli: &Cli) -> Result<(), Failure> {
    if !io::stdout().is_terminal() {
        return Err(Failure::Usage(
            "the interactive app needs a terminal, but stdout is not one; for pipes and \
             scripts use a headless command: query, trace or graph (see --help)"
                .into(),
        ));
    }
    let config = config(cli)?;
    let source = &cli.source.with_defaults(&config.defaults);
    let launch = options::launch(source)?;
    // To a file only: the terminal is the app's while it runs.
    let log = crate::runtime::logging::init();
    tracing::info!(version = env!("CARGO_PKG_VERSION"), log = ?log, "xray-tui starting");
    let result = crate::runtime::run(launch, config).map_err(Failure::from);
    if let Err(e) = &result {
        tracing::error!("{e}");
    }
    ended_by(result?.signal)
}

/// The app's end as an exit status: a signal that ended it is a [`Failure::Signal`].
fn ended_by(signal: Option<i32>) -> Result<(), Failure> {
    signal.map_or(Ok(()), |n| Err(Failure::Signal(n)))
}
