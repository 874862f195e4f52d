//! Fuzzes the headless answers-file reader: any text gives answers or plain-words errors,
//! and every error line is bounded (never the whole file echoed back).
#![no_main]

use libfuzzer_sys::fuzz_target;
use moxi_setup::headless;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    match headless::parse_answers_file(src) {
        Ok(a) => {
            // Whatever was accepted must pass the same validators again (stored cleaned).
            for f in moxi_setup::answers::FieldId::ALL {
                if f.is_secret() || a.text(f).is_none_or(str::is_empty) {
                    continue;
                }
                assert!(
                    a.validate(f).is_ok(),
                    "accepted {f} fails its own validator"
                );
            }
        }
        Err(e) => {
            assert!(!e.0.is_empty(), "an error without a reason");
            for line in &e.0 {
                assert!(!line.trim().is_empty(), "an empty error line");
                assert!(line.len() < 4096, "error line grew with the input");
            }
        }
    }
});
