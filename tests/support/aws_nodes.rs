//! What X-Ray draws for the AWS calls `tests/daemon/app.py aws` makes (the Python SDK's
//! `dynamodb`, `sqs`, `s3`, `sns` subsegments): a node per table, queue and bucket, the
//! generic DynamoDB node for `ListTables`, one SNS node; and the filter finds the trace by
//! the table's name. Shared by the fixture test and the live Python SDK test.
#![allow(dead_code)] // each test crate uses part of it

use xray_tui::engine::dataset::Dataset;
use xray_tui::filter::{EvalContext, Verdict, parse};

/// Checks the graph and the filters of `data`, which holds the one `aws` trace.
pub fn check(data: &Dataset) {
    assert_eq!(data.traces.len(), 1);
    let graph = data.traces.graph_of_all();
    let mut nodes: Vec<(String, String)> = graph
        .services
        .iter()
        .map(|s| {
            (
                s.name.clone().unwrap_or_default(),
                s.kind.clone().unwrap_or_default(),
            )
        })
        .collect();
    nodes.sort();
    let want = [
        ("DynamoDB", "AWS::DynamoDB"),
        ("SNS", "AWS::SNS"),
        ("orders-api", ""),
        ("xray-tui-invoices", "AWS::S3::Bucket"),
        ("xray-tui-orders", "AWS::DynamoDB::Table"),
        ("xray-tui-shipments", "AWS::SQS::Queue"),
    ];
    for (name, kind) in want {
        assert!(
            nodes.iter().any(|(n, k)| n == name && k == kind),
            "no node {name} ({kind}) in {nodes:?}"
        );
    }
    assert!(
        !nodes
            .iter()
            .any(|(n, _)| ["dynamodb", "sqs", "s3", "sns"].contains(&n.as_str())),
        "the SDK's spellings are not nodes: {nodes:?}"
    );
    for (expr, hits) in [
        (r#"service("xray-tui-orders")"#, 1),
        (r#"edge("orders-api", "xray-tui-shipments")"#, 1),
        (r#"service(id(type: "AWS::S3::Bucket"))"#, 1),
        (r#"service("dynamodb")"#, 0),
    ] {
        let f = parse(expr).expect(expr);
        let n = (0..data.rows.len())
            .filter(|&i| f.verdict_at(data, i, &EvalContext::default()) == Verdict::Match)
            .count();
        assert_eq!(n, hits, "{expr}");
    }
}
