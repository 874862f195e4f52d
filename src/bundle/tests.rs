//! Unit tests of the bundle format, its encryption, its errors and its texts.

use super::*;
use crate::checks::{CheckId, CheckReport, Status};
use crate::guide::GuideStep;
use age::secrecy::SecretString;
use secrecy::ExposeSecret;
use std::collections::BTreeMap;
use std::io::Write;

const CANARY_PW: &str = "Canary-Pw-7f3a9c!";
const PASSPHRASE: &str = "gravel orchid tin lantern";

fn pass() -> SecretString {
    SecretString::from(PASSPHRASE)
}

fn report(id: CheckId, status: Status, code: &str, ev: &[(&str, &str)]) -> CheckReport {
    CheckReport {
        id,
        status,
        code: code.to_string(),
        guide_step: Some(GuideStep::m365(4, 30)),
        summary: format!("{} said {}", id.label(), status.as_str()),
        detail: if status == Status::Fail {
            "Open the admin centre and fix it.".into()
        } else {
            String::new()
        },
        command: None,
        evidence: ev
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        elapsed_ms: 42,
        finished_at: "2026-12-01T20:00:00Z".into(),
    }
}

fn m365_answers() -> crate::answers::Answers {
    crate::answers::Answers {
        platform: Some(Platform::Microsoft365),
        service_account: "moxiengage@contoso.onmicrosoft.com".into(),
        service_password: Some(SecretString::from(CANARY_PW)),
        test_user: "agent@contoso.onmicrosoft.com".into(),
        tenant: "contoso.onmicrosoft.com".into(),
        client_id: "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d".into(),
        ews_url: String::new(),
        ignore_tls_trust: false,
        outside_host: String::new(),
    }
}

fn ex_answers() -> crate::answers::Answers {
    crate::answers::Answers {
        platform: Some(Platform::ExchangeServer),
        service_account: "moxiengage@contoso.example".into(),
        service_password: Some(SecretString::from(CANARY_PW)),
        test_user: "agent@contoso.example".into(),
        ews_url: "https://mail.contoso.example/EWS/Exchange.asmx".into(),
        ignore_tls_trust: true,
        ..Default::default()
    }
}

fn m365_reports() -> Vec<CheckReport> {
    vec![
        report(
            CheckId::M365Tenant,
            Status::Pass,
            "",
            &[("tenant_id", "3f2b8a4c-9d1e-4c7a-b5e6-0a1b2c3d4e5f")],
        ),
        report(CheckId::M365Token, Status::Pass, "", &[("trace_id", "abc")]),
        report(CheckId::M365Ews, Status::Fail, "HTTP403", &[]),
    ]
}

fn write_low(path: &std::path::Path, s: &Submission, ow: Overwrite) -> Result<(), BundleError> {
    write_bundle(path, s, &pass(), TEST_WORK_FACTOR, ow)
}

#[test]
fn round_trip_keeps_every_answer_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.age");
    let sub = Submission::new(&m365_answers(), &m365_reports()).unwrap();
    write_low(&path, &sub, Overwrite::Refuse).unwrap();

    let bytes = std::fs::read(&path).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
    assert!(!text.contains(CANARY_PW));
    assert!(
        !text.contains("moxiengage@contoso"),
        "answers are encrypted too"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    let back = read_bundle(&path, &pass()).unwrap();
    assert_eq!(back.format_version, FORMAT_VERSION);
    assert_eq!(back.platform, Platform::Microsoft365);
    assert_eq!(back.created_at, sub.created_at);
    assert_eq!(back.tool_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(
        back.answers.service_account,
        "moxiengage@contoso.onmicrosoft.com"
    );
    assert_eq!(
        back.answers
            .service_password
            .as_ref()
            .unwrap()
            .expose_secret(),
        CANARY_PW
    );
    assert_eq!(back.answers.test_user, "agent@contoso.onmicrosoft.com");
    assert_eq!(back.answers.tenant, "contoso.onmicrosoft.com");
    assert_eq!(
        back.answers.tenant_id.as_deref(),
        Some("3f2b8a4c-9d1e-4c7a-b5e6-0a1b2c3d4e5f")
    );
    assert_eq!(
        back.answers.client_id,
        "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d"
    );
    assert_eq!(
        back.answers.ews_url.as_deref(),
        Some(EXCHANGE_ONLINE_EWS_URL)
    );
    assert_eq!(back.answers.ews_url_source, EwsUrlSource::ExchangeOnline);
    assert_eq!(back.checks, sub.checks);
    assert_eq!(back.checks[1].evidence["trace_id"], "abc");

    let again = back.to_answers();
    assert_eq!(again.platform, Some(Platform::Microsoft365));
    assert_eq!(again.client_id, m365_answers().client_id);
    assert_eq!(
        again.ews_url, "",
        "a default address is not replayed as typed"
    );
    assert_eq!(again.service_password.unwrap().expose_secret(), CANARY_PW);
}

#[test]
fn exchange_trust_choice_names_only_the_typed_host() {
    let sub = Submission::new(&ex_answers(), &[]).unwrap();
    assert_eq!(sub.answers.ews_url_source, EwsUrlSource::Typed);
    assert!(sub.answers.trust.ignore_tls_trust);
    assert_eq!(sub.ignored_tls_host(), Some("mail.contoso.example"));
    assert!(sub.to_answers().ignore_tls_trust);

    // Found by Autodiscover: the "ignore trust" choice cannot apply to a found host.
    let mut a = ex_answers();
    a.ews_url.clear();
    let reports = vec![report(
        CheckId::ExDiscover,
        Status::Pass,
        "",
        &[
            ("ews_url", "https://mail.contoso.example/EWS/Exchange.asmx"),
            ("how_found", "autodiscover-srv"),
        ],
    )];
    let sub = Submission::new(&a, &reports).unwrap();
    assert_eq!(sub.answers.ews_url_source, EwsUrlSource::Autodiscover);
    assert_eq!(
        sub.answers.ews_url_found_by.as_deref(),
        Some("autodiscover-srv")
    );
    assert!(summary(&sub, Reveal::No).contains("(autodiscover-srv)"));
    assert_eq!(
        sub.answers.ews_url.as_deref(),
        Some("https://mail.contoso.example/EWS/Exchange.asmx")
    );
    assert!(!sub.answers.trust.ignore_tls_trust);
    assert_eq!(sub.ignored_tls_host(), None);
    assert_eq!(sub.to_answers().ews_url, "");
}

#[test]
fn an_allowed_outside_host_is_recorded_shown_and_replayed() {
    let mut a = ex_answers();
    a.outside_host = "autodiscover.hoster.example".into();
    let sub = Submission::new(&a, &[]).unwrap();
    assert_eq!(
        sub.answers.trust.allowed_outside_host.as_deref(),
        Some("autodiscover.hoster.example")
    );
    assert!(
        summary(&sub, Reveal::No).contains("autodiscover.hoster.example, allowed by the admin")
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.age");
    write_low(&path, &sub, Overwrite::Refuse).unwrap();
    let back = read_bundle_bytes(&std::fs::read(&path).unwrap(), &pass()).unwrap();
    assert_eq!(
        back.to_answers().outside_host,
        "autodiscover.hoster.example"
    );
    // None recorded when the admin allowed nothing, and never for Microsoft 365.
    assert_eq!(
        Submission::new(&ex_answers(), &[])
            .unwrap()
            .answers
            .trust
            .allowed_outside_host,
        None
    );
    let mut m = m365_answers();
    m.outside_host = "autodiscover.hoster.example".into();
    assert_eq!(
        Submission::new(&m, &[])
            .unwrap()
            .answers
            .trust
            .allowed_outside_host,
        None
    );
}

#[test]
fn no_platform_is_a_plain_error() {
    let e = Submission::new(&crate::answers::Answers::default(), &[]).unwrap_err();
    assert!(matches!(e, BundleError::Incomplete { .. }));
    assert!(e.to_string().contains("Microsoft 365"));
}

#[test]
fn debug_output_never_shows_the_password() {
    let sub = Submission::new(&m365_answers(), &[]).unwrap();
    let dbg = format!("{sub:?}");
    assert!(!dbg.contains(CANARY_PW));
    assert!(dbg.contains("REDACTED"));
}

#[test]
fn wrong_passphrase_is_its_own_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.age");
    let sub = Submission::new(&m365_answers(), &[]).unwrap();
    write_low(&path, &sub, Overwrite::Refuse).unwrap();
    let e = read_bundle(&path, &SecretString::from("not the passphrase at all")).unwrap_err();
    assert!(matches!(e, BundleError::WrongPassphrase), "{e:?}");
    assert!(e.to_string().contains("passphrase"));
}

#[test]
fn damaged_and_truncated_files_are_their_own_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.age");
    let sub = Submission::new(&m365_answers(), &m365_reports()).unwrap();
    write_low(&path, &sub, Overwrite::Refuse).unwrap();
    let good = std::fs::read_to_string(&path).unwrap();

    // Cut short, as an e-mail client or a copy-paste might.
    for keep in [good.len() / 2, good.len() - 40, 60] {
        let e = read_bundle_bytes(&good.as_bytes()[..keep], &pass()).unwrap_err();
        assert!(matches!(e, BundleError::Damaged), "keep {keep}: {e:?}");
    }
    // Missing end line only.
    let no_end = good.replace("-----END AGE ENCRYPTED FILE-----", "");
    assert!(matches!(
        read_bundle_bytes(no_end.as_bytes(), &pass()).unwrap_err(),
        BundleError::Damaged
    ));
    // One character changed deep inside the encrypted payload.
    let lines: Vec<&str> = good.lines().collect();
    let mid = lines.len() - 3;
    let mut changed: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let l = &mut changed[mid];
    let c = if l.starts_with('A') { "B" } else { "A" };
    l.replace_range(0..1, c);
    let e = read_bundle_bytes(changed.join("\n").as_bytes(), &pass()).unwrap_err();
    assert!(matches!(e, BundleError::Damaged), "{e:?}");
    assert!(e.to_string().contains("damaged"));
}

#[test]
fn other_files_are_not_bundles() {
    for junk in [
        &b""[..],
        b"hello, this is a text file",
        b"{\"format\":\"moxiengage-setup-bundle\"}",
        b"\x89PNG\r\n\x1a\n....",
    ] {
        let e = read_bundle_bytes(junk, &pass()).unwrap_err();
        assert!(matches!(e, BundleError::NotABundle), "{e:?}");
    }
    // Age-encrypted with the right passphrase, but not our JSON.
    let mut r = age::scrypt::Recipient::new(pass());
    r.set_work_factor(TEST_WORK_FACTOR);
    for plain in [
        &b"just some text"[..],
        b"{\"format\":\"something-else\",\"format_version\":1}",
    ] {
        let f = age::encrypt_and_armor(&r, plain).unwrap();
        let e = read_bundle_bytes(f.as_bytes(), &pass()).unwrap_err();
        assert!(matches!(e, BundleError::NotABundle), "{e:?}");
    }
    // Age-encrypted to a key instead of a passphrase.
    let key = age::x25519::Identity::generate();
    let f = age::encrypt_and_armor(&key.to_public(), b"{}").unwrap();
    let e = read_bundle_bytes(f.as_bytes(), &pass()).unwrap_err();
    assert!(matches!(e, BundleError::NotPassphraseProtected), "{e:?}");
    let distinct = [
        BundleError::NotABundle.to_string(),
        BundleError::NotPassphraseProtected.to_string(),
        BundleError::Damaged.to_string(),
        BundleError::WrongPassphrase.to_string(),
    ];
    for (i, a) in distinct.iter().enumerate() {
        for b in &distinct[i + 1..] {
            assert_ne!(a, b);
        }
    }
}

#[test]
fn a_newer_format_version_is_named() {
    let json = serde_json::json!({
        "format": FORMAT_NAME,
        "format_version": 2,
        "created_at": "2027-06-01T00:00:00Z",
        "something_new": {"shape": "unknown to v1"}
    });
    let mut r = age::scrypt::Recipient::new(pass());
    r.set_work_factor(TEST_WORK_FACTOR);
    let f = age::encrypt_and_armor(&r, json.to_string().as_bytes()).unwrap();
    let e = read_bundle_bytes(f.as_bytes(), &pass()).unwrap_err();
    assert!(
        matches!(
            e,
            BundleError::NewerFormat {
                found: 2,
                supported: 1
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("newer version"));
}

#[test]
fn unknown_fields_of_the_same_version_are_ignored() {
    let sub = Submission::new(&m365_answers(), &m365_reports()).unwrap();
    let plain = file_plaintext_for_test(&sub);
    let mut v: serde_json::Value = serde_json::from_slice(&plain).unwrap();
    v["added_later"] = serde_json::json!("a field a later v1 writer adds");
    let mut r = age::scrypt::Recipient::new(pass());
    r.set_work_factor(TEST_WORK_FACTOR);
    let f = age::encrypt_and_armor(&r, v.to_string().as_bytes()).unwrap();
    let back = read_bundle_bytes(f.as_bytes(), &pass()).unwrap();
    assert_eq!(back.answers.client_id, sub.answers.client_id);
}

fn file_plaintext_for_test(sub: &Submission) -> Vec<u8> {
    // Decrypt a real bundle rather than reaching into the writer's private serialiser.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.age");
    write_low(&path, sub, Overwrite::Refuse).unwrap();
    let id = age::scrypt::Identity::new(pass());
    age::decrypt(&id, &std::fs::read(&path).unwrap()).unwrap()
}

#[test]
fn plaintext_json_has_the_documented_shape() {
    let sub = Submission::new(&ex_answers(), &[]).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&file_plaintext_for_test(&sub)).unwrap();
    assert_eq!(v["format"], FORMAT_NAME);
    assert_eq!(v["format_version"], 1);
    assert_eq!(v["tool"]["name"], "moxi-setup");
    assert_eq!(v["platform"], "exchange-server");
    assert_eq!(v["answers"]["service_password"], CANARY_PW);
    assert_eq!(v["answers"]["ews_url_source"], "typed");
    assert_eq!(v["answers"]["trust"]["ignore_tls_trust"], true);
    assert_eq!(
        v["answers"]["trust"]["ignored_tls_host"],
        "mail.contoso.example"
    );
    assert_eq!(v["overall"], "fail", "no checks run is not a pass");
    assert!(v["checks"].as_array().unwrap().is_empty());
}

#[test]
fn the_real_work_factor_is_written_and_an_excessive_one_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("real.age");
    let sub = Submission::new(&m365_answers(), &[]).unwrap();
    write_bundle(&path, &sub, &pass(), WORK_FACTOR, Overwrite::Refuse).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(WORK_FACTOR, 18);
    assert_eq!(work_factor_of(&bytes), Some(18));
    let back = read_bundle_bytes(&bytes, &pass()).unwrap();
    assert_eq!(back.answers.client_id, sub.answers.client_id);

    // A file claiming 2^23 is refused before any scrypt work (it would need 8 GiB).
    let low = tempfile::tempdir().unwrap();
    let lp = low.path().join("low.age");
    write_low(&lp, &sub, Overwrite::Refuse).unwrap();
    let mut binary = Vec::new();
    std::io::Read::read_to_end(
        &mut age::armor::ArmoredReader::new(&std::fs::read(&lp).unwrap()[..]),
        &mut binary,
    )
    .unwrap();
    let needle = format!(" {TEST_WORK_FACTOR}\n");
    let at = binary
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
        .unwrap();
    binary.splice(at..at + needle.len(), b" 23\n".iter().copied());
    let mut out =
        age::armor::ArmoredWriter::wrap_output(Vec::new(), age::armor::Format::AsciiArmor).unwrap();
    out.write_all(&binary).unwrap();
    let tampered = out.finish().unwrap();
    assert_eq!(work_factor_of(&tampered), Some(23));
    let e = read_bundle_bytes(&tampered, &pass()).unwrap_err();
    assert!(
        matches!(
            e,
            BundleError::TooMuchWork {
                required: 23,
                max: 22
            }
        ),
        "{e:?}"
    );
}

#[test]
fn never_overwrites_unless_told() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.age");
    let sub = Submission::new(&m365_answers(), &[]).unwrap();
    write_low(&path, &sub, Overwrite::Refuse).unwrap();
    let before = std::fs::read(&path).unwrap();
    let e = write_low(&path, &sub, Overwrite::Refuse).unwrap_err();
    assert!(matches!(e, BundleError::Exists(_)));
    assert!(e.to_string().contains("b.age"));
    assert_eq!(std::fs::read(&path).unwrap(), before);
    write_low(&path, &sub, Overwrite::Replace).unwrap();
    assert_ne!(std::fs::read(&path).unwrap(), before, "new salt, new file");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
}

#[test]
fn a_bundle_whose_checks_failed_opens_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.age");
    let sub = Submission::new(&m365_answers(), &m365_reports()).unwrap();
    write_low(&path, &sub, Overwrite::Refuse).unwrap();
    let back = read_bundle(&path, &pass()).unwrap();
    let o = back.check_outcome();
    assert_eq!(o.overall, Status::Fail);
    assert_eq!(o.failed, vec![CheckId::M365Ews]);
    assert!(o.not_run.contains(&CheckId::M365Realm));
    let text = summary(&back, Reveal::No);
    assert!(text.contains("1 check(s) failed"), "{text}");
    assert!(text.contains("HTTP403"));
    assert!(text.contains("m365/4.30"));
}

#[test]
fn summary_masks_the_password_unless_revealed() {
    let sub = Submission::new(&ex_answers(), &[]).unwrap();
    let hidden = summary(&sub, Reveal::No);
    assert!(!hidden.contains(CANARY_PW));
    assert!(hidden.contains("moxiengage@contoso.example"));
    assert!(hidden.contains("mail.contoso.example only"));
    assert!(hidden.contains("no checks were run"));
    let shown = summary(&sub, Reveal::Yes);
    assert!(shown.contains(CANARY_PW));
    // The mask does not depend on the password's length.
    let mut other = ex_answers();
    other.service_password = Some(SecretString::from("x"));
    let short = summary(&Submission::new(&other, &[]).unwrap(), Reveal::No);
    assert_eq!(
        hidden.lines().find(|l| l.contains("password")),
        short.lines().find(|l| l.contains("password"))
    );
}

#[test]
fn support_report_has_every_non_secret_answer_and_no_secret() {
    let a = m365_answers();
    let r = support_report(&a, &m365_reports());
    assert!(!r.contains(CANARY_PW));
    for v in [
        "moxiengage@contoso.onmicrosoft.com",
        "agent@contoso.onmicrosoft.com",
        "contoso.onmicrosoft.com",
        "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d",
        "microsoft-365",
        env!("CARGO_PKG_VERSION"),
        "m365.ews",
        "HTTP403",
        "FAIL",
        "trace_id=abc",
        "not included",
    ] {
        assert!(r.contains(v), "missing {v} in\n{r}");
    }
    let empty = support_report(&crate::answers::Answers::default(), &[]);
    assert!(empty.contains("no checks have run yet"));
    assert!(empty.contains("not typed in yet"));
}

#[test]
fn default_names() {
    let d = time::macros::date!(2026 - 12 - 01);
    assert_eq!(
        default_file_name("contoso.com", d),
        "moxiengage-contoso.com-2026-12-01.age"
    );
    assert_eq!(
        default_file_name(" Contoso.COM ", d),
        "moxiengage-contoso.com-2026-12-01.age"
    );
    assert_eq!(
        default_file_name("../evil/x", d),
        "moxiengage-evil-x-2026-12-01.age"
    );
    assert_eq!(default_file_name("", d), "moxiengage-bundle-2026-12-01.age");
}

#[test]
fn every_text_key_used_exists() {
    for k in [
        "error.wrong_passphrase",
        "error.damaged",
        "error.not_a_bundle",
        "error.not_passphrase",
        "error.newer_format",
        "error.too_much_work",
        "error.exists",
        "error.io",
        "error.incomplete",
        "error.no_platform",
        "summary.password_hidden",
        "summary.failed",
        "ews_source.typed",
        "ews_source.autodiscover",
        "ews_source.exchange_online",
        "ews_source.unknown",
        "report.safe",
        "headless.not_available",
        "headless.no_password",
        "headless.no_passphrase",
        "headless.reveal_not_terminal",
        "headless.reveal_screen_share",
        "answers_file.unknown_key",
        "keychain.unavailable",
    ] {
        assert!(text::has(k), "{k}");
    }
}
