//! EWS wire code against real bodies (tests/fixtures/ews, copied from ../shared/fixtures with
//! provenance in tests/fixtures/PROVENANCE.md) and every request we build against Microsoft's
//! own schemas with xmllint.

use moxi_setup::protocol::ews::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ews")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn parse(name: &str) -> Response {
    parse_response(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Responses from the fixtures
// ---------------------------------------------------------------------------------------------

#[test]
fn getfolder_success() {
    let r = parse("getfolder-response-success.xml");
    let v = r.server_version.as_ref().unwrap();
    assert_eq!(
        (v.major, v.minor, v.major_build),
        (Some(8), Some(0), Some(628))
    );
    assert_eq!(v.version, None);
    let Body::Messages {
        operation,
        messages,
    } = &r.body
    else {
        panic!("{:?}", r.body)
    };
    assert_eq!(operation, "GetFolderResponse");
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m.class, ResponseClass::Success);
    assert_eq!(m.code.as_deref(), Some("NoError"));
    assert_eq!(m.folders.len(), 1);
    assert_eq!(m.folders[0].kind, "Folder");
    assert_eq!(m.folders[0].display_name.as_deref(), Some("Inbox"));
    assert_eq!(m.folders[0].total_count, Some(2));
    assert_eq!(m.folders[0].id.as_deref(), Some("AQApA="));
    assert_eq!(r.first_error_code(), None);
}

#[test]
fn getfolder_error_per_folder() {
    let r = parse("getfolder-response-error.xml");
    let m = &r.messages()[0];
    assert_eq!(m.class, ResponseClass::Error);
    assert_eq!(m.code.as_deref(), Some("ErrorInvalidIdMalformed"));
    assert_eq!(m.message_text.as_deref(), Some("Id is malformed."));
    assert!(m.folders.is_empty());
    assert_eq!(r.first_error_code(), Some("ErrorInvalidIdMalformed"));
}

#[test]
fn fault_with_back_off() {
    let r = parse("fault-errorserverbusy-backoff.xml");
    let f = r.fault().unwrap();
    assert_eq!(f.code(), Some("ErrorServerBusy"));
    let fc = f.faultcode.as_ref().unwrap();
    assert_eq!(fc.ns.as_deref(), Some(NS_TYPES));
    assert_eq!(fc.local, "ErrorServerBusy");
    assert_eq!(f.back_off_ms(), Some(297_749));
    assert_eq!(r.back_off_ms(), Some(297_749));
    assert!(
        f.faultstring
            .as_deref()
            .unwrap()
            .starts_with("The server cannot")
    );
    assert!(!f.is_soap_level());
}

#[test]
fn fault_impersonation_header_data_real_capture() {
    let r = parse("fault-errorinvalidexchangeimpersonationheaderdata.xml");
    let f = r.fault().unwrap();
    assert_eq!(
        f.code(),
        Some("ErrorInvalidExchangeImpersonationHeaderData")
    );
    assert_eq!(
        f.response_code.as_deref(),
        Some("ErrorInvalidExchangeImpersonationHeaderData")
    );
    assert!(f.message.as_deref().unwrap().contains("must not exist"));
    assert_eq!(
        r.first_error_code(),
        Some("ErrorInvalidExchangeImpersonationHeaderData")
    );
}

#[test]
fn fault_schema_validation_message_xml() {
    let r = parse("fault-errorschemavalidation.xml");
    let f = r.fault().unwrap();
    assert_eq!(f.code(), Some("ErrorSchemaValidation"));
    assert!(
        f.message_xml
            .iter()
            .any(|(k, v)| k == "LineNumber" && v == "123")
    );
    assert!(
        f.message_xml
            .iter()
            .any(|(k, v)| k == "Violation" && v == "ZZZ")
    );
    let r = parse("getserviceconfiguration-soap-fault.xml");
    assert_eq!(r.fault().unwrap().code(), Some("ErrorSchemaValidation"));
    assert_eq!(r.fault().unwrap().back_off_ms(), None);
}

#[test]
fn fault_soap_client_without_ews_code() {
    // GetUserOofSettings doc fault: faultcode soap:Client, detail has only a numeric ErrorCode.
    let r = parse("getuseroofsettings-soap-fault.xml");
    let f = r.fault().unwrap();
    let fc = f.faultcode.as_ref().unwrap();
    assert_eq!(fc.ns.as_deref(), Some(NS_SOAP));
    assert_eq!(fc.local, "Client");
    assert!(f.is_soap_level());
    assert_eq!(f.response_code, None);
    assert_eq!(f.code(), Some("Client"));
    assert_eq!(
        f.faultactor.as_deref(),
        Some("https://CAS01.example.com/EWS/Exchange.asmx")
    );
}

#[test]
fn fault_empty() {
    let r = parse("fault-empty.xml");
    let f = r.fault().unwrap();
    assert_eq!(f, &SoapFault::default());
    assert_eq!(f.code(), None);
    assert_eq!(r.first_error_code(), Some(""));
    assert_eq!(r.server_version.as_ref().unwrap().build(), "8.0.685.8");
}

fn generic_fault(faultcode: &str, responsecode: &str) -> Vec<u8> {
    String::from_utf8(fixture("fault-generic.template.xml"))
        .unwrap()
        .replace("{faultcode}", faultcode)
        .replace("{faultstring}", "words")
        .replace("{responsecode}", responsecode)
        .replace("{message}", "more words")
        .into_bytes()
}

#[test]
fn fault_code_only_in_response_code() {
    let r = parse_response(&generic_fault("soap:Server", "ErrorImpersonateUserDenied")).unwrap();
    let f = r.fault().unwrap();
    // `soap` is not declared in this document: the QName resolves to no namespace.
    assert_eq!(f.faultcode.as_ref().unwrap().local, "Server");
    assert_eq!(f.code(), Some("ErrorImpersonateUserDenied"));
    assert_eq!(f.message.as_deref(), Some("more words"));
}

#[test]
fn fault_code_only_in_faultcode() {
    let doc = String::from_utf8(fixture("fault-generic.template.xml"))
        .unwrap()
        .replace(
            "<faultcode>{faultcode}</faultcode>",
            r#"<faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorNonExistentMailbox</faultcode>"#,
        )
        .replace(
            r#"<ResponseCode xmlns="http://schemas.microsoft.com/exchange/services/2006/errors">{responsecode}</ResponseCode>"#,
            "",
        )
        .replace("{faultstring}", "The SMTP address has no mailbox associated with it.")
        .replace("{message}", "m");
    let r = parse_response(doc.as_bytes()).unwrap();
    let f = r.fault().unwrap();
    assert_eq!(f.response_code, None);
    assert_eq!(f.faultcode.as_ref().unwrap().ns.as_deref(), Some(NS_TYPES));
    assert_eq!(f.code(), Some("ErrorNonExistentMailbox"));
}

#[test]
fn real_impersonate_denied_prefix_is_a_typed_error() {
    // Only the first part of this real Exchange Online fault is known: a cut-off body must
    // be a parse error, never a pass or a panic.
    let txt = String::from_utf8(fixture("fault-errorimpersonateuserdenied.PARTIAL.txt")).unwrap();
    let xml: String = txt
        .lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1) // the <Trace> wrapper line of the EWS Managed API log
        .collect::<Vec<_>>()
        .join("\n");
    let xml = xml.trim_start();
    assert!(xml.starts_with("<?xml"));
    let err = parse_response(xml.as_bytes()).unwrap_err();
    assert!(matches!(err, ParseError::Malformed(_)), "{err:?}");
    // Completed the way the documented shape goes, it yields the code.
    let done = format!(
        "{}p://schemas.microsoft.com/exchange/services/2006/errors\">ErrorImpersonateUserDenied</e:ResponseCode></detail></s:Fault></s:Body></s:Envelope>",
        xml.trim_end()
    );
    let r = parse_response(done.as_bytes()).unwrap();
    assert_eq!(
        r.fault().unwrap().code(),
        Some("ErrorImpersonateUserDenied")
    );
}

#[test]
fn version_from_error_response_and_absent_header() {
    let r = parse("convertid-error-invalidsmtpaddress-with-version.xml");
    let v = r.server_version.as_ref().unwrap();
    assert_eq!(v.to_string(), "15.1.2345.6789 (V2017_07_11)");
    assert_eq!(r.first_error_code(), Some("ErrorInvalidSmtpAddress"));
    let r = parse("convertid-error-no-version-header.xml");
    assert_eq!(r.server_version, None);
    assert_eq!(r.first_error_code(), Some("ErrorInvalidSmtpAddress"));
}

#[test]
fn exo_capture_version_and_other_operations() {
    let r = parse("resolvenames-response-success-exo-v2018_01_08.xml");
    assert_eq!(
        r.server_version.as_ref().unwrap().to_string(),
        "15.20.4734.11 (V2018_01_08)"
    );
    assert_eq!(r.first_error_code(), None);
    let r = parse("resolvenames-warning-multipleresults.xml");
    assert_eq!(r.messages()[0].class, ResponseClass::Warning);
    assert_eq!(
        r.first_error_code(),
        Some("ErrorNameResolutionMultipleResults")
    );
    let r = parse("deleteitem-error-internalservererror-inner.xml");
    let m = &r.messages()[0];
    assert_eq!(m.code.as_deref(), Some("ErrorInternalServerError"));
    assert!(
        m.message_xml
            .iter()
            .any(|(k, v)| k == "InnerErrorResponseCode" && v == "ErrorQuotaExceededOnDelete")
    );
    let r = parse("findfolder-error-toomanyobjectsopened.xml");
    assert_eq!(r.first_error_code(), Some("ErrorTooManyObjectsOpened"));
}

#[test]
fn every_response_fixture_parses() {
    // Each well-formed response fixture parses; each deliberately broken one is a typed error.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ews");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".xml") || name.contains("request") || name.contains(".template.") {
            continue;
        }
        let res = parse_response(&std::fs::read(&p).unwrap());
        if name.contains("NOT-WELL-FORMED") {
            assert!(
                matches!(res, Err(ParseError::Malformed(_))),
                "{name}: {res:?}"
            );
        } else {
            assert!(res.is_ok(), "{name}: {res:?}");
        }
        seen += 1;
    }
    assert!(seen >= 20, "only {seen} fixtures found");
}

#[test]
fn requests_in_fixtures_are_not_responses() {
    let err = parse_response(&fixture("getfolder-request.xml")).unwrap_err();
    assert!(matches!(err, ParseError::Unexpected(_)), "{err:?}");
    // Microsoft's GetPasswordExpirationDate sample uses an undeclared prefix.
    let err = parse_response(&fixture(
        "getpasswordexpirationdate-request.NOT-WELL-FORMED.xml",
    ))
    .unwrap_err();
    assert!(matches!(err, ParseError::Namespace(_)), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// Broken, hostile and namespace-broken bodies
// ---------------------------------------------------------------------------------------------

#[test]
fn malformed_bodies() {
    let err = parse_response(&fixture("malformed-no-body.NOT-WELL-FORMED.xml")).unwrap_err();
    assert!(matches!(err, ParseError::Malformed(_)), "{err:?}");
    assert_eq!(parse_response(b""), Err(ParseError::Empty));
    assert_eq!(parse_response(b"  \n"), Err(ParseError::Empty));
    assert!(matches!(
        parse_response(b"<html><body>Server Error in '/EWS' Application</body></html>"),
        Err(ParseError::NotSoap(_))
    ));
    assert!(matches!(
        parse_response(b"not xml at all"),
        Err(ParseError::Malformed(_)) | Err(ParseError::NotSoap(_))
    ));
    assert_eq!(
        parse_response(&[0xff, 0xfe, 0x00]),
        Err(ParseError::NotUtf8)
    );
    let no_body = format!(r#"<s:Envelope xmlns:s="{NS_SOAP}"><s:Header/></s:Envelope>"#);
    assert_eq!(parse_response(no_body.as_bytes()), Err(ParseError::NoBody));
}

#[test]
fn namespace_broken_bodies() {
    // The docs' wrong https:// envelope namespace: not SOAP as Exchange speaks it.
    let good = String::from_utf8(fixture("getfolder-response-success.xml")).unwrap();
    let https = good.replace(
        "http://schemas.xmlsoap.org/soap/envelope/",
        "https://schemas.xmlsoap.org/soap/envelope/",
    );
    assert!(matches!(
        parse_response(https.as_bytes()),
        Err(ParseError::NotSoap(_))
    ));
    // Right names in the wrong messages namespace: the response message is not seen.
    let wrong_m = good.replace(
        "xmlns=\"http://schemas.microsoft.com/exchange/services/2006/messages\"",
        "xmlns=\"https://schemas.microsoft.com/exchange/services/2006/messages\"",
    );
    assert!(matches!(
        parse_response(wrong_m.as_bytes()),
        Err(ParseError::Unexpected(_))
    ));
    // Undeclared element prefix and undeclared attribute prefix.
    let undeclared = good
        .replace("<m:ResponseMessages>", "<q:ResponseMessages>")
        .replace("</m:ResponseMessages>", "</q:ResponseMessages>");
    assert!(matches!(
        parse_response(undeclared.as_bytes()),
        Err(ParseError::Namespace(_))
    ));
    let attr = good.replace(
        "ResponseClass=\"Success\"",
        "ResponseClass=\"Success\" i:nil=\"true\"",
    );
    assert!(matches!(
        parse_response(attr.as_bytes()),
        Err(ParseError::Namespace(_))
    ));
}

#[test]
fn bounded_size_and_depth() {
    let big = vec![b' '; moxi_setup::protocol::MAX_BODY + 1];
    assert!(matches!(parse_response(&big), Err(ParseError::TooLarge(_))));
    let depth = moxi_setup::protocol::MAX_DEPTH + 5;
    let deep = format!(
        r#"<s:Envelope xmlns:s="{NS_SOAP}"><s:Body>{}{}</s:Body></s:Envelope>"#,
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    );
    assert!(matches!(
        parse_response(deep.as_bytes()),
        Err(ParseError::TooDeep(_))
    ));
}

#[test]
fn no_entity_expansion() {
    let billion = format!(
        r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><s:Envelope xmlns:s="{NS_SOAP}"><s:Body>&lol2;</s:Body></s:Envelope>"#
    );
    assert_eq!(parse_response(billion.as_bytes()), Err(ParseError::Dtd));
    let ext = format!(
        r#"<s:Envelope xmlns:s="{NS_SOAP}"><s:Body><s:Fault><faultstring>&xxe;</faultstring></s:Fault></s:Body></s:Envelope>"#
    );
    assert!(matches!(
        parse_response(ext.as_bytes()),
        Err(ParseError::Entity(_))
    ));
    let fine = format!(
        r#"<s:Envelope xmlns:s="{NS_SOAP}"><s:Body><s:Fault><faultstring>a &amp; b &#x41;</faultstring></s:Fault></s:Body></s:Envelope>"#
    );
    let r = parse_response(fine.as_bytes()).unwrap();
    assert_eq!(r.fault().unwrap().faultstring.as_deref(), Some("a & b A"));
}

// ---------------------------------------------------------------------------------------------
// GetPasswordExpirationDate responses (no real capture exists: shaped by messages.xsd, and
// validated against it below)
// ---------------------------------------------------------------------------------------------

fn pwd_response(inner: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="{NS_SOAP}">
  <s:Header><h:ServerVersionInfo xmlns:h="{NS_TYPES}" MajorVersion="15" MinorVersion="1" MajorBuildNumber="2507" MinorBuildNumber="6" Version="V2017_07_11"/></s:Header>
  <s:Body>{}</s:Body>
</s:Envelope>"#,
        pwd_body(inner)
    )
}

fn pwd_body(inner: &str) -> String {
    format!(
        r#"<m:GetPasswordExpirationDateResponse xmlns:m="{NS_MESSAGES}" ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>{inner}</m:GetPasswordExpirationDateResponse>"#
    )
}

#[test]
fn password_expiration_shapes() {
    let r = parse_response(
        pwd_response("<m:PasswordExpirationDate>2026-12-06T09:30:00Z</m:PasswordExpirationDate>")
            .as_bytes(),
    )
    .unwrap();
    let Body::PasswordExpiration(p) = &r.body else {
        panic!("{:?}", r.body)
    };
    assert_eq!(p.message.code.as_deref(), Some("NoError"));
    let PasswordExpiry::At(t) = p.expiry else {
        panic!("{:?}", p.expiry)
    };
    assert_eq!((t.year(), t.month() as u8, t.day()), (2026, 12, 6));
    assert_eq!(r.server_version.as_ref().unwrap().build(), "15.1.2507.6");

    for never in [
        "<m:PasswordExpirationDate>9999-12-31T23:59:59Z</m:PasswordExpirationDate>",
        "<m:PasswordExpirationDate/>",
        "",
    ] {
        let r = parse_response(pwd_response(never).as_bytes()).unwrap();
        let Body::PasswordExpiration(p) = &r.body else {
            panic!()
        };
        assert_eq!(p.expiry, PasswordExpiry::Never, "{never}");
    }
    // The wrapped form some documentation shows.
    let wrapped = format!(
        r#"<s:Envelope xmlns:s="{NS_SOAP}"><s:Body><m:GetPasswordExpirationDateResponse xmlns:m="{NS_MESSAGES}"><m:ResponseMessages><m:GetPasswordExpirationDateResponseMessage ResponseClass="Error"><m:MessageText>x</m:MessageText><m:ResponseCode>ErrorNonExistentMailbox</m:ResponseCode></m:GetPasswordExpirationDateResponseMessage></m:ResponseMessages></m:GetPasswordExpirationDateResponse></s:Body></s:Envelope>"#
    );
    let r = parse_response(wrapped.as_bytes()).unwrap();
    assert_eq!(r.first_error_code(), Some("ErrorNonExistentMailbox"));
}

// ---------------------------------------------------------------------------------------------
// Schema validation with xmllint (fails, never skips, in CI)
// ---------------------------------------------------------------------------------------------

/// `../shared/fixtures/schemas` beside the repository (CI), or two levels up (a worktree
/// under wt/), or `$MOXI_SHARED_DIR/fixtures/schemas`.
fn schemas_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut candidates = Vec::new();
    if let Ok(d) = std::env::var("MOXI_SHARED_DIR") {
        candidates.push(PathBuf::from(d).join("fixtures/schemas"));
    }
    candidates.push(root.join("../shared/fixtures/schemas"));
    candidates.push(root.join("../../shared/fixtures/schemas"));
    candidates
        .into_iter()
        .find(|p| p.join("ews/v2018_01_08/types.xsd").is_file())
        .unwrap_or_else(|| panic!("EWS schemas not found beside {}", root.display()))
}

fn xmllint_available() -> bool {
    let ok = Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("xmllint is missing in CI: install libxml2-utils");
    }
    ok
}

/// Validates a whole SOAP envelope: a strict envelope schema written here (there is no SOAP
/// schema among the fixtures) whose header and body children must be global elements of the
/// real EWS schemas.
fn validate(doc: &str, version: &str) -> Result<(), String> {
    let s = schemas_dir();
    let dir = tempfile::tempdir().unwrap();
    let wrapper = format!(
        r###"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{NS_SOAP}" elementFormDefault="qualified">
  <xs:import namespace="http://www.w3.org/XML/1998/namespace" schemaLocation="{xml}"/>
  <xs:import namespace="{NS_TYPES}" schemaLocation="{types}"/>
  <xs:import namespace="{NS_MESSAGES}" schemaLocation="{messages}"/>
  <xs:element name="Envelope"><xs:complexType><xs:sequence>
    <xs:element name="Header" minOccurs="0"><xs:complexType><xs:sequence>
      <xs:any namespace="##other" processContents="strict" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence></xs:complexType></xs:element>
    <xs:element name="Body"><xs:complexType><xs:sequence>
      <xs:any namespace="##other" processContents="strict" minOccurs="1" maxOccurs="1"/>
    </xs:sequence></xs:complexType></xs:element>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>"###,
        xml = s.join("xml.xsd").display(),
        types = s.join("ews").join(version).join("types.xsd").display(),
        messages = s.join("ews").join(version).join("messages.xsd").display(),
    );
    let wp = dir.path().join("envelope.xsd");
    std::fs::write(&wp, wrapper).unwrap();
    let dp = dir.path().join("doc.xml");
    std::fs::write(&dp, doc).unwrap();
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--nonet")
        .arg("--schema")
        .arg(&wp)
        .arg(&dp)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn all_requests() -> Vec<(&'static str, String)> {
    let mut with_mailbox = GetFolder::own(&[Folder::Inbox, Folder::MsgFolderRoot]);
    with_mailbox.mailbox = Some("moxiengage@contoso.com".to_string());
    with_mailbox.shape = BaseShape::IdOnly;
    vec![
        (
            "own inbox",
            GetFolder::own(&[Folder::Inbox]).to_xml().unwrap(),
        ),
        (
            "impersonate self",
            GetFolder::impersonating("moxiengage@contoso.onmicrosoft.com", &[Folder::Inbox])
                .to_xml()
                .unwrap(),
        ),
        (
            "impersonate test user, product folders, odd characters",
            GetFolder::impersonating("o'brien&co<x>@contoso.com", &PRODUCT_FOLDERS)
                .to_xml()
                .unwrap(),
        ),
        ("delegate mailbox", with_mailbox.to_xml().unwrap()),
        (
            "password expiry",
            GetPasswordExpirationDate::new("moxiengage@contoso.example")
                .to_xml()
                .unwrap(),
        ),
        (
            "principal name, 2013 SP1",
            GetFolder {
                version: RequestVersion::Exchange2013Sp1,
                impersonate: Some(ConnectingSid::PrincipalName("a@b.c".into())),
                ..GetFolder::own(&[Folder::Root])
            }
            .to_xml()
            .unwrap(),
        ),
    ]
}

#[test]
fn every_request_validates_against_the_ews_schema() {
    if !xmllint_available() {
        eprintln!("xmllint not installed: schema validation not run (it is mandatory in CI)");
        return;
    }
    for version in ["v2018_01_08", "v2017_07_11"] {
        for (what, doc) in all_requests() {
            validate(&doc, version).unwrap_or_else(|e| panic!("{what} ({version}): {e}\n{doc}"));
            // Our own parser reads our own requests as "not an answer", not as garbage.
            assert!(matches!(
                parse_response(doc.as_bytes()),
                Err(ParseError::Unexpected(_))
            ));
        }
    }
}

#[test]
fn schema_harness_rejects_what_exchange_rejects() {
    if !xmllint_available() {
        return;
    }
    let good = GetFolder::impersonating("a@contoso.com", &[Folder::Inbox])
        .to_xml()
        .unwrap();
    validate(&good, "v2018_01_08").unwrap();
    // Two ConnectingSID children.
    let two = good.replace(
        "<t:PrimarySmtpAddress>",
        "<t:SmtpAddress>b@contoso.com</t:SmtpAddress><t:PrimarySmtpAddress>",
    );
    assert!(validate(&two, "v2018_01_08").is_err());
    // The docs' https:// namespace.
    let https = good.replace(
        "http://schemas.microsoft.com/exchange/services/2006/messages",
        "https://schemas.microsoft.com/exchange/services/2006/messages",
    );
    assert!(validate(&https, "v2018_01_08").is_err());
    // A version the schema does not know.
    let v = good.replace("Exchange2016", "Exchange2019");
    assert!(validate(&v, "v2018_01_08").is_err());
}

#[test]
fn password_request_has_no_impersonation_and_responses_match_schema() {
    let x = GetPasswordExpirationDate::new("svc@contoso.com")
        .to_xml()
        .unwrap();
    assert!(!x.contains("ExchangeImpersonation"));
    assert!(!x.contains("ConnectingSID"));
    if !xmllint_available() {
        return;
    }
    // The synthetic response bodies used above are valid per messages.xsd.
    let body =
        pwd_body("<m:PasswordExpirationDate>2026-12-06T09:30:00Z</m:PasswordExpirationDate>");
    let env = format!(r#"<s:Envelope xmlns:s="{NS_SOAP}"><s:Body>{body}</s:Body></s:Envelope>"#);
    validate(&env, "v2018_01_08").unwrap();
}
