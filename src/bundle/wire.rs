//! The JSON shape of bundle format v1 (documented in `docs/bundle.md`) and the one helper that
//! writes a password as plain text: [`expose_password_for_bundle`]. Private to the bundle
//! module; must not be used for anything that is not encrypted right after.

use super::{EwsUrlSource, FORMAT_NAME, Submission, SubmittedAnswers, TrustChoices};
use crate::answers::Platform;
use crate::checks::CheckReport;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

/// Read first, on its own, so a newer format is recognised before its fields are parsed.
#[derive(Deserialize)]
pub(super) struct Probe {
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub format_version: Option<u32>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Serialize, Deserialize)]
pub(super) struct WireAnswers {
    pub service_account: String,
    #[serde(
        serialize_with = "expose_password_for_bundle",
        deserialize_with = "password_from_bundle",
        default
    )]
    pub service_password: Option<SecretString>,
    pub test_user: String,
    #[serde(default)]
    pub tenant: String,
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub ews_url: Option<String>,
    pub ews_url_source: EwsUrlSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ews_url_found_by: Option<String>,
    #[serde(default)]
    pub trust: TrustChoices,
}

/// Bundle format v1. Readers ignore fields they do not know (additions within a version);
/// anything incompatible bumps `format_version`.
#[derive(Serialize, Deserialize)]
pub(super) struct WireV1 {
    pub format: String,
    pub format_version: u32,
    pub created_at: String,
    pub tool: Tool,
    #[serde(default)]
    pub os: String,
    pub platform: Platform,
    pub answers: WireAnswers,
    #[serde(default)]
    pub checks: Vec<CheckReport>,
    /// Informational: the verdict over `checks` when the bundle was made.
    #[serde(default)]
    pub overall: Option<crate::checks::Status>,
}

/// THE place a service-account password becomes plain text for serialisation. Used only by
/// the bundle writer through `WireAnswers` (the JSON it produces lives in zeroizing memory
/// and is encrypted immediately). Grep for this name to audit every use.
fn expose_password_for_bundle<S: Serializer>(
    password: &Option<SecretString>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match password {
        Some(p) => s.serialize_some(p.expose_secret()),
        None => s.serialize_none(),
    }
}

fn password_from_bundle<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
    let raw: Option<String> = Option::deserialize(d)?;
    Ok(raw.map(|p| {
        let p = Zeroizing::new(p);
        SecretString::from(p.as_str().to_owned())
    }))
}

impl WireV1 {
    pub fn from_submission(s: &Submission) -> WireV1 {
        let a = &s.answers;
        WireV1 {
            format: FORMAT_NAME.to_string(),
            format_version: s.format_version,
            created_at: s.created_at.clone(),
            tool: Tool {
                name: "moxi-setup".to_string(),
                version: s.tool_version.clone(),
            },
            os: s.os.clone(),
            platform: s.platform,
            answers: WireAnswers {
                service_account: a.service_account.clone(),
                service_password: a.service_password.clone(),
                test_user: a.test_user.clone(),
                tenant: a.tenant.clone(),
                tenant_id: a.tenant_id.clone(),
                client_id: a.client_id.clone(),
                ews_url: a.ews_url.clone(),
                ews_url_source: a.ews_url_source,
                ews_url_found_by: a.ews_url_found_by.clone(),
                trust: a.trust.clone(),
            },
            checks: s.checks.clone(),
            overall: Some(s.check_outcome().overall),
        }
    }

    pub fn into_submission(self) -> Submission {
        let a = self.answers;
        Submission {
            format_version: self.format_version,
            created_at: self.created_at,
            tool_version: self.tool.version,
            os: self.os,
            platform: self.platform,
            answers: SubmittedAnswers {
                service_account: a.service_account,
                service_password: a.service_password,
                test_user: a.test_user,
                tenant: a.tenant,
                tenant_id: a.tenant_id,
                client_id: a.client_id,
                ews_url: a.ews_url,
                ews_url_source: a.ews_url_source,
                ews_url_found_by: a.ews_url_found_by,
                trust: a.trust,
            },
            checks: self.checks,
        }
    }
}
