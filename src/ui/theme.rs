//! Colours and glyphs: one place, so every screen marks faults, errors and throttles alike.

use ratatui::style::{Color, Modifier, Style};

use crate::engine::waterfall::Status;

/// Server faults (5xx).
pub const FAULT: Color = Color::Red;
/// Client errors (4xx).
pub const ERROR: Color = Color::Indexed(208);
/// Throttles (429).
pub const THROTTLE: Color = Color::Magenta;
/// Partial traces.
pub const PARTIAL: Color = Color::Yellow;

/// Service colours: none of them red, orange or purple, which mean trouble.
const SERVICES: [Color; 6] = [
    Color::Cyan,
    Color::Blue,
    Color::Green,
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
    Style::new()
        .bg(Color::Indexed(238))
        .add_modifier(Modifier::BOLD)
}

/// Column headers and titles.
pub fn heading() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

/// Less important text.
pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

/// Text that matches the trace view's find (and the palette's matched characters).
pub fn find_match() -> Style {
    Style::new()
        .bg(Color::Yellow)
        .fg(Color::Black)
        .add_modifier(Modifier::BOLD)
}
