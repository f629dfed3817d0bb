//! The groups list (`Ctrl-G`): the groups `group.name` resolves against (loaded with
//! `GetGroups` or from `groups.json`, then the config's local `[[groups]]`), each with its
//! filter expression. Enter applies `group.name = "..."` to the trace list through the filter
//! prompt's own path; the service map opened afterwards is drawn from the traces the list shows.
//!
//! Why: a group is a saved view a team agreed on ("checkout faults"); picking it by name beats
//! retyping its expression.

use ratatui::layout::Rect;

use super::list::scroll_offset;
use super::palette::group_filter;
use super::{App, Cmd, Mode};
use crate::keys::Action;

/// The open groups list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupsView {
    /// Selected group (index in `App::groups`).
    pub selected: usize,
    /// First group drawn.
    pub offset: usize,
}

/// What the empty list says.
pub const EMPTY: &str = "no groups: add [[groups]] to the config (see --print-default-config)";

/// Where the list is drawn on a terminal of `size`: centred, at most 110 cells wide, as tall as
/// the groups need.
pub fn area(size: Rect, groups: usize) -> Rect {
    let w = size.width.saturating_sub(4).min(110);
    let want = u16::try_from(groups.max(1))
        .unwrap_or(u16::MAX)
        .saturating_add(3);
    let h = want.min(size.height.saturating_sub(2));
    Rect::new(
        size.x + (size.width - w) / 2,
        size.y + (size.height - h) / 2,
        w,
        h,
    )
}

/// Group rows that fit (the box minus its borders and the column header).
pub fn rows(size: Rect, groups: usize) -> usize {
    usize::from(area(size, groups).height.saturating_sub(3))
}

impl App {
    /// Opens the groups list.
    pub(super) fn open_groups(&mut self) {
        self.overlays.push(GroupsView::default());
    }

    /// Where a group comes from, for the list: the loaded data or the config.
    pub fn group_source(&self, name: &str) -> &'static str {
        let loaded = self
            .data
            .as_ref()
            .is_some_and(|d| d.groups.iter().any(|g| g.group_name == name));
        if loaded { "loaded" } else { "config" }
    }

    /// A key's action while the groups list is open (its own bindings only); the list was
    /// taken off the overlays and is put back to stay open.
    pub(super) fn groups_key(&mut self, mut g: GroupsView, action: Option<Action>) -> Vec<Cmd> {
        let n = self.groups.len();
        let rows = rows(self.size, n);
        match action {
            Some(Action::Back) => return Vec::new(),
            Some(Action::Up) => g.selected = g.selected.saturating_sub(1),
            Some(Action::Down) => g.selected = (g.selected + 1).min(n.saturating_sub(1)),
            Some(Action::Open) => {
                let Some(name) = self.groups.get(g.selected).map(|x| x.group_name.clone()) else {
                    self.overlays.push(g);
                    return Vec::new();
                };
                return match self.apply_filter(&group_filter(&name)) {
                    Ok(cmds) => {
                        self.view = None;
                        self.map = None;
                        self.mode = Mode::List;
                        self.scroll();
                        cmds
                    }
                    Err(e) => {
                        self.message = Some(format!("group {name}: {e}"));
                        self.overlays.push(g);
                        Vec::new()
                    }
                };
            }
            _ => {}
        }
        g.offset = scroll_offset(g.offset, g.selected, rows, n);
        self.overlays.push(g);
        Vec::new()
    }
}
