//! The mouse: the wheel scrolls what is under the pointer (the list, the waterfall, the details,
//! the map, the help, the palette, the groups), a left click selects the row under it (a click on
//! the list's selected row opens it), a details tab, or a map node.
//!
//! Why a module of its own: clicks are turned into the same state changes keys make, using the
//! same geometry the drawing uses (`layout`, `map::split`, `DetailTab::at_column`), so a click
//! always lands on the row that is drawn under it, and all of it is tested without a terminal.

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::layout::{list_rows, screen, trace_split};
use super::list::scroll_offset;
use super::overlay::Overlay;
use super::trace_view::DetailTab;
use super::{App, Mode, map, palette};
use crate::keys::Action;

/// Rows one wheel step scrolls.
pub const WHEEL_ROWS: usize = 3;

/// Scrolls a window of `height` rows over `len` rows by `delta` and keeps the selection inside
/// it: `(offset, selected)`.
pub fn scroll_window(
    offset: usize,
    selected: usize,
    delta: isize,
    height: usize,
    len: usize,
) -> (usize, usize) {
    let height = height.max(1);
    let max_offset = len.saturating_sub(height);
    let offset = offset.saturating_add_signed(delta).min(max_offset);
    let last = (offset + height - 1).min(len.saturating_sub(1));
    (offset, selected.clamp(offset.min(last), last))
}

fn contains(r: Rect, x: u16, y: u16) -> bool {
    r.contains(Position::new(x, y))
}

impl App {
    /// Applies a mouse event; motion and other buttons do nothing (and ask for no redraw).
    pub(super) fn mouse(&mut self, m: MouseEvent) {
        let wheel: Option<isize> = match m.kind {
            MouseEventKind::ScrollDown => Some(WHEEL_ROWS as isize),
            MouseEventKind::ScrollUp => Some(-(WHEEL_ROWS as isize)),
            _ => None,
        };
        let click = m.kind == MouseEventKind::Down(MouseButton::Left);
        if wheel.is_none() && !click {
            return;
        }
        self.dirty = true;
        let (x, y) = (m.column, m.row);
        // The overlay on top takes the mouse, as it takes the keys; the time window editor and
        // the diagnostics pane leave it to the screen.
        let size = self.size;
        let n = self.groups.len();
        match self.overlays.top_mut() {
            Some(Overlay::Help { scroll }) => {
                if let Some(d) = wheel {
                    let step = u16::try_from(d.unsigned_abs()).unwrap_or(u16::MAX);
                    *scroll = if d > 0 {
                        scroll.saturating_add(step)
                    } else {
                        scroll.saturating_sub(step)
                    };
                }
                return;
            }
            Some(Overlay::Palette(p)) => {
                let rows = palette::result_rows(size).max(1);
                if let Some(d) = wheel {
                    p.move_by(d.signum(), rows);
                } else {
                    // A click on a result highlights it (the input and the rule are above them).
                    let a = palette::area(size);
                    if contains(a, x, y) && y >= a.y + 3 {
                        let i = p.offset + usize::from(y - a.y - 3);
                        if i < p.results.len() {
                            p.selected = i;
                        }
                    }
                }
                return;
            }
            Some(Overlay::Groups(g)) => {
                let rows = super::groups::rows(size, n);
                match wheel {
                    Some(d) => {
                        g.selected = g
                            .selected
                            .saturating_add_signed(d.signum())
                            .min(n.saturating_sub(1));
                    }
                    None => {
                        let a = super::groups::area(size, n);
                        if contains(a, x, y) && y >= a.y + 2 {
                            let i = g.offset + usize::from(y - a.y - 2);
                            if i < n {
                                g.selected = i;
                            }
                        }
                    }
                }
                g.offset = scroll_offset(g.offset, g.selected, rows, n);
                return;
            }
            Some(Overlay::Prompt(_)) => return,
            Some(Overlay::Window(_) | Overlay::Threshold(_) | Overlay::Diagnostics) | None => {}
        }
        match self.mode {
            Mode::List => self.mouse_list(x, y, wheel),
            Mode::Trace => self.mouse_trace(x, y, wheel),
            Mode::Map => self.mouse_map(x, y, wheel),
            Mode::Analysis => self.mouse_analysis(x, y, wheel),
        }
    }

    /// The Analysis screen: the wheel moves the selection; a click on a tab's title shows it, on
    /// a row selects it, on the selected row does what `Enter` does (its clause to the filter).
    fn mouse_analysis(&mut self, x: u16, y: u16, wheel: Option<isize>) {
        if let Some(d) = wheel {
            let cmds = self.analysis_action(if d < 0 { Action::Up } else { Action::Down });
            self.pending.extend(cmds);
            return;
        }
        let body = screen(self.size).body;
        let Some(st) = self.analysis.as_mut() else {
            return;
        };
        // As drawn: the tab bar, a line about the tab, the column header, then the rows.
        if !contains(body, x, y) || body.height < 4 {
            return;
        }
        if y == body.y {
            if let Some(t) = super::analysis::Tab::at_column(body.x, body.width, x, st.tab) {
                st.tab = t;
            }
            return;
        }
        if y < body.y + 3 {
            return;
        }
        let room = usize::from(body.height) - 3;
        let at = st.row();
        let i = (at + 1).saturating_sub(room) + usize::from(y - body.y - 3);
        if i >= st.len() {
            return;
        }
        if i == at {
            let cmds = self.analysis_action(Action::Open);
            self.pending.extend(cmds);
        } else {
            st.move_by(i as isize - at as isize);
        }
    }

    fn mouse_list(&mut self, x: u16, y: u16, wheel: Option<isize>) {
        let body = screen(self.size).body;
        let height = list_rows(self.size);
        let len = self.list.visible.len();
        if let Some(d) = wheel {
            (self.list.offset, self.list.selected) =
                scroll_window(self.list.offset, self.list.selected, d, height, len);
            return;
        }
        // The first body row is the column header.
        if !contains(body, x, y) || y == body.y {
            return;
        }
        let i = self.list.offset + usize::from(y - body.y - 1);
        if i >= len {
            return;
        }
        if i == self.list.selected {
            self.open_selected();
        } else {
            self.list.selected = i;
        }
    }

    fn mouse_trace(&mut self, x: u16, y: u16, wheel: Option<isize>) {
        let (wf, det) = trace_split(screen(self.size).body);
        let Some(v) = self.view.as_mut() else {
            return;
        };
        if contains(det, x, y) {
            match wheel {
                Some(d) if d > 0 => v.details_scroll = v.details_scroll.saturating_add(3),
                Some(_) => v.details_scroll = v.details_scroll.saturating_sub(3),
                None if y == det.y => {
                    if let Some(t) = DetailTab::at_column(det.x, det.width, x) {
                        v.tab = t;
                        v.details_scroll = 0;
                    }
                }
                None => {}
            }
            return;
        }
        if !contains(wf, x, y) {
            return;
        }
        let height = usize::from(wf.height.saturating_sub(2));
        let before = v.selected;
        match wheel {
            Some(d) => {
                (v.offset, v.selected) =
                    scroll_window(v.offset, v.selected, d, height, v.rows.len());
            }
            // The first waterfall rows are the overview strip and the time axis.
            None if y > wf.y + 1 => {
                let i = v.offset + usize::from(y - wf.y - 2);
                if i < v.rows.len() {
                    v.selected = i;
                }
            }
            None => {}
        }
        if v.selected != before {
            v.details_scroll = 0;
        }
    }

    fn mouse_map(&mut self, x: u16, y: u16, wheel: Option<isize>) {
        let Some(m) = self.map.as_mut() else {
            return;
        };
        let (canvas, _) = map::split(screen(self.size).body, m.view.panel);
        if !contains(canvas, x, y) {
            return;
        }
        match wheel {
            Some(d) => {
                let max = m.layout.height.saturating_sub(usize::from(canvas.height));
                m.offset.1 = m.offset.1.saturating_add_signed(d).min(max);
            }
            None => {
                let cx = m.offset.0 + usize::from(x - canvas.x);
                let cy = m.offset.1 + usize::from(y - canvas.y);
                if let Some(i) = m.layout.boxes.iter().position(|b| b.contains(cx, cy)) {
                    m.selected = i;
                    m.edge = None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrolling_keeps_the_selection_in_the_window() {
        // 100 rows, 10 shown: scrolling down 3 drags a top selection along.
        assert_eq!(scroll_window(0, 0, 3, 10, 100), (3, 3));
        assert_eq!(scroll_window(0, 5, 3, 10, 100), (3, 5));
        assert_eq!(scroll_window(3, 12, -3, 10, 100), (0, 9));
        // Clamped at both ends; short lists do not scroll.
        assert_eq!(scroll_window(89, 95, 3, 10, 100), (90, 95));
        assert_eq!(scroll_window(0, 2, -3, 10, 100), (0, 2));
        assert_eq!(scroll_window(0, 2, 3, 10, 4), (0, 2));
        assert_eq!(scroll_window(0, 0, 3, 10, 0), (0, 0));
    }
}
