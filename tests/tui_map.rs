//! The service map: snapshots of the drawing (demo and a published trace) and app flows (open,
//! move, Enter on a node or an edge, back, the map of one trace).

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use xray_tui::app::{App, DataEvent, Event, Mode};
use xray_tui::cli::SourceArgs;
use xray_tui::engine::dataset::Dataset;
use xray_tui::engine::service;

const BLOCK07: &str =
    "tests/fixtures/public/awsdocs-aws-xray-developer-guide/xray-api-gettingdata.md.block07.json";

fn load(source: &SourceArgs) -> Arc<Dataset> {
    Arc::new(xray_tui::headless::load(source, &mut std::io::sink()).expect("loads"))
}

fn demo() -> Arc<Dataset> {
    load(&SourceArgs {
        demo: true,
        ..Default::default()
    })
}

fn block07() -> Arc<Dataset> {
    load(&SourceArgs {
        files: vec![format!("{}/{BLOCK07}", env!("CARGO_MANIFEST_DIR"))],
        ..Default::default()
    })
}

fn app_with(data: Arc<Dataset>, w: u16, h: u16) -> App {
    let mut app = App::new("test", Rect::new(0, 0, w, h));
    app.start_load();
    app.update(Event::Data(DataEvent {
        generation: 1,
        result: Ok(data),
    }));
    app
}

fn code(app: &mut App, k: KeyCode) {
    app.update(Event::Key(KeyEvent::new(k, KeyModifiers::NONE)));
}

fn keys(app: &mut App, keys: &str) {
    for c in keys.chars() {
        let k = match c {
            '\n' => KeyCode::Enter,
            '\t' => KeyCode::Tab,
            c => KeyCode::Char(c),
        };
        code(app, k);
    }
}

fn render(app: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(app.size.width, app.size.height)).expect("term");
    t.draw(|f| xray_tui::ui::draw(f, app)).expect("draw");
    format!("{}", t.backend())
}

#[test]
fn map_demo_80x24() {
    let mut a = app_with(demo(), 80, 24);
    keys(&mut a, "m");
    insta::assert_snapshot!(render(&a));
}

#[test]
fn map_demo_160x48() {
    let mut a = app_with(demo(), 160, 48);
    keys(&mut a, "m");
    insta::assert_snapshot!(render(&a));
}

#[test]
fn map_demo_160x48_edge_selected() {
    let mut a = app_with(demo(), 160, 48);
    keys(&mut a, "mee");
    insta::assert_snapshot!(render(&a));
}

#[test]
fn map_block07_80x24() {
    let mut a = app_with(block07(), 80, 24);
    keys(&mut a, "m");
    insta::assert_snapshot!(render(&a));
}

#[test]
fn map_block07_160x48() {
    let mut a = app_with(block07(), 160, 48);
    keys(&mut a, "m");
    insta::assert_snapshot!(render(&a));
}

#[test]
fn trace_map_80x24() {
    let mut a = app_with(demo(), 80, 24);
    keys(&mut a, "fg\nm");
    insta::assert_snapshot!(render(&a));
}
