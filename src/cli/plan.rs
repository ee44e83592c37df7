//! `ocr-bill plan`: the cheapest purchase for given months or a usage file.

use ocr_bill::{parse_count, read_usage, Item, PriceList};

use super::args::PlanArgs;
use super::input::{calculator, check_account, paid_prices, read_file};
use super::{Out, UsageError};
use crate::render::{render, Format};
use crate::report as reports;

pub(super) fn run(prices: &PriceList, args: &PlanArgs, out: &Out) -> anyhow::Result<Vec<u8>> {
    let (format, style) = (out.format, out.style);
    let calc = calculator(prices, args.negotiated_price.as_deref())?;
    if args.api.is_some() && args.account.is_some() {
        let why = "--account picks an account of a usage file; --api and --monthly have none";
        return Err(UsageError(why.into()).into());
    }
    let forecasts: Vec<(Item, Vec<u64>)> = match (&args.api, &args.usage) {
        (Some(api), _) => {
            let monthly = args
                .monthly
                .iter()
                .flat_map(|n| n.split_whitespace())
                .map(parse_count)
                .collect::<Result<Vec<_>, _>>()?;
            vec![(
                paid_prices(prices.item(api)?, args.pack_price.as_deref())?,
                monthly,
            )]
        }
        (None, Some(path)) => {
            let mut usage = read_file(path, "usage", out.encoding, |r| {
                read_usage(r, prices, &args.columns.names())
            })?;
            if let Some(name) = &args.account {
                let name = name.trim();
                check_account(name, usage.iter().map(|u| u.account.as_str()))?;
                usage.retain(|u| u.account == name);
            }
            ocr_bill::one_account(usage.iter().map(|u| u.account.as_str()))?;
            ocr_bill::monthly_by_api(&usage)?
                .into_iter()
                .map(|(item, monthly)| {
                    Ok((paid_prices(item, args.pack_price.as_deref())?, monthly))
                })
                .collect::<anyhow::Result<Vec<_>>>()?
        }
        (None, None) => unreachable!("clap requires --api or --usage"),
    };
    let plans = forecasts
        .iter()
        .map(|(api, monthly)| calc.plan(api, monthly))
        .collect::<Result<Vec<_>, _>>()?;
    if args.usage.is_none() {
        render(
            &reports::Priced::new(prices, reports::PlanReport(&plans[0])),
            format,
            style,
        )
    } else {
        let mut out = render(
            &reports::Priced::new(prices, reports::Plans::new(&plans)?),
            format,
            style,
        )?;
        if format == Format::Table
            && plans.len() > 1
            && prices.settings.free_quota == ocr_bill::FreeQuota::PerAccount
        {
            out.extend_from_slice(
                b"Note: this edition's free calls are the account's, shared by its items; \
                  each item is planned as if it had them alone, so the plans together \
                  count them more than once.\n",
            );
        }
        Ok(out)
    }
}
