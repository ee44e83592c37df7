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
pub use quote::QuoteReport;

use ocr_bill::format_price;

use crate::render::{Grid, Report};

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

/// A unit price as a cell; `-` for none.
fn price_cell(price: Option<rust_decimal::Decimal>) -> String {
    price.map(format_price).unwrap_or_else(|| "-".into())
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
/// `edition` (as `postpaid`'s has them), the human table a closing line. CSV
/// and workbook columns stay as they are, for the scripts that read them.
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

impl<R: Report> Report for Priced<'_, R> {
    fn human(&self) -> String {
        format!(
            "{}Price list: {}, in {}\n",
            self.report.human(),
            self.price_list,
            self.currency
        )
    }

    fn grid(&self) -> Grid {
        self.report.grid()
    }

    fn sheets(&self) -> Vec<(String, Grid)> {
        self.report.sheets()
    }
}

/// The reports of several accounts, each billed on its own (RULES §8): JSON
/// `{"accounts": [{"account", ...}]}`, a table per account, and CSV and sheets
/// with an `account` column first.
#[derive(serde::Serialize)]
pub struct PerAccount<R> {
    accounts: Vec<AccountReport<R>>,
}

#[derive(serde::Serialize)]
struct AccountReport<R> {
    account: String,
    #[serde(flatten)]
    report: R,
}

impl<R> PerAccount<R> {
    pub fn new(reports: impl IntoIterator<Item = (String, R)>) -> Self {
        PerAccount {
            accounts: reports
                .into_iter()
                .map(|(account, report)| AccountReport { account, report })
                .collect(),
        }
    }
}

/// One table of the accounts' tables, each row led by its account.
fn joined(grids: impl IntoIterator<Item = (String, Grid)>) -> Grid {
    let mut all: Option<Grid> = None;
    for (account, g) in grids {
        let all = all.get_or_insert_with(|| {
            let headers: Vec<&str> = std::iter::once("account")
                .chain(g.headers.iter().map(String::as_str))
                .collect();
            let mut all = Grid::new(&headers);
            all.secondary = g.secondary.iter().map(|i| i + 1).collect();
            all
        });
        for row in g.rows {
            all.push(std::iter::once(account.clone()).chain(row).collect());
        }
    }
    all.unwrap_or_else(|| Grid::new(&["account"]))
}

impl<R: Report> Report for PerAccount<R> {
    fn human(&self) -> String {
        let mut out = format!(
            "{} accounts, each billed on its own (its own free quotas, tiers, packs, freeze \
             and balance).\n",
            self.accounts.len()
        );
        for a in &self.accounts {
            out.push_str(&format!("\nAccount {}:\n", a.account));
            out.push_str(&a.report.human());
        }
        out
    }

    fn grid(&self) -> Grid {
        joined(
            self.accounts
                .iter()
                .map(|a| (a.account.clone(), a.report.grid())),
        )
    }

    fn sheets(&self) -> Vec<(String, Grid)> {
        let mut sheets: Vec<(String, Vec<(String, Grid)>)> = Vec::new();
        for a in &self.accounts {
            for (i, (name, grid)) in a.report.sheets().into_iter().enumerate() {
                if i == sheets.len() {
                    sheets.push((name, Vec::new()));
                }
                sheets[i].1.push((a.account.clone(), grid));
            }
        }
        sheets
            .into_iter()
            .map(|(name, grids)| (name, joined(grids)))
            .collect()
    }
}
