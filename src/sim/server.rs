//! The simulator's network side: one loopback listener that serves TLS and plain HTTP on the
//! same port (the first byte 0x16 starts a TLS handshake), per-host certificates by SNI,
//! dispatch by host and path to the simulated services, latency, and the request record
//! security tests read. Must never listen beyond loopback.

use super::entra::IssuedToken;
use super::pki::Pki;
use super::scenario::{AutodiscoverMode, Scenario};
use super::{RecordedRequest, Scheme};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::atomic::AtomicU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

const MAX_RECORDS: usize = 20_000;

/// Shared state of one running simulator.
pub struct State {
    pub scenario: Scenario,
    pub latency: Duration,
    pub records: Mutex<Vec<RecordedRequest>>,
    pub tokens: Mutex<HashMap<String, IssuedToken>>,
    pub refresh_tokens: Mutex<HashMap<String, String>>,
    pub throttle_left: AtomicU32,
    pub unavailable_left: AtomicU32,
    pub cancel: CancellationToken,
}

/// What the connection told us before HTTP started.
#[derive(Clone, Debug)]
pub struct ConnInfo {
    pub scheme: Scheme,
    pub sni: Option<String>,
}

/// A response plus what the record should say about the request.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub content_type: Option<String>,
    pub body: String,
    /// Hold the request open forever (a black-holed host).
    pub blackhole: bool,
    pub impersonation: Option<String>,
}

impl Reply {
    pub fn new(status: u16, content_type: Option<&str>, body: String) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            content_type: content_type.map(str::to_string),
            body,
            blackhole: false,
            impersonation: None,
        }
    }
    pub fn text(status: u16, body: &str) -> Reply {
        Reply::new(status, Some("text/plain; charset=utf-8"), body.to_string())
    }
    pub fn empty(status: u16) -> Reply {
        Reply::new(status, None, String::new())
    }
    pub fn json(status: u16, v: &serde_json::Value) -> Reply {
        Reply::json_text(status, v.to_string())
    }
    pub fn json_text(status: u16, body: String) -> Reply {
        Reply::new(status, Some("application/json; charset=utf-8"), body)
    }
    pub fn xml(status: u16, body: String) -> Reply {
        Reply::new(status, Some("text/xml; charset=utf-8"), body)
    }
    /// IIS's 404 page, as any web server without Autodiscover answers.
    pub fn not_found() -> Reply {
        Reply::new(
            404,
            Some("text/html"),
            "<!DOCTYPE html><html><head><title>404 - File or directory not found.</title></head><body><h2>404 - File or directory not found.</h2></body></html>".into(),
        )
    }
    pub fn header(mut self, k: &str, v: &str) -> Reply {
        self.headers.push((k.to_string(), v.to_string()));
        self
    }
}

/// Binds and serves until `cancel` fires.
pub async fn serve(
    listener: TcpListener,
    pki: Arc<Pki>,
    state: Arc<State>,
) -> tokio::task::JoinHandle<()> {
    let mut tls = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_cert_resolver(pki);
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let router = axum::Router::new()
        .fallback(dispatch)
        .with_state(state.clone());
    let cancel = state.cancel.clone();
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                _ = cancel.cancelled() => break,
                a = listener.accept() => a,
            };
            let Ok((stream, _peer)) = accepted else {
                continue;
            };
            let acceptor = acceptor.clone();
            let router = router.clone();
            let cancel = cancel.clone();
            tokio::spawn(async move {
                tokio::select! {
                    _ = cancel.cancelled() => {}
                    _ = connection(stream, acceptor, router) => {}
                }
            });
        }
    })
}

async fn connection(stream: TcpStream, acceptor: tokio_rustls::TlsAcceptor, router: axum::Router) {
    let mut first = [0u8; 1];
    let Ok(n) = stream.peek(&mut first).await else {
        return;
    };
    if n == 0 {
        return;
    }
    if first[0] == 0x16 {
        let Ok(tls) = acceptor.accept(stream).await else {
            return;
        };
        let sni = tls.get_ref().1.server_name().map(str::to_ascii_lowercase);
        let info = ConnInfo {
            scheme: Scheme::Https,
            sni,
        };
        serve_http(
            hyper_util::rt::TokioIo::new(tls),
            router.layer(Extension(info)),
        )
        .await;
    } else {
        let info = ConnInfo {
            scheme: Scheme::Http,
            sni: None,
        };
        serve_http(
            hyper_util::rt::TokioIo::new(stream),
            router.layer(Extension(info)),
        )
        .await;
    }
}

async fn serve_http<I>(io: I, router: axum::Router)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let svc = hyper_util::service::TowerToHyperService::new(router);
    let _ = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, svc)
        .await;
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// Whether the request carries credentials: an Authorization header of any scheme, or a
/// password form field.
fn credentials_kind(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    if let Some(a) = header_str(headers, "authorization") {
        let scheme = a.split_whitespace().next().unwrap_or("").to_string();
        return Some(scheme);
    }
    let is_form = header_str(headers, "content-type").is_some_and(|v| {
        v.to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    });
    if is_form {
        let form = String::from_utf8_lossy(body);
        if super::entra::form_get(&form, "password").is_some()
            || super::entra::form_get(&form, "client_secret").is_some()
        {
            return Some("form-password".into());
        }
    }
    None
}

async fn dispatch(
    AxState(st): AxState<Arc<State>>,
    Extension(conn): Extension<ConnInfo>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let host = header_str(&headers, "host")
        .map(|h| {
            h.rsplit_once(':').map_or(h, |(a, p)| {
                if p.chars().all(|c| c.is_ascii_digit()) {
                    a
                } else {
                    h
                }
            })
        })
        .map(str::to_ascii_lowercase)
        .or_else(|| conn.sni.clone())
        .unwrap_or_default();
    let path = uri.path().to_string();
    let query = uri.query().map(str::to_string);
    if !st.latency.is_zero() {
        tokio::time::sleep(st.latency).await;
    }
    let reply = route(
        &st,
        &conn,
        &host,
        method.as_str(),
        &path,
        query.as_deref(),
        &headers,
        &body,
    );
    let auth = credentials_kind(&headers, &body);
    let rec = RecordedRequest {
        scheme: conn.scheme,
        host: host.clone(),
        sni: conn.sni.clone(),
        method: method.to_string(),
        path: path.clone(),
        query: query.clone(),
        credentials: auth.is_some(),
        auth_scheme: auth,
        impersonation: reply.impersonation.clone(),
        anchor_mailbox: header_str(&headers, "x-anchormailbox").map(str::to_string),
        status: reply.status,
        response_content_type: reply.content_type.clone(),
        response_body: reply.body.clone(),
    };
    if let Ok(mut r) = st.records.lock() {
        // A demo left running for hours must not grow without bound; tests stay far below.
        if r.len() >= MAX_RECORDS {
            r.drain(..MAX_RECORDS / 10);
        }
        r.push(rec);
    }
    if reply.blackhole {
        st.cancel.cancelled().await;
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let mut resp = Response::new(axum::body::Body::from(reply.body));
    *resp.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    if let Some(ct) = &reply.content_type
        && let Ok(v) = HeaderValue::from_str(ct)
    {
        h.insert(axum::http::header::CONTENT_TYPE, v);
    }
    for (k, v) in &reply.headers {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            h.append(k, v);
        }
    }
    resp
}

#[allow(clippy::too_many_arguments)]
fn route(
    st: &State,
    conn: &ConnInfo,
    host: &str,
    method: &str,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Reply {
    let lower = path.to_ascii_lowercase();
    let sc = &st.scenario;
    if conn.scheme == Scheme::Http {
        return plain_http(sc, host, method, &lower, path, query);
    }
    match host {
        "login.microsoftonline.com" => super::entra::handle(st, method, path, query, headers, body),
        "outlook.office365.com" => {
            if lower == "/ews/exchange.asmx" {
                super::ews::handle(st, host, method, headers, body)
            } else if lower.starts_with("/autodiscover/autodiscover.json") {
                super::autodiscover::json(st, host, path, query)
            } else {
                Reply::not_found()
            }
        }
        "mail.contoso.example" if lower == "/ews/exchange.asmx" => {
            super::ews::handle(st, host, method, headers, body)
        }
        "contoso.example"
        | "autodiscover.contoso.example"
        | "mail.contoso.example"
        | "corp.contoso.example"
        | "autodiscover.corp.contoso.example"
        | "autodiscover.contoso-mail.example" => {
            if host == "contoso.example" && sc.autodiscover == AutodiscoverMode::BlackholedFirst {
                let mut r = Reply::empty(0);
                r.blackhole = true;
                return r;
            }
            if lower == "/autodiscover/autodiscover.xml" {
                super::autodiscover::pox(st, host, method, headers, body)
            } else if lower == "/autodiscover/autodiscover.svc" {
                super::autodiscover::soap(st, host, method, headers, body)
            } else if lower.starts_with("/autodiscover/autodiscover.json") {
                super::autodiscover::json(st, host, path, query)
            } else {
                Reply::not_found()
            }
        }
        _ => Reply::not_found(),
    }
}

/// Plain HTTP: Microsoft's hosts move the client to https; on-premises hosts refuse
/// (IIS "SSL required"), except the Autodiscover HTTP-redirect method.
fn plain_http(
    sc: &Scenario,
    host: &str,
    method: &str,
    lower: &str,
    path: &str,
    query: Option<&str>,
) -> Reply {
    match host {
        "login.microsoftonline.com" | "outlook.office365.com" => {
            let q = query.map(|q| format!("?{q}")).unwrap_or_default();
            Reply::empty(301).header("Location", &format!("https://{host}{path}{q}"))
        }
        "contoso.example" if sc.autodiscover == AutodiscoverMode::BlackholedFirst => {
            let mut r = Reply::empty(0);
            r.blackhole = true;
            r
        }
        "autodiscover.contoso.example"
            if method == "GET"
                && lower == "/autodiscover/autodiscover.xml"
                && sc.autodiscover == AutodiscoverMode::HttpRedirect =>
        {
            Reply::new(
                302,
                Some("text/html; charset=UTF-8"),
                "<head><title>Document Moved</title></head>\n<body><h1>Object Moved</h1>This document may be found <a HREF=\"https://mail.contoso.example/autodiscover/autodiscover.xml\">here</a></body>".into(),
            )
            .header("Location", "https://mail.contoso.example/autodiscover/autodiscover.xml")
        }
        "autodiscover.contoso.example"
            if method == "GET"
                && lower == "/autodiscover/autodiscover.xml"
                && sc.autodiscover == AutodiscoverMode::HttpRedirectForeign =>
        {
            let to = format!("https://{}/autodiscover/autodiscover.xml", super::scenario::FOREIGN_HOST);
            Reply::new(
                302,
                Some("text/html; charset=UTF-8"),
                format!("<head><title>Document Moved</title></head>\n<body><h1>Object Moved</h1>This document may be found <a HREF=\"{to}\">here</a></body>"),
            )
            .header("Location", &to)
        }
        _ => Reply::new(
            403,
            Some("text/html"),
            "<!DOCTYPE html><html><head><title>403 - Forbidden: Access is denied.</title></head><body><h2>403 - Forbidden: Access is denied.</h2><h3>SSL is required to view this page.</h3></body></html>".into(),
        ),
    }
}
