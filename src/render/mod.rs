//! Output as data: one renderer per format. A report is serialized for JSON,
//! flattened to a grid for CSV, and drawn as a table for people.

use std::io::{self, Write};

use clap::ValueEnum;
use serde::Serialize;

mod csv_out;
mod stdio;
mod table;
mod xlsx;

pub use csv_out::{csv_bytes, CsvOut};
#[cfg(all(unix, not(test)))]
pub use stdio::claim_standard_descriptors;
pub use stdio::{diagnostic, emit, quiet_on_closed_pipe, stdout_is_open, Diagnostics};
pub use table::{fit_tables_to, grouped, num, table, table_of_csv};
pub use xlsx::{xlsx_bytes, xlsx_of_csv, XlsxBook};

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
    /// Every row's cells, one after another (a row is as many cells as
    /// there are headers): one buffer, not a string a cell.
    text: String,
    /// Where each cell ends in `text`.
    ends: Vec<usize>,
    /// Columns a table fitted to a narrow width leaves out first, in order.
    pub secondary: Vec<usize>,
    /// A last column with one value on every row (its name and the value),
    /// kept once, not in each row: see [`Grid::with_currency`].
    last: Option<(&'static str, String)>,
}

/// One row of a [`Grid`]: its cells in order.
#[derive(Clone, Copy)]
pub struct GridRow<'g> {
    text: &'g str,
    /// Where each of the row's cells ends in `text`, and where the first
    /// begins.
    ends: &'g [usize],
    start: usize,
}

impl<'g> GridRow<'g> {
    /// The row's cells.
    pub fn iter(self) -> impl Iterator<Item = &'g str> + Clone {
        let text = self.text;
        self.ends.iter().scan(self.start, move |start, &end| {
            let cell = &text[*start..end];
            *start = end;
            Some(cell)
        })
    }
}

impl Grid {
    pub fn new<S: AsRef<str>>(headers: &[S]) -> Grid {
        Grid {
            headers: headers.iter().map(|h| h.as_ref().to_string()).collect(),
            text: String::new(),
            ends: Vec::new(),
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

    /// Adds a row of cells, one a header.
    pub fn push<S: AsRef<str>>(&mut self, row: impl IntoIterator<Item = S>) {
        for cell in row {
            self.text.push_str(cell.as_ref());
            self.ends.push(self.text.len());
        }
        debug_assert_eq!(self.ends.len() % self.width(), 0, "a row of other width");
    }

    /// Adds the next cell of the row being built, as `value` displays
    /// (written into the grid's text: no string of its own). A row is done
    /// after as many cells as there are headers.
    pub fn cell(&mut self, value: impl std::fmt::Display) -> &mut Grid {
        use std::fmt::Write as _;
        // (Writing to a String does not fail.)
        let _ = write!(self.text, "{value}");
        self.ends.push(self.text.len());
        self
    }

    /// Makes room for `rows` more rows (of a few bytes a cell).
    pub fn reserve(&mut self, rows: usize) {
        let cells = rows.saturating_mul(self.width());
        self.ends.reserve(cells);
        self.text.reserve(cells.saturating_mul(6));
    }

    /// Cells a row has.
    fn width(&self) -> usize {
        self.headers.len().max(1)
    }

    /// The rows, in the order they were added.
    pub fn rows(&self) -> impl Iterator<Item = GridRow<'_>> {
        debug_assert_eq!(self.ends.len() % self.width(), 0, "a row left unfinished");
        let text = self.text.as_str();
        self.ends
            .chunks_exact(self.width())
            .enumerate()
            .map(move |(i, ends)| GridRow {
                text,
                ends,
                start: match i {
                    0 => 0,
                    _ => self.ends[i * self.width() - 1],
                },
            })
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Adds the rows of a grid of the same columns.
    pub fn append(&mut self, other: &Grid) {
        debug_assert_eq!(self.headers, other.headers);
        for row in other.rows() {
            self.push(row.iter());
        }
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
    pub fn cells<'g>(&'g self, row: GridRow<'g>) -> impl Iterator<Item = &'g str> {
        let last = self.last.as_ref().map(|(_, value)| value.as_str());
        row.iter().chain(last)
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
        // (Compared in place: a file of many accounts adds as many sums.)
        if !(self.amounts.iter().map(|(k, _)| k)).eq(other.amounts.iter().map(|(k, _)| k)) {
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

/// Columns a text takes (a Chinese character two).
fn shown_width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

#[cfg(test)]
mod tests {
    use super::{Amount, Grid, Summed};
    use ocr_bill::Money;

    /// Rows built whole or a cell at a time read back cell for cell, empty
    /// cells and a currency column included; a grid appended adds its rows.
    #[test]
    fn a_grid_gives_back_its_rows_cell_for_cell() {
        let mut g = Grid::new(&["month", "api", "amount"]);
        assert!(g.is_empty());
        g.push(["2026-01", "idcard", "1200.00"]);
        g.cell("2026-02")
            .cell("")
            .cell(Money::round("0.5".parse().unwrap()));
        g.push(vec![
            String::new(),
            "通用证照识别".to_string(),
            String::new(),
        ]);
        let mut other = Grid::new(&["month", "api", "amount"]);
        other.push(["2026-03", "a,b", "1.00"]);
        g.append(&other);
        let g = g.with_currency("CNY");
        let rows: Vec<Vec<&str>> = g.rows().map(|r| g.cells(r).collect()).collect();
        assert_eq!(
            rows,
            vec![
                vec!["2026-01", "idcard", "1200.00", "CNY"],
                vec!["2026-02", "", "0.50", "CNY"],
                vec!["", "通用证照识别", "", "CNY"],
                vec!["2026-03", "a,b", "1.00", "CNY"],
            ]
        );
        assert!(!g.is_empty());
    }

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
}
