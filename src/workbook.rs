//! A workbook given as input (xlsx, xls, xlsb, ods), read as the CSV text
//! Excel would save of it: the readers then take it as they take any CSV.
//!
//! A cell becomes the text Excel shows for it in a plain format: a whole
//! number without decimals (`9000`, an account `100012345678`), another number
//! at its shortest exact decimal (`0.15`), a date as `2026-01-05` (with its
//! time when it has one), text as it is. A cell holding an Excel error
//! (`#N/A`) is refused with its address, never read as a value. A merged
//! cell of the account, month or API column stands for each row it spans, as
//! the sheet shows it. The (first) sheet's rows keep their numbers: line N of
//! the text is row N of the sheet.

use std::fmt::Write as _;
use std::io::{Cursor, Read};

use calamine::{Data, Reader};

/// The largest workbook read: a workbook is read whole, and its cells take
/// many times its size in memory.
pub const MAX_WORKBOOK_BYTES: usize = 64 << 20;

/// Why a workbook is not read.
#[derive(Debug)]
pub struct WorkbookError {
    /// What is wrong, naming the sheet or cell.
    pub message: String,
    /// What to do (none for a cell that holds an error: the workbook's own).
    pub remedy: Option<crate::Remedy>,
}

impl WorkbookError {
    fn whole(message: String) -> WorkbookError {
        WorkbookError {
            message,
            remedy: Some(crate::Remedy::SaveAsCsv),
        }
    }
}

/// The CSV text of sheet `chosen` of a workbook, or of its sheet with data:
/// its first, or every sheet with data when they all begin with the same
/// header row (one export split into sheets); an error naming why it is not
/// read.
pub fn csv_of(bytes: Vec<u8>, chosen: Option<&str>) -> Result<Vec<u8>, WorkbookError> {
    if bytes.len() > MAX_WORKBOOK_BYTES {
        return Err(WorkbookError::whole(format!(
            "the input is a workbook of {} MB, larger than the {} MB read",
            bytes.len() >> 20,
            MAX_WORKBOOK_BYTES >> 20
        )));
    }
    let uncalculated = calculated_on_opening(&bytes);
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| {
        WorkbookError::whole(format!(
            "the input is a spreadsheet workbook that could not be read ({e})"
        ))
    })?;
    let names = book.sheet_names();
    if let Some(chosen) = chosen {
        if !names.iter().any(|n| n == chosen) {
            return Err(WorkbookError {
                message: format!(
                    "--sheet '{chosen}': the workbook has no such sheet; its sheets: {}",
                    names.join(", ")
                ),
                remedy: None,
            });
        }
    }
    let mut sheets = Vec::new();
    for name in names.into_iter().filter(|n| chosen.is_none_or(|c| c == n)) {
        let merged = merged_cells(&mut book, &name);
        let mut range = book.worksheet_range(&name).map_err(|e| {
            WorkbookError::whole(format!(
                "sheet '{name}' of the workbook could not be read ({e})"
            ))
        })?;
        if !range.is_empty() {
            // A formula's value is what the workbook saved of it: a cell left
            // empty may hold a formula never calculated (a workbook written by
            // a script), whose value Excel would show and a bill must not lose.
            if uncalculated || range.cells().any(|(_, _, cell)| no_value(cell)) {
                if let Ok(formulas) = book.worksheet_formula(&name) {
                    uncalculated_formula(&name, &range, &formulas, uncalculated)?;
                }
            }
            fill_merged(&mut range, &merged);
            sheets.push((name, range));
        }
    }
    let Some((_, first)) = sheets.first() else {
        return Err(WorkbookError::whole(match chosen {
            Some(name) => format!("sheet '{name}' of the workbook has no data"),
            None => "the workbook has no sheet with data".into(),
        }));
    };
    let header = |range: &calamine::Range<Data>| range.rows().next().map(<[Data]>::to_vec);
    if let Some((name, _)) = sheets.iter().find(|(_, r)| header(r) != header(first)) {
        let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
        return Err(WorkbookError {
            message: format!(
                "the workbook has {} sheets with data ({}), and sheet '{name}' begins with \
                 another header than the first: which to bill is not known",
                sheets.len(),
                names.join(", ")
            ),
            remedy: Some(crate::Remedy::ChooseSheet),
        });
    }
    let mut out = Vec::new();
    for (index, (name, range)) in sheets.iter().enumerate() {
        let (row0, col0) = range.start().unwrap_or((0, 0));
        // The sheet's own row numbers: empty lines for the rows above its data
        // (and between sheets, the next sheet after a blank line).
        if index == 0 {
            out.resize(row0 as usize, b'\n');
        } else {
            out.push(b'\n');
        }
        for (r, row) in range.rows().enumerate() {
            let mut fields = Vec::with_capacity(row.len());
            for (c, cell) in row.iter().enumerate() {
                let at = || address(name, row0 as usize + r, col0 as usize + c);
                fields.push(text_of(cell).map_err(|e| WorkbookError {
                    message: format!("{}: {e}", at()),
                    remedy: None,
                })?);
            }
            write_record(&mut out, &fields);
        }
    }
    Ok(out)
}

/// The merged cells (合并单元格) of sheet `name`, where the workbook's format
/// keeps them (xlsx, xls).
fn merged_cells<RS: std::io::Read + std::io::Seek>(
    book: &mut calamine::Sheets<RS>,
    name: &str,
) -> Vec<calamine::Dimensions> {
    match book {
        calamine::Sheets::Xlsx(x) => x.merge_cells_by_sheet_name(name).unwrap_or_default(),
        calamine::Sheets::Xls(x) => x.merge_cells_by_sheet_name(name).unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// Rows searched for the header, from the sheet's first.
const HEADER_ROWS: usize = 16;

/// Fills the cells below the first of a merged cell of the API, account and
/// month columns, as the header names them, with its value: a sheet shows a
/// merged cell's value in each row it spans (an account's rows under one
/// account cell), where Excel's CSV keeps it in the first row alone. Only a
/// cell of one column spanning rows below the header is filled, only where
/// empty, and never in another column: a count merged over rows (the calls
/// column) is no row's count, and its rows stay empty, so refused.
fn fill_merged(range: &mut calamine::Range<Data>, merged: &[calamine::Dimensions]) {
    use crate::columns::{resolve, Role, Wanted};
    let (Some((row0, col0)), Some((last, _))) = (range.start(), range.end()) else {
        return;
    };
    if merged.is_empty() {
        return;
    }
    // The header: the first row that names an API column.
    let api = [Wanted::named(Role::Api, None, true)];
    let header = range
        .rows()
        .take(HEADER_ROWS)
        .enumerate()
        .find_map(|(r, row)| {
            let names: Vec<String> = row.iter().map(|c| text_of(c).unwrap_or_default()).collect();
            let found = resolve(&names, &api).ok()?;
            Some((r as u32, names, found[0]?))
        });
    let Some((header, names, api)) = header else {
        return;
    };
    let roles = [
        Wanted::optional(Role::Account),
        Wanted::optional(Role::Month),
    ];
    let calls = resolve(&names, &[Wanted::optional(Role::Calls)])
        .ok()
        .and_then(|found| found[0]);
    let columns: Vec<u32> = (resolve(&names, &roles).unwrap_or_default().into_iter())
        .flatten()
        .chain([api])
        .filter(|&c| Some(c) != calls)
        .map(|c| col0 + c as u32)
        .collect();
    for region in merged {
        let ((top, col), (bottom, right)) = (region.start, region.end);
        if col != right || top <= row0 + header || !columns.contains(&col) {
            continue;
        }
        let Some(value) = (range.get_value((top, col)))
            .filter(|v| **v != Data::Empty)
            .cloned()
        else {
            continue;
        };
        for row in top + 1..=bottom.min(last) {
            if range
                .get_value((row, col))
                .is_none_or(|v| *v == Data::Empty)
            {
                range.set_value((row, col), value.clone());
            }
        }
    }
}

/// Whether an xlsx workbook asks to be calculated when opened
/// (`fullCalcOnLoad`): a program that writes formulas without calculating
/// them (XlsxWriter, rust_xlsxwriter) sets it and saves 0 as each one's value.
fn calculated_on_opening(bytes: &[u8]) -> bool {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return false;
    };
    let Ok(part) = zip.by_name("xl/workbook.xml") else {
        return false;
    };
    let mut xml = String::new();
    // (The part is a few KB; a larger one is no workbook a program wrote.)
    if part.take(1 << 20).read_to_string(&mut xml).is_err() {
        return false;
    }
    ["fullCalcOnLoad=\"1\"", "fullCalcOnLoad=\"true\""]
        .iter()
        .any(|flag| xml.contains(flag))
}

/// Refuses a formula whose value the workbook does not hold: an empty cell
/// of `values` that `formulas` says holds one (its value never saved), or in
/// a workbook `uncalculated`, a formula whose saved value is 0 (the
/// placeholder such a program saves; a value of its own, saved by a program
/// that does calculate and still asks for it, is read). Excel would show the
/// calculated value, which a bill must not lose.
fn uncalculated_formula(
    sheet: &str,
    values: &calamine::Range<Data>,
    formulas: &calamine::Range<String>,
    uncalculated: bool,
) -> Result<(), WorkbookError> {
    let (row0, col0) = formulas.start().unwrap_or((0, 0));
    for (row, col, formula) in formulas.used_cells() {
        let at = (row0 + row as u32, col0 + col as u32);
        let value = values.get_value(at);
        let unsaved = value.is_none_or(no_value);
        let placeholder = uncalculated && value.is_some_and(is_zero);
        if formula.is_empty() || !(unsaved || placeholder) {
            continue;
        }
        let why = if unsaved {
            "with no value saved"
        } else {
            "not calculated (the workbook asks to be calculated when opened)"
        };
        return Err(WorkbookError {
            message: format!(
                "{}: the cell holds the formula ={formula} {why}: the workbook was written by \
                 a program that does not calculate formulas",
                address(sheet, at.0 as usize, at.1 as usize)
            ),
            remedy: Some(crate::Remedy::SaveAsCsv),
        });
    }
    Ok(())
}

/// A cell of the number 0.
fn is_zero(cell: &Data) -> bool {
    match cell {
        Data::Int(i) => *i == 0,
        Data::Float(f) => *f == 0.0,
        _ => false,
    }
}

/// An empty cell, or one of empty text (a formula's value left empty).
fn no_value(cell: &Data) -> bool {
    match cell {
        Data::Empty => true,
        Data::String(s) => s.is_empty(),
        _ => false,
    }
}

/// The text of a cell, as Excel shows it in a plain format.
fn text_of(cell: &Data) -> Result<String, String> {
    Ok(match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(d) if d.is_datetime() => {
            let (y, mo, day, h, mi, s, _) = d.to_ymd_hms_milli();
            let mut t = format!("{y:04}-{mo:02}-{day:02}");
            if (h, mi, s) != (0, 0, 0) {
                let _ = write!(t, " {h:02}:{mi:02}:{s:02}");
            }
            t
        }
        Data::DateTime(d) => number(d.as_f64()),
        Data::Error(e) => return Err(format!("the cell holds the Excel error {e}")),
    })
}

/// A number as its shortest exact decimal, a whole one without decimals.
fn number(f: f64) -> String {
    // (Rust writes a float in full decimals, never with an exponent.)
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// A cell's address (`Sheet1!B3`).
fn address(sheet: &str, row: usize, col: usize) -> String {
    let mut letters = Vec::new();
    let mut c = col + 1;
    while c > 0 {
        letters.push(b'A' + ((c - 1) % 26) as u8);
        c = (c - 1) / 26;
    }
    letters.reverse();
    format!(
        "{sheet}!{}{}",
        String::from_utf8(letters).expect("ASCII letters"),
        row + 1
    )
}

/// Appends a CSV record, each field quoted as the batch output quotes it.
fn write_record(out: &mut Vec<u8>, fields: &[String]) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        crate::batch::csv_field(out, field.as_bytes());
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_read_as_excel_shows_them() {
        assert_eq!(number(9000.0), "9000");
        assert_eq!(number(100_012_345_678.0), "100012345678");
        assert_eq!(number(0.15), "0.15");
        assert_eq!(number(9000.5), "9000.5");
        assert_eq!(number(1e21), "1000000000000000000000");
        assert_eq!(address("Sheet1", 0, 0), "Sheet1!A1");
        assert_eq!(address("用量", 9, 27), "用量!AB10");
        let mut out = Vec::new();
        write_record(
            &mut out,
            &["a,b".into(), "say \"hi\"".into(), String::new()],
        );
        assert_eq!(out, b"\"a,b\",\"say \"\"hi\"\"\",\n");
    }
}
