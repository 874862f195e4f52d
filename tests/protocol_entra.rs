//! Entra ID wire code against every body in tests/fixtures/entra (copied from
//! ../shared/fixtures/entra; provenance in tests/fixtures/PROVENANCE.md).

use moxi_setup::protocol::entra::*;
use secrecy::ExposeSecret;
use std::path::Path;

fn fixture(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/entra")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn error(name: &str) -> EntraErrorBody {
    match parse_token_response(&fixture(name)).unwrap() {
        TokenResponse::Error(e) => e,
        TokenResponse::Success(_) => panic!("{name} parsed as success"),
    }
}

#[test]
fn every_error_fixture() {
    // (file, error, first code, suberror, has error_uri)
    let cases: &[(&str, &str, u64, Option<&str>, bool)] = &[
        (
            "aadsts50034-invalid_grant-2019.msdocs.json",
            "invalid_grant",
            50034,
            None,
            false,
        ),
        (
            "aadsts50055-user_password_expired-2019.msdocs.json",
            "user_password_expired",
            50055,
            Some("user_password_expired"),
            false,
        ),
        (
            "aadsts50076-invalid_grant-basic_action-2025.json",
            "invalid_grant",
            50076,
            Some("basic_action"),
            true,
        ),
        (
            "aadsts50126-invalid_grant-2021.json",
            "invalid_grant",
            50126,
            None,
            true,
        ),
        (
            "aadsts53003-interaction_required-message_only-ropc-2023.json",
            "interaction_required",
            53003,
            Some("message_only"),
            true,
        ),
        (
            "aadsts65001-invalid_grant-consent_required-2019.json",
            "invalid_grant",
            65001,
            Some("consent_required"),
            false,
        ),
        (
            "aadsts700016-unauthorized_client-2021.json",
            "unauthorized_client",
            700016,
            None,
            true,
        ),
        (
            "aadsts7000218-invalid_client-2024.json",
            "invalid_client",
            7000218,
            None,
            true,
        ),
        (
            "aadsts90002-invalid_request-2020.json",
            "invalid_request",
            90002,
            None,
            true,
        ),
        (
            "aadsts90002-invalid_tenant-oidc-discovery-2025.json",
            "invalid_tenant",
            90002,
            None,
            true,
        ),
        (
            "error-sample-aadsts70011.msdocs.json",
            "invalid_scope",
            70011,
            None,
            true,
        ),
    ];
    for (file, err, code, sub, uri) in cases {
        let e = error(file);
        assert_eq!(&e.error, err, "{file}");
        assert_eq!(e.code(), Some(*code), "{file}");
        assert_eq!(e.code_string(), format!("AADSTS{code}"), "{file}");
        assert_eq!(e.suberror.as_deref(), *sub, "{file}");
        assert_eq!(e.error_uri.is_some(), *uri, "{file}");
        assert!(
            e.trace_id.as_deref().is_some_and(|t| t.len() == 36),
            "{file}"
        );
        assert!(
            e.correlation_id.as_deref().is_some_and(|t| t.len() == 36),
            "{file}"
        );
        assert!(e.timestamp.is_some(), "{file}");
        let m = e.message();
        assert!(!m.is_empty(), "{file}");
        assert!(!m.contains("Trace ID"), "{file}: {m}");
        assert!(!m.starts_with("AADSTS"), "{file}: {m}");
    }
    let pe = error("aadsts50055-user_password_expired-2019.msdocs.json");
    assert_eq!(
        pe.password_change_url.as_deref(),
        Some("https://portal.microsoftonline.com/ChangePassword.aspx")
    );
}

#[test]
fn both_description_formats_lose_their_trailer() {
    // 2021: "\r\nTrace ID: …"
    let old = error("aadsts50126-invalid_grant-2021.json");
    assert_eq!(
        old.message(),
        "Error validating credentials due to invalid username or password."
    );
    // 2024: " Trace ID: …" on the same line
    let new = error("aadsts7000218-invalid_client-2024.json");
    assert_eq!(
        new.message(),
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."
    );
}

#[test]
fn success_fixture() {
    let TokenResponse::Success(s) =
        parse_token_response(&fixture("ropc-v2-success.msdocs.json")).unwrap()
    else {
        panic!()
    };
    assert_eq!(s.token_type, "Bearer");
    assert_eq!(s.expires_in, Some(3599));
    assert!(s.access_token.expose_secret().starts_with("eyJ0"));
    assert!(s.refresh_token.is_some());
    // Debug output never carries the token.
    let dbg = format!("{s:?}");
    assert!(!dbg.contains("eyJ0"), "{dbg}");
}

#[test]
fn garbage_is_typed() {
    assert!(matches!(
        parse_token_response(b"<html>502</html>"),
        Err(EntraError::NotJson(_))
    ));
    assert!(matches!(
        parse_token_response(b"{\"token_type\":\"Bearer\"}"),
        Err(EntraError::NotJson(_))
    ));
    let big = vec![b' '; moxi_setup::protocol::MAX_BODY + 1];
    assert!(matches!(
        parse_token_response(&big),
        Err(EntraError::TooLarge(_))
    ));
}

#[test]
fn openid_configuration() {
    let body = br#"{"token_endpoint":"https://login.microsoftonline.com/3f2b8a4c-9d1e-4c7a-b5e6-0a1b2c3d4e5f/oauth2/v2.0/token","issuer":"https://login.microsoftonline.com/3F2B8A4C-9D1E-4C7A-B5E6-0A1B2C3D4E5F/v2.0","tenant_region_scope":"NA","cloud_instance_name":"microsoftonline.com","cloud_graph_host_name":"graph.windows.net","msgraph_host":"graph.microsoft.com"}"#;
    let OpenIdResponse::Config(c) = parse_openid_configuration(body).unwrap() else {
        panic!()
    };
    assert_eq!(
        c.tenant_id().as_deref(),
        Some("3f2b8a4c-9d1e-4c7a-b5e6-0a1b2c3d4e5f")
    );
    assert_eq!(
        c.cloud_instance_name.as_deref(),
        Some("microsoftonline.com")
    );
    let OpenIdResponse::Error(e) = parse_openid_configuration(&fixture(
        "aadsts90002-invalid_tenant-oidc-discovery-2025.json",
    ))
    .unwrap() else {
        panic!()
    };
    assert_eq!(e.code(), Some(90002));
    let odd = br#"{"issuer":"https://login.microsoftonline.com/common/v2.0"}"#;
    let OpenIdResponse::Config(c) = parse_openid_configuration(odd).unwrap() else {
        panic!()
    };
    assert_eq!(c.tenant_id(), None);
}

#[test]
fn user_realm() {
    let managed = br#"{"ver":"1.0","account_type":"Managed","domain_name":"contoso.onmicrosoft.com","cloud_instance_name":"microsoftonline.com","cloud_audience_urn":"urn:federation:MicrosoftOnline"}"#;
    let r = parse_user_realm(managed).unwrap();
    assert_eq!(r.account_type, AccountType::Managed);
    assert_eq!(
        r.cloud_instance_name.as_deref(),
        Some("microsoftonline.com")
    );
    let fed = br#"{"ver":"1.0","account_type":"Federated","domain_name":"contoso.com","federation_protocol":"WSTrust","federation_metadata_url":"https://sts.contoso.com/adfs/services/trust/mex","federation_active_auth_url":"https://sts.contoso.com/adfs/services/trust/2005/usernamemixed","cloud_instance_name":"microsoftonline.com"}"#;
    let r = parse_user_realm(fed).unwrap();
    assert_eq!(r.account_type, AccountType::Federated);
    assert_eq!(r.federation_protocol.as_deref(), Some("WSTrust"));
    let unknown = br#"{"ver":"1.0","account_type":"Unknown","domain_name":"nowhere.example"}"#;
    assert!(matches!(
        parse_user_realm(unknown).unwrap().account_type,
        AccountType::Unknown(_)
    ));
    assert!(parse_user_realm(b"[]").is_err());
}
