//! Analysis across traces: group the traces by a dimension (URL, status, user, service, edge,
//! annotation value, root-cause service, ...) and say, per group, how many traces, how many
//! failed, and how slow they were — with the X-Ray filter expression that selects exactly that
//! group's traces, so every answer leads back to the traces behind it (`query --filter`, the
//! app's filter prompt, or the X-Ray console).
//!
//! It lives with the filter because each group is defined by a filter clause: a trace is in a
//! group exactly when the group's clause matches it (the tests check this for every row).
//! Percentiles are nearest-rank over the traces' response times (the entry segment's duration;
//! a trace still in progress counts with its duration so far).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::engine::dataset::Dataset;
use crate::filter::print::{annotation_keyword, write_string};
use crate::model::summary::SummaryAnnotationValue;

/// What traces are grouped by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dimension {
    /// The service at the end of each fault and error root-cause path.
    RootCause,
    /// The service at the end of each fault root-cause path.
    FaultRootCause,
    /// The service at the end of each error root-cause path.
    ErrorRootCause,
    /// The entry request's URL.
    Url,
    /// The entry request's HTTP status.
    Status,
    /// The entry request's method.
    Method,
    /// Each user seen in the trace.
    User,
    /// Each service (graph node name) in the trace.
    Service,
    /// Each call between two services.
    Edge,
    /// Each value of one annotation.
    Annotation(String),
}

impl std::str::FromStr for Dimension {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "rootcause" => Dimension::RootCause,
            "fault-rootcause" => Dimension::FaultRootCause,
            "error-rootcause" => Dimension::ErrorRootCause,
            "url" => Dimension::Url,
            "status" => Dimension::Status,
            "method" => Dimension::Method,
            "user" => Dimension::User,
            "service" => Dimension::Service,
            "edge" => Dimension::Edge,
            _ => match s.strip_prefix("annotation.") {
                Some(key) if !key.is_empty() => Dimension::Annotation(key.to_owned()),
                _ => {
                    return Err(format!(
                        "`{s}`: group by rootcause, fault-rootcause, error-rootcause, url, \
                         status, method, user, service, edge or annotation.KEY"
                    ));
                }
            },
        })
    }
}

/// One group of traces.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// What the traces share (`/api/cart`, `503`, `checkout -> payments`).
    pub key: String,
    /// The filter expression that selects exactly these traces.
    pub filter: String,
    /// Traces in the group.
    pub count: usize,
    /// `count` as a share of the traces analysed (0 to 1).
    pub share: f64,
    /// Of them, with a fault.
    pub faults: usize,
    /// With an error.
    pub errors: usize,
    /// Throttled.
    pub throttles: usize,
    /// Response-time percentiles (seconds), nearest-rank.
    pub p50: Option<f64>,
    /// See `p50`.
    pub p90: Option<f64>,
    /// See `p50`.
    pub p99: Option<f64>,
}

/// The `p`-th percentile (0 to 100) of `sorted` values by nearest rank: the smallest value
/// with at least `p`% of the values at or below it.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

fn quoted(s: &str) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_string(&mut out, s);
    out
}

/// The groups of the traces at `rows` (row indices of `data`), largest first.
pub fn group_by(data: &Dataset, rows: &[usize], dim: &Dimension) -> Vec<Group> {
    // Key -> (filter, member rows).
    let mut groups: BTreeMap<String, (String, Vec<usize>)> = BTreeMap::new();
    let mut add = |key: String, filter: String, row: usize| {
        let g = groups.entry(key).or_insert_with(|| (filter, Vec::new()));
        // A trace counts once per group.
        if g.1.last() != Some(&row) {
            g.1.push(row);
        }
    };
    for &i in rows {
        let Some(r) = data.rows.get(i) else { continue };
        match dim {
            Dimension::Url => {
                if let Some(u) = r.http_url.as_deref() {
                    add(u.to_owned(), format!("http.url = {}", quoted(u)), i);
                }
            }
            Dimension::Status => {
                if let Some(s) = r.http_status {
                    add(s.to_string(), format!("http.status = {s}"), i);
                }
            }
            Dimension::Method => {
                if let Some(m) = r.http_method.as_deref() {
                    add(m.to_owned(), format!("http.method = {}", quoted(m)), i);
                }
            }
            Dimension::User => {
                for u in r.users.iter() {
                    add(u.to_string(), format!("user = {}", quoted(u)), i);
                }
            }
            Dimension::Service => {
                let mut names: Vec<&str> = r.services.iter().map(|s| &**s).collect();
                names.sort_unstable();
                names.dedup();
                for n in names {
                    add(n.to_owned(), format!("service({})", quoted(n)), i);
                }
            }
            Dimension::Edge => {
                let Some(t) = data.traces.position(&r.id) else {
                    continue;
                };
                let Some(frag) = data.traces.fragment(t) else {
                    continue;
                };
                let keys = data.traces.keys();
                let mut edges: Vec<(&str, &str)> = frag
                    .edges()
                    .map(|(a, b)| (keys.get(a).name.as_str(), keys.get(b).name.as_str()))
                    .collect();
                edges.sort_unstable();
                edges.dedup();
                for (a, b) in edges {
                    add(
                        format!("{a} -> {b}"),
                        format!("edge({}, {})", quoted(a), quoted(b)),
                        i,
                    );
                }
            }
            Dimension::Annotation(key) => {
                let Some(s) = data.summary(i) else { continue };
                let Some(values) = s.annotations.get(key) else {
                    continue;
                };
                let mut seen: Vec<(String, String)> = values
                    .iter()
                    .filter_map(|v| annotation_clause(key, &v.annotation_value))
                    .collect();
                seen.sort();
                seen.dedup();
                for (k, f) in seen {
                    add(k, f, i);
                }
            }
            Dimension::RootCause | Dimension::FaultRootCause | Dimension::ErrorRootCause => {
                let Some(s) = data.summary(i) else { continue };
                let mut seen: Vec<(String, String)> = Vec::new();
                let kinds: &[(&str, bool)] = match dim {
                    Dimension::FaultRootCause => &[("fault", true)],
                    Dimension::ErrorRootCause => &[("error", false)],
                    _ => &[("fault", true), ("error", false)],
                };
                for &(kind, fault) in kinds {
                    let causes = if fault {
                        &s.fault_root_causes
                    } else {
                        &s.error_root_causes
                    };
                    // The root cause is the last service of each path (the first ones are
                    // the callers it went through).
                    for svc in causes.iter().filter_map(|c| c.services.last()) {
                        if let Some(name) = svc.name.as_deref() {
                            let key = if kinds.len() > 1 {
                                format!("{kind}: {name}")
                            } else {
                                name.to_owned()
                            };
                            let filter = format!(
                                "rootcause.{kind}.service {{ name = {} AND last }}",
                                quoted(name)
                            );
                            seen.push((key, filter));
                        }
                    }
                }
                seen.sort();
                seen.dedup();
                for (k, f) in seen {
                    add(k, f, i);
                }
            }
        }
    }
    let total = rows.len();
    let mut out: Vec<Group> = groups
        .into_iter()
        .map(|(key, (filter, members))| {
            let mut times: Vec<f64> = members
                .iter()
                .filter_map(|&i| {
                    let r = data.rows.get(i)?;
                    r.response_time.or(r.duration)
                })
                .collect();
            times.sort_by(f64::total_cmp);
            let count_of = |f: &dyn Fn(&crate::model::row::Row) -> bool| {
                members
                    .iter()
                    .filter(|&&i| data.rows.get(i).is_some_and(f))
                    .count()
            };
            Group {
                filter,
                count: members.len(),
                share: if total == 0 {
                    0.0
                } else {
                    members.len() as f64 / total as f64
                },
                faults: count_of(&|r| r.has_fault),
                errors: count_of(&|r| r.has_error),
                throttles: count_of(&|r| r.has_throttle),
                p50: percentile(&times, 50.0),
                p90: percentile(&times, 90.0),
                p99: percentile(&times, 99.0),
                key,
            }
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    out
}

/// `(shown value, clause)` for one annotation value.
fn annotation_clause(key: &str, v: &SummaryAnnotationValue) -> Option<(String, String)> {
    let kw = annotation_keyword(key);
    if let Some(s) = v.string_value.as_deref() {
        return Some((s.to_owned(), format!("{kw} = {}", quoted(s))));
    }
    if let Some(b) = v.boolean_value {
        return Some((b.to_string(), format!("{kw} = {b}")));
    }
    let n = v.number_value?;
    let mut text = String::new();
    let _ = write!(text, "{n}");
    Some((text.clone(), format!("{kw} = {text}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(5.0));
        assert_eq!(percentile(&v, 90.0), Some(9.0));
        assert_eq!(percentile(&v, 99.0), Some(10.0));
        assert_eq!(percentile(&v, 0.0), Some(1.0));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[3.0], 99.0), Some(3.0));
    }

    #[test]
    fn dimensions_parse_and_say_what_is_allowed() {
        assert_eq!("url".parse::<Dimension>(), Ok(Dimension::Url));
        assert_eq!(
            "annotation.customer_tier".parse::<Dimension>(),
            Ok(Dimension::Annotation("customer_tier".into()))
        );
        let e = "colour".parse::<Dimension>().expect_err("unknown");
        assert!(e.contains("annotation.KEY"), "{e}");
        assert!("annotation.".parse::<Dimension>().is_err());
    }
}
