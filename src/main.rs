//! The `xray-tui` binary: parses the command line and runs the TUI or a headless command.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use xray_tui::cli::Cli;
use xray_tui::headless::{self, Failure};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let stderr = io::stderr();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut err = stderr.lock();
    let result = if cli.command.is_none() {
        placeholder(&cli, &mut out, &mut err)
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

/// Until the interactive app lands: load the sources and say what is there and what to run.
fn placeholder(cli: &Cli, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), Failure> {
    let data = headless::load(&cli.source, err)?;
    writeln!(
        out,
        "Loaded {} traces ({} summaries). The interactive view is not in this build yet; try:\n  \
         xray-tui query {src} --format table\n  xray-tui trace <TRACE_ID> {src}\n  xray-tui graph {src}",
        data.traces.len(),
        data.summaries.len(),
        src = if cli.source.demo {
            "--demo".to_owned()
        } else {
            cli.source
                .files
                .iter()
                .map(|f| format!("--file {f}"))
                .collect::<Vec<_>>()
                .join(" ")
        },
    )?;
    Ok(())
}
