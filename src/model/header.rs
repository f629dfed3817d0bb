//! Tracing headers: the `X-Amzn-Trace-Id` X-Ray puts on requests
//! (`Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1`) and the W3C
//! `traceparent` OpenTelemetry propagates (`00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01`).
//!
//! Why: what an engineer has in hand when a request went wrong is often a header from a log
//! line or a response; pasted into the palette or given to `trace`, it opens that trace at the
//! entity that made the call. A W3C trace ID is an X-Ray trace ID without its version and
//! dashes (the first 8 hex digits are the epoch seconds), so either names the same trace.

/// What a tracing header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceRef {
    /// The X-Ray trace ID (`1-5759e988-bd862e3fe1be46a994272793`).
    pub trace_id: String,
    /// The ID of the segment or subsegment that sent the request, if the header names one.
    pub parent: Option<String>,
    /// The sampling decision, if the header carries one.
    pub sampled: Option<bool>,
}

/// Reads an `X-Amzn-Trace-Id` or `traceparent` header (the value, with or without the
/// `Name:` in front); `None` if `text` is neither.
pub fn parse(text: &str) -> Option<TraceRef> {
    let text = text.trim();
    let value = match text.split_once(':') {
        Some((name, rest))
            if name.eq_ignore_ascii_case("x-amzn-trace-id")
                || name.eq_ignore_ascii_case("traceparent") =>
        {
            rest.trim()
        }
        _ => text,
    };
    amzn(value).or_else(|| traceparent(value))
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `Root=1-8hex-24hex;Parent=16hex;Sampled=1` (fields in any order; `Self=` and others allowed).
fn amzn(value: &str) -> Option<TraceRef> {
    let mut root = None;
    let mut parent = None;
    let mut sampled = None;
    for field in value.split(';') {
        let (k, v) = field.trim().split_once('=')?;
        match k.trim() {
            "Root" => root = Some(v.trim()),
            "Parent" => parent = Some(v.trim()),
            "Sampled" => sampled = Some(v.trim()),
            _ => {}
        }
    }
    let root = root?;
    let mut parts = root.split('-');
    let (version, time, id) = (parts.next()?, parts.next()?, parts.next()?);
    if version != "1" || !is_hex(time, 8) || !is_hex(id, 24) || parts.next().is_some() {
        return None;
    }
    Some(TraceRef {
        trace_id: root.to_ascii_lowercase(),
        parent: parent
            .filter(|p| is_hex(p, 16))
            .map(str::to_ascii_lowercase),
        sampled: match sampled {
            Some("1") => Some(true),
            Some("0") => Some(false),
            _ => None,
        },
    })
}

/// `00-32hex-16hex-2hex`.
fn traceparent(value: &str) -> Option<TraceRef> {
    let mut parts = value.split('-');
    let (version, trace, span, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if !is_hex(version, 2) || !is_hex(trace, 32) || !is_hex(span, 16) || !is_hex(flags, 2) {
        return None;
    }
    if version == "ff" || parts.next().is_some() && version == "00" {
        return None;
    }
    let trace = trace.to_ascii_lowercase();
    let flags = u8::from_str_radix(flags, 16).ok()?;
    Some(TraceRef {
        trace_id: format!("1-{}-{}", trace.get(..8)?, trace.get(8..)?),
        parent: Some(span.to_ascii_lowercase()),
        sampled: Some(flags & 1 == 1),
    })
}

/// Whether `id` is an X-Ray trace ID: `1-` then 8 and 24 hex digits.
pub fn is_xray_id(id: &str) -> bool {
    let mut parts = id.split('-');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("1"), Some(time), Some(rest), None) if is_hex(time, 8) && is_hex(rest, 24)
    )
}

/// Whether `id` is a W3C trace ID: 32 hex digits.
pub fn is_w3c_id(id: &str) -> bool {
    is_hex(id, 32)
}

/// The W3C spelling of a trace ID (`1-5759e988-bd86…` → `5759e988bd86…`, lower case); a W3C ID
/// as it is. `None` for anything else.
pub fn w3c_form(id: &str) -> Option<String> {
    if is_w3c_id(id) {
        return Some(id.to_ascii_lowercase());
    }
    if !is_xray_id(id) {
        return None;
    }
    let mut s = String::with_capacity(32);
    s.push_str(id.get(2..10)?);
    s.push_str(id.get(11..)?);
    Some(s.to_ascii_lowercase())
}

/// The X-Ray spelling of a trace ID (`5759e988bd86…` → `1-5759e988-bd86…`); an X-Ray ID as it
/// is. `None` for anything else. (Spelled so, a W3C ID whose first 8 digits are not a time
/// is still not one X-Ray would accept.)
pub fn xray_form(id: &str) -> Option<String> {
    if is_xray_id(id) {
        return Some(id.to_ascii_lowercase());
    }
    if !is_w3c_id(id) {
        return None;
    }
    let id = id.to_ascii_lowercase();
    Some(format!("1-{}-{}", id.get(..8)?, id.get(8..)?))
}

/// The other spelling of a trace ID (X-Ray ⇔ W3C), if it is one.
pub fn other_form(id: &str) -> Option<String> {
    if is_xray_id(id) {
        w3c_form(id)
    } else {
        xray_form(id)
    }
}

/// The trace IDs a piece of text may name, most likely first: the ID a tracing header names,
/// or the text itself, then the other spelling of either. Whoever looks them up takes the
/// first one it has: a trace kept in W3C form (one X-Ray would not accept) is found by its
/// `traceparent`, an X-Ray trace by its 32-digit spelling.
pub fn trace_id_candidates(text: &str) -> Vec<String> {
    let text = text.trim();
    let first = parse(text).map_or_else(|| text.to_owned(), |r| r.trace_id);
    let mut out = vec![first];
    if let Some(other) = other_form(&out[0]) {
        if other != out[0] {
            out.push(other);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xray_header_with_and_without_its_name() {
        let want = TraceRef {
            trace_id: "1-5759e988-bd862e3fe1be46a994272793".into(),
            parent: Some("53995c3f42cd8ad8".into()),
            sampled: Some(true),
        };
        for text in [
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
            "X-Amzn-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
            " Sampled=1;Root=1-5759E988-BD862E3FE1BE46A994272793;Parent=53995c3f42cd8ad8 ",
        ] {
            assert_eq!(parse(text), Some(want.clone()), "{text}");
        }
        // As a load balancer passes it on: Self= first, no parent.
        let alb = parse(
            "Self=1-67891234-12456789abcdef012345678;Root=1-67891233-abcdef012345678912345678",
        )
        .expect("alb");
        assert_eq!(alb.trace_id, "1-67891233-abcdef012345678912345678");
        assert_eq!(alb.parent, None);
    }

    #[test]
    fn w3c_traceparent_is_the_same_trace() {
        let r = parse("traceparent: 00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01")
            .expect("traceparent");
        assert_eq!(r.trace_id, "1-5759e988-bd862e3fe1be46a994272793");
        assert_eq!(r.parent.as_deref(), Some("53995c3f42cd8ad8"));
        assert_eq!(r.sampled, Some(true));
        assert_eq!(
            parse("00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-00").map(|r| r.sampled),
            Some(Some(false))
        );
    }

    #[test]
    fn ids_in_both_spellings() {
        let x = "1-5f84c7a1-2b9c4e0f8a7d6c5b4a392817";
        let w = "5f84c7a12b9c4e0f8a7d6c5b4a392817";
        assert_eq!(w3c_form(x).as_deref(), Some(w));
        assert_eq!(xray_form(w).as_deref(), Some(x));
        assert_eq!(w3c_form(w).as_deref(), Some(w));
        assert_eq!(xray_form(x).as_deref(), Some(x));
        assert_eq!(other_form(x).as_deref(), Some(w));
        assert_eq!(other_form(&w.to_ascii_uppercase()).as_deref(), Some(x));
        for bad in [
            "",
            "1-5f84c7a1",
            "5f84c7a1",
            "2-5f84c7a1-2b9c4e0f8a7d6c5b4a392817",
            "zz",
        ] {
            assert_eq!(other_form(bad), None, "{bad}");
        }
        assert!(is_xray_id(x) && !is_xray_id(w) && is_w3c_id(w) && !is_w3c_id(x));
        assert_eq!(trace_id_candidates(w), vec![w.to_owned(), x.to_owned()]);
        assert_eq!(
            trace_id_candidates(&format!("00-{w}-53995c3f42cd8ad8-01")),
            vec![x.to_owned(), w.to_owned()]
        );
        assert_eq!(trace_id_candidates(" 2b9c "), vec!["2b9c".to_owned()]);
    }

    #[test]
    fn other_text_is_not_a_header() {
        for text in [
            "",
            "payments",
            "1-5759e988-bd862e3fe1be46a994272793",
            "Root=2-5759e988-bd862e3fe1be46a994272793",
            "Root=1-5759e988-bd862e3fe1be46a99427279",
            "ff-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01",
            "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8",
            "service(\"a\")",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }

    proptest::proptest! {
        /// Any text: no panic; whatever parses names a well-formed X-Ray trace ID.
        #[test]
        fn never_panics_and_ids_are_well_formed(text in ".{0,120}") {
            if let Some(r) = parse(&text) {
                let parts: Vec<&str> = r.trace_id.split('-').collect();
                proptest::prop_assert_eq!(parts.len(), 3);
                proptest::prop_assert_eq!(parts[1].len(), 8);
                proptest::prop_assert_eq!(parts[2].len(), 24);
            }
        }
    }
}
