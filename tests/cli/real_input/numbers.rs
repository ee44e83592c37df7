//! Quotes, counts, prices and money as spreadsheets write them: a stray quote,
//! `9,00`, a comma that is a decimal mark, an overflow, a unit of thousands.

use super::usage;
use crate::files;
use crate::test::Test;

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
