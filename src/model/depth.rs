//! How deeply a JSON text nests, and parsing past serde_json's recursion limit.
//!
//! serde_json refuses values nested more than 128 levels (objects and arrays), which is about
//! 62 levels of nested subsegments. Documents up to [`MAX_DEPTH`] levels (a little over 1,000
//! levels of subsegments) are parsed with the recursion limit off and `serde_stacker` growing
//! the stack on the heap as needed, so depth costs memory, not the thread's stack. Deeper
//! documents are refused (the reader says where and how deep) before any recursive parse starts.

use serde::Deserialize;

/// serde_json's own nesting limit: anything at most this deep parses the ordinary way.
pub const SERDE_DEPTH: usize = 127;

/// The deepest JSON nesting (objects and arrays) accepted in one document: 1,000 levels of
/// nested subsegments take 2,001 (an object and a `subsegments` array each), with room left for
/// what the deepest ones hold.
pub const MAX_DEPTH: usize = 2_200;

/// The deepest nesting of objects and arrays in `text` (0 for a scalar), by one pass over its
/// bytes: strings (with their escapes) are skipped, nothing recurses.
pub fn json_depth(text: &str) -> usize {
    let mut depth = 0usize;
    let mut max = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in text.as_bytes() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// About how many levels of nested subsegments a JSON nesting depth stands for.
pub fn subsegment_levels(json_depth: usize) -> usize {
    json_depth.saturating_sub(1) / 2
}

/// Parses `text` as a `T` whatever its depth, without risking the stack: serde_json's
/// recursion limit off, `serde_stacker` growing the stack on the heap. Callers check
/// [`json_depth`] against [`MAX_DEPTH`] first, since what is parsed is also dropped, cloned and
/// printed.
pub fn from_str_deep<'de, T: Deserialize<'de>>(text: &'de str) -> serde_json::Result<T> {
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    let value = T::deserialize(serde_stacker::Deserializer::new(&mut de))?;
    de.end()?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_nesting_and_skips_strings() {
        assert_eq!(json_depth("1"), 0);
        assert_eq!(json_depth(r#"{"a":[1,{"b":"[[[{"}]}"#), 3);
        assert_eq!(json_depth(r#"["\"[", []]"#), 2);
    }

    #[test]
    fn parses_past_serde_json_limit() {
        let deep = format!("{}{}", "[".repeat(1_000), "]".repeat(1_000));
        assert!(serde_json::from_str::<serde_json::Value>(&deep).is_err());
        let v: serde::de::IgnoredAny = from_str_deep(&deep).expect("parses");
        let _ = v;
    }
}
