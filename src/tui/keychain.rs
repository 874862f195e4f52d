//! "Remember the password?" for the wizard: when the admin leaves the password field and the
//! OS keychain is there, ask once (y/n); on resume, ask the runtime to load a remembered one.
//! Pure: the keychain is touched only by the runtime through the [`Effect`]s made here.

use super::model::{Effect, Msg, Wizard};
use super::texts::texts;
use crate::answers::FieldId;
use secrecy::ExposeSecret;

/// What the wizard knows about the keychain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeychainState {
    /// The keychain's name ("Windows Credential Manager"); `None`: none (or not known yet).
    pub store: Option<String>,
    /// "Remember the password?" is waiting for y/n.
    pub asking: bool,
    /// The admin answered for this sitting (asked once, not at every field change).
    pub answered: bool,
}

/// The question is on screen.
pub fn asking(w: &Wizard) -> bool {
    w.keychain.asking
}

fn password_effect_key(w: &Wizard) -> Option<String> {
    let acct = w.answers.service_account.trim();
    (!acct.is_empty()).then(|| crate::secrets::password_key(acct))
}

/// After the draft is applied: load the remembered password when there is a keychain and no
/// password typed yet.
pub fn load_effect(w: &Wizard) -> Option<Effect> {
    if w.keychain.store.is_none() || w.answers.service_password.is_some() {
        return None;
    }
    password_effect_key(w).map(|key| Effect::LoadPassword { key })
}

/// Called when the admin leaves a field: offer to remember a newly typed password.
pub fn on_leave(w: &mut Wizard, f: FieldId) {
    let typed = w
        .answers
        .service_password
        .as_ref()
        .is_some_and(|p| !p.expose_secret().is_empty());
    if f.is_secret()
        && typed
        && w.keychain.store.is_some()
        && !w.keychain.answered
        && password_effect_key(w).is_some()
    {
        w.keychain.asking = true;
        let name = w.keychain.store.clone().unwrap_or_default();
        w.status = Some(format!("{} {name}? (y/n)", texts().keychain.offer));
    }
}

/// Handles the keychain messages; returns false when `msg` is not one of them.
pub fn on_msg(w: &mut Wizard, msg: &Msg, fx: &mut Vec<Effect>) -> bool {
    match msg {
        Msg::KeychainReady { store, notice } => {
            w.keychain.store = store.clone();
            // Said once, at start; the wizard carries on without a keychain.
            if let Some(n) = notice
                && w.status.is_none()
            {
                w.status = Some(n.clone());
            }
            if w.platform.is_some() {
                fx.extend(load_effect(w));
            }
        }
        Msg::RememberPassword(yes) => answer(w, *yes, fx),
        Msg::PasswordLoaded(Some(p)) => {
            if w.answers.service_password.is_none() {
                w.answers.service_password = Some(p.clone());
                w.keychain.answered = true;
                w.errors.remove(&FieldId::ServicePassword);
                w.status = Some(texts().keychain.loaded.clone());
            }
        }
        Msg::PasswordLoaded(None) => {}
        Msg::PasswordRemembered(r) => {
            w.status = Some(match r {
                Ok(()) => texts().keychain.remembered.clone(),
                Err(e) => format!("{} {e}", texts().keychain.failed),
            });
        }
        _ => return false,
    }
    true
}

/// The y/n answer to "remember the password?".
pub fn answer(w: &mut Wizard, yes: bool, fx: &mut Vec<Effect>) {
    if !w.keychain.asking {
        return;
    }
    w.keychain.asking = false;
    w.keychain.answered = true;
    w.status = None;
    if !yes {
        return;
    }
    if let (Some(key), Some(secret)) = (password_effect_key(w), w.answers.service_password.clone())
    {
        fx.push(Effect::StorePassword { key, secret });
    }
}
