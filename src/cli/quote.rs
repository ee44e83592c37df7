//! `ocr-bill quote`: which packs to buy for a need.

use ocr_bill::{parse_count, FreeQuota, PriceList};

use super::args::QuoteArgs;
use super::input::{calculator, in_pairs, paid_prices};
use super::{flag_named, Out};
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
    // Packs serve one billing item: several items are quoted each on its own.
    // Spread over months, each month's free calls are each item's own, or its
    // share of the account's allowance (edition `b`), which the month's calls
    // of the items before it in the price list decide.
    let free_by_month: Vec<Option<Vec<u64>>> = match args.months {
        Some(months)
            if merged.len() > 1
                && prices.settings.free_quota == FreeQuota::PerAccount
                && (1..=prices.settings.pack_validity_months).contains(&months) =>
        {
            let spread: Vec<Vec<u64>> = (merged.iter())
                .map(|m| ocr_bill::spread_calls(m.calls, months))
                .collect();
            let items: Vec<(usize, &[u64])> = (merged.iter().zip(&spread))
                .map(|(m, s)| (m.index, s.as_slice()))
                .collect();
            calc.free_calls_by_month(&items)
                .into_iter()
                .map(Some)
                .collect()
        }
        _ => vec![None; merged.len()],
    };
    let shares: Vec<Option<(u64, u64)>> = (free_by_month.iter())
        .map(|f| {
            let f = f.as_ref()?;
            Some((*f.iter().min()?, *f.iter().max()?))
        })
        .collect();
    let mut quotes = Vec::with_capacity(merged.len());
    let mut free = Vec::with_capacity(merged.len());
    for (ocr_bill::ItemMonth { index, calls, .. }, shares) in merged.iter().zip(&free_by_month) {
        let api = &paid_prices(&prices.items[*index], args.pack_price.as_deref())?;
        quotes.push(
            calc.quote_with_free(api, *calls, args.months, shares.as_deref())
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
                    share: None,
                    months_hint: true,
                },
            ),
            format,
            style,
        ),
        _ => render(
            &reports::Priced::new(
                prices,
                reports::Quotes::new(&quotes, free, shares, args.all_options, validity)?,
            ),
            format,
            style,
        ),
    }
}
