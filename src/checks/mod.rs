//! The live-validation engine: stable check ids, the report every check produces, and the
//! scheduler that runs checks concurrently where they are independent. The wizard, the plain
//! mode and `moxi-setup check` all call [`run`], so the screen and the JSON always agree.
//!
//! Must not know about the UI. Wire formats live in [`crate::protocol`]; HTTP in [`crate::net`].

use crate::answers::Platform;

pub mod autodiscover;
pub mod common;
pub mod exchange;
pub mod m365;
pub mod srv;
pub mod tls;
use crate::guide::GuideStep;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Every live check, with its stable id (appears in `--json`, the bundle and the tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CheckId {
    #[serde(rename = "m365.tenant")]
    M365Tenant,
    #[serde(rename = "m365.realm")]
    M365Realm,
    #[serde(rename = "m365.token")]
    M365Token,
    #[serde(rename = "m365.claims")]
    M365Claims,
    #[serde(rename = "m365.ews")]
    M365Ews,
    #[serde(rename = "m365.impersonate_self")]
    M365ImpersonateSelf,
    #[serde(rename = "m365.impersonate_test_user")]
    M365ImpersonateTestUser,
    #[serde(rename = "m365.password_expiry")]
    M365PasswordExpiry,
    #[serde(rename = "ex.discover")]
    ExDiscover,
    #[serde(rename = "ex.tls")]
    ExTls,
    #[serde(rename = "ex.auth")]
    ExAuth,
    #[serde(rename = "ex.self")]
    ExSelf,
    #[serde(rename = "ex.impersonate_self")]
    ExImpersonateSelf,
    #[serde(rename = "ex.impersonate_test_user")]
    ExImpersonateTestUser,
    #[serde(rename = "ex.password_expiry")]
    ExPasswordExpiry,
    #[serde(rename = "ex.version")]
    ExVersion,
}

impl CheckId {
    pub const M365: [CheckId; 8] = [
        CheckId::M365Tenant,
        CheckId::M365Realm,
        CheckId::M365Token,
        CheckId::M365Claims,
        CheckId::M365Ews,
        CheckId::M365ImpersonateSelf,
        CheckId::M365ImpersonateTestUser,
        CheckId::M365PasswordExpiry,
    ];
    pub const EXCHANGE: [CheckId; 8] = [
        CheckId::ExDiscover,
        CheckId::ExTls,
        CheckId::ExAuth,
        CheckId::ExSelf,
        CheckId::ExImpersonateSelf,
        CheckId::ExImpersonateTestUser,
        CheckId::ExPasswordExpiry,
        CheckId::ExVersion,
    ];

    /// All checks of one platform, in display order.
    pub fn for_platform(p: Platform) -> &'static [CheckId] {
        match p {
            Platform::Microsoft365 => &Self::M365,
            Platform::ExchangeServer => &Self::EXCHANGE,
        }
    }

    pub fn platform(self) -> Platform {
        if Self::M365.contains(&self) {
            Platform::Microsoft365
        } else {
            Platform::ExchangeServer
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::M365Tenant => "m365.tenant",
            CheckId::M365Realm => "m365.realm",
            CheckId::M365Token => "m365.token",
            CheckId::M365Claims => "m365.claims",
            CheckId::M365Ews => "m365.ews",
            CheckId::M365ImpersonateSelf => "m365.impersonate_self",
            CheckId::M365ImpersonateTestUser => "m365.impersonate_test_user",
            CheckId::M365PasswordExpiry => "m365.password_expiry",
            CheckId::ExDiscover => "ex.discover",
            CheckId::ExTls => "ex.tls",
            CheckId::ExAuth => "ex.auth",
            CheckId::ExSelf => "ex.self",
            CheckId::ExImpersonateSelf => "ex.impersonate_self",
            CheckId::ExImpersonateTestUser => "ex.impersonate_test_user",
            CheckId::ExPasswordExpiry => "ex.password_expiry",
            CheckId::ExVersion => "ex.version",
        }
    }

    pub fn parse(s: &str) -> Option<CheckId> {
        Self::M365
            .iter()
            .chain(Self::EXCHANGE.iter())
            .copied()
            .find(|c| c.as_str() == s)
    }

    /// What the check verifies, in a few plain words (the checks panel's label).
    pub fn label(self) -> &'static str {
        match self {
            CheckId::M365Tenant => "Tenant exists",
            CheckId::M365Realm => "Account can sign in with a password",
            CheckId::M365Token => "Sign-in gives an access token",
            CheckId::M365Claims => "Token carries the EWS permission",
            CheckId::M365Ews => "Exchange Web Services answers",
            CheckId::M365ImpersonateSelf => "Impersonation role (self-test)",
            CheckId::M365ImpersonateTestUser => "Test user's contacts, calendar, sent items",
            CheckId::M365PasswordExpiry => "Password never expires",
            CheckId::ExDiscover => "Find the EWS address (Autodiscover)",
            CheckId::ExTls => "Server certificate is trusted",
            CheckId::ExAuth => "Basic authentication accepted",
            CheckId::ExSelf => "Service account has a mailbox",
            CheckId::ExImpersonateSelf => "Impersonation role (self-test)",
            CheckId::ExImpersonateTestUser => "Test user's contacts, calendar, sent items",
            CheckId::ExPasswordExpiry => "Password never expires",
            CheckId::ExVersion => "Exchange version is supported",
        }
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    /// Could not run because a check it depends on failed, or does not apply.
    Skip,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}

/// The result of one check: what happened, which guide step fixes it, and the evidence.
///
/// `code` is the upstream code spelled as the server spells it (`AADSTS50126`,
/// `ErrorImpersonateUserDenied`) or one of ours (`HTTP403`, `TLS-UNTRUSTED`, `TIMEOUT`…);
/// empty on a plain pass. Never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckReport {
    pub id: CheckId,
    pub status: Status,
    #[serde(default)]
    pub code: String,
    /// The guide step that fixes a failure (or where the checked value was collected).
    pub guide_step: Option<GuideStep>,
    /// One line in plain words.
    pub summary: String,
    /// What to do, in plain words, with the exact command filled in where one exists.
    #[serde(default)]
    pub detail: String,
    /// A PowerShell command (or several lines) the admin can copy, filled with their values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Facts observed: server version, trace and correlation ids, EWS URL and how it was found,
    /// certificate subject and issuer… Never secrets.
    #[serde(default)]
    pub evidence: BTreeMap<String, String>,
    pub elapsed_ms: u64,
    /// When the check finished (RFC 3339, UTC).
    #[serde(default)]
    pub finished_at: String,
}

impl CheckReport {
    /// A report for a check that could not run because `because` did not pass.
    pub fn skipped(id: CheckId, because: CheckId) -> CheckReport {
        CheckReport {
            id,
            status: Status::Skip,
            code: String::new(),
            guide_step: None,
            summary: format!("Not run: it needs \"{}\" to pass first.", because.label()),
            detail: String::new(),
            command: None,
            evidence: BTreeMap::new(),
            elapsed_ms: 0,
            finished_at: String::new(),
        }
    }
}

/// The overall verdict over a set of reports: fail if any failed, warn if any warned or was
/// skipped, else pass.
pub fn overall(reports: &[CheckReport]) -> Status {
    if reports.iter().any(|r| r.status == Status::Fail) {
        Status::Fail
    } else if reports
        .iter()
        .any(|r| matches!(r.status, Status::Warn | Status::Skip))
    {
        Status::Warn
    } else {
        Status::Pass
    }
}

/// Progress events while checks run (the screen shows which check, and which host, is busy).
#[derive(Debug, Clone)]
pub enum Progress {
    Started(CheckId),
    /// e.g. "trying https://autodiscover.contoso.com/…"
    Note(CheckId, String),
    Finished(CheckReport),
}

/// What the engine needs besides the answers: the shared HTTP client and endpoint settings.
#[derive(Clone)]
pub struct Context {
    pub net: crate::net::Net,
}

/// Runs the `wanted` checks (and whatever they depend on) for `answers`, sending progress as it
/// goes, and returns every report produced, in [`CheckId`] order. Independent checks run
/// concurrently; dependent ones wait only for what they need. Cancelling `cancel` stops all
/// outstanding requests promptly (unfinished checks come back as `skip` with code `CANCELLED`).
///
/// Dispatches by platform: the answers' platform when set, else the platform of the wanted ids.
pub async fn run(
    ctx: &Context,
    answers: &crate::answers::Answers,
    wanted: &[CheckId],
    progress: tokio::sync::mpsc::UnboundedSender<Progress>,
    cancel: tokio_util::sync::CancellationToken,
) -> Vec<CheckReport> {
    let platform = answers
        .platform
        .or_else(|| wanted.first().map(|c| c.platform()));
    let wanted: Vec<CheckId> = wanted
        .iter()
        .copied()
        .filter(|c| Some(c.platform()) == platform)
        .collect();
    match platform {
        Some(Platform::Microsoft365) => m365::run(ctx, answers, &wanted, progress, cancel).await,
        Some(Platform::ExchangeServer) => {
            exchange::run(ctx, answers, &wanted, progress, cancel).await
        }
        None => Vec::new(),
    }
}
