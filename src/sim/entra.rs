//! Simulated Entra ID (login.microsoftonline.com): OpenID configuration per tenant, instance
//! discovery, user realm, and the v2.0 token endpoint for ROPC (PROTOCOL.md §1), issuing
//! JWT-shaped v1 access tokens. Errors are the real JSON shape built from
//! `assets/sim/entra.toml`. Must not accept what Entra refuses.

use super::scenario::{self, Realm, Scenario};
use super::server::{Reply, State};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;
use time::OffsetDateTime;

const ENTRA_TOML: &str = include_str!("../../assets/sim/entra.toml");

#[derive(Debug, Deserialize)]
struct ErrTemplate {
    status: u16,
    error: String,
    #[serde(default)]
    suberror: Option<String>,
    #[serde(default)]
    password_change_url: Option<String>,
    format: String,
    error_uri: bool,
    #[serde(default)]
    code: Option<u32>,
    description: String,
    #[allow(dead_code)]
    provenance: String,
}

#[derive(Debug, Deserialize)]
struct Doc {
    body: String,
    #[allow(dead_code)]
    provenance: String,
}

#[derive(Debug, Deserialize)]
struct EntraAssets {
    errors: BTreeMap<String, ErrTemplate>,
    openid: Doc,
    instance_discovery: Doc,
}

fn assets() -> Option<&'static EntraAssets> {
    static A: OnceLock<Option<EntraAssets>> = OnceLock::new();
    A.get_or_init(|| toml::from_str(ENTRA_TOML).ok()).as_ref()
}

/// The tenants the simulator knows, by GUID, with their display names.
fn tenant_name(tid: &str) -> &'static str {
    if tid == scenario::OTHER_TENANT_ID {
        "Fabrikam"
    } else {
        "Contoso"
    }
}

/// A token the simulator issued (EWS accepts only these).
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub upn: String,
    pub tid: String,
    pub appid: String,
    pub scp: String,
    pub aud: String,
    pub exp: i64,
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn stamp(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Builds an error body in the real shape. `key` is the AADSTS code (or a variant key).
pub fn error_reply(key: &str, vars: &[(&str, String)], correlation: Option<&str>) -> Reply {
    let Some(t) = assets().and_then(|a| a.errors.get(key)) else {
        return Reply::text(500, "simulator: missing error template");
    };
    let code: u32 = t.code.or_else(|| key.parse().ok()).unwrap_or_default();
    let mut values: HashMap<&str, String> = vars.iter().map(|(k, v)| (*k, v.clone())).collect();
    values.insert("EUII Hidden", "{EUII Hidden}".into());
    let desc = super::xml::fill(&t.description, &values);
    let trace = uuid::Uuid::new_v4().to_string();
    let corr = correlation
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let ts = stamp(now());
    let sep = if t.format == "crlf" { "\r\n" } else { " " };
    let full =
        format!("{desc}{sep}Trace ID: {trace}{sep}Correlation ID: {corr}{sep}Timestamp: {ts}");
    let mut body = serde_json::Map::new();
    body.insert("error".into(), json!(t.error));
    body.insert("error_description".into(), json!(full));
    body.insert("error_codes".into(), json!([code]));
    body.insert("timestamp".into(), json!(ts));
    body.insert("trace_id".into(), json!(trace));
    body.insert("correlation_id".into(), json!(corr));
    if t.error_uri {
        body.insert(
            "error_uri".into(),
            json!(format!(
                "https://login.microsoftonline.com/error?code={code}"
            )),
        );
    }
    if let Some(s) = &t.suberror {
        body.insert("suberror".into(), json!(s));
    }
    if let Some(u) = &t.password_change_url {
        body.insert("password_change_url".into(), json!(u));
    }
    Reply::json(t.status, &Value::Object(body))
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
}

fn jwt(payload: &Value) -> String {
    let header = json!({"typ":"JWT","nonce": URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes()),"alg":"RS256","x5t":"simulated-key-1","kid":"simulated-key-1"});
    // The signature is random: clients must not validate tokens meant for another resource
    // (PROTOCOL.md §2), and the simulated EWS accepts only tokens it remembers issuing.
    let mut sig = Vec::with_capacity(64);
    for _ in 0..4 {
        sig.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    }
    format!(
        "{}.{}.{}",
        b64(&header),
        b64(payload),
        URL_SAFE_NO_PAD.encode(sig)
    )
}

/// Splits `/{tenant}/rest…` into the tenant segment and the rest (lowercased).
fn split_tenant(path: &str) -> Option<(String, String)> {
    let p = path.strip_prefix('/')?;
    let (t, rest) = p.split_once('/')?;
    Some((t.to_string(), format!("/{}", rest.to_ascii_lowercase())))
}

pub fn handle(
    st: &State,
    method: &str,
    path: &str,
    query: Option<&str>,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> Reply {
    let correlation = headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| uuid::Uuid::parse_str(v).is_ok());
    let lower = path.to_ascii_lowercase();
    if let Some(upn) = lower.strip_prefix("/common/userrealm/") {
        let raw = &path["/common/userrealm/".len()..];
        let upn = percent_decode(raw).unwrap_or_else(|| upn.to_string());
        return user_realm(&st.scenario, &upn);
    }
    if lower == "/common/discovery/instance" {
        let tenant = query
            .and_then(|q| form_get(q, "authorization_endpoint"))
            .and_then(|a| {
                a.strip_prefix("https://login.microsoftonline.com/")
                    .and_then(|r| r.split('/').next())
                    .map(str::to_string)
            })
            .unwrap_or_else(|| "common".into());
        let Some(a) = assets() else {
            return Reply::text(500, "simulator: assets");
        };
        let mut v = HashMap::new();
        v.insert("tenant", tenant);
        return Reply::json_text(200, super::xml::fill(&a.instance_discovery.body, &v));
    }
    let Some((tenant, rest)) = split_tenant(path) else {
        return Reply::not_found();
    };
    match (method, rest.as_str()) {
        ("GET", "/v2.0/.well-known/openid-configuration")
        | ("GET", "/.well-known/openid-configuration") => openid(&tenant, correlation),
        ("POST", "/oauth2/v2.0/token") => token(st, &tenant, headers, body, correlation),
        ("GET", "/oauth2/v2.0/token") => {
            error_reply("900144", &[("parameter", "grant_type".into())], correlation)
        }
        _ => Reply::not_found(),
    }
}

fn openid(tenant: &str, correlation: Option<&str>) -> Reply {
    let Some(a) = assets() else {
        return Reply::text(500, "simulator: assets");
    };
    let lower = tenant.to_ascii_lowercase();
    let (path_tenant, issuer, region) = match lower.as_str() {
        "common" | "organizations" | "consumers" => {
            (lower.clone(), "{tenantid}".to_string(), "null".to_string())
        }
        _ => match scenario::tenant_id(&lower) {
            Some(tid) => (tid.to_string(), tid.to_string(), "\"NA\"".to_string()),
            None => {
                return error_reply(
                    "90002-discovery",
                    &[("tenant", tenant.to_string())],
                    correlation,
                );
            }
        },
    };
    let mut v = HashMap::new();
    v.insert("tenant", path_tenant);
    v.insert("issuer_tenant", issuer);
    v.insert("region", region);
    Reply::json_text(200, super::xml::fill(&a.openid.body, &v))
}

fn user_realm(sc: &Scenario, upn: &str) -> Reply {
    let domain = upn.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase());
    let body = match domain.as_deref() {
        Some(scenario::TENANT_VERIFIED_DOMAIN) if sc.realm == Realm::Federated => json!({
            "ver": "1.0",
            "account_type": "Federated",
            "domain_name": scenario::TENANT_VERIFIED_DOMAIN,
            "federation_protocol": "WSTrust",
            "federation_metadata_url": "https://adfs.contoso.com/adfs/services/trust/mex",
            "federation_active_auth_url": "https://adfs.contoso.com/adfs/services/trust/2005/usernamemixed",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_audience_urn": "urn:federation:MicrosoftOnline"
        }),
        Some(d)
            if d == scenario::TENANT_DOMAIN
                || d == scenario::TENANT_VERIFIED_DOMAIN
                || d == scenario::OTHER_TENANT_DOMAIN =>
        {
            json!({
                "ver": "1.0",
                "account_type": "Managed",
                "domain_name": d,
                "cloud_instance_name": "microsoftonline.com",
                "cloud_audience_urn": "urn:federation:MicrosoftOnline"
            })
        }
        _ => json!({
            "ver": "1.0",
            "account_type": "Unknown",
            "cloud_instance_name": "microsoftonline.com"
        }),
    };
    Reply::json(200, &body)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let h = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
                out.push(u8::from_str_radix(h, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Reads one field of an `application/x-www-form-urlencoded` string.
pub fn form_get(form: &str, key: &str) -> Option<String> {
    form.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(k)? == key)
            .then(|| percent_decode(v))
            .flatten()
    })
}

fn app_token(st: &State, tid: &str, scope: &str, correlation: Option<&str>) -> Reply {
    let lower = scope.trim().to_ascii_lowercase();
    if lower != "https://outlook.office365.com/.default"
        && lower != "00000002-0000-0ff1-ce00-000000000000/.default"
    {
        return error_reply("70011", &[("scope", scope.to_string())], correlation);
    }
    let iat = now().unix_timestamp();
    let exp = iat + 3599 + 300;
    let claims = json!({
        "aud": scenario::EXO_RESOURCE,
        "iss": format!("https://sts.windows.net/{tid}/"),
        "iat": iat, "nbf": iat, "exp": exp,
        "aio": URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes()),
        "app_displayname": "MoxiEngage",
        "appid": scenario::CLIENT_ID,
        "appidacr": "1",
        "idp": format!("https://sts.windows.net/{tid}/"),
        "idtyp": "app",
        "oid": "7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918",
        "rh": "0.AAAA-simulated.",
        "roles": ["full_access_as_app"],
        "sid": uuid::Uuid::new_v4().to_string(),
        "sub": "7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918",
        "tid": tid,
        "uti": URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes()),
        "ver": "1.0",
        "wids": ["0997a1d0-0d1d-4acb-b408-d5ca73121e90"]
    });
    let access_token = jwt(&claims);
    if let Ok(mut t) = st.tokens.lock() {
        t.insert(
            access_token.clone(),
            IssuedToken {
                upn: String::new(),
                tid: tid.to_string(),
                appid: scenario::CLIENT_ID.to_string(),
                scp: String::new(),
                aud: scenario::EXO_RESOURCE.to_string(),
                exp,
            },
        );
    }
    Reply::json(
        200,
        &json!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": access_token}),
    )
}

fn token(
    st: &State,
    tenant: &str,
    headers: &axum::http::HeaderMap,
    body: &[u8],
    correlation: Option<&str>,
) -> Reply {
    let sc = &st.scenario;
    let form = String::from_utf8_lossy(body).into_owned();
    let is_form = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    let field = |k: &str| if is_form { form_get(&form, k) } else { None };
    let lower = tenant.to_ascii_lowercase();
    let grant = field("grant_type");
    let Some(grant) = grant else {
        return error_reply("900144", &[("parameter", "grant_type".into())], correlation);
    };
    if grant != "password" && grant != "refresh_token" && grant != "client_credentials" {
        return error_reply("70003", &[("grant_type", grant)], correlation);
    }
    if grant == "password" && (lower == "common" || lower == "consumers") {
        return error_reply("9001023", &[], correlation);
    }
    let tid = if lower == "organizations" {
        // The tenant comes from the user name's domain.
        field("username")
            .and_then(|u| u.rsplit_once('@').map(|(_, d)| d.to_string()))
            .and_then(|d| scenario::tenant_id(&d))
    } else {
        scenario::tenant_id(&lower)
    };
    let Some(tid) = tid else {
        return error_reply("90002", &[("tenant", tenant.to_string())], correlation);
    };
    let Some(client_id) = field("client_id") else {
        return error_reply("900144", &[("parameter", "client_id".into())], correlation);
    };
    let tenant_label = if tid == scenario::TENANT_ID {
        scenario::TENANT_ID.to_string()
    } else {
        scenario::OTHER_TENANT_ID.to_string()
    };
    if tid != scenario::TENANT_ID
        || !client_id.eq_ignore_ascii_case(scenario::CLIENT_ID)
        || sc.token_error == Some(700016)
    {
        return error_reply(
            "700016",
            &[("client_id", client_id), ("tenant", tenant_label)],
            correlation,
        );
    }
    let has_secret = field("client_secret").is_some() || field("client_assertion").is_some();
    if grant == "client_credentials" {
        // App-only: the app's own secret, no user (PROTOCOL.md §1.1, §3.4).
        return match field("client_secret") {
            None => error_reply("7000218", &[], correlation),
            Some(s) if s == scenario::APP_SECRET => {
                app_token(st, tid, &field("scope").unwrap_or_default(), correlation)
            }
            Some(_) => error_reply("7000215", &[("client_id", client_id)], correlation),
        };
    }
    if sc.public_client {
        if has_secret {
            return error_reply("700025", &[], correlation);
        }
    } else if has_secret {
        return error_reply("7000215", &[("client_id", client_id)], correlation);
    } else {
        return error_reply("7000218", &[], correlation);
    }
    let scope = field("scope").unwrap_or_default();
    let upn = if grant == "refresh_token" {
        let Some(rt) = field("refresh_token") else {
            return error_reply(
                "900144",
                &[("parameter", "refresh_token".into())],
                correlation,
            );
        };
        match st
            .refresh_tokens
            .lock()
            .ok()
            .and_then(|m| m.get(&rt).cloned())
        {
            Some(u) => u,
            None => return error_reply("50126", &[], correlation),
        }
    } else {
        let Some(username) = field("username") else {
            return error_reply("900144", &[("parameter", "username".into())], correlation);
        };
        let Some(password) = field("password") else {
            return error_reply("900144", &[("parameter", "password".into())], correlation);
        };
        let Some(acct) = scenario::account(sc, &username) else {
            return error_reply("50034", &[("tenant_id", tid.to_string())], correlation);
        };
        let federated = sc.realm == Realm::Federated
            && acct
                .upn
                .ends_with(&format!("@{}", scenario::TENANT_VERIFIED_DOMAIN));
        if sc.token_error == Some(50053) {
            return error_reply("50053", &[], correlation);
        }
        if password != scenario::PASSWORD || federated || sc.token_error == Some(50126) {
            return error_reply("50126", &[], correlation);
        }
        acct.upn
    };
    // Scopes: one resource (Exchange Online here) plus the OpenID Connect ones.
    let scopes: Vec<&str> = scope.split_whitespace().collect();
    let oidc = ["openid", "profile", "offline_access", "email"];
    let resource_scopes: Vec<&str> = scopes
        .iter()
        .copied()
        .filter(|s| !oidc.contains(&s.to_ascii_lowercase().as_str()))
        .collect();
    let exo_prefixes = [
        "https://outlook.office365.com/",
        "00000002-0000-0ff1-ce00-000000000000/",
    ];
    let wants_exo = resource_scopes.iter().any(|s| {
        exo_prefixes
            .iter()
            .any(|p| s.to_ascii_lowercase().starts_with(p))
    });
    if let Some(code) = sc.token_error {
        let key = code.to_string();
        let vars: Vec<(&str, String)> = vec![
            ("client_id", client_id.clone()),
            ("resource_app_id", scenario::EXO_APP_ID.to_string()),
            ("resource", scenario::EXO_RESOURCE.to_string()),
            ("tenant_name", tenant_name(tid).to_string()),
            ("tenant", tenant.to_string()),
        ];
        if code != 500011 || wants_exo {
            return error_reply(&key, &vars, correlation);
        }
    }
    let (aud, scp, granted) = if wants_exo {
        let mut scp = Vec::new();
        for s in &resource_scopes {
            let l = s.to_ascii_lowercase();
            let name = exo_prefixes
                .iter()
                .find_map(|p| l.strip_prefix(p))
                .unwrap_or("");
            match name {
                "ews.accessasuser.all" | ".default" => scp.push("EWS.AccessAsUser.All"),
                _ => {
                    return error_reply("65001", &[("client_id", client_id.clone())], correlation);
                }
            }
        }
        scp.dedup();
        (
            scenario::EXO_RESOURCE.to_string(),
            scp.join(" "),
            "https://outlook.office365.com/EWS.AccessAsUser.All".to_string(),
        )
    } else {
        (
            "00000003-0000-0000-c000-000000000000".to_string(),
            "openid profile email User.Read".to_string(),
            "openid profile email https://graph.microsoft.com/User.Read".to_string(),
        )
    };
    let acct = scenario::account(sc, &upn);
    let oid = acct
        .as_ref()
        .map(|a| a.oid)
        .unwrap_or("00000000-0000-0000-0000-000000000000");
    let name = acct.as_ref().map(|a| a.display_name).unwrap_or("User");
    let iat = now().unix_timestamp();
    let exp = iat + 3599 + 300;
    let mut claims = json!({
        "aud": aud,
        "iss": format!("https://sts.windows.net/{tid}/"),
        "iat": iat, "nbf": iat, "exp": exp,
        "acct": 0, "acr": "1",
        "aio": URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes()),
        "amr": ["pwd"],
        "app_displayname": "MoxiEngage",
        "appid": client_id,
        "appidacr": "0",
        "idtyp": "user",
        "ipaddr": "127.0.0.1",
        "name": name,
        "oid": oid,
        "puid": "10032001A2B3C4D5",
        "rh": "0.AAAA-simulated.",
        "scp": scp,
        "sid": uuid::Uuid::new_v4().to_string(),
        "sub": URL_SAFE_NO_PAD.encode(oid.as_bytes()),
        "tid": tid,
        "unique_name": upn,
        "upn": upn,
        "uti": URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes()),
        "ver": "1.0",
        "wids": []
    });
    if let (Some(days), Some(obj)) = (sc.password_expires_in_days, claims.as_object_mut()) {
        obj.insert("pwd_exp".into(), json!(iat + days * 86_400));
        obj.insert(
            "pwd_url".into(),
            json!("https://portal.microsoftonline.com/ChangePassword.aspx"),
        );
    }
    let access_token = jwt(&claims);
    if let Ok(mut t) = st.tokens.lock() {
        t.insert(
            access_token.clone(),
            IssuedToken {
                upn: upn.clone(),
                tid: tid.to_string(),
                appid: scenario::CLIENT_ID.to_string(),
                scp: claims["scp"].as_str().unwrap_or_default().to_string(),
                aud: claims["aud"].as_str().unwrap_or_default().to_string(),
                exp,
            },
        );
    }
    let mut resp = json!({
        "token_type": "Bearer",
        "scope": granted,
        "expires_in": 3599,
        "ext_expires_in": 3599,
        "access_token": access_token,
    });
    let lower_scopes: Vec<String> = scopes.iter().map(|s| s.to_ascii_lowercase()).collect();
    if let Some(obj) = resp.as_object_mut() {
        if lower_scopes.iter().any(|s| s == "offline_access") {
            let rt = format!(
                "0.AAAA{}",
                URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes())
            );
            if let Ok(mut m) = st.refresh_tokens.lock() {
                m.insert(rt.clone(), upn.clone());
            }
            obj.insert("refresh_token".into(), json!(rt));
        }
        if lower_scopes.iter().any(|s| s == "openid") {
            let id = json!({
                "aud": scenario::CLIENT_ID,
                "iss": format!("https://login.microsoftonline.com/{tid}/v2.0"),
                "iat": iat, "nbf": iat, "exp": exp,
                "name": name,
                "oid": oid,
                "preferred_username": upn,
                "rh": "0.AAAA-simulated.",
                "sub": URL_SAFE_NO_PAD.encode(oid.as_bytes()),
                "tid": tid,
                "uti": URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes()),
                "ver": "2.0"
            });
            obj.insert("id_token".into(), json!(jwt(&id)));
        }
        if field("client_info").as_deref() == Some("1") {
            obj.insert(
                "client_info".into(),
                json!(b64(&json!({"uid": oid, "utid": tid}))),
            );
        }
    }
    Reply::json(200, &resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_template_parses() {
        let a = assets().expect("entra.toml parses");
        for code in [
            "7000218", "65001", "700016", "90002", "50126", "50034", "50055", "50057", "50053",
            "50076", "53003", "530035", "500011", "9001023", "700025",
        ] {
            assert!(a.errors.contains_key(code), "missing {code}");
        }
    }

    #[test]
    fn error_body_has_the_real_fields() {
        let r = error_reply("50055", &[], Some("11111111-2222-3333-4444-555555555555"));
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["error"], "user_password_expired");
        assert_eq!(v["error_codes"][0], 50055);
        assert_eq!(v["correlation_id"], "11111111-2222-3333-4444-555555555555");
        let d = v["error_description"].as_str().unwrap();
        assert!(d.starts_with("AADSTS50055:"));
        assert!(d.contains("\r\nTrace ID: "));
        assert!(v["password_change_url"].is_string());
        let r = error_reply("7000218", &[], None);
        assert_eq!(r.status, 401);
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert!(
            v["error_description"]
                .as_str()
                .unwrap()
                .contains(" Trace ID: ")
        );
    }

    #[test]
    fn form_decoding() {
        assert_eq!(
            form_get("a=1&password=Demo-Passw0rd%21&scope=x+y", "password").as_deref(),
            Some("Demo-Passw0rd!")
        );
        assert_eq!(form_get("a=1", "b"), None);
    }
}
