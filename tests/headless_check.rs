//! `moxi-setup check --answers FILE.toml [--json]` driven through the real binary: exit codes,
//! errors naming the key, the password never taken from the file, nothing sent over the network
//! on bad input, and the JSON shape.

use assert_cmd::Command;
use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

const HOSTS: [&str; 5] = [
    "login.microsoftonline.com",
    "outlook.office365.com",
    "contoso.example",
    "autodiscover.contoso.example",
    "mail.contoso.example",
];

const GOOD_M365: &str = r#"platform = "microsoft-365"
service_account = "moxiengage@contoso.onmicrosoft.com"
test_user = "agent@contoso.onmicrosoft.com"
tenant = "contoso.onmicrosoft.com"
client_id = "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d"
"#;

/// A loopback listener every simulated host resolves to, to prove nothing was sent to it.
struct Tripwire {
    listener: TcpListener,
}

impl Tripwire {
    fn new() -> Tripwire {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        Tripwire { listener }
    }
    fn resolve_args(&self) -> Vec<String> {
        let port = self.listener.local_addr().unwrap().port();
        HOSTS
            .iter()
            .flat_map(|h| ["--resolve".to_string(), format!("{h}=127.0.0.1:{port}")])
            .collect()
    }
    fn connections(&self) -> usize {
        let mut n = 0;
        while self.listener.accept().is_ok() {
            n += 1;
        }
        n
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(home: &Path, args: &[String], password: Option<&str>) -> Run {
    let mut cmd = Command::cargo_bin("moxi-setup").unwrap();
    cmd.env("MOXI_SETUP_HOME", home)
        .env_remove("MOXI_SETUP_PASSWORD")
        .env_remove("MOXI_SETUP_PASSPHRASE")
        .args(args)
        .write_stdin("")
        .timeout(Duration::from_secs(120));
    if let Some(p) = password {
        cmd.env("MOXI_SETUP_PASSWORD", p);
    }
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn answers_file(dir: &Path, body: &str) -> String {
    let p = dir.join("answers.toml");
    std::fs::write(&p, body).unwrap();
    p.display().to_string()
}

fn check_args(file: &str, json: bool, wire: &Tripwire) -> Vec<String> {
    let mut a = vec![
        "check".to_string(),
        "--answers".to_string(),
        file.to_string(),
    ];
    if json {
        a.push("--json".into());
    }
    a.extend(wire.resolve_args());
    a
}

/// Each bad file, the key its error must name.
const BAD: &[(&str, &str)] = &[
    ("colour = \"blue\"\n", "`colour`"),
    ("passwrd = \"oops\"\n", "`passwrd`"),
];

#[test]
fn unknown_keys_and_bad_values_exit_2_naming_the_key_and_send_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(String, &str)> = vec![
        (format!("{GOOD_M365}{}", BAD[0].0), BAD[0].1),
        (format!("{GOOD_M365}{}", BAD[1].0), BAD[1].1),
        (
            GOOD_M365.replace("agent@contoso", "agent@@contoso"),
            "`test_user`",
        ),
        (
            GOOD_M365.replace("9b1c2d3e-4f50", "9b1c2d3e4f50"),
            "`client_id`",
        ),
        (
            GOOD_M365.replace(
                "contoso.onmicrosoft.com\"\nclient",
                "https://contoso.com\"\nclient",
            ),
            "`tenant`",
        ),
        (GOOD_M365.replace("microsoft-365", "notes"), "`platform`"),
        (
            format!("{GOOD_M365}ews_url = \"http://mail.contoso.example/EWS/Exchange.asmx\"\n"),
            "`ews_url`",
        ),
        (
            format!("{GOOD_M365}ignore_tls_trust = \"perhaps\"\n"),
            "`ignore_tls_trust`",
        ),
        (
            GOOD_M365.replace("client_id = ", "# client_id = "),
            "`client_id` is missing",
        ),
        (
            "service_account = \"a@contoso.com\"\n".to_string(),
            "`platform`",
        ),
        ("platform = [1, 2]\n".to_string(), "`platform` must be text"),
        (
            "platform = \"microsoft-365\"\nservice_account = \n".to_string(),
            "line 2",
        ),
    ];
    for json in [false, true] {
        for (body, key) in &cases {
            let wire = Tripwire::new();
            let file = answers_file(dir.path(), body);
            let r = run(
                dir.path(),
                &check_args(&file, json, &wire),
                Some("Demo-Passw0rd!"),
            );
            assert_eq!(r.code, 2, "{body}\n{}", r.stderr);
            assert!(r.stderr.contains(key), "expected {key} in: {}", r.stderr);
            assert!(r.stdout.is_empty(), "stdout must stay empty: {}", r.stdout);
            assert_eq!(wire.connections(), 0, "nothing may be sent on bad input");
        }
    }
}

#[test]
fn a_password_in_the_file_is_refused_and_not_repeated() {
    let dir = tempfile::tempdir().unwrap();
    let wire = Tripwire::new();
    let file = answers_file(
        dir.path(),
        &format!("{GOOD_M365}password = \"Filed-Canary-91!\"\n"),
    );
    let r = run(
        dir.path(),
        &check_args(&file, false, &wire),
        Some("Demo-Passw0rd!"),
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("`password`"));
    assert!(r.stderr.contains("MOXI_SETUP_PASSWORD"));
    assert!(!r.stderr.contains("Filed-Canary-91!") && !r.stdout.contains("Filed-Canary-91!"));
    // Not even when the file is broken around it.
    let file = answers_file(dir.path(), "password = \"Filed-Canary-91!\nplatform = 1\n");
    let r = run(
        dir.path(),
        &check_args(&file, false, &wire),
        Some("Demo-Passw0rd!"),
    );
    assert_eq!(r.code, 2);
    assert!(!r.stderr.contains("Filed-Canary-91!"), "{}", r.stderr);
    assert_eq!(wire.connections(), 0);
}

#[test]
fn no_password_and_no_terminal_is_a_usage_error_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let wire = Tripwire::new();
    let file = answers_file(dir.path(), GOOD_M365);
    let r = run(dir.path(), &check_args(&file, true, &wire), None);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("MOXI_SETUP_PASSWORD"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
    assert_eq!(wire.connections(), 0);

    // A password the sign-in would never accept is refused before anything is sent.
    let r = run(
        dir.path(),
        &check_args(&file, true, &wire),
        Some(" padded "),
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("space"), "{}", r.stderr);
    assert!(!r.stderr.contains(" padded "));
    assert_eq!(wire.connections(), 0);
}

#[test]
fn a_missing_answers_file_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        dir.path(),
        &[
            "check".into(),
            "--answers".into(),
            dir.path().join("nope.toml").display().to_string(),
        ],
        Some("Demo-Passw0rd!"),
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("nope.toml"));
}

/// With valid input the engine runs. Every host resolves to a closed loopback port, so no
/// check can pass: whatever the engine's state, the run must fail (exit 1), list every
/// Microsoft 365 check once, and print exactly one JSON object of the documented shape.
#[test]
fn valid_answers_print_one_json_object_and_nothing_passes_unearned() {
    let dir = tempfile::tempdir().unwrap();
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let file = answers_file(dir.path(), GOOD_M365);
    let mut args = vec!["check".into(), "--answers".into(), file, "--json".into()];
    for h in HOSTS {
        args.push("--resolve".into());
        args.push(format!("{h}=127.0.0.1:{closed}"));
    }
    let r = run(dir.path(), &args, Some("Demo-Passw0rd!"));
    assert_eq!(r.code, 1, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(r.stdout.trim().lines().count(), 1, "one object, one line");
    assert_eq!(v["overall"], "fail");
    let checks = v["checks"].as_array().unwrap();
    let ids: Vec<&str> = checks.iter().map(|c| c["id"].as_str().unwrap()).collect();
    for id in [
        "m365.tenant",
        "m365.realm",
        "m365.token",
        "m365.claims",
        "m365.ews",
        "m365.impersonate_self",
        "m365.impersonate_test_user",
        "m365.password_expiry",
    ] {
        assert_eq!(
            ids.iter().filter(|i| **i == id).count(),
            1,
            "{id} in {ids:?}"
        );
    }
    for c in checks {
        let o = c.as_object().unwrap();
        let mut keys: Vec<&str> = o.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "code",
                "detail",
                "elapsed_ms",
                "guide_step",
                "id",
                "status",
                "summary"
            ]
        );
        let status = c["status"].as_str().unwrap();
        assert!(["pass", "warn", "fail", "skip"].contains(&status));
        assert_ne!(
            status, "pass",
            "nothing can pass against a closed port: {c}"
        );
        assert!(c["elapsed_ms"].is_u64());
        assert!(c["guide_step"].is_null() || c["guide_step"].is_string());
    }
    assert!(!r.stdout.contains("Demo-Passw0rd!") && !r.stderr.contains("Demo-Passw0rd!"));

    // The readable report says the same, in words.
    args.retain(|a| a != "--json");
    let r = run(dir.path(), &args, Some("Demo-Passw0rd!"));
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("m365.tenant"));
    assert!(
        r.stdout.contains("at least one check failed"),
        "{}",
        r.stdout
    );
}
