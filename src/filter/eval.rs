//! Evaluation of a filter over one trace, with X-Ray's semantics as far as AWS documents them.
//!
//! Why here and not in the UI: files and the local daemon have no X-Ray service to run
//! `GetTraceSummaries` filters, so the app evaluates them itself, over a full trace when it has
//! one and over the summary alone otherwise. Readings chosen where AWS is silent or contested
//! (each has a test named after it):
//!
//! - **Trace scope** reads the root segment (`ok`, `error`, `fault`, `throttle`,
//!   `responsetime`, `http.*`); `duration`, `partial`, `inferred` read every entity; `user`,
//!   `availabilityzone`, `instance.id`, `resource.arn`, `account.id` and annotations are "some
//!   entity has a matching value".
//! - **Flags** come from `fault`/`error`/`throttle` on the document, or, when absent, from the
//!   HTTP status (5XX fault, 4XX error, 429 error and throttle). `ok` is "complete and no flag"
//!   (contested 1; the alternative "status is 2XX" is one line away in `doc_flags`).
//!   `throttle` reads the root like the others (contested 2).
//! - **Missing values**: any comparison with an absent field is false, `!=` included
//!   (contested 4); only `!` turns it into true.
//! - **Multi-valued fields**: true when some value passes; `!=` is "some value differs".
//! - **Annotations** compare by type: a number literal only meets number values. A bare
//!   boolean annotation yields its value and `!` negates it (contested 9).
//! - **Blocks** hold when at least one node, edge or root-cause item satisfies them. An edge
//!   block holds when the caller's call subsegment or the callee's segment satisfies it.
//! - **Summary only** (no trace): what the summary holds is used (its flags, HTTP, times,
//!   annotations, users, service IDs, root causes). What it cannot tell (a `service`/`edge`
//!   block, whether an edge exists, `inferred`) is [`Verdict::Unknown`]; `matches` keeps only
//!   certain matches, [`Filter::evaluate`] tells the three apart.
//! - **Root causes** come from the summary's lists in both cases.
//! - **Without the trace** ([`Filter::evaluate_fast`]): the summary and the trace's graph
//!   fragment decide what they can exactly as the trace would; the rest falls back to it.

use serde_json::Value as Json;

use super::Filter;
use super::ast::{
    BoolKw, Expr, GroupKw, NodeRef, NumKw, Op, Predicate, RcCategory, RcLevel, StrKw, Value,
};
use super::error::{FilterError, closest};
use crate::engine::dataset::Dataset;
use crate::engine::service::{self, ServiceKey};
use crate::model::rootcause::{PathEntity, RootCauseKind, RootCausePath};
use crate::model::summary::SummaryAnnotationValue;
use crate::model::{AnnotationValue, Group, Segment, Trace, TraceSummary};

mod fast;
pub(super) use fast::FastCache;

/// What evaluation can see besides the trace: the groups `group.name` refers to.
#[derive(Debug, Clone, Copy, Default)]
pub struct EvalContext<'a> {
    /// Known groups (from the config, `groups.json` or `GetGroups`).
    pub groups: &'a [Group],
}

/// The outcome of evaluating a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The trace satisfies the filter.
    Match,
    /// The trace does not satisfy the filter.
    NoMatch,
    /// The data at hand (a summary without its trace) cannot decide.
    Unknown,
}

/// How deep group references may nest before evaluation gives up.
const MAX_GROUP_DEPTH: usize = 16;

impl Filter {
    /// True when the trace certainly satisfies the filter.
    pub fn matches(
        &self,
        summary: &TraceSummary,
        trace: Option<&Trace>,
        ctx: &EvalContext,
    ) -> bool {
        self.evaluate(summary, trace, ctx) == Verdict::Match
    }

    /// Match, no match, or unknown (summary-only data that cannot decide).
    pub fn evaluate(
        &self,
        summary: &TraceSummary,
        trace: Option<&Trace>,
        ctx: &EvalContext,
    ) -> Verdict {
        let env = Env::new(summary, trace, ctx);
        let mut stack = Vec::new();
        match env.eval(self.expr(), &mut stack) {
            Some(true) => Verdict::Match,
            Some(false) => Verdict::NoMatch,
            None => Verdict::Unknown,
        }
    }

    /// The verdict on every row of `data`, in row order (see [`Filter::verdict_at`]).
    pub fn verdicts(&self, data: &Dataset, ctx: &EvalContext) -> Vec<Verdict> {
        (0..data.rows.len())
            .map(|i| self.verdict_at(data, i, ctx))
            .collect()
    }

    /// The verdict on row `index` of `data`: from the row, its kept summary and its trace's
    /// graph fragment where they decide ([`Filter::evaluate_fast`]); otherwise with the trace,
    /// assembled for its turn ([`Filter::evaluate`]). A row without a trace is judged on its
    /// summary.
    pub fn verdict_at(&self, data: &Dataset, index: usize, ctx: &EvalContext) -> Verdict {
        self.cheap_verdict_at(data, index, ctx, true)
            .unwrap_or(Verdict::NoMatch)
    }

    /// The verdict on row `index` when it costs no parsing: the fast path, or the full
    /// evaluation when the trace is kept assembled or there is none. `None` when the trace
    /// would have to be parsed again (ask [`Filter::verdict_at`], off the UI thread).
    pub fn quick_verdict_at(
        &self,
        data: &Dataset,
        index: usize,
        ctx: &EvalContext,
    ) -> Option<Verdict> {
        self.cheap_verdict_at(data, index, ctx, false)
    }

    fn cheap_verdict_at(
        &self,
        data: &Dataset,
        i: usize,
        ctx: &EvalContext,
        parse: bool,
    ) -> Option<Verdict> {
        let row = data.rows.get(i)?;
        let kept = data.kept_summary(i);
        let at = data.traces.position(&row.id);
        if let Some(frag) = at.and_then(|t| data.traces.fragment(t)) {
            if let Some(v) =
                self.evaluate_fast(row, kept.map(|s| &**s), frag, data.traces.keys(), ctx)
            {
                return Some(v);
            }
        }
        if !parse && at.is_some_and(|t| data.traces.is_stored(t)) {
            return None;
        }
        let trace = at.and_then(|t| data.traces.build(t));
        let summary = match (kept, &trace) {
            (Some(s), _) => s.clone(),
            (None, Some(t)) => std::sync::Arc::new(crate::engine::summarize(t)),
            (None, None) => return Some(Verdict::NoMatch),
        };
        Some(self.evaluate(&summary, trace.as_deref(), ctx))
    }

    /// Checks every `group.name`/`group.arn` reference against the known groups: unknown
    /// groups, group filters that do not parse, and groups that refer to each other in a loop.
    pub fn check_groups(&self, groups: &[Group]) -> Result<(), FilterError> {
        check_groups_in(self.expr(), groups, &mut Vec::new())
    }
}

fn find_group<'g>(groups: &'g [Group], kw: GroupKw, value: &str) -> Option<&'g Group> {
    groups.iter().find(|g| match kw {
        GroupKw::Name => g.group_name == value,
        GroupKw::Arn => g.group_arn.as_deref() == Some(value),
    })
}

fn check_groups_in(
    expr: &Expr,
    groups: &[Group],
    stack: &mut Vec<String>,
) -> Result<(), FilterError> {
    let mut result = Ok(());
    expr.visit_predicates(&mut |p| {
        if result.is_err() {
            return;
        }
        let Predicate::Group {
            kw, value, span, ..
        } = p
        else {
            return;
        };
        let Some(g) = find_group(groups, *kw, value) else {
            let e = FilterError::new(format!("unknown group `{value}`"), span.0.clone());
            let names = groups.iter().map(|g| match kw {
                GroupKw::Name => g.group_name.as_str(),
                GroupKw::Arn => g.group_arn.as_deref().unwrap_or(""),
            });
            result = Err(match closest(value, names) {
                Some(s) => e.with_suggestion(s),
                None => e,
            });
            return;
        };
        if stack.contains(&g.group_name) {
            result = Err(FilterError::new(
                format!(
                    "group `{}` refers back to itself through {}",
                    g.group_name,
                    stack.join(" -> ")
                ),
                span.0.clone(),
            ));
            return;
        }
        let Some(text) = g
            .filter_expression
            .as_deref()
            .filter(|t| !t.trim().is_empty())
        else {
            return;
        };
        match super::parse(text) {
            Ok(inner) => {
                stack.push(g.group_name.clone());
                result = check_groups_in(inner.expr(), groups, stack);
                stack.pop();
            }
            Err(e) => {
                result = Err(FilterError::new(
                    format!("the filter of group `{}` does not parse: {e}", g.group_name),
                    span.0.clone(),
                ));
            }
        }
    });
    result
}

/// Three-valued AND/OR (Kleene).
fn and3(items: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut unknown = false;
    for v in items {
        match v {
            Some(false) => return Some(false),
            None => unknown = true,
            Some(true) => {}
        }
    }
    if unknown { None } else { Some(true) }
}

fn or3(items: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut unknown = false;
    for v in items {
        match v {
            Some(true) => return Some(true),
            None => unknown = true,
            Some(false) => {}
        }
    }
    if unknown { None } else { Some(false) }
}

fn cmp_num(v: f64, op: Op, lit: f64) -> bool {
    match op {
        Op::Eq => v == lit,
        Op::Ne => v != lit,
        Op::Lt => v < lit,
        Op::Le => v <= lit,
        Op::Gt => v > lit,
        Op::Ge => v >= lit,
        _ => false,
    }
}

fn cmp_str(v: &str, op: Op, lit: &str) -> bool {
    match op {
        Op::Eq => v == lit,
        Op::Ne => v != lit,
        Op::Contains => v.contains(lit),
        Op::BeginsWith => v.starts_with(lit),
        Op::EndsWith => v.ends_with(lit),
        _ => false,
    }
}

/// A string keyword over the values a field has (0, 1 or many): bare = "some value is set".
fn test_strs<'v>(mut values: impl Iterator<Item = &'v str>, test: &Option<(Op, String)>) -> bool {
    match test {
        None => values.next().is_some(),
        Some((op, lit)) => values.any(|v| cmp_str(v, *op, lit)),
    }
}

fn test_num(v: Option<f64>, op: Op, lit: f64) -> bool {
    v.is_some_and(|v| cmp_num(v, op, lit))
}

fn test_bool(v: bool, test: &Option<(Op, bool)>) -> bool {
    match test {
        None => v,
        Some((Op::Ne, b)) => v != *b,
        Some((_, b)) => v == *b,
    }
}

/// `(fault, error, throttle, ok)` of one document.
pub(crate) fn doc_flags(doc: &Segment) -> (bool, bool, bool, bool) {
    // One rule for the whole engine: the flags, or the HTTP status when no flag is set.
    let f = doc.flags();
    let (fault, error, throttle) = (f.fault, f.error, f.throttle);
    let ok = !doc.is_in_progress() && !fault && !error && !throttle;
    // Contested reading "ok = status 2XX": let ok = matches!(status, Some(200..=299));
    (fault, error, throttle, ok)
}

/// An annotation value, from a document or a summary.
#[derive(Clone, Copy)]
enum Ann<'a> {
    Str(&'a str),
    Num(f64),
    Bool(bool),
}

impl<'a> Ann<'a> {
    fn of_doc(v: &'a AnnotationValue) -> Option<Self> {
        match v {
            AnnotationValue::String(s) => Some(Ann::Str(s)),
            AnnotationValue::Number(n) => n.as_f64().map(Ann::Num),
            AnnotationValue::Bool(b) => Some(Ann::Bool(*b)),
        }
    }
    fn of_summary(v: &'a SummaryAnnotationValue) -> Option<Self> {
        if let Some(s) = &v.string_value {
            Some(Ann::Str(s))
        } else if let Some(n) = v.number_value {
            Some(Ann::Num(n))
        } else {
            v.boolean_value.map(Ann::Bool)
        }
    }
    fn passes(self, test: &Option<(Op, Value)>) -> bool {
        match (test, self) {
            (None, Ann::Bool(b)) => b,
            (None, _) => true,
            (Some((op, Value::String(l))), Ann::Str(v)) => cmp_str(v, *op, l),
            (Some((op, Value::Number(l))), Ann::Num(v)) => cmp_num(v, *op, *l),
            (Some((Op::Eq, Value::Bool(l))), Ann::Bool(v)) => v == *l,
            (Some((Op::Ne, Value::Bool(l))), Ann::Bool(v)) => v != *l,
            _ => false,
        }
    }
}

/// A service-graph node of a trace, as seen by a `service`/`edge` block.
pub(crate) struct NodeItem<'a> {
    /// Name, type, account.
    pub key: ServiceKey,
    /// The document the block reads.
    pub doc: &'a Segment,
    /// The trace's entry segment.
    pub is_root: bool,
    /// An inferred node (inferred segment or a call with no segment under it).
    pub inferred: bool,
}

/// An edge of a trace: caller, callee, the call subsegment and the callee's segment.
pub(crate) struct EdgeItem<'a> {
    /// The calling service.
    pub from: ServiceKey,
    /// The called service.
    pub to: ServiceKey,
    /// The caller's subsegment for the call (or the parent segment).
    pub call: &'a Segment,
    /// The callee's own segment, when it sent or was given one.
    pub callee: Option<&'a Segment>,
}

/// The graph nodes of a trace: every segment, plus every resource known only through the
/// calls into it (the same nodes the service map draws, see [`service::calls`]).
pub(crate) fn graph_nodes(trace: &Trace) -> Vec<NodeItem<'_>> {
    let root = trace.root_segment();
    let mut out: Vec<NodeItem<'_>> = trace
        .segment_nodes()
        .map(|(id, node)| NodeItem {
            key: service::of_segment(&node.doc),
            doc: &node.doc,
            is_root: Some(id) == root,
            inferred: node.doc.is_inferred(),
        })
        .collect();
    for call in service::calls(trace) {
        if call.inferred_target {
            out.push(NodeItem {
                key: call.to,
                doc: &trace.nodes[call.measured_on].doc,
                is_root: false,
                inferred: true,
            });
        }
    }
    out
}

/// The edges of a trace, exactly those of its service map (see [`service::calls`]); the
/// client -> root edge is not included.
pub(crate) fn trace_edges(trace: &Trace) -> Vec<EdgeItem<'_>> {
    service::calls(trace)
        .into_iter()
        .map(|c| EdgeItem {
            from: c.from,
            to: c.to,
            call: &trace.nodes[c.measured_on].doc,
            callee: c.callee.map(|id| &trace.nodes[id].doc),
        })
        .collect()
}

fn ref_matches(
    r: &NodeRef,
    name: Option<&str>,
    names: &[String],
    kind: Option<&str>,
    account: Option<&str>,
) -> bool {
    let name_ok = |n: &str| name == Some(n) || names.iter().any(|x| x == n);
    match r {
        NodeRef::Name(n) => name_ok(n),
        NodeRef::Id {
            name: n,
            kind: k,
            account_id: a,
        } => {
            n.as_deref().is_none_or(name_ok)
                && k.as_deref().is_none_or(|k| kind == Some(k))
                && a.as_deref().is_none_or(|a| account == Some(a))
        }
    }
}

fn key_matches(r: &Option<NodeRef>, k: &ServiceKey) -> bool {
    r.as_ref().is_none_or(|r| ref_matches_key(r, k))
}

fn ref_matches_key(r: &NodeRef, k: &ServiceKey) -> bool {
    ref_matches(
        r,
        Some(&k.name),
        &[],
        Some(&k.kind).filter(|s| !s.is_empty()).map(String::as_str),
        k.account_id.as_deref(),
    )
}

/// One item of a root-cause list, as a rootcause block sees it.
struct RcItem<'a> {
    name: Option<&'a str>,
    names: &'a [String],
    kind: Option<&'a str>,
    account_id: Option<&'a str>,
    message: Option<&'a str>,
    remote: bool,
    inferred: bool,
    coverage: Option<f64>,
    index: usize,
    len: usize,
}

/// The items a rootcause block tests at `level`, from one path (faults, errors and response
/// time alike: entities of a response-time path carry their coverage, failures their
/// exceptions).
fn path_items<'a>(p: &RootCausePath<'a>, level: RcLevel) -> Vec<RcItem<'a>> {
    let mut v = Vec::new();
    for s in &p.services {
        let last = s.last_entity();
        let base = RcItem {
            name: s.name,
            names: s.names,
            kind: s.kind,
            account_id: s.account_id,
            message: None,
            remote: last.is_some_and(|e| e.remote),
            inferred: s.inferred,
            coverage: last.and_then(|e| e.coverage),
            index: 0,
            len: 0,
        };
        let entity = |e: &PathEntity<'a>| RcItem {
            name: e.name,
            names: &[],
            remote: e.remote,
            coverage: e.coverage,
            ..base
        };
        match level {
            RcLevel::Service => v.push(base),
            // A response-time path has no exceptions: its exception level is its entities.
            RcLevel::Exception if p.kind != RootCauseKind::ResponseTime => {
                for e in &s.entities {
                    for x in e.exceptions {
                        v.push(RcItem {
                            name: x.name.as_deref(),
                            message: x.message.as_deref(),
                            ..entity(e)
                        });
                    }
                }
            }
            RcLevel::Entity | RcLevel::Exception => v.extend(s.entities.iter().map(entity)),
        }
    }
    number(v)
}

/// Sets `index` (0-based) and `len` for `first`/`last`/`index`.
fn number(mut v: Vec<RcItem<'_>>) -> Vec<RcItem<'_>> {
    let len = v.len();
    for (i, it) in v.iter_mut().enumerate() {
        it.index = i;
        it.len = len;
    }
    v
}

fn eval_rc(e: &Expr, it: &RcItem) -> bool {
    match e {
        Expr::Or(v) => v.iter().any(|x| eval_rc(x, it)),
        Expr::And(v) => v.iter().all(|x| eval_rc(x, it)),
        Expr::Not(x) => !eval_rc(x, it),
        Expr::Pred(p) => match p {
            Predicate::Bool { kw, test } => {
                let v = match kw {
                    BoolKw::Remote => it.remote,
                    BoolKw::Inferred => it.inferred,
                    BoolKw::First => it.index == 0,
                    BoolKw::Last => it.index + 1 == it.len,
                    _ => false,
                };
                test_bool(v, test)
            }
            Predicate::Number { kw, op, value } => {
                let v = match kw {
                    NumKw::Index => Some(it.index as f64),
                    NumKw::Coverage => it.coverage,
                    _ => None,
                };
                test_num(v, *op, *value)
            }
            Predicate::String { kw, test } => match kw {
                StrKw::Name => test_strs(
                    it.name.into_iter().chain(
                        it.names
                            .iter()
                            .map(String::as_str)
                            .filter(|n| Some(*n) != it.name),
                    ),
                    test,
                ),
                StrKw::Type => test_strs(it.kind.into_iter(), test),
                StrKw::AccountId => test_strs(it.account_id.into_iter(), test),
                StrKw::Message => test_strs(it.message.into_iter(), test),
                _ => false,
            },
            _ => false,
        },
    }
}

fn eval_node(e: &Expr, it: &NodeItem) -> bool {
    match e {
        Expr::Or(v) => v.iter().any(|x| eval_node(x, it)),
        Expr::And(v) => v.iter().all(|x| eval_node(x, it)),
        Expr::Not(x) => !eval_node(x, it),
        Expr::Pred(p) => match p {
            Predicate::Bool { kw, test } => {
                let (fault, error, throttle, ok) = doc_flags(it.doc);
                let v = match kw {
                    BoolKw::Ok => ok,
                    BoolKw::Error => error,
                    BoolKw::Fault => fault,
                    BoolKw::Throttle => throttle,
                    BoolKw::Root => it.is_root,
                    BoolKw::Inferred => it.inferred,
                    BoolKw::Partial => it.doc.is_in_progress(),
                    _ => false,
                };
                test_bool(v, test)
            }
            Predicate::Number { kw, op, value } => {
                let v = match kw {
                    NumKw::ResponseTime | NumKw::Duration => it.doc.duration(),
                    NumKw::HttpStatus => it.doc.http_status().map(f64::from),
                    _ => None,
                };
                test_num(v, *op, *value)
            }
            Predicate::String { kw, test } => match kw {
                StrKw::Name => test_strs(std::iter::once(it.key.name.as_str()), test),
                StrKw::Type => test_strs(
                    Some(it.key.kind.as_str())
                        .filter(|k| !k.is_empty())
                        .into_iter(),
                    test,
                ),
                StrKw::AccountId => test_strs(
                    it.key
                        .account_id
                        .as_deref()
                        .or_else(|| it.doc.aws.as_ref().and_then(|a| a.account_id.as_deref()))
                        .into_iter(),
                    test,
                ),
                StrKw::User => test_strs(it.doc.user.as_deref().into_iter(), test),
                kw => test_strs(doc_http_field(it.doc, *kw).into_iter(), test),
            },
            _ => false,
        },
    }
}

fn doc_http_field(doc: &Segment, kw: StrKw) -> Option<&str> {
    let req = doc.http.as_ref()?.request.as_ref()?;
    match kw {
        StrKw::HttpUrl => req.url.as_deref(),
        StrKw::HttpMethod => req.method.as_deref(),
        StrKw::HttpUserAgent => req.user_agent.as_deref(),
        StrKw::HttpClientIp => req.client_ip.as_deref(),
        _ => None,
    }
}

/// Subset match for `rootcause.json`: objects match when every field given matches (missing
/// fields are wildcards); arrays match element by element, same length, same order.
pub(crate) fn json_subset(pattern: &Json, value: &Json) -> bool {
    match (pattern, value) {
        (Json::Object(p), Json::Object(v)) => p
            .iter()
            .all(|(k, pv)| v.get(k).is_some_and(|vv| json_subset(pv, vv))),
        (Json::Array(p), Json::Array(v)) => {
            // Alternative reading (pattern items as a subsequence) would go here.
            p.len() == v.len() && p.iter().zip(v).all(|(a, b)| json_subset(a, b))
        }
        (Json::Number(a), Json::Number(b)) => a.as_f64() == b.as_f64(),
        (a, b) => a == b,
    }
}

struct Env<'a> {
    summary: &'a TraceSummary,
    trace: Option<&'a Trace>,
    ctx: &'a EvalContext<'a>,
    root: Option<&'a Segment>,
}

impl<'a> Env<'a> {
    fn new(summary: &'a TraceSummary, trace: Option<&'a Trace>, ctx: &'a EvalContext<'a>) -> Self {
        let root = trace.and_then(|t| t.root_segment().map(|r| &t.nodes[r].doc));
        Env {
            summary,
            trace,
            ctx,
            root,
        }
    }

    fn eval(&self, e: &Expr, stack: &mut Vec<String>) -> Option<bool> {
        match e {
            Expr::Or(v) => or3(v.iter().map(|x| self.eval(x, stack))),
            Expr::And(v) => and3(v.iter().map(|x| self.eval(x, stack))),
            Expr::Not(x) => self.eval(x, stack).map(|b| !b),
            Expr::Pred(p) => self.pred(p, stack),
        }
    }

    fn pred(&self, p: &Predicate, stack: &mut Vec<String>) -> Option<bool> {
        match p {
            Predicate::Bool { kw, test } => self.bool_kw(*kw).map(|v| test_bool(v, test)),
            Predicate::Number { kw, op, value } => Some(test_num(self.num_kw(*kw), *op, *value)),
            Predicate::String { kw, test } => Some(self.str_kw(*kw, test)),
            Predicate::Annotation { key, test } => Some(self.annotation(key, test)),
            Predicate::Service { node, block } => self.service(node, block.as_deref()),
            Predicate::Edge { from, to, block } => self.edge(from, to, block.as_deref()),
            Predicate::RootCause {
                category,
                level,
                block,
            } => Some(self.rootcause(*category, *level, block.as_deref())),
            Predicate::RootCauseJson(v) => Some(self.rootcause_json(v)),
            Predicate::Group { kw, op, value, .. } => self.group(*kw, *op, value, stack),
        }
    }

    fn bool_kw(&self, kw: BoolKw) -> Option<bool> {
        let s = self.summary;
        match (self.trace, kw) {
            (Some(t), BoolKw::Partial) => Some(
                t.nodes
                    .iter()
                    .any(|n| n.doc.is_in_progress() || n.is_orphan()),
            ),
            (Some(t), BoolKw::Inferred) => Some(t.nodes.iter().any(|n| n.doc.is_inferred())),
            (Some(_), kw) => {
                let Some(root) = self.root else {
                    return Some(false);
                };
                let (fault, error, throttle, ok) = doc_flags(root);
                Some(match kw {
                    BoolKw::Ok => ok,
                    BoolKw::Error => error,
                    BoolKw::Fault => fault,
                    BoolKw::Throttle => throttle,
                    _ => false,
                })
            }
            (None, BoolKw::Partial) => Some(s.is_partial.unwrap_or(false)),
            (None, BoolKw::Inferred) => None,
            (None, BoolKw::Ok) => {
                Some(!s.has_fault && !s.has_error && !s.has_throttle && s.is_partial != Some(true))
            }
            (None, BoolKw::Error) => Some(s.has_error),
            (None, BoolKw::Fault) => Some(s.has_fault),
            (None, BoolKw::Throttle) => Some(s.has_throttle),
            (None, _) => Some(false),
        }
    }

    fn num_kw(&self, kw: NumKw) -> Option<f64> {
        match (self.trace, kw) {
            (Some(_), NumKw::ResponseTime) => self.root.and_then(Segment::duration),
            (Some(_), NumKw::HttpStatus) => self.root.and_then(Segment::http_status).map(f64::from),
            (Some(t), NumKw::Duration) => {
                let start = t.nodes.iter().map(|n| n.doc.start_time).reduce(f64::min)?;
                let end = t
                    .nodes
                    .iter()
                    .filter_map(|n| n.doc.end_time)
                    .reduce(f64::max)?;
                Some(end - start)
            }
            (None, NumKw::ResponseTime) => self.summary.response_time,
            (None, NumKw::Duration) => self.summary.duration,
            (None, NumKw::HttpStatus) => self
                .summary
                .http
                .as_ref()
                .and_then(|h| h.http_status)
                .map(f64::from),
            _ => None,
        }
    }

    fn str_kw(&self, kw: StrKw, test: &Option<(Op, String)>) -> bool {
        let s = self.summary;
        if let Some(t) = self.trace {
            let docs = || t.nodes.iter().map(|n| &n.doc);
            let ec2 = |d: &'a Segment| d.aws.as_ref().and_then(|a| a.ec2.as_ref());
            return match kw {
                StrKw::User => test_strs(docs().filter_map(|d| d.user.as_deref()), test),
                StrKw::AvailabilityZone => test_strs(
                    docs().filter_map(|d| ec2(d).and_then(|e| e.availability_zone.as_deref())),
                    test,
                ),
                StrKw::InstanceId => test_strs(
                    docs().filter_map(|d| ec2(d).and_then(|e| e.instance_id.as_deref())),
                    test,
                ),
                StrKw::ResourceArn => {
                    test_strs(docs().filter_map(|d| d.resource_arn.as_deref()), test)
                }
                StrKw::AccountId => test_strs(
                    docs().filter_map(|d| d.aws.as_ref().and_then(|a| a.account_id.as_deref())),
                    test,
                ),
                kw => test_strs(
                    self.root.and_then(|r| doc_http_field(r, kw)).into_iter(),
                    test,
                ),
            };
        }
        let http = s.http.as_ref();
        match kw {
            StrKw::HttpUrl => test_strs(http.and_then(|h| h.http_url.as_deref()).into_iter(), test),
            StrKw::HttpMethod => test_strs(
                http.and_then(|h| h.http_method.as_deref()).into_iter(),
                test,
            ),
            StrKw::HttpUserAgent => {
                test_strs(http.and_then(|h| h.user_agent.as_deref()).into_iter(), test)
            }
            StrKw::HttpClientIp => {
                test_strs(http.and_then(|h| h.client_ip.as_deref()).into_iter(), test)
            }
            StrKw::User => test_strs(s.users.iter().filter_map(|u| u.user_name.as_deref()), test),
            StrKw::AvailabilityZone => test_strs(
                s.availability_zones
                    .iter()
                    .filter_map(|z| z.name.as_deref()),
                test,
            ),
            StrKw::InstanceId => {
                test_strs(s.instance_ids.iter().filter_map(|i| i.id.as_deref()), test)
            }
            StrKw::ResourceArn => test_strs(
                s.resource_arns.iter().filter_map(|a| a.arn.as_deref()),
                test,
            ),
            StrKw::AccountId => test_strs(
                s.service_ids.iter().filter_map(|i| i.account_id.as_deref()),
                test,
            ),
            _ => false,
        }
    }

    fn annotation(&self, key: &str, test: &Option<(Op, Value)>) -> bool {
        match self.trace {
            Some(t) => t.nodes.iter().any(|n| {
                n.doc
                    .annotations
                    .as_ref()
                    .and_then(|m| m.get(key))
                    .and_then(Ann::of_doc)
                    .is_some_and(|a| a.passes(test))
            }),
            None => self.summary.annotations.get(key).is_some_and(|vs| {
                vs.iter()
                    .filter_map(|v| Ann::of_summary(&v.annotation_value))
                    .any(|a| a.passes(test))
            }),
        }
    }

    fn service(&self, node: &Option<NodeRef>, block: Option<&Expr>) -> Option<bool> {
        if let Some(t) = self.trace {
            return Some(
                graph_nodes(t)
                    .iter()
                    .any(|n| key_matches(node, &n.key) && block.is_none_or(|b| eval_node(b, n))),
            );
        }
        let present = self.summary.service_ids.iter().any(|sid| {
            node.as_ref().is_none_or(|r| {
                ref_matches(
                    r,
                    sid.name.as_deref(),
                    &sid.names,
                    sid.kind.as_deref(),
                    sid.account_id.as_deref(),
                )
            })
        });
        match (present, block) {
            (false, _) => Some(false),
            (true, None) => Some(true),
            (true, Some(_)) => None,
        }
    }

    fn edge(&self, from: &NodeRef, to: &NodeRef, block: Option<&Expr>) -> Option<bool> {
        if let Some(t) = self.trace {
            let (f, tt) = (Some(from.clone()), Some(to.clone()));
            return Some(trace_edges(t).iter().any(|e| {
                key_matches(&f, &e.from)
                    && key_matches(&tt, &e.to)
                    && block.is_none_or(|b| {
                        let side = |doc| NodeItem {
                            key: e.to.clone(),
                            doc,
                            is_root: false,
                            inferred: e.callee.is_none_or(Segment::is_inferred),
                        };
                        eval_node(b, &side(e.call))
                            || e.callee.is_some_and(|c| eval_node(b, &side(c)))
                    })
            }));
        }
        let has = |r: &NodeRef| {
            self.summary.service_ids.iter().any(|sid| {
                ref_matches(
                    r,
                    sid.name.as_deref(),
                    &sid.names,
                    sid.kind.as_deref(),
                    sid.account_id.as_deref(),
                )
            })
        };
        if has(from) && has(to) {
            None
        } else {
            Some(false)
        }
    }

    fn rootcause(&self, cat: RcCategory, level: RcLevel, block: Option<&Expr>) -> bool {
        let kind = match cat {
            RcCategory::Fault => RootCauseKind::Fault,
            RcCategory::Error => RootCauseKind::Error,
            RcCategory::ResponseTime => RootCauseKind::ResponseTime,
        };
        RootCausePath::of(self.summary, kind).iter().any(|p| {
            path_items(p, level)
                .iter()
                .any(|it| block.is_none_or(|b| eval_rc(b, it)))
        })
    }

    fn rootcause_json(&self, pattern: &Json) -> bool {
        let s = self.summary;
        let causes: Vec<Json> = s
            .fault_root_causes
            .iter()
            .chain(&s.error_root_causes)
            .filter_map(|rc| serde_json::to_value(rc).ok())
            .chain(
                s.response_time_root_causes
                    .iter()
                    .filter_map(|rc| serde_json::to_value(rc).ok()),
            )
            .collect();
        match pattern {
            Json::Array(items) => items
                .iter()
                .all(|p| causes.iter().any(|c| json_subset(p, c))),
            p => causes.iter().any(|c| json_subset(p, c)),
        }
    }

    fn group(&self, kw: GroupKw, op: Op, value: &str, stack: &mut Vec<String>) -> Option<bool> {
        let g = find_group(self.ctx.groups, kw, value)?;
        if stack.contains(&g.group_name) || stack.len() >= MAX_GROUP_DEPTH {
            return None;
        }
        let inner = match g
            .filter_expression
            .as_deref()
            .filter(|t| !t.trim().is_empty())
        {
            None => Some(true),
            Some(text) => {
                let f = super::parse(text).ok()?;
                stack.push(g.group_name.clone());
                let r = self.eval(f.expr(), stack);
                stack.pop();
                r
            }
        };
        inner.map(|b| if op == Op::Ne { !b } else { b })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kleene_logic() {
        assert_eq!(and3([Some(true), None].into_iter()), None);
        assert_eq!(and3([Some(false), None].into_iter()), Some(false));
        assert_eq!(or3([Some(true), None].into_iter()), Some(true));
        assert_eq!(or3([Some(false), None].into_iter()), None);
    }
}
