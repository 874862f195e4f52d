//! `moxi-setup sim list|serve` from the command line.

use assert_cmd::Command;
use std::io::{BufRead, BufReader};

#[test]
fn list_shows_every_scenario_with_its_description() {
    let out = Command::cargo_bin("moxi-setup")
        .unwrap()
        .args(["sim", "list"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for s in moxi_setup::sim::scenarios() {
        assert!(text.contains(&s.name), "{}", s.name);
        assert!(text.contains(&s.description), "{}", s.name);
    }
}

#[test]
fn serve_refuses_non_loopback_and_unknown_scenario() {
    let out = Command::cargo_bin("moxi-setup")
        .unwrap()
        .args(["sim", "serve", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
    let out = Command::cargo_bin("moxi-setup")
        .unwrap()
        .args(["sim", "serve", "--scenario", "no-such-thing"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn serve_prints_the_client_arguments_and_answers() {
    let bin = assert_cmd::cargo::cargo_bin("moxi-setup");
    let mut child = std::process::Command::new(bin)
        .args([
            "sim",
            "serve",
            "--scenario",
            "ex2016-ready",
            "--listen",
            "127.0.0.1:0",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut ca = None;
    let mut args = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(p) = line.strip_prefix("ca-file: ") {
            ca = Some(p.to_string());
        }
        if let Some(a) = line.strip_prefix("client-args: ") {
            args = Some(a.to_string());
            break;
        }
    }
    let ca = ca.unwrap();
    let args = args.unwrap();
    assert!(args.contains(&format!("--ca-file {ca}")));
    let port: u16 = args
        .split("--resolve mail.contoso.example=127.0.0.1:")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let pem = std::fs::read_to_string(&ca).unwrap();
    assert!(pem.contains("BEGIN CERTIFICATE"));
    // A client configured only with the printed arguments reaches the simulated server.
    moxi_setup::net::install_crypto_provider();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async {
        reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(pem.as_bytes()).unwrap()])
            .resolve("mail.contoso.example", ([127, 0, 0, 1], port).into())
            .build()
            .unwrap()
            .post("https://mail.contoso.example/EWS/Exchange.asmx")
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 401);
    let _ = child.kill();
    let _ = child.wait();
}
