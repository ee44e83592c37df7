//! Output people open: Excel workbooks, CSV for spreadsheets, files written
//! atomically with -o.

use calamine::{open_workbook, Data, Reader, Xlsx};

use crate::test::Test;

/// The first sheet of a workbook `ocr-bill` wrote: its rows of cells.
fn first_sheet(path: &std::path::Path) -> Vec<Vec<Data>> {
    let mut book: Xlsx<_> = open_workbook(path).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    sheet.rows().map(<[Data]>::to_vec).collect()
}

/// A column's index by its header cell.
fn column(rows: &[Vec<Data>], name: &str) -> usize {
    rows[0]
        .iter()
        .position(|c| *c == Data::String(name.to_string()))
        .unwrap_or_else(|| panic!("no column {name}"))
}

#[test]
fn an_xlsx_bill_reads_back_with_numeric_cells_and_the_right_sums() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bill.xlsx");
    let p = path.to_str().unwrap();
    Test::new()
        .args(&[
            "postpaid", "--api", "idcard", "--calls", "9000", "--api", "bankcard", "--calls",
            "900000", "--format", "xlsx", "-o", p,
        ])
        .stdout("")
        .run();
    let rows = first_sheet(&path);
    let col = |name: &str| column(&rows, name);
    assert_eq!(rows[1][col("name")], Data::String("身份证".into()));
    assert_eq!(rows[1][col("calls")], Data::Float(9000.0));
    let amounts: f64 = rows[1..]
        .iter()
        .map(|r| match r[col("amount")] {
            Data::Float(v) => v,
            ref other => panic!("amount is not a number: {other:?}"),
        })
        .sum();
    assert!((amounts - 55_140.0).abs() < 1e-6, "{amounts}");
}

/// A number that does not apply (no unit price where no call is billed, no
/// cliff, no price per call at no calls) is `-` in every table, and an empty
/// cell in a workbook, as in CSV: never a text among a column's numbers.
#[test]
fn a_number_that_does_not_apply_is_a_dash_in_a_table_and_empty_in_a_workbook() {
    let (dir, paths) = crate::files(&[("usage.csv", "month,api,calls\n2026-01,idcard,900\n")]);
    let usage = paths[0].as_str();
    let book = dir.path().join("ledger.xlsx");
    Test::new()
        .arg("ledger")
        .arg(usage)
        .arg("-o")
        .arg(&book)
        .stdout("")
        .run();
    let rows = first_sheet(&book);
    assert_eq!(rows[1][column(&rows, "calls")], Data::Float(900.0));
    assert_eq!(rows[1][column(&rows, "unit price")], Data::Empty);
    // A table drawn from CSV (batch, curve) as a table built for people.
    let cells = |args: &[&str], first: &str| -> Vec<String> {
        let out = Test::new().args(args).output();
        let table = String::from_utf8(out.stdout).unwrap();
        let split = |l: &str| -> Vec<String> {
            l.split(['│', '┆']).map(|c| c.trim().to_string()).collect()
        };
        (table.lines().map(split))
            .find(|cells| cells.get(1).is_some_and(|c| c == first))
            .unwrap_or_else(|| panic!("no row {first}: {table}"))
    };
    let batch = cells(&["batch", "-f", "table", usage], "2026-01");
    // month, api, calls, free, billable, tier, unit_price, amount, cliffs
    assert_eq!(
        batch[1..12],
        ["2026-01", "idcard", "900", "900", "0", "1", "-", "0.00", "-", "-", ""],
        "{batch:?}"
    );
    let curve = cells(
        &[
            "curve", "--api", "idcard", "--max", "2000", "--points", "3", "-f", "table",
        ],
        "0",
    );
    assert_eq!(curve[1..4], ["0", "0.00", "-"], "{curve:?}");
    for args in [
        &["postpaid", "--api", "idcard", "--calls", "900"][..],
        &["ledger", usage],
    ] {
        let row = cells(
            args,
            if args[0] == "ledger" {
                "2026-01"
            } else {
                "idcard"
            },
        );
        assert!(row.contains(&"-".to_string()), "{args:?}: {row:?}");
    }
}

#[test]
fn the_output_file_name_says_the_format() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Bill.XLSX");
    let args = ["postpaid", "--api", "idcard", "--calls", "9000", "-o"];
    Test::new().args(&args).arg(&path).stdout("").run();
    let rows = first_sheet(&path);
    assert_eq!(rows[1][column(&rows, "amount")], Data::Float(1200.0));
    let csv = dir.path().join("bill.csv");
    Test::new().args(&args).arg(&csv).run();
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("api,name,calls,"), "{text}");
    let json = dir.path().join("bill.json");
    Test::new().args(&args).arg(&json).run();
    let bill: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(bill["lines"][0]["amount"], "1200.00");
    let toml = dir.path().join("prices.toml");
    Test::new().args(&["prices", "-o"]).arg(&toml).run();
    let text = std::fs::read_to_string(&toml).unwrap();
    assert!(text.contains("currency = \"CNY\""), "{text}");
    // --format says otherwise: it wins for text, and text is never written
    // into a workbook's name (or a workbook into a text file's); no file is left.
    Test::new()
        .args(&args)
        .arg(&csv)
        .args(&["-f", "json"])
        .run();
    assert!(std::fs::read_to_string(&csv).unwrap().starts_with('{'));
    for (name, format, want) in [
        (
            "wrong.xlsx",
            "csv",
            "names an Excel workbook, but --format csv",
        ),
        ("wrong.csv", "xlsx", "names a .csv file"),
    ] {
        let file = dir.path().join(name);
        let err = Test::new()
            .args(&args)
            .arg(&file)
            .args(&["-f", format])
            .fails(2);
        assert!(err.contains(want), "{err}");
        assert!(!file.exists(), "{name}");
    }
    // A pricing file's name for a bill, and --excel with a JSON file's name,
    // are refused naming the file, not a --format never given.
    let toml = dir.path().join("bill.toml");
    let err = Test::new().args(&args).arg(&toml).fails(2);
    assert!(
        err.contains("bill.toml (toml) is for `prices` only"),
        "{err}"
    );
    assert!(!toml.exists());
    let err = Test::new().args(&args).arg(&json).arg("--excel").fails(2);
    assert!(
        err.contains("it means nothing with -o ") && err.contains("bill.json (json)"),
        "{err}"
    );
}

#[test]
fn batch_bills_as_a_workbook() {
    let dir = tempfile::tempdir().unwrap();
    let usage = dir.path().join("usage.csv");
    std::fs::write(
        &usage,
        "account,month,api,calls\n00123,2026-01,idcard,9000\n00123,2026-02,bankcard,900000\n",
    )
    .unwrap();
    let path = dir.path().join("bills.xlsx");
    Test::new()
        .args(&["batch", "--group-by", "account", "-f", "xlsx", "-o"])
        .arg(&path)
        .arg(&usage)
        .run();
    let rows = first_sheet(&path);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0][0], Data::String("account".into()));
    // An account number stays text; counts and money are numbers.
    assert_eq!(rows[1][0], Data::String("00123".into()));
    assert_eq!(rows[1][2], Data::Float(9000.0));
    let amount = column(&rows, "amount");
    assert_eq!(rows[1][amount], Data::Float(1200.0));
    assert_eq!(rows[2][amount], Data::Float(53_940.0));
}

/// Numbers a spreadsheet's doubles cannot hold exactly (more than 15
/// significant digits) are written as text, never rounded.
#[test]
fn an_xlsx_cell_never_rounds_a_number() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.xlsx");
    Test::new()
        .args(&["batch", "--negotiated-price", "0.04", "-f", "xlsx", "-o"])
        .arg(&path)
        .stdin(
            "api,calls\nidcard,18446744073709551615\nidcard,123456789012345\n\
             idcard,250000000001000\n",
        )
        .run();
    let rows = first_sheet(&path);
    assert_eq!(rows[1][1], Data::String("18446744073709551615".into()));
    // 15 digits are exact as a number.
    assert_eq!(rows[2][1], Data::Float(123_456_789_012_345.0));
    let amount = column(&rows, "amount");
    assert_eq!(
        rows[1][amount],
        Data::String("737869762948382024.60".into()),
        "{:?}",
        rows[1]
    );
    // 10,000,000,000,000.00 has one significant digit: a number.
    assert_eq!(rows[3][amount], Data::Float(1e13), "{:?}", rows[3]);
}

#[test]
fn excel_csv_neutralises_formulas_and_plain_csv_is_untouched() {
    let input = "account,api,calls\n\"=HYPERLINK(\"\"http://x\"\")\",idcard,9000\n-5,idcard,900\n";
    let plain = Test::new().arg("batch").stdin(input).output();
    let plain = String::from_utf8(plain.stdout).unwrap();
    assert!(
        plain.contains("\n\"=HYPERLINK(\"\"http://x\"\")\",idcard,9000,"),
        "{plain}"
    );
    let excel = Test::new()
        .args(&["batch", "--excel"])
        .stdin(input)
        .output();
    let excel = excel.stdout;
    assert!(excel.starts_with(b"\xEF\xBB\xBFaccount,api,calls,"));
    let text = String::from_utf8(excel).unwrap();
    assert!(
        text.contains("\r\n\"'=HYPERLINK(\"\"http://x\"\")\",idcard,9000,"),
        "{text}"
    );
    // A plain number is no formula: kept as a number.
    assert!(text.contains("\r\n-5,idcard,900,"), "{text}");
    assert!(!text.replace("\r\n", "").contains('\n'));
    // The report CSVs too.
    let out = Test::new()
        .args(&[
            "postpaid", "--api", "idcard", "--calls", "9000", "-f", "csv", "--excel",
        ])
        .output();
    assert!(out.stdout.starts_with(b"\xEF\xBB\xBFapi,"));
    assert!(String::from_utf8(out.stdout).unwrap().ends_with("\r\n"));
    // --excel alone is that CSV, not a table; with a text format it means nothing.
    let out = Test::new()
        .args(&["quote", "--api", "idcard", "--calls", "7000", "--excel"])
        .output();
    assert!(out.stdout.starts_with(b"\xEF\xBB\xBF"), "{out:?}");
    let err = Test::new()
        .args(&[
            "postpaid", "--api", "idcard", "--calls", "9000", "--excel", "-f", "json",
        ])
        .fails(2);
    assert!(err.contains("--excel writes CSV"), "{err}");
}

#[test]
fn output_files_are_atomic_and_never_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let usage = dir.path().join("usage.csv");
    std::fs::write(&usage, "api,calls\nidcard,9000\nidcrad,5\n").unwrap();
    let out_path = dir.path().join("bills.csv");
    let u = usage.to_str().unwrap();
    let o = out_path.to_str().unwrap();
    // A run that fails leaves no file (and no temporary one).
    let err = Test::new().args(&["batch", u, "-o", o]).fails(1);
    assert!(err.contains("idcrad"), "{err}");
    assert!(!out_path.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    // A run that succeeds writes the whole file.
    std::fs::write(&usage, "api,calls\nidcard,9000\n").unwrap();
    let out = Test::new().args(&["batch", u, "-o", o]).output();
    assert!(out.status.success());
    assert!(std::fs::read_to_string(&out_path)
        .unwrap()
        .contains("idcard,9000,1000,8000"));
    // Readable like any file the user makes (0666 less the umask), not 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let status = std::process::Command::new("sh")
            .args(["-c", "umask 022 && exec \"$0\" batch \"$1\" -o \"$2\""])
            .args([env!("CARGO_BIN_EXE_ocr-bill"), u, o])
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        let mode = std::fs::metadata(&out_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644, "mode {mode:o}");
    }
    // The input is never the output.
    let err = Test::new().args(&["batch", u, "-o", u]).fails(1);
    assert!(err.contains("is an input"), "{err}");
    assert!(std::fs::read_to_string(&usage)
        .unwrap()
        .starts_with("api,calls"));
    let err = Test::new()
        .args(&["ledger", "--usage", u, "-o", u])
        .fails(1);
    assert!(err.contains("is an input"), "{err}");
}

#[test]
fn man_pages_for_every_subcommand_and_completions_of_api_names() {
    // A directory not there yet is made (a user's first man1).
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("share/man/man1");
    let out = Test::new()
        .args(&["man", "--dir", dir.to_str().unwrap()])
        .output();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for sub in [
        "",
        "-postpaid",
        "-prepaid",
        "-quote",
        "-batch",
        "-ledger",
        "-plan",
        "-curve",
        "-prices",
    ] {
        let page = std::fs::read_to_string(dir.join(format!("ocr-bill{sub}.1")))
            .unwrap_or_else(|e| panic!("ocr-bill{sub}.1: {e}"));
        assert!(page.contains(".SH \"EXIT STATUS\""), "ocr-bill{sub}.1");
    }
    // Each subcommand's page has its own options.
    let page = std::fs::read_to_string(dir.join("ocr-bill-postpaid.1")).unwrap();
    // The shared flags are on every subcommand's page.
    assert!(page.contains("\\-\\-edition"), "{page}");
    assert!(page.contains("negotiated\\-price"), "{page}");
    let out = Test::new().args(&["completions", "bash"]).output();
    let script = String::from_utf8(out.stdout).unwrap();
    assert!(
        script.contains("户口本识别") && script.contains("idcard"),
        "no API names"
    );
    assert!(
        script.contains("--negotiated-price") && script.contains("--group-by"),
        "no subcommand options"
    );
    // Flags they would ignore are refused.
    let err = Test::new()
        .args(&["completions", "bash", "--format", "json"])
        .fails(2);
    assert!(err.contains("--format means nothing"), "{err}");
    let err = Test::new().args(&["man", "--edition", "d"]).fails(2);
    assert!(err.contains("--edition means nothing"), "{err}");
}

#[test]
fn a_ledger_workbook_has_a_sheet_per_table() {
    let dir = tempfile::tempdir().unwrap();
    let usage = dir.path().join("usage.csv");
    std::fs::write(
        &usage,
        "month,api,calls\n2026-01,idcard,9000\n2026-02,idcard,90000\n",
    )
    .unwrap();
    let path = dir.path().join("ledger.xlsx");
    let out = Test::new()
        .args(&[
            "ledger",
            "--usage",
            usage.to_str().unwrap(),
            "-f",
            "xlsx",
            "-o",
        ])
        .arg(&path)
        .output();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(book.sheet_names(), ["calls", "months"]);
    let months = book.worksheet_range("months").unwrap();
    let bills: Vec<Data> = months.rows().skip(1).map(|r| r[3].clone()).collect();
    assert_eq!(bills, [Data::Float(1200.0), Data::Float(8900.0)]);
}

#[test]
fn an_output_file_in_no_directory_is_refused_by_its_name() {
    let root = tempfile::tempdir().unwrap();
    let missing = root.path().join("no-such-dir");
    let file = missing.join("bill.csv");
    let err = Test::new()
        .args(&["postpaid", "--api", "idcard", "--calls", "9000"])
        .args(&["-o", file.to_str().unwrap()])
        .fails(1);
    assert!(
        err.contains(&format!(
            "cannot write {}: there is no directory {}",
            file.display(),
            missing.display()
        )),
        "{err}"
    );
    // The temporary file's name is no business of the user's.
    assert!(!err.contains(".part"), "{err}");
}

/// An account ID is text in a workbook: as a number cell it would show as
/// `100,012,345,678` (and a CSV saved from it would name another account).
/// Counts and money beside it stay numbers.
#[test]
fn account_ids_are_text_in_a_workbook() {
    let dir = tempfile::tempdir().unwrap();
    let usage = dir.path().join("usage.csv");
    std::fs::write(
        &usage,
        "使用者UIN,month,api,calls\n100012345678,2026-01,idcard,9000\n100012345679,2026-01,idcard,100\n",
    )
    .unwrap();
    for (command, account) in [("ledger", "account"), ("batch", "使用者UIN")] {
        let path = dir.path().join(format!("{command}.xlsx"));
        let mut args = vec![
            command,
            usage.to_str().unwrap(),
            "--account-column",
            "使用者UIN",
        ];
        if command == "batch" {
            args.extend(["--group-by", "account,month"]);
        }
        Test::new().args(&args).arg("-o").arg(&path).run();
        let rows = first_sheet(&path);
        assert_eq!(
            rows[1][column(&rows, account)],
            Data::String("100012345678".into()),
            "{command}"
        );
        assert_eq!(
            rows[1][column(&rows, "calls")],
            Data::Float(9000.0),
            "{command}"
        );
    }
}

/// `--excel` CSV keeps account IDs as Excel would not show them otherwise:
/// 12 digits or more (shown `1.00012E+11`) or a leading zero (`00123` shown
/// `123`) as the text formula `="…"`, which ocr-bill reads back as the same
/// account; other cells, and plain CSV, are unchanged.
#[test]
fn excel_csv_keeps_account_ids_as_text() {
    let usage = "account,month,api,calls\n100012345678,2026-01,idcard,9000\n00123,2026-01,idcard,100\n12345,2026-01,idcard,100\n";
    for args in [
        vec!["--excel", "batch"],
        vec!["--excel", "batch", "--group-by", "account,month"],
    ] {
        let out = Test::new().args(&args).stdin(usage).run().stdout;
        assert!(
            out.contains("\r\n\"=\"\"100012345678\"\"\",2026-01,idcard,9000,"),
            "{args:?}: {out}"
        );
        assert!(
            out.contains("\r\n\"=\"\"00123\"\"\",2026-01,idcard,100,"),
            "{args:?}: {out}"
        );
        assert!(
            out.contains("\r\n12345,2026-01,idcard,100,"),
            "{args:?}: {out}"
        );
        // Read back: the same accounts, each billed on its own.
        Test::new()
            .args(&["batch", "--group-by", "account,month"])
            .stdin(out.trim_start_matches('\u{feff}'))
            .stdout_has("\n100012345678,2026-01,idcard,9000,1,")
            .stdout_has("\n00123,2026-01,idcard,100,1,")
            .run();
    }
    let (_d, p) = crate::files(&[("usage.csv", usage)]);
    Test::new()
        .args(&["--excel", "ledger", &p[0]])
        .stdout_has("\r\n\"=\"\"100012345678\"\"\",2026-01,idcard,9000,")
        .run();
    Test::new()
        .args(&["ledger", &p[0], "-f", "csv"])
        .stdout_has("\n100012345678,2026-01,idcard,9000,")
        .run();
}

/// `n` rows of usage: as many accounts, the months and three API names in
/// turn, counts spread over the tiers.
fn many_rows(n: u64) -> String {
    let mut usage = String::from("account,month,api,calls\n");
    for i in 0..n {
        let api = ["idcard", "bankcard", "身份证"][(i % 3) as usize];
        usage += &format!(
            "acct{i:05},2026-{:02},{api},{}\n",
            i % 12 + 1,
            i * 7919 % 300_000
        );
    }
    usage
}

/// A workbook is written a row at a time (a million rows take about as much
/// memory as a few): every row of a batch arrives, in order, each cell as
/// the CSV has it.
#[test]
fn a_big_batch_workbook_has_every_row_as_the_csv() {
    let usage = many_rows(5000);
    let (dir, paths) = crate::files(&[("usage.csv", &usage)]);
    let book = dir.path().join("bills.xlsx");
    Test::new()
        .args(&["batch", &paths[0], "-o"])
        .arg(&book)
        .run();
    let csv = Test::new().args(&["batch", &paths[0]]).run().stdout;
    let rows = first_sheet(&book);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), lines.len());
    for (row, line) in rows.iter().zip(&lines) {
        let shown: Vec<String> = row
            .iter()
            .map(|c| match c {
                Data::Float(v) => format!("{v}"),
                Data::String(s) => s.clone(),
                Data::Empty => String::new(),
                other => panic!("{other:?}"),
            })
            .collect();
        let cells: Vec<String> = line
            .split(',')
            .map(|c| match c.parse::<f64>() {
                Ok(v) if !c.starts_with("acct") => format!("{v}"),
                _ => c.to_string(),
            })
            .collect();
        assert_eq!(shown, cells, "{line}");
    }
}

/// A batch table longer than is drawn at once (thousands of rows) is one
/// table: one header, one top and one bottom border, lines of one width, and
/// each row of the CSV as a row of it, in order, its numbers grouped.
#[test]
fn a_long_batch_table_has_every_row_as_the_csv() {
    let usage = many_rows(10_000);
    let (_dir, paths) = crate::files(&[("usage.csv", &usage)]);
    let table = Test::new()
        .args(&["batch", &paths[0], "-f", "table", "--width", "0"])
        .run()
        .stdout;
    let csv = Test::new().args(&["batch", &paths[0]]).run().stdout;
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with('┌') && lines[2].starts_with('╞'),
        "{}",
        lines[0]
    );
    assert!(lines.last().unwrap().starts_with('└'));
    // (A Chinese character is two columns wide; box drawing, one.)
    let shown = |l: &str| -> usize { l.chars().map(|c| 1 + usize::from(c >= '\u{2E80}')).sum() };
    let widths: std::collections::BTreeSet<usize> = lines.iter().map(|l| shown(l)).collect();
    assert_eq!(widths.len(), 1, "{widths:?}");
    let rows: Vec<Vec<String>> = lines[3..lines.len() - 1]
        .iter()
        .map(|l| {
            // (A number that does not apply is `-` in a table, empty in CSV.)
            l.trim_matches('│')
                .split('┆')
                .map(|c| c.trim().replace(',', ""))
                .map(|c| if c == "-" { String::new() } else { c })
                .collect()
        })
        .collect();
    let want: Vec<Vec<String>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    assert_eq!(rows.len(), 10_000);
    assert_eq!(rows, want);
}

/// The number format of each cell of a worksheet's row `row` (1-based), as
/// the workbook stores it: `None` for a cell in the default style.
fn number_formats(path: &std::path::Path, row: u32) -> Vec<(String, Option<String>)> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut part = |name: &str| {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut text).unwrap();
        text
    };
    let (sheet, styles) = (part("xl/worksheets/sheet1.xml"), part("xl/styles.xml"));
    let styles = roxmltree::Document::parse(&styles).unwrap();
    let formats: std::collections::HashMap<&str, &str> = (styles.descendants())
        .filter(|n| n.has_tag_name("numFmt"))
        .map(|n| {
            (
                n.attribute("numFmtId").unwrap(),
                n.attribute("formatCode").unwrap(),
            )
        })
        .collect();
    let xfs: Vec<Option<String>> = (styles.descendants())
        .find(|n| n.has_tag_name("cellXfs"))
        .unwrap()
        .children()
        .filter(|n| n.has_tag_name("xf"))
        .map(|xf| {
            let id = xf.attribute("numFmtId").unwrap_or("0");
            (id != "0").then(|| formats.get(id).map_or(id.to_string(), |f| f.to_string()))
        })
        .collect();
    let sheet = roxmltree::Document::parse(&sheet).unwrap();
    let wanted = row.to_string();
    let cells = (sheet.descendants())
        .find(|n| n.has_tag_name("row") && n.attribute("r") == Some(wanted.as_str()))
        .unwrap();
    cells
        .children()
        .filter(|c| c.has_tag_name("c"))
        .map(|c| {
            let style = c.attribute("s").map_or(0, |s| s.parse::<usize>().unwrap());
            (c.attribute("r").unwrap().to_string(), xfs[style].clone())
        })
        .collect()
}

#[test]
fn a_batch_workbook_groups_counts_and_money_not_a_month_of_digits() {
    // A month of digits and an order number are numbers as written
    // (202601, not 202,601); the calls and the bill are counts and money.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bills.xlsx");
    Test::new()
        .args(&["batch", "-f", "xlsx", "-o", path.to_str().unwrap()])
        .stdin("账期,接口,调用量,订单号\n202601,idcard,12000,20260115001\n")
        .run();
    let rows = first_sheet(&path);
    assert_eq!(rows[1][0], Data::Float(202601.0));
    let formats = number_formats(&path, 2);
    let format = |cell: &str| {
        formats
            .iter()
            .find(|(r, _)| r == cell)
            .unwrap_or_else(|| panic!("no {cell} in {formats:?}"))
            .1
            .clone()
    };
    assert_eq!(format("A2"), None, "the month");
    assert_eq!(format("D2"), None, "the order number");
    assert_eq!(format("C2").as_deref(), Some("#,##0"), "the calls");
    let at = (b'A' + column(&rows, "amount") as u8) as char;
    let amount = format(&format!("{at}2"));
    assert_eq!(amount.as_deref(), Some("#,##0.00"), "the amount");
}

/// What a report assumed is in its table and its JSON; CSV and a workbook
/// have no place for it, so it goes to stderr, said once, as `batch` says
/// its own notes.
#[test]
fn notes_of_a_report_go_to_stderr_beside_csv_and_a_workbook() {
    let one_time = "its one-time 50 free calls (granted once at activation) are taken as spent";
    let verify = [
        "--edition",
        "d",
        "postpaid",
        "--api",
        "增值税发票核验",
        "--calls",
        "100",
    ];
    let plan = [
        "--edition",
        "d",
        "plan",
        "--api",
        "增值税发票核验",
        "--monthly",
        "100",
        "200",
    ];
    let quote = [
        "--edition",
        "d",
        "quote",
        "--api",
        "增值税发票核验",
        "--calls",
        "100",
    ];
    for args in [&verify[..], &plan, &quote] {
        let ran = Test::new().args(args).args(&["-f", "csv"]).run();
        assert_eq!(
            ran.stderr.matches(one_time).count(),
            1,
            "{args:?}: {}",
            ran.stderr
        );
        assert!(
            ran.stderr.starts_with("note: vat-invoice-verify: "),
            "{}",
            ran.stderr
        );
        let dir = tempfile::tempdir().unwrap();
        let book = dir.path().join("out.xlsx");
        let ran = Test::new()
            .args(args)
            .args(&["-o", book.to_str().unwrap()])
            .run();
        assert!(ran.stderr.contains(one_time), "{args:?}: {}", ran.stderr);
        // The table and JSON say it themselves.
        let ran = Test::new().args(args).run();
        assert!(
            ran.stdout.contains(one_time) && ran.stderr.is_empty(),
            "{args:?}"
        );
        let ran = Test::new().args(args).args(&["-f", "json"]).run();
        assert!(
            ran.stdout.contains(one_time) && ran.stderr.is_empty(),
            "{args:?}"
        );
    }
    // Plans of several items where an account's free calls are shared
    // (edition b) each take their share: said in every format, and of each
    // account of a file.
    let overcount = "each item is planned with its share";
    let plans = [
        "--edition",
        "b",
        "plan",
        "--api",
        "idcard",
        "--monthly",
        "5000",
        "--api",
        "general",
        "--monthly",
        "5000",
    ];
    let ran = Test::new().args(&plans).run();
    assert!(
        ran.stdout.contains("Note: this edition's 1000 free calls"),
        "{}",
        ran.stdout
    );
    let v = Test::new().args(&plans).json();
    assert!(v["notes"][0].as_str().unwrap().contains(overcount), "{v}");
    let ran = Test::new().args(&plans).args(&["-f", "csv"]).run();
    assert!(
        ran.stderr.contains("note: this edition's 1000 free calls"),
        "{}",
        ran.stderr
    );
    let ran = Test::new()
        .args(&["--edition", "b", "plan", "-f", "csv"])
        .stdin(
            "account,month,api,calls\na,2026-01,idcard,5000\na,2026-01,general,5000\n\
             b,2026-01,idcard,5000\n",
        )
        .args(&["--usage", "-"])
        .run();
    assert_eq!(ran.stderr.matches(overcount).count(), 1, "{}", ran.stderr);
    assert!(
        ran.stderr.contains("note: account a: this edition's"),
        "{}",
        ran.stderr
    );
}
