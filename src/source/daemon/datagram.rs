//! One UDP datagram as the X-Ray SDKs send it: a JSON header line
//! `{"format":"json","version":1}`, a newline, then one segment or subsegment document.
//!
//! Anything can arrive on a UDP port, so every kind of damage is a typed [`DatagramError`]
//! with a stable [`DatagramError::reason`] for counters; nothing here panics on input.

use serde::Deserialize;
use serde_json::error::Category;

use crate::model::{Segment, depth};

/// The largest datagram the X-Ray daemon accepts (64 KiB); bigger ones are rejected as
/// [`DatagramError::Oversize`].
pub const MAX_DATAGRAM: usize = 64 * 1024;

/// Why a datagram was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatagramError {
    /// Nothing was received.
    #[error("empty datagram")]
    Empty,
    /// Longer than [`MAX_DATAGRAM`].
    #[error("oversize datagram: {0} bytes (the limit is 65536)")]
    Oversize(usize),
    /// The bytes are not UTF-8 text.
    #[error("not UTF-8 at byte {0}")]
    NotUtf8(usize),
    /// The header is missing, not JSON, or not `{"format":"json","version":1}`.
    #[error("bad header: {0}")]
    BadHeader(String),
    /// A header but no document after it.
    #[error("header without a document")]
    MissingDocument,
    /// The document ends early (a datagram cut short).
    #[error("truncated document: {0}")]
    Truncated(String),
    /// The document is not valid JSON.
    #[error("bad JSON at line {line} column {col}: {msg}")]
    BadJson {
        /// 1-based line within the document.
        line: usize,
        /// 1-based column.
        col: usize,
        /// What the JSON parser said.
        msg: String,
    },
    /// Valid JSON, but not a segment document (a missing `id`, a wrong type...).
    #[error("not a segment document: {0}")]
    BadDocument(String),
    /// A segment document that does not say which trace it belongs to.
    #[error("segment {0:?} has no trace_id")]
    MissingTraceId(String),
}

impl DatagramError {
    /// Every reason, in the order counters are shown.
    pub const REASONS: [&'static str; 9] = crate::source::REJECT_REASONS;

    /// A short stable name for counters (one of [`DatagramError::REASONS`]).
    pub fn reason(&self) -> &'static str {
        Self::REASONS[self.reason_index()]
    }

    /// The index of [`DatagramError::reason`] in [`DatagramError::REASONS`].
    pub fn reason_index(&self) -> usize {
        match self {
            Self::Empty => 0,
            Self::Oversize(_) => 1,
            Self::NotUtf8(_) => 2,
            Self::BadHeader(_) => 3,
            Self::MissingDocument => 4,
            Self::Truncated(_) => 5,
            Self::BadJson { .. } => 6,
            Self::BadDocument(_) => 7,
            Self::MissingTraceId(_) => 8,
        }
    }
}

#[derive(Deserialize)]
struct Header {
    format: String,
    version: serde_json::Value,
}

/// Splits a datagram into its header check and the document bytes (without parsing the
/// document). Used by the parser and by `--save`.
pub fn split(bytes: &[u8]) -> Result<&[u8], DatagramError> {
    if bytes.is_empty() {
        return Err(DatagramError::Empty);
    }
    if bytes.len() > MAX_DATAGRAM {
        return Err(DatagramError::Oversize(bytes.len()));
    }
    let Some(nl) = bytes.iter().position(|&b| b == b'\n') else {
        return Err(DatagramError::BadHeader(
            "no newline after the header line".into(),
        ));
    };
    let (head, body) = (&bytes[..nl], &bytes[nl + 1..]);
    let head = head.strip_suffix(b"\r").unwrap_or(head);
    // Fast path: the exact headers the SDKs write.
    if head != br#"{"format":"json","version":1}"# && head != br#"{"format": "json", "version": 1}"# {
        check_header(head)?;
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(DatagramError::MissingDocument);
    }
    Ok(body)
}

fn check_header(head: &[u8]) -> Result<(), DatagramError> {
    let text = std::str::from_utf8(head)
        .map_err(|e| DatagramError::BadHeader(format!("not UTF-8 at byte {}", e.valid_up_to())))?;
    let h: Header = serde_json::from_str(text.trim())
        .map_err(|e| DatagramError::BadHeader(format!("{e} in {:?}", shorten(text.trim(), 60))))?;
    let version_ok = h.version.as_u64() == Some(1) || h.version.as_str() == Some("1");
    if h.format != "json" || !version_ok {
        return Err(DatagramError::BadHeader(format!(
            "format {:?} version {}: only {{\"format\":\"json\",\"version\":1}} is known",
            h.format, h.version
        )));
    }
    Ok(())
}

/// What [`check_datagram`] reads of a document: the fields every document must have, as
/// borrowed slices, and whether it is in progress; everything else is only checked to be
/// well-formed JSON.
#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(borrow)]
    trace_id: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    id: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    #[allow(dead_code)]
    name: std::borrow::Cow<'a, str>,
    #[allow(dead_code)]
    start_time: f64,
    /// Any JSON (a wrong type is for the full parse to report): only `true` counts.
    #[serde(borrow, default)]
    in_progress: Option<&'a serde_json::value::RawValue>,
}

/// A datagram that passed [`check_datagram`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked<'a> {
    /// The document's JSON text.
    pub doc: &'a str,
    /// Its trace ID (borrowed from the datagram unless it holds JSON escapes).
    pub trace_id: std::borrow::Cow<'a, str>,
    /// Its own ID: a document sent again with the same ID replaces the earlier one.
    pub id: std::borrow::Cow<'a, str>,
    /// `"in_progress": true`: a completed copy of it is still to come.
    pub in_progress: bool,
}

/// The receive path's check: header, UTF-8, well-formed JSON, and the fields every document
/// needs (`trace_id`, `id`, `name`, `start_time`), without building the typed document (several
/// times faster than [`parse_datagram`]; the store parses fully when it assembles).
pub fn check_datagram(bytes: &[u8]) -> Result<Checked<'_>, DatagramError> {
    let body = split(bytes)?;
    let text = utf8(body).map_err(|at| DatagramError::NotUtf8(bytes.len() - body.len() + at))?;
    let probe: Probe<'_> = serde_json::from_str(text).map_err(json_error)?;
    match probe.trace_id {
        Some(t) if !t.is_empty() => Ok(Checked {
            doc: text.trim_ascii(),
            trace_id: t,
            id: probe.id,
            in_progress: probe.in_progress.is_some_and(|v| v.get() == "true"),
        }),
        _ => Err(DatagramError::MissingTraceId(probe.id.into_owned())),
    }
}

/// `body` as text, or where its first invalid byte is. SIMD validation first (several times
/// std's speed on 8 KB documents, and this runs for every datagram); the standard library
/// only to place an error.
fn utf8(body: &[u8]) -> Result<&str, usize> {
    match simdutf8::basic::from_utf8(body) {
        Ok(text) => Ok(text),
        Err(_) => std::str::from_utf8(body).map_err(|e| e.valid_up_to()),
    }
}

fn json_error(e: serde_json::Error) -> DatagramError {
    match e.classify() {
        Category::Eof => DatagramError::Truncated(e.to_string()),
        Category::Syntax => DatagramError::BadJson {
            line: e.line(),
            col: e.column(),
            msg: bare(&e),
        },
        Category::Data | Category::Io => DatagramError::BadDocument(e.to_string()),
    }
}

/// Parses one datagram into its segment document.
pub fn parse_datagram(bytes: &[u8]) -> Result<Segment, DatagramError> {
    let body = split(bytes)?;
    let text = std::str::from_utf8(body)
        .map_err(|e| DatagramError::NotUtf8(bytes.len() - body.len() + e.valid_up_to()))?;
    let seg: Segment = match serde_json::from_str(text) {
        Ok(seg) => seg,
        Err(e) => {
            // Past serde_json's recursion limit: on a heap-grown stack, within depth's limits.
            let nesting = depth::nesting(text);
            if nesting.is_shallow() {
                return Err(json_error(e));
            }
            if let Some(why) = nesting.too_deep() {
                return Err(DatagramError::BadDocument(why));
            }
            depth::from_str_deep(text).map_err(json_error)?
        }
    };
    if seg.trace_id.as_deref().is_none_or(str::is_empty) {
        return Err(DatagramError::MissingTraceId(seg.id.clone()));
    }
    Ok(seg)
}

/// serde_json's message without its " at line L column C" tail.
fn bare(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

/// At most `max` characters of `s`, with an ellipsis when cut.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "{\"format\":\"json\",\"version\":1}\n";
    const DOC: &str = r#"{"trace_id":"1-5f84c7a1-1a2b3c4d5e6f708192a3b4c5","id":"70de5b6f19ff9a0a","name":"svc","start_time":1.0,"end_time":2.0}"#;

    fn dg(s: &str) -> Vec<u8> {
        format!("{H}{s}").into_bytes()
    }

    #[test]
    fn accepts_a_good_datagram() {
        let seg = parse_datagram(&dg(DOC)).expect("good");
        assert_eq!(seg.id, "70de5b6f19ff9a0a");
        assert_eq!(seg.name, "svc");
    }

    #[test]
    fn accepts_python_spacing_crlf_and_trailing_newline() {
        let d = format!("{{\"format\": \"json\", \"version\": 1}}\r\n{DOC}\n");
        assert!(parse_datagram(d.as_bytes()).is_ok());
        let d = format!("{{ \"version\":1, \"format\":\"json\" }}\n{DOC}");
        assert!(parse_datagram(d.as_bytes()).is_ok());
    }

    #[test]
    fn accepts_a_subsegment_sent_on_its_own() {
        let d = dg(
            r#"{"type":"subsegment","trace_id":"1-5f84c7a1-1a2b3c4d5e6f708192a3b4c5","parent_id":"70de5b6f19ff9a0a","id":"aaaaaaaaaaaaaaaa","name":"s3","start_time":1.1,"end_time":1.2}"#,
        );
        let seg = parse_datagram(&d).expect("good");
        assert!(seg.is_subsegment_doc());
    }

    /// Issue 14 item 3: a datagram nesting 500 levels of subsegments parses (past serde_json's
    /// limit); one past the limit is a bad document naming its depth.
    #[test]
    fn deep_nesting_parses_up_to_the_limit() {
        let doc = |levels: usize| {
            let mut s = String::from(
                r#"{"trace_id":"1-5f84c7a1-1a2b3c4d5e6f708192a3b4c5","id":"70de5b6f19ff9a0a","name":"r","start_time":1.1"#,
            );
            for i in 0..levels {
                s.push_str(&format!(
                    r#","subsegments":[{{"id":"{i:x}","name":"","start_time":1"#
                ));
            }
            s.push_str(&"}]".repeat(levels));
            s.push('}');
            s
        };
        let seg = parse_datagram(&dg(&doc(500))).expect("500 levels parse");
        assert_eq!(seg.subsegments.len(), 1);
        let err = parse_datagram(&dg(&doc(1_001))).expect_err("too deep");
        assert!(
            matches!(&err, DatagramError::BadDocument(m) if m.contains("1001 levels deep")),
            "{err:?}"
        );
    }

    #[test]
    fn empty() {
        assert_eq!(parse_datagram(b""), Err(DatagramError::Empty));
    }

    #[test]
    fn oversize() {
        let mut d = dg(DOC);
        d.resize(MAX_DATAGRAM + 1, b' ');
        assert_eq!(
            parse_datagram(&d),
            Err(DatagramError::Oversize(MAX_DATAGRAM + 1))
        );
        // Exactly at the limit is fine.
        d.truncate(MAX_DATAGRAM);
        assert!(parse_datagram(&d).is_ok());
    }

    #[test]
    fn bad_headers() {
        for d in [
            DOC.to_owned(),                                          // no header, no newline
            format!("hello\n{DOC}"),                                 // not JSON
            format!("{{\"format\":\"xml\",\"version\":1}}\n{DOC}"),  // wrong format
            format!("{{\"format\":\"json\",\"version\":2}}\n{DOC}"), // wrong version
            format!("{{\"format\":\"json\"}}\n{DOC}"),               // missing version
            format!("\n{DOC}"),                                      // empty header
        ] {
            let e = parse_datagram(d.as_bytes()).expect_err(&d);
            assert_eq!(e.reason(), "bad_header", "{d}: {e}");
        }
        let mut d = b"\xff\xfe\n".to_vec();
        d.extend_from_slice(DOC.as_bytes());
        assert_eq!(
            parse_datagram(&d).map_err(|e| e.reason()),
            Err("bad_header")
        );
    }

    #[test]
    fn header_without_document() {
        assert_eq!(
            parse_datagram(H.as_bytes()),
            Err(DatagramError::MissingDocument)
        );
        assert_eq!(
            parse_datagram(format!("{H}  \n").as_bytes()),
            Err(DatagramError::MissingDocument)
        );
    }

    #[test]
    fn truncated() {
        for cut in [1, 10, DOC.len() / 2, DOC.len() - 1] {
            let e = parse_datagram(&dg(&DOC[..cut])).expect_err("cut");
            assert_eq!(e.reason(), "truncated", "cut at {cut}: {e}");
        }
    }

    #[test]
    fn bad_json_is_located() {
        let e = parse_datagram(&dg("{\"id\":\"a\",\n \"name\": nope}")).expect_err("bad");
        match e {
            DatagramError::BadJson { line, col, msg } => {
                assert_eq!(line, 2);
                assert!(col > 1);
                assert!(msg.contains("expected"), "{msg}");
            }
            other => panic!("{other:?}"),
        }
        let e = parse_datagram(&dg(&format!("{DOC} trailing"))).expect_err("trailing");
        assert_eq!(e.reason(), "bad_json");
    }

    #[test]
    fn not_utf8() {
        let mut d = dg("{\"id\":\"");
        d.push(0xff);
        d.extend_from_slice(b"\"}");
        let e = parse_datagram(&d).expect_err("bad");
        assert_eq!(e, DatagramError::NotUtf8(H.len() + 7));
    }

    #[test]
    fn not_a_segment() {
        for d in [
            "[1,2,3]",
            "{\"name\":\"x\",\"start_time\":1}",
            r#"{"trace_id":"1-5f84c7a1-1a2b3c4d5e6f708192a3b4c5","id":"a","name":"x","start_time":"soon"}"#,
        ] {
            let e = parse_datagram(&dg(d)).expect_err(d);
            assert_eq!(e.reason(), "bad_document", "{d}: {e}");
        }
    }

    #[test]
    fn missing_trace_id() {
        let d = dg(r#"{"id":"70de5b6f19ff9a0a","name":"svc","start_time":1.0}"#);
        assert_eq!(
            parse_datagram(&d),
            Err(DatagramError::MissingTraceId("70de5b6f19ff9a0a".into()))
        );
        let d = dg(r#"{"trace_id":"","id":"b","name":"svc","start_time":1.0}"#);
        assert_eq!(
            parse_datagram(&d).map_err(|e| e.reason()),
            Err("missing_trace_id")
        );
    }

    #[test]
    fn never_panics_on_prefixes_of_a_good_datagram() {
        let d = dg(DOC);
        for i in 0..d.len() {
            let _ = parse_datagram(&d[..i]);
        }
    }

    #[test]
    fn the_quick_check_agrees_with_the_full_parse() {
        let cases = [
            dg(DOC),
            b"".to_vec(),
            DOC.as_bytes().to_vec(),
            dg(&DOC[..20]),
            dg("{nope}"),
            dg("{\"id\":\"a\",\"name\":\"x\",\"start_time\":1}"),
            dg("{\"name\":\"x\",\"start_time\":1}"),
            dg("[1]"),
            H.as_bytes().to_vec(),
        ];
        for d in cases {
            assert_eq!(
                check_datagram(&d)
                    .map(|c| c.trace_id.into_owned())
                    .map_err(|e| e.reason()),
                parse_datagram(&d)
                    .map(|s| s.trace_id.clone().unwrap_or_default())
                    .map_err(|e| e.reason()),
                "{}",
                String::from_utf8_lossy(&d)
            );
        }
    }

    #[test]
    fn reasons_are_distinct() {
        let mut r = DatagramError::REASONS.to_vec();
        r.sort_unstable();
        r.dedup();
        assert_eq!(r.len(), DatagramError::REASONS.len());
    }
}
