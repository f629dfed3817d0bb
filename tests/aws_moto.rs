//! The AWS source against a real X-Ray API implementation (moto + tests/moto's patch), through
//! the real `aws-sdk-xray` client and the real binary (configured by environment only).

#[path = "support/fake_xray.rs"]
mod fake_xray;
#[path = "support/listen.rs"]
mod listen_support;
#[path = "support/pty.rs"]
mod pty;

use std::collections::BTreeMap;
use std::process::{Command, Output};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_xray::config::retry::RetryConfig;
use aws_sdk_xray::config::{BehaviorVersion, Credentials, Region};
use fake_xray::{FakeXray, temp_path};
use serde_json::Value;
use xray_tui::model::{Event, Item};
use xray_tui::source::aws::{AwsError, SummaryQuery, TimeRangeKind, Window, XRay};
use xray_tui::source::file;

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("tokio runtime")
}

/// A client for the fake, with `attempts` tries and a short backoff.
fn xray(fake: &FakeXray, attempts: u32) -> XRay {
    let conf = aws_sdk_xray::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(&fake.endpoint)
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(attempts)
                .with_initial_backoff(Duration::from_millis(20)),
        )
        .build();
    XRay::from_client(aws_sdk_xray::Client::from_conf(conf), fake.endpoint.clone())
}

/// Every segment document of the public fixtures and the demo, re-timed trace by trace into
/// the last half hour (the API's windows are relative to now), as JSON strings.
fn documents(max_traces: usize) -> Vec<String> {
    let mut docs: Vec<Value> = Vec::new();
    let mut push = |e: Event| match e {
        Event::Item(Item::Document(d)) => docs.extend(serde_json::to_value(d).ok()),
        Event::Item(Item::Trace { documents, .. }) => docs.extend(
            documents
                .into_iter()
                .filter_map(|d| serde_json::to_value(d).ok()),
        ),
        _ => {}
    };
    file::load_bytes(
        "demo",
        xray_tui::source::load::DEMO_NDJSON.as_bytes(),
        &mut push,
    );
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/public");
    let mut paths = Vec::new();
    for dir in std::fs::read_dir(root).expect("fixtures").flatten() {
        if let Ok(files) = std::fs::read_dir(dir.path()) {
            paths.extend(files.flatten().map(|f| f.path()));
        }
    }
    paths.sort();
    for p in paths {
        if let Ok(bytes) = std::fs::read(&p) {
            file::load_bytes(&p.display().to_string(), &bytes, &mut push);
        }
    }
    let mut by_trace: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    for d in docs {
        // Segment IDs unique across the set, so a rejected document is known by its ID.
        let id = d
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if !seen.insert(id) {
            continue;
        }
        if let Some(t) = d.get("trace_id").and_then(Value::as_str) {
            by_trace.entry(t.to_owned()).or_default().push(d);
        }
    }
    let base = now() - 120.0;
    let mut out = Vec::new();
    for (i, (_, mut docs)) in by_trace.into_iter().take(max_traces).enumerate() {
        let mut times = Vec::new();
        for d in &docs {
            collect_times(d, &mut times);
        }
        let (Some(lo), Some(hi)) = (
            times.iter().copied().reduce(f64::min),
            times.iter().copied().reduce(f64::max),
        ) else {
            continue;
        };
        if hi - lo > 600.0 {
            continue; // would not fit the window on both sides the same way
        }
        let shift = (base - 5.0 * i as f64) - hi;
        for d in &mut docs {
            retime(d, shift);
            out.push(d.to_string());
        }
    }
    out
}

fn collect_times(v: &Value, out: &mut Vec<f64>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x.as_f64()) {
                    ("start_time" | "end_time", Some(t)) => out.push(t),
                    _ => collect_times(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_times(x, out)),
        _ => {}
    }
}

fn retime(v: &mut Value, shift: f64) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                match (k.as_str(), x.as_f64()) {
                    ("start_time" | "end_time", Some(t)) => {
                        let t = ((t + shift) * 1e6).round() / 1e6;
                        *x = serde_json::json!(t);
                    }
                    _ => retime(x, shift),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| retime(x, shift)),
        _ => {}
    }
}

/// Puts the documents one by one; returns those the service accepted.
fn seed(x: &XRay, docs: &[String]) -> Vec<String> {
    rt().block_on(async {
        let mut kept = Vec::new();
        for batch in docs.chunks(100) {
            let out = x
                .client()
                .put_trace_segments()
                .set_trace_segment_documents(Some(batch.to_vec()))
                .send()
                .await
                .expect("PutTraceSegments");
            let rejected: Vec<&str> = out
                .unprocessed_trace_segments()
                .iter()
                .filter_map(|u| u.id())
                .collect();
            kept.extend(
                batch
                    .iter()
                    .filter(|d| {
                        let id = serde_json::from_str::<Value>(d)
                            .ok()
                            .and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_owned));
                        !id.is_some_and(|id| rejected.contains(&id.as_str()))
                    })
                    .cloned(),
            );
        }
        kept
    })
}

fn trace_ids(docs: &[String]) -> Vec<String> {
    let mut ids: Vec<String> = docs
        .iter()
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| v.get("trace_id").and_then(Value::as_str).map(str::to_owned))
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The binary, configured for the fake by environment only; the machine's AWS files unused.
fn bin(endpoint: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_xray-tui"));
    c.env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent/xray-tui-test")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/xray-tui-test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_MAX_ATTEMPTS", "2")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL_XRAY")
        .env_remove("AWS_SESSION_TOKEN");
    c
}

fn run(c: &mut Command) -> Output {
    c.output().expect("run xray-tui")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn window(secs: f64) -> Window {
    let n = now();
    Window {
        start: n - secs,
        end: n + 5.0,
        kind: TimeRangeKind::Event,
    }
}

#[test]
fn query_from_aws_equals_the_file_source_for_the_same_documents() {
    let Some(fake) = FakeXray::start(&[("XRAY_FAKE_PAGE_SIZE", "100")]) else {
        return;
    };
    let docs = seed(&xray(&fake, 1), &documents(usize::MAX));
    assert!(trace_ids(&docs).len() > 100, "too few traces seeded");
    let path = temp_path("same-docs.ndjson");
    std::fs::write(&path, docs.join("\n")).expect("write ndjson");
    let path_s = path.display().to_string();
    for (aws_args, file_args) in [
        (
            vec!["query", "--since", "1h", "--format", "json"],
            vec!["query", "--format", "json"],
        ),
        (
            vec!["graph", "--since", "1h", "--format", "json"],
            vec!["graph", "--format", "json"],
        ),
    ] {
        let from_aws = run(bin(&fake.endpoint).args(&aws_args));
        assert!(from_aws.status.success(), "{}", text(&from_aws.stderr));
        let from_file = run(bin(&fake.endpoint)
            .args(&file_args)
            .args(["--file", &path_s]));
        assert!(from_file.status.success(), "{}", text(&from_file.stderr));
        if from_aws.stdout != from_file.stdout {
            let dir = temp_path("diff");
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(dir.join("aws.json"), &from_aws.stdout);
            let _ = std::fs::write(dir.join("file.json"), &from_file.stdout);
            panic!(
                "{aws_args:?}: AWS and file outputs differ; see {}",
                dir.display()
            );
        }
    }
    // `trace ID` fetches by ID.
    let id = trace_ids(&docs).pop().unwrap_or_default();
    let aws = run(bin(&fake.endpoint).args(["trace", &id, "--format", "json"]));
    let local =
        run(bin(&fake.endpoint).args(["trace", &id, "--format", "json", "--file", &path_s]));
    assert!(aws.status.success(), "{}", text(&aws.stderr));
    assert_eq!(text(&aws.stdout), text(&local.stdout));
    let _ = std::fs::remove_file(path);
}

#[test]
fn summaries_are_paged_and_traces_fetched_in_chunks_with_unprocessed_retried() {
    let Some(fake) = FakeXray::start(&[
        ("XRAY_FAKE_PAGE_SIZE", "2"),
        ("XRAY_FAKE_UNPROCESSED_ONCE", "1"),
    ]) else {
        return;
    };
    let x = xray(&fake, 1);
    let docs = seed(&x, &documents(20));
    let want = trace_ids(&docs);
    rt().block_on(async {
        let mut pages = Vec::new();
        let q = SummaryQuery {
            window: window(3600.0),
            ..SummaryQuery::default()
        };
        x.summaries(&q, |p| pages.push(p)).await.expect("summaries");
        assert!(pages.len() > 2, "pages: {}", pages.len());
        assert!(pages.iter().all(|p| p.summaries.len() <= 2));
        assert!(pages.iter().all(|p| p.traces_processed_count.is_some()));
        let mut got: Vec<String> = pages
            .iter()
            .flat_map(|p| p.summaries.iter().map(|s| s.id.clone()))
            .collect();
        got.sort();
        assert_eq!(got, want);

        // More than 5 IDs: the fake rejects >5 per call, and reports every ID unprocessed
        // the first time; all arrive anyway. Unknown IDs end up missing.
        let mut ask = want.clone();
        ask.push("1-00000000-000000000000000000000000".into());
        let mut traces = Vec::new();
        let out = x
            .traces(&ask, |e| {
                if let Event::Item(Item::Trace { id, .. }) = e {
                    traces.push(id);
                }
            })
            .await
            .expect("traces");
        traces.sort();
        assert_eq!(traces, want);
        assert_eq!(out.fetched, want.len());
        assert_eq!(out.missing, ["1-00000000-000000000000000000000000"]);
    });
    let chunked = fake.log().matches("POST /Traces").count();
    assert!(
        chunked >= 2 * want.len().div_ceil(5),
        "BatchGetTraces calls: {chunked}"
    );
}

#[test]
fn filter_expression_is_honoured_and_a_rejected_one_is_shown() {
    let Some(fake) = FakeXray::start(&[]) else {
        return;
    };
    let docs = seed(&xray(&fake, 1), &documents(20));
    assert!(!docs.is_empty());
    let all = run(bin(&fake.endpoint).args(["query", "--since", "1h", "--format", "json"]));
    let faults = run(bin(&fake.endpoint).args([
        "query",
        "--since",
        "1h",
        "--format",
        "json",
        "--filter",
        "fault = true",
    ]));
    assert!(faults.status.success(), "{}", text(&faults.stderr));
    let parse = |o: &Output| -> Vec<Value> {
        serde_json::from_slice::<Value>(&o.stdout)
            .ok()
            .and_then(|v| v.get("TraceSummaries").and_then(Value::as_array).cloned())
            .unwrap_or_default()
    };
    let (all, faults) = (parse(&all), parse(&faults));
    assert!(
        !faults.is_empty() && faults.len() < all.len(),
        "{} of {}",
        faults.len(),
        all.len()
    );
    assert!(faults.iter().all(|s| s["HasFault"] == Value::Bool(true)));
    // --summaries-only: the service's own summaries, same traces.
    let own = run(bin(&fake.endpoint).args([
        "query",
        "--since",
        "1h",
        "--format",
        "json",
        "--summaries-only",
    ]));
    assert!(own.status.success(), "{}", text(&own.stderr));
    let ids = |v: &[Value]| {
        let mut ids: Vec<String> = v.iter().map(|s| s["Id"].to_string()).collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&parse(&own)), ids(&all));

    let bad = run(bin(&fake.endpoint).args(["query", "--filter", "edge(\"a\", \"b\")"]));
    assert_eq!(bad.status.code(), Some(2));
    let err = text(&bad.stderr);
    assert!(
        err.contains("X-Ray rejected the request") && err.contains("unsupported filter atom"),
        "{err}"
    );
    assert!(bad.stdout.is_empty());
}

#[test]
fn groups_filter_and_unknown_group() {
    let Some(fake) = FakeXray::start(&[("XRAY_FAKE_GROUPS", r#"{"faults": "fault = true"}"#)])
    else {
        return;
    };
    let x = xray(&fake, 1);
    seed(&x, &documents(20));
    let groups = rt().block_on(x.groups()).expect("groups");
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].filter_expression.as_deref(), Some("fault = true"));
    let ok = run(bin(&fake.endpoint).args([
        "query", "--since", "1h", "--group", "faults", "--format", "ids",
    ]));
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert!(!ok.stdout.is_empty());
    let bad = run(bin(&fake.endpoint).args(["query", "--group", "nope"]));
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("group \"nope\" does not exist"),
        "{}",
        text(&bad.stderr)
    );
}

#[test]
fn throttling_is_retried_then_shown() {
    let Some(fake) = FakeXray::start(&[("XRAY_FAKE_FAIL", "TraceSummaries:throttle:2")]) else {
        return;
    };
    let q = SummaryQuery {
        window: window(600.0),
        ..SummaryQuery::default()
    };
    rt().block_on(async {
        // Two throttled answers, three attempts: the SDK retries and succeeds.
        xray(&fake, 3).summaries(&q, |_| {}).await.expect("retried");
    });
    let Some(fake) = FakeXray::start(&[("XRAY_FAKE_FAIL", "TraceSummaries:throttle:9")]) else {
        return;
    };
    let err = rt().block_on(xray(&fake, 2).summaries(&q, |_| {}));
    assert!(matches!(err, Err(AwsError::Throttled(_))), "{err:?}");
    let o = run(bin(&fake.endpoint).args(["query"]));
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o.stderr);
    assert!(e.contains("throttled") && e.contains("hint:"), "{e}");
}

#[test]
fn a_500_is_retried_then_shown() {
    let Some(fake) = FakeXray::start(&[("XRAY_FAKE_FAIL", "Traces:500:1")]) else {
        return;
    };
    let x = xray(&fake, 2);
    let docs = seed(&x, &documents(20));
    let ids = trace_ids(&docs);
    // One 500, two attempts: fine.
    let out = rt().block_on(x.traces(&ids[..1], |_| {})).expect("retried");
    assert_eq!(out.fetched, 1);
    let Some(fake) = FakeXray::start(&[("XRAY_FAKE_FAIL", "Traces:500:99")]) else {
        return;
    };
    let err = rt().block_on(xray(&fake, 2).traces(&ids[..1], |_| {}));
    assert!(
        matches!(err, Err(AwsError::Service { status: 500, .. })),
        "{err:?}"
    );
    let o = run(bin(&fake.endpoint).args(["trace", &ids[0]]));
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("HTTP 500"), "{}", text(&o.stderr));
}

#[test]
fn access_denied_names_the_iam_actions_and_an_expired_token_says_log_in() {
    for (kind, want) in [
        ("denied", "xray:BatchGetTraces"),
        ("expired", "aws sso login"),
    ] {
        let spec = format!("TraceSummaries:{kind}:9");
        let Some(fake) = FakeXray::start(&[("XRAY_FAKE_FAIL", &spec)]) else {
            return;
        };
        let o = run(bin(&fake.endpoint).args(["query"]));
        assert_eq!(o.status.code(), Some(1));
        let e = text(&o.stderr);
        assert!(e.contains(want) && e.contains("hint:"), "{kind}: {e}");
    }
}

// The two below need no Python: they never reach a server.

#[test]
fn connection_refused_names_the_endpoint() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let endpoint = format!("http://127.0.0.1:{port}");
    let o = run(bin(&endpoint).args(["query"]).env("AWS_MAX_ATTEMPTS", "1"));
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o.stderr);
    assert!(
        e.contains(&format!("cannot reach {endpoint}")) && e.contains("hint:"),
        "{e}"
    );
}

#[test]
fn no_credentials_is_explained() {
    let o = run(bin("http://127.0.0.1:9")
        .args(["query"])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY"));
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o.stderr);
    assert!(
        e.contains("no AWS credentials found") && e.contains("aws sso login"),
        "{e}"
    );
}

#[test]
fn expired_sso_session_says_log_in_again() {
    // An sso-session profile whose cached token expired and has no refresh token: aws-config
    // fails before any network call.
    let home = temp_path("sso-home");
    let cache = home.join(".aws/sso/cache");
    std::fs::create_dir_all(&cache).expect("mkdir");
    let config = home.join(".aws/config");
    std::fs::write(
        &config,
        "[profile dev]\nsso_session = my-sso\nsso_account_id = 123456789012\n\
         sso_role_name = ReadOnly\nregion = us-east-1\n\n[sso-session my-sso]\n\
         sso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n",
    )
    .expect("config");
    // The cache file is named after the SHA-1 of the session name.
    std::fs::write(
        cache.join("0ad374308c5a4e22f723adf10145eafad7c4031c.json"),
        r#"{"startUrl":"https://example.awsapps.com/start","region":"us-east-1","accessToken":"x","expiresAt":"2020-01-01T00:00:00Z"}"#,
    )
    .expect("token");
    let o = run(bin("http://127.0.0.1:9")
        .args(["query", "--profile", "dev"])
        .env("HOME", &home)
        .env("AWS_CONFIG_FILE", &config)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_REGION"));
    let _ = std::fs::remove_dir_all(&home);
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o.stderr);
    assert!(
        e.contains("session has expired") && e.contains("aws sso login"),
        "{e}"
    );
}

/// A TUI fetcher on `x` whose events arrive on the returned channel.
fn start_fetcher(
    x: XRay,
    follow_every: Duration,
    disk_cache: Option<std::path::PathBuf>,
) -> (
    xray_tui::source::aws::live::Fetcher,
    std::sync::mpsc::Receiver<xray_tui::source::Update>,
) {
    use xray_tui::source::aws::live::{Connect, Fetcher, FetcherOptions};
    let (tx, rx) = std::sync::mpsc::channel();
    let f = Fetcher::start(
        FetcherOptions {
            connect: Connect::Client(x),
            kind: TimeRangeKind::Event,
            follow_every,
            disk_cache,
        },
        move |e| {
            let _ = tx.send(e);
        },
    )
    .expect("fetcher");
    (f, rx)
}

/// Waits for the first fetcher event that `pick` accepts (up to 30 s).
fn wait_for<T>(
    rx: &std::sync::mpsc::Receiver<xray_tui::source::Update>,
    what: &str,
    mut pick: impl FnMut(&xray_tui::source::Update) -> Option<T>,
) -> T {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(e) => {
                if let Some(t) = pick(&e) {
                    return t;
                }
            }
            Err(_) => break,
        }
    }
    panic!("the fetcher never sent {what}");
}

#[test]
fn the_tui_fetcher_streams_pages_fetches_traces_on_demand_and_follows() {
    use xray_tui::source::{
        AwsProgress as Progress, Feed, Query, Request, Snapshot, TraceFetched, Update,
    };
    let Some(fake) = FakeXray::start(&[("XRAY_FAKE_PAGE_SIZE", "3")]) else {
        return;
    };
    let x = xray(&fake, 1);
    let docs = seed(&x, &documents(12));
    let want = trace_ids(&docs);
    assert!(want.len() >= 10, "seeded {}", want.len());
    let cache = temp_path("trace-cache");
    let (fetcher, rx) = start_fetcher(x.clone(), Duration::from_millis(300), Some(cache.clone()));

    // Pages stream in as snapshots; the last one holds every trace of the window.
    fetcher.send(Request::Query(Query {
        generation: 1,
        window: "1h".into(),
        filter: None,
        group: None,
        follow: false,
    }));
    let mut snapshots = Vec::new();
    let done: Progress = wait_for(&rx, "the end of the query", |e| match e {
        Update::Snapshot(Snapshot {
            generation: 1,
            data,
        }) => {
            snapshots.push(data.rows.len());
            None
        }
        Update::Feed(Feed::Aws(progress)) if !progress.fetching && progress.pages > 0 => {
            Some((**progress).clone())
        }
        _ => None,
    });
    assert_eq!(done.error, None);
    assert!(done.pages >= want.len().div_ceil(3), "pages {}", done.pages);
    assert!(done.traces_processed > 0);
    assert!(
        snapshots.first().is_some_and(|&n| n < want.len()),
        "the first page shows before the last arrives: {snapshots:?}"
    );
    assert_eq!(snapshots.last().copied(), Some(want.len()));

    // A trace's documents are fetched when it is opened.
    fetcher.send(Request::Trace(want[0].clone()));
    let trace = wait_for(&rx, "the trace", |e| match e {
        Update::Trace(TraceFetched { id, result }) if *id == want[0] => Some(result.clone()),
        _ => None,
    })
    .expect("the trace");
    let seeded = docs.iter().filter(|d| d.contains(&want[0])).count();
    assert_eq!(trace.id, want[0]);
    assert!(trace.nodes.len() >= seeded, "{} nodes", trace.nodes.len());

    // A finished trace is cached on disk: another fetcher, whose service is unreachable,
    // still opens it, equal to what the service gave.
    assert!(cache.join(format!("{}.json", want[0])).is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| {
            std::fs::metadata(p).expect("cached").permissions().mode() & 0o777
        };
        assert_eq!(mode(&cache.join(format!("{}.json", want[0]))), 0o600);
        assert_eq!(mode(&cache), 0o700);
    }
    let dead = XRay::from_client(
        aws_sdk_xray::Client::from_conf(
            aws_sdk_xray::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("us-east-1"))
                .credentials_provider(Credentials::new("test", "test", None, None, "test"))
                .endpoint_url("http://127.0.0.1:9")
                .build(),
        ),
        "http://127.0.0.1:9",
    );
    let (offline, rx2) = start_fetcher(dead, Duration::from_secs(10), Some(cache.clone()));
    offline.send(Request::Trace(want[0].clone()));
    let again = wait_for(&rx2, "the cached trace", |e| match e {
        Update::Trace(TraceFetched { result, .. }) => Some(result.clone()),
        _ => None,
    })
    .expect("served from the disk cache");
    assert_eq!(again.nodes.len(), trace.nodes.len());
    assert_eq!(again.documents(), trace.documents());
    drop(offline);
    let _ = std::fs::remove_dir_all(&cache);

    // Follow mode: a trace sent after the query shows up without asking again.
    fetcher.send(Request::Follow(true));
    let t = now();
    let new_id = format!("1-{:08x}-0123456789abcdef01234567", t as u64);
    let doc = serde_json::json!({
        "id": "f011011f011011f0",
        "trace_id": new_id,
        "name": "followed-service",
        "start_time": t - 1.0,
        "end_time": t - 0.5,
        "http": {"request": {"method": "GET", "url": "http://x/followed"}, "response": {"status": 200}},
    })
    .to_string();
    assert_eq!(seed(&x, &[doc]).len(), 1);
    let n = wait_for(&rx, "the followed trace", |e| match e {
        Update::Snapshot(Snapshot {
            generation: 1,
            data,
        }) if data.rows.iter().any(|s| *s.id == *new_id) => Some(data.rows.len()),
        _ => None,
    });
    assert_eq!(n, want.len() + 1);

    // A newer query supersedes the old one: its answers carry the new generation and the
    // service's filter applies.
    fetcher.send(Request::Query(Query {
        generation: 2,
        window: "1h".into(),
        filter: Some("service(\"followed-service\")".into()),
        group: None,
        follow: false,
    }));
    let ids = wait_for(&rx, "the filtered query", |e| match e {
        Update::Snapshot(Snapshot {
            generation: 2,
            data,
        }) => Some(
            data.rows
                .iter()
                .map(|s| s.id.to_string())
                .collect::<Vec<_>>(),
        ),
        _ => None,
    });
    assert_eq!(ids, [new_id]);
}

#[test]
fn the_app_browses_aws_with_paging_traces_on_demand_and_follow_mode() {
    let Some(fake) = FakeXray::start(&[("XRAY_FAKE_PAGE_SIZE", "4")]) else {
        return;
    };
    let x = xray(&fake, 1);
    let docs = seed(&x, &documents(15));
    let n = trace_ids(&docs).len();
    let env = [
        ("AWS_ENDPOINT_URL", fake.endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_CONFIG_FILE", "/nonexistent/xray-tui-test"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/xray-tui-test"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_MAX_ATTEMPTS", "2"),
    ];
    let mut s = pty::Session::start_with(&["--since", "1h", "--follow-every", "1"], &env);
    // Every page arrived: the header counts all of them.
    s.wait_for(&format!("X-Ray traces {n}/{n} "));
    s.wait_for("window last 1h");
    // Enter fetches the selected trace's documents and opens it.
    s.send("\r");
    s.wait_for("Trace 1-");
    s.send("q");
    s.wait_for("X-Ray traces");
    // Follow mode: a trace sent now appears without asking.
    s.send("F");
    s.wait_for("● follow 1s");
    let t = now();
    let doc = serde_json::json!({
        "id": "f011011f011011f1",
        "trace_id": format!("1-{:08x}-fedcba9876543210fedcba98", t as u64),
        "name": "tui-followed",
        "start_time": t - 1.0,
        "end_time": t - 0.5,
        "http": {"request": {"method": "GET", "url": "http://x/followed-in-the-app"},
                 "response": {"status": 200}},
    })
    .to_string();
    assert_eq!(seed(&x, &[doc]).len(), 1);
    s.wait_for("/followed-in-the-app");
    s.wait_for(&format!("X-Ray traces {}/{} ", n + 1, n + 1));
    s.send("q");
    assert!(s.wait_exit().success());
}

#[test]
fn get_trace_graph_returns_the_services_map_of_a_trace() {
    use xray_tui::source::{Request, Update};
    let graph = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/public/awsdocs-aws-xray-developer-guide/xray-api-gettingdata.md.block02.json"
    );
    let Some(fake) = FakeXray::start(&[("XRAY_FAKE_SERVICE_GRAPH", graph)]) else {
        return;
    };
    let x = xray(&fake, 1);
    let (fetcher, rx) = start_fetcher(x, Duration::from_secs(10), None);
    let id = "1-5b186a9a-ef3c1e0a3ac4bca8bd2ba4d1".to_owned();
    fetcher.send(Request::TraceGraph(id.clone()));
    let g = wait_for(&rx, "the trace graph", |e| match e {
        Update::TraceGraph { id: got, result } if *got == id => Some(result.clone()),
        _ => None,
    })
    .expect("GetTraceGraph");
    let names: Vec<_> = g.services.iter().filter_map(|s| s.name.clone()).collect();
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(names.iter().any(|n| n == "SNS"), "{names:?}");
    assert!(fake.log().contains("POST /TraceGraph"), "{}", fake.log());
}

/// The names of the documents X-Ray holds for `trace` (`BatchGetTraces`), sorted.
fn uploaded_names(fake: &FakeXray, trace: &str) -> Vec<String> {
    let x = xray(fake, 1);
    let mut names = Vec::new();
    rt().block_on(x.traces(&[trace.to_owned()], |e| {
        if let Event::Item(Item::Trace { documents, .. }) = e {
            names.extend(documents.into_iter().map(|d| d.name.clone()));
        }
    }))
    .expect("BatchGetTraces");
    names.sort();
    names
}

#[test]
fn listen_forward_uploads_what_it_receives_to_x_ray() {
    let Some(fake) = FakeXray::start(&[]) else {
        return;
    };
    let port = listen_support::free_port();
    let child = listen_support::start_command(bin(&fake.endpoint), port, &["--forward".as_ref()]);
    let t = now();
    let trace = format!("1-{:08x}-00000000000000000000f0f0", t as u64);
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").expect("client socket");
    for (i, name) in ["front", "back"].iter().enumerate() {
        let doc = serde_json::json!({
            "id": format!("00000000000000f{i}"),
            "trace_id": trace,
            "name": name,
            "start_time": t - 1.0,
            "end_time": t - 0.5,
        });
        let datagram = format!("{{\"format\":\"json\",\"version\":1}}\n{doc}");
        sock.send_to(datagram.as_bytes(), ("127.0.0.1", port))
            .expect("send");
    }
    std::thread::sleep(Duration::from_millis(300));
    // Stopping flushes the forward buffer.
    let err = listen_support::stop(child);
    assert!(err.contains("forwarded 2"), "{err}");
    let names = uploaded_names(&fake, &trace);
    assert_eq!(names, ["back", "front"]);
    assert!(fake.log().contains("POST /TraceSegments"), "{}", fake.log());
}

/// OpenTelemetry spans received over OTLP/HTTP go up to X-Ray too, as the segment documents
/// they became (`PutTraceSegments`), so `listen --forward` is a drop-in local collector.
#[test]
fn listen_forward_uploads_otlp_spans_as_segments() {
    use std::io::{Read, Write};
    let Some(fake) = FakeXray::start(&[]) else {
        return;
    };
    let port = listen_support::free_port();
    let otlp = listen_support::free_port();
    let otlp_addr = format!("127.0.0.1:{otlp}");
    let child = listen_support::start_command(
        bin(&fake.endpoint),
        port,
        &[
            "--forward".as_ref(),
            "--otlp-http".as_ref(),
            otlp_addr.as_ref(),
            "--otlp-grpc".as_ref(),
            "127.0.0.1:0".as_ref(),
        ],
    );
    let t = now() as u64;
    // A W3C trace ID that starts with its spans' time: X-Ray takes it as 1-xxxxxxxx-...
    let w3c = format!("{t:08x}{:024x}", 0xf1f1);
    let trace = format!("1-{}-{}", &w3c[..8], &w3c[8..]);
    let nanos = |s: u64| (s * 1_000_000_000).to_string();
    let body = serde_json::json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "orders"}}]},
        "scopeSpans": [{"spans": [
            {"traceId": w3c, "spanId": "00000000000000a1", "name": "GET /orders", "kind": 2,
             "startTimeUnixNano": nanos(t - 2), "endTimeUnixNano": nanos(t - 1)},
            {"traceId": w3c, "spanId": "00000000000000a2", "parentSpanId": "00000000000000a1",
             "name": "SELECT", "kind": 3,
             "startTimeUnixNano": nanos(t - 2), "endTimeUnixNano": nanos(t - 1)},
            // A W3C-only trace ID (its first 8 digits are no time): X-Ray would refuse it, so
            // it is left out of the upload and counted under its own reason.
            {"traceId": "0000000000000000000000000000f2f2", "spanId": "00000000000000b1",
             "name": "GET /w3c", "kind": 2,
             "startTimeUnixNano": nanos(t - 2), "endTimeUnixNano": nanos(t - 1)}
        ]}]
    }]})
    .to_string();
    // Wait for the OTLP port, then one plain HTTP/1.1 request.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut conn = loop {
        match std::net::TcpStream::connect(("127.0.0.1", otlp)) {
            Ok(c) => break c,
            Err(e) if std::time::Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("OTLP port: {e}"),
        }
    };
    write!(
        conn,
        "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut answer = String::new();
    conn.read_to_string(&mut answer).expect("answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    std::thread::sleep(Duration::from_millis(300));
    let err = listen_support::stop(child);
    assert!(err.contains("forwarded 2 forward-not-xray-id 1"), "{err}");
    assert!(
        err.contains(
            "forward: 1 document not uploaded: trace ID not in X-Ray form: X-Ray refuses it"
        ),
        "{err}"
    );
    let names = uploaded_names(&fake, &trace);
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"orders".to_owned()), "{names:?}");
}
