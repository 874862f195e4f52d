//! The simulator answers like the real services for the two "ready" paths (token, GetFolder
//! with and without impersonation) and refuses what the real services refuse.

#[path = "sim_common.rs"]
mod common;
use common::*;

#[tokio::test]
async fn m365_guide_2021_token_and_impersonated_getfolder() {
    let h = start("m365-guide-2021").await;
    let c = client(&h);
    let tok = access_token(&c).await;
    // Payload carries realistic v1 claims.
    let payload = tok.split('.').nth(1).unwrap();
    use base64::Engine;
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["ver"], "1.0");
    assert_eq!(claims["tid"], TENANT_ID);
    assert_eq!(claims["appid"], CLIENT_ID);
    assert_eq!(claims["scp"], "EWS.AccessAsUser.All");
    assert_eq!(claims["upn"], SVC_M365);
    assert!(claims.get("pwd_exp").is_none());

    let (s, body, _) = ews(
        &c,
        EXO_EWS,
        Auth::Bearer(&tok),
        None,
        envelope("", &get_folder(&["inbox"])),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("ResponseClass=\"Success\""));
    assert!(body.contains("Version=\"V2018_01_08\""));

    let (s, body, _) = ews(
        &c,
        EXO_EWS,
        Auth::Bearer(&tok),
        Some(USER_M365),
        envelope(
            &impersonate(USER_M365),
            &get_folder(&["contacts", "calendar", "sentitems"]),
        ),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        body.matches("ResponseClass=\"Success\"").count(),
        3,
        "{body}"
    );
    assert!(body.contains("<t:CalendarFolder>") && body.contains("<t:ContactsFolder>"));

    // Impersonation without the anchor header is refused.
    let (s, body, _) = ews(
        &c,
        EXO_EWS,
        Auth::Bearer(&tok),
        None,
        envelope(&impersonate(USER_M365), &get_folder(&["inbox"])),
    )
    .await;
    assert_eq!(s, 500, "{body}");

    // A made-up token is refused with 401 and the Bearer challenge.
    let (s, _, hd) = ews(
        &c,
        EXO_EWS,
        Auth::Bearer("eyJ.fake.token"),
        None,
        envelope("", &get_folder(&["inbox"])),
    )
    .await;
    assert_eq!(s, 401);
    assert!(
        hd.get("www-authenticate")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("Bearer ")
    );

    let reqs = h.requests();
    assert!(
        reqs.iter()
            .any(|r| r.path.ends_with("/oauth2/v2.0/token") && r.credentials)
    );
    assert!(
        reqs.iter()
            .any(|r| r.impersonation.as_deref() == Some(USER_M365))
    );
    h.shutdown().await;
}

#[tokio::test]
async fn ropc_rules() {
    let h = start("m365-guide-2021").await;
    let c = client(&h);
    for tenant in ["common", "consumers"] {
        let r = token(&c, tenant, SVC_M365).await;
        assert_eq!(r.status(), 400);
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["error_codes"][0], 9001023);
    }
    // Wrong password.
    let r = c
        .post("https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token")
        .form(&[
            ("client_id", CLIENT_ID),
            ("grant_type", "password"),
            ("username", SVC_M365),
            ("password", "nope"),
            (
                "scope",
                "https://outlook.office365.com/EWS.AccessAsUser.All",
            ),
        ])
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error_codes"][0], 50126);
    // A secret sent by a public client.
    let r = c
        .post("https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token")
        .form(&[
            ("client_id", CLIENT_ID),
            ("client_secret", "s3cret"),
            ("grant_type", "password"),
            ("username", SVC_M365),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error_codes"][0], 700025);
    // Unknown tenant and wrong tenant.
    let r = token(&c, "contosso.onmicrosoft.com", SVC_M365).await;
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error_codes"][0], 90002);
    let r = token(&c, "fabrikam.onmicrosoft.com", SVC_M365).await;
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error_codes"][0], 700016);
    // OpenID configuration maps a domain to the GUID.
    let v: serde_json::Value = c
        .get("https://login.microsoftonline.com/contoso.com/v2.0/.well-known/openid-configuration")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        v["issuer"],
        format!("https://login.microsoftonline.com/{TENANT_ID}/v2.0")
    );
    assert_eq!(v["cloud_instance_name"], "microsoftonline.com");
    h.shutdown().await;
}

#[tokio::test]
async fn ex2016_ready_basic_getfolder_and_password_expiry() {
    let h = start("ex2016-ready").await;
    let c = client(&h);
    let (s, _, hd) = ews(
        &c,
        EX_EWS,
        Auth::None,
        None,
        envelope("", &get_folder(&["inbox"])),
    )
    .await;
    assert_eq!(s, 401);
    let chall: Vec<_> = hd
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert!(
        chall.iter().any(|v| v.starts_with("Basic realm=")),
        "{chall:?}"
    );
    let (s, body, _) = ews(
        &c,
        EX_EWS,
        Auth::Basic(SVC_EX, PASSWORD),
        Some(USER_EX),
        envelope(
            &impersonate(USER_EX),
            &get_folder(&["contacts", "calendar", "sentitems"]),
        ),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body.matches("ResponseClass=\"Success\"").count(), 3);
    assert!(
        body.contains("MajorVersion=\"15\" MinorVersion=\"1\"") && body.contains("V2017_07_11")
    );
    let (s, body, _) = ews(
        &c,
        EX_EWS,
        Auth::Basic(SVC_EX, PASSWORD),
        None,
        envelope("", &password_expiration(SVC_EX)),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("<m:PasswordExpirationDate>9999-12-31"));
    // The impersonation header is not allowed on GetPasswordExpirationDate.
    let (s, body, _) = ews(
        &c,
        EX_EWS,
        Auth::Basic(SVC_EX, PASSWORD),
        Some(SVC_EX),
        envelope(&impersonate(SVC_EX), &password_expiration(SVC_EX)),
    )
    .await;
    assert_eq!(s, 500);
    assert!(body.contains("ErrorSchemaValidation"));
    h.shutdown().await;
}

#[tokio::test]
async fn invalid_ews_is_refused_with_schema_validation() {
    let h = start("ex2016-ready").await;
    let c = client(&h);
    let auth = || Auth::Basic(SVC_EX, PASSWORD);
    // Wrong (https) SOAP namespace.
    let bad_ns = envelope("", &get_folder(&["inbox"])).replace(
        "http://schemas.xmlsoap.org/soap/envelope/",
        "https://schemas.xmlsoap.org/soap/envelope/",
    );
    // Missing RequestServerVersion.
    let no_version = envelope("", &get_folder(&["inbox"]))
        .replace(r#"<t:RequestServerVersion Version="Exchange2016"/>"#, "");
    // ConnectingSID with two children.
    let two = envelope(
        "<t:ExchangeImpersonation><t:ConnectingSID><t:SmtpAddress>agent@contoso.example</t:SmtpAddress><t:PrincipalName>agent@contoso.example</t:PrincipalName></t:ConnectingSID></t:ExchangeImpersonation>",
        &get_folder(&["inbox"]),
    );
    let empty = envelope(
        "<t:ExchangeImpersonation><t:ConnectingSID/></t:ExchangeImpersonation>",
        &get_folder(&["inbox"]),
    );
    let bad_version =
        envelope("", &get_folder(&["inbox"])).replace("Exchange2016\"", "Exchange2019\"");
    for (what, body) in [
        ("ns", bad_ns),
        ("version", no_version),
        ("two", two),
        ("empty", empty),
        ("bad version", bad_version),
        ("garbage", "<nope".to_string()),
    ] {
        let (s, resp, _) = ews(&c, EX_EWS, auth(), Some(USER_EX), body).await;
        assert_eq!(s, 500, "{what}: {resp}");
        assert!(resp.contains("a:ErrorSchemaValidation"), "{what}: {resp}");
    }
    h.shutdown().await;
}
