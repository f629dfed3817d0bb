//! The terminal: raw mode, the alternate screen and mouse reports on the way in; everything put
//! back on every way out (return, error, panic, suspend, a signal; see
//! [`signals`](super::signals)).

use std::io::{self, Stdout};

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// The terminal the app draws on.
pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// Puts the terminal back: raw mode off, mouse reports off, main screen, cursor shown. Safe to
/// call twice.
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Raw mode, the alternate screen and mouse reports; on failure the terminal is put back.
pub fn setup() -> io::Result<Term> {
    enable_raw_mode()?;
    if let Err(e) = execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture) {
        restore();
        return Err(e);
    }
    Terminal::new(CrosstermBackend::new(io::stdout())).inspect_err(|_| restore())
}

/// Restores the terminal when dropped, so early returns and unwinding leave it usable.
pub struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Restores the terminal before the previous panic hook prints, so the message is readable.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

/// Takes the terminal again after the process was stopped: raw mode (set afresh, since a shell
/// may have put its own modes back while we were stopped), the alternate screen cleared, mouse
/// reports. The caller redraws every cell.
pub fn resume() -> io::Result<()> {
    // `enable_raw_mode` does nothing while crossterm believes raw mode is on.
    let _ = disable_raw_mode();
    enable_raw_mode()?;
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableMouseCapture,
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    )?;
    Ok(())
}

/// Ctrl-Z or SIGTSTP: give the terminal back, stop until `fg`, then take it again. Without a
/// shell with job control to resume us (see [`job_control`]) this does nothing, as the kernel
/// would do with a SIGTSTP.
#[cfg(unix)]
pub fn suspend() -> io::Result<()> {
    if !job_control() {
        return Ok(());
    }
    restore();
    // The app catches SIGTSTP, so raising it would only come back to us: this stops the process
    // with SIGSTOP, the default action of SIGTSTP; it returns once the shell resumes us.
    signal_hook::low_level::emulate_default_handler(signal_hook::consts::SIGTSTP)?;
    resume()
}

/// Suspending is a Unix job-control feature; elsewhere Ctrl-Z does nothing.
#[cfg(not(unix))]
pub fn suspend() -> io::Result<()> {
    Ok(())
}

/// Whether a stopped app can be resumed by a shell: not when its process group is the session
/// leader's (`xterm -e xray-tui`, or a shell without job control), where nothing would ever
/// send SIGCONT; the kernel discards a terminal's SIGTSTP to such a group for the same reason.
#[cfg(target_os = "linux")]
pub fn job_control() -> bool {
    nix::unistd::getsid(None).is_ok_and(|session| session != nix::unistd::getpgrp())
}

/// Whether a stopped app can be resumed by a shell: assumed so where it cannot be asked.
#[cfg(not(target_os = "linux"))]
pub fn job_control() -> bool {
    true
}
