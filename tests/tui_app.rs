//! Headless app-flow tests: keys and data events go into `App::update`; state and commands come
//! out. No terminal, no sleeps.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use xray_tui::app::keymap::{KEYMAP, keys_label};
use xray_tui::app::list::{QuickFilter, SortColumn};
use xray_tui::app::{App, Cmd, DataEvent, Event, LoadState, Mode};
use xray_tui::cli::SourceArgs;
use xray_tui::engine::dataset::Dataset;
use xray_tui::engine::waterfall::Status;

fn demo() -> Arc<Dataset> {
    let source = SourceArgs {
        demo: true,
        ..Default::default()
    };
    Arc::new(xray_tui::headless::load(&source, &mut std::io::sink()).expect("demo loads"))
}

fn key(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(k: KeyCode) -> Event {
    Event::Key(KeyEvent::new(k, KeyModifiers::NONE))
}

fn loaded_app(w: u16, h: u16) -> App {
    let mut app = App::new("demo", Rect::new(0, 0, w, h));
    let cmds = app.start_load();
    assert_eq!(cmds, vec![Cmd::Load { generation: 1 }]);
    app.update(Event::Data(DataEvent {
        generation: 1,
        result: Ok(demo()),
    }));
    assert_eq!(app.load, LoadState::Loaded);
    app
}

#[test]
fn opens_the_first_fault_trace_in_three_keys() {
    let mut app = loaded_app(120, 40);
    for e in [key('f'), key('g'), code(KeyCode::Enter)] {
        assert!(app.update(e).is_empty());
    }
    assert_eq!(app.list.filter, QuickFilter::Faults);
    assert_eq!(app.mode, Mode::Trace);
    let data = app.data.clone().expect("data");
    let first_fault = data
        .summaries
        .iter()
        .find(|s| s.has_fault)
        .expect("the demo has faults");
    let view = app.view.as_ref().expect("a trace is open");
    assert_eq!(view.trace.id, first_fault.id);
}

#[test]
fn n_jumps_to_the_next_fault_or_error_row() {
    let mut app = loaded_app(120, 40);
    app.update(key('f'));
    app.update(code(KeyCode::Enter));
    let before = app.view.as_ref().expect("open").selected;
    app.update(key('n'));
    let v = app.view.as_ref().expect("open");
    let expected = (before + 1..v.rows.len())
        .chain(0..=before)
        .find(|&i| v.rows[i].status != Status::Ok)
        .expect("a fault trace has a problem row");
    assert_eq!(v.selected, expected);
    assert_ne!(v.rows[v.selected].status, Status::Ok);
    // N goes back to where n came from when that was the previous problem row.
    app.update(key('N'));
    let v = app.view.as_ref().expect("open");
    assert_ne!(v.rows[v.selected].status, Status::Ok);
}

#[test]
fn stale_generation_data_is_dropped() {
    let mut app = App::new("demo", Rect::new(0, 0, 80, 24));
    assert_eq!(app.start_load(), vec![Cmd::Load { generation: 1 }]);
    assert_eq!(app.update(key('r')), vec![Cmd::Load { generation: 2 }]);
    app.update(Event::Data(DataEvent {
        generation: 1,
        result: Ok(demo()),
    }));
    assert_eq!(app.load, LoadState::Loading);
    assert!(app.data.is_none());
    app.update(Event::Data(DataEvent {
        generation: 2,
        result: Err("boom".into()),
    }));
    assert_eq!(app.load, LoadState::Failed("boom".into()));
}

#[test]
fn esc_goes_back_to_the_list_and_keeps_the_selection() {
    let mut app = loaded_app(80, 24);
    app.update(key('j'));
    app.update(key('j'));
    app.update(code(KeyCode::Enter));
    assert_eq!(app.mode, Mode::Trace);
    app.update(code(KeyCode::Esc));
    assert_eq!(app.mode, Mode::List);
    assert!(app.view.is_none());
    assert_eq!(app.list.selected, 2);
    // q goes back from a trace, and quits from the list.
    app.update(code(KeyCode::Enter));
    assert!(app.update(key('q')).is_empty());
    assert_eq!(app.mode, Mode::List);
    assert_eq!(app.update(key('q')), vec![Cmd::Quit]);
}

#[test]
fn ctrl_c_quits_from_anywhere() {
    let mut app = loaded_app(80, 24);
    app.update(code(KeyCode::Enter));
    app.update(key('?'));
    let ctrl_c = Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert_eq!(app.update(ctrl_c), vec![Cmd::Quit]);
}

#[test]
fn help_lists_every_bound_key() {
    // Tall enough for every section (the overlay scrolls on smaller screens).
    let mut app = loaded_app(100, 150);
    app.update(key('?'));
    assert!(app.help);
    let mut terminal = Terminal::new(TestBackend::new(100, 150)).expect("test terminal");
    terminal
        .draw(|f| xray_tui::ui::draw(f, &app))
        .expect("draw");
    let text = format!("{}", terminal.backend());
    for b in KEYMAP {
        let label = keys_label(b);
        assert!(text.contains(&label), "help lacks {label}");
        assert!(text.contains(b.description), "help lacks {}", b.description);
    }
    app.update(code(KeyCode::Esc));
    assert!(!app.help);
}

#[test]
fn sort_cycles_and_reverses() {
    let mut app = loaded_app(80, 24);
    let data = app.data.clone().expect("data");
    while app.list.sort != SortColumn::Duration {
        app.update(key('s'));
    }
    app.update(key('S'));
    app.update(key('g'));
    let longest = data
        .summaries
        .iter()
        .map(|s| s.duration.unwrap_or(0.0))
        .fold(0.0, f64::max);
    let top = app.selected_summary().expect("selection");
    assert_eq!(top.duration, Some(longest));
}

#[test]
fn filter_cycles_back_to_all() {
    let mut app = loaded_app(80, 24);
    let all = app.list.visible.len();
    let mut seen = Vec::new();
    for _ in 0..4 {
        app.update(key('f'));
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
    app.update(key('f'));
    app.update(code(KeyCode::Enter));
    let full = app.view.as_ref().expect("open").rows.len();
    app.update(key('c'));
    let folded = app.view.as_ref().expect("open").rows.len();
    assert!(folded < full, "{folded} < {full}");
    app.update(key('e'));
    assert_eq!(app.view.as_ref().expect("open").rows.len(), full);
    // Enter on the root folds everything under it.
    app.update(key('g'));
    app.update(code(KeyCode::Enter));
    assert_eq!(app.view.as_ref().expect("open").rows.len(), 1);
}

#[test]
fn tabs_switch_with_digits_and_tab() {
    use xray_tui::app::trace_view::DetailTab;
    let mut app = loaded_app(120, 40);
    app.update(code(KeyCode::Enter));
    app.update(key('6'));
    assert_eq!(app.view.as_ref().expect("open").tab, DetailTab::Exceptions);
    app.update(code(KeyCode::Tab));
    assert_eq!(app.view.as_ref().expect("open").tab, DetailTab::Sql);
    app.update(code(KeyCode::BackTab));
    app.update(code(KeyCode::BackTab));
    assert_eq!(app.view.as_ref().expect("open").tab, DetailTab::Metadata);
}

#[test]
fn key_releases_and_ticks_after_loading_do_nothing() {
    let mut app = loaded_app(80, 24);
    app.take_dirty();
    let mut release = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE);
    release.kind = KeyEventKind::Release;
    assert!(app.update(Event::Key(release)).is_empty());
    app.update(Event::Tick);
    assert_eq!(app.list.selected, 0);
    assert!(!app.take_dirty(), "nothing to redraw");
}

#[test]
fn paging_keeps_the_selection_on_screen() {
    let mut app = loaded_app(80, 24);
    app.update(code(KeyCode::PageDown));
    app.update(code(KeyCode::PageDown));
    let rows = xray_tui::app::layout::list_rows(app.size);
    assert_eq!(app.list.selected, 2 * rows);
    assert!(app.list.offset <= app.list.selected && app.list.selected < app.list.offset + rows);
    app.update(key('G'));
    assert_eq!(app.list.selected, app.list.visible.len() - 1);
    app.update(Event::Resize(80, 10));
    let rows = xray_tui::app::layout::list_rows(app.size);
    assert!(app.list.selected < app.list.offset + rows);
}

#[test]
fn n_expands_collapsed_rows_that_hide_the_next_problem() {
    let mut app = loaded_app(120, 40);
    app.update(key('f'));
    app.update(code(KeyCode::Enter));
    app.update(key('g'));
    // Fold everything under the root: every problem row below it is hidden.
    app.update(code(KeyCode::Enter));
    assert_eq!(app.view.as_ref().expect("open").rows.len(), 1);
    app.update(key('n'));
    let v = app.view.as_ref().expect("open");
    assert!(v.rows.len() > 1, "the path to the problem row was expanded");
    assert_ne!(v.rows[v.selected].status, Status::Ok);
    assert!(v.selected > 0);
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        assert!(
            app.update(key(c)).is_empty(),
            "typing {c:?} asks for nothing"
        );
    }
}

/// `/` opens the prompt; what is typed is checked as it goes; Enter applies it to the list, the
/// header names it, and the history is saved.
#[test]
fn filter_prompt_applies_an_expression() {
    let mut app = loaded_app(160, 48);
    app.update(key('/'));
    assert!(app.prompt.is_some());
    type_text(&mut app, "service(\"payments\") { fault } q");
    // `q` typed into the prompt does not quit.
    assert!(!app.quit);
    let p = app.prompt.as_ref().expect("open");
    assert!(p.error.is_some(), "a trailing bare word is an error");
    app.update(code(KeyCode::Backspace));
    app.update(code(KeyCode::Backspace));
    assert!(app.prompt.as_ref().expect("open").error.is_none());
    let cmds = app.update(code(KeyCode::Enter));
    assert!(app.prompt.is_none(), "closed after applying");
    assert_eq!(
        cmds,
        vec![Cmd::SaveHistory(vec![
            "service(\"payments\") { fault }".into()
        ])]
    );
    assert_eq!(
        app.list.expr.as_deref(),
        Some("service(\"payments\") { fault }")
    );
    let data = app.data.clone().expect("data");
    assert!(!app.list.visible.is_empty());
    for &i in &app.list.visible {
        let s = &data.summaries[i];
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
    app.update(key('/'));
    app.update(Event::Key(KeyEvent::new(
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    )));
    app.update(code(KeyCode::Enter));
    assert_eq!(app.list.expr, None);
    assert_eq!(app.list.visible.len(), data.summaries.len());
}

/// A bad expression keeps the prompt open with the error; nothing is applied.
#[test]
fn filter_prompt_keeps_a_bad_expression_open() {
    let mut app = loaded_app(120, 40);
    app.update(key(':'));
    type_text(&mut app, "responstime > 1");
    let cmds = app.update(code(KeyCode::Enter));
    assert!(cmds.is_empty());
    let p = app.prompt.as_ref().expect("still open");
    let e = p.error.as_ref().expect("error shown");
    assert_eq!(e.suggestion.as_deref(), Some("responsetime"));
    assert_eq!(app.list.expr, None);
    app.update(code(KeyCode::Esc));
    assert!(app.prompt.is_none());
    assert_eq!(app.mode, Mode::List, "Esc closes the prompt only");
}

/// Tab completes from the loaded data; Up recalls the history.
#[test]
fn filter_prompt_completes_and_recalls_history() {
    let mut app = loaded_app(120, 40).with_history(vec!["fault".into(), "responsetime > 2".into()]);
    app.update(key('/'));
    type_text(&mut app, "service(\"paym");
    let p = app.prompt.as_ref().expect("open");
    let c = p.completions.as_ref().expect("candidates");
    assert!(
        c.candidates.iter().any(|x| x.text.contains("payments")),
        "{c:?}"
    );
    app.update(code(KeyCode::Tab));
    let p = app.prompt.as_ref().expect("open");
    assert!(p.input.starts_with("service(\"payments\""), "{}", p.input);
    app.update(Event::Key(KeyEvent::new(
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    )));
    app.update(code(KeyCode::Up));
    assert_eq!(app.prompt.as_ref().expect("open").input, "responsetime > 2");
    app.update(code(KeyCode::Up));
    assert_eq!(app.prompt.as_ref().expect("open").input, "fault");
    app.update(code(KeyCode::Enter));
    assert_eq!(app.list.expr.as_deref(), Some("fault"));
    assert_eq!(
        app.history,
        vec!["responsetime > 2".to_owned(), "fault".to_owned()],
        "reused entry moves to the end"
    );
}

/// `/` on an empty prompt lists the saved filters from the config; Tab then Enter applies one.
#[test]
fn saved_filters_from_the_config_apply_by_name() {
    let config = xray_tui::config::Config::parse(
        "[filters]\nslow = \"responsetime > 1\"\n",
        std::path::Path::new("test.toml"),
    )
    .expect("valid config");
    let mut app = loaded_app(120, 40).with_config(config);
    app.update(key('/'));
    let p = app.prompt.as_ref().expect("open");
    let c = p.completions.as_ref().expect("saved filters listed");
    assert_eq!(c.candidates[0].text, "@slow");
    assert_eq!(c.candidates[0].description, "responsetime > 1");
    app.update(code(KeyCode::Tab));
    app.update(code(KeyCode::Enter));
    assert_eq!(app.list.expr.as_deref(), Some("responsetime > 1"));
    let data = app.data.clone().expect("data");
    assert!(!app.list.visible.is_empty());
    assert!(
        app.list
            .visible
            .iter()
            .all(|&i| data.summaries[i].response_time.is_some_and(|r| r > 1.0))
    );
}

// --- Copy, console URL, export, toasts, rebound keys ---

use xray_tui::app::bindings::Keymap;
use xray_tui::app::share::{ExportData, console_url};
use xray_tui::app::toast::{INFO_TICKS, Level};

fn toast_texts(app: &App) -> Vec<String> {
    app.toasts.items().iter().map(|t| t.label()).collect()
}

/// `y` copies the selected trace's ID in the list and the open trace's ID in the trace view.
#[test]
fn y_copies_the_trace_id() {
    let mut app = loaded_app(120, 40);
    app.update(key('j'));
    let id = app.selected_summary().expect("selection").id.clone();
    assert_eq!(app.update(key('y')), vec![Cmd::Copy(id.clone())]);
    assert_eq!(toast_texts(&app), vec![format!("copied {id}")]);
    // Again: one toast, counted.
    app.update(key('y'));
    assert_eq!(toast_texts(&app), vec![format!("copied {id} ×2")]);
    app.update(code(KeyCode::Enter));
    assert_eq!(app.mode, Mode::Trace);
    let open = app.view.as_ref().expect("open").trace.id.clone();
    assert_eq!(app.update(key('y')), vec![Cmd::Copy(open)]);
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
    assert_eq!(app.update(key('o')), vec![Cmd::Copy(url.clone())]);
    assert_eq!(app.message.as_deref(), Some(url.as_str()), "shown to copy");
    let mut app = app.with_opener(true);
    assert_eq!(
        app.update(key('o')),
        vec![Cmd::Copy(url.clone()), Cmd::OpenUrl(url)]
    );
    // No region known: us-east-1, and the app says so.
    let mut app = loaded_app(120, 40);
    let cmds = app.update(key('o'));
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
    let d = std::env::temp_dir().join(format!("xray-tui-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn read_back(path: &std::path::Path) -> Dataset {
    let source = SourceArgs {
        files: vec![path.display().to_string()],
        ..Default::default()
    };
    xray_tui::headless::load(&source, &mut std::io::sink()).expect("export reads back")
}

/// `x` in the list exports the listed summaries (filtered, in their order) as
/// get-trace-summaries JSON; the file source reads the same IDs back.
#[test]
fn x_exports_the_listed_summaries_and_they_read_back() {
    let mut app = loaded_app(120, 40);
    app.update(key('f'));
    let cmds = app.update(key('x'));
    let [Cmd::Export(export)] = &cmds[..] else {
        panic!("{cmds:?}")
    };
    let ExportData::Summaries { rows, .. } = &export.data else {
        panic!("summaries expected")
    };
    assert_eq!(rows, &app.list.visible);
    assert_eq!(export.file_name, format!("xray-traces-{}.json", rows.len()));
    let dir = temp_dir("export-list");
    let path = xray_tui::effects::write_export(export, &dir).expect("written");
    assert_eq!(path, dir.join(&export.file_name));
    let data = app.data.clone().expect("data");
    let want: Vec<&str> = rows
        .iter()
        .map(|&i| data.summaries[i].id.as_str())
        .collect();
    let back = read_back(&path);
    let got: Vec<&str> = back.summaries.iter().map(|s| s.id.as_str()).collect();
    let mut want_sorted = want.clone();
    let mut got_sorted = got.clone();
    want_sorted.sort_unstable();
    got_sorted.sort_unstable();
    assert_eq!(got_sorted, want_sorted);
    // A second export does not overwrite the first.
    let again = xray_tui::effects::write_export(export, &dir).expect("written");
    assert_ne!(again, path);
    // The runtime's answer becomes a toast.
    app.update(Event::Exported(Ok(path.clone())));
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
    app.update(code(KeyCode::Enter));
    let trace = app.view.as_ref().expect("open").trace.clone();
    let cmds = app.update(key('x'));
    let [Cmd::Export(export)] = &cmds[..] else {
        panic!("{cmds:?}")
    };
    assert_eq!(export.file_name, format!("xray-trace-{}.json", trace.id));
    let dir = temp_dir("export-trace");
    let path = xray_tui::effects::write_export(export, &dir).expect("written");
    let back = read_back(&path);
    let ids: Vec<&str> = back.traces.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, vec![trace.id.as_str()]);
    assert_eq!(back.traces[0].nodes.len(), trace.nodes.len());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Errors are toasts in red and stay on the status line; toasts expire by ticks.
#[test]
fn toasts_expire_by_ticks_and_errors_stay_on_the_status_line() {
    let mut app = loaded_app(80, 24);
    app.update(Event::Exported(Err("disk full".into())));
    app.update(key('y'));
    assert_eq!(app.toasts.items().len(), 2);
    assert_eq!(app.toasts.items()[0].level, Level::Error);
    assert_eq!(app.message.as_deref(), Some("export failed: disk full"));
    for _ in 0..INFO_TICKS {
        app.update(Event::Tick);
    }
    assert_eq!(app.toasts.items().len(), 1, "the info toast went first");
    for _ in 0..100 {
        app.update(Event::Tick);
    }
    assert!(app.toasts.is_empty());
    assert_eq!(app.message.as_deref(), Some("export failed: disk full"));
}

fn rebound_app(toml: &str) -> App {
    let config =
        xray_tui::config::Config::parse(toml, std::path::Path::new("keys.toml")).expect("valid");
    let keymap = Keymap::from_config(&config).expect("valid keys");
    loaded_app(120, 40).with_config(config).with_keymap(keymap)
}

/// A key rebound in the config does the action, and the old key no longer does.
#[test]
fn a_rebound_key_works() {
    let mut app =
        rebound_app("[keys.list]\nopen = \"l\"\n[keys.global]\ndown = [\"j\", \"ctrl-n\"]\n");
    app.update(code(KeyCode::Enter));
    assert_eq!(app.mode, Mode::List, "Enter no longer opens");
    app.update(Event::Key(KeyEvent::new(
        KeyCode::Char('n'),
        KeyModifiers::CONTROL,
    )));
    assert_eq!(app.list.selected, 1);
    app.update(key('l'));
    assert_eq!(app.mode, Mode::Trace);
}
