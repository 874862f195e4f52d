//! Autodiscover wire code: the POX request (`autodiscover.xml`), the POX response (settings with
//! EXCH/EXPR `EwsUrl`, `redirectAddr`, `redirectUrl`, error 600 and other codes), the Exchange
//! Online `autodiscover.json/v1.0` answer, and the shape rules the candidate logic relies on
//! (what counts as an Autodiscover path).
//!
//! Pure: no I/O, no clocks. Parsers bound size and depth, check namespaces strictly (an
//! undeclared prefix is a broken document, not a guess) and never expand entities other than
//! XML's five predefined ones and character references. Deciding whether a URL may be
//! *followed* (https, same domain, loops) is the caller's job (`checks::autodiscover`).

use super::{MAX_BODY, MAX_DEPTH};
use quick_xml::NsReader;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::ResolveResult;

/// Namespace of the POX request document.
pub const NS_REQUEST: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006";
/// Namespace of the `Autodiscover` root of every POX response (and of the error `Response`).
pub const NS_RESPONSE: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006";
/// Namespace of the Outlook `Response` (settings and redirects) we ask for.
pub const NS_OUTLOOK_RESPONSE: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";

/// The path every POX candidate is asked on.
pub const POX_PATH: &str = "/autodiscover/autodiscover.xml";

/// Builds the POX request body for `email`. The address is written as escaped XML text, never
/// formatted into markup.
pub fn pox_request(email: &str) -> String {
    let mut w = Writer::new(Vec::new());
    // Writing into a Vec cannot fail; the results are ignored on purpose.
    let _ = w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)));
    let mut root = BytesStart::new("Autodiscover");
    root.push_attribute(("xmlns", NS_REQUEST));
    let _ = w.write_event(Event::Start(root));
    let _ = w.write_event(Event::Start(BytesStart::new("Request")));
    let _ = w
        .create_element("EMailAddress")
        .write_text_content(BytesText::new(email));
    let _ = w
        .create_element("AcceptableResponseSchema")
        .write_text_content(BytesText::new(NS_OUTLOOK_RESPONSE));
    let _ = w.write_event(Event::End(BytesEnd::new("Request")));
    let _ = w.write_event(Event::End(BytesEnd::new("Autodiscover")));
    String::from_utf8_lossy(&w.into_inner()).into_owned()
}

/// EWS addresses found in a `settings` answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EwsSettings {
    /// From the `EXPR` protocol (external / Outlook Anywhere): preferred by an outside tool.
    pub external: Option<String>,
    /// From the `EXCH` protocol (inside the office network).
    pub internal: Option<String>,
    /// `User/AutoDiscoverSMTPAddress`, when the server names it.
    pub smtp_address: Option<String>,
    /// `User/DisplayName`, when present (evidence only).
    pub display_name: Option<String>,
}

impl EwsSettings {
    /// The EWS URL to use: EXPR (external) before EXCH (internal).
    pub fn preferred(&self) -> Option<&str> {
        self.external.as_deref().or(self.internal.as_deref())
    }

    /// Which protocol block [`EwsSettings::preferred`] came from.
    pub fn preferred_source(&self) -> Option<&'static str> {
        if self.external.is_some() {
            Some("EXPR")
        } else if self.internal.is_some() {
            Some("EXCH")
        } else {
            None
        }
    }
}

/// What a POX Autodiscover answer says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoxAnswer {
    /// `Action=settings` with at least one EWS URL.
    Settings(EwsSettings),
    /// `Action=redirectAddr`: start over with this e-mail address.
    RedirectAddr(String),
    /// `Action=redirectUrl`: ask this Autodiscover URL instead.
    RedirectUrl(String),
    /// `Response/Error` (e.g. `600 Invalid Request`).
    Error {
        code: String,
        message: String,
        debug_data: String,
    },
}

/// Why a body is not a usable POX answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoxError {
    #[error("the answer is larger than {MAX_BODY} bytes")]
    TooLarge,
    #[error("the answer nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("the answer is not well-formed XML: {}", super::clip(.0))]
    Malformed(String),
    #[error("the answer uses a namespace prefix it never declares: {}", super::clip(.0))]
    UndeclaredPrefix(String),
    #[error("the answer declares a document type or an entity, which Autodiscover never does")]
    DocType,
    #[error("the answer is XML but not a POX Autodiscover answer (root {})", super::clip(.0))]
    NotAutodiscover(String),
    #[error("the settings answer names no EWS address for EXPR or EXCH")]
    NoEwsUrl,
    #[error("the answer's Action \"{}\" is not one this tool understands", super::clip(.0))]
    UnknownAction(String),
    #[error("the redirect answer does not say where to go")]
    MissingRedirectTarget,
    #[error("the answer has neither an Account nor an Error")]
    Empty,
}

#[derive(Default)]
struct Proto {
    kind: String,
    ews_url: Option<String>,
    as_url: Option<String>,
}

/// Parses a POX Autodiscover answer.
///
/// Namespaces are checked: the root must be `Autodiscover` in [`NS_RESPONSE`], its `Response`
/// in [`NS_OUTLOOK_RESPONSE`] (settings, redirects) or [`NS_RESPONSE`] (errors, as Exchange
/// sends them). Only `Protocol` blocks directly under `Account` count; the nested ones inside
/// `WEB/Internal` describe OWA, not EWS. `EwsUrl` is used, falling back to `ASUrl` (what the
/// EWS Managed API does).
pub fn parse_pox(body: &[u8]) -> Result<PoxAnswer, PoxError> {
    if body.len() > MAX_BODY {
        return Err(PoxError::TooLarge);
    }
    let text = std::str::from_utf8(strip_bom(body))
        .map_err(|_| PoxError::Malformed("not UTF-8".into()))?;
    let mut r = NsReader::from_str(text);
    r.config_mut().trim_text(true);
    r.config_mut().check_end_names = true;

    // Path of (namespace, local name) from the root to the current element.
    let mut stack: Vec<(String, String)> = Vec::new();
    let mut text_buf = String::new();
    let mut saw_root = false;
    let mut action: Option<String> = None;
    let mut redirect_addr: Option<String> = None;
    let mut redirect_url: Option<String> = None;
    let mut protos: Vec<Proto> = Vec::new();
    let mut cur_proto: Option<Proto> = None;
    let mut saw_account = false;
    let mut error: Option<(String, String, String)> = None;
    let mut settings = EwsSettings::default();
    let mut not_pox: Option<String> = None;

    loop {
        let (res, ev) = r
            .read_resolved_event()
            .map_err(|e| PoxError::Malformed(e.to_string()))?;
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(ev, Event::Empty(_));
                let ns = match res {
                    ResolveResult::Bound(ns) => ns.as_ref().to_string(),
                    ResolveResult::Unbound => String::new(),
                    ResolveResult::Unknown(p) => return Err(PoxError::UndeclaredPrefix(p)),
                };
                // Attribute prefixes must resolve too (e.g. `i:nil` with `i` undeclared).
                for a in e.attributes() {
                    let a = a.map_err(|err| PoxError::Malformed(err.to_string()))?;
                    if a.key.as_namespace_binding().is_some() {
                        continue;
                    }
                    if let (ResolveResult::Unknown(p), _) = r.resolver().resolve_attribute(a.key) {
                        return Err(PoxError::UndeclaredPrefix(p));
                    }
                }
                let local = e.local_name().as_ref().to_string();
                if stack.is_empty() {
                    if saw_root {
                        return Err(PoxError::Malformed("more than one root element".into()));
                    }
                    saw_root = true;
                    // Keep reading: a broken document is reported as broken, whatever its root.
                    if local != "Autodiscover" || ns != NS_RESPONSE {
                        not_pox = Some(format!("{{{ns}}}{local}"));
                    }
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(PoxError::TooDeep);
                }
                stack.push((ns, local));
                text_buf.clear();
                on_open(&stack, &mut cur_proto, &mut saw_account, &mut error);
                if is_empty {
                    on_close(
                        &stack,
                        "",
                        &mut cur_proto,
                        &mut protos,
                        &mut action,
                        &mut redirect_addr,
                        &mut redirect_url,
                        &mut error,
                        &mut settings,
                    );
                    stack.pop();
                }
            }
            Event::End(_) => {
                let t = std::mem::take(&mut text_buf);
                on_close(
                    &stack,
                    t.trim(),
                    &mut cur_proto,
                    &mut protos,
                    &mut action,
                    &mut redirect_addr,
                    &mut redirect_url,
                    &mut error,
                    &mut settings,
                );
                stack.pop();
            }
            Event::Text(t) => text_buf.push_str(&t.xml10_content()),
            Event::CData(c) => text_buf.push_str(&c.xml10_content()),
            Event::GeneralRef(g) => {
                if let Some(ch) = g
                    .resolve_char_ref()
                    .map_err(|e| PoxError::Malformed(e.to_string()))?
                {
                    text_buf.push(ch);
                } else {
                    let name = g.xml10_content();
                    match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(v) => text_buf.push_str(v),
                        None => {
                            return Err(PoxError::Malformed(format!("unknown entity &{name};")));
                        }
                    }
                }
            }
            Event::DocType(_) => return Err(PoxError::DocType),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(PoxError::Malformed(
            "the document ends inside an element".into(),
        ));
    }
    if !saw_root {
        return Err(PoxError::Malformed("empty document".into()));
    }
    if let Some(root) = not_pox {
        return Err(PoxError::NotAutodiscover(root));
    }
    if let Some((code, message, debug_data)) = error {
        return Ok(PoxAnswer::Error {
            code,
            message,
            debug_data,
        });
    }
    if !saw_account {
        return Err(PoxError::Empty);
    }
    match action.as_deref() {
        Some("settings") => {
            for p in protos {
                let url = p.ews_url.or(p.as_url);
                match p.kind.as_str() {
                    "EXPR" if settings.external.is_none() => settings.external = url,
                    "EXCH" if settings.internal.is_none() => settings.internal = url,
                    _ => {}
                }
            }
            if settings.preferred().is_none() {
                return Err(PoxError::NoEwsUrl);
            }
            Ok(PoxAnswer::Settings(settings))
        }
        Some("redirectAddr") => redirect_addr
            .filter(|s| !s.is_empty())
            .map(PoxAnswer::RedirectAddr)
            .ok_or(PoxError::MissingRedirectTarget),
        Some("redirectUrl") => redirect_url
            .filter(|s| !s.is_empty())
            .map(PoxAnswer::RedirectUrl)
            .ok_or(PoxError::MissingRedirectTarget),
        Some(other) => Err(PoxError::UnknownAction(other.to_string())),
        None => Err(PoxError::UnknownAction(String::new())),
    }
}

fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(b)
}

/// The local names of the path below `Autodiscover/Response`, when the `Response` is in one
/// of the two namespaces Exchange uses and every element below it shares that namespace.
fn rel_path(stack: &[(String, String)]) -> Option<Vec<&str>> {
    let (root_ns, root) = stack.first()?;
    if root != "Autodiscover" || root_ns != NS_RESPONSE {
        return None;
    }
    let (resp_ns, resp) = stack.get(1)?;
    if resp != "Response" || (resp_ns != NS_OUTLOOK_RESPONSE && resp_ns != NS_RESPONSE) {
        return None;
    }
    let mut out = Vec::with_capacity(stack.len() - 2);
    for (ns, l) in &stack[2..] {
        if ns != resp_ns {
            return None;
        }
        out.push(l.as_str());
    }
    Some(out)
}

fn on_open(
    stack: &[(String, String)],
    cur_proto: &mut Option<Proto>,
    saw_account: &mut bool,
    error: &mut Option<(String, String, String)>,
) {
    let Some(p) = rel_path(stack) else { return };
    match p.as_slice() {
        ["Account"] => *saw_account = true,
        ["Account", "Protocol"] => *cur_proto = Some(Proto::default()),
        ["Error"] => {
            error.get_or_insert_with(Default::default);
        }
        _ => {}
    }
}

#[allow(clippy::too_many_arguments)]
fn on_close(
    stack: &[(String, String)],
    text: &str,
    cur_proto: &mut Option<Proto>,
    protos: &mut Vec<Proto>,
    action: &mut Option<String>,
    redirect_addr: &mut Option<String>,
    redirect_url: &mut Option<String>,
    error: &mut Option<(String, String, String)>,
    settings: &mut EwsSettings,
) {
    let Some(p) = rel_path(stack) else { return };
    let val = || Some(text.to_string());
    match p.as_slice() {
        ["User", "AutoDiscoverSMTPAddress"] => settings.smtp_address = val(),
        ["User", "DisplayName"] => settings.display_name = val(),
        ["Account", "Action"] => *action = val(),
        ["Account", "RedirectAddr"] => *redirect_addr = val(),
        // Exchange spells it `RedirectURL`; the Managed API matches `RedirectUrl` too.
        ["Account", "RedirectURL" | "RedirectUrl"] => *redirect_url = val(),
        ["Account", "Protocol", "Type"] => {
            if let Some(c) = cur_proto.as_mut() {
                c.kind = text.to_string();
            }
        }
        ["Account", "Protocol", "EwsUrl"] => {
            if let Some(c) = cur_proto.as_mut().filter(|_| !text.is_empty()) {
                c.ews_url = val();
            }
        }
        ["Account", "Protocol", "ASUrl"] => {
            if let Some(c) = cur_proto.as_mut().filter(|_| !text.is_empty()) {
                c.as_url = val();
            }
        }
        ["Account", "Protocol"] => {
            if let Some(c) = cur_proto.take() {
                protos.push(c);
            }
        }
        ["Error", "ErrorCode"] => {
            if let Some(e) = error.as_mut() {
                e.0 = text.to_string();
            }
        }
        ["Error", "Message"] => {
            if let Some(e) = error.as_mut() {
                e.1 = text.to_string();
            }
        }
        ["Error", "DebugData"] => {
            if let Some(e) = error.as_mut() {
                e.2 = text.to_string();
            }
        }
        _ => {}
    }
}

/// True when `path` is an Autodiscover POX path: `/autodiscover/(…/)*autodiscover.xml`,
/// case-insensitive (the rule the EWS Managed API applies to an HTTP redirect's `Location`).
pub fn is_autodiscover_path(path: &str) -> bool {
    let p = path.to_ascii_lowercase();
    let segs: Vec<&str> = p.trim_start_matches('/').split('/').collect();
    segs.len() >= 2
        && segs.first() == Some(&"autodiscover")
        && segs.last() == Some(&"autodiscover.xml")
        && segs
            .iter()
            .all(|s| !s.is_empty() && *s != ".." && *s != ".")
}

/// The Exchange Online Autodiscover v2 URL for `smtp` (unauthenticated GET).
pub fn v2_json_url(host: &str, smtp: &str) -> String {
    let mut enc = String::with_capacity(smtp.len());
    for b in smtp.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'@' | b'.' | b'-' | b'_' | b'+') {
            enc.push(char::from(b));
        } else {
            enc.push_str(&format!("%{b:02X}"));
        }
    }
    format!("https://{host}/autodiscover/autodiscover.json/v1.0/{enc}?Protocol=EWS")
}

/// The Exchange Online (and modern on-premises) `autodiscover.json/v1.0` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V2Answer {
    pub protocol: String,
    pub url: String,
}

/// Why a JSON body is not a usable v2 answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum V2Error {
    #[error("the answer is larger than {MAX_BODY} bytes")]
    TooLarge,
    #[error("the answer is not JSON: {}", super::clip(.0))]
    NotJson(String),
    #[error("the answer has no Url")]
    NoUrl,
    #[error("the answer is for protocol {}, not EWS", super::clip(.0))]
    WrongProtocol(String),
    #[error("the server reported: {}", super::clip(.0))]
    Server(String),
}

/// Parses `{"Protocol":"EWS","Url":"https://…/EWS/Exchange.asmx"}`. Error bodies
/// (`{"ErrorCode":"…","ErrorMessage":"…"}`) become [`V2Error::Server`] with the code.
pub fn parse_v2_json(body: &[u8]) -> Result<V2Answer, V2Error> {
    if body.len() > MAX_BODY {
        return Err(V2Error::TooLarge);
    }
    // serde_json bounds recursion itself (128 levels).
    let v: serde_json::Value =
        serde_json::from_slice(strip_bom(body)).map_err(|e| V2Error::NotJson(e.to_string()))?;
    let obj = v
        .as_object()
        .ok_or_else(|| V2Error::NotJson("not an object".into()))?;
    if let Some(code) = obj.get("ErrorCode").and_then(|c| c.as_str()) {
        return Err(V2Error::Server(code.to_string()));
    }
    let protocol = obj
        .get("Protocol")
        .and_then(|p| p.as_str())
        .unwrap_or_default()
        .to_string();
    let url = obj
        .get("Url")
        .and_then(|u| u.as_str())
        .filter(|u| !u.is_empty())
        .ok_or(V2Error::NoUrl)?
        .to_string();
    if !protocol.eq_ignore_ascii_case("EWS") {
        return Err(V2Error::WrongProtocol(protocol));
    }
    Ok(V2Answer { protocol, url })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_escapes_the_address() {
        let body = pox_request("a<b>&\"c@contoso.example");
        assert!(body.contains("a&lt;b&gt;&amp;"), "{body}");
        assert!(!body.contains("<b>"));
    }

    #[test]
    fn autodiscover_paths() {
        assert!(is_autodiscover_path("/autodiscover/autodiscover.xml"));
        assert!(is_autodiscover_path("/Autodiscover/AutoDiscover.xml"));
        assert!(is_autodiscover_path("/autodiscover/x/autodiscover.xml"));
        assert!(!is_autodiscover_path("/owa/autodiscover.xml"));
        assert!(!is_autodiscover_path("/autodiscover/../autodiscover.xml"));
        assert!(!is_autodiscover_path("/autodiscover/autodiscover.svc"));
        assert!(!is_autodiscover_path("/autodiscover.xml"));
    }
}
