//! The `[theme]` table: colours for the UI's roles, as named colours, `#rrggbb` or a 256-colour
//! index, checked when the config is read.
//!
//! Colours are the config's own type so the core stays free of terminal types; `ui::theme`
//! turns them into terminal colours.

use std::collections::BTreeMap;

/// A role the theme can colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Server faults (5xx): red by default.
    Fault,
    /// Client errors (4xx): orange by default.
    Error,
    /// Throttles (429): purple by default.
    Throttle,
    /// Healthy things (map nodes, a valid expression): green by default.
    Ok,
    /// Warnings, partial traces, highlights: yellow by default.
    Accent,
    /// Less important text: dark grey by default.
    Dim,
    /// The selected row's background: grey 238 by default.
    Selection,
    /// Borders and box lines: the terminal's colour by default.
    Border,
    /// Headings and column headers (bold): the terminal's colour by default.
    Header,
}

impl Role {
    /// Every role, in the order the default config lists them.
    pub const ALL: [Role; 9] = [
        Role::Fault,
        Role::Error,
        Role::Throttle,
        Role::Ok,
        Role::Accent,
        Role::Dim,
        Role::Selection,
        Role::Border,
        Role::Header,
    ];

    /// The key in `[theme]`.
    pub fn name(self) -> &'static str {
        match self {
            Role::Fault => "fault",
            Role::Error => "error",
            Role::Throttle => "throttle",
            Role::Ok => "ok",
            Role::Accent => "accent",
            Role::Dim => "dim",
            Role::Selection => "selection",
            Role::Border => "border",
            Role::Header => "header",
        }
    }
}

/// The 16 named colours (and the terminal's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Named {
    /// The terminal's default colour.
    Reset,
    /// Black.
    Black,
    /// Red.
    Red,
    /// Green.
    Green,
    /// Yellow.
    Yellow,
    /// Blue.
    Blue,
    /// Magenta.
    Magenta,
    /// Cyan.
    Cyan,
    /// Grey (light grey).
    Gray,
    /// Dark grey.
    DarkGray,
    /// Bright red.
    LightRed,
    /// Bright green.
    LightGreen,
    /// Bright yellow.
    LightYellow,
    /// Bright blue.
    LightBlue,
    /// Bright magenta.
    LightMagenta,
    /// Bright cyan.
    LightCyan,
    /// White.
    White,
}

const NAMES: [(&str, Named); 17] = [
    ("default", Named::Reset),
    ("black", Named::Black),
    ("red", Named::Red),
    ("green", Named::Green),
    ("yellow", Named::Yellow),
    ("blue", Named::Blue),
    ("magenta", Named::Magenta),
    ("cyan", Named::Cyan),
    ("gray", Named::Gray),
    ("darkgray", Named::DarkGray),
    ("lightred", Named::LightRed),
    ("lightgreen", Named::LightGreen),
    ("lightyellow", Named::LightYellow),
    ("lightblue", Named::LightBlue),
    ("lightmagenta", Named::LightMagenta),
    ("lightcyan", Named::LightCyan),
    ("white", Named::White),
];

/// A colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Colour {
    /// A named colour.
    Named(Named),
    /// An index into the 256-colour palette.
    Indexed(u8),
    /// A 24-bit colour.
    Rgb(u8, u8, u8),
}

/// Parses `red`, `dark-gray`, `Light Blue`, `#ff8800` or `208`.
pub fn parse_colour(text: &str) -> Result<Colour, String> {
    let t = text.trim();
    if let Some(hex) = t.strip_prefix('#') {
        if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0);
            return Ok(Colour::Rgb(byte(0), byte(2), byte(4)));
        }
        return Err(format!(
            "bad colour `{text}`: `#` needs six hex digits (#rrggbb)"
        ));
    }
    if let Ok(n) = t.parse::<u8>() {
        return Ok(Colour::Indexed(n));
    }
    let key: String = t
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let key = key.replace("grey", "gray");
    NAMES
        .iter()
        .find(|(n, _)| *n == key)
        .map(|&(_, c)| Colour::Named(c))
        .ok_or_else(|| {
            let names: Vec<&str> = NAMES.iter().map(|(n, _)| *n).collect();
            format!(
                "bad colour `{text}` (use #rrggbb, 0-255, or one of: {})",
                names.join(", ")
            )
        })
}

/// The theme: the roles the config colours (the others keep the built-in colours).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Theme {
    /// Role -> colour.
    pub colours: BTreeMap<Role, Colour>,
}

impl Theme {
    /// Checks a `[theme]` table; the message names the key.
    pub fn from_table(table: &BTreeMap<String, String>) -> Result<Theme, String> {
        let mut colours = BTreeMap::new();
        for (key, value) in table {
            let role = Role::ALL
                .into_iter()
                .find(|r| r.name() == key)
                .ok_or_else(|| {
                    let names: Vec<&str> = Role::ALL.iter().map(|r| r.name()).collect();
                    format!(
                        "theme.{key}: unknown colour role (roles: {})",
                        names.join(", ")
                    )
                })?;
            let c = parse_colour(value).map_err(|e| format!("theme.{key}: {e}"))?;
            colours.insert(role, c);
        }
        Ok(Theme { colours })
    }

    /// The colour of a role, when the config sets one.
    pub fn get(&self, role: Role) -> Option<Colour> {
        self.colours.get(&role).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_by_name_hex_and_index() {
        assert_eq!(parse_colour("red"), Ok(Colour::Named(Named::Red)));
        assert_eq!(
            parse_colour("Dark-Grey"),
            Ok(Colour::Named(Named::DarkGray))
        );
        assert_eq!(parse_colour("#ff8800"), Ok(Colour::Rgb(255, 136, 0)));
        assert_eq!(parse_colour("208"), Ok(Colour::Indexed(208)));
        for bad in ["#ff88", "#gg0000", "redd", "256", ""] {
            assert!(parse_colour(bad).is_err(), "{bad:?}");
        }
    }
}
