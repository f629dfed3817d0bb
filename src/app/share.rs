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
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
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
    fn file_names_keep_to_safe_characters() {
        assert_eq!(trace_file_name("1-abc-def"), "xray-trace-1-abc-def.json");
        assert_eq!(trace_file_name("../x/y"), "xray-trace-.._x_y.json");
        assert_eq!(summaries_file_name(12), "xray-traces-12.json");
    }
}
