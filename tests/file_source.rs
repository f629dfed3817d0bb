//! The file source on real published X-Ray data (tests/fixtures/public, see SOURCES.md there) and
//! on damaged input: every format is detected without a flag, every problem is a located warning,
//! and the good data around a problem still loads.

// Test helpers may unwrap: a missing fixture should fail the test loudly.
#![allow(clippy::unwrap_used)]

#[path = "support/aws_nodes.rs"]
mod aws_nodes;

use proptest::prelude::*;
use xray_tui::model::segment::Cause;
use xray_tui::model::{Event, Item, Warning};
use xray_tui::model::{Segment, TraceSummary};
use xray_tui::source::file::{self, Format};

const PUBLIC: &str = "tests/fixtures/public";
const DERIVED: &str = "tests/fixtures/derived";

/// What a load produced, split by kind.
#[derive(Debug, Default)]
struct Loaded {
    items: Vec<Item>,
    warnings: Vec<Warning>,
}

impl Loaded {
    fn documents(&self) -> Vec<&Segment> {
        self.items
            .iter()
            .filter_map(|i| match i {
                Item::Document(d) => Some(d),
                _ => None,
            })
            .collect()
    }
    fn summaries(&self) -> Vec<&TraceSummary> {
        self.items
            .iter()
            .filter_map(|i| match i {
                Item::Summary(s) => Some(s),
                _ => None,
            })
            .collect()
    }
    fn doc_names(&self) -> Vec<&str> {
        self.documents().iter().map(|d| d.name.as_str()).collect()
    }
    /// The warnings as `source:line:column: message`.
    fn warning_texts(&self) -> Vec<String> {
        self.warnings.iter().map(ToString::to_string).collect()
    }
    /// The only warning; fails otherwise.
    fn one_warning(&self) -> &Warning {
        assert_eq!(
            self.warnings.len(),
            1,
            "expected one warning, got {:#?}",
            self.warnings
        );
        &self.warnings[0]
    }
}

fn collect(run: impl FnOnce(&mut dyn FnMut(Event))) -> Loaded {
    let mut out = Loaded::default();
    run(&mut |e| match e {
        Event::Item(i) => out.items.push(i),
        Event::Warning(w) => out.warnings.push(w),
    });
    out
}

fn fixture(rel: &str) -> String {
    format!("{PUBLIC}/{rel}")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// Reads a file with every document parsed as it is read (the items are what is checked here;
/// `stored_equivalence.rs` checks that keeping documents as text gives the same dataset).
fn load_file(path: &str) -> Loaded {
    let bytes = std::fs::read(path).unwrap();
    collect(|sink| file::load_bytes(path, &bytes, sink))
}

fn load_text(name: &str, text: &str) -> Loaded {
    collect(|sink| file::load_bytes(name, text.as_bytes(), sink))
}

/// Files glued one after another, like `cat a b c`.
fn cat(paths: &[&str]) -> String {
    paths.iter().map(|p| read(p)).collect::<Vec<_>>().join("\n")
}

fn lines_in(text: &str) -> usize {
    text.lines().count()
}

const DOCS: &str = "awsdocs-aws-xray-developer-guide";

// ---------------------------------------------------------------- formats, on real data

#[test]
fn batch_get_traces_cli_example() {
    let path = fixture("aws-cli-examples/batch-traces-get.rst.output01.json");
    assert_eq!(file::detect(read(&path).as_bytes()), Format::BatchTraces);
    let got = load_file(&path);
    assert!(got.warnings.is_empty(), "{:#?}", got.warnings);
    let [
        Item::Trace {
            id,
            documents,
            limit_exceeded,
        },
    ] = got.items.as_slice()
    else {
        panic!("{:#?}", got.items)
    };
    assert_eq!(id, "1-5d82881a-0a9126e92a73e971eed891b9");
    assert!(!limit_exceeded);
    assert_eq!(documents.len(), 2);
    let scorekeep = &documents[0];
    assert_eq!(scorekeep.id, "54aff5735b12dd28");
    assert_eq!(scorekeep.name, "Scorekeep");
    assert_eq!(scorekeep.start_time, 1_568_835_610.432);
    assert_eq!(scorekeep.http_status(), Some(200));
    assert_eq!(scorekeep.subsegments.len(), 1);
    assert_eq!(scorekeep.subsegments[0].name, "DynamoDB");
    // deployment_id is a number in the document; the model keeps it as text.
    let eb = scorekeep
        .aws
        .as_ref()
        .unwrap()
        .elastic_beanstalk
        .as_ref()
        .unwrap();
    assert_eq!(eb.deployment_id.as_deref(), Some("3"));
    let dynamo = &documents[1];
    assert_eq!(dynamo.origin.as_deref(), Some("AWS::DynamoDB::Table"));
    assert!(dynamo.is_inferred());
    assert_eq!(dynamo.parent_id.as_deref(), Some("2d6900034ccfe558"));
}

#[test]
fn batch_get_traces_developer_guide() {
    let got = load_file(&fixture(&format!(
        "{DOCS}/xray-api-gettingdata.md.block07.json"
    )));
    assert!(got.warnings.is_empty(), "{:#?}", got.warnings);
    let [Item::Trace { id, documents, .. }] = got.items.as_slice() else {
        panic!("{:#?}", got.items)
    };
    assert_eq!(id, "1-59602603-23fc5b688855d396af79b496");
    let names: Vec<_> = documents.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        ["random-name", "Scorekeep", "random-name", "DynamoDB", "SNS"]
    );
    let ids: Vec<_> = documents.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "1fb07842d944e714",
            "194fcc8747581230",
            "00f91aa01f4984fd",
            "17ba309b32c7fbaf",
            "1ee3c4a523f89ca5"
        ]
    );
}

#[test]
fn trace_summaries_developer_guide() {
    let path = fixture(&format!("{DOCS}/xray-api-gettingdata.md.block05.json"));
    assert_eq!(file::detect(read(&path).as_bytes()), Format::TraceSummaries);
    let got = load_file(&path);
    assert!(got.warnings.is_empty(), "{:#?}", got.warnings);
    let s = got.summaries();
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].id, "1-59602606-a43a1ac52fc7ee0eea12a82c");
    assert_eq!(s[0].duration, Some(0.084));
    assert_eq!(s[1].id, "1-59602603-23fc5b688855d396af79b496");
    assert_eq!(s[1].response_time, Some(3.232));
    assert!(!s[1].has_fault && !s[1].has_error && !s[1].has_throttle);
    assert_eq!(s[1].http.as_ref().unwrap().http_status, Some(200));
    assert_eq!(s[1].annotations.len(), 2);
    assert_eq!(s[1].users.len(), 1);
}

#[test]
fn trace_summaries_cli_v1_epoch_and_v2_iso_agree() {
    let v1 = load_file(&format!("{DERIVED}/summaries-cli-v1-epoch.json"));
    let v2 = load_file(&format!("{DERIVED}/summaries-cli-v2-iso.json"));
    assert!(
        v1.warnings.is_empty() && v2.warnings.is_empty(),
        "{:?} {:?}",
        v1.warnings,
        v2.warnings
    );
    let starts = |l: &Loaded| {
        l.summaries()
            .iter()
            .map(|s| s.start_time.unwrap())
            .collect::<Vec<_>>()
    };
    let (a, b) = (starts(&v1), starts(&v2));
    assert_eq!(a, [1_499_473_304.123, 1_499_473_301.5]);
    assert_eq!(b.len(), 2);
    // "2017-07-08T00:21:44.123000+00:00" and "2017-07-07T17:21:41.500000-07:00"
    assert!((b[0] - 1_499_473_304.123).abs() < 1e-6, "{b:?}");
    assert!((b[1] - 1_499_473_301.5).abs() < 1e-6, "{b:?}");
}

#[test]
fn summary_pages_one_per_line_and_concatenated() {
    let page = read(&fixture(&format!(
        "{DOCS}/xray-api-gettingdata.md.block05.json"
    )));
    let compact =
        serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&page).unwrap()).unwrap();
    let ndjson = format!("{compact}\n{compact}\n");
    assert_eq!(file::detect(ndjson.as_bytes()), Format::TraceSummaries);
    assert_eq!(load_text("pages.ndjson", &ndjson).summaries().len(), 4);
    // `cat page.json page.json`: pretty objects glued together.
    let glued = format!("{page}{page}");
    let got = load_text("glued.json", &glued);
    assert!(got.warnings.is_empty(), "{:#?}", got.warnings);
    assert_eq!(got.summaries().len(), 4);
}

#[test]
fn service_graph_developer_guide() {
    let path = fixture(&format!("{DOCS}/xray-api-gettingdata.md.block02.json"));
    assert_eq!(file::detect(read(&path).as_bytes()), Format::ServiceGraph);
    let got = load_file(&path);
    assert!(got.warnings.is_empty(), "{:#?}", got.warnings);
    let [Item::ServiceGraph(g)] = got.items.as_slice() else {
        panic!("{:#?}", got.items)
    };
    let refs: Vec<_> = g
        .services
        .iter()
        .map(|s| (s.reference_id, s.name.as_deref().unwrap()))
        .collect();
    assert_eq!(
        refs,
        [
            (0, "xray-sample.elasticbeanstalk.com"),
            (
                1,
                "awseb-e-dixzws4s9p-stack-StartupSignupsTable-4IMSMHAYX2BA"
            ),
            (2, "xray-sample.elasticbeanstalk.com"),
            (3, "SNS"),
        ]
    );
    let client = g.node(0).unwrap();
    assert_eq!(client.kind.as_deref(), Some("client"));
    let stats = client.edges[0].summary_statistics.as_ref().unwrap();
    assert_eq!(
        (
            client.edges[0].reference_id,
            stats.ok_count,
            stats.total_count
        ),
        (2, 3, 4)
    );
    assert_eq!(stats.error_statistics.other_count, 1);
}

#[test]
fn service_graph_head_fields_are_kept() {
    let text = r#"{"StartTime": "2018-06-06T20:39:27Z", "Services": [], "EndTime": 1528317589.0,
                   "ContainsOldGroupVersions": false}"#;
    let got = load_text("g.json", text);
    let [Item::ServiceGraph(g)] = got.items.as_slice() else {
        panic!("{got:#?}")
    };
    assert_eq!(g.start_time, Some(1_528_317_567.0));
    assert_eq!(g.end_time, Some(1_528_317_589.0));
    assert_eq!(g.contains_old_group_versions, Some(false));
    assert!(g.services.is_empty());
}

#[test]
fn get_group_published_as_a_list_and_as_an_object() {
    let path = fixture("aws-cli-examples/get-group.rst.output01.json");
    assert_eq!(file::detect(read(&path).as_bytes()), Format::Groups);
    let got = load_file(&path);
    assert!(got.warnings.is_empty(), "{:#?}", got.warnings);
    let [Item::Groups(groups)] = got.items.as_slice() else {
        panic!("{:#?}", got.items)
    };
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].group_name, "AdminGroup");
    assert_eq!(
        groups[0].filter_expression.as_deref(),
        Some("service(\"mydomain.com\") {fault OR error}")
    );

    let object = load_text(
        "g.json",
        r#"{"Group": {"GroupName": "A", "FilterExpression": "ok"}}"#,
    );
    let [Item::Groups(g)] = object.items.as_slice() else {
        panic!("{object:#?}")
    };
    assert_eq!(g[0].group_name, "A");

    let groups = load_text(
        "gs.json",
        r#"{"Groups": [{"GroupName": "A"}, {"GroupName": "B"}]}"#,
    );
    let [Item::Groups(g)] = groups.items.as_slice() else {
        panic!("{groups:#?}")
    };
    assert_eq!(
        g.iter().map(|g| g.group_name.as_str()).collect::<Vec<_>>(),
        ["A", "B"]
    );
}

#[test]
fn single_segment_documents_from_the_developer_guide() {
    let path = fixture(&format!("{DOCS}/xray-api-segmentdocuments.md.block01.json"));
    assert_eq!(file::detect(read(&path).as_bytes()), Format::SingleSegment);
    let got = load_file(&path);
    assert!(got.warnings.is_empty(), "{:#?}", got.warnings);
    let [d] = got.documents()[..] else {
        panic!("{got:#?}")
    };
    assert_eq!(
        (d.id.as_str(), d.name.as_str()),
        ("defdfd9912dc5a56", "www.example.com")
    );
    assert_eq!(
        d.trace_id.as_deref(),
        Some("1-5759e988-bd862e3fe1be46a994272793")
    );
    assert_eq!(d.subsegments.len(), 1);
    assert_eq!(d.subsegments[0].namespace.as_deref(), Some("remote"));

    let in_progress = load_file(&fixture(&format!(
        "{DOCS}/xray-api-segmentdocuments.md.block02.json"
    )));
    assert!(in_progress.documents()[0].is_in_progress());
}

#[test]
fn otel_collector_documents() {
    let got = load_file(&fixture(
        "otel-collector-contrib/indepSubsegmentWithContentLengthString.txt",
    ));
    assert!(got.warnings.is_empty(), "{:#?}", got.warnings);
    let d = got.documents()[0];
    assert!(d.is_subsegment_doc());
    assert_eq!(d.parent_id.as_deref(), Some("defdfd9912dc5a56"));
    let response = d.http.as_ref().unwrap().response.as_ref().unwrap();
    assert_eq!(
        response.content_length,
        Some(861),
        "content_length \"861\" (a string) is read as a number"
    );

    let cause = load_file(&fixture("otel-collector-contrib/minCauseIsExceptionId.txt"));
    let d = cause.documents()[0];
    assert!(d.is_fault());
    assert!(
        matches!(d.cause.as_deref(), Some(Cause::Id(_))),
        "{:?}",
        d.cause
    );

    let sql = load_file(&fixture(
        "otel-collector-contrib/indepSubsegmentWithSql.txt",
    ));
    assert_eq!(
        sql.documents()[0]
            .sql
            .as_ref()
            .unwrap()
            .database_type
            .as_deref(),
        Some("PostgreSQL")
    );

    let fields = load_file(&fixture("otel-collector-contrib/awsValidAwsFields.txt"));
    assert!(fields.warnings.is_empty(), "{:#?}", fields.warnings);
    let d = fields.documents()[0];
    assert_eq!(d.name, "SampleServer");
    assert!(d.extra.contains_key("Dummy"), "unknown keys are kept");
}

#[test]
fn json_array_of_segment_documents() {
    let a = read(&fixture(&format!(
        "{DOCS}/xray-api-segmentdocuments.md.block00.json"
    )));
    let b = read(&fixture("otel-collector-contrib/minInProgress.txt"));
    let text = format!("[{a},\n{b}]");
    assert_eq!(file::detect(text.as_bytes()), Format::SegmentArray);
    let got = load_text("array.json", &text);
    assert!(got.warnings.is_empty(), "{:#?}", got.warnings);
    assert_eq!(got.doc_names(), ["example.com", "LongOperation"]);
}

#[test]
fn daemon_datagram_with_real_newline() {
    let path = fixture(&format!("{DOCS}/xray-api-sendingdata.md.block10.txt"));
    assert_eq!(file::detect(read(&path).as_bytes()), Format::SegmentLines);
    let got = load_file(&path);
    assert!(got.warnings.is_empty(), "{:#?}", got.warnings);
    let [d] = got.documents()[..] else {
        panic!("{got:#?}")
    };
    assert_eq!(d.id, "6226467e3f845502");
    assert_eq!(
        d.trace_id.as_deref(),
        Some("1-594aed87-ad72e26896b3f9d3a27054bb")
    );
    assert_eq!(d.end_time, Some(1_498_082_695.404_2));
}

#[test]
fn daemon_datagram_as_written_for_echo_e() {
    // The docs show header and document joined by a literal backslash-n.
    let got = load_file(&fixture(&format!(
        "{DOCS}/xray-api-sendingdata.md.block08.txt"
    )));
    assert!(got.warnings.is_empty(), "{:#?}", got.warnings);
    assert_eq!(got.documents()[0].id, "defdfd9912dc5a56");
}

#[test]
fn daemon_capture_with_headers_and_an_unknown_version() {
    let path = format!("{DERIVED}/daemon-capture.txt");
    assert_eq!(file::detect(read(&path).as_bytes()), Format::SegmentLines);
    let got = load_file(&path);
    assert_eq!(
        got.doc_names(),
        ["example.com", "Scorekeep", "api.example.com"]
    );
    let w = got.one_warning();
    assert_eq!(w.location.line, Some(5));
    assert!(
        w.to_string().starts_with(&format!(
            "{path}:5:1: daemon header with format \"json\" and version 2"
        )),
        "{w}"
    );
}

#[test]
fn ndjson_segment_documents() {
    let lines = [
        fixture(&format!("{DOCS}/xray-api-segmentdocuments.md.block00.json")),
        fixture("otel-collector-contrib/minOtherFields.txt"),
        fixture("otel-collector-contrib/segmentWithParentId.txt"),
    ]
    .iter()
    .map(|p| {
        serde_json::from_str::<serde_json::Value>(&read(p))
            .unwrap()
            .to_string()
    })
    .collect::<Vec<_>>()
    .join("\n");
    assert_eq!(file::detect(lines.as_bytes()), Format::SegmentLines);
    let got = load_text("docs.ndjson", &lines);
    assert!(got.warnings.is_empty(), "{:#?}", got.warnings);
    assert_eq!(
        got.doc_names(),
        ["example.com", "OtherTopLevelFields", "segment"]
    );
    assert!(got.documents()[1].is_throttle());
}

// ---------------------------------------------------------------- damage

#[test]
fn ndjson_with_one_bad_line_in_the_middle() {
    let path = format!("{DERIVED}/segments-bad-line.ndjson");
    let got = load_file(&path);
    assert_eq!(
        got.doc_names(),
        ["example.com", "Scorekeep", "api.example.com"]
    );
    let w = got.one_warning();
    assert_eq!(
        (w.location.source.as_str(), w.location.line),
        (path.as_str(), Some(3))
    );
    assert!(w.message.starts_with("invalid JSON:"), "{w}");
}

#[test]
fn truncated_batch_keeps_the_complete_traces() {
    let one = read(&fixture(
        "aws-cli-examples/batch-traces-get.rst.output01.json",
    ));
    let two = read(&fixture(&format!(
        "{DOCS}/xray-api-gettingdata.md.block07.json"
    )));
    let mut v: serde_json::Value = serde_json::from_str(&one).unwrap();
    let w: serde_json::Value = serde_json::from_str(&two).unwrap();
    v["Traces"]
        .as_array_mut()
        .unwrap()
        .push(w["Traces"][0].clone());
    let full = serde_json::to_string_pretty(&v).unwrap();
    let cut = &full[..full.len() * 3 / 4]; // inside the second trace
    let got = load_text("cut.json", cut);
    let w = got.one_warning();
    assert_eq!(w.location.line, Some(lines_in(cut)), "{w}");
    assert!(
        w.message.contains("EOF") && w.message.contains("truncated"),
        "{w}"
    );
    let [Item::Trace { id, documents, .. }] = got.items.as_slice() else {
        panic!("{:#?}", got.items)
    };
    assert_eq!(id, "1-5d82881a-0a9126e92a73e971eed891b9");
    assert_eq!(documents.len(), 2);
}

#[test]
fn truncated_array_of_documents_keeps_the_complete_ones() {
    let a = read(&fixture(&format!(
        "{DOCS}/xray-api-segmentdocuments.md.block00.json"
    )));
    let b = read(&fixture(&format!(
        "{DOCS}/xray-api-sendingdata.md.block00.json"
    )));
    let text = format!("[{a},{b},{}", &a[..a.len() / 2]);
    let got = load_text("cut.json", &text);
    assert_eq!(got.doc_names(), ["example.com", "Scorekeep"]);
    assert_eq!(got.one_warning().location.line, Some(lines_in(&text)));
}

#[test]
fn bad_document_in_a_batch_is_located_and_the_rest_loads() {
    let path = fixture("aws-cli-examples/batch-traces-get.rst.output01.json");
    let text = read(&path).replacen(
        r#"\"response\":{\"status\":200}"#,
        r#"\"response\":{\"status\":\"abc\"}"#,
        1,
    );
    let got = load_text("batch.json", &text);
    let w = got.one_warning();
    // The first Document string is on line 9 of the file.
    assert!(
        w.to_string().starts_with(
            "batch.json:9:33: Traces[0].Segments[0].Document: http.response.status: invalid value: string \"abc\""
        ),
        "{w}"
    );
    let [Item::Trace { documents, .. }] = got.items.as_slice() else {
        panic!("{:#?}", got.items)
    };
    assert_eq!(
        documents.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        ["0f278b6334c34e6b"]
    );
}

#[test]
fn bad_summary_is_located_and_the_other_loads() {
    let text = read(&fixture(&format!(
        "{DOCS}/xray-api-gettingdata.md.block05.json"
    )))
    .replacen("\"Duration\": 0.084", "\"Duration\": \"slow\"", 1);
    let got = load_text("s.json", &text);
    let w = got.one_warning();
    assert_eq!(w.location.line, Some(16));
    assert!(
        w.message
            .starts_with("TraceSummaries[0].Duration: invalid type: string \"slow\""),
        "{w}"
    );
    assert_eq!(got.summaries().len(), 1);
    assert_eq!(got.summaries()[0].id, "1-59602603-23fc5b688855d396af79b496");
}

#[test]
fn wrong_type_cause_is_a_number() {
    let bad = fixture("otel-collector-contrib/minCauseIsInvalid.txt");
    let good = fixture(&format!("{DOCS}/xray-api-segmentdocuments.md.block00.json"));
    let alone = load_file(&bad);
    assert_eq!(
        alone.one_warning().to_string(),
        format!(
            "{bad}:8:16: cause: invalid type: integer `200`, expected an exception ID string or a cause object"
        )
    );
    assert!(alone.items.is_empty());
    // Between two good documents, both still load.
    let text = cat(&[&good, &bad, &good]);
    let got = load_text("cat.json", &text);
    assert_eq!(got.doc_names(), ["example.com", "example.com"]);
    assert_eq!(
        got.one_warning().location.line,
        Some(lines_in(&read(&good)) + 1 + 8)
    );
}

#[test]
fn missing_start_time() {
    let bad = fixture("otel-collector-contrib/segmentValidationFailed.txt");
    let good = fixture("otel-collector-contrib/minInProgress.txt");
    let got = load_text("cat.json", &cat(&[&bad, &good]));
    assert_eq!(
        got.warning_texts(),
        ["cat.json:1:1: missing field `start_time`"]
    );
    assert_eq!(got.doc_names(), ["LongOperation"]);
}

#[test]
fn missing_ids() {
    let text = concat!(
        r#"{"name": "no-id", "start_time": 1, "trace_id": "1-a-b"}"#,
        "\n",
        r#"{"id": "aaaaaaaaaaaaaaaa", "name": "no-trace-id", "start_time": 1}"#,
        "\n",
        r#"{"id": "bbbbbbbbbbbbbbbb", "name": "good", "start_time": 1, "trace_id": "1-a-b"}"#,
        "\n",
        r#"{"Traces": [{"Segments": [{"Id": "x", "Document": "{\"id\":\"c\",\"name\":\"n\",\"start_time\":1}"}]}]}"#,
        "\n"
    );
    let got = load_text("ids.ndjson", text);
    assert_eq!(got.doc_names(), ["good"]);
    let w = got.warning_texts();
    assert_eq!(w.len(), 3, "{w:#?}");
    assert_eq!(w[0], "ids.ndjson:1:1: missing field `id`");
    assert!(
        w[1].starts_with("ids.ndjson:2:1: missing field `trace_id`"),
        "{}",
        w[1]
    );
    assert!(
        w[2].starts_with("ids.ndjson:4:13: Traces[0]: missing field `Id`"),
        "{}",
        w[2]
    );
    // A subsegment nested in the docs has no trace_id of its own: real data, same warning.
    let nested = load_file(&fixture(&format!(
        "{DOCS}/xray-api-segmentdocuments.md.block08.json"
    )));
    assert!(
        nested
            .one_warning()
            .message
            .contains("missing field `trace_id`")
    );
}

#[test]
fn unknown_format_bare_array_of_urls() {
    let path = fixture("aws-cli-examples/get-trace-summaries.rst.output01.json");
    assert_eq!(file::detect(read(&path).as_bytes()), Format::Unknown);
    let got = load_file(&path);
    assert!(got.items.is_empty());
    let w = got.one_warning();
    assert_eq!(w.location.line, Some(1));
    assert!(w.message.starts_with("unknown format: expected "), "{w}");
    assert!(w.message.contains("(found an array of 4 strings"), "{w}");
}

#[test]
fn unknown_format_other_cli_output() {
    let path = fixture("aws-cli-examples/get-sampling-rules.rst.output01.json");
    let got = load_file(&path);
    assert!(got.items.is_empty());
    assert!(
        got.one_warning()
            .message
            .contains("found an object with keys \"SamplingRuleRecords\"")
    );
}

#[test]
fn trailing_comma_in_published_doc() {
    let bad = fixture(&format!("{DOCS}/xray-api-segmentdocuments.md.block04.txt"));
    let good = fixture(&format!("{DOCS}/xray-api-sendingdata.md.block00.json"));
    let got = load_text("cat.json", &cat(&[&good, &bad, &good]));
    let offset = lines_in(&read(&good)) + 1;
    assert_eq!(
        got.warning_texts(),
        [format!(
            "cat.json:{}:3: invalid JSON: trailing comma (JSON allows no comma before }} or ])",
            offset + 16
        )]
    );
    assert_eq!(got.doc_names(), ["Scorekeep", "Scorekeep"]);
}

#[test]
fn smart_quotes_in_published_doc() {
    let path = fixture(&format!("{DOCS}/xray-api-sendingdata.md.block01.txt"));
    let got = load_file(&path);
    let w = got.one_warning();
    assert_eq!((w.location.line, w.location.column), (Some(6), Some(3)));
    assert!(w.message.contains("typographic quote"), "{w}");
    let good = fixture(&format!("{DOCS}/xray-api-segmentdocuments.md.block00.json"));
    let both = load_text("cat.json", &cat(&[&path, &good]));
    assert_eq!(both.doc_names(), ["example.com"]);
}

#[test]
fn missing_comma_and_truncation_marker_in_published_docs() {
    let comma = load_file(&fixture(&format!(
        "{DOCS}/xray-api-segmentdocuments.md.block03.txt"
    )));
    let w = comma.one_warning();
    assert_eq!(w.location.line, Some(8));
    assert!(w.message.contains("expected `,` or `}`"), "{w}");
    // "... TRUNCATED FOR BREVITY ..." inside the only service: nothing to keep, one warning.
    let graph = load_file(&fixture(
        "aws-cli-examples/get-service-graph.rst.output01.txt",
    ));
    assert_eq!(graph.one_warning().location.line, Some(66));
    assert!(graph.items.is_empty(), "{:#?}", graph.items);
}

#[test]
fn non_utf8_bytes() {
    let good = read(&fixture(&format!(
        "{DOCS}/xray-api-segmentdocuments.md.block00.json"
    )));
    let good = serde_json::from_str::<serde_json::Value>(&good)
        .unwrap()
        .to_string();
    let mut bytes = Vec::new();
    bytes.extend_from_slice(good.as_bytes());
    bytes.extend_from_slice(b"\n\xff\xfe{\"id\": 1}\n");
    bytes.extend_from_slice(good.as_bytes());
    let got = collect(|sink| file::load_bytes("bin.dat", &bytes, sink));
    assert_eq!(got.doc_names(), ["example.com", "example.com"]);
    let w = got.warning_texts();
    assert!(
        w[0].starts_with("bin.dat:2:1: invalid UTF-8 (byte 0xFF)"),
        "{w:#?}"
    );
    assert!(
        w.iter().skip(1).all(|w| w.starts_with("bin.dat:2:")),
        "{w:#?}"
    );
}

#[test]
fn empty_and_missing_inputs() {
    let got = load_text("empty.json", "\n\n");
    assert!(got.one_warning().message.contains("empty"));
    let err = file::load_path("tests/fixtures/no-such-file.json", &mut |_| {}).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("tests/fixtures/no-such-file.json: "),
        "{err}"
    );
}

#[test]
fn detection_of_damaged_input() {
    let cut = read(&fixture(&format!(
        "{DOCS}/xray-api-gettingdata.md.block07.json"
    )));
    assert_eq!(file::detect(&cut.as_bytes()[..200]), Format::BatchTraces);
    let ndjson = read(&format!("{DERIVED}/segments-bad-line.ndjson"));
    assert_eq!(file::detect(ndjson.as_bytes()), Format::SegmentLines);
    assert_eq!(file::detect(b"\xff\xff"), Format::Unknown);
}

// ---------------------------------------------------------------- never a panic

fn all_fixture_bytes() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for dir in [
        format!("{PUBLIC}/aws-cli-examples"),
        format!("{PUBLIC}/{DOCS}"),
        format!("{PUBLIC}/otel-collector-contrib"),
        DERIVED.to_owned(),
    ] {
        for e in std::fs::read_dir(dir).unwrap() {
            out.push(std::fs::read(e.unwrap().path()).unwrap());
        }
    }
    out
}

fn run(bytes: &[u8]) -> Loaded {
    collect(|sink| file::load_bytes("p", bytes, sink))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let got = run(&bytes);
        let _ = file::detect(&bytes);
        for w in &got.warnings {
            prop_assert!(w.location.line.is_some());
        }
    }

    #[test]
    fn json_like_noise_never_panics(s in r#"[\[\]{}",:0-9a-z \n\\]{0,200}"#) {
        run(s.as_bytes());
    }

    #[test]
    fn truncated_or_mutated_fixtures_never_panic(
        pick in any::<prop::sample::Index>(),
        cut in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        mutate in any::<bool>(),
    ) {
        let all = all_fixture_bytes();
        let src = pick.get(&all);
        let mut bytes = src[..cut.index(src.len() + 1)].to_vec();
        if mutate && !bytes.is_empty() {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        let got = run(&bytes);
        let _ = file::detect(&bytes);
        for w in &got.warnings {
            prop_assert!(w.location.line.is_some());
        }
    }

    #[test]
    fn ndjson_cut_anywhere_keeps_every_complete_line(cut in any::<prop::sample::Index>()) {
        let text = read(&format!("{DERIVED}/daemon-capture.txt"));
        let end = cut.index(text.len() + 1);
        let got = run(&text.as_bytes()[..end]);
        // Lines 2, 4 and 6 are documents: each whole one before the cut must load.
        let complete = text[..end]
            .split_inclusive('\n')
            .enumerate()
            .filter(|(i, l)| i % 2 == 1 && l.ends_with('\n'))
            .count();
        prop_assert!(got.documents().len() >= complete, "{} < {}: {:?}", got.documents().len(), complete, got.warnings);
    }
}

/// Issue 15, item 1: the Python SDK names its AWS call subsegments by botocore's lower-case
/// service id (`dynamodb`, `sqs`, `s3`, `sns`); they make the nodes X-Ray draws (a table, a
/// queue, a bucket, the generic DynamoDB and SNS nodes), and the filter finds them by name.
/// Real SDK output (`tests/fixtures/captured/`).
#[test]
fn python_sdk_aws_calls_make_xrays_nodes() {
    let source = xray_tui::cli::SourceArgs {
        files: vec![
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/captured/python-sdk-aws.ndjson"
            )
            .into(),
        ],
        ..Default::default()
    };
    let data = xray_tui::cli::load(&source, &mut std::io::sink()).expect("loads");
    aws_nodes::check(&data);
}

// ---------------------------------------------------------------- OpenTelemetry JSON (OTLP)

const OTLP: &str = "tests/fixtures/derived/otlp-checkout.ndjson";
const CHECKOUT: &str = "1-66669980-3f1c9a0b7d2e4c6a8b0d1e2f";
const RANDOM_W3C: &str = "c0ffee00d15ea5e5b0a710ad5eed1e55";

/// Names of a node's children, in order.
fn child_names(t: &xray_tui::model::Trace, id: usize) -> Vec<&str> {
    t.nodes[id]
        .children
        .iter()
        .map(|&c| t.nodes[c].doc.name.as_str())
        .collect()
}

#[test]
fn otlp_json_file_loads_as_a_trace_of_segments() {
    assert_eq!(file::detect(read(OTLP).as_bytes()), Format::OtlpJson);
    let got = load_file(OTLP);
    assert!(got.warnings.is_empty(), "{:#?}", got.warnings);
    assert_eq!(got.documents().len(), 8, "one document per span");

    // Through --file, as the app and the headless commands load it.
    let source = xray_tui::cli::SourceArgs {
        files: vec![OTLP.into()],
        ..Default::default()
    };
    let data = xray_tui::cli::load(&source, &mut std::io::sink()).expect("loads");
    assert_eq!(data.traces.len(), 2);
    let t = data
        .traces
        .by_id(CHECKOUT)
        .expect("the X-Ray form of the W3C ID");
    // shop-api (server) -> call to orders.internal -> orders (server) -> DynamoDB, SQS, SQL;
    // shop-api -> call to the payments API.
    assert_eq!(t.roots.len(), 1, "one root, no orphans");
    let root = t.roots[0];
    assert_eq!(t.nodes[root].doc.name, "shop-api");
    assert_eq!(
        t.nodes[root].doc.origin.as_deref(),
        Some("AWS::ECS::Fargate")
    );
    assert_eq!(
        child_names(&t, root),
        ["orders.internal", "api.payments.example.net"]
    );
    let call = t.nodes[root].children[0];
    assert_eq!(child_names(&t, call), ["orders"]);
    let orders = t.nodes[call].children[0];
    assert_eq!(
        child_names(&t, orders),
        [
            "DynamoDB",
            "SQS",
            "shop@shop-db.cluster-abc.eu-west-1.rds.amazonaws.com"
        ]
    );
    let root_doc = &t.nodes[root].doc;
    assert!(root_doc.is_fault());
    assert_eq!(root_doc.user.as_deref(), Some("alice"));
    let ex = root_doc.exceptions();
    assert_eq!(ex.len(), 2, "the exception and its Java cause");
    assert_eq!(ex[0].stack.len(), 2);
    assert_eq!(
        ex[1].kind.as_deref(),
        Some("java.net.SocketTimeoutException")
    );
    let sql = &t.nodes[t.nodes[orders].children[2]].doc;
    assert_eq!(
        sql.exceptions()[0].stack[0].path.as_deref(),
        Some("/app/orders/api.py"),
        "Python frames, innermost last in the traceback, outermost last here"
    );

    // A random W3C trace ID is kept as it is, and the document says X-Ray would refuse it.
    let w = data.traces.by_id(RANDOM_W3C).expect("kept in W3C form");
    let consumer = &w.nodes[w.roots[0]].doc;
    assert_eq!(consumer.name, "fulfilment");
    assert_eq!(
        consumer.metadata.as_ref().unwrap()["otel"]["xray_trace_id"],
        false
    );
    assert_eq!(consumer.extra["links"][0]["trace_id"], CHECKOUT);

    // Filters see what X-Ray would: the table node, the annotation, the fault.
    for (expr, hits) in [
        (r#"service("shop-orders")"#, 1),
        (r#"service(id(type: "AWS::SQS::Queue"))"#, 1),
        (r#"edge("orders", "shop-orders")"#, 1),
        (r#"annotation[order.tier] = "gold""#, 1),
        ("fault", 1),
        (r#"service("DynamoDB")"#, 0),
    ] {
        let f = xray_tui::filter::parse(expr).expect(expr);
        let n = (0..data.rows.len())
            .filter(|&i| {
                f.verdict_at(&data, i, &xray_tui::filter::EvalContext::default())
                    == xray_tui::filter::Verdict::Match
            })
            .count();
        assert_eq!(n, hits, "{expr}");
    }
}

#[test]
fn otlp_json_graph_names_nodes_as_xray_does() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_xray-tui"))
        .args(["graph", "--file", OTLP, "--format", "text"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let node = |name: &str, kind: &str| {
        text.lines().any(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            cols.first() == Some(&name) && cols.get(1) == Some(&kind)
        })
    };
    for (name, kind) in [
        ("shop-api", "AWS::ECS::Fargate"),
        ("orders", "AWS::EKS::Container"),
        ("shop-orders", "AWS::DynamoDB::Table"),
        ("orders-events", "AWS::SQS::Queue"),
        (
            "shop@shop-db.cluster-abc.eu-west-1.rds.amazonaws.com",
            "Database::SQL",
        ),
        ("api.payments.example.net", "remote"),
        ("fulfilment", "AWS::Lambda::Function"),
    ] {
        assert!(node(name, kind), "no node {name} ({kind}) in\n{text}");
    }
    for generic in ["DynamoDB", "SQS", "orders.internal"] {
        assert!(
            !text.lines().any(|l| l.starts_with(&format!("{generic} "))),
            "{generic} is no node of its own:\n{text}"
        );
    }
    assert!(
        text.contains("-> orders (AWS::EKS::Container)"),
        "the call to orders.internal reaches the orders service:\n{text}"
    );
}

#[test]
fn otlp_json_pretty_and_damaged_requests() {
    // One pretty-printed request (what a person saves by hand) reads the same.
    let first = read(OTLP).lines().next().unwrap().to_owned();
    let value: serde_json::Value = serde_json::from_str(&first).unwrap();
    let pretty = serde_json::to_string_pretty(&value).unwrap();
    assert_eq!(file::detect(pretty.as_bytes()), Format::OtlpJson);
    let got = load_text("pretty.json", &pretty);
    assert!(got.warnings.is_empty(), "{:#?}", got.warnings);
    assert_eq!(
        got.doc_names(),
        ["shop-api", "orders.internal", "api.payments.example.net"]
    );

    // A request that does not parse is a located warning; the lines around it load.
    let all = read(OTLP);
    let lines: Vec<&str> = all.lines().collect();
    let bad = lines[1].replacen("\"spanId\":\"2000000000000002\"", "\"spanId\":\"zz\"", 1);
    assert_ne!(bad, lines[1]);
    let text = format!("{}\n{bad}\n{}\n", lines[0], lines[2]);
    let got = load_text("spans.json", &text);
    let w = got.one_warning();
    assert_eq!(w.location.line, Some(2), "{w}");
    assert!(
        w.message
            .contains("resourceSpans[0].scopeSpans[0].spans[1].spanId"),
        "{w}"
    );
    assert_eq!(got.documents().len(), 4, "lines 1 and 3 load");

    // A span that cannot be a document is skipped with a located warning; its request's other
    // spans load.
    let zero = lines[1].replacen(
        "\"spanId\":\"2000000000000002\"",
        "\"spanId\":\"0000000000000000\"",
        1,
    );
    let got = load_text("spans.json", &zero);
    let w = got.one_warning();
    assert_eq!(w.location.line, Some(1), "{w}");
    assert!(
        w.message.contains("spans[1]") && w.message.contains("span ID"),
        "{w}"
    );
    assert_eq!(got.documents().len(), 3);
}

/// The Collector's own test data: the independent SQL subsegment its X-Ray receiver reads
/// (`indepSubsegmentWithSql.txt`), written as the span OpenTelemetry instrumentation makes for
/// that query, translates back to the same document: name, IDs, times, namespace, sql fields,
/// and so the same graph node.
#[test]
fn otlp_translation_of_the_collectors_sql_subsegment() {
    let want: Segment = serde_json::from_str(&read(&fixture(
        "otel-collector-contrib/indepSubsegmentWithSql.txt",
    )))
    .unwrap();
    let attr = |k: &str, v: &str| serde_json::json!({"key": k, "value": {"stringValue": v}});
    let request = serde_json::json!({"resourceSpans": [{"scopeSpans": [{"spans": [{
        "traceId": "581cf771a006649127e371903a2de979",
        "spanId": "3fd8634e78ca9560",
        "parentSpanId": "defdfd9912dc5a56",
        "name": "jdbc:postgresql://aawijb5u25wdoy.cpamxznpdoq8.us-west-2.rds.amazonaws.com:5432/ebdb?myInterceptor=foo",
        "kind": 3,
        "startTimeUnixNano": "1484872218696000000",
        "endTimeUnixNano": "1484872218697000000",
        "attributes": [
            attr("db.system", "postgresql"),
            attr("db.name", "ebdb"),
            attr("db.connection_string", "jdbc:postgresql://aawijb5u25wdoy.cpamxznpdoq8.us-west-2.rds.amazonaws.com:5432"),
            attr("db.user", "dbuser"),
            attr("db.statement", "SELECT  *  FROM  customers  WHERE  customer_id=?;"),
        ],
    }]}]}]});
    use xray_tui::source::otlp::translate;
    let req = translate::parse_json(request.to_string().as_bytes()).unwrap();
    let t = translate::translate(&req);
    assert_eq!((t.spans, t.rejected.len()), (1, 0));
    let got: Segment = serde_json::from_str(&t.documents[0].json).unwrap();
    assert_eq!(got.name, want.name);
    assert_eq!(got.id, want.id);
    assert_eq!(got.parent_id, want.parent_id);
    assert_eq!(got.kind, want.kind);
    assert_eq!(got.namespace, want.namespace);
    assert_eq!(got.start_time, want.start_time);
    assert_eq!(got.end_time, want.end_time);
    let (g, w) = (got.sql.as_ref().unwrap(), want.sql.as_ref().unwrap());
    assert_eq!(g.url, w.url, "the exporter puts the span name in sql.url");
    assert_eq!(g.user, w.user);
    assert_eq!(g.sanitized_query, w.sanitized_query);
    assert_eq!(
        g.database_type.as_deref().map(str::to_lowercase),
        w.database_type.as_deref().map(str::to_lowercase)
    );
    assert_eq!(
        xray_tui::engine::service::of_downstream(&got),
        xray_tui::engine::service::of_downstream(&want)
    );
    // The fixture's trace ID is 76 days older than its span: X-Ray refuses that (the exporter
    // drops such spans), so the W3C form is kept.
    assert_eq!(
        got.trace_id.as_deref(),
        Some("581cf771a006649127e371903a2de979")
    );
    assert_eq!(t.documents[0].trace_id, "581cf771a006649127e371903a2de979");
}

// ------------------------------------------- list-retrieved-traces (Transaction Search)

const RETRIEVED_OTEL: &str = "tests/fixtures/derived/retrieved-traces-otel.json";
const RETRIEVED_XRAY: &str = "tests/fixtures/derived/retrieved-traces-xray.json";

fn load_through_cli(path: &str) -> xray_tui::engine::dataset::Dataset {
    let source = xray_tui::cli::SourceArgs {
        files: vec![path.into()],
        ..Default::default()
    };
    xray_tui::cli::load(&source, &mut std::io::sink()).expect("loads")
}

/// What a trace is made of, independent of how its documents were cut: each entity's name,
/// its parent's name, and its fault and error flags, sorted.
fn shape(t: &xray_tui::model::Trace) -> Vec<(String, String, bool, bool)> {
    let mut out: Vec<_> = t
        .nodes
        .iter()
        .map(|n| {
            let parent = n
                .parent
                .map(|p| t.nodes[p].doc.name.clone())
                .unwrap_or_default();
            (
                n.doc.name.clone(),
                parent,
                n.doc.is_fault(),
                n.doc.is_error(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn retrieved_traces_in_otel_form_are_translated_like_otlp() {
    assert_eq!(
        file::detect(read(RETRIEVED_OTEL).as_bytes()),
        Format::RetrievedTraces
    );
    let got = load_file(RETRIEVED_OTEL);
    assert!(got.warnings.is_empty(), "{:#?}", got.warnings);
    assert_eq!(got.documents().len(), 8, "one document per span");

    let data = load_through_cli(RETRIEVED_OTEL);
    let otlp = load_through_cli(OTLP);
    assert_eq!(data.traces.len(), 2);
    for id in [CHECKOUT, RANDOM_W3C] {
        let a = data.traces.by_id(id).expect("in the OTEL form");
        let b = otlp.traces.by_id(id).expect("in the OTLP file");
        assert_eq!(shape(&a), shape(&b), "{id}");
    }
    // Annotations, users and the exception's stack come through the flattened attributes.
    let t = data.traces.by_id(CHECKOUT).unwrap();
    let root = &t.nodes[t.roots[0]].doc;
    assert_eq!(root.user.as_deref(), Some("alice"));
    assert_eq!(root.exceptions().len(), 2);
    assert!(root.annotations.as_ref().is_some_and(|a| !a.is_empty()));

    // The W3C trace X-Ray would refuse is kept by its W3C ID; its link and its span event
    // (not an exception) are on the document.
    let w = data.traces.by_id(RANDOM_W3C).expect("kept in W3C form");
    let consumer = &w.nodes[w.roots[0]].doc;
    let otel = &consumer.metadata.as_ref().unwrap()["otel"];
    assert_eq!(otel["xray_trace_id"], false);
    assert_eq!(otel["events"][0]["name"], "order.allocated");
    assert_eq!(otel["events"][0]["attributes"]["warehouse"], "DUB-2");
    assert_eq!(consumer.extra["links"][0]["trace_id"], CHECKOUT);
}

#[test]
fn retrieved_traces_in_xray_form_are_segment_documents() {
    assert_eq!(
        file::detect(read(RETRIEVED_XRAY).as_bytes()),
        Format::RetrievedTraces
    );
    let got = load_file(RETRIEVED_XRAY);
    assert!(got.warnings.is_empty(), "{:#?}", got.warnings);
    let data = load_through_cli(RETRIEVED_XRAY);
    assert_eq!(data.traces.len(), 2);
    let otel = load_through_cli(RETRIEVED_OTEL);
    let a = data.traces.by_id(CHECKOUT).expect("checkout");
    assert_eq!(a.nodes.len(), 7);
    assert_eq!(shape(&a), shape(&otel.traces.by_id(CHECKOUT).unwrap()));
    // The same fulfilment trace, in X-Ray spelling here; found by either.
    let x = "1-c0ffee00-d15ea5e5b0a710ad5eed1e55";
    assert!(data.traces.by_id(x).is_some());
    assert_eq!(data.find_trace(RANDOM_W3C).expect("W3C spelling").id, x);
    assert_eq!(otel.find_trace(x).expect("X-Ray spelling").id, RANDOM_W3C);
    // The X-Ray documents carry their links as X-Ray writes them.
    let f = data.traces.by_id(x).unwrap();
    assert_eq!(
        f.nodes[f.roots[0]].doc.extra["links"][0]["trace_id"],
        CHECKOUT
    );
}

#[test]
fn retrieved_traces_without_their_format_and_with_bad_spans() {
    // `--query Traces` style output keeps the traces but not TraceFormat: each document is
    // looked at. One span is damaged: a located warning, the rest loads.
    let mut v: serde_json::Value = serde_json::from_str(&read(RETRIEVED_OTEL)).unwrap();
    v.as_object_mut().unwrap().remove("TraceFormat");
    v["Traces"][0]["Spans"][1]["Document"] = "{\"traceId\": ".into();
    v["Traces"][0]["Spans"][2]["Document"] =
        serde_json::json!({"traceId": "zz", "spanId": "01", "name": "bad"})
            .to_string()
            .into();
    let text = serde_json::to_string_pretty(&v).unwrap();
    let got = load_text("retrieved.json", &text);
    assert_eq!(got.documents().len(), 6);
    let w = got.warning_texts();
    assert_eq!(w.len(), 2, "{w:#?}");
    assert!(w[0].contains("Traces[0].Spans[1].Document"), "{w:#?}");
    assert!(
        w[1].contains("Traces[0].Spans[2].Document") && w[1].contains("span skipped"),
        "{w:#?}"
    );
    assert!(
        w.iter().all(|m| m.starts_with("retrieved.json:")),
        "located: {w:#?}"
    );

    // A retrieval still running has no traces yet: said so.
    let got = load_text(
        "running.json",
        r#"{"RetrievalStatus": "RUNNING", "TraceFormat": "XRAY", "Traces": []}"#,
    );
    assert!(
        got.one_warning()
            .to_string()
            .contains("RetrievalStatus is RUNNING"),
        "{:?}",
        got.warnings
    );
}
