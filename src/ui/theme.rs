//! Colours and glyphs: one place, so every screen marks faults, errors and throttles alike;
//! the config's `[theme]` recolours them ([`apply`]).

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier, Style};

use crate::config::theme::{Colour, Named, Role, Theme};
use crate::engine::waterfall::Status;

/// Server faults (5xx).
pub const FAULT: Color = Color::Red;
/// Client errors (4xx).
pub const ERROR: Color = Color::Indexed(208);
/// Throttles (429).
pub const THROTTLE: Color = Color::Magenta;
/// Partial traces.
pub const PARTIAL: Color = Color::Yellow;

/// Healthy things (the `ok` role).
pub const OK: Color = Color::Green;
/// Less important text (the `dim` role).
pub const DIM: Color = Color::DarkGray;

/// Service colours: none of them red, orange or purple, which mean trouble, and none equal to a
/// role's colour, so recolouring a role in the config never recolours a service.
const SERVICES: [Color; 6] = [
    Color::Cyan,
    Color::Blue,
    Color::Indexed(36),
    Color::LightCyan,
    Color::LightBlue,
    Color::LightGreen,
];

/// The colour of a status; `None` for ok.
pub fn status_color(s: Status) -> Option<Color> {
    match s {
        Status::Ok => None,
        Status::Error => Some(ERROR),
        Status::Throttle => Some(THROTTLE),
        Status::Fault => Some(FAULT),
    }
}

/// A stable colour for a service name (FNV-1a of the name).
pub fn service_color(name: &str) -> Color {
    let h = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    SERVICES[(h % SERVICES.len() as u64) as usize]
}

/// The selected row: a background of its own (not reverse video, which cells with their own
/// colours would undo), so it shows in every terminal and keeps the status colours readable.
pub fn selected() -> Style {
    Style::new().bg(SELECTION_BG).add_modifier(Modifier::BOLD)
}

/// Column headers and titles.
pub fn heading() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

/// Less important text.
pub fn dim() -> Style {
    Style::new().fg(DIM)
}

/// Text that matches the trace view's find (and the palette's matched characters).
pub fn find_match() -> Style {
    Style::new()
        .bg(Color::Yellow)
        .fg(Color::Black)
        .add_modifier(Modifier::BOLD)
}

/// The configured colour for a config colour.
pub fn color(c: Colour) -> Color {
    match c {
        Colour::Rgb(r, g, b) => Color::Rgb(r, g, b),
        Colour::Indexed(i) => Color::Indexed(i),
        Colour::Named(n) => match n {
            Named::Reset => Color::Reset,
            Named::Black => Color::Black,
            Named::Red => Color::Red,
            Named::Green => Color::Green,
            Named::Yellow => Color::Yellow,
            Named::Blue => Color::Blue,
            Named::Magenta => Color::Magenta,
            Named::Cyan => Color::Cyan,
            Named::Gray => Color::Gray,
            Named::DarkGray => Color::DarkGray,
            Named::LightRed => Color::LightRed,
            Named::LightGreen => Color::LightGreen,
            Named::LightYellow => Color::LightYellow,
            Named::LightBlue => Color::LightBlue,
            Named::LightMagenta => Color::LightMagenta,
            Named::LightCyan => Color::LightCyan,
            Named::White => Color::White,
        },
    }
}

/// The built-in background of the selected row (the `selection` role).
const SELECTION_BG: Color = Color::Indexed(238);

/// The roles that recolour text, and the built-in colour each stands for (no other drawing
/// uses these colours for anything else).
const FG_ROLES: [(Role, Color); 6] = [
    (Role::Fault, FAULT),
    (Role::Error, ERROR),
    (Role::Throttle, THROTTLE),
    (Role::Ok, OK),
    (Role::Accent, PARTIAL),
    (Role::Dim, DIM),
];

/// Recolours a drawn frame with the config's `[theme]`: each role stands for one built-in
/// colour (fault red, error orange, throttle purple, ok green, accent yellow, dim dark grey,
/// the selection's background, box lines and bold headings in the terminal's colour), and its
/// cells get the configured colour instead.
///
/// Done on the finished buffer, so every screen (and any added later) follows the theme
/// without passing it to each drawing function.
pub fn apply(buf: &mut Buffer, theme: &Theme) {
    if theme.colours.is_empty() {
        return;
    }
    let get = |r: Role| theme.get(r).map(color);
    let fg_roles: Vec<(Color, Color)> = FG_ROLES
        .into_iter()
        .filter_map(|(role, from)| get(role).map(|to| (from, to)))
        .collect();
    let selection = get(Role::Selection);
    let border = get(Role::Border);
    let header = get(Role::Header);
    let area = buf.area;
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let Some(cell) = buf.cell_mut((x, y)) else {
                continue;
            };
            let (fg, bg) = (cell.fg, cell.bg);
            if let Some(&(_, to)) = fg_roles.iter().find(|(from, _)| *from == fg) {
                cell.fg = to;
            } else if fg == Color::Reset {
                let boxy = cell
                    .symbol()
                    .chars()
                    .next()
                    .is_some_and(|c| ('\u{2500}'..='\u{257f}').contains(&c));
                if let (true, Some(c)) = (boxy, border) {
                    cell.fg = c;
                } else if let (true, Some(c)) = (
                    cell.modifier.contains(Modifier::BOLD) && bg == Color::Reset,
                    header,
                ) {
                    cell.fg = c;
                }
            }
            if let (true, Some(c)) = (bg == SELECTION_BG, selection) {
                cell.bg = c;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use ratatui::layout::Rect;

    use super::*;
    use crate::config::theme::parse_colour;

    #[test]
    fn no_service_colour_is_a_role_colour() {
        for c in SERVICES {
            assert!(
                FG_ROLES.iter().all(|&(_, role)| role != c) && c != SELECTION_BG,
                "{c:?}"
            );
        }
        // And so a themed `ok` leaves services alone.
        let mut theme = Theme::default();
        theme
            .colours
            .insert(Role::Ok, parse_colour("white").expect("colour"));
        let mut buf = Buffer::empty(Rect::new(0, 0, SERVICES.len() as u16, 1));
        for (i, c) in SERVICES.iter().enumerate() {
            buf.set_string(i as u16, 0, "s", Style::new().fg(*c));
        }
        apply(&mut buf, &theme);
        for (i, c) in SERVICES.iter().enumerate() {
            assert_eq!(buf[(i as u16, 0)].fg, *c);
        }
    }

    #[test]
    fn the_theme_recolours_its_roles_only() {
        let mut theme = Theme::default();
        for (role, c) in [
            (Role::Fault, "#102030"),
            (Role::Selection, "17"),
            (Role::Border, "blue"),
        ] {
            theme.colours.insert(role, parse_colour(c).expect("colour"));
        }
        let mut buf = Buffer::empty(Rect::new(0, 0, 4, 1));
        buf.set_string(0, 0, "F", Style::new().fg(FAULT));
        buf.set_string(1, 0, "s", Style::new().fg(ERROR).bg(SELECTION_BG));
        buf.set_string(2, 0, "─", Style::new());
        buf.set_string(3, 0, "x", Style::new());
        apply(&mut buf, &theme);
        assert_eq!(buf[(0, 0)].fg, Color::Rgb(0x10, 0x20, 0x30));
        assert_eq!(buf[(1, 0)].fg, ERROR, "error is not configured");
        assert_eq!(buf[(1, 0)].bg, Color::Indexed(17));
        assert_eq!(buf[(2, 0)].fg, Color::Blue);
        assert_eq!(buf[(3, 0)].fg, Color::Reset, "plain text keeps its colour");
    }
}
