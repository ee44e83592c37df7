use crate::test::Test;
use crate::{files, s};

fn option<'a>(v: &'a serde_json::Value, label: &str) -> &'a serde_json::Value {
    v["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["label"] == label)
        .unwrap_or_else(|| panic!("no option {label} in {v}"))
}

#[test]
fn small_months_inside_the_free_quota_all_postpaid_wins() {
    let v = Test::new()
        .args(&["plan", "--api", "idcard", "--monthly", "500 800 900 1000"])
        .json();
    assert_eq!(s(&v["cheapest"], "cost"), "0.00");
    assert_eq!(v["cheapest"]["packs"].as_array().unwrap().len(), 0);
    assert_eq!(s(option(&v, "all-postpaid"), "cost"), "0.00");
    // The source's arithmetic would buy 4 × 1,000 (3,200 calls) for nothing.
    assert_eq!(s(option(&v, "packs-all-calls"), "cost"), "480.00");
    assert_eq!(s(&v, "saving_vs_packs_all_calls"), "480.00");
}

#[test]
fn steady_volume_packs_win() {
    // 4 months of 11,000: postpaid 4 × 1,000.00; 40,000 beyond the free quotas fit
    // 4 × 10k packs for 3,200.00.
    let v = Test::new()
        .args(&[
            "plan",
            "--api",
            "idcard",
            "--monthly",
            "11000 11000 11000 11000",
        ])
        .json();
    assert_eq!(s(option(&v, "all-postpaid"), "cost"), "4000.00");
    assert_eq!(s(&v["cheapest"], "cost"), "3200.00");
    assert_eq!(s(&v["cheapest"], "postpaid_cost"), "0.00");
    assert_eq!(s(&v, "saving_vs_postpaid"), "800.00");
    assert_eq!(v["cheapest"]["months"][0]["pack_calls"], 10000);
}

#[test]
fn a_mix_of_packs_and_postpaid_wins() {
    // One big month among small ones: 3 × 1,500 and one 150,000. Postpaid: 3 × 75.00 +
    // 149,000 × 0.06 = 9,165.00. One 100k pack (5,000) leaves month 4 with 49,000 at
    // 0.06 (its total still reaches the 0.06 tier) = 2,940.00 → 7,940.00 … the search
    // finds the exact optimum, which keeps some postpaid calls.
    let v = Test::new()
        .args(&[
            "plan",
            "--api",
            "idcard",
            "--monthly",
            "1500 1500 1500 150000",
        ])
        .json();
    let best = &v["cheapest"];
    assert!(!best["packs"].as_array().unwrap().is_empty(), "{best}");
    assert_ne!(s(best, "postpaid_cost"), "0.00", "{best}");
    let best_cost: f64 = s(best, "cost").parse().unwrap();
    for o in v["options"].as_array().unwrap() {
        assert!(best_cost <= s(o, "cost").parse::<f64>().unwrap(), "{o}");
    }
    assert_eq!(s(option(&v, "all-postpaid"), "cost"), "9165.00");
}

#[test]
fn best_cost_is_pack_cost_plus_postpaid_months() {
    let v = Test::new()
        .args(&[
            "plan",
            "--api",
            "general",
            "--monthly",
            "9000 12000 8000 15000 3000",
        ])
        .json();
    let best = &v["cheapest"];
    let months: f64 = best["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| s(m, "amount").parse::<f64>().unwrap())
        .sum();
    let packs: f64 = s(best, "pack_cost").parse().unwrap();
    let cost: f64 = s(best, "cost").parse().unwrap();
    assert!((packs + months - cost).abs() < 1e-9, "{best}");
    assert_eq!(v["monthly"].as_array().unwrap().len(), 5);
}

#[test]
fn plan_from_a_usage_file_plans_every_api() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("usage.csv");
    std::fs::write(
        &path,
        "month,api,calls\n2026-01,idcard,11000\n2026-01,general,500\n2026-03,idcard,11000\n",
    )
    .unwrap();
    let v = Test::new()
        .args(&["plan", "--usage", path.to_str().unwrap()])
        .json();
    let plans = v["plans"].as_array().unwrap();
    assert_eq!(plans.len(), 2);
    assert_eq!(plans[0]["api"], "idcard");
    assert_eq!(plans[0]["monthly"], serde_json::json!([11000, 0, 11000]));
    assert_eq!(plans[1]["monthly"], serde_json::json!([500, 0, 0]));
    assert_eq!(s(&v, "cost"), "1600.00");
    // The file's months, named: JSON's `from` and `until`, and the table's
    // months as calendar months (2026-02 without rows too).
    assert_eq!(v["from"], "2026-01");
    assert_eq!(v["until"], "2026-03");
    let text = Test::new()
        .args(&["plan", "--usage", path.to_str().unwrap()])
        .stdout_has("Plan for idcard (身份证), 3 months (2026-01 to 2026-03): 11,000, 0, 11,000")
        .run()
        .stdout;
    let month_rows: Vec<&str> = (text.lines())
        .filter_map(|l| l.strip_prefix("│ 2026-"))
        .map(|l| &l[..2])
        .collect();
    assert_eq!(month_rows, ["01", "02", "03", "01", "02", "03"], "{text}");
    // A plan of months given (--monthly) has no calendar: months 1, 2, ….
    Test::new()
        .args(&["plan", "--api", "idcard", "--monthly", "11000 0"])
        .stdout_has("Plan for idcard (身份证), 2 months: 11,000, 0")
        .run();
}

#[test]
fn plan_errors() {
    Test::new().args(&["plan", "--api", "idcard"]).fails(2);
    Test::new().args(&["plan", "--monthly", "5"]).fails(2);
    let err = Test::new()
        .args(&[
            "plan",
            "--api",
            "idcard",
            "--monthly",
            "9000",
            "--account",
            "A",
        ])
        .fails(2);
    assert!(
        err.contains("--account is about a usage file; --api and --monthly have none"),
        "{err}"
    );
    let err = Test::new()
        .args(&[
            "plan",
            "--api",
            "idcard",
            "--monthly",
            "1 2 3 4 5 6 7 8 9 10 11 12 13",
        ])
        .fails(1);
    assert!(err.contains("13 months"), "{err}");
    let err = Test::new()
        .args(&["plan", "--api", "idcard", "--monthly", "5 -3"])
        .fails(1);
    assert!(err.contains("'-3'"), "{err}");
    let err = Test::new()
        .args(&["plan", "--api", "idcard", "--monthly", "2M"])
        .fails(1);
    assert!(err.contains("contact-sales"), "{err}");
    let v = Test::new()
        .args(&["plan", "--api", "vat-invoice", "--monthly", "20000 20000"])
        .json();
    assert_eq!(v["options"].as_array().unwrap().len(), 2);
    assert_eq!(s(&v["cheapest"], "cost"), "13300.00");
}

#[test]
fn plan_table_and_csv() {
    let out = Test::new()
        .args(&[
            "plan",
            "--api",
            "idcard",
            "--monthly",
            "11000 11000 11000 11000",
        ])
        .output();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("saves 800.00 against all postpaid"), "{text}");
    // A difference of a thousand or more is a number as the others are:
    // grouped and aligned right with the rest of its column.
    Test::new()
        .args(&[
            "plan",
            "--api",
            "idcard",
            "--monthly",
            "20000 5000 30000 800 12000",
        ])
        .stdout_has("┆ 6,500.00 ┆ 6,500.00 ┆   +1,500.00 │\n")
        .stdout_has("┆ 5,000.00 ┆       +0.00 │\n")
        .run();
    let out = Test::new()
        .args(&[
            "plan",
            "--api",
            "idcard",
            "--monthly",
            "11000 11000",
            "-f",
            "csv",
        ])
        .output();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(
            "api,option,packs,pack_calls,pack_cost,postpaid_cost,cost,cheapest,currency\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("idcard,cheapest,10000x2,20000,1600.00,0.00,1600.00,true"),
        "{text}"
    );
}

#[test]
fn cliff_hints_at_each_boundary_and_none_where_no_cheaper_tier_is_reachable() {
    for (api, calls, cliff, amount) in [
        ("idcard", "9500", Some((10001, "900.10")), "1275.00"),
        ("idcard", "10000", Some((10001, "900.10")), "1350.00"),
        ("idcard", "99000", Some((100001, "5940.06")), "9800.00"),
        ("vat-invoice", "9500", Some((10001, "3150.35")), "4250.00"),
        (
            "vat-invoice",
            "100000",
            Some((100001, "19800.20")),
            "34650.00",
        ),
        ("idcard", "1000", None, "0.00"),
        ("idcard", "5000", None, "600.00"),
        ("idcard", "10001", None, "900.10"),
        ("idcard", "500000", None, "29940.00"),
    ] {
        let v = Test::new()
            .args(&["postpaid", "--api", api, "--calls", calls])
            .json();
        let line = &v["lines"][0];
        assert_eq!(s(line, "amount"), amount, "{api} {calls}");
        match cliff {
            Some((at, bill)) => {
                assert_eq!(line["cliff"]["calls"], at, "{api} {calls}");
                assert_eq!(s(&line["cliff"], "amount"), bill, "{api} {calls}");
            }
            None => assert!(line.get("cliff").is_none(), "{api} {calls}: {line}"),
        }
    }
}

#[test]
fn absurd_volumes_are_refused_quickly_not_searched_forever() {
    let start = std::time::Instant::now();
    let err = Test::new()
        .args(&[
            "plan",
            "--api",
            "idcard",
            "--monthly",
            "18446744073709551615",
        ])
        .fails(1);
    assert!(
        err.contains("search steps") || err.contains("too large"),
        "{err}"
    );
    // Generous: the step budget ends the search in well under a second here.
    assert!(start.elapsed().as_secs() < 60);
}

/// A flag about a usage file, given to a plan of `--api` and `--monthly`, is
/// refused, not ignored.
#[test]
fn usage_file_flags_without_a_usage_file_are_refused() {
    for flag in [
        &["--count-rows"][..],
        &["--calls-column", "n"],
        &["--account", "acme"],
        &["--from", "2026-01"],
        &["--until", "2026-12"],
    ] {
        let err = Test::new()
            .args(&["plan", "--api", "idcard", "--monthly", "9000"])
            .args(flag)
            .fails(2);
        assert!(
            err.contains(&format!("{} is about a usage file", flag[0])),
            "{err}"
        );
    }
}

/// A usage file longer than the packs' validity is planned a window at a
/// time, `--from` to `--until`: the refusal says how, rows outside are left
/// out and counted, and an account without rows in the window is named.
#[test]
fn a_long_usage_file_is_planned_a_window_at_a_time() {
    let mut text = String::from("account,month,api,calls\n");
    for i in 0..20 {
        let (year, month) = (2026 + i / 12, i % 12 + 1);
        text += &format!("B,{year}-{month:02},idcard,{}\n", 5000 + i * 100);
    }
    text += "A,2026-01,idcard,5000\n";
    let (_dir, paths) = files(&[("usage.csv", &text)]);
    let file = paths[0].as_str();
    let err = Test::new().args(&["plan", file, "--account", "B"]).fails(1);
    assert!(
        err.contains(
            "the usage runs from 2026-01 to 2027-08, 20 months; a plan covers 1 to 12 months \
             (the packs' validity): choose them with --from and --until (the last 12: --from \
             2026-09)"
        ),
        "{err}"
    );
    let ran = Test::new()
        .args(&["plan", file, "--from", "2026-09", "-f", "json"])
        .stderr_has("note: 9 usage rows before 2026-09 were left out, and with them 1 account without rows from 2026-09 on: A")
        .run();
    let v: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    let accounts = v["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0]["account"], "B");
    assert_eq!(accounts[0]["from"], "2026-09");
    assert_eq!(accounts[0]["until"], "2027-08");
    let monthly = &accounts[0]["plans"][0]["monthly"];
    assert_eq!(monthly[0], 5800);
    assert_eq!(monthly.as_array().unwrap().len(), 12);
    // --until past the file's end: months without rows count 0 calls.
    let v = Test::new()
        .args(&[
            "plan",
            file,
            "--account",
            "B",
            "--from",
            "2027-06",
            "--until",
            "2027-09",
        ])
        .json();
    assert_eq!(
        v["plans"][0]["monthly"],
        serde_json::json!([6700, 6800, 6900, 0])
    );
    for (window, told) in [
        (
            &["--from", "2027-03", "--until", "2027-01"][..],
            "--from 2027-03 comes after --until 2027-01",
        ),
        (
            &["--from", "2029-01"],
            "no usage rows from 2029-01 on: all 21 are before 2029-01",
        ),
        (
            &["--until", "2025-12"],
            "no usage rows until 2025-12: all 21 are after 2025-12",
        ),
        (
            &["--from", "2026-13"],
            "--from: month '2026-13' is not YYYY-MM",
        ),
    ] {
        let err = Test::new().args(&["plan", file]).args(window).fails(1);
        assert!(err.contains(told), "{window:?}: {err}");
    }
}

#[test]
fn several_usage_files_are_planned_as_one() {
    // Two months' exports: one plan over both months, as from one file.
    let (_keep, paths) = files(&[
        ("jan.csv", "month,api,calls\n2026-01,idcard,11000\n"),
        ("feb.csv", "月份,接口,调用量\n2026-02,身份证,3000\n"),
        (
            "both.csv",
            "month,api,calls\n2026-01,idcard,11000\n2026-02,idcard,3000\n",
        ),
    ]);
    let apart = Test::new().args(&["plan", &paths[0], &paths[1]]).json();
    let whole = Test::new().args(&["plan", &paths[2]]).json();
    assert_eq!(apart, whole);
    assert_eq!(
        apart["plans"][0]["monthly"],
        serde_json::json!([11000, 3000])
    );
}

/// `--api A --monthly ...` repeated: each billing item planned as alone, in
/// the order first named, APIs of one item summed month by month, and the
/// sum of the cheapest against all postpaid.
#[test]
fn several_apis_on_the_command_line_are_planned_each_with_their_sum() {
    // (A plan alone says its price list, as the plans together do once.)
    let alone = |api: &str, monthly: &str| {
        let mut v = Test::new()
            .args(&["plan", "--api", api, "--monthly", monthly])
            .json();
        let about = v.as_object_mut().unwrap();
        assert!(about.remove("currency").is_some() && about.remove("edition").is_some());
        v
    };
    let v = Test::new()
        .args(&["plan", "--api", "general", "--monthly", "50k", "50k"])
        .args(&["--api", "idcard", "--monthly", "9000", "12000"])
        .args(&["--api", "身份证", "--monthly", "1000 0"])
        .json();
    let plans = v["plans"].as_array().unwrap();
    assert_eq!(plans.len(), 2);
    assert_eq!(plans[0], alone("general", "50000 50000"));
    assert_eq!(plans[1], alone("idcard", "10000 12000"));
    // general: 1 × 100,000 for 5,000.00 against 2 × 4,900.00 postpaid;
    // idcard: 9,000 + 11,000 calls beyond the free ones, 2 × 10,000 for
    // 1,600.00 against 1,350.00 + 1,100.00 postpaid.
    assert_eq!(s(&plans[0]["cheapest"], "cost"), "5000.00");
    assert_eq!(s(&plans[1]["cheapest"], "cost"), "1600.00");
    assert_eq!(s(&v, "cost"), "6600.00");
    assert_eq!(s(&v, "postpaid_cost"), "12250.00");
    assert_eq!(s(&v, "saving_vs_postpaid"), "5650.00");
    // No calendar months were named.
    assert!(v.get("from").is_none() && v.get("until").is_none(), "{v}");
    Test::new()
        .args(&["plan", "--api", "general", "--monthly", "50k", "50k"])
        .args(&["--api", "idcard", "--monthly", "10000", "12000"])
        .stdout_has("Plan for general (通用印刷体), 2 months: 50,000, 50,000")
        .stdout_has("Plan for idcard (身份证), 2 months: 10,000, 12,000")
        .stdout_has("All APIs: cheapest 6,600.00 against 12,250.00 all postpaid (saves 5,650.00).")
        .run();
    // The plans cover the same months; each --api has its --monthly.
    let err = Test::new()
        .args(&["plan", "--api", "idcard", "--monthly", "1", "2"])
        .args(&["--api", "general", "--monthly", "3"])
        .fails(1);
    assert!(
        err.contains("--api general has 1 month and --api idcard 2 months"),
        "{err}"
    );
    let err = Test::new()
        .args(&[
            "plan",
            "--api",
            "idcard",
            "--api",
            "general",
            "--monthly",
            "3",
        ])
        .fails(2);
    assert!(err.contains("got 2 --api and 1 --monthly"), "{err}");
    let err = Test::new()
        .args(&[
            "plan",
            "--api",
            "idcard",
            "--monthly",
            "1",
            "--monthly",
            "2",
        ])
        .fails(2);
    assert!(err.contains("got 1 --api and 2 --monthly"), "{err}");
}

/// A file of several accounts' plans ends with the sums over them, in the
/// table and in JSON, each the sum of the accounts' own.
#[test]
fn several_accounts_plans_end_with_their_sums() {
    // A: 9,000 calls, one pack of 10,000 (800.00) against 1,200.00 postpaid.
    // B: 9,000 and 900 calls: the same pack (800.00) against 1,200.00.
    let (_d, p) = files(&[(
        "usage.csv",
        "account,month,api,calls\nA,2026-01,idcard,9000\nB,2026-01,idcard,9000\n\
         B,2026-02,idcard,900\nA,2026-02,general,50000\n",
    )]);
    let all = Test::new().args(&["plan", &p[0]]).json();
    let accounts = all["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 2);
    for key in ["cost", "postpaid_cost", "saving_vs_postpaid"] {
        let each: Vec<f64> = (accounts.iter())
            .map(|a| a[key].as_str().unwrap().parse().unwrap())
            .collect();
        let sum: f64 = all["totals"][key].as_str().unwrap().parse().unwrap();
        assert_eq!(each.iter().sum::<f64>(), sum, "{key}: {}", all["totals"]);
    }
    // A's general: 49,000 calls beyond the free ones, five packs of 10,000
    // (4,000.00) against 4,900.00 postpaid.
    assert_eq!(all["totals"]["cost"], "5600.00", "{}", all["totals"]);
    assert_eq!(all["totals"]["postpaid_cost"], "7300.00");
    Test::new()
        .args(&["plan", &p[0]])
        .stdout_has(
            "\nAll 2 accounts: cheapest 5,600.00 against 7,300.00 all postpaid (saves \
             1,700.00).\nPrice list:",
        )
        .run();
}

/// The table's last word on a plan names only options it has: an item
/// without packs has no "packs for every call" to save against.
#[test]
fn the_cheapest_line_names_only_the_options_the_plan_has() {
    let out = Test::new()
        .args(&["plan", "--edition", "intl", "--api", "general"])
        .args(&["--monthly", "9000", "90000"])
        .run()
        .stdout;
    // 9,000 × 0.021 + 90,000 × 0.014 = 189.00 + 1,260.00.
    assert!(
        out.contains("Cheapest: all postpaid, no packs, for 1,449.00.\n"),
        "{out}"
    );
    assert!(!out.contains("every call"), "{out}");
    Test::new()
        .args(&["plan", "--api", "idcard", "--monthly", "900"])
        .stdout_has(
            "Cheapest: all postpaid, no packs, for 0.00; saves 120.00 against packs for every call.\n",
        )
        .run();
}

/// In edition b the account's free calls are shared: each month the items
/// take them in price-list order (通用印刷体识别 first), and each item is
/// planned with its share, so the plans add up to what a ledger bills.
#[test]
fn an_accounts_shared_free_calls_are_shared_out_before_each_items_plan() {
    let usage = "month,api,calls\n2026-01,idcard,9000\n2026-01,general,600\n\
                 2026-02,idcard,9000\n2026-02,general,1500\n";
    let (_d, p) = files(&[
        ("usage.csv", usage),
        (
            "packs.csv",
            "month,api,calls\n2026-01,idcard,10000\n2026-01,idcard,10000\n",
        ),
    ]);
    let v = Test::new().args(&["--edition", "b", "plan", &p[0]]).json();
    // idcard: 400 and 0 free calls (general took 600, then 1,000), so
    // 8,600 + 9,000 calls beyond them: two 10,000-call packs, 1,600.00,
    // against 1,290.00 + 1,350.00 postpaid. general: 500 calls at 0.15.
    let idcard = &v["plans"][0];
    assert_eq!(idcard["api"], "idcard");
    let free: Vec<u64> = (idcard["cheapest"]["months"].as_array().unwrap().iter())
        .map(|m| m["free_calls"].as_u64().unwrap())
        .collect();
    assert_eq!(free, [400, 0], "{idcard}");
    assert_eq!(v["cost"], "1675.00", "{v}");
    assert_eq!(v["postpaid_cost"], "2715.00", "{v}");
    // All postpaid is what the ledger bills; the cheapest, its packs bought.
    let ledger = Test::new()
        .args(&["--edition", "b", "ledger", &p[0]])
        .json();
    assert_eq!(ledger["totals"]["paid_postpaid"], "2715.00");
    let bought = Test::new()
        .args(&["--edition", "b", "ledger", &p[0], "--packs", &p[1]])
        .json();
    assert_eq!(bought["totals"]["paid_for_packs"], "1600.00");
    assert_eq!(bought["totals"]["paid_postpaid"], "75.00");
    // The same from the command line.
    let cli = Test::new()
        .args(&[
            "--edition",
            "b",
            "plan",
            "--api",
            "idcard",
            "--monthly",
            "9000",
            "9000",
        ])
        .args(&["--api", "general", "--monthly", "600", "1500"])
        .json();
    assert_eq!(
        (&cli["cost"], &cli["postpaid_cost"]),
        (&v["cost"], &v["postpaid_cost"])
    );
}
