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
