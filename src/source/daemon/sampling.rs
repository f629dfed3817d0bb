//! The daemon's TCP side: the X-Ray SDKs in centralized sampling mode call
//! `POST /GetSamplingRules` and `POST /SamplingTargets` on the daemon address (the real daemon
//! signs and proxies them to X-Ray). xray-tui answers them itself from a local rule set, so
//! SDKs sample as they would in AWS and log no errors, with no AWS account.
//!
//! A tiny HTTP/1.1 server on std threads (one per connection, keep-alive) is enough for a
//! handful of SDK pollers; no web framework needed.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::stats::Stats;

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
        }
        Ok(Self {
            records: records.clone(),
        })
    }

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

/// Shared state: the rules and which clients reported recently (to split reservoirs).
#[derive(Debug)]
pub struct Sampler {
    rules: SamplingRules,
    clients: Mutex<HashMap<(String, String), Instant>>,
}

impl Sampler {
    /// A sampler serving `rules`.
    pub fn new(rules: SamplingRules) -> Self {
        Self {
            rules,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// The response to `POST /GetSamplingRules`.
    pub fn get_sampling_rules(&self) -> Value {
        json!({ "SamplingRuleRecords": self.rules.records })
    }

    /// The response to `POST /SamplingTargets` for a request body.
    pub fn sampling_targets(&self, body: &Value) -> Value {
        let now = Instant::now();
        let epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let docs = body
            .get("SamplingStatisticsDocuments")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut targets = Vec::new();
        let mut unprocessed = Vec::new();
        let mut clients = match self.clients.lock() {
            Ok(c) => c,
            Err(p) => p.into_inner(),
        };
        clients.retain(|_, seen| now.duration_since(*seen) < Duration::from_secs(3 * QUOTA_TTL));
        for d in &docs {
            let name = d
                .get("RuleName")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let client = d
                .get("ClientID")
                .and_then(Value::as_str)
                .unwrap_or_default();
            clients.insert((name.to_owned(), client.to_owned()), now);
        }
        for d in &docs {
            let name = d
                .get("RuleName")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let Some(rule) = self.rules.rule(name) else {
                unprocessed.push(json!({
                    "RuleName": name, "ErrorCode": "400", "Message": "unknown rule"
                }));
                continue;
            };
            let reservoir = rule
                .get("ReservoirSize")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            let sharing = clients.keys().filter(|(r, _)| r == name).count().max(1) as u64;
            targets.push(json!({
                "RuleName": name,
                "FixedRate": rule.get("FixedRate").cloned().unwrap_or(json!(0.0)),
                "ReservoirQuota": reservoir.div_ceil(sharing),
                "ReservoirQuotaTTL": epoch + QUOTA_TTL,
                "Interval": QUOTA_TTL,
            }));
        }
        json!({
            "SamplingTargetDocuments": targets,
            "LastRuleModification": self.rules.last_modification(),
            "UnprocessedStatistics": unprocessed,
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

/// Starts the sampling server on a bound listener; stops when `stop` is set.
pub(crate) fn serve(
    listener: TcpListener,
    sampler: Arc<Sampler>,
    stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
) -> io::Result<JoinHandle<()>> {
    listener.set_nonblocking(true)?;
    std::thread::Builder::new()
        .name("xray-sampling".into())
        .spawn(move || {
            while !stop.load(Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let (sampler, stats, stop) = (sampler.clone(), stats.clone(), stop.clone());
                        let _ = std::thread::Builder::new()
                            .name("xray-sampling-conn".into())
                            .spawn(move || {
                                let _ = connection(conn, &sampler, &stats, &stop);
                            });
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        })
}

/// Serves requests on one connection until it closes, times out, or the daemon stops.
fn connection(
    conn: TcpStream,
    sampler: &Sampler,
    stats: &Stats,
    stop: &AtomicBool,
) -> io::Result<()> {
    conn.set_nonblocking(false)?;
    conn.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut out = conn.try_clone()?;
    let mut reader = BufReader::new(conn);
    while !stop.load(Relaxed) {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let path = parts.next().unwrap_or_default().to_owned();
        let http10 = parts.next() == Some("HTTP/1.0");
        let mut length = 0usize;
        let mut close = http10;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 {
                return Ok(());
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
                if k == "content-length" {
                    length = v.parse().unwrap_or(0);
                } else if k == "connection" {
                    close = v.eq_ignore_ascii_case("close");
                }
            }
        }
        if length > 1024 * 1024 {
            return Ok(());
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        let (status, value) = sampler.handle(&method, &path, &body);
        stats.sampling_requests.fetch_add(1, Relaxed);
        let text = value.to_string();
        let reason = match status {
            200 => "OK",
            400 => "Bad Request",
            _ => "Not Found",
        };
        write!(
            out,
            "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{}\r\n{text}",
            text.len(),
            if close { "Connection: close\r\n" } else { "" }
        )?;
        out.flush()?;
        if close {
            return Ok(());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn rules_from_cli_output() {
        let text = include_str!(
            "../../../tests/fixtures/public/aws-cli-examples/get-sampling-rules.rst.output01.json"
        );
        let r = SamplingRules::from_json(text).expect("rules");
        assert!(r.rule("base-scorekeep").is_some());
        assert!(r.last_modification() > 1.5e9);
        assert!(SamplingRules::from_json("{}").is_err());
    }
}
