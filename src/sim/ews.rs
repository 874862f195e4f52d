//! Simulated EWS (`/EWS/Exchange.asmx`) for Exchange Online (Bearer) and Exchange Server
//! (Basic): authentication and policy blocks, request validation the way Exchange refuses
//! invalid requests (ErrorSchemaValidation), ExchangeImpersonation rules, GetFolder on
//! distinguished folders, GetPasswordExpirationDate, throttling. Bodies come from
//! `assets/sim/ews.toml`. Must never trust the client's idea of what is valid.

use super::scenario::{self, EwsState, Impersonation, Scenario, ServerKind};
use super::server::{Reply, State};
use super::xml::{self, Element, M_NS, SOAP_NS, T_NS, esc, fill};
use base64::Engine;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;
use std::sync::atomic::Ordering;

const EWS_TOML: &str = include_str!("../../assets/sim/ews.toml");

#[derive(Debug, Deserialize)]
pub struct Tpl {
    pub body: String,
    #[allow(dead_code)]
    pub provenance: String,
}

pub fn tpl(name: &str) -> &'static str {
    static T: OnceLock<BTreeMap<String, Tpl>> = OnceLock::new();
    T.get_or_init(|| toml::from_str(EWS_TOML).unwrap_or_default())
        .get(name)
        .map(|t| t.body.as_str())
        .unwrap_or("")
}

fn vals(pairs: &[(&'static str, String)]) -> HashMap<&'static str, String> {
    pairs.iter().cloned().collect()
}

/// (major, minor, build, revision, schema version) as sent in ServerVersionInfo.
pub fn server_version(kind: ServerKind) -> (u32, u32, u32, u32, &'static str) {
    match kind {
        ServerKind::Exo | ServerKind::Auto => (15, 20, 8722, 22, "V2018_01_08"),
        ServerKind::Ex2016 => (15, 1, 2507, 57, "V2017_07_11"),
        ServerKind::Exse => (15, 2, 2562, 17, "V2017_07_11"),
    }
}

fn envelope(sc: &Scenario, body: String) -> String {
    let (a, b, c, d, v) = server_version(sc.server());
    fill(
        tpl("envelope"),
        &vals(&[
            ("major", a.to_string()),
            ("minor", b.to_string()),
            ("build", c.to_string()),
            ("revision", d.to_string()),
            ("version", v.to_string()),
            ("body", body),
        ]),
    )
}

/// A request-level SOAP fault (HTTP 500), optionally with MessageXml.
pub fn fault(code: &str, text: &str, messagexml: String) -> Reply {
    Reply::xml(
        500,
        fill(
            tpl("fault"),
            &vals(&[
                ("code", esc(code)),
                ("text", esc(text)),
                ("messagexml", messagexml),
            ]),
        ),
    )
}

fn schema_fault(violation: &str, line: u64, pos: u64) -> Reply {
    let mx = fill(
        tpl("schema_messagexml"),
        &vals(&[
            ("line", line.to_string()),
            ("pos", pos.to_string()),
            ("violation", esc(violation)),
        ]),
    );
    fault(
        "ErrorSchemaValidation",
        &format!("The request failed schema validation: {violation}"),
        mx,
    )
}

fn busy_fault(ms: u64) -> Reply {
    let mx = fill(tpl("busy_messagexml"), &vals(&[("ms", ms.to_string())]));
    fault(
        "ErrorServerBusy",
        "The server cannot service this request right now. Try again later.",
        mx,
    )
}

fn is_exo(host: &str) -> bool {
    host == "outlook.office365.com"
}

fn unauthorized(sc: &Scenario, host: &str, invalid_token: bool) -> Reply {
    let mut r = Reply::empty(401);
    if is_exo(host) {
        let mut v = format!(
            "Bearer client_id=\"{}\", trusted_issuers=\"00000001-0000-0000-c000-000000000000@*\", token_types=\"app_asserted_user_v1 service_asserted_app_v1\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\"",
            scenario::EXO_APP_ID
        );
        if invalid_token {
            v.push_str(", error=\"invalid_token\"");
        }
        r = r.header("WWW-Authenticate", &v);
    } else {
        r = r
            .header("WWW-Authenticate", "Negotiate")
            .header("WWW-Authenticate", "NTLM");
        if sc.basic_auth {
            r = r.header("WWW-Authenticate", &format!("Basic realm=\"{host}\""));
        }
    }
    r.header("X-FEServer", "EXCH01")
}

/// Checks on-premises Basic credentials; returns the caller's UPN.
pub fn basic_user(sc: &Scenario, headers: &axum::http::HeaderMap) -> Option<String> {
    if !sc.basic_auth {
        return None;
    }
    let h = headers.get("authorization")?.to_str().ok()?;
    let (scheme, rest) = h.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let s = String::from_utf8(raw).ok()?;
    let (user, pass) = s.split_once(':')?;
    if pass != scenario::PASSWORD {
        return None;
    }
    let user = user.to_ascii_lowercase();
    let upn = if let Some((dom, name)) = user.split_once('\\') {
        if dom != "contoso" {
            return None;
        }
        format!("{name}@{}", scenario::ONPREM_DOMAIN)
    } else if user.contains('@') {
        user
    } else {
        format!("{user}@{}", scenario::ONPREM_DOMAIN)
    };
    scenario::account(sc, &upn).map(|a| a.upn)
}

fn bearer_user(st: &State, headers: &axum::http::HeaderMap) -> Result<String, bool> {
    let Some(h) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return Err(false);
    };
    let Some((scheme, tok)) = h.split_once(' ') else {
        return Err(true);
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(false);
    }
    let tokens = st.tokens.lock().map_err(|_| true)?;
    let Some(t) = tokens.get(tok.trim()) else {
        return Err(true);
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let aud_ok =
        t.aud.trim_end_matches('/') == scenario::EXO_RESOURCE || t.aud == scenario::EXO_APP_ID;
    let app_only = t.upn.is_empty();
    if t.exp <= now
        || !aud_ok
        || (!app_only && !t.scp.split(' ').any(|s| s == "EWS.AccessAsUser.All"))
    {
        return Err(true);
    }
    let _ = (&t.tid, &t.appid);
    // An app-only token has no user: the caller is whoever the request impersonates.
    Ok(t.upn.clone())
}

const DISTINGUISHED: &[&str] = &[
    "calendar",
    "contacts",
    "deleteditems",
    "drafts",
    "inbox",
    "journal",
    "notes",
    "outbox",
    "sentitems",
    "tasks",
    "msgfolderroot",
    "publicfoldersroot",
    "root",
    "junkemail",
    "searchfolders",
    "voicemail",
    "recoverableitemsroot",
    "recoverableitemsdeletions",
    "recoverableitemsversions",
    "recoverableitemspurges",
    "archiveroot",
    "archivemsgfolderroot",
    "archivedeleteditems",
    "archiveinbox",
    "syncissues",
    "conflicts",
    "localfailures",
    "serverfailures",
    "recipientcache",
    "quickcontacts",
    "conversationhistory",
    "todosearch",
    "mycontacts",
    "imcontactlist",
    "peopleconnect",
    "favorites",
];

const VERSIONS: &[&str] = &[
    "Exchange2007",
    "Exchange2007_SP1",
    "Exchange2010",
    "Exchange2010_SP1",
    "Exchange2010_SP2",
    "Exchange2013",
    "Exchange2013_SP1",
    "Exchange2015",
    "Exchange2016",
    "V2015_10_05",
    "V2016_01_06",
    "V2016_04_13",
    "V2016_07_13",
    "V2016_10_10",
    "V2017_01_07",
    "V2017_04_14",
    "V2017_07_11",
    "V2017_10_09",
    "V2018_01_08",
];

/// The parsed, validated request.
struct Request {
    version: String,
    /// (element name, value) of the single ConnectingSID child.
    impersonate: Option<(String, String)>,
    op: Element,
}

fn validate(doc: &str) -> Result<Request, Reply> {
    let root = xml::parse(doc).map_err(|e| {
        schema_fault(
            &format!("The XML is not well formed: {}", e.message),
            1,
            e.position + 1,
        )
    })?;
    if !root.is(SOAP_NS, "Envelope") {
        return Err(schema_fault(
            &format!(
                "The root element '{}' in namespace '{}' is not a SOAP 1.1 Envelope.",
                root.name, root.ns
            ),
            1,
            2,
        ));
    }
    for c in &root.children {
        if c.ns != SOAP_NS || (c.name != "Header" && c.name != "Body") {
            return Err(schema_fault(
                &format!(
                    "The element '{}' in namespace '{}' is not expected in the Envelope.",
                    c.name, c.ns
                ),
                1,
                1,
            ));
        }
    }
    let header = root.child(SOAP_NS, "Header");
    let mut version = None;
    let mut impersonate = None;
    if let Some(h) = header {
        for c in &h.children {
            if c.ns == M_NS
                || (c.ns != T_NS
                    && (c.ns.contains("schemas.microsoft.com/exchange") || c.ns.is_empty()))
            {
                return Err(schema_fault(
                    &format!(
                        "The element '{}' in namespace '{}' is not a known EWS header.",
                        c.name, c.ns
                    ),
                    1,
                    1,
                ));
            }
            if c.ns != T_NS {
                continue;
            }
            match c.name.as_str() {
                "RequestServerVersion" => {
                    let v = c.attr("Version").unwrap_or("").to_string();
                    if !VERSIONS.contains(&v.as_str()) {
                        return Err(schema_fault(
                            &format!(
                                "The 'Version' attribute is invalid - The value '{v}' is invalid according to its datatype 'http://schemas.microsoft.com/exchange/services/2006/types:ExchangeVersionType' - The Enumeration constraint failed."
                            ),
                            1,
                            1,
                        ));
                    }
                    version = Some(v);
                }
                "ExchangeImpersonation" => {
                    let sids: Vec<&Element> = c.children_named(T_NS, "ConnectingSID").collect();
                    if sids.len() != 1 || c.children.len() != 1 {
                        return Err(schema_fault(
                            "The element 'ExchangeImpersonation' in namespace 'http://schemas.microsoft.com/exchange/services/2006/types' has invalid content. Expected exactly one 'ConnectingSID'.",
                            1,
                            1,
                        ));
                    }
                    let sid = sids[0];
                    let ok = ["PrincipalName", "SID", "PrimarySmtpAddress", "SmtpAddress"];
                    if sid.children.len() != 1
                        || sid.children[0].ns != T_NS
                        || !ok.contains(&sid.children[0].name.as_str())
                    {
                        return Err(schema_fault(
                            "The element 'ConnectingSID' in namespace 'http://schemas.microsoft.com/exchange/services/2006/types' has invalid child element(s). List of possible elements expected: exactly one of 'PrincipalName, SID, PrimarySmtpAddress, SmtpAddress' in namespace 'http://schemas.microsoft.com/exchange/services/2006/types'.",
                            1,
                            1,
                        ));
                    }
                    let k = &sid.children[0];
                    impersonate = Some((k.name.clone(), k.text_trimmed().to_string()));
                }
                "MailboxCulture" | "TimeZoneContext" | "DateTimePrecision" | "ManagementRole" => {}
                other => {
                    return Err(schema_fault(
                        &format!(
                            "The element '{other}' in namespace 'http://schemas.microsoft.com/exchange/services/2006/types' is not a known EWS header."
                        ),
                        1,
                        1,
                    ));
                }
            }
        }
    }
    let Some(version) = version else {
        return Err(schema_fault(
            "The request is missing the RequestServerVersion header (namespace 'http://schemas.microsoft.com/exchange/services/2006/types').",
            1,
            1,
        ));
    };
    let Some(body) = root.child(SOAP_NS, "Body") else {
        return Err(schema_fault("The Envelope has no Body.", 1, 1));
    };
    if body.children.len() != 1 {
        return Err(schema_fault(
            "The Body must contain exactly one operation element.",
            1,
            1,
        ));
    }
    let op = body.children[0].clone();
    if op.ns != M_NS {
        return Err(schema_fault(
            &format!(
                "The element '{}' in namespace '{}' is not a valid EWS operation; operations are in namespace '{M_NS}'.",
                op.name, op.ns
            ),
            1,
            1,
        ));
    }
    Ok(Request {
        version,
        impersonate,
        op,
    })
}

/// Stable folder id for (mailbox, folder): base64 like real ids, decodable by the sim.
fn folder_id(mailbox: &str, folder: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("AAMk:{mailbox}:{folder}"))
}

fn folder_xml(mailbox: &str, folder: &str, shape: &str, extra: &[String]) -> String {
    let (tag, display, total, unread, class) = match folder {
        "calendar" => ("CalendarFolder", "Calendar", 12, None, "IPF.Appointment"),
        "contacts" => ("ContactsFolder", "Contacts", 48, None, "IPF.Contact"),
        "inbox" => ("Folder", "Inbox", 31, Some(2), "IPF.Note"),
        "sentitems" => ("Folder", "Sent Items", 17, Some(0), "IPF.Note"),
        "deleteditems" => ("Folder", "Deleted Items", 3, Some(0), "IPF.Note"),
        "drafts" => ("Folder", "Drafts", 0, Some(0), "IPF.Note"),
        "tasks" => ("TasksFolder", "Tasks", 0, Some(0), "IPF.Task"),
        "msgfolderroot" => ("Folder", "Top of Information Store", 0, Some(0), "IPF.Note"),
        "root" => ("Folder", "", 0, Some(0), "IPF.Note"),
        other => ("Folder", other, 0, Some(0), "IPF.Note"),
    };
    let id = esc(&folder_id(mailbox, folder));
    let ck = "AQAAABYAAAB4gKNHaBEbS5JpVTVmQGNpAAAAAAAD";
    let all = shape == "AllProperties";
    let want = |uri: &str| all || extra.iter().any(|e| e == uri);
    let mut s = format!("<t:{tag}><t:FolderId Id=\"{id}\" ChangeKey=\"{ck}\"/>");
    if shape == "IdOnly" && extra.is_empty() {
        s.push_str(&format!("</t:{tag}>"));
        return s;
    }
    if want("folder:ParentFolderId") {
        let pid = esc(&folder_id(mailbox, "msgfolderroot"));
        s.push_str(&format!(
            "<t:ParentFolderId Id=\"{pid}\" ChangeKey=\"AQAAAA==\"/>"
        ));
    }
    if want("folder:FolderClass") {
        s.push_str(&format!("<t:FolderClass>{class}</t:FolderClass>"));
    }
    let default = shape != "IdOnly";
    if default || want("folder:DisplayName") {
        s.push_str(&format!("<t:DisplayName>{}</t:DisplayName>", esc(display)));
    }
    if default || want("folder:TotalCount") {
        s.push_str(&format!("<t:TotalCount>{total}</t:TotalCount>"));
    }
    if default || want("folder:ChildFolderCount") {
        s.push_str("<t:ChildFolderCount>0</t:ChildFolderCount>");
    }
    if let Some(u) = unread
        && (default || want("folder:UnreadCount"))
    {
        s.push_str(&format!("<t:UnreadCount>{u}</t:UnreadCount>"));
    }
    s.push_str(&format!("</t:{tag}>"));
    s
}

/// Every explicit `t:Mailbox/t:EmailAddress` in a GetFolder request.
fn mailbox_addresses(op: &Element) -> Vec<String> {
    op.child(M_NS, "FolderIds")
        .map(|ids| {
            ids.children
                .iter()
                .filter_map(|i| i.child(T_NS, "Mailbox"))
                .filter_map(|m| m.child(T_NS, "EmailAddress"))
                .map(|e| e.text_trimmed().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn folder_error(code: &str, text: &str) -> String {
    fill(
        tpl("getfolder_error"),
        &vals(&[("code", esc(code)), ("text", esc(text))]),
    )
}

fn get_folder(sc: &Scenario, op: &Element, effective: &str, impersonating: bool) -> Reply {
    let shape_el = op.child(M_NS, "FolderShape");
    let ids_el = op.child(M_NS, "FolderIds");
    let (Some(shape_el), Some(ids_el)) = (shape_el, ids_el) else {
        return schema_fault(
            "The element 'GetFolder' in namespace 'http://schemas.microsoft.com/exchange/services/2006/messages' has incomplete content. List of possible elements expected: 'FolderShape, FolderIds'.",
            1,
            1,
        );
    };
    if op.children.first().map(|c| c.name.as_str()) != Some("FolderShape") {
        return schema_fault(
            "The element 'GetFolder' has invalid child element 'FolderIds'. List of possible elements expected: 'FolderShape'.",
            1,
            1,
        );
    }
    let shape = shape_el
        .child(T_NS, "BaseShape")
        .map(|e| e.text_trimmed().to_string())
        .unwrap_or_default();
    if !["IdOnly", "Default", "AllProperties"].contains(&shape.as_str()) {
        return schema_fault(
            &format!(
                "The value '{shape}' is invalid according to its datatype 'http://schemas.microsoft.com/exchange/services/2006/types:DefaultShapeNamesType' - The Enumeration constraint failed."
            ),
            1,
            1,
        );
    }
    let extra: Vec<String> = shape_el
        .child(T_NS, "AdditionalProperties")
        .map(|a| {
            a.children
                .iter()
                .filter_map(|f| f.attr("FieldURI").map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if ids_el.children.is_empty() {
        return schema_fault(
            "The element 'FolderIds' has incomplete content. List of possible elements expected: 'FolderId, DistinguishedFolderId'.",
            1,
            1,
        );
    }
    let mut messages = String::new();
    for id in &ids_el.children {
        if id.ns != T_NS {
            return schema_fault(
                &format!(
                    "The element 'FolderIds' has invalid child element '{}' in namespace '{}'.",
                    id.name, id.ns
                ),
                1,
                1,
            );
        }
        let (mailbox, folder) = match id.name.as_str() {
            "DistinguishedFolderId" => {
                let name = id.attr("Id").unwrap_or("").to_string();
                if !DISTINGUISHED.contains(&name.as_str()) {
                    return schema_fault(
                        &format!(
                            "The 'Id' attribute is invalid - The value '{name}' is invalid according to its datatype 'http://schemas.microsoft.com/exchange/services/2006/types:DistinguishedFolderIdNameType' - The Enumeration constraint failed."
                        ),
                        1,
                        1,
                    );
                }
                let explicit = id
                    .child(T_NS, "Mailbox")
                    .and_then(|m| m.child(T_NS, "EmailAddress"))
                    .map(|e| e.text_trimmed().to_ascii_lowercase());
                (explicit, name)
            }
            "FolderId" => {
                let raw = id.attr("Id").unwrap_or("");
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(raw)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .and_then(|s| {
                        let mut p = s.splitn(3, ':');
                        match (p.next(), p.next(), p.next()) {
                            (Some("AAMk"), Some(m), Some(f)) => {
                                Some((m.to_string(), f.to_string()))
                            }
                            _ => None,
                        }
                    });
                match decoded {
                    Some((m, f)) => (Some(m), f),
                    None => {
                        messages
                            .push_str(&folder_error("ErrorInvalidIdMalformed", "Id is malformed."));
                        continue;
                    }
                }
            }
            other => {
                return schema_fault(
                    &format!("The element 'FolderIds' has invalid child element '{other}'."),
                    1,
                    1,
                );
            }
        };
        let target = mailbox.clone().unwrap_or_else(|| effective.to_string());
        match scenario::account(sc, &target) {
            Some(a) if a.has_mailbox => {
                // The same mailbox may be named by any of its addresses (corp.contoso.example
                // is an address of the on-premises accounts too).
                let same = scenario::account(sc, effective).is_some_and(|e| e.oid == a.oid);
                if mailbox.is_some() && !same && !impersonating {
                    messages.push_str(&folder_error(
                        "ErrorAccessDenied",
                        "Access is denied. Check credentials and try again.",
                    ));
                } else {
                    let f = folder_xml(&a.upn, &folder, &shape, &extra);
                    messages.push_str(&fill(tpl("getfolder_success"), &vals(&[("folder", f)])));
                }
            }
            Some(a) if mailbox.is_none() && !impersonating && a.upn == effective => {
                messages.push_str(&folder_error(
                    "ErrorMissingEmailAddress",
                    "When making a request as an account that does not have a mailbox, you must specify the mailbox primary SMTP address for any distinguished folder Ids.",
                ));
            }
            _ => messages.push_str(&folder_error(
                "ErrorNonExistentMailbox",
                "The SMTP address has no mailbox associated with it.",
            )),
        }
    }
    let body = fill(tpl("getfolder_response"), &vals(&[("messages", messages)]));
    Reply::xml(200, envelope(sc, body))
}

/// ConvertId: the simulator converts no ids, but answers per id exactly as Exchange does for
/// a bad mailbox or a malformed id (clients use it to learn the server version).
fn convert_id(sc: &Scenario, op: &Element) -> Reply {
    let Some(ids) = op.child(M_NS, "SourceIds") else {
        return schema_fault(
            "The element 'ConvertId' in namespace 'http://schemas.microsoft.com/exchange/services/2006/messages' has incomplete content. List of possible elements expected: 'SourceIds'.",
            1,
            1,
        );
    };
    let mut messages = String::new();
    for id in &ids.children {
        let mailbox = id.attr("Mailbox").unwrap_or("");
        let (code, text) = if mailbox.contains('@') {
            ("ErrorInvalidIdMalformed", "Id is malformed.")
        } else {
            (
                "ErrorInvalidSmtpAddress",
                "The SMTP address format is invalid.",
            )
        };
        messages.push_str(&fill(
            tpl("convertid_error"),
            &vals(&[("code", code.into()), ("text", text.into())]),
        ));
    }
    if messages.is_empty() {
        return schema_fault(
            "The element 'SourceIds' has incomplete content. List of possible elements expected: 'AlternateId, AlternatePublicFolderId, AlternatePublicFolderItemId'.",
            1,
            1,
        );
    }
    let body = fill(tpl("convertid_response"), &vals(&[("messages", messages)]));
    Reply::xml(200, envelope(sc, body))
}

fn password_expiration(sc: &Scenario, op: &Element) -> Reply {
    let Some(addr) = op.child(M_NS, "MailboxSmtpAddress") else {
        return schema_fault(
            "The element 'GetPasswordExpirationDate' in namespace 'http://schemas.microsoft.com/exchange/services/2006/messages' has incomplete content. List of possible elements expected: 'MailboxSmtpAddress'.",
            1,
            1,
        );
    };
    let body = match scenario::account(sc, addr.text_trimmed()) {
        Some(a) if a.upn.starts_with("moxiengage@") && a.has_mailbox => {
            let date = match sc.password_expires_in_days {
                Some(days) => {
                    let t = time::OffsetDateTime::now_utc() + time::Duration::days(days);
                    format!(
                        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                        t.year(),
                        u8::from(t.month()),
                        t.day(),
                        t.hour(),
                        t.minute(),
                        t.second()
                    )
                }
                // What AD's "never" (0x7FFFFFFFFFFFFFFF) becomes as a .NET DateTime.
                None => "9999-12-31T23:59:59.9999999".to_string(),
            };
            fill(tpl("password_expiration"), &vals(&[("date", date)]))
        }
        Some(a) if a.has_mailbox => {
            // Other users' passwords: the account never expires in this directory.
            fill(
                tpl("password_expiration"),
                &vals(&[("date", "9999-12-31T23:59:59.9999999".into())]),
            )
        }
        _ => fill(
            tpl("password_expiration_error"),
            &vals(&[
                ("code", "ErrorNonExistentMailbox".into()),
                (
                    "text",
                    "The SMTP address has no mailbox associated with it.".into(),
                ),
            ]),
        ),
    };
    Reply::xml(200, envelope(sc, body))
}

pub fn handle(
    st: &State,
    host: &str,
    method: &str,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> Reply {
    let sc = &st.scenario;
    // HTTP.sys answers 503 before IIS authenticates anyone.
    let restarting = st
        .unavailable_left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if restarting {
        return service_unavailable("1");
    }
    let caller = if is_exo(host) {
        match bearer_user(st, headers) {
            Ok(u) => u,
            Err(invalid) => return unauthorized(sc, host, invalid),
        }
    } else {
        match basic_user(sc, headers) {
            Some(u) => u,
            None => return unauthorized(sc, host, false),
        }
    };
    match sc.ews {
        EwsState::Ok => {}
        EwsState::Disabled | EwsState::AppNotAllowlisted => {
            // Observed: an empty 403 with front-end/back-end server headers (PROTOCOL.md §3.1).
            return Reply::empty(403)
                .header("X-FEServer", "BN9P221CA0012")
                .header("X-BEServer", "SA1PR04MB8123")
                .header("request-id", &uuid::Uuid::new_v4().to_string());
        }
        EwsState::Unavailable => return service_unavailable("2"),
    }
    if method != "POST" {
        return Reply::empty(405).header("Allow", "POST");
    }
    let text = String::from_utf8_lossy(body);
    let req = match validate(&text) {
        Ok(r) => r,
        Err(f) => return f,
    };
    let _ = &req.version;
    let mut reply = dispatch(st, sc, host, headers, &caller, &req);
    reply.impersonation = req.impersonate.as_ref().map(|(_, v)| v.clone());
    reply
}

/// What IIS (HTTP.sys) sends when the EWS application pool is stopped or its queue is full.
fn service_unavailable(retry_after: &str) -> Reply {
    Reply::new(
        503,
        Some("text/html; charset=us-ascii"),
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\"\"http://www.w3.org/TR/html4/strict.dtd\">\r\n<HTML><HEAD><TITLE>Service Unavailable</TITLE></HEAD><BODY><h2>Service Unavailable</h2><hr><p>HTTP Error 503. The service is unavailable.</p></BODY></HTML>\r\n".into(),
    )
    .header("Retry-After", retry_after)
}

fn dispatch(
    st: &State,
    sc: &Scenario,
    host: &str,
    headers: &axum::http::HeaderMap,
    caller: &str,
    req: &Request,
) -> Reply {
    let op = &req.op;
    if op.name == "GetPasswordExpirationDate" && req.impersonate.is_some() {
        // The WSDL binds no ExchangeImpersonation header to this operation.
        return schema_fault(
            "The ExchangeImpersonation header is not allowed for the GetPasswordExpirationDate operation.",
            1,
            1,
        );
    }
    let throttled = st
        .throttle_left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if throttled {
        return busy_fault(sc.throttle_backoff_ms);
    }
    let mut effective = caller.to_string();
    let app_only = caller.is_empty();
    if app_only && req.impersonate.is_none() {
        // Observed token-type rule (PROTOCOL.md §3.4).
        return fault(
            "ErrorInvalidExchangeImpersonationHeaderData",
            "ExchangeImpersonation SOAP header must be present for this type of OAuth token.",
            String::new(),
        );
    }
    if let Some((kind, value)) = &req.impersonate {
        let anchor = headers
            .get("x-anchormailbox")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty());
        if anchor.is_none() {
            // Without the anchor the front end cannot route the impersonated call.
            return fault(
                "ErrorInternalServerError",
                "An internal server error occurred. The operation failed.",
                String::new(),
            );
        }
        // App-only tokens with full_access_as_app are the supported replacement for the
        // retired role; delegated tokens depend on the role (gone from EXO since 2025).
        if !app_only && sc.impersonation != Impersonation::Allowed {
            return fault(
                "ErrorImpersonateUserDenied",
                "The account does not have permission to impersonate the requested user.",
                String::new(),
            );
        }
        if kind == "SID" {
            return fault(
                "ErrorInvalidUserSid",
                "The SID is malformed or does not exist.",
                String::new(),
            );
        }
        match scenario::account(sc, value) {
            Some(a) if a.has_mailbox => effective = a.upn,
            _ if kind == "PrincipalName" => {
                return fault(
                    "ErrorInvalidUserPrincipalName",
                    "The impersonation principal name is invalid.",
                    String::new(),
                );
            }
            _ => {
                return fault(
                    "ErrorNonExistentMailbox",
                    "The SMTP address has no mailbox associated with it.",
                    String::new(),
                );
            }
        }
    }
    let _ = host;
    let touches_test_user = std::iter::once(effective.as_str())
        .chain(mailbox_addresses(op).iter().map(String::as_str))
        .any(|m| m.to_ascii_lowercase().starts_with("agent@"));
    if sc.test_user_licence_blocked && touches_test_user {
        // The licence block answers like the other EWS policy blocks (PROTOCOL.md §3.9).
        return Reply::empty(403)
            .header("X-FEServer", "BN9P221CA0012")
            .header("request-id", &uuid::Uuid::new_v4().to_string());
    }
    match op.name.as_str() {
        "GetFolder" => get_folder(sc, op, &effective, req.impersonate.is_some()),
        "GetPasswordExpirationDate" => password_expiration(sc, op),
        "ConvertId" => convert_id(sc, op),
        other => fault(
            "ErrorInvalidRequest",
            &format!(
                "The request is valid but the simulated server does not implement the '{other}' operation."
            ),
            String::new(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_is_present_and_namespaces_are_http() {
        for name in [
            "envelope",
            "getfolder_response",
            "getfolder_success",
            "getfolder_error",
            "password_expiration",
            "password_expiration_error",
            "fault",
            "busy_messagexml",
            "schema_messagexml",
            "pox_settings",
            "pox_redirect_addr",
            "pox_redirect_url",
            "pox_error",
            "soap_settings",
            "convertid_response",
            "convertid_error",
        ] {
            let t = tpl(name);
            assert!(!t.is_empty(), "template {name} missing");
            assert!(
                !t.contains("https://schemas."),
                "{name} uses an https namespace"
            );
        }
    }

    #[test]
    fn fault_escapes_its_text() {
        let r = fault("ErrorX", "a <b> & c", String::new());
        assert!(r.body.contains("a &lt;b&gt; &amp; c"));
        assert!(xml::parse(&r.body).is_ok());
        assert_eq!(r.status, 500);
    }
}
