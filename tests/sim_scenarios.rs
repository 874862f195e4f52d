//! Each scenario makes the simulated services behave as its description says, in the
//! shapes the real services use.

#[path = "sim_common.rs"]
mod common;
use common::*;
use moxi_setup::sim::{self, SimError, SimOptions};
use serde_json::Value;
use std::time::Duration;

async fn token_json(name: &str) -> (u16, Value) {
    let h = start(name).await;
    let c = client(&h);
    let r = token(&c, "contoso.onmicrosoft.com", SVC_M365).await;
    let s = r.status().as_u16();
    let v = r.json().await.unwrap();
    h.shutdown().await;
    (s, v)
}

#[tokio::test]
async fn token_errors_per_scenario() {
    for (name, code, error, sub) in [
        ("m365-public-client-off", 7000218, "invalid_client", None),
        (
            "m365-no-consent",
            65001,
            "invalid_grant",
            Some("consent_required"),
        ),
        ("m365-wrong-client-id", 700016, "unauthorized_client", None),
        ("m365-wrong-password", 50126, "invalid_grant", None),
        (
            "m365-mfa-required",
            50076,
            "invalid_grant",
            Some("basic_action"),
        ),
        (
            "m365-conditional-access",
            53003,
            "interaction_required",
            Some("message_only"),
        ),
        (
            "m365-security-defaults",
            530035,
            "interaction_required",
            Some("message_only"),
        ),
        ("m365-account-disabled", 50057, "invalid_grant", None),
        ("m365-locked", 50053, "unauthorized_client", None),
        (
            "m365-password-expired",
            50055,
            "user_password_expired",
            Some("user_password_expired"),
        ),
        ("m365-no-exchange", 500011, "invalid_resource", None),
    ] {
        let (s, v) = token_json(name).await;
        assert!(s == 400 || s == 401, "{name}: {s}");
        assert_eq!(v["error"], error, "{name}: {v}");
        assert_eq!(v["error_codes"], serde_json::json!([code]), "{name}");
        let d = v["error_description"].as_str().unwrap();
        assert!(d.starts_with(&format!("AADSTS{code}: ")), "{name}: {d}");
        for k in ["Trace ID: ", "Correlation ID: ", "Timestamp: "] {
            assert!(d.contains(k), "{name}: {d}");
        }
        assert_eq!(v["trace_id"].as_str().unwrap().len(), 36);
        assert_eq!(v["correlation_id"].as_str().unwrap().len(), 36);
        assert_eq!(v["suberror"].as_str(), sub, "{name}");
        if code == 50055 {
            assert!(v["password_change_url"].is_string());
        }
    }
    // The ready scenario issues a token with the same request.
    let (s, v) = token_json("m365-guide-2021").await;
    assert_eq!(s, 200);
    assert_eq!(v["token_type"], "Bearer");
    assert!(v["expires_in"].is_number());
}

#[tokio::test]
async fn realm_openid_and_unknown_tenant() {
    let h = start("m365-federated").await;
    let c = client(&h);
    let get = |url: String| {
        let c = c.clone();
        async move {
            let r = c.get(url).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (_, v) = get("https://login.microsoftonline.com/common/UserRealm/moxiengage%40contoso.com?api-version=1.0".into()).await;
    assert_eq!(v["account_type"], "Federated");
    assert!(
        v["federation_active_auth_url"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    let (_, v) = get(format!(
        "https://login.microsoftonline.com/common/UserRealm/{SVC_M365}?api-version=1.0"
    ))
    .await;
    assert_eq!(v["account_type"], "Managed");
    let (s, v) = get("https://login.microsoftonline.com/contosso.onmicrosoft.com/v2.0/.well-known/openid-configuration".into()).await;
    assert_eq!(s, 400);
    assert_eq!(v["error_codes"][0], 90002);
    let (s, v) = get(format!(
        "https://login.microsoftonline.com/{TENANT_ID}/v2.0/.well-known/openid-configuration"
    ))
    .await;
    assert_eq!(s, 200);
    assert!(v["token_endpoint"].as_str().unwrap().contains(TENANT_ID));
    // ROPC for the federated account is refused like Entra does without cloud passwords.
    let r = token(&c, "contoso.onmicrosoft.com", "moxiengage@contoso.com").await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error_codes"][0], 50126);
    h.shutdown().await;
}

#[tokio::test]
async fn exchange_online_blocks_and_impersonation() {
    for (name, status) in [
        ("m365-late-2026", 403),
        ("m365-app-not-allowlisted", 403),
        ("m365-unavailable", 503),
    ] {
        let h = start(name).await;
        let c = client(&h);
        let tok = access_token(&c).await;
        let (s, body, _) = ews(
            &c,
            EXO_EWS,
            Auth::Bearer(&tok),
            None,
            envelope("", &get_folder(&["inbox"])),
        )
        .await;
        assert_eq!(s, status, "{name}");
        if status == 403 {
            assert!(body.is_empty());
        }
        h.shutdown().await;
    }
    // Allow-listed: own mailbox works, impersonation is refused (role retired).
    let h = start("m365-allowlisted").await;
    let c = client(&h);
    let tok = access_token(&c).await;
    let (s, body, _) = ews(
        &c,
        EXO_EWS,
        Auth::Bearer(&tok),
        None,
        envelope("", &get_folder(&["inbox"])),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let (s, body, _) = ews(
        &c,
        EXO_EWS,
        Auth::Bearer(&tok),
        Some(SVC_M365),
        envelope(&impersonate(SVC_M365), &get_folder(&["inbox"])),
    )
    .await;
    assert_eq!(s, 500);
    assert!(body.contains("a:ErrorImpersonateUserDenied"), "{body}");
    h.shutdown().await;
    // Test user without mailbox.
    let h = start("m365-test-user-no-mailbox").await;
    let c = client(&h);
    let tok = access_token(&c).await;
    let (s, body, _) = ews(
        &c,
        EXO_EWS,
        Auth::Bearer(&tok),
        Some(USER_M365),
        envelope(&impersonate(USER_M365), &get_folder(&["contacts"])),
    )
    .await;
    assert_eq!(s, 500);
    assert!(body.contains("<e:ResponseCode xmlns:e=\"http://schemas.microsoft.com/exchange/services/2006/errors\">ErrorNonExistentMailbox"), "{body}");
    h.shutdown().await;
}

#[tokio::test]
async fn throttled_then_success_and_pwd_exp() {
    let h = start("m365-throttled").await;
    let c = client(&h);
    let tok = access_token(&c).await;
    let (s, body, _) = ews(
        &c,
        EXO_EWS,
        Auth::Bearer(&tok),
        None,
        envelope("", &get_folder(&["inbox"])),
    )
    .await;
    assert_eq!(s, 500);
    assert!(
        body.contains("a:ErrorServerBusy")
            && body.contains("<t:Value Name=\"BackOffMilliseconds\">"),
        "{body}"
    );
    let (s, _, _) = ews(
        &c,
        EXO_EWS,
        Auth::Bearer(&tok),
        None,
        envelope("", &get_folder(&["inbox"])),
    )
    .await;
    assert_eq!(s, 200);
    h.shutdown().await;

    let h = start("m365-password-expires").await;
    let c = client(&h);
    let tok = access_token(&c).await;
    use base64::Engine;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(tok.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    let left = claims["pwd_exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert_eq!(left, 5 * 86_400);
    h.shutdown().await;
}

#[tokio::test]
async fn on_premises_auth_impersonation_and_versions() {
    let h = start("ex2016-basic-off").await;
    let c = client(&h);
    let (s, _, hd) = ews(
        &c,
        EX_EWS,
        Auth::Basic(SVC_EX, PASSWORD),
        None,
        envelope("", &get_folder(&["inbox"])),
    )
    .await;
    assert_eq!(s, 401);
    let ch: Vec<String> = hd
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert_eq!(ch, vec!["Negotiate".to_string(), "NTLM".to_string()]);
    h.shutdown().await;

    let h = start("ex2016-ready").await;
    let c = client(&h);
    let (s, _, _) = ews(
        &c,
        EX_EWS,
        Auth::Basic(SVC_EX, "wrong"),
        None,
        envelope("", &get_folder(&["inbox"])),
    )
    .await;
    assert_eq!(s, 401);
    let (s, _, _) = ews(
        &c,
        EX_EWS,
        Auth::Basic("CONTOSO\\moxiengage", PASSWORD),
        None,
        envelope("", &get_folder(&["inbox"])),
    )
    .await;
    assert_eq!(s, 200);
    h.shutdown().await;

    let h = start("ex2016-no-impersonation-role").await;
    let c = client(&h);
    let (s, body, _) = ews(
        &c,
        EX_EWS,
        Auth::Basic(SVC_EX, PASSWORD),
        Some(SVC_EX),
        envelope(&impersonate(SVC_EX), &get_folder(&["inbox"])),
    )
    .await;
    assert_eq!(s, 500);
    assert!(body.contains("a:ErrorImpersonateUserDenied"));
    h.shutdown().await;

    let h = start("ex2016-password-expiring").await;
    let c = client(&h);
    let (_, body, _) = ews(
        &c,
        EX_EWS,
        Auth::Basic(SVC_EX, PASSWORD),
        None,
        envelope("", &password_expiration(SVC_EX)),
    )
    .await;
    let date = body
        .split("<m:PasswordExpirationDate>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap();
    let d =
        time::OffsetDateTime::parse(date, &time::format_description::well_known::Rfc3339).unwrap();
    let days = (d - time::OffsetDateTime::now_utc()).whole_hours();
    assert!((4 * 24..=5 * 24).contains(&days), "{date}");
    h.shutdown().await;

    let h = start("ex2016-test-user-no-mailbox").await;
    let c = client(&h);
    let (s, body, _) = ews(
        &c,
        EX_EWS,
        Auth::Basic(SVC_EX, PASSWORD),
        Some(USER_EX),
        envelope(&impersonate(USER_EX), &get_folder(&["inbox"])),
    )
    .await;
    assert_eq!(s, 500);
    assert!(body.contains("a:ErrorNonExistentMailbox"));
    h.shutdown().await;

    let h = start("exse-ready").await;
    let c = client(&h);
    let (_, body, _) = ews(
        &c,
        EX_EWS,
        Auth::Basic(SVC_EX, PASSWORD),
        None,
        envelope("", &get_folder(&["inbox"])),
    )
    .await;
    assert!(
        body.contains("MajorVersion=\"15\" MinorVersion=\"2\" MajorBuildNumber=\"2562\""),
        "{body}"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn bad_certificates_only_for_the_affected_host() {
    for name in [
        "ex2016-self-signed",
        "ex2016-expired-cert",
        "ex2016-wrong-name-cert",
    ] {
        let h = start(name).await;
        let c = client(&h);
        let err = c
            .get("https://mail.contoso.example/EWS/Exchange.asmx")
            .send()
            .await;
        assert!(
            err.is_err(),
            "{name}: a client trusting only the sim CA accepted the bad certificate"
        );
        let ok = c
            .get("https://autodiscover.contoso.example/autodiscover/autodiscover.xml")
            .send()
            .await;
        assert!(ok.is_ok(), "{name}: other hosts keep a good certificate");
        h.shutdown().await;
    }
    // The good scenario's EWS host is trusted.
    let h = start("ex2016-ready").await;
    assert!(client(&h).get(EX_EWS).send().await.is_ok());
    h.shutdown().await;
}

const POX: &str = r#"<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>{addr}</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>"#;

async fn pox(c: &reqwest::Client, host: &str, addr: &str) -> (u16, String) {
    let r = c
        .post(format!("https://{host}/autodiscover/autodiscover.xml"))
        .basic_auth(SVC_EX, Some(PASSWORD))
        .header("Content-Type", "text/xml")
        .body(POX.replace("{addr}", addr))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn autodiscover_candidates_per_scenario() {
    // Ready: the root domain fails, the autodiscover host answers with EXCH and EXPR EwsUrl.
    let h = start("ex2016-ready").await;
    let c = client(&h);
    assert_eq!(pox(&c, "contoso.example", SVC_EX).await.0, 404);
    let (s, b) = pox(&c, "autodiscover.contoso.example", SVC_EX).await;
    assert_eq!(s, 200);
    assert!(
        b.contains("<Type>EXPR</Type>")
            && b.contains("<EwsUrl>https://mail.contoso.example/EWS/Exchange.asmx</EwsUrl>")
    );
    let (_, b) = pox(&c, "autodiscover.contoso.example", "nobody@contoso.example").await;
    assert!(b.contains("<ErrorCode>500</ErrorCode>"));
    let r = c
        .get("https://autodiscover.contoso.example/autodiscover/autodiscover.xml")
        .basic_auth(SVC_EX, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("<ErrorCode>600</ErrorCode>")
    );
    let r = c
        .post("https://autodiscover.contoso.example/autodiscover/autodiscover.xml")
        .body(POX.replace("{addr}", SVC_EX))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    h.shutdown().await;

    // redirectAddr then settings.
    let h = start("ex2016-autodiscover-redirect").await;
    let c = client(&h);
    let (_, b) = pox(&c, "autodiscover.contoso.example", SVC_EX).await;
    assert!(
        b.contains("<Action>redirectAddr</Action>")
            && b.contains("<RedirectAddr>moxiengage@corp.contoso.example</RedirectAddr>"),
        "{b}"
    );
    let (_, b) = pox(
        &c,
        "autodiscover.corp.contoso.example",
        "moxiengage@corp.contoso.example",
    )
    .await;
    assert!(b.contains("<Action>settings</Action>"));
    h.shutdown().await;

    // Loop: each side points at the other.
    let h = start("ex2016-redirect-loop").await;
    let c = client(&h);
    let (_, b) = pox(
        &c,
        "autodiscover.corp.contoso.example",
        "moxiengage@corp.contoso.example",
    )
    .await;
    assert!(
        b.contains("<RedirectAddr>moxiengage@contoso.example</RedirectAddr>"),
        "{b}"
    );
    h.shutdown().await;

    // None at all.
    let h = start("ex2016-no-autodiscover").await;
    let c = client(&h);
    for host in [
        "contoso.example",
        "autodiscover.contoso.example",
        "mail.contoso.example",
    ] {
        assert_eq!(pox(&c, host, SVC_EX).await.0, 404, "{host}");
    }
    h.shutdown().await;

    // HTTP redirect method: plain GET on the same port, no credentials, 302 to https.
    let h = start("ex2016-http-redirect").await;
    let c = client(&h);
    assert_eq!(pox(&c, "autodiscover.contoso.example", SVC_EX).await.0, 404);
    let r = c
        .get("http://autodiscover.contoso.example/autodiscover/autodiscover.xml")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(
        r.headers()["location"],
        "https://mail.contoso.example/autodiscover/autodiscover.xml"
    );
    let (s, b) = pox(&c, "mail.contoso.example", SVC_EX).await;
    assert_eq!(s, 200);
    assert!(b.contains("<Action>settings</Action>"));
    let reqs = h.requests();
    let plain: Vec<_> = reqs
        .iter()
        .filter(|r| r.scheme == sim::Scheme::Http)
        .collect();
    assert_eq!(plain.len(), 1);
    assert!(!plain[0].credentials && plain[0].scheme == "http");
    h.shutdown().await;

    // Black-holed root domain: accepted, never answered; the autodiscover host answers.
    let h = start("ex2016-blackholed-first").await;
    let c = client(&h);
    let hung = c
        .post("https://contoso.example/autodiscover/autodiscover.xml")
        .timeout(Duration::from_secs(2))
        .body(POX.replace("{addr}", SVC_EX))
        .send()
        .await;
    assert!(hung.is_err_and(|e| e.is_timeout()));
    assert_eq!(pox(&c, "autodiscover.contoso.example", SVC_EX).await.0, 200);
    assert!(
        h.requests()
            .iter()
            .any(|r| r.host == "contoso.example" && r.status == 0)
    );
    h.shutdown().await;

    // Exchange Online Autodiscover v2.
    let h = start("m365-guide-2021").await;
    let c = client(&h);
    let v: Value = c
        .get(format!("https://outlook.office365.com/autodiscover/autodiscover.json/v1.0/{USER_M365}?Protocol=EWS"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["Url"], "https://outlook.office365.com/EWS/Exchange.asmx");
    h.shutdown().await;
}

#[tokio::test]
async fn one_port_both_schemes_records_and_latency() {
    let h = sim::start(SimOptions {
        scenario: "m365-guide-2021".into(),
        latency: Duration::from_millis(150),
        ..Default::default()
    })
    .await
    .unwrap();
    let c = client(&h);
    let t = std::time::Instant::now();
    let r = c
        .get("http://login.microsoftonline.com/common/discovery/instance?api-version=1.1")
        .send()
        .await
        .unwrap();
    assert!(t.elapsed() >= Duration::from_millis(150));
    assert_eq!(r.status(), 301);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("https://login.microsoftonline.com/")
    );
    let _ = access_token(&c).await;
    let reqs = h.requests();
    assert_eq!(reqs[0].scheme, sim::Scheme::Http);
    assert!(!reqs[0].credentials);
    assert_eq!(reqs[1].scheme, sim::Scheme::Https);
    assert!(reqs[1].credentials);
    assert_eq!(reqs[1].auth_scheme.as_deref(), Some("form-password"));
    assert_eq!(reqs[1].sni.as_deref(), Some("login.microsoftonline.com"));
    let cfg = h.net_config();
    assert!(cfg.ca_files[0].is_file());
    assert!(cfg.resolve.iter().all(|(_, a)| *a == h.addr()));
    assert!(cfg.resolve.iter().any(|(n, _)| n == "mail.contoso.example"));
    h.shutdown().await;
}

#[tokio::test]
async fn refuses_non_loopback_and_unknown_scenarios() {
    let e = sim::start(SimOptions {
        listen: "0.0.0.0:0".parse().unwrap(),
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert!(matches!(e, SimError::NotLoopback(_)));
    let e = sim::start(SimOptions {
        scenario: "nope".into(),
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert!(matches!(e, SimError::UnknownScenario(_)));
    // Demo answers exist for every scenario and never include the password.
    for s in sim::scenarios() {
        assert!(s.answers().contains_key("service_account"), "{}", s.name);
        assert!(!s.answers().values().any(|v| v.contains("Demo-Passw0rd")));
    }
}

#[tokio::test]
async fn autodiscover_redirect_urls_chain_and_foreign_host() {
    let h = start("ex2016-redirect-url").await;
    let c = client(&h);
    let (_, b) = pox(&c, "autodiscover.contoso.example", SVC_EX).await;
    assert!(
        b.contains(
            "<RedirectURL>https://mail.contoso.example/autodiscover/autodiscover.xml</RedirectURL>"
        ),
        "{b}"
    );
    h.shutdown().await;

    let h = start("ex2016-redirect-url-http").await;
    let c = client(&h);
    let (_, b) = pox(&c, "autodiscover.contoso.example", SVC_EX).await;
    assert!(
        b.contains("<RedirectURL>http://mail.contoso.example/"),
        "{b}"
    );
    h.shutdown().await;

    // Twelve fresh addresses before settings: a client with a 10-redirect limit stops.
    let h = start("ex2016-redirect-chain").await;
    let c = client(&h);
    let mut addr = SVC_EX.to_string();
    let mut hops = 0;
    loop {
        let (_, b) = pox(&c, "autodiscover.contoso.example", &addr).await;
        if b.contains("<Action>settings</Action>") {
            break;
        }
        addr = b
            .split("<RedirectAddr>")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_string();
        hops += 1;
        assert!(hops < 20);
    }
    assert_eq!(hops, 12);
    h.shutdown().await;

    // The plain-HTTP redirect points outside the domain; the foreign host records what it got.
    let h = start("ex2016-http-redirect-foreign").await;
    let c = client(&h);
    let r = c
        .get("http://autodiscover.contoso.example/autodiscover/autodiscover.xml")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["location"],
        "https://autodiscover.contoso-mail.example/autodiscover/autodiscover.xml"
    );
    let (s, b) = pox(&c, "autodiscover.contoso-mail.example", SVC_EX).await;
    assert_eq!(s, 200);
    assert!(b.contains("https://autodiscover.contoso-mail.example/EWS/Exchange.asmx"));
    assert!(
        h.requests()
            .iter()
            .any(|r| r.host == "autodiscover.contoso-mail.example" && r.credentials)
    );
    h.shutdown().await;
}

#[tokio::test]
async fn app_only_tokens_follow_the_token_type_rules() {
    let h = start("m365-allowlisted").await;
    let c = client(&h);
    let app = |secret: &'static str| {
        let c = c.clone();
        async move {
            c.post(format!(
                "https://login.microsoftonline.com/{TENANT_ID}/oauth2/v2.0/token"
            ))
            .form(&[
                ("client_id", CLIENT_ID),
                ("client_secret", secret),
                ("grant_type", "client_credentials"),
                ("scope", "https://outlook.office365.com/.default"),
            ])
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
        }
    };
    let v = app("wrong").await;
    assert_eq!(v["error_codes"][0], 7000215);
    let v = app("Demo-App-Secr3t~").await;
    let tok = v["access_token"].as_str().unwrap().to_string();
    let (s, body, _) = ews(
        &c,
        EXO_EWS,
        Auth::Bearer(&tok),
        None,
        envelope("", &get_folder(&["inbox"])),
    )
    .await;
    assert_eq!(s, 500);
    assert!(
        body.contains("a:ErrorInvalidExchangeImpersonationHeaderData")
            && body.contains("must be present"),
        "{body}"
    );
    let (s, body, _) = ews(
        &c,
        EXO_EWS,
        Auth::Bearer(&tok),
        Some(USER_M365),
        envelope(&impersonate(USER_M365), &get_folder(&["inbox"])),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    h.shutdown().await;
}

#[tokio::test]
async fn kiosk_licence_blocks_only_the_test_user() {
    let h = start("m365-test-user-kiosk-licence").await;
    let c = client(&h);
    let tok = access_token(&c).await;
    let (s, _, _) = ews(
        &c,
        EXO_EWS,
        Auth::Bearer(&tok),
        Some(SVC_M365),
        envelope(&impersonate(SVC_M365), &get_folder(&["inbox"])),
    )
    .await;
    assert_eq!(s, 200);
    let (s, body, _) = ews(
        &c,
        EXO_EWS,
        Auth::Bearer(&tok),
        Some(USER_M365),
        envelope(&impersonate(USER_M365), &get_folder(&["contacts"])),
    )
    .await;
    assert_eq!(s, 403);
    assert!(body.is_empty());
    h.shutdown().await;
}
