//! Reading X-Ray data from files (or stdin), whatever shape it was saved in.
//!
//! People save X-Ray data in many ways: the output of `aws xray get-trace-summaries`,
//! `batch-get-traces`, `get-service-graph` or `get-groups` (CLI v1 with epoch numbers, v2 with
//! ISO-8601 strings), raw segment documents one per line (NDJSON), a JSON array of them, a single
//! document, or a capture of what SDKs send the daemon (`{"format":"json","version":1}` header
//! lines between documents). Asking the user which one it is would be a chore, so the format is
//! **auto-detected** from the shape of each top-level JSON value; a file may hold several values,
//! even of different shapes (`cat a.json b.json`, pages one per line).
//!
//! Files can be large, so the reader is **streaming**: every item goes to the caller's sink as soon
//! as it is parsed (a UI can draw while the rest loads), documents are parsed straight into the
//! typed model (the whole file is never turned into a `serde_json::Value`), and the big arrays
//! (`Traces`, `TraceSummaries`) are walked element by element over borrowed raw slices.
//!
//! Real files are often damaged (truncated downloads, copy-pasted docs with trailing commas or
//! typographic quotes, SDKs that send a number where a string belongs). Nothing here panics on
//! input: every problem becomes a **located [`Warning`]** (`file:line:column` plus the field path,
//! such as `Traces[0].Segments[1].Document: http.response.status: invalid type ...`) and reading
//! goes on: a bad element is skipped, a bad line is skipped, and the complete elements of a
//! truncated array are still delivered.

use std::borrow::Cow;
use std::cell::{Cell, OnceCell};
use std::fmt;
use std::io;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::error::Category;
use serde_json::value::RawValue;

use std::sync::Arc;

use super::otlp::translate;
use super::read::{DEFAULT_MAX_LINE, read_bounded};
use crate::model::graph::Service;
use crate::model::input::{Origin, Stored};
use crate::model::parse::{self, bare_message, join, lead};
use crate::model::{Event, Item, Location, Warning};
use crate::model::{Group, Segment, ServiceGraph, TraceSummary, time};

/// The input shapes [`detect`] tells apart. [`load_bytes`] reads all of them without being told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `aws xray get-trace-summaries` output: `{"TraceSummaries": [...]}`.
    TraceSummaries,
    /// `aws xray batch-get-traces` output: `{"Traces": [{"Segments": [{"Document": "..."}]}]}`.
    BatchTraces,
    /// `aws xray list-retrieved-traces` output (Transaction Search):
    /// `{"RetrievalStatus", "TraceFormat", "Traces": [{"Spans": [{"Document": "..."}]}]}`, the
    /// documents X-Ray segment documents (`--trace-format XRAY`) or OpenTelemetry spans
    /// (`OTEL`, translated by [`crate::source::otlp::translate::span_document`]).
    RetrievedTraces,
    /// `aws xray get-service-graph` output: `{"Services": [...]}`.
    ServiceGraph,
    /// `aws xray get-groups` (`{"Groups": [...]}`) or `get-group` (`{"Group": ...}`) output.
    Groups,
    /// A JSON array of segment documents.
    SegmentArray,
    /// Several top-level values: NDJSON segment documents, or a daemon capture with
    /// `{"format":"json","version":1}` header lines.
    SegmentLines,
    /// One segment document.
    SingleSegment,
    /// OpenTelemetry traces as OTLP/JSON (`{"resourceSpans": [...]}`, one export request per line
    /// as the Collector's file exporter writes them, or one pretty object): translated to
    /// segment documents by [`crate::source::otlp::translate`].
    OtlpJson,
    /// None of the above.
    Unknown,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::TraceSummaries => "get-trace-summaries output",
            Format::BatchTraces => "batch-get-traces output",
            Format::RetrievedTraces => "list-retrieved-traces output",
            Format::ServiceGraph => "get-service-graph output",
            Format::Groups => "get-groups output",
            Format::SegmentArray => "array of segment documents",
            Format::SegmentLines => "segment documents, one per line",
            Format::SingleSegment => "segment document",
            Format::OtlpJson => "OpenTelemetry JSON (OTLP)",
            Format::Unknown => "unknown format",
        })
    }
}

/// Reads one input (a path, or "-" for stdin) and calls `sink` for each Event as it goes.
/// Segment documents are kept as text ([`Item::Stored`]): the input is held once, and each
/// document is parsed when its trace is assembled. Returns Err only when the input cannot be
/// opened/read at all (the message starts with the path, or `standard input`).
pub fn load_path(path: &str, sink: &mut dyn FnMut(Event)) -> io::Result<()> {
    load_path_reporting(path, DEFAULT_MAX_LINE, sink, &mut |_| {}, &mut |_| {})
}

/// Same, leaving out lines longer than `max_line` bytes (each a located warning; see
/// [`super::read`]), and telling `read` how many bytes have been read into memory and
/// `indexed` how many have been gone through, every few megabytes (for a progress bar).
pub fn load_path_reporting(
    path: &str,
    max_line: usize,
    sink: &mut dyn FnMut(Event),
    read: &mut dyn FnMut(usize),
    indexed: &mut dyn FnMut(usize),
) -> io::Result<()> {
    let (bytes, long) = if path == "-" {
        read_bounded(&mut io::stdin().lock(), 0, max_line, read)
            .map_err(|e| io::Error::new(e.kind(), format!("standard input: {e}")))?
    } else {
        let mut file = std::fs::File::open(path)
            .map_err(|e| io::Error::new(e.kind(), format!("{path}: {e}")))?;
        let size = file.metadata().map_or(0, |m| m.len());
        read_bounded(
            &mut file,
            usize::try_from(size).unwrap_or(0),
            max_line,
            read,
        )
        .map_err(|e| io::Error::new(e.kind(), format!("{path}: {e}")))?
    };
    for l in &long {
        sink(Event::Warning(Warning {
            location: Location {
                source: path.to_owned(),
                line: Some(l.line),
                column: Some(1),
            },
            message: l.message(max_line),
        }));
    }
    load_owned_reporting(path, bytes, sink, indexed);
    Ok(())
}

/// Reads an input it takes ownership of, keeping segment documents as text ([`Item::Stored`]
/// spans of it); `source` is the name used in Locations.
pub fn load_owned(source: &str, bytes: Vec<u8>, sink: &mut dyn FnMut(Event)) {
    load_owned_reporting(source, bytes, sink, &mut |_| {});
}

/// Same, calling `read` with the bytes read so far, every few megabytes.
pub fn load_owned_reporting(
    source: &str,
    bytes: Vec<u8>,
    sink: &mut dyn FnMut(Event),
    read: &mut dyn FnMut(usize),
) {
    let (text, bad) = match String::from_utf8(bytes) {
        Ok(t) => (t, None),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let byte = e.as_bytes().get(at).copied().unwrap_or_default();
            (
                String::from_utf8_lossy(e.as_bytes()).into_owned(),
                Some((at, byte)),
            )
        }
    };
    let text = Arc::new(text);
    let mut reader = Reader::new(source, &text, sink);
    reader.store = Some(Keep {
        text: text.clone(),
        source: source.into(),
    });
    if let Some((at, byte)) = bad {
        reader.warn(at, bad_utf8(byte));
    }
    reader.progress = Some(read);
    reader.run();
}

/// Same, from bytes already in memory, every document parsed as it is read ([`Item::Document`]);
/// `source` is the name used in Locations.
pub fn load_bytes(source: &str, bytes: &[u8], sink: &mut dyn FnMut(Event)) {
    match std::str::from_utf8(bytes) {
        Ok(text) => Reader::new(source, text, sink).run(),
        Err(e) => {
            // Read on with U+FFFD in place of the bad bytes: the offsets before the first bad byte
            // are unchanged, so the warning is located exactly, and good documents still load.
            let text = String::from_utf8_lossy(bytes);
            let mut reader = Reader::new(source, &text, sink);
            let at = e.valid_up_to();
            reader.warn(at, bad_utf8(bytes.get(at).copied().unwrap_or_default()));
            reader.run();
        }
    }
}

fn bad_utf8(byte: u8) -> String {
    format!(
        "invalid UTF-8 (byte 0x{byte:02X}): the input is not UTF-8 text; bad bytes are read as U+FFFD"
    )
}

/// Which format was detected (for messages/tests).
///
/// Looks at the first top-level value: its keys for an object, its elements for an array, and
/// whether more values follow. When the first value is damaged, the first line alone and then the
/// well-known key names decide.
pub fn detect(bytes: &[u8]) -> Format {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_start_matches('\u{feff}');
    let start = skip_ws(text, 0);
    let Some(rest) = text.get(start..) else {
        return Format::Unknown;
    };
    let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<&RawValue>();
    match stream.next() {
        None => Format::Unknown,
        Some(Ok(raw)) => {
            let more = rest
                .get(stream.byte_offset()..)
                .is_some_and(|r| !r.trim().is_empty());
            match classify(raw.get()) {
                Format::SingleSegment if more => Format::SegmentLines,
                // A daemon header is always followed by a document.
                Format::SegmentLines => Format::SegmentLines,
                other => other,
            }
        }
        Some(Err(_)) => {
            let first_line = rest.lines().next().unwrap_or_default();
            if let Ok(raw) = serde_json::from_str::<&RawValue>(first_line) {
                if matches!(
                    classify(raw.get()),
                    Format::SingleSegment | Format::SegmentLines
                ) {
                    return Format::SegmentLines;
                }
            }
            let head = rest.get(..rest.len().min(64 * 1024)).unwrap_or(rest);
            if head.contains("\"resourceSpans\"") {
                Format::OtlpJson
            } else if head.contains("\"TraceSummaries\"") {
                Format::TraceSummaries
            } else if head.contains("\"Spans\"") || head.contains("\"RetrievalStatus\"") {
                Format::RetrievedTraces
            } else if head.contains("\"Traces\"") {
                Format::BatchTraces
            } else if head.contains("\"Services\"") {
                Format::ServiceGraph
            } else if head.contains("\"Groups\"") || head.contains("\"Group\"") {
                Format::Groups
            } else if rest.starts_with('[') {
                Format::SegmentArray
            } else if head.contains("\"trace_id\"") {
                Format::SingleSegment
            } else {
                Format::Unknown
            }
        }
    }
}

/// The format of one complete JSON value. A daemon header counts as [`Format::SegmentLines`].
fn classify(raw: &str) -> Format {
    match raw.as_bytes().first() {
        Some(b'{') => {
            let Ok(p) = serde_json::from_str::<Probe>(raw) else {
                return Format::Unknown;
            };
            if p.is_otlp() {
                Format::OtlpJson
            } else if p.summaries.is_some() {
                Format::TraceSummaries
            } else if p.traces.is_some() && p.is_retrieved() {
                Format::RetrievedTraces
            } else if p.traces.is_some() {
                Format::BatchTraces
            } else if p.services.is_some() {
                Format::ServiceGraph
            } else if p.groups.is_some() || p.group.is_some() {
                Format::Groups
            } else if p.is_header() {
                Format::SegmentLines
            } else if p.segment_like {
                Format::SingleSegment
            } else {
                Format::Unknown
            }
        }
        Some(b'[') => {
            let Ok(elems) = serde_json::from_str::<Vec<&RawValue>>(raw) else {
                return Format::Unknown;
            };
            match elems.first() {
                Some(e) if classify(e.get()) == Format::SingleSegment => Format::SegmentArray,
                None => Format::SegmentArray,
                _ => Format::Unknown,
            }
        }
        _ => Format::Unknown,
    }
}

/// JSON whitespace after `pos`.
fn skip_ws(text: &str, mut pos: usize) -> usize {
    let b = text.as_bytes();
    while matches!(b.get(pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        pos += 1;
    }
    pos
}

/// What kind of JSON value a raw slice holds, for messages.
fn kind_of(raw: &str) -> &'static str {
    match raw.as_bytes().first() {
        Some(b'{') => "object",
        Some(b'[') => "array",
        Some(b'"') => "string",
        Some(b't' | b'f') => "boolean",
        Some(b'n') => "null",
        _ => "number",
    }
}

const EXPECTED: &str = "expected a segment document, the JSON output of `aws xray` \
    get-trace-summaries, batch-get-traces, list-retrieved-traces, get-service-graph or \
    get-groups, or OpenTelemetry JSON \
    (`{\"resourceSpans\": [...]}`)";

/// Line starts of the text, built only when a location is first needed (clean input never pays).
struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Lines { starts }
    }
    /// 0-based index of the line holding `offset`.
    fn index(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }
}

/// Elements of a top-level array that were not objects: reported once per array.
struct Odd {
    count: usize,
    first_offset: usize,
    first_kind: &'static str,
}

/// One read of one input: the text, where warnings go, and the state of collections in progress.
struct Reader<'t, 's> {
    source: &'s str,
    text: &'t str,
    lines: OnceCell<Lines>,
    /// (line index, byte offset, column) of the last location computed.
    last_column: Cell<Option<(usize, usize, usize)>>,
    sink: &'s mut dyn FnMut(Event),
    /// Services of the graph being read.
    services: Vec<Service>,
    services_seen: bool,
    /// Groups being read.
    groups: Vec<Group>,
    groups_seen: bool,
    /// Non-object elements of the top-level array being read.
    odd: Option<Odd>,
    /// Set when documents are to be kept as text (spans of this buffer, which `text` is)
    /// rather than parsed now.
    store: Option<Keep>,
    /// Told how far reading is, every [`PROGRESS_EVERY`] bytes.
    progress: Option<&'s mut dyn FnMut(usize)>,
    /// What the `Spans` of the `list-retrieved-traces` output being read hold, as its
    /// `TraceFormat` says (`None`: not said, each document is looked at).
    otel_spans: Option<bool>,
}

/// How often (in bytes of input) a [`Reader`] reports its progress.
const PROGRESS_EVERY: usize = 8 << 20;

/// The buffer a [`Reader`] in stored mode reads, and the input's name for locations.
struct Keep {
    text: Arc<String>,
    source: Arc<str>,
}

/// What an array's elements are.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Summary,
    Trace,
    Service,
    Group,
    /// Elements of a top-level array: segment documents (or CLI pages).
    Document,
}

impl<'t, 's> Reader<'t, 's> {
    fn new(source: &'s str, text: &'t str, sink: &'s mut dyn FnMut(Event)) -> Self {
        Reader {
            source,
            text,
            lines: OnceCell::new(),
            last_column: Cell::new(None),
            sink,
            services: Vec::new(),
            services_seen: false,
            groups: Vec::new(),
            groups_seen: false,
            odd: None,
            store: None,
            progress: None,
            otel_spans: None,
        }
    }

    /// The stored-mode span of `raw` (a slice of the text).
    fn stored(&self, raw: &str, quoted: bool, trace_id: String, path: &str) -> Option<Stored> {
        let keep = self.store.as_ref()?;
        Some(Stored {
            text: keep.text.clone(),
            start: self.offset_of(raw),
            len: raw.len(),
            quoted,
            trace_id,
            origin: Origin {
                source: keep.source.clone(),
                path: path.into(),
            },
        })
    }

    fn lines(&self) -> &Lines {
        self.lines.get_or_init(|| Lines::new(self.text))
    }

    fn emit(&mut self, item: Item) {
        (self.sink)(Event::Item(item));
    }

    /// Line and column (in characters) of a byte offset.
    fn location(&self, offset: usize) -> Location {
        let mut off = offset.min(self.text.len());
        while off > 0 && !self.text.is_char_boundary(off) {
            off -= 1;
        }
        let lines = self.lines();
        let idx = lines.index(off);
        let mut start = lines.starts.get(idx).copied().unwrap_or(0).min(off);
        // Columns count characters. Many warnings on one huge line (minified JSON) would count
        // the same prefix again and again: go on from the previous warning's column instead.
        let mut column = 1;
        if let Some((last_idx, last_off, last_col)) = self.last_column.get() {
            if last_idx == idx && last_off <= off {
                (start, column) = (last_off, last_col);
            }
        }
        column += self.text.get(start..off).map_or(0, |s| s.chars().count());
        self.last_column.set(Some((idx, off, column)));
        Location {
            source: self.source.to_owned(),
            line: Some(idx + 1),
            column: Some(column),
        }
    }

    fn warn(&mut self, offset: usize, message: String) {
        let location = self.location(offset);
        (self.sink)(Event::Warning(Warning { location, message }));
    }

    /// Byte offset of a slice of the text (raw values borrowed from the text point into it).
    fn offset_of(&self, sub: &str) -> usize {
        let base = self.text.as_ptr() as usize;
        let p = sub.as_ptr() as usize;
        if p >= base && p <= base + self.text.len() {
            p - base
        } else {
            0
        }
    }

    /// Byte offset of a serde_json error raised while reading the slice that starts at `base`.
    fn error_offset(&self, base: usize, err: &serde_json::Error) -> usize {
        let (line, column) = (err.line(), err.column());
        if line == 0 {
            return base;
        }
        let line_start = if line == 1 {
            base
        } else {
            let lines = self.lines();
            lines
                .starts
                .get(lines.index(base) + line - 1)
                .copied()
                .unwrap_or(self.text.len())
        };
        (line_start + column.saturating_sub(1)).min(self.text.len())
    }

    /// A syntax error's message, with hints for the usual causes.
    fn describe_syntax(&self, err: &serde_json::Error, offset: usize) -> String {
        let mut m = format!("invalid JSON: {}", bare_message(err));
        // serde_json's raw-value scanner says "key must be a string"/"expected value" for these.
        let before = self
            .text
            .get(..offset)
            .map(str::trim_end)
            .and_then(|s| s.chars().last());
        let here = self.text.get(offset..).and_then(|s| s.chars().next());
        if before == Some(',') && matches!(here, Some('}' | ']')) {
            m = "invalid JSON: trailing comma (JSON allows no comma before } or ])".to_owned();
        }
        if err.classify() == Category::Eof {
            m.push_str(" (the input ends early: truncated?)");
        }
        let lines = self.lines();
        let idx = lines.index(offset.min(self.text.len()));
        let start = lines.starts.get(idx).copied().unwrap_or(0);
        let end = lines
            .starts
            .get(idx + 1)
            .copied()
            .unwrap_or(self.text.len());
        if let Some(line) = self.text.get(start..end) {
            if let Some(q) = line
                .chars()
                .find(|c| matches!(c, '\u{201c}' | '\u{201d}' | '\u{2018}' | '\u{2019}'))
            {
                m.push_str(&format!(
                    " (typographic quote {q} found: JSON needs straight quotes \")"
                ));
            }
        }
        m
    }

    /// Typed parse of a slice of the text; a failure is a warning at the exact place, with the
    /// field path under `path`.
    fn parse_at<T: Deserialize<'t>>(&mut self, raw: &'t str, path: &str) -> Option<T> {
        match parse::typed::<T>(raw, path) {
            Ok(v) => Some(v),
            Err(f) => {
                let base = self.offset_of(raw);
                self.warn(base + f.at, f.message);
                None
            }
        }
    }

    /// Reads every top-level value of the text.
    fn run(&mut self) {
        let text = self.text;
        let mut pos = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let mut after_header = false;
        let mut any = false;
        let mut told = 0;
        loop {
            if pos >= told + PROGRESS_EVERY {
                told = pos;
                if let Some(p) = self.progress.as_mut() {
                    p(pos);
                }
            }
            pos = skip_ws(text, pos);
            // The docs write a datagram as `header\n{...}` with a literal backslash-n (for echo -e).
            if after_header && text.get(pos..).is_some_and(|r| r.starts_with("\\n")) {
                pos = skip_ws(text, pos + 2);
            }
            after_header = false;
            let Some(rest) = text.get(pos..).filter(|r| !r.is_empty()) else {
                break;
            };
            any = true;
            if let Some((end, header)) = self.top_object(rest, pos) {
                after_header = header;
                pos = end;
                continue;
            }
            let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<&RawValue>();
            match stream.next() {
                None => break,
                Some(Ok(raw)) => {
                    let end = pos + stream.byte_offset();
                    after_header = self.value(raw.get(), "");
                    if end <= pos {
                        break;
                    }
                    pos = end;
                }
                Some(Err(err)) => {
                    let offset = self.error_offset(pos, &err);
                    let msg = self.describe_syntax(&err, offset);
                    let swallowed = self.resume_after(pos).is_some_and(|next| offset >= next);
                    if !swallowed {
                        self.warn(offset, msg);
                    } else {
                        let found = self.location(offset);
                        // A value cut short runs into the lines after it: name the line where
                        // the damaged value starts, and where the parser gave up.
                        let at = match (found.line, found.column) {
                            (Some(l), Some(c)) => format!(" (detected at line {l}, column {c})"),
                            (Some(l), None) => format!(" (detected at line {l})"),
                            _ => String::new(),
                        };
                        self.warn(pos, format!("damaged value starting here: {msg}{at}"));
                    }
                    self.salvage(rest);
                    match self.resume_after(pos) {
                        Some(next) => pos = next,
                        None => break,
                    }
                }
            }
        }
        if !any {
            self.warn(0, format!("the input is empty: {EXPECTED}"));
        }
    }

    /// The common case, a top-level object (a segment document, a CLI page): one pass finds
    /// its end and its shape, and it is read from there. A value that does not parse returns
    /// `None`, and the general path reads it again and words what is wrong. Returns where it
    /// ends and whether it was a daemon header.
    fn top_object(&mut self, rest: &'t str, pos: usize) -> Option<(usize, bool)> {
        if !rest.starts_with('{') {
            return None;
        }
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Probe<'t>>();
        let p = stream.next()?.ok()?;
        let raw = rest.get(..stream.byte_offset()).filter(|r| !r.is_empty())?;
        let header = self.probed(p, raw, "");
        Some((pos + raw.len(), header))
    }

    /// Where to go on after a damaged value that started at `pos`: the next line that starts
    /// (in column 1) like a new top-level value. Always after `pos`, so reading makes progress.
    fn resume_after(&self, pos: usize) -> Option<usize> {
        let lines = self.lines();
        let bytes = self.text.as_bytes();
        lines.starts[lines.index(pos) + 1..]
            .iter()
            .copied()
            .find(|&s| matches!(bytes.get(s), Some(b'{' | b'[')))
    }

    /// The complete elements of a damaged value's arrays (a truncated download still gives its
    /// first traces). The syntax error itself was already reported.
    fn salvage(&mut self, rest: &'t str) {
        let mut de = serde_json::Deserializer::from_str(rest);
        let _ = Salvage { reader: self }.deserialize(&mut de);
        // Only what was actually recovered: an empty graph would say "no services".
        let keep_graph = !self.services.is_empty();
        self.flush_graph(GraphHead::default(), keep_graph);
        let keep_groups = !self.groups.is_empty();
        self.flush_groups(keep_groups);
        self.flush_odd("", 0, usize::MAX);
    }

    /// One complete JSON value. Returns true for a daemon header.
    fn value(&mut self, raw: &'t str, path: &str) -> bool {
        match raw.as_bytes().first() {
            Some(b'{') => self.object(raw, path),
            Some(b'[') => {
                let n = self.elements(raw, path, Kind::Document);
                self.flush_odd(path, self.offset_of(raw), n);
                false
            }
            _ => {
                let offset = self.offset_of(raw);
                self.warn(
                    offset,
                    format!(
                        "{}unknown format: {EXPECTED} (found a {})",
                        lead(path),
                        kind_of(raw)
                    ),
                );
                false
            }
        }
    }

    /// One complete JSON object: a CLI page, a daemon header, or a segment document.
    fn object(&mut self, raw: &'t str, path: &str) -> bool {
        match self.parse_at::<Probe<'t>>(raw, path) {
            Some(p) => self.probed(p, raw, path),
            None => false,
        }
    }

    /// [`Reader::object`] once its shape is known.
    fn probed(&mut self, p: Probe<'t>, raw: &'t str, path: &str) -> bool {
        let offset = self.offset_of(raw);
        if p.is_otlp() {
            self.otlp(raw, path, offset);
            false
        } else if p.is_cli() {
            if let Some(v) = p.summaries {
                self.elements(v.get(), &join(path, "TraceSummaries"), Kind::Summary);
            }
            if let Some(v) = p.traces {
                self.otel_spans = p
                    .trace_format
                    .and_then(|f| serde_json::from_str::<String>(f.get()).ok())
                    .map(|f| f.eq_ignore_ascii_case("OTEL"));
                let n = self.elements(v.get(), &join(path, "Traces"), Kind::Trace);
                self.otel_spans = None;
                let status = p
                    .retrieval_status
                    .and_then(|f| serde_json::from_str::<String>(f.get()).ok());
                if let Some(status) = status.filter(|s| n == 0 && s != "COMPLETE") {
                    self.warn(
                        offset,
                        format!(
                            "{}RetrievalStatus is {status}: list-retrieved-traces lists the \
                             traces once it is COMPLETE",
                            lead(path)
                        ),
                    );
                }
            }
            if let Some(v) = p.unprocessed {
                self.unprocessed(v.get(), &join(path, "UnprocessedTraceIds"));
            }
            if let Some(v) = p.services {
                self.services_seen = true;
                let n = self.elements(v.get(), &join(path, "Services"), Kind::Service);
                let head = self.parse_at::<GraphHead>(raw, path).unwrap_or_default();
                // An empty `Services` list is a real (empty) graph; a list of bad ones is not.
                let keep = n == 0 || !self.services.is_empty();
                self.flush_graph(head, keep);
            }
            if let Some(v) = p.groups {
                self.groups_seen = true;
                let n = self.elements(v.get(), &join(path, "Groups"), Kind::Group);
                let keep = n == 0 || !self.groups.is_empty();
                self.flush_groups(keep);
            }
            if let Some(v) = p.group {
                self.groups_seen = true;
                self.group(v.get(), &join(path, "Group"));
                let keep = !self.groups.is_empty();
                self.flush_groups(keep);
            }
            false
        } else if p.is_header() {
            self.header(&p, offset);
            true
        } else if p.segment_like {
            let trace_id = p
                .trace_id
                .and_then(|v| serde_json::from_str::<String>(v.get()).ok());
            self.document(raw, path, trace_id);
            false
        } else {
            let found = if p.keys.is_empty() {
                "an empty object".to_owned()
            } else {
                let mut keys = p
                    .keys
                    .iter()
                    .map(|k| format!("\"{k}\""))
                    .collect::<Vec<_>>()
                    .join(", ");
                if p.key_count > p.keys.len() {
                    keys.push_str(", ...");
                }
                format!("an object with keys {keys}")
            };
            self.warn(
                offset,
                format!("{}unknown format: {EXPECTED} (found {found})", lead(path)),
            );
            false
        }
    }

    /// Walks an array element by element (without collecting it); returns how many there were.
    fn elements(&mut self, raw: &'t str, path: &str, kind: Kind) -> usize {
        let mut count = 0;
        if kind == Kind::Trace {
            // Traces read in one pass down to their documents while they are well formed;
            // from the first that is not, element by element, so what is wrong is located.
            let mut de = serde_json::Deserializer::from_str(raw);
            let fast = Elements {
                reader: self,
                kind,
                path,
                skip: 0,
                whole: true,
                count: &mut count,
            }
            .deserialize(&mut de);
            if fast.is_ok() {
                return count;
            }
        }
        let base = self.offset_of(raw);
        let mut de = serde_json::Deserializer::from_str(raw);
        let result = Elements {
            reader: self,
            kind,
            path,
            skip: count,
            whole: false,
            count: &mut count,
        }
        .deserialize(&mut de);
        if let Err(err) = result {
            let offset = self.error_offset(base, &err);
            self.warn(offset, format!("{}{}", lead(path), bare_message(&err)));
        }
        count
    }

    /// One array element.
    fn element(&mut self, kind: Kind, raw: &'t RawValue, path: &str, i: usize) {
        let raw = raw.get();
        let p = format!("{path}[{i}]");
        match kind {
            Kind::Summary => {
                if let Some(s) = self.parse_at::<TraceSummary>(raw, &p) {
                    self.emit(Item::Summary(s));
                }
            }
            Kind::Trace => self.trace(raw, &p),
            Kind::Service => {
                if let Some(s) = self.parse_at::<Service>(raw, &p) {
                    self.services.push(s);
                }
            }
            Kind::Group => {
                if let Some(g) = self.parse_at::<Group>(raw, &p) {
                    self.groups.push(g);
                }
            }
            Kind::Document => {
                if raw.starts_with('{') {
                    self.object(raw, &p);
                } else {
                    let offset = self.offset_of(raw);
                    let odd = self.odd.get_or_insert(Odd {
                        count: 0,
                        first_offset: offset,
                        first_kind: kind_of(raw),
                    });
                    odd.count += 1;
                }
            }
        }
    }

    /// Reports the non-object elements of an array of `total` elements starting at `offset`.
    fn flush_odd(&mut self, path: &str, offset: usize, total: usize) {
        let Some(odd) = self.odd.take() else {
            return;
        };
        if odd.count == total {
            self.warn(
                offset,
                format!(
                    "{}unknown format: {EXPECTED} (found an array of {} {}s: the output of a --query?)",
                    lead(path),
                    odd.count,
                    odd.first_kind
                ),
            );
        } else {
            self.warn(
                odd.first_offset,
                format!(
                    "{}expected a segment document object in the array, found a {} ({} element(s) skipped)",
                    lead(path),
                    odd.first_kind,
                    odd.count
                ),
            );
        }
    }

    /// Emits the graph read so far (if `keep`) and resets the collection.
    fn flush_graph(&mut self, head: GraphHead, keep: bool) {
        let seen = std::mem::take(&mut self.services_seen);
        if !seen || !keep {
            self.services.clear();
            return;
        }
        let graph = ServiceGraph {
            start_time: head.start_time,
            end_time: head.end_time,
            services: std::mem::take(&mut self.services),
            contains_old_group_versions: head.contains_old_group_versions,
            next_token: head.next_token,
        };
        self.emit(Item::ServiceGraph(graph));
    }

    /// Emits the groups read so far (if `keep`) and resets the collection.
    fn flush_groups(&mut self, keep: bool) {
        let seen = std::mem::take(&mut self.groups_seen);
        let groups = std::mem::take(&mut self.groups);
        if seen && keep {
            self.emit(Item::Groups(groups));
        }
    }

    /// `get-group` output: `"Group"` is an object, or a list in the published CLI example.
    fn group(&mut self, raw: &'t str, path: &str) {
        if raw.starts_with('[') {
            self.elements(raw, path, Kind::Group);
        } else if let Some(g) = self.parse_at::<Group>(raw, path) {
            self.groups.push(g);
        }
    }

    /// `UnprocessedTraceIds`: traces the service did not return are worth a word.
    fn unprocessed(&mut self, raw: &'t str, path: &str) {
        let Some(ids) = self.parse_at::<Vec<String>>(raw, path) else {
            return;
        };
        if !ids.is_empty() {
            let offset = self.offset_of(raw);
            self.warn(
                offset,
                format!(
                    "{path}: the service did not return {} trace(s): {}",
                    ids.len(),
                    ids.join(", ")
                ),
            );
        }
    }

    /// A daemon header: skipped, but an unknown format or version is worth a warning.
    fn header(&mut self, p: &Probe<'t>, offset: usize) {
        let format = p
            .format
            .and_then(|f| serde_json::from_str::<String>(f.get()).ok());
        let version = p
            .version
            .and_then(|v| serde_json::from_str::<f64>(v.get()).ok());
        if format.as_deref() != Some("json") || version != Some(1.0) {
            let f = p.format.map_or("none", |f| f.get());
            let v = p.version.map_or("none", |v| v.get());
            self.warn(
                offset,
                format!(
                    "daemon header with format {f} and version {v}: only {{\"format\":\"json\",\"version\":1}} is known; reading on"
                ),
            );
        }
    }

    /// An OTLP/JSON export request: its spans translated to segment documents. A request that
    /// does not parse, and each span that cannot be a document, is a located warning.
    fn otlp(&mut self, raw: &'t str, path: &str, offset: usize) {
        let request = match translate::parse_str(raw) {
            Ok(r) => r,
            Err(f) => {
                self.warn(
                    offset + f.at,
                    format!(
                        "{}OpenTelemetry JSON (OTLP): {}; request skipped",
                        lead(path),
                        f.message
                    ),
                );
                return;
            }
        };
        let t = translate::translate_segments(&request);
        for r in t.rejected {
            self.warn(
                offset,
                format!("{}{}: {}; span skipped", lead(path), r.span, r.reason),
            );
        }
        for seg in t.segments {
            self.emit(Item::Document(seg));
        }
    }

    /// A segment document on its own: it must say which trace it belongs to.
    fn document(&mut self, raw: &'t str, path: &str, trace_id: Option<String>) {
        // Stored mode: a document that names its trace is kept as text, parsed at assembly.
        if let Some(id) = trace_id.filter(|t| !t.is_empty()) {
            if let Some(doc) = self.stored(raw, false, id, path) {
                self.emit(Item::Stored(doc));
                return;
            }
        }
        let Some(seg) = self.parse_at::<Segment>(raw, path) else {
            return;
        };
        if seg.trace_id.as_deref().is_none_or(str::is_empty) {
            let offset = self.offset_of(raw);
            self.warn(
                offset,
                format!(
                    "{}missing field `trace_id`: segment document {:?} ({}) does not say which trace it belongs to; skipped",
                    lead(path),
                    seg.id,
                    seg.name
                ),
            );
        } else {
            self.emit(Item::Document(seg));
        }
    }

    /// One trace of a `batch-get-traces` response. Bad documents are skipped one by one. In
    /// stored mode (with the trace's `Id`), each document is kept as text under the trace's ID
    /// as it is met, and the trace itself still follows (its flag, and its place when no
    /// document is usable).
    fn trace(&mut self, raw: &'t str, path: &str) {
        if let Some(t) = self.parse_at::<RawTrace<'t>>(raw, path) {
            self.trace_read(t, raw, path);
        }
    }

    /// [`Reader::trace`] once its parts are read (`raw`, the trace's text, locates a missing
    /// `Id`).
    fn trace_read(&mut self, t: RawTrace<'t>, raw: &'t str, path: &str) {
        let id = t.id.filter(|i| !i.is_empty());
        let keep = if self.store.is_some() {
            id.clone()
        } else {
            None
        };
        let mut documents = Vec::with_capacity(t.segments.len() + t.documents.len());
        let mut kept = 0;
        let mut otel = Vec::new();
        let read = t
            .documents
            .iter()
            .enumerate()
            .map(|(j, d)| (j, Part::Document(d), "Segments"));
        let segments = t
            .segments
            .iter()
            .enumerate()
            .map(|(j, s)| (j, Part::Segment(s), "Segments"));
        let spans = t
            .spans
            .iter()
            .enumerate()
            .map(|(j, s)| (j, Part::Segment(s), "Spans"));
        for (j, part, list) in read.chain(segments).chain(spans) {
            let sp = format!("{path}.{list}[{j}]");
            let doc = match part {
                Part::Document(d) => *d,
                Part::Segment(s) => {
                    let Some(bs) = self.parse_at::<RawBatchSegment<'t>>(s.get(), &sp) else {
                        continue;
                    };
                    let Some(doc) = bs.document else {
                        let offset = self.offset_of(s.get());
                        self.warn(offset, format!("{sp}: missing field `Document`"));
                        continue;
                    };
                    doc
                }
            };
            let (doc, dp) = (doc.get(), format!("{sp}.Document"));
            let quoted = match doc.as_bytes().first() {
                Some(b'"') => Some(true),
                Some(b'{') => Some(false),
                _ => None,
            };
            if list == "Spans" && self.otel_spans.unwrap_or_else(|| looks_like_otel_span(doc)) {
                self.otel_span(doc, &dp, &mut otel);
            } else if let (Some(trace_id), Some(quoted)) = (&keep, quoted) {
                if let Some(d) = self.stored(doc, quoted, trace_id.clone(), &dp) {
                    self.emit(Item::Stored(d));
                    kept += 1;
                }
            } else if let Some(seg) = self.batch_document(doc, &dp) {
                documents.push(seg);
            }
        }
        // OpenTelemetry spans name their traces themselves (W3C IDs X-Ray would not accept are
        // kept as they are), so they are filed by their own IDs.
        let only_otel = !otel.is_empty() && documents.is_empty() && kept == 0;
        for seg in otel {
            self.emit(Item::Document(seg));
        }
        if only_otel {
            return;
        }
        let id = id.or_else(|| documents.iter().find_map(|d| d.trace_id.clone()));
        let Some(id) = id else {
            let offset = self.offset_of(raw);
            self.warn(
                offset,
                format!(
                    "{path}: missing field `Id` (and no document has a trace_id); trace skipped"
                ),
            );
            return;
        };
        self.emit(Item::Trace {
            id,
            documents,
            limit_exceeded: t.limit_exceeded.unwrap_or(false),
        });
    }

    /// One OpenTelemetry span of `list-retrieved-traces --trace-format OTEL` (a JSON string
    /// holding the span, or the span itself), translated into `out`; what cannot be read or
    /// translated is a located warning.
    fn otel_span(&mut self, raw: &'t str, path: &str, out: &mut Vec<Segment>) {
        let offset = self.offset_of(raw);
        let text: Cow<'_, str> = if raw.starts_with('"') {
            match serde_json::from_str::<String>(raw) {
                Ok(t) => Cow::Owned(t),
                Err(e) => {
                    self.warn(offset, format!("{path}: {}", bare_message(&e)));
                    return;
                }
            }
        } else {
            Cow::Borrowed(raw)
        };
        let request = match translate::span_document(&text) {
            Ok(r) => r,
            Err(e) => {
                self.warn(
                    offset,
                    format!("{path}: OpenTelemetry span: {e}; span skipped"),
                );
                return;
            }
        };
        let t = translate::translate_segments(&request);
        for r in t.rejected {
            let why = r.reason;
            self.warn(
                offset,
                format!("{path}: OpenTelemetry span: {why}; span skipped"),
            );
        }
        out.extend(t.segments);
    }

    /// A batch segment's `Document`: a JSON string holding the document (or, leniently, the
    /// document object itself). Errors are located at the `Document` value in the file.
    fn batch_document(&mut self, raw: &'t str, path: &str) -> Option<Segment> {
        let offset = self.offset_of(raw);
        match raw.as_bytes().first() {
            Some(b'"') => match parse::quoted_document(raw, path) {
                Ok(seg) => Some(seg),
                Err(f) => {
                    self.warn(offset + f.at, f.message);
                    None
                }
            },
            Some(b'{') => self.parse_at::<Segment>(raw, path),
            _ => {
                self.warn(
                    offset,
                    format!(
                        "{path}: invalid type: {}, expected the segment document as a JSON string",
                        kind_of(raw)
                    ),
                );
                None
            }
        }
    }
}

/// Walks an array, handing each element (as a raw slice of the text) to [`Reader::element`].
/// With `whole` (an array of `batch-get-traces` traces), reads each trace in one pass down to
/// its segments' documents ([`RawTraceDocs`]) as long as each is well formed (an `Id`, and a
/// `Document` in every segment), and stops with an error before the first that is not (or
/// does not read), having counted those it handed on.
struct Elements<'r, 't, 's, 'p> {
    reader: &'r mut Reader<'t, 's>,
    kind: Kind,
    path: &'p str,
    /// The first `skip` elements were read already.
    skip: usize,
    whole: bool,
    count: &'p mut usize,
}

impl<'t> DeserializeSeed<'t> for Elements<'_, 't, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'t>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'t> Visitor<'t> for Elements<'_, 't, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'t>>(self, mut seq: A) -> Result<(), A::Error> {
        for _ in 0..self.skip {
            if seq.next_element::<de::IgnoredAny>()?.is_none() {
                return Ok(());
            }
        }
        if self.whole {
            while let Some(t) = seq.next_element::<RawTraceDocs<'t>>()? {
                let ok = t.id.as_deref().is_some_and(|i| !i.is_empty())
                    && t.segments.iter().all(|s| s.document.is_some());
                if !ok {
                    return Err(de::Error::custom("not well formed"));
                }
                let path = format!("{}[{}]", self.path, *self.count);
                let documents = t.segments.into_iter().filter_map(|s| s.document).collect();
                let t = RawTrace {
                    id: t.id,
                    limit_exceeded: t.limit_exceeded,
                    segments: Vec::new(),
                    spans: t.spans,
                    documents,
                };
                self.reader.trace_read(t, "", &path);
                *self.count += 1;
            }
            return Ok(());
        }
        while let Some(raw) = seq.next_element::<&'t RawValue>()? {
            self.reader.element(self.kind, raw, self.path, *self.count);
            *self.count += 1;
        }
        Ok(())
    }
}

/// Reads a damaged top-level value as far as it goes, delivering the complete elements of its
/// arrays. Stops at the first syntax error.
struct Salvage<'r, 't, 's> {
    reader: &'r mut Reader<'t, 's>,
}

impl<'t> DeserializeSeed<'t> for Salvage<'_, 't, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'t>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'t> Visitor<'t> for Salvage<'_, 't, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_seq<A: SeqAccess<'t>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        while let Some(raw) = seq.next_element::<&'t RawValue>()? {
            self.reader.element(Kind::Document, raw, "", i);
            i += 1;
        }
        Ok(())
    }
    fn visit_map<A: MapAccess<'t>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Key(key)) = map.next_key::<Key<'t>>()? {
            let (kind, path) = match key.as_ref() {
                "TraceSummaries" => (Kind::Summary, "TraceSummaries"),
                "Traces" => (Kind::Trace, "Traces"),
                "Services" => {
                    self.reader.services_seen = true;
                    (Kind::Service, "Services")
                }
                "Groups" => {
                    self.reader.groups_seen = true;
                    (Kind::Group, "Groups")
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            let mut count = 0;
            map.next_value_seed(Elements {
                reader: &mut *self.reader,
                kind,
                path,
                skip: 0,
                whole: false,
                count: &mut count,
            })?;
        }
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// An object key, borrowed from the text when it has no escapes.
struct Key<'t>(Cow<'t, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// The shape of an object: which well-known keys it has. Values are kept as raw slices.
#[derive(Default)]
struct Probe<'t> {
    summaries: Option<&'t RawValue>,
    traces: Option<&'t RawValue>,
    unprocessed: Option<&'t RawValue>,
    services: Option<&'t RawValue>,
    groups: Option<&'t RawValue>,
    group: Option<&'t RawValue>,
    format: Option<&'t RawValue>,
    version: Option<&'t RawValue>,
    /// `resourceSpans`: an OTLP/JSON export request.
    resource_spans: Option<&'t RawValue>,
    /// `TraceFormat` of `list-retrieved-traces` output (`XRAY` or `OTEL`).
    trace_format: Option<&'t RawValue>,
    /// `RetrievalStatus` of `list-retrieved-traces` output.
    retrieval_status: Option<&'t RawValue>,
    /// The `trace_id` member, when there is one.
    trace_id: Option<&'t RawValue>,
    /// Has a key only segment documents have (`id`, `name`, `start_time`, `trace_id`...).
    segment_like: bool,
    /// The first few keys, for messages.
    keys: Vec<Cow<'t, str>>,
    key_count: usize,
}

impl Probe<'_> {
    fn is_otlp(&self) -> bool {
        self.resource_spans.is_some() && !self.segment_like
    }
    fn is_cli(&self) -> bool {
        self.summaries.is_some()
            || self.traces.is_some()
            || self.services.is_some()
            || self.groups.is_some()
            || self.group.is_some()
    }
    fn is_retrieved(&self) -> bool {
        self.trace_format.is_some() || self.retrieval_status.is_some()
    }
    fn is_header(&self) -> bool {
        self.format.is_some() && self.version.is_some() && !self.segment_like
    }
}

impl<'de> Deserialize<'de> for Probe<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Probe<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Probe<'de>, A::Error> {
                let mut p = Probe::default();
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    let value = map.next_value::<&'de RawValue>()?;
                    let slot = match key.as_ref() {
                        "TraceSummaries" => &mut p.summaries,
                        "Traces" => &mut p.traces,
                        "UnprocessedTraceIds" => &mut p.unprocessed,
                        "Services" => &mut p.services,
                        "Groups" => &mut p.groups,
                        "Group" => &mut p.group,
                        "format" => &mut p.format,
                        "version" => &mut p.version,
                        "resourceSpans" => &mut p.resource_spans,
                        "TraceFormat" => &mut p.trace_format,
                        "RetrievalStatus" => &mut p.retrieval_status,
                        k => {
                            if k == "trace_id" {
                                p.trace_id = Some(value);
                            }
                            if matches!(
                                k,
                                "id" | "name"
                                    | "start_time"
                                    | "end_time"
                                    | "trace_id"
                                    | "parent_id"
                                    | "in_progress"
                            ) {
                                p.segment_like = true;
                            }
                            p.key_count += 1;
                            if p.keys.len() < 6 {
                                p.keys.push(key);
                            }
                            continue;
                        }
                    };
                    *slot = Some(value);
                    p.key_count += 1;
                }
                Ok(p)
            }
        }
        d.deserialize_map(V)
    }
}

/// The fields of a `get-service-graph` response other than `Services`.
#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GraphHead {
    #[serde(default, deserialize_with = "time::opt_epoch::deserialize")]
    start_time: Option<f64>,
    #[serde(default, deserialize_with = "time::opt_epoch::deserialize")]
    end_time: Option<f64>,
    #[serde(default)]
    contains_old_group_versions: Option<bool>,
    #[serde(default)]
    next_token: Option<String>,
}

/// A trace of a `batch-get-traces` response, its segments still raw.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawTrace<'t> {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    limit_exceeded: Option<bool>,
    #[serde(default, borrow)]
    segments: Vec<&'t RawValue>,
    /// `list-retrieved-traces`: the trace's spans (segment documents or OpenTelemetry spans).
    #[serde(default, borrow)]
    spans: Vec<&'t RawValue>,
    /// The segments' documents when [`RawTraceDocs`] read them already (then `segments` is
    /// empty).
    #[serde(skip)]
    documents: Vec<&'t RawValue>,
}

/// The same read in one pass down to each segment's `Document` (skipping a document's text
/// once, not once per level: the documents are most of a `batch-get-traces` output).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawTraceDocs<'t> {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    limit_exceeded: Option<bool>,
    #[serde(default, borrow)]
    segments: Vec<RawBatchSegment<'t>>,
    #[serde(default, borrow)]
    spans: Vec<&'t RawValue>,
}

/// A part of a trace: a segment's document already read, or a segment still to read.
enum Part<'a, 't> {
    Document(&'a &'t RawValue),
    Segment(&'a &'t RawValue),
}

/// Whether a `list-retrieved-traces` span's `Document` (raw: a JSON string or an object) is an
/// OpenTelemetry span rather than a segment document, when the output does not say
/// (`TraceFormat` cut away by a `--query`): spans have `spanId`, documents `start_time`.
fn looks_like_otel_span(raw: &str) -> bool {
    raw.contains("spanId") && !raw.contains("start_time")
}

/// A segment of a `batch-get-traces` response, its document still raw.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawBatchSegment<'t> {
    #[serde(default, borrow)]
    document: Option<&'t RawValue>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The warnings among `events`.
    fn warnings_of(events: &[Event]) -> Vec<&Warning> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::Warning(w) => Some(w),
                _ => None,
            })
            .collect()
    }

    fn load(text: &str) -> Vec<Event> {
        let mut out = Vec::new();
        load_bytes("t.json", text.as_bytes(), &mut |e| out.push(e));
        out
    }

    #[test]
    fn detects_each_shape() {
        assert_eq!(detect(br#"{"TraceSummaries":[]}"#), Format::TraceSummaries);
        assert_eq!(
            detect(br#"{"ApproximateTime":1,"TraceSummaries":[]}"#),
            Format::TraceSummaries
        );
        assert_eq!(
            detect(br#"{"Traces":[],"UnprocessedTraceIds":[]}"#),
            Format::BatchTraces
        );
        assert_eq!(detect(br#"{"Services":[]}"#), Format::ServiceGraph);
        assert_eq!(detect(br#"{"Groups":[]}"#), Format::Groups);
        assert_eq!(detect(br#"{"Group":{"GroupName":"a"}}"#), Format::Groups);
        let doc = r#"{"id":"a","name":"n","start_time":1,"trace_id":"1-a-b"}"#;
        assert_eq!(detect(doc.as_bytes()), Format::SingleSegment);
        assert_eq!(
            detect(format!("[{doc},{doc}]").as_bytes()),
            Format::SegmentArray
        );
        assert_eq!(
            detect(format!("{doc}\n{doc}\n").as_bytes()),
            Format::SegmentLines
        );
        assert_eq!(
            detect(format!("{{\"format\":\"json\",\"version\":1}}\n{doc}\n").as_bytes()),
            Format::SegmentLines
        );
        assert_eq!(
            detect(format!("{doc}\n{{\"id\": \n").as_bytes()),
            Format::SegmentLines
        );
        assert_eq!(detect(br#"{"Traces":[{"Id":"x""#), Format::BatchTraces);
        assert_eq!(detect(br#"{"resourceSpans":[]}"#), Format::OtlpJson);
        assert_eq!(
            detect(b"{\"resourceSpans\":[]}\n{\"resourceSpans\":[]}\n"),
            Format::OtlpJson
        );
        assert_eq!(detect(br#"{"resourceSpans":[{"#), Format::OtlpJson);
        assert_eq!(detect(br#"["a","b"]"#), Format::Unknown);
        assert_eq!(detect(br#"{"SamplingRuleRecords":[]}"#), Format::Unknown);
        assert_eq!(detect(b""), Format::Unknown);
        assert_eq!(detect(b"\xff\xfe"), Format::Unknown);
    }

    #[test]
    fn paths_join() {
        assert_eq!(
            join("Traces[0]", "Segments[1].Id"),
            "Traces[0].Segments[1].Id"
        );
        assert_eq!(join("", "[3].x"), "[3].x");
        assert_eq!(join("[2]", "[3].x"), "[2][3].x");
        assert_eq!(join("a", "."), "a");
    }

    #[test]
    fn literal_backslash_n_after_header() {
        let ev = load(
            r#"{"format": "json", "version": 1}\n{"trace_id": "1-a-b", "id": "x", "start_time": 1, "name": "n"}"#,
        );
        assert!(
            matches!(ev.as_slice(), [Event::Item(Item::Document(d))] if d.id == "x"),
            "{ev:?}"
        );
    }

    #[test]
    fn error_column_is_exact() {
        let ev = load("{\"Traces\": [{\"Id\": \"t\", \"Segments\": 5}]}");
        let [Event::Warning(w)] = ev.as_slice() else {
            panic!("{ev:?}")
        };
        assert_eq!(w.location.line, Some(1));
        assert!(
            w.message
                .starts_with("Traces[0].Segments: invalid type: integer `5`"),
            "{w}"
        );
    }

    /// A trace whose segments are all well formed is read in one pass; one that has a bad
    /// segment is read part by part: the good documents are kept, each bad segment is a
    /// located warning.
    #[test]
    fn bad_segments_of_a_batch_trace_are_located_and_the_rest_kept() {
        let doc = r#"{\"id\":\"a\",\"name\":\"svc\",\"trace_id\":\"1-t\",\"start_time\":1,\"end_time\":2}"#;
        let good = format!(r#"{{"Id": "a", "Document": "{doc}"}}"#);
        let all_good = format!(r#"{{"Traces": [{{"Id": "1-t", "Segments": [{good}]}}]}}"#);
        let ev = load(&all_good);
        assert!(
            matches!(ev.as_slice(), [Event::Item(Item::Trace { id, documents, .. })] if id == "1-t" && documents.len() == 1),
            "{ev:?}"
        );
        let mixed = format!(
            "{{\"Traces\": [{{\"Id\": \"1-t\", \"Segments\": [\n{good},\n{{\"Id\": \"b\"}},\n7]}}]}}"
        );
        let ev = load(&mixed);
        let warnings = warnings_of(&ev);
        assert_eq!(warnings.len(), 2, "{ev:?}");
        assert_eq!(warnings[0].location.line, Some(3));
        assert!(
            warnings[0]
                .message
                .starts_with("Traces[0].Segments[1]: missing field `Document`"),
            "{}",
            warnings[0]
        );
        assert_eq!(warnings[1].location.line, Some(4));
        assert!(
            warnings[1].message.starts_with("Traces[0].Segments[2]"),
            "{}",
            warnings[1]
        );
        assert!(
            ev.iter().any(
                |e| matches!(e, Event::Item(Item::Trace { documents, .. }) if documents.len() == 1)
            ),
            "{ev:?}"
        );
    }

    #[test]
    fn traces_after_a_badly_formed_one_are_read_once_and_it_is_located() {
        let doc = |t: &str| {
            format!(
                r#"{{\"id\":\"s{t}\",\"name\":\"svc\",\"trace_id\":\"{t}\",\"start_time\":1,\"end_time\":2}}"#
            )
        };
        let trace = |t: &str| {
            format!(
                r#"{{"Id": "{t}", "Segments": [{{"Id": "s", "Document": "{}"}}]}}"#,
                doc(t)
            )
        };
        // Well formed, then one with a segment lacking its document, then well formed again.
        let text = format!(
            "{{\"Traces\": [\n{},\n{},\n{{\"Id\": \"1-b\", \"Segments\": [{{\"Id\": \"x\"}}]}},\n{}\n]}}",
            trace("1-a"),
            trace("1-c"),
            trace("1-d")
        );
        for stored in [false, true] {
            let mut ev = Vec::new();
            if stored {
                load_owned("t.json", text.clone().into_bytes(), &mut |e| ev.push(e));
            } else {
                load_bytes("t.json", text.as_bytes(), &mut |e| ev.push(e));
            }
            let mut ids: Vec<String> = ev
                .iter()
                .filter_map(|e| match e {
                    Event::Item(Item::Trace { id, .. }) => Some(id.clone()),
                    Event::Item(Item::Stored(d)) => Some(d.trace_id.clone()),
                    _ => None,
                })
                .filter(|id| id != "1-b")
                .collect();
            ids.dedup();
            assert_eq!(ids, ["1-a", "1-c", "1-d"], "stored: {stored}: {ev:?}");
            let warnings = warnings_of(&ev);
            assert_eq!(warnings.len(), 1, "stored: {stored}: {ev:?}");
            assert_eq!(warnings[0].location.line, Some(4));
            assert!(
                warnings[0]
                    .message
                    .starts_with("Traces[2].Segments[0]: missing field `Document`"),
                "{}",
                warnings[0]
            );
        }
    }

    #[test]
    fn empty_input_warns() {
        let ev = load("  \n");
        assert!(matches!(ev.as_slice(), [Event::Warning(w)] if w.message.contains("empty")));
    }
}
