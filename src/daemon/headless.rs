//! `xray-tui listen --headless`: the daemon with no TUI, for containers and CI. It prints what
//! it listens on, then one status line on stderr (rewritten in place on a terminal, at most 4
//! times a second; a new line every 10 s when stderr is a log), and stops cleanly on Ctrl-C or
//! SIGTERM: queued datagrams are parsed and `--save` is flushed before it exits.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

use super::stats::kernel_rcvbuf_errors;
use super::{Daemon, DaemonOptions, SamplingRules, parse_address};
use crate::cli::ListenArgs;
use crate::headless::Failure;

/// Turns `listen` arguments into daemon options.
pub fn options(args: &ListenArgs) -> Result<DaemonOptions, Failure> {
    let address = parse_address(&args.bind).map_err(|e| Failure::Usage(format!("--bind {e}")))?;
    let sampling = match &args.sampling_rules {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| Failure::Usage(format!("--sampling-rules {}: {e}", p.display())))?;
            SamplingRules::from_json(&text)
                .map_err(|e| Failure::Usage(format!("--sampling-rules {}: {e}", p.display())))?
        }
        None => SamplingRules::default(),
    };
    Ok(DaemonOptions {
        address,
        recv_buffer: args.recv_buffer,
        trace_limit: args.trace_limit,
        save: args.save.clone(),
        forward: args.forward,
        sampling: Some(sampling),
        ..DaemonOptions::default()
    })
}

/// Runs the daemon until Ctrl-C or SIGTERM.
pub fn run(args: &ListenArgs, err: &mut dyn Write) -> Result<(), Failure> {
    let opts = options(args)?;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // A second signal while stopping exits at once (status 1).
        signal_hook::flag::register_conditional_shutdown(sig, 1, stop.clone())
            .and_then(|_| signal_hook::flag::register(sig, stop.clone()))
            .map_err(|e| Failure::Runtime(format!("cannot handle signals: {e}")))?;
    }
    let kernel_before = kernel_rcvbuf_errors();
    let daemon = Daemon::start(opts.clone()).map_err(|e| Failure::Runtime(e.to_string()))?;
    if !args.headless {
        writeln!(
            err,
            "note: stdout is not a terminal, so `listen` runs headless (as with --headless)"
        )?;
    }
    let granted = daemon.recv_buffer_usable();
    writeln!(
        err,
        "listening on udp {} tcp {} (receive buffer {} KiB granted of {} KiB asked{}){}",
        daemon.udp_addr(),
        daemon
            .tcp_addr()
            .map_or_else(|| "off".to_owned(), |a| a.to_string()),
        granted / 1024,
        opts.recv_buffer / 1024,
        if granted < opts.recv_buffer {
            "; raise net.core.rmem_max for more"
        } else {
            ""
        },
        opts.save
            .as_ref()
            .map(|p| format!(", saving to {}", p.display()))
            .unwrap_or_default()
    )?;
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
    let stats = daemon.stop();
    let kernel = match (kernel_before, kernel_rcvbuf_errors()) {
        (Some(a), Some(b)) => format!(" kernel-drops {}", b.saturating_sub(a)),
        _ => String::new(),
    };
    if tty {
        write!(err, "\r\x1b[2K")?;
    }
    writeln!(err, "stopped: {stats}{kernel}")?;
    for r in recent.iter().rev().take(5).rev() {
        writeln!(
            err,
            "rejected ({} bytes): {}: {}",
            r.size,
            r.error,
            super::datagram::shorten(&r.preview, 80)
        )?;
    }
    if let Some(p) = &opts.save {
        writeln!(err, "saved {} documents to {}", stats.saved, p.display())?;
    }
    Ok(())
}
