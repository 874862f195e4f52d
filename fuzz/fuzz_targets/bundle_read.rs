//! Fuzzes the bundle reader two ways, chosen by the first byte:
//! - raw: the bytes as a bundle file (armor, age header, ciphertext) — the header parse and
//!   the work-factor peek must never panic; decryption is attempted only when the header asks
//!   for a cheap scrypt work factor, so a mutated "22" does not make each run take seconds;
//! - plaintext: the bytes encrypted for real with a cheap work factor, so the JSON of a
//!   bundle (past the MAC, which mutation alone can never pass) is what gets fuzzed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use moxi_setup::bundle;
use secrecy::SecretString;

const PASSPHRASE: &str = "fuzz-passphrase-not-secret";
const CHEAP: u8 = 4;

fn encrypt(plain: &[u8]) -> Option<Vec<u8>> {
    let mut recipient = age::scrypt::Recipient::new(SecretString::from(PASSPHRASE));
    recipient.set_work_factor(bundle::TEST_WORK_FACTOR);
    age::encrypt_and_armor(&recipient, plain)
        .ok()
        .map(String::into_bytes)
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let pass = SecretString::from(PASSPHRASE);
    if mode % 2 == 0 {
        let wf = bundle::work_factor_of(rest);
        if wf.is_none_or(|w| w <= CHEAP) {
            let _ = bundle::read_bundle_bytes(rest, &pass);
        }
    } else if let Some(bytes) = encrypt(rest) {
        if let Ok(s) = bundle::read_bundle_bytes(&bytes, &pass) {
            let _ = s.to_answers();
            let _ = s.check_outcome();
            let _ = bundle::summary(&s, bundle::Reveal::No);
        }
    }
});
