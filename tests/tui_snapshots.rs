//! Screen snapshots at 80×24 (TestBackend): every screen of both guides with values typed,
//! the pages around them, NO_COLOR, screen-share, a failing check, a too-small window. The
//! canary password is typed everywhere and must never appear in a buffer or a snapshot.

mod tui_common;

use crossterm::event::KeyCode;
use moxi_setup::answers::{FieldId, Platform};
use moxi_setup::checks::{CheckId, CheckReport, Status};
use moxi_setup::guide::GuideStep;
use moxi_setup::tui::{Effect, Focus, Msg, Overlay, Page, StartChoice, UiOptions, Wizard};
use ratatui::style::Modifier;
use secrecy::SecretString;
use std::collections::BTreeMap;
use tui_common::*;

fn snap(name: &str, w: &Wizard, width: u16, height: u16) {
    let text = render(w, width, height);
    assert!(!text.contains(CANARY), "the password is visible on {name}");
    insta::with_settings!({
        filters => vec![(r"\b\d+ ms\b", "[ms]"), (r"/tmp/[^ │]+", "[tmp]")],
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

fn guides_wizard(opts: UiOptions) -> Wizard {
    let (g, _) = guides_for_snapshots();
    Wizard::init(opts, g, None).0
}

/// A wizard on `platform` with every value a real admin would have typed.
fn filled(platform: Platform, opts: UiOptions) -> Wizard {
    let mut w = guides_wizard(opts);
    let choice = match platform {
        Platform::Microsoft365 => StartChoice::Microsoft365,
        Platform::ExchangeServer => StartChoice::ExchangeServer,
    };
    send(&mut w, Msg::Start(choice));
    let (acct, test) = match platform {
        Platform::Microsoft365 => (
            "moxiengage@contoso.onmicrosoft.com",
            "agent@contoso.onmicrosoft.com",
        ),
        Platform::ExchangeServer => ("moxiengage@contoso.example", "agent@contoso.example"),
    };
    send(&mut w, Msg::SetText(FieldId::ServiceAccount, acct.into()));
    send(
        &mut w,
        Msg::SetSecret(FieldId::ServicePassword, SecretString::from(CANARY)),
    );
    send(&mut w, Msg::SetText(FieldId::TestUser, test.into()));
    if platform == Platform::Microsoft365 {
        send(
            &mut w,
            Msg::SetText(
                FieldId::Tenant,
                "3f2b8a4c-9d1e-4c7a-b5e6-0a1b2c3d4e5f".into(),
            ),
        );
        send(
            &mut w,
            Msg::SetText(
                FieldId::ClientId,
                "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d".into(),
            ),
        );
    }
    w
}

fn each_screen(platform: Platform, prefix: &str) {
    let w0 = filled(platform, UiOptions::default());
    let n = w0.screen_count();
    assert!(n > 0);
    for i in 0..n {
        let mut w = w0.clone();
        send(&mut w, Msg::GoToScreen(i));
        assert_eq!(w.page, Page::Screen(i));
        let id = w.screen().map(|(_, s)| s.id.clone()).unwrap();
        snap(&format!("{prefix}_{:02}_{id}", i + 1), &w, 80, 24);
    }
}

#[test]
fn every_m365_screen() {
    each_screen(Platform::Microsoft365, "m365");
}

#[test]
fn every_exchange_screen() {
    each_screen(Platform::ExchangeServer, "ex");
}

#[test]
fn pages_around_the_guide() {
    let mut w = guides_wizard(UiOptions::default());
    snap("start", &w, 80, 24);
    send(&mut w, key(KeyCode::Char('3')));
    snap("third_party", &w, 80, 24);
    send(&mut w, key(KeyCode::Esc));
    send(&mut w, key(KeyCode::Char('4')));
    snap("no_email", &w, 80, 24);

    let mut w = filled(Platform::Microsoft365, UiOptions::default());
    send(&mut w, Msg::OpenReview);
    snap("m365_review", &w, 80, 24);
    send(&mut w, Msg::Next);
    assert_eq!(w.page, Page::Export);
    snap("m365_export", &w, 80, 24);

    let d = w.draft();
    let (g, _) = guides_for_snapshots();
    let (r, _) = Wizard::init(UiOptions::default(), g.clone(), Some(d));
    snap("resume_question", &r, 80, 24);

    let (demo, _) = Wizard::init(
        UiOptions {
            demo: Some(String::new()),
            ..UiOptions::default()
        },
        g,
        None,
    );
    snap("demo_picker", &demo, 80, 24);
}

#[test]
fn help_overlay_lists_the_keys_of_the_screen() {
    let mut w = filled(Platform::Microsoft365, UiOptions::default());
    let i = password_screen(&w);
    send(&mut w, Msg::GoToScreen(i));
    send(&mut w, key(KeyCode::Tab));
    assert_eq!(w.focused_field(), Some(FieldId::ServicePassword));
    send(
        &mut w,
        Msg::Key(crossterm::event::KeyEvent::new(
            KeyCode::F(1),
            crossterm::event::KeyModifiers::NONE,
        )),
    );
    let text = render(&w, 80, 24);
    assert!(text.contains("Ctrl+R"), "{text}");
    snap("help_overlay", &w, 80, 24);
}

#[test]
fn too_small_window_asks_to_enlarge() {
    let w = filled(Platform::Microsoft365, UiOptions::default());
    let text = render(&w, 70, 20);
    assert!(text.contains("80 × 24"));
    assert!(text.contains("70 × 20"));
    snap("too_small", &w, 70, 20);
}

/// The screen that asks for the password.
fn password_screen(w: &Wizard) -> usize {
    w.guide()
        .unwrap()
        .screens()
        .position(|(_, s)| s.fields.contains(&FieldId::ServicePassword))
        .unwrap()
}

#[test]
fn no_color_carries_focus_and_errors_with_modifiers_and_glyphs() {
    let mut w = filled(
        Platform::Microsoft365,
        UiOptions {
            no_color: true,
            ..UiOptions::default()
        },
    );
    let i = password_screen(&w);
    send(&mut w, Msg::GoToScreen(i));
    send(
        &mut w,
        Msg::SetText(FieldId::ServiceAccount, "moxiengage".into()),
    );
    assert_eq!(w.focus, Focus::Field(0));
    let t = terminal(&w, 80, 24);
    let buf = t.backend().buffer();
    let mut reversed = 0;
    for y in 0..24 {
        for x in 0..80 {
            let c = &buf[(x, y)];
            assert_eq!(c.fg, ratatui::style::Color::Reset, "colour at {x},{y}");
            if c.modifier.contains(Modifier::REVERSED) && y > 2 && y < 22 {
                reversed += 1;
            }
        }
    }
    assert!(reversed > 10, "the focused field is reversed");
    let text = render(&w, 80, 24);
    assert!(text.contains('✘'), "errors carry a glyph");
    assert!(text.contains('›'), "focus carries a marker");
    snap("no_color_error", &w, 80, 24);
}

#[test]
fn screen_share_shows_a_banner_and_keeps_the_password_masked() {
    let mut w = filled(
        Platform::Microsoft365,
        UiOptions {
            screen_share: true,
            ..UiOptions::default()
        },
    );
    let i = password_screen(&w);
    send(&mut w, Msg::GoToScreen(i));
    send(&mut w, key(KeyCode::Tab));
    send(&mut w, ctrl('r'));
    let text = render(&w, 80, 24);
    assert!(text.contains("SCREEN-SHARE"));
    assert!(text.contains("•••••"));
    snap("screen_share", &w, 80, 24);
}

#[test]
fn failing_check_shows_code_summary_and_guide_step() {
    let mut w = filled(Platform::Microsoft365, UiOptions::default());
    let i = w
        .guide()
        .unwrap()
        .screens()
        .position(|(_, s)| s.checks.iter().any(|c| c == "m365.token"))
        .or_else(|| {
            w.guide()
                .unwrap()
                .screens()
                .position(|(_, s)| !s.checks.is_empty())
        })
        .unwrap();
    send(&mut w, Msg::GoToScreen(i));
    let checks = w.screen_checks();
    send(&mut w, Msg::RunChecks);
    let run = w.check_run.expect("checks started");
    let reports = checks
        .iter()
        .take(1)
        .map(|id| CheckReport {
            id: *id,
            status: Status::Fail,
            code: "AADSTS50126".into(),
            guide_step: Some(GuideStep::m365(1, 4)),
            summary: "The password was not accepted.".into(),
            detail: String::new(),
            command: None,
            evidence: BTreeMap::new(),
            elapsed_ms: 341,
            finished_at: String::new(),
        })
        .collect();
    send(&mut w, Msg::ChecksFinished { run, reports });
    let text = render(&w, 80, 24);
    assert!(text.contains("AADSTS50126"), "{text}");
    assert!(text.contains("1.4"));
    if checks.len() > 1 {
        assert!(text.contains("not available yet"));
    }
    let _ = CheckId::M365Token;
    snap("m365_failing_check", &w, 80, 24);
}

#[test]
fn the_details_overlay_shows_the_whole_diagnosis_and_the_command() {
    let mut w = filled(Platform::Microsoft365, UiOptions::default());
    let i = w
        .guide()
        .unwrap()
        .screens()
        .position(|(_, s)| s.checks.iter().any(|c| c == "m365.ews"))
        .unwrap();
    send(&mut w, Msg::GoToScreen(i));
    send(&mut w, Msg::RunChecks);
    let run = w.check_run.expect("checks started");
    let reports = vec![CheckReport {
        id: CheckId::M365Ews,
        status: Status::Fail,
        code: "HTTP403".into(),
        guide_step: Some(GuideStep::m365(4, 32)),
        summary: "Exchange Online refused EWS for this app (HTTP 403).".into(),
        detail: "Since 2026-10-01 EWS works only for apps on the tenant's allow list. Run the commands below in Exchange Online PowerShell; the list is replaced, not added to, so keep the IDs already on it.".into(),
        command: Some("Set-OrganizationConfig -EwsEnabled $true\nSet-OrganizationConfig -EwsAllowedAppIDs '9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d'".into()),
        evidence: BTreeMap::from([("trace_id".to_string(), "0a1b2c3d-trace".to_string())]),
        elapsed_ms: 120,
        finished_at: String::new(),
    }];
    send(&mut w, Msg::ChecksFinished { run, reports });
    let panel = render(&w, 80, 24);
    assert!(panel.contains("d: press d"), "{panel}");
    send(&mut w, key(KeyCode::Char('d')));
    assert!(matches!(w.overlay, Overlay::Details(0)));
    let text = render(&w, 80, 24);
    assert!(
        text.contains("'9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d'"),
        "{text}"
    );
    assert!(text.contains("Fix it on step 4.32"), "{text}");
    snap("m365_failing_details", &w, 80, 24);
    // c copies exactly the commands; any other key closes.
    let fx = send(&mut w, key(KeyCode::Char('c')));
    assert!(fx.iter().any(|e| matches!(e, Effect::CopyToClipboard(t) if t.starts_with("Set-OrganizationConfig -EwsEnabled") && t.ends_with("5c6d'"))), "{fx:?}");
    send(&mut w, key(KeyCode::Esc));
    assert!(matches!(w.overlay, Overlay::None));
}

#[test]
fn the_script_overlay_shows_every_command_of_the_step_and_scrolls_within_it() {
    let mut w = filled(Platform::Microsoft365, UiOptions::default());
    let i = w
        .guide()
        .unwrap()
        .screens()
        .position(|(_, s)| s.checks.iter().any(|c| c == "m365.ews"))
        .unwrap();
    send(&mut w, Msg::GoToScreen(i));
    // Leave the fields so letters are commands.
    while matches!(w.focus, moxi_setup::tui::Focus::Field(_)) {
        send(&mut w, key(KeyCode::Tab));
    }
    send(&mut w, key(KeyCode::Char('w')));
    assert!(matches!(w.overlay, Overlay::Script(0)));
    let script = moxi_setup::tui::update::screen_script(&w).unwrap();
    let last = script
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap()
        .trim()
        .to_string();
    for _ in 0..200 {
        send(&mut w, key(KeyCode::PageDown));
    }
    let Overlay::Script(at) = w.overlay else {
        panic!("closed")
    };
    assert!(
        usize::from(at) <= script.lines().count() * 2,
        "scrolled past the end: {at}"
    );
    let text = render(&w, 80, 24);
    assert!(
        text.contains(&last[..last.len().min(30)]),
        "the end is reachable:\n{text}"
    );
    send(&mut w, key(KeyCode::Up));
    let Overlay::Script(up) = w.overlay else {
        panic!("closed")
    };
    assert_eq!(up + 1, at, "one step up moves at once");
}

#[test]
fn no_snapshot_file_contains_the_canary_password() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut seen = 0;
    for e in entries.flatten() {
        let text = std::fs::read_to_string(e.path()).unwrap();
        assert!(
            !text.contains(CANARY),
            "{} contains the password",
            e.path().display()
        );
        seen += 1;
    }
    assert!(seen > 0);
}

#[test]
fn opening_a_bundle_asks_its_passphrase_then_shows_the_review_with_recorded_results() {
    use moxi_setup::bundle::{BundleError, Submission};
    use moxi_setup::tui::{Effect, OpenFailure};
    let (g, _) = guides_for_snapshots();
    let path = std::path::PathBuf::from(
        "/home/office/Desktop/moxiengage-contoso.onmicrosoft.com-2026-03-02.age",
    );
    let opts = UiOptions {
        open: Some(path.clone()),
        ..UiOptions::default()
    };
    let (mut w, _) = Wizard::init(opts.clone(), g.clone(), None);
    type_text(&mut w, "violet tractor");
    snap("open_passphrase", &w, 80, 24);
    // The cursor sits at the end of the masked passphrase.
    let text = render(&w, 80, 24);
    let row = text.lines().position(|l| l.contains("[•")).unwrap();
    let col = text
        .lines()
        .nth(row)
        .unwrap()
        .chars()
        .position(|c| c == '•')
        .unwrap()
        + 14;
    let mut term = terminal(&w, 80, 24);
    let pos = ratatui::backend::Backend::get_cursor_position(term.backend_mut()).unwrap();
    assert_eq!((pos.x as usize, pos.y as usize), (col, row));

    // A damaged file: the reason and the way on, no passphrase field.
    let (mut d, _) = Wizard::init(opts, g, None);
    type_text(&mut d, "violet tractor harbour 93");
    assert!(matches!(
        send(&mut d, key(KeyCode::Enter)).as_slice(),
        [Effect::OpenBundle { .. }]
    ));
    send(
        &mut d,
        Msg::BundleOpened(Err(OpenFailure::CannotOpen(
            BundleError::Damaged.to_string(),
        ))),
    );
    snap("open_damaged", &d, 80, 24);

    // Opened: the review, every recorded result marked as such.
    type_text(&mut w, " harbour 93");
    send(&mut w, key(KeyCode::Enter));
    let source = filled(Platform::Microsoft365, UiOptions::default());
    let mut reports: Vec<CheckReport> = CheckId::M365
        .iter()
        .map(|id| CheckReport {
            id: *id,
            status: Status::Pass,
            code: String::new(),
            guide_step: None,
            summary: String::new(),
            detail: String::new(),
            command: None,
            evidence: BTreeMap::new(),
            elapsed_ms: 120,
            finished_at: "2026-03-02T09:14:58Z".into(),
        })
        .collect();
    reports[2].status = Status::Fail;
    reports[2].code = "AADSTS50126".into();
    reports[2].guide_step = Some(GuideStep::m365(1, 4));
    let mut sub = Submission::new(&source.answers, &reports).unwrap();
    sub.created_at = "2026-03-02T09:15:00Z".into();
    send(&mut w, Msg::BundleOpened(Ok(Box::new(sub))));
    assert_eq!(w.page, Page::Review);
    snap("open_review", &w, 80, 24);

    // Export proposes the bundle's own folder and name.
    send(&mut w, Msg::Next);
    assert_eq!(w.page, Page::Export);
    let text = render(&w, 80, 24);
    assert!(text.contains("/home/office/Desktop"), "{text}");
    assert!(text.contains("moxiengage-contoso.onmicrosoft.com-2026-03-02.age"));
    snap("open_export", &w, 80, 24);
}
