//! `ocr-bill quote`: which packs to buy for a need.

use ocr_bill::{parse_count, PriceList};

use super::args::QuoteArgs;
use super::input::in_pairs;
use super::input::{calculator, paid_prices};
use super::{flag_named, Out, UsageError};
use crate::render::render;
use crate::report as reports;

pub(super) fn run(prices: &PriceList, args: &QuoteArgs, out: &Out) -> anyhow::Result<Vec<u8>> {
    let (format, style) = (out.format, out.style);
    in_pairs(&args.api, &args.calls)?;
    let calc = calculator(prices, args.negotiated_price.as_deref())?;
    // APIs of one billing item are quoted as the item: its packs serve them
    // all. Packs of two items are two quotes.
    let mut item: Option<ocr_bill::Found> = None;
    let mut calls = 0u64;
    for (name, n) in args.api.iter().zip(&args.calls) {
        let found = prices.find(name)?;
        if let Some(first) = &item {
            if first.item_index != found.item_index {
                return Err(UsageError(format!(
                    "--api {name} is billed as {}, and the first --api as {}: packs serve one \
                     billing item, so quote each apart",
                    found.item.key, first.item.key
                ))
                .into());
            }
        }
        calls = calls
            .checked_add(parse_count(n)?)
            .ok_or_else(|| anyhow::anyhow!("--calls: the calls add up past {}", u64::MAX))?;
        item.get_or_insert(found);
    }
    let found = item.expect("clap requires one --api");
    let api = &paid_prices(found.item, args.pack_price.as_deref())?;
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
