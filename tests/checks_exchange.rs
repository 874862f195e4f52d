//! The `ex.*` checks against the simulated tenant: every on-premises scenario of the catalogue
//! with exact id / status / code / guide step, plus the security rules seen from the server's
//! side (`SimHandle::requests()`): no credentials over http, none to a host outside the
//! account's domain, the black-holed first candidate costing nothing.

use moxi_setup::answers::{Answers, Platform};
use moxi_setup::checks::exchange::{ExchangeOptions, run_with};
use moxi_setup::checks::srv::StaticSrv;
use moxi_setup::checks::{CheckId, CheckReport, Context, Progress, Status};
use moxi_setup::net::Net;
use moxi_setup::sim::{self, SimHandle, SimOptions};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

struct Run {
    reports: Vec<CheckReport>,
    notes: Vec<String>,
    sim: SimHandle,
}

impl Run {
    fn get(&self, id: CheckId) -> &CheckReport {
        self.reports
            .iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("no report for {id}: {:#?}", self.reports))
    }

    /// Asserts id / status / code / guide step in one go, printing everything on failure.
    #[track_caller]
    fn expect(&self, id: CheckId, status: Status, code: &str, step: Option<&str>) {
        let r = self.get(id);
        let got_step = r.guide_step.map(|s| s.to_string());
        assert!(
            r.status == status && r.code == code && got_step.as_deref() == step,
            "{id}: expected {status:?} {code:?} {step:?}, got {:?} {:?} {:?}\n{r:#?}\nall: {:#?}",
            r.status,
            r.code,
            got_step,
            self.reports
        );
        assert!(!r.summary.contains("[missing text"), "{r:#?}");
        assert!(!r.detail.contains("[missing text"), "{r:#?}");
        assert!(!r.summary.contains('{'), "unfilled placeholder: {r:#?}");
        assert!(
            !r.detail.contains("{") || r.detail.contains("{braces}"),
            "unfilled placeholder: {r:#?}"
        );
        for text in [&r.summary, &r.detail] {
            assert!(!text.contains(sim::scenario::PASSWORD), "password shown");
        }
    }

    fn all_pass_but(&self, except: &[CheckId]) {
        for r in &self.reports {
            if !except.contains(&r.id) {
                assert_eq!(r.status, Status::Pass, "{r:#?}");
            }
        }
    }
}

fn answers_for(name: &str) -> Answers {
    let info = sim::scenarios()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no scenario {name}"));
    assert_eq!(info.platform, Platform::ExchangeServer);
    let a = info.answers();
    Answers {
        platform: Some(Platform::ExchangeServer),
        service_account: a.get("service_account").cloned().unwrap_or_default(),
        service_password: Some(sim::demo_password()),
        test_user: a.get("test_user").cloned().unwrap_or_default(),
        ews_url: a.get("ews_url").cloned().unwrap_or_default(),
        ignore_tls_trust: a
            .get("ignore_tls_trust")
            .is_some_and(|v| v == "true" || v == "yes"),
        ..Answers::default()
    }
}

fn opts() -> ExchangeOptions {
    ExchangeOptions {
        srv: Arc::new(StaticSrv::none()),
        // Long on purpose: a test that waits out a candidate timeout hangs into the guard.
        candidate_timeout: Duration::from_secs(300),
        grace: Duration::from_millis(300),
        ..ExchangeOptions::default()
    }
}

async fn run(name: &str, tweak: impl FnOnce(&mut Answers)) -> Run {
    run_opts(name, tweak, opts()).await
}

async fn run_opts(name: &str, tweak: impl FnOnce(&mut Answers), o: ExchangeOptions) -> Run {
    let sim = sim::start(SimOptions {
        scenario: name.into(),
        ..SimOptions::default()
    })
    .await
    .unwrap();
    let net = Net::new(sim.net_config()).unwrap();
    let ctx = Context { net };
    let mut answers = answers_for(name);
    tweak(&mut answers);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    // Generous: only catches a hang, never a slow machine.
    let reports = tokio::time::timeout(
        Duration::from_secs(120),
        run_with(
            &ctx,
            &answers,
            &CheckId::EXCHANGE,
            tx,
            CancellationToken::new(),
            &o,
        ),
    )
    .await
    .expect("checks hung");
    let mut notes = Vec::new();
    while let Ok(p) = rx.try_recv() {
        if let Progress::Note(_, n) = p {
            notes.push(n);
        }
    }
    let r = Run {
        reports,
        notes,
        sim,
    };
    assert_security_rules(&r, &answers.outside_host);
    r
}

/// Seen from the server: credentials only over https and only to hosts of the account's
/// domain (or the one outside host the admin typed); nothing at all to a label-stripped name.
fn assert_security_rules(r: &Run, allowed: &str) {
    for q in r.sim.requests() {
        if q.credentials {
            assert_eq!(q.scheme.as_str(), "https", "credentials over http: {q:?}");
            assert!(
                q.host == "contoso.example"
                    || q.host.ends_with(".contoso.example")
                    || (!allowed.is_empty() && q.host == allowed),
                "credentials to a foreign host: {q:?}"
            );
        }
        assert_ne!(q.host, "example");
        assert_ne!(q.host, "autodiscover.example");
    }
}

use CheckId::*;

#[tokio::test]
async fn ex2016_ready_passes_with_an_end_of_support_warning() {
    let r = run("ex2016-ready", |_| {}).await;
    r.expect(ExDiscover, Status::Pass, "", None);
    r.expect(ExTls, Status::Pass, "", None);
    r.expect(ExAuth, Status::Pass, "", None);
    r.expect(ExSelf, Status::Pass, "", None);
    r.expect(ExImpersonateSelf, Status::Pass, "", None);
    r.expect(ExImpersonateTestUser, Status::Pass, "", None);
    r.expect(ExPasswordExpiry, Status::Pass, "", None);
    r.expect(ExVersion, Status::Warn, "END-OF-SUPPORT", None);
    let d = r.get(ExDiscover);
    assert_eq!(
        d.evidence.get("ews_url").map(String::as_str),
        Some("https://mail.contoso.example/EWS/Exchange.asmx")
    );
    assert!(d.evidence.contains_key("how_found"));
    let au = r.get(ExAuth);
    assert!(
        au.evidence
            .get("www_authenticate")
            .is_some_and(|w| w.contains("Basic")),
        "{au:#?}"
    );
    let t = r.get(ExTls);
    assert!(t.evidence.contains_key("certificate_subject"), "{t:#?}");
    assert!(t.evidence.contains_key("certificate_issuer"));
    let v = r.get(ExVersion);
    assert!(
        v.summary.contains("2016") && v.summary.contains("2025-10-14"),
        "{v:#?}"
    );
    assert!(v.detail.contains("SE"));
    // The admin saw which candidate was being tried.
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("https://contoso.example/autodiscover/autodiscover.xml")),
        "{:?}",
        r.notes
    );
    // Impersonated calls carried the header and X-AnchorMailbox for the test user.
    let reqs = r.sim.requests();
    let imp: Vec<_> = reqs
        .iter()
        .filter(|q| q.impersonation.as_deref() == Some("agent@contoso.example"))
        .collect();
    assert_eq!(imp.len(), 1, "one request carries all three folders");
    assert_eq!(
        imp[0].anchor_mailbox.as_deref(),
        Some("agent@contoso.example")
    );
    // GetPasswordExpirationDate went without an impersonation header (the sim refuses one).
    assert!(reqs.iter().any(|q| {
        q.response_body
            .contains("GetPasswordExpirationDateResponse")
    }));
}

#[tokio::test]
async fn exse_ready_passes_without_a_version_warning() {
    let r = run("exse-ready", |_| {}).await;
    r.all_pass_but(&[]);
    r.expect(ExVersion, Status::Pass, "", None);
    assert!(r.get(ExVersion).summary.contains("SE"));
}

#[tokio::test]
async fn missing_impersonation_role_names_the_role_group_steps_and_commands() {
    let r = run("ex2016-no-impersonation-role", |_| {}).await;
    r.expect(ExAuth, Status::Pass, "", None);
    r.expect(ExSelf, Status::Pass, "", None);
    r.expect(
        ExImpersonateSelf,
        Status::Fail,
        "ErrorImpersonateUserDenied",
        Some("ex2016/2.4"),
    );
    r.expect(
        ExImpersonateTestUser,
        Status::Fail,
        "ErrorImpersonateUserDenied",
        Some("ex2016/2.3"),
    );
    let c = r.get(ExImpersonateSelf).command.clone().unwrap();
    assert!(c.contains("New-RoleGroup") && c.contains("-Roles ApplicationImpersonation"));
    assert!(c.contains("-Members 'moxiengage@contoso.example'"), "{c}");
    assert!(c.contains("New-ManagementRoleAssignment"));
    assert!(r.get(ExImpersonateSelf).detail.contains("itself"));
}

#[tokio::test]
async fn a_self_signed_certificate_found_by_autodiscover_fails_and_explains_the_option() {
    let r = run("ex2016-self-signed", |_| {}).await;
    r.expect(ExDiscover, Status::Pass, "", None);
    r.expect(ExTls, Status::Fail, "TLS-UNTRUSTED", Some("ex2016/3.11"));
    let t = r.get(ExTls);
    assert_eq!(
        t.evidence.get("problem").map(String::as_str),
        Some("self-signed")
    );
    assert!(t.detail.contains("type the EWS address"), "{t:#?}");
    for id in [
        ExAuth,
        ExSelf,
        ExImpersonateSelf,
        ExImpersonateTestUser,
        ExPasswordExpiry,
        ExVersion,
    ] {
        r.expect(id, Status::Skip, "", None);
    }
    // No EWS request (and so no password) reached the untrusted host.
    assert!(
        r.sim
            .requests()
            .iter()
            .all(|q| !(q.host == "mail.contoso.example" && q.credentials))
    );
}

#[tokio::test]
async fn ignoring_trust_for_the_typed_host_is_a_warning_and_the_checks_go_on() {
    let r = run("ex2016-self-signed", |a| {
        a.ews_url = "https://mail.contoso.example/EWS/Exchange.asmx".into();
        a.ignore_tls_trust = true;
    })
    .await;
    r.expect(ExDiscover, Status::Pass, "", None);
    r.expect(ExTls, Status::Warn, "TLS-UNTRUSTED", Some("ex2016/3.11"));
    let t = r.get(ExTls);
    assert_eq!(
        t.evidence.get("ignore_trust_host").map(String::as_str),
        Some("mail.contoso.example")
    );
    assert!(t.detail.contains("proper certificate"), "{t:#?}");
    r.expect(ExAuth, Status::Pass, "", None);
    r.expect(ExImpersonateTestUser, Status::Pass, "", None);
}

#[tokio::test]
async fn ignore_trust_does_not_apply_to_a_host_found_by_autodiscover() {
    let r = run("ex2016-self-signed", |a| a.ignore_tls_trust = true).await;
    r.expect(ExTls, Status::Fail, "TLS-UNTRUSTED", Some("ex2016/3.11"));
    r.expect(ExAuth, Status::Skip, "", None);
}

#[tokio::test]
async fn an_expired_certificate_is_named() {
    let r = run("ex2016-expired-cert", |_| {}).await;
    r.expect(ExTls, Status::Fail, "TLS-EXPIRED", Some("ex2016/3.11"));
    assert!(r.get(ExTls).summary.contains("expired"));
}

#[tokio::test]
async fn a_certificate_for_another_name_is_named() {
    let r = run("ex2016-wrong-name-cert", |_| {}).await;
    r.expect(
        ExTls,
        Status::Fail,
        "TLS-NAME-MISMATCH",
        Some("ex2016/3.11"),
    );
}

#[tokio::test]
async fn basic_off_on_autodiscover_is_reported_by_discovery() {
    let r = run("ex2016-basic-off", |_| {}).await;
    r.expect(
        ExDiscover,
        Status::Fail,
        "BASIC-AUTH-OFF",
        Some("ex2016/3.4"),
    );
    let c = r.get(ExDiscover).command.clone().unwrap();
    assert!(c.contains("Set-AutodiscoverVirtualDirectory -BasicAuthentication $true"));
}

#[tokio::test]
async fn basic_off_on_ews_gives_both_commands() {
    let r = run("ex2016-basic-off", |a| {
        a.ews_url = "https://mail.contoso.example/EWS/Exchange.asmx".into();
    })
    .await;
    r.expect(ExTls, Status::Pass, "", None);
    r.expect(ExAuth, Status::Fail, "BASIC-AUTH-OFF", Some("ex2016/3.4"));
    let a = r.get(ExAuth);
    let c = a.command.clone().unwrap();
    assert!(c.contains("Set-WebServicesVirtualDirectory -BasicAuthentication $true"));
    assert!(c.contains("Set-AutodiscoverVirtualDirectory -BasicAuthentication $true"));
    assert!(
        a.summary.contains("Negotiate") && a.summary.contains("NTLM"),
        "{a:#?}"
    );
    r.expect(ExSelf, Status::Skip, "", None);
}

#[tokio::test]
async fn a_wrong_password_is_http401() {
    let r = run("ex2016-ready", |a| {
        a.ews_url = "https://mail.contoso.example/EWS/Exchange.asmx".into();
        a.service_password = Some(secrecy::SecretString::from("wrong-password"));
    })
    .await;
    r.expect(ExAuth, Status::Fail, "HTTP401", Some("ex2016/1.4"));
}

#[tokio::test]
async fn redirect_addr_is_followed_inside_the_domain() {
    let r = run("ex2016-autodiscover-redirect", |_| {}).await;
    r.expect(ExDiscover, Status::Pass, "", None);
    let d = r.get(ExDiscover);
    assert_eq!(
        d.evidence.get("address").map(String::as_str),
        Some("moxiengage@corp.contoso.example")
    );
    assert_eq!(d.evidence.get("redirects").map(String::as_str), Some("1"));
    r.all_pass_but(&[ExVersion]);
}

#[tokio::test]
async fn a_redirect_loop_stops() {
    let r = run("ex2016-redirect-loop", |_| {}).await;
    r.expect(
        ExDiscover,
        Status::Fail,
        "REDIRECT-LOOP",
        Some("ex2016/3.4"),
    );
    r.expect(ExTls, Status::Skip, "", None);
}

#[tokio::test]
async fn the_http_redirect_method_is_used_without_credentials() {
    let r = run("ex2016-http-redirect", |_| {}).await;
    r.expect(ExDiscover, Status::Pass, "", None);
    assert_eq!(
        r.get(ExDiscover)
            .evidence
            .get("how_found")
            .map(String::as_str),
        Some("autodiscover-http-redirect")
    );
    let http: Vec<_> = r
        .sim
        .requests()
        .into_iter()
        .filter(|q| q.scheme.as_str() == "http")
        .collect();
    assert!(!http.is_empty(), "the http redirect was asked");
    assert!(http.iter().all(|q| !q.credentials && q.method == "GET"));
}

#[tokio::test]
async fn an_expiring_password_warns_with_the_date_and_the_commands() {
    let r = run("ex2016-password-expiring", |_| {}).await;
    r.expect(
        ExPasswordExpiry,
        Status::Warn,
        "PASSWORD-EXPIRES",
        Some("ex2016/1.4"),
    );
    let p = r.get(ExPasswordExpiry);
    let expected = (time::OffsetDateTime::now_utc() + time::Duration::days(5)).date();
    let day_before = expected.previous_day().unwrap();
    assert!(
        p.summary.contains(&expected.to_string()) || p.summary.contains(&day_before.to_string()),
        "{p:#?}"
    );
    let c = p.command.clone().unwrap();
    assert!(c.contains("Set-ADUser -PasswordNeverExpires $true"));
    assert!(c.contains("-Properties PasswordNeverExpires"));
    assert!(c.contains("moxiengage@contoso.example"));
}

#[tokio::test]
async fn no_autodiscover_with_a_typed_url_passes() {
    let r = run("ex2016-no-autodiscover", |_| {}).await;
    r.expect(ExDiscover, Status::Pass, "", None);
    assert_eq!(
        r.get(ExDiscover)
            .evidence
            .get("how_found")
            .map(String::as_str),
        Some("typed-by-admin")
    );
    r.all_pass_but(&[ExVersion]);
    // No Autodiscover request at all when the admin typed the address.
    assert!(
        r.sim
            .requests()
            .iter()
            .all(|q| !q.path.to_ascii_lowercase().contains("autodiscover"))
    );
}

#[tokio::test]
async fn no_autodiscover_without_a_url_says_to_type_it() {
    let r = run("ex2016-no-autodiscover", |a| a.ews_url.clear()).await;
    r.expect(
        ExDiscover,
        Status::Fail,
        "AUTODISCOVER-NOT-FOUND",
        Some("ex2016/3.4"),
    );
    assert!(r.get(ExDiscover).detail.contains("Type the EWS address"));
}

#[tokio::test]
async fn a_black_holed_root_domain_costs_nothing() {
    // Candidate timeout 300 s: waiting it out would trip the 120 s hang guard.
    let r = run("ex2016-blackholed-first", |_| {}).await;
    r.expect(ExDiscover, Status::Pass, "", None);
    assert_eq!(
        r.get(ExDiscover)
            .evidence
            .get("how_found")
            .map(String::as_str),
        Some("autodiscover-host")
    );
}

#[tokio::test]
async fn a_test_user_without_a_mailbox_points_to_step_3_1() {
    let r = run("ex2016-test-user-no-mailbox", |_| {}).await;
    r.expect(ExImpersonateSelf, Status::Pass, "", None);
    r.expect(
        ExImpersonateTestUser,
        Status::Fail,
        "ErrorNonExistentMailbox",
        Some("ex2016/3.1"),
    );
    let c = r.get(ExImpersonateTestUser).command.clone().unwrap();
    assert!(c.contains("Get-Mailbox -Identity 'agent@contoso.example'"));
}

#[tokio::test]
async fn a_busy_server_is_waited_for_then_passes() {
    let r = run("ex2016-busy", |_| {}).await;
    r.all_pass_but(&[ExVersion]);
    assert!(r.notes.iter().any(|n| n.contains("wait")), "{:?}", r.notes);
}

#[tokio::test]
async fn a_busy_server_beyond_the_cap_is_reported() {
    let o = ExchangeOptions {
        busy_cap: Duration::from_millis(10),
        ..opts()
    };
    let r = run_opts("ex2016-busy", |_| {}, o).await;
    r.expect(ExAuth, Status::Fail, "ErrorServerBusy", None);
}

#[tokio::test]
async fn a_restarting_server_is_tried_again_and_passes() {
    let r = run("ex2016-restarting", |_| {}).await;
    r.all_pass_but(&[ExVersion]);
    assert!(
        r.notes.iter().any(|n| n.contains("restarting")),
        "{:?}",
        r.notes
    );
    // The two 503s were answered to real requests, then EWS worked.
    let ews = r
        .sim
        .requests()
        .iter()
        .filter(|q| q.path.contains("/EWS/"))
        .count();
    assert!(ews >= 4, "{ews} EWS requests");
}

#[tokio::test]
async fn stopped_web_services_are_reported_as_a_server_problem_not_a_setup_step() {
    let r = run("ex2016-unavailable", |_| {}).await;
    r.expect(ExAuth, Status::Fail, "HTTP503", None);
    let a = r.get(ExAuth);
    assert!(
        a.command
            .as_deref()
            .unwrap_or("")
            .contains("MSExchangeServicesAppPool")
    );
    for id in [
        ExSelf,
        ExImpersonateSelf,
        ExImpersonateTestUser,
        ExPasswordExpiry,
    ] {
        assert_eq!(r.get(id).status, Status::Skip, "{id:?}");
    }
}

#[tokio::test]
async fn only_the_wanted_checks_and_their_dependencies_run() {
    let sim = sim::start(SimOptions {
        scenario: "ex2016-ready".into(),
        ..SimOptions::default()
    })
    .await
    .unwrap();
    let ctx = Context {
        net: Net::new(sim.net_config()).unwrap(),
    };
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let reports = run_with(
        &ctx,
        &answers_for("ex2016-ready"),
        &[ExTls],
        tx,
        CancellationToken::new(),
        &opts(),
    )
    .await;
    let ids: Vec<CheckId> = reports.iter().map(|r| r.id).collect();
    assert_eq!(ids, [ExDiscover, ExTls]);
    assert!(sim.requests().iter().all(|q| !q.path.contains("EWS")));
}

#[tokio::test]
async fn every_exchange_scenario_of_the_catalogue_is_covered_here() {
    let covered = [
        "ex2016-ready",
        "ex2016-no-impersonation-role",
        "ex2016-self-signed",
        "ex2016-expired-cert",
        "ex2016-wrong-name-cert",
        "ex2016-basic-off",
        "ex2016-autodiscover-redirect",
        "ex2016-redirect-loop",
        "ex2016-http-redirect",
        "ex2016-password-expiring",
        "ex2016-no-autodiscover",
        "ex2016-blackholed-first",
        "ex2016-test-user-no-mailbox",
        "ex2016-busy",
        "ex2016-restarting",
        "ex2016-unavailable",
        "exse-ready",
        "ex2016-redirect-url",
        "ex2016-redirect-url-http",
        "ex2016-redirect-chain",
        "ex2016-http-redirect-foreign",
        "ex2016-service-account-no-mailbox",
    ];
    for s in sim::scenarios() {
        if s.platform == Platform::ExchangeServer {
            assert!(
                covered.contains(&s.name.as_str()),
                "scenario {} has no test",
                s.name
            );
        }
    }
}

#[tokio::test]
async fn a_redirect_to_a_label_stripped_parent_domain_is_refused_and_gets_nothing() {
    // For an account in corp.contoso.example, this scenario's Autodiscover answers with the
    // address in contoso.example: a name made by stripping a label, which is never contacted.
    let r = run("ex2016-redirect-loop", |a| {
        a.service_account = "moxiengage@corp.contoso.example".into();
    })
    .await;
    r.expect(
        ExDiscover,
        Status::Fail,
        "REDIRECT-FOREIGN-DOMAIN",
        Some("ex2016/3.4"),
    );
    let d = r.get(ExDiscover);
    assert_eq!(
        d.evidence.get("refused_host").map(String::as_str),
        Some("contoso.example")
    );
    assert_eq!(
        d.evidence.get("rule").map(String::as_str),
        Some("label-stripped-domain")
    );
    for q in r.sim.requests() {
        assert!(
            q.host == "corp.contoso.example" || q.host.ends_with(".corp.contoso.example"),
            "contacted {q:?}"
        );
    }
}

#[tokio::test]
async fn the_simulated_autodiscover_json_answer_parses() {
    use moxi_setup::protocol::autodiscover::{parse_v2_json, v2_json_url};
    let sim = sim::start(SimOptions {
        scenario: "ex2016-ready".into(),
        ..SimOptions::default()
    })
    .await
    .unwrap();
    let net = Net::new(sim.net_config()).unwrap();
    for (host, want) in [
        (
            "outlook.office365.com",
            "https://outlook.office365.com/EWS/Exchange.asmx",
        ),
        (
            "autodiscover.contoso.example",
            "https://mail.contoso.example/EWS/Exchange.asmx",
        ),
    ] {
        let url = v2_json_url(host, "moxiengage@contoso.example");
        let resp = net.client().get(&url).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{url}");
        let body = resp.bytes().await.unwrap();
        assert_eq!(parse_v2_json(&body).unwrap().url, want);
    }
}

#[tokio::test]
async fn a_redirect_url_to_the_mail_server_is_followed() {
    let r = run("ex2016-redirect-url", |a| a.ews_url.clear()).await;
    r.expect(ExDiscover, Status::Pass, "", None);
    assert_eq!(
        r.get(ExDiscover)
            .evidence
            .get("ews_url")
            .map(String::as_str),
        Some("https://mail.contoso.example/EWS/Exchange.asmx"),
        "{:#?}",
        r.get(ExDiscover)
    );
    r.all_pass_but(&[ExVersion]);
}

#[tokio::test]
async fn a_redirect_url_to_plain_http_is_refused() {
    let r = run("ex2016-redirect-url-http", |a| a.ews_url.clear()).await;
    r.expect(
        ExDiscover,
        Status::Fail,
        "REDIRECT-INSECURE",
        Some("ex2016/3.4"),
    );
    r.expect(ExTls, Status::Skip, "", None);
}

#[tokio::test]
async fn a_same_domain_redirect_chain_stops_after_ten() {
    // Twelve redirectAddr hops inside contoso.example: each new address asks the same
    // Autodiscover URLs again (that is not a loop), and the eleventh redirect is refused.
    let r = run("ex2016-redirect-chain", |a| a.ews_url.clear()).await;
    r.expect(
        ExDiscover,
        Status::Fail,
        "REDIRECT-LIMIT",
        Some("ex2016/3.4"),
    );
    assert_eq!(
        r.get(ExDiscover)
            .evidence
            .get("redirects")
            .map(String::as_str),
        Some("11")
    );
}

#[tokio::test]
async fn an_http_redirect_to_a_look_alike_domain_gets_nothing() {
    let r = run("ex2016-http-redirect-foreign", |a| a.ews_url.clear()).await;
    r.expect(
        ExDiscover,
        Status::Fail,
        "REDIRECT-FOREIGN-DOMAIN",
        Some("ex2016/3.4"),
    );
    assert!(
        !r.sim
            .requests()
            .iter()
            .any(|q| q.host.contains("contoso-mail")),
        "the look-alike host was contacted"
    );
}

#[tokio::test]
async fn a_host_outside_the_domain_is_used_only_once_the_admin_typed_it() {
    // The admin read the diagnosis and allowed that one host on step 3.4.
    let r = run("ex2016-http-redirect-foreign", |a| {
        a.ews_url.clear();
        a.outside_host = "autodiscover.contoso-mail.example".into();
    })
    .await;
    r.expect(ExDiscover, Status::Pass, "", None);
    let d = r.get(ExDiscover);
    assert_eq!(
        d.evidence.get("allowed_outside_host").map(String::as_str),
        Some("autodiscover.contoso-mail.example")
    );
    assert!(
        r.sim
            .requests()
            .iter()
            .any(|q| q.host == "autodiscover.contoso-mail.example"),
        "the allowed host was never asked"
    );
    // Allowing some other host changes nothing: the look-alike still gets nothing.
    let r = run("ex2016-http-redirect-foreign", |a| {
        a.ews_url.clear();
        a.outside_host = "autodiscover.hoster.example".into();
    })
    .await;
    r.expect(
        ExDiscover,
        Status::Fail,
        "REDIRECT-FOREIGN-DOMAIN",
        Some("ex2016/3.4"),
    );
    assert!(
        r.get(ExDiscover)
            .detail
            .contains("Allow a server outside your domain")
    );
    assert!(
        !r.sim
            .requests()
            .iter()
            .any(|q| q.host.contains("contoso-mail"))
    );
}

#[tokio::test]
async fn allowing_a_shortened_form_of_the_domain_is_ignored() {
    let r = run("ex2016-redirect-loop", |a| {
        a.service_account = "moxiengage@corp.contoso.example".into();
        a.outside_host = "contoso.example".into();
    })
    .await;
    r.expect(
        ExDiscover,
        Status::Fail,
        "REDIRECT-FOREIGN-DOMAIN",
        Some("ex2016/3.4"),
    );
    for q in r.sim.requests() {
        assert!(q.host.ends_with("corp.contoso.example"), "contacted {q:?}");
    }
}

#[tokio::test]
async fn a_service_account_without_mailbox_is_sent_to_step_1_3() {
    let r = run("ex2016-service-account-no-mailbox", |_| {}).await;
    r.expect(ExDiscover, Status::Pass, "", None);
    r.expect(
        ExSelf,
        Status::Fail,
        "ErrorMissingEmailAddress",
        Some("ex2016/1.3"),
    );
    r.expect(
        ExImpersonateSelf,
        Status::Fail,
        "ErrorNonExistentMailbox",
        Some("ex2016/1.3"),
    );
    r.expect(ExImpersonateTestUser, Status::Pass, "", None);
    // Without a typed address, Autodiscover cannot find an account that has no mailbox.
    let r = run("ex2016-service-account-no-mailbox", |a| a.ews_url.clear()).await;
    r.expect(ExDiscover, Status::Fail, "POX500", Some("ex2016/3.4"));
}
