//! Transition tests of the pure `update()`: given a state and a message, the new state AND the
//! effects. No terminal, no async.

mod tui_common;

use crossterm::event::KeyCode;
use moxi_setup::answers::{FieldId, Platform};
use moxi_setup::bundle::draft::Draft;
use moxi_setup::checks::{CheckId, CheckReport, Progress, Status};
use moxi_setup::guide::GuideStep;
use moxi_setup::tui::keymap::{self, Ctx};
use moxi_setup::tui::{
    CheckState, Effect, Focus, Msg, Overlay, Page, StartChoice, UiOptions, Wizard,
};
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;
use tui_common::*;

fn report(id: CheckId, status: Status, code: &str) -> CheckReport {
    CheckReport {
        id,
        status,
        code: code.into(),
        guide_step: Some(GuideStep::m365(4, 30)),
        summary: "The app has no permission to use EWS.".into(),
        detail: String::new(),
        command: None,
        evidence: BTreeMap::new(),
        elapsed_ms: 12,
        finished_at: String::new(),
    }
}

fn saved_drafts(fx: &[Effect]) -> Vec<&Draft> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::SaveDraft(d) => Some(d),
            _ => None,
        })
        .collect()
}

/// A wizard on the M365 app-registration screen with a valid account and password typed.
fn on_app_screen() -> Wizard {
    let mut w = wizard();
    send(&mut w, Msg::Start(StartChoice::Microsoft365));
    type_text(&mut w, "moxiengage@contoso.onmicrosoft.com");
    send(&mut w, key(KeyCode::Tab));
    type_text(&mut w, CANARY);
    send(&mut w, key(KeyCode::Tab)); // → actions
    send(&mut w, key(KeyCode::Enter)); // → next screen
    assert_eq!(w.page, Page::Screen(1));
    w
}

#[test]
fn first_screen_offers_four_choices_and_m365_goes_to_step_one_with_a_draft_save() {
    let mut w = wizard();
    assert_eq!(w.page, Page::Start);
    let fx = send(&mut w, key(KeyCode::Enter));
    assert_eq!(w.page, Page::Screen(0));
    assert_eq!(w.platform, Some(Platform::Microsoft365));
    assert_eq!(w.focus, Focus::Field(0));
    let d = saved_drafts(&fx);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].screen, "t-m365-account");
    assert_eq!(d[0].platform, Some(Platform::Microsoft365));
}

#[test]
fn third_party_and_no_email_are_information_pages_without_a_platform() {
    let mut w = wizard();
    let fx = send(&mut w, key(KeyCode::Char('3')));
    assert_eq!(w.page, Page::ThirdParty);
    assert!(fx.is_empty());
    send(&mut w, key(KeyCode::Esc));
    assert_eq!(w.page, Page::Start);
    send(&mut w, key(KeyCode::Down));
    send(&mut w, key(KeyCode::Down));
    send(&mut w, key(KeyCode::Down));
    send(&mut w, key(KeyCode::Enter));
    assert_eq!(w.page, Page::NoEmail);
    assert_eq!(w.platform, None);
}

#[test]
fn typing_fills_the_answer_and_leaving_an_invalid_field_shows_an_error() {
    let mut w = wizard();
    send(&mut w, Msg::Start(StartChoice::Microsoft365));
    type_text(&mut w, "not-an-address");
    assert_eq!(w.answers.service_account, "not-an-address");
    assert!(w.errors.is_empty(), "no error while still typing");
    let fx = send(&mut w, key(KeyCode::Tab));
    assert!(fx.is_empty());
    assert_eq!(w.focus, Focus::Field(1));
    assert!(w.errors[&FieldId::ServiceAccount].contains('@'));
    // Going back and fixing it clears the error as soon as it is valid.
    send(&mut w, shift_tab());
    assert_eq!(w.focus, Focus::Field(0));
    send(&mut w, ctrl('u'));
    type_text(&mut w, "a@contoso.com");
    assert!(!w.errors.contains_key(&FieldId::ServiceAccount));
}

#[test]
fn the_password_is_a_secret_from_the_first_keystroke_and_never_in_the_draft() {
    let mut w = wizard();
    send(&mut w, Msg::Start(StartChoice::Microsoft365));
    send(&mut w, key(KeyCode::Tab));
    type_text(&mut w, CANARY);
    assert_eq!(
        w.answers.service_password.as_ref().unwrap().expose_secret(),
        CANARY
    );
    assert!(!w.inputs.contains_key(&FieldId::ServicePassword));
    send(&mut w, key(KeyCode::Backspace));
    assert_eq!(
        w.answers.service_password.as_ref().unwrap().expose_secret(),
        &CANARY[..CANARY.len() - 1]
    );
    let fx = send(&mut w, Msg::Quit);
    let d = saved_drafts(&fx);
    assert_eq!(d.len(), 1);
    let json = serde_json::to_string(d[0]).unwrap();
    assert!(!json.contains(&CANARY[..CANARY.len() - 1]));
    assert!(matches!(fx.last(), Some(Effect::Quit)));
    assert!(w.quit);
}

#[test]
fn reveal_shows_while_focused_and_remasks_on_focus_change() {
    let mut w = wizard();
    send(&mut w, Msg::Start(StartChoice::Microsoft365));
    send(&mut w, key(KeyCode::Tab));
    type_text(&mut w, CANARY);
    send(&mut w, ctrl('r'));
    assert!(w.revealed);
    assert!(render(&w, 80, 24).contains(CANARY));
    send(&mut w, shift_tab());
    assert!(!w.revealed);
    assert!(!render(&w, 80, 24).contains(CANARY));
}

#[test]
fn screen_share_disables_reveal() {
    let mut w = wizard_with(UiOptions {
        screen_share: true,
        ..UiOptions::default()
    });
    send(&mut w, Msg::Start(StartChoice::Microsoft365));
    send(&mut w, key(KeyCode::Tab));
    type_text(&mut w, CANARY);
    send(&mut w, ctrl('r'));
    assert!(!w.revealed);
    // Ctrl+R is not even offered, so 'r' was not typed into the password either.
    assert_eq!(
        w.answers.service_password.as_ref().unwrap().expose_secret(),
        CANARY
    );
    assert!(!render(&w, 80, 24).contains(CANARY));
}

#[test]
fn a_pasted_guid_is_trimmed() {
    let mut w = on_app_screen();
    send(&mut w, key(KeyCode::Tab)); // tenant → client id
    send(
        &mut w,
        Msg::Paste("  \u{200B}9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d \r\n".into()),
    );
    assert_eq!(w.answers.client_id, "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d");
}

#[test]
fn leaving_the_last_field_runs_the_screens_checks() {
    let mut w = on_app_screen();
    type_text(&mut w, "contoso.onmicrosoft.com");
    send(&mut w, key(KeyCode::Tab));
    type_text(&mut w, "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d");
    let fx = send(&mut w, key(KeyCode::Tab));
    assert_eq!(w.focus, Focus::Actions);
    let run = match fx.as_slice() {
        [
            Effect::RunChecks {
                run,
                checks,
                answers,
            },
        ] => {
            assert_eq!(checks, &vec![CheckId::M365Tenant, CheckId::M365Token]);
            assert_eq!(answers.tenant, "contoso.onmicrosoft.com");
            assert!(answers.service_password.is_some());
            *run
        }
        other => panic!("expected one RunChecks, got {other:?}"),
    };
    assert_eq!(w.check_run, Some(run));
    assert_eq!(w.check_state(CheckId::M365Tenant), &CheckState::Running);
    assert!(w.needs_tick());

    // Progress from an older run is ignored.
    send(
        &mut w,
        Msg::CheckProgress {
            run: run + 100,
            progress: Progress::Finished(report(CheckId::M365Tenant, Status::Pass, "")),
        },
    );
    assert_eq!(w.check_state(CheckId::M365Tenant), &CheckState::Running);

    // The engine reports only one check: the other is "not available", never a pass.
    let fx = send(
        &mut w,
        Msg::ChecksFinished {
            run,
            reports: vec![report(CheckId::M365Tenant, Status::Fail, "AADSTS90002")],
        },
    );
    assert!(matches!(
        w.check_state(CheckId::M365Tenant),
        CheckState::Done(r) if r.status == Status::Fail
    ));
    assert_eq!(w.check_state(CheckId::M365Token), &CheckState::NotAvailable);
    assert!(!w.needs_tick());
    assert_eq!(w.check_run, None);
    let d = saved_drafts(&fx);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].checks.len(), 1);
}

#[test]
fn checks_wait_for_the_fields_they_need() {
    let mut w = wizard();
    send(&mut w, Msg::Start(StartChoice::Microsoft365));
    send(&mut w, Msg::GoToScreen(1));
    let fx = send(&mut w, Msg::RunChecks);
    assert!(fx.is_empty());
    assert!(w.checks_blocked.contains(&FieldId::ServicePassword));
    assert_eq!(w.check_state(CheckId::M365Tenant), &CheckState::NotRun);
}

#[test]
fn leaving_a_screen_cancels_its_running_checks() {
    let mut w = on_app_screen();
    type_text(&mut w, "contoso.onmicrosoft.com");
    send(&mut w, key(KeyCode::Tab));
    type_text(&mut w, "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d");
    send(&mut w, key(KeyCode::Tab));
    let run = w.check_run.unwrap();
    let fx = send(&mut w, key(KeyCode::Esc));
    assert_eq!(w.page, Page::Screen(0));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::CancelChecks { run: r } if *r == run))
    );
    assert_eq!(w.check_state(CheckId::M365Tenant), &CheckState::NotRun);
    // A late result of the cancelled run changes nothing.
    send(
        &mut w,
        Msg::ChecksFinished {
            run,
            reports: vec![report(CheckId::M365Tenant, Status::Pass, "")],
        },
    );
    assert_eq!(w.check_state(CheckId::M365Tenant), &CheckState::NotRun);
}

#[test]
fn going_back_and_forward_never_loses_typed_values() {
    let mut w = on_app_screen();
    type_text(&mut w, "contoso.onmicrosoft.com");
    send(&mut w, key(KeyCode::Esc));
    send(&mut w, key(KeyCode::Esc));
    assert_eq!(w.page, Page::Start);
    send(&mut w, key(KeyCode::Enter));
    assert_eq!(
        w.answers.service_account,
        "moxiengage@contoso.onmicrosoft.com"
    );
    assert_eq!(
        w.field_text(FieldId::ServiceAccount),
        w.answers.service_account
    );
    send(&mut w, Msg::Next);
    assert_eq!(w.field_text(FieldId::Tenant), "contoso.onmicrosoft.com");
    assert!(w.answers.service_password.is_some());
}

#[test]
fn a_screen_without_fields_starts_its_checks_on_arrival_and_offers_copy_and_save() {
    let mut w = on_app_screen();
    type_text(&mut w, "contoso.onmicrosoft.com");
    send(&mut w, key(KeyCode::Tab));
    type_text(&mut w, "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d");
    send(&mut w, key(KeyCode::Tab));
    let fx = send(&mut w, key(KeyCode::Enter));
    assert_eq!(w.page, Page::Screen(2));
    assert_eq!(w.focus, Focus::Actions);
    assert!(fx.iter().any(|e| matches!(e, Effect::CancelChecks { .. })));
    assert!(fx.iter().any(
        |e| matches!(e, Effect::RunChecks { checks, .. } if checks == &vec![CheckId::M365Ews])
    ));
    let ctx = Ctx::of(&w);
    assert!(ctx.has_scripts);
    // The test script does not exist in the embedded templates: nothing is copied or saved.
    assert!(send(&mut w, key(KeyCode::Char('c'))).is_empty());
}

#[test]
fn go_to_step_accepts_a_guide_number() {
    let mut w = wizard();
    send(&mut w, Msg::Start(StartChoice::Microsoft365));
    send(&mut w, ctrl('g'));
    assert!(matches!(w.overlay, Overlay::GoTo(_)));
    type_text(&mut w, "4.30");
    let fx = send(&mut w, key(KeyCode::Enter));
    assert!(matches!(w.overlay, Overlay::None));
    assert_eq!(w.page, Page::Screen(2));
    assert_eq!(saved_drafts(&fx)[0].screen, "t-m365-perms");
    send(&mut w, Msg::GoToStep("m365/1.2".into()));
    assert_eq!(w.page, Page::Screen(0));
    send(&mut w, Msg::GoToStep("9.99".into()));
    assert_eq!(w.page, Page::Screen(0));
    assert!(w.status.is_some());
}

#[test]
fn review_lists_everything_and_jumps_to_the_screen_of_a_field() {
    let mut w = on_app_screen();
    send(&mut w, Msg::OpenReview);
    assert_eq!(w.page, Page::Review);
    // rows: service_account, service_password, tenant, client_id, test_user, 4 checks, export
    for _ in 0..3 {
        send(&mut w, key(KeyCode::Down));
    }
    send(&mut w, key(KeyCode::Enter));
    assert_eq!(w.page, Page::Screen(1));
    assert_eq!(w.focused_field(), Some(FieldId::ClientId));
    send(&mut w, Msg::OpenReview);
    for _ in 0..20 {
        send(&mut w, key(KeyCode::Down));
    }
    send(&mut w, key(KeyCode::Enter));
    assert_eq!(w.page, Page::Export);
    send(&mut w, key(KeyCode::Esc));
    assert_eq!(w.page, Page::Review);
}

#[test]
fn last_screen_forward_goes_to_review() {
    let mut w = wizard();
    send(&mut w, Msg::Start(StartChoice::Microsoft365));
    send(&mut w, Msg::GoToScreen(3));
    send(&mut w, Msg::Next);
    assert_eq!(w.page, Page::Review);
}

#[test]
fn a_found_draft_is_offered_and_continues_where_it_left_off() {
    let mut w = on_app_screen();
    type_text(&mut w, "contoso.onmicrosoft.com");
    let d = w.draft();
    assert_eq!(d.screen, "t-m365-app");

    let (mut again, fx) = Wizard::init(UiOptions::default(), test_guides(), Some(d.clone()));
    assert!(fx.is_empty());
    assert_eq!(again.page, Page::Resume);
    send(&mut again, key(KeyCode::Char('y')));
    assert_eq!(again.page, Page::Screen(1));
    assert_eq!(again.answers.tenant, "contoso.onmicrosoft.com");
    assert_eq!(
        again.answers.service_account,
        "moxiengage@contoso.onmicrosoft.com"
    );
    assert!(again.answers.service_password.is_none());

    let (fresh, _) = Wizard::init(UiOptions::default(), test_guides(), Some(d.clone()));
    let mut fresh = fresh;
    send(&mut fresh, key(KeyCode::Char('n')));
    assert_eq!(fresh.page, Page::Start);
    assert!(fresh.answers.tenant.is_empty());

    let (direct, _) = Wizard::init(
        UiOptions {
            resume: true,
            ..UiOptions::default()
        },
        test_guides(),
        Some(d),
    );
    assert_eq!(direct.page, Page::Screen(1));
}

#[test]
fn demo_without_a_scenario_asks_for_one() {
    let (mut w, fx) = Wizard::init(
        UiOptions {
            demo: Some(String::new()),
            ..UiOptions::default()
        },
        test_guides(),
        None,
    );
    assert!(fx.is_empty());
    assert_eq!(w.page, Page::DemoPicker);
    assert!(w.demo_scenarios.len() > 10, "the sim catalogue is offered");
    send(&mut w, key(KeyCode::Down));
    let second = w.demo_scenarios[1].name.clone();
    let fx = send(&mut w, key(KeyCode::Enter));
    assert!(matches!(fx.as_slice(), [Effect::StartDemo(s)] if *s == second));
    assert_eq!(w.page, Page::Start);
    // Once the simulator runs, its values are offered (never a password).
    send(&mut w, Msg::DemoStarted(Ok(second.clone())));
    assert_eq!(w.demo_scenario.as_deref(), Some(second.as_str()));
    assert!(!w.answers.service_account.is_empty());
    assert!(w.answers.service_password.is_none());

    let (_, fx) = Wizard::init(
        UiOptions {
            demo: Some("ex2016-ready".into()),
            ..UiOptions::default()
        },
        test_guides(),
        None,
    );
    assert!(matches!(fx.as_slice(), [Effect::StartDemo(s)] if s == "ex2016-ready"));
}

#[test]
fn letters_are_typed_in_fields_and_are_commands_elsewhere() {
    let mut w = on_app_screen();
    type_text(&mut w, "qcsgv");
    assert_eq!(w.answers.tenant, "qcsgv");
    assert!(!w.quit);
    let mut w = wizard();
    send(&mut w, Msg::Start(StartChoice::Microsoft365));
    send(&mut w, Msg::GoToScreen(2));
    send(&mut w, key(KeyCode::Char('?')));
    assert!(matches!(w.overlay, Overlay::Help));
    send(&mut w, key(KeyCode::Char('x')));
    assert!(matches!(w.overlay, Overlay::None));
    let fx = send(&mut w, key(KeyCode::Char('q')));
    assert!(w.quit);
    assert!(matches!(fx.last(), Some(Effect::Quit)));
}

#[test]
fn plain_mode_messages_set_and_validate_fields() {
    let mut w = wizard();
    send(&mut w, Msg::Start(StartChoice::ExchangeServer));
    send(&mut w, Msg::SetText(FieldId::ServiceAccount, "bad".into()));
    assert!(w.errors.contains_key(&FieldId::ServiceAccount));
    send(
        &mut w,
        Msg::SetText(FieldId::ServiceAccount, "moxiengage@contoso.example".into()),
    );
    assert!(w.errors.is_empty());
    send(
        &mut w,
        Msg::SetSecret(FieldId::ServicePassword, SecretString::from(" x")),
    );
    assert!(w.errors.contains_key(&FieldId::ServicePassword));
    send(&mut w, Msg::SetFlag(FieldId::IgnoreTlsTrust, true));
    assert!(w.answers.ignore_tls_trust);
}

#[test]
fn yes_no_field_toggles_with_space() {
    let mut w = wizard();
    send(&mut w, Msg::Start(StartChoice::ExchangeServer));
    send(&mut w, Msg::Next);
    send(&mut w, key(KeyCode::Tab));
    send(&mut w, key(KeyCode::Tab));
    assert_eq!(w.focused_field(), Some(FieldId::IgnoreTlsTrust));
    send(&mut w, key(KeyCode::Char(' ')));
    assert!(w.answers.ignore_tls_trust);
}

#[test]
fn footer_keeps_help_and_drops_by_priority() {
    let mut w = wizard();
    send(&mut w, Msg::Start(StartChoice::Microsoft365));
    send(&mut w, Msg::GoToScreen(2));
    let ctx = Ctx::of(&w);
    let wide: Vec<_> = keymap::footer(&ctx, 400);
    let at80: Vec<_> = keymap::footer(&ctx, 80);
    let tiny: Vec<_> = keymap::footer(&ctx, 5);
    assert!(wide.len() > at80.len());
    assert!(at80.iter().any(|(k, _)| *k == "?"));
    assert_eq!(tiny, vec![("?", "help")]);
    let width: usize = at80
        .iter()
        .map(|(k, s)| k.chars().count() + 1 + s.chars().count())
        .sum::<usize>()
        + 3 * (at80.len() - 1);
    assert!(width <= 80, "footer is {width} wide");
    // Every footer entry is a binding the help overlay also lists.
    let help: Vec<_> = keymap::active(&ctx).iter().map(|b| b.label).collect();
    assert!(wide.iter().all(|(k, _)| help.contains(k)));
}

#[test]
fn export_asks_for_a_passphrase_twice_and_then_writes_the_bundle() {
    let mut w = on_app_screen();
    send(&mut w, Msg::OpenReview);
    send(&mut w, Msg::Next);
    assert_eq!(w.page, Page::Export);
    // Letters are typed into the passphrase, not taken as commands.
    type_text(&mut w, "short");
    assert!(!w.quit);
    let fx = send(&mut w, key(KeyCode::Enter));
    assert!(fx.is_empty());
    assert_eq!(w.export.focus, 1);
    send(&mut w, key(KeyCode::Enter));
    assert!(w.export.error.is_some(), "a short passphrase is refused");
    assert_eq!(w.export.focus, 0);
    send(&mut w, ctrl('u'));
    type_text(&mut w, "correct horse battery staple 42");
    send(&mut w, key(KeyCode::Enter));
    type_text(&mut w, "correct horse battery staple 43");
    let fx = send(&mut w, key(KeyCode::Enter));
    assert!(fx.is_empty());
    assert!(
        w.export.error.is_some(),
        "a different confirmation is refused"
    );
    type_text(&mut w, "correct horse battery staple 42");
    let fx = send(&mut w, key(KeyCode::Enter));
    match fx.as_slice() {
        [
            Effect::ExportBundle {
                answers,
                passphrase,
                ..
            },
        ] => {
            assert_eq!(
                passphrase.expose_secret(),
                "correct horse battery staple 42"
            );
            assert_eq!(
                answers.service_account,
                "moxiengage@contoso.onmicrosoft.com"
            );
        }
        other => panic!("expected ExportBundle, got {other:?}"),
    }
    assert!(w.export.busy);
    assert!(!render(&w, 80, 24).contains("battery"));
    send(
        &mut w,
        Msg::Exported(Ok(std::path::PathBuf::from("/x/moxiengage.age"))),
    );
    assert!(!w.export.busy);
    assert!(w.export.passphrase.is_none());
    assert!(render(&w, 80, 24).contains("/x/moxiengage.age"));
}
