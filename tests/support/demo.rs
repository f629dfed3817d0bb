//! The generator of the demo dataset: one hour of X-Ray traces from a small online shop.
//!
//! It lives with the tests, not in the library: the binary bundles only its committed output
//! (`assets/demo.ndjson`, `xray_tui::source::load::DEMO_NDJSON`), and `tests/demo_data.rs`
//! checks that the output still matches the generator.
//!
//! Why: new users, screenshots and UI tests need data that looks like a real account without
//! AWS credentials, and it must be the same bytes every time so screenshots and snapshot tests do
//! not churn. Everything here is derived from a fixed seed with a hand-written PRNG (splitmix64)
//! and only basic IEEE arithmetic (no `exp`/`ln` from the platform's libm), so the output does not
//! depend on the clock, the platform or hash-map order. Times are rounded to microseconds.
//!
//! The shop: an API Gateway stage `shop-api/prod` in front of `orders-api` (Java on ECS),
//! `catalog` (Python on EC2), the `checkout` Lambda function (Node.js), which calls `payments`
//! (Go on EKS) and `orders-api`, and `inventory-worker` (Python on ECS) reading the `order-events`
//! SQS queue. Downstream: DynamoDB tables, S3 buckets, a PostgreSQL database (SQL subsegments) and
//! an external payment API. A `catalog-sync` batch job (EC2) makes one large trace of about 300
//! subsegments. The data includes faults (one propagated from `payments` up to the gateway),
//! 4xx errors, DynamoDB and gateway throttles, slow outliers, retries, subsegments streamed as
//! their own documents, traces still in progress at the end of the hour, and, on purpose, one
//! trace whose `inventory-worker` segment was lost, leaving its streamed subsegments orphaned.
//!
//! Documents are written one per line, in the order a daemon would have sent them (by end time,
//! or start time while in progress), so concurrent traces interleave.
//!
//! The committed copy is `assets/demo.ndjson`; after changing the generator, regenerate it with
//!
//! ```text
//! cargo test --test demo_data -- --ignored
//! ```

use std::collections::BTreeSet;

use serde_json::{Value, json};

/// Fixed start of the demo hour (epoch seconds): 2026-11-24T09:00:00Z.
pub const DEMO_START: f64 = 1_795_510_800.0;

/// The demo dataset as committed (and bundled in the binary): the output of [`generate`],
/// checked by a test.
pub use xray_tui::source::load::DEMO_NDJSON;

/// The moment the dataset was "captured": work still running then is in progress.
const SNAPSHOT_AT: f64 = DEMO_START + 3600.0;

const SEED: u64 = 0x5348_4f50_2d44_454d; // "SHOP-DEM"
const REGION: &str = "eu-west-1";
const ACCOUNT: &str = "123456789012";
const API_ID: &str = "k7x2mq9d4e";
const DB_HOST: &str = "shop-db.cluster-c9akciq32xyz.eu-west-1.rds.amazonaws.com";
const QUEUE_URL: &str = "https://sqs.eu-west-1.amazonaws.com/123456789012/order-events";
const STRIPE_URL: &str = "https://api.stripe.example/v1/charges";

/// The demo dataset as NDJSON: one segment document per line, the same bytes every run.
pub fn generate() -> String {
    let mut out = String::new();
    for doc in Gen::new().run() {
        out.push_str(&doc.to_string());
        out.push('\n');
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Randomness: splitmix64 and arithmetic-only distributions.

#[allow(dead_code)]
#[path = "rng.rs"]
mod rng;
use rng::{Rng, exp};

impl Rng {
    fn hex(&mut self, digits: usize) -> String {
        let mut s = String::with_capacity(digits);
        while s.len() < digits {
            s.push_str(&format!("{:016x}", self.next_u64()));
        }
        s.truncate(digits);
        s
    }
    fn uuid(&mut self) -> String {
        let h = self.hex(32);
        format!(
            "{}-{}-4{}-a{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            &h[17..20],
            &h[20..32]
        )
    }
    /// An AWS-style request ID of upper-case letters and digits.
    fn token(&mut self, len: usize) -> String {
        const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        (0..len).map(|_| *self.pick(ALPHA) as char).collect()
    }
}

/// Rounded to the microsecond.
fn t6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Rounded to the cent.
fn money(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

const MS: f64 = 0.001;

// ---------------------------------------------------------------------------------------------
// The shop's fixed cast.

struct User {
    name: &'static str,
    tier: &'static str,
    ip: &'static str,
    ua: &'static str,
}

const USERS: [User; 8] = [
    User {
        name: "alice",
        tier: "gold",
        ip: "203.0.113.24",
        ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    },
    User {
        name: "bruno",
        tier: "silver",
        ip: "198.51.100.7",
        ua: "ShopApp/3.12.1 (iPhone15,2; iOS 18.1; Scale/3.00)",
    },
    User {
        name: "chen.wei",
        tier: "gold",
        ip: "203.0.113.91",
        ua: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    },
    User {
        name: "dana",
        tier: "bronze",
        ip: "192.0.2.45",
        ua: "ShopApp/3.12.0 (Android 14; Pixel 8; okhttp/4.12.0)",
    },
    User {
        name: "emeka",
        tier: "silver",
        ip: "198.51.100.183",
        ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    },
    User {
        name: "fatima",
        tier: "gold",
        ip: "203.0.113.150",
        ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    },
    User {
        name: "giulia",
        tier: "bronze",
        ip: "192.0.2.201",
        ua: "ShopApp/3.12.1 (iPhone14,5; iOS 17.6.1; Scale/3.00)",
    },
    User {
        name: "hiro",
        tier: "silver",
        ip: "198.51.100.66",
        ua: "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36",
    },
];

const ANON_UAS: [&str; 5] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "curl/8.5.0",
    "python-requests/2.32.3",
];

struct Product {
    sku: &'static str,
    price: f64,
    category: &'static str,
}

const PRODUCTS: [Product; 10] = [
    Product {
        sku: "SKU-10423",
        price: 89.90,
        category: "outdoor",
    },
    Product {
        sku: "SKU-10877",
        price: 24.50,
        category: "kitchen",
    },
    Product {
        sku: "SKU-11002",
        price: 12.99,
        category: "books",
    },
    Product {
        sku: "SKU-11310",
        price: 149.00,
        category: "electronics",
    },
    Product {
        sku: "SKU-11564",
        price: 7.95,
        category: "garden",
    },
    Product {
        sku: "SKU-12008",
        price: 34.00,
        category: "toys",
    },
    Product {
        sku: "SKU-12291",
        price: 59.90,
        category: "outdoor",
    },
    Product {
        sku: "SKU-12745",
        price: 18.40,
        category: "kitchen",
    },
    Product {
        sku: "SKU-13090",
        price: 229.00,
        category: "electronics",
    },
    Product {
        sku: "SKU-13377",
        price: 9.99,
        category: "books",
    },
];

const CATEGORIES: [&str; 6] = [
    "outdoor",
    "kitchen",
    "books",
    "electronics",
    "garden",
    "toys",
];

/// The two catalog instances: (instance id, availability zone).
const CATALOG_HOSTS: [(&str, &str); 2] = [
    ("i-0a3f6c2e9b8d41f75", "eu-west-1a"),
    ("i-07be1d94c3a5e8260", "eu-west-1b"),
];

/// A database client: how one service talks to PostgreSQL.
struct Db {
    url: &'static str,
    driver: &'static str,
    user: &'static str,
}

const ORDERS_DB: Db = Db {
    url: "jdbc:postgresql://shop-db.cluster-c9akciq32xyz.eu-west-1.rds.amazonaws.com:5432/shopdb",
    driver: "PostgreSQL JDBC Driver 42.7.4",
    user: "orders_svc",
};

const CATALOG_DB: Db = Db {
    url: "postgresql://shop-db.cluster-c9akciq32xyz.eu-west-1.rds.amazonaws.com:5432/shopdb",
    driver: "psycopg2 2.9.10",
    user: "catalog_ro",
};

// ---------------------------------------------------------------------------------------------
// Scenarios.

#[derive(Clone, Copy, PartialEq)]
enum Route {
    CatalogList,
    CatalogItem,
    CartGet,
    CartAdd,
    OrderGet,
    Checkout,
    /// Rejected by the gateway's rate limit.
    GatewayThrottle,
}

#[derive(Clone, Copy, PartialEq)]
enum Fail {
    None,
    /// PostgreSQL statement timeout in catalog: 500.
    SqlTimeout,
    /// 404 from catalog or orders-api.
    NotFound,
    /// NullPointerException in orders-api: 500.
    Npe,
    /// Invalid quantity: 400.
    BadRequest,
    /// Concurrent cart update: DynamoDB conditional check, 409.
    Conflict,
    /// DynamoDB throttled after retries: orders-api 503.
    DynamoThrottle,
    /// DynamoDB throttled, then succeeded on retry.
    DynamoRetry,
    /// The payment provider is down: fault from payments up to the gateway.
    StripeDown,
    /// Card declined: 402 from payments up to the gateway.
    Declined,
}

#[derive(Clone, Copy, PartialEq)]
enum Slow {
    None,
    /// The one downstream call that takes the time.
    Downstream,
}

struct Plan {
    start: f64,
    route: Route,
    fail: Fail,
    slow: Slow,
    /// The inventory-worker segment never arrives (its streamed subsegments become orphans).
    lose_worker: bool,
}

/// One trace being built: its ID, the user, and who makes the current request.
struct Tr {
    id: String,
    user: Option<&'static User>,
    ip: String,
    ua: &'static str,
    /// `ip` came through a proxy (the gateway), not from the connection.
    xff: bool,
}

impl Tr {
    /// The same trace, as seen by a service another service calls.
    fn called_by_service(&self, ua: &'static str, ip: &str) -> Tr {
        Tr {
            id: self.id.clone(),
            user: self.user,
            ip: ip.to_owned(),
            ua,
            xff: false,
        }
    }
}

/// What a called service answered.
struct Reply {
    end: f64,
    status: u16,
    len: u64,
    /// ID of the exception that explains a failure, for callers to chain or reference.
    exc: Option<String>,
}

struct Gen {
    rng: Rng,
    used: BTreeSet<String>,
    docs: Vec<Value>,
}

fn flag_status(v: &mut Value, status: u16) {
    match status {
        429 => {
            v["error"] = json!(true);
            v["throttle"] = json!(true);
        }
        400..=499 => v["error"] = json!(true),
        500..=599 => v["fault"] = json!(true),
        _ => {}
    }
}

fn end_of(v: &Value) -> f64 {
    v["end_time"].as_f64().unwrap_or(0.0)
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_owned()
}

impl Gen {
    fn new() -> Self {
        Self {
            rng: Rng(SEED),
            used: BTreeSet::new(),
            docs: Vec::new(),
        }
    }

    /// A fresh 16-hex ID, unique in the dataset.
    fn id(&mut self) -> String {
        loop {
            let id = self.rng.hex(16);
            if self.used.insert(id.clone()) {
                return id;
            }
        }
    }

    fn lat(&mut self, median_ms: f64, sigma: f64) -> f64 {
        self.rng.lognormal(median_ms * MS, sigma)
    }

    fn hop(&mut self) -> f64 {
        self.rng.uniform(0.4, 1.8) * MS
    }

    // -- plan ---------------------------------------------------------------------------------

    fn plans(&mut self) -> Vec<Plan> {
        let mut plans = Vec::new();
        let plan = |start: f64, route, fail, slow| Plan {
            start,
            route,
            fail,
            slow,
            lose_worker: false,
        };
        // Regular traffic over the hour.
        for _ in 0..330 {
            let start = DEMO_START + self.rng.uniform(0.5, 3582.0);
            let r = self.rng.unit();
            let route = match r {
                _ if r < 0.28 => Route::CatalogList,
                _ if r < 0.44 => Route::CatalogItem,
                _ if r < 0.58 => Route::CartGet,
                _ if r < 0.69 => Route::CartAdd,
                _ if r < 0.80 => Route::OrderGet,
                _ => Route::Checkout,
            };
            let f = self.rng.unit();
            let fail = match route {
                Route::CatalogList if f < 0.02 => Fail::SqlTimeout,
                Route::CatalogItem if f < 0.06 => Fail::NotFound,
                Route::CartAdd if f < 0.05 => Fail::BadRequest,
                Route::CartAdd if f < 0.09 => Fail::Conflict,
                Route::OrderGet if f < 0.07 => Fail::NotFound,
                Route::OrderGet if f < 0.10 => Fail::Npe,
                Route::CartGet if f < 0.04 => Fail::DynamoRetry,
                Route::Checkout if f < 0.05 => Fail::Declined,
                _ => Fail::None,
            };
            plans.push(plan(start, route, fail, Slow::None));
        }
        // A flash sale at 09:41: a burst, gateway throttles and DynamoDB throttles.
        for _ in 0..40 {
            let start = DEMO_START + self.rng.uniform(2460.0, 2580.0);
            let r = self.rng.unit();
            let (route, fail) = match r {
                _ if r < 0.40 => (Route::GatewayThrottle, Fail::None),
                _ if r < 0.55 => (Route::CartGet, Fail::DynamoThrottle),
                _ if r < 0.65 => (Route::CartGet, Fail::DynamoRetry),
                _ if r < 0.80 => (Route::CartAdd, Fail::None),
                _ => (Route::Checkout, Fail::None),
            };
            plans.push(plan(start, route, fail, Slow::None));
        }
        // Scripted moments, so every feature is there whatever the dice say.
        let scripted = [
            (412.35, Route::CatalogList, Fail::None, Slow::Downstream),
            (655.02, Route::Checkout, Fail::StripeDown, Slow::None),
            (903.77, Route::OrderGet, Fail::None, Slow::Downstream),
            (1234.56, Route::CatalogList, Fail::SqlTimeout, Slow::None),
            (1422.18, Route::Checkout, Fail::None, Slow::Downstream),
            (1707.4, Route::OrderGet, Fail::Npe, Slow::None),
            (2205.9, Route::CartAdd, Fail::Conflict, Slow::None),
            (2511.3, Route::CartGet, Fail::DynamoThrottle, Slow::None),
            (2533.1, Route::GatewayThrottle, Fail::None, Slow::None),
            (2890.6, Route::Checkout, Fail::StripeDown, Slow::None),
            (3012.08, Route::CatalogItem, Fail::None, Slow::Downstream),
            (3144.7, Route::CartAdd, Fail::BadRequest, Slow::None),
            (3301.25, Route::Checkout, Fail::Declined, Slow::None),
            // Still running at the end of the hour.
            (3598.9, Route::Checkout, Fail::None, Slow::Downstream),
            (3599.991, Route::CatalogList, Fail::None, Slow::None),
        ];
        for (at, route, fail, slow) in scripted {
            plans.push(plan(DEMO_START + at, route, fail, slow));
        }
        plans.push(Plan {
            lose_worker: true,
            ..plan(
                DEMO_START + 2047.93,
                Route::Checkout,
                Fail::None,
                Slow::None,
            )
        });
        plans.sort_by(|a, b| a.start.total_cmp(&b.start));
        plans
    }

    fn run(mut self) -> Vec<Value> {
        for p in self.plans() {
            self.trace(&p);
        }
        self.batch_job(DEMO_START + 1800.0 + 0.412_377);

        let mut docs: Vec<Value> = std::mem::take(&mut self.docs)
            .into_iter()
            .filter_map(|mut d| snapshot(&mut d).then_some(d))
            .collect();
        let sent_at = |d: &Value| {
            d["end_time"]
                .as_f64()
                .or_else(|| d["start_time"].as_f64())
                .unwrap_or(0.0)
        };
        docs.sort_by(|a, b| {
            sent_at(a)
                .total_cmp(&sent_at(b))
                .then_with(|| a["id"].as_str().cmp(&b["id"].as_str()))
        });
        docs
    }

    fn new_trace(&mut self, start: f64, user: Option<&'static User>) -> Tr {
        let id = format!("1-{:08x}-{}", start.floor() as u64, self.rng.hex(24));
        let (ip, ua) = match user {
            Some(u) => (u.ip.to_owned(), u.ua),
            None => (
                format!("198.51.100.{}", self.rng.int(100, 250)),
                *self.rng.pick(&ANON_UAS),
            ),
        };
        Tr {
            id,
            user,
            ip,
            ua,
            xff: true,
        }
    }

    // -- traces -------------------------------------------------------------------------------

    fn trace(&mut self, p: &Plan) {
        let logged_in = match p.route {
            Route::CatalogList | Route::CatalogItem => self.rng.chance(0.45),
            Route::GatewayThrottle => self.rng.chance(0.3),
            _ => true,
        };
        let user = logged_in.then(|| self.rng.pick(&USERS));
        let tr = self.new_trace(p.start, user);
        let t0 = p.start;

        let (method, path) = match p.route {
            Route::CatalogList => {
                let page = self.rng.int(1, 6);
                let cat = *self.rng.pick(&CATEGORIES);
                (
                    "GET",
                    format!("/api/catalog/items?category={cat}&page={page}"),
                )
            }
            Route::CatalogItem => {
                let sku = if p.fail == Fail::NotFound {
                    "SKU-99017"
                } else {
                    self.rng.pick(&PRODUCTS).sku
                };
                ("GET", format!("/api/catalog/items/{sku}"))
            }
            Route::CartGet => ("GET", "/api/cart".to_owned()),
            Route::CartAdd => ("POST", "/api/cart/items".to_owned()),
            Route::OrderGet => ("GET", format!("/api/orders/{}", self.rng.int(41000, 48999))),
            Route::Checkout => ("POST", "/api/checkout".to_owned()),
            Route::GatewayThrottle => {
                if self.rng.chance(0.5) {
                    ("POST", "/api/cart/items".to_owned())
                } else {
                    (
                        "GET",
                        "/api/catalog/items?category=electronics&page=1".to_owned(),
                    )
                }
            }
        };

        let mut root = json!({
            "id": self.id(),
            "name": "shop-api/prod",
            "trace_id": tr.id,
            "start_time": t6(t0),
            "end_time": 0.0,
            "origin": "AWS::ApiGateway::Stage",
            "resource_arn": format!("arn:aws:apigateway:{REGION}::/restapis/{API_ID}/stages/prod"),
            "http": {
                "request": {
                    "method": method,
                    "url": format!("https://{API_ID}.execute-api.{REGION}.amazonaws.com/prod{path}"),
                    "user_agent": tr.ua,
                    "client_ip": tr.ip,
                    "x_forwarded_for": true
                },
                "response": {"status": 200, "content_length": 0}
            },
            "aws": {
                "api_gateway": {
                    "account_id": ACCOUNT,
                    "rest_api_id": API_ID,
                    "stage": "prod",
                    "request_id": self.rng.uuid()
                }
            }
        });
        if let Some(u) = tr.user {
            root["user"] = json!(u.name);
        }

        let sub_start = t0 + self.rng.uniform(0.8, 4.0) * MS;
        let (sub, reply) = match p.route {
            Route::GatewayThrottle => {
                let end = t0 + self.rng.uniform(0.3, 1.2) * MS;
                (
                    None,
                    Reply {
                        end,
                        status: 429,
                        len: 44,
                        exc: None,
                    },
                )
            }
            Route::Checkout => {
                let (sub, r) = self.invoke_checkout(&tr, sub_start, p);
                (Some(sub), r)
            }
            Route::CatalogList | Route::CatalogItem => {
                let host = "catalog.shop.internal";
                let url = format!("http://{host}{path}");
                let (sub, r) = self.traced_call(sub_start, host, method, &url, |g, s, parent| {
                    g.catalog(&tr, s, &parent, method, &url, p)
                });
                (Some(sub), r)
            }
            _ => {
                let host = "orders.shop.internal";
                let url = format!("http://{host}{path}");
                let (sub, r) = self.traced_call(sub_start, host, method, &url, |g, s, parent| {
                    g.orders_api(&tr, s, &parent, method, &url, p)
                });
                (Some(sub), r)
            }
        };
        let end = reply.end + self.rng.uniform(0.4, 2.5) * MS;
        root["end_time"] = json!(t6(end));
        root["http"]["response"] = json!({"status": reply.status, "content_length": reply.len});
        flag_status(&mut root, reply.status);
        if let Some(sub) = sub {
            root["subsegments"] = json!([sub]);
        }
        self.docs.push(root);
    }

    /// A remote call to a traced service: the caller's subsegment, with the callee's segment
    /// sent as its own document under it.
    fn traced_call(
        &mut self,
        start: f64,
        host: &str,
        method: &str,
        url: &str,
        callee: impl FnOnce(&mut Self, f64, String) -> Reply,
    ) -> (Value, Reply) {
        let id = self.id();
        let callee_start = start + self.hop();
        let reply = callee(self, callee_start, id.clone());
        let end = reply.end + self.hop();
        let mut sub = json!({
            "id": id,
            "name": host,
            "start_time": t6(start),
            "end_time": t6(end),
            "namespace": "remote",
            "http": {
                "request": {"method": method, "url": url, "traced": true},
                "response": {"status": reply.status, "content_length": reply.len}
            }
        });
        flag_status(&mut sub, reply.status);
        (sub, Reply { end, ..reply })
    }

    fn sub(&mut self, name: &str, start: f64, end: f64) -> Value {
        json!({"id": self.id(), "name": name, "start_time": t6(start), "end_time": t6(end)})
    }

    fn dynamo(&mut self, start: f64, op: &str, table: &str, median_ms: f64) -> Value {
        let dur = self.lat(median_ms, 0.35);
        let len = match op {
            "GetItem" | "Query" => self.rng.int(180, 2400),
            _ => 2,
        };
        json!({
            "id": self.id(),
            "name": "DynamoDB",
            "start_time": t6(start),
            "end_time": t6(start + dur),
            "namespace": "aws",
            "http": {"response": {"status": 200, "content_length": len}},
            "aws": {
                "operation": op,
                "region": REGION,
                "request_id": self.rng.token(52),
                "retries": 0,
                "table_name": table,
                "resource_names": [table]
            }
        })
    }

    /// Makes a call last `factor` times longer (retries, slow outliers).
    fn stretch(call: &mut Value, factor: f64) {
        let s = call["start_time"].as_f64().unwrap_or(0.0);
        let e = end_of(call);
        call["end_time"] = json!(t6(s + (e - s) * factor));
    }

    fn sql(&mut self, start: f64, db: &Db, query: &str, median_ms: f64) -> Value {
        let dur = self.lat(median_ms, 0.45);
        json!({
            "id": self.id(),
            "name": format!("shopdb@{DB_HOST}"),
            "start_time": t6(start),
            "end_time": t6(start + dur),
            "namespace": "remote",
            "sql": {
                "url": db.url,
                "preparation": if query.starts_with("SELECT") { "statement" } else { "call" },
                "database_type": "PostgreSQL",
                "database_version": "16.4",
                "driver_version": db.driver,
                "user": db.user,
                "sanitized_query": query
            }
        })
    }

    fn exception(&mut self, kind: &str, message: &str, stack: &[(&str, u64, &str)]) -> Value {
        let frames: Vec<Value> = stack
            .iter()
            .map(|(path, line, label)| json!({"path": path, "line": line, "label": label}))
            .collect();
        let mut e = json!({"id": self.id(), "message": message, "type": kind});
        if !frames.is_empty() {
            e["stack"] = Value::Array(frames);
        }
        e
    }

    fn service_segment(
        &mut self,
        tr: &Tr,
        name: &str,
        start: f64,
        parent: &str,
        origin: &str,
    ) -> Value {
        json!({
            "id": self.id(),
            "name": name,
            "trace_id": tr.id,
            "parent_id": parent,
            "start_time": t6(start),
            "end_time": 0.0,
            "origin": origin
        })
    }

    fn http_in(tr: &Tr, method: &str, url: &str) -> Value {
        json!({
            "request": {
                "method": method,
                "url": url,
                "user_agent": tr.ua,
                "client_ip": tr.ip,
                "x_forwarded_for": tr.xff
            }
        })
    }

    fn finish(
        &mut self,
        mut seg: Value,
        subs: Vec<Value>,
        end: f64,
        status: u16,
        len: u64,
    ) -> Reply {
        seg["end_time"] = json!(t6(end));
        if seg.get("http").is_some() {
            seg["http"]["response"] = json!({"status": status, "content_length": len});
        }
        flag_status(&mut seg, status);
        if !subs.is_empty() {
            seg["subsegments"] = Value::Array(subs);
        }
        self.docs.push(seg);
        Reply {
            end,
            status,
            len,
            exc: None,
        }
    }

    // -- catalog (Python, EC2) ------------------------------------------------------------------

    fn catalog(
        &mut self,
        tr: &Tr,
        start: f64,
        parent: &str,
        method: &str,
        url: &str,
        p: &Plan,
    ) -> Reply {
        let (instance, az) = *self.rng.pick(&CATALOG_HOSTS);
        let mut seg = self.service_segment(tr, "catalog", start, parent, "AWS::EC2::Instance");
        seg["http"] = Self::http_in(tr, method, url);
        seg["aws"] = json!({
            "account_id": ACCOUNT,
            "ec2": {"instance_id": instance, "availability_zone": az, "instance_size": "m7g.large", "ami_id": "ami-0c1f3a9e5d2b7c481"},
            "xray": {"sdk": "X-Ray for Python", "sdk_version": "2.14.0"}
        });
        seg["service"] =
            json!({"version": "1.9.2", "runtime": "CPython", "runtime_version": "3.12.7"});
        let mut t = start + self.lat(1.2, 0.3);
        let mut subs = Vec::new();
        let slow = p.slow == Slow::Downstream;

        if p.route == Route::CatalogList {
            let category = url
                .split("category=")
                .nth(1)
                .and_then(|s| s.split('&').next())
                .unwrap_or("outdoor")
                .to_owned();
            let page: u64 = url
                .rsplit("page=")
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(1);
            let mut q = self.sql(
                t,
                &CATALOG_DB,
                "SELECT p.sku, p.name, p.price, p.stock FROM products p WHERE p.category = %s AND p.active ORDER BY p.popularity DESC LIMIT %s OFFSET %s",
                14.0,
            );
            if slow {
                // A missing index: the query scans the table.
                Self::stretch(&mut q, self.rng.uniform(20.0, 30.0));
            }
            if p.fail == Fail::SqlTimeout {
                // The statement timeout is 3 s.
                q["end_time"] = json!(t6(t + 3.0 + self.rng.uniform(0.001, 0.004)));
                q["fault"] = json!(true);
                let mut inner = self.exception(
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
                inner["truncated"] = json!(9);
                let inner_id = id_of(&inner);
                q["cause"] = json!({"working_directory": "/app", "exceptions": [inner.clone()]});
                let qend = end_of(&q);
                subs.push(q);
                let end = qend + self.lat(2.0, 0.3);
                let mut outer = self.exception(
                    "InternalServerError",
                    "500 Internal Server Error: The server encountered an internal error and was unable to complete your request.",
                    &[
                        ("/usr/local/lib/python3.12/site-packages/flask/app.py", 880, "full_dispatch_request"),
                        ("/usr/local/lib/python3.12/site-packages/flask/app.py", 865, "handle_user_exception"),
                        ("/app/catalog/views.py", 35, "items"),
                    ],
                );
                outer["cause"] = json!(inner_id);
                seg["cause"] = json!({
                    "working_directory": "/app",
                    "paths": ["/app/catalog/views.py", "/app/catalog/repository.py"],
                    "exceptions": [outer, inner]
                });
                seg["annotations"] =
                    json!({"category": category, "page": page, "cache_hit": false});
                return self.finish(seg, subs, end, 500, 265);
            }
            t = end_of(&q) + self.lat(0.6, 0.3);
            subs.push(q);
            let cache_hit = self.rng.chance(0.6);
            if !cache_hit {
                let mut s3 = json!({
                    "id": self.id(),
                    "name": "S3",
                    "start_time": t6(t),
                    "end_time": t6(t + self.lat(26.0, 0.45)),
                    "namespace": "aws",
                    "http": {"response": {"status": 200, "content_length": self.rng.int(4000, 30000)}},
                    "aws": {
                        "operation": "GetObject",
                        "region": REGION,
                        "request_id": self.rng.token(16),
                        "retries": 0,
                        "bucket_name": "shop-product-images",
                        "key": format!("manifests/{category}/page-{page}.json")
                    }
                });
                if self.rng.chance(0.05) {
                    s3["aws"]["retries"] = json!(1);
                    Self::stretch(&mut s3, 2.4);
                }
                t = end_of(&s3);
                subs.push(s3);
            }
            let d = self.lat(3.0, 0.4);
            let mut render = self.sub("## render_items", t, t + d);
            render["metadata"] = json!({"default": {"query": {"category": category, "page": page, "page_size": 24, "sort": "popularity"}, "result": {"items": 24, "total": self.rng.int(80, 600)}}});
            t = end_of(&render);
            subs.push(render);
            seg["annotations"] =
                json!({"category": category, "page": page, "cache_hit": cache_hit});
            let len = self.rng.int(9000, 22000);
            let end = t + self.lat(0.8, 0.3);
            self.finish(seg, subs, end, 200, len)
        } else {
            let sku = url.rsplit('/').next().unwrap_or("SKU-10423").to_owned();
            let mut get = self.dynamo(t, "GetItem", "shop-catalog", 5.5);
            if slow {
                Self::stretch(&mut get, self.rng.uniform(12.0, 18.0));
            }
            t = end_of(&get) + self.lat(0.8, 0.3);
            subs.push(get);
            seg["annotations"] = json!({"sku": sku, "cache_hit": false});
            if p.fail == Fail::NotFound {
                let exc = self.exception(
                    "NotFound",
                    &format!("404 Not Found: item {sku} does not exist"),
                    &[
                        ("/app/catalog/views.py", 58, "item"),
                        (
                            "/usr/local/lib/python3.12/site-packages/flask/app.py",
                            880,
                            "full_dispatch_request",
                        ),
                    ],
                );
                seg["cause"] = json!({"working_directory": "/app", "exceptions": [exc]});
                return self.finish(seg, subs, t, 404, 61);
            }
            let len = self.rng.int(1500, 4200);
            self.finish(seg, subs, t, 200, len)
        }
    }

    // -- orders-api (Java, ECS) ---------------------------------------------------------------

    fn orders_api(
        &mut self,
        tr: &Tr,
        start: f64,
        parent: &str,
        method: &str,
        url: &str,
        p: &Plan,
    ) -> Reply {
        let mut seg = self.service_segment(tr, "orders-api", start, parent, "AWS::ECS::Container");
        if let Some(u) = tr.user {
            seg["user"] = json!(u.name);
        }
        seg["http"] = Self::http_in(tr, method, url);
        let task = *self.rng.pick(&["3f9c2a7d", "b81e04c6", "5d7a9e13"]);
        seg["aws"] = json!({
            "account_id": ACCOUNT,
            "ecs": {"container": format!("orders-api-{task}"), "container_id": format!("{task}e4a1b07c"), "availability_zone": "eu-west-1b"},
            "xray": {"sdk": "X-Ray for Java", "sdk_version": "2.18.2", "auto_instrumentation": false}
        });
        seg["service"] = json!({"version": "2.14.3", "runtime": "OpenJDK 64-Bit Server VM", "runtime_version": "21.0.5"});
        let tier = tr.user.map_or("bronze", |u| u.tier);
        let mut t = start + self.lat(1.8, 0.3);
        let mut subs = Vec::new();
        let cart_items = self.rng.int(1, 5);
        let mut ann = json!({"customer_tier": tier, "region": REGION, "cart_items": cart_items, "is_retry": self.rng.chance(0.04)});
        let len;
        let mut status = 200;

        match (p.route, method) {
            (Route::CartGet, _) => {
                let mut get = self.dynamo(t, "GetItem", "shop-carts", 5.0);
                match p.fail {
                    Fail::DynamoThrottle => {
                        Self::stretch(&mut get, 22.0);
                        get["aws"]["retries"] = json!(3);
                        get["http"]["response"] = json!({"status": 400, "content_length": 212});
                        flag_status(&mut get, 400);
                        get["throttle"] = json!(true);
                        let mut exc = self.exception(
                            "software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughputExceededException",
                            "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API. (Service: DynamoDb, Status Code: 400)",
                            &[
                                ("CartRepository.java", 41, "com.shop.orders.cart.CartRepository.load"),
                                ("CartService.java", 29, "com.shop.orders.cart.CartService.getCart"),
                                ("CartController.java", 35, "com.shop.orders.api.CartController.getCart"),
                            ],
                        );
                        exc["remote"] = json!(true);
                        exc["truncated"] = json!(112);
                        let exc_id = id_of(&exc);
                        get["cause"] = json!({"working_directory": "/app", "exceptions": [exc]});
                        // The segment refers to the exception recorded on the call.
                        seg["cause"] = json!(exc_id);
                        status = 503;
                    }
                    Fail::DynamoRetry => {
                        let retries = self.rng.int(1, 2);
                        Self::stretch(&mut get, 2.0 + 3.0 * retries as f64);
                        get["aws"]["retries"] = json!(retries);
                    }
                    _ => {}
                }
                t = end_of(&get) + self.lat(1.0, 0.3);
                subs.push(get);
                len = if status == 200 {
                    self.rng.int(400, 2600)
                } else {
                    98
                };
            }
            (Route::CartAdd, _) => {
                if p.fail == Fail::BadRequest {
                    let exc = self.exception(
                        "org.springframework.web.bind.MethodArgumentNotValidException",
                        "Validation failed for argument [0] in public ResponseEntity<CartDto> CartController.addItem(AddItemRequest): [Field error in object 'addItemRequest' on field 'quantity': rejected value [40]; must be less than or equal to 10]",
                        &[
                            ("RequestResponseBodyMethodProcessor.java", 159, "org.springframework.web.servlet.mvc.method.annotation.RequestResponseBodyMethodProcessor.resolveArgument"),
                            ("InvocableHandlerMethod.java", 224, "org.springframework.web.method.support.InvocableHandlerMethod.getMethodArgumentValues"),
                        ],
                    );
                    seg["cause"] = json!({"working_directory": "/app", "exceptions": [exc]});
                    t += self.lat(2.0, 0.3);
                    status = 400;
                    len = 187;
                } else {
                    let product = self.rng.pick(&PRODUCTS);
                    let host = "catalog.shop.internal";
                    let curl = format!("http://{host}/api/catalog/items/{}", product.sku);
                    let inner = Plan {
                        start: t,
                        route: Route::CatalogItem,
                        fail: Fail::None,
                        slow: Slow::None,
                        lose_worker: false,
                    };
                    let via = tr
                        .called_by_service("Apache-HttpClient/5.3.1 (Java/21.0.5)", "10.0.21.118");
                    let (call, r) = self.traced_call(t, host, "GET", &curl, |g, s, parent| {
                        g.catalog(&via, s, &parent, "GET", &curl, &inner)
                    });
                    t = r.end + self.lat(0.7, 0.3);
                    subs.push(call);
                    let mut upd = self.dynamo(t, "UpdateItem", "shop-carts", 8.0);
                    if p.fail == Fail::Conflict {
                        upd["http"]["response"] = json!({"status": 400, "content_length": 120});
                        flag_status(&mut upd, 400);
                        let mut ddb = self.exception(
                            "software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException",
                            "The conditional request failed (Service: DynamoDb, Status Code: 400)",
                            &[("CartRepository.java", 77, "com.shop.orders.cart.CartRepository.save")],
                        );
                        ddb["remote"] = json!(true);
                        ddb["truncated"] = json!(96);
                        let ddb_id = id_of(&ddb);
                        upd["cause"] =
                            json!({"working_directory": "/app", "exceptions": [ddb.clone()]});
                        let version = self.rng.int(3, 40);
                        let mut conflict = self.exception(
                            "com.shop.orders.cart.CartConflictException",
                            &format!("cart cart-{} was modified concurrently (expected version {version})", tr.user.map_or("guest", |u| u.name)),
                            &[
                                ("CartService.java", 64, "com.shop.orders.cart.CartService.addItem"),
                                ("CartController.java", 52, "com.shop.orders.api.CartController.addItem"),
                            ],
                        );
                        conflict["cause"] = json!(ddb_id);
                        seg["cause"] =
                            json!({"working_directory": "/app", "exceptions": [conflict, ddb]});
                        status = 409;
                        len = 142;
                    } else {
                        len = self.rng.int(600, 2800);
                    }
                    t = end_of(&upd) + self.lat(0.9, 0.3);
                    subs.push(upd);
                    seg["metadata"] = json!({"shop": {"cart": {"added": {"sku": product.sku, "category": product.category, "qty": self.rng.int(1, 3), "unit_price": product.price}, "currency": "EUR"}}});
                }
            }
            (Route::OrderGet, _) => {
                let order_id = url.rsplit('/').next().unwrap_or("0").to_owned();
                let mut ctl = self.sub("## OrderController.getOrder", t, t);
                let mut ct = t + self.lat(0.3, 0.3);
                let mut q = self.sql(ct, &ORDERS_DB, "SELECT o.id, o.status, o.total, o.created_at, o.shipping_address_id FROM orders o WHERE o.id = ? AND o.customer_id = ?", 2.5);
                if p.slow == Slow::Downstream {
                    Self::stretch(&mut q, self.rng.uniform(40.0, 70.0));
                }
                ct = end_of(&q) + self.lat(0.3, 0.3);
                let mut csubs = vec![q];
                if p.fail == Fail::NotFound {
                    let exc = self.exception(
                        "com.shop.orders.OrderNotFoundException",
                        &format!("order {order_id} not found"),
                        &[
                            ("OrderService.java", 48, "com.shop.orders.OrderService.find"),
                            (
                                "OrderController.java",
                                83,
                                "com.shop.orders.api.OrderController.getOrder",
                            ),
                        ],
                    );
                    ctl["error"] = json!(true);
                    ctl["cause"] = json!({"working_directory": "/app", "exceptions": [exc]});
                    status = 404;
                    len = 76;
                } else {
                    let lines = self.sql(ct, &ORDERS_DB, "SELECT l.sku, l.qty, l.unit_price FROM order_lines l WHERE l.order_id = ? ORDER BY l.line_no", 3.0);
                    ct = end_of(&lines) + self.lat(0.5, 0.3);
                    csubs.push(lines);
                    if p.fail == Fail::Npe {
                        let mut exc = self.exception(
                            "java.lang.NullPointerException",
                            "Cannot invoke \"com.shop.orders.model.Address.getCountry()\" because the return value of \"com.shop.orders.model.Order.getShippingAddress()\" is null",
                            &[
                                ("OrderMapper.java", 57, "com.shop.orders.api.OrderMapper.toDto"),
                                ("OrderController.java", 88, "com.shop.orders.api.OrderController.getOrder"),
                                ("DirectMethodHandleAccessor.java", 103, "jdk.internal.reflect.DirectMethodHandleAccessor.invoke"),
                                ("DispatcherServlet.java", 1089, "org.springframework.web.servlet.DispatcherServlet.doDispatch"),
                                ("FrameworkServlet.java", 1014, "org.springframework.web.servlet.FrameworkServlet.processRequest"),
                            ],
                        );
                        exc["truncated"] = json!(87);
                        let exc_id = id_of(&exc);
                        ctl["fault"] = json!(true);
                        ctl["cause"] = json!({"working_directory": "/app", "exceptions": [exc]});
                        seg["cause"] = json!(exc_id);
                        status = 500;
                        len = 112;
                    } else {
                        len = self.rng.int(900, 3400);
                    }
                }
                ctl["end_time"] = json!(t6(ct));
                ctl["subsegments"] = Value::Array(csubs);
                t = ct + self.lat(0.6, 0.3);
                subs.push(ctl);
                ann["order_id"] = json!(order_id);
            }
            _ => {
                // POST /api/orders from checkout: write the order and its lines.
                let mut ins = self.sql(t, &ORDERS_DB, "INSERT INTO orders (customer_id, status, total, currency, created_at) VALUES (?, 'PENDING', ?, ?, now()) RETURNING id", 4.0);
                t = end_of(&ins) + self.lat(0.3, 0.3);
                ins["metadata"] = json!({"default": {"rows": 1}});
                subs.push(ins);
                let lines = self.sql(t, &ORDERS_DB, "INSERT INTO order_lines (order_id, line_no, sku, qty, unit_price) VALUES (?, ?, ?, ?, ?)", 5.0);
                t = end_of(&lines) + self.lat(0.8, 0.3);
                subs.push(lines);
                status = 201;
                len = self.rng.int(300, 700);
            }
        }
        seg["annotations"] = ann;
        let end = t + self.lat(0.8, 0.3);
        self.finish(seg, subs, end, status, len)
    }

    // -- checkout (Node.js Lambda) ------------------------------------------------------------

    /// The gateway's Lambda integration: its subsegment, the Lambda service segment and the
    /// function segment.
    fn invoke_checkout(&mut self, tr: &Tr, start: f64, p: &Plan) -> (Value, Reply) {
        let fn_arn = format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:checkout");
        let request_id = self.rng.uuid();
        let sub_id = self.id();
        let svc_start = start + self.lat(1.5, 0.3);
        let mut svc = self.service_segment(tr, "checkout", svc_start, &sub_id, "AWS::Lambda");
        svc["resource_arn"] = json!(fn_arn);
        svc["aws"] = json!({"request_id": request_id});
        svc["http"] = json!({"response": {"status": 200}});

        let cold = self.rng.chance(0.12);
        let fn_start = svc_start + self.lat(2.5, 0.4);
        let mut func = self.service_segment(
            tr,
            "checkout",
            fn_start,
            &id_of(&svc),
            "AWS::Lambda::Function",
        );
        func["resource_arn"] = json!(fn_arn);
        func["aws"] = json!({
            "account_id": ACCOUNT,
            "function_arn": format!("{fn_arn}:$LATEST"),
            "resource_names": ["checkout"],
            "cloudwatch_logs": [{"log_group": "/aws/lambda/checkout", "arn": format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/checkout")}]
        });
        let mut fsubs = Vec::new();
        let mut t = fn_start;
        if cold {
            let d = self.lat(310.0, 0.2);
            let init = self.sub("Initialization", t, t + d);
            t = end_of(&init);
            fsubs.push(init);
        }
        let inv_start = t + 0.0002;
        let (invocation, work) = self.checkout_handler(tr, inv_start, p);
        t = end_of(&invocation);
        fsubs.push(invocation);
        let d = self.lat(1.2, 0.4);
        let overhead = self.sub("Overhead", t, t + d);
        t = end_of(&overhead);
        fsubs.push(overhead);

        if let Some(exc_id) = &work.exc {
            // Unhandled: the function and the Lambda service record the fault.
            let mut exc = self.exception(
                "PaymentFailedError",
                "payment failed: payments responded 502 Bad Gateway",
                &[
                    ("/var/task/checkout.js", 112, "processCheckout"),
                    ("/var/task/index.js", 23, "Runtime.handler"),
                    (
                        "file:///var/runtime/index.mjs",
                        1173,
                        "Runtime.handleOnceNonStreaming",
                    ),
                ],
            );
            exc["cause"] = json!(exc_id);
            let fn_exc = id_of(&exc);
            func["fault"] = json!(true);
            func["cause"] = json!({"working_directory": "/var/task", "exceptions": [exc]});
            svc["fault"] = json!(true);
            svc["cause"] = json!(fn_exc);
        }
        func["end_time"] = json!(t6(t));
        func["subsegments"] = Value::Array(fsubs);
        self.docs.push(func);
        let svc_end = t + self.lat(0.6, 0.3);
        svc["end_time"] = json!(t6(svc_end));
        self.docs.push(svc);

        let end = svc_end + self.lat(0.8, 0.3);
        let invoke_status = if work.exc.is_some() { 502 } else { 200 };
        let mut sub = json!({
            "id": sub_id,
            "name": "Lambda",
            "start_time": t6(start),
            "end_time": t6(end),
            "namespace": "aws",
            "http": {"response": {"status": invoke_status, "content_length": work.len}},
            "aws": {
                "function_name": "checkout",
                "region": REGION,
                "operation": "Invoke",
                "request_id": request_id,
                "resource_names": ["checkout"]
            }
        });
        flag_status(&mut sub, invoke_status);
        (
            sub,
            Reply {
                end,
                status: work.status,
                len: work.len,
                exc: None,
            },
        )
    }

    /// The `Invocation` subsegment of the checkout function, and what the handler answered.
    fn checkout_handler(&mut self, tr: &Tr, start: f64, p: &Plan) -> (Value, Reply) {
        let n_lines = if p.lose_worker { 4 } else { self.rng.int(1, 4) };
        let mut lines = Vec::new();
        let mut total = 0.0;
        for _ in 0..n_lines {
            let prod = self.rng.pick(&PRODUCTS);
            let qty = self.rng.int(1, 3);
            total += prod.price * qty as f64;
            lines.push(json!({"sku": prod.sku, "qty": qty, "unit_price": prod.price}));
        }
        let total = money(total);
        let order_id = self.rng.int(49000, 49999);
        let tier = tr.user.map_or("bronze", |u| u.tier);
        let method_kind = *self.rng.pick(&["card", "card", "card", "paypal"]);

        let mut work = self.sub("## processCheckout", start + 0.0003, 0.0);
        work["annotations"] = json!({
            "customer_tier": tier,
            "cart_items": n_lines,
            "order_total": total,
            "payment_method": method_kind,
            "is_retry": false
        });
        work["metadata"] = json!({"shop": {"order": {"id": order_id, "currency": "EUR", "lines": lines, "total": total}}});
        let mut subs = Vec::new();
        let mut t = start + 0.0008;

        let cart = self.dynamo(t, "GetItem", "shop-carts", 6.0);
        t = end_of(&cart) + self.lat(0.5, 0.3);
        subs.push(cart);

        let via = tr.called_by_service("axios/1.7.7", "10.0.12.37");
        let host = "orders.shop.internal";
        let ourl = format!("http://{host}/api/orders");
        let (ocall, _) = self.traced_call(t, host, "POST", &ourl, |g, s, parent| {
            g.orders_api(&via, s, &parent, "POST", &ourl, p)
        });
        t = end_of(&ocall) + self.lat(0.5, 0.3);
        subs.push(ocall);

        let host = "payments.shop.internal";
        let purl = format!("http://{host}/v1/payments");
        let amount_minor = (total * 100.0).round() as u64;
        let (mut pcall, pr) = self.traced_call(t, host, "POST", &purl, |g, s, parent| {
            g.payments(&via, s, &parent, amount_minor, method_kind, p)
        });
        let pay_id = id_of(&pcall);
        t = end_of(&pcall) + self.lat(0.5, 0.3);

        let mut status = 200;
        let mut len = self.rng.int(250, 420);
        let mut exc = None;
        if pr.status >= 500 {
            let mut e = self.exception(
                "AxiosError",
                "Request failed with status code 502",
                &[
                    (
                        "/var/task/node_modules/axios/lib/core/settle.js",
                        19,
                        "settle",
                    ),
                    (
                        "/var/task/node_modules/axios/lib/adapters/http.js",
                        585,
                        "IncomingMessage.handleStreamEnd",
                    ),
                    ("node:events", 531, "IncomingMessage.emit"),
                ],
            );
            e["remote"] = json!(true);
            let eid = id_of(&e);
            pcall["cause"] = json!({"working_directory": "/var/task", "exceptions": [e]});
            subs.push(pcall);
            work["fault"] = json!(true);
            work["cause"] = json!(eid);
            exc = Some(eid);
            status = 502;
            len = 36;
        } else if pr.status >= 400 {
            subs.push(pcall);
            work["error"] = json!(true);
            status = 402;
            len = 88;
        } else {
            subs.push(pcall);
            // After the payment, in parallel: publish the order and empty the cart.
            let mut send = json!({
                "id": self.id(),
                "name": "SQS",
                "start_time": t6(t),
                "end_time": t6(t + self.lat(11.0, 0.35)),
                "namespace": "aws",
                "http": {"response": {"status": 200}},
                "aws": {
                    "operation": "SendMessage",
                    "region": REGION,
                    "request_id": self.rng.uuid(),
                    "retries": 0,
                    "queue_url": QUEUE_URL,
                    "message_id": self.rng.uuid(),
                    "resource_names": [QUEUE_URL]
                }
            });
            let mut del = self.dynamo(t + 0.00004, "DeleteItem", "shop-carts", 7.0);
            if self.rng.chance(0.3) {
                send["precursor_ids"] = json!([pay_id]);
                del["precursor_ids"] = json!([pay_id]);
            }
            let worker_start = end_of(&send) + self.lat(120.0, 0.6);
            self.inventory_worker(
                tr,
                worker_start,
                &id_of(&send),
                &lines,
                order_id,
                p.lose_worker,
            );
            t = end_of(&send).max(end_of(&del)) + self.lat(0.7, 0.3);
            subs.push(send);
            subs.push(del);
        }
        work["end_time"] = json!(t6(t));
        work["subsegments"] = Value::Array(subs);
        let end = t + self.lat(0.4, 0.3);
        let mut inv = self.sub("Invocation", start, end);
        if status >= 500 {
            inv["fault"] = json!(true);
        }
        inv["subsegments"] = json!([work]);
        (
            inv,
            Reply {
                end,
                status,
                len,
                exc,
            },
        )
    }

    // -- payments (Go, EKS) -------------------------------------------------------------------

    fn payments(
        &mut self,
        tr: &Tr,
        start: f64,
        parent: &str,
        amount_minor: u64,
        kind: &str,
        p: &Plan,
    ) -> Reply {
        let mut seg = self.service_segment(tr, "payments", start, parent, "AWS::EKS::Container");
        seg["http"] = Self::http_in(tr, "POST", "http://payments.shop.internal/v1/payments");
        let pod = format!(
            "payments-7c9f6d8b54-{}",
            self.rng.pick(&["x2kqp", "m8zrt", "q4wvn"])
        );
        seg["aws"] = json!({
            "account_id": ACCOUNT,
            "eks": {"pod": pod, "cluster_name": "shop-prod", "container_id": "9f1e27c4b0a85d3e6c7b2a194f0e8d71"},
            "xray": {"sdk": "X-Ray for Go", "sdk_version": "1.8.4"}
        });
        seg["service"] =
            json!({"version": "0.31.0", "compiler": "gc", "compiler_version": "go1.23.3"});
        seg["annotations"] =
            json!({"provider": "stripe", "amount": amount_minor as f64 / 100.0, "currency": "EUR"});
        seg["metadata"] = json!({"payments": {"charge": {"amount_minor": amount_minor, "currency": "EUR", "method": {"type": kind, "brand": if kind == "card" { "visa" } else { "paypal" }, "last4": if kind == "card" { "4242" } else { "" }}, "three_ds": false}}});
        let mut t = start + self.lat(0.9, 0.3);
        let mut subs = Vec::new();

        let idem = self.dynamo(t, "PutItem", "shop-payments", 8.0);
        t = end_of(&idem) + self.lat(0.4, 0.3);
        subs.push(idem);

        let mut dur = self.lat(240.0, 0.3);
        if p.slow == Slow::Downstream {
            dur *= self.rng.uniform(8.0, 12.0);
        }
        let stripe_status = match p.fail {
            Fail::StripeDown => 503,
            Fail::Declined => 402,
            _ => 200,
        };
        if stripe_status == 503 {
            dur = 30.0 * MS + self.lat(20.0, 0.3);
        }
        let mut stripe = json!({
            "id": self.id(),
            "name": "api.stripe.example",
            "start_time": t6(t),
            "end_time": t6(t + dur),
            "namespace": "remote",
            "http": {
                "request": {"method": "POST", "url": STRIPE_URL},
                "response": {"status": stripe_status, "content_length": if stripe_status == 200 { 1843 } else { 212 }}
            }
        });
        flag_status(&mut stripe, stripe_status);
        t = end_of(&stripe) + self.lat(0.6, 0.3);

        let (status, len) = match stripe_status {
            503 => {
                let mut remote = self.exception(
                    "stripe.APIError",
                    "api_error: The service is temporarily unavailable. Please try again later.",
                    &[],
                );
                remote["remote"] = json!(true);
                let rid = id_of(&remote);
                stripe["cause"] =
                    json!({"working_directory": "/src/payments", "exceptions": [remote]});
                let mut e = self.exception(
                    "*charge.UpstreamError",
                    "charge: stripe POST /v1/charges: 503 Service Unavailable",
                    &[
                        (
                            "/src/payments/internal/stripe/client.go",
                            142,
                            "stripe.(*Client).Charge",
                        ),
                        (
                            "/src/payments/internal/charge/service.go",
                            67,
                            "charge.(*Service).Create",
                        ),
                        (
                            "/src/payments/cmd/server/handlers.go",
                            53,
                            "main.createPayment",
                        ),
                        (
                            "/usr/local/go/src/net/http/server.go",
                            2220,
                            "net/http.HandlerFunc.ServeHTTP",
                        ),
                    ],
                );
                e["cause"] = json!(rid);
                seg["cause"] = json!({"working_directory": "/src/payments", "exceptions": [e]});
                (502, 64)
            }
            402 => {
                let mut remote = self.exception(
                    "stripe.CardError",
                    "card_declined: Your card was declined.",
                    &[],
                );
                remote["remote"] = json!(true);
                stripe["cause"] =
                    json!({"working_directory": "/src/payments", "exceptions": [remote]});
                (402, 91)
            }
            _ => (201, self.rng.int(180, 260)),
        };
        subs.push(stripe);
        let end = t + self.lat(0.5, 0.3);
        self.finish(seg, subs, end, status, len)
    }

    // -- inventory-worker (Python, ECS, reads SQS) --------------------------------------------

    fn inventory_worker(
        &mut self,
        tr: &Tr,
        start: f64,
        parent: &str,
        lines: &[Value],
        order_id: u64,
        lost: bool,
    ) {
        let mut seg =
            self.service_segment(tr, "inventory-worker", start, parent, "AWS::ECS::Container");
        seg["aws"] = json!({
            "account_id": ACCOUNT,
            "ecs": {"container": "inventory-worker-2b7d", "container_id": "2b7d90e1f4c3", "availability_zone": "eu-west-1c"},
            "xray": {"sdk": "X-Ray for Python", "sdk_version": "2.14.0"}
        });
        seg["service"] =
            json!({"version": "0.8.5", "runtime": "CPython", "runtime_version": "3.12.7"});
        seg["annotations"] = json!({"order_id": order_id.to_string(), "lines": lines.len()});
        seg["metadata"] = json!({"shop": {"message": {"type": "OrderPlaced", "order_id": order_id, "lines": lines}}});
        let seg_id = id_of(&seg);
        let mut t = start + self.lat(0.7, 0.3);
        let mut subs = Vec::new();
        // Past the streaming threshold the SDK sends finished subsegments on their own.
        let stream = lines.len() >= 4;
        for line in lines {
            let mut reserve = self.sub("## reserve_stock", t, 0.0);
            reserve["annotations"] = json!({"sku": line["sku"].clone()});
            let mut upd = self.dynamo(t + 0.0002, "UpdateItem", "shop-inventory", 7.5);
            if self.rng.chance(0.08) {
                upd["aws"]["retries"] = json!(1);
                Self::stretch(&mut upd, 2.5);
            }
            t = end_of(&upd) + self.lat(0.3, 0.3);
            reserve["end_time"] = json!(t6(t));
            reserve["subsegments"] = json!([upd]);
            if stream {
                reserve["trace_id"] = json!(tr.id);
                reserve["parent_id"] = json!(seg_id);
                reserve["type"] = json!("subsegment");
                self.docs.push(reserve);
            } else {
                subs.push(reserve);
            }
        }
        let del = json!({
            "id": self.id(),
            "name": "SQS",
            "start_time": t6(t),
            "end_time": t6(t + self.lat(8.0, 0.3)),
            "namespace": "aws",
            "http": {"response": {"status": 200}},
            "aws": {"operation": "DeleteMessage", "region": REGION, "request_id": self.rng.uuid(), "retries": 0, "queue_url": QUEUE_URL}
        });
        t = end_of(&del) + self.lat(0.4, 0.3);
        subs.push(del);
        self.finish(seg, subs, t, 200, 0);
        if lost {
            // The segment's UDP packet was dropped: only the streamed subsegments arrived.
            self.docs.pop();
        }
    }

    // -- catalog-sync (batch job, one large trace) --------------------------------------------

    fn batch_job(&mut self, start: f64) {
        let tr = self.new_trace(start, None);
        let (instance, az) = CATALOG_HOSTS[0];
        let mut seg = json!({
            "id": self.id(),
            "name": "catalog-sync",
            "trace_id": tr.id,
            "start_time": t6(start),
            "end_time": 0.0,
            "origin": "AWS::EC2::Instance",
            "aws": {
                "account_id": ACCOUNT,
                "ec2": {"instance_id": instance, "availability_zone": az, "instance_size": "m7g.large", "ami_id": "ami-0c1f3a9e5d2b7c481"},
                "xray": {"sdk": "X-Ray for Python", "sdk_version": "2.14.0"}
            },
            "service": {"version": "1.9.2", "runtime": "CPython", "runtime_version": "3.12.7"}
        });
        let seg_id = id_of(&seg);
        let mut t = start + 0.004;
        let mut subs = Vec::new();
        let batches = 100;

        let mut download = self.sub("## download_feed", t, 0.0);
        let get = json!({
            "id": self.id(),
            "name": "S3",
            "start_time": t6(t + 0.001),
            "end_time": t6(t + 0.001 + self.lat(420.0, 0.2)),
            "namespace": "aws",
            "http": {"response": {"status": 200, "content_length": 18_734_112}},
            "aws": {"operation": "GetObject", "region": REGION, "request_id": self.rng.token(16), "retries": 0, "bucket_name": "shop-catalog-feeds", "key": "feeds/2026-11-24/products.jsonl.gz"}
        });
        t = end_of(&get) + self.lat(35.0, 0.2);
        download["end_time"] = json!(t6(t));
        download["subsegments"] = json!([get]);
        subs.push(download);

        let mut rows = 0;
        for b in 1..=batches {
            let mut batch = self.sub("## upsert_batch", t, 0.0);
            let n = if b == batches { 212 } else { 500 };
            rows += n;
            batch["annotations"] = json!({"batch": b, "rows": n});
            let sql = self.sql(
                t + 0.0003,
                &CATALOG_DB,
                "INSERT INTO products (sku, name, price, category, stock, active) VALUES %s ON CONFLICT (sku) DO UPDATE SET name = EXCLUDED.name, price = EXCLUDED.price, stock = EXCLUDED.stock, active = EXCLUDED.active",
                38.0,
            );
            let mut ddb = self.dynamo(
                end_of(&sql) + 0.0004,
                "BatchWriteItem",
                "shop-catalog",
                22.0,
            );
            if b == 41 || b == 42 {
                ddb["aws"]["retries"] = json!(2);
                Self::stretch(&mut ddb, 6.0);
            }
            t = end_of(&ddb) + self.lat(1.5, 0.3);
            batch["end_time"] = json!(t6(t));
            batch["subsegments"] = json!([sql, ddb]);
            batch["trace_id"] = json!(tr.id);
            batch["parent_id"] = json!(seg_id);
            batch["type"] = json!("subsegment");
            self.docs.push(batch);
        }

        let mut report = self.sub("## publish_report", t, 0.0);
        let put = json!({
            "id": self.id(),
            "name": "S3",
            "start_time": t6(t + 0.0005),
            "end_time": t6(t + 0.0005 + self.lat(48.0, 0.3)),
            "namespace": "aws",
            "http": {"response": {"status": 200}},
            "aws": {"operation": "PutObject", "region": REGION, "request_id": self.rng.token(16), "retries": 0, "bucket_name": "shop-catalog-feeds", "key": "reports/2026-11-24/catalog-sync.json"}
        });
        t = end_of(&put) + self.lat(1.0, 0.3);
        report["end_time"] = json!(t6(t));
        report["subsegments"] = json!([put]);
        subs.push(report);

        seg["annotations"] = json!({"job": "catalog-sync", "feed_date": "2026-11-24", "batches": batches, "rows": rows, "dry_run": false});
        seg["metadata"] = json!({"default": {"job": {"schedule": "cron(30 * * * ? *)", "feed": {"bucket": "shop-catalog-feeds", "key": "feeds/2026-11-24/products.jsonl.gz"}, "stats": {"rows": rows, "inserted": 311, "updated": rows - 311 - 17, "deactivated": 17}}}});
        let end = t + 0.002;
        self.finish(seg, subs, end, 200, 0);
    }
}

/// Applies the capture moment to a document: work not finished by then is in progress (no end
/// time, no response, no verdict yet), work not started yet is dropped. Returns whether the
/// document was sent by then.
fn snapshot(doc: &mut Value) -> bool {
    let start = doc["start_time"].as_f64().unwrap_or(0.0);
    if start >= SNAPSHOT_AT {
        return false;
    }
    cut(doc);
    true
}

fn cut(v: &mut Value) {
    let Some(obj) = v.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(subs)) = obj.get_mut("subsegments") {
        subs.retain(|s| s["start_time"].as_f64().unwrap_or(0.0) < SNAPSHOT_AT);
        subs.iter_mut().for_each(cut);
    }
    if obj.get("end_time").and_then(Value::as_f64).unwrap_or(0.0) > SNAPSHOT_AT {
        obj.shift_remove("end_time");
        for k in ["error", "fault", "throttle", "cause"] {
            obj.shift_remove(k);
        }
        if let Some(Value::Object(http)) = obj.get_mut("http") {
            http.shift_remove("response");
            if http.is_empty() {
                obj.shift_remove("http");
            }
        }
        obj.insert("in_progress".to_owned(), Value::Bool(true));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, HashSet};
    use xray_tui::engine::assemble;
    use xray_tui::model::{NodeKind, Segment};

    fn docs() -> Vec<Segment> {
        DEMO_NDJSON
            .lines()
            .enumerate()
            .map(|(i, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("line {}: {e}", i + 1)))
            .collect()
    }

    fn by_trace() -> BTreeMap<String, Vec<Segment>> {
        let mut m: BTreeMap<String, Vec<Segment>> = BTreeMap::new();
        for d in docs() {
            let id = d.trace_id.clone().expect("every document has a trace_id");
            m.entry(id).or_default().push(d);
        }
        m
    }

    fn walk<'a>(s: &'a Segment, out: &mut Vec<&'a Segment>) {
        out.push(s);
        for c in &s.subsegments {
            walk(c, out);
        }
    }

    #[test]
    fn asset_matches_generator() {
        assert!(
            generate() == DEMO_NDJSON,
            "assets/demo.ndjson is stale: regenerate it with `cargo test --test demo_data -- --ignored`"
        );
    }

    #[test]
    fn generator_is_deterministic() {
        assert_eq!(generate(), generate());
    }

    #[test]
    fn exp_is_close_to_libm() {
        for x in [-3.0, -0.7, 0.0, 0.3, 1.0, 2.5] {
            let (a, b) = (exp(x), f64::exp(x));
            assert!((a - b).abs() / b < 1e-12, "exp({x}) = {a}, libm {b}");
        }
    }

    #[test]
    fn dataset_is_rich() {
        let docs = docs();
        assert!(
            DEMO_NDJSON.len() <= 3_200_000,
            "{} bytes",
            DEMO_NDJSON.len()
        );
        let traces = by_trace();
        assert!(traces.len() >= 300, "{} traces", traces.len());

        let mut all: Vec<&Segment> = Vec::new();
        for d in &docs {
            walk(d, &mut all);
        }
        // One hour.
        let starts: Vec<f64> = docs.iter().map(|d| d.start_time).collect();
        let min = starts.iter().copied().fold(f64::MAX, f64::min);
        let max = starts.iter().copied().fold(f64::MIN, f64::max);
        assert!(
            (DEMO_START..DEMO_START + 60.0).contains(&min),
            "first start {min}"
        );
        assert!(
            max < DEMO_START + 3600.0 && max > DEMO_START + 3500.0,
            "last start {max}"
        );

        // Trace IDs in the real format, epoch part = the trace's first start.
        for (id, ds) in &traces {
            let parts: Vec<&str> = id.split('-').collect();
            assert_eq!(parts.len(), 3, "{id}");
            assert_eq!(parts[0], "1");
            assert_eq!(parts[1].len(), 8);
            assert_eq!(parts[2].len(), 24);
            let epoch = u64::from_str_radix(parts[1], 16).expect("hex epoch");
            let first = ds.iter().map(|d| d.start_time).fold(f64::MAX, f64::min);
            assert_eq!(epoch, first.floor() as u64, "{id}");
        }

        let services: BTreeSet<&str> = docs
            .iter()
            .filter(|d| !d.is_subsegment_doc())
            .map(|d| d.name.as_str())
            .collect();
        assert!(services.len() >= 6, "{services:?}");

        let count = |f: &dyn Fn(&Segment) -> bool| all.iter().filter(|s| f(s)).count();
        assert!(count(&|s| s.is_fault()) > 0);
        assert!(count(&|s| s.is_error() && !s.is_throttle()) > 0);
        assert!(count(&|s| s.is_throttle() && s.http_status() == Some(429)) > 0);
        assert!(count(&|s| s.is_throttle() && s.http_status() == Some(400)) > 0);
        assert!(
            docs.iter()
                .any(|d| d.parent_id.is_none() && d.in_progress == Some(true))
        );
        assert!(count(&|s| s.sql.is_some()) > 0);
        assert!(count(&|s| s.annotations.is_some()) > 0);
        assert!(count(&|s| s.metadata.is_some()) > 0);
        assert!(docs.iter().filter(|d| d.user.is_some()).count() > 100);
        assert!(count(&|s| s.exceptions().iter().any(|e| !e.stack.is_empty())) > 0);
        assert!(count(&|s| s.exceptions().iter().any(|e| e.cause.is_some())) > 0);
        assert!(count(&|s| s.exceptions().iter().any(|e| e.remote == Some(true))) > 0);
        assert!(count(&|s| matches!(s.cause.as_deref(), Some(xray_tui::model::Cause::Id(_)))) > 0);
        assert!(count(&|s| s.aws.as_ref().and_then(|a| a.retries).unwrap_or(0) > 0) > 0);
        assert!(count(&|s| s.precursor_ids.is_some()) > 0);
        assert!(docs.iter().any(|d| d.is_subsegment_doc()));

        // IDs: 16 hex digits, unique in each trace.
        for (tid, ds) in &traces {
            let mut ents = Vec::new();
            for d in ds {
                walk(d, &mut ents);
            }
            let mut seen = HashSet::new();
            for e in ents {
                assert_eq!(e.id.len(), 16, "{}", e.id);
                assert!(e.id.bytes().all(|b| b.is_ascii_hexdigit()));
                assert!(seen.insert(e.id.clone()), "{tid}: duplicate id {}", e.id);
            }
        }
    }

    #[test]
    fn traces_assemble_into_trees() {
        let mut orphan_traces = BTreeSet::new();
        let mut nested_callees = 0;
        let mut biggest = 0;
        for (tid, ds) in by_trace() {
            let t = assemble(&tid, ds);
            biggest = biggest.max(t.nodes.len());
            for n in &t.nodes {
                // Entities nested in an orphan have no segment either; check the top ones.
                if n.is_orphan() && n.parent.is_none() {
                    assert_eq!(n.doc.name, "## reserve_stock", "unexpected orphan in {tid}");
                    orphan_traces.insert(tid.clone());
                }
                if n.kind == NodeKind::Segment && n.doc.parent_id.is_some() {
                    let p = n
                        .parent
                        .unwrap_or_else(|| panic!("{tid}: {} is not under its caller", n.doc.name));
                    assert!(n.depth > 1, "{tid}: {} at depth {}", n.doc.name, n.depth);
                    if t.nodes[p].kind == NodeKind::Subsegment {
                        nested_callees += 1;
                    }
                }
            }
            let root = t.root_segment().expect("a root segment");
            assert!(t.nodes[root].doc.parent_id.is_none());
        }
        assert_eq!(
            orphan_traces.len(),
            1,
            "one trace lost its worker segment on purpose"
        );
        assert!(
            nested_callees > 300,
            "{nested_callees} callee segments under calls"
        );
        assert!(biggest >= 300, "largest trace has {biggest} entities");
    }

    /// Writes `assets/demo.ndjson`: `cargo test --test demo_data -- --ignored`.
    #[test]
    #[ignore = "writes the asset; run to regenerate it"]
    fn regenerate_demo_asset() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo.ndjson");
        std::fs::write(path, generate()).expect("write assets/demo.ndjson");
    }
}
