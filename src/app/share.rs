//! Getting a trace out of the app: its ID to the clipboard (`y`), its AWS console URL (`o`), the
//! open trace or the listed summaries to a JSON file (`x`).
//!
//! This is the pure half: which trace, which URL, which file name, which [`Cmd`]s. The runtime
//! does the writing (OSC 52 to the terminal, the platform opener, the file) off the UI thread and
//! answers with [`Event::Exported`](super::Event::Exported) or
//! [`Event::Notice`](super::Event::Notice), which end up as toasts.

use std::path::PathBuf;
use std::sync::Arc;

use super::toast::Level;
use super::{App, Cmd, Mode};
use crate::engine::dataset::Dataset;
use crate::keys::Action;
use crate::model::trace::Trace;

/// The region console URLs use when the app knows none.
pub const FALLBACK_REGION: &str = "us-east-1";

/// What to export.
#[derive(Debug, Clone)]
pub enum ExportData {
    /// One trace, written as `aws xray batch-get-traces` prints it.
    Trace(Arc<Trace>),
    /// Summaries (`data.summaries[i]` for each row, in this order), written as
    /// `aws xray get-trace-summaries` prints them.
    Summaries {
        /// The loaded data.
        data: Arc<Dataset>,
        /// Indexes into `data.summaries`: the list as shown (filtered and sorted).
        rows: Vec<usize>,
    },
}

/// An export for the runtime to write.
#[derive(Debug, Clone)]
pub struct Export {
    /// The file name to use in the current directory (a free name is made from it if taken).
    pub file_name: String,
    /// The data.
    pub data: ExportData,
}

// Commands are compared in tests; the data is shared, so the same `Arc` is the same data.
impl PartialEq for Export {
    fn eq(&self, other: &Self) -> bool {
        self.file_name == other.file_name
            && match (&self.data, &other.data) {
                (ExportData::Trace(a), ExportData::Trace(b)) => Arc::ptr_eq(a, b),
                (
                    ExportData::Summaries { data: a, rows: ra },
                    ExportData::Summaries { data: b, rows: rb },
                ) => Arc::ptr_eq(a, b) && ra == rb,
                _ => false,
            }
    }
}

impl Eq for Export {}

/// The AWS console page of a trace (CloudWatch's X-Ray trace view).
pub fn console_url(region: &str, trace_id: &str) -> String {
    let region = url_escape(region);
    let id = url_escape(trace_id);
    format!(
        "https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#xray:traces/{id}"
    )
}

/// Percent-encodes every byte outside `A-Z a-z 0-9 - _ .`: trace IDs and regions pass as they
/// are, anything odd read from a file cannot change the URL's shape.
fn url_escape(s: &str) -> String {
    escape_but(s, b"-_.")
}

/// `s` with every byte but ASCII letters, digits and those of `kept` as `%XX`.
fn escape_but(s: &str, kept: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || kept.contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// How far before the trace's start and after its end the related logs are looked for (seconds).
pub const LOGS_MARGIN: f64 = 300.0;

/// The log groups of a segment: its `aws.cloudwatch_logs` (`[{"log_group": …}]`), else, for a
/// Lambda function (`origin` `AWS::Lambda::Function`, or an `aws.lambda.function_arn`), its
/// `/aws/lambda/NAME`.
pub fn log_groups_of(doc: &crate::model::Segment) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let aws = doc.aws.as_ref();
    if let Some(list) = aws
        .and_then(|a| a.extra.get("cloudwatch_logs"))
        .and_then(serde_json::Value::as_array)
    {
        for g in list {
            if let Some(name) = g.get("log_group").and_then(serde_json::Value::as_str) {
                let name = name.trim();
                if !name.is_empty() && !out.iter().any(|x| x == name) {
                    out.push(name.to_owned());
                }
            }
        }
    }
    if out.is_empty() {
        // `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`.
        let from_arn = aws
            .and_then(|a| a.lambda.as_ref())
            .and_then(|l| l.function_arn.as_deref())
            .and_then(|arn| arn.split(':').nth(6))
            .filter(|n| !n.is_empty());
        let is_function = doc.origin.as_deref() == Some("AWS::Lambda::Function");
        let name = from_arn.or((is_function && !doc.name.is_empty()).then_some(&*doc.name));
        if let Some(n) = name {
            out.push(format!("/aws/lambda/{n}"));
        }
    }
    out
}

/// The log groups related to `node`: its segment's ([`log_groups_of`]), else every segment's
/// in the trace.
pub fn related_log_groups(trace: &Trace, node: crate::model::NodeId) -> Vec<String> {
    let own = trace
        .nodes
        .get(node)
        .and_then(|n| n.segment)
        .and_then(|s| trace.nodes.get(s))
        .map(|s| log_groups_of(&s.doc))
        .unwrap_or_default();
    if !own.is_empty() {
        return own;
    }
    let mut all: Vec<String> = Vec::new();
    for (_, s) in trace.segment_nodes() {
        for g in log_groups_of(&s.doc) {
            if !all.contains(&g) {
                all.push(g);
            }
        }
    }
    all
}

/// `s` in single quotes for a POSIX shell.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The `aws logs filter-log-events` command that finds the lines naming `trace_id` in `group`
/// between `start` and `end` (epoch seconds).
pub fn filter_log_events_command(
    group: &str,
    trace_id: &str,
    (start, end): (f64, f64),
    region: Option<&str>,
) -> String {
    let ms = |t: f64| (t * 1000.0).round() as i64;
    let region = region.map_or_else(String::new, |r| format!(" --region {}", shell_quote(r)));
    format!(
        "aws logs filter-log-events{region} --log-group-name {} --start-time {} --end-time {} \
         --filter-pattern {}",
        shell_quote(group),
        ms(start),
        ms(end),
        shell_quote(&format!("\"{trace_id}\"")),
    )
}

/// A value inside the Logs Insights console's `queryDetail`: every byte but `A-Z a-z 0-9 - _ .`
/// as `*XX`.
fn insights_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("*{b:02x}"));
        }
    }
    out
}

/// The CloudWatch Logs Insights console URL that queries `groups` for the lines naming
/// `trace_id` between `start` and `end` (epoch seconds, absolute, UTC).
pub fn insights_url(
    region: &str,
    groups: &[String],
    trace_id: &str,
    (start, end): (f64, f64),
) -> String {
    use crate::model::time::format_utc;
    let query = format!(
        "fields @timestamp, @log, @message\n| filter @message like \"{trace_id}\"\n| sort @timestamp asc"
    );
    let sources: String = groups
        .iter()
        .map(|g| format!("~'{}", insights_value(g)))
        .collect();
    let detail = format!(
        "~(end~'{}~start~'{}~timeType~'ABSOLUTE~tz~'UTC~editorString~'{}~source~({}))",
        insights_value(&format_utc(end)),
        insights_value(&format_utc(start)),
        insights_value(&query),
        sources
    );
    // As the console writes it: escaped as JavaScript's `escape` does, then as its
    // `encodeURIComponent` does, `%` written `$` (`~` becomes `$257E`, `*3a` stays).
    let fragment = escape_but(&escape_but(&detail, b"@*_+-./"), b"-_.!~*'()").replace('%', "$");
    let region = url_escape(region);
    format!(
        "https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}\
         #logsV2:logs-insights$3FqueryDetail$3D{fragment}"
    )
}

/// `s` with everything but `A-Z a-z 0-9 - _ .` replaced by `_`, for a file name.
fn file_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The file name for one exported trace.
pub fn trace_file_name(trace_id: &str) -> String {
    format!("xray-trace-{}.json", file_safe(trace_id))
}

/// The file name for exported summaries.
pub fn summaries_file_name(count: usize) -> String {
    format!("xray-traces-{count}.json")
}

impl App {
    /// The same app knowing the AWS region (for console URLs); `None` means unknown.
    pub fn with_region(mut self, region: Option<String>) -> Self {
        self.region = region.filter(|r| !r.trim().is_empty());
        self
    }

    /// The same app told whether a browser can be opened (a display is available).
    pub fn with_opener(mut self, can_open: bool) -> Self {
        self.can_open = can_open;
        self
    }

    /// The trace `y`, `o` and `x` act on: the open one in the trace view, the selected one in
    /// the list.
    pub fn current_trace_id(&self) -> Option<String> {
        match self.mode {
            Mode::Trace => self.view.as_ref().map(|v| v.trace.id.clone()),
            Mode::List => self.selected_summary().map(|s| s.id.to_string()),
            // The map of one trace stands for that trace; the map of all traces for none.
            Mode::Map => self.map.as_ref().and_then(|m| m.trace_id.clone()),
            Mode::Analysis => None,
        }
    }

    /// Copy, console URL or export.
    pub(super) fn share_action(&mut self, action: Action) -> Vec<Cmd> {
        match action {
            Action::Copy => self.copy_id(),
            Action::OpenConsole => self.console(),
            Action::Export => self.export(),
            Action::RelatedLogs => self.related_logs(),
            _ => Vec::new(),
        }
    }

    fn copy_id(&mut self) -> Vec<Cmd> {
        let Some(id) = self.current_trace_id() else {
            self.toast_error("no trace selected to copy");
            return Vec::new();
        };
        // In the form shown (`W`).
        let id = crate::model::format::trace_id_in(&id, self.w3c_ids).into_owned();
        self.toast_info(format!("copied {id}"));
        vec![Cmd::Copy(id)]
    }

    fn console(&mut self) -> Vec<Cmd> {
        let Some(id) = self.current_trace_id() else {
            self.toast_error("no trace selected");
            return Vec::new();
        };
        let region = match &self.region {
            Some(r) => r.clone(),
            None => {
                self.toast_info(format!(
                    "region unknown (no --region or AWS_REGION): using {FALLBACK_REGION}"
                ));
                FALLBACK_REGION.to_owned()
            }
        };
        let url = console_url(&region, &id);
        let mut cmds = vec![Cmd::Copy(url.clone())];
        if self.can_open {
            self.toast_info("opening the AWS console (URL copied)");
            cmds.push(Cmd::OpenUrl(url));
        } else {
            // No display to open a browser on: show the URL so it can be copied from the screen.
            self.toast_info(format!("console URL copied: {url}"));
            self.message = Some(url);
        }
        cmds
    }

    /// Copies the commands that find the open trace's log lines (`aws logs filter-log-events`,
    /// one per log group of the selected entity's segment, or of every segment) and the Logs
    /// Insights console URL, for the trace's time window widened by [`LOGS_MARGIN`].
    fn related_logs(&mut self) -> Vec<Cmd> {
        let Some(v) = self.view.as_ref() else {
            self.toast_error("open a trace to find its logs");
            return Vec::new();
        };
        let node = v.selected_row().map_or(0, |r| r.node);
        let groups = related_log_groups(&v.trace, node);
        if groups.is_empty() {
            self.toast_error("no log group: no aws.cloudwatch_logs and no Lambda function here");
            return Vec::new();
        }
        // Log lines carry the X-Ray form.
        let id = crate::model::format::trace_id_in(&v.trace.id, false).into_owned();
        let (start, len) = v.window;
        let span = (start - LOGS_MARGIN, start + len + LOGS_MARGIN);
        let region = self.region.clone();
        let mut text: Vec<String> = groups
            .iter()
            .map(|g| filter_log_events_command(g, &id, span, region.as_deref()))
            .collect();
        let url = insights_url(
            region.as_deref().unwrap_or(FALLBACK_REGION),
            &groups,
            &id,
            span,
        );
        text.push(url.clone());
        self.toast_info(format!(
            "copied filter-log-events for {} and the Logs Insights URL",
            groups.join(", ")
        ));
        self.message = Some(url);
        vec![Cmd::Copy(text.join("\n"))]
    }

    fn export(&mut self) -> Vec<Cmd> {
        let export = match self.mode {
            Mode::Trace => self.view.as_ref().map(|v| Export {
                file_name: trace_file_name(&v.trace.id),
                data: ExportData::Trace(Arc::clone(&v.trace)),
            }),
            Mode::List => match &self.data {
                Some(d) if !self.list.visible.is_empty() => Some(Export {
                    file_name: summaries_file_name(self.list.visible.len()),
                    data: ExportData::Summaries {
                        data: Arc::clone(d),
                        rows: self.list.visible.clone(),
                    },
                }),
                _ => None,
            },
            Mode::Map => self
                .map
                .as_ref()
                .and_then(|m| m.trace_id.as_ref())
                .and(self.view.as_ref())
                .map(|v| Export {
                    file_name: trace_file_name(&v.trace.id),
                    data: ExportData::Trace(Arc::clone(&v.trace)),
                }),
            Mode::Analysis => None,
        };
        match export {
            Some(e) => vec![Cmd::Export(e)],
            None => {
                self.toast_error("nothing to export");
                Vec::new()
            }
        }
    }

    /// The runtime's answer to an export: where it went, or why not.
    pub(super) fn exported(&mut self, result: Result<PathBuf, String>) {
        match result {
            Ok(path) => self.toast_info(format!("exported to {}", path.display())),
            Err(e) => self.toast_error(format!("export failed: {e}")),
        }
    }

    /// A notice from the runtime (a copy or an opener that failed).
    pub(super) fn notice(&mut self, level: Level, text: String) {
        match level {
            Level::Info => self.toast_info(text),
            Level::Error => self.toast_error(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_console_url_of_a_trace() {
        assert_eq!(
            console_url("eu-west-1", "1-5f84c7a1-2b9c3d4e5f6a7b8c9d0e1f2a"),
            "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1\
             #xray:traces/1-5f84c7a1-2b9c3d4e5f6a7b8c9d0e1f2a"
        );
        // Odd IDs from files cannot add to the URL.
        assert!(console_url("us-east-1", "a b&c#d").ends_with("#xray:traces/a%20b%26c%23d"));
    }

    #[test]
    fn related_logs_commands_and_url() {
        let cmd = filter_log_events_command(
            "/aws/lambda/it's",
            "1-5f84c7a1-2b9c3d4e5f6a7b8c9d0e1f2a",
            (1_700_000_000.0, 1_700_000_600.5),
            Some("eu-west-1"),
        );
        assert_eq!(
            cmd,
            "aws logs filter-log-events --region 'eu-west-1' --log-group-name \
             '/aws/lambda/it'\\''s' --start-time 1700000000000 --end-time 1700000600500 \
             --filter-pattern '\"1-5f84c7a1-2b9c3d4e5f6a7b8c9d0e1f2a\"'"
        );
        let url = insights_url(
            "eu-west-1",
            &["/ecs/a b".to_owned(), "/aws/lambda/f".to_owned()],
            "1-5f84c7a1-2b9c3d4e5f6a7b8c9d0e1f2a",
            (1_700_000_000.0, 1_700_000_600.0),
        );
        // As the console's own links are written (`~(end~'...` escaped twice, `%` as `$`).
        assert!(url.starts_with(
            "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1\
             #logsV2:logs-insights$3FqueryDetail$3D$257E$2528end$257E$2527"
        ));
        // 2023-11-14T22:23:20.000Z, `:` as `*3a`.
        assert!(
            url.contains("$25272023-11-14T22*3a23*3a20.000Z$257E"),
            "{url}"
        );
        assert!(url.contains("$257EtimeType$257E$2527ABSOLUTE$257Etz$257E$2527UTC"));
        // The groups, `/` as `*2f`, a space as `*20`.
        assert!(
            url.contains("source$257E$2528$257E$2527*2fecs*2fa*20b$257E$2527*2faws"),
            "{url}"
        );
        assert!(url.ends_with("$2529$2529"), "{url}");
        // Nothing but what the console's links have.
        assert!(
            url.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.*$:/?=#".contains(&b)),
            "{url}"
        );
        assert!(url.contains("1-5f84c7a1-2b9c3d4e5f6a7b8c9d0e1f2a"), "{url}");
    }

    #[test]
    fn log_groups_from_the_segment_or_the_function() {
        let doc = |v: serde_json::Value| -> crate::model::Segment {
            serde_json::from_value(v).expect("a document")
        };
        let ecs = doc(
            serde_json::json!({"id": "a", "name": "api", "start_time": 1.0,
            "aws": {"cloudwatch_logs": [{"log_group": "/ecs/api"}, {"log_group": "/ecs/api"},
                {"log_group": "/ecs/side"}]}}),
        );
        assert_eq!(log_groups_of(&ecs), ["/ecs/api", "/ecs/side"]);
        let lambda = doc(
            serde_json::json!({"id": "b", "name": "orders", "start_time": 1.0,
            "origin": "AWS::Lambda::Function"}),
        );
        assert_eq!(log_groups_of(&lambda), ["/aws/lambda/orders"]);
        let arn = doc(
            serde_json::json!({"id": "c", "name": "x", "start_time": 1.0,
            "aws": {"lambda": {"function_arn": "arn:aws:lambda:eu-west-1:123456789012:function:pay:live"}}}),
        );
        assert_eq!(log_groups_of(&arn), ["/aws/lambda/pay"]);
        let none = doc(serde_json::json!({"id": "d", "name": "x", "start_time": 1.0}));
        assert!(log_groups_of(&none).is_empty());
    }

    #[test]
    fn file_names_keep_to_safe_characters() {
        assert_eq!(trace_file_name("1-abc-def"), "xray-trace-1-abc-def.json");
        assert_eq!(trace_file_name("../x/y"), "xray-trace-.._x_y.json");
        assert_eq!(summaries_file_name(12), "xray-traces-12.json");
    }
}
