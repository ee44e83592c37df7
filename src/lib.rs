//! # ocr-bill
//!
//! An exact bill calculator for Tencent Cloud OCR (文字识别) pricing: postpaid
//! tier reaching (阶梯到达) with the monthly free-quota voucher, prepaid packs,
//! overage, and the 120% freeze. Every number comes from a price list loaded from
//! TOML ([`PriceList`]); the default one is [`DEFAULT_PRICING`].
//!
//! The library is pure: no printing, no files, no process exit.
//!
//! ```
//! use ocr_bill::{Calculator, PriceList};
//!
//! let prices = PriceList::builtin();
//! let license = prices.item("驾驶证").unwrap();
//! let bill = Calculator::new(&prices).postpaid(&[(license, 9000)]).unwrap();
//! assert_eq!(bill.amount.to_string(), "1200.00");
//! assert_eq!(bill.freeze.to_string(), "1440.00");
//! ```

#![warn(missing_docs)]

mod archive;
mod batch;
mod bill;
mod columns;
mod curve;
mod decode;
mod error;
mod input;
mod ledger;
mod line_ends;
mod money;
mod month;
mod packed;
#[cfg(test)]
mod packing;
mod parse;
mod plan;
mod prepaid;
mod pricing;
mod quote;
mod records;
mod totals;
mod words;
mod workbook;

pub use archive::{uncompressed, uncompressed_stream, Parts, MAX_STDIN_ARCHIVE_BYTES};
pub use batch::{
    run_batch, same_columns, spreadsheet_safe, BatchError, BatchFormat, BatchOptions, BatchSummary,
    RowError, RowFilter, BILL_COLUMNS,
};
pub use bill::{
    by_item, one_time_note, ApiCalls, BillLine, Calculator, Charge, Cliff, Event, HeldPack,
    ItemMonth, PostpaidBill,
};
pub use columns::{names_accounts, resolve as resolve_columns, Role, Wanted};
pub use curve::{Curve, CurvePoint};
pub use decode::{DecodedReader, InputEncoding, NotText, UTF8_BOM};
pub use error::{first_of, Error, Remedy};
pub use input::{
    accounts, monthly_by_api, one_account, read_packs, read_topups, read_usage, split_by_account,
    ByAccount, InputError, MonthlyCalls, Purchase as PackPurchase, TopUp, Usage, UsageColumns,
};
pub use ledger::{Ledger, LedgerInput, LedgerMonth, LedgerTotals, PackBought};
pub use line_ends::LineEnds;
pub use money::{
    calls_times, format_price, per_call, round_fen, serialize_per_call, serialize_price, Money,
};
pub use month::{Dated, Month, Months};
pub use parse::{
    parse_amount, parse_count, parse_decimal, parse_money, parse_pack_spec, parse_price,
    price_cut_by_comma, Marks, PackSpec,
};
pub use plan::{plan_months, BestPlan, Plan, PlanChoice, PlanMonth, PlanOption};
pub use prepaid::{PackUse, PrepaidMonth};
pub use pricing::{
    edition_text, About, AlertRule, Api, Found, FreeQuota, FreezeBasis, Item, OverageTierBasis,
    Pack, PackCell, PackPrice, PriceList, PricingError, ReachedTier, Settings, Tier, TierBounds,
    TierPrice, Tiers, Unpriced, DEFAULT_PRICING, EDITIONS,
};
pub use quote::{
    cheapest_packs, pack_options, serialize_pack_list, single_size, spread_calls, PackCount,
    PackList, Purchase, Quote, QuoteChoice, QuoteOption, Spread, SpreadChoice,
};
pub use records::is_title;
pub use totals::TotalsRows;
pub use words::{counted, plural};
