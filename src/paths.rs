//! Where files live: the platform's data directory (draft), state/log directory, and the
//! default folder for bundles. `MOXI_SETUP_HOME` overrides the base folder (tests, portable use).

use std::path::PathBuf;

/// Folders used by the tool.
#[derive(Debug, Clone)]
pub struct Dirs {
    /// Draft and saved scripts.
    pub data: PathBuf,
    /// Log files.
    pub logs: PathBuf,
}

impl Dirs {
    /// Resolves the folders: `MOXI_SETUP_HOME` if set, else the platform's local data folder
    /// (`%LOCALAPPDATA%\MoxiWorks\moxi-setup` on Windows, `~/.local/share/moxi-setup` on Linux).
    pub fn resolve() -> Dirs {
        if let Some(home) = std::env::var_os("MOXI_SETUP_HOME").filter(|v| !v.is_empty()) {
            let base = PathBuf::from(home);
            return Dirs {
                data: base.join("data"),
                logs: base.join("logs"),
            };
        }
        match directories::ProjectDirs::from("com", "MoxiWorks", "moxi-setup") {
            Some(p) => Dirs {
                data: p.data_local_dir().to_path_buf(),
                logs: p.state_dir().unwrap_or(p.data_local_dir()).join("logs"),
            },
            None => {
                let base = std::env::temp_dir().join("moxi-setup");
                Dirs {
                    data: base.join("data"),
                    logs: base.join("logs"),
                }
            }
        }
    }

    /// The draft file (non-secret answers and position in the wizard).
    pub fn draft_file(&self) -> PathBuf {
        self.data.join("draft.json")
    }

    /// The log file.
    pub fn log_file(&self) -> PathBuf {
        self.logs.join("moxi-setup.log")
    }
}
