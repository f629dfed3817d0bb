//! The service map: snapshots of the drawing (demo and a published trace) and app flows (open,
//! move, Enter on a node or an edge, back, the map of one trace).

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use xray_tui::app::{App, Event, Mode};
use xray_tui::cli::SourceArgs;
use xray_tui::engine::dataset::Dataset;
use xray_tui::engine::service;
use xray_tui::source::{Loaded, Update};

const BLOCK07: &str =
    "tests/fixtures/public/awsdocs-aws-xray-developer-guide/xray-api-gettingdata.md.block07.json";

fn load(source: &SourceArgs) -> Arc<Dataset> {
    Arc::new(xray_tui::cli::load(source, &mut std::io::sink()).expect("loads"))
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
    app.update(Event::Source(Update::Loaded(Loaded {
        generation: 1,
        result: Ok(data),
    })));
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
    keys(&mut a, "fT\nm");
    insta::assert_snapshot!(render(&a));
}

fn selected_name(app: &App) -> String {
    let m = app.map.as_ref().expect("map open");
    m.node().and_then(|s| s.name.clone()).unwrap_or_default()
}

/// Tabs through the map until the selected node is `name` of type `kind`.
fn select(app: &mut App, name: &str, kind: &str) {
    let n = app.map.as_ref().expect("map open").graph.services.len();
    for _ in 0..=n {
        let m = app.map.as_ref().expect("map open");
        if m.node()
            .is_some_and(|s| s.name.as_deref() == Some(name) && s.kind.as_deref() == Some(kind))
        {
            return;
        }
        code(app, KeyCode::Tab);
    }
    panic!("no node {name} ({kind}) on the map");
}

fn visible_traces(app: &App) -> Vec<Arc<xray_tui::model::Trace>> {
    let data = app.data.as_ref().expect("data");
    app.list
        .visible
        .iter()
        .map(|&i| {
            let id = &data.rows[i].id;
            data.find_trace(id).expect("the demo has every trace")
        })
        .collect()
}

#[test]
fn m_opens_the_map_on_the_node_with_the_most_faults() {
    let mut a = app_with(demo(), 80, 24);
    keys(&mut a, "m");
    assert_eq!(a.mode, Mode::Map);
    let m = a.map.as_ref().expect("map open");
    let (i, n) = m.most_faults.expect("the demo has faults");
    assert_eq!(m.selected, i);
    let max = m
        .graph
        .services
        .iter()
        .filter(|s| s.kind.as_deref() != Some("client"))
        .filter_map(|s| s.summary_statistics.as_ref())
        .map(|s| s.fault_statistics.total_count)
        .max();
    assert_eq!(Some(n), max);
    let text = render(&a);
    assert!(text.contains(&format!("most faults: {} ({n})", selected_name(&a))));
    code(&mut a, KeyCode::Esc);
    assert_eq!(a.mode, Mode::List);
    assert!(a.map.is_none());
}

#[test]
fn keys_move_between_nodes() {
    let mut a = app_with(demo(), 80, 24);
    keys(&mut a, "m");
    let m = a.map.as_ref().expect("map open");
    let order = m.layout.reading_order();
    let start = m.selected;
    let p = order.iter().position(|&i| i == start).expect("in order");
    code(&mut a, KeyCode::Tab);
    assert_eq!(
        a.map.as_ref().expect("open").selected,
        order[(p + 1) % order.len()]
    );
    code(&mut a, KeyCode::BackTab);
    assert_eq!(a.map.as_ref().expect("open").selected, start);
    // Right goes to a box further right, left comes back left of it.
    let x = |a: &App| {
        let m = a.map.as_ref().expect("open");
        m.layout.boxes[m.selected].x
    };
    let before = x(&a);
    keys(&mut a, "l");
    assert!(x(&a) > before);
    keys(&mut a, "h");
    assert!(x(&a) < before + 1);
    // Down moves to a box below.
    let y = |a: &App| {
        let m = a.map.as_ref().expect("open");
        m.layout.boxes[m.selected].y
    };
    keys(&mut a, "g");
    select(&mut a, "shop-api/prod", "AWS::ApiGateway::Stage");
    let top = y(&a);
    keys(&mut a, "l");
    keys(&mut a, "j");
    let m = a.map.as_ref().expect("open");
    let b = &m.layout.boxes[m.selected];
    assert!(b.y > top || b.x > 0);
    // The selection stays on screen.
    let (w, h) = xray_tui::app::map::canvas_size(a.size, m.view.panel);
    assert!(
        b.x + b.w <= m.offset.0 + w && b.x >= m.offset.0,
        "{b:?} {:?}",
        m.offset
    );
    assert!(b.y + b.h <= m.offset.1 + h && b.y >= m.offset.1);
    // n walks the failing nodes, most faults first, starting after the one selected.
    keys(&mut a, "n");
    let m = a.map.as_ref().expect("open");
    assert!(
        m.counts[m.selected].faults + m.counts[m.selected].errors + m.counts[m.selected].throttles
            > 0
    );
}

#[test]
fn enter_on_a_node_lists_the_traces_through_it() {
    let mut a = app_with(demo(), 80, 24);
    let all = a.list.visible.len();
    keys(&mut a, "m");
    select(&mut a, "payments", "AWS::EKS::Container");
    code(&mut a, KeyCode::Enter);
    assert_eq!(a.mode, Mode::List);
    let only = a.list.only.as_ref().expect("filtered");
    assert_eq!(only.label, "service(\"payments\")");
    let traces = visible_traces(&a);
    assert!(!traces.is_empty() && traces.len() < all);
    for t in &traces {
        assert!(
            service::services_in(t).iter().any(|k| k.name == "payments"),
            "{} does not touch payments",
            t.id
        );
    }
    // Every trace through payments is listed.
    let data = a.data.clone().expect("data");
    let expected = data
        .traces
        .iter()
        .filter(|t| service::services_in(t).iter().any(|k| k.name == "payments"))
        .count();
    assert_eq!(traces.len(), expected);
    assert!(render(&a).contains("service(\"payments\")"));
    // Esc clears it; so does f.
    code(&mut a, KeyCode::Esc);
    assert!(a.list.only.is_none());
    assert_eq!(a.list.visible.len(), all);
    keys(&mut a, "m");
    select(&mut a, "payments", "AWS::EKS::Container");
    code(&mut a, KeyCode::Enter);
    keys(&mut a, "f");
    assert!(a.list.only.is_none());
    assert_eq!(a.list.visible.len(), all);
}

fn toasts(app: &App) -> Vec<String> {
    app.toasts.items().iter().map(|t| t.label()).collect()
}

/// Issue 15, item 9: Esc on a filter applied from the map clears it and says what it cleared,
/// as for a filter from the prompt or the palette; `f` too.
#[test]
fn clearing_a_map_filter_says_what_it_cleared() {
    let mut a = app_with(demo(), 80, 24);
    let all = a.list.visible.len();
    keys(&mut a, "m");
    select(&mut a, "payments", "AWS::EKS::Container");
    code(&mut a, KeyCode::Enter);
    assert!(a.list.visible.len() < all);
    code(&mut a, KeyCode::Esc);
    assert!(a.list.only.is_none());
    assert_eq!(a.list.visible.len(), all);
    assert_eq!(toasts(&a), vec!["filter cleared: service(\"payments\")"]);
    // `f` clears it the same way (and does not move on to the quick filter).
    keys(&mut a, "m");
    select(&mut a, "payments", "AWS::EKS::Container");
    code(&mut a, KeyCode::Enter);
    keys(&mut a, "f");
    assert!(a.list.only.is_none());
    assert_eq!(a.list.filter, xray_tui::app::list::QuickFilter::All);
    assert_eq!(
        toasts(&a).last().map(String::as_str),
        Some("filter cleared: service(\"payments\") ×2")
    );
}

#[test]
fn enter_on_an_edge_lists_the_traces_with_that_call() {
    let mut a = app_with(demo(), 160, 48);
    keys(&mut a, "m");
    select(&mut a, "checkout", "AWS::Lambda::Function");
    let target = |a: &App| {
        let m = a.map.as_ref().expect("open");
        let r = &m.layout.edges[m.edge.expect("an edge is selected")];
        m.graph.services[r.to].name.clone().unwrap_or_default()
    };
    let outs = {
        let m = a.map.as_ref().expect("open");
        m.layout
            .edges
            .iter()
            .filter(|e| e.from == m.selected)
            .count()
    };
    let mut found = false;
    for _ in 0..outs {
        keys(&mut a, "e");
        if target(&a) == "payments" {
            found = true;
            break;
        }
    }
    assert!(found, "checkout calls payments");
    assert!(render(&a).contains("call → payments"));
    code(&mut a, KeyCode::Enter);
    assert_eq!(a.mode, Mode::List);
    let only = a.list.only.as_ref().expect("filtered");
    assert_eq!(only.label, "edge(\"checkout\", \"payments\")");
    let traces = visible_traces(&a);
    assert!(!traces.is_empty());
    for t in &traces {
        assert!(
            service::calls(t)
                .iter()
                .any(|c| c.from.name == "checkout" && c.to.name == "payments"),
            "{} has no checkout → payments call",
            t.id
        );
    }
    // After the last outgoing edge, e selects none again.
    keys(&mut a, "m");
    select(&mut a, "checkout", "AWS::Lambda::Function");
    keys(&mut a, &"e".repeat(outs + 1));
    assert_eq!(a.map.as_ref().expect("open").edge, None);
}

#[test]
fn trace_map_shows_the_open_trace_and_esc_goes_back_to_it() {
    let mut a = app_with(demo(), 80, 24);
    keys(&mut a, "fg\n");
    let id = a.view.as_ref().expect("open").trace.id.clone();
    keys(&mut a, "m");
    assert_eq!(a.mode, Mode::Map);
    let m = a.map.as_ref().expect("map open");
    assert_eq!(m.trace_id.as_deref(), Some(id.as_str()));
    let trace = a.view.as_ref().expect("still open").trace.clone();
    assert_eq!(
        m.graph.services.len(),
        xray_tui::engine::service_graph([&*trace]).services.len()
    );
    assert!(render(&a).contains(&format!("Trace map {id}")));
    code(&mut a, KeyCode::Esc);
    assert_eq!(a.mode, Mode::Trace);
    assert_eq!(a.view.as_ref().expect("open").trace.id, id);
    keys(&mut a, "mq");
    assert_eq!(a.mode, Mode::Trace);
}

#[test]
fn resize_keeps_the_selection_in_view() {
    let mut a = app_with(demo(), 160, 48);
    keys(&mut a, "m");
    select(&mut a, "shop-payments", "AWS::DynamoDB::Table");
    a.update(Event::Resize(80, 24));
    let m = a.map.as_ref().expect("open");
    let b = &m.layout.boxes[m.selected];
    let (w, h) = xray_tui::app::map::canvas_size(a.size, m.view.panel);
    assert!(b.x >= m.offset.0 && b.x + b.w <= m.offset.0 + w);
    assert!(b.y >= m.offset.1 && b.y + b.h <= m.offset.1 + h);
}

#[test]
fn list_80x24_after_enter_on_payments() {
    let mut a = app_with(demo(), 80, 24);
    keys(&mut a, "m");
    select(&mut a, "payments", "AWS::EKS::Container");
    code(&mut a, KeyCode::Enter);
    insta::assert_snapshot!(render(&a));
}

#[test]
fn map_demo_250x60_whole_graph() {
    let mut a = app_with(demo(), 250, 60);
    keys(&mut a, "m");
    insta::assert_snapshot!(render(&a));
}

/// The drawing's area on the app's terminal, with the map's panel setting.
fn canvas(app: &App) -> (usize, usize) {
    let m = app.map.as_ref().expect("map open");
    xray_tui::app::map::canvas_size(app.size, m.view.panel)
}

#[test]
fn the_whole_demo_map_fits_at_160_and_220_columns() {
    for (w, h) in [(160, 48), (220, 50)] {
        let mut a = app_with(demo(), w, h);
        keys(&mut a, "m");
        let m = a.map.as_ref().expect("map open");
        let view = canvas(&a);
        assert!(
            m.layout.width <= view.0 && m.layout.height <= view.1,
            "{w}x{h}: {}x{} in {view:?}",
            m.layout.width,
            m.layout.height
        );
        assert_eq!(m.outside(view), [0; 4], "{w}x{h}");
        let text = render(&a);
        for i in 0..m.graph.services.len() {
            let shown = first_line_of_box(&a, i);
            let name = xray_tui::app::map::node_name(&m.graph.services[i]);
            assert!(
                shown.chars().count() >= 5 && name.starts_with(&shown),
                "{w}x{h}: {name} drawn as {shown:?}\n{text}"
            );
        }
        assert!(!text.contains("◀ ") && !text.contains(" ▶\""), "no markers");
    }
}

/// The text on the first inner row of node `i`'s box as rendered, without a trailing `…`.
fn first_line_of_box(app: &App, i: usize) -> String {
    let m = app.map.as_ref().expect("map open");
    let b = &m.layout.boxes[i];
    let text = render(app);
    let rows: Vec<Vec<char>> = text
        .lines()
        .map(|l| l.trim_matches('"').chars().collect())
        .collect();
    // The header is the first row of the screen.
    let row = &rows[1 + b.y + 1 - m.offset.1];
    let x = b.x + 1 - m.offset.0;
    let shown: String = row[x..x + b.w - 2].iter().collect();
    shown.trim_end().trim_end_matches('…').to_owned()
}

#[test]
fn z_switches_between_fitted_and_full_size_boxes() {
    let mut a = app_with(demo(), 160, 48);
    keys(&mut a, "m");
    assert!(a.map.as_ref().expect("open").options.is_compact());
    keys(&mut a, "z");
    let m = a.map.as_ref().expect("open");
    assert!(!m.options.is_compact());
    assert!(m.layout.width > canvas(&a).0, "full size does not fit");
    assert!(m.shows(m.selected, canvas(&a)));
    // Kept for the next map.
    keys(&mut a, "qm");
    assert!(!a.map.as_ref().expect("open").options.is_compact());
    keys(&mut a, "z");
    assert!(a.map.as_ref().expect("open").options.is_compact());
}

#[test]
fn map_demo_80x24_marks_the_nodes_outside_the_view() {
    let mut a = app_with(demo(), 80, 24);
    keys(&mut a, "m");
    let m = a.map.as_ref().expect("map open");
    let [left, right, up, down] = m.outside(canvas(&a));
    assert_eq!((left, up), (0, 0), "opens at the left and top");
    assert!(right > 0 && down > 0);
    let text = render(&a);
    assert!(text.contains(&format!("{right} ▶")), "{text}");
    assert!(text.contains(&format!("▼ {down}")), "{text}");
    // Scrolled to the far right, the markers turn round.
    keys(&mut a, "llllllll");
    let m = a.map.as_ref().expect("map open");
    let [left, ..] = m.outside(canvas(&a));
    assert!(left > 0);
    assert!(render(&a).contains(&format!("◀ {left}")));
}

#[test]
fn every_node_scrolls_into_view_when_selected() {
    let mut a = app_with(demo(), 80, 24);
    keys(&mut a, "m");
    let n = a.map.as_ref().expect("open").graph.services.len();
    for _ in 0..n {
        code(&mut a, KeyCode::Tab);
        let m = a.map.as_ref().expect("open");
        assert!(m.shows(m.selected, canvas(&a)), "{:?}", m.offset);
        let name = xray_tui::app::map::node_name(&m.graph.services[m.selected]);
        let shown = first_line_of_box(&a, m.selected);
        assert!(
            shown.chars().count() >= 5 && name.starts_with(&shown),
            "{shown}"
        );
    }
    // g goes back to the entry point, at the left.
    keys(&mut a, "g");
    let m = a.map.as_ref().expect("open");
    assert_eq!(m.offset.0, 0);
    assert_eq!(Some(&m.selected), m.layout.reading_order().first());
}

#[test]
fn the_trace_map_opens_on_the_entry_point() {
    let mut a = app_with(demo(), 80, 24);
    keys(&mut a, "fg\nm");
    let m = a.map.as_ref().expect("map open");
    let view = canvas(&a);
    assert_eq!(m.offset, (0, 0));
    let clients: Vec<usize> = (0..m.graph.services.len())
        .filter(|&i| m.graph.services[i].kind.as_deref() == Some("client"))
        .collect();
    assert!(!clients.is_empty());
    for i in clients {
        assert!(m.shows(i, view), "client {i} off screen");
    }
    assert!(m.shows(m.selected, view));
}

#[test]
fn p_hides_the_panel_and_the_map_takes_its_room() {
    let mut a = app_with(demo(), 160, 48);
    keys(&mut a, "m");
    let before = a.map.as_ref().expect("open").options;
    keys(&mut a, "p");
    let m = a.map.as_ref().expect("open");
    assert!(!m.view.panel);
    assert_eq!(canvas(&a).0, 160);
    assert!(m.options.max_inner > before.max_inner, "roomier boxes");
    assert_eq!(m.outside(canvas(&a)), [0; 4]);
    let text = render(&a);
    assert!(!text.contains("next call out"), "{text}");
    insta::assert_snapshot!("map_demo_160x48_no_panel", text);
    keys(&mut a, "p");
    assert!(render(&a).contains("next call out"));
}

#[test]
fn map_80x24_no_panel() {
    let mut a = app_with(demo(), 80, 24);
    keys(&mut a, "mp");
    insta::assert_snapshot!(render(&a));
}

#[test]
fn the_header_says_what_the_map_is_drawn_from() {
    let mut a = app_with(demo(), 160, 48);
    keys(&mut a, "m");
    assert!(render(&a).contains("from 387 traces: 19 nodes, 24 edges"));
    // One trace with its documents, one summary without.
    let data = load(&SourceArgs {
        files: vec![
            format!(
                "{}/tests/fixtures/derived/summaries-cli-v2-iso.json",
                env!("CARGO_MANIFEST_DIR")
            ),
            format!("{}/{BLOCK07}", env!("CARGO_MANIFEST_DIR")),
        ],
        ..Default::default()
    });
    assert_eq!((data.rows.len(), data.traces.len()), (2, 1));
    let mut a = app_with(data, 160, 48);
    keys(&mut a, "m");
    let text = render(&a);
    assert!(
        text.contains("from 1 of 2 traces (1 summary only, not drawn): 6 nodes"),
        "{text}"
    );
}
