//! The baseline of the whole-process daemon benchmark: a process that does nothing but receive
//! UDP datagrams and count them.
//!
//! Why: the daemon's loss at a given rate means little on its own on a shared 2-core box; what a
//! process that only receives gets from the same sender, in the same invocation, says how much
//! of it the machine and the kernel cost and how much the daemon. `tests/benches/scale.py` runs
//! it alternately with `xray-tui listen --headless --save` against `tests/benches/udp_send.rs`.
//!
//! The socket is set up as the daemon sets up its own (`src/source/daemon/mod.rs`,
//! `Daemon::start`): it asks for the daemon's receive buffer (`DEFAULT_RECV_BUFFER`, 16 MiB)
//! with `SO_RCVBUF`, and when `net.core.rmem_max` caps that, with `SO_RCVBUFFORCE` (granted to
//! root or `CAP_NET_ADMIN`), so both start with the same buffer. Then one `recv` a datagram into
//! a buffer of the daemon's largest datagram, as the daemon's receive thread does, and nothing
//! else.
//!
//! Run: `cargo run --release --example udp_sink -- --bind 127.0.0.1:0`. Prints `listening on
//! udp ADDR (receive buffer K KiB granted of K KiB asked, SO_RCVBUFFORCE used|not used)` on
//! stderr once bound, receives until SIGTERM or SIGINT (or, with `--idle S`, until nothing came
//! for S seconds after the first datagram), then prints one JSON line on stdout:
//! `{"received":..,"bytes":..,"seconds":..,"recv_buffer":..,"forced":..}` (seconds from the
//! first datagram to the last; recv_buffer as the kernel reports it, twice the usable size on
//! Linux). Options: `--bind ADDR` (default 127.0.0.1:2000), `--recv-buffer BYTES`, `--idle S`.

use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};
use xray_tui::source::daemon::DEFAULT_RECV_BUFFER;
use xray_tui::source::daemon::datagram::MAX_DATAGRAM;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage =
        || std::io::Error::other("usage: udp_sink [--bind ADDR] [--recv-buffer BYTES] [--idle S]");
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let bind: SocketAddr = opt("--bind")
        .unwrap_or_else(|| "127.0.0.1:2000".to_owned())
        .parse()
        .map_err(|_| usage())?;
    let asked: usize = opt("--recv-buffer")
        .map(|v| v.parse().map_err(|_| usage()))
        .transpose()?
        .unwrap_or(DEFAULT_RECV_BUFFER);
    let idle = opt("--idle")
        .map(|v| v.parse::<f64>().map_err(|_| usage()))
        .transpose()?
        .map(Duration::from_secs_f64);

    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, stop.clone())?;
    }

    let socket = Socket::new(Domain::for_address(bind), Type::DGRAM, Some(Protocol::UDP))?;
    let _ = socket.set_recv_buffer_size(asked);
    let mut granted = socket.recv_buffer_size().unwrap_or(0);
    let mut forced = false;
    #[cfg(target_os = "linux")]
    if granted < asked
        && nix::sys::socket::setsockopt(&socket, nix::sys::socket::sockopt::RcvBufForce, &asked)
            .is_ok()
    {
        forced = true;
        granted = socket.recv_buffer_size().unwrap_or(granted);
    }
    socket.bind(&bind.into())?;
    // Wakes up now and then to see a signal or the idle limit.
    socket.set_read_timeout(Some(Duration::from_millis(50)))?;
    let socket: UdpSocket = socket.into();
    // Linux reports twice the usable size.
    let usable = if cfg!(target_os = "linux") {
        granted / 2
    } else {
        granted
    };
    eprintln!(
        "listening on udp {} (receive buffer {} KiB granted of {} KiB asked, SO_RCVBUFFORCE {})",
        socket.local_addr()?,
        usable / 1024,
        asked / 1024,
        if forced { "used" } else { "not used" }
    );

    let mut buf = vec![0u8; MAX_DATAGRAM + 1];
    let (mut received, mut bytes) = (0u64, 0u64);
    let (mut first, mut last) = (None, Instant::now());
    while !stop.load(Relaxed) {
        match socket.recv(&mut buf) {
            Ok(n) => {
                last = Instant::now();
                first.get_or_insert(last);
                received += 1;
                bytes += n as u64;
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if first.is_some() && idle.is_some_and(|i| last.elapsed() >= i) {
                    break;
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    println!(
        "{{\"received\":{received},\"bytes\":{bytes},\"seconds\":{:.6},\"recv_buffer\":{granted},\"forced\":{forced}}}",
        first.map_or(0.0, |f| last.duration_since(f).as_secs_f64())
    );
    Ok(())
}
