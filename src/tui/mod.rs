//! The full-screen wizard: `Wizard` state, `Msg`, `Effect`, the pure `update` and `view`, the
//! keymap (footer and help drawn from it), and the thin tokio runtime that owns the terminal.
//!
//! Must not do I/O in `update` or `view`; only [`runtime`] touches the terminal, files and
//! the network (through `crate::checks::run`).

pub mod details;
pub mod export;
pub mod keychain;
pub mod keymap;
pub mod model;
pub mod open;
pub mod runtime;
pub mod texts;
pub mod theme;
pub mod update;
pub mod view;

pub use model::{
    CheckState, Effect, Focus, Guides, Msg, OpenFailure, OpenState, OpenedBundle, Overlay, Page,
    StartChoice, UiOptions, Wizard,
};
pub use runtime::run_wizard;
pub use update::update;
pub use view::view;
