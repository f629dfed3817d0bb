//! Signals while the app runs. A thread of its own takes them from `signal-hook`'s iterator
//! and only notes what came; the event loop looks at the notes each time it wakes (at least
//! every tick) and does the work with the terminal in hand:
//!
//! - SIGTERM, SIGHUP, SIGQUIT and SIGINT (Ctrl-C from the keyboard is a key in raw mode, so a
//!   SIGINT comes from outside), and every other signal whose default would end the process
//!   and that can be caught (SIGUSR1, SIGALRM, SIGXCPU...) end the app: the terminal is put back, the source stopped (the
//!   daemon flushes `--save`) and the process exits with 128 + the signal's number. A second one
//!   while that is under way puts the terminal back and exits at once.
//! - SIGTSTP takes the same path as Ctrl-Z: the terminal is put back, the process stops, and on
//!   `fg` it takes the terminal again and draws every cell.
//! - SIGCONT (after a SIGSTOP, which cannot be caught, or any resume): raw mode, the alternate
//!   screen and mouse reports again, and a full redraw, whatever the shell did to the terminal
//!   meanwhile.

/// The signals that end the app: SIGTERM, SIGHUP, SIGQUIT, SIGINT and the others whose default
/// action ends a process and that arrive from outside (not SIGPIPE, which Rust ignores, nor
/// the faults a thread raises on itself); it exits with 128 + the signal's number.
#[cfg(unix)]
pub const ENDING: &[i32] = &[
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGHUP,
    signal_hook::consts::SIGQUIT,
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGUSR1,
    signal_hook::consts::SIGUSR2,
    signal_hook::consts::SIGALRM,
    signal_hook::consts::SIGVTALRM,
    signal_hook::consts::SIGPROF,
    signal_hook::consts::SIGXCPU,
    signal_hook::consts::SIGXFSZ,
    #[cfg(any(target_os = "linux", target_os = "android"))]
    signal_hook::consts::SIGIO,
];

#[cfg(unix)]
pub use unix::Watch;

#[cfg(unix)]
mod unix {
    use std::io;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicI32, Ordering::SeqCst};
    use std::thread::{self, JoinHandle};

    use signal_hook::consts::{SIGCONT, SIGTSTP};
    use signal_hook::iterator::{Handle, Signals};

    use super::ENDING;
    use crate::runtime::terminal;

    /// What the signal thread has seen and the loop has not yet acted on.
    #[derive(Default)]
    struct Notes {
        /// The first ending signal (0: none).
        ending: AtomicI32,
        /// A SIGTSTP came.
        stop: AtomicBool,
        /// A SIGCONT came.
        resumed: AtomicBool,
    }

    /// Catches the signals the app handles for as long as it lives; dropping it stops catching.
    pub struct Watch {
        notes: Arc<Notes>,
        handle: Handle,
        thread: Option<JoinHandle<()>>,
    }

    impl Watch {
        /// Starts catching [`ENDING`](super::ENDING), SIGTSTP and SIGCONT on a thread.
        pub fn start() -> io::Result<Watch> {
            let mut signals = Signals::new(ENDING.iter().chain(&[SIGTSTP, SIGCONT]))?;
            let handle = signals.handle();
            let notes = Arc::new(Notes::default());
            let seen = Arc::clone(&notes);
            let thread = thread::Builder::new()
                .name("signals".into())
                .spawn(move || {
                    for signal in signals.forever() {
                        match signal {
                            SIGTSTP => seen.stop.store(true, SeqCst),
                            SIGCONT => seen.resumed.store(true, SeqCst),
                            n => {
                                if seen.ending.compare_exchange(0, n, SeqCst, SeqCst).is_err() {
                                    // Asked twice: whatever holds up the first (a source slow
                                    // to stop), give the terminal back and go now.
                                    terminal::restore();
                                    std::process::exit(128 + n);
                                }
                            }
                        }
                    }
                })?;
            Ok(Watch {
                notes,
                handle,
                thread: Some(thread),
            })
        }

        /// The signal that ends the app, once one has come.
        pub fn ending(&self) -> Option<i32> {
            Some(self.notes.ending.load(SeqCst)).filter(|&n| n != 0)
        }

        /// Whether a SIGTSTP came since the last call.
        pub fn take_stop(&self) -> bool {
            self.notes.stop.swap(false, SeqCst)
        }

        /// Whether a SIGCONT came since the last call.
        pub fn take_resumed(&self) -> bool {
            self.notes.resumed.swap(false, SeqCst)
        }
    }

    impl Drop for Watch {
        fn drop(&mut self) {
            self.handle.close();
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        }
    }
}

/// Without Unix signals there is nothing to catch.
#[cfg(not(unix))]
pub struct Watch;

#[cfg(not(unix))]
impl Watch {
    /// Catches nothing.
    pub fn start() -> std::io::Result<Watch> {
        Ok(Watch)
    }
    /// Never.
    pub fn ending(&self) -> Option<i32> {
        None
    }
    /// Never.
    pub fn take_stop(&self) -> bool {
        false
    }
    /// Never.
    pub fn take_resumed(&self) -> bool {
        false
    }
}
