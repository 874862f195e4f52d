//! Bad input: every field of both guides fed a corpus of wrong values (empty, spaces, unicode
//! look-alikes, a GUID in braces, an e-mail with a trailing dot, an http:// address, a 10 KB
//! paste, control characters). Each is either accepted cleaned (where the value is a harmless
//! variant, such as a GUID in braces) or refused with a short plain-words message that says
//! what is wrong; through an answers file the binary exits 2 naming the key and sends nothing.

use assert_cmd::Command;
use moxi_setup::answers::{self, FieldId, Invalid, Platform};
use secrecy::SecretString;
use std::net::TcpListener;
use std::time::Duration;

const GOOD_ACCOUNT: &str = "moxiengage@contoso.onmicrosoft.com";
const GOOD_TENANT: &str = "contoso.onmicrosoft.com";
const GOOD_CLIENT_ID: &str = "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d";
const GOOD_EWS_URL: &str = "https://mail.contoso.example/EWS/Exchange.asmx";

/// The kinds of wrong value, each with what a clear message about it must mention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bad {
    Empty,
    OnlySpaces,
    SpaceInside,
    LookAlike,
    GuidInBraces,
    EmailTrailingDot,
    HttpUrl,
    Paste10Kb,
    ControlChar,
}

const ALL_BAD: [Bad; 9] = [
    Bad::Empty,
    Bad::OnlySpaces,
    Bad::SpaceInside,
    Bad::LookAlike,
    Bad::GuidInBraces,
    Bad::EmailTrailingDot,
    Bad::HttpUrl,
    Bad::Paste10Kb,
    Bad::ControlChar,
];

fn good_value(f: FieldId) -> &'static str {
    match f {
        FieldId::ServiceAccount => GOOD_ACCOUNT,
        FieldId::TestUser => "agent@contoso.onmicrosoft.com",
        FieldId::Tenant => GOOD_TENANT,
        FieldId::ClientId => GOOD_CLIENT_ID,
        FieldId::EwsUrl => GOOD_EWS_URL,
        FieldId::ServicePassword => "Demo-Passw0rd!",
        FieldId::IgnoreTlsTrust => "yes",
        FieldId::OutsideHost => "autodiscover.hoster.example",
    }
}

/// Replaces the first Latin letter that has a Cyrillic twin.
fn look_alike(s: &str) -> String {
    let mut done = false;
    s.chars()
        .map(|c| {
            let twin = match c {
                'o' => Some('\u{043E}'),
                'e' => Some('\u{0435}'),
                'a' => Some('\u{0430}'),
                'c' => Some('\u{0441}'),
                _ => None,
            };
            match twin {
                Some(t) if !done => {
                    done = true;
                    t
                }
                _ => c,
            }
        })
        .collect()
}

fn ten_kb_paste() -> String {
    // What a mis-aimed copy of a whole page looks like: many lines of ordinary text.
    let line =
        "Application (client) ID 9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d Directory (tenant) ID\r\n";
    line.repeat(10 * 1024 / line.len() + 1)
}

fn bad_value(f: FieldId, b: Bad) -> String {
    let good = good_value(f);
    match b {
        Bad::Empty => String::new(),
        Bad::OnlySpaces => "   \t ".into(),
        Bad::SpaceInside => {
            let mid = good.len() / 2;
            format!("{} {}", &good[..mid], &good[mid..])
        }
        Bad::LookAlike => match f {
            // The letters after the @ (the look-alike is most harmful in the domain).
            FieldId::ServiceAccount | FieldId::TestUser => {
                let (l, d) = good.split_once('@').unwrap();
                format!("{l}@{}", look_alike(d))
            }
            FieldId::EwsUrl => "https://mail.c\u{043E}ntoso.example/EWS/Exchange.asmx".into(),
            FieldId::IgnoreTlsTrust => "y\u{0435}s".into(),
            _ => look_alike(good),
        },
        Bad::GuidInBraces => format!("{{{}}}", GOOD_CLIENT_ID.to_ascii_uppercase()),
        Bad::EmailTrailingDot => "moxiengage@contoso.com.".into(),
        Bad::HttpUrl => "http://mail.contoso.example/EWS/Exchange.asmx".into(),
        Bad::Paste10Kb => ten_kb_paste(),
        Bad::ControlChar => {
            let mid = good.len() / 2;
            format!("{}\u{0007}{}", &good[..mid], &good[mid..])
        }
    }
}

/// What validating `value` for `f` must give: `Some(cleaned)` when accepted.
fn expected_accept(f: FieldId, b: Bad) -> Option<String> {
    match (f, b) {
        // A GUID copied with braces (registry, PowerShell) is the same GUID.
        (FieldId::ClientId | FieldId::Tenant, Bad::GuidInBraces) => {
            Some(GOOD_CLIENT_ID.to_string())
        }
        // An empty EWS URL means "find it with Autodiscover".
        (FieldId::EwsUrl, Bad::Empty | Bad::OnlySpaces) => Some(String::new()),
        // Empty: no host outside the domain is allowed.
        (FieldId::OutsideHost, Bad::Empty | Bad::OnlySpaces) => Some(String::new()),
        // An empty yes/no is "no".
        (FieldId::IgnoreTlsTrust, Bad::Empty | Bad::OnlySpaces) => Some("false".into()),
        // A password may hold any printable character, look-alikes and inner spaces included.
        (FieldId::ServicePassword, Bad::LookAlike | Bad::SpaceInside) => Some(String::new()),
        (FieldId::ServicePassword, Bad::GuidInBraces | Bad::EmailTrailingDot | Bad::HttpUrl) => {
            Some(String::new())
        }
        _ => None,
    }
}

/// What a clear message about `b` must mention (any of these words, case-insensitive).
fn must_mention(f: FieldId, b: Bad) -> &'static [&'static str] {
    match (f, b) {
        // A yes/no question has one fix whatever was typed.
        (FieldId::IgnoreTlsTrust, _) => &["yes or no"],
        (_, Bad::Paste10Kb) => &["longer"],
        (_, Bad::ControlChar) => &["control character", "invisible"],
        (FieldId::ServiceAccount | FieldId::TestUser, Bad::EmailTrailingDot) => &["dot"],
        (FieldId::ServiceAccount | FieldId::TestUser, Bad::SpaceInside) => &["space"],
        (FieldId::EwsUrl | FieldId::OutsideHost, Bad::HttpUrl) => &["https://"],
        (FieldId::OutsideHost, Bad::LookAlike) => &["look-alike"],
        (
            FieldId::ServiceAccount | FieldId::TestUser | FieldId::Tenant | FieldId::EwsUrl,
            Bad::LookAlike,
        ) => &["look-alike"],
        (FieldId::Tenant, Bad::EmailTrailingDot) => &["e-mail"],
        (FieldId::Tenant, Bad::HttpUrl) => &["web address"],
        _ => &[],
    }
}

fn validate(f: FieldId, v: &str) -> Result<String, Invalid> {
    match f {
        FieldId::ServiceAccount | FieldId::TestUser => answers::validate_email(v),
        FieldId::Tenant => answers::validate_tenant(v),
        FieldId::ClientId => answers::validate_guid(v),
        FieldId::EwsUrl => answers::validate_ews_url(v).map(Option::unwrap_or_default),
        FieldId::ServicePassword => {
            answers::validate_password(&SecretString::from(v.to_string())).map(|()| String::new())
        }
        FieldId::IgnoreTlsTrust => answers::parse_yes_no(v).map(|b| b.to_string()),
        FieldId::OutsideHost => answers::validate_outside_host(v, Some("contoso.example")),
    }
}

/// A message a non-technical admin can act on: one short sentence or two, no echo of a long
/// paste, no control characters, no unfilled placeholder.
fn assert_clear(f: FieldId, b: Bad, value: &str, msg: &str) {
    let ctx = format!("{f} / {b:?}: {msg:?}");
    assert!(!msg.trim().is_empty(), "{ctx}: empty message");
    assert!(msg.chars().count() <= 400, "{ctx}: message too long");
    assert!(
        !msg.chars().any(char::is_control),
        "{ctx}: control character"
    );
    assert!(
        !msg.contains('{') && !msg.contains('}'),
        "{ctx}: placeholder"
    );
    assert!(
        msg.trim_end().ends_with('.'),
        "{ctx}: not a finished sentence"
    );
    if value.len() > 200 {
        assert!(!msg.contains(&value[..100]), "{ctx}: the paste is echoed");
    }
    if f == FieldId::ServicePassword && !value.trim().is_empty() {
        assert!(!msg.contains(value.trim()), "{ctx}: the password is echoed");
    }
    let words = must_mention(f, b);
    if !words.is_empty() {
        let low = msg.to_lowercase();
        assert!(
            words.iter().any(|w| low.contains(w)),
            "{ctx}: does not say what is wrong (expected one of {words:?})"
        );
    }
}

#[test]
fn every_field_gets_a_clear_message_for_every_wrong_value() {
    let mut n = 0;
    for f in FieldId::ALL {
        for b in ALL_BAD {
            let v = bad_value(f, b);
            let got = validate(f, &v);
            match (expected_accept(f, b), got) {
                (Some(want), Ok(cleaned)) => {
                    if f != FieldId::ServicePassword {
                        assert_eq!(cleaned, want, "{f} / {b:?}");
                    }
                }
                (Some(_), Err(e)) => panic!("{f} / {b:?}: refused a harmless variant: {e}"),
                (None, Ok(c)) => panic!("{f} / {b:?}: accepted {:?} as {c:?}", v),
                (None, Err(e)) => assert_clear(f, b, &v, &e.0),
            }
            n += 1;
        }
    }
    assert_eq!(n, FieldId::ALL.len() * ALL_BAD.len());
}

#[test]
fn a_bracketed_paste_of_a_guid_with_surrounding_whitespace_is_trimmed() {
    // What a terminal delivers for a paste copied from a web page or a table cell.
    for pasted in [
        format!("  {GOOD_CLIENT_ID}\r\n"),
        format!("\t{{{}}} \n", GOOD_CLIENT_ID.to_ascii_uppercase()),
        format!("\u{200B}{GOOD_CLIENT_ID}\u{00A0}"),
        format!("\u{FEFF}{GOOD_CLIENT_ID}\n\n"),
    ] {
        assert_eq!(
            answers::validate_guid(&pasted).unwrap(),
            GOOD_CLIENT_ID,
            "{pasted:?}"
        );
        assert_eq!(
            answers::validate_tenant(&pasted).unwrap(),
            GOOD_CLIENT_ID,
            "{pasted:?}"
        );
    }
    assert_eq!(
        answers::validate_email(&format!(" {GOOD_ACCOUNT}\r\n")).unwrap(),
        GOOD_ACCOUNT
    );
}

#[test]
fn a_stored_answer_that_is_wrong_is_caught_when_the_field_is_validated() {
    // The wizard keeps what was typed and validates on leaving the field.
    let mut a = answers::Answers {
        platform: Some(Platform::Microsoft365),
        ..Default::default()
    };
    for f in [
        FieldId::ServiceAccount,
        FieldId::TestUser,
        FieldId::Tenant,
        FieldId::ClientId,
        FieldId::EwsUrl,
    ] {
        for b in ALL_BAD {
            let v = bad_value(f, b);
            a.set_text(f, v.clone());
            assert_eq!(
                a.validate(f).is_ok(),
                expected_accept(f, b).is_some(),
                "{f} / {b:?}"
            );
        }
    }
}

// ------------------------------------------------------------- through the answers file --

/// Nothing must connect here: every simulated host resolves to it.
struct Tripwire(TcpListener);

impl Tripwire {
    fn new() -> Tripwire {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        Tripwire(l)
    }
    fn args(&self) -> Vec<String> {
        let port = self.0.local_addr().unwrap().port();
        [
            "login.microsoftonline.com",
            "outlook.office365.com",
            "contoso.example",
            "autodiscover.contoso.example",
            "mail.contoso.example",
        ]
        .iter()
        .flat_map(|h| ["--resolve".to_string(), format!("{h}=127.0.0.1:{port}")])
        .collect()
    }
    fn connections(&self) -> usize {
        std::iter::from_fn(|| self.0.accept().ok()).count()
    }
}

fn base_file(f: FieldId) -> toml::Table {
    let mut t = toml::Table::new();
    let exchange = matches!(
        f,
        FieldId::EwsUrl | FieldId::IgnoreTlsTrust | FieldId::OutsideHost
    );
    if exchange {
        t.insert("platform".into(), "exchange-server".into());
        t.insert(
            "service_account".into(),
            "moxiengage@contoso.example".into(),
        );
        t.insert("test_user".into(), "agent@contoso.example".into());
        t.insert("ews_url".into(), GOOD_EWS_URL.into());
    } else {
        t.insert("platform".into(), "microsoft-365".into());
        t.insert("service_account".into(), GOOD_ACCOUNT.into());
        t.insert("test_user".into(), "agent@contoso.onmicrosoft.com".into());
        t.insert("tenant".into(), GOOD_TENANT.into());
        t.insert("client_id".into(), GOOD_CLIENT_ID.into());
    }
    t
}

#[test]
fn a_wrong_value_in_an_answers_file_exits_2_naming_the_key_and_sends_nothing() {
    let wire = Tripwire::new();
    let dir = tempfile::tempdir().unwrap();
    let mut runs = 0;
    for f in FieldId::ALL {
        if f.is_secret() {
            continue; // never read from a file (tested in headless_check.rs)
        }
        for b in ALL_BAD {
            if expected_accept(f, b).is_some() {
                continue;
            }
            let v = bad_value(f, b);
            let mut t = base_file(f);
            t.insert(f.as_str().into(), v.clone().into());
            let path = dir.path().join("answers.toml");
            std::fs::write(&path, toml::to_string(&t).unwrap()).unwrap();
            // Also the parser itself, so a failure points at the line that broke.
            let parsed =
                moxi_setup::headless::parse_answers_file(&std::fs::read_to_string(&path).unwrap());
            let lines = parsed.expect_err(&format!("{f} / {b:?} accepted")).0;
            let key = format!("`{}`", f.as_str());
            assert!(
                lines.iter().any(|l| l.contains(&key)),
                "{f} / {b:?}: no line names {key}: {lines:?}"
            );

            let out = Command::cargo_bin("moxi-setup")
                .unwrap()
                .env("MOXI_SETUP_HOME", dir.path())
                .env("MOXI_SETUP_PASSWORD", "Demo-Passw0rd!")
                .args(["check", "--answers", &path.display().to_string(), "--json"])
                .args(wire.args())
                .write_stdin("")
                .timeout(Duration::from_secs(60))
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{f} / {b:?}: {stderr}");
            assert!(stderr.contains(&key), "{f} / {b:?}: {stderr}");
            assert!(!stderr.contains("panicked"), "{f} / {b:?}: {stderr}");
            assert!(
                stderr.len() < 2000,
                "{f} / {b:?}: the error repeats the input: {} bytes",
                stderr.len()
            );
            assert!(!stderr.contains("Demo-Passw0rd!"));
            runs += 1;
        }
    }
    assert!(runs >= 40, "only {runs} runs");
    assert_eq!(wire.connections(), 0, "bad input reached the network");
}
