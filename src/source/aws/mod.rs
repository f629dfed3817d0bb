//! The AWS source: X-Ray's read API through the official `aws-sdk-xray` client.
//!
//! Why it looks like this:
//! - Configuration is whatever `aws-config` resolves (env credentials, shared config and
//!   credentials files, SSO, assume-role, `AWS_ENDPOINT_URL(_XRAY)`, `AWS_MAX_ATTEMPTS`), with
//!   `--profile`, `--region` and `--endpoint-url` layered on top. Nothing here reads
//!   credentials itself.
//! - Throttling (429 / `ThrottledException`) and 5xx answers are retried by the SDK's standard
//!   retry strategy, with exponential backoff and jitter; we only classify what is left.
//! - Everything is streamed: summaries page by page (`on_page`), traces chunk by chunk
//!   (`on_event`), so the TUI can show data as it arrives and the headless commands can feed
//!   the same [`Collector`](crate::engine::dataset::Collector) the file source feeds.
//! - `BatchGetTraces` takes at most 5 IDs a call; a few calls run at once, IDs the service
//!   reports as unprocessed are asked for again, and documents are parsed on blocking threads,
//!   off the async runtime.
//! - SDK types never leave this module ([`convert`]); callers see the model and [`Event`]s.

pub mod convert;
pub mod error;
pub mod fetch;
pub mod live;

use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_xray::Client;
use aws_sdk_xray::config::Region;
use aws_sdk_xray::primitives::DateTime;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

pub use crate::model::window::{TimeRangeKind, Window};
pub use error::{AwsError, IAM_ACTIONS};

use crate::model::{Event, Item, Location, Warning};
use crate::model::{Group, Segment, ServiceGraph, TraceSummary};

/// `BatchGetTraces` accepts at most this many trace IDs per call.
pub const BATCH_SIZE: usize = 5;
/// How many `BatchGetTraces` calls run at once.
pub const BATCH_CONCURRENCY: usize = 4;
/// How many extra rounds ask again for IDs the service reported as unprocessed.
pub const UNPROCESSED_ROUNDS: u32 = 3;

/// The region the environment names: `AWS_REGION`, else `AWS_DEFAULT_REGION` (blank ones
/// skipped).
pub fn env_region() -> Option<String> {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|r| !r.trim().is_empty()))
}

/// Connection settings from the command line; unset fields fall back to `aws-config`.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// `--profile`: a named profile from the shared config files.
    pub profile: Option<String>,
    /// `--region`.
    pub region: Option<String>,
    /// `--endpoint-url`: e.g. a local X-Ray stand-in.
    pub endpoint_url: Option<String>,
    /// Overrides the retry configuration (tests use few, fast attempts). Without it, the
    /// SDK's standard mode applies, tunable with `AWS_MAX_ATTEMPTS` / `AWS_RETRY_MODE`.
    pub retry: Option<RetryConfig>,
}

/// One page of `GetTraceSummaries`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SummaryPage {
    /// The page's summaries, converted to the model.
    pub summaries: Vec<TraceSummary>,
    /// `TracesProcessedCount`: how many traces the service scanned for this call.
    pub traces_processed_count: Option<i64>,
    /// `ApproximateTime`: the window end the service actually used (epoch seconds).
    pub approximate_time: Option<f64>,
}

/// What a summaries query asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SummaryQuery {
    /// The time window (split into API-sized pieces by [`XRay::summaries`]).
    pub window: Window,
    /// A filter expression, passed to the service unchanged.
    pub filter: Option<String>,
    /// A group name; its filter expression is combined with `filter`.
    pub group: Option<String>,
}

/// What [`XRay::traces`] could not fetch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TracesOutcome {
    /// How many traces were delivered.
    pub fetched: usize,
    /// IDs still unprocessed after the retries (unknown, expired, or still being indexed).
    pub missing: Vec<String>,
}

/// A connected X-Ray client.
#[derive(Debug, Clone)]
pub struct XRay {
    client: Client,
    endpoint: String,
}

impl XRay {
    /// Resolves the configuration (CLI overrides, then everything `aws-config` reads) and
    /// builds the client. Fails early, with a hint, when no region is configured.
    pub async fn connect(opts: &AwsOptions) -> Result<XRay, AwsError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(p) = &opts.profile {
            loader = loader.profile_name(p);
        }
        if let Some(r) = &opts.region {
            loader = loader.region(Region::new(r.clone()));
        }
        if let Some(e) = &opts.endpoint_url {
            loader = loader.endpoint_url(e);
        }
        if let Some(rc) = &opts.retry {
            loader = loader.retry_config(rc.clone());
        }
        let conf = loader.load().await;
        let Some(region) = conf.region().map(ToString::to_string) else {
            return Err(AwsError::NoRegion);
        };
        let endpoint = opts
            .endpoint_url
            .clone()
            .or_else(|| std::env::var("AWS_ENDPOINT_URL_XRAY").ok())
            .or_else(|| conf.endpoint_url().map(str::to_owned))
            .unwrap_or_else(|| format!("the X-Ray endpoint for region {region}"));
        Ok(XRay {
            client: Client::new(&conf),
            endpoint,
        })
    }

    /// Wraps an already-built client (tests, or a caller with its own configuration).
    pub fn from_client(client: Client, endpoint: impl Into<String>) -> XRay {
        XRay {
            client,
            endpoint: endpoint.into(),
        }
    }

    /// The SDK client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn err<E>(
        &self,
        e: aws_sdk_xray::error::SdkError<E, aws_sdk_xray::config::http::HttpResponse>,
    ) -> AwsError
    where
        E: aws_sdk_xray::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        error::classify(e, &self.endpoint)
    }

    /// All groups (`GetGroups`, every page).
    pub async fn groups(&self) -> Result<Vec<Group>, AwsError> {
        let mut pages = self.client.get_groups().into_paginator().send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.err(e))?;
            out.extend(page.groups().iter().map(convert::group));
        }
        Ok(out)
    }

    /// A group's filter expression (`GetGroup`); [`AwsError::UnknownGroup`] when it does not
    /// exist.
    pub async fn group_filter(&self, name: &str) -> Result<Option<String>, AwsError> {
        match self.client.get_group().group_name(name).send().await {
            Ok(out) => Ok(out
                .group()
                .and_then(|g| g.filter_expression())
                .map(str::to_owned)),
            Err(e) => match self.err(e) {
                AwsError::Rejected(_) => Err(AwsError::UnknownGroup(name.to_owned())),
                AwsError::Service { status: 404, .. } => {
                    Err(AwsError::UnknownGroup(name.to_owned()))
                }
                other => Err(other),
            },
        }
    }

    /// The filter expression to send: the user's, AND the group's when `--group` is given.
    /// The one place where the filter text is prepared (a local syntax check goes here).
    pub async fn effective_filter(&self, q: &SummaryQuery) -> Result<Option<String>, AwsError> {
        let user = q.filter.as_deref().map(str::trim).filter(|f| !f.is_empty());
        let group = match q.group.as_deref() {
            Some(g) if g != "Default" => self.group_filter(g).await?,
            _ => None,
        };
        Ok(match (group, user) {
            (Some(g), Some(u)) => Some(format!("({g}) AND ({u})")),
            (Some(g), None) => Some(g),
            (None, Some(u)) => Some(u.to_owned()),
            (None, None) => None,
        })
    }

    /// `GetTraceSummaries` over the whole window, newest piece first, every page; each page
    /// goes to `on_page` as it arrives. Windows longer than the API allows are split.
    pub async fn summaries(
        &self,
        q: &SummaryQuery,
        mut on_page: impl FnMut(SummaryPage),
    ) -> Result<(), AwsError> {
        let filter = self.effective_filter(q).await?;
        for (start, end) in q.window.pieces() {
            let mut pages = self
                .client
                .get_trace_summaries()
                .start_time(DateTime::from_secs_f64(start))
                .end_time(DateTime::from_secs_f64(end))
                .time_range_type(convert::time_range_type(q.window.kind))
                .set_filter_expression(filter.clone())
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| self.err(e))?;
                on_page(SummaryPage {
                    summaries: page
                        .trace_summaries()
                        .iter()
                        .map(convert::summary)
                        .collect(),
                    traces_processed_count: page.traces_processed_count(),
                    approximate_time: convert::secs(page.approximate_time()),
                });
            }
        }
        Ok(())
    }

    /// `BatchGetTraces` for `ids`: chunks of [`BATCH_SIZE`], [`BATCH_CONCURRENCY`] calls at
    /// once, unprocessed IDs asked for again. Each trace goes to `on_event` as an
    /// [`Item::Trace`] (documents that do not parse become located [`Warning`]s).
    pub async fn traces(
        &self,
        ids: &[String],
        mut on_event: impl FnMut(Event),
    ) -> Result<TracesOutcome, AwsError> {
        let mut pending: Vec<String> = Vec::new();
        for id in ids {
            if !pending.contains(id) {
                pending.push(id.clone());
            }
        }
        let mut outcome = TracesOutcome::default();
        let limit = Arc::new(Semaphore::new(BATCH_CONCURRENCY));
        for round in 0..=UNPROCESSED_ROUNDS {
            if pending.is_empty() {
                break;
            }
            if round > 0 {
                tokio::time::sleep(Duration::from_millis(200 * u64::from(round))).await;
            }
            let mut tasks = JoinSet::new();
            for chunk in pending.chunks(BATCH_SIZE) {
                let client = self.client.clone();
                let chunk = chunk.to_vec();
                let limit = Arc::clone(&limit);
                tasks.spawn(async move {
                    let _permit = limit.acquire_owned().await;
                    let out = client
                        .batch_get_traces()
                        .set_trace_ids(Some(chunk))
                        .send()
                        .await?;
                    let raw: Vec<RawTrace> = out
                        .traces()
                        .iter()
                        .map(|t| RawTrace {
                            id: t.id().unwrap_or_default().to_owned(),
                            limit_exceeded: t.limit_exceeded().unwrap_or(false),
                            docs: t
                                .segments()
                                .iter()
                                .map(|s| {
                                    (
                                        s.id().unwrap_or_default().to_owned(),
                                        s.document().unwrap_or_default().to_owned(),
                                    )
                                })
                                .collect(),
                        })
                        .collect();
                    let unprocessed = out.unprocessed_trace_ids().to_vec();
                    // Parsing is CPU work: keep it off the runtime's worker threads.
                    let events = match tokio::task::spawn_blocking(move || parse_traces(raw)).await
                    {
                        Ok(events) => events,
                        Err(e) => vec![Event::Warning(Warning {
                            location: Location {
                                source: "aws:BatchGetTraces".into(),
                                line: None,
                                column: None,
                            },
                            message: format!("parsing the documents failed: {e}"),
                        })],
                    };
                    Ok::<_, aws_sdk_xray::error::SdkError<_, _>>((events, unprocessed))
                });
            }
            let mut again = Vec::new();
            let mut failure = None;
            while let Some(joined) = tasks.join_next().await {
                match joined {
                    Ok(Ok((events, unprocessed))) => {
                        for ev in events {
                            if matches!(ev, Event::Item(Item::Trace { .. })) {
                                outcome.fetched += 1;
                            }
                            on_event(ev);
                        }
                        again.extend(unprocessed);
                    }
                    Ok(Err(e)) => {
                        if failure.is_none() {
                            failure = Some(self.err(e));
                        }
                    }
                    Err(join) => {
                        if failure.is_none() {
                            failure = Some(AwsError::Other(format!("fetch task failed: {join}")));
                        }
                    }
                }
            }
            if let Some(f) = failure {
                return Err(f);
            }
            pending = again;
        }
        outcome.missing = pending;
        Ok(outcome)
    }

    /// `GetServiceGraph` for the window (and group), every page merged into one graph.
    pub async fn service_graph(
        &self,
        window: &Window,
        group: Option<&str>,
    ) -> Result<ServiceGraph, AwsError> {
        let mut graph = ServiceGraph {
            start_time: Some(window.start),
            end_time: Some(window.end),
            ..ServiceGraph::default()
        };
        let mut pages = self
            .client
            .get_service_graph()
            .start_time(DateTime::from_secs_f64(window.start))
            .end_time(DateTime::from_secs_f64(window.end))
            .set_group_name(group.map(str::to_owned))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| match self.err(e) {
                AwsError::Rejected(m) if group.is_some() && m.to_lowercase().contains("group") => {
                    AwsError::UnknownGroup(group.unwrap_or_default().to_owned())
                }
                other => other,
            })?;
            convert::graph_services(&mut graph, page.services());
            if page.contains_old_group_versions() {
                graph.contains_old_group_versions = Some(true);
            }
        }
        Ok(graph)
    }
}

impl XRay {
    /// `GetTraceGraph` for these traces (every page merged): the service's own map of them.
    pub async fn trace_graph(&self, ids: &[String]) -> Result<ServiceGraph, AwsError> {
        let mut graph = ServiceGraph::default();
        let mut pages = self
            .client
            .get_trace_graph()
            .set_trace_ids(Some(ids.to_vec()))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.err(e))?;
            convert::graph_services(&mut graph, page.services());
        }
        Ok(graph)
    }
}

/// A trace as the SDK returned it, before its documents are parsed.
struct RawTrace {
    id: String,
    limit_exceeded: bool,
    docs: Vec<(String, String)>,
}

/// Parses `BatchGetTraces` documents into [`Item::Trace`]s, with a located warning for each
/// document that does not parse (the rest of the trace still loads).
fn parse_traces(raw: Vec<RawTrace>) -> Vec<Event> {
    let mut out = Vec::with_capacity(raw.len());
    for t in raw {
        let mut documents = Vec::with_capacity(t.docs.len());
        for (seg_id, doc) in t.docs {
            let mut de = serde_json::Deserializer::from_str(&doc);
            match serde_path_to_error::deserialize::<_, Segment>(&mut de) {
                Ok(seg) => documents.push(seg),
                Err(e) => {
                    let path = e.path().to_string();
                    out.push(Event::Warning(Warning {
                        location: Location {
                            source: format!("aws:BatchGetTraces {} segment {seg_id}", t.id),
                            line: None,
                            column: None,
                        },
                        message: format!("{path}: {}", e.into_inner()),
                    }))
                }
            }
        }
        let id = if t.id.is_empty() {
            match documents.iter().find_map(|d| d.trace_id.clone()) {
                Some(id) => id,
                None => continue,
            }
        } else {
            t.id
        };
        out.push(Event::Item(Item::Trace {
            id,
            documents,
            limit_exceeded: t.limit_exceeded,
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_documents_warn_and_the_rest_of_the_trace_loads() {
        let good = r#"{"id":"a000000000000001","name":"api","trace_id":"1-5f2aebcc-b475d14618c51eaa28753d37","start_time":1.0,"end_time":2.0}"#;
        let events = parse_traces(vec![RawTrace {
            id: "1-5f2aebcc-b475d14618c51eaa28753d37".into(),
            limit_exceeded: false,
            docs: vec![
                ("a000000000000001".into(), good.into()),
                ("b000000000000002".into(), r#"{"id": 5}"#.into()),
            ],
        }]);
        assert_eq!(events.len(), 2);
        assert!(
            matches!(&events[0], Event::Warning(w) if w.location.source.contains("b000000000000002"))
        );
        assert!(
            matches!(&events[1], Event::Item(Item::Trace { documents, .. }) if documents.len() == 1)
        );
    }
}
