//! The service graph in the JSON shape of `GetServiceGraph` (`aws xray get-service-graph`):
//! nodes (`Service`) that list their outgoing `Edge`s by the target's `ReferenceId`.

use serde::{Deserialize, Serialize};

use super::segment::Extra;
use super::time;

fn is_empty_map(m: &Extra) -> bool {
    m.is_empty()
}

/// The top-level object of a `get-service-graph` response.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceGraph {
    /// Window start.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::opt_epoch"
    )]
    pub start_time: Option<f64>,
    /// Window end.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::opt_epoch"
    )]
    pub end_time: Option<f64>,
    /// The nodes.
    #[serde(default)]
    pub services: Vec<Service>,
    /// The group changed during the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains_old_group_versions: Option<bool>,
    /// Paging token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl ServiceGraph {
    /// The node with this reference ID.
    pub fn node(&self, reference_id: i64) -> Option<&Service> {
        self.services
            .iter()
            .find(|s| s.reference_id == reference_id)
    }
}

/// A node: a client, a service, or an inferred downstream resource.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Service {
    /// Identifier used by edges.
    pub reference_id: i64,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// All names.
    #[serde(default)]
    pub names: Vec<String>,
    /// An entry point of the graph.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<bool>,
    /// Account ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// `client`, `AWS::EC2::Instance`, `AWS::DynamoDB::Table`, `remote`...
    #[serde(rename = "Type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `active` or `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// First request seen.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::opt_epoch"
    )]
    pub start_time: Option<f64>,
    /// Last request seen.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::opt_epoch"
    )]
    pub end_time: Option<f64>,
    /// Outgoing edges.
    #[serde(default)]
    pub edges: Vec<Edge>,
    /// Request statistics of the node itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary_statistics: Option<ServiceStatistics>,
    /// Histogram of segment durations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub duration_histogram: Vec<HistogramEntry>,
    /// Histogram of response times.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response_time_histogram: Vec<HistogramEntry>,
    /// Other fields.
    #[serde(flatten, default, skip_serializing_if = "is_empty_map")]
    pub extra: Extra,
}

/// A call from one node to another.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Edge {
    /// The target node's reference ID.
    pub reference_id: i64,
    /// First call seen.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::opt_epoch"
    )]
    pub start_time: Option<f64>,
    /// Last call seen.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::opt_epoch"
    )]
    pub end_time: Option<f64>,
    /// Call statistics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary_statistics: Option<EdgeStatistics>,
    /// Histogram of response times.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response_time_histogram: Vec<HistogramEntry>,
    /// Other names of the target.
    #[serde(default)]
    pub aliases: Vec<Alias>,
    /// Edge type, when the service sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edge_type: Option<String>,
    /// Other fields.
    #[serde(flatten, default, skip_serializing_if = "is_empty_map")]
    pub extra: Extra,
}

/// Edge statistics.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EdgeStatistics {
    /// Calls that succeeded.
    #[serde(default)]
    pub ok_count: u64,
    /// 4xx calls.
    #[serde(default)]
    pub error_statistics: ErrorStatistics,
    /// 5xx calls.
    #[serde(default)]
    pub fault_statistics: FaultStatistics,
    /// All calls.
    #[serde(default)]
    pub total_count: u64,
    /// Sum of response times, in seconds.
    #[serde(default)]
    pub total_response_time: f64,
}

/// Node statistics (same shape as edge statistics).
pub type ServiceStatistics = EdgeStatistics;

/// 4xx counts.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ErrorStatistics {
    /// 429s.
    #[serde(default)]
    pub throttle_count: u64,
    /// Other 4xx.
    #[serde(default)]
    pub other_count: u64,
    /// All 4xx.
    #[serde(default)]
    pub total_count: u64,
}

/// 5xx counts.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FaultStatistics {
    /// Other 5xx.
    #[serde(default)]
    pub other_count: u64,
    /// All 5xx.
    #[serde(default)]
    pub total_count: u64,
}

/// One histogram bucket: how many requests took `value` seconds.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HistogramEntry {
    /// Seconds.
    #[serde(default)]
    pub value: f64,
    /// Requests.
    #[serde(default)]
    pub count: u64,
}

/// Another name of an edge's target.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Alias {
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// All names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// Type.
    #[serde(rename = "Type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}
