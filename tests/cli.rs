//! End-to-end tests of the headless commands: the real binary, real files, exit codes.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_xray-tui"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write stdin");
    child.wait_with_output().expect("binary finishes")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn fixture(rel: &str) -> String {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", rel]
        .iter()
        .collect();
    p.to_string_lossy().into_owned()
}

fn tmp(name: &str, contents: &str) -> String {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join(name);
    std::fs::write(&p, contents).expect("write temp file");
    p.to_string_lossy().into_owned()
}

fn json(o: &Output) -> Value {
    assert!(o.status.success(), "failed: {}", stderr(o));
    serde_json::from_slice(&o.stdout).expect("stdout is JSON")
}

/// `query` lists newest first in every format, as the app's list does (ties by ID, also
/// descending), whatever order the input had.
#[test]
fn query_lists_newest_first() {
    let doc = |trace: &str, id: &str, start: f64| {
        serde_json::json!({"trace_id": trace, "id": id, "name": "svc",
            "start_time": start, "end_time": start + 0.5})
        .to_string()
    };
    let (a, b, c, d) = (
        "1-5f000000-000000000000000000000001",
        "1-5f000000-000000000000000000000002",
        "1-5f000000-000000000000000000000003",
        "1-5f000000-000000000000000000000004",
    );
    let f = tmp(
        "newest-first.ndjson",
        &[
            doc(a, "00000000000000a1", 1_600_000_100.0),
            doc(b, "00000000000000b1", 1_600_000_300.0),
            doc(c, "00000000000000c1", 1_600_000_200.0),
            doc(d, "00000000000000d1", 1_600_000_200.0),
        ]
        .join("\n"),
    );
    let want = [b, d, c, a];
    let ids = stdout(&run(&["query", "--file", &f, "--format", "ids"]));
    assert_eq!(ids.lines().collect::<Vec<_>>(), want);
    let table = stdout(&run(&["query", "--file", &f]));
    let rows: Vec<&str> = table
        .lines()
        .skip(1)
        .filter_map(|l| want.iter().copied().find(|id| l.contains(id)))
        .collect();
    assert_eq!(rows, want, "{table}");
    let v = json(&run(&["query", "--file", &f, "--format", "json"]));
    let got: Vec<&str> = v["TraceSummaries"]
        .as_array()
        .expect("summaries")
        .iter()
        .filter_map(|s| s["Id"].as_str())
        .collect();
    assert_eq!(got, want);
}

#[test]
fn query_demo_table_lists_every_trace() {
    let o = run(&["query", "--demo", "--format", "table"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let first = out.lines().next().expect("header");
    assert!(
        first.starts_with("START (UTC)") && first.contains("TRACE ID") && first.contains("FLAGS")
    );
    let ids = stdout(&run(&["query", "--demo", "--format", "ids"]));
    let n = ids.lines().count();
    assert!(n >= 300, "demo has {n} traces");
    assert!(out.trim_end().ends_with(&format!("{n} traces")));
    assert!(
        out.lines().any(|l| l.contains(" F")),
        "some trace shows a fault flag"
    );
}

#[test]
fn ids_are_newest_first_and_real_trace_ids() {
    let o = run(&["query", "--demo", "--format", "json"]);
    let v = json(&o);
    let starts: Vec<f64> = v["TraceSummaries"]
        .as_array()
        .expect("array")
        .iter()
        .map(|s| s["StartTime"].as_f64().expect("StartTime"))
        .collect();
    assert!(starts.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let ids = stdout(&run(&["query", "--demo", "--format", "ids"]));
    assert!(
        ids.lines().all(|l| l.starts_with("1-") && l.len() == 35),
        "{ids}"
    );
}

/// Every JSON output reads back with --file and gives the same traces.
#[test]
fn outputs_read_back_give_the_same_traces() {
    let summaries = stdout(&run(&["query", "--demo", "--format", "json"]));
    let batch = stdout(&run(&["trace", "--all", "--demo", "--format", "json"]));
    let batch_v: Value = serde_json::from_str(&batch).expect("batch JSON");

    // batch-get-traces output -> same summaries
    let batch_file = tmp("batch.json", &batch);
    let from_batch = stdout(&run(&["query", "--file", &batch_file, "--format", "json"]));
    assert_eq!(from_batch, summaries, "batch-get-traces round trip");

    // get-trace-summaries output -> same summaries
    let sum_file = tmp("summaries.json", &summaries);
    let from_sums = stdout(&run(&["query", "--file", &sum_file, "--format", "json"]));
    assert_eq!(from_sums, summaries, "get-trace-summaries round trip");

    // the same documents as NDJSON, a JSON array, and a daemon capture
    let docs: Vec<Value> = batch_v["Traces"]
        .as_array()
        .expect("Traces")
        .iter()
        .flat_map(|t| t["Segments"].as_array().expect("Segments").clone())
        .map(|s| serde_json::from_str(s["Document"].as_str().expect("Document")).expect("doc"))
        .collect();
    let ndjson: String = docs.iter().map(|d| format!("{d}\n")).collect();
    let array = serde_json::to_string_pretty(&docs).expect("array");
    let capture: String = docs
        .iter()
        .map(|d| format!("{{\"format\":\"json\",\"version\":1}}\n{d}\n"))
        .collect();
    for (name, text) in [
        ("docs.ndjson", &ndjson),
        ("docs.json", &array),
        ("capture.txt", &capture),
    ] {
        let f = tmp(name, text);
        let got = stdout(&run(&["query", "--file", &f, "--format", "json"]));
        assert_eq!(got, summaries, "{name} gives the same summaries");
    }
    // and from stdin
    let got = stdout(&run_stdin(
        &["query", "--file", "-", "--format", "json"],
        ndjson.as_bytes(),
    ));
    assert_eq!(got, summaries, "stdin");

    // get-service-graph output reads back as the same graph
    let graph = stdout(&run(&["graph", "--demo", "--format", "json"]));
    let g_file = tmp("graph.json", &graph);
    let again = stdout(&run(&["graph", "--file", &g_file, "--format", "json"]));
    assert_eq!(again, graph, "get-service-graph round trip");
}

#[test]
fn cli_v1_and_v2_summaries_files_agree() {
    let v1 =
        fixture("public/awsdocs-aws-xray-developer-guide/xray-api-gettingdata.md.block05.json");
    let o = run(&["query", "--file", &v1, "--format", "ids"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o).lines().collect::<Vec<_>>(),
        [
            "1-59602606-a43a1ac52fc7ee0eea12a82c",
            "1-59602603-23fc5b688855d396af79b496"
        ]
    );
}

#[test]
fn no_source_and_no_aws_region_is_a_usage_error() {
    // Without --demo/--file the source is AWS; with no region configured it stops before any
    // network call and points at the offline sources. Hermetic: no AWS config of the machine.
    let o = bin()
        .args(["query"])
        .env("AWS_CONFIG_FILE", "/nonexistent/xray-tui-test")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/xray-tui-test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("run xray-tui");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--demo"), "{}", stderr(&o));
}

#[test]
fn bad_filter_shows_a_caret_and_a_suggestion_and_runs_nothing() {
    let o = run(&["query", "--demo", "--filter", "fault AND responstime > 1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let err = stderr(&o);
    assert!(
        err.contains("fault AND responstime > 1\n          ^^^^^^^^^^^"),
        "{err}"
    );
    assert!(err.contains("did you mean `responsetime`?"), "{err}");
}

#[test]
fn filter_check_prints_the_normalised_expression() {
    let o = run(&[
        "filter",
        "check",
        "service(\"payments\") {fault} and responsetime>1 or user = \"alice\"",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "service(\"payments\") { fault } AND responsetime > 1 OR user = \"alice\"\n"
    );
    let o = run(&["filter", "check", "http.status = \"500\""]);
    assert_eq!(o.status.code(), Some(2));
}

/// `fault` at trace level reads the root segment: exactly the traces whose root answered 5xx
/// (the demo sets the fault flag with every 5xx).
#[test]
fn query_filter_selects_root_faults() {
    let all = json(&run(&["query", "--demo", "--format", "json"]));
    let want: Vec<&str> = all["TraceSummaries"]
        .as_array()
        .expect("array")
        .iter()
        .filter(|s| {
            s["Http"]["HttpStatus"]
                .as_u64()
                .is_some_and(|c| (500..600).contains(&c))
        })
        .map(|s| s["Id"].as_str().expect("id"))
        .collect();
    assert!(!want.is_empty());
    let got = stdout(&run(&[
        "query", "--demo", "--filter", "fault", "--format", "ids",
    ]));
    assert_eq!(got.lines().collect::<Vec<_>>(), want);
}

/// `edge()` sees the edges the service map draws: a queue sits between producer and consumer.
#[test]
fn edge_filter_agrees_with_the_service_map() {
    let count = |f: &str| {
        let o = run(&["query", "--demo", "--filter", f, "--format", "ids"]);
        assert!(o.status.success(), "{f}: {}", stderr(&o));
        stdout(&o).lines().count()
    };
    let via_queue = count(r#"edge("checkout", "order-events")"#);
    assert!(via_queue > 0);
    assert_eq!(
        count(r#"edge("order-events", "inventory-worker")"#),
        via_queue - 1,
        "one consumer segment is missing in the demo"
    );
    assert_eq!(
        count(r#"edge("checkout", "inventory-worker")"#),
        0,
        "no direct edge"
    );
    let graph = stdout(&run(&["graph", "--demo"]));
    assert!(graph.contains("-> order-events (AWS::SQS::Queue)"));
    assert!(graph.contains("-> inventory-worker (AWS::ECS::Container)"));
}

/// `group.name` evaluates the group's own expression, with groups from a get-groups file.
#[test]
fn group_filter_uses_groups_from_a_file() {
    let groups = tmp(
        "groups.json",
        r#"{"Groups":[{"GroupName":"slow","GroupARN":"arn:aws:xray:us-east-1:123456789012:group/slow/X","FilterExpression":"responsetime > 1"}]}"#,
    );
    let by_group = run(&[
        "query",
        "--demo",
        "--file",
        &groups,
        "--filter",
        "group.name = \"slow\"",
        "--format",
        "ids",
    ]);
    assert!(by_group.status.success(), "{}", stderr(&by_group));
    let direct = run(&[
        "query",
        "--demo",
        "--filter",
        "responsetime > 1",
        "--format",
        "ids",
    ]);
    assert!(!stdout(&direct).is_empty());
    assert_eq!(stdout(&by_group), stdout(&direct));
    let unknown = run(&["query", "--demo", "--filter", "group.name = \"fast\""]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("unknown group"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn damaged_file_warns_with_location_and_keeps_the_rest() {
    let good = r#"{"id":"a000000000000001","name":"api","trace_id":"1-5f2aebcc-b475d14618c51eaa28753d37","start_time":1596648396.1,"end_time":1596648396.2}"#;
    let text = format!(
        "{good}\n{{\"id\": \"broken\", \"name\": \n{}\n",
        good.replace("a000000000000001", "a000000000000002")
            .replace("b475d", "c475d")
    );
    let f = tmp("damaged.ndjson", &text);
    let o = run(&["query", "--file", &f, "--format", "ids"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 2, "both good documents load");
    let err = stderr(&o);
    assert!(err.contains(&format!("{f}:2")), "located at line 2: {err}");
}

#[test]
fn nothing_loadable_is_a_runtime_failure() {
    let f = tmp("garbage.json", "this is not json\n");
    let o = run(&["query", "--file", &f]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains(&f), "{}", stderr(&o));
    let o = run(&["query", "--file", "/no/such/file.json"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("/no/such/file.json"));
}

#[test]
fn trace_by_prefix_and_missing_ids() {
    let batch = fixture("public/aws-cli-examples/batch-traces-get.rst.output01.json");
    let o = run(&["trace", "1-5d82881a", "--file", &batch]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("Trace 1-5d82881a-0a9126e92a73e971eed891b9"));
    let o = run(&[
        "trace",
        "1-00000000-000000000000000000000000",
        "--file",
        &batch,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("1-00000000"), "{}", stderr(&o));
}

#[test]
fn trace_and_graph_outputs_for_a_fixture() {
    let batch =
        fixture("public/awsdocs-aws-xray-developer-guide/xray-api-gettingdata.md.block07.json");
    let trace = stdout(&run(&[
        "trace",
        "1-59602603-23fc5b688855d396af79b496",
        "--file",
        &batch,
    ]));
    insta::assert_snapshot!("trace_text_block07", trace);
    let graph = stdout(&run(&["graph", "--file", &batch]));
    insta::assert_snapshot!("graph_text_block07", graph);
    let dot = stdout(&run(&["graph", "--file", &batch, "--format", "dot"]));
    insta::assert_snapshot!("graph_dot_block07", dot);
    let cli = fixture("public/aws-cli-examples/batch-traces-get.rst.output01.json");
    let trace = stdout(&run(&["trace", "--all", "--file", &cli]));
    insta::assert_snapshot!("trace_text_cli_example", trace);
}

#[test]
fn broken_pipe_is_not_an_error() {
    let mut child = bin()
        .args(["query", "--demo", "--format", "ids"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    drop(child.stdout.take());
    let o = child.wait_with_output().expect("finishes");
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
}

#[test]
fn default_config_prints_and_reads_back() {
    let o = run(&["--print-default-config"]);
    assert!(o.status.success());
    let text = stdout(&o);
    assert!(text.contains("[filters]"), "{text}");
    let f = tmp("default-config.toml", &text);
    let o = run(&[
        "--config", &f, "query", "--demo", "--filter", "@slow", "--format", "ids",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// Saved filters are `@name`; local groups serve `group.name`.
#[test]
fn config_saved_filters_and_local_groups() {
    let f = tmp(
        "config.toml",
        "[filters]\nslow = \"responsetime > 1\"\n\n[[groups]]\nname = \"payments-failing\"\nfilter = 'service(\"payments\") { fault OR error }'\n",
    );
    let ids = |filter: &str| {
        let o = run(&[
            "--config", &f, "query", "--demo", "--filter", filter, "--format", "ids",
        ]);
        assert!(o.status.success(), "{filter}: {}", stderr(&o));
        stdout(&o)
    };
    assert!(!ids("@slow").is_empty());
    assert_eq!(ids("@slow"), ids("responsetime > 1"));
    let by_group = ids("group.name = \"payments-failing\"");
    assert!(!by_group.is_empty());
    assert_eq!(by_group, ids("service(\"payments\") { fault OR error }"));
    let o = run(&["--config", &f, "query", "--demo", "--filter", "@fast"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no saved filter named `fast`; saved: slow"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn broken_config_names_the_file_and_the_key() {
    let f = tmp("bad-config.toml", "[filters]\nslow = \"responstime > 1\"\n");
    let o = run(&["--config", &f, "query", "--demo"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains(&f) && err.contains("filters.slow") && err.contains("responsetime"),
        "{err}"
    );
    let f = tmp("bad-config2.toml", "[filter]\nslow = \"fault\"\n");
    let o = run(&["--config", &f, "query", "--demo"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("filter"), "{}", stderr(&o));
    let o = run(&["--config", "/no/such/config.toml", "query", "--demo"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/no/such/config.toml"));
}

#[test]
fn duplicate_key_bindings_and_bad_colours_name_the_file_and_the_key() {
    let f = tmp("dup-keys.toml", "[keys.list]\nsort_next = \"f\"\n");
    let o = run(&["--config", &f, "query", "--demo"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains(&f) && err.contains("[keys.list] sort_next") && err.contains("`filter`"),
        "{err}"
    );
    let f = tmp("unknown-action.toml", "[keys.trace]\nexpand = \"E\"\n");
    let o = run(&["--config", &f, "query", "--demo"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains(&f) && err.contains("unknown action `expand`") && err.contains("expand_all"),
        "{err}"
    );
    let f = tmp("bad-colour.toml", "[theme]\naccent = \"yelow\"\n");
    let o = run(&["--config", &f, "query", "--demo"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains(&f) && err.contains("theme.accent") && err.contains("yelow"),
        "{err}"
    );
}

/// Issue 14, item 10: endless input with no newline (`/dev/zero`) ends, with a warning naming
/// the line, instead of growing until memory runs out.
#[cfg(unix)]
#[test]
fn endless_input_ends_with_a_located_warning() {
    let o = run(&["query", "--file", "/dev/zero", "--max-line", "1048576"]);
    let err = stderr(&o);
    assert!(
        err.contains("/dev/zero:1:1: line longer than 1 MiB with no end in sight"),
        "{err}"
    );
    assert_eq!(o.status.code(), Some(1), "nothing loaded: {err}");
}

/// A line past `--max-line` is left out with a warning on its line; the documents around it
/// load, and later warnings keep their line numbers.
#[test]
fn a_line_past_the_limit_is_left_out_and_the_rest_loads() {
    let doc = |id: &str| {
        format!(
            r#"{{"trace_id":"1-5f84c7a1-1a2b3c4d5e6f708192a3b4c5","id":"{id}","name":"svc","start_time":1,"end_time":2}}"#
        )
    };
    let input = format!(
        "{}\n{{\"padding\":\"{}\"}}\n{}\nnot json\n",
        doc("70de5b6f19ff9a0a"),
        "x".repeat(4096),
        doc("80de5b6f19ff9a0a")
    );
    let o = run_stdin(
        &[
            "query",
            "--file",
            "-",
            "--max-line",
            "1000",
            "--format",
            "json",
        ],
        input.as_bytes(),
    );
    let err = stderr(&o);
    assert!(
        err.contains("-:2:1: line of 4.0 KiB is longer than the 1000 bytes limit; skipped"),
        "{err}"
    );
    assert!(err.contains("-:4:"), "the bad line keeps its number: {err}");
    let v: Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["TraceSummaries"].as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(o.status.code(), Some(0), "{err}");
}

/// `trace` finds a trace by either spelling of its ID (X-Ray `1-…` or 32-hex W3C, whole or a
/// unique part), and a trace kept in W3C form (one X-Ray would not accept) by its W3C ID, its
/// X-Ray spelling and a pasted `traceparent`.
#[test]
fn trace_takes_either_spelling_of_an_id() {
    let otel = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/derived/retrieved-traces-otel.json"
    );
    let xray = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/derived/retrieved-traces-xray.json"
    );
    for (file, arg, want) in [
        (
            otel,
            "666699803f1c9a0b7d2e4c6a8b0d1e2f",
            "1-66669980-3f1c9a0b7d2e4c6a8b0d1e2f",
        ),
        (
            otel,
            "666699803f1c9a0b",
            "1-66669980-3f1c9a0b7d2e4c6a8b0d1e2f",
        ),
        (
            otel,
            "c0ffee00d15ea5e5b0a710ad5eed1e55",
            "c0ffee00d15ea5e5b0a710ad5eed1e55",
        ),
        (
            otel,
            "1-c0ffee00-d15ea5e5b0a710ad5eed1e55",
            "c0ffee00d15ea5e5b0a710ad5eed1e55",
        ),
        (
            otel,
            "traceparent: 00-c0ffee00d15ea5e5b0a710ad5eed1e55-3000000000000001-01",
            "c0ffee00d15ea5e5b0a710ad5eed1e55",
        ),
        (
            xray,
            "c0ffee00d15ea5e5b0a710ad5eed1e55",
            "1-c0ffee00-d15ea5e5b0a710ad5eed1e55",
        ),
        (
            xray,
            "00-c0ffee00d15ea5e5b0a710ad5eed1e55-3000000000000001-00",
            "1-c0ffee00-d15ea5e5b0a710ad5eed1e55",
        ),
    ] {
        let o = run(&["trace", arg, "--file", file]);
        assert!(o.status.success(), "{arg}: {}", stderr(&o));
        assert!(
            stdout(&o).starts_with(&format!("Trace {want} ")),
            "{arg}: {}",
            stdout(&o)
        );
    }
}

/// `trace` takes a tracing header as pasted from a log: `X-Amzn-Trace-Id` or `traceparent`.
#[test]
fn trace_takes_a_tracing_header() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/derived/wide-names.ndjson"
    );
    for header in [
        "X-Amzn-Trace-Id: Root=1-6b055210-0a1b2c3d4e5f60718293a4b5;Parent=2a2b3c4d5e6f7081;Sampled=1",
        "traceparent: 00-6b0552100a1b2c3d4e5f60718293a4b5-2a2b3c4d5e6f7081-01",
    ] {
        let o = run(&["trace", header, "--file", file]);
        assert!(o.status.success(), "{header}: {}", stderr(&o));
        assert!(
            stdout(&o).starts_with("Trace 1-6b055210-0a1b2c3d4e5f60718293a4b5 "),
            "{}",
            stdout(&o)
        );
    }
}

/// The entity a tracing header names (`Parent=`, a traceparent's span ID) is pointed out: a
/// line under the trace header says which it is, its row is marked `▶`, and `--format json`
/// names it in `HeaderParents` (the output still reopens as a file). A parent the trace does
/// not hold is said to be missing.
#[test]
fn trace_header_marks_the_parent_entity() {
    let file = fixture("derived/wide-names.ndjson");
    for header in [
        "X-Amzn-Trace-Id: Root=1-6b055210-0a1b2c3d4e5f60718293a4b5;Parent=4a2b3c4d5e6f7081;Sampled=1",
        "traceparent: 00-6b0552100a1b2c3d4e5f60718293a4b5-4a2b3c4d5e6f7081-01",
    ] {
        let o = run(&["trace", header, "--file", &file]);
        assert!(o.status.success(), "{header}: {}", stderr(&o));
        let out = stdout(&o);
        let second = out.lines().nth(1).unwrap_or_default();
        assert_eq!(
            second, "The header's parent 4a2b3c4d5e6f7081 is subsegment 決済🙂 (marked ▶)",
            "{out}"
        );
        let marked: Vec<&str> = out.lines().filter(|l| l.contains("▶ ")).collect();
        assert_eq!(marked.len(), 1, "{out}");
        assert!(marked[0].contains("▶ 決済🙂"), "{out}");

        let o = run(&["trace", header, "--file", &file, "--format", "json"]);
        let v = json(&o);
        assert_eq!(
            v["HeaderParents"],
            serde_json::json!([{
                "TraceId": "1-6b055210-0a1b2c3d4e5f60718293a4b5",
                "Parent": "4a2b3c4d5e6f7081",
                "Name": "決済🙂",
                "Kind": "subsegment",
            }])
        );
        let saved = tmp("header-parent.json", &stdout(&o));
        let again = run(&[
            "trace",
            "1-6b055210-0a1b2c3d4e5f60718293a4b5",
            "--file",
            &saved,
        ]);
        assert!(again.status.success(), "{}", stderr(&again));
    }

    // Without a Parent= nothing is marked; with one the trace lacks, that is said.
    let plain = stdout(&run(&[
        "trace",
        "Root=1-6b055210-0a1b2c3d4e5f60718293a4b5",
        "--file",
        &file,
    ]));
    assert!(
        !plain.contains("▶") && !plain.contains("header's parent"),
        "{plain}"
    );
    let o = run(&[
        "trace",
        "Root=1-6b055210-0a1b2c3d4e5f60718293a4b5;Parent=00000000000000ff",
        "--file",
        &file,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("The header's parent 00000000000000ff: no entity of this trace has that ID"),
        "{out}"
    );
    assert!(!out.contains("▶"), "{out}");
    let v = json(&run(&[
        "trace",
        "Root=1-6b055210-0a1b2c3d4e5f60718293a4b5;Parent=00000000000000ff",
        "--file",
        &file,
        "--format",
        "json",
    ]));
    assert_eq!(v["HeaderParents"][0]["Name"], Value::Null);
    assert_eq!(v["HeaderParents"][0]["Parent"], "00000000000000ff");
}

/// `listen` receives segments: its help lists the AWS options it uses (for `--forward`) and
/// not those for querying X-Ray, and giving one of those is an error that says why.
#[test]
fn listen_help_leaves_out_the_aws_query_options_and_refuses_them() {
    let out = run(&["listen", "--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for used in [
        "--region",
        "--profile",
        "--endpoint-url",
        "--forward",
        "--save",
    ] {
        assert!(help.contains(used), "{used} in {help}");
    }
    for (unused, value, purpose) in [
        ("--since", Some("1h"), "querying AWS X-Ray"),
        ("--start", Some("1h"), "querying AWS X-Ray"),
        ("--end", Some("1h"), "querying AWS X-Ray"),
        ("--time-range-type", Some("1h"), "querying AWS X-Ray"),
        ("--group", Some("1h"), "querying AWS X-Ray"),
        ("--follow", None, "querying AWS X-Ray"),
        ("--follow-every", Some("1h"), "querying AWS X-Ray"),
        ("--summaries-only", None, "querying AWS X-Ray"),
        // `listen` reads no files and no demo: it receives segments.
        ("--demo", None, "opening the bundled demo"),
        (
            "--file",
            Some("traces.json"),
            "reading X-Ray data from files",
        ),
        ("-f", Some("traces.json"), "reading X-Ray data from files"),
        ("--max-line", Some("1000"), "reading X-Ray data from files"),
    ] {
        let shown = help
            .split(|c: char| c.is_whitespace() || c == ',')
            .any(|w| w == unused);
        assert!(!shown, "{unused} in {help}");
        let mut args = vec!["listen", unused];
        args.extend(value);
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        let flag = if unused == "-f" { "--file" } else { unused };
        assert!(
            err.contains(&format!("`{flag}` is an option for {purpose}")),
            "{err}"
        );
        assert!(err.contains("`listen` receives segments"), "{err}");
    }
    // Before the command too: `--demo listen` is refused, not run as a plain `listen`.
    let out = run(&["--demo", "listen"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("`--demo` is an option for opening the bundled demo"));
    // The query commands keep them, before or after the command.
    let top = run(&["query", "--help"]);
    let query_help = String::from_utf8_lossy(&top.stdout);
    for kept in ["--since", "--demo", "--file", "--max-line"] {
        assert!(query_help.contains(kept), "{kept} in {query_help}");
    }
    for args in [
        ["--demo", "query", "--since", "1h"],
        ["--since", "1h", "--demo", "query"],
    ] {
        let out = run(&args);
        assert!(out.status.success(), "{args:?}");
    }
}

/// `trace --critical-path`: a checkout of the demo whose payment call held everything up; its
/// SQS consumer (inventory-worker) ran after the response and is not on the path, nor the
/// parallel DynamoDB DeleteItem that finished before the SQS send.
#[test]
fn trace_critical_path_and_stats() {
    let id = "1-6b055244-0d1a56a0ae3239581caccf02";
    let out = run(&["trace", "--demo", id, "--critical-path"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("17 of 28 entities"), "{text}");
    assert!(!text.contains("inventory-worker"), "{text}");
    assert!(!text.contains("DeleteItem"), "{text}");
    let stripe = text
        .lines()
        .find(|l| l.contains("api.stripe.example"))
        .expect("the payment call");
    assert!(stripe.contains("142ms  61.5%"), "{stripe}");

    let out = run(&["trace", "--demo", id, "--critical-path", "--format", "json"]);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let path = v["Traces"][0]["path"].as_array().expect("path");
    assert_eq!(path.len(), 17);
    assert_eq!(path[0]["name"], "shop-api/prod");
    // The path's time adds up to the entry segment's duration (the consumer ran after it).
    let on_path: f64 = path
        .iter()
        .map(|s| s["self_time"].as_f64().unwrap_or(0.0))
        .sum();
    let entry = path[0]["end"].as_f64().unwrap_or(0.0) - path[0]["start"].as_f64().unwrap_or(0.0);
    assert!((on_path - entry).abs() < 1e-6, "{on_path} vs {entry}");
    // In order: each step starts no earlier than the one before.
    for w in path.windows(2) {
        assert!(w[0]["start"].as_f64() <= w[1]["start"].as_f64(), "{w:?}");
    }

    let out = run(&["trace", "--demo", id, "--stats", "--format", "json"]);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let t = &v["Traces"][0];
    let sum = |k: &str| -> f64 {
        t[k].as_array()
            .expect("rows")
            .iter()
            .map(|r| r["self_total"].as_f64().unwrap_or(0.0))
            .sum()
    };
    assert!((sum("services") - sum("operations")).abs() < 1e-9);
    let count: u64 = t["services"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["count"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(count, 28, "every entity counted once");
    let top = &t["operations"][0];
    assert_eq!(top["operation"], "POST /v1/charges", "{top}");
    let text =
        String::from_utf8_lossy(&run(&["trace", "--demo", id, "--stats"]).stdout).into_owned();
    assert!(text.contains("SELF SHARE"), "{text}");
    assert!(text.contains("inventory-worker"), "{text}");
}

/// One trace of one segment: `trace` and `check` count it in the singular (issue 15: `1
/// segments, 1 entities`, `checking 1 traces`, `all 1 checks passed`).
#[test]
fn one_of_a_thing_is_said_in_the_singular() {
    let file = tmp(
        "one-segment.ndjson",
        concat!(
            r#"{"trace_id":"1-5f84c7a1-00000000000000000000000a","id":"d000000000000001","name":"solo","start_time":1700000000.0,"end_time":1700000000.25,"fault":true,"http":{"request":{"method":"GET","url":"http://x/solo"},"response":{"status":500}}}"#,
            "\n"
        ),
    );
    let out = run(&[
        "trace",
        "--file",
        &file,
        "1-5f84c7a1-00000000000000000000000a",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("  1 segment, 1 entity\n"), "{text}");
    let out = run(&[
        "trace",
        "--file",
        &file,
        "1-5f84c7a1-00000000000000000000000a",
        "--critical-path",
    ]);
    assert!(stdout(&out).contains("1 of 1 entity"), "{}", stdout(&out));
    let out = run(&["check", "--file", &file, "--some", "fault"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("checking 1 trace\n"), "{text}");
    assert!(text.contains("PASS  some: fault (1 match)"), "{text}");
    assert!(text.contains("1 check passed"), "{text}");
    let out = run(&["check", "--file", &file, "--none", "fault"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("1 of 1 check failed"),
        "{}",
        stderr(&out)
    );
}

/// `check`: PASS/FAIL per assertion with the traces that break it; exit 0 when all hold, 1
/// when one fails, 2 for a bad expression or value.
#[test]
fn check_asserts_on_traces_with_ci_exit_codes() {
    let ok = run(&[
        "check",
        "--demo",
        "--filter",
        "http.url CONTAINS \"/cart\"",
        "--max-p99",
        "1",
        "--some",
        "throttle",
    ]);
    let text = String::from_utf8_lossy(&ok.stdout);
    assert_eq!(ok.status.code(), Some(0), "{text}");
    assert!(text.contains("checking 124 traces"), "{text}");
    assert!(text.contains("all 2 checks passed"), "{text}");

    let bad = run(&[
        "check",
        "--demo",
        "--none",
        "fault",
        "--max-fault-rate",
        "0.05",
        "--max-p95",
        "0.1",
    ]);
    let text = String::from_utf8_lossy(&bad.stdout);
    assert_eq!(bad.status.code(), Some(1), "{text}");
    assert!(text.contains("FAIL  none: fault (14 matches)"), "{text}");
    // The fault traces are listed under it, then how many more.
    assert!(
        text.contains("1-6b05549f-9855e6aaf147b35b2e0486ae"),
        "{text}"
    );
    assert!(text.contains("… and 9 more"), "{text}");
    assert!(
        text.contains("PASS  fault rate 3.62% (14 of 387) <= 5.00%"),
        "{text}"
    );
    assert!(text.contains("FAIL  p95 response time"), "{text}");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("2 of 3 checks failed"));

    for args in [
        &["check", "--demo", "--none", "faul"][..],
        &["check", "--demo", "--max-fault-rate", "5"],
        &["check", "--demo", "--max-p95", "-1"],
        &["check", "--demo"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "nothing checked: {args:?}");
    }
}

/// `diff`: two checkouts of the demo; the second's payment call took 88 ms longer and it sent
/// an SQS message the first did not.
#[test]
fn diff_aligns_two_traces_and_ranks_the_differences() {
    let (a, b) = (
        "1-6b05549f-9855e6aaf147b35b2e0486ae",
        "1-6b055244-0d1a56a0ae3239581caccf02",
    );
    let out = run(&["diff", "--demo", a, b]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let biggest = text
        .split("Biggest self-time differences:")
        .nth(1)
        .expect("the ranking");
    let first = biggest
        .lines()
        .find(|l| !l.trim().is_empty())
        .expect("a line");
    assert!(
        first.contains("+88.2ms  payments › api.stripe.example"),
        "{first}"
    );
    assert!(text.contains("checkout › SQS  (only in B)"), "{text}");
    let sqs = text
        .lines()
        .find(|l| l.trim_start().starts_with('+') && l.contains("SQS"))
        .expect("SQS marked as only in B");
    assert!(sqs.contains("10.3ms"), "{sqs}");
    let out = run(&["diff", "--demo", a, b, "--format", "json"]);
    let v = json(&out);
    let rows = v["entities"].as_array().expect("entities");
    assert_eq!(rows[0]["name"], "shop-api/prod");
    assert!(
        rows.iter()
            .any(|r| r["a"]["id"].is_null() && r["name"] == "inventory-worker")
    );
    let missing = run(&["diff", "--demo", a, "1-00000000-000000000000000000000000"]);
    assert_eq!(missing.status.code(), Some(1));
}
