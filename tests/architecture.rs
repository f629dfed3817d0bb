//! The import rules of `docs/architecture.md`, enforced: every `crate::` path in `src/` is read
//! and checked against the layer table below. A new import that breaks a rule fails here with
//! the file and line, before it becomes a habit.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module and the top-level modules it may use. Lower layers first: the core
/// (`model`, `engine`, `filter`) knows no source, no UI, no CLI; nothing imports `cli`.
const LAYERS: &[(&str, &[&str])] = &[
    ("paths", &[]),
    ("model", &[]),
    ("engine", &["model"]),
    ("filter", &["model", "engine"]),
    ("keys", &[]),
    ("config", &["model", "filter", "keys"]),
    ("source", &["model", "engine", "filter", "paths"]),
    (
        "app",
        &["model", "engine", "filter", "config", "keys", "source"],
    ),
    (
        "ui",
        &[
            "model", "engine", "filter", "config", "keys", "source", "app",
        ],
    ),
    (
        "runtime",
        &[
            "model", "engine", "filter", "config", "keys", "source", "app", "ui", "paths",
        ],
    ),
    (
        "cli",
        &[
            "model", "engine", "filter", "config", "keys", "source", "app", "ui", "paths",
            "runtime",
        ],
    ),
];

/// The sources themselves: the app and the UI see sources only through the seam's vocabulary
/// (`crate::source::{Request, Update, ...}`), never a source's own module.
const SOURCE_INTERNALS: &[&str] = &["aws", "daemon", "file", "load", "otlp"];

/// What no-I/O modules must not touch (checked outside their `#[cfg(test)]` parts).
const IO: &[&str] = &[
    "std::fs",
    "std::net",
    "std::process",
    "std::thread",
    "std::io::stdout",
    "std::io::stdin",
    "tokio::",
    "SystemTime::now",
    "Instant::now",
];

/// Modules that do no I/O and read no clock.
const NO_IO: &[&str] = &["model", "engine", "filter", "app", "ui"];

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read src") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file belongs to (`src/source/aws/live.rs` -> `source`); `None` for
/// `lib.rs` and `main.rs`.
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts = rel.components();
    let first = parts.next()?.as_os_str().to_string_lossy().into_owned();
    if parts.next().is_some() {
        return Some(first);
    }
    let stem = first.trim_end_matches(".rs");
    (stem != "lib" && stem != "main").then(|| stem.to_owned())
}

/// The code of a file without comments and without its `#[cfg(test)]` tail, line by line.
fn code_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            break;
        }
        if t.starts_with("//") {
            continue;
        }
        // A trailing comment (not inside a string: good enough for import paths).
        let code = match line.find("//") {
            Some(at) if line[..at].matches('"').count() % 2 == 0 => &line[..at],
            _ => line,
        };
        out.push((i + 1, code.to_owned()));
    }
    out
}

/// The `crate::a::b` paths a line names: `(a, b)`.
fn crate_paths(line: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // e.g. `xray_tui_crate::`
        }
        let ident = |s: &str| -> String {
            s.chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect()
        };
        let first = ident(rest);
        let after = &rest[first.len()..];
        let second = after
            .strip_prefix("::")
            .map(ident)
            .filter(|s| !s.is_empty());
        // `use crate::{a, b::c}`: every item of the group.
        if first.is_empty() && rest.starts_with('{') {
            let group: String = rest[1..].chars().take_while(|c| *c != '}').collect();
            for item in group.split(',') {
                let mut it = item.trim().split("::");
                if let Some(a) = it.next().filter(|a| !a.is_empty()) {
                    out.push((
                        a.to_owned(),
                        it.next().map(|s| ident(s.trim_start_matches('{'))),
                    ));
                }
            }
            continue;
        }
        if !first.is_empty() {
            out.push((first, second));
        }
    }
    out
}

struct Violation {
    file: String,
    line: usize,
    why: String,
}

fn check() -> (Vec<Violation>, BTreeMap<String, BTreeSet<String>>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rs_files(&src, &mut files);
    files.sort();
    let layers: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    let mut violations = Vec::new();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let Some(module) = top_module(&src, file) else {
            continue;
        };
        let name = file
            .strip_prefix(src.parent().expect("root"))
            .expect("in the repo")
            .display()
            .to_string();
        let Some(allowed) = layers.get(module.as_str()) else {
            violations.push(Violation {
                file: name,
                line: 1,
                why: format!("module `{module}` has no row in the layer table"),
            });
            continue;
        };
        let text = std::fs::read_to_string(file).expect("read");
        for (line, code) in code_lines(&text) {
            for (target, second) in crate_paths(&code) {
                if target == module {
                    continue;
                }
                graph
                    .entry(module.clone())
                    .or_default()
                    .insert(target.clone());
                if !allowed.contains(&target.as_str()) {
                    violations.push(Violation {
                        file: name.clone(),
                        line,
                        why: format!("`{module}` may not use `crate::{target}`"),
                    });
                }
                if (module == "app" || module == "ui")
                    && target == "source"
                    && second
                        .as_deref()
                        .is_some_and(|s| SOURCE_INTERNALS.contains(&s))
                {
                    violations.push(Violation {
                        file: name.clone(),
                        line,
                        why: format!(
                            "`{module}` sees sources only through the seam, not `crate::source::{}`",
                            second.unwrap_or_default()
                        ),
                    });
                }
            }
            if NO_IO.contains(&module.as_str()) {
                for io in IO {
                    if code.contains(io) {
                        violations.push(Violation {
                            file: name.clone(),
                            line,
                            why: format!("`{module}` does no I/O and reads no clock: `{io}`"),
                        });
                    }
                }
            }
        }
    }
    (violations, graph)
}

#[test]
fn every_import_follows_the_layer_rules() {
    let (violations, _) = check();
    let report: Vec<String> = violations
        .iter()
        .map(|v| format!("{}:{}: {}", v.file, v.line, v.why))
        .collect();
    assert!(
        report.is_empty(),
        "import rules broken (docs/architecture.md):\n{}",
        report.join("\n")
    );
}

#[test]
fn the_modules_form_no_cycle() {
    let (_, graph) = check();
    // Depth-first search with colours; a grey node reached again closes a cycle.
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(n) {
            Some(1) => {
                let at = path.iter().position(|p| p == n).unwrap_or(0);
                let mut cycle = path[at..].to_vec();
                cycle.push(n.to_owned());
                return Some(cycle);
            }
            Some(2) => return None,
            _ => {}
        }
        state.insert(n.to_owned(), 1);
        path.push(n.to_owned());
        for m in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, graph, state, path) {
                return Some(c);
            }
        }
        path.pop();
        state.insert(n.to_owned(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if let Some(cycle) = visit(n, &graph, &mut state, &mut Vec::new()) {
            panic!("modules import each other: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn the_checker_sees_what_it_must() {
    // The parser of the checker itself: a broken one would let every rule pass.
    assert_eq!(
        crate_paths("use crate::source::aws::live::Fetcher;"),
        [("source".to_owned(), Some("aws".to_owned()))]
    );
    assert_eq!(
        crate_paths("use crate::{model::Trace, engine};"),
        [
            ("model".to_owned(), Some("Trace".to_owned())),
            ("engine".to_owned(), None)
        ]
    );
    let code = code_lines("let x = crate::cli::run(); // crate::ui in a comment");
    assert_eq!(
        crate_paths(&code[0].1),
        [("cli".to_owned(), Some("run".to_owned()))]
    );
    let lines = code_lines(
        "use a;\n// crate::cli\nfn f() {}\n#[cfg(test)]\nmod tests { use crate::cli; }\n",
    );
    assert_eq!(lines.len(), 2);
    let (_, graph) = check();
    assert!(
        graph.get("cli").is_some_and(|g| g.contains("runtime")),
        "the checker must see cli -> runtime"
    );
    assert!(graph.get("app").is_some_and(|g| g.contains("source")));
}
