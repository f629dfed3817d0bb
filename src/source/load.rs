//! Files and the bundled demo as a source: read once, and again on [`Request::Load`]
//! (`r` in the app), on a thread of its own.
//!
//! [`Request::Load`]: super::Request::Load

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use std::time::{Duration, Instant};

use super::read::DEFAULT_MAX_LINE;
use super::{Evaluation, LoadPhase, LoadProgress, Loaded, Sink, Snapshot, Update, Verdicts, file};
use crate::engine::dataset::{Collector, Dataset, Partial};

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
    /// Traces found.
    pub total_traces: u64,
}

/// [`load`], calling `report` as it goes: every few megabytes while reading, after each batch
/// of traces while assembling.
pub fn load_reporting(
    files: &Files,
    warn: &mut dyn Write,
    report: &mut dyn FnMut(Step),
) -> Result<Dataset, LoadError> {
    load_tapped(files, warn, report, &mut |_| {})
}

/// What a load shows of itself to a preview ([`load_tapped`]).
enum Found<'a, 'b> {
    /// Every few thousand documents read: the traces found so far.
    Reading(&'a Collector),
    /// Everything is read; the traces are assembled next.
    ReadingOver,
    /// After each batch assembled: the traces finished so far.
    Assembled(&'a Partial<'b>),
}

/// [`load_reporting`], telling `tap` what it has found as it goes: how a preview follows the
/// load.
fn load_tapped(
    files: &Files,
    warn: &mut dyn Write,
    report: &mut dyn FnMut(Step),
    tap: &mut dyn FnMut(Found<'_, '_>),
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
    let mut unreadable = Vec::new();
    for path in &files.paths {
        let base = step.bytes;
        let at = std::cell::Cell::new(step);
        let report = std::cell::RefCell::new(&mut *report);
        let tell = |phase: LoadPhase, n: usize| {
            let s = Step {
                phase,
                bytes: base + n as u64,
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
                    tap(Found::Reading(&collector));
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
    tap(Found::ReadingOver);
    step.phase = LoadPhase::Assembling;
    step.total_traces = collector.trace_count() as u64;
    report(step);
    let data = collector.finish_showing(
        |jobs, run| {
            let done = super::parallel::map(jobs, run);
            step.traces += done.len() as u64;
            report(step);
            done
        },
        &mut |p| tap(Found::Assembled(p)),
    );
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

/// Documents read between two looks at what a preview could take.
const TAP_EVERY: u32 = 4096;

/// Traces found while reading go to the preview at most this often...
const PREVIEW_EVERY: Duration = Duration::from_millis(200);

/// ...in parts of at most this many (each part is a few tens of milliseconds of work, so the
/// preview stops soon when the load needs both cores)...
const PREVIEW_PART: usize = 4096;

/// ...and the app gets a newer preview at most this often, and never more often than ten times
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

/// A preview that follows a large load (on a thread of its own, on the core that the load's
/// single-threaded reading leaves idle): first the start of the input ([`head_preview`]),
/// then the traces the reading finds, in parts, each parsed, assembled and summarised with the
/// documents it has so far and added to what the app already shows ([`Dataset::append`]).
/// The app gets a copy every [`PREVIEW_SEND_EVERY`] or so as an [`Update::Snapshot`]; the
/// finished load replaces it. Stops as soon as the reading is over.
struct Preview {
    /// Parts of newly found traces; `None` once the reading is over.
    parts: std::sync::mpsc::SyncSender<Option<Collector>>,
    /// Traces handed over so far (in the order found).
    handed: usize,
    /// When the reading was last looked at.
    looked: Instant,
    /// Set when the reading is over: parts still queued are not worked on.
    stop: Arc<AtomicBool>,
    /// The input is known to be large (stdin is previewed only once it has proved so).
    large: bool,
    /// The preview's thread, until it has stopped.
    thread: Option<std::thread::JoinHandle<()>>,
    /// Where the load's own snapshots go once the assembled traces outnumber the preview's.
    sink: Sink,
    generation: u64,
    /// The next of those is not sent before this.
    next: Instant,
}

impl Preview {
    /// Starts the preview of `files` for the load of `generation`.
    fn start(files: &Files, generation: u64, sink: Sink) -> Option<Preview> {
        // Stdin has no size: it may be large.
        let total = total_bytes(files);
        if total.is_some_and(|t| t < PREVIEW_FROM) {
            return None;
        }
        let large = total.is_some();
        let files = files.clone();
        let (parts, rx) = std::sync::mpsc::sync_channel::<Option<Collector>>(2);
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let to_app = sink.clone();
        let thread = std::thread::spawn(move || {
            let send = |data: &Dataset| {
                let began = Instant::now();
                sink(Update::Snapshot(Snapshot {
                    generation,
                    data: Arc::new(data.clone()),
                }));
                began.elapsed()
            };
            // The start of the input at once; replaced by the first part found by the load.
            let mut shown: Option<Dataset> = head_preview(&files);
            let mut head = true;
            let mut next = Instant::now() + PREVIEW_SEND_EVERY;
            if let Some(d) = &shown {
                next = Instant::now() + PREVIEW_SEND_EVERY.max(send(d) * 10);
            }
            let mut unsent = false;
            while let Ok(Some(part)) = rx.recv() {
                if stopped.load(Relaxed) {
                    break;
                }
                let part = part.finish();
                match shown.as_mut() {
                    Some(d) if !head => d.append(part),
                    _ => shown = Some(part),
                }
                head = false;
                unsent = true;
                if let Some(d) = shown.as_ref().filter(|_| Instant::now() >= next) {
                    next = Instant::now() + PREVIEW_SEND_EVERY.max(send(d) * 10);
                    unsent = false;
                }
            }
            // What the last parts added, shown while the load assembles.
            if let Some(d) = shown.as_ref().filter(|_| unsent) {
                send(d);
            }
        });
        Some(Preview {
            parts,
            handed: 0,
            looked: Instant::now(),
            stop,
            large,
            thread: Some(thread),
            sink: to_app,
            generation,
            next: Instant::now(),
        })
    }

    /// Hands the traces found since the last time to the preview, when it is ready for them
    /// (a busy preview skips ahead later: nothing queues up behind it).
    fn look(&mut self, collector: &Collector) {
        let now = Instant::now();
        if now - self.looked < PREVIEW_EVERY {
            return;
        }
        self.looked = now;
        let found = collector.trace_count();
        while self.handed < found {
            let end = found.min(self.handed + PREVIEW_PART);
            match self
                .parts
                .try_send(Some(collector.preview(self.handed..end)))
            {
                Ok(()) => self.handed = end,
                Err(_) => break,
            }
        }
    }

    /// The reading is over: the preview stops after the part it is working on.
    fn stop(&mut self) {
        self.stop.store(true, Relaxed);
        let _ = self.parts.try_send(None);
    }

    /// Traces are being assembled: once the finished ones outnumber what the preview was
    /// given, the app is shown those instead (every [`PREVIEW_SEND_EVERY`], and at most a
    /// [`ASSEMBLED_PACE`]th of the time: each copy stalls the assembly on both cores while it
    /// is made).
    fn assembled(&mut self, p: &Partial<'_>) {
        let proved = self.large || self.handed > 0;
        if !proved || p.len() < self.handed || Instant::now() < self.next {
            return;
        }
        // The preview's last word comes first.
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let began = Instant::now();
        let data = Arc::new(p.dataset());
        (self.sink)(Update::Snapshot(Snapshot {
            generation: self.generation,
            data,
        }));
        self.next = Instant::now() + PREVIEW_SEND_EVERY.max(began.elapsed() * ASSEMBLED_PACE);
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
        let mut preview = Preview::start(&files, generation, sink.clone());
        let mut tap = |found: Found<'_, '_>| {
            let Some(p) = preview.as_mut() else {
                return;
            };
            match found {
                Found::Reading(c) => p.look(c),
                Found::ReadingOver => p.stop(),
                Found::Assembled(partial) => p.assembled(partial),
            }
        };
        let mut last: Option<Instant> = None;
        let mut report = |s: Step| {
            let now = Instant::now();
            if last.is_some_and(|l| now - l < PROGRESS_EVERY) {
                return;
            }
            last = Some(now);
            sink(Update::Progress(LoadProgress {
                generation,
                phase: s.phase,
                bytes: s.bytes,
                total_bytes: s.total_bytes,
                traces: s.traces,
                total_traces: s.total_traces,
                elapsed: (now - started).as_secs_f64(),
            }));
        };
        // Located warnings are also kept in the dataset; the text copy is not needed here.
        let result = load_tapped(&files, &mut io::sink(), &mut report, &mut tap)
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
