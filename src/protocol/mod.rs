//! Pure wire code: build requests and parse responses. No I/O, no clocks, no UI.
//! Parsers bound what they read (size, nesting depth) and never expand XML entities.
//!
//! - [`entra`]: OAuth ROPC form, token and error JSON, OpenID configuration, user realm.
//! - [`jwt`]: read (never verify) the claims of an access token, for diagnosis only.
//! - [`ews`]: EWS SOAP requests (GetFolder, GetPasswordExpirationDate) and responses.
//! - [`autodiscover`]: Autodiscover POX request/response and the Exchange Online JSON answer.

pub mod autodiscover;
pub mod entra;
pub mod ews;
pub mod jwt;

/// Largest response body any parser accepts (bytes). Anything bigger is refused unread.
pub const MAX_BODY: usize = 1024 * 1024;
/// Deepest XML nesting any parser accepts.
pub const MAX_DEPTH: usize = 64;

/// Longest piece of server text an error message quotes (characters).
pub const MAX_QUOTED: usize = 120;

/// Server text quoted in an error message, cut at [`MAX_QUOTED`] characters so a hostile or
/// broken answer cannot make a diagnosis (or a log line, or a bundle report) grow with it.
pub fn clip(s: &str) -> String {
    match s.char_indices().nth(MAX_QUOTED) {
        None => s.to_string(),
        Some((i, _)) => format!("{}…", &s[..i]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_keeps_short_text_and_cuts_long_text_on_a_character_boundary() {
        assert_eq!(clip("short"), "short");
        let long = "é".repeat(500);
        let c = clip(&long);
        assert_eq!(c.chars().count(), MAX_QUOTED + 1);
        assert!(c.ends_with('…'));
    }
}
