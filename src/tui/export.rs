//! The wizard's end: what the export page decides (folder, "replace the existing file?",
//! the check warning) and the support report from the review page. Pure like `update`: files
//! are written by the runtime from the [`Effect`]s made here; no secret goes into a report.

use super::model::{CheckState, Effect, Msg, Page, Wizard};
use super::texts::texts;
use crate::bundle::Overwrite;
use crate::checks::CheckReport;
use secrecy::SecretString;
use std::path::PathBuf;

/// The file name of the support report, next to the draft.
pub const REPORT_FILE: &str = "moxiengage-support-report.txt";

/// The export page's folder field has the keyboard.
pub fn folder_focused(w: &Wizard) -> bool {
    w.page == Page::Export && w.export.focus == 2 && w.export.saved.is_none()
}

/// "Replace the existing file?" is waiting for an answer.
pub fn asking(w: &Wizard) -> bool {
    w.page == Page::Export && w.export.exists.is_some()
}

/// Every finished check report (what the bundle and the report record), including the ones
/// recorded in an opened bundle that were not run again: they keep their own time.
pub fn reports(w: &Wizard) -> Vec<CheckReport> {
    w.checks
        .values()
        .filter_map(CheckState::report)
        .cloned()
        .collect()
}

/// How many results are still the ones recorded in the opened bundle.
pub fn recorded_count(w: &Wizard) -> usize {
    w.checks
        .values()
        .filter(|c| matches!(c, CheckState::Recorded(_)))
        .count()
}

/// The file name the bundle will get: the opened bundle's own, else the dated default.
pub fn file_name(w: &Wizard) -> Option<String> {
    w.opened.as_ref().and_then(|o| o.file_name())
}

/// The warning the export page shows when a check failed or never ran (None: all ran, none
/// failed). The admin may still export; the bundle records the reports as they are.
pub fn warning(w: &Wizard) -> Option<String> {
    let p = w.platform?;
    let o = crate::bundle::check_outcome(p, &reports(w));
    if o.failed.is_empty() && o.not_run.is_empty() {
        return None;
    }
    let tx = &texts().export;
    let mut parts = Vec::new();
    if !o.failed.is_empty() {
        parts.push(format!("{} {}", o.failed.len(), tx.warn_failed));
    }
    if !o.not_run.is_empty() {
        parts.push(format!("{} {}", o.not_run.len(), tx.warn_not_run));
    }
    Some(format!("{} {}", parts.join(", "), tx.warn_tail))
}

/// The effect that writes the bundle into the typed folder.
pub fn bundle_effect(w: &Wizard, passphrase: SecretString, overwrite: Overwrite) -> Effect {
    Effect::ExportBundle {
        answers: w.answers.clone(),
        reports: reports(w),
        passphrase,
        folder: PathBuf::from(w.export.folder.value().trim()),
        overwrite,
        file_name: file_name(w),
    }
}

/// Handles the export and report messages; returns false when `msg` is not one of them.
pub fn on_msg(w: &mut Wizard, msg: &Msg, fx: &mut Vec<Effect>) -> bool {
    match msg {
        Msg::ExportExists(p) => {
            w.export.busy = false;
            if w.page == Page::Export {
                w.export.exists = Some(p.clone());
            }
        }
        Msg::ReplaceBundle(yes) => replace(w, *yes, fx),
        Msg::SaveReport => save_report(w, fx),
        Msg::ReportSaved(r) => {
            w.status = Some(match r {
                Ok(p) => format!("{} {}", texts().export.report_saved, p.display()),
                Err(e) => format!("{} {e}", texts().export.report_failed),
            })
        }
        _ => return false,
    }
    true
}

/// The answer to "replace the existing file?": yes writes again with `Replace`; no keeps the
/// old file and sends the admin to the folder field.
pub fn replace(w: &mut Wizard, yes: bool, fx: &mut Vec<Effect>) {
    let Some(path) = w.export.exists.take() else {
        return;
    };
    match (yes, w.export.passphrase.clone()) {
        (true, Some(p)) => {
            w.export.busy = true;
            w.export.error = None;
            fx.push(bundle_effect(w, p, Overwrite::Replace));
        }
        _ => {
            w.export.error = Some(format!("{} {}", texts().export.kept, path.display()));
            w.export.focus = 2;
            w.revealed = false;
        }
    }
}

/// From the review page: the support report (no password: only whether one was typed).
pub fn save_report(w: &mut Wizard, fx: &mut Vec<Effect>) {
    if w.page != Page::Review || w.platform.is_none() {
        return;
    }
    let text = crate::bundle::support_report(&w.answers, &reports(w));
    fx.push(Effect::SaveReport {
        file_name: REPORT_FILE.into(),
        text,
    });
}

/// Runtime side: encrypts and writes the bundle as `default_file_name(domain, today)` in
/// `dir`. Blocking (scrypt): call it off the UI thread. An existing file comes back as
/// [`Msg::ExportExists`] so the wizard can ask.
pub fn write_bundle(
    dir: &std::path::Path,
    answers: &crate::answers::Answers,
    reports: &[CheckReport],
    passphrase: &SecretString,
    overwrite: Overwrite,
) -> Msg {
    write_bundle_as(dir, None, answers, reports, passphrase, overwrite)
}

/// [`write_bundle`] under `file_name` (the opened bundle's name) when there is one.
pub fn write_bundle_as(
    dir: &std::path::Path,
    file_name: Option<&str>,
    answers: &crate::answers::Answers,
    reports: &[CheckReport],
    passphrase: &SecretString,
    overwrite: Overwrite,
) -> Msg {
    let sub = match crate::bundle::Submission::new(answers, reports) {
        Ok(s) => s,
        Err(e) => return Msg::Exported(Err(e.to_string())),
    };
    let path = dir.join(bundle_file_name(file_name, answers));
    match crate::bundle::write_bundle(
        &path,
        &sub,
        passphrase,
        crate::bundle::WORK_FACTOR,
        overwrite,
    ) {
        Ok(()) => Msg::Exported(Ok(path)),
        Err(crate::bundle::BundleError::Exists(p)) => Msg::ExportExists(p),
        Err(e) => Msg::Exported(Err(e.to_string())),
    }
}

/// The name a bundle is written under: the one given, else
/// `default_file_name(domain, today)`.
pub fn bundle_file_name(given: Option<&str>, answers: &crate::answers::Answers) -> String {
    match given.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => n.to_string(),
        None => {
            let domain = answers.account_domain().unwrap_or_default();
            let today = time::OffsetDateTime::now_utc().date();
            crate::bundle::default_file_name(&domain, today)
        }
    }
}

/// Runtime side: writes the support report (atomic, owner-only, replacing an older report).
pub fn write_report(dir: &std::path::Path, file_name: &str, text: &str) -> Msg {
    let path = dir.join(file_name);
    let r = crate::bundle::atomic::write(&path, text.as_bytes(), Overwrite::Replace)
        .map(|_| path)
        .map_err(|e| e.to_string());
    Msg::ReportSaved(r)
}
