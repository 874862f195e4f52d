//! Logging to a file only (never the screen): tracing + tracing-appender in the platform's
//! state folder. Secrets are `SecretString` and print as `[REDACTED]`; SOAP/HTTP bodies are
//! never logged, only status, timing and correlation ids.

use crate::paths::Dirs;
use tracing_appender::non_blocking::WorkerGuard;

/// Starts file logging; keep the guard alive for the whole run. Returns `None` (and logs
/// nothing) if the log folder cannot be created — logging must never stop the wizard.
pub fn init(dirs: &Dirs, level: &str) -> Option<WorkerGuard> {
    std::fs::create_dir_all(&dirs.logs).ok()?;
    let appender = tracing_appender::rolling::never(&dirs.logs, "moxi-setup.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_new(level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(writer)
        .try_init()
        .ok()?;
    Some(guard)
}
