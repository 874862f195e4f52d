//! `moxi-setup bundle open` and `check --bundle` through the real binary: the redacted
//! summary, `--reveal` only on a terminal and never in screen-share mode, and one plain,
//! distinct error (exit 2) for each way a file can fail to open.

use assert_cmd::Command;
use moxi_setup::answers::{Answers, Platform};
use moxi_setup::bundle::{self, Overwrite, Submission, TEST_WORK_FACTOR};
use moxi_setup::checks::{CheckId, CheckReport, Status};
use moxi_setup::guide::GuideStep;
use secrecy::SecretString;
use std::path::{Path, PathBuf};
use std::time::Duration;

const PW: &str = "Open-Canary-Pw-55!";
const PASSPHRASE: &str = "harbour quilt mango seventy";

fn answers() -> Answers {
    Answers {
        platform: Some(Platform::Microsoft365),
        service_account: "moxiengage@contoso.onmicrosoft.com".into(),
        service_password: Some(SecretString::from(PW)),
        test_user: "agent@contoso.onmicrosoft.com".into(),
        tenant: "contoso.onmicrosoft.com".into(),
        client_id: "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d".into(),
        ..Default::default()
    }
}

fn failing_reports() -> Vec<CheckReport> {
    vec![CheckReport {
        id: CheckId::M365Ews,
        status: Status::Fail,
        code: "HTTP403".into(),
        guide_step: Some(GuideStep::m365(4, 30)),
        summary: "Exchange Web Services refused the request.".into(),
        detail: "EWS is turned off for this tenant.".into(),
        command: None,
        evidence: Default::default(),
        elapsed_ms: 120,
        finished_at: "2026-12-01T20:00:00Z".into(),
    }]
}

fn write(dir: &Path, reports: &[CheckReport]) -> PathBuf {
    let path = dir.join("moxiengage-contoso.onmicrosoft.com-2026-12-01.age");
    let sub = Submission::new(&answers(), reports).unwrap();
    bundle::write_bundle(
        &path,
        &sub,
        &SecretString::from(PASSPHRASE),
        TEST_WORK_FACTOR,
        Overwrite::Replace,
    )
    .unwrap();
    path
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(home: &Path, args: &[&str], passphrase: Option<&str>) -> Run {
    let mut cmd = Command::cargo_bin("moxi-setup").unwrap();
    cmd.env("MOXI_SETUP_HOME", home)
        .env_remove("MOXI_SETUP_PASSWORD")
        .env_remove("MOXI_SETUP_PASSPHRASE")
        .args(args)
        .write_stdin("")
        .timeout(Duration::from_secs(120));
    if let Some(p) = passphrase {
        cmd.env("MOXI_SETUP_PASSPHRASE", p);
    }
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn open_shows_every_value_but_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), &[]);
    let p = path.to_str().unwrap();
    let r = run(dir.path(), &["bundle", "open", p], Some(PASSPHRASE));
    assert_eq!(r.code, 0, "{}", r.stderr);
    for v in [
        "moxiengage@contoso.onmicrosoft.com",
        "agent@contoso.onmicrosoft.com",
        "contoso.onmicrosoft.com",
        "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d",
        "microsoft-365",
        "https://outlook.office365.com/EWS/Exchange.asmx",
        "hidden",
        "with --reveal",
        "no checks were run",
    ] {
        assert!(r.stdout.contains(v), "missing {v}:\n{}", r.stdout);
    }
    assert!(!r.stdout.contains(PW) && !r.stderr.contains(PW));
    assert!(!r.stdout.contains(PASSPHRASE) && !r.stderr.contains(PASSPHRASE));
}

#[test]
fn reveal_is_refused_off_a_terminal_and_in_screen_share_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), &[]);
    let p = path.to_str().unwrap();
    let r = run(
        dir.path(),
        &["bundle", "open", p, "--reveal"],
        Some(PASSPHRASE),
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("only on a terminal"), "{}", r.stderr);
    assert!(!r.stdout.contains(PW));
    let r = run(
        dir.path(),
        &["--screen-share", "bundle", "open", p, "--reveal"],
        Some(PASSPHRASE),
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("screen-share"), "{}", r.stderr);
    assert!(!r.stdout.contains(PW));
    // The global option also works after the subcommand.
    let r = run(
        dir.path(),
        &["bundle", "open", p, "--reveal", "--screen-share"],
        Some(PASSPHRASE),
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("screen-share"));
}

#[test]
fn a_bundle_whose_checks_failed_opens_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), &failing_reports());
    let r = run(
        dir.path(),
        &["bundle", "open", path.to_str().unwrap()],
        Some(PASSPHRASE),
    );
    assert_eq!(r.code, 0, "opening works even though a check had failed");
    assert!(r.stdout.contains("1 check(s) failed"), "{}", r.stdout);
    assert!(r.stdout.contains("HTTP403") && r.stdout.contains("m365/4.30"));
}

#[test]
fn each_way_of_failing_to_open_has_its_own_plain_error() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), &[]);
    let text = std::fs::read_to_string(&good).unwrap();

    let truncated = dir.path().join("cut.age");
    std::fs::write(&truncated, &text[..text.len() / 2]).unwrap();
    let not_bundle = dir.path().join("notes.age");
    std::fs::write(&not_bundle, "Meeting notes, not a bundle.\n").unwrap();
    let newer = dir.path().join("newer.age");
    let mut r = age::scrypt::Recipient::new(SecretString::from(PASSPHRASE));
    r.set_work_factor(TEST_WORK_FACTOR);
    std::fs::write(
        &newer,
        age::encrypt_and_armor(
            &r,
            br#"{"format":"moxiengage-setup-bundle","format_version":7}"#,
        )
        .unwrap(),
    )
    .unwrap();

    let cases: [(&Path, &str, &str); 5] = [
        (&good, "wrong passphrase here", "does not open this bundle"),
        (&truncated, PASSPHRASE, "damaged or incomplete"),
        (&not_bundle, PASSPHRASE, "not a MoxiEngage setup bundle"),
        (
            &newer,
            PASSPHRASE,
            "newer version of moxi-setup (bundle format 7",
        ),
        (&dir.path().join("missing.age"), PASSPHRASE, "missing.age"),
    ];
    let mut seen = Vec::new();
    for (path, pass, expect) in cases {
        for args in [
            vec!["bundle", "open", path.to_str().unwrap()],
            vec!["check", "--bundle", path.to_str().unwrap(), "--json"],
        ] {
            let r = run(dir.path(), &args, Some(pass));
            assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
            assert!(
                r.stderr.contains(expect),
                "{args:?}: want {expect}: {}",
                r.stderr
            );
            assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
            assert!(!r.stderr.contains(pass));
            seen.push(r.stderr);
        }
    }
    seen.dedup();
    assert_eq!(seen.len(), 5, "five different messages");
}

#[test]
fn no_passphrase_and_no_terminal_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), &[]);
    let r = run(
        dir.path(),
        &["bundle", "open", path.to_str().unwrap()],
        None,
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("MOXI_SETUP_PASSPHRASE"), "{}", r.stderr);
}

/// `check --bundle` re-runs the platform's checks from the bundle's answers. Every host
/// resolves to a closed loopback port here, so nothing can pass: exit 1, one JSON object.
#[test]
fn check_bundle_reruns_the_checks_and_prints_one_json_object() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), &failing_reports());
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let l = format!("login.microsoftonline.com=127.0.0.1:{closed}");
    let o = format!("outlook.office365.com=127.0.0.1:{closed}");
    let p = path.to_str().unwrap();
    let args = [
        "check",
        "--bundle",
        p,
        "--json",
        "--resolve",
        &l,
        "--resolve",
        &o,
    ];
    let r = run(dir.path(), &args, Some(PASSPHRASE));
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(v["overall"], "fail");
    assert_eq!(v["checks"].as_array().unwrap().len(), 8);
    assert!(
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["status"] != "pass")
    );
    assert!(!r.stdout.contains(PW));

    let text_args = ["check", "--bundle", p, "--resolve", &l, "--resolve", &o];
    let r = run(dir.path(), &text_args, Some(PASSPHRASE));
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("Re-checking the settings saved in"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("when saved: fail"), "{}", r.stdout);
}
