//! Property tests: printing then parsing gives the same tree, and no input makes the parser,
//! the error renderer, the completer or the evaluator panic.

use proptest::prelude::*;
use serde_json::json;
use xray_tui::filter::ast::{
    BoolKw, Expr, GroupKw, NodeRef, NumKw, Op, Predicate, RcCategory, RcLevel, Span, StrKw, Value,
};
use xray_tui::filter::{EvalContext, Filter, Vocabulary, complete, parse};
use xray_tui::model::{Group, Segment, TraceSummary};

#[derive(Clone, Copy, Debug)]
enum Sc {
    Trace,
    Node,
    Rc(RcCategory, RcLevel),
}

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        (-100_000i64..100_000).prop_map(|n| n as f64 / 1000.0),
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
        Just(0.1),
        Just(500.0),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[a-z\"\\\\ ]{0,6}", Just(String::new()),]
}

fn pick<T: Clone + std::fmt::Debug + 'static>(v: Vec<T>) -> impl Strategy<Value = T> {
    proptest::sample::select(v)
}

fn op_of(ops: &'static [Op]) -> impl Strategy<Value = Op> {
    pick(ops.to_vec())
}

fn bool_pred(kws: Vec<BoolKw>) -> BoxedStrategy<Expr> {
    (
        pick(kws),
        proptest::option::of((op_of(&Op::BOOL), any::<bool>())),
    )
        .prop_map(|(kw, test)| Expr::Pred(Predicate::Bool { kw, test }))
        .boxed()
}

fn num_pred(kws: Vec<NumKw>) -> BoxedStrategy<Expr> {
    (pick(kws), op_of(&Op::NUMBER), number())
        .prop_map(|(kw, op, value)| Expr::Pred(Predicate::Number { kw, op, value }))
        .boxed()
}

fn str_pred(kws: Vec<StrKw>) -> BoxedStrategy<Expr> {
    (
        pick(kws),
        proptest::option::of((op_of(&Op::STRING), text())),
    )
        .prop_map(|(kw, test)| Expr::Pred(Predicate::String { kw, test }))
        .boxed()
}

fn annotation() -> BoxedStrategy<Expr> {
    let key = prop_oneof!["[A-Za-z0-9_]{1,8}", "[a-z][a-z.\\- ]{0,6}"];
    let test = prop_oneof![
        Just(None),
        (
            op_of(&Op::BOOL),
            prop_oneof![
                any::<bool>().prop_map(Value::Bool),
                number().prop_map(Value::Number),
                text().prop_map(Value::String),
            ]
        )
            .prop_map(Some),
        (
            op_of(&[Op::Lt, Op::Le, Op::Gt, Op::Ge]),
            number().prop_map(Value::Number)
        )
            .prop_map(Some),
        (
            op_of(&[Op::Contains, Op::BeginsWith, Op::EndsWith]),
            text().prop_map(Value::String)
        )
            .prop_map(Some),
    ];
    (key, test)
        .prop_map(|(key, test)| Expr::Pred(Predicate::Annotation { key, test }))
        .boxed()
}

fn node_ref() -> impl Strategy<Value = NodeRef> {
    prop_oneof![
        text().prop_map(NodeRef::Name),
        (
            proptest::option::of(text()),
            proptest::option::of(text()),
            proptest::option::of("[0-9]{12}")
        )
            .prop_filter("id() needs an argument", |(a, b, c)| a.is_some()
                || b.is_some()
                || c.is_some())
            .prop_map(|(name, kind, account_id)| NodeRef::Id {
                name,
                kind,
                account_id
            }),
    ]
}

fn json_literal() -> impl Strategy<Value = serde_json::Value> {
    proptest::collection::vec(
        (text(), -1000i64..1000, any::<bool>()).prop_map(|(n, c, r)| {
            json!({"Services": [{"Name": n, "EntityPath": [{"Name": n, "Remote": r}]}], "Count": c})
        }),
        0..3,
    )
    .prop_map(serde_json::Value::Array)
}

fn leaf(sc: Sc) -> BoxedStrategy<Expr> {
    use BoolKw as B;
    use NumKw as N;
    use StrKw as S;
    match sc {
        Sc::Trace => prop_oneof![
            bool_pred(vec![
                B::Ok,
                B::Error,
                B::Throttle,
                B::Fault,
                B::Partial,
                B::Inferred
            ]),
            num_pred(vec![N::ResponseTime, N::Duration, N::HttpStatus]),
            str_pred(vec![
                S::HttpUrl,
                S::HttpMethod,
                S::HttpUserAgent,
                S::HttpClientIp,
                S::User,
                S::AvailabilityZone,
                S::InstanceId,
                S::ResourceArn,
                S::AccountId
            ]),
            annotation(),
            (pick(GroupKw::ALL.to_vec()), op_of(&Op::BOOL), text()).prop_map(|(kw, op, value)| {
                Expr::Pred(Predicate::Group {
                    kw,
                    op,
                    value,
                    span: Span::default(),
                })
            }),
            json_literal().prop_map(|v| Expr::Pred(Predicate::RootCauseJson(v))),
        ]
        .boxed(),
        Sc::Node => prop_oneof![
            bool_pred(vec![
                B::Ok,
                B::Error,
                B::Throttle,
                B::Fault,
                B::Root,
                B::Inferred
            ]),
            num_pred(vec![N::ResponseTime, N::Duration, N::HttpStatus]),
            str_pred(vec![
                S::HttpUrl,
                S::HttpMethod,
                S::HttpUserAgent,
                S::HttpClientIp,
                S::User,
                S::Name,
                S::Type,
                S::AccountId
            ]),
        ]
        .boxed(),
        Sc::Rc(cat, level) => {
            let mut nums = vec![N::Index];
            if cat == RcCategory::ResponseTime {
                nums.push(N::Coverage);
            }
            let mut strs = vec![S::Name, S::Type, S::AccountId];
            if level == RcLevel::Exception {
                strs.push(S::Message);
            }
            prop_oneof![
                bool_pred(vec![B::Remote, B::Inferred, B::First, B::Last]),
                num_pred(nums),
                str_pred(strs),
            ]
            .boxed()
        }
    }
}

fn combine(leaf: BoxedStrategy<Expr>, depth: u32) -> BoxedStrategy<Expr> {
    leaf.prop_recursive(depth, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
            proptest::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
            inner.prop_map(|e| Expr::Not(Box::new(e))),
        ]
    })
    .boxed()
}

fn block(sc: Sc) -> impl Strategy<Value = Option<Box<Expr>>> {
    proptest::option::of(combine(leaf(sc), 2).prop_map(Box::new))
}

fn complex() -> BoxedStrategy<Expr> {
    let rc = (
        pick(vec![
            RcCategory::Fault,
            RcCategory::Error,
            RcCategory::ResponseTime,
        ]),
        pick(vec![RcLevel::Service, RcLevel::Entity, RcLevel::Exception]),
    )
        .prop_filter("no response-time exceptions", |(c, l)| {
            !(*c == RcCategory::ResponseTime && *l == RcLevel::Exception)
        })
        .prop_flat_map(|(category, level)| {
            block(Sc::Rc(category, level)).prop_map(move |block| {
                Expr::Pred(Predicate::RootCause {
                    category,
                    level,
                    block,
                })
            })
        });
    prop_oneof![
        (proptest::option::of(node_ref()), block(Sc::Node))
            .prop_map(|(node, block)| Expr::Pred(Predicate::Service { node, block })),
        (node_ref(), node_ref(), block(Sc::Node))
            .prop_map(|(from, to, block)| Expr::Pred(Predicate::Edge { from, to, block })),
        rc,
    ]
    .boxed()
}

fn expr() -> BoxedStrategy<Expr> {
    combine(prop_oneof![3 => leaf(Sc::Trace), 1 => complex()].boxed(), 4)
}

/// Edits that tend to break expressions in interesting ways.
fn edit() -> impl Strategy<Value = (usize, usize, String)> {
    (
        any::<usize>(),
        0usize..4,
        prop_oneof![
            Just(String::new()),
            pick(
                [
                    "(",
                    ")",
                    "{",
                    "}",
                    "\"",
                    "\\",
                    "!",
                    "=",
                    "<",
                    ">",
                    " AND ",
                    " OR ",
                    ",",
                    ":",
                    "#[",
                    "]",
                    "[",
                    ".",
                    "-",
                    "é",
                    "annotation",
                    "service(",
                    "id(",
                    "1.",
                    "\u{0}",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect()
            ),
            any::<String>(),
        ],
    )
}

fn apply(s: &str, (at, del, ins): &(usize, usize, String)) -> String {
    let chars: Vec<char> = s.chars().collect();
    let at = if chars.is_empty() {
        0
    } else {
        at % (chars.len() + 1)
    };
    let end = (at + del).min(chars.len());
    let mut out: String = chars[..at].iter().collect();
    out.push_str(ins);
    out.extend(&chars[end..]);
    out
}

fn sample_trace() -> (TraceSummary, xray_tui::model::Trace) {
    let docs: Vec<Segment> = serde_json::from_value(json!([
        {"id":"a","name":"front","trace_id":"1-5f2aebcc-b475d14618c51eaa28753d37","start_time":1.0,"end_time":2.0,
         "http":{"request":{"url":"https://x/api","method":"GET"},"response":{"status":502}},"fault":true,"user":"u",
         "annotations":{"k":"v","n":3,"b":true},
         "subsegments":[{"id":"b","name":"DynamoDB","namespace":"aws","start_time":1.1,"end_time":1.5,"fault":true,
           "aws":{"table_name":"t"},"cause":{"exceptions":[{"id":"e","type":"Boom","message":"m"}]}}]}
    ]))
    .expect("docs");
    let t = xray_tui::engine::assemble("1-5f2aebcc-b475d14618c51eaa28753d37", docs);
    (xray_tui::engine::summarize(&t), t)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn print_then_parse_gives_the_same_tree(e in expr()) {
        let text = e.to_string();
        let back = parse(&text).map_err(|err| TestCaseError::fail(format!("{text}\n{}", err.render(&text))))?;
        prop_assert_eq!(back.expr(), &e, "printed as {}", text);
        // Normalised text is a fixed point.
        prop_assert_eq!(back.to_string(), text);
    }

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        if let Err(e) = parse(&s) {
            let _ = e.render(&s);
        }
        let v = Vocabulary::default();
        for cursor in [0, s.len() / 2, s.len(), s.len() + 3] {
            let c = complete(&s, cursor, &v);
            prop_assert!(c.replace.start <= c.replace.end && c.replace.end <= s.len());
        }
    }

    #[test]
    fn edits_of_valid_expressions_never_panic(e in expr(), edits in proptest::collection::vec(edit(), 1..4)) {
        let mut s = e.to_string();
        for ed in &edits {
            s = apply(&s, ed);
        }
        match parse(&s) {
            Ok(f) => {
                // Whatever parses prints to something that parses to the same tree.
                let again = parse(&f.to_string()).map_err(|err| TestCaseError::fail(err.to_string()))?;
                prop_assert_eq!(again, f);
            }
            Err(err) => {
                prop_assert!(err.span.start <= err.span.end && err.span.end <= s.len(), "{:?} in {:?}", err, s);
                let _ = err.render(&s);
            }
        }
        let c = complete(&s, s.len(), &Vocabulary::default());
        prop_assert!(c.replace.end <= s.len());
    }

    #[test]
    fn evaluation_never_panics(e in expr()) {
        let (summary, trace) = sample_trace();
        let groups = [Group { group_name: "g".into(), filter_expression: Some("group.name = \"g\"".into()), ..Default::default() }];
        let ctx = EvalContext { groups: &groups };
        let f = Filter::from_expr(e);
        let _ = f.evaluate(&summary, Some(&trace), &ctx);
        let _ = f.evaluate(&summary, None, &ctx);
        let _ = f.check_groups(&groups);
    }
}
