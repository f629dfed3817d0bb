//! How deeply a document nests, and parsing past serde_json's recursion limit.
//!
//! serde_json refuses values nested more than 128 levels (objects and arrays), which is about
//! 62 levels of nested subsegments. Nested subsegments are what X-Ray documents legitimately
//! nest deeply, and the model takes them apart without recursing (assembly, drop and output use
//! explicit stacks), so up to [`MAX_LEVELS`] levels of them are parsed with the recursion limit
//! off and `serde_stacker` growing the stack on the heap. Everything else (metadata, `extra`
//! fields, causes) keeps serde_json's limit of [`MAX_VALUE_DEPTH`], since a `serde_json::Value`
//! is cloned, compared, printed and dropped recursively. A document past either limit is refused
//! (the reader says where and how deep) before any recursive parse starts.

use serde::Deserialize;

/// Levels of nested subsegments accepted in one document.
pub const MAX_LEVELS: usize = 1_000;

/// Nesting of objects and arrays accepted apart from the subsegments' own (serde_json's limit).
pub const MAX_VALUE_DEPTH: usize = 127;

/// How deeply one JSON text nests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Nesting {
    /// The most `subsegments` arrays around any point.
    pub levels: usize,
    /// The most other objects and arrays around any point (the document itself counts 1).
    pub value_depth: usize,
}

impl Nesting {
    /// Within [`MAX_LEVELS`] and [`MAX_VALUE_DEPTH`].
    pub fn within_limits(&self) -> bool {
        self.levels <= MAX_LEVELS && self.value_depth <= MAX_VALUE_DEPTH
    }
    /// Plain serde_json parses it (no more than 127 levels all told).
    pub fn is_shallow(&self) -> bool {
        2 * self.levels + self.value_depth <= MAX_VALUE_DEPTH
    }
    /// What is too deep, for a warning; `None` when within the limits.
    pub fn too_deep(&self) -> Option<String> {
        if self.levels > MAX_LEVELS {
            Some(format!(
                "subsegments nested {} levels deep: the limit is {MAX_LEVELS}",
                self.levels
            ))
        } else if self.value_depth > MAX_VALUE_DEPTH {
            Some(format!(
                "objects and arrays nested {} levels deep: the limit is {MAX_VALUE_DEPTH}",
                self.value_depth
            ))
        } else {
            None
        }
    }
}

/// How deeply `text` nests, by one pass over its bytes: strings (with their escapes) are
/// skipped, a `subsegments` array and the objects directly in it count as levels of
/// subsegments, everything else as value depth. Nothing recurses.
pub fn nesting(text: &str) -> Nesting {
    let bytes = text.as_bytes();
    // One entry per open container: (is an array, is a subsegment level's array or object).
    let mut stack: Vec<(bool, bool)> = Vec::new();
    let (mut levels, mut value_depth) = (0usize, 0usize);
    let mut out = Nesting::default();
    // The last string seen and whether a ':' followed it (a key).
    let mut last_string: (usize, usize) = (0, 0);
    let mut key_is_subsegments = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                last_string = (start, i.min(bytes.len()));
            }
            b':' => {
                key_is_subsegments =
                    bytes.get(last_string.0..last_string.1) == Some(b"subsegments".as_slice());
            }
            b',' => key_is_subsegments = false,
            open @ (b'{' | b'[') => {
                let is_array = open == b'[';
                let structural = match stack.last() {
                    // The `subsegments` array of an object.
                    Some(&(false, _)) if is_array => key_is_subsegments,
                    // A subsegment: an object directly in that array.
                    Some(&(true, true)) => !is_array,
                    _ => false,
                };
                if structural {
                    if is_array {
                        levels += 1;
                    }
                } else {
                    value_depth += 1;
                }
                stack.push((is_array, structural));
                out.levels = out.levels.max(levels);
                out.value_depth = out.value_depth.max(value_depth);
                key_is_subsegments = false;
            }
            b'}' | b']' => {
                if let Some((is_array, structural)) = stack.pop() {
                    if !structural {
                        value_depth = value_depth.saturating_sub(1);
                    } else if is_array {
                        levels = levels.saturating_sub(1);
                    }
                }
                key_is_subsegments = false;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Parses `text` as a `T` whatever its depth, without risking the stack: serde_json's
/// recursion limit off, `serde_stacker` growing the stack on the heap. Callers check
/// [`nesting`] against the limits first, since what is parsed is also dropped, cloned and
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
    fn counts_subsegment_levels_apart_and_skips_strings() {
        assert_eq!(nesting("1"), Nesting::default());
        let n = nesting(r#"{"a":[1,{"b":"[[[{"}]}"#);
        assert_eq!((n.levels, n.value_depth), (0, 3));
        let doc = r#"{"id":"x","subsegments":[{"id":"y","http":{"a":1},"subsegments":[{"m":["]"]}]},{"z":2}]}"#;
        let n = nesting(doc);
        assert_eq!((n.levels, n.value_depth), (2, 2));
        let n = nesting(r#"{"metadata":{"subsegments":[[{}]]}}"#);
        assert_eq!(n.levels, 1);
    }

    #[test]
    fn parses_past_serde_json_limit() {
        let deep = format!("{}{}", "[".repeat(1_000), "]".repeat(1_000));
        assert!(serde_json::from_str::<serde_json::Value>(&deep).is_err());
        let v: serde::de::IgnoredAny = from_str_deep(&deep).expect("parses");
        let _ = v;
    }
}
