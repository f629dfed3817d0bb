//! Wide characters (issue 15, item 3): service and subsegment names in Japanese and with
//! emoji take two cells a character. Every screen that pads, cuts or aligns must measure cells,
//! not characters, or the DURATION, STATUS and bar columns shift by a cell per wide character
//! and map boxes spill into their neighbours. Snapshots at 80x24 and 160x48, and the headless
//! `trace` and `graph` text. Data: `tests/fixtures/derived/wide-names.ndjson`.

#[path = "support/answer.rs"]
mod answer;

use std::process::Command;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use xray_tui::app::{App, Event};
use xray_tui::cli::SourceArgs;
use xray_tui::model::format::width;
use xray_tui::source::{Loaded, Update};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/derived/wide-names.ndjson"
);
const TRACE: &str = "1-6b055210-0a1b2c3d4e5f60718293a4b5";

fn app(w: u16, h: u16) -> App {
    let source = SourceArgs {
        files: vec![FIXTURE.into()],
        ..Default::default()
    };
    let data = xray_tui::cli::load(&source, &mut std::io::sink()).expect("fixture loads");
    let mut app = App::new("wide", Rect::new(0, 0, w, h));
    app.start_load();
    app.update(Event::Source(Update::Loaded(Loaded {
        generation: 1,
        result: Ok(Arc::new(data)),
    })));
    app
}

fn press(app: &mut App, code: KeyCode) {
    answer::step(app, Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

/// The screen as text, one line a row, wide characters once (the cell after one is blank in
/// the buffer and left out), so that every line is exactly the screen's width in cells.
fn screen(app: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(app.size.width, app.size.height)).expect("term");
    t.draw(|f| xray_tui::ui::draw(f, app)).expect("draw");
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut skip = 0;
        for x in 0..buf.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            skip = width(sym).saturating_sub(1);
            out.push_str(sym);
        }
        out.push('\n');
    }
    out
}

/// Opens the trace with the wide names (the list shows the newest first, or not: find it).
fn open_wide_trace(app: &mut App) {
    for _ in 0..2 {
        let row = app.list.visible.get(app.list.selected).copied();
        let id = row.and_then(|i| {
            app.data
                .as_ref()
                .and_then(|d| d.summary(i))
                .map(|s| s.id.clone())
        });
        if id.as_deref() == Some(TRACE) {
            break;
        }
        press(app, KeyCode::Char('j'));
    }
    press(app, KeyCode::Enter);
}

/// Every row of `text` takes exactly `w` cells.
fn assert_rows_are(text: &str, w: usize) {
    for (i, line) in text.lines().enumerate() {
        assert_eq!(width(line), w, "row {i} is {} cells: {line:?}", width(line));
    }
}

/// The character that starts at cell `col` of `line`, if one does.
fn cell_at(line: &str, col: usize) -> Option<char> {
    let mut at = 0;
    for c in line.chars() {
        if at == col {
            return Some(c);
        }
        at += width(c.encode_utf8(&mut [0; 4]));
        if at > col {
            return None;
        }
    }
    None
}

/// The cell where `needle` starts on each line that has it.
fn columns_of(text: &str, needle: &str) -> Vec<usize> {
    text.lines()
        .filter_map(|l| l.find(needle).map(|i| width(&l[..i])))
        .collect()
}

#[test]
fn list_80x24_and_160x48() {
    for (w, h) in [(80, 24), (160, 48)] {
        let a = app(w, h);
        let s = screen(&a);
        assert_rows_are(&s, usize::from(w));
        insta::assert_snapshot!(format!("wide_list_{w}x{h}"), s);
    }
}

#[test]
fn waterfall_80x24_and_160x48() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut a = app(w, h);
        open_wide_trace(&mut a);
        let s = screen(&a);
        assert_rows_are(&s, usize::from(w));
        // The bars' left edge is one column for every row, whatever the names.
        let edges = columns_of(&s, "│█").len() + columns_of(&s, "│ ").len();
        assert!(edges > 0, "{s}");
        insta::assert_snapshot!(format!("wide_trace_{w}x{h}"), s);
    }
}

#[test]
fn map_160x48() {
    let mut a = app(160, 48);
    press(&mut a, KeyCode::Char('m'));
    let s = screen(&a);
    assert_rows_are(&s, 160);
    assert!(s.contains("注文サービス"), "{s}");
    insta::assert_snapshot!("wide_map_160x48", s);
}

#[test]
fn map_80x24() {
    let mut a = app(80, 24);
    press(&mut a, KeyCode::Char('m'));
    let s = screen(&a);
    assert_rows_are(&s, 80);
    // Each box's right border sits under its top-right corner: no name pushes it over.
    let lines: Vec<&str> = s.lines().collect();
    let mut corners = 0;
    for (row, line) in lines.iter().enumerate() {
        for (i, c) in line.char_indices() {
            if matches!(c, '╮' | '╗') {
                let col = width(&line[..i]);
                let below = lines.get(row + 1).and_then(|l| cell_at(l, col));
                assert!(matches!(below, Some('│' | '║')), "row {row} col {col}\n{s}");
                corners += 1;
            }
        }
    }
    assert_eq!(corners, 5, "a box a node\n{s}");
    assert!(s.contains("注文"), "{s}");
    insta::assert_snapshot!("wide_map_80x24", s);
}

fn ctrl(app: &mut App, c: char) {
    answer::step(
        app,
        Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
    );
}

/// The palette lists services, URLs and annotation values with wide names in their column,
/// each row as wide as the others.
#[test]
fn palette_80x24_and_160x48() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut a = app(w, h);
        ctrl(&mut a, 'p');
        for c in "注文".chars() {
            press(&mut a, KeyCode::Char(c));
        }
        let s = screen(&a);
        assert_rows_are(&s, usize::from(w));
        assert!(s.contains("注文サービス"), "{s}");
        // The palette's right border is one column on every row it draws (the rows with its
        // left border in the column of its top-left corner).
        let left = s
            .lines()
            .find_map(|l| l.find('┌').map(|i| width(&l[..i])))
            .expect("the palette's top border");
        let borders: std::collections::BTreeSet<usize> = s
            .lines()
            .filter(|l| cell_at(l, left) == Some('│'))
            .filter_map(|l| l.rfind('│').map(|i| width(&l[..i])))
            .collect();
        assert_eq!(borders.len(), 1, "{borders:?}\n{s}");
        insta::assert_snapshot!(format!("wide_palette_{w}x{h}"), s);
    }
}

/// The groups list with a group whose name is Japanese and ends in an emoji: its row and its
/// filter column line up with the others'.
#[test]
fn groups_80x24_and_160x48() {
    let config = xray_tui::config::Config::parse(
        "[[groups]]\nname = \"注文の失敗🚨\"\nfilter = 'service(\"注文サービス\") { fault }'\n\n\
         [[groups]]\nname = \"slow\"\nfilter = 'responsetime > 1'\n",
        std::path::Path::new("test.toml"),
    )
    .expect("valid");
    for (w, h) in [(80, 24), (160, 48)] {
        let mut a = app(w, h).with_config(config.clone());
        ctrl(&mut a, 'g');
        assert!(a.overlays.groups().is_some());
        let s = screen(&a);
        assert_rows_are(&s, usize::from(w));
        assert!(s.contains("注文の失敗🚨"), "{s}");
        // The filters start in one column.
        let wide = columns_of(&s, "service(");
        let plain = columns_of(&s, "responsetime");
        assert_eq!(wide.len(), 1, "{s}");
        assert_eq!(wide, plain, "{s}");
        insta::assert_snapshot!(format!("wide_groups_{w}x{h}"), s);
    }
}

fn xray(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_xray-tui"))
        .args(args)
        .args(["--file", FIXTURE])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8")
}

#[test]
fn headless_trace_and_graph_align_in_cells() {
    let trace = xray(&["trace", TRACE]);
    // TIMELINE starts in the same cell on every row of the waterfall.
    let bars = columns_of(&trace, "|");
    assert!(bars.len() >= 7, "{trace}");
    assert!(bars.windows(2).all(|p| p[0] == p[1]), "{bars:?}\n{trace}");
    insta::assert_snapshot!("wide_trace_text", trace);
    let graph = xray(&["graph"]);
    // The TYPE column starts in the same cell on every node row.
    let types: Vec<usize> = graph
        .lines()
        .filter(|l| !l.starts_with(' ') && l.contains("  "))
        .filter_map(|l| {
            let name_end = l.find("  ")?;
            let rest = &l[name_end..];
            let skip = rest.len() - rest.trim_start().len();
            Some(width(&l[..name_end + skip]))
        })
        .collect();
    assert!(types.len() >= 5, "{graph}");
    assert!(types.windows(2).all(|p| p[0] == p[1]), "{types:?}\n{graph}");
    insta::assert_snapshot!("wide_graph_text", graph);
}

/// A checkout that repeats its calls (`tests/fixtures/derived/repeated-calls.ndjson`), for the
/// large-trace tools: runs folded `×N` (`s`), one row per service (`C`), zoom (`z`, `Z`) and
/// the overview strip above the waterfall.
fn repeated_calls(w: u16, h: u16) -> App {
    let source = SourceArgs {
        files: vec![
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/derived/repeated-calls.ndjson"
            )
            .into(),
        ],
        ..Default::default()
    };
    let data = xray_tui::cli::load(&source, &mut std::io::sink()).expect("fixture loads");
    let mut app = App::new("repeated", Rect::new(0, 0, w, h));
    app.start_load();
    app.update(Event::Source(Update::Loaded(Loaded {
        generation: 1,
        result: Ok(Arc::new(data)),
    })));
    press(&mut app, KeyCode::Enter);
    app
}

fn chars(app: &mut App, keys: &str) {
    for c in keys.chars() {
        press(app, KeyCode::Char(c));
    }
}

#[test]
fn runs_folded_80x24_and_160x48() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut a = repeated_calls(w, h);
        chars(&mut a, "s");
        let s = screen(&a);
        assert_rows_are(&s, usize::from(w));
        for run in ["在庫DB 📦 ×6", "顧客DB ×3", "DynamoDB ×4", "runs folded"] {
            assert!(s.contains(run), "{run}\n{s}");
        }
        // A pair stays two rows; the overview strip sits above the axis.
        assert_eq!(s.matches("cache").count(), 2, "{s}");
        assert!(s.contains("OVERVIEW"), "{s}");
        insta::assert_snapshot!(format!("runs_folded_{w}x{h}"), s);
    }
    // Enter on a run shows its members.
    let mut a = repeated_calls(160, 48);
    chars(&mut a, "sj");
    press(&mut a, KeyCode::Enter);
    let s = screen(&a);
    assert!(!s.contains("×6"), "{s}");
    let members = s.lines().filter(|l| l.starts_with("    在庫DB 📦  SELECT"));
    assert_eq!(members.count(), 6, "{s}");
    assert!(s.contains("×4"), "{s}");
    // Enter on one of its members (a leaf) folds that run again, the others stay as they are.
    chars(&mut a, "jjj");
    let at = a.view.as_ref().expect("trace").selected;
    press(&mut a, KeyCode::Enter);
    let s = screen(&a);
    assert!(s.contains("在庫DB 📦 ×6"), "{s}");
    assert!(s.contains("×4"), "{s}");
    let v = a.view.as_ref().expect("trace");
    assert!(v.selected < at, "the run's row is selected");
    assert!(v.selected_row().is_some_and(|r| r.run.is_some()));
}

#[test]
fn by_service_80x24_and_160x48() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut a = repeated_calls(w, h);
        chars(&mut a, "C");
        let s = screen(&a);
        assert_rows_are(&s, usize::from(w));
        assert!(s.contains("by service"), "{s}");
        assert!(!s.contains("cache"), "{s}");
        insta::assert_snapshot!(format!("by_service_{w}x{h}"), s);
    }
    // Enter opens one service: its subsegments show, the other stays folded.
    let mut a = repeated_calls(160, 48);
    chars(&mut a, "Cj");
    press(&mut a, KeyCode::Enter);
    let s = screen(&a);
    assert_eq!(s.matches("顧客DB").count(), 3, "{s}");
    assert!(!s.contains("cache"), "{s}");
}

#[test]
fn zoom_80x24_and_160x48() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut a = repeated_calls(w, h);
        // Runs folded; from the call to 決済 to the run of 顧客DB under it.
        chars(&mut a, "sjjjjzjjz");
        let s = screen(&a);
        assert_rows_are(&s, usize::from(w));
        assert!(s.contains("zoom 95.0ms–175ms of "), "{s}");
        // The queries before the window and the writes after it are marked at the edges.
        assert!(s.contains('◂') && s.contains('▸'), "{s}");
        insta::assert_snapshot!(format!("zoom_{w}x{h}"), s);
        chars(&mut a, "Z");
        assert!(!screen(&a).contains("zoom "), "Z zooms out");
    }
}

/// What `O` copies.
fn related_logs(a: &mut App) -> String {
    let cmds = answer::step(
        a,
        Event::Key(KeyEvent::new(KeyCode::Char('O'), KeyModifiers::NONE)),
    );
    let [xray_tui::app::Cmd::Copy(text)] = cmds.as_slice() else {
        panic!("{cmds:?}");
    };
    text.clone()
}

#[test]
fn related_logs_of_the_selected_service() {
    let mut a = repeated_calls(160, 48);
    let text = related_logs(&mut a);
    // The root's log group; the window is the trace's 209 ms and five minutes either side.
    assert!(
        text.starts_with(
            "aws logs filter-log-events --log-group-name '/ecs/注文API' --start-time \
             1764147400000 --end-time 1764148000209 --filter-pattern \
             '\"1-6b055300-0a1b2c3d4e5f60718293a4c6\"'\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("#logsV2:logs-insights$3FqueryDetail$3D"),
        "{text}"
    );
    // The payment service is a Lambda function: its log group.
    chars(&mut a, "C");
    press(&mut a, KeyCode::Char('j'));
    let text = related_logs(&mut a);
    assert!(
        text.contains("--log-group-name '/aws/lambda/決済サービス'"),
        "{text}"
    );
}

/// A source's own map of the trace (AWS's `GetTraceGraph`) replaces the local one, and keeps
/// the trace's links to other traces (the service's map knows nothing of them).
#[test]
fn the_services_map_of_a_trace_keeps_its_links() {
    use xray_tui::app::Event;
    use xray_tui::source::Update;
    let mut a = repeated_calls(160, 48);
    chars(&mut a, "m");
    let local = a.map.as_ref().expect("map").graph.clone();
    let id = a.view.as_ref().expect("trace").trace.id.clone();
    let linked = |g: &xray_tui::model::ServiceGraph| {
        g.services
            .iter()
            .filter(|s| s.kind.as_deref() == Some(xray_tui::app::map::LINKED_TRACE))
            .count()
    };
    assert_eq!(linked(&local), 1);
    // What the service sends: its nodes, none for linked traces.
    let mut theirs = local.clone();
    theirs
        .services
        .retain(|s| s.kind.as_deref() != Some(xray_tui::app::map::LINKED_TRACE));
    for s in &mut theirs.services {
        s.edges.retain(|e| !xray_tui::app::map::is_link(e));
    }
    theirs.services[0].summary_statistics = None;
    a.update(Event::Source(Update::TraceGraph {
        id,
        result: Ok(theirs),
    }));
    let shown = &a.map.as_ref().expect("map").graph;
    assert_eq!(linked(shown), 1, "the link is still drawn");
    assert!(
        shown.services[0].summary_statistics.is_none(),
        "the service's map shows"
    );
    assert!(
        shown
            .services
            .iter()
            .any(|s| s.edges.iter().any(xray_tui::app::map::is_link))
    );
}

#[test]
fn trace_map_with_a_dashed_link_80x24_and_160x48() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut a = repeated_calls(w, h);
        chars(&mut a, "m");
        let s = screen(&a);
        assert_rows_are(&s, usize::from(w));
        assert!(s.contains('┄') || s.contains('┆'), "{s}");
        insta::assert_snapshot!(format!("trace_map_link_{w}x{h}"), s);
    }
    // Enter on the linked trace's node opens it, or says it is not loaded.
    let mut a = repeated_calls(160, 48);
    chars(&mut a, "m");
    for _ in 0..8 {
        let kind = a
            .map
            .as_ref()
            .and_then(|m| m.node())
            .and_then(|s| s.kind.clone());
        if kind.as_deref() == Some(xray_tui::app::map::LINKED_TRACE) {
            break;
        }
        press(&mut a, KeyCode::Tab);
    }
    let node = a.map.as_ref().and_then(|m| m.node()).expect("a node");
    assert_eq!(node.names, ["1-6b0552ff-0a1b2c3d4e5f60718293a4c7"]);
    press(&mut a, KeyCode::Enter);
    let toasts = format!("{:?}", a.toasts);
    assert!(toasts.contains("is not loaded"), "{toasts}");
}
