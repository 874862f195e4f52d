//! The passphrase strength hint and the refusal of trivially weak passphrases, with the reason
//! in plain words. Must not keep, log or return any part of the passphrase.

use super::text::{t, tf};
use secrecy::{ExposeSecret, SecretString};

/// The shortest passphrase accepted.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// How hard an accepted passphrase looks to guess (a rough hint, not a promise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    Fair,
    Good,
    Strong,
}

impl Strength {
    /// The hint shown under the passphrase field.
    pub fn hint(self) -> &'static str {
        match self {
            Strength::Fair => t("passphrase.fair"),
            Strength::Good => t("passphrase.good"),
            Strength::Strong => t("passphrase.strong"),
        }
    }
}

// Bases of the passwords people pick first (plus this product's own names, which an attacker
// would try first against a MoxiEngage bundle). Compared after undoing common letter swaps
// and dropping trailing digits and symbols, so "P@ssw0rd2026!" matches "password".
const COMMON: &[&str] = &[
    "password",
    "passphrase",
    "letmein",
    "welcome",
    "qwerty",
    "iloveyou",
    "admin",
    "administrator",
    "changeme",
    "secret",
    "monkey",
    "dragon",
    "football",
    "baseball",
    "sunshine",
    "princess",
    "trustnoone",
    "trustno",
    "master",
    "shadow",
    "superman",
    "batman",
    "login",
    "abc",
    "test",
    "default",
    "microsoft",
    "office",
    "outlook",
    "exchange",
    "moxi",
    "moxiengage",
    "moxiworks",
    "realestate",
    "realtor",
];

const SEQUENCES: &[&str] = &[
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789",
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "1qaz2wsx3edc4rfv5tgb",
];

fn unleet(c: char) -> char {
    match c {
        '0' => 'o',
        '1' | '!' => 'i',
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' => 't',
        c => c,
    }
}

fn is_common(p: &str) -> bool {
    let lower = p.to_lowercase();
    let trimmed = lower
        .trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation() || c == ' ');
    let base: String = trimmed
        .chars()
        .map(unleet)
        .filter(|c| c.is_alphanumeric())
        .collect();
    if base.is_empty() {
        return false;
    }
    COMMON.iter().any(|w| {
        // "passwordpassword" is no better than "password".
        base.len().is_multiple_of(w.len()) && base == w.repeat(base.len() / w.len())
    })
}

fn is_sequence(p: &str) -> bool {
    let s: String = p
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    if s.len() < 4 {
        return false;
    }
    SEQUENCES.iter().any(|seq| {
        let fwd = seq.repeat(4);
        let rev: String = fwd.chars().rev().collect();
        fwd.contains(&s) || rev.contains(&s)
    })
}

/// Checks a passphrase: `Ok(strength)` to show as a hint, or `Err(reason)` in plain words
/// for a passphrase too weak to protect the bundle.
pub fn passphrase_strength(passphrase: &SecretString) -> Result<Strength, String> {
    passphrase_strength_vs(passphrase, None)
}

/// As [`passphrase_strength`], and also refuses the service account's own password.
pub fn passphrase_strength_vs(
    passphrase: &SecretString,
    service_password: Option<&SecretString>,
) -> Result<Strength, String> {
    let p = passphrase.expose_secret();
    let len = p.chars().count();
    if p.trim().is_empty() {
        return Err(t("passphrase.empty").to_string());
    }
    if let Some(pw) = service_password
        && pw.expose_secret() == p
    {
        return Err(t("passphrase.same_as_password").to_string());
    }
    if len < MIN_PASSPHRASE_CHARS {
        return Err(tf(
            "passphrase.too_short",
            &[("min", &MIN_PASSPHRASE_CHARS.to_string())],
        ));
    }
    let mut distinct: Vec<char> = p.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 5 {
        return Err(t("passphrase.repetitive").to_string());
    }
    if is_sequence(p) {
        return Err(t("passphrase.sequence").to_string());
    }
    if is_common(p) {
        return Err(t("passphrase.common").to_string());
    }
    let classes = [
        p.chars().any(|c| c.is_lowercase()),
        p.chars().any(|c| c.is_uppercase()),
        p.chars().any(|c| c.is_ascii_digit()),
        p.chars().any(|c| !c.is_alphanumeric()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    let words = p
        .split(|c: char| c.is_whitespace() || c == '-' || c == '_' || c == '.')
        .filter(|w| w.chars().count() >= 3)
        .count();
    Ok(if len >= 20 || words >= 4 || (len >= 16 && classes >= 3) {
        Strength::Strong
    } else if len >= 15 || classes >= 3 {
        Strength::Good
    } else {
        Strength::Fair
    })
}

/// The second typing of the passphrase must match the first; `Err(reason)` otherwise.
pub fn confirm_passphrase(first: &SecretString, second: &SecretString) -> Result<(), String> {
    if first.expose_secret() == second.expose_secret() {
        Ok(())
    } else {
        Err(t("passphrase.mismatch").to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(p: &str) -> Result<Strength, String> {
        passphrase_strength(&SecretString::from(p))
    }

    #[test]
    fn refuses_the_trivially_weak_with_a_reason() {
        for weak in [
            "",
            "   ",
            "short1!",
            "aaaaaaaaaaaaaaaa",
            "abababababab",
            "123456789012",
            "abcdefghijklm",
            "qwertyuiopas",
            "Password2026!",
            "P@ssw0rd12345",
            "passwordpassword",
            "MoxiEngage2026",
        ] {
            let err = s(weak).unwrap_err();
            assert!(!err.is_empty(), "{weak}");
            if weak.len() > 3 {
                assert!(!err.contains(weak), "reason must not repeat the passphrase");
            }
        }
    }

    #[test]
    fn reasons_are_distinct() {
        let short = s("abc").unwrap_err();
        let common = s("Password2026!").unwrap_err();
        let seq = s("123456789012").unwrap_err();
        let rep = s("aaaaaaaaaaaaaaaa").unwrap_err();
        let all = [&short, &common, &seq, &rep];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn accepts_and_grades() {
        assert_eq!(s("tulip-ladder-42").unwrap(), Strength::Good);
        assert_eq!(s("gravel orchid tin lantern").unwrap(), Strength::Strong);
        assert_eq!(s("zqmvhtrkwpla").unwrap(), Strength::Fair);
        assert!(Strength::Fair < Strength::Strong);
        assert!(!Strength::Fair.hint().is_empty());
    }

    #[test]
    fn the_second_typing_must_match() {
        let a = SecretString::from("gravel orchid tin lantern");
        assert!(confirm_passphrase(&a, &a.clone()).is_ok());
        let e =
            confirm_passphrase(&a, &SecretString::from("gravel orchid tin lanterm")).unwrap_err();
        assert!(!e.contains("gravel"));
    }

    #[test]
    fn refuses_the_service_password() {
        let pw = SecretString::from("gravel orchid tin lantern");
        let e = passphrase_strength_vs(&pw.clone(), Some(&pw)).unwrap_err();
        assert!(!e.contains("gravel"));
    }
}
