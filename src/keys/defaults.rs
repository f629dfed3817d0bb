//! The default bindings: every binding as (action, scope, keys, description), in the order
//! the help shows them.
//!
//! [`DEFAULTS`] is the one list: the runtime keymap (`keys::keymap::Keymap`) starts from it,
//! the config's `[keys.<scope>]` tables change its keys, and the help overlay and the palette's
//! commands are drawn from the result, so the help never drifts from what the keys do.

use crossterm::event::KeyCode;

use super::action::{Action, Scope};
use super::names::Key;

/// One line of the default keymap.
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
pub const DEFAULTS: &[Binding] = &[
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
        Action::SortBy(0),
        Scope::List,
        &[Key::ch('T')],
        "sort by time (again: reverse)",
    ),
    bind(
        Action::SortBy(1),
        Scope::List,
        &[Key::ch('I')],
        "sort by ID",
    ),
    bind(
        Action::SortBy(2),
        Scope::List,
        &[Key::ch('M')],
        "sort by method",
    ),
    bind(
        Action::SortBy(3),
        Scope::List,
        &[Key::ch('P')],
        "sort by path",
    ),
    bind(
        Action::SortBy(4),
        Scope::List,
        &[Key::ch('C')],
        "sort by status code",
    ),
    bind(
        Action::SortBy(5),
        Scope::List,
        &[Key::ch('L')],
        "sort by duration (length)",
    ),
    bind(
        Action::SortBy(6),
        Scope::List,
        &[Key::ch('R')],
        "sort by response time",
    ),
    bind(
        Action::SortBy(7),
        Scope::List,
        &[Key::ch('E')],
        "sort by fault/error/throttle",
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
        Action::RootCause,
        Scope::Trace,
        &[Key::ch('!')],
        "next fault or error root cause",
    ),
    bind(
        Action::CriticalPath,
        Scope::Trace,
        &[Key::ch('p')],
        "only the critical path (▐ marks it), or all",
    ),
    bind(
        Action::TraceStats,
        Scope::Trace,
        &[Key::ch('S')],
        "statistics per service and operation",
    ),
    bind(
        Action::Left,
        Scope::Trace,
        &[Key::ch('h'), Key::plain(KeyCode::Left)],
        "collapse, or go to the parent",
    ),
    bind(
        Action::Right,
        Scope::Trace,
        &[Key::ch('l'), Key::plain(KeyCode::Right)],
        "expand, or go to the first child",
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
        "close the choices, then the prompt",
    ),
    bind(
        Action::PromptComplete,
        Scope::Prompt,
        &[Key::plain(KeyCode::Tab)],
        "show the choices, then insert one",
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
        "older expression, or previous choice",
    ),
    bind(
        Action::PromptHistoryNext,
        Scope::Prompt,
        &[Key::plain(KeyCode::Down)],
        "newer expression, or next choice",
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
    bind(Action::Quit, Scope::Prompt, &[Key::ctrl('c')], "quit"),
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
    bind(
        Action::Top,
        Scope::Map,
        &[Key::ch('g'), Key::plain(KeyCode::Home)],
        "back to the entry point (first node)",
    ),
    bind(
        Action::Fit,
        Scope::Map,
        &[Key::ch('z')],
        "boxes fitted to the screen, or full size",
    ),
    bind(
        Action::Panel,
        Scope::Map,
        &[Key::ch('p')],
        "hide or show the details panel",
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
    bind(Action::Quit, Scope::Find, &[Key::ctrl('c')], "quit"),
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
    bind(Action::Quit, Scope::Palette, &[Key::ctrl('c')], "quit"),
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
    bind(Action::Quit, Scope::Groups, &[Key::ctrl('c')], "quit"),
    // The time window editor (src/app/live.rs).
    bind(
        Action::PromptApply,
        Scope::Window,
        &[Key::plain(KeyCode::Enter)],
        "apply the window (empty: everything)",
    ),
    bind(
        Action::PromptCancel,
        Scope::Window,
        &[Key::plain(KeyCode::Esc)],
        "close without changing the window",
    ),
    bind(
        Action::DeleteBack,
        Scope::Window,
        &[Key::plain(KeyCode::Backspace)],
        "delete the last character",
    ),
    bind(
        Action::ClearInput,
        Scope::Window,
        &[Key::ctrl('u')],
        "clear the input",
    ),
    bind(Action::Quit, Scope::Window, &[Key::ctrl('c')], "quit"),
    // The help overlay (src/app/mod.rs): other keys are the screen's.
    bind(Action::Quit, Scope::Help, &[Key::ctrl('c')], "quit"),
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
