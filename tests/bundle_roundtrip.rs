//! Round trip against the simulated tenant: run the engine as the wizard does, export the
//! bundle, `bundle open` shows the same values (password hidden), and `check --bundle` run by
//! the receiving side against the same scenario reproduces the same results.

use moxi_setup::answers::{Answers, Platform};
use moxi_setup::bundle::{self, Overwrite, Submission, TEST_WORK_FACTOR};
use moxi_setup::checks::{self, CheckId, CheckReport, Status};
use moxi_setup::sim::{self, SimHandle, SimOptions};
use secrecy::SecretString;
use std::path::Path;
use std::time::Duration;

const PW: &str = "Demo-Passw0rd!";
const PASSPHRASE: &str = "pebble canyon violet ninety";

fn m365() -> Answers {
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

fn exchange(ignore_tls_trust: bool) -> Answers {
    Answers {
        platform: Some(Platform::ExchangeServer),
        service_account: "moxiengage@contoso.example".into(),
        service_password: Some(SecretString::from(PW)),
        test_user: "agent@contoso.example".into(),
        // Typed, so no DNS SRV lookup leaves this machine.
        ews_url: "https://mail.contoso.example/EWS/Exchange.asmx".into(),
        ignore_tls_trust,
        ..Default::default()
    }
}

async fn engine(h: &SimHandle, answers: &Answers, ignored_host: Option<&str>) -> Vec<CheckReport> {
    let mut cfg = h.net_config();
    cfg.ignore_trust_host = ignored_host.map(str::to_string);
    let ctx = checks::Context {
        net: moxi_setup::net::Net::new(cfg).unwrap(),
    };
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let wanted = CheckId::for_platform(answers.platform.unwrap());
    tokio::time::timeout(
        Duration::from_secs(120),
        checks::run(
            &ctx,
            answers,
            wanted,
            tx,
            tokio_util::sync::CancellationToken::new(),
        ),
    )
    .await
    .expect("the engine finished")
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

async fn cli(home: &Path, args: Vec<String>) -> Run {
    let home = home.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let out = assert_cmd::Command::cargo_bin("moxi-setup")
            .unwrap()
            .env("MOXI_SETUP_HOME", &home)
            .env("MOXI_SETUP_PASSPHRASE", PASSPHRASE)
            .env_remove("MOXI_SETUP_PASSWORD")
            .args(&args)
            .write_stdin("")
            .timeout(Duration::from_secs(180))
            .output()
            .unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    })
    .await
    .unwrap()
}

fn sim_args(h: &SimHandle) -> Vec<String> {
    let cfg = h.net_config();
    let mut a = Vec::new();
    for (host, addr) in &cfg.resolve {
        a.push("--resolve".to_string());
        a.push(format!("{host}={addr}"));
    }
    for f in &cfg.ca_files {
        a.push("--ca-file".to_string());
        a.push(f.display().to_string());
    }
    a
}

async fn round_trip(scenario: &str, answers: Answers) -> Vec<CheckReport> {
    let h = sim::start(SimOptions {
        scenario: scenario.into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();

    // The wizard: checks, then export.
    let sub0 = Submission::new(&answers, &[]).unwrap();
    let reports = engine(&h, &answers, sub0.ignored_tls_host()).await;
    assert!(
        !reports.is_empty(),
        "{scenario}: the engine produced reports"
    );
    let sub = Submission::new(&answers, &reports).unwrap();
    let path = dir.path().join(bundle::default_file_name(
        &answers.account_domain().unwrap(),
        time::macros::date!(2026 - 12 - 01),
    ));
    bundle::write_bundle(
        &path,
        &sub,
        &SecretString::from(PASSPHRASE),
        TEST_WORK_FACTOR,
        Overwrite::Refuse,
    )
    .unwrap();
    let p = path.display().to_string();

    // `bundle open`: the same values, password hidden, the same check results.
    let open = cli(dir.path(), vec!["bundle".into(), "open".into(), p.clone()]).await;
    assert_eq!(open.code, 0, "{}", open.stderr);
    for v in [
        &answers.service_account,
        &answers.test_user,
        &answers.tenant,
        &answers.client_id,
    ] {
        assert!(
            open.stdout.contains(v.as_str()),
            "{scenario}: {v} in\n{}",
            open.stdout
        );
    }
    assert!(!open.stdout.contains(PW) && !open.stderr.contains(PW));
    for r in &reports {
        let row = format!("{:<5} {}", r.status.as_str().to_uppercase(), r.id.as_str());
        assert!(
            open.stdout.contains(&row),
            "{scenario}: {row} in\n{}",
            open.stdout
        );
        if !r.code.is_empty() {
            assert!(open.stdout.contains(&r.code));
        }
    }
    if reports.iter().any(|r| r.status == Status::Fail) {
        assert!(open.stdout.contains("check(s) failed"), "{}", open.stdout);
    }

    // The receiving side re-verifies against the same tenant.
    let before = h.requests().len();
    let mut args = vec![
        "check".into(),
        "--bundle".into(),
        p.clone(),
        "--json".into(),
    ];
    args.extend(sim_args(&h));
    let check = cli(dir.path(), args).await;
    let v: serde_json::Value = serde_json::from_str(check.stdout.trim())
        .unwrap_or_else(|e| panic!("{scenario}: {e}: {}\n{}", check.stdout, check.stderr));
    let rows = v["checks"].as_array().unwrap();
    for r in &reports {
        let row = rows
            .iter()
            .find(|x| x["id"] == r.id.as_str())
            .unwrap_or_else(|| panic!("{scenario}: {} missing", r.id));
        assert_eq!(
            row["status"],
            r.status.as_str(),
            "{scenario} {}: {row}",
            r.id
        );
        assert_eq!(row["code"], r.code.as_str(), "{scenario} {}: {row}", r.id);
        assert_eq!(
            row["guide_step"].as_str(),
            r.guide_step.map(|g| g.to_string()).as_deref(),
            "{scenario} {}",
            r.id
        );
    }
    let expected_exit = if rows.iter().any(|x| x["status"] == "fail") {
        1
    } else {
        0
    };
    assert_eq!(check.code, expected_exit, "{scenario}: {}", check.stderr);
    assert!(!check.stdout.contains(PW) && !check.stderr.contains(PW));
    // It really went to the tenant, and sent the password only over https.
    let sent = h.requests();
    assert!(
        sent.len() > before,
        "{scenario}: check --bundle reached the sim"
    );
    for r in &sent[before..] {
        if r.credentials {
            assert_eq!(r.scheme.as_str(), "https", "{scenario}: {r:?}");
        }
    }
    h.shutdown().await;
    reports
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m365_everything_passes_round_trip() {
    let r = round_trip("m365-guide-2021", m365()).await;
    assert!(r.iter().all(|x| x.status != Status::Fail), "{r:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m365_ews_disabled_round_trip_keeps_the_failure() {
    let r = round_trip("m365-late-2026", m365()).await;
    assert!(r.iter().any(|x| x.status == Status::Fail), "{r:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_self_signed_round_trip_carries_the_trust_choice() {
    let r = round_trip("ex2016-self-signed", exchange(true)).await;
    assert!(r.iter().any(|x| x.id == CheckId::ExTls), "{r:#?}");
}
