//! Reads the claims of an access token for display and diagnosis: `scp`, `tid`, `appid`, `aud`,
//! `upn`, `pwd_exp`, `exp`…
//!
//! Must never verify a signature nor treat a claim as proof of anything: the token belongs to
//! Exchange Online, and only Exchange validates it. This is a peek at the base64url payload,
//! and the token itself is never printed.

use base64::Engine;
use serde::Deserialize;

/// Errors reading a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("the token does not have the three dot-separated parts of a JWT")]
    NotJwt,
    #[error("the token payload is not base64url")]
    NotBase64,
    #[error("the token payload is not a JSON object: {}", super::clip(.0))]
    NotJson(String),
    #[error("the token is too large")]
    TooLarge,
}

/// A claim that Microsoft sends either as a number or as a string of digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Num(Option<i64>);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Ok(Num(match v {
            serde_json::Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }))
    }
}

/// `aud` is a string or an array of strings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Aud(Vec<String>);

impl<'de> Deserialize<'de> for Aud {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Ok(Aud(match v {
            serde_json::Value::String(s) => vec![s],
            serde_json::Value::Array(a) => a
                .into_iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }))
    }
}

#[derive(Deserialize, Default)]
struct Raw {
    #[serde(default)]
    aud: Aud,
    #[serde(default)]
    iss: Option<String>,
    #[serde(default)]
    tid: Option<String>,
    #[serde(default)]
    appid: Option<String>,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    appidacr: Option<String>,
    #[serde(default)]
    scp: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    upn: Option<String>,
    #[serde(default)]
    unique_name: Option<String>,
    #[serde(default)]
    ver: Option<String>,
    #[serde(default)]
    amr: Vec<String>,
    #[serde(default)]
    pwd_exp: Option<Num>,
    #[serde(default)]
    exp: Option<Num>,
    #[serde(default)]
    iat: Option<Num>,
    #[serde(default)]
    nbf: Option<Num>,
}

/// The claims this tool looks at. Display only.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Claims {
    pub aud: Vec<String>,
    pub iss: Option<String>,
    pub tid: Option<String>,
    /// `appid` (v1 tokens) or `azp` (v2).
    pub appid: Option<String>,
    /// `0` public client, `1` secret, `2` certificate.
    pub appidacr: Option<String>,
    /// Delegated scopes, split on spaces.
    pub scp: Vec<String>,
    pub roles: Vec<String>,
    /// `upn`, else `unique_name`.
    pub upn: Option<String>,
    pub ver: Option<String>,
    pub amr: Vec<String>,
    /// Raw `pwd_exp` value (Unix seconds per Microsoft's claim reference).
    pub pwd_exp: Option<i64>,
    pub exp: Option<i64>,
    pub iat: Option<i64>,
    pub nbf: Option<i64>,
}

impl Claims {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scp.iter().any(|s| s.eq_ignore_ascii_case(scope))
    }

    /// True when `aud` names Exchange Online at `ews_host` (with or without the trailing slash)
    /// or by its app id.
    pub fn aud_is_exchange(&self, ews_host: &str) -> bool {
        let host = ews_host.to_ascii_lowercase();
        self.aud.iter().any(|a| {
            let a = a.to_ascii_lowercase();
            let a = a.trim_end_matches('/');
            a == format!("https://{host}") || a == super::entra::EXCHANGE_ONLINE_APP_ID
        })
    }

    /// When the password expires, as Unix seconds. Microsoft documents `pwd_exp` as a
    /// timestamp, while older AD FS-era tokens carried seconds remaining; a value far too small
    /// to be a date is read as seconds after `iat`.
    pub fn password_expires_at(&self) -> Option<i64> {
        let v = self.pwd_exp?;
        if v < 1_000_000_000 {
            self.iat.map(|iat| iat.saturating_add(v))
        } else {
            Some(v)
        }
    }
}

/// Decodes the payload (middle part) of a JWT without verifying anything.
pub fn peek(token: &str) -> Result<Claims, JwtError> {
    if token.len() > super::MAX_BODY {
        return Err(JwtError::TooLarge);
    }
    let mut parts = token.trim().split('.');
    let (Some(_h), Some(p), Some(_s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::NotJwt);
    };
    let p = p.trim_end_matches('=');
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(p)
        .map_err(|_| JwtError::NotBase64)?;
    let raw: Raw = serde_json::from_slice(&bytes).map_err(|e| JwtError::NotJson(e.to_string()))?;
    let n = |x: Option<Num>| x.and_then(|n| n.0);
    Ok(Claims {
        aud: raw.aud.0,
        iss: raw.iss,
        tid: raw.tid.map(|t| t.to_ascii_lowercase()),
        appid: raw.appid.or(raw.azp).map(|t| t.to_ascii_lowercase()),
        appidacr: raw.appidacr,
        scp: raw
            .scp
            .map(|s| s.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default(),
        roles: raw.roles,
        upn: raw.upn.or(raw.unique_name),
        ver: raw.ver,
        amr: raw.amr,
        pwd_exp: n(raw.pwd_exp),
        exp: n(raw.exp),
        iat: n(raw.iat),
        nbf: n(raw.nbf),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(payload: &str) -> String {
        let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.sig", e(r#"{"typ":"JWT","alg":"RS256"}"#), e(payload))
    }

    #[test]
    fn reads_v1_claims() {
        let c = peek(&tok(
            r#"{"aud":"https://outlook.office365.com/","tid":"3F2B8A4C-9D1E-4C7A-B5E6-0A1B2C3D4E5F","appid":"9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d","scp":"EWS.AccessAsUser.All User.Read","upn":"moxiengage@contoso.onmicrosoft.com","pwd_exp":"1796000000","exp":1764600000,"iat":1764596400,"ver":"1.0"}"#,
        ))
        .unwrap();
        assert!(c.has_scope("EWS.AccessAsUser.All"));
        assert!(c.aud_is_exchange("outlook.office365.com"));
        assert!(!c.aud_is_exchange("outlook.office365.us"));
        assert_eq!(
            c.tid.as_deref(),
            Some("3f2b8a4c-9d1e-4c7a-b5e6-0a1b2c3d4e5f")
        );
        assert_eq!(c.password_expires_at(), Some(1_796_000_000));
        assert_eq!(c.exp, Some(1_764_600_000));
    }

    #[test]
    fn aud_array_and_relative_pwd_exp() {
        let c = peek(&tok(
            r#"{"aud":["x","00000002-0000-0ff1-ce00-000000000000"],"pwd_exp":3600,"iat":100}"#,
        ))
        .unwrap();
        assert!(c.aud_is_exchange("outlook.office365.com"));
        assert_eq!(c.password_expires_at(), Some(3700));
        assert!(!c.has_scope("EWS.AccessAsUser.All"));
    }

    #[test]
    fn rejects_non_jwts() {
        assert_eq!(peek("abc"), Err(JwtError::NotJwt));
        assert_eq!(peek("a.b.c.d"), Err(JwtError::NotJwt));
        assert_eq!(peek("a.!!!.c"), Err(JwtError::NotBase64));
        assert!(matches!(peek(&tok("[1,2]")), Err(JwtError::NotJson(_))));
    }
}
