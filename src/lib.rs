//! moxi-setup: a terminal wizard that connects an office's Microsoft 365 or Exchange Server
//! mailboxes to MoxiEngage, checking every answer live against the admin's own tenant.
//!
//! Layers (dependencies point down only; see `docs/architecture.md`):
//! - [`guide`]: the written guides as data (sections, numbered steps, fields, checks).
//! - [`answers`]: what the admin typed, typed and validated; secrets in `secrecy` types.
//! - [`protocol`]: pure wire code (OAuth, JWT peek, EWS SOAP, Autodiscover). No I/O.
//! - [`net`]: the one shared HTTPS client (timeouts, `--ca-file`, `--resolve`, trust choices).
//! - [`checks`]: the live-validation engine; one report per check, each mapped to a guide step.
//! - [`bundle`]: the encrypted submission bundle, the non-secret draft, atomic owner-only files.
//! - [`secrets`]: the optional OS keychain behind a trait.
//! - [`tui`]: the full-screen wizard: pure `update` and `view`, and the thin async runtime.
//! - [`plain`]: the same wizard as numbered line prompts (screen readers, pipes).
//! - [`sim`]: the simulated tenant for `--demo` and tests. Never used by production paths.
//! - [`headless`]: `moxi-setup check` / `bundle open`: answers files, JSON output, exit codes.
//! - [`cli`]: the command-line surface (clap) and front-end choice.

pub mod answers;
pub mod bundle;
pub mod checks;
pub mod cli;
pub mod guide;
pub mod headless;
pub mod logging;
pub mod net;
pub mod paths;
pub mod plain;
pub mod protocol;
pub mod secrets;
pub mod sim;
pub mod tui;
