use crate::test::Test;
use crate::{fixture, s};

#[test]
fn source_example_5_three_thousand_calls_buy_three_small_packs() {
    let v = Test::new()
        .args(&["quote", "--api", "idcard", "--calls", "3000"])
        .json();
    let best = &v["options"][0];
    assert_eq!(s(best, "cost"), "360.00");
    assert_eq!(best["packs"][0]["calls"], 1000);
    assert_eq!(best["packs"][0]["count"], 3);
    assert_eq!(best["unused_calls"], 0);
}

#[test]
fn source_example_6_seven_thousand_calls_buy_one_10k_pack() {
    let v = Test::new()
        .args(&["quote", "--api", "idcard", "--calls", "7000"])
        .json();
    assert_eq!(v["api"], "idcard");
    assert_eq!(v["calls"], 7000);
    let best = &v["options"][0];
    assert_eq!(best["packs"][0]["calls"], 10000);
    assert_eq!(best["packs"][0]["count"], 1);
    assert_eq!(s(&best["packs"][0], "price"), "800.00");
    assert_eq!(s(best, "cost"), "800.00");
    assert_eq!(best["covered_calls"], 10000);
    assert_eq!(best["unused_calls"], 3000);
    // 7 × 1,000 for 840.00 is shown next, 40.00 dearer.
    let second = &v["options"][1];
    assert_eq!(second["packs"][0]["count"], 7);
    assert_eq!(s(second, "cost"), "840.00");
    assert_eq!(s(second, "extra_cost"), "40.00");
    assert_eq!(s(second, "cost_per_used_call"), "0.1200");
    // Cheapest first.
    let costs: Vec<f64> = v["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| s(o, "cost").parse().unwrap())
        .collect();
    assert!(costs.windows(2).all(|w| w[0] <= w[1]), "{costs:?}");
}

#[test]
fn a_mixed_purchase_beats_every_single_size() {
    // 12,000 calls: 1 × 10k + 2 × 1k = 1,040.00, cheaper than 2 × 10k = 1,600.00.
    let v = Test::new()
        .args(&["quote", "--api", "idcard", "--calls", "12000"])
        .json();
    assert_eq!(s(&v["options"][0], "cost"), "1040.00");
    assert_eq!(v["options"][0]["packs"].as_array().unwrap().len(), 2);
}

#[test]
fn huge_volumes_are_quoted_exactly() {
    let v = Test::new()
        .args(&["quote", "--api", "idcard", "--calls", "1234567891234567"])
        .json();
    assert_eq!(s(&v["options"][0], "cost"), "24691357843000.00");
    assert_eq!(v["options"][0]["unused_calls"], 433);
}

#[test]
fn months_compare_with_postpaid_and_the_free_quota() {
    let v = Test::new()
        .args(&[
            "quote", "--api", "idcard", "--calls", "3000", "--months", "12",
        ])
        .json();
    // The source's arithmetic stays as options[0] ...
    assert_eq!(s(&v["options"][0], "cost"), "360.00");
    // ... but 250 calls a month never leave the free quota.
    let spread = &v["spread"];
    assert_eq!(spread["months"], 12);
    assert_eq!(s(spread, "postpaid_cost"), "0.00");
    assert_eq!(spread["beyond_free_calls"], 0);
    assert_eq!(spread["cheapest"], "all-postpaid");
    assert_eq!(s(spread, "cheapest_cost"), "0.00");
}

#[test]
fn months_where_packs_for_the_calls_beyond_free_win() {
    // 60,000 calls over 6 months: 10,000 a month costs 1,350.00 postpaid each (8,100.00);
    // the 54,000 calls beyond the free quotas need 5 × 10k + 4 × 1k = 4,480.00.
    let v = Test::new()
        .args(&[
            "quote", "--api", "idcard", "--calls", "60000", "--months", "6",
        ])
        .json();
    let spread = &v["spread"];
    assert_eq!(s(spread, "postpaid_cost"), "8100.00");
    assert_eq!(spread["beyond_free_calls"], 54000);
    assert_eq!(s(&spread["beyond_free_packs"], "cost"), "4480.00");
    assert_eq!(spread["cheapest"], "packs-beyond-free");
    // Uneven spread: the remainder goes to the first months.
    let v = Test::new()
        .args(&["quote", "--api", "idcard", "--calls", "7", "--months", "3"])
        .json();
    assert_eq!(v["spread"]["monthly_calls"], serde_json::json!([3, 2, 2]));
}

#[test]
fn quote_errors() {
    let err = Test::new()
        .args(&["quote", "--api", "vat-invoice", "--calls", "7000"])
        .fails(1);
    assert!(err.contains("no prepaid packs"), "{err}");
    let err = Test::new()
        .args(&[
            "quote", "--api", "idcard", "--calls", "7000", "--months", "13",
        ])
        .fails(1);
    assert!(err.contains("--months 13"), "{err}");
    assert!(err.contains("1 to 12"), "{err}");
    Test::new()
        .args(&[
            "quote", "--api", "idcard", "--calls", "7000", "--months", "0",
        ])
        .fails(1);
    Test::new()
        .args(&[
            "quote", "--api", "idcard", "--calls", "7000", "--months", "x",
        ])
        .fails(2);
    let err = Test::new()
        .args(&["quote", "--api", "idcard", "--calls", "-7000"])
        .fails(1);
    assert!(err.contains("'-7000'"), "{err}");
}

#[test]
fn a_pack_price_list_that_does_not_read_is_told_as_size_at_price() {
    for (spec, told) in [
        (
            "100000=3500",
            "'100000=3500' has no @PRICE; expected SIZE@PRICE items",
        ),
        ("100k:3500", "'100k:3500' has no @PRICE"),
        ("100k@3500,10k", "'10k' has no @PRICE"),
        ("100k@3500,", "an empty item; expected SIZE@PRICE items"),
        ("100kx3@3500", "without xCOUNT; expected SIZE@PRICE items"),
        ("@3500", "or SIZE@PRICE for a price paid, such as 100k@3500"),
        ("100k@", "pack price: invalid amount ''"),
        // A price written with a thousands separator or a decimal comma.
        (
            "100k@3,500",
            "'500' has no @PRICE: is '3,500' one price? write it without a thousands separator",
        ),
        ("1k@84,5", "is '84,5' one price?"),
    ] {
        let err = Test::new()
            .args(&["quote", "--api", "idcard", "--calls", "300000"])
            .args(&["--pack-price", spec])
            .fails(1);
        assert!(err.contains(told), "{spec}: {err}");
        assert!(err.starts_with("error: --pack-price"), "{spec}: {err}");
    }
}

#[test]
fn another_price_lists_packs() {
    // variant.toml: 500 calls for 90.00 (0.18) and 5,000 for 700.50 (0.1401):
    // 5,400 calls take 5,000 + 500.
    let v = Test::new()
        .args(&[
            "--pricing",
            &fixture("variant.toml"),
            "quote",
            "--api",
            "idcard",
            "--calls",
            "5400",
        ])
        .json();
    assert_eq!(s(&v["options"][0], "cost"), "790.50");
    let v = Test::new()
        .args(&[
            "--pricing",
            &fixture("variant.toml"),
            "quote",
            "--api",
            "idcard",
            "--calls",
            "4600",
        ])
        .json();
    assert_eq!(s(&v["options"][0], "cost"), "700.50");
}

#[test]
fn quote_table_and_csv() {
    let out = Test::new()
        .args(&["quote", "--api", "idcard", "--calls", "7000"])
        .output();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("1 × 10,000"), "{text}");
    assert!(text.contains("+40.00"), "{text}");
    assert!(text.contains("--months"), "{text}");
    let out = Test::new()
        .args(&["quote", "--api", "idcard", "--calls", "7000", "-f", "csv"])
        .output();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("idcard,7000,cheapest,10000x1,800.00,10000,3000,0.1143,0.00"),
        "{text}"
    );
}

#[test]
fn every_format_carries_the_verdict() {
    let out = Test::new()
        .args(&[
            "quote", "--api", "idcard", "--calls", "3000", "--months", "12", "-f", "csv",
        ])
        .output();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("idcard,3000,all postpaid over 12 months,,0.00,"),
        "{text}"
    );
    assert!(
        text.contains("idcard,3000,cheapest: all-postpaid,,0.00,"),
        "{text}"
    );
}

#[test]
fn options_no_one_would_buy_are_left_out_of_the_table_unless_asked() {
    let out = Test::new()
        .args(&["quote", "--api", "idcard", "--calls", "3000"])
        .output();
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(!table.contains("10,000,000"), "{table}");
    assert!(
        table.contains("3 options of one pack bigger than needed left out"),
        "{table}"
    );
    // One left out is one option, shown by --all-options as "it".
    Test::new()
        .args(&[
            "--edition",
            "d",
            "quote",
            "--api",
            "idcard",
            "--calls",
            "300000",
        ])
        .args(&["--pack-price", "100000@3500"])
        .stdout_has("(1 option of one pack bigger than needed left out; --all-options shows it,")
        .run();
    let out = Test::new()
        .args(&[
            "quote",
            "--api",
            "idcard",
            "--calls",
            "3000",
            "--all-options",
        ])
        .output();
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("1 × 10,000,000"));
    let v = Test::new()
        .args(&["quote", "--api", "idcard", "--calls", "3000"])
        .json();
    assert_eq!(v["options"].as_array().unwrap().len(), 5);
}

#[test]
fn apis_of_one_billing_item_are_quoted_as_the_item() {
    // Edition d: 户口本识别 and 房产证识别 are both 通用证照识别, whose packs
    // serve them all: the quote of their 11,000 calls is the item's.
    let item = Test::new()
        .args(&[
            "--edition",
            "d",
            "quote",
            "--api",
            "cards",
            "--calls",
            "11000",
        ])
        .json();
    let apis = Test::new()
        .args(&[
            "--edition",
            "d",
            "quote",
            "--api",
            "residence-booklet",
            "--calls",
            "6000",
        ])
        .args(&["--api", "房产证识别", "--calls", "5k"])
        .json();
    assert_eq!(apis, item);
    assert_eq!(apis["calls"], 11000);
    assert_eq!(apis["options"][0]["cost"], "920.00");
    let err = Test::new()
        .args(&[
            "quote",
            "--api",
            "idcard",
            "--calls",
            "5",
            "--api",
            "身份证",
        ])
        .fails(2);
    assert!(err.contains("come in pairs"), "{err}");
}

/// One call, one month: said in the singular in the human report, as the
/// price list's one-month validity is in `prices`.
#[test]
fn one_call_and_one_month_are_said_in_the_singular() {
    Test::new()
        .args(&["quote", "--api", "idcard", "--calls", "1", "--months", "1"])
        .stdout_has("Packs for 1 call of idcard")
        .stdout_has("Spread over 1 month (1 call a month):")
        .run();
    Test::new()
        .args(&[
            "quote", "--api", "idcard", "--calls", "100000", "--months", "12",
        ])
        .stdout_has("Spread over 12 months (8,333–8,334 calls a month):")
        .run();
    Test::new()
        .args(&[
            "prepaid", "--api", "idcard", "--calls", "1", "--packs", "1000",
        ])
        .stdout_has("idcard (身份证): 1 call this month")
        .run();
    let (_dir, paths) = crate::files(&[("v1.toml", "pack_validity_months = 1\n")]);
    Test::new()
        .args(&["--pricing", &paths[0], "prices"])
        .stdout_has("packs valid 1 month, alert")
        .run();
    Test::new()
        .args(&["prices"])
        .stdout_has("packs valid 12 months, alert")
        .run();
}

/// APIs of several billing items: a quote each, as quoted alone, in the
/// order first named, and what the cheapest of each costs together.
#[test]
fn several_billing_items_get_a_quote_each_and_their_sum() {
    let alone = |api: &str, calls: &str, months: &[&str]| {
        Test::new()
            .args(&["quote", "--api", api, "--calls", calls])
            .args(months)
            .json()
    };
    let both = [
        "quote",
        "--api",
        "general",
        "--calls",
        "30000",
        "--api",
        "idcard",
        "--calls",
        "5000",
        "--api",
        "身份证",
        "--calls",
        "2000",
    ];
    let v = Test::new().args(&both).json();
    assert_eq!(v["currency"], "CNY");
    let quotes = v["quotes"].as_array().unwrap();
    assert_eq!(quotes.len(), 2);
    // Each is the item's quote alone (idcard's calls summed: 7,000).
    let (general, idcard) = (alone("general", "30000", &[]), alone("idcard", "7000", &[]));
    for (q, a) in quotes.iter().zip([&general, &idcard]) {
        for key in ["api", "calls", "options"] {
            assert_eq!(q[key], a[key], "{key}");
        }
    }
    // 3 × 10,000 for 2,400.00 and 1 × 10,000 for 800.00.
    assert_eq!(s(&v, "cost"), "3200.00");
    assert!(v.get("cheapest_cost").is_none());
    // With the months, each item's cheapest way, summed: general 30,000 over
    // 12 months is 2,500 a month, 1,500 beyond the free calls, 18,000 in
    // all, for 2 × 10,000 (1,600.00) against 12 × 225.00 postpaid; idcard
    // 7,000 is all free.
    let months = ["--months", "12"];
    let v = Test::new().args(&both).args(&months).json();
    let general = alone("general", "30000", &months);
    assert_eq!(s(&general["spread"], "cheapest_cost"), "1600.00");
    assert_eq!(v["quotes"][0]["spread"], general["spread"]);
    assert_eq!(s(&v["quotes"][1]["spread"], "cheapest_cost"), "0.00");
    assert_eq!(s(&v, "cheapest_cost"), "1600.00");
    Test::new()
        .args(&both)
        .args(&months)
        .stdout_has("Packs for 30,000 calls of general")
        .stdout_has("Packs for 7,000 calls of idcard")
        .stdout_has(
            "All 2 billing items: the cheapest packs cost 3,200.00 (general 2,400.00, idcard \
             800.00).",
        )
        .stdout_has("the cheapest way costs 1,600.00 (general 1,600.00, idcard 0.00).")
        .run();
    // How to compare with postpaid is said once, under the sum.
    let table = Test::new().args(&both).run().stdout;
    assert_eq!(table.matches("add --months M").count(), 1, "{table}");
    assert!(
        table.contains("(general 2,400.00, idcard 800.00).\nNote: like the source's examples these quotes ignore the monthly free calls"),
        "{table}"
    );
    // CSV: each item's rows, one after another.
    let csv = Test::new().args(&both).args(&["-f", "csv"]).run().stdout;
    let apis: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    let general_rows = apis.iter().take_while(|a| **a == "general").count();
    assert!(
        general_rows > 1 && apis[general_rows..].iter().all(|a| *a == "idcard"),
        "{csv}"
    );
    // Prices paid apply to every item's packs of the size, as in `plan`: 3 ×
    // 10,000 at 700.00 and 1 × 10,000.
    let v = Test::new()
        .args(&both)
        .args(&["--pack-price", "10k@700"])
        .json();
    assert_eq!(s(&v, "cost"), "2800.00");
    // An account's free calls shared (edition b): each month general, first
    // in the price list, takes the 1,000 (2,500 calls a month, 18,000 beyond
    // them: two 10,000-call packs, 1,600.00, as alone); idcard gets none,
    // its 583–584 calls a month free by their tier all the same.
    let v = Test::new()
        .args(&["--edition", "b"])
        .args(&both)
        .args(&months)
        .json();
    let spread = |i: usize, key: &str| s(&v["quotes"][i]["spread"], key);
    assert_eq!(spread(0, "cheapest_cost"), "1600.00", "{v}");
    assert_eq!(spread(0, "postpaid_cost"), "2700.00", "{v}");
    assert_eq!(v["quotes"][1]["spread"]["beyond_free_calls"], 7_000, "{v}");
    assert_eq!(spread(1, "postpaid_cost"), "0.00", "{v}");
    assert_eq!(s(&v, "cheapest_cost"), "1600.00");
    let table = Test::new()
        .args(&["--edition", "b"])
        .args(&both)
        .args(&months)
        .run()
        .stdout;
    assert!(
        table.contains("all postpaid (0 free calls a month, its share of the account's)")
            && table
                .contains("all postpaid (1,000 free calls a month, its share of the account's)"),
        "{table}"
    );
    // An item without packs is refused, naming it.
    let err = Test::new()
        .args(&both)
        .args(&["--api", "vat-invoice", "--calls", "5"])
        .fails(1);
    assert!(err.contains("vat-invoice has no prepaid packs"), "{err}");
}
