//! Plays the file source for an app driven by a test: the filter verdicts the app asks for
//! ([`Request::Evaluate`], rows whose traces must be parsed again) are worked out at once and
//! handed back, as the source's thread would.

use xray_tui::app::{App, Cmd, Event};
use xray_tui::source::{Request, Update};

/// `app.update(e)`, with every evaluation it asks for answered; returns the other commands.
pub fn step(app: &mut App, e: Event) -> Vec<Cmd> {
    let mut rest = Vec::new();
    for c in app.update(e) {
        match c {
            Cmd::Source(Request::Evaluate(ev)) => {
                let v = xray_tui::source::load::verdicts(&ev);
                rest.extend(step(app, Event::Source(Update::Verdicts(v))));
            }
            other => rest.push(other),
        }
    }
    rest
}
