//! The Autodiscover parsers against every file in `tests/fixtures/autodiscover/` (real POX and
//! SOAP bodies), plus hand-made broken documents: namespace-broken, malformed, too big, too deep,
//! entity tricks. A walk over the fixture folder fails when a file has no expectation here.

use moxi_setup::protocol::autodiscover::{
    EwsSettings, PoxAnswer, PoxError, V2Error, is_autodiscover_path, parse_pox, parse_v2_json,
    pox_request, v2_json_url,
};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/autodiscover")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(fixtures().join(rel)).unwrap()
}

/// Fills exchangelib's f-string placeholders.
fn fill(rel: &str) -> String {
    read(rel)
        .replace("{address}", "agent@contoso.example")
        .replace(
            "{ews_url}",
            "https://mail.contoso.example/EWS/Exchange.asmx",
        )
}

#[derive(Debug)]
enum Expect {
    Settings {
        external: Option<&'static str>,
        internal: Option<&'static str>,
        preferred: &'static str,
    },
    Addr(&'static str),
    Url(&'static str),
    Error600,
    NotAutodiscover,
    NoEwsUrl,
    /// Not well-formed or namespace-broken: any parse error except the "valid but not POX" ones.
    Broken,
}

const TABLE: &[(&str, Expect)] = &[
    (
        "pox/exchangelib/pox-redirectaddr-with-user.xml",
        Expect::Addr("foo@example.com"),
    ),
    (
        "pox/exchangelib/pox-redirectaddr.template.xml",
        Expect::Addr("agent@contoso.example"),
    ),
    (
        "pox/exchangelib/pox-redirecturl-with-user.xml",
        Expect::Url("https://example.com/foo.asmx"),
    ),
    (
        "pox/exchangelib/pox-redirecturl.template.xml",
        Expect::Url("https://mail.contoso.example/EWS/Exchange.asmx"),
    ),
    (
        "pox/exchangelib/pox-settings-exch-and-expr.xml",
        Expect::Settings {
            external: Some("https://expr.example.com/EWS/Exchange.asmx"),
            internal: Some("https://exch.example.com/EWS/Exchange.asmx"),
            preferred: "https://expr.example.com/EWS/Exchange.asmx",
        },
    ),
    (
        "pox/exchangelib/pox-settings-exch-only.xml",
        Expect::Settings {
            external: None,
            internal: Some("https://exch.example.com/EWS/Exchange.asmx"),
            preferred: "https://exch.example.com/EWS/Exchange.asmx",
        },
    ),
    (
        "pox/exchangelib/pox-settings-expr.template.xml",
        Expect::Settings {
            external: Some("https://mail.contoso.example/EWS/Exchange.asmx"),
            internal: None,
            preferred: "https://mail.contoso.example/EWS/Exchange.asmx",
        },
    ),
    (
        "pox/exchangelib/pox-settings-unknown-protocol.xml",
        Expect::NoEwsUrl,
    ),
    (
        "pox/msdocs/pox-account-element-redirect.FRAGMENT.xml",
        Expect::NotAutodiscover,
    ),
    ("pox/msdocs/pox-request-2.xml", Expect::NotAutodiscover),
    ("pox/msdocs/pox-request.xml", Expect::NotAutodiscover),
    ("pox/msdocs/pox-response-error.xml", Expect::Error600),
    (
        "pox/msdocs/pox-response-redirectaddr.xml",
        Expect::Addr("elvin@mail.contoso.com"),
    ),
    // EXPR carries no EwsUrl here, only EXCH does: fall back to EXCH.
    (
        "pox/msdocs/pox-response-settings-2.xml",
        Expect::Settings {
            external: None,
            internal: Some("https://mail.contoso.com/EWS/Exchange.asmx"),
            preferred: "https://mail.contoso.com/EWS/Exchange.asmx",
        },
    ),
    // Only ASUrl (the docs' sample): used as the EWS URL, EXPR preferred.
    (
        "pox/msdocs/pox-response-settings-exch-expr.xml",
        Expect::Settings {
            external: Some("https://mail.contoso.com/ews/exchange.asmx"),
            internal: Some("https://mail.contoso.com/ews/exchange.asmx"),
            preferred: "https://mail.contoso.com/ews/exchange.asmx",
        },
    ),
    // SOAP Autodiscover bodies are not POX answers: a server that sends one to a POX request
    // must not be taken as having answered.
    (
        "soap/exchangelib/getusersettings-error-internalservererror.xml",
        Expect::NotAutodiscover,
    ),
    (
        "soap/exchangelib/getusersettings-error-invalidsetting.xml",
        Expect::NotAutodiscover,
    ),
    (
        "soap/exchangelib/getusersettings-redirectaddress.template.xml",
        Expect::NotAutodiscover,
    ),
    (
        "soap/exchangelib/getusersettings-redirecturl.template.xml",
        Expect::NotAutodiscover,
    ),
    (
        "soap/exchangelib/getusersettings-success.template.NOT-NS-WELL-FORMED.xml",
        Expect::Broken,
    ),
    (
        "soap/msdocs/getusersettings-request-2.xml",
        Expect::NotAutodiscover,
    ),
    (
        "soap/msdocs/getusersettings-request-3.xml",
        Expect::NotAutodiscover,
    ),
    (
        "soap/msdocs/getusersettings-request-4.xml",
        Expect::NotAutodiscover,
    ),
    (
        "soap/msdocs/getusersettings-request.xml",
        Expect::NotAutodiscover,
    ),
    (
        "soap/msdocs/getusersettings-response-redirect.xml",
        Expect::NotAutodiscover,
    ),
    (
        "soap/msdocs/getusersettings-response-redirectaddress-2.xml",
        Expect::NotAutodiscover,
    ),
    (
        "soap/msdocs/getusersettings-response-success-2.xml",
        Expect::NotAutodiscover,
    ),
    (
        "soap/msdocs/getusersettings-response-success-3.xml",
        Expect::NotAutodiscover,
    ),
    (
        "soap/msdocs/getusersettings-response-success.NOT-WELL-FORMED.xml",
        Expect::Broken,
    ),
];

fn check(rel: &str, want: &Expect) {
    let body = fill(rel);
    let got = parse_pox(body.as_bytes());
    match (want, &got) {
        (
            Expect::Settings {
                external,
                internal,
                preferred,
            },
            Ok(PoxAnswer::Settings(s)),
        ) => {
            assert_eq!(s.external.as_deref(), *external, "{rel}");
            assert_eq!(s.internal.as_deref(), *internal, "{rel}");
            assert_eq!(s.preferred(), Some(*preferred), "{rel}");
        }
        (Expect::Addr(a), Ok(PoxAnswer::RedirectAddr(g))) => assert_eq!(g, a, "{rel}"),
        (Expect::Url(u), Ok(PoxAnswer::RedirectUrl(g))) => assert_eq!(g, u, "{rel}"),
        (Expect::Error600, Ok(PoxAnswer::Error { code, message, .. })) => {
            assert_eq!(code, "600", "{rel}");
            assert_eq!(message, "Invalid Request", "{rel}");
        }
        (Expect::NotAutodiscover, Err(PoxError::NotAutodiscover(_))) => {}
        (Expect::NoEwsUrl, Err(PoxError::NoEwsUrl)) => {}
        (
            Expect::Broken,
            Err(PoxError::Malformed(_) | PoxError::UndeclaredPrefix(_) | PoxError::DocType),
        ) => {}
        _ => panic!("{rel}: expected {want:?}, got {got:?}"),
    }
}

#[test]
fn every_fixture_parses_as_expected() {
    for (rel, want) in TABLE {
        check(rel, want);
    }
}

#[test]
fn every_fixture_file_has_an_expectation() {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "xml") {
                let rel = p.strip_prefix(fixtures()).unwrap();
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut files = Vec::new();
    walk(&fixtures(), &mut files);
    assert!(files.len() >= 29, "fixtures missing: {files:?}");
    for f in &files {
        assert!(
            TABLE.iter().any(|(r, _)| r == f),
            "{f} is not covered by TABLE"
        );
    }
}

#[test]
fn the_soap_fixture_with_an_undeclared_prefix_is_rejected_when_it_is_the_root_namespace_issue() {
    // exchangelib's own success body uses `i:nil` with `i` undeclared at that point; grafting
    // the same mistake into a POX answer must be refused as namespace-broken, not parsed.
    let body = r#"<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
    <Account><Action i:nil="true">settings</Action>
      <Protocol><Type>EXPR</Type><EwsUrl>https://mail.contoso.example/EWS/Exchange.asmx</EwsUrl></Protocol>
    </Account>
  </Response>
</Autodiscover>"#;
    assert!(matches!(
        parse_pox(body.as_bytes()),
        Err(PoxError::UndeclaredPrefix(p)) if p == "i"
    ));
}

fn settings_doc(inner: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
    <Account><AccountType>email</AccountType><Action>settings</Action>{inner}</Account>
  </Response>
</Autodiscover>"#
    )
}

#[test]
fn expr_is_preferred_whatever_the_order() {
    let doc = settings_doc(
        "<Protocol><Type>EXPR</Type><EwsUrl>https://ext.contoso.example/EWS/Exchange.asmx</EwsUrl></Protocol>\
         <Protocol><Type>EXCH</Type><EwsUrl>https://int.contoso.example/EWS/Exchange.asmx</EwsUrl></Protocol>",
    );
    let Ok(PoxAnswer::Settings(s)) = parse_pox(doc.as_bytes()) else {
        panic!()
    };
    assert_eq!(
        s.preferred(),
        Some("https://ext.contoso.example/EWS/Exchange.asmx")
    );
    assert_eq!(s.preferred_source(), Some("EXPR"));
}

#[test]
fn a_protocol_nested_inside_web_is_not_an_ews_url() {
    let doc = settings_doc(
        "<Protocol><Type>WEB</Type><Internal><Protocol><Type>EXCH</Type>\
         <ASUrl>https://owa.contoso.example/EWS/Exchange.asmx</ASUrl></Protocol></Internal></Protocol>",
    );
    assert_eq!(parse_pox(doc.as_bytes()), Err(PoxError::NoEwsUrl));
}

#[test]
fn https_namespaces_copied_from_todays_docs_are_refused() {
    // Microsoft's docs rewrote the namespaces to https:// in 2020; Exchange never sends those.
    let doc = settings_doc(
        "<Protocol><Type>EXPR</Type><EwsUrl>https://x.contoso.example/EWS/Exchange.asmx</EwsUrl></Protocol>",
    )
    .replace(
        "\"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006\"",
        "\"https://schemas.microsoft.com/exchange/autodiscover/responseschema/2006\"",
    );
    assert!(matches!(
        parse_pox(doc.as_bytes()),
        Err(PoxError::NotAutodiscover(_))
    ));
}

#[test]
fn elements_in_a_foreign_namespace_are_ignored() {
    // An EwsUrl under a Protocol in another namespace is not Exchange's EwsUrl.
    let doc = settings_doc(
        "<Protocol xmlns=\"urn:evil\"><Type>EXPR</Type><EwsUrl>https://evil.example/EWS/Exchange.asmx</EwsUrl></Protocol>",
    );
    assert_eq!(parse_pox(doc.as_bytes()), Err(PoxError::NoEwsUrl));
}

#[test]
fn an_undeclared_element_prefix_is_refused() {
    let doc = settings_doc(
        "<a:Protocol><Type>EXPR</Type><EwsUrl>https://x.contoso.example/EWS/Exchange.asmx</EwsUrl></a:Protocol>",
    );
    assert!(matches!(
        parse_pox(doc.as_bytes()),
        Err(PoxError::UndeclaredPrefix(p)) if p == "a"
    ));
}

#[test]
fn malformed_documents_are_refused() {
    let full = settings_doc(
        "<Protocol><Type>EXPR</Type><EwsUrl>https://x.contoso.example/EWS/Exchange.asmx</EwsUrl></Protocol>",
    );
    let truncated = &full[..full.len() - 30];
    assert!(matches!(
        parse_pox(truncated.as_bytes()),
        Err(PoxError::Malformed(_))
    ));
    let mismatched = full.replace("</Type>", "</Typo>");
    assert!(matches!(
        parse_pox(mismatched.as_bytes()),
        Err(PoxError::Malformed(_))
    ));
    assert!(matches!(parse_pox(b""), Err(PoxError::Malformed(_))));
    assert!(matches!(
        parse_pox(b"<html><body>IIS 404</body></html>"),
        Err(PoxError::NotAutodiscover(_))
    ));
    assert!(matches!(
        parse_pox(&[0xff, 0xfe, 0x00]),
        Err(PoxError::Malformed(_))
    ));
    let two_roots = format!("{full}<Autodiscover/>");
    assert!(parse_pox(two_roots.as_bytes()).is_err());
}

#[test]
fn entity_declarations_and_unknown_entities_are_refused() {
    let lol = r#"<?xml version="1.0"?>
<!DOCTYPE Autodiscover [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">&b;</Autodiscover>"#;
    assert_eq!(parse_pox(lol.as_bytes()), Err(PoxError::DocType));
    let doc = settings_doc(
        "<Protocol><Type>EXPR</Type><EwsUrl>https://x.example/&xxe;</EwsUrl></Protocol>",
    );
    assert!(matches!(
        parse_pox(doc.as_bytes()),
        Err(PoxError::Malformed(_))
    ));
}

#[test]
fn predefined_entities_and_character_references_are_decoded() {
    let doc = r#"<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
    <Account><Action>redirectUrl</Action>
      <RedirectURL>https://autodiscover.contoso.example/autodiscover/autodiscover.xml?a=1&amp;b=&#50;</RedirectURL>
    </Account>
  </Response>
</Autodiscover>"#;
    assert_eq!(
        parse_pox(doc.as_bytes()),
        Ok(PoxAnswer::RedirectUrl(
            "https://autodiscover.contoso.example/autodiscover/autodiscover.xml?a=1&b=2".into()
        ))
    );
}

#[test]
fn size_and_depth_are_bounded() {
    let big = vec![b' '; moxi_setup::protocol::MAX_BODY + 1];
    assert_eq!(parse_pox(&big), Err(PoxError::TooLarge));
    let deep = format!(
        "<Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006\">{}{}</Autodiscover>",
        "<x>".repeat(200),
        "</x>".repeat(200)
    );
    assert_eq!(parse_pox(deep.as_bytes()), Err(PoxError::TooDeep));
}

#[test]
fn a_redirect_without_target_and_unknown_actions_are_errors() {
    let doc = settings_doc("").replace(
        "<Action>settings</Action>",
        "<Action>redirectAddr</Action><RedirectAddr/>",
    );
    assert_eq!(
        parse_pox(doc.as_bytes()),
        Err(PoxError::MissingRedirectTarget)
    );
    let doc = settings_doc("").replace("<Action>settings</Action>", "<Action>launch</Action>");
    assert!(matches!(
        parse_pox(doc.as_bytes()),
        Err(PoxError::UnknownAction(a)) if a == "launch"
    ));
}

#[test]
fn other_pox_error_codes_are_reported_as_sent() {
    let doc = read("pox/msdocs/pox-response-error.xml")
        .replace("<ErrorCode>600</ErrorCode>", "<ErrorCode>603</ErrorCode>")
        .replace("Invalid Request", "Server Unavailable");
    match parse_pox(doc.as_bytes()) {
        Ok(PoxAnswer::Error { code, message, .. }) => {
            assert_eq!(code, "603");
            assert_eq!(message, "Server Unavailable");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_request_has_the_right_namespace_and_escapes_the_address() {
    let body = pox_request("o'brien&co@contoso.example");
    assert!(body.contains(
        "xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006\""
    ));
    assert!(
        body.contains("&amp;co@contoso.example</EMailAddress>"),
        "{body}"
    );
    assert!(!body.contains("&co@"));
    assert!(body.contains("<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>"));
    // The same shape as Microsoft's sample request (element names, order).
    let sample = read("pox/msdocs/pox-request.xml");
    for el in ["<Request>", "<EMailAddress>", "<AcceptableResponseSchema>"] {
        assert!(sample.contains(el) && body.contains(el), "{el}");
        assert!(
            body.find("<EMailAddress>").unwrap() < body.find("<AcceptableResponseSchema>").unwrap()
        );
    }
    let injected = pox_request("x</EMailAddress><LegacyDN>y@contoso.example");
    assert!(!injected.contains("<LegacyDN>"));
}

#[test]
fn settings_evidence_fields() {
    let body = read("pox/exchangelib/pox-settings-exch-and-expr.xml");
    let Ok(PoxAnswer::Settings(EwsSettings { smtp_address, .. })) = parse_pox(body.as_bytes())
    else {
        panic!()
    };
    assert_eq!(smtp_address.as_deref(), Some("john@demo.affect-it.dk"));
}

#[test]
fn autodiscover_path_rule() {
    assert!(is_autodiscover_path("/autodiscover/autodiscover.xml"));
    assert!(is_autodiscover_path("/AutoDiscover/AutoDiscover.xml"));
    assert!(!is_autodiscover_path("/"));
    assert!(!is_autodiscover_path("/login.php"));
    assert!(!is_autodiscover_path("/autodiscover/autodiscover.json"));
}

#[test]
fn v2_json_answers() {
    let ok = br#"{"Protocol":"EWS","Url":"https://outlook.office365.com/EWS/Exchange.asmx"}"#;
    let a = parse_v2_json(ok).unwrap();
    assert_eq!(a.url, "https://outlook.office365.com/EWS/Exchange.asmx");
    assert_eq!(a.protocol, "EWS");
    assert_eq!(
        parse_v2_json(br#"{"ErrorCode":"InvalidUser","ErrorMessage":"x"}"#),
        Err(V2Error::Server("InvalidUser".into()))
    );
    assert!(matches!(
        parse_v2_json(br#"{"Protocol":"REST","Url":"https://outlook.office.com/api"}"#),
        Err(V2Error::WrongProtocol(_))
    ));
    assert_eq!(parse_v2_json(br#"{"Protocol":"EWS"}"#), Err(V2Error::NoUrl));
    assert!(matches!(
        parse_v2_json(b"<html/>"),
        Err(V2Error::NotJson(_))
    ));
    assert!(matches!(parse_v2_json(b"[1]"), Err(V2Error::NotJson(_))));
    let big = vec![b' '; moxi_setup::protocol::MAX_BODY + 1];
    assert_eq!(parse_v2_json(&big), Err(V2Error::TooLarge));
}

#[test]
fn v2_url_encodes_the_address() {
    assert_eq!(
        v2_json_url(
            "outlook.office365.com",
            "moxiengage@contoso.onmicrosoft.com"
        ),
        "https://outlook.office365.com/autodiscover/autodiscover.json/v1.0/moxiengage@contoso.onmicrosoft.com?Protocol=EWS"
    );
    assert!(v2_json_url("h", "a/b?c#d@x.example").contains("a%2Fb%3Fc%23d@x.example"));
}
