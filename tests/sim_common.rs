// Shared helpers for the sim_* tests (included with `#[path]`, not a test target itself).
#![allow(dead_code)]

use moxi_setup::sim::{self, SimHandle, SimOptions};
use std::time::Duration;

pub const PASSWORD: &str = "Demo-Passw0rd!";
pub const CLIENT_ID: &str = "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d";
pub const TENANT_ID: &str = "3f2b8a4c-9d1e-4c7a-b5e6-0a1b2c3d4e5f";
pub const SVC_M365: &str = "moxiengage@contoso.onmicrosoft.com";
pub const USER_M365: &str = "agent@contoso.onmicrosoft.com";
pub const SVC_EX: &str = "moxiengage@contoso.example";
pub const USER_EX: &str = "agent@contoso.example";
pub const EXO_EWS: &str = "https://outlook.office365.com/EWS/Exchange.asmx";
pub const EX_EWS: &str = "https://mail.contoso.example/EWS/Exchange.asmx";

pub async fn start(name: &str) -> SimHandle {
    sim::start(SimOptions {
        scenario: name.into(),
        latency: Duration::ZERO,
        ..Default::default()
    })
    .await
    .unwrap()
}

/// A client that trusts only the sim's CA and maps every simulated host to it.
pub fn client(h: &SimHandle) -> reqwest::Client {
    moxi_setup::net::install_crypto_provider();
    let cfg = h.net_config();
    let ca = reqwest::Certificate::from_pem(h.ca_pem().as_bytes()).unwrap();
    let mut b = reqwest::Client::builder()
        .tls_certs_only([ca])
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none());
    for (host, addr) in &cfg.resolve {
        b = b.resolve(host, *addr);
    }
    b.build().unwrap()
}

pub async fn token(c: &reqwest::Client, tenant: &str, user: &str) -> reqwest::Response {
    c.post(format!(
        "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
    ))
    .form(&[
        ("client_id", CLIENT_ID),
        ("grant_type", "password"),
        ("username", user),
        ("password", PASSWORD),
        (
            "scope",
            "https://outlook.office365.com/EWS.AccessAsUser.All",
        ),
    ])
    .send()
    .await
    .unwrap()
}

pub async fn access_token(c: &reqwest::Client) -> String {
    let r = token(c, "contoso.onmicrosoft.com", SVC_M365).await;
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    v["access_token"].as_str().unwrap().to_string()
}

pub fn envelope(header_extra: &str, body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><soap:Header><t:RequestServerVersion Version="Exchange2016"/>{header_extra}</soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>"#
    )
}

pub fn impersonate(smtp: &str) -> String {
    format!(
        "<t:ExchangeImpersonation><t:ConnectingSID><t:SmtpAddress>{smtp}</t:SmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>"
    )
}

pub fn get_folder(ids: &[&str]) -> String {
    let ids: String = ids
        .iter()
        .map(|i| format!(r#"<t:DistinguishedFolderId Id="{i}"/>"#))
        .collect();
    format!(
        "<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds>{ids}</m:FolderIds></m:GetFolder>"
    )
}

pub fn password_expiration(smtp: &str) -> String {
    format!(
        "<m:GetPasswordExpirationDate><m:MailboxSmtpAddress>{smtp}</m:MailboxSmtpAddress></m:GetPasswordExpirationDate>"
    )
}

pub enum Auth<'a> {
    Bearer(&'a str),
    Basic(&'a str, &'a str),
    None,
}

pub async fn ews(
    c: &reqwest::Client,
    url: &str,
    auth: Auth<'_>,
    anchor: Option<&str>,
    body: String,
) -> (u16, String, reqwest::header::HeaderMap) {
    let mut rb = c
        .post(url)
        .header("Content-Type", "text/xml; charset=utf-8")
        .body(body);
    rb = match auth {
        Auth::Bearer(t) => rb.bearer_auth(t),
        Auth::Basic(u, p) => rb.basic_auth(u, Some(p)),
        Auth::None => rb,
    };
    if let Some(a) = anchor {
        rb = rb.header("X-AnchorMailbox", a);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, r.text().await.unwrap(), headers)
}
