//! Deep traces (issue 14 item 2): a chain of 100,000 separately sent subsegments, each the
//! child of the one before, goes through every command, the app's export and the trace view's
//! drawing without overflowing the stack. In-process checks run on a thread with the default
//! 2 MiB test stack (no `RUST_MIN_STACK`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use xray_tui::app::{App, Cmd, Event, LoadState};
use xray_tui::cli::SourceArgs;
use xray_tui::source::{Loaded, Request, Update};

const DEPTH: usize = 100_000;
const TRACE_ID: &str = "1-5f000000-000000000000000000000001";

fn temp_dir(name: &str) -> PathBuf {
    let d = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("xray-tui-deep-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// NDJSON: one root segment and `depth` subsegments sent on their own, each under the last.
fn chain(dir: &Path, depth: usize) -> PathBuf {
    let mut s = String::with_capacity(depth * 200);
    s.push_str(&format!(
        "{{\"id\":\"a000000000000000\",\"name\":\"root\",\"trace_id\":\"{TRACE_ID}\",\
         \"start_time\":1600000000.0,\"end_time\":1600000010.0}}\n"
    ));
    let mut prev = "a000000000000000".to_owned();
    for i in 0..depth {
        let id = format!("{:016x}", i + 1);
        s.push_str(&format!(
            "{{\"id\":\"{id}\",\"name\":\"s{i}\",\"type\":\"subsegment\",\"trace_id\":\"{TRACE_ID}\",\
             \"parent_id\":\"{prev}\",\"start_time\":{},\"end_time\":1600000001.0}}\n",
            1_600_000_000.0 + i as f64 * 1e-5
        ));
        prev = id;
    }
    let path = dir.join("chain.ndjson");
    std::fs::write(&path, s).expect("chain written");
    path
}

fn run(file: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_xray-tui"))
        .arg("--file")
        .arg(file)
        .args(args)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{args:?}: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `f` on a thread with the default 2 MiB stack of a test thread.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .expect("thread")
        .join()
        .expect("no panic, no overflow");
}

fn load(path: &Path) -> xray_tui::engine::dataset::Dataset {
    let source = SourceArgs {
        files: vec![path.display().to_string()],
        ..Default::default()
    };
    xray_tui::cli::load(&source, &mut std::io::sink()).expect("loads")
}

#[test]
fn a_100k_deep_chain_goes_through_every_command_and_reads_back() {
    let dir = temp_dir("commands");
    let file = chain(&dir, DEPTH);

    let table = run(&file, &["query"]);
    assert!(String::from_utf8_lossy(&table.stdout).contains(TRACE_ID));
    let summaries = run(&file, &["query", "--format", "json"]).stdout;

    let text = run(&file, &["trace", "--all", "--format", "text"]).stdout;
    let text = String::from_utf8_lossy(&text);
    assert!(text.lines().count() > DEPTH, "every subsegment has a row");
    assert!(
        text.len() < DEPTH * 400,
        "linear output: {} bytes",
        text.len()
    );

    let json = run(&file, &["trace", "--all", "--format", "json"]).stdout;
    let written = dir.join("trace.json");
    std::fs::write(&written, &json).expect("written");
    let again = run(&written, &["query", "--format", "json"]).stdout;
    assert_eq!(
        String::from_utf8_lossy(&again),
        String::from_utf8_lossy(&summaries),
        "trace --format json reads back as the same trace"
    );

    let graph = run(&file, &["graph", "--format", "json"]).stdout;
    assert!(String::from_utf8_lossy(&graph).contains("root"));

    // The analysis commands walk the same tree.
    let critical = run(&file, &["trace", TRACE_ID, "--critical-path"]).stdout;
    assert!(
        String::from_utf8_lossy(&critical).contains("s99999"),
        "the deepest call is on the path"
    );
    let stats = run(&file, &["trace", TRACE_ID, "--stats"]).stdout;
    assert!(String::from_utf8_lossy(&stats).contains("s0"));
    let diff = run(&file, &["diff", TRACE_ID, TRACE_ID]).stdout;
    assert!(!diff.is_empty());
    let analysis = run(&file, &["analyze", "--by", "service", "--format", "json"]).stdout;
    assert!(
        String::from_utf8_lossy(&analysis).contains("root"),
        "analyze --by service"
    );

    on_small_stack(move || {
        let back = load(&written);
        assert_eq!(back.traces.len(), 1);
        assert_eq!(back.traces.get(0).unwrap().nodes.len(), DEPTH + 1);
        let max_depth = back
            .traces
            .get(0)
            .unwrap()
            .nodes
            .iter()
            .map(|n| n.depth)
            .max();
        assert_eq!(max_depth, Some(DEPTH as u32));
    });
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_app_opens_draws_and_exports_a_100k_deep_chain() {
    let dir = temp_dir("app");
    let file = chain(&dir, DEPTH);
    on_small_stack(move || {
        let data = Arc::new(load(&file));
        let mut app = App::new("deep", Rect::new(0, 0, 120, 40));
        let cmds = app.start_load();
        assert_eq!(cmds, vec![Cmd::Source(Request::Load { generation: 1 })]);
        app.update(Event::Source(Update::Loaded(Loaded {
            generation: 1,
            result: Ok(data),
        })));
        assert_eq!(app.load, LoadState::Loaded);
        app.update(Event::Key(KeyEvent::new(
            KeyCode::Enter,
            KeyModifiers::NONE,
        )));
        let nodes = app.view.as_ref().expect("open").trace.nodes.len();
        assert_eq!(nodes, DEPTH + 1);
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("test terminal");
        terminal
            .draw(|f| xray_tui::ui::draw(f, &app))
            .expect("draw");
        // The last row, 100,000 levels down.
        app.update(Event::Key(KeyEvent::new(KeyCode::End, KeyModifiers::NONE)));
        terminal
            .draw(|f| xray_tui::ui::draw(f, &app))
            .expect("draw");

        let cmds = app.update(Event::Key(KeyEvent::new(
            KeyCode::Char('x'),
            KeyModifiers::NONE,
        )));
        let [Cmd::Export(export)] = &cmds[..] else {
            panic!("{cmds:?}")
        };
        let out = dir.join("out");
        std::fs::create_dir_all(&out).expect("dir");
        let path = xray_tui::runtime::effects::write_export(export, &out).expect("written");
        let back = load(&path);
        assert_eq!(back.traces.len(), 1);
        assert_eq!(back.traces.get(0).unwrap().nodes.len(), DEPTH + 1);
        let _ = std::fs::remove_dir_all(&dir);
    });
}

/// One document with `levels` levels of nested subsegments, as one NDJSON line.
fn nested_document(id_prefix: char, trace: &str, levels: usize) -> String {
    let mut s = format!(
        "{{\"id\":\"{id_prefix}000000000000000\",\"name\":\"root\",\"trace_id\":\"{trace}\",\
         \"start_time\":1600000000.0,\"end_time\":1600000010.0"
    );
    for i in 0..levels {
        s.push_str(&format!(
            ",\"subsegments\":[{{\"id\":\"{id_prefix}{:015x}\",\"name\":\"n{i}\",\
             \"start_time\":1600000000.0,\"end_time\":1600000001.0",
            i + 1
        ));
    }
    for _ in 0..levels {
        s.push_str("}]");
    }
    s.push('}');
    s
}

/// Issue 14 item 3: 1,000 nested levels load and read back; deeper than the limit is a located
/// warning naming the depth, and the rest of the file still loads.
#[test]
fn a_thousand_nested_levels_load_and_deeper_is_a_located_warning() {
    let dir = temp_dir("nested");
    let ok = "1-5f000000-000000000000000000000002";
    let deep = "1-5f000000-000000000000000000000003";
    let file = dir.join("nested.ndjson");
    let text = format!(
        "{}\n{}\n",
        nested_document('b', deep, 1_500),
        nested_document('c', ok, 1_000)
    );
    std::fs::write(&file, text).expect("written");

    let file2 = file.clone();
    on_small_stack(move || {
        let mut warnings = Vec::new();
        let source = SourceArgs {
            files: vec![file2.display().to_string()],
            ..Default::default()
        };
        let data = xray_tui::cli::load(&source, &mut warnings).expect("loads");
        let warnings = String::from_utf8_lossy(&warnings).into_owned();
        assert_eq!(data.traces.len(), 1, "{warnings}");
        assert_eq!(data.traces.get(0).unwrap().id, ok);
        assert_eq!(data.traces.get(0).unwrap().nodes.len(), 1_001);
        assert!(
            warnings.contains("nested.ndjson:1:1")
                && warnings.contains("subsegments nested 1500 levels deep"),
            "{warnings}"
        );
    });

    // `trace --format json` writes it so that it reads back as the same trace.
    let summaries = run(&file, &["query", "--format", "json"]).stdout;
    let json = run(&file, &["trace", "--all", "--format", "json"]).stdout;
    let written = dir.join("trace.json");
    std::fs::write(&written, &json).expect("written");
    let again = run(&written, &["query", "--format", "json"]).stdout;
    assert_eq!(
        String::from_utf8_lossy(&again),
        String::from_utf8_lossy(&summaries)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Metadata nested close to its limit (127 levels) is drawn in the details pane, exported and printed on a
/// 2 MiB stack.
#[test]
fn metadata_nested_near_the_limit_is_drawn_and_exported() {
    let dir = temp_dir("metadata");
    let levels = 120;
    let doc = format!(
        "{{\"id\":\"d000000000000000\",\"name\":\"root\",\"trace_id\":\"1-5f000000-000000000000000000000004\",\
         \"start_time\":1600000000.0,\"end_time\":1600000010.0,\"metadata\":{{\"deep\":{}1{}}}}}\n",
        "{\"a\":".repeat(levels),
        "}".repeat(levels)
    );
    let file = dir.join("metadata.ndjson");
    std::fs::write(&file, doc).expect("written");
    let json = run(&file, &["trace", "--all", "--format", "json"]).stdout;
    assert!(!json.is_empty());
    on_small_stack(move || {
        let data = Arc::new(load(&file));
        assert_eq!(data.traces.len(), 1);
        let mut app = App::new("deep", Rect::new(0, 0, 120, 40));
        app.start_load();
        app.update(Event::Source(Update::Loaded(Loaded {
            generation: 1,
            result: Ok(data),
        })));
        app.update(Event::Key(KeyEvent::new(
            KeyCode::Enter,
            KeyModifiers::NONE,
        )));
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("test terminal");
        // The annotations and metadata tab.
        app.update(Event::Key(KeyEvent::new(
            KeyCode::Char('4'),
            KeyModifiers::NONE,
        )));
        terminal
            .draw(|f| xray_tui::ui::draw(f, &app))
            .expect("draw");
        let cmds = app.update(Event::Key(KeyEvent::new(
            KeyCode::Char('x'),
            KeyModifiers::NONE,
        )));
        if let [Cmd::Export(export)] = &cmds[..] {
            let out = dir.join("out");
            std::fs::create_dir_all(&out).expect("dir");
            let path = xray_tui::runtime::effects::write_export(export, &out).expect("written");
            assert_eq!(load(&path).traces.len(), 1);
        }
        let _ = std::fs::remove_dir_all(&dir);
    });
}
