//! One trace as the list shows it: a small fixed-size row, its strings shared.
//!
//! Why: a full [`TraceSummary`] (root causes, service IDs, annotations) takes more memory than
//! the trace's documents themselves; a dataset of a million traces keeps one [`Row`] per trace
//! (what the list draws, sorts, counts and quick-filters on) and computes the full summary of a
//! trace when something asks for it. Method, URL and the service and user lists repeat across
//! traces, so they are interned: each distinct value is held once.

use std::collections::HashSet;
use std::sync::Arc;

use super::TraceSummary;

/// A list of names shared between rows (distinct, in order of first appearance).
pub type Names = Arc<[Arc<str>]>;

/// What the trace list needs of one trace.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The trace ID.
    pub id: Arc<str>,
    /// First start of any entity.
    pub start_time: Option<f64>,
    /// First start to last end.
    pub duration: Option<f64>,
    /// The entry segment's duration (absent while in progress).
    pub response_time: Option<f64>,
    /// Some entity has a fault.
    pub has_fault: bool,
    /// Some entity has an error.
    pub has_error: bool,
    /// Some entity was throttled.
    pub has_throttle: bool,
    /// In progress or missing parts.
    pub is_partial: Option<bool>,
    /// The entry request's response status.
    pub http_status: Option<u16>,
    /// The entry request's method.
    pub http_method: Option<Arc<str>>,
    /// The entry request's URL.
    pub http_url: Option<Arc<str>>,
    /// Names of the services in the trace.
    pub services: Names,
    /// Users seen in the trace.
    pub users: Names,
    /// Only the summary was loaded (no segment documents): a source that cannot fetch the
    /// trace cannot open it.
    pub summary_only: bool,
}

impl Row {
    /// The list's order by time, oldest first: by start time (rows without one first), then
    /// by trace ID. Reversed, newest first, as the app's list and `query` show rows.
    pub fn by_start(a: &Row, b: &Row) -> std::cmp::Ordering {
        let start = |r: &Row| r.start_time.unwrap_or(f64::NEG_INFINITY);
        start(a).total_cmp(&start(b)).then_with(|| a.id.cmp(&b.id))
    }

    /// The row of a summary whose trace's documents were not loaded.
    pub fn of_summary_only(s: &TraceSummary, strings: &mut Interner) -> Row {
        Row {
            summary_only: true,
            ..Row::of(s, strings)
        }
    }

    /// The row of a summary, its strings taken from (and added to) `strings`.
    pub fn of(s: &TraceSummary, strings: &mut Interner) -> Row {
        let http = s.http.as_ref();
        let services: Vec<&str> = s
            .service_ids
            .iter()
            .filter_map(|x| x.name.as_deref())
            .collect();
        let users: Vec<&str> = s
            .users
            .iter()
            .filter_map(|u| u.user_name.as_deref())
            .collect();
        Row {
            id: s.id.as_str().into(),
            start_time: s.start_time,
            duration: s.duration,
            response_time: s.response_time,
            has_fault: s.has_fault,
            has_error: s.has_error,
            has_throttle: s.has_throttle,
            is_partial: s.is_partial,
            http_status: http.and_then(|h| h.http_status),
            http_method: http
                .and_then(|h| h.http_method.as_deref())
                .map(|m| strings.str(m)),
            http_url: http
                .and_then(|h| h.http_url.as_deref())
                .map(|u| strings.str(u)),
            services: strings.names(&services),
            users: strings.names(&users),
            summary_only: false,
        }
    }
}

/// Shared strings and name lists for [`Row`]s.
#[derive(Debug, Default, Clone)]
pub struct Interner {
    strs: HashSet<Arc<str>>,
    lists: HashSet<Names>,
}

impl Interner {
    /// The shared copy of `s`.
    pub fn str(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.strs.get(s) {
            return a.clone();
        }
        let a: Arc<str> = s.into();
        self.strs.insert(a.clone());
        a
    }

    /// The shared list of these names, each once, in order.
    pub fn names(&mut self, names: &[&str]) -> Names {
        let mut v: Vec<Arc<str>> = Vec::with_capacity(names.len());
        for n in names {
            if !v.iter().any(|x| &**x == *n) {
                v.push(self.str(n));
            }
        }
        if let Some(l) = self.lists.get(v.as_slice()) {
            return l.clone();
        }
        let l: Names = v.into();
        self.lists.insert(l.clone());
        l
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::summary::{ServiceId, SummaryHttp};

    #[test]
    fn rows_share_their_strings() {
        let s = TraceSummary {
            id: "1-a-b".into(),
            http: Some(SummaryHttp {
                http_method: Some("GET".into()),
                http_url: Some("https://x/y".into()),
                http_status: Some(503),
                ..SummaryHttp::default()
            }),
            service_ids: ["api", "db", "api"]
                .iter()
                .map(|n| ServiceId {
                    name: Some((*n).into()),
                    ..ServiceId::default()
                })
                .collect(),
            has_fault: true,
            ..TraceSummary::default()
        };
        let mut i = Interner::default();
        let (a, b) = (Row::of(&s, &mut i), Row::of(&s, &mut i));
        assert_eq!(a, b);
        assert!(Arc::ptr_eq(&a.services, &b.services));
        assert!(Arc::ptr_eq(
            a.http_method.as_ref().unwrap(),
            b.http_method.as_ref().unwrap()
        ));
        assert_eq!(a.services.len(), 2, "each service once");
        assert_eq!(a.http_status, Some(503));
        assert!(a.has_fault && !a.has_error);
    }
}
