//! `ocr-bill quote`: which packs to buy for a need.

use ocr_bill::{parse_count, PriceList};

use super::args::QuoteArgs;
use super::input::{calculator, in_pairs, paid_prices};
use super::{flag_named, Out, UsageError};
use crate::render::render;
use crate::report as reports;

pub(super) fn run(prices: &PriceList, args: &QuoteArgs, out: &Out) -> anyhow::Result<Vec<u8>> {
    let (format, style) = (out.format, out.style);
    in_pairs(&args.api, &args.calls)?;
    let calc = calculator(prices, args.negotiated_price.as_deref())?;
    // APIs of one billing item are quoted as the item: its packs serve them
    // all. Packs of two items are two quotes.
    let named = (args.api.iter().zip(&args.calls))
        .map(|(api, calls)| Ok((prices.find(api)?, parse_count(calls)?)))
        .collect::<Result<Vec<_>, ocr_bill::Error>>()?;
    let merged =
        ocr_bill::by_item::<()>(named.iter().map(|(found, calls)| (found, *calls, &[][..])))?;
    let [ocr_bill::ItemMonth { index, calls, .. }] = merged[..] else {
        let first = &named[0].0.item.key;
        let (other, found) = (args.api.iter().zip(&named))
            .find(|(_, (found, _))| found.item.key != *first)
            .expect("two items named");
        return Err(UsageError(format!(
            "--api {other} is billed as {}, and the first --api as {first}: packs serve one \
             billing item, so quote each apart",
            found.0.item.key
        ))
        .into());
    };
    let api = &paid_prices(&prices.items[index], args.pack_price.as_deref())?;
    let quote = calc
        .quote(api, calls, args.months)
        .map_err(|e| flag_named(e, "--months"))?;
    render(
        &reports::Priced::new(
            prices,
            reports::QuoteReport {
                all_options: args.all_options,
                quote: &quote,
                validity: prices.settings.pack_validity_months,
                free: calc.lone_free(api),
            },
        ),
        format,
        style,
    )
}
