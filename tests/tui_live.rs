//! Live sources in the app (the local daemon, AWS with paging and follow mode), driven
//! headless: snapshots and counters go into `App::update` as the runtime would send them, and
//! the state, the commands and the drawn screens come out. No terminal, no sleeps, no network.

use std::collections::BTreeSet;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use xray_tui::app::{App, Cmd, Event, LoadState, Mode};
use xray_tui::engine::dataset::{Collector, Dataset};
use xray_tui::model::{Event as SourceEvent, Item};
use xray_tui::source::DaemonStats;
use xray_tui::source::file;
use xray_tui::source::{
    DaemonFeed, Feed, Loaded, Query, Request, Snapshot, SourceKind, TraceFetched, Update,
};

fn key(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(k: KeyCode) -> Event {
    Event::Key(KeyEvent::new(k, KeyModifiers::NONE))
}

fn typed(app: &mut App, text: &str) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    for c in text.chars() {
        cmds.extend(app.update(key(c)));
    }
    cmds
}

/// The demo's documents, line by line, with their trace IDs, in file order.
fn demo_lines() -> Vec<(String, String)> {
    xray_tui::source::load::DEMO_NDJSON
        .lines()
        .filter_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            Some((v.get("trace_id")?.as_str()?.to_owned(), l.to_owned()))
        })
        .collect()
}

/// The trace IDs of the demo in file order.
fn demo_ids() -> Vec<String> {
    let mut seen = BTreeSet::new();
    demo_lines()
        .into_iter()
        .filter(|(id, _)| seen.insert(id.clone()))
        .map(|(id, _)| id)
        .collect()
}

/// A dataset of the chosen documents, as the daemon's store would assemble it.
fn dataset(keep: impl Fn(&str, usize) -> bool) -> Arc<Dataset> {
    let mut per_trace = std::collections::HashMap::<String, usize>::new();
    let text: String = demo_lines()
        .into_iter()
        .filter(|(id, _)| {
            let n = per_trace.entry(id.clone()).or_default();
            *n += 1;
            keep(id, *n - 1)
        })
        .map(|(_, l)| l + "\n")
        .collect();
    let mut c = Collector::new();
    file::load_bytes("demo", text.as_bytes(), &mut |e| c.push(e));
    Arc::new(c.finish())
}

fn first(n: usize) -> Arc<Dataset> {
    let ids: BTreeSet<String> = demo_ids().into_iter().take(n).collect();
    dataset(|id, _| ids.contains(id))
}

fn selected_id(app: &App) -> String {
    app.selected_summary().expect("a selection").id.to_string()
}

fn daemon_app(w: u16, h: u16) -> App {
    let mut app = App::new("listen udp 127.0.0.1:2000", Rect::new(0, 0, w, h))
        .with_source(SourceKind::Daemon);
    assert!(app.start_load().is_empty(), "the daemon needs no load");
    app
}

fn update(app: &mut App, data: Arc<Dataset>) {
    let generation = app.generation;
    app.update(Event::Source(Update::Snapshot(Snapshot {
        generation,
        data,
    })));
}

#[test]
fn new_traces_stream_in_without_moving_the_selection() {
    // Nine list rows: the selected row can keep its place on the screen.
    let mut app = daemon_app(120, 12);
    update(&mut app, first(10));
    assert_eq!(app.list.visible.len(), 10);
    assert!(app.list.descending, "live lists show the newest first");
    for _ in 0..3 {
        app.update(key('j'));
    }
    let chosen = selected_id(&app);
    let row_on_screen = app.list.selected - app.list.offset;
    update(&mut app, first(40));
    assert_eq!(app.list.visible.len(), 40);
    assert_eq!(selected_id(&app), chosen, "the selection follows its trace");
    assert_eq!(app.list.selected - app.list.offset, row_on_screen);
    // Newer traces went above it.
    assert!(app.list.selected > 3);
}

#[test]
fn an_open_trace_grows_as_its_documents_arrive() {
    let ids = demo_ids();
    let target = ids
        .iter()
        .find(|id| demo_lines().iter().filter(|(t, _)| t == *id).count() >= 3)
        .expect("a demo trace with three documents")
        .clone();
    let mut app = daemon_app(120, 30);
    // First only the trace's first document, then all of them.
    let t = target.clone();
    update(&mut app, dataset(move |id, n| id == t && n == 0));
    app.update(code(KeyCode::Enter));
    assert_eq!(app.mode, Mode::Trace);
    let before = app.view.as_ref().expect("open").trace.nodes.len();
    let selected_doc = {
        let v = app.view.as_ref().expect("open");
        let node = v.selected_row().expect("a row").node;
        v.trace.nodes[node].doc.id.clone()
    };
    let t = target.clone();
    update(&mut app, dataset(move |id, _| id == t));
    assert_eq!(app.mode, Mode::Trace, "the screen stays");
    let v = app.view.as_ref().expect("still open");
    assert!(
        v.trace.nodes.len() > before,
        "{} !> {before}",
        v.trace.nodes.len()
    );
    let node = v.selected_row().expect("a row").node;
    assert_eq!(v.trace.nodes[node].doc.id, selected_doc);
}

#[test]
fn stale_updates_are_dropped() {
    let mut app = App::new("aws", Rect::new(0, 0, 100, 30)).with_source(SourceKind::Aws);
    let cmds = app.start_load();
    assert_eq!(
        cmds,
        vec![Cmd::Source(Request::Query(Query {
            generation: 1,
            ..Query::default()
        }))]
    );
    app.update(Event::Source(Update::Snapshot(Snapshot {
        generation: 0,
        data: first(5),
    })));
    assert!(app.data.is_none(), "an answer to an older query is ignored");
    assert_eq!(app.load, LoadState::Loading);
}

/// Summaries only, as `GetTraceSummaries` gives them.
fn summaries_only(full: &Dataset) -> Arc<Dataset> {
    let mut c = Collector::new();
    for s in full.summaries() {
        c.push(SourceEvent::Item(Item::Summary(Arc::unwrap_or_clone(s))));
    }
    Arc::new(c.finish())
}

#[test]
fn aws_opens_traces_on_demand_and_asks_the_service_to_filter() {
    let full = first(20);
    let mut app = App::new("aws us-east-1", Rect::new(0, 0, 120, 30)).with_source(SourceKind::Aws);
    app.start_load();
    update(&mut app, summaries_only(&full));
    assert_eq!(app.list.visible.len(), 20);
    assert!(app.data.as_ref().expect("data").traces.is_empty());

    // Enter asks for the trace's documents; the trace opens when they arrive.
    let id = selected_id(&app);
    assert_eq!(
        app.update(code(KeyCode::Enter)),
        vec![Cmd::Source(Request::Trace(id.clone()))]
    );
    assert_eq!(app.mode, Mode::List);
    let trace = full.traces.by_id(&id).expect("the trace exists");
    app.update(Event::Source(Update::Trace(TraceFetched {
        id: id.clone(),
        result: Ok(trace),
    })));
    assert_eq!(app.mode, Mode::Trace);
    assert_eq!(app.view.as_ref().expect("open").trace.id, id);
    app.update(code(KeyCode::Esc));
    // Opening it again needs no fetch (only its analysis, off the UI thread).
    let cmds = app.update(code(KeyCode::Enter));
    assert!(
        cmds.iter()
            .all(|c| matches!(c, xray_tui::app::Cmd::Analyse(_))),
        "{cmds:?}"
    );
    assert_eq!(app.mode, Mode::Trace);
    app.update(code(KeyCode::Esc));

    // A filter expression is checked here and evaluated by the service: a new query.
    app.update(key('/'));
    let mut cmds = typed(&mut app, "fault");
    cmds.extend(app.update(code(KeyCode::Enter)));
    assert!(
        cmds.contains(&Cmd::Source(Request::Query(Query {
            generation: 2,
            window: String::new(),
            filter: Some("fault".into()),
            group: None,
            follow: false,
        }))),
        "{cmds:?}"
    );
    // A bad one is not sent.
    app.update(key('/'));
    app.update(Event::Key(KeyEvent::new(
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    )));
    let mut cmds = typed(&mut app, "responsetime >");
    cmds.extend(app.update(code(KeyCode::Enter)));
    assert!(cmds.is_empty(), "{cmds:?}");
    assert!(app.overlays.prompt().is_some_and(|p| p.error.is_some()));
    app.update(code(KeyCode::Esc));

    // Follow mode and the time window.
    assert_eq!(
        app.update(key('F')),
        vec![Cmd::Source(Request::Follow(true))]
    );
    app.update(key('w'));
    let mut cmds = typed(&mut app, "2h");
    cmds.extend(app.update(code(KeyCode::Enter)));
    assert_eq!(
        cmds,
        vec![Cmd::Source(Request::Query(Query {
            generation: 3,
            window: "2h".into(),
            filter: Some("fault".into()),
            group: None,
            follow: true,
        }))]
    );
    assert_eq!(app.window_label(), "last 2h");
}

#[test]
fn a_bad_time_window_keeps_the_editor_open_with_the_reason() {
    let mut app = daemon_app(100, 30);
    update(&mut app, first(10));
    app.update(key('w'));
    typed(&mut app, "2 fortnights");
    assert!(app.update(code(KeyCode::Enter)).is_empty());
    assert!(app.overlays.window().is_some());
    assert!(
        app.message
            .as_deref()
            .is_some_and(|m| m.contains("2 fortnights")),
        "{:?}",
        app.message
    );
    app.update(code(KeyCode::Esc));
    assert!(app.overlays.window().is_none());
    assert_eq!(app.list.visible.len(), 10);
}

#[test]
fn a_relative_window_over_files_ends_at_the_newest_trace() {
    let data = first(387);
    let newest = data
        .rows
        .iter()
        .filter_map(|s| s.start_time)
        .fold(f64::MIN, f64::max);
    let mut app = App::new("demo", Rect::new(0, 0, 120, 30));
    let generation = app.start_load().len() as u64;
    app.update(Event::Source(Update::Loaded(Loaded {
        generation,
        result: Ok(Arc::clone(&data)),
    })));
    let all = app.list.visible.len();
    app.update(key('w'));
    typed(&mut app, "5m");
    app.update(code(KeyCode::Enter));
    let shown = app.list.visible.len();
    let want = data
        .rows
        .iter()
        .filter(|s| s.start_time.is_some_and(|t| t >= newest - 300.0))
        .count();
    assert_eq!(shown, want);
    assert!(shown > 0 && shown < all, "{shown} of {all}");
    assert_eq!(app.window_label(), "last 5m of the data");
    // Empty: everything again.
    app.update(key('w'));
    app.update(Event::Key(KeyEvent::new(
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    )));
    app.update(code(KeyCode::Enter));
    assert_eq!(app.list.visible.len(), all);
}

fn feed() -> Feed {
    let mut stats = DaemonStats {
        received: 1204,
        bytes: 1_350_000,
        accepted: 1187,
        traces: 240,
        dropped_queue_full: 0,
        sampling_requests: 12,
        otlp_requests: 3,
        otlp_spans: 12,
        otlp_accepted: 12,
        ..DaemonStats::default()
    };
    stats.rejected[0] = 9;
    stats.rejected[1] = 8;
    Feed::Daemon(Box::new(DaemonFeed {
        udp: "127.0.0.1:2000".into(),
        tcp: Some("127.0.0.1:2000".into()),
        recv_buffer: 16 * 1024 * 1024,
        stats,
        kernel_drops: Some(0),
        recent: vec![
            "bad JSON (17 B): {\"id\": \"oops\",".into(),
            "no header line (40 B): {\"trace_id\":\"1-5f…".into(),
        ],
        save_error: None,
        sampling: Some("2 rules".into()),
        default_sampling: false,
        sampling_counts: vec![
            xray_tui::source::feed::RuleCounts {
                rule: "checkout".into(),
                priority: 10,
                matches: "service checkout · POST /api/checkout*".into(),
                reservoir: 2,
                rate: 0.5,
                requests: 12,
                sampled: 7,
                borrowed: 0,
            },
            xray_tui::source::feed::RuleCounts {
                rule: "Default".into(),
                priority: 10000,
                matches: "every request".into(),
                reservoir: 1,
                rate: 0.05,
                requests: 20,
                sampled: 4,
                borrowed: 1,
            },
        ],
        otlp_http: Some("127.0.0.1:4318".into()),
        otlp_grpc: Some("127.0.0.1:4317".into()),
        otlp_unbound: Vec::new(),
        otlp_problem: None,
    }))
}

fn render(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    t.draw(|f| xray_tui::ui::draw(f, app)).expect("draw");
    format!("{}", t.backend())
}

#[test]
fn the_daemon_waiting_screen_and_its_counters() {
    let mut app = daemon_app(100, 12);
    app.update(Event::Source(Update::Feed(feed())));
    update(&mut app, Arc::new(Dataset::default()));
    let screen = render(&app, 100, 12);
    assert!(
        screen.contains("AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:2000"),
        "{screen}"
    );
    assert!(screen.contains("recv 1204 ok 1187"), "{screen}");
    assert!(screen.contains("bad 17"), "{screen}");
    insta::assert_snapshot!("daemon_waiting_100x12", screen);
}

#[test]
fn diagnostics_pane_shows_counters_by_reason_and_the_last_rejects() {
    let mut app = daemon_app(100, 30);
    update(&mut app, first(5));
    app.update(Event::Source(Update::Feed(feed())));
    assert!(app.take_dirty());
    // The same counters again: nothing to redraw.
    app.update(Event::Source(Update::Feed(feed())));
    assert!(!app.take_dirty());
    app.update(key('D'));
    assert!(app.overlays.diagnostics());
    let screen = render(&app, 100, 30);
    assert!(screen.contains("Rejected datagrams: 17"), "{screen}");
    assert!(screen.contains("bad JSON (17 B)"), "{screen}");
    // Every rule served, in priority order, with what the SDKs reported of it.
    let checkout = screen
        .find("checkout    10 service checkout")
        .expect("the checkout rule");
    let default = screen
        .find("Default  10000 every request")
        .expect("the default rule");
    assert!(checkout < default, "{screen}");
    assert!(
        screen.contains("1/s    5%       20        4        1"),
        "{screen}"
    );
    insta::assert_snapshot!("diagnostics_100x30", screen);
    app.update(code(KeyCode::Esc));
    assert!(!app.overlays.diagnostics());
    assert_eq!(app.mode, Mode::List);
}

/// With `--forward`, the diagnostics pane counts what was uploaded and what was not, and says
/// once why documents of W3C-only trace IDs were left out.
#[test]
fn diagnostics_pane_counts_forwarding_and_says_why_documents_were_left_out() {
    let mut app = daemon_app(100, 40);
    update(&mut app, first(5));
    let mut f = feed();
    if let Feed::Daemon(d) = &mut f {
        d.stats.forwarded = 40;
        d.stats.forward_failed = 1;
        d.stats.forward_not_xray_id = 3;
    }
    app.update(Event::Source(Update::Feed(f)));
    app.update(key('D'));
    let screen = render(&app, 100, 40);
    assert!(
        screen.contains("forwarded 40   failed 1   dropped 0"),
        "{screen}"
    );
    assert!(
        screen.contains("not forwarded 3 (trace ID not in X-Ray form: X-Ray refuses it)"),
        "{screen}"
    );
    assert_eq!(screen.matches("X-Ray refuses it").count(), 1, "{screen}");
}

/// [`feed`] as `listen` reports it when it serves X-Ray's default sampling rule to an app
/// that sent 20 requests, 4 of them sampled, and nothing else.
fn default_sampling_feed() -> Feed {
    let Feed::Daemon(mut d) = feed() else {
        unreachable!("feed() is the daemon's")
    };
    d.stats = DaemonStats {
        received: 4,
        bytes: 4_000,
        accepted: 4,
        traces: 4,
        sampling_requests: 2,
        ..DaemonStats::default()
    };
    d.recent.clear();
    d.default_sampling = true;
    d.sampling = Some("X-Ray's default rule (1/s, then 5%)".into());
    Feed::Daemon(d)
}

/// The screen's last row, the status line.
fn status_row(screen: &str) -> String {
    screen.lines().last().unwrap_or_default().to_owned()
}

/// Issue 15, item 11: when `listen` serves X-Ray's default rule, the status line says why few
/// requests become traces and names the way out, in the words the width has room for; with
/// other rules it says nothing of it.
#[test]
fn the_default_sampling_rule_shows_a_hint_naming_the_way_out() {
    for (w, h, hint) in [
        (80u16, 24u16, "5%: --sample-all"),
        (100, 24, "5% sampled: --sample-all keeps all"),
        (
            160,
            48,
            "sampled 1/s + 5%: --sample-all or --sampling-rules FILE",
        ),
    ] {
        let mut app = daemon_app(w, h);
        app.update(Event::Source(Update::Feed(default_sampling_feed())));
        update(&mut app, Arc::new(Dataset::default()));
        let screen = render(&app, w, h);
        let status = status_row(&screen);
        assert!(status.contains(hint), "{w}: {status}");
        assert!(status.contains("? help"), "{w}: {status}");
        if w == 80 {
            insta::assert_snapshot!("daemon_default_sampling_80x24", screen);
        }
        // Other rules: no hint.
        app.update(Event::Source(Update::Feed(feed())));
        let status = status_row(&render(&app, w, h));
        assert!(!status.contains("--sample-all"), "{w}: {status}");
    }
    // The diagnostics pane says it too, with both ways out.
    let mut app = daemon_app(120, 40);
    app.update(Event::Source(Update::Feed(default_sampling_feed())));
    update(&mut app, first(5));
    app.update(key('D'));
    let screen = render(&app, 120, 40);
    assert!(
        screen.contains("`listen --sample-all` keeps every one"),
        "{screen}"
    );
    assert!(screen.contains("`--sampling-rules FILE`"), "{screen}");
}

/// Issue 15, item 5: at 80 columns a rejected datagram's line wraps; the pane's height counts
/// the wrapped rows, so the last rejected datagram still shows (it was pushed out of the pane).
#[test]
fn diagnostics_at_80_columns_show_the_last_rejected_datagram_when_lines_wrap() {
    let Feed::Daemon(mut d) = feed() else {
        unreachable!("feed() is the daemon's")
    };
    let long = format!(
        "bad JSON (300 B): {{\"trace_id\":\"1-5f84c7a1-2b9c3d4e5f6a7b8c9d0e1f2a\",\"name\":\"{}\"",
        "checkout ".repeat(6)
    );
    d.recent = vec!["the oldest: no header line (12 B)".into(), long];
    let mut app = daemon_app(80, 40);
    update(&mut app, first(5));
    app.update(Event::Source(Update::Feed(Feed::Daemon(d))));
    app.update(key('D'));
    let screen = render(&app, 80, 40);
    // Wrapped: its end shows on a row of its own.
    assert!(screen.contains("checkout checkout"), "{screen}");
    // The last line of the pane is the oldest reject, above the bottom border.
    let rows: Vec<&str> = screen.lines().collect();
    let oldest = rows
        .iter()
        .position(|r| r.contains("the oldest: no header line"))
        .expect("the last rejected datagram shows");
    assert!(rows[oldest + 1].contains("└"), "{}", rows[oldest + 1]);
    insta::assert_snapshot!("diagnostics_80x40_wrapped", screen);
    // At 80x24 the pane is taller than the screen: the blank lines go first, and the oldest
    // reject still shows.
    let mut small = daemon_app(80, 24);
    update(&mut small, first(5));
    small.update(Event::Source(Update::Feed(feed())));
    small.update(key('D'));
    let screen = render(&small, 80, 24);
    assert!(screen.contains("no header line (40 B)"), "{screen}");
}

/// Like the daemon's pump: the data with its service graph.
fn with_graph(data: Arc<Dataset>) -> Arc<Dataset> {
    let mut d = (*data).clone();
    d.graphs = vec![xray_tui::engine::service_graph(d.traces.iter())];
    Arc::new(d)
}

#[test]
fn the_open_service_map_follows_live_data() {
    let mut app = daemon_app(120, 40);
    update(&mut app, with_graph(first(10)));
    app.update(key('m'));
    assert_eq!(app.mode, Mode::Map);
    let map = app.map.as_ref().expect("map");
    let name = xray_tui::app::map::node_name(map.node().expect("a node"));
    let requests = |app: &App| -> u64 {
        app.map
            .as_ref()
            .expect("map")
            .counts
            .iter()
            .map(|c| c.total)
            .sum()
    };
    let before = requests(&app);
    update(&mut app, with_graph(first(60)));
    assert_eq!(app.mode, Mode::Map, "the screen stays");
    assert!(requests(&app) > before, "{} !> {before}", requests(&app));
    let map = app.map.as_ref().expect("map");
    assert_eq!(
        xray_tui::app::map::node_name(map.node().expect("a node")),
        name
    );
}

#[test]
fn with_aws_the_trace_map_asks_the_service_and_keeps_the_local_map_when_it_has_none() {
    let full = first(5);
    let mut app = App::new("aws", Rect::new(0, 0, 120, 40)).with_source(SourceKind::Aws);
    app.start_load();
    update(&mut app, summaries_only(&full));
    let id = selected_id(&app);
    app.update(code(KeyCode::Enter));
    let trace = full.traces.by_id(&id).expect("trace");
    app.update(Event::Source(Update::Trace(TraceFetched {
        id: id.clone(),
        result: Ok(Arc::clone(&trace)),
    })));
    assert_eq!(
        app.update(key('m')),
        vec![Cmd::Source(Request::TraceGraph(id.clone()))]
    );
    let local = app
        .map
        .as_ref()
        .expect("the local map shows at once")
        .graph
        .clone();
    // Nothing from the service: the local map stays.
    app.update(Event::Source(Update::TraceGraph {
        id: id.clone(),
        result: Ok(Default::default()),
    }));
    assert_eq!(app.map.as_ref().expect("map").graph, local);
    // The service's map replaces it.
    let mut theirs = local.clone();
    theirs.services.truncate(1);
    theirs.services[0].name = Some("from-the-service".into());
    app.update(Event::Source(Update::TraceGraph {
        id: id.clone(),
        result: Ok(theirs.clone()),
    }));
    assert_eq!(app.map.as_ref().expect("map").graph, theirs);
    assert_eq!(app.mode, Mode::Map);
    // An answer for another trace changes nothing.
    app.update(Event::Source(Update::TraceGraph {
        id: "1-00000000-000000000000000000000000".into(),
        result: Ok(local.clone()),
    }));
    assert_eq!(app.map.as_ref().expect("map").graph, theirs);
}

#[test]
fn live_screens_at_80x24_and_160x48() {
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        // The daemon, waiting for its first segment.
        let mut app = daemon_app(w, h);
        app.update(Event::Source(Update::Feed(feed())));
        update(&mut app, Arc::new(Dataset::default()));
        insta::assert_snapshot!(format!("daemon_waiting_{w}x{h}"), render(&app, w, h));
        // Traces arrived; the diagnostics pane over them.
        update(&mut app, first(30));
        app.update(key('D'));
        insta::assert_snapshot!(format!("diagnostics_{w}x{h}"), render(&app, w, h));
        app.update(code(KeyCode::Esc));
        // The time window editor.
        app.update(key('w'));
        typed(&mut app, "30m");
        insta::assert_snapshot!(format!("window_editor_{w}x{h}"), render(&app, w, h));
        // AWS, paging: the window in the header, progress and follow in the status line.
        let mut aws = App::new("aws us-east-1", Rect::new(0, 0, w, h)).with_source(SourceKind::Aws);
        aws.start_load();
        update(&mut aws, summaries_only(&first(30)));
        aws.update(Event::Source(Update::Feed(Feed::Aws(Box::new(
            xray_tui::source::AwsProgress {
                region: "us-east-1".into(),
                window: "last 15m".into(),
                pages: 3,
                traces_processed: 1200,
                fetching: true,
                following: true,
                poll_every: Some(10),
                ..Default::default()
            },
        )))));
        insta::assert_snapshot!(format!("aws_paging_{w}x{h}"), render(&aws, w, h));
    }
}

#[test]
fn an_aws_error_before_any_data_is_a_failed_load_that_says_why() {
    let mut app = App::new("aws", Rect::new(0, 0, 100, 20)).with_source(SourceKind::Aws);
    app.start_load();
    let error = "no AWS region configured\nhint: pass --region, or set AWS_REGION".to_owned();
    app.update(Event::Source(Update::Feed(Feed::Aws(Box::new(
        xray_tui::source::AwsProgress {
            error: Some(error.clone()),
            ..Default::default()
        },
    )))));
    assert_eq!(app.load, LoadState::Failed(error));
    let screen = render(&app, 100, 20);
    assert!(screen.contains("no AWS region configured"), "{screen}");
    assert!(!screen.contains("Loading"), "{screen}");
    // `r` asks again.
    assert!(matches!(
        app.update(key('r')).as_slice(),
        [Cmd::Source(Request::Query(_))]
    ));
    // An error after an empty answer: the list says what X-Ray said.
    app.update(Event::Source(Update::Snapshot(Snapshot {
        generation: app.generation,
        data: Arc::new(Dataset::default()),
    })));
    app.update(Event::Source(Update::Feed(Feed::Aws(Box::new(
        xray_tui::source::AwsProgress {
            error: Some(
                "access denied by AWS: not authorized to perform xray:GetTraceSummaries".into(),
            ),
            ..Default::default()
        },
    )))));
    let screen = render(&app, 100, 20);
    assert!(screen.contains("X-Ray answered with an error"), "{screen}");
    assert!(screen.contains("xray:GetTraceSummaries"), "{screen}");
}

#[test]
fn the_map_of_one_trace_copies_and_exports_that_trace() {
    let mut app = daemon_app(120, 40);
    update(&mut app, first(5));
    app.update(code(KeyCode::Enter));
    let id = app.view.as_ref().expect("open").trace.id.clone();
    app.update(key('m'));
    assert!(
        app.map
            .as_ref()
            .is_some_and(|m| m.trace_id.as_deref() == Some(id.as_str()))
    );
    assert_eq!(app.update(key('y')), vec![Cmd::Copy(id.clone())]);
    assert!(matches!(app.update(key('x')).as_slice(), [Cmd::Export(_)]));
    // The map of every trace stands for no single trace.
    app.update(code(KeyCode::Esc));
    app.update(code(KeyCode::Esc));
    app.update(key('m'));
    assert_eq!(app.mode, Mode::Map);
    assert!(app.update(key('y')).is_empty());
}

/// The Analysis screen over live traces: the first answer at once; new traces ask again,
/// paced (worked out no more than a tenth of the time); a person's own asking is not paced.
/// A live source is never prepared ahead (its data changes twice a second).
#[test]
fn live_traces_ask_the_analysis_again_paced() {
    let mut app = daemon_app(120, 40);
    let cmds = app.update(Event::Source(Update::Snapshot(Snapshot {
        generation: app.generation,
        data: first(10),
    })));
    assert!(
        !cmds.iter().any(|c| matches!(c, Cmd::PrepareAnalysis(_))),
        "{cmds:?}"
    );
    let asked = |cmds: Vec<Cmd>| {
        cmds.into_iter()
            .find_map(|c| match c {
                Cmd::AnalyseTraces(r) => Some(r),
                _ => None,
            })
            .expect("asked")
    };
    let r = asked(app.update(key('A')));
    assert!(!r.paced, "the first answer at once");
    let facts = xray_tui::runtime::count::FactCache::default();
    let answer = |r: &xray_tui::app::analysis::AnalysisRequest| {
        xray_tui::runtime::count::analyse(r, &facts, &|| false, &|_, _| {}).expect("answered")
    };
    app.update(Event::TracesAnalysed(answer(&r)));
    // New traces: asked again, paced.
    let cmds = app.update(Event::Source(Update::Snapshot(Snapshot {
        generation: app.generation,
        data: first(20),
    })));
    let r = asked(cmds);
    assert!(r.paced, "new live traces are paced");
    app.update(Event::TracesAnalysed(answer(&r)));
    // The histogram's next node: answered at once.
    app.update(key('3'));
    let r = asked(app.update(code(KeyCode::Right)));
    assert!(!r.paced, "a person's asking is not paced");
}
