//! Plain mode at a real terminal (a pseudo-terminal): the password is typed, not piped, and must
//! be read without echo, be accepted by the simulated tenant's sign-in check, and appear nowhere
//! in what the terminal received. No escape sequence of the full-screen wizard may be written.
#![cfg(unix)]

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PASSWORD: &str = "Demo-Passw0rd!";

/// Only to catch a hang on a busy machine.
const HANG: Duration = Duration::from_secs(120);

#[test]
fn a_typed_password_is_not_echoed_and_is_used() {
    let home = tempfile::tempdir().unwrap();
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 24,
            cols: 80,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_moxi-setup"));
    cmd.args(["--plain", "--demo", "m365-guide-2021"]);
    cmd.env("MOXI_SETUP_HOME", home.path());
    cmd.env("TERM", "xterm-256color");
    cmd.env_remove("MOXI_SETUP_PASSWORD");
    cmd.env_remove("ACCESSIBLE");
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let raw = Arc::new(Mutex::new(Vec::<u8>::new()));
    let mut rd = pair.master.try_clone_reader().unwrap();
    let r2 = raw.clone();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = rd.read(&mut buf) {
            if n == 0 {
                break;
            }
            r2.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    let mut writer = pair.master.take_writer().unwrap();
    let text = || String::from_utf8_lossy(&raw.lock().unwrap()).into_owned();
    let mut seen = 0usize;
    // Waits for `what` after everything waited for so far, then types `line` and Enter.
    let mut answer_when = |what: &str, line: &str, ready: &dyn Fn() -> bool| {
        let end = Instant::now() + HANG;
        loop {
            let t = text();
            if let Some(i) = t[seen.min(t.len())..].find(what)
                && ready()
            {
                seen += i + what.len();
                break;
            }
            assert!(Instant::now() < end, "timed out waiting for {what:?}:\n{t}");
            std::thread::sleep(Duration::from_millis(30));
        }
        writer.write_all(format!("{line}\r").as_bytes()).unwrap();
        writer.flush().unwrap();
    };
    let always = || true;
    answer_when("Your choice [1]: ", "1", &always);
    answer_when("(or type back, checks, review, help, quit): ", "", &always);
    answer_when(
        "Service account address [moxiengage@contoso.onmicrosoft.com]: ",
        "",
        &always,
    );
    // Type the password only once the terminal's echo is off, as a person would after the
    // prompt; typing ahead of a prompt is echoed by the terminal itself, whatever a program does.
    let master = &pair.master;
    let echo_off = || {
        master.get_termios().is_some_and(|t| {
            let flags = format!("{:?}", t.local_flags);
            !flags
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w == "ECHO")
        })
    };
    answer_when("(what you type is not shown): ", PASSWORD, &echo_off);
    answer_when(
        "Checking Account can sign in with a password… passed",
        "quit",
        &always,
    );
    let end = Instant::now() + HANG;
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < end, "did not exit:\n{}", text());
        std::thread::sleep(Duration::from_millis(30));
    };
    drop(writer);
    drop(pair.master);
    let _ = reader.join();
    let out = text();
    assert!(status.success(), "{out}");
    assert!(!out.contains(PASSWORD), "the password was echoed:\n{out}");
    assert!(!out.contains("\x1b[?1049h"), "alternate screen used");
    assert!(!out.contains("not read. Input is coming from a pipe"));
    let draft = std::fs::read_to_string(home.path().join("data/draft.json")).unwrap();
    assert!(!draft.contains(PASSWORD));
}
