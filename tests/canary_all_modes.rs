//! One canary password and one canary passphrase through every mode, in one home folder:
//! the full-screen wizard in a pseudo-terminal (normal and `--screen-share`), the plain mode
//! from a pipe, `check --answers` and `check --bundle` (text and `--json`, against the
//! simulated tenant, so the password really is sent), `bundle open` (redacted, `--reveal`
//! refused without a terminal, shown on a terminal, refused in screen-share mode), the no-echo
//! prompts of the headless commands, the `.ps1` and the support report. Then every file left
//! under the home folder, every captured stdout/stderr, every PTY byte stream and sampled
//! screen, and every saved snapshot is searched for the canaries and their encodings.
//!
//! Allowed: the encrypted bundles (their bytes must not hold a canary, and they must decrypt to
//! the password, proving it travelled) and the explicit reveals (the wizard's Ctrl+R outside
//! screen-share mode, `bundle open --reveal` on a terminal), which must show the password so the
//! search is known to see it. Everything runs at `--log-level trace`.

mod pty_common;

use base64::Engine as _;
use moxi_setup::answers::Platform;
use moxi_setup::sim::{self, SimHandle, SimOptions};
use pty_common::Session;
use secrecy::{ExposeSecret, SecretString};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Characters chosen so that URL, form, XML and Basic encodings all differ from the raw text.
const PW: &str = "CANARYpw-Zx81Qv q&<7>!";
const PASSPHRASE: &str = "CANARY phrase Vt52Wm lemon";
const M365_ACCOUNT: &str = "moxiengage@contoso.onmicrosoft.com";
const EX_ACCOUNT: &str = "moxiengage@contoso.example";
const LOG: &str = "trace";

const M365_ANSWERS: &str = r#"platform = "microsoft-365"
service_account = "moxiengage@contoso.onmicrosoft.com"
test_user = "agent@contoso.onmicrosoft.com"
tenant = "contoso.onmicrosoft.com"
client_id = "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d"
"#;

const EX_ANSWERS: &str = r#"platform = "exchange-server"
service_account = "moxiengage@contoso.example"
test_user = "agent@contoso.example"
"#;

fn percent(s: &str, space: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            b' ' => space.to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn xml_escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Every form a canary could leak in: as typed, URL/form/XML/JSON-encoded, base64 (alone and
/// as a Basic header carries it with either account), and distinctive pieces of each.
fn needles() -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut v = vec![
        PW.to_string(),
        PASSPHRASE.to_string(),
        percent(PW, "%20"),
        percent(PW, "+"),
        percent(PASSPHRASE, "%20"),
        percent(PASSPHRASE, "+"),
        xml_escaped(PW),
        serde_json::to_string(PW).unwrap().trim_matches('"').into(),
        b64.encode(PW),
        b64.encode(PASSPHRASE),
        b64.encode(format!("{M365_ACCOUNT}:{PW}")),
        b64.encode(format!("{EX_ACCOUNT}:{PW}")),
        "CANARYpw".into(),
        "Zx81Qv".into(),
        "CANARY phrase".into(),
        "Vt52Wm".into(),
    ];
    v.sort();
    v.dedup();
    v
}

fn find(hay: &[u8], needle: &str) -> Option<usize> {
    let n = needle.as_bytes();
    hay.windows(n.len()).position(|w| w == n)
}

/// The needles found in `bytes`.
fn hits(bytes: &[u8]) -> Vec<String> {
    needles()
        .into_iter()
        .filter(|n| find(bytes, n).is_some())
        .collect()
}

/// What was captured along the way and must be free of canaries.
#[derive(Default)]
struct Scan {
    items: Vec<(String, Vec<u8>)>,
}

impl Scan {
    fn add(&mut self, label: impl Into<String>, bytes: impl Into<Vec<u8>>) {
        self.items.push((label.into(), bytes.into()));
    }
}

fn bullets(s: &str) -> String {
    "•".repeat(s.chars().count())
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the binary with piped stdin/stdout/stderr in `home`; both outputs go into `scan`.
fn run(scan: &mut Scan, home: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Out {
    let mut cmd = assert_cmd::Command::cargo_bin("moxi-setup").unwrap();
    cmd.env("MOXI_SETUP_HOME", home)
        .env("MOXI_SETUP_NO_KEYCHAIN", "1")
        .env("NO_COLOR", "1")
        .env_remove("MOXI_SETUP_PASSWORD")
        .env_remove("MOXI_SETUP_PASSPHRASE")
        .env_remove("ACCESSIBLE")
        .current_dir(home)
        .args(["--log-level", LOG])
        .args(args)
        .write_stdin(stdin.to_string())
        // Only to turn a hang into a failure.
        .timeout(Duration::from_secs(120));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    scan.add(format!("stdout of {args:?}"), out.stdout.clone());
    scan.add(format!("stderr of {args:?}"), out.stderr.clone());
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `--resolve`/`--ca-file` arguments pointing every simulated host at `h`.
fn sim_args(h: &SimHandle) -> Vec<String> {
    let cfg = h.net_config();
    let mut a = Vec::new();
    for (host, addr) in &cfg.resolve {
        a.push("--resolve".to_string());
        a.push(format!("{host}={addr}"));
    }
    for f in &cfg.ca_files {
        a.push("--ca-file".to_string());
        a.push(f.display().to_string());
    }
    a
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// The PTY session's screen, sampled at every wait (each sample is scanned later).
struct Tui {
    s: Session,
    label: &'static str,
    screens: Vec<String>,
}

impl Tui {
    fn start(label: &'static str, home: &Path, args: &[&str]) -> Tui {
        let mut all = vec!["--log-level", LOG];
        all.extend_from_slice(args);
        Tui {
            s: Session::start(home, "127.0.0.1:9", &all, &[]),
            label,
            screens: Vec::new(),
        }
    }
    fn wait_for(&mut self, what: &str) -> String {
        let s = self.s.wait_for(what);
        self.screens.push(s.clone());
        s
    }
    fn wait_until(&mut self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let s = self.s.wait_until(what, ok);
        self.screens.push(s.clone());
        s
    }
    fn send(&mut self, keys: &str) {
        self.s.send(keys);
    }
    /// Ends the session; the screen samples and the byte stream go into `scan`, except the
    /// bytes `revealed` (from, to) of a reveal asked for, which must show the password.
    fn finish(self, scan: &mut Scan, revealed: Option<(usize, usize)>) {
        let Tui { s, label, screens } = self;
        let last = s.screen();
        let e = s.finish();
        assert!(e.success, "{label} did not exit cleanly:\n{last}");
        assert!(!e.alt, "{label} left the alternate screen on");
        for (i, sc) in screens.into_iter().enumerate() {
            scan.add(format!("{label}: screen sample {i}"), sc);
        }
        scan.add(format!("{label}: last screen"), last);
        let stream = e.bytes;
        match revealed {
            Some((from, to)) => {
                let shown = &stream[from..to];
                assert!(
                    find(shown, PW).is_some(),
                    "the revealed password is in the byte stream, so the search can see it"
                );
                assert!(find(shown, PASSPHRASE).is_none());
                scan.add(
                    format!("{label}: stream before the reveal"),
                    &stream[..from],
                );
                scan.add(format!("{label}: stream after the reveal"), &stream[to..]);
            }
            None => scan.add(format!("{label}: stream"), stream),
        }
    }
}

/// No check on the screen is waiting or running (○ not run yet, braille spinner running).
fn checks_settled(screen: &str) -> bool {
    !screen
        .chars()
        .any(|c| c == '○' || ('\u{2801}'..='\u{28FF}').contains(&c))
}

/// Waits until the draft holds a result of one of `checks`. The wizard saves the draft when a
/// run of checks has finished (a screen can be drawn in several writes, so the screen alone
/// cannot say that every check is done); none of these checks ran before.
fn wait_for_draft_check(home: &Path, checks: &[String]) {
    let path = home.join("data/draft.json");
    let end = Instant::now() + pty_common::timeout();
    loop {
        let ids: Vec<String> = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v["checks"].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|c| c["id"].as_str().map(String::from))
            .collect();
        if checks.iter().any(|c| ids.contains(c)) {
            return;
        }
        assert!(
            Instant::now() < end,
            "no result of {checks:?} in the draft: {ids:?}"
        );
        std::thread::sleep(Duration::from_millis(30));
    }
}

/// On the review page: to the last row ("continue to export") and in.
fn review_to_export(t: &mut Tui) {
    t.wait_for("Review your answers");
    t.send(&"\x1b[B".repeat(30));
    t.send("\r");
    t.wait_for("Export the encrypted bundle");
}

/// The full-screen wizard, normal mode, through every Microsoft 365 screen to export, with
/// one reveal of the password.
fn full_screen_normal(scan: &mut Scan, home: &Path) {
    let guide = moxi_setup::guide::guide(Platform::Microsoft365).unwrap();
    let screens: Vec<_> = guide.screens().map(|(_, s)| s.clone()).collect();
    let n = screens.len();
    let mut t = Tui::start("full-screen wizard", home, &["--demo", "m365-guide-2021"]);
    // The plain run left a draft: start over.
    t.wait_for("Continue where you left off?");
    t.send("n");
    t.wait_for("Where does your office");
    t.wait_for("DEMO");
    t.send("1");
    let mut reveal = None;
    let mut saved_script = false;
    for (i, sc) in screens.iter().enumerate() {
        let step = format!("Step {} of {n}", i + 1);
        t.wait_for(&step);
        for f in &sc.fields {
            if f.is_secret() {
                // The demo fills the address in; the password is ours.
                t.wait_for(M365_ACCOUNT);
                t.send(PW);
                let masked = t.wait_for(&bullets(PW));
                assert!(!masked.contains(PW), "{masked}");
                assert!(masked.contains("Ctrl+R"), "reveal is offered:\n{masked}");
                // Everything up to here must be clean; the reveal starts after it.
                let from = t.s.raw_bytes().len();
                t.send("\x12");
                // Not kept as a sample: this is the one screen allowed to show it.
                let shown = t.s.wait_for(PW);
                assert!(!shown.contains(&bullets(PW)), "{shown}");
                t.send("\x12");
                t.wait_until("the password masked again", |s| {
                    s.contains(&bullets(PW)) && !s.contains(PW)
                });
                reveal = Some((from, t.s.raw_bytes().len()));
            }
            t.send("\t");
        }
        if !sc.checks.is_empty() {
            // Leaving a screen cancels its checks: wait until the run has finished.
            wait_for_draft_check(home, &sc.checks);
            t.wait_until(&format!("the checks of {step} on screen"), |s| {
                s.contains(&step) && checks_settled(s)
            });
        }
        if !sc.scripts.is_empty() && !saved_script {
            // Copy (OSC 52 through the terminal: part of the byte stream) and save a .ps1.
            t.send("c");
            t.send("s");
            t.wait_for("Saved the commands to");
            saved_script = true;
        }
        t.send("\r");
    }
    assert!(saved_script);
    let (from, to) = reveal.expect("the guide asks for the password");
    t.wait_for("Review your answers");
    let review = t.wait_until("the review of every check", |s| {
        s.contains("Review your answers") && s.contains("AADSTS50126") && !s.contains('○')
    });
    assert!(!review.contains(PW), "{review}");
    // The support report, from the review page.
    t.send("p");
    t.wait_for("Saved the support report");
    review_to_export(&mut t);
    t.wait_for("› Passphrase for the bundle");
    t.send(PASSPHRASE);
    t.wait_for(&bullets(PASSPHRASE));
    t.send("\r");
    t.wait_for("› The same passphrase again");
    t.send(PASSPHRASE);
    t.wait_until("both passphrases typed", |s| {
        s.matches(&bullets(PASSPHRASE)).count() == 2
    });
    t.send("\r");
    t.wait_for("› Folder to save the bundle in");
    t.send("\r");
    t.wait_for("Saved the encrypted bundle to");
    t.send("q");
    t.finish(scan, Some((from, to)));
}

/// The full-screen wizard in screen-share mode: Ctrl+R reveals neither the password
/// nor the passphrase.
fn full_screen_screen_share(scan: &mut Scan, home: &Path) {
    let mut t = Tui::start(
        "screen-share wizard",
        home,
        &["--screen-share", "--demo", "m365-guide-2021", "--resume"],
    );
    t.wait_for("SCREEN-SHARE MODE");
    t.send("\x07");
    t.wait_for("Go to step");
    t.send("1.4");
    t.wait_for("› 1.4");
    t.send("\r");
    t.wait_for("Step 2 of");
    t.wait_for(M365_ACCOUNT);
    t.send("\t");
    t.send(PW);
    let masked = t.wait_for(&bullets(PW));
    assert!(!masked.contains("Ctrl+R"), "reveal offered:\n{masked}");
    // Ctrl+R, then one more letter: once the extra bullet shows, Ctrl+R was handled.
    t.send("\x12");
    t.send("x");
    let after = t.wait_until("the extra letter", |s| {
        s.contains(&format!("{}•", bullets(PW))) || s.contains(PW)
    });
    assert!(
        !after.contains(PW),
        "revealed in screen-share mode:\n{after}"
    );
    t.send("\x7f");
    let (more, shown) = (format!("{}•", bullets(PW)), format!("{PW}x"));
    t.wait_until("the extra letter deleted", |s| {
        !s.contains(&more) && !s.contains(&shown)
    });
    // Leave the field (the review is a command, not a letter, from there on).
    t.send("\t");
    t.send("v");
    review_to_export(&mut t);
    t.wait_for("› Passphrase for the bundle");
    t.send(PASSPHRASE);
    t.wait_for(&bullets(PASSPHRASE));
    t.send("\x12");
    t.send("x");
    let after = t.wait_until("the extra letter", |s| {
        s.contains(&format!("{}•", bullets(PASSPHRASE))) || s.contains(PASSPHRASE)
    });
    assert!(
        !after.contains(PASSPHRASE),
        "revealed in screen-share mode:\n{after}"
    );
    t.send("\x03");
    t.finish(scan, None);
}

/// A headless command in a pseudo-terminal; `typed` answers a no-echo prompt (typed only once
/// the terminal's echo is off, as a person would).
fn on_terminal(
    scan: &mut Scan,
    home: &Path,
    login: &str,
    label: &str,
    args: &[&str],
    env: &[(&str, &str)],
    typed: Option<(&str, &str)>,
) -> pty_common::Ended {
    let mut all = vec!["--log-level", LOG];
    all.extend_from_slice(args);
    let mut s = Session::start(home, login, &all, env);
    if let Some((prompt, text)) = typed {
        s.wait_for(prompt);
        let end = Instant::now() + pty_common::timeout();
        while !s.echo_off() {
            assert!(
                Instant::now() < end,
                "echo never switched off:\n{}",
                s.screen()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        s.send(text);
        s.send("\r");
    }
    let last = s.screen();
    let e = s.finish();
    if !label.is_empty() {
        scan.add(format!("{label}: byte stream"), e.bytes.clone());
        scan.add(format!("{label}: screen"), last);
    }
    e
}

#[test]
fn canaries_only_in_the_bundles_and_explicit_reveals_across_every_mode() {
    let started = Instant::now();
    let root = tempfile::tempdir().unwrap();
    let home = root.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let mut scan = Scan::default();
    let secrets = [
        ("MOXI_SETUP_PASSWORD", PW),
        ("MOXI_SETUP_PASSPHRASE", PASSPHRASE),
    ];

    // ---- Plain mode from a pipe: Exchange Server (Basic authentication) through export.
    let mut input = vec!["2"];
    // Every question of steps 1–8 keeps its shown value (14 of them).
    input.extend([""; 14]);
    // A check fails (the simulated server refuses our canary): export anyway, default folder.
    input.extend(["yes", ""]);
    let plain = run(
        &mut scan,
        &home,
        &["--plain", "--demo", "ex2016-ready"],
        &(input.join("\n") + "\n"),
        &secrets,
    );
    assert_eq!(plain.code, 0, "{}\n{}", plain.stdout, plain.stderr);
    assert!(
        plain.stdout.contains("Saved the encrypted bundle to"),
        "{}",
        plain.stdout
    );
    assert!(plain.stdout.contains("HTTP401"), "the password was refused");

    // ---- The full-screen wizard: normal (with one reveal), then screen-share.
    full_screen_normal(&mut scan, &home);
    full_screen_screen_share(&mut scan, &home);

    let data = home.join("data");
    let mut bundles: Vec<PathBuf> = std::fs::read_dir(&data)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "age"))
        .collect();
    bundles.sort();
    assert_eq!(bundles.len(), 2, "{bundles:?}");
    let ex_bundle = bundles
        .iter()
        .find(|p| p.display().to_string().contains("contoso.example"));
    let m365_bundle = bundles
        .iter()
        .find(|p| p.display().to_string().contains("onmicrosoft"));
    let (ex_bundle, m365_bundle) = (ex_bundle.unwrap().clone(), m365_bundle.unwrap().clone());
    let (exb, m365b) = (
        ex_bundle.display().to_string(),
        m365_bundle.display().to_string(),
    );

    // ---- Headless commands against the simulated tenant, so the password is really sent.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let start = |name: &str| {
        rt.block_on(sim::start(SimOptions {
            scenario: name.into(),
            ..Default::default()
        }))
        .unwrap()
    };
    let m365_sim = start("m365-guide-2021");
    let ex_sim = start("ex2016-ready");
    let inputs = home.join("inputs");
    std::fs::create_dir_all(&inputs).unwrap();
    let m365_answers = inputs.join("m365.toml");
    let ex_answers = inputs.join("exchange.toml");
    std::fs::write(&m365_answers, M365_ANSWERS).unwrap();
    std::fs::write(&ex_answers, EX_ANSWERS).unwrap();
    let (ma, ea) = (
        m365_answers.display().to_string(),
        ex_answers.display().to_string(),
    );
    let m365_net = sim_args(&m365_sim);
    let ex_net = sim_args(&ex_sim);
    let with = |net: &[String], args: &[&str]| -> Vec<String> {
        args.iter()
            .map(|s| s.to_string())
            .chain(net.iter().cloned())
            .collect()
    };
    let pw_env = [("MOXI_SETUP_PASSWORD", PW)];
    let pass_env = [("MOXI_SETUP_PASSPHRASE", PASSPHRASE)];
    for (net, args, env) in [
        (&m365_net, vec!["check", "--answers", &ma], &pw_env),
        (
            &m365_net,
            vec!["check", "--answers", &ma, "--json"],
            &pw_env,
        ),
        (&ex_net, vec!["check", "--answers", &ea], &pw_env),
        (&ex_net, vec!["check", "--answers", &ea, "--json"], &pw_env),
        (&m365_net, vec!["check", "--bundle", &m365b], &pass_env),
        (
            &m365_net,
            vec!["check", "--bundle", &m365b, "--json"],
            &pass_env,
        ),
        (
            &ex_net,
            vec!["check", "--bundle", &exb, "--json"],
            &pass_env,
        ),
        (&ex_net, vec!["check", "--bundle", &exb], &pass_env),
    ] {
        let args = with(net, &args);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run(&mut scan, &home, &args, "", env);
        assert_eq!(o.code, 1, "{args:?}: {}\n{}", o.stdout, o.stderr);
        if args.contains(&"--json") {
            let v: serde_json::Value = serde_json::from_str(o.stdout.trim()).unwrap();
            assert_eq!(v["overall"], "fail", "{v}");
        }
    }
    for (h, scheme) in [(&m365_sim, "form-password"), (&ex_sim, "Basic")] {
        assert!(
            h.requests()
                .iter()
                .any(|r| r.credentials && r.auth_scheme.as_deref() == Some(scheme)),
            "the password reached the simulated {} as {scheme}",
            h.scenario()
        );
    }
    for b in [&m365b, &exb] {
        let o = run(&mut scan, &home, &["bundle", "open", b], "", &pass_env);
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert!(o.stdout.contains("moxiengage@contoso"), "{}", o.stdout);
        // --reveal into a pipe is refused.
        let o = run(
            &mut scan,
            &home,
            &["bundle", "open", b, "--reveal"],
            "",
            &pass_env,
        );
        assert_eq!(o.code, 2, "{}", o.stdout);
        assert!(o.stderr.contains("only on a terminal"), "{}", o.stderr);
    }
    // A near-miss passphrase must not be repeated back either.
    let wrong = PASSPHRASE.replace("lemon", "lemoX");
    let o = run(
        &mut scan,
        &home,
        &["bundle", "open", &m365b],
        "",
        &[("MOXI_SETUP_PASSPHRASE", &wrong)],
    );
    assert_ne!(o.code, 0);
    // No passphrase and no terminal: it says so, nothing is read from the pipe.
    let o = run(
        &mut scan,
        &home,
        &["bundle", "open", &m365b],
        &format!("{PASSPHRASE}\n"),
        &[],
    );
    assert_eq!(o.code, 2, "{}", o.stdout);

    // ---- Headless commands on a terminal.
    // The one allowed reveal: `bundle open --reveal` at a terminal shows the password only.
    let shown = on_terminal(
        &mut scan,
        &home,
        "127.0.0.1:9",
        "",
        &["bundle", "open", &m365b, "--reveal"],
        &pass_env,
        None,
    );
    assert!(shown.success, "{}", shown.raw);
    assert!(find(&shown.bytes, PW).is_some(), "{}", shown.raw);
    assert!(find(&shown.bytes, PASSPHRASE).is_none(), "{}", shown.raw);
    let e = on_terminal(
        &mut scan,
        &home,
        "127.0.0.1:9",
        "bundle open --reveal --screen-share on a terminal",
        &["--screen-share", "bundle", "open", &m365b, "--reveal"],
        &pass_env,
        None,
    );
    assert!(!e.success && e.raw.contains("screen-share"), "{}", e.raw);
    let e = on_terminal(
        &mut scan,
        &home,
        "127.0.0.1:9",
        "bundle open, passphrase typed at the prompt",
        &["bundle", "open", &exb],
        &[],
        Some(("Bundle passphrase (not shown", PASSPHRASE)),
    );
    assert!(e.success && e.raw.contains(EX_ACCOUNT), "{}", e.raw);
    let login = m365_sim
        .net_config()
        .resolve
        .iter()
        .find(|(h, _)| h == "login.microsoftonline.com")
        .map(|(_, a)| a.to_string())
        .unwrap();
    let ca = m365_sim.ca_path().display().to_string();
    let e = on_terminal(
        &mut scan,
        &home,
        &login,
        "check --answers, password typed at the prompt",
        &["--ca-file", &ca, "check", "--answers", &ma],
        &[],
        Some(("Service account password (not shown", PW)),
    );
    assert!(
        e.raw.contains("AADSTS50126"),
        "the typed password was sent:\n{}",
        e.raw
    );
    rt.block_on(async {
        m365_sim.shutdown().await;
        ex_sim.shutdown().await;
    });

    // ---- The search.
    let mut leaks = Vec::new();
    for (label, bytes) in &scan.items {
        let h = hits(bytes);
        if !h.is_empty() {
            leaks.push(format!("{label}: {h:?}"));
        }
    }
    let mut files = Vec::new();
    walk(root.path(), &mut files);
    let mut seen = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let h = hits(&bytes);
        if !h.is_empty() {
            leaks.push(format!("{}: {h:?}", f.display()));
        }
        seen.push(f.strip_prefix(&home).unwrap_or(f).display().to_string());
    }
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut snaps = Vec::new();
    walk(&snapshots, &mut snaps);
    assert!(snaps.len() > 10, "{snaps:?}");
    for f in &snaps {
        let h = hits(&std::fs::read(f).unwrap());
        if !h.is_empty() {
            leaks.push(format!("{}: {h:?}", f.display()));
        }
    }
    assert!(leaks.is_empty(), "canaries found:\n{}", leaks.join("\n"));

    // The search covered what each mode leaves behind.
    for want in [
        "data/draft.json",
        "logs/moxi-setup.log",
        "data/moxiengage-support-report.txt",
    ] {
        assert!(seen.iter().any(|s| s == want), "{want} missing: {seen:?}");
    }
    assert!(seen.iter().any(|s| s.ends_with(".ps1")), "{seen:?}");
    let log = std::fs::read_to_string(home.join("logs/moxi-setup.log")).unwrap();
    for want in ["moxi_setup::plain", "moxi_setup::tui", "TRACE"] {
        assert!(log.contains(want), "the log has {want}");
    }

    // The bundles: the bytes hold no canary, and they open to the password.
    for b in &bundles {
        let bytes = std::fs::read(b).unwrap();
        assert!(
            hits(&bytes).is_empty(),
            "{}: {:?}",
            b.display(),
            hits(&bytes)
        );
        let sub =
            moxi_setup::bundle::read_bundle_bytes(&bytes, &SecretString::from(PASSPHRASE)).unwrap();
        assert_eq!(
            sub.answers.service_password.unwrap().expose_secret(),
            PW,
            "{}",
            b.display()
        );
    }
    eprintln!(
        "searched {} captures and {} files in {:?}",
        scan.items.len(),
        files.len() + snaps.len(),
        started.elapsed()
    );
}
