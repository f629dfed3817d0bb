//! Work spread over the machine's cores, for the engine's per-trace work at the end of a load.
//!
//! Why in `source`: the core starts no threads (it stays a set of pure functions a test can
//! call); a source, which already owns threads, decides how the work is run.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// At most this many threads, however many cores there are.
const MAX_THREADS: usize = 8;

/// `items.map(f)`, in order, on up to one thread per core. Items are handed out in small chunks
/// so that items of very different cost (a trace of 3 entities, one of 100,000) still spread
/// evenly.
pub fn map<T: Send, U: Send>(items: Vec<T>, f: &(dyn Fn(T) -> U + Sync)) -> Vec<U> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_THREADS)
        .min(items.len().div_ceil(64).max(1));
    if threads <= 1 {
        return items.into_iter().map(f).collect();
    }
    let size = items.len().div_ceil(threads * 16).max(1);
    let mut chunks: Vec<Mutex<Vec<T>>> = Vec::with_capacity(threads * 16);
    let mut rest = items.into_iter();
    loop {
        let c: Vec<T> = rest.by_ref().take(size).collect();
        if c.is_empty() {
            break;
        }
        chunks.push(Mutex::new(c));
    }
    let next = AtomicUsize::new(0);
    let mut parts: Vec<(usize, Vec<U>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let c = next.fetch_add(1, Ordering::Relaxed);
                        let Some(chunk) = chunks.get(c) else {
                            break;
                        };
                        let work = std::mem::take(
                            &mut *chunk.lock().unwrap_or_else(PoisonError::into_inner),
                        );
                        out.push((c, work.into_iter().map(f).collect::<Vec<U>>()));
                    }
                    out
                })
            })
            .collect();
        let mut all = Vec::new();
        for w in workers {
            match w.join() {
                Ok(v) => all.extend(v),
                // A panic in `f` is a bug: let it surface as it would have on one thread.
                Err(e) => std::panic::resume_unwind(e),
            }
        }
        all
    });
    parts.sort_by_key(|(c, _)| *c);
    parts.into_iter().flat_map(|(_, v)| v).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_order_whatever_the_split() {
        for n in [0, 1, 63, 64, 65, 1000, 10_007] {
            let v: Vec<u64> = (0..n).collect();
            let out = map(v, &|x| x * 3 + 1);
            assert_eq!(
                out,
                (0..n).map(|x| x * 3 + 1).collect::<Vec<_>>(),
                "n = {n}"
            );
        }
    }
}
