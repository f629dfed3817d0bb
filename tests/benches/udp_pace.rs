//! Paced UDP sending, shared by the two daemon benchmarks: the in-process one
//! (`tests/benches/daemon.rs`) and the external sender of the whole-process one
//! (`tests/benches/udp_send.rs`, driven by `tests/benches/scale.py`).
//!
//! Why one copy: both offer the same load (one datagram after another, each with its own trace
//! ID, paced in bursts against an absolute schedule), so their figures can be compared, and a fix
//! to the pacing or to the error handling applies to both.

use std::io;
use std::net::UdpSocket;
use std::time::{Duration, Instant};

/// How to send.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Datagrams a second; 0 = as fast as the socket takes them.
    pub rate: u64,
    /// Stop after this many datagrams (`u64::MAX`: no limit).
    pub count: u64,
    /// Stop after this many seconds (`f64::INFINITY`: no limit), checked once a burst.
    pub seconds: f64,
    /// Datagrams sent back to back between two looks at the clock.
    pub burst: u64,
    /// Spin through the last 300 µs before a burst is due instead of sleeping: closer to the
    /// rate within a millisecond, at the cost of a busy core (fine in process, where the
    /// benchmark owns the machine's timing anyway; an external sender sleeps).
    pub spin: bool,
}

/// What [`send_paced`] did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sent {
    /// Datagrams the kernel took (`send` returned the whole datagram).
    pub sent: u64,
    /// Failed `send` calls (each retried; not counted in `sent`).
    pub errors: u64,
    /// From the first send to the last.
    pub seconds: f64,
}

/// Consecutive failed sends after which [`send_paced`] gives up (the receiver is gone).
const GIVE_UP_AFTER: u64 = 100_000;

/// Writes `n` as the 24 hex digits at `at` (a trace ID's random part): one trace per number.
pub fn set_trace_id(d: &mut [u8], at: usize, mut n: u64) {
    if let Some(digits) = d.get_mut(at..at + 24) {
        for b in digits.iter_mut().rev() {
            *b = b"0123456789abcdef"[(n & 15) as usize];
            n >>= 4;
        }
    }
}

/// Sleeps (and with `spin`, spins) until `due` seconds after `t0`.
fn wait_until(t0: Instant, due: f64, spin: bool) {
    loop {
        let ahead = due - t0.elapsed().as_secs_f64();
        if ahead <= 0.0 {
            return;
        } else if !spin {
            std::thread::sleep(Duration::from_secs_f64(ahead));
        } else if ahead > 300e-6 {
            std::thread::sleep(Duration::from_secs_f64(ahead - 200e-6));
        } else {
            std::hint::spin_loop();
        }
    }
}

/// Sends `d` on the connected `sock` as `plan` says, the `n`th datagram with trace number `n`
/// written at `at` (see [`set_trace_id`]). Datagram `n` is due `n / rate` seconds after the
/// start, so a late burst (a sleep that overslept, a preempted sender) is made up by the next
/// ones and the average rate stays the offered one unless the sender cannot keep up. A failed
/// `send` (`ENOBUFS`, `EAGAIN`, a refused earlier datagram reported late) is counted and the
/// same datagram tried again; only a send the kernel took counts as sent. Fails when
/// [`GIVE_UP_AFTER`] sends in a row fail.
pub fn send_paced(sock: &UdpSocket, d: &mut [u8], at: usize, plan: &Plan) -> io::Result<Sent> {
    let burst = plan.burst.max(1);
    let t0 = Instant::now();
    let (mut sent, mut errors, mut failing) = (0u64, 0u64, 0u64);
    while sent < plan.count {
        if sent % burst == 0 {
            if t0.elapsed().as_secs_f64() >= plan.seconds {
                break;
            }
            if plan.rate > 0 {
                wait_until(t0, sent as f64 / plan.rate as f64, plan.spin);
            }
        }
        set_trace_id(d, at, sent);
        match sock.send(d) {
            Ok(n) if n == d.len() => {
                sent += 1;
                failing = 0;
            }
            Ok(_) | Err(_) if failing + 1 >= GIVE_UP_AFTER => {
                return Err(io::Error::other(format!(
                    "{GIVE_UP_AFTER} sends in a row failed after {sent} sent"
                )));
            }
            Ok(_) | Err(_) => {
                errors += 1;
                failing += 1;
                std::thread::yield_now();
            }
        }
    }
    Ok(Sent {
        sent,
        errors,
        seconds: t0.elapsed().as_secs_f64(),
    })
}
