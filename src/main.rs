//! The `xray-tui` binary: parses the command line and hands it to [`xray_tui::cli::run`].

use std::io::{self, Write};
use std::process::ExitCode;

use xray_tui::cli::{self, Cli, Failure};

/// mimalloc: loads allocate and free millions of small objects on every core.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse_args();
    let stdout = io::stdout();
    let stderr = io::stderr();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut err = stderr.lock();
    let result = cli::run(&cli, &mut out, &mut err);
    let result = result.and_then(|()| out.flush().map_err(Failure::from));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // `xray-tui query | head` closes the pipe early: not an error.
        Err(Failure::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        // The app gave the terminal back and stopped its source; a shell says the rest.
        Err(e @ Failure::Signal(_)) => ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(1)),
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(1))
        }
    }
}
