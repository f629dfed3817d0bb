//! Work spread over the machine's cores, for the engine's per-trace work at the end of a load.
//!
//! Why in `source`: the core starts no threads (it stays a set of pure functions a test can
//! call); a source, which already owns threads, decides how the work is run.

use rayon::prelude::*;

/// `items.map(f)`, in order, on rayon's pool (one thread per core, started once and kept):
/// work stealing spreads items of very different cost (a trace of 3 entities, one of 100,000)
/// evenly. The same threads serve every call, so what they allocate and keep (rows, fragments,
/// strings) stays in a few allocator heaps instead of one per short-lived thread.
pub fn map<T: Send, U: Send>(items: Vec<T>, f: &(dyn Fn(T) -> U + Sync)) -> Vec<U> {
    if items.len() < 64 || rayon::current_num_threads() <= 1 {
        return items.into_iter().map(f).collect();
    }
    items.into_par_iter().map(f).collect()
}

/// [`map`] for a few large items (chunks of many traces each): spread over the cores however
/// few they are (the threshold of [`map`] is for items of one trace).
pub fn map_chunks<T: Send, U: Send>(items: Vec<T>, f: &(dyn Fn(T) -> U + Sync)) -> Vec<U> {
    if rayon::current_num_threads() <= 1 {
        return items.into_iter().map(f).collect();
    }
    items.into_par_iter().map(f).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_order_whatever_the_split() {
        for n in [0, 1, 63, 64, 65, 1000, 10_007] {
            let v: Vec<u64> = (0..n).collect();
            let want: Vec<u64> = (0..n).map(|x| x * 3 + 1).collect();
            assert_eq!(map(v.clone(), &|x| x * 3 + 1), want, "n = {n}");
            assert_eq!(map_chunks(v, &|x| x * 3 + 1), want, "n = {n}");
        }
    }
}
