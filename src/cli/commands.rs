//! The headless commands (`query`, `trace`, `graph`): load the sources, run the engine, print.
//!
//! Exit status: 0 ok; 2 bad usage or bad filter; 1 runtime failure (nothing could be loaded, a
//! requested trace is missing). Damaged input prints a located warning per bad line or document
//! on stderr and still exits 0 when anything loaded.

use std::io::Write;

use std::mem::ManuallyDrop;

use super::{
    AnalyzeArgs, AnalyzeFormat, CheckArgs, Cli, Command, Failure, FilterCommand, GraphFormat,
    QueryArgs, QueryFormat, SourceArgs, TraceFormat, check, options, report,
};
use crate::config::Config;
use crate::engine::dataset::Dataset;
use crate::engine::{export, graph_text};
use crate::filter::{self, EvalContext, Filter, Verdict};
use crate::model::Trace;
use crate::source::aws::AwsError;
use crate::source::aws::fetch as aws;
use crate::source::load::LoadError;

/// Loads every source named on the command line (files and the demo, or AWS), printing
/// located warnings to `warn`.
pub fn load(source: &SourceArgs, warn: &mut dyn Write) -> Result<Dataset, Failure> {
    if options::is_aws(source) {
        let ask = options::ask(source).map_err(aws_failure)?;
        return aws::load(&ask, aws::Need::Query { filter: None }, warn).map_err(aws_failure);
    }
    crate::source::load::load(&options::files(source), warn).map_err(|e| match e {
        LoadError::Io(e) => Failure::Io(e),
        LoadError::Empty(m) => Failure::Runtime(m),
    })
}

/// The configuration named on the command line (or found in the usual places); a broken one is
/// a usage error (exit 2) that names the file and the key.
pub fn config(cli: &Cli) -> Result<Config, Failure> {
    // Key bindings are checked as the config is read, so every command reports a broken
    // `[keys]` table.
    Config::load(cli.config.as_deref()).map_err(|e| Failure::Usage(e.to_string()))
}

/// Adds the config's local groups to the loaded ones (a group loaded from a file wins).
fn add_local_groups(data: &mut Dataset, config: &Config) {
    for g in config.groups() {
        if !data.groups.iter().any(|x| x.group_name == g.group_name) {
            data.groups.push(g);
        }
    }
}

/// Runs a headless command (`query`, `trace`, `graph`, `filter`), writing results to `out`
/// and diagnostics to `err`. The loaded data is not freed (the process ends next; freeing it
/// only delays the exit), so call it once per process.
pub fn run_command(
    cli: &Cli,
    command: &Command,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Failure> {
    let config = config(cli)?;
    // The config's `[defaults]` fill what the command line left unset.
    let source = &cli.source.with_defaults(&config.defaults);
    if let Command::Filter(FilterCommand::Check { expr }) = command {
        let expr = config.expand(expr).map_err(Failure::Usage)?;
        let parsed = parse_filter(expr, err)?;
        if source.demo || !source.files.is_empty() {
            let mut data = load(source, err)?;
            add_local_groups(&mut data, &config);
            check_groups(&parsed, expr, &data)?;
        } else if !config.groups.is_empty() {
            let mut data = Dataset::default();
            add_local_groups(&mut data, &config);
            check_groups(&parsed, expr, &data)?;
        }
        writeln!(out, "{parsed}")?;
        return Ok(());
    }
    // A saved filter's name (`@slow`) stands for its expression.
    let filter_text: Option<String> = match command {
        Command::Query(QueryArgs { filter, .. })
        | Command::Analyze(AnalyzeArgs { filter, .. })
        | Command::Check(CheckArgs { filter, .. }) => filter
            .as_deref()
            .map(|e| config.expand(e).map(str::to_owned))
            .transpose()
            .map_err(Failure::Usage)?,
        _ => None,
    };
    // A bad expression is reported before anything is loaded or asked of AWS.
    let checks = match command {
        Command::Check(c) => Some(check::Checks::parse(c, &config, err)?),
        _ => None,
    };
    let filter = filter_text
        .as_deref()
        .map(|e| parse_filter(e, err))
        .transpose()?;
    if options::is_aws(source) {
        // AWS source: the service evaluates the expression (passed unchanged after the local
        // check above); the output code below is shared.
        let need = match command {
            Command::Query(_) | Command::Analyze(_) | Command::Check(_) => aws::Need::Query {
                filter: filter_text.clone(),
            },
            Command::Trace(t) if t.all => aws::Need::AllTraces,
            Command::Trace(t) => aws::Need::Traces(t.ids.iter().map(|i| trace_id_of(i)).collect()),
            Command::Diff(d) => aws::Need::Traces(vec![trace_id_of(&d.a), trace_id_of(&d.b)]),
            Command::Graph(_) => aws::Need::Graph,
            Command::Filter(_) | Command::Listen(_) => return Ok(()),
        };
        let ask = options::ask(source).map_err(aws_failure)?;
        let data = ManuallyDrop::new(aws::load(&ask, need, err).map_err(aws_failure)?);
        let all: Vec<usize> = (0..data.rows.len()).collect();
        if let Some(checks) = &checks {
            return checks.run(&data, &all, out, err);
        }
        return output(command, &data, &all, out, err);
    }
    // The process ends right after the output: tearing a large dataset down (millions of small
    // allocations) would only delay the exit, so it is left to the OS.
    let mut data = ManuallyDrop::new(load(source, err)?);
    add_local_groups(&mut data, &config);
    let selected: Vec<usize> = match (&filter, command) {
        (Some(f), Command::Query(_) | Command::Analyze(_) | Command::Check(_)) => {
            let expr = filter_text.as_deref().unwrap_or_default();
            check_groups(f, expr, &data)?;
            select(f, &data, err)?
        }
        _ => (0..data.rows.len()).collect(),
    };
    if let Some(checks) = &checks {
        return checks.run(&data, &selected, out, err);
    }
    output(command, &data, &selected, out, err)
}

/// The trace an argument of `trace` names: a trace ID in either spelling (X-Ray `1-…` or 32
/// hex digits, or a part of one), or a tracing header (`Root=1-...;Parent=...`, a W3C
/// `traceparent`) pasted as it is. AWS is asked for the X-Ray spelling.
fn trace_id_of(arg: &str) -> String {
    let id = crate::model::header::parse(arg).map_or_else(|| arg.trim().to_owned(), |r| r.trace_id);
    crate::model::header::xray_form(&id).unwrap_or(id)
}

/// `rows` newest first, as the app's list shows them: by start time, then by ID, both
/// descending; rows without a start time last.
fn newest_first_order(data: &Dataset, rows: &[usize]) -> Vec<usize> {
    let mut out: Vec<usize> = rows
        .iter()
        .copied()
        .filter(|&i| i < data.rows.len())
        .collect();
    out.sort_by(|&a, &b| crate::model::row::Row::by_start(&data.rows[b], &data.rows[a]));
    out
}

/// For `trace --format json`: the entity each tracing header names, one object per trace
/// (`TraceId`, the header's `Parent`, and the entity's `Name` and `Kind`, or `null` for both
/// when no entity of the trace has that ID).
fn header_parents(
    found: &[std::sync::Arc<Trace>],
    parents: &std::collections::HashMap<String, String>,
) -> serde_json::Value {
    let each: Vec<serde_json::Value> = found
        .iter()
        .filter_map(|tr| {
            let p = parents.get(&tr.id)?;
            let node = tr.node_with_id(p).map(|n| &tr.nodes[n]);
            Some(serde_json::json!({
                "TraceId": tr.id,
                "Parent": p,
                "Name": node.map(|n| n.doc.name.clone()),
                "Kind": node.map(|n| match n.kind {
                    crate::model::NodeKind::Segment => "segment",
                    crate::model::NodeKind::Subsegment => "subsegment",
                }),
            }))
        })
        .collect();
    serde_json::Value::Array(each)
}

/// Prints a command's result: `selected` are the rows selected for `query`.
fn output(
    command: &Command,
    data: &Dataset,
    selected: &[usize],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Failure> {
    let newest_first;
    let selected = if let Command::Query(_) = command {
        newest_first = newest_first_order(data, selected);
        &newest_first[..]
    } else {
        selected
    };
    let rows = || selected.iter().filter_map(|&i| data.rows.get(i));
    match command {
        Command::Query(q) => match q.format {
            QueryFormat::Table => {
                let rows: Vec<_> = rows().collect();
                out.write_all(report::summaries_table(&rows).as_bytes())?
            }
            QueryFormat::Json => {
                report::write_summaries_json(&mut *out, data, selected).map_err(json_failure)?;
                writeln!(out)?;
            }
            QueryFormat::Ids => {
                for s in rows() {
                    writeln!(out, "{}", s.id)?;
                }
            }
        },
        Command::Filter(_) | Command::Check(_) => {}
        Command::Diff(d) => {
            let find = |id: &str| {
                data.find_trace(&trace_id_of(id))
                    .map_err(|e| Failure::Runtime(format!("trace {id}: {e}")))
            };
            let (a, b) = (find(&d.a)?, find(&d.b)?);
            let rows = crate::engine::diff::diff(&a, &b);
            match d.format {
                TraceFormat::Text => out.write_all(report::diff_text(&a, &b, &rows).as_bytes())?,
                TraceFormat::Json => writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&report::diff_json(&a, &b, &rows))
                        .map_err(json_failure)?
                )?,
            }
        }
        Command::Analyze(a) => analyze(a, data, selected, out, err)?,
        Command::Trace(t) => {
            let mut found = Vec::new();
            let mut missing = Vec::new();
            // The entity each tracing header names (`Parent=`, a traceparent's span), by trace.
            let mut parents: std::collections::HashMap<String, String> = Default::default();
            if t.all {
                found.extend(data.traces.iter());
            }
            for id in &t.ids {
                match data.find_trace(id) {
                    Ok(tr) => {
                        if let Some(p) = crate::model::header::parse(id).and_then(|r| r.parent) {
                            parents.insert(tr.id.clone(), p);
                        }
                        found.push(tr)
                    }
                    Err(e) => {
                        writeln!(err, "error: trace {id}: {e}")?;
                        missing.push(id.clone());
                    }
                }
            }
            if found.is_empty() {
                return Err(Failure::Runtime(if data.traces.is_empty() {
                    "the input has no full traces (only summaries or graphs); load segment \
                     documents or batch-get-traces output"
                        .into()
                } else {
                    "no requested trace was found".into()
                }));
            }
            match t.format {
                TraceFormat::Text => {
                    for (i, tr) in found.iter().enumerate() {
                        if i > 0 {
                            writeln!(out)?;
                        }
                        let text = if t.critical_path {
                            report::critical_path_text(tr)
                        } else if t.stats {
                            report::stats_text(tr)
                        } else {
                            report::waterfall_text(
                                tr,
                                t.bar_width,
                                parents.get(&tr.id).map(String::as_str),
                            )
                        };
                        out.write_all(text.as_bytes())?;
                    }
                }
                TraceFormat::Json if t.critical_path || t.stats => {
                    let each: Vec<serde_json::Value> = found
                        .iter()
                        .map(|tr| {
                            if t.critical_path {
                                report::critical_path_json(tr)
                            } else {
                                report::stats_json(tr)
                            }
                        })
                        .collect();
                    let v = serde_json::json!({ "Traces": each });
                    writeln!(
                        out,
                        "{}",
                        serde_json::to_string_pretty(&v).map_err(json_failure)?
                    )?;
                }
                TraceFormat::Json => {
                    let refs: Vec<&Trace> = found.iter().map(|t| &**t).collect();
                    let mut batch = export::batch_traces(&refs).map_err(json_failure)?;
                    batch.unprocessed_trace_ids = missing.clone();
                    let mut v = serde_json::to_value(&batch).map_err(json_failure)?;
                    if !parents.is_empty() {
                        if let Some(obj) = v.as_object_mut() {
                            obj.insert("HeaderParents".into(), header_parents(&found, &parents));
                        }
                    }
                    writeln!(
                        out,
                        "{}",
                        serde_json::to_string_pretty(&v).map_err(json_failure)?
                    )?;
                }
            }
            if !missing.is_empty() {
                return Err(Failure::Runtime(format!(
                    "{} of the requested traces {} not found",
                    missing.len(),
                    if missing.len() == 1 { "was" } else { "were" }
                )));
            }
        }
        Command::Graph(g) => {
            let graph = if !data.traces.is_empty() {
                data.traces.graph_of_all()
            } else if let Some(first) = data.graphs.first() {
                if data.graphs.len() > 1 {
                    writeln!(
                        err,
                        "warning: several service graphs loaded; showing the first"
                    )?;
                }
                first.clone()
            } else {
                return Err(Failure::Runtime(
                    "the input has neither traces nor a service graph".into(),
                ));
            };
            match g.format {
                GraphFormat::Text => out.write_all(graph_text::render_text(&graph).as_bytes())?,
                GraphFormat::Json => writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&graph).map_err(json_failure)?
                )?,
                GraphFormat::Dot => out.write_all(graph_text::render_dot(&graph).as_bytes())?,
            }
        }
        Command::Listen(_) => {}
    }
    Ok(())
}

/// Parses a filter expression; an error is shown under the expression (exit 2). Lint warnings
/// (e.g. an unquoted value) go to `err` and the expression is used.
pub(super) fn parse_filter(expr: &str, err: &mut dyn Write) -> Result<Filter, Failure> {
    match filter::parse(expr) {
        Ok(f) => {
            for w in f.warnings() {
                writeln!(err, "warning: filter:\n{}", w.render(expr))?;
            }
            Ok(f)
        }
        Err(e) => Err(Failure::Usage(format!(
            "bad filter expression:\n{}",
            e.render(expr)
        ))),
    }
}

fn check_groups(f: &Filter, expr: &str, data: &Dataset) -> Result<(), Failure> {
    f.check_groups(&data.groups).map_err(|e| {
        let hint = if data.groups.is_empty() {
            "\n(no groups are loaded: define [[groups]] in the config, or add an \
             `aws xray get-groups` output with --file)"
        } else {
            ""
        };
        Failure::Usage(format!("bad filter expression:\n{}{hint}", e.render(expr)))
    })
}

/// The summaries the filter selects, in the dataset's order (oldest first). Traces known only by their summary are
/// evaluated on what the summary holds; those it cannot decide are left out, and counted.
fn select(f: &Filter, data: &Dataset, err: &mut dyn Write) -> Result<Vec<usize>, Failure> {
    let rows: Vec<usize> = (0..data.rows.len()).collect();
    select_in(f, data, &rows, err)
}

/// `analyze`: groups, a histogram, a time series or a comparison of the `selected` rows.
fn analyze(
    a: &AnalyzeArgs,
    data: &Dataset,
    selected: &[usize],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Failure> {
    use crate::filter::analyze as an;
    let json = a.format == AnalyzeFormat::Json;
    // What is read inside traces is worked out once for every trace, on every core, when the
    // selected traces are most of them (trace by trace, on one, otherwise).
    let inside =
        a.by.as_ref()
            .map_or(a.compare.is_some(), an::Dimension::reads_inside);
    let table = (inside && selected.len() * 2 >= data.rows.len())
        .then(|| an::FactTable::build(data, crate::source::parallel::map_chunks));
    let table = table.as_ref();
    let (text, value) = if let Some(by) = &a.by {
        let groups = an::group_by_with(data, table, selected, by);
        (
            report::groups_table(&groups, selected.len()),
            report::groups_json(by, &groups, selected.len()),
        )
    } else if a.histogram {
        let what = match (&a.service, &a.edge) {
            (Some(s), _) => an::Measured::Service(s.clone()),
            (None, Some(e)) => match e.split_once(',') {
                Some((from, to)) if !from.trim().is_empty() && !to.trim().is_empty() => {
                    an::Measured::Edge(from.trim().to_owned(), to.trim().to_owned())
                }
                _ => {
                    return Err(Failure::Usage(format!(
                        "--edge {e}: two service names, FROM,TO"
                    )));
                }
            },
            (None, None) => an::Measured::Traces,
        };
        let h = an::histogram(data, selected, &what, a.buckets);
        (report::histogram_text(&h), report::histogram_json(&h))
    } else if a.over_time {
        let secs = crate::model::window::parse_since(&a.interval)
            .map_err(|e| Failure::Usage(format!("--interval {}: {e}", a.interval)))?;
        let series = an::over_time(data, selected, secs);
        (report::series_text(&series), report::series_json(&series))
    } else if let Some(expr) = &a.compare {
        let sel_filter = parse_filter(expr, err)?;
        let selection = select_in(&sel_filter, data, selected, err)?;
        let baseline = match &a.baseline {
            Some(b) => select_in(&parse_filter(b, err)?, data, selected, err)?,
            None => {
                let chosen: std::collections::HashSet<usize> = selection.iter().copied().collect();
                selected
                    .iter()
                    .copied()
                    .filter(|i| !chosen.contains(i))
                    .collect()
            }
        };
        let diffs = an::compare_with(data, table, &selection, &baseline);
        let top = &diffs[..diffs.len().min(a.top)];
        (
            report::compare_text(top, selection.len(), baseline.len()),
            report::compare_json(top, selection.len(), baseline.len()),
        )
    } else {
        return Err(Failure::Usage(
            "analyze: one of --by, --histogram, --over-time, --compare".into(),
        ));
    };
    if json {
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&value).map_err(json_failure)?
        )?;
    } else {
        out.write_all(text.as_bytes())?;
    }
    Ok(())
}

/// The rows among `rows` that `f` matches (a warning when some cannot be decided).
pub(super) fn select_in(
    f: &Filter,
    data: &Dataset,
    rows: &[usize],
    err: &mut dyn Write,
) -> Result<Vec<usize>, Failure> {
    let ctx = EvalContext {
        groups: &data.groups,
    };
    let mut undecided = 0usize;
    let mut out = Vec::new();
    // Rows whose traces must be parsed again are spread over the cores.
    let verdicts = crate::source::parallel::map(rows.to_vec(), &|i| f.verdict_at(data, i, &ctx));
    for (&i, v) in rows.iter().zip(verdicts) {
        match v {
            Verdict::Match => out.push(i),
            Verdict::NoMatch => {}
            Verdict::Unknown => undecided += 1,
        }
    }
    if undecided > 0 {
        writeln!(
            err,
            "warning: {} known only by a summary, which cannot decide this filter (it looks \
             inside services or edges); load full traces (batch-get-traces output or segment \
             documents) to include them",
            crate::model::format::count(undecided, "trace is", "traces are"),
        )?;
    }
    Ok(out)
}

/// An AWS error as a failure: the user's input (filter, group, time) is usage (exit 2).
fn aws_failure(e: AwsError) -> Failure {
    if e.is_usage() {
        Failure::Usage(e.with_hint())
    } else {
        Failure::Runtime(e.with_hint())
    }
}

fn json_failure(e: serde_json::Error) -> Failure {
    Failure::Runtime(format!("cannot encode JSON: {e}"))
}
