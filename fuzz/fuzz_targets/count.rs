//! Parsing a call count: any text is a whole number or an error; a number
//! printed back parses to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocr_bill::{parse_count, parse_pack_spec};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(n) = parse_count(text) {
        assert_eq!(parse_count(&n.to_string()).unwrap(), n);
    }
    let _ = parse_pack_spec(text);
    let _ = ocr_bill::parse_decimal(text);
    let _ = ocr_bill::parse_money(text);
    let _ = text.parse::<ocr_bill::Month>();
});
