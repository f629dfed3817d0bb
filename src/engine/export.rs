//! The JSON exports, in the AWS CLI's shapes (`get-trace-summaries`, `batch-get-traces`), so
//! everything xray-tui writes (headless output, the app's `x` export, the AWS trace cache) reads
//! back as input.

use crate::engine::waterfall;
use crate::model::{
    BatchSegment, BatchTrace, BatchTraces, Trace, TraceSummariesPage, TraceSummary,
};

/// `{"TraceSummaries": [...]}` as `aws xray get-trace-summaries` prints it.
pub fn summaries_json(summaries: &[TraceSummary]) -> serde_json::Result<String> {
    let page = TraceSummariesPage {
        trace_summaries: summaries.to_vec(),
        approximate_time: None,
        traces_processed_count: Some(summaries.len() as u64),
        next_token: None,
    };
    serde_json::to_string_pretty(&page)
}

/// The `batch-get-traces` shape: each segment's document as a JSON string.
pub fn batch_traces(traces: &[&Trace]) -> serde_json::Result<BatchTraces> {
    let mut out = BatchTraces::default();
    for t in traces {
        let (_, span) = waterfall::window(t);
        let mut segments = Vec::new();
        for doc in t.documents() {
            segments.push(BatchSegment {
                id: Some(doc.id.clone()),
                document: serde_json::to_string(&doc)?,
            });
        }
        out.traces.push(BatchTrace {
            id: Some(t.id.clone()),
            duration: Some((span * 1000.0).round() / 1000.0),
            limit_exceeded: Some(t.limit_exceeded),
            segments,
        });
    }
    Ok(out)
}
