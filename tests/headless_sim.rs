//! `moxi-setup check --answers` against the simulated tenant through the real binary: the
//! global `--resolve` / `--ca-file` options reach the engine, exit codes follow the results,
//! and the password comes from MOXI_SETUP_PASSWORD only.

use moxi_setup::sim::{self, SimHandle, SimOptions};
use std::path::Path;
use std::time::Duration;

const M365: &str = r#"platform = "microsoft-365"
service_account = "moxiengage@contoso.onmicrosoft.com"
test_user = "agent@contoso.onmicrosoft.com"
tenant = "contoso.onmicrosoft.com"
client_id = "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d"
"#;

const EXCHANGE: &str = r#"platform = "exchange-server"
service_account = "moxiengage@contoso.example"
test_user = "agent@contoso.example"
ews_url = "https://mail.contoso.example/EWS/Exchange.asmx"
"#;

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

async fn check(h: &SimHandle, dir: &Path, answers: &str) -> (i32, serde_json::Value) {
    let file = dir.join("answers.toml");
    std::fs::write(&file, answers).unwrap();
    let mut args = vec![
        "check".to_string(),
        "--answers".to_string(),
        file.display().to_string(),
        "--json".to_string(),
    ];
    args.extend(sim_args(h));
    let home = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let out = assert_cmd::Command::cargo_bin("moxi-setup")
            .unwrap()
            .env("MOXI_SETUP_HOME", &home)
            .env("MOXI_SETUP_PASSWORD", "Demo-Passw0rd!")
            .args(&args)
            .write_stdin("")
            .timeout(Duration::from_secs(180))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let v = serde_json::from_str(stdout.trim())
            .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code().unwrap_or(-1), v)
    })
    .await
    .unwrap()
}

async fn start(scenario: &str) -> SimHandle {
    sim::start(SimOptions {
        scenario: scenario.into(),
        ..Default::default()
    })
    .await
    .unwrap()
}

fn row<'a>(v: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("{id} missing in {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_where_everything_works_exits_0() {
    let h = start("m365-guide-2021").await;
    let dir = tempfile::tempdir().unwrap();
    let (code, v) = check(&h, dir.path(), M365).await;
    assert_eq!(code, 0, "{v:#}");
    assert_ne!(v["overall"], "fail");
    assert_eq!(row(&v, "m365.token")["status"], "pass");
    assert!(
        h.requests().iter().any(|r| r.credentials),
        "the password really went to the (simulated) tenant"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_password_exits_1_naming_the_code() {
    let h = start("m365-wrong-password").await;
    let dir = tempfile::tempdir().unwrap();
    let (code, v) = check(&h, dir.path(), M365).await;
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["overall"], "fail");
    let token = row(&v, "m365.token");
    assert_eq!(token["status"], "fail");
    assert_eq!(token["code"], "AADSTS50126");
    assert!(token["guide_step"].as_str().unwrap().starts_with("m365/"));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_without_the_impersonation_role_exits_1() {
    let h = start("ex2016-no-impersonation-role").await;
    let dir = tempfile::tempdir().unwrap();
    let (code, v) = check(&h, dir.path(), EXCHANGE).await;
    assert_eq!(code, 1, "{v:#}");
    let imp = row(&v, "ex.impersonate_test_user");
    assert_eq!(imp["status"], "fail", "{v:#}");
    h.shutdown().await;
}
