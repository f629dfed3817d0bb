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
    // Groups in the order first met, found by key without allocating: a key and its filter
    // are built once, when the group is new.
    let mut groups: Vec<(String, String, Vec<usize>)> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut add = |key: &str, filter: &dyn Fn() -> String, row: usize| {
        let at = match index.get(key) {
            Some(&at) => at,
            None => {
                index.insert(key.to_owned(), groups.len());
                groups.push((key.to_owned(), filter(), Vec::new()));
                groups.len() - 1
            }
        };
        let members = &mut groups[at].2;
        // A trace counts once per group.
        if members.last() != Some(&row) {
            members.push(row);
        }
    };
    let mut edge_names: std::collections::HashMap<(u32, u32), (String, String)> =
        std::collections::HashMap::new();
    for &i in rows {
        let Some(r) = data.rows.get(i) else { continue };
        match dim {
            Dimension::Url => {
                if let Some(u) = r.http_url.as_deref() {
                    add(u, &|| format!("http.url = {}", quoted(u)), i);
                }
            }
            Dimension::Status => {
                if let Some(s) = r.http_status {
                    add(&s.to_string(), &|| format!("http.status = {s}"), i);
                }
            }
            Dimension::Method => {
                if let Some(m) = r.http_method.as_deref() {
                    add(m, &|| format!("http.method = {}", quoted(m)), i);
                }
            }
            Dimension::User => {
                for u in r.users.iter() {
                    add(u, &|| format!("user = {}", quoted(u)), i);
                }
            }
            Dimension::Service => {
                let mut names: Vec<&str> = r.services.iter().map(|s| &**s).collect();
                names.sort_unstable();
                names.dedup();
                for n in names {
                    add(n, &|| format!("service({})", quoted(n)), i);
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
                let mut edges: Vec<(u32, u32)> = frag.edges().collect();
                edges.sort_unstable();
                edges.dedup();
                for (a, b) in edges {
                    // Names by node ids, worked out once per pair of ids.
                    let (key, filter) = edge_names.entry((a, b)).or_insert_with(|| {
                        let (a, b) = (keys.get(a).name.as_str(), keys.get(b).name.as_str());
                        (
                            format!("{a} -> {b}"),
                            format!("edge({}, {})", quoted(a), quoted(b)),
                        )
                    });
                    add(key, &|| filter.clone(), i);
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
                    add(&k, &|| f.clone(), i);
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
                    add(&k, &|| f.clone(), i);
                }
            }
        }
    }
    let total = rows.len();
    let mut out: Vec<Group> = groups
        .into_iter()
        .map(|(key, filter, members)| {
            let t = Tally::of(data, &members);
            Group {
                filter,
                count: members.len(),
                share: if total == 0 {
                    0.0
                } else {
                    members.len() as f64 / total as f64
                },
                faults: t.faults,
                errors: t.errors,
                throttles: t.throttles,
                p50: percentile(&t.times, 50.0),
                p90: percentile(&t.times, 90.0),
                p99: percentile(&t.times, 99.0),
                key,
            }
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    out
}

/// What a set of traces adds up to: failures, and response times sorted for percentiles.
struct Tally {
    faults: usize,
    errors: usize,
    throttles: usize,
    times: Vec<f64>,
}

impl Tally {
    fn of(data: &Dataset, members: &[usize]) -> Tally {
        let mut t = Tally {
            faults: 0,
            errors: 0,
            throttles: 0,
            times: Vec::with_capacity(members.len()),
        };
        for r in members.iter().filter_map(|&i| data.rows.get(i)) {
            t.faults += usize::from(r.has_fault);
            t.errors += usize::from(r.has_error);
            t.throttles += usize::from(r.has_throttle);
            t.times.extend(r.response_time.or(r.duration));
        }
        t.times.sort_by(f64::total_cmp);
        t
    }
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

/// Which response times a histogram counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Measured {
    /// The traces' response times.
    Traces,
    /// A service node's response times (its segments), by name.
    Service(String),
    /// The calls from one service to another, by name.
    Edge(String, String),
}

/// One bin of a histogram: `[lo, hi)` seconds (the last bin includes `hi`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bin {
    /// Lower edge (seconds).
    pub lo: f64,
    /// Upper edge (seconds).
    pub hi: f64,
    /// Values in it.
    pub count: u64,
}

/// A response-time distribution: equal-width bins from the fastest to the slowest, and the
/// nearest-rank percentiles.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Histogram {
    /// Values counted.
    pub count: u64,
    /// The bins, fastest first.
    pub bins: Vec<Bin>,
    /// p50, p90, p95, p99 (seconds).
    pub percentiles: [(u8, Option<f64>); 4],
    /// The clause that selects the traces of a range `[lo, hi]` (with `{lo}` and `{hi}` in
    /// it): the traces' `responsetime`, or the node's or edge's block form.
    pub range_filter: String,
}

/// The response-time histogram of `rows` in `buckets` equal bins, for the traces, a service
/// node or an edge (from the service graph of those traces: its millisecond histograms).
pub fn histogram(data: &Dataset, rows: &[usize], what: &Measured, buckets: usize) -> Histogram {
    let mut values: Vec<(f64, u64)> = Vec::new();
    let range_filter = match what {
        Measured::Traces => {
            values.extend(rows.iter().filter_map(|&i| {
                let r = data.rows.get(i)?;
                Some((r.response_time.or(r.duration)?, 1))
            }));
            "responsetime >= {lo} AND responsetime <= {hi}".to_owned()
        }
        Measured::Service(name) | Measured::Edge(name, _) => {
            let traces: Vec<usize> = rows
                .iter()
                .filter_map(|&i| data.traces.position(&data.rows.get(i)?.id))
                .collect();
            let g = data.traces.graph(traces);
            // Every node of that name (X-Ray's `service("checkout")` means them all: a Lambda
            // function's two nodes share it), and every edge between such nodes.
            let named = |n: &crate::model::graph::Service, name: &str| {
                n.name.as_deref() == Some(name) && n.kind.as_deref() != Some("client")
            };
            let mut hist: Vec<crate::model::graph::HistogramEntry> = Vec::new();
            for node in g.services.iter().filter(|n| named(n, name)) {
                match what {
                    Measured::Edge(_, to) => {
                        for e in &node.edges {
                            if g.node(e.reference_id).is_some_and(|n| named(n, to)) {
                                hist.extend(e.response_time_histogram.iter().cloned());
                            }
                        }
                    }
                    _ => hist.extend(node.response_time_histogram.iter().cloned()),
                }
            }
            values.extend(hist.iter().map(|h| (h.value, h.count)));
            match what {
                Measured::Edge(a, b) => format!(
                    "edge({}, {}) {{ responsetime >= {{lo}} AND responsetime <= {{hi}} }}",
                    quoted(a),
                    quoted(b)
                ),
                _ => format!(
                    "service({}) {{ responsetime >= {{lo}} AND responsetime <= {{hi}} }}",
                    quoted(name)
                ),
            }
        }
    };
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    let count: u64 = values.iter().map(|v| v.1).sum();
    // The sorted values, expanded for percentiles (counts are per millisecond value: bounded
    // by the number of requests measured).
    let flat: Vec<f64> = values
        .iter()
        .flat_map(|&(v, n)| std::iter::repeat_n(v, usize::try_from(n).unwrap_or(0)))
        .collect();
    let pick = |p: f64| percentile(&flat, p);
    let percentiles = [
        (50, pick(50.0)),
        (90, pick(90.0)),
        (95, pick(95.0)),
        (99, pick(99.0)),
    ];
    let buckets = buckets.clamp(1, 200);
    let bins = match (flat.first(), flat.last()) {
        (Some(&lo), Some(&hi)) => {
            let width = ((hi - lo) / buckets as f64).max(f64::EPSILON);
            let mut bins: Vec<Bin> = (0..buckets)
                .map(|b| Bin {
                    lo: lo + width * b as f64,
                    hi: if b + 1 == buckets {
                        hi
                    } else {
                        lo + width * (b + 1) as f64
                    },
                    count: 0,
                })
                .collect();
            for &(v, n) in &values {
                let b = (((v - lo) / width) as usize).min(buckets - 1);
                bins[b].count += n;
            }
            bins
        }
        _ => Vec::new(),
    };
    Histogram {
        count,
        bins,
        percentiles,
        range_filter,
    }
}

/// One interval of a time series.
#[derive(Debug, Clone, PartialEq)]
pub struct Interval {
    /// Start (epoch seconds).
    pub start: f64,
    /// Traces that started in it.
    pub count: usize,
    /// Of them, with a fault.
    pub faults: usize,
    /// With an error.
    pub errors: usize,
    /// Throttled.
    pub throttles: usize,
    /// The 90th percentile of their response times (seconds).
    pub p90: Option<f64>,
    /// The interval as a time window (`START..END`, what `--start`/`--end` and the app's `w`
    /// take): time is the window's business, not the filter's.
    pub window: String,
}

/// Requests per `interval` seconds across the traces' time span, with faults, errors,
/// throttles and p90; empty intervals included, so the series has no holes.
pub fn over_time(data: &Dataset, rows: &[usize], interval: f64) -> Vec<Interval> {
    let interval = if interval.is_finite() && interval > 0.0 {
        interval
    } else {
        60.0
    };
    let starts: Vec<(f64, usize)> = rows
        .iter()
        .filter_map(|&i| Some((data.rows.get(i)?.start_time?, i)))
        .collect();
    let Some(first) = starts.iter().map(|s| s.0).reduce(f64::min) else {
        return Vec::new();
    };
    let last = starts.iter().map(|s| s.0).fold(first, f64::max);
    let origin = (first / interval).floor() * interval;
    // Bounded: at most 100,000 intervals (a coarser interval is asked for past that).
    let n = (((last - origin) / interval).floor() as usize + 1).min(100_000);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(t, i) in &starts {
        let k = (((t - origin) / interval) as usize).min(n - 1);
        members[k].push(i);
    }
    members
        .into_iter()
        .enumerate()
        .map(|(k, m)| {
            let start = origin + interval * k as f64;
            let t = Tally::of(data, &m);
            Interval {
                start,
                count: m.len(),
                faults: t.faults,
                errors: t.errors,
                throttles: t.throttles,
                p90: percentile(&t.times, 90.0),
                window: format!(
                    "{}..{}",
                    crate::model::time::format_utc(start),
                    crate::model::time::format_utc(start + interval)
                ),
            }
        })
        .collect()
}

/// One dimension value, as common in a selection as in its baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// The dimension (`service`, `url`, `annotation.tier`...).
    pub dimension: String,
    /// The value.
    pub key: String,
    /// The clause that selects the traces with it.
    pub filter: String,
    /// Share of the selection's traces with it (0 to 1).
    pub selection: f64,
    /// Share of the baseline's traces with it.
    pub baseline: f64,
}

impl Difference {
    /// How differently it is distributed: the difference of the two shares.
    pub fn score(&self) -> f64 {
        (self.selection - self.baseline).abs()
    }
}

/// Every value of the usual dimensions (root-cause services, services, edges, URL, status,
/// method, user, each annotation key of the selection) ranked by how differently it is spread
/// over `selection` and `baseline`, largest difference first.
pub fn compare(data: &Dataset, selection: &[usize], baseline: &[usize]) -> Vec<Difference> {
    let mut dims: Vec<(String, Dimension)> = [
        ("rootcause", Dimension::RootCause),
        ("service", Dimension::Service),
        ("edge", Dimension::Edge),
        ("url", Dimension::Url),
        ("status", Dimension::Status),
        ("method", Dimension::Method),
        ("user", Dimension::User),
    ]
    .into_iter()
    .map(|(n, d)| (n.to_owned(), d))
    .collect();
    let mut keys: Vec<String> = selection
        .iter()
        .filter_map(|&i| data.summary(i))
        .flat_map(|s| s.annotations.keys().cloned().collect::<Vec<_>>())
        .collect();
    keys.sort();
    keys.dedup();
    for k in keys.into_iter().take(50) {
        dims.push((format!("annotation.{k}"), Dimension::Annotation(k)));
    }
    let mut out = Vec::new();
    for (name, dim) in dims {
        let sel: BTreeMap<String, Group> = group_by(data, selection, &dim)
            .into_iter()
            .map(|g| (g.key.clone(), g))
            .collect();
        let base: BTreeMap<String, Group> = group_by(data, baseline, &dim)
            .into_iter()
            .map(|g| (g.key.clone(), g))
            .collect();
        let mut all: Vec<&String> = sel.keys().chain(base.keys()).collect();
        all.sort();
        all.dedup();
        for k in all {
            let (s, b) = (sel.get(k), base.get(k));
            let Some(filter) = s.or(b).map(|g| g.filter.clone()) else {
                continue;
            };
            out.push(Difference {
                dimension: name.clone(),
                key: k.clone(),
                filter,
                selection: s.map_or(0.0, |g| g.share),
                baseline: b.map_or(0.0, |g| g.share),
            });
        }
    }
    out.sort_by(|a, b| {
        b.score()
            .total_cmp(&a.score())
            .then_with(|| a.dimension.cmp(&b.dimension))
            .then_with(|| a.key.cmp(&b.key))
    });
    out
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
