//! Entra ID wire code: the ROPC token request (form body and URLs), the token success and error
//! JSON, the OpenID configuration (tenant GUID, cloud) and the user realm (Managed/Federated).
//!
//! Must not do I/O or decide what a code means for the admin (that is [`crate::checks`]).
//! Diagnosis keys on `error_codes[0]`, never on `error_description` text; the description is
//! only shown as the server's own words. The password and tokens stay `SecretString`.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::fmt;

/// The delegated EWS scope on Exchange Online (global cloud).
pub const EWS_SCOPE: &str = "https://outlook.office365.com/EWS.AccessAsUser.All";

/// The delegated permission name inside `scp`.
pub const EWS_PERMISSION: &str = "EWS.AccessAsUser.All";

/// App id of the "Office 365 Exchange Online" resource (a token `aud` may carry it).
pub const EXCHANGE_ONLINE_APP_ID: &str = "00000002-0000-0ff1-ce00-000000000000";

/// The EWS scope for the Exchange Online host of the EWS URL (`outlook.office365.com` gives
/// [`EWS_SCOPE`]). National clouds use their own host; that spelling is not verified by
/// Microsoft text (PROTOCOL.md open question 5).
pub fn ews_scope_for_host(ews_host: &str) -> String {
    format!(
        "https://{}/EWS.AccessAsUser.All",
        ews_host.to_ascii_lowercase()
    )
}

fn base(authority_host: &str) -> Result<url::Url, EntraError> {
    let bad = || EntraError::BadAuthority(authority_host.chars().take(80).collect());
    if authority_host.is_empty()
        || authority_host
            .chars()
            .any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']')))
    {
        return Err(bad());
    }
    let u = url::Url::parse(&format!("https://{authority_host}/")).map_err(|_| bad())?;
    if u.host_str().is_none() || u.path() != "/" {
        return Err(bad());
    }
    Ok(u)
}

fn with_segments(authority_host: &str, segs: &[&str]) -> Result<url::Url, EntraError> {
    let mut u = base(authority_host)?;
    {
        let mut p = u
            .path_segments_mut()
            .map_err(|_| EntraError::BadAuthority(authority_host.to_string()))?;
        p.clear();
        // Each value is one escaped path segment: a tenant value can never add a path.
        p.extend(segs);
    }
    Ok(u)
}

/// `https://{host}/{tenant}/oauth2/v2.0/token` (tenant-specific: ROPC is refused on /common).
pub fn token_url(authority_host: &str, tenant: &str) -> Result<url::Url, EntraError> {
    with_segments(authority_host, &[tenant, "oauth2", "v2.0", "token"])
}

/// `https://{host}/{tenant}/v2.0/.well-known/openid-configuration`.
pub fn openid_configuration_url(
    authority_host: &str,
    tenant: &str,
) -> Result<url::Url, EntraError> {
    with_segments(
        authority_host,
        &[tenant, "v2.0", ".well-known", "openid-configuration"],
    )
}

/// `https://{host}/common/UserRealm/{upn}?api-version=1.0`.
pub fn user_realm_url(authority_host: &str, upn: &str) -> Result<url::Url, EntraError> {
    let mut u = with_segments(authority_host, &["common", "UserRealm", upn])?;
    u.query_pairs_mut().append_pair("api-version", "1.0");
    Ok(u)
}

/// The ROPC form body (`application/x-www-form-urlencoded`): `client_id`, `grant_type=password`,
/// `username`, `password`, `scope`. No `client_secret`: the app is a public client. Returned as
/// a secret because it carries the password.
pub fn ropc_form_body(
    client_id: &str,
    username: &str,
    password: &SecretString,
    scope: &str,
) -> SecretString {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client_id)
        .append_pair("grant_type", "password")
        .append_pair("username", username)
        .append_pair("password", password.expose_secret())
        .append_pair("scope", scope)
        .finish();
    SecretString::from(body)
}

/// Errors of this module.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntraError {
    #[error("the sign-in host \"{0}\" is not a valid host name")]
    BadAuthority(String),
    #[error("the answer is too large ({0} bytes)")]
    TooLarge(usize),
    #[error("the answer is not the JSON Microsoft sends: {}", super::clip(.0))]
    NotJson(String),
}

fn bounded(body: &[u8]) -> Result<&[u8], EntraError> {
    if body.len() > super::MAX_BODY {
        Err(EntraError::TooLarge(body.len()))
    } else {
        Ok(body)
    }
}

/// A successful token answer. Secrets stay secret (`Debug` redacts them).
#[derive(Debug, Deserialize)]
pub struct TokenSuccess {
    pub token_type: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub expires_in: Option<u64>,
    #[serde(deserialize_with = "secret")]
    pub access_token: SecretString,
    #[serde(default, deserialize_with = "opt_secret")]
    pub refresh_token: Option<SecretString>,
    #[serde(default, deserialize_with = "opt_secret")]
    pub id_token: Option<SecretString>,
}

fn secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
    String::deserialize(d).map(SecretString::from)
}

fn opt_secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
    Option::<String>::deserialize(d).map(|o| o.map(SecretString::from))
}

/// An Entra ID error body (token endpoint, OpenID configuration).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
pub struct EntraErrorBody {
    pub error: String,
    #[serde(default)]
    pub error_description: String,
    #[serde(default)]
    pub error_codes: Vec<u64>,
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(default)]
    pub trace_id: Option<String>,
    #[serde(default)]
    pub correlation_id: Option<String>,
    #[serde(default)]
    pub error_uri: Option<String>,
    #[serde(default)]
    pub suberror: Option<String>,
    #[serde(default)]
    pub password_change_url: Option<String>,
    #[serde(default)]
    pub claims: Option<String>,
}

impl EntraErrorBody {
    /// `error_codes[0]`, the value diagnosis keys on.
    pub fn code(&self) -> Option<u64> {
        self.error_codes.first().copied()
    }

    /// `AADSTS50126`, or the `error` value when no code was sent.
    pub fn code_string(&self) -> String {
        match self.code() {
            Some(c) => format!("AADSTS{c}"),
            None => self.error.clone(),
        }
    }

    /// The server's own sentence, without the `AADSTSnnnn:` prefix and without the
    /// Trace/Correlation/Timestamp trailer (both the 2021 `\r\n` and the 2023+ space formats).
    pub fn message(&self) -> String {
        let d = self.error_description.as_str();
        let cut = ["\r\nTrace ID:", "\nTrace ID:", " Trace ID:"]
            .iter()
            .filter_map(|m| d.find(m))
            .min()
            .unwrap_or(d.len());
        let d = d[..cut].trim();
        let d = match d.split_once(": ") {
            Some((p, rest))
                if p.starts_with("AADSTS") && p[6..].bytes().all(|b| b.is_ascii_digit()) =>
            {
                rest
            }
            _ => d,
        };
        d.trim().to_string()
    }
}

/// What the token endpoint answered.
#[derive(Debug)]
pub enum TokenResponse {
    Success(TokenSuccess),
    Error(EntraErrorBody),
}

/// Parses a token endpoint answer (any HTTP status: errors come with 400 or 401).
pub fn parse_token_response(body: &[u8]) -> Result<TokenResponse, EntraError> {
    let body = bounded(body)?;
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| EntraError::NotJson(e.to_string()))?;
    if v.get("error").is_some() {
        let e: EntraErrorBody =
            serde_json::from_value(v).map_err(|e| EntraError::NotJson(e.to_string()))?;
        return Ok(TokenResponse::Error(e));
    }
    let s: TokenSuccess =
        serde_json::from_value(v).map_err(|e| EntraError::NotJson(e.to_string()))?;
    Ok(TokenResponse::Success(s))
}

/// The fields of the OpenID configuration this tool reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OpenIdConfiguration {
    pub issuer: String,
    #[serde(default)]
    pub token_endpoint: Option<String>,
    #[serde(default)]
    pub tenant_region_scope: Option<String>,
    #[serde(default)]
    pub cloud_instance_name: Option<String>,
    #[serde(default)]
    pub cloud_graph_host_name: Option<String>,
    #[serde(default)]
    pub msgraph_host: Option<String>,
}

impl OpenIdConfiguration {
    /// The tenant GUID: first path segment of `issuer` (`https://host/{guid}/v2.0`), lowercase.
    pub fn tenant_id(&self) -> Option<String> {
        let u = url::Url::parse(&self.issuer).ok()?;
        let first = u.path_segments()?.next()?.to_ascii_lowercase();
        crate::answers::is_guid(&first).then_some(first)
    }
}

/// What the OpenID configuration endpoint answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenIdResponse {
    Config(OpenIdConfiguration),
    Error(EntraErrorBody),
}

pub fn parse_openid_configuration(body: &[u8]) -> Result<OpenIdResponse, EntraError> {
    let body = bounded(body)?;
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| EntraError::NotJson(e.to_string()))?;
    if v.get("error").is_some() {
        return serde_json::from_value(v)
            .map(OpenIdResponse::Error)
            .map_err(|e| EntraError::NotJson(e.to_string()));
    }
    serde_json::from_value(v)
        .map(OpenIdResponse::Config)
        .map_err(|e| EntraError::NotJson(e.to_string()))
}

/// `account_type` of a user realm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountType {
    Managed,
    Federated,
    /// Empty or `Unknown`: the domain is not known to Entra ID.
    Unknown(String),
}

impl fmt::Display for AccountType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccountType::Managed => f.write_str("Managed"),
            AccountType::Federated => f.write_str("Federated"),
            AccountType::Unknown(s) if s.is_empty() => f.write_str("Unknown"),
            AccountType::Unknown(s) => f.write_str(s),
        }
    }
}

/// The user realm answer (`api-version=1.0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRealm {
    pub account_type: AccountType,
    pub domain_name: Option<String>,
    pub cloud_instance_name: Option<String>,
    pub cloud_audience_urn: Option<String>,
    pub federation_protocol: Option<String>,
    pub federation_metadata_url: Option<String>,
    pub federation_active_auth_url: Option<String>,
}

#[derive(Deserialize)]
struct RawRealm {
    #[serde(default)]
    account_type: String,
    #[serde(default, alias = "NameSpaceType")]
    name_space_type: Option<String>,
    #[serde(default)]
    domain_name: Option<String>,
    #[serde(default)]
    cloud_instance_name: Option<String>,
    #[serde(default)]
    cloud_audience_urn: Option<String>,
    #[serde(default)]
    federation_protocol: Option<String>,
    #[serde(default)]
    federation_metadata_url: Option<String>,
    #[serde(default)]
    federation_active_auth_url: Option<String>,
}

pub fn parse_user_realm(body: &[u8]) -> Result<UserRealm, EntraError> {
    let body = bounded(body)?;
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| EntraError::NotJson(e.to_string()))?;
    if !v.is_object() {
        return Err(EntraError::NotJson("not an object".to_string()));
    }
    let r: RawRealm = serde_json::from_value(v).map_err(|e| EntraError::NotJson(e.to_string()))?;
    let kind = if r.account_type.is_empty() {
        r.name_space_type.unwrap_or_default()
    } else {
        r.account_type
    };
    let account_type = match kind.as_str() {
        "Managed" => AccountType::Managed,
        "Federated" => AccountType::Federated,
        _ => AccountType::Unknown(kind.chars().take(40).collect()),
    };
    Ok(UserRealm {
        account_type,
        domain_name: r.domain_name,
        cloud_instance_name: r.cloud_instance_name,
        cloud_audience_urn: r.cloud_audience_urn,
        federation_protocol: r.federation_protocol,
        federation_metadata_url: r.federation_metadata_url,
        federation_active_auth_url: r.federation_active_auth_url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_escape_values_into_one_segment() {
        let u = token_url("login.microsoftonline.com", "contoso.com/../common").unwrap();
        assert_eq!(
            u.as_str(),
            "https://login.microsoftonline.com/contoso.com%2F..%2Fcommon/oauth2/v2.0/token"
        );
        let u = user_realm_url("login.microsoftonline.com", "a b@contoso.com").unwrap();
        assert_eq!(
            u.as_str(),
            "https://login.microsoftonline.com/common/UserRealm/a%20b@contoso.com?api-version=1.0"
        );
        assert!(token_url("evil.example/x", "t").is_err());
        assert!(token_url("user@evil.example", "t").is_err());
        assert_eq!(
            openid_configuration_url("login.microsoftonline.us", "contoso.com")
                .unwrap()
                .as_str(),
            "https://login.microsoftonline.us/contoso.com/v2.0/.well-known/openid-configuration"
        );
    }

    #[test]
    fn form_body() {
        let b = ropc_form_body(
            "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d",
            "moxiengage@contoso.onmicrosoft.com",
            &SecretString::from("Demo-Passw0rd!&x=y"),
            EWS_SCOPE,
        );
        let s = b.expose_secret();
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(s.as_bytes())
            .into_owned()
            .collect();
        let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            ["client_id", "grant_type", "username", "password", "scope"]
        );
        assert_eq!(pairs[1].1, "password");
        assert_eq!(pairs[3].1, "Demo-Passw0rd!&x=y");
        assert_eq!(pairs[4].1, EWS_SCOPE);
        assert!(!s.contains("client_secret"));
    }
}
