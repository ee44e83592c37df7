//! Several accounts and months in one file: never summed into one bill; daily
//! rows rolled up or counted; account IDs a spreadsheet mangled.

use crate::files;
use crate::test::Test;

const TWO_ACCOUNTS: &str = "account,month,api,calls\n\
acme,2026-01,idcard,6000\n\
beta,2026-01,idcard,6000\n";

#[test]
fn accounts_are_never_merged_into_one_bill() {
    let (_d, p) = files(&[
        ("usage.csv", TWO_ACCOUNTS),
        ("packs.csv", "month,api,calls\n2026-01,idcard,1000\n"),
        (
            "packs-of.csv",
            "account,month,api,calls\nbeta,2026-01,idcard,10000\n",
        ),
        ("no-accounts.csv", "month,api,calls\n2026-01,idcard,6000\n"),
        (
            "packs-of-two.csv",
            "account,month,api,calls\nacme,2026-01,idcard,1000\nbeta,2026-01,idcard,1000\n",
        ),
    ]);
    // The file's accounts, each billed on its own: its own free quota,
    // 5,000 calls at 0.15 (6,000 summed with the other's 6,000 would reach
    // the 0.10 tier).
    let v = Test::new().args(&["ledger", &p[0]]).json();
    for (i, name) in ["acme", "beta"].into_iter().enumerate() {
        let account = &v["accounts"][i];
        assert_eq!(account["account"], name, "{v}");
        assert_eq!(account["months"][0]["bill"], "750.00", "{v}");
    }
    let v = Test::new().args(&["plan", &p[0]]).json();
    for (i, name) in ["acme", "beta"].into_iter().enumerate() {
        assert_eq!(v["accounts"][i]["account"], name, "{v}");
        assert_eq!(
            v["accounts"][i]["plans"][0]["monthly"],
            serde_json::json!([6000])
        );
    }
    Test::new()
        .args(&["ledger", &p[0], "-f", "csv"])
        .stdout_has("account,month,api,calls,")
        .stdout_has("\nacme,2026-01,idcard,6000,1000,0,5000,0.15,750.00,")
        .stdout_has("\nbeta,2026-01,idcard,6000,1000,0,5000,0.15,750.00,")
        .run();
    Test::new()
        .args(&["ledger", &p[0]])
        .stdout_has("2 accounts, each billed on its own")
        .stdout_has("\nAccount beta:\n")
        .run();
    // Packs each account's own; packs and a balance of no account are refused.
    let v = Test::new()
        .args(&["ledger", &p[0], "--packs", &p[2]])
        .json();
    assert_eq!(v["accounts"][0]["months"][0]["bill"], "750.00", "{v}");
    assert_eq!(v["accounts"][1]["months"][0]["bill"], "0.00", "{v}");
    let err = Test::new()
        .args(&["ledger", &p[0], "--packs", &p[1]])
        .fails(1);
    assert!(
        err.contains(
            "the packs file has no account column, and the files hold 2 accounts (acme, beta)"
        ),
        "{err}"
    );
    // Usage of no account beside packs of two: whose calls is not known.
    let err = Test::new()
        .args(&["ledger", &p[3], "--packs", &p[4]])
        .fails(1);
    assert!(
        err.contains(
            "the usage file has no account column, and the files hold 2 accounts (acme, beta)"
        ),
        "{err}"
    );
    let err = Test::new()
        .args(&["ledger", &p[0], "--balance", "100"])
        .fails(2);
    assert!(err.contains("--balance is one account's"), "{err}");
    // Each account alone: its own free quota, 5,000 calls at 0.15.
    for name in ["acme", "beta"] {
        let v = Test::new()
            .args(&["ledger", "--usage", &p[0], "--account", name])
            .json();
        assert_eq!(v["months"][0]["bill"], "750.00", "{name}");
        let v = Test::new()
            .args(&["plan", "--usage", &p[0], "--account", name])
            .json();
        assert_eq!(
            v["plans"][0]["monthly"],
            serde_json::json!([6000]),
            "{name}"
        );
    }
    let err = Test::new()
        .args(&["ledger", "--usage", &p[0], "--account", "gamma"])
        .fails(2);
    assert!(err.contains("accounts in the file: acme, beta"), "{err}");
    // In batch, group keys are trimmed like every other field.
    let out = Test::new()
        .args(&["batch", "--group-by", "account,month", "-f", "json"])
        .stdin("account,month,api,calls\nacme,2026-01,idcard,6000\nacme ,2026-01,idcard,6000\n")
        .output();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("\"calls\":12000"), "{text}");
}

#[test]
fn daily_rows_roll_up_into_their_month() {
    let mut usage = String::from("date,api,calls\n");
    for day in 1..=30 {
        usage.push_str(&format!("2025-06-{day:02},idcard,300\n"));
    }
    let (_d, p) = files(&[("usage.csv", &usage)]);
    let v = Test::new().args(&["ledger", "--usage", &p[0]]).json();
    assert_eq!(v["months"][0]["month"], "2025-06");
    assert_eq!(v["months"][0]["bill"], "1200.00");
    let v = Test::new().args(&["plan", "--usage", &p[0]]).json();
    assert_eq!(v["plans"][0]["monthly"], serde_json::json!([9000]));
    // batch --group-by rolls the dates up to months.
    let out = Test::new()
        .args(&["batch", "--group-by", "date", &p[0]])
        .output();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .starts_with("2025-06,idcard,9000,30,"),
        "{text}"
    );
    assert!(text.contains(",1200.00,"), "{text}");
    // Without grouping, each row is billed as a month and the user is told.
    let out = Test::new().args(&["batch", &p[0]]).output();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("30 rows share their month and billing item with another row"),
        "{err}"
    );
    // The advice names what the file has, and works as given.
    assert!(err.contains("group them: --group-by month"), "{err}");
    Test::new()
        .args(&["batch", "--group-by", "month", &p[0]])
        .stdout_has("2025-06,idcard,9000,30,")
        .run();
    // Other date forms.
    for date in [
        "2025/6/15",
        "2025-06-15 13:45:00",
        "20250615",
        // As Excel set to English shows a date.
        "15-Jun-2025",
        "\"Jun 15, 2025 1:45 PM\"",
    ] {
        let (_d, p) = files(&[("u.csv", &format!("month,api,calls\n{date},idcard,9000\n"))]);
        let v = Test::new().args(&["ledger", "--usage", &p[0]]).json();
        assert_eq!(v["months"][0]["month"], "2025-06", "{date}");
    }
}

/// Blocks of a big file are billed on several workers, each meeting the APIs
/// in another order: rows share a key only when their billing item is the
/// same, whichever worker billed them.
#[test]
fn rows_sharing_a_month_are_counted_alike_on_every_worker() {
    let apis = ["idcard", "general", "bankcard", "license", "vat-invoice"];
    // Each API's rows (the same 12,000 accounts) span more than one block.
    let part = |api: &str| -> String {
        (0..12_000)
            .map(|i| format!("acct{i:06},2026-01,{api},5\n"))
            .collect()
    };
    let once: String = apis.iter().map(|a| part(a)).collect();
    let (_d, p) = files(&[
        ("once.csv", &format!("account,month,api,calls\n{once}")),
        (
            "twice.csv",
            &format!("account,month,api,calls\n{once}{once}"),
        ),
    ]);
    let err = Test::new()
        .args(&["batch", &p[0]])
        .stderr_has("rows written")
        .run()
        .stderr;
    assert!(!err.contains("share"), "{err}");
    let err = Test::new()
        .args(&["batch", &p[1]])
        .stderr_has("rows written")
        .run()
        .stderr;
    assert!(
        err.contains("120000 rows share their account, month and billing item"),
        "{err}"
    );
}

/// Past 1 MiB of keys the count goes through a temporary file; without a
/// usable temporary directory it stays in memory, and the count is the same.
#[test]
fn rows_sharing_a_month_are_counted_without_a_temporary_directory() {
    // 150,000 rows, every 7th account twice.
    let rows: String = (0..150_000)
        .map(|i| format!("acct{:06},2026-03,idcard,5\n", i - i % 7 / 6))
        .collect();
    let (_d, p) = files(&[("u.csv", &format!("account,month,api,calls\n{rows}"))]);
    let want = "share their account, month and billing item";
    let with = Test::new()
        .args(&["batch", &p[0]])
        .stderr_has(want)
        .run()
        .stderr;
    let without = Test::new()
        .args(&["batch", &p[0]])
        .env("TMPDIR", "/nonexistent/ocr-bill-test")
        .env("TMP", "/nonexistent/ocr-bill-test")
        .stderr_has(want)
        .run()
        .stderr;
    assert!(with.contains("42856 rows share"), "{with}");
    assert_eq!(with, without);
}

/// A month column's value that is no month is refused without grouping too
/// (it was billed silently): the row's month is what it shares with others.
#[test]
fn a_month_that_is_no_month_is_refused_row_by_row() {
    let input = "account,month,api,calls\na,2026-13,idcard,9000\na,2026-01,idcard,5\n";
    let ran = Test::new().arg("batch").stdin(input).status(1).run();
    assert!(
        ran.stderr
            .contains("line 2: month '2026-13' is not YYYY-MM"),
        "{}",
        ran.stderr
    );
    assert_eq!(ran.stdout.lines().count(), 1, "{}", ran.stdout);
    let ran = Test::new()
        .args(&["batch", "--skip-invalid"])
        .stdin(input)
        .status(3)
        .stdout_has("a,2026-01,idcard,5,5,0,1,,0.00,,")
        .run();
    assert!(
        ran.stderr.contains("skipped line 2: month '2026-13'"),
        "{}",
        ran.stderr
    );
}

/// `--group-by account,month` names the account and month columns whatever
/// the header calls them, so the advice the warning gives works on a file
/// with Chinese headers too (it said "no 'account' column").
#[test]
fn the_advised_grouping_works_with_chinese_headers() {
    let input = "账号,月份,接口,调用量\na,2026-01,idcard,6000\na,2026-01,idcard,6000\n";
    let ran = Test::new().arg("batch").stdin(input).run();
    assert!(
        ran.stderr.contains("group them: --group-by account,month"),
        "{}",
        ran.stderr
    );
    Test::new()
        .args(&["batch", "--group-by", "account,month"])
        .stdin(input)
        .stdout_has("a,2026-01,idcard,12000,2,1000,11000,3,0.10,1100.00,,")
        .run();
    // A column really named so still wins over the role.
    Test::new()
        .args(&["batch", "--group-by", "month"])
        .stdin("month,date,api,calls\n2026-01,2026-02-01,idcard,6000\n2026-01,2026-03-01,idcard,6000\n")
        .stdout_has("2026-01,idcard,12000,2,")
        .run();
}

/// RULES §8: rows of different accounts are never summed into one bill, so a
/// grouping of a file with an account column must include it (it summed them).
#[test]
fn grouping_never_sums_two_accounts_into_one_bill() {
    let input = "账号,月份,接口,调用量\na,2026-01,idcard,6000\nb,2026-01,idcard,6000\n";
    for group in ["month", "月份"] {
        let ran = Test::new()
            .args(&["batch", "--group-by", group])
            .stdin(input)
            .status(1)
            .run();
        assert!(
            ran.stderr
                .contains("without the account column '账号' would sum rows of different accounts")
                && ran.stderr.contains(&format!("(account,{group})")),
            "{}",
            ran.stderr
        );
        assert_eq!(ran.stdout, "");
    }
    Test::new()
        .args(&["batch", "--group-by", "account,month"])
        .stdin(input)
        .stdout_has("a,2026-01,idcard,6000,1,1000,5000,2,0.15,750.00,")
        .stdout_has("b,2026-01,idcard,6000,1,1000,5000,2,0.15,750.00,")
        .run();
}

#[test]
fn grouping_never_sums_two_months_into_one_bill() {
    // By account alone: one month's daily rows are that month's total.
    let (_d, p) = files(&[(
        "u.csv",
        "account,date,api,calls\na,2026-01-03,idcard,6000\na,2026-01-20,idcard,6000\n",
    )]);
    let ran = Test::new()
        .args(&["batch", "--group-by", "account", &p[0]])
        .stdout_has("a,idcard,12000,2,1,1000,11000,3,0.10,1100.00")
        .run();
    assert!(
        ran.stdout
            .starts_with("account,api,calls,rows,months,free_calls,"),
        "{}",
        ran.stdout
    );
    // Rows of two months in one group: each month billed on its own (its own
    // free quota and tier), the row their sum; 12,000 calls in one month would
    // be 1,100.00.
    let (_d, p) = files(&[(
        "u.csv",
        "account,date,api,calls\na,2026-01-03,idcard,6000\nb,2026-01-09,idcard,20000\n\
         a,2026-02-01,idcard,6000\nb,2026-02-03,idcard,2000\n",
    )]);
    Test::new()
        .args(&["batch", "--group-by", "account", &p[0]])
        // Two months at 750.00.
        .stdout_has("\na,idcard,12000,2,2,2000,10000,2,0.15,1500.00,,\n")
        // 1,900.00 at 0.10 and 150.00 at 0.15: no one tier or price to show.
        .stdout_has("\nb,idcard,22000,2,2,2000,20000,,,2050.00,,\n")
        .stderr_has("2 rows written, total 3550.00")
        .run();
    // JSON: the months as an integer, the tier null when the months differ.
    let out = Test::new()
        .args(&["batch", "--group-by", "account", "-f", "json", &p[0]])
        .output();
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows[1]["months"], 2);
    assert_eq!(rows[1]["tier"], serde_json::Value::Null);
    assert_eq!(rows[1]["amount"], "2050.00");
}

#[test]
fn months_apart_share_the_account_allowance_month_by_month() {
    // Edition b: 1,000 free calls per account a month, idcard first. Each
    // month: idcard 900 free, bizcard 100 free and 2,900 at 0.15 (435.00).
    let (_d, p) = files(&[(
        "u.csv",
        "account,month,api,calls\na,2026-01,idcard,900\na,2026-01,bizcard,3000\n\
         a,2026-02,idcard,900\na,2026-02,bizcard,3000\n",
    )]);
    let out = Test::new()
        .args(&["batch", "--edition", "b", "--group-by", "account", &p[0]])
        .output();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\na,idcard,1800,2,2,1800,0,"), "{text}");
    assert!(
        text.contains("\na,bizcard,6000,2,2,200,5800,2,0.15,870.00,,\n"),
        "{text}"
    );
}

#[test]
fn a_month_that_cannot_be_billed_leaves_its_group_out_whole() {
    let (_d, p) = files(&[(
        "u.csv",
        "account,date,api,calls\na,2026-01-03,idcard,6000\na,2026-02-01,idcard,2000000\n\
         b,2026-02-01,idcard,100\n",
    )]);
    // Stops before anything is written, naming the group and its month.
    let out = Test::new()
        .args(&["batch", "--group-by", "account", &p[0]])
        .output();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 3: group account=a, date=2026-02"),
        "{err}"
    );
    // Skipped: the other month goes with it (no partial total), and is counted.
    let out = Test::new()
        .args(&["batch", "--group-by", "account", "--skip-invalid", &p[0]])
        .output();
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("\na,"), "{text}");
    assert!(text.contains("\nb,idcard,100,1,1,"), "{text}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("its 2 months (2 rows) are left out with it"),
        "{err}"
    );
    assert!(err.contains("skipped 2 of 3 rows"), "{err}");
}

#[test]
fn ledger_obeys_from_and_until() {
    let usage = "month,api,calls\n2026-01,idcard,9000\n2026-05,idcard,9000\n";
    let (_d, p) = files(&[("usage.csv", usage)]);
    let v = Test::new()
        .args(&["ledger", "--usage", &p[0], "--until", "2026-01"])
        .json();
    assert_eq!(v["months"].as_array().unwrap().len(), 1);
    assert_eq!(
        v["left_out"][0],
        "1 usage row outside 2026-01 to 2026-01 was left out"
    );
    let v = Test::new()
        .args(&["ledger", "--usage", &p[0], "--from", "2026-03"])
        .json();
    let months: Vec<&str> = v["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["month"].as_str().unwrap())
        .collect();
    assert_eq!(months, ["2026-03", "2026-04", "2026-05"]);
    let v = Test::new()
        .args(&[
            "ledger", "--usage", &p[0], "--from", "2026-01", "--until", "2026-07",
        ])
        .json();
    assert_eq!(v["months"].as_array().unwrap().len(), 7);
    let err = Test::new()
        .args(&[
            "ledger", "--usage", &p[0], "--from", "2026-06", "--until", "2026-02",
        ])
        .fails(1);
    assert!(err.contains("must not come after"), "{err}");
    // A pack bought before the window that still serves in it is said so.
    let (_d, q) = files(&[("packs.csv", "month,api,calls\n2025-06,idcard,100000\n")]);
    let v = Test::new()
        .args(&[
            "ledger", "--usage", &p[0], "--packs", &q[0], "--from", "2026-03",
        ])
        .json();
    assert_eq!(
        v["left_out"][2],
        "1 of them bought before 2026-03 would still serve calls from 2026-03: the window is \
         billed as if they were never bought; start the ledger at the first month to carry them"
    );
    // One that expired before it is not.
    let (_d, q) = files(&[("packs.csv", "month,api,calls\n2025-02,idcard,100000\n")]);
    let v = Test::new()
        .args(&[
            "ledger", "--usage", &p[0], "--packs", &q[0], "--from", "2026-03",
        ])
        .json();
    assert_eq!(v["left_out"].as_array().unwrap().len(), 2, "{v}");
}

#[test]
fn utc_timestamps_fall_in_the_month_of_the_bill_clock() {
    // 16:00 UTC on June 30 is midnight on July 1 in China Standard Time, the
    // clock of Tencent Cloud's bill months.
    let file = "time,api,calls\n2025-06-30T15:59:59Z,idcard,6000\n\
                2025-06-30T16:00:00Z,idcard,5000\n2025-07-01 08:00:00+08:00,idcard,1000\n";
    Test::new()
        .args(&["batch", "--group-by", "month"])
        .stdin(file)
        .stdout_has("\n2025-06,idcard,6000,1,1000,5000,2,0.15,750.00,")
        .stdout_has("\n2025-07,idcard,6000,2,1000,5000,2,0.15,750.00,")
        .run();
}

#[test]
fn a_log_with_unix_times_or_compact_timestamps_is_billed_by_month() {
    // A call log as a database or a gateway writes it: Unix times in
    // seconds or milliseconds (UTC, read on the bill's clock: 1769875200 is
    // 2026-01-31T16:00:00Z, midnight on February 1 in Beijing) and
    // yyyymmddhhmmss, as it stands.
    let file = "时间戳,接口,调用量\n1769875199,idcard,6000\n1769875200000,idcard,5000\n\
                20260201000000,idcard,1000\n20260131235959,idcard,1\n";
    Test::new()
        .args(&["batch", "--group-by", "month"])
        .stdin(file)
        .stdout_has("\n2026-01,idcard,6001,2,1000,5001,2,0.15,750.15,")
        .stdout_has("\n2026-02,idcard,6000,2,1000,5000,2,0.15,750.00,")
        .run();
    // Ten digits that are yyyymmddhh too are refused, naming the line.
    let err = Test::new()
        .args(&["batch", "--group-by", "month"])
        .stdin("time,api,calls\n2026011513,idcard,5\n")
        .fails(1);
    assert!(
        err.contains("line 2") && err.contains("yyyymmddhh"),
        "{err}"
    );
}

#[test]
fn rows_without_an_account_beside_named_ones_are_never_billed_silently() {
    // As a merged cell of a spreadsheet leaves the rows below its first.
    let file = "账号,月份,接口,调用量\n1001,2026-01,身份证,5000\n,2026-01,身份证,6000\n";
    let message = "line 3: this row has no account, while line 2 names '1001'";
    for skip in [&[][..], &["--skip-invalid"]] {
        Test::new()
            .args(&["batch", "--group-by", "account,month"])
            .args(skip)
            .stdin(file)
            .status(1)
            .stderr_has(message)
            .run();
    }
    Test::new()
        .args(&["ledger", "-"])
        .stdin(file)
        .status(1)
        .stderr_has(message)
        .run();
    // Billed row by row, each is a bill of its own; the user is told.
    Test::new()
        .arg("batch")
        .stdin(file)
        .stdout_has("\n,2026-01,身份证,6000,1000,5000,2,0.15,750.00,,\n")
        .stderr_has("warning: 1 of the 2 rows has no account while the others name theirs")
        .run();
    // A file whose account column is empty throughout has no accounts.
    let ran = Test::new()
        .arg("batch")
        .stdin("账号,接口,调用量\n,身份证,5000\n,身份证,6000\n")
        .run();
    assert!(!ran.stderr.contains("no account"), "{}", ran.stderr);
}

#[test]
fn grouping_by_the_api_says_rows_are_grouped_by_it_anyway() {
    for by in ["account,api", "账号,接口名称"] {
        Test::new()
            .args(&["batch", "--group-by", by])
            .stdin("账号,接口名称,调用量\n1,身份证,9000\n")
            .status(1)
            .stderr_has("--group-by names the API column '接口名称': rows are always grouped by API and their calls summed; leave it out (--group-by ")
            .run();
    }
}

#[test]
fn accounts_a_spreadsheet_wrote_in_scientific_notation_are_never_merged() {
    // 100012345678 and 100012349999 both read 1.00012E+11 once Excel has
    // saved them from a General column: summed, two accounts become one bill.
    let file = "account,month,api,calls\n1.00012E+11,2026-01,idcard,6000\n\
                1.00012E+11,2026-01,idcard,6000\n";
    let want = "line 2: account '1.00012E+11' is in scientific notation";
    Test::new()
        .args(&["batch", "--group-by", "account,month"])
        .stdin(file)
        .status(1)
        .stderr_has(want)
        .run();
    let (_d, p) = files(&[("u.csv", file)]);
    let err = Test::new().args(&["ledger", "--usage", &p[0]]).fails(1);
    assert!(err.contains(want), "{err}");
    // Written as text formulas, as exports keep long numbers, they are read
    // whole: two accounts, each its own bill.
    Test::new()
        .args(&["batch", "--group-by", "account,month"])
        .stdin(
            "account,month,api,calls\n=\"100012345678\",2026-01,idcard,6000\n\
             \"=\"\"100012349999\"\"\",2026-01,idcard,=\"6000\"\n",
        )
        .stdout_has("\n100012345678,2026-01,idcard,6000,1,1000,5000,2,0.15,750.00,")
        .stdout_has("\n100012349999,2026-01,idcard,6000,1,1000,5000,2,0.15,750.00,")
        .run();
}

/// An account ID written with decimals (`100012345678.0`, as pandas writes a
/// column of numbers with a gap) would be an account of its own: the packs of
/// `100012345678` bought for nobody, its usage billed as if none were held.
/// It is refused wherever accounts are read; other decimals are names.
#[test]
fn an_account_id_written_with_decimals_is_refused() {
    let want = "line 2: account '100012345678.0' is a whole number written with decimals";
    let (_d, p) = files(&[
        (
            "usage.csv",
            "account,month,api,calls\n100012345678,2026-01,idcard,9000\n",
        ),
        (
            "packs.csv",
            "account,month,api,calls\n100012345678.0,2026-01,idcard,10000\n",
        ),
        (
            "topups.csv",
            "account,month,amount\n100012345678.00,2026-01,100\n",
        ),
        (
            "usage2.csv",
            "account,month,api,calls\n100012345678.0,2026-01,idcard,9000\n",
        ),
        (
            "named.csv",
            "account,month,api,calls\n1.5,2026-01,idcard,9000\nv1.0,2026-01,idcard,9000\n",
        ),
    ]);
    let err = Test::new()
        .args(&["ledger", &p[0], "--packs", &p[1]])
        .fails(1);
    assert!(err.contains(want), "{err}");
    let err = Test::new()
        .args(&["ledger", &p[0], "--topups", &p[2]])
        .fails(1);
    assert!(
        err.contains("account '100012345678.00' is a whole number"),
        "{err}"
    );
    for args in [
        vec!["ledger", &p[3]],
        vec!["plan", &p[3]],
        vec!["batch", "--group-by", "account,month", &p[3]],
    ] {
        let err = Test::new().args(&args).fails(1);
        assert!(err.contains(want), "{args:?}: {err}");
    }
    let v = Test::new().args(&["ledger", &p[4]]).json();
    assert_eq!(v["accounts"][0]["account"], "1.5", "{v}");
    assert_eq!(v["accounts"][1]["account"], "v1.0", "{v}");
    // So is one typed in full-width digits (a Chinese input method's), which
    // would be another account than the same digits in half width; a name
    // with full-width letters is a name.
    let err = Test::new()
        .args(&["batch", "--group-by", "account,month"])
        .stdin(
            "account,month,api,calls\n１０００１,2026-01,idcard,9000\n10001,2026-01,idcard,100\n",
        )
        .fails(1);
    assert!(
        err.contains("line 2: account '１０００１' is written in full-width digits: it would be another account than '10001'"),
        "{err}"
    );
    Test::new()
        .args(&["batch", "--group-by", "account,month"])
        .stdin("account,month,api,calls\n客户Ａ,2026-01,idcard,9000\n")
        .stdout_has("\n客户Ａ,2026-01,idcard,9000,1,")
        .run();
}

/// A console export's account and month names are read (主账号ID, 统计月份);
/// an account column under a name not taken is refused, where it would have
/// summed two companies' calls into one ledger, and read once named.
#[test]
fn account_columns_under_other_names_are_read_or_refused() {
    let (_d, p) = files(&[
        (
            "console.csv",
            "主账号ID,统计月份,API名称,调用量\n100001,2026-01,idcard,9000\n100002,2026-01,idcard,9000\n",
        ),
        (
            "names.csv",
            "客户名称,月份,接口,调用量\n甲公司,2026-01,idcard,9000\n乙公司,2026-01,idcard,9000\n",
        ),
    ]);
    let out = Test::new()
        .args(&["batch", "--group-by", "account,month", &p[0]])
        .output();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(
        text.contains("100002,2026-01,idcard,9000,1,1000,8000"),
        "{text}"
    );
    let err = Test::new().args(&["ledger", &p[1]]).fails(1);
    assert!(
        err.contains("column '客户名称' looks like an account column")
            && err.contains("--account-column"),
        "{err}"
    );
    let v = Test::new()
        .args(&[
            "ledger",
            &p[1],
            "--account-column",
            "客户名称",
            "--account",
            "甲公司",
        ])
        .json();
    assert_eq!(v["months"][0]["bill"], "1200.00");
    // Sub-accounts (子账号, CAM sub-users) are billed to their main account:
    // their calls are one account's, summed.
    for header in ["子账号", "Sub-account UIN"] {
        Test::new()
            .args(&["batch", "--group-by", "month"])
            .stdin(format!(
                "{header},月份,接口,调用量\n200001,2026-01,身份证,5000\n200002,2026-01,身份证,6000\n"
            ))
            .stdout_has("\n2026-01,idcard,11000,2,1000,10000,3,0.10,1000.00,,\n")
            .run();
    }
}

/// A log of calls, a row for each call with its time and no count: counted
/// with `--count-rows`, rolled up into each account's months, the same bills
/// as the counts summed. Without the flag the missing column says how; with
/// it, a calls column or an ungrouped batch is refused.
#[test]
fn a_log_of_calls_is_counted_with_count_rows() {
    let mut log = String::from("时间,账号,接口\n");
    let mut counted = String::from("month,account,api,calls\n");
    for (account, month, api, n) in [
        ("acme", "2026-01", "idcard", 9000),
        ("acme", "2026-01", "通用印刷体", 1500),
        ("acme", "2026-02", "IDCardOCR", 10_001),
        ("beta", "2026-01", "idcard", 12),
    ] {
        for i in 0..n {
            log.push_str(&format!(
                "{month}-{:02} {:02}:{:02}:00,{account},{api}\n",
                1 + i % 28,
                i % 24,
                i % 60
            ));
        }
        counted.push_str(&format!("{month},{account},{api},{n}\n"));
    }
    let (_d, p) = files(&[("log.csv", &log), ("counted.csv", &counted)]);
    let err = Test::new().args(&["ledger", &p[0]]).fails(1);
    assert!(err.contains("no 'calls' column"), "{err}");
    assert!(err.contains("pass --count-rows"), "{err}");
    for command in ["ledger", "plan"] {
        let by_rows = Test::new().args(&[command, "--count-rows", &p[0]]).json();
        let by_counts = Test::new().args(&[command, &p[1]]).json();
        assert_eq!(by_rows, by_counts, "{command}");
    }
    let v = Test::new()
        .args(&["ledger", "--count-rows", "--account", "acme", &p[0]])
        .json();
    assert_eq!(v["months"][0]["bill"], "1275.00");
    assert_eq!(v["months"][1]["bill"], "900.10");
    let out = Test::new()
        .args(&["batch", "--count-rows", "--group-by", "账号,时间", &p[0]])
        .output();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        [
            "账号,时间,api,calls,rows,free_calls,billable_calls,tier,unit_price,amount,cliff_calls,cliff_amount",
            "acme,2026-01,idcard,9000,9000,1000,8000,2,0.15,1200.00,10001,900.10",
            "acme,2026-01,general,1500,1500,1000,500,2,0.15,75.00,,",
            "acme,2026-02,idcard,10001,10001,1000,9001,3,0.10,900.10,,",
            "beta,2026-01,idcard,12,12,12,0,1,,0.00,,",
        ]
    );
    let err = Test::new().args(&["batch", "--count-rows", &p[0]]).fails(1);
    assert!(
        err.contains("--count-rows counts each row as one call"),
        "{err}"
    );
    assert!(err.contains("--group-by account,month"), "{err}");
    for command in ["ledger", "plan"] {
        let err = Test::new().args(&[command, "--count-rows", &p[1]]).fails(1);
        assert!(
            err.contains("a calls column 'calls', while --count-rows"),
            "{err}"
        );
    }
    Test::new()
        .args(&["batch", "--count-rows", "--calls-column", "n", &p[0]])
        .fails(2);
}

/// A file of many accounts: each account's ledger and plan are its own, as
/// with `--account` (the rows are split by account in one pass, so 20,000
/// accounts take a second, not ten minutes).
#[test]
fn many_accounts_are_each_billed_on_their_own() {
    let mut usage = String::from("account,month,api,calls\n");
    let mut packs = String::from("account,month,api,calls\n");
    for i in 0..600u64 {
        let account = format!("a{:03}", i % 200);
        usage.push_str(&format!(
            "{account},2026-{:02},{},{}\n",
            1 + i % 3,
            ["idcard", "general"][(i % 2) as usize],
            (i * 7919) % 40_000
        ));
        if i % 7 == 0 {
            packs.push_str(&format!("{account},2026-01,idcard,10000\n"));
        }
    }
    let (_d, p) = files(&[("usage.csv", &usage), ("packs.csv", &packs)]);
    let all = Test::new()
        .args(&["ledger", &p[0], "--packs", &p[1]])
        .json();
    let plans = Test::new().args(&["plan", &p[0]]).json();
    let accounts = all["accounts"].as_array().expect("accounts");
    assert_eq!(accounts.len(), 200);
    for at in [0, 7, 199] {
        let name = accounts[at]["account"].as_str().unwrap();
        let one = Test::new()
            .args(&["ledger", &p[0], "--packs", &p[1], "--account", name])
            .json();
        assert!(
            one["months"].as_array().is_some_and(|m| m.len() == 3),
            "{one}"
        );
        assert_eq!(accounts[at]["months"], one["months"], "{name}");
        let one = Test::new().args(&["plan", &p[0], "--account", name]).json();
        assert!(
            one["plans"].as_array().is_some_and(|p| !p.is_empty()),
            "{one}"
        );
        assert_eq!(plans["accounts"][at]["plans"], one["plans"], "{name}");
    }
}

/// Several accounts' ledgers and plans (each rendered as it is made) read as
/// each account's alone, in every format: CSV rows led by the account under
/// one header (in `--excel` CSV too: one byte-order mark), a table per
/// account under one count, and JSON whose accounts are each alone's.
#[test]
fn several_accounts_render_as_each_alone_in_every_format() {
    let (_d, p) = files(&[(
        "usage.csv",
        "account,month,api,calls\n\
         b,2026-01,idcard,9000\nb,2026-02,general,120000\n\
         a,2026-01,idcard,500\na,2026-02,idcard,10001\n\
         \"c,1\",2026-02,bankcard,30000\n",
    )]);
    let names = ["b", "a", "c,1"];
    let run = |args: &[&str]| Test::new().args(args).run().stdout;
    for command in ["ledger", "plan"] {
        // CSV, plain and for spreadsheets.
        for excel in [false, true] {
            let flag = if excel { "--excel" } else { "--format=csv" };
            let all = run(&[command, &p[0], flag]);
            let end = if excel { "\r\n" } else { "\n" };
            let mut lines = all.split(end);
            let bom = if excel { "\u{feff}" } else { "" };
            let mut want = Vec::new();
            for (i, name) in names.iter().enumerate() {
                let one = run(&[command, &p[0], flag, "--account", name]);
                let mut rows = one.trim_start_matches('\u{feff}').split(end);
                let header = rows.next().unwrap();
                if i == 0 {
                    want.push(format!("{bom}account,{header}"));
                }
                let led = if name.contains(',') {
                    format!("\"{name}\"")
                } else {
                    name.to_string()
                };
                want.extend(rows.filter(|r| !r.is_empty()).map(|r| format!("{led},{r}")));
            }
            let got: Vec<&str> = lines.by_ref().filter(|l| !l.is_empty()).collect();
            assert_eq!(got, want, "{command} {flag}");
            assert_eq!(all.matches('\u{feff}').count(), usize::from(excel));
        }
        // A table per account.
        let all = run(&[command, &p[0]]);
        assert!(
            all.starts_with("3 accounts, each billed on its own"),
            "{all}"
        );
        for name in names {
            let one = run(&[command, &p[0], "--account", name]);
            let body = one.split("Price list:").next().unwrap();
            assert!(
                all.contains(&format!("\nAccount {name}:\n{body}")),
                "{command} {name}:\n{all}\n---\n{one}"
            );
        }
        assert_eq!(all.matches("Price list:").count(), 1, "{all}");
        // JSON: one document, each account's as its own but for its name.
        let all = Test::new().args(&[command, &p[0]]).json();
        assert_eq!(all["currency"], "CNY");
        for (i, name) in names.iter().enumerate() {
            let mut one = Test::new()
                .args(&[command, &p[0], "--account", name])
                .json();
            let mut got = all["accounts"][i].clone();
            assert_eq!(got["account"], *name);
            for v in [&mut one, &mut got] {
                let map = v.as_object_mut().unwrap();
                for key in ["account", "currency", "edition"] {
                    map.remove(key);
                }
            }
            assert_eq!(got, one, "{command} {name}");
        }
    }
}

/// A file with neither an account nor a month column may be one account's
/// month: rows that share a billing item (RULES §7.1: 6,000 户口本识别 and
/// 5,000 房产证识别 are 11,000 calls of 通用证照识别) are billed one by one
/// with a warning, or summed with `--group-by api`; in edition `b` every row
/// shares the account's free calls.
#[test]
fn rows_without_an_account_or_month_may_be_one_accounts_month() {
    let cards = "api,calls\n户口本识别,6000\n房产证识别,5000\n";
    let ran = Test::new()
        .args(&["--edition", "d", "batch"])
        .stdin(cards)
        .stderr_has("warning: 2 rows share their billing item with another row")
        .stderr_has("the file has no account or month column")
        .stderr_has("--group-by api")
        .run();
    assert!(
        ran.stdout
            .contains("\n户口本识别,6000,1000,5000,1,0.15,750.00,"),
        "{}",
        ran.stdout
    );
    Test::new()
        .args(&["--edition", "d", "batch", "--group-by", "api"])
        .stdin(cards)
        .stdout(
            "api,calls,rows,free_calls,billable_calls,tier,unit_price,amount,cliff_calls,cliff_amount\n\
             cards,11000,2,1000,10000,2,0.10,1000.00,,\n",
        )
        .run();
    // Different billing items share nothing in the seed...
    let ran = Test::new()
        .arg("batch")
        .stdin("api,calls\nidcard,9000\ngeneral,9000\n")
        .run();
    assert!(!ran.stderr.contains("warning"), "{}", ran.stderr);
    // ... but the account's free calls in edition b.
    Test::new()
        .args(&["--edition", "b", "batch"])
        .stdin("api,calls\nidcard,9000\ngeneral,9000\n")
        .stderr_has("warning: 2 rows share their free calls (an account's items share them)")
        .stderr_has("total 2400.00 CNY")
        .run();
    Test::new()
        .args(&["--edition", "b", "batch", "--group-by", "api"])
        .stdin("api,calls\nidcard,9000\ngeneral,9000\n")
        .stdout_has("\nidcard,9000,1,0,9000,2,0.15,1350.00,")
        .stdout_has("\ngeneral,9000,1,1000,8000,2,0.15,1200.00,")
        .stderr_has("total 2550.00 CNY")
        .run();
    // With an account column, the API alone would sum accounts together.
    let err = Test::new()
        .args(&["batch", "--group-by", "api"])
        .stdin("account,api,calls\na,idcard,9000\nb,idcard,9000\n")
        .fails(1);
    assert!(err.contains("group by it too (account)"), "{err}");
}
