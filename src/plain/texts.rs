//! The plain mode's own words, from the embedded `assets/plain/texts.toml`, looked up by
//! `section.key` with `{name}` placeholders. Words shared with the full-screen wizard come from
//! [`crate::tui::texts`] instead. Holds no logic; a test checks every key the code uses exists.

use std::sync::OnceLock;

const TEXTS_TOML: &str = include_str!("../../assets/plain/texts.toml");

fn table() -> &'static toml::Table {
    static T: OnceLock<toml::Table> = OnceLock::new();
    T.get_or_init(|| TEXTS_TOML.parse::<toml::Table>().unwrap_or_default())
}

/// The text at `section.key`; the key itself if missing (a test keeps that from shipping).
pub fn t(key: &'static str) -> &'static str {
    lookup(key).unwrap_or(key)
}

fn lookup(key: &str) -> Option<&'static str> {
    let (section, name) = key.split_once('.')?;
    table().get(section)?.as_table()?.get(name)?.as_str()
}

/// [`t`] with `{name}` placeholders filled in.
pub fn tf(key: &'static str, args: &[(&str, &str)]) -> String {
    let mut s = t(key).to_string();
    for (k, v) in args {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

/// Every key the plain mode looks up (kept in one place so the test below covers them all).
pub const KEYS: &[&str] = &[
    "start.intro",
    "start.prompt",
    "demo.prompt",
    "resume.prompt",
    "other.prompt",
    "open.from_env",
    "open.piped",
    "open.env_wrong",
    "open.unlocking",
    "open.unlocked",
    "open.not_unlocked",
    "open.start_without",
    "screen.step_one",
    "screen.step_many",
    "screen.note",
    "screen.commands_begin",
    "screen.commands_end",
    "screen.actions",
    "screen.earlier",
    "screen.blocked",
    "fields.empty",
    "fields.secret_set",
    "fields.yes",
    "fields.no",
    "fields.yes_no",
    "fields.invalid",
    "fields.still_invalid",
    "fields.secret_no_echo",
    "fields.secret_from_env",
    "fields.secret_piped",
    "fields.secret_read_failed",
    "checks.checking",
    "checks.passed",
    "checks.warned",
    "checks.failed",
    "checks.see_step",
    "checks.skipped",
    "checks.not_available",
    "checks.what_to_do",
    "checks.command",
    "review.intro",
    "review.prompt",
    "review.ok",
    "review.needs_fixing",
    "export.folder",
    "export.no_folder",
    "export.exists",
    "export.failed_checks",
    "export.not_run",
    "export.passphrase",
    "export.passphrase_again",
    "export.passphrase_from_env",
    "export.passphrase_piped",
    "export.writing",
    "export.written",
    "export.send",
    "export.finished",
    "general.plain_banner",
    "general.unknown",
    "general.ended",
    "general.ended_nothing",
    "general.stopped",
    "general.quit",
    "general.goto_usage",
    "general.help",
    "general.field_help",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_exists() {
        assert!(TEXTS_TOML.parse::<toml::Table>().is_ok());
        for k in KEYS {
            assert!(lookup(k).is_some(), "missing text {k}");
        }
    }

    #[test]
    fn placeholders_are_filled() {
        let s = tf("checks.checking", &[("what", "Tenant exists")]);
        assert_eq!(s, "Checking Tenant exists… ");
    }
}
