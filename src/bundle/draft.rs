//! The non-secret draft that lets an admin resume: platform, current screen, the non-secret
//! answers and the last check results. Saved atomically (owner-only) on every screen change.
//!
//! Must never hold a secret: there is no password field here on purpose, and a test asserts a
//! planted password never reaches the file. A damaged file is reported, never a crash.

use crate::answers::{Answers, Platform};
use crate::bundle::atomic::{self, AtomicError, Overwrite};
use crate::checks::CheckReport;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Format version written into every draft; older or newer versions are treated as damaged.
pub const DRAFT_VERSION: u32 = 1;

/// What the admin has done so far, minus every secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub version: u32,
    pub platform: Option<Platform>,
    /// The screen id (`m365-app-registration`), or `review` / `export`.
    #[serde(default)]
    pub screen: String,
    #[serde(default)]
    pub answers: DraftAnswers,
    #[serde(default)]
    pub checks: Vec<CheckReport>,
}

/// The non-secret answers, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftAnswers {
    #[serde(default)]
    pub service_account: String,
    #[serde(default)]
    pub test_user: String,
    #[serde(default)]
    pub tenant: String,
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub ews_url: String,
    #[serde(default)]
    pub ignore_tls_trust: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub outside_host: String,
}

impl DraftAnswers {
    /// Copies the non-secret parts of `a`; the password is left behind by construction.
    pub fn from_answers(a: &Answers) -> DraftAnswers {
        DraftAnswers {
            service_account: a.service_account.clone(),
            test_user: a.test_user.clone(),
            tenant: a.tenant.clone(),
            client_id: a.client_id.clone(),
            ews_url: a.ews_url.clone(),
            ignore_tls_trust: a.ignore_tls_trust,
            outside_host: a.outside_host.clone(),
        }
    }

    /// Fills the non-secret fields of `a` (the password stays as it is: never in a draft).
    pub fn apply_to(&self, a: &mut Answers) {
        a.service_account = self.service_account.clone();
        a.test_user = self.test_user.clone();
        a.tenant = self.tenant.clone();
        a.client_id = self.client_id.clone();
        a.ews_url = self.ews_url.clone();
        a.ignore_tls_trust = self.ignore_tls_trust;
        a.outside_host = self.outside_host.clone();
    }
}

/// Why a saved draft could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error("the saved progress in {path} could not be read ({reason})")]
    Damaged { path: PathBuf, reason: String },
    #[error("the saved progress in {path} could not be opened: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Reads the draft; `Ok(None)` when there is none yet.
pub fn load(path: &Path) -> Result<Option<Draft>, DraftError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(DraftError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let draft: Draft = serde_json::from_slice(&bytes).map_err(|e| DraftError::Damaged {
        path: path.to_path_buf(),
        reason: format!("not valid draft data at line {}", e.line()),
    })?;
    if draft.version != DRAFT_VERSION {
        return Err(DraftError::Damaged {
            path: path.to_path_buf(),
            reason: format!(
                "it was written by a different version of this tool (format {})",
                draft.version
            ),
        });
    }
    Ok(Some(draft))
}

/// Writes the draft atomically, owner-only.
pub fn save(path: &Path, draft: &Draft) -> Result<(), AtomicError> {
    let mut bytes = serde_json::to_vec_pretty(draft).map_err(|e| AtomicError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    })?;
    bytes.push(b'\n');
    atomic::write(path, &bytes, Overwrite::Replace)
}

/// Moves a damaged draft aside (`draft.damaged.json`) so support can look at it and the next
/// autosave starts clean. Returns where it went.
pub fn set_aside(path: &Path) -> Option<PathBuf> {
    let aside = path.with_extension("damaged.json");
    std::fs::rename(path, &aside).ok().map(|_| aside)
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    #[test]
    fn round_trip_without_password() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("draft.json");
        assert!(load(&p).unwrap().is_none());
        let a = Answers {
            service_account: "moxiengage@contoso.com".into(),
            service_password: Some(SecretString::from("Canary-Pw-991")),
            client_id: "x".into(),
            ..Answers::default()
        };
        let d = Draft {
            version: DRAFT_VERSION,
            platform: Some(Platform::Microsoft365),
            screen: "m365-service-account".into(),
            answers: DraftAnswers::from_answers(&a),
            checks: vec![],
        };
        save(&p, &d).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(!text.contains("Canary-Pw-991"));
        assert_eq!(load(&p).unwrap().unwrap(), d);
    }

    #[test]
    fn damaged_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("draft.json");
        std::fs::write(&p, b"{ not json").unwrap();
        assert!(matches!(load(&p), Err(DraftError::Damaged { .. })));
        std::fs::write(&p, br#"{"version": 99}"#).unwrap();
        assert!(matches!(load(&p), Err(DraftError::Damaged { .. })));
        let aside = set_aside(&p).unwrap();
        assert!(aside.exists() && !p.exists());
    }
}
