use crate::test::Test;
use crate::{fixture, s};

fn prepaid(api: &str, calls: &str, packs: &str) -> serde_json::Value {
    Test::new()
        .args(&["prepaid", "--api", api, "--calls", calls, "--packs", packs])
        .json()
}

#[test]
fn source_example_7_bankcard_2500_calls_with_one_1000_pack() {
    let v = prepaid("bankcard", "2500", "1000");
    assert_eq!(v["api"], "bankcard");
    assert_eq!(v["calls"], 2500);
    assert_eq!(v["free_calls"], 1000);
    assert_eq!(v["pack_calls"], 1000);
    assert_eq!(v["billable_calls"], 500);
    assert_eq!(s(&v, "unit_price"), "0.15");
    assert_eq!(s(&v, "pack_cost"), "120.00");
    assert_eq!(s(&v, "overage_amount"), "75.00");
    assert_eq!(s(&v, "total"), "195.00");
    assert_eq!(v["pack_calls_left"], 0);
    let kinds: Vec<&str> = v["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["pack-used-up", "switched-to-postpaid"]);
}

#[test]
fn overage_reaching_the_010_tier() {
    // 50,000 calls, one 10,000 pack: 39,000 overage at 0.10 (the total reaches 0.10).
    let v = prepaid("idcard", "50000", "10k");
    assert_eq!(v["billable_calls"], 39000);
    assert_eq!(s(&v, "unit_price"), "0.10");
    assert_eq!(s(&v, "overage_amount"), "3900.00");
    assert_eq!(s(&v, "total"), "4700.00");
}

#[test]
fn overage_reaching_the_006_tier() {
    // 300,000 calls, packs 1k + 2 × 10k + 2 × 10万 = 221,000: 78,000 overage at 0.06.
    let v = prepaid("general", "30万", "1k,10kx2,10万x2");
    assert_eq!(v["pack_calls"], 221000);
    assert_eq!(v["billable_calls"], 78000);
    assert_eq!(s(&v, "unit_price"), "0.06");
    assert_eq!(s(&v, "overage_amount"), "4680.00");
    assert_eq!(s(&v, "pack_cost"), "11720.00");
    assert_eq!(s(&v, "total"), "16400.00");
    // One entry per purchase (packs of a size bought together are held as a count).
    let packs = v["packs"].as_array().unwrap();
    assert_eq!(packs.len(), 3);
    assert_eq!(
        packs
            .iter()
            .map(|p| p["packs"].as_u64().unwrap())
            .sum::<u64>(),
        5
    );
}

#[test]
fn a_pack_bigger_than_the_need_reports_calls_left() {
    let v = prepaid("idcard", "3000", "10k");
    assert_eq!(v["pack_calls"], 2000);
    assert_eq!(v["billable_calls"], 0);
    assert_eq!(v["unit_price"], serde_json::Value::Null);
    assert_eq!(s(&v, "total"), "800.00");
    assert_eq!(v["pack_calls_left"], 8000);
    assert_eq!(v["alerts"].as_array().unwrap().len(), 0);
}

#[test]
fn low_pack_alert_fires_below_15_percent() {
    // 1,000 free + 8,600 from the pack: 1,400 left = 14% < 15%.
    let v = prepaid("idcard", "9600", "10k");
    assert_eq!(v["alerts"][0]["kind"], "pack-low");
    assert_eq!(v["alerts"][0]["remaining"], 1400);
    // 1,500 left is exactly 15%: not below, no alert.
    let v = prepaid("idcard", "9500", "10k");
    assert_eq!(v["alerts"].as_array().unwrap().len(), 0);
}

#[test]
fn packs_are_drawn_in_order_and_alerts_name_each() {
    let v = prepaid("idcard", "2900", "1kx2");
    // 1,900 from the packs: the first used up, the second has 100 left (10%).
    assert_eq!(v["packs"][0]["packs"], 2);
    assert_eq!(v["packs"][0]["used"], 1900);
    assert_eq!(v["packs"][0]["remaining"], 100);
    let alerts = v["alerts"].as_array().unwrap();
    assert_eq!(alerts[0]["kind"], "pack-used-up");
    assert_eq!(alerts[0]["pack"], 1);
    assert_eq!(alerts[1]["kind"], "pack-low");
    assert_eq!(alerts[1]["pack"], 2);
}

#[test]
fn without_packs_prepaid_equals_postpaid() {
    let p = Test::new()
        .args(&["prepaid", "--api", "idcard", "--calls", "9000"])
        .json();
    let q = Test::new()
        .args(&["postpaid", "--api", "idcard", "--calls", "9000"])
        .json();
    assert_eq!(p["total"], q["amount"]);
}

#[test]
fn contact_sales_overage_needs_a_price_zero_overage_does_not() {
    let err = Test::new()
        .args(&[
            "prepaid", "--api", "idcard", "--calls", "2M", "--packs", "1M",
        ])
        .fails(1);
    assert!(err.contains("contact-sales"), "{err}");
    assert!(err.contains("2000000"), "{err}");
    // Overage 1,000,000 − 1,000 + … with a negotiated price.
    let v = Test::new()
        .args(&[
            "prepaid",
            "--api",
            "idcard",
            "--calls",
            "2M",
            "--packs",
            "1M",
            "--negotiated-price",
            "0.04",
        ])
        .json();
    assert_eq!(v["billable_calls"], 999000);
    assert_eq!(s(&v, "overage_amount"), "39960.00");
    // The packs cover every call beyond the free quota: no price needed.
    let v = prepaid("idcard", "2M", "1Mx2");
    assert_eq!(v["billable_calls"], 0);
    assert_eq!(s(&v, "total"), "60000.00");
}

/// Edition c's freeze is 100 % × the calls packs did not serve × the unit
/// price: with packs serving all but the free calls of a contact-sales month,
/// the bill needs no price but the freeze does, and is refused without one
/// (never 0.00); the seed's freeze, 1.2 × the bill, needs none.
#[test]
fn a_list_price_freeze_in_the_contact_sales_tier_needs_a_price() {
    let args = [
        "prepaid",
        "--edition",
        "c",
        "--api",
        "bankcard",
        "--calls",
        "1500000",
        "--packs",
        "1Mx2",
    ];
    let err = Test::new().args(&args).fails(1);
    assert!(
        err.starts_with("error: bankcard: the freeze counts the 1000 calls"),
        "{err}"
    );
    assert!(err.contains("(n > 1000000)"), "{err}");
    assert!(err.contains("; pass --negotiated-price PRICE"), "{err}");
    let v = Test::new()
        .args(&args)
        .args(&["--negotiated-price", "0.03"])
        .json();
    assert_eq!(v["billable_calls"], 0);
    assert_eq!(s(&v, "total"), "60000.00");
    // 1,000 free calls × 0.03.
    assert_eq!(s(&v, "freeze"), "30.00");
    let v = prepaid("bankcard", "1500000", "1Mx2");
    assert_eq!(s(&v, "freeze"), "0.00");
}

#[test]
fn pack_errors_name_the_value() {
    let err = Test::new()
        .args(&[
            "prepaid", "--api", "idcard", "--calls", "5000", "--packs", "5000",
        ])
        .fails(1);
    assert!(err.contains("5000"), "{err}");
    assert!(
        err.contains("1000, 10000, 100000, 1000000, 10000000"),
        "{err}"
    );
    let err = Test::new()
        .args(&[
            "prepaid",
            "--api",
            "vat-invoice",
            "--calls",
            "5000",
            "--packs",
            "1000",
        ])
        .fails(1);
    assert!(err.contains("vat-invoice has no prepaid packs"), "{err}");
    for bad in ["1kx", "abc", "1k,,10k", "1kx0", "-1000"] {
        let err = Test::new()
            .args(&[
                "prepaid", "--api", "idcard", "--calls", "5000", "--packs", bad,
            ])
            .fails(1);
        assert!(err.contains(&format!("'{bad}'")), "{bad}: {err}");
    }
    // SIZE and COUNT the other way round (two packs of 1,000 written 2x1000):
    // told how to write it; a count that is no size is not.
    let swapped = |packs: &str| {
        Test::new()
            .args(&[
                "prepaid", "--api", "idcard", "--calls", "2500", "--packs", packs,
            ])
            .fails(1)
    };
    let err = swapped("2x1000");
    assert!(
        err.contains("has no pack of 2 calls")
            && err.contains("for 2 packs of 1000 calls write 1000x2"),
        "{err}"
    );
    assert!(!swapped("2x7").contains("write"));
}

#[test]
fn overage_tier_by_postpaid_calls_in_the_variant() {
    // variant.toml: no free quota, packs of 500 and 5,000, overage tier picked by
    // the calls not served by packs: 12,000 calls − 5,000 packed = 7,000 → 0.20.
    let file = fixture("variant.toml");
    let v = Test::new()
        .args(&[
            "--pricing",
            &file,
            "prepaid",
            "--api",
            "idcard",
            "--calls",
            "12000",
            "--packs",
            "5000",
        ])
        .json();
    assert_eq!(v["billable_calls"], 7000);
    assert_eq!(s(&v, "unit_price"), "0.20");
    assert_eq!(s(&v, "total"), "2100.50");
    // 20% alert: 5,000-call pack with 900 left (18%) alerts.
    let v = Test::new()
        .args(&[
            "--pricing",
            &file,
            "prepaid",
            "--api",
            "idcard",
            "--calls",
            "4100",
            "--packs",
            "5000",
        ])
        .json();
    assert_eq!(v["alerts"][0]["kind"], "pack-low");
}

#[test]
fn prepaid_table_and_csv() {
    let out = Test::new()
        .args(&[
            "prepaid", "--api", "bankcard", "--calls", "2500", "--packs", "1000",
        ])
        .output();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Total: 195.00"), "{text}");
    assert!(text.contains("went postpaid"), "{text}");
    // Counts and money in the lines under the table are grouped as in it.
    Test::new()
        .args(&[
            "prepaid", "--api", "idcard", "--calls", "50000", "--packs", "10k",
        ])
        .stdout_has("idcard (身份证): 50,000 calls this month")
        .stdout_has("Total: 4,700.00 (packs 800.00 + overage 3,900.00)")
        .run();
    let out = Test::new()
        .args(&[
            "prepaid", "--api", "bankcard", "--calls", "2500", "--packs", "1000", "-f", "csv",
        ])
        .output();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("api,name,calls,free_calls,pack_calls,billable_calls"));
    assert!(lines
        .next()
        .unwrap()
        .starts_with("bankcard,银行卡,2500,1000,1000,500,2,0.15,120.00,75.00,195.00,0,"));
}

#[test]
fn several_apis_of_an_account_each_with_its_packs() {
    // Edition b: the account's 1,000 free calls go to 通用印刷体识别 first.
    let v = Test::new()
        .args(&[
            "--edition",
            "b",
            "prepaid",
            "--api",
            "idcard",
            "--calls",
            "9000",
            "--packs",
            "1000",
            "--api",
            "general",
            "--calls",
            "600",
        ])
        .json();
    let months = v["months"].as_array().unwrap();
    assert_eq!(months[0]["free_calls"], 400);
    assert_eq!(s(&months[0], "total"), "1260.00");
    assert_eq!(months[1]["free_calls"], 600);
    assert_eq!(s(&v, "total"), "1260.00");
    // Why idcard has 400 free calls: said, as `postpaid` says it.
    assert!(
        v["notes"][0]
            .as_str()
            .unwrap()
            .contains("taken by the billing items in price-list order"),
        "{v}"
    );
    // The same API named twice is one month of its calls, as in `postpaid`.
    let v = Test::new()
        .args(&[
            "prepaid",
            "--api",
            "idcard",
            "--calls",
            "5000",
            "--api",
            "身份证",
            "--calls",
            "6000",
            "--packs",
            "1k",
        ])
        .json();
    assert_eq!(v["calls"], 11000);
    assert_eq!(v["pack_calls"], 1000);
    // 9,000 overage calls at the 0.10 that 11,000 reach, and the pack.
    assert_eq!(s(&v, "total"), "1020.00");
    let err = Test::new()
        .args(&[
            "prepaid", "--api", "idcard", "--calls", "5", "--packs", "1k", "--packs", "1k",
        ])
        .fails(2);
    assert!(
        err.contains("two --packs for --api idcard: '1k' and '1k'"),
        "{err}"
    );
}

/// A --packs is the packs of the --api before it, wherever the others stand:
/// bankcard's pack is not idcard's because idcard is named first.
#[test]
fn packs_belong_to_the_api_they_follow() {
    let months = |args: &[&str]| {
        let v = Test::new().arg("prepaid").args(args).json();
        (v["months"].as_array().unwrap().iter())
            .map(|m| {
                (
                    m["api"].as_str().unwrap().to_string(),
                    s(m, "pack_cost").to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    let mine = |api: &str, cost: &str| (api.to_string(), cost.to_string());
    assert_eq!(
        months(&[
            "--api", "idcard", "--calls", "5000", "--api", "bankcard", "--calls", "2500",
            "--packs", "1000",
        ]),
        [mine("idcard", "0.00"), mine("bankcard", "120.00")]
    );
    assert_eq!(
        months(&[
            "--api", "idcard", "--calls", "5000", "--packs", "10k", "--api", "bankcard", "--calls",
            "2500", "--packs", "1000",
        ]),
        [mine("idcard", "800.00"), mine("bankcard", "120.00")]
    );
    // With one --api, a --packs anywhere is its.
    let v = Test::new()
        .args(&[
            "prepaid", "--packs", "1000", "--api", "bankcard", "--calls", "2500",
        ])
        .json();
    assert_eq!(s(&v, "total"), "195.00");
    // Before the first of several, it is no API's.
    let err = Test::new()
        .args(&[
            "prepaid", "--packs", "1000", "--api", "idcard", "--calls", "5000", "--api",
            "bankcard", "--calls", "2500",
        ])
        .fails(2);
    assert!(
        err.contains("--packs 1000 comes before any --api: write each --packs after"),
        "{err}"
    );
}

#[test]
fn apis_of_one_billing_item_share_its_month_and_its_packs() {
    // Edition d: 户口本识别 and 房产证识别 are both 通用证照识别. Their 11,000
    // calls reach the 0.10 tier together, and a pack bought with either
    // serves both (共享资源包): 1,000 free, 1,000 from the pack, 9,000 × 0.10
    // + 120. Apart they would be two months of 4,000 calls at 0.15 over the
    // free quota each.
    let args = [
        "--edition",
        "d",
        "prepaid",
        "--api",
        "residence-booklet",
        "--calls",
        "6000",
        "--packs",
        "1k",
        "--api",
        "房产证识别",
        "--calls",
        "5000",
    ];
    let v = Test::new().args(&args).json();
    assert_eq!(s(&v, "api"), "cards");
    assert_eq!(v["calls"], 11000);
    assert_eq!(
        (v["free_calls"].clone(), v["pack_calls"].clone()),
        (1000.into(), 1000.into())
    );
    assert_eq!(s(&v, "unit_price"), "0.10");
    assert_eq!(s(&v, "total"), "1020.00");
    let apis: Vec<(&str, u64)> = (v["apis"].as_array().unwrap().iter())
        .map(|a| (s(a, "api"), a["calls"].as_u64().unwrap()))
        .collect();
    assert_eq!(apis, [("residence-booklet", 6000), ("property-cert", 5000)]);
    // Packs given with each API serve the item in the order listed: the
    // second API's 10,000-call pack after the first's 1,000.
    let mut more = args.to_vec();
    more.extend(["--packs", "10k@700"]);
    let v = Test::new().args(&more).json();
    assert_eq!(v["pack_calls"], 10000);
    assert_eq!(v["pack_calls_left"], 1000);
    assert_eq!(s(&v, "total"), "820.00");
    Test::new()
        .args(&more)
        .stdout_has(
            "cards = residence-booklet (户口本识别) 6,000 + property-cert (房产证识别) 5,000",
        )
        .run();
}

/// A thousands separator in a pack's size or price is refused, not read as
/// more packs: `10,000` is not a pack of 10 and one of 000; `1k@1,100` is not
/// a pack at 1.00 and a pack of 100 calls (edition d sells 100-call packs of
/// verification products), and a pack after a price is written as 100x1.
#[test]
fn a_pack_size_or_price_with_a_thousands_separator_is_refused_not_split() {
    for (packs, told) in [
        ("10,000", ["'10,000'", "write the size 10000 without"]),
        (
            "1k@1,100",
            [
                "'1k@1,100' reads as a price of 1 and then a pack of 100 calls",
                "or that pack as 100x1",
            ],
        ),
    ] {
        let err = Test::new()
            .args(&["prepaid", "--api", "idcard", "--calls", "9000"])
            .args(&["--packs", packs])
            .fails(1);
        assert!(told.iter().all(|t| err.contains(t)), "{packs}: {err}");
    }
}

#[test]
fn the_month_with_packs_says_what_it_freezes() {
    // Seed: 1.2 × the overage bill (75.00); packs are paid when bought.
    assert_eq!(s(&prepaid("bankcard", "2500", "1000"), "freeze"), "90.00");
    // Edition c: 100% × the calls packs did not serve × list price, free
    // quota included: 1,500 × 0.15.
    let v = Test::new()
        .args(&[
            "--edition",
            "c",
            "prepaid",
            "--api",
            "bankcard",
            "--calls",
            "2500",
            "--packs",
            "1000",
        ])
        .json();
    assert_eq!(s(&v, "freeze"), "225.00", "{v}");
    // An account of two items: one freeze over both bills, 1.2 × 1,275.00.
    let v = Test::new()
        .args(&[
            "prepaid", "--api", "bankcard", "--calls", "2500", "--packs", "1000", "--api",
            "idcard", "--calls", "9000",
        ])
        .json();
    assert_eq!(s(&v, "freeze"), "1530.00", "{v}");
    // Edition d freezes nothing, and says so.
    Test::new()
        .args(&[
            "--edition",
            "d",
            "prepaid",
            "--api",
            "bankcard",
            "--calls",
            "2500",
            "--packs",
            "1000@84",
        ])
        .stdout_has("Freeze after settlement: none (this price list freezes nothing)")
        .run();
}

/// The table counts the packs bought, not the purchases: `10kx3` is three.
#[test]
fn the_table_counts_every_pack_bought() {
    for (packs, want) in [("10kx3", 3), ("10k,1kx2", 3), ("1w", 1)] {
        Test::new()
            .args(&["prepaid", "--api", "idcard", "--calls", "20000"])
            .args(&["--packs", packs])
            .stdout_has(&format!("prepaid packs ({want} bought)"))
            .run();
    }
}
