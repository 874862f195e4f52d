//! PowerShell templates from `assets/scripts/*.ps1`, filled with the admin's values.
//! Values are inserted as single-quoted PowerShell strings (a `'` is doubled), never raw.
//!
//! (Skeleton: the guide-content work fills in the template list.)

use crate::answers::Answers;

/// Which shell a script is meant for; shown above the script so the admin opens the right one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    ExchangeOnline,
    GraphPowerShell,
    ExchangeManagementShell,
    ActiveDirectory,
}

/// One template.
#[derive(Debug, Clone)]
pub struct Script {
    pub name: &'static str,
    pub shell: Shell,
    pub template: &'static str,
}

/// All embedded templates.
pub fn all() -> &'static [Script] {
    &[]
}

/// Quotes a value as a PowerShell single-quoted string literal.
pub fn ps_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// The template `name` filled with the answers typed so far; placeholders without a value are
/// left as `<service account>`-style hints.
pub fn render(name: &str, answers: &Answers) -> Option<String> {
    let _ = answers;
    all()
        .iter()
        .find(|s| s.name == name)
        .map(|s| s.template.to_string())
}

/// `moxi-setup scripts --platform … [--answers FILE]`.
pub fn cli(args: crate::cli::ScriptsArgs) -> std::process::ExitCode {
    let _ = args;
    eprintln!("moxi-setup scripts: not available yet");
    std::process::ExitCode::from(crate::cli::EXIT_USAGE)
}
