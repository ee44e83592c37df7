//! How each result looks in each format, a file per subcommand: JSON is the
//! lib's serialized struct, CSV rows and the human table are built here.

mod curve;
mod ledger;
mod plan;
mod postpaid;
mod prepaid;
mod prices;
mod quote;

pub use curve::CurveReport;
pub use ledger::LedgerReport;
pub use plan::{PlanReport, Plans};
pub use postpaid::Postpaid;
pub use prepaid::{Prepaid, PrepaidAccount};
pub use prices::{Edition, Editions, Prices};
pub use quote::{QuoteReport, Quotes};

use std::io::Write;

use ocr_bill::format_price;

use crate::output::Spill;
use crate::render::{CsvOut, CsvStyle, Format, Grid, Report, Summed, XlsxBook};

/// A month's calls and their bill as tables head them.
const CALLS_HEADINGS: [&str; 6] = [
    "calls",
    "free",
    "from packs",
    "overage",
    "unit price",
    "amount",
];

/// A line's calls as cells: all, under the free quota, from packs, charged.
fn call_cells(calls: u64, free: u64, packs: u64, billable: u64) -> [String; 4] {
    [calls, free, packs, billable].map(|n| n.to_string())
}

/// A CSV row's first cells: the API key and name, then the calls (all, under
/// the free quota, from packs, charged).
fn lead_cells(api: &str, name: &str, calls: [u64; 4]) -> impl Iterator<Item = String> {
    let [all, free, packs, billable] = calls;
    [api.to_string(), name.to_string()]
        .into_iter()
        .chain(call_cells(all, free, packs, billable))
}

/// A unit price as a cell; empty for none (which a table shows as `-`).
fn price_cell(price: Option<rust_decimal::Decimal>) -> String {
    price.map(format_price).unwrap_or_default()
}

/// What the account freezes after a month: JSON `freeze`, and the line that
/// tells people (`none` where the price list freezes nothing).
#[derive(Clone, Copy, serde::Serialize)]
pub struct Freeze {
    freeze: ocr_bill::Money,
    #[serde(skip)]
    freezes: bool,
}

impl Freeze {
    pub fn new(prices: &ocr_bill::PriceList, freeze: ocr_bill::Money) -> Freeze {
        Freeze {
            freeze,
            freezes: prices.settings.freeze_basis != ocr_bill::FreezeBasis::None,
        }
    }

    fn human(self) -> String {
        if self.freezes {
            format!(
                "Freeze after settlement: {} (held until next month's settlement)\n",
                crate::render::num(self.freeze)
            )
        } else {
            "Freeze after settlement: none (this price list freezes nothing)\n".to_string()
        }
    }
}

/// A result with the price list it was computed with, so that every output
/// names the edition and its currency: JSON gains top-level `currency` and
/// `edition` (as `postpaid`'s has them), the human table a closing line, and
/// CSV and workbook sheets a last column, `currency`.
#[derive(serde::Serialize)]
pub struct Priced<'a, R> {
    pub currency: &'a str,
    pub edition: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pricing_file: Option<&'a str>,
    #[serde(skip)]
    pub price_list: String,
    #[serde(flatten)]
    pub report: R,
}

impl<'a, R> Priced<'a, R> {
    pub fn new(prices: &'a ocr_bill::PriceList, report: R) -> Self {
        Priced {
            currency: &prices.settings.currency,
            edition: &prices.about.edition,
            pricing_file: prices.about.file.as_deref(),
            price_list: prices.about.label(),
            report,
        }
    }
}

impl<R> Priced<'_, R> {
    /// The line that closes a table: the price list and its currency.
    fn closing_line(&self) -> String {
        format!("Price list: {}, in {}\n", self.price_list, self.currency)
    }
}

impl<R: Report> Report for Priced<'_, R> {
    fn human(&self) -> String {
        format!("{}{}", self.report.human(), self.closing_line())
    }

    fn grid(&self) -> Grid {
        self.report.grid().with_currency(self.currency)
    }

    fn sheets(&self) -> Vec<(String, Grid)> {
        self.report
            .sheets()
            .into_iter()
            .map(|(name, grid)| (name, grid.with_currency(self.currency)))
            .collect()
    }

    fn notes(&self) -> Vec<&str> {
        self.report.notes()
    }
}

/// The reports of several accounts, each billed on its own (RULES §8): JSON
/// `{"accounts": [{"account", ...}]}`, a table per account, and CSV and sheets
/// with an `account` column first. Each account's report is rendered as it is
/// added, so what is kept is the output (past a few MB in a temporary file;
/// a workbook's rows in its worksheets' temporary files), not every account's
/// report.
pub struct PerAccount<'a> {
    about: Priced<'a, ()>,
    format: Format,
    /// The output so far.
    text: Spill,
    /// CSV so far: its header is the first account's.
    csv: Option<CsvOut>,
    style: CsvStyle,
    /// A workbook's sheets, each with every account's rows.
    book: XlsxBook,
    added: usize,
    /// The sums over the accounts added, of what their reports sum.
    sums: Option<Summed>,
}

#[derive(serde::Serialize)]
struct AccountReport<'r, R> {
    account: &'r str,
    #[serde(flatten)]
    report: &'r R,
}

impl<'a> PerAccount<'a> {
    /// The output of `accounts` accounts' reports, in `format`.
    pub fn new(
        prices: &'a ocr_bill::PriceList,
        format: Format,
        style: CsvStyle,
        accounts: usize,
    ) -> anyhow::Result<Self> {
        let about = Priced::new(prices, ());
        let head = match format {
            Format::Table => format!(
                "{accounts} account{} billed on its own (its own free quotas, tiers, \
                 packs, freeze and balance).\n",
                if accounts == 1 { "," } else { "s, each" }
            )
            .into_bytes(),
            // The fields every document has, then the accounts' array, as
            // serde_json writes them pretty.
            Format::Json => {
                let mut head = serde_json::to_vec_pretty(&about)?;
                head.truncate(head.len().saturating_sub(2));
                head.extend_from_slice(b",\n  \"accounts\": [");
                head
            }
            Format::Csv | Format::Xlsx => Vec::new(),
            Format::Toml => anyhow::bail!("--format toml is for `prices` only"),
        };
        Ok(PerAccount {
            about,
            format,
            text: Spill::from(head),
            csv: None,
            style,
            book: XlsxBook::new(),
            added: 0,
            sums: None,
        })
    }

    /// Renders the next account's report.
    pub fn add<R: Report>(&mut self, account: &str, report: &R) -> anyhow::Result<()> {
        crate::render::tell_notes(&report.notes(), self.format, Some(account))?;
        match (&mut self.sums, report.summed()) {
            (Some(sums), Some(more)) => sums.add(&more)?,
            (sums @ None, more) => *sums = more,
            (Some(_), None) => {}
        }
        match self.format {
            Format::Table => {
                self.text
                    .write_all(format!("\nAccount {account}:\n").as_bytes())?;
                self.text.write_all(report.human().as_bytes())?;
            }
            Format::Json => {
                let one = serde_json::to_vec_pretty(&AccountReport { account, report })?;
                // Indented as an element of the array (a JSON string holds no
                // raw line break, so every one is the layout's).
                let mut element = Vec::with_capacity(one.len() * 9 / 8 + 8);
                element.extend_from_slice(match self.added {
                    0 => b"\n    ",
                    _ => b",\n    ",
                });
                for line in one.split_inclusive(|&b| b == b'\n') {
                    element.extend_from_slice(line);
                    if line.ends_with(b"\n") {
                        element.extend_from_slice(b"    ");
                    }
                }
                self.text.write_all(&element)?;
            }
            Format::Csv => {
                let grid = report.grid().with_currency(self.about.currency);
                let csv = match &mut self.csv {
                    Some(csv) => csv,
                    None => {
                        let mut csv = CsvOut::new(self.style);
                        csv.row(std::iter::once("account").chain(grid.header_cells()))?;
                        self.csv.insert(csv)
                    }
                };
                for row in grid.rows() {
                    csv.row(std::iter::once(account).chain(grid.cells(row)))?;
                }
                csv.drain_into(&mut self.text)?;
            }
            Format::Xlsx => {
                // Each sheet with an `account` column first, its header the
                // first account's.
                for (i, (name, grid)) in report.sheets().into_iter().enumerate() {
                    let grid = grid.with_currency(self.about.currency);
                    if i == self.book.sheets() {
                        let headers: Vec<&str> = std::iter::once("account")
                            .chain(grid.header_cells())
                            .collect();
                        self.book.add_sheet(&name, &headers)?;
                    }
                    for row in grid.rows() {
                        self.book
                            .row(i, std::iter::once(account).chain(grid.cells(row)))?;
                    }
                }
            }
            Format::Toml => {}
        }
        self.added += 1;
        Ok(())
    }

    /// The output of the accounts added.
    pub fn finish(self) -> anyhow::Result<Spill> {
        let mut text = self.text;
        match self.format {
            Format::Table => {
                // The sums, where there is more than one account.
                if let Some(sums) = self.sums.as_ref().filter(|_| self.added > 1) {
                    let line = format!("\nAll {} accounts: {}\n", self.added, sums.line());
                    text.write_all(line.as_bytes())?;
                }
                text.write_all(self.about.closing_line().as_bytes())?;
            }
            Format::Json => {
                text.write_all(match self.added {
                    0 => b"]".as_slice(),
                    _ => b"\n  ]",
                })?;
                if let Some(sums) = &self.sums {
                    // Indented as a field of the document.
                    let sums = serde_json::to_string_pretty(sums)?.replace('\n', "\n  ");
                    text.write_all(format!(",\n  \"totals\": {sums}").as_bytes())?;
                }
                text.write_all(b"\n}\n")?;
            }
            Format::Csv => {
                let rest = match self.csv {
                    Some(csv) => csv.finish()?,
                    None => {
                        let mut csv = CsvOut::new(self.style);
                        csv.row(["account"])?;
                        csv.finish()?
                    }
                };
                text.write_all(&rest)?;
            }
            Format::Xlsx => text.write_all(&self.book.finish()?)?,
            Format::Toml => anyhow::bail!("--format toml is for `prices` only"),
        }
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report with nesting, empty lists and a string with a line break.
    #[derive(serde::Serialize)]
    struct Sample {
        months: Vec<Vec<u32>>,
        empty: Vec<u32>,
        note: &'static str,
        nested: std::collections::BTreeMap<&'static str, Vec<&'static str>>,
    }

    impl Report for Sample {
        fn human(&self) -> String {
            format!("{}\n", self.note)
        }
        fn grid(&self) -> Grid {
            let mut g = Grid::new(&["note"]);
            g.push(vec![self.note.to_string()]);
            g
        }
    }

    /// The accounts' JSON, written a report at a time, is what serde_json
    /// writes of the whole document at once, byte for byte.
    #[test]
    fn per_account_json_is_the_whole_documents_pretty_json() {
        #[derive(serde::Serialize)]
        struct Whole<'r> {
            accounts: Vec<AccountReport<'r, Sample>>,
        }
        let prices = ocr_bill::PriceList::builtin();
        let reports: Vec<(&str, Sample)> = ["a", "b \"quoted\"\nline"]
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let sample = Sample {
                    months: vec![vec![1, 2], vec![], vec![i as u32]],
                    empty: Vec::new(),
                    note: "two\nlines",
                    nested: [("k", vec!["v"]), ("e", vec![])].into_iter().collect(),
                };
                (*name, sample)
            })
            .collect();
        for count in [0, 1, 2] {
            let mut each = PerAccount::new(&prices, Format::Json, CsvStyle::Plain, count).unwrap();
            for (name, report) in &reports[..count] {
                each.add(name, report).unwrap();
            }
            let whole = Priced::new(
                &prices,
                Whole {
                    accounts: reports[..count]
                        .iter()
                        .map(|(account, report)| AccountReport { account, report })
                        .collect(),
                },
            );
            let mut want = serde_json::to_vec_pretty(&whole).unwrap();
            want.push(b'\n');
            assert_eq!(
                String::from_utf8(each.finish().unwrap().into_bytes().unwrap()).unwrap(),
                String::from_utf8(want).unwrap(),
                "{count} accounts"
            );
        }
    }
}
