use std::io::Write;
use std::process::{Command, Stdio};

use crate::files;
use crate::test::Test;

/// Runs `batch` with `input` on stdin; returns (exit code, stdout, stderr).
fn batch(args: &[&str], input: &str) -> (i32, String, String) {
    let out = Test::new()
        .arg("batch")
        .args(args)
        .stdin(input.as_bytes().to_vec())
        .output();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn rows(csv_text: &str) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv_text.as_bytes());
    r.records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

const USAGE: &str = "account,month,api,calls,note\n\
A,2026-01,idcard,9000,first\n\
A,2026-01,general,90000,\"quoted, with comma\"\n\
B,2026-02,vat-invoice,900,x\n";

#[test]
fn columns_pass_through_and_bills_are_appended() {
    let (code, out, err) = batch(&[], USAGE);
    assert_eq!(code, 0, "{err}");
    let r = rows(&out);
    assert_eq!(
        r[0],
        [
            "account",
            "month",
            "api",
            "calls",
            "note",
            "free_calls",
            "billable_calls",
            "tier",
            "unit_price",
            "amount",
            "cliff_calls",
            "cliff_amount"
        ]
    );
    assert_eq!(r[1][..5], ["A", "2026-01", "idcard", "9000", "first"]);
    assert_eq!(r[1][5..10], ["1000", "8000", "2", "0.15", "1200.00"]);
    assert_eq!(r[1][10..], ["10001", "900.10"]);
    assert_eq!(r[2][4], "quoted, with comma");
    assert_eq!(r[2][9], "8900.00");
    assert_eq!(r[3][8], "");
    assert_eq!(r[3][9], "0.00");
    // The quoted field is written back as it was read.
    assert!(out.contains("\"quoted, with comma\""), "{out}");
}

#[test]
fn batch_agrees_with_postpaid_row_by_row() {
    let cases = [
        ("idcard", "900"),
        ("license", "9000"),
        ("general", "90000"),
        ("bankcard", "900000"),
        ("vat-invoice", "10001"),
        ("plate", "10000"),
        ("handwriting", "100001"),
    ];
    let mut input = String::from("api,calls\n");
    for (api, calls) in cases {
        input.push_str(&format!("{api},{calls}\n"));
    }
    let (code, out, _) = batch(&[], &input);
    assert_eq!(code, 0);
    for (row, (api, calls)) in rows(&out)[1..].iter().zip(cases) {
        let v = Test::new()
            .args(&["postpaid", "--api", api, "--calls", calls])
            .json();
        assert_eq!(row[6], v["amount"].as_str().unwrap(), "{api} {calls}");
    }
}

#[test]
fn grouping_sums_daily_rows_into_one_month() {
    let input = "account,day,month,api,calls\n\
A,01,2026-01,idcard,6000\n\
B,01,2026-01,idcard,500\n\
A,02,2026-01,身份证,6000\n\
A,01,2026-02,idcard,6000\n";
    let (code, out, err) = batch(&["--group-by", "account,month"], input);
    assert_eq!(code, 0, "{err}");
    let r = rows(&out);
    assert_eq!(r[0][..5], ["account", "month", "api", "calls", "rows"]);
    // Two daily rows of 6,000 are one 12,000-call month at 0.10, not two at 0.15.
    assert_eq!(r[1][..5], ["A", "2026-01", "idcard", "12000", "2"]);
    assert_eq!(r[1][8], "0.10");
    assert_eq!(r[1][9], "1100.00");
    assert_eq!(r[2][..5], ["B", "2026-01", "idcard", "500", "1"]);
    assert_eq!(r[3][..5], ["A", "2026-02", "idcard", "6000", "1"]);
    assert_eq!(r[3][9], "750.00");
    assert_eq!(r.len(), 4);
}

/// Group values of any length (a key's length is kept in one byte below 255,
/// in five past it): accounts alike for their first 300 bytes stay apart,
/// and each keeps its own sum.
#[test]
fn grouping_keeps_long_values_apart() {
    let long = "x".repeat(300);
    let input = format!(
        "account,api,calls\n{long}a,idcard,6000\n{long}b,idcard,500\n{long}a,idcard,6000\n\
         short,idcard,7\n{long}b,idcard,1\n"
    );
    let (code, out, err) = batch(&["--group-by", "account"], &input);
    assert_eq!(code, 0, "{err}");
    let r = rows(&out);
    assert_eq!(
        r[1][..4],
        [format!("{long}a").as_str(), "idcard", "12000", "2"]
    );
    assert_eq!(
        r[2][..4],
        [format!("{long}b").as_str(), "idcard", "501", "2"]
    );
    assert_eq!(r[3][..4], ["short", "idcard", "7", "1"]);
    assert_eq!(r.len(), 4);
}

/// An unknown name on row after row (a file billed with the wrong edition) is
/// refused alike on each, the known names between them billed.
#[test]
fn an_unknown_name_is_refused_on_every_row_it_is_on() {
    let input = "api,calls\nidcrad,5\nidcard,9000\nidcrad,6\n名片,7\nidcrad,8\n";
    let (code, out, err) = batch(&["--skip-invalid"], input);
    assert_eq!(code, 3, "{err}");
    assert_eq!(rows(&out).len(), 3, "{out}");
    for line in [2, 4, 6] {
        assert!(
            err.contains(&format!(
                "line {line}: unknown API 'idcrad'; did you mean 'idcard'?"
            )),
            "{err}"
        );
    }
}

#[test]
fn the_first_bad_row_stops_after_flushing_the_rows_before_it() {
    let input = "api,calls\nidcard,9000\nidcard,100\nidcrad,5\nidcard,7\n";
    let (code, out, err) = batch(&[], input);
    assert_eq!(code, 1);
    assert_eq!(rows(&out).len(), 3, "{out}");
    assert!(err.contains("line 4"), "{err}");
    assert!(err.contains("'idcrad'"), "{err}");
    assert!(err.contains("did you mean 'idcard'"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // The total row an export ends with is no usage: read past, and told.
    let (code, out, err) = batch(&[], "接口,调用量\n身份证,9000\n合计,9000\n");
    assert_eq!(code, 0, "{err}");
    assert_eq!(rows(&out).len(), 2, "{out}");
    assert!(err.contains("line 3 is a totals row (合计)"), "{err}");
    assert!(err.contains("total 1200.00 CNY"), "{err}");
    // On the command line a total is no API either.
    Test::new()
        .args(&["postpaid", "--api", "合计", "--calls", "9000"])
        .status(1)
        .stderr_has("unknown API '合计'; a total is not an API")
        .run();
}

#[test]
fn skip_invalid_reports_many_bad_rows_each_once_in_order_before_the_summary() {
    // 3,000 rows of as many unknown APIs, every other one between good rows:
    // their reports (about 600 KB, written a block at a time) all reach
    // stderr, in line order, each once, and the run's summary comes last.
    let mut input = String::from("account,month,api,calls\n");
    for i in 0..3000 {
        input.push_str(&format!(
            "a{i},2026-01,unknown{i},5\na{i},2026-01,idcard,9000\n"
        ));
    }
    let (code, out, err) = batch(&["--skip-invalid"], &input);
    assert_eq!(code, 3);
    assert_eq!(rows(&out).len(), 3001, "the header and 3,000 bills");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3001, "{}", &err[err.len() - 300..]);
    for (i, line) in lines[..3000].iter().enumerate() {
        let expected = format!("skipped line {}: unknown API 'unknown{i}'", 2 * i + 2);
        assert!(line.starts_with(&expected), "{line}");
    }
    assert!(
        lines[3000].contains("skipped 3000 of 6000 rows"),
        "{}",
        lines[3000]
    );
}

#[test]
fn skip_invalid_reports_every_bad_row_with_its_line_and_exits_3() {
    let input = "api,calls\n\
idcard,9000\n\
idcrad,5\n\
idcard,-3\n\
idcard,1.5\n\
idcard,abc\n\
idcard\n\
idcard,2000000\n\
\"multi\nline\",7\n\
license,9000\n";
    let (code, out, err) = batch(&["--skip-invalid"], input);
    assert_eq!(code, 3, "{err}");
    let r = rows(&out);
    assert_eq!(r.len(), 3);
    assert_eq!(r[2][0], "license");
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines[0].starts_with("skipped line 3: unknown API 'idcrad'"),
        "{err}"
    );
    assert!(
        lines[1].starts_with("skipped line 4: invalid call count '-3'"),
        "{err}"
    );
    assert!(
        lines[2].starts_with("skipped line 5: invalid call count '1.5'"),
        "{err}"
    );
    assert!(
        lines[3].starts_with("skipped line 6: invalid call count 'abc'"),
        "{err}"
    );
    assert!(
        lines[4].starts_with("skipped line 7: expected 2 fields as in the header, found 1"),
        "{err}"
    );
    assert!(
        lines[5].starts_with("skipped line 8: idcard: 2000000 calls reach the contact-sales tier"),
        "{err}"
    );
    // A quoted field across lines is a stray quote unless asked for: both its
    // lines are reported, and the row after them is billed.
    assert!(
        lines[6].starts_with(
            "skipped line 9: a quoted field opens on this line and does not close on it"
        ) && lines[6].contains("it closes on line 10"),
        "{err}"
    );
    assert!(
        lines[7].starts_with("skipped line 10: a quote inside unquoted field 1"),
        "{err}"
    );
    assert!(err.contains("skipped 8 of 10 rows"), "{err}");
    assert_eq!(r.len(), 3, "{out}");

    let (code, _, err) = batch(&["--skip-invalid", "--multiline-fields"], input);
    assert_eq!(code, 3);
    assert!(
        err.contains("skipped line 9: unknown API 'multi\\nline'"),
        "{err}"
    );
    assert!(err.contains("skipped 7 of 9 rows"), "{err}");
}

#[test]
fn each_kind_of_bad_row_stops_the_default_run_at_its_line() {
    for (bad, needle) in [
        ("idcrad,5", "unknown API"),
        ("idcard,-3", "negative"),
        ("idcard", "expected 2 fields"),
        ("idcard,2000000", "contact-sales"),
    ] {
        let input = format!("api,calls\nidcard,1\n{bad}\nidcard,2\n");
        let (code, out, err) = batch(&[], &input);
        assert_eq!(code, 1, "{bad}");
        assert_eq!(rows(&out).len(), 2, "{bad}: {out}");
        assert!(err.starts_with("error: stdin: line 3: "), "{bad}: {err}");
        assert!(err.contains(needle), "{bad}: {err}");
    }
}

#[test]
fn a_negotiated_price_bills_contact_sales_rows() {
    let (code, out, _) = batch(
        &["--negotiated-price", "0.04"],
        "api,calls\nidcard,2000000\n",
    );
    assert_eq!(code, 0);
    assert_eq!(rows(&out)[1][5], "0.04");
    assert_eq!(rows(&out)[1][6], "79960.00");
}

#[test]
fn crlf_bom_and_header_only_input() {
    let (code, out, err) = batch(
        &["--skip-invalid"],
        "\u{feff}api,calls\r\nidcard,9000\r\nidcrad,1\r\n",
    );
    assert_eq!(code, 3);
    assert!(out.starts_with("api,calls,free_calls"), "{out}");
    assert!(
        out.contains("idcard,9000,1000,8000,2,0.15,1200.00"),
        "{out}"
    );
    assert!(err.contains("line 3"), "{err}");
    let (code, out, _) = batch(&[], "api,calls\n");
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 1);
    let (code, out, _) = batch(&["--format", "json"], "api,calls\n");
    assert_eq!(code, 0);
    assert_eq!(out, "");
}

#[test]
fn unusable_input_is_refused() {
    let (code, _, err) = batch(&[], "");
    assert_eq!(code, 1);
    assert!(err.contains("empty"), "{err}");
    let (code, _, err) = batch(&[], "item,count\nidcard,5\n");
    assert_eq!(code, 1);
    assert!(err.contains("no 'api' column"), "{err}");
    // (`service` names the API where no API column is; `count` is no calls
    // column.)
    let (code, _, err) = batch(&[], "service,count\nidcard,5\n");
    assert_eq!(code, 1);
    assert!(err.contains("no 'calls' column"), "{err}");
    let (code, _, err) = batch(&["--group-by", "acct"], "api,calls\nidcard,5\n");
    assert_eq!(code, 1);
    assert!(err.contains("no 'acct' column"), "{err}");
    let (code, _, err) = batch(&[], "api,calls,amount\nidcard,5,1\n");
    assert_eq!(code, 1);
    assert!(err.contains("'amount' clashes"), "{err}");
    let (code, _, err) = batch(&["--format", "toml"], "api,calls\n");
    assert_eq!(code, 2);
    assert!(err.contains("`prices` only"), "{err}");
}

#[test]
fn a_table_for_people_once_every_row_is_billed() {
    let (code, out, err) = batch(
        &["--format", "table", "--width", "0"],
        "account,api,calls\nacme,idcard,9000\nbeta,bankcard,900000\n",
    );
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[1].contains("account") && lines[1].contains("cliff_amount"),
        "{out}"
    );
    // Thousands separators, numbers aligned right.
    assert!(out.contains("acme") && out.contains("1,200.00"), "{out}");
    assert!(
        out.contains("900,000") && out.contains("53,940.00"),
        "{out}"
    );
    assert!(err.contains("2 rows written, total 55140.00"), "{err}");
    // Counts and money have separators; an account's number, a month of
    // digits or another column of the input is shown as written.
    let (code, out, err) = batch(
        &["--format", "table", "--width", "0"],
        "账号,账期,接口,调用量,订单号\n100012345678,202601,idcard,12000,20260115001\n",
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("100012345678") && out.contains(" 202601 ") && out.contains("20260115001"),
        "{out}"
    );
    assert!(
        out.contains("12,000") && out.contains("11,000") && out.contains("1,100.00"),
        "{out}"
    );
    assert!(
        !out.contains("100,012") && !out.contains("202,601"),
        "{out}"
    );
    // A bad row stops the run before any table is drawn.
    let (code, out, err) = batch(&["--format", "table"], "api,calls\nidcard,9000\nidcrad,5\n");
    assert_eq!(code, 1);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("idcrad"), "{err}");
}

#[test]
fn configurable_column_names() {
    let (code, out, err) = batch(
        &["--api-column", "service", "--calls-column", "n"],
        "service,n\n身份证,9k\n",
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("身份证,9k,1000,8000,2,0.15,1200.00"), "{out}");
}

#[test]
fn json_lines_one_object_per_row() {
    let (code, out, _) = batch(&["--format", "json"], USAGE);
    assert_eq!(code, 0);
    let objects: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objects.len(), 3);
    assert_eq!(objects[0]["account"], "A");
    assert_eq!(objects[0]["calls"], 9000);
    assert_eq!(objects[0]["amount"], "1200.00");
    assert_eq!(objects[0]["unit_price"], "0.15");
    assert_eq!(objects[0]["tier"], 2);
    assert_eq!(objects[0]["cliff_calls"], 10001);
    assert_eq!(objects[1]["note"], "quoted, with comma");
    assert_eq!(objects[2]["unit_price"], serde_json::Value::Null);
    let (_, out, _) = batch(&["--format", "json", "--group-by", "account"], USAGE);
    let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(first["rows"], 1);
    assert_eq!(first["calls"], 9000);
}

#[test]
fn reads_a_file_argument_and_dash() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(USAGE.as_bytes()).unwrap();
    let path = f.path().to_str().unwrap();
    let out = Test::new().args(&["batch", path]).output();
    assert!(out.status.success());
    assert_eq!(rows(&String::from_utf8(out.stdout).unwrap()).len(), 4);
    let (code, out, _) = batch(&["-"], USAGE);
    assert_eq!(code, 0);
    assert_eq!(rows(&out).len(), 4);
    let out = Test::new().args(&["batch", "/nonexistent.csv"]).output();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent.csv"));
}

#[test]
fn many_rows_keep_order_and_lose_none() {
    // Enough rows for several blocks, so the parallel path is exercised.
    let mut input = String::from("id,api,calls\n");
    for i in 0..60_000u64 {
        input.push_str(&format!(
            "{i},{},{}\n",
            ["idcard", "general", "vat-invoice"][i as usize % 3],
            i * 37 % 20_000
        ));
    }
    input.push_str("60000,idcrad,1\n");
    for i in 60_001..80_000u64 {
        input.push_str(&format!("{i},idcard,{}\n", i % 1000));
    }
    let (code, out, err) = batch(&["--skip-invalid"], &input);
    assert_eq!(code, 3);
    assert!(err.contains("skipped line 60002:"), "{err}");
    let r = rows(&out);
    assert_eq!(r.len(), 80_000);
    let ids: Vec<u64> = r[1..].iter().map(|row| row[0].parse().unwrap()).collect();
    let want: Vec<u64> = (0..80_000).filter(|&i| i != 60_000).collect();
    assert_eq!(ids, want);
    // Default mode: everything before the bad row, nothing after.
    let (code, out, err) = batch(&[], &input);
    assert_eq!(code, 1);
    assert!(err.contains("line 60002"), "{err}");
    assert_eq!(rows(&out).len(), 60_001);
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let mut input = String::from("api,calls\n");
    for i in 0..200_000 {
        input.push_str(&format!("idcard,{i}\n"));
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_ocr-bill"))
        .arg("batch")
        .env_remove("OCR_BILL_PRICING")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(input.as_bytes());
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn fuzz_finding_quoted_crlf_and_invalid_utf8_lose_no_row() {
    // From `cargo fuzz run batch_row` (LeakSanitizer flagged glibc's thread-local
    // destructor list in a worker thread; the input itself is kept as a case).
    let mut input = b"account,api,calls\n".to_vec();
    input.extend_from_slice(b"A,i~dc@ra5,\rd\nB$idcard!,\"A1\r\n");
    let out = Test::new()
        .args(&["batch", "--skip-invalid"])
        .stdin(input.clone())
        .output();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    // Three records: a lone CR ends one (as in the csv crate), and the unclosed
    // quote is reported on its line. Each is reported; none is lost.
    assert!(
        err.contains("skipped line 2: unknown API 'i~dc@ra5'"),
        "{err}"
    );
    assert!(
        err.contains("skipped line 2: expected 3 fields as in the header, found 1"),
        "{err}"
    );
    assert!(
        err.contains("skipped line 3: the quote that opens a field on this line is never closed"),
        "{err}"
    );
    assert!(err.contains("skipped 3 of 3 rows"), "{err}");
    assert_eq!(out.stdout, b"account,api,calls,free_calls,billable_calls,tier,unit_price,amount,cliff_calls,cliff_amount\n");
    // A byte that is text in neither UTF-8 nor GB18030 is refused where it is,
    // never replaced.
    input.push(0xcb);
    let out = Test::new()
        .args(&["batch", "--skip-invalid"])
        .stdin(input)
        .output();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("byte 0xCB") && err.contains("line 4"), "{err}");
}

#[test]
fn fuzz_finding_only_carriage_returns_end_the_input() {
    // From `cargo fuzz run batch_row`: lone CRs after the header once made the
    // reader wait for a record that never came.
    let (code, out, err) = batch(&["--skip-invalid"], "account,api,calls\n\r\r");
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 1);
    let (code, out, _) = batch(&[], "api,calls\r\r\ridcard,9000\r");
    assert_eq!(code, 0);
    assert!(
        out.contains("\nidcard,9000,1000,8000,2,0.15,1200.00"),
        "{out}"
    );
}

#[test]
fn groups_billed_in_chunks_keep_their_order_and_every_report() {
    // 100,000 groups (chunks of 32,768 billed on two threads); two groups in the
    // contact-sales tier, one in an even chunk and one in an odd one.
    let mut input = String::from("account,month,api,calls\n");
    for i in 0..100_000u32 {
        let calls = if i == 20_000 || i == 50_000 {
            2_000_000
        } else {
            i % 20_000
        };
        input.push_str(&format!("a{i},2026-01,idcard,{calls}\n"));
    }
    let (code, out, err) = batch(&["--group-by", "account,month"], &input);
    // Stops at the first in input order, after every group before it.
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("line 20002: group account=a20000"), "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1 + 20_000);
    assert!(lines[20_000].starts_with("a19999,2026-01,idcard,19999,1,"));
    let (code, out, err) = batch(&["--group-by", "account,month", "--skip-invalid"], &input);
    assert_eq!(code, 3, "{err}");
    let first = err.find("line 20002:").expect("first report");
    let second = err.find("line 50002:").expect("second report");
    assert!(first < second, "{err}");
    let rows = rows(&out);
    assert_eq!(rows.len(), 1 + 99_998);
    for (i, row) in rows[1..].iter().enumerate() {
        let n = if i < 20_000 {
            i
        } else if i < 49_999 {
            i + 1
        } else {
            i + 2
        };
        assert_eq!(row[0], format!("a{n}"), "row {i}");
    }
    assert!(err.contains("99998 rows written"), "{err}");
}

#[test]
fn a_group_whose_calls_overflow_is_the_first_bad_row_in_input_order() {
    let input = "account,api,calls\na,idcard,18446744073709551615\na,idcard,1\nb,idcrad,5\n";
    // Without --skip-invalid: the overflow (line 3) stops the run, not the
    // unknown API after it (line 4), although the table sums on another thread.
    let (code, out, err) = batch(&["--group-by", "account"], input);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("line 3: the group's calls overflow: 18446744073709551615 + 1"),
        "{err}"
    );
    // With it: both reported (the sums are checked as the table is kept, so
    // an overflow is reported after the rows read before), the rest billed.
    let (code, out, err) = batch(
        &[
            "--group-by",
            "account",
            "--skip-invalid",
            "--negotiated-price",
            "0.01",
        ],
        input,
    );
    assert_eq!(code, 3, "{err}");
    assert!(out.contains("\na,idcard,18446744073709551615,1,"), "{out}");
    assert!(
        err.contains("skipped line 3: the group's calls overflow"),
        "{err}"
    );
    assert!(
        err.contains("skipped line 4: unknown API 'idcrad'"),
        "{err}"
    );
    assert!(err.contains("skipped 2 of 3 rows"), "{err}");
}

#[test]
fn several_files_of_the_same_columns_are_billed_as_one() {
    // A day's export each: the first saved as GBK by Excel under a title,
    // the second in UTF-8 with a byte order mark, no newline at its end, a
    // bad row and a totals row; an empty third.
    let dir = tempfile::tempdir().unwrap();
    let (gbk, _, _) = encoding_rs::GBK
        .encode("2026年1月1日 用量\n账号,日期,接口,调用量\n1001,2026-01-01,身份证,4000\n");
    let day1 = dir.path().join("day1.csv");
    std::fs::write(&day1, &gbk).unwrap();
    let day2 = dir.path().join("day2.csv");
    std::fs::write(
        &day2,
        "\u{feff}账号,日期,接口,调用量\r\n1001,2026-01-02,身份证,5000\r\n1002,2026-01-02,身份证,9k?\r\n合计,,,9000",
    )
    .unwrap();
    let empty = dir.path().join("day3.csv");
    std::fs::write(&empty, "").unwrap();
    let [day1, day2, empty] = [day1, day2, empty].map(|p| p.to_string_lossy().into_owned());
    // Grouped: 1001's January is 4,000 + 5,000 calls, one month of 9,000.
    let ran = Test::new()
        .args(&[
            "batch",
            "--skip-invalid",
            "--group-by",
            "account,month",
            &day1,
            &day2,
            &empty,
        ])
        .status(3)
        .stdout_has("\n1001,2026-01,idcard,9000,2,1000,8000,2,0.15,1200.00,")
        .run();
    // Lines are named in their own file: day2.csv's third line, its fourth a
    // totals row.
    assert!(
        ran.stderr.contains("skipped line 3 of ")
            && ran.stderr.contains("day2.csv: invalid call count '9k?'"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("day2.csv: line 4 is a totals row"),
        "{}",
        ran.stderr
    );
    // Ungrouped: one header, every file's rows in order.
    let ran = Test::new()
        .args(&["batch", "--skip-invalid", &day1, &day2])
        .status(3)
        .run();
    let lines: Vec<&str> = ran.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", ran.stdout);
    assert!(lines[0].starts_with("账号,日期,接口,调用量,free_calls"));
    assert!(lines[1].starts_with("1001,2026-01-01,身份证,4000,"));
    assert!(lines[2].starts_with("1001,2026-01-02,身份证,5000,"));
    // Without --skip-invalid the error names the file and its line.
    let err = Test::new()
        .args(&["batch", &day1, &day2])
        .status(1)
        .run()
        .stderr;
    assert!(
        err.contains("day2.csv: line 3: invalid call count '9k?'"),
        "{err}"
    );
    // The same columns at the same places under other names (an export in
    // English): joined under the first's header, its rows summed with the
    // first's (1001's January: 4,000 + 5,000).
    let (_keep, english) = files(&[(
        "english.csv",
        "account,date,api,calls\n1001,2026-01-03,idcard,5000\n",
    )]);
    let ran = Test::new().args(&["batch", &day1, &english[0]]).run();
    let lines: Vec<&str> = ran.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", ran.stdout);
    assert!(lines[0].starts_with("账号,日期,接口,调用量,free_calls"));
    assert!(lines[2].starts_with("1001,2026-01-03,idcard,5000,1000,4000,2,0.15,600.00"));
    assert!(ran
        .stderr
        .contains("2 rows share their account, month and billing item"));
    Test::new()
        .args(&["batch", "--group-by", "account,month", &day1, &english[0]])
        .stdout_has("\n1001,2026-01,idcard,9000,2,1000,8000,2,0.15,1200.00,")
        .run();
    // Other columns, or the same in another order: refused, naming both
    // headers; a file twice: refused.
    let (_keep, other) = files(&[
        ("other.csv", "account,api,month,calls\n1,idcard,2026-01,5\n"),
        (
            "more.csv",
            "account,month,api,calls,note\n1,2026-01,idcard,5,\n",
        ),
    ]);
    for (path, header) in other
        .iter()
        .zip(["account,api,month,calls", "account,month,api,calls,note"])
    {
        let err = Test::new().args(&["batch", &day1, path]).fails(1);
        assert!(
            err.contains(&format!("its header '{header}' is not the first file's"))
                && err.contains("'账号,日期,接口,调用量'"),
            "{err}"
        );
    }
    let err = Test::new().args(&["batch", &day1, &day1]).fails(2);
    assert!(err.contains("is given twice"), "{err}");
    // Rows skipped for one reason on lines that follow each other across two
    // files are told per file, each with its own lines.
    let (_runs, runs) = files(&[
        ("r1.csv", "api,calls\nidcard,1\nnope,1\nnope,2\n"),
        ("r2.csv", "api,calls\nnope,3\nnope,4\nidcard,5\n"),
    ]);
    let err = Test::new()
        .args(&["batch", "--skip-invalid", &runs[0], &runs[1]])
        .status(3)
        .run()
        .stderr;
    assert!(
        err.contains("skipped lines 3–4 of ") && err.contains("r1.csv (2 rows)"),
        "{err}"
    );
    assert!(
        err.contains("skipped lines 2–3 of ") && err.contains("r2.csv (2 rows)"),
        "{err}"
    );
    // A line an error names besides its own is named in its file too: a
    // stray quote's closing line, and the row that names an account where
    // another file's has none.
    let (_quoted, quoted) = files(&[
        ("q1.csv", "account,month,api,calls\nA,2026-01,idcard,1\n"),
        (
            "q2.csv",
            "account,month,api,calls\nA,2026-01,\"idcard,2\nA,2026-01,idcard\",3\n",
        ),
        ("q3.csv", "account,month,api,calls\n,2026-02,idcard,4\n"),
    ]);
    let err = Test::new()
        .args(&["batch", &quoted[0], &quoted[1]])
        .status(1)
        .run()
        .stderr;
    assert!(
        err.contains("q2.csv: line 2: a quoted field opens on this line")
            && err.contains("it closes on line 3,"),
        "{err}"
    );
    let err = Test::new()
        .args(&[
            "batch",
            "--group-by",
            "account,month",
            &quoted[0],
            &quoted[2],
        ])
        .status(1)
        .run()
        .stderr;
    assert!(
        err.contains("q3.csv: line 2: this row has no account, while line 2 of ")
            && err.contains("q1.csv names 'A'"),
        "{err}"
    );
}

/// `--account`, `--from` and `--until` bill the chosen rows as a run of
/// their own would: row by row on every thread, and grouped; the rows left
/// out are counted and their accounts named, and rows that share a month
/// are counted among the chosen only.
#[test]
fn account_and_months_choose_the_rows_billed() {
    // Several blocks of input, billed on several threads.
    let mut input = String::from("account,date,api,calls\n");
    for i in 0..60_000u64 {
        let account = ["A", "B", "C"][(i % 3) as usize];
        let month = 1 + (i / 7) % 6;
        input.push_str(&format!(
            "{account},2026-0{month}-{:02},idcard,{}\n",
            1 + i % 28,
            i * 37 % 20_000
        ));
    }
    let (code, all, _) = batch(&[], &input);
    assert_eq!(code, 0);
    let (code, chosen, err) = batch(&["--account", " A ", "--from", "2026-03"], &input);
    assert_eq!(code, 0, "{err}");
    let header = all.lines().next().unwrap();
    let want: Vec<&str> = std::iter::once(header)
        .chain(all.lines().skip(1).filter(|l| {
            let month: u32 = l[8..9].parse().unwrap();
            l.starts_with("A,") && month >= 3
        }))
        .collect();
    let got: Vec<&str> = chosen.lines().collect();
    assert!(got == want, "{} rows against {}", got.len(), want.len());
    assert!(want.len() > 5_000);
    let left_out = 60_000 - (want.len() - 1);
    assert!(
        err.contains(&format!(
            "note: stdin: {left_out} rows of other accounts than A, or of months before \
             2026-03 left out; accounts left out: B, C"
        )),
        "{err}"
    );
    // The shared rows counted are A's, of 2026-03 on.
    let grouped = |args: &[&str]| {
        let mut all = vec!["--group-by", "account,month", "--negotiated-price", "0.04"];
        all.extend_from_slice(args);
        let (code, out, err) = batch(&all, &input);
        assert_eq!(code, 0, "{err}");
        (out, err)
    };
    let shared = want.len() - 1;
    assert!(
        err.contains(&format!("warning: {shared} rows share")),
        "{err}"
    );
    let (all_months, _) = grouped(&[]);
    let (a_months, err) = grouped(&["--account", "A", "--until", "2026-04"]);
    let want: Vec<&str> = std::iter::once(header_of(&all_months))
        .chain(
            all_months
                .lines()
                .skip(1)
                .filter(|l| l.starts_with("A,2026-0") && l[8..9].parse::<u32>().unwrap() <= 4),
        )
        .collect();
    let got: Vec<&str> = a_months.lines().collect();
    assert!(got == want, "{got:?} against {want:?}");
    assert_eq!(want.len() - 1, 4);
    assert!(err.contains("of other accounts than A, or of months after 2026-04 left out"));
    // A pivot table's month columns outside the range are left out, cell by cell.
    let pivot =
        "account,api,2026-01,2026-02,2026-03\nA,idcard,5000,4000,2000\nB,idcard,7000,9000,1\n";
    let (code, out, err) = batch(
        &[
            "--group-by",
            "account,month",
            "--from",
            "2026-02",
            "--account",
            "B",
        ],
        pivot,
    );
    assert_eq!(code, 0, "{err}");
    let r = rows(&out);
    assert_eq!(r.len(), 3);
    assert_eq!(r[1][..4], ["B", "2026-02", "idcard", "9000"]);
    assert_eq!(r[2][..4], ["B", "2026-03", "idcard", "1"]);
    assert!(
        err.contains("note: stdin: 4 cells of other accounts than B"),
        "{err}"
    );
}

fn header_of(csv: &str) -> &str {
    csv.lines().next().unwrap()
}

/// A filter that keeps no row, or that has no column to choose by, is
/// refused, naming what the file has.
#[test]
fn a_filter_that_keeps_nothing_or_has_no_column_is_refused() {
    let input = "account,month,api,calls\nA,2026-01,idcard,9000\nB,2026-02,idcard,900\n";
    let (code, _, err) = batch(&["--account", "Z"], input);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("no rows of account 'Z'; 2 rows left out; accounts left out: A, B"),
        "{err}"
    );
    // A subtotal row is told as one, not as another account's.
    let with_totals = format!("{input}小计,2026-01,idcard,9900\n");
    for grouped in [false, true] {
        let mut args = vec!["--account", "A"];
        if grouped {
            args.extend(["--group-by", "account,month"]);
        }
        let (code, out, err) = batch(&args, &with_totals);
        assert_eq!(code, 0, "{err}");
        assert_eq!(rows(&out).len(), 2, "{out}");
        assert!(err.contains("is a totals row (小计)"), "{err}");
        assert!(
            err.contains("1 row of other accounts than A left out; accounts left out: B"),
            "{err}"
        );
    }
    // A row of no account may be A's (a merged cell leaves the rows below its
    // first empty): never left out, it is refused when grouped and billed
    // with a warning row by row, as without --account.
    let unnamed = format!("{input},2026-01,idcard,5\n");
    let (code, out, err) = batch(&["--account", "A"], &unnamed);
    assert_eq!(code, 0, "{err}");
    assert_eq!(rows(&out).len(), 3, "{out}");
    assert!(
        err.contains("warning: 1 of the 2 rows has no account"),
        "{err}"
    );
    let (code, _, err) = batch(&["--account", "A", "--group-by", "account,month"], &unnamed);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("line 4"), "{err}");
    let (code, _, err) = batch(&["--group-by", "account,month", "--from", "2027-01"], input);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no rows from 2027-01 on"), "{err}");
    let (code, _, err) = batch(&["--from", "2026-03", "--until", "2026-01"], input);
    assert_eq!(code, 1, "as in plan");
    assert!(
        err.contains("--from 2026-03 comes after --until 2026-01"),
        "{err}"
    );
    let (code, _, err) = batch(&["--account", "A"], "api,calls\nidcard,9000\n");
    assert_eq!(code, 1);
    assert!(
        err.contains("--account 'A': the header has no account column"),
        "{err}"
    );
    let (code, _, err) = batch(
        &["--until", "2026-01"],
        "account,api,calls\nA,idcard,9000\n",
    );
    assert_eq!(code, 1);
    assert!(err.contains("the header has no month column"), "{err}");
}
