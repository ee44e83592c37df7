//! `ocr-bill quote`: which packs to buy for a need.

use ocr_bill::{parse_count, FreeQuota, PriceList};

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
    // Packs serve one billing item: several items are quoted each on its own,
    // but for an account's free calls shared by its items (edition `b`),
    // which make their months one comparison.
    if merged.len() > 1
        && args.months.is_some()
        && prices.settings.free_quota == FreeQuota::PerAccount
    {
        let items: Vec<&str> = (merged.iter())
            .map(|m| prices.items[m.index].key.as_str())
            .collect();
        return Err(UsageError(format!(
            "--months compares with postpaid, where the account's {} free calls a month are \
             shared by its billing items, and the --api name {} ({}): quote each apart",
            prices.settings.free_calls_per_month,
            ocr_bill::counted(items.len() as u64, "billing item"),
            items.join(", ")
        ))
        .into());
    }
    let mut quotes = Vec::with_capacity(merged.len());
    let mut free = Vec::with_capacity(merged.len());
    for ocr_bill::ItemMonth { index, calls, .. } in &merged {
        let api = &paid_prices(&prices.items[*index], args.pack_price.as_deref())?;
        quotes.push(
            calc.quote(api, *calls, args.months)
                .map_err(|e| flag_named(e, "--months"))?,
        );
        free.push(calc.lone_free(api));
    }
    let validity = prices.settings.pack_validity_months;
    match (quotes.as_slice(), free.as_slice()) {
        ([quote], &[free]) => render(
            &reports::Priced::new(
                prices,
                reports::QuoteReport {
                    all_options: args.all_options,
                    quote,
                    validity,
                    free,
                    months_hint: true,
                },
            ),
            format,
            style,
        ),
        _ => render(
            &reports::Priced::new(
                prices,
                reports::Quotes::new(&quotes, free, args.all_options, validity)?,
            ),
            format,
            style,
        ),
    }
}
