//! `ocr-bill prepaid`: one month with packs bought.

use ocr_bill::{parse_count, parse_pack_spec, PriceList};

use super::args::PrepaidArgs;
use super::input::calculator;
use super::{Out, UsageError};
use crate::render::render;
use crate::report as reports;

pub(super) fn run(prices: &PriceList, args: &PrepaidArgs, out: &Out) -> anyhow::Result<Vec<u8>> {
    let (format, style) = (out.format, out.style);
    if args.api.len() != args.calls.len() {
        return Err(UsageError(format!(
            "--api and --calls come in pairs, each followed by at most one --packs: got {} \
             --api and {} --calls",
            args.api.len(),
            args.calls.len(),
        ))
        .into());
    }
    let packs = packs_by_api(args)?;
    let calc = calculator(prices, args.negotiated_price.as_deref())?;
    let mut usage = Vec::with_capacity(args.api.len());
    for ((api, calls), packs) in args.api.iter().zip(&args.calls).zip(packs) {
        let packs = match packs {
            Some(spec) => parse_pack_spec(spec)?,
            None => Vec::new(),
        };
        usage.push((prices.find(api)?, parse_count(calls)?, packs));
    }
    let months = calc
        .prepaid_month(&usage)
        .map_err(|e| size_and_count_swapped(e, &usage))?;
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

/// Each --api's --packs: the one that follows it on the command line (with
/// one --api, wherever it stands). Two for one --api, or one before the
/// first of several, is refused.
fn packs_by_api(args: &PrepaidArgs) -> Result<Vec<Option<&String>>, UsageError> {
    let mut packs = vec![None; args.api.len()];
    for (spec, after) in args.packs.iter().zip(&args.packs_after) {
        let at = match (args.api.len(), after) {
            (1, _) => 0,
            (_, Some(at)) => *at,
            (_, None) => {
                return Err(UsageError(format!(
                    "--packs {spec} comes before any --api: write each --packs after the \
                     --api whose packs they are (--api A --calls N --packs SPEC)"
                )))
            }
        };
        if let Some(first) = packs[at].replace(spec) {
            return Err(UsageError(format!(
                "two --packs for --api {}: '{first}' and '{spec}'; give one list: \
                 --packs {first},{spec}",
                args.api[at]
            )));
        }
    }
    Ok(packs)
}

/// A pack size not offered, told with its count when the count is a size
/// offered and the size one that could be a count (`2x1000`, written for two
/// packs of 1,000: SIZE comes first).
fn size_and_count_swapped(
    e: ocr_bill::Error,
    usage: &[(ocr_bill::Found<'_>, u64, Vec<ocr_bill::PackSpec>)],
) -> anyhow::Error {
    if let ocr_bill::Error::PackSizeNotOffered { size, offered, .. } = &e {
        let offered: Vec<&str> = offered.split(", ").collect();
        let swapped = (usage.iter())
            .flat_map(|(_, _, packs)| packs)
            .find(|p| p.size == *size && offered.contains(&p.count.to_string().as_str()));
        if let Some(p) = swapped {
            return anyhow::anyhow!(
                "{e}; {size}x{count} is {count} packs of {size} calls (SIZExCOUNT): for {size} \
                 packs of {count} calls write {count}x{size}",
                count = p.count
            );
        }
    }
    e.into()
}
