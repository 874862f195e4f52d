//! Transition tests of the pure `update()`: given a state and a message, the new state AND the
//! effects. No terminal, no async.

mod tui_common;

use crossterm::event::KeyCode;
use moxi_setup::answers::{FieldId, Platform};
use moxi_setup::bundle::Overwrite;
use moxi_setup::bundle::draft::Draft;
use moxi_setup::checks::{CheckId, CheckReport, Progress, Status};
use moxi_setup::guide::GuideStep;
use moxi_setup::secrets::{MemoryStore, SecretStore, password_key};
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
    assert!(
        fx.is_empty(),
        "Enter on the confirmation moves to the folder"
    );
    assert_eq!(w.export.focus, 2);
    let fx = send(&mut w, key(KeyCode::Enter));
    match fx.as_slice() {
        [
            Effect::ExportBundle {
                answers,
                passphrase,
                overwrite,
                ..
            },
        ] => {
            assert_eq!(
                *overwrite,
                Overwrite::Refuse,
                "never replaces without asking"
            );
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

/// On the export page with a good passphrase typed twice; focus on the folder field.
fn export_ready() -> Wizard {
    let mut w = on_app_screen();
    send(&mut w, Msg::OpenReview);
    send(&mut w, Msg::Next);
    assert_eq!(w.page, Page::Export);
    w.export.folder = tui_input::Input::new("/data/moxi".into());
    type_text(&mut w, "correct horse battery staple 42");
    send(&mut w, key(KeyCode::Enter));
    type_text(&mut w, "correct horse battery staple 42");
    send(&mut w, key(KeyCode::Enter));
    assert_eq!(w.export.focus, 2);
    w
}

fn export_effect(fx: &[Effect]) -> (std::path::PathBuf, Overwrite) {
    match fx {
        [
            Effect::ExportBundle {
                folder, overwrite, ..
            },
        ] => (folder.clone(), *overwrite),
        other => panic!("expected one ExportBundle, got {other:?}"),
    }
}

#[test]
fn export_folder_is_shown_and_editable_and_goes_into_the_effect() {
    let mut w = export_ready();
    let screen = render(&w, 100, 40);
    assert!(screen.contains("/data/moxi"), "{screen}");
    assert!(
        screen.contains("moxiengage-contoso.onmicrosoft.com-"),
        "the page names the file: {screen}"
    );
    // Letters typed here go into the folder, not the passphrase, and are not commands.
    send(&mut w, ctrl('u'));
    type_text(&mut w, "/tmp/q");
    send(&mut w, Msg::Paste("/out\n".into()));
    assert!(!w.quit);
    assert_eq!(w.export.folder.value(), "/tmp/q/out");
    let (folder, ow) = export_effect(&send(&mut w, key(KeyCode::Enter)));
    assert_eq!(folder, std::path::PathBuf::from("/tmp/q/out"));
    assert_eq!(ow, Overwrite::Refuse);
}

#[test]
fn an_existing_bundle_is_replaced_only_after_an_explicit_yes() {
    let mut w = export_ready();
    send(&mut w, key(KeyCode::Enter));
    let existing =
        std::path::PathBuf::from("/data/moxi/moxiengage-contoso.onmicrosoft.com-2026-12-01.age");
    let fx = send(&mut w, Msg::ExportExists(existing.clone()));
    assert!(fx.is_empty());
    assert!(!w.export.busy);
    assert_eq!(w.export.exists.as_ref(), Some(&existing));
    let screen = render(&w, 100, 40);
    assert!(screen.contains("Replace it?"), "{screen}");
    // The footer offers the two answers from the keymap table.
    let labels: Vec<_> = keymap::active(&Ctx::of(&w))
        .iter()
        .map(|b| b.label)
        .collect();
    assert!(labels.contains(&"y") && labels.contains(&"n"), "{labels:?}");
    // Enter is not an answer; typing does not leak into a field.
    assert!(send(&mut w, key(KeyCode::Enter)).is_empty());
    assert!(send(&mut w, key(KeyCode::Char('x'))).is_empty());
    assert!(w.export.exists.is_some());
    // "no": nothing is written, the old file is kept, the folder field has the keyboard.
    let fx = send(&mut w, key(KeyCode::Char('n')));
    assert!(fx.is_empty());
    assert!(w.export.exists.is_none());
    assert_eq!(w.export.focus, 2);
    assert!(w.export.error.as_deref().unwrap_or("").contains("kept"));
    // Export again, then "yes": written with Replace.
    let (_, ow) = export_effect(&send(&mut w, key(KeyCode::Enter)));
    assert_eq!(ow, Overwrite::Refuse);
    send(&mut w, Msg::ExportExists(existing.clone()));
    let (_, ow) = export_effect(&send(&mut w, key(KeyCode::Char('y'))));
    assert_eq!(ow, Overwrite::Replace);
    assert!(w.export.busy);
    send(&mut w, Msg::Exported(Ok(existing.clone())));
    assert!(render(&w, 140, 40).contains(&existing.display().to_string()));
    // A stray "yes" later writes nothing.
    assert!(send(&mut w, Msg::ReplaceBundle(true)).is_empty());
}

#[test]
fn export_page_lists_the_contents_masked_and_warns_about_checks_not_run_or_failed() {
    let mut w = export_ready();
    let screen = render(&w, 120, 50);
    assert!(
        screen.contains("moxiengage@contoso.onmicrosoft.com"),
        "{screen}"
    );
    assert!(!screen.contains(CANARY), "the password is masked: {screen}");
    assert!(screen.contains("were not run"), "{screen}");
    assert!(!screen.contains("failed"), "{screen}");
    // A failed check is named too; exporting is still allowed.
    let run = w.next_run;
    w.check_run = Some(run);
    send(
        &mut w,
        Msg::ChecksFinished {
            run,
            reports: vec![report(CheckId::M365Token, Status::Fail, "AADSTS50126")],
        },
    );
    assert!(render(&w, 120, 50).contains("1 check(s) failed"));
    let fx = send(&mut w, key(KeyCode::Enter));
    match fx.as_slice() {
        [Effect::ExportBundle { reports, .. }] => {
            assert_eq!(reports.len(), 1, "the bundle records the failed report");
            assert_eq!(reports[0].status, Status::Fail);
        }
        other => panic!("expected ExportBundle, got {other:?}"),
    }
}

#[test]
fn review_saves_a_support_report_without_the_password() {
    let mut w = on_app_screen();
    send(&mut w, Msg::OpenReview);
    assert_eq!(w.page, Page::Review);
    let labels: Vec<_> = keymap::active(&Ctx::of(&w))
        .iter()
        .map(|b| b.label)
        .collect();
    assert!(labels.contains(&"p"), "{labels:?}");
    let fx = send(&mut w, key(KeyCode::Char('p')));
    let text = match fx.as_slice() {
        [Effect::SaveReport { file_name, text }] => {
            assert!(file_name.ends_with(".txt"));
            text.clone()
        }
        other => panic!("expected SaveReport, got {other:?}"),
    };
    assert!(text.contains("moxiengage@contoso.onmicrosoft.com"));
    assert!(!text.contains(CANARY), "canary leaked into the report");
    // Elsewhere the key does nothing.
    send(&mut w, Msg::Next);
    assert_eq!(w.page, Page::Export);
    assert!(send(&mut w, Msg::SaveReport).is_empty());
    send(
        &mut w,
        Msg::ReportSaved(Ok("/data/moxi/moxiengage-support-report.txt".into())),
    );
    assert!(
        w.status
            .as_deref()
            .unwrap_or("")
            .contains("/data/moxi/moxiengage-support-report.txt")
    );
}

#[test]
fn runtime_writes_the_report_and_the_bundle_with_the_dated_domain_name() {
    use moxi_setup::tui::export;
    let dir = tempfile::tempdir().unwrap();
    let mut w = on_app_screen();
    send(&mut w, Msg::OpenReview);
    let fx = send(&mut w, Msg::SaveReport);
    let [Effect::SaveReport { file_name, text }] = fx.as_slice() else {
        panic!("expected SaveReport, got {fx:?}");
    };
    let Msg::ReportSaved(Ok(p)) = export::write_report(dir.path(), file_name, text) else {
        panic!("report not written");
    };
    let on_disk = std::fs::read_to_string(&p).unwrap();
    assert!(!on_disk.contains(CANARY));

    let pass = SecretString::from("correct horse battery staple 42");
    let write = |ow| export::write_bundle(dir.path(), &w.answers, &[], &pass, ow);
    let today = time::OffsetDateTime::now_utc().date();
    let name = moxi_setup::bundle::default_file_name("contoso.onmicrosoft.com", today);
    let Msg::Exported(Ok(p)) = write(Overwrite::Refuse) else {
        panic!("bundle not written");
    };
    assert_eq!(p, dir.path().join(&name));
    let first = std::fs::read(&p).unwrap();
    assert!(!String::from_utf8_lossy(&first).contains(CANARY));
    match write(Overwrite::Refuse) {
        Msg::ExportExists(e) => assert_eq!(e, p),
        other => panic!("expected ExportExists, got {other:?}"),
    }
    assert_eq!(
        std::fs::read(&p).unwrap(),
        first,
        "refused: the file is untouched"
    );
    let Msg::Exported(Ok(_)) = write(Overwrite::Replace) else {
        panic!("replace failed");
    };
    assert_ne!(std::fs::read(&p).unwrap(), first);
}

fn with_keychain(w: &mut Wizard) {
    let fx = send(
        w,
        Msg::KeychainReady {
            store: Some("memory (not kept)".into()),
            notice: None,
        },
    );
    assert!(fx.is_empty(), "nothing to load before a platform: {fx:?}");
}

/// Runs a keychain effect against a store the way the runtime does.
fn run_keychain(store: &dyn SecretStore, fx: &[Effect]) -> Vec<Msg> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::StorePassword { key, secret } => Some(Msg::PasswordRemembered(
                store.set(key, secret).map_err(|e| e.to_string()),
            )),
            Effect::LoadPassword { key } => Some(Msg::PasswordLoaded(store.get(key).unwrap())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_typed_password_is_remembered_after_yes_and_loaded_on_resume() {
    let store = MemoryStore::new();
    let mut w = wizard();
    with_keychain(&mut w);
    send(&mut w, Msg::Start(StartChoice::Microsoft365));
    type_text(&mut w, "moxiengage@contoso.onmicrosoft.com");
    send(&mut w, key(KeyCode::Tab));
    type_text(&mut w, CANARY);
    // Typing does not ask; leaving the field does, once.
    assert!(!w.keychain.asking);
    let fx = send(&mut w, key(KeyCode::Tab));
    assert!(w.keychain.asking);
    assert!(!fx.iter().any(|e| matches!(e, Effect::StorePassword { .. })));
    assert!(render(&w, 100, 30).contains("(y/n)"));
    assert!(!render(&w, 100, 30).contains(CANARY));
    let labels: Vec<_> = keymap::active(&Ctx::of(&w))
        .iter()
        .map(|b| b.label)
        .collect();
    assert!(labels.contains(&"y"), "{labels:?}");
    let fx = send(&mut w, key(KeyCode::Char('y')));
    assert!(!w.keychain.asking);
    match fx.as_slice() {
        [Effect::StorePassword { key, secret }] => {
            assert_eq!(key, &password_key("moxiengage@contoso.onmicrosoft.com"));
            assert_eq!(secret.expose_secret(), CANARY);
        }
        other => panic!("expected StorePassword, got {other:?}"),
    }
    for m in run_keychain(&store, &fx) {
        send(&mut w, m);
    }
    assert!(w.status.as_deref().unwrap_or("").contains("remembered"));
    // Asked once per sitting.
    send(&mut w, shift_tab());
    send(&mut w, key(KeyCode::Tab));
    assert!(!w.keychain.asking);
    let d = w.draft();

    // Next sitting: resume, the runtime loads it from the store.
    let (mut again, _) = Wizard::init(UiOptions::default(), test_guides(), Some(d));
    with_keychain(&mut again);
    let fx = send(&mut again, key(KeyCode::Char('y')));
    assert!(again.answers.service_password.is_none());
    let msgs = run_keychain(&store, &fx);
    assert_eq!(msgs.len(), 1, "one load: {fx:?}");
    for m in msgs {
        send(&mut again, m);
    }
    assert_eq!(
        again
            .answers
            .service_password
            .as_ref()
            .map(|p| p.expose_secret()),
        Some(CANARY)
    );
}

#[test]
fn no_means_not_remembered_and_no_keychain_is_said_once_and_never_asked() {
    let mut w = wizard();
    with_keychain(&mut w);
    send(&mut w, Msg::Start(StartChoice::Microsoft365));
    type_text(&mut w, "moxiengage@contoso.onmicrosoft.com");
    send(&mut w, key(KeyCode::Tab));
    type_text(&mut w, CANARY);
    send(&mut w, key(KeyCode::Tab));
    let fx = send(&mut w, key(KeyCode::Char('n')));
    assert!(fx.is_empty());
    assert!(!w.keychain.asking && w.keychain.answered);

    let mut w = wizard();
    send(
        &mut w,
        Msg::KeychainReady {
            store: None,
            notice: Some("No password vault here.".into()),
        },
    );
    assert_eq!(w.status.as_deref(), Some("No password vault here."));
    send(&mut w, Msg::Start(StartChoice::Microsoft365));
    type_text(&mut w, "moxiengage@contoso.onmicrosoft.com");
    send(&mut w, key(KeyCode::Tab));
    type_text(&mut w, CANARY);
    let fx = send(&mut w, key(KeyCode::Tab));
    assert!(!w.keychain.asking);
    assert!(!fx.iter().any(|e| matches!(
        e,
        Effect::StorePassword { .. } | Effect::LoadPassword { .. }
    )));
}

// --- Opening a saved bundle (`--open FILE.age`) ---

const BUNDLE_PASS: &str = "violet tractor harbour 93";

/// A Microsoft 365 bundle as the wizard would have written it (low work factor: fast), with a
/// passed tenant check, a failed sign-in and an EWS result on a later screen.
fn bundle_file(dir: &std::path::Path) -> (std::path::PathBuf, moxi_setup::bundle::Submission) {
    use moxi_setup::answers::Answers;
    use moxi_setup::bundle::{Submission, TEST_WORK_FACTOR, write_bundle};
    let answers = Answers {
        platform: Some(Platform::Microsoft365),
        service_account: "moxiengage@contoso.onmicrosoft.com".into(),
        service_password: Some(SecretString::from(CANARY)),
        test_user: "agent@contoso.onmicrosoft.com".into(),
        tenant: "3f2b8a4c-9d1e-4c7a-b5e6-0a1b2c3d4e5f".into(),
        client_id: "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d".into(),
        ..Answers::default()
    };
    let reports = vec![
        report(CheckId::M365Tenant, Status::Pass, ""),
        report(CheckId::M365Token, Status::Fail, "AADSTS50126"),
        report(CheckId::M365Ews, Status::Pass, ""),
    ];
    let sub = Submission::new(&answers, &reports).unwrap();
    let path = dir.join("moxiengage-contoso.onmicrosoft.com-2026-03-02.age");
    write_bundle(
        &path,
        &sub,
        &SecretString::from(BUNDLE_PASS),
        TEST_WORK_FACTOR,
        Overwrite::Refuse,
    )
    .unwrap();
    (path, sub)
}

fn opening(path: &std::path::Path, opts: UiOptions) -> Wizard {
    let (w, fx) = Wizard::init(
        UiOptions {
            open: Some(path.to_path_buf()),
            ..opts
        },
        test_guides(),
        None,
    );
    assert!(fx.is_empty());
    w
}

/// Enter on the passphrase page: the one decrypt effect, run as the runtime runs it.
fn enter_and_decrypt(w: &mut Wizard) -> Msg {
    let fx = send(w, key(KeyCode::Enter));
    let (path, pass) = match fx.as_slice() {
        [Effect::OpenBundle { path, passphrase }] => (path.clone(), passphrase.clone()),
        other => panic!("expected one OpenBundle, got {other:?}"),
    };
    assert!(w.opening.as_ref().unwrap().busy);
    assert!(w.needs_tick(), "the spinner turns while it decrypts");
    moxi_setup::tui::open::read(&path, &pass)
}

#[test]
fn open_asks_again_after_a_wrong_passphrase_then_lands_on_the_review_with_everything_loaded() {
    use moxi_setup::tui::OpenFailure;
    let dir = tempfile::tempdir().unwrap();
    let (path, sub) = bundle_file(dir.path());
    let mut w = opening(&path, UiOptions::default());
    assert_eq!(w.page, Page::OpenBundle);
    assert_eq!(w.platform, None);
    let screen = render(&w, 100, 24);
    assert!(screen.contains("moxiengage-contoso.onmicrosoft.com-2026-03-02.age"));
    let ctx = Ctx::of(&w);
    assert!(!keymap::footer(&ctx, 80).iter().any(|(l, _)| *l == "Esc"));

    // A wrong passphrase: masked while typed, refused, the field emptied, asked again.
    type_text(&mut w, "not the right passphrase");
    let screen = render(&w, 80, 24);
    assert!(!screen.contains("not the right"), "{screen}");
    assert!(screen.contains(&"•".repeat(24)), "{screen}");
    let m = enter_and_decrypt(&mut w);
    type_text(&mut w, "zz");
    assert_eq!(
        w.opening
            .as_ref()
            .unwrap()
            .passphrase
            .as_ref()
            .unwrap()
            .expose_secret(),
        "not the right passphrase",
        "nothing is typed while it decrypts"
    );
    assert!(
        matches!(&m, Msg::BundleOpened(Err(OpenFailure::AskAgain(_)))),
        "{m:?}"
    );
    let fx = send(&mut w, m);
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(w.page, Page::OpenBundle);
    let o = w.opening.as_ref().unwrap();
    assert!(o.passphrase.is_none() && !o.busy && !o.failed());
    assert_eq!(w.platform, None);
    assert!(render(&w, 80, 24).contains("does not open this bundle"));

    // Enter on an empty field asks for the passphrase, without trying anything.
    let fx = send(&mut w, key(KeyCode::Enter));
    assert!(fx.is_empty());
    assert!(render(&w, 80, 24).contains(&moxi_setup::tui::texts::texts().open.empty));

    // The right one: everything from the bundle, and the review.
    type_text(&mut w, BUNDLE_PASS);
    let m = enter_and_decrypt(&mut w);
    let fx = send(&mut w, m);
    assert_eq!(w.page, Page::Review);
    assert_eq!(w.platform, Some(Platform::Microsoft365));
    assert!(w.opening.is_none());
    let a = &w.answers;
    assert_eq!(a.service_account, "moxiengage@contoso.onmicrosoft.com");
    assert_eq!(a.test_user, "agent@contoso.onmicrosoft.com");
    assert_eq!(a.tenant, "3f2b8a4c-9d1e-4c7a-b5e6-0a1b2c3d4e5f");
    assert_eq!(a.client_id, "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d");
    assert_eq!(
        a.service_password.as_ref().map(|p| p.expose_secret()),
        Some(CANARY)
    );
    assert!(matches!(
        w.check_state(CheckId::M365Tenant),
        CheckState::Recorded(r) if r.status == Status::Pass
    ));
    assert!(matches!(
        w.check_state(CheckId::M365Token),
        CheckState::Recorded(r) if r.code == "AADSTS50126"
    ));
    let opened = w.opened.clone().unwrap();
    assert_eq!(opened.path, path);
    assert_eq!(opened.created_at, sub.created_at);
    // Exporting again proposes the same folder.
    assert_eq!(w.export.folder.value(), dir.path().display().to_string());

    // The draft saved on the way never holds the password, nor results it cannot mark.
    let drafts = saved_drafts(&fx);
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].screen, "review");
    let json = serde_json::to_string(drafts[0]).unwrap();
    assert!(json.contains("moxiengage@contoso.onmicrosoft.com"));
    assert!(!json.contains(CANARY), "the password is in the draft");
    assert!(drafts[0].checks.is_empty());
    let fx = send(&mut w, Msg::Quit);
    let json = serde_json::to_string(saved_drafts(&fx)[0]).unwrap();
    assert!(!json.contains(CANARY));

    // The review shows the recorded results as such, and the password masked.
    let screen = render(&w, 80, 24);
    assert!(!screen.contains(CANARY));
    assert!(screen.contains("(typed, hidden)"), "{screen}");
    assert!(screen.contains(&opened.date()), "{screen}");
    let marked = screen
        .lines()
        .filter(|l| l.contains("· from the bundle"))
        .count();
    assert_eq!(marked, 3, "{screen}");
    assert!(w.status.as_deref().unwrap_or("").contains(&opened.date()));
}

#[test]
fn recorded_results_stay_marked_until_their_checks_run_again_and_export_proposes_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = bundle_file(dir.path());
    let mut w = opening(&path, UiOptions::default());
    type_text(&mut w, BUNDLE_PASS);
    let m = enter_and_decrypt(&mut w);
    send(&mut w, m);
    let date = w.opened.as_ref().unwrap().date();

    // Enter on the failed sign-in row: to its screen, where it is still the recorded result.
    let rows = moxi_setup::tui::update::review_items(&w);
    let row = rows
        .iter()
        .position(|r| *r == moxi_setup::tui::update::ReviewItem::Check(CheckId::M365Token))
        .unwrap();
    for _ in 0..row {
        send(&mut w, key(KeyCode::Down));
    }
    let fx = send(&mut w, key(KeyCode::Enter));
    assert_eq!(w.page, Page::Screen(1));
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::RunChecks { .. })),
        "nothing runs by itself"
    );
    let screen = render(&w, 80, 24);
    // Both results of the screen, each "from the bundle (date)" (wrapped in the panel).
    assert_eq!(screen.matches("the bundle").count(), 3, "{screen}");
    assert_eq!(
        screen.matches(&date).count(),
        3,
        "two results and the status: {screen}"
    );

    // Run again: with the bundle's password; the live results replace the recorded ones.
    let fx = send(&mut w, Msg::RunChecks);
    let (run, answers) = match fx.as_slice() {
        [Effect::RunChecks { run, answers, .. }] => (*run, answers.clone()),
        other => panic!("expected RunChecks, got {other:?}"),
    };
    assert_eq!(
        answers.service_password.as_ref().map(|p| p.expose_secret()),
        Some(CANARY)
    );
    send(
        &mut w,
        Msg::ChecksFinished {
            run,
            reports: vec![
                report(CheckId::M365Tenant, Status::Pass, ""),
                report(CheckId::M365Token, Status::Pass, ""),
            ],
        },
    );
    assert!(matches!(
        w.check_state(CheckId::M365Token),
        CheckState::Done(r) if r.status == Status::Pass
    ));
    let screen = render(&w, 80, 24);
    assert_eq!(
        screen.matches(&date).count(),
        1,
        "only the status: {screen}"
    );
    // A check of another screen keeps its recorded result.
    assert!(matches!(
        w.check_state(CheckId::M365Ews),
        CheckState::Recorded(_)
    ));

    // Export: same folder and file name; the recorded result still goes in; never replaced
    // without asking.
    send(&mut w, Msg::OpenReview);
    send(&mut w, Msg::Next);
    assert_eq!(w.page, Page::Export);
    let screen = render(&w, 100, 40);
    assert!(
        screen.contains("moxiengage-contoso.onmicrosoft.com-2026-03-02.age"),
        "{screen}"
    );
    assert!(screen.contains(&date), "{screen}");
    type_text(&mut w, BUNDLE_PASS);
    send(&mut w, key(KeyCode::Enter));
    type_text(&mut w, BUNDLE_PASS);
    send(&mut w, key(KeyCode::Enter));
    let fx = send(&mut w, key(KeyCode::Enter));
    match fx.as_slice() {
        [
            Effect::ExportBundle {
                folder,
                file_name,
                overwrite,
                reports,
                ..
            },
        ] => {
            assert_eq!(folder, dir.path());
            assert_eq!(
                file_name.as_deref(),
                Some("moxiengage-contoso.onmicrosoft.com-2026-03-02.age")
            );
            assert_eq!(*overwrite, Overwrite::Refuse);
            assert_eq!(reports.len(), 3);
        }
        other => panic!("expected ExportBundle, got {other:?}"),
    }
    // The runtime writes it under that name: the file is there, so it asks.
    let msg = moxi_setup::tui::export::write_bundle_as(
        dir.path(),
        Some("moxiengage-contoso.onmicrosoft.com-2026-03-02.age"),
        &w.answers,
        &moxi_setup::tui::export::reports(&w),
        &SecretString::from(BUNDLE_PASS),
        Overwrite::Refuse,
    );
    assert!(
        matches!(&msg, Msg::ExportExists(p) if *p == path),
        "{msg:?}"
    );
    send(&mut w, msg);
    assert!(w.export.exists.is_some());
}

#[test]
fn a_bundle_that_cannot_be_opened_says_why_and_offers_to_start_without_it() {
    use moxi_setup::tui::OpenFailure;
    let dir = tempfile::tempdir().unwrap();
    let (good, _) = bundle_file(dir.path());
    let text = std::fs::read_to_string(&good).unwrap();
    let damaged = dir.path().join("damaged.age");
    std::fs::write(&damaged, &text[..text.len() / 2]).unwrap();
    let other = dir.path().join("notes.age");
    std::fs::write(&other, "shopping list\n").unwrap();
    for (path, words) in [
        (&damaged, "damaged"),
        (&other, "not a MoxiEngage setup bundle"),
    ] {
        // A draft on disk is offered once the bundle is given up.
        let draft = {
            let mut d = wizard();
            send(&mut d, Msg::Start(StartChoice::Microsoft365));
            d.draft()
        };
        let (mut w, _) = Wizard::init(
            UiOptions {
                open: Some(path.clone()),
                ..UiOptions::default()
            },
            test_guides(),
            Some(draft),
        );
        assert_eq!(w.page, Page::OpenBundle);
        type_text(&mut w, BUNDLE_PASS);
        let m = enter_and_decrypt(&mut w);
        assert!(
            matches!(&m, Msg::BundleOpened(Err(OpenFailure::CannotOpen(_)))),
            "{m:?}"
        );
        send(&mut w, m);
        assert!(w.opening.as_ref().unwrap().failed());
        let screen = render(&w, 80, 24);
        assert!(screen.contains(words), "{screen}");
        assert!(!screen.contains("Passphrase of the bundle"), "{screen}");
        // Letters are commands now, not typing; Enter starts without the bundle.
        let ctx = Ctx::of(&w);
        assert!(
            keymap::footer(&ctx, 80)
                .iter()
                .any(|(l, s)| *l == "Enter" && s.contains("without"))
        );
        let fx = send(&mut w, key(KeyCode::Enter));
        assert!(fx.is_empty());
        assert_eq!(w.page, Page::Resume);
        assert!(w.opening.is_none() && w.opened.is_none());
        assert!(w.answers.service_password.is_none());
    }
    // And q quits from there.
    let mut w = opening(&other, UiOptions::default());
    type_text(&mut w, BUNDLE_PASS);
    let m = enter_and_decrypt(&mut w);
    send(&mut w, m);
    let fx = send(&mut w, key(KeyCode::Char('q')));
    assert!(matches!(fx.as_slice(), [Effect::Quit]), "{fx:?}");
}

#[test]
fn the_bundle_passphrase_is_revealed_only_on_request_and_never_in_screen_share() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = bundle_file(dir.path());
    let mut w = opening(&path, UiOptions::default());
    type_text(&mut w, BUNDLE_PASS);
    assert!(!render(&w, 80, 24).contains(BUNDLE_PASS));
    send(&mut w, ctrl('r'));
    assert!(render(&w, 80, 24).contains(BUNDLE_PASS));
    // Trying it masks it again.
    let _ = enter_and_decrypt(&mut w);
    assert!(!render(&w, 80, 24).contains(BUNDLE_PASS));

    let mut w = opening(
        &path,
        UiOptions {
            screen_share: true,
            ..UiOptions::default()
        },
    );
    send(&mut w, Msg::Paste(format!("{BUNDLE_PASS}\n")));
    send(&mut w, ctrl('r'));
    let screen = render(&w, 80, 24);
    assert!(!screen.contains(BUNDLE_PASS), "{screen}");
    assert!(screen.contains(&"•".repeat(BUNDLE_PASS.len())));
    assert!(
        !keymap::footer(&Ctx::of(&w), 80)
            .iter()
            .any(|(l, _)| *l == "Ctrl+R")
    );
    // The pasted line break is not part of it: it opens.
    let m = enter_and_decrypt(&mut w);
    send(&mut w, m);
    assert_eq!(w.page, Page::Review);
}

#[test]
fn with_demo_the_scenario_is_picked_first_and_its_values_do_not_replace_the_bundles() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = bundle_file(dir.path());
    let (mut w, _) = Wizard::init(
        UiOptions {
            demo: Some(String::new()),
            open: Some(path),
            ..UiOptions::default()
        },
        test_guides(),
        None,
    );
    assert_eq!(w.page, Page::DemoPicker);
    let fx = send(&mut w, key(KeyCode::Enter));
    assert!(matches!(fx.as_slice(), [Effect::StartDemo(_)]));
    assert_eq!(w.page, Page::OpenBundle);
    let name = w.demo_scenarios[0].name.clone();
    send(&mut w, Msg::DemoStarted(Ok(name)));
    assert_eq!(w.page, Page::OpenBundle);
    type_text(&mut w, BUNDLE_PASS);
    let m = enter_and_decrypt(&mut w);
    send(&mut w, m);
    assert_eq!(w.answers.tenant, "3f2b8a4c-9d1e-4c7a-b5e6-0a1b2c3d4e5f");
}
