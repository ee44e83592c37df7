//! What spreadsheets and the Tencent console export: workbooks, title lines,
//! totals and subtotal rows, pivots with months or APIs as columns, merged
//! cells, bill details.

use super::usage;
use crate::files;
use crate::test::Test;

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

/// The total a batch run states on stderr (`total 1200.00 CNY`).
fn stated_total(stderr: &str) -> String {
    let at = stderr.find(", total ").expect("a total") + ", total ".len();
    stderr[at..].split(' ').next().unwrap().to_string()
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
