//! Typed parsing of one JSON value with a message a person can act on when it fails: the field
//! path (`http.response.status: invalid type ...`) and the byte offset inside the value.
//!
//! Why here: a document is parsed when a file is read *or* later, when its trace is assembled
//! from the stored text; both must word a failure the same way, so the wording lives in one
//! place below the sources and the engine.

use serde::Deserialize;

use super::depth;
use super::segment::Segment;

/// Why a value did not parse, and where inside its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Byte offset inside the value's text where the problem was found.
    pub at: usize,
    /// The message, led by the field path (`path: ...`).
    pub message: String,
}

/// Typed parse of `raw`; the failure names the field path under `path`.
///
/// Plain serde first (only a failure pays for tracking the path); past serde_json's recursion
/// limit, a heap-grown stack within [`depth`]'s limits.
pub fn typed<'t, T: Deserialize<'t>>(raw: &'t str, path: &str) -> Result<T, Failure> {
    if let Ok(v) = serde_json::from_str::<T>(raw) {
        return Ok(v);
    }
    let nesting = depth::nesting(raw);
    if !nesting.is_shallow() {
        if let Some(why) = nesting.too_deep() {
            return Err(Failure {
                at: 0,
                message: format!("{}{why}; skipped", lead(path)),
            });
        }
        if let Ok(v) = depth::from_str_deep::<T>(raw) {
            return Ok(v);
        }
    }
    let mut de = serde_json::Deserializer::from_str(raw);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(v) => Ok(v),
        Err(e) => {
            let inner = e.path().to_string();
            let err = e.into_inner();
            let msg = bare_message(&err);
            // "missing field" is raised at the closing brace; the object's start says more.
            let at = if msg.starts_with("missing field") && inner == "." {
                0
            } else {
                offset_in(raw, &err)
            };
            Err(Failure {
                at,
                message: format!("{}{msg}", lead(&join(path, &inner))),
            })
        }
    }
}

/// A `batch-get-traces` `Document`: a JSON string literal holding the document. The failure is
/// placed at the literal (offset 0), with the line and column inside the decoded string.
pub fn quoted_document(raw: &str, path: &str) -> Result<Segment, Failure> {
    let at0 = |message: String| Failure { at: 0, message };
    let decoded = serde_json::from_str::<String>(raw)
        .map_err(|err| at0(format!("{path}: {}", bare_message(&err))))?;
    if let Ok(seg) = serde_json::from_str::<Segment>(&decoded) {
        return Ok(seg);
    }
    let nesting = depth::nesting(&decoded);
    if !nesting.is_shallow() {
        if let Some(why) = nesting.too_deep() {
            return Err(at0(format!("{path}: {why}; skipped")));
        }
        if let Ok(seg) = depth::from_str_deep::<Segment>(&decoded) {
            return Ok(seg);
        }
    }
    let mut de = serde_json::Deserializer::from_str(&decoded);
    match serde_path_to_error::deserialize::<_, Segment>(&mut de) {
        Ok(seg) => Ok(seg),
        Err(e) => {
            let inner = e.path().to_string();
            let err = e.into_inner();
            let inner = if inner == "." {
                String::new()
            } else {
                format!("{inner}: ")
            };
            let at = match (err.line(), err.column()) {
                (0, _) => String::new(),
                (1, c) => format!(" (column {c} of the document string)"),
                (l, c) => format!(" (line {l} column {c} of the document string)"),
            };
            let prefix = if err.is_syntax() || err.is_eof() {
                "invalid JSON: "
            } else {
                ""
            };
            Err(at0(format!(
                "{path}: {inner}{prefix}{}{at}",
                bare_message(&err)
            )))
        }
    }
}

/// Byte offset inside `raw` of an error serde_json raised while reading it.
pub fn offset_in(raw: &str, err: &serde_json::Error) -> usize {
    let (line, column) = (err.line(), err.column());
    if line == 0 {
        return 0;
    }
    let line_start = if line == 1 {
        0
    } else {
        match memchr::memchr_iter(b'\n', raw.as_bytes()).nth(line - 2) {
            Some(i) => i + 1,
            None => raw.len(),
        }
    };
    (line_start + column.saturating_sub(1)).min(raw.len())
}

/// `prefix.inner` for field paths; `[i]` segments attach without a dot.
pub fn join(prefix: &str, inner: &str) -> String {
    if inner.is_empty() || inner == "." {
        prefix.to_owned()
    } else if prefix.is_empty() {
        inner.to_owned()
    } else if inner.starts_with('[') {
        format!("{prefix}{inner}")
    } else {
        format!("{prefix}.{inner}")
    }
}

/// `path: ` for a message, or nothing at the root.
pub fn lead(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("{path}: ")
    }
}

/// The error text without serde_json's own ` at line L column C` (the location is given apart).
pub fn bare_message(err: &serde_json::Error) -> String {
    let full = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    match full.strip_suffix(&suffix) {
        Some(s) => s.to_owned(),
        None => full,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_type_error_names_the_field_and_its_offset() {
        let raw = "{\"id\":\"a\",\n\"name\":\"n\",\"start_time\":1,\"http\":{\"response\":{\"status\":\"x\"}}}";
        let f = typed::<Segment>(raw, "[2]").unwrap_err();
        assert!(
            f.message
                .starts_with("[2].http.response.status: invalid value"),
            "{}",
            f.message
        );
        assert_eq!(&raw[f.at - 3..f.at], "\"x\"");
    }

    #[test]
    fn a_bad_document_string_says_where_inside_it() {
        let f = quoted_document(r#""{\"id\": 1}""#, "Traces[0].Segments[0].Document").unwrap_err();
        assert_eq!(f.at, 0);
        assert!(
            f.message
                .starts_with("Traces[0].Segments[0].Document: id: invalid type")
        );
        assert!(
            f.message.ends_with("of the document string)"),
            "{}",
            f.message
        );
    }
}
