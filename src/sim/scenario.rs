//! The scenario catalogue (`assets/sim/scenarios.toml`) as typed behaviour knobs. Owns the
//! defaults ("everything works") and the simulated identities; must not hold protocol
//! bodies (those live in the templates).

use crate::answers::Platform;
use serde::Deserialize;
use std::collections::BTreeMap;

const CATALOGUE: &str = include_str!("../../assets/sim/scenarios.toml");

pub const TENANT_DOMAIN: &str = "contoso.onmicrosoft.com";
pub const TENANT_VERIFIED_DOMAIN: &str = "contoso.com";
pub const TENANT_ID: &str = "3f2b8a4c-9d1e-4c7a-b5e6-0a1b2c3d4e5f";
pub const OTHER_TENANT_DOMAIN: &str = "fabrikam.onmicrosoft.com";
pub const OTHER_TENANT_ID: &str = "a1b2c3d4-0000-4000-8000-00000000fab1";
pub const CLIENT_ID: &str = "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d";
pub const PASSWORD: &str = "Demo-Passw0rd!";
/// The app registration's client secret (only for the app-only client-credentials grant).
pub const APP_SECRET: &str = "Demo-App-Secr3t~";
pub const EXO_RESOURCE: &str = "https://outlook.office365.com";
pub const EXO_APP_ID: &str = "00000002-0000-0ff1-ce00-000000000000";
pub const ONPREM_DOMAIN: &str = "contoso.example";
pub const ONPREM_EWS_URL: &str = "https://mail.contoso.example/EWS/Exchange.asmx";

/// Every host name the simulator answers for (the CA signs a leaf for each).
pub const HOSTS: &[&str] = &[
    "login.microsoftonline.com",
    "outlook.office365.com",
    "adfs.contoso.com",
    "contoso.example",
    "autodiscover.contoso.example",
    "mail.contoso.example",
    "corp.contoso.example",
    "autodiscover.corp.contoso.example",
    "autodiscover.contoso-mail.example",
];

/// The look-alike foreign host of the `ex2016-http-redirect-foreign` scenario.
pub const FOREIGN_HOST: &str = "autodiscover.contoso-mail.example";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum EwsState {
    /// EWS answers.
    #[default]
    Ok,
    /// Org-level `EWSEnabled=False` (the October 2026 switch-off): HTTP 403.
    Disabled,
    /// `EWSEnabled=True` but this client ID is not in `EwsAllowedAppIDs`: HTTP 403.
    AppNotAllowlisted,
    /// IIS request queue full: HTTP 503.
    Unavailable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Impersonation {
    /// The service account holds ApplicationImpersonation (on-premises default; EXO before 2025).
    #[default]
    Allowed,
    /// No role membership (on-premises): ErrorImpersonateUserDenied.
    Denied,
    /// Exchange Online after the 2025 retirement of the role: ErrorImpersonateUserDenied.
    Retired,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum CertKind {
    #[default]
    Good,
    SelfSigned,
    Expired,
    WrongName,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum AutodiscoverMode {
    /// Root domain fails (404), `autodiscover.<domain>` answers with settings.
    #[default]
    AutodiscoverHost,
    /// `redirectAddr` to the corp.contoso.example address, which then gets settings.
    RedirectAddr,
    /// `redirectAddr` back and forth between two addresses.
    RedirectLoop,
    /// Both https candidates fail; plain-HTTP GET on the autodiscover host answers 302.
    HttpRedirect,
    /// No Autodiscover anywhere (404 everywhere).
    None,
    /// The root domain accepts and never answers; the autodiscover host answers.
    BlackholedFirst,
    /// The autodiscover host answers `redirectUrl` to the mail server's https Autodiscover.
    RedirectUrl,
    /// The autodiscover host answers `redirectUrl` to a plain-http URL (must not be followed).
    RedirectUrlHttp,
    /// `redirectAddr` to a new address each time, 12 times, then settings (past the 10 limit).
    RedirectChain,
    /// Both https candidates fail; the plain-HTTP redirect points to a look-alike foreign
    /// domain that would harvest credentials.
    HttpRedirectForeign,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ServerKind {
    /// Exchange Online (the default for Microsoft 365 scenarios).
    #[default]
    Auto,
    Exo,
    Ex2016,
    Exse,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Realm {
    #[default]
    Managed,
    Federated,
}

/// One scenario: what an admin would see, and how every simulated service behaves.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(deserialize_with = "de_platform")]
    pub platform: Platform,
    pub description: String,
    /// Values an admin would type in the demo (field id → value), never the password.
    #[serde(default)]
    pub answers: BTreeMap<String, String>,
    /// AADSTS code the token endpoint returns for the service account's sign-in.
    #[serde(default)]
    pub token_error: Option<u32>,
    /// "Allow public client flows" on the app registration.
    #[serde(default = "yes")]
    pub public_client: bool,
    #[serde(default)]
    pub realm: Realm,
    #[serde(default)]
    pub ews: EwsState,
    #[serde(default)]
    pub impersonation: Impersonation,
    #[serde(default = "yes")]
    pub test_user_mailbox: bool,
    /// The service account has a mailbox (the guide requires one).
    #[serde(default = "yes")]
    pub service_account_mailbox: bool,
    /// The test user's mailbox has only a Kiosk/F1/F3 licence: EWS answers HTTP 403 for it.
    #[serde(default)]
    pub test_user_licence_blocked: bool,
    /// How many EWS requests get IIS's HTTP 503 (an application pool restarting) before EWS
    /// answers again.
    #[serde(default)]
    pub unavailable_first: u32,
    /// How many EWS requests get ErrorServerBusy before the server recovers.
    #[serde(default)]
    pub throttle: u32,
    #[serde(default = "default_backoff")]
    pub throttle_backoff_ms: u64,
    /// The service account's password expires this many days from now (None: never).
    #[serde(default)]
    pub password_expires_in_days: Option<i64>,
    #[serde(default)]
    pub cert: CertKind,
    /// The host that presents `cert` (default: the EWS host).
    #[serde(default = "default_cert_host")]
    pub cert_host: String,
    #[serde(default = "yes")]
    pub basic_auth: bool,
    #[serde(default)]
    pub autodiscover: AutodiscoverMode,
    #[serde(default)]
    pub server: ServerKind,
}

fn de_platform<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Platform, D::Error> {
    let s = String::deserialize(d)?;
    Platform::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown platform \"{s}\"")))
}

fn yes() -> bool {
    true
}
fn default_backoff() -> u64 {
    800
}
fn default_cert_host() -> String {
    "mail.contoso.example".into()
}

impl Scenario {
    /// Which server build answers EWS.
    pub fn server(&self) -> ServerKind {
        match (self.server, self.platform) {
            (ServerKind::Auto, Platform::Microsoft365) => ServerKind::Exo,
            (ServerKind::Auto, Platform::ExchangeServer) => ServerKind::Ex2016,
            (s, _) => s,
        }
    }
}

#[derive(Deserialize)]
struct Catalogue {
    scenario: Vec<Scenario>,
}

/// The whole catalogue. The file is compiled in and covered by tests, so a parse failure
/// is a build defect; it is still reported, not panicked on.
pub fn all() -> Result<Vec<Scenario>, String> {
    toml::from_str::<Catalogue>(CATALOGUE)
        .map(|c| c.scenario)
        .map_err(|e| format!("assets/sim/scenarios.toml: {e}"))
}

pub fn find(name: &str) -> Result<Option<Scenario>, String> {
    Ok(all()?.into_iter().find(|s| s.name == name))
}

/// A simulated directory account.
#[derive(Debug, Clone)]
pub struct Account {
    pub upn: String,
    pub display_name: &'static str,
    pub has_mailbox: bool,
    /// Object id (Entra) / the value of `oid`.
    pub oid: &'static str,
}

/// Looks up a user by UPN or SMTP address (case-insensitive) in the scenario's directory.
pub fn account(sc: &Scenario, who: &str) -> Option<Account> {
    let who = who.trim().to_ascii_lowercase();
    let (local, domain) = who.split_once('@')?;
    let domain_ok = match sc.platform {
        Platform::Microsoft365 => domain == TENANT_DOMAIN || domain == TENANT_VERIFIED_DOMAIN,
        Platform::ExchangeServer => domain == ONPREM_DOMAIN || domain == "corp.contoso.example",
    };
    if !domain_ok {
        return None;
    }
    match local {
        "moxiengage" => Some(Account {
            upn: who.clone(),
            display_name: "MoxiEngage Service",
            has_mailbox: sc.service_account_mailbox,
            oid: "6c1f2e3d-7a8b-4c9d-8e0f-112233445566",
        }),
        "agent" => Some(Account {
            upn: who.clone(),
            display_name: "Alex Agent",
            has_mailbox: sc.test_user_mailbox,
            oid: "0d9e8f7a-6b5c-4d3e-9f2a-665544332211",
        }),
        _ => None,
    }
}

/// Resolves a tenant value (GUID or domain, any case) to its tenant GUID.
pub fn tenant_id(value: &str) -> Option<&'static str> {
    match value.trim().to_ascii_lowercase().as_str() {
        TENANT_DOMAIN | TENANT_VERIFIED_DOMAIN | TENANT_ID => Some(TENANT_ID),
        OTHER_TENANT_DOMAIN | OTHER_TENANT_ID => Some(OTHER_TENANT_ID),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_parses_and_names_are_unique() {
        let all = all().unwrap();
        let mut names: Vec<_> = all.iter().map(|s| s.name.clone()).collect();
        names.sort();
        let n = names.len();
        names.dedup();
        assert_eq!(n, names.len(), "duplicate scenario name");
        for s in &all {
            assert!(
                !s.description.trim().is_empty(),
                "{} has no description",
                s.name
            );
            assert!(!s.answers.contains_key("service_password"));
        }
    }

    #[test]
    fn fixed_names_exist() {
        for name in [
            "m365-guide-2021",
            "m365-late-2026",
            "m365-allowlisted",
            "m365-public-client-off",
            "m365-no-consent",
            "m365-wrong-client-id",
            "m365-wrong-password",
            "m365-federated",
            "m365-mfa-required",
            "m365-conditional-access",
            "m365-security-defaults",
            "m365-account-disabled",
            "m365-locked",
            "m365-password-expired",
            "m365-no-exchange",
            "m365-test-user-no-mailbox",
            "m365-throttled",
            "m365-password-expires",
            "m365-app-not-allowlisted",
            "ex2016-ready",
            "ex2016-no-impersonation-role",
            "ex2016-self-signed",
            "ex2016-basic-off",
            "ex2016-autodiscover-redirect",
            "ex2016-redirect-loop",
            "ex2016-password-expiring",
            "ex2016-no-autodiscover",
            "ex2016-blackholed-first",
            "ex2016-test-user-no-mailbox",
            "exse-ready",
        ] {
            assert!(find(name).unwrap().is_some(), "missing scenario {name}");
        }
    }

    #[test]
    fn tenants_resolve() {
        assert_eq!(tenant_id("Contoso.OnMicrosoft.com"), Some(TENANT_ID));
        assert_eq!(tenant_id("contoso.com"), Some(TENANT_ID));
        assert_eq!(tenant_id(OTHER_TENANT_DOMAIN), Some(OTHER_TENANT_ID));
        assert_eq!(tenant_id("contosso.onmicrosoft.com"), None);
    }
}
