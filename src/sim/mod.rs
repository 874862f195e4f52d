//! The simulated tenant: Entra ID, Exchange Online and Exchange Server on loopback HTTPS,
//! built from real Microsoft captures, for `--demo` and the tests. Never used by production
//! code paths other than `--demo` and `sim serve`.
//!
//! (Skeleton: the simulated-tenant work fills this in.)

use crate::cli::SimCommand;
use std::process::ExitCode;

pub fn cli(cmd: SimCommand) -> ExitCode {
    let _ = cmd;
    eprintln!("moxi-setup sim: not available yet");
    ExitCode::from(crate::cli::EXIT_USAGE)
}
