//! The full-screen wizard: `Wizard` state, `Msg`, `Effect`, the pure `update` and `view`, the
//! keymap (footer and help drawn from it), and the thin tokio runtime that owns the terminal.
//!
//! (Skeleton: the wizard-shell work fills this in.)

use crate::cli::WizardOptions;
use crate::paths::Dirs;
use std::process::ExitCode;

pub fn run_wizard(opts: WizardOptions, dirs: Dirs) -> ExitCode {
    let _ = (opts, dirs);
    eprintln!("moxi-setup: the wizard is not available yet");
    ExitCode::from(crate::cli::EXIT_USAGE)
}
