//! The written guides as data: platforms, sections, numbered steps, the fields each screen
//! collects and the live checks it runs. Loaded from `assets/guide/*.toml`, embedded in the
//! binary. Knows nothing about terminals or HTTP.
//!
//! Numbering mirrors the written guides exactly so that a support agent can say "go back to
//! step 4.30": a [`GuideStep`] is `section.step` inside one guide (`m365/4.30`, `ex2016/2.4`).

use crate::answers::{FieldId, Platform};
use serde::Deserialize;
use std::fmt;
use std::sync::OnceLock;

pub mod scripts;

/// A reference to one numbered step of one written guide, rendered `m365/4.30`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GuideStep {
    pub platform: Platform,
    pub section: u8,
    pub step: u8,
}

impl GuideStep {
    pub const fn m365(section: u8, step: u8) -> Self {
        GuideStep {
            platform: Platform::Microsoft365,
            section,
            step,
        }
    }
    pub const fn ex(section: u8, step: u8) -> Self {
        GuideStep {
            platform: Platform::ExchangeServer,
            section,
            step,
        }
    }

    /// Parses `m365/4.30` or `ex2016/2.4`.
    pub fn parse(s: &str) -> Option<GuideStep> {
        let (g, rest) = s.split_once('/')?;
        let platform = Platform::parse(g)?;
        let (sec, st) = rest.split_once('.')?;
        Some(GuideStep {
            platform,
            section: sec.parse().ok()?,
            step: st.parse().ok()?,
        })
    }

    /// Short form for sentences: `4.30`.
    pub fn short(&self) -> String {
        format!("{}.{}", self.section, self.step)
    }
}

impl fmt::Display for GuideStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}.{}",
            self.platform.guide_id(),
            self.section,
            self.step
        )
    }
}

impl serde::Serialize for GuideStep {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for GuideStep {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        GuideStep::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("not a guide step: {s}")))
    }
}

/// One whole guide (`assets/guide/<platform>.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guide {
    /// `m365` or `ex2016`.
    pub id: String,
    pub platform: Platform,
    pub title: String,
    /// One paragraph shown on the first screen of this path.
    pub intro: String,
    /// Notices about what changed on the platform since the guide was written (shown prominently).
    #[serde(default)]
    pub notices: Vec<Notice>,
    pub sections: Vec<Section>,
    /// Help text for every field this guide collects.
    pub fields: Vec<FieldHelp>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    pub title: String,
    pub text: String,
}

/// A section of the written guide ("1. Create a service account user").
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub number: u8,
    pub title: String,
    #[serde(default)]
    pub intro: String,
    /// The wizard screens of this section, in order. Each covers a range of numbered steps.
    pub screens: Vec<Screen>,
}

/// One wizard screen: a run of consecutive numbered guide steps shown together.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Screen {
    /// Stable id, e.g. `m365-app-permissions`; used by the draft and snapshots.
    pub id: String,
    pub title: String,
    /// The numbered steps of the guide shown on this screen, in order.
    pub steps: Vec<Step>,
    /// Values this screen asks for.
    #[serde(default)]
    pub fields: Vec<FieldId>,
    /// Live checks (stable ids such as `m365.token`) run when the admin leaves this screen's
    /// last field or asks for them.
    #[serde(default)]
    pub checks: Vec<String>,
    /// PowerShell templates (names under `assets/scripts/`, without `.ps1`) offered here.
    #[serde(default)]
    pub scripts: Vec<String>,
    /// A 2026 platform note specific to this screen.
    #[serde(default)]
    pub note: Option<String>,
}

/// One numbered step of the written guide, in our own words.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub number: u8,
    pub text: String,
}

/// Label and one-line help for a field, per guide.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldHelp {
    pub id: FieldId,
    pub label: String,
    pub help: String,
    #[serde(default)]
    pub placeholder: String,
}

impl Guide {
    /// All screens in order, with their section.
    pub fn screens(&self) -> impl Iterator<Item = (&Section, &Screen)> {
        self.sections
            .iter()
            .flat_map(|s| s.screens.iter().map(move |sc| (s, sc)))
    }

    pub fn screen_count(&self) -> usize {
        self.sections.iter().map(|s| s.screens.len()).sum()
    }

    /// The screen (by index in [`Guide::screens`]) that shows a numbered step.
    pub fn screen_of(&self, step: GuideStep) -> Option<usize> {
        self.screens().position(|(sec, sc)| {
            sec.number == step.section && sc.steps.iter().any(|s| s.number == step.step)
        })
    }

    pub fn field_help(&self, id: FieldId) -> Option<&FieldHelp> {
        self.fields.iter().find(|f| f.id == id)
    }

    /// The screen (by index in [`Guide::screens`]) with this stable id.
    pub fn screen_by_id(&self, id: &str) -> Option<usize> {
        self.screens().position(|(_, sc)| sc.id == id)
    }

    /// The screen (by index) that asks for a field.
    pub fn screen_collecting(&self, field: FieldId) -> Option<usize> {
        self.screens()
            .position(|(_, sc)| sc.fields.contains(&field))
    }

    /// The screen (by index) that runs a check, by its stable id (`m365.token`). Takes the id
    /// as text so this layer stays independent of the checks engine.
    pub fn screen_running(&self, check: &str) -> Option<usize> {
        self.screens()
            .position(|(_, sc)| sc.checks.iter().any(|c| c == check))
    }

    /// One numbered step with its section and screen, e.g. to quote it in a diagnosis.
    pub fn step(&self, step: GuideStep) -> Option<(&Section, &Screen, &Step)> {
        if step.platform != self.platform {
            return None;
        }
        self.screens()
            .filter(|(sec, _)| sec.number == step.section)
            .find_map(|(sec, sc)| {
                sc.steps
                    .iter()
                    .find(|s| s.number == step.step)
                    .map(|s| (sec, sc, s))
            })
    }

    /// The step range of a screen as the guide numbers it: `4.17–4.28` or `1.4`.
    pub fn step_range(section: &Section, screen: &Screen) -> String {
        match (screen.steps.first(), screen.steps.last()) {
            (Some(a), Some(b)) if a.number != b.number => {
                format!(
                    "{}.{}–{}.{}",
                    section.number, a.number, section.number, b.number
                )
            }
            (Some(a), _) => format!("{}.{}", section.number, a.number),
            _ => format!("{}", section.number),
        }
    }
}

/// Error loading a guide asset (only possible if an embedded asset is broken: tests catch it).
#[derive(Debug, thiserror::Error)]
pub enum GuideError {
    #[error("guide asset {name} is not valid: {source}")]
    Parse {
        name: &'static str,
        source: toml::de::Error,
    },
}

const M365_TOML: &str = include_str!("../../assets/guide/microsoft-365.toml");
const EX_TOML: &str = include_str!("../../assets/guide/exchange-server.toml");

/// Parses one embedded guide.
pub fn parse(name: &'static str, text: &str) -> Result<Guide, GuideError> {
    toml::from_str(text).map_err(|source| GuideError::Parse { name, source })
}

/// The embedded guide for a platform, parsed once.
pub fn guide(platform: Platform) -> Result<&'static Guide, &'static GuideError> {
    static M365: OnceLock<Result<Guide, GuideError>> = OnceLock::new();
    static EX: OnceLock<Result<Guide, GuideError>> = OnceLock::new();
    let cell = match platform {
        Platform::Microsoft365 => M365.get_or_init(|| parse("microsoft-365.toml", M365_TOML)),
        Platform::ExchangeServer => EX.get_or_init(|| parse("exchange-server.toml", EX_TOML)),
    };
    cell.as_ref()
}
