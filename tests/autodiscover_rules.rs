//! The Autodiscover candidate order and security rules, against an in-test fake transport that
//! records every request (scheme, host, path, credentials attached). The simulated tenant
//! exercises the same engine over real HTTPS in `tests/checks_exchange.rs`.

use futures::future::BoxFuture;
use moxi_setup::checks::autodiscover::{
    AttemptResult, DiscoverEvent, DiscoverFailure, DiscoverOptions, Discovery, FetchError,
    HowFound, HttpReply, MAX_REDIRECTS, Transport, discover, is_stripped, within,
};
use moxi_setup::checks::srv::{SrvRecord, StaticSrv};
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use url::Url;

#[derive(Clone)]
enum Behave {
    Reply(u16, Option<String>, String),
    Delay(Duration, Box<Behave>),
    Fail(FetchError),
    BlackHole,
}

#[derive(Debug, Clone)]
struct Seen {
    method: &'static str,
    scheme: String,
    host: String,
    #[allow(dead_code)]
    path: String,
    credentials: bool,
    body: String,
}

#[derive(Default)]
struct Fake {
    routes: HashMap<String, Behave>,
    seen: Mutex<Vec<Seen>>,
}

impl Fake {
    fn on(mut self, url: &str, b: Behave) -> Self {
        self.routes.insert(url.to_string(), b);
        self
    }
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
    fn answer(&self, url: &Url) -> BoxFuture<'static, Result<HttpReply, FetchError>> {
        let b = self
            .routes
            .get(url.as_str())
            .cloned()
            .unwrap_or(Behave::Fail(FetchError::Dns));
        Box::pin(play(b))
    }
}

fn play(b: Behave) -> BoxFuture<'static, Result<HttpReply, FetchError>> {
    Box::pin(async move {
        match b {
            Behave::Reply(status, location, body) => Ok(HttpReply {
                status,
                location,
                www_authenticate: vec!["Basic realm=\"x\"".into()],
                retry_after_ms: None,
                body: body.into_bytes(),
            }),
            Behave::Delay(d, inner) => {
                tokio::time::sleep(d).await;
                play(*inner).await
            }
            Behave::Fail(e) => Err(e),
            Behave::BlackHole => futures::future::pending().await,
        }
    })
}

impl Transport for Fake {
    fn post_pox<'a>(
        &'a self,
        url: &'a Url,
        body: String,
        _user: &'a str,
        _password: &'a SecretString,
        _timeout: Duration,
    ) -> BoxFuture<'a, Result<HttpReply, FetchError>> {
        // Records everything, http included: the tests prove the engine never asks.
        self.seen.lock().unwrap().push(Seen {
            method: "POST",
            scheme: url.scheme().into(),
            host: url.host_str().unwrap_or_default().into(),
            path: url.path().into(),
            credentials: true,
            body,
        });
        self.answer(url)
    }
    fn get_anonymous<'a>(
        &'a self,
        url: &'a Url,
        _timeout: Duration,
    ) -> BoxFuture<'a, Result<HttpReply, FetchError>> {
        self.seen.lock().unwrap().push(Seen {
            method: "GET",
            scheme: url.scheme().into(),
            host: url.host_str().unwrap_or_default().into(),
            path: url.path().into(),
            credentials: false,
            body: String::new(),
        });
        self.answer(url)
    }
}

const ROOT: &str = "https://contoso.example/autodiscover/autodiscover.xml";
const ADHOST: &str = "https://autodiscover.contoso.example/autodiscover/autodiscover.xml";
const HTTP: &str = "http://autodiscover.contoso.example/autodiscover/autodiscover.xml";
const EWS: &str = "https://mail.contoso.example/EWS/Exchange.asmx";

fn settings(url: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
    <Account><AccountType>email</AccountType><Action>settings</Action>
      <Protocol><Type>EXPR</Type><EwsUrl>{url}</EwsUrl></Protocol>
    </Account>
  </Response>
</Autodiscover>"#
    )
}

fn redirect(kind: &str, target: &str) -> String {
    let (action, el) = if kind == "addr" {
        ("redirectAddr", "RedirectAddr")
    } else {
        ("redirectUrl", "RedirectURL")
    };
    format!(
        r#"<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
    <Account><Action>{action}</Action><{el}>{target}</{el}></Account>
  </Response>
</Autodiscover>"#
    )
}

fn ok(body: String) -> Behave {
    Behave::Reply(200, None, body)
}

async fn run_with(fake: &Fake, srv: &StaticSrv, confirmed: &[String], who: &str) -> Discovery {
    let opts = DiscoverOptions {
        transport: fake,
        srv,
        candidate_timeout: Duration::from_secs(600),
        confirmed_hosts: confirmed,
        grace: Duration::from_millis(200),
        grace_ratio: None,
    };
    let pw = SecretString::from("Demo-Passw0rd!");
    let cancel = CancellationToken::new();
    let mut events = Vec::new();
    let mut sink = |e: DiscoverEvent| events.push(e);
    // Generous bound: only catches a hang (a candidate timeout is 600 s here on purpose).
    tokio::time::timeout(
        Duration::from_secs(60),
        discover(&opts, who, &pw, &cancel, &mut sink),
    )
    .await
    .expect("discovery hung")
}

async fn run(fake: &Fake) -> Discovery {
    run_with(fake, &StaticSrv::none(), &[], "moxiengage@contoso.example").await
}

fn assert_no_credentials_outside(fake: &Fake, domain: &str) {
    for s in fake.seen() {
        if s.credentials {
            assert_eq!(s.scheme, "https", "credentials over http: {s:?}");
            assert!(within(&s.host, domain), "credentials to {}: {s:?}", s.host);
        }
    }
}

#[tokio::test]
async fn root_domain_is_tried_first_then_the_autodiscover_host() {
    let fake = Fake::default()
        .on(ROOT, Behave::Reply(404, None, String::new()))
        .on(ADHOST, ok(settings(EWS)));
    let d = run(&fake).await;
    let f = d.result.unwrap();
    assert_eq!(f.ews_url, EWS);
    assert_eq!(f.how, HowFound::AutodiscoverHost);
    assert_eq!(f.protocol, "EXPR");
    let order: Vec<String> = fake.seen().iter().map(|s| s.host.clone()).collect();
    assert_eq!(order, ["contoso.example", "autodiscover.contoso.example"]);
    assert!(fake.seen().iter().all(|s| {
        s.body
            .contains("<EMailAddress>moxiengage@contoso.example</EMailAddress>")
    }));
    assert_no_credentials_outside(&fake, "contoso.example");
}

#[tokio::test]
async fn the_highest_priority_answer_wins_even_when_it_is_slower() {
    let fake = Fake::default()
        .on(
            ROOT,
            Behave::Delay(
                Duration::from_millis(20),
                Box::new(ok(settings(
                    "https://root.contoso.example/EWS/Exchange.asmx",
                ))),
            ),
        )
        .on(ADHOST, ok(settings(EWS)));
    let opts_grace_long = {
        let srv = StaticSrv::none();
        let opts = DiscoverOptions {
            transport: &fake,
            srv: &srv,
            candidate_timeout: Duration::from_secs(600),
            confirmed_hosts: &[],
            grace: Duration::from_secs(30),
            grace_ratio: None,
        };
        let pw = SecretString::from("x");
        let mut sink = |_e: DiscoverEvent| {};
        discover(
            &opts,
            "moxiengage@contoso.example",
            &pw,
            &CancellationToken::new(),
            &mut sink,
        )
        .await
    };
    let f = opts_grace_long.result.unwrap();
    assert_eq!(f.how, HowFound::RootDomain);
    assert_eq!(f.ews_url, "https://root.contoso.example/EWS/Exchange.asmx");
}

#[tokio::test]
async fn a_black_holed_root_domain_costs_nothing_once_the_autodiscover_host_answers() {
    let fake = Fake::default()
        .on(ROOT, Behave::BlackHole)
        .on(ADHOST, ok(settings(EWS)));
    let d = run(&fake).await;
    assert_eq!(d.result.unwrap().how, HowFound::AutodiscoverHost);
    assert!(
        d.attempts
            .iter()
            .any(|a| a.url == ROOT && matches!(a.result, AttemptResult::Abandoned))
    );
}

#[tokio::test]
async fn with_a_grace_ratio_a_black_holed_root_domain_waits_a_fraction_not_the_whole_grace() {
    let fake = Fake::default().on(ROOT, Behave::BlackHole).on(
        ADHOST,
        Behave::Delay(Duration::from_millis(20), Box::new(ok(settings(EWS)))),
    );
    let srv = StaticSrv::none();
    let opts = DiscoverOptions {
        transport: &fake,
        srv: &srv,
        candidate_timeout: Duration::from_secs(600),
        confirmed_hosts: &[],
        // Without the ratio this run would wait the whole 600 s grace.
        grace: Duration::from_secs(600),
        grace_ratio: Some(0.5),
    };
    let pw = SecretString::from("x");
    let mut sink = |_e: DiscoverEvent| {};
    // Generous bound: only catches the wait for the full grace.
    let d = tokio::time::timeout(
        Duration::from_secs(60),
        discover(
            &opts,
            "moxiengage@contoso.example",
            &pw,
            &CancellationToken::new(),
            &mut sink,
        ),
    )
    .await
    .expect("the black-holed root domain cost the whole grace");
    assert_eq!(d.result.unwrap().how, HowFound::AutodiscoverHost);
    assert!(
        d.attempts
            .iter()
            .any(|a| a.url == ROOT && matches!(a.result, AttemptResult::Abandoned))
    );
}

#[tokio::test]
async fn the_http_redirect_method_sends_no_credentials_and_follows_only_https_autodiscover() {
    let target = "https://mail.contoso.example/autodiscover/autodiscover.xml";
    let fake = Fake::default()
        .on(HTTP, Behave::Reply(302, Some(target.into()), String::new()))
        .on(target, ok(settings(EWS)));
    let d = run(&fake).await;
    let f = d.result.unwrap();
    assert_eq!(f.how, HowFound::HttpRedirect);
    let seen = fake.seen();
    let http: Vec<&Seen> = seen.iter().filter(|s| s.scheme == "http").collect();
    assert_eq!(http.len(), 1);
    assert_eq!(http[0].method, "GET");
    assert!(!http[0].credentials);
    assert_no_credentials_outside(&fake, "contoso.example");
}

#[tokio::test]
async fn an_http_redirect_to_plain_http_or_a_non_autodiscover_path_is_not_followed() {
    for loc in [
        "http://mail.contoso.example/autodiscover/autodiscover.xml",
        "https://mail.contoso.example/owa/login.aspx",
    ] {
        let fake = Fake::default()
            .on(HTTP, Behave::Reply(302, Some(loc.into()), String::new()))
            .on(loc, ok(settings(EWS)));
        let d = run(&fake).await;
        assert_eq!(d.result.unwrap_err(), DiscoverFailure::NothingAnswered);
        assert!(
            fake.seen().iter().all(|s| s.host != "mail.contoso.example"),
            "{loc} was followed"
        );
    }
}

#[tokio::test]
async fn an_http_redirect_to_a_foreign_domain_is_reported_and_gets_nothing() {
    let loc = "https://autodiscover.evil.example/autodiscover/autodiscover.xml";
    let fake = Fake::default()
        .on(HTTP, Behave::Reply(302, Some(loc.into()), String::new()))
        .on(loc, ok(settings(EWS)));
    let d = run(&fake).await;
    assert_eq!(
        d.result.unwrap_err(),
        DiscoverFailure::ForeignHost {
            host: "autodiscover.evil.example".into()
        }
    );
    assert!(
        fake.seen()
            .iter()
            .all(|s| s.host != "autodiscover.evil.example")
    );
}

#[tokio::test]
async fn srv_records_on_port_443_are_tried_by_priority_and_weight() {
    let srv = StaticSrv::with(
        "_autodiscover._tcp.contoso.example",
        vec![
            SrvRecord {
                priority: 10,
                weight: 0,
                port: 443,
                target: "late.contoso.example".into(),
            },
            SrvRecord {
                priority: 0,
                weight: 5,
                port: 443,
                target: "first.contoso.example".into(),
            },
            SrvRecord {
                priority: 0,
                weight: 100,
                port: 80,
                target: "plain.contoso.example".into(),
            },
        ],
    );
    let late = "https://late.contoso.example/autodiscover/autodiscover.xml";
    let fake = Fake::default()
        .on(
            "https://first.contoso.example/autodiscover/autodiscover.xml",
            Behave::Fail(FetchError::Refused),
        )
        .on(late, ok(settings(EWS)));
    let d = run_with(&fake, &srv, &[], "moxiengage@contoso.example").await;
    let f = d.result.unwrap();
    assert_eq!(f.how, HowFound::Srv);
    assert_eq!(f.via, late);
    let hosts: Vec<String> = fake.seen().iter().map(|s| s.host.clone()).collect();
    assert_eq!(
        hosts,
        [
            "contoso.example",
            "autodiscover.contoso.example",
            "autodiscover.contoso.example",
            "first.contoso.example",
            "late.contoso.example"
        ]
    );
    assert!(!hosts.iter().any(|h| h == "plain.contoso.example"));
}

#[tokio::test]
async fn an_srv_target_outside_the_domain_needs_confirmation() {
    let srv = StaticSrv::with(
        "_autodiscover._tcp.contoso.example",
        vec![SrvRecord {
            priority: 0,
            weight: 0,
            port: 443,
            target: "autodiscover.hoster.example".into(),
        }],
    );
    let foreign = "https://autodiscover.hoster.example/autodiscover/autodiscover.xml";
    let fake = Fake::default().on(foreign, ok(settings(EWS)));
    let d = run_with(&fake, &srv, &[], "moxiengage@contoso.example").await;
    assert_eq!(
        d.result.unwrap_err(),
        DiscoverFailure::ForeignHost {
            host: "autodiscover.hoster.example".into()
        }
    );
    assert!(
        fake.seen()
            .iter()
            .all(|s| s.host != "autodiscover.hoster.example")
    );

    // After the admin confirmed that host on screen, it is used.
    let fake = Fake::default().on(foreign, ok(settings(EWS)));
    let confirmed = vec!["autodiscover.hoster.example".to_string()];
    let d = run_with(&fake, &srv, &confirmed, "moxiengage@contoso.example").await;
    assert_eq!(d.result.unwrap().how, HowFound::Srv);
}

#[tokio::test]
async fn redirect_addr_restarts_with_the_new_address() {
    let sub_root = "https://mail.contoso.example/autodiscover/autodiscover.xml";
    let fake = Fake::default()
        .on(ROOT, ok(redirect("addr", "moxi@mail.contoso.example")))
        .on(sub_root, ok(settings(EWS)));
    let d = run(&fake).await;
    let f = d.result.unwrap();
    assert_eq!(f.address, "moxi@mail.contoso.example");
    let last = fake
        .seen()
        .into_iter()
        .find(|s| s.host == "mail.contoso.example")
        .unwrap();
    assert!(
        last.body
            .contains("<EMailAddress>moxi@mail.contoso.example</EMailAddress>")
    );
    assert_eq!(d.redirects, 1);
}

#[tokio::test]
async fn redirect_addr_to_a_foreign_domain_is_not_followed() {
    let fake = Fake::default().on(ROOT, ok(redirect("addr", "moxi@fabrikam.example")));
    let d = run(&fake).await;
    assert_eq!(
        d.result.unwrap_err(),
        DiscoverFailure::ForeignHost {
            host: "fabrikam.example".into()
        }
    );
    assert!(fake.seen().iter().all(|s| !s.host.contains("fabrikam")));
}

#[tokio::test]
async fn redirect_url_must_be_https() {
    let insecure = "http://mail.contoso.example/autodiscover/autodiscover.xml";
    let fake = Fake::default()
        .on(ROOT, ok(redirect("url", insecure)))
        .on(insecure, ok(settings(EWS)));
    let d = run(&fake).await;
    assert_eq!(
        d.result.unwrap_err(),
        DiscoverFailure::InsecureRedirect {
            url: insecure.into()
        }
    );
    assert!(fake.seen().iter().all(|s| s.scheme == "https"));
}

#[tokio::test]
async fn a_redirect_back_to_a_visited_url_is_a_loop() {
    let a = "https://a.contoso.example/autodiscover/autodiscover.xml";
    let b = "https://b.contoso.example/autodiscover/autodiscover.xml";
    let fake = Fake::default()
        .on(ROOT, ok(redirect("url", a)))
        .on(a, ok(redirect("url", b)))
        .on(b, ok(redirect("url", a)));
    let d = run(&fake).await;
    assert!(matches!(d.result.unwrap_err(), DiscoverFailure::Loop { target } if target == a));
    // a and b asked once each.
    assert_eq!(
        fake.seen()
            .iter()
            .filter(|s| s.host == "a.contoso.example")
            .count(),
        1
    );
}

#[tokio::test]
async fn a_redirect_addr_back_to_a_visited_address_is_a_loop() {
    let sub = "https://mail.contoso.example/autodiscover/autodiscover.xml";
    let fake = Fake::default()
        .on(ROOT, ok(redirect("addr", "moxi@mail.contoso.example")))
        .on(sub, ok(redirect("addr", "moxiengage@contoso.example")));
    let d = run(&fake).await;
    assert!(matches!(
        d.result.unwrap_err(),
        DiscoverFailure::Loop { .. }
    ));
}

fn chain(n: usize) -> Fake {
    let mut fake = Fake::default().on(ROOT, ok(redirect("url", &hop(1))));
    for i in 1..=n {
        let next = if i == n {
            settings(EWS)
        } else {
            redirect("url", &hop(i + 1))
        };
        fake = fake.on(&hop(i), ok(next));
    }
    fake
}

fn hop(i: usize) -> String {
    format!("https://hop{i}.contoso.example/autodiscover/autodiscover.xml")
}

#[tokio::test]
async fn ten_redirects_are_followed_and_the_eleventh_is_refused() {
    let fake = chain(MAX_REDIRECTS);
    let d = run(&fake).await;
    assert_eq!(d.result.unwrap().via, hop(MAX_REDIRECTS));
    assert_eq!(d.redirects, MAX_REDIRECTS);

    let fake = chain(MAX_REDIRECTS + 1);
    let d = run(&fake).await;
    assert_eq!(d.result.unwrap_err(), DiscoverFailure::TooManyRedirects);
    let asked = fake
        .seen()
        .iter()
        .filter(|s| s.host.starts_with("hop"))
        .count();
    assert_eq!(asked, MAX_REDIRECTS);
}

#[tokio::test]
async fn stripped_names_are_never_contacted_even_when_confirmed() {
    for target in [
        "https://autodiscover.example/autodiscover/autodiscover.xml",
        "https://example/autodiscover/autodiscover.xml",
    ] {
        let fake = Fake::default()
            .on(ROOT, ok(redirect("url", target)))
            .on(target, ok(settings(EWS)));
        let confirmed = vec!["autodiscover.example".to_string(), "example".to_string()];
        let d = run_with(
            &fake,
            &StaticSrv::none(),
            &confirmed,
            "moxiengage@contoso.example",
        )
        .await;
        assert!(
            matches!(
                d.result.unwrap_err(),
                DiscoverFailure::StrippedDomain { .. }
            ),
            "{target}"
        );
        assert!(
            fake.seen()
                .iter()
                .all(|s| s.host.ends_with("contoso.example")),
            "{:?}",
            fake.seen()
        );
    }
}

#[tokio::test]
async fn candidates_for_a_subdomain_never_strip_labels() {
    let fake = Fake::default();
    let d = run_with(&fake, &StaticSrv::none(), &[], "moxi@mail.contoso.example").await;
    assert_eq!(d.result.unwrap_err(), DiscoverFailure::NothingAnswered);
    for s in fake.seen() {
        assert!(within(&s.host, "mail.contoso.example"), "{s:?}");
    }
    assert!(is_stripped(
        "autodiscover.contoso.example",
        "mail.contoso.example"
    ));
    assert!(is_stripped("autodiscover.example", "contoso.example"));
    assert!(!is_stripped(
        "autodiscover.contoso.example",
        "contoso.example"
    ));
}

#[tokio::test]
async fn a_pox_error_is_reported_with_its_code() {
    let err = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/autodiscover/pox/msdocs/pox-response-error.xml"),
    )
    .unwrap();
    let fake = Fake::default().on(ADHOST, ok(err));
    let d = run(&fake).await;
    assert_eq!(
        d.result.unwrap_err(),
        DiscoverFailure::PoxError {
            code: "600".into(),
            message: "Invalid Request".into()
        }
    );
}

#[tokio::test]
async fn cancelling_stops_a_discovery_that_is_waiting() {
    let fake = Fake::default()
        .on(ROOT, Behave::BlackHole)
        .on(ADHOST, Behave::BlackHole);
    let srv = StaticSrv::none();
    let opts = DiscoverOptions {
        transport: &fake,
        srv: &srv,
        candidate_timeout: Duration::from_secs(600),
        confirmed_hosts: &[],
        grace: Duration::from_millis(10),
        grace_ratio: None,
    };
    let pw = SecretString::from("x");
    let cancel = CancellationToken::new();
    let c2 = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        c2.cancel();
    });
    let mut sink = |_e: DiscoverEvent| {};
    let d = tokio::time::timeout(
        Duration::from_secs(60),
        discover(&opts, "moxiengage@contoso.example", &pw, &cancel, &mut sink),
    )
    .await
    .expect("cancel ignored");
    assert_eq!(d.result.unwrap_err(), DiscoverFailure::Cancelled);
}
