//! Atomic, owner-only file writes for files the user keeps (draft, bundles, scripts, reports):
//! a temporary file in the same folder, fsync, then rename over the target. A crash at any point
//! leaves either the old file or the new one, never a partial file.

use std::io::Write;
use std::path::Path;

/// What to do when the target already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    /// Replace it (draft autosave).
    Replace,
    /// Refuse with [`AtomicError::Exists`] (bundles: the admin is asked first).
    Refuse,
}

#[derive(Debug, thiserror::Error)]
pub enum AtomicError {
    #[error("{0} already exists")]
    Exists(std::path::PathBuf),
    #[error("cannot write {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// Writes `bytes` to `path` atomically with owner-only permissions (0600 on Unix; on Windows the
/// file inherits the per-user profile folder's ACL).
pub fn write(path: &Path, bytes: &[u8], overwrite: Overwrite) -> Result<(), AtomicError> {
    let io = |source| AtomicError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(io)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".moxi-setup-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(io)?;
    }
    tmp.write_all(bytes).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    match overwrite {
        Overwrite::Replace => {
            tmp.persist(path).map_err(|e| io(e.error))?;
        }
        Overwrite::Refuse => {
            tmp.persist_noclobber(path).map_err(|e| {
                if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                    AtomicError::Exists(path.to_path_buf())
                } else {
                    io(e.error)
                }
            })?;
        }
    }
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(&dir) {
        // Make the rename itself durable; failure here does not undo the write.
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_and_refuses() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        write(&p, b"one", Overwrite::Refuse).unwrap();
        assert!(matches!(
            write(&p, b"two", Overwrite::Refuse),
            Err(AtomicError::Exists(_))
        ));
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        write(&p, b"three", Overwrite::Replace).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"three");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }
}
