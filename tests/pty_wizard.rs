//! End to end in a real pseudo-terminal: the built binary, at 80×24, walks every Microsoft 365
//! screen typing values, goes back two screens, quits with Ctrl+C, restarts with `--resume` and
//! finds the values again (not the password). The canary password must appear neither on the
//! screen, nor in the raw terminal output, nor in the draft, nor in the log file, and the
//! terminal must have left the alternate screen on exit.
//!
//! Network: every Microsoft host is pointed at a closed loopback port, so whatever checks the
//! engine runs can never reach the outside.

use moxi_setup::answers::{FieldId, Platform};
mod pty_common;

use pty_common::Session;

const CANARY: &str = "Canary-Pw-7731!";

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

#[test]
fn walk_microsoft_365_quit_and_resume() {
    let guide = moxi_setup::guide::guide(Platform::Microsoft365).unwrap();
    let screens: Vec<_> = guide.screens().map(|(_, s)| s.clone()).collect();
    let n = screens.len();
    assert!(n >= 3, "the Microsoft 365 guide has content");
    let home = tempfile::tempdir().unwrap();

    let mut s = Session::start(home.path(), "127.0.0.1:9", &[], &[]);
    assert!(
        s.wait_for("Where does your office")
            .contains("Microsoft 365")
    );
    assert!(s.parser.lock().unwrap().screen().alternate_screen());
    s.send("1");
    let mut typed_password = false;
    for (i, sc) in screens.iter().enumerate() {
        s.wait_for(&format!("Step {} of {n}", i + 1));
        for f in &sc.fields {
            let v = value(*f);
            s.send(v);
            if f.is_secret() {
                let screen = s.wait_for(&"•".repeat(v.chars().count()));
                assert!(!screen.contains(CANARY), "password visible:\n{screen}");
                typed_password = true;
            } else if !v.is_empty() {
                s.wait_for(v);
            }
            s.send("\t");
        }
        s.send("\r");
    }
    assert!(typed_password);
    s.wait_for("Review your answers");
    let review = s.screen();
    assert!(review.contains("moxiengage@contoso.onmicrosoft.com"));
    assert!(!review.contains(CANARY));
    // Back two screens (wait for each, so Esc is never read as Alt+key).
    s.send("\x1b");
    s.wait_for(&format!("Step {n} of {n}"));
    s.send("\x1b");
    s.wait_for(&format!("Step {} of {n}", n - 1));
    s.send("\x03");
    let e = s.finish();
    let (ok, alt, raw) = (e.success, e.alt, e.raw.into_bytes());
    assert!(ok, "exit status 0 after Ctrl+C");
    assert!(!alt, "the terminal left the alternate screen");
    assert!(
        !String::from_utf8_lossy(&raw).contains(CANARY),
        "the password was written to the terminal"
    );

    let draft_path = home.path().join("data/draft.json");
    let draft = std::fs::read_to_string(&draft_path).unwrap();
    assert!(draft.contains("3f2b8a4c-9d1e-4c7a-b5e6-0a1b2c3d4e5f"));
    assert!(
        draft.contains(&screens[n - 2].id),
        "saved on the screen left"
    );
    assert!(!draft.contains(CANARY), "the password is in the draft");
    let log = std::fs::read_to_string(home.path().join("logs/moxi-setup.log")).unwrap();
    assert!(!log.is_empty());
    assert!(!log.contains(CANARY), "the password is in the log");

    // Again, continuing the draft without being asked.
    let mut s = Session::start(home.path(), "127.0.0.1:9", &["--resume"], &[]);
    s.wait_for(&format!("Step {} of {n}", n - 1));
    // Go to the account step by its guide number, then to the review.
    let (acct_idx, acct_step) = guide
        .screens()
        .enumerate()
        .find(|(_, (_, sc))| sc.fields.contains(&FieldId::ServiceAccount))
        .map(|(i, (sec, sc))| (i, format!("{}.{}", sec.number, sc.steps[0].number)))
        .unwrap();
    s.send("\x07"); // Ctrl+G
    s.wait_for("Go to step");
    s.send(&acct_step);
    s.wait_for(&format!("› {acct_step}"));
    s.send("\r");
    let screen = s.wait_for(&format!("Step {} of {n}", acct_idx + 1));
    assert!(screen.contains(value(FieldId::ServiceAccount)), "{screen}");
    assert!(!screen.contains('•'), "no password was kept:\n{screen}");
    for _ in &screens[acct_idx].fields {
        s.send("\t");
    }
    s.send("v");
    let review = s.wait_for("Review your answers");
    for f in [
        FieldId::ServiceAccount,
        FieldId::TestUser,
        FieldId::Tenant,
        FieldId::ClientId,
    ] {
        assert!(review.contains(value(f)), "{f} lost on resume:\n{review}");
    }
    assert!(
        review.contains("(not typed yet)"),
        "the password is not kept"
    );
    s.send("q");
    let e = s.finish();
    let (ok, alt, raw) = (e.success, e.alt, e.raw.into_bytes());
    assert!(ok);
    assert!(!alt);
    assert!(!String::from_utf8_lossy(&raw).contains(CANARY));
}
