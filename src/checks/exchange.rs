//! Exchange Server on-premises checks (`ex.*`): find the EWS URL (Autodiscover or typed), check
//! the certificate, Basic sign-in, the service account's mailbox, impersonation of itself and of
//! the test user, password expiry and the server version. Each failure names its guide step
//! (`ex2016/2.4`…) and, where one exists, the PowerShell command with the admin's values.
//!
//! Must not know about the UI, and must never send the password anywhere but an https host
//! inside the account's domain (or one the admin confirmed) with a verified certificate — or the
//! single typed EWS host the admin chose to trust. Words live in `assets/checks/exchange.toml`.

use crate::answers::{Answers, validate_email, validate_ews_url};
use crate::checks::autodiscover::{
    AttemptResult, DiscoverEvent, DiscoverFailure, DiscoverOptions, Discovery, FetchError,
    HowFound, HttpReply, MAX_REDIRECTS, Transport, discover, within,
};
use crate::checks::srv::{SrvResolver, SystemSrv};
use crate::checks::tls::{self, ProbeError};
use crate::checks::{CheckId, CheckReport, Context, Progress, Status};
use crate::guide::GuideStep;
use crate::net::{Net, NetConfig};
use crate::protocol::MAX_BODY;
use crate::protocol::ews::{self, Folder, GetFolder, GetPasswordExpirationDate, PasswordExpiry};
use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;
use url::Url;

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

/// Tunables and injected dependencies of the on-premises checks.
#[derive(Clone)]
pub struct ExchangeOptions {
    /// DNS SRV lookups (tests inject records; production asks the system resolver).
    pub srv: Arc<dyn SrvResolver>,
    /// Bound for one Autodiscover candidate.
    pub candidate_timeout: Duration,
    /// How long higher-priority candidates may still take once a lower one answered.
    pub grace: Duration,
    /// …and at most this fraction of the time the answer took (see `DiscoverOptions`).
    pub grace_ratio: Option<f64>,
    /// Hosts outside the account's domain the admin confirmed on screen (never from headless).
    pub confirmed_hosts: Vec<String>,
    /// The longest `BackOffMilliseconds` honoured before reporting the server busy.
    pub busy_cap: Duration,
    /// How many times a busy answer is retried.
    pub busy_retries: u32,
}

impl Default for ExchangeOptions {
    fn default() -> Self {
        ExchangeOptions {
            srv: Arc::new(SystemSrv::new(Duration::from_secs(5))),
            candidate_timeout: Duration::from_secs(10),
            grace: Duration::from_millis(500),
            // Half the answering candidate's time: a black-holed root domain then adds half a
            // round trip (BENCHMARKS.md: ≤ 1.2× the normal run), not half a second.
            grace_ratio: Some(0.5),
            confirmed_hosts: Vec::new(),
            busy_cap: Duration::from_secs(10),
            busy_retries: 2,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------------------------

#[derive(serde::Deserialize, Default)]
struct Words {
    #[serde(default)]
    notes: BTreeMap<String, String>,
    #[serde(default)]
    msg: BTreeMap<String, Msg>,
    #[serde(default)]
    tls_words: BTreeMap<String, String>,
    #[serde(default)]
    tls_why: BTreeMap<String, String>,
    #[serde(default)]
    tls_ignore: BTreeMap<String, String>,
}

#[derive(serde::Deserialize, Default, Clone)]
struct Msg {
    summary: String,
    #[serde(default)]
    detail: String,
    #[serde(default)]
    command: Option<String>,
}

const WORDS_TOML: &str = include_str!("../../assets/checks/exchange.toml");

fn words() -> &'static Words {
    static W: OnceLock<Words> = OnceLock::new();
    // A broken embedded asset is caught by the tests; at run time it degrades to key names.
    W.get_or_init(|| toml::from_str(WORDS_TOML).unwrap_or_default())
}

/// Parses the embedded words (for tests: the asset must be valid).
pub fn words_ok() -> Result<(), String> {
    toml::from_str::<Words>(WORDS_TOML)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn fill(template: &str, vars: &[(&str, String)]) -> String {
    let mut s = template.to_string();
    for (k, v) in vars {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

fn note(key: &str, vars: &[(&str, String)]) -> String {
    match words().notes.get(key) {
        Some(t) => fill(t, vars),
        None => format!("[missing text {key}]"),
    }
}

fn table(t: &BTreeMap<String, String>, key: &str) -> String {
    t.get(key)
        .cloned()
        .unwrap_or_else(|| format!("[missing text {key}]"))
}

/// PowerShell single-quoted literal.
fn ps_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A value placed inside a single-quoted PowerShell string already (`-Filter "… '{x}'"`).
fn ps_inner(s: &str) -> String {
    s.replace('\'', "''").replace('"', "`\"")
}

// ---------------------------------------------------------------------------------------------
// Report building
// ---------------------------------------------------------------------------------------------

struct Inputs {
    service_account: String,
    password: SecretString,
    test_user: String,
    typed_url: Option<Url>,
    ignore_trust: bool,
    /// The host outside the domain the admin typed after this check named it.
    outside_host: Option<String>,
}

fn base_vars(i: &Inputs) -> Vec<(&'static str, String)> {
    let domain = i
        .service_account
        .rsplit_once('@')
        .map(|(_, d)| d.to_string())
        .unwrap_or_default();
    vec![
        ("service_account", i.service_account.clone()),
        ("service_account_q", ps_quote(&i.service_account)),
        ("service_account_ps", ps_inner(&i.service_account)),
        ("test_user", i.test_user.clone()),
        ("test_user_q", ps_quote(&i.test_user)),
        ("domain", domain),
    ]
}

struct Rb {
    id: CheckId,
    started: Instant,
    evidence: BTreeMap<String, String>,
}

impl Rb {
    fn new(id: CheckId) -> Rb {
        Rb {
            id,
            started: Instant::now(),
            evidence: BTreeMap::new(),
        }
    }
    fn ev(&mut self, k: &str, v: impl Into<String>) {
        self.evidence.insert(k.to_string(), v.into());
    }
    fn done(
        self,
        status: Status,
        code: &str,
        step: Option<GuideStep>,
        key: &str,
        vars: &[(&str, String)],
    ) -> CheckReport {
        let m = words().msg.get(key).cloned().unwrap_or_else(|| Msg {
            summary: format!("[missing text {key}]"),
            ..Msg::default()
        });
        CheckReport {
            id: self.id,
            status,
            code: code.to_string(),
            guide_step: step,
            summary: fill(&m.summary, vars),
            detail: fill(&m.detail, vars),
            command: m.command.map(|c| fill(&c, vars)),
            evidence: self.evidence,
            elapsed_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            finished_at: now_rfc3339(),
        }
    }
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

// Guide steps (seed guide 000_…: Exchange 2016). Section 1 creates the service account mailbox,
// section 2 the impersonation role group, section 3 tests with a regular user.
const STEP_MAILBOX: GuideStep = GuideStep::ex(1, 3);
const STEP_ACCOUNT_FORM: GuideStep = GuideStep::ex(1, 4);
const STEP_SCOPE: GuideStep = GuideStep::ex(2, 2);
const STEP_ROLE: GuideStep = GuideStep::ex(2, 3);
const STEP_MEMBERS: GuideStep = GuideStep::ex(2, 4);
const STEP_TEST_USER: GuideStep = GuideStep::ex(3, 1);
const STEP_CREDENTIALS: GuideStep = GuideStep::ex(3, 4);
const STEP_IGNORE_TRUST: GuideStep = GuideStep::ex(3, 11);

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

/// Reads at most [`MAX_BODY`] bytes of a response.
async fn read_bounded(mut resp: reqwest::Response) -> Result<HttpReply, FetchError> {
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let www_authenticate = resp
        .headers()
        .get_all(reqwest::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_string)
        .collect();
    let retry_after_ms = crate::checks::common::retry_after_ms(resp.headers());
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| classify(&e))? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(FetchError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(HttpReply {
        status,
        location,
        www_authenticate,
        retry_after_ms,
        body,
    })
}

/// Names a failed request the way the report codes do: the certificate reason from the TLS
/// layer, everything else from the shared classification both engines use.
pub fn classify(e: &reqwest::Error) -> FetchError {
    if let Some(p) = tls::problem_in(e) {
        return FetchError::Tls(p);
    }
    match crate::checks::common::classify(e, "").code {
        "TIMEOUT" => FetchError::Timeout,
        "CONNECTION-REFUSED" => FetchError::Refused,
        "DNS-NXDOMAIN" => FetchError::Dns,
        _ => FetchError::Other(e.to_string()),
    }
}

/// Autodiscover over the shared client. Refuses to attach credentials to anything but https.
pub struct NetTransport {
    pub net: Net,
}

impl Transport for NetTransport {
    fn post_pox<'a>(
        &'a self,
        url: &'a Url,
        body: String,
        user: &'a str,
        password: &'a SecretString,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<HttpReply, FetchError>> {
        Box::pin(async move {
            crate::net::require_https(url).map_err(|e| FetchError::NotSent(e.to_string()))?;
            let resp = self
                .net
                .client()
                .post(url.clone())
                .timeout(timeout)
                .basic_auth(user, Some(password.expose_secret()))
                .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=utf-8")
                .body(body)
                .send()
                .await
                .map_err(|e| classify(&e))?;
            read_bounded(resp).await
        })
    }

    fn get_anonymous<'a>(
        &'a self,
        url: &'a Url,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<HttpReply, FetchError>> {
        Box::pin(async move {
            let resp = self
                .net
                .client()
                .get(url.clone())
                .timeout(timeout)
                .send()
                .await
                .map_err(|e| classify(&e))?;
            read_bounded(resp).await
        })
    }
}

/// One EWS call's outcome.
enum EwsOutcome {
    Answer {
        status: u16,
        www_authenticate: Vec<String>,
        response: Box<ews::Response>,
    },
    Http {
        status: u16,
        www_authenticate: Vec<String>,
    },
    NotEws {
        status: u16,
    },
    Net(FetchError),
    Busy {
        back_off_ms: u64,
    },
    Cancelled,
}

struct EwsClient<'a> {
    net: Net,
    url: Url,
    user: &'a str,
    password: &'a SecretString,
    opts: &'a ExchangeOptions,
    cancel: &'a CancellationToken,
}

impl EwsClient<'_> {
    async fn once(&self, body: &str, anchor: Option<&str>) -> Result<HttpReply, FetchError> {
        crate::net::require_https(&self.url).map_err(|e| FetchError::NotSent(e.to_string()))?;
        let mut rb = self
            .net
            .client()
            .post(self.url.clone())
            .basic_auth(self.user, Some(self.password.expose_secret()))
            .header(reqwest::header::CONTENT_TYPE, ews::CONTENT_TYPE)
            .header(reqwest::header::ACCEPT, "text/xml")
            .body(body.to_string());
        if let Some(a) = anchor {
            rb = rb.header("X-AnchorMailbox", a);
        }
        let resp = rb.send().await.map_err(|e| classify(&e))?;
        read_bounded(resp).await
    }

    /// The same request without credentials (to read `WWW-Authenticate`).
    async fn anonymous(&self, body: &str) -> Result<HttpReply, FetchError> {
        let resp = self
            .net
            .client()
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, ews::CONTENT_TYPE)
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| classify(&e))?;
        read_bounded(resp).await
    }

    /// Sends one request (with credentials, or without for the sign-in probe), trying again a
    /// bounded number of times while IIS answers 503 (an application pool restarting or its
    /// queue full), waiting what `Retry-After` asks, up to the cap. `None`: cancelled.
    async fn send(
        &self,
        body: &str,
        anchor: Option<&str>,
        with_credentials: bool,
        progress: &UnboundedSender<Progress>,
        id: CheckId,
    ) -> Option<Result<HttpReply, FetchError>> {
        let mut tries = 0;
        let mut delay = Duration::from_secs(1);
        loop {
            let r = tokio::select! {
                _ = self.cancel.cancelled() => return None,
                r = async {
                    if with_credentials {
                        self.once(body, anchor).await
                    } else {
                        self.anonymous(body).await
                    }
                } => r,
            };
            let unavailable = matches!(&r, Ok(rep) if rep.status == 503
                && ews::parse_response(&rep.body).is_err());
            if !unavailable || tries >= self.opts.busy_retries {
                return Some(r);
            }
            let wait = r
                .as_ref()
                .ok()
                .and_then(|rep| rep.retry_after_ms)
                .map(Duration::from_millis)
                .unwrap_or(delay);
            if wait > self.opts.busy_cap {
                return Some(r);
            }
            tries += 1;
            delay = delay.saturating_mul(2);
            let _ = progress.send(Progress::Note(
                id,
                note(
                    "unavailable",
                    &[("seconds", format!("{}", wait.as_millis().div_ceil(1000)))],
                ),
            ));
            tokio::select! {
                _ = self.cancel.cancelled() => return None,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Sends one EWS request, honouring `ErrorServerBusy` back-off up to the cap.
    async fn call(
        &self,
        body: &str,
        anchor: Option<&str>,
        progress: &UnboundedSender<Progress>,
        id: CheckId,
    ) -> EwsOutcome {
        let mut tries = 0;
        loop {
            let Some(r) = self.send(body, anchor, true, progress, id).await else {
                return EwsOutcome::Cancelled;
            };
            let rep = match r {
                Ok(rep) => rep,
                Err(e) => return EwsOutcome::Net(e),
            };
            let parsed = if rep.body.is_empty() {
                None
            } else {
                ews::parse_response(&rep.body).ok()
            };
            let Some(response) = parsed else {
                if rep.status == 200 {
                    return EwsOutcome::NotEws { status: rep.status };
                }
                return EwsOutcome::Http {
                    status: rep.status,
                    www_authenticate: rep.www_authenticate,
                };
            };
            if response.first_error_code() == Some("ErrorServerBusy") {
                let back = response.back_off_ms().unwrap_or(1000);
                if back > u64::try_from(self.opts.busy_cap.as_millis()).unwrap_or(u64::MAX)
                    || tries >= self.opts.busy_retries
                {
                    return EwsOutcome::Busy { back_off_ms: back };
                }
                tries += 1;
                let _ = progress.send(Progress::Note(
                    id,
                    note("busy", &[("seconds", format!("{}", back.div_ceil(1000)))]),
                ));
                tokio::select! {
                    _ = self.cancel.cancelled() => return EwsOutcome::Cancelled,
                    _ = tokio::time::sleep(Duration::from_millis(back)) => {}
                }
                continue;
            }
            return EwsOutcome::Answer {
                status: rep.status,
                www_authenticate: rep.www_authenticate,
                response: Box::new(response),
            };
        }
    }
}

fn offers_basic(www: &[String]) -> bool {
    www.iter()
        .any(|v| v.trim_start().to_ascii_lowercase().starts_with("basic"))
}

fn schemes(www: &[String]) -> String {
    let mut s: Vec<String> = www
        .iter()
        .filter_map(|v| {
            v.split_whitespace()
                .next()
                .map(|w| w.trim_end_matches(',').to_string())
        })
        .collect();
    s.dedup();
    if s.is_empty() {
        "nothing".to_string()
    } else {
        s.join(", ")
    }
}

fn fetch_code(e: &FetchError) -> &'static str {
    match e {
        FetchError::Timeout => "TIMEOUT",
        FetchError::Dns => "DNS-NXDOMAIN",
        FetchError::Refused => "CONNECTION-REFUSED",
        FetchError::Tls(p) => p.code(),
        FetchError::NotSent(_) => "NOT-HTTPS",
        FetchError::TooLarge => "BODY-TOO-LARGE",
        FetchError::Other(_) => "CONNECTION-FAILED",
    }
}

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

/// Runs the wanted `ex.*` checks (and what they depend on) with production settings.
pub async fn run(
    ctx: &Context,
    answers: &Answers,
    wanted: &[CheckId],
    progress: UnboundedSender<Progress>,
    cancel: CancellationToken,
) -> Vec<CheckReport> {
    run_with(
        ctx,
        answers,
        wanted,
        progress,
        cancel,
        &ExchangeOptions::default(),
    )
    .await
}

fn needs(id: CheckId) -> &'static [CheckId] {
    use CheckId::*;
    match id {
        ExDiscover => &[],
        ExTls => &[ExDiscover],
        ExAuth => &[ExDiscover, ExTls],
        ExSelf | ExImpersonateSelf | ExImpersonateTestUser | ExPasswordExpiry | ExVersion => {
            &[ExDiscover, ExTls, ExAuth]
        }
        _ => &[],
    }
}

/// [`run`] with injected options (tests: SRV records, short timeouts, confirmed hosts).
pub async fn run_with(
    ctx: &Context,
    answers: &Answers,
    wanted: &[CheckId],
    progress: UnboundedSender<Progress>,
    cancel: CancellationToken,
    opts: &ExchangeOptions,
) -> Vec<CheckReport> {
    let mut want: Vec<CheckId> = Vec::new();
    for w in wanted.iter().filter(|w| CheckId::EXCHANGE.contains(w)) {
        for d in needs(*w).iter().chain(std::iter::once(w)) {
            if !want.contains(d) {
                want.push(*d);
            }
        }
    }
    want.sort();
    if want.is_empty() {
        return Vec::new();
    }
    let mut reports: Vec<CheckReport> = Vec::new();
    let send = |r: &CheckReport| {
        let _ = progress.send(Progress::Finished(r.clone()));
    };

    let Some(inputs) = inputs(answers) else {
        for id in &want {
            let r = Rb::new(*id).done(Status::Skip, "", None, "skip.inputs", &[]);
            send(&r);
            reports.push(r);
        }
        return reports;
    };
    let vars = base_vars(&inputs);

    // ex.discover
    let _ = progress.send(Progress::Started(CheckId::ExDiscover));
    let verifying_net = if ctx.net.config.ignore_trust_host.is_some() {
        Net::new(NetConfig {
            ignore_trust_host: None,
            ..ctx.net.config.clone()
        })
        .unwrap_or_else(|_| ctx.net.clone())
    } else {
        ctx.net.clone()
    };
    let (discover_report, ews_url) =
        check_discover(&verifying_net, &inputs, &vars, opts, &progress, &cancel).await;
    send(&discover_report);
    reports.push(discover_report);
    let Some(ews_url) = ews_url else {
        skip_rest(&want, CheckId::ExDiscover, &mut reports, &progress);
        return finish(reports, &want);
    };
    if !want.contains(&CheckId::ExTls) {
        return finish(reports, &want);
    }

    // ex.tls
    let _ = progress.send(Progress::Started(CheckId::ExTls));
    let (tls_report, trust_host) = check_tls(
        &ctx.net.config,
        &ews_url,
        &inputs,
        &vars,
        &progress,
        &cancel,
    )
    .await;
    let tls_ok = tls_report.status != Status::Fail;
    send(&tls_report);
    reports.push(tls_report);
    if !tls_ok {
        skip_rest(&want, CheckId::ExTls, &mut reports, &progress);
        return finish(reports, &want);
    }
    let ews_net = match trust_host {
        Some(h) => match Net::new(NetConfig {
            ignore_trust_host: Some(h),
            ..ctx.net.config.clone()
        }) {
            Ok(n) => n,
            Err(_) => verifying_net.clone(),
        },
        None => verifying_net.clone(),
    };
    let client = EwsClient {
        net: ews_net,
        url: ews_url.clone(),
        user: &inputs.service_account,
        password: &inputs.password,
        opts,
        cancel: &cancel,
    };
    if !want.contains(&CheckId::ExAuth) {
        return finish(reports, &want);
    }

    // ex.auth + ex.self share one GetFolder on the service account's own inbox.
    let _ = progress.send(Progress::Started(CheckId::ExAuth));
    let _ = progress.send(Progress::Note(
        CheckId::ExAuth,
        note(
            "ews_call",
            &[("host", ews_url.host_str().unwrap_or_default().to_string())],
        ),
    ));
    let auth_rb = Rb::new(CheckId::ExAuth);
    let self_started = Instant::now();
    let own = GetFolder::own(&[Folder::Inbox])
        .to_xml()
        .unwrap_or_default();
    // First without credentials: the 401 says which sign-in methods the server offers, so a
    // server without Basic never receives the password at all.
    let offered = match client
        .send(&own, None, false, &progress, CheckId::ExAuth)
        .await
    {
        Some(Ok(rep)) if rep.status == 401 => rep.www_authenticate,
        _ => Vec::new(),
    };
    let (auth_report, self_response) = if !offered.is_empty() && !offers_basic(&offered) {
        let mut v = vars.clone();
        v.push(("schemes", schemes(&offered)));
        (auth_401(auth_rb, &offered, &mut v), None)
    } else {
        let own_answer = client.call(&own, None, &progress, CheckId::ExAuth).await;
        check_auth(auth_rb, &own_answer, &ews_url, &offered, &vars)
    };
    let auth_ok = auth_report.status == Status::Pass;
    send(&auth_report);
    reports.push(auth_report);
    if !auth_ok {
        skip_rest(&want, CheckId::ExAuth, &mut reports, &progress);
        return finish(reports, &want);
    }

    let mut versions: Vec<ews::ServerVersionInfo> = Vec::new();
    if let Some(r) = &self_response
        && let Some(v) = &r.server_version
    {
        versions.push(v.clone());
    }
    if want.contains(&CheckId::ExSelf) {
        let _ = progress.send(Progress::Started(CheckId::ExSelf));
        let mut rb = Rb::new(CheckId::ExSelf);
        rb.started = self_started;
        let r = check_self(rb, self_response.as_ref(), &vars);
        send(&r);
        reports.push(r);
    }

    // The remaining three are independent: run them together.
    let imp_self = async {
        if !want.contains(&CheckId::ExImpersonateSelf) {
            return None;
        }
        let _ = progress.send(Progress::Started(CheckId::ExImpersonateSelf));
        let rb = Rb::new(CheckId::ExImpersonateSelf);
        let req = GetFolder::impersonating(&inputs.service_account, &[Folder::Inbox]);
        let ans = client
            .call(
                &req.to_xml().unwrap_or_default(),
                req.anchor_mailbox(),
                &progress,
                CheckId::ExImpersonateSelf,
            )
            .await;
        Some((rb, ans))
    };
    let imp_test = async {
        if !want.contains(&CheckId::ExImpersonateTestUser) {
            return None;
        }
        let _ = progress.send(Progress::Started(CheckId::ExImpersonateTestUser));
        let rb = Rb::new(CheckId::ExImpersonateTestUser);
        let req = GetFolder::impersonating(&inputs.test_user, &ews::PRODUCT_FOLDERS);
        let ans = client
            .call(
                &req.to_xml().unwrap_or_default(),
                req.anchor_mailbox(),
                &progress,
                CheckId::ExImpersonateTestUser,
            )
            .await;
        Some((rb, ans))
    };
    let pwd = async {
        if !want.contains(&CheckId::ExPasswordExpiry) {
            return None;
        }
        let _ = progress.send(Progress::Started(CheckId::ExPasswordExpiry));
        let rb = Rb::new(CheckId::ExPasswordExpiry);
        // No impersonation header: the WSDL does not allow one on this operation.
        let req = GetPasswordExpirationDate::new(&inputs.service_account)
            .to_xml()
            .unwrap_or_default();
        let ans = client
            .call(&req, None, &progress, CheckId::ExPasswordExpiry)
            .await;
        Some((rb, ans))
    };
    let (a, b, c) = tokio::join!(imp_self, imp_test, pwd);
    let mut self_denied = false;
    let mut self_passed = false;
    if let Some((_, EwsOutcome::Answer { response, .. })) = &a {
        if let Some(v) = &response.server_version {
            versions.push(v.clone());
        }
        self_denied = response.first_error_code() == Some("ErrorImpersonateUserDenied");
        self_passed = response.first_error_code().is_none();
    }
    if let Some((rb, ans)) = a {
        let r = check_impersonation(rb, &ans, &inputs.service_account, true, false, &vars);
        send(&r);
        reports.push(r);
    }
    if let Some((rb, ans)) = b {
        if let EwsOutcome::Answer { response, .. } = &ans
            && let Some(v) = &response.server_version
        {
            versions.push(v.clone());
        }
        let scope_hint = self_passed && !self_denied;
        let r = check_impersonation(rb, &ans, &inputs.test_user, false, scope_hint, &vars);
        send(&r);
        reports.push(r);
    }
    if let Some((rb, ans)) = c {
        let r = check_password(rb, &ans, &vars);
        send(&r);
        reports.push(r);
    }
    if want.contains(&CheckId::ExVersion) {
        let _ = progress.send(Progress::Started(CheckId::ExVersion));
        let r = check_version(Rb::new(CheckId::ExVersion), versions.first(), &vars);
        send(&r);
        reports.push(r);
    }
    finish(reports, &want)
}

fn finish(mut reports: Vec<CheckReport>, _want: &[CheckId]) -> Vec<CheckReport> {
    reports.sort_by_key(|r| r.id);
    reports
}

fn skip_rest(
    want: &[CheckId],
    because: CheckId,
    reports: &mut Vec<CheckReport>,
    progress: &UnboundedSender<Progress>,
) {
    for id in want {
        if !reports.iter().any(|r| r.id == *id) {
            let r = CheckReport::skipped(*id, because);
            let _ = progress.send(Progress::Finished(r.clone()));
            reports.push(r);
        }
    }
}

fn inputs(a: &Answers) -> Option<Inputs> {
    let service_account = validate_email(&a.service_account).ok()?;
    let test_user = validate_email(&a.test_user).ok()?;
    let password = a.service_password.clone()?;
    if password.expose_secret().is_empty() {
        return None;
    }
    let typed_url = validate_ews_url(&a.ews_url)
        .ok()
        .flatten()
        .and_then(|u| Url::parse(&u).ok());
    Some(Inputs {
        password,
        test_user,
        typed_url,
        ignore_trust: a.ignore_tls_trust,
        outside_host: crate::answers::validate_outside_host(
            &a.outside_host,
            service_account.rsplit_once('@').map(|(_, d)| d),
        )
        .ok()
        .filter(|h| !h.is_empty()),
        service_account,
    })
}

// ---------------------------------------------------------------------------------------------
// ex.discover
// ---------------------------------------------------------------------------------------------

fn how_note(how: HowFound) -> &'static str {
    match how {
        HowFound::RootDomain => "trying_root",
        HowFound::AutodiscoverHost => "trying_autodiscover_host",
        HowFound::HttpRedirect => "trying_http_redirect",
        HowFound::Srv => "trying_srv",
        HowFound::RedirectUrl => "trying_redirect_url",
    }
}

async fn check_discover(
    net: &Net,
    i: &Inputs,
    vars: &[(&'static str, String)],
    opts: &ExchangeOptions,
    progress: &UnboundedSender<Progress>,
    cancel: &CancellationToken,
) -> (CheckReport, Option<Url>) {
    let mut rb = Rb::new(CheckId::ExDiscover);
    if let Some(u) = &i.typed_url {
        rb.ev("ews_url", u.as_str());
        rb.ev("how_found", "typed-by-admin");
        let mut v = vars.to_vec();
        v.push(("ews_url", u.to_string()));
        return (
            rb.done(Status::Pass, "", None, "discover.pass.typed", &v),
            Some(u.clone()),
        );
    }
    let transport = NetTransport { net: net.clone() };
    let mut confirmed = opts.confirmed_hosts.clone();
    confirmed.extend(i.outside_host.iter().cloned());
    let dopts = DiscoverOptions {
        transport: &transport,
        srv: opts.srv.as_ref(),
        candidate_timeout: opts.candidate_timeout,
        confirmed_hosts: &confirmed,
        grace: opts.grace,
        grace_ratio: opts.grace_ratio,
    };
    let p = progress.clone();
    let mut sink = move |e: DiscoverEvent| {
        let text = match e {
            DiscoverEvent::Trying { url, how } => note(how_note(how), &[("url", url)]),
            DiscoverEvent::RedirectAddr { to } => note("redirect_addr", &[("to", to)]),
            DiscoverEvent::RedirectUrl { to } => note("trying_redirect_url", &[("url", to)]),
            DiscoverEvent::SrvLookup { name } => note("srv_lookup", &[("name", name)]),
        };
        let _ = p.send(Progress::Note(CheckId::ExDiscover, text));
    };
    let d = discover(&dopts, &i.service_account, &i.password, cancel, &mut sink).await;
    record_attempts(&mut rb, &d);
    // Say so in the evidence (and the bundle) when the admin's allowance was actually used.
    if let Some(h) = &i.outside_host {
        let used = d.attempts.iter().any(|a| {
            Url::parse(&a.url)
                .ok()
                .and_then(|u| u.host_str().map(|x| within(x, h)))
                .unwrap_or(false)
        });
        if used {
            rb.ev("allowed_outside_host", h);
        }
    }
    let domain = vars
        .iter()
        .find(|(k, _)| *k == "domain")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let mut v = vars.to_vec();
    v.push(("tried", tried_list(&d)));
    v.push(("max", MAX_REDIRECTS.to_string()));
    match d.result {
        Ok(found) => {
            rb.ev("ews_url", &found.ews_url);
            rb.ev("how_found", found.how.as_str());
            rb.ev("autodiscover_url", &found.via);
            rb.ev("protocol", found.protocol);
            rb.ev("address", &found.address);
            v.push(("ews_url", found.ews_url.clone()));
            v.push(("via", found.via.clone()));
            let Ok(u) = Url::parse(&found.ews_url) else {
                return (
                    rb.done(
                        Status::Fail,
                        "EWS-URL-NOT-HTTPS",
                        Some(STEP_CREDENTIALS),
                        "discover.fail.EWS-URL-NOT-HTTPS",
                        &v,
                    ),
                    None,
                );
            };
            if u.scheme() != "https" {
                return (
                    rb.done(
                        Status::Fail,
                        "EWS-URL-NOT-HTTPS",
                        Some(STEP_CREDENTIALS),
                        "discover.fail.EWS-URL-NOT-HTTPS",
                        &v,
                    ),
                    None,
                );
            }
            let host = u.host_str().unwrap_or_default().to_string();
            let allowed = within(&host, &domain)
                || within(
                    &host,
                    found.address.rsplit_once('@').map(|x| x.1).unwrap_or(""),
                )
                || confirmed.iter().any(|c| within(&host, c));
            if !allowed {
                v.push(("host", host.clone()));
                rb.ev("refused_host", &host);
                return (
                    rb.done(
                        Status::Fail,
                        "REDIRECT-FOREIGN-DOMAIN",
                        Some(STEP_CREDENTIALS),
                        "discover.fail.EWS-URL-FOREIGN",
                        &v,
                    ),
                    None,
                );
            }
            (
                rb.done(Status::Pass, "", None, "discover.pass.found", &v),
                Some(u),
            )
        }
        Err(f) => {
            let (code, key) = match &f {
                DiscoverFailure::ForeignHost { host } => {
                    v.push(("host", host.clone()));
                    rb.ev("refused_host", host);
                    (
                        "REDIRECT-FOREIGN-DOMAIN".to_string(),
                        "discover.fail.REDIRECT-FOREIGN-DOMAIN",
                    )
                }
                DiscoverFailure::StrippedDomain { host } => {
                    v.push(("host", host.clone()));
                    rb.ev("refused_host", host);
                    rb.ev("rule", "label-stripped-domain");
                    (
                        "REDIRECT-FOREIGN-DOMAIN".to_string(),
                        "discover.fail.stripped",
                    )
                }
                DiscoverFailure::Loop { target } => {
                    v.push(("target", target.clone()));
                    ("REDIRECT-LOOP".to_string(), "discover.fail.REDIRECT-LOOP")
                }
                DiscoverFailure::TooManyRedirects => {
                    ("REDIRECT-LIMIT".to_string(), "discover.fail.REDIRECT-LIMIT")
                }
                DiscoverFailure::InsecureRedirect { url } => {
                    v.push(("url", url.clone()));
                    (
                        "REDIRECT-INSECURE".to_string(),
                        "discover.fail.REDIRECT-INSECURE",
                    )
                }
                DiscoverFailure::PoxError { code, message } => {
                    v.push(("code", code.clone()));
                    v.push(("address", i.service_account.clone()));
                    rb.ev("pox_message", message);
                    (format!("POX{code}"), "discover.fail.POX")
                }
                DiscoverFailure::Cancelled => ("CANCELLED".to_string(), "discover.fail.TIMEOUT"),
                DiscoverFailure::NothingAnswered => nothing_answered(&d.attempts, &mut v),
            };
            let step = match code.as_str() {
                c if c.starts_with("TLS-") => Some(STEP_IGNORE_TRUST),
                "HTTP401" => Some(STEP_ACCOUNT_FORM),
                _ => Some(STEP_CREDENTIALS),
            };
            (rb.done(Status::Fail, &code, step, key, &v), None)
        }
    }
}

fn record_attempts(rb: &mut Rb, d: &Discovery) {
    for (n, a) in d.attempts.iter().enumerate() {
        let what = match &a.result {
            AttemptResult::Answered(p) => format!("answered: {}", pox_kind(p)),
            AttemptResult::Http { status, .. } => format!("HTTP {status}"),
            AttemptResult::NotPox(e) => format!("not Autodiscover: {e}"),
            AttemptResult::Failed(e) => format!("failed: {e}"),
            AttemptResult::Abandoned => "not needed (a later candidate answered)".to_string(),
        };
        rb.ev(
            &format!("attempt_{:02}", n + 1),
            format!("{} [{}] {what}", a.url, a.how.as_str()),
        );
    }
    rb.ev("redirects", d.redirects.to_string());
}

fn pox_kind(p: &crate::protocol::autodiscover::PoxAnswer) -> String {
    use crate::protocol::autodiscover::PoxAnswer;
    match p {
        PoxAnswer::Settings(_) => "settings".into(),
        PoxAnswer::RedirectAddr(a) => format!("redirectAddr {a}"),
        PoxAnswer::RedirectUrl(u) => format!("redirectUrl {u}"),
        PoxAnswer::Error { code, .. } => format!("error {code}"),
    }
}

fn tried_list(d: &Discovery) -> String {
    let mut hosts: Vec<String> = Vec::new();
    for a in &d.attempts {
        if let Ok(u) = Url::parse(&a.url) {
            let h = format!("{}://{}", u.scheme(), u.host_str().unwrap_or_default());
            if !hosts.contains(&h) {
                hosts.push(h);
            }
        }
    }
    hosts.join(", ")
}

/// The most telling reason when no candidate answered: a certificate problem or a refused
/// password first (the admin can fix those), then network reasons if they are all the same.
fn nothing_answered(
    attempts: &[crate::checks::autodiscover::Attempt],
    v: &mut Vec<(&'static str, String)>,
) -> (String, &'static str) {
    let host_of = |u: &str| {
        Url::parse(u)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default()
    };
    for a in attempts {
        if let AttemptResult::Failed(FetchError::Tls(p)) = &a.result {
            v.push(("host", host_of(&a.url)));
            v.push(("reason", table(&words().tls_words, p.key())));
            return (p.code().to_string(), "discover.fail.tls");
        }
    }
    for a in attempts {
        if let AttemptResult::Http {
            status: 401,
            www_authenticate,
        } = &a.result
        {
            v.push(("host", host_of(&a.url)));
            v.push(("schemes", schemes(www_authenticate)));
            if !www_authenticate.is_empty() && !offers_basic(www_authenticate) {
                return ("BASIC-AUTH-OFF".into(), "discover.fail.BASIC-AUTH-OFF");
            }
            return ("HTTP401".into(), "discover.fail.HTTP401");
        }
    }
    let failures: Vec<&FetchError> = attempts
        .iter()
        .filter_map(|a| match &a.result {
            AttemptResult::Failed(e) => Some(e),
            _ => None,
        })
        .collect();
    if !failures.is_empty() && failures.len() == attempts.len() {
        let first = fetch_code(failures[0]);
        if failures.iter().all(|e| fetch_code(e) == first) {
            let key = match first {
                "DNS-NXDOMAIN" => "discover.fail.DNS-NXDOMAIN",
                "TIMEOUT" => "discover.fail.TIMEOUT",
                "CONNECTION-REFUSED" => "discover.fail.CONNECTION-REFUSED",
                _ => "discover.fail.AUTODISCOVER-NOT-FOUND",
            };
            return (first.to_string(), key);
        }
    }
    (
        "AUTODISCOVER-NOT-FOUND".into(),
        "discover.fail.AUTODISCOVER-NOT-FOUND",
    )
}

// ---------------------------------------------------------------------------------------------
// ex.tls
// ---------------------------------------------------------------------------------------------

async fn check_tls(
    config: &NetConfig,
    url: &Url,
    i: &Inputs,
    vars: &[(&'static str, String)],
    progress: &UnboundedSender<Progress>,
    cancel: &CancellationToken,
) -> (CheckReport, Option<String>) {
    let mut rb = Rb::new(CheckId::ExTls);
    let host = url.host_str().unwrap_or_default().to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    let explicit = url.port().is_some();
    let mut v = vars.to_vec();
    v.push(("host", host.clone()));
    rb.ev("host", &host);
    let _ = progress.send(Progress::Note(
        CheckId::ExTls,
        note("tls_probe", &[("host", host.clone())]),
    ));
    let probe = tokio::select! {
        _ = cancel.cancelled() => Err(ProbeError::Timeout),
        p = tls::probe(config, &host, port, explicit, config.connect_timeout.max(Duration::from_secs(5))) => p,
    };
    let probe = match probe {
        Ok(p) => p,
        Err(e) => {
            let code = match e {
                ProbeError::Dns => "DNS-NXDOMAIN",
                ProbeError::Refused => "CONNECTION-REFUSED",
                ProbeError::Timeout => "TIMEOUT",
                ProbeError::Other(_) => "CONNECTION-FAILED",
            };
            v.push(("reason", e.to_string()));
            return (
                rb.done(
                    Status::Fail,
                    code,
                    Some(STEP_CREDENTIALS),
                    "tls.fail.network",
                    &v,
                ),
                None,
            );
        }
    };
    if let Some(c) = &probe.cert {
        rb.ev("certificate_subject", &c.subject);
        rb.ev("certificate_issuer", &c.issuer);
        rb.ev("certificate_not_after", &c.not_after);
        v.push(("subject", c.subject.clone()));
        v.push(("issuer", c.issuer.clone()));
    }
    match probe.verdict {
        Ok(()) => (rb.done(Status::Pass, "", None, "tls.pass", &v), None),
        Err(problem) => {
            let typed_host = i
                .typed_url
                .as_ref()
                .and_then(|u| u.host_str())
                .map(|h| h.to_ascii_lowercase());
            // The exception applies only to the host of the EWS URL the admin typed.
            let may_ignore = typed_host.as_deref() == Some(host.to_ascii_lowercase().as_str());
            rb.ev("problem", problem.key());
            if problem == tls::TlsProblem::NotTls {
                // No certificate at all: ignoring trust cannot help; the address is wrong.
                v.push(("port", port.to_string()));
                return (
                    rb.done(
                        Status::Fail,
                        problem.code(),
                        Some(STEP_CREDENTIALS),
                        "tls.fail.not-tls",
                        &v,
                    ),
                    None,
                );
            }
            v.push(("reason", table(&words().tls_words, problem.key())));
            v.push(("reason_words", table(&words().tls_words, problem.key())));
            v.push((
                "why",
                fill(
                    &table(&words().tls_why, problem.key()),
                    &[("host", host.clone())],
                ),
            ));
            if may_ignore && i.ignore_trust {
                rb.ev("ignore_trust_host", &host);
                return (
                    rb.done(
                        Status::Warn,
                        problem.code(),
                        Some(STEP_IGNORE_TRUST),
                        "tls.warn.ignored",
                        &v,
                    ),
                    Some(host),
                );
            }
            let how = if may_ignore { "typed" } else { "found" };
            v.push((
                "how_to_ignore",
                fill(&table(&words().tls_ignore, how), &[("host", host.clone())]),
            ));
            (
                rb.done(
                    Status::Fail,
                    problem.code(),
                    Some(STEP_IGNORE_TRUST),
                    "tls.fail.untrusted",
                    &v,
                ),
                None,
            )
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ex.auth, ex.self
// ---------------------------------------------------------------------------------------------

fn check_auth(
    mut rb: Rb,
    ans: &EwsOutcome,
    url: &Url,
    offered: &[String],
    vars: &[(&'static str, String)],
) -> (CheckReport, Option<ews::Response>) {
    let mut v = vars.to_vec();
    if !offered.is_empty() {
        rb.ev("www_authenticate", schemes(offered));
    }
    v.push(("ews_url", url.to_string()));
    v.push(("host", url.host_str().unwrap_or_default().to_string()));
    match ans {
        EwsOutcome::Answer {
            status,
            www_authenticate,
            response,
        } => {
            rb.ev("http_status", status.to_string());
            if let Some(sv) = &response.server_version {
                rb.ev("server_version", sv.to_string());
            }
            if *status == 401 {
                v.push(("schemes", schemes(www_authenticate)));
                return (auth_401(rb, www_authenticate, &mut v), None);
            }
            let shown = if offered.is_empty() {
                "Basic".to_string()
            } else {
                schemes(offered)
            };
            v.push(("schemes", shown));
            (
                rb.done(Status::Pass, "", None, "auth.pass", &v),
                Some((**response).clone()),
            )
        }
        EwsOutcome::Http {
            status,
            www_authenticate,
        } => {
            rb.ev("http_status", status.to_string());
            rb.ev("www_authenticate", schemes(www_authenticate));
            v.push(("schemes", schemes(www_authenticate)));
            v.push(("status", status.to_string()));
            match status {
                401 => (auth_401(rb, www_authenticate, &mut v), None),
                403 => (
                    rb.done(
                        Status::Fail,
                        "HTTP403",
                        Some(STEP_CREDENTIALS),
                        "auth.fail.HTTP403",
                        &v,
                    ),
                    None,
                ),
                // The server itself is down: no guide step fixes that.
                503 => (
                    rb.done(Status::Fail, "HTTP503", None, "auth.fail.HTTP503", &v),
                    None,
                ),
                s => (
                    rb.done(
                        Status::Fail,
                        &format!("HTTP{s}"),
                        Some(STEP_CREDENTIALS),
                        "auth.fail.http",
                        &v,
                    ),
                    None,
                ),
            }
        }
        EwsOutcome::NotEws { status } => {
            rb.ev("http_status", status.to_string());
            (
                rb.done(
                    Status::Fail,
                    "NOT-EWS",
                    Some(STEP_CREDENTIALS),
                    "auth.fail.not-ews",
                    &v,
                ),
                None,
            )
        }
        EwsOutcome::Net(e) => {
            v.push(("reason", e.to_string()));
            (
                rb.done(
                    Status::Fail,
                    fetch_code(e),
                    Some(STEP_CREDENTIALS),
                    "auth.fail.network",
                    &v,
                ),
                None,
            )
        }
        EwsOutcome::Busy { back_off_ms } => {
            v.push(("seconds", back_off_ms.div_ceil(1000).to_string()));
            (
                rb.done(Status::Fail, "ErrorServerBusy", None, "busy", &v),
                None,
            )
        }
        EwsOutcome::Cancelled => {
            v.push(("reason", "cancelled".into()));
            (
                rb.done(Status::Fail, "CANCELLED", None, "auth.fail.network", &v),
                None,
            )
        }
    }
}

fn auth_401(mut rb: Rb, www: &[String], v: &mut Vec<(&'static str, String)>) -> CheckReport {
    rb.ev("www_authenticate", schemes(www));
    if !www.is_empty() && !offers_basic(www) {
        return rb.done(
            Status::Fail,
            "BASIC-AUTH-OFF",
            Some(STEP_CREDENTIALS),
            "auth.fail.BASIC-AUTH-OFF",
            v,
        );
    }
    rb.done(
        Status::Fail,
        "HTTP401",
        Some(STEP_ACCOUNT_FORM),
        "auth.fail.HTTP401",
        v,
    )
}

fn check_self(
    mut rb: Rb,
    resp: Option<&ews::Response>,
    vars: &[(&'static str, String)],
) -> CheckReport {
    let mut v = vars.to_vec();
    let Some(resp) = resp else {
        return rb.done(Status::Skip, "", None, "skip.inputs", &v);
    };
    match resp.first_error_code() {
        None => {
            if let Some(f) = resp.messages().first().and_then(|m| m.folders.first()) {
                if let Some(n) = &f.display_name {
                    rb.ev("inbox_name", n);
                }
                if let Some(c) = f.total_count {
                    rb.ev("inbox_items", c.to_string());
                }
            }
            rb.done(Status::Pass, "", None, "self.pass", &v)
        }
        Some(code) => {
            let code = if code.is_empty() { "UNKNOWN" } else { code };
            v.push(("code", code.to_string()));
            if let Some(t) = server_text(resp) {
                rb.ev("server_text", t);
            }
            match code {
                "ErrorMissingEmailAddress"
                | "ErrorNonExistentMailbox"
                | "ErrorMailboxLogonFailed" => rb.done(
                    Status::Fail,
                    code,
                    Some(STEP_MAILBOX),
                    "self.fail.no-mailbox",
                    &v,
                ),
                "ErrorAccessDenied" => rb.done(
                    Status::Fail,
                    code,
                    Some(STEP_MAILBOX),
                    "self.fail.ErrorAccessDenied",
                    &v,
                ),
                _ => {
                    v.push(("who", vars_get(vars, "service_account")));
                    v.push(("server_text", server_text(resp).unwrap_or_default()));
                    rb.done(
                        Status::Fail,
                        code,
                        Some(STEP_MAILBOX),
                        "impersonate.fail.other",
                        &v,
                    )
                }
            }
        }
    }
}

fn vars_get(vars: &[(&'static str, String)], k: &str) -> String {
    vars.iter()
        .find(|(n, _)| *n == k)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

fn server_text(resp: &ews::Response) -> Option<String> {
    if let Some(f) = resp.fault() {
        return f.text().map(str::to_string);
    }
    resp.messages()
        .iter()
        .find(|m| !m.is_success())
        .and_then(|m| m.message_text.clone())
}

// ---------------------------------------------------------------------------------------------
// Impersonation
// ---------------------------------------------------------------------------------------------

fn check_impersonation(
    mut rb: Rb,
    ans: &EwsOutcome,
    target: &str,
    is_self: bool,
    self_passed: bool,
    vars: &[(&'static str, String)],
) -> CheckReport {
    let asked: &[Folder] = if is_self {
        &[Folder::Inbox]
    } else {
        &ews::PRODUCT_FOLDERS
    };
    let mut v = vars.to_vec();
    v.push(("who", target.to_string()));
    v.push(("target_q", ps_quote(target)));
    rb.ev("impersonated", target);
    let resp = match ans {
        EwsOutcome::Answer { response, .. } => response,
        EwsOutcome::Http { status, .. } => {
            v.push(("status", status.to_string()));
            v.push(("ews_url", String::new()));
            return rb.done(
                Status::Fail,
                &format!("HTTP{status}"),
                Some(STEP_ROLE),
                "auth.fail.http",
                &v,
            );
        }
        EwsOutcome::NotEws { .. } => {
            v.push(("ews_url", String::new()));
            return rb.done(Status::Fail, "NOT-EWS", None, "auth.fail.not-ews", &v);
        }
        EwsOutcome::Net(e) => {
            v.push(("reason", e.to_string()));
            v.push(("host", String::new()));
            return rb.done(Status::Fail, fetch_code(e), None, "auth.fail.network", &v);
        }
        EwsOutcome::Busy { back_off_ms } => {
            v.push(("seconds", back_off_ms.div_ceil(1000).to_string()));
            return rb.done(Status::Fail, "ErrorServerBusy", None, "busy", &v);
        }
        EwsOutcome::Cancelled => {
            v.push(("reason", "cancelled".into()));
            v.push(("host", String::new()));
            return rb.done(Status::Fail, "CANCELLED", None, "auth.fail.network", &v);
        }
    };
    if let Some(t) = server_text(resp) {
        rb.ev("server_text", &t);
    }
    let Some(code) = resp.first_error_code() else {
        for (n, m) in resp.messages().iter().enumerate() {
            if let Some(f) = m.folders.first() {
                rb.ev(
                    &format!("folder_{}", n + 1),
                    format!(
                        "{} ({} items)",
                        f.display_name.clone().unwrap_or_else(|| f.kind.clone()),
                        f.total_count
                            .map(|c| c.to_string())
                            .unwrap_or_else(|| "?".into())
                    ),
                );
            }
        }
        let key = if is_self {
            "impersonate_self.pass"
        } else {
            "impersonate_test_user.pass"
        };
        return rb.done(Status::Pass, "", None, key, &v);
    };
    let code = if code.is_empty() { "UNKNOWN" } else { code };
    v.push(("server_text", server_text(resp).unwrap_or_default()));
    match code {
        "ErrorImpersonateUserDenied" => {
            let (key, step) = if is_self {
                (
                    "impersonate.fail.ErrorImpersonateUserDenied.self",
                    STEP_MEMBERS,
                )
            } else if self_passed {
                (
                    "impersonate.fail.ErrorImpersonateUserDenied.scope",
                    STEP_SCOPE,
                )
            } else {
                (
                    "impersonate.fail.ErrorImpersonateUserDenied.test",
                    STEP_ROLE,
                )
            };
            rb.done(Status::Fail, code, Some(step), key, &v)
        }
        "ErrorImpersonationDenied" => rb.done(
            Status::Fail,
            code,
            Some(STEP_ROLE),
            "impersonate.fail.ErrorImpersonationDenied",
            &v,
        ),
        "ErrorNonExistentMailbox" | "ErrorInvalidSmtpAddress" => {
            let step = if is_self {
                STEP_MAILBOX
            } else {
                STEP_TEST_USER
            };
            rb.done(
                Status::Fail,
                code,
                Some(step),
                "impersonate.fail.ErrorNonExistentMailbox",
                &v,
            )
        }
        "ErrorAccessDenied" => {
            let failed = failed_folders(resp, asked);
            v.push(("folders", failed));
            rb.done(
                Status::Fail,
                code,
                Some(STEP_SCOPE),
                "impersonate.fail.ErrorAccessDenied",
                &v,
            )
        }
        _ if resp.fault().is_none() => {
            v.push(("failed", failed_folders(resp, asked)));
            rb.done(
                Status::Fail,
                code,
                Some(STEP_TEST_USER),
                "impersonate.fail.folders",
                &v,
            )
        }
        _ => rb.done(
            Status::Fail,
            code,
            Some(STEP_ROLE),
            "impersonate.fail.other",
            &v,
        ),
    }
}

/// The requested folders whose response message failed (messages come back in request order).
fn failed_folders(resp: &ews::Response, asked: &[Folder]) -> String {
    let names: Vec<&str> = resp
        .messages()
        .iter()
        .zip(asked.iter())
        .filter(|(m, _)| !m.is_success())
        .map(|(_, f)| f.as_str())
        .collect();
    if names.is_empty() {
        "folders".into()
    } else {
        names.join(", ")
    }
}

// ---------------------------------------------------------------------------------------------
// ex.password_expiry, ex.version
// ---------------------------------------------------------------------------------------------

fn check_password(mut rb: Rb, ans: &EwsOutcome, vars: &[(&'static str, String)]) -> CheckReport {
    let mut v = vars.to_vec();
    let unknown = |mut rb: Rb, code: &str, mut v: Vec<(&'static str, String)>| {
        v.push(("code", code.to_string()));
        rb.ev("result", "unknown");
        rb.done(
            Status::Warn,
            code,
            Some(STEP_ACCOUNT_FORM),
            "password.warn.unknown",
            &v,
        )
    };
    let resp = match ans {
        EwsOutcome::Answer { response, .. } => response,
        EwsOutcome::Http { status, .. } => return unknown(rb, &format!("HTTP{status}"), v),
        EwsOutcome::NotEws { .. } => return unknown(rb, "NOT-EWS", v),
        EwsOutcome::Net(e) => return unknown(rb, fetch_code(e), v),
        EwsOutcome::Busy { .. } => return unknown(rb, "ErrorServerBusy", v),
        EwsOutcome::Cancelled => return unknown(rb, "CANCELLED", v),
    };
    match &resp.body {
        ews::Body::PasswordExpiration(p) if p.message.is_success() => match &p.expiry {
            PasswordExpiry::Never => {
                rb.ev("password_expires", "never");
                rb.done(Status::Pass, "", None, "password.pass", &v)
            }
            PasswordExpiry::At(when) => {
                let date = when
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default();
                rb.ev("password_expires", &date);
                let day = when.date().to_string();
                v.push(("date", day));
                rb.done(
                    Status::Warn,
                    "PASSWORD-EXPIRES",
                    Some(STEP_ACCOUNT_FORM),
                    "password.warn.expires",
                    &v,
                )
            }
            PasswordExpiry::Unreadable(raw) => {
                rb.ev("password_expires_raw", raw);
                unknown(rb, "DATE-UNREADABLE", v)
            }
        },
        _ => {
            let code = resp.first_error_code().unwrap_or("UNEXPECTED").to_string();
            let code = if code.is_empty() {
                "UNKNOWN".into()
            } else {
                code
            };
            v.push(("who", String::new()));
            unknown(rb, &code, v)
        }
    }
}

/// Product name and end of support for an Exchange build (major.minor.build).
pub fn product_of(v: &ews::ServerVersionInfo) -> (&'static str, Option<&'static str>) {
    match (v.major, v.minor, v.major_build) {
        (Some(15), Some(m), _) if m >= 20 => ("Exchange Online", None),
        // Exchange Server SE keeps 15.2; its builds start at 15.2.2562 (RTM, July 2025).
        (Some(15), Some(2), Some(b)) if b >= 2562 => ("Exchange Server SE", None),
        (Some(15), Some(2), _) => ("Exchange Server 2019", Some("2025-10-14")),
        (Some(15), Some(1), _) => ("Exchange Server 2016", Some("2025-10-14")),
        (Some(15), Some(0), _) => ("Exchange Server 2013", Some("2023-04-11")),
        (Some(14), _, _) => ("Exchange Server 2010", Some("2020-10-13")),
        _ => ("an unknown Exchange version", None),
    }
}

fn check_version(
    mut rb: Rb,
    v: Option<&ews::ServerVersionInfo>,
    vars: &[(&'static str, String)],
) -> CheckReport {
    let mut vs = vars.to_vec();
    let Some(sv) = v else {
        return rb.done(
            Status::Warn,
            "VERSION-UNKNOWN",
            None,
            "version.warn.unknown",
            &vs,
        );
    };
    rb.ev("server_version", sv.to_string());
    let (product, eos) = product_of(sv);
    rb.ev("product", product);
    vs.push(("product", product.to_string()));
    vs.push(("build", sv.build()));
    match (product, eos) {
        ("Exchange Online", _) => rb.done(
            Status::Warn,
            "EXCHANGE-ONLINE",
            None,
            "version.warn.online",
            &vs,
        ),
        ("an unknown Exchange version", _) => rb.done(
            Status::Warn,
            "VERSION-UNKNOWN",
            None,
            "version.warn.unknown",
            &vs,
        ),
        (_, Some(date)) => {
            vs.push(("eos", date.to_string()));
            rb.ev("end_of_support", date);
            rb.done(
                Status::Warn,
                "END-OF-SUPPORT",
                None,
                "version.warn.eos",
                &vs,
            )
        }
        (_, None) => rb.done(Status::Pass, "", None, "version.pass", &vs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_parse() {
        words_ok().unwrap();
        assert!(words().msg.contains_key("auth.fail.BASIC-AUTH-OFF"));
    }

    #[test]
    fn products() {
        let v = |major, minor, b| ews::ServerVersionInfo {
            major: Some(major),
            minor: Some(minor),
            major_build: Some(b),
            minor_build: Some(0),
            version: None,
        };
        assert_eq!(product_of(&v(15, 1, 2507)).0, "Exchange Server 2016");
        assert_eq!(product_of(&v(15, 2, 1748)).0, "Exchange Server 2019");
        assert_eq!(product_of(&v(15, 2, 2562)).0, "Exchange Server SE");
        assert_eq!(product_of(&v(15, 20, 5000)).0, "Exchange Online");
    }

    #[test]
    fn powershell_quoting() {
        assert_eq!(ps_quote("o'brien@x.example"), "'o''brien@x.example'");
    }
}
