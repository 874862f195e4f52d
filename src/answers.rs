//! What the admin typed: the answers of both guides as typed values, and the pure validators
//! that the wizard, the plain mode and the headless answers file all share.
//!
//! Secrets (the service account password) are `SecretString` from the keystroke on; this module
//! never prints, logs or serialises one.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Which written guide the admin follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Platform {
    /// Microsoft 365 / Exchange Online (guide `m365`).
    #[serde(rename = "microsoft-365")]
    Microsoft365,
    /// Exchange Server on-premises 2016, 2019 or SE (guide `ex2016`).
    ExchangeServer,
}

impl Platform {
    /// The spelling used on the command line, in answers files and in bundles.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Microsoft365 => "microsoft-365",
            Platform::ExchangeServer => "exchange-server",
        }
    }

    /// Short guide id used in guide step references (`m365/4.30`, `ex2016/2.4`).
    pub fn guide_id(self) -> &'static str {
        match self {
            Platform::Microsoft365 => "m365",
            Platform::ExchangeServer => "ex2016",
        }
    }

    pub fn parse(s: &str) -> Option<Platform> {
        match s.trim() {
            "microsoft-365" | "m365" => Some(Platform::Microsoft365),
            "exchange-server" | "ex2016" | "exchange" => Some(Platform::ExchangeServer),
            _ => None,
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Stable identifiers of the values the guides collect. Used by guide assets (`fields = [...]`),
/// the answers file keys, the draft and the bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldId {
    ServiceAccount,
    ServicePassword,
    TestUser,
    Tenant,
    ClientId,
    EwsUrl,
    IgnoreTlsTrust,
    /// A host outside the account's domain the admin allows Autodiscover to use.
    #[serde(rename = "allow_outside_host")]
    OutsideHost,
}

impl FieldId {
    pub const ALL: [FieldId; 8] = [
        FieldId::ServiceAccount,
        FieldId::ServicePassword,
        FieldId::TestUser,
        FieldId::Tenant,
        FieldId::ClientId,
        FieldId::EwsUrl,
        FieldId::IgnoreTlsTrust,
        FieldId::OutsideHost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldId::ServiceAccount => "service_account",
            FieldId::ServicePassword => "service_password",
            FieldId::TestUser => "test_user",
            FieldId::Tenant => "tenant",
            FieldId::ClientId => "client_id",
            FieldId::EwsUrl => "ews_url",
            FieldId::IgnoreTlsTrust => "ignore_tls_trust",
            FieldId::OutsideHost => "allow_outside_host",
        }
    }

    pub fn parse(s: &str) -> Option<FieldId> {
        FieldId::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// How the field is entered and checked locally.
    pub fn kind(self) -> FieldKind {
        match self {
            FieldId::ServiceAccount | FieldId::TestUser => FieldKind::Email,
            FieldId::ServicePassword => FieldKind::Secret,
            FieldId::Tenant => FieldKind::TenantGuidOrDomain,
            FieldId::ClientId => FieldKind::Guid,
            FieldId::EwsUrl => FieldKind::OptionalHttpsUrl,
            FieldId::IgnoreTlsTrust => FieldKind::YesNo,
            FieldId::OutsideHost => FieldKind::OptionalHost,
        }
    }

    pub fn is_secret(self) -> bool {
        self.kind() == FieldKind::Secret
    }
}

impl fmt::Display for FieldId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The local (offline) shape of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Email,
    Secret,
    Guid,
    TenantGuidOrDomain,
    OptionalHttpsUrl,
    YesNo,
    /// Empty, or a host name such as `autodiscover.hoster.example`.
    OptionalHost,
}

/// Why a typed value was refused, in words for the admin. Never contains the value of a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

fn invalid(msg: impl Into<String>) -> Invalid {
    Invalid(msg.into())
}

/// Removes what a paste typically adds around a value: surrounding whitespace and invisible
/// characters (zero-width spaces, BOM, non-breaking spaces).
pub fn clean_pasted(s: &str) -> String {
    s.trim_matches(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{FEFF}' | '\u{00A0}'
            )
    })
    .to_string()
}

/// Upper bound on anything typed into a field; longer is certainly a mis-paste.
pub const MAX_FIELD_LEN: usize = 512;

fn common_checks(v: &str) -> Result<(), Invalid> {
    if v.chars().count() > MAX_FIELD_LEN {
        return Err(invalid(format!(
            "This is much longer than expected ({} characters). Something else may have been pasted; clear the field and paste only the value.",
            v.chars().count()
        )));
    }
    if v.chars().any(|c| c.is_control()) {
        return Err(invalid(
            "This contains invisible control characters (often from copying out of a document). Type the value again by hand.",
        ));
    }
    Ok(())
}

/// An e-mail address / user principal name: `name@domain.tld`, ASCII domain labels.
pub fn validate_email(raw: &str) -> Result<String, Invalid> {
    let v = clean_pasted(raw);
    if v.is_empty() {
        return Err(invalid(
            "Please type an e-mail address, for example moxiengage@contoso.com.",
        ));
    }
    common_checks(&v)?;
    if v.chars().any(char::is_whitespace) {
        return Err(invalid("An e-mail address cannot contain spaces."));
    }
    let Some((local, domain)) = v.rsplit_once('@') else {
        return Err(invalid(
            "An e-mail address needs an @, for example moxiengage@contoso.com.",
        ));
    };
    if local.is_empty() || local.contains('@') {
        return Err(invalid(
            "The part before the @ is missing or has a second @.",
        ));
    }
    if !local.is_ascii() {
        return Err(invalid(
            "The part before the @ has a character that is not plain ASCII (perhaps a look-alike letter from another alphabet). Type it again by hand.",
        ));
    }
    validate_domain(domain).map_err(|e| invalid(format!("After the @: {e}")))?;
    Ok(format!("{local}@{}", domain.to_ascii_lowercase()))
}

/// A DNS domain name such as `contoso.com` (no scheme, no trailing dot).
pub fn validate_domain(raw: &str) -> Result<String, Invalid> {
    let d = clean_pasted(raw);
    if d.is_empty() {
        return Err(invalid("the domain is missing, for example contoso.com."));
    }
    common_checks(&d)?;
    if d.ends_with('.') {
        return Err(invalid("the domain ends with a dot; remove the final dot."));
    }
    if !d.is_ascii() {
        return Err(invalid(
            "the domain has a character that is not plain ASCII (perhaps a look-alike letter). Type it again by hand.",
        ));
    }
    let labels: Vec<&str> = d.split('.').collect();
    if labels.len() < 2 {
        return Err(invalid(
            "the domain needs at least one dot, for example contoso.com.",
        ));
    }
    for l in &labels {
        if l.is_empty() {
            return Err(invalid("the domain has two dots in a row."));
        }
        if l.len() > 63
            || !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            || l.starts_with('-')
            || l.ends_with('-')
        {
            return Err(invalid(format!(
                "\"{l}\" is not a valid part of a domain name."
            )));
        }
    }
    Ok(d.to_ascii_lowercase())
}

/// A GUID such as the Application (client) ID: `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
/// Braces from a copied registry value are accepted and removed. Returned lowercase.
pub fn validate_guid(raw: &str) -> Result<String, Invalid> {
    let mut v = clean_pasted(raw);
    if v.is_empty() {
        return Err(invalid(
            "Please paste the ID. It looks like 1b2c3d4e-0000-1111-2222-333344445555.",
        ));
    }
    common_checks(&v)?;
    if v.starts_with('{') && v.ends_with('}') && v.len() > 2 {
        v = v[1..v.len() - 1].to_string();
    }
    if is_guid(&v) {
        Ok(v.to_ascii_lowercase())
    } else {
        Err(invalid(
            "This is not an ID of the expected shape: 32 letters (a-f) and digits in groups of 8-4-4-4-12 separated by dashes. Copy it again with the copy button next to the value.",
        ))
    }
}

/// True when `s` is a hyphenated GUID (no braces).
pub fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// The tenant: the Directory (tenant) ID GUID, or a domain of the tenant (`contoso.com`,
/// `contoso.onmicrosoft.com`).
pub fn validate_tenant(raw: &str) -> Result<String, Invalid> {
    let v = clean_pasted(raw);
    if v.is_empty() {
        return Err(invalid(
            "Please paste the Directory (tenant) ID, or type your Microsoft 365 domain such as contoso.onmicrosoft.com.",
        ));
    }
    let unbraced = v.trim_start_matches('{').trim_end_matches('}');
    if unbraced.len() == 36 && unbraced.contains('-') {
        return validate_guid(&v);
    }
    if v.contains('@') {
        return Err(invalid(
            "This looks like an e-mail address. The tenant is the Directory (tenant) ID or just the domain part, such as contoso.onmicrosoft.com.",
        ));
    }
    if v.contains("://") {
        return Err(invalid(
            "Type only the domain or the ID, not a web address.",
        ));
    }
    validate_domain(&v)
        .map_err(|e| invalid(format!("This is neither a tenant ID nor a domain: {e}")))
}

/// An optional EWS URL typed by the admin; must be `https://`. Empty means "find it with
/// Autodiscover".
pub fn validate_ews_url(raw: &str) -> Result<Option<String>, Invalid> {
    let v = clean_pasted(raw);
    if v.is_empty() {
        return Ok(None);
    }
    common_checks(&v)?;
    // The URL parser would quietly turn a look-alike letter into an xn-- name: another server.
    if !v.is_ascii() {
        return Err(invalid(
            "The address has a character that is not plain ASCII (perhaps a look-alike letter from another alphabet). Type it again by hand.",
        ));
    }
    if v.chars().any(char::is_whitespace) {
        return Err(invalid(
            "A web address cannot contain spaces. Copy it again, or type it as https://mail.contoso.com/EWS/Exchange.asmx.",
        ));
    }
    let Ok(url) = url::Url::parse(&v) else {
        return Err(invalid(
            "This is not a web address. It should look like https://mail.contoso.com/EWS/Exchange.asmx.",
        ));
    };
    if url.scheme() == "http" {
        return Err(invalid(
            "The address starts with http:// — the password would travel unencrypted. Use the https:// address.",
        ));
    }
    if url.scheme() != "https" || url.host_str().is_none() {
        return Err(invalid(
            "The address must start with https:// and name a server.",
        ));
    }
    if url.username() != "" || url.password().is_some() {
        return Err(invalid(
            "Do not put a user name or password inside the address.",
        ));
    }
    // Stored as the URL parser writes it (characters such as < > percent-encoded), which must
    // itself pass this check again.
    let normal = url.to_string();
    if normal.chars().count() > MAX_FIELD_LEN {
        return Err(invalid(format!(
            "This is much longer than expected ({} characters once written as a web address). Something else may have been pasted; clear the field and paste only the address.",
            normal.chars().count()
        )));
    }
    Ok(Some(normal))
}

/// The service account password: not empty, no leading or trailing spaces (Microsoft's ROPC
/// sign-in does not support them). The error never repeats the password.
pub fn validate_password(secret: &SecretString) -> Result<(), Invalid> {
    let p = secret.expose_secret();
    if p.is_empty() {
        return Err(invalid("Please type the service account's password."));
    }
    if p.chars().count() > MAX_FIELD_LEN {
        return Err(invalid(
            "This is much longer than any password. Something else may have been pasted; clear the field and type the password.",
        ));
    }
    if p.trim() != p {
        return Err(invalid(
            "The password starts or ends with a space. Microsoft's sign-in for this kind of account does not accept that; choose a password without surrounding spaces (guide step 1).",
        ));
    }
    if p.chars().any(|c| c.is_control()) {
        return Err(invalid(
            "The password contains an invisible control character. Type it again.",
        ));
    }
    Ok(())
}

/// A host outside the account's domain that the admin allows Autodiscover to use: empty, or a
/// host name. Never a shortened form of the account's own domain (`contoso.com` or
/// `autodiscover.com` for `corp.contoso.com`), which anyone could own: the rule that stopped
/// the 2021 Autodiscover password leak is not one the admin can switch off.
pub fn validate_outside_host(raw: &str, account_domain: Option<&str>) -> Result<String, Invalid> {
    let v = clean_pasted(raw).trim_end_matches('.').to_ascii_lowercase();
    if v.is_empty() {
        return Ok(v);
    }
    common_checks(&v)?;
    if v.contains("://") || v.contains('/') {
        return Err(invalid(
            "Type only the server's name, such as autodiscover.hoster.com, without https:// or a path.",
        ));
    }
    let host = validate_domain(&v).map_err(|e| invalid(format!("Server name: {e}")))?;
    if let Some(d) = account_domain {
        if within(&host, d) {
            return Err(invalid(
                "This server is inside your own domain, which is always allowed; leave this empty.",
            ));
        }
        if is_stripped(&host, d) {
            return Err(invalid(
                "This is a shortened form of your domain that anyone could register; the password is never sent there.",
            ));
        }
    }
    Ok(host)
}

/// True when `host` is `domain` or a name under it.
pub fn within(host: &str, domain: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    let d = domain.trim_end_matches('.').to_ascii_lowercase();
    h == d || h.ends_with(&format!(".{d}"))
}

/// True when `host` is a parent of `domain` or `autodiscover.` + a parent: the names a
/// label-stripping client would have tried (`autodiscover.com` for `contoso.com`).
pub fn is_stripped(host: &str, domain: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    let d = domain.trim_end_matches('.').to_ascii_lowercase();
    let mut rest = d.as_str();
    while let Some((_, parent)) = rest.split_once('.') {
        if h == parent || h == format!("autodiscover.{parent}") {
            return true;
        }
        rest = parent;
    }
    false
}

/// Parses a yes/no answer.
pub fn parse_yes_no(raw: &str) -> Result<bool, Invalid> {
    match clean_pasted(raw).to_ascii_lowercase().as_str() {
        "y" | "yes" | "true" | "1" | "on" => Ok(true),
        "" | "n" | "no" | "false" | "0" | "off" => Ok(false),
        _ => Err(invalid("Please answer yes or no.")),
    }
}

/// Everything the admin has answered so far. Text fields hold the text as typed (validated on
/// leaving the field); the password is a secret from the keystroke on.
#[derive(Debug, Clone, Default)]
pub struct Answers {
    pub platform: Option<Platform>,
    pub service_account: String,
    pub service_password: Option<SecretString>,
    pub test_user: String,
    pub tenant: String,
    pub client_id: String,
    pub ews_url: String,
    pub ignore_tls_trust: bool,
    /// A host outside the account's domain that Autodiscover may send the credentials to,
    /// typed by the admin after the check named it (empty: none).
    pub outside_host: String,
}

impl Answers {
    /// The non-secret text of a field (secrets and yes/no return `None`).
    pub fn text(&self, field: FieldId) -> Option<&str> {
        match field {
            FieldId::ServiceAccount => Some(&self.service_account),
            FieldId::TestUser => Some(&self.test_user),
            FieldId::Tenant => Some(&self.tenant),
            FieldId::ClientId => Some(&self.client_id),
            FieldId::EwsUrl => Some(&self.ews_url),
            FieldId::OutsideHost => Some(&self.outside_host),
            FieldId::ServicePassword | FieldId::IgnoreTlsTrust => None,
        }
    }

    /// Sets the text of a non-secret field. Secret fields are ignored here on purpose.
    pub fn set_text(&mut self, field: FieldId, value: String) {
        match field {
            FieldId::ServiceAccount => self.service_account = value,
            FieldId::TestUser => self.test_user = value,
            FieldId::Tenant => self.tenant = value,
            FieldId::ClientId => self.client_id = value,
            FieldId::EwsUrl => self.ews_url = value,
            FieldId::OutsideHost => self.outside_host = value,
            FieldId::IgnoreTlsTrust => {
                self.ignore_tls_trust = parse_yes_no(&value).unwrap_or(false)
            }
            FieldId::ServicePassword => {}
        }
    }

    /// Validates one field; `Ok(())` for a field that is fine.
    pub fn validate(&self, field: FieldId) -> Result<(), Invalid> {
        match field {
            FieldId::ServiceAccount | FieldId::TestUser => {
                validate_email(self.text(field).unwrap_or_default()).map(|_| ())
            }
            FieldId::Tenant => validate_tenant(&self.tenant).map(|_| ()),
            FieldId::ClientId => validate_guid(&self.client_id).map(|_| ()),
            FieldId::EwsUrl => validate_ews_url(&self.ews_url).map(|_| ()),
            FieldId::ServicePassword => match &self.service_password {
                Some(p) => validate_password(p),
                None => Err(invalid("Please type the service account's password.")),
            },
            FieldId::IgnoreTlsTrust => Ok(()),
            FieldId::OutsideHost => {
                validate_outside_host(&self.outside_host, self.account_domain().as_deref())
                    .map(|_| ())
            }
        }
    }

    /// The domain of the service account (`contoso.com`), once it is a valid address.
    pub fn account_domain(&self) -> Option<String> {
        validate_email(&self.service_account)
            .ok()
            .and_then(|e| e.rsplit_once('@').map(|(_, d)| d.to_string()))
    }

    /// Which fields a platform needs before its checks can run.
    pub fn required_fields(platform: Platform) -> &'static [FieldId] {
        match platform {
            Platform::Microsoft365 => &[
                FieldId::ServiceAccount,
                FieldId::ServicePassword,
                FieldId::TestUser,
                FieldId::Tenant,
                FieldId::ClientId,
            ],
            Platform::ExchangeServer => &[
                FieldId::ServiceAccount,
                FieldId::ServicePassword,
                FieldId::TestUser,
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outside_host_is_a_bare_name_never_a_shortened_form_of_the_domain() {
        let d = Some("corp.contoso.com");
        assert_eq!(validate_outside_host("", d).unwrap(), "");
        assert_eq!(
            validate_outside_host(" Autodiscover.Hoster.Example. ", d).unwrap(),
            "autodiscover.hoster.example"
        );
        for bad in [
            "contoso.com",
            "autodiscover.contoso.com",
            "autodiscover.com",
            "https://hoster.example",
            "hoster.example/path",
            "hoster",
            "h\u{043E}ster.example",
            "mail.corp.contoso.com",
        ] {
            assert!(validate_outside_host(bad, d).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert_eq!(validate_email(" a@Contoso.COM ").unwrap(), "a@contoso.com");
        assert!(validate_email("").is_err());
        assert!(validate_email("a@contoso.com.").is_err());
        assert!(validate_email("a b@contoso.com").is_err());
        assert!(validate_email("a@contoso").is_err());
        assert!(validate_email("a@@contoso.com").is_err());
        // Cyrillic 'о' look-alike in the domain
        assert!(validate_email("a@c\u{043E}ntoso.com").is_err());
        assert!(validate_email("a\u{0007}@contoso.com").is_err());
        assert!(validate_email(&"a".repeat(10_000)).is_err());
    }

    #[test]
    fn guids() {
        let g = "1B2C3D4E-0000-1111-2222-333344445555";
        assert_eq!(validate_guid(g).unwrap(), g.to_ascii_lowercase());
        assert_eq!(
            validate_guid(&format!("{{{g}}}")).unwrap(),
            g.to_ascii_lowercase()
        );
        assert_eq!(
            validate_guid(&format!("\u{200B} {g}\n")).unwrap(),
            g.to_ascii_lowercase()
        );
        assert!(validate_guid("1b2c3d4e00001111222233334444555").is_err());
        assert!(validate_guid("zzzzzzzz-0000-1111-2222-333344445555").is_err());
    }

    #[test]
    fn tenants() {
        assert!(validate_tenant("contoso.onmicrosoft.com").is_ok());
        assert!(validate_tenant("1b2c3d4e-0000-1111-2222-333344445555").is_ok());
        assert!(validate_tenant("admin@contoso.com").is_err());
        assert!(validate_tenant("https://contoso.com").is_err());
        assert!(validate_tenant("").is_err());
    }

    #[test]
    fn urls() {
        assert_eq!(validate_ews_url("").unwrap(), None);
        assert!(validate_ews_url("http://mail.contoso.com/EWS/Exchange.asmx").is_err());
        assert!(
            validate_ews_url("https://mail.contoso.com/EWS/Exchange.asmx")
                .unwrap()
                .is_some()
        );
        assert!(validate_ews_url("https://u:p@mail.contoso.com/").is_err());
        assert!(validate_ews_url("mail.contoso.com").is_err());
    }

    #[test]
    fn passwords() {
        assert!(validate_password(&SecretString::from("")).is_err());
        assert!(validate_password(&SecretString::from(" pw")).is_err());
        let e = validate_password(&SecretString::from("pw ")).unwrap_err();
        assert!(!e.0.contains("pw "));
        assert!(validate_password(&SecretString::from("good pass")).is_ok());
    }
}
