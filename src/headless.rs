//! Headless front end: `moxi-setup check --answers|--bundle [--json]` and `bundle open`.
//! Reads the answers file (unknown keys and bad values are errors naming the key), takes the
//! password from `MOXI_SETUP_PASSWORD` or a no-echo prompt, runs the same engine as the wizard
//! and prints a report or one JSON object. Exit codes: 0 pass/warn, 1 a check failed, 2 input.
//!
//! (Skeleton: the bundle/headless work fills this in.)

use crate::cli::{CheckArgs, EXIT_USAGE, GlobalOpts};
use std::path::Path;
use std::process::ExitCode;

pub fn check(global: &GlobalOpts, args: CheckArgs) -> ExitCode {
    let _ = (global, args);
    eprintln!("moxi-setup check: not available yet");
    ExitCode::from(EXIT_USAGE)
}

pub fn bundle_open(global: &GlobalOpts, file: &Path, reveal: bool) -> ExitCode {
    let _ = (global, file, reveal);
    eprintln!("moxi-setup bundle open: not available yet");
    ExitCode::from(EXIT_USAGE)
}
