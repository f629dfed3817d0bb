//! `BatchGetTraces` (`aws xray batch-get-traces`) and `GetGroups` shapes. In a batch response
//! each segment's `Document` is the segment document as a JSON *string*.

use serde::{Deserialize, Serialize};

/// The top-level object of a `batch-get-traces` response.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchTraces {
    /// Full traces.
    #[serde(default)]
    pub traces: Vec<BatchTrace>,
    /// IDs the service could not return.
    #[serde(default)]
    pub unprocessed_trace_ids: Vec<String>,
    /// Paging token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// One trace of a batch response.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchTrace {
    /// Trace ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Seconds from first start to last end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    /// The trace was too large to return whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_exceeded: Option<bool>,
    /// Segment documents.
    #[serde(default)]
    pub segments: Vec<BatchSegment>,
}

/// A segment of a batch response: ID plus the document as a JSON string.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchSegment {
    /// Segment ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The segment document, JSON-encoded.
    #[serde(default)]
    pub document: String,
}

/// The top-level object of a `get-groups` response.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupsPage {
    /// The groups.
    #[serde(default)]
    pub groups: Vec<Group>,
    /// Paging token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// An X-Ray group: a name and a filter expression.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Group {
    /// Group name.
    #[serde(default)]
    pub group_name: String,
    /// Group ARN.
    #[serde(rename = "GroupARN", default, skip_serializing_if = "Option::is_none")]
    pub group_arn: Option<String>,
    /// The filter expression that defines the group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_expression: Option<String>,
    /// Insights settings, kept as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insights_configuration: Option<serde_json::Value>,
}
