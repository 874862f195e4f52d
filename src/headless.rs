//! Headless front end: `moxi-setup check --answers|--bundle [--json]` and `bundle open`.
//! Reads the answers file (unknown keys and bad values are errors naming the key), takes the
//! password from `MOXI_SETUP_PASSWORD` or a no-echo prompt, runs the same engine as the wizard
//! and prints a report or one JSON object. Exit codes: 0 pass/warn, 1 a check failed, 2 input.
//!
//! Must not send anything over the network before every input is valid, must not read a
//! password from a file, and must not print a secret except for an explicit `--reveal` on a
//! terminal outside screen-share mode. With `--json`, stdout carries exactly one JSON object.

use crate::answers::{self, Answers, Platform};
use crate::bundle::text::{t, tf};
use crate::bundle::{self, Reveal, Submission};
use crate::checks::{self, CheckId, CheckReport, Status};
use crate::cli::{CheckArgs, EXIT_FAIL, EXIT_OK, EXIT_USAGE, GlobalOpts};
use secrecy::SecretString;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

/// Environment variable holding the service account password for `check --answers`.
pub const PASSWORD_ENV: &str = "MOXI_SETUP_PASSWORD";
/// Environment variable holding the bundle passphrase for `check --bundle` and `bundle open`.
pub const PASSPHRASE_ENV: &str = "MOXI_SETUP_PASSPHRASE";

/// The keys an answers file may hold.
pub const ANSWER_KEYS: [&str; 8] = [
    "platform",
    "service_account",
    "test_user",
    "tenant",
    "client_id",
    "ews_url",
    "ignore_tls_trust",
    "allow_outside_host",
];

/// Keys that look like a secret: refused with their own reason, never silently ignored.
const SECRET_KEYS: [&str; 5] = [
    "password",
    "service_password",
    "passphrase",
    "secret",
    "client_secret",
];

/// Code shown for a check the engine produced no report for.
pub const CODE_NOT_AVAILABLE: &str = "NOT-AVAILABLE";

/// An input problem (exit 2), in plain words; one line per problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError(pub Vec<String>);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join("\n"))
    }
}

impl InputError {
    fn one(msg: impl Into<String>) -> InputError {
        InputError(vec![msg.into()])
    }
}

fn usage(err: &InputError) -> ExitCode {
    for line in &err.0 {
        eprintln!("moxi-setup: {line}");
    }
    ExitCode::from(EXIT_USAGE)
}

/// Parses an answers file. Every problem names its key; the password is never accepted here.
/// Values are validated with the same validators as the wizard and stored cleaned.
pub fn parse_answers_file(src: &str) -> Result<Answers, InputError> {
    // Only the message and line number: toml's full rendering quotes the offending line,
    // which could be a password someone put in the file by mistake.
    let table: toml::Table = toml::from_str(src).map_err(|e| {
        let line = e
            .span()
            .map(|s| src.get(..s.start).unwrap_or(src).matches('\n').count() + 1);
        let reason = match line {
            Some(l) => format!("line {l}: {}", e.message()),
            None => e.message().to_string(),
        };
        InputError::one(tf(
            "headless.answers_syntax",
            &[("path", "(answers)"), ("reason", &reason)],
        ))
    })?;
    let mut errors = Vec::new();
    let mut a = Answers::default();
    let invalid = |key: &str, e: answers::Invalid| {
        tf("answers_file.invalid", &[("key", key), ("reason", &e.0)])
    };
    let wrong = |key: &str, expected: &str| {
        tf(
            "answers_file.wrong_type",
            &[("key", key), ("expected", t(expected))],
        )
    };
    for (key, value) in &table {
        let key = key.as_str();
        if SECRET_KEYS.contains(&key) {
            errors.push(tf("answers_file.password_key", &[("key", key)]));
            continue;
        }
        if !ANSWER_KEYS.contains(&key) {
            errors.push(tf(
                "answers_file.unknown_key",
                &[("key", key), ("known", &ANSWER_KEYS.join(", "))],
            ));
            continue;
        }
        if key == "ignore_tls_trust" {
            match value {
                toml::Value::Boolean(b) => a.ignore_tls_trust = *b,
                toml::Value::String(s) => match answers::parse_yes_no(s) {
                    Ok(b) => a.ignore_tls_trust = b,
                    Err(_) => errors.push(wrong(key, "answers_file.yes_no")),
                },
                _ => errors.push(wrong(key, "answers_file.yes_no")),
            }
            continue;
        }
        let Some(s) = value.as_str() else {
            errors.push(wrong(key, "answers_file.text"));
            continue;
        };
        match key {
            "platform" => match Platform::parse(s) {
                Some(p) => a.platform = Some(p),
                None => errors.push(t("answers_file.platform_values").to_string()),
            },
            "service_account" => match answers::validate_email(s) {
                Ok(v) => a.service_account = v,
                Err(e) => errors.push(invalid(key, e)),
            },
            "test_user" => match answers::validate_email(s) {
                Ok(v) => a.test_user = v,
                Err(e) => errors.push(invalid(key, e)),
            },
            "tenant" => match answers::validate_tenant(s) {
                Ok(v) => a.tenant = v,
                Err(e) => errors.push(invalid(key, e)),
            },
            "client_id" => match answers::validate_guid(s) {
                Ok(v) => a.client_id = v,
                Err(e) => errors.push(invalid(key, e)),
            },
            "ews_url" => match answers::validate_ews_url(s) {
                Ok(v) => a.ews_url = v.unwrap_or_default(),
                Err(e) => errors.push(invalid(key, e)),
            },
            // Checked against the account's domain once every key is read.
            "allow_outside_host" => a.outside_host = s.to_string(),
            _ => {}
        }
    }
    match a.platform {
        None if !table.contains_key("platform") => errors.push(tf(
            "answers_file.missing",
            &[
                ("key", "platform"),
                ("platform", "microsoft-365 or exchange-server"),
            ],
        )),
        None => {}
        Some(p) => {
            for f in Answers::required_fields(p) {
                if f.is_secret() {
                    continue;
                }
                if !table.contains_key(f.as_str()) {
                    errors.push(tf(
                        "answers_file.missing",
                        &[("key", f.as_str()), ("platform", p.as_str())],
                    ));
                }
            }
            if !a.outside_host.is_empty() {
                match answers::validate_outside_host(&a.outside_host, a.account_domain().as_deref())
                {
                    Ok(v) if p == Platform::ExchangeServer => a.outside_host = v,
                    Ok(_) => errors.push(t("answers_file.outside_host_m365").to_string()),
                    Err(e) => errors.push(invalid("allow_outside_host", e)),
                }
            }
            if a.ignore_tls_trust {
                if p == Platform::Microsoft365 {
                    errors.push(t("answers_file.tls_m365").to_string());
                } else if a.ews_url.is_empty() && !table.contains_key("ews_url") {
                    errors.push(t("answers_file.tls_needs_url").to_string());
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(a)
    } else {
        Err(InputError(errors))
    }
}

/// A secret from `env`, else a no-echo prompt when stdin is a terminal.
fn secret_from_env_or_prompt(
    env: &str,
    prompt_key: &str,
    missing_key: &str,
) -> Result<SecretString, InputError> {
    if let Some(v) = std::env::var_os(env).filter(|v| !v.is_empty()) {
        return match v.into_string() {
            Ok(s) => Ok(SecretString::from(s)),
            Err(_) => Err(InputError::one(t(missing_key))),
        };
    }
    if std::io::stdin().is_terminal() {
        // rpassword reads from the terminal with echo off and restores it afterwards.
        return rpassword::prompt_password(t(prompt_key))
            .map(SecretString::from)
            .map_err(|_| InputError::one(t(missing_key)));
    }
    Err(InputError::one(t(missing_key)))
}

fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
}

/// One line of the result: a report, or a check the engine did not produce.
fn rows(platform: Platform, reports: &[CheckReport]) -> Vec<CheckReport> {
    let mut out: Vec<CheckReport> = CheckId::for_platform(platform)
        .iter()
        .map(|id| {
            reports
                .iter()
                .find(|r| r.id == *id)
                .cloned()
                .unwrap_or_else(|| not_available(*id))
        })
        .collect();
    out.extend(
        reports
            .iter()
            .filter(|r| !CheckId::for_platform(platform).contains(&r.id))
            .cloned(),
    );
    out
}

/// A check with no report. It counts as a failure: nothing was verified.
fn not_available(id: CheckId) -> CheckReport {
    CheckReport {
        id,
        status: Status::Fail,
        code: CODE_NOT_AVAILABLE.to_string(),
        guide_step: None,
        summary: t("headless.not_available").to_string(),
        detail: String::new(),
        command: None,
        evidence: Default::default(),
        elapsed_ms: 0,
        finished_at: String::new(),
    }
}

/// The `--json` object: `{ "overall", "checks": [ { id, status, code, guide_step, summary,
/// detail, elapsed_ms } ] }` (ARCHITECTURE.md).
pub fn json_report(rows: &[CheckReport]) -> serde_json::Value {
    serde_json::json!({
        "overall": checks::overall(rows).as_str(),
        "checks": rows.iter().map(|r| serde_json::json!({
            "id": r.id.as_str(),
            "status": r.status.as_str(),
            "code": r.code,
            "guide_step": r.guide_step.map(|g| g.to_string()),
            "summary": r.summary,
            "detail": r.detail,
            "elapsed_ms": r.elapsed_ms,
        })).collect::<Vec<_>>(),
    })
}

/// The readable report; `saved` gives each check's status when the bundle was made.
pub fn text_report(rows: &[CheckReport], saved: Option<&[CheckReport]>) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for r in rows {
        let code = if r.code.is_empty() {
            String::new()
        } else {
            format!(" [{}]", r.code)
        };
        let step = r
            .guide_step
            .map(|s| format!(" (guide step {s})"))
            .unwrap_or_default();
        let was = saved
            .map(|s| {
                let st = s
                    .iter()
                    .find(|x| x.id == r.id)
                    .map(|x| x.status.as_str())
                    .unwrap_or("-");
                format!(" ({}: {st})", t("headless.in_bundle"))
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{:<5} {:<28} {}{code}{step}{was}",
            r.status.as_str().to_uppercase(),
            r.id.as_str(),
            r.summary
        );
        for l in r.detail.lines() {
            let _ = writeln!(out, "      {l}");
        }
        if let Some(c) = &r.command {
            for l in c.lines() {
                let _ = writeln!(out, "      > {l}");
            }
        }
    }
    let _ = writeln!(out);
    let verdict = match checks::overall(rows) {
        Status::Pass => "headless.overall_pass",
        Status::Fail => "headless.overall_fail",
        _ => "headless.overall_warn",
    };
    let _ = writeln!(out, "{}", t(verdict));
    out
}

fn exit_for(rows: &[CheckReport]) -> ExitCode {
    match checks::overall(rows) {
        Status::Fail => ExitCode::from(EXIT_FAIL),
        _ => ExitCode::from(EXIT_OK),
    }
}

/// Runs the engine on `answers` with the global network settings and `ignored_host` as the one
/// host whose certificate is not verified.
fn run_engine(
    global: &GlobalOpts,
    answers: &Answers,
    platform: Platform,
    ignored_host: Option<String>,
) -> Result<Vec<CheckReport>, InputError> {
    let mut config = global.net_config();
    config.ignore_trust_host = ignored_host;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| InputError::one(tf("headless.runtime", &[("reason", &e.to_string())])))?;
    let net = crate::net::Net::new(config)
        .map_err(|e| InputError::one(tf("headless.net_setup", &[("reason", &e.to_string())])))?;
    let ctx = checks::Context { net };
    let wanted = CheckId::for_platform(platform);
    let reports = runtime.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let cancel = tokio_util::sync::CancellationToken::new();
        let on_interrupt = cancel.clone();
        let interrupt = tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                on_interrupt.cancel();
            }
        });
        let progress = tokio::spawn(async move {
            while let Some(p) = rx.recv().await {
                if let checks::Progress::Finished(r) = p {
                    tracing::info!(check = r.id.as_str(), status = r.status.as_str(), code = %r.code, "check finished");
                }
            }
        });
        let reports = checks::run(&ctx, answers, wanted, tx, cancel).await;
        interrupt.abort();
        let _ = progress.await;
        reports
    });
    Ok(reports)
}

fn print_result(rows: &[CheckReport], json: bool, header: &str, saved: Option<&[CheckReport]>) {
    if json {
        println!("{}", json_report(rows));
    } else {
        println!("{header}");
        println!();
        print!("{}", text_report(rows, saved));
    }
}

/// `moxi-setup check --answers FILE.toml | --bundle FILE.age [--json]`.
pub fn check(global: &GlobalOpts, args: CheckArgs) -> ExitCode {
    if let Some(path) = &args.source.answers {
        return check_answers(global, path, args.json);
    }
    if let Some(path) = &args.source.bundle {
        return check_bundle(global, path, args.json);
    }
    ExitCode::from(EXIT_USAGE)
}

fn check_answers(global: &GlobalOpts, path: &Path, json: bool) -> ExitCode {
    let src = match std::fs::read_to_string(path) {
        Ok(s) => s,
        Err(e) => {
            return usage(&InputError::one(tf(
                "headless.answers_read",
                &[
                    ("path", &path.display().to_string()),
                    ("reason", &e.to_string()),
                ],
            )));
        }
    };
    let mut answers = match parse_answers_file(&src) {
        Ok(a) => a,
        Err(mut e) => {
            let p = path.display().to_string();
            for line in &mut e.0 {
                *line = line.replace("(answers)", &p);
            }
            return usage(&e);
        }
    };
    let password = match secret_from_env_or_prompt(
        PASSWORD_ENV,
        "headless.password_prompt",
        "headless.no_password",
    ) {
        Ok(p) => p,
        Err(e) => return usage(&e),
    };
    if let Err(e) = answers::validate_password(&password) {
        return usage(&InputError::one(e.0));
    }
    answers.service_password = Some(password);
    let Some(platform) = answers.platform else {
        return ExitCode::from(EXIT_USAGE);
    };
    let ignored = if answers.ignore_tls_trust {
        host_of(&answers.ews_url)
    } else {
        None
    };
    let reports = match run_engine(global, &answers, platform, ignored) {
        Ok(r) => r,
        Err(e) => return usage(&e),
    };
    let rows = rows(platform, &reports);
    let header = format!(
        "moxi-setup check: {} ({})",
        answers.service_account,
        platform.as_str()
    );
    print_result(&rows, json, &header, None);
    exit_for(&rows)
}

fn open(path: &Path) -> Result<Submission, InputError> {
    let passphrase = secret_from_env_or_prompt(
        PASSPHRASE_ENV,
        "headless.passphrase_prompt",
        "headless.no_passphrase",
    )?;
    bundle::read_bundle(path, &passphrase).map_err(|e| InputError::one(e.to_string()))
}

fn check_bundle(global: &GlobalOpts, path: &Path, json: bool) -> ExitCode {
    let sub = match open(path) {
        Ok(s) => s,
        Err(e) => return usage(&e),
    };
    let answers = sub.to_answers();
    let reports = match run_engine(
        global,
        &answers,
        sub.platform,
        sub.ignored_tls_host().map(str::to_string),
    ) {
        Ok(r) => r,
        Err(e) => return usage(&e),
    };
    let rows = rows(sub.platform, &reports);
    let header = tf(
        "headless.from_bundle",
        &[
            ("path", &path.display().to_string()),
            ("created", &sub.created_at),
        ],
    );
    print_result(&rows, json, &header, Some(&sub.checks));
    exit_for(&rows)
}

/// `moxi-setup bundle open FILE [--reveal]`: the redacted summary; secrets only for `--reveal`
/// on a terminal outside screen-share mode. Opening succeeds (exit 0) even when the bundle's
/// checks had failed; the summary says so.
pub fn bundle_open(global: &GlobalOpts, file: &Path, reveal: bool) -> ExitCode {
    if reveal && global.screen_share {
        return usage(&InputError::one(t("headless.reveal_screen_share")));
    }
    if reveal && !std::io::stdout().is_terminal() {
        return usage(&InputError::one(t("headless.reveal_not_terminal")));
    }
    let sub = match open(file) {
        Ok(s) => s,
        Err(e) => return usage(&e),
    };
    let mode = if reveal { Reveal::Yes } else { Reveal::No };
    print!("{}", bundle::summary(&sub, mode));
    if !reveal && sub.answers.service_password.is_some() {
        println!();
        println!("{}", t("headless.reveal_hint"));
    }
    ExitCode::from(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD_M365: &str = r#"
platform = "microsoft-365"
service_account = "moxiengage@contoso.onmicrosoft.com"
test_user = "agent@contoso.onmicrosoft.com"
tenant = "contoso.onmicrosoft.com"
client_id = "{9B1C2D3E-4F50-4A6B-8C7D-1E2F3A4B5C6D}"
"#;

    #[test]
    fn parses_and_cleans_a_good_file() {
        let a = parse_answers_file(GOOD_M365).unwrap();
        assert_eq!(a.platform, Some(Platform::Microsoft365));
        assert_eq!(a.client_id, "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d");
        assert!(a.service_password.is_none());
    }

    #[test]
    fn every_problem_names_its_key() {
        let src = format!("{GOOD_M365}\ncolour = \"blue\"\n");
        let e = parse_answers_file(&src).unwrap_err();
        assert!(e.0[0].contains("`colour`"), "{e}");

        let e = parse_answers_file(&GOOD_M365.replace("agent@", "agent at ")).unwrap_err();
        assert!(e.0[0].starts_with("`test_user`"), "{e}");

        let e = parse_answers_file(&format!("{GOOD_M365}password = \"x\"\n")).unwrap_err();
        assert!(e.0[0].contains("`password`") && e.0[0].contains("MOXI_SETUP_PASSWORD"));
        assert!(!e.0[0].contains("\"x\""));

        let e = parse_answers_file(&GOOD_M365.replace("client_id = ", "#")).unwrap_err();
        assert!(e.0[0].contains("`client_id` is missing"), "{e}");

        let e = parse_answers_file("platform = \"lotus-notes\"").unwrap_err();
        assert!(e.0[0].contains("`platform`"));

        let e = parse_answers_file(&format!("{GOOD_M365}ignore_tls_trust = true\n")).unwrap_err();
        assert!(e.0[0].contains("`ignore_tls_trust`"));

        let e = parse_answers_file("platform = \"exchange-server\"\nservice_account = 3\n")
            .unwrap_err();
        assert!(
            e.0.iter()
                .any(|l| l.contains("`service_account` must be text")),
            "{e}"
        );
        assert!(
            e.0.iter().any(|l| l.contains("`test_user` is missing")),
            "{e}"
        );
    }

    #[test]
    fn exchange_trust_needs_a_typed_address() {
        let base = "platform = \"exchange-server\"\nservice_account = \"moxiengage@contoso.example\"\ntest_user = \"agent@contoso.example\"\nignore_tls_trust = true\n";
        assert!(parse_answers_file(base).unwrap_err().0[0].contains("`ews_url`"));
        let a = parse_answers_file(&format!(
            "{base}ews_url = \"https://mail.contoso.example/EWS/Exchange.asmx\"\n"
        ))
        .unwrap();
        assert!(a.ignore_tls_trust);
    }

    #[test]
    fn an_outside_host_is_exchange_only_and_never_a_shortened_domain() {
        let base = "platform = \"exchange-server\"\nservice_account = \"moxiengage@corp.contoso.example\"\ntest_user = \"agent@corp.contoso.example\"\n";
        let a = parse_answers_file(&format!(
            "{base}allow_outside_host = \"Autodiscover.Hoster.Example\"\n"
        ))
        .unwrap();
        assert_eq!(a.outside_host, "autodiscover.hoster.example");
        let e = parse_answers_file(&format!("{base}allow_outside_host = \"contoso.example\"\n"))
            .unwrap_err();
        assert!(e.0[0].contains("`allow_outside_host`"), "{e}");
        assert!(e.0[0].contains("shortened form"), "{e}");
        let e = parse_answers_file(&format!(
            "{GOOD_M365}allow_outside_host = \"autodiscover.hoster.example\"\n"
        ))
        .unwrap_err();
        assert!(e.0[0].contains("Exchange Server only"), "{e}");
    }

    #[test]
    fn missing_reports_never_pass() {
        let r = rows(Platform::Microsoft365, &[]);
        assert_eq!(r.len(), CheckId::M365.len());
        assert!(
            r.iter()
                .all(|x| x.status == Status::Fail && x.code == CODE_NOT_AVAILABLE)
        );
        assert_eq!(checks::overall(&r), Status::Fail);
        let j = json_report(&r);
        assert_eq!(j["overall"], "fail");
        assert_eq!(j["checks"][0]["id"], "m365.tenant");
        let keys: Vec<&String> = j["checks"][0].as_object().unwrap().keys().collect();
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
    }
}
