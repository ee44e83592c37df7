//! CSV: the one CSV writer of reports, plain or for Excel.

use super::*;

/// A grid as CSV bytes.
pub fn csv_bytes(grid: &Grid, style: CsvStyle) -> anyhow::Result<Vec<u8>> {
    let mut out = CsvOut::new(style);
    out.row(grid.header_cells())?;
    for row in grid.rows() {
        out.row(grid.cells(row))?;
    }
    out.finish()
}

/// A cell as written, neutralised or not (no copy when unchanged).
struct CsvCell<'c>(std::borrow::Cow<'c, str>);

impl AsRef<[u8]> for CsvCell<'_> {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// CSV written a row at a time, in a style: the one CSV writer of reports.
pub struct CsvOut {
    writer: csv::Writer<Vec<u8>>,
    excel: bool,
    /// Per column, from the header (the first row): it names accounts.
    accounts: Option<Vec<bool>>,
}

impl CsvOut {
    pub fn new(style: CsvStyle) -> CsvOut {
        let excel = style == CsvStyle::Excel;
        let mut out = Vec::new();
        if excel {
            out.extend_from_slice(ocr_bill::UTF8_BOM);
        }
        CsvOut {
            writer: Self::writer(excel, out),
            excel,
            accounts: None,
        }
    }

    fn writer(excel: bool, out: Vec<u8>) -> csv::Writer<Vec<u8>> {
        csv::WriterBuilder::new()
            .terminator(if excel {
                csv::Terminator::CRLF
            } else {
                csv::Terminator::Any(b'\n')
            })
            .from_writer(out)
    }

    /// Writes a row (a header is one too).
    pub fn row<'c>(&mut self, cells: impl IntoIterator<Item = &'c str>) -> anyhow::Result<()> {
        match &self.accounts {
            Some(accounts) => write_row(&mut self.writer, self.excel, accounts, cells),
            None => {
                // The first row is the header: its names say which columns
                // hold accounts (and none of its own cells is an account).
                let cells: Vec<&str> = cells.into_iter().collect();
                write_row(&mut self.writer, self.excel, &[], cells.iter().copied())?;
                self.accounts = Some(cells.iter().map(|h| ocr_bill::names_accounts(h)).collect());
                Ok(())
            }
        }
    }

    /// Moves the CSV written so far into `out` (its buffer kept for the rows
    /// to come).
    pub fn drain_into(&mut self, out: &mut impl Write) -> anyhow::Result<()> {
        let fresh = Self::writer(self.excel, Vec::new());
        let written = std::mem::replace(&mut self.writer, fresh).into_inner();
        let mut written = written.map_err(|e| e.into_error())?;
        out.write_all(&written)?;
        written.clear();
        self.writer = Self::writer(self.excel, written);
        Ok(())
    }

    pub fn finish(self) -> anyhow::Result<Vec<u8>> {
        Ok(self.writer.into_inner().map_err(|e| e.into_error())?)
    }
}

/// Writes one row's cells, neutralised for Excel (`accounts` says which
/// columns hold account IDs).
fn write_row<'c>(
    writer: &mut csv::Writer<Vec<u8>>,
    excel: bool,
    accounts: &[bool],
    cells: impl IntoIterator<Item = &'c str>,
) -> anyhow::Result<()> {
    writer.write_record(cells.into_iter().enumerate().map(|(i, c)| {
        let account = accounts.get(i).copied().unwrap_or(false);
        CsvCell(if excel {
            ocr_bill::spreadsheet_safe(c, account)
        } else {
            std::borrow::Cow::Borrowed(c)
        })
    }))?;
    Ok(())
}
