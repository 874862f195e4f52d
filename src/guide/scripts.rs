//! PowerShell templates from `assets/scripts/*.ps1`, filled with the admin's values, and the
//! `moxi-setup scripts` command that prints them. Values are inserted only as single-quoted
//! PowerShell literals (a `'` is doubled), never raw; a value not typed yet becomes a visible
//! `<service account address>` hint that PowerShell refuses to run.
//!
//! Must not run PowerShell, touch the network, or ever see the password: no template has a
//! password placeholder, and the answers-file reader (shared with `moxi-setup check`) refuses
//! a password key.

use crate::answers::{Answers, FieldId, Platform, clean_pasted};
use crate::guide::Guide;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// Which shell a script is meant for; shown above the script so the admin opens the right one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    ExchangeOnline,
    GraphPowerShell,
    ExchangeManagementShell,
    ActiveDirectory,
}

impl Shell {
    /// The shell's name as the admin will find it.
    pub fn title(self) -> &'static str {
        match self {
            Shell::ExchangeOnline => "Exchange Online PowerShell",
            Shell::GraphPowerShell => "Microsoft Graph PowerShell",
            Shell::ExchangeManagementShell => "Exchange Management Shell",
            Shell::ActiveDirectory => "Windows PowerShell with the Active Directory module",
        }
    }
}

/// One template.
#[derive(Debug, Clone)]
pub struct Script {
    /// File name under `assets/scripts/` without `.ps1`; what guide screens refer to.
    pub name: &'static str,
    pub shell: Shell,
    /// What running it achieves, in a few plain words (panel and header title).
    pub title: &'static str,
    pub template: &'static str,
}

macro_rules! script {
    ($name:literal, $shell:expr, $title:literal) => {
        Script {
            name: $name,
            shell: $shell,
            title: $title,
            template: include_str!(concat!("../../assets/scripts/", $name, ".ps1")),
        }
    };
}

static SCRIPTS: [Script; 8] = [
    script!(
        "exo-impersonation-role-group",
        Shell::ExchangeOnline,
        "Give the service account the impersonation role"
    ),
    script!(
        "graph-install-module",
        Shell::GraphPowerShell,
        "Install Microsoft Graph PowerShell"
    ),
    script!(
        "graph-password-never-expires",
        Shell::GraphPowerShell,
        "Make the service account's password never expire"
    ),
    script!(
        "exo-ews-allow-app",
        Shell::ExchangeOnline,
        "Let the MoxiEngage app use EWS"
    ),
    script!(
        "ad-password-never-expires",
        Shell::ActiveDirectory,
        "Make the service account's password never expire"
    ),
    script!(
        "ems-impersonation-role-group",
        Shell::ExchangeManagementShell,
        "Give the service account the impersonation role"
    ),
    script!(
        "ems-check-mailbox",
        Shell::ExchangeManagementShell,
        "Confirm both accounts have mailboxes"
    ),
    script!(
        "ems-basic-auth",
        Shell::ExchangeManagementShell,
        "Allow basic authentication on EWS and Autodiscover"
    ),
];

/// All embedded templates.
pub fn all() -> &'static [Script] {
    &SCRIPTS
}

/// The template called `name`.
pub fn get(name: &str) -> Option<&'static Script> {
    SCRIPTS.iter().find(|s| s.name == name)
}

/// A value a template can ask for with `{{name}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    ServiceAccount,
    TestUser,
    ClientId,
    Tenant,
    /// The domain part of the service account's address.
    AccountDomain,
}

impl Placeholder {
    pub const ALL: [Placeholder; 5] = [
        Placeholder::ServiceAccount,
        Placeholder::TestUser,
        Placeholder::ClientId,
        Placeholder::Tenant,
        Placeholder::AccountDomain,
    ];

    /// The name between the braces.
    pub fn name(self) -> &'static str {
        match self {
            Placeholder::ServiceAccount => "service_account",
            Placeholder::TestUser => "test_user",
            Placeholder::ClientId => "client_id",
            Placeholder::Tenant => "tenant",
            Placeholder::AccountDomain => "account_domain",
        }
    }

    pub fn parse(name: &str) -> Option<Placeholder> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Shown instead of a value not typed yet. PowerShell treats `<` as a reserved operator, so
    /// a script pasted too early stops with an error instead of acting on a wrong value.
    pub fn hint(self) -> &'static str {
        match self {
            Placeholder::ServiceAccount => "<service account address>",
            Placeholder::TestUser => "<test user address>",
            Placeholder::ClientId => "<application (client) ID>",
            Placeholder::Tenant => "<tenant ID or domain>",
            Placeholder::AccountDomain => "<service account's mail domain>",
        }
    }

    /// The typed value, cleaned of what a paste adds; `None` while empty.
    fn value(self, answers: &Answers) -> Option<String> {
        let text = |f: FieldId| {
            let v = clean_pasted(answers.text(f).unwrap_or_default());
            (!v.is_empty()).then_some(v)
        };
        match self {
            Placeholder::ServiceAccount => text(FieldId::ServiceAccount),
            Placeholder::TestUser => text(FieldId::TestUser),
            Placeholder::ClientId => text(FieldId::ClientId),
            Placeholder::Tenant => text(FieldId::Tenant),
            Placeholder::AccountDomain => answers.account_domain(),
        }
    }
}

/// Quotes a value as a PowerShell single-quoted string literal.
///
/// Inside single quotes PowerShell expands nothing (`$`, backtick, `"` are plain text); the only
/// special character is the quote itself, written twice. PowerShell also treats the typographic
/// quotes U+2018, U+2019, U+201A and U+201B as single quotes, so they are doubled too.
pub fn ps_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// Fills `{{name}}` placeholders of a template. Unknown names are left untouched (a test keeps
/// the templates free of them).
pub fn fill(template: &str, answers: &Answers) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after
            .find("}}")
            .and_then(|end| Placeholder::parse(after[..end].trim()).map(|p| (end, p)))
        {
            Some((end, p)) => {
                match p.value(answers) {
                    Some(v) => out.push_str(&ps_quote(&v)),
                    None => out.push_str(p.hint()),
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The template `name` filled with the answers typed so far; placeholders without a value are
/// left as `<service account address>`-style hints. `None` if there is no such template.
pub fn render(name: &str, answers: &Answers) -> Option<String> {
    get(name).map(|s| fill(s.template, answers))
}

/// The scripts a guide offers, in the order its screens first offer them, each with the guide
/// steps of the screens that offer it.
pub fn for_guide(guide: &Guide) -> Vec<(&'static Script, Vec<String>)> {
    let mut out: Vec<(&'static Script, Vec<String>)> = Vec::new();
    for (section, screen) in guide.screens() {
        for name in &screen.scripts {
            let Some(script) = get(name) else { continue };
            let steps = Guide::step_range(section, screen);
            match out.iter_mut().find(|(s, _)| s.name == script.name) {
                Some((_, ranges)) => ranges.push(steps),
                None => out.push((script, vec![steps])),
            }
        }
    }
    out
}

/// Every script of a guide, each under a header naming its shell, filled with `answers`.
pub fn render_guide(guide: &Guide, answers: &Answers) -> String {
    let scripts = for_guide(guide);
    let total = scripts.len();
    let rule = format!("# {}\n", "=".repeat(76));
    let mut out = String::new();
    for (i, (script, ranges)) in scripts.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&rule);
        out.push_str(&format!(
            "# {} of {total} · {}\n# Open: {}\n# Guide steps: {}\n",
            i + 1,
            script.title,
            script.shell.title(),
            ranges
                .iter()
                .map(|r| format!("{}/{r}", guide.id))
                .collect::<Vec<_>>()
                .join(", "),
        ));
        out.push_str(&rule);
        let body = fill(script.template, answers);
        out.push_str(&body);
        if !body.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// Reads an answers file with the same reader as `moxi-setup check` (unknown keys, password
/// keys, invalid values and missing keys are refused, each line naming its key).
pub fn read_answers_file(path: &Path) -> Result<Answers, crate::headless::InputError> {
    let shown = path.display().to_string();
    let src = std::fs::read_to_string(path).map_err(|e| {
        crate::headless::InputError(vec![crate::bundle::text::tf(
            "headless.answers_read",
            &[("path", &shown), ("reason", &e.to_string())],
        )])
    })?;
    crate::headless::parse_answers_file(&src).map_err(|mut e| {
        for line in &mut e.0 {
            *line = line.replace("(answers)", &shown);
        }
        e
    })
}

/// `moxi-setup scripts --platform … [--answers FILE]`.
pub fn cli(args: crate::cli::ScriptsArgs) -> ExitCode {
    let usage = ExitCode::from(crate::cli::EXIT_USAGE);
    let Some(platform) = Platform::parse(&args.platform) else {
        eprintln!(
            "moxi-setup scripts: --platform must be microsoft-365 or exchange-server, not \"{}\".",
            args.platform
        );
        return usage;
    };
    let answers = match &args.answers {
        None => Answers::default(),
        Some(path) => match read_answers_file(path) {
            Ok(a) => a,
            Err(e) => {
                for line in &e.0 {
                    eprintln!("moxi-setup scripts: {line}");
                }
                return usage;
            }
        },
    };
    if let Some(p) = answers.platform
        && p != platform
    {
        eprintln!(
            "moxi-setup scripts: the answers file is for {p}, but --platform asks for {platform}."
        );
        return usage;
    }
    let guide = match crate::guide::guide(platform) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("moxi-setup scripts: {e}");
            return ExitCode::FAILURE;
        }
    };
    let text = render_guide(guide, &answers);
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`| head`) is the reader's choice, not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("moxi-setup scripts: could not write the scripts: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_doubles_every_kind_of_single_quote() {
        assert_eq!(ps_quote("o'brien"), "'o''brien'");
        assert_eq!(ps_quote("a\u{2019}b"), "'a\u{2019}\u{2019}b'");
        assert_eq!(ps_quote("$(rm -r)`\""), "'$(rm -r)`\"'");
        assert_eq!(ps_quote(""), "''");
    }

    #[test]
    fn fill_uses_hints_then_values() {
        let mut a = Answers::default();
        let t = "X {{service_account}} {{account_domain}} {{nope}} {{";
        assert_eq!(
            fill(t, &a),
            "X <service account address> <service account's mail domain> {{nope}} {{"
        );
        a.service_account = " o'neil@Contoso.com ".into();
        assert_eq!(
            fill(t, &a),
            "X 'o''neil@Contoso.com' 'contoso.com' {{nope}} {{"
        );
    }
}
