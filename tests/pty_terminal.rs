//! The terminal is always given back: the built binary in a real pseudo-terminal survives a
//! resize storm (and says "please enlarge" at 60×20), leaves on Ctrl-C from every Microsoft
//! 365 screens and while a check hangs, and restores the terminal even when it panics (a debug
//! build hook, `MOXI_SETUP_TEST_PANIC=1`). Every time the draft keeps what was typed, never
//! the password.
//!
//! Network: every Microsoft host is pointed at loopback (a closed port, or a listener in this
//! test that accepts and never answers), so nothing can reach the outside.

use moxi_setup::answers::{FieldId, Platform};
mod pty_common;

use pty_common::{Ended, Session, timeout};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CANARY: &str = "Canary-Pw-7731!";
const LEAVE_ALT: &str = "\x1b[?1049l";
const SHOW_CURSOR: &str = "\x1b[?25h";

/// The terminal was handed back: out of the alternate screen, cursor shown, both written
/// after the last thing drawn.
fn assert_restored(e: &Ended) {
    assert!(!e.alt, "still on the alternate screen");
    let leave = e
        .raw
        .rfind(LEAVE_ALT)
        .expect("never left the alternate screen");
    let show = e
        .raw
        .rfind(SHOW_CURSOR)
        .expect("the cursor was never shown");
    let enter = e.raw.rfind("\x1b[?1049h").expect("never entered");
    assert!(
        leave > enter,
        "left the alternate screen before the last entry"
    );
    let tail = &e.raw[leave.min(show)..];
    assert!(
        !tail.contains("\x1b[?1049h") && !tail.contains("\x1b[?25l"),
        "drawing went on after the restore: {tail:?}"
    );
    assert!(!e.raw.contains(CANARY), "the password reached the terminal");
}

fn value(f: FieldId) -> &'static str {
    match f {
        FieldId::ServiceAccount => "moxiengage@contoso.onmicrosoft.com",
        FieldId::ServicePassword => CANARY,
        FieldId::TestUser => "agent@contoso.onmicrosoft.com",
        FieldId::Tenant => "3f2b8a4c-9d1e-4c7a-b5e6-0a1b2c3d4e5f",
        FieldId::ClientId => "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d",
        FieldId::EwsUrl => "",
        FieldId::IgnoreTlsTrust => "",
        FieldId::OutsideHost => "",
    }
}

fn draft_key(f: FieldId) -> Option<&'static str> {
    match f {
        FieldId::ServiceAccount => Some("service_account"),
        FieldId::TestUser => Some("test_user"),
        FieldId::Tenant => Some("tenant"),
        FieldId::ClientId => Some("client_id"),
        _ => None,
    }
}

fn screens() -> Vec<moxi_setup::guide::Screen> {
    let guide = moxi_setup::guide::guide(Platform::Microsoft365).unwrap();
    guide.screens().map(|(_, s)| s.clone()).collect()
}

/// Types every field of screens `0..upto` and moves on; returns the fields typed.
fn walk(s: &mut Session, screens: &[moxi_setup::guide::Screen], upto: usize) -> Vec<FieldId> {
    let n = screens.len();
    s.wait_for("Where does your office");
    s.send("1");
    let mut typed = Vec::new();
    for (i, sc) in screens.iter().enumerate().take(upto) {
        s.wait_for(&format!("Step {} of {n}", i + 1));
        for f in &sc.fields {
            let v = value(*f);
            s.send(v);
            if f.is_secret() {
                s.wait_for(&"•".repeat(v.chars().count()));
            } else if !v.is_empty() {
                s.wait_for(v);
            }
            typed.push(*f);
            s.send("\t");
        }
        s.send("\r");
    }
    s.wait_for(&format!("Step {} of {n}", upto + 1));
    typed
}

fn read_draft(home: &std::path::Path) -> (String, serde_json::Value) {
    let text = std::fs::read_to_string(home.join("data/draft.json")).expect("draft written");
    assert!(!text.contains(CANARY), "the password is in the draft");
    let json = serde_json::from_str(&text).expect("the draft is JSON");
    (text, json)
}

fn assert_draft_holds(json: &serde_json::Value, typed: &[FieldId]) {
    for f in typed {
        if let Some(k) = draft_key(*f) {
            assert_eq!(
                json["answers"][k].as_str(),
                Some(value(*f)),
                "{k} lost: {json}"
            );
        }
    }
}

#[test]
fn resize_storm_keeps_the_wizard_working() {
    let screens = screens();
    let n = screens.len();
    let home = tempfile::tempdir().unwrap();
    let mut s = Session::start(home.path(), "127.0.0.1:9", &[], &[]);
    s.wait_for("Where does your office");
    s.send("1");
    s.wait_for(&format!("Step 1 of {n}"));
    s.send("\r");
    s.wait_for(&format!("Step 2 of {n}"));
    let sizes = [
        (60, 20),
        (120, 40),
        (40, 10),
        (80, 24),
        (79, 24),
        (80, 23),
        (200, 60),
        (20, 5),
        (100, 30),
    ];
    for round in 0..5 {
        for (c, r) in sizes {
            s.resize(c, r);
        }
        if round == 2 {
            // Keys arrive in the middle of the storm.
            s.send("moxi");
        }
    }
    s.resize(60, 20);
    let small = s.wait_for("Please enlarge");
    assert!(!small.contains(&format!("Step 2 of {n}")), "{small}");
    s.resize(80, 24);
    s.wait_for(&format!("Step 2 of {n}"));
    s.send("engage@contoso.onmicrosoft.com");
    let screen = s.wait_for("moxiengage@contoso.onmicrosoft.com");
    assert!(!screen.contains("Please enlarge"), "{screen}");
    s.send("\x03");
    let e = s.finish();
    assert!(e.success, "exit status 0 after Ctrl+C");
    assert_restored(&e);
    let (_, json) = read_draft(home.path());
    assert_draft_holds(&json, &[FieldId::ServiceAccount]);
}

#[test]
fn ctrl_c_on_every_screen_restores_and_keeps_the_draft() {
    let screens = screens();
    let n = screens.len();
    for stop in 0..n {
        let home = tempfile::tempdir().unwrap();
        let mut s = Session::start(home.path(), "127.0.0.1:9", &[], &[]);
        let typed = walk(&mut s, &screens, stop);
        s.send("\x03");
        let e = s.finish();
        assert!(
            e.success,
            "exit status 0 after Ctrl+C on screen {}",
            stop + 1
        );
        assert_restored(&e);
        let (_, json) = read_draft(home.path());
        assert_eq!(json["screen"].as_str(), Some(screens[stop].id.as_str()));
        assert_draft_holds(&json, &typed);
    }
}

#[test]
fn ctrl_c_while_a_check_hangs() {
    // Accepts and never answers: the realm check stays "checking…" until cancelled.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let held = Arc::new(Mutex::new(Vec::new()));
    let h2 = held.clone();
    std::thread::spawn(move || {
        for c in listener.incoming().flatten() {
            h2.lock().unwrap().push(c);
        }
    });
    let screens = screens();
    let n = screens.len();
    let idx = screens
        .iter()
        .position(|s| s.checks.iter().any(|c| c == "m365.realm"))
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut s = Session::start(home.path(), &addr, &[], &[]);
    let typed = walk(&mut s, &screens, idx);
    for f in &screens[idx].fields {
        let v = value(*f);
        s.send(v);
        if f.is_secret() {
            s.wait_for(&"•".repeat(v.chars().count()));
        } else {
            s.wait_for(v);
        }
        // Leaving the last field starts the screen's checks.
        s.send("\t");
    }
    s.wait_for("checking…");
    let end = Instant::now() + timeout();
    while held.lock().unwrap().is_empty() {
        assert!(Instant::now() < end, "the check never connected");
        std::thread::sleep(Duration::from_millis(30));
    }
    assert!(s.screen().contains(&format!("Step {} of {n}", idx + 1)));
    s.send("\x03");
    let e = s.finish();
    assert!(e.success, "exit status 0 after Ctrl+C during a check");
    assert_restored(&e);
    let (_, json) = read_draft(home.path());
    assert_eq!(json["screen"].as_str(), Some(screens[idx].id.as_str()));
    let mut all = typed;
    all.extend(screens[idx].fields.iter().copied());
    assert_draft_holds(&json, &all);
}

#[test]
fn a_panic_restores_the_terminal_and_keeps_the_draft() {
    // The hook exists only in builds with debug assertions (the test binary shares the profile).
    if !cfg!(debug_assertions) {
        eprintln!("skipped: the panic hook is compiled only with debug assertions");
        return;
    }
    let screens = screens();
    let n = screens.len();
    let home = tempfile::tempdir().unwrap();
    let stop = screens.iter().position(|s| !s.fields.is_empty()).unwrap() + 1;
    let mut s = Session::start(home.path(), "127.0.0.1:9", &[], &[]);
    let typed = walk(&mut s, &screens, stop);
    s.send("\x03");
    let e = s.finish();
    assert!(e.success);
    let (before, json) = read_draft(home.path());
    assert_draft_holds(&json, &typed);

    let mut s = Session::start(
        home.path(),
        "127.0.0.1:9",
        &["--resume"],
        &[("MOXI_SETUP_TEST_PANIC", "1"), ("RUST_BACKTRACE", "0")],
    );
    s.wait_for(&format!("Step {} of {n}", stop + 1));
    s.send("x");
    let e = s.finish();
    assert!(!e.success, "a panic must not exit 0");
    assert_restored(&e);
    let msg = e
        .raw
        .rfind("test panic requested")
        .expect("the panic message reached the terminal");
    // Everything before the message must already hold the restore (after the last drawing);
    // ratatui may show the cursor once more while unwinding, which is harmless.
    let before_msg = &e.raw[..msg];
    let leave = before_msg.rfind(LEAVE_ALT);
    let show = before_msg.rfind(SHOW_CURSOR);
    let enter = before_msg.rfind("\x1b[?1049h");
    let hide = before_msg.rfind("\x1b[?25l");
    assert!(
        leave > enter && show > hide,
        "the panic message was written before the terminal was restored: {:?}",
        &e.raw[e.raw.len().saturating_sub(600)..]
    );
    let (after, _) = read_draft(home.path());
    assert_eq!(before, after, "the draft changed");
}
