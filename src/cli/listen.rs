//! `xray-tui listen`: on a terminal, the app over the daemon ([`interactive`]); with
//! `--headless` or without a terminal ([`run`]), the daemon with no TUI, for containers and CI.
//! Headless, it prints what it listens on, then one status line on stderr (rewritten in place on
//! a terminal, at most 4 times a second; a new line every 10 s when stderr is a log), and stops
//! cleanly on Ctrl-C or SIGTERM: queued datagrams are parsed and `--save` is flushed before it
//! exits.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

use super::{Cli, Failure, ListenArgs, options};
use crate::runtime::Launch;
use crate::source::Options;
use crate::source::daemon::Daemon;
use crate::source::daemon::datagram::shorten;
use crate::source::otlp::receive::Endpoint;

/// `listen` on a terminal: the daemon with the app on top, in follow mode. Stops the daemon
/// (flushing `--save`) on the way out, also when a signal ends the app, and prints its final
/// counters.
pub fn interactive(cli: &Cli, args: &ListenArgs) -> Result<(), Failure> {
    let config = super::config(cli)?;
    let launch = Launch::new(Options::Daemon(options::daemon(args)?));
    let ended = crate::runtime::run(launch, config)?;
    if let Some(words) = ended.said {
        // Not `eprintln!`: after a SIGHUP the terminal may be gone, and that must not panic.
        let _ = writeln!(std::io::stderr(), "{words}");
    }
    super::ended_by(ended.signal)
}

/// Runs the daemon until Ctrl-C or SIGTERM.
pub fn run(args: &ListenArgs, err: &mut dyn Write) -> Result<(), Failure> {
    let opts = options::daemon(args)?;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // A second signal while stopping exits at once (status 1).
        signal_hook::flag::register_conditional_shutdown(sig, 1, stop.clone())
            .and_then(|_| signal_hook::flag::register(sig, stop.clone()))
            .map_err(|e| Failure::Runtime(format!("cannot handle signals: {e}")))?;
    }
    let daemon = Daemon::start(opts.clone()).map_err(|e| Failure::Runtime(e.to_string()))?;
    let drops = daemon.socket_drops();
    if !args.headless {
        writeln!(
            err,
            "note: stdout is not a terminal, so `listen` runs headless (as with --headless)"
        )?;
    }
    let granted = daemon.recv_buffer_usable();
    writeln!(
        err,
        "listening on udp {} tcp {} (receive buffer {} KiB granted of {} KiB asked{}; {} MB for datagrams waiting to be parsed){}",
        daemon.udp_addr(),
        daemon
            .tcp_addr()
            .map_or_else(|| "off".to_owned(), |a| a.to_string()),
        granted / 1024,
        opts.recv_buffer / 1024,
        if granted < opts.recv_buffer {
            ", raise net.core.rmem_max for more"
        } else {
            ""
        },
        opts.buffer_memory / (1000 * 1000),
        opts.save
            .as_ref()
            .map(|p| format!(", saving to {}", p.display()))
            .unwrap_or_default()
    )?;
    let mut otlp = Vec::new();
    for (protocol, flag, endpoint) in [
        ("http", "--otlp-http", daemon.otlp_http()),
        ("grpc", "--otlp-grpc", daemon.otlp_grpc()),
    ] {
        match endpoint {
            Endpoint::Off => {}
            Endpoint::Listening(a) => otlp.push(format!("{protocol} {a}")),
            // The UDP daemon is still of use: say what to change, and go on.
            Endpoint::Failed { addr, error } => writeln!(
                err,
                "warning: OTLP/{} is off: cannot listen on {addr} ({error}); choose another \
                 address with {flag} ADDR, or leave OTLP off with --no-otlp",
                protocol.to_uppercase().replace("GRPC", "gRPC")
            )?,
        }
    }
    if !otlp.is_empty() {
        let hint = daemon
            .otlp_http()
            .addr()
            .map(|a| format!(" (OTEL_EXPORTER_OTLP_ENDPOINT=http://{a})"))
            .unwrap_or_default();
        writeln!(err, "otlp: {}{hint}", otlp.join(" "))?;
    }
    if let Some((rules, default)) = daemon.sampling_rules() {
        writeln!(
            err,
            "sampling: {rules}{}",
            if default {
                "; --sample-all keeps every request"
            } else {
                ""
            }
        )?;
    }
    err.flush()?;
    let tty = std::io::stderr().is_terminal();
    let mut last_line = String::new();
    let mut last_print = Instant::now();
    while !stop.load(Relaxed) {
        std::thread::sleep(Duration::from_millis(250));
        let line = daemon.stats().snapshot().to_string();
        if tty {
            if line != last_line {
                write!(err, "\r\x1b[2K{line}")?;
                err.flush()?;
            }
        } else if line != last_line && last_print.elapsed() >= Duration::from_secs(10) {
            writeln!(err, "{line}")?;
            last_print = Instant::now();
        } else {
            continue;
        }
        last_line = line;
    }
    let recent = daemon.stats().recent_rejects();
    let counters = std::sync::Arc::clone(daemon.stats());
    // Read before the socket closes (it is no longer listed after).
    let kernel = drops
        .and_then(|d| d.read())
        .map(|n| format!(" kernel-drops {n}"))
        .unwrap_or_default();
    let stats = daemon.stop();
    let save_error = counters.save_error();
    if tty {
        write!(err, "\r\x1b[2K")?;
    }
    writeln!(err, "stopped: {stats}{kernel}")?;
    if stats.forward_not_xray_id > 0 {
        writeln!(
            err,
            "forward: {} not uploaded: {}",
            crate::model::format::count(
                stats.forward_not_xray_id as usize,
                "document",
                "documents"
            ),
            crate::source::feed::FORWARD_NOT_XRAY_ID
        )?;
    }
    for r in recent.iter().rev().take(5).rev() {
        writeln!(
            err,
            "{} ({}): {}: {}",
            r.outcome(),
            crate::model::format::count(r.size, "byte", "bytes"),
            r.error,
            shorten(&r.preview, 80)
        )?;
    }
    if let Some(p) = &opts.save {
        write!(
            err,
            "saved {} to {}",
            crate::model::format::count(stats.saved, "document", "documents"),
            p.display()
        )?;
        match save_error {
            Some(e) => writeln!(err, ", failed {} ({e})", stats.save_errors)?,
            None => writeln!(err)?,
        }
    }
    Ok(())
}
