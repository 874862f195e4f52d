//! The Microsoft 365 live checks (`m365.*`): tenant, user realm, ROPC token, token claims, EWS
//! reach, impersonation (self and test user) and password expiry, run with their dependency
//! graph (tenant ∥ realm → token → claims ∥ ews ∥ impersonate_self ∥ impersonate_test_user ∥
//! password_expiry), each failure mapped to the guide step that fixes it.
//!
//! Diagnosis keys on `error_codes[0]`, the EWS `ResponseCode`/`faultcode` or the HTTP status —
//! never on the wording of a message. Words come from `assets/checks/m365.toml`. Must not know
//! about the UI, and must never put the password or a token into a report, note or log.

use super::common::{self, EwsAuth, EwsOutcome, Text, Timer, TransportFailure};
use super::{CheckId, CheckReport, Context, Progress, Status};
use crate::answers::{self, Answers};
use crate::guide::GuideStep;
use crate::protocol::{entra, ews, jwt};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::mpsc::UnboundedSender;

// ---------------------------------------------------------------------------------------------
// Texts
// ---------------------------------------------------------------------------------------------

/// One diagnosis of `assets/checks/m365.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    #[serde(default)]
    pub step: Option<String>,
    pub summary: String,
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub command: Option<String>,
}

const M365_TOML: &str = include_str!("../../assets/checks/m365.toml");

/// The embedded diagnosis texts, parsed once.
pub fn texts() -> Result<&'static BTreeMap<String, Entry>, &'static toml::de::Error> {
    static CELL: OnceLock<Result<BTreeMap<String, Entry>, toml::de::Error>> = OnceLock::new();
    CELL.get_or_init(|| toml::from_str(M365_TOML)).as_ref()
}

/// Every placeholder a text may use (a test keeps the asset to these).
pub const VARS: &[&str] = &[
    "service_account",
    "tenant",
    "tenant_id",
    "account_tenant_id",
    "client_id",
    "test_user",
    "authority_host",
    "ews_url",
    "domain",
    "cloud",
    "code",
    "code_number",
    "server_message",
    "http_status",
    "host",
    "reason",
    "wait_s",
    "attempts",
    "server_version",
    "upn",
    "exp",
    "scp",
    "claim_tid",
    "claim_appid",
    "claim_aud",
    "folders",
    "date",
    "field",
];

type Vars = BTreeMap<&'static str, String>;

fn text(key: &str, vars: &Vars) -> Text {
    let entry = texts().ok().and_then(|t| t.get(key));
    match entry {
        Some(e) => Text {
            step: e.step.as_deref().and_then(GuideStep::parse),
            summary: common::fill(&e.summary, vars),
            detail: common::fill(&e.detail, vars),
            command: e.command.as_deref().map(|c| common::fill(c.trim(), vars)),
            evidence: BTreeMap::new(),
        },
        // Only reachable if the embedded asset is broken; the asset tests prevent it.
        None => Text {
            step: None,
            summary: format!("({key})"),
            ..Text::default()
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs and the dependency graph
// ---------------------------------------------------------------------------------------------

struct Inputs {
    account: Option<String>,
    password: Option<SecretString>,
    tenant: Option<String>,
    client_id: Option<String>,
    test_user: Option<String>,
}

impl Inputs {
    fn from(a: &Answers) -> Inputs {
        Inputs {
            account: answers::validate_email(&a.service_account).ok(),
            password: a
                .service_password
                .as_ref()
                .filter(|p| answers::validate_password(p).is_ok())
                .cloned(),
            tenant: answers::validate_tenant(&a.tenant).ok(),
            client_id: answers::validate_guid(&a.client_id).ok(),
            test_user: answers::validate_email(&a.test_user).ok(),
        }
    }
}

/// What a check needs to have passed before it can run.
fn deps(id: CheckId) -> &'static [CheckId] {
    match id {
        CheckId::M365Tenant | CheckId::M365Realm => &[],
        CheckId::M365Token => &[CheckId::M365Tenant, CheckId::M365Realm],
        CheckId::M365Claims
        | CheckId::M365Ews
        | CheckId::M365ImpersonateSelf
        | CheckId::M365ImpersonateTestUser
        | CheckId::M365PasswordExpiry => &[CheckId::M365Token],
        _ => &[],
    }
}

/// The wanted Microsoft 365 checks plus everything they depend on.
pub fn closure(wanted: &[CheckId]) -> BTreeSet<CheckId> {
    let mut out = BTreeSet::new();
    let mut todo: Vec<CheckId> = wanted
        .iter()
        .copied()
        .filter(|c| CheckId::M365.contains(c))
        .collect();
    while let Some(c) = todo.pop() {
        if out.insert(c) {
            todo.extend_from_slice(deps(c));
        }
    }
    out
}

struct Engine<'a> {
    ctx: &'a Context,
    inputs: Inputs,
    progress: UnboundedSender<Progress>,
    done: Arc<Mutex<Vec<CheckReport>>>,
    vars: Vars,
    /// The outcome of `m365.ews` (the service account's own mailbox), once known; a 403 on the
    /// test user's mailbox means something else when the own mailbox got through.
    own_ews: tokio::sync::watch::Sender<Option<Status>>,
}

struct TenantInfo {
    tenant_id: String,
}

struct TokenInfo {
    access: SecretString,
    claims: Result<jwt::Claims, jwt::JwtError>,
}

/// Runs the Microsoft 365 checks in `wanted` (and what they depend on). See [`super::run`].
pub async fn run(
    ctx: &Context,
    answers: &Answers,
    wanted: &[CheckId],
    progress: UnboundedSender<Progress>,
    cancel: tokio_util::sync::CancellationToken,
) -> Vec<CheckReport> {
    let need = closure(wanted);
    if need.is_empty() {
        return Vec::new();
    }
    let inputs = Inputs::from(answers);
    let mut vars = Vars::new();
    let show = |o: &Option<String>, raw: &str| o.clone().unwrap_or_else(|| raw.trim().to_string());
    vars.insert(
        "service_account",
        show(&inputs.account, &answers.service_account),
    );
    vars.insert("tenant", show(&inputs.tenant, &answers.tenant));
    vars.insert("client_id", show(&inputs.client_id, &answers.client_id));
    vars.insert("test_user", show(&inputs.test_user, &answers.test_user));
    vars.insert("authority_host", ctx.net.config.authority_host.clone());
    vars.insert("ews_url", ctx.net.exchange_online_ews_url());
    let done = Arc::new(Mutex::new(Vec::new()));
    let engine = Engine {
        ctx,
        inputs,
        progress: progress.clone(),
        done: done.clone(),
        vars,
        own_ews: tokio::sync::watch::Sender::new(None),
    };
    tokio::select! {
        biased;
        _ = cancel.cancelled() => {}
        _ = engine.run_all(&need) => {}
    }
    let mut reports = done.lock().map(|g| g.clone()).unwrap_or_default();
    for id in &need {
        if !reports.iter().any(|r| r.id == *id) {
            let t = text("cancelled", &Vars::new());
            let r = CheckReport {
                id: *id,
                status: Status::Skip,
                code: "CANCELLED".into(),
                guide_step: None,
                summary: t.summary,
                detail: t.detail,
                command: None,
                evidence: BTreeMap::new(),
                elapsed_ms: 0,
                finished_at: common::now_rfc3339(),
            };
            let _ = progress.send(Progress::Finished(r.clone()));
            reports.push(r);
        }
    }
    reports.retain(|r| need.contains(&r.id));
    reports.sort_by_key(|r| r.id);
    reports
}

impl Engine<'_> {
    fn finish(&self, r: CheckReport) -> Status {
        let status = r.status;
        let _ = self.progress.send(Progress::Finished(r.clone()));
        if let Ok(mut g) = self.done.lock() {
            g.push(r);
        }
        status
    }

    fn vars(&self) -> Vars {
        self.vars.clone()
    }

    fn note(&self, id: CheckId, s: impl Into<String>) {
        common::note(&self.progress, id, s);
    }

    fn skip_because(&self, id: CheckId, because: CheckId) {
        self.finish(CheckReport {
            finished_at: common::now_rfc3339(),
            ..CheckReport::skipped(id, because)
        });
    }

    fn skip_input(&self, id: CheckId, field: &str) {
        let mut v = Vars::new();
        v.insert("field", field.to_string());
        let t = text("input_missing", &v);
        self.finish(CheckReport {
            id,
            status: Status::Skip,
            code: "INPUT".into(),
            guide_step: None,
            summary: t.summary,
            detail: t.detail,
            command: None,
            evidence: BTreeMap::new(),
            elapsed_ms: 0,
            finished_at: common::now_rfc3339(),
        });
    }

    async fn run_all(&self, need: &BTreeSet<CheckId>) {
        let (tenant, realm) = futures::join!(
            async {
                if need.contains(&CheckId::M365Tenant) {
                    self.tenant().await
                } else {
                    None
                }
            },
            async {
                if need.contains(&CheckId::M365Realm) {
                    self.realm().await
                } else {
                    false
                }
            }
        );
        let after_token: Vec<CheckId> = [
            CheckId::M365Claims,
            CheckId::M365Ews,
            CheckId::M365ImpersonateSelf,
            CheckId::M365ImpersonateTestUser,
            CheckId::M365PasswordExpiry,
        ]
        .into_iter()
        .filter(|c| need.contains(c))
        .collect();
        if !need.contains(&CheckId::M365Token) {
            return;
        }
        let token = match (&tenant, realm) {
            (None, _) => {
                self.skip_because(CheckId::M365Token, CheckId::M365Tenant);
                None
            }
            (Some(_), false) => {
                self.skip_because(CheckId::M365Token, CheckId::M365Realm);
                None
            }
            (Some(t), true) => self.token(t).await,
        };
        let (Some(tenant), Some(token)) = (tenant, token) else {
            for c in after_token {
                self.skip_because(c, CheckId::M365Token);
            }
            return;
        };
        let want = |c| need.contains(&c);
        futures::join!(
            async {
                if want(CheckId::M365Claims) {
                    self.claims(&tenant, &token);
                }
            },
            async {
                if want(CheckId::M365Ews) {
                    self.ews(&token).await;
                } else {
                    self.own_ews.send_replace(Some(Status::Skip));
                }
            },
            async {
                if want(CheckId::M365ImpersonateSelf) {
                    self.impersonate_self(&token).await;
                }
            },
            async {
                if want(CheckId::M365ImpersonateTestUser) {
                    self.impersonate_test_user(&token).await;
                }
            },
            async {
                if want(CheckId::M365PasswordExpiry) {
                    self.password_expiry(&token).await;
                }
            },
        );
    }

    // ---------------------------------------------------------------------------- shared --

    fn transport_report(&self, t: &Timer, f: &TransportFailure, status: Status) -> CheckReport {
        let key = match f.code {
            "TIMEOUT" => "transport_TIMEOUT",
            "DNS-NXDOMAIN" => "transport_DNS-NXDOMAIN",
            "CONNECTION-REFUSED" => "transport_CONNECTION-REFUSED",
            c if c.starts_with("TLS-") => "transport_TLS",
            _ => "transport_other",
        };
        let mut v = self.vars();
        v.insert("host", f.host.clone());
        v.insert("reason", f.reason.clone());
        v.insert("code", f.code.to_string());
        let mut tx = text(key, &v);
        tx.evidence.insert("host".into(), f.host.clone());
        tx.evidence.insert("reason".into(), f.reason.clone());
        t.report(status, f.code, tx)
    }

    fn entra_error_evidence(e: &entra::EntraErrorBody) -> BTreeMap<String, String> {
        let mut ev = BTreeMap::new();
        ev.insert("error".into(), e.error.clone());
        for (k, v) in [
            ("trace_id", &e.trace_id),
            ("correlation_id", &e.correlation_id),
            ("timestamp", &e.timestamp),
            ("suberror", &e.suberror),
            ("error_uri", &e.error_uri),
            ("password_change_url", &e.password_change_url),
        ] {
            if let Some(v) = v {
                ev.insert(k.into(), v.clone());
            }
        }
        if !e.error_codes.is_empty() {
            ev.insert(
                "error_codes".into(),
                e.error_codes
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            );
        }
        ev
    }

    fn http_report(&self, t: &Timer, host: &str, status: u16, reason: &str) -> CheckReport {
        let mut v = self.vars();
        v.insert("host", host.to_string());
        v.insert("http_status", status.to_string());
        v.insert("reason", reason.to_string());
        // A 2xx that is not the service's own language was answered by something in between
        // (a proxy, a network sign-in page): named like the Exchange checks name it.
        let (key, code) = match status {
            200..=299 if host == self.ews_host() => ("not_service", "NOT-EWS".to_string()),
            200..=299 => ("not_service", "NOT-ENTRA".to_string()),
            500.. => ("server_error", format!("HTTP{status}")),
            _ => ("unreadable", format!("HTTP{status}")),
        };
        let mut tx = text(key, &v);
        tx.evidence.insert("http_status".into(), status.to_string());
        t.report(Status::Fail, code, tx)
    }

    fn authority(&self) -> &str {
        &self.ctx.net.config.authority_host
    }

    // ---------------------------------------------------------------------------- tenant --

    async fn tenant(&self) -> Option<TenantInfo> {
        let id = CheckId::M365Tenant;
        let t = Timer::start(id, &self.progress);
        let Some(tenant) = self.inputs.tenant.clone() else {
            self.skip_input(id, "the tenant ID");
            return None;
        };
        let (report, info) = self.tenant_inner(&t, &tenant).await;
        let ok = self.finish(report) == Status::Pass;
        if ok { info } else { None }
    }

    async fn openid(
        &self,
        t: &Timer,
        value: &str,
    ) -> Result<(entra::OpenIdResponse, BTreeMap<String, String>), CheckReport> {
        let host = self.authority().to_string();
        let url = entra::openid_configuration_url(&host, value)
            .map_err(|e| self.http_report(t, &host, 0, &e.to_string()))?;
        self.note(t.id(), format!("looking up \"{value}\" at {host}"));
        let (status, body, mut ev) =
            common::entra_call(&self.ctx.net, &url, None, t.id(), &self.progress)
                .await
                .map_err(|f| self.transport_report(t, &f, Status::Fail))?;
        ev.insert("http_status".into(), status.to_string());
        match entra::parse_openid_configuration(&body) {
            Ok(r) => Ok((r, ev)),
            Err(e) => Err(self.http_report(t, &host, status, &e.to_string())),
        }
    }

    async fn tenant_inner(&self, t: &Timer, tenant: &str) -> (CheckReport, Option<TenantInfo>) {
        let (resp, ev) = match self.openid(t, tenant).await {
            Ok(x) => x,
            Err(r) => return (r, None),
        };
        let mut v = self.vars();
        let cfg = match resp {
            entra::OpenIdResponse::Config(c) => c,
            entra::OpenIdResponse::Error(e) => {
                v.insert("code", e.code_string());
                v.insert("server_message", e.message());
                let tx = text("tenant_not_found", &v)
                    .with_evidence(&Self::entra_error_evidence(&e))
                    .with_evidence(&ev);
                return (t.report(Status::Fail, e.code_string(), tx), None);
            }
        };
        let Some(tenant_id) = cfg.tenant_id() else {
            v.insert(
                "http_status",
                ev.get("http_status").cloned().unwrap_or_default(),
            );
            v.insert("reason", format!("issuer {}", cfg.issuer));
            let tx = text("tenant_unreadable", &v).with_evidence(&ev);
            return (t.report(Status::Fail, "OIDC-UNREADABLE", tx), None);
        };
        let cloud = cfg
            .cloud_instance_name
            .clone()
            .unwrap_or_else(|| "unknown".into());
        v.insert("tenant_id", tenant_id.clone());
        v.insert("cloud", cloud.clone());
        let mut evidence = ev;
        evidence.insert("tenant_id".into(), tenant_id.clone());
        evidence.insert("cloud_instance_name".into(), cloud);
        evidence.insert("issuer".into(), cfg.issuer.clone());
        if let Some(r) = &cfg.tenant_region_scope {
            evidence.insert("tenant_region_scope".into(), r.clone());
        }
        // Cross-check: the service account's domain must lead to the same tenant.
        let account_domain = self
            .inputs
            .account
            .as_deref()
            .and_then(|a| a.rsplit_once('@').map(|(_, d)| d.to_string()));
        if let Some(domain) = account_domain
            && !domain.eq_ignore_ascii_case(tenant)
        {
            match self.openid(t, &domain).await {
                Ok((entra::OpenIdResponse::Config(c), _)) => {
                    if let Some(acct_tid) = c.tenant_id() {
                        evidence.insert("account_tenant_id".into(), acct_tid.clone());
                        if acct_tid != tenant_id {
                            v.insert("account_tenant_id", acct_tid);
                            let tx = text("tenant_mismatch", &v).with_evidence(&evidence);
                            return (t.report(Status::Fail, "TENANT-MISMATCH", tx), None);
                        }
                    }
                }
                // The account's domain unknown to Entra ID is the realm check's finding.
                Ok((entra::OpenIdResponse::Error(e), _)) => {
                    evidence.insert("account_domain_lookup".into(), e.code_string());
                }
                Err(r) => {
                    evidence.insert("account_domain_lookup".into(), r.code);
                }
            }
        }
        let tx = text("tenant_pass", &v).with_evidence(&evidence);
        (
            t.report(Status::Pass, "", tx),
            Some(TenantInfo { tenant_id }),
        )
    }

    // ----------------------------------------------------------------------------- realm --

    async fn realm(&self) -> bool {
        let id = CheckId::M365Realm;
        let t = Timer::start(id, &self.progress);
        let Some(account) = self.inputs.account.clone() else {
            self.skip_input(id, "the service account");
            return false;
        };
        let report = self.realm_inner(&t, &account).await;
        self.finish(report) == Status::Pass
    }

    async fn realm_inner(&self, t: &Timer, account: &str) -> CheckReport {
        let host = self.authority().to_string();
        let url = match entra::user_realm_url(&host, account) {
            Ok(u) => u,
            Err(e) => return self.http_report(t, &host, 0, &e.to_string()),
        };
        self.note(t.id(), format!("asking {host} how {account} signs in"));
        let (status, body, mut ev) =
            match common::entra_call(&self.ctx.net, &url, None, t.id(), &self.progress).await {
                Ok(x) => x,
                Err(f) => return self.transport_report(t, &f, Status::Fail),
            };
        ev.insert("http_status".into(), status.to_string());
        let realm = match entra::parse_user_realm(&body) {
            Ok(r) => r,
            Err(e) => return self.http_report(t, &host, status, &e.to_string()),
        };
        let mut v = self.vars();
        let domain = realm
            .domain_name
            .clone()
            .or_else(|| account.rsplit_once('@').map(|(_, d)| d.to_string()))
            .unwrap_or_default();
        v.insert("domain", domain);
        ev.insert("account_type".into(), realm.account_type.to_string());
        for (k, val) in [
            ("domain_name", &realm.domain_name),
            ("cloud_instance_name", &realm.cloud_instance_name),
            ("federation_protocol", &realm.federation_protocol),
        ] {
            if let Some(val) = val {
                ev.insert(k.into(), val.clone());
            }
        }
        match realm.account_type {
            entra::AccountType::Managed => {
                t.report(Status::Pass, "", text("realm_pass", &v).with_evidence(&ev))
            }
            entra::AccountType::Federated => t.report(
                Status::Fail,
                "FEDERATED",
                text("realm_federated", &v).with_evidence(&ev),
            ),
            entra::AccountType::Unknown(_) => t.report(
                Status::Fail,
                "REALM-UNKNOWN",
                text("realm_unknown", &v).with_evidence(&ev),
            ),
        }
    }

    // ----------------------------------------------------------------------------- token --

    fn ews_url(&self) -> String {
        self.ctx.net.exchange_online_ews_url()
    }

    fn ews_host(&self) -> String {
        url::Url::parse(&self.ews_url())
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| "outlook.office365.com".into())
    }

    async fn token(&self, tenant: &TenantInfo) -> Option<TokenInfo> {
        let id = CheckId::M365Token;
        let t = Timer::start(id, &self.progress);
        let (Some(account), Some(password), Some(client_id)) = (
            self.inputs.account.clone(),
            self.inputs.password.clone(),
            self.inputs.client_id.clone(),
        ) else {
            let field = if self.inputs.client_id.is_none() {
                "the client ID"
            } else {
                "the password"
            };
            self.skip_input(id, field);
            return None;
        };
        let (report, info) = self
            .token_inner(&t, tenant, &account, &password, &client_id)
            .await;
        let ok = self.finish(report) == Status::Pass;
        if ok { info } else { None }
    }

    async fn token_inner(
        &self,
        t: &Timer,
        tenant: &TenantInfo,
        account: &str,
        password: &SecretString,
        client_id: &str,
    ) -> (CheckReport, Option<TokenInfo>) {
        let host = self.authority().to_string();
        let url = match entra::token_url(&host, &tenant.tenant_id) {
            Ok(u) => u,
            Err(e) => return (self.http_report(t, &host, 0, &e.to_string()), None),
        };
        let scope = entra::ews_scope_for_host(&self.ews_host());
        let form = entra::ropc_form_body(client_id, account, password, &scope);
        self.note(t.id(), format!("signing in as {account} at {host}"));
        let (status, body, mut ev) = match common::entra_call(
            &self.ctx.net,
            &url,
            Some(&form),
            t.id(),
            &self.progress,
        )
        .await
        {
            Ok(x) => x,
            Err(f) => return (self.transport_report(t, &f, Status::Fail), None),
        };
        drop(form);
        ev.insert("http_status".into(), status.to_string());
        ev.insert("scope_requested".into(), scope);
        let mut v = self.vars();
        v.insert("tenant_id", tenant.tenant_id.clone());
        match entra::parse_token_response(&body) {
            Ok(entra::TokenResponse::Success(s)) => {
                ev.insert("token_type".into(), s.token_type.clone());
                if let Some(e) = s.expires_in {
                    ev.insert("expires_in".into(), e.to_string());
                }
                if !s.scope.is_empty() {
                    ev.insert("scope".into(), s.scope.clone());
                }
                let claims = jwt::peek(s.access_token.expose_secret());
                let tx = text("token_pass", &v).with_evidence(&ev);
                (
                    t.report(Status::Pass, "", tx),
                    Some(TokenInfo {
                        access: s.access_token,
                        claims,
                    }),
                )
            }
            Ok(entra::TokenResponse::Error(e)) => {
                let key = token_diagnosis(e.code());
                v.insert("code", e.code_string());
                v.insert(
                    "code_number",
                    e.code().map(|c| c.to_string()).unwrap_or_default(),
                );
                v.insert("server_message", e.message());
                let tx = text(key, &v)
                    .with_evidence(&Self::entra_error_evidence(&e))
                    .with_evidence(&ev);
                (t.report(Status::Fail, e.code_string(), tx), None)
            }
            Err(e) => (self.http_report(t, &host, status, &e.to_string()), None),
        }
    }

    // ---------------------------------------------------------------------------- claims --

    fn claims(&self, tenant: &TenantInfo, token: &TokenInfo) {
        let t = Timer::start(CheckId::M365Claims, &self.progress);
        let report = self.claims_report(&t, tenant, &token.claims);
        self.finish(report);
    }

    fn claims_report(
        &self,
        t: &Timer,
        tenant: &TenantInfo,
        claims: &Result<jwt::Claims, jwt::JwtError>,
    ) -> CheckReport {
        let mut v = self.vars();
        v.insert("tenant_id", tenant.tenant_id.clone());
        let c = match claims {
            Ok(c) => c,
            Err(e) => {
                v.insert("reason", e.to_string());
                return t.report(
                    Status::Warn,
                    "JWT-UNREADABLE",
                    text("claims_unreadable", &v),
                );
            }
        };
        let mut ev = BTreeMap::new();
        ev.insert("scp".into(), c.scp.join(" "));
        ev.insert("aud".into(), c.aud.join(" "));
        for (k, val) in [
            ("tid", &c.tid),
            ("appid", &c.appid),
            ("upn", &c.upn),
            ("ver", &c.ver),
            ("appidacr", &c.appidacr),
        ] {
            if let Some(val) = val {
                ev.insert(k.into(), val.clone());
            }
        }
        if let Some(exp) = c.exp.and_then(unix_to_rfc3339) {
            ev.insert("exp".into(), exp.clone());
            v.insert("exp", exp);
        }
        if let Some(p) = c.password_expires_at().and_then(unix_to_rfc3339) {
            ev.insert("pwd_exp".into(), p);
        }
        v.insert("upn", c.upn.clone().unwrap_or_default());
        v.insert(
            "scp",
            if c.scp.is_empty() {
                "(nothing)".into()
            } else {
                c.scp.join(" ")
            },
        );
        v.insert("claim_tid", c.tid.clone().unwrap_or_default());
        v.insert("claim_appid", c.appid.clone().unwrap_or_default());
        v.insert("claim_aud", c.aud.join(" "));
        let client_id = self.inputs.client_id.clone().unwrap_or_default();
        let (status, code, key) = if !c.has_scope(entra::EWS_PERMISSION) {
            (Status::Fail, "CLAIM-SCP", "claims_scp")
        } else if c.tid.as_deref() != Some(tenant.tenant_id.as_str()) {
            (Status::Fail, "CLAIM-TID", "claims_tid")
        } else if c.appid.as_deref() != Some(client_id.as_str()) {
            (Status::Fail, "CLAIM-APPID", "claims_appid")
        } else if !c.aud_is_exchange(&self.ews_host()) {
            (Status::Fail, "CLAIM-AUD", "claims_aud")
        } else {
            (Status::Pass, "", "claims_pass")
        };
        t.report(status, code, text(key, &v).with_evidence(&ev))
    }

    // ------------------------------------------------------------------------------- EWS --

    async fn ews_post(
        &self,
        id: CheckId,
        token: &TokenInfo,
        envelope: Result<String, ews::BuildError>,
        anchor: Option<&str>,
    ) -> Result<EwsOutcome, TransportFailure> {
        let envelope = envelope.map_err(|e| TransportFailure {
            code: "REQUEST",
            host: String::new(),
            reason: e.to_string(),
        })?;
        let url = self.ews_url();
        self.note(
            id,
            format!("calling Exchange Web Services at {}", self.ews_host()),
        );
        common::ews_call(
            &self.ctx.net,
            &url,
            &EwsAuth::Bearer(&token.access),
            anchor,
            &envelope,
            id,
            &self.progress,
        )
        .await
    }

    /// Turns an EWS outcome into the common verdicts; `Ok(response)` only for a 200 whose every
    /// message is a success.
    fn ews_verdict<'o>(&self, t: &Timer, o: &'o EwsOutcome) -> EwsVerdict<'o> {
        let mut v = self.vars();
        let ev = {
            let mut e = o.evidence.clone();
            e.insert("ews_url".into(), self.ews_url());
            e
        };
        if o.throttled {
            let code = o
                .response()
                .and_then(|r| r.first_error_code())
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .unwrap_or_else(|| format!("HTTP{}", o.status));
            v.insert("code", code.clone());
            v.insert(
                "attempts",
                o.evidence
                    .get("attempts")
                    .cloned()
                    .unwrap_or_else(|| "1".into()),
            );
            let key = if code == "ErrorServerBusy" {
                "throttled"
            } else {
                "unavailable"
            };
            v.insert(
                "wait_s",
                o.back_off_ms
                    .map(|ms| format!("{:.0}", ms as f64 / 1000.0))
                    .unwrap_or_else(|| "?".into()),
            );
            return EwsVerdict::Done(t.report(
                Status::Fail,
                code,
                text(key, &v).with_evidence(&ev),
            ));
        }
        match (o.status, o.response()) {
            (_, Some(r)) if r.fault().is_some() => {
                let f = r.fault().cloned().unwrap_or_default();
                EwsVerdict::Code {
                    code: f.code().unwrap_or("").to_string(),
                    message: f.text().unwrap_or("").to_string(),
                    evidence: ev,
                }
            }
            (200, Some(r)) => match r.first_error_code() {
                None => EwsVerdict::Ok(r, ev),
                Some(code) => EwsVerdict::Code {
                    code: code.to_string(),
                    message: r
                        .messages()
                        .iter()
                        .find(|m| !m.is_success())
                        .and_then(|m| m.message_text.clone())
                        .unwrap_or_default(),
                    evidence: ev,
                },
            },
            (403, _) => EwsVerdict::Done(t.report(
                Status::Fail,
                "HTTP403",
                text("ews_http403", &v).with_evidence(&ev),
            )),
            (401, _) => {
                let msg = o
                    .evidence
                    .get("x-ms-diagnostics")
                    .cloned()
                    .unwrap_or_default();
                v.insert("server_message", msg);
                EwsVerdict::Done(t.report(
                    Status::Fail,
                    "HTTP401",
                    text("ews_http401", &v).with_evidence(&ev),
                ))
            }
            (s, parsed) => {
                let reason = match &o.parsed {
                    Some(Err(e)) => e.to_string(),
                    _ if parsed.is_some() => "unexpected answer".into(),
                    _ => "empty answer".into(),
                };
                EwsVerdict::Done(
                    self.http_report(t, &self.ews_host(), s, &reason)
                        .with_evidence_merged(&ev),
                )
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn code_report(
        &self,
        t: &Timer,
        status: Status,
        key: &str,
        code: &str,
        message: &str,
        ev: &BTreeMap<String, String>,
        extra: &[(&'static str, String)],
    ) -> CheckReport {
        let mut v = self.vars();
        v.insert("code", code.to_string());
        v.insert("server_message", message.to_string());
        for (k, val) in extra {
            v.insert(k, val.clone());
        }
        t.report(status, code, text(key, &v).with_evidence(ev))
    }

    async fn ews(&self, token: &TokenInfo) {
        let id = CheckId::M365Ews;
        let t = Timer::start(id, &self.progress);
        let req = ews::GetFolder::own(&[ews::Folder::Inbox]).to_xml();
        let report = match self.ews_post(id, token, req, None).await {
            Err(f) => self.transport_report(&t, &f, Status::Fail),
            Ok(o) => match self.ews_verdict(&t, &o) {
                EwsVerdict::Done(r) => r,
                EwsVerdict::Ok(_, ev) => {
                    let sv = o
                        .server_version()
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "version not given".into());
                    self.code_report(
                        &t,
                        Status::Pass,
                        "ews_pass",
                        "",
                        "",
                        &ev,
                        &[("server_version", sv)],
                    )
                }
                EwsVerdict::Code {
                    code,
                    message,
                    evidence,
                } => match code.as_str() {
                    "ErrorMissingEmailAddress" | "ErrorNonExistentMailbox" => self.code_report(
                        &t,
                        Status::Pass,
                        "ews_pass_no_mailbox",
                        &code,
                        &message,
                        &evidence,
                        &[],
                    ),
                    _ => self.code_report(
                        &t,
                        Status::Fail,
                        "ews_fault",
                        &code,
                        &message,
                        &evidence,
                        &[],
                    ),
                },
            },
        };
        self.own_ews.send_replace(Some(report.status));
        self.finish(report);
    }

    /// Waits for `m365.ews` (it runs alongside) and says whether the own mailbox got through.
    async fn own_mailbox_reachable(&self) -> bool {
        let mut rx = self.own_ews.subscribe();
        matches!(
            rx.wait_for(Option::is_some).await.map(|s| *s),
            Ok(Some(Status::Pass))
        )
    }

    fn impersonation_code(&self, code: &str) -> Option<&'static str> {
        impersonation_diagnosis(code)
    }

    async fn impersonate_self(&self, token: &TokenInfo) {
        let id = CheckId::M365ImpersonateSelf;
        let t = Timer::start(id, &self.progress);
        let Some(account) = self.inputs.account.clone() else {
            self.skip_input(id, "the service account");
            return;
        };
        let req = ews::GetFolder::impersonating(&account, &[ews::Folder::Inbox]);
        let report = match self
            .ews_post(id, token, req.to_xml(), req.anchor_mailbox())
            .await
        {
            Err(f) => self.transport_report(&t, &f, Status::Fail),
            Ok(o) => match self.ews_verdict(&t, &o) {
                EwsVerdict::Done(r) => r,
                EwsVerdict::Ok(_, ev) => {
                    self.code_report(&t, Status::Pass, "impersonate_self_pass", "", "", &ev, &[])
                }
                EwsVerdict::Code {
                    code,
                    message,
                    evidence,
                } => {
                    let (status, key) = match code.as_str() {
                        "ErrorNonExistentMailbox" | "ErrorMissingEmailAddress" => {
                            (Status::Warn, "impersonate_self_no_mailbox")
                        }
                        c => (
                            Status::Fail,
                            self.impersonation_code(c).unwrap_or("ews_fault"),
                        ),
                    };
                    self.code_report(&t, status, key, &code, &message, &evidence, &[])
                }
            },
        };
        self.finish(report);
    }

    async fn impersonate_test_user(&self, token: &TokenInfo) {
        let id = CheckId::M365ImpersonateTestUser;
        let t = Timer::start(id, &self.progress);
        let Some(user) = self.inputs.test_user.clone() else {
            self.skip_input(id, "the test user");
            return;
        };
        let req = ews::GetFolder::impersonating(&user, &ews::PRODUCT_FOLDERS);
        let report = match self
            .ews_post(id, token, req.to_xml(), req.anchor_mailbox())
            .await
        {
            Err(f) => self.transport_report(&t, &f, Status::Fail),
            Ok(o) => {
                let folders = o
                    .response()
                    .map(|r| describe_folders(r.messages()))
                    .unwrap_or_default();
                let extra = [("folders", folders)];
                match self.ews_verdict(&t, &o) {
                    // The service account's own call got through, so this 403 is about the
                    // test user's mailbox alone (its EwsEnabled switch or a frontline licence),
                    // not the tenant's settings or the app's allow list.
                    EwsVerdict::Done(r)
                        if o.status == 403 && self.own_mailbox_reachable().await =>
                    {
                        t.report(
                            Status::Fail,
                            "HTTP403",
                            text("ews_http403_test_user", &self.vars()).with_evidence(&r.evidence),
                        )
                    }
                    EwsVerdict::Done(r) => r,
                    EwsVerdict::Ok(r, ev) if r.messages().len() == ews::PRODUCT_FOLDERS.len() => {
                        self.code_report(
                            &t,
                            Status::Pass,
                            "impersonate_test_user_pass",
                            "",
                            "",
                            &ev,
                            &extra,
                        )
                    }
                    EwsVerdict::Ok(r, ev) => {
                        let reason = format!(
                            "{} folder answers for {} folders asked",
                            r.messages().len(),
                            ews::PRODUCT_FOLDERS.len()
                        );
                        self.http_report(&t, &self.ews_host(), o.status, &reason)
                            .with_evidence_merged(&ev)
                    }
                    EwsVerdict::Code {
                        code,
                        message,
                        evidence,
                    } => {
                        let key = match code.as_str() {
                            "ErrorNonExistentMailbox" | "ErrorMissingEmailAddress" => {
                                "impersonate_test_user_no_mailbox"
                            }
                            c => self.impersonation_code(c).unwrap_or(
                                if o.response().and_then(|r| r.fault()).is_some() {
                                    "ews_fault"
                                } else {
                                    "impersonate_test_user_folder_error"
                                },
                            ),
                        };
                        self.code_report(&t, Status::Fail, key, &code, &message, &evidence, &extra)
                    }
                }
            }
        };
        self.finish(report);
    }

    // -------------------------------------------------------------------- password expiry --

    async fn password_expiry(&self, token: &TokenInfo) {
        let id = CheckId::M365PasswordExpiry;
        let t = Timer::start(id, &self.progress);
        let Some(account) = self.inputs.account.clone() else {
            self.skip_input(id, "the service account");
            return;
        };
        // The token's pwd_exp claim answers without another request when the tenant sends it.
        if let Some(at) = token
            .claims
            .as_ref()
            .ok()
            .and_then(jwt::Claims::password_expires_at)
        {
            let mut ev = BTreeMap::new();
            ev.insert("source".into(), "token claim pwd_exp".into());
            let date = unix_to_rfc3339(at).unwrap_or_else(|| at.to_string());
            ev.insert("expires".into(), date.clone());
            let report = self.code_report(
                &t,
                Status::Warn,
                "password_expires",
                "PASSWORD-EXPIRES",
                "",
                &ev,
                &[("date", human_date(at))],
            );
            self.finish(report);
            return;
        }
        let req = ews::GetPasswordExpirationDate::new(&account).to_xml();
        let report = match self.ews_post(id, token, req, None).await {
            Err(f) => {
                let mut ev = BTreeMap::new();
                ev.insert("host".into(), f.host.clone());
                ev.insert("reason".into(), f.reason.clone());
                self.code_report(&t, Status::Warn, "password_unknown", f.code, "", &ev, &[])
            }
            Ok(o) => {
                let mut ev = o.evidence.clone();
                ev.insert("source".into(), "GetPasswordExpirationDate".into());
                match o.response().map(|r| &r.body) {
                    Some(ews::Body::PasswordExpiration(p)) if p.message.is_success() => {
                        match &p.expiry {
                            ews::PasswordExpiry::Never => self.code_report(
                                &t,
                                Status::Pass,
                                "password_never",
                                "",
                                "",
                                &ev,
                                &[],
                            ),
                            ews::PasswordExpiry::At(when) => {
                                let unix = when.unix_timestamp();
                                ev.insert(
                                    "expires".into(),
                                    unix_to_rfc3339(unix).unwrap_or_default(),
                                );
                                self.code_report(
                                    &t,
                                    Status::Warn,
                                    "password_expires",
                                    "PASSWORD-EXPIRES",
                                    "",
                                    &ev,
                                    &[("date", human_date(unix))],
                                )
                            }
                            ews::PasswordExpiry::Unreadable(raw) => {
                                ev.insert("value".into(), raw.clone());
                                self.code_report(
                                    &t,
                                    Status::Warn,
                                    "password_unknown",
                                    "DATE-UNREADABLE",
                                    "",
                                    &ev,
                                    &[],
                                )
                            }
                        }
                    }
                    _ => {
                        let code = o
                            .response()
                            .and_then(|r| r.first_error_code())
                            .filter(|c| !c.is_empty())
                            .map(str::to_string)
                            .unwrap_or_else(|| match o.status {
                                200..=299 => "NOT-EWS".to_string(),
                                s => format!("HTTP{s}"),
                            });
                        self.code_report(&t, Status::Warn, "password_unknown", &code, "", &ev, &[])
                    }
                }
            }
        };
        self.finish(report);
    }
}

enum EwsVerdict<'o> {
    /// Fully handled (HTTP-level or throttling).
    Done(CheckReport),
    /// HTTP 200, every message a success.
    Ok(&'o ews::Response, BTreeMap<String, String>),
    /// A fault or a non-success message: the code to diagnose.
    Code {
        code: String,
        message: String,
        evidence: BTreeMap<String, String>,
    },
}

trait MergeEvidence {
    fn with_evidence_merged(self, ev: &BTreeMap<String, String>) -> Self;
}

impl MergeEvidence for CheckReport {
    fn with_evidence_merged(mut self, ev: &BTreeMap<String, String>) -> Self {
        for (k, v) in ev {
            self.evidence.entry(k.clone()).or_insert_with(|| v.clone());
        }
        self
    }
}

/// The diagnosis shared by both impersonation checks, keyed on the EWS code; `None` for codes
/// each check handles itself (a missing mailbox means different things for self and test user).
pub fn impersonation_diagnosis(code: &str) -> Option<&'static str> {
    match code {
        "ErrorImpersonateUserDenied" => Some("impersonate_denied"),
        "ErrorInvalidExchangeImpersonationHeaderData" => Some("impersonate_header_data"),
        "ErrorImpersonationDenied" => Some("impersonate_cas_denied"),
        "ErrorAccessDenied" => Some("impersonate_access_denied"),
        _ => None,
    }
}

/// The diagnosis for a token error, keyed on `error_codes[0]` (never the description text).
pub fn token_diagnosis(code: Option<u64>) -> &'static str {
    match code {
        Some(7000218) => "token_7000218",
        Some(700025) => "token_700025",
        Some(65001 | 65004) => "token_65001",
        Some(650056 | 650057 | 70011) => "token_ews_permission",
        Some(700016 | 700011) => "token_700016",
        Some(90002) => "token_90002",
        Some(50126) => "token_50126",
        Some(50034) => "token_50034",
        Some(50055 | 50144) => "token_50055",
        Some(50057) => "token_50057",
        Some(50053) => "token_50053",
        Some(50076 | 50079 | 50072 | 50074) => "token_mfa",
        Some(53000..=53003) => "token_53003",
        Some(530035) => "token_530035",
        Some(500011) => "token_500011",
        Some(9001023 | 90124 | 90130) => "token_9001023",
        _ => "token_unknown",
    }
}

/// "contacts: Contacts (12 items); calendar: …" for the test user's folders, in request order.
fn describe_folders(messages: &[ews::ResponseMessage]) -> String {
    messages
        .iter()
        .zip(ews::PRODUCT_FOLDERS.iter())
        .map(|(m, f)| {
            if m.is_success() {
                let folder = m.folders.first();
                let name = folder
                    .and_then(|x| x.display_name.clone())
                    .unwrap_or_else(|| f.to_string());
                match folder.and_then(|x| x.total_count) {
                    Some(n) => format!("{f}: {name} ({n} items)"),
                    None => format!("{f}: {name}"),
                }
            } else {
                format!("{f}: {}", m.code_or_default())
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn unix_to_rfc3339(secs: i64) -> Option<String> {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
}

/// `2026-12-06 (in 5 days)`.
fn human_date(secs: i64) -> String {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(secs) else {
        return secs.to_string();
    };
    let day = format!("{:04}-{:02}-{:02}", t.year(), t.month() as u8, t.day());
    let days = (secs - time::OffsetDateTime::now_utc().unix_timestamp()) / 86_400;
    match days {
        d if d < 0 => format!("{day} (already past)"),
        0 => format!("{day} (today)"),
        1 => format!("{day} (tomorrow)"),
        d => format!("{day} (in {d} days)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_parses_and_uses_known_placeholders_and_steps() {
        let t = texts().unwrap();
        assert!(t.len() > 40);
        for (k, e) in t {
            for field in [Some(&e.summary), Some(&e.detail), e.command.as_ref()]
                .into_iter()
                .flatten()
            {
                for p in common::placeholders(field) {
                    assert!(
                        VARS.contains(&p.as_str()),
                        "{k}: unknown placeholder {{{p}}}"
                    );
                }
            }
            if let Some(s) = &e.step {
                let g = GuideStep::parse(s).unwrap_or_else(|| panic!("{k}: bad step {s}"));
                assert_eq!(g.platform, crate::answers::Platform::Microsoft365, "{k}");
            }
        }
    }

    #[test]
    fn every_diagnosis_key_exists() {
        let t = texts().unwrap();
        let codes = [
            7000218, 700025, 65001, 650057, 70011, 700016, 90002, 50126, 50034, 50055, 50057,
            50053, 50076, 50079, 53003, 530035, 500011, 9001023, 12345,
        ];
        for c in codes {
            assert!(t.contains_key(token_diagnosis(Some(c))), "{c}");
        }
        assert_eq!(token_diagnosis(Some(12345)), "token_unknown");
        assert_eq!(token_diagnosis(None), "token_unknown");
        for k in [
            "tenant_pass",
            "tenant_not_found",
            "tenant_mismatch",
            "tenant_unreadable",
            "realm_pass",
            "realm_federated",
            "realm_unknown",
            "token_pass",
            "claims_pass",
            "claims_scp",
            "claims_tid",
            "claims_appid",
            "claims_aud",
            "claims_unreadable",
            "ews_pass",
            "ews_pass_no_mailbox",
            "ews_http403",
            "ews_http403_test_user",
            "ews_http401",
            "ews_fault",
            "impersonate_denied",
            "impersonate_header_data",
            "impersonate_cas_denied",
            "impersonate_access_denied",
            "impersonate_self_pass",
            "impersonate_self_no_mailbox",
            "impersonate_test_user_pass",
            "impersonate_test_user_no_mailbox",
            "impersonate_test_user_folder_error",
            "password_never",
            "password_expires",
            "password_unknown",
            "throttled",
            "unavailable",
            "server_error",
            "unreadable",
            "transport_TIMEOUT",
            "transport_DNS-NXDOMAIN",
            "transport_CONNECTION-REFUSED",
            "transport_TLS",
            "transport_other",
            "input_missing",
            "cancelled",
        ] {
            assert!(t.contains_key(k), "{k}");
        }
    }

    #[test]
    fn guide_steps_of_key_diagnoses() {
        let step = |k: &str| {
            texts().unwrap()[k]
                .step
                .as_deref()
                .and_then(GuideStep::parse)
                .unwrap()
        };
        assert_eq!(step(token_diagnosis(Some(7000218))), GuideStep::m365(4, 30));
        assert_eq!(step(token_diagnosis(Some(65001))), GuideStep::m365(4, 26));
        assert_eq!(step(token_diagnosis(Some(650057))), GuideStep::m365(4, 20));
        assert_eq!(step(token_diagnosis(Some(700016))), GuideStep::m365(4, 11));
        assert_eq!(step(token_diagnosis(Some(90002))), GuideStep::m365(4, 13));
        assert_eq!(step(token_diagnosis(Some(50034))), GuideStep::m365(1, 4));
        assert_eq!(step(token_diagnosis(Some(50055))), GuideStep::m365(3, 10));
    }

    #[test]
    fn commands_carry_the_admins_values() {
        let mut v = Vars::new();
        v.insert("client_id", "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d".into());
        v.insert(
            "service_account",
            "moxiengage@contoso.onmicrosoft.com".into(),
        );
        let t = text("ews_http403", &v);
        let cmd = t.command.unwrap();
        assert!(cmd.contains(
            "Set-OrganizationConfig -EwsAllowedAppIDs \"9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d\""
        ));
        assert!(cmd.contains(
            "Set-CASMailbox -Identity moxiengage@contoso.onmicrosoft.com -EwsEnabled $true"
        ));
        assert!(t.detail.contains("2026-10-01") && t.detail.contains("2027-04-01"));
        assert!(t.detail.contains("replaces the whole list"));
        let p = text("password_expires", &v).command.unwrap();
        assert!(p.contains(
            "Update-MgUser -UserId moxiengage@contoso.onmicrosoft.com -PasswordPolicies DisablePasswordExpiration"
        ));
        assert!(p.contains("Get-MgUser -UserId moxiengage@contoso.onmicrosoft.com -Property"));
    }

    #[test]
    fn impersonation_codes_from_real_faults() {
        // The real Exchange Online fault for a token type that forbids the header.
        let body = include_bytes!(
            "../../tests/fixtures/ews/fault-errorinvalidexchangeimpersonationheaderdata.xml"
        );
        let r = ews::parse_response(body).unwrap();
        let code = r.first_error_code().unwrap();
        let key = impersonation_diagnosis(code).unwrap();
        assert_eq!(key, "impersonate_header_data");
        let t = text(key, &Vars::new());
        assert_eq!(t.step, Some(GuideStep::m365(2, 6)));
        assert!(t.detail.contains("2025"));
        assert_eq!(
            impersonation_diagnosis("ErrorImpersonateUserDenied"),
            Some("impersonate_denied")
        );
        assert_eq!(impersonation_diagnosis("ErrorNonExistentMailbox"), None);
    }

    #[test]
    fn closure_pulls_dependencies() {
        let c = closure(&[CheckId::M365ImpersonateTestUser]);
        assert_eq!(
            c.into_iter().collect::<Vec<_>>(),
            vec![
                CheckId::M365Tenant,
                CheckId::M365Realm,
                CheckId::M365Token,
                CheckId::M365ImpersonateTestUser
            ]
        );
        assert!(closure(&[CheckId::ExSelf]).is_empty());
    }
}
