//! `ocr-bill prepaid`: one month with packs bought.

use ocr_bill::{parse_count, parse_pack_spec, PriceList};

use super::args::PrepaidArgs;
use super::input::calculator;
use super::{Out, UsageError};
use crate::render::render;
use crate::report as reports;

pub(super) fn run(prices: &PriceList, args: &PrepaidArgs, out: &Out) -> anyhow::Result<Vec<u8>> {
    let (format, style) = (out.format, out.style);
    if args.api.len() != args.calls.len() || args.packs.len() > args.api.len() {
        return Err(UsageError(format!(
            "--api and --calls come in pairs, each with at most one --packs: got {} \
             --api, {} --calls and {} --packs",
            args.api.len(),
            args.calls.len(),
            args.packs.len()
        ))
        .into());
    }
    let calc = calculator(prices, args.negotiated_price.as_deref())?;
    let mut usage = Vec::with_capacity(args.api.len());
    for (i, (api, calls)) in args.api.iter().zip(&args.calls).enumerate() {
        let packs = match args.packs.get(i) {
            Some(spec) => parse_pack_spec(spec)?,
            None => Vec::new(),
        };
        usage.push((prices.find(api)?, parse_count(calls)?, packs));
    }
    let months = calc.prepaid_month(&usage)?;
    let freeze = reports::Freeze::new(prices, calc.prepaid_freeze(&months)?);
    if let [month] = months.as_slice() {
        render(
            &reports::Priced::new(prices, reports::Prepaid { month, freeze }),
            format,
            style,
        )
    } else {
        render(
            &reports::Priced::new(
                prices,
                reports::PrepaidAccount::new(
                    &months,
                    freeze,
                    calc.allowance_note(months.len()).into_iter().collect(),
                )?,
            ),
            format,
            style,
        )
    }
}
