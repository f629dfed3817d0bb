//! The headless commands (`query`, `trace`, `graph`): load the sources, run the engine, print.
//!
//! Exit status: 0 ok; 2 bad usage or bad filter; 1 runtime failure (nothing could be loaded, a
//! requested trace is missing). Damaged input prints a located warning per bad line or document
//! on stderr and still exits 0 when anything loaded.

use std::io::{self, Write};

use crate::cli::{Cli, Command, GraphFormat, QueryFormat, SourceArgs, TraceFormat};
use crate::engine::dataset::{Collector, Dataset};
use crate::engine::{graph, graph_text};
use crate::report;
use crate::source::file;

/// A failure with its exit status.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Bad usage: exit 2.
    #[error("{0}")]
    Usage(String),
    /// Runtime failure: exit 1.
    #[error("{0}")]
    Runtime(String),
    /// Output could not be written.
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl Failure {
    /// The process exit status for this failure.
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Usage(_) => 2,
            Failure::Runtime(_) | Failure::Io(_) => 1,
        }
    }
}

/// Loads every source named on the command line, printing located warnings to `warn`.
pub fn load(source: &SourceArgs, warn: &mut dyn Write) -> Result<Dataset, Failure> {
    if !source.demo && source.files.is_empty() {
        return Err(Failure::Usage(
            "no source given: use --demo for the bundled demo data or --file PATH for X-Ray \
             files (the AWS source is not available in this build yet)"
                .into(),
        ));
    }
    let mut collector = Collector::new();
    if source.demo {
        file::load_bytes("demo", crate::demo::DEMO_NDJSON.as_bytes(), &mut |e| {
            collector.push(e)
        });
    }
    let mut unreadable = Vec::new();
    for path in &source.files {
        if let Err(e) = file::load_path(path, &mut |e| collector.push(e)) {
            writeln!(warn, "error: cannot read {path}: {e}")?;
            unreadable.push(path.clone());
        }
    }
    let data = collector.finish();
    for w in &data.warnings {
        writeln!(warn, "warning: {w}")?;
    }
    if data.is_empty() {
        let why = if unreadable.is_empty() {
            "no X-Ray data found in the input".to_owned()
        } else {
            format!(
                "nothing could be loaded (unreadable: {})",
                unreadable.join(", ")
            )
        };
        return Err(Failure::Runtime(why));
    }
    Ok(data)
}

/// Runs a headless command, writing results to `out` and diagnostics to `err`.
pub fn run(cli: &Cli, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), Failure> {
    let Some(command) = &cli.command else {
        return Err(Failure::Usage("no command".into()));
    };
    // The local daemon reads no sources.
    if let Command::Listen(args) = command {
        return crate::daemon::headless::run(args, err);
    }
    if let Command::Query(q) = command {
        if q.filter.is_some() {
            return Err(Failure::Usage(
                "--filter: X-Ray filter expressions are not supported in this build yet; \
                 run without --filter (nothing was run)"
                    .into(),
            ));
        }
    }
    let data = load(&cli.source, err)?;
    match command {
        Command::Query(q) => match q.format {
            QueryFormat::Table => {
                out.write_all(report::summaries_table(&data.summaries).as_bytes())?
            }
            QueryFormat::Json => writeln!(
                out,
                "{}",
                report::summaries_json(&data.summaries).map_err(json_failure)?
            )?,
            QueryFormat::Ids => {
                for s in &data.summaries {
                    writeln!(out, "{}", s.id)?;
                }
            }
        },
        Command::Trace(t) => {
            let mut found = Vec::new();
            let mut missing = Vec::new();
            if t.all {
                found.extend(data.traces.iter().map(|t| t.as_ref()));
            }
            for id in &t.ids {
                match data.find_trace(id) {
                    Ok(tr) => found.push(tr.as_ref()),
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
                        out.write_all(report::waterfall_text(tr, t.bar_width).as_bytes())?;
                    }
                }
                TraceFormat::Json => {
                    let mut batch = report::batch_traces(&found).map_err(json_failure)?;
                    batch.unprocessed_trace_ids = missing.clone();
                    writeln!(
                        out,
                        "{}",
                        serde_json::to_string_pretty(&batch).map_err(json_failure)?
                    )?;
                }
            }
            if !missing.is_empty() {
                return Err(Failure::Runtime(format!(
                    "{} of the requested traces were not found",
                    missing.len()
                )));
            }
        }
        Command::Graph(g) => {
            let graph = if !data.traces.is_empty() {
                graph::service_graph(data.traces.iter().map(|t| t.as_ref()))
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

fn json_failure(e: serde_json::Error) -> Failure {
    Failure::Runtime(format!("cannot encode JSON: {e}"))
}
