//! Fuzzes the EWS SOAP response parser with arbitrary bodies: it must return, never panic,
//! and every accessor of a parsed answer must be safe to call.
#![no_main]

use libfuzzer_sys::fuzz_target;
use moxi_setup::protocol::ews;

fuzz_target!(|data: &[u8]| {
    match ews::parse_response(data) {
        Ok(r) => {
            let _ = r
                .fault()
                .map(|f| (f.code(), f.is_soap_level(), f.back_off_ms(), f.text()));
            for m in r.messages() {
                let _ = (m.code_or_default(), m.is_success(), m.back_off_ms());
            }
            let _ = (r.first_error_code(), r.back_off_ms());
            if let Some(v) = &r.server_version {
                let _ = v.build();
            }
        }
        Err(e) => {
            // The reason is shown to the admin: it must stay short whatever the body was.
            assert!(e.to_string().len() < 4096, "error text grew with the input");
        }
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = ews::parse_xs_datetime(s);
    }
});
