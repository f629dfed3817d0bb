//! The `xray-tui` binary: parses the command line and runs the TUI or a headless command.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use xray_tui::cli::{Cli, Command};
use xray_tui::headless::{self, Failure};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let stderr = io::stderr();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut err = stderr.lock();
    let result = if cli.print_default_config {
        out.write_all(xray_tui::config::DEFAULT.as_bytes())
            .map_err(Failure::from)
    } else if cli.command.is_none() {
        interactive(&cli)
    } else if let Some(Command::Listen(args)) = &cli.command
        && !args.headless
        && io::stdout().is_terminal()
    {
        // `listen` opens the app in follow mode; without a terminal it runs headless.
        headless::config(&cli).and_then(|config| xray_tui::tui::run_listen(args, config))
    } else {
        headless::run(&cli, &mut out, &mut err)
    };
    let result = result.and_then(|()| out.flush().map_err(Failure::from));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // `xray-tui query | head` closes the pipe early: not an error.
        Err(Failure::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(1))
        }
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
    let config = headless::config(cli)?;
    // To a file only: the terminal is the app's while it runs.
    let log = xray_tui::logging::init();
    tracing::info!(version = env!("CARGO_PKG_VERSION"), log = ?log, "xray-tui starting");
    let result = xray_tui::tui::run(&cli.source, config);
    if let Err(e) = &result {
        tracing::error!("{e}");
    }
    result
}
