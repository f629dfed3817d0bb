//! The one keymap: every binding as (action, scope, keys, description).
//!
//! Key handling ([`action_for`]) and the help overlay both read [`KEYMAP`], so the help can never
//! drift from what the keys do.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Something a key can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Leave the app.
    Quit,
    /// Stop the app and return to the shell (resume with `fg`).
    Suspend,
    /// Show or hide the help overlay.
    Help,
    /// Load the sources again.
    Reload,
    /// Follow mode on or off (AWS: poll for new traces).
    Follow,
    /// Show or hide the diagnostics pane (live counters, rejected datagrams, warnings).
    Diagnostics,
    /// Change the time window.
    Window,
    /// Move the selection up one row.
    Up,
    /// Move the selection down one row.
    Down,
    /// Move the selection up one page.
    PageUp,
    /// Move the selection down one page.
    PageDown,
    /// Jump to the first row.
    Top,
    /// Jump to the last row.
    Bottom,
    /// Open the selected trace.
    Open,
    /// Sort by the next column.
    SortNext,
    /// Reverse the sort order.
    SortReverse,
    /// Cycle the quick filter: all, faults, errors, throttles.
    Filter,
    /// Go back to the trace list.
    Back,
    /// Collapse or expand the selected row.
    Toggle,
    /// Expand every row.
    ExpandAll,
    /// Collapse to the segments (services and the calls between them).
    CollapseSegments,
    /// Select the next fault, error or throttle row.
    NextProblem,
    /// Select the previous fault, error or throttle row.
    PrevProblem,
    /// Show the next details tab.
    NextTab,
    /// Show the previous details tab.
    PrevTab,
    /// Show the details tab with this index (0-based).
    Tab(u8),
    /// Scroll the details pane down.
    DetailsDown,
    /// Scroll the details pane up.
    DetailsUp,
    /// Open the filter prompt.
    FilterPrompt,
    /// Apply the expression in the prompt (an empty one clears the filter).
    PromptApply,
    /// Close the prompt without changing the filter.
    PromptCancel,
    /// Insert the highlighted completion.
    PromptComplete,
    /// Highlight the next completion.
    PromptNextCandidate,
    /// Highlight the previous completion.
    PromptPrevCandidate,
    /// Recall the previous expression from the history.
    PromptHistoryPrev,
    /// Recall the next expression from the history.
    PromptHistoryNext,
    /// Move the cursor left.
    CursorLeft,
    /// Move the cursor right.
    CursorRight,
    /// Move the cursor to the start.
    CursorHome,
    /// Move the cursor to the end.
    CursorEnd,
    /// Delete the character before the cursor.
    DeleteBack,
    /// Delete the character under the cursor.
    DeleteForward,
    /// Delete the word before the cursor.
    DeleteWord,
    /// Empty the prompt.
    ClearInput,
    /// Open the service map (of every trace from the list, of the open trace from a trace).
    Map,
    /// Move left (the map: the nearest node to the left).
    Left,
    /// Move right (the map: the nearest node to the right).
    Right,
    /// Select the next outgoing edge of the selected map node.
    NextEdge,
    /// Open the fuzzy palette (traces, URLs, services, users, annotations, commands).
    Palette,
    /// Open the groups list.
    Groups,
    /// Open the find bar of the trace view.
    Find,
    /// Select the next row that matches the find.
    FindNext,
    /// Select the previous row that matches the find.
    FindPrev,
    /// Copy the selected or open trace's ID to the clipboard (OSC 52).
    Copy,
    /// Copy (and open, with a display) the AWS console URL of the selected or open trace.
    OpenConsole,
    /// Export the open trace, or the listed summaries, to a JSON file.
    Export,
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everywhere (checked after the screen's own bindings).
    Global,
    /// The trace list.
    List,
    /// The trace view.
    Trace,
    /// The filter prompt (its keys only: every other key types text).
    Prompt,
    /// The service map.
    Map,
    /// The trace view's find bar while typing (its keys only: every other key types text).
    Find,
    /// The fuzzy palette (its keys only: every other key types text).
    Palette,
    /// The groups list.
    Groups,
}

impl Scope {
    /// The heading in the help overlay.
    pub fn title(self) -> &'static str {
        match self {
            Scope::Global => "Everywhere",
            Scope::List => "Trace list",
            Scope::Trace => "Trace view",
            Scope::Prompt => "Filter prompt (/)",
            Scope::Map => "Service map",
            Scope::Find => "Find in trace (/ in a trace)",
            Scope::Palette => "Palette (Ctrl-P)",
            Scope::Groups => "Groups (Ctrl-G)",
        }
    }
}

/// One key: a code and the modifiers that must be held (Shift is ignored for characters, whose
/// case already says it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// The key.
    pub code: KeyCode,
    /// Required modifiers.
    pub mods: KeyModifiers,
}

impl Key {
    const fn plain(code: KeyCode) -> Self {
        Key {
            code,
            mods: KeyModifiers::NONE,
        }
    }
    const fn ch(c: char) -> Self {
        Key::plain(KeyCode::Char(c))
    }
    const fn ctrl(c: char) -> Self {
        Key {
            code: KeyCode::Char(c),
            mods: KeyModifiers::CONTROL,
        }
    }

    /// Whether a key event is this key.
    pub fn matches(&self, ev: &KeyEvent) -> bool {
        let mut mods = ev.modifiers;
        if matches!(ev.code, KeyCode::Char(_) | KeyCode::BackTab) {
            mods.remove(KeyModifiers::SHIFT);
        }
        let code = match ev.code {
            // Terminals report Ctrl-letters in either case.
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            c => c,
        };
        code == self.code && mods == self.mods
    }

    /// How the help overlay writes the key.
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_owned(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Backspace => "Backspace".into(),
            KeyCode::Delete => "Del".into(),
            other => format!("{other:?}"),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            format!("Ctrl-{}", base.to_uppercase())
        } else {
            base
        }
    }
}

/// One line of the keymap.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// What it does.
    pub action: Action,
    /// Where it applies.
    pub scope: Scope,
    /// The keys that trigger it.
    pub keys: &'static [Key],
    /// The help text.
    pub description: &'static str,
}

const fn bind(
    action: Action,
    scope: Scope,
    keys: &'static [Key],
    description: &'static str,
) -> Binding {
    Binding {
        action,
        scope,
        keys,
        description,
    }
}

/// Every binding, in the order the help shows them.
pub const KEYMAP: &[Binding] = &[
    bind(
        Action::Quit,
        Scope::Global,
        &[Key::ch('q'), Key::ctrl('c')],
        "quit (q goes back from a trace)",
    ),
    bind(
        Action::Suspend,
        Scope::Global,
        &[Key::ctrl('z')],
        "suspend to the shell (resume with fg)",
    ),
    bind(
        Action::Help,
        Scope::Global,
        &[Key::ch('?')],
        "show or hide this help",
    ),
    bind(
        Action::Back,
        Scope::Global,
        &[Key::plain(KeyCode::Esc)],
        "close the help; back to the trace list",
    ),
    bind(
        Action::Reload,
        Scope::Global,
        &[Key::ch('r')],
        "load again (AWS: ask the service again)",
    ),
    bind(
        Action::Follow,
        Scope::Global,
        &[Key::ch('F')],
        "follow mode on/off: poll AWS for new traces",
    ),
    bind(
        Action::Window,
        Scope::Global,
        &[Key::ch('w')],
        "time window: 15m, 3h, 1d or START..END",
    ),
    bind(
        Action::Diagnostics,
        Scope::Global,
        &[Key::ch('D')],
        "counters, rejected datagrams, load warnings",
    ),
    bind(
        Action::Up,
        Scope::Global,
        &[Key::ch('k'), Key::plain(KeyCode::Up)],
        "move up",
    ),
    bind(
        Action::Down,
        Scope::Global,
        &[Key::ch('j'), Key::plain(KeyCode::Down)],
        "move down",
    ),
    bind(
        Action::PageUp,
        Scope::Global,
        &[Key::plain(KeyCode::PageUp), Key::ctrl('b')],
        "page up",
    ),
    bind(
        Action::PageDown,
        Scope::Global,
        &[Key::plain(KeyCode::PageDown), Key::ctrl('f')],
        "page down",
    ),
    bind(
        Action::Top,
        Scope::Global,
        &[Key::ch('g'), Key::plain(KeyCode::Home)],
        "first row",
    ),
    bind(
        Action::Bottom,
        Scope::Global,
        &[Key::ch('G'), Key::plain(KeyCode::End)],
        "last row",
    ),
    bind(
        Action::Open,
        Scope::List,
        &[Key::plain(KeyCode::Enter)],
        "open the selected trace",
    ),
    bind(
        Action::SortNext,
        Scope::List,
        &[Key::ch('s')],
        "sort by the next column",
    ),
    bind(
        Action::SortReverse,
        Scope::List,
        &[Key::ch('S')],
        "reverse the sort order",
    ),
    bind(
        Action::Filter,
        Scope::List,
        &[Key::ch('f')],
        "filter: all, faults, errors, throttles",
    ),
    bind(
        Action::FilterPrompt,
        Scope::List,
        &[Key::ch('/'), Key::ch(':')],
        "filter with an X-Ray filter expression",
    ),
    bind(
        Action::Back,
        Scope::Trace,
        &[Key::ch('q')],
        "back to the trace list",
    ),
    bind(
        Action::Toggle,
        Scope::Trace,
        &[Key::plain(KeyCode::Enter), Key::ch(' ')],
        "collapse or expand the selected row",
    ),
    bind(
        Action::ExpandAll,
        Scope::Trace,
        &[Key::ch('e')],
        "expand all rows",
    ),
    bind(
        Action::CollapseSegments,
        Scope::Trace,
        &[Key::ch('c')],
        "collapse to segments",
    ),
    bind(
        Action::NextProblem,
        Scope::Trace,
        &[Key::ch('n')],
        "next fault, error or throttle",
    ),
    bind(
        Action::PrevProblem,
        Scope::Trace,
        &[Key::ch('N')],
        "previous fault, error or throttle",
    ),
    bind(
        Action::NextTab,
        Scope::Trace,
        &[Key::plain(KeyCode::Tab)],
        "next details tab",
    ),
    bind(
        Action::PrevTab,
        Scope::Trace,
        &[Key::plain(KeyCode::BackTab)],
        "previous details tab",
    ),
    bind(
        Action::Tab(0),
        Scope::Trace,
        &[Key::ch('1')],
        "Overview tab",
    ),
    bind(Action::Tab(1), Scope::Trace, &[Key::ch('2')], "HTTP tab"),
    bind(
        Action::Tab(2),
        Scope::Trace,
        &[Key::ch('3')],
        "Resources tab",
    ),
    bind(
        Action::Tab(3),
        Scope::Trace,
        &[Key::ch('4')],
        "Annotations tab",
    ),
    bind(
        Action::Tab(4),
        Scope::Trace,
        &[Key::ch('5')],
        "Metadata tab",
    ),
    bind(
        Action::Tab(5),
        Scope::Trace,
        &[Key::ch('6')],
        "Exceptions tab",
    ),
    bind(Action::Tab(6), Scope::Trace, &[Key::ch('7')], "SQL tab"),
    bind(
        Action::Tab(7),
        Scope::Trace,
        &[Key::ch('8')],
        "Raw JSON tab",
    ),
    bind(
        Action::DetailsDown,
        Scope::Trace,
        &[Key::ch('J')],
        "scroll the details down",
    ),
    bind(
        Action::DetailsUp,
        Scope::Trace,
        &[Key::ch('K')],
        "scroll the details up",
    ),
    bind(
        Action::PromptApply,
        Scope::Prompt,
        &[Key::plain(KeyCode::Enter)],
        "apply (empty clears the filter)",
    ),
    bind(
        Action::PromptCancel,
        Scope::Prompt,
        &[Key::plain(KeyCode::Esc)],
        "close without changing the filter",
    ),
    bind(
        Action::PromptComplete,
        Scope::Prompt,
        &[Key::plain(KeyCode::Tab)],
        "insert the highlighted completion",
    ),
    bind(
        Action::PromptNextCandidate,
        Scope::Prompt,
        &[Key::ctrl('n')],
        "next completion",
    ),
    bind(
        Action::PromptPrevCandidate,
        Scope::Prompt,
        &[Key::ctrl('p'), Key::plain(KeyCode::BackTab)],
        "previous completion",
    ),
    bind(
        Action::PromptHistoryPrev,
        Scope::Prompt,
        &[Key::plain(KeyCode::Up)],
        "older expression from the history",
    ),
    bind(
        Action::PromptHistoryNext,
        Scope::Prompt,
        &[Key::plain(KeyCode::Down)],
        "newer expression from the history",
    ),
    bind(
        Action::CursorLeft,
        Scope::Prompt,
        &[Key::plain(KeyCode::Left)],
        "cursor left",
    ),
    bind(
        Action::CursorRight,
        Scope::Prompt,
        &[Key::plain(KeyCode::Right)],
        "cursor right",
    ),
    bind(
        Action::CursorHome,
        Scope::Prompt,
        &[Key::plain(KeyCode::Home), Key::ctrl('a')],
        "cursor to the start",
    ),
    bind(
        Action::CursorEnd,
        Scope::Prompt,
        &[Key::plain(KeyCode::End), Key::ctrl('e')],
        "cursor to the end",
    ),
    bind(
        Action::DeleteBack,
        Scope::Prompt,
        &[Key::plain(KeyCode::Backspace)],
        "delete before the cursor",
    ),
    bind(
        Action::DeleteForward,
        Scope::Prompt,
        &[Key::plain(KeyCode::Delete)],
        "delete under the cursor",
    ),
    bind(
        Action::DeleteWord,
        Scope::Prompt,
        &[Key::ctrl('w')],
        "delete the word before the cursor",
    ),
    bind(
        Action::ClearInput,
        Scope::Prompt,
        &[Key::ctrl('u')],
        "clear the prompt",
    ),
    // The service map (src/app/map.rs).
    bind(
        Action::Map,
        Scope::List,
        &[Key::ch('m')],
        "service map of all traces",
    ),
    bind(
        Action::Map,
        Scope::Trace,
        &[Key::ch('m')],
        "service map of this trace",
    ),
    bind(Action::Back, Scope::Map, &[Key::ch('q')], "back"),
    bind(
        Action::Up,
        Scope::Map,
        &[Key::ch('k'), Key::plain(KeyCode::Up)],
        "nearest node above",
    ),
    bind(
        Action::Down,
        Scope::Map,
        &[Key::ch('j'), Key::plain(KeyCode::Down)],
        "nearest node below",
    ),
    bind(
        Action::Left,
        Scope::Map,
        &[Key::ch('h'), Key::plain(KeyCode::Left)],
        "nearest node to the left",
    ),
    bind(
        Action::Right,
        Scope::Map,
        &[Key::ch('l'), Key::plain(KeyCode::Right)],
        "nearest node to the right",
    ),
    bind(
        Action::NextTab,
        Scope::Map,
        &[Key::plain(KeyCode::Tab)],
        "next node, in reading order",
    ),
    bind(
        Action::PrevTab,
        Scope::Map,
        &[Key::plain(KeyCode::BackTab)],
        "previous node, in reading order",
    ),
    bind(
        Action::NextEdge,
        Scope::Map,
        &[Key::ch('e')],
        "next outgoing edge of the node",
    ),
    bind(
        Action::NextProblem,
        Scope::Map,
        &[Key::ch('n')],
        "next failing node, most faults first",
    ),
    bind(
        Action::Open,
        Scope::Map,
        &[Key::plain(KeyCode::Enter)],
        "list the traces through the node or edge",
    ),
    // The palette, the groups list and find in trace (src/app/{palette,groups,find}.rs).
    bind(
        Action::Palette,
        Scope::Global,
        &[Key::ctrl('p'), Key::ctrl('k')],
        "palette: traces, URLs, services, commands",
    ),
    bind(
        Action::Groups,
        Scope::Global,
        &[Key::ctrl('g')],
        "groups: apply a group's filter",
    ),
    bind(
        Action::Find,
        Scope::Trace,
        &[Key::ch('/')],
        "find text in this trace's entities",
    ),
    bind(
        Action::FindNext,
        Scope::Trace,
        &[Key::ch('.')],
        "next find match",
    ),
    bind(
        Action::FindPrev,
        Scope::Trace,
        &[Key::ch(',')],
        "previous find match",
    ),
    bind(
        Action::PromptApply,
        Scope::Find,
        &[Key::plain(KeyCode::Enter)],
        "keep the matches and close the input",
    ),
    bind(
        Action::PromptCancel,
        Scope::Find,
        &[Key::plain(KeyCode::Esc)],
        "clear the find",
    ),
    bind(
        Action::FindNext,
        Scope::Find,
        &[Key::plain(KeyCode::Down), Key::ctrl('n')],
        "next match",
    ),
    bind(
        Action::FindPrev,
        Scope::Find,
        &[Key::plain(KeyCode::Up), Key::ctrl('p')],
        "previous match",
    ),
    bind(
        Action::DeleteBack,
        Scope::Find,
        &[Key::plain(KeyCode::Backspace)],
        "delete the last character",
    ),
    bind(
        Action::DeleteWord,
        Scope::Find,
        &[Key::ctrl('w')],
        "delete the last word",
    ),
    bind(
        Action::ClearInput,
        Scope::Find,
        &[Key::ctrl('u')],
        "clear the input",
    ),
    bind(
        Action::PromptApply,
        Scope::Palette,
        &[Key::plain(KeyCode::Enter)],
        "open, filter by or run the entry",
    ),
    bind(
        Action::PromptCancel,
        Scope::Palette,
        &[Key::plain(KeyCode::Esc)],
        "close the palette",
    ),
    bind(
        Action::Up,
        Scope::Palette,
        &[Key::plain(KeyCode::Up), Key::ctrl('p')],
        "previous entry",
    ),
    bind(
        Action::Down,
        Scope::Palette,
        &[Key::plain(KeyCode::Down), Key::ctrl('n')],
        "next entry",
    ),
    bind(
        Action::PageUp,
        Scope::Palette,
        &[Key::plain(KeyCode::PageUp)],
        "page up",
    ),
    bind(
        Action::PageDown,
        Scope::Palette,
        &[Key::plain(KeyCode::PageDown)],
        "page down",
    ),
    bind(
        Action::DeleteBack,
        Scope::Palette,
        &[Key::plain(KeyCode::Backspace)],
        "delete the last character",
    ),
    bind(
        Action::DeleteWord,
        Scope::Palette,
        &[Key::ctrl('w')],
        "delete the last word",
    ),
    bind(
        Action::ClearInput,
        Scope::Palette,
        &[Key::ctrl('u')],
        "clear the input",
    ),
    bind(
        Action::Up,
        Scope::Groups,
        &[Key::ch('k'), Key::plain(KeyCode::Up)],
        "previous group",
    ),
    bind(
        Action::Down,
        Scope::Groups,
        &[Key::ch('j'), Key::plain(KeyCode::Down)],
        "next group",
    ),
    bind(
        Action::Open,
        Scope::Groups,
        &[Key::plain(KeyCode::Enter)],
        "apply the group's filter (group.name = ...)",
    ),
    bind(
        Action::Back,
        Scope::Groups,
        &[Key::plain(KeyCode::Esc), Key::ch('q')],
        "close the groups list",
    ),
    // Copy, console URL, export (src/app/share.rs).
    bind(
        Action::Copy,
        Scope::List,
        &[Key::ch('y')],
        "copy the selected trace ID",
    ),
    bind(
        Action::OpenConsole,
        Scope::List,
        &[Key::ch('o')],
        "AWS console URL of the selected trace",
    ),
    bind(
        Action::Export,
        Scope::List,
        &[Key::ch('x')],
        "export the listed summaries to a file",
    ),
    bind(
        Action::Copy,
        Scope::Trace,
        &[Key::ch('y')],
        "copy the trace ID",
    ),
    bind(
        Action::OpenConsole,
        Scope::Trace,
        &[Key::ch('o')],
        "AWS console URL of the trace",
    ),
    bind(
        Action::Export,
        Scope::Trace,
        &[Key::ch('x')],
        "export the trace to a file",
    ),
    bind(
        Action::Copy,
        Scope::Map,
        &[Key::ch('y')],
        "copy the trace ID (trace map)",
    ),
    bind(
        Action::OpenConsole,
        Scope::Map,
        &[Key::ch('o')],
        "AWS console URL (trace map)",
    ),
    bind(
        Action::Export,
        Scope::Map,
        &[Key::ch('x')],
        "export the trace (trace map)",
    ),
];

/// The action of a key within one scope only (no global fallback): the prompt uses it so that
/// every other key types text.
pub fn action_in(scope: Scope, ev: &KeyEvent) -> Option<Action> {
    KEYMAP
        .iter()
        .filter(|b| b.scope == scope)
        .find(|b| b.keys.iter().any(|k| k.matches(ev)))
        .map(|b| b.action)
}

/// The action a key asks for on a screen: the screen's own bindings first, then the global ones.
pub fn action_for(scope: Scope, ev: &KeyEvent) -> Option<Action> {
    action_in(scope, ev).or_else(|| action_in(Scope::Global, ev))
}

/// The keys of a binding as the help shows them: `j, ↓`.
pub fn keys_label(b: &Binding) -> String {
    b.keys.iter().map(Key::label).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn screen_bindings_win_over_global_ones() {
        let q = key(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(action_for(Scope::List, &q), Some(Action::Quit));
        assert_eq!(action_for(Scope::Trace, &q), Some(Action::Back));
    }

    #[test]
    fn shift_is_implied_by_the_character() {
        let g = key(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(action_for(Scope::List, &g), Some(Action::Bottom));
        let c = key(KeyCode::Char('C'), KeyModifiers::CONTROL);
        assert_eq!(action_for(Scope::List, &c), Some(Action::Quit));
    }

    #[test]
    fn no_key_is_bound_twice_in_one_scope() {
        for (i, a) in KEYMAP.iter().enumerate() {
            for b in &KEYMAP[i + 1..] {
                if a.scope == b.scope {
                    for k in a.keys {
                        assert!(!b.keys.contains(k), "{} bound twice", k.label());
                    }
                }
            }
        }
    }
}
