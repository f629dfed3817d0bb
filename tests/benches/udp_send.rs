//! The external sender of the whole-process daemon benchmark: realistic X-Ray daemon datagrams
//! over UDP at a paced rate, from a process of its own.
//!
//! Why: issue #13 asks for the daemon's loss "with an external sender process, counting lines
//! in the `--save` file against datagrams sent". An SDK is another process: the kernel hands
//! the datagrams from one process to the other, and the receiver competes with the sender for
//! the cores, which the in-process benchmark (`tests/benches/daemon.rs`) does not show.
//! `tests/benches/scale.py` runs this against `xray-tui listen --headless --save` and against
//! the bare receive loop `tests/benches/udp_sink.rs`.
//!
//! Each datagram is the scale generator's realistic segment (`tests/benches/gen.rs`,
//! `datagram`: the X-Ray daemon header line and one `orders-api` segment of at most the size,
//! about 20 subsegments in 8 KB) with its own trace ID (a counter in the ID's 24 hex digits).
//! Paced in bursts against an absolute schedule (`tests/benches/udp_pace.rs`): one look at the
//! clock every `--burst` datagrams (default: a millisecond's worth, 16 to 1000), then a sleep
//! until the next burst is due. A datagram counts as sent only when the kernel took it; failed
//! sends (`ENOBUFS` and the like) are counted and retried.
//!
//! Run: `cargo run --release --example udp_send -- --to 127.0.0.1:2000 --size 8k --rate 100000
//! --seconds 5`. Options: `--size 1k|8k|BYTES` (default 8k), `--rate R` a second (0 = unpaced,
//! the default), `--count N` and/or `--seconds S` (at least one; with a rate and only
//! `--seconds`, exactly rate x seconds are sent however long that takes, so a sender that
//! cannot keep up shows as an achieved rate below the offered one), `--burst N`, `--seed S`,
//! `--same` (every datagram the same document, trace ID and all: a client re-sending one
//! segment in a loop, the busy-trace case of `docs/benchmarks.md`). Prints one JSON line on stdout: `{"size":..,"rate":..,"sent":..,"errors":..,"seconds":..,
//! "achieved":..}` (achieved = sent / seconds).

use std::net::{SocketAddr, UdpSocket};

#[path = "gen.rs"]
#[allow(dead_code)]
mod scale_gen;

#[path = "udp_pace.rs"]
mod udp_pace;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = || {
        std::io::Error::other(
            "usage: udp_send --to ADDR [--size 1k|8k|BYTES] [--rate R] (--count N | --seconds S) \
             [--burst N] [--seed S] [--same]",
        )
    };
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let num = |name: &str| -> std::io::Result<Option<u64>> {
        opt(name)
            .map(|v| v.replace('_', "").parse().map_err(|_| usage()))
            .transpose()
    };
    let to: SocketAddr = opt("--to")
        .ok_or_else(usage)?
        .parse()
        .map_err(|_| usage())?;
    let target = match opt("--size").as_deref().unwrap_or("8k") {
        "1k" => 1024,
        "8k" => 8192,
        other => other.parse().map_err(|_| usage())?,
    };
    let rate = num("--rate")?.unwrap_or(0);
    let count = num("--count")?;
    let seconds = opt("--seconds")
        .map(|v| v.parse::<f64>().map_err(|_| usage()))
        .transpose()?;
    let plan = udp_pace::Plan {
        rate,
        count: match (count, seconds) {
            (Some(n), _) => n,
            (None, Some(s)) if rate > 0 => (rate as f64 * s) as u64,
            (None, Some(_)) => u64::MAX,
            (None, None) => return Err(usage()),
        },
        seconds: match (count, seconds) {
            (None, Some(_)) if rate > 0 => f64::INFINITY,
            (_, s) => s.unwrap_or(f64::INFINITY),
        },
        burst: num("--burst")?.unwrap_or((rate / 1000).clamp(16, 1000)),
        spin: false,
    };
    let seed = num("--seed")?.unwrap_or(scale_gen::DEFAULT_SEED);
    let (mut d, at) = scale_gen::datagram(seed, target);
    // Past the end: the trace ID is never rewritten.
    let at = if args.iter().any(|a| a == "--same") {
        d.len()
    } else {
        at
    };
    let sock = UdpSocket::bind(if to.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" })?;
    sock.connect(to)?;
    let s = udp_pace::send_paced(&sock, &mut d, at, &plan)?;
    println!(
        "{{\"size\":{},\"rate\":{rate},\"sent\":{},\"errors\":{},\"seconds\":{:.6},\"achieved\":{:.1}}}",
        d.len(),
        s.sent,
        s.errors,
        s.seconds,
        s.sent as f64 / s.seconds.max(1e-9)
    );
    Ok(())
}
