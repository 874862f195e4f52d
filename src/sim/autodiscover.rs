//! Simulated Autodiscover: POX `autodiscover.xml` (Basic auth; settings with EXCH/EXPR
//! EwsUrl, redirectAddr, error 600) per host so a client's candidate order matters, SOAP
//! `autodiscover.svc` GetUserSettings (what exchangelib speaks), and the Exchange Online
//! `autodiscover.json/v1.0/{smtp}?Protocol=EWS` answer. Must not hand settings to a request
//! without valid credentials.

use super::ews::{basic_user, server_version, tpl};
use super::scenario::{self, AutodiscoverMode, Scenario};
use super::server::{Reply, State};
use super::xml::{self, AD_SOAP_NS, POX_REQ_NS, esc, fill};
use std::collections::HashMap;

const RESPONSE_SCHEMA_2006A: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";

/// What a host does for an address in this scenario.
enum Answer {
    NotFound,
    Settings,
    RedirectAddr(String),
}

fn swap_domain(addr: &str, to: &str) -> String {
    let local = addr.split_once('@').map_or(addr, |(l, _)| l);
    format!("{local}@{to}")
}

fn decide(sc: &Scenario, host: &str, addr: &str) -> Answer {
    let addr = addr.to_ascii_lowercase();
    let corp = addr.ends_with("@corp.contoso.example");
    match (sc.autodiscover, host) {
        (AutodiscoverMode::None, _) => Answer::NotFound,
        (_, "contoso.example" | "corp.contoso.example") => Answer::NotFound,
        (AutodiscoverMode::HttpRedirect, "autodiscover.contoso.example") => Answer::NotFound,
        (AutodiscoverMode::RedirectAddr, "autodiscover.contoso.example") if !corp => {
            Answer::RedirectAddr(swap_domain(&addr, "corp.contoso.example"))
        }
        (AutodiscoverMode::RedirectLoop, "autodiscover.contoso.example") if !corp => {
            Answer::RedirectAddr(swap_domain(&addr, "corp.contoso.example"))
        }
        (AutodiscoverMode::RedirectLoop, "autodiscover.corp.contoso.example") if corp => {
            Answer::RedirectAddr(swap_domain(&addr, scenario::ONPREM_DOMAIN))
        }
        (
            AutodiscoverMode::RedirectAddr | AutodiscoverMode::RedirectLoop,
            "autodiscover.corp.contoso.example",
        ) => Answer::Settings,
        (_, "autodiscover.corp.contoso.example") => Answer::NotFound,
        _ => Answer::Settings,
    }
}

/// Whether this host has an Autodiscover virtual directory at all in this scenario.
fn host_serves(sc: &Scenario, host: &str) -> bool {
    use AutodiscoverMode as M;
    match host {
        _ if sc.autodiscover == M::None => false,
        "autodiscover.contoso.example" => {
            !matches!(sc.autodiscover, M::HttpRedirect | M::HttpRedirectForeign)
        }
        "mail.contoso.example" => true,
        "autodiscover.corp.contoso.example" => {
            matches!(sc.autodiscover, M::RedirectAddr | M::RedirectLoop)
        }
        scenario::FOREIGN_HOST => sc.autodiscover == M::HttpRedirectForeign,
        _ => false,
    }
}

fn redirect_url(url: &str) -> Reply {
    let mut v = HashMap::new();
    v.insert("url", esc(url));
    Reply::xml(200, fill(tpl("pox_redirect_url"), &v))
}

fn redirect_addr(to: &str) -> Reply {
    let mut v = HashMap::new();
    v.insert("address", esc(to));
    Reply::xml(200, fill(tpl("pox_redirect_addr"), &v))
}

fn settings(sc: &Scenario, display_name: &str, address: &str, ews_url: &str) -> Reply {
    let mut v = HashMap::new();
    v.insert("display_name", esc(display_name));
    v.insert("legacy_cn", esc(address.split('@').next().unwrap_or("")));
    v.insert("address", esc(address));
    v.insert("server_version", server_version_hex(sc));
    v.insert("ews_url", esc(ews_url));
    Reply::xml(200, fill(tpl("pox_settings"), &v))
}

fn pox_error(code: u32, message: &str) -> Reply {
    let now = time::OffsetDateTime::now_utc();
    let t = format!(
        "{:02}:{:02}:{:02}.{:07}",
        now.hour(),
        now.minute(),
        now.second(),
        now.nanosecond() / 100
    );
    let id = (now.unix_timestamp() as u64 % 4_000_000_000).to_string();
    let mut v = HashMap::new();
    v.insert("time", t);
    v.insert("id", id);
    v.insert("code", code.to_string());
    v.insert("message", esc(message));
    Reply::xml(200, fill(tpl("pox_error"), &v))
}

fn unauthorized(sc: &Scenario, host: &str) -> Reply {
    let mut r = Reply::empty(401)
        .header("WWW-Authenticate", "Negotiate")
        .header("WWW-Authenticate", "NTLM");
    if sc.basic_auth {
        r = r.header("WWW-Authenticate", &format!("Basic realm=\"{host}\""));
    }
    r.header("X-FEServer", "EXCH01")
}

fn server_version_hex(sc: &Scenario) -> String {
    // POX ServerVersion: 32-bit hex of major/minor/build as Outlook reads it.
    let (a, b, c, _, _) = server_version(sc.server());
    let v: u32 = (a << 22) | (b << 16) | 0x8000 | (c & 0x7fff);
    format!("{v:08X}")
}

pub fn pox(
    st: &State,
    host: &str,
    method: &str,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> Reply {
    let sc = &st.scenario;
    if !host_serves(sc, host) {
        return Reply::not_found();
    }
    if host == scenario::FOREIGN_HOST {
        // A credential-harvesting look-alike: any Basic credentials are "accepted".
        let basic = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().starts_with("basic "));
        if !basic {
            return Reply::empty(401)
                .header("WWW-Authenticate", &format!("Basic realm=\"{host}\""));
        }
    } else if basic_user(sc, headers).is_none() {
        return unauthorized(sc, host);
    }
    if method != "POST" {
        return pox_error(600, "Invalid Request");
    }
    let text = String::from_utf8_lossy(body);
    let Ok(root) = xml::parse(&text) else {
        return pox_error(600, "Invalid Request");
    };
    let req = root
        .is(POX_REQ_NS, "Autodiscover")
        .then(|| root.child(POX_REQ_NS, "Request"))
        .flatten();
    let Some(req) = req else {
        return pox_error(600, "Invalid Request");
    };
    let schema = req
        .child(POX_REQ_NS, "AcceptableResponseSchema")
        .map(|e| e.text_trimmed().to_string());
    if schema.as_deref() != Some(RESPONSE_SCHEMA_2006A) {
        return pox_error(600, "Invalid Request");
    }
    let Some(addr) = req
        .child(POX_REQ_NS, "EMailAddress")
        .map(|e| e.text_trimmed().to_string())
    else {
        return pox_error(600, "Invalid Request");
    };
    if host == scenario::FOREIGN_HOST {
        let ews = format!("https://{host}/EWS/Exchange.asmx");
        return settings(sc, "Mailbox", &addr, &ews);
    }
    if host == "autodiscover.contoso.example" {
        match sc.autodiscover {
            AutodiscoverMode::RedirectUrl => {
                return redirect_url("https://mail.contoso.example/autodiscover/autodiscover.xml");
            }
            AutodiscoverMode::RedirectUrlHttp => {
                return redirect_url("http://mail.contoso.example/autodiscover/autodiscover.xml");
            }
            AutodiscoverMode::RedirectChain => {
                let lower = addr.to_ascii_lowercase();
                let local = lower.split('@').next().unwrap_or("");
                let hop = match local {
                    "moxiengage" => Some(0),
                    l => l
                        .strip_prefix("moxiengage.hop")
                        .and_then(|n| n.parse::<u32>().ok()),
                };
                match hop {
                    Some(n) if n < 12 => {
                        return redirect_addr(&format!(
                            "moxiengage.hop{}@{}",
                            n + 1,
                            scenario::ONPREM_DOMAIN
                        ));
                    }
                    Some(_) => {
                        return settings(
                            sc,
                            "MoxiEngage Service",
                            &lower,
                            scenario::ONPREM_EWS_URL,
                        );
                    }
                    None => {}
                }
            }
            _ => {}
        }
    }
    let Some(acct) = scenario::account(sc, &addr) else {
        return pox_error(500, "The email address can't be found.");
    };
    match decide(sc, host, &addr) {
        Answer::NotFound => Reply::not_found(),
        Answer::RedirectAddr(to) => redirect_addr(&to),
        Answer::Settings => settings(sc, acct.display_name, &acct.upn, scenario::ONPREM_EWS_URL),
    }
}

/// SOAP Autodiscover GetUserSettings (the Exchange 2010+ protocol).
pub fn soap(
    st: &State,
    host: &str,
    method: &str,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> Reply {
    let sc = &st.scenario;
    if !host_serves(sc, host) {
        return Reply::not_found();
    }
    let Some(_user) = basic_user(sc, headers) else {
        return unauthorized(sc, host);
    };
    if method != "POST" {
        return Reply::empty(405).header("Allow", "POST");
    }
    let text = String::from_utf8_lossy(body);
    let Ok(root) = xml::parse(&text) else {
        return Reply::empty(400);
    };
    let req = root
        .child(xml::SOAP_NS, "Body")
        .and_then(|b| b.child(AD_SOAP_NS, "GetUserSettingsRequestMessage"))
        .and_then(|m| m.child(AD_SOAP_NS, "Request"));
    let Some(req) = req else {
        return Reply::empty(400);
    };
    let mailbox = req
        .child(AD_SOAP_NS, "Users")
        .and_then(|u| u.child(AD_SOAP_NS, "User"))
        .and_then(|u| u.child(AD_SOAP_NS, "Mailbox"))
        .map(|m| m.text_trimmed().to_string())
        .unwrap_or_default();
    let wanted: Vec<String> = req
        .child(AD_SOAP_NS, "RequestedSettings")
        .map(|r| {
            r.children_named(AD_SOAP_NS, "Setting")
                .map(|s| s.text_trimmed().to_string())
                .collect()
        })
        .unwrap_or_default();
    let (a, b, c, d, _) = server_version(sc.server());
    let mut v = HashMap::new();
    v.insert("major", a.to_string());
    v.insert("minor", b.to_string());
    v.insert("build", c.to_string());
    v.insert("revision", d.to_string());
    let acct = scenario::account(sc, &mailbox);
    let answer = acct.as_ref().map(|_| decide(sc, host, &mailbox));
    match answer {
        None => {
            v.insert("user_code", "InvalidUser".into());
            v.insert("user_message", esc(&format!("Invalid user: '{mailbox}'")));
            v.insert("redirect", " i:nil=\"true\"/>".into());
            v.insert("settings", String::new());
        }
        Some(Answer::NotFound) => return Reply::not_found(),
        Some(Answer::RedirectAddr(to)) => {
            v.insert("user_code", "RedirectAddress".into());
            v.insert("user_message", "Redirection address.".into());
            v.insert("redirect", format!(">{}</RedirectTarget>", esc(&to)));
            v.insert("settings", String::new());
        }
        Some(Answer::Settings) => {
            let acct = acct.as_ref();
            let mut settings = String::new();
            for name in &wanted {
                let value = match name.as_str() {
                    "AutoDiscoverSMTPAddress" => acct.map(|a| a.upn.clone()),
                    "ExternalEwsUrl" | "InternalEwsUrl" => Some(scenario::ONPREM_EWS_URL.into()),
                    "UserDisplayName" => acct.map(|a| a.display_name.to_string()),
                    "CasVersion" => Some(format!("{a}.{b:02}.{c:04}.{d:03}")),
                    // Real servers list the Exchange20xx names only, never the V20xx ones.
                    "EwsSupportedSchemas" => Some(
                        "Exchange2007, Exchange2007_SP1, Exchange2010, Exchange2010_SP1, Exchange2010_SP2, Exchange2013, Exchange2013_SP1, Exchange2016".to_string(),
                    ),
                    _ => None,
                };
                if let Some(val) = value {
                    settings.push_str(&format!(
                        "<UserSetting i:type=\"StringSetting\"><Name>{}</Name><Value>{}</Value></UserSetting>",
                        esc(name),
                        esc(&val)
                    ));
                }
            }
            v.insert("user_code", "NoError".into());
            v.insert("user_message", "No error.".into());
            v.insert("redirect", " i:nil=\"true\"/>".into());
            v.insert("settings", settings);
        }
    }
    Reply::xml(200, fill(tpl("soap_settings"), &v))
}

/// Autodiscover v2 JSON (`/autodiscover/autodiscover.json/v1.0/{smtp}?Protocol=EWS`).
pub fn json(st: &State, host: &str, path: &str, query: Option<&str>) -> Reply {
    let sc = &st.scenario;
    let rest = path
        .get("/autodiscover/autodiscover.json/v1.0/".len()..)
        .unwrap_or("");
    let protocol = query
        .and_then(|q| {
            super::entra::form_get(q, "Protocol").or_else(|| super::entra::form_get(q, "protocol"))
        })
        .unwrap_or_default();
    if !protocol.eq_ignore_ascii_case("ews") {
        return Reply::json(
            400,
            &serde_json::json!({"ErrorCode":"ProtocolNotSupported","ErrorMessage":format!("The given protocol value '{protocol}' is invalid. Supported values are 'Ews,ActiveSync,AutodiscoverV1,Rest'.")}),
        );
    }
    let url = if host == "outlook.office365.com" {
        "https://outlook.office365.com/EWS/Exchange.asmx"
    } else {
        if sc.autodiscover == AutodiscoverMode::None {
            return Reply::not_found();
        }
        scenario::ONPREM_EWS_URL
    };
    if scenario::account(sc, rest).is_none() {
        // Observed: unknown users get a redirect rather than an answer (PROTOCOL.md §5.5).
        return Reply::empty(302).header(
            "Location",
            &format!("https://{host}/autodiscover/autodiscover.json?Email={rest}&Protocol=Ews"),
        );
    }
    Reply::json(200, &serde_json::json!({"Protocol":"EWS","Url":url}))
}
