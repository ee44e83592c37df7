//! Input as it really comes, where a silently wrong bill would be the worst
//! outcome: stray quotes, commas in counts, several accounts, daily rows.

use crate::files;
use crate::test::Test;

/// A usage file of `rows` data rows (header on line 1), with `edit` applied to
/// each line by its 1-based number.
fn usage(rows: usize, edit: impl Fn(usize, String) -> String) -> String {
    let mut text = String::from("account,month,api,calls\n");
    for i in 0..rows {
        let line = format!("acct{},2026-01,idcard,{}", i % 7, 100 + i % 5000);
        text.push_str(&edit(i + 2, line));
        text.push('\n');
    }
    text
}

#[test]
fn a_stray_quote_pair_swallows_no_rows() {
    let input = usage(100_000, |n, line| match n {
        500 => format!("\"{line}"),
        90_000 => line.replacen(',', "\",", 1),
        _ => line,
    });
    let out = Test::new().arg("batch").stdin(input.clone()).output();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("line 500: a quoted field opens on this line and does not close on it")
            && err.contains("it closes on line 90000"),
        "{err}"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        1 + 498
    );

    let out = Test::new()
        .args(&["batch", "--skip-invalid"])
        .stdin(input)
        .output();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("skipped line 500:"), "{err}");
    assert!(
        err.contains("skipped line 90000: a quote inside unquoted field 1"),
        "{err}"
    );
    assert!(err.contains("skipped 2 of 100000 rows"), "{err}");
    // Rows in = rows out + rows reported.
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        1 + 100_000 - 2
    );
}

#[test]
fn an_unclosed_quote_is_reported_where_it_opens_and_the_rest_is_billed() {
    let input = usage(
        50_000,
        |n, line| {
            if n == 20 {
                format!("\"{line}")
            } else {
                line
            }
        },
    );
    let out = Test::new()
        .args(&["batch", "--skip-invalid"])
        .stdin(input)
        .output();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("skipped line 20: the quote that opens a field on this line is never closed"),
        "{err}"
    );
    assert!(err.contains("skipped 1 of 50000 rows"), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 50_000);
}

#[test]
fn text_after_a_closing_quote_is_refused() {
    let err = Test::new().args(&["batch", "-"]).fails(1);
    assert!(err.contains("empty"), "{err}");
    let out = Test::new()
        .arg("batch")
        .stdin("api,calls\n\"idcard\"x,9000\n")
        .output();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err.contains("line 2: after the closing quote of field 1 on this line, expected a comma"),
        "{err}"
    );
}

#[test]
fn commas_in_counts_are_thousands_separators_or_an_error() {
    let v = Test::new()
        .args(&["postpaid", "--api", "idcard", "--calls", "9,000"])
        .json();
    assert_eq!(v["lines"][0]["calls"], 9000);
    for bad in ["9,00", "1,2,3", "1,5k", "9000,12000"] {
        let err = Test::new()
            .args(&["postpaid", "--api", "idcard", "--calls", bad])
            .fails(1);
        assert!(
            err.contains(&format!("'{bad}'")) && err.contains("groups of three digits"),
            "{bad}: {err}"
        );
    }
    // Months are separated by spaces; a comma never splits a list of months.
    let v = Test::new()
        .args(&["plan", "--api", "idcard", "--monthly", "9,000 12,000"])
        .json();
    assert_eq!(v["monthly"], serde_json::json!([9000, 12000]));
    let v = Test::new()
        .args(&["plan", "--api", "idcard", "--monthly", "9,000", "12,000"])
        .json();
    assert_eq!(v["monthly"], serde_json::json!([9000, 12000]));
    let err = Test::new()
        .args(&["plan", "--api", "idcard", "--monthly", "9,000,12,000"])
        .fails(1);
    assert!(err.contains("groups of three digits"), "{err}");
    // Full-width forms, as a Chinese input method types them, in arguments and files.
    let v = Test::new()
        .args(&["postpaid", "--api", "idcard", "--calls", "９，０００"])
        .json();
    assert_eq!(v["lines"][0]["calls"], 9000);
    Test::new()
        .arg("batch")
        .stdin("api,calls\nidcard,\"9，000\"\nidcard,１．５万\n")
        .stdout_has(",1000,8000,2,0.15,1200.00,")
        .stdout_has(",1000,14000,3,0.10,1400.00,")
        .run();
    // A count a spreadsheet wrote in scientific notation may have lost digits.
    Test::new()
        .arg("batch")
        .stdin("api,calls\nidcard,1.23E+07\n")
        .status(1)
        .stderr_has("line 2: invalid call count '1.23E+07': scientific notation")
        .run();
}

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

/// A price list may write prices as integers; the amounts are then kept at
/// scale 0, and the run's total must still be summed in fen (it was 100 times
/// too small).
#[test]
fn integer_prices_are_totalled_in_fen() {
    let (_d, p) = files(&[
        (
            "p.toml",
            "[tiers]\nstandard = [\n  { upto = 1000, price = \"0\" },\n  { upto = 10000, price = 2 },\n  { price = 1 },\n]\n",
        ),
        ("u.csv", "account,api,calls\na,idcard,5000\nb,idcard,20000\n"),
    ]);
    let ran = Test::new()
        .args(&["--pricing", &p[0], "batch", &p[1]])
        .stdout_has("a,idcard,5000,1000,4000,2,2.00,8000.00,,")
        .stdout_has("b,idcard,20000,1000,19000,3,1.00,19000.00,,")
        .run();
    assert!(ran.stderr.contains("total 27000.00 CNY"), "{}", ran.stderr);
    let ran = Test::new()
        .args(&["--pricing", &p[0], "batch", "--group-by", "account", &p[1]])
        .run();
    assert!(ran.stderr.contains("total 27000.00 CNY"), "{}", ran.stderr);
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
fn a_list_price_freeze_is_rounded_once() {
    let (_d, p) = files(&[(
        "p.toml",
        "[freeze]\nbasis = \"list-price\"\nratio = \"1.0\"\n",
    )]);
    let v = Test::new()
        .args(&[
            "--pricing",
            &p[0],
            "postpaid",
            "--api",
            "idcard",
            "--calls",
            "1000001",
            "--api",
            "bizcard",
            "--calls",
            "1000001",
            "--negotiated-price",
            "0.0455",
        ])
        .json();
    // 2 × 1,000,001 × 0.0455 = 91,000.091, rounded once.
    assert_eq!(v["freeze"], "91000.09");
}

#[test]
fn a_line_adds_up_as_shown() {
    let (_d, p) = files(&[(
        "p.toml",
        "[tiers]\nstandard = [ { upto = 1000, price = \"0\" }, { price = \"0.000004\" } ]\n",
    )]);
    let v = Test::new()
        .args(&[
            "--pricing",
            &p[0],
            "postpaid",
            "--api",
            "idcard",
            "--calls",
            "251250",
        ])
        .json();
    let line = &v["lines"][0];
    // Exact: gross 1.005, voucher 0.004, amount 1.001.
    assert_eq!(line["gross"], "1.01");
    assert_eq!(line["amount"], "1.00");
    assert_eq!(line["voucher"], "0.01");
}

#[test]
fn overflows_are_errors_never_numbers() {
    let (_d, p) = files(&[
        (
            "p.toml",
            "[packs]\nstandard = [ { calls = 18446744073709551615, price = 1 } ]\n",
        ),
        (
            "packs.csv",
            "month,api,calls,count\n2026-01,idcard,18446744073709551615,2\n",
        ),
        ("usage.csv", "month,api,calls\n2026-01,idcard,5\n"),
    ]);
    let err = Test::new()
        .args(&[
            "--pricing",
            &p[0],
            "prepaid",
            "--api",
            "idcard",
            "--calls",
            "5",
            "--packs",
            "18446744073709551615x2",
        ])
        .fails(1);
    assert!(err.contains("overflow"), "{err}");
    let err = Test::new()
        .args(&[
            "--pricing",
            &p[0],
            "ledger",
            "--usage",
            &p[2],
            "--packs",
            &p[1],
            "--until",
            "2027-02",
        ])
        .fails(1);
    assert!(err.contains("overflow"), "{err}");
}

#[test]
fn prices_a_decimal_cannot_hold_are_refused() {
    let tiny = "0.000000000000000000000000000001";
    let err = Test::new()
        .args(&[
            "postpaid",
            "--api",
            "idcard",
            "--calls",
            "2M",
            "--negotiated-price",
            tiny,
        ])
        .fails(1);
    assert!(
        err.contains(tiny) && err.contains("28 decimal places"),
        "{err}"
    );
    let (_d, p) = files(&[(
        "p.toml",
        &format!(
            "[tiers]\nstandard = [ {{ upto = 1000, price = \"0\" }}, {{ price = \"{tiny}\" }} ]\n"
        ),
    )]);
    let err = Test::new().args(&["--pricing", &p[0], "prices"]).fails(1);
    assert!(
        err.contains("line 2") && err.contains("28 decimal places"),
        "{err}"
    );
    let err = Test::new()
        .args(&[
            "postpaid",
            "--api",
            "idcard",
            "--calls",
            "2M",
            "--negotiated-price",
            "123456789012345678901234567890.5",
        ])
        .fails(1);
    assert!(err.contains("cannot all be held"), "{err}");
}

/// Runs the binary through `sh` with redirections; returns (exit code, stderr).
#[cfg(target_os = "linux")]
fn shell(script: &str, stdin: &str) -> (i32, String) {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_ocr-bill"))
        .env_remove("OCR_BILL_PRICING")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            let mut input = child.stdin.take().unwrap();
            let _ = input.write_all(stdin.as_bytes());
            drop(input);
            child.wait_with_output()
        })
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
#[cfg(target_os = "linux")]
fn output_that_cannot_be_written_is_an_error_never_a_panic() {
    let usage = "api,calls\nidcard,9000\nidcrad,5\nlicense,9000\n";
    for (script, want) in [
        (r#""$0" prices >&-"#, 1),
        (r#""$0" batch >&-"#, 1),
        (r#""$0" --help > /dev/full"#, 1),
        (r#""$0" --version > /dev/full"#, 1),
        (r#""$0" postpaid --api idcard --calls 9000 > /dev/full"#, 1),
        (r#""$0" batch --skip-invalid 2> /dev/full"#, 1),
        (r#""$0" postpaid --api idcard --calls 2M 2> /dev/full"#, 1),
        (r#""$0" --help > /dev/null"#, 0),
    ] {
        let (code, err) = shell(script, usage);
        assert_eq!(code, want, "{script}: {err}");
        assert!(!err.contains("panicked"), "{script}: {err}");
    }
}

#[test]
#[cfg(unix)]
fn dev_null_opened_for_reading_and_writing_is_not_a_closed_stdout() {
    // What Python's subprocess.DEVNULL and other launchers pass: /dev/null, O_RDWR.
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
        .unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_ocr-bill"))
        .args(["postpaid", "--api", "idcard", "--calls", "9000"])
        .env_remove("OCR_BILL_PRICING")
        .stdout(null)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
#[cfg(target_os = "linux")]
fn a_closed_pipe_never_hides_skipped_rows() {
    let mut usage = String::from("api,calls\nidcard,9000\nidcrad,5\n");
    for _ in 0..200_000 {
        usage.push_str("license,9000\n");
    }
    // The pipeline's status is head's: ocr-bill's own is echoed to stderr.
    let (_, err) = shell(
        r#"{ "$0" batch --skip-invalid; echo "exit=$?" >&2; } | head -5 > /dev/null"#,
        &usage,
    );
    assert!(
        err.contains("skipped line 3: unknown API 'idcrad'"),
        "{err}"
    );
    assert!(err.contains("exit=3"), "{err}");
}

#[test]
fn json_never_gets_duplicate_or_empty_keys() {
    for (header, want) in [
        ("x,x,api,calls", "columns 1 and 2 are both named 'x'"),
        (",,api,calls", "column 1 has an empty name"),
    ] {
        let out = Test::new()
            .args(&["batch", "-f", "json"])
            .stdin(format!("{header}\na,b,idcard,9000\n"))
            .output();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{header}: {err}");
        assert!(err.contains(want), "{header}: {err}");
        // CSV carries them as they are.
        let out = Test::new()
            .arg("batch")
            .stdin(format!("{header}\na,b,idcard,9000\n"))
            .output();
        assert_eq!(out.status.code(), Some(0), "{header}");
    }
}

#[test]
fn a_file_of_bad_rows_gets_a_short_report() {
    // (A line of empty fields is blank, no bad row: these have a count.)
    let input = format!("api,calls\n{}idcard,9000\n", ",9000\n".repeat(100_000));
    let out = Test::new()
        .args(&["batch", "--skip-invalid"])
        .stdin(input)
        .output();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(
        err.starts_with("skipped lines 2–100001 (100000 rows): the API name is empty"),
        "{err}"
    );
    assert!(err.contains("skipped 100000 of 100001 rows"), "{err}");
}

#[test]
fn a_gbk_file_with_chinese_headers_is_billed_right() {
    let text =
        "账号,日期,接口名称,调用量\n张三,2025-06-01,身份证,6000\n李四,2025-06-02,身份证,6000\n\
                张三,2025-06-03,身份证,3000\n";
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable);
    let out = Test::new()
        .args(&["batch", "--group-by", "账号,日期", "-f", "json"])
        .stdin(gbk.to_vec())
        .output();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2, "{stdout}");
    assert_eq!(rows[0]["账号"], "张三");
    assert_eq!(rows[0]["日期"], "2025-06");
    assert_eq!(rows[0]["calls"], 9000);
    assert_eq!(rows[0]["amount"], "1200.00");
    assert_eq!(rows[1]["账号"], "李四");
    assert_eq!(rows[1]["amount"], "750.00");
    // The ledger reads the same file, one account at a time.
    let (_d, p) = files(&[("gbk.csv", "")]);
    std::fs::write(&p[0], &gbk[..]).unwrap();
    let v = Test::new()
        .args(&["ledger", "--usage", &p[0], "--account", "张三"])
        .json();
    assert_eq!(v["months"][0]["bill"], "1200.00");
    // Forcing the wrong encoding is an error naming the place, never mojibake.
    let err = Test::new()
        .args(&["--encoding", "utf-8", "ledger", "--usage", &p[0]])
        .fails(1);
    assert!(
        err.contains("not UTF-8 text at byte") && err.contains("line 1"),
        "{err}"
    );
}

#[test]
fn money_arguments_are_read_like_counts() {
    let (_d, p) = files(&[("u.csv", "month,api,calls\n2026-01,idcard,9000\n")]);
    for (text, want) in [
        ("1万", "10000.00"),
        ("1,000.50", "1000.50"),
        ("2.5k", "2500.00"),
    ] {
        let v = Test::new()
            .args(&["ledger", "--usage", &p[0], "--balance", text])
            .json();
        assert_eq!(v["opening_balance"], want, "{text}");
    }
    let err = Test::new()
        .args(&["ledger", "--usage", &p[0], "--balance", "1,00"])
        .fails(1);
    assert!(
        err.contains("'1,00'") && err.contains("groups of three"),
        "{err}"
    );
}

#[test]
fn batch_ends_with_a_summary_on_stderr() {
    let out = Test::new()
        .arg("batch")
        .stdin("api,calls\nidcard,9000\nlicense,90000\n")
        .output();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim(),
        "ocr-bill: stdin: 2 rows written, total 10100.00 CNY (price list: edition seed)"
    );
    let out = Test::new()
        .args(&["--edition", "intl", "batch", "--group-by", "account"])
        .stdin("account,api,calls\na,general,9000\nb,general,9000\n")
        .output();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("total 378.00 USD"), "{err}");
    Test::new()
        .arg("batch")
        .stdin(
            "api,calls
idcard,9000
",
        )
        .stderr_has("stdin: 1 row written, total 1200.00 CNY")
        .run();
}

#[test]
fn ledger_and_plan_take_the_column_options_of_batch() {
    let (_d, p) = files(&[("u.csv", "when,what,n\n2026-01,idcard,9000\n")]);
    let args = |cmd: &str| {
        vec![
            cmd.to_string(),
            "--usage".into(),
            p[0].clone(),
            "--month-column".into(),
            "when".into(),
            "--api-column".into(),
            "what".into(),
            "--calls-column".into(),
            "n".into(),
        ]
    };
    let ledger: Vec<String> = args("ledger");
    let v = Test::new()
        .args(&ledger.iter().map(String::as_str).collect::<Vec<_>>())
        .json();
    assert_eq!(v["months"][0]["bill"], "1200.00");
    let plan: Vec<String> = args("plan");
    let v = Test::new()
        .args(&plan.iter().map(String::as_str).collect::<Vec<_>>())
        .json();
    assert_eq!(v["plans"][0]["monthly"], serde_json::json!([9000]));
    // Stdin, as for batch.
    let out = Test::new()
        .args(&["ledger", "--usage", "-", "-f", "json"])
        .stdin("month,api,calls\n2026-01,idcard,9000\n")
        .output();
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"bill\": \"1200.00\""));
}

#[test]
fn utf16_without_a_byte_order_mark_is_read_as_utf16() {
    // Some tools (iconv -t UTF-16LE, PowerShell's -Encoding Unicode piped
    // elsewhere) write UTF-16 with no byte-order mark: it is told by its zero
    // bytes, either way round, and billed as the text it is.
    let text =
        "账号\t月份\t接口\t调用量\r\nA\t2026-01\t身份证\t9000\r\nB\t2026-01\tgeneral\t90000\r\n";
    let expected = "账号,月份,接口,调用量,free_calls,billable_calls,tier,unit_price,amount,cliff_calls,cliff_amount\n\
                    A,2026-01,身份证,9000,1000,8000,2,0.15,1200.00,10001,900.10\n\
                    B,2026-01,general,90000,1000,89000,3,0.10,8900.00,100001,5940.06\n";
    let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    for bytes in [le, be] {
        let out = Test::new().arg("batch").stdin(bytes).run();
        assert_eq!(out.stdout, expected);
    }
}

/// Excel for Mac's "CSV (Macintosh)" ends its lines in a lone CR: each is a
/// line, counted as one, in every reader, however large the file (one line
/// of 20 MB would be refused as too long).
#[test]
fn lines_that_end_in_a_lone_cr_are_lines() {
    let mut text = String::from("account,month,api,calls\r");
    for i in 0..800_000u64 {
        text.push_str(&format!(
            "A{},2026-0{},idcard,{}\r",
            i % 3,
            1 + i % 9,
            i % 20_000
        ));
    }
    let lf = text.replace('\r', "\n");
    assert!(text.len() > 16 << 20);
    let grouped = [
        "batch",
        "--group-by",
        "account,month",
        "--negotiated-price",
        "0.04",
    ];
    for args in [vec!["batch"], grouped.to_vec()] {
        let (cr_out, lf_out) = (
            Test::new().args(&args).stdin(text.clone()).run().stdout,
            Test::new().args(&args).stdin(lf.clone()).run().stdout,
        );
        assert!(cr_out == lf_out && cr_out.lines().count() >= 10, "{args:?}");
    }
    // A bad row is told at its line, by batch and by ledger; a CRLF among
    // the lines is one line end.
    // (And lines that end in CRs before their LF, as text converted to CRLF
    // twice has them, are LF lines.)
    for bad in [
        "account,month,api,calls\rA,2026-01,idcard,9000\r\nA,2026-02,idcard,9x\r",
        "account,month,api,calls\r\r\nA,2026-01,idcard,9000\r\r\nA,2026-02,idcard,9x\r\r\n",
    ] {
        for args in [vec!["batch"], vec!["ledger", "--usage", "-"]] {
            let err = Test::new().args(&args).stdin(bad).status(1).run().stderr;
            assert!(
                err.contains("line 3: invalid call count '9x'"),
                "{args:?}: {err}"
            );
        }
    }
    Test::new()
        .args(&["ledger", "--usage", "-", "-f", "csv"])
        .stdin("month,api,calls\r2026-01,idcard,9000\r2026-02,idcard,900\r")
        .stdout_has("\n2026-02,idcard,900,900,")
        .run();
}

#[test]
fn excel_unicode_text_is_tab_separated_utf16_and_billed_right() {
    // Excel's and WPS's "Unicode text" (Unicode 文本): UTF-16LE with a
    // byte-order mark, tab-separated, a count with a comma quoted.
    let text = "账号\t日期\t接口名称\t调用量\r\n张三\t2025-06-01\t身份证\t\"6,000\"\r\n\
                李四\t2025-06-02\t身份证\t6000\r\n张三\t2025-06-03\t身份证\t3000\r\n";
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let out = Test::new()
        .args(&["batch", "--group-by", "账号,日期"])
        .stdin(utf16.clone())
        .run();
    assert_eq!(
        out.stdout,
        "账号,日期,api,calls,rows,free_calls,billable_calls,tier,unit_price,amount,cliff_calls,cliff_amount\n\
         张三,2025-06,idcard,9000,2,1000,8000,2,0.15,1200.00,10001,900.10\n\
         李四,2025-06,idcard,6000,1,1000,5000,2,0.15,750.00,,\n"
    );
    // Row by row, the output is CSV: the fields are written again, not the
    // tab-separated line.
    Test::new()
        .arg("batch")
        .stdin(utf16)
        .stdout_has("\n张三,2025-06-01,身份证,\"6,000\",1000,5000,2,0.15,750.00,,\n")
        .run();
    // The ledger reads the same file.
    let (_d, p) = files(&[("u.txt", &text.replace("\r\n", "\n"))]);
    let v = Test::new()
        .args(&["ledger", "--usage", &p[0], "--account", "张三"])
        .json();
    assert_eq!(v["months"][0]["bill"], "1200.00");
}

#[test]
fn semicolon_separated_files_are_read_and_a_point_between_thousands_refused() {
    // CSV saved where the decimal mark is a comma: semicolons between fields,
    // and `9.000` may be nine thousand: refused, never read as 9.
    let file = "account;month;api;calls\nacme;2026-01;idcard;9000\nacme;2026-02;idcard;9.000\n";
    Test::new()
        .arg("batch")
        .stdin(file)
        .status(1)
        .stderr_has("line 3: invalid call count '9.000': ambiguous")
        .run();
    let out = Test::new()
        .args(&["batch", "--skip-invalid"])
        .stdin(file)
        .status(3)
        .run();
    assert_eq!(
        out.stdout,
        "account,month,api,calls,free_calls,billable_calls,tier,unit_price,amount,cliff_calls,cliff_amount\n\
         acme,2026-01,idcard,9000,1000,8000,2,0.15,1200.00,10001,900.10\n"
    );
    let err = Test::new()
        .args(&["postpaid", "--api", "idcard", "--calls", "9.000"])
        .fails(1);
    assert!(
        err.contains("'9.000'") && err.contains("ambiguous"),
        "{err}"
    );
}

#[test]
fn a_comma_in_a_file_separated_by_semicolons_may_be_a_decimal_mark() {
    // There `9,000` is nine (9.000) as much as nine thousand: refused in every
    // reader, a count or an amount, never read as either.
    let (_d, p) = files(&[
        (
            "usage.csv",
            "account;month;api;calls\nacme;2026-01;idcard;9,000\n",
        ),
        (
            "pivot.csv",
            "account;api;2026-01;2026-02\nacme;idcard;9000;1,500\n",
        ),
        (
            "plain.csv",
            "account;month;api;calls\nacme;2026-01;idcard;9000\n",
        ),
        (
            "packs.csv",
            "month;api;calls;price\n2026-01;idcard;1000;1,000\n",
        ),
        ("sizes.csv", "month;api;calls\n2026-01;idcard;10,000\n"),
        ("topups.csv", "month;amount\n2026-01;5,000\n"),
    ]);
    let ambiguous = "is 9 there, and 9000 where a comma separates thousands";
    for args in [
        vec!["batch", &p[0]],
        vec!["batch", "--group-by", "account,month", &p[0]],
        vec!["ledger", "--usage", &p[0]],
        vec!["plan", &p[0]],
    ] {
        let err = Test::new().args(&args).status(1).run().stderr;
        assert!(
            err.contains(
                "line 2: invalid call count '9,000': ambiguous in a file separated by semicolons"
            ) && err.contains(ambiguous),
            "{args:?}: {err}"
        );
    }
    let err = Test::new()
        .args(&["batch", "--group-by", "account,month", &p[1]])
        .status(1)
        .run()
        .stderr;
    assert!(
        err.contains("line 2: column 2026-02: invalid call count '1,500'"),
        "{err}"
    );
    assert!(err.contains("is 1.5 there, and 1500 where"), "{err}");
    for (file, what) in [
        (&p[3], "pack price: invalid amount '1,000': ambiguous"),
        (&p[4], "invalid call count '10,000': ambiguous"),
    ] {
        let err = Test::new()
            .args(&["ledger", "--usage", &p[2], "--packs", file])
            .fails(1);
        assert!(err.contains(what), "{err}");
    }
    let err = Test::new()
        .args(&["ledger", "--usage", &p[2], "--topups", &p[5]])
        .fails(1);
    assert!(err.contains("invalid amount '5,000': ambiguous"), "{err}");
    // Where fields are separated by commas or tabs, a comma separates thousands.
    for file in [
        "account,month,api,calls\nacme,2026-01,idcard,\"9,000\"\n",
        "account\tmonth\tapi\tcalls\nacme\t2026-01\tidcard\t9,000\n",
        "account;month;api;calls\nacme;2026-01;idcard;9000\n",
    ] {
        let out = Test::new()
            .args(&["batch", "--group-by", "account,month", "-f", "json"])
            .stdin(file)
            .run()
            .stdout;
        let out: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(out["calls"], 9000, "{file}");
        assert_eq!(out["amount"], "1200.00", "{file}");
    }
}

/// Writes a workbook of `sheets` (name, rows of cells) to `path`, its
/// formulas' results saved as Excel saves them after calculating.
fn workbook(path: &std::path::Path, sheets: &[(&str, &[&[Cell]])]) {
    write_workbook(path, sheets, rust_xlsxwriter::CalculationMode::Manual);
}

/// Writes a workbook as `workbook`, calculated in `mode`: `Automatic` is how
/// a program that does not calculate writes one (its formulas' results
/// placeholders, calculated when Excel opens it).
fn write_workbook(
    path: &std::path::Path,
    sheets: &[(&str, &[&[Cell]])],
    mode: rust_xlsxwriter::CalculationMode,
) {
    let mut book = rust_xlsxwriter::Workbook::new();
    book.set_calculation_mode(mode);
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy/m/d");
    for (name, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(*name).unwrap();
        // A formula given no result is saved with none (not 0).
        sheet.set_formula_result_default("");
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match cell {
                    Cell::Text(t) => sheet.write_string(r, c, *t).map(|_| ()),
                    Cell::Number(n) => sheet.write_number(r, c, *n).map(|_| ()),
                    Cell::Date(y, m, d) => {
                        let day = rust_xlsxwriter::ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
                        sheet
                            .write_datetime_with_format(r, c, &day, &date)
                            .map(|_| ())
                    }
                    // With the result Excel keeps beside it (`#DIV/0!`).
                    Cell::Formula(f, result) => sheet
                        .write_formula(r, c, rust_xlsxwriter::Formula::new(*f).set_result(*result))
                        .map(|_| ()),
                }
                .unwrap();
            }
        }
    }
    book.save(path).unwrap();
}

enum Cell {
    Text(&'static str),
    Number(f64),
    Date(u16, u8, u8),
    Formula(&'static str, &'static str),
}

#[test]
fn a_workbook_is_read_as_the_csv_excel_would_save_of_it() {
    use Cell::{Date, Number, Text};
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("usage.xlsx");
    // Accounts and counts as number cells, dates as date cells, as a sheet
    // typed in by hand has them.
    workbook(
        &book,
        &[(
            "用量",
            &[
                &[Text("账号"), Text("日期"), Text("接口"), Text("调用量")],
                &[
                    Number(100012345678.0),
                    Date(2026, 1, 5),
                    Text("身份证"),
                    Number(5000.0),
                ],
                &[
                    Number(100012345678.0),
                    Date(2026, 1, 20),
                    Text("身份证"),
                    Number(6000.0),
                ],
                &[
                    Number(100012349999.0),
                    Date(2026, 2, 1),
                    Text("银行卡"),
                    Number(9000.0),
                ],
            ],
        )],
    );
    let book = book.to_str().unwrap();
    Test::new()
        .args(&["batch", book, "--group-by", "account,month"])
        .stdout_has("\n100012345678,2026-01,idcard,11000,2,1000,10000,3,0.10,1000.00,,\n")
        .stdout_has("\n100012349999,2026-02,bankcard,9000,1,1000,8000,2,0.15,1200.00,")
        .run();
    let v = Test::new().args(&["ledger", book]).json();
    assert_eq!(v["accounts"][0]["account"], "100012345678", "{v}");
    assert_eq!(v["accounts"][0]["months"][0]["bill"], "1000.00", "{v}");
}

#[test]
fn a_workbook_that_cannot_be_read_whole_is_refused_with_what_to_do() {
    use Cell::{Formula, Number, Text};
    let dir = tempfile::tempdir().unwrap();
    // Two sheets with other headers: which one is meant is not known.
    let two = dir.path().join("two.xlsx");
    workbook(
        &two,
        &[
            (
                "1月",
                &[
                    &[Text("api"), Text("calls")],
                    &[Text("idcard"), Number(9000.0)],
                ],
            ),
            ("notes", &[&[Text("note")], &[Text("checked")]]),
        ],
    );
    let err = Test::new().args(&["batch", two.to_str().unwrap()]).fails(1);
    assert!(
        err.contains("2 sheets with data (1月, notes)")
            && err.contains("which to bill is not known")
            && err.contains("choose one with --sheet NAME"),
        "{err}"
    );
    // `--sheet` names the one to read; a sheet the workbook has not is named
    // with those it has.
    Test::new()
        .args(&["batch", two.to_str().unwrap(), "--sheet", "1月"])
        .stderr_has("1 row written, total 1200.00")
        .run();
    let err = Test::new()
        .args(&["batch", two.to_str().unwrap(), "--sheet", "2月"])
        .fails(1);
    assert!(
        err.contains("--sheet '2月': the workbook has no such sheet; its sheets: 1月, notes"),
        "{err}"
    );
    // Two sheets with one header are one export split: read one after the other.
    let split = dir.path().join("split.xlsx");
    let rows: &[&[Cell]] = &[
        &[Text("api"), Text("calls")],
        &[Text("idcard"), Number(9000.0)],
    ];
    workbook(&split, &[("1", rows), ("2", rows)]);
    Test::new()
        .args(&["batch", split.to_str().unwrap()])
        .stderr_has("2 rows written, total 2400.00")
        .run();
    // A cell that holds an Excel error is refused with its address.
    let error = dir.path().join("error.xlsx");
    workbook(
        &error,
        &[(
            "Sheet1",
            &[
                &[Text("api"), Text("calls")],
                &[Text("idcard"), Formula("=1/0", "#DIV/0!")],
            ],
        )],
    );
    let err = Test::new()
        .args(&["batch", error.to_str().unwrap()])
        .fails(1);
    assert!(err.contains("Sheet1!B2"), "{err}");
    // Not a workbook after all: named as such.
    let fake = dir.path().join("fake.xlsx");
    std::fs::write(&fake, b"PK\x03\x04 not a zip").unwrap();
    let err = Test::new()
        .args(&["batch", fake.to_str().unwrap()])
        .fails(1);
    assert!(
        err.contains("is a spreadsheet workbook that could not be read")
            && err.contains("save it as CSV"),
        "{err}"
    );
}

/// A formula whose value the workbook does not hold is refused with its
/// cell, never read as the placeholder saved for it (0, or nothing): a
/// workbook written by a program that does not calculate (XlsxWriter,
/// openpyxl) holds no calculated values, which Excel would show. A value of
/// its own is read.
#[test]
fn a_formula_never_calculated_is_refused_not_read_as_its_placeholder() {
    use rust_xlsxwriter::CalculationMode::{Automatic, Manual};
    use Cell::{Formula, Number, Text};
    let dir = tempfile::tempdir().unwrap();
    let header: &[Cell] = &[Text("api"), Text("calls")];
    let bill = |name: &str, rows: &[&[Cell]], mode| {
        let path = dir.path().join(name);
        write_workbook(&path, &[("Sheet1", rows)], mode);
        Test::new().args(&["batch", path.to_str().unwrap()])
    };
    // Calculated when opened: the saved 0 is no count of calls.
    let placeholder: &[&[Cell]] = &[header, &[Text("idcard"), Formula("=9000", "0")]];
    let err = bill("auto.xlsx", placeholder, Automatic).fails(1);
    assert!(
        err.contains("Sheet1!B2: the cell holds the formula =9000 not calculated"),
        "{err}"
    );
    assert!(err.contains("save it as CSV"), "{err}");
    // No value saved at all.
    let unsaved: &[&[Cell]] = &[header, &[Text("idcard"), Formula("=9000", "")]];
    let err = bill("unsaved.xlsx", unsaved, Manual).fails(1);
    assert!(
        err.contains("Sheet1!B2") && err.contains("with no value saved"),
        "{err}"
    );
    // The same workbooks with their values saved as Excel saves them are
    // billed; one that asks to be calculated but holds no formula is too.
    let saved: &[&[Cell]] = &[header, &[Text("idcard"), Formula("=9000", "9000")]];
    bill("saved.xlsx", saved, Manual)
        .stderr_has("1 row written, total 1200.00")
        .run();
    let plain: &[&[Cell]] = &[header, &[Text("idcard"), Number(9000.0)]];
    bill("plain.xlsx", plain, Automatic)
        .stderr_has("1 row written, total 1200.00")
        .run();
    // A value of its own beside the request to calculate (a program that
    // calculates and asks all the same) is read.
    bill("asks.xlsx", saved, Automatic)
        .stderr_has("1 row written, total 1200.00")
        .run();
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
fn a_gbk_file_whose_first_chinese_text_comes_late_is_billed() {
    // Thousands of ASCII rows, then the first Chinese name, saved as GBK.
    let mut text = String::from("account,month,api,calls\n");
    for i in 0..4000 {
        text.push_str(&format!("acct{i:05},2026-01,idcard,100\n"));
    }
    text.push_str("张三,2026-01,身份证,9000\n");
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    Test::new()
        .arg("batch")
        .stdin(gbk.to_vec())
        .stdout_has("\n张三,2026-01,身份证,9000,1000,8000,2,0.15,1200.00,10001,900.10\n")
        .stderr_has("4001 rows written, total 1200.00 CNY")
        .run();
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
fn the_header_of_files_joined_one_after_another_is_read_past() {
    // `cat jan.csv feb.csv`, each saved with its byte-order mark.
    let one = |account: &str| {
        format!("\u{feff}账号,月份,接口,调用量\r\n{account},2026-01,身份证,9000\r\n")
    };
    let joined = one("1") + &one("2");
    Test::new()
        .arg("batch")
        .stdin(joined.clone())
        .stdout_has("\n1,2026-01,身份证,9000,1000,8000,2,0.15,1200.00,10001,900.10\n2,2026-01,")
        .stderr_has("2 rows written, total 2400.00")
        .run();
    Test::new()
        .args(&["batch", "--group-by", "account,month"])
        .stdin(joined.clone())
        .stderr_has("2 rows written, total 2400.00")
        .run();
    let v = Test::new().args(&["ledger", "-"]).stdin(joined).json();
    assert_eq!(v["accounts"][1]["months"][0]["bill"], "1200.00", "{v}");
    // One saved by Excel as GBK, one in UTF-8 (with its byte-order mark or
    // not), in either order, through a pipe or as one file: each read as
    // what it is, as files named one after another are, so that 张三 is one
    // account: 11,000 calls in January, at 0.10. (Before, the second was
    // read in the first's encoding: 张三 in UTF-8 read as GBK is 寮犱笁, a
    // second account, billed 1,350.00 with exit 0.)
    let dir = tempfile::tempdir().unwrap();
    for header in ["account,month,api,calls", "账号,月份,接口,调用量"] {
        let file = |calls: u32| format!("{header}\n张三,2026-01,身份证,{calls}\n");
        let gbk = encoding_rs::GBK.encode(&file(6000)).0.into_owned();
        let utf8 = file(5000).into_bytes();
        let bom = [&b"\xEF\xBB\xBF"[..], &utf8].concat();
        for parts in [[&gbk, &utf8], [&utf8, &gbk], [&gbk, &bom], [&bom, &gbk]] {
            let joined = [&parts[0][..], &parts[1][..]].concat();
            let path = dir.path().join("joined.csv");
            std::fs::write(&path, &joined).unwrap();
            for from_file in [false, true] {
                let test = Test::new().args(&["batch", "--group-by", "account,month"]);
                let out = match from_file {
                    true => test.arg(&path),
                    false => test.stdin(joined.clone()),
                };
                let out = out.stderr_has("1 row written, total 1000.00").run().stdout;
                assert!(
                    out.contains("\n张三,2026-01,idcard,11000,2,1000,10000,3,0.10,1000.00,"),
                    "{header} {from_file}: {out}"
                );
            }
        }
    }
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
fn a_pack_order_list_is_read_with_its_own_names() {
    // As an order list names a purchase: 购买时间, 资源包名称, 资源包规格,
    // 数量, 成交价.
    let dir = tempfile::tempdir().unwrap();
    let usage = dir.path().join("usage.csv");
    let packs = dir.path().join("packs.csv");
    std::fs::write(&usage, "月份,接口名称,调用量\n2026-01,户口本识别,11000\n").unwrap();
    std::fs::write(
        &packs,
        "购买时间,资源包名称,资源包规格,数量,成交价\n2026-01-05,通用证照识别,10000,1,700\n",
    )
    .unwrap();
    let v = Test::new()
        .args(&["--edition", "d", "ledger"])
        .arg(usage.to_str().unwrap())
        .args(&["--packs", packs.to_str().unwrap()])
        .json();
    let month = &v["months"][0];
    assert_eq!(month["pack_cost"], "700.00", "{v}");
    assert_eq!(month["lines"][0]["pack_calls"], 10000, "{v}");
    assert_eq!(month["bill"], "0.00", "{v}");
}

#[test]
fn an_api_column_is_read_beside_its_billing_item_and_product() {
    // A console export of a page with three columns of names: the API's is
    // read; the billing item follows from it.
    Test::new()
        .args(&["--edition", "d", "batch", "--group-by", "month"])
        .stdin(
            "服务类别,接口名称,计费项名称,月份,调用量\n\
             卡证文字识别,户口本识别,通用证照识别,2026-01,6000\n\
             卡证文字识别,房产证识别,通用证照识别,2026-01,5000\n",
        )
        .stdout_has("\n2026-01,cards,11000,2,1000,10000,2,0.10,1000.00,,\n")
        .run();
    Test::new()
        .arg("batch")
        .stdin("产品,接口名称,调用量\n文字识别,身份证识别,6000\n")
        .stdout_has(",6000,1000,5000,2,0.15,750.00,")
        .run();
    // Two broader names and no API column: which is meant is asked.
    Test::new()
        .arg("batch")
        .stdin("产品,计费项,调用量\n身份证识别,身份证识别,6000\n")
        .status(1)
        .stderr_has("two api columns, '产品' and '计费项'")
        .run();
}

#[test]
fn calls_made_beside_calls_billed_are_never_chosen_silently() {
    // A console export with the calls made and the calls billed (or the
    // successful ones): which one is billed is the user's choice.
    let file = "日期,接口名称,调用次数,计费次数\n2026-01-01,身份证,9500,9000\n";
    Test::new()
        .arg("batch")
        .stdin(file)
        .status(1)
        .stderr_has("two calls columns, '调用次数' and '计费次数'; expected one (name the one to use with --calls-column)")
        .run();
    Test::new()
        .args(&["batch", "--calls-column", "计费次数"])
        .stdin(file)
        .stdout_has(",9500,9000,1000,8000,2,0.15,1200.00,")
        .run();
    Test::new()
        .arg("batch")
        .stdin("日期,接口名称,成功次数\n2026-01-01,身份证,9000\n")
        .stdout_has(",9000,1000,8000,2,0.15,1200.00,")
        .run();
    // The total beside the successful and failed calls: the successful ones
    // are not taken silently either.
    Test::new()
        .arg("batch")
        .stdin(
            "日期,接口名称,总调用量,成功调用量,失败调用量\n2026-01-02,身份证识别,9000,8000,1000\n",
        )
        .status(1)
        .stderr_has("two calls columns, '总调用量' and '成功调用量'")
        .run();
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

/// `ledger usage.csv` and `plan usage.csv`, as `batch usage.csv` is written:
/// the positional file is a `--usage` file; the same file both ways is
/// refused (its rows would count twice).
#[test]
fn ledger_and_plan_take_the_usage_file_as_batch_does() {
    let usage = "account,month,api,calls\nA,2026-01,idcard,9000\nB,2026-01,idcard,100\nA,2026-02,idcard,12000\n";
    let (_d, p) = files(&[("usage.csv", usage)]);
    for command in ["ledger", "plan"] {
        let flagged = Test::new()
            .args(&[command, "--usage", &p[0], "--account", "A"])
            .json();
        let positional = Test::new().args(&[command, &p[0], "--account", "A"]).json();
        assert_eq!(positional, flagged, "{command}");
        let err = Test::new()
            .args(&[command, &p[0], "--usage", &p[0]])
            .fails(2);
        assert!(err.contains("is given twice"), "{command}: {err}");
    }
    let v = Test::new()
        .args(&["ledger", &p[0], "--account", "A"])
        .json();
    assert_eq!(v["months"][0]["bill"], "1200.00");
    assert_eq!(v["months"][1]["bill"], "1100.00");
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

/// Excel saves formatted rows left empty as rows of empty fields (`,,,`):
/// they hold no usage and are read as blank lines, in every reader; a row with
/// one value is still a row, and refused when it cannot be billed.
#[test]
fn rows_of_empty_fields_from_a_spreadsheet_are_blank() {
    let usage = "account,month,api,calls\r\nA,2026-01,idcard,9000\r\n,,,\r\n,,,\r\nA,2026-02,idcard,9000\r\n,,,\r\n";
    let (_d, p) = files(&[
        ("usage.csv", usage),
        ("tabs.csv", &usage.replace(',', "\t")),
        (
            "half.csv",
            "account,month,api,calls\nA,2026-01,idcard,9000\n,,idcard,\n",
        ),
    ]);
    for file in [&p[0], &p[1]] {
        let out = Test::new().args(&["batch", file]).output();
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(text.lines().count(), 3, "{text}");
        let v = Test::new().args(&["ledger", file]).json();
        assert_eq!(v["months"].as_array().unwrap().len(), 2);
        assert_eq!(v["months"][1]["bill"], "1200.00");
    }
    let err = Test::new().args(&["batch", &p[2]]).status(1).run().stderr;
    assert!(err.contains("line 3"), "{err}");
}

/// A report saved from a spreadsheet often begins with a title and a period
/// line above its header: they are no header, and lines keep their numbers.
#[test]
fn title_lines_above_the_header_are_read_past() {
    let report = "腾讯云OCR调用明细,,,\n统计周期：2026年1月,,,\n账号,月份,接口,调用量\nA,2026-01,idcard,9000\nA,2026-01,idcard,x\n";
    let (_d, p) = files(&[("report.csv", report)]);
    let out = Test::new()
        .args(&["batch", "--skip-invalid", &p[0]])
        .status(3)
        .run();
    assert!(
        out.stdout.starts_with("账号,月份,接口,调用量,free_calls"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("A,2026-01,idcard,9000,1000,8000"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("line 5"), "{}", out.stderr);
    let err = Test::new().args(&["ledger", &p[0]]).fails(1);
    assert!(err.contains("line 5: invalid call count 'x'"), "{err}");
}

/// The total a batch run states on stderr (`total 1200.00 CNY`).
fn stated_total(stderr: &str) -> String {
    let at = stderr.find(", total ").expect("a total") + ", total ".len();
    stderr[at..].split(' ').next().unwrap().to_string()
}

#[test]
fn totals_rows_of_a_spreadsheet_are_read_past_and_told() {
    // A subtotal row in the middle (its account cell says so, its API and
    // count look like usage) and a grand total at the end, past several blocks.
    let clean = usage(100_000, |_, line| line);
    let mut input = usage(100_000, |n, line| match n {
        60_000 => "小计,2026-01,idcard,999999".to_string(),
        _ => line,
    });
    input.push_str("合计：,,,123456789\n");
    let without = clean
        .lines()
        .enumerate()
        .filter(|(i, _)| *i + 1 != 60_000)
        .map(|(_, l)| format!("{l}\n"))
        .collect::<String>();
    let grouped = ["--group-by", "account,month", "--negotiated-price", "0.04"];
    for group in [&[][..], &grouped[..]] {
        let ran = Test::new()
            .arg("batch")
            .args(group)
            .stdin(input.clone())
            .stderr_has(
                "2 totals rows (小计, the first on line 60000) are not usage: left out, as \
                 ocr-bill sums the rows itself",
            )
            .run();
        let reference = Test::new()
            .arg("batch")
            .args(group)
            .stdin(without.clone())
            .run();
        assert_eq!(ran.stdout, reference.stdout, "{group:?}");
        assert_eq!(stated_total(&ran.stderr), stated_total(&reference.stderr));
    }
    // A totals row beside rows that name their accounts is no row without one.
    Test::new()
        .args(&["batch", "--group-by", "account,month"])
        .stdin("account,month,api,calls\na,2026-01,idcard,9000\n合计,,,9000\n")
        .stdout_has("a,2026-01,idcard,9000,1,1000,8000")
        .stderr_has("line 3 is a totals row (合计)")
        .run();
}

#[test]
fn an_accounts_subtotal_row_with_its_word_in_the_month_cell_is_left_out_by_every_reader() {
    // Excel's Subtotal (分类汇总) by account writes its word where the month
    // was: read as a month, it would be refused, or billed as usage.
    let input = "account,month,api,calls\na,2026-01,idcard,9000\na,小计,idcard,9000\n\
                 b,2026-01,idcard,500\n";
    let (_d, p) = files(&[("usage.csv", input)]);
    for args in [
        &["batch", &p[0]][..],
        &["batch", &p[0], "--group-by", "account,month"],
        &["ledger", &p[0], "-f", "csv"],
        &["plan", &p[0], "-f", "csv"],
    ] {
        let ran = Test::new()
            .args(args)
            .stderr_has("line 3 is a totals row (小计), not usage")
            .run();
        assert!(!ran.stdout.contains("18000"), "{args:?}: {}", ran.stdout);
    }
    Test::new()
        .args(&["batch", &p[0], "--group-by", "account,month"])
        .stdout_has("a,2026-01,idcard,9000,1,1000,8000,2,0.15,1200.00")
        .stdout_has("b,2026-01,idcard,500,1,500,0")
        .stderr_has("total 1200.00 CNY")
        .run();
}

#[test]
fn a_spreadsheets_subtotals_by_account_are_read_past_by_every_reader() {
    // Excel's and WPS's Subtotal (分类汇总) by account: after each account's
    // rows a row of its label and the word, the calls summed, the other
    // cells empty; a grand total at the end. In English Excel, `a Total`.
    let rows = "a,2026-01,idcard,9000\na,2026-02,idcard,12000\nb,2026-01,general,500\n";
    let plain = format!("account,month,api,calls\n{rows}");
    let subtotals = [
        "account,month,api,calls\na,2026-01,idcard,9000\na,2026-02,idcard,12000\n\
         a 汇总,,,21000\nb,2026-01,general,500\nb 汇总,,,500\n总计,,,21500\n",
        "account,month,api,calls\na,2026-01,idcard,9000\na,2026-02,idcard,12000\n\
         a Total,,,21000\nb,2026-01,general,500\nb Total,,,500\nGrand Total,,,21500\n",
    ];
    for file in subtotals {
        let (_d, p) = files(&[("plain.csv", &plain), ("subtotals.csv", file)]);
        for args in [
            &["batch"][..],
            &["batch", "--group-by", "account,month"],
            &["ledger", "-f", "csv"],
            &["plan", "-f", "csv"],
        ] {
            let expected = Test::new().args(args).arg(&p[0]).run();
            let ran = Test::new()
                .args(args)
                .arg(&p[1])
                .stderr_has("3 totals rows (")
                .stderr_has("the first on line 4) are not usage: left out")
                .run();
            assert_eq!(ran.stdout, expected.stdout, "{args:?}");
        }
    }
    // A row that reads as usage is usage, whatever its account is named; a
    // bad row with a note beside it is a bad row, never left out as a
    // subtotal.
    Test::new()
        .args(&["batch", "--group-by", "account,month"])
        .stdin("account,month,api,calls\nacme Total,2026-01,idcard,9000\n")
        .stdout_has("acme Total,2026-01,idcard,9000,1,1000,8000")
        .run();
    Test::new()
        .arg("batch")
        .stdin("account,month,api,calls,note\n1001,2026-01,idcard,9k?,Q1 Total\n")
        .status(1)
        .stderr_has("line 2: invalid call count '9k?'")
        .run();
}

#[test]
fn totals_rows_in_ledger_and_plan_files_are_read_past_and_told() {
    let usage = "month,api,calls\n2026-01,idcard,9000\n2026-02,idcard,12000\n";
    let packs = "month,api,calls\n2026-01,idcard,10000\n";
    let (_d, p) = files(&[
        ("usage.csv", usage),
        ("packs.csv", packs),
        ("usage-totals.csv", &format!("{usage}Total,,21000\n")),
        ("packs-totals.csv", &format!("{packs}合计,,10000\n")),
    ]);
    let plain = Test::new()
        .args(&["ledger", &p[0], "--packs", &p[1], "-f", "json"])
        .run();
    let ran = Test::new()
        .args(&["ledger", &p[2], "--packs", &p[3], "-f", "json"])
        .stderr_has("usage file")
        .stderr_has("line 4 is a totals row (total), not usage")
        .stderr_has("packs file")
        .stderr_has("line 3 is a totals row (合计)")
        .run();
    assert_eq!(ran.stdout, plain.stdout);
    let plain = Test::new().args(&["plan", &p[0], "-f", "json"]).run();
    let ran = Test::new()
        .args(&["plan", &p[2], "-f", "json"])
        .stderr_has("line 4 is a totals row")
        .run();
    assert_eq!(ran.stdout, plain.stdout);
    // A row that reads as usage is usage, in every command alike, whatever a
    // note beside it says.
    let noted = "month,api,calls,note\n2026-01,idcard,9000,合计\n";
    Test::new()
        .arg("batch")
        .stdin(noted)
        .stdout_has("2026-01,idcard,9000,合计,1000,8000")
        .run();
    let v = Test::new().args(&["ledger", "-"]).stdin(noted).json();
    assert_eq!(v["months"][0]["bill"], "1200.00", "{v}");
}

#[test]
fn a_usage_unit_of_thousands_of_calls_is_read_at_its_scale_and_another_is_refused() {
    let header = "账号ID,产品名称,计费项名称,使用时间,用量,用量单位\n";
    let in_calls =
        format!("{header}100012345678,文字识别,身份证识别,2026-01-05 10:00:00,9000,次\n");
    Test::new()
        .arg("batch")
        .stdin(in_calls.clone())
        .stdout_has(",9000,次,1000,8000,2,0.15,1200.00,")
        .run();
    // In ten thousands of calls, 0.9 is 9,000 calls, never 0.9 (or 9); as
    // 0.009 in 百万次 and 9 in 千次.
    for (count, unit) in [("0.9", "万次"), ("0.009", "百万次"), ("9", "千次")] {
        let scaled = in_calls.replace(",9000,次", &format!(",{count},{unit}"));
        Test::new()
            .arg("batch")
            .stdin(scaled.clone())
            .stdout_has(&format!(",{count},{unit},1000,8000,2,0.15,1200.00,"))
            .run();
        Test::new()
            .args(&["batch", "--group-by", "account,month"])
            .stdin(scaled.clone())
            .stdout_has("100012345678,2026-01,idcard,9000,1,1000,8000,2,0.15,1200.00")
            .run();
        let v = Test::new().args(&["ledger", "-"]).stdin(scaled).json();
        assert_eq!(v["months"][0]["bill"], "1200.00", "{unit}: {v}");
    }
    // The same unit in the calls column's name (a report's `调用量(万次)`).
    for header in ["调用量(万次)", "调用量（千次）"] {
        let count = if header.contains('万') { "0.9" } else { "9" };
        let file = format!("账号,月份,接口,{header}\n1001,2026-01,身份证,{count}\n");
        Test::new()
            .arg("batch")
            .stdin(file.clone())
            .stdout_has(&format!(
                "1001,2026-01,身份证,{count},1000,8000,2,0.15,1200.00"
            ))
            .run();
        Test::new()
            .args(&["batch", "--group-by", "account,month"])
            .stdin(file.clone())
            .stdout_has("1001,2026-01,idcard,9000,1,1000,8000,2,0.15,1200.00")
            .run();
        let v = Test::new()
            .args(&["ledger", "-"])
            .stdin(file.clone())
            .json();
        assert_eq!(v["months"][0]["bill"], "1200.00", "{header}: {v}");
        let v = Test::new().args(&["plan", "-"]).stdin(file).json();
        assert_eq!(v["plans"][0]["monthly"][0], 9000, "{header}: {v}");
    }
    // Named in both the column's name and a unit column: which is meant is
    // not known.
    for args in [&["batch"][..], &["ledger", "-"]] {
        Test::new()
            .args(args)
            .stdin("月份,接口,调用量(万次),用量单位\n2026-01,身份证,0.9,万次\n")
            .status(1)
            .stderr_has(
                "the calls column '调用量(万次)' names its unit, and so does the column '用量单位'",
            )
            .run();
    }
    // A count that is no whole number of calls at its scale, or another
    // unit, is refused with its line.
    for (count, unit, why) in [
        (
            "1.23456",
            "万次",
            "invalid call count '1.23456万': not a whole number of calls",
        ),
        (
            "0.9",
            "核",
            "the usage unit is '核'; expected calls (次), or 千次, 万次",
        ),
        // An empty count is refused as empty, not as a bare '万'.
        ("", "万次", "invalid call count '': empty"),
    ] {
        let file = in_calls.replace(",9000,次", &format!(",{count},{unit}"));
        for args in [
            &["batch"][..],
            &["batch", "--group-by", "account,month"],
            &["ledger", "-"],
        ] {
            let err = Test::new()
                .args(args)
                .stdin(file.clone())
                .status(1)
                .run()
                .stderr;
            assert!(
                err.contains("line 2") && err.contains(why),
                "{args:?}: {err}"
            );
        }
    }
}

#[test]
fn a_console_pack_list_names_its_packs_by_their_item() {
    // The packs as Tencent's console lists an account's orders: the pack's
    // name is its billing item's with 资源包 after it.
    let (_d, p) = files(&[
        ("usage.csv", "month,api,calls\n2026-01,idcard,12000\n"),
        (
            "packs.csv",
            "资源包ID,资源包名称,规格,购买时间,到期时间\n\
             PKG-1,身份证识别资源包,10000,2026-01-03 10:00:00,2027-01-03 10:00:00\n",
        ),
    ]);
    let v = Test::new()
        .args(&["ledger", &p[0], "--packs", &p[1]])
        .json();
    let month = &v["months"][0];
    assert_eq!(month["pack_cost"], "800.00", "{v}");
    assert_eq!(month["bill"], "100.00", "{v}");
    Test::new()
        .args(&["postpaid", "--api", "资源包", "--calls", "9000"])
        .status(1)
        .stderr_has("unknown API '资源包'")
        .run();
    // A pack's name over an ambiguous name is refused naming both candidates.
    Test::new()
        .args(&["--edition", "d", "prices", "--api", "混贴票据识别资源包"])
        .status(1)
        .stderr_has("'混贴票据识别' names APIs of 2 billing items")
        .run();
    // Its expiry (a year to the day) is the list's validity; a pack of three
    // months is not billed as one of twelve.
    let (_d, q) = files(&[(
        "packs.csv",
        "资源包名称,规格,购买时间,到期时间
         身份证识别资源包,10000,2026-01-03,2027-01-03
         身份证识别资源包,10000,2026-02-10,2026-05-10
",
    )]);
    Test::new()
        .args(&["ledger", &p[0], "--packs", &q[0]])
        .status(1)
        .stderr_has("line 3: the pack expires 2026-05-10, but packs of this price list are valid 12 months from the month bought (2026-02 through 2027-01)")
        .run();
}

#[test]
fn a_workbook_totals_row_is_left_out() {
    use Cell::{Formula, Number, Text};
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("usage.xlsx");
    // Its total a SUM whose saved result is the sum: billed, calls twice.
    workbook(
        &book,
        &[(
            "Sheet1",
            &[
                &[Text("账号"), Text("月份"), Text("接口"), Text("调用量")],
                &[Text("a"), Text("2026-01"), Text("身份证"), Number(5000.0)],
                &[Text("a"), Text("2026-01"), Text("身份证"), Number(6000.0)],
                &[
                    Text("合计"),
                    Text(""),
                    Text(""),
                    Formula("SUM(D2:D3)", "11000"),
                ],
            ],
        )],
    );
    let path = book.to_str().unwrap();
    Test::new()
        .args(&["batch", path, "--group-by", "account,month"])
        .stdout_has("a,2026-01,idcard,11000,2,1000,10000,3,0.10,1000.00")
        .stderr_has("line 4 is a totals row (合计)")
        .stderr_has("total 1000.00 CNY")
        .run();
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

/// Two columns of a role that no option names are told apart by renaming
/// one, in every reader: the usage unit of `ledger` as of `batch`.
#[test]
fn a_doubled_column_no_option_names_is_to_be_renamed() {
    let file = "month,api,calls,计量单位,用量单位\n2026-01,idcard,5,次,次\n";
    let want = "the header has two unit columns, '计量单位' and '用量单位'; expected one (rename or delete the other)";
    let err = Test::new().arg("batch").stdin(file).fails(1);
    assert!(err.contains(want), "{err}");
    let (_d, p) = files(&[("usage.csv", file)]);
    let err = Test::new().args(&["ledger", &p[0]]).fails(1);
    assert!(err.contains(want), "{err}");
}

/// A note below a spreadsheet's table (`备注：数据来源…`) is no usage: the row
/// is refused with its line, and the error says what it holds; a row that
/// only lacks its values is not taken for a note.
#[test]
fn a_note_below_the_table_is_named_in_its_rows_error() {
    let file =
        "account,month,api,calls\nA,2026-01,idcard,9000\n,,,\n备注：数据来源 腾讯云控制台,,,\n";
    let want = "line 4: the API name is empty; expected an API key such as idcard (the row holds only '备注：数据来源 腾讯云控制台': a note below the table? delete the row)";
    let err = Test::new().arg("batch").stdin(file).status(1).run().stderr;
    assert!(err.contains(want), "{err}");
    let (_d, p) = files(&[("usage.csv", file)]);
    let err = Test::new().args(&["ledger", &p[0]]).fails(1);
    assert!(
        err.contains("line 4: month '' is not YYYY-MM") && err.contains("a note below the table?"),
        "{err}"
    );
    let err = Test::new()
        .arg("batch")
        .stdin("account,month,api,calls\nB,,,\n")
        .status(1)
        .run()
        .stderr;
    assert!(!err.contains("note"), "{err}");
}

/// Tencent's bill details as exported, in English and in Chinese: the owner's
/// account (not the payer's, a reseller paying for two customers), the
/// component as the API, its usage as the calls, the bill's month. Each owner
/// is billed on its own.
#[test]
fn a_tencent_bill_detail_export_is_read_per_owner() {
    let english = "Bill Month,Payer Account ID,Owner Account ID,Operator Account ID,Product Name,\
                   Subproduct Name,Billing Mode,Component Type,Component Name,Component List Price,\
                   Component Usage,Component Usage Unit,Usage Start Time,Original Cost\n";
    let chinese = "账单月份,支付者UIN,使用者UIN,操作者UIN,产品名称,子产品名称,计费模式,组件类型,\
                   组件名称,组件刊例价,组件用量,组件用量单位,开始使用时间,原价\n";
    let rows = "2026-06,100001,200001,200001,文字识别,文字识别-卡证,按量计费,卡证识别,身份证识别,0.15,6000,次,2026-06-01 00:00:00,750.00\n\
                2026-06,100001,200002,200002,文字识别,文字识别-卡证,按量计费,卡证识别,身份证识别,0.15,5000,次,2026-06-01 00:00:00,600.00\n";
    for header in [english, chinese] {
        let file = format!("{header}{rows}");
        let v = Test::new()
            .args(&["batch", "--group-by", "account,month", "-f", "json"])
            .stdin(file.clone())
            .run()
            .stdout;
        // Summed as one account's 11,000 calls, they would reach the 0.10 tier.
        let lines: Vec<&str> = v.lines().collect();
        assert_eq!(lines.len(), 2, "{v}");
        assert!(
            lines[0].contains("\"200001\"") && lines[0].contains("\"750.00\""),
            "{v}"
        );
        assert!(
            lines[1].contains("\"200002\"") && lines[1].contains("\"600.00\""),
            "{v}"
        );
        // Another unit is refused, never read at the wrong scale.
        Test::new()
            .arg("batch")
            .stdin(file.replace(",6000,次,", ",0.6,GB,"))
            .status(1)
            .stderr_has("the usage unit is 'GB'")
            .run();
        // A row of another product (the whole bill's details) is no OCR
        // usage: left out and told, with its product, by batch and ledger,
        // the OCR rows billed as before; its own unit (核) is never read.
        let cvm = format!(
            "{file}2026-06,100001,200001,200001,云服务器,云服务器-标准型S5,按量计费,CPU,CPU-标准型S5,0.1,4,核,2026-06-01 00:00:00,0.40\n"
        );
        let told = "1 row of other products (云服务器) is not OCR usage: left out";
        let with = Test::new()
            .args(&["batch", "--group-by", "account,month", "-f", "json"])
            .stdin(cvm.clone())
            .stderr_has(told)
            .run()
            .stdout;
        assert_eq!(with, v);
        Test::new()
            .args(&["ledger", "-", "-f", "csv"])
            .stdin(cvm)
            .stderr_has(told)
            .stdout_has("\n200001,2026-06,idcard,6000,1000,0,5000,0.15,750.00,")
            .run();
        // A pack bought (计费模式 包年包月, its size in 次) is no usage either:
        // left out and told, never billed as 10,000 calls.
        let pack = format!(
            "{file}2026-06,100001,200001,200001,文字识别,文字识别-卡证,包年包月,卡证识别,身份证识别,0.15,10000,次,2026-06-01 00:00:00,800.00\n"
        );
        let told = "1 row of prepaid purchases (包年包月) is not usage: left out (give the packs \
                    bought with --packs)";
        let with = Test::new()
            .args(&["batch", "--group-by", "account,month", "-f", "json"])
            .stdin(pack.clone())
            .stderr_has(told)
            .run()
            .stdout;
        assert_eq!(with, v);
        let rows = Test::new()
            .arg("batch")
            .stdin(pack.clone())
            .stderr_has(told)
            .stderr_has("2 rows written, total 1350.00")
            .run()
            .stdout;
        assert!(!rows.contains("800.00"), "{rows}");
        Test::new()
            .args(&["ledger", "-", "-f", "csv"])
            .stdin(pack)
            .stderr_has(told)
            .stdout_has("\n200001,2026-06,idcard,6000,1000,0,5000,0.15,750.00,")
            .run();
    }
    // An order list's packs are prepaid purchases, and are read as packs:
    // its billing mode leaves out only usage rows.
    let (_dir, p) = crate::files(&[
        ("u.csv", "month,api,calls\n2026-01,bankcard,2500\n"),
        (
            "orders.csv",
            "购买时间,产品名称,计费模式,资源包名称,规格,数量,实付金额\n\
             2026-01-05,文字识别,包年包月,银行卡识别,1000,1,84.00\n",
        ),
    ]);
    Test::new()
        .args(&["ledger", &p[0], "--packs", &p[1], "-f", "csv"])
        .stdout_has("\n2026-01,bankcard,2500,1000,1000,500,0.15,75.00,84.00,")
        .run();
    // Without the bill's month, a row's month is its usage start, never its
    // deduction time (扣费时间), which is in the month after.
    for header in [
        "扣费时间,开始使用时间,结束使用时间,组件名称,组件用量,组件用量单位\n",
        "Deduction Time,Usage Start Time,Usage End Time,Component Name,Component Usage,Component Usage Unit\n",
    ] {
        Test::new()
            .args(&["ledger", "-", "-f", "csv"])
            .stdin(format!(
                "{header}2026-02-01 10:00:00,2026-01-01 00:00:00,2026-01-31 23:59:59,身份证识别,9000,次\n"
            ))
            .stdout_has("\n2026-01,idcard,9000,1000,0,8000,0.15,1200.00,")
            .run();
    }
    // A product column of which no row is OCR's is no Tencent Cloud product
    // (a reseller's own products): refused, never a bill of nothing.
    let own =
        "客户,月份,产品名称,接口,调用量\nA,2026-01,App A,idcard,9000\nB,2026-01,App B,idcard,500\n";
    for command in [&["batch"][..], &["ledger", "-"]] {
        let err = Test::new().args(command).stdin(own).status(1).run().stderr;
        assert!(
            err.contains("no row is OCR's (文字识别)") && err.contains("(App A, App B)"),
            "{command:?}: {err}"
        );
    }
}

/// A table whose months are columns (a spreadsheet's pivot table) has no
/// month or calls column: `batch` without `--group-by` refuses it, saying
/// that the months are columns and how to turn them into rows, and so do
/// `ledger`, `plan` and `batch --group-by` when the columns do not name their
/// year.
#[test]
fn a_table_with_months_as_columns_is_refused_saying_so() {
    for (file, months, readers) in [
        (
            "接口,2026-01,2026-02,2026-03,2026-04\n身份证识别,9000,12000,500,1\n",
            "(2026-01, 2026-02, 2026-03 and 1 more)",
            false,
        ),
        (
            "账号,接口,1月,2月\n1001,idcard,9000,12000\n",
            "(1月, 2月)",
            true,
        ),
        (
            "account,api,Jan,Feb\n1,idcard,9000,12000\n",
            "(Jan, Feb)",
            true,
        ),
    ] {
        let refusing: &[&[&str]] = if readers {
            &[&["batch"], &["ledger", "-"], &["plan", "-"]]
        } else {
            &[&["batch"]]
        };
        for &args in refusing {
            Test::new()
                .args(args)
                .stdin(file)
                .status(1)
                .stderr_has(&format!("the months are columns here {months}"))
                .stderr_has("逆透视列")
                .run();
        }
    }
    // One column named like a month is no pivot: the usual advice.
    Test::new()
        .arg("batch")
        .stdin("api,2026-01\nidcard,5\n")
        .status(1)
        .stderr_has("--calls-column")
        .run();
}

/// `ledger`, `plan` and `batch --group-by` read a table whose months are
/// columns named with their year as the rows it stands for: a row for each month's cell that holds
/// calls (an empty cell is no usage), per account, its totals row and totals
/// column left out, a bad cell named by its line and column.
#[test]
fn ledger_plan_and_grouped_batch_read_months_as_columns() {
    let pivot = "账号,接口,2026-01,2026-02,2026-03,合计\n\
                 1001,身份证识别,9000,12000,,21000\n\
                 1001,bankcard,100,,300,400\n\
                 1002,idcard,500,20000,1,20501\n\
                 合计,,9600,32000,301,41901\n";
    let rows = "账号,月份,接口,调用量\n\
                1001,2026-01,身份证识别,9000\n1001,2026-02,身份证识别,12000\n\
                1001,2026-01,bankcard,100\n1001,2026-03,bankcard,300\n\
                1002,2026-01,idcard,500\n1002,2026-02,idcard,20000\n1002,2026-03,idcard,1\n";
    for args in [
        &["ledger", "-", "-f", "json"][..],
        &["plan", "-", "-f", "json"],
        &["batch", "--group-by", "账号,month"],
        &["batch", "--group-by", "account", "-f", "json"],
    ] {
        let from_pivot = Test::new().args(args).stdin(pivot).run();
        assert!(
            from_pivot.stderr.contains("totals row"),
            "{}",
            from_pivot.stderr
        );
        let from_rows = Test::new().args(args).stdin(rows).run();
        // (`batch` names the months' column as the file does: `month` for a
        // pivot's.)
        let body = |out: &str| match args[0] {
            "batch" => out.replace("账号,month,", "账号,月份,"),
            _ => out.to_string(),
        };
        assert_eq!(body(&from_pivot.stdout), from_rows.stdout, "{args:?}");
    }
    // `batch --group-by` names the months' column `month`: each cell a group's
    // month (its rows, the cells summed).
    Test::new()
        .args(&["batch", "--group-by", "account,month"])
        .stdin(pivot)
        .stdout_has("账号,month,api,calls,rows,")
        .stdout_has("1001,2026-02,idcard,12000,1,1000,11000,3,0.10,1100.00")
        .stdout_has("1002,2026-03,idcard,1,1,1,0,1,,0.00")
        .stderr_has("total 4200.00 CNY")
        .run();
    let v = Test::new()
        .args(&["ledger", "-", "--account", "1001"])
        .stdin(pivot)
        .json();
    // 1,200.00 in January (and 0.00 for the 100 bank card calls), 1,100.00 in
    // February, 0.00 in March.
    let bills: Vec<&str> = v["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["bill"].as_str().unwrap())
        .collect();
    assert_eq!(bills, ["1200.00", "1100.00", "0.00"], "{v}");
    for args in [&["ledger", "-"][..], &["batch", "--group-by", "month"]] {
        Test::new()
            .args(args)
            .stdin("接口,2026-01,2026-02\nidcard,9000,9k?\nidcard,1,2\n")
            .status(1)
            .stderr_has("line 2: column 2026-02: invalid call count '9k?'")
            .run();
    }
    // Skipped, the row is left out whole: none of its months summed.
    Test::new()
        .args(&["batch", "--group-by", "month", "--skip-invalid"])
        .stdin("接口,2026-01,2026-02\nidcard,9000,9k?\nidcard,1,2\n")
        .status(3)
        .stdout("month,api,calls,rows,free_calls,billable_calls,tier,unit_price,amount,cliff_calls,cliff_amount\n\
                 2026-01,idcard,1,1,1,0,1,,0.00,,\n2026-02,idcard,2,1,2,0,1,,0.00,,\n")
        .run();
    // A month or calls column beside month columns: no such table.
    Test::new()
        .args(&["ledger", "-"])
        .stdin("月份,接口,2026-01,2026-02\n2026-01,idcard,1,2\n")
        .status(1)
        .stderr_has("no 'calls' column")
        .run();
    // A count under a column that names no month (a typo, a month without its
    // year) is refused, never left out; a column of notes is not read.
    for args in [&["ledger", "-"][..], &["batch", "--group-by", "month"]] {
        Test::new()
            .args(args)
            .stdin("接口,2026-01,2026-02,2026-13,备注\nidcard,1,2,3,x\n")
            .status(1)
            .stderr_has("line 2: column '2026-13' holds a count but names no month with its year")
            .run();
    }
    let noted = Test::new()
        .args(&["ledger", "-"])
        .stdin("接口,2026-01,2026-02,备注\nidcard,9000,12000,估算\n")
        .json();
    assert_eq!(noted["months"][1]["bill"], "1100.00", "{noted}");
    // A row whose cell says it is a totals row is left out whole, none of
    // its months billed, and said so.
    let out = Test::new()
        .args(&["ledger", "-", "-f", "csv"])
        .stdin("接口,2026-01,2026-02\nidcard,9000,合计\nidcard,1,2\n")
        .run();
    assert!(
        out.stderr.contains("line 2 is a totals row"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("2026-01,idcard,1,1,"), "{}", out.stdout);
    Test::new()
        .args(&["batch", "--group-by", "month"])
        .stdin("接口,2026-01,2026-02,备注\nidcard,9000,12000,合计\nidcard,1,2,\n")
        .stdout_has("2026-01,idcard,1,1,1,0")
        .stderr_has("line 2 is a totals row")
        .run();
}

/// The other pivot table: months down, APIs across (`月份,身份证识别,银行卡识别`),
/// each API's column named as the price list names it; a column of counts
/// that names no API is refused.
#[test]
fn ledger_plan_and_grouped_batch_read_apis_as_columns() {
    let pivot = "月份,身份证识别,bankcard,合计\n\
                 2026-01,9000,100,9100\n2026-02,12000,,12000\n2026-03,,300,300\n\
                 合计,21000,400,21400\n";
    let rows = "月份,接口,调用量\n\
                2026-01,身份证识别,9000\n2026-01,bankcard,100\n\
                2026-02,身份证识别,12000\n2026-03,bankcard,300\n";
    for args in [
        &["ledger", "-", "-f", "json"][..],
        &["plan", "-", "-f", "json"],
        &["batch", "--group-by", "month"],
    ] {
        let from_pivot = Test::new().args(args).stdin(pivot).run().stdout;
        let from_rows = Test::new().args(args).stdin(rows).run().stdout;
        assert_eq!(from_pivot, from_rows, "{args:?}");
    }
    let accounts = Test::new()
        .args(&["ledger", "-", "--account", "1002"])
        .stdin("账号,月份,idcard\n1001,2026-01,9000\n1002,2026-01,12000\n")
        .json();
    assert_eq!(accounts["months"][0]["bill"], "1100.00", "{accounts}");
    Test::new()
        .args(&["ledger", "-"])
        .stdin("月份,身份证识别,身份证识\n2026-01,9000,100\n")
        .status(1)
        .stderr_has("column '身份证识' holds a count but names no API of the price list")
        .run();
    // `batch` without --group-by writes a bill per input row: refused,
    // saying so and what reads it.
    Test::new()
        .arg("batch")
        .stdin(pivot)
        .status(1)
        .stderr_has("the APIs are columns here (身份证识别, bankcard)")
        .stderr_has("`batch --group-by` read such a table")
        .run();
}

/// A workbook's pivot table whose month headers are date cells (the first of
/// each month, shown as a month) is read as the months they fall in.
#[test]
fn a_workbook_pivot_with_date_cells_for_months_is_read() {
    use Cell::{Date, Number, Text};
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("pivot.xlsx");
    workbook(
        &book,
        &[(
            "用量",
            &[
                &[
                    Text("接口"),
                    Date(2026, 1, 1),
                    Date(2026, 2, 1),
                    Text("合计"),
                ],
                &[
                    Text("身份证识别"),
                    Number(9000.0),
                    Number(12000.0),
                    Number(21000.0),
                ],
            ],
        )],
    );
    let v = Test::new().args(&["ledger", book.to_str().unwrap()]).json();
    let months: Vec<(&str, &str)> = v["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["month"].as_str().unwrap(), m["bill"].as_str().unwrap()))
        .collect();
    assert_eq!(
        months,
        [("2026-01", "1200.00"), ("2026-02", "1100.00")],
        "{v}"
    );
}

/// An API written with another of its names in brackets, as a console or a
/// report may write it, is that API; brackets naming another API, or no API,
/// are refused.
#[test]
fn an_api_with_another_of_its_names_in_brackets_is_that_api() {
    for name in [
        "身份证识别（IDCardOCR）",
        "IDCardOCR (身份证识别)",
        "身份证识别(idcard)",
    ] {
        Test::new()
            .arg("batch")
            .stdin(format!("api,calls\n{name},9000\n"))
            .stdout_has(",9000,1000,8000,2,0.15,1200.00,")
            .run();
    }
    for name in [
        "身份证识别（银行卡识别）",
        "身份证识别（高精度版）",
        "idcard()",
    ] {
        Test::new()
            .args(&["postpaid", "--api", name, "--calls", "9000"])
            .status(1)
            .stderr_has(&format!("unknown API '{name}'"))
            .run();
    }
    // A page's own name with brackets is that name (edition c).
    Test::new()
        .args(&[
            "--edition",
            "c",
            "postpaid",
            "--api",
            "通用印刷体识别（高精度版）（GeneralAccurateOCR）",
            "--calls",
            "9000",
        ])
        .stdout_has("4,000.00")
        .run();
}

/// One of each is said as one: a day-dated row among rows of its month, a
/// skipped row, a row written, a group of one row.
#[test]
fn counts_of_one_row_are_said_in_the_singular() {
    Test::new()
        .arg("batch")
        .stdin("account,month,api,calls\nA,2026-01,idcard,\"9,000\"\nA,2026-01-05,idcard,100\n")
        .stderr_has("warning: 2 rows share their account, month and billing item with another row (1 row is dated by day, not by month)")
        .stderr_has(": 2 rows written, total 1200.00 CNY")
        .run();
    Test::new()
        .args(&["batch", "--skip-invalid"])
        .stdin("account,month,api,calls\nA,2026-01,idcard,x\nA,2026-02,idcard,5\n")
        .status(3)
        .stderr_has("skipped 1 of 2 rows of ")
        .stderr_has("; 1 row written, total 0.00 CNY")
        .run();
    // A group of one row that reaches a tier without a list price.
    Test::new()
        .args(&["batch", "--group-by", "account,month"])
        .stdin("account,month,api,calls\nA,2026-01,general,99000000\n")
        .status(1)
        .stderr_has("group account=A, month=2026-01 (1 row): general: 99000000 calls")
        .run();
}

/// A workbook's merged cells (合并单元格) of the account, month and API columns
/// stand for every row they span, as the sheet shows them; a count merged
/// over rows is no row's count, so its other rows are still refused, and so
/// is a CSV's empty cell, where a merged cell left no trace.
#[test]
fn a_workbooks_merged_account_month_and_api_cells_stand_for_each_row() {
    let dir = tempfile::tempdir().unwrap();
    let merged = dir.path().join("merged.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let plain = rust_xlsxwriter::Format::new();
    // A title merged across the columns, then the header.
    sheet
        .merge_range(0, 0, 0, 3, "OCR 调用量统计", &plain)
        .unwrap();
    for (c, name) in ["账号", "月份", "接口", "调用量"].iter().enumerate() {
        sheet.write_string(1, c as u16, *name).unwrap();
    }
    // Account 1001 (a number cell) over three rows, January over two of them;
    // acme over two rows of one month and one API.
    sheet.merge_range(2, 0, 4, 0, "", &plain).unwrap();
    sheet.write_number(2, 0, 1001).unwrap();
    sheet.merge_range(2, 1, 3, 1, "2026-01", &plain).unwrap();
    sheet.write_string(4, 1, "2026-02").unwrap();
    sheet.merge_range(5, 0, 6, 0, "acme", &plain).unwrap();
    sheet.merge_range(5, 1, 6, 1, "2026-01", &plain).unwrap();
    sheet.merge_range(5, 2, 6, 2, "身份证识别", &plain).unwrap();
    for (r, api, calls) in [
        (2, Some("身份证识别"), 5000),
        (3, Some("通用印刷体识别"), 3000),
        (4, Some("身份证识别"), 4000),
        (5, None, 6000),
        (6, None, 3000),
    ] {
        if let Some(api) = api {
            sheet.write_string(r, 2, api).unwrap();
        }
        sheet.write_number(r, 3, calls).unwrap();
    }
    book.save(&merged).unwrap();
    let path = merged.to_string_lossy().into_owned();
    let rows = Test::new().args(&["batch", &path]).run().stdout;
    let want = [
        "1001,2026-01,身份证识别,5000,",
        "1001,2026-01,通用印刷体识别,3000,",
        "1001,2026-02,身份证识别,4000,",
        "acme,2026-01,身份证识别,6000,",
        "acme,2026-01,身份证识别,3000,",
    ];
    for (line, want) in rows.lines().skip(1).zip(want) {
        assert!(line.starts_with(want), "{line}: {rows}");
    }
    assert_eq!(rows.lines().count(), 6, "{rows}");
    // acme's January is one month of 9,000 calls: 1,200.00.
    let ledger = Test::new().args(&["ledger", &path]).json();
    let acme = &ledger["accounts"][1];
    assert_eq!(acme["account"], "acme");
    assert_eq!(acme["months"][0]["bill"], "1200.00", "{acme}");
    assert_eq!(ledger["totals"]["paid_postpaid"], "2550.00");
    // A count merged over two rows: the second row has none.
    let calls = dir.path().join("calls.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, name) in ["账号", "月份", "接口", "调用量"].iter().enumerate() {
        sheet.write_string(0, c as u16, *name).unwrap();
    }
    for r in 1..=2 {
        sheet.write_string(r, 0, "1001").unwrap();
        sheet.write_string(r, 1, "2026-01").unwrap();
    }
    sheet.write_string(1, 2, "身份证识别").unwrap();
    sheet.write_string(2, 2, "通用印刷体识别").unwrap();
    sheet.merge_range(1, 3, 2, 3, "", &plain).unwrap();
    sheet.write_number(1, 3, 9000).unwrap();
    book.save(&calls).unwrap();
    let err = Test::new()
        .args(&["batch", &calls.to_string_lossy()])
        .status(1)
        .run()
        .stderr;
    assert!(err.contains("Sheet1!D3") || err.contains("line 3"), "{err}");
    assert!(err.contains("invalid call count ''"), "{err}");
}

/// A usage file compressed with gzip, or the one file of a zip archive (a
/// bill's details as a billing center downloads them), is read as it
/// decompresses, by every reader, from a file or stdin; so are the parts of
/// one export in a zip archive, as one file; an archive of files that begin
/// otherwise is refused, naming them, and a damaged one is an error.
#[test]
fn a_gzip_file_or_a_zip_archive_is_read_as_it_decompresses() {
    use std::io::Write;
    let (gbk, _, _) = encoding_rs::GBK
        .encode("账号,月份,接口,调用量\n1001,2026-01,身份证,5000\n1001,2026-01,身份证,4000\n");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&gbk).unwrap();
    let gz = gz.finish().unwrap();
    let zipped = |files: &[(&str, &[u8])]| {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, bytes) in files {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap().into_inner()
    };
    let one = zipped(&[("账单/usage.csv", &gbk)]);
    let (february, _, _) =
        encoding_rs::GBK.encode("账号,月份,接口,调用量\n1001,2026-02,身份证,3000\n");
    let two = zipped(&[("part1.csv", &gbk), ("part2.csv", &february)]);
    let other = zipped(&[("a.csv", &gbk), ("b.csv", b"api,calls\nidcard,5\n")]);
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (name, bytes) in [
        ("usage.csv", &gbk[..]),
        ("usage.csv.gz", &gz[..]),
        ("bill.zip", &one[..]),
        ("other.zip", &other[..]),
        ("cut.gz", &gz[..gz.len() - 8]),
        ("two.zip", &two[..]),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        paths.push(path.to_string_lossy().into_owned());
    }
    for args in [
        vec!["batch"],
        vec!["batch", "--group-by", "account,month"],
        vec!["ledger", "-f", "csv"],
        vec!["plan", "-f", "csv"],
    ] {
        let plain = Test::new().args(&args).arg(&paths[0]).run().stdout;
        assert!(plain.lines().count() > 1, "{args:?}: {plain}");
        for (path, bytes) in [(&paths[1], &gz), (&paths[2], &one)] {
            let from_file = Test::new().args(&args).arg(path).run().stdout;
            assert_eq!(from_file, plain, "{args:?} {path}");
            let mut piped = args.clone();
            piped.push("-");
            if args[0] != "batch" {
                piped.insert(piped.len() - 1, "--usage");
            }
            let from_stdin = Test::new().args(&piped).stdin(bytes.clone()).run().stdout;
            assert_eq!(from_stdin, plain, "{args:?} stdin of {path}");
        }
    }
    // January is one month of 9,000 calls.
    Test::new()
        .args(&["batch", "--group-by", "account,month", &paths[2]])
        .stdout_has("1001,2026-01,idcard,9000,2,1000,8000,2,0.15,1200.00,")
        .run();
    // The parts of one export: January's 9,000 calls and February's 3,000.
    for args in [
        vec!["batch", "--group-by", "account,month"],
        vec!["ledger", "-f", "csv", "--usage"],
    ] {
        let out = Test::new().args(&args).arg(&paths[5]).run().stdout;
        assert!(out.contains("2026-01,idcard,9000,"), "{args:?}: {out}");
        assert!(out.contains("2026-02,idcard,3000,"), "{args:?}: {out}");
    }
    let err = Test::new().args(&["batch", &paths[3]]).fails(1);
    assert!(
        err.contains("zip archive of 2 files (a.csv, b.csv), whose first lines differ"),
        "{err}"
    );
    // Parts saved in other encodings (one by Excel as GBK, one in UTF-8):
    // each read as what it is, as files named one after another are, so
    // that 张三 is one account: 11,000 calls in January, at 0.10.
    let (gbk_part, _, _) =
        encoding_rs::GBK.encode("账号,月份,接口,调用量\n张三,2026-01,身份证,6000\n");
    let utf8_part = "账号,月份,接口,调用量\n张三,2026-01,身份证,5000\n".as_bytes();
    // Excel's "Unicode text": UTF-16 with a byte-order mark, tab-separated.
    let unicode_text = |text: &str| {
        let units = text.replace(',', "\t").encode_utf16().collect::<Vec<u16>>();
        std::iter::once(0xFEFF_u16)
            .chain(units)
            .flat_map(u16::to_le_bytes)
            .collect::<Vec<u8>>()
    };
    let utf16_parts = [
        unicode_text("账号,月份,接口,调用量\r\n张三,2026-01,身份证,6000\r\n"),
        unicode_text("账号,月份,接口,调用量\r\n张三,2026-01,身份证,5000\r\n"),
    ];
    for (name, parts) in [
        ("mixed.zip", [&gbk_part[..], utf8_part]),
        ("mixed2.zip", [utf8_part, &gbk_part[..]]),
        ("unicode.zip", [&utf16_parts[0][..], &utf16_parts[1][..]]),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, zipped(&[("a.csv", parts[0]), ("b.csv", parts[1])])).unwrap();
        let out = Test::new()
            .args(&["batch", "--group-by", "account,month"])
            .arg(&path)
            .run()
            .stdout;
        assert_eq!(out.lines().count(), 2, "{name}: {out}");
        assert!(
            out.contains("张三,2026-01,idcard,11000,2,1000,10000,3,0.10,1000.00,"),
            "{name}: {out}"
        );
    }
    // Parts that begin with Excel's `sep=;` line, or a title above the
    // header: the later parts' headers are read past as repeated headers.
    for first in [
        "sep=;\naccount;month;api;calls\n",
        "OCR 用量,,,\naccount,month,api,calls\n",
    ] {
        let row = |calls: u32| match first.starts_with("sep") {
            true => format!("{first}A;2026-01;idcard;{calls}\n"),
            false => format!("{first}A,2026-01,idcard,{calls}\n"),
        };
        let parts = zipped(&[
            ("p1.csv", row(5000).as_bytes()),
            ("p2.csv", row(4000).as_bytes()),
        ]);
        let path = dir.path().join("parts.zip");
        std::fs::write(&path, parts).unwrap();
        Test::new()
            .args(&["batch", "--group-by", "account,month"])
            .arg(&path)
            .stdout_has("A,2026-01,idcard,9000,2,1000,8000,2,0.15,1200.00,")
            .run();
    }
    // An error names the part and its line there (the second part's line 2,
    // the stream's line 5 after a first part of 3 lines), from a file or
    // stdin, and so does a line it names besides its own.
    let bad = |second: &str| {
        let part2 = encoding_rs::GBK.encode(second).0;
        let path = dir.path().join("bad.zip");
        std::fs::write(&path, zipped(&[("part1.csv", &gbk), ("part2.csv", &part2)])).unwrap();
        path
    };
    let path = bad("账号,月份,接口,调用量\n1001,2026-02,身份证,-5\n");
    for args in [vec!["batch"], vec!["ledger", "--usage"]] {
        let err = Test::new().args(&args).arg(&path).status(1).run().stderr;
        assert!(
            err.contains("part2.csv in ") && err.contains("bad.zip: line 2: "),
            "{args:?}: {err}"
        );
    }
    let err = Test::new()
        .args(&["batch", "--skip-invalid"])
        .stdin(std::fs::read(&path).unwrap())
        .status(3)
        .run()
        .stderr;
    assert!(
        err.contains("skipped line 2 of part2.csv in stdin: "),
        "{err}"
    );
    // A stray quote on the part's line 2 that closes on its line 3.
    let path = bad("账号,月份,接口,调用量\n1001,2026-02,\"身份证,5\n1001,2026-03,身份证\",5\n");
    for args in [vec!["batch"], vec!["ledger", "--usage"]] {
        let err = Test::new().args(&args).arg(&path).status(1).run().stderr;
        assert!(
            err.contains("bad.zip: line 2: ") && err.contains("it closes on line 3,"),
            "{args:?}: {err}"
        );
    }
    // A row without an account in the second part, where the first part's
    // line 2 names one.
    let path = bad("账号,月份,接口,调用量\n,2026-02,身份证,5\n");
    for args in [
        vec!["batch", "--group-by", "account,month"],
        vec!["ledger", "--usage"],
    ] {
        let err = Test::new().args(&args).arg(&path).status(1).run().stderr;
        assert!(
            err.contains("part2.csv in ")
                && err.contains(
                    "bad.zip: line 2: this row has no account, while line 2 of \
                                 part1.csv in "
                )
                && err.contains("bad.zip names '1001'"),
            "{args:?}: {err}"
        );
    }
    let err = Test::new().args(&["batch", &paths[4]]).fails(1);
    assert!(
        err.contains("gzip-compressed input cannot be read"),
        "{err}"
    );
    // A zipped file of UTF-16 text (Excel's Unicode text) is decoded before its
    // line ends are read: its CRLFs are line ends, and 不 (U+4E0D, bytes
    // `0D 4E`) stays itself.
    let mut utf16 = vec![0xFF, 0xFE];
    let text =
        "账号\t月份\t接口\t调用量\r\n不A\t2026-01\t身份证\t9000\r\nB\t2026-01\t身份证\t9x\r\n";
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let ran = Test::new()
        .arg("batch")
        .stdin(zipped(&[("unicode.txt", &utf16)]))
        .status(1)
        .run();
    assert!(
        ran.stdout.contains("\n不A,2026-01,身份证,9000,1000,8000,"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stderr
            .contains("stdin: line 3: invalid call count '9x'"),
        "{}",
        ran.stderr
    );
}

/// A pipe named as a file (`<(zcat usage.csv.gz)`, `/dev/stdin`) is read
/// once, as it comes, as stdin is: compressed or not, and several of them
/// joined by `batch` (each header checked when it is reached).
#[cfg(unix)]
#[test]
fn pipes_named_as_files_are_read_once_as_they_come() {
    use std::io::Write;
    let csv = "account,month,api,calls\n1001,2026-01,idcard,9000\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(csv.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    for bytes in [csv.as_bytes().to_vec(), gz] {
        Test::new()
            .args(&["batch", "/dev/stdin"])
            .stdin(bytes)
            .stdout_has("1001,2026-01,idcard,9000,1000,8000,2,0.15,1200.00,")
            .run();
    }
    // Two named pipes, each written by a thread of its own.
    let dir = tempfile::tempdir().unwrap();
    let mut writers = Vec::new();
    let mut paths = Vec::new();
    for (i, rows) in ["1001,2026-01,idcard,4000\n", "1001,2026-01,idcard,5000\n"]
        .iter()
        .enumerate()
    {
        let path = dir.path().join(format!("pipe{i}"));
        let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let text = format!("account,month,api,calls\n{rows}");
        let writer_path = path.clone();
        writers.push(std::thread::spawn(move || {
            // (Opening blocks until the reader opens the pipe.)
            let mut pipe = std::fs::OpenOptions::new()
                .write(true)
                .open(writer_path)
                .unwrap();
            pipe.write_all(text.as_bytes()).unwrap();
        }));
        paths.push(path.to_string_lossy().into_owned());
    }
    // (Were a pipe opened twice, the second open would wait for a writer
    // forever: the run is cut off and fails instead.)
    Test::new()
        .args(&["batch", "--group-by", "account,month", &paths[0], &paths[1]])
        .timeout(std::time::Duration::from_secs(60))
        .stdout_has("1001,2026-01,idcard,9000,2,1000,8000,2,0.15,1200.00,")
        .run();
    for writer in writers {
        writer.join().unwrap();
    }
    // A folder among the files is still refused before anything is written.
    let (_f, file) = files(&[("usage.csv", csv)]);
    let ran = Test::new()
        .args(&["batch", &file[0], dir.path().to_str().unwrap()])
        .status(1)
        .run();
    assert!(ran.stdout.is_empty(), "{}", ran.stdout);
    assert!(
        ran.stderr.contains("cannot read usage file"),
        "{}",
        ran.stderr
    );
}
