//! Find in trace: the trace view's find bar (`/`), its matches, and moving between them.
//!
//! Why: a trace of hundreds of entities hides the one that mentions `timeout` or an order ID
//! several collapsed levels down (Jaeger users ask for exactly this). Which fields are searched
//! and how is `engine::find`, a pure function of the trace; this module keeps the query and the
//! matches of the open trace, and selects a match by expanding the rows that hide it.
//!
//! Typing searches as you go from the row selected when the bar opened (like a browser's find);
//! Enter keeps the matches highlighted with a summary in the bar; `.`/`,` step through them; Esc
//! clears (while typing, it also goes back to where the find started).

use std::collections::HashSet;

use crossterm::event::KeyEvent;

use super::input::{TextInput, typed_char};
use super::{App, Cmd, Mode};
use crate::engine::find::{self, Field, Hit};
use crate::keys::Action;
use crate::model::{NodeId, Trace};

/// The find of the open trace.
#[derive(Debug, Clone, Default)]
pub struct FindState {
    /// What is searched for.
    pub input: TextInput,
    /// The bar takes the keys (typing); after Enter it only shows the summary.
    pub editing: bool,
    /// The matching entities, in waterfall order.
    pub hits: Vec<Hit>,
    /// The same nodes, for highlighting rows.
    pub nodes: HashSet<NodeId>,
    /// Position of every node in waterfall order (by node ID).
    pos: Vec<usize>,
    /// The node selected when the bar opened: typing searches from it, Esc returns to it.
    origin: Option<NodeId>,
}

impl FindState {
    /// A find bar over `trace`, typing, starting at `origin`, with `input` already searched.
    pub fn new(trace: &Trace, input: &str, origin: Option<NodeId>) -> Self {
        let order = find::tree_order(trace);
        let mut pos = vec![usize::MAX; trace.nodes.len()];
        for (i, &n) in order.iter().enumerate() {
            if let Some(p) = pos.get_mut(n) {
                *p = i;
            }
        }
        let mut f = FindState {
            input: TextInput::new(input),
            editing: true,
            pos,
            origin,
            ..FindState::default()
        };
        f.search(trace);
        f
    }

    /// Searches `trace` again for the input.
    pub fn search(&mut self, trace: &Trace) {
        self.hits = find::find(trace, self.input.text());
        self.nodes = self.hits.iter().map(|h| h.node).collect();
    }

    /// Whether a node matches.
    pub fn is_match(&self, node: NodeId) -> bool {
        self.nodes.contains(&node)
    }

    /// The 0-based index of a node among the matches.
    pub fn index_of(&self, node: NodeId) -> Option<usize> {
        self.hits.iter().position(|h| h.node == node)
    }

    /// The field a node matched in.
    pub fn field_of(&self, node: NodeId) -> Option<Field> {
        self.hits.iter().find(|h| h.node == node).map(|h| h.field)
    }

    fn pos_of(&self, node: Option<NodeId>) -> Option<usize> {
        node.and_then(|n| self.pos.get(n).copied())
            .filter(|&p| p != usize::MAX)
    }

    /// The match after (`forward`) or before `from` in waterfall order, wrapping; `inclusive`
    /// lets `from` itself be the answer.
    pub fn step_from(
        &self,
        from: Option<NodeId>,
        forward: bool,
        inclusive: bool,
    ) -> Option<NodeId> {
        let here = self.pos_of(from);
        let pos = |h: &Hit| self.pos.get(h.node).copied().unwrap_or(usize::MAX);
        let found = match (here, forward) {
            (None, true) => self.hits.first(),
            (None, false) => self.hits.last(),
            (Some(p), true) => self
                .hits
                .iter()
                .find(|h| pos(h) > p || (inclusive && pos(h) == p))
                .or_else(|| self.hits.first()),
            (Some(p), false) => self
                .hits
                .iter()
                .rev()
                .find(|h| pos(h) < p || (inclusive && pos(h) == p))
                .or_else(|| self.hits.last()),
        };
        found.map(|h| h.node)
    }
}

impl App {
    /// Whether the trace view's find bar is taking the keys.
    pub fn find_editing(&self) -> bool {
        self.mode == Mode::Trace
            && self
                .view
                .as_ref()
                .and_then(|v| v.find.as_ref())
                .is_some_and(|f| f.editing)
    }

    /// A key while the find bar is typing, with its action in the find scope: a binding, else
    /// the character is typed.
    pub(super) fn find_key(&mut self, action: Option<Action>, key: &KeyEvent) -> Vec<Cmd> {
        let Some(v) = self.view.as_mut() else {
            return Vec::new();
        };
        let Some(mut f) = v.find.take() else {
            return Vec::new();
        };
        match action {
            Some(Action::PromptApply) => {
                if f.hits.is_empty() {
                    if !f.input.text().trim().is_empty() {
                        let text = f.input.text();
                        self.message = Some(format!("no match for {text:?} in this trace"));
                    }
                    return Vec::new();
                }
                f.editing = false;
                v.find = Some(f);
                return Vec::new();
            }
            Some(Action::PromptCancel) => {
                if let Some(o) = f.origin {
                    v.reveal(o);
                }
                self.scroll();
                return Vec::new();
            }
            Some(a @ (Action::FindNext | Action::FindPrev)) => {
                let here = v.selected_row().map(|r| r.node);
                if let Some(n) = f.step_from(here, a == Action::FindNext, false) {
                    v.reveal_match(n, f.field_of(n));
                }
                v.find = Some(f);
                self.scroll();
                return Vec::new();
            }
            Some(a) if f.input.apply(a) => {}
            _ => match typed_char(key) {
                Some(c) => f.input.insert(c),
                None => {
                    v.find = Some(f);
                    return Vec::new();
                }
            },
        }
        f.search(&v.trace);
        // Search as you type: the first match from where the find started.
        match f.step_from(f.origin, true, true) {
            Some(n) => v.reveal_match(n, f.field_of(n)),
            None => {
                if let Some(o) = f.origin {
                    v.reveal(o);
                }
            }
        }
        v.find = Some(f);
        self.scroll();
        Vec::new()
    }

    /// The trace view's find keys (`/`, `.`, `,`, and Esc while a find shows); `false` when the
    /// action is not about finding and the trace view should handle it.
    pub(super) fn find_action(&mut self, action: Action) -> bool {
        let Some(v) = self.view.as_mut() else {
            return false;
        };
        match action {
            Action::Find => {
                let origin = v.selected_row().map(|r| r.node);
                let input = v.find.as_ref().map(|f| f.input.text()).unwrap_or_default();
                v.find = Some(FindState::new(&v.trace, input, origin));
                self.message = None;
                true
            }
            Action::FindNext | Action::FindPrev => {
                let here = v.selected_row().map(|r| r.node);
                let next = v.find.as_ref().and_then(|f| {
                    let n = f.step_from(here, action == Action::FindNext, false)?;
                    Some((n, f.field_of(n)))
                });
                match next {
                    Some((n, field)) => v.reveal_match(n, field),
                    None => {
                        self.message = Some("nothing to find: press / to search this trace".into())
                    }
                }
                true
            }
            Action::Back if v.find.is_some() => {
                v.find = None;
                true
            }
            _ => false,
        }
    }
}
