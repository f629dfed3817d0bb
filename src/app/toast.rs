//! Toasts: short messages stacked in a corner that go away by themselves.
//!
//! The status line holds one message until something replaces it; a toast says that something
//! happened ("copied", "exported to …", "cannot write …") without taking that line over, and
//! leaves after a few seconds. The same text again does not stack a second toast: it bumps a
//! count (`×3`) and restarts the timer. Time is counted in [`Event::Tick`](super::Event::Tick)s
//! (the runtime sends one every 100 ms), so `update` stays free of clocks and tests can expire a
//! toast by feeding ticks.

use super::App;

/// How many ticks an info toast stays (5 s at the runtime's 100 ms tick).
pub const INFO_TICKS: u32 = 50;
/// How many ticks an error toast stays (8 s): errors take longer to read and act on.
pub const ERROR_TICKS: u32 = 80;
/// The most toasts shown at once; the oldest goes first.
pub const MAX_TOASTS: usize = 4;

/// How a toast is marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Something worked (neutral colours).
    Info,
    /// Something failed but the app goes on (red).
    Error,
}

/// One message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    /// The text.
    pub text: String,
    /// Info or error.
    pub level: Level,
    /// How many times it was raised while showing (shown as `×N` from 2).
    pub count: u32,
    /// Ticks until it goes.
    pub ticks_left: u32,
}

impl Toast {
    /// The text as shown, with the repeat count when there is one.
    pub fn label(&self) -> String {
        if self.count > 1 {
            format!("{} ×{}", self.text, self.count)
        } else {
            self.text.clone()
        }
    }
}

/// The stack of toasts, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Toasts {
    items: Vec<Toast>,
}

impl Toasts {
    /// Shows `text`; the same text and level already showing is bumped instead (count + 1, timer
    /// restarted, moved to the newest place).
    pub fn push(&mut self, level: Level, text: impl Into<String>) {
        let text = text.into();
        let ticks = match level {
            Level::Info => INFO_TICKS,
            Level::Error => ERROR_TICKS,
        };
        let toast = match self
            .items
            .iter()
            .position(|t| t.text == text && t.level == level)
        {
            Some(i) => {
                let mut t = self.items.remove(i);
                t.count = t.count.saturating_add(1);
                t.ticks_left = ticks;
                t
            }
            None => Toast {
                text,
                level,
                count: 1,
                ticks_left: ticks,
            },
        };
        self.items.push(toast);
        if self.items.len() > MAX_TOASTS {
            let extra = self.items.len() - MAX_TOASTS;
            self.items.drain(..extra);
        }
    }

    /// One tick passed: timers count down and expired toasts go. Says whether any went (the
    /// screen then needs a redraw).
    pub fn tick(&mut self) -> bool {
        let before = self.items.len();
        for t in &mut self.items {
            t.ticks_left = t.ticks_left.saturating_sub(1);
        }
        self.items.retain(|t| t.ticks_left > 0);
        self.items.len() != before
    }

    /// The toasts showing, oldest first.
    pub fn items(&self) -> &[Toast] {
        &self.items
    }

    /// Whether none is showing.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl App {
    /// Shows an info toast.
    pub fn toast_info(&mut self, text: impl Into<String>) {
        self.toasts.push(Level::Info, text);
        self.dirty = true;
    }

    /// Shows an error toast and keeps the error on the status line too, so it can still be read
    /// after the toast has gone.
    pub fn toast_error(&mut self, text: impl Into<String>) {
        let text = text.into();
        self.message = Some(text.clone());
        self.toasts.push(Level::Error, text);
        self.dirty = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_text_bumps_the_count_and_restarts_the_timer() {
        let mut t = Toasts::default();
        t.push(Level::Info, "copied");
        for _ in 0..10 {
            t.tick();
        }
        t.push(Level::Error, "boom");
        t.push(Level::Info, "copied");
        assert_eq!(t.items().len(), 2);
        let last = &t.items()[1];
        assert_eq!(last.text, "copied");
        assert_eq!(last.count, 2);
        assert_eq!(last.ticks_left, INFO_TICKS);
        assert_eq!(last.label(), "copied ×2");
        assert_eq!(t.items()[0].label(), "boom");
    }

    #[test]
    fn toasts_expire_after_their_ticks() {
        let mut t = Toasts::default();
        t.push(Level::Info, "info");
        t.push(Level::Error, "error");
        for _ in 0..INFO_TICKS - 1 {
            assert!(!t.tick());
        }
        assert!(t.tick(), "the info toast went");
        assert_eq!(t.items().len(), 1);
        assert_eq!(t.items()[0].level, Level::Error);
        for _ in 0..ERROR_TICKS - INFO_TICKS {
            t.tick();
        }
        assert!(t.is_empty());
    }

    #[test]
    fn the_oldest_goes_when_the_stack_is_full() {
        let mut t = Toasts::default();
        for i in 0..MAX_TOASTS + 2 {
            t.push(Level::Info, format!("n{i}"));
        }
        assert_eq!(t.items().len(), MAX_TOASTS);
        assert_eq!(t.items()[0].text, "n2");
    }
}
