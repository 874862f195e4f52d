//! Fuzzes the JWT claim reader (no signature check: it only peeks at the payload). The input
//! is used both as a whole token and as a payload wrapped between a header and a signature,
//! so the JSON claim parsing is reached without the fuzzer having to learn base64.
#![no_main]

use base64::Engine;
use libfuzzer_sys::fuzz_target;
use moxi_setup::protocol::jwt;

fuzz_target!(|data: &[u8]| {
    let as_token = String::from_utf8_lossy(data);
    let _ = jwt::peek(&as_token).map(|c| {
        (
            c.has_scope("EWS.AccessAsUser.All"),
            c.aud_is_exchange("outlook.office365.com"),
            c.password_expires_at(),
        )
    });
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data);
    let wrapped = format!("eyJhbGciOiJub25lIn0.{payload}.sig");
    if let Ok(c) = jwt::peek(&wrapped) {
        let _ = (
            c.has_scope("EWS.AccessAsUser.All"),
            c.aud_is_exchange("outlook.office365.com"),
            c.password_expires_at(),
        );
    }
});
