//! Loading a pricing file: any text is refused with an error or loads into a
//! price list whose bills, quotes and plans then answer or refuse, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocr_bill::{Calculator, PriceList};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(list) = PriceList::from_toml(text) else {
        return;
    };
    let calc = Calculator::new(&list);
    for api in &list.apis {
        assert!(list.item(&api.key).is_ok());
        for calls in [0, 1, 999, 1_000, 1_001, 10_000, 10_001, 1_000_000, u64::MAX] {
            if let Ok(bill) = calc.postpaid(&[(api, calls)]) {
                assert!(!bill.amount.is_negative());
            }
            let _ = calc.prepaid(api, calls, &[]);
        }
        if !api.packs.is_empty() {
            let _ = calc.quote(api, 12_345, Some(3));
            let _ = calc.plan(api, &[5_000, 20_000, 0]);
        }
    }
});
