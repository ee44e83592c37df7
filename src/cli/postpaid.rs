//! `ocr-bill postpaid`: this month's bill for the calls given.

use ocr_bill::{parse_count, PriceList};

use super::args::PostpaidArgs;
use super::input::{calculator, in_pairs};
use super::{Out, UsageError};
use crate::render::render;
use crate::report as reports;

pub(super) fn run(prices: &PriceList, args: &PostpaidArgs, out: &Out) -> anyhow::Result<Vec<u8>> {
    let (format, style) = (out.format, out.style);
    if let Some(file) = &args.file {
        return Err(UsageError(format!(
            "postpaid bills the calls given with --api and --calls; for the usage file {}: \
             ocr-bill batch {0} --group-by account,month (a bill per account and month), or \
             ocr-bill ledger {0} (month by month)",
            file.display()
        ))
        .into());
    }
    in_pairs(&args.api, &args.calls)?;
    let calc = calculator(prices, args.negotiated_price.as_deref())?;
    let usage = args
        .api
        .iter()
        .zip(&args.calls)
        .map(|(api, calls)| Ok((prices.find(api)?, parse_count(calls)?)))
        .collect::<Result<Vec<_>, ocr_bill::Error>>()?;
    let bill = calc.postpaid_month(&usage)?;
    render(&reports::Postpaid(&bill), format, style)
}
