//! Excel workbooks, written a row at a time.

use super::*;

/// Rows a worksheet holds below its header (1,048,576 rows in all).
const SHEET_ROWS: u32 = (1 << 20) - 1;

/// Refuses a row past what a worksheet holds below its header, saying what to
/// write instead.
fn fits_a_worksheet(rows: u32) -> anyhow::Result<()> {
    if rows > SHEET_ROWS {
        anyhow::bail!(
            "{rows} rows do not fit a worksheet, which holds {SHEET_ROWS} below its header; \
             write CSV instead (-f csv, or --excel for a spreadsheet)"
        );
    }
    Ok(())
}

/// An Excel workbook written a row at a time: numbers as number cells (money
/// with two decimals and thousands separators, counts with thousands
/// separators), text and account IDs as text, a bold frozen header row,
/// columns fitted to what they hold. Each worksheet keeps one row in memory
/// and writes the rows before it to a temporary file (in memory if none can
/// be made), so a sheet of a million rows takes little more memory than its
/// distinct texts.
pub struct XlsxBook {
    book: rust_xlsxwriter::Workbook,
    sheets: Vec<XlsxSheet>,
    header: rust_xlsxwriter::Format,
    money: rust_xlsxwriter::Format,
    count: rust_xlsxwriter::Format,
    price: rust_xlsxwriter::Format,
}

/// A worksheet being written.
struct XlsxSheet {
    /// Per column: it names accounts (an account ID is text, never a number
    /// shown as `100,012,345,678`).
    ids: Vec<bool>,
    /// Per column: its numbers are counts or money, shown with thousands
    /// separators (else a number as written: a month of digits, `202601`).
    counted: Vec<bool>,
    /// Per column: the widest cell as shown, in character widths.
    widths: Vec<usize>,
    /// Rows written below the header.
    rows: u32,
}

impl XlsxBook {
    pub fn new() -> XlsxBook {
        use rust_xlsxwriter::Format as Cell;
        XlsxBook {
            book: rust_xlsxwriter::Workbook::new(),
            sheets: Vec::new(),
            header: Cell::new().set_bold(),
            money: Cell::new().set_num_format("#,##0.00"),
            count: Cell::new().set_num_format("#,##0"),
            price: Cell::new().set_num_format("0.00##########"),
        }
    }

    /// Worksheets so far.
    pub fn sheets(&self) -> usize {
        self.sheets.len()
    }

    /// Adds a worksheet with its header row; returns its number.
    pub fn add_sheet(&mut self, name: &str, headers: &[&str]) -> anyhow::Result<usize> {
        let index = self.sheets.len();
        // One row in memory; the workbook's own way when no temporary file
        // can be made.
        if self.book.add_worksheet_with_low_memory().is_err() {
            self.book.add_worksheet();
        }
        let sheet = self.book.worksheet_from_index(index)?;
        sheet.set_name(name)?;
        sheet.set_freeze_panes(1, 0)?;
        for (c, h) in headers.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, *h, &self.header)?;
        }
        self.sheets.push(XlsxSheet {
            ids: headers
                .iter()
                .map(|h| ocr_bill::names_accounts(h))
                .collect(),
            counted: vec![true; headers.len()],
            // A bold header is a little wider than its characters.
            widths: headers.iter().map(|h| shown_width(h) * 11 / 10).collect(),
            rows: 0,
        });
        Ok(index)
    }

    /// Writes the next row of worksheet `sheet`.
    pub fn row<'c>(
        &mut self,
        sheet: usize,
        cells: impl IntoIterator<Item = &'c str>,
    ) -> anyhow::Result<()> {
        let s = &mut self.sheets[sheet];
        fits_a_worksheet(s.rows + 1)?;
        s.rows += 1;
        let (r, ws) = (s.rows, self.book.worksheet_from_index(sheet)?);
        for (c, cell) in cells.into_iter().enumerate() {
            let number = number_of(cell).filter(|_| !s.ids.get(c).copied().unwrap_or(false));
            let col = c as u16;
            let width = match number {
                Some((v, _)) if !s.counted.get(c).copied().unwrap_or(true) => {
                    ws.write_number(r, col, v)?;
                    cell.len()
                }
                Some((v, 0)) => {
                    ws.write_number_with_format(r, col, v, &self.count)?;
                    grouped(cell).len()
                }
                Some((v, 2)) => {
                    ws.write_number_with_format(r, col, v, &self.money)?;
                    grouped(cell).len()
                }
                Some((v, _)) => {
                    ws.write_number_with_format(r, col, v, &self.price)?;
                    cell.len()
                }
                None => {
                    ws.write_string(r, col, cell)?;
                    shown_width(cell)
                }
            };
            match s.widths.get_mut(c) {
                Some(w) => *w = (*w).max(width),
                None => s.widths.push(width),
            }
        }
        Ok(())
    }

    /// The workbook's bytes, its columns fitted.
    pub fn finish(mut self) -> anyhow::Result<Vec<u8>> {
        for (i, sheet) in self.sheets.iter().enumerate() {
            let ws = self.book.worksheet_from_index(i)?;
            for (c, &w) in sheet.widths.iter().enumerate() {
                // Characters as Excel counts them, with a margin; at most
                // what a long text needs to be read.
                ws.set_column_width(c as u16, (w.min(80) + 1) as f64)?;
            }
        }
        Ok(self.book.save_to_buffer()?)
    }
}

/// CSV (a header and rows) as a workbook of one sheet, row by row; the
/// numbers of the columns `counted` picks from the header with thousands
/// separators.
pub fn xlsx_of_csv(
    name: &str,
    csv: impl io::Read,
    counted: impl Fn(&[String]) -> Vec<bool>,
) -> anyhow::Result<Vec<u8>> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(csv);
    let mut book = XlsxBook::new();
    let headers: Vec<String> = reader.headers()?.iter().map(String::from).collect();
    let sheet = book.add_sheet(
        name,
        &headers.iter().map(String::as_str).collect::<Vec<_>>(),
    )?;
    book.sheets[sheet].counted = counted(&headers);
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record)? {
        book.row(sheet, record.iter())?;
    }
    book.finish()
}

/// The sheets as an Excel workbook (see [`XlsxBook`]).
pub fn xlsx_bytes(sheets: &[(String, Grid)]) -> anyhow::Result<Vec<u8>> {
    let mut book = XlsxBook::new();
    for (name, grid) in sheets {
        let headers: Vec<&str> = grid.header_cells().collect();
        let sheet = book.add_sheet(name, &headers)?;
        for row in grid.rows() {
            book.row(sheet, grid.cells(row))?;
        }
    }
    book.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worksheet_holds_a_header_and_1_048_575_rows() {
        assert!(fits_a_worksheet(1_048_575).is_ok());
        let err = fits_a_worksheet(1_048_576).unwrap_err().to_string();
        assert!(
            err.contains("1048576 rows do not fit a worksheet") && err.contains("-f csv"),
            "{err}"
        );
    }
}
