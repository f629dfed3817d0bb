//! Parsing, normalised printing and error reporting of filter expressions.
//!
//! Documented examples come from the AWS X-Ray Developer Guide filter page (revisions F16-F23
//! in research/filter-spec.md) and the AWS CLI `get-group` example; tests of rules AWS does
//! not state are named `*_inferred`, `*_unverified` or after the contested reading chosen.

use xray_tui::filter::ast::{BoolKw, Expr, NumKw, Op, Predicate, StrKw, Value};
use xray_tui::filter::{FilterError, parse};

/// Parses `input`, checks the normalised text, and checks the text parses to the same tree.
#[track_caller]
fn norm(input: &str, expected: &str) {
    let f = parse(input).unwrap_or_else(|e| panic!("{input:?} failed:\n{}", e.render(input)));
    let printed = f.to_string();
    assert_eq!(printed, expected, "normalised form of {input:?}");
    let again = parse(&printed).unwrap_or_else(|e| panic!("reparse of {printed:?}: {e}"));
    assert_eq!(again, f, "round trip of {input:?}");
}

#[track_caller]
fn err(input: &str) -> FilterError {
    match parse(input) {
        Ok(f) => panic!("{input:?} parsed as {f}"),
        Err(e) => e,
    }
}

#[track_caller]
fn err_is(input: &str, message_part: &str, span: std::ops::Range<usize>, suggestion: Option<&str>) {
    let e = err(input);
    assert!(
        e.message.contains(message_part),
        "{input:?}: message {:?} lacks {message_part:?}",
        e.message
    );
    assert_eq!(e.span, span, "{input:?}: span of {:?}", e.message);
    assert_eq!(e.suggestion.as_deref(), suggestion, "{input:?}: suggestion");
}

fn ok_kw() -> Expr {
    Expr::Pred(Predicate::Bool {
        kw: BoolKw::Ok,
        test: None,
    })
}
fn kw(k: BoolKw) -> Expr {
    Expr::Pred(Predicate::Bool { kw: k, test: None })
}

#[test]
fn documented_examples_parse_and_normalise() {
    // (as published, normalised)
    let table: &[(&str, &str)] = &[
        ("responsetime > 5", "responsetime > 5"),
        (
            "duration >= 5 AND duration <= 8",
            "duration >= 5 AND duration <= 8",
        ),
        ("ok", "ok"),
        ("!ok", "!ok"),
        ("ok = false", "ok = false"),
        ("http.status != 200", "http.status != 200"),
        (
            "ok !partial duration <3",
            "ok AND !partial AND duration < 3",
        ),
        (
            "http.url CONTAINS \"/api/game/\"",
            "http.url CONTAINS \"/api/game/\"",
        ),
        ("user CONTAINS \"\"", "user CONTAINS \"\""),
        (
            "service(\"api.example.com\") { fault }",
            "service(\"api.example.com\") { fault }",
        ),
        ("service() { fault }", "service() { fault }"),
        (
            "edge(\"api.example.com\", \"backend.example.com\") { error }",
            "edge(\"api.example.com\", \"backend.example.com\") { error }",
        ),
        (
            "http.url BEGINSWITH \"http://api.example.com/\" AND http.url CONTAINS \"/v2/\" AND !service(\"api.example.com\")",
            "http.url BEGINSWITH \"http://api.example.com/\" AND http.url CONTAINS \"/v2/\" AND !service(\"api.example.com\")",
        ),
        (
            "http.url AND responseTime > 2",
            "http.url AND responsetime > 2",
        ),
        (
            "annotation.gameid = \"817DL6VO\"",
            "annotation.gameid = \"817DL6VO\"",
        ),
        ("annotation.age", "annotation.age"),
        ("!annotation.age", "!annotation.age"),
        ("annotation.age > 29", "annotation.age > 29"),
        (
            "group.name = \"high_response_time\" AND user = \"alice\"",
            "group.name = \"high_response_time\" AND user = \"alice\"",
        ),
        (
            "rootcause.json = #[{ \"Services\": [ { \"Name\": \"GetWeatherData\", \"EntityPath\": [{ \"Name\": \"GetWeatherData\" }, { \"Name\": \"get_temperature\" } ] }, { \"Name\": \"GetTemperature\", \"EntityPath\": [ { \"Name\": \"GetTemperature\" } ] } ] }]",
            "rootcause.json = #[{\"Services\":[{\"Name\":\"GetWeatherData\",\"EntityPath\":[{\"Name\":\"GetWeatherData\"},{\"Name\":\"get_temperature\"}]},{\"Name\":\"GetTemperature\",\"EntityPath\":[{\"Name\":\"GetTemperature\"}]}]}]",
        ),
        (
            "rootcause.fault.entity { last and name = \"deserialize\" }",
            "rootcause.fault.entity { last AND name = \"deserialize\" }",
        ),
        (
            "rootcause.responsetime.entity { remote and coverage > 0.7 and name = \"traces\" }",
            "rootcause.responsetime.entity { remote AND coverage > 0.7 AND name = \"traces\" }",
        ),
        (
            "rootcause.fault.service { inferred and name = traces and type = \"AWS::DynamoDB\" }",
            "rootcause.fault.service { inferred AND name = \"traces\" AND type = \"AWS::DynamoDB\" }",
        ),
        (
            "service(\"data-plane\") {root = true and fault = true}",
            "service(\"data-plane\") { root = true AND fault = true }",
        ),
        (
            "rootcause.fault.service { index > 5 }",
            "rootcause.fault.service { index > 5 }",
        ),
        (
            "rootcause.responsetime.entity { last and coverage > 0.8 }",
            "rootcause.responsetime.entity { last AND coverage > 0.8 }",
        ),
        (
            "rootcause.fault.service { name = \"Auth\" }",
            "rootcause.fault.service { name = \"Auth\" }",
        ),
        (
            "rootcause.responsetime.service { last and type = \"AWS::DynamoDB\" }",
            "rootcause.responsetime.service { last AND type = \"AWS::DynamoDB\" }",
        ),
        // Published without its closing brace (see the error test below); here with it.
        (
            "rootcause.fault.exception { last and message = \"Access Denied for account_id: 1234567890\" }",
            "rootcause.fault.exception { last AND message = \"Access Denied for account_id: 1234567890\" }",
        ),
        (
            "service(id(name: \"service-name\", type:\"service::type\")) { fault }",
            "service(id(name: \"service-name\", type: \"service::type\")) { fault }",
        ),
        (
            "edge(id(name: \"service-one\", type:\"service::type\"), id(name: \"service-two\", type:\"service::type\")) { error }",
            "edge(id(name: \"service-one\", type: \"service::type\"), id(name: \"service-two\", type: \"service::type\")) { error }",
        ),
        (
            "service(\"random-name\") { error }",
            "service(\"random-name\") { error }",
        ),
        (
            "service(id(name: \"random-name\", type: \"AWS::Lambda::Function\")) { error }",
            "service(id(name: \"random-name\", type: \"AWS::Lambda::Function\")) { error }",
        ),
        (
            "service(id(type: \"AWS::Lambda::Function\")) { error }",
            "service(id(type: \"AWS::Lambda::Function\")) { error }",
        ),
    ];
    for (input, expected) in table {
        norm(input, expected);
    }
}

#[test]
fn aws_cli_group_fixture_filter_parses() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/public/aws-cli-examples/get-group.rst.output01.json"
    ))
    .expect("fixture");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    let expr = v["Group"][0]["FilterExpression"].as_str().expect("filter");
    assert_eq!(expr, "service(\"mydomain.com\") {fault OR error}");
    norm(expr, "service(\"mydomain.com\") { fault OR error }");
}

#[test]
fn published_exception_example_without_closing_brace_is_an_error() {
    let input = "rootcause.fault.exception { last and message = \"Access Denied for account_id: 1234567890\" ";
    err_is(input, "never closed", 26..27, None);
}

#[test]
fn and_binds_tighter_than_or_inferred() {
    let f = parse("ok OR fault AND error").expect("parses");
    assert_eq!(
        f.expr(),
        &Expr::Or(vec![
            ok_kw(),
            Expr::And(vec![kw(BoolKw::Fault), kw(BoolKw::Error)])
        ])
    );
    norm("ok OR fault AND error", "ok OR fault AND error");
    norm("(ok OR fault) AND error", "(ok OR fault) AND error");
}

#[test]
fn juxtaposition_means_and_and_binds_like_and() {
    let a = parse("ok fault OR error").expect("parses");
    let b = parse("ok AND fault OR error").expect("parses");
    assert_eq!(a, b);
    assert!(matches!(a.expr(), Expr::Or(v) if matches!(v[0], Expr::And(_))));
}

#[test]
fn negation_binds_tightest() {
    let f = parse("!ok AND fault").expect("parses");
    assert_eq!(
        f.expr(),
        &Expr::And(vec![Expr::Not(Box::new(ok_kw())), kw(BoolKw::Fault)])
    );
    let g = parse("!(ok AND fault)").expect("parses");
    assert!(matches!(g.expr(), Expr::Not(_)));
    norm("!(ok AND fault)", "!(ok AND fault)");
    norm("!(ok OR fault)", "!(ok OR fault)");
    // `!` applies to the whole comparison, not to the keyword.
    let h = parse("!responsetime > 5").expect("parses");
    assert!(
        matches!(h.expr(), Expr::Not(p) if matches!(**p, Expr::Pred(Predicate::Number { .. })))
    );
}

#[test]
fn parentheses_that_change_grouping_are_kept_and_redundant_ones_dropped() {
    norm("((ok))", "ok");
    norm("(ok AND fault) AND error", "(ok AND fault) AND error");
    norm("ok OR (fault OR error)", "ok OR (fault OR error)");
    norm("(ok) OR (fault AND error)", "ok OR fault AND error");
    norm("!(!ok)", "!(!ok)");
}

#[test]
fn keywords_connectives_and_operators_are_case_insensitive_inferred() {
    norm("RESPONSETIME > 5", "responsetime > 5");
    norm("ok and fault Or error", "ok AND fault OR error");
    norm("http.url contains \"x\"", "http.url CONTAINS \"x\"");
    norm("http.url BeginsWith \"x\"", "http.url BEGINSWITH \"x\"");
    norm("OK = TRUE", "ok = true");
    norm("Service(\"A\") { Fault }", "service(\"A\") { fault }");
}

#[test]
fn string_values_and_annotation_keys_keep_their_case() {
    norm("user = \"Alice\"", "user = \"Alice\"");
    norm("ANNOTATION.GameId = \"X\"", "annotation.GameId = \"X\"");
    let f = parse("ANNOTATION.GameId").expect("parses");
    assert!(matches!(f.expr(), Expr::Pred(Predicate::Annotation { key, .. }) if key == "GameId"));
}

#[test]
fn string_escapes_quote_and_backslash_inferred() {
    let f = parse(r#"user = "a\"b\\c""#).expect("parses");
    assert_eq!(
        f.expr(),
        &Expr::Pred(Predicate::String {
            kw: StrKw::User,
            test: Some((Op::Eq, "a\"b\\c".to_owned()))
        })
    );
    norm(r#"user = "a\"b\\c""#, r#"user = "a\"b\\c""#);
}

#[test]
fn unknown_escapes_stay_verbatim_inferred() {
    let f = parse(r#"user = "a\nb""#).expect("parses");
    assert_eq!(
        f.expr(),
        &Expr::Pred(Predicate::String {
            kw: StrKw::User,
            test: Some((Op::Eq, "a\\nb".to_owned()))
        })
    );
    // Printed with the backslash escaped, which reads back as the same two characters.
    norm(r#"user = "a\nb""#, r#"user = "a\\nb""#);
}

#[test]
fn strings_are_utf8_verbatim_and_may_be_empty() {
    norm("user = \"café ☕ 日本\"", "user = \"café ☕ 日本\"");
    norm("user = \"\"", "user = \"\"");
    norm("user = \"  spaced  \"", "user = \"  spaced  \"");
}

#[test]
fn whitespace_is_optional_around_punctuation_and_operators() {
    norm("duration<3", "duration < 3");
    norm("service(\"a\"){fault}", "service(\"a\") { fault }");
    norm(
        "service(id(name:\"a\",type:\"b\"))",
        "service(id(name: \"a\", type: \"b\"))",
    );
    norm("ok\tAND\r\nfault", "ok AND fault");
}

#[test]
fn numbers_are_seconds_without_exponent_or_unit_inferred() {
    norm("responsetime > 0.1", "responsetime > 0.1");
    norm("responsetime > 2.50", "responsetime > 2.5");
    norm("http.status = -1", "http.status = -1");
    err_is("duration < 3s", "not a number", 11..13, None);
    err_is("duration < 1e3", "not a number", 11..14, None);
    err_is("duration < .5", "unexpected character", 11..12, None);
    err_is("duration < 5.", "not a number", 11..13, None);
}

#[test]
fn id_arguments_print_in_canonical_order() {
    norm(
        "service(id(account.id: \"1\", type: \"t\", name: \"n\"))",
        "service(id(name: \"n\", type: \"t\", account.id: \"1\"))",
    );
}

#[test]
fn annotation_bracket_form_for_dotted_keys_unverified() {
    norm("annotation[my.key] = 5", "annotation[my.key] = 5");
    norm("annotation[plain] = 5", "annotation.plain = 5");
    err_is(
        "annotation.my.key = 5",
        "need brackets",
        0..17,
        Some("annotation[my.key]"),
    );
}

#[test]
fn annotation_literal_types() {
    let cases: &[(&str, Value)] = &[
        ("annotation.a = 5", Value::Number(5.0)),
        ("annotation.a = \"5\"", Value::String("5".into())),
        ("annotation.a = true", Value::Bool(true)),
        ("annotation.a = FALSE", Value::Bool(false)),
    ];
    for (input, v) in cases {
        let f = parse(input).expect("parses");
        match f.expr() {
            Expr::Pred(Predicate::Annotation {
                test: Some((_, got)),
                ..
            }) => assert_eq!(got, v),
            other => panic!("{input}: {other:?}"),
        }
    }
    err_is(
        "annotation.a CONTAINS 5",
        "quoted string",
        22..23,
        Some("\"5\""),
    );
    err_is(
        "annotation.a > \"x\"",
        "compares with a number",
        15..18,
        None,
    );
}

/// Issue 15 item 8: an annotation may hold a number, so a number after any comparison
/// operator type-checks; a missing value names all three kinds, not only a quoted string.
#[test]
fn annotation_numbers_compare_with_numbers() {
    for (input, op, n) in [
        ("annotation.retries > 2", Op::Gt, 2.0),
        ("annotation.retries = 3", Op::Eq, 3.0),
        ("annotation.retries != -1.5", Op::Ne, -1.5),
        ("annotation[retries] <= 10", Op::Le, 10.0),
    ] {
        let f = parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        match f.expr() {
            Expr::Pred(Predicate::Annotation {
                key,
                test: Some((got_op, Value::Number(got))),
            }) => assert_eq!((key.as_str(), *got_op, *got), ("retries", op, n), "{input}"),
            other => panic!("{input}: {other:?}"),
        }
    }
    for input in ["annotation.retries = ", "annotation.retries != AND ok"] {
        let e = err(input);
        assert!(
            e.message
                .contains("a quoted string, a number, true or false"),
            "{input:?}: {}",
            e.message
        );
    }
    err_is(
        "annotation.retries = ",
        "expected a value after `=`",
        20..20,
        None,
    );
    err_is(
        "annotation.retries > ",
        "expected a number after `>`",
        21..21,
        None,
    );
}

#[test]
fn bare_word_value_is_accepted_with_a_warning_contested() {
    let f = parse("rootcause.fault.service { name = traces }").expect("parses");
    assert_eq!(f.warnings().len(), 1);
    let w = &f.warnings()[0];
    assert_eq!(w.span, 33..39);
    assert_eq!(w.suggestion.as_deref(), Some("\"traces\""));
    assert!(
        parse("user = \"alice\"")
            .expect("parses")
            .warnings()
            .is_empty()
    );
    // Connectives are never bare values.
    err_is("user = and", "expected a quoted string", 7..10, None);
}

#[test]
fn quoted_boolean_is_rejected_inferred() {
    err_is("ok = \"false\"", "without quotes", 5..12, Some("false"));
}

#[test]
fn unknown_keywords_get_the_nearest_real_one() {
    err_is(
        "responstime > 5",
        "unknown keyword `responstime`",
        0..11,
        Some("responsetime"),
    );
    err_is(
        "http.statuscode = 500",
        "unknown keyword",
        0..15,
        Some("http.status"),
    );
    err_is(
        "fault.count > 1",
        "no counts or rates",
        0..11,
        Some("fault"),
    );
    err_is(
        "error.rate > 0.1",
        "no counts or rates",
        0..10,
        Some("error"),
    );
    err_is(
        "throttle.count > 0",
        "no counts or rates",
        0..14,
        Some("throttle"),
    );
    err_is("annotatoin.x", "unknown keyword", 0..12, Some("annotation"));
    err_is(
        "rootcause.fualt.service",
        "unknown keyword",
        0..23,
        Some("rootcause.fault.service"),
    );
    err_is("zzzzzz", "unknown keyword", 0..6, None);
}

#[test]
fn rejected_operator_spellings_suggest_the_real_one_inferred() {
    err_is("NOT ok", "negate with `!`", 0..3, Some("!"));
    err_is("ok && fault", "not a connective", 3..5, Some("AND"));
    err_is("ok || fault", "not a connective", 3..5, Some("OR"));
    err_is("http.status == 200", "not an operator", 12..14, Some("="));
    err_is("http.status <> 200", "not an operator", 12..14, Some("!="));
    err_is("http.status => 200", "not an operator", 12..14, Some(">="));
    err_is("http.url LIKE \"x\"", "LIKE", 9..13, Some("CONTAINS"));
    err_is("http.status IN 200", "IN", 12..14, Some("OR"));
    err_is("duration BETWEEN 1", "BETWEEN", 9..16, None);
    err_is("!!ok", "`!!`", 0..2, None);
}

#[test]
fn operator_must_fit_the_keyword_type() {
    err_is(
        "responsetime CONTAINS \"5\"",
        "it takes =, !=, <, <=, >, >=",
        13..21,
        None,
    );
    err_is(
        "http.url > 5",
        "it takes =, !=, CONTAINS, BEGINSWITH, ENDSWITH",
        9..10,
        None,
    );
    err_is("ok > 1", "boolean keyword", 0..4, None);
    err_is("responsetime", "needs a comparison", 0..12, None);
    err_is("responsetime > \"5\"", "not a string", 15..18, Some("5"));
    err_is("http.method = 5", "quoted string", 14..15, Some("\"5\""));
    err_is("ok = 1", "true or false", 5..6, None);
    err_is(
        "group.name CONTAINS \"x\"",
        "takes `=` or `!=`",
        11..19,
        None,
    );
    err_is("rootcause.json = 5", "JSON literal", 17..18, None);
}

#[test]
fn scoped_keywords_only_in_their_blocks_inferred() {
    err_is("root", "inside service", 0..4, None);
    err_is("first", "rootcause block", 0..5, None);
    err_is("index > 1", "rootcause block", 0..5, None);
    err_is("service() { first }", "rootcause block", 12..17, None);
    err_is(
        "rootcause.fault.service { fault }",
        "cannot be used in a rootcause block",
        26..31,
        None,
    );
    err_is("service() { partial }", "trace-level keyword", 12..19, None);
    norm(
        "service() { root AND name = \"a\" }",
        "service() { root AND name = \"a\" }",
    );
}

#[test]
fn name_at_trace_scope_is_rejected_inferred() {
    err_is(
        "name = \"x\"",
        "inside a service, edge or rootcause block",
        0..4,
        None,
    );
}

#[test]
fn coverage_only_in_responsetime_root_causes_contested() {
    err_is(
        "rootcause.fault.entity { coverage > 0.5 }",
        "rootcause.responsetime",
        25..33,
        None,
    );
    norm(
        "rootcause.responsetime.service { coverage > 0.5 }",
        "rootcause.responsetime.service { coverage > 0.5 }",
    );
}

#[test]
fn message_only_in_exception_root_causes_inferred() {
    err_is(
        "rootcause.fault.entity { message = \"x\" }",
        "exception",
        25..32,
        None,
    );
    err_is(
        "rootcause.responsetime.exception",
        "no exceptions",
        0..32,
        Some("rootcause.responsetime.entity"),
    );
}

#[test]
fn complex_keywords_do_not_nest_inferred() {
    err_is(
        "service(\"a\") { service(\"b\") }",
        "do not nest",
        15..22,
        None,
    );
    err_is(
        "service(\"a\") { group.name = \"g\" }",
        "do not nest",
        15..25,
        None,
    );
}

#[test]
fn annotation_inside_service_block_is_rejected_per_stored_docs_unverified() {
    err_is(
        "service(\"a\") { annotation.x = 1 }",
        "annotations cannot be used inside",
        15..27,
        None,
    );
}

#[test]
fn service_without_parentheses_is_rejected_unverified() {
    err_is(
        "service { fault }",
        "needs parentheses",
        0..7,
        Some("service()"),
    );
}

#[test]
fn node_references() {
    err_is("edge(\"a\") { fault }", "needs two services", 8..9, None);
    err_is("id(name: \"x\")", "inside service", 0..2, None);
    err_is("service(id())", "at least one", 8..12, None);
    err_is(
        "service(id(name: \"a\", name: \"b\"))",
        "given twice",
        22..26,
        None,
    );
    err_is(
        "service(id(nmae: \"a\"))",
        "not an id() argument",
        11..15,
        Some("name"),
    );
    err_is("service(api)", "quoted", 8..11, Some("\"api\""));
    err_is("service(id(name: api))", "quoted", 17..20, Some("\"api\""));
}

#[test]
fn unbalanced_parentheses_and_braces_point_at_the_unmatched_one() {
    err_is("(ok AND fault", "never closed", 0..1, None);
    err_is("ok AND (fault OR (error)", "never closed", 7..8, None);
    err_is("ok AND fault)", "unmatched `)`", 12..13, None);
    err_is("service(\"a\") { fault", "never closed", 13..14, None);
    err_is("ok }", "unmatched `}`", 3..4, None);
    err_is("service(\"a\"", "never closed", 7..8, None);
    err_is("()", "empty parentheses", 0..2, None);
    err_is("service() { }", "empty block", 10..13, None);
}

#[test]
fn dangling_connectives() {
    err_is("ok AND", "expected a filter after AND", 3..6, None);
    err_is("ok and", "expected a filter after AND", 3..6, None);
    err_is("ok OR", "expected a filter after OR", 3..5, None);
    err_is("ok AND OR fault", "expected a filter after AND", 3..6, None);
    err_is("AND ok", "expected a filter before AND", 0..3, None);
    err_is("(ok AND)", "expected a filter after AND", 4..7, None);
    err_is("!", "expected a filter after `!`", 0..1, None);
}

#[test]
fn lexical_errors() {
    err_is("user = 'alice'", "single quotes", 7..8, Some("\""));
    err_is("user = \"alice", "never closed", 7..13, None);
    err_is("ok @ fault", "unexpected character `@`", 3..4, None);
    err_is("ok é", "unexpected character `é`", 3..5, None);
    err_is(
        "rootcause.json = #[{\"a\": }]",
        "invalid JSON",
        17..27,
        None,
    );
    err_is(
        "rootcause.json = #[{\"a\": 1}",
        "never closed",
        17..19,
        None,
    );
    err_is("annotation[key", "never closed", 10..11, None);
}

#[test]
fn stray_values_and_tokens() {
    err_is("5", "needs a keyword", 0..1, None);
    err_is("\"x\"", "needs a keyword", 0..3, None);
    err_is("ok \"x\"", "unexpected a string", 3..6, None);
    err_is("= 5", "expected a keyword before `=`", 0..1, None);
    err_is("true", "needs a keyword", 0..4, None);
}

#[test]
fn empty_input_is_an_error_inferred() {
    err_is("", "empty filter", 0..0, None);
    err_is("   ", "empty filter", 0..3, None);
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let deep = format!("{}ok{}", "(".repeat(200), ")".repeat(200));
    let e = err(&deep);
    assert!(e.message.contains("nested more than"), "{}", e.message);
    let fine = format!("{}ok{}", "(".repeat(50), ")".repeat(50));
    norm(&fine, "ok");
}

#[test]
fn number_keyword_variants() {
    let f = parse("http.status >= 500").expect("parses");
    assert_eq!(
        f.expr(),
        &Expr::Pred(Predicate::Number {
            kw: NumKw::HttpStatus,
            op: Op::Ge,
            value: 500.0
        })
    );
}

#[test]
fn render_draws_the_line_a_caret_and_the_suggestion() {
    let input = "responstime > 5";
    let e = err(input);
    assert_eq!(
        e.render(input),
        "responstime > 5\n^^^^^^^^^^^\nunknown keyword `responstime`; did you mean `responsetime`?"
    );
    let input = "ok AND";
    assert_eq!(
        err(input).render(input),
        "ok AND\n   ^^^\nexpected a filter after AND"
    );
}

#[test]
fn render_handles_multiline_unicode_and_end_of_input() {
    let input = "user = \"é\"\nAND fault.count > 1";
    let r = err(input).render(input);
    assert_eq!(
        r,
        "AND fault.count > 1\n    ^^^^^^^^^^^\nunknown keyword `fault.count`: filters have no counts or rates; `fault` matches traces that have one; did you mean `fault`?"
    );
    let input = "user = \"é\" é";
    let r = err(input).render(input);
    assert_eq!(r.lines().nth(1), Some("           ^"));
    let input = "responsetime >";
    let e = err(input);
    assert_eq!(e.span, 14..14);
    assert_eq!(e.render(input).lines().nth(1), Some("              ^"));
    // Spans outside the input or inside a character are clamped, not panicked on.
    let odd = FilterError::new("x", 100..200);
    assert!(odd.render("é").contains('^'));
    let odd = FilterError::new("x", 1..1);
    assert!(odd.render("é").contains('^'));
}
