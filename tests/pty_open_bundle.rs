//! `moxi-setup --demo m365-guide-2021 --open FILE.age` end to end in a real 80×24
//! pseudo-terminal: the bundle (written here through the library, at the low test work
//! factor) is refused with a wrong passphrase, opened with the right one, and lands on the
//! review with the bundle's own values and its recorded results marked as such. Jumping to the
//! sign-in step and running its checks again passes against the simulated tenant, which proves
//! the password came out of the bundle. Neither the password nor the passphrase may reach the
//! screen, the terminal output, the draft or the log.
//!
//! Also here: the command-line side of `--open` (a missing file is exit 2 before any screen,
//! `--help` describes it, it cannot be combined with `--resume`).

mod pty_common;

use assert_cmd::Command;
use moxi_setup::answers::{Answers, Platform};
use moxi_setup::bundle::{Overwrite, Submission, TEST_WORK_FACTOR, write_bundle};
use moxi_setup::checks::{CheckId, CheckReport, Status};
use moxi_setup::guide::GuideStep;
use pty_common::Session;
use secrecy::SecretString;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The simulated accounts' password: in this test it exists only inside the bundle.
const PASSWORD: &str = "Demo-Passw0rd!";
const PASSPHRASE: &str = "violet tractor harbour 93";
/// The tenant as the bundle has it (the demo itself would fill in the domain instead).
const TENANT_ID: &str = "3f2b8a4c-9d1e-4c7a-b5e6-0a1b2c3d4e5f";

fn report(id: CheckId, status: Status, code: &str) -> CheckReport {
    CheckReport {
        id,
        status,
        code: code.into(),
        guide_step: (status == Status::Fail).then(|| GuideStep::m365(1, 4)),
        summary: "Recorded when the bundle was made.".into(),
        detail: String::new(),
        command: None,
        evidence: BTreeMap::new(),
        elapsed_ms: 200,
        finished_at: String::new(),
    }
}

/// A Microsoft 365 bundle with every check recorded, the sign-in one failed when it was made.
fn demo_bundle(dir: &Path) -> PathBuf {
    let answers = Answers {
        platform: Some(Platform::Microsoft365),
        service_account: "moxiengage@contoso.onmicrosoft.com".into(),
        service_password: Some(SecretString::from(PASSWORD)),
        test_user: "agent@contoso.onmicrosoft.com".into(),
        tenant: TENANT_ID.into(),
        client_id: "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d".into(),
        ..Answers::default()
    };
    let reports: Vec<CheckReport> = CheckId::M365
        .iter()
        .map(|id| match id {
            CheckId::M365Token => report(*id, Status::Fail, "AADSTS50126"),
            _ => report(*id, Status::Pass, ""),
        })
        .collect();
    let sub = Submission::new(&answers, &reports).unwrap();
    let path = dir.join("moxiengage-contoso.onmicrosoft.com-2026-03-02.age");
    write_bundle(
        &path,
        &sub,
        &SecretString::from(PASSPHRASE),
        TEST_WORK_FACTOR,
        Overwrite::Refuse,
    )
    .unwrap();
    path
}

#[test]
fn open_a_bundle_in_the_wizard_fix_the_sign_in_step_and_quit() {
    let home = tempfile::tempdir().unwrap();
    let bundle = demo_bundle(home.path());
    let file = bundle.display().to_string();
    let guide = moxi_setup::guide::guide(Platform::Microsoft365).unwrap();
    let (test_idx, test_step) = guide
        .screens()
        .enumerate()
        .find(|(_, (_, sc))| sc.checks.iter().any(|c| c == "m365.token"))
        .map(|(i, (sec, sc))| (i, format!("{}.{}", sec.number, sc.steps[0].number)))
        .unwrap();
    let n = guide.screen_count();

    let mut s = Session::start(
        home.path(),
        "127.0.0.1:9",
        &["--demo", "m365-guide-2021", "--open", &file],
        &[],
    );
    let screen = s.wait_for("Passphrase of the bundle");
    assert!(screen.contains("moxiengage-contoso.onmicrosoft.com-2026-03-02.age"));

    // A wrong passphrase first: said, and asked again.
    s.send("not the passphrase");
    s.wait_for(&"•".repeat(18));
    s.send("\r");
    s.wait_for("does not open this bundle");
    s.send(PASSPHRASE);
    s.wait_for(&"•".repeat(PASSPHRASE.len()));
    s.send("\r");

    let review = s.wait_for("Review your answers");
    assert!(review.contains(TENANT_ID), "the bundle's tenant:\n{review}");
    assert!(review.contains("moxiengage@contoso.onmicrosoft.com"));
    assert!(
        review.contains("(typed, hidden)"),
        "password loaded:\n{review}"
    );
    assert!(review.contains("from the bundle"), "{review}");
    assert!(review.contains("AADSTS50126"), "{review}");

    // To the sign-in step by its guide number; its recorded failure is there, then run again.
    s.send("g");
    s.wait_for("Go to step");
    s.send(&test_step);
    s.wait_for(&format!("› {test_step}"));
    s.send("\r");
    let screen = s.wait_for(&format!("Step {} of {n}", test_idx + 1));
    assert!(screen.contains("AADSTS50126"), "{screen}");
    s.send("r");
    let screen = s.wait_until("the live results", |sc| {
        !sc.contains("AADSTS50126")
            && !sc.contains("checking…")
            && !sc.contains("the bundle (")
            && sc.matches("passed").count() >= 5
    });
    assert!(!screen.contains("FAILED"), "{screen}");

    // The review marks only what was not run again.
    s.send("v");
    let review = s.wait_for("Review your answers");
    let row = |label: &str| {
        review
            .lines()
            .find(|l| l.contains(label))
            .unwrap_or_else(|| panic!("{label} not on the review:\n{review}"))
            .to_string()
    };
    let token = row("Sign-in gives an access");
    assert!(
        token.contains("passed") && !token.contains("from the bundle"),
        "{token}"
    );
    // The test user's check belongs to a later step and did not run.
    let test_user = row("Test user's contacts");
    assert!(test_user.contains("from the bundle"), "{test_user}");
    s.send("q");
    let e = s.finish();
    assert!(e.success, "exit status 0");
    assert!(!e.alt, "the terminal left the alternate screen");
    for secret in [PASSWORD, PASSPHRASE] {
        assert!(
            !e.raw.contains(secret),
            "a secret was written to the terminal"
        );
    }

    let draft = std::fs::read_to_string(home.path().join("data/draft.json")).unwrap();
    assert!(draft.contains(TENANT_ID), "{draft}");
    let log = std::fs::read_to_string(home.path().join("logs/moxi-setup.log")).unwrap();
    for secret in [PASSWORD, PASSPHRASE] {
        assert!(!draft.contains(secret), "a secret is in the draft");
        assert!(!log.contains(secret), "a secret is in the log");
    }
}

fn cli(home: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::cargo_bin("moxi-setup")
        .unwrap()
        .args(args)
        .env("MOXI_SETUP_HOME", home)
        .env("MOXI_SETUP_NO_KEYCHAIN", "1")
        .env_remove("MOXI_SETUP_PASSPHRASE")
        .write_stdin("quit\n")
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_missing_or_unreadable_bundle_is_exit_2_before_any_screen() {
    let home = tempfile::tempdir().unwrap();
    let missing = home.path().join("nowhere.age");
    let (code, out, err) = cli(home.path(), &["--open", &missing.display().to_string()]);
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(out.is_empty(), "nothing started: {out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("There is no file at") && err.contains("nowhere.age"),
        "{err}"
    );

    // A folder is not a bundle either; the plain mode is not started for it.
    let (code, out, err) = cli(
        home.path(),
        &["--plain", "--open", &home.path().display().to_string()],
    );
    assert_eq!(code, Some(2));
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("is a folder"), "{err}");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let locked = home.path().join("locked.age");
        std::fs::write(&locked, "x").unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        // Root reads anything: only judge when the file really is unreadable here.
        if std::fs::File::open(&locked).is_err() {
            let (code, out, err) = cli(home.path(), &["--open", &locked.display().to_string()]);
            assert_eq!(code, Some(2));
            assert!(out.is_empty(), "{out}");
            assert!(err.contains("could not be read"), "{err}");
        }
    }
}

#[test]
fn help_describes_open_and_it_cannot_be_combined_with_resume() {
    let home = tempfile::tempdir().unwrap();
    let (code, out, _) = cli(home.path(), &["--help"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("--open <FILE.age>"), "{out}");
    assert!(out.contains("Open a saved bundle in the wizard"), "{out}");
    let bundle = demo_bundle(home.path());
    let (code, _, err) = cli(
        home.path(),
        &["--resume", "--open", &bundle.display().to_string()],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--resume") && err.contains("--open"), "{err}");
}

/// Plain mode at a terminal: the passphrase is read without echo, asked again when wrong, and
/// the review follows with the bundle's values.
#[cfg(unix)]
#[test]
fn plain_mode_reads_the_bundle_passphrase_without_echo_and_asks_again() {
    let home = tempfile::tempdir().unwrap();
    let bundle = demo_bundle(home.path());
    let file = bundle.display().to_string();
    let mut s = Session::start(
        home.path(),
        "127.0.0.1:9",
        &["--plain", "--demo", "m365-guide-2021", "--open", &file],
        &[("MOXI_SETUP_PASSPHRASE", "")],
    );
    let prompt = "Passphrase of the bundle (what you type is not shown): ";
    for (i, typed) in ["not the passphrase", PASSPHRASE].iter().enumerate() {
        s.wait_until("the passphrase prompt", |sc| sc.matches(prompt).count() > i);
        s.wait_until("the echo to be off", |_| s.echo_off());
        s.send(&format!("{typed}\r"));
        if i == 0 {
            s.wait_for("does not open this bundle");
        }
    }
    let review = s.wait_for("Press Enter to continue to export");
    assert!(
        review.contains(&format!("Tenant ID: {TENANT_ID} (ok)")),
        "{review}"
    );
    assert!(review.contains("passed — from the bundle ("), "{review}");
    s.send("quit\r");
    let e = s.finish();
    assert!(e.success, "{}", e.raw);
    assert!(
        !e.raw.contains("\x1b[?1049h"),
        "no alternate screen in plain mode"
    );
    for secret in [PASSWORD, PASSPHRASE, "not the passphrase"] {
        assert!(!e.raw.contains(secret), "{secret:?} was echoed:\n{}", e.raw);
    }
}
