//! The daemon's TCP side: the X-Ray SDKs in centralized sampling mode call
//! `POST /GetSamplingRules` and `POST /SamplingTargets` on the daemon address (the real daemon
//! signs and proxies them to X-Ray). xray-tui answers them itself from a local rule set, so
//! SDKs sample as they would in AWS and log no errors, with no AWS account.
//!
//! ## Why it is built this way
//!
//! The endpoint may face a network (`--bind 0.0.0.0:2000` for containers), and it shares the
//! process with the UDP receive and parser threads, whose datagrams are lost for good if they
//! are kept waiting. A hand-written parser with a thread per connection let one client buffer
//! an endless request line (400 MB sent, 775 MB resident), open threads without limit, or hold
//! a connection forever. So:
//!
//! - HTTP/1.1 is hyper's (keep-alive kept: the Python SDK reuses its connection), served on a
//!   **current-thread tokio runtime on one thread of its own** (`xray-sampling`): however many
//!   connections, one thread, and the UDP threads are never touched;
//! - every input is bounded: a request head (line and headers) of at most [`MAX_HEAD_BYTES`]
//!   (431 past it), a body of at most [`MAX_BODY_BYTES`] (413), a head within
//!   [`HEADER_TIMEOUT`] of the connection opening or of the previous answer (so idle keep-alive
//!   connections and slowloris heads are closed), a body within [`BODY_TIMEOUT`] (408);
//! - at most [`MAX_CONNECTIONS`] connections are held. At the cap a new connection takes the
//!   place of the oldest one that is not being answered (an idle or slow client: a well-behaved
//!   SDK reconnects), so idle connections cannot lock SDKs out; if every held connection is
//!   being answered, the new one gets a 503 and is closed;
//! - `SamplingTargets` costs O(documents) and holds its lock only to note which clients
//!   reported ([`Sampler::sampling_targets`]).
//!
//! Refused requests and connections are counted (`sampling-refused` in the status line).

use std::collections::{HashMap, HashSet};
use std::io;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Body as _, Incoming};
use hyper::header::{CONNECTION, CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::stats::Stats;
pub use crate::source::feed::RuleCounts;
use crate::source::serve::{Limits, Slots, serve_http1};
/// How long a reservoir quota lasts, and how often SDKs should report (seconds).
const QUOTA_TTL: u64 = 10;

/// The sampling rules served to SDKs.
#[derive(Debug, Clone)]
pub struct SamplingRules {
    records: Vec<Value>,
}

impl Default for SamplingRules {
    /// X-Ray's default rule: a reservoir of 1 request per second, then 5 %.
    fn default() -> Self {
        Self {
            records: vec![json!({
                "SamplingRule": {
                    "RuleName": "Default",
                    "RuleARN": "arn:aws:xray:local::sampling-rule/Default",
                    "ResourceARN": "*",
                    "Priority": 10000,
                    "FixedRate": 0.05,
                    "ReservoirSize": 1,
                    "ServiceName": "*",
                    "ServiceType": "*",
                    "Host": "*",
                    "HTTPMethod": "*",
                    "URLPath": "*",
                    "Version": 1,
                    "Attributes": {}
                },
                "CreatedAt": 0.0,
                "ModifiedAt": 0.0
            })],
        }
    }
}

impl SamplingRules {
    /// One rule that keeps every request (`listen --sample-all`): for trying an app locally,
    /// where X-Ray's default (1 a second, then 5 %) would show 4 traces of 20 requests.
    pub fn sample_all() -> Self {
        let mut rules = Self::default();
        if let Some(rule) = rules
            .records
            .first_mut()
            .and_then(|r| r.get_mut("SamplingRule"))
        {
            rule["FixedRate"] = json!(1.0);
            rule["ReservoirSize"] = json!(0);
        }
        rules
    }

    /// What is served, for people: `X-Ray's default rule (1 a second, then 5%)`, `every
    /// request`, or `3 rules`.
    pub fn describe(&self) -> String {
        if self.is_default() {
            return "X-Ray's default rule (1 a second, then 5%)".to_owned();
        }
        match self.records.as_slice() {
            [one] => {
                let rule = &one["SamplingRule"];
                match (rule["ReservoirSize"].as_u64(), rule["FixedRate"].as_f64()) {
                    (_, Some(r)) if r >= 1.0 => "every request".to_owned(),
                    (res, r) => format!(
                        "one rule ({} a second, then {}%)",
                        res.unwrap_or(0),
                        r.map_or(0.0, |r| r * 100.0)
                    ),
                }
            }
            many => format!("{} rules", many.len()),
        }
    }

    /// Whether X-Ray's default rule is what is served: the one `Default` rule, 1 a second then
    /// 5% (the status line hints at `--sample-all` then).
    pub fn is_default(&self) -> bool {
        match self.records.as_slice() {
            [one] => {
                let rule = &one["SamplingRule"];
                rule["RuleName"] == "Default"
                    && rule["ReservoirSize"].as_u64() == Some(1)
                    && rule["FixedRate"]
                        .as_f64()
                        .is_some_and(|r| (r - 0.05).abs() < 1e-9)
            }
            _ => false,
        }
    }

    /// Rules from `aws xray get-sampling-rules` output (`{"SamplingRuleRecords": [...]}`).
    pub fn from_json(text: &str) -> Result<Self, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let records = v
            .get("SamplingRuleRecords")
            .and_then(Value::as_array)
            .ok_or("expected {\"SamplingRuleRecords\": [...]}, as `aws xray get-sampling-rules` prints")?;
        for (i, r) in records.iter().enumerate() {
            let rule = r
                .get("SamplingRule")
                .ok_or(format!("SamplingRuleRecords[{i}]: no SamplingRule"))?;
            for k in ["RuleName", "FixedRate", "ReservoirSize", "Priority"] {
                if rule.get(k).is_none() {
                    return Err(format!("SamplingRuleRecords[{i}].SamplingRule: no {k}"));
                }
            }
            // Adaptive sampling (2025): served back as it is, as X-Ray does; xray-tui itself
            // never boosts.
            if let Some(boost) = rule.get("SamplingRateBoost") {
                let rate = boost.get("MaxRate").and_then(Value::as_f64);
                let cooldown = boost.get("CooldownWindowMinutes").and_then(Value::as_u64);
                if !rate.is_some_and(|r| (0.0..=1.0).contains(&r)) || cooldown.is_none() {
                    return Err(format!(
                        "SamplingRuleRecords[{i}].SamplingRule.SamplingRateBoost: expected \
                         {{\"MaxRate\": a rate from 0 to 1, \"CooldownWindowMinutes\": minutes}}"
                    ));
                }
            }
        }
        Ok(Self {
            records: records.clone(),
        })
    }

    #[cfg(test)]
    fn rule(&self, name: &str) -> Option<&Value> {
        self.records
            .iter()
            .filter_map(|r| r.get("SamplingRule"))
            .find(|r| r.get("RuleName").and_then(Value::as_str) == Some(name))
    }

    fn last_modification(&self) -> f64 {
        self.records
            .iter()
            .filter_map(|r| r.get("ModifiedAt").and_then(Value::as_f64))
            .fold(0.0, f64::max)
    }
}

/// The longest request head (request line and headers) read, in bytes: past it the request is
/// answered 431 and the connection closed. SDK requests have heads of a few hundred bytes.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

/// The largest request body read, in bytes: past it the request is answered 413 and the
/// connection closed (a `Content-Length` above it is refused before a byte of the body is
/// read). A `SamplingTargets` report of a few thousand rules and clients fits.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A request head must arrive within this of the connection opening, or of the previous answer
/// on a kept-alive connection; else the connection is closed. So this is also how long an idle
/// keep-alive connection is kept (SDKs poll every 10 s and reconnect).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// A request body must arrive within this of its head; else the request is answered 408 and
/// the connection closed.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections held at once. At the cap a new connection replaces the oldest one that is not
/// being answered; if all are being answered it gets a 503 and is closed.
pub const MAX_CONNECTIONS: usize = 512;

/// Clients counted per rule and per window of 15 s (more still get answers, and share the
/// reservoir as if there were this many): bounds the memory a flood of client IDs can take.
pub const MAX_CLIENTS_PER_RULE: usize = 16 * 1024;

/// A client shares a rule's reservoir from its report for at least this long and at most twice
/// this long (SDKs report every [`QUOTA_TTL`] seconds).
const CLIENT_WINDOW: Duration = Duration::from_secs(3 * QUOTA_TTL / 2);

/// What `SamplingTargets` needs of a rule, looked up by name once per document.
#[derive(Debug)]
struct RuleTarget {
    fixed_rate: Value,
    reservoir: u64,
    /// The rule's priority and what it matches, for the diagnostics pane.
    priority: i64,
    matches: String,
    /// What the SDKs reported for the rule through `SamplingTargets`, summed.
    requests: AtomicU64,
    sampled: AtomicU64,
    borrowed: AtomicU64,
}

/// The clients that reported for one rule recently, in two generations of [`CLIENT_WINDOW`]:
/// counting is O(1), noting a report O(1), and forgetting old clients is dropping a whole
/// generation (after the lock is released), never a scan per request.
#[derive(Debug, Default)]
struct Reporters {
    current: HashSet<Box<str>>,
    previous: HashSet<Box<str>>,
    /// Clients in both generations.
    both: usize,
    /// When `current` began.
    since: Option<Instant>,
}

impl Reporters {
    /// Starts a new generation if `current` is a window old; returns the sets to drop.
    fn age(&mut self, now: Instant, dropped: &mut Vec<HashSet<Box<str>>>) {
        let since = *self.since.get_or_insert(now);
        let age = now.saturating_duration_since(since);
        if age < CLIENT_WINDOW {
            return;
        }
        let current = std::mem::take(&mut self.current);
        let previous = if age < 2 * CLIENT_WINDOW {
            std::mem::replace(&mut self.previous, current)
        } else {
            dropped.push(current);
            std::mem::take(&mut self.previous)
        };
        dropped.push(previous);
        self.both = 0;
        self.since = Some(now);
    }

    /// Notes a report from `client`.
    fn note(&mut self, client: &str) {
        if self.current.contains(client) || self.current.len() >= MAX_CLIENTS_PER_RULE {
            return;
        }
        if self.previous.contains(client) {
            self.both += 1;
        }
        self.current.insert(client.into());
    }

    /// Clients sharing the rule now (at least 1).
    fn count(&self) -> u64 {
        (self.current.len() + self.previous.len() - self.both).max(1) as u64
    }
}

/// What a `SamplingRule` matches, for people: the fields that are not `*`, or `every request`.
fn rule_matches(rule: &Value) -> String {
    let field = |k: &str| {
        rule.get(k)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty() && *v != "*")
    };
    let mut parts: Vec<String> = Vec::new();
    if let Some(v) = field("ServiceName") {
        parts.push(format!("service {v}"));
    }
    if let Some(v) = field("ServiceType") {
        parts.push(v.to_owned());
    }
    if let Some(v) = field("Host") {
        parts.push(format!("host {v}"));
    }
    match (field("HTTPMethod"), field("URLPath")) {
        (Some(m), Some(p)) => parts.push(format!("{m} {p}")),
        (Some(m), None) => parts.push(m.to_owned()),
        (None, Some(p)) => parts.push(p.to_owned()),
        (None, None) => {}
    }
    if let Some(v) = field("ResourceARN") {
        parts.push(v.to_owned());
    }
    if parts.is_empty() {
        "every request".to_owned()
    } else {
        parts.join(" · ")
    }
}

/// Shared state: the rules and which clients reported recently (to split reservoirs).
#[derive(Debug)]
pub struct Sampler {
    rules: SamplingRules,
    targets: HashMap<String, RuleTarget>,
    clients: Mutex<HashMap<String, Reporters>>,
}

impl Sampler {
    /// A sampler serving `rules`.
    pub fn new(rules: SamplingRules) -> Self {
        let mut targets = HashMap::new();
        for r in rules.records.iter().filter_map(|r| r.get("SamplingRule")) {
            let Some(name) = r.get("RuleName").and_then(Value::as_str) else {
                continue;
            };
            // The first rule of a name wins, as `SamplingRules::rule` finds it.
            targets
                .entry(name.to_owned())
                .or_insert_with(|| RuleTarget {
                    fixed_rate: r.get("FixedRate").cloned().unwrap_or(json!(0.0)),
                    reservoir: r.get("ReservoirSize").and_then(Value::as_u64).unwrap_or(0),
                    priority: r.get("Priority").and_then(Value::as_i64).unwrap_or(0),
                    matches: rule_matches(r),
                    requests: AtomicU64::new(0),
                    sampled: AtomicU64::new(0),
                    borrowed: AtomicU64::new(0),
                });
        }
        Self {
            rules,
            targets,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// The rules served.
    pub fn rules(&self) -> &SamplingRules {
        &self.rules
    }

    /// What the SDKs reported per rule, by rule name.
    pub fn rule_counts(&self) -> Vec<RuleCounts> {
        let mut out: Vec<RuleCounts> = self
            .targets
            .iter()
            .map(|(name, t)| RuleCounts {
                rule: name.clone(),
                priority: t.priority,
                matches: t.matches.clone(),
                reservoir: t.reservoir,
                rate: t.fixed_rate.as_f64().unwrap_or(0.0),
                requests: t.requests.load(Relaxed),
                sampled: t.sampled.load(Relaxed),
                borrowed: t.borrowed.load(Relaxed),
            })
            .collect();
        // In the order X-Ray tries them.
        out.sort_by(|a, b| {
            a.priority
                .cmp(&b.priority)
                .then_with(|| a.rule.cmp(&b.rule))
        });
        out
    }

    /// The response to `POST /GetSamplingRules`.
    pub fn get_sampling_rules(&self) -> Value {
        json!({ "SamplingRuleRecords": self.rules.records })
    }

    /// The response to `POST /SamplingTargets` for a request body: a rule's reservoir is split
    /// between the clients that reported for it recently.
    ///
    /// Adaptive sampling's `SamplingBoostStatisticsDocuments` (anomaly counts, which current
    /// ADOT SDKs send alongside the statistics) are accepted and answered with no boost
    /// (`UnprocessedBoostStatistics` empty, no `SamplingBoost` in the targets): rates stay the
    /// rules' own.
    ///
    /// Linear in the documents: the lock is held once, to note each document's client under its
    /// rule and read each rule's client count; the answer is built after it is released.
    pub fn sampling_targets(&self, body: &Value) -> Value {
        let now = Instant::now();
        let epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let docs = body
            .get("SamplingStatisticsDocuments")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let field = |d: &'_ Value, k: &str| -> String {
            d.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let reports: Vec<(String, String)> = docs
            .iter()
            .map(|d| (field(d, "RuleName"), field(d, "ClientID")))
            .collect();
        for d in docs {
            if let Some(t) = self.targets.get(&field(d, "RuleName")) {
                let n = |k: &str| d.get(k).and_then(Value::as_u64).unwrap_or(0);
                t.requests.fetch_add(n("RequestCount"), Relaxed);
                t.sampled.fetch_add(n("SampledCount"), Relaxed);
                t.borrowed.fetch_add(n("BorrowCount"), Relaxed);
            }
        }
        // Clients per known rule, after this request's reports are noted.
        let mut sharing: HashMap<&str, u64> = HashMap::new();
        let mut dropped = Vec::new();
        {
            let mut clients = match self.clients.lock() {
                Ok(c) => c,
                Err(p) => p.into_inner(),
            };
            for (name, client) in &reports {
                if !self.targets.contains_key(name) {
                    continue;
                }
                let r = match clients.get_mut(name.as_str()) {
                    Some(r) => r,
                    None => clients.entry(name.clone()).or_default(),
                };
                if !sharing.contains_key(name.as_str()) {
                    r.age(now, &mut dropped);
                    sharing.insert(name.as_str(), 0);
                }
                r.note(client);
            }
            for (name, n) in &mut sharing {
                *n = clients.get(*name).map_or(1, Reporters::count);
            }
        }
        drop(dropped);
        let mut targets = Vec::new();
        let mut unprocessed = Vec::new();
        for (name, _) in &reports {
            let Some(rule) = self.targets.get(name) else {
                unprocessed.push(json!({
                    "RuleName": name, "ErrorCode": "400", "Message": "unknown rule"
                }));
                continue;
            };
            let sharing = sharing.get(name.as_str()).copied().unwrap_or(1);
            targets.push(json!({
                "RuleName": name,
                "FixedRate": rule.fixed_rate,
                "ReservoirQuota": rule.reservoir.div_ceil(sharing),
                "ReservoirQuotaTTL": epoch + QUOTA_TTL,
                "Interval": QUOTA_TTL,
            }));
        }
        json!({
            "SamplingTargetDocuments": targets,
            "LastRuleModification": self.rules.last_modification(),
            "UnprocessedStatistics": unprocessed,
            "UnprocessedBoostStatistics": [],
        })
    }

    /// Answers one HTTP request: `(status, JSON body)`.
    pub fn handle(&self, method: &str, path: &str, body: &[u8]) -> (u16, Value) {
        let path = path.split('?').next().unwrap_or_default();
        match (method, path) {
            ("POST", "/GetSamplingRules") => (200, self.get_sampling_rules()),
            ("POST", "/SamplingTargets") => match serde_json::from_slice::<Value>(body) {
                Ok(v) => (200, self.sampling_targets(&v)),
                Err(e) => (
                    400,
                    json!({"__type": "InvalidRequestException", "message": e.to_string()}),
                ),
            },
            _ => (
                404,
                json!({
                    "__type": "NotFoundException",
                    "message": format!("xray-tui answers POST /GetSamplingRules and POST /SamplingTargets only, not {method} {path}")
                }),
            ),
        }
    }
}

/// The sampling HTTP server: one thread running a current-thread tokio runtime. Stopped by
/// [`Server::stop`] (or by dropping it, without waiting).
#[derive(Debug)]
pub(crate) struct Server {
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves `sampler` on a bound listener.
    pub(crate) fn start(
        listener: std::net::TcpListener,
        sampler: Arc<Sampler>,
        stats: Arc<Stats>,
    ) -> io::Result<Server> {
        listener.set_nonblocking(true)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()?;
        let listener = {
            let _in = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        let (shutdown, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("xray-sampling".into())
            .spawn(move || {
                runtime.block_on(async move {
                    tokio::select! {
                        // Sent, or the `Server` dropped.
                        _ = stopped => {}
                        () = accept(listener, sampler, stats) => {}
                    }
                });
                // Dropping the runtime drops every connection task: their sockets close now.
                drop(runtime);
            })?;
        Ok(Server {
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// Stops serving, closes every connection and waits for the thread.
    pub(crate) fn stop(mut self) {
        self.shutdown.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Dropping the sender stops the server; `stop` also waits for it.
        self.shutdown.take();
    }
}

/// The accept loop: a task per admitted connection, on this one thread.
async fn accept(listener: tokio::net::TcpListener, sampler: Arc<Sampler>, stats: Arc<Stats>) {
    let slots = Arc::new(Slots::new(MAX_CONNECTIONS));
    loop {
        let stream = crate::source::serve::accept(&listener).await;
        let Some((n, busy, close)) = slots.admit(&stats.sampling_refused) else {
            stats.sampling_refused.fetch_add(1, Relaxed);
            // Best effort and never waiting: the socket's buffer is empty, so this fits.
            let _ = stream.try_write(&refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many connections",
            ));
            continue;
        };
        let (sampler, stats, slots) = (sampler.clone(), stats.clone(), slots.clone());
        tokio::spawn(async move {
            let limits = Limits {
                max_head: MAX_HEAD_BYTES,
                head_timeout: HEADER_TIMEOUT,
            };
            let answer = |req| {
                let (sampler, stats) = (sampler.clone(), stats.clone());
                async move { answer(req, &sampler, &stats).await }
            };
            serve_http1(stream, busy, &close, limits, answer, || {
                stats.sampling_refused.fetch_add(1, Relaxed);
            })
            .await;
            slots.release(n);
        });
    }
}

/// Reads one request's body within the limits and answers it.
async fn answer(req: Request<Incoming>, sampler: &Sampler, stats: &Stats) -> Response<Full<Bytes>> {
    let refuse = |status: StatusCode, why: &str| {
        stats.sampling_refused.fetch_add(1, Relaxed);
        let mut r = json_response(status, &error_body(status, why));
        r.headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        r
    };
    if req.body().size_hint().lower() > MAX_BODY_BYTES as u64 {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, TOO_LARGE);
    }
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let limited = Limited::new(req.into_body(), MAX_BODY_BYTES).collect();
    let body = match tokio::time::timeout(BODY_TIMEOUT, limited).await {
        Ok(Ok(b)) => b.to_bytes(),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return refuse(StatusCode::PAYLOAD_TOO_LARGE, TOO_LARGE);
        }
        Ok(Err(_)) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "the request body could not be read",
            );
        }
        Err(_) => {
            return refuse(
                StatusCode::REQUEST_TIMEOUT,
                "the request body came too slowly",
            );
        }
    };
    let (status, value) = sampler.handle(&method, &path, &body);
    stats.sampling_requests.fetch_add(1, Relaxed);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(status, &value)
}

const TOO_LARGE: &str = "request bodies are limited to 1 MiB";

/// An error's JSON, in the shape of the service's errors.
fn error_body(status: StatusCode, why: &str) -> Value {
    json!({
        "__type": status.canonical_reason().unwrap_or("Error").replace(' ', ""),
        "message": why,
    })
}

fn json_response(status: StatusCode, value: &Value) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(value.to_string())));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// A whole HTTP/1.1 answer that closes the connection, for a connection hyper never sees.
fn refusal(status: StatusCode, why: &str) -> Vec<u8> {
    let body = error_body(status, why).to_string();
    format!(
        "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        status.as_str(),
        status.canonical_reason().unwrap_or_default(),
        body.len()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_sdks_report_is_summed_per_rule() {
        let s = Sampler::new(SamplingRules::default());
        let doc = |req: u64, smp: u64, brw: u64| {
            json!({"SamplingStatisticsDocuments": [
                {"RuleName": "Default", "ClientID": "0123456789abcdef01234567", "Timestamp": 1,
                 "RequestCount": req, "SampledCount": smp, "BorrowCount": brw},
                {"RuleName": "Nope", "ClientID": "0123456789abcdef01234567", "Timestamp": 1,
                 "RequestCount": 99, "SampledCount": 99, "BorrowCount": 99}
            ]})
        };
        s.sampling_targets(&doc(20, 4, 1));
        s.sampling_targets(&doc(10, 1, 0));
        assert_eq!(
            s.rule_counts(),
            vec![RuleCounts {
                rule: "Default".into(),
                priority: 10000,
                matches: "every request".into(),
                reservoir: 1,
                rate: 0.05,
                requests: 30,
                sampled: 5,
                borrowed: 1
            }]
        );
    }

    #[test]
    fn sample_all_keeps_every_request_and_says_so() {
        let all = SamplingRules::sample_all();
        assert_eq!(all.describe(), "every request");
        assert!(!all.is_default());
        let s = Sampler::new(all);
        let (_, rules) = s.handle("POST", "/GetSamplingRules", b"{}");
        assert_eq!(
            rules["SamplingRuleRecords"][0]["SamplingRule"]["FixedRate"],
            1.0
        );
        assert!(SamplingRules::default().is_default());
        assert_eq!(
            SamplingRules::default().describe(),
            "X-Ray's default rule (1 a second, then 5%)"
        );
    }

    #[test]
    fn default_rule_is_xrays_default() {
        let s = Sampler::new(SamplingRules::default());
        let v = s.get_sampling_rules();
        let r = &v["SamplingRuleRecords"][0]["SamplingRule"];
        assert_eq!(r["RuleName"], "Default");
        assert_eq!(r["ReservoirSize"], 1);
        assert_eq!(r["FixedRate"], 0.05);
        assert_eq!(r["Version"], 1);
        assert_eq!(r["ResourceARN"], "*");
    }

    #[test]
    fn targets_for_known_and_unknown_rules() {
        let s = Sampler::new(SamplingRules::default());
        let body = json!({"SamplingStatisticsDocuments": [
            {"RuleName": "Default", "ClientID": "abc", "Timestamp": 1, "RequestCount": 3, "SampledCount": 1, "BorrowCount": 0},
            {"RuleName": "Nope", "ClientID": "abc", "Timestamp": 1, "RequestCount": 3, "SampledCount": 1, "BorrowCount": 0}
        ]});
        let (status, v) = s.handle("POST", "/SamplingTargets", body.to_string().as_bytes());
        assert_eq!(status, 200);
        let t = &v["SamplingTargetDocuments"][0];
        assert_eq!(t["RuleName"], "Default");
        assert_eq!(t["ReservoirQuota"], 1);
        assert_eq!(t["FixedRate"], 0.05);
        assert_eq!(v["UnprocessedStatistics"][0]["RuleName"], "Nope");
        assert_eq!(s.handle("GET", "/", b"").0, 404);
        assert_eq!(s.handle("POST", "/SamplingTargets", b"{").0, 400);
    }

    #[test]
    fn boost_statistics_are_answered_with_the_usual_targets() {
        // As ADOT Java 2.11.5+ / Python 0.15.0+ send it with adaptive sampling on.
        let s = Sampler::new(SamplingRules::default());
        let body = json!({
            "SamplingStatisticsDocuments": [
                {"RuleName": "Default", "ClientID": "abc", "Timestamp": 1.7e9,
                 "RequestCount": 10, "SampledCount": 2, "BorrowCount": 1}
            ],
            "SamplingBoostStatisticsDocuments": [
                {"RuleName": "Default", "ServiceName": "checkout", "Timestamp": 1.7e9,
                 "AnomalyCount": 3, "TotalCount": 10, "SampledAnomalyCount": 1}
            ]
        });
        let (status, v) = s.handle("POST", "/SamplingTargets", body.to_string().as_bytes());
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["SamplingTargetDocuments"][0]["RuleName"], "Default");
        assert_eq!(v["SamplingTargetDocuments"][0]["FixedRate"], 0.05);
        assert!(
            v["SamplingTargetDocuments"][0]
                .get("SamplingBoost")
                .is_none()
        );
        assert_eq!(v["UnprocessedStatistics"], json!([]));
        assert_eq!(v["UnprocessedBoostStatistics"], json!([]));
        assert_eq!(s.rule_counts()[0].requests, 10);
        // Boost documents alone (no statistics yet) are fine too.
        let only = json!({"SamplingBoostStatisticsDocuments": [{"RuleName": "Default"}]});
        let (status, v) = s.handle("POST", "/SamplingTargets", only.to_string().as_bytes());
        assert_eq!((status, &v["SamplingTargetDocuments"]), (200, &json!([])));
    }

    #[test]
    fn rules_with_a_rate_boost_are_served_back() {
        let text = json!({"SamplingRuleRecords": [{"SamplingRule": {
            "RuleName": "checkout", "Priority": 1, "FixedRate": 0.05, "ReservoirSize": 1,
            "ServiceName": "*", "ServiceType": "*", "Host": "*", "HTTPMethod": "*",
            "URLPath": "*", "ResourceARN": "*", "Version": 1,
            "SamplingRateBoost": {"MaxRate": 0.25, "CooldownWindowMinutes": 1}
        }}]})
        .to_string();
        let s = Sampler::new(SamplingRules::from_json(&text).expect("rules"));
        let rules = s.get_sampling_rules();
        let boost = &rules["SamplingRuleRecords"][0]["SamplingRule"]["SamplingRateBoost"];
        assert_eq!(boost, &json!({"MaxRate": 0.25, "CooldownWindowMinutes": 1}));
        let bad = text.replace("0.25", "2.5");
        let e = SamplingRules::from_json(&bad).expect_err("a rate above 1");
        assert!(e.contains("SamplingRateBoost"), "{e}");
    }

    #[test]
    fn rules_from_cli_output() {
        let text = include_str!(
            "../../../tests/fixtures/public/aws-cli-examples/get-sampling-rules.rst.output01.json"
        );
        let r = SamplingRules::from_json(text).expect("rules");
        assert!(r.rule("base-scorekeep").is_some());
        assert!(r.last_modification() > 1.5e9);
        assert!(SamplingRules::from_json("{}").is_err());
    }

    /// Rules with the given reservoir sizes, named `r0`, `r1`...
    fn rules(reservoirs: &[u64]) -> SamplingRules {
        let records: Vec<Value> = reservoirs
            .iter()
            .enumerate()
            .map(|(i, r)| {
                json!({"SamplingRule": {
                    "RuleName": format!("r{i}"), "FixedRate": 0.1, "ReservoirSize": r, "Priority": i
                }})
            })
            .collect();
        SamplingRules::from_json(&json!({ "SamplingRuleRecords": records }).to_string())
            .expect("rules")
    }

    fn report(rule: &str, clients: impl IntoIterator<Item = String>) -> Value {
        let docs: Vec<Value> = clients
            .into_iter()
            .map(|c| json!({"RuleName": rule, "ClientID": c, "Timestamp": 1, "RequestCount": 1, "SampledCount": 0, "BorrowCount": 0}))
            .collect();
        json!({ "SamplingStatisticsDocuments": docs })
    }

    fn sharing(s: &Sampler, rule: &str) -> u64 {
        s.clients
            .lock()
            .expect("lock")
            .get(rule)
            .map_or(1, Reporters::count)
    }

    /// Item 8 of issue 14: 8,000 new clients in one report are answered in one call, each
    /// with its share of the reservoir, and the counts stay right across reports.
    #[test]
    fn thousands_of_clients_in_one_report() {
        let s = Sampler::new(rules(&[16_000]));
        let v = s.sampling_targets(&report("r0", (0..8000).map(|i| format!("c{i:05}"))));
        let docs = v["SamplingTargetDocuments"].as_array().expect("targets");
        assert_eq!(docs.len(), 8000);
        assert!(
            docs.iter()
                .all(|d| d["ReservoirQuota"] == 2 && d["RuleName"] == "r0")
        );
        assert_eq!(sharing(&s, "r0"), 8000);
        // The same clients again: still 8,000; 8,000 more: 16,000.
        s.sampling_targets(&report("r0", (0..8000).map(|i| format!("c{i:05}"))));
        assert_eq!(sharing(&s, "r0"), 8000);
        let v = s.sampling_targets(&report("r0", (8000..16000).map(|i| format!("c{i:05}"))));
        assert_eq!(v["SamplingTargetDocuments"][0]["ReservoirQuota"], 1);
        assert_eq!(sharing(&s, "r0"), 16000);
        // Unknown rules are answered as unprocessed and not remembered.
        let v = s.sampling_targets(&report("nope", (0..10).map(|i| format!("c{i}"))));
        assert_eq!(
            v["UnprocessedStatistics"].as_array().map(Vec::len),
            Some(10)
        );
        assert!(s.clients.lock().expect("lock").get("nope").is_none());
    }

    #[test]
    fn clients_are_forgotten_after_one_to_two_windows() {
        let t0 = Instant::now();
        let mut r = Reporters::default();
        let mut dropped = Vec::new();
        r.age(t0, &mut dropped);
        r.note("a");
        r.note("b");
        assert_eq!(r.count(), 2);
        // Next window: a and b still count; a reports again, c is new.
        r.age(t0 + CLIENT_WINDOW, &mut dropped);
        r.note("a");
        r.note("c");
        assert_eq!(r.count(), 3);
        // The window after: b has not reported for a whole window and is forgotten.
        r.age(t0 + 2 * CLIENT_WINDOW, &mut dropped);
        assert_eq!(r.count(), 2);
        // Silence for two windows: everyone is forgotten.
        r.age(t0 + 5 * CLIENT_WINDOW, &mut dropped);
        assert_eq!((r.count(), r.current.len(), r.previous.len()), (1, 0, 0));
        // The cap: more clients are answered but not counted.
        for i in 0..MAX_CLIENTS_PER_RULE + 10 {
            r.note(&i.to_string());
        }
        assert_eq!(r.count(), MAX_CLIENTS_PER_RULE as u64);
    }

    proptest::proptest! {
        /// Within one window, a rule's reservoir is shared by exactly the distinct clients
        /// that reported for it, whatever the order and grouping of the reports.
        #[test]
        fn sharing_counts_distinct_clients(
            reports in proptest::collection::vec(
                proptest::collection::vec((0usize..3, 0u8..40), 0..30), 1..8)
        ) {
            let s = Sampler::new(rules(&[1_000_000, 7, 0]));
            let mut seen: [HashSet<u8>; 3] = Default::default();
            for req in &reports {
                let docs: Vec<Value> = req
                    .iter()
                    .map(|(r, c)| json!({"RuleName": format!("r{r}"), "ClientID": format!("{c}")}))
                    .collect();
                for (r, c) in req {
                    seen[*r].insert(*c);
                }
                let v = s.sampling_targets(&json!({ "SamplingStatisticsDocuments": docs }));
                let targets = v["SamplingTargetDocuments"].as_array().expect("targets");
                proptest::prop_assert_eq!(targets.len(), req.len());
                for (t, (r, _)) in targets.iter().zip(req) {
                    let n = seen[*r].len() as u64;
                    let reservoir = [1_000_000u64, 7, 0][*r];
                    proptest::prop_assert_eq!(&t["ReservoirQuota"], &json!(reservoir.div_ceil(n)));
                }
                for (r, clients) in seen.iter().enumerate() {
                    proptest::prop_assert_eq!(
                        sharing(&s, &format!("r{r}")),
                        (clients.len() as u64).max(1)
                    );
                }
            }
        }
    }
}
