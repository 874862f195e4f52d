//! What the plain mode prints, as pure functions of the wizard state: page texts, prompts and
//! check result lines. No I/O and no state of its own, so it is tested without a terminal.
//! Secrets are never part of any text made here: a password only ever shows as "typed, hidden".

use super::texts::{t, tf};
use crate::answers::{FieldId, FieldKind};
use crate::checks::{CheckId, CheckReport, Status};
use crate::guide::Guide;
use crate::tui::texts::texts;
use crate::tui::update::{ReviewItem, review_items, screen_script};
use crate::tui::{CheckState, Page, StartChoice, Wizard};
use secrecy::ExposeSecret;
use std::fmt::Write as _;

/// The label of a field as the chosen guide names it.
pub fn field_label(w: &Wizard, f: FieldId) -> String {
    w.guide()
        .and_then(|g| g.field_help(f))
        .map(|h| h.label.clone())
        .unwrap_or_else(|| f.as_str().replace('_', " "))
}

/// The one-line help of a field, if the guide has one.
pub fn field_help(w: &Wizard, f: FieldId) -> Option<String> {
    let h = w.guide()?.field_help(f)?;
    Some(tf(
        "general.field_help",
        &[("label", &h.label), ("help", &h.help)],
    ))
}

/// The current value as shown in brackets; `None` when there is nothing to keep.
pub fn current_value(w: &Wizard, f: FieldId) -> Option<String> {
    match f.kind() {
        FieldKind::Secret => w
            .answers
            .service_password
            .as_ref()
            .filter(|p| !p.expose_secret().is_empty())
            .map(|_| t("fields.secret_set").to_string()),
        FieldKind::YesNo => Some(yes_no(w.answers.ignore_tls_trust).to_string()),
        _ => Some(w.field_text(f)).filter(|v| !v.is_empty()),
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { t("fields.yes") } else { t("fields.no") }
}

/// `Label [current]: ` (no brackets when there is nothing to keep).
pub fn prompt(question: &str, current: Option<&str>) -> String {
    match current {
        Some(c) => format!("{question} [{c}]: "),
        None => format!("{question}: "),
    }
}

/// The prompt for one field.
pub fn field_prompt(w: &Wizard, f: FieldId, secret_no_echo: bool) -> String {
    let mut q = field_label(w, f);
    match f.kind() {
        FieldKind::YesNo => {
            q.push(' ');
            q.push_str(t("fields.yes_no"));
        }
        FieldKind::Secret if secret_no_echo => {
            q.push(' ');
            q.push_str(t("fields.secret_no_echo"));
        }
        _ => {}
    }
    prompt(&q, current_value(w, f).as_deref())
}

/// The text of the page being entered (printed once per visit).
pub fn page(w: &Wizard) -> String {
    match w.page {
        Page::Resume => resume(w),
        Page::OpenBundle => open(w),
        Page::DemoPicker => demo(w),
        Page::Start => start(),
        Page::ThirdParty => text_page(&texts().third_party),
        Page::NoEmail => text_page(&texts().no_email),
        Page::Screen(i) => screen(w, i),
        Page::Review => review(w),
        Page::Export => export(w),
    }
}

fn text_page(p: &crate::tui::texts::Page) -> String {
    format!("\n{}\n\n{}\n", p.title, p.text.trim())
}

fn resume(w: &Wizard) -> String {
    let tx = &texts().resume;
    let mut s = format!("\n{}\n{}\n", tx.title, tx.text);
    if let Some(d) = &w.pending_draft {
        let platform = d
            .platform
            .map(|p| w.guides.get(p).title.clone())
            .unwrap_or_else(|| t("fields.empty").to_string());
        let _ = writeln!(s, "  Platform: {platform}");
        if let Some(p) = d.platform
            && let Some((sec, sc)) = w.guides.get(p).screens().find(|(_, s)| s.id == d.screen)
        {
            let _ = writeln!(
                s,
                "  Saved at: {} (guide {})",
                sc.title,
                Guide::step_range(sec, sc)
            );
        }
    }
    s
}

fn open(w: &Wizard) -> String {
    let tx = &texts().open;
    let path = w
        .opening
        .as_ref()
        .map(|o| o.path.display().to_string())
        .unwrap_or_default();
    format!("\n{}\n{}\n  {path}\n{}\n", tx.title, tx.intro, tx.explain)
}

/// ` — from the bundle (2026-03-02)` after a result recorded in the opened bundle.
fn recorded_mark(w: &Wizard, c: CheckId) -> String {
    match (w.check_state(c), &w.opened) {
        (CheckState::Recorded(_), Some(o)) => format!(
            " — {}",
            texts().checks.from_bundle.replace("{date}", &o.date())
        ),
        _ => String::new(),
    }
}

fn demo(w: &Wizard) -> String {
    let tx = &texts().demo;
    let mut s = format!("\n{}\n{}\n", tx.title, tx.intro);
    if w.demo_scenarios.is_empty() {
        let _ = writeln!(s, "{}", tx.unavailable);
    }
    for (i, sc) in w.demo_scenarios.iter().enumerate() {
        let platform = &w.guides.get(sc.platform).title;
        let _ = writeln!(s, "{:>3}) {} ({platform})", i + 1, sc.name);
        let _ = writeln!(s, "     {}", sc.description);
    }
    s
}

fn start() -> String {
    let tx = &texts().start;
    let mut s = format!("\n{}\n{}\n", tx.title, t("start.intro"));
    for (i, c) in tx.choices.iter().enumerate().take(StartChoice::ALL.len()) {
        let _ = writeln!(s, "  {}) {}", i + 1, c.label);
        let _ = writeln!(s, "     {}", c.hint);
    }
    s
}

/// `Step 3 of 18 · 1. Create a service account user`, the guide's step numbers and the
/// screen's instructions, its note, and its commands as a block that can be copied.
fn screen(w: &Wizard, i: usize) -> String {
    let Some((sec, sc)) = w.screen() else {
        return String::new();
    };
    let mut s = String::from("\n");
    if i == 0
        && let Some(g) = w.guide()
    {
        let _ = writeln!(s, "{}\n{}\n", g.title, g.intro.trim());
        for n in &g.notices {
            let _ = writeln!(s, "{}: {}\n", n.title, n.text.trim());
        }
    }
    let _ = writeln!(
        s,
        "Step {} of {} · {}. {}",
        i + 1,
        w.screen_count(),
        sec.number,
        sec.title
    );
    let range = Guide::step_range(sec, sc);
    let key = if sc.steps.len() > 1 {
        "screen.step_many"
    } else {
        "screen.step_one"
    };
    let _ = writeln!(s, "{}: {}", tf(key, &[("range", &range)]), sc.title);
    if let Some(n) = &sc.note {
        let _ = writeln!(s, "{}", tf("screen.note", &[("text", n.trim())]));
    }
    for st in &sc.steps {
        let _ = writeln!(s, "{}.{} {}", sec.number, st.number, st.text.trim());
    }
    if !sc.scripts.is_empty() {
        let shell = sc
            .scripts
            .iter()
            .find_map(|n| crate::guide::scripts::all().iter().find(|s| s.name == n))
            .map(|s| s.shell.title())
            .unwrap_or("PowerShell");
        match screen_script(w) {
            Some(text) => {
                s.push('\n');
                s.push_str(&command_block(
                    &tf("screen.commands_begin", &[("shell", shell)]),
                    &text,
                ));
            }
            None => {
                let _ = writeln!(s, "{}", texts().powershell.unavailable);
            }
        }
    }
    // A screen with nothing to type and checks that already ran shows the earlier results
    // (they are not run again on arrival; `checks` runs them again).
    let checks = w.screen_checks();
    if w.fields().is_empty()
        && w.check_run.is_none()
        && !checks.is_empty()
        && checks.iter().all(|c| w.check_state(*c).report().is_some())
    {
        let _ = writeln!(s, "{}", t("screen.earlier"));
        for c in &checks {
            if let Some(r) = w.check_state(*c).report() {
                let _ = write!(s, "{}", tf("checks.checking", &[("what", c.label())]));
                let mut line = check_result(r);
                let mark = recorded_mark(w, *c);
                if !mark.is_empty()
                    && let Some(end) = line.find('\n')
                {
                    line.insert_str(end, &mark);
                }
                s.push_str(&line);
            }
        }
    }
    s
}

/// A block of commands between two marker lines, so it can be selected and copied whole.
pub fn command_block(title: &str, text: &str) -> String {
    let mut s = format!("{title}\n");
    for l in text.trim_end().lines() {
        let _ = writeln!(s, "{l}");
    }
    let _ = writeln!(s, "{}", t("screen.commands_end"));
    s
}

fn seconds(ms: u64) -> String {
    format!("{:.1}", ms as f64 / 1000.0)
}

/// The diagnosis as the checks panel words it: `CODE: summary`.
fn diagnosis(r: &CheckReport) -> String {
    if r.code.is_empty() {
        r.summary.clone()
    } else {
        format!("{}: {}", r.code, r.summary)
    }
}

fn see_step(r: &CheckReport) -> String {
    r.guide_step
        .map(|g| tf("checks.see_step", &[("step", &g.short())]))
        .unwrap_or_default()
}

/// The end of a `Checking <what>… ` line (with the newline), then what to do and the command
/// for a failure or a warning.
pub fn check_result(r: &CheckReport) -> String {
    let secs = seconds(r.elapsed_ms);
    let mut s = match r.status {
        Status::Pass => t("checks.passed").replace("{secs}", &secs),
        Status::Warn => format!(
            "{}{}",
            tf(
                "checks.warned",
                &[("diagnosis", &diagnosis(r)), ("secs", &secs)]
            ),
            see_step(r)
        ),
        Status::Fail => format!(
            "{}{}",
            tf("checks.failed", &[("diagnosis", &diagnosis(r))]),
            see_step(r)
        ),
        Status::Skip => tf("checks.skipped", &[("reason", &r.summary)]),
    };
    s.push('\n');
    if matches!(r.status, Status::Fail | Status::Warn) {
        if !r.detail.trim().is_empty() {
            let _ = writeln!(
                s,
                "  {}",
                tf("checks.what_to_do", &[("text", r.detail.trim())])
            );
        }
        if let Some(cmd) = r.command.as_deref().filter(|c| !c.trim().is_empty()) {
            s.push_str(&command_block(t("checks.command"), cmd));
        }
    }
    s
}

/// The lines of the review page: every answer (the password masked) and every check, numbered.
fn review(w: &Wizard) -> String {
    let tx = &texts().review;
    let mut s = format!("\n{}\n{}\n", tx.title, t("review.intro"));
    if let Some(o) = &w.opened
        && crate::tui::export::recorded_count(w) > 0
    {
        let _ = writeln!(s, "{}", tx.from_bundle_note.replace("{date}", &o.date()));
    }
    for (i, it) in review_items(w).iter().enumerate() {
        let n = i + 1;
        match it {
            ReviewItem::Field(f) => {
                let value = match f.kind() {
                    FieldKind::Secret => current_value(w, *f)
                        .map(|v| format!("•••••••• ({v})"))
                        .unwrap_or_else(|| tx.not_typed.clone()),
                    _ => current_value(w, *f).unwrap_or_else(|| tx.not_typed.clone()),
                };
                let state = match w.answers.validate(*f) {
                    Ok(()) => t("review.ok").to_string(),
                    Err(e) => tf("review.needs_fixing", &[("reason", &e.0)]),
                };
                let _ = writeln!(s, "{n:>3}) {}: {value} ({state})", field_label(w, *f));
            }
            ReviewItem::Check(c) => {
                let _ = writeln!(
                    s,
                    "{n:>3}) {}: {}{}",
                    c.label(),
                    check_state_words(w, *c),
                    recorded_mark(w, *c)
                );
            }
            ReviewItem::Export => {
                let _ = writeln!(s, "{n:>3}) {}", tx.export_line);
            }
        }
    }
    s
}

fn check_state_words(w: &Wizard, c: CheckId) -> String {
    let tx = &texts().checks;
    match w.check_state(c) {
        CheckState::NotRun => tx.not_run.clone(),
        CheckState::Running => tx.running.clone(),
        CheckState::NotAvailable => tx.not_available.clone(),
        CheckState::Done(r) | CheckState::Recorded(r) => match r.status {
            Status::Pass => tx.pass.clone(),
            Status::Warn => format!("{}: {}{}", tx.warn, diagnosis(r), see_step(r)),
            Status::Fail => format!("{}: {}{}", tx.fail, diagnosis(r), see_step(r)),
            Status::Skip => format!("{}: {}", tx.skip, r.summary),
        },
    }
}

/// What the export page says before it asks anything.
fn export(w: &Wizard) -> String {
    let tx = &texts().export;
    let mut s = format!("\n{}\n{}\n", tx.title, tx.intro);
    for it in review_items(w) {
        if let ReviewItem::Field(f) = it {
            let value = current_value(w, f).unwrap_or_else(|| texts().review.not_typed.clone());
            let _ = writeln!(s, "  · {}: {value}", field_label(w, f));
        }
    }
    let done = w.checks.values().filter(|c| c.report().is_some()).count();
    let _ = writeln!(s, "  · the results of {done} live checks");
    let recorded = crate::tui::export::recorded_count(w);
    if let Some(o) = &w.opened
        && recorded > 0
    {
        let _ = writeln!(
            s,
            "    ({})",
            tx.recorded
                .replace("{count}", &recorded.to_string())
                .replace("{date}", &o.date())
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::CheckReport;
    use crate::guide::GuideStep;
    use std::collections::BTreeMap;

    fn report(status: Status) -> CheckReport {
        CheckReport {
            id: CheckId::M365Tenant,
            status,
            code: "AADSTS90002".into(),
            guide_step: Some(GuideStep::m365(4, 14)),
            summary: "No tenant by that name.".into(),
            detail: "Copy the Directory (tenant) ID again.".into(),
            command: Some("Get-MgOrganization".into()),
            evidence: BTreeMap::new(),
            elapsed_ms: 1234,
            finished_at: String::new(),
        }
    }

    #[test]
    fn failure_names_code_summary_and_step_on_one_line() {
        let s = check_result(&report(Status::Fail));
        let first = s.lines().next().unwrap();
        assert_eq!(
            first,
            "FAILED: AADSTS90002: No tenant by that name. — see step 4.14"
        );
        assert!(s.contains("What to do: Copy the Directory (tenant) ID again."));
        assert!(s.contains("\nGet-MgOrganization\n"));
    }

    #[test]
    fn pass_shows_seconds_and_nothing_else() {
        let mut r = report(Status::Pass);
        r.code.clear();
        assert_eq!(check_result(&r), "passed (1.2 s)\n");
    }

    #[test]
    fn prompts_show_brackets_only_when_there_is_a_value() {
        assert_eq!(
            prompt("Tenant ID", Some("contoso.com")),
            "Tenant ID [contoso.com]: "
        );
        assert_eq!(prompt("Tenant ID", None), "Tenant ID: ");
    }
}
