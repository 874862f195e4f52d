//! Autodiscover candidate discovery for Exchange on-premises: which URLs to try, in which order,
//! and the security rules that decide where the service account's password may go.
//!
//! Rules (PROTOCOL.md §5.3–5.4; the 2021 "Autodiscovering the Great Leak" credential leak):
//! - Candidates: `https://<domain>/…`, `https://autodiscover.<domain>/…` (concurrently; the
//!   highest-priority answer wins and a candidate that never answers costs nothing once a later
//!   one has answered), then an unauthenticated `GET http://autodiscover.<domain>/…` that is only
//!   followed to an https Autodiscover path, then DNS SRV `_autodiscover._tcp.<domain>`.
//! - Credentials only over https (the transport refuses anything else), never to a host outside
//!   the account's domain unless the admin confirmed that host on screen (headless: never), and
//!   never to a name made by stripping labels from the domain (`autodiscover.<tld>`…).
//! - `redirectAddr` restarts with the new address, `redirectUrl` must be https, at most
//!   [`MAX_REDIRECTS`] redirects, any revisit stops with a loop.
//!
//! Must not know about words on screen: it reports [`DiscoverEvent`]s and a typed outcome.

use crate::checks::srv::{SrvResolver, usable_in_order};
use crate::protocol::autodiscover::{
    EwsSettings, POX_PATH, PoxAnswer, PoxError, is_autodiscover_path, parse_pox, pox_request,
};
use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use secrecy::SecretString;
use std::collections::HashSet;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use url::Url;

/// The most redirects (addresses and URLs together) one discovery follows.
pub const MAX_REDIRECTS: usize = 10;

/// An HTTP answer, reduced to what discovery needs.
#[derive(Debug, Clone, Default)]
pub struct HttpReply {
    pub status: u16,
    pub location: Option<String>,
    /// Every `WWW-Authenticate` value (which schemes the server offers).
    pub www_authenticate: Vec<String>,
    /// `Retry-After` in milliseconds, when the server sent one in seconds.
    pub retry_after_ms: Option<u64>,
    pub body: Vec<u8>,
}

/// Why a request got no HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("timed out")]
    Timeout,
    #[error("the name does not resolve")]
    Dns,
    #[error("the connection was refused")]
    Refused,
    #[error("the certificate is not trusted ({0})")]
    Tls(crate::checks::tls::TlsProblem),
    /// The transport refused to send (a safety rule, e.g. credentials over plain http).
    #[error("not sent: {0}")]
    NotSent(String),
    #[error("the answer is too large")]
    TooLarge,
    #[error("{0}")]
    Other(String),
}

/// The HTTP side of discovery. Production: [`crate::checks::exchange::NetTransport`]; tests
/// inject a fake that records every request.
pub trait Transport: Send + Sync {
    /// POSTs a POX request with Basic credentials. Implementations must refuse a URL that is
    /// not https ([`FetchError::NotSent`]).
    fn post_pox<'a>(
        &'a self,
        url: &'a Url,
        body: String,
        user: &'a str,
        password: &'a SecretString,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<HttpReply, FetchError>>;

    /// GETs without credentials and without following redirects.
    fn get_anonymous<'a>(
        &'a self,
        url: &'a Url,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<HttpReply, FetchError>>;
}

/// How a candidate URL came to be tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HowFound {
    RootDomain,
    AutodiscoverHost,
    HttpRedirect,
    Srv,
    RedirectUrl,
}

impl HowFound {
    pub fn as_str(self) -> &'static str {
        match self {
            HowFound::RootDomain => "autodiscover-root-domain",
            HowFound::AutodiscoverHost => "autodiscover-host",
            HowFound::HttpRedirect => "autodiscover-http-redirect",
            HowFound::Srv => "autodiscover-srv",
            HowFound::RedirectUrl => "autodiscover-redirect-url",
        }
    }
}

/// What happened at one candidate.
#[derive(Debug, Clone)]
pub enum AttemptResult {
    Answered(PoxAnswer),
    Http {
        status: u16,
        www_authenticate: Vec<String>,
    },
    NotPox(PoxError),
    Failed(FetchError),
    /// Not tried because a higher-priority candidate already answered.
    Abandoned,
}

#[derive(Debug, Clone)]
pub struct Attempt {
    pub url: String,
    pub how: HowFound,
    pub address: String,
    pub result: AttemptResult,
}

/// Progress worth telling the admin about.
#[derive(Debug, Clone)]
pub enum DiscoverEvent {
    Trying { url: String, how: HowFound },
    RedirectAddr { to: String },
    RedirectUrl { to: String },
    SrvLookup { name: String },
}

/// Why discovery found no EWS URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiscoverFailure {
    /// Every candidate failed; see the attempts.
    NothingAnswered,
    /// A redirect came back to an address or URL already visited.
    Loop {
        target: String,
    },
    TooManyRedirects,
    /// A redirect or SRV target outside the account's domain that the admin has not confirmed.
    ForeignHost {
        host: String,
    },
    /// A name made by stripping labels from the domain (never contacted).
    StrippedDomain {
        host: String,
    },
    /// A redirect to a URL that is not https.
    InsecureRedirect {
        url: String,
    },
    /// The server answered with a POX error code (e.g. 600).
    PoxError {
        code: String,
        message: String,
    },
    Cancelled,
}

#[derive(Debug, Clone)]
pub struct Found {
    pub ews_url: String,
    /// `EXPR` or `EXCH`.
    pub protocol: &'static str,
    pub how: HowFound,
    /// The Autodiscover URL that gave the answer.
    pub via: String,
    /// The address finally asked about (after redirectAddr).
    pub address: String,
    pub settings: EwsSettings,
}

#[derive(Debug, Clone)]
pub struct Discovery {
    pub result: Result<Found, DiscoverFailure>,
    pub attempts: Vec<Attempt>,
    pub redirects: usize,
}

/// Settings for one discovery.
pub struct DiscoverOptions<'a> {
    pub transport: &'a dyn Transport,
    pub srv: &'a dyn SrvResolver,
    /// Per-candidate bound.
    pub candidate_timeout: Duration,
    /// Hosts (or domains) outside the account's domain that the admin confirmed on screen.
    pub confirmed_hosts: &'a [String],
    /// How much longer higher-priority candidates may take once a lower one has answered.
    pub grace: Duration,
    /// When set, that wait is also at most this fraction of the time the answer took (never
    /// under [`MIN_GRACE`]): every candidate left at the same moment, so a healthy
    /// higher-priority server has had as long as the one that answered, and a black-holed
    /// one then costs a fraction of a round trip instead of the whole `grace`.
    pub grace_ratio: Option<f64>,
}

/// The shortest wait for higher-priority candidates when [`DiscoverOptions::grace_ratio`] is set.
pub const MIN_GRACE: Duration = Duration::from_millis(25);

// The host rules live with the other value rules, so the wizard's field and the engine agree.
pub use crate::answers::{is_stripped, within};

fn domain_of(address: &str) -> Option<String> {
    address
        .rsplit_once('@')
        .map(|(_, d)| d.trim().to_ascii_lowercase())
        .filter(|d| !d.is_empty())
}

/// The two https candidates for a domain, in priority order.
pub fn https_candidates(domain: &str) -> Vec<(Url, HowFound)> {
    let mut v = Vec::new();
    for (host, how) in [
        (domain.to_string(), HowFound::RootDomain),
        (format!("autodiscover.{domain}"), HowFound::AutodiscoverHost),
    ] {
        if let Ok(u) = Url::parse(&format!("https://{host}{POX_PATH}")) {
            v.push((u, how));
        }
    }
    v
}

enum Step {
    Done(Found),
    Addr(String),
    Url(Url),
    Fail(DiscoverFailure),
}

struct State<'o, 'a> {
    opts: &'o DiscoverOptions<'a>,
    user: &'o str,
    password: &'o SecretString,
    account_domain: String,
    allowed: Vec<String>,
    attempts: Vec<Attempt>,
    visited_addrs: HashSet<String>,
    visited_urls: HashSet<String>,
    redirects: usize,
}

impl State<'_, '_> {
    /// May credentials go to `host`? `Err` names the rule that forbids it.
    fn host_allowed(&self, host: &str) -> Result<(), DiscoverFailure> {
        if is_stripped(host, &self.account_domain) {
            return Err(DiscoverFailure::StrippedDomain {
                host: host.to_string(),
            });
        }
        if self.allowed.iter().any(|d| within(host, d)) {
            Ok(())
        } else {
            Err(DiscoverFailure::ForeignHost {
                host: host.to_string(),
            })
        }
    }

    fn classify(
        &mut self,
        url: &Url,
        how: HowFound,
        address: &str,
        r: Result<HttpReply, FetchError>,
    ) -> Option<Step> {
        let result = match r {
            Err(e) => AttemptResult::Failed(e),
            Ok(rep) if rep.status == 200 => match parse_pox(&rep.body) {
                Ok(a) => AttemptResult::Answered(a),
                Err(e) => AttemptResult::NotPox(e),
            },
            Ok(rep) if matches!(rep.status, 301 | 302 | 303 | 307 | 308) => {
                // Exchange may answer a POX POST with an HTTP redirect; it is followed under the
                // same rules as redirectUrl, and only to an https Autodiscover path.
                let loc = rep.location.as_deref().and_then(|l| url.join(l).ok());
                match loc {
                    Some(l) if is_autodiscover_path(l.path()) => {
                        self.attempts.push(Attempt {
                            url: url.to_string(),
                            how,
                            address: address.to_string(),
                            result: AttemptResult::Http {
                                status: rep.status,
                                www_authenticate: rep.www_authenticate,
                            },
                        });
                        return Some(Step::Url(l));
                    }
                    _ => AttemptResult::Http {
                        status: rep.status,
                        www_authenticate: rep.www_authenticate,
                    },
                }
            }
            Ok(rep) => AttemptResult::Http {
                status: rep.status,
                www_authenticate: rep.www_authenticate,
            },
        };
        let step = match &result {
            AttemptResult::Answered(PoxAnswer::Settings(s)) => s.preferred().map(|u| {
                Step::Done(Found {
                    ews_url: u.to_string(),
                    protocol: s.preferred_source().unwrap_or("EXCH"),
                    how,
                    via: url.to_string(),
                    address: address.to_string(),
                    settings: s.clone(),
                })
            }),
            AttemptResult::Answered(PoxAnswer::RedirectAddr(a)) => Some(Step::Addr(a.clone())),
            AttemptResult::Answered(PoxAnswer::RedirectUrl(u)) => Some(match Url::parse(u) {
                Ok(u) => Step::Url(u),
                Err(_) => Step::Fail(DiscoverFailure::InsecureRedirect { url: u.clone() }),
            }),
            _ => None,
        };
        self.attempts.push(Attempt {
            url: url.to_string(),
            how,
            address: address.to_string(),
            result,
        });
        step
    }

    /// Tries candidates concurrently; returns the highest-priority decisive step (settings or a
    /// redirect). A decisive answer from candidate `i` ends the round once every candidate before
    /// `i` has finished, or after [`DiscoverOptions::grace`], abandoning slower ones.
    async fn round(
        &mut self,
        cands: Vec<(Url, HowFound)>,
        address: &str,
        cancel: &CancellationToken,
        events: &mut (dyn FnMut(DiscoverEvent) + Send),
    ) -> Option<Step> {
        let body = pox_request(address);
        let transport = self.opts.transport;
        let timeout = self.opts.candidate_timeout;
        let user = self.user;
        let password = self.password;
        let started = tokio::time::Instant::now();
        let mut futs = FuturesUnordered::new();
        for (i, (u, how)) in cands.iter().enumerate() {
            events(DiscoverEvent::Trying {
                url: u.to_string(),
                how: *how,
            });
            let body = body.clone();
            futs.push(async move {
                let r = tokio::time::timeout(
                    timeout,
                    transport.post_pox(u, body, user, password, timeout),
                )
                .await
                .unwrap_or(Err(FetchError::Timeout));
                (i, r)
            });
        }
        let mut done = vec![false; cands.len()];
        let mut steps: Vec<Option<Step>> = (0..cands.len()).map(|_| None).collect();
        // Once a lower-priority candidate has answered, higher-priority ones still running get
        // only this much longer: a black-holed host must not cost its whole timeout.
        let mut deadline: Option<tokio::time::Instant> = None;
        loop {
            let best = steps.iter().position(|s| s.is_some());
            if let Some(b) = best {
                if done[..b].iter().all(|d| *d) {
                    break;
                }
                let grace = match self.opts.grace_ratio {
                    Some(r) => self
                        .opts
                        .grace
                        .min(started.elapsed().mul_f64(r.max(0.0)).max(MIN_GRACE)),
                    None => self.opts.grace,
                };
                deadline.get_or_insert_with(|| tokio::time::Instant::now() + grace);
            }
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => futures::future::pending::<()>().await,
                }
            };
            let next = tokio::select! {
                _ = cancel.cancelled() => return Some(Step::Fail(DiscoverFailure::Cancelled)),
                _ = sleep => break,
                n = futs.next() => n,
            };
            let Some((i, r)) = next else { break };
            done[i] = true;
            let (u, how) = &cands[i];
            steps[i] = self.classify(u, *how, address, r);
        }
        for (j, d) in done.iter().enumerate() {
            if !d {
                self.attempts.push(Attempt {
                    url: cands[j].0.to_string(),
                    how: cands[j].1,
                    address: address.to_string(),
                    result: AttemptResult::Abandoned,
                });
            }
        }
        steps.into_iter().flatten().next()
    }

    /// The HTTP redirect method: anonymous GET, follow only an https Autodiscover Location.
    async fn http_redirect(
        &mut self,
        domain: &str,
        address: &str,
        cancel: &CancellationToken,
        events: &mut (dyn FnMut(DiscoverEvent) + Send),
    ) -> Option<Url> {
        let Ok(u) = Url::parse(&format!("http://autodiscover.{domain}{POX_PATH}")) else {
            return None;
        };
        events(DiscoverEvent::Trying {
            url: u.to_string(),
            how: HowFound::HttpRedirect,
        });
        let timeout = self.opts.candidate_timeout;
        let r = tokio::select! {
            _ = cancel.cancelled() => return None,
            r = tokio::time::timeout(timeout, self.opts.transport.get_anonymous(&u, timeout)) => r.unwrap_or(Err(FetchError::Timeout)),
        };
        let result = match &r {
            Err(e) => AttemptResult::Failed(e.clone()),
            Ok(rep) => AttemptResult::Http {
                status: rep.status,
                www_authenticate: rep.www_authenticate.clone(),
            },
        };
        self.attempts.push(Attempt {
            url: u.to_string(),
            how: HowFound::HttpRedirect,
            address: address.to_string(),
            result,
        });
        let rep = r.ok()?;
        if !matches!(rep.status, 301 | 302 | 303 | 307 | 308) {
            return None;
        }
        let loc = u.join(rep.location.as_deref()?).ok()?;
        (loc.scheme() == "https" && is_autodiscover_path(loc.path())).then_some(loc)
    }
}

/// Finds the EWS URL for `address` with the rules above.
pub async fn discover(
    opts: &DiscoverOptions<'_>,
    address: &str,
    password: &SecretString,
    cancel: &CancellationToken,
    events: &mut (dyn FnMut(DiscoverEvent) + Send),
) -> Discovery {
    let account_domain = domain_of(address).unwrap_or_default();
    let mut allowed = vec![account_domain.clone()];
    allowed.extend(opts.confirmed_hosts.iter().map(|h| h.to_ascii_lowercase()));
    let mut st = State {
        opts,
        user: address,
        password,
        account_domain,
        allowed,
        attempts: Vec::new(),
        visited_addrs: HashSet::new(),
        visited_urls: HashSet::new(),
        redirects: 0,
    };
    let result = run(&mut st, address, cancel, events).await;
    Discovery {
        result,
        attempts: st.attempts,
        redirects: st.redirects,
    }
}

async fn run(
    st: &mut State<'_, '_>,
    address: &str,
    cancel: &CancellationToken,
    events: &mut (dyn FnMut(DiscoverEvent) + Send),
) -> Result<Found, DiscoverFailure> {
    let mut address = address.trim().to_ascii_lowercase();
    st.visited_addrs.insert(address.clone());
    // Either a full candidate search for `address` or one redirect URL.
    let mut pending_url: Option<Url> = None;
    loop {
        if cancel.is_cancelled() {
            return Err(DiscoverFailure::Cancelled);
        }
        let step = if let Some(u) = pending_url.take() {
            st.round(vec![(u, HowFound::RedirectUrl)], &address, cancel, events)
                .await
        } else {
            search(st, &address, cancel, events).await?
        };
        match step {
            None => return Err(last_pox_error(&st.attempts)),
            Some(Step::Done(f)) => return Ok(f),
            Some(Step::Fail(f)) => return Err(f),
            Some(Step::Addr(a)) => {
                let a = a.trim().to_ascii_lowercase();
                events(DiscoverEvent::RedirectAddr { to: a.clone() });
                if !st.visited_addrs.insert(a.clone()) {
                    return Err(DiscoverFailure::Loop { target: a });
                }
                st.redirects += 1;
                if st.redirects > MAX_REDIRECTS {
                    return Err(DiscoverFailure::TooManyRedirects);
                }
                let Some(d) = domain_of(&a) else {
                    return Err(DiscoverFailure::NothingAnswered);
                };
                // The new address's own candidates get its domain: allowed only if confirmed.
                st.host_allowed(&d)?;
                address = a;
            }
            Some(Step::Url(u)) => {
                events(DiscoverEvent::RedirectUrl { to: u.to_string() });
                if u.scheme() != "https" {
                    return Err(DiscoverFailure::InsecureRedirect { url: u.to_string() });
                }
                if !st.visited_urls.insert(visit_key(&address, &u)) {
                    return Err(DiscoverFailure::Loop {
                        target: u.to_string(),
                    });
                }
                st.redirects += 1;
                if st.redirects > MAX_REDIRECTS {
                    return Err(DiscoverFailure::TooManyRedirects);
                }
                st.host_allowed(u.host_str().unwrap_or_default())?;
                pending_url = Some(u);
            }
        }
    }
}

/// All candidates for one address: the https pair, then the HTTP redirect, then SRV.
async fn search(
    st: &mut State<'_, '_>,
    address: &str,
    cancel: &CancellationToken,
    events: &mut (dyn FnMut(DiscoverEvent) + Send),
) -> Result<Option<Step>, DiscoverFailure> {
    let Some(domain) = domain_of(address) else {
        return Ok(None);
    };
    let cands: Vec<(Url, HowFound)> = https_candidates(&domain)
        .into_iter()
        .filter(|(u, _)| st.visited_urls.insert(visit_key(address, u)))
        .collect();
    if let Some(s) = st.round(cands, address, cancel, events).await {
        return Ok(Some(s));
    }
    if let Some(loc) = st.http_redirect(&domain, address, cancel, events).await {
        // The spec wants the admin warned about this redirect: outside the domain it needs a
        // confirmation like any other.
        st.host_allowed(loc.host_str().unwrap_or_default())?;
        if st.visited_urls.insert(visit_key(address, &loc))
            && let Some(s) = st
                .round(vec![(loc, HowFound::HttpRedirect)], address, cancel, events)
                .await
        {
            return Ok(Some(s));
        }
    }
    let name = format!("_autodiscover._tcp.{domain}");
    events(DiscoverEvent::SrvLookup { name: name.clone() });
    let records = tokio::select! {
        _ = cancel.cancelled() => return Err(DiscoverFailure::Cancelled),
        r = st.opts.srv.lookup(&name) => r.unwrap_or_default(),
    };
    let mut first_refusal = None;
    for rec in usable_in_order(records) {
        if let Err(f) = st.host_allowed(&rec.target) {
            // Keep looking: a later record may be inside the domain.
            first_refusal.get_or_insert(f);
            continue;
        }
        let Ok(u) = Url::parse(&format!("https://{}{POX_PATH}", rec.target)) else {
            continue;
        };
        if !st.visited_urls.insert(visit_key(address, &u)) {
            continue;
        }
        if let Some(s) = st
            .round(vec![(u, HowFound::Srv)], address, cancel, events)
            .await
        {
            return Ok(Some(s));
        }
    }
    match first_refusal {
        Some(f) => Err(f),
        None => Ok(None),
    }
}

/// What counts as "already asked": the same URL for the same address. After a redirectAddr the
/// same Autodiscover URLs are asked again for the new address (that is how a same-domain
/// redirect works); asking the same URL twice for one address is a loop.
fn visit_key(address: &str, url: &Url) -> String {
    format!(
        "{} {}",
        address.to_ascii_lowercase(),
        url.as_str().to_ascii_lowercase()
    )
}

fn last_pox_error(attempts: &[Attempt]) -> DiscoverFailure {
    attempts
        .iter()
        .rev()
        .find_map(|a| match &a.result {
            AttemptResult::Answered(PoxAnswer::Error { code, message, .. }) => {
                Some(DiscoverFailure::PoxError {
                    code: code.clone(),
                    message: message.clone(),
                })
            }
            _ => None,
        })
        .unwrap_or(DiscoverFailure::NothingAnswered)
}
