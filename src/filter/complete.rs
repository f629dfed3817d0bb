//! Completion for a filter prompt: what may come at the cursor, ranked by fuzzy match.
//!
//! Why pure and here: the TUI prompt only has to draw the list and splice the chosen text in
//! at [`Completions::replace`]; deciding what fits (a keyword, an operator that suits the
//! keyword on the left, a service name inside `service("`, an annotation key or one of its
//! values) follows the grammar, so it lives next to the parser and is tested without a UI.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;

use super::ast::{BoolKw, GroupKw, NumKw, Op, StrKw};
use super::eval::{graph_nodes, trace_edges};
use super::lexer::{Token, TokenKind, tokenize_lenient};
use super::parser::{ROOTCAUSE_KEYWORDS, Scope, keyword_allowed};
use super::print::{annotation_keyword, write_string};
use crate::engine::dataset::Dataset;
use crate::model::summary::SummaryAnnotationValue;
use crate::model::{AnnotationValue, Group, Trace, TraceSummary};

/// Sample values kept per annotation key.
const MAX_SAMPLES: usize = 20;

/// Names and values seen in the loaded data, offered as completions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vocabulary {
    /// Service-graph node names.
    pub services: Vec<String>,
    /// Node types (`AWS::Lambda::Function`, ...).
    pub service_types: Vec<String>,
    /// Edges as (caller, callee) names.
    pub edges: Vec<(String, String)>,
    /// Annotation keys, each with sample values written as literals (`"gold"`, `3`, `true`).
    pub annotations: BTreeMap<String, Vec<String>>,
    /// Users.
    pub users: Vec<String>,
    /// Group names.
    pub groups: Vec<String>,
}

fn literal(s: &str) -> String {
    let mut out = String::new();
    let _ = write_string(&mut out, s);
    out
}

fn num_literal(n: f64) -> String {
    format!("{n}")
}

impl Vocabulary {
    /// Collects names and values from summaries and full traces.
    pub fn from_data<S: std::borrow::Borrow<TraceSummary>, T: std::borrow::Borrow<Trace>>(
        summaries: impl IntoIterator<Item = S>,
        traces: impl IntoIterator<Item = T>,
    ) -> Self {
        let mut services = BTreeSet::new();
        let mut types = BTreeSet::new();
        let mut edges = BTreeSet::new();
        let mut users = BTreeSet::new();
        let mut ann: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut add_ann = |k: &str, v: String| {
            let set = ann.entry(k.to_owned()).or_default();
            if set.len() < MAX_SAMPLES {
                set.insert(v);
            }
        };
        for s in summaries {
            let s = s.borrow();
            for sid in &s.service_ids {
                services.extend(sid.name.iter().cloned());
                services.extend(sid.names.iter().cloned());
                types.extend(sid.kind.iter().cloned());
            }
            users.extend(s.users.iter().filter_map(|u| u.user_name.clone()));
            for (k, vs) in &s.annotations {
                for v in vs {
                    if let Some(l) = summary_literal(&v.annotation_value) {
                        add_ann(k, l);
                    }
                }
            }
        }
        for t in traces {
            let t = t.borrow();
            for n in graph_nodes(t) {
                services.insert(n.key.name.clone());
                if !n.key.kind.is_empty() {
                    types.insert(n.key.kind.clone());
                }
            }
            for e in trace_edges(t) {
                edges.insert((e.from.name, e.to.name));
            }
            for n in &t.nodes {
                users.extend(n.doc.user.iter().cloned());
                for (k, v) in n.doc.annotation_values() {
                    add_ann(
                        k,
                        match v {
                            AnnotationValue::String(s) => literal(s),
                            AnnotationValue::Number(n) => n.to_string(),
                            AnnotationValue::Bool(b) => b.to_string(),
                        },
                    );
                }
            }
        }
        Vocabulary {
            services: services.into_iter().collect(),
            service_types: types.into_iter().collect(),
            edges: edges.into_iter().collect(),
            annotations: ann
                .into_iter()
                .map(|(k, v)| (k, v.into_iter().collect()))
                .collect(),
            users: users.into_iter().collect(),
            groups: Vec::new(),
        }
    }

    /// The vocabulary of a dataset without assembling any trace: services, types and edges
    /// from the graph fragments, users from the rows, annotations from the kept summaries and
    /// the samples taken at load.
    pub fn from_dataset(data: &Dataset) -> Self {
        let kept: Vec<&TraceSummary> = (0..data.rows.len())
            .filter_map(|i| data.kept_summary(i).map(|s| &**s))
            .collect();
        let mut v = Self::from_data(kept, std::iter::empty::<&Trace>());
        let mut services: BTreeSet<String> = v.services.drain(..).collect();
        let mut types: BTreeSet<String> = v.service_types.drain(..).collect();
        let mut edges: BTreeSet<(String, String)> = v.edges.drain(..).collect();
        let mut users: BTreeSet<String> = v.users.drain(..).collect();
        let keys = data.traces.keys();
        for (_, k) in keys.iter() {
            services.insert(k.name.clone());
            if !k.kind.is_empty() {
                types.insert(k.kind.clone());
            }
        }
        let mut pairs: std::collections::HashSet<(u32, u32)> = std::collections::HashSet::new();
        for i in 0..data.traces.len() {
            if let Some(f) = data.traces.fragment(i) {
                pairs.extend(f.edges());
            }
        }
        for (a, b) in pairs {
            edges.insert((keys.get(a).name.clone(), keys.get(b).name.clone()));
        }
        for r in &data.rows {
            users.extend(r.users.iter().map(|u| u.to_string()));
        }
        for (k, values) in data.annotation_samples() {
            let set = v.annotations.entry(k.clone()).or_default();
            for value in values {
                if set.len() >= MAX_SAMPLES {
                    break;
                }
                if let Some(l) = summary_literal(value) {
                    if !set.contains(&l) {
                        set.push(l);
                    }
                }
            }
            set.sort();
        }
        v.services = services.into_iter().collect();
        v.service_types = types.into_iter().collect();
        v.edges = edges.into_iter().collect();
        v.users = users.into_iter().collect();
        v
    }

    /// Adds group names.
    pub fn with_groups(mut self, groups: &[Group]) -> Self {
        self.groups = groups.iter().map(|g| g.group_name.clone()).collect();
        self
    }
}

fn summary_literal(v: &SummaryAnnotationValue) -> Option<String> {
    if let Some(s) = &v.string_value {
        Some(literal(s))
    } else if let Some(n) = v.number_value {
        Some(num_literal(n))
    } else {
        v.boolean_value.map(|b| b.to_string())
    }
}

/// One completion candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Text to put in place of [`Completions::replace`], as the list shows it.
    pub text: String,
    /// A short description for the list.
    pub description: String,
    /// Inserted after `text` but not shown: what closes the argument (`)` after a service
    /// name, `, "` after an edge's caller) when the input does not close it already.
    pub append: String,
}

impl Candidate {
    /// What accepting the candidate inserts: its text and what closes it.
    pub fn insertion(&self) -> String {
        format!("{}{}", self.text, self.append)
    }
}

/// What to offer at the cursor.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Completions {
    /// Byte range of the input the chosen candidate replaces.
    pub replace: Range<usize>,
    /// Candidates, best first.
    pub candidates: Vec<Candidate>,
}

/// The known values of annotation `key` that `keep` accepts, as candidates.
fn annotation_values(vocab: &Vocabulary, key: &str, keep: impl Fn(&str) -> bool) -> Vec<Candidate> {
    vocab
        .annotations
        .get(key)
        .map(|vs| {
            vs.iter()
                .filter(|v| keep(v))
                .map(|v| cand(v.clone(), format!("value of {key}")))
                .collect()
        })
        .unwrap_or_default()
}

fn cand(text: impl Into<String>, description: impl Into<String>) -> Candidate {
    Candidate {
        text: text.into(),
        description: description.into(),
        append: String::new(),
    }
}

/// Short descriptions of keywords.
fn keyword_help(kw: &str) -> &'static str {
    match kw {
        "ok" => "response was 2XX (no error, fault or throttle)",
        "error" => "4XX client error",
        "throttle" => "429 Too Many Requests",
        "fault" => "5XX server error",
        "partial" => "trace has incomplete segments",
        "inferred" => "has inferred segments",
        "first" => "first item of the list",
        "last" => "last item of the list",
        "remote" => "root-cause entity is remote",
        "root" => "node is the trace's entry point",
        "responsetime" => "root segment response time, seconds",
        "duration" => "whole trace duration, seconds",
        "http.status" => "response status code",
        "index" => "position in the list (0-based)",
        "coverage" => "share of the root response time (0..1)",
        "http.url" => "request URL",
        "http.method" => "request method",
        "http.useragent" => "request user agent",
        "http.clientip" => "client IP address",
        "user" => "user on any segment",
        "name" => "service or exception name",
        "type" => "service type",
        "message" => "exception message",
        "availabilityzone" => "EC2 availability zone on any segment",
        "instance.id" => "EC2 instance ID on any segment",
        "resource.arn" => "resource ARN on any segment",
        "account.id" => "AWS account ID",
        "group.name" => "matches a group's filter, by name",
        "group.arn" => "matches a group's filter, by ARN",
        "service(" => "traces reaching a service: service(\"name\") { filter }",
        "edge(" => "a call between two services: edge(\"a\", \"b\") { filter }",
        "annotation." => "annotation value by key",
        "rootcause.json" => "root cause matches a JSON pattern",
        _ if kw.starts_with("rootcause.") => "root-cause list { filter }",
        _ => "",
    }
}

fn keywords_for(scope: Scope) -> Vec<Candidate> {
    let mut v = Vec::new();
    let plain = BoolKw::ALL
        .iter()
        .map(|k| k.as_str())
        .chain(NumKw::ALL.iter().map(|k| k.as_str()))
        .chain(StrKw::ALL.iter().map(|k| k.as_str()));
    for kw in plain {
        if keyword_allowed(kw, scope).is_ok() {
            v.push(cand(kw, keyword_help(kw)));
        }
    }
    if scope == Scope::Trace {
        for kw in ["service(", "edge(", "annotation."] {
            v.push(cand(kw, keyword_help(kw)));
        }
        for kw in GroupKw::ALL.iter().map(|k| k.as_str()) {
            v.push(cand(kw, keyword_help(kw)));
        }
        for kw in ROOTCAUSE_KEYWORDS.iter().copied().chain(["rootcause.json"]) {
            v.push(cand(kw, keyword_help(kw)));
        }
    }
    v
}

/// Keyword family of a word, for operator completion.
enum Family {
    Bool,
    Num,
    Str,
    Annotation(String),
    Group,
    Json,
}

fn family(word: &str) -> Option<Family> {
    let lower = word.to_ascii_lowercase();
    if BoolKw::from_lower(&lower).is_some() {
        Some(Family::Bool)
    } else if NumKw::from_lower(&lower).is_some() {
        Some(Family::Num)
    } else if StrKw::from_lower(&lower).is_some() {
        Some(Family::Str)
    } else if GroupKw::from_lower(&lower).is_some() {
        Some(Family::Group)
    } else if lower == "rootcause.json" {
        Some(Family::Json)
    } else if lower.starts_with("annotation.") {
        Some(Family::Annotation(word["annotation.".len()..].to_owned()))
    } else {
        None
    }
}

fn word_of(t: Option<&Token>) -> Option<&str> {
    match t {
        Some(Token {
            kind: TokenKind::Word(w),
            ..
        }) => Some(w),
        _ => None,
    }
}

fn op_token(t: Option<&Token>) -> Option<Op> {
    match t.map(|t| &t.kind) {
        Some(TokenKind::Eq) => Some(Op::Eq),
        Some(TokenKind::Ne) => Some(Op::Ne),
        Some(TokenKind::Lt) => Some(Op::Lt),
        Some(TokenKind::Le) => Some(Op::Le),
        Some(TokenKind::Gt) => Some(Op::Gt),
        Some(TokenKind::Ge) => Some(Op::Ge),
        Some(TokenKind::Word(w)) => match w.to_ascii_lowercase().as_str() {
            "contains" => Some(Op::Contains),
            "beginswith" => Some(Op::BeginsWith),
            "endswith" => Some(Op::EndsWith),
            _ => None,
        },
        _ => None,
    }
}

/// The key of an annotation keyword token (`annotation.k` or `annotation` + `[k]`).
fn annotation_key_before(toks: &[Token]) -> Option<String> {
    let n = toks.len();
    if let Some(Family::Annotation(k)) = word_of(toks.last()).and_then(family) {
        return Some(k);
    }
    if n >= 2 {
        if let (Some(w), Some(TokenKind::BracketKey(k))) =
            (word_of(toks.get(n - 2)), toks.last().map(|t| &t.kind))
        {
            if w.eq_ignore_ascii_case("annotation") {
                return Some(k.clone());
            }
        }
    }
    None
}

fn rank(mut cands: Vec<Candidate>, pattern: &str) -> Vec<Candidate> {
    if pattern.is_empty() {
        return cands;
    }
    let m = SkimMatcherV2::default().ignore_case();
    let mut scored: Vec<(i64, usize, Candidate)> = cands
        .drain(..)
        .enumerate()
        .filter_map(|(i, c)| m.fuzzy_match(&c.text, pattern).map(|s| (s, i, c)))
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, _, c)| c).collect()
}

/// Completions at byte `cursor` of `input` (clamped to the input).
///
/// What is offered follows the grammatical position of the cursor, worked out from the tokens
/// before it and the brackets they leave open: inside `service("` only service names (each
/// closing the call unless the input already does), after a complete argument only what
/// closes it (`)`, or `,` between an edge's two services), after a complete term the
/// connectives and what closes the open group or block, after a keyword its operators, after
/// an operator the values that fit. A word or string under the cursor is replaced whole.
pub fn complete(input: &str, cursor: usize, vocab: &Vocabulary) -> Completions {
    let mut cursor = cursor.min(input.len());
    while cursor > 0 && !input.is_char_boundary(cursor) {
        cursor -= 1;
    }
    let before = &input[..cursor];
    if let Some((start, partial)) = open_string(before) {
        // A literal closed further on is replaced through its closing quote.
        let end = cursor + closing_quote(&input[cursor..]).map_or(0, |i| i + 1);
        let toks = tokenize_lenient(&before[..start]).0;
        let cands = string_candidates(&toks, vocab, &input[end..]);
        return Completions {
            replace: start..end,
            candidates: rank_strings(cands, &partial),
        };
    }
    let b = input.as_bytes();
    let mut start = cursor;
    while start > 0 && (super::lexer::is_word_char(b[start - 1]) || b[start - 1] == b'.') {
        start -= 1;
    }
    let mut end = cursor;
    while end < b.len() && (super::lexer::is_word_char(b[end]) || b[end] == b'.') {
        end += 1;
    }
    let prefix = &before[start..];
    let toks = tokenize_lenient(&before[..start]).0;
    let cands = word_candidates(&toks, prefix, vocab, &input[end..]);
    Completions {
        replace: start..end,
        candidates: rank(cands, prefix),
    }
}

/// Ranks quoted candidates against the unquoted text typed so far: those it starts, then those
/// containing it (case-insensitive); the rest are left out.
fn rank_strings(cands: Vec<Candidate>, partial: &str) -> Vec<Candidate> {
    if partial.is_empty() {
        return cands;
    }
    let typed = partial.to_lowercase();
    let mut scored: Vec<(u8, usize, Candidate)> = cands
        .into_iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let value = c.text.trim_matches('"').to_lowercase();
            if value.starts_with(&typed) {
                Some((0, i, c))
            } else if value.contains(&typed) {
                Some((1, i, c))
            } else {
                None
            }
        })
        .collect();
    scored.sort_by_key(|(tier, i, _)| (*tier, *i));
    scored.into_iter().map(|(_, _, c)| c).collect()
}

/// If `before` ends inside a string literal: its start and the text typed so far.
fn open_string(before: &str) -> Option<(usize, String)> {
    let mut in_str: Option<(usize, String)> = None;
    let mut chars = before.char_indices();
    while let Some((i, c)) = chars.next() {
        match (&mut in_str, c) {
            (None, '"') => in_str = Some((i, String::new())),
            (Some(_), '"') => in_str = None,
            (Some((_, s)), '\\') => match chars.next() {
                Some((_, '"')) => s.push('"'),
                Some((_, '\\')) => s.push('\\'),
                Some((_, o)) => {
                    s.push('\\');
                    s.push(o);
                }
                None => {}
            },
            (Some((_, s)), c) => s.push(c),
            (None, _) => {}
        }
    }
    in_str
}

/// Where the string literal that `after` continues closes: the byte index of its quote.
fn closing_quote(after: &str) -> Option<usize> {
    let mut chars = after.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some(i),
            '\\' => {
                chars.next();
            }
            _ => {}
        }
    }
    None
}

/// A call whose parentheses hold service references or `id` arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    Service,
    Edge,
    Id,
}

/// A bracket left open before the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    /// `(` grouping terms.
    Group,
    /// `(` of a call, and how many of its arguments a comma has ended.
    Call(Call, usize),
    /// `{` of a block, and the scope inside it.
    Block(Scope),
}

/// Where the tokens before the cursor leave it: the brackets still open (innermost last),
/// and the call a final `)` closed, if it closed one.
#[derive(Debug, Default)]
struct Position {
    open: Vec<Open>,
    closed: Option<Call>,
}

impl Position {
    fn of(toks: &[Token]) -> Self {
        let mut p = Position::default();
        for (i, t) in toks.iter().enumerate() {
            p.closed = None;
            match &t.kind {
                TokenKind::LParen => {
                    let head = i.checked_sub(1).and_then(|j| word_of(toks.get(j)));
                    let call = match head.map(str::to_ascii_lowercase).as_deref() {
                        Some("service") => Some(Call::Service),
                        Some("edge") => Some(Call::Edge),
                        Some("id") => Some(Call::Id),
                        _ => None,
                    };
                    p.open.push(call.map_or(Open::Group, |c| Open::Call(c, 0)));
                }
                TokenKind::RParen => {
                    if let Some(Open::Call(c, _)) = p.open.last() {
                        p.closed = Some(*c);
                    }
                    if matches!(p.open.last(), Some(Open::Group | Open::Call(..))) {
                        p.open.pop();
                    }
                }
                TokenKind::Comma => {
                    if let Some(Open::Call(_, n)) = p.open.last_mut() {
                        *n += 1;
                    }
                }
                TokenKind::LBrace => p.open.push(Open::Block(block_scope(toks, i))),
                TokenKind::RBrace => {
                    while let Some(o) = p.open.pop() {
                        if matches!(o, Open::Block(_)) {
                            break;
                        }
                    }
                }
                _ => {}
            }
        }
        p
    }

    fn scope(&self) -> Scope {
        self.open
            .iter()
            .rev()
            .find_map(|o| match o {
                Open::Block(s) => Some(*s),
                _ => None,
            })
            .unwrap_or(Scope::Trace)
    }

    fn call(&self) -> Option<(Call, usize)> {
        match self.open.last() {
            Some(Open::Call(c, n)) => Some((*c, *n)),
            _ => None,
        }
    }
}

/// The scope inside the `{` at `toks[i]`: a rootcause block's, or a service or edge block's.
fn block_scope(toks: &[Token], i: usize) -> Scope {
    let head = i.checked_sub(1).and_then(|j| word_of(toks.get(j)));
    match head.map(str::to_ascii_lowercase) {
        Some(h) if h.starts_with("rootcause.") => {
            let mut parts = h.split('.').skip(1);
            let cat = parts.next().and_then(super::ast::RcCategory::from_lower);
            let lvl = parts.next().and_then(super::ast::RcLevel::from_lower);
            match (cat, lvl) {
                (Some(c), Some(l)) => Scope::RootCause(c, l),
                _ => Scope::Node,
            }
        }
        _ => Scope::Node,
    }
}

/// `cands` each closed by `closer` unless `rest` (the input after the replaced text) starts
/// with it already.
fn closing(mut cands: Vec<Candidate>, closer: &str, rest: &str) -> Vec<Candidate> {
    let first = closer.trim_start().chars().next();
    if first.is_some_and(|c| rest.trim_start().starts_with(c)) {
        return cands;
    }
    for c in &mut cands {
        c.append = closer.to_owned();
    }
    cands
}

fn services(vocab: &Vocabulary, desc: &str) -> Vec<Candidate> {
    vocab
        .services
        .iter()
        .map(|s| cand(literal(s), desc))
        .collect()
}

/// Quoted service names for a call's argument: `service(` names, `edge(` callers, then the
/// callees of the caller given (`from`).
fn node_names(vocab: &Vocabulary, call: Call, arg: usize, from: Option<&str>) -> Vec<Candidate> {
    match (call, arg) {
        (Call::Service, _) => services(vocab, "service"),
        (Call::Edge, 0) => {
            let mut callers: Vec<&String> = vocab.edges.iter().map(|(a, _)| a).collect();
            callers.dedup();
            if callers.is_empty() {
                services(vocab, "caller")
            } else {
                callers
                    .into_iter()
                    .map(|s| cand(literal(s), "caller"))
                    .collect()
            }
        }
        (Call::Edge, _) => {
            let to: Vec<Candidate> = from
                .map(|from| {
                    vocab
                        .edges
                        .iter()
                        .filter(|(a, _)| a == from)
                        .map(|(_, b)| cand(literal(b), format!("called by {from}")))
                        .collect()
                })
                .unwrap_or_default();
            if to.is_empty() {
                services(vocab, "callee")
            } else {
                to
            }
        }
        (Call::Id, _) => Vec::new(),
    }
}

/// The first argument of the `edge(` call open at the end of `toks`, when it is a name.
fn edge_caller(toks: &[Token]) -> Option<&str> {
    let open = toks.iter().rposition(|t| t.kind == TokenKind::LParen)?;
    match toks.get(open + 1).map(|t| &t.kind) {
        Some(TokenKind::String(s)) => Some(s),
        _ => None,
    }
}

/// What closes a service reference at `arg` of `call`: `)`, or `, "` before an edge's callee.
fn arg_closer(call: Call, arg: usize) -> &'static str {
    match (call, arg) {
        (Call::Edge, 0) => ", \"",
        _ => ")",
    }
}

/// Quoted values for the string literal being typed after `toks`.
fn string_candidates(toks: &[Token], vocab: &Vocabulary, rest: &str) -> Vec<Candidate> {
    let n = toks.len();
    let pos = Position::of(toks);
    let last = toks.last().map(|t| &t.kind);
    match (pos.call(), last) {
        // service("  edge("  edge("a", "
        (
            Some((call @ (Call::Service | Call::Edge), arg)),
            Some(TokenKind::LParen | TokenKind::Comma),
        ) => {
            let names = node_names(vocab, call, arg, edge_caller(toks));
            return closing(names, arg_closer(call, arg), rest);
        }
        // id(... name: "   /   type: "
        (Some((Call::Id, _)), Some(TokenKind::Colon)) => {
            return match n
                .checked_sub(2)
                .and_then(|i| word_of(toks.get(i)))
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                Some("name") => services(vocab, "service"),
                Some("type") => vocab
                    .service_types
                    .iter()
                    .map(|t| cand(literal(t), "service type"))
                    .collect(),
                _ => Vec::new(),
            };
        }
        _ => {}
    }
    if op_token(toks.last()).is_some() {
        let head = &toks[..n - 1];
        if let Some(key) = annotation_key_before(head) {
            return annotation_values(vocab, &key, |v| v.starts_with('"'));
        }
        return match word_of(head.last()).map(str::to_ascii_lowercase).as_deref() {
            Some("user") => vocab
                .users
                .iter()
                .map(|u| cand(literal(u), "user"))
                .collect(),
            Some("group.name") => vocab
                .groups
                .iter()
                .map(|g| cand(literal(g), "group"))
                .collect(),
            Some("name") => services(vocab, "service"),
            Some("type") => vocab
                .service_types
                .iter()
                .map(|t| cand(literal(t), "service type"))
                .collect(),
            _ => Vec::new(),
        };
    }
    Vec::new()
}

/// What may come inside a call's parentheses after `toks` (which end inside it).
fn call_candidates(
    toks: &[Token],
    call: Call,
    arg: usize,
    vocab: &Vocabulary,
    rest: &str,
) -> Vec<Candidate> {
    let last = toks.last().map(|t| &t.kind);
    let id = || cand("id(", "pick nodes by name:, type:, account.id:");
    match (call, last) {
        (Call::Service | Call::Edge, Some(TokenKind::LParen | TokenKind::Comma)) => {
            let mut out = closing(
                node_names(vocab, call, arg, edge_caller(toks)),
                arg_closer(call, arg),
                rest,
            );
            out.push(id());
            if call == Call::Service && matches!(last, Some(TokenKind::LParen)) {
                out.push(cand(")", "any node: service() { filter }"));
            }
            out
        }
        // After a complete reference: what ends it.
        (Call::Service, Some(TokenKind::String(_) | TokenKind::RParen)) => {
            vec![cand(")", "close service(...)")]
        }
        (Call::Edge, Some(TokenKind::String(_) | TokenKind::RParen)) if arg == 0 => {
            vec![cand(",", "then the service called")]
        }
        (Call::Edge, Some(TokenKind::String(_) | TokenKind::RParen)) => {
            vec![cand(")", "close edge(...)")]
        }
        (Call::Id, Some(TokenKind::LParen | TokenKind::Comma)) => {
            let given: Vec<String> = toks
                .iter()
                .rev()
                .take_while(|t| t.kind != TokenKind::LParen)
                .filter_map(|t| word_of(Some(t)).map(str::to_ascii_lowercase))
                .collect();
            [
                ("name:", "node name"),
                ("type:", "node type"),
                ("account.id:", "AWS account ID"),
            ]
            .into_iter()
            .filter(|(a, _)| {
                !given
                    .iter()
                    .any(|g| a.starts_with(g.as_str()) && a.len() == g.len() + 1)
            })
            .map(|(a, d)| cand(a, d))
            .collect()
        }
        (Call::Id, Some(TokenKind::Colon)) => string_candidates(toks, vocab, rest),
        (Call::Id, Some(TokenKind::String(_))) => {
            vec![cand(",", "another argument"), cand(")", "close id(...)")]
        }
        _ => Vec::new(),
    }
}

fn ops_for(ops: &[Op]) -> Vec<Candidate> {
    ops.iter()
        .map(|o| {
            let d = match o {
                Op::Eq => "equals",
                Op::Ne => "differs",
                Op::Lt => "less than",
                Op::Le => "at most",
                Op::Gt => "greater than",
                Op::Ge => "at least",
                Op::Contains => "contains text",
                Op::BeginsWith => "starts with text",
                Op::EndsWith => "ends with text",
            };
            cand(o.as_str(), d)
        })
        .collect()
}

fn connectives() -> Vec<Candidate> {
    vec![cand("AND", "both must hold"), cand("OR", "either may hold")]
}

fn word_candidates(toks: &[Token], prefix: &str, vocab: &Vocabulary, rest: &str) -> Vec<Candidate> {
    let pos = Position::of(toks);
    let scope = pos.scope();
    let lower = prefix.to_ascii_lowercase();
    if let Some((call, arg)) = pos.call() {
        return call_candidates(toks, call, arg, vocab, rest);
    }
    if lower.starts_with("annotation.") && scope == Scope::Trace {
        return vocab
            .annotations
            .iter()
            .map(|(k, vs)| {
                let sample = vs.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
                cand(annotation_keyword(k), format!("annotation, e.g. {sample}"))
            })
            .collect();
    }
    let n = toks.len();
    // After an operator: values.
    if let Some(op) = op_token(toks.last()) {
        let head = &toks[..n - 1];
        if let Some(key) = annotation_key_before(head) {
            return annotation_values(vocab, &key, |v| !op.is_ordering() || !v.starts_with('"'));
        }
        if let Some(Family::Bool) = word_of(head.last()).and_then(family) {
            return vec![cand("true", "boolean"), cand("false", "boolean")];
        }
        return Vec::new();
    }
    // `id(... name:` outside a call is not a position anything fits.
    if matches!(
        toks.last().map(|t| &t.kind),
        Some(TokenKind::Colon | TokenKind::Comma)
    ) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let after_keyword = word_of(toks.last())
        .and_then(family)
        .or_else(|| annotation_key_before(toks).map(Family::Annotation));
    match after_keyword {
        Some(Family::Bool) => out.extend(ops_for(&Op::BOOL)),
        Some(Family::Num) => out.extend(ops_for(&Op::NUMBER)),
        Some(Family::Str) => out.extend(ops_for(&Op::STRING)),
        Some(Family::Annotation(_)) => out.extend(ops_for(&Op::ALL)),
        Some(Family::Group) => out.extend(ops_for(&Op::BOOL)),
        Some(Family::Json) => out.push(cand("= #[", "JSON root-cause pattern")),
        None => {}
    }
    let complete_term = matches!(
        toks.last().map(|t| &t.kind),
        Some(
            TokenKind::String(_)
                | TokenKind::Number(_)
                | TokenKind::RParen
                | TokenKind::RBrace
                | TokenKind::Json(_)
        )
    ) || matches!(
        after_keyword,
        Some(Family::Bool | Family::Str | Family::Annotation(_))
    ) || word_of(toks.last()).is_some_and(|w| {
        let w = w.to_ascii_lowercase();
        w == "true" || w == "false" || w.starts_with("rootcause.")
    });
    let must_operate = matches!(
        after_keyword,
        Some(Family::Num | Family::Group | Family::Json)
    );
    if complete_term && !must_operate {
        // A service or edge just closed takes a block; a rootcause keyword too.
        let opens_block = matches!(pos.closed, Some(Call::Service | Call::Edge))
            || word_of(toks.last()).is_some_and(|w| {
                w.to_ascii_lowercase().starts_with("rootcause.")
                    && !w.eq_ignore_ascii_case("rootcause.json")
            });
        if opens_block && scope == Scope::Trace {
            out.push(cand("{", "a filter on its segments: { fault }"));
        }
        match pos.open.last() {
            Some(Open::Block(_)) => out.push(cand("}", "close the block")),
            Some(Open::Group) => out.push(cand(")", "close the group")),
            _ => {}
        }
        out.extend(connectives());
    }
    if !must_operate {
        out.extend(keywords_for(scope));
    }
    out
}
