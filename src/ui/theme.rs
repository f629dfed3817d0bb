//! Colours and styles in one place: [`Styles`], the theme resolved once from the config's
//! `[theme]` over the built-in colours, which every screen asks for the style of what it draws
//! (a fault, a heading, the selected row), so faults, errors and throttles look alike
//! everywhere.
//!
//! Why the theme is applied where things are drawn, not to the finished screen: recolouring a
//! drawn buffer has to guess a cell's role from its colour, so anything that happened to share
//! a role's built-in colour changed with it (the filter prompt's syntax colours took the
//! `throttle`, `ok` and `accent` colours; a healthy segment's bold name was taken for a heading).
//! Asked for by role, a themed colour lands where that role is drawn and nowhere else, and a new
//! screen cannot forget the theme: it has no colours but the ones it asks for. Without a
//! `[theme]` the styles are the built-in ones, so the screen is the same cell for cell.
//!
//! Colours that are not roles (service hues, syntax colours, the palette's kinds) live here too
//! but are fixed: the theme does not change them, and none of them is a role's built-in colour,
//! so a screen never looks like it reports a fault it does not have.

use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::Block;

use crate::app::palette::Kind;
use crate::config::theme::{Colour, Named, Role, Theme};
use crate::engine::waterfall::Status;

/// Built-in colour of server faults (5xx): the `fault` role.
const FAULT: Color = Color::Red;
/// Built-in colour of client errors (4xx): the `error` role.
const ERROR: Color = Color::Indexed(208);
/// Built-in colour of throttles (429): the `throttle` role.
const THROTTLE: Color = Color::Magenta;
/// Built-in colour of healthy things: the `ok` role.
const OK: Color = Color::Green;
/// Built-in colour of warnings, partial traces and highlights: the `accent` role.
const ACCENT: Color = Color::Yellow;
/// Built-in colour of less important text: the `dim` role.
const DIM: Color = Color::DarkGray;
/// Built-in background of the selected row: the `selection` role.
const SELECTION: Color = Color::Indexed(238);

/// Service colours: none of them red, orange or purple, which mean trouble, and none equal to a
/// role's built-in colour, so a service never looks like a status.
const SERVICES: [Color; 6] = [
    Color::Cyan,
    Color::Blue,
    Color::Indexed(36),
    Color::LightCyan,
    Color::LightBlue,
    Color::LightGreen,
];

/// Secondary data (not a role): a trace's services, a candidate's description.
const SECONDARY: Color = Color::Gray;
/// Labels (not a role): the time window, completion candidates, words in an expression.
const LABEL: Color = Color::Cyan;
/// The background of toasts (not a role): a grey of its own, darker than the selection's.
const TOAST: Color = Color::Indexed(236);

/// What a piece of a filter expression is, for its syntax colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// `and`, `or`, `contains`...
    Connective,
    /// A keyword or a name (`service`, `http.status`, `annotation[key]`).
    Word,
    /// A string or JSON value.
    Literal,
    /// A number.
    Number,
    /// A comparison or `!`.
    Operator,
    /// Brackets, commas and the like.
    Punctuation,
}

/// The theme as drawing uses it: each role's colour, the config's where `[theme]` sets one and
/// the built-in one otherwise. Built once from the config ([`Styles::new`]) and kept in the app's
/// state; `Styles::default()` is the built-in theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Styles {
    fault: Color,
    error: Color,
    throttle: Color,
    ok: Color,
    accent: Color,
    dim: Color,
    selection: Color,
    /// `None`: the terminal's colour (borders are drawn without one).
    border: Option<Color>,
    /// `None`: the terminal's colour (headings are bold only).
    header: Option<Color>,
}

/// The styles for `app`'s configured theme. Built where a screen is drawn (a dozen colour
/// lookups): the app holds the configuration, the UI owns what it means for drawing.
pub fn of(app: &crate::app::App) -> Styles {
    Styles::new(&app.config.colours)
}

impl Default for Styles {
    fn default() -> Self {
        Styles {
            fault: FAULT,
            error: ERROR,
            throttle: THROTTLE,
            ok: OK,
            accent: ACCENT,
            dim: DIM,
            selection: SELECTION,
            border: None,
            header: None,
        }
    }
}

impl Styles {
    /// The config's `[theme]` over the built-in colours: the roles it sets get its colours, the
    /// others keep theirs.
    pub fn new(theme: &Theme) -> Self {
        let b = Styles::default();
        let get = |r: Role, built_in: Color| theme.get(r).map_or(built_in, color);
        Styles {
            fault: get(Role::Fault, b.fault),
            error: get(Role::Error, b.error),
            throttle: get(Role::Throttle, b.throttle),
            ok: get(Role::Ok, b.ok),
            accent: get(Role::Accent, b.accent),
            dim: get(Role::Dim, b.dim),
            selection: get(Role::Selection, b.selection),
            border: theme.get(Role::Border).map(color),
            header: theme.get(Role::Header).map(color),
        }
    }

    /// Server faults (5xx), and failures of the app's own (a load that failed, a bad filter).
    pub fn fault(&self) -> Color {
        self.fault
    }

    /// Client errors (4xx).
    pub fn error(&self) -> Color {
        self.error
    }

    /// Throttles (429).
    pub fn throttle(&self) -> Color {
        self.throttle
    }

    /// Healthy things: a map node or call with no failures, a valid expression, follow mode on.
    pub fn ok(&self) -> Color {
        self.ok
    }

    /// Warnings, partial traces and highlights (the prompt's marker, the selected call).
    pub fn accent(&self) -> Color {
        self.accent
    }

    /// The colour of a waterfall row's status; `None` for ok (the row keeps its service colour).
    pub fn status(&self, s: Status) -> Option<Color> {
        match s {
            Status::Ok => None,
            Status::Error => Some(self.error),
            Status::Throttle => Some(self.throttle),
            Status::Fault => Some(self.fault),
        }
    }

    /// Less important text.
    pub fn dim(&self) -> Style {
        Style::new().fg(self.dim)
    }

    /// Column headers and titles: bold, in the `header` colour when the theme sets one.
    pub fn heading(&self) -> Style {
        let s = Style::new().add_modifier(Modifier::BOLD);
        match self.header {
            Some(c) => s.fg(c),
            None => s,
        }
    }

    /// The selected row: a background of its own (not reverse video, which cells with their own
    /// colours would undo), so it shows in every terminal and keeps the status colours readable.
    pub fn selected(&self) -> Style {
        Style::new().bg(self.selection).add_modifier(Modifier::BOLD)
    }

    /// The lines of overlays and panes: the terminal's colour unless the theme sets `border`.
    pub fn border(&self) -> Style {
        match self.border {
            Some(c) => Style::new().fg(c),
            None => Style::new(),
        }
    }

    /// A bordered block (overlays, the details pane): its lines in the `border` role's colour,
    /// its titles in the terminal's (a title is not a line).
    pub fn bordered(&self) -> Block<'static> {
        let block = Block::bordered().border_style(self.border());
        match self.border {
            Some(_) => block.title_style(Style::new().fg(Color::Reset)),
            None => block,
        }
    }

    /// Text that matches the trace view's find (and the palette's matched characters); fixed.
    pub fn find_match(&self) -> Style {
        Style::new()
            .bg(Color::Yellow)
            .fg(Color::Black)
            .add_modifier(Modifier::BOLD)
    }

    /// A stable colour for a service name (FNV-1a of the name); fixed, never a role's colour.
    pub fn service(&self, name: &str) -> Color {
        let h = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        SERVICES[(h % SERVICES.len() as u64) as usize]
    }

    /// Secondary data (a trace's services, a candidate's description, a node without
    /// statistics); fixed.
    pub fn secondary(&self) -> Color {
        SECONDARY
    }

    /// Labels (the time window, completion candidates); fixed.
    pub fn label(&self) -> Color {
        LABEL
    }

    /// A toast: its background, and the text's colour (the `fault` role for errors, the
    /// terminal's otherwise).
    pub fn toast(&self, error: bool) -> Style {
        let s = Style::new().bg(TOAST);
        if error {
            s.fg(self.fault).add_modifier(Modifier::BOLD)
        } else {
            s.fg(Color::Reset)
        }
    }

    /// The syntax colour of a piece of a filter expression; fixed, except that punctuation is
    /// the `dim` role's.
    pub fn syntax(&self, s: Syntax) -> Style {
        match s {
            Syntax::Connective => Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
            Syntax::Word => Style::new().fg(LABEL),
            Syntax::Literal => Style::new().fg(Color::Green),
            Syntax::Number => Style::new().fg(Color::Yellow),
            Syntax::Operator => Style::new().add_modifier(Modifier::BOLD),
            Syntax::Punctuation => self.dim(),
        }
    }

    /// The colour of a palette entry's kind tag; fixed.
    pub fn kind(&self, k: Kind) -> Style {
        Style::new().fg(match k {
            Kind::Command => Color::LightMagenta,
            Kind::Trace => Color::Cyan,
            Kind::Url => Color::LightGreen,
            Kind::Service => Color::Blue,
            Kind::Group => Color::Yellow,
            Kind::User | Kind::Annotation => Color::LightCyan,
        })
    }
}

/// The terminal colour for a config colour.
fn color(c: Colour) -> Color {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::theme::parse_colour;

    fn themed(pairs: &[(Role, &str)]) -> Styles {
        let mut theme = Theme::default();
        for &(role, c) in pairs {
            theme.colours.insert(role, parse_colour(c).expect("colour"));
        }
        Styles::new(&theme)
    }

    #[test]
    fn no_service_colour_is_a_role_colour() {
        let b = Styles::default();
        let roles = [
            b.fault,
            b.error,
            b.throttle,
            b.ok,
            b.accent,
            b.dim,
            b.selection,
        ];
        for c in SERVICES {
            assert!(!roles.contains(&c), "{c:?}");
        }
        // And a themed `ok` leaves services alone.
        let t = themed(&[(Role::Ok, "white")]);
        for name in ["checkout", "payments", "orders", "DynamoDB"] {
            assert_eq!(t.service(name), b.service(name));
        }
    }

    #[test]
    fn no_theme_is_the_built_in_theme() {
        assert_eq!(Styles::new(&Theme::default()), Styles::default());
        let b = Styles::default();
        assert_eq!(b.heading(), Style::new().add_modifier(Modifier::BOLD));
        assert_eq!(b.border(), Style::new());
        assert_eq!(b.status(Status::Fault), Some(Color::Red));
        assert_eq!(b.status(Status::Ok), None);
    }

    #[test]
    fn the_theme_recolours_its_roles_only() {
        let b = Styles::default();
        let t = themed(&[
            (Role::Fault, "#102030"),
            (Role::Selection, "17"),
            (Role::Border, "blue"),
            (Role::Throttle, "white"),
            (Role::Header, "lightred"),
        ]);
        assert_eq!(t.fault(), Color::Rgb(0x10, 0x20, 0x30));
        assert_eq!(t.status(Status::Fault), Some(Color::Rgb(0x10, 0x20, 0x30)));
        assert_eq!(t.toast(true).fg, Some(Color::Rgb(0x10, 0x20, 0x30)));
        assert_eq!(t.error(), b.error(), "error is not configured");
        assert_eq!(t.selected().bg, Some(Color::Indexed(17)));
        assert_eq!(t.border().fg, Some(Color::Blue));
        assert_eq!(t.heading().fg, Some(Color::LightRed));
        // What merely shares a role's built-in colour keeps it.
        assert_eq!(t.syntax(Syntax::Connective), b.syntax(Syntax::Connective));
        assert_eq!(t.syntax(Syntax::Operator), b.syntax(Syntax::Operator));
        assert_eq!(t.kind(Kind::Group), b.kind(Kind::Group));
        assert_eq!(t.find_match(), b.find_match());
    }
}
