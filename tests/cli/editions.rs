//! Every published edition of the price page: the pages' own worked examples,
//! tier edges, shared billing items, free quotas, freezes and alert rules.

use crate::test::Test;
use crate::{files, s};

/// `postpaid` of one API on an edition, as JSON.
fn bill(edition: &str, api: &str, calls: &str) -> serde_json::Value {
    Test::new()
        .args(&[
            "--edition",
            edition,
            "postpaid",
            "--api",
            api,
            "--calls",
            calls,
        ])
        .json()
}

#[test]
fn worked_examples_of_every_edition() {
    // (edition, API, calls, bill): the worked examples of the pages.
    for (edition, api, calls, want) in [
        ("seed", "idcard", "900", "0.00"),
        ("seed", "license", "9000", "1200.00"),
        ("seed", "general", "90000", "8900.00"),
        ("seed", "bankcard", "900000", "53940.00"),
        ("b", "身份证识别", "900", "0.00"),
        ("b", "驾驶证", "9000", "1200.00"),
        ("b", "通用印刷体识别", "90000", "8900.00"),
        ("b", "银行卡识别", "900000", "53940.00"),
        ("c", "idcard", "900", "0.00"),
        ("c", "驾驶证", "9000", "1200.00"),
        ("c", "general", "90000", "8900.00"),
        ("c", "bankcard", "900000", "53940.00"),
        ("d", "idcard", "900", "0.00"),
        ("d", "驾驶证识别", "9000", "1200.00"),
        ("d", "general", "90000", "8900.00"),
        ("d", "bankcard", "900000", "53940.00"),
        ("e", "idcard", "900", "0.00"),
        ("intl", "general", "9000", "189.00"),
        ("intl", "general", "90000", "1260.00"),
        ("intl", "general", "900000", "7650.00"),
    ] {
        let v = bill(edition, api, calls);
        assert_eq!(s(&v, "amount"), want, "{edition} {api} {calls}");
    }
    assert_eq!(s(&bill("intl", "general", "9000"), "currency"), "USD");
    assert_eq!(s(&bill("d", "general", "9000"), "currency"), "CNY");
}

#[test]
fn pack_examples_with_the_price_paid() {
    let prepaid = |edition: &str, api: &str, calls: &str, packs: &str| {
        Test::new()
            .args(&[
                "--edition",
                edition,
                "prepaid",
                "--api",
                api,
                "--calls",
                calls,
                "--packs",
                packs,
            ])
            .json()
    };
    // c: three 100,000-call packs for 300,000 calls a year; 2,500 calls with a 1,000 pack.
    let v = Test::new()
        .args(&[
            "--edition",
            "c",
            "quote",
            "--api",
            "idcard",
            "--calls",
            "300000",
        ])
        .json();
    assert_eq!(s(&v["options"][0], "label"), "cheapest");
    assert_eq!(s(&v["options"][0], "cost"), "15000.00");
    assert_eq!(
        s(&prepaid("c", "bankcard", "2500", "1000"), "total"),
        "195.00"
    );
    // d: the same packs bought at 3,500 each; a 1,000 pack bought at 84.
    assert_eq!(
        s(&prepaid("d", "idcard", "0", "100kx3@3500"), "pack_cost"),
        "10500.00"
    );
    assert_eq!(
        s(&prepaid("d", "bankcard", "2500", "1000@84"), "total"),
        "159.00"
    );
    // A cell not sold is refused; one sold only at a negotiated price needs it.
    let err = Test::new()
        .args(&[
            "--edition",
            "d",
            "prepaid",
            "--api",
            "verify-bizlicense-basic",
            "--calls",
            "50",
            "--packs",
            "100",
        ])
        .fails(1);
    assert!(err.contains("no pack of 100 calls"), "{err}");
    let err = Test::new()
        .args(&[
            "--edition",
            "d",
            "prepaid",
            "--api",
            "verify-enterprise",
            "--calls",
            "5",
            "--packs",
            "100000",
        ])
        .fails(1);
    assert!(
        err.contains("no list price") && err.contains("100000@PRICE"),
        "{err}"
    );
    let v = prepaid("d", "verify-enterprise", "5", "100000@80000");
    assert_eq!(s(&v, "pack_cost"), "80000.00");
}

#[test]
fn a_shared_billing_item_sums_its_apis() {
    let v = Test::new().args(crate::POSTPAID_D).json();
    let line = &v["lines"][0];
    assert_eq!(v["lines"].as_array().unwrap().len(), 1);
    assert_eq!(s(line, "api"), "cards");
    assert_eq!(s(line, "name"), "通用证照识别");
    assert_eq!(line["calls"], 11000);
    assert_eq!(s(line, "unit_price"), "0.10");
    assert_eq!(s(line, "amount"), "1000.00");
    assert_eq!(line["apis"][0]["api"], "residence-booklet");
    assert_eq!(line["apis"][1]["calls"], 5000);
    // The human table says which APIs were summed.
    let out = Test::new()
        .args(&[
            "--edition",
            "d",
            "postpaid",
            "--api",
            "ResidenceBookletOCR",
            "--calls",
            "6000",
        ])
        .args(&["--api", "房产证识别", "--calls", "5000"])
        .output();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "cards = residence-booklet (户口本识别) 6,000 + property-cert (房产证识别) 5,000"
        ),
        "{text}"
    );
}

#[test]
fn tier_edges_of_each_bound_rule() {
    // lower < n ≤ upper (d): 10,000 calls are at 0.15; 10,001 at 0.10.
    assert_eq!(
        s(&bill("d", "idcard", "10000")["lines"][0], "unit_price"),
        "0.15"
    );
    assert_eq!(
        s(&bill("d", "idcard", "10001")["lines"][0], "unit_price"),
        "0.10"
    );
    // lower ≤ n < upper (e): 9,999 at 0.15; 10,000 at 0.10.
    assert_eq!(
        s(&bill("e", "idcard", "9999")["lines"][0], "unit_price"),
        "0.15"
    );
    let v = bill("e", "idcard", "10000");
    assert_eq!(s(&v["lines"][0], "unit_price"), "0.10");
    assert_eq!(s(&v, "amount"), "900.00");
    // A special row: d's 图片文字识别（基础版） has a list price in the top tier.
    let v = bill("d", "qrcode", "1000000");
    assert_eq!(s(&v["lines"][0], "unit_price"), "0.06");
    let v = bill("d", "qrcode", "1000001");
    assert_eq!(s(&v["lines"][0], "unit_price"), "0.03");
    assert_eq!(s(&v, "amount"), "29970.03");
    // e's flat rows: one price in every listed tier.
    for calls in ["5000", "50000", "500000"] {
        assert_eq!(
            s(
                &bill("e", "medical-invoice", calls)["lines"][0],
                "unit_price"
            ),
            "0.60"
        );
    }
    // a: tiers to 1,000 free, then every call at the reached tier, no voucher.
    assert_eq!(s(&bill("a", "idcard", "1000"), "amount"), "0.00");
    assert_eq!(s(&bill("a", "idcard", "1001"), "amount"), "200.20");
    assert_eq!(s(&bill("a", "idcard", "100001"), "amount"), "8000.08");
    assert_eq!(s(&bill("a", "bizcard", "10001"), "amount"), "400.04");
}

/// Edition b's account allowance over two items: idcard 9,000 and general 600.
const B_IDCARD_AND_GENERAL: [&str; 11] = [
    "--edition",
    "b",
    "postpaid",
    "--api",
    "idcard",
    "--calls",
    "9000",
    "--api",
    "general",
    "--calls",
    "600",
];

#[test]
fn free_quota_scopes() {
    // b: one allowance per account, taken in the page's order (通用印刷体识别 first).
    let v = Test::new().args(&B_IDCARD_AND_GENERAL).json();
    let lines = v["lines"].as_array().unwrap();
    assert_eq!(lines[0]["free_calls"], 400, "{v}");
    assert_eq!(s(&lines[0], "amount"), "1290.00");
    assert_eq!(lines[1]["free_calls"], 600);
    assert_eq!(s(&v, "amount"), "1290.00");
    // intl and a: none.
    assert_eq!(bill("intl", "general", "500")["lines"][0]["free_calls"], 0);
    // d: one free quota per billing item, not per API.
    let v = Test::new()
        .args(&[
            "--edition",
            "d",
            "postpaid",
            "--api",
            "passport",
            "--calls",
            "800",
            "--api",
            "permit",
            "--calls",
            "800",
        ])
        .json();
    assert_eq!(v["lines"][0]["free_calls"], 1000);
    assert_eq!(s(&v, "amount"), "90.00");
    // d: verification products have no monthly quota; their one-time pack is
    // taken as spent by a single month, and granted by the ledger.
    let v = bill("d", "条码信息查询", "100");
    assert_eq!(s(&v, "amount"), "12.00");
    assert!(
        v["notes"][0].as_str().unwrap().contains("one-time 50"),
        "{v}"
    );
    // prepaid and batch say so too (RULES §7.2: single-month commands).
    let v = Test::new()
        .args(&[
            "--edition",
            "d",
            "prepaid",
            "--api",
            "条码信息查询",
            "--calls",
            "100",
        ])
        .json();
    assert!(
        v["notes"][0].as_str().unwrap().contains("one-time 50"),
        "{v}"
    );
    // batch, row by row and
    // grouped, once per item, and not for items without such a pack.
    let input = "account,api,calls\na,条码信息查询,100\nb,条码信息查询,30\na,idcard,9000\n";
    for group in [None, Some("account")] {
        let mut args = vec!["--edition", "d", "batch"];
        args.extend(group.map(|g| ["--group-by", g]).into_iter().flatten());
        let ran = Test::new().args(&args).stdin(input).run();
        assert_eq!(
            ran.stderr
                .matches("note: barcode-query: its one-time 50 free calls")
                .count(),
            1,
            "{}",
            ran.stderr
        );
        assert_eq!(ran.stderr.matches("note:").count(), 1, "{}", ran.stderr);
    }
}

#[test]
fn freezes_of_each_edition() {
    // seed and a: 120% of the bill; c: 100% of calls × list price; d, e, intl: none.
    assert_eq!(s(&bill("seed", "license", "9000"), "freeze"), "1440.00");
    assert_eq!(s(&bill("a", "idcard", "1001"), "freeze"), "240.24");
    assert_eq!(s(&bill("c", "license", "9000"), "freeze"), "1350.00");
    assert_eq!(s(&bill("c", "idcard", "900"), "freeze"), "135.00");
    for edition in ["d", "e", "intl"] {
        assert_eq!(
            s(&bill(edition, "general", "90000"), "freeze"),
            "0.00",
            "{edition}"
        );
    }
}

fn ledger(edition: &str, usage: &str, packs: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let u = dir.path().join("usage.csv");
    let p = dir.path().join("packs.csv");
    std::fs::write(&u, usage).unwrap();
    std::fs::write(&p, packs).unwrap();
    Test::new()
        .args(&[
            "--edition",
            edition,
            "ledger",
            "--usage",
            u.to_str().unwrap(),
            "--packs",
            p.to_str().unwrap(),
        ])
        .json()
}

#[test]
fn alert_rules_in_the_ledger() {
    let usage = "month,api,calls\n2026-01,idcard,2900\n2026-02,idcard,1100\n";
    let packs = "month,api,calls,count\n2026-01,idcard,1000,2\n";
    // seed: every pack, below 15% and at 0.
    let v = ledger("seed", usage, packs);
    let kinds: Vec<&str> = v["months"][0]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["pack-used-up", "pack-low"], "{v}");
    // d: only the last usable pack, below 20% and at 0.
    let v = ledger("d", usage, packs);
    let events = v["months"][0]["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{v}");
    assert_eq!(events[0]["kind"], "pack-low");
    assert_eq!(events[0]["pack"], 2);
    let events = v["months"][1]["events"].as_array().unwrap();
    assert_eq!(events[0]["kind"], "pack-used-up", "{v}");
    assert_eq!(events[0]["pack"], 2);
}

#[test]
fn a_plan_and_a_quote_say_they_take_a_one_time_free_pack_as_spent() {
    let plan = |api: &str| {
        Test::new()
            .args(&[
                "--edition",
                "d",
                "plan",
                "--api",
                api,
                "--monthly",
                "100",
                "200",
            ])
            .json()
    };
    let v = plan("barcode-query");
    assert!(
        v["notes"][0]
            .as_str()
            .unwrap()
            .contains("one-time 50 free calls"),
        "{v}"
    );
    // Without the pack's calls: 300 calls at the first tier's 0.12.
    assert_eq!(s(&v["options"][0], "cost"), "36.00", "{v}");
    assert!(plan("idcard").get("notes").is_none());
    let v = Test::new()
        .args(&[
            "--edition",
            "d",
            "quote",
            "--api",
            "barcode-query",
            "--calls",
            "3000",
        ])
        .json();
    assert!(
        v["notes"][0]
            .as_str()
            .unwrap()
            .contains("one-time 50 free calls"),
        "{v}"
    );
}

#[test]
fn the_ledger_grants_a_one_time_free_pack() {
    // 30 and 40 calls of 条码信息查询: the first 50 are free, over two months.
    let v = ledger(
        "d",
        "month,api,calls\n2026-01,barcode-query,30\n2026-02,barcode-query,40\n",
        "month,api,calls\n",
    );
    assert_eq!(s(&v["months"][0], "bill"), "0.00", "{v}");
    assert_eq!(v["months"][0]["lines"][0]["pack_calls"], 30);
    assert_eq!(v["months"][1]["lines"][0]["pack_calls"], 20);
    assert_eq!(s(&v["months"][1], "bill"), "2.40");
    // The grant is told, valid five years.
    let grant = &v["months"][0]["events"][0];
    assert_eq!(grant["kind"], "free-pack-granted", "{v}");
    assert_eq!(grant["size"], 50);
    assert_eq!(s(grant, "expires_after"), "2030-12");
    // Packs bought are numbered from 1 beside a free pack, and a free pack's
    // expiry says it was the free one.
    let v = ledger(
        "d",
        "month,api,calls\n2026-01,barcode-query,10\n2031-01,barcode-query,10\n",
        "month,api,calls\n2026-01,barcode-query,1000\n",
    );
    assert_eq!(v["months"][0]["packs_bought"][0]["pack"], 1, "{v}");
    let expired: Vec<&serde_json::Value> = v["months"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["events"].as_array().unwrap())
        .filter(|e| e["kind"] == "pack-expired")
        .collect();
    assert_eq!(expired.len(), 2, "{v}");
    assert_eq!(expired[0]["pack"], 1);
    assert_eq!(expired[0]["unused_calls"], 1000);
    assert_eq!(expired[1]["free"], true);
    assert_eq!(expired[1]["unused_calls"], 40);
}

/// The billing item key a name is billed as, in `edition`.
fn billed_as(edition: &str, name: &str) -> String {
    s(&bill(edition, name, "9000")["lines"][0], "api").to_string()
}

/// The error of a `postpaid` naming `name`, in `edition`.
fn name_refused(edition: &str, name: &str) -> String {
    Test::new()
        .args(&[
            "--edition",
            edition,
            "postpaid",
            "--api",
            name,
            "--calls",
            "5",
        ])
        .fails(1)
}

#[test]
fn names_users_have() {
    // Keys, Chinese names, other spellings and Tencent action names.
    for name in ["idcard", "身份证识别", "IDCardOCR", "idcardocr"] {
        assert_eq!(billed_as("d", name), "idcard", "{name}");
    }
    assert_eq!(billed_as("d", "车辆VIN码识别"), "vin");
    // A name the page lists under two billing items is refused with both.
    let err = name_refused("d", "混贴票据识别");
    assert!(
        err.contains("mixed-invoice-large") && err.contains("mixed-invoice-small"),
        "{err}"
    );
    let err = name_refused("e", "MixedInvoiceOCR");
    assert!(
        err.contains("通用票据识别（大票）") && err.contains("通用票据识别（小票）"),
        "{err}"
    );
    // A service category (服务类别) is no API: refused with its APIs, and only
    // where no API or item has its name.
    let err = name_refused("d", "营业执照核验");
    assert!(
        err.contains("category")
            && err.contains("verify-bizlicense-basic")
            && err.contains("verify-enterprise")
            && !err.contains("did you mean"),
        "{err}"
    );
    assert_eq!(billed_as("e", "智能结构化识别"), "smart-structural");
    // Each table action is its own version of 表格识别 in edition e: V3 is
    // RecognizeTableAccurateOCR, V2 RecognizeTableOCR (and the old TableOCR).
    for (action, api) in [
        ("RecognizeTableAccurateOCR", "table-v3"),
        ("RecognizeTableOCR", "table-v2"),
        ("TableOCR", "table-v2"),
    ] {
        let line = &bill("e", action, "9000")["lines"][0];
        assert_eq!(s(line, "api"), "table", "{action}");
        assert_eq!(s(&line["apis"][0], "api"), api, "{action}");
    }
    assert_eq!(billed_as("d", "行业文档识别"), "documents");
    // Unknown names suggest the closest across keys, names and actions.
    let err = name_refused("d", "IDCardOCRR");
    assert!(err.contains("did you mean 'idcard'"), "{err}");
}

#[test]
fn every_shipped_api_has_a_tencent_action_and_its_category() {
    let list = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/ocr-actions.txt"
    ))
    .unwrap();
    let actions: Vec<&str> = list
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split('\t').next())
        .collect();
    assert!(actions.len() > 70);
    for (edition, _) in ocr_bill::EDITIONS {
        let prices = ocr_bill::PriceList::edition(edition).unwrap();
        for api in &prices.apis {
            // The pages with three columns of names (服务类别, 接口名称, 计费项名称)
            // give every API a category.
            assert_eq!(
                api.category.is_some(),
                ["d", "e"].contains(&edition),
                "{edition}: {} category {:?}",
                api.key,
                api.category
            );
            // Every API has its action (RULES §7.1), so a script can name it so.
            assert!(
                !api.actions.is_empty(),
                "{edition}: {} has no action",
                api.key
            );
            for action in &api.actions {
                assert!(
                    actions.contains(&action.as_str()),
                    "{edition}: {} names action {action}, not in the SDK's list",
                    api.key
                );
            }
        }
    }
}

#[test]
fn a_pricing_file_starts_from_an_edition_and_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("negotiated.toml");
    std::fs::write(
        &path,
        "edition = \"d\"\n[tiers]\nstandard = [ { upto = 10_000, price = \"0.12\" }, { price = \"0.08\" } ]\n",
    )
    .unwrap();
    let p = path.to_str().unwrap();
    let v = Test::new()
        .args(&[
            "--pricing",
            p,
            "postpaid",
            "--api",
            "户口本识别",
            "--calls",
            "11000",
        ])
        .json();
    assert_eq!(s(&v["lines"][0], "unit_price"), "0.08");
    assert_eq!(s(&v, "edition"), "d");
    // --edition names the base of a file that names none; an unknown one is refused.
    let err = Test::new().args(&["--edition", "z", "prices"]).fails(1);
    assert!(
        err.contains("unknown edition 'z'") && err.contains("intl"),
        "{err}"
    );
    let v = Test::new()
        .args(&["--edition", "e", "prices", "--editions"])
        .json();
    assert_eq!(v.as_array().unwrap().len(), 7);
    // Each with the currency it bills in.
    let currencies: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| s(e, "currency"))
        .collect();
    assert_eq!(
        currencies,
        ["CNY", "CNY", "CNY", "CNY", "CNY", "CNY", "USD"]
    );
}

#[test]
fn prices_as_toml_is_a_file_to_start_from() {
    let out = Test::new()
        .args(&["--edition", "d", "prices", "--format", "toml"])
        .output();
    assert!(out.status.success());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.toml");
    std::fs::write(&path, &out.stdout).unwrap();
    let p = path.to_str().unwrap();
    let v = Test::new()
        .args(&[
            "--pricing",
            p,
            "postpaid",
            "--api",
            "户口本识别",
            "--calls",
            "11000",
        ])
        .json();
    assert_eq!(s(&v, "amount"), "1000.00");
    assert_eq!(s(&v, "edition"), "d");
    let err = Test::new()
        .args(&["postpaid", "--api", "idcard", "--calls", "5", "-f", "toml"])
        .fails(2);
    assert!(err.contains("for `prices` only"), "{err}");
}

#[test]
fn batch_shares_an_accounts_free_calls_in_edition_b() {
    let input = "account,month,api,calls\nA,2026-01,idcard,9000\nA,2026-01,general,600\nB,2026-01,idcard,9000\n";
    let out = Test::new()
        .args(&[
            "--edition",
            "b",
            "batch",
            "--group-by",
            "account,month",
            "-f",
            "json",
        ])
        .stdin(input)
        .output();
    let rows: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // A's allowance goes to 通用印刷体识别 first: 600, and 400 to idcard — as postpaid bills it.
    assert_eq!(rows[0]["free_calls"], 400);
    assert_eq!(s(&rows[0], "amount"), "1290.00");
    assert_eq!(rows[1]["free_calls"], 600);
    assert_eq!(rows[2]["free_calls"], 1000);
    let v = Test::new().args(&B_IDCARD_AND_GENERAL).json();
    assert_eq!(s(&v, "amount"), "1290.00");
    // Row by row, rows of one account and month are counted in the warning.
    let out = Test::new()
        .args(&["--edition", "b", "batch"])
        .stdin(input)
        .output();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("2 rows share their account and month"),
        "{err}"
    );
}

#[test]
fn quote_and_curve_count_the_apis_own_monthly_quota() {
    // Edition d: 条码信息查询 has no monthly quota of its own (a one-time pack
    // instead), while the list's is 1,000.
    let out = Test::new()
        .args(&[
            "--edition",
            "d",
            "quote",
            "--api",
            "barcode-query",
            "--calls",
            "5000",
        ])
        .run()
        .stdout;
    assert!(!out.contains("1,000 free calls"), "{out}");
    let seed = Test::new()
        .args(&["quote", "--api", "idcard", "--calls", "5000"])
        .run()
        .stdout;
    assert!(
        seed.contains("ignores the 1,000 free calls every month"),
        "{seed}"
    );
    // The curve marks the quota's edge where the API's bill has one: not at 1,000.
    let curve = Test::new()
        .args(&[
            "--edition",
            "d",
            "curve",
            "--api",
            "barcode-query",
            "--max",
            "5000",
            "--points",
            "1",
        ])
        .run()
        .stdout;
    let calls: Vec<&str> = curve
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(calls, ["0", "1", "5000"], "{curve}");
}

#[test]
fn no_cliff_is_named_for_a_share_of_the_accounts_allowance() {
    // Edition b: idcard's 9,000 calls get 400 of the account's 1,000 free calls
    // (通用印刷体识别 takes 600 first), so its bill at 10,001 calls is not the
    // 900.10 of an item with the whole allowance: no cliff, as batch says.
    let v = Test::new().args(&B_IDCARD_AND_GENERAL).json();
    assert_eq!(s(&v["lines"][0], "amount"), "1290.00");
    assert!(v["lines"][0].get("cliff").is_none(), "{v}");
    // Alone (the first seven arguments: idcard, 9,000 calls), idcard has the
    // whole allowance and its cliff.
    let v = Test::new().args(&B_IDCARD_AND_GENERAL[..7]).json();
    assert_eq!(s(&v["lines"][0]["cliff"], "amount"), "900.10");
}

#[test]
fn every_json_names_the_edition_and_its_currency() {
    let (_d, p) = crate::files(&[("u.csv", "month,api,calls\n2026-01,general,9000\n")]);
    for args in [
        vec!["curve", "--api", "general"],
        vec!["ledger", "--usage", &p[0]],
        vec!["plan", "--api", "general", "--monthly", "9000"],
        vec!["plan", "--usage", &p[0]],
        vec!["postpaid", "--api", "general", "--calls", "9000"],
    ] {
        let v = Test::new().args(&["--edition", "intl"]).args(&args).json();
        assert_eq!(s(&v, "currency"), "USD", "{args:?}");
        assert_eq!(s(&v, "edition"), "intl", "{args:?}");
    }
    for args in [
        vec![
            "prepaid", "--api", "idcard", "--calls", "9000", "--packs", "1k",
        ],
        vec!["quote", "--api", "idcard", "--calls", "7000"],
    ] {
        let v = Test::new().args(&["--edition", "c"]).args(&args).json();
        assert_eq!(s(&v, "currency"), "CNY", "{args:?}");
        assert_eq!(s(&v, "edition"), "c", "{args:?}");
    }
    // And the curve's table, like every other, ends naming them.
    Test::new()
        .args(&[
            "--edition",
            "intl",
            "curve",
            "--api",
            "general",
            "-f",
            "table",
        ])
        .stdout_has("Price list: edition intl, in USD\n")
        .run();
}

/// CSV and workbooks name the currency too: a last column, `currency`, on
/// every row, in every edition (one set of columns); `batch`, whose columns are
/// the input's and which reads its own bills back, names it on stderr.
#[test]
fn every_csv_and_workbook_names_the_currency_on_every_row() {
    let (dir, p) = crate::files(&[(
        "u.csv",
        "account,month,api,calls\nA,2026-01,general,9000\nB,2026-02,general,90000\n",
    )]);
    for (edition, currency) in [("intl", "USD"), ("seed", "CNY")] {
        for args in [
            vec!["curve", "--api", "general", "--max", "2000"],
            vec!["ledger", &p[0]],
            vec!["ledger", &p[0], "--account", "A"],
            vec!["plan", "--api", "general", "--monthly", "9000"],
            vec!["plan", "--usage", &p[0]],
            vec!["postpaid", "--api", "general", "--calls", "9000"],
            vec!["prices"],
        ] {
            let out = Test::new()
                .args(&["--edition", edition])
                .args(&args)
                .args(&["-f", "csv"])
                .run()
                .stdout;
            let mut lines = out.lines();
            let header = lines.next().unwrap_or_default();
            assert!(header.ends_with(",currency"), "{args:?}: {header}");
            assert!(lines.clone().count() > 0, "{args:?}: {out}");
            for line in lines {
                assert!(line.ends_with(&format!(",{currency}")), "{args:?}: {line}");
            }
        }
    }
    for args in [
        vec![
            "prepaid", "--api", "idcard", "--calls", "9000", "--packs", "1k",
        ],
        vec!["quote", "--api", "idcard", "--calls", "7000"],
    ] {
        let out = Test::new()
            .args(&["--edition", "c"])
            .args(&args)
            .args(&["-f", "csv"])
            .run()
            .stdout;
        assert!(
            out.lines()
                .all(|l| l.ends_with(",currency") || l.ends_with(",CNY")),
            "{out}"
        );
    }
    // A workbook's every sheet (the ledger's bills and months), every row.
    let book = dir.path().join("ledger.xlsx");
    Test::new()
        .args(&["--edition", "intl", "ledger", &p[0], "-f", "xlsx", "-o"])
        .arg(&book)
        .run();
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook(&book).unwrap();
    use calamine::Reader;
    let sheets = workbook.sheet_names();
    assert!(sheets.len() >= 2, "{sheets:?}");
    for name in sheets {
        let range = workbook.worksheet_range(&name).unwrap();
        let last = range.width() - 1;
        for (i, row) in range.rows().enumerate() {
            let want = if i == 0 { "currency" } else { "USD" };
            assert_eq!(row[last].to_string(), want, "{name} row {i}");
        }
    }
}

/// Two APIs of one billing item in one account's month are one month of the
/// item: billed row by row, both rows are counted as sharing it (and the
/// other account's row is not).
#[test]
fn batch_counts_rows_of_one_billing_item_as_sharing_its_month() {
    let input = "account,month,api,calls\nA,2026-01,户口本识别,6000\nA,2026-01,房产证识别,5000\nB,2026-01,户口本识别,6000\nA,2026-02,房产证识别,5000\n";
    let err = Test::new()
        .args(&["--edition", "d", "batch"])
        .stdin(input)
        .run()
        .stderr;
    assert!(
        err.contains("warning: 2 rows share their account, month and billing item"),
        "{err}"
    );
    let out = Test::new()
        .args(&[
            "--edition",
            "d",
            "batch",
            "--group-by",
            "account,month",
            "-f",
            "json",
        ])
        .stdin(input)
        .output();
    let first: serde_json::Value = serde_json::from_str(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(first["api"], "cards");
    assert_eq!(first["calls"], 11000);
    assert_eq!(first["amount"], "1000.00");
}

/// Names as people type them: ASCII or full-width parentheses, letters and
/// slashes, with or without spaces, find the API the page names.
#[test]
fn names_are_found_whatever_their_width_and_spacing() {
    for (edition, name, key) in [
        ("d", "通用印刷体识别(高精度版)", "general-accurate"),
        ("d", "通用印刷体识别 （高精度版）", "general-accurate"),
        ("d", "行驶证 / 驾驶证识别", "license"),
        ("d", "行驶证／驾驶证识别", "license"),
        ("seed", "ＩＤＣａｒｄＯＣＲ", "idcard"),
        ("seed", "身份证　识别", "idcard"),
        ("e", "智能结构化识别V2", "smart-structural-v2"),
    ] {
        let v = Test::new()
            .args(&[
                "--edition",
                edition,
                "postpaid",
                "--api",
                name,
                "--calls",
                "9000",
            ])
            .json();
        // The line is the billing item's; the API is named under it when not
        // the item itself.
        let line = &v["lines"][0];
        let api = line["apis"][0]["api"].as_str().or(line["api"].as_str());
        assert_eq!(api, Some(key), "{edition} {name}: {v}");
    }
    // An ASCII name is matched exactly but for case.
    let err = Test::new()
        .args(&["postpaid", "--api", "id card", "--calls", "9000"])
        .fails(1);
    assert!(err.contains("unknown API 'id card'"), "{err}");
}

/// The shared flags are read before the subcommand's name and after it; after
/// it wins, and either wins over the environment variable.
#[test]
fn shared_flags_go_before_or_after_the_subcommand() {
    // (currency, amount) of 9,000 general calls, flags `before` and `after`
    // the subcommand, OCR_BILL_EDITION set to `env`.
    let bill = |env: Option<&str>, before: &[&str], after: &[&str]| {
        let mut t = Test::new();
        if let Some(edition) = env {
            t = t.env("OCR_BILL_EDITION", edition);
        }
        let v = t
            .args(before)
            .args(&["postpaid", "--api", "general", "--calls", "9000"])
            .args(after)
            .json();
        (s(&v, "currency").to_string(), s(&v, "amount").to_string())
    };
    let usd = ("USD".to_string(), "189.00".to_string());
    let cny = ("CNY".to_string(), "1200.00".to_string());
    // (`json()` adds `--format json` last.)
    assert_eq!(bill(None, &["--edition", "intl"], &[]), usd);
    assert_eq!(bill(None, &[], &["--edition", "intl"]), usd);
    assert_eq!(bill(None, &[], &[]), cny);
    // After wins: -f csv before gives way to --format json after (the output
    // parses as JSON), --edition d to --edition intl.
    assert_eq!(
        bill(
            None,
            &["--edition", "d", "-f", "csv"],
            &["--edition", "intl"]
        ),
        usd
    );
    assert_eq!(bill(Some("intl"), &[], &[]), usd);
    assert_eq!(bill(Some("intl"), &["--edition", "seed"], &[]), cny);
    assert_eq!(bill(Some("intl"), &[], &["--edition", "seed"]), cny);
}

/// A Chinese name is suggested for one character off (a typo), never for
/// another product whose name differs in two characters before the 识别 that
/// most names end in: table, English, seal and waybill recognition are not
/// business cards, a train ticket is no plate, a bank receipt no bank card.
#[test]
fn chinese_names_are_suggested_only_for_a_typo() {
    for name in [
        "表格识别",
        "英文识别",
        "印章识别",
        "运单识别",
        "火车票识别",
        "银行回单识别",
        "车票",
    ] {
        let err = name_refused("seed", name);
        assert!(!err.contains("did you mean"), "{err}");
    }
    for (name, key) in [
        ("身分证", "idcard"),
        // Compared as names are found: spaces and widths aside.
        ("身 分 证", "idcard"),
        ("ＩＤＣＲＡＤ", "idcard"),
        ("身份正识别", "idcard"),
        ("增值税发漂", "vat-invoice"),
        ("通用印刷体识", "general"),
    ] {
        let err = name_refused("seed", name);
        assert!(err.contains(&format!("did you mean '{key}'?")), "{err}");
    }
    // Names as near as each other: every one is named.
    let err = name_refused("d", "车票");
    assert!(
        err.contains("did you mean 'bus-invoice' or 'train-ticket'?"),
        "{err}"
    );
    let err = name_refused("d", "户口薄识别");
    assert!(err.contains("did you mean 'residence-booklet'?"), "{err}");
}

/// Edition c's free-beta APIs (免费公测版) have no price on its page: a bill of
/// one is refused saying so, in `postpaid` and on a batch row, never with a
/// suggestion of another API; a pricing file over edition c that prices one
/// bills it; an `[unpriced]` table must say why and name names.
#[test]
fn edition_cs_free_beta_apis_are_refused_as_unpriced() {
    let err = name_refused("c", "火车票识别");
    assert!(
        err.contains("'火车票识别' has no price in edition c: a free-beta API (免费公测版)"),
        "{err}"
    );
    assert!(!err.contains("did you mean"), "{err}");
    let (_d, p) = files(&[
        ("usage.csv", "api,calls\nidcard,9000\n护照识别,5\n"),
        (
            "priced.toml",
            "edition = \"c\"\n[[api]]\nkey = \"train\"\nname = \"火车票识别\"\ntiers = \"standard\"\n",
        ),
        (
            "empty.toml",
            "edition = \"c\"\n[unpriced]\nwhy = \"beta\"\nnames = [\"\"]\n",
        ),
    ]);
    let out = Test::new()
        .args(&["--edition", "c", "batch", "--skip-invalid", &p[0]])
        .output();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("line 3: '护照识别' has no price in edition c"),
        "{err}"
    );
    let v = Test::new()
        .args(&[
            "--pricing",
            &p[1],
            "postpaid",
            "--api",
            "火车票识别",
            "--calls",
            "9000",
        ])
        .json();
    assert_eq!(s(&v, "amount"), "1200.00");
    let err = Test::new().args(&["--pricing", &p[2], "prices"]).fails(1);
    assert!(err.contains("an [unpriced] table needs why"), "{err}");
    // `prices` lists them; the TOML it writes keeps them (read back in a
    // unit test of every edition).
    let v = Test::new().args(&["--edition", "c", "prices"]).json();
    assert!(v["unpriced"]["names"]
        .as_array()
        .is_some_and(|n| n.iter().any(|n| n == "火车票识别")));
    let v = Test::new().args(&["--edition", "d", "prices"]).json();
    assert!(v.get("unpriced").is_none(), "{v}");
}
