//! What is open over the screen: the help, the diagnostics pane, the filter prompt, the time
//! window editor, the palette, the groups list.
//!
//! Why one type: these used to be six fields (`Option`s and `bool`s) on `App`, and which one was
//! on top was decided twice, in one order for keys and in another for drawing, so the diagnostics
//! pane could hide the prompt that was taking the keys. Now [`Overlays`] is the one answer: keys
//! go to its top ([`Overlays::top`]), drawing walks it bottom first ([`Overlays::iter`]) and the
//! mouse asks the same top.
//!
//! A stack, not one `Option`: the diagnostics pane is not modal (the screen under it keeps its
//! keys), so the help, an input or a list can open over it and close back to it; every other
//! overlay takes the keys, so nothing opens over it. In practice the stack holds at most the
//! diagnostics pane and one overlay above it.
//!
//! The trace view's find bar is not an overlay: it belongs to the open trace (its matches stay
//! highlighted after the bar closes) and is drawn in the status line.

use std::mem::discriminant;

use super::groups::GroupsView;
use super::input::TextInput;
use super::palette::Palette;
use super::prompt::Prompt;
use crate::keys::Scope;

/// One thing open over the screen.
#[derive(Debug, Clone)]
pub enum Overlay {
    /// The help, scrolled by this many lines.
    Help {
        /// Lines scrolled.
        scroll: u16,
    },
    /// The diagnostics pane (daemon counters, rejected datagrams, warnings). Not modal: keys
    /// other than `back` and `diagnostics` go to the screen under it.
    Diagnostics,
    /// The filter prompt.
    Prompt(Prompt),
    /// The time window editor.
    Window(TextInput),
    /// The duration under which the trace view hides entities, being typed (`T`).
    Threshold(TextInput),
    /// The fuzzy palette.
    Palette(Palette),
    /// The groups list.
    Groups(GroupsView),
}

impl Overlay {
    /// The key scope of an overlay that takes the keys; `None` for the diagnostics pane, whose
    /// keys go to the screen under it.
    pub fn scope(&self) -> Option<Scope> {
        match self {
            Overlay::Help { .. } => Some(Scope::Help),
            Overlay::Diagnostics => None,
            Overlay::Prompt(_) => Some(Scope::Prompt),
            // Edited with the time window's keys (Enter applies, Esc cancels).
            Overlay::Window(_) | Overlay::Threshold(_) => Some(Scope::Window),
            Overlay::Palette(_) => Some(Scope::Palette),
            Overlay::Groups(_) => Some(Scope::Groups),
        }
    }
}

/// The palette opens as an overlay.
impl From<Palette> for Overlay {
    fn from(p: Palette) -> Self {
        Overlay::Palette(p)
    }
}

/// The groups list opens as an overlay.
impl From<GroupsView> for Overlay {
    fn from(g: GroupsView) -> Self {
        Overlay::Groups(g)
    }
}

/// The overlays open over the screen, bottom first; the top one takes the keys.
#[derive(Debug, Clone, Default)]
pub struct Overlays {
    stack: Vec<Overlay>,
}

impl Overlays {
    /// The overlay on top: the one keys and clicks go to (unless it is the diagnostics pane).
    pub fn top(&self) -> Option<&Overlay> {
        self.stack.last()
    }

    /// The overlay on top, to change it.
    pub fn top_mut(&mut self) -> Option<&mut Overlay> {
        self.stack.last_mut()
    }

    /// Every open overlay, bottom first: the order they are drawn in.
    pub fn iter(&self) -> impl Iterator<Item = &Overlay> {
        self.stack.iter()
    }

    /// Whether nothing is open.
    pub fn is_empty(&self) -> bool {
        self.stack.is_empty()
    }

    /// Opens an overlay on top (one of its kind already open is closed first).
    pub fn push(&mut self, overlay: impl Into<Overlay>) {
        let overlay = overlay.into();
        let kind = discriminant(&overlay);
        self.stack.retain(|o| discriminant(o) != kind);
        self.stack.push(overlay);
    }

    /// Closes the overlay on top and hands it back.
    pub fn pop(&mut self) -> Option<Overlay> {
        self.stack.pop()
    }

    /// Shows the diagnostics pane, or hides it if it shows.
    pub fn toggle_diagnostics(&mut self) {
        if self.diagnostics() {
            self.stack.retain(|o| !matches!(o, Overlay::Diagnostics));
        } else {
            self.push(Overlay::Diagnostics);
        }
    }

    /// The help's scroll, while the help shows.
    pub fn help(&self) -> Option<u16> {
        self.iter().find_map(|o| match o {
            Overlay::Help { scroll } => Some(*scroll),
            _ => None,
        })
    }

    /// Whether the diagnostics pane shows.
    pub fn diagnostics(&self) -> bool {
        self.iter().any(|o| matches!(o, Overlay::Diagnostics))
    }

    /// The filter prompt, while open.
    pub fn prompt(&self) -> Option<&Prompt> {
        self.iter().find_map(|o| match o {
            Overlay::Prompt(p) => Some(p),
            _ => None,
        })
    }

    /// The time window editor, while open.
    pub fn window(&self) -> Option<&TextInput> {
        self.iter().find_map(|o| match o {
            Overlay::Window(w) => Some(w),
            _ => None,
        })
    }

    /// The palette, while open.
    pub fn palette(&self) -> Option<&Palette> {
        self.iter().find_map(|o| match o {
            Overlay::Palette(p) => Some(p),
            _ => None,
        })
    }

    /// The groups list, while open.
    pub fn groups(&self) -> Option<&GroupsView> {
        self.iter().find_map(|o| match o {
            Overlay::Groups(g) => Some(g),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_top_takes_the_keys_and_diagnostics_stay_under() {
        let mut o = Overlays::default();
        assert!(o.top().is_none());
        o.toggle_diagnostics();
        assert!(o.diagnostics());
        assert_eq!(o.top().and_then(Overlay::scope), None, "keys go through");
        o.push(Overlay::Window(TextInput::new("15m")));
        assert_eq!(o.top().and_then(Overlay::scope), Some(Scope::Window));
        assert_eq!(o.window().map(TextInput::text), Some("15m"));
        let kinds: Vec<Option<Scope>> = o.iter().map(Overlay::scope).collect();
        assert_eq!(kinds, [None, Some(Scope::Window)], "drawn bottom first");
        assert!(matches!(o.pop(), Some(Overlay::Window(_))));
        assert!(o.diagnostics(), "closing the editor goes back to the pane");
        o.push(Overlay::Help { scroll: 0 });
        o.push(Overlay::Help { scroll: 4 });
        assert_eq!(o.iter().count(), 2, "one of a kind");
        assert_eq!(o.help(), Some(4));
        o.toggle_diagnostics();
        assert!(!o.diagnostics());
        assert_eq!(o.help(), Some(4));
        o.pop();
        assert!(o.is_empty());
    }
}
