//! The scale generator: realistic X-Ray data of any size, the same bytes for the same seed.
//!
//! Why: the data core has to be measured on data shaped like a production account (issue #13,
//! "Measure it"), at sizes nobody wants to commit (1M traces is ~2.7 GB). The bundled demo
//! (`tests/support/demo.rs`) is hand-scripted and small; this one is statistical and streams, so
//! it writes a million traces in well under a minute on the 2-core box without holding them.
//!
//! What it makes: a shop behind an API Gateway stage (`AWS::ApiGateway::Stage`) routing to ECS
//! and EKS services (`AWS::ECS::Container`, `AWS::EKS::Container`) and to a checkout Lambda
//! function (`AWS::Lambda` + `AWS::Lambda::Function`) that calls more services, an external
//! payment API and SQS, whose message is consumed in the same trace by another Lambda function
//! that streams its work as subsegment documents (`"type": "subsegment"`). Downstream: DynamoDB,
//! SQS and S3 (`aws` subsegments with `table_name`, `queue_url`, `bucket_name`, `operation`,
//! `region`, `request_id`), PostgreSQL (SQL subsegments with `sql.url`, `sanitized_query`), an
//! OpenSearch domain and external HTTP APIs (`namespace: remote`). Faults (SQL timeouts, null
//! pointers, a payment provider outage propagated to the gateway), errors (404, 400, 402, 409),
//! throttles (gateway 429, DynamoDB `ProvisionedThroughputExceededException`), exceptions with
//! stacks under `cause`, annotations, metadata, users and HTTP request/response on segments.
//! Traces have 1 to ~10 documents and nest up to depth 10 (the gateway down to a DynamoDB call
//! of the SQS consumer); one trace in `in_progress_every` (1000 by default) is still running
//! when the capture ends (`in_progress: true`, no `end_time`). About 2.7 KB of NDJSON a trace.
//!
//! Determinism: a hand-written PRNG (splitmix64), distributions from basic IEEE arithmetic only
//! (no platform `exp`/`ln`), times kept as integer microseconds. Documents are written in the
//! order a daemon would send them (by end time, or start time while in progress), so concurrent
//! traces interleave; a heap holds only the documents of traces still running.
//!
//! Run (release; never write into the repository, use a temp dir):
//!
//! ```text
//! cargo run --release --example gen -- --traces 100000 --out /tmp/x/100k.ndjson
//! cargo run --release --example gen -- --traces 100000 --format batch --out /tmp/x/100k.json
//! cargo run --release --example gen -- --huge-trace 100000 --out /tmp/x/huge.ndjson
//! cargo run --release --example gen -- --datagram 8k --out /tmp/x/8k.datagram
//! ```
//!
//! Options: `--seed S` (decimal or 0x hex), `--rate R` (traces started per second, default
//! 200), `--in-progress-every K` (default 1000; 0 = none), `--per-file N` (batch format: at
//! most N traces a file, written as `OUT.000.json`, `OUT.001.json`, ...).
//!
//! The same file is included by the frame benchmark, the daemon benchmark and
//! `tests/scale_data.rs` (as a module, `#[path]`), so they all use the same shapes.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt::Write as _;
use std::io::{self, Write};

/// The default seed ("SCALE-13").
pub const DEFAULT_SEED: u64 = 0x5343_414c_452d_3133;

/// When the first trace starts: 2026-11-24T09:00:00Z, in microseconds.
pub const START_US: u64 = 1_795_510_800_000_000;

/// The datagram header the daemon expects before each document.
pub const DATAGRAM_HEADER: &str = "{\"format\":\"json\",\"version\":1}\n";

const REGION: &str = "eu-west-1";
const ACCOUNT: &str = "123456789012";
const API_ID: &str = "k7x2mq9d4e";
const DB_HOST: &str = "shop-db.cluster-c9ak.eu-west-1.rds.amazonaws.com";
const QUEUE_URL: &str = "https://sqs.eu-west-1.amazonaws.com/123456789012/order-events";
const SEARCH_HOST: &str = "vpc-shop-search-4fj2kq7x3n5b.eu-west-1.es.amazonaws.com";
const PAY_HOST: &str = "api.stripe.example";

/// What to generate.
#[derive(Debug, Clone)]
pub struct Config {
    /// How many traces.
    pub traces: u64,
    /// The PRNG seed: the same seed gives the same bytes.
    pub seed: u64,
    /// Traces started per second (sets how much traces interleave).
    pub rate: f64,
    /// One trace in this many is still in progress (0: none).
    pub in_progress_every: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            traces: 1000,
            seed: DEFAULT_SEED,
            rate: 200.0,
            in_progress_every: 1000,
        }
    }
}

/// What was written.
#[derive(Debug, Default, Clone, Copy)]
pub struct Written {
    /// Traces.
    pub traces: u64,
    /// Documents (segments and subsegments sent on their own).
    pub documents: u64,
    /// Bytes.
    pub bytes: u64,
}

// ---------------------------------------------------------------------------------------------
// Randomness: splitmix64 and arithmetic-only distributions.

#[allow(dead_code)]
#[path = "../support/rng.rs"]
mod rng;
use rng::{Rng, exp};

impl Rng {
    /// An AWS-style request ID of upper-case letters and digits.
    fn token(&mut self, s: &mut String, len: usize) {
        const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        for _ in 0..len {
            s.push(ALPHA[(self.next_u64() % ALPHA.len() as u64) as usize] as char);
        }
    }
    /// A random UUID (version 4 layout).
    fn uuid(&mut self, s: &mut String) {
        let (a, b) = (self.next_u64(), self.next_u64());
        let _ = write!(
            s,
            "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            b >> 52,
            b & 0xffff_ffff_ffff
        );
    }
}

// ---------------------------------------------------------------------------------------------
// JSON text, written by hand (fast, and the key order is ours).

/// Appends `v` as a JSON string.
fn push_str_json(s: &mut String, v: &str) {
    s.push('"');
    if v.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        s.push_str(v);
    } else {
        for c in v.chars() {
            match c {
                '"' => s.push_str("\\\""),
                '\\' => s.push_str("\\\\"),
                '\n' => s.push_str("\\n"),
                '\t' => s.push_str("\\t"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(s, "\\u{:04x}", c as u32);
                }
                c => s.push(c),
            }
        }
    }
    s.push('"');
}

/// Appends microseconds as decimal seconds (`1795510852.21`): exact, shortest.
fn push_micros(s: &mut String, us: u64) {
    let (whole, frac) = (us / 1_000_000, us % 1_000_000);
    let _ = write!(s, "{whole}");
    if frac != 0 {
        let mut digits = format!("{frac:06}");
        while digits.ends_with('0') {
            digits.pop();
        }
        s.push('.');
        s.push_str(&digits);
    }
}

/// A JSON writer that knows when a comma is due. Fragments (`Js::frag`) hold fields of an
/// object that is opened elsewhere: each field starts with a comma.
#[derive(Default)]
struct Js {
    s: String,
    comma: bool,
}

impl Js {
    fn frag() -> Self {
        Js {
            s: String::new(),
            comma: true,
        }
    }
    fn sep(&mut self) {
        if self.comma {
            self.s.push(',');
        }
        self.comma = true;
    }
    fn key(&mut self, k: &str) -> &mut String {
        self.sep();
        self.s.push('"');
        self.s.push_str(k);
        self.s.push_str("\":");
        &mut self.s
    }
    fn str(&mut self, k: &str, v: &str) {
        push_str_json(self.key(k), v);
    }
    fn num(&mut self, k: &str, v: u64) {
        let _ = write!(self.key(k), "{v}");
    }
    /// Hundredths (money) as a JSON number.
    fn cents(&mut self, k: &str, v: u64) {
        let s = self.key(k);
        let _ = write!(s, "{}", v / 100);
        match v % 100 {
            0 => {}
            c if c % 10 == 0 => {
                let _ = write!(s, ".{}", c / 10);
            }
            c => {
                let _ = write!(s, ".{c:02}");
            }
        }
    }
    fn bool(&mut self, k: &str, v: bool) {
        self.key(k).push_str(if v { "true" } else { "false" });
    }
    fn hex(&mut self, k: &str, v: u64) {
        let _ = write!(self.key(k), "\"{v:016x}\"");
    }
    fn obj(&mut self, k: &str) {
        self.key(k).push('{');
        self.comma = false;
    }
    fn arr(&mut self, k: &str) {
        self.key(k).push('[');
        self.comma = false;
    }
    fn elem_obj(&mut self) {
        self.sep();
        self.s.push('{');
        self.comma = false;
    }
    fn elem_str(&mut self, v: &str) {
        self.sep();
        push_str_json(&mut self.s, v);
    }
    fn end(&mut self) {
        self.s.push('}');
        self.comma = true;
    }
    fn end_arr(&mut self) {
        self.s.push(']');
        self.comma = true;
    }
    /// A request ID of `len` upper-case letters and digits.
    fn token(&mut self, k: &str, rng: &mut Rng, len: usize) {
        let s = self.key(k);
        s.push('"');
        rng.token(s, len);
        s.push('"');
    }
    fn uuid(&mut self, k: &str, rng: &mut Rng) {
        let s = self.key(k);
        s.push('"');
        rng.uuid(s);
        s.push('"');
    }
}

/// A fragment's fields without the leading comma (to open an object with them).
fn inner(frag: &str) -> &str {
    frag.strip_prefix(',').unwrap_or(frag)
}

// ---------------------------------------------------------------------------------------------
// Entities.

/// How an entity travels.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Doc {
    /// Inside its parent's document.
    Inline,
    /// A segment: its own document with `trace_id` and `parent_id` (none at the root).
    Segment,
    /// A subsegment sent on its own (`"type": "subsegment"`).
    Streamed,
}

/// One segment or subsegment, with its fields already written as JSON fragments.
struct Node {
    id: u64,
    name: Cow<'static, str>,
    start: u64,
    end: u64,
    doc: Doc,
    /// Fields known when the work starts (`namespace`, `origin`, `aws`, `sql`, ...).
    pre: Js,
    /// The fields of `http.request`.
    req: Js,
    /// The fields of `http.response` (written only once finished).
    resp: Js,
    /// Fields known at the end: flags, `cause`, `metadata` (written only once finished).
    post: Js,
    children: Vec<Node>,
}

/// Sets the error/fault/throttle flags an HTTP status implies.
fn flag(post: &mut Js, status: u16) {
    match status {
        429 => {
            post.bool("error", true);
            post.bool("throttle", true);
        }
        400..=499 => post.bool("error", true),
        500..=599 => post.bool("fault", true),
        _ => {}
    }
}

/// A generated trace: its ID, the root segment, and the capture's end if it is still running.
struct Trace {
    id: String,
    root: Node,
    cut: Option<u64>,
}

impl Trace {
    fn end(&self) -> u64 {
        fn max_end(n: &Node) -> u64 {
            n.children.iter().map(max_end).fold(n.end, u64::max)
        }
        let e = max_end(&self.root);
        self.cut.map_or(e, |c| e.min(c))
    }

    /// The trace's documents as (send time, segment ID, JSON). `stream`: subsegments marked
    /// as sent on their own get their own documents (as a daemon receives them); otherwise they
    /// stay inside their parent (as the X-Ray API returns them).
    fn documents(&self, stream: bool) -> Vec<(u64, u64, String)> {
        let mut docs = Vec::new();
        let mut pending: Vec<(&Node, Option<u64>)> = vec![(&self.root, None)];
        while let Some((n, parent)) = pending.pop() {
            let mut s = String::with_capacity(2048);
            self.entity(n, parent, true, stream, &mut s, &mut pending);
            let done = self.cut.is_none_or(|c| n.end <= c);
            docs.push((if done { n.end } else { n.start }, n.id, s));
        }
        docs
    }

    /// Writes `n` (and its inline subsegments) into `s`; its separate children go to `pending`.
    fn entity<'a>(
        &self,
        n: &'a Node,
        parent: Option<u64>,
        top: bool,
        stream: bool,
        s: &mut String,
        pending: &mut Vec<(&'a Node, Option<u64>)>,
    ) {
        let done = self.cut.is_none_or(|c| n.end <= c);
        let _ = write!(s, "{{\"id\":\"{:016x}\",\"name\":", n.id);
        push_str_json(s, &n.name);
        if top {
            s.push_str(",\"trace_id\":");
            push_str_json(s, &self.id);
            if let Some(p) = parent {
                let _ = write!(s, ",\"parent_id\":\"{p:016x}\"");
            }
            if n.doc == Doc::Streamed && stream {
                s.push_str(",\"type\":\"subsegment\"");
            }
        }
        s.push_str(",\"start_time\":");
        push_micros(s, n.start);
        if done {
            s.push_str(",\"end_time\":");
            push_micros(s, n.end);
        }
        s.push_str(&n.pre.s);
        let (req, resp) = (!n.req.s.is_empty(), done && !n.resp.s.is_empty());
        if req || resp {
            s.push_str(",\"http\":{");
            if req {
                s.push_str("\"request\":{");
                s.push_str(inner(&n.req.s));
                s.push('}');
            }
            if resp {
                if req {
                    s.push(',');
                }
                s.push_str("\"response\":{");
                s.push_str(inner(&n.resp.s));
                s.push('}');
            }
            s.push('}');
        }
        if done {
            s.push_str(&n.post.s);
        } else {
            s.push_str(",\"in_progress\":true");
        }
        let mut first = true;
        for c in &n.children {
            if self.cut.is_some_and(|cut| c.start > cut) {
                continue;
            }
            let separate = c.doc == Doc::Segment || (stream && c.doc == Doc::Streamed);
            if separate {
                pending.push((c, Some(n.id)));
                continue;
            }
            s.push_str(if first { ",\"subsegments\":[" } else { "," });
            first = false;
            self.entity(c, None, false, stream, s, pending);
        }
        if !first {
            s.push(']');
        }
        s.push('}');
    }
}

// ---------------------------------------------------------------------------------------------
// The shop's cast.

/// A service's runtime: SDK, service block and what its stack frames look like.
struct Runtime {
    sdk: &'static str,
    sdk_version: &'static str,
    service: &'static str,
    workdir: &'static str,
}

const JAVA: Runtime = Runtime {
    sdk: "X-Ray for Java",
    sdk_version: "2.18.2",
    service: r#"{"version":"2.14.3","runtime":"OpenJDK 64-Bit Server VM","runtime_version":"21.0.5"}"#,
    workdir: "/app",
};
const PYTHON: Runtime = Runtime {
    sdk: "X-Ray for Python",
    sdk_version: "2.14.0",
    service: r#"{"version":"1.9.2","runtime":"CPython","runtime_version":"3.12.7"}"#,
    workdir: "/app",
};
const GO: Runtime = Runtime {
    sdk: "X-Ray for Go",
    sdk_version: "1.8.4",
    service: r#"{"version":"0.31.0","compiler":"gc","compiler_version":"go1.23.3"}"#,
    workdir: "/srv",
};
const NODE: Runtime = Runtime {
    sdk: "X-Ray for Node.js",
    sdk_version: "3.10.1",
    service: r#"{"version":"4.2.0","runtime":"node","runtime_version":"v20.18.0"}"#,
    workdir: "/var/task",
};

/// Where a container service runs.
#[derive(Clone, Copy)]
enum Host {
    Ecs,
    Eks,
}

/// Client user agents: mostly the shop's apps, some browsers and scripts.
const UAS: [&str; 10] = [
    "ShopApp/3.12.1 (iPhone15,2; iOS 18.1; Scale/3.00)",
    "ShopApp/3.12.0 (Android 14; Pixel 8; okhttp/4.12.0)",
    "ShopApp/3.12.1 (iPhone14,5; iOS 17.6.1; Scale/3.00)",
    "ShopApp/3.11.4 (Android 13; SM-A546B; okhttp/4.12.0)",
    "ShopApp/3.12.1 (iPad13,18; iPadOS 18.1; Scale/2.00)",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "ShopApp/3.12.1 (iPhone16,1; iOS 18.1; Scale/3.00)",
    "curl/8.5.0",
    "python-requests/2.32.3",
];

const TIERS: [&str; 3] = ["gold", "silver", "bronze"];
const CATEGORIES: [&str; 8] = [
    "outdoor",
    "kitchen",
    "books",
    "electronics",
    "garden",
    "toys",
    "sports",
    "beauty",
];

/// Who sent the request.
struct Who {
    user: Option<u64>,
    tier: &'static str,
    ip: String,
    ua: &'static str,
}

/// What a called service answered.
struct Reply {
    node: Node,
    status: u16,
    len: u64,
}

/// The routes the gateway serves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Route {
    Products,
    Product,
    Cart,
    CartAdd,
    Order,
    Checkout,
    Search,
    /// Answered from the gateway's cache.
    Cached,
    /// Rejected by the gateway's rate limit.
    Throttled,
}

// ---------------------------------------------------------------------------------------------
// The generator.

/// Makes traces one after the other, in start order.
pub struct Gen {
    rng: Rng,
    cfg: Config,
    made: u64,
    clock: u64,
}

const MS: f64 = 1000.0;

impl Gen {
    /// A generator for `cfg`.
    pub fn new(cfg: Config) -> Self {
        Self {
            rng: Rng(cfg.seed),
            cfg,
            made: 0,
            clock: START_US,
        }
    }

    fn id(&mut self) -> u64 {
        // Never zero, never all-f: always 16 digits that look random.
        self.rng.next_u64() | 1 << 60
    }

    /// Log-normal latency around `median_ms`, in microseconds (at least 20).
    fn lat(&mut self, median_ms: f64, sigma: f64) -> u64 {
        let x = median_ms * MS * exp(sigma * self.rng.normal());
        (x.round() as u64).max(20)
    }

    /// A network hop's delay, in microseconds.
    fn hop(&mut self) -> u64 {
        self.rng.int(300, 1800)
    }

    fn node(&mut self, name: impl Into<Cow<'static, str>>, start: u64) -> Node {
        Node {
            id: self.id(),
            name: name.into(),
            start,
            end: start,
            doc: Doc::Inline,
            pre: Js::frag(),
            req: Js::frag(),
            resp: Js::frag(),
            post: Js::frag(),
            children: Vec::new(),
        }
    }

    /// The next trace.
    fn trace(&mut self) -> Trace {
        // Starts: uniform gaps with the configured mean (no `ln` needed for exponential gaps).
        let gap = (2.0 * 1e6 / self.cfg.rate * self.rng.unit()) as u64;
        self.clock += gap;
        let start = self.clock;
        let n = self.made;
        self.made += 1;
        let mut id = String::with_capacity(35);
        let _ = write!(
            id,
            "1-{:08x}-{:08x}{:016x}",
            start / 1_000_000,
            self.rng.next_u64() >> 32,
            self.rng.next_u64()
        );
        let r = self.rng.unit();
        let route = match r {
            _ if r < 0.20 => Route::Products,
            _ if r < 0.33 => Route::Product,
            _ if r < 0.45 => Route::Cart,
            _ if r < 0.53 => Route::CartAdd,
            _ if r < 0.62 => Route::Order,
            _ if r < 0.68 => Route::Checkout,
            _ if r < 0.73 => Route::Search,
            _ if r < 0.985 => Route::Cached,
            _ => Route::Throttled,
        };
        let logged_in = match route {
            Route::Products | Route::Product | Route::Search | Route::Cached | Route::Throttled => {
                self.rng.chance(0.4)
            }
            _ => true,
        };
        let who = Who {
            user: logged_in.then(|| self.rng.int(1, 50_000)),
            tier: TIERS[self.rng.int(0, 2) as usize],
            ip: {
                let a = self.rng.next_u64();
                format!(
                    "{}.{}.{}.{}",
                    [203, 198, 192, 100][(a & 3) as usize],
                    (a >> 8) % 256,
                    (a >> 16) % 256,
                    1 + (a >> 24) % 254
                )
            },
            ua: UAS[self.rng.int(0, UAS.len() as u64 - 1) as usize],
        };
        let root = self.gateway(start, &who, route);
        let every = self.cfg.in_progress_every;
        let cut = (every > 0 && n % every == every / 2).then(|| {
            // Captured while running: somewhere in the first 80% of the trace.
            let d = root.end.saturating_sub(root.start);
            root.start + 1 + (d as f64 * self.rng.unit() * 0.8) as u64
        });
        Trace { id, root, cut }
    }

    // -- the gateway --------------------------------------------------------------------------

    fn gateway(&mut self, t0: u64, who: &Who, route: Route) -> Node {
        let (method, path): (&str, String) = match route {
            Route::Products => {
                let page = self.rng.int(1, 12);
                let cat = *self.rng.pick(&CATEGORIES);
                ("GET", format!("/api/products?category={cat}&page={page}"))
            }
            Route::Product => (
                "GET",
                format!("/api/products/SKU-{}", self.rng.int(10000, 99999)),
            ),
            Route::Cart => ("GET", "/api/cart".into()),
            Route::CartAdd => ("POST", "/api/cart/items".into()),
            Route::Order => (
                "GET",
                format!("/api/orders/{}", self.rng.int(100_000, 999_999)),
            ),
            Route::Checkout => ("POST", "/api/checkout".into()),
            Route::Search => (
                "GET",
                format!(
                    "/api/search?q={}&page={}",
                    self.rng.pick(&CATEGORIES),
                    self.rng.int(1, 5)
                ),
            ),
            Route::Throttled => ("POST", "/api/cart/items".into()),
            Route::Cached => (
                "GET",
                format!("/api/categories/{}", self.rng.pick(&CATEGORIES)),
            ),
        };
        let mut g = self.node("shop-api/prod", t0);
        g.doc = Doc::Segment;
        g.pre.str("origin", "AWS::ApiGateway::Stage");
        g.pre.str(
            "resource_arn",
            &format!("arn:aws:apigateway:{REGION}::/restapis/{API_ID}/stages/prod"),
        );
        g.pre.obj("aws");
        g.pre.obj("api_gateway");
        g.pre.str("account_id", ACCOUNT);
        g.pre.str("rest_api_id", API_ID);
        g.pre.str("stage", "prod");
        g.pre.uuid("request_id", &mut self.rng);
        g.pre.end();
        g.pre.end();
        if let Some(u) = who.user {
            g.pre.str("user", &format!("customer-{u:05}"));
        }
        g.req.str("method", method);
        g.req.str(
            "url",
            &format!("https://{API_ID}.execute-api.{REGION}.amazonaws.com/prod{path}"),
        );
        g.req.str("user_agent", who.ua);
        g.req.str("client_ip", &who.ip);
        g.req.bool("x_forwarded_for", true);

        let t = t0 + self.rng.int(600, 3500);
        let reply = match route {
            Route::Throttled | Route::Cached => None,
            Route::Checkout => Some(self.invoke(t, who)),
            _ => {
                let (host, callee) = match route {
                    Route::Products | Route::Product => ("catalog.shop.internal", Svc::Catalog),
                    Route::Cart | Route::CartAdd => ("cart.shop.internal", Svc::Cart),
                    Route::Order => ("orders.shop.internal", Svc::Orders),
                    _ => ("search.shop.internal", Svc::Search),
                };
                let url = format!("http://{host}{path}");
                Some(self.call(t, host, method, &url, who, callee, route))
            }
        };
        let (status, len) = match reply {
            None if route == Route::Cached => {
                // Answered from the stage's cache: the gateway's segment alone.
                g.end = t0 + self.rng.int(900, 4000);
                (200, self.rng.int(800, 6000))
            }
            None => {
                g.end = t0 + self.rng.int(300, 1200);
                (429, 44)
            }
            Some(r) => {
                g.end = r.node.end + self.rng.int(400, 2500);
                g.children.push(r.node);
                (r.status, r.len)
            }
        };
        g.resp.num("status", u64::from(status));
        g.resp.num("content_length", len);
        flag(&mut g.post, status);
        if status >= 500 {
            self.cause_remote(
                &mut g.post,
                "InternalServerErrorException",
                "Internal server error",
            );
        }
        g
    }

    /// A `cause` with one exception from downstream (`remote: true`).
    fn cause_remote(&mut self, post: &mut Js, kind: &str, message: &str) {
        post.obj("cause");
        post.arr("exceptions");
        post.elem_obj();
        post.hex("id", self.rng.next_u64() | 1 << 60);
        post.str("message", message);
        post.str("type", kind);
        post.bool("remote", true);
        post.end();
        post.end_arr();
        post.end();
    }

    /// A `cause` with a local exception and its stack.
    fn cause_stack(
        &mut self,
        post: &mut Js,
        rt: &Runtime,
        kind: &str,
        msg: &str,
        stack: &[(&str, u64, &str)],
    ) {
        post.obj("cause");
        post.str("working_directory", rt.workdir);
        post.arr("exceptions");
        post.elem_obj();
        post.hex("id", self.rng.next_u64() | 1 << 60);
        post.str("message", msg);
        post.str("type", kind);
        post.arr("stack");
        for (path, line, label) in stack {
            post.elem_obj();
            post.str("path", path);
            post.num("line", *line);
            post.str("label", label);
            post.end();
        }
        post.end_arr();
        post.end();
        post.end_arr();
        post.end();
    }

    /// A traced HTTP call: the caller's `remote` subsegment with the callee's segment under it.
    #[allow(clippy::too_many_arguments)]
    fn call(
        &mut self,
        t: u64,
        host: &'static str,
        method: &str,
        url: &str,
        who: &Who,
        callee: Svc,
        route: Route,
    ) -> Reply {
        let mut sub = self.node(host, t);
        sub.pre.str("namespace", "remote");
        sub.req.str("method", method);
        sub.req.str("url", url);
        sub.req.bool("traced", true);
        let start = t + self.hop();
        // Called by another service (not through the gateway): that service's HTTP client,
        // from inside the VPC.
        let internal = match callee {
            Svc::Inventory | Svc::Payments | Svc::Reco => true,
            Svc::Orders => route == Route::Checkout,
            _ => false,
        };
        let inside;
        let who = if internal {
            let a = self.rng.next_u64();
            inside = Who {
                user: who.user,
                tier: who.tier,
                ip: format!("10.0.{}.{}", (a >> 8) % 64, 1 + a % 254),
                ua: [
                    "Go-http-client/1.1",
                    "axios/1.7.7",
                    "Apache-HttpClient/5.3.1 (Java/21.0.5)",
                ][(a >> 20) as usize % 3],
            };
            &inside
        } else {
            who
        };
        let r = match callee {
            Svc::Catalog => self.catalog(start, who, method, url, route),
            Svc::Cart => self.cart(start, who, method, url, route),
            Svc::Orders => self.orders(start, who, method, url, route),
            Svc::Search => self.search(start, who, method, url),
            Svc::Inventory => self.inventory(start, who, method, url),
            Svc::Payments => self.payments(start, who, method, url),
            Svc::Reco => self.reco(start, who, method, url),
        };
        sub.end = r.node.end + self.hop();
        sub.resp.num("status", u64::from(r.status));
        sub.resp.num("content_length", r.len);
        flag(&mut sub.post, r.status);
        let (status, len) = (r.status, r.len);
        sub.children.push(r.node);
        Reply {
            node: sub,
            status,
            len,
        }
    }

    /// A service's segment, with its platform and request fields; `end` and the response are
    /// set by [`Gen::finish`].
    fn service(
        &mut self,
        name: &'static str,
        host: Host,
        rt: &Runtime,
        start: u64,
        who: &Who,
        (method, url): (&str, &str),
    ) -> Node {
        let mut s = self.node(name, start);
        s.doc = Doc::Segment;
        s.pre.str(
            "origin",
            match host {
                Host::Ecs => "AWS::ECS::Container",
                Host::Eks => "AWS::EKS::Container",
            },
        );
        if let Some(u) = who.user {
            s.pre.str("user", &format!("customer-{u:05}"));
        }
        s.pre.obj("aws");
        s.pre.str("account_id", ACCOUNT);
        let a = self.rng.next_u64();
        match host {
            Host::Ecs => {
                s.pre.obj("ecs");
                s.pre.str("container", &format!("{name}-{:08x}", a >> 32));
                s.pre.str("container_id", &format!("{:016x}", a | 1 << 60));
                s.pre.str(
                    "availability_zone",
                    ["eu-west-1a", "eu-west-1b", "eu-west-1c"][(a % 3) as usize],
                );
                s.pre.end();
            }
            Host::Eks => {
                s.pre.obj("eks");
                s.pre
                    .str("pod", &format!("{name}-7c9f6d8b54-{:05x}", a >> 44));
                s.pre.str("cluster_name", "shop-prod");
                s.pre.str(
                    "container_id",
                    &format!("{:016x}{:016x}", a, a.rotate_left(17)),
                );
                s.pre.end();
            }
        }
        s.pre.obj("xray");
        s.pre.str("sdk", rt.sdk);
        s.pre.str("sdk_version", rt.sdk_version);
        s.pre.end();
        s.pre.end();
        s.pre.key("service").push_str(rt.service);
        s.req.str("method", method);
        s.req.str("url", url);
        s.req.str("user_agent", who.ua);
        s.req.str("client_ip", &who.ip);
        s.req.bool("x_forwarded_for", !who.ip.starts_with("10."));
        s
    }

    /// Ends a service segment after its last child, with the response and flags.
    fn finish(&mut self, mut s: Node, status: u16, len: u64) -> Reply {
        let last = s.children.iter().map(|c| c.end).max().unwrap_or(s.start);
        s.end = last + self.lat(0.6, 0.4);
        s.resp.num("status", u64::from(status));
        s.resp.num("content_length", len);
        flag(&mut s.post, status);
        Reply {
            node: s,
            status,
            len,
        }
    }

    fn annotations(&mut self, s: &mut Node, who: &Who, more: &[(&str, Ann)]) {
        s.pre.obj("annotations");
        s.pre.str("customer_tier", who.tier);
        s.pre.str("region", REGION);
        for (k, v) in more {
            match v {
                Ann::S(x) => s.pre.str(k, x),
                Ann::N(x) => s.pre.num(k, *x),
                Ann::C(x) => s.pre.cents(k, *x),
                Ann::B(x) => s.pre.bool(k, *x),
            }
        }
        s.pre.end();
    }

    // -- calls --------------------------------------------------------------------------------

    fn dynamo(&mut self, t: u64, op: &'static str, table: &str, outcome: Ddb) -> Node {
        let mut d = self.node("DynamoDB", t);
        d.pre.str("namespace", "aws");
        d.pre.obj("aws");
        d.pre.str("operation", op);
        d.pre.str("region", REGION);
        d.pre.token("request_id", &mut self.rng, 52);
        d.pre
            .num("retries", if outcome == Ddb::Throttled { 3 } else { 0 });
        d.pre.str("table_name", table);
        d.pre.arr("resource_names");
        d.pre.elem_str(table);
        d.pre.end_arr();
        d.pre.end();
        match outcome {
            Ddb::Ok => {
                d.end = t + self.lat(4.0, 0.5);
                let len = match op {
                    "GetItem" | "Query" | "BatchGetItem" => self.rng.int(180, 4000),
                    _ => 2,
                };
                d.resp.num("status", 200);
                d.resp.num("content_length", len);
            }
            Ddb::Throttled => {
                d.end = t + self.lat(180.0, 0.3);
                d.resp.num("status", 400);
                d.resp.num("content_length", 112);
                d.post.bool("error", true);
                d.post.bool("throttle", true);
                self.cause_remote(
                    &mut d.post,
                    "ProvisionedThroughputExceededException",
                    "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
                );
            }
            Ddb::Conflict => {
                d.end = t + self.lat(5.0, 0.4);
                d.resp.num("status", 400);
                d.resp.num("content_length", 97);
                d.post.bool("error", true);
                self.cause_remote(
                    &mut d.post,
                    "ConditionalCheckFailedException",
                    "The conditional request failed",
                );
            }
        }
        d
    }

    fn s3(&mut self, t: u64, op: &'static str, bucket: &str, key: &str) -> Node {
        let mut d = self.node("S3", t);
        d.pre.str("namespace", "aws");
        d.pre.obj("aws");
        d.pre.str("operation", op);
        d.pre.str("region", REGION);
        d.pre.token("request_id", &mut self.rng, 16);
        d.pre.num("retries", 0);
        d.pre.str("bucket_name", bucket);
        d.pre.str("key", key);
        d.pre.end();
        d.end = t + self.lat(22.0, 0.5);
        d.resp.num("status", 200);
        if op == "GetObject" {
            let len = self.rng.int(2000, 60_000);
            d.resp.num("content_length", len);
        }
        d
    }

    fn sqs(&mut self, t: u64) -> Node {
        let mut d = self.node("SQS", t);
        d.pre.str("namespace", "aws");
        d.pre.obj("aws");
        d.pre.str("operation", "SendMessage");
        d.pre.str("region", REGION);
        d.pre.uuid("request_id", &mut self.rng);
        d.pre.num("retries", 0);
        d.pre.str("queue_url", QUEUE_URL);
        d.pre.uuid("message_id", &mut self.rng);
        d.pre.arr("resource_names");
        d.pre.elem_str(QUEUE_URL);
        d.pre.end_arr();
        d.pre.end();
        d.end = t + self.lat(9.0, 0.4);
        d.resp.num("status", 200);
        d
    }

    fn sql(
        &mut self,
        t: u64,
        user: &str,
        driver: &str,
        query: &'static str,
        median_ms: f64,
    ) -> Node {
        let mut d = self.node(const_str_db(), t);
        d.pre.str("namespace", "remote");
        d.pre.obj("sql");
        d.pre
            .str("url", &format!("jdbc:postgresql://{DB_HOST}:5432/shopdb"));
        d.pre.str(
            "preparation",
            if query.starts_with("SELECT") {
                "statement"
            } else {
                "call"
            },
        );
        d.pre.str("database_type", "PostgreSQL");
        d.pre.str("database_version", "16.4");
        d.pre.str("driver_version", driver);
        d.pre.str("user", user);
        d.pre.str("sanitized_query", query);
        d.pre.end();
        d.end = t + self.lat(median_ms, 0.5);
        d
    }

    /// A local subsegment (`## name`) around `children`, starting at `t`.
    fn local(&mut self, name: &'static str, t: u64, children: Vec<Node>) -> Node {
        let mut l = self.node(name, t);
        let last = children.iter().map(|c| c.end).max().unwrap_or(t);
        l.end = last + self.lat(0.3, 0.4);
        l.children = children;
        l
    }

    // -- services -----------------------------------------------------------------------------

    fn catalog(&mut self, start: u64, who: &Who, method: &str, url: &str, route: Route) -> Reply {
        let mut s = self.service("catalog", Host::Ecs, &PYTHON, start, who, (method, url));
        let mut t = start + self.lat(1.0, 0.3);
        let mut calls = Vec::new();
        let list = route == Route::Products;
        let mut q = self.sql(
            t,
            "catalog_ro",
            "psycopg2 2.9.10",
            if list {
                "SELECT p.sku, p.name, p.price, p.stock FROM products p WHERE p.category = %s AND p.active ORDER BY p.popularity DESC LIMIT %s OFFSET %s"
            } else {
                "SELECT p.sku, p.name, p.description, p.price, p.stock, p.category FROM products p WHERE p.sku = %s"
            },
            9.0,
        );
        let roll = self.rng.unit();
        if list && roll < 0.012 {
            // The statement timeout: a fault with the driver's stack.
            q.end = t + 3_000_000 + self.rng.int(1000, 4000);
            q.post.bool("fault", true);
            self.cause_stack(
                &mut q.post,
                &PYTHON,
                "QueryCanceled",
                "canceling statement due to statement timeout",
                &[
                    (
                        "/usr/local/lib/python3.12/site-packages/psycopg2/extras.py",
                        236,
                        "execute",
                    ),
                    ("/app/catalog/repository.py", 74, "list_items"),
                    ("/app/catalog/service.py", 52, "page_of_items"),
                    ("/app/catalog/views.py", 31, "items"),
                ],
            );
            calls.push(q);
            s.children.push(self.local("## list_products", t, calls));
            self.cause_stack(
                &mut s.post,
                &PYTHON,
                "InternalServerError",
                "500 Internal Server Error: The server encountered an internal error and was unable to complete your request.",
                &[
                    ("/usr/local/lib/python3.12/site-packages/flask/app.py", 880, "full_dispatch_request"),
                    ("/app/catalog/views.py", 35, "items"),
                ],
            );
            self.annotations(&mut s, who, &[("cache_hit", Ann::B(false))]);
            return self.finish(s, 500, 265);
        }
        t = q.end + self.lat(0.4, 0.3);
        calls.push(q);
        if !list && roll < 0.06 {
            s.children
                .push(self.local("## get_product", start + 500, calls));
            self.cause_stack(
                &mut s.post,
                &PYTHON,
                "NotFound",
                "404 Not Found: The requested URL was not found on the server.",
                &[
                    ("/app/catalog/views.py", 58, "item"),
                    (
                        "/usr/local/lib/python3.12/site-packages/werkzeug/exceptions.py",
                        864,
                        "abort",
                    ),
                ],
            );
            self.annotations(&mut s, who, &[("cache_hit", Ann::B(false))]);
            return self.finish(s, 404, 207);
        }
        let cache_hit = self.rng.chance(0.7);
        if !cache_hit {
            let cat = *self.rng.pick(&CATEGORIES);
            let key = format!("manifests/{cat}/page-{}.json", self.rng.int(1, 40));
            let o = self.s3(t, "GetObject", "shop-product-images", &key);
            t = o.end;
            calls.push(o);
        }
        if self.rng.chance(0.12) {
            let url = "http://recommendations.shop.internal/v2/related";
            let r = self.call(
                t,
                "recommendations.shop.internal",
                "POST",
                url,
                who,
                Svc::Reco,
                route,
            );
            t = r.node.end;
            calls.push(r.node);
        }
        let name = if list {
            "## list_products"
        } else {
            "## get_product"
        };
        let mut l = self.local(name, start + 400, calls);
        l.end = l.end.max(t);
        l.post.obj("metadata");
        l.post.obj("default");
        l.post.num("page_size", 24);
        let total = self.rng.int(20, 900);
        l.post.num("total", total);
        l.post.str("sort", "popularity");
        l.post.end();
        l.post.end();
        s.children.push(l);
        self.annotations(&mut s, who, &[("cache_hit", Ann::B(cache_hit))]);
        let len = self.rng.int(2000, 24000);
        self.finish(s, 200, len)
    }

    fn reco(&mut self, start: u64, who: &Who, method: &str, url: &str) -> Reply {
        let mut s = self.service("recommendations", Host::Eks, &GO, start, who, (method, url));
        let q = self.dynamo(start + 300, "Query", "reco-related-items", Ddb::Ok);
        s.children.push(q);
        let len = self.rng.int(300, 3000);
        self.finish(s, 200, len)
    }

    fn cart(&mut self, start: u64, who: &Who, method: &str, url: &str, route: Route) -> Reply {
        let mut s = self.service("cart", Host::Ecs, &JAVA, start, who, (method, url));
        let mut t = start + self.lat(0.8, 0.3);
        let roll = self.rng.unit();
        // DynamoDB throttles: retried until it works (3%) or gives up (0.5%).
        if roll < 0.035 {
            let th = self.dynamo(t, "GetItem", "shop-carts", Ddb::Throttled);
            t = th.end + self.rng.int(50_000, 200_000);
            s.children.push(th);
            if roll < 0.005 {
                self.cause_stack(
                    &mut s.post,
                    &JAVA,
                    "software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughputExceededException",
                    "Throughput exceeds the current capacity of your table or index.",
                    &[
                        ("CartRepository.java", 61, "com.shop.cart.CartRepository.load"),
                        ("CartService.java", 40, "com.shop.cart.CartService.get"),
                        ("CartController.java", 29, "com.shop.cart.api.CartController.getCart"),
                    ],
                );
                self.annotations(&mut s, who, &[("is_retry", Ann::B(true))]);
                return self.finish(s, 503, 120);
            }
        }
        let g = self.dynamo(t, "GetItem", "shop-carts", Ddb::Ok);
        t = g.end + self.lat(0.3, 0.3);
        s.children.push(g);
        let items = self.rng.int(1, 9);
        if route == Route::CartAdd {
            if roll > 0.95 {
                self.cause_stack(
                    &mut s.post,
                    &JAVA,
                    "com.shop.cart.InvalidQuantityException",
                    "quantity must be between 1 and 20",
                    &[
                        (
                            "CartValidator.java",
                            33,
                            "com.shop.cart.CartValidator.check",
                        ),
                        (
                            "CartController.java",
                            51,
                            "com.shop.cart.api.CartController.addItem",
                        ),
                    ],
                );
                self.annotations(&mut s, who, &[("cart_items", Ann::N(items))]);
                return self.finish(s, 400, 88);
            }
            let sku = self.rng.int(10000, 99999);
            let url = format!("http://inventory.shop.internal/v1/stock/SKU-{sku}");
            let r = self.call(
                t,
                "inventory.shop.internal",
                "GET",
                &url,
                who,
                Svc::Inventory,
                route,
            );
            t = r.node.end + self.lat(0.3, 0.3);
            s.children.push(r.node);
            let conflict = roll > 0.92;
            let u = self.dynamo(
                t,
                "UpdateItem",
                "shop-carts",
                if conflict { Ddb::Conflict } else { Ddb::Ok },
            );
            s.children.push(u);
            if conflict {
                self.annotations(
                    &mut s,
                    who,
                    &[
                        ("cart_items", Ann::N(items)),
                        ("sku", Ann::S(format!("SKU-{sku}"))),
                    ],
                );
                return self.finish(s, 409, 74);
            }
            self.annotations(
                &mut s,
                who,
                &[
                    ("cart_items", Ann::N(items)),
                    ("sku", Ann::S(format!("SKU-{sku}"))),
                ],
            );
            return self.finish(s, 201, 310);
        }
        self.annotations(&mut s, who, &[("cart_items", Ann::N(items))]);
        let len = 80 + items * 140;
        self.finish(s, 200, len)
    }

    fn inventory(&mut self, start: u64, who: &Who, method: &str, url: &str) -> Reply {
        let mut s = self.service("inventory", Host::Eks, &GO, start, who, (method, url));
        let q = self.sql(
            start + 200,
            "inventory_svc",
            "pgx v5.7.1",
            "SELECT s.available, s.reserved, s.warehouse FROM stock s WHERE s.sku = $1",
            3.0,
        );
        s.children.push(q);
        self.finish(s, 200, 96)
    }

    fn orders(&mut self, start: u64, who: &Who, method: &str, url: &str, route: Route) -> Reply {
        let mut s = self.service("orders-api", Host::Ecs, &JAVA, start, who, (method, url));
        let mut t = start + self.lat(1.0, 0.3);
        if route == Route::Checkout {
            // POST /api/orders from the checkout function.
            let lines = self.rng.int(1, 5);
            let mut calls = Vec::new();
            let ins = self.sql(t, "orders_svc", "PostgreSQL JDBC Driver 42.7.4", "INSERT INTO orders (id, customer_id, total, currency, status) VALUES (?, ?, ?, ?, 'PENDING')", 3.0);
            t = ins.end;
            calls.push(ins);
            // The order's lines in one batched statement.
            let l = self.sql(
                t,
                "orders_svc",
                "PostgreSQL JDBC Driver 42.7.4",
                "INSERT INTO order_lines (order_id, sku, qty, unit_price) VALUES (?, ?, ?, ?)",
                1.5,
            );
            calls.push(l);
            let mut l = self.local("## createOrder", start + 600, calls);
            l.pre.obj("annotations");
            l.pre.num("order_lines", lines);
            l.pre.end();
            s.children.push(l);
            self.annotations(&mut s, who, &[("order_lines", Ann::N(lines))]);
            return self.finish(s, 201, 480);
        }
        let q = self.sql(t, "orders_svc", "PostgreSQL JDBC Driver 42.7.4", "SELECT o.id, o.status, o.total, o.currency, o.created_at FROM orders o WHERE o.id = ? AND o.customer_id = ?", 4.0);
        t = q.end;
        s.children.push(q);
        let roll = self.rng.unit();
        if roll < 0.07 {
            self.cause_stack(
                &mut s.post,
                &JAVA,
                "com.shop.orders.OrderNotFoundException",
                "order not found",
                &[
                    ("OrderService.java", 48, "com.shop.orders.OrderService.find"),
                    (
                        "OrderController.java",
                        83,
                        "com.shop.orders.api.OrderController.getOrder",
                    ),
                ],
            );
            self.annotations(&mut s, who, &[("found", Ann::B(false))]);
            return self.finish(s, 404, 71);
        }
        let d = self.dynamo(t + 200, "GetItem", "shop-shipments", Ddb::Ok);
        s.children.push(d);
        if roll < 0.095 {
            self.cause_stack(
                &mut s.post,
                &JAVA,
                "java.lang.NullPointerException",
                "Cannot invoke \"com.shop.orders.Shipment.getCarrier()\" because \"shipment\" is null",
                &[
                    ("OrderMapper.java", 112, "com.shop.orders.api.OrderMapper.toDto"),
                    ("OrderController.java", 86, "com.shop.orders.api.OrderController.getOrder"),
                    ("DirectMethodHandleAccessor.java", 103, "jdk.internal.reflect.DirectMethodHandleAccessor.invoke"),
                    ("InvocableHandlerMethod.java", 255, "org.springframework.web.method.support.InvocableHandlerMethod.doInvoke"),
                    ("DispatcherServlet.java", 1089, "org.springframework.web.servlet.DispatcherServlet.doDispatch"),
                ],
            );
            self.annotations(&mut s, who, &[("found", Ann::B(true))]);
            return self.finish(s, 500, 133);
        }
        self.annotations(&mut s, who, &[("found", Ann::B(true))]);
        let len = self.rng.int(300, 1800);
        self.finish(s, 200, len)
    }

    fn search(&mut self, start: u64, who: &Who, method: &str, url: &str) -> Reply {
        let mut s = self.service("search", Host::Eks, &GO, start, who, (method, url));
        let t = start + self.lat(0.5, 0.3);
        let mut os = self.node(SEARCH_HOST, t);
        os.pre.str("namespace", "remote");
        os.req.str("method", "POST");
        os.req
            .str("url", &format!("https://{SEARCH_HOST}/products/_search"));
        os.end = t + self.lat(35.0, 0.6);
        os.resp.num("status", 200);
        let len = self.rng.int(2000, 40_000);
        os.resp.num("content_length", len);
        let t = os.end + 300;
        s.children.push(os);
        let b = self.dynamo(t, "BatchGetItem", "shop-catalog", Ddb::Ok);
        s.children.push(b);
        let hits = self.rng.int(0, 400);
        self.annotations(&mut s, who, &[("hits", Ann::N(hits))]);
        self.finish(s, 200, 400 + hits * 20)
    }

    fn payments(&mut self, start: u64, who: &Who, method: &str, url: &str) -> Reply {
        let mut s = self.service("payments", Host::Eks, &GO, start, who, (method, url));
        let t = start + self.lat(0.6, 0.3);
        let mut ext = self.node(PAY_HOST, t);
        ext.pre.str("namespace", "remote");
        ext.req.str("method", "POST");
        ext.req
            .str("url", &format!("https://{PAY_HOST}/v1/charges"));
        let roll = self.rng.unit();
        let (status, ours) = if roll < 0.008 {
            (503, 502)
        } else if roll < 0.05 {
            (402, 402)
        } else {
            (200, 201)
        };
        ext.end = t + if status == 503 {
            self.lat(10_000.0, 0.05)
        } else {
            self.lat(140.0, 0.4)
        };
        ext.resp.num("status", u64::from(status));
        flag(&mut ext.post, status);
        if status == 503 {
            self.cause_remote(
                &mut ext.post,
                "net/http: timeout awaiting response headers",
                "upstream payment provider unavailable",
            );
        }
        let charge = self.local("## charge", t - 100, vec![ext]);
        s.children.push(charge);
        match ours {
            402 => self.cause_stack(
                &mut s.post,
                &GO,
                "payments.ErrCardDeclined",
                "card declined: insufficient_funds",
                &[
                    (
                        "/srv/internal/charge/charge.go",
                        88,
                        "charge.(*Service).Charge",
                    ),
                    ("/srv/internal/api/handler.go", 54, "api.(*Handler).Pay"),
                ],
            ),
            502 => self.cause_stack(
                &mut s.post,
                &GO,
                "*url.Error",
                "Post \"https://api.stripe.example/v1/charges\": context deadline exceeded",
                &[
                    (
                        "/srv/internal/stripe/client.go",
                        131,
                        "stripe.(*Client).Charge",
                    ),
                    (
                        "/srv/internal/charge/charge.go",
                        71,
                        "charge.(*Service).Charge",
                    ),
                    ("/srv/internal/api/handler.go", 54, "api.(*Handler).Pay"),
                ],
            ),
            _ => {}
        }
        let amount = self.rng.int(500, 80_000);
        self.annotations(
            &mut s,
            who,
            &[
                ("provider", Ann::S("stripe".into())),
                ("amount", Ann::C(amount)),
                ("currency", Ann::S("EUR".into())),
            ],
        );
        self.finish(s, ours, 230)
    }

    /// The gateway's Lambda integration: `Lambda` subsegment → `AWS::Lambda` → the
    /// `checkout` function (`AWS::Lambda::Function`), which calls orders-api, payments, SQS
    /// and DynamoDB; SQS then triggers `order-events-consumer` in the same trace.
    fn invoke(&mut self, t: u64, who: &Who) -> Reply {
        let mut sub = self.node("Lambda", t);
        sub.pre.str("namespace", "aws");
        sub.pre.obj("aws");
        sub.pre.str("function_name", "checkout");
        sub.pre.str("region", REGION);
        sub.pre.str("operation", "Invoke");
        sub.pre.uuid("request_id", &mut self.rng);
        sub.pre.arr("resource_names");
        sub.pre.elem_str("checkout");
        sub.pre.end_arr();
        sub.pre.end();

        let at = t + self.hop();
        let (mut svc, mut func) = self.lambda_pair("checkout", &NODE, at);
        let mut t = func.start + 200;
        if self.rng.chance(0.04) {
            let mut init = self.node("Initialization", func.start);
            init.end = func.start + self.lat(450.0, 0.3);
            t = init.end;
            func.children.push(init);
        }
        let inv_start = t;
        let mut calls = Vec::new();
        t += 300;
        let cart = self.dynamo(t, "GetItem", "shop-carts", Ddb::Ok);
        t = cart.end + 400;
        calls.push(cart);
        let o = self.call(
            t,
            "orders.shop.internal",
            "POST",
            "http://orders.shop.internal/api/orders",
            who,
            Svc::Orders,
            Route::Checkout,
        );
        t = o.node.end + 300;
        calls.push(o.node);
        let p = self.call(
            t,
            "payments.shop.internal",
            "POST",
            "http://payments.shop.internal/v1/payments",
            who,
            Svc::Payments,
            Route::Checkout,
        );
        t = p.node.end + 300;
        let status = p.status;
        calls.push(p.node);
        let mut async_fulfilment = false;
        if status < 300 {
            let mut q = self.sqs(t);
            let d = self.dynamo(t + 40, "DeleteItem", "shop-carts", Ddb::Ok);
            t = q.end.max(d.end);
            // The consumer picks the message up later, in the same trace.
            let at = q.end + self.rng.int(5_000, 400_000);
            let w = self.consumer(at, who);
            q.children.push(w);
            async_fulfilment = true;
            calls.push(q);
            calls.push(d);
        }
        let mut work = self.local("## processCheckout", inv_start + 300, calls);
        work.end = work.end.max(t);
        let items = self.rng.int(1, 8);
        let total = self.rng.int(500, 80_000);
        work.pre.obj("annotations");
        work.pre.str("customer_tier", who.tier);
        work.pre.num("cart_items", items);
        work.pre.cents("order_total", total);
        work.pre.str(
            "payment_method",
            ["card", "paypal", "apple_pay"][(total % 3) as usize],
        );
        work.pre.bool("is_retry", false);
        work.pre.end();
        work.post.obj("metadata");
        work.post.obj("shop");
        work.post.obj("order");
        work.post.str("currency", "EUR");
        work.post.num("lines", items);
        work.post.cents("total", total);
        work.post.bool("async_fulfilment", async_fulfilment);
        work.post.end();
        work.post.end();
        work.post.end();
        let mut inv = self.local("Invocation", inv_start, vec![work]);
        let code = match status {
            s if s < 300 => 200,
            402 => 402,
            _ => 502,
        };
        if code >= 400 {
            flag(&mut inv.post, code);
        }
        let mut over = self.node("Overhead", inv.end);
        over.end = inv.end + self.rng.int(200, 2500);
        func.end = over.end;
        func.children.push(inv);
        func.children.push(over);
        if code >= 400 {
            flag(&mut func.post, code);
            let msg = if code == 402 {
                "card declined"
            } else {
                "payment service unavailable"
            };
            self.cause_stack(
                &mut func.post,
                &NODE,
                "Error",
                msg,
                &[
                    ("/var/task/handler.js", 142, "processCheckout"),
                    ("/var/task/node_modules/@shop/http/client.js", 57, "request"),
                ],
            );
        }
        svc.end = func.end + self.rng.int(100, 900);
        svc.children.push(func);
        sub.end = svc.end + self.hop();
        sub.resp.num("status", 200);
        if code >= 500 {
            // A function error: the integration answers 502.
            flag(&mut sub.post, 502);
        }
        sub.children.push(svc);
        Reply {
            node: sub,
            status: code,
            len: if code == 200 { 312 } else { 96 },
        }
    }

    /// A Lambda service segment (`AWS::Lambda`) and its function segment, both open.
    fn lambda_pair(&mut self, name: &'static str, rt: &Runtime, start: u64) -> (Node, Node) {
        let mut svc = self.node(name, start);
        svc.doc = Doc::Segment;
        svc.pre.str("origin", "AWS::Lambda");
        svc.pre.str(
            "resource_arn",
            &format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"),
        );
        svc.pre.obj("aws");
        svc.pre.uuid("request_id", &mut self.rng);
        svc.pre.end();
        let at = start + self.rng.int(200, 1500);
        let mut func = self.node(name, at);
        func.doc = Doc::Segment;
        func.pre.str("origin", "AWS::Lambda::Function");
        func.pre.str(
            "resource_arn",
            &format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"),
        );
        func.pre.obj("aws");
        func.pre.str("account_id", ACCOUNT);
        func.pre.str(
            "function_arn",
            &format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}:$LATEST"),
        );
        func.pre.arr("resource_names");
        func.pre.elem_str(name);
        func.pre.end_arr();
        func.pre.obj("xray");
        func.pre.str("sdk", rt.sdk);
        func.pre.str("sdk_version", rt.sdk_version);
        func.pre.end();
        func.pre.end();
        (svc, func)
    }

    /// `order-events-consumer`, triggered by SQS: streams one `## process_message` subsegment
    /// per order line as its own document.
    fn consumer(&mut self, start: u64, who: &Who) -> Node {
        let (mut svc, mut func) = self.lambda_pair("order-events-consumer", &PYTHON, start);
        let mut t = func.start + 300;
        let lines = self.rng.int(1, 2);
        for _ in 0..lines {
            let sku = self.rng.int(10000, 99999);
            let mut calls = Vec::new();
            let u = self.dynamo(t + 100, "UpdateItem", "shop-inventory", Ddb::Ok);
            calls.push(u);
            let mut m = self.local("## process_message", t, calls);
            m.doc = Doc::Streamed;
            m.pre.obj("annotations");
            m.pre.str("sku", &format!("SKU-{sku}"));
            m.pre.str("customer_tier", who.tier);
            m.pre.end();
            t = m.end + 200;
            func.children.push(m);
        }
        let key = format!("invoices/2026/11/24/{:016x}.pdf", self.rng.next_u64());
        let put = self.s3(t, "PutObject", "shop-invoices", &key);
        func.end = put.end + self.rng.int(300, 2000);
        func.children.push(put);
        svc.end = func.end + self.rng.int(100, 600);
        svc.children.push(func);
        svc
    }

    /// One trace of a batch job with `n` subsegments: the job's segment and `## batch k`
    /// subsegments of 100 entities sent on their own (as SDKs stream large segments).
    fn huge(&mut self, n: u64) -> Trace {
        let start = START_US;
        let id = format!(
            "1-{:08x}-{:024x}",
            start / 1_000_000,
            self.rng.next_u64() as u128
        );
        let mut root = self.node("catalog-reindex", start);
        root.doc = Doc::Segment;
        root.pre.str("origin", "AWS::ECS::Container");
        root.pre.obj("annotations");
        root.pre.str("job", "nightly-reindex");
        root.pre.num("entities", n);
        root.pre.end();
        let mut t = start + 2000;
        let mut left = n;
        let mut k = 0;
        while left > 0 {
            let size = left.min(100);
            left -= size;
            let mut calls = Vec::new();
            let mut u = t + 100;
            for j in 1..size {
                let c = match j % 3 {
                    0 => self.dynamo(u, "BatchWriteItem", "shop-catalog", Ddb::Ok),
                    1 => self.sql(
                        u,
                        "catalog_rw",
                        "psycopg2 2.9.10",
                        "UPDATE products SET search_vector = to_tsvector(%s) WHERE sku = %s",
                        2.0,
                    ),
                    _ => self.s3(
                        u,
                        "PutObject",
                        "shop-search-index",
                        &format!("shards/{k:05}/{j:03}.json"),
                    ),
                };
                u = c.end + 50;
                calls.push(c);
            }
            let mut b = self.local("## batch", t, calls);
            b.doc = Doc::Streamed;
            b.pre.obj("annotations");
            b.pre.num("batch", k);
            b.pre.end();
            t = b.end + 100;
            root.children.push(b);
            k += 1;
        }
        root.end = t + 1000;
        Trace {
            id,
            root,
            cut: None,
        }
    }
}

fn const_str_db() -> String {
    format!("shopdb@{DB_HOST}")
}

/// Which traced service a call reaches.
#[derive(Clone, Copy)]
enum Svc {
    Catalog,
    Cart,
    Orders,
    Search,
    Inventory,
    Payments,
    Reco,
}

/// How a DynamoDB call ends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ddb {
    Ok,
    Throttled,
    Conflict,
}

/// An annotation value.
enum Ann {
    S(String),
    N(u64),
    /// Hundredths.
    C(u64),
    B(bool),
}

// ---------------------------------------------------------------------------------------------
// Writers.

/// Writes `cfg.traces` traces as NDJSON, one document a line, in the order a daemon sends them.
pub fn write_ndjson(cfg: &Config, out: &mut dyn Write) -> io::Result<Written> {
    let mut g = Gen::new(cfg.clone());
    let mut heap: BinaryHeap<Reverse<(u64, u64, String)>> = BinaryHeap::new();
    let mut w = Written::default();
    let mut seq = 0u64;
    let mut flush_until = |heap: &mut BinaryHeap<Reverse<(u64, u64, String)>>,
                           until: u64,
                           w: &mut Written|
     -> io::Result<()> {
        while heap.peek().is_some_and(|Reverse((at, _, _))| *at <= until) {
            if let Some(Reverse((_, _, doc))) = heap.pop() {
                out.write_all(doc.as_bytes())?;
                out.write_all(b"\n")?;
                w.documents += 1;
                w.bytes += doc.len() as u64 + 1;
            }
        }
        Ok(())
    };
    for _ in 0..cfg.traces {
        let t = g.trace();
        // Every later document is sent at or after this trace's start.
        flush_until(&mut heap, t.root.start, &mut w)?;
        for (at, _, doc) in t.documents(true) {
            heap.push(Reverse((at, seq, doc)));
            seq += 1;
        }
        w.traces += 1;
    }
    flush_until(&mut heap, u64::MAX, &mut w)?;
    Ok(w)
}

/// Writes traces as `aws xray batch-get-traces` prints them (4-space indents, documents as
/// JSON strings), at most `per_file` traces to each writer `open(k)` gives.
pub fn write_batch(
    cfg: &Config,
    per_file: u64,
    open: &mut dyn FnMut(u64) -> io::Result<Box<dyn Write>>,
) -> io::Result<Written> {
    let mut g = Gen::new(cfg.clone());
    let mut w = Written::default();
    let mut file = 0;
    let mut left = cfg.traces;
    let mut buf = String::with_capacity(1 << 16);
    while left > 0 || file == 0 {
        let mut out = open(file)?;
        out.write_all(b"{\n    \"Traces\": [")?;
        let take = left.min(per_file.max(1));
        for i in 0..take {
            let t = g.trace();
            buf.clear();
            buf.push_str(if i == 0 { "\n" } else { ",\n" });
            buf.push_str("        {\n            \"Id\": ");
            push_str_json(&mut buf, &t.id);
            buf.push_str(",\n            \"Duration\": ");
            push_micros(&mut buf, t.end() - t.root.start);
            buf.push_str(",\n            \"LimitExceeded\": false,\n            \"Segments\": [");
            let mut docs = t.documents(false);
            docs.sort_by_key(|d| d.1);
            for (j, (_, id, doc)) in docs.iter().enumerate() {
                buf.push_str(if j == 0 { "\n" } else { ",\n" });
                let _ = write!(
                    buf,
                    "                {{\n                    \"Id\": \"{id:016x}\",\n                    \"Document\": "
                );
                push_str_json(&mut buf, doc);
                buf.push_str("\n                }");
                w.documents += 1;
            }
            buf.push_str("\n            ]\n        }");
            out.write_all(buf.as_bytes())?;
            w.bytes += buf.len() as u64;
            w.traces += 1;
        }
        out.write_all(b"\n    ],\n    \"UnprocessedTraceIds\": []\n}\n")?;
        out.flush()?;
        left -= take;
        file += 1;
    }
    Ok(w)
}

/// Writes one trace with `n` subsegments as NDJSON (streamed batches first, the job's segment
/// last, as they are sent).
pub fn write_huge(seed: u64, n: u64, out: &mut dyn Write) -> io::Result<Written> {
    let mut g = Gen::new(Config {
        seed,
        ..Config::default()
    });
    let t = g.huge(n);
    let mut docs = t.documents(true);
    docs.sort_by_key(|d| (d.0, d.1));
    let mut w = Written {
        traces: 1,
        ..Written::default()
    };
    for (_, _, d) in docs {
        out.write_all(d.as_bytes())?;
        out.write_all(b"\n")?;
        w.documents += 1;
        w.bytes += d.len() as u64 + 1;
    }
    Ok(w)
}

/// A UDP datagram (header + one segment document) of about `target` bytes and no more: an
/// `orders-api` segment with as many realistic subsegments as fit (about 20 for 8 KB, 2 for
/// 1 KB), no padding. Returns the bytes and the offset of the trace ID's last 24 hex digits
/// (for senders that give each datagram its own trace).
pub fn datagram(seed: u64, target: usize) -> (Vec<u8>, usize) {
    let build = |subs: usize| -> Vec<u8> {
        let mut g = Gen::new(Config {
            seed,
            ..Config::default()
        });
        let who = Who {
            user: Some(4242),
            tier: "gold",
            ip: "203.0.113.24".into(),
            ua: UAS[0],
        };
        let start = START_US;
        let mut s = g.service(
            "orders-api",
            Host::Ecs,
            &JAVA,
            start,
            &who,
            (
                "GET",
                "http://orders.shop.internal/api/orders?customer=4242&page=1",
            ),
        );
        let mut t = start + 800;
        for i in 0..subs {
            let c = match i % 4 {
                0 => g.sql(t, "orders_svc", "PostgreSQL JDBC Driver 42.7.4", "SELECT o.id, o.status, o.total, o.currency, o.created_at FROM orders o WHERE o.customer_id = ? ORDER BY o.created_at DESC LIMIT 20", 3.0),
                1 => g.dynamo(t, "GetItem", "shop-shipments", Ddb::Ok),
                2 => {
                    let url = "http://inventory.shop.internal/v1/stock/SKU-10423";
                    let mut r = g.node("inventory.shop.internal", t);
                    r.pre.str("namespace", "remote");
                    r.req.str("method", "GET");
                    r.req.str("url", url);
                    r.req.bool("traced", true);
                    r.end = t + g.lat(3.0, 0.3);
                    r.resp.num("status", 200);
                    r.resp.num("content_length", 96);
                    r
                }
                _ => g.s3(t, "GetObject", "shop-invoices", "invoices/2026/11/24/5f84c7a1e2b3d4f6.pdf"),
            };
            t = c.end + 100;
            s.children.push(c);
        }
        g.annotations(
            &mut s,
            &who,
            &[("found", Ann::B(true)), ("orders", Ann::N(subs as u64))],
        );
        let r = g.finish(s, 200, 1450);
        let tr = Trace {
            id: "1-6b055210-000000000000000000000000".into(),
            root: r.node,
            cut: None,
        };
        let mut d = DATAGRAM_HEADER.as_bytes().to_vec();
        // The root is the only document: services' segments are sent on their own.
        if let Some((_, _, doc)) = tr.documents(true).into_iter().next() {
            d.extend_from_slice(doc.as_bytes());
        }
        d
    };
    let mut subs = 0;
    while subs < 200 && build(subs + 1).len() <= target {
        subs += 1;
    }
    let d = build(subs);
    let at = d
        .windows(26)
        .position(|w| w.starts_with(b"-0000000000000000000000"))
        .map_or(0, |p| p + 1);
    (d, at)
}

// ---------------------------------------------------------------------------------------------
// The command line.

fn parse_u64(s: &str) -> Option<u64> {
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.replace('_', "").parse().ok(),
    }
}

#[allow(dead_code)]
fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let usage = || {
        io::Error::other(
            "usage: gen (--traces N [--format ndjson|batch] [--per-file N] | --huge-trace N | \
             --datagram 1k|8k) --out FILE [--seed S] [--rate R] [--in-progress-every K]",
        )
    };
    let out_path = opt("--out").ok_or_else(usage)?;
    let num = |name: &str| {
        opt(name)
            .map(|v| parse_u64(&v).ok_or_else(usage))
            .transpose()
    };
    let seed = num("--seed")?.unwrap_or(DEFAULT_SEED);
    let t0 = std::time::Instant::now();
    let create = |path: &str| -> io::Result<Box<dyn Write>> {
        Ok(Box::new(io::BufWriter::with_capacity(
            1 << 20,
            std::fs::File::create(path)?,
        )))
    };
    let w = if let Some(n) = num("--huge-trace")? {
        let mut out = create(&out_path)?;
        let w = write_huge(seed, n, &mut out)?;
        out.flush()?;
        w
    } else if let Some(size) = opt("--datagram") {
        let target = match size.as_str() {
            "1k" => 1024,
            "8k" => 8192,
            other => parse_u64(other).ok_or_else(usage)? as usize,
        };
        let (d, _) = datagram(seed, target);
        std::fs::write(&out_path, &d)?;
        Written {
            traces: 1,
            documents: 1,
            bytes: d.len() as u64,
        }
    } else {
        let cfg = Config {
            traces: num("--traces")?.ok_or_else(usage)?,
            seed,
            rate: opt("--rate")
                .map(|r| r.parse::<f64>().map_err(|_| usage()))
                .transpose()?
                .unwrap_or(200.0),
            in_progress_every: num("--in-progress-every")?.unwrap_or(1000),
        };
        match opt("--format").as_deref().unwrap_or("ndjson") {
            "ndjson" => {
                let mut out = create(&out_path)?;
                let w = write_ndjson(&cfg, &mut out)?;
                out.flush()?;
                w
            }
            "batch" => match num("--per-file")? {
                None => write_batch(&cfg, u64::MAX, &mut |_| create(&out_path))?,
                Some(per) => {
                    let stem = out_path
                        .strip_suffix(".json")
                        .unwrap_or(&out_path)
                        .to_owned();
                    write_batch(&cfg, per, &mut |k| create(&format!("{stem}.{k:03}.json")))?
                }
            },
            _ => return Err(usage()),
        }
    };
    let secs = t0.elapsed().as_secs_f64();
    eprintln!(
        "gen: {} traces, {} documents, {} bytes ({:.0} B/trace) in {:.2} s ({:.0} MB/s)",
        w.traces,
        w.documents,
        w.bytes,
        w.bytes as f64 / w.traces.max(1) as f64,
        secs,
        w.bytes as f64 / 1e6 / secs.max(1e-9)
    );
    Ok(())
}
