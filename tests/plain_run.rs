//! The plain mode driven through the real binary with piped input, against the simulated tenant
//! started in-process by `--demo`: complete Microsoft 365 and Exchange Server runs (each with a
//! failed check, going back and export), the fallback when stdout is not a terminal, resume, and
//! the refusal of a piped password. Transcripts are snapshot-tested with volatile values masked.

use assert_cmd::Command;
use std::path::Path;
use std::time::Duration;

const PASSWORD: &str = "Demo-Passw0rd!";
const PASSPHRASE: &str = "violet tractor harbour 93";

struct Run {
    stdout: String,
    stderr: String,
    success: bool,
}

/// Runs `moxi-setup ARGS` with `input` piped in and `MOXI_SETUP_HOME` in `home`.
fn run(home: &Path, args: &[&str], input: &str, envs: &[(&str, &str)]) -> Run {
    let mut cmd = Command::cargo_bin("moxi-setup").unwrap();
    cmd.args(args)
        .env("MOXI_SETUP_HOME", home)
        .env_remove("ACCESSIBLE")
        .env_remove("MOXI_SETUP_PASSWORD")
        .env_remove("MOXI_SETUP_PASSPHRASE")
        .env("NO_COLOR", "1")
        .current_dir(home)
        .write_stdin(input.to_string())
        // Only to catch a hang; the runs take a few seconds.
        .timeout(Duration::from_secs(180));
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        success: out.status.success(),
    }
}

/// Lines of piped input.
fn lines(items: &[&str]) -> String {
    let mut s = items.join("\n");
    s.push('\n');
    s
}

fn repeat(n: usize) -> Vec<&'static str> {
    vec![""; n]
}

/// Masks what changes from run to run: the temporary folder, times, dates, durations, the
/// version and the computer, and the evidence lines of the bundle summary.
fn masked(text: &str, home: &Path) -> String {
    text.replace(&home.display().to_string(), "[HOME]")
}

fn snapshot(name: &str, text: &str, home: &Path) {
    let mut settings = insta::Settings::clone_current();
    for (re, with) in [
        (r"\(\d+\.\d s\)", "([SECS] s)"),
        (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", "[TIME]"),
        (r"-\d{4}-\d{2}-\d{2}\.age", "-[DATE].age"),
        (r"moxi-setup \d+\.\d+\.\d+\S*", "moxi-setup [VERSION]"),
        (r"(On a computer running\s+)\S+", "${1}[OS]"),
        (
            r"(?m)^(Save the bundle in which folder\? ).*$",
            "${1}[DEFAULT]: ",
        ),
        (r"(?m)^( {8})\S+=.*$", "${1}[EVIDENCE]"),
    ] {
        settings.add_filter(re, with);
    }
    settings.bind(|| insta::assert_snapshot!(name, masked(text, home)));
}

/// What every plain run must respect: no escape sequence of any kind (no colour, no cursor
/// movement, no alternate screen) and the password nowhere on screen, in the draft or the log.
fn assert_plain_and_secret_free(r: &Run, home: &Path) {
    assert!(
        !r.stdout.contains('\x1b'),
        "escape sequence in plain output"
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    for text in [&r.stdout, &r.stderr] {
        assert!(!text.contains(PASSWORD), "password shown");
        assert!(!text.contains(PASSPHRASE), "passphrase shown");
    }
    for file in ["data/draft.json", "logs/moxi-setup.log"] {
        if let Ok(body) = std::fs::read_to_string(home.join(file)) {
            assert!(!body.contains(PASSWORD), "password in {file}");
            assert!(!body.contains(PASSPHRASE), "passphrase in {file}");
        }
    }
}

fn only_bundle_in(dir: &Path) -> std::path::PathBuf {
    let found: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "age"))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found[0].clone()
}

#[test]
fn microsoft_365_complete_run_with_a_failed_check_going_back_and_export() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("bundles");
    let folder = out.display().to_string();
    let mut input = vec!["1", "help"];
    // Step 1, step 2 (address kept, password from the environment), steps 3–10, step 11.
    input.extend(repeat(13));
    // Step 12: a mistyped tenant fails its check; go back a step, then fix it.
    input.extend([
        "contosso.onmicrosoft.com",
        "back",
        "",
        "",
        "contoso.onmicrosoft.com",
    ]);
    // Steps 12–18, review, then export into the folder.
    input.extend(repeat(9));
    input.push(&folder);
    let r = run(
        home.path(),
        &["--demo", "m365-guide-2021"],
        &lines(&input),
        &[
            ("MOXI_SETUP_PASSWORD", PASSWORD),
            ("MOXI_SETUP_PASSPHRASE", PASSPHRASE),
        ],
    );
    assert!(r.success, "{}\n{}", r.stdout, r.stderr);
    assert_plain_and_secret_free(&r, home.path());
    let s = &r.stdout;
    assert!(
        s.contains("Checking Tenant exists… FAILED: AADSTS90002"),
        "{s}"
    );
    assert!(s.contains("— see step 4.13"), "{s}");
    // The second try at step 12 passes, after going back to step 11.
    let fail = s.find("FAILED: AADSTS90002").unwrap();
    let back = s[fail..].find("Step 11 of 18").unwrap() + fail;
    assert!(s[back..].contains("Checking Tenant exists… passed"));
    assert!(s.contains("Checking Test user's contacts, calendar, sent items… passed"));
    assert!(s.contains("Tenant ID [contosso.onmicrosoft.com]: "));
    assert!(s.contains("1) Microsoft 365 (Exchange Online)"));
    assert!(s.contains("taken from the MOXI_SETUP_PASSWORD setting"));
    assert_eq!(s.matches("FAILED").count(), 1);

    // The bundle opens with the passphrase and holds the corrected answers.
    let bundle = only_bundle_in(&out);
    let sub =
        moxi_setup::bundle::read_bundle(&bundle, &secrecy::SecretString::from(PASSPHRASE)).unwrap();
    assert_eq!(sub.answers.tenant, "contoso.onmicrosoft.com");
    assert_eq!(
        sub.answers.tenant_id.as_deref(),
        Some("3f2b8a4c-9d1e-4c7a-b5e6-0a1b2c3d4e5f")
    );
    assert_eq!(sub.checks.len(), 8);
    assert!(
        sub.checks
            .iter()
            .all(|c| c.status == moxi_setup::checks::Status::Pass)
    );
    let raw = std::fs::read_to_string(&bundle).unwrap();
    assert!(!raw.contains(PASSWORD));

    snapshot("plain_m365_transcript", s, home.path());
}

#[test]
fn exchange_server_complete_run_with_a_failed_check_going_back_and_export() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("bundles");
    let folder = out.display().to_string();
    let mut input = vec!["2"];
    // Steps 1–4 (values kept, password from the environment).
    input.extend(repeat(6));
    // Step 5: a mistyped EWS address fails the sign-in check; back to step 4, then empty the
    // address so Autodiscover finds it.
    // The second field of step 5 (a server outside the domain) stays empty.
    input.extend([
        "https://mail.contoso.example/EWS/Exchange.aspx",
        "",
        "back",
        "",
        "",
        "-",
        "",
    ]);
    // Steps 5–8, review, then export.
    input.extend(repeat(6));
    input.push(&folder);
    let r = run(
        home.path(),
        &["--demo", "ex2016-ready"],
        &lines(&input),
        &[
            ("MOXI_SETUP_PASSWORD", PASSWORD),
            ("MOXI_SETUP_PASSPHRASE", PASSPHRASE),
        ],
    );
    assert!(r.success, "{}\n{}", r.stdout, r.stderr);
    assert_plain_and_secret_free(&r, home.path());
    let s = &r.stdout;
    assert!(
        s.contains("Checking Basic authentication accepted… FAILED: HTTP404"),
        "{s}"
    );
    assert!(s.contains("— see step 3.4"));
    assert!(
        s.contains("EWS address (optional) [https://mail.contoso.example/EWS/Exchange.aspx]: ")
    );
    let fail = s.find("FAILED: HTTP404").unwrap();
    assert!(s[fail..].contains("Step 4 of 8"));
    assert!(s[fail..].contains("Checking Basic authentication accepted… passed"));
    assert!(s.contains("Checking Exchange version is supported… warning: END-OF-SUPPORT"));

    let bundle = only_bundle_in(&out);
    let sub =
        moxi_setup::bundle::read_bundle(&bundle, &secrecy::SecretString::from(PASSPHRASE)).unwrap();
    assert_eq!(
        sub.answers.ews_url.as_deref(),
        Some("https://mail.contoso.example/EWS/Exchange.asmx")
    );
    assert_eq!(
        sub.answers.ews_url_source,
        moxi_setup::bundle::EwsUrlSource::Autodiscover
    );
    assert!(
        !sub.checks
            .iter()
            .any(|c| c.status == moxi_setup::checks::Status::Fail)
    );

    snapshot("plain_exchange_transcript", s, home.path());
}

#[test]
fn a_piped_password_is_refused_with_the_reason() {
    let home = tempfile::tempdir().unwrap();
    // The password is piped where it would be typed: it must not be taken from there.
    let input = lines(&["1", "", "", PASSWORD, "quit"]);
    let r = run(home.path(), &["--demo", "m365-guide-2021"], &input, &[]);
    assert!(r.success, "{}\n{}", r.stdout, r.stderr);
    assert_plain_and_secret_free(&r, home.path());
    let s = &r.stdout;
    assert!(
        s.contains("a password is never read from piped text"),
        "{s}"
    );
    assert!(s.contains("MOXI_SETUP_PASSWORD"));
    // With no password, the sign-in check waits for it instead of running.
    assert!(s.contains("The checks of this step wait until these answers are filled in:"));
    assert!(s.contains("  · Service account password"));
    assert!(!s.contains("Checking Account can sign in"));
    // The piped line went to the next question instead, where it means nothing.
    assert!(s.contains("That was not understood."));
    let from = s.find("Step 2 of 18").unwrap();
    snapshot("plain_piped_password_refused", &s[from..], home.path());
}

#[test]
fn redirected_output_falls_back_to_plain_mode_with_one_line_saying_why() {
    let home = tempfile::tempdir().unwrap();
    // No --plain: only the missing terminal decides.
    let r = run(home.path(), &[], "quit\n", &[]);
    assert!(r.success, "{}\n{}", r.stdout, r.stderr);
    assert_plain_and_secret_free(&r, home.path());
    let why: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(why.len(), 1, "{}", r.stderr);
    assert!(why[0].contains("not a terminal") && why[0].contains("plain"));
    assert!(r.stdout.contains("Where does your office's email live?"));
    assert!(r.stdout.contains("Stopped."));

    // Empty input: ends cleanly too.
    let r = run(home.path(), &[], "", &[]);
    assert!(r.success);
    assert!(!r.stderr.contains("panicked"));
    assert!(r.stdout.contains("Input ended"));

    // Asked for explicitly: no reason line.
    for (args, envs) in [
        (&["--plain"][..], &[][..]),
        (&[][..], &[("ACCESSIBLE", "1")][..]),
    ] {
        let r = run(home.path(), args, "quit\n", envs);
        assert!(r.success);
        assert!(r.stderr.trim().is_empty(), "{}", r.stderr);
        assert!(r.stdout.contains("plain mode"));
    }
}

#[test]
fn resume_continues_at_the_saved_step_with_the_values_but_never_the_password() {
    let home = tempfile::tempdir().unwrap();
    // Microsoft 365, step 1, then step 2: type an address, keep the (missing) password, quit.
    // No password: so no check can run (and --demo keeps any check on this computer).
    let first = lines(&["1", "", "svc@contoso.onmicrosoft.com", "quit"]);
    let r = run(
        home.path(),
        &["--plain", "--demo", "m365-guide-2021"],
        &first,
        &[],
    );
    assert!(r.success, "{}", r.stdout);
    assert!(r.stdout.contains("run moxi-setup --resume to continue"));
    let draft = std::fs::read_to_string(home.path().join("data/draft.json")).unwrap();
    assert!(draft.contains("svc@contoso.onmicrosoft.com"));
    assert!(!draft.contains(PASSWORD));

    // Without --resume the wizard asks first; yes continues at the saved step.
    let demo = ["--plain", "--demo", "m365-guide-2021"];
    let r = run(home.path(), &demo, &lines(&["yes", "quit"]), &[]);
    assert!(
        r.stdout
            .contains("Continue where you left off? (yes/no) [yes]: ")
    );
    assert!(
        r.stdout
            .contains("Saved at: Name the account and choose its password")
    );
    assert!(
        r.stdout
            .contains("Service account address [svc@contoso.onmicrosoft.com]: ")
    );
    assert_plain_and_secret_free(&r, home.path());

    // With --resume it goes straight there.
    let r = run(
        home.path(),
        &[&demo[..], &["--resume"]].concat(),
        "quit\n",
        &[],
    );
    assert!(!r.stdout.contains("Continue where you left off?"));
    assert!(r.stdout.contains("Step 2 of 18"));
}

/// A Microsoft 365 bundle with every check passed, written through the library at the low
/// test work factor, as `bundles/moxiengage-contoso.onmicrosoft.com-2026-03-02.age`.
fn demo_bundle(home: &Path) -> (std::path::PathBuf, moxi_setup::bundle::Submission) {
    use moxi_setup::answers::{Answers, Platform};
    use moxi_setup::bundle::{Overwrite, Submission, TEST_WORK_FACTOR, write_bundle};
    use moxi_setup::checks::{CheckId, CheckReport, Status};
    let answers = Answers {
        platform: Some(Platform::Microsoft365),
        service_account: "moxiengage@contoso.onmicrosoft.com".into(),
        service_password: Some(secrecy::SecretString::from(PASSWORD)),
        test_user: "agent@contoso.onmicrosoft.com".into(),
        tenant: "3f2b8a4c-9d1e-4c7a-b5e6-0a1b2c3d4e5f".into(),
        client_id: "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d".into(),
        ..Answers::default()
    };
    let reports: Vec<CheckReport> = CheckId::M365
        .iter()
        .map(|id| CheckReport {
            id: *id,
            status: Status::Pass,
            code: String::new(),
            guide_step: None,
            summary: String::new(),
            detail: String::new(),
            command: None,
            evidence: BTreeMap::new(),
            elapsed_ms: 150,
            finished_at: String::new(),
        })
        .collect();
    let sub = Submission::new(&answers, &reports).unwrap();
    let dir = home.join("bundles");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("moxiengage-contoso.onmicrosoft.com-2026-03-02.age");
    write_bundle(
        &path,
        &sub,
        &secrecy::SecretString::from(PASSPHRASE),
        TEST_WORK_FACTOR,
        Overwrite::Refuse,
    )
    .unwrap();
    (path, sub)
}

use std::collections::BTreeMap;

#[test]
fn a_piped_run_opens_a_bundle_with_the_passphrase_setting_reviews_it_and_exports_it_again() {
    let home = tempfile::tempdir().unwrap();
    let (bundle, sub) = demo_bundle(home.path());
    let file = bundle.display().to_string();
    let args = ["--demo", "m365-guide-2021", "--open", &file];

    // No passphrase setting: never read from the pipe; said, and nothing else happens.
    let r = run(home.path(), &args, &lines(&[PASSPHRASE, "quit"]), &[]);
    assert!(!r.success);
    assert_plain_and_secret_free(&r, home.path());
    assert!(r.stdout.contains("MOXI_SETUP_PASSPHRASE"), "{}", r.stdout);
    assert!(!r.stdout.contains("Review your answers"));

    // A wrong one cannot be asked again from a pipe.
    let r = run(
        home.path(),
        &args,
        &lines(&["quit"]),
        &[("MOXI_SETUP_PASSPHRASE", "not the passphrase at all")],
    );
    assert!(!r.success);
    assert!(
        r.stdout.contains("does not open this bundle"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("Review your answers"));

    // The right one: the review with the bundle's values, Enter to export, the same folder
    // and file name proposed, and replacing it only after "yes".
    let r = run(
        home.path(),
        &args,
        &lines(&["", "", "yes"]),
        &[("MOXI_SETUP_PASSPHRASE", PASSPHRASE)],
    );
    assert!(r.success, "{}\n{}", r.stdout, r.stderr);
    assert_plain_and_secret_free(&r, home.path());
    let s = &r.stdout;
    assert!(s.contains("Open a saved bundle"), "{s}");
    assert!(s.contains("taken from the MOXI_SETUP_PASSPHRASE setting"));
    assert!(s.contains("Unlocking the bundle… done."), "{s}");
    let review = &s[s.find("Review your answers").expect(s)..];
    assert!(review.contains("Tenant ID: 3f2b8a4c-9d1e-4c7a-b5e6-0a1b2c3d4e5f (ok)"));
    assert!(review.contains("Service account password: •••••••• (typed, hidden) (ok)"));
    let date = &sub.created_at[..10];
    assert!(
        review.contains(&format!("Tenant exists: passed — from the bundle ({date})")),
        "{review}"
    );
    assert!(s.contains(&format!(
        "Save the bundle in which folder? [{}]: ",
        home.path().join("bundles").display()
    )));
    assert!(s.contains("moxiengage-contoso.onmicrosoft.com-2026-03-02.age already exists"));
    assert!(s.contains("Replace it?"));
    assert!(!s.contains("Checking "), "nothing was run again: {s}");

    // Written again under the same name, with the same answers and the password.
    let again = only_bundle_in(&home.path().join("bundles"));
    assert_eq!(again, bundle);
    let sub2 =
        moxi_setup::bundle::read_bundle(&again, &secrecy::SecretString::from(PASSPHRASE)).unwrap();
    assert_ne!(sub2.created_at, "", "a new bundle");
    assert_eq!(sub2.answers.tenant, "3f2b8a4c-9d1e-4c7a-b5e6-0a1b2c3d4e5f");
    assert_eq!(sub2.checks.len(), 8);
    use secrecy::ExposeSecret;
    assert_eq!(
        sub2.answers
            .service_password
            .as_ref()
            .map(|p| p.expose_secret()),
        Some(PASSWORD)
    );
    assert_eq!(
        moxi_setup::bundle::work_factor_of(&std::fs::read(&again).unwrap()),
        Some(moxi_setup::bundle::WORK_FACTOR),
        "rewritten at the real work factor"
    );
}

#[test]
fn a_file_that_is_not_a_bundle_offers_to_start_without_it() {
    let home = tempfile::tempdir().unwrap();
    let other = home.path().join("notes.age");
    std::fs::write(&other, "shopping list\n").unwrap();
    let file = other.display().to_string();
    let env = [("MOXI_SETUP_PASSPHRASE", PASSPHRASE)];
    let r = run(home.path(), &["--plain", "--open", &file], "no\n", &env);
    assert!(r.success, "{}", r.stdout);
    assert!(
        r.stdout.contains("not a MoxiEngage setup bundle"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("Start the wizard without this bundle? (yes/no) [yes]: ")
    );
    assert!(!r.stdout.contains("Where does your office"));
    // Yes goes on with the wizard as usual.
    let r = run(
        home.path(),
        &["--plain", "--open", &file],
        "yes\nquit\n",
        &env,
    );
    assert!(r.success);
    assert!(
        r.stdout.contains("Where does your office's email live?"),
        "{}",
        r.stdout
    );
}
