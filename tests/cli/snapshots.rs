//! Every subcommand's output in every format, pinned with insta: a change to
//! how results look shows up here as a diff of a file in tests/cli/snapshots.
//! To accept a deliberate change, run `cargo insta review` (or
//! `INSTA_UPDATE=always cargo test`) and review the diff.

use crate::test::Test;

const POSTPAID_TWO: &[&str] = &[
    "postpaid",
    "--api",
    "idcard",
    "--calls",
    "9500",
    "--api",
    "vat-invoice",
    "--calls",
    "2000",
];
const PLAN: &[&str] = &["plan", "--api", "idcard", "--monthly", "11000 500 30000"];
const QUOTE: &[&str] = &[
    "quote", "--api", "idcard", "--calls", "7000", "--months", "12",
];

/// Every subcommand in every text format, pinned with insta (review a change
/// with `cargo insta review`, or `INSTA_UPDATE=always cargo test` and the diff).
#[test]
fn every_subcommand_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let usage = dir.path().join("usage.csv");
    std::fs::write(
        &usage,
        "account,month,api,calls\nacme,2026-01,idcard,9000\nacme,2026-02,idcard,11000\n",
    )
    .unwrap();
    let packs = dir.path().join("packs.csv");
    std::fs::write(&packs, "month,api,calls,count\n2026-01,idcard,1000,2\n").unwrap();
    let u = usage.to_str().unwrap();
    let p = packs.to_str().unwrap();
    let commands: Vec<(&str, Vec<&str>)> = vec![
        ("postpaid", POSTPAID_TWO.to_vec()),
        ("postpaid-d", crate::POSTPAID_D.to_vec()),
        (
            "prepaid",
            vec![
                "prepaid", "--api", "bankcard", "--calls", "2500", "--packs", "1000@84",
            ],
        ),
        (
            "prepaid-list-price",
            vec![
                "prepaid", "--api", "bankcard", "--calls", "2500", "--packs", "1000",
            ],
        ),
        ("quote", QUOTE.to_vec()),
        ("plan", PLAN.to_vec()),
        (
            "ledger",
            vec!["ledger", "--usage", u, "--packs", p, "--balance", "5000"],
        ),
        ("curve", vec!["curve", "--api", "idcard", "--points", "4"]),
        ("prices", vec!["prices", "--api", "vat-invoice"]),
        ("editions", vec!["prices", "--editions"]),
    ];
    for (name, args) in &commands {
        for format in ["table", "json", "csv"] {
            let out = Test::new().args(args).args(&["--format", format]).output();
            assert!(
                out.status.success(),
                "{name} {format}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8(out.stdout).unwrap();
            insta::assert_snapshot!(format!("{name}-{format}"), text);
        }
    }
    for format in ["csv", "json", "table"] {
        let out = Test::new()
            .args(&[
                "--width",
                "0",
                "batch",
                u,
                "--group-by",
                "account,month",
                "--format",
                format,
            ])
            .output();
        insta::assert_snapshot!(
            format!("batch-{format}"),
            String::from_utf8(out.stdout).unwrap()
        );
    }
}

/// Display width as a terminal shows it (a Chinese character is two columns).
fn display_width(line: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(line)
}

#[test]
fn tables_fit_a_hundred_columns_without_breaking_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let usage = dir.path().join("usage.csv");
    std::fs::write(
        &usage,
        "month,api,calls\n2026-01,idcard,9000\n2026-02,vat-invoice,123456\n",
    )
    .unwrap();
    let u = usage.to_str().unwrap();
    let runs: Vec<Vec<&str>> = vec![
        POSTPAID_TWO.to_vec(),
        vec!["ledger", "--usage", u, "--balance", "5000"],
        PLAN.to_vec(),
        QUOTE.to_vec(),
        vec!["prices"],
        crate::POSTPAID_D.to_vec(),
    ];
    for args in &runs {
        let out = Test::new().args(&["--width", "100"]).args(args).output();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for line in text.lines().filter(|l| l.starts_with(['┌', '│', '╞', '└'])) {
            assert!(
                display_width(line) <= 100,
                "{args:?}: {} wide:\n{text}",
                display_width(line)
            );
        }
        // Every amount of the full table is still whole in the fitted one.
        let full = Test::new().args(args).output();
        let full = String::from_utf8(full.stdout).unwrap();
        let amounts = |t: &str| -> Vec<String> {
            t.split(|c: char| c.is_whitespace() || c == '│' || c == '┆')
                .filter(|w| {
                    w.contains('.')
                        && w.trim_start_matches(['+', '-'])
                            .chars()
                            .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
                })
                .map(str::to_string)
                .collect()
        };
        for a in amounts(&text) {
            assert!(
                amounts(&full).contains(&a),
                "{args:?}: {a} is not in the full table"
            );
        }
    }
    // Left-out columns are named, and --width 0 shows them.
    let args = POSTPAID_TWO;
    let narrow = Test::new().args(&["--width", "100"]).args(args).output();
    let narrow = String::from_utf8(narrow.stdout).unwrap();
    assert!(
        narrow.contains("left out to fit the width: name"),
        "{narrow}"
    );
    assert!(!narrow.contains("增值税发票"), "{narrow}");
    let wide = Test::new().args(&["--width", "0"]).args(args).output();
    let wide = String::from_utf8(wide.stdout).unwrap();
    assert!(
        wide.contains("增值税发票") && !wide.contains("left out"),
        "{wide}"
    );
}
