//! Every XML body the simulator sends that carries EWS elements validates against
//! Microsoft's EWS schemas (fixtures/schemas/ews), for every scenario. Fails, never skips,
//! when CI=true and xmllint is missing.

#[path = "sim_common.rs"]
mod common;
use common::*;
use moxi_setup::answers::Platform;
use moxi_setup::sim::{self, SimHandle};
use std::path::{Path, PathBuf};
use std::process::Command;

const NS_SOAP: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const NS_TYPES: &str = "http://schemas.microsoft.com/exchange/services/2006/types";
const NS_MESSAGES: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";

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

/// A strict SOAP envelope schema whose header and body children must be global elements of
/// the real EWS schemas (there is no SOAP schema among the fixtures).
fn wrapper(dir: &Path, version: &str) -> PathBuf {
    let s = schemas_dir();
    let w = format!(
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
    </xs:sequence><xs:anyAttribute namespace="##other" processContents="skip"/></xs:complexType></xs:element>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>"###,
        xml = s.join("xml.xsd").display(),
        types = s.join("ews").join(version).join("types.xsd").display(),
        messages = s.join("ews").join(version).join("messages.xsd").display(),
    );
    let p = dir.join(format!("envelope-{version}.xsd"));
    std::fs::write(&p, w).unwrap();
    p
}

fn xmllint(schema: &Path, docs: &[PathBuf]) -> Result<(), String> {
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--nonet")
        .arg("--schema")
        .arg(schema)
        .args(docs)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn is_fault(body: &str) -> bool {
    body.contains(":Fault>") || body.contains("<Fault>")
}

/// Drives every EWS path a client can reach in this scenario.
async fn probe(h: &SimHandle, platform: Platform, bad_cert: bool) {
    let c = if bad_cert {
        reqwest::Client::builder()
            .tls_danger_accept_invalid_certs(true)
            .resolve_to_addrs("mail.contoso.example", &[h.addr()])
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .unwrap()
    } else {
        client(h)
    };
    let (url, svc, user) = match platform {
        Platform::Microsoft365 => (EXO_EWS, SVC_M365, USER_M365),
        Platform::ExchangeServer => (EX_EWS, SVC_EX, USER_EX),
    };
    let tok = if platform == Platform::Microsoft365 {
        let r = token(&c, "contoso.onmicrosoft.com", SVC_M365).await;
        if r.status() == 200 {
            let v: serde_json::Value = r.json().await.unwrap();
            Some(v["access_token"].as_str().unwrap().to_string())
        } else {
            None
        }
    } else {
        None
    };
    let auth = || match (&tok, platform) {
        (Some(t), _) => Auth::Bearer(t.as_str()),
        (None, Platform::Microsoft365) => Auth::Bearer("eyJ0eXAiOiJKV1QifQ.e30.c2ln"),
        (None, Platform::ExchangeServer) => Auth::Basic(SVC_EX, PASSWORD),
    };
    let nobody = format!("nobody@{}", svc.split('@').nth(1).unwrap());
    let all_props = "<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI=\"folder:DisplayName\"/><t:FieldURI FieldURI=\"folder:FolderClass\"/><t:FieldURI FieldURI=\"folder:ParentFolderId\"/><t:FieldURI FieldURI=\"folder:TotalCount\"/></t:AdditionalProperties></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id=\"inbox\"/><t:DistinguishedFolderId Id=\"calendar\"/><t:DistinguishedFolderId Id=\"contacts\"/></m:FolderIds></m:GetFolder>".to_string();
    let allp = "<m:GetFolder><m:FolderShape><t:BaseShape>AllProperties</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id=\"msgfolderroot\"/><t:DistinguishedFolderId Id=\"root\"/><t:DistinguishedFolderId Id=\"tasks\"/></m:FolderIds></m:GetFolder>".to_string();
    let mailbox = |m: &str| {
        format!(
            "<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id=\"inbox\"><t:Mailbox><t:EmailAddress>{m}</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId></m:FolderIds></m:GetFolder>"
        )
    };
    let malformed = "<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:FolderId Id=\"AQApA=\"/></m:FolderIds></m:GetFolder>".to_string();
    let imp_svc = impersonate(svc);
    let imp_user = impersonate(user);
    let imp_nobody = impersonate(&nobody);
    let cases: Vec<(Option<&str>, &str, String)> = vec![
        (None, "", get_folder(&["inbox", "msgfolderroot"])),
        (None, "", all_props),
        (None, "", allp),
        (Some(svc), &imp_svc, get_folder(&["inbox"])),
        (
            Some(user),
            &imp_user,
            get_folder(&["contacts", "calendar", "sentitems"]),
        ),
        (None, &imp_user, get_folder(&["inbox"])),
        (None, "", mailbox(user)),
        (None, "", mailbox(svc)),
        (None, "", mailbox(&nobody)),
        (None, "", malformed),
        (None, "", password_expiration(svc)),
        (None, "", password_expiration(&nobody)),
        (Some(&nobody), &imp_nobody, get_folder(&["inbox"])),
        (None, "", "<m:FindFolder/>".to_string()),
        (
            None,
            "",
            format!(
                "<m:ConvertId DestinationFormat=\"EntryId\"><m:SourceIds><t:AlternateId Format=\"EwsId\" Id=\"DUMMY\" Mailbox=\"DUMMY\"/><t:AlternateId Format=\"EwsId\" Id=\"AAMkAD\" Mailbox=\"{svc}\"/></m:SourceIds></m:ConvertId>"
            ),
        ),
    ];
    let (_s, _r, _) = ews(
        &c,
        url,
        auth(),
        None,
        envelope("", &get_folder(&["inbox"])).replace("Exchange2016", "Exchange2019"),
    )
    .await;
    for (anchor, extra, body) in cases {
        let (_s, resp, _) = ews(&c, url, auth(), anchor, envelope(extra, &body)).await;
        // Round trip: a folder id the server handed out must be accepted back.
        if let Some(i) = resp.find("<t:FolderId Id=\"") {
            let rest = &resp[i + 16..];
            let id = &rest[..rest.find('"').unwrap()];
            let again = format!(
                "<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds><t:FolderId Id=\"{id}\"/></m:FolderIds></m:GetFolder>"
            );
            let (_s, r2, _) = ews(&c, url, auth(), anchor, envelope(extra, &again)).await;
            if !is_fault(&r2) {
                assert!(r2.contains("ResponseClass=\"Success\""), "{r2}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_ews_body_validates_for_every_scenario() {
    if !xmllint_available() {
        eprintln!("xmllint not installed: schema validation not run (it is mandatory in CI)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let w2018 = wrapper(dir.path(), "v2018_01_08");
    let w2017 = wrapper(dir.path(), "v2017_07_11");
    // The harness must be able to fail: the same body with two elements swapped is refused.
    {
        let h = start("ex2016-ready").await;
        let c = client(&h);
        let (_s, good, _) = ews(
            &c,
            EX_EWS,
            Auth::Basic(SVC_EX, PASSWORD),
            None,
            envelope("", &get_folder(&["inbox"])),
        )
        .await;
        h.shutdown().await;
        let bad = good
            .replace("<t:TotalCount>", "<t:Swap>")
            .replace("</t:TotalCount>", "</t:Swap>")
            .replace("<t:DisplayName>", "<t:TotalCount>")
            .replace("</t:DisplayName>", "</t:TotalCount>")
            .replace("<t:Swap>", "<t:DisplayName>")
            .replace("</t:Swap>", "</t:DisplayName>");
        let gp = dir.path().join("control-good.xml");
        let bp = dir.path().join("control-bad.xml");
        std::fs::write(&gp, &good).unwrap();
        std::fs::write(&bp, &bad).unwrap();
        xmllint(&w2018, &[gp]).unwrap();
        assert!(
            xmllint(&w2018, &[bp]).is_err(),
            "xmllint accepted a reordered body"
        );
    }
    let mut total = 0;
    let mut faults = 0;
    let mut all_docs = Vec::new();
    let mut all_onprem = Vec::new();
    for info in sim::scenarios() {
        let h = start(&info.name).await;
        let bad_cert = info.name.contains("cert") || info.name.contains("self-signed");
        probe(&h, info.platform, bad_cert).await;
        let mut docs = Vec::new();
        let mut docs_onprem = Vec::new();
        for (i, r) in h.requests().iter().enumerate() {
            let b = &r.response_body;
            if !(b.contains(NS_TYPES) || b.contains(NS_MESSAGES)) {
                continue;
            }
            if is_fault(b) {
                // Faults carry the code in the types namespace and detail in the errors
                // namespace; the EWS schemas declare none of their elements.
                assert!(b.contains("<faultcode xmlns:a=\"http://schemas.microsoft.com/exchange/services/2006/types\">a:Error"), "{b}");
                assert_eq!(r.status, 500, "{b}");
                faults += 1;
                continue;
            }
            let p = dir.path().join(format!("{}-{i}.xml", info.name));
            std::fs::write(&p, b).unwrap();
            if b.contains("Version=\"V2017_07_11\"") {
                docs_onprem.push(p.clone());
            }
            docs.push(p);
        }
        // One xmllint run for all scenarios (compiling the schemas dominates the cost);
        // file names carry the scenario, so a failure still says which one.
        all_docs.extend(docs.iter().cloned());
        all_onprem.extend(docs_onprem);
        let blocked = matches!(
            info.name.as_str(),
            "m365-late-2026"
                | "m365-app-not-allowlisted"
                | "m365-unavailable"
                | "ex2016-unavailable"
                | "ex2016-basic-off"
        );
        let no_token = info.platform == Platform::Microsoft365
            && h.requests()
                .iter()
                .any(|r| r.path.ends_with("/token") && r.status != 200);
        let ews_open = !blocked && !no_token;
        if ews_open {
            assert!(
                docs.len() >= 8,
                "{}: only {} EWS bodies checked",
                info.name,
                docs.len()
            );
        }
        total += docs.len();
        h.shutdown().await;
    }
    xmllint(&w2018, &all_docs).unwrap_or_else(|e| panic!("v2018_01_08: {e}"));
    xmllint(&w2017, &all_onprem).unwrap_or_else(|e| panic!("v2017_07_11: {e}"));
    eprintln!(
        "validated {total} EWS bodies ({} from on-premises builds also against v2017_07_11); checked {faults} faults",
        all_onprem.len()
    );
    assert!(total > 100, "only {total} EWS bodies validated");
    assert!(faults > 10, "only {faults} faults seen");
}
