//! A batch input: any bytes after a header are billed or reported, never lost:
//! with --skip-invalid, rows written plus rows skipped is rows read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocr_bill::{run_batch, BatchFormat, BatchOptions, Calculator, PriceList};

fuzz_target!(|data: &[u8]| {
    let prices = PriceList::builtin();
    let calc = Calculator::new(&prices);
    let mut input = b"account,api,calls\n".to_vec();
    input.extend_from_slice(data);
    for (group_by, format) in [
        (vec![], BatchFormat::Csv),
        (vec![], BatchFormat::JsonLines),
        (vec!["account".to_string()], BatchFormat::Csv),
    ] {
        let options = BatchOptions {
            group_by,
            skip_invalid: true,
            multiline_fields: false,
            format,
            ..Default::default()
        };
        let grouped = !options.group_by.is_empty();
        let mut out = Vec::new();
        let mut reported = 0u64;
        if let Ok(s) = run_batch(calc, &input[..], &mut out, &options, &mut |_| reported += 1) {
            if !grouped {
                assert_eq!(s.written + s.skipped, s.rows, "a row was lost");
                assert_eq!(s.skipped, reported);
            }
        }
        let strict = BatchOptions {
            skip_invalid: false,
            multiline_fields: false,
            ..options
        };
        let _ = run_batch(calc, &input[..], &mut Vec::new(), &strict, &mut |_| {});
    }
});
