//! Engine helpers shared by the Microsoft 365 and Exchange Server checks: report constructors
//! and timing, bounded body reads, transport-error classification (timeout, DNS, refused, TLS
//! reasons), EWS calls with the retry rules (ErrorServerBusy honours BackOffMilliseconds up to a
//! cap; 503 and transient faults back off a bounded number of times), and the small template
//! filler used by the diagnosis texts in `assets/checks/*.toml`.
//!
//! Must not decide what a code means (each platform's module does), must not know about the UI,
//! and must never put a secret into a report, a progress note or a log line.

use super::{CheckId, CheckReport, Progress, Status};
use crate::guide::GuideStep;
use crate::net::Net;
use crate::protocol::ews;
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

/// Longest wait an `ErrorServerBusy` back-off may ask for before we stop and report throttling.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Attempts in total for one call (first try included) when the server is busy or transient.
pub const MAX_ATTEMPTS: u32 = 4;
/// First pause after a 503 or a transient fault; doubles each time.
pub const FIRST_RETRY_DELAY: Duration = Duration::from_millis(500);

/// The progress notes of `assets/checks/common.toml` (empty if the embedded asset were broken;
/// a test keeps it whole).
fn notes() -> &'static BTreeMap<String, String> {
    #[derive(serde::Deserialize)]
    struct File {
        notes: BTreeMap<String, String>,
    }
    static NOTES: std::sync::OnceLock<BTreeMap<String, String>> = std::sync::OnceLock::new();
    NOTES.get_or_init(|| {
        toml::from_str::<File>(include_str!("../../assets/checks/common.toml"))
            .map(|f| f.notes)
            .unwrap_or_default()
    })
}

/// One progress note, filled.
fn note_text(key: &str, vars: &[(&'static str, String)]) -> String {
    let vars: BTreeMap<&str, String> = vars.iter().cloned().collect();
    fill(notes().get(key).map(String::as_str).unwrap_or(key), &vars)
}

/// Times one check and builds its report.
pub struct Timer {
    id: CheckId,
    start: Instant,
}

impl Timer {
    pub fn start(id: CheckId, progress: &UnboundedSender<Progress>) -> Timer {
        let _ = progress.send(Progress::Started(id));
        Timer {
            id,
            start: Instant::now(),
        }
    }

    pub fn id(&self) -> CheckId {
        self.id
    }

    /// A finished report with the elapsed time and the finishing time filled in.
    pub fn report(&self, status: Status, code: impl Into<String>, text: Text) -> CheckReport {
        CheckReport {
            id: self.id,
            status,
            code: code.into(),
            guide_step: text.step,
            summary: text.summary,
            detail: text.detail,
            command: text.command,
            evidence: text.evidence,
            elapsed_ms: u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX),
            finished_at: now_rfc3339(),
        }
    }
}

/// The words of a report, before status and timing are known.
#[derive(Debug, Clone, Default)]
pub struct Text {
    pub step: Option<GuideStep>,
    pub summary: String,
    pub detail: String,
    pub command: Option<String>,
    pub evidence: BTreeMap<String, String>,
}

impl Text {
    pub fn with_evidence(mut self, ev: &BTreeMap<String, String>) -> Text {
        for (k, v) in ev {
            self.evidence.entry(k.clone()).or_insert_with(|| v.clone());
        }
        self
    }
}

/// Current time as RFC 3339 UTC (second precision).
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Sends a progress note (which host, which step) for a running check.
pub fn note(progress: &UnboundedSender<Progress>, id: CheckId, text: impl Into<String>) {
    let _ = progress.send(Progress::Note(id, text.into()));
}

/// Fills `{name}` placeholders from `vars`. A placeholder with no value is left as written so a
/// missing value is visible in review rather than silently blank.
pub fn fill(template: &str, vars: &BTreeMap<&str, String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close)
                if after[..close]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && close > 0 =>
            {
                let name = &after[..close];
                match vars.get(name) {
                    Some(v) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The placeholders a template uses.
pub fn placeholders(template: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        if let Some(close) = after.find('}') {
            let name = &after[..close];
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                out.push(name.to_string());
            }
            rest = &after[close + 1..];
        } else {
            break;
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Transport
// ---------------------------------------------------------------------------------------------

/// A request that got no HTTP answer, classified into one of our codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportFailure {
    /// `TIMEOUT`, `DNS-NXDOMAIN`, `CONNECTION-REFUSED`, `TLS-UNTRUSTED`, `TLS-EXPIRED`,
    /// `TLS-NAME-MISMATCH`, `TLS-ERROR`, `NETWORK`, `BODY-TOO-LARGE`, `NOT-HTTPS`.
    pub code: &'static str,
    /// The host the request went to.
    pub host: String,
    /// A short technical reason (no secrets, no body).
    pub reason: String,
}

/// The rustls error behind `e`, looking inside `io::Error`s too: their `source()` skips the
/// error they wrap, and tokio-rustls wraps a handshake failure in one, sometimes two.
fn rustls_inside<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut cur = e;
    for _ in 0..4 {
        if let Some(t) = cur.downcast_ref::<rustls::Error>() {
            return Some(t);
        }
        cur = cur.downcast_ref::<std::io::Error>()?.get_ref()?;
    }
    None
}

/// Classifies a reqwest error by walking its source chain.
pub fn classify(err: &reqwest::Error, host: &str) -> TransportFailure {
    let mut code = if err.is_timeout() {
        "TIMEOUT"
    } else {
        "NETWORK"
    };
    let mut reason = err.to_string();
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(e) = src {
        if let Some(t) = rustls_inside(e) {
            code = match t {
                rustls::Error::InvalidCertificate(c) => match c {
                    rustls::CertificateError::Expired
                    | rustls::CertificateError::ExpiredContext { .. } => "TLS-EXPIRED",
                    rustls::CertificateError::NotValidForName
                    | rustls::CertificateError::NotValidForNameContext { .. } => {
                        "TLS-NAME-MISMATCH"
                    }
                    _ => "TLS-UNTRUSTED",
                },
                _ => "TLS-ERROR",
            };
            reason = t.to_string();
            break;
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => code = "CONNECTION-REFUSED",
                std::io::ErrorKind::TimedOut => code = "TIMEOUT",
                _ => {}
            }
            reason = io.to_string();
        }
        let s = e.to_string().to_ascii_lowercase();
        if code == "NETWORK"
            && (s.contains("dns error")
                || s.contains("failed to lookup address")
                || s.contains("name or service not known")
                || s.contains("no such host"))
        {
            code = "DNS-NXDOMAIN";
        }
        src = e.source();
    }
    TransportFailure {
        code,
        host: host.to_string(),
        reason: reason.chars().take(300).collect(),
    }
}

/// `Retry-After` in milliseconds, when given in seconds (the form IIS and Microsoft send).
pub fn retry_after_ms(h: &reqwest::header::HeaderMap) -> Option<u64> {
    h.get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|s| s.saturating_mul(1000))
}

/// Reads a response body, refusing anything over [`crate::protocol::MAX_BODY`].
pub async fn read_body(
    mut resp: reqwest::Response,
    host: &str,
) -> Result<Vec<u8>, TransportFailure> {
    let max = crate::protocol::MAX_BODY;
    if resp.content_length().is_some_and(|l| l > max as u64) {
        return Err(TransportFailure {
            code: "BODY-TOO-LARGE",
            host: host.to_string(),
            reason: format!("answer of {} bytes", resp.content_length().unwrap_or(0)),
        });
    }
    let mut out = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(c)) => {
                if out.len() + c.len() > max {
                    return Err(TransportFailure {
                        code: "BODY-TOO-LARGE",
                        host: host.to_string(),
                        reason: format!("answer over {max} bytes"),
                    });
                }
                out.extend_from_slice(&c);
            }
            Ok(None) => return Ok(out),
            Err(e) => return Err(classify(&e, host)),
        }
    }
}

/// Headers worth keeping as evidence (request ids, diagnostic headers). Never auth headers.
pub fn header_evidence(h: &reqwest::header::HeaderMap) -> BTreeMap<String, String> {
    let mut ev = BTreeMap::new();
    for name in [
        "request-id",
        "x-ms-request-id",
        "client-request-id",
        "x-ms-diagnostics",
        "x-caserrorcode",
        "x-beserver",
        "x-feserver",
        "x-calculatedbetarget",
    ] {
        if let Some(v) = h.get(name).and_then(|v| v.to_str().ok()) {
            ev.insert(name.to_string(), v.chars().take(200).collect());
        }
    }
    ev
}

/// How an EWS request authenticates.
pub enum EwsAuth<'a> {
    /// Exchange Online: an OAuth access token.
    Bearer(&'a SecretString),
    /// Exchange Server on-premises: Basic with the service account.
    Basic {
        user: &'a str,
        password: &'a SecretString,
    },
}

/// What one EWS call ended with, after any retries.
#[derive(Debug)]
pub struct EwsOutcome {
    pub status: u16,
    /// The parsed body; `None` when the body was empty (a bare 401/403).
    pub parsed: Option<Result<ews::Response, ews::ParseError>>,
    /// `WWW-Authenticate` values on a 401 (schemes the server offers).
    pub www_authenticate: Vec<String>,
    pub evidence: BTreeMap<String, String>,
    /// True when Exchange still said ErrorServerBusy (or 503) when we stopped retrying.
    pub throttled: bool,
    /// The back-off Exchange last asked for, in milliseconds.
    pub back_off_ms: Option<u64>,
}

impl EwsOutcome {
    pub fn response(&self) -> Option<&ews::Response> {
        self.parsed.as_ref().and_then(|r| r.as_ref().ok())
    }

    pub fn server_version(&self) -> Option<&ews::ServerVersionInfo> {
        self.response().and_then(|r| r.server_version.as_ref())
    }
}

const TRANSIENT: [&str; 4] = [
    "ErrorInternalServerTransientError",
    "ErrorMailboxStoreUnavailable",
    "ErrorTimeoutExpired",
    "ErrorTooManyObjectsOpened",
];

/// Posts one EWS envelope, retrying as Exchange asks: `ErrorServerBusy` waits
/// `BackOffMilliseconds` when it is within [`MAX_BACKOFF`]; 503 and transient faults back off
/// from [`FIRST_RETRY_DELAY`], at most [`MAX_ATTEMPTS`] tries in total. Refuses non-https URLs
/// before attaching credentials.
#[allow(clippy::too_many_arguments)]
pub async fn ews_call(
    net: &Net,
    url: &str,
    auth: &EwsAuth<'_>,
    anchor_mailbox: Option<&str>,
    envelope: &str,
    id: CheckId,
    progress: &UnboundedSender<Progress>,
) -> Result<EwsOutcome, TransportFailure> {
    let parsed_url = url::Url::parse(url).map_err(|e| TransportFailure {
        code: "BAD-URL",
        host: String::new(),
        reason: e.to_string(),
    })?;
    let host = parsed_url.host_str().unwrap_or("").to_string();
    crate::net::require_https(&parsed_url).map_err(|e| TransportFailure {
        code: "NOT-HTTPS",
        host: host.clone(),
        reason: e.to_string(),
    })?;
    let mut delay = FIRST_RETRY_DELAY;
    let mut attempt = 0u32;
    let mut waited_ms: u64 = 0;
    loop {
        attempt += 1;
        let mut req = net
            .client()
            .post(parsed_url.clone())
            .header(reqwest::header::CONTENT_TYPE, ews::CONTENT_TYPE)
            .header(reqwest::header::ACCEPT, "text/xml")
            .body(envelope.to_string());
        req = match auth {
            EwsAuth::Bearer(t) => req.bearer_auth(t.expose_secret()),
            EwsAuth::Basic { user, password } => {
                req.basic_auth(user, Some(password.expose_secret()))
            }
        };
        if let Some(a) = anchor_mailbox {
            req = req.header("X-AnchorMailbox", a);
        }
        let resp = req.send().await.map_err(|e| classify(&e, &host))?;
        let status = resp.status().as_u16();
        let mut evidence = header_evidence(resp.headers());
        let www_authenticate: Vec<String> = resp
            .headers()
            .get_all(reqwest::header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect();
        let retry_after = retry_after_ms(resp.headers());
        let body = read_body(resp, &host).await?;
        let parsed = if body.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            Some(ews::parse_response(&body))
        };
        evidence.insert("http_status".into(), status.to_string());
        if let Some(v) = parsed
            .as_ref()
            .and_then(|r| r.as_ref().ok())
            .and_then(|r| r.server_version.as_ref())
        {
            evidence.insert("server_version".into(), v.to_string());
        }
        if attempt > 1 {
            evidence.insert("attempts".into(), attempt.to_string());
            evidence.insert("waited_ms".into(), waited_ms.to_string());
        }
        let resp_ok = parsed.as_ref().and_then(|r| r.as_ref().ok());
        let code = resp_ok.and_then(|r| r.first_error_code()).unwrap_or("");
        let back_off = resp_ok.and_then(ews::Response::back_off_ms);
        let busy = code == "ErrorServerBusy";
        let transient = status == 503 || TRANSIENT.contains(&code);
        if !(busy || transient) {
            return Ok(EwsOutcome {
                status,
                parsed,
                www_authenticate,
                evidence,
                throttled: false,
                back_off_ms: back_off,
            });
        }
        let wait = if busy {
            back_off.map(Duration::from_millis).unwrap_or(delay)
        } else {
            retry_after.map(Duration::from_millis).unwrap_or(delay)
        };
        if attempt >= MAX_ATTEMPTS || wait > MAX_BACKOFF {
            return Ok(EwsOutcome {
                status,
                parsed,
                www_authenticate,
                evidence,
                throttled: busy || status == 503,
                back_off_ms: back_off,
            });
        }
        note(
            progress,
            id,
            note_text(
                "busy_wait",
                &[
                    ("host", host.clone()),
                    (
                        "why",
                        if busy {
                            "ErrorServerBusy".to_string()
                        } else if status == 503 {
                            "HTTP 503".to_string()
                        } else {
                            code.to_string()
                        },
                    ),
                    ("seconds", format!("{:.1}", wait.as_secs_f64())),
                ],
            ),
        );
        tokio::time::sleep(wait).await;
        waited_ms = waited_ms.saturating_add(u64::try_from(wait.as_millis()).unwrap_or(0));
        delay = delay.saturating_mul(2);
    }
}

/// A GET or form POST to Entra ID with the 503/429 back-off rule. Returns status, body and
/// evidence headers.
pub async fn entra_call(
    net: &Net,
    url: &url::Url,
    form: Option<&SecretString>,
    id: CheckId,
    progress: &UnboundedSender<Progress>,
) -> Result<(u16, Vec<u8>, BTreeMap<String, String>), TransportFailure> {
    let host = url.host_str().unwrap_or("").to_string();
    if form.is_some() {
        crate::net::require_https(url).map_err(|e| TransportFailure {
            code: "NOT-HTTPS",
            host: host.clone(),
            reason: e.to_string(),
        })?;
    }
    let mut delay = FIRST_RETRY_DELAY;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let req = match form {
            Some(f) => net
                .client()
                .post(url.clone())
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(f.expose_secret().to_string()),
            None => net.client().get(url.clone()),
        };
        let resp = req
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| classify(&e, &host))?;
        let status = resp.status().as_u16();
        let ev = header_evidence(resp.headers());
        let body = read_body(resp, &host).await?;
        if (status == 503 || status == 429) && attempt < MAX_ATTEMPTS {
            note(
                progress,
                id,
                note_text(
                    "busy",
                    &[("host", host.clone()), ("status", status.to_string())],
                ),
            );
            tokio::time::sleep(delay).await;
            delay = delay.saturating_mul(2);
            continue;
        }
        return Ok((status, body, ev));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_progress_note_is_in_the_asset_and_fills() {
        for k in ["busy_wait", "busy"] {
            assert!(notes().contains_key(k), "{k}");
        }
        let n = note_text("busy", &[("host", "h".into()), ("status", "503".into())]);
        assert_eq!(n, "h is busy (HTTP 503); trying again…");
    }

    #[test]
    fn fill_replaces_known_and_keeps_unknown() {
        let mut v = BTreeMap::new();
        v.insert("client_id", "abc".to_string());
        assert_eq!(
            fill("-EwsAllowedAppIDs \"{client_id}\" {missing} @{Add=1}", &v),
            "-EwsAllowedAppIDs \"abc\" {missing} @{Add=1}"
        );
        assert_eq!(
            placeholders("a {x} b {y_z} @{Add=\"1\"} {}"),
            vec!["x".to_string(), "y_z".to_string()]
        );
    }
}
