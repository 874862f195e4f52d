//! A bundle write that fails, or a process killed while writing one, leaves the previous
//! bundle intact and no partial bundle. The writer runs in a child process (this test binary
//! re-run in "child" mode) whose file-size limit (`ulimit -f`) is far below the bundle's size,
//! so the write really fails part-way through, in the real write path.

#![cfg(unix)]

use moxi_setup::answers::{Answers, Platform};
use moxi_setup::bundle::{self, Overwrite, Submission, TEST_WORK_FACTOR};
use moxi_setup::checks::{CheckId, CheckReport, Status};
use secrecy::{ExposeSecret, SecretString};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

const PASSPHRASE: &str = "copper willow drum eleven";
const TARGET_ENV: &str = "MOXI_BUNDLE_TEST_CHILD_TARGET";

fn submission(client_id: &str, evidence_bytes: usize) -> Submission {
    let answers = Answers {
        platform: Some(Platform::Microsoft365),
        service_account: "moxiengage@contoso.onmicrosoft.com".into(),
        service_password: Some(SecretString::from("Demo-Passw0rd!")),
        test_user: "agent@contoso.onmicrosoft.com".into(),
        tenant: "contoso.onmicrosoft.com".into(),
        client_id: client_id.into(),
        ..Default::default()
    };
    let report = CheckReport {
        id: CheckId::M365Tenant,
        status: Status::Pass,
        code: String::new(),
        guide_step: None,
        summary: "ok".into(),
        detail: String::new(),
        command: None,
        evidence: [("padding".to_string(), "x".repeat(evidence_bytes))].into(),
        elapsed_ms: 1,
        finished_at: String::new(),
    };
    Submission::new(&answers, &[report]).unwrap()
}

fn pass() -> SecretString {
    SecretString::from(PASSPHRASE)
}

/// Child mode: replace the bundle at `$TARGET_ENV` with a ~2 MB one. Does nothing in a normal
/// test run (it is ignored, and the variable is unset).
#[test]
#[ignore = "run only as the child of the tests below"]
fn child_writer() {
    let Some(target) = std::env::var_os(TARGET_ENV) else {
        return;
    };
    let sub = submission("11111111-2222-4333-8444-555555555555", 2_000_000);
    let r = bundle::write_bundle(
        Path::new(&target),
        &sub,
        &pass(),
        TEST_WORK_FACTOR,
        Overwrite::Replace,
    );
    match r {
        Ok(()) => println!("CHILD-WROTE"),
        Err(e) => println!("CHILD-FAILED: {e}"),
    }
}

/// Runs the child writer with a 64 KiB file-size limit. `ignore_xfsz`: the kernel's "file too
/// large" signal is ignored, so the write returns an error (a failed write); otherwise the
/// signal kills the child mid-write (a killed write).
fn run_child(target: &Path, ignore_xfsz: bool) -> std::process::Output {
    let exe = std::env::current_exe().unwrap();
    let trap = if ignore_xfsz { "trap '' XFSZ; " } else { "" };
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{trap}ulimit -f 128; exec \"$0\" --exact child_writer --ignored --nocapture --test-threads=1"
        ))
        .arg(exe)
        .env(TARGET_ENV, target)
        .output()
        .unwrap()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn previous(dir: &Path) -> (std::path::PathBuf, Vec<u8>) {
    let path = dir.join("moxiengage-contoso.onmicrosoft.com-2026-12-01.age");
    let sub = submission("9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d", 10);
    bundle::write_bundle(&path, &sub, &pass(), TEST_WORK_FACTOR, Overwrite::Refuse).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    (path, bytes)
}

fn assert_previous_intact(path: &Path, bytes: &[u8]) {
    assert_eq!(
        std::fs::read(path).unwrap(),
        bytes,
        "previous bundle changed"
    );
    let back = bundle::read_bundle(path, &pass()).unwrap();
    assert_eq!(
        back.answers.client_id,
        "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d"
    );
    assert_eq!(
        back.answers.service_password.unwrap().expose_secret(),
        "Demo-Passw0rd!"
    );
}

#[test]
fn a_failed_write_leaves_the_previous_bundle_and_no_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let (path, bytes) = previous(dir.path());
    let before = files_in(dir.path());

    let out = run_child(&path, true);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("CHILD-FAILED"),
        "the write must really have failed part-way: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_previous_intact(&path, &bytes);
    assert_eq!(
        files_in(dir.path()),
        before,
        "no partial or temporary file left"
    );
}

#[test]
fn a_killed_write_leaves_the_previous_bundle_and_its_leftover_is_cleared() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().unwrap();
    let (path, bytes) = previous(dir.path());

    let out = run_child(&path, false);
    assert_eq!(
        out.status.signal(),
        Some(25),
        "the child must have been killed (SIGXFSZ) while writing: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
    );
    assert_previous_intact(&path, &bytes);

    // A process killed before its rename cannot clean up: at most one hidden, partial
    // temporary file remains beside the bundle. It is never the bundle's name, and it is
    // never opened as one.
    let leftovers: Vec<String> = files_in(dir.path())
        .into_iter()
        .filter(|n| n != path.file_name().unwrap().to_str().unwrap())
        .collect();
    assert!(leftovers.len() <= 1, "{leftovers:?}");
    for l in &leftovers {
        assert!(l.starts_with(".moxi-setup-") && l.ends_with(".tmp"), "{l}");
        // Not removed while it might still be another writer's work in progress...
        assert_eq!(
            bundle::sweep_stale_temps(dir.path(), bundle::STALE_TEMP_AGE),
            0
        );
        // ...but cleared by the next bundle write once it is clearly stale.
        let f = std::fs::File::options()
            .write(true)
            .open(dir.path().join(l))
            .unwrap();
        f.set_modified(SystemTime::now() - bundle::STALE_TEMP_AGE - Duration::from_secs(60))
            .unwrap();
    }
    let next = dir.path().join("next.age");
    bundle::write_bundle(
        &next,
        &submission("9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d", 10),
        &pass(),
        TEST_WORK_FACTOR,
        Overwrite::Refuse,
    )
    .unwrap();
    let mut expected = vec![
        path.file_name().unwrap().to_string_lossy().into_owned(),
        "next.age".to_string(),
    ];
    expected.sort();
    assert_eq!(files_in(dir.path()), expected);
    assert_previous_intact(&path, &bytes);
}
