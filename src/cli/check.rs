//! `xray-tui check`: assertions about traces for CI. Each assertion prints `PASS` or `FAIL`
//! with the traces that break it; the command fails (exit 1) when one does, and a bad
//! expression or value is a usage error (exit 2) found before anything is loaded.
//!
//! Why: a test suite that passes can still fault somewhere downstream or get slower; the
//! traces the suite produced say so. With `--listen`, `check` receives them itself: it runs the
//! suite with the X-Ray SDKs (`AWS_XRAY_DAEMON_ADDRESS`) and OpenTelemetry
//! (`OTEL_EXPORTER_OTLP_ENDPOINT`) pointed at a local daemon that samples every request. The same filter language as everywhere else decides what
//! "a fault" or "slow" means, and percentiles are nearest-rank over response times, as
//! `analyze` reports them.

use std::io::Write;

use super::commands::{parse_filter, select_in};
use super::{CheckArgs, Cli, Command, Failure};
use crate::config::Config;
use crate::engine::dataset::Dataset;
use crate::filter::Filter;
use crate::filter::analyze::percentile;
use crate::model::format::count;

/// How many offending traces an assertion lists.
const SHOWN: usize = 5;

/// One assertion.
#[derive(Debug)]
enum Check {
    /// No trace matches.
    None(String, Filter),
    /// Some trace matches.
    Some(String, Filter),
    /// A percentile of response times at most this many seconds.
    MaxPercentile(f64, f64),
    /// The share of faulted traces at most this.
    MaxFaultRate(f64),
}

/// The assertions of one `check` command, parsed.
#[derive(Debug)]
pub struct Checks(Vec<Check>);

impl Checks {
    /// Parses every assertion (saved filters `@name` expanded); a bad expression or a value out
    /// of range is a usage error.
    pub fn parse(args: &CheckArgs, config: &Config, err: &mut dyn Write) -> Result<Self, Failure> {
        let mut out = Vec::new();
        let expr = |e: &String, err: &mut dyn Write| -> Result<(String, Filter), Failure> {
            let text = config.expand(e).map_err(Failure::Usage)?.to_owned();
            let f = parse_filter(&text, err)?;
            Ok((text, f))
        };
        for e in &args.none {
            let (t, f) = expr(e, err)?;
            out.push(Check::None(t, f));
        }
        for e in &args.some {
            let (t, f) = expr(e, err)?;
            out.push(Check::Some(t, f));
        }
        let seconds = |v: f64, flag: &str| {
            if v.is_finite() && v >= 0.0 {
                Ok(v)
            } else {
                Err(Failure::Usage(format!(
                    "{flag} {v}: a number of seconds, 0 or more"
                )))
            }
        };
        for &v in &args.max_p95 {
            out.push(Check::MaxPercentile(95.0, seconds(v, "--max-p95")?));
        }
        for &v in &args.max_p99 {
            out.push(Check::MaxPercentile(99.0, seconds(v, "--max-p99")?));
        }
        for &v in &args.max_fault_rate {
            if !(0.0..=1.0).contains(&v) {
                return Err(Failure::Usage(format!(
                    "--max-fault-rate {v}: a share from 0 to 1 (0.01 is 1%)"
                )));
            }
            out.push(Check::MaxFaultRate(v));
        }
        Ok(Checks(out))
    }

    /// Checks the traces at `rows` and prints one line per assertion; fails when one does.
    pub fn run(
        &self,
        data: &Dataset,
        rows: &[usize],
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<(), Failure> {
        let mut failed = 0;
        writeln!(out, "checking {}", count(rows.len(), "trace", "traces"))?;
        for c in &self.0 {
            let (ok, what, offenders) = match c {
                Check::None(text, f) => {
                    let hits = select_in(f, data, rows, err)?;
                    (
                        hits.is_empty(),
                        format!("none: {text} ({})", count(hits.len(), "match", "matches")),
                        hits,
                    )
                }
                Check::Some(text, f) => {
                    let hits = select_in(f, data, rows, err)?;
                    (
                        !hits.is_empty(),
                        format!("some: {text} ({})", count(hits.len(), "match", "matches")),
                        Vec::new(),
                    )
                }
                Check::MaxPercentile(p, max) => {
                    let mut times: Vec<(f64, usize)> = rows
                        .iter()
                        .filter_map(|&i| {
                            let r = data.rows.get(i)?;
                            Some((r.response_time.or(r.duration)?, i))
                        })
                        .collect();
                    times.sort_by(|a, b| a.0.total_cmp(&b.0));
                    let sorted: Vec<f64> = times.iter().map(|t| t.0).collect();
                    let got = percentile(&sorted, *p);
                    // The slowest first.
                    let over: Vec<usize> = times
                        .iter()
                        .rev()
                        .filter(|t| t.0 > *max)
                        .map(|t| t.1)
                        .collect();
                    let shown =
                        got.map_or_else(|| "no traces".to_owned(), |v| format!("{:.3}s", v));
                    (
                        got.is_some_and(|v| v <= *max),
                        format!("p{p} response time {shown} <= {max}s"),
                        over,
                    )
                }
                Check::MaxFaultRate(max) => {
                    let faults: Vec<usize> = rows
                        .iter()
                        .copied()
                        .filter(|&i| data.rows.get(i).is_some_and(|r| r.has_fault))
                        .collect();
                    let rate = if rows.is_empty() {
                        None
                    } else {
                        Some(faults.len() as f64 / rows.len() as f64)
                    };
                    let shown = rate.map_or_else(
                        || "no traces".to_owned(),
                        |r| format!("{:.2}% ({} of {})", r * 100.0, faults.len(), rows.len()),
                    );
                    (
                        rate.is_some_and(|r| r <= *max),
                        format!("fault rate {shown} <= {:.2}%", max * 100.0),
                        faults,
                    )
                }
            };
            writeln!(out, "{}  {what}", if ok { "PASS" } else { "FAIL" })?;
            if !ok {
                failed += 1;
                for &i in offenders.iter().take(SHOWN) {
                    if let Some(r) = data.rows.get(i) {
                        let time = r
                            .response_time
                            .or(r.duration)
                            .map_or_else(String::new, |t| format!("  {t:.3}s"));
                        writeln!(out, "      {}{time}", r.id)?;
                    }
                }
                if offenders.len() > SHOWN {
                    writeln!(out, "      … and {} more", offenders.len() - SHOWN)?;
                }
            }
        }
        let total = self.0.len();
        if failed > 0 {
            return Err(Failure::Runtime(format!(
                "{failed} of {} failed",
                count(total, "check", "checks")
            )));
        }
        if total == 1 {
            writeln!(out, "1 check passed")?;
        } else {
            writeln!(out, "all {total} checks passed")?;
        }
        Ok(())
    }
}

/// `check --listen [ADDR] [assertions] -- COMMAND`: a local daemon sampling every request,
/// COMMAND run against it, then the assertions over the traces it sent. Fails (exit 1) when
/// COMMAND fails too, said on its own line.
pub fn run_listen(
    cli: &Cli,
    args: &CheckArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Failure> {
    let (Some(addr), Some((program, rest))) = (args.listen.as_deref(), args.command.split_first())
    else {
        return Err(Failure::Usage(
            "--listen and a command go together: `check --listen [ADDR] ASSERTIONS -- COMMAND \
             ARGS...`"
                .into(),
        ));
    };
    if !(args.settle.is_finite() && (0.0..=600.0).contains(&args.settle)) {
        return Err(Failure::Usage(format!(
            "--settle {}: seconds from 0 to 600",
            args.settle
        )));
    }
    let config = super::config(cli)?;
    let checks = Checks::parse(args, &config, err)?;
    let filter = args
        .filter
        .as_deref()
        .map(|e| {
            let text = config.expand(e).map_err(Failure::Usage)?;
            parse_filter(text, err)
        })
        .transpose()?;
    // The daemon's options as `listen` makes them: every request sampled, OTLP/HTTP and gRPC
    // on free ports (a test suite's own ports stay free).
    let listen = Cli::parse_args_from([
        "xray-tui",
        "listen",
        "--headless",
        "--sample-all",
        "--bind",
        addr,
        "--otlp-http",
        "127.0.0.1:0",
        "--otlp-grpc",
        "127.0.0.1:0",
    ])
    .map_err(|e| Failure::Usage(format!("--listen {addr}: {e}")))?;
    let Some(Command::Listen(listen)) = listen.command else {
        return Err(Failure::Usage(format!("--listen {addr}: not an address")));
    };
    let opts = super::options::daemon(&listen)?;
    let daemon = crate::source::daemon::Daemon::start(opts)
        .map_err(|e| Failure::Runtime(format!("--listen {addr}: {e}")))?;
    let udp = daemon.udp_addr();
    let mut env: Vec<(&str, String)> = vec![("AWS_XRAY_DAEMON_ADDRESS", udp.to_string())];
    if let crate::source::otlp::receive::Endpoint::Listening(a) = daemon.otlp_http() {
        env.push(("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{a}")));
        env.push(("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf".into()));
    }
    writeln!(
        err,
        "check: running `{}` with {}",
        args.command.join(" "),
        env.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    )?;
    let status = std::process::Command::new(program)
        .args(rest)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .status();
    std::thread::sleep(std::time::Duration::from_secs_f64(args.settle));
    let store = std::sync::Arc::clone(daemon.store());
    let stats = daemon.stop();
    // Everything received is filed now: assemble what is still pending, then look.
    if let Ok(mut st) = store.lock() {
        st.refresh();
    }
    let data = crate::source::daemon::snapshot(&store).unwrap_or_default();
    writeln!(
        err,
        "check: received {}, {}; {}",
        count(stats.received, "datagram", "datagrams"),
        count(stats.otlp_accepted, "OTLP span", "OTLP spans"),
        count(data.rows.len(), "trace", "traces")
    )?;
    let all: Vec<usize> = (0..data.rows.len()).collect();
    let rows = match &filter {
        Some(f) => select_in(f, &data, &all, err)?,
        None => all,
    };
    let checked = checks.run(&data, &rows, out, err);
    match status {
        Ok(s) if s.success() => checked,
        Ok(s) => {
            writeln!(
                out,
                "FAIL  the command exited with {}",
                s.code()
                    .map_or_else(|| "a signal".to_owned(), |c| format!("status {c}"))
            )?;
            Err(Failure::Runtime(match checked {
                Ok(()) => "the command failed (the checks passed)".to_owned(),
                Err(e) => format!("the command failed, and {e}"),
            }))
        }
        Err(e) => Err(Failure::Runtime(format!("cannot run `{program}`: {e}"))),
    }
}
