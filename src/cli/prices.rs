//! `ocr-bill prices`: the loaded price list, or the built-in editions.

use ocr_bill::PriceList;

use super::args::PricesArgs;
use super::Out;
use crate::render::{render, Format};
use crate::report as reports;

pub(super) fn run(prices: &PriceList, args: &PricesArgs, out: &Out) -> anyhow::Result<Vec<u8>> {
    if args.editions {
        let editions = ocr_bill::EDITIONS
            .iter()
            .map(|(name, _)| {
                PriceList::edition(name).map(|l| reports::Edition {
                    edition: l.about.edition,
                    currency: l.settings.currency,
                    source: l.about.source,
                    summary: l.about.summary,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        return render(&reports::Editions(editions), out.format, out.style);
    }
    if out.format == Format::Toml && args.api.is_none() {
        return Ok(prices.to_toml().into_bytes());
    }
    let apis = match &args.api {
        Some(name) => vec![prices.item(name)?],
        None => prices.items.iter().collect(),
    };
    render(&reports::Prices::new(prices, apis), out.format, out.style)
}
