//! Output as data: one renderer per format. A report is serialized for JSON,
//! flattened to a grid for CSV, and drawn as a table for people.

use std::io::{self, Write};

use clap::ValueEnum;
use comfy_table::{presets, CellAlignment, ColumnConstraint, ContentArrangement, Table, Width};
use serde::Serialize;

/// The output formats every subcommand offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A readable table with notes (default)
    Table,
    /// JSON (money as strings with two decimals)
    Json,
    /// CSV with a header row
    Csv,
    /// An Excel workbook (.xlsx): real number cells, a sheet per table
    Xlsx,
    /// The loaded price list as a pricing file (`prices` only)
    Toml,
}

impl std::fmt::Display for Format {
    /// The name `--format` takes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.to_possible_value() {
            Some(v) => f.write_str(v.get_name()),
            None => Ok(()),
        }
    }
}

/// How CSV is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CsvStyle {
    /// Plain CSV for pipelines: UTF-8, LF, every cell as it is.
    #[default]
    Plain,
    /// CSV that Excel and WPS open right by double-click: a UTF-8 byte-order
    /// mark, CRLF, and cells that would start a formula neutralised.
    Excel,
}

/// Rows for CSV: a header and string cells.
pub struct Grid {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Columns a table fitted to a narrow width leaves out first, in order.
    pub secondary: Vec<usize>,
    /// A last column with one value on every row (its name and the value),
    /// kept once, not in each row: see [`Grid::with_currency`].
    last: Option<(&'static str, String)>,
}

impl Grid {
    pub fn new<S: AsRef<str>>(headers: &[S]) -> Grid {
        Grid {
            headers: headers.iter().map(|h| h.as_ref().to_string()).collect(),
            rows: Vec::new(),
            secondary: Vec::new(),
            last: None,
        }
    }

    /// Names the columns a table fitted to a narrow width may leave out, most
    /// dispensable first (CSV, JSON and workbooks keep every column).
    pub fn secondary(mut self, names: &[&str]) -> Grid {
        self.secondary = names
            .iter()
            .filter_map(|n| self.headers.iter().position(|h| h == n))
            .collect();
        self
    }

    pub fn push(&mut self, row: Vec<String>) {
        debug_assert_eq!(row.len(), self.headers.len());
        self.rows.push(row);
    }

    /// The grid with a last column, `currency`, naming the currency of every
    /// row's money (RULES §7.4: every output names it; one set of columns in
    /// every edition).
    pub fn with_currency(mut self, currency: &str) -> Grid {
        self.last = Some(("currency", currency.to_string()));
        self
    }

    /// The header's names, the last column's included.
    pub fn header_cells(&self) -> impl Iterator<Item = &str> {
        let last = self.last.as_ref().map(|(name, _)| *name);
        self.headers.iter().map(String::as_str).chain(last)
    }

    /// A row's cells, the last column's included.
    pub fn cells<'g>(&'g self, row: &'g [String]) -> impl Iterator<Item = &'g str> {
        let last = self.last.as_ref().map(|(_, value)| value.as_str());
        row.iter().map(String::as_str).chain(last)
    }
}

/// A result that can be shown in every format.
pub trait Report: Serialize {
    /// Human output: tables and notes.
    fn human(&self) -> String;
    /// CSV rows.
    fn grid(&self) -> Grid;
    /// The workbook's sheets: a name and a table each.
    fn sheets(&self) -> Vec<(String, Grid)> {
        vec![("ocr-bill".to_string(), self.grid())]
    }
    /// What the report assumed (a one-time free pack taken as spent, an
    /// account's free calls counted by each item's plan): the table and JSON
    /// say it; beside CSV and a workbook, which have no place for it, it goes
    /// to stderr.
    fn notes(&self) -> Vec<&str> {
        Vec::new()
    }
    /// What the report of one account adds to the sums over a file's
    /// accounts, if anything is summed.
    fn summed(&self) -> Option<Summed> {
        None
    }
}

/// Amounts of one account's report that are summed over a file's accounts,
/// and how a table says their sums.
#[derive(Clone, Debug)]
pub struct Summed {
    /// Each amount and its JSON key, in the order `line` takes them.
    pub amounts: Vec<(&'static str, Amount)>,
    /// The table's words for the amounts, each `{}` the next amount
    /// (`paid postpaid {}; …`).
    pub line: &'static str,
}

/// A summed amount: money, or a count of calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Amount {
    /// Money, written with two decimals (a string in JSON).
    Money(ocr_bill::Money),
    /// Calls (an integer in JSON).
    Calls(u64),
}

impl std::fmt::Display for Amount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Amount::Money(m) => m.fmt(f),
            Amount::Calls(n) => n.fmt(f),
        }
    }
}

impl Summed {
    /// Adds another account's amounts, which are of the same report.
    pub fn add(&mut self, other: &Summed) -> anyhow::Result<()> {
        let keys = |s: &Summed| s.amounts.iter().map(|(k, _)| *k).collect::<Vec<_>>();
        if keys(self) != keys(other) {
            anyhow::bail!(
                "the accounts' sums are of other amounts: {:?} and {:?}",
                keys(self),
                keys(other)
            );
        }
        for ((_, sum), (_, more)) in self.amounts.iter_mut().zip(&other.amounts) {
            *sum = match (*sum, *more) {
                (Amount::Money(a), Amount::Money(b)) => Amount::Money(a.checked_add(b)?),
                (Amount::Calls(a), Amount::Calls(b)) => Amount::Calls(
                    a.checked_add(b)
                        .ok_or_else(|| anyhow::anyhow!("the accounts' calls overflow a count"))?,
                ),
                _ => anyhow::bail!("amounts of different kinds cannot be summed"),
            };
        }
        Ok(())
    }

    /// The table's line of the sums.
    pub fn line(&self) -> String {
        let mut amounts = self.amounts.iter().map(|(_, a)| num(a));
        let mut words = self.line.split("{}");
        let mut out = words.next().unwrap_or_default().to_string();
        for word in words {
            out.push_str(&amounts.next().unwrap_or_default());
            out.push_str(word);
        }
        out
    }
}

impl Serialize for Summed {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.amounts.len()))?;
        for (key, amount) in &self.amounts {
            map.serialize_entry(key, amount)?;
        }
        map.end()
    }
}

/// A report's notes, when written as CSV or a workbook: on stderr (`note: …`,
/// `note: account 1001: …`).
pub fn tell_notes(notes: &[&str], format: Format, account: Option<&str>) -> io::Result<()> {
    if matches!(format, Format::Csv | Format::Xlsx) {
        let whose = account.map_or_else(String::new, |a| format!("account {a}: "));
        for note in notes {
            diagnostic(&format!("note: {whose}{note}"))?;
        }
    }
    Ok(())
}

/// Renders a report in a format, as bytes for the output.
pub fn render<R: Report>(report: &R, format: Format, style: CsvStyle) -> anyhow::Result<Vec<u8>> {
    tell_notes(&report.notes(), format, None)?;
    Ok(match format {
        Format::Table => report.human().into_bytes(),
        Format::Json => {
            let mut out = serde_json::to_vec_pretty(report)?;
            out.push(b'\n');
            out
        }
        Format::Csv => csv_bytes(&report.grid(), style)?,
        Format::Xlsx => xlsx_bytes(&report.sheets())?,
        Format::Toml => anyhow::bail!("--format toml is for `prices` only"),
    })
}

/// A grid as CSV bytes.
pub fn csv_bytes(grid: &Grid, style: CsvStyle) -> anyhow::Result<Vec<u8>> {
    let mut out = CsvOut::new(style);
    out.row(grid.header_cells())?;
    for row in &grid.rows {
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
        let cells: Vec<&str> = cells.into_iter().collect();
        // The first row is the header: its names say which columns hold
        // accounts.
        let header = self.accounts.is_none();
        let accounts = self
            .accounts
            .get_or_insert_with(|| cells.iter().map(|h| ocr_bill::names_accounts(h)).collect());
        let excel = self.excel;
        self.writer
            .write_record(cells.iter().enumerate().map(|(i, &c)| {
                let account = !header && accounts.get(i).copied().unwrap_or(false);
                CsvCell(if excel {
                    ocr_bill::spreadsheet_safe(c, account)
                } else {
                    std::borrow::Cow::Borrowed(c)
                })
            }))?;
        Ok(())
    }

    /// Moves the CSV written so far into `out`.
    pub fn drain_into(&mut self, out: &mut impl Write) -> anyhow::Result<()> {
        let fresh = Self::writer(self.excel, Vec::new());
        let written = std::mem::replace(&mut self.writer, fresh).into_inner();
        out.write_all(&written.map_err(|e| e.into_error())?)?;
        Ok(())
    }

    pub fn finish(self) -> anyhow::Result<Vec<u8>> {
        Ok(self.writer.into_inner().map_err(|e| e.into_error())?)
    }
}

/// CSV (a header and rows) drawn as a table, read twice: once to lay the
/// table out, once to draw it a chunk of rows at a time, so that a table of
/// a million rows takes the memory of a few thousand. `secondary` names the
/// columns a table fitted to a narrow width leaves out first.
pub fn table_of_csv<R: io::Read + io::Seek>(
    mut csv: R,
    secondary: &[&str],
    counted: impl Fn(&[String]) -> Vec<bool>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    type Records<'r, R> = csv::StringRecordsIntoIter<&'r mut R>;
    fn records<R: io::Read>(csv: &mut R) -> anyhow::Result<(Vec<String>, Records<'_, R>)> {
        let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(csv);
        let headers = reader.headers()?.iter().map(String::from).collect();
        Ok((headers, reader.into_records()))
    }
    let row = |r: csv::Result<csv::StringRecord>| -> anyhow::Result<Vec<String>> {
        Ok(r?.iter().map(String::from).collect())
    };
    let (headers, rows) = records(&mut csv)?;
    let grid = Grid::new(&headers).secondary(secondary);
    let mut shape = TableShape::new(&grid.headers, &grid.secondary);
    shape.grouped = counted(&grid.headers);
    for r in rows {
        shape.see(&row(r)?);
    }
    csv.rewind()?;
    let (_, rows) = records(&mut csv)?;
    // (Stdout is line-buffered: a write per line of a long table otherwise.)
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    shape.write(rows.map(row), table_width(), &mut out)?;
    out.flush()?;
    Ok(())
}

/// A number a cell holds, written the one way numbers are written here (so
/// `00123` or `1e5` stay text), with its decimals. A number of more than 15
/// significant digits (trailing zeros of the decimals not counted) stays text too: a spreadsheet's number (a double) would
/// silently round it (18446744073709551615 calls, 12345678901234567.89 yuan).
fn number_of(cell: &str) -> Option<(f64, u32)> {
    let d: rust_decimal::Decimal = cell.parse().ok()?;
    if d.to_string() != cell || cell.starts_with('+') {
        return None;
    }
    if d.normalize().mantissa().unsigned_abs() >= 1_000_000_000_000_000 {
        return None;
    }
    let value: f64 = cell.parse().ok()?;
    Some((value, d.scale()))
}

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

/// Columns a text takes (a Chinese character two).
fn shown_width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
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
        for row in &grid.rows {
            book.row(sheet, grid.cells(row))?;
        }
    }
    book.finish()
}

/// A grid drawn as a table for people; numeric-looking columns align right.
/// The width tables are fitted to, set once by the binary (none: no limit).
static TABLE_WIDTH: std::sync::OnceLock<Option<u16>> = std::sync::OnceLock::new();

/// Fits every table of this run to `width` columns (`None`: no limit).
pub fn fit_tables_to(width: Option<u16>) {
    // Set once per run; a second call changes nothing.
    let _ = TABLE_WIDTH.set(width);
}

/// A grid drawn as a table for people, fitted to the run's width.
pub fn table(grid: &Grid) -> String {
    // (A table names the currency in its closing line, not in a column.)
    debug_assert!(
        grid.last.is_none(),
        "a table of a grid with a currency column"
    );
    let mut shape = TableShape::new(&grid.headers, &grid.secondary);
    let cells: Vec<Vec<String>> = grid.rows.iter().map(|row| shape.see(row)).collect();
    shape.drawn(cells, table_width())
}

/// The width tables are fitted to (`None`: no limit).
fn table_width() -> Option<u16> {
    TABLE_WIDTH.get().copied().flatten()
}

/// Rows of a table drawn at a time: a table of more rows is laid out from
/// what [`TableShape::see`] saw of all of them and drawn this many rows at a
/// time, so that its memory does not grow with its rows.
const TABLE_CHUNK: usize = 4096;

/// What a table's columns hold, seen a row at a time (cells as shown, e.g.
/// [`grouped`]): enough to lay out a table of any number of rows.
struct TableShape {
    headers: Vec<String>,
    secondary: Vec<usize>,
    /// Per column: its numbers are shown with thousands separators (counts
    /// and money; not an account's number or a date of digits).
    grouped: Vec<bool>,
    rows: usize,
    /// Per column: every cell is a number, empty or `-`.
    numeric: Vec<bool>,
    /// Per column: its widest line, and the cell with its longest word (the
    /// widths as shown).
    widest: Vec<(usize, String)>,
    wordiest: Vec<(usize, String)>,
}

impl TableShape {
    fn new(headers: &[String], secondary: &[usize]) -> TableShape {
        let columns = headers.len();
        TableShape {
            headers: headers.to_vec(),
            secondary: secondary.to_vec(),
            grouped: vec![true; columns],
            rows: 0,
            numeric: vec![true; columns],
            widest: vec![(0, String::new()); columns],
            wordiest: vec![(0, String::new()); columns],
        }
    }

    /// Takes a row's cells into account, and gives them as the table shows
    /// them.
    fn see(&mut self, row: &[String]) -> Vec<String> {
        self.rows += 1;
        let shown = self.shown(row);
        for (i, (cell, text)) in row.iter().zip(&shown).enumerate().take(self.headers.len()) {
            let number = cell.is_empty()
                || cell == "-"
                || cell.trim_start_matches('+').parse::<f64>().is_ok();
            self.numeric[i] &= number;
            let word = longest_word(text);
            if word > self.wordiest[i].0 {
                self.wordiest[i] = (word, text.clone());
            }
            let wide = text.lines().map(shown_width).max().unwrap_or(0);
            if wide > self.widest[i].0 {
                self.widest[i] = (wide, text.clone());
            }
        }
        // A row shorter than the header (never built so) makes no column numeric.
        for n in self.numeric.iter_mut().skip(row.len()) {
            *n = false;
        }
        shown
    }

    /// The table of `rows`, all the rows seen, fitted to `width`.
    fn drawn(&self, rows: Vec<Vec<String>>, width: Option<u16>) -> String {
        let (table, hidden) = self.laid_out(rows, width);
        format!("{table}\n{}", self.hidden_note(&hidden))
    }

    /// Column `i`'s width with its header on one line and its widest cell,
    /// padding included.
    fn whole_width(&self, i: usize) -> usize {
        let header = self
            .headers
            .get(i)
            .map_or(0, |h| h.lines().map(shown_width).max().unwrap_or(0));
        let cells = self.widest.get(i).map_or(0, |(wide, _)| *wide);
        header.max(cells) + 2
    }

    /// Whether column `i` holds numbers only (aligned right).
    fn numeric(&self, i: usize) -> bool {
        self.rows > 0 && self.numeric.get(i).copied().unwrap_or(false)
    }

    /// A comfy table of `rows`, in the style of every table, with the header
    /// if `header`, its numeric columns aligned right and their empty cells
    /// shown as `-` (a number that does not apply: no unit price where no
    /// call is billed, no cliff), as in every table.
    fn styled(&self, rows: Vec<Vec<String>>, header: bool) -> Table {
        let mut t = Table::new();
        t.load_style(presets::UTF8_FULL_CONDENSED);
        if header {
            t.set_header(self.headers.clone());
        }
        t.add_rows(rows.into_iter().map(|mut row| {
            for (i, cell) in row.iter_mut().enumerate() {
                if cell.is_empty() && self.numeric(i) {
                    cell.push('-');
                }
            }
            row
        }));
        for (i, column) in t.column_iter_mut().enumerate() {
            // A row longer than the header (never built so) gets a plain column.
            if self.numeric(i) {
                column.set_cell_alignment(CellAlignment::Right);
            }
        }
        t
    }

    /// A comfy table of `rows`, with the columns' alignment and constraints
    /// as every row seen asks for, and the columns left out to fit.
    fn laid_out(&self, rows: Vec<Vec<String>>, width: Option<u16>) -> (Table, Vec<usize>) {
        let mut t = self.styled(rows, true);
        // Fitted to a width, a column is never narrower than its longest word
        // (so a number or a date is never broken over lines): a numeric column
        // is exactly that wide, and text wraps at spaces. Widths count the
        // cell's padding, one space each side.
        let least: Vec<usize> = (self.headers.iter().zip(&self.wordiest))
            .map(|(h, (word, _))| longest_word(h).max(*word) + 2)
            .collect();
        let mut hidden = Vec::new();
        // A numeric column's header on one line (`unit price`) when the whole
        // table fits so, no cell wrapped; else its header wraps before any
        // text cell does.
        let mut headers_whole = false;
        if let Some(width) = width {
            t.set_width(width);
            t.set_content_arrangement(ContentArrangement::Dynamic);
            // Too narrow even so: leave out secondary columns, one at a time.
            let needed = |hidden: &[usize], whole: bool| {
                let shown: Vec<usize> = (0..least.len()).filter(|i| !hidden.contains(i)).collect();
                let column = |i: usize| match whole {
                    true => self.whole_width(i),
                    false => least[i],
                };
                shown.iter().map(|&i| column(i)).sum::<usize>() + shown.len() + 1
            };
            for &i in &self.secondary {
                if needed(&hidden, false) <= usize::from(width) {
                    break;
                }
                hidden.push(i);
            }
            headers_whole = needed(&hidden, true) <= usize::from(width);
        }
        for (i, column) in t.column_iter_mut().enumerate() {
            let numeric = self.numeric(i);
            let least = match headers_whole && numeric {
                true => self.whole_width(i),
                false => least.get(i).copied().unwrap_or(2),
            };
            let least = u16::try_from(least).unwrap_or(u16::MAX);
            if hidden.contains(&i) {
                column.set_constraint(ColumnConstraint::Hidden);
            } else if width.is_some() && numeric {
                column.set_constraint(ColumnConstraint::Absolute(Width::Fixed(least)));
            } else if width.is_some() {
                column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(least)));
            }
        }
        (t, hidden)
    }

    /// The note under a table that left columns out to fit the width.
    fn hidden_note(&self, hidden: &[usize]) -> String {
        if hidden.is_empty() {
            return String::new();
        }
        let names: Vec<&str> = hidden.iter().map(|&i| self.headers[i].as_str()).collect();
        format!(
            "(left out to fit the width: {}; --width 0, -f csv or -f json show every column)\n",
            names.join(", ")
        )
    }

    /// Draws the table of the rows seen, which `rows` gives again in order (as
    /// [`TableShape::see`] was given them),
    /// [`TABLE_CHUNK`] rows at a time: all of them at once when they are no
    /// more (the table [`TableShape::drawn`] draws); else the columns' widths
    /// are laid out from the widest and the wordiest cell of each, and each
    /// chunk is drawn at those widths, the borders between chunks left out.
    fn write<I>(&self, rows: I, width: Option<u16>, out: &mut dyn Write) -> anyhow::Result<()>
    where
        I: Iterator<Item = anyhow::Result<Vec<String>>>,
    {
        let mut rows = rows.map(|r| r.map(|r| self.shown(&r))).peekable();
        if self.rows <= TABLE_CHUNK {
            let all = rows.take(TABLE_CHUNK).collect::<anyhow::Result<Vec<_>>>()?;
            out.write_all(self.drawn(all, width).as_bytes())?;
            return Ok(());
        }
        let sample = vec![
            self.widest.iter().map(|(_, c)| c.clone()).collect(),
            self.wordiest.iter().map(|(_, c)| c.clone()).collect(),
        ];
        let (probe, hidden) = self.laid_out(sample, width);
        let widths = border_widths(&probe.to_string());
        let mut first = true;
        while rows.peek().is_some() {
            let chunk = rows
                .by_ref()
                .take(TABLE_CHUNK)
                .collect::<anyhow::Result<Vec<_>>>()?;
            let mut t = self.styled(chunk, first);
            let mut shown = widths.iter();
            for (i, column) in t.column_iter_mut().enumerate() {
                if hidden.contains(&i) {
                    column.set_constraint(ColumnConstraint::Hidden);
                } else if let Some(&w) = shown.next() {
                    column.set_constraint(ColumnConstraint::Absolute(Width::Fixed(w)));
                }
            }
            let last = rows.peek().is_none();
            let text = t.to_string();
            let mut lines: Vec<&str> = text.lines().collect();
            if !last {
                lines.pop();
            }
            for line in lines.into_iter().skip(usize::from(!first)) {
                out.write_all(line.as_bytes())?;
                out.write_all(b"\n")?;
            }
            first = false;
        }
        out.write_all(self.hidden_note(&hidden).as_bytes())?;
        Ok(())
    }

    /// A row's cells as the table shows them: the numbers of counted columns
    /// with thousands separators.
    fn shown(&self, row: &[String]) -> Vec<String> {
        (row.iter().enumerate())
            .map(|(i, c)| match self.grouped.get(i) {
                Some(false) => c.clone(),
                _ => grouped(c),
            })
            .collect()
    }
}

/// The widths of a drawn table's columns, padding included, from its top
/// border (`┌──────┬────┐`).
fn border_widths(table: &str) -> Vec<u16> {
    let top = table.lines().next().unwrap_or_default();
    let inner = top.trim_start_matches('┌').trim_end_matches('┐');
    inner
        .split('┬')
        .map(|s| u16::try_from(s.chars().count()).unwrap_or(u16::MAX))
        .collect()
}

/// The display width of the longest space-separated word of `text` (as a
/// terminal shows it: a Chinese character is two columns).
fn longest_word(text: &str) -> usize {
    text.split_whitespace()
        .map(unicode_width::UnicodeWidthStr::width)
        .max()
        .unwrap_or(0)
}

/// [`grouped`] of any number (money or a count), for notes under tables.
pub fn num(x: impl std::fmt::Display) -> String {
    grouped(&x.to_string())
}

/// A number as people read it, with thousands separators (`53,940.00`,
/// `1,000,000`); anything else unchanged. Tables only: CSV and JSON keep plain
/// numbers.
pub fn grouped(cell: &str) -> String {
    // A difference written with its sign (`+13500.00`) as its number is.
    if let Some(rest) = cell.strip_prefix('+').filter(|r| !r.starts_with('-')) {
        if number_of(rest).is_some() {
            return format!("+{}", grouped(rest));
        }
    }
    if number_of(cell).is_none() {
        return cell.to_string();
    }
    let (sign, rest) = match cell.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", cell),
    };
    let (int, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut out = String::from(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// Writes bytes to stdout; a closed pipe is not an error, a closed or full
/// stdout is.
pub fn emit(bytes: &[u8]) -> io::Result<()> {
    stdout_is_open()?;
    let mut out = io::stdout().lock();
    quiet_on_closed_pipe(out.write_all(bytes).and_then(|_| out.flush()))
}

/// Whether stdout was closed when ocr-bill started (see `main`).
static STDOUT_WAS_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Notes which standard descriptors the caller closed and puts `/dev/null` in
/// their place (so that no file opened later takes their number), and ignores
/// SIGPIPE so that a closed pipe is an error to handle, as Rust's start-up does.
#[cfg(all(unix, not(test)))]
pub fn claim_standard_descriptors() {
    for fd in 0..=2 {
        // SAFETY: fcntl(F_GETFD) only asks whether the descriptor is open.
        let closed = unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1;
        if closed {
            if fd == 1 {
                STDOUT_WAS_CLOSED.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            // SAFETY: opening /dev/null; the lowest free number is `fd`.
            unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
        }
    }
    // SAFETY: setting a signal's disposition to "ignore".
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}

/// Fails when stdout was closed (`>&-`): what is written would vanish without
/// a word.
pub fn stdout_is_open() -> io::Result<()> {
    if STDOUT_WAS_CLOSED.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(io::Error::other(
            "stdout is closed; nothing would be written",
        ));
    }
    Ok(())
}

/// Writes a diagnostic line to stderr, reporting (not panicking on) a failure;
/// a value it quotes is shortened when long (see [`clipped`]).
pub fn diagnostic(line: &str) -> io::Result<()> {
    let mut err = io::stderr().lock();
    writeln!(err, "{}", clipped(line)).and_then(|_| err.flush())
}

/// Diagnostic lines written to stderr a block at a time (a line each to a
/// terminal, where someone reads them as they come), each as [`diagnostic`]
/// writes it: a file of many bad rows is reported in a few writes, not one
/// a row. What is held is written by [`Diagnostics::flush`], which the
/// holder calls before anything else is written to stderr.
#[derive(Default)]
pub struct Diagnostics {
    held: String,
    /// Stderr is a terminal (asked once, at the first line).
    terminal: Option<bool>,
}

impl Diagnostics {
    /// Bytes held before they are written.
    const BLOCK: usize = 64 * 1024;

    /// Adds a line, written now if stderr is a terminal or the block is full.
    pub fn line(&mut self, line: &str) -> io::Result<()> {
        self.held.push_str(&clipped(line));
        self.held.push('\n');
        let terminal = *self
            .terminal
            .get_or_insert_with(|| io::IsTerminal::is_terminal(&io::stderr()));
        match terminal || self.held.len() >= Self::BLOCK {
            true => self.flush(),
            false => Ok(()),
        }
    }

    /// Writes the lines held.
    pub fn flush(&mut self) -> io::Result<()> {
        if self.held.is_empty() {
            return Ok(());
        }
        let mut err = io::stderr().lock();
        let written = err
            .write_all(self.held.as_bytes())
            .and_then(|_| err.flush());
        self.held.clear();
        written
    }
}

/// Quoted values longer than this are shortened in diagnostics.
const QUOTED_CHARS: usize = 200;

/// `line` with each quoted value (`'…'`) of more than 200 characters cut to its
/// first 60 and its length (`'xxxx…' (2000000 characters)`): a cell of
/// megabytes named in an error leaves the error one readable line.
pub fn clipped(line: &str) -> std::borrow::Cow<'_, str> {
    if line.len() <= QUOTED_CHARS {
        return line.into();
    }
    // Most lines quote short values: told from the quotes' places alone.
    let mut quotes = memchr::memchr_iter(b'\'', line.as_bytes());
    let mut any_long = false;
    while let Some(open) = quotes.next() {
        let close = quotes.next().unwrap_or(line.len());
        if close - open > QUOTED_CHARS {
            any_long = true;
            break;
        }
    }
    if !any_long {
        return line.into();
    }
    // (A piece past an odd number of quotes is inside a pair.)
    let long = |i: usize, p: &str| i % 2 == 1 && p.chars().count() > QUOTED_CHARS;
    let mut out = String::with_capacity(line.len().min(1024));
    let mut length = None;
    for (i, piece) in line.split('\'').enumerate() {
        if i > 0 {
            out.push('\'');
        }
        if let Some(n) = length.take() {
            out.push_str(&format!(" ({n} characters)"));
        }
        if long(i, piece) {
            out.extend(piece.chars().take(60));
            out.push('…');
            length = Some(piece.chars().count());
        } else {
            out.push_str(piece);
        }
    }
    // (A long value whose quote is never closed ends the line.)
    if let Some(n) = length {
        out.push_str(&format!(" ({n} characters)"));
    }
    out.into()
}

/// Turns a closed pipe (`| head -1`) into success.
pub fn quiet_on_closed_pipe(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::{Amount, Summed};
    use ocr_bill::Money;

    /// Accounts' amounts add up kind by kind, and the line takes them in order.
    #[test]
    fn summed_amounts_add_up_and_fill_their_line() {
        let money = |s: &str| Amount::Money(Money::round(s.parse().unwrap()));
        let one = |a: &str, n: u64| Summed {
            amounts: vec![("paid", money(a)), ("wasted", Amount::Calls(n))],
            line: "paid {}; wasted {} calls",
        };
        let mut sums = one("1200.00", 2_000);
        sums.add(&one("999999.99", 1_000)).unwrap();
        assert_eq!(sums.line(), "paid 1,001,199.99; wasted 3,000 calls");
        assert_eq!(
            serde_json::to_string(&sums).unwrap(),
            r#"{"paid":"1001199.99","wasted":3000}"#
        );
        // A count that overflows is refused, never wrapped; other amounts
        // are not added.
        assert!(sums.add(&one("0", u64::MAX)).is_err());
        let other = Summed {
            amounts: vec![("paid", money("1"))],
            line: "paid {}",
        };
        assert!(sums.add(&other).is_err());
    }

    #[test]
    fn long_quoted_values_are_clipped() {
        let long = "x".repeat(5000);
        let (x60, wide) = ("x".repeat(60), "账".repeat(300));
        let cases = [
            (
                format!("error: line 2: unknown API '{long}'; expected one of: a, b"),
                format!(
                    "error: line 2: unknown API '{x60}…' (5000 characters); expected one of: a, b"
                ),
            ),
            // A value at the end, several values, characters beyond ASCII.
            (
                format!("a '{wide}' b 'short' c '{long}'"),
                format!(
                    "a '{}…' (300 characters) b 'short' c '{x60}…' (5000 characters)",
                    "账".repeat(60)
                ),
            ),
            // A quote never closed.
            (
                format!("error: '{long}"),
                format!("error: '{x60}… (5000 characters)"),
            ),
        ];
        for (line, want) in cases {
            assert_eq!(super::clipped(&line), want);
        }
        // Short values, and long lines of short values, are left alone.
        for line in [
            "error: 'abc'",
            &format!("{long} 'abc' {long}"),
            &format!("'{}'", "y".repeat(200)),
            // 300 bytes, but 100 characters.
            &format!("error: line 2: '{}' and more text", "账".repeat(100)),
        ] {
            assert_eq!(super::clipped(line), line);
        }
    }

    use super::*;

    #[test]
    /// A table of more rows than are drawn at once is the table drawn whole
    /// when it is not fitted to a width: the same bytes, with wide
    /// characters, lines within cells and numbers. Fitted to a width, its
    /// layout comes from each column's widest and wordiest cells: every line
    /// is as wide, the same words are shown, and the same columns are left
    /// out.
    fn a_long_table_drawn_in_chunks_is_the_table_drawn_whole() {
        let headers: Vec<String> = ["account", "name", "calls", "amount", "tier"]
            .map(String::from)
            .to_vec();
        let names = [
            "通用证照识别",
            "a b c",
            "two words here",
            "",
            "x\ny",
            "长 名字 很长的名字",
            "a b c d e f g h i j k l m n o p",
            "abcdefghijklmnopq",
        ];
        let rows: Vec<Vec<String>> = (0..TABLE_CHUNK * 2 + 17)
            .map(|i| {
                vec![
                    format!("acct{:06}", i * 7919 % 100_003),
                    names[i * i % names.len()].to_string(),
                    (i * i % 1_000_003).to_string(),
                    format!("{}.{:02}", i * 31 % 99_991, i % 100),
                    if i % 5 == 0 {
                        String::new()
                    } else {
                        (i % 4).to_string()
                    },
                ]
            })
            .collect();
        let words = |t: &str| -> Vec<String> {
            let mut words: Vec<String> = t
                .split(|c: char| c == '│' || c == '┆' || c.is_whitespace())
                .filter(|w| !w.is_empty() && !w.starts_with(['┌', '╞', '└']))
                .map(String::from)
                .collect();
            words.sort();
            words
        };
        for width in [None, Some(200), Some(60), Some(40), Some(24)] {
            let mut shape = TableShape::new(&headers, &[4, 2]);
            let shown: Vec<Vec<String>> = rows.iter().map(|r| shape.see(r)).collect();
            let whole = shape.drawn(shown, width);
            let mut chunked = Vec::new();
            shape
                .write(rows.iter().cloned().map(Ok), width, &mut chunked)
                .unwrap();
            let chunked = String::from_utf8(chunked).unwrap();
            if width.is_none() {
                assert_eq!(chunked, whole);
                continue;
            }
            let table_lines = |t: &str| -> Vec<usize> {
                let mut w: Vec<usize> = t
                    .lines()
                    .filter(|l| !l.starts_with('('))
                    .map(shown_width)
                    .collect();
                w.dedup();
                w
            };
            assert_eq!(table_lines(&chunked).len(), 1, "width {width:?}");
            assert_eq!(words(&chunked), words(&whole), "width {width:?}");
            let note = |t: &str| t.lines().last().map(String::from);
            assert_eq!(note(&chunked), note(&whole), "width {width:?}");
        }
    }

    /// A numeric column's header is on one line when the whole table fits
    /// so; a width one narrower wraps that header, not a text cell.
    #[test]
    fn a_numeric_header_wraps_only_when_the_table_would_not_fit() {
        let headers: Vec<String> = ["api", "tier reached", "unit price"]
            .map(String::from)
            .to_vec();
        let row = ["idcard", "2 (1000 < n ≤ 10000)", "0.15"].map(String::from);
        let drawn = |width: u16| {
            let mut shape = TableShape::new(&headers, &[]);
            let shown = vec![shape.see(&row)];
            shape.drawn(shown, Some(width))
        };
        let natural = {
            let mut shape = TableShape::new(&headers, &[]);
            let shown = vec![shape.see(&row)];
            shape.drawn(shown, None)
        };
        let width = natural.lines().map(shown_width).max().unwrap();
        for room in [width, width + 1, 200] {
            let t = drawn(u16::try_from(room).unwrap());
            assert_eq!(t, natural, "width {room}");
            assert!(t.contains("┆ unit price │"), "width {room}:\n{t}");
        }
        let t = drawn(u16::try_from(width - 1).unwrap());
        assert!(t.contains("┆  unit │") && t.contains("┆ price │"), "{t}");
        assert!(t.contains("2 (1000 < n ≤ 10000)"), "{t}");
    }

    #[test]
    fn table_numbers_are_grouped_with_their_sign() {
        for (cell, want) in [
            ("13500.00", "13,500.00"),
            ("+13500.00", "+13,500.00"),
            ("-1234567", "-1,234,567"),
            ("+0.00", "+0.00"),
            ("+-5", "+-5"),
            ("+abc", "+abc"),
            ("idcard", "idcard"),
        ] {
            assert_eq!(grouped(cell), want, "{cell}");
        }
    }

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
