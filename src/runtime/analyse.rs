//! The open trace's analysis (critical path, self times, density for the overview strip),
//! worked out on a thread of its own so opening a big trace never waits for it: the waterfall
//! shows at once and the `▐` marks, the SELF column and the overview fill in when it is done.
//!
//! Like the live count (`runtime::count`), each request carries a generation; a newer one
//! supersedes it, and a superseded answer is not sent (the app would drop it anyway).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Sender;

use crate::app::Event;
use crate::app::trace_view::{AnalyseRequest, Analysed, analyse};

/// Runs analyses, the newest only.
#[derive(Debug, Default)]
pub struct Analyser {
    /// The generation of the analysis wanted.
    wanted: Arc<AtomicU64>,
}

impl Analyser {
    /// Starts analysing `request`'s trace on a thread and sends [`Event::Analysed`] to `tx` when
    /// done, unless a newer request came in the meantime.
    pub fn start(&self, request: AnalyseRequest, tx: Sender<Event>) {
        let generation = request.generation;
        self.wanted.store(generation, Ordering::Relaxed);
        let wanted = Arc::clone(&self.wanted);
        std::thread::spawn(move || {
            let analysis = analyse(&request.trace);
            if wanted.load(Ordering::Relaxed) == generation {
                let _ = tx.send(Event::Analysed(Box::new(Analysed {
                    generation,
                    analysis,
                })));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_request_is_answered() {
        let docs: Vec<crate::model::Segment> = serde_json::from_value(serde_json::json!([
            {"id":"a","name":"api","trace_id":"t","start_time":1.0,"end_time":2.0,
             "subsegments":[{"id":"c","name":"db","start_time":1.1,"end_time":1.5}]}
        ]))
        .expect("documents");
        let trace = Arc::new(crate::engine::assemble(
            "1-5f2aebcc-b475d14618c51eaa28753d37",
            docs,
        ));
        let (tx, rx) = std::sync::mpsc::channel();
        let a = Analyser::default();
        a.start(
            AnalyseRequest {
                generation: 1,
                trace: Arc::clone(&trace),
            },
            tx,
        );
        let Ok(Event::Analysed(got)) = rx.recv_timeout(std::time::Duration::from_secs(10)) else {
            panic!("no answer");
        };
        assert_eq!(got.generation, 1);
        assert_eq!(got.analysis.on_path, [true, true]);
        assert_eq!(got.analysis, analyse(&trace));
    }
}
