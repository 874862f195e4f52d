//! Encrypting and decrypting bundle files: age with a passphrase (scrypt), ASCII-armored, the
//! plaintext JSON only ever in zeroizing memory, files written through [`super::atomic`].
//! Must not write plaintext anywhere, and must not pick a work factor by timing the machine.

use super::atomic::{self, AtomicError, Overwrite};
use super::text::{t, tf};
use super::wire::{Probe, WireV1};
use super::{FORMAT_NAME, FORMAT_VERSION, Submission};
use age::secrecy::SecretString;
use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// scrypt work factor (log2 N) every bundle is written with: the age reference default, about
/// half a second here. Pinned rather than calibrated so a bundle made on a fast computer still
/// opens on a slow one (TUI-ECOSYSTEM.md §3.8, str4d/rage#642).
pub const WORK_FACTOR: u8 = 18;

/// The highest work factor a bundle may ask for when read: above this, scrypt needs gigabytes
/// of memory, so a file asking for more is refused rather than tried.
pub const MAX_WORK_FACTOR: u8 = 22;

/// A low work factor for tests only (fast); never used by the tool itself.
pub const TEST_WORK_FACTOR: u8 = 2;

/// Why a bundle could not be written or read, each in plain words (via `Display`).
#[derive(Debug)]
pub enum BundleError {
    /// The passphrase does not open the bundle.
    WrongPassphrase,
    /// The file looks like a bundle but is damaged or cut short.
    Damaged,
    /// The file is not an age file at all, or decrypts to something that is not a bundle.
    NotABundle,
    /// An age file encrypted to a key, not to a passphrase.
    NotPassphraseProtected,
    /// Made by a newer moxi-setup.
    NewerFormat { found: u32, supported: u32 },
    /// The file asks for more scrypt work than [`MAX_WORK_FACTOR`].
    TooMuchWork { required: u8, max: u8 },
    /// The target exists and the caller did not say to replace it.
    Exists(PathBuf),
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The submission cannot be built yet.
    Incomplete { what: String },
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleError::WrongPassphrase => f.write_str(t("error.wrong_passphrase")),
            BundleError::Damaged => f.write_str(t("error.damaged")),
            BundleError::NotABundle => f.write_str(t("error.not_a_bundle")),
            BundleError::NotPassphraseProtected => f.write_str(t("error.not_passphrase")),
            BundleError::NewerFormat { found, supported } => f.write_str(&tf(
                "error.newer_format",
                &[
                    ("found", &found.to_string()),
                    ("supported", &supported.to_string()),
                ],
            )),
            BundleError::TooMuchWork { required, max } => f.write_str(&tf(
                "error.too_much_work",
                &[
                    ("required", &required.to_string()),
                    ("max", &max.to_string()),
                ],
            )),
            BundleError::Exists(p) => {
                f.write_str(&tf("error.exists", &[("path", &p.display().to_string())]))
            }
            BundleError::Io { path, source } => f.write_str(&tf(
                "error.io",
                &[
                    ("path", &path.display().to_string()),
                    ("reason", &source.to_string()),
                ],
            )),
            BundleError::Incomplete { what } => {
                f.write_str(&tf("error.incomplete", &[("what", what)]))
            }
        }
    }
}

impl std::error::Error for BundleError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BundleError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<AtomicError> for BundleError {
    fn from(e: AtomicError) -> Self {
        match e {
            AtomicError::Exists(p) => BundleError::Exists(p),
            AtomicError::Io { path, source } => BundleError::Io { path, source },
        }
    }
}

/// Counts bytes so the plaintext buffer can be sized once: a growing `Vec` would leave
/// un-zeroed copies of the password behind in freed memory.
struct Counter(usize);
impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn plaintext(submission: &Submission) -> Result<Zeroizing<Vec<u8>>, BundleError> {
    let wire = WireV1::from_submission(submission);
    let json_err = |e: serde_json::Error| BundleError::Io {
        path: PathBuf::new(),
        source: std::io::Error::other(e.to_string()),
    };
    let mut counter = Counter(0);
    serde_json::to_writer_pretty(&mut counter, &wire).map_err(json_err)?;
    let mut buf = Zeroizing::new(Vec::with_capacity(counter.0));
    serde_json::to_writer_pretty(&mut *buf, &wire).map_err(json_err)?;
    Ok(buf)
}

/// Encrypts `submission` with `passphrase` and writes it to `path`: armored age, scrypt at
/// `work_factor` (use [`WORK_FACTOR`]; tests pass [`TEST_WORK_FACTOR`]), atomically (temporary
/// file in the same folder, fsync, rename), owner-only. With [`Overwrite::Refuse`] an existing
/// file gives [`BundleError::Exists`] and is left alone. Takes about half a second at the real
/// work factor: call it off the UI thread.
pub fn write_bundle(
    path: &Path,
    submission: &Submission,
    passphrase: &SecretString,
    work_factor: u8,
    overwrite: Overwrite,
) -> Result<(), BundleError> {
    let plain = plaintext(submission)?;
    let mut recipient = age::scrypt::Recipient::new(passphrase.clone());
    recipient.set_work_factor(work_factor.clamp(1, MAX_WORK_FACTOR));
    let armored = age::encrypt_and_armor(&recipient, &plain).map_err(|e| BundleError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })?;
    drop(plain);
    if let Some(dir) = path.parent() {
        sweep_stale_temps(dir, STALE_TEMP_AGE);
    }
    atomic::write(path, armored.as_bytes(), overwrite)?;
    Ok(())
}

/// How old a leftover temporary file must be before it is cleared away: far longer than any
/// write takes, so a write still in progress (another moxi-setup) is never touched.
pub const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Removes temporary files that [`atomic::write`] left behind in `dir` when a process was
/// killed before its rename (a write that merely fails cleans up after itself). They never
/// hold a whole bundle and never plaintext, but they should not pile up beside the bundles.
/// Returns how many were removed.
pub fn sweep_stale_temps(dir: &Path, older_than: std::time::Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        // The prefix and suffix atomic::write gives its temporary files.
        if !(name.starts_with(".moxi-setup-") && name.ends_with(".tmp")) {
            continue;
        }
        let old = e
            .metadata()
            .ok()
            .filter(|m| m.is_file())
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= older_than);
        if old && std::fs::remove_file(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// No real bundle comes near this (a few kilobytes, a few megabytes with large evidence); a
/// bigger file is not read into memory at all.
pub const MAX_BUNDLE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads and decrypts the bundle at `path`.
pub fn read_bundle(path: &Path, passphrase: &SecretString) -> Result<Submission, BundleError> {
    let io = |source| BundleError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_BUNDLE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_BUNDLE_BYTES {
        return Err(BundleError::NotABundle);
    }
    read_bundle_bytes(&bytes, passphrase)
}

const ARMOR_BEGIN: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";
const BINARY_MAGIC: &[u8] = b"age-encryption.org/";

fn looks_like_age(bytes: &[u8]) -> bool {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let b = &bytes[start..];
    b.starts_with(ARMOR_BEGIN) || b.starts_with(BINARY_MAGIC)
}

/// Decrypts a bundle held in memory (a pasted armored text, a received attachment).
pub fn read_bundle_bytes(
    bytes: &[u8],
    passphrase: &SecretString,
) -> Result<Submission, BundleError> {
    if !looks_like_age(bytes) {
        return Err(BundleError::NotABundle);
    }
    // Each stage of age fails differently; keeping them apart is what lets a wrong passphrase
    // be told from a damaged file.
    let decryptor = age::Decryptor::new_buffered(age::armor::ArmoredReader::new(bytes)).map_err(
        |e| match e {
            age::DecryptError::UnknownFormat => BundleError::NotABundle,
            _ => BundleError::Damaged,
        },
    )?;
    if !decryptor.is_scrypt() {
        return Err(BundleError::NotPassphraseProtected);
    }
    let mut identity = age::scrypt::Identity::new(passphrase.clone());
    identity.set_max_work_factor(MAX_WORK_FACTOR);
    let mut reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::DecryptionFailed | age::DecryptError::KeyDecryptionFailed => {
                BundleError::WrongPassphrase
            }
            age::DecryptError::ExcessiveWork { required, .. } => BundleError::TooMuchWork {
                required,
                max: MAX_WORK_FACTOR,
            },
            age::DecryptError::NoMatchingKeys => BundleError::NotPassphraseProtected,
            _ => BundleError::Damaged,
        })?;
    // The plaintext is never larger than the file, so one allocation holds it all.
    let mut plain = Zeroizing::new(Vec::with_capacity(bytes.len()));
    reader
        .read_to_end(&mut plain)
        .map_err(|_| BundleError::Damaged)?;
    let probe: Probe = serde_json::from_slice(&plain).map_err(|_| BundleError::NotABundle)?;
    if probe.format.as_deref() != Some(FORMAT_NAME) {
        return Err(BundleError::NotABundle);
    }
    match probe.format_version {
        Some(v) if v > FORMAT_VERSION => Err(BundleError::NewerFormat {
            found: v,
            supported: FORMAT_VERSION,
        }),
        Some(v) if v >= 1 => {
            let wire: WireV1 = serde_json::from_slice(&plain).map_err(|_| BundleError::Damaged)?;
            Ok(wire.into_submission())
        }
        _ => Err(BundleError::NotABundle),
    }
}

/// The scrypt work factor a bundle file was written with, read from its header without the
/// passphrase (`None` if it is not a passphrase-protected age file).
pub fn work_factor_of(bytes: &[u8]) -> Option<u8> {
    let mut binary = Vec::new();
    age::armor::ArmoredReader::new(bytes)
        .take(64 * 1024)
        .read_to_end(&mut binary)
        .ok()?;
    let header_end = binary
        .windows(4)
        .position(|w| w == b"\n---")
        .unwrap_or(binary.len());
    let header = std::str::from_utf8(&binary[..header_end]).ok()?;
    header
        .lines()
        .find_map(|l| l.strip_prefix("-> scrypt "))
        .and_then(|rest| rest.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
}
