//! One view of a root-cause path, whichever list it comes from.
//!
//! The API has two shapes for root causes (`FaultRootCause` for faults and errors,
//! `ResponseTimeRootCause` for slowness), with different entity fields. Everything that reads
//! them (the filter's `rootcause.*` blocks, the reports, the details pane, and the analysis
//! screens to come) walks the same path: service by service, then entity by entity down to the
//! cause. [`RootCausePath`] is that path, borrowed from the summary, built in one place.

use std::fmt;

use super::TraceSummary;
use super::summary::{
    FaultRootCause, ResponseTimeRootCause, ResponseTimeRootCauseEntity,
    ResponseTimeRootCauseService, RootCauseEntity, RootCauseException, RootCauseService,
};

/// Which of a summary's root-cause lists a path comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RootCauseKind {
    /// `FaultRootCauses` (5xx).
    Fault,
    /// `ErrorRootCauses` (4xx).
    Error,
    /// `ResponseTimeRootCauses` (where the time went).
    ResponseTime,
}

impl RootCauseKind {
    /// The word reports use for it (`Fault root cause: ...`).
    pub const fn label(self) -> &'static str {
        match self {
            RootCauseKind::Fault => "Fault",
            RootCauseKind::Error => "Error",
            RootCauseKind::ResponseTime => "Response time",
        }
    }
}

/// An entity on the path: a segment or subsegment, from the service's segment down.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathEntity<'a> {
    /// Entity name.
    pub name: Option<&'a str>,
    /// A downstream (remote) entity.
    pub remote: bool,
    /// Response time only: the share of the trace's time spent in it (0..1).
    pub coverage: Option<f64>,
    /// Faults and errors only: the exceptions recorded on it.
    pub exceptions: &'a [RootCauseException],
}

/// A service on the path, with its entities.
#[derive(Debug, Clone, PartialEq)]
pub struct PathService<'a> {
    /// Service name.
    pub name: Option<&'a str>,
    /// All its names.
    pub names: &'a [String],
    /// Its type (`AWS::Lambda::Function`).
    pub kind: Option<&'a str>,
    /// Its account ID.
    pub account_id: Option<&'a str>,
    /// The service is inferred (a downstream resource).
    pub inferred: bool,
    /// Entities from the service's segment down to the cause.
    pub entities: Vec<PathEntity<'a>>,
}

impl PathService<'_> {
    /// The last entity: the one nearest the cause.
    pub fn last_entity(&self) -> Option<&PathEntity<'_>> {
        self.entities.last()
    }
}

/// A root cause as a path of services, whichever list it is in.
#[derive(Debug, Clone, PartialEq)]
pub struct RootCausePath<'a> {
    /// The list it comes from.
    pub kind: RootCauseKind,
    /// The services, from the entry point down.
    pub services: Vec<PathService<'a>>,
    /// The failure or slowness reached the client.
    pub client_impacting: Option<bool>,
}

/// What both API shapes of a root-cause service have: the service's identity and its entity
/// path (of a shape of its own).
trait ApiService {
    type Entity;
    fn identity(&self) -> (&Option<String>, &[String], &Option<String>, &Option<String>);
    fn inferred(&self) -> Option<bool>;
    fn entities(&self) -> &[Self::Entity];
}

impl ApiService for RootCauseService {
    type Entity = RootCauseEntity;
    fn identity(&self) -> (&Option<String>, &[String], &Option<String>, &Option<String>) {
        (&self.name, &self.names, &self.kind, &self.account_id)
    }
    fn inferred(&self) -> Option<bool> {
        self.inferred
    }
    fn entities(&self) -> &[RootCauseEntity] {
        &self.entity_path
    }
}

impl ApiService for ResponseTimeRootCauseService {
    type Entity = ResponseTimeRootCauseEntity;
    fn identity(&self) -> (&Option<String>, &[String], &Option<String>, &Option<String>) {
        (&self.name, &self.names, &self.kind, &self.account_id)
    }
    fn inferred(&self) -> Option<bool> {
        self.inferred
    }
    fn entities(&self) -> &[ResponseTimeRootCauseEntity] {
        &self.entity_path
    }
}

/// The path's services, each entity read by `entity`.
fn services<'a, S: ApiService>(
    list: &'a [S],
    entity: impl Fn(&'a S::Entity) -> PathEntity<'a>,
) -> Vec<PathService<'a>> {
    list.iter()
        .map(|s| {
            let (name, names, kind, account_id) = s.identity();
            PathService {
                name: name.as_deref(),
                names,
                kind: kind.as_deref(),
                account_id: account_id.as_deref(),
                inferred: s.inferred().unwrap_or(false),
                entities: s.entities().iter().map(&entity).collect(),
            }
        })
        .collect()
}

impl<'a> RootCausePath<'a> {
    /// The path of a fault or error root cause.
    pub fn of_failure(kind: RootCauseKind, rc: &'a FaultRootCause) -> Self {
        RootCausePath {
            kind,
            client_impacting: rc.client_impacting,
            services: services(&rc.services, |e| PathEntity {
                name: e.name.as_deref(),
                remote: e.remote.unwrap_or(false),
                coverage: None,
                exceptions: &e.exceptions,
            }),
        }
    }

    /// The path of a response-time root cause.
    pub fn of_response_time(rc: &'a ResponseTimeRootCause) -> Self {
        RootCausePath {
            kind: RootCauseKind::ResponseTime,
            client_impacting: rc.client_impacting,
            services: services(&rc.services, |e| PathEntity {
                name: e.name.as_deref(),
                remote: e.remote.unwrap_or(false),
                coverage: e.coverage,
                exceptions: &[],
            }),
        }
    }

    /// The paths of one of a summary's lists.
    pub fn of(s: &'a TraceSummary, kind: RootCauseKind) -> Vec<RootCausePath<'a>> {
        match kind {
            RootCauseKind::Fault => s
                .fault_root_causes
                .iter()
                .map(|rc| Self::of_failure(kind, rc))
                .collect(),
            RootCauseKind::Error => s
                .error_root_causes
                .iter()
                .map(|rc| Self::of_failure(kind, rc))
                .collect(),
            RootCauseKind::ResponseTime => s
                .response_time_root_causes
                .iter()
                .map(Self::of_response_time)
                .collect(),
        }
    }

    /// Each service as people name it: `service (entity)` when the entity nearest the cause
    /// has another name.
    pub fn service_labels(&self) -> impl Iterator<Item = String> + '_ {
        self.services.iter().map(|svc| {
            let entity = svc.last_entity().and_then(|e| e.name);
            match (svc.name, entity) {
                (Some(n), Some(e)) if e != n => format!("{n} ({e})"),
                (Some(n), _) => n.to_owned(),
                (None, Some(e)) => e.to_owned(),
                (None, None) => "?".into(),
            }
        })
    }

    /// Every exception on the path with the entity it was recorded on, in path order.
    pub fn exceptions(
        &self,
    ) -> impl Iterator<Item = (Option<&'a str>, &'a RootCauseException)> + '_ {
        self.services
            .iter()
            .flat_map(|s| &s.entities)
            .flat_map(|e| e.exceptions.iter().map(move |x| (e.name, x)))
    }
}

/// `Fault root cause: a -> b (c)`, then one line per exception.
impl fmt::Display for RootCausePath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path: Vec<String> = self.service_labels().collect();
        writeln!(f, "{} root cause: {}", self.kind.label(), path.join(" -> "))?;
        for (entity, x) in self.exceptions() {
            writeln!(
                f,
                "  {}: {}: {}",
                entity.unwrap_or("?"),
                x.name.as_deref().unwrap_or("exception"),
                x.message.as_deref().unwrap_or("")
            )?;
        }
        Ok(())
    }
}

/// A summary's fault and error root causes for people (one block per cause), after a blank
/// line; empty when there are none.
pub fn failures_text(s: &TraceSummary) -> String {
    let mut out = String::new();
    for kind in [RootCauseKind::Fault, RootCauseKind::Error] {
        for p in RootCausePath::of(s, kind) {
            out.push_str(&p.to_string());
        }
    }
    if !out.is_empty() {
        out.insert(0, '\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault() -> FaultRootCause {
        FaultRootCause {
            services: vec![
                RootCauseService {
                    name: Some("api".into()),
                    entity_path: vec![RootCauseEntity {
                        name: Some("api".into()),
                        ..Default::default()
                    }],
                    ..Default::default()
                },
                RootCauseService {
                    name: Some("payments".into()),
                    inferred: Some(false),
                    entity_path: vec![
                        RootCauseEntity {
                            name: Some("payments".into()),
                            ..Default::default()
                        },
                        RootCauseEntity {
                            name: Some("charge".into()),
                            remote: Some(true),
                            exceptions: vec![RootCauseException {
                                name: Some("Timeout".into()),
                                message: Some("gave up".into()),
                            }],
                        },
                    ],
                    ..Default::default()
                },
            ],
            client_impacting: Some(true),
        }
    }

    #[test]
    fn a_failure_path_reads_service_by_service() {
        let rc = fault();
        let p = RootCausePath::of_failure(RootCauseKind::Fault, &rc);
        assert_eq!(
            p.to_string(),
            "Fault root cause: api -> payments (charge)\n  charge: Timeout: gave up\n"
        );
        let last = p.services[1].last_entity().expect("entity");
        assert!(last.remote);
        assert_eq!(last.exceptions.len(), 1);
    }

    #[test]
    fn a_response_time_path_keeps_coverage() {
        let rc = ResponseTimeRootCause {
            services: vec![ResponseTimeRootCauseService {
                name: Some("db".into()),
                entity_path: vec![ResponseTimeRootCauseEntity {
                    name: Some("query".into()),
                    coverage: Some(0.75),
                    remote: Some(true),
                }],
                ..Default::default()
            }],
            client_impacting: None,
        };
        let p = RootCausePath::of_response_time(&rc);
        assert_eq!(p.kind, RootCauseKind::ResponseTime);
        assert_eq!(p.services[0].entities[0].coverage, Some(0.75));
        assert_eq!(p.exceptions().count(), 0);
    }

    #[test]
    fn failures_text_is_empty_without_causes() {
        assert_eq!(failures_text(&TraceSummary::default()), "");
        let s = TraceSummary {
            error_root_causes: vec![fault()],
            ..Default::default()
        };
        assert!(failures_text(&s).starts_with("\nError root cause: api -> payments"));
    }
}
