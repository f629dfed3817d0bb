//! Find in a trace: which entities mention a piece of text, in any field a person would search
//! (names, annotations, URLs, SQL, exceptions, AWS resources, causes).
//!
//! Why here and not in the UI: the question "where in this trace is `timeout`?" is a pure
//! function of the trace, so it is tested on fixture documents without a terminal and can serve
//! a headless command later. The TUI's find bar (`app::find`) only keeps the answer and moves the
//! selection.

use std::borrow::Cow;

use crate::model::segment::Cause;
use crate::model::{NodeId, Segment, Trace};

/// The field of a document a match was found in (the first one, in the order searched).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The entity's name.
    Name,
    /// An annotation key.
    AnnotationKey,
    /// An annotation value.
    AnnotationValue,
    /// `http.request.url`.
    HttpUrl,
    /// `http.request.method`.
    HttpMethod,
    /// `http.request.user_agent`.
    UserAgent,
    /// `sql.sanitized_query`.
    SqlQuery,
    /// `sql.url`.
    SqlUrl,
    /// An exception's message.
    ExceptionMessage,
    /// An exception's type.
    ExceptionType,
    /// A stack frame's label or path.
    StackFrame,
    /// `aws.operation`.
    AwsOperation,
    /// `aws.table_name`.
    AwsTable,
    /// `aws.queue_url`.
    AwsQueue,
    /// The cause: an exception ID, or the ID an exception was caused by.
    Cause,
}

impl Field {
    /// How the find bar names the field.
    pub fn label(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::AnnotationKey => "annotation key",
            Field::AnnotationValue => "annotation value",
            Field::HttpUrl => "http.url",
            Field::HttpMethod => "http.method",
            Field::UserAgent => "http.user_agent",
            Field::SqlQuery => "sql.sanitized_query",
            Field::SqlUrl => "sql.url",
            Field::ExceptionMessage => "exception message",
            Field::ExceptionType => "exception type",
            Field::StackFrame => "stack frame",
            Field::AwsOperation => "aws.operation",
            Field::AwsTable => "aws.table_name",
            Field::AwsQueue => "aws.queue_url",
            Field::Cause => "cause",
        }
    }
}

/// One entity that matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// The entity.
    pub node: NodeId,
    /// The first field it matched in.
    pub field: Field,
}

/// Calls `f` with every searchable text of a document, in a fixed order; stops when `f` says
/// `true` and returns that field.
fn first_field(doc: &Segment, mut f: impl FnMut(&str) -> bool) -> Option<Field> {
    let mut check = |field: Field, text: Option<&str>| text.is_some_and(&mut f).then_some(field);
    if let Some(x) = check(Field::Name, Some(&doc.name)) {
        return Some(x);
    }
    for (k, v) in doc.annotation_values() {
        if let Some(x) = check(Field::AnnotationKey, Some(k)) {
            return Some(x);
        }
        let value: Cow<str> = match v {
            crate::model::AnnotationValue::String(s) => Cow::Borrowed(s),
            other => Cow::Owned(other.display()),
        };
        if let Some(x) = check(Field::AnnotationValue, Some(&value)) {
            return Some(x);
        }
    }
    if let Some(r) = doc.http.as_ref().and_then(|h| h.request.as_ref()) {
        for (field, text) in [
            (Field::HttpUrl, r.url.as_deref()),
            (Field::HttpMethod, r.method.as_deref()),
            (Field::UserAgent, r.user_agent.as_deref()),
        ] {
            if let Some(x) = check(field, text) {
                return Some(x);
            }
        }
    }
    if let Some(s) = doc.sql.as_deref() {
        for (field, text) in [
            (Field::SqlQuery, s.sanitized_query.as_deref()),
            (Field::SqlUrl, s.url.as_deref()),
        ] {
            if let Some(x) = check(field, text) {
                return Some(x);
            }
        }
    }
    match doc.cause.as_deref() {
        Some(Cause::Id(id)) => {
            if let Some(x) = check(Field::Cause, Some(id)) {
                return Some(x);
            }
        }
        Some(Cause::Details(d)) => {
            for e in &d.exceptions {
                for (field, text) in [
                    (Field::ExceptionMessage, e.message.as_deref()),
                    (Field::ExceptionType, e.kind.as_deref()),
                    (Field::Cause, e.cause.as_deref()),
                ] {
                    if let Some(x) = check(field, text) {
                        return Some(x);
                    }
                }
                for s in &e.stack {
                    for text in [s.label.as_deref(), s.path.as_deref()] {
                        if let Some(x) = check(Field::StackFrame, text) {
                            return Some(x);
                        }
                    }
                }
            }
        }
        None => {}
    }
    if let Some(a) = doc.aws.as_deref() {
        for (field, text) in [
            (Field::AwsOperation, a.operation.as_deref()),
            (Field::AwsTable, a.table_name.as_deref()),
            (Field::AwsQueue, a.queue_url.as_deref()),
        ] {
            if let Some(x) = check(field, text) {
                return Some(x);
            }
        }
    }
    None
}

/// Whether `hay` contains `needle_lower` (already lower-cased), ignoring case.
fn contains_ignore_case(hay: &str, needle_lower: &str) -> bool {
    if hay.is_ascii() && needle_lower.is_ascii() {
        let (h, n) = (hay.as_bytes(), needle_lower.as_bytes());
        return n.is_empty()
            || h.windows(n.len())
                .any(|w| w.iter().zip(n).all(|(a, b)| a.to_ascii_lowercase() == *b));
    }
    hay.to_lowercase().contains(needle_lower)
}

/// The first field of one document that contains `query` (case-insensitive), if any.
pub fn matches(doc: &Segment, query: &str) -> Option<Field> {
    let needle = query.to_lowercase();
    first_field(doc, |t| contains_ignore_case(t, &needle))
}

/// The nodes of a trace in the order the waterfall shows them fully expanded (roots by start
/// time, each followed by its subtree).
pub fn tree_order(trace: &Trace) -> Vec<NodeId> {
    let mut out = Vec::with_capacity(trace.nodes.len());
    let mut stack: Vec<NodeId> = trace.roots.iter().rev().copied().collect();
    while let Some(id) = stack.pop() {
        let Some(node) = trace.nodes.get(id) else {
            continue;
        };
        out.push(id);
        stack.extend(node.children.iter().rev());
    }
    out
}

/// Every entity of `trace` that mentions `query` (case-insensitive substring), in waterfall
/// order. Blank queries find nothing.
pub fn find(trace: &Trace, query: &str) -> Vec<Hit> {
    let query = query.trim();
    if query.is_empty() {
        return Vec::new();
    }
    let needle = query.to_lowercase();
    tree_order(trace)
        .into_iter()
        .filter_map(|node| {
            let doc = &trace.nodes[node].doc;
            first_field(doc, |t| contains_ignore_case(t, &needle)).map(|field| Hit { node, field })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::test_support::fixture_traces;

    #[test]
    fn ascii_and_unicode_case_folding() {
        assert!(contains_ignore_case("SELECT * FROM Orders", "from orders"));
        assert!(!contains_ignore_case("SELECT", "selects"));
        assert!(contains_ignore_case("Straße GRÜN", "grün"));
        assert!(contains_ignore_case("anything", ""));
    }

    #[test]
    fn tree_order_visits_every_node_once() {
        for t in
            fixture_traces("awsdocs-aws-xray-developer-guide/xray-api-gettingdata.md.block07.json")
        {
            let mut order = tree_order(&t);
            assert_eq!(order.len(), t.nodes.len());
            order.sort_unstable();
            order.dedup();
            assert_eq!(order.len(), t.nodes.len());
        }
    }

    const BLOCK07: &str = "awsdocs-aws-xray-developer-guide/xray-api-gettingdata.md.block07.json";

    fn doc_trace(json: &str) -> Trace {
        let doc: Segment = serde_json::from_str(json).expect("document");
        crate::engine::assemble("t", [doc])
    }

    fn fields(trace: &Trace, q: &str) -> Vec<(String, Field)> {
        find(trace, q)
            .into_iter()
            .map(|h| (trace.nodes[h.node].doc.name.clone(), h.field))
            .collect()
    }

    #[test]
    fn finds_names_annotations_http_and_aws_fields_in_a_real_trace() {
        let t = fixture_traces(BLOCK07).remove(0);
        // Table names and operations of inferred AWS segments.
        // (the subsegment that called the table and the inferred segment of the table).
        let table = fields(&t, "SCOREKEEP-USER");
        assert_eq!(table.len(), 2, "{table:?}");
        assert!(
            table
                .iter()
                .all(|x| *x == ("DynamoDB".to_owned(), Field::AwsTable))
        );
        assert!(fields(&t, "publish").contains(&("SNS".to_owned(), Field::AwsOperation)));
        // Annotation keys and values.
        assert_eq!(
            fields(&t, "userid"),
            vec![("annotations".to_owned(), Field::AnnotationKey)]
        );
        assert_eq!(
            fields(&t, "5m388"),
            vec![("annotations".to_owned(), Field::AnnotationValue)]
        );
        // The request of the entry segment.
        assert_eq!(
            fields(&t, "/api/user"),
            vec![("Scorekeep".to_owned(), Field::HttpUrl)]
        );
        assert_eq!(
            fields(&t, "chrome/59"),
            vec![("Scorekeep".to_owned(), Field::UserAgent)]
        );
        // The name wins over later fields of the same entity; order is the waterfall's.
        let order = tree_order(&t);
        let hits = find(&t, "scorekeep");
        assert!(hits.len() >= 2, "{hits:?}");
        let pos: Vec<usize> = hits
            .iter()
            .map(|h| order.iter().position(|&n| n == h.node).expect("in order"))
            .collect();
        assert!(pos.windows(2).all(|w| w[0] < w[1]), "{pos:?}");
        assert_eq!(hits[0].field, Field::Name);
        assert!(find(&t, "no such text anywhere").is_empty());
        assert!(find(&t, "   ").is_empty(), "blank finds nothing");
    }

    #[test]
    fn finds_sql_query_and_url() {
        let t = doc_trace(&crate::engine::test_support::fixture(
            "otel-collector-contrib/indepSubsegmentWithSql.txt",
        ));
        assert_eq!(find(&t, "from  customers")[0].field, Field::SqlQuery);
        assert_eq!(find(&t, "jdbc:postgresql")[0].field, Field::SqlUrl);
    }

    #[test]
    fn finds_a_cause_given_as_an_exception_id() {
        let t = doc_trace(&crate::engine::test_support::fixture(
            "otel-collector-contrib/minCauseIsExceptionId.txt",
        ));
        assert_eq!(find(&t, "ABCDEFGHIJ")[0].field, Field::Cause);
    }

    #[test]
    fn finds_exception_messages_types_and_stack_frames() {
        let t = doc_trace(
            r#"{"id":"a","name":"orders","trace_id":"t","start_time":1,"end_time":2,
               "cause":{"exceptions":[{"id":"e","message":"order 46506 not found",
               "type":"com.shop.OrderNotFoundException",
               "stack":[{"path":"OrderService.java","line":48,"label":"OrderService.find"}]}]}}"#,
        );
        assert_eq!(find(&t, "46506")[0].field, Field::ExceptionMessage);
        assert_eq!(find(&t, "notfoundexception")[0].field, Field::ExceptionType);
        assert_eq!(find(&t, "orderservice.java")[0].field, Field::StackFrame);
        assert_eq!(find(&t, "service.find")[0].field, Field::StackFrame);
        assert_eq!(matches(&t.nodes[0].doc, "ORDERS"), Some(Field::Name));
    }
}
