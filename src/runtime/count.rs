//! Work the app asks for with a generation, done on a thread of its own so the UI never waits
//! for it, the newest request only ([`Latest`]): the filter prompt's live count (how many
//! loaded traces the expression being typed matches) and the Analysis screen's numbers.
//!
//! Each [`CountRequest`] (and [`AnalysisRequest`]) carries a generation; starting one
//! supersedes the one before, which notices between chunks of rows (parts of the analysis)
//! and stops without answering (the app would drop its answer anyway). The verdicts are the applied filter's ([`crate::filter::Filter::verdict_at`]: the
//! fast path over rows and fragments, the trace assembled where it must be), spread over the
//! cores.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::app::Event;
use crate::app::analysis::{AnalysisRequest, Analyzed};
use crate::app::prompt::{CountRequest, Counted};
use crate::engine::dataset::Dataset;
use crate::filter::analyze::{FactChunk, FactTable};
use crate::filter::{EvalContext, Verdict};

/// Rows decided between two looks at whether the count is still wanted.
const CHUNK: usize = 4096;

/// Runs one kind of job, the newest only: a job of an older generation is told it is stale
/// (it stops where it next looks) and its answer, if any, is not sent.
#[derive(Debug, Default)]
pub struct Latest {
    /// The generation of the job wanted (0: none).
    wanted: Arc<AtomicU64>,
    /// The facts of the dataset analysed last (Analysis screen).
    facts: FactCache,
    /// When the last analysis ended and what it cost, to pace the next.
    pace: Arc<Mutex<Option<(Instant, Duration)>>>,
}

/// When an analysis that is paced may start: after the last one ended, nine times what it
/// cost later, so that analyses take at most a tenth of the time.
pub fn paced_start(ended: Instant, cost: Duration) -> Instant {
    ended + cost.saturating_mul(9)
}

/// The [`FactTable`] of the dataset analysed last, kept while the same dataset is analysed
/// again (another filter, selection or tab): worked out once a dataset, on every core.
///
/// A request for the dataset whose table is being worked out waits for it (the work is the
/// dataset's, not the request's, so a new filter does not start it again); a request for
/// another dataset, or the screen closing, abandons it.
#[derive(Debug, Default, Clone)]
pub struct FactCache {
    kept: Arc<Mutex<Option<Kept>>>,
    /// The address of the dataset wanted (0: none), to abandon a table no longer wanted.
    wanted: Arc<AtomicUsize>,
}

/// A dataset (not kept alive by this) and its table.
type Kept = (Weak<Dataset>, Arc<FactTable>);

impl FactCache {
    /// The table of `data`: the kept one if it is of this dataset, else worked out now on
    /// every core, telling `progress` (rows done, rows in all) as parts of it are done.
    /// `None` when another dataset became wanted (or none) before it was done.
    pub fn table(
        &self,
        data: &Arc<Dataset>,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Option<Arc<FactTable>> {
        // An address as a number, to compare only.
        let me = Arc::as_ptr(data) as usize;
        self.wanted.store(me, Ordering::Relaxed);
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((d, t)) = kept.as_ref() {
            if std::ptr::eq(d.as_ptr(), Arc::as_ptr(data)) && d.strong_count() > 0 {
                return Some(t.clone());
            }
        }
        // The old one goes on only as a source of rows to copy (the traces of a live source
        // that did not change), and is let go once the new one is made.
        let previous = kept.take().map(|(_, t)| t).filter(|t| t.worth_extending());
        let done = AtomicUsize::new(0);
        let gave_up = AtomicBool::new(false);
        let table = FactTable::build_from(data, previous.as_deref(), |chunks, f| {
            let total: usize = chunks.iter().map(Vec::len).sum();
            chunks
                .into_par_iter()
                .map(|rows| {
                    if gave_up.load(Ordering::Relaxed) || self.wanted.load(Ordering::Relaxed) != me
                    {
                        gave_up.store(true, Ordering::Relaxed);
                        return FactChunk::default();
                    }
                    let n = rows.len();
                    let chunk = f(rows);
                    progress(done.fetch_add(n, Ordering::Relaxed) + n, total);
                    chunk
                })
                .collect()
        });
        if gave_up.load(Ordering::Relaxed) || self.wanted.load(Ordering::Relaxed) != me {
            // Still good for copying rows from.
            *kept = previous.map(|t| (Weak::new(), t));
            return None;
        }
        let table = Arc::new(table);
        *kept = Some((Arc::downgrade(data), table.clone()));
        Some(table)
    }

    /// No dataset is wanted any more: a table being worked out is abandoned.
    pub fn abandon(&self) {
        self.wanted.store(0, Ordering::Relaxed);
    }
}

/// The prompt's live count runs on one of these.
pub type Counter = Latest;

/// A job: given a way to ask whether it is still wanted, the event to send, if any.
pub type Job = Box<dyn FnOnce(&(dyn Fn() -> bool + Sync)) -> Option<Event> + Send>;

impl Latest {
    /// Runs `job` of `generation` on a thread (superseding any job running) and sends its
    /// event to `tx` if it is still the newest when done.
    pub fn run(&self, generation: u64, tx: Sender<Event>, job: Job) {
        self.wanted.store(generation, Ordering::Relaxed);
        let wanted = Arc::clone(&self.wanted);
        std::thread::spawn(move || {
            let stale = || wanted.load(Ordering::Relaxed) != generation;
            if let Some(e) = job(&stale) {
                if !stale() {
                    let _ = tx.send(e);
                }
            }
        });
    }

    /// Stops the job running, if any (and abandons a table of facts being worked out).
    pub fn stop(&self) {
        self.wanted.store(0, Ordering::Relaxed);
        self.facts.abandon();
    }

    /// Starts counting for `request` (answered with [`Event::Counted`]).
    pub fn start(&self, request: CountRequest, tx: Sender<Event>) {
        let generation = request.generation;
        self.run(
            generation,
            tx,
            Box::new(move |stale| count(&request, stale).map(Event::Counted)),
        );
    }

    /// Starts working out the Analysis screen's numbers for `request` (answered with
    /// [`Event::TracesAnalysed`]).
    pub fn analyse(&self, request: AnalysisRequest, tx: Sender<Event>) {
        let generation = request.generation;
        let facts = self.facts.clone();
        let progress = told(tx.clone());
        let pace = Arc::clone(&self.pace);
        self.run(
            generation,
            tx,
            Box::new(move |stale| {
                let last = *pace.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some((ended, cost)) = last.filter(|_| request.paced) {
                    let start = paced_start(ended, cost);
                    while !stale() {
                        let now = Instant::now();
                        if now >= start {
                            break;
                        }
                        std::thread::sleep((start - now).min(Duration::from_millis(50)));
                    }
                }
                let began = Instant::now();
                let answer = analyse(&request, &facts, stale, &progress);
                *pace.lock().unwrap_or_else(PoisonError::into_inner) =
                    Some((Instant::now(), began.elapsed()));
                answer.map(Event::TracesAnalysed)
            }),
        );
    }
}

impl Latest {
    /// Works out the table of facts of `data` on a thread of its own, before any request
    /// (a request for the same dataset then waits for it instead of starting again).
    pub fn prepare(&self, data: Arc<Dataset>, tx: Sender<Event>) {
        let facts = self.facts.clone();
        let progress = told(tx);
        std::thread::spawn(move || facts.table(&data, &progress));
    }
}

/// Progress of a table of facts, sent as [`Event::AnalysisProgress`] in whole percent (at most
/// a hundred events a table).
fn told(tx: Sender<Event>) -> impl Fn(usize, usize) + Sync + Send + 'static {
    let last = AtomicUsize::new(usize::MAX);
    move |done: usize, of: usize| {
        let percent = done.saturating_mul(100) / of.max(1);
        if last.swap(percent, Ordering::Relaxed) != percent {
            let _ = tx.send(Event::AnalysisProgress { done, of });
        }
    }
}

/// The Analysis screen's numbers for `request`; `None` as soon as `stale()` says (between
/// parts) that they are no longer wanted. What the parts read inside traces comes from the
/// dataset's [`FactTable`] (from `facts`, or worked out first on every core); the parts go in
/// two halves, one a core (the root causes and the histogram; the time series, RED and the
/// comparison).
pub fn analyse(
    request: &AnalysisRequest,
    facts: &FactCache,
    stale: &(dyn Fn() -> bool + Sync),
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Option<Box<Analyzed>> {
    use crate::filter::analyze::{Parts, Question, answer};
    let q = &request.question;
    let half = |parts: Parts| Question { parts, ..q.clone() };
    let first = half(Parts {
        compare: false,
        time: false,
        ..q.parts
    });
    let second = half(Parts {
        causes: false,
        histogram: false,
        ..q.parts
    });
    let data = &request.data;
    let table = facts.table(data, progress)?;
    if stale() {
        return None;
    }
    let table = Some(&*table);
    let (a, b) = rayon::join(
        || answer(data, table, &first, &stale),
        || answer(data, table, &second, &stale),
    );
    let (mut answers, b) = (a?, b?);
    answers.compare = b.compare;
    answers.time = b.time;
    Some(Box::new(Analyzed {
        generation: request.generation,
        answers,
    }))
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

    /// A live source's next dataset: the table copies the rows of the traces that did not
    /// change (only new and changed ones are read), and answers exactly as one made afresh.
    #[test]
    fn a_live_table_goes_on_from_the_last_one() {
        use crate::filter::analyze::{
            Dimension, compare_with, group_by_with, red_with, root_causes_with,
        };
        use crate::source::daemon::store::LiveStore;
        let lines: Vec<(String, String, String)> = crate::source::load::DEMO_NDJSON
            .lines()
            .filter_map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).ok()?;
                Some((
                    v["trace_id"].as_str()?.to_owned(),
                    v["id"].as_str()?.to_owned(),
                    l.to_owned(),
                ))
            })
            .collect();
        let mut store = LiveStore::new(100_000);
        let (first, rest) = lines.split_at(lines.len() / 2);
        for (trace, id, text) in first {
            store.file(trace, id, false, text.clone().into_bytes());
        }
        let before = Arc::new(store.dataset());
        for (trace, id, text) in rest {
            store.file(trace, id, false, text.clone().into_bytes());
        }
        let after = Arc::new(store.dataset());
        let facts = FactCache::default();
        let read = |d: &Arc<Dataset>| {
            let total = Mutex::new(0usize);
            let t = facts
                .table(d, &|_, of| *total.lock().expect("not poisoned") = of)
                .expect("made");
            (t, total.into_inner().expect("not poisoned"))
        };
        let (_, all_of_before) = read(&before);
        assert_eq!(all_of_before, before.rows.len());
        let (went_on, read_now) = read(&after);
        assert!(
            read_now > 0 && read_now < after.rows.len(),
            "{read_now} of {} read again",
            after.rows.len()
        );
        let afresh = FactTable::build(&after, |chunks, f| chunks.into_iter().map(f).collect());
        let rows: Vec<usize> = (0..after.rows.len()).collect();
        let (even, odd): (Vec<usize>, Vec<usize>) = rows.iter().partition(|&&i| i % 2 == 0);
        for by in Dimension::names().chain(["annotation.customer_tier"]) {
            let dim: Dimension = by.parse().expect("dimension");
            assert_eq!(
                group_by_with(&after, Some(&went_on), &rows, &dim),
                group_by_with(&after, Some(&afresh), &rows, &dim),
                "{by}"
            );
        }
        assert_eq!(
            root_causes_with(&after, Some(&went_on), &rows),
            root_causes_with(&after, Some(&afresh), &rows)
        );
        assert_eq!(
            compare_with(&after, Some(&went_on), &even, &odd),
            compare_with(&after, Some(&afresh), &even, &odd)
        );
        assert_eq!(
            red_with(&after, Some(&went_on), &rows, 60.0),
            red_with(&after, Some(&afresh), &rows, 60.0)
        );
    }

    #[test]
    fn a_paced_analysis_waits_nine_times_the_last_cost() {
        let ended = Instant::now();
        let cost = Duration::from_millis(120);
        assert_eq!(
            paced_start(ended, cost) - ended,
            Duration::from_millis(1080)
        );
        assert_eq!(paced_start(ended, Duration::ZERO), ended);
    }

    #[test]
    fn a_superseded_count_gives_no_answer() {
        let r = request("fault", None);
        assert_eq!(count(&r, &|| true), None);
    }

    #[test]
    fn the_analysis_in_two_halves_is_the_analysis_in_one() {
        use crate::filter::analyze::{Measured, Parts, Question, Selection, answer};
        let data = request("fault", None).data;
        let question = Question {
            rows: (0..data.rows.len()).collect(),
            context: None,
            selection: Selection::Faults,
            measured: Measured::Traces,
            buckets: 20,
            parts: Parts::ALL,
        };
        // Worked out trace by trace, without a table of facts.
        let whole = answer(&data, None, &question, &|| false).expect("answered");
        assert!(whole.causes.as_ref().is_some_and(|c| !c.is_empty()));
        assert!(whole.compare.is_some() && whole.time.is_some() && whole.histogram.is_some());
        let r = AnalysisRequest {
            paced: false,
            generation: 3,
            data,
            question,
        };
        // As the app does: from the dataset's table of facts, in two halves.
        let facts = FactCache::default();
        let told = Mutex::new(Vec::new());
        let progress = |done: usize, of: usize| {
            told.lock().expect("not poisoned").push((done, of));
        };
        let halves = analyse(&r, &facts, &|| false, &progress).expect("answered");
        // Each part of the table said how far it was; the last, all of it.
        let told = told.into_inner().expect("not poisoned");
        let n = r.data.rows.len();
        assert!(!told.is_empty());
        assert!(told.iter().all(|&(done, of)| of == n && done <= n));
        assert_eq!(told.iter().map(|p| p.0).max(), Some(n));
        assert_eq!(halves.generation, 3);
        assert_eq!(halves.answers, whole);
        assert!(
            analyse(&r, &facts, &|| true, &|_, _| {}).is_none(),
            "superseded"
        );
        // The table is kept for the same dataset, and made again for another.
        let table = |d: &Arc<Dataset>| facts.table(d, &|_, _| {}).expect("worked out");
        let t = table(&r.data);
        assert_eq!(t.len(), r.data.rows.len());
        assert!(Arc::ptr_eq(&t, &table(&r.data)));
        let other = Arc::new((*r.data).clone());
        assert!(!Arc::ptr_eq(&t, &table(&other)));
        // A table no longer wanted is abandoned, and not kept.
        let third = Arc::new((*r.data).clone());
        let abandon = || facts.abandon();
        let abandoned = facts.table(&third, &|_, _| abandon());
        assert!(abandoned.is_none(), "abandoned");
        assert!(facts.table(&third, &|_, _| {}).is_some());
        // The comparison counted from the table's keys is the one worked out trace by trace,
        // whatever the two sides.
        use crate::filter::analyze::{compare, compare_with};
        let even: Vec<usize> = (0..n).step_by(2).collect();
        let odd: Vec<usize> = (1..n).step_by(2).collect();
        let head: Vec<usize> = (0..n / 10).collect();
        for (sel, base) in [(&even, &odd), (&head, &odd), (&odd, &head)] {
            let counted = compare_with(&r.data, Some(&t), sel, base);
            assert!(!counted.is_empty());
            assert!(
                counted
                    .iter()
                    .any(|d| d.dimension.starts_with("annotation."))
            );
            assert_eq!(counted, compare(&r.data, sel, base));
        }
        // RED per service adds up what the service graph of the same traces says of each node.
        let all: Vec<usize> = (0..n).collect();
        let red = crate::filter::analyze::red(&r.data, &all, 60.0);
        let graph = r.data.traces.graph_of_all();
        let mut want: std::collections::BTreeMap<String, (u64, u64, u64, Vec<f64>)> =
            Default::default();
        for node in graph
            .services
            .iter()
            .filter(|s| s.kind.as_deref() != Some("client"))
        {
            let e = want
                .entry(node.name.clone().unwrap_or_default())
                .or_default();
            if let Some(st) = &node.summary_statistics {
                e.0 += st.total_count;
                e.1 += st.error_statistics.total_count;
                e.2 += st.fault_statistics.total_count;
            }
            for h in &node.response_time_histogram {
                e.3.extend(std::iter::repeat_n(h.value, h.count as usize));
            }
        }
        assert!(want.len() > 5);
        assert_eq!(red.services.len(), want.len());
        for s in &red.services {
            let (count, errors, faults, times) = want.get_mut(&s.name).expect(&s.name);
            times.sort_by(f64::total_cmp);
            assert_eq!(
                (s.count, s.errors, s.faults),
                (*count, *errors, *faults),
                "{}",
                s.name
            );
            let p = crate::filter::analyze::percentile(times, 99.0);
            assert_eq!(s.p99, p, "{}", s.name);
            assert_eq!(s.spark.iter().sum::<u64>(), s.count, "{}", s.name);
        }
        // Operations counted by the numbers the table keeps are those counted by name.
        for rows in [&even, &head] {
            let kept = crate::filter::analyze::red_with(&r.data, Some(&t), rows, 60.0);
            assert!(!kept.operations.is_empty());
            assert_eq!(kept, crate::filter::analyze::red(&r.data, rows, 60.0));
        }
        // And the groups of every dimension.
        use crate::filter::analyze::{Dimension, group_by, group_by_with};
        let notes = [
            "annotation.customer_tier",
            "annotation.cart_items",
            "annotation.cache_hit",
            "annotation.no_such_key",
        ];
        for by in Dimension::names().chain(notes) {
            let dim: Dimension = by.parse().expect("dimension");
            let mut met = false;
            for rows in [&all, &even, &head] {
                let kept = group_by_with(&r.data, Some(&t), rows, &dim);
                assert_eq!(kept, group_by(&r.data, rows, &dim), "{by}");
                met |= !kept.is_empty();
            }
            assert_eq!(met, !by.ends_with("no_such_key"), "{by}");
        }
        // So are the root causes of any set of traces, from the numbers the table keeps.
        use crate::filter::analyze::{root_causes, root_causes_with};
        for rows in [&even, &odd, &head] {
            let kept = root_causes_with(&r.data, Some(&t), rows);
            assert!(!kept.is_empty());
            assert_eq!(kept, root_causes(&r.data, rows));
        }
    }
}
