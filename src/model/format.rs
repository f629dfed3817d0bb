//! Small formatting helpers every output shares (the app's screens, the headless reports, the
//! exports): a trace's flags as a value, cutting text to a width, the path of a URL.
//!
//! Why here: they describe model values for people and have no terminal or CLI in them, so the
//! UI and the CLI can both use them without one importing the other.

use std::fmt;

use super::TraceSummary;

/// One of a trace's flags, in the order the FLAGS column shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// A server fault (5xx) somewhere in the trace.
    Fault,
    /// A client error (4xx).
    Error,
    /// A throttle (429).
    Throttle,
    /// The trace is partial (documents missing).
    Partial,
}

impl Flag {
    /// All flags, in column order.
    pub const ALL: [Flag; 4] = [Flag::Fault, Flag::Error, Flag::Throttle, Flag::Partial];

    /// The letter the FLAGS column shows for it.
    pub const fn letter(self) -> char {
        match self {
            Flag::Fault => 'F',
            Flag::Error => 'E',
            Flag::Throttle => 'T',
            Flag::Partial => 'P',
        }
    }
}

/// Which flags a trace has: read once from its summary, shown as `F-T-`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags {
    /// `has_fault`.
    pub fault: bool,
    /// `has_error`.
    pub error: bool,
    /// `has_throttle`.
    pub throttle: bool,
    /// `is_partial`.
    pub partial: bool,
}

impl Flags {
    /// The flags of a summary.
    pub fn of(s: &TraceSummary) -> Flags {
        Flags {
            fault: s.has_fault,
            error: s.has_error,
            throttle: s.has_throttle,
            partial: s.is_partial == Some(true),
        }
    }

    /// The flags of a list row.
    pub fn of_row(r: &crate::model::row::Row) -> Flags {
        Flags {
            fault: r.has_fault,
            error: r.has_error,
            throttle: r.has_throttle,
            partial: r.is_partial == Some(true),
        }
    }

    /// Whether `flag` is set.
    pub const fn has(self, flag: Flag) -> bool {
        match flag {
            Flag::Fault => self.fault,
            Flag::Error => self.error,
            Flag::Throttle => self.throttle,
            Flag::Partial => self.partial,
        }
    }

    /// Each flag in column order with whether it is set.
    pub fn iter(self) -> impl Iterator<Item = (Flag, bool)> {
        Flag::ALL.into_iter().map(move |f| (f, self.has(f)))
    }
}

/// `F` fault, `E` error, `T` throttle, `P` partial; `-` where not set.
impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (flag, on) in self.iter() {
            fmt::Write::write_char(f, if on { flag.letter() } else { '-' })?;
        }
        Ok(())
    }
}

/// The terminal cells `s` takes: CJK characters and most emoji take two, combining marks
/// none. Every pad, cut and column of the screens and reports is measured with this.
pub fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// The terminal cells one character takes (0 for combining marks and controls).
pub fn char_width(c: char) -> usize {
    unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)
}

/// `s` cut to at most `max` cells, ending in `…` when cut (a wide character that would not
/// fit whole is left out).
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_owned();
    }
    let room = max.saturating_sub(1);
    let mut used = 0;
    let mut t = String::new();
    for c in s.chars() {
        let w = char_width(c);
        if used + w > room {
            break;
        }
        used += w;
        t.push(c);
    }
    if max > 0 {
        t.push('…');
    }
    t
}

/// `s` in at most `max` cells, its middle replaced by `…` when it does not fit: both ends of
/// a URL, a trace ID or an expression stay readable.
pub fn shorten_middle(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    let room = max - 1;
    let head_room = room - room / 2;
    let mut head = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = char_width(c);
        if used + w > head_room {
            break;
        }
        used += w;
        head.push(c);
    }
    // The tail takes what the head left (a wide character may not have fitted there).
    let tail_room = room - used;
    let mut tail: Vec<char> = Vec::new();
    let mut used = 0;
    for c in s.chars().rev() {
        let w = char_width(c);
        if used + w > tail_room {
            break;
        }
        used += w;
        tail.push(c);
    }
    head.push('…');
    head.extend(tail.into_iter().rev());
    head
}

/// `s` followed by spaces up to `cells` cells (as it is when already that wide).
pub fn pad(s: &str, cells: usize) -> String {
    let mut t = s.to_owned();
    t.extend(std::iter::repeat_n(' ', cells.saturating_sub(width(s))));
    t
}

/// Spaces then `s`, up to `cells` cells (as it is when already that wide).
pub fn pad_left(s: &str, cells: usize) -> String {
    let mut t: String = std::iter::repeat_n(' ', cells.saturating_sub(width(s))).collect();
    t.push_str(s);
    t
}

/// `s` in exactly `cells` cells: cut with `…`, or padded.
pub fn fit(s: &str, cells: usize) -> String {
    pad(&truncate(s, cells), cells)
}

/// `text` in pieces of at most `max` cells, broken at spaces where there is one (a word
/// longer than a line is cut).
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut out = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for word in text.split(' ') {
        let w = width(word);
        if used > 0 && used + 1 + w <= max {
            line.push(' ');
            line.push_str(word);
            used += 1 + w;
            continue;
        }
        if used > 0 {
            out.push(std::mem::take(&mut line));
            used = 0;
        }
        // A word wider than the line is cut where the line ends.
        for c in word.chars() {
            let cw = char_width(c);
            if used + cw > max && used > 0 {
                out.push(std::mem::take(&mut line));
                used = 0;
            }
            line.push(c);
            used += cw;
        }
    }
    out.push(line);
    out
}

/// `1 trace`, `2 traces`: a count and its noun, `singular` or `plural` as English wants.
pub fn count<N>(n: N, singular: &str, plural: &str) -> String
where
    N: std::fmt::Display + PartialEq + From<u8>,
{
    if n == N::from(1) {
        format!("1 {singular}")
    } else {
        format!("{n} {plural}")
    }
}

/// `1,234,567`: a number with its thousands marked, for counts that run to millions.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A trace ID as the screens show it: in W3C form (32 hex digits) when `w3c`, else as it is
/// kept (X-Ray's `1-…`, or 32 hex digits for a trace X-Ray would not accept).
pub fn trace_id_in(id: &str, w3c: bool) -> std::borrow::Cow<'_, str> {
    match w3c.then(|| super::header::w3c_form(id)).flatten() {
        Some(w) => std::borrow::Cow::Owned(w),
        None => std::borrow::Cow::Borrowed(id),
    }
}

/// The route of a URL: its path without query or fragment (`/` when empty), each segment that
/// names one thing rather than a kind of request read as `{id}`:
/// `https://host/api/products/SKU-10472?x=1` -> `/api/products/{id}`. A segment is an id when
/// it is a number, has two or more digits (dates, UUIDs, `SKU-10472`; not a version such as
/// `v2` or `v10`) or is 16 or more hex digits and dashes. So that an operation's requests are counted
/// together, as a route template would (`GET /api/products/{id}`), however many things they
/// fetch.
pub fn route(url: &str) -> std::borrow::Cow<'_, str> {
    let path = url_path(url);
    let path = path.split(['?', '#']).next().unwrap_or(path);
    if path.is_empty() {
        return "/".into();
    }
    let is_id = |seg: &str| {
        let digits = seg.bytes().filter(u8::is_ascii_digit).count();
        let version = seg.len() > 1
            && seg.starts_with(['v', 'V'])
            && seg[1..].bytes().all(|b| b.is_ascii_digit());
        (digits > 0 && digits == seg.len())
            || (digits >= 2 && !version)
            || (seg.len() >= 16 && seg.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'))
    };
    if !path.split('/').any(is_id) {
        return path.into();
    }
    path.split('/')
        .map(|seg| if is_id(seg) { "{id}" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
        .into()
}

/// The path and query of a URL (`https://host/a?b` -> `/a?b`); other text as it is.
pub fn url_path(url: &str) -> &str {
    match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_spaces_and_cuts_long_words() {
        assert_eq!(wrap("copied 1-abc", 40), vec!["copied 1-abc"]);
        assert_eq!(wrap("aaa bbb ccc", 7), vec!["aaa bbb", "ccc"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        // Wide characters count two cells: no line is wider than asked.
        for line in wrap("注文サービス が 在庫API を 呼びました", 8) {
            assert!(width(&line) <= 8, "{line}");
        }
        assert_eq!(wrap("a b", 1), vec!["a", "b"]);
    }

    #[test]
    fn shorten_middle_keeps_both_ends_in_cells() {
        assert_eq!(shorten_middle("abcdef", 6), "abcdef");
        assert_eq!(shorten_middle("abcdefgh", 5), "ab…gh");
        assert_eq!(shorten_middle("abcdefgh", 6), "abc…gh");
        assert_eq!(shorten_middle("注文サービス", 7), "注…ビス");
        assert!(width(&shorten_middle("注文サービス", 6)) <= 6);
        assert_eq!(shorten_middle("abc", 0), "");
        assert_eq!(shorten_middle("abc", 1), "…");
    }

    #[test]
    fn routes_read_ids_as_placeholders() {
        let cases = [
            (
                "https://h.example/api/products/SKU-10472?x=1",
                "/api/products/{id}",
            ),
            ("/orders/12345/items/7", "/orders/{id}/items/{id}"),
            (
                "/users/3f2b9c1e-8a4d-4e2f-9b1a-0c6d5e4f3a2b/cart",
                "/users/{id}/cart",
            ),
            ("/v2/api/v10/ping", "/v2/api/v10/ping"),
            ("/blobs/deadbeefcafebabe", "/blobs/{id}"),
            ("/ipv4/s3/oauth2#top", "/ipv4/s3/oauth2"),
            ("/reports/2026-11-26", "/reports/{id}"),
            ("https://h.example", "/"),
            ("https://h.example?q=1", "/"),
            ("", "/"),
        ];
        for (url, want) in cases {
            assert_eq!(route(url), want, "{url}");
        }
    }

    #[test]
    fn url_path_drops_scheme_and_host() {
        assert_eq!(url_path("https://h.example/prod/api?a=1"), "/prod/api?a=1");
        assert_eq!(url_path("http://h.example"), "/");
        assert_eq!(url_path("/already/a/path"), "/already/a/path");
    }

    #[test]
    fn flags_read_left_to_right() {
        let s = TraceSummary {
            has_fault: true,
            has_throttle: true,
            ..Default::default()
        };
        assert_eq!(Flags::of(&s).to_string(), "F-T-");
        let p = TraceSummary {
            has_error: true,
            is_partial: Some(true),
            ..Default::default()
        };
        assert_eq!(Flags::of(&p).to_string(), "-E-P");
    }

    #[test]
    fn thousands_are_marked() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(95_000), "95,000");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }

    #[test]
    fn truncate_marks_the_cut() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 3), "abc");
        // Wide characters take two cells: cut by cells, never through a character.
        assert_eq!(width("注文サービス"), 12);
        assert_eq!(truncate("注文サービス", 6), "注文…");
        assert_eq!(width(&truncate("注文サービス", 6)), 5);
        assert_eq!(truncate("🛒cart", 4), "🛒c…");
        assert_eq!(fit("注文", 6), "注文  ");
        assert_eq!(width(&fit("注文サービス", 7)), 7);
        assert_eq!(pad_left("注", 4), "  注");
        assert_eq!(count(1, "trace", "traces"), "1 trace");
        assert_eq!(count(1u64, "byte", "bytes"), "1 byte");
        assert_eq!(count(0, "trace", "traces"), "0 traces");
    }
}
