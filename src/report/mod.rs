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

/// A unit price as a cell; `-` for none.
fn price_cell(price: Option<rust_decimal::Decimal>) -> String {
    price.map(format_price).unwrap_or_else(|| "-".into())
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
