//! The filter prompt's live count: how many loaded traces the expression being typed matches,
//! worked out on a thread of its own so typing never waits for it.
//!
//! Each [`CountRequest`] carries a generation; starting one supersedes the one before, which
//! notices between chunks of rows and stops without answering (the app would drop its answer
//! anyway). The verdicts are the applied filter's ([`crate::filter::Filter::verdict_at`]: the
//! fast path over rows and fragments, the trace assembled where it must be), spread over the
//! cores.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Sender;

use rayon::prelude::*;

use crate::app::Event;
use crate::app::prompt::{CountRequest, Counted};
use crate::filter::{EvalContext, Verdict};

/// Rows decided between two looks at whether the count is still wanted.
const CHUNK: usize = 4096;

/// Runs counts, the newest only.
#[derive(Debug, Default)]
pub struct Counter {
    /// The generation of the count wanted (0: none).
    wanted: Arc<AtomicU64>,
}

impl Counter {
    /// Starts counting for `request` on a thread (superseding any count running) and sends
    /// [`Event::Counted`] to `tx` when done.
    pub fn start(&self, request: CountRequest, tx: Sender<Event>) {
        let generation = request.generation;
        self.wanted.store(generation, Ordering::Relaxed);
        let wanted = Arc::clone(&self.wanted);
        std::thread::spawn(move || {
            let stale = || wanted.load(Ordering::Relaxed) != generation;
            if let Some(c) = count(&request, &stale) {
                let _ = tx.send(Event::Counted(c));
            }
        });
    }

    /// Stops the count running, if any.
    pub fn stop(&self) {
        self.wanted.store(0, Ordering::Relaxed);
    }
}

/// Counts what `request` asks, chunk by chunk; `None` as soon as `stale()` says the answer is no
/// longer wanted.
pub fn count(request: &CountRequest, stale: &(dyn Fn() -> bool + Sync)) -> Option<Counted> {
    let ctx = EvalContext {
        groups: &request.groups,
    };
    let data = &request.data;
    let of = request.rows.as_ref().map_or(data.rows.len(), |r| r.len());
    let row = |k: usize| request.rows.as_ref().map_or(k, |r| r[k]);
    let mut matches = 0;
    let mut at = 0;
    while at < of {
        if stale() {
            return None;
        }
        let end = (at + CHUNK).min(of);
        matches += (at..end)
            .into_par_iter()
            .filter(|&k| request.filter.verdict_at(data, row(k), &ctx) == Verdict::Match)
            .count();
        at = end;
    }
    Some(Counted {
        generation: request.generation,
        matches,
        of,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::dataset::Collector;

    fn request(expr: &str, rows: Option<Arc<[usize]>>) -> CountRequest {
        let mut c = Collector::new();
        crate::source::file::load_owned(
            "demo",
            crate::source::load::DEMO_NDJSON.into(),
            &mut |e| c.push(e),
        );
        CountRequest {
            generation: 7,
            data: Arc::new(c.finish()),
            filter: crate::filter::parse(expr).expect("parses"),
            groups: Vec::new(),
            rows,
        }
    }

    #[test]
    fn counts_what_the_filter_matches() {
        let r = request("fault", None);
        let c = count(&r, &|| false).expect("counted");
        let ctx = EvalContext { groups: &[] };
        let expected = r
            .filter
            .verdicts(&r.data, &ctx)
            .iter()
            .filter(|v| **v == Verdict::Match)
            .count();
        assert_eq!(
            (c.generation, c.matches, c.of),
            (7, expected, r.data.rows.len())
        );
        assert!(c.matches > 0 && c.matches < c.of);
        let some = request("fault", Some(Arc::from(vec![0, 1, 2])));
        assert_eq!(count(&some, &|| false).expect("counted").of, 3);
    }

    #[test]
    fn a_superseded_count_gives_no_answer() {
        let r = request("fault", None);
        assert_eq!(count(&r, &|| true), None);
    }
}
