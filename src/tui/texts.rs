//! The wizard's own words (not guide content), loaded from the embedded
//! `assets/tui/texts.toml`. Must not hold logic; a test checks the asset parses.

use serde::Deserialize;
use std::sync::OnceLock;

const TEXTS_TOML: &str = include_str!("../../assets/tui/texts.toml");

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Texts {
    pub start: StartTexts,
    pub third_party: Page,
    pub no_email: Page,
    pub resume: ResumeTexts,
    pub open: OpenTexts,
    pub review: ReviewTexts,
    pub export: ExportTexts,
    pub keychain: KeychainTexts,
    pub banners: Banners,
    pub demo: DemoTexts,
    pub small: Small,
    pub checks: CheckTexts,
    pub powershell: PowerShellTexts,
    pub details: DetailsTexts,
    pub status: StatusTexts,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StartTexts {
    pub title: String,
    pub intro: String,
    pub choices: Vec<Choice>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Choice {
    pub key: String,
    pub label: String,
    pub hint: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Page {
    pub title: String,
    pub text: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ResumeTexts {
    pub title: String,
    pub text: String,
    pub yes: String,
    pub no: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OpenTexts {
    pub title: String,
    pub intro: String,
    pub passphrase: String,
    pub explain: String,
    pub empty: String,
    pub busy: String,
    pub again: String,
    pub cannot: String,
    /// `{date}`: the day the bundle was made.
    pub opened: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReviewTexts {
    pub title: String,
    pub intro: String,
    pub not_typed: String,
    pub password_set: String,
    pub export_line: String,
    /// `{date}`: the day the opened bundle was made.
    pub from_bundle_note: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ExportTexts {
    pub title: String,
    pub intro: String,
    pub unavailable: String,
    pub passphrase: String,
    pub confirm: String,
    pub explain: String,
    pub empty: String,
    pub mismatch: String,
    pub busy: String,
    pub saved: String,
    pub folder: String,
    pub folder_hint: String,
    pub exists: String,
    pub kept: String,
    pub warn_failed: String,
    pub warn_not_run: String,
    pub warn_tail: String,
    /// `{count}` results recorded in the bundle of `{date}`.
    pub recorded: String,
    pub report_saved: String,
    pub report_failed: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct KeychainTexts {
    pub offer: String,
    pub remembered: String,
    pub loaded: String,
    pub failed: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Banners {
    pub screen_share: String,
    pub demo: String,
    pub demo_short: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DemoTexts {
    pub title: String,
    pub intro: String,
    pub unavailable: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Small {
    pub text: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CheckTexts {
    pub title: String,
    pub not_run: String,
    pub running: String,
    pub not_available: String,
    pub pass: String,
    pub warn: String,
    pub fail: String,
    pub skip: String,
    pub needs_fields: String,
    pub see_step: String,
    /// `{date}`: the day the opened bundle was made.
    pub from_bundle: String,
    pub from_bundle_short: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DetailsTexts {
    /// Overlay titles.
    pub title: String,
    pub script_title: String,
    /// The bottom line of both overlays.
    pub keys: String,
    /// `{step}`: the step as the guide numbers it; `{id}`: with the platform.
    pub fix_on_step: String,
    pub command: String,
    /// Under a failed check in the panel.
    pub hint: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PowerShellTexts {
    pub unavailable: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StatusTexts {
    pub copied: String,
    pub fix_first: String,
    pub goto_unknown: String,
    pub goto_prompt: String,
}

/// Parses the embedded texts.
pub fn parse() -> Result<Texts, toml::de::Error> {
    toml::from_str(TEXTS_TOML)
}

/// The embedded texts, parsed once (an empty set if the asset were broken; a test prevents it).
pub fn texts() -> &'static Texts {
    static T: OnceLock<Texts> = OnceLock::new();
    T.get_or_init(|| parse().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    #[test]
    fn asset_parses_and_has_four_start_choices() {
        let t = super::parse().unwrap();
        assert_eq!(t.start.choices.len(), 4);
        assert!(!t.banners.screen_share.is_empty());
        for s in [
            &t.open.title,
            &t.open.passphrase,
            &t.open.busy,
            &t.open.cannot,
            &t.review.from_bundle_note,
            &t.export.recorded,
            &t.checks.from_bundle_short,
        ] {
            assert!(!s.is_empty());
        }
        for s in [&t.open.opened, &t.checks.from_bundle] {
            assert!(s.contains("{date}"), "{s}");
        }
    }
}
