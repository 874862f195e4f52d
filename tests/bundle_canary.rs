//! The canary test: a recognisable password and passphrase go through export, `bundle open`,
//! `check --bundle`, `check --answers` and the support report, and are then looked for in every
//! output, report, log and file. They may appear only inside the encrypted bundle and on a
//! terminal when revealed on purpose.

use assert_cmd::Command;
use base64::Engine as _;
use moxi_setup::answers::{Answers, Platform};
use moxi_setup::bundle::{self, Overwrite, Submission, TEST_WORK_FACTOR};
use moxi_setup::checks::{CheckId, CheckReport, Status};
use secrecy::{ExposeSecret, SecretString};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

const CANARY_PW: &str = "CANARY-pw-Zx81-qq";
const CANARY_PASSPHRASE: &str = "CANARY phrase Vt52 lemon";
const ACCOUNT: &str = "moxiengage@contoso.onmicrosoft.com";

fn needles() -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    vec![
        CANARY_PW.to_string(),
        CANARY_PASSPHRASE.to_string(),
        // What a Basic header or a form body would carry, in case anything logs one.
        b64.encode(format!("{ACCOUNT}:{CANARY_PW}")),
        CANARY_PW.replace('-', "%2D"),
        "Zx81-qq".to_string(),
        "Vt52 lemon".to_string(),
    ]
}

fn assert_clean(what: &str, text: &str) {
    for n in needles() {
        assert!(!text.contains(&n), "canary {n:?} found in {what}:\n{text}");
    }
}

fn answers() -> Answers {
    Answers {
        platform: Some(Platform::Microsoft365),
        service_account: ACCOUNT.into(),
        service_password: Some(SecretString::from(CANARY_PW)),
        test_user: "agent@contoso.onmicrosoft.com".into(),
        tenant: "contoso.onmicrosoft.com".into(),
        client_id: "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d".into(),
        ..Default::default()
    }
}

fn reports() -> Vec<CheckReport> {
    vec![CheckReport {
        id: CheckId::M365Token,
        status: Status::Fail,
        code: "AADSTS50126".into(),
        guide_step: None,
        summary: "The password was not accepted.".into(),
        detail: String::new(),
        command: None,
        evidence: [("trace_id".to_string(), "t-1".to_string())].into(),
        elapsed_ms: 9,
        finished_at: String::new(),
    }]
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn run(home: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = Command::cargo_bin("moxi-setup").unwrap();
    cmd.env("MOXI_SETUP_HOME", home)
        .env_remove("MOXI_SETUP_PASSWORD")
        .env_remove("MOXI_SETUP_PASSPHRASE")
        .args(["--log-level", "trace"])
        .args(args)
        .write_stdin("")
        .timeout(Duration::from_secs(120));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let all = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), all)
}

/// Runs the binary on a terminal (a pseudo-terminal): exit code and everything it printed.
fn run_on_terminal(home: &Path, args: &[&str], env: &[(&str, &str)]) -> (u32, String) {
    use portable_pty::{CommandBuilder, PtySize, native_pty_system};
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 50,
            cols: 160,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_moxi-setup"));
    cmd.args(args);
    cmd.env("MOXI_SETUP_HOME", home);
    cmd.env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().unwrap();
    // Drain on a thread: a full PTY buffer would otherwise block the child.
    let drain = std::thread::spawn(move || {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
        out
    });
    let status = child.wait().unwrap();
    drop(pair.master);
    let out = String::from_utf8_lossy(&drain.join().unwrap()).into_owned();
    (status.exit_code(), out)
}

#[test]
fn canaries_appear_only_in_the_bundle_and_an_explicit_reveal() {
    let root = tempfile::tempdir().unwrap();
    let home = root.path().join("home");
    let out_dir = root.path().join("out");

    // Export, as the wizard's last step does.
    let sub = Submission::new(&answers(), &reports()).unwrap();
    let path = out_dir.join("moxiengage-contoso.onmicrosoft.com-2026-12-01.age");
    bundle::write_bundle(
        &path,
        &sub,
        &SecretString::from(CANARY_PASSPHRASE),
        TEST_WORK_FACTOR,
        Overwrite::Refuse,
    )
    .unwrap();
    // The support report, saved from the review screen.
    let report = bundle::support_report(&answers(), &reports());
    assert_clean("support report", &report);
    bundle::atomic::write(
        &out_dir.join("support-report.txt"),
        report.as_bytes(),
        Overwrite::Refuse,
    )
    .unwrap();
    assert_clean("summary", &bundle::summary(&sub, bundle::Reveal::No));
    assert_clean("debug output", &format!("{sub:?}"));

    let p = path.to_str().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let l = format!("login.microsoftonline.com=127.0.0.1:{closed}");
    let o = format!("outlook.office365.com=127.0.0.1:{closed}");
    let answers_toml = root.path().join("answers.toml");
    std::fs::write(
        &answers_toml,
        format!(
            "platform = \"microsoft-365\"\nservice_account = \"{ACCOUNT}\"\ntest_user = \"agent@contoso.onmicrosoft.com\"\ntenant = \"contoso.onmicrosoft.com\"\nclient_id = \"9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d\"\n"
        ),
    )
    .unwrap();
    let a = answers_toml.to_str().unwrap();
    let pass = [("MOXI_SETUP_PASSPHRASE", CANARY_PASSPHRASE)];
    type Env<'a> = Vec<(&'a str, &'a str)>;
    let runs: Vec<(Vec<&str>, Env)> = vec![
        (vec!["bundle", "open", p], pass.to_vec()),
        (vec!["bundle", "open", p, "--reveal"], pass.to_vec()),
        (
            vec!["bundle", "open", p],
            vec![("MOXI_SETUP_PASSPHRASE", "CANARY phrase Vt52 lemoX")],
        ),
        (
            vec![
                "check",
                "--bundle",
                p,
                "--json",
                "--resolve",
                &l,
                "--resolve",
                &o,
            ],
            pass.to_vec(),
        ),
        (
            vec!["check", "--bundle", p, "--resolve", &l, "--resolve", &o],
            pass.to_vec(),
        ),
        (
            vec!["check", "--answers", a, "--resolve", &l, "--resolve", &o],
            vec![("MOXI_SETUP_PASSWORD", CANARY_PW)],
        ),
        (
            vec![
                "check",
                "--answers",
                a,
                "--json",
                "--resolve",
                &l,
                "--resolve",
                &o,
            ],
            vec![("MOXI_SETUP_PASSWORD", CANARY_PW)],
        ),
    ];
    for (args, env) in &runs {
        let (code, output) = run(&home, args, env);
        assert!((0..=2).contains(&code), "{args:?} exited {code}: {output}");
        assert_clean(&format!("output of {args:?}"), &output);
    }

    // Every file the runs left (logs, drafts, reports...) except the bundle itself.
    let mut files = Vec::new();
    walk(root.path(), &mut files);
    let mut scanned = 0;
    for f in &files {
        if f == &path {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        assert_clean(&f.display().to_string(), &text);
        scanned += 1;
    }
    assert!(
        scanned >= 2,
        "the report and the answers file at least: {files:?}"
    );
    let log = home.join("logs").join("moxi-setup.log");
    assert!(
        log.exists(),
        "the runs logged to {log:?}, so the log was scanned"
    );

    // The bundle: no canary in its bytes, and the password really is inside.
    let raw = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
    assert_clean("the encrypted bundle's bytes", &raw);
    let back = bundle::read_bundle(&path, &SecretString::from(CANARY_PASSPHRASE)).unwrap();
    assert_eq!(
        back.answers.service_password.unwrap().expose_secret(),
        CANARY_PW
    );

    // An explicit reveal on a terminal shows the password (and never the passphrase).
    let (code, shown) = run_on_terminal(&home, &["bundle", "open", p, "--reveal"], &pass);
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains(CANARY_PW), "{shown}");
    assert!(!shown.contains(CANARY_PASSPHRASE), "{shown}");
    let (_, hidden) = run_on_terminal(&home, &["bundle", "open", p], &pass);
    assert!(hidden.contains(ACCOUNT), "{hidden}");
    assert_clean("bundle open on a terminal", &hidden);
    // Screen-share mode refuses even on a terminal.
    let (code, refused) = run_on_terminal(
        &home,
        &["--screen-share", "bundle", "open", p, "--reveal"],
        &pass,
    );
    assert_eq!(code, 2, "{refused}");
    assert!(refused.contains("screen-share"), "{refused}");
    assert_clean("a refused reveal in screen-share mode", &refused);
}
