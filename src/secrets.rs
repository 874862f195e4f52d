//! Optional OS keychain behind a trait (Windows Credential Manager, macOS Keychain, Secret
//! Service), with an in-memory store for tests. The keychain is a convenience: when none is
//! available the wizard says so once and carries on; the encrypted bundle is the durable path.
//!
//! Must not install a process-wide default keyring store (so tests and other code never get a
//! platform store behind their back), must not log or put a secret in an error, and must not
//! store anything larger than one secret per entry (Windows limits a credential to ~2.5 KB).

use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The service name every entry is filed under in the OS keychain.
pub const SERVICE: &str = "moxi-setup";

/// Which kind of store this is (shown as "remembered in Windows Credential Manager").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    WindowsCredentialManager,
    MacosKeychain,
    SecretService,
    /// In memory only (tests); forgotten when the program ends.
    Memory,
}

impl StoreKind {
    pub fn label(self) -> &'static str {
        match self {
            StoreKind::WindowsCredentialManager => "Windows Credential Manager",
            StoreKind::MacosKeychain => "macOS Keychain",
            StoreKind::SecretService => "the desktop password vault (Secret Service)",
            StoreKind::Memory => "memory (not kept)",
        }
    }
}

/// Why the keychain could not be used. Never holds a secret.
#[derive(Debug, thiserror::Error)]
pub enum SecretStoreError {
    /// No keychain on this computer (headless Linux, no session bus, a locked vault...).
    #[error("{message}")]
    Unavailable { message: String, detail: String },
    /// The keychain answered with an error for this entry.
    #[error("the password vault refused the request: {0}")]
    Failed(String),
}

impl SecretStoreError {
    fn unavailable(detail: impl Into<String>) -> SecretStoreError {
        SecretStoreError::Unavailable {
            message: crate::bundle::text::t("keychain.unavailable").to_string(),
            detail: detail.into(),
        }
    }
}

/// A place to remember secrets between sittings, keyed by a short name such as
/// `service_password:moxiengage@contoso.com`.
pub trait SecretStore: Send + Sync {
    /// The secret under `key`, or `None` when nothing is stored there.
    fn get(&self, key: &str) -> Result<Option<SecretString>, SecretStoreError>;
    /// Stores (or replaces) the secret under `key`.
    fn set(&self, key: &str, value: &SecretString) -> Result<(), SecretStoreError>;
    /// Forgets `key`; forgetting something not stored is not an error.
    fn delete(&self, key: &str) -> Result<(), SecretStoreError>;
    fn kind(&self) -> StoreKind;
}

/// The key under which a service account's password is remembered.
pub fn password_key(service_account: &str) -> String {
    format!(
        "service_password:{}",
        service_account.trim().to_ascii_lowercase()
    )
}

/// In-memory store for tests (and for a run that should remember nothing).
#[derive(Default, Clone)]
pub struct MemoryStore {
    inner: Arc<Mutex<HashMap<String, SecretString>>>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.inner.lock().map(|m| m.len()).unwrap_or(0);
        write!(f, "MemoryStore({n} entries)")
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<SecretString>, SecretStoreError> {
        let m = self
            .inner
            .lock()
            .map_err(|_| SecretStoreError::Failed("memory store poisoned".into()))?;
        Ok(m.get(key).cloned())
    }
    fn set(&self, key: &str, value: &SecretString) -> Result<(), SecretStoreError> {
        let mut m = self
            .inner
            .lock()
            .map_err(|_| SecretStoreError::Failed("memory store poisoned".into()))?;
        m.insert(key.to_string(), value.clone());
        Ok(())
    }
    fn delete(&self, key: &str) -> Result<(), SecretStoreError> {
        let mut m = self
            .inner
            .lock()
            .map_err(|_| SecretStoreError::Failed("memory store poisoned".into()))?;
        m.remove(key);
        Ok(())
    }
    fn kind(&self) -> StoreKind {
        StoreKind::Memory
    }
}

/// The OS keychain, through keyring-core and this platform's store crate. Entries are built
/// from this store directly, never from keyring-core's global default store.
pub struct KeychainStore {
    store: Arc<keyring_core::CredentialStore>,
    kind: StoreKind,
}

impl std::fmt::Debug for KeychainStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeychainStore({})", self.kind.label())
    }
}

fn map_err(e: keyring_core::Error) -> SecretStoreError {
    match e {
        keyring_core::Error::PlatformFailure(p) | keyring_core::Error::NoStorageAccess(p) => {
            SecretStoreError::unavailable(p.to_string())
        }
        keyring_core::Error::NoDefaultStore => SecretStoreError::unavailable("no store"),
        // Other variants can carry stored bytes (BadEncoding, BadDataFormat): keep only the
        // kind of failure, never the data.
        keyring_core::Error::BadEncoding(_) => {
            SecretStoreError::Failed("stored value is not text".into())
        }
        keyring_core::Error::BadDataFormat(_, _) => {
            SecretStoreError::Failed("stored value is malformed".into())
        }
        other => SecretStoreError::Failed(other.to_string()),
    }
}

#[cfg(target_os = "windows")]
fn platform_store() -> Result<(Arc<keyring_core::CredentialStore>, StoreKind), keyring_core::Error>
{
    let s: Arc<keyring_core::CredentialStore> = windows_native_keyring_store::Store::new()?;
    Ok((s, StoreKind::WindowsCredentialManager))
}

#[cfg(target_os = "macos")]
fn platform_store() -> Result<(Arc<keyring_core::CredentialStore>, StoreKind), keyring_core::Error>
{
    let s: Arc<keyring_core::CredentialStore> = apple_native_keyring_store::keychain::Store::new()?;
    Ok((s, StoreKind::MacosKeychain))
}

#[cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
))]
fn platform_store() -> Result<(Arc<keyring_core::CredentialStore>, StoreKind), keyring_core::Error>
{
    let s: Arc<keyring_core::CredentialStore> = zbus_secret_service_keyring_store::Store::new()?;
    Ok((s, StoreKind::SecretService))
}

#[cfg(not(any(
    target_os = "windows",
    target_os = "macos",
    all(
        unix,
        not(any(target_os = "macos", target_os = "ios", target_os = "android"))
    )
)))]
fn platform_store() -> Result<(Arc<keyring_core::CredentialStore>, StoreKind), keyring_core::Error>
{
    Err(keyring_core::Error::NoDefaultStore)
}

const PROBE_USER: &str = "availability-probe";

impl KeychainStore {
    /// Opens this computer's keychain and checks it answers (a read of an entry that does not
    /// exist). On headless Linux this fails fast with [`SecretStoreError::Unavailable`], whose
    /// message is the one sentence to show the admin, once.
    pub fn open() -> Result<KeychainStore, SecretStoreError> {
        let (store, kind) = platform_store().map_err(map_err)?;
        let ks = KeychainStore { store, kind };
        match ks.entry(PROBE_USER)?.get_password() {
            Ok(_) | Err(keyring_core::Error::NoEntry) => Ok(ks),
            Err(keyring_core::Error::Ambiguous(_)) => Ok(ks),
            Err(e) => Err(match map_err(e) {
                SecretStoreError::Failed(d) => SecretStoreError::unavailable(d),
                u => u,
            }),
        }
    }

    fn entry(&self, key: &str) -> Result<keyring_core::Entry, SecretStoreError> {
        keyring_core::Entry::new_in_store(&self.store, SERVICE, key).map_err(map_err)
    }
}

impl SecretStore for KeychainStore {
    fn get(&self, key: &str) -> Result<Option<SecretString>, SecretStoreError> {
        match self.entry(key)?.get_password() {
            Ok(p) => Ok(Some(SecretString::from(p))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_err(e)),
        }
    }
    fn set(&self, key: &str, value: &SecretString) -> Result<(), SecretStoreError> {
        self.entry(key)?
            .set_password(value.expose_secret())
            .map_err(map_err)
    }
    fn delete(&self, key: &str) -> Result<(), SecretStoreError> {
        match self.entry(key)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_err(e)),
        }
    }
    fn kind(&self) -> StoreKind {
        self.kind
    }
}

/// The store the wizard should use, and the notice to show once when there is none.
pub struct OpenedStore {
    /// `None` when this computer has no usable keychain: skip "remember" and carry on.
    pub store: Option<Box<dyn SecretStore>>,
    /// The one sentence to show the admin when there is no keychain.
    pub notice: Option<String>,
}

/// Opens the OS keychain once. Never fails: without a keychain the caller gets `store: None`
/// and a notice to show once.
pub fn open_os_store() -> OpenedStore {
    match KeychainStore::open() {
        Ok(k) => OpenedStore {
            store: Some(Box::new(k)),
            notice: None,
        },
        Err(e) => {
            tracing::info!(reason = %match &e {
                SecretStoreError::Unavailable { detail, .. } => detail.as_str(),
                SecretStoreError::Failed(d) => d.as_str(),
            }, "no keychain; secrets will not be remembered");
            OpenedStore {
                store: None,
                notice: Some(e.to_string()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_round_trips_and_forgets() {
        let s = MemoryStore::new();
        let k = password_key(" MoxiEngage@Contoso.com ");
        assert_eq!(k, "service_password:moxiengage@contoso.com");
        assert!(s.get(&k).unwrap().is_none());
        s.set(&k, &SecretString::from("Canary-Pw-7f3a9c!")).unwrap();
        assert_eq!(
            s.get(&k).unwrap().unwrap().expose_secret(),
            "Canary-Pw-7f3a9c!"
        );
        // A clone shares the same entries (one store handed to several tasks).
        let c = s.clone();
        c.set(&k, &SecretString::from("second")).unwrap();
        assert_eq!(s.get(&k).unwrap().unwrap().expose_secret(), "second");
        s.delete(&k).unwrap();
        s.delete(&k).unwrap();
        assert!(s.get(&k).unwrap().is_none());
        assert_eq!(s.kind(), StoreKind::Memory);
        assert!(!format!("{s:?}").contains("second"));
    }

    #[test]
    fn the_trait_is_object_safe_for_the_wizard() {
        let boxed: Box<dyn SecretStore> = Box::new(MemoryStore::new());
        boxed.set("k", &SecretString::from("v")).unwrap();
        assert!(boxed.get("k").unwrap().is_some());
    }

    /// On this build machine (no session bus) the keychain must be reported unavailable,
    /// quickly and with the plain sentence, not a hang or a panic. Where a keychain exists the
    /// test checks a real round trip under a throwaway key instead.
    #[test]
    fn os_store_is_usable_or_says_why_once() {
        let opened = open_os_store();
        match opened.store {
            None => {
                let n = opened.notice.unwrap();
                assert!(n.contains("password vault"), "{n}");
                assert!(!n.contains("zbus"), "the notice is plain words: {n}");
            }
            Some(store) => {
                assert_ne!(store.kind(), StoreKind::Memory);
                let key = format!("test-{}", uuid::Uuid::new_v4());
                store.set(&key, &SecretString::from("v")).unwrap();
                assert_eq!(store.get(&key).unwrap().unwrap().expose_secret(), "v");
                store.delete(&key).unwrap();
                assert!(store.get(&key).unwrap().is_none());
            }
        }
    }
}
