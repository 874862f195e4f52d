//! EWS SOAP wire code: builds the two requests the wizard sends (`GetFolder` on distinguished
//! folders, `GetPasswordExpirationDate`) and parses what Exchange answers (SOAP faults,
//! `ResponseMessages`, `ServerVersionInfo`, `BackOffMilliseconds`, the password expiry date).
//!
//! Must not do I/O, read clocks or decide what a code means for the admin (that is
//! [`crate::checks`]). Requests are written with quick-xml's writer so every value is escaped;
//! user input is never formatted into markup. The parser is namespace-aware (an element counts
//! only in its real namespace), bounded by [`super::MAX_BODY`] and [`super::MAX_DEPTH`], refuses
//! DTDs and never expands entities beyond XML's five predefined ones and character references.

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesStart, BytesText, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use std::fmt;

/// SOAP 1.1 envelope namespace (Exchange speaks SOAP 1.1 only).
pub const NS_SOAP: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// EWS types namespace (`t:`), also the namespace of `faultcode` QNames and `MessageXml`.
pub const NS_TYPES: &str = "http://schemas.microsoft.com/exchange/services/2006/types";
/// EWS messages namespace (`m:`).
pub const NS_MESSAGES: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
/// EWS errors namespace (`e:`), used inside SOAP fault `detail`.
pub const NS_ERRORS: &str = "http://schemas.microsoft.com/exchange/services/2006/errors";

/// The `Content-Type` every EWS request carries.
pub const CONTENT_TYPE: &str = "text/xml; charset=utf-8";

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

/// A `RequestServerVersion` value. Only schema values (`Exchange2019` is not one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RequestVersion {
    Exchange2010Sp1,
    Exchange2010Sp2,
    Exchange2013,
    Exchange2013Sp1,
    /// Accepted by Exchange 2016, 2019, SE and Exchange Online.
    #[default]
    Exchange2016,
}

impl RequestVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestVersion::Exchange2010Sp1 => "Exchange2010_SP1",
            RequestVersion::Exchange2010Sp2 => "Exchange2010_SP2",
            RequestVersion::Exchange2013 => "Exchange2013",
            RequestVersion::Exchange2013Sp1 => "Exchange2013_SP1",
            RequestVersion::Exchange2016 => "Exchange2016",
        }
    }
}

/// A distinguished (well-known) folder. Ids are lowercase on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Folder {
    Inbox,
    Contacts,
    Calendar,
    SentItems,
    MsgFolderRoot,
    Root,
}

impl Folder {
    pub fn as_str(self) -> &'static str {
        match self {
            Folder::Inbox => "inbox",
            Folder::Contacts => "contacts",
            Folder::Calendar => "calendar",
            Folder::SentItems => "sentitems",
            Folder::MsgFolderRoot => "msgfolderroot",
            Folder::Root => "root",
        }
    }
}

impl fmt::Display for Folder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The folders the product syncs and sends through, asked for together in one call.
pub const PRODUCT_FOLDERS: [Folder; 3] = [Folder::Contacts, Folder::Calendar, Folder::SentItems];

/// Who an `ExchangeImpersonation` header acts as. One variant = exactly one `ConnectingSID`
/// child, as the schema's `xs:choice` requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectingSid {
    PrimarySmtpAddress(String),
    SmtpAddress(String),
    PrincipalName(String),
}

impl ConnectingSid {
    fn parts(&self) -> (&'static str, &str) {
        match self {
            ConnectingSid::PrimarySmtpAddress(v) => ("t:PrimarySmtpAddress", v),
            ConnectingSid::SmtpAddress(v) => ("t:SmtpAddress", v),
            ConnectingSid::PrincipalName(v) => ("t:PrincipalName", v),
        }
    }

    /// The address or name carried (for `X-AnchorMailbox`).
    pub fn value(&self) -> &str {
        self.parts().1
    }
}

/// `FolderShape/BaseShape`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BaseShape {
    IdOnly,
    #[default]
    Default,
}

impl BaseShape {
    fn as_str(self) -> &'static str {
        match self {
            BaseShape::IdOnly => "IdOnly",
            BaseShape::Default => "Default",
        }
    }
}

/// A `GetFolder` request on distinguished folders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetFolder {
    pub version: RequestVersion,
    pub impersonate: Option<ConnectingSid>,
    pub folders: Vec<Folder>,
    pub shape: BaseShape,
    /// Delegate access without impersonation: the primary SMTP address put in each
    /// `DistinguishedFolderId/Mailbox` (needed when the caller has no mailbox of its own).
    pub mailbox: Option<String>,
}

impl GetFolder {
    /// `GetFolder` on the caller's own mailbox.
    pub fn own(folders: &[Folder]) -> GetFolder {
        GetFolder {
            version: RequestVersion::default(),
            impersonate: None,
            folders: folders.to_vec(),
            shape: BaseShape::Default,
            mailbox: None,
        }
    }

    /// `GetFolder` acting as `smtp` through `ExchangeImpersonation` (`PrimarySmtpAddress`).
    pub fn impersonating(smtp: &str, folders: &[Folder]) -> GetFolder {
        GetFolder {
            impersonate: Some(ConnectingSid::PrimarySmtpAddress(smtp.to_string())),
            ..GetFolder::own(folders)
        }
    }

    /// The `X-AnchorMailbox` header value an impersonated call must carry.
    pub fn anchor_mailbox(&self) -> Option<&str> {
        self.impersonate.as_ref().map(ConnectingSid::value)
    }

    /// The SOAP envelope, UTF-8.
    pub fn to_xml(&self) -> Result<String, BuildError> {
        if self.folders.is_empty() {
            return Err(BuildError::NoFolders);
        }
        if let Some(sid) = &self.impersonate {
            check_value("ConnectingSID", sid.value())?;
        }
        if let Some(mb) = &self.mailbox {
            check_value("Mailbox", mb)?;
        }
        envelope(self.version, self.impersonate.as_ref(), |w| {
            w.create_element("m:GetFolder").write_inner_content(|w| {
                w.create_element("m:FolderShape").write_inner_content(|w| {
                    w.create_element("t:BaseShape")
                        .write_text_content(BytesText::new(self.shape.as_str()))?;
                    Ok(())
                })?;
                w.create_element("m:FolderIds").write_inner_content(|w| {
                    for f in &self.folders {
                        let el = w
                            .create_element("t:DistinguishedFolderId")
                            .with_attribute(("Id", f.as_str()));
                        match &self.mailbox {
                            None => {
                                el.write_empty()?;
                            }
                            Some(mb) => {
                                el.write_inner_content(|w| {
                                    w.create_element("t:Mailbox").write_inner_content(|w| {
                                        w.create_element("t:EmailAddress")
                                            .write_text_content(BytesText::new(mb))?;
                                        Ok(())
                                    })?;
                                    Ok(())
                                })?;
                            }
                        }
                    }
                    Ok(())
                })?;
                Ok(())
            })?;
            Ok(())
        })
    }
}

/// A `GetPasswordExpirationDate` request. It never carries an impersonation header: the WSDL
/// allows only `RequestServerVersion` and `MailboxCulture` for this operation, so the type has
/// no way to add one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetPasswordExpirationDate {
    pub version: RequestVersion,
    pub mailbox_smtp: String,
}

impl GetPasswordExpirationDate {
    pub fn new(mailbox_smtp: &str) -> GetPasswordExpirationDate {
        GetPasswordExpirationDate {
            version: RequestVersion::default(),
            mailbox_smtp: mailbox_smtp.to_string(),
        }
    }

    /// The SOAP envelope, UTF-8.
    pub fn to_xml(&self) -> Result<String, BuildError> {
        check_value("MailboxSmtpAddress", &self.mailbox_smtp)?;
        envelope(self.version, None, |w| {
            w.create_element("m:GetPasswordExpirationDate")
                .write_inner_content(|w| {
                    w.create_element("m:MailboxSmtpAddress")
                        .write_text_content(BytesText::new(&self.mailbox_smtp))?;
                    Ok(())
                })?;
            Ok(())
        })
    }
}

/// Why a request could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("the request names no folder")]
    NoFolders,
    #[error("the {0} value is empty")]
    Empty(&'static str),
    #[error("the {0} value contains a character XML cannot carry")]
    BadChar(&'static str),
    #[error("could not write the request: {0}")]
    Write(String),
}

/// Characters XML 1.0 cannot carry at all (escaping cannot help): refuse rather than send.
fn check_value(what: &'static str, v: &str) -> Result<(), BuildError> {
    if v.trim().is_empty() {
        return Err(BuildError::Empty(what));
    }
    let ok = v.chars().all(|c| {
        matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
    });
    if ok {
        Ok(())
    } else {
        Err(BuildError::BadChar(what))
    }
}

type W = Writer<Vec<u8>>;

fn envelope(
    version: RequestVersion,
    impersonate: Option<&ConnectingSid>,
    body: impl FnOnce(&mut W) -> std::io::Result<()>,
) -> Result<String, BuildError> {
    let mut w = Writer::new(Vec::with_capacity(1024));
    let res = (|| -> std::io::Result<()> {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
        let root = BytesStart::new("soap:Envelope").with_attributes([
            ("xmlns:soap", NS_SOAP),
            ("xmlns:t", NS_TYPES),
            ("xmlns:m", NS_MESSAGES),
        ]);
        w.write_event(Event::Start(root.borrow()))?;
        w.create_element("soap:Header").write_inner_content(|w| {
            w.create_element("t:RequestServerVersion")
                .with_attribute(("Version", version.as_str()))
                .write_empty()?;
            if let Some(sid) = impersonate {
                let (tag, value) = sid.parts();
                w.create_element("t:ExchangeImpersonation")
                    .write_inner_content(|w| {
                        w.create_element("t:ConnectingSID")
                            .write_inner_content(|w| {
                                w.create_element(tag)
                                    .write_text_content(BytesText::new(value))?;
                                Ok(())
                            })?;
                        Ok(())
                    })?;
            }
            Ok(())
        })?;
        w.create_element("soap:Body").write_inner_content(body)?;
        w.write_event(Event::End(root.to_end()))?;
        Ok(())
    })();
    res.map_err(|e| BuildError::Write(e.to_string()))?;
    String::from_utf8(w.into_inner()).map_err(|e| BuildError::Write(e.to_string()))
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

/// Why a response body could not be understood. Carries no body text beyond a short reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the answer is empty")]
    Empty,
    #[error("the answer is too large ({0} bytes)")]
    TooLarge(usize),
    #[error("the answer nests deeper than {0} levels")]
    TooDeep(usize),
    #[error("the answer is not UTF-8 text")]
    NotUtf8,
    #[error("the answer is not well-formed XML: {}", super::clip(.0))]
    Malformed(String),
    #[error("the answer uses an XML prefix it never declared: {}", super::clip(.0))]
    Namespace(String),
    #[error("the answer declares a DTD or an entity, which is refused")]
    Dtd,
    #[error("the answer uses the entity &{}; which is not one of XML's own", super::clip(.0))]
    Entity(String),
    #[error("the answer is not a SOAP envelope (root {})", super::clip(.0))]
    NotSoap(String),
    #[error("the SOAP envelope has no body")]
    NoBody,
    #[error("the SOAP body is not a known EWS answer: {}", super::clip(.0))]
    Unexpected(String),
}

/// A namespace-resolved XML name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XName {
    pub ns: Option<String>,
    pub local: String,
}

impl XName {
    fn is(&self, ns: &str, local: &str) -> bool {
        self.ns.as_deref() == Some(ns) && self.local == local
    }
}

impl fmt::Display for XName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.ns {
            Some(ns) => write!(f, "{{{ns}}}{}", self.local),
            None => f.write_str(&self.local),
        }
    }
}

#[derive(Debug, Clone)]
struct Elem {
    name: XName,
    /// Attributes without a namespace (EWS attributes are unqualified).
    attrs: Vec<(String, String)>,
    children: Vec<Elem>,
    text: String,
    /// When the text is `prefix:local`, the prefix resolved where the element stood (for
    /// QName-valued content such as `faultcode`).
    text_qname: Option<XName>,
}

impl Elem {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn child(&self, ns: &str, local: &str) -> Option<&Elem> {
        self.children.iter().find(|c| c.name.is(ns, local))
    }
    fn child_any(&self, nss: &[&str], local: &str) -> Option<&Elem> {
        nss.iter().find_map(|ns| self.child(ns, local))
    }
    fn trimmed(&self) -> Option<String> {
        let t = self.text.trim();
        (!t.is_empty()).then(|| t.to_string())
    }
}

/// Reads a whole document into a small tree, enforcing every bound.
fn parse_tree(body: &[u8]) -> Result<Elem, ParseError> {
    if body.len() > super::MAX_BODY {
        return Err(ParseError::TooLarge(body.len()));
    }
    let text = std::str::from_utf8(body).map_err(|_| ParseError::NotUtf8)?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(ParseError::Empty);
    }
    let mut reader = NsReader::from_str(text);
    {
        let cfg = reader.config_mut();
        cfg.check_end_names = true;
        cfg.allow_unmatched_ends = false;
        cfg.expand_empty_elements = false;
    }
    let mut stack: Vec<Elem> = Vec::new();
    let mut root: Option<Elem> = None;
    loop {
        let (ns, ev) = reader
            .read_resolved_event()
            .map_err(|e| map_xml_error(&e))?;
        match ev {
            Event::Start(e) | Event::Empty(e) if root.is_some() => {
                let _ = e;
                return Err(ParseError::Malformed(
                    "more than one root element".to_string(),
                ));
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = XName {
                    ns: resolved_ns(&ns, e.name().as_ref())?,
                    local: e.local_name().as_ref().to_string(),
                };
                let mut attrs = Vec::new();
                for a in e.attributes() {
                    let a = a.map_err(|e| ParseError::Malformed(e.to_string()))?;
                    let key = a.key;
                    if key.as_namespace_binding().is_some() {
                        continue;
                    }
                    let (rns, local) = reader.resolver().resolve_attribute(key);
                    let value = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| map_xml_error(&e))?
                        .into_owned();
                    match rns {
                        ResolveResult::Unknown(p) => return Err(ParseError::Namespace(p)),
                        ResolveResult::Unbound => attrs.push((local.as_ref().to_string(), value)),
                        ResolveResult::Bound(_) => {}
                    }
                }
                let el = Elem {
                    name,
                    attrs,
                    children: Vec::new(),
                    text: String::new(),
                    text_qname: None,
                };
                if matches!(ev, Event::Start(_)) {
                    if stack.len() >= super::MAX_DEPTH {
                        return Err(ParseError::TooDeep(super::MAX_DEPTH));
                    }
                    stack.push(el);
                } else {
                    attach(&mut stack, &mut root, el);
                }
            }
            Event::End(_) => {
                let Some(mut el) = stack.pop() else {
                    return Err(ParseError::Malformed("unexpected end tag".to_string()));
                };
                // The element's own prefixes are still in scope here: resolve QName text now.
                let t = el.text.trim();
                if let Some((p, local)) = t.split_once(':')
                    && !p.is_empty()
                    && !local.is_empty()
                    && !t.contains(char::is_whitespace)
                {
                    let r = reader
                        .resolver()
                        .resolve_prefix(quick_xml::name::QName(t).prefix(), false);
                    el.text_qname = Some(XName {
                        ns: match r {
                            ResolveResult::Bound(n) => Some(n.as_ref().to_string()),
                            _ => None,
                        },
                        local: local.to_string(),
                    });
                }
                attach(&mut stack, &mut root, el);
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                } else if !t.xml10_content().trim().is_empty() {
                    return Err(ParseError::Malformed("text outside the root".to_string()));
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let ch = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => {
                        let name = r.xml10_content().into_owned();
                        match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(s) => s.to_string(),
                            None => return Err(ParseError::Entity(name)),
                        }
                    }
                    Err(e) => return Err(ParseError::Malformed(e.to_string())),
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&ch);
                }
            }
            Event::DocType(_) => return Err(ParseError::Dtd),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(open) = stack.last() {
        return Err(ParseError::Malformed(format!(
            "element {} is never closed",
            open.name.local
        )));
    }
    root.ok_or(ParseError::Empty)
}

fn resolved_ns(r: &ResolveResult<'_>, qname: &str) -> Result<Option<String>, ParseError> {
    match r {
        ResolveResult::Bound(n) => Ok(Some(n.as_ref().to_string())),
        ResolveResult::Unbound => Ok(None),
        ResolveResult::Unknown(p) => Err(ParseError::Namespace(format!("{p} (in <{qname}>)"))),
    }
}

fn attach(stack: &mut [Elem], root: &mut Option<Elem>, el: Elem) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None => *root = Some(el),
    }
}

fn map_xml_error(e: &quick_xml::Error) -> ParseError {
    match e {
        quick_xml::Error::Namespace(n) => ParseError::Namespace(n.to_string()),
        quick_xml::Error::Escape(quick_xml::escape::EscapeError::UnrecognizedEntity(_, name)) => {
            ParseError::Entity(name.clone())
        }
        other => ParseError::Malformed(other.to_string()),
    }
}

/// `ServerVersionInfo` from the SOAP header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerVersionInfo {
    pub major: Option<u32>,
    pub minor: Option<u32>,
    pub major_build: Option<u32>,
    pub minor_build: Option<u32>,
    /// Schema version such as `V2018_01_08` (absent on old servers).
    pub version: Option<String>,
}

impl ServerVersionInfo {
    /// `15.20.1234.5`.
    pub fn build(&self) -> String {
        [self.major, self.minor, self.major_build, self.minor_build]
            .iter()
            .map(|p| p.map(|v| v.to_string()).unwrap_or_else(|| "?".to_string()))
            .collect::<Vec<_>>()
            .join(".")
    }
}

impl fmt::Display for ServerVersionInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.version {
            Some(v) => write!(f, "{} ({v})", self.build()),
            None => f.write_str(&self.build()),
        }
    }
}

/// A request-level error (`soap:Fault`, usually with HTTP 500).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SoapFault {
    /// `faultcode`, resolved: `{types}ErrorServerBusy` or `{soap}Client`.
    pub faultcode: Option<XName>,
    pub faultstring: Option<String>,
    pub faultactor: Option<String>,
    /// `detail/e:ResponseCode`.
    pub response_code: Option<String>,
    /// `detail/e:Message`.
    pub message: Option<String>,
    /// `detail/t:MessageXml/t:Value` pairs (`BackOffMilliseconds`…) and leaf elements
    /// (`LineNumber`, `Violation`…), in order.
    pub message_xml: Vec<(String, String)>,
}

impl SoapFault {
    /// The EWS response code: `detail/ResponseCode` when present, else the local part of an
    /// EWS-namespaced `faultcode`, else the bare `faultcode` (`Client`, `Server`).
    pub fn code(&self) -> Option<&str> {
        if let Some(c) = &self.response_code {
            return Some(c);
        }
        self.faultcode.as_ref().map(|q| q.local.as_str())
    }

    /// True when `faultcode` is a SOAP-level code (`soap:Client`, `soap:Server`) rather than
    /// an EWS response code.
    pub fn is_soap_level(&self) -> bool {
        self.response_code.is_none()
            && self
                .faultcode
                .as_ref()
                .is_some_and(|q| q.ns.as_deref() == Some(NS_SOAP))
    }

    pub fn back_off_ms(&self) -> Option<u64> {
        back_off(&self.message_xml)
    }

    /// The server's own words (for unknown codes).
    pub fn text(&self) -> Option<&str> {
        self.message.as_deref().or(self.faultstring.as_deref())
    }
}

/// `ResponseClass` of one response message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseClass {
    Success,
    Warning,
    Error,
}

/// One `…ResponseMessage` (one per requested folder, in request order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseMessage {
    /// Element name, e.g. `GetFolderResponseMessage`.
    pub element: String,
    pub class: ResponseClass,
    pub code: Option<String>,
    pub message_text: Option<String>,
    pub message_xml: Vec<(String, String)>,
    /// Children of `m:Folders` (`Folder`, `CalendarFolder`, `ContactsFolder`…).
    pub folders: Vec<FolderInfo>,
}

impl ResponseMessage {
    /// The code, `NoError` when a success message leaves it out.
    pub fn code_or_default(&self) -> &str {
        match (&self.code, self.class) {
            (Some(c), _) => c,
            (None, ResponseClass::Success) => "NoError",
            (None, _) => "",
        }
    }

    pub fn is_success(&self) -> bool {
        self.class == ResponseClass::Success
    }

    pub fn back_off_ms(&self) -> Option<u64> {
        back_off(&self.message_xml)
    }
}

/// A folder returned by `GetFolder`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FolderInfo {
    /// Element name (`Folder`, `CalendarFolder`, `ContactsFolder`, `SearchFolder`, `TasksFolder`).
    pub kind: String,
    pub id: Option<String>,
    pub display_name: Option<String>,
    pub total_count: Option<u64>,
}

/// What `PasswordExpirationDate` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordExpiry {
    /// Empty, absent, nil, or a date in year 9999 or later.
    Never,
    At(time::OffsetDateTime),
    /// A value that is not an `xs:dateTime` (kept for the admin to see).
    Unreadable(String),
}

/// The `GetPasswordExpirationDateResponse` (a single message, not wrapped in
/// `ResponseMessages`; the wrapped form is accepted too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordExpirationResponse {
    pub message: ResponseMessage,
    pub expiry: PasswordExpiry,
}

/// The body of an EWS answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Fault(SoapFault),
    /// An `…Response` with `ResponseMessages` (GetFolder and any other operation).
    Messages {
        /// Element name, e.g. `GetFolderResponse`.
        operation: String,
        messages: Vec<ResponseMessage>,
    },
    PasswordExpiration(PasswordExpirationResponse),
}

/// A parsed EWS answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub server_version: Option<ServerVersionInfo>,
    pub body: Body,
}

impl Response {
    pub fn fault(&self) -> Option<&SoapFault> {
        match &self.body {
            Body::Fault(f) => Some(f),
            _ => None,
        }
    }

    /// Every response message (one for GetPasswordExpirationDate).
    pub fn messages(&self) -> &[ResponseMessage] {
        match &self.body {
            Body::Fault(_) => &[],
            Body::Messages { messages, .. } => messages,
            Body::PasswordExpiration(p) => std::slice::from_ref(&p.message),
        }
    }

    /// The first code that is not `NoError`: the fault's code or the first non-success
    /// message's code.
    pub fn first_error_code(&self) -> Option<&str> {
        match &self.body {
            Body::Fault(f) => Some(f.code().unwrap_or("")),
            _ => self
                .messages()
                .iter()
                .find(|m| !m.is_success())
                .map(|m| m.code_or_default()),
        }
    }

    /// The largest `BackOffMilliseconds` anywhere in the answer.
    pub fn back_off_ms(&self) -> Option<u64> {
        match &self.body {
            Body::Fault(f) => f.back_off_ms(),
            _ => self
                .messages()
                .iter()
                .filter_map(ResponseMessage::back_off_ms)
                .max(),
        }
    }
}

fn back_off(values: &[(String, String)]) -> Option<u64> {
    values
        .iter()
        .find(|(k, _)| k == "BackOffMilliseconds")
        .and_then(|(_, v)| v.trim().parse().ok())
}

/// Parses an EWS answer body (any HTTP status: faults come with 500).
pub fn parse_response(body: &[u8]) -> Result<Response, ParseError> {
    let root = parse_tree(body)?;
    if !root.name.is(NS_SOAP, "Envelope") {
        return Err(ParseError::NotSoap(root.name.to_string()));
    }
    let server_version = root
        .child(NS_SOAP, "Header")
        .and_then(|h| h.child(NS_TYPES, "ServerVersionInfo"))
        .map(|v| {
            let num = |k: &str| v.attr(k).and_then(|s| s.trim().parse().ok());
            ServerVersionInfo {
                major: num("MajorVersion"),
                minor: num("MinorVersion"),
                major_build: num("MajorBuildNumber"),
                minor_build: num("MinorBuildNumber"),
                version: v.attr("Version").map(str::to_string),
            }
        });
    let body_el = root.child(NS_SOAP, "Body").ok_or(ParseError::NoBody)?;
    let first = body_el
        .children
        .first()
        .ok_or_else(|| ParseError::Unexpected("empty body".to_string()))?;
    let body = if first.name.is(NS_SOAP, "Fault") {
        Body::Fault(parse_fault(first))
    } else if first
        .name
        .is(NS_MESSAGES, "GetPasswordExpirationDateResponse")
    {
        Body::PasswordExpiration(parse_password_expiration(first)?)
    } else if first.name.ns.as_deref() == Some(NS_MESSAGES) {
        let rm = first
            .child(NS_MESSAGES, "ResponseMessages")
            .ok_or_else(|| {
                ParseError::Unexpected(format!("{} without ResponseMessages", first.name.local))
            })?;
        let messages = rm
            .children
            .iter()
            .filter(|c| c.name.ns.as_deref() == Some(NS_MESSAGES))
            .map(parse_message)
            .collect::<Result<Vec<_>, _>>()?;
        Body::Messages {
            operation: first.name.local.clone(),
            messages,
        }
    } else {
        return Err(ParseError::Unexpected(first.name.to_string()));
    };
    Ok(Response {
        server_version,
        body,
    })
}

fn parse_fault(f: &Elem) -> SoapFault {
    // faultcode/faultstring/faultactor/detail are unqualified in SOAP 1.1.
    let plain = |local: &str| {
        f.children
            .iter()
            .find(|c| c.name.ns.is_none() && c.name.local == local)
    };
    let faultcode = plain("faultcode").and_then(|c| {
        c.text_qname
            .clone()
            .or_else(|| c.trimmed().map(|t| XName { ns: None, local: t }))
    });
    let mut fault = SoapFault {
        faultcode,
        faultstring: plain("faultstring").and_then(Elem::trimmed),
        faultactor: plain("faultactor").and_then(Elem::trimmed),
        ..SoapFault::default()
    };
    if let Some(detail) = plain("detail") {
        fault.response_code = detail
            .child_any(&[NS_ERRORS, NS_MESSAGES], "ResponseCode")
            .and_then(Elem::trimmed);
        fault.message = detail
            .child_any(&[NS_ERRORS, NS_MESSAGES], "Message")
            .and_then(Elem::trimmed);
        if let Some(mx) = detail.child_any(&[NS_TYPES, NS_ERRORS, NS_MESSAGES], "MessageXml") {
            fault.message_xml = message_xml(mx);
        }
    }
    fault
}

fn message_xml(mx: &Elem) -> Vec<(String, String)> {
    mx.children
        .iter()
        .filter(|c| c.name.ns.as_deref() == Some(NS_TYPES))
        .map(|c| {
            let key = if c.name.local == "Value" {
                c.attr("Name").unwrap_or("Value").to_string()
            } else {
                c.name.local.clone()
            };
            (key, c.text.trim().to_string())
        })
        .collect()
}

fn parse_class(el: &Elem) -> Result<ResponseClass, ParseError> {
    match el.attr("ResponseClass") {
        Some("Success") => Ok(ResponseClass::Success),
        Some("Warning") => Ok(ResponseClass::Warning),
        Some("Error") => Ok(ResponseClass::Error),
        Some(other) => Err(ParseError::Unexpected(format!(
            "ResponseClass \"{}\"",
            other.chars().take(40).collect::<String>()
        ))),
        None => Err(ParseError::Unexpected(format!(
            "{} without ResponseClass",
            el.name.local
        ))),
    }
}

fn parse_message(el: &Elem) -> Result<ResponseMessage, ParseError> {
    let class = parse_class(el)?;
    let folders = el
        .child(NS_MESSAGES, "Folders")
        .map(|fs| {
            fs.children
                .iter()
                .filter(|c| c.name.ns.as_deref() == Some(NS_TYPES))
                .map(|c| FolderInfo {
                    kind: c.name.local.clone(),
                    id: c
                        .child(NS_TYPES, "FolderId")
                        .and_then(|i| i.attr("Id"))
                        .map(str::to_string),
                    display_name: c.child(NS_TYPES, "DisplayName").and_then(Elem::trimmed),
                    total_count: c
                        .child(NS_TYPES, "TotalCount")
                        .and_then(|t| t.text.trim().parse().ok()),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(ResponseMessage {
        element: el.name.local.clone(),
        class,
        code: el
            .child(NS_MESSAGES, "ResponseCode")
            .and_then(Elem::trimmed),
        message_text: el.child(NS_MESSAGES, "MessageText").and_then(Elem::trimmed),
        message_xml: el
            .child_any(&[NS_MESSAGES, NS_TYPES], "MessageXml")
            .map(message_xml)
            .unwrap_or_default(),
        folders,
    })
}

fn parse_password_expiration(el: &Elem) -> Result<PasswordExpirationResponse, ParseError> {
    // Accept the wrapped shape some documentation shows as well as the schema's own.
    let msg_el = match el.child(NS_MESSAGES, "ResponseMessages") {
        Some(rm) => rm
            .children
            .first()
            .ok_or_else(|| ParseError::Unexpected("empty ResponseMessages".to_string()))?,
        None => el,
    };
    let message = parse_message(msg_el)?;
    let date_el = msg_el
        .child(NS_MESSAGES, "PasswordExpirationDate")
        .or_else(|| msg_el.child(NS_TYPES, "PasswordExpirationDate"));
    let nil = date_el.is_some_and(|d| {
        // xsi:nil is namespaced, so it is not in `attrs`; an empty element means the same.
        d.trimmed().is_none()
    });
    let expiry = match date_el.and_then(Elem::trimmed) {
        None => PasswordExpiry::Never,
        Some(_) if nil => PasswordExpiry::Never,
        Some(raw) => parse_xs_datetime(&raw),
    };
    Ok(PasswordExpirationResponse { message, expiry })
}

/// Parses an `xs:dateTime`; a value without a zone is taken as UTC; year ≥ 9999 is "never".
pub fn parse_xs_datetime(raw: &str) -> PasswordExpiry {
    use time::format_description::well_known::Rfc3339;
    // `get`, not `[..4]`: the text comes from the server and may hold a multi-byte character.
    if raw
        .get(..4)
        .and_then(|y| y.parse::<u32>().ok())
        .is_some_and(|y| y >= 9999)
    {
        return PasswordExpiry::Never;
    }
    if let Ok(t) = time::OffsetDateTime::parse(raw, &Rfc3339) {
        return PasswordExpiry::At(t);
    }
    let with_z = format!("{raw}Z");
    if let Ok(t) = time::OffsetDateTime::parse(&with_z, &Rfc3339) {
        return PasswordExpiry::At(t);
    }
    PasswordExpiry::Unreadable(raw.chars().take(64).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_folder_escapes_and_has_one_connecting_child() {
        let g = GetFolder::impersonating("a&<b>\"@contoso.com", &PRODUCT_FOLDERS);
        let x = g.to_xml().unwrap();
        assert!(
            x.contains(
                "<t:PrimarySmtpAddress>a&amp;&lt;b&gt;&quot;@contoso.com</t:PrimarySmtpAddress>"
            ),
            "{x}"
        );
        assert_eq!(x.matches("<t:ConnectingSID>").count(), 1);
        assert!(x.contains(r#"<t:RequestServerVersion Version="Exchange2016"/>"#));
        assert!(x.contains(r#"<t:DistinguishedFolderId Id="sentitems"/>"#));
        assert_eq!(g.anchor_mailbox(), Some("a&<b>\"@contoso.com"));
    }

    #[test]
    fn refuses_bad_values() {
        assert_eq!(
            GetFolder::impersonating("", &[Folder::Inbox]).to_xml(),
            Err(BuildError::Empty("ConnectingSID"))
        );
        assert_eq!(
            GetPasswordExpirationDate::new("a\u{1}@b.c").to_xml(),
            Err(BuildError::BadChar("MailboxSmtpAddress"))
        );
        assert_eq!(GetFolder::own(&[]).to_xml(), Err(BuildError::NoFolders));
    }

    #[test]
    fn password_request_never_impersonates() {
        let x = GetPasswordExpirationDate::new("svc@contoso.com")
            .to_xml()
            .unwrap();
        assert!(!x.contains("ExchangeImpersonation"));
        assert!(x.contains("<m:MailboxSmtpAddress>svc@contoso.com</m:MailboxSmtpAddress>"));
    }

    #[test]
    fn entities_beyond_xml_are_refused() {
        let doc = format!(
            r#"<s:Envelope xmlns:s="{NS_SOAP}"><s:Body><x>&ext;</x></s:Body></s:Envelope>"#
        );
        assert!(matches!(
            parse_response(doc.as_bytes()),
            Err(ParseError::Entity(_))
        ));
        let dtd = format!(r#"<!DOCTYPE s [<!ENTITY e "boom">]><s:Envelope xmlns:s="{NS_SOAP}"/>"#);
        assert_eq!(parse_response(dtd.as_bytes()), Err(ParseError::Dtd));
    }

    #[test]
    fn datetimes() {
        assert_eq!(
            parse_xs_datetime("9999-12-31T23:59:59Z"),
            PasswordExpiry::Never
        );
        assert!(matches!(
            parse_xs_datetime("2026-12-06T10:00:00Z"),
            PasswordExpiry::At(_)
        ));
        assert!(matches!(
            parse_xs_datetime("2026-12-06T10:00:00"),
            PasswordExpiry::At(_)
        ));
        assert!(matches!(
            parse_xs_datetime("soon"),
            PasswordExpiry::Unreadable(_)
        ));
    }
}
