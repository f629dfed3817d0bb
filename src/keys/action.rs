//! What a key can ask for ([`Action`]) and where a binding applies ([`Scope`]), each with the
//! name the config writes it with.
//!
//! The names are spelled out here, not derived from the variants: a config names actions and
//! scopes, so renaming a variant must not rename what users wrote. `keys::keymap`'s tests pin
//! every name.

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
    /// Sort by one column (its index in the list's columns: time, id, method, path, status,
    /// duration, response, flags); again on the same column reverses the order.
    SortBy(u8),
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
    /// Select the next fault or error root cause (the deepest failing entity).
    RootCause,
    /// Show only the critical path, or every entity again.
    CriticalPath,
    /// Hide entities shorter than 1 ms, 10 ms, 100 ms, or none (cycles).
    HideShort,
    /// Type the duration under which entities are hidden.
    HideShorterThan,
    /// Show the trace's statistics (per service and per operation), or the waterfall again.
    TraceStats,
    /// Fold runs of three or more same-name siblings into one `×N` row, or show them all.
    FoldRuns,
    /// Fold each service (segment) to one row, its subsegments hidden, or show them all.
    FoldServices,
    /// Zoom: mark where the time range starts; again, zoom the bars to the marked rows' range.
    Zoom,
    /// Zoom out to the whole trace.
    ZoomReset,
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
    /// Close the completion list if it shows, else the prompt (the filter unchanged).
    PromptCancel,
    /// Show the completions (highlighting the first), or insert the highlighted one.
    PromptComplete,
    /// Highlight the next completion.
    PromptNextCandidate,
    /// Highlight the previous completion.
    PromptPrevCandidate,
    /// Recall the previous expression from the history (the previous completion while one
    /// is highlighted).
    PromptHistoryPrev,
    /// Recall the next expression from the history (the next completion while one is
    /// highlighted).
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
    /// Map: boxes fitted to the screen (compact where space is short), or full size.
    Fit,
    /// Map: show or hide the details panel (statistics and keys), giving the drawing its room.
    Panel,
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
    /// Show trace IDs in W3C form (32 hex digits) or in X-Ray form (`1-…`).
    IdForm,
    /// Open the trace the selected span link points to (the Links tab's highlighted link).
    FollowLink,
    /// Copy the `aws logs filter-log-events` commands and the Logs Insights URL that find the
    /// open trace's log lines (the selected segment's log groups, or its Lambda function's).
    RelatedLogs,
    /// Open the Analysis screen of the listed traces (root causes, compare, histogram, over
    /// time, RED), or close it.
    Analysis,
}

impl Action {
    /// The action's name in `[keys.<scope>]` tables and messages (`filter_prompt`, `tab_1`).
    /// Stable: users' configs use it, whatever the variant is called.
    pub const fn name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Suspend => "suspend",
            Action::Help => "help",
            Action::Reload => "reload",
            Action::Follow => "follow",
            Action::Diagnostics => "diagnostics",
            Action::Window => "window",
            Action::Up => "up",
            Action::Down => "down",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::Open => "open",
            Action::SortNext => "sort_next",
            Action::SortReverse => "sort_reverse",
            Action::SortBy(0) => "sort_time",
            Action::SortBy(1) => "sort_id",
            Action::SortBy(2) => "sort_method",
            Action::SortBy(3) => "sort_path",
            Action::SortBy(4) => "sort_status",
            Action::SortBy(5) => "sort_duration",
            Action::SortBy(6) => "sort_response",
            Action::SortBy(7) => "sort_flags",
            // No binding has another column (there are eight).
            Action::SortBy(_) => "sort_by",
            Action::Filter => "filter",
            Action::Back => "back",
            Action::Toggle => "toggle",
            Action::ExpandAll => "expand_all",
            Action::CollapseSegments => "collapse_segments",
            Action::NextProblem => "next_problem",
            Action::PrevProblem => "prev_problem",
            Action::RootCause => "root_cause",
            Action::CriticalPath => "critical_path",
            Action::HideShort => "hide_short",
            Action::HideShorterThan => "hide_shorter_than",
            Action::TraceStats => "trace_stats",
            Action::FoldRuns => "fold_runs",
            Action::FoldServices => "fold_services",
            Action::Zoom => "zoom",
            Action::ZoomReset => "zoom_reset",
            Action::NextTab => "next_tab",
            Action::PrevTab => "prev_tab",
            Action::Tab(0) => "tab_1",
            Action::Tab(1) => "tab_2",
            Action::Tab(2) => "tab_3",
            Action::Tab(3) => "tab_4",
            Action::Tab(4) => "tab_5",
            Action::Tab(5) => "tab_6",
            Action::Tab(6) => "tab_7",
            Action::Tab(7) => "tab_8",
            Action::Tab(8) => "tab_9",
            // No binding has another tab (there are nine).
            Action::Tab(_) => "tab",
            Action::DetailsDown => "details_down",
            Action::DetailsUp => "details_up",
            Action::FilterPrompt => "filter_prompt",
            Action::PromptApply => "prompt_apply",
            Action::PromptCancel => "prompt_cancel",
            Action::PromptComplete => "prompt_complete",
            Action::PromptNextCandidate => "prompt_next_candidate",
            Action::PromptPrevCandidate => "prompt_prev_candidate",
            Action::PromptHistoryPrev => "prompt_history_prev",
            Action::PromptHistoryNext => "prompt_history_next",
            Action::CursorLeft => "cursor_left",
            Action::CursorRight => "cursor_right",
            Action::CursorHome => "cursor_home",
            Action::CursorEnd => "cursor_end",
            Action::DeleteBack => "delete_back",
            Action::DeleteForward => "delete_forward",
            Action::DeleteWord => "delete_word",
            Action::ClearInput => "clear_input",
            Action::Map => "map",
            Action::Left => "left",
            Action::Right => "right",
            Action::NextEdge => "next_edge",
            Action::Fit => "fit",
            Action::Panel => "panel",
            Action::Palette => "palette",
            Action::Groups => "groups",
            Action::Find => "find",
            Action::FindNext => "find_next",
            Action::FindPrev => "find_prev",
            Action::Copy => "copy",
            Action::OpenConsole => "open_console",
            Action::Export => "export",
            Action::IdForm => "id_form",
            Action::FollowLink => "follow_link",
            Action::RelatedLogs => "related_logs",
            Action::Analysis => "analysis",
        }
    }
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
    /// The service map.
    Map,
    /// The Analysis screen.
    Analysis,
    /// The filter prompt (its keys only: every other key types text).
    Prompt,
    /// The trace view's find bar while typing (its keys only: every other key types text).
    Find,
    /// The fuzzy palette (its keys only: every other key types text).
    Palette,
    /// The groups list (its keys only).
    Groups,
    /// The time window editor (its keys only: every other key types text).
    Window,
    /// The help overlay: its own keys first (Ctrl-C quits), then the screen's, whose motions
    /// scroll it and whose `help`, `back` and `quit` close it.
    Help,
}

impl Scope {
    /// Every scope, in the help's order.
    pub const ALL: [Scope; 11] = [
        Scope::Global,
        Scope::List,
        Scope::Trace,
        Scope::Map,
        Scope::Analysis,
        Scope::Prompt,
        Scope::Find,
        Scope::Palette,
        Scope::Groups,
        Scope::Window,
        Scope::Help,
    ];

    /// The scope's name in `[keys.<scope>]`. Stable, like [`Action::name`].
    pub const fn name(self) -> &'static str {
        match self {
            Scope::Global => "global",
            Scope::List => "list",
            Scope::Trace => "trace",
            Scope::Map => "map",
            Scope::Analysis => "analysis",
            Scope::Prompt => "prompt",
            Scope::Find => "find",
            Scope::Palette => "palette",
            Scope::Groups => "groups",
            Scope::Window => "window",
            Scope::Help => "help",
        }
    }

    /// The scope a `[keys.<scope>]` table names.
    pub fn from_name(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Whether this scope is a screen, whose keys fall back to the global ones (an open input
    /// or list takes only its own keys, so every other key can type text).
    pub const fn is_screen(self) -> bool {
        matches!(
            self,
            Scope::List | Scope::Trace | Scope::Map | Scope::Analysis
        )
    }

    /// The heading in the help overlay.
    pub const fn title(self) -> &'static str {
        match self {
            Scope::Global => "Everywhere",
            Scope::List => "Trace list",
            Scope::Trace => "Trace view",
            Scope::Map => "Service map",
            Scope::Analysis => "Analysis (A)",
            Scope::Prompt => "Filter prompt (/)",
            Scope::Find => "Find in trace (/ in a trace)",
            Scope::Palette => "Palette (Ctrl-P)",
            Scope::Groups => "Groups (Ctrl-G)",
            Scope::Window => "Time window (w)",
            Scope::Help => "Help (?)",
        }
    }
}
