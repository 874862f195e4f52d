//! Replays the fuzz seed corpora (`fuzz/seeds/<target>/`) and every crash the fuzzers found
//! (`fuzz/regressions/<target>/`, kept once fixed) through the same calls as the fuzz targets,
//! so plain `cargo test` proves none of them panics, without a fuzzing toolchain.

use moxi_setup::protocol::{autodiscover, entra, ews, jwt};
use std::path::Path;

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut out = Vec::new();
    for dir in ["seeds", "regressions"] {
        let Ok(rd) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
        }
    }
    out
}

#[test]
fn ews_seeds_parse_without_panicking_and_real_answers_are_understood() {
    let all = inputs("ews_response");
    assert!(all.len() >= 30, "seed corpus missing: {}", all.len());
    let mut understood = 0;
    for (name, data) in &all {
        let parsed = ews::parse_response(data);
        if let Err(e) = &parsed {
            assert!(
                e.to_string().len() < 4096,
                "{name}: error text grew with the input"
            );
        }
        if let Ok(r) = parsed {
            let _ = (r.first_error_code(), r.back_off_ms());
            let file = name.rsplit('/').next().unwrap_or(name);
            if file.starts_with("ews__") && file.contains("response") {
                understood += 1;
            }
        }
    }
    // The captured EWS responses are real answers: most must parse.
    assert!(understood >= 10, "only {understood} EWS captures parsed");
}

#[test]
fn autodiscover_seeds_parse_without_panicking() {
    let all = inputs("autodiscover_pox");
    assert!(all.len() >= 10);
    let ok = all
        .iter()
        .filter(|(n, d)| {
            let r = autodiscover::parse_pox(d);
            if let Err(e) = &r {
                assert!(
                    e.to_string().len() < 4096,
                    "{n}: error text grew with the input"
                );
            }
            if let Err(e) = autodiscover::parse_v2_json(d) {
                assert!(
                    e.to_string().len() < 4096,
                    "{n}: error text grew with the input"
                );
            }
            r.is_ok() && n.contains("response")
        })
        .count();
    assert!(ok >= 2, "only {ok} POX responses parsed");
}

#[test]
fn entra_seeds_parse_and_errors_keep_their_codes() {
    let all = inputs("entra_json");
    assert!(all.len() >= 10);
    for (name, data) in &all {
        let _ = entra::parse_user_realm(data);
        let _ = entra::parse_openid_configuration(data);
        if let Ok(entra::TokenResponse::Error(e)) = entra::parse_token_response(data) {
            let file = name.rsplit('/').next().unwrap_or(name);
            if let Some(code) = file.strip_prefix("entra__aadsts") {
                let digits: String = code.chars().take_while(char::is_ascii_digit).collect();
                assert_eq!(e.code_string(), format!("AADSTS{digits}"), "{name}");
            }
        }
    }
}

#[test]
fn jwt_and_answers_and_bundle_seeds_do_not_panic() {
    for (_, d) in inputs("jwt_claims") {
        let _ = jwt::peek(&String::from_utf8_lossy(&d));
    }
    let answers = inputs("answers_file");
    assert!(answers.len() >= 3);
    for (name, d) in answers {
        let r = moxi_setup::headless::parse_answers_file(&String::from_utf8_lossy(&d));
        assert_eq!(r.is_ok(), !name.contains("bad"), "{name}: {r:?}");
        // As the fuzz target: what is accepted passes its own validators again.
        if let Ok(a) = &r {
            for f in moxi_setup::answers::FieldId::ALL {
                if !f.is_secret() && a.text(f).is_some_and(|t| !t.is_empty()) {
                    assert!(a.validate(f).is_ok(), "{name}: accepted {f} fails again");
                }
            }
        }
    }
    let pass = secrecy::SecretString::from("fuzz-passphrase-not-secret".to_string());
    for (_, d) in inputs("bundle_read") {
        if let Some((_, rest)) = d.split_first() {
            let _ = moxi_setup::bundle::work_factor_of(rest);
            let _ = moxi_setup::bundle::read_bundle_bytes(rest, &pass);
        }
    }
}

/// Found by `answers_file` in CI (fuzz/regressions/answers_file/crash-611b641e…): an EWS
/// address with spaces and `>` was accepted, then stored percent-encoded and over the length
/// limit, so the stored value failed its own validator (a resumed draft would refuse it).
#[test]
fn an_ews_address_is_stored_in_a_form_that_passes_its_own_validator() {
    use moxi_setup::answers::validate_ews_url;
    assert!(validate_ews_url("https://mail.contoso.example/EWS/Exchange .asmx").is_err());
    let grows = format!("https://mail.contoso.example/{}", ">".repeat(200));
    match validate_ews_url(&grows) {
        Ok(Some(v)) => assert!(validate_ews_url(&v).is_ok(), "{v}"),
        Ok(None) => panic!("not empty"),
        Err(_) => {}
    }
    let long = format!("https://mail.contoso.example/{}", ">".repeat(400));
    assert!(
        validate_ews_url(&long).is_err(),
        "grows past the limit once encoded"
    );
}

/// Found by `ews_response` (fuzz/regressions/ews_response/crash-3e74a2…): a date whose first
/// four bytes end inside a multi-byte character made `parse_xs_datetime` slice mid-character
/// and panic. The date is server text, so a hostile or broken server could crash the checks.
#[test]
fn a_password_expiry_date_with_a_multibyte_character_is_unreadable_not_a_panic() {
    let crash: &[u8] = &[
        0x01, 0x01, 0x7c, 0xcc, 0x87, 0x00, 0x01, 0xcc, 0x83, 0xcc, 0x83, 0x00, 0x01, 0xcc, 0x83,
    ];
    let s = std::str::from_utf8(crash).unwrap();
    assert!(matches!(
        ews::parse_xs_datetime(s),
        ews::PasswordExpiry::Unreadable(_)
    ));
    assert!(matches!(
        ews::parse_xs_datetime("202\u{e9}-01-01T00:00:00Z"),
        ews::PasswordExpiry::Unreadable(_)
    ));
    // The same through a whole answer, as a server would send it.
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="{}"><s:Body><m:GetPasswordExpirationDateResponse ResponseClass="Success" xmlns:m="{}"><m:ResponseCode>NoError</m:ResponseCode><m:PasswordExpirationDate>202é-12-06T10:00:00</m:PasswordExpirationDate></m:GetPasswordExpirationDateResponse></s:Body></s:Envelope>"#,
        ews::NS_SOAP,
        ews::NS_MESSAGES
    );
    let r = ews::parse_response(body.as_bytes()).unwrap();
    match r.body {
        ews::Body::PasswordExpiration(p) => {
            assert!(matches!(p.expiry, ews::PasswordExpiry::Unreadable(_)))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        ews::parse_xs_datetime("9999-12-31T23:59:59Z"),
        ews::PasswordExpiry::Never
    );
}
