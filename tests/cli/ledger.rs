use serde_json::Value;

use crate::test::Test;
use crate::{files, s};

fn month<'a>(v: &'a Value, m: &str) -> &'a Value {
    v["months"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["month"] == m)
        .unwrap_or_else(|| panic!("no month {m}"))
}

fn kinds(m: &Value) -> Vec<String> {
    m["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn three_months_by_hand_freeze_arrears_and_a_topup() {
    // Month 3 has no usage rows at all: the top-up is what puts it in the ledger.
    let (_d, p) = files(&[
        (
            "usage.csv",
            "month,api,calls\n2026-01,license,9000\n2026-02,general,90000\n",
        ),
        ("topups.csv", "month,amount\n2026-03,6000\n"),
    ]);
    let v = Test::new()
        .args(&[
            "ledger",
            "--usage",
            &p[0],
            "--topups",
            &p[1],
            "--balance",
            "5000",
        ])
        .json();
    let m1 = month(&v, "2026-01");
    assert_eq!(s(m1, "bill"), "1200.00");
    assert_eq!(s(m1, "released"), "0.00");
    assert_eq!(s(m1, "freeze"), "1440.00");
    assert_eq!(s(m1, "balance"), "3800.00"); // 5000 − 1200
    assert_eq!(s(m1, "available"), "2360.00"); // 3800 − 1440
    assert_eq!(s(m1, "arrears"), "0.00");
    let m2 = month(&v, "2026-02");
    assert_eq!(s(m2, "released"), "1440.00");
    assert_eq!(s(m2, "deducted"), "8900.00");
    assert_eq!(s(m2, "freeze"), "10680.00");
    assert_eq!(s(m2, "balance"), "-5100.00"); // 3800 − 8900: arrears
    assert_eq!(s(m2, "available"), "-15780.00");
    assert_eq!(s(m2, "arrears"), "5100.00");
    assert_eq!(kinds(m2), ["arrears"]);
    let m3 = month(&v, "2026-03");
    assert_eq!(m3["lines"].as_array().unwrap().len(), 0);
    assert_eq!(s(m3, "released"), "10680.00");
    assert_eq!(s(m3, "bill"), "0.00");
    assert_eq!(s(m3, "freeze"), "0.00");
    assert_eq!(s(m3, "topups"), "6000.00");
    assert_eq!(s(m3, "balance"), "900.00"); // −5100 + 6000: cleared
    assert_eq!(s(m3, "arrears"), "0.00");
    assert_eq!(kinds(m3).len(), 0);
    let t = &v["totals"];
    assert_eq!(s(t, "paid_postpaid"), "10100.00");
    assert_eq!(s(t, "closing_balance"), "900.00");
}

/// Calls after a settlement that left a followed balance negative, with no
/// top-up of their month clearing it, are told: Tencent stops OCR 24 hours
/// after such a settlement (欠费说明). A month without calls, a top-up that
/// clears the arrears, or no balance followed tells nothing.
#[test]
fn calls_while_the_service_is_stopped_for_arrears_are_told() {
    let (_d, p) = files(&[
        (
            "usage.csv",
            "month,api,calls\n2026-01,license,9000\n2026-02,license,9000\n\
             2026-03,license,500\n2026-05,license,9000\n",
        ),
        ("topups.csv", "month,amount\n2026-05,5000\n"),
    ]);
    let ledger = ["ledger", "--usage", &p[0], "--topups", &p[1]];
    // 1000 − 1200 after January; February's calls, and March's free ones,
    // follow arrears nothing cleared; April has no calls; May's top-up clears
    // −1400 before May's settlement.
    let v = Test::new()
        .args(&ledger)
        .args(&["--balance", "1000"])
        .json();
    assert_eq!(s(month(&v, "2026-02"), "balance"), "-1400.00");
    assert_eq!(s(month(&v, "2026-05"), "balance"), "2400.00");
    let notes = v["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    let note = notes[0].as_str().unwrap();
    assert!(
        note.starts_with("calls in 2026-02, 2026-03 follow a settlement that left"),
        "{note}"
    );
    assert!(
        note.contains("24 hours") && note.contains("欠费说明"),
        "{note}"
    );
    // The table ends with it; CSV, which has no place for it, tells stderr.
    Test::new()
        .args(&ledger)
        .args(&["--balance", "1000"])
        .stdout_has("Note: calls in 2026-02, 2026-03 follow")
        .run();
    Test::new()
        .args(&ledger)
        .args(&["--balance", "1000", "--format", "csv"])
        .stderr_has("note: calls in 2026-02, 2026-03 follow")
        .run();
    // Arrears carried in: the first month's calls are told too.
    let v = Test::new()
        .args(&ledger)
        .args(&["--balance", "-0.01"])
        .json();
    let note = v["notes"][0].as_str().unwrap();
    assert!(
        note.starts_with("calls in 2026-01, 2026-02, 2026-03 follow"),
        "{note}"
    );
    // A balance that covers every bill: nothing to tell.
    let v = Test::new()
        .args(&ledger)
        .args(&["--balance", "10000"])
        .json();
    assert!(v.get("notes").is_none(), "{v}");
    // No balance followed (no --balance, no --topups): no arrears, no note.
    let v = Test::new().args(&["ledger", "--usage", &p[0]]).json();
    assert!(v.get("notes").is_none(), "{v}");
}

/// Rows left out of a window are told beside CSV too, on stderr, as the
/// table and JSON tell them.
#[test]
fn rows_left_out_of_a_window_are_told_beside_csv() {
    let (_d, p) = files(&[(
        "usage.csv",
        "month,api,calls\n2026-01,license,9000\n2026-02,license,9000\n",
    )]);
    Test::new()
        .args(&["ledger", &p[0], "--from", "2026-02", "--format", "csv"])
        .stderr_has("note: 1 usage row outside 2026-02 to 2026-02 was left out")
        .run();
}

#[test]
fn missing_months_are_months_without_calls() {
    let (_d, p) = files(&[(
        "usage.csv",
        "month,api,calls\n2026-01,license,9000\n2026-04,license,9000\n",
    )]);
    let v = Test::new()
        .args(&["ledger", "--usage", &p[0], "--balance", "10000"])
        .json();
    let months: Vec<&str> = v["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["month"].as_str().unwrap())
        .collect();
    assert_eq!(months, ["2026-01", "2026-02", "2026-03", "2026-04"]);
    assert_eq!(s(month(&v, "2026-02"), "released"), "1440.00");
    assert_eq!(s(month(&v, "2026-02"), "freeze"), "0.00");
    assert_eq!(s(month(&v, "2026-04"), "balance"), "7600.00");
}

#[test]
fn rows_of_one_month_and_api_are_summed() {
    let (_d, p) = files(&[(
        "usage.csv",
        "month,api,calls\n2026-01,idcard,6000\n2026-01,身份证,6000\n",
    )]);
    let v = Test::new().args(&["ledger", "--usage", &p[0]]).json();
    let line = &month(&v, "2026-01")["lines"][0];
    assert_eq!(line["calls"], 12000);
    assert_eq!(s(line, "amount"), "1100.00");
}

#[test]
fn a_pack_expires_with_calls_left() {
    // Bought 2026-01, serves 2026-01..2026-12, 1,000 calls used: 9,000 expire.
    let (_d, p) = files(&[
        (
            "usage.csv",
            "month,api,calls\n2026-01,idcard,2000\n2027-01,idcard,3000\n",
        ),
        ("packs.csv", "month,api,calls\n2026-01,idcard,10000\n"),
    ]);
    let v = Test::new()
        .args(&[
            "ledger",
            "--usage",
            &p[0],
            "--packs",
            &p[1],
            "--balance",
            "1000",
        ])
        .json();
    let m1 = month(&v, "2026-01");
    assert_eq!(s(m1, "pack_cost"), "800.00");
    assert_eq!(m1["packs_bought"][0]["expires_after"], "2026-12");
    assert_eq!(m1["lines"][0]["pack_calls"], 1000);
    assert_eq!(s(m1, "balance"), "200.00");
    let m12 = month(&v, "2026-12");
    let e = &m12["events"][0];
    assert_eq!(e["kind"], "pack-expired");
    assert_eq!(e["unused_calls"], 9000);
    assert_eq!(s(e, "unused_value"), "720.00");
    // After expiry the calls go postpaid: 2,000 × 0.15.
    let m13 = month(&v, "2027-01");
    assert_eq!(m13["lines"][0]["pack_calls"], 0);
    assert_eq!(s(m13, "bill"), "300.00");
    assert_eq!(v["totals"]["calls_wasted"], 9000);
    assert_eq!(s(&v["totals"], "value_wasted"), "720.00");
    assert_eq!(s(&v["totals"], "paid_for_packs"), "800.00");
}

#[test]
fn until_runs_the_ledger_past_the_files() {
    let (_d, p) = files(&[
        ("usage.csv", "month,api,calls\n2026-01,idcard,2000\n"),
        ("packs.csv", "month,api,calls\n2026-01,idcard,10000\n"),
    ]);
    let v = Test::new()
        .args(&[
            "ledger",
            "--usage",
            &p[0],
            "--packs",
            &p[1],
            "--until",
            "2027-02",
            "--balance",
            "800",
        ])
        .json();
    assert_eq!(v["months"].as_array().unwrap().len(), 14);
    assert_eq!(kinds(month(&v, "2026-12")), ["pack-expired"]);
}

#[test]
fn stacked_packs_are_used_soonest_expiring_first() {
    // Pack #1 (2026-01, expires after 2026-12) and pack #2 (2026-03): in 2026-03,
    // 1,500 calls beyond the free quota take pack #1's 1,000 first, then 500 of #2.
    let (_d, p) = files(&[
        (
            "usage.csv",
            "month,api,calls\n2026-01,idcard,1000\n2026-03,idcard,2500\n",
        ),
        (
            "packs.csv",
            "month,api,calls\n2026-01,idcard,1000\n2026-03,idcard,1000\n",
        ),
    ]);
    let v = Test::new()
        .args(&[
            "ledger",
            "--usage",
            &p[0],
            "--packs",
            &p[1],
            "--balance",
            "500",
        ])
        .json();
    let m3 = month(&v, "2026-03");
    assert_eq!(m3["lines"][0]["pack_calls"], 1500);
    let events = m3["events"].as_array().unwrap();
    assert_eq!(events[0]["kind"], "pack-used-up");
    assert_eq!(events[0]["pack"], 1);
    assert_eq!(events.len(), 1, "{events:?}"); // pack #2 has 500 left: 50%, no alert
}

#[test]
fn alerts_fire_exactly_once_each() {
    let (_d, p) = files(&[
        (
            "usage.csv",
            "month,api,calls\n2026-01,idcard,9600\n2026-02,idcard,1100\n2026-03,idcard,3000\n2026-04,idcard,5000\n",
        ),
        ("packs.csv", "month,api,calls,count\n2026-01,idcard,10000,1\n"),
    ]);
    let v = Test::new()
        .args(&[
            "ledger",
            "--usage",
            &p[0],
            "--packs",
            &p[1],
            "--balance",
            "5000",
        ])
        .json();
    // 2026-01: 8,600 from the pack, 1,400 left (14%): low.
    assert_eq!(kinds(month(&v, "2026-01")), ["pack-low"]);
    // 2026-02: 100 more, 1,300 left: no second alert.
    assert_eq!(kinds(month(&v, "2026-02")).len(), 0);
    // 2026-03: 2,000 needed, 1,300 left: used up, 700 go postpaid.
    assert_eq!(
        kinds(month(&v, "2026-03")),
        ["pack-used-up", "switched-to-postpaid"]
    );
    assert_eq!(month(&v, "2026-03")["events"][1]["billable_calls"], 700);
    assert_eq!(s(month(&v, "2026-03"), "bill"), "105.00");
    // 2026-04: all postpaid, nothing new to say.
    assert_eq!(kinds(month(&v, "2026-04")).len(), 0);
}

#[test]
fn overage_reaches_a_cheaper_tier_than_the_packs_suggest() {
    // 120,000 calls with a 100,000 pack: 19,000 overage, billed at 0.06 because the
    // month's total (not the overage) picks the tier.
    let (_d, p) = files(&[
        ("usage.csv", "month,api,calls\n2026-01,general,120000\n"),
        ("packs.csv", "month,api,calls\n2026-01,general,10万\n"),
    ]);
    let v = Test::new()
        .args(&[
            "ledger",
            "--usage",
            &p[0],
            "--packs",
            &p[1],
            "--balance",
            "10000",
        ])
        .json();
    let line = &month(&v, "2026-01")["lines"][0];
    assert_eq!(line["billable_calls"], 19000);
    assert_eq!(s(line, "unit_price"), "0.06");
    assert_eq!(s(line, "amount"), "1140.00");
    assert_eq!(s(month(&v, "2026-01"), "balance"), "3860.00"); // 10000 − 5000 − 1140
}

#[test]
fn bad_input_names_the_file_and_line_and_computes_nothing() {
    for (usage, needle) in [
        (
            "month,api,calls\n2026-02,idcard,1\n2026-02-30,idcard,1\n",
            "line 3: month '2026-02-30' is not YYYY-MM",
        ),
        (
            "month,api,calls\n2026-13,idcard,1\n",
            "line 2: month '2026-13' is not YYYY-MM",
        ),
        ("month,api,calls\n26-01,idcard,1\n", "line 2: month '26-01'"),
        (
            "month,api,calls\n2026-01,idcrad,1\n",
            "line 2: unknown API 'idcrad'",
        ),
        (
            "month,api,calls\n2026-01,idcard,-1\n",
            "line 2: invalid call count '-1'",
        ),
        (
            "month,api,calls\n2026-01,idcard\n",
            "line 2: expected 3 fields",
        ),
        ("month,api\n2026-01,idcard\n", "no 'calls' column"),
    ] {
        let (_d, p) = files(&[("usage.csv", usage)]);
        let err = Test::new().args(&["ledger", "--usage", &p[0]]).fails(1);
        assert!(err.contains(&p[0]), "{err}");
        assert!(err.contains(needle), "want {needle}: {err}");
    }
    let usage = "month,api,calls\n2026-01,idcard,1\n";
    for (packs, needle) in [
        (
            "month,api,calls\n2026-01,idcard,5000\n",
            "line 2: idcard has no pack of 5000 calls",
        ),
        (
            "month,api,calls\n2026-01,vat-invoice,1000\n",
            "vat-invoice has no prepaid packs",
        ),
        (
            "month,api,calls,count\n2026-01,idcard,1000,0\n",
            "pack count 0",
        ),
    ] {
        let (_d, p) = files(&[("usage.csv", usage), ("packs.csv", packs)]);
        let err = Test::new()
            .args(&["ledger", "--usage", &p[0], "--packs", &p[1]])
            .fails(1);
        assert!(err.contains(&p[1]), "{err}");
        assert!(err.contains(needle), "want {needle}: {err}");
    }
    for (topups, needle) in [
        ("month,amount\n2026-01,-5\n", "line 2: invalid amount '-5'"),
        (
            "month,amount\n2026-01,abc\n",
            "line 2: invalid amount 'abc'",
        ),
        ("month,amount\n2026-01,1.005\n", "two decimals"),
    ] {
        let (_d, p) = files(&[("usage.csv", usage), ("topups.csv", topups)]);
        let err = Test::new()
            .args(&["ledger", "--usage", &p[0], "--topups", &p[1]])
            .fails(1);
        assert!(err.contains(&p[1]), "{err}");
        assert!(err.contains(needle), "want {needle}: {err}");
    }
    let (_d, p) = files(&[("usage.csv", usage)]);
    let err = Test::new()
        .args(&["ledger", "--usage", &p[0], "--balance", "abc"])
        .fails(1);
    assert!(err.contains("'abc'"), "{err}");
    let err = Test::new()
        .args(&["ledger", "--usage", &p[0], "--until", "2026/13"])
        .fails(1);
    assert!(err.contains("2026/13"), "{err}");
    let err = Test::new()
        .args(&["ledger", "--usage", "/nonexistent.csv"])
        .fails(1);
    assert!(err.contains("/nonexistent.csv"), "{err}");
}

#[test]
fn one_month_without_packs_equals_postpaid() {
    let (_d, p) = files(&[(
        "usage.csv",
        "month,api,calls\n2026-01,license,9000\n2026-01,vat-invoice,2000\n",
    )]);
    let v = Test::new().args(&["ledger", "--usage", &p[0]]).json();
    let q = Test::new()
        .args(&[
            "postpaid",
            "--api",
            "license",
            "--calls",
            "9000",
            "--api",
            "vat-invoice",
            "--calls",
            "2000",
        ])
        .json();
    assert_eq!(month(&v, "2026-01")["bill"], q["amount"]);
    assert_eq!(month(&v, "2026-01")["freeze"], q["freeze"]);
}

#[test]
fn table_and_csv_output() {
    let (_d, p) = files(&[
        (
            "usage.csv",
            "month,api,calls\n2026-01,license,9000\n2026-03,general,90000\n",
        ),
        ("packs.csv", "month,api,calls\n2026-01,license,1000\n"),
    ]);
    let out = Test::new()
        .args(&["ledger", "--usage", &p[0], "--packs", &p[1]])
        .output();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Events:"), "{text}");
    // Counts in the events are grouped as in the tables (CSV keeps plain numbers).
    assert!(text.contains("pack #1 (1,000 calls) is used up"), "{text}");
    assert!(text.contains("arrears"), "{text}");
    assert!(text.contains("Totals: paid for packs 120.00"), "{text}");
    let out = Test::new()
        .args(&["ledger", "--usage", &p[0], "--packs", &p[1], "-f", "csv"])
        .output();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers = r.headers().unwrap().clone();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3); // 2026-01 license, 2026-02 (no calls), 2026-03 general
    assert_eq!(&rows[0][col("api")], "license");
    assert_eq!(&rows[0][col("pack_calls")], "1000");
    assert_eq!(&rows[0][col("amount")], "1050.00");
    assert_eq!(&rows[1][col("api")], "");
    assert_eq!(&rows[1][col("released")], "1260.00");
    assert_eq!(&rows[2][col("bill")], "8900.00");
    // A line without a unit price (all its calls free or from packs): `-`
    // in the table, as every table shows it; empty in CSV.
    let (_d, p) = files(&[(
        "usage.csv",
        "month,api,calls
2026-01,idcard,900
",
    )]);
    let out = Test::new().args(&["ledger", "--usage", &p[0]]).output();
    let table = String::from_utf8(out.stdout).unwrap();
    let line = table.lines().find(|l| l.contains("2026-01")).unwrap();
    let cells: Vec<&str> = line.split(['│', '┆']).map(str::trim).collect();
    assert_eq!(
        cells[2..9],
        ["idcard", "900", "900", "0", "0", "-", "0.00"],
        "{table}"
    );
    let out = Test::new()
        .args(&["ledger", "--usage", &p[0], "-f", "csv"])
        .output();
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(csv.contains("2026-01,idcard,900,900,0,0,,0.00,"), "{csv}");
}

/// In CSV, a row per month and billing item, each event is written once: on
/// the row of the item it concerns, and on the month's first row when it
/// concerns no item (arrears) or an item without a row that month (a pack
/// expiring unused). The JSON's events of each month, in order, are the
/// rows' events joined.
#[test]
fn csv_writes_each_event_once_on_its_items_row() {
    let (_d, p) = files(&[
        (
            "usage.csv",
            "month,api,calls\n2026-01,idcard,2500\n2026-01,general,500\n2026-12,idcard,100\n",
        ),
        (
            "packs.csv",
            "month,api,calls\n2026-01,general,1000\n2026-01,idcard,1000\n",
        ),
    ]);
    let args = ["ledger", &p[0], "--packs", &p[1], "--balance", "100"];
    let out = Test::new().args(&args).args(&["-f", "csv"]).output();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers = r.headers().unwrap().clone();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let row = |month: &str, api: &str| {
        rows.iter()
            .find(|r| &r[col("month")] == month && &r[col("api")] == api)
            .unwrap_or_else(|| panic!("{month} {api}: {text}"))[col("events")]
        .to_string()
    };
    assert_eq!(
        row("2026-01", "idcard"),
        "idcard: pack #2 (1000 calls) is used up; idcard: packs used up, 500 calls went \
         postpaid; arrears (欠费): balance is -215.00"
    );
    assert_eq!(row("2026-01", "general"), "");
    assert_eq!(
        row("2026-12", "idcard"),
        "general: pack #1 (1000 calls) expired with 1000 calls unused (worth 120.00); \
         arrears (欠费): balance is -215.00"
    );
    let v = Test::new().args(&args).json();
    for m in v["months"].as_array().unwrap() {
        let month = m["month"].as_str().unwrap();
        let json: Vec<&str> = m["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        let csv: Vec<String> = rows
            .iter()
            .filter(|r| &r[col("month")] == month)
            .flat_map(|r| {
                r[col("events")]
                    .split("; ")
                    .filter(|e| !e.is_empty())
                    .map(String::from)
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(csv.len(), json.len(), "{month}: {csv:?} against {json:?}");
    }
}

#[test]
fn a_packs_file_names_the_pack_size_as_people_do() {
    // The size column as a console export or a hand-kept sheet names it.
    for (header, row) in [
        ("month,api,size,count", "2026-01,idcard,10000,1"),
        ("月份,接口,规格,数量", "2026-01,身份证,1万,1"),
        ("month,api,pack_size", "2026-01,idcard,10k"),
    ] {
        let (_d, p) = files(&[
            ("usage.csv", "month,api,calls\n2026-01,idcard,9000\n"),
            ("packs.csv", &format!("{header}\n{row}\n")),
        ]);
        let v = Test::new()
            .args(&["ledger", "--usage", &p[0], "--packs", &p[1]])
            .json();
        let m1 = month(&v, "2026-01");
        assert_eq!(s(m1, "pack_cost"), "800.00", "{header}");
        assert_eq!(m1["lines"][0]["pack_calls"], 8000, "{header}");
    }
}

#[test]
fn without_a_balance_no_balance_figure_is_given() {
    // Without --balance or --topups the balance is not followed: no number is
    // made up for it (it would be counted from an unknown start: -1200.00
    // with no arrears).
    let (_d, p) = files(&[("usage.csv", "month,api,calls\n2026-01,idcard,9000\n")]);
    let v = Test::new().args(&["ledger", "--usage", &p[0]]).json();
    assert_eq!(v["balance_tracked"], false);
    assert!(v["opening_balance"].is_null(), "{v}");
    assert!(v["totals"]["closing_balance"].is_null(), "{v}");
    let m1 = month(&v, "2026-01");
    for key in ["balance", "available", "arrears"] {
        assert!(m1[key].is_null(), "{key}: {m1}");
    }
    assert_eq!(s(m1, "bill"), "1200.00");
    Test::new()
        .args(&["ledger", "--usage", &p[0], "-f", "csv"])
        .stdout_has("\n2026-01,idcard,9000,1000,0,8000,0.15,1200.00,0.00,0.00,1200.00,0.00,1200.00,1440.00,,,,,CNY\n")
        .run();
    // With an opening balance of 0 they are figures.
    let v = Test::new()
        .args(&["ledger", "--usage", &p[0], "--balance", "0"])
        .json();
    let m1 = month(&v, "2026-01");
    assert_eq!(s(m1, "balance"), "-1200.00");
    assert_eq!(s(m1, "arrears"), "1200.00");
}

#[test]
fn a_usage_row_without_an_account_beside_named_ones_is_refused() {
    // Summed with A's calls it could be another account's: 12,000 calls bill
    // 1,100.00 where A's 6,000 alone bill 750.00.
    for (file, line, said) in [
        (
            "account,month,api,calls\nA,2026-01,idcard,6000\n,2026-01,idcard,6000\n",
            3,
            "this row has no account, while line 2 names 'A'",
        ),
        (
            "account,month,api,calls\n,2026-01,idcard,6000\nA,2026-01,idcard,6000\n",
            3,
            "this row names 'A', while line 2 has no account",
        ),
    ] {
        let (_d, p) = files(&[("usage.csv", file)]);
        for args in [
            vec!["ledger", "--usage", &p[0]],
            vec!["ledger", "--usage", &p[0], "--account", "A"],
            vec!["plan", "--usage", &p[0]],
        ] {
            let err = Test::new().args(&args).fails(1);
            assert!(
                err.contains(&format!("line {line}: {said}")),
                "{args:?}: {err}"
            );
        }
    }
    // A file whose account column is empty throughout has no accounts.
    let (_d, p) = files(&[(
        "usage.csv",
        "account,month,api,calls\n,2026-01,idcard,6000\n,2026-01,idcard,6000\n",
    )]);
    let v = Test::new().args(&["ledger", "--usage", &p[0]]).json();
    assert_eq!(s(month(&v, "2026-01"), "bill"), "1100.00");
}

/// An account's refusal in a file of several says which account, and still
/// how to go on (the remedy of the error it wraps).
#[test]
fn an_accounts_refusal_keeps_its_remedy() {
    let (_d, p) = files(&[(
        "usage.csv",
        "account,month,api,calls\na,2026-01,idcard,5\nb,2026-01,idcard,2000000\n",
    )]);
    // The ledger names the month too.
    for (command, month) in [("ledger", "2026-01: "), ("plan", "")] {
        let err = Test::new().args(&[command, &p[0]]).fails(1);
        assert!(
            err.starts_with(&format!("error: account b: {month}idcard: 2000000 calls")),
            "{err}"
        );
        assert!(err.contains("; pass --negotiated-price PRICE"), "{err}");
    }
}

/// A ledger's refusal names its month: edition c's list-price freeze of a
/// contact-sales month whose packs leave only the free calls (the bill needs
/// no price, the freeze does); with a price, both months' bills and freezes.
#[test]
fn a_months_refusal_names_the_month() {
    let (_d, p) = files(&[
        (
            "usage.csv",
            "month,api,calls\n2026-01,bankcard,5000\n2026-02,bankcard,1500000\n",
        ),
        (
            "packs.csv",
            "month,api,calls,count\n2026-02,bankcard,1000000,2\n",
        ),
    ]);
    let args = [
        "ledger",
        "--edition",
        "c",
        "--usage",
        &p[0],
        "--packs",
        &p[1],
    ];
    let err = Test::new().args(&args).fails(1);
    assert!(
        err.starts_with("error: 2026-02: bankcard: the freeze counts the 1000 calls"),
        "{err}"
    );
    assert!(err.contains("; pass --negotiated-price PRICE"), "{err}");
    let v = Test::new()
        .args(&args)
        .args(&["--negotiated-price", "0.03"])
        .json();
    // January: 4,000 postpaid calls at 0.15 and a freeze of all 5,000 at it;
    // February: none billed, the free 1,000 frozen at the price given.
    assert_eq!(s(month(&v, "2026-01"), "bill"), "600.00");
    assert_eq!(s(month(&v, "2026-01"), "freeze"), "750.00");
    assert_eq!(s(month(&v, "2026-02"), "bill"), "0.00");
    assert_eq!(s(month(&v, "2026-02"), "freeze"), "30.00");
}

/// Rows of one account, month and API are one usage as they are read: the
/// rows left out of a window are still told as rows, and calls that overflow
/// when summed are refused at the row that overflows them.
#[test]
fn rows_summed_as_read_are_still_counted_as_rows() {
    let (_d, p) = files(&[
        (
            "usage.csv",
            "month,api,calls\n2025-12,idcard,5\n2025-12,idcard,6\n2026-01,idcard,9000\n2026-01,身份证,1000\n2026-03,idcard,1\n",
        ),
        (
            "huge.csv",
            "month,api,calls\n2026-01,idcard,18446744073709551615\n2026-01,idcard,1\n",
        ),
    ]);
    let v = Test::new()
        .args(&["ledger", &p[0], "--from", "2026-01", "--until", "2026-02"])
        .json();
    assert_eq!(
        v["left_out"][0],
        "3 usage rows outside 2026-01 to 2026-02 were left out"
    );
    assert_eq!(v["months"][0]["lines"][0]["calls"], 10000);
    let err = Test::new().args(&["ledger", &p[1]]).fails(1);
    assert!(
        err.contains("line 3: the calls of idcard in 2026-01 overflow"),
        "{err}"
    );
}

/// Packs and top-ups of several accounts, sorted by account and then month
/// (as a spreadsheet sorts them), are in order: months go back only from one
/// account to the next. Within an account they may not.
#[test]
fn packs_and_top_ups_sorted_by_account_are_in_order() {
    let (_d, p) = files(&[
        (
            "usage.csv",
            "account,month,api,calls\na,2026-02,idcard,12000\nb,2026-02,idcard,12000\n",
        ),
        (
            "packs.csv",
            "account,month,api,calls\na,2026-01,idcard,10000\na,2026-02,idcard,10000\nb,2026-01,idcard,10000\n",
        ),
        (
            "topups.csv",
            "account,month,amount\na,2026-02,100\nb,2026-01,50\n",
        ),
        (
            "back.csv",
            "account,month,api,calls\na,2026-02,idcard,10000\nb,2026-01,idcard,10000\na,2026-01,idcard,10000\n",
        ),
    ]);
    let v = Test::new()
        .args(&["ledger", &p[0], "--packs", &p[1], "--topups", &p[2]])
        .json();
    let accounts = v["accounts"].as_array().unwrap();
    // Each pack bought, as the month it was bought in.
    let bought = |a: &Value| -> Vec<String> {
        a["months"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|m| {
                let n = m["packs_bought"].as_array().unwrap().len();
                std::iter::repeat_n(m["month"].as_str().unwrap().to_string(), n)
            })
            .collect()
    };
    assert_eq!(accounts[0]["account"], "a");
    assert_eq!(
        bought(&accounts[0]),
        ["2026-01", "2026-02"],
        "{}",
        accounts[0]
    );
    assert_eq!(accounts[1]["account"], "b");
    assert_eq!(bought(&accounts[1]), ["2026-01"], "{}", accounts[1]);
    assert_eq!(s(month(&accounts[0], "2026-02"), "topups"), "100.00");
    assert_eq!(s(month(&accounts[1], "2026-01"), "topups"), "50.00");
    let err = Test::new()
        .args(&["ledger", &p[0], "--packs", &p[3]])
        .fails(1);
    assert!(
        err.contains("line 4: month 2026-01 comes after 2026-02 for account a"),
        "{err}"
    );
}

/// An account that only the packs or top-ups name (a mistyped ID, most
/// often) is billed as one of its own, and the user is told which.
#[test]
fn an_account_named_only_by_packs_or_top_ups_is_told() {
    let (_d, p) = files(&[
        (
            "usage.csv",
            "account,month,api,calls\n100012345678,2026-01,idcard,9000\n",
        ),
        (
            "packs.csv",
            "account,month,api,calls\n10001234567,2026-01,idcard,10000\n",
        ),
        (
            "topups.csv",
            "account,month,amount\n100012345678,2026-01,100\n1000123456789,2026-01,100\n",
        ),
    ]);
    let ran = Test::new()
        .args(&[
            "ledger", &p[0], "--packs", &p[1], "--topups", &p[2], "-f", "json",
        ])
        .stderr_has("warning: account 10001234567 is named only in the packs file, with no usage")
        .stderr_has("warning: account 1000123456789 is named only in the top-ups file")
        .run();
    assert!(
        !ran.stderr.contains("account 100012345678 "),
        "{}",
        ran.stderr
    );
    let v: Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(v["accounts"].as_array().unwrap().len(), 3, "{v}");
    // The account meant bought nothing: its 9,000 calls are billed postpaid.
    assert_eq!(s(month(&v["accounts"][0], "2026-01"), "bill"), "1200.00");
}

/// An order list gives what a row's packs cost together (`实付金额`): that is
/// the price paid, divided among them (edition d's own example: three
/// 100,000-call packs for 10,500.00 are 3,500.00 each). Beside a price column
/// the two must agree; an amount that is no whole number of fen a pack is
/// refused, as are two order amounts with nothing to choose between them.
#[test]
fn an_order_lists_amount_paid_is_the_price_of_its_packs() {
    let (_d, p) = files(&[
        (
            "usage.csv",
            "month,api,calls\n2026-01,idcard,60000\n2026-02,idcard,300000\n",
        ),
        (
            "orders.csv",
            "购买时间,资源包名称,规格,数量,订单金额,实付金额(元)\n2026-01,身份证识别资源包,100000,3,15000,10500\n",
        ),
        (
            "agree.csv",
            "month,api,calls,count,price,paid\n2026-01,idcard,1000,3,84,252\n",
        ),
        (
            "disagree.csv",
            "month,api,calls,count,price,paid\n2026-01,idcard,1000,3,84,250\n",
        ),
        (
            "uneven.csv",
            "month,api,calls,count,amount\n2026-01,idcard,1000,3,100\n",
        ),
        (
            "two.csv",
            "month,api,calls,count,金额,订单金额\n2026-01,idcard,1000,3,300,300\n",
        ),
    ]);
    let v = Test::new()
        .args(&["--edition", "d", "ledger", &p[0], "--packs", &p[1]])
        .json();
    let bought = &month(&v, "2026-01")["packs_bought"][0];
    assert_eq!(bought["price"], "3500.00", "{v}");
    assert_eq!(bought["cost"], "10500.00", "{v}");
    assert_eq!(s(&v["totals"], "paid_for_packs"), "10500.00");
    let v = Test::new()
        .args(&["ledger", &p[0], "--packs", &p[2]])
        .json();
    assert_eq!(month(&v, "2026-01")["packs_bought"][0]["cost"], "252.00");
    for (file, said) in [
        (
            &p[3],
            "line 2: the pack price 84.00 for 3 packs makes 252.00, but the amount paid is 250.00",
        ),
        (
            &p[4],
            "line 2: the amount paid, 100.00, is not the same whole number of fen for each of the 3 packs",
        ),
        (
            &p[5],
            "the header has two paid columns, '金额' and '订单金额'; expected one (rename or delete the other)",
        ),
    ] {
        let err = Test::new()
            .args(&["ledger", &p[0], "--packs", file])
            .fails(1);
        assert!(err.contains(said), "{err}");
    }
}

/// A top-ups file that says its rows' kind (an account statement's
/// `交易类型`) may hold only top-ups: a spending row (`消费`) is no money
/// credited, and is refused with its line rather than added to the balance.
#[test]
fn a_statement_row_that_is_no_top_up_is_refused() {
    let (_d, p) = files(&[
        ("usage.csv", "month,api,calls\n2026-01,idcard,9000\n"),
        (
            "credits.csv",
            "交易时间,交易类型,金额\n2026-01-03,充值,1000\n2026-01-09,Top-up,500\n2026-01-10,,20\n",
        ),
        (
            "statement.csv",
            "交易时间,交易类型,金额\n2026-01-03,充值,1000\n2026-01-20,消费,300\n",
        ),
    ]);
    let v = Test::new()
        .args(&["ledger", &p[0], "--topups", &p[1]])
        .json();
    // (A row whose type cell is empty says nothing against it.)
    assert_eq!(s(month(&v, "2026-01"), "topups"), "1520.00", "{v}");
    let err = Test::new()
        .args(&["ledger", &p[0], "--topups", &p[2]])
        .fails(1);
    assert!(
        err.contains("line 3: the row is a '消费', not a top-up (充值)"),
        "{err}"
    );
}

/// A file of many accounts makes more output than is kept in memory (past
/// 8 MB it goes to a temporary file until the run is done): the whole of it
/// arrives, every account's ledger as it is alone, in JSON, CSV and tables.
/// A's rows run from January to March; B's stop in January.
const TWO_ACCOUNTS: &str =
    "account,month,api,calls\nA,2026-01,idcard,9000\nB,2026-01,idcard,9000\n\
                            A,2026-02,idcard,20000\nA,2026-03,idcard,900\n";

#[test]
fn every_account_is_followed_to_the_files_last_month() {
    // B's rows stop in January while the file runs to March: B had no calls
    // in February and March, so its freeze is released in February, and its
    // pack (bought in January, valid one month) expires there with its
    // calls unused.
    let (_d, p) = files(&[
        ("usage.csv", TWO_ACCOUNTS),
        (
            "packs.csv",
            "account,month,api,calls\nB,2026-01,idcard,1000\n",
        ),
        ("one-month.toml", "pack_validity_months = 1\n"),
    ]);
    let all = Test::new()
        .args(&["ledger", &p[0], "--packs", &p[1], "--pricing", &p[2]])
        .json();
    let b = &all["accounts"][1];
    assert_eq!(b["account"], "B");
    let months: Vec<&str> = (b["months"].as_array().unwrap().iter())
        .map(|m| m["month"].as_str().unwrap())
        .collect();
    assert_eq!(months, ["2026-01", "2026-02", "2026-03"]);
    // 9,000 calls: 1,000 free, 1,000 from the pack, 7,000 at 0.15.
    assert_eq!(b["months"][0]["freeze"], "1260.00");
    assert_eq!(b["months"][1]["released"], "1260.00");
    assert_eq!(b["months"][1]["freeze"], "0.00");
    // Followed alone, B runs to the files' last month as well.
    let alone = Test::new()
        .args(&["ledger", &p[0], "--packs", &p[1], "--pricing", &p[2]])
        .args(&["--account", "B"])
        .json();
    assert_eq!(alone["months"], b["months"]);
    // --until still ends the window where it says.
    let until = Test::new()
        .args(&["ledger", &p[0], "--account", "B", "--until", "2026-01"])
        .json();
    assert_eq!(until["months"].as_array().unwrap().len(), 1);
}

/// A file of several accounts ends with the sums over them, in the table and
/// in JSON, each the sum of the accounts' own.
#[test]
fn several_accounts_ledgers_end_with_their_sums() {
    // A: 9,000 calls (1,200.00), 20,000 (1,900.00), 900 (free). B: 9,000
    // calls, one pack of 10,000 bought for 800.00 that serves 8,000 and
    // expires with 2,000 unused, worth 160.00.
    let (_d, p) = files(&[
        ("usage.csv", TWO_ACCOUNTS),
        (
            "packs.csv",
            "account,month,api,calls\nB,2026-01,idcard,10000\n",
        ),
        ("one-month.toml", "pack_validity_months = 1\n"),
    ]);
    let args = ["ledger", &p[0], "--packs", &p[1], "--pricing", &p[2]];
    let all = Test::new().args(&args).json();
    let totals = &all["totals"];
    for (key, want) in [
        ("paid_for_packs", "800.00"),
        ("paid_postpaid", "3100.00"),
        ("value_wasted", "160.00"),
    ] {
        assert_eq!(totals[key], want, "{key}: {totals}");
        let each: Vec<f64> = (all["accounts"].as_array().unwrap().iter())
            .map(|a| a["totals"][key].as_str().unwrap().parse().unwrap())
            .collect();
        assert_eq!(
            each.iter().sum::<f64>(),
            want.parse::<f64>().unwrap(),
            "{key}"
        );
    }
    assert_eq!(totals["calls_wasted"], 2000);
    Test::new()
        .args(&args)
        .stdout_has(
            "\nAll 2 accounts: paid for packs 800.00; paid postpaid 3,100.00; pack calls \
             wasted by expiry 2,000 (worth 160.00)\nPrice list:",
        )
        .run();
    // With the balances followed (top-ups of A only), their sums too:
    // A's 5,000.00 less its 3,100.00; B's 0.00 less its 800.00 for packs.
    let (_t, topups) = files(&[("topups.csv", "account,month,amount\nA,2026-01,5000\n")]);
    let all = Test::new()
        .args(&args)
        .args(&["--topups", &topups[0]])
        .json();
    assert_eq!(all["totals"]["topups"], "5000.00", "{}", all["totals"]);
    assert_eq!(
        all["totals"]["closing_balance"], "1100.00",
        "{}",
        all["totals"]
    );
    Test::new()
        .args(&args)
        .args(&["--topups", &topups[0]])
        .stdout_has("(worth 160.00); top-ups 5,000.00; closing balance 1,100.00\nPrice list:")
        .run();
    // One account has no sums to add.
    let one = Test::new()
        .args(&["ledger", &p[0], "--account", "A"])
        .run()
        .stdout;
    assert!(!one.contains("All "), "{one}");
}

#[test]
fn many_accounts_write_all_their_ledgers() {
    let mut text = String::from("account,month,api,calls\n");
    for a in 0..1200 {
        for m in 1..=12 {
            text += &format!(
                "acct{a},2026-{m:02},idcard,{}\n",
                (a * 37 + m * 1013) % 25_000
            );
        }
    }
    let (_dir, paths) = files(&[("usage.csv", &text)]);
    let file = paths[0].as_str();
    let ran = Test::new().args(&["ledger", file, "-f", "json"]).run();
    assert!(ran.stdout.len() > 8 << 20, "{} bytes", ran.stdout.len());
    let all: Value = serde_json::from_str(&ran.stdout).unwrap();
    let accounts = all["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 1200);
    for a in [0, 599, 1199] {
        let name = format!("acct{a}");
        let alone = Test::new()
            .args(&["ledger", file, "--account", &name])
            .json();
        assert_eq!(accounts[a]["account"], name.as_str());
        assert_eq!(accounts[a]["months"], alone["months"]);
        assert_eq!(accounts[a]["totals"], alone["totals"]);
    }
    let csv = Test::new()
        .args(&["ledger", file, "-f", "csv"])
        .run()
        .stdout;
    assert_eq!(csv.lines().count(), 1 + 1200 * 12);
    assert!(csv.lines().last().unwrap().starts_with("acct1199,2026-12,"));
    let table = Test::new().args(&["ledger", file]).run().stdout;
    assert_eq!(table.matches("\nAccount acct").count(), 1200);
    assert!(
        table.ends_with("Price list: edition seed, in CNY\n"),
        "{}",
        &table[table.len() - 200..]
    );
}

#[test]
fn several_usage_files_are_read_as_one() {
    // A day's export each, one saved as GBK by Excel with Chinese headers,
    // the other in UTF-8 with English ones in another order: account 1001's
    // January is 4,000 + 5,000 calls, one month of 9,000.
    let (gbk, _, _) =
        encoding_rs::GBK.encode("账号,日期,接口,调用量\n1001,2026-01-01,身份证,4000\n");
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("2026-01-01.csv");
    std::fs::write(&first, &gbk).unwrap();
    let (_keep, paths) = files(&[(
        "2026-01-02.csv",
        "api,calls,date,account\nidcard,5000,2026-01-02,1001\nidcard,3000,2026-02-01,1002\n",
    )]);
    let first = first.to_string_lossy().into_owned();
    let v = Test::new().args(&["ledger", &first, &paths[0]]).json();
    let accounts = v["accounts"].as_array().unwrap();
    let a1001 = &accounts[0];
    assert_eq!(s(a1001, "account"), "1001");
    let line = &a1001["months"][0]["lines"][0];
    assert_eq!(
        (line["calls"].as_u64(), s(line, "amount")),
        (Some(9000), "1200.00")
    );
    // --usage may be repeated too, and mixed with files named alone.
    let csv = Test::new()
        .args(&["ledger", "--usage", &first, &paths[0], "-f", "csv"])
        .run()
        .stdout;
    assert!(
        csv.contains("\n1001,2026-01,idcard,9000,1000,0,8000,0.15,1200.00,"),
        "{csv}"
    );
    // An empty file (a day without calls) adds nothing; files all empty are
    // refused.
    let (_empty, empty) = files(&[("a.csv", ""), ("b.csv", "\n\n")]);
    let with_empty = Test::new()
        .args(&["ledger", &first, &empty[0], &paths[0], "-f", "csv"])
        .run()
        .stdout;
    assert_eq!(with_empty, csv);
    let err = Test::new().args(&["ledger", &empty[0], &empty[1]]).fails(1);
    assert!(err.contains("are all empty"), "{err}");
    // A file named twice would count its rows twice: refused.
    let err = Test::new()
        .args(&["ledger", &first, &paths[0], &first])
        .fails(2);
    assert!(
        err.contains("is given twice") && err.contains("2026-01-01.csv"),
        "{err}"
    );
    // An error names the file it is in.
    let (_bad, bad) = files(&[("bad.csv", "month,api,calls\n2026-01,idcard,9k?\n")]);
    let err = Test::new().args(&["ledger", &first, &bad[0]]).fails(1);
    assert!(err.contains("bad.csv") && err.contains("line 2"), "{err}");
}

#[test]
fn several_packs_and_top_ups_files_are_read_as_one() {
    // An order list a quarter each, the later one first: the packs bought
    // are the same as in one file in month order, and so is the ledger.
    let usage = "month,api,calls\n2026-01,idcard,3000\n2026-02,idcard,2500\n2026-03,idcard,12000\n";
    let (_keep, p) = files(&[
        ("usage.csv", usage),
        ("q1.csv", "month,api,calls\n2026-01,idcard,1000\n"),
        ("q2.csv", "month,api,calls\n2026-03,idcard,10000\n"),
        (
            "all.csv",
            "month,api,calls\n2026-01,idcard,1000\n2026-03,idcard,10000\n",
        ),
        ("t1.csv", "month,amount\n2026-01,500\n"),
        ("t2.csv", "month,amount\n2026-02,300\n"),
        ("t.csv", "month,amount\n2026-01,500\n2026-02,300\n"),
    ]);
    let apart = Test::new()
        .args(&["ledger", &p[0], "--packs", &p[2], "--packs", &p[1]])
        .args(&["--topups", &p[4], "--topups", &p[5], "-f", "csv"])
        .run()
        .stdout;
    let whole = Test::new()
        .args(&[
            "ledger", &p[0], "--packs", &p[3], "--topups", &p[6], "-f", "csv",
        ])
        .run()
        .stdout;
    assert_eq!(apart, whole);
    // Both packs bought, both top-ups credited.
    let v = Test::new()
        .args(&[
            "ledger", &p[0], "--packs", &p[2], "--packs", &p[1], "--topups", &p[4],
        ])
        .args(&["--topups", &p[5]])
        .json();
    assert_eq!(s(&v["totals"], "paid_for_packs"), "920.00");
    assert_eq!(s(&v["totals"], "topups"), "800.00");
    let err = Test::new()
        .args(&["ledger", &p[0], "--packs", &p[1], "--packs", &p[1]])
        .fails(2);
    assert!(
        err.contains("the packs file") && err.contains("given twice"),
        "{err}"
    );
}
