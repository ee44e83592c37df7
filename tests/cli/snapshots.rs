//! The human tables, pinned: a change to how results look shows up here.
//! To accept a deliberate change, rewrite the file under tests/snapshots with the
//! command in each test and review the diff.

use crate::ocr;

fn assert_output(args: &[&str], snapshot: &str) {
    let out = ocr().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = format!("{}/tests/snapshots/{snapshot}", env!("CARGO_MANIFEST_DIR"));
    let want = std::fs::read_to_string(&path).unwrap();
    let got = String::from_utf8(out.stdout).unwrap();
    assert_eq!(got, want, "output of {args:?} differs from {path}");
}

#[test]
fn postpaid_table() {
    assert_output(
        &[
            "postpaid",
            "--api",
            "idcard",
            "--calls",
            "9500",
            "--api",
            "vat-invoice",
            "--calls",
            "2000",
        ],
        "postpaid.txt",
    );
}

#[test]
fn quote_table() {
    assert_output(
        &[
            "quote", "--api", "idcard", "--calls", "7000", "--months", "12",
        ],
        "quote.txt",
    );
}

#[test]
fn prepaid_table() {
    assert_output(
        &[
            "prepaid", "--api", "bankcard", "--calls", "2500", "--packs", "1000",
        ],
        "prepaid.txt",
    );
}

#[test]
fn plan_table() {
    assert_output(
        &["plan", "--api", "idcard", "--monthly", "11000 500 30000"],
        "plan.txt",
    );
}
