//! Evaluation of filter expressions over a small set of traces: real fixtures from
//! `tests/fixtures/public/` (see SOURCES.md) and synthetic traces built with `json!`. Each case
//! lists the trace IDs expected to match and why.

#[path = "support/groups.rs"]
mod support_groups;
use support_groups::groups;

use std::collections::BTreeSet;

use serde_json::json;
use xray_tui::engine::{assemble, summarize};
use xray_tui::filter::{EvalContext, Verdict, parse};
use xray_tui::model::{BatchTraces, Group, Segment, Trace, TraceSummariesPage, TraceSummary};

// Real fixtures.
const SCORE: &str = "1-59602603-23fc5b688855d396af79b496"; // docs BatchGetTraces: Scorekeep -> Lambda random-name -> SNS, DynamoDB
const CLI: &str = "1-5d82881a-0a9126e92a73e971eed891b9"; // aws-cli batch-get-traces: Scorekeep -> DynamoDB
const HEALTH: &str = "1-5759e988-bd862e3fe1be46a994272793"; // segment doc with a remote call to api.example.com
const INPROG: &str = "1-581cf771-a006649127e371903a2de979"; // in-progress segment
const FAULTID: &str = "1-5f187253-6a106696d56b1f4ef9eba2ed"; // fault, cause is an exception ID, no http
// Synthetic.
const CHAIN: &str = "1-00000001-000000000000000000000001"; // gateway 502 -> payments fault -> stripe 500
const HANDLED: &str = "1-00000001-000000000000000000000002"; // orders-api 200; backend faulted, handled
const THROTTLE: &str = "1-00000001-000000000000000000000003"; // root 429, no flags written
const WORKER: &str = "1-00000001-000000000000000000000004"; // no http, boolean/number annotations, SQS call

fn fixture(rel: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/public/{rel}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture")
}

fn from_batch(rel: &str) -> Trace {
    let b: BatchTraces = serde_json::from_str(&fixture(rel)).expect("batch");
    let t = &b.traces[0];
    let docs: Vec<Segment> = t
        .segments
        .iter()
        .map(|s| serde_json::from_str(&s.document).expect("document"))
        .collect();
    assemble(t.id.as_deref().expect("id"), docs)
}

fn from_doc(rel: &str) -> Trace {
    let doc: Segment = serde_json::from_str(&fixture(rel)).expect("segment");
    let id = doc.trace_id.clone().expect("trace id");
    assemble(&id, [doc])
}

fn synthetic(id: &str, docs: serde_json::Value) -> Trace {
    let docs: Vec<Segment> = serde_json::from_value(docs).expect("documents");
    assemble(id, docs)
}

fn traces() -> Vec<Trace> {
    vec![
        from_batch("awsdocs-aws-xray-developer-guide/xray-api-gettingdata.md.block07.json"),
        from_batch("aws-cli-examples/batch-traces-get.rst.output01.json"),
        from_doc("awsdocs-aws-xray-developer-guide/xray-api-segmentdocuments.md.block01.json"),
        from_doc("awsdocs-aws-xray-developer-guide/xray-api-segmentdocuments.md.block02.json"),
        from_doc("otel-collector-contrib/minCauseIsExceptionId.txt"),
        synthetic(
            CHAIN,
            json!([
                {"id":"g","name":"gateway","start_time":10.0,"end_time":11.0,"fault":true,
                 "origin":"AWS::ApiGateway::Stage","user":"alice",
                 "http":{"request":{"method":"POST","url":"https://shop/api/pay","client_ip":"10.0.0.1"},"response":{"status":502}},
                 "aws":{"ec2":{"availability_zone":"eu-west-1a"}},
                 "annotations":{"tier":"gold","items":3},
                 "subsegments":[{"id":"gc","name":"payments","namespace":"remote","start_time":10.1,"end_time":10.9,"fault":true}]},
                {"id":"p","name":"payments","parent_id":"gc","start_time":10.2,"end_time":10.8,"fault":true,
                 "origin":"AWS::ECS::Container","annotations":{"tier":"gold"},"aws":{"account_id":"111122223333"},
                 "subsegments":[{"id":"ps","name":"api.stripe.example","namespace":"remote","start_time":10.3,"end_time":10.7,"fault":true,
                   "http":{"response":{"status":500}},
                   "cause":{"exceptions":[{"id":"e1","type":"HTTPError","message":"500 from stripe","remote":true}]}}]}
            ]),
        ),
        synthetic(
            HANDLED,
            json!([
                {"id":"o","name":"orders-api","start_time":0.0,"end_time":1.0,
                 "http":{"request":{"method":"GET","url":"https://shop/orders"},"response":{"status":200}},
                 "annotations":{"customer_tier":"gold"},
                 "subsegments":[{"id":"oc","name":"backend","namespace":"remote","start_time":0.1,"end_time":0.5,"fault":true,
                   "http":{"request":{"method":"GET"},"response":{"status":500}}}]},
                {"id":"b","name":"backend","parent_id":"oc","start_time":0.15,"end_time":0.45,"fault":true,
                 "http":{"response":{"status":500}}}
            ]),
        ),
        synthetic(
            THROTTLE,
            json!([
                {"id":"t","name":"api","start_time":0.0,"end_time":0.05,"user":"bob",
                 "http":{"request":{"method":"PUT","url":"https://svc/items"},"response":{"status":429}}}
            ]),
        ),
        synthetic(
            WORKER,
            json!([
                {"id":"w","name":"worker","start_time":0.0,"end_time":2.0,
                 "annotations":{"flag":false,"order_id":42},
                 "subsegments":[{"id":"q","name":"SQS","namespace":"aws","start_time":0.5,"end_time":0.6,
                   "aws":{"operation":"SendMessage","queue_url":"https://sqs.us-east-1.amazonaws.com/123456789012/jobs"}}]}
            ]),
        ),
    ]
}

fn matching(expr: &str, data: &[(TraceSummary, Trace)], groups: &[Group]) -> BTreeSet<String> {
    let f = parse(expr).unwrap_or_else(|e| panic!("{expr}\n{}", e.render(expr)));
    let ctx = EvalContext { groups };
    data.iter()
        .filter(|(s, t)| f.matches(s, Some(t), &ctx))
        .map(|(s, _)| s.id.clone())
        .collect()
}

const ALL: [&str; 9] = [
    SCORE, CLI, HEALTH, INPROG, FAULTID, CHAIN, HANDLED, THROTTLE, WORKER,
];

fn all_but(ex: &[&str]) -> Vec<&'static str> {
    ALL.iter().copied().filter(|i| !ex.contains(i)).collect()
}

#[test]
fn fixture_set_is_what_the_cases_assume() {
    let ts = traces();
    let ids: Vec<&str> = ts.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ALL);
}

#[test]
fn expressions_select_the_expected_traces() {
    let data: Vec<(TraceSummary, Trace)> =
        traces().into_iter().map(|t| (summarize(&t), t)).collect();
    let groups = groups();
    // (expression, expected matches, reason)
    let cases: Vec<(&str, Vec<&str>, &str)> = vec![
        (
            "ok",
            vec![SCORE, CLI, HEALTH, HANDLED, WORKER],
            "root complete with no fault/error/throttle (WORKER has no http: ok_means_complete_without_flags_contested)",
        ),
        (
            "fault",
            vec![FAULTID, CHAIN],
            "root flagged fault; HANDLED's downstream fault is invisible at trace level",
        ),
        ("error", vec![THROTTLE], "429 without flags derives error"),
        (
            "throttle",
            vec![THROTTLE],
            "429 derives throttle; read at the root",
        ),
        (
            "partial",
            vec![INPROG],
            "only the in-progress segment is incomplete",
        ),
        (
            "!ok",
            vec![INPROG, FAULTID, CHAIN, THROTTLE],
            "negation of ok",
        ),
        (
            "ok = false",
            vec![INPROG, FAULTID, CHAIN, THROTTLE],
            "explicit form of !ok",
        ),
        (
            "inferred",
            vec![SCORE, CLI],
            "inferred DynamoDB/SNS segments",
        ),
        (
            "responsetime > 3",
            vec![SCORE],
            "Scorekeep root took 3.232 s",
        ),
        (
            "responsetime > 0.1",
            vec![SCORE, CLI, FAULTID, CHAIN, HANDLED, WORKER],
            "HEALTH 0.029 s, THROTTLE 0.05 s, INPROG has none",
        ),
        (
            "!(responsetime > 0.1)",
            vec![HEALTH, INPROG, THROTTLE],
            "only ! turns a missing value into true",
        ),
        (
            "duration >= 1 AND duration <= 2",
            vec![CHAIN, HANDLED, WORKER],
            "first start to last end in seconds",
        ),
        (
            "http.status != 200",
            vec![CHAIN, THROTTLE],
            "502 and 429; FAULTID/INPROG/WORKER have no status: ne_on_missing_field_is_false_contested",
        ),
        (
            "!(http.status = 200)",
            vec![INPROG, FAULTID, CHAIN, THROTTLE, WORKER],
            "negated equality includes missing statuses",
        ),
        (
            "http.status >= 500",
            vec![CHAIN],
            "root status only; HANDLED's 500 is downstream",
        ),
        (
            "http.url CONTAINS \"/api/\"",
            vec![SCORE, CLI, CHAIN],
            "root request URLs",
        ),
        (
            "http.method = \"GET\"",
            vec![HEALTH, HANDLED],
            "root request method",
        ),
        (
            "http.useragent BEGINSWITH \"curl/\"",
            vec![CLI],
            "curl user agent",
        ),
        ("http.clientip = \"10.0.0.1\"", vec![CHAIN], "client IP"),
        (
            "user CONTAINS \"\"",
            vec![SCORE, CHAIN, THROTTLE],
            "user set on some segment",
        ),
        ("user = \"alice\"", vec![CHAIN], "exact, case-sensitive"),
        (
            "user = \"Alice\"",
            vec![],
            "string comparison is case-sensitive",
        ),
        (
            "http.url AND responseTime > 2",
            vec![SCORE],
            "documented example",
        ),
        (
            "availabilityzone BEGINSWITH \"us-\"",
            vec![SCORE, CLI],
            "any segment's aws.ec2.availability_zone",
        ),
        (
            "instance.id = \"i-0e3cf4d2de0f3f37a\"",
            vec![CLI],
            "any segment's instance id",
        ),
        (
            "resource.arn ENDSWITH \":function:random-name\"",
            vec![SCORE],
            "the Lambda segment's resource_arn",
        ),
        (
            "account.id = \"123456789012\"",
            vec![SCORE],
            "function segment's aws.account_id (account_id_keyword_unverified)",
        ),
        (
            "annotation.Name = \"Ola\"",
            vec![SCORE],
            "annotation on a subsegment of the function segment",
        ),
        (
            "annotation.tier = \"gold\"",
            vec![CHAIN],
            "string annotation on two segments",
        ),
        ("annotation.items > 2", vec![CHAIN], "number annotation 3"),
        (
            "annotation.items = \"3\"",
            vec![],
            "a string literal never meets a number value",
        ),
        (
            "annotation.order_id = 42",
            vec![WORKER],
            "number annotation",
        ),
        ("annotation.order_id = \"42\"", vec![], "typed comparison"),
        (
            "annotation.flag",
            vec![],
            "bare boolean annotation yields its value (false)",
        ),
        (
            "!annotation.flag",
            ALL.to_vec(),
            "not_annotation_on_boolean_negates_contested: WORKER's false and everyone's missing",
        ),
        (
            "annotation.flag = false",
            vec![WORKER],
            "explicit boolean comparison",
        ),
        (
            "annotation.customer_tier",
            vec![HANDLED],
            "bare annotation: key is set",
        ),
        (
            "annotation[customer_tier] = \"gold\"",
            vec![HANDLED],
            "bracket form",
        ),
        (
            "service(\"random-name\")",
            vec![SCORE],
            "both random-name nodes",
        ),
        (
            "service(\"random-name\") { error }",
            vec![],
            "no random-name segment errored",
        ),
        (
            "service(id(name: \"random-name\", type: \"AWS::Lambda::Function\"))",
            vec![SCORE],
            "the function node",
        ),
        (
            "service(id(type: \"AWS::Lambda\"))",
            vec![SCORE],
            "the Lambda service node",
        ),
        (
            "service(id(name: \"random-name\", type: \"AWS::SQS::Queue\"))",
            vec![],
            "every id() field must match",
        ),
        (
            "service(id(account.id: \"111122223333\"))",
            vec![CHAIN],
            "payments segment account",
        ),
        (
            "service(\"api.example.com\")",
            vec![HEALTH],
            "remote call with no segment under it is a node",
        ),
        (
            "service(\"scorekeep-user\")",
            vec![SCORE, CLI],
            "DynamoDB inferred node named by table",
        ),
        (
            "!service(\"scorekeep-user\")",
            all_but(&[SCORE, CLI]),
            "negated service",
        ),
        (
            "service(id(type: \"AWS::SQS::Queue\"))",
            vec![WORKER],
            "SQS call with no segment: node named by queue",
        ),
        (
            "service(\"backend\") { fault }",
            vec![HANDLED],
            "downstream fault found by service()",
        ),
        (
            "service() { fault }",
            vec![FAULTID, CHAIN, HANDLED],
            "any node faulted",
        ),
        (
            "service(\"Scorekeep\") { root }",
            vec![SCORE, CLI],
            "Scorekeep is the entry point",
        ),
        (
            "service(\"scorekeep-user\") { root }",
            vec![],
            "DynamoDB is never the entry point",
        ),
        (
            "service(\"payments\") { responsetime > 0.5 }",
            vec![CHAIN],
            "payments segment took 0.6 s",
        ),
        (
            "service(\"gateway\") { name = \"gateway\" AND type = \"AWS::ApiGateway::Stage\" }",
            vec![CHAIN],
            "name and type inside a block",
        ),
        (
            "edge(\"Scorekeep\", \"scorekeep-user\")",
            vec![SCORE, CLI],
            "Scorekeep calls the table",
        ),
        (
            "edge(\"scorekeep-user\", \"Scorekeep\")",
            vec![],
            "edges have a direction",
        ),
        (
            "edge(\"random-name\", \"random-name\")",
            vec![SCORE],
            "Lambda service -> function segment edge (contested 8)",
        ),
        (
            "edge(\"random-name\", \"SNS\")",
            vec![SCORE],
            "function -> inferred SNS",
        ),
        (
            "edge(\"orders-api\", \"backend\") { fault }",
            vec![HANDLED],
            "the call faulted",
        ),
        (
            "edge(\"orders-api\", \"backend\") { http.status = 500 }",
            vec![HANDLED],
            "status of the call",
        ),
        (
            "edge(\"www.example.com\", \"api.example.com\") { http.method = \"POST\" }",
            vec![HEALTH],
            "edge block reads the caller's subsegment (Q11)",
        ),
        (
            "edge(\"gateway\", \"payments\") { name = \"payments\" }",
            vec![CHAIN],
            "name in an edge block is the callee",
        ),
        (
            "rootcause.fault.service",
            vec![FAULTID, CHAIN, HANDLED],
            "traces with a fault root cause (HANDLED's backend too)",
        ),
        (
            "rootcause.fault.service { name = \"payments\" }",
            vec![CHAIN],
            "payments is on the fault path",
        ),
        (
            "rootcause.fault.service { name = \"backend\" }",
            vec![HANDLED],
            "handled downstream fault still has a root cause",
        ),
        (
            "rootcause.fault.entity { last AND name = \"api.stripe.example\" }",
            vec![CHAIN],
            "last entity of the path is the cause",
        ),
        (
            "rootcause.fault.entity { first AND name = \"api.stripe.example\" }",
            vec![],
            "first entity is the gateway",
        ),
        (
            "rootcause.fault.service { index = 0 AND name = \"gateway\" }",
            vec![CHAIN],
            "rootcause_index_is_zero_based_inferred",
        ),
        (
            "rootcause.fault.service { index = 1 AND name = \"gateway\" }",
            vec![],
            "0-based: gateway is index 0",
        ),
        (
            "rootcause.fault.service { inferred AND remote AND name = \"api.stripe.example\" }",
            vec![CHAIN],
            "inferred downstream service",
        ),
        (
            "rootcause.fault.exception { name = \"HTTPError\" AND message CONTAINS \"stripe\" }",
            vec![CHAIN],
            "exception of the cause entity",
        ),
        (
            "rootcause.error.service",
            vec![THROTTLE],
            "THROTTLE sets no flags, but its 429 status is an error and a throttle (flags fall back to the status), so the 429 is its error root cause",
        ),
        (
            "rootcause.responsetime.service { name = \"payments\" }",
            vec![CHAIN],
            "slow path goes through payments",
        ),
        (
            "rootcause.responsetime.entity { name = \"api.stripe.example\" AND coverage > 0.39 AND coverage < 0.41 }",
            vec![CHAIN],
            "0.4 of the root response time",
        ),
        (
            "rootcause.json = #[{\"Services\":[{\"Name\":\"gateway\"},{\"Name\":\"payments\"},{\"Name\":\"api.stripe.example\"}]}]",
            vec![CHAIN],
            "objects: given fields only",
        ),
        (
            "rootcause.json = #[{\"Services\":[{\"Name\":\"payments\"}]}]",
            vec![],
            "rootcause_json_arrays_match_whole_and_in_order_inferred",
        ),
        (
            "rootcause.json = #[{\"ClientImpacting\":true,\"Services\":[{\"Name\":\"CauseIsExceptionID\"}]}]",
            vec![FAULTID],
            "missing fields are wildcards",
        ),
        (
            "group.name = \"slow\"",
            vec![SCORE],
            "group filter responsetime > 3",
        ),
        (
            "group.arn = \"arn:aws:xray:us-east-1:123456789012:group/slow/ABC\"",
            vec![SCORE],
            "by ARN",
        ),
        (
            "group.name = \"gold-or-slow\"",
            vec![SCORE, CHAIN],
            "group referring to a group",
        ),
        (
            "group.name != \"slow\"",
            all_but(&[SCORE]),
            "!= negates the group match",
        ),
        (
            "group.name = \"loop-a\"",
            vec![SCORE, CLI, HEALTH, HANDLED, WORKER],
            "the loop itself is undecidable (Unknown); loop-b's `OR ok` decides it for ok traces",
        ),
        (
            "group.name = \"loop-b\" AND !ok",
            vec![],
            "for the rest the loop stays undecidable, never a match",
        ),
        (
            "group.name = \"all\"",
            ALL.to_vec(),
            "a group without a filter holds every trace",
        ),
        (
            "group.name = \"nope\"",
            vec![],
            "unknown group: undecidable",
        ),
        (
            "ok OR fault AND error",
            vec![SCORE, CLI, HEALTH, HANDLED, WORKER],
            "AND first: fault AND error holds nowhere",
        ),
        (
            "(ok OR fault) AND responsetime > 1",
            vec![SCORE, WORKER],
            "parentheses first",
        ),
        (
            "service(\"orders-api\") AND responsetime > 0.1 AND annotation.customer_tier = \"gold\"",
            vec![HANDLED],
            "the benchmark expression",
        ),
    ];
    let mut failures = Vec::new();
    for (expr, expected, why) in &cases {
        let got = matching(expr, &data, &groups);
        let want: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
        if got != want {
            failures.push(format!(
                "{expr}\n  want {want:?}\n  got  {got:?}\n  ({why})"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn ok_means_complete_without_flags_contested() {
    // Alternative reading "status 2XX" would make WORKER (no http) not ok.
    let t = &traces()[8];
    let f = parse("ok").expect("parses");
    assert!(f.matches(&summarize(t), Some(t), &EvalContext::default()));
}

#[test]
fn summary_file_is_evaluated_from_what_it_holds() {
    let page: TraceSummariesPage = serde_json::from_str(&fixture(
        "awsdocs-aws-xray-developer-guide/xray-api-gettingdata.md.block05.json",
    ))
    .expect("summaries");
    let ctx = EvalContext::default();
    let pick = |expr: &str| -> Vec<String> {
        let f = parse(expr).expect("parses");
        page.trace_summaries
            .iter()
            .filter(|s| f.matches(s, None, &ctx))
            .map(|s| s.id.clone())
            .collect()
    };
    let session = "1-59602606-a43a1ac52fc7ee0eea12a82c";
    assert_eq!(pick("ok"), [session, SCORE], "no flags, not partial");
    assert_eq!(pick("responsetime > 1"), [SCORE], "ResponseTime 3.232");
    assert_eq!(pick("duration < 0.1"), [session], "Duration 0.084");
    assert_eq!(pick("user = \"5M388M1E\""), [SCORE], "Users");
    assert_eq!(pick("annotation.Name = \"Ola\""), [SCORE], "Annotations");
    assert_eq!(
        pick("http.url ENDSWITH \"/session\""),
        [session],
        "Http.HttpURL"
    );
    assert_eq!(
        pick("http.status = 200"),
        [session, SCORE],
        "Http.HttpStatus"
    );
    assert!(
        pick("service(\"Scorekeep\")").is_empty(),
        "no ServiceIds in this file"
    );
}

#[test]
fn summary_only_blocks_are_unknown_not_guessed() {
    let ts = traces();
    let handled = &ts[6];
    let s = summarize(handled);
    let ctx = EvalContext::default();
    let v = |expr: &str| parse(expr).expect("parses").evaluate(&s, None, &ctx);
    assert_eq!(v("service(\"backend\") { fault }"), Verdict::Unknown);
    assert_eq!(
        v("service(\"nope\") { fault }"),
        Verdict::NoMatch,
        "node absent"
    );
    assert_eq!(
        v("service(\"backend\")"),
        Verdict::Match,
        "ServiceIds list it"
    );
    assert_eq!(
        v("edge(\"orders-api\", \"backend\")"),
        Verdict::Unknown,
        "both ends present"
    );
    assert_eq!(v("edge(\"orders-api\", \"nope\")"), Verdict::NoMatch);
    assert_eq!(v("inferred"), Verdict::Unknown);
    assert_eq!(v("!service(\"backend\") { fault }"), Verdict::Unknown);
    assert_eq!(
        v("responsetime > 5 AND service(\"backend\") { fault }"),
        Verdict::NoMatch,
        "false AND unknown"
    );
    assert_eq!(
        v("responsetime > 0.5 OR service(\"backend\") { fault }"),
        Verdict::Match,
        "true OR unknown"
    );
    assert_eq!(
        v("service(\"orders-api\") AND responsetime > 0.1 AND annotation.customer_tier = \"gold\""),
        Verdict::Match
    );
    let f = parse("service(\"backend\") { fault }").expect("parses");
    assert!(
        !f.matches(&s, None, &ctx),
        "matches keeps only certain matches"
    );
    assert!(
        f.matches(&s, Some(handled), &ctx),
        "with the trace it is decided"
    );
}

#[test]
fn fault_reads_the_root_with_a_trace_and_the_summary_flag_without() {
    // The local summary sets HasFault for a fault anywhere (engine/summary.rs); AWS documents
    // HasFault for the root. With the trace at hand the root is read, as the filter page says.
    let ts = traces();
    let handled = &ts[6];
    let s = summarize(handled);
    let f = parse("fault").expect("parses");
    let ctx = EvalContext::default();
    assert!(!f.matches(&s, Some(handled), &ctx));
    assert!(s.has_fault && f.matches(&s, None, &ctx));
}

#[test]
fn throttle_reads_the_root_segment_contested() {
    // A throttled call below an ok root: the summary's HasThrottle would say yes; the keyword
    // reads the root (alternative: follow HasThrottle).
    let t = synthetic(
        "1-00000001-000000000000000000000009",
        json!([{"id":"r","name":"r","start_time":0.0,"end_time":1.0,"http":{"response":{"status":200}},
                "subsegments":[{"id":"c","name":"DynamoDB","namespace":"aws","start_time":0.1,"end_time":0.2,"throttle":true,"error":true}]}]),
    );
    let f = parse("throttle").expect("parses");
    assert!(!f.matches(&summarize(&t), Some(&t), &EvalContext::default()));
    let g = parse("service(\"DynamoDB\") { throttle }").expect("parses");
    assert!(g.matches(&summarize(&t), Some(&t), &EvalContext::default()));
}

#[test]
fn check_groups_reports_unknown_groups_and_loops() {
    let groups = groups();
    let ok = parse("group.name = \"gold-or-slow\" AND ok").expect("parses");
    assert_eq!(ok.check_groups(&groups), Ok(()));
    let input = "ok AND group.name = \"slwo\"";
    let e = parse(input)
        .expect("parses")
        .check_groups(&groups)
        .expect_err("unknown");
    assert_eq!(e.span, 7..26);
    assert_eq!(e.suggestion.as_deref(), Some("slow"));
    assert!(e.render(input).contains("unknown group `slwo`"));
    let e = parse("group.name = \"loop-a\"")
        .expect("parses")
        .check_groups(&groups)
        .expect_err("loop");
    assert!(e.message.contains("refers back to itself"), "{}", e.message);
    let bad = [Group {
        group_name: "broken".into(),
        filter_expression: Some("responsetime >".into()),
        ..Default::default()
    }];
    let e = parse("group.name = \"broken\"")
        .expect("parses")
        .check_groups(&bad)
        .expect_err("broken");
    assert!(e.message.contains("does not parse"), "{}", e.message);
}

/// Issue 15 item 8: a number annotation compared with a number. The AWS segment-document
/// example (its published trailing comma and missing last brace repaired) holds a number (`customer_category: 124`,
/// `zip_code: 98101`), a string and a boolean annotation; the literal decides which values a
/// comparison meets, with the trace and from its summary alike.
#[test]
fn number_annotations_compare_with_numbers_on_the_docs_segment() {
    let mut text =
        fixture("awsdocs-aws-xray-developer-guide/xray-api-segmentdocuments.md.block07.txt")
            .replacen("    },\n  },", "    }\n  },", 1);
    if text.matches('{').count() > text.matches('}').count() {
        text.push('}');
    }
    let doc: Segment = serde_json::from_str(&text).expect("repaired segment");
    let id = doc.trace_id.clone().expect("trace id");
    let t = assemble(&id, [doc]);
    let s = summarize(&t);
    let ctx = EvalContext { groups: &[] };
    let cases = [
        ("annotation.customer_category = 124", true),
        ("annotation.customer_category > 100", true),
        ("annotation.customer_category <= 123.5", false),
        ("annotation.customer_category != 124", false),
        ("annotation.customer_category = \"124\"", false),
        ("annotation.zip_code >= 98101", true),
        ("annotation.zip_code < 98101", false),
        ("annotation[zip_code] = 98101", true),
        ("annotation.country = \"United States\"", true),
        ("annotation.country > 1", false),
        ("annotation.internal = false", true),
        ("annotation.internal = 0", false),
        ("annotation.internal", false),
        ("!annotation.internal", true),
    ];
    for (expr, expected) in cases {
        let f = parse(expr).unwrap_or_else(|e| panic!("{expr}\n{}", e.render(expr)));
        assert_eq!(
            f.matches(&s, Some(&t), &ctx),
            expected,
            "{expr} with the trace"
        );
        assert_eq!(
            f.matches(&s, None, &ctx),
            expected,
            "{expr} from the summary"
        );
    }
}
