//! The Analysis screen (`A`): `Enter` on each tab sets the filter (or the window) the row
//! stands for, answers to an older question are dropped, and snapshots of every tab at 80x24
//! and 160x48 over traces whose services have wide names (CJK and emoji).

#[path = "support/answer.rs"]
mod answer;

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use xray_tui::app::analysis::{Analyzed, Tab};
use xray_tui::app::{App, Cmd, Event, Mode};
use xray_tui::cli::SourceArgs;
use xray_tui::filter::{EvalContext, Verdict};
use xray_tui::source::{Loaded, Update};

fn loaded(data: xray_tui::engine::dataset::Dataset, w: u16, h: u16) -> App {
    let mut app = App::new("demo", Rect::new(0, 0, w, h));
    app.start_load();
    app.update(Event::Source(Update::Loaded(Loaded {
        generation: 1,
        result: Ok(Arc::new(data)),
    })));
    app
}

/// The demo's traces.
fn demo_data() -> xray_tui::engine::dataset::Dataset {
    let source = SourceArgs {
        demo: true,
        ..Default::default()
    };
    xray_tui::cli::load(&source, &mut std::io::sink()).expect("demo")
}

fn demo(w: u16, h: u16) -> App {
    loaded(demo_data(), w, h)
}

/// An app at 120x40 whose load has started, and the demo's traces to answer it with.
fn loading() -> (App, Arc<xray_tui::engine::dataset::Dataset>) {
    let mut app = App::new("demo", Rect::new(0, 0, 120, 40));
    app.start_load();
    (app, Arc::new(demo_data()))
}

/// Thirty copies of `tests/fixtures/derived/wide-names.ndjson`'s two traces (services
/// `注文サービス`, `在庫API 📦`, `決済🙂`), 40 s apart and 1 to 3 times as slow; every third
/// keeps its fault, every fifth has an error instead.
/// Numbers the files [`wide`] writes (tests run in parallel in one process).
static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn wide(w: u16, h: u16) -> App {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/derived/wide-names.ndjson"
    ))
    .expect("fixture");
    let base = 1_764_147_600.0_f64;
    let mut out = String::new();
    for k in 0..30u32 {
        let shift = f64::from(k) * 40.0;
        let stretch = 1.0 + f64::from(k % 5) * 0.5;
        for line in text.lines() {
            let line = line
                // The second trace first: an odd number never reads as the first's `0a`.
                .replace("-1a1b2c3d", &format!("-{:02x}1b2c3d", 2 * k + 1))
                .replace("-0a1b2c3d", &format!("-{:02x}1b2c3d", 2 * k))
                .replace("2b3c4d5e6f70", &format!("{k:012x}"));
            let mut v: serde_json::Value = serde_json::from_str(&line).expect("json");
            retime(&mut v, &|t| base + shift + (t - base) * stretch);
            if k % 3 != 0 {
                set_all(&mut v, "fault", k % 5 == 0);
            }
            if k % 5 == 0 && k % 3 != 0 {
                set_all(&mut v, "error", true);
            }
            out.push_str(&v.to_string());
            out.push('\n');
        }
    }
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "xray-tui-wide-analysis-{}-{}.ndjson",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::write(&path, out).expect("write");
    let source = SourceArgs {
        files: vec![path.to_string_lossy().into_owned()],
        ..Default::default()
    };
    let data = xray_tui::cli::load(&source, &mut std::io::sink()).expect("loads");
    let _ = std::fs::remove_file(&path);
    assert_eq!(data.rows.len(), 60);
    loaded(data, w, h)
}

fn retime(v: &mut serde_json::Value, f: &dyn Fn(f64) -> f64) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                match (k.as_str(), x.as_f64()) {
                    ("start_time" | "end_time", Some(t)) => *x = serde_json::json!(f(t)),
                    _ => retime(x, f),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| retime(x, f)),
        _ => {}
    }
}

/// Sets `key` to `to` wherever the document (or a subsegment) has it; `error` also on the
/// segment itself.
fn set_all(v: &mut serde_json::Value, key: &str, to: bool) {
    if let serde_json::Value::Object(m) = v {
        if m.contains_key(key) || (key == "error" && m.contains_key("trace_id")) {
            m.insert(key.to_owned(), serde_json::Value::Bool(to));
        }
        for x in m.values_mut() {
            set_all(x, key, to);
        }
    } else if let serde_json::Value::Array(a) = v {
        a.iter_mut().for_each(|x| set_all(x, key, to));
    }
}

fn key(app: &mut App, code: KeyCode) -> Vec<Cmd> {
    answer::step(app, Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn keys(app: &mut App, keys: &str) {
    for c in keys.chars() {
        key(
            app,
            match c {
                '\n' => KeyCode::Enter,
                c => KeyCode::Char(c),
            },
        );
    }
}

fn render(app: &App) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(app.size.width, app.size.height)).expect("term");
    t.draw(|f| xray_tui::ui::draw(f, app)).expect("draw");
    t
}

/// How many rows `expr` matches, worked out apart from the app.
fn matching(app: &App, expr: &str) -> usize {
    let data = app.data.as_ref().expect("data");
    let f = xray_tui::filter::parse(expr).expect("parses");
    let ctx = EvalContext {
        groups: &data.groups,
    };
    (0..data.rows.len())
        .filter(|&i| f.verdict_at(data, i, &ctx) == Verdict::Match)
        .count()
}

#[test]
fn a_opens_the_screen_and_enter_on_a_root_cause_filters_the_list() {
    let mut app = demo(120, 40);
    keys(&mut app, "A");
    assert_eq!(app.mode, Mode::Analysis);
    let st = app.analysis.as_ref().expect("open");
    assert_eq!(st.tab, Tab::RootCauses);
    let causes = st.answers.causes.as_ref().expect("answered");
    let top = causes[0].clone();
    assert_eq!(st.answers.traces, app.list.visible.len());
    // The second row: Enter filters with exactly its clause.
    let second = causes[1].clone();
    keys(&mut app, "j\n");
    assert_eq!(app.mode, Mode::List);
    assert!(app.analysis.is_none());
    assert_eq!(
        app.list.expr_text().as_deref(),
        Some(second.group.filter.as_str())
    );
    assert_eq!(app.list.visible.len(), second.group.count);
    assert_eq!(matching(&app, &second.group.filter), second.group.count);
    assert!(top.group.count >= second.group.count);
}

#[test]
fn enter_extends_a_filter_already_applied() {
    let mut app = demo(120, 40);
    keys(&mut app, "/http.method = \"GET\"\n");
    let before = app.list.visible.len();
    assert!(before > 0);
    keys(&mut app, "A");
    let st = app.analysis.as_ref().expect("open");
    assert_eq!(st.answers.traces, before);
    let clause = st.answers.causes.as_ref().expect("causes")[0]
        .group
        .filter
        .clone();
    keys(&mut app, "\n");
    let expr = app.list.expr_text().expect("a filter");
    let expected = format!("http.method = \"GET\" AND {clause}");
    assert_eq!(matching(&app, &expr), matching(&app, &expected));
    assert!(expr.contains("http.method = \"GET\""), "{expr}");
    assert!(app.list.visible.len() < before);
}

#[test]
fn a_histogram_range_filters_by_response_time() {
    let mut app = demo(120, 40);
    keys(&mut app, "A3");
    let (lo, hi) = {
        let st = app.analysis.as_ref().expect("open");
        let (h, targets) = st.answers.histogram.as_ref().expect("histogram");
        assert!(!targets.is_empty(), "services and edges to measure");
        (h.bins[1].lo, h.bins[3].hi)
    };
    keys(&mut app, "j jj");
    assert_eq!(app.analysis.as_ref().map(|s| s.range()), Some((1, 3)));
    keys(&mut app, "\n");
    let expr = app.list.expr_text().expect("a filter");
    let ms = |v: f64, down: bool| {
        let x = v * 1000.0;
        (if down {
            (x + 1e-6).floor()
        } else {
            (x - 1e-6).ceil()
        }) / 1000.0
    };
    assert_eq!(
        expr,
        format!(
            "responsetime >= {} AND responsetime <= {}",
            ms(lo, true),
            ms(hi, false)
        )
    );
    // Every listed trace's response time is in the range, and none outside it is missed.
    let data = app.data.clone().expect("data");
    let in_range = |i: usize| {
        let r = &data.rows[i];
        r.response_time.is_some_and(|t| t >= lo && t <= hi)
    };
    assert!(app.list.visible.iter().all(|&i| {
        let t = data.rows[i].response_time.unwrap_or(-1.0);
        t >= ms(lo, true) && t <= ms(hi, false)
    }));
    let want = (0..data.rows.len()).filter(|&i| in_range(i)).count();
    assert!(app.list.visible.len() >= want);
}

#[test]
fn the_histogram_measures_a_service_node_with_left_and_right() {
    let mut app = demo(120, 40);
    keys(&mut app, "A3l");
    let st = app.analysis.as_ref().expect("open");
    let xray_tui::filter::analyze::Measured::Service(name) = st.measured.clone() else {
        panic!("a service: {:?}", st.measured);
    };
    let (h, _) = st.answers.histogram.as_ref().expect("histogram");
    assert!(h.range_filter.starts_with(&format!("service(\"{name}\")")));
    keys(&mut app, "\n");
    let expr = app.list.expr_text().expect("filter");
    assert!(
        expr.starts_with(&format!("service(\"{name}\") {{")),
        "{expr}"
    );
}

#[test]
fn enter_on_an_interval_narrows_the_window() {
    let mut app = demo(120, 40);
    keys(&mut app, "A4");
    let window = {
        let st = app.analysis.as_ref().expect("open");
        let tl = st.answers.time.as_ref().expect("series");
        assert!(tl.series.len() > 1 && tl.series.len() <= 61);
        let total: usize = tl.series.iter().map(|i| i.count).sum();
        assert_eq!(total, app.list.visible.len());
        tl.series[0].window.clone()
    };
    keys(&mut app, "\n");
    assert_eq!(app.mode, Mode::List);
    assert_eq!(app.window, window);
    assert!(app.list.expr.is_none());
}

#[test]
fn compare_and_red_rows_filter_or_say_why_not() {
    let mut app = demo(120, 40);
    keys(&mut app, "A2");
    let d = {
        let st = app.analysis.as_ref().expect("open");
        let c = st.answers.compare.as_ref().expect("compare");
        assert_eq!(c.selection, xray_tui::filter::analyze::Selection::Faults);
        c.differences[0].clone()
    };
    assert!(!d.filter.is_empty());
    keys(&mut app, "\n");
    assert_eq!(app.list.expr_text().as_deref(), Some(d.filter.as_str()));
    // RED: the first row is a service; an operation has no filter and says so.
    let mut app = demo(120, 40);
    keys(&mut app, "A5");
    let (svc, ops) = {
        let st = app.analysis.as_ref().expect("open");
        let t = st.answers.time.as_ref().expect("red");
        (t.red.services.clone(), t.red.operations.len())
    };
    assert!(ops > 0);
    keys(&mut app, &"j".repeat(svc.len()));
    keys(&mut app, "\n");
    assert_eq!(app.mode, Mode::Analysis);
    assert!(app.list.expr.is_none());
    keys(&mut app, "g\n");
    assert_eq!(app.list.expr_text(), Some(svc[0].filter.clone()));
}

/// The screen's text, row by row.
fn screen_text(app: &App) -> String {
    let t = render(app);
    let b = t.backend().buffer();
    (0..b.area.height)
        .map(|y| {
            (0..b.area.width)
                .map(|x| b[(x, y)].symbol())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_whole_load_prepares_the_analysis_and_the_screen_shows_how_far_it_is() {
    // A whole file (here the demo) is worked out for the Analysis screen as soon as it is here.
    let (mut app, data) = loading();
    let cmds = app.update(Event::Source(Update::Loaded(Loaded {
        generation: 1,
        result: Ok(data.clone()),
    })));
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Cmd::PrepareAnalysis(p) if Arc::ptr_eq(&p.0, &data))),
        "{cmds:?}"
    );
    // Opened before it is done: the first answer waits for it, and says how far it is.
    let cmds = app.update(Event::Key(KeyEvent::new(
        KeyCode::Char('A'),
        KeyModifiers::NONE,
    )));
    let request = cmds
        .into_iter()
        .find_map(|c| match c {
            Cmd::AnalyseTraces(r) => Some(r),
            _ => None,
        })
        .expect("asked");
    assert!(screen_text(&app).contains("working it out…"));
    app.update(Event::AnalysisProgress {
        done: 350,
        of: 1000,
    });
    // The spinner turns while it waits.
    let turned = app.spinner;
    app.update(Event::Tick);
    assert_ne!(app.spinner, turned);
    let text = screen_text(&app);
    assert!(
        text.contains("reading inside the traces: 35% (350 of 1000)"),
        "{text}"
    );
    // The answer replaces it.
    let facts = xray_tui::runtime::count::FactCache::default();
    let answer =
        xray_tui::runtime::count::analyse(&request, &facts, &|| false, &|_, _| {}).expect("answer");
    app.update(Event::TracesAnalysed(answer));
    let text = screen_text(&app);
    assert!(!text.contains("reading inside"), "{text}");
    assert!(!text.contains("working it out"), "{text}");
    // Nothing pending: the spinner rests (no redraw for it).
    let rested = app.spinner;
    app.update(Event::Tick);
    assert_eq!(app.spinner, rested);
    // Progress with nothing pending is not shown.
    app.update(Event::AnalysisProgress { done: 10, of: 1000 });
    assert!(!screen_text(&app).contains("reading inside"));
}

#[test]
fn opened_while_a_file_loads_it_asks_once_the_load_is_done() {
    let (mut app, data) = loading();
    // The load's first part is listed while the rest is read.
    app.update(Event::Source(Update::Snapshot(
        xray_tui::source::Snapshot {
            generation: 1,
            data: data.clone(),
        },
    )));
    assert!(!app.list.visible.is_empty());
    let asked = |cmds: &[Cmd]| cmds.iter().any(|c| matches!(c, Cmd::AnalyseTraces(_)));
    let cmds = app.update(Event::Key(KeyEvent::new(
        KeyCode::Char('A'),
        KeyModifiers::NONE,
    )));
    assert_eq!(app.mode, Mode::Analysis);
    assert!(!asked(&cmds), "nothing asked of a part: {cmds:?}");
    let text = screen_text(&app);
    assert!(
        text.contains("loading: the traces are analysed once they are all here"),
        "{text}"
    );
    // Another tab asks nothing either.
    let cmds = app.update(Event::Key(KeyEvent::new(
        KeyCode::Char('3'),
        KeyModifiers::NONE,
    )));
    assert!(!asked(&cmds), "{cmds:?}");
    // The whole is here: asked, once.
    let cmds = app.update(Event::Source(Update::Loaded(Loaded {
        generation: 1,
        result: Ok(data),
    })));
    assert!(asked(&cmds), "{cmds:?}");
    assert!(screen_text(&app).contains("working it out…"));
}

#[test]
fn an_older_answer_is_dropped_and_new_data_asks_again() {
    let mut app = demo(120, 40);
    keys(&mut app, "A");
    let generation = app.analysis.as_ref().expect("open").generation;
    let before = app.analysis.as_ref().and_then(|s| s.answers.causes.clone());
    app.update(Event::TracesAnalysed(Box::new(Analyzed {
        generation: generation - 1,
        answers: Default::default(),
    })));
    assert_eq!(
        app.analysis.as_ref().and_then(|s| s.answers.causes.clone()),
        before
    );
    // A reload: the screen stays and asks again, with a newer generation.
    let data = demo_data();
    app.start_load();
    let cmds = app.update(Event::Source(Update::Loaded(Loaded {
        generation: app.generation,
        result: Ok(Arc::new(data)),
    })));
    assert_eq!(app.mode, Mode::Analysis);
    let asked = cmds.iter().find_map(|c| match c {
        Cmd::AnalyseTraces(r) => Some(r.generation),
        _ => None,
    });
    assert!(asked.is_some_and(|g| g > generation), "{cmds:?}");
    // New data while an answer is being worked out: asked again once it arrives, not before.
    let asked = asked.expect("asked");
    let data = app.data.clone().expect("data");
    let cmds = app.update(Event::Source(Update::Loaded(Loaded {
        generation: app.generation,
        result: Ok(data),
    })));
    assert!(
        !cmds.iter().any(|c| matches!(c, Cmd::AnalyseTraces(_))),
        "{cmds:?}"
    );
    let cmds = app.update(Event::TracesAnalysed(Box::new(Analyzed {
        generation: asked,
        answers: Default::default(),
    })));
    let again = cmds.iter().find_map(|c| match c {
        Cmd::AnalyseTraces(r) => Some(r.clone()),
        _ => None,
    });
    let again = again.expect("asked again");
    assert!(again.generation > asked);
    answer::step(
        &mut app,
        Event::TracesAnalysed(
            xray_tui::runtime::count::analyse(
                &again,
                &xray_tui::runtime::count::FactCache::default(),
                &|| false,
                &|_, _| {},
            )
            .expect("answer"),
        ),
    );
    // A key that changes nothing asks nothing.
    let cmds = key(&mut app, KeyCode::Char('j'));
    assert!(!cmds.iter().any(|c| matches!(c, Cmd::AnalyseTraces(_))));
    // Back closes it and stops the work.
    let cmds = key(&mut app, KeyCode::Esc);
    assert_eq!(app.mode, Mode::List);
    assert!(cmds.contains(&Cmd::StopAnalysis));
}

fn snapshot(w: u16, h: u16, keys_: &str) -> String {
    let mut app = wide(w, h);
    keys(&mut app, keys_);
    assert_eq!(app.mode, Mode::Analysis);
    render(&app).backend().to_string()
}

#[test]
fn root_causes_80x24() {
    insta::assert_snapshot!(snapshot(80, 24, "A"));
}

#[test]
fn root_causes_160x48() {
    insta::assert_snapshot!(snapshot(160, 48, "A"));
}

#[test]
fn compare_80x24() {
    insta::assert_snapshot!(snapshot(80, 24, "A2"));
}

#[test]
fn compare_160x48() {
    insta::assert_snapshot!(snapshot(160, 48, "A2"));
}

#[test]
fn histogram_80x24() {
    insta::assert_snapshot!(snapshot(80, 24, "A3"));
}

#[test]
fn histogram_160x48_with_a_marked_range() {
    insta::assert_snapshot!(snapshot(160, 48, "A3j jjj"));
}

#[test]
fn over_time_80x24() {
    insta::assert_snapshot!(snapshot(80, 24, "A4"));
}

#[test]
fn over_time_160x48() {
    insta::assert_snapshot!(snapshot(160, 48, "A4"));
}

#[test]
fn red_80x24() {
    insta::assert_snapshot!(snapshot(80, 24, "A5"));
}

#[test]
fn red_160x48() {
    insta::assert_snapshot!(snapshot(160, 48, "A5"));
}

/// Where `text` is drawn on screen (column, row of its first cell).
fn find(app: &App, text: &str) -> (u16, u16) {
    let t = render(app);
    let buf = t.backend().buffer();
    let w = usize::from(buf.area.width);
    let cells: Vec<&str> = buf.content.iter().map(|c| c.symbol()).collect();
    for (y, line) in cells.chunks(w).enumerate() {
        let s: String = line.concat();
        if let Some(i) = s.find(text) {
            let col = s[..i].chars().count();
            return (col as u16, y as u16);
        }
    }
    panic!("{text} is not on screen");
}

fn click(app: &mut App, column: u16, row: u16) -> Vec<Cmd> {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    answer::step(
        app,
        Event::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column,
            row,
            modifiers: KeyModifiers::NONE,
        }),
    )
}

/// A click on a tab's title shows it; on a row selects it; on the selected row filters as
/// `Enter` does.
#[test]
fn the_mouse_picks_tabs_and_rows() {
    let mut app = demo(120, 40);
    keys(&mut app, "A");
    let (x, y) = find(&app, "Compare");
    click(&mut app, x + 1, y);
    assert_eq!(app.analysis.as_ref().expect("open").tab, Tab::Compare);
    let (x, y) = find(&app, "Root causes");
    click(&mut app, x, y);
    let st = app.analysis.as_ref().expect("open");
    assert_eq!(st.tab, Tab::RootCauses);
    let third = st.answers.causes.as_ref().expect("answered")[2].clone();
    // The rows start three lines below the tab bar.
    click(&mut app, x, y + 5);
    assert_eq!(app.analysis.as_ref().expect("open").row(), 2);
    click(&mut app, x, y + 5);
    assert_eq!(app.mode, Mode::List);
    assert_eq!(
        app.list.expr_text().as_deref(),
        Some(third.group.filter.as_str())
    );
    // Narrow: the bar shows the current tab only, and a click on it is the next tab.
    let mut app = demo(60, 20);
    keys(&mut app, "A");
    let (x, y) = find(&app, "1/5");
    click(&mut app, x, y);
    assert_eq!(app.analysis.as_ref().expect("open").tab, Tab::Compare);
}
