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
pub use prices::{Editions, Prices};
pub use quote::QuoteReport;

use ocr_bill::format_price;

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
