//! Signals sent to the real binary in a pseudo-terminal: the ones that end it give the terminal
//! back and exit 128 + n; SIGTSTP stops it with the terminal given back and `fg` brings it back
//! drawn in full; SIGCONT after a SIGSTOP takes the terminal again even if a shell reset it.
//! Every wait polls with a generous deadline; nothing depends on timing.

#[path = "support/pty.rs"]
mod pty;

use pty::Session;

/// What `--demo` shows once loaded.
const LOADED: &str = "387 traces";

/// The terminal is as it was: main screen, cursor shown, no mouse reports, raw mode off.
fn assert_restored(s: &Session) {
    // The reader thread may still be behind the exit: wait for the last bytes.
    s.wait_until("the alternate screen left", || {
        let text = s.written_since(0);
        text.rfind("\u{1b}[?1049l") > text.rfind("\u{1b}[?1049h")
    });
    let text = s.written_since(0);
    let entered = text
        .rfind("\u{1b}[?1049h")
        .expect("entered the alternate screen");
    let after = &text[entered..];
    for (seq, what) in [
        ("\u{1b}[?1049l", "left the alternate screen"),
        ("\u{1b}[?25h", "showed the cursor"),
        ("\u{1b}[?1000l", "turned mouse reports off"),
        ("\u{1b}[?1006l", "turned SGR mouse reports off"),
    ] {
        assert!(after.contains(seq), "never {what}: {after:?}");
    }
    {
        let parser = s.screen.lock().expect("screen");
        let screen = parser.screen();
        assert!(!screen.alternate_screen(), "still in the alternate screen");
        assert!(!screen.hide_cursor(), "the cursor is hidden");
        assert_eq!(
            screen.mouse_protocol_mode(),
            vt100::MouseProtocolMode::None,
            "mouse reports on"
        );
    }
    let stty = s.stty();
    assert!(
        stty.contains("icanon") && !stty.contains("-icanon") && !stty.contains("-echo "),
        "raw mode still on: {stty}"
    );
}

/// The demo, sent `signal`, exits with 128 + `number` and gives the terminal back.
fn ends_on(signal: &str, number: u32) {
    let mut s = Session::start(&["--demo"]);
    s.wait_for(LOADED);
    Session::kill(s.pid(), signal);
    let status = s.wait_exit();
    assert_eq!(status.exit_code(), 128 + number, "SIG{signal}: {status:?}");
    assert_eq!(status.signal(), None, "SIG{signal} killed it: {status:?}");
    assert_restored(&s);
}

#[test]
fn sigterm_restores_the_terminal_and_exits_143() {
    ends_on("TERM", 15);
}

#[test]
fn sighup_restores_the_terminal_and_exits_129() {
    ends_on("HUP", 1);
}

#[test]
fn sigquit_restores_the_terminal_and_exits_131() {
    ends_on("QUIT", 3);
}

#[test]
fn external_sigint_restores_the_terminal_and_exits_130() {
    ends_on("INT", 2);
}

/// Any other signal that would end the process (here SIGUSR1, SIGALRM, SIGXCPU) ends the app
/// the same way: the terminal back, 128 + n.
#[test]
fn other_ending_signals_restore_the_terminal_too() {
    ends_on("USR1", 10);
    ends_on("ALRM", 14);
    ends_on("XCPU", 24);
}

/// The terminal goes away under the app (its window closed): the kernel's SIGHUP ends it with
/// 129, not a panic on the dead terminal.
#[test]
fn closing_the_terminal_exits_129() {
    use portable_pty::{CommandBuilder, PtySize, native_pty_system};
    use std::io::Read;
    use std::time::{Duration, Instant};

    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("a pty");
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_xray-tui"));
    cmd.arg("--demo");
    cmd.env("TERM", "xterm-256color");
    let data = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("xray-tui-pty-{}", std::process::id()));
    cmd.env("XRAY_TUI_DATA", &data);
    cmd.env("XRAY_TUI_CACHE", data.join("cache"));
    let mut child = pty.slave.spawn_command(cmd).expect("spawn");
    drop(pty.slave);
    // Every handle on the terminal must close for it to hang up, the reader's too: it reads
    // until the app is drawn, then hands itself back.
    let mut reader = pty.master.try_clone_reader().expect("reader");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
            if String::from_utf8_lossy(&seen).contains(LOADED) {
                let _ = tx.send(reader);
                return;
            }
        }
    });
    let reader = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the app drawn");
    drop(reader);
    drop(pty.master);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the app outlived its terminal");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.exit_code(), 129, "{status:?}");
    assert_eq!(status.signal(), None, "{status:?}");
}

/// Under an interactive shell, as a user would: `stop` stops the app with the terminal given
/// back to the shell; `fg` brings it back drawn in full and answering keys.
fn stops_under_a_shell_and_fg_redraws(stop: impl FnOnce(&mut Session, u32)) {
    let bin = env!("CARGO_BIN_EXE_xray-tui");
    let mut s = Session::start_program(
        "bash",
        &["--norc", "--noprofile", "-i"],
        &[("PS1", "sh$ "), ("HISTFILE", "/dev/null")],
    );
    s.wait_for("sh$ ");
    let shell = s.pid();
    // Alone on its line: after `cmd; next`, a stopped `cmd` would let the shell run `next`.
    s.send(&format!("'{bin}' --demo\r"));
    s.wait_for(LOADED);
    // The shell runs the app as a job of its own: the terminal's foreground group.
    let mut app = 0;
    s.wait_until("the app in the foreground", || {
        app = s.foreground().filter(|&p| p != shell).unwrap_or(0);
        app != 0
    });
    stop(&mut s, app);
    s.wait_state(app, 'T');
    s.wait_for("Stopped");
    assert!(!s.contents().contains(LOADED), "{}", s.contents());
    {
        let parser = s.screen.lock().expect("screen");
        assert!(
            !parser.screen().alternate_screen(),
            "still in the alternate screen"
        );
        assert!(!parser.screen().hide_cursor(), "the cursor is hidden");
        assert_eq!(
            parser.screen().mouse_protocol_mode(),
            vt100::MouseProtocolMode::None,
            "mouse reports on"
        );
    }
    s.send("fg\r");
    // Entering the alternate screen clears it: what shows now was drawn again.
    s.wait_until("the app drawn again", || {
        s.screen.lock().expect("screen").screen().alternate_screen()
            && s.contents().contains(LOADED)
    });
    s.wait_until("raw mode again", || s.stty().contains("-icanon"));
    // One key, no Enter: raw mode is back.
    s.send("q");
    s.wait_until("the shell in the foreground again", || {
        s.foreground() == Some(shell)
    });
    s.send("echo \"status=$?=\"\r");
    s.wait_for("status=0=");
    s.send("exit\r");
    s.wait_exit();
}

#[test]
fn sigtstp_stops_with_the_terminal_back_and_fg_redraws() {
    stops_under_a_shell_and_fg_redraws(|_, app| Session::kill(app, "TSTP"));
}

#[test]
fn ctrl_z_stops_with_the_terminal_back_and_fg_redraws() {
    stops_under_a_shell_and_fg_redraws(|s, _| s.send("\u{1a}"));
}

/// SIGSTOP cannot be caught; on SIGCONT the app takes the terminal again, even after someone
/// reset it to cooked mode meanwhile (as a shell does), and draws every cell.
#[test]
fn sigcont_after_sigstop_takes_the_terminal_again_and_redraws() {
    let mut s = Session::start(&["--demo"]);
    s.wait_for(LOADED);
    let pid = s.pid();
    Session::kill(pid, "STOP");
    s.wait_state(pid, 'T');
    let reset = std::process::Command::new("stty")
        .arg("-F")
        .arg(s.master.tty_name().expect("the terminal's name"))
        .arg("sane")
        .status()
        .expect("stty runs");
    assert!(reset.success());
    assert!(!s.stty().contains("-icanon"));
    let mark = s.written();
    Session::kill(pid, "CONT");
    s.wait_until("the app drawn again", || {
        s.written_since(mark).contains("\u{1b}[?1049h") && s.contents().contains(LOADED)
    });
    s.wait_until("raw mode again", || s.stty().contains("-icanon"));
    s.send("q");
    let status = s.wait_exit();
    assert!(status.success(), "{status:?}");
    assert_restored(&s);
}

/// Without a shell with job control (the app leads its own session here, as under
/// `xterm -e`), nothing could resume a stopped app: SIGTSTP is ignored, as the kernel ignores
/// a terminal's SIGTSTP to such a process group.
#[test]
fn sigtstp_without_job_control_is_ignored() {
    let mut s = Session::start(&["--demo"]);
    s.wait_for(LOADED);
    Session::kill(s.pid(), "TSTP");
    s.send("q");
    let status = s.wait_exit();
    assert!(status.success(), "{status:?}");
    assert_restored(&s);
}

/// `listen --save` ended by SIGTERM: 143, and the documents received before are in the file.
#[test]
fn listen_sigterm_flushes_save_and_exits_143() {
    let save = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("xray-tui-pty-signal-{}.ndjson", std::process::id()));
    let _ = std::fs::remove_file(&save);
    let save_arg = save.to_string_lossy().into_owned();
    let (mut s, addr) = Session::start_listen(&save_arg);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64();
    let segment = serde_json::json!({
        "id": "70de5b6f19ff9a0b",
        "trace_id": format!("1-{:08x}-b006649127e371903a2de979", now as u64),
        "name": "signal-checkout",
        "start_time": now - 0.25,
        "end_time": now,
        "http": {"request": {"method": "POST", "url": "http://shop/api/signal-order"},
                 "response": {"status": 200}},
    });
    let datagram = format!("{{\"format\":\"json\",\"version\":1}}\n{segment}");
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").expect("client socket");
    sock.send_to(datagram.as_bytes(), &addr).expect("send");
    s.wait_for("/api/signal-order");
    Session::kill(s.pid(), "TERM");
    let status = s.wait_exit();
    assert_eq!(status.exit_code(), 143, "{status:?}");
    assert_restored(&s);
    let saved = std::fs::read_to_string(&save).expect("the --save file");
    assert!(saved.contains("signal-order"), "{saved}");
    let _ = std::fs::remove_file(&save);
}
