//! Opening a saved bundle in the wizard (`--open FILE.age`) to resume or fix it: the passphrase
//! page, what a failed try means (a wrong passphrase is asked again; a damaged file, a file that
//! is not a bundle or one from a newer version offers to start without it), and loading the
//! bundle's answers, platform and recorded check results before landing on the review.
//!
//! Pure like `update`: the runtime decrypts from the [`Effect::OpenBundle`] made here and
//! answers with [`Msg::BundleOpened`]. The runtime-side helpers are [`precheck`] (before any
//! screen) and [`read`] (blocking, off the UI thread). The passphrase and the loaded password
//! stay in secrecy types; the draft saved after opening never holds the password.

use super::model::{CheckState, Effect, ExportState, Msg, OpenFailure, OpenedBundle, Page, Wizard};
use super::texts::texts;
use crate::bundle::text::tf;
use crate::bundle::{BundleError, Submission};
use secrecy::{ExposeSecret, SecretString};
use std::path::{Path, PathBuf};

/// The passphrase field has the keyboard (not while decrypting, not after a fatal failure).
pub fn typing(w: &Wizard) -> bool {
    w.page == Page::OpenBundle && w.opening.as_ref().is_some_and(|o| !o.busy && !o.failed())
}

/// The bundle cannot be opened: only "start without it" and quit are left.
pub fn failed(w: &Wizard) -> bool {
    w.page == Page::OpenBundle && w.opening.as_ref().is_some_and(|o| o.failed())
}

/// The passphrase slot, while it can be typed into.
pub fn passphrase_slot(w: &mut Wizard) -> Option<&mut Option<SecretString>> {
    if !typing(w) {
        return None;
    }
    w.opening.as_mut().map(|o| &mut o.passphrase)
}

/// Enter on the passphrase page: try the passphrase typed (plain mode sends it with
/// [`Msg::OpenWith`]), or start without a bundle that cannot be opened.
pub fn forward(w: &mut Wizard, fx: &mut Vec<Effect>) {
    if failed(w) {
        start_without(w);
    } else {
        submit(w, fx);
    }
}

/// Sets the passphrase (plain mode) and tries it.
pub fn try_passphrase(w: &mut Wizard, passphrase: SecretString, fx: &mut Vec<Effect>) {
    if let Some(slot) = passphrase_slot(w) {
        *slot = Some(passphrase);
        submit(w, fx);
    }
}

/// Asks the runtime to decrypt the bundle with the passphrase typed.
fn submit(w: &mut Wizard, fx: &mut Vec<Effect>) {
    if !typing(w) {
        return;
    }
    w.revealed = false;
    let Some(o) = w.opening.as_mut() else { return };
    let Some(p) = o
        .passphrase
        .clone()
        .filter(|p| !p.expose_secret().is_empty())
    else {
        o.error = Some(OpenFailure::AskAgain(texts().open.empty.clone()));
        return;
    };
    o.busy = true;
    o.error = None;
    fx.push(Effect::OpenBundle {
        path: o.path.clone(),
        passphrase: p,
    });
}

/// The answer to "start without this bundle?" after it could not be opened: the wizard goes
/// on as if `--open` had not been given (the saved draft is offered, if there is one).
pub fn start_without(w: &mut Wizard) {
    if !failed(w) {
        return;
    }
    w.opening = None;
    w.after_demo_choice();
}

/// The runtime's answer: a wrong passphrase is asked again (the field emptied), any other
/// failure leaves the choice to start without the bundle, success loads it.
pub fn opened(w: &mut Wizard, result: Result<Box<Submission>, OpenFailure>, fx: &mut Vec<Effect>) {
    if w.page != Page::OpenBundle {
        return;
    }
    let Some(o) = w.opening.as_mut().filter(|o| o.busy) else {
        return;
    };
    o.busy = false;
    match result {
        Ok(sub) => load(w, *sub, fx),
        Err(e) => {
            if matches!(e, OpenFailure::AskAgain(_)) {
                o.passphrase = None;
            }
            o.error = Some(e);
        }
    }
}

/// Takes over everything the bundle holds and shows the review: every answer (the password
/// stays a secret), the platform, and each recorded check result, marked as recorded until
/// its check runs again.
fn load(w: &mut Wizard, sub: Submission, fx: &mut Vec<Effect>) {
    let Some(o) = w.opening.take() else { return };
    w.answers = sub.to_answers();
    w.platform = Some(sub.platform);
    w.inputs.clear();
    w.errors.clear();
    w.checks = sub
        .checks
        .into_iter()
        .map(|r| (r.id, CheckState::Recorded(r)))
        .collect();
    w.check_run = None;
    w.check_note = None;
    // The bundle replaces whatever draft was found at start.
    w.pending_draft = None;
    // A password that came in a bundle (perhaps on a MoxiWorks computer) is not offered for
    // this computer's keychain.
    w.keychain.answered = true;
    let opened = OpenedBundle {
        path: o.path,
        created_at: sub.created_at,
    };
    w.export = ExportState {
        folder: tui_input::Input::new(opened.folder().display().to_string()),
        ..ExportState::default()
    };
    w.status = Some(texts().open.opened.replace("{date}", &opened.date()));
    w.opened = Some(opened);
    w.cursor = 0;
    super::update::go_page(w, Page::Review, fx);
}

/// Runtime side, before any screen opens: the file given to `--open` must be a file that can
/// be read. Returns it as an absolute path (so the folder proposed at export is the real one),
/// or the sentence to print.
pub fn precheck(path: &Path) -> Result<PathBuf, String> {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let shown = abs.display().to_string();
    let unreadable = |e: std::io::Error| {
        tf(
            "open.unreadable",
            &[("path", &shown), ("reason", &e.to_string())],
        )
    };
    match std::fs::metadata(&abs) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(tf("open.missing", &[("path", &shown)]))
        }
        Err(e) => Err(unreadable(e)),
        Ok(m) if m.is_dir() => Err(tf("open.folder", &[("path", &shown)])),
        Ok(_) => match std::fs::File::open(&abs) {
            Ok(_) => Ok(abs),
            Err(e) => Err(unreadable(e)),
        },
    }
}

/// Runtime side: decrypts the bundle (blocking: scrypt takes about half a second at the real
/// work factor, so call it off the UI thread) and says how it went, in the wizard's terms.
pub fn read(path: &Path, passphrase: &SecretString) -> Msg {
    Msg::BundleOpened(match crate::bundle::read_bundle(path, passphrase) {
        Ok(s) => Ok(Box::new(s)),
        Err(e @ BundleError::WrongPassphrase) => Err(OpenFailure::AskAgain(e.to_string())),
        Err(e) => Err(OpenFailure::CannotOpen(e.to_string())),
    })
}
