//! Headless app-flow tests: keys and data events go into `App::update`; state and commands come
//! out. No terminal, no sleeps.

#[path = "support/answer.rs"]
mod answer;

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use xray_tui::app::list::{QuickFilter, SortColumn};
use xray_tui::app::{App, Cmd, Event, LoadState, Mode};
use xray_tui::cli::SourceArgs;
use xray_tui::engine::dataset::Dataset;
use xray_tui::engine::waterfall::Status;
use xray_tui::keys::Keymap;
use xray_tui::source::{Loaded, Request, Update};

fn demo() -> Arc<Dataset> {
    let source = SourceArgs {
        demo: true,
        ..Default::default()
    };
    Arc::new(xray_tui::cli::load(&source, &mut std::io::sink()).expect("demo loads"))
}

fn key(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(k: KeyCode) -> Event {
    Event::Key(KeyEvent::new(k, KeyModifiers::NONE))
}

/// The screen `app` draws on a `w` x `h` test terminal.
fn drawn(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    terminal.draw(|f| xray_tui::ui::draw(f, app)).expect("draw");
    terminal
}

/// The open trace's waterfall area, and the rows drawn in it: (index in `rows`, screen row).
fn waterfall_on_screen(app: &App) -> (Rect, Vec<(usize, u16)>) {
    let v = app.view.as_ref().expect("a trace is open");
    let (wf, _) = xray_tui::app::layout::trace_split(xray_tui::app::layout::screen(app.size).body);
    // Below the overview strip: the time axis, then the rows.
    let wf = Rect {
        y: wf.y + 1,
        height: wf.height.saturating_sub(1),
        ..wf
    };
    let shown = (v.offset..v.rows.len())
        .take(usize::from(wf.height) - 1)
        .map(|i| (i, wf.y + 1 + u16::try_from(i - v.offset).expect("fits")))
        .collect();
    (wf, shown)
}

/// The demo loaded at 120x40 with a configuration read from `toml`.
fn app_with_config(toml: &str) -> App {
    let config =
        xray_tui::config::Config::parse(toml, std::path::Path::new("test.toml")).expect("valid");
    loaded_app(120, 40).with_config(config)
}

fn loaded_app(w: u16, h: u16) -> App {
    let mut app = App::new("demo", Rect::new(0, 0, w, h));
    let cmds = app.start_load();
    assert_eq!(cmds, vec![Cmd::Source(Request::Load { generation: 1 })]);
    answer::step(
        &mut app,
        Event::Source(Update::Loaded(Loaded {
            generation: 1,
            result: Ok(demo()),
        })),
    );
    assert_eq!(app.load, LoadState::Loaded);
    app
}

#[test]
fn opens_the_first_fault_trace_in_three_keys() {
    let mut app = loaded_app(120, 40);
    for e in [key('f'), key('g'), code(KeyCode::Enter)] {
        assert!(answer::step(&mut app, e).is_empty());
    }
    assert_eq!(app.list.filter, QuickFilter::Faults);
    assert_eq!(app.mode, Mode::Trace);
    let data = app.data.clone().expect("data");
    // Newest first: the list opens on the latest fault.
    let first_fault = data
        .rows
        .iter()
        .filter(|s| s.has_fault)
        .max_by(|a, b| {
            a.start_time
                .unwrap_or(0.0)
                .total_cmp(&b.start_time.unwrap_or(0.0))
        })
        .expect("the demo has faults");
    let view = app.view.as_ref().expect("a trace is open");
    assert_eq!(*view.trace.id, *first_fault.id);
}

#[test]
fn n_jumps_to_the_next_fault_or_error_row() {
    let mut app = loaded_app(120, 40);
    answer::step(&mut app, key('f'));
    answer::step(&mut app, code(KeyCode::Enter));
    let before = app.view.as_ref().expect("open").selected;
    answer::step(&mut app, key('n'));
    let v = app.view.as_ref().expect("open");
    let expected = (before + 1..v.rows.len())
        .chain(0..=before)
        .find(|&i| v.rows[i].status != Status::Ok)
        .expect("a fault trace has a problem row");
    assert_eq!(v.selected, expected);
    assert_ne!(v.rows[v.selected].status, Status::Ok);
    // N goes back to where n came from when that was the previous problem row.
    answer::step(&mut app, key('N'));
    let v = app.view.as_ref().expect("open");
    assert_ne!(v.rows[v.selected].status, Status::Ok);
}

#[test]
fn stale_generation_data_is_dropped() {
    let mut app = App::new("demo", Rect::new(0, 0, 80, 24));
    assert_eq!(
        app.start_load(),
        vec![Cmd::Source(Request::Load { generation: 1 })]
    );
    assert_eq!(
        answer::step(&mut app, key('r')),
        vec![Cmd::Source(Request::Load { generation: 2 })]
    );
    answer::step(
        &mut app,
        Event::Source(Update::Loaded(Loaded {
            generation: 1,
            result: Ok(demo()),
        })),
    );
    assert_eq!(app.load, LoadState::Loading);
    assert!(app.data.is_none());
    answer::step(
        &mut app,
        Event::Source(Update::Loaded(Loaded {
            generation: 2,
            result: Err("boom".into()),
        })),
    );
    assert_eq!(app.load, LoadState::Failed("boom".into()));
}

#[test]
fn esc_goes_back_to_the_list_and_keeps_the_selection() {
    let mut app = loaded_app(80, 24);
    answer::step(&mut app, key('j'));
    answer::step(&mut app, key('j'));
    answer::step(&mut app, code(KeyCode::Enter));
    assert_eq!(app.mode, Mode::Trace);
    answer::step(&mut app, code(KeyCode::Esc));
    assert_eq!(app.mode, Mode::List);
    assert!(app.view.is_none());
    assert_eq!(app.list.selected, 2);
    // q goes back from a trace, and quits from the list.
    answer::step(&mut app, code(KeyCode::Enter));
    assert!(answer::step(&mut app, key('q')).is_empty());
    assert_eq!(app.mode, Mode::List);
    assert_eq!(answer::step(&mut app, key('q')), vec![Cmd::Quit]);
}

#[test]
fn ctrl_c_quits_from_anywhere() {
    let mut app = loaded_app(80, 24);
    answer::step(&mut app, code(KeyCode::Enter));
    answer::step(&mut app, key('?'));
    let ctrl_c = Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert_eq!(answer::step(&mut app, ctrl_c), vec![Cmd::Quit]);
}

#[test]
fn help_lists_every_bound_key() {
    // Tall enough for every section (the overlay scrolls on smaller screens).
    let mut app = loaded_app(100, 200);
    answer::step(&mut app, key('?'));
    assert!(app.overlays.help().is_some());
    let terminal = drawn(&app, 100, 200);
    let text = format!("{}", terminal.backend());
    for b in Keymap::default().bindings() {
        let label = b.keys_label();
        assert!(text.contains(&label), "help lacks {label}");
        assert!(text.contains(b.description), "help lacks {}", b.description);
    }
    answer::step(&mut app, code(KeyCode::Esc));
    assert!(app.overlays.help().is_none());
}

#[test]
fn sort_cycles_and_reverses() {
    let mut app = loaded_app(80, 24);
    let data = app.data.clone().expect("data");
    while app.list.sort != SortColumn::Duration {
        answer::step(&mut app, key('s'));
    }
    // A duration sort starts with the longest, the selection on it.
    let longest = data
        .rows
        .iter()
        .map(|s| s.duration.unwrap_or(0.0))
        .fold(0.0, f64::max);
    assert_eq!(app.list.selected, 0);
    let top = app.selected_summary().expect("selection");
    assert_eq!(top.duration, Some(longest));
    answer::step(&mut app, key('j'));
    answer::step(&mut app, key('S'));
    assert_eq!(app.list.selected, 0, "a sort change goes to the top");
    let shortest = data
        .rows
        .iter()
        .filter_map(|s| s.duration)
        .fold(f64::INFINITY, f64::min);
    let top = app.selected_summary().expect("selection");
    assert_eq!(top.duration, Some(shortest));
}

/// The list starts newest first; each column has its own key (k9s style), which starts in the
/// column's natural order (the longest, the worst, A to Z) and reverses when pressed again.
#[test]
fn newest_first_and_a_key_per_column() {
    let mut app = loaded_app(120, 40);
    let data = app.data.clone().expect("data");
    let times = |app: &App| -> Vec<f64> {
        app.list
            .visible
            .iter()
            .map(|&i| data.rows[i].start_time.expect("demo rows have times"))
            .collect()
    };
    assert_eq!(
        (app.list.sort, app.list.descending),
        (SortColumn::Time, true)
    );
    let t = times(&app);
    assert!(t.windows(2).all(|w| w[0] >= w[1]), "newest first");
    answer::step(&mut app, key('T'));
    let t = times(&app);
    assert!(t.windows(2).all(|w| w[0] <= w[1]), "T again: oldest first");
    for (k, col, desc) in [
        ('L', SortColumn::Duration, true),
        ('R', SortColumn::Response, true),
        ('E', SortColumn::Flags, true),
        ('C', SortColumn::Status, true),
        ('P', SortColumn::Path, false),
        ('M', SortColumn::Method, false),
        ('I', SortColumn::Id, false),
        ('T', SortColumn::Time, true),
    ] {
        answer::step(&mut app, key('G'));
        answer::step(&mut app, key(k));
        assert_eq!((app.list.sort, app.list.descending), (col, desc), "{k}");
        assert_eq!(app.list.selected, 0, "{k}: the selection goes to the top");
    }
    answer::step(&mut app, key('E'));
    let worst = app.selected_summary().expect("selection");
    assert!(worst.has_fault, "faults first");
    answer::step(&mut app, key('E'));
    let best = app.selected_summary().expect("selection");
    assert!(!best.has_fault && !best.has_error && !best.has_throttle);
}

#[test]
fn filter_cycles_back_to_all() {
    let mut app = loaded_app(80, 24);
    let all = app.list.visible.len();
    let mut seen = Vec::new();
    for _ in 0..4 {
        answer::step(&mut app, key('f'));
        seen.push((app.list.filter, app.list.visible.len()));
    }
    assert_eq!(seen[0].0, QuickFilter::Faults);
    assert_eq!(seen[1].0, QuickFilter::Errors);
    assert_eq!(seen[2].0, QuickFilter::Throttles);
    assert_eq!(seen[3], (QuickFilter::All, all));
    assert!(seen[0].1 > 0 && seen[0].1 < all);
}

#[test]
fn collapse_to_segments_then_expand_all() {
    let mut app = loaded_app(120, 40);
    answer::step(&mut app, key('f'));
    answer::step(&mut app, code(KeyCode::Enter));
    let full = app.view.as_ref().expect("open").rows.len();
    answer::step(&mut app, key('c'));
    let folded = app.view.as_ref().expect("open").rows.len();
    assert!(folded < full, "{folded} < {full}");
    answer::step(&mut app, key('e'));
    assert_eq!(app.view.as_ref().expect("open").rows.len(), full);
    // Enter on the root folds everything under it.
    answer::step(&mut app, key('g'));
    answer::step(&mut app, code(KeyCode::Enter));
    assert_eq!(app.view.as_ref().expect("open").rows.len(), 1);
}

#[test]
fn tabs_switch_with_digits_and_tab() {
    use xray_tui::app::trace_view::DetailTab;
    let mut app = loaded_app(120, 40);
    answer::step(&mut app, code(KeyCode::Enter));
    answer::step(&mut app, key('6'));
    assert_eq!(app.view.as_ref().expect("open").tab, DetailTab::Exceptions);
    answer::step(&mut app, code(KeyCode::Tab));
    assert_eq!(app.view.as_ref().expect("open").tab, DetailTab::Sql);
    answer::step(&mut app, code(KeyCode::BackTab));
    answer::step(&mut app, code(KeyCode::BackTab));
    assert_eq!(app.view.as_ref().expect("open").tab, DetailTab::Metadata);
}

#[test]
fn key_releases_and_ticks_after_loading_do_nothing() {
    let mut app = loaded_app(80, 24);
    app.take_dirty();
    let mut release = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE);
    release.kind = KeyEventKind::Release;
    assert!(answer::step(&mut app, Event::Key(release)).is_empty());
    answer::step(&mut app, Event::Tick);
    assert_eq!(app.list.selected, 0);
    assert!(!app.take_dirty(), "nothing to redraw");
}

#[test]
fn paging_keeps_the_selection_on_screen() {
    let mut app = loaded_app(80, 24);
    answer::step(&mut app, code(KeyCode::PageDown));
    answer::step(&mut app, code(KeyCode::PageDown));
    let rows = xray_tui::app::layout::list_rows(app.size);
    assert_eq!(app.list.selected, 2 * rows);
    assert!(app.list.offset <= app.list.selected && app.list.selected < app.list.offset + rows);
    answer::step(&mut app, key('G'));
    assert_eq!(app.list.selected, app.list.visible.len() - 1);
    answer::step(&mut app, Event::Resize(80, 10));
    let rows = xray_tui::app::layout::list_rows(app.size);
    assert!(app.list.selected < app.list.offset + rows);
}

/// The first fault trace, opened with everything under its root folded away.
/// The oldest fault trace of the demo (it calls DynamoDB several times): `f` for faults, `T`
/// to list the oldest first, Enter.
fn oldest_fault_trace() -> App {
    let mut app = loaded_app(120, 40);
    for e in [key('f'), key('T'), code(KeyCode::Enter)] {
        answer::step(&mut app, e);
    }
    app
}

fn fault_trace_folded() -> App {
    let mut app = loaded_app(120, 40);
    answer::step(&mut app, key('f'));
    answer::step(&mut app, key('T'));
    answer::step(&mut app, code(KeyCode::Enter));
    answer::step(&mut app, key('g'));
    answer::step(&mut app, code(KeyCode::Enter));
    assert_eq!(app.view.as_ref().expect("open").rows.len(), 1);
    app
}

#[test]
fn n_expands_collapsed_rows_that_hide_the_next_problem() {
    // Every problem row below the root is hidden.
    let mut app = fault_trace_folded();
    answer::step(&mut app, key('n'));
    let v = app.view.as_ref().expect("open");
    assert!(v.rows.len() > 1, "the path to the problem row was expanded");
    assert_ne!(v.rows[v.selected].status, Status::Ok);
    assert!(v.selected > 0);
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        assert!(
            answer::step(app, key(c)).is_empty(),
            "typing {c:?} asks for nothing"
        );
    }
}

/// `/` opens the prompt; what is typed is checked as it goes; Enter applies it to the list, the
/// header names it, and the history is saved.
#[test]
fn filter_prompt_applies_an_expression() {
    let mut app = loaded_app(160, 48);
    answer::step(&mut app, key('/'));
    assert!(app.overlays.prompt().is_some());
    type_text(&mut app, "service(\"payments\") { fault } q");
    // `q` typed into the prompt does not quit.
    assert!(!app.quit);
    let p = app.overlays.prompt().expect("open");
    assert!(p.error.is_some(), "a trailing bare word is an error");
    answer::step(&mut app, code(KeyCode::Backspace));
    answer::step(&mut app, code(KeyCode::Backspace));
    assert!(app.overlays.prompt().expect("open").error.is_none());
    let cmds = answer::step(&mut app, code(KeyCode::Enter));
    assert!(app.overlays.prompt().is_none(), "closed after applying");
    assert_eq!(
        cmds,
        vec![Cmd::SaveHistory(vec![
            "service(\"payments\") { fault }".into()
        ])]
    );
    assert_eq!(
        app.list.expr_text().as_deref(),
        Some("service(\"payments\") { fault }")
    );
    let data = app.data.clone().expect("data");
    assert!(!app.list.visible.is_empty());
    for &i in &app.list.visible {
        let s = data.summary(i).unwrap();
        assert!(s.has_fault, "{} has a fault", s.id);
        assert!(
            s.service_ids
                .iter()
                .any(|x| x.name.as_deref() == Some("payments")),
            "{} reaches payments",
            s.id
        );
    }
    // Esc from the list does not clear it; an empty expression does.
    answer::step(&mut app, key('/'));
    answer::step(
        &mut app,
        Event::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    answer::step(&mut app, code(KeyCode::Enter));
    assert_eq!(app.list.expr, None);
    assert_eq!(app.list.visible.len(), data.rows.len());
}

/// A bad expression keeps the prompt open with the error; nothing is applied.
#[test]
fn filter_prompt_keeps_a_bad_expression_open() {
    let mut app = loaded_app(120, 40);
    answer::step(&mut app, key(':'));
    type_text(&mut app, "responstime > 1");
    let cmds = answer::step(&mut app, code(KeyCode::Enter));
    assert!(cmds.is_empty());
    let p = app.overlays.prompt().expect("still open");
    let e = p.error.as_ref().expect("error shown");
    assert_eq!(e.suggestion.as_deref(), Some("responsetime"));
    assert_eq!(app.list.expr, None);
    answer::step(&mut app, code(KeyCode::Esc));
    assert!(app.overlays.prompt().is_none());
    assert_eq!(app.mode, Mode::List, "Esc closes the prompt only");
}

/// Tab completes from the loaded data (the first Tab shows the choices, the second inserts
/// the highlighted one, closing the call); Up recalls the history.
#[test]
fn filter_prompt_completes_and_recalls_history() {
    let mut app = loaded_app(120, 40).with_history(vec!["fault".into(), "responsetime > 2".into()]);
    answer::step(&mut app, key('/'));
    type_text(&mut app, "service(\"paym");
    let p = app.overlays.prompt().expect("open");
    let c = p.completions.as_ref().expect("candidates");
    assert!(
        c.candidates.iter().any(|x| x.text.contains("payments")),
        "{c:?}"
    );
    answer::step(&mut app, code(KeyCode::Tab));
    let p = app.overlays.prompt().expect("open");
    assert_eq!(p.input, "service(\"paym", "the first Tab inserts nothing");
    assert_eq!(p.selected, Some(0));
    answer::step(&mut app, code(KeyCode::Tab));
    let p = app.overlays.prompt().expect("open");
    assert_eq!(p.input, "service(\"payments\") ");
    answer::step(
        &mut app,
        Event::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    answer::step(&mut app, code(KeyCode::Up));
    assert_eq!(
        app.overlays.prompt().expect("open").input,
        "responsetime > 2"
    );
    answer::step(&mut app, code(KeyCode::Up));
    assert_eq!(app.overlays.prompt().expect("open").input, "fault");
    answer::step(&mut app, code(KeyCode::Enter));
    assert_eq!(app.list.expr_text().as_deref(), Some("fault"));
    assert_eq!(
        app.history,
        vec!["responsetime > 2".to_owned(), "fault".to_owned()],
        "reused entry moves to the end"
    );
}

/// `/` on an empty prompt lists the saved filters from the config; Tab then Enter applies one.
#[test]
fn saved_filters_from_the_config_apply_by_name() {
    let mut app = app_with_config("[filters]\nslow = \"responsetime > 1\"\n");
    answer::step(&mut app, key('/'));
    let p = app.overlays.prompt().expect("open");
    let c = p.completions.as_ref().expect("saved filters listed");
    assert_eq!(c.candidates[0].text, "@slow");
    assert_eq!(c.candidates[0].description, "responsetime > 1");
    answer::step(&mut app, code(KeyCode::Tab));
    answer::step(&mut app, code(KeyCode::Enter));
    assert_eq!(app.list.expr_text().as_deref(), Some("responsetime > 1"));
    let data = app.data.clone().expect("data");
    assert!(!app.list.visible.is_empty());
    assert!(
        app.list
            .visible
            .iter()
            .all(|&i| data.rows[i].response_time.is_some_and(|r| r > 1.0))
    );
}

fn ctrl(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn click(x: u16, y: u16) -> Event {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    Event::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: x,
        row: y,
        modifiers: KeyModifiers::NONE,
    })
}

fn wheel(down: bool, x: u16, y: u16) -> Event {
    use crossterm::event::{MouseEvent, MouseEventKind};
    Event::Mouse(MouseEvent {
        kind: if down {
            MouseEventKind::ScrollDown
        } else {
            MouseEventKind::ScrollUp
        },
        column: x,
        row: y,
        modifiers: KeyModifiers::NONE,
    })
}

/// The node selected in the open trace.
fn selected_node(app: &App) -> usize {
    let v = app.view.as_ref().expect("open");
    v.rows[v.selected].node
}

/// `/` in a trace searches as you type, Enter keeps the matches, `.`/`,` step through them in
/// waterfall order (wrapping), Esc clears the find and a second Esc goes back to the list.
#[test]
fn find_in_trace_steps_through_matches() {
    let mut app = oldest_fault_trace();
    let trace = app.view.as_ref().expect("open").trace.clone();
    let hits = xray_tui::engine::find::find(&trace, "dynamodb");
    assert!(
        hits.len() >= 2,
        "the fault trace calls DynamoDB more than once"
    );
    answer::step(&mut app, key('/'));
    type_text(&mut app, "DynamoDB");
    let f = app
        .view
        .as_ref()
        .and_then(|v| v.find.as_ref())
        .expect("find");
    assert!(f.editing);
    assert_eq!(f.hits, hits);
    // Typing moved the selection to the first match after the root.
    assert_eq!(selected_node(&app), hits[0].node);
    answer::step(&mut app, code(KeyCode::Enter));
    let f = app
        .view
        .as_ref()
        .and_then(|v| v.find.as_ref())
        .expect("kept");
    assert!(!f.editing);
    answer::step(&mut app, key('.'));
    assert_eq!(selected_node(&app), hits[1].node);
    answer::step(&mut app, key(','));
    answer::step(&mut app, key(','));
    assert_eq!(
        selected_node(&app),
        hits[hits.len() - 1].node,
        "wraps backwards"
    );
    // `q` and `n` keep their meaning once the bar is closed: n is still "next problem".
    answer::step(&mut app, code(KeyCode::Esc));
    assert!(app.view.as_ref().expect("open").find.is_none());
    assert_eq!(app.mode, Mode::Trace, "the first Esc only clears the find");
    answer::step(&mut app, code(KeyCode::Esc));
    assert_eq!(app.mode, Mode::List);
}

/// A match under a collapsed row is revealed: its ancestors expand and it is selected.
#[test]
fn find_expands_collapsed_rows_to_show_a_match() {
    let mut app = fault_trace_folded();
    answer::step(&mut app, key('/'));
    type_text(&mut app, "dynamodb");
    let v = app.view.as_ref().expect("open");
    let f = v.find.as_ref().expect("find");
    assert!(!f.hits.is_empty(), "the fault trace calls DynamoDB");
    assert!(v.rows.len() > 1, "expanded");
    assert!(f.is_match(v.rows[v.selected].node));
    // Typed text is text: q, n and j do not act while the bar takes the keys.
    type_text(&mut app, "qnj");
    assert_eq!(app.mode, Mode::Trace);
    assert_eq!(
        app.view
            .as_ref()
            .and_then(|v| v.find.as_ref())
            .map(|f| f.input.text()),
        Some("dynamodbqnj")
    );
}

/// Esc while typing cancels: the find is gone and the row selected before is selected again.
#[test]
fn find_cancel_returns_to_the_start_row() {
    let mut app = oldest_fault_trace();
    let start = selected_node(&app);
    answer::step(&mut app, key('/'));
    type_text(&mut app, "dynamodb");
    assert_ne!(selected_node(&app), start);
    answer::step(&mut app, code(KeyCode::Esc));
    assert!(app.view.as_ref().expect("open").find.is_none());
    assert_eq!(selected_node(&app), start);
    assert_eq!(app.mode, Mode::Trace);
}

/// Enter on a query without matches closes the bar and says so.
#[test]
fn find_without_matches_reports_it() {
    let mut app = loaded_app(120, 40);
    answer::step(&mut app, code(KeyCode::Enter));
    answer::step(&mut app, key('/'));
    type_text(&mut app, "no such text zzz");
    let f = app
        .view
        .as_ref()
        .and_then(|v| v.find.as_ref())
        .expect("find");
    assert!(f.hits.is_empty());
    answer::step(&mut app, code(KeyCode::Enter));
    assert!(app.view.as_ref().expect("open").find.is_none());
    assert!(
        app.message
            .as_deref()
            .is_some_and(|m| m.contains("no match")),
        "{:?}",
        app.message
    );
    // `.` without a find says how to start one.
    answer::step(&mut app, key('.'));
    assert!(
        app.message
            .as_deref()
            .is_some_and(|m| m.contains("press /"))
    );
}

/// Matching rows are drawn with the find colours; others are not.
#[test]
fn find_highlights_matching_rows() {
    use ratatui::style::Color;
    let mut app = oldest_fault_trace();
    answer::step(&mut app, key('/'));
    type_text(&mut app, "dynamodb");
    answer::step(&mut app, code(KeyCode::Enter));
    let terminal = drawn(&app, 120, 40);
    let buf = terminal.backend().buffer();
    let v = app.view.as_ref().expect("open");
    let f = v.find.as_ref().expect("find");
    let (wf, on_screen) = waterfall_on_screen(&app);
    let mut seen = (0, 0);
    for (i, y) in on_screen {
        let row = &v.rows[i];
        let x = wf.x + u16::try_from(2 * row.depth as usize + 2).expect("fits");
        let yellow = buf[(x, y)].bg == Color::Yellow;
        if f.is_match(row.node) {
            assert!(yellow, "row {i} matches but is not highlighted");
            seen.0 += 1;
        } else {
            assert!(!yellow, "row {i} does not match but is highlighted");
            seen.1 += 1;
        }
    }
    assert!(seen.0 > 0 && seen.1 > 0, "{seen:?}");
    // The bar replaces the status line with the count.
    let last: String = (0..120).map(|x| buf[(x, 39)].symbol().to_owned()).collect();
    assert!(
        last.contains(&format!("/{} matches", f.hits.len())),
        "{last}"
    );
}

/// A themed `fault` colour is drawn on the faulted rows of the waterfall and on no other row;
/// a themed `header` colours the column headers but not the bold name of a healthy segment,
/// which the old recolouring of the finished screen took for a heading. Services keep their
/// colours.
#[test]
fn a_themed_fault_colours_faulted_rows_only() {
    use ratatui::style::{Color, Modifier};
    use xray_tui::model::NodeKind;
    use xray_tui::ui::theme::Styles;
    let fault = Color::Rgb(0x10, 0x20, 0x30);
    let mut app = app_with_config("[theme]\nfault = \"#102030\"\nheader = \"white\"\n");
    for e in [key('f'), key('T'), code(KeyCode::Enter)] {
        answer::step(&mut app, e);
    }
    let terminal = drawn(&app, 120, 40);
    let buf = terminal.backend().buffer();
    let v = app.view.as_ref().expect("open");
    let (wf, on_screen) = waterfall_on_screen(&app);
    // The column headers are headings.
    assert_eq!(buf[(wf.x, wf.y)].symbol(), "N");
    assert_eq!(buf[(wf.x, wf.y)].fg, Color::White);
    let (mut faulted, mut healthy) = (0, 0);
    for (i, y) in on_screen {
        let row = &v.rows[i];
        let cells: Vec<_> = (wf.x..wf.right()).map(|x| &buf[(x, y)]).collect();
        let name_x = 2 * row.depth as usize + 2;
        let name = &cells[name_x..name_x + 3];
        let bar: Vec<_> = cells.iter().filter(|c| c.symbol() == "█").collect();
        assert!(!bar.is_empty(), "row {i} has a bar");
        if row.status == Status::Fault {
            assert!(name.iter().all(|c| c.fg == fault), "row {i}: {name:?}");
            assert!(bar.iter().all(|c| c.fg == fault), "row {i}");
            assert!(cells.iter().any(|c| c.symbol() == "F" && c.fg == fault));
            faulted += 1;
        } else {
            assert!(
                cells.iter().all(|c| c.fg != fault),
                "row {i} is not faulted"
            );
        }
        if row.status == Status::Ok
            && row.kind == NodeKind::Segment
            && row.skew.is_none()
            && i != v.selected
        {
            assert!(
                name.iter()
                    .all(|c| c.fg == Color::Reset && c.modifier.contains(Modifier::BOLD)),
                "row {i}: a healthy segment's name is not a heading: {name:?}"
            );
            let service = Styles::default().service(&row.service);
            assert!(bar.iter().all(|c| c.fg == service), "row {i}");
            healthy += 1;
        }
    }
    assert!(faulted > 0 && healthy > 0, "{faulted} {healthy}");
}

/// Ctrl-P, part of a trace ID, Enter: that trace is open.
#[test]
fn palette_opens_a_trace_by_id() {
    let mut app = loaded_app(120, 40);
    let data = app.data.clone().expect("data");
    let target = &data.rows[7].id;
    answer::step(&mut app, ctrl('p'));
    assert!(app.overlays.palette().is_some());
    let tail: String = target
        .chars()
        .rev()
        .take(12)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    type_text(&mut app, &tail);
    let p = app.overlays.palette().expect("open");
    assert_eq!(p.current().map(|e| e.text.as_str()), Some(&**target));
    answer::step(&mut app, code(KeyCode::Enter));
    assert!(app.overlays.palette().is_none());
    assert_eq!(app.mode, Mode::Trace);
    assert_eq!(*app.view.as_ref().expect("open").trace.id, **target);
}

/// A service chosen in the palette filters the list through the filter expression path.
#[test]
fn palette_applies_a_service_filter() {
    use xray_tui::app::palette::Kind;
    let mut app = loaded_app(120, 40);
    answer::step(&mut app, ctrl('k'));
    type_text(&mut app, "payments");
    let p = app.overlays.palette().expect("open");
    let e = p.current().expect("a result");
    assert_eq!((e.kind, e.text.as_str()), (Kind::Service, "payments"));
    let cmds = answer::step(&mut app, code(KeyCode::Enter));
    assert_eq!(
        app.list.expr_text().as_deref(),
        Some("service(\"payments\")")
    );
    assert!(matches!(cmds.as_slice(), [Cmd::SaveHistory(_)]));
    let data = app.data.clone().expect("data");
    assert!(!app.list.visible.is_empty() && app.list.visible.len() < data.rows.len());
}

/// Commands come from the keymap and run like their keys; list settings too. Esc closes, and
/// typed `q` is text.
#[test]
fn palette_runs_commands() {
    let mut app = loaded_app(120, 40);
    answer::step(&mut app, ctrl('p'));
    type_text(&mut app, "filter: faults");
    answer::step(&mut app, code(KeyCode::Enter));
    assert_eq!(app.list.filter, QuickFilter::Faults);
    answer::step(&mut app, ctrl('p'));
    type_text(&mut app, "service map of all");
    answer::step(&mut app, code(KeyCode::Enter));
    assert_eq!(app.mode, Mode::Map);
    answer::step(&mut app, ctrl('p'));
    type_text(&mut app, "q");
    assert!(!app.quit);
    answer::step(&mut app, code(KeyCode::Down));
    assert_eq!(app.overlays.palette().expect("open").selected, 1);
    answer::step(&mut app, code(KeyCode::Esc));
    assert!(app.overlays.palette().is_none());
    assert_eq!(app.mode, Mode::Map);
}

fn groups_config() -> xray_tui::config::Config {
    xray_tui::config::Config::parse(
        "[[groups]]\nname = \"payments-faults\"\nfilter = 'service(\"payments\") { fault }'\n\n\
         [[groups]]\nname = \"gold\"\nfilter = 'annotation.customer_tier = \"gold\"'\n",
        std::path::Path::new("test.toml"),
    )
    .expect("valid config")
}

/// Ctrl-G lists the groups; Enter applies `group.name = "..."`; the map opened afterwards is
/// drawn from the matching traces and says so.
#[test]
fn groups_apply_to_the_list_and_the_map() {
    let mut app = App::new("demo", Rect::new(0, 0, 120, 40)).with_config(groups_config());
    app.start_load();
    answer::step(
        &mut app,
        Event::Source(Update::Loaded(Loaded {
            generation: 1,
            result: Ok(demo()),
        })),
    );
    answer::step(&mut app, key('m'));
    let all_nodes = app.map.as_ref().expect("map").graph.services.len();
    assert!(app.map.as_ref().expect("map").filter.is_none());
    answer::step(&mut app, code(KeyCode::Esc));
    answer::step(&mut app, ctrl('g'));
    assert!(app.overlays.groups().is_some());
    // The config's two and the demo's own two.
    let names: Vec<String> = app.groups.iter().map(|g| g.group_name.clone()).collect();
    assert_eq!(names.len(), 4, "{names:?}");
    for n in ["checkout-failures", "gold-slow", "payments-faults"] {
        assert!(names.iter().any(|x| x == n), "{n} in {names:?}");
    }
    let at = names
        .iter()
        .position(|n| n == "payments-faults")
        .expect("listed");
    answer::step(&mut app, key('j'));
    for _ in 0..names.len() {
        answer::step(&mut app, key('k'));
    }
    for _ in 0..at {
        answer::step(&mut app, key('j'));
    }
    answer::step(&mut app, code(KeyCode::Enter));
    assert!(app.overlays.groups().is_none());
    assert_eq!(
        app.list.expr_text().as_deref(),
        Some("group.name = \"payments-faults\"")
    );
    let data = app.data.clone().expect("data");
    assert!(!app.list.visible.is_empty());
    for &i in &app.list.visible {
        assert!(data.rows[i].has_fault);
    }
    answer::step(&mut app, key('m'));
    let m = app.map.as_ref().expect("map");
    assert_eq!(
        m.filter.as_deref(),
        Some("group.name = \"payments-faults\"")
    );
    assert!(
        m.graph.services.len() < all_nodes,
        "fewer services than the whole map"
    );
}

/// With no groups, the list says how to add some, and Enter does nothing.
#[test]
fn groups_list_when_there_are_none() {
    // Segments captured from the Python SDK come with no groups (the demo has two).
    let source = SourceArgs {
        files: vec!["tests/fixtures/captured/python-sdk-aws.ndjson".into()],
        ..Default::default()
    };
    let data = Arc::new(xray_tui::cli::load(&source, &mut std::io::sink()).expect("loads"));
    let mut app = App::new("python", Rect::new(0, 0, 100, 30));
    app.start_load();
    answer::step(
        &mut app,
        Event::Source(Update::Loaded(Loaded {
            generation: 1,
            result: Ok(data),
        })),
    );
    answer::step(&mut app, ctrl('g'));
    assert!(answer::step(&mut app, code(KeyCode::Enter)).is_empty());
    assert!(app.overlays.groups().is_some());
    assert_eq!(app.list.expr, None);
    let terminal = drawn(&app, 100, 30);
    assert!(format!("{}", terminal.backend()).contains("no groups: add [[groups]] to the config"));
    answer::step(&mut app, key('q'));
    assert!(app.overlays.groups().is_none());
    assert!(!app.quit, "q closes the list, it does not quit");
}

/// A click selects the list row under it; a click on the selected row opens it; the wheel
/// scrolls the list and keeps the selection on screen.
#[test]
fn mouse_selects_opens_and_scrolls_the_list() {
    let mut app = loaded_app(80, 24);
    // Row 0 is the title, row 1 the column header: the third trace is on row 4.
    answer::step(&mut app, click(10, 4));
    assert_eq!(app.list.selected, 2);
    assert_eq!(app.mode, Mode::List);
    answer::step(&mut app, click(10, 4));
    assert_eq!(app.mode, Mode::Trace);
    answer::step(&mut app, code(KeyCode::Esc));
    answer::step(&mut app, key('g'));
    answer::step(&mut app, wheel(true, 10, 10));
    answer::step(&mut app, wheel(true, 10, 10));
    assert_eq!(app.list.offset, 6);
    assert_eq!(app.list.selected, 6, "dragged along with the window");
    answer::step(&mut app, wheel(false, 10, 10));
    assert_eq!(app.list.offset, 3);
    // Motion asks for nothing.
    app.take_dirty();
    let moved = Event::Mouse(crossterm::event::MouseEvent {
        kind: crossterm::event::MouseEventKind::Moved,
        column: 3,
        row: 3,
        modifiers: KeyModifiers::NONE,
    });
    answer::step(&mut app, moved);
    assert!(!app.take_dirty());
}

/// In a trace: a click selects a waterfall row, the wheel over the details scrolls them, and a
/// click on a tab's label in the details title shows that tab.
#[test]
fn mouse_in_the_trace_view() {
    use xray_tui::app::trace_view::DetailTab;
    let mut app = loaded_app(80, 24);
    answer::step(&mut app, code(KeyCode::Enter));
    // 80x24: the overview strip is on row 1, the waterfall's axis on row 2, its rows from row
    // 3; the details start at 12.
    answer::step(&mut app, click(5, 5));
    assert_eq!(app.view.as_ref().expect("open").selected, 2);
    answer::step(&mut app, wheel(true, 5, 15));
    assert_eq!(app.view.as_ref().expect("open").details_scroll, 3);
    // Title " 1 Info 2 HTTP ...": x 2..9 is Info, 9..16 HTTP.
    answer::step(&mut app, click(10, 12));
    let v = app.view.as_ref().expect("open");
    assert_eq!(v.tab, DetailTab::Http);
    assert_eq!(v.details_scroll, 0);
    answer::step(&mut app, click(24, 12));
    assert_eq!(app.view.as_ref().expect("open").tab, DetailTab::Annotations);
}

/// The wheel scrolls the help overlay.
#[test]
fn mouse_wheel_scrolls_the_help() {
    let mut app = loaded_app(80, 24);
    answer::step(&mut app, key('?'));
    answer::step(&mut app, wheel(true, 40, 12));
    assert_eq!(app.overlays.help(), Some(3));
    answer::step(&mut app, wheel(false, 40, 12));
    assert_eq!(app.overlays.help(), Some(0));
}

// --- Copy, console URL, export, toasts, rebound keys ---

use xray_tui::app::share::{ExportData, console_url};
use xray_tui::app::toast::{INFO_TICKS, Level};

fn toast_texts(app: &App) -> Vec<String> {
    app.toasts.items().iter().map(|t| t.label()).collect()
}

/// `y` copies the selected trace's ID in the list and the open trace's ID in the trace view.
#[test]
fn y_copies_the_trace_id() {
    let mut app = loaded_app(120, 40);
    answer::step(&mut app, key('j'));
    let id = app.selected_summary().expect("selection").id.to_string();
    assert_eq!(
        answer::step(&mut app, key('y')),
        vec![Cmd::Copy(id.clone())]
    );
    assert_eq!(toast_texts(&app), vec![format!("copied {id}")]);
    // Again: one toast, counted.
    answer::step(&mut app, key('y'));
    assert_eq!(toast_texts(&app), vec![format!("copied {id} ×2")]);
    answer::step(&mut app, code(KeyCode::Enter));
    assert_eq!(app.mode, Mode::Trace);
    let open = app.view.as_ref().expect("open").trace.id.clone();
    assert_eq!(answer::step(&mut app, key('y')), vec![Cmd::Copy(open)]);
}

/// A copy tmux did not take comes back as escapes for the terminal, and says nothing new.
#[test]
fn a_copy_tmux_refused_is_written_as_escapes() {
    let mut app = loaded_app(120, 40);
    let cmds = answer::step(&mut app, Event::CopyFallback("1-abc".into()));
    assert_eq!(cmds, vec![Cmd::CopyEscape("1-abc".into())]);
    assert!(toast_texts(&app).is_empty());
}

/// `o` copies the console URL; it is opened only where a browser can be, else shown.
#[test]
fn o_gives_the_console_url_in_the_known_region() {
    let mut app = loaded_app(120, 40).with_region(Some("eu-west-1".into()));
    let id = app.selected_summary().expect("selection").id.clone();
    let url = format!(
        "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#xray:traces/{id}"
    );
    assert_eq!(console_url("eu-west-1", &id), url);
    assert_eq!(
        answer::step(&mut app, key('o')),
        vec![Cmd::Copy(url.clone())]
    );
    assert_eq!(app.message.as_deref(), Some(url.as_str()), "shown to copy");
    let mut app = app.with_opener(true);
    assert_eq!(
        answer::step(&mut app, key('o')),
        vec![Cmd::Copy(url.clone()), Cmd::OpenUrl(url)]
    );
    // No region known: us-east-1, and the app says so.
    let mut app = loaded_app(120, 40);
    let cmds = answer::step(&mut app, key('o'));
    let Some(Cmd::Copy(u)) = cmds.first() else {
        panic!("{cmds:?}")
    };
    assert!(
        u.starts_with("https://us-east-1.console.aws.amazon.com/"),
        "{u}"
    );
    assert!(
        toast_texts(&app)
            .iter()
            .any(|t| t.contains("using us-east-1")),
        "{:?}",
        toast_texts(&app)
    );
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("xray-tui-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn read_back(path: &std::path::Path) -> Dataset {
    let source = SourceArgs {
        files: vec![path.display().to_string()],
        ..Default::default()
    };
    xray_tui::cli::load(&source, &mut std::io::sink()).expect("export reads back")
}

/// `x` in the list exports the listed summaries (filtered, in their order) as
/// get-trace-summaries JSON; the file source reads the same IDs back.
#[test]
fn x_exports_the_listed_summaries_and_they_read_back() {
    let mut app = loaded_app(120, 40);
    answer::step(&mut app, key('f'));
    let cmds = answer::step(&mut app, key('x'));
    let [Cmd::Export(export)] = &cmds[..] else {
        panic!("{cmds:?}")
    };
    let ExportData::Summaries { rows, .. } = &export.data else {
        panic!("summaries expected")
    };
    assert_eq!(rows, &app.list.visible);
    assert_eq!(export.file_name, format!("xray-traces-{}.json", rows.len()));
    let dir = temp_dir("export-list");
    let path = xray_tui::runtime::effects::write_export(export, &dir).expect("written");
    assert_eq!(path, dir.join(&export.file_name));
    // Exports hold request data: only their owner may read them.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path)
            .expect("export")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let data = app.data.clone().expect("data");
    let want: Vec<&str> = rows.iter().map(|&i| &*data.rows[i].id).collect();
    let back = read_back(&path);
    let got: Vec<&str> = back.rows.iter().map(|s| &*s.id).collect();
    let mut want_sorted = want.clone();
    let mut got_sorted = got.clone();
    want_sorted.sort_unstable();
    got_sorted.sort_unstable();
    assert_eq!(got_sorted, want_sorted);
    // A second export does not overwrite the first.
    let again = xray_tui::runtime::effects::write_export(export, &dir).expect("written");
    assert_ne!(again, path);
    // The runtime's answer becomes a toast.
    answer::step(&mut app, Event::Exported(Ok(path.clone())));
    assert!(
        toast_texts(&app)
            .iter()
            .any(|t| t == &format!("exported to {}", path.display()))
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `x` in the trace view exports the open trace as batch-get-traces JSON; reading it back
/// assembles the same trace.
#[test]
fn x_exports_the_open_trace_and_it_reads_back() {
    let mut app = loaded_app(120, 40);
    answer::step(&mut app, code(KeyCode::Enter));
    let trace = app.view.as_ref().expect("open").trace.clone();
    let cmds = answer::step(&mut app, key('x'));
    let [Cmd::Export(export)] = &cmds[..] else {
        panic!("{cmds:?}")
    };
    assert_eq!(export.file_name, format!("xray-trace-{}.json", trace.id));
    let dir = temp_dir("export-trace");
    let path = xray_tui::runtime::effects::write_export(export, &dir).expect("written");
    let back = read_back(&path);
    let ids: Vec<&str> = back.traces.ids().collect();
    assert_eq!(ids, vec![trace.id.as_str()]);
    assert_eq!(back.traces.get(0).unwrap().nodes.len(), trace.nodes.len());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Errors are toasts in red and stay on the status line; toasts expire by ticks.
#[test]
fn toasts_expire_by_ticks_and_errors_stay_on_the_status_line() {
    let mut app = loaded_app(80, 24);
    answer::step(&mut app, Event::Exported(Err("disk full".into())));
    answer::step(&mut app, key('y'));
    assert_eq!(app.toasts.items().len(), 2);
    assert_eq!(app.toasts.items()[0].level, Level::Error);
    assert_eq!(app.message.as_deref(), Some("export failed: disk full"));
    for _ in 0..INFO_TICKS {
        answer::step(&mut app, Event::Tick);
    }
    assert_eq!(app.toasts.items().len(), 1, "the info toast went first");
    for _ in 0..100 {
        answer::step(&mut app, Event::Tick);
    }
    assert!(app.toasts.is_empty());
    assert_eq!(app.message.as_deref(), Some("export failed: disk full"));
}

/// A key rebound in the config does the action, and the old key no longer does.
#[test]
fn a_rebound_key_works() {
    let mut app =
        app_with_config("[keys.list]\nopen = \"l\"\n[keys.global]\ndown = [\"j\", \"ctrl-n\"]\n");
    answer::step(&mut app, code(KeyCode::Enter));
    assert_eq!(app.mode, Mode::List, "Enter no longer opens");
    answer::step(
        &mut app,
        Event::Key(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::CONTROL)),
    );
    assert_eq!(app.list.selected, 1);
    answer::step(&mut app, key('l'));
    assert_eq!(app.mode, Mode::Trace);
}

/// Ctrl-C quits from every input through the keymap (each input's own `quit`), while a typed
/// `q` is text; rebinding an input's `quit` moves it.
#[test]
fn ctrl_c_quits_from_every_input_and_q_types() {
    type Open = fn(&mut App);
    let open_inputs: [(&str, Open); 5] = [
        ("prompt", |a| {
            a.update(key('/'));
        }),
        ("window", |a| {
            a.update(key('w'));
        }),
        ("palette", |a| {
            a.update(ctrl('p'));
        }),
        ("groups", |a| {
            a.update(ctrl('g'));
        }),
        ("find", |a| {
            a.update(code(KeyCode::Enter));
            a.update(key('/'));
        }),
    ];
    for (scope, open) in open_inputs {
        let mut app = loaded_app(120, 40);
        open(&mut app);
        assert_eq!(app.input_scope().map(|s| s.name()), Some(scope));
        if scope != "groups" {
            assert!(
                answer::step(&mut app, key('q')).is_empty(),
                "q types in {scope}"
            );
            assert!(!app.quit);
        }
        assert_eq!(
            answer::step(&mut app, ctrl('C')),
            vec![Cmd::Quit],
            "Ctrl-C in {scope}"
        );
        assert!(app.quit);

        let mut app = app_with_config(&format!("[keys.{scope}]\nquit = \"ctrl-q\"\n"));
        open(&mut app);
        assert!(
            answer::step(&mut app, ctrl('c')).is_empty(),
            "Ctrl-C rebound away in {scope}"
        );
        assert_eq!(
            app.input_scope().map(|s| s.name()),
            Some(scope),
            "still open"
        );
        assert_eq!(
            answer::step(&mut app, ctrl('q')),
            vec![Cmd::Quit],
            "Ctrl-Q in {scope}"
        );
    }
}

/// `[keys.palette]`, `[keys.find]`, `[keys.groups]` and `[keys.window]` overrides load and
/// take effect; the keys they replace no longer act.
#[test]
fn the_inputs_keys_can_be_rebound() {
    let mut app = app_with_config(
        "[[groups]]\nname = \"payments-faults\"\nfilter = 'service(\"payments\") { fault }'\n\n\
         [[groups]]\nname = \"gold\"\nfilter = 'annotation.customer_tier = \"gold\"'\n\n\
         [keys.palette]\ndown = \"tab\"\n\
         [keys.find]\nfind_next = \"ctrl-j\"\n\
         [keys.groups]\nopen = \"o\"\n\
         [keys.window]\nclear_input = \"ctrl-k\"\n",
    );

    // Palette: Tab moves down, Down no longer does.
    answer::step(&mut app, ctrl('p'));
    answer::step(&mut app, code(KeyCode::Down));
    assert_eq!(app.overlays.palette().expect("open").selected, 0);
    answer::step(&mut app, code(KeyCode::Tab));
    assert_eq!(app.overlays.palette().expect("open").selected, 1);
    answer::step(&mut app, code(KeyCode::Esc));
    assert!(app.overlays.palette().is_none());

    // Groups: o applies the group, Enter no longer does.
    answer::step(&mut app, ctrl('g'));
    answer::step(&mut app, code(KeyCode::Enter));
    assert!(
        app.overlays.groups().is_some(),
        "Enter is not bound in the groups list"
    );
    answer::step(&mut app, key('o'));
    assert!(app.overlays.groups().is_none());
    assert_eq!(
        app.list.expr_text().as_deref(),
        Some("group.name = \"payments-faults\"")
    );

    // Window editor: Ctrl-K clears, Ctrl-U no longer does.
    answer::step(&mut app, key('w'));
    type_text(&mut app, "15m");
    answer::step(&mut app, ctrl('u'));
    assert_eq!(app.overlays.window().map(|i| i.text()), Some("15m"));
    answer::step(&mut app, ctrl('k'));
    assert_eq!(app.overlays.window().map(|i| i.text()), Some(""));
    answer::step(&mut app, code(KeyCode::Esc));
    assert!(app.overlays.window().is_none());

    // Find: Ctrl-J steps to the next match, Down no longer does.
    answer::step(&mut app, code(KeyCode::Enter));
    assert_eq!(app.mode, Mode::Trace);
    let trace = app.view.as_ref().expect("open").trace.clone();
    let hits = xray_tui::engine::find::find(&trace, "payments");
    assert!(hits.len() >= 2, "{hits:?}");
    answer::step(&mut app, key('/'));
    type_text(&mut app, "payments");
    let first = selected_node(&app);
    answer::step(&mut app, code(KeyCode::Down));
    assert_eq!(
        selected_node(&app),
        first,
        "Down is not bound in the find bar"
    );
    answer::step(&mut app, ctrl('j'));
    assert_ne!(selected_node(&app), first, "Ctrl-J is the next match");
    assert!(hits.iter().any(|h| h.node == selected_node(&app)));
}

fn screen(app: &App) -> String {
    let size = app.size;
    let mut terminal =
        Terminal::new(TestBackend::new(size.width, size.height)).expect("test terminal");
    terminal.draw(|f| xray_tui::ui::draw(f, app)).expect("draw");
    format!("{}", terminal.backend())
}

/// The help's own scope: Ctrl-C quits through `[keys.help]`; the screen's keys scroll it and
/// `q`, `?` and Esc close it, as before there was a scope.
#[test]
fn help_keys_go_through_the_keymap() {
    let mut app = loaded_app(80, 24);
    for close in [key('q'), key('?'), code(KeyCode::Esc)] {
        answer::step(&mut app, key('?'));
        assert_eq!(app.input_scope().map(|s| s.name()), Some("help"));
        answer::step(&mut app, key('j'));
        answer::step(&mut app, code(KeyCode::PageDown));
        assert_eq!(app.overlays.help(), Some(11));
        answer::step(&mut app, key('g'));
        assert_eq!(app.overlays.help(), Some(0));
        assert!(answer::step(&mut app, close).is_empty());
        assert!(app.overlays.help().is_none());
        assert!(!app.quit);
    }
    // In a trace, `q` is `back` and J/K scroll the details: both work on the help too.
    answer::step(&mut app, code(KeyCode::Enter));
    assert_eq!(app.mode, Mode::Trace);
    answer::step(&mut app, key('?'));
    answer::step(
        &mut app,
        Event::Key(KeyEvent::new(KeyCode::Char('J'), KeyModifiers::SHIFT)),
    );
    assert_eq!(app.overlays.help(), Some(1));
    answer::step(&mut app, key('q'));
    assert!(app.overlays.help().is_none());
    assert_eq!(app.mode, Mode::Trace, "q closed the help only");
    answer::step(&mut app, key('?'));
    assert_eq!(answer::step(&mut app, ctrl('c')), vec![Cmd::Quit]);
    assert!(app.quit);

    // Rebound: Ctrl-Q quits from the help; Ctrl-C is then the screen's `quit`, which closes it.
    let mut app = app_with_config("[keys.help]\nquit = \"ctrl-q\"\n");
    answer::step(&mut app, key('?'));
    assert!(answer::step(&mut app, ctrl('c')).is_empty());
    assert!(app.overlays.help().is_none());
    assert!(!app.quit);
    answer::step(&mut app, key('?'));
    assert_eq!(answer::step(&mut app, ctrl('q')), vec![Cmd::Quit]);
}

/// The diagnostics pane is not modal: the list keeps its keys under it, an input or the help
/// opens over it (and is drawn over it, as it takes the keys), and closing them goes back to it.
#[test]
fn overlays_open_over_the_diagnostics_pane_and_close_back_to_it() {
    let mut app = loaded_app(120, 40);
    answer::step(&mut app, key('D'));
    assert!(app.overlays.diagnostics());
    assert_eq!(app.input_scope(), None, "the pane takes no keys");
    answer::step(&mut app, key('j'));
    assert_eq!(app.list.selected, 1, "the list still moves");

    answer::step(&mut app, key('/'));
    type_text(&mut app, "fault");
    assert_eq!(app.input_scope().map(|s| s.name()), Some("prompt"));
    let text = screen(&app);
    assert!(
        text.contains("/ fault"),
        "the prompt is drawn on top:\n{text}"
    );
    // The first Esc closes the completion popup, the second the prompt.
    answer::step(&mut app, code(KeyCode::Esc));
    assert!(app.overlays.prompt().is_some_and(|p| p.shown().is_none()));
    answer::step(&mut app, code(KeyCode::Esc));
    assert!(app.overlays.prompt().is_none());
    assert!(app.overlays.diagnostics(), "Esc closed the prompt only");

    answer::step(&mut app, key('w'));
    assert_eq!(app.input_scope().map(|s| s.name()), Some("window"));
    answer::step(&mut app, code(KeyCode::Esc));
    assert!(app.overlays.diagnostics());

    answer::step(&mut app, key('?'));
    assert!(app.overlays.help().is_some());
    answer::step(&mut app, code(KeyCode::Esc));
    assert!(app.overlays.help().is_none());
    assert!(app.overlays.diagnostics());

    answer::step(&mut app, ctrl('p'));
    type_text(&mut app, "counters, rejected datagrams");
    let run = app
        .overlays
        .palette()
        .and_then(|p| p.current())
        .map(|e| e.run.clone());
    assert_eq!(
        run,
        Some(xray_tui::app::palette::Run::Action(
            xray_tui::keys::Action::Diagnostics
        ))
    );
    answer::step(&mut app, code(KeyCode::Enter));
    assert!(
        app.overlays.is_empty(),
        "the palette's command hid the pane"
    );
    answer::step(&mut app, key('D'));
    answer::step(&mut app, code(KeyCode::Esc));
    assert!(app.overlays.is_empty());
}

/// The inputs edit through the keymap's editing actions, multi-byte text included.
#[test]
fn inputs_edit_multibyte_text() {
    let mut app = loaded_app(120, 40);
    answer::step(&mut app, key('/'));
    type_text(&mut app, "user = \"zoë日本\"");
    answer::step(&mut app, code(KeyCode::Left));
    answer::step(&mut app, code(KeyCode::Backspace));
    answer::step(&mut app, code(KeyCode::Left));
    answer::step(&mut app, code(KeyCode::Delete));
    answer::step(&mut app, code(KeyCode::Backspace));
    let p = app.overlays.prompt().expect("open");
    assert_eq!(p.input, "user = \"zo\"");
    assert_eq!(p.input.after_cursor(), "\"");
    answer::step(&mut app, ctrl('u'));
    assert_eq!(app.overlays.prompt().expect("open").input, "");
    answer::step(&mut app, code(KeyCode::Esc));

    answer::step(&mut app, ctrl('p'));
    type_text(&mut app, "日本 zoë");
    answer::step(&mut app, ctrl('w'));
    assert_eq!(app.overlays.palette().expect("open").input, "日本 ");
    answer::step(&mut app, code(KeyCode::Backspace));
    answer::step(&mut app, code(KeyCode::Backspace));
    assert_eq!(app.overlays.palette().expect("open").input, "日");
}

/// A long file load shows how far it is, in the list and the status line; a report from an
/// older load, or after the data arrived, changes nothing.
#[test]
fn a_long_load_shows_its_progress() {
    use xray_tui::source::{LoadPhase, LoadProgress};
    let mut app = App::new("big.ndjson", Rect::new(0, 0, 100, 24));
    let generation = app.start_load().len() as u64;
    let reading = LoadProgress {
        generation,
        phase: LoadPhase::Reading,
        bytes: 1_100_000_000,
        total_bytes: Some(2_750_000_000),
        elapsed: 3.0,
        ..LoadProgress::default()
    };
    answer::step(
        &mut app,
        Event::Source(Update::Progress(LoadProgress {
            generation: generation + 7,
            ..reading
        })),
    );
    assert_eq!(app.progress, None, "another load's report");
    answer::step(&mut app, Event::Source(Update::Progress(reading)));
    let text = screen(&app);
    assert!(text.contains("reading 1.1 GB of 2.8 GB"), "{text}");
    assert!(text.contains("  8%"), "{text}");
    assert!(text.contains("s left"), "{text}");
    let assembling = LoadProgress {
        phase: LoadPhase::Assembling,
        traces: 500_000,
        total_traces: 1_000_000,
        elapsed: 9.0,
        ..reading
    };
    answer::step(&mut app, Event::Source(Update::Progress(assembling)));
    let text = screen(&app);
    assert!(
        text.contains("assembling 500,000 of 1,000,000 traces"),
        "{text}"
    );
    assert!(text.contains(" 70%"), "{text}");
    answer::step(
        &mut app,
        Event::Source(Update::Progress(LoadProgress {
            rate: Some(95_000.0),
            ..assembling
        })),
    );
    assert!(screen(&app).contains("· 95,000/s ·"), "{}", screen(&app));
    answer::step(
        &mut app,
        Event::Source(Update::Loaded(Loaded {
            generation,
            result: Ok(Arc::new(Dataset::default())),
        })),
    );
    answer::step(&mut app, Event::Source(Update::Progress(assembling)));
    assert!(!screen(&app).contains("assembling"));
}

/// A large file's first traces show at once (a preview) and more stream in while the load goes
/// on with its progress; the full data then replaces them in place: the selected trace still
/// selected, the open map still open, and no "reloaded" toast (it is the first load).
#[test]
fn a_preview_grows_while_the_load_goes_on() {
    let full = demo();
    let text = xray_tui::source::load::DEMO_NDJSON;
    let mut c = xray_tui::engine::dataset::Collector::new();
    xray_tui::source::file::load_owned("demo", text.as_bytes().to_vec(), &mut |e| c.push(e));
    // What the load found first, then what it found next, as the preview adds them.
    let found = c.trace_count();
    let mut preview = c.early(0..found / 3).run(true).shown.unwrap();
    let first = preview.rows.len();
    assert!(first > 10 && first < full.rows.len());
    let mut app = App::new("demo", Rect::new(0, 0, 100, 30));
    let generation = app.start_load().len() as u64;
    let snapshot = |data: &xray_tui::engine::dataset::Dataset| {
        Event::Source(Update::Snapshot(xray_tui::source::Snapshot {
            generation,
            data: Arc::new(data.clone()),
        }))
    };
    answer::step(&mut app, snapshot(&preview));
    assert_eq!(app.load, LoadState::Loading, "the load goes on");
    assert_eq!(app.list.visible.len(), first);
    answer::step(&mut app, key('j'));
    answer::step(&mut app, key('j'));
    let chosen = app.selected_summary().expect("a row").id.to_string();
    preview.append(c.early(found / 3..found).run(true).shown.unwrap());
    assert_eq!(preview.rows.len(), full.rows.len(), "every trace once");
    answer::step(&mut app, snapshot(&preview));
    assert_eq!(
        app.list.visible.len(),
        full.rows.len(),
        "more rows streamed in"
    );
    assert_eq!(
        app.selected_summary().expect("a row").id.to_string(),
        chosen,
        "rows arrive around the selection"
    );
    answer::step(
        &mut app,
        Event::Source(Update::Progress(xray_tui::source::LoadProgress {
            generation,
            phase: xray_tui::source::LoadPhase::Assembling,
            traces: 10,
            total_traces: 20,
            elapsed: 1.0,
            ..Default::default()
        })),
    );
    let text = screen(&app);
    assert!(text.contains("assembling 10 of 20 traces"), "{text}");
    assert!(
        text.contains("███████░░░  70%"),
        "the bar stays in the status line while rows stream in: {text}"
    );
    answer::step(&mut app, key('m'));
    assert_eq!(app.mode, Mode::Map);
    answer::step(
        &mut app,
        Event::Source(Update::Loaded(Loaded {
            generation,
            result: Ok(full.clone()),
        })),
    );
    assert_eq!(app.load, LoadState::Loaded);
    assert_eq!(app.mode, Mode::Map, "the map stays open");
    assert!(toast_texts(&app).is_empty(), "{:?}", toast_texts(&app));
    answer::step(&mut app, key('q'));
    assert_eq!(app.list.visible.len(), full.rows.len());
    assert_eq!(
        app.selected_summary().expect("a row").id.to_string(),
        chosen
    );
    // A reload (`r`) with a preview still says what it found, against what was shown before.
    assert_eq!(app.start_load().len(), 1);
    let generation = app.generation;
    answer::step(
        &mut app,
        Event::Source(Update::Snapshot(xray_tui::source::Snapshot {
            generation,
            data: Arc::new(c.early(0..3).run(true).shown.unwrap()),
        })),
    );
    answer::step(
        &mut app,
        Event::Source(Update::Loaded(Loaded {
            generation,
            result: Ok(full.clone()),
        })),
    );
    let toasts = toast_texts(&app);
    assert!(
        toasts.iter().any(|t| t.contains("(no change)")),
        "{toasts:?}"
    );
}

/// A filter the index cannot decide (an annotation) is not worked out on the UI thread: the
/// app asks the source for the rows whose traces must be parsed again, shows what it has
/// decided meanwhile ("checking…"), drops a stale answer, and shows the source's verdicts.
#[test]
fn filters_that_need_the_traces_are_worked_out_by_the_source() {
    let mut app = loaded_app(120, 30);
    let data = app.data.clone().expect("data");
    answer::step(&mut app, key('/'));
    type_text(
        &mut app,
        "annotation.customer_tier = \"gold\" OR service(\"nope\")",
    );
    let cmds = app.update(code(KeyCode::Enter));
    let ask = cmds
        .iter()
        .find_map(|c| match c {
            Cmd::Source(Request::Evaluate(e)) => Some(e.clone()),
            _ => None,
        })
        .expect("the source is asked");
    assert!(Arc::ptr_eq(&ask.data, &data));
    assert_eq!(
        ask.rows.len(),
        data.rows.len(),
        "no row is decided by the index"
    );
    assert!(app.list.visible.is_empty(), "nothing shown as matching yet");
    assert!(screen(&app).contains("checking…"));
    // A stale answer changes nothing.
    let mut old = xray_tui::source::load::verdicts(&ask);
    old.id = ask.id + 100;
    app.update(Event::Source(Update::Verdicts(old)));
    assert!(app.list.visible.is_empty());
    let v = xray_tui::source::load::verdicts(&ask);
    let want = v.matches.iter().filter(|(_, m)| *m).count();
    assert!(want > 0 && want < data.rows.len());
    app.update(Event::Source(Update::Verdicts(v)));
    assert_eq!(app.list.visible.len(), want);
    assert!(!screen(&app).contains("checking…"));
    // The same verdicts as evaluating every row at once.
    let f = xray_tui::filter::parse("annotation.customer_tier = \"gold\"").expect("parses");
    let ctx = xray_tui::filter::EvalContext::default();
    let all = f
        .verdicts(&data, &ctx)
        .into_iter()
        .filter(|v| *v == xray_tui::filter::Verdict::Match)
        .count();
    assert_eq!(all, want);
    // What the index decides needs no source.
    answer::step(&mut app, key('/'));
    for _ in 0..80 {
        answer::step(&mut app, code(KeyCode::Backspace));
    }
    type_text(&mut app, "service(\"payments\") AND fault");
    let cmds = app.update(code(KeyCode::Enter));
    assert!(
        !cmds
            .iter()
            .any(|c| matches!(c, Cmd::Source(Request::Evaluate(_)))),
        "{cmds:?}"
    );
    assert!(!app.list.visible.is_empty());
}

/// Issue 15, item 2: a request of 287 µs reads `287µs` (not `0µs`), and a trace whose entry
/// segment has no end yet says so in the list (`…` after the duration so far) and in the
/// trace's header.
#[test]
fn durations_keep_their_microseconds_and_in_progress_says_so() {
    let dir = temp_dir("durations");
    let file = dir.join("two.ndjson");
    std::fs::write(
        &file,
        concat!(
            r#"{"trace_id":"1-5f84c7a1-000000000000000000000001","id":"a000000000000001","name":"fast","start_time":1700000000.0,"end_time":1700000000.000287,"http":{"request":{"method":"GET","url":"http://x/fast"},"response":{"status":200}}}"#,
            "\n",
            r#"{"trace_id":"1-5f84c7a1-000000000000000000000002","id":"a000000000000002","name":"slow","start_time":1700000001.0,"in_progress":true,"http":{"request":{"method":"GET","url":"http://x/slow"}}}"#,
            "\n",
            r#"{"trace_id":"1-5f84c7a1-000000000000000000000002","id":"b000000000000002","name":"db","type":"subsegment","parent_id":"a000000000000002","start_time":1700000001.001,"end_time":1700000001.0066}"#,
            "\n",
        ),
    )
    .expect("written");
    let mut app = App::new("two", Rect::new(0, 0, 120, 20));
    load_file(&mut app, &file);
    let screen = format!("{:?}", drawn(&app, 120, 20).backend());
    let fast = screen
        .lines()
        .find(|l| l.contains("/fast"))
        .expect("fast row");
    assert!(fast.contains("287µs"), "{fast}");
    let slow = screen
        .lines()
        .find(|l| l.contains("/slow"))
        .expect("slow row");
    assert!(
        slow.contains("6.6ms…"),
        "the duration so far, marked: {slow}"
    );
    // Open the in-progress trace: its header says so.
    for _ in 0..2 {
        let row = app.list.visible.get(app.list.selected).copied();
        if row.is_some_and(|i| screen_row_is(&app, i, "slow")) {
            break;
        }
        answer::step(&mut app, key('j'));
    }
    answer::step(&mut app, code(KeyCode::Enter));
    let screen = format!("{:?}", drawn(&app, 120, 20).backend());
    assert!(screen.contains("6.6ms… in progress"), "{screen}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `app` loads `file` as the app does (its first load).
fn load_file(app: &mut App, file: &std::path::Path) {
    let _ = app.start_load();
    answer::step(
        app,
        Event::Source(Update::Loaded(Loaded {
            generation: 1,
            result: Ok(Arc::new(read_back(file))),
        })),
    );
}

/// Issue 15, item 2: the list row and the trace's header give one duration for one trace: a
/// 5.6 ms trace reads `5.6ms` in both (the list said `6.0ms`), and so does every demo trace,
/// including those whose timeline was corrected for clock skew (`317ms (232ms
/// skew-corrected)`; the header gave only the corrected 232ms).
#[test]
fn the_list_and_the_trace_header_give_one_duration() {
    let dir = temp_dir("one-duration");
    let file = dir.join("one.ndjson");
    std::fs::write(
        &file,
        concat!(
            r#"{"trace_id":"1-5f84c7a1-000000000000000000000003","id":"c000000000000001","name":"api","start_time":1700000000.0,"end_time":1700000000.0056,"http":{"request":{"method":"GET","url":"http://x/five"},"response":{"status":200}},"subsegments":[{"id":"c000000000000002","name":"db","start_time":1700000000.0011,"end_time":1700000000.0049}]}"#,
            "\n",
        ),
    )
    .expect("written");
    let mut app = App::new("one", Rect::new(0, 0, 120, 20));
    load_file(&mut app, &file);
    let screen = format!("{:?}", drawn(&app, 120, 20).backend());
    let row = screen
        .lines()
        .find(|l| l.contains("/five"))
        .expect("the row");
    assert!(row.contains(" 5.6ms "), "{row}");
    answer::step(&mut app, code(KeyCode::Enter));
    assert_eq!(app.mode, Mode::Trace);
    let screen = format!("{}", drawn(&app, 120, 20).backend());
    let header = screen.lines().next().expect("the header");
    assert!(header.contains("│ 5.6ms │"), "{header}");
    assert!(header.contains("1 segment, 2 entities"), "{header}");
    let _ = std::fs::remove_dir_all(&dir);
    // Every demo trace: the list's figure is the header's.
    let data = demo();
    let mut compared = 0;
    for row in data.rows.iter().filter(|r| !r.summary_only) {
        let trace = data.traces.by_id(&row.id).expect("loaded");
        let window = xray_tui::engine::waterfall::window(&trace).1;
        let header = xray_tui::engine::waterfall::duration_label(&trace, window);
        let listed = xray_tui::model::time::format_duration(row.duration.expect("ended"));
        // The header leads with the list's figure; a skew-corrected timeline follows it.
        assert!(
            header == listed || header.starts_with(&format!("{listed} (")),
            "{}: list {listed}, header {header}",
            row.id
        );
        compared += 1;
    }
    assert!(compared > 100, "{compared}");
    // On screen, for a trace whose SQS consumer's clock was 85 ms off.
    let mut app = loaded_app(160, 40);
    let skewed = "1-6b055244-0d1a56a0ae3239581caccf02";
    let data = app.data.clone().expect("data");
    app.list.selected = app
        .list
        .visible
        .iter()
        .position(|&i| &*data.rows[i].id == skewed)
        .expect("listed");
    app.list.offset = app.list.selected;
    let screen = format!("{}", drawn(&app, 160, 40).backend());
    let row = screen
        .lines()
        .find(|l| l.contains("caccf02"))
        .unwrap_or_default();
    assert!(row.contains(" 317ms "), "{row}");
    answer::step(&mut app, code(KeyCode::Enter));
    let screen = format!("{}", drawn(&app, 160, 40).backend());
    let header = screen.lines().next().expect("the header");
    assert!(
        header.contains("│ 317ms (232ms skew-corrected) │"),
        "{header}"
    );
}

/// Whether the list row at `i` is the trace whose entry segment is named `name`.
fn screen_row_is(app: &App, i: usize, name: &str) -> bool {
    app.data
        .as_ref()
        .and_then(|d| d.summary(i))
        .and_then(|s| s.entry_point.as_ref().and_then(|e| e.name.clone()))
        .is_some_and(|n| n == name)
}

/// Issue 15, item 12: a tracing header pasted into the palette (`X-Amzn-Trace-Id` or a W3C
/// `traceparent`) opens its trace with the calling entity (`Parent=`) selected.
#[test]
fn palette_opens_a_tracing_header_at_its_parent() {
    for form in ["amzn", "w3c"] {
        let mut app = loaded_app(120, 40);
        let data = app.data.clone().expect("data");
        // A subsegment deep in some trace: its ID is what a downstream service's header names.
        let trace = data.traces.get(3).expect("a trace");
        let node = trace.nodes.len() - 1;
        let parent = trace.nodes[node].doc.id.clone();
        let id = trace.id.clone();
        let header = match form {
            "amzn" => format!("X-Amzn-Trace-Id: Root={id};Parent={parent};Sampled=1"),
            _ => format!(
                "00-{}-{parent}-01",
                id.get(2..).expect("id").replace('-', "")
            ),
        };
        answer::step(&mut app, ctrl('p'));
        type_text(&mut app, &header);
        let p = app.overlays.palette().expect("open");
        assert_eq!(p.results.len(), 1, "the header alone");
        assert!(
            p.current().is_some_and(|e| e.detail.contains(&id)),
            "{:?}",
            p.current()
        );
        answer::step(&mut app, code(KeyCode::Enter));
        assert_eq!(app.mode, Mode::Trace, "{form}");
        let v = app.view.as_ref().expect("open");
        assert_eq!(v.trace.id, id);
        assert_eq!(
            v.selected_row()
                .map(|r| v.trace.nodes[r.node].doc.id.clone()),
            Some(parent),
            "{form}: the calling entity is selected"
        );
    }
}

/// `r` on files says what the reload found (issue 15, "r on files gives no feedback").
#[test]
fn a_reload_says_what_it_found() {
    let mut app = loaded_app(120, 40);
    assert!(toast_texts(&app).is_empty(), "the first load is no reload");
    let cmds = answer::step(&mut app, key('r'));
    assert_eq!(cmds, vec![Cmd::Source(Request::Load { generation: 2 })]);
    answer::step(
        &mut app,
        Event::Source(Update::Loaded(Loaded {
            generation: 2,
            result: Ok(demo()),
        })),
    );
    let n = app.data.as_ref().expect("data").rows.len();
    assert_eq!(
        toast_texts(&app),
        vec![format!("reloaded: {n} traces (no change)")]
    );
}

/// Issue 15, item 9: in the list, `Esc` clears the filter expression however it was applied
/// (the prompt here; the palette goes through the same path), then the quick filter, and says
/// so in a toast.
#[test]
fn esc_in_the_list_clears_whatever_filters_it() {
    let mut app = loaded_app(120, 40);
    let all = app.list.visible.len();
    answer::step(&mut app, key('/'));
    type_text(&mut app, "fault");
    answer::step(&mut app, code(KeyCode::Enter));
    assert!(app.list.expr.is_some());
    assert!(app.list.visible.len() < all);
    answer::step(&mut app, code(KeyCode::Esc));
    assert!(app.list.expr.is_none());
    assert_eq!(app.list.visible.len(), all);
    assert!(
        toast_texts(&app)
            .iter()
            .any(|t| t.contains("filter cleared: fault")),
        "{:?}",
        toast_texts(&app)
    );
    // The quick filter (`f`) too.
    answer::step(&mut app, key('f'));
    assert!(app.list.visible.len() < all);
    answer::step(&mut app, code(KeyCode::Esc));
    assert_eq!(app.list.visible.len(), all);
    assert!(
        toast_texts(&app)
            .iter()
            .any(|t| t == "filter cleared: faults only"),
        "{:?}",
        toast_texts(&app)
    );
    // Nothing left to clear: Esc does nothing more.
    answer::step(&mut app, code(KeyCode::Esc));
    assert_eq!(app.mode, Mode::List);
}

/// Issue 15, item 9: a filter applied from the palette (a service chosen there) is cleared by
/// `Esc`, which says what it cleared.
#[test]
fn esc_clears_a_filter_from_the_palette_and_says_what_it_cleared() {
    let mut app = loaded_app(120, 40);
    let all = app.list.visible.len();
    answer::step(&mut app, ctrl('k'));
    type_text(&mut app, "payments");
    answer::step(&mut app, code(KeyCode::Enter));
    assert_eq!(
        app.list.expr_text().as_deref(),
        Some("service(\"payments\")")
    );
    assert!(app.list.visible.len() < all);
    answer::step(&mut app, code(KeyCode::Esc));
    assert!(app.list.expr.is_none());
    assert_eq!(app.list.visible.len(), all);
    assert_eq!(app.mode, Mode::List);
    assert!(
        toast_texts(&app)
            .iter()
            .any(|t| t == "filter cleared: service(\"payments\")"),
        "{:?}",
        toast_texts(&app)
    );
}

/// The list header's first line, as drawn at `app.size`.
fn header_line(app: &App) -> String {
    let t = drawn(app, app.size.width, app.size.height);
    let buf = t.backend().buffer();
    (0..buf.area.width)
        .map(|x| buf[(x, 0)].symbol().to_owned())
        .collect()
}

/// `shown/total nF nE nT` of the listed traces, counted here from the rows.
fn counts_of_listed(app: &App) -> String {
    let data = app.data.as_ref().expect("data");
    let rows: Vec<_> = app.list.visible.iter().map(|&i| &data.rows[i]).collect();
    format!(
        "{}/{} {}F {}E {}T",
        rows.len(),
        data.rows.len(),
        rows.iter().filter(|r| r.has_fault).count(),
        rows.iter().filter(|r| r.has_error).count(),
        rows.iter().filter(|r| r.has_throttle).count()
    )
}

/// Issue 15, item 9: the header's counts (`14F 45E 29T`) are those of the traces listed: they
/// follow a filter expression, the quick filter and the time window, and come back when each
/// is cleared.
#[test]
fn the_header_counts_follow_the_filter_and_the_time_window() {
    let mut app = loaded_app(160, 40);
    let everything = counts_of_listed(&app);
    assert!(
        header_line(&app).contains(&everything),
        "{}",
        header_line(&app)
    );
    // A filter expression.
    answer::step(&mut app, key('/'));
    type_text(&mut app, "service(\"payments\")");
    answer::step(&mut app, code(KeyCode::Enter));
    let filtered = counts_of_listed(&app);
    assert_ne!(filtered, everything);
    assert!(
        header_line(&app).contains(&filtered),
        "{}",
        header_line(&app)
    );
    answer::step(&mut app, code(KeyCode::Esc));
    assert!(
        header_line(&app).contains(&everything),
        "{}",
        header_line(&app)
    );
    // The quick filter: only faults, so no trace without one is counted.
    answer::step(&mut app, key('f'));
    let faults = counts_of_listed(&app);
    assert_ne!(faults, everything);
    assert!(header_line(&app).contains(&faults), "{}", header_line(&app));
    answer::step(&mut app, code(KeyCode::Esc));
    // The time window: the last 5 minutes of the data.
    answer::step(&mut app, key('w'));
    answer::step(&mut app, ctrl('u'));
    type_text(&mut app, "5m");
    answer::step(&mut app, code(KeyCode::Enter));
    let windowed = counts_of_listed(&app);
    assert_ne!(windowed, everything);
    assert!(
        header_line(&app).contains(&windowed),
        "{}",
        header_line(&app)
    );
}

/// A filter that lists one trace says so in the singular: `1 trace matches …`.
#[test]
fn a_filter_matching_one_trace_says_so_in_the_singular() {
    let mut app = loaded_app(120, 40);
    let data = app.data.clone().expect("data");
    let mut seen: std::collections::HashMap<&str, usize> = Default::default();
    for r in data.rows.iter() {
        if let Some(u) = r.http_url.as_deref() {
            *seen.entry(u).or_default() += 1;
        }
    }
    let (url, _) = seen
        .iter()
        .filter(|(u, n)| **n == 1 && !u.contains('"'))
        .min()
        .expect("a URL of one trace");
    answer::step(&mut app, key('/'));
    type_text(&mut app, &format!("http.url = \"{url}\""));
    answer::step(&mut app, code(KeyCode::Enter));
    assert_eq!(app.list.visible.len(), 1);
    let said = app.message.clone().unwrap_or_default();
    assert!(said.starts_with("1 trace matches http.url"), "{said}");
}

/// Issue 15, item 10: `n` (and `N`) in a trace with no fault, error or throttle says so and
/// stays where it is.
#[test]
fn n_on_a_trace_without_problems_says_so() {
    let mut app = loaded_app(120, 40);
    let data = app.data.clone().expect("data");
    let clean = (0..app.list.visible.len()).find(|&pos| {
        let row = &data.rows[app.list.visible[pos]];
        !row.summary_only && !row.has_fault && !row.has_error && !row.has_throttle
    });
    app.list.selected = clean.expect("a demo trace without problems");
    answer::step(&mut app, code(KeyCode::Enter));
    assert_eq!(app.mode, Mode::Trace);
    let v = app.view.as_ref().expect("open");
    assert!(
        v.rows.iter().all(|r| r.status == Status::Ok),
        "no problem rows"
    );
    let before = v.selected;
    for k in ['n', 'N'] {
        answer::step(&mut app, key(k));
        assert_eq!(app.view.as_ref().expect("open").selected, before);
    }
    assert_eq!(
        toast_texts(&app),
        vec!["no fault, error or throttle in this trace ×2".to_owned()]
    );
}

/// Issue 15, item 10: `n` past the last problem goes round to the first and says so; `N`
/// before the first goes round to the last.
#[test]
fn n_says_when_it_wraps_round() {
    let mut app = loaded_app(120, 40);
    answer::step(&mut app, key('f'));
    answer::step(&mut app, code(KeyCode::Enter));
    let wraps = |app: &App| {
        toast_texts(app)
            .iter()
            .filter(|t| t.starts_with("past the last problem"))
            .count()
    };
    let mut presses = 0;
    while wraps(&app) == 0 {
        answer::step(&mut app, key('n'));
        presses += 1;
        assert!(presses < 500, "never wrapped: {:?}", toast_texts(&app));
    }
    // Wrapped: on the first problem row, in tree order.
    let v = app.view.as_ref().expect("open");
    let first = v
        .rows
        .iter()
        .position(|r| r.status != Status::Ok)
        .expect("a problem");
    assert_eq!(v.selected, first, "back to the first problem");
    // One more round takes as many presses and wraps once more.
    for _ in 0..presses {
        answer::step(&mut app, key('n'));
    }
    // The same toast, counted (toasts that repeat are folded).
    assert!(
        toast_texts(&app)
            .iter()
            .any(|t| t == "past the last problem: back to the first ×2"),
        "{:?}",
        toast_texts(&app)
    );
    // `N` from the first problem goes round to the last.
    let v = app.view.as_ref().expect("open");
    assert_eq!(v.selected, first);
    answer::step(&mut app, key('N'));
    assert!(
        toast_texts(&app)
            .iter()
            .any(|t| t.starts_with("before the first problem")),
        "{:?}",
        toast_texts(&app)
    );
}

/// Mixed input (a file of summaries and a file of documents): the rows that have only a
/// summary are dimmed and counted in the header, and Enter on one says why it cannot open.
#[test]
fn summary_only_rows_are_marked_and_say_why_they_do_not_open() {
    use ratatui::style::Color;
    let source = SourceArgs {
        files: vec![
            "tests/fixtures/derived/summaries-cli-v2-iso.json".into(),
            "tests/fixtures/captured/python-sdk-aws.ndjson".into(),
        ],
        ..Default::default()
    };
    let data = Arc::new(xray_tui::cli::load(&source, &mut std::io::sink()).expect("loads"));
    let only = data.rows.iter().filter(|r| r.summary_only).count();
    assert!(
        only > 0 && only < data.rows.len(),
        "{only} of {}",
        data.rows.len()
    );
    assert_eq!(data.summary_only_count(), only);
    let mut app = App::new("mixed", Rect::new(0, 0, 160, 40));
    app.start_load();
    answer::step(
        &mut app,
        Event::Source(Update::Loaded(Loaded {
            generation: 1,
            result: Ok(data.clone()),
        })),
    );
    assert_eq!(app.list.stats.summary_only, only);
    let terminal = drawn(&app, 160, 40);
    let buf = terminal.backend().buffer();
    let header: String = (0..160).map(|x| buf[(x, 0)].symbol().to_owned()).collect();
    assert!(
        header.contains(&format!("{only} summary only (dim)")),
        "{header}"
    );
    // Each drawn row is dim exactly when it has only a summary (the selected row aside).
    let dim = xray_tui::ui::theme::Styles::default().dim().fg;
    for (n, &i) in app.list.visible.iter().enumerate().skip(1).take(30) {
        let y = 2 + u16::try_from(n).expect("fits");
        let fg = buf[(20, y)].fg;
        let is_dim = fg == dim.unwrap_or(Color::DarkGray);
        assert_eq!(is_dim, data.rows[i].summary_only, "row {n}");
    }
    // Enter on a summary-only row stays in the list and says what to load.
    let row = app
        .list
        .visible
        .iter()
        .position(|&i| data.rows[i].summary_only)
        .expect("a summary-only row");
    app.list.selected = row;
    answer::step(&mut app, code(KeyCode::Enter));
    assert_eq!(app.mode, Mode::List);
    assert!(
        app.message
            .as_deref()
            .is_some_and(|m| m.contains("only the summary")),
        "{:?}",
        app.message
    );
}

/// `←`/`h` collapses the selected row, or goes to the parent; `→`/`l` expands it, or goes to
/// its first child: the tree keys of every tree TUI.
#[test]
fn left_and_right_fold_and_walk_the_tree() {
    let mut app = oldest_fault_trace();
    let root = selected_node(&app);
    let rows = app.view.as_ref().expect("open").rows.len();
    // → on an open row goes to its first child.
    answer::step(&mut app, code(KeyCode::Right));
    let child = selected_node(&app);
    let v = app.view.as_ref().expect("open");
    assert_eq!(v.trace.nodes[child].parent, Some(root));
    // ← on a child whose row is open collapses it first, then goes to the parent.
    let has_children = v.rows[v.selected].has_children;
    answer::step(&mut app, key('h'));
    let v = app.view.as_ref().expect("open");
    if has_children {
        assert!(v.collapsed.contains(&child));
        assert_eq!(selected_node(&app), child);
        answer::step(&mut app, key('h'));
    }
    assert_eq!(selected_node(&app), root);
    // ← on the open root collapses the whole trace to one row; → opens it again.
    answer::step(&mut app, code(KeyCode::Left));
    let v = app.view.as_ref().expect("open");
    assert_eq!(v.rows.len(), 1);
    answer::step(&mut app, key('l'));
    answer::step(&mut app, key('h'));
    answer::step(&mut app, key('l'));
    let v = app.view.as_ref().expect("open");
    assert!(v.rows.len() > 1 && v.rows.len() <= rows);
    assert_eq!(selected_node(&app), root);
}

/// `!` selects the fault root cause (the deepest faulting entity), expanding what hides it;
/// pressing it again walks the other root causes; a healthy trace says it has none.
#[test]
fn bang_jumps_to_the_root_cause() {
    let mut app = fault_trace_folded();
    answer::step(&mut app, key('!'));
    let v = app.view.as_ref().expect("open");
    let node = &v.trace.nodes[selected_node(&app)];
    assert!(node.doc.flags().fault, "{}", node.doc.name);
    assert!(
        node.children
            .iter()
            .all(|&c| !v.trace.nodes[c].doc.flags().fault),
        "the deepest fault"
    );
    assert!(v.rows.len() > 1, "expanded to show it");
    let causes = xray_tui::engine::summary::root_cause_entities(&v.trace);
    assert_eq!(causes.first(), Some(&selected_node(&app)));
    if causes.len() > 1 {
        answer::step(&mut app, key('!'));
        assert_eq!(selected_node(&app), causes[1]);
        assert!(
            app.toasts
                .items()
                .iter()
                .any(|t| t.label().contains("root cause 2 of"))
        );
    }
    // A trace without faults or errors.
    let mut app = loaded_app(120, 40);
    let data = app.data.clone().expect("data");
    let healthy = app
        .list
        .visible
        .iter()
        .position(|&i| {
            let r = &data.rows[i];
            !r.has_fault && !r.has_error && !r.has_throttle && !r.summary_only
        })
        .expect("a healthy trace");
    app.list.selected = healthy;
    answer::step(&mut app, code(KeyCode::Enter));
    let before = selected_node(&app);
    answer::step(&mut app, key('!'));
    assert_eq!(selected_node(&app), before);
    assert!(
        app.toasts
            .items()
            .iter()
            .any(|t| t.label().contains("no fault or error root cause"))
    );
}

/// Landing on a find match shows the details tab of the field that matched.
#[test]
fn a_find_match_shows_the_tab_of_its_field() {
    use xray_tui::app::trace_view::DetailTab;
    let mut app = oldest_fault_trace();
    answer::step(&mut app, key('/'));
    type_text(&mut app, "INSERT INTO");
    assert_eq!(app.view.as_ref().expect("open").tab, DetailTab::Sql);
    answer::step(&mut app, code(KeyCode::Esc));
    answer::step(&mut app, key('/'));
    type_text(&mut app, "PutItem");
    assert_eq!(app.view.as_ref().expect("open").tab, DetailTab::Resources);
    answer::step(&mut app, code(KeyCode::Enter));
    answer::step(&mut app, key('1'));
    answer::step(&mut app, key('.'));
    assert_eq!(app.view.as_ref().expect("open").tab, DetailTab::Resources);
}

/// The waterfall shows what a call did next to its name, so two calls of one database differ.
#[test]
fn the_waterfall_names_what_each_call_did() {
    let app = oldest_fault_trace();
    let terminal = drawn(&app, 160, 48);
    let buf = terminal.backend().buffer();
    let (wf, on_screen) = waterfall_on_screen(&app);
    let v = app.view.as_ref().expect("open");
    let lines: Vec<String> = on_screen
        .iter()
        .filter(|(i, _)| v.trace.nodes[v.rows[*i].node].doc.sql.is_some())
        .map(|&(_, y)| {
            (wf.x..wf.x + 58)
                .map(|x| buf[(x, y)].symbol().to_owned())
                .collect()
        })
        .collect();
    assert!(lines.len() >= 2, "{lines:?}");
    assert!(lines.iter().all(|l| l.contains("INSERT INTO")), "{lines:?}");
    assert_ne!(lines[0].trim(), lines[1].trim(), "the SQL tells them apart");
}

/// Esc with the completion popup open closes the popup only; the text stays
/// and a second Esc closes the prompt.
#[test]
fn esc_closes_the_completion_popup_before_the_prompt() {
    let mut app = loaded_app(120, 40);
    answer::step(&mut app, key('/'));
    type_text(&mut app, "service(\"pay");
    let p = app.overlays.prompt().expect("open");
    assert!(p.shown().is_some(), "the choices show as the text changes");
    assert!(answer::step(&mut app, code(KeyCode::Esc)).is_empty());
    let p = app.overlays.prompt().expect("still open");
    assert!(p.shown().is_none(), "the popup closed");
    assert_eq!(p.input, "service(\"pay", "nothing typed is lost");
    answer::step(&mut app, code(KeyCode::Esc));
    assert!(
        app.overlays.prompt().is_none(),
        "the second Esc closes the prompt"
    );
    assert_eq!(app.list.expr, None);
}

/// Tab after `annotation.` shows the keys with the first highlighted and
/// inserts nothing; Down moves the highlight, Enter inserts it (without applying), and Tab
/// reopens a popup closed with Esc.
#[test]
fn tab_shows_the_choices_before_inserting_one() {
    let mut app = loaded_app(120, 40);
    answer::step(&mut app, key('/'));
    type_text(&mut app, "annotation.");
    answer::step(&mut app, code(KeyCode::Esc));
    assert!(app.overlays.prompt().expect("open").shown().is_none());
    answer::step(&mut app, code(KeyCode::Tab));
    let p = app.overlays.prompt().expect("open");
    assert_eq!(p.input, "annotation.", "the first Tab inserts nothing");
    let keys: Vec<String> = p
        .shown()
        .expect("the choices show")
        .candidates
        .iter()
        .map(|c| c.text.clone())
        .collect();
    assert!(keys.len() > 1, "{keys:?}");
    assert!(
        keys.iter().all(|k| k.starts_with("annotation.")),
        "{keys:?}"
    );
    assert_eq!(p.selected, Some(0));
    answer::step(&mut app, code(KeyCode::Down));
    assert_eq!(app.overlays.prompt().expect("open").selected, Some(1));
    let cmds = answer::step(&mut app, code(KeyCode::Enter));
    assert!(
        cmds.is_empty(),
        "Enter on a highlighted choice applies nothing"
    );
    let p = app.overlays.prompt().expect("still open");
    assert_eq!(p.input.text(), format!("{} ", keys[1]));
    assert_eq!(p.selected, None);
    assert_eq!(app.list.expr, None);
    // One candidate only: Tab inserts it at once.
    answer::step(
        &mut app,
        Event::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    type_text(&mut app, "durat");
    assert_eq!(
        app.overlays
            .prompt()
            .expect("open")
            .completions
            .as_ref()
            .map(|c| c.candidates.len()),
        Some(1)
    );
    answer::step(&mut app, code(KeyCode::Tab));
    assert_eq!(app.overlays.prompt().expect("open").input, "duration ");
}

/// inside `service("pay` the popup offers service names only (never
/// AND/OR), and the one chosen closes the call.
#[test]
fn inside_service_quotes_only_service_names_are_offered() {
    let mut app = loaded_app(120, 40);
    answer::step(&mut app, key('/'));
    type_text(&mut app, "service(\"pay");
    let p = app.overlays.prompt().expect("open");
    let texts: Vec<&str> = p
        .shown()
        .expect("choices")
        .candidates
        .iter()
        .map(|c| c.text.as_str())
        .collect();
    assert_eq!(texts, ["\"payments\"", "\"shop-payments\""]);
    let services = &app.vocab.services;
    assert!(
        texts
            .iter()
            .all(|t| services.iter().any(|s| format!("\"{s}\"") == *t))
    );
    answer::step(&mut app, code(KeyCode::Tab));
    answer::step(&mut app, code(KeyCode::Tab));
    let p = app.overlays.prompt().expect("open");
    assert_eq!(p.input, "service(\"payments\") ");
    assert!(p.error.is_none());
    // After the closed call: a block or a connective, not a service name.
    let next: Vec<&str> = p
        .completions
        .as_ref()
        .expect("candidates")
        .candidates
        .iter()
        .map(|c| c.text.as_str())
        .collect();
    assert_eq!(&next[..3], ["{", "AND", "OR"]);
}

fn count_requests(cmds: &[Cmd]) -> Vec<u64> {
    cmds.iter()
        .filter_map(|c| match c {
            Cmd::Count(r) => Some(r.generation),
            _ => None,
        })
        .collect()
}

/// while the expression parses the prompt asks for a count of the traces it
/// matches (worked out off the UI thread); an answer to an older request is dropped, the
/// latest one shows, and it is what applying then lists.
#[test]
fn the_live_count_takes_the_latest_answer_only() {
    use xray_tui::app::prompt::LiveCount;
    let mut app = loaded_app(120, 40);
    app.update(key('/'));
    let mut asked = Vec::new();
    for c in "fault".chars() {
        asked.extend(count_requests(&app.update(key(c))));
    }
    // `f`, `fa`, ... do not parse; `fault` does: one request.
    let [first] = asked[..] else {
        panic!("one count asked for: {asked:?}")
    };
    assert_eq!(
        app.overlays.prompt().expect("open").count,
        LiveCount::Counting(first)
    );
    // A cursor move changes nothing to count.
    assert!(count_requests(&app.update(code(KeyCode::Left))).is_empty());
    app.update(code(KeyCode::End));
    let mut cmds = Vec::new();
    for c in " AND ok".chars() {
        cmds.extend(app.update(key(c)));
    }
    let second = *count_requests(&cmds).last().expect("counted again");
    assert!(second > first);
    let req = cmds
        .iter()
        .find_map(|c| match c {
            Cmd::Count(r) if r.generation == second => Some(r.clone()),
            _ => None,
        })
        .expect("the request");
    let stale = xray_tui::app::prompt::Counted {
        generation: first,
        matches: 999,
        of: 999,
    };
    app.update(Event::Counted(stale));
    assert_eq!(
        app.overlays.prompt().expect("open").count,
        LiveCount::Counting(second),
        "a stale answer is dropped"
    );
    let answer = xray_tui::runtime::count::count(&req, &|| false).expect("counted");
    app.update(Event::Counted(answer));
    let LiveCount::Counted { matches, of } = app.overlays.prompt().expect("open").count else {
        panic!("the latest answer shows")
    };
    assert_eq!(of, app.data.as_ref().expect("data").rows.len());
    let text = screen(&app);
    assert!(
        text.contains(&format!("{matches} of {of} traces matching")),
        "{text}"
    );
    answer::step(&mut app, code(KeyCode::Enter));
    assert_eq!(
        app.list.visible.len(),
        matches,
        "applying lists what was counted"
    );
}

/// Closing the prompt while a count runs asks the runtime to stop it; a source that evaluates
/// expressions itself (X-Ray) gets no count before the expression is applied.
#[test]
fn counts_stop_with_the_prompt_and_remote_sources_get_none() {
    use xray_tui::app::prompt::LiveCount;
    use xray_tui::source::SourceKind;
    let mut app = loaded_app(120, 40);
    app.update(key('/'));
    for c in "fault".chars() {
        app.update(key(c));
    }
    app.update(code(KeyCode::Esc));
    assert_eq!(app.update(code(KeyCode::Esc)), vec![Cmd::StopCount]);

    let mut aws = App::new("aws", Rect::new(0, 0, 120, 40)).with_source(SourceKind::Aws);
    aws.update(key('/'));
    let mut cmds = Vec::new();
    for c in "fault".chars() {
        cmds.extend(aws.update(key(c)));
    }
    assert!(count_requests(&cmds).is_empty());
    assert_eq!(
        aws.overlays.prompt().expect("open").count,
        LiveCount::Remote
    );
    assert!(screen(&aws).contains("X-Ray counts once applied"));
}

/// A header too long for the screen drops the time range, then shortens the expression in the
/// middle, so the window label still shows whole at its end; the status line keeps both ends
/// of a long message (a console URL) the same way.
#[test]
fn long_headers_and_messages_keep_both_ends() {
    let mut app = loaded_app(160, 40);
    answer::step(&mut app, key('/'));
    let expr = "service(\"shop-api/prod\") { fault OR error } AND annotation.customer_tier = \"gold\" AND responsetime > 0.3 AND http.method = \"POST\"";
    type_text(&mut app, expr);
    answer::step(&mut app, code(KeyCode::Esc));
    answer::step(&mut app, code(KeyCode::Enter));
    assert!(app.list.expr.is_some(), "{:?}", app.message);
    app.message = Some(format!(
        "console URL copied: https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#xray:traces/{}",
        "1-6b05549f-9855e6aaf147b35b2e0486ae"
    ));
    let terminal = drawn(&app, 160, 40);
    let buf = terminal.backend().buffer();
    let line = |y: u16| -> String { (0..160).map(|x| buf[(x, y)].symbol().to_owned()).collect() };
    let header = line(0);
    assert!(header.contains('…'), "{header}");
    assert!(header.contains("│ show all │ sort time▼"), "{header}");
    assert!(
        header.contains("\"POST\""),
        "the expression's end: {header}"
    );
    let status = line(39);
    assert!(status.contains("console URL copied: https://"), "{status}");
    assert!(status.contains("b2e0486ae"), "the URL's end: {status}");
    assert!(status.contains("? help"), "{status}");
}

/// The waterfall marks the critical path (`▐`) and shows each entity's self time; `p` keeps
/// only the path (and says so), `p` again shows everything.
#[test]
fn p_shows_only_the_critical_path() {
    let mut app = loaded_app(160, 48);
    let data = app.data.clone().expect("data");
    let id = "1-6b055244-0d1a56a0ae3239581caccf02";
    app.list.selected = app
        .list
        .visible
        .iter()
        .position(|&i| &*data.rows[i].id == id)
        .expect("the checkout trace");
    answer::step(&mut app, code(KeyCode::Enter));
    let v = app.view.as_ref().expect("open");
    assert_eq!(v.rows.len(), 28);
    let marked = |app: &App| -> usize {
        let terminal = drawn(app, 160, 48);
        let buf = terminal.backend().buffer();
        let (wf, on_screen) = waterfall_on_screen(app);
        on_screen
            .iter()
            .filter(|&&(_, y)| (wf.x..wf.right()).any(|x| buf[(x, y)].symbol() == "▐"))
            .count()
    };
    assert_eq!(marked(&app), 17, "the path's 17 entities are marked");
    let header = {
        let terminal = drawn(&app, 160, 48);
        let buf = terminal.backend().buffer();
        (0..160)
            .map(|x| buf[(x, 2)].symbol().to_owned())
            .collect::<String>()
    };
    assert!(header.contains("SELF"), "{header}");
    answer::step(&mut app, key('p'));
    let v = app.view.as_ref().expect("open");
    assert!(v.path_only);
    assert_eq!(v.rows.len(), 17);
    let shown: Vec<&str> = v
        .rows
        .iter()
        .map(|r| v.trace.nodes[r.node].doc.name.as_str())
        .collect();
    assert!(!shown.contains(&"inventory-worker"), "{shown:?}");
    assert!(shown.contains(&"api.stripe.example"), "{shown:?}");
    assert!(
        toast_texts(&app)
            .iter()
            .any(|t| t.contains("critical path: 17 entities"))
    );
    answer::step(&mut app, key('p'));
    assert_eq!(app.view.as_ref().expect("open").rows.len(), 28);
}

/// `S` in a trace shows its statistics instead of the waterfall (per service, then per
/// operation, the largest self time first); they scroll, and Esc goes back to the waterfall,
/// not to the list.
#[test]
fn capital_s_shows_the_trace_statistics() {
    let mut app = oldest_fault_trace();
    answer::step(&mut app, key('S'));
    let v = app.view.as_ref().expect("open");
    let st = v.stats.as_ref().expect("statistics shown");
    assert_eq!(st.stats.operations[0].operation, "POST /v1/charges");
    let screen = format!("{}", drawn(&app, 160, 48).backend());
    assert!(
        screen.contains("statistics (S or Esc: the waterfall)"),
        "{screen}"
    );
    assert!(screen.contains("OPERATION"), "{screen}");
    assert!(
        !screen.contains("DURATION"),
        "the waterfall is not drawn: {screen}"
    );
    answer::step(&mut app, key('j'));
    assert_eq!(
        app.view
            .as_ref()
            .and_then(|v| v.stats.as_ref())
            .map(|s| s.scroll),
        Some(1)
    );
    answer::step(&mut app, code(KeyCode::Esc));
    assert_eq!(app.mode, Mode::Trace);
    assert!(app.view.as_ref().expect("open").stats.is_none());
    answer::step(&mut app, code(KeyCode::Esc));
    assert_eq!(app.mode, Mode::List);
}

// ------------------------------------------------ trace IDs in both spellings, span links

const OTEL_FIXTURE: &str = "tests/fixtures/derived/retrieved-traces-otel.json";
const CHECKOUT_XRAY: &str = "1-66669980-3f1c9a0b7d2e4c6a8b0d1e2f";
const CHECKOUT_W3C: &str = "666699803f1c9a0b7d2e4c6a8b0d1e2f";
/// Kept in W3C form: its first 8 digits are no time near the spans'.
const FULFILMENT: &str = "c0ffee00d15ea5e5b0a710ad5eed1e55";

/// An app with `files` loaded at `w` x `h`.
fn app_with_files(files: &[&str], w: u16, h: u16) -> App {
    let source = SourceArgs {
        files: files.iter().map(|f| (*f).into()).collect(),
        ..Default::default()
    };
    let data = Arc::new(xray_tui::cli::load(&source, &mut std::io::sink()).expect("loads"));
    let mut app = App::new("files", Rect::new(0, 0, w, h));
    app.start_load();
    answer::step(
        &mut app,
        Event::Source(Update::Loaded(Loaded {
            generation: 1,
            result: Ok(data),
        })),
    );
    app
}

/// The text of every row of the drawn screen.
fn screen_lines(app: &App, w: u16, h: u16) -> Vec<String> {
    let terminal = drawn(app, w, h);
    let buf = terminal.backend().buffer();
    (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol().to_owned()).collect())
        .collect()
}

fn open_in_palette(app: &mut App, text: &str) {
    answer::step(app, ctrl('p'));
    type_text(app, text);
    answer::step(app, code(KeyCode::Enter));
}

/// `W` shows trace IDs in W3C form and back, in the list, the trace header, the details and
/// what `y` copies; a trace X-Ray would not accept is marked.
#[test]
fn w_toggles_the_form_trace_ids_are_shown_in() {
    let mut app = app_with_files(&[OTEL_FIXTURE], 120, 40);
    let list = screen_lines(&app, 120, 40);
    assert!(list[1].contains("ID "), "{list:#?}");
    answer::step(&mut app, key('W'));
    assert!(app.w3c_ids);
    assert!(toast_texts(&app).iter().any(|t| t.contains("W3C form")));
    let list = screen_lines(&app, 120, 40);
    assert!(list[1].contains("W3C ID"), "{list:#?}");

    open_in_palette(&mut app, CHECKOUT_XRAY);
    assert_eq!(app.mode, Mode::Trace);
    let screen = screen_lines(&app, 120, 40);
    assert!(
        screen
            .iter()
            .any(|l| l.contains(&format!("Trace {CHECKOUT_W3C} "))),
        "{screen:#?}"
    );
    assert!(
        !screen.iter().any(|l| l.contains("would not accept")),
        "an X-Ray trace is not marked"
    );
    assert!(
        screen
            .iter()
            .any(|l| l.contains(&format!("Trace: {CHECKOUT_W3C}")))
    );
    assert_eq!(
        answer::step(&mut app, key('y')),
        vec![Cmd::Copy(CHECKOUT_W3C.into())]
    );
    answer::step(&mut app, key('W'));
    assert!(!app.w3c_ids);
    let screen = screen_lines(&app, 120, 40);
    assert!(
        screen
            .iter()
            .any(|l| l.contains(&format!("Trace {CHECKOUT_XRAY} ")))
    );
    assert_eq!(
        answer::step(&mut app, key('y')),
        vec![Cmd::Copy(CHECKOUT_XRAY.into())]
    );

    // The trace kept by its W3C ID says X-Ray would not accept it, in either form.
    answer::step(&mut app, key('q'));
    open_in_palette(&mut app, FULFILMENT);
    assert_eq!(app.view.as_ref().expect("open").trace.id, FULFILMENT);
    let screen = screen_lines(&app, 120, 40);
    assert!(
        screen[0].contains("W3C ID: X-Ray would not accept it"),
        "{}",
        screen[0]
    );
}

/// The palette opens a trace by either spelling of its ID, and by a pasted `traceparent` of a
/// trace kept in W3C form (at the span it names).
#[test]
fn palette_finds_traces_by_either_spelling() {
    let mut app = app_with_files(&[OTEL_FIXTURE], 120, 40);
    for (typed, want) in [
        (CHECKOUT_W3C, CHECKOUT_XRAY),
        (CHECKOUT_XRAY, CHECKOUT_XRAY),
        ("1-c0ffee00-d15ea5e5b0a710ad5eed1e55", FULFILMENT),
        (FULFILMENT, FULFILMENT),
    ] {
        answer::step(&mut app, ctrl('p'));
        type_text(&mut app, typed);
        let p = app.overlays.palette().expect("open");
        assert_eq!(p.results.len(), 1, "{typed}: the ID alone");
        answer::step(&mut app, code(KeyCode::Enter));
        assert_eq!(app.mode, Mode::Trace, "{typed}");
        assert_eq!(app.view.as_ref().expect("open").trace.id, want, "{typed}");
        answer::step(&mut app, key('q'));
    }
    open_in_palette(
        &mut app,
        &format!("traceparent: 00-{FULFILMENT}-3000000000000001-01"),
    );
    let v = app.view.as_ref().expect("open");
    assert_eq!(v.trace.id, FULFILMENT);
    assert_eq!(
        v.selected_row()
            .map(|r| v.trace.nodes[r.node].doc.id.as_str()),
        Some("3000000000000001")
    );
    // An ID that is not loaded says so.
    answer::step(&mut app, key('q'));
    open_in_palette(&mut app, "0123456789abcdef0123456789abcdef");
    assert_eq!(app.mode, Mode::List);
    assert!(
        toast_texts(&app)
            .iter()
            .any(|t| t.contains("is not loaded")),
        "{:?}",
        toast_texts(&app)
    );
}

/// `9` shows the Links tab (span links, then span events); `L` opens the marked link's trace
/// at the linked span, or says the trace is not loaded.
#[test]
fn links_tab_lists_links_and_events_and_l_follows_a_link() {
    use xray_tui::app::trace_view::DetailTab;
    let mut app = app_with_files(&[OTEL_FIXTURE], 120, 40);
    open_in_palette(&mut app, FULFILMENT);
    answer::step(&mut app, key('9'));
    assert_eq!(app.view.as_ref().expect("open").tab, DetailTab::Links);
    let screen = screen_lines(&app, 120, 40).join("\n");
    assert!(screen.contains("9 Links"), "{screen}");
    assert!(screen.contains("1 link (L opens"), "{screen}");
    assert!(
        screen.contains(&format!("▸ trace {CHECKOUT_XRAY} span 2000000000000003")),
        "{screen}"
    );
    assert!(screen.contains("messaging.operation=publish"), "{screen}");
    assert!(screen.contains("order.allocated +150ms"), "{screen}");
    assert!(screen.contains("warehouse: DUB-2"), "{screen}");
    // J/K on this tab mark another link (there is one: it stays).
    answer::step(&mut app, key('J'));
    assert_eq!(app.view.as_ref().expect("open").links().1, 0);

    answer::step(&mut app, key('L'));
    let v = app.view.as_ref().expect("open");
    assert_eq!(v.trace.id, CHECKOUT_XRAY, "the linked trace opened");
    assert_eq!(
        v.selected_row()
            .map(|r| v.trace.nodes[r.node].doc.id.as_str()),
        Some("2000000000000003"),
        "at the linked span (the SQS send)"
    );
    // An entity without links says so.
    answer::step(&mut app, key('L'));
    assert!(
        toast_texts(&app)
            .iter()
            .any(|t| t.contains("no span links")),
        "{:?}",
        toast_texts(&app)
    );

    // Only the consumer's trace loaded: its link points to a trace that is not.
    let only = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("xray-tui-{}-links.json", std::process::id()));
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(OTEL_FIXTURE).expect("fixture"))
            .expect("json");
    v["Traces"].as_array_mut().expect("traces").remove(0);
    std::fs::write(&only, v.to_string()).expect("write");
    let mut app = app_with_files(&[only.to_str().expect("utf-8")], 120, 40);
    let _ = std::fs::remove_file(&only);
    open_in_palette(&mut app, FULFILMENT);
    answer::step(&mut app, key('9'));
    answer::step(&mut app, key('L'));
    assert_eq!(app.view.as_ref().expect("open").trace.id, FULFILMENT);
    assert!(
        toast_texts(&app)
            .iter()
            .any(|t| t.contains(&format!("linked trace {CHECKOUT_XRAY} is not loaded"))),
        "{:?}",
        toast_texts(&app)
    );
}

/// `T` types the threshold: `50ms` hides what is shorter than 50 ms (the header says how many),
/// a bad duration keeps the input open and says why, Esc leaves the threshold as it was, and an
/// empty one shows everything again.
#[test]
fn capital_t_types_the_threshold() {
    let mut app = oldest_fault_trace();
    let all = app.view.as_ref().expect("open").rows.len();
    answer::step(&mut app, key('T'));
    type_text(&mut app, "50ms");
    answer::step(&mut app, code(KeyCode::Enter));
    let v = app.view.as_ref().expect("open");
    assert!((v.hide_shorter - 0.05).abs() < 1e-12, "{}", v.hide_shorter);
    assert!(
        v.hidden > 0 && v.rows.len() + v.hidden == all,
        "{} of {all}",
        v.hidden
    );
    for r in &v.rows {
        assert!(
            r.depth == 0 || r.duration.is_none_or(|d| d >= 0.05),
            "{r:?}"
        );
    }
    let hidden = v.hidden;
    let screen = format!("{}", drawn(&app, 160, 48).backend());
    assert!(
        screen.contains(&format!("{hidden} under 50.0ms hidden")),
        "{screen}"
    );
    // A bad duration: the input stays, with the reason.
    answer::step(&mut app, key('T'));
    let screen = format!("{}", drawn(&app, 160, 48).backend());
    assert!(
        screen.contains("hide shorter than: 50.0ms"),
        "prefilled: {screen}"
    );
    for _ in 0.."50.0ms".len() {
        answer::step(&mut app, code(KeyCode::Backspace));
    }
    type_text(&mut app, "5 parsecs");
    answer::step(&mut app, code(KeyCode::Enter));
    assert!(app.overlays.top().is_some(), "still open");
    assert!(
        app.message
            .as_deref()
            .unwrap_or("")
            .contains("unknown unit"),
        "{:?}",
        app.message
    );
    answer::step(&mut app, code(KeyCode::Esc));
    assert!(app.overlays.top().is_none());
    assert!((app.view.as_ref().expect("open").hide_shorter - 0.05).abs() < 1e-12);
    // Empty: everything again.
    answer::step(&mut app, key('T'));
    for _ in 0.."50.0ms".len() {
        answer::step(&mut app, code(KeyCode::Backspace));
    }
    answer::step(&mut app, code(KeyCode::Enter));
    assert_eq!(app.view.as_ref().expect("open").rows.len(), all);
}

/// `t` hides entities shorter than 1 ms, then 10 ms, then 100 ms, then none: the header says
/// how many are hidden, roots and entities in progress always show.
#[test]
fn t_hides_short_entities_by_steps() {
    let mut app = oldest_fault_trace();
    let all = app.view.as_ref().expect("open").rows.len();
    let mut shown = Vec::new();
    for _ in 0..4 {
        answer::step(&mut app, key('t'));
        let v = app.view.as_ref().expect("open");
        for r in &v.rows {
            assert!(
                r.depth == 0 || r.duration.is_none_or(|d| d >= v.hide_shorter),
                "a row under the threshold: {r:?}"
            );
        }
        assert_eq!(v.rows.len() + v.hidden, all);
        shown.push((v.hide_shorter, v.rows.len()));
    }
    assert_eq!(
        shown.iter().map(|s| s.0).collect::<Vec<_>>(),
        vec![0.001, 0.01, 0.1, 0.0]
    );
    let counts: Vec<usize> = shown.iter().map(|s| s.1).collect();
    assert!(
        counts[0] >= counts[1] && counts[1] >= counts[2],
        "{counts:?}"
    );
    assert!(counts[2] < all, "something is hidden at 100 ms: {counts:?}");
    assert_eq!(counts[3], all, "t after the last step shows everything");
    answer::step(&mut app, key('t'));
    answer::step(&mut app, key('t'));
    let screen = format!("{}", drawn(&app, 160, 48).backend());
    let hidden = app.view.as_ref().expect("open").hidden;
    assert!(
        screen.contains(&format!("{hidden} under 10.0ms hidden (t)")),
        "{screen}"
    );
}
