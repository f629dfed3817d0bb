//! Property tests of the OTLP translation: no input, however damaged, makes `parse_json`,
//! `translate` or the file reader panic, and whatever translates is a document the model reads.

// Test helpers may unwrap: a missing fixture should fail the test loudly.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use serde_json::{Value, json};
use xray_tui::model::Segment;
use xray_tui::source::file;
use xray_tui::source::otlp::translate::{parse_json, translate};

const FIXTURE: &str = "tests/fixtures/derived/otlp-checkout.ndjson";

fn fixture_lines() -> Vec<String> {
    std::fs::read_to_string(FIXTURE)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Parses and translates; every document must parse as a segment and assemble.
fn check(bytes: &[u8]) {
    let Ok(request) = parse_json(bytes) else {
        return;
    };
    let t = translate(&request);
    assert_eq!(t.documents.len() + t.rejected.len(), t.spans);
    let mut docs = Vec::new();
    for d in &t.documents {
        let seg: Segment =
            serde_json::from_str(&d.json).unwrap_or_else(|e| panic!("{e}: {}", d.json));
        assert_eq!(seg.trace_id.as_deref(), Some(d.trace_id.as_str()));
        assert_eq!(seg.id, d.id);
        docs.push(seg);
    }
    if let Some(first) = t.documents.first() {
        let _ = xray_tui::engine::assemble(&first.trace_id, docs);
    }
    let mut n = 0;
    file::load_bytes("p.json", bytes, &mut |_| n += 1);
}

const KEYS: &[&str] = &[
    "http.status_code",
    "http.response.status_code",
    "http.method",
    "http.request.method",
    "http.url",
    "url.full",
    "url.path",
    "url.query",
    "url.scheme",
    "server.address",
    "server.port",
    "net.peer.port",
    "net.peer.ip",
    "network.peer.address",
    "client.address",
    "rpc.system",
    "rpc.service",
    "rpc.method",
    "aws.dynamodb.table_names",
    "aws.table_name",
    "messaging.url",
    "aws.s3.bucket",
    "aws.xray.annotations",
    "aws.xray.metadata.default",
    "aws.xray.metadata.ns",
    "aws.remote.service",
    "aws.local.service",
    "aws.span.kind",
    "db.system",
    "db.name",
    "db.connection_string",
    "db.statement",
    "peer.service",
    "enduser.id",
    "exception.type",
    "exception.message",
    "exception.stacktrace",
    "telemetry.sdk.language",
    "service.name",
    "cloud.provider",
    "cloud.platform",
    "aws.ecs.launchtype",
    "aws.log.group.names",
    "aws.log.group.arns",
    "x",
];

/// An OTLP/JSON attribute value of any type, nested a few levels.
fn any_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<String>().prop_map(|s| json!({"stringValue": s})),
        prop::sample::select(vec![
            "aws-api", "DynamoDB", "LOCAL_ROOT", "postgresql", "java", "python", "javascript",
            "dotnet", "aws", "aws_ecs", "aws_lambda", "default", "{\"a\":1}", "500", "",
            "\tat a.b(C.java:1)\nCaused by: X", "  File \"a\", line 1, in b\nDuring handling of the above exception, another exception occurred:\nE: m",
            "http://h:80/p", "jdbc:mysql://[::1]:3306",
        ])
        .prop_map(|s| json!({"stringValue": s})),
        any::<i64>().prop_map(|i| json!({"intValue": i.to_string()})),
        (400i64..600).prop_map(|i| json!({"intValue": i})),
        any::<f64>().prop_map(|d| if d.is_finite() { json!({"doubleValue": d}) } else { json!({"doubleValue": 0.5}) }),
        any::<bool>().prop_map(|b| json!({"boolValue": b})),
        Just(json!({})),
        Just(json!({"bytesValue": "AAEC"})),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4)
                .prop_map(|v| json!({"arrayValue": {"values": v}})),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..4).prop_map(|v| {
                let values: Vec<Value> = v
                    .into_iter()
                    .map(|(k, v)| json!({"key": k, "value": v}))
                    .collect();
                json!({"kvlistValue": {"values": values}})
            }),
        ]
    })
}

fn attributes() -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec((prop::sample::select(KEYS), any_value()), 0..12).prop_map(|v| {
        v.into_iter()
            .map(|(k, v)| json!({"key": k, "value": v}))
            .collect()
    })
}

fn hex_id(len: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), len)
            .prop_map(|b| b.iter().map(|x| format!("{x:02x}")).collect()),
        Just("0".repeat(len * 2)),
        Just(String::new()),
        prop::collection::vec(any::<u8>(), 0..20)
            .prop_map(|b| b.iter().map(|x| format!("{x:02x}")).collect()),
    ]
}

fn span() -> impl Strategy<Value = Value> {
    (
        hex_id(16),
        hex_id(8),
        hex_id(8),
        -1i32..7,
        any::<u64>(),
        prop_oneof![any::<u64>(), Just(0u64)],
        attributes(),
        prop::collection::vec(("[a-z]{0,10}", attributes()), 0..3),
        prop::collection::vec((hex_id(16), hex_id(8), attributes()), 0..2),
        (0i32..4, ".{0,10}"),
    )
        .prop_map(|(trace, id, parent, kind, start, end, attrs, events, links, status)| {
            json!({
                "traceId": trace, "spanId": id, "parentSpanId": parent, "kind": kind,
                "name": "op", "startTimeUnixNano": start.to_string(),
                "endTimeUnixNano": end.to_string(), "attributes": attrs,
                "events": events.into_iter().map(|(n, a)| json!({"name": if n.len() % 2 == 0 { "exception".to_owned() } else { n }, "attributes": a})).collect::<Vec<_>>(),
                "links": links.into_iter().map(|(t, s, a)| json!({"traceId": t, "spanId": s, "attributes": a})).collect::<Vec<_>>(),
                "status": {"code": status.0, "message": status.1},
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check(&bytes);
    }

    #[test]
    fn otlp_like_noise_never_panics(s in r#"\{"resourceSpans":\[[\[\]{}",:0-9a-zA-Z \n]{0,200}"#) {
        check(s.as_bytes());
    }

    #[test]
    fn mutated_fixture_lines_never_panic(
        line in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        how in 0..3u8,
        with in r#"[\[\]{}",:0-9a-z \\]{0,3}"#,
    ) {
        let lines = fixture_lines();
        let text = lines[line.index(lines.len())].clone();
        let mut i = at.index(text.len() + 1);
        while !text.is_char_boundary(i) { i -= 1; }
        let mutated = match how {
            0 => text[..i].to_owned(),
            1 => format!("{}{with}{}", &text[..i], &text[i..]),
            _ => {
                let mut j = (i + with.len().max(1)).min(text.len());
                while !text.is_char_boundary(j) { j -= 1; }
                format!("{}{with}{}", &text[..i], &text[j..])
            }
        };
        check(mutated.as_bytes());
    }

    #[test]
    fn generated_requests_translate_to_documents_the_model_reads(
        resource in attributes(),
        spans in prop::collection::vec(span(), 0..6),
    ) {
        let body = json!({"resourceSpans": [{
            "resource": {"attributes": resource},
            "scopeSpans": [{"scope": {"name": "s"}, "spans": spans}],
        }]});
        let text = body.to_string();
        let request = parse_json(text.as_bytes());
        prop_assert!(request.is_ok(), "{:?}", request.err());
        check(text.as_bytes());
    }
}

#[test]
fn deep_nesting_is_an_error_or_cut_never_a_crash() {
    let deep = |levels: usize| {
        format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"65920080a1b2c3d4e5f60718293a4b5c","spanId":"00000000000000a1","startTimeUnixNano":"1704067200000000000","attributes":[{{"key":"k","value":{}"#,
            r#"{"arrayValue":{"values":["#.repeat(levels)
        ) + r#"{"intValue":"1"}"#
            + &"]}}".repeat(levels)
            + "}]}]}]}]}"
    };
    // Past serde_json's recursion limit: an error, not a stack overflow.
    assert!(parse_json(deep(100_000).as_bytes()).is_err());
    // Within it: translated, the value cut short in metadata.
    let request = parse_json(deep(30).as_bytes()).unwrap();
    let t = translate(&request);
    assert_eq!(t.documents.len(), 1);
    let seg: Segment = serde_json::from_str(&t.documents[0].json).unwrap();
    let mut v = &seg.metadata.as_ref().unwrap()["default"]["k"];
    let mut depth = 0;
    while let Some(inner) = v.as_array().and_then(|a| a.first()) {
        v = inner;
        depth += 1;
    }
    assert_eq!(v, "(nested too deeply)");
    assert!(depth <= 16, "{depth}");
}
