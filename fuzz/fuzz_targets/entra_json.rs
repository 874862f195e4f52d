//! Fuzzes the Entra ID token/error, OpenID configuration and user realm JSON parsers, and the
//! accessors the checks call on an error body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use moxi_setup::protocol::entra;

fuzz_target!(|data: &[u8]| {
    if let Ok(entra::TokenResponse::Error(e)) = entra::parse_token_response(data) {
        let _ = (e.code(), e.code_string(), e.message());
    }
    if let Ok(entra::OpenIdResponse::Config(c)) = entra::parse_openid_configuration(data) {
        let _ = c.tenant_id();
    }
    let _ = entra::parse_user_realm(data);
});
