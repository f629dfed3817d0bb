//! The AWS source for the headless commands: a tokio runtime for the duration of one command,
//! and the calls each command needs, feeding the same collector as the file source.
//!
//! `query` lists IDs with `GetTraceSummaries`, then fetches those traces with `BatchGetTraces`
//! and lets the engine compute the summaries, exactly as for files: the same documents give
//! the same output whatever the source. `--summaries-only` prints the service's own summaries
//! instead (one call per page, no trace fetch).

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

pub use super::AwsError;
use super::{AwsOptions, SummaryQuery, Window, XRay};
use crate::cli::SourceArgs;
use crate::engine::dataset::{Collector, Dataset};
use crate::source::{Event, Item};

/// What a headless command needs from AWS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    /// Summaries in the window (with an optional filter expression), and usually their traces.
    Query {
        /// Filter expression, passed to the service.
        filter: Option<String>,
    },
    /// These traces (full IDs).
    Traces(Vec<String>),
    /// Every trace in the window.
    AllTraces,
    /// The service graph for the window.
    Graph,
}

/// AWS is the source when neither `--demo` nor `--file` is given.
pub fn is_aws(source: &SourceArgs) -> bool {
    !source.demo && source.files.is_empty()
}

/// The connection options from the command line.
pub fn options(source: &SourceArgs) -> AwsOptions {
    AwsOptions {
        profile: source.profile.clone(),
        region: source.region.clone(),
        endpoint_url: source.endpoint_url.clone(),
        retry: None,
    }
}

/// The window from the command line, relative to now.
pub fn window(source: &SourceArgs) -> Result<Window, AwsError> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    Window::resolve(
        source.since.as_deref(),
        source.start.as_deref(),
        source.end.as_deref(),
        source.time_range_type,
        now,
    )
}

/// Fetches what `need` asks for and collects it into a [`Dataset`]. Traces the service could
/// not return are reported on `warn`.
pub fn load(source: &SourceArgs, need: Need, warn: &mut dyn Write) -> Result<Dataset, AwsError> {
    let window = window(source)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| AwsError::Other(format!("cannot start the async runtime: {e}")))?;
    let mut notes = Vec::new();
    let data = rt.block_on(async {
        let xray = XRay::connect(&options(source)).await?;
        let mut collector = Collector::new();
        let query = |filter: Option<String>| SummaryQuery {
            window,
            filter,
            group: source.group.clone(),
        };
        match need {
            Need::Query { filter } => {
                fetch_window(
                    &xray,
                    &query(filter),
                    source.summaries_only,
                    &mut collector,
                    &mut notes,
                )
                .await?
            }
            Need::AllTraces => {
                fetch_window(&xray, &query(None), false, &mut collector, &mut notes).await?
            }
            Need::Traces(ids) => {
                let out = xray.traces(&ids, |e| collector.push(e)).await?;
                notes.extend(missing_notes(&out.missing));
            }
            Need::Graph => {
                let graph = xray.service_graph(&window, source.group.as_deref()).await?;
                if graph.services.is_empty() {
                    // Nothing from the service (or a stand-in without graphs): compute it from
                    // the traces in the window instead.
                    fetch_window(&xray, &query(None), false, &mut collector, &mut notes).await?;
                    if collector.trace_count() == 0 {
                        collector.push(Event::Item(Item::ServiceGraph(graph)));
                    }
                } else {
                    collector.push(Event::Item(Item::ServiceGraph(graph)));
                }
            }
        }
        Ok::<_, AwsError>(collector.finish())
    })?;
    for n in notes {
        let _ = writeln!(warn, "warning: {n}");
    }
    Ok(data)
}

async fn fetch_window(
    xray: &XRay,
    q: &SummaryQuery,
    summaries_only: bool,
    collector: &mut Collector,
    notes: &mut Vec<String>,
) -> Result<(), AwsError> {
    let mut ids = Vec::new();
    xray.summaries(q, |page| {
        for s in page.summaries {
            if summaries_only {
                collector.push(Event::Item(Item::Summary(s)));
            } else if !ids.contains(&s.id) {
                ids.push(s.id);
            }
        }
    })
    .await?;
    if !summaries_only && !ids.is_empty() {
        let out = xray.traces(&ids, |e| collector.push(e)).await?;
        notes.extend(missing_notes(&out.missing));
    }
    Ok(())
}

fn missing_notes(missing: &[String]) -> Vec<String> {
    missing
        .iter()
        .map(|id| {
            format!(
                "trace {id}: X-Ray did not return it (unknown, expired, or still being processed)"
            )
        })
        .collect()
}
