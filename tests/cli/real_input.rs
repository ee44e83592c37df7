//! Input as it really comes, where a silently wrong bill would be the worst
//! outcome: stray quotes, commas in counts, several accounts, daily rows.

use crate::{fails, json, ocr};

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
    let out = ocr()
        .arg("batch")
        .write_stdin(input.clone())
        .output()
        .unwrap();
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

    let out = ocr()
        .args(["batch", "--skip-invalid"])
        .write_stdin(input)
        .output()
        .unwrap();
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
    let out = ocr()
        .args(["batch", "--skip-invalid"])
        .write_stdin(input)
        .output()
        .unwrap();
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
    let err = fails(&["batch", "-"], 1);
    assert!(err.contains("empty"), "{err}");
    let out = ocr()
        .arg("batch")
        .write_stdin("api,calls\n\"idcard\"x,9000\n")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err.contains("line 2: after the closing quote of field 1 on this line, expected a comma"),
        "{err}"
    );
}

#[test]
fn commas_in_counts_are_thousands_separators_or_an_error() {
    let v = json(&["postpaid", "--api", "idcard", "--calls", "9,000"]);
    assert_eq!(v["lines"][0]["calls"], 9000);
    for bad in ["9,00", "1,2,3", "1,5k", "9000,12000"] {
        let err = fails(&["postpaid", "--api", "idcard", "--calls", bad], 1);
        assert!(
            err.contains(&format!("'{bad}'")) && err.contains("groups of three digits"),
            "{bad}: {err}"
        );
    }
    // Months are separated by spaces; a comma never splits a list of months.
    let v = json(&["plan", "--api", "idcard", "--monthly", "9,000 12,000"]);
    assert_eq!(v["monthly"], serde_json::json!([9000, 12000]));
    let v = json(&["plan", "--api", "idcard", "--monthly", "9,000", "12,000"]);
    assert_eq!(v["monthly"], serde_json::json!([9000, 12000]));
    let err = fails(&["plan", "--api", "idcard", "--monthly", "9,000,12,000"], 1);
    assert!(err.contains("groups of three digits"), "{err}");
}
