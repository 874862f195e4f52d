//! Fuzzes the POX Autodiscover parser and the v2 JSON answer parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use moxi_setup::protocol::autodiscover;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = autodiscover::parse_pox(data) {
        assert!(e.to_string().len() < 4096, "error text grew with the input");
    }
    let _ = autodiscover::parse_v2_json(data);
});
