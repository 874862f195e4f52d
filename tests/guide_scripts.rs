//! The PowerShell templates: every placeholder is known, values land only inside safe
//! single-quoted literals, missing values show a hint, and `moxi-setup scripts` prints every
//! script of a guide under a header naming its shell.

use assert_cmd::Command;
use moxi_setup::answers::{Answers, FieldId, Platform};
use moxi_setup::guide::{self, scripts};
use std::io::Write;

/// Reads a PowerShell single-quoted literal at the start of `s` (the rules of
/// about_Quoting_Rules: `''` and the typographic single quotes doubled stand for one quote;
/// nothing else is special). Returns the value and the rest of the text.
fn read_ps_literal(s: &str) -> Option<(String, &str)> {
    let is_q = |c: char| matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}');
    let mut chars = s.char_indices().peekable();
    let (_, first) = chars.next()?;
    if !is_q(first) {
        return None;
    }
    let mut value = String::new();
    while let Some((i, c)) = chars.next() {
        if is_q(c) {
            match chars.peek() {
                Some((_, n)) if is_q(*n) => {
                    value.push(c);
                    chars.next();
                }
                _ => return Some((value, &s[i + c.len_utf8()..])),
            }
        } else {
            value.push(c);
        }
    }
    None
}

fn answers_with(account: &str) -> Answers {
    Answers {
        platform: Some(Platform::ExchangeServer),
        service_account: account.to_string(),
        test_user: "agent@contoso.example".into(),
        tenant: "contoso.onmicrosoft.com".into(),
        client_id: "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d".into(),
        ..Answers::default()
    }
}

#[test]
fn every_placeholder_in_every_template_is_known() {
    for s in scripts::all() {
        let mut rest = s.template;
        while let Some(i) = rest.find("{{") {
            let after = &rest[i + 2..];
            let end = after
                .find("}}")
                .unwrap_or_else(|| panic!("{}: unclosed placeholder", s.name));
            let name = &after[..end];
            assert!(
                scripts::Placeholder::parse(name).is_some(),
                "{}: unknown placeholder {{{{{name}}}}}",
                s.name
            );
            rest = &after[end + 2..];
        }
        assert!(!s.template.to_lowercase().contains("{{service_password"));
        assert!(!s.title.is_empty());
        assert!(
            s.template
                .starts_with(&format!("# Run in: {}", run_in_prefix(s.shell))),
            "{}: the first line should say which shell to open",
            s.name
        );
    }
}

fn run_in_prefix(shell: scripts::Shell) -> &'static str {
    match shell {
        scripts::Shell::ExchangeOnline => "Exchange Online PowerShell",
        scripts::Shell::GraphPowerShell => "Microsoft Graph PowerShell",
        scripts::Shell::ExchangeManagementShell => "Exchange Management Shell",
        scripts::Shell::ActiveDirectory => "Windows PowerShell with the Active Directory module",
    }
}

#[test]
fn the_commands_the_guides_promise_are_there() {
    let body = |n: &str| scripts::get(n).map(|s| s.template).unwrap_or_default();
    let expect = [
        ("exo-impersonation-role-group", "Connect-ExchangeOnline"),
        (
            "exo-impersonation-role-group",
            "New-RoleGroup -Name 'MoxiEngage Impersonation'",
        ),
        (
            "exo-impersonation-role-group",
            "-Roles ApplicationImpersonation -Members {{service_account}}",
        ),
        (
            "exo-ews-allow-app",
            "Get-OrganizationConfig | Format-List EwsEnabled,EwsAllowedAppIDs",
        ),
        (
            "exo-ews-allow-app",
            "Set-OrganizationConfig -EwsEnabled $true -EwsAllowedAppIDs",
        ),
        ("exo-ews-allow-app", "REPLACES the whole list"),
        (
            "exo-ews-allow-app",
            "Set-CASMailbox -Identity {{service_account}} -EwsEnabled $true",
        ),
        (
            "graph-password-never-expires",
            "Connect-MgGraph -Scopes User.ReadWrite.All",
        ),
        (
            "graph-password-never-expires",
            "Update-MgUser -UserId {{service_account}} -PasswordPolicies DisablePasswordExpiration",
        ),
        (
            "graph-password-never-expires",
            "Get-MgUser -UserId {{service_account}} -Property UserPrincipalName,PasswordPolicies",
        ),
        (
            "ems-impersonation-role-group",
            "-Roles ApplicationImpersonation -Members {{service_account}}",
        ),
        (
            "ems-impersonation-role-group",
            "New-ManagementRoleAssignment -Name 'MoxiEngage Impersonation' -Role ApplicationImpersonation",
        ),
        (
            "ems-basic-auth",
            "Set-WebServicesVirtualDirectory -BasicAuthentication $true",
        ),
        (
            "ems-basic-auth",
            "Set-AutodiscoverVirtualDirectory -BasicAuthentication $true",
        ),
        ("ems-check-mailbox", "Get-Mailbox -Identity {{test_user}}"),
        (
            "ad-password-never-expires",
            "Set-ADUser -PasswordNeverExpires $true",
        ),
        (
            "ad-password-never-expires",
            "Get-ADUser -Properties PasswordNeverExpires",
        ),
    ];
    for (name, needle) in expect {
        assert!(
            body(name).contains(needle),
            "{name} should contain {needle:?}"
        );
    }
    for s in scripts::all() {
        for retired in [
            "Connect-AzureAD",
            "Set-AzureADUser",
            "Set-MsolUser",
            "Install-Module -Name AzureAD",
        ] {
            let code: String = s
                .template
                .lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .collect();
            assert!(
                !code.contains(retired),
                "{} runs the retired {retired}",
                s.name
            );
        }
    }
}

#[test]
fn a_value_with_quotes_stays_inside_one_literal() {
    // Every nasty thing a value could carry: quotes of each kind, a subexpression, a variable,
    // a backtick, a statement separator, a comment start.
    let evil =
        "o'brien\u{2019}x'; Remove-Item -Recurse C:\\ # $(whoami) `$env:PATH\"@contoso.example";
    let answers = answers_with(evil);
    for s in scripts::all() {
        let out = scripts::render(s.name, &answers).unwrap_or_else(|| panic!("{}", s.name));
        let template = s.template;
        // Walk the template and the output together: text outside placeholders is unchanged,
        // and each placeholder became exactly one literal holding the whole value.
        let mut t = template;
        let mut o = out.as_str();
        while let Some(i) = t.find("{{") {
            assert_eq!(&o[..i], &t[..i], "{}: text around a value changed", s.name);
            let end = t[i..].find("}}").unwrap_or_else(|| unreachable!()) + i;
            let name = &t[i + 2..end];
            if name == "account_domain" && answers.account_domain().is_none() {
                // The evil address is not a valid e-mail address, so no domain is derived.
                let hint = "<service account's mail domain>";
                assert!(o[i..].starts_with(hint), "{}: no domain hint", s.name);
                t = &t[end + 2..];
                o = &o[i + hint.len()..];
                continue;
            }
            let (value, rest) = read_ps_literal(&o[i..])
                .unwrap_or_else(|| panic!("{}: {name} did not become a quoted literal", s.name));
            let expected = match name {
                "service_account" => evil.to_string(),
                "account_domain" => answers.account_domain().unwrap_or_default(),
                "test_user" => answers.test_user.clone(),
                "tenant" => answers.tenant.clone(),
                "client_id" => answers.client_id.clone(),
                other => panic!("unexpected placeholder {other}"),
            };
            assert_eq!(value, expected, "{}: {name} changed on its way in", s.name);
            t = &t[end + 2..];
            o = rest;
        }
        assert_eq!(o, t, "{}: the tail of the script changed", s.name);
    }
}

#[test]
fn the_domain_is_filled_from_a_valid_address_and_a_hint_otherwise() {
    let good = answers_with("MoxiEngage@Contoso.Example");
    let out = scripts::render("ems-check-mailbox", &good).unwrap_or_default();
    assert!(out.contains("-eq 'contoso.example'"), "{out}");
    let bad = answers_with("not an address");
    let out = scripts::render("ems-check-mailbox", &bad).unwrap_or_default();
    assert!(out.contains("-eq <service account's mail domain>"), "{out}");
}

#[test]
fn values_not_typed_yet_show_a_hint_not_an_empty_string() {
    let empty = Answers::default();
    let out = scripts::render("graph-password-never-expires", &empty).unwrap_or_default();
    assert!(
        out.contains("-UserId <service account address> -PasswordPolicies"),
        "{out}"
    );
    assert!(
        !out.contains("''"),
        "an empty value must not become an empty literal"
    );
    assert!(!out.contains("{{"), "{out}");
    let out = scripts::render("exo-ews-allow-app", &empty).unwrap_or_default();
    assert!(out.contains("$app = <application (client) ID>"), "{out}");
    assert!(scripts::render("no-such-script", &empty).is_none());
}

#[test]
fn pasted_whitespace_is_not_carried_into_a_command() {
    let a = answers_with("\u{200B} moxiengage@contoso.example \n");
    let out = scripts::render("ems-impersonation-role-group", &a).unwrap_or_default();
    assert!(
        out.contains("-Members 'moxiengage@contoso.example'"),
        "{out}"
    );
}

/// The answer a placeholder is filled from.
fn source_field(p: scripts::Placeholder) -> FieldId {
    match p {
        scripts::Placeholder::ServiceAccount | scripts::Placeholder::AccountDomain => {
            FieldId::ServiceAccount
        }
        scripts::Placeholder::TestUser => FieldId::TestUser,
        scripts::Placeholder::ClientId => FieldId::ClientId,
        scripts::Placeholder::Tenant => FieldId::Tenant,
    }
}

#[test]
fn a_screen_offers_only_scripts_whose_values_are_known_by_then() {
    for p in [Platform::Microsoft365, Platform::ExchangeServer] {
        let g = guide::guide(p).unwrap_or_else(|e| panic!("{e}"));
        let mut known = std::collections::BTreeSet::new();
        for (_, sc) in g.screens() {
            known.extend(sc.fields.iter().copied());
            for name in &sc.scripts {
                let s = scripts::get(name).unwrap_or_else(|| panic!("{name}"));
                for ph in scripts::Placeholder::ALL {
                    if s.template.contains(&format!("{{{{{}}}}}", ph.name())) {
                        assert!(
                            known.contains(&source_field(ph)),
                            "{}: {name} needs {} before the admin has typed it",
                            sc.id,
                            ph.name()
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn scripts_are_listed_in_guide_order_with_their_steps() {
    let g = guide::guide(Platform::Microsoft365).unwrap_or_else(|e| panic!("{e}"));
    let listed: Vec<&str> = scripts::for_guide(g).iter().map(|(s, _)| s.name).collect();
    assert_eq!(
        listed,
        [
            "exo-impersonation-role-group",
            "graph-install-module",
            "graph-password-never-expires",
            "exo-ews-allow-app"
        ]
    );
    let (_, ranges) = &scripts::for_guide(g)[2];
    assert_eq!(ranges, &["3.7–3.9", "3.10–3.12"]);
}

// --- the command ------------------------------------------------------------------------------

fn moxi() -> Command {
    Command::cargo_bin("moxi-setup").unwrap_or_else(|e| panic!("{e}"))
}

fn answers_file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new()
        .suffix(".toml")
        .tempfile()
        .unwrap_or_else(|e| panic!("{e}"));
    f.write_all(text.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    f
}

fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "exit {:?}, stderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_command_prints_every_script_of_a_guide_with_its_shell() {
    for (platform, shells) in [
        (
            "microsoft-365",
            &["Exchange Online PowerShell", "Microsoft Graph PowerShell"][..],
        ),
        (
            "exchange-server",
            &[
                "Exchange Management Shell",
                "Windows PowerShell with the Active Directory module",
            ][..],
        ),
    ] {
        let out = stdout_of(moxi().args(["scripts", "--platform", platform]));
        let p = Platform::parse(platform).unwrap_or_else(|| unreachable!());
        let g = guide::guide(p).unwrap_or_else(|e| panic!("{e}"));
        let expected = scripts::for_guide(g);
        let mut at = 0;
        for (i, (s, _)) in expected.iter().enumerate() {
            let header = format!(
                "# {} of {} · {}\n# Open: {}",
                i + 1,
                expected.len(),
                s.title,
                s.shell.title()
            );
            let pos = out[at..]
                .find(&header)
                .unwrap_or_else(|| panic!("{platform}: no header for {} in order:\n{out}", s.name));
            at += pos + header.len();
        }
        for shell in shells {
            assert!(
                out.contains(&format!("# Open: {shell}")),
                "{platform}: {shell}"
            );
        }
        assert!(
            out.contains("<service account address>"),
            "no hint without answers"
        );
        assert!(!out.contains("{{"), "unfilled placeholder:\n{out}");
    }
}

#[test]
fn the_command_fills_values_from_an_answers_file() {
    let f = answers_file(
        "platform = \"microsoft-365\"\n\
         service_account = \"moxi'engage@contoso.onmicrosoft.com\"\n\
         test_user = \"agent@contoso.onmicrosoft.com\"\n\
         tenant = \"3f2b8a4c-9d1e-4c7a-b5e6-0a1b2c3d4e5f\"\n\
         client_id = \"9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d\"\n",
    );
    let out = stdout_of(
        moxi()
            .args(["scripts", "--platform", "m365", "--answers"])
            .arg(f.path()),
    );
    assert!(
        out.contains("-UserId 'moxi''engage@contoso.onmicrosoft.com'"),
        "{out}"
    );
    assert!(
        out.contains("$app = '9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d'"),
        "{out}"
    );
    assert!(!out.contains("<service account address>"), "{out}");
}

fn assert_usage_error(args: &[&str], answers: Option<&str>, says: &str) {
    let mut cmd = moxi();
    cmd.args(args);
    let _file;
    if let Some(text) = answers {
        let f = answers_file(text);
        cmd.arg("--answers").arg(f.path());
        _file = f;
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?} should be a usage error"
    );
    assert!(out.stdout.is_empty(), "nothing on stdout for a usage error");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(says), "stderr should mention {says:?}: {err}");
}

#[test]
fn the_command_refuses_bad_input_with_exit_code_2() {
    let scripts_for = |p: &'static str| ["scripts", "--platform", p];
    assert_usage_error(
        &scripts_for("gmail"),
        None,
        "microsoft-365 or exchange-server",
    );
    assert_usage_error(
        &scripts_for("exchange-server"),
        Some("service_acount = \"a@contoso.example\"\n"),
        "service_acount",
    );
    assert_usage_error(
        &scripts_for("exchange-server"),
        Some("platform = \"microsoft-365\"\n"),
        "microsoft-365",
    );
    assert_usage_error(
        &scripts_for("exchange-server"),
        Some("service_account = \"not an address\"\n"),
        "service_account",
    );
    assert_usage_error(
        &scripts_for("exchange-server"),
        Some("this is = not toml ["),
        "not valid",
    );
    // A password in the file is refused, and the refusal does not repeat it.
    let mut cmd = moxi();
    let f = answers_file(
        "service_account = \"a@contoso.example\"\nservice_password = \"Canary-Pw-81!\"\n",
    );
    cmd.args(scripts_for("exchange-server"))
        .arg("--answers")
        .arg(f.path());
    let out = cmd.output().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        all.contains("passwords are never read from a file"),
        "{all}"
    );
    assert!(
        !all.contains("Canary-Pw-81!"),
        "the password was echoed: {all}"
    );
    assert_usage_error(&scripts_for("exchange-server"), Some("nope = 1\n"), "nope");
    let missing = std::env::temp_dir().join("moxi-setup-no-such-answers-file.toml");
    let out = moxi()
        .args(scripts_for("exchange-server"))
        .arg("--answers")
        .arg(&missing)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
}
