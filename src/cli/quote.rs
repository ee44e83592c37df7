//! `ocr-bill quote`: which packs to buy for a need.

use ocr_bill::{parse_count, PriceList};

use super::args::QuoteArgs;
use super::input::{calculator, paid_prices};
use super::{flag_named, Out};
use crate::render::render;
use crate::report as reports;

pub(super) fn run(prices: &PriceList, args: &QuoteArgs, out: &Out) -> anyhow::Result<Vec<u8>> {
    let (format, style) = (out.format, out.style);
    let calc = calculator(prices, args.negotiated_price.as_deref())?;
    let api = &paid_prices(prices.item(&args.api)?, args.pack_price.as_deref())?;
    let calls = parse_count(&args.calls)?;
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
