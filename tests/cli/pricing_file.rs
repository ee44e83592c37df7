use std::io::Write;

use crate::test::Test;
use crate::{fixture, s};

fn default_pricing() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/pricing.toml")).unwrap()
}

/// Writes `text` to a temp file and returns the file (kept alive) and its path.
fn temp_pricing(text: &str) -> (tempfile::NamedTempFile, String) {
    let mut f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    let path = f.path().to_string_lossy().into_owned();
    (f, path)
}

fn line_of(text: &str, needle: &str) -> usize {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in text"));
    // The line of the needle's last line: where a multi-line change ends.
    text[..at].matches('\n').count() + needle.matches('\n').count() + 1
}

/// `postpaid` of `calls` calls of `api` with the price list `pricing`.
fn postpaid(pricing: &str, api: &str, calls: &str) -> Test {
    Test::new().args(&[
        "--pricing",
        pricing,
        "postpaid",
        "--api",
        api,
        "--calls",
        calls,
    ])
}

/// The same, as JSON.
fn postpaid_with(pricing: &str, api: &str, calls: &str) -> serde_json::Value {
    postpaid(pricing, api, calls).json()
}

/// Replaces `from` with `to` in the default price list and asserts the file is
/// refused with its path, the line of `to`, and every needle.
fn refused(from: &str, to: &str, needles: &[&str]) {
    let text = default_pricing().replacen(from, to, 1);
    assert_ne!(text, default_pricing(), "{from} not found");
    let (_f, path) = temp_pricing(&text);
    let err = postpaid(&path, "idcard", "9000").fails(1);
    assert!(err.contains(&path), "{err}");
    let line = line_of(&text, to.trim_start_matches('\n'));
    assert!(
        err.contains(&format!("line {line},")),
        "want line {line}: {err}"
    );
    for needle in needles {
        assert!(err.contains(needle), "want {needle}: {err}");
    }
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_price_written_as_a_toml_float_is_the_decimal_written() {
    // 0.13 and 1.3 have no exact binary form; 0.1300000000000000001 is lost in
    // one: each bills as written, to the fen.
    let text = default_pricing()
        .replacen(
            r#"{ upto = 10_000, price = "0.15" }"#,
            "{ upto = 10_000, price = 0.1300000000000000001 }",
            1,
        )
        .replacen(r#"ratio = "1.2""#, "ratio = 1.3", 1);
    let (_f, path) = temp_pricing(&text);
    let bill = postpaid_with(&path, "idcard", "9000");
    let line = &bill["lines"][0];
    assert_eq!(s(line, "unit_price"), "0.1300000000000000001", "{bill}");
    assert_eq!(s(line, "amount"), "1040.00", "{bill}");
    assert_eq!(s(&bill, "freeze"), "1352.00", "{bill}");
    // A float where a whole number belongs is refused with its line.
    refused(
        r#"{ upto = 10_000, price = "0.15" }"#,
        r#"{ upto = 10_000.5, price = "0.15" }"#,
        &[
            "floating point `10000.5`",
            "expected a whole number of calls",
        ],
    );
    // So is a count written as a string, as a spreadsheet shows it, saying
    // what to write.
    refused(
        r#"{ upto = 10_000, price = "0.15" }"#,
        r#"{ upto = "10,000", price = "0.15" }"#,
        &[
            "invalid type: string \"10,000\"",
            "without quotes: 10000 or 10_000",
        ],
    );
}

#[test]
fn months_are_whole_numbers_from_1_to_1200() {
    refused(
        "pack_validity_months = 12",
        "pack_validity_months = \"12\"",
        &[
            "invalid type: string \"12\"",
            "a whole number of months, without quotes: 12",
        ],
    );
    refused(
        "pack_validity_months = 12",
        "pack_validity_months = 99999999999",
        &["integer `99999999999`", "a whole number of months"],
    );
    refused(
        "pack_validity_months = 12",
        "pack_validity_months = 0",
        &["pack_validity_months is 0; expected 1 to 1200"],
    );
}

#[test]
fn an_unknown_key_is_refused() {
    refused(
        "free_calls_per_month = 1000",
        "free_calls_per_month = 1000\nfree_calls_per_year = 5",
        &["unknown field", "free_calls_per_year"],
    );
}

#[test]
fn tiers_out_of_order_are_refused() {
    refused(
        r#"{ upto = 100_000, price = "0.10" }"#,
        r#"{ upto = 9_000, price = "0.10" }"#,
        &["9000", "ascending"],
    );
}

#[test]
fn a_gap_in_the_tiers_is_refused() {
    refused(
        r#"{ upto = 100_000, price = "0.10" }"#,
        r#"{ price = "0.10" }"#,
        &["no upto", "open-ended"],
    );
}

#[test]
fn a_closed_last_tier_is_refused() {
    refused(
        r#"{ price = "contact-sales" },            # add"#,
        r#"{ upto = 5_000_000, price = "contact-sales" },            # add"#,
        &["5000000", "open-ended"],
    );
}

#[test]
fn a_negative_price_is_refused() {
    refused(
        r#"{ upto = 10_000, price = "0.15" }"#,
        r#"{ upto = 10_000, price = "-0.15" }"#,
        &["-0.15", "negative"],
    );
}

#[test]
fn a_price_that_is_not_a_number_is_refused() {
    refused(
        r#"{ upto = 10_000, price = "0.15" }"#,
        r#"{ upto = 10_000, price = "cheap" }"#,
        &["'cheap'", "contact-sales"],
    );
}

#[test]
fn a_pack_of_size_zero_is_refused() {
    refused(
        "{ calls = 1_000, price = 120 }",
        "{ calls = 0, price = 120 }",
        &["calls = 0", "positive"],
    );
}

#[test]
fn a_duplicate_alias_is_refused() {
    refused(
        "key = \"bizcard\"\nname = \"名片\"",
        "key = \"bizcard\"\nname = \"身份证\"",
        &["duplicate", "身份证"],
    );
}

#[test]
fn a_duplicate_key_is_refused_case_insensitively() {
    refused(
        "key = \"bizcard\"",
        "key = \"IDCARD\"",
        &["duplicate", "IDCARD"],
    );
}

#[test]
fn a_missing_field_is_refused() {
    let text = default_pricing().replace(
        "actions = [\"VatInvoiceOCR\"]\ntiers = \"vat\"",
        "actions = [\"VatInvoiceOCR\"]",
    );
    assert_ne!(text, default_pricing());
    let (_f, path) = temp_pricing(&text);
    let err = Test::new().args(&["--pricing", &path, "prices"]).fails(1);
    assert!(err.contains("missing field"), "{err}");
    assert!(err.contains("tiers"), "{err}");
}

#[test]
fn a_variant_file_need_only_say_what_differs() {
    // Settings, tables and APIs left out come from the built-in list. The
    // bounds may also be named by the end that is inclusive.
    for (bounds, amount, freeze) in [
        ("upper-exclusive", "900.00", "1080.00"),
        ("lower-inclusive", "900.00", "1080.00"),
        ("upper-inclusive", "1350.00", "1620.00"),
    ] {
        let (_f, path) = temp_pricing(&format!("tier_bounds = \"{bounds}\"\n"));
        let v = postpaid_with(&path, "idcard", "10000");
        assert_eq!(s(&v, "amount"), amount, "{bounds}");
        assert_eq!(s(&v, "freeze"), freeze, "{bounds}");
    }
    let (_f, path) = temp_pricing(
        "free_calls_per_month = 0\n[freeze]\nbasis = \"none\"\n[tiers]\nstandard = [{ upto = 10_000, price = \"0.2\" }, { price = \"0.1\" }]\n",
    );
    let v = postpaid_with(&path, "idcard", "5000");
    assert_eq!(s(&v, "amount"), "1000.00");
    assert_eq!(s(&v, "freeze"), "0.00");
    // VAT keeps its built-in table.
    let v = postpaid_with(&path, "vat-invoice", "5000");
    assert_eq!(s(&v, "amount"), "2500.00");
}

#[test]
fn a_bill_from_a_file_names_the_file_not_only_its_edition() {
    let (_f, path) = temp_pricing(
        "edition = \"d\"\n[tiers]\nstandard = [{ upto = 10_000, price = \"0.12\" }, { price = \"0.08\" }]\n",
    );
    let v = postpaid_with(&path, "idcard", "9000");
    assert_eq!(s(&v, "amount"), "960.00");
    assert_eq!(s(&v, "edition"), "d");
    assert_eq!(s(&v, "pricing_file"), path);
    let over = format!("{path} over edition d");
    postpaid(&path, "idcard", "9000")
        .stdout_has(&format!("(price list: {over})"))
        .run();
    Test::new()
        .args(&[
            "--pricing",
            &path,
            "quote",
            "--api",
            "idcard",
            "--calls",
            "3000",
        ])
        .stdout_has(&format!("Price list: {over}, in CNY"))
        .run();
    Test::new()
        .args(&["--pricing", &path, "batch", "-"])
        .stdin("api,calls\nidcard,9000\n")
        .stderr_has(&format!("total 960.00 CNY (price list: {over})"))
        .run();
    // A file that names itself keeps its name beside the file's.
    let (_g, named) = temp_pricing("edition = \"d\"\n[about]\nname = \"acme-2026\"\n");
    postpaid(&named, "idcard", "9000")
        .stdout_has(&format!("(price list: {named} (acme-2026) over edition d)"))
        .run();
    // A built-in edition is named as such, with no file.
    let v = Test::new()
        .args(&["postpaid", "--api", "idcard", "--calls", "9000"])
        .json();
    assert!(v.get("pricing_file").is_none(), "{v}");
}

#[test]
fn an_undefined_tier_table_is_refused() {
    refused(
        "tiers = \"vat\"",
        "tiers = \"vatt\"",
        &["'vatt'", "not defined", "standard, vat"],
    );
}

#[test]
fn a_toml_syntax_error_is_one_line_with_position() {
    refused("[freeze]", "[freeze", &["unclosed table"]);
}

#[test]
fn a_missing_file_is_named() {
    let err = Test::new()
        .args(&["--pricing", "/nonexistent/prices.toml", "prices"])
        .fails(1);
    assert!(err.contains("/nonexistent/prices.toml"), "{err}");
}

#[test]
fn upper_exclusive_bounds_bill_10000_calls_at_the_lower_price() {
    let v = postpaid_with(&fixture("upper-exclusive.toml"), "idcard", "10000");
    assert_eq!(s(&v, "amount"), "900.00");
    assert_eq!(s(&v["lines"][0], "tier_range"), "10000 ≤ n < 100000");
    // The built-in list bills the same calls at 0.15.
    let v = Test::new()
        .args(&["postpaid", "--api", "idcard", "--calls", "10000"])
        .json();
    assert_eq!(s(&v, "amount"), "1350.00");
}

#[test]
fn the_environment_variable_loads_a_price_list() {
    let out = Test::new()
        .env("OCR_BILL_PRICING", fixture("upper-exclusive.toml"))
        .args(&[
            "postpaid", "--api", "idcard", "--calls", "10000", "-f", "json",
        ])
        .output();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s(&v, "amount"), "900.00");
}

#[test]
fn every_variant_setting_changes_the_bill() {
    let file = fixture("variant.toml");
    let bill = |api: &str, calls: &str| postpaid_with(&file, api, calls);
    // No free quota, lower ≤ n < upper: 10,000 calls at 0.125, every call billed.
    let v = bill("idcard", "10000");
    assert_eq!(v["lines"][0]["free_calls"], 0);
    assert_eq!(s(&v, "amount"), "1250.00");
    assert_eq!(s(&v, "freeze"), "1250.00"); // 1.0 × calls × list price
    let v = bill("idcard", "10001");
    assert_eq!(s(&v, "amount"), "1250.13"); // 1250.125 rounded half away from zero
    let v = bill("idcard", "9999");
    assert_eq!(s(&v, "amount"), "1999.80");
    // The top tier has a list price: no refusal.
    let v = bill("idcard", "2M");
    assert_eq!(s(&v, "amount"), "60000.00");
    // A negotiated price in the file, overridden by the command line.
    let v = bill("pass", "1000");
    assert_eq!(v["lines"][0]["api"], "passport");
    assert_eq!(s(&v, "amount"), "333.00");
    let v = Test::new()
        .args(&[
            "--pricing",
            &file,
            "postpaid",
            "--api",
            "passport",
            "--calls",
            "1000",
            "--negotiated-price",
            "0.3",
        ])
        .json();
    assert_eq!(s(&v, "amount"), "300.00");
}

#[test]
fn prices_shows_the_loaded_list() {
    let v = Test::new().args(&["prices", "--api", "vat-invoice"]).json();
    assert_eq!(v["apis"].as_array().unwrap().len(), 1);
    assert_eq!(v["apis"][0]["key"], "vat-invoice");
    assert_eq!(v["apis"][0]["packs"].as_array().unwrap().len(), 0);
    assert_eq!(s(&v["apis"][0]["tiers"][1], "price"), "0.50");
    assert_eq!(v["apis"][0]["tiers"][4]["contact_sales"], true);
    assert_eq!(v["settings"]["free_calls_per_month"], 1000);
    assert_eq!(s(&v["settings"], "freeze_ratio"), "1.20");
    let v = Test::new()
        .args(&["--pricing", &fixture("variant.toml"), "prices"])
        .json();
    assert_eq!(v["apis"].as_array().unwrap().len(), 2);
    // The table names the file over its edition, not the edition's page as
    // the prices' source.
    let table = Test::new()
        .args(&["--pricing", &fixture("variant.toml"), "prices"])
        .run()
        .stdout;
    let first = table.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("Price list: ") && first.ends_with("variant.toml over edition seed"),
        "{first}"
    );
    assert_eq!(v["settings"]["tier_bounds"], "upper-exclusive");
    let out = Test::new().args(&["prices", "-f", "csv"]).output();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("api,name,kind,tier,lower,upper,range,calls,price,currency\n"),
        "{text}"
    );
    assert!(
        text.contains("idcard,身份证,tier,2,1000,10000,1000 < n ≤ 10000,,0.15"),
        "{text}"
    );
    assert!(
        text.contains("idcard,身份证,pack,,,,,10000,800.00"),
        "{text}"
    );
}

#[test]
fn an_empty_environment_variable_means_the_built_in_list() {
    let out = Test::new()
        .env("OCR_BILL_PRICING", "")
        .args(&[
            "postpaid", "--api", "idcard", "--calls", "10000", "-f", "json",
        ])
        .output();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s(&v, "amount"), "1350.00");
}

/// A one-time free pack's validity is the price list's to state (no number in
/// the program stands in for it): a file whose items have one-time free calls
/// and no `one_time_free_months` is refused, and the months it states are the
/// ones the ledger grants.
#[test]
fn one_time_free_calls_need_their_validity_stated() {
    let items = "edition = \"a\"\n[[api]]\nkey = \"x\"\nname = \"x\"\ntiers = \"idcard\"\n\
                 one_time_free_calls = 50\n";
    let (_f, path) = temp_pricing(items);
    let err = Test::new().args(&["--pricing", &path, "prices"]).fails(1);
    assert!(
        err.contains("'x' has one_time_free_calls but the list has no one_time_free_months"),
        "{err}"
    );
    let (_g, path) = temp_pricing(&format!("one_time_free_months = 24\n{items}"));
    let dir = tempfile::tempdir().unwrap();
    let usage = dir.path().join("usage.csv");
    std::fs::write(&usage, "month,api,calls\n2026-01,x,30\n").unwrap();
    let v = Test::new()
        .args(&[
            "--pricing",
            &path,
            "ledger",
            "--usage",
            usage.to_str().unwrap(),
        ])
        .json();
    let grant = &v["months"][0]["events"][0];
    assert_eq!(grant["kind"], "free-pack-granted", "{v}");
    assert_eq!(s(grant, "expires_after"), "2027-12");
    // An edition without one-time free packs states no validity for them.
    let toml = Test::new()
        .args(&["--edition", "a", "prices", "-f", "toml"])
        .run();
    assert!(
        !toml.stdout.contains("one_time_free_months"),
        "{}",
        toml.stdout
    );
}

/// A value of the built-in edition a file builds on, made wrong by what the
/// file gives instead (its own list of billing items, which replaces the
/// edition's), is named at its place in the edition, never at a line of the
/// file (which has no such line).
#[test]
fn an_edition_value_the_file_makes_wrong_is_named_in_the_edition() {
    let file = "edition = \"e\"\n[[item]]\nkey = \"table\"\nname = \"表格识别\"\n\
                tiers = \"standard\"\npacks = \"standard\"\n";
    let (_f, path) = temp_pricing(file);
    let err = postpaid(&path, "idcard", "9000").fails(1);
    let edition = include_str!("../../editions/e.toml");
    // The first API of the edition whose item the file leaves out.
    let api = edition.find("key = \"advertise\"").unwrap();
    let line = line_of(&edition[api..], "item = \"image-text\"")
        + line_of(edition, "key = \"advertise\"")
        - 1;
    assert!(err.contains(&path), "{err}");
    assert!(
        err.contains("API 'advertise' names billing item 'image-text'"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "(at line {line}, column 8 of built-in edition 'e', which the file builds on)"
        )),
        "want line {line}: {err}"
    );
    // No line of the file is named.
    assert!(!err.contains(&format!("{path}: line")), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// With `lists = "merge"`, a file adds APIs to its edition's and replaces
/// the edition's APIs of its keys, in their places; without it, its list is
/// the whole list.
#[test]
fn a_file_may_add_apis_to_its_editions() {
    let added = "edition = \"d\"\nlists = \"merge\"\n\n\
                 [tiers]\nnew = [{ upto = 1_000, price = \"0\" }, { price = \"0.30\" }]\n\n\
                 [[api]]\nkey = \"new-receipt\"\nname = \"新型票据识别\"\ntiers = \"new\"\n\n\
                 [[api]]\nkey = \"new-card\"\nname = \"新证件识别\"\nitem = \"cards\"\n";
    let (_f, path) = temp_pricing(added);
    // The new API at its own price: (5,000 − 1,000) × 0.30.
    let v = postpaid_with(&path, "新型票据识别", "5000");
    assert_eq!(s(&v, "amount"), "1200.00");
    // One added to a billing item of the edition shares its tiers: 6,000 +
    // 5,000 calls of 通用证照识别 at the 0.10 tier.
    let v = Test::new()
        .args(&["--pricing", &path, "postpaid"])
        .args(&["--api", "新证件识别", "--calls", "6000"])
        .args(&["--api", "户口本识别", "--calls", "5000"])
        .json();
    assert_eq!(v["lines"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(s(&v, "amount"), "1000.00");
    // The edition's billing items stay, first, in their order; the new API
    // of its own is one more, the other is one of 通用证照识别's.
    let edition = Test::new().args(&["prices", "--edition", "d"]).json();
    let merged = Test::new().args(&["prices", "--pricing", &path]).json();
    let keys = |v: &serde_json::Value| -> Vec<String> {
        (v["apis"].as_array().unwrap().iter())
            .map(|a| a["key"].as_str().unwrap().to_string())
            .collect()
    };
    let (before, after) = (keys(&edition), keys(&merged));
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(after[..before.len()], before[..]);
    assert_eq!(after[before.len()..], ["new-receipt"]);
    let cards = (merged["apis"].as_array().unwrap().iter())
        .find(|a| a["key"] == "cards")
        .unwrap();
    assert!(
        cards["item_apis"].to_string().contains("new-card"),
        "{cards}"
    );
    // An API of the edition's key is replaced where it stands: idcard billed
    // at the VAT table.
    let (_r, replaced) = temp_pricing(
        "lists = \"merge\"\n[[api]]\nkey = \"idcard\"\nname = \"身份证识别\"\ntiers = \"vat\"\n",
    );
    let v = postpaid_with(&replaced, "idcard", "9000");
    assert_eq!(s(&v, "amount"), "4000.00");
    let listed = Test::new().args(&["prices", "--pricing", &replaced]).json();
    assert_eq!(keys(&listed)[0], "idcard");
    assert_eq!(keys(&listed).len(), 9);
    assert_eq!(listed["apis"][0]["tier_table"], "vat");
    // Without the setting, the file's list is the whole list.
    let own = added
        .split("\n\n[[api]]\nkey = \"new-card\"")
        .next()
        .unwrap();
    let (_w, whole) = temp_pricing(&own.replace("lists = \"merge\"\n", ""));
    assert_eq!(
        s(&postpaid_with(&whole, "新型票据识别", "5000"), "amount"),
        "1200.00"
    );
    let err = postpaid(&whole, "户口本识别", "5000").fails(1);
    assert!(err.contains("unknown API '户口本识别'"), "{err}");
    // A name the edition already gives another API is refused, placed.
    let (_d, twice) = temp_pricing(&added.replace("新型票据识别", "身份证识别"));
    let err = postpaid(&twice, "idcard", "9000").fails(1);
    assert!(err.contains("duplicate API name '身份证识别'"), "{err}");
    // The file's own list naming one key twice is refused, as it is
    // without the setting, whether the edition has the key or not (never
    // the last entry taken).
    for key in ["idcard", "new-card"] {
        let entry = format!("[[api]]\nkey = \"{key}\"\nname = \"{key}\"\ntiers = \"vat\"\n");
        let (_t, twice) = temp_pricing(&format!("lists = \"merge\"\n{entry}{entry}"));
        let err = postpaid(&twice, key, "9000").fails(1);
        assert!(
            err.contains(&format!("duplicate API name '{key}'")),
            "{err}"
        );
    }
    // The setting's words are listed when another is given.
    let (_b, bad) = temp_pricing("lists = \"append\"\n");
    let err = postpaid(&bad, "idcard", "9000").fails(1);
    assert!(
        err.contains("`append`, expected `replace` or `merge`"),
        "{err}"
    );
}
