//! AWS for one command (`query`, `trace`, `graph`): a tokio runtime for the duration of the
//! command, and the calls it needs, feeding the same collector as the file source.
//!
//! `query` lists IDs with `GetTraceSummaries`, then fetches those traces with `BatchGetTraces`
//! and lets the engine compute the summaries, exactly as for files: the same documents give
//! the same output whatever the source. `--summaries-only` prints the service's own summaries
//! instead (one call per page, no trace fetch).

use std::io::Write;

use super::{AwsError, AwsOptions, SummaryQuery, Window, XRay};
use crate::engine::dataset::{Collector, Dataset};
use crate::model::{Event, Item};

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

/// What one command asks of AWS: where, which window, which group.
#[derive(Debug, Clone, Default)]
pub struct Ask {
    /// The connection (profile, region, endpoint).
    pub aws: AwsOptions,
    /// The time window.
    pub window: Window,
    /// An X-Ray group whose filter applies.
    pub group: Option<String>,
    /// `query --summaries-only`: the service's own summaries, no trace fetch.
    pub summaries_only: bool,
}

/// Fetches what `need` asks for and collects it into a [`Dataset`]. Traces the service could
/// not return are reported on `warn`.
pub fn load(ask: &Ask, need: Need, warn: &mut dyn Write) -> Result<Dataset, AwsError> {
    let window = ask.window;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| AwsError::Other(format!("cannot start the async runtime: {e}")))?;
    let mut notes = Vec::new();
    let data = rt.block_on(async {
        let xray = XRay::connect(&ask.aws).await?;
        let mut collector = Collector::new();
        let query = |filter: Option<String>| SummaryQuery {
            window,
            filter,
            group: ask.group.clone(),
        };
        match need {
            Need::Query { filter } => {
                fetch_window(
                    &xray,
                    &query(filter),
                    ask.summaries_only,
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
                let graph = xray.service_graph(&window, ask.group.as_deref()).await?;
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
