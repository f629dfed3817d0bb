//! Plays the file source and the runtime for an app driven by a test: the filter verdicts the
//! app asks for ([`Request::Evaluate`], rows whose traces must be parsed again) and the prompt's
//! live counts ([`Cmd::Count`]), the open trace's analysis ([`Cmd::Analyse`]) and the
//! Analysis screen's numbers ([`Cmd::AnalyseTraces`]) are worked out at once and handed back,
//! as their threads would.

use xray_tui::app::{App, Cmd, Event};
use xray_tui::source::{Request, Update};

/// `app.update(e)`, with every evaluation and count it asks for answered; returns the other
/// commands (a count's `StopCount` among them).
pub fn step(app: &mut App, e: Event) -> Vec<Cmd> {
    let mut rest = Vec::new();
    for c in app.update(e) {
        match c {
            Cmd::Source(Request::Evaluate(ev)) => {
                let v = xray_tui::source::load::verdicts(&ev);
                rest.extend(step(app, Event::Source(Update::Verdicts(v))));
            }
            Cmd::Count(req) => {
                if let Some(c) = xray_tui::runtime::count::count(&req, &|| false) {
                    rest.extend(step(app, Event::Counted(c)));
                }
            }
            Cmd::Analyse(req) => {
                let analysis = xray_tui::app::trace_view::analyse(&req.trace);
                let done = xray_tui::app::trace_view::Analysed {
                    generation: req.generation,
                    analysis,
                };
                rest.extend(step(app, Event::Analysed(Box::new(done))));
            }
            Cmd::AnalyseTraces(req) => {
                let facts = xray_tui::runtime::count::FactCache::default();
                if let Some(a) =
                    xray_tui::runtime::count::analyse(&req, &facts, &|| false, &|_, _| {})
                {
                    rest.extend(step(app, Event::TracesAnalysed(a)));
                }
            }
            // Worked out ahead for the Analysis screen: its requests work it out anyway.
            Cmd::PrepareAnalysis(_) => {}
            other => rest.push(other),
        }
    }
    rest
}
