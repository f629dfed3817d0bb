//! Evaluation without the assembled trace: from the trace's summary and its graph
//! [`Fragment`], for the predicates those decide exactly as the trace would.
//!
//! Why: at scale the dataset keeps each trace's summary and fragment, not the trace; assembling
//! a trace again to run `service("x")` over a million traces is what this path avoids. The
//! answer must be the one [`Filter::evaluate`] gives with the trace, so only predicates whose
//! trace reading provably equals the reading here go fast (assuming the summary is
//! [`crate::engine::summarize`]'s and the fragment [`Fragment::of`]'s, for the same trace):
//!
//! - **From the fragment:** `service(ref)` and `edge(ref, ref)` without a block (the same nodes
//!   and edges as the trace's graph); `ok`, `error`, `fault`, `throttle` and `responsetime`,
//!   read on the entry segment, whose flags, progress and duration the fragment keeps;
//!   `duration` and `inferred`, which read every entity (the fragment keeps both answers).
//! - **From the summary:** `partial`; `http.status` and `http.url`/`method`/`useragent`/
//!   `clientip` (the summary's HTTP is the entry segment's); `user`, `availabilityzone`,
//!   `instance.id`, `resource.arn` and annotations (the summary lists every entity's values);
//!   root causes (read from the summary in both cases); keywords meaningless at trace level
//!   (`first`, `name`, `index`...), false both ways.
//! - **Needs the trace:** `account.id` (every entity, not only the graph's), `service`/`edge`
//!   with a block, groups.
//!
//! The predicates that need the trace count as unknown, with Kleene logic: the result is
//! returned whenever they cannot change it (`service("x") AND duration > 1` for a trace without
//! `x`), since with the trace each of them would only turn unknown into true or false.

use std::sync::{OnceLock, PoisonError, RwLock};

use super::{
    Env, EvalContext, Filter, Verdict, and3, or3, ref_matches_key, test_bool, test_num, test_strs,
};
use crate::engine::graph::{Fragment, ServiceKeys};
use crate::filter::ast::{BoolKw, Expr, NodeRef, NumKw, Op, Predicate, StrKw};
use crate::model::TraceSummary;
use crate::model::row::Row;

/// What [`Filter::evaluate_fast`] prepares once per filter: the plan, and which keys each
/// node reference matches (extended as the key table grows).
#[derive(Default)]
pub(in crate::filter) struct FastCache {
    plan: OnceLock<Plan>,
    sets: RwLock<Sets>,
}

impl Clone for FastCache {
    /// A copy prepares again.
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl std::fmt::Debug for FastCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FastCache").finish_non_exhaustive()
    }
}

/// The expression, each predicate replaced by how it is decided here.
#[derive(Debug)]
struct Plan {
    expr: Step,
    /// The node references of `service`/`edge` predicates, indexed by [`Step`].
    refs: Vec<NodeRef>,
}

#[derive(Debug)]
enum Step {
    Or(Vec<Step>),
    And(Vec<Step>),
    Not(Box<Step>),
    /// Only the trace can tell.
    NeedsTrace,
    /// Read from the summary, as [`Env`] does without a trace.
    Summary(Predicate),
    /// `partial`, read from the list row as from the summary.
    Partial(Option<(Op, bool)>),
    /// `http.status`, read from the list row as from the summary.
    HttpStatus(Op, f64),
    /// `http.url`, `http.method`, `user`, read from the list row as from the summary.
    RowStr(StrKw, Option<(Op, String)>),
    /// `ok`, `error`, `fault`, `throttle` of the entry segment.
    RootFlag(BoolKw, Option<(Op, bool)>),
    /// The entry segment's duration.
    ResponseTime(Op, f64),
    /// First start to last end of the trace's entities (kept by the fragment).
    Duration(Op, f64),
    /// Some entity is inferred (kept by the fragment).
    Inferred(Option<(Op, bool)>),
    /// `service()`: the trace has a graph node.
    AnyNode,
    /// `service(ref)`: index into [`Plan::refs`].
    Service(usize),
    /// `edge(ref, ref)`: indexes into [`Plan::refs`].
    Edge(usize, usize),
}

impl Plan {
    fn of(e: &Expr) -> Plan {
        let mut refs = Vec::new();
        let expr = node(e, &mut refs);
        Plan { expr, refs }
    }
}

fn node(e: &Expr, refs: &mut Vec<NodeRef>) -> Step {
    match e {
        Expr::Or(v) => Step::Or(v.iter().map(|x| node(x, refs)).collect()),
        Expr::And(v) => Step::And(v.iter().map(|x| node(x, refs)).collect()),
        Expr::Not(x) => Step::Not(Box::new(node(x, refs))),
        Expr::Pred(p) => pred(p, refs),
    }
}

fn push(refs: &mut Vec<NodeRef>, r: &NodeRef) -> usize {
    refs.push(r.clone());
    refs.len() - 1
}

/// How one predicate is decided; see the module documentation for why each is exact.
fn pred(p: &Predicate, refs: &mut Vec<NodeRef>) -> Step {
    let summary = || Step::Summary(p.clone());
    match p {
        Predicate::Bool { kw, test } => match kw {
            BoolKw::Ok | BoolKw::Error | BoolKw::Fault | BoolKw::Throttle => {
                Step::RootFlag(*kw, *test)
            }
            BoolKw::Inferred => Step::Inferred(*test),
            BoolKw::Partial => Step::Partial(*test),
            BoolKw::First | BoolKw::Last | BoolKw::Remote | BoolKw::Root => summary(),
        },
        Predicate::Number { kw, op, value } => match kw {
            NumKw::ResponseTime => Step::ResponseTime(*op, *value),
            NumKw::Duration => Step::Duration(*op, *value),
            NumKw::HttpStatus => Step::HttpStatus(*op, *value),
            NumKw::Index | NumKw::Coverage => summary(),
        },
        Predicate::String { kw, test } => match kw {
            StrKw::AccountId => Step::NeedsTrace,
            StrKw::HttpUrl | StrKw::HttpMethod | StrKw::User => Step::RowStr(*kw, test.clone()),
            StrKw::HttpUserAgent
            | StrKw::HttpClientIp
            | StrKw::Name
            | StrKw::Type
            | StrKw::Message
            | StrKw::AvailabilityZone
            | StrKw::InstanceId
            | StrKw::ResourceArn => summary(),
        },
        Predicate::Annotation { .. }
        | Predicate::RootCause { .. }
        | Predicate::RootCauseJson(_) => summary(),
        Predicate::Service { node, block: None } => match node {
            None => Step::AnyNode,
            Some(r) => Step::Service(push(refs, r)),
        },
        Predicate::Edge {
            from,
            to,
            block: None,
        } => {
            let f = push(refs, from);
            Step::Edge(f, push(refs, to))
        }
        Predicate::Service { block: Some(_), .. }
        | Predicate::Edge { block: Some(_), .. }
        | Predicate::Group { .. } => Step::NeedsTrace,
    }
}

/// For each reference of a plan, the ids of the keys it matches, for one key table.
#[derive(Debug, Default)]
struct Sets {
    /// [`ServiceKeys::token`] of the table (0: none yet).
    token: u64,
    /// How many of the table's keys are classified.
    len: usize,
    sets: Vec<Bits>,
}

impl Sets {
    fn is_for(&self, keys: &ServiceKeys) -> bool {
        self.token == keys.token() && self.len == keys.len()
    }

    /// Classifies the keys not seen yet (all of them, for another table).
    fn update(&mut self, refs: &[NodeRef], keys: &ServiceKeys) {
        if self.token != keys.token() {
            *self = Sets {
                token: keys.token(),
                len: 0,
                sets: vec![Bits::default(); refs.len()],
            };
        }
        for (id, key) in keys.iter().skip(self.len) {
            for (r, set) in refs.iter().zip(&mut self.sets) {
                if ref_matches_key(r, key) {
                    set.insert(id);
                }
            }
        }
        self.len = keys.len();
    }
}

/// A set of key ids.
#[derive(Debug, Clone, Default)]
struct Bits(Vec<u64>);

impl Bits {
    fn insert(&mut self, id: u32) {
        let word = id as usize / 64;
        if self.0.len() <= word {
            self.0.resize(word + 1, 0);
        }
        self.0[word] |= 1 << (id % 64);
    }

    fn contains(&self, id: u32) -> bool {
        self.0
            .get(id as usize / 64)
            .is_some_and(|w| (w >> (id % 64)) & 1 == 1)
    }

    fn is_empty(&self) -> bool {
        self.0.iter().all(|&w| w == 0)
    }
}

/// What one evaluation reads.
struct Cx<'a> {
    row: &'a Row,
    env: Option<Env<'a>>,
    frag: &'a Fragment,
    sets: &'a [Bits],
}

impl Cx<'_> {
    fn eval(&self, n: &Step) -> Option<bool> {
        match n {
            Step::Or(v) => or3(v.iter().map(|x| self.eval(x))),
            Step::And(v) => and3(v.iter().map(|x| self.eval(x))),
            Step::Not(x) => self.eval(x).map(|b| !b),
            Step::NeedsTrace => None,
            Step::Summary(p) => self.env.as_ref()?.pred(p, &mut Vec::new()),
            Step::Partial(test) => Some(test_bool(self.row.is_partial.unwrap_or(false), test)),
            Step::HttpStatus(op, value) => {
                Some(test_num(self.row.http_status.map(f64::from), *op, *value))
            }
            Step::RowStr(kw, test) => Some(match kw {
                StrKw::HttpUrl => test_strs(self.row.http_url.as_deref().into_iter(), test),
                StrKw::HttpMethod => test_strs(self.row.http_method.as_deref().into_iter(), test),
                _ => test_strs(self.row.users.iter().map(|u| &**u), test),
            }),
            Step::RootFlag(kw, test) => {
                // As `Env::bool_kw` with a trace: no entry segment, no flag.
                let v = self.frag.root().is_some_and(|r| {
                    let f = r.flags;
                    match kw {
                        BoolKw::Ok => !r.in_progress && !f.fault && !f.error && !f.throttle,
                        BoolKw::Error => f.error,
                        BoolKw::Fault => f.fault,
                        BoolKw::Throttle => f.throttle,
                        _ => false,
                    }
                });
                Some(test_bool(v, test))
            }
            Step::ResponseTime(op, value) => Some(test_num(
                self.frag.root().and_then(|r| r.duration),
                *op,
                *value,
            )),
            Step::Duration(op, value) => Some(test_num(self.frag.duration(), *op, *value)),
            Step::Inferred(test) => Some(test_bool(self.frag.any_inferred(), test)),
            Step::AnyNode => Some(self.frag.nodes().next().is_some()),
            Step::Service(i) => {
                let set = self.sets.get(*i)?;
                Some(!set.is_empty() && self.frag.nodes().any(|n| set.contains(n.key)))
            }
            Step::Edge(a, b) => {
                let (a, b) = (self.sets.get(*a)?, self.sets.get(*b)?);
                Some(
                    !a.is_empty()
                        && !b.is_empty()
                        && self
                            .frag
                            .edges()
                            .any(|(f, t)| a.contains(f) && b.contains(t)),
                )
            }
        }
    }
}

impl Filter {
    /// The verdict without the assembled trace, from its summary ([`crate::engine::summarize`])
    /// and its graph fragment ([`Fragment::of`], built with `keys`), when they decide it:
    /// `Some(v)` is exactly what [`Filter::evaluate`] gives with the trace; `None` means the
    /// trace is needed.
    ///
    /// Decided here: `service(ref)` and `edge(ref, ref)` without a block; the entry segment's
    /// `ok`/`error`/`fault`/`throttle` and `responsetime` (kept by the fragment); `partial`,
    /// `http.*`, `user`, `availabilityzone`, `instance.id`, `resource.arn`, annotations and root
    /// causes (the summary reads them as the trace would). Also `duration` and `inferred` (the
    /// fragment keeps them). Left to the trace: `account.id`, blocks of `service`/`edge`,
    /// groups; they count as unknown, so `service("x") AND account.id = "1"` is still decided
    /// for every trace without `x`.
    ///
    /// What is prepared for `keys` is kept and extended as the table grows, so evaluating many
    /// traces of one dataset costs little more than walking each fragment's nodes.
    pub fn evaluate_fast(
        &self,
        row: &Row,
        summary: Option<&TraceSummary>,
        frag: &Fragment,
        keys: &ServiceKeys,
        ctx: &EvalContext,
    ) -> Option<Verdict> {
        let plan = self.fast.plan.get_or_init(|| Plan::of(&self.expr));
        if matches!(plan.expr, Step::NeedsTrace) {
            return None;
        }
        let eval = |sets: &[Bits]| {
            Cx {
                row,
                env: summary.map(|s| Env::new(s, None, ctx)),
                frag,
                sets,
            }
            .eval(&plan.expr)
        };
        let result = if plan.refs.is_empty() {
            eval(&[])
        } else {
            let sets = self
                .fast
                .sets
                .read()
                .unwrap_or_else(PoisonError::into_inner);
            if sets.is_for(keys) {
                eval(&sets.sets)
            } else {
                drop(sets);
                let mut sets = self
                    .fast
                    .sets
                    .write()
                    .unwrap_or_else(PoisonError::into_inner);
                sets.update(&plan.refs, keys);
                eval(&sets.sets)
            }
        };
        result.map(|b| if b { Verdict::Match } else { Verdict::NoMatch })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{graph_nodes, trace_edges};
    use super::*;
    use crate::engine::dataset::Collector;
    use crate::model::Trace;

    /// Every trace of the demo and of `tests/fixtures/` (each file loaded on its own).
    fn all_traces() -> Vec<Trace> {
        let mut c = Collector::new();
        crate::source::file::load_bytes(
            "demo",
            crate::source::load::DEMO_NDJSON.as_bytes(),
            &mut |e| c.push(e),
        );
        let mut out: Vec<Trace> = c
            .finish()
            .traces
            .iter()
            .map(std::sync::Arc::unwrap_or_clone)
            .collect();
        let mut dirs = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures"
        ))];
        let mut files = Vec::new();
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).expect("fixtures") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    dirs.push(p);
                } else {
                    files.push(p);
                }
            }
        }
        files.sort();
        for f in files {
            let mut c = Collector::new();
            let _ = crate::source::file::load_path(&f.to_string_lossy(), &mut |e| c.push(e));
            out.extend(
                c.finish()
                    .traces
                    .iter()
                    .map(std::sync::Arc::unwrap_or_clone),
            );
        }
        out
    }

    #[test]
    fn fragment_nodes_and_edges_are_the_filters_graph() {
        let traces = all_traces();
        assert!(traces.len() > 380, "{} traces", traces.len());
        let mut keys = ServiceKeys::new();
        for t in &traces {
            let f = Fragment::of(t, &mut keys);
            let want: Vec<_> = graph_nodes(t)
                .into_iter()
                .map(|n| (n.key, n.inferred, n.is_root))
                .collect();
            let got: Vec<_> = f
                .nodes()
                .map(|n| (keys.get(n.key).clone(), n.inferred, n.root))
                .collect();
            assert_eq!(got, want, "nodes of {}", t.id);
            let want: Vec<_> = trace_edges(t).into_iter().map(|e| (e.from, e.to)).collect();
            let got: Vec<_> = f
                .edges()
                .map(|(a, b)| (keys.get(a).clone(), keys.get(b).clone()))
                .collect();
            assert_eq!(got, want, "edges of {}", t.id);
            let root = t.root_segment().map(|r| &t.nodes[r].doc);
            let froot = f.root();
            assert_eq!(froot.is_some(), root.is_some(), "root of {}", t.id);
            if let (Some(doc), Some(r)) = (root, froot) {
                assert_eq!(keys.get(r.key), &crate::engine::service::of_segment(doc));
                assert_eq!(r.flags, doc.flags());
                assert_eq!(r.in_progress, doc.is_in_progress());
                assert_eq!(
                    r.duration.map(f64::to_bits),
                    doc.duration().map(f64::to_bits)
                );
            }
        }
    }

    #[test]
    fn key_sets_follow_the_table_as_it_grows() {
        let traces = all_traces();
        let f = crate::filter::parse(r#"service("orders-api") OR edge("checkout", "payments")"#)
            .expect("parses");
        let ctx = EvalContext::default();
        // Fragments added to the table a few at a time, evaluated in between; and a second table.
        let mut keys = ServiceKeys::new();
        let mut other = ServiceKeys::new();
        for (i, t) in traces.iter().enumerate() {
            let s = crate::engine::summarize(t);
            let row = Row::of(&s, &mut crate::model::row::Interner::default());
            let want = f.evaluate(&s, Some(t), &ctx);
            let frag = Fragment::of(t, &mut keys);
            assert_eq!(
                f.evaluate_fast(&row, Some(&s), &frag, &keys, &ctx),
                Some(want)
            );
            if i % 7 == 0 {
                let frag = Fragment::of(t, &mut other);
                assert_eq!(f.evaluate_fast(&row, None, &frag, &other, &ctx), Some(want));
            }
        }
    }
}
