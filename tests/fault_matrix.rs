//! Fault matrix through the real binary: `moxi-setup check --answers FILE --json` against every
//! scenario of the simulated tenant and against small loopback servers that misbehave on
//! purpose (refused, reset mid-answer, a name that cannot resolve, TLS that fails, a server
//! that never answers, a 2 MB garbage body, an HTML sign-in page, truncated XML). Each row
//! asserts the exact check id, status, code and guide step, the exit code, that the run ends
//! well inside a generous bound (catches hangs, never measures speed) and that nothing panicked.
//!
//! Loopback only: every host is pinned with `--resolve` to 127.0.0.1. The "name does not
//! resolve" rows leave one host unpinned and run the binary in a network namespace of its own
//! (`unshare -n`, root), where no DNS server can be reached, so the lookup fails on this
//! machine without a packet leaving it.

use assert_cmd::Command;
use moxi_setup::sim::{self, SimOptions};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Generous: a run that takes this long has hung (a request timeout is 15 s).
const RUN_BOUND: Duration = Duration::from_secs(150);

const M365_HOSTS: [&str; 2] = ["login.microsoftonline.com", "outlook.office365.com"];
const EX_HOSTS: [&str; 3] = [
    "contoso.example",
    "autodiscover.contoso.example",
    "mail.contoso.example",
];

// ------------------------------------------------------------------------ misbehaving servers --

/// What a fault server does with each connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Nothing listens on the port.
    Refused,
    /// TLS and the request are fine; the answer stops half-way with a TCP reset.
    ResetMidResponse,
    /// Accepts the connection, then never sends a byte (not even a TLS hello).
    Silent,
    /// TLS and the request are fine; no answer ever comes.
    SilentAfterRequest,
    /// Speaks plain text where TLS is expected.
    NotTls,
    /// TLS with a certificate no one trusts (fresh self-signed).
    UntrustedCert,
    /// HTTP 200 with 2 MB of garbage and an honest Content-Length.
    Garbage2Mb,
    /// HTTP 200 with 2 MB of garbage, chunked (no length announced).
    Garbage2MbChunked,
    /// HTTP 200 with an HTML sign-in page.
    HtmlLogin,
    /// HTTP 200 with an EWS answer cut in the middle of an element.
    TruncatedXml,
    /// HTTP 200 with an empty body.
    EmptyBody,
    /// HTTP 500 with a SOAP fault nested far deeper than any real answer.
    DeepXml,
    /// HTTP 200 with an XML answer that declares an entity (billion laughs).
    EntityBomb,
}

struct TestPki {
    ca_pem_file: tempfile::NamedTempFile,
    config: Arc<rustls::ServerConfig>,
}

/// A CA of this test and one leaf for every simulated host, so the misbehaving servers can
/// speak trusted TLS (the fault is in what they say, not in who they are).
fn test_pki(names: &[&str]) -> TestPki {
    moxi_setup::net::install_crypto_provider();
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CommonName, "fault matrix test CA");
    ca_params.distinguished_name = dn;
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf_params =
        rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(ca.pem().as_bytes()).unwrap();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(leaf.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .unwrap();
    TestPki {
        ca_pem_file: f,
        config: Arc::new(config),
    }
}

fn self_signed_config(names: &[&str]) -> Arc<rustls::ServerConfig> {
    let c =
        rcgen::generate_simple_self_signed(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .unwrap();
    Arc::new(
        rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(c.cert.der().to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(c.signing_key.serialize_der())),
            )
            .unwrap(),
    )
}

/// Reads one HTTP request (headers and a Content-Length body), bounded.
async fn read_request<S: AsyncReadExt + Unpin>(s: &mut S) -> Option<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = s.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some(());
        }
        if buf.len() > 1 << 20 {
            return None;
        }
    }
}

fn garbage(n: usize) -> Vec<u8> {
    // Deterministic bytes that are neither JSON nor XML nor UTF-8.
    let mut x: u32 = 0x1234_5678;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x as u8) | 0x80
        })
        .collect()
}

fn http(status: &str, ctype: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

const HTML_LOGIN: &str = "<!DOCTYPE html><html><head><title>Sign in to your account</title></head>\
<body><form method=\"post\" action=\"/login\"><input type=\"email\" name=\"loginfmt\">\
<input type=\"password\" name=\"passwd\"><input type=\"submit\" value=\"Sign in\"></form></body></html>";

const TRUNCATED_XML: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?><s:Envelope \
xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Header><h:ServerVersionInfo \
MajorVersion=\"15\" MinorVersion=\"20\" xmlns:h=\"http://schemas.microsoft.com/exchange/services/2006/types\"/>\
</s:Header><s:Body><m:GetFolderResponse xmlns:m=\"http://schemas.microsoft.com/exchange/services/2006/messages\">\
<m:ResponseMessages><m:GetFolderResponseMessage ResponseClass=\"Succ";

fn deep_xml() -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>",
    );
    for _ in 0..5000 {
        s.push_str("<a>");
    }
    s
}

const ENTITY_BOMB: &str = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">\
<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\
<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>\
<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>&lol3;</s:Body></s:Envelope>";

async fn serve_one(
    fault: Fault,
    tcp: tokio::net::TcpStream,
    tls: Arc<rustls::ServerConfig>,
    hold: tokio_util::sync::CancellationToken,
) {
    match fault {
        Fault::Refused => {}
        Fault::Silent => {
            let _keep = tcp;
            hold.cancelled().await;
        }
        Fault::NotTls => {
            let mut tcp = tcp;
            let _ = tcp
                .write_all(&http("400 Bad Request", "text/plain", b"plain http here"))
                .await;
            let _ = tcp.shutdown().await;
        }
        _ => {
            let _ = tcp.set_nodelay(true);
            let acceptor = tokio_rustls::TlsAcceptor::from(tls);
            let Ok(mut s) = acceptor.accept(tcp).await else {
                return;
            };
            if read_request(&mut s).await.is_none() {
                return;
            }
            let reply = match fault {
                Fault::ResetMidResponse => {
                    let mut r = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"token_endpoint\":\"https://lo".to_vec();
                    let _ = s.write_all(&r).await;
                    let _ = s.flush().await;
                    let (tcp, _) = s.into_inner();
                    // Linger 0 turns the close into a reset; nothing blocks since nothing is queued.
                    #[allow(deprecated)]
                    let _ = tcp.set_linger(Some(Duration::ZERO));
                    drop(tcp);
                    r.clear();
                    return;
                }
                Fault::SilentAfterRequest => {
                    hold.cancelled().await;
                    return;
                }
                Fault::Garbage2Mb => http("200 OK", "application/octet-stream", &garbage(2 << 20)),
                Fault::Garbage2MbChunked => {
                    let mut out = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
                    for c in garbage(2 << 20).chunks(64 * 1024) {
                        out.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
                        out.extend_from_slice(c);
                        out.extend_from_slice(b"\r\n");
                    }
                    out.extend_from_slice(b"0\r\n\r\n");
                    out
                }
                Fault::HtmlLogin => {
                    http("200 OK", "text/html; charset=utf-8", HTML_LOGIN.as_bytes())
                }
                Fault::TruncatedXml => http(
                    "200 OK",
                    "text/xml; charset=utf-8",
                    TRUNCATED_XML.as_bytes(),
                ),
                Fault::EmptyBody => http("200 OK", "text/xml; charset=utf-8", b""),
                Fault::DeepXml => http(
                    "500 Internal Server Error",
                    "text/xml; charset=utf-8",
                    deep_xml().as_bytes(),
                ),
                Fault::EntityBomb => {
                    http("200 OK", "text/xml; charset=utf-8", ENTITY_BOMB.as_bytes())
                }
                Fault::Refused | Fault::Silent | Fault::NotTls | Fault::UntrustedCert => {
                    http("200 OK", "text/plain", b"ok")
                }
            };
            let _ = s.write_all(&reply).await;
            let _ = s.shutdown().await;
        }
    }
}

/// Starts a server with `fault` on 127.0.0.1; returns its address.
async fn fault_server(
    fault: Fault,
    tls: Arc<rustls::ServerConfig>,
    hold: tokio_util::sync::CancellationToken,
) -> SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    if fault == Fault::Refused {
        // Nothing listens on the port once the listener is gone.
        drop(l);
        return addr;
    }
    let tls = if fault == Fault::UntrustedCert {
        self_signed_config(
            &M365_HOSTS
                .iter()
                .chain(&EX_HOSTS)
                .copied()
                .collect::<Vec<_>>(),
        )
    } else {
        tls
    };
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = hold.cancelled() => return,
                a = l.accept() => {
                    let Ok((tcp, _)) = a else { return };
                    tokio::spawn(serve_one(fault, tcp, tls.clone(), hold.clone()));
                }
            }
        }
    });
    addr
}

// ----------------------------------------------------------------------------------- rows --

/// Where the run points.
#[derive(Debug, Clone, Copy)]
enum Setup {
    /// A scenario of the simulated tenant with the values its catalogue gives.
    Scenario(&'static str),
    /// Microsoft 365 against the sim, but the sign-in host is the fault server.
    M365Login(Fault),
    /// Microsoft 365 against the sim, but the EWS host is the fault server.
    M365Ews(Fault),
    /// Exchange Server with a typed EWS URL whose host is the fault server.
    ExTypedUrl(Fault),
    /// Exchange Server, Autodiscover finds the EWS URL, whose host is the fault server.
    ExDiscovered(Fault),
    /// Microsoft 365 with a sign-in host whose name cannot resolve.
    M365LoginNoDns,
    /// Exchange Server with a typed EWS URL whose host name cannot resolve.
    ExTypedUrlNoDns,
}

/// One expected check: id, status, code, guide step.
type Want = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
);

struct Row {
    setup: Setup,
    exit: i32,
    want: &'static [Want],
}

const fn row(setup: Setup, exit: i32, want: &'static [Want]) -> Row {
    Row { setup, exit, want }
}

fn scenario_answers(name: &str) -> (moxi_setup::answers::Platform, BTreeMap<String, String>) {
    let s = sim::scenarios()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no scenario {name}"));
    (s.platform, s.answers().clone())
}

fn toml_file(
    dir: &Path,
    platform: moxi_setup::answers::Platform,
    a: &BTreeMap<String, String>,
) -> String {
    let mut t = toml::Table::new();
    t.insert("platform".into(), platform.as_str().into());
    for (k, v) in a {
        if k == "ignore_tls_trust" {
            let yes = moxi_setup::answers::parse_yes_no(v).unwrap_or(false);
            t.insert(k.clone(), yes.into());
        } else if !v.is_empty() {
            t.insert(k.clone(), v.clone().into());
        }
    }
    let p = dir.join("answers.toml");
    std::fs::write(&p, toml::to_string(&t).unwrap()).unwrap();
    p.display().to_string()
}

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

fn run_row(rt: &tokio::runtime::Runtime, pki: &TestPki, r: &Row) -> Outcome {
    let hold = tokio_util::sync::CancellationToken::new();
    let (scenario, fault) = match r.setup {
        Setup::Scenario(s) => (s, None),
        Setup::M365Login(f) | Setup::M365Ews(f) => ("m365-guide-2021", Some(f)),
        Setup::ExTypedUrl(f) => ("ex2016-no-autodiscover", Some(f)),
        Setup::ExDiscovered(f) => ("ex2016-ready", Some(f)),
        Setup::M365LoginNoDns => ("m365-guide-2021", None),
        Setup::ExTypedUrlNoDns => ("ex2016-no-autodiscover", None),
    };
    let h = rt
        .block_on(sim::start(SimOptions {
            scenario: scenario.into(),
            ..Default::default()
        }))
        .unwrap();
    let net = h.net_config();
    let mut resolve: Vec<(String, SocketAddr)> = net.resolve.clone();
    let fault_addr = fault.map(|f| rt.block_on(fault_server(f, pki.config.clone(), hold.clone())));
    let (platform, mut answers) = scenario_answers(scenario);
    let pin = |host: &str, addr: SocketAddr, resolve: &mut Vec<(String, SocketAddr)>| {
        resolve.retain(|(h, _)| h != host);
        resolve.push((host.to_string(), addr));
    };
    match (r.setup, fault_addr) {
        (Setup::M365Login(_), Some(a)) => pin("login.microsoftonline.com", a, &mut resolve),
        (Setup::M365Ews(_), Some(a)) => pin("outlook.office365.com", a, &mut resolve),
        (Setup::ExTypedUrl(_), Some(a)) | (Setup::ExDiscovered(_), Some(a)) => {
            pin("mail.contoso.example", a, &mut resolve)
        }
        _ => {}
    }
    if let Setup::ExTypedUrl(_) = r.setup {
        answers.insert(
            "ews_url".into(),
            "https://mail.contoso.example/EWS/Exchange.asmx".into(),
        );
    }
    let no_dns = matches!(r.setup, Setup::M365LoginNoDns | Setup::ExTypedUrlNoDns);
    if let Setup::M365LoginNoDns = r.setup {
        resolve.retain(|(h, _)| h != "login.microsoftonline.com");
    }
    if let Setup::ExTypedUrlNoDns = r.setup {
        resolve.retain(|(h, _)| h != "mail.contoso.example");
        answers.insert(
            "ews_url".into(),
            "https://mail.contoso.example/EWS/Exchange.asmx".into(),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let file = toml_file(dir.path(), platform, &answers);
    let mut args: Vec<String> = vec!["check".into(), "--answers".into(), file, "--json".into()];
    for (host, addr) in &resolve {
        args.extend(["--resolve".into(), format!("{host}={addr}")]);
    }
    for ca in &net.ca_files {
        args.extend(["--ca-file".into(), ca.display().to_string()]);
    }
    args.extend([
        "--ca-file".into(),
        pki.ca_pem_file.path().display().to_string(),
    ]);
    let start = Instant::now();
    let bin = assert_cmd::cargo::cargo_bin("moxi-setup");
    let mut cmd = if no_dns {
        let mut c = Command::new("unshare");
        c.arg("-n").arg(bin);
        c
    } else {
        Command::new(bin)
    };
    let out = cmd
        .env("MOXI_SETUP_HOME", dir.path())
        .env("MOXI_SETUP_PASSWORD", sim::scenario::PASSWORD)
        .env_remove("MOXI_SETUP_PASSPHRASE")
        .env("RUST_BACKTRACE", "0")
        .args(&args)
        .write_stdin("")
        .timeout(RUN_BOUND)
        .output()
        .unwrap();
    let elapsed = start.elapsed();
    hold.cancel();
    rt.block_on(h.shutdown());
    Outcome {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed,
    }
}

/// Checks one row; returns a description of every mismatch.
fn check_row(o: &Outcome, r: &Row) -> Vec<String> {
    let mut bad = Vec::new();
    if o.stderr.contains("panicked") || o.stdout.contains("panicked") {
        bad.push(format!("panicked: {}", o.stderr));
    }
    if o.elapsed >= RUN_BOUND {
        bad.push(format!("hung: still running after {:?}", o.elapsed));
    }
    if o.code != r.exit {
        bad.push(format!("exit {} (want {})", o.code, r.exit));
    }
    let v: serde_json::Value = match serde_json::from_str(&o.stdout) {
        Ok(v) => v,
        Err(e) => {
            bad.push(format!("stdout is not one JSON object ({e}): {}", o.stdout));
            return bad;
        }
    };
    let checks = v["checks"].as_array().cloned().unwrap_or_default();
    for (id, status, code, step) in r.want {
        let Some(c) = checks.iter().find(|c| c["id"] == *id) else {
            bad.push(format!("{id}: missing"));
            continue;
        };
        let got = (
            c["status"].as_str().unwrap_or("?"),
            c["code"].as_str().unwrap_or("?"),
            c["guide_step"].as_str(),
        );
        if got != (*status, *code, *step) {
            bad.push(format!(
                "{id}: got {got:?}, want {:?}; summary: {}",
                (status, code, step),
                c["summary"]
            ));
        }
        if *status == "fail" && c["detail"].as_str().is_none_or(str::is_empty) && !code.is_empty() {
            bad.push(format!("{id}: a failure with no explanation"));
        }
    }
    if o.stdout.contains(sim::scenario::PASSWORD) || o.stderr.contains(sim::scenario::PASSWORD) {
        bad.push("the password was printed".into());
    }
    bad
}

fn can_unshare() -> bool {
    std::process::Command::new("unshare")
        .args(["-n", "true"])
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs rows, printing what each got when `FAULT_MATRIX_PRINT` is set, and fails listing
/// every mismatching row at once.
fn run_rows(rows: &[Row]) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let pki = test_pki(
        &M365_HOSTS
            .iter()
            .chain(&EX_HOSTS)
            .copied()
            .collect::<Vec<_>>(),
    );
    let mut failures = Vec::new();
    for r in rows {
        if matches!(r.setup, M365LoginNoDns | ExTypedUrlNoDns) && !can_unshare() {
            eprintln!(
                "NOT RUN {:?}: `unshare -n` is not available here (needs root)",
                r.setup
            );
            continue;
        }
        let o = run_row(&rt, &pki, r);
        if std::env::var_os("FAULT_MATRIX_PRINT").is_some() {
            let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap_or_default();
            eprintln!("ROW {:?} exit={} in {:?}", r.setup, o.code, o.elapsed);
            for c in v["checks"].as_array().cloned().unwrap_or_default() {
                eprintln!(
                    "    (\"{}\", \"{}\", \"{}\", {:?}),",
                    c["id"].as_str().unwrap_or(""),
                    c["status"].as_str().unwrap_or(""),
                    c["code"].as_str().unwrap_or(""),
                    c["guide_step"].as_str()
                );
            }
        }
        let bad = check_row(&o, r);
        if !bad.is_empty() {
            failures.push(format!("{:?}:\n  {}", r.setup, bad.join("\n  ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

use Fault::*;
use Setup::*;

// ------------------------------------------------------------------------------- the table --

const M365_SCENARIOS: &[Row] = &[
    row(
        Scenario("m365-test-user-kiosk-licence"),
        1,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "pass", "", Some("m365/4.30")),
            ("m365.claims", "pass", "", Some("m365/4.23")),
            ("m365.ews", "pass", "", Some("m365/4.23")),
            ("m365.impersonate_self", "pass", "", Some("m365/2.7")),
            (
                "m365.impersonate_test_user",
                "fail",
                "HTTP403",
                Some("m365/5.1"),
            ),
            ("m365.password_expiry", "pass", "", Some("m365/3.10")),
        ],
    ),
    row(
        Scenario("m365-guide-2021"),
        0,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "pass", "", Some("m365/4.30")),
            ("m365.claims", "pass", "", Some("m365/4.23")),
            ("m365.ews", "pass", "", Some("m365/4.23")),
            ("m365.impersonate_self", "pass", "", Some("m365/2.7")),
            ("m365.impersonate_test_user", "pass", "", Some("m365/5.1")),
            ("m365.password_expiry", "pass", "", Some("m365/3.10")),
        ],
    ),
    row(
        Scenario("m365-late-2026"),
        1,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "pass", "", Some("m365/4.30")),
            ("m365.claims", "pass", "", Some("m365/4.23")),
            ("m365.ews", "fail", "HTTP403", Some("m365/4.23")),
            (
                "m365.impersonate_self",
                "fail",
                "HTTP403",
                Some("m365/4.23"),
            ),
            (
                "m365.impersonate_test_user",
                "fail",
                "HTTP403",
                Some("m365/4.23"),
            ),
            ("m365.password_expiry", "warn", "HTTP403", Some("m365/3.11")),
        ],
    ),
    row(
        Scenario("m365-allowlisted"),
        1,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "pass", "", Some("m365/4.30")),
            ("m365.claims", "pass", "", Some("m365/4.23")),
            ("m365.ews", "pass", "", Some("m365/4.23")),
            (
                "m365.impersonate_self",
                "fail",
                "ErrorImpersonateUserDenied",
                Some("m365/2.6"),
            ),
            (
                "m365.impersonate_test_user",
                "fail",
                "ErrorImpersonateUserDenied",
                Some("m365/2.6"),
            ),
            ("m365.password_expiry", "pass", "", Some("m365/3.10")),
        ],
    ),
    row(
        Scenario("m365-app-not-allowlisted"),
        1,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "pass", "", Some("m365/4.30")),
            ("m365.claims", "pass", "", Some("m365/4.23")),
            ("m365.ews", "fail", "HTTP403", Some("m365/4.23")),
            (
                "m365.impersonate_self",
                "fail",
                "HTTP403",
                Some("m365/4.23"),
            ),
            (
                "m365.impersonate_test_user",
                "fail",
                "HTTP403",
                Some("m365/4.23"),
            ),
            ("m365.password_expiry", "warn", "HTTP403", Some("m365/3.11")),
        ],
    ),
    row(
        Scenario("m365-public-client-off"),
        1,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "fail", "AADSTS7000218", Some("m365/4.30")),
            ("m365.claims", "skip", "", None),
            ("m365.ews", "skip", "", None),
            ("m365.impersonate_self", "skip", "", None),
            ("m365.impersonate_test_user", "skip", "", None),
            ("m365.password_expiry", "skip", "", None),
        ],
    ),
    row(
        Scenario("m365-no-consent"),
        1,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "fail", "AADSTS65001", Some("m365/4.26")),
            ("m365.claims", "skip", "", None),
            ("m365.ews", "skip", "", None),
            ("m365.impersonate_self", "skip", "", None),
            ("m365.impersonate_test_user", "skip", "", None),
            ("m365.password_expiry", "skip", "", None),
        ],
    ),
    row(
        Scenario("m365-wrong-client-id"),
        1,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "fail", "AADSTS700016", Some("m365/4.11")),
            ("m365.claims", "skip", "", None),
            ("m365.ews", "skip", "", None),
            ("m365.impersonate_self", "skip", "", None),
            ("m365.impersonate_test_user", "skip", "", None),
            ("m365.password_expiry", "skip", "", None),
        ],
    ),
    row(
        Scenario("m365-wrong-tenant"),
        1,
        &[
            ("m365.tenant", "fail", "TENANT-MISMATCH", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "skip", "", None),
            ("m365.claims", "skip", "", None),
            ("m365.ews", "skip", "", None),
            ("m365.impersonate_self", "skip", "", None),
            ("m365.impersonate_test_user", "skip", "", None),
            ("m365.password_expiry", "skip", "", None),
        ],
    ),
    row(
        Scenario("m365-unknown-tenant"),
        1,
        &[
            ("m365.tenant", "fail", "AADSTS90002", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "skip", "", None),
            ("m365.claims", "skip", "", None),
            ("m365.ews", "skip", "", None),
            ("m365.impersonate_self", "skip", "", None),
            ("m365.impersonate_test_user", "skip", "", None),
            ("m365.password_expiry", "skip", "", None),
        ],
    ),
    row(
        Scenario("m365-wrong-password"),
        1,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "fail", "AADSTS50126", Some("m365/1.4")),
            ("m365.claims", "skip", "", None),
            ("m365.ews", "skip", "", None),
            ("m365.impersonate_self", "skip", "", None),
            ("m365.impersonate_test_user", "skip", "", None),
            ("m365.password_expiry", "skip", "", None),
        ],
    ),
    row(
        Scenario("m365-federated"),
        1,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "fail", "FEDERATED", Some("m365/1.4")),
            ("m365.token", "skip", "", None),
            ("m365.claims", "skip", "", None),
            ("m365.ews", "skip", "", None),
            ("m365.impersonate_self", "skip", "", None),
            ("m365.impersonate_test_user", "skip", "", None),
            ("m365.password_expiry", "skip", "", None),
        ],
    ),
    row(
        Scenario("m365-mfa-required"),
        1,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "fail", "AADSTS50076", Some("m365/1.4")),
            ("m365.claims", "skip", "", None),
            ("m365.ews", "skip", "", None),
            ("m365.impersonate_self", "skip", "", None),
            ("m365.impersonate_test_user", "skip", "", None),
            ("m365.password_expiry", "skip", "", None),
        ],
    ),
    row(
        Scenario("m365-conditional-access"),
        1,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "fail", "AADSTS53003", Some("m365/1.4")),
            ("m365.claims", "skip", "", None),
            ("m365.ews", "skip", "", None),
            ("m365.impersonate_self", "skip", "", None),
            ("m365.impersonate_test_user", "skip", "", None),
            ("m365.password_expiry", "skip", "", None),
        ],
    ),
    row(
        Scenario("m365-security-defaults"),
        1,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "fail", "AADSTS530035", Some("m365/1.4")),
            ("m365.claims", "skip", "", None),
            ("m365.ews", "skip", "", None),
            ("m365.impersonate_self", "skip", "", None),
            ("m365.impersonate_test_user", "skip", "", None),
            ("m365.password_expiry", "skip", "", None),
        ],
    ),
    row(
        Scenario("m365-account-disabled"),
        1,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "fail", "AADSTS50057", Some("m365/1.2")),
            ("m365.claims", "skip", "", None),
            ("m365.ews", "skip", "", None),
            ("m365.impersonate_self", "skip", "", None),
            ("m365.impersonate_test_user", "skip", "", None),
            ("m365.password_expiry", "skip", "", None),
        ],
    ),
    row(
        Scenario("m365-locked"),
        1,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "fail", "AADSTS50053", Some("m365/1.2")),
            ("m365.claims", "skip", "", None),
            ("m365.ews", "skip", "", None),
            ("m365.impersonate_self", "skip", "", None),
            ("m365.impersonate_test_user", "skip", "", None),
            ("m365.password_expiry", "skip", "", None),
        ],
    ),
    row(
        Scenario("m365-password-expired"),
        1,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "fail", "AADSTS50055", Some("m365/3.10")),
            ("m365.claims", "skip", "", None),
            ("m365.ews", "skip", "", None),
            ("m365.impersonate_self", "skip", "", None),
            ("m365.impersonate_test_user", "skip", "", None),
            ("m365.password_expiry", "skip", "", None),
        ],
    ),
    row(
        Scenario("m365-no-exchange"),
        1,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "fail", "AADSTS500011", Some("m365/4.20")),
            ("m365.claims", "skip", "", None),
            ("m365.ews", "skip", "", None),
            ("m365.impersonate_self", "skip", "", None),
            ("m365.impersonate_test_user", "skip", "", None),
            ("m365.password_expiry", "skip", "", None),
        ],
    ),
    row(
        Scenario("m365-test-user-no-mailbox"),
        1,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "pass", "", Some("m365/4.30")),
            ("m365.claims", "pass", "", Some("m365/4.23")),
            ("m365.ews", "pass", "", Some("m365/4.23")),
            ("m365.impersonate_self", "pass", "", Some("m365/2.7")),
            (
                "m365.impersonate_test_user",
                "fail",
                "ErrorNonExistentMailbox",
                Some("m365/5.1"),
            ),
            ("m365.password_expiry", "pass", "", Some("m365/3.10")),
        ],
    ),
    row(
        Scenario("m365-throttled"),
        0,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "pass", "", Some("m365/4.30")),
            ("m365.claims", "pass", "", Some("m365/4.23")),
            ("m365.ews", "pass", "", Some("m365/4.23")),
            ("m365.impersonate_self", "pass", "", Some("m365/2.7")),
            ("m365.impersonate_test_user", "pass", "", Some("m365/5.1")),
            ("m365.password_expiry", "pass", "", Some("m365/3.10")),
        ],
    ),
    row(
        Scenario("m365-password-expires"),
        0,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "pass", "", Some("m365/4.30")),
            ("m365.claims", "pass", "", Some("m365/4.23")),
            ("m365.ews", "pass", "", Some("m365/4.23")),
            ("m365.impersonate_self", "pass", "", Some("m365/2.7")),
            ("m365.impersonate_test_user", "pass", "", Some("m365/5.1")),
            (
                "m365.password_expiry",
                "warn",
                "PASSWORD-EXPIRES",
                Some("m365/3.10"),
            ),
        ],
    ),
    row(
        Scenario("m365-unavailable"),
        1,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "pass", "", Some("m365/4.30")),
            ("m365.claims", "pass", "", Some("m365/4.23")),
            ("m365.ews", "fail", "HTTP503", None),
            ("m365.impersonate_self", "fail", "HTTP503", None),
            ("m365.impersonate_test_user", "fail", "HTTP503", None),
            ("m365.password_expiry", "warn", "HTTP503", Some("m365/3.11")),
        ],
    ),
];

const EX_SCENARIOS: &[Row] = &[
    row(
        Scenario("ex2016-service-account-no-mailbox"),
        1,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "pass", "", None),
            ("ex.auth", "pass", "", None),
            (
                "ex.self",
                "fail",
                "ErrorMissingEmailAddress",
                Some("ex2016/1.3"),
            ),
            (
                "ex.impersonate_self",
                "fail",
                "ErrorNonExistentMailbox",
                Some("ex2016/1.3"),
            ),
            ("ex.impersonate_test_user", "pass", "", None),
            (
                "ex.password_expiry",
                "warn",
                "ErrorNonExistentMailbox",
                Some("ex2016/1.4"),
            ),
            ("ex.version", "warn", "END-OF-SUPPORT", None),
        ],
    ),
    row(
        Scenario("ex2016-ready"),
        0,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "pass", "", None),
            ("ex.auth", "pass", "", None),
            ("ex.self", "pass", "", None),
            ("ex.impersonate_self", "pass", "", None),
            ("ex.impersonate_test_user", "pass", "", None),
            ("ex.password_expiry", "pass", "", None),
            ("ex.version", "warn", "END-OF-SUPPORT", None),
        ],
    ),
    row(
        Scenario("ex2016-no-impersonation-role"),
        1,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "pass", "", None),
            ("ex.auth", "pass", "", None),
            ("ex.self", "pass", "", None),
            (
                "ex.impersonate_self",
                "fail",
                "ErrorImpersonateUserDenied",
                Some("ex2016/2.4"),
            ),
            (
                "ex.impersonate_test_user",
                "fail",
                "ErrorImpersonateUserDenied",
                Some("ex2016/2.3"),
            ),
            ("ex.password_expiry", "pass", "", None),
            ("ex.version", "warn", "END-OF-SUPPORT", None),
        ],
    ),
    row(
        Scenario("ex2016-self-signed"),
        1,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "fail", "TLS-UNTRUSTED", Some("ex2016/3.11")),
            ("ex.auth", "skip", "", None),
            ("ex.self", "skip", "", None),
            ("ex.impersonate_self", "skip", "", None),
            ("ex.impersonate_test_user", "skip", "", None),
            ("ex.password_expiry", "skip", "", None),
            ("ex.version", "skip", "", None),
        ],
    ),
    row(
        Scenario("ex2016-expired-cert"),
        1,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "fail", "TLS-EXPIRED", Some("ex2016/3.11")),
            ("ex.auth", "skip", "", None),
            ("ex.self", "skip", "", None),
            ("ex.impersonate_self", "skip", "", None),
            ("ex.impersonate_test_user", "skip", "", None),
            ("ex.password_expiry", "skip", "", None),
            ("ex.version", "skip", "", None),
        ],
    ),
    row(
        Scenario("ex2016-wrong-name-cert"),
        1,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "fail", "TLS-NAME-MISMATCH", Some("ex2016/3.11")),
            ("ex.auth", "skip", "", None),
            ("ex.self", "skip", "", None),
            ("ex.impersonate_self", "skip", "", None),
            ("ex.impersonate_test_user", "skip", "", None),
            ("ex.password_expiry", "skip", "", None),
            ("ex.version", "skip", "", None),
        ],
    ),
    row(
        Scenario("ex2016-basic-off"),
        1,
        &[
            ("ex.discover", "fail", "BASIC-AUTH-OFF", Some("ex2016/3.4")),
            ("ex.tls", "skip", "", None),
            ("ex.auth", "skip", "", None),
            ("ex.self", "skip", "", None),
            ("ex.impersonate_self", "skip", "", None),
            ("ex.impersonate_test_user", "skip", "", None),
            ("ex.password_expiry", "skip", "", None),
            ("ex.version", "skip", "", None),
        ],
    ),
    row(
        Scenario("ex2016-autodiscover-redirect"),
        0,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "pass", "", None),
            ("ex.auth", "pass", "", None),
            ("ex.self", "pass", "", None),
            ("ex.impersonate_self", "pass", "", None),
            ("ex.impersonate_test_user", "pass", "", None),
            ("ex.password_expiry", "pass", "", None),
            ("ex.version", "warn", "END-OF-SUPPORT", None),
        ],
    ),
    row(
        Scenario("ex2016-redirect-loop"),
        1,
        &[
            ("ex.discover", "fail", "REDIRECT-LOOP", Some("ex2016/3.4")),
            ("ex.tls", "skip", "", None),
            ("ex.auth", "skip", "", None),
            ("ex.self", "skip", "", None),
            ("ex.impersonate_self", "skip", "", None),
            ("ex.impersonate_test_user", "skip", "", None),
            ("ex.password_expiry", "skip", "", None),
            ("ex.version", "skip", "", None),
        ],
    ),
    row(
        Scenario("ex2016-http-redirect"),
        0,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "pass", "", None),
            ("ex.auth", "pass", "", None),
            ("ex.self", "pass", "", None),
            ("ex.impersonate_self", "pass", "", None),
            ("ex.impersonate_test_user", "pass", "", None),
            ("ex.password_expiry", "pass", "", None),
            ("ex.version", "warn", "END-OF-SUPPORT", None),
        ],
    ),
    row(
        Scenario("ex2016-redirect-url"),
        0,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "pass", "", None),
            ("ex.auth", "pass", "", None),
            ("ex.self", "pass", "", None),
            ("ex.impersonate_self", "pass", "", None),
            ("ex.impersonate_test_user", "pass", "", None),
            ("ex.password_expiry", "pass", "", None),
            ("ex.version", "warn", "END-OF-SUPPORT", None),
        ],
    ),
    row(
        Scenario("ex2016-redirect-url-http"),
        0,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "pass", "", None),
            ("ex.auth", "pass", "", None),
            ("ex.self", "pass", "", None),
            ("ex.impersonate_self", "pass", "", None),
            ("ex.impersonate_test_user", "pass", "", None),
            ("ex.password_expiry", "pass", "", None),
            ("ex.version", "warn", "END-OF-SUPPORT", None),
        ],
    ),
    row(
        Scenario("ex2016-redirect-chain"),
        0,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "pass", "", None),
            ("ex.auth", "pass", "", None),
            ("ex.self", "pass", "", None),
            ("ex.impersonate_self", "pass", "", None),
            ("ex.impersonate_test_user", "pass", "", None),
            ("ex.password_expiry", "pass", "", None),
            ("ex.version", "warn", "END-OF-SUPPORT", None),
        ],
    ),
    row(
        Scenario("ex2016-http-redirect-foreign"),
        0,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "pass", "", None),
            ("ex.auth", "pass", "", None),
            ("ex.self", "pass", "", None),
            ("ex.impersonate_self", "pass", "", None),
            ("ex.impersonate_test_user", "pass", "", None),
            ("ex.password_expiry", "pass", "", None),
            ("ex.version", "warn", "END-OF-SUPPORT", None),
        ],
    ),
    row(
        Scenario("ex2016-password-expiring"),
        0,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "pass", "", None),
            ("ex.auth", "pass", "", None),
            ("ex.self", "pass", "", None),
            ("ex.impersonate_self", "pass", "", None),
            ("ex.impersonate_test_user", "pass", "", None),
            (
                "ex.password_expiry",
                "warn",
                "PASSWORD-EXPIRES",
                Some("ex2016/1.4"),
            ),
            ("ex.version", "warn", "END-OF-SUPPORT", None),
        ],
    ),
    row(
        Scenario("ex2016-no-autodiscover"),
        0,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "pass", "", None),
            ("ex.auth", "pass", "", None),
            ("ex.self", "pass", "", None),
            ("ex.impersonate_self", "pass", "", None),
            ("ex.impersonate_test_user", "pass", "", None),
            ("ex.password_expiry", "pass", "", None),
            ("ex.version", "warn", "END-OF-SUPPORT", None),
        ],
    ),
    row(
        Scenario("ex2016-blackholed-first"),
        0,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "pass", "", None),
            ("ex.auth", "pass", "", None),
            ("ex.self", "pass", "", None),
            ("ex.impersonate_self", "pass", "", None),
            ("ex.impersonate_test_user", "pass", "", None),
            ("ex.password_expiry", "pass", "", None),
            ("ex.version", "warn", "END-OF-SUPPORT", None),
        ],
    ),
    row(
        Scenario("ex2016-test-user-no-mailbox"),
        1,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "pass", "", None),
            ("ex.auth", "pass", "", None),
            ("ex.self", "pass", "", None),
            ("ex.impersonate_self", "pass", "", None),
            (
                "ex.impersonate_test_user",
                "fail",
                "ErrorNonExistentMailbox",
                Some("ex2016/3.1"),
            ),
            ("ex.password_expiry", "pass", "", None),
            ("ex.version", "warn", "END-OF-SUPPORT", None),
        ],
    ),
    row(
        Scenario("ex2016-busy"),
        0,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "pass", "", None),
            ("ex.auth", "pass", "", None),
            ("ex.self", "pass", "", None),
            ("ex.impersonate_self", "pass", "", None),
            ("ex.impersonate_test_user", "pass", "", None),
            ("ex.password_expiry", "pass", "", None),
            ("ex.version", "warn", "END-OF-SUPPORT", None),
        ],
    ),
    row(
        Scenario("ex2016-restarting"),
        0,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "pass", "", None),
            ("ex.auth", "pass", "", None),
            ("ex.self", "pass", "", None),
            ("ex.impersonate_self", "pass", "", None),
            ("ex.impersonate_test_user", "pass", "", None),
            ("ex.password_expiry", "pass", "", None),
            ("ex.version", "warn", "END-OF-SUPPORT", None),
        ],
    ),
    row(
        Scenario("ex2016-unavailable"),
        1,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "pass", "", None),
            ("ex.auth", "fail", "HTTP503", None),
            ("ex.self", "skip", "", None),
            ("ex.impersonate_self", "skip", "", None),
            ("ex.impersonate_test_user", "skip", "", None),
            ("ex.password_expiry", "skip", "", None),
            ("ex.version", "skip", "", None),
        ],
    ),
    row(
        Scenario("exse-ready"),
        0,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "pass", "", None),
            ("ex.auth", "pass", "", None),
            ("ex.self", "pass", "", None),
            ("ex.impersonate_self", "pass", "", None),
            ("ex.impersonate_test_user", "pass", "", None),
            ("ex.password_expiry", "pass", "", None),
            ("ex.version", "pass", "", None),
        ],
    ),
];

const FAULTS: &[Row] = &[
    row(
        M365Login(Refused),
        1,
        &[
            ("m365.tenant", "fail", "CONNECTION-REFUSED", None),
            ("m365.realm", "fail", "CONNECTION-REFUSED", None),
            ("m365.token", "skip", "", None),
            ("m365.claims", "skip", "", None),
            ("m365.ews", "skip", "", None),
            ("m365.impersonate_self", "skip", "", None),
            ("m365.impersonate_test_user", "skip", "", None),
            ("m365.password_expiry", "skip", "", None),
        ],
    ),
    row(
        M365Login(ResetMidResponse),
        1,
        &[
            ("m365.tenant", "fail", "NETWORK", None),
            ("m365.realm", "fail", "NETWORK", None),
            ("m365.token", "skip", "", None),
            ("m365.claims", "skip", "", None),
            ("m365.ews", "skip", "", None),
            ("m365.impersonate_self", "skip", "", None),
            ("m365.impersonate_test_user", "skip", "", None),
            ("m365.password_expiry", "skip", "", None),
        ],
    ),
    row(
        M365LoginNoDns,
        1,
        &[
            ("m365.tenant", "fail", "DNS-NXDOMAIN", None),
            ("m365.realm", "fail", "DNS-NXDOMAIN", None),
            ("m365.token", "skip", "", None),
            ("m365.claims", "skip", "", None),
            ("m365.ews", "skip", "", None),
            ("m365.impersonate_self", "skip", "", None),
            ("m365.impersonate_test_user", "skip", "", None),
            ("m365.password_expiry", "skip", "", None),
        ],
    ),
    row(
        M365Login(NotTls),
        1,
        &[
            ("m365.tenant", "fail", "TLS-ERROR", None),
            ("m365.realm", "fail", "TLS-ERROR", None),
            ("m365.token", "skip", "", None),
            ("m365.claims", "skip", "", None),
            ("m365.ews", "skip", "", None),
            ("m365.impersonate_self", "skip", "", None),
            ("m365.impersonate_test_user", "skip", "", None),
            ("m365.password_expiry", "skip", "", None),
        ],
    ),
    row(
        M365Login(UntrustedCert),
        1,
        &[
            ("m365.tenant", "fail", "TLS-UNTRUSTED", None),
            ("m365.realm", "fail", "TLS-UNTRUSTED", None),
            ("m365.token", "skip", "", None),
            ("m365.claims", "skip", "", None),
            ("m365.ews", "skip", "", None),
            ("m365.impersonate_self", "skip", "", None),
            ("m365.impersonate_test_user", "skip", "", None),
            ("m365.password_expiry", "skip", "", None),
        ],
    ),
    row(
        M365Login(Silent),
        1,
        &[
            ("m365.tenant", "fail", "TIMEOUT", None),
            ("m365.realm", "fail", "TIMEOUT", None),
            ("m365.token", "skip", "", None),
            ("m365.claims", "skip", "", None),
            ("m365.ews", "skip", "", None),
            ("m365.impersonate_self", "skip", "", None),
            ("m365.impersonate_test_user", "skip", "", None),
            ("m365.password_expiry", "skip", "", None),
        ],
    ),
    row(
        M365Login(Garbage2Mb),
        1,
        &[
            ("m365.tenant", "fail", "BODY-TOO-LARGE", None),
            ("m365.realm", "fail", "BODY-TOO-LARGE", None),
            ("m365.token", "skip", "", None),
            ("m365.claims", "skip", "", None),
            ("m365.ews", "skip", "", None),
            ("m365.impersonate_self", "skip", "", None),
            ("m365.impersonate_test_user", "skip", "", None),
            ("m365.password_expiry", "skip", "", None),
        ],
    ),
    row(
        M365Login(HtmlLogin),
        1,
        &[
            ("m365.tenant", "fail", "NOT-ENTRA", None),
            ("m365.realm", "fail", "NOT-ENTRA", None),
            ("m365.token", "skip", "", None),
            ("m365.claims", "skip", "", None),
            ("m365.ews", "skip", "", None),
            ("m365.impersonate_self", "skip", "", None),
            ("m365.impersonate_test_user", "skip", "", None),
            ("m365.password_expiry", "skip", "", None),
        ],
    ),
    row(
        M365Ews(ResetMidResponse),
        1,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "pass", "", Some("m365/4.30")),
            ("m365.claims", "pass", "", Some("m365/4.23")),
            ("m365.ews", "fail", "NETWORK", None),
            ("m365.impersonate_self", "fail", "NETWORK", None),
            ("m365.impersonate_test_user", "fail", "NETWORK", None),
            ("m365.password_expiry", "warn", "NETWORK", Some("m365/3.11")),
        ],
    ),
    row(
        M365Ews(SilentAfterRequest),
        1,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "pass", "", Some("m365/4.30")),
            ("m365.claims", "pass", "", Some("m365/4.23")),
            ("m365.ews", "fail", "TIMEOUT", None),
            ("m365.impersonate_self", "fail", "TIMEOUT", None),
            ("m365.impersonate_test_user", "fail", "TIMEOUT", None),
            ("m365.password_expiry", "warn", "TIMEOUT", Some("m365/3.11")),
        ],
    ),
    row(
        M365Ews(Garbage2Mb),
        1,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "pass", "", Some("m365/4.30")),
            ("m365.claims", "pass", "", Some("m365/4.23")),
            ("m365.ews", "fail", "BODY-TOO-LARGE", None),
            ("m365.impersonate_self", "fail", "BODY-TOO-LARGE", None),
            ("m365.impersonate_test_user", "fail", "BODY-TOO-LARGE", None),
            (
                "m365.password_expiry",
                "warn",
                "BODY-TOO-LARGE",
                Some("m365/3.11"),
            ),
        ],
    ),
    row(
        M365Ews(Garbage2MbChunked),
        1,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "pass", "", Some("m365/4.30")),
            ("m365.claims", "pass", "", Some("m365/4.23")),
            ("m365.ews", "fail", "BODY-TOO-LARGE", None),
            ("m365.impersonate_self", "fail", "BODY-TOO-LARGE", None),
            ("m365.impersonate_test_user", "fail", "BODY-TOO-LARGE", None),
            (
                "m365.password_expiry",
                "warn",
                "BODY-TOO-LARGE",
                Some("m365/3.11"),
            ),
        ],
    ),
    row(
        M365Ews(HtmlLogin),
        1,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "pass", "", Some("m365/4.30")),
            ("m365.claims", "pass", "", Some("m365/4.23")),
            ("m365.ews", "fail", "NOT-EWS", None),
            ("m365.impersonate_self", "fail", "NOT-EWS", None),
            ("m365.impersonate_test_user", "fail", "NOT-EWS", None),
            ("m365.password_expiry", "warn", "NOT-EWS", Some("m365/3.11")),
        ],
    ),
    row(
        M365Ews(TruncatedXml),
        1,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "pass", "", Some("m365/4.30")),
            ("m365.claims", "pass", "", Some("m365/4.23")),
            ("m365.ews", "fail", "NOT-EWS", None),
            ("m365.impersonate_self", "fail", "NOT-EWS", None),
            ("m365.impersonate_test_user", "fail", "NOT-EWS", None),
            ("m365.password_expiry", "warn", "NOT-EWS", Some("m365/3.11")),
        ],
    ),
    row(
        M365Ews(EmptyBody),
        1,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "pass", "", Some("m365/4.30")),
            ("m365.claims", "pass", "", Some("m365/4.23")),
            ("m365.ews", "fail", "NOT-EWS", None),
            ("m365.impersonate_self", "fail", "NOT-EWS", None),
            ("m365.impersonate_test_user", "fail", "NOT-EWS", None),
            ("m365.password_expiry", "warn", "NOT-EWS", Some("m365/3.11")),
        ],
    ),
    row(
        M365Ews(DeepXml),
        1,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "pass", "", Some("m365/4.30")),
            ("m365.claims", "pass", "", Some("m365/4.23")),
            ("m365.ews", "fail", "HTTP500", None),
            ("m365.impersonate_self", "fail", "HTTP500", None),
            ("m365.impersonate_test_user", "fail", "HTTP500", None),
            ("m365.password_expiry", "warn", "HTTP500", Some("m365/3.11")),
        ],
    ),
    row(
        M365Ews(EntityBomb),
        1,
        &[
            ("m365.tenant", "pass", "", Some("m365/4.13")),
            ("m365.realm", "pass", "", Some("m365/1.4")),
            ("m365.token", "pass", "", Some("m365/4.30")),
            ("m365.claims", "pass", "", Some("m365/4.23")),
            ("m365.ews", "fail", "NOT-EWS", None),
            ("m365.impersonate_self", "fail", "NOT-EWS", None),
            ("m365.impersonate_test_user", "fail", "NOT-EWS", None),
            ("m365.password_expiry", "warn", "NOT-EWS", Some("m365/3.11")),
        ],
    ),
    row(
        ExTypedUrl(Refused),
        1,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "fail", "CONNECTION-REFUSED", Some("ex2016/3.4")),
            ("ex.auth", "skip", "", None),
            ("ex.self", "skip", "", None),
            ("ex.impersonate_self", "skip", "", None),
            ("ex.impersonate_test_user", "skip", "", None),
            ("ex.password_expiry", "skip", "", None),
            ("ex.version", "skip", "", None),
        ],
    ),
    row(
        ExTypedUrlNoDns,
        1,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "fail", "DNS-NXDOMAIN", Some("ex2016/3.4")),
            ("ex.auth", "skip", "", None),
            ("ex.self", "skip", "", None),
            ("ex.impersonate_self", "skip", "", None),
            ("ex.impersonate_test_user", "skip", "", None),
            ("ex.password_expiry", "skip", "", None),
            ("ex.version", "skip", "", None),
        ],
    ),
    row(
        ExTypedUrl(NotTls),
        1,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "fail", "TLS-ERROR", Some("ex2016/3.4")),
            ("ex.auth", "skip", "", None),
            ("ex.self", "skip", "", None),
            ("ex.impersonate_self", "skip", "", None),
            ("ex.impersonate_test_user", "skip", "", None),
            ("ex.password_expiry", "skip", "", None),
            ("ex.version", "skip", "", None),
        ],
    ),
    row(
        ExTypedUrl(UntrustedCert),
        1,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "fail", "TLS-UNTRUSTED", Some("ex2016/3.11")),
            ("ex.auth", "skip", "", None),
            ("ex.self", "skip", "", None),
            ("ex.impersonate_self", "skip", "", None),
            ("ex.impersonate_test_user", "skip", "", None),
            ("ex.password_expiry", "skip", "", None),
            ("ex.version", "skip", "", None),
        ],
    ),
    row(
        ExTypedUrl(Silent),
        1,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "fail", "TIMEOUT", Some("ex2016/3.4")),
            ("ex.auth", "skip", "", None),
            ("ex.self", "skip", "", None),
            ("ex.impersonate_self", "skip", "", None),
            ("ex.impersonate_test_user", "skip", "", None),
            ("ex.password_expiry", "skip", "", None),
            ("ex.version", "skip", "", None),
        ],
    ),
    row(
        ExTypedUrl(ResetMidResponse),
        1,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "pass", "", None),
            ("ex.auth", "fail", "CONNECTION-FAILED", Some("ex2016/3.4")),
            ("ex.self", "skip", "", None),
            ("ex.impersonate_self", "skip", "", None),
            ("ex.impersonate_test_user", "skip", "", None),
            ("ex.password_expiry", "skip", "", None),
            ("ex.version", "skip", "", None),
        ],
    ),
    row(
        ExTypedUrl(Garbage2Mb),
        1,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "pass", "", None),
            ("ex.auth", "fail", "BODY-TOO-LARGE", Some("ex2016/3.4")),
            ("ex.self", "skip", "", None),
            ("ex.impersonate_self", "skip", "", None),
            ("ex.impersonate_test_user", "skip", "", None),
            ("ex.password_expiry", "skip", "", None),
            ("ex.version", "skip", "", None),
        ],
    ),
    row(
        ExTypedUrl(HtmlLogin),
        1,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "pass", "", None),
            ("ex.auth", "fail", "NOT-EWS", Some("ex2016/3.4")),
            ("ex.self", "skip", "", None),
            ("ex.impersonate_self", "skip", "", None),
            ("ex.impersonate_test_user", "skip", "", None),
            ("ex.password_expiry", "skip", "", None),
            ("ex.version", "skip", "", None),
        ],
    ),
    row(
        ExTypedUrl(TruncatedXml),
        1,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "pass", "", None),
            ("ex.auth", "fail", "NOT-EWS", Some("ex2016/3.4")),
            ("ex.self", "skip", "", None),
            ("ex.impersonate_self", "skip", "", None),
            ("ex.impersonate_test_user", "skip", "", None),
            ("ex.password_expiry", "skip", "", None),
            ("ex.version", "skip", "", None),
        ],
    ),
    row(
        ExDiscovered(Refused),
        1,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "fail", "CONNECTION-REFUSED", Some("ex2016/3.4")),
            ("ex.auth", "skip", "", None),
            ("ex.self", "skip", "", None),
            ("ex.impersonate_self", "skip", "", None),
            ("ex.impersonate_test_user", "skip", "", None),
            ("ex.password_expiry", "skip", "", None),
            ("ex.version", "skip", "", None),
        ],
    ),
    row(
        ExDiscovered(TruncatedXml),
        1,
        &[
            ("ex.discover", "pass", "", None),
            ("ex.tls", "pass", "", None),
            ("ex.auth", "fail", "NOT-EWS", Some("ex2016/3.4")),
            ("ex.self", "skip", "", None),
            ("ex.impersonate_self", "skip", "", None),
            ("ex.impersonate_test_user", "skip", "", None),
            ("ex.password_expiry", "skip", "", None),
            ("ex.version", "skip", "", None),
        ],
    ),
];

#[test]
fn every_m365_scenario() {
    run_rows(M365_SCENARIOS);
}

#[test]
fn every_exchange_scenario() {
    run_rows(EX_SCENARIOS);
}

#[test]
fn network_faults() {
    run_rows(FAULTS);
}

#[test]
fn the_table_covers_every_scenario_of_the_catalogue_and_has_at_least_40_rows() {
    let covered: Vec<&str> = M365_SCENARIOS
        .iter()
        .chain(EX_SCENARIOS)
        .filter_map(|r| match r.setup {
            Scenario(s) => Some(s),
            _ => None,
        })
        .collect();
    for s in sim::scenarios() {
        assert!(
            covered.contains(&s.name.as_str()),
            "scenario {} has no row",
            s.name
        );
    }
    let total = M365_SCENARIOS.len() + EX_SCENARIOS.len() + FAULTS.len();
    assert!(total >= 40, "only {total} rows");
    for r in M365_SCENARIOS.iter().chain(EX_SCENARIOS).chain(FAULTS) {
        assert!(!r.want.is_empty(), "{:?} asserts nothing", r.setup);
    }
}
