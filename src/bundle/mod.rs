//! The submission bundle (age-encrypted JSON, format v1, see `docs/bundle.md`), the non-secret
//! draft that lets an admin resume, and atomic owner-only file writing for every file the user
//! keeps. Must not put a secret anywhere but inside the encrypted bundle, and must not write a
//! file except through [`atomic`].
//!
//! For the wizard's export step:
//! 1. [`Submission::new`] from the answers and the check reports;
//! 2. [`passphrase_strength`] while the admin types (twice) a passphrase;
//! 3. [`write_bundle`] (off the UI thread: scrypt takes about half a second) to the path from
//!    [`default_file_name`] in a folder the admin chose, with [`Overwrite::Refuse`] unless the
//!    admin confirmed replacing an existing file;
//! 4. [`summary`] shows what went in (secrets masked); [`support_report`] is the plain-text
//!    report safe for a screen share.
//!
//! The receiving side uses [`read_bundle`] / [`read_bundle_bytes`], then
//! [`Submission::to_answers`] to re-run the checks.

pub mod atomic;
pub mod draft;
mod file;
mod passphrase;
mod report;
pub mod text;
mod wire;

pub use atomic::Overwrite;
pub use file::{
    BundleError, MAX_WORK_FACTOR, STALE_TEMP_AGE, TEST_WORK_FACTOR, WORK_FACTOR, read_bundle,
    read_bundle_bytes, sweep_stale_temps, work_factor_of, write_bundle,
};
pub use passphrase::{
    MIN_PASSPHRASE_CHARS, Strength, confirm_passphrase, passphrase_strength, passphrase_strength_vs,
};
pub use report::{Reveal, default_file_name, summary, support_report};

use crate::answers::{Answers, Platform};
use crate::checks::{CheckId, CheckReport, Status};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// The bundle format this version writes, and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

/// The `format` marker inside the JSON: tells a bundle from any other age-encrypted JSON.
pub const FORMAT_NAME: &str = "moxiengage-setup-bundle";

/// The standard Exchange Online EWS address (used when no other was typed or found).
pub const EXCHANGE_ONLINE_EWS_URL: &str = "https://outlook.office365.com/EWS/Exchange.asmx";

/// How the EWS address in a bundle was found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EwsUrlSource {
    /// The admin typed it.
    Typed,
    /// Autodiscover found it (on-premises).
    Autodiscover,
    /// The standard Exchange Online address (or the `--ews-url` override) was used.
    ExchangeOnline,
    /// Not typed and not found (the checks did not get that far).
    #[default]
    Unknown,
}

impl EwsUrlSource {
    fn text_key(self) -> &'static str {
        match self {
            EwsUrlSource::Typed => "ews_source.typed",
            EwsUrlSource::Autodiscover => "ews_source.autodiscover",
            EwsUrlSource::ExchangeOnline => "ews_source.exchange_online",
            EwsUrlSource::Unknown => "ews_source.unknown",
        }
    }
}

/// The trust choices the admin made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustChoices {
    /// The admin chose not to verify the certificate of the EWS server they typed.
    pub ignore_tls_trust: bool,
    /// The single host that choice applies to (the host of the typed EWS address); never a
    /// host found by Autodiscover or a redirect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignored_tls_host: Option<String>,
    /// A host outside the account's domain the admin allowed Autodiscover to send the
    /// credentials to, after the discovery check named it (Exchange Server only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_outside_host: Option<String>,
}

/// Every answer, as submitted.
#[derive(Debug, Clone, Default)]
pub struct SubmittedAnswers {
    pub service_account: String,
    /// Only ever written out by the bundle writer (see `wire::expose_password_for_bundle`).
    pub service_password: Option<SecretString>,
    pub test_user: String,
    /// The tenant as typed (GUID or domain); empty for Exchange Server.
    pub tenant: String,
    /// The Directory (tenant) ID GUID: typed, or learned by the tenant check.
    pub tenant_id: Option<String>,
    pub client_id: String,
    /// The EWS address typed by the admin, or found.
    pub ews_url: Option<String>,
    pub ews_url_source: EwsUrlSource,
    /// The engine's own name for the way it found the address (`autodiscover-srv`,
    /// `typed-by-admin`…), when a check recorded one.
    pub ews_url_found_by: Option<String>,
    pub trust: TrustChoices,
}

/// Everything a bundle holds. Not `Serialize` on purpose: the only way to turn one into bytes
/// is [`write_bundle`], which encrypts.
#[derive(Debug, Clone)]
pub struct Submission {
    pub format_version: u32,
    /// When the bundle was made (RFC 3339, UTC).
    pub created_at: String,
    /// `moxi-setup` version that made it.
    pub tool_version: String,
    /// Operating system and CPU of the computer that made it (`windows-x86_64`).
    pub os: String,
    pub platform: Platform,
    pub answers: SubmittedAnswers,
    /// Every check report, with evidence and time, as it was when the bundle was made.
    pub checks: Vec<CheckReport>,
}

/// What the checks in a bundle said, for warnings before export and after opening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    pub overall: Status,
    pub failed: Vec<CheckId>,
    /// Checks of the platform with no report at all.
    pub not_run: Vec<CheckId>,
}

// Evidence keys the engine uses for facts the bundle records as answers. Several spellings are
// accepted so the bundle does not silently lose a fact if a check names it slightly differently.
const EVIDENCE_TENANT_ID: &[&str] = &["tenant_id", "tenant_guid", "tid"];
const EVIDENCE_EWS_URL: &[&str] = &["ews_url", "ews_url_found"];
const EVIDENCE_EWS_SOURCE: &[&str] = &["how_found", "ews_url_source", "found_by", "source"];

fn evidence<'a>(reports: &'a [CheckReport], id: CheckId, keys: &[&str]) -> Option<&'a str> {
    let r = reports.iter().find(|r| r.id == id)?;
    keys.iter()
        .find_map(|k| r.evidence.get(*k))
        .map(String::as_str)
        .filter(|v| !v.trim().is_empty())
}

fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
}

impl Submission {
    /// Builds the submission from what the admin answered and every check report so far.
    /// Fails only when the platform was never chosen.
    pub fn new(answers: &Answers, reports: &[CheckReport]) -> Result<Submission, BundleError> {
        let platform = answers.platform.ok_or_else(|| BundleError::Incomplete {
            what: text::t("error.no_platform").to_string(),
        })?;
        let typed_url = crate::answers::validate_ews_url(&answers.ews_url)
            .ok()
            .flatten();
        let (ews_url, ews_url_source) = match typed_url {
            Some(u) => (Some(u), EwsUrlSource::Typed),
            None => match platform {
                Platform::ExchangeServer => {
                    match evidence(reports, CheckId::ExDiscover, EVIDENCE_EWS_URL) {
                        Some(u) => (Some(u.to_string()), EwsUrlSource::Autodiscover),
                        None => (None, EwsUrlSource::Unknown),
                    }
                }
                Platform::Microsoft365 => {
                    let found = evidence(reports, CheckId::M365Ews, EVIDENCE_EWS_URL)
                        .unwrap_or(EXCHANGE_ONLINE_EWS_URL);
                    (Some(found.to_string()), EwsUrlSource::ExchangeOnline)
                }
            },
        };
        // A source the engine recorded explicitly wins over our inference (say, a typed
        // address that turned out to be a redirect target).
        let ews_url_source = [CheckId::ExDiscover, CheckId::M365Ews]
            .iter()
            .find_map(|id| evidence(reports, *id, EVIDENCE_EWS_SOURCE))
            .and_then(|s| {
                let s = s.to_ascii_lowercase();
                if s.contains("typed") {
                    Some(EwsUrlSource::Typed)
                } else if s.contains("autodiscover") || s == "srv" {
                    Some(EwsUrlSource::Autodiscover)
                } else {
                    None
                }
            })
            .filter(|_| ews_url_source != EwsUrlSource::Typed)
            .unwrap_or(ews_url_source);
        let ews_url_found_by = [CheckId::ExDiscover, CheckId::M365Ews]
            .iter()
            .find_map(|id| evidence(reports, *id, EVIDENCE_EWS_SOURCE))
            .map(str::to_string);
        let tenant = answers.tenant.trim().to_string();
        let tenant_id = crate::answers::validate_guid(&tenant).ok().or_else(|| {
            evidence(reports, CheckId::M365Tenant, EVIDENCE_TENANT_ID).map(str::to_string)
        });
        let ignore = answers.ignore_tls_trust && ews_url_source == EwsUrlSource::Typed;
        let trust = TrustChoices {
            ignore_tls_trust: ignore,
            ignored_tls_host: if ignore {
                ews_url.as_deref().and_then(host_of)
            } else {
                None
            },
            allowed_outside_host: Some(answers.outside_host.trim().to_string())
                .filter(|h| !h.is_empty() && platform == Platform::ExchangeServer),
        };
        Ok(Submission {
            format_version: FORMAT_VERSION,
            created_at: now_rfc3339(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            os: format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH),
            platform,
            answers: SubmittedAnswers {
                service_account: answers.service_account.trim().to_string(),
                service_password: answers.service_password.clone(),
                test_user: answers.test_user.trim().to_string(),
                tenant,
                tenant_id,
                client_id: answers.client_id.trim().to_string(),
                ews_url,
                ews_url_source,
                ews_url_found_by,
                trust,
            },
            checks: reports.to_vec(),
        })
    }

    /// The answers to re-run the checks with (receiving side) or to resume the wizard from.
    /// Only a typed EWS address comes back as typed: a found one is found again by the checks.
    pub fn to_answers(&self) -> Answers {
        let a = &self.answers;
        Answers {
            platform: Some(self.platform),
            service_account: a.service_account.clone(),
            service_password: a.service_password.clone(),
            test_user: a.test_user.clone(),
            tenant: a.tenant.clone(),
            client_id: a.client_id.clone(),
            ews_url: match a.ews_url_source {
                EwsUrlSource::Typed => a.ews_url.clone().unwrap_or_default(),
                _ => String::new(),
            },
            ignore_tls_trust: a.trust.ignore_tls_trust,
            outside_host: a.trust.allowed_outside_host.clone().unwrap_or_default(),
        }
    }

    /// The trust choice as the network layer needs it.
    pub fn ignored_tls_host(&self) -> Option<&str> {
        self.answers.trust.ignored_tls_host.as_deref()
    }

    /// What the recorded checks said.
    pub fn check_outcome(&self) -> CheckOutcome {
        check_outcome(self.platform, &self.checks)
    }
}

/// Overall verdict, failed checks and checks with no report, for one platform.
pub fn check_outcome(platform: Platform, reports: &[CheckReport]) -> CheckOutcome {
    let not_run: Vec<CheckId> = CheckId::for_platform(platform)
        .iter()
        .copied()
        .filter(|id| !reports.iter().any(|r| r.id == *id))
        .collect();
    let failed = reports
        .iter()
        .filter(|r| r.status == Status::Fail)
        .map(|r| r.id)
        .collect::<Vec<_>>();
    let overall = if !failed.is_empty() || reports.is_empty() {
        Status::Fail
    } else {
        let o = crate::checks::overall(reports);
        if o == Status::Pass && !not_run.is_empty() {
            Status::Warn
        } else {
            o
        }
    };
    CheckOutcome {
        overall,
        failed,
        not_run,
    }
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
