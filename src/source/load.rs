//! Files and the bundled demo as a source: read once, and again on [`Request::Load`]
//! (`r` in the app), on a thread of its own.
//!
//! [`Request::Load`]: super::Request::Load

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use std::time::{Duration, Instant};

use super::feed::Rate;
use super::read::DEFAULT_MAX_LINE;
use super::{Evaluation, LoadPhase, LoadProgress, Loaded, Sink, Snapshot, Update, Verdicts, file};
use crate::engine::dataset::{Collector, Dataset, Early, Partial, Settled};

/// The demo dataset as committed: one hour of a small shop's traces (`assets/demo.ndjson`, made
/// by the generator in `tests/support/demo.rs`).
pub const DEMO_NDJSON: &str = include_str!("../../assets/demo.ndjson");

/// The demo's X-Ray groups (`aws xray get-groups` output, `assets/demo-groups.json`): the
/// groups screen (Ctrl-G) and `group.name = "..."` have something to show without AWS.
pub const DEMO_GROUPS: &str = include_str!("../../assets/demo-groups.json");

/// What to read: the demo and/or files (`-` is stdin).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Files {
    /// Read the bundled demo dataset.
    pub demo: bool,
    /// Paths, in order; `-` reads stdin.
    pub paths: Vec<String>,
    /// Lines longer than this many bytes are left out, each with a warning (default
    /// [`DEFAULT_MAX_LINE`]).
    pub max_line: Option<usize>,
}

impl Files {
    /// What the status line calls them: `demo, a.json, stdin`.
    pub fn label(&self) -> String {
        let mut parts = Vec::new();
        if self.demo {
            parts.push("demo".to_owned());
        }
        parts.extend(self.paths.iter().map(|f| {
            if f == "-" {
                "stdin".to_owned()
            } else {
                f.clone()
            }
        }));
        parts.join(", ")
    }

    /// Nothing to read.
    pub fn is_empty(&self) -> bool {
        !self.demo && self.paths.is_empty()
    }
}

/// Nothing could be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Nothing in the input was X-Ray data, or no file could be read.
    #[error("{0}")]
    Empty(String),
    /// Warnings could not be written.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Reads every file (and the demo), printing `error: cannot read ...` for a file that cannot be
/// opened and `warning: ...` for each located problem to `warn`. Fails only when nothing at all
/// was loaded.
pub fn load(files: &Files, warn: &mut dyn Write) -> Result<Dataset, LoadError> {
    load_reporting(files, warn, &mut |_| {})
}

/// How far [`load_reporting`] is: the phase, bytes read of all inputs, traces assembled of all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// What it is doing.
    pub phase: LoadPhase,
    /// Bytes read.
    pub bytes: u64,
    /// Bytes of all inputs, when known (not for stdin).
    pub total_bytes: Option<u64>,
    /// Traces assembled.
    pub traces: u64,
    /// Traces found (so far, while reading and indexing).
    pub total_traces: u64,
}

/// [`load`], calling `report` as it goes: every few megabytes while reading, after each batch
/// of traces while assembling.
pub fn load_reporting(
    files: &Files,
    warn: &mut dyn Write,
    report: &mut dyn FnMut(Step),
) -> Result<Dataset, LoadError> {
    load_tapped(files, warn, report, None)
}

/// [`load_reporting`], showing the app what it has found as it goes when `show` says where
/// (see [`Preview`]).
fn load_tapped(
    files: &Files,
    warn: &mut dyn Write,
    report: &mut dyn FnMut(Step),
    show: Option<Preview>,
) -> Result<Dataset, LoadError> {
    let mut step = Step {
        phase: LoadPhase::Reading,
        bytes: 0,
        total_bytes: total_bytes(files),
        traces: 0,
        total_traces: 0,
    };
    let mut collector = Collector::new();
    if files.demo {
        file::load_owned("demo", DEMO_NDJSON.as_bytes().to_vec(), &mut |e| {
            collector.push(e)
        });
        file::load_owned("demo groups", DEMO_GROUPS.as_bytes().to_vec(), &mut |e| {
            collector.push(e)
        });
        step.bytes += (DEMO_NDJSON.len() + DEMO_GROUPS.len()) as u64;
    }
    let mut worker = Worker::new(files, show.clone());
    let mut unreadable = Vec::new();
    for path in &files.paths {
        let base = step.bytes;
        let at = std::cell::Cell::new(step);
        let found = std::cell::Cell::new(step.total_traces);
        let report = std::cell::RefCell::new(&mut *report);
        let tell = |phase: LoadPhase, n: usize| {
            let s = Step {
                phase,
                bytes: base + n as u64,
                total_traces: found.get(),
                ..at.get()
            };
            at.set(s);
            (report.borrow_mut())(s);
        };
        let mut pushed = 0u32;
        let result = file::load_path_reporting(
            path,
            files.max_line.unwrap_or(DEFAULT_MAX_LINE),
            &mut |e| {
                collector.push(e);
                pushed = pushed.wrapping_add(1);
                if pushed % TAP_EVERY == 0 {
                    worker.look(&mut collector);
                    found.set(collector.trace_count() as u64);
                }
            },
            &mut |n| tell(LoadPhase::Reading, n),
            &mut |n| tell(LoadPhase::Indexing, n),
        );
        step = at.get();
        match result {
            Ok(()) => step.bytes = base + std::fs::metadata(path).map_or(0, |m| m.len()),
            Err(e) => {
                // The error names the path already.
                writeln!(warn, "error: cannot read {e}")?;
                unreadable.push(path.clone());
            }
        }
    }
    let handed = worker.finish(&mut collector);
    step.phase = LoadPhase::Assembling;
    step.total_traces = collector.trace_count() as u64;
    report(step);
    let mut next = Instant::now();
    let data = collector.finish_showing(super::parallel::map, &mut |p| {
        step.traces = p.len() as u64;
        report(step);
        if let Some(show) = &show {
            show.assembled(p, handed, &mut next);
        }
    });
    for w in &data.warnings {
        writeln!(warn, "warning: {w}")?;
    }
    if data.is_empty() {
        return Err(LoadError::Empty(if unreadable.is_empty() {
            "no X-Ray data found in the input".to_owned()
        } else {
            format!(
                "nothing could be loaded (unreadable: {})",
                unreadable.join(", ")
            )
        }));
    }
    Ok(data)
}

/// All the inputs' bytes, when every one has a size (stdin has none).
fn total_bytes(files: &Files) -> Option<u64> {
    let mut total = if files.demo {
        (DEMO_NDJSON.len() + DEMO_GROUPS.len()) as u64
    } else {
        0
    };
    for p in &files.paths {
        if p == "-" {
            return None;
        }
        total += std::fs::metadata(p).map_or(0, |m| m.len());
    }
    Some(total)
}

/// Works out the verdicts of an [`Evaluation`] on a thread (its rows spread over the cores)
/// and answers with [`Update::Verdicts`].
pub(super) fn evaluate(e: Evaluation, sink: Sink) {
    std::thread::spawn(move || sink(Update::Verdicts(verdicts(&e))));
}

/// The answer to an [`Evaluation`], worked out here (on every core).
pub fn verdicts(e: &Evaluation) -> Verdicts {
    let ctx = crate::filter::EvalContext { groups: &e.groups };
    let matches = super::parallel::map(e.rows.clone(), &|i| {
        (
            i,
            e.filter.verdict_at(&e.data, i, &ctx) == crate::filter::Verdict::Match,
        )
    });
    Verdicts { id: e.id, matches }
}

/// Inputs smaller than this load fast enough to show at once: no preview.
const PREVIEW_FROM: u64 = 16 << 20;

/// How much of the first input the first preview reads.
const PREVIEW_BYTES: u64 = 2 << 20;

/// Documents read between two looks at what the [`Worker`] could take.
const TAP_EVERY: u32 = 4096;

/// The traces found last are not handed to the [`Worker`] (more of their documents may
/// follow: a trace that gets more after it was worked on is worked on again at the end)...
const EARLY_MARGIN: usize = 1024;

/// ...and those before them go in parts of at most this many (each part is a few tens of
/// milliseconds of work, so the worker is done soon after the reading).
const EARLY_PART: usize = 1024;

/// The app gets a newer preview at most this often, and never more often than ten times
/// what copying it for the app took (so previews cost at most a tenth of a core).
const PREVIEW_SEND_EVERY: Duration = Duration::from_millis(300);

/// The first traces of a large load, to show while the rest loads: the start of the first
/// file (up to its last complete line in [`PREVIEW_BYTES`]) read on its own. Its traces may
/// lack documents further on (the full load brings them); its warnings are the full load's
/// business. `None` for small inputs, stdin, or when the start holds no trace.
fn head_preview(files: &Files) -> Option<Dataset> {
    use std::io::Read;
    if total_bytes(files).is_none_or(|t| t < PREVIEW_FROM) {
        return None;
    }
    let path = files.paths.first()?;
    let mut head = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(PREVIEW_BYTES)
        .read_to_end(&mut head)
        .ok()?;
    let end = head.iter().rposition(|&b| b == b'\n')?;
    head.truncate(end + 1);
    let mut collector = Collector::new();
    file::load_owned(path, head, &mut |e| collector.push(e));
    let data = collector.finish_with(super::parallel::map);
    (!data.rows.is_empty()).then_some(data)
}

/// Where a load in the app shows what it has found so far: first the start of the input
/// ([`head_preview`]), then the traces the [`Worker`] has worked out while reading, then
/// those assembled at the end ([`Partial`]), each as an [`Update::Snapshot`] of the load's
/// generation. The finished load replaces them.
#[derive(Clone)]
struct Preview {
    sink: Sink,
    generation: u64,
    /// The input is known to be large (stdin is previewed only once it has proved so).
    large: bool,
}

impl Preview {
    /// The preview of a load of `files` in the app, if they are large (or stdin).
    fn of(files: &Files, generation: u64, sink: Sink) -> Option<Preview> {
        // Stdin has no size: it may be large.
        let total = total_bytes(files);
        if total.is_some_and(|t| t < PREVIEW_FROM) {
            return None;
        }
        Some(Preview {
            sink,
            generation,
            large: total.is_some(),
        })
    }

    /// Sends a copy of `data`; says how long that took.
    fn send(&self, data: &Dataset) -> Duration {
        let began = Instant::now();
        self.send_made(Arc::new(data.clone()));
        began.elapsed()
    }

    fn send_made(&self, data: Arc<Dataset>) {
        (self.sink)(Update::Snapshot(Snapshot {
            generation: self.generation,
            data,
        }));
    }

    /// Traces are being assembled: once the finished ones outnumber what the worker was
    /// given, the app is shown those instead (every [`PREVIEW_SEND_EVERY`], and at most a
    /// [`ASSEMBLED_PACE`]th of the time: each copy stalls the assembly on both cores while it
    /// is made).
    fn assembled(&self, p: &Partial<'_>, handed: usize, next: &mut Instant) {
        let proved = self.large || handed > 0;
        if !proved || p.len() < handed || Instant::now() < *next {
            return;
        }
        let began = Instant::now();
        self.send_made(Arc::new(p.dataset()));
        *next = Instant::now() + PREVIEW_SEND_EVERY.max(began.elapsed() * ASSEMBLED_PACE);
    }
}

/// Works on the traces found while the input is still being read, on a thread of its own
/// (the core that the single-threaded reading leaves idle): each part of traces found is
/// parsed, assembled and summarised with the documents it has so far ([`Early`]), and the
/// results go back to the collector, which keeps those whose traces get no more documents.
/// In the app, it also shows them ([`Preview`]). Started at the first part.
struct Worker {
    /// Parts to work on; `None` once the reading is over.
    parts: Option<std::sync::mpsc::SyncSender<Early>>,
    results: Option<std::sync::mpsc::Receiver<Settled>>,
    /// Traces handed over so far (in the order found).
    handed: usize,
    /// Set when the reading is over: parts still queued are not worked on.
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Where it shows what it has, with the start of the input to show first.
    preview: Option<(Preview, Files)>,
}

impl Worker {
    /// A worker for a load of `files`, showing what it has if `preview` says where. A preview
    /// starts at once (with the start of the input); otherwise the thread starts with the
    /// first part.
    fn new(files: &Files, preview: Option<Preview>) -> Worker {
        let mut w = Worker {
            parts: None,
            results: None,
            handed: 0,
            stop: Arc::new(AtomicBool::new(false)),
            thread: None,
            preview: preview.map(|p| (p, files.clone())),
        };
        if w.preview.is_some() {
            w.start();
        }
        w
    }

    fn start(&mut self) {
        let (parts, rx) = std::sync::mpsc::sync_channel::<Early>(4);
        let (tx, results) = std::sync::mpsc::channel::<Settled>();
        let stopped = self.stop.clone();
        let preview = self.preview.take();
        self.thread = Some(std::thread::spawn(move || {
            // The start of the input at once; replaced by the first part worked out.
            let mut shown: Option<Dataset> = None;
            let mut head = false;
            let mut next = Instant::now();
            let mut unsent = false;
            if let Some((p, files)) = &preview {
                shown = head_preview(files);
                head = shown.is_some();
                if let Some(d) = &shown {
                    next = Instant::now() + PREVIEW_SEND_EVERY.max(p.send(d) * 10);
                }
            }
            while let Ok(part) = rx.recv() {
                if stopped.load(Relaxed) {
                    break;
                }
                let mut settled = part.run(preview.is_some());
                if let (Some((p, _)), Some(part)) = (&preview, settled.shown.take()) {
                    match shown.as_mut() {
                        Some(d) if !head => d.append(part),
                        _ => shown = Some(part),
                    }
                    head = false;
                    unsent = true;
                    if let Some(d) = shown.as_ref().filter(|_| Instant::now() >= next) {
                        next = Instant::now() + PREVIEW_SEND_EVERY.max(p.send(d) * 10);
                        unsent = false;
                    }
                }
                if tx.send(settled).is_err() {
                    break;
                }
            }
            // What the last parts added, shown while the load assembles.
            if let (Some((p, _)), Some(d)) = (&preview, shown.as_ref().filter(|_| unsent)) {
                p.send(d);
            }
        }));
        self.parts = Some(parts);
        self.results = Some(results);
    }

    /// Takes back what the worker has finished, and hands it the traces found since the last
    /// time (all but the last [`EARLY_MARGIN`]) when it is ready for them: a busy worker skips
    /// ahead later, nothing queues up behind it.
    fn look(&mut self, collector: &mut Collector) {
        self.settle(collector);
        let ready = collector.trace_count().saturating_sub(EARLY_MARGIN);
        if self.handed >= ready {
            return;
        }
        if self.thread.is_none() {
            self.start();
        }
        let Some(parts) = &self.parts else { return };
        while self.handed < ready {
            let end = ready.min(self.handed + EARLY_PART);
            match parts.try_send(collector.early(self.handed..end)) {
                Ok(()) => self.handed = end,
                Err(_) => break,
            }
        }
    }

    fn settle(&mut self, collector: &mut Collector) {
        if let Some(results) = &self.results {
            while let Ok(s) = results.try_recv() {
                collector.settle(s);
            }
        }
    }

    /// The reading is over: the worker stops after the part it is working on, which is
    /// taken back. Says how many traces it was handed.
    fn finish(&mut self, collector: &mut Collector) -> usize {
        self.stop.store(true, Relaxed);
        self.parts = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.settle(collector);
        self.handed
    }
}

/// While traces are assembled, a copy for the app is made at most once in this many times
/// what the last copy took (the assembly waits for it).
const ASSEMBLED_PACE: u32 = 20;

/// How often the app is told of a load's progress.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Loads on a thread, telling the app how far it is ([`Update::Progress`], at most every
/// 100 ms) and showing what it has found so far ([`Preview`]), and answers with
/// [`Update::Loaded`] of `generation`.
pub(super) fn spawn(files: Files, generation: u64, sink: Sink) {
    std::thread::spawn(move || {
        let started = Instant::now();
        let preview = Preview::of(&files, generation, sink.clone());
        let mut last: Option<Instant> = None;
        let mut rate = Rate::default();
        let mut report = |s: Step| {
            let now = Instant::now();
            if last.is_some_and(|l| now - l < PROGRESS_EVERY) {
                return;
            }
            last = Some(now);
            let mut p = LoadProgress {
                generation,
                phase: s.phase,
                bytes: s.bytes,
                total_bytes: s.total_bytes,
                traces: s.traces,
                total_traces: s.total_traces,
                elapsed: (now - started).as_secs_f64(),
                rate: None,
            };
            p.rate = rate.of(&p);
            sink(Update::Progress(p));
        };
        // Located warnings are also kept in the dataset; the text copy is not needed here.
        let result = load_tapped(&files, &mut io::sink(), &mut report, preview)
            .map(Arc::new)
            .map_err(|e| e.to_string());
        sink(Update::Loaded(Loaded { generation, result }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_input_is_previewed_from_its_start() {
        let dir = std::env::temp_dir().join(format!("xray-tui-preview-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big.ndjson");
        // The demo, repeated past the size that gets a preview (same IDs: fine for this).
        let times = (PREVIEW_FROM as usize / DEMO_NDJSON.len()) + 1;
        std::fs::write(&big, DEMO_NDJSON.repeat(times)).unwrap();
        let files = Files {
            demo: false,
            paths: vec![big.to_string_lossy().into_owned()],
            ..Files::default()
        };
        let p = head_preview(&files).expect("a preview");
        assert!(!p.rows.is_empty());
        let demo_rows = load(
            &Files {
                demo: true,
                paths: Vec::new(),
                ..Files::default()
            },
            &mut io::sink(),
        )
        .unwrap()
        .rows
        .len();
        assert!(p.rows.len() <= demo_rows, "only the start is read");
        // Small inputs and stdin get none.
        let small = dir.join("small.ndjson");
        std::fs::write(&small, DEMO_NDJSON).unwrap();
        assert!(
            head_preview(&Files {
                demo: false,
                paths: vec![small.to_string_lossy().into_owned()],
                ..Files::default()
            })
            .is_none()
        );
        assert!(
            head_preview(&Files {
                demo: false,
                paths: vec!["-".into()],
                ..Files::default()
            })
            .is_none()
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Everything a load answers with, to compare two loads.
    fn answers(d: &Dataset) -> (Vec<Option<Arc<crate::model::TraceSummary>>>, String, usize) {
        let summaries = (0..d.rows.len()).map(|i| d.summary(i)).collect();
        let graph = serde_json::to_string(&d.traces.graph_of_all()).unwrap();
        (summaries, graph, d.warnings.len())
    }

    #[test]
    fn traces_worked_on_while_reading_match_those_worked_on_at_the_end() {
        // The demo's documents in two halves: traces found in the first half are worked on
        // early; those with documents in the second half too must be worked on again.
        let lines: Vec<&str> = DEMO_NDJSON.lines().collect();
        let (first, second) = lines.split_at(lines.len() / 2);
        let (first, second) = (first.join("\n") + "\n", second.join("\n") + "\n");
        let plain = {
            let mut c = Collector::new();
            file::load_owned("a", first.clone().into_bytes(), &mut |e| c.push(e));
            file::load_owned("b", second.clone().into_bytes(), &mut |e| c.push(e));
            c.finish()
        };
        let mut c = Collector::new();
        file::load_owned("a", first.into_bytes(), &mut |e| c.push(e));
        let found = c.trace_count();
        let early = c.early(0..found);
        assert_eq!(early.len(), found);
        c.settle(early.run(false));
        file::load_owned("b", second.into_bytes(), &mut |e| c.push(e));
        let worked = c.finish();
        assert!(plain.rows.len() > 300);
        assert_eq!(answers(&worked), answers(&plain));
        // Some traces of the first half do get documents in the second (so both cases were
        // met: kept as worked out early, and worked on again).
        let ids = |part: &[&str]| -> std::collections::HashSet<String> {
            part.iter()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .filter_map(|v| Some(v.get("trace_id")?.as_str()?.to_owned()))
                .collect()
        };
        let (a, b) = lines.split_at(lines.len() / 2);
        let both = ids(a).intersection(&ids(b)).count();
        assert!(both > 0 && both < found, "{both} of {found}");
    }

    /// A large input loaded as the app loads it: previews stream in while it is read (from the
    /// load's worker), and what it answers with at the end is what a plain load gives.
    #[test]
    fn a_large_load_in_the_app_previews_and_ends_as_a_plain_load() {
        let dir = std::env::temp_dir().join(format!("xray-tui-worker-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big.ndjson");
        // The demo again and again with other trace IDs, then as it is once more: the first
        // copy's traces get their documents again after they were worked on (the same
        // documents: kept once), the others do not.
        let times = (PREVIEW_FROM as usize / DEMO_NDJSON.len()) + 1;
        let mut text = DEMO_NDJSON.to_owned();
        for k in 0..times {
            let id = format!("\"trace_id\":\"1-6c{k:02x}");
            text.push_str(&DEMO_NDJSON.replace("\"trace_id\":\"1-6b05", &id));
        }
        text.push_str(DEMO_NDJSON);
        std::fs::write(&big, text).unwrap();
        let files = Files {
            demo: false,
            paths: vec![big.to_string_lossy().into_owned()],
            ..Files::default()
        };
        let (tx, rx) = std::sync::mpsc::channel();
        let tx = std::sync::Mutex::new(tx);
        spawn(
            files.clone(),
            7,
            Arc::new(move |u| {
                let _ = tx.lock().unwrap().send(u);
            }),
        );
        let mut snapshots = 0;
        let loaded = loop {
            match rx
                .recv_timeout(Duration::from_secs(120))
                .expect("an answer")
            {
                Update::Snapshot(s) => {
                    assert_eq!(s.generation, 7);
                    assert!(!s.data.rows.is_empty());
                    snapshots += 1;
                }
                Update::Loaded(l) => break l,
                _ => {}
            }
        };
        assert_eq!(loaded.generation, 7);
        let got = loaded.result.expect("loaded");
        assert!(
            snapshots > 0,
            "the load showed what it had found before it ended"
        );
        let plain = load(&files, &mut io::sink()).unwrap();
        assert_eq!(plain.rows.len(), 387 * (times + 1));
        assert_eq!(answers(&got), answers(&plain));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn labels_name_the_inputs() {
        let f = Files {
            demo: true,
            paths: vec!["a.json".into(), "-".into()],
            ..Files::default()
        };
        assert_eq!(f.label(), "demo, a.json, stdin");
        assert!(Files::default().is_empty());
    }

    #[test]
    fn the_demo_loads_without_warnings() {
        let data = load(
            &Files {
                demo: true,
                paths: Vec::new(),
                ..Files::default()
            },
            &mut io::sink(),
        )
        .expect("demo");
        assert!(data.warnings.is_empty());
        assert!(data.traces.len() > 100);
    }

    #[test]
    fn an_unreadable_file_alone_is_an_error_that_names_it() {
        let mut warn = Vec::new();
        let err = load(
            &Files {
                demo: false,
                paths: vec!["/nonexistent/x.json".into()],
                ..Files::default()
            },
            &mut warn,
        )
        .expect_err("nothing loads");
        assert!(err.to_string().contains("/nonexistent/x.json"));
        let warn = String::from_utf8_lossy(&warn);
        assert!(warn.contains("cannot read /nonexistent/x.json: "), "{warn}");
        // The path is said once.
        assert_eq!(warn.matches("/nonexistent/x.json").count(), 1, "{warn}");
    }
}
