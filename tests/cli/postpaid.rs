use crate::s;
use crate::test::Test;

fn amount(api: &str, calls: &str) -> String {
    let v = Test::new()
        .args(&["postpaid", "--api", api, "--calls", calls])
        .json();
    s(&v, "amount").to_string()
}

#[test]
fn source_example_1_idcard_900_calls_is_free() {
    let v = Test::new()
        .args(&["postpaid", "--api", "idcard", "--calls", "900"])
        .json();
    assert_eq!(s(&v, "amount"), "0.00");
    assert_eq!(v["lines"][0]["unit_price"], serde_json::Value::Null);
    assert_eq!(s(&v, "freeze"), "0.00");
}

#[test]
fn source_example_2_license_9000_calls() {
    let v = Test::new()
        .args(&["postpaid", "--api", "license", "--calls", "9000"])
        .json();
    let line = &v["lines"][0];
    assert_eq!(line["api"], "license");
    assert_eq!(line["name"], "行驶证/驾驶证");
    assert_eq!(line["calls"], 9000);
    assert_eq!(line["free_calls"], 1000);
    assert_eq!(line["billable_calls"], 8000);
    assert_eq!(s(line, "unit_price"), "0.15");
    assert_eq!(s(line, "gross"), "1350.00");
    assert_eq!(s(line, "voucher"), "150.00");
    assert_eq!(s(line, "amount"), "1200.00");
    assert_eq!(s(&v, "currency"), "CNY");
    assert_eq!(s(&v, "amount"), "1200.00");
    assert_eq!(s(&v, "freeze"), "1440.00");
}

#[test]
fn source_example_3_general_90000_calls() {
    assert_eq!(amount("general", "90000"), "8900.00");
}

#[test]
fn source_example_4_bankcard_900000_calls() {
    assert_eq!(amount("bankcard", "900000"), "53940.00");
}

#[test]
fn every_tier_boundary_standard_and_vat() {
    for (api, calls, want) in [
        ("idcard", "1000", "0.00"),
        ("idcard", "1001", "0.15"),
        ("idcard", "10000", "1350.00"),
        ("idcard", "10001", "900.10"),
        ("idcard", "100000", "9900.00"),
        ("idcard", "100001", "5940.06"),
        ("idcard", "1000000", "59940.00"),
        ("vat-invoice", "1000", "0.00"),
        ("vat-invoice", "1001", "0.50"),
        ("vat-invoice", "10000", "4500.00"),
        ("vat-invoice", "10001", "3150.35"),
        ("vat-invoice", "100000", "34650.00"),
        ("vat-invoice", "100001", "19800.20"),
        ("vat-invoice", "1000000", "199800.00"),
    ] {
        assert_eq!(amount(api, calls), want, "{api} {calls}");
    }
}

#[test]
fn the_ten_thousand_cliff_makes_more_calls_cheaper() {
    assert_eq!(amount("idcard", "10000"), "1350.00");
    assert_eq!(amount("idcard", "10001"), "900.10");
}

#[test]
fn contact_sales_is_refused_for_standard_and_vat() {
    for api in ["idcard", "vat-invoice"] {
        let err = Test::new()
            .args(&["postpaid", "--api", api, "--calls", "1000001"])
            .fails(1);
        assert!(err.starts_with("error: "), "{err}");
        assert!(err.contains(api), "{err}");
        assert!(err.contains("1000001"), "{err}");
        assert!(err.contains("n > 1000000"), "{err}");
        assert!(err.contains("--negotiated-price"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn negotiated_price_bills_the_contact_sales_tier() {
    let v = Test::new()
        .args(&[
            "postpaid",
            "--api",
            "idcard",
            "--calls",
            "1000001",
            "--negotiated-price",
            "0.04",
        ])
        .json();
    assert_eq!(s(&v["lines"][0], "unit_price"), "0.04");
    assert_eq!(s(&v, "amount"), "39960.04");
    // 1.2 × 39960.04 = 47952.048 → 47952.05
    assert_eq!(s(&v, "freeze"), "47952.05");
    // Below the contact-sales tier the negotiated price changes nothing.
    let v = Test::new()
        .args(&[
            "postpaid",
            "--api",
            "idcard",
            "--calls",
            "9000",
            "--negotiated-price",
            "0.04",
        ])
        .json();
    assert_eq!(s(&v, "amount"), "1200.00");
}

#[test]
fn several_apis_sum_and_freeze_on_the_total() {
    let v = Test::new()
        .args(&[
            "postpaid",
            "--api",
            "license",
            "--calls",
            "9000",
            "--api",
            "增值税发票",
            "--calls",
            "2000",
        ])
        .json();
    assert_eq!(v["lines"].as_array().unwrap().len(), 2);
    assert_eq!(s(&v["lines"][1], "amount"), "500.00");
    assert_eq!(s(&v, "amount"), "1700.00");
    assert_eq!(s(&v, "freeze"), "2040.00");
}

#[test]
fn the_same_api_twice_is_one_month_total() {
    // Tier reaching looks at the month's total: 6,000 + 6,000 reach the 0.10 tier.
    let v = Test::new()
        .args(&[
            "postpaid",
            "--api",
            "idcard",
            "--calls",
            "6000",
            "--api",
            "身份证",
            "--calls",
            "6000",
        ])
        .json();
    assert_eq!(v["lines"].as_array().unwrap().len(), 1);
    assert_eq!(v["lines"][0]["calls"], 12000);
    assert_eq!(s(&v, "amount"), "1100.00");
}

#[test]
fn call_counts_in_human_forms() {
    for (form, calls) in [
        ("9000", 9000),
        ("9_000", 9000),
        ("9k", 9000),
        ("1.5万", 15000),
        ("1万", 10000),
        ("10万", 100000),
        ("100万", 1000000),
    ] {
        let v = Test::new()
            .args(&["postpaid", "--api", "idcard", "--calls", form])
            .json();
        assert_eq!(v["lines"][0]["calls"], calls, "{form}");
    }
    let v = Test::new()
        .args(&[
            "postpaid",
            "--api",
            "idcard",
            "--calls",
            "1.5M",
            "--negotiated-price",
            "0.05",
        ])
        .json();
    assert_eq!(v["lines"][0]["calls"], 1500000);
}

#[test]
fn bad_call_counts_are_named() {
    for bad in ["-5", "9.5", "abc", "99999999999999999999", "1.2345k", ""] {
        let err = Test::new()
            .args(&["postpaid", "--api", "idcard", "--calls", bad])
            .fails(1);
        assert!(err.contains(&format!("'{bad}'")), "{bad}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn api_names_keys_chinese_aliases_and_case() {
    for name in [
        "license",
        "LICENSE",
        "行驶证/驾驶证",
        "行驶证",
        "驾驶证",
        "License",
    ] {
        let v = Test::new()
            .args(&["postpaid", "--api", name, "--calls", "9000"])
            .json();
        assert_eq!(v["lines"][0]["api"], "license", "{name}");
    }
}

#[test]
fn unknown_api_lists_keys_and_suggests() {
    let err = Test::new()
        .args(&["postpaid", "--api", "idcrad", "--calls", "9000"])
        .fails(1);
    assert!(err.contains("'idcrad'"), "{err}");
    assert!(err.contains("did you mean 'idcard'"), "{err}");
    assert!(err.contains("vat-invoice"), "{err}");
    let err = Test::new()
        .args(&["postpaid", "--api", "passport", "--calls", "9000"])
        .fails(1);
    assert!(!err.contains("did you mean"), "{err}");
    assert!(err.contains("idcard, bizcard, license"), "{err}");
}

#[test]
fn bad_negotiated_price_is_named() {
    for bad in ["-0.04", "abc", "0.04.1", "1e3"] {
        let err = Test::new()
            .args(&[
                "postpaid",
                "--api",
                "idcard",
                "--calls",
                "2M",
                "--negotiated-price",
                bad,
            ])
            .fails(1);
        assert!(err.contains(&format!("'{bad}'")), "{bad}: {err}");
    }
}

#[test]
fn usage_errors_exit_2() {
    let err = Test::new().args(&["postpaid", "--api", "idcard"]).fails(2);
    assert!(err.contains("--calls"), "{err}");
    let err = Test::new()
        .args(&[
            "postpaid", "--api", "idcard", "--api", "license", "--calls", "9000",
        ])
        .fails(2);
    assert!(err.contains("pairs"), "{err}");
    Test::new()
        .args(&["postpaid", "--api", "idcard", "--calls", "1", "--bogus"])
        .fails(2);
    Test::new().args(&["nonsense"]).fails(2);
    Test::new().args(&["--format", "xml", "prices"]).fails(2);
}

#[test]
fn help_and_version_exit_0() {
    Test::new()
        .arg("--help")
        .stdout_has("Usage: ocr-bill [OPTIONS] <COMMAND>")
        .run();
    // A subcommand's options are built only when it runs: its help still
    // starts with its own description and lists its options and the global ones.
    for sub in [
        "postpaid", "prepaid", "quote", "batch", "ledger", "plan", "curve", "prices",
    ] {
        let help = Test::new()
            .args(&[sub, "--help"])
            .stdout_has(&format!("Usage: ocr-bill {sub} "))
            .stdout_has("--edition <NAME>")
            .run()
            .stdout;
        assert!(!help.starts_with("Arguments of"), "{sub}: {help}");
    }
    Test::new()
        .args(&["help", "postpaid"])
        .stdout_has("This month's postpaid bill")
        .stdout_has("--negotiated-price")
        .run();
    Test::new()
        .arg("--version")
        .stdout_has(env!("CARGO_PKG_VERSION"))
        .run();
}

#[test]
fn table_output_shows_tier_voucher_and_freeze() {
    let out = Test::new()
        .args(&["postpaid", "--api", "idcard", "--calls", "9500"])
        .output();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("1000 < n ≤ 10000"), "{text}");
    // Tables group thousands (53,940.00); CSV and JSON keep plain numbers.
    assert!(text.contains("1,425.00"), "{text}"); // gross
    assert!(text.contains("150.00"), "{text}"); // voucher
    assert!(text.contains("Bill: 1,275.00 CNY"), "{text}");
    assert!(text.contains("Freeze after settlement: 1,530.00"), "{text}");
    assert!(text.contains("at 10,001 calls"), "{text}");
    assert!(text.contains("900.10"), "{text}");
}

#[test]
fn csv_output_has_one_row_per_api_with_the_account_totals() {
    let out = Test::new()
        .args(&[
            "postpaid", "--api", "idcard", "--calls", "9000", "--api", "general", "--calls",
            "90000", "--api", "bizcard", "--calls", "500", "--format", "csv",
        ])
        .output();
    assert!(out.status.success());
    let mut r = csv::Reader::from_reader(&out.stdout[..]);
    let headers = r.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(&rows[0][col("amount")], "1200.00");
    assert_eq!(&rows[1][col("unit_price")], "0.10");
    assert_eq!(&rows[1][col("amount")], "8900.00");
    assert_eq!(&rows[2][col("unit_price")], "");
    for row in &rows {
        assert_eq!(&row[col("bill")], "10100.00");
        assert_eq!(&row[col("freeze")], "12120.00");
    }
    assert_eq!(&rows[0][col("cliff_calls")], "10001");
}

#[test]
fn a_closed_pipe_exits_quietly() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_ocr-bill"))
        .args(["prices"])
        .env_remove("OCR_BILL_PRICING")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn cliff_hint_in_json() {
    let v = Test::new()
        .args(&["postpaid", "--api", "idcard", "--calls", "9500"])
        .json();
    let cliff = &v["lines"][0]["cliff"];
    assert_eq!(cliff["calls"], 10001);
    assert_eq!(cliff["extra_calls"], 501);
    assert_eq!(s(cliff, "amount"), "900.10");
    assert_eq!(s(cliff, "saving"), "374.90");
    let v = Test::new()
        .args(&["postpaid", "--api", "idcard", "--calls", "500000"])
        .json();
    assert!(v["lines"][0].get("cliff").is_none(), "{v}");
}

#[test]
fn a_price_is_taken_as_the_pages_write_it() {
    let v = Test::new()
        .args(&["postpaid", "--api", "idcard", "--calls", "2000000"])
        .args(&["--negotiated-price", "0.04元/次"])
        .json();
    assert_eq!(v["amount"], "79960.00");
    let err = Test::new()
        .args(&["postpaid", "--api", "idcard", "--calls", "2000000"])
        .args(&["--negotiated-price", "0.04元/月"])
        .fails(1);
    assert!(err.contains("'0.04元/月'"), "{err}");
}

#[test]
fn a_usage_file_given_to_postpaid_names_the_commands_that_read_one() {
    let err = Test::new().args(&["postpaid", "usage.csv"]).fails(2);
    assert!(
        err.contains("ocr-bill batch usage.csv --group-by account,month")
            && err.contains("ocr-bill ledger usage.csv"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}
