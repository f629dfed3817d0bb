//! Snapshots of the screens, drawn on a `TestBackend` from the demo dataset (times are UTC, so
//! they are stable).

#[path = "support/answer.rs"]
mod answer;

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use xray_tui::app::{App, Event};
use xray_tui::cli::SourceArgs;
use xray_tui::source::{Loaded, Update};

fn app(w: u16, h: u16) -> App {
    let source = SourceArgs {
        demo: true,
        ..Default::default()
    };
    let data = xray_tui::cli::load(&source, &mut std::io::sink()).expect("demo loads");
    let mut app = App::new("demo", Rect::new(0, 0, w, h));
    app.start_load();
    app.update(Event::Source(Update::Loaded(Loaded {
        generation: 1,
        result: Ok(Arc::new(data)),
    })));
    app
}

fn keys(app: &mut App, keys: &str) {
    for c in keys.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            c => KeyCode::Char(c),
        };
        answer::step(app, Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }
}

fn render(app: &App) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(app.size.width, app.size.height)).expect("term");
    t.draw(|f| xray_tui::ui::draw(f, app)).expect("draw");
    t
}

#[test]
fn list_80x24() {
    let a = app(80, 24);
    insta::assert_snapshot!(render(&a).backend());
}

#[test]
fn list_160x48_faults_sorted_by_duration() {
    let mut a = app(160, 48);
    keys(&mut a, "fL");
    insta::assert_snapshot!(render(&a).backend());
}

#[test]
fn trace_80x24() {
    let mut a = app(80, 24);
    keys(&mut a, "fT\nn");
    insta::assert_snapshot!(render(&a).backend());
}

#[test]
fn trace_160x48_exceptions_tab() {
    let mut a = app(160, 48);
    keys(&mut a, "fT\n6");
    // Walk down to the first row that recorded an exception.
    let v = a.view.as_ref().expect("open");
    let target = v
        .rows
        .iter()
        .position(|r| !v.trace.nodes[r.node].doc.exceptions().is_empty())
        .expect("the fault trace has an exception");
    let steps = target - v.selected;
    keys(&mut a, &"j".repeat(steps));
    insta::assert_snapshot!(render(&a).backend());
}

#[test]
fn trace_160x48_collapsed_to_segments() {
    let mut a = app(160, 48);
    keys(&mut a, "T\nc");
    insta::assert_snapshot!(render(&a).backend());
}

#[test]
fn help_80x24() {
    let mut a = app(80, 24);
    keys(&mut a, "?");
    insta::assert_snapshot!(render(&a).backend());
}

#[test]
fn loading_80x24() {
    let mut a = App::new("demo", Rect::new(0, 0, 80, 24));
    a.start_load();
    insta::assert_snapshot!(render(&a).backend());
}

#[test]
fn trace_80x24_http_tab() {
    let mut a = app(80, 24);
    keys(&mut a, "T\n2");
    insta::assert_snapshot!(render(&a).backend());
}

#[test]
fn trace_80x24_resources_tab() {
    let mut a = app(80, 24);
    keys(&mut a, "fT\n3");
    let v = a.view.as_ref().expect("open");
    let target = v
        .rows
        .iter()
        .position(|r| v.trace.nodes[r.node].doc.aws.is_some() && r.depth > 2)
        .expect("an entity with AWS data");
    let steps = target - v.selected;
    keys(&mut a, &"j".repeat(steps));
    insta::assert_snapshot!(render(&a).backend());
}

#[test]
fn load_failure_80x24() {
    let mut a = App::new("missing.json", Rect::new(0, 0, 80, 24));
    a.start_load();
    a.update(Event::Source(Update::Loaded(Loaded {
        generation: 1,
        result: Err("nothing could be loaded (unreadable: missing.json)".into()),
    })));
    insta::assert_snapshot!(render(&a).backend());
}

#[test]
fn trace_160x48_root_overview_with_root_causes() {
    let mut a = app(160, 48);
    keys(&mut a, "fT\n");
    insta::assert_snapshot!(render(&a).backend());
}

#[test]
fn prompt_80x24_completing_a_service() {
    let mut a = app(80, 24);
    keys(&mut a, "/service(\"pa");
    insta::assert_snapshot!(render(&a).backend());
}

/// The expression parses: the count of matching traces shows under it, and Tab has opened the
/// choices for what may follow the closed call, the first highlighted.
#[test]
fn prompt_80x24_choices_and_live_count() {
    let mut a = app(80, 24);
    keys(&mut a, "/service(\"payments\") ");
    answer::step(
        &mut a,
        Event::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)),
    );
    let text = format!("{}", render(&a).backend());
    assert!(text.contains("matching"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn prompt_120x30_error_under_the_token() {
    let mut a = app(120, 30);
    keys(&mut a, "/fault AND responstime > 1");
    insta::assert_snapshot!(render(&a).backend());
}

#[test]
fn list_120x30_with_an_applied_expression() {
    let mut a = app(120, 30);
    keys(
        &mut a,
        "/annotation.customer_tier = \"gold\" AND responsetime > 0.3\n",
    );
    insta::assert_snapshot!(render(&a).backend());
}

fn ctrl(app: &mut App, c: char) {
    app.update(Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )));
}

#[test]
fn trace_80x24_find_typing() {
    let mut a = app(80, 24);
    keys(&mut a, "fT\n/dynamodb");
    insta::assert_snapshot!(render(&a).backend());
}

#[test]
fn trace_160x48_find_kept_second_match() {
    let mut a = app(160, 48);
    keys(&mut a, "fT\n/payment\n.");
    insta::assert_snapshot!(render(&a).backend());
}

#[test]
fn palette_80x24_results() {
    let mut a = app(80, 24);
    ctrl(&mut a, 'p');
    keys(&mut a, "pay");
    insta::assert_snapshot!(render(&a).backend());
}

#[test]
fn palette_160x48_results() {
    let mut a = app(160, 48);
    ctrl(&mut a, 'p');
    keys(&mut a, "checkout");
    insta::assert_snapshot!(render(&a).backend());
}

fn with_groups(a: App) -> App {
    let config = xray_tui::config::Config::parse(
        "[[groups]]\nname = \"payments-faults\"\nfilter = 'service(\"payments\") { fault }'\n\n\
         [[groups]]\nname = \"gold\"\nfilter = 'annotation.customer_tier = \"gold\"'\n",
        std::path::Path::new("test.toml"),
    )
    .expect("valid config");
    let data = a.data.clone().expect("loaded");
    let mut a = App::new("demo", a.size).with_config(config);
    a.start_load();
    a.update(Event::Source(Update::Loaded(Loaded {
        generation: 1,
        result: Ok(data),
    })));
    a
}

#[test]
fn groups_80x24() {
    let mut a = with_groups(app(80, 24));
    ctrl(&mut a, 'g');
    keys(&mut a, "j");
    insta::assert_snapshot!(render(&a).backend());
}

#[test]
fn help_80x24_with_rebound_keys() {
    let config = xray_tui::config::Config::parse(
        "[keys.global]\nhelp = [\"?\", \"f1\"]\nreload = [\"ctrl-r\", \"alt-r\"]\n",
        std::path::Path::new("keys.toml"),
    )
    .expect("valid");
    let mut a = app(80, 24).with_config(config);
    a.update(Event::Key(KeyEvent::new(KeyCode::F(1), KeyModifiers::NONE)));
    assert!(a.overlays.help().is_some(), "F1 opens the help");
    let text = format!("{}", render(&a).backend());
    assert!(text.contains("?, F1"), "{text}");
    assert!(text.contains("Ctrl-R, Alt-r"), "{text}");
    insta::assert_snapshot!(render(&a).backend());
}

#[test]
fn groups_160x48_applied() {
    let mut a = with_groups(app(160, 48));
    ctrl(&mut a, 'g');
    keys(&mut a, "\n");
    ctrl(&mut a, 'g');
    insta::assert_snapshot!(render(&a).backend());
}

#[test]
fn groups_80x24_empty() {
    // Segments captured from the Python SDK: no groups with them.
    let source = SourceArgs {
        files: vec!["tests/fixtures/captured/python-sdk-aws.ndjson".into()],
        ..Default::default()
    };
    let data = xray_tui::cli::load(&source, &mut std::io::sink()).expect("loads");
    assert!(data.groups.is_empty());
    let mut a = App::new("python-sdk-aws.ndjson", Rect::new(0, 0, 80, 24));
    a.start_load();
    a.update(Event::Source(Update::Loaded(Loaded {
        generation: 1,
        result: Ok(Arc::new(data)),
    })));
    ctrl(&mut a, 'g');
    insta::assert_snapshot!(render(&a).backend());
}

#[test]
fn list_80x24_with_toasts() {
    let mut a = app(80, 24);
    keys(&mut a, "jyy");
    a.update(Event::Exported(Err(
        "cannot write /read-only/xray-traces-40.json: Permission denied".into(),
    )));
    let text = format!("{}", render(&a).backend());
    assert!(text.contains("×2"), "{text}");
    insta::assert_snapshot!(render(&a).backend());
}

/// The screens not covered above at the large size: help, the prompt, loading, a failed load,
/// the trace map, toasts.
#[test]
fn remaining_screens_160x48() {
    let mut a = app(160, 48);
    keys(&mut a, "?");
    insta::assert_snapshot!("help_160x48", render(&a).backend());

    let mut a = app(160, 48);
    keys(&mut a, "/service(\"pa");
    insta::assert_snapshot!("prompt_160x48_completing_a_service", render(&a).backend());

    let mut a = app(160, 48);
    keys(&mut a, "/service(\"payments\") ");
    answer::step(
        &mut a,
        Event::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)),
    );
    insta::assert_snapshot!("prompt_160x48_choices_and_live_count", render(&a).backend());

    let mut a = App::new("demo", Rect::new(0, 0, 160, 48));
    a.start_load();
    insta::assert_snapshot!("loading_160x48", render(&a).backend());
    a.update(Event::Source(Update::Loaded(Loaded {
        generation: 1,
        result: Err("nothing could be loaded (unreadable: missing.json)".into()),
    })));
    insta::assert_snapshot!("load_failure_160x48", render(&a).backend());

    let mut a = app(160, 48);
    keys(&mut a, "fT\nm");
    assert!(a.map.as_ref().is_some_and(|m| m.trace_id.is_some()));
    insta::assert_snapshot!("trace_map_160x48", render(&a).backend());

    let mut a = app(160, 48);
    keys(&mut a, "jyy");
    let text = format!("{}", render(&a).backend());
    assert!(text.contains("×2"), "{text}");
    insta::assert_snapshot!("list_160x48_with_toasts", text);
}

/// The critical path alone (`p`) on a checkout whose SQS consumer ran after the response.
fn critical_path_of_a_checkout(w: u16, h: u16) -> App {
    let mut a = app(w, h);
    let data = a.data.clone().expect("loaded");
    a.list.selected = a
        .list
        .visible
        .iter()
        .position(|&i| &*data.rows[i].id == "1-6b055244-0d1a56a0ae3239581caccf02")
        .expect("the checkout trace");
    keys(&mut a, "\n");
    a
}

#[test]
fn trace_80x24_critical_path_marked() {
    let a = critical_path_of_a_checkout(80, 24);
    insta::assert_snapshot!(render(&a).backend());
}

#[test]
fn trace_160x48_critical_path_only() {
    let mut a = critical_path_of_a_checkout(160, 48);
    keys(&mut a, "p");
    insta::assert_snapshot!(render(&a).backend());
}

#[test]
fn trace_80x24_statistics() {
    let mut a = app(80, 24);
    keys(&mut a, "fT\nS");
    insta::assert_snapshot!(render(&a).backend());
}

#[test]
fn trace_160x48_statistics() {
    let mut a = critical_path_of_a_checkout(160, 48);
    keys(&mut a, "S");
    insta::assert_snapshot!(render(&a).backend());
}

/// The OpenTelemetry checkout traces of `list-retrieved-traces --trace-format OTEL`, with the
/// `fulfilment` consumer's trace (kept by its W3C ID) open on the Links tab.
fn links_app(w: u16, h: u16) -> App {
    let source = SourceArgs {
        files: vec!["tests/fixtures/derived/retrieved-traces-otel.json".into()],
        ..Default::default()
    };
    let data = xray_tui::cli::load(&source, &mut std::io::sink()).expect("fixture loads");
    let mut app = App::new("retrieved-traces-otel.json", Rect::new(0, 0, w, h));
    app.start_load();
    app.update(Event::Source(Update::Loaded(Loaded {
        generation: 1,
        result: Ok(Arc::new(data)),
    })));
    ctrl(&mut app, 'p');
    keys(&mut app, "c0ffee00d15ea5e5b0a710ad5eed1e55\n9");
    app
}

#[test]
fn trace_80x24_links_tab() {
    let a = links_app(80, 24);
    insta::assert_snapshot!(render(&a).backend());
}

#[test]
fn trace_160x48_links_tab_w3c_ids() {
    let mut a = links_app(160, 48);
    keys(&mut a, "W");
    insta::assert_snapshot!(render(&a).backend());
}
