//! All wizard logic: `update(&mut Wizard, Msg) -> Vec<Effect>`. Pure and synchronous: it never
//! awaits, never touches a file, a socket or the terminal; whatever needs doing comes back as
//! an [`Effect`] for the runtime. Tested without a terminal (`tests/tui_update.rs`).

use super::export;
use super::keychain;
use super::keymap::{self, Action, Ctx};
use super::model::{CheckState, Effect, Focus, Msg, Overlay, Page, StartChoice, Wizard};
use super::open;
use super::texts::texts;
use crate::answers::{FieldId, FieldKind, Platform, clean_pasted};
use crate::checks::{CheckId, Progress};
use crate::guide::GuideStep;
use crossterm::event::{Event, KeyEvent};
use secrecy::{ExposeSecret, SecretString};
use tui_input::{Input, InputRequest};

/// Applies one message and returns what the runtime must do.
pub fn update(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    let mut fx = Vec::new();
    if export::on_msg(w, &msg, &mut fx) || keychain::on_msg(w, &msg, &mut fx) {
        return fx;
    }
    match msg {
        Msg::Key(key) => on_key(w, key, &mut fx),
        Msg::Paste(text) => on_paste(w, &text),
        Msg::Resize(..) => {}
        Msg::Tick => {
            if w.needs_tick() {
                w.spinner = w.spinner.wrapping_add(1);
            }
        }
        Msg::Start(choice) => start(w, choice, &mut fx),
        Msg::SetText(f, v) => {
            let input = Input::new(v);
            w.inputs.insert(f, input);
            sync_field(w, f);
            validate_field(w, f);
        }
        Msg::SetSecret(f, s) => {
            if f.is_secret() {
                w.answers.service_password = Some(s);
                validate_field(w, f);
            }
        }
        Msg::SetFlag(f, b) => {
            if f == FieldId::IgnoreTlsTrust {
                w.answers.ignore_tls_trust = b;
            }
        }
        Msg::Forward => forward(w, &mut fx),
        Msg::Next => next_screen(w, &mut fx),
        Msg::Back => prev_screen(w, &mut fx),
        Msg::GoToStep(s) => go_to_step(w, &s, &mut fx),
        Msg::GoToScreen(i) => {
            if w.platform.is_some() && i < w.screen_count() {
                go_page(w, Page::Screen(i), &mut fx);
            }
        }
        Msg::OpenReview => {
            if w.platform.is_some() {
                w.cursor = 0;
                go_page(w, Page::Review, &mut fx);
            }
        }
        Msg::RunChecks => run_checks(w, &mut fx),
        Msg::ResumeDraft(yes) => resume(w, yes, &mut fx),
        Msg::PickScenario(name) => {
            if w.page == Page::DemoPicker {
                fx.push(Effect::StartDemo(name));
                w.after_demo_choice();
            }
        }
        Msg::Quit => quit(w, &mut fx),
        Msg::OpenWith(p) => open::try_passphrase(w, p, &mut fx),
        Msg::StartWithoutBundle => open::start_without(w),
        Msg::BundleOpened(r) => open::opened(w, r, &mut fx),
        Msg::CheckProgress { run, progress } => {
            if w.check_run == Some(run) {
                match progress {
                    Progress::Started(id) => {
                        w.checks.insert(id, CheckState::Running);
                    }
                    Progress::Note(_, note) => w.check_note = Some(note),
                    Progress::Finished(r) => {
                        w.checks.insert(r.id, CheckState::Done(r));
                    }
                }
            }
        }
        Msg::ChecksFinished { run, reports } => {
            if w.check_run == Some(run) {
                for r in reports {
                    w.checks.insert(r.id, CheckState::Done(r));
                }
                // Whatever the engine did not report stays visibly unavailable, never a pass.
                for st in w.checks.values_mut() {
                    if *st == CheckState::Running {
                        *st = CheckState::NotAvailable;
                    }
                }
                w.check_run = None;
                w.check_note = None;
                fx.push(Effect::SaveDraft(w.draft()));
            }
        }
        Msg::DraftSaved(r) => {
            if let Err(e) = r {
                w.status = Some(format!("Could not save your progress: {e}"));
            }
        }
        Msg::ScriptSaved(r) => match r {
            Ok(p) => {
                w.status = Some(format!("Saved the commands to {}", p.display()));
                w.saved_script = Some(p);
            }
            Err(e) => w.status = Some(format!("Could not save the commands: {e}")),
        },
        Msg::Export {
            passphrase,
            confirm,
        } => {
            if w.page == Page::Export {
                w.export.passphrase = Some(passphrase);
                w.export.confirm = Some(confirm);
                export(w, &mut fx);
            }
        }
        Msg::Exported(r) => {
            w.export.busy = false;
            match r {
                Ok(p) => {
                    w.export.error = None;
                    w.status = Some(format!("{} {}", texts().export.saved, p.display()));
                    w.export.saved = Some(p);
                    w.export.passphrase = None;
                    w.export.confirm = None;
                }
                Err(e) => w.export.error = Some(e),
            }
        }
        Msg::DemoStarted(r) => match r {
            Ok(name) => demo_started(w, name),
            Err(e) => w.status = Some(e),
        },
        Msg::ExportExists(_)
        | Msg::ReplaceBundle(_)
        | Msg::SaveReport
        | Msg::ReportSaved(_)
        | Msg::KeychainReady { .. }
        | Msg::RememberPassword(_)
        | Msg::PasswordLoaded(_)
        | Msg::PasswordRemembered(_) => {}
    }
    fx
}

/// The simulated tenant runs: offer its values (never a password) where nothing is typed yet,
/// and point the first question at its platform.
fn demo_started(w: &mut Wizard, name: String) {
    if let Some(sc) = w.demo_scenarios.iter().find(|s| s.name == name).cloned() {
        for (k, v) in sc.answers() {
            if let Some(f) = FieldId::parse(k)
                && !f.is_secret()
                && f != FieldId::IgnoreTlsTrust
                && w.answers.text(f).is_some_and(str::is_empty)
            {
                w.inputs.insert(f, Input::new(v.clone()));
                sync_field(w, f);
            }
        }
        if w.page == Page::Start && w.platform.is_none() {
            w.cursor = match sc.platform {
                Platform::Microsoft365 => 0,
                Platform::ExchangeServer => 1,
            };
        }
    }
    w.demo_scenario = Some(name);
}

fn on_key(w: &mut Wizard, key: KeyEvent, fx: &mut Vec<Effect>) {
    if on_overlay_key(w, &key, fx) {
        return;
    }
    let ctx = Ctx::of(w);
    if let Some(action) = keymap::lookup(&ctx, &key) {
        act(w, action, fx);
        return;
    }
    // While "remember the password?" waits, other keys type nothing.
    if keychain::asking(w) {
        return;
    }
    if w.page == Page::OpenBundle {
        if let Some(req) = tui_input::backend::crossterm::to_input_request(&Event::Key(key))
            && let Some(slot) = open::passphrase_slot(w)
            && let Some(next) = edit_secret(slot.as_ref(), req)
        {
            *slot = Some(next);
        }
        return;
    }
    if w.page == Page::Export {
        if export::asking(w) {
            return;
        }
        if export::folder_focused(w) {
            if let Some(req) = tui_input::backend::crossterm::to_input_request(&Event::Key(key)) {
                w.export.folder.handle(req);
                w.export.error = None;
            }
            return;
        }
        if let Some(req) = tui_input::backend::crossterm::to_input_request(&Event::Key(key)) {
            let slot = if w.export.focus == 0 {
                &mut w.export.passphrase
            } else {
                &mut w.export.confirm
            };
            if let Some(next) = edit_secret(slot.as_ref(), req) {
                *slot = Some(next);
            }
            w.export.error = None;
        }
        return;
    }
    // Not a command: it edits the focused field.
    let Some(f) = w.focused_field() else { return };
    let Some(req) = tui_input::backend::crossterm::to_input_request(&Event::Key(key)) else {
        return;
    };
    edit_field(w, f, req);
}

/// Keys while an overlay is open. Returns true when the key was used.
fn on_overlay_key(w: &mut Wizard, key: &KeyEvent, fx: &mut Vec<Effect>) -> bool {
    use crossterm::event::{KeyCode, KeyModifiers};
    match &mut w.overlay {
        Overlay::None => false,
        Overlay::Help => {
            let ctrl_c = key.code == KeyCode::Char('c') && key.modifiers == KeyModifiers::CONTROL;
            w.overlay = Overlay::None;
            if ctrl_c {
                quit(w, fx);
            }
            true
        }
        Overlay::Details(_) | Overlay::Script(_) => {
            let details = matches!(w.overlay, Overlay::Details(_));
            let copy = || {
                if details {
                    problem_commands(w)
                } else {
                    screen_script(w)
                }
            };
            match key.code {
                KeyCode::Char('c') if key.modifiers == KeyModifiers::CONTROL => quit(w, fx),
                KeyCode::Char('c') => {
                    if let Some(text) = copy() {
                        copy_to_clipboard(w, text, fx);
                    }
                }
                KeyCode::Up | KeyCode::Char('k') => scroll_overlay(w, -1),
                KeyCode::Down | KeyCode::Char('j') => scroll_overlay(w, 1),
                KeyCode::PageUp => scroll_overlay(w, -10),
                KeyCode::PageDown | KeyCode::Char(' ') => scroll_overlay(w, 10),
                KeyCode::Home => scroll_overlay(w, i32::from(i16::MIN)),
                _ => w.overlay = Overlay::None,
            }
            true
        }
        Overlay::GoTo(input) => {
            match key.code {
                KeyCode::Esc => w.overlay = Overlay::None,
                KeyCode::Enter => {
                    let text = input.value().to_string();
                    w.overlay = Overlay::None;
                    go_to_step(w, &text, fx);
                }
                KeyCode::Char('c') if key.modifiers == KeyModifiers::CONTROL => quit(w, fx),
                _ => {
                    if let Some(req) =
                        tui_input::backend::crossterm::to_input_request(&Event::Key(*key))
                    {
                        input.handle(req);
                    }
                }
            }
            true
        }
    }
}

fn act(w: &mut Wizard, a: Action, fx: &mut Vec<Effect>) {
    match a {
        Action::Help => w.overlay = Overlay::Help,
        Action::Quit => quit(w, fx),
        Action::Forward => forward(w, fx),
        Action::Back => match w.focus {
            Focus::Field(i) if i > 0 => set_focus(w, Focus::Field(i - 1)),
            Focus::Actions if !w.fields().is_empty() => {
                let n = w.fields().len();
                set_focus(w, Focus::Field(n - 1));
            }
            _ => prev_screen(w, fx),
        },
        Action::BackScreen => prev_screen(w, fx),
        Action::Up => w.cursor = w.cursor.saturating_sub(1),
        Action::Down => {
            let n = list_len(w);
            if w.cursor + 1 < n {
                w.cursor += 1;
            }
        }
        Action::ScrollUp => w.scroll = w.scroll.saturating_sub(5),
        Action::ScrollDown => w.scroll = w.scroll.saturating_add(5),
        Action::Choose(i) => {
            if let Some(c) = StartChoice::ALL.get(i) {
                w.cursor = i;
                start(w, *c, fx);
            }
        }
        Action::Yes if keychain::asking(w) => keychain::answer(w, true, fx),
        Action::No if keychain::asking(w) => keychain::answer(w, false, fx),
        Action::Yes if export::asking(w) => export::replace(w, true, fx),
        Action::No if export::asking(w) => export::replace(w, false, fx),
        Action::Yes => resume(w, true, fx),
        Action::No => resume(w, false, fx),
        Action::SaveReport => export::save_report(w, fx),
        Action::Toggle => {
            if w.focused_field() == Some(FieldId::IgnoreTlsTrust) {
                w.answers.ignore_tls_trust = !w.answers.ignore_tls_trust;
            }
        }
        Action::Reveal => {
            if !w.opts.screen_share {
                w.revealed = !w.revealed;
            }
        }
        Action::RunChecks => run_checks(w, fx),
        Action::Copy => {
            if let Some(text) = screen_script(w) {
                copy_to_clipboard(w, text, fx);
            }
        }
        Action::SaveScript => {
            if let (Some(text), Some((_, s))) = (screen_script(w), w.screen()) {
                fx.push(Effect::SaveScript {
                    file_name: format!("{}.ps1", s.id),
                    text,
                });
            }
        }
        Action::GoTo => w.overlay = Overlay::GoTo(Input::default()),
        Action::Details => {
            if !w.screen_problems().is_empty() {
                w.overlay = Overlay::Details(0);
            }
        }
        Action::ViewScript => {
            if screen_script(w).is_some() {
                w.overlay = Overlay::Script(0);
            }
        }
        Action::Review => {
            w.cursor = 0;
            go_page(w, Page::Review, fx);
        }
    }
}

/// Number of rows on a list page.
fn list_len(w: &Wizard) -> usize {
    match w.page {
        Page::Start => StartChoice::ALL.len(),
        Page::DemoPicker => w.demo_scenarios.len(),
        Page::Review => review_items(w).len(),
        _ => 0,
    }
}

fn forward(w: &mut Wizard, fx: &mut Vec<Effect>) {
    match w.page {
        Page::Start => {
            if let Some(c) = StartChoice::ALL.get(w.cursor) {
                start(w, *c, fx);
            }
        }
        Page::DemoPicker => {
            if let Some(s) = w.demo_scenarios.get(w.cursor) {
                fx.push(Effect::StartDemo(s.name.clone()));
                w.after_demo_choice();
            }
        }
        Page::Screen(_) => match w.focus {
            Focus::Field(i) => {
                let n = w.fields().len();
                if i + 1 < n {
                    set_focus(w, Focus::Field(i + 1));
                } else {
                    set_focus(w, Focus::Actions);
                    // Leaving the last field is when the screen's checks start.
                    if !w.screen_checks().is_empty() {
                        run_checks(w, fx);
                    }
                }
            }
            Focus::Actions => next_screen(w, fx),
        },
        Page::Review => match review_items(w).get(w.cursor).copied() {
            Some(ReviewItem::Field(f)) => {
                if let Some(i) = screen_of_field(w, f) {
                    go_page(w, Page::Screen(i), fx);
                    if let Some(pos) = w.fields().iter().position(|x| *x == f) {
                        set_focus(w, Focus::Field(pos));
                    }
                }
            }
            Some(ReviewItem::Check(c)) => {
                if let Some(i) = screen_of_check(w, c) {
                    go_page(w, Page::Screen(i), fx);
                }
            }
            Some(ReviewItem::Export) | None => go_page(w, Page::Export, fx),
        },
        Page::OpenBundle => open::forward(w, fx),
        Page::Export => {
            if export::asking(w) || w.export.saved.is_some() {
            } else if w.export.focus == 0 {
                w.export.focus = 1;
                w.revealed = false;
            } else if w.export.focus == 1 {
                // The pair is judged when the confirmation is left, so a mistake shows at once.
                if passphrase_pair(w).is_some() {
                    w.export.focus = 2;
                    w.revealed = false;
                }
            } else {
                export(w, fx);
            }
        }
        Page::Resume | Page::ThirdParty | Page::NoEmail => {}
    }
}

/// Checks the passphrase pair and asks the runtime to write the bundle.
fn export(w: &mut Wizard, fx: &mut Vec<Effect>) {
    if w.export.busy || w.platform.is_none() {
        return;
    }
    let Some(p) = passphrase_pair(w) else { return };
    w.export.busy = true;
    w.export.error = None;
    fx.push(export::bundle_effect(
        w,
        p,
        crate::bundle::Overwrite::Refuse,
    ));
}

/// The passphrase when it is strong enough and confirmed; else the reason is shown and the
/// field to fix gets the keyboard.
fn passphrase_pair(w: &mut Wizard) -> Option<SecretString> {
    let (Some(p), c) = (w.export.passphrase.clone(), w.export.confirm.clone()) else {
        w.export.error = Some(texts().export.empty.clone());
        w.export.focus = 0;
        return None;
    };
    if let Err(e) = crate::bundle::passphrase_strength_vs(&p, w.answers.service_password.as_ref()) {
        w.export.error = Some(e);
        w.export.focus = 0;
        return None;
    }
    if c.as_ref().map(|c| c.expose_secret()) != Some(p.expose_secret()) {
        w.export.error = Some(texts().export.mismatch.clone());
        w.export.confirm = None;
        w.export.focus = 1;
        return None;
    }
    Some(p)
}

fn start(w: &mut Wizard, choice: StartChoice, fx: &mut Vec<Effect>) {
    let platform = match choice {
        StartChoice::Microsoft365 => Platform::Microsoft365,
        StartChoice::ExchangeServer => Platform::ExchangeServer,
        StartChoice::ThirdParty => {
            w.page = Page::ThirdParty;
            return;
        }
        StartChoice::NoEmail => {
            w.page = Page::NoEmail;
            return;
        }
    };
    w.platform = Some(platform);
    w.answers.platform = Some(platform);
    if w.screen_count() == 0 {
        w.status = Some("This guide has no screens in this build.".into());
        go_page(w, Page::Review, fx);
    } else {
        go_page(w, Page::Screen(0), fx);
    }
}

fn resume(w: &mut Wizard, yes: bool, fx: &mut Vec<Effect>) {
    if w.page != Page::Resume {
        return;
    }
    match w.pending_draft.take() {
        Some(d) if yes => {
            w.apply_draft(d);
            fx.extend(keychain::load_effect(w));
            maybe_auto_checks(w, fx);
        }
        _ => {
            w.page = Page::Start;
            w.cursor = 0;
        }
    }
}

fn quit(w: &mut Wizard, fx: &mut Vec<Effect>) {
    if let Some(run) = w.check_run.take() {
        fx.push(Effect::CancelChecks { run });
    }
    if w.platform.is_some() {
        leave_focus(w);
        fx.push(Effect::SaveDraft(w.draft()));
    }
    w.quit = true;
    fx.push(Effect::Quit);
}

fn next_screen(w: &mut Wizard, fx: &mut Vec<Effect>) {
    match w.page {
        Page::Screen(i) => {
            for f in w.fields() {
                validate_field(w, f);
            }
            if w.fields().iter().any(|f| w.errors.contains_key(f)) {
                w.status = Some(texts().status.fix_first.clone());
            }
            if i + 1 < w.screen_count() {
                go_page(w, Page::Screen(i + 1), fx);
            } else {
                w.cursor = 0;
                go_page(w, Page::Review, fx);
            }
        }
        Page::Review => go_page(w, Page::Export, fx),
        _ => {}
    }
}

fn prev_screen(w: &mut Wizard, fx: &mut Vec<Effect>) {
    match w.page {
        Page::Screen(0) => {
            leave_screen(w, fx);
            w.cursor = match w.platform {
                Some(Platform::ExchangeServer) => 1,
                _ => 0,
            };
            w.page = Page::Start;
        }
        Page::Screen(i) => go_page(w, Page::Screen(i - 1), fx),
        Page::Review => {
            let n = w.screen_count();
            if n > 0 {
                go_page(w, Page::Screen(n - 1), fx);
            } else {
                w.page = Page::Start;
            }
        }
        Page::Export => {
            w.cursor = 0;
            go_page(w, Page::Review, fx);
        }
        Page::ThirdParty | Page::NoEmail => w.page = Page::Start,
        Page::Start | Page::Resume | Page::DemoPicker | Page::OpenBundle => {}
    }
}

/// Stops what belongs to the screen being left: checks in flight, the field being edited.
fn leave_screen(w: &mut Wizard, fx: &mut Vec<Effect>) {
    leave_focus(w);
    if let Some(run) = w.check_run.take() {
        fx.push(Effect::CancelChecks { run });
        for st in w.checks.values_mut() {
            if *st == CheckState::Running {
                *st = CheckState::NotRun;
            }
        }
        w.check_note = None;
    }
    w.checks_blocked.clear();
}

/// Moves to another page; every page change autosaves the draft.
pub(crate) fn go_page(w: &mut Wizard, page: Page, fx: &mut Vec<Effect>) {
    leave_screen(w, fx);
    w.page = page;
    w.scroll = 0;
    w.focus = if w.fields().is_empty() {
        Focus::Actions
    } else {
        Focus::Field(0)
    };
    w.revealed = false;
    if w.platform.is_some() {
        fx.push(Effect::SaveDraft(w.draft()));
    }
    maybe_auto_checks(w, fx);
}

/// A screen with checks and nothing to type starts its checks on arrival.
fn maybe_auto_checks(w: &mut Wizard, fx: &mut Vec<Effect>) {
    if matches!(w.page, Page::Screen(_)) && w.fields().is_empty() {
        let checks = w.screen_checks();
        // Results recorded in an opened bundle count as there: `r` runs them again.
        let all_done = checks.iter().all(|c| w.check_state(*c).report().is_some());
        if !checks.is_empty() && !all_done {
            run_checks(w, fx);
        }
    }
}

fn go_to_step(w: &mut Wizard, text: &str, fx: &mut Vec<Effect>) {
    let Some(p) = w.platform else { return };
    let t = text.trim();
    let step = GuideStep::parse(t).or_else(|| {
        let (a, b) = t.split_once('.')?;
        Some(GuideStep {
            platform: p,
            section: a.trim().parse().ok()?,
            step: b.trim().parse().ok()?,
        })
    });
    let idx = step
        .filter(|s| s.platform == p)
        .and_then(|s| w.guides.get(p).screen_of(s));
    match idx {
        Some(i) => go_page(w, Page::Screen(i), fx),
        None => w.status = Some(texts().status.goto_unknown.clone()),
    }
}

fn set_focus(w: &mut Wizard, to: Focus) {
    if w.focus != to {
        leave_focus(w);
        w.focus = to;
        w.revealed = false;
    }
}

/// Leaving a field: tidy the text and validate it.
fn leave_focus(w: &mut Wizard) {
    if let Some(f) = w.focused_field() {
        if let Some(input) = w.inputs.get(&f) {
            let v = input.value();
            let cleaned = clean_pasted(v);
            if cleaned != v {
                w.inputs.insert(f, Input::new(cleaned));
                sync_field(w, f);
            }
        }
        validate_field(w, f);
        keychain::on_leave(w, f);
    }
    w.revealed = false;
}

/// Validates one field into `errors` (a field never typed in is validated only on leaving).
fn validate_field(w: &mut Wizard, f: FieldId) {
    match w.answers.validate(f) {
        Ok(()) => {
            w.errors.remove(&f);
        }
        Err(e) => {
            w.errors.insert(f, e.0);
        }
    }
}

/// Copies an edit buffer into the answers (so commands show the values typed so far).
fn sync_field(w: &mut Wizard, f: FieldId) {
    if let Some(i) = w.inputs.get(&f) {
        let v = i.value().to_string();
        w.answers.set_text(f, v);
    }
}

fn edit_field(w: &mut Wizard, f: FieldId, req: InputRequest) {
    match f.kind() {
        FieldKind::Secret => {
            let next = edit_secret(w.answers.service_password.as_ref(), req);
            if let Some(s) = next {
                w.answers.service_password = Some(s);
            }
        }
        FieldKind::YesNo => {}
        _ => {
            let text = w.field_text(f);
            let input = w.inputs.entry(f).or_insert_with(|| Input::new(text));
            input.handle(req);
            sync_field(w, f);
        }
    }
    // Once a field shows an error, re-check as the admin types so it clears when fixed.
    if w.errors.contains_key(&f) {
        validate_field(w, f);
    }
}

/// Applies an edit to the secret without it ever living in a plain edit buffer. The cursor
/// stays at the end: moving inside a masked value would be guesswork for the admin anyway.
fn edit_secret(cur: Option<&SecretString>, req: InputRequest) -> Option<SecretString> {
    let old = cur.map(|s| s.expose_secret()).unwrap_or("");
    let mut next = String::with_capacity(old.len() + 4);
    match req {
        InputRequest::InsertChar(c) => {
            next.push_str(old);
            next.push(c);
        }
        InputRequest::DeletePrevChar => {
            next.push_str(old);
            next.pop();
        }
        InputRequest::DeleteLine | InputRequest::DeleteFromStart => {}
        InputRequest::DeletePrevWord => {
            let keep = old.trim_end().rfind(' ').map(|i| i + 1).unwrap_or(0);
            next.push_str(&old[..keep]);
        }
        _ => return None,
    }
    Some(SecretString::from(next))
}

/// Appends a paste to a secret as is, minus the line break a copy often adds.
fn paste_secret(slot: &mut Option<SecretString>, text: &str) {
    let pasted = text.trim_end_matches(['\r', '\n']);
    let old = slot.as_ref().map(|s| s.expose_secret()).unwrap_or("");
    let mut next = String::with_capacity(old.len() + pasted.len());
    next.push_str(old);
    next.push_str(pasted);
    *slot = Some(SecretString::from(next));
}

fn on_paste(w: &mut Wizard, text: &str) {
    if w.page == Page::OpenBundle {
        if let Some(slot) = open::passphrase_slot(w) {
            paste_secret(slot, text);
        }
        return;
    }
    if export::folder_focused(w) {
        for c in clean_pasted(text).chars() {
            w.export.folder.handle(InputRequest::InsertChar(c));
        }
        return;
    }
    if w.page == Page::Export {
        let slot = if w.export.focus == 0 {
            &mut w.export.passphrase
        } else {
            &mut w.export.confirm
        };
        paste_secret(slot, text);
        return;
    }
    if let Overlay::GoTo(input) = &mut w.overlay {
        for c in clean_pasted(text).chars() {
            input.handle(InputRequest::InsertChar(c));
        }
        return;
    }
    let Some(f) = w.focused_field() else { return };
    match f.kind() {
        FieldKind::Secret => paste_secret(&mut w.answers.service_password, text),
        FieldKind::YesNo => {}
        _ => {
            for c in clean_pasted(text).chars() {
                edit_field(w, f, InputRequest::InsertChar(c));
            }
        }
    }
    if w.errors.contains_key(&f) {
        validate_field(w, f);
    }
}

fn run_checks(w: &mut Wizard, fx: &mut Vec<Effect>) {
    let checks = w.screen_checks();
    let Some(p) = w.platform else { return };
    if checks.is_empty() {
        return;
    }
    leave_focus(w);
    // Only what the guide has asked for so far: a later screen's field cannot block.
    let current = match w.page {
        Page::Screen(i) => i,
        _ => return,
    };
    let asked: Vec<FieldId> = w
        .guides
        .get(p)
        .screens()
        .take(current + 1)
        .flat_map(|(_, s)| s.fields.iter().copied())
        .collect();
    let blocked: Vec<FieldId> = crate::answers::Answers::required_fields(p)
        .iter()
        .copied()
        .filter(|f| asked.contains(f) && w.answers.validate(*f).is_err())
        .collect();
    w.checks_blocked = blocked;
    if !w.checks_blocked.is_empty() {
        return;
    }
    if let Some(old) = w.check_run.take() {
        fx.push(Effect::CancelChecks { run: old });
    }
    let run = w.next_run;
    w.next_run += 1;
    w.check_run = Some(run);
    for c in &checks {
        w.checks.insert(*c, CheckState::Running);
    }
    fx.push(Effect::RunChecks {
        run,
        checks,
        answers: w.answers.clone(),
    });
}

/// Copies through the terminal (OSC 52) and says so; the text stays on screen, since whether
/// the terminal took it cannot be known.
fn copy_to_clipboard(w: &mut Wizard, text: String, fx: &mut Vec<Effect>) {
    fx.push(Effect::CopyToClipboard(text));
    w.status = Some(texts().status.copied.clone());
}

/// Moves a text overlay's view; the view clamps it to the text's length.
fn scroll_overlay(w: &mut Wizard, by: i32) {
    let lines = match w.overlay {
        Overlay::Details(_) => super::details::problem_lines(w),
        Overlay::Script(_) => super::details::script_lines(w),
        _ => return,
    };
    let max = i32::from(super::details::line_bound(&lines).saturating_sub(1));
    if let Overlay::Details(s) | Overlay::Script(s) = &mut w.overlay {
        *s = u16::try_from((i32::from(*s) + by).clamp(0, max.max(0))).unwrap_or(0);
    }
}

/// The commands that fix this screen's failed or warned checks, one block per check.
pub fn problem_commands(w: &Wizard) -> Option<String> {
    let parts: Vec<String> = w
        .screen_problems()
        .iter()
        .filter_map(|r| r.command.clone())
        .filter(|c| !c.trim().is_empty())
        .collect();
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("\n"))
    }
}

/// The PowerShell of the current screen, filled with the answers so far.
pub fn screen_script(w: &Wizard) -> Option<String> {
    let (_, s) = w.screen()?;
    let parts: Vec<String> = s
        .scripts
        .iter()
        .filter_map(|n| crate::guide::scripts::render(n, &w.answers))
        .collect();
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("\n"))
    }
}

/// One row of the review page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewItem {
    Field(FieldId),
    Check(CheckId),
    Export,
}

/// The review rows: every field of the guide, every check, then "export".
pub fn review_items(w: &Wizard) -> Vec<ReviewItem> {
    let mut out = Vec::new();
    if let Some(g) = w.guide() {
        for (_, s) in g.screens() {
            for f in &s.fields {
                if !out.contains(&ReviewItem::Field(*f)) {
                    out.push(ReviewItem::Field(*f));
                }
            }
        }
        for (_, s) in g.screens() {
            for c in s.checks.iter().filter_map(|c| CheckId::parse(c)) {
                if !out.contains(&ReviewItem::Check(c)) {
                    out.push(ReviewItem::Check(c));
                }
            }
        }
    }
    out.push(ReviewItem::Export);
    out
}

fn screen_of_field(w: &Wizard, f: FieldId) -> Option<usize> {
    w.guide()?
        .screens()
        .position(|(_, s)| s.fields.contains(&f))
}

fn screen_of_check(w: &Wizard, c: CheckId) -> Option<usize> {
    w.guide()?
        .screens()
        .position(|(_, s)| s.checks.iter().any(|x| CheckId::parse(x) == Some(c)))
}
