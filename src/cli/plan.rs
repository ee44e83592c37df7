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
    // What is said of a usage file, where the plan reads none.
    let about_a_file = (args.account.is_some().then_some("--account")).or(args.columns.given());
    if let (Some(_), Some(flag)) = (&args.api, about_a_file) {
        return Err(UsageError(format!(
            "{flag} is about a usage file; --api and --monthly have none"
        ))
        .into());
    }
    let plan_all = |forecasts: Vec<(&Item, Vec<u64>)>| {
        forecasts
            .into_iter()
            .map(|(item, monthly)| {
                let item = paid_prices(item, args.pack_price.as_deref())?;
                Ok(calc.plan(&item, &monthly)?)
            })
            .collect::<anyhow::Result<Vec<_>>>()
    };
    let Some(path) = &args.usage else {
        let api = args.api.as_deref().expect("clap requires --api or --usage");
        let monthly = args
            .monthly
            .iter()
            .flat_map(|n| n.split_whitespace())
            .map(parse_count)
            .collect::<Result<Vec<_>, _>>()?;
        let plans = plan_all(vec![(prices.item(api)?, monthly)])?;
        return render(
            &reports::Priced::new(prices, reports::PlanReport(&plans[0])),
            format,
            style,
        );
    };
    let mut usage = read_file(path, "usage", out, |r| {
        read_usage(r, prices, &args.columns.names())
    })?;
    if let Some(name) = &args.account {
        let name = name.trim();
        check_account(name, usage.iter().map(|u| u.account.as_str()))?;
        usage.retain(|u| u.account == name);
    }
    // Each account on its own (RULES §8), over its own months; a file
    // without accounts is one account's.
    let mut names: Vec<String> = ocr_bill::accounts(usage.iter().map(|u| u.account.as_str()))
        .into_iter()
        .map(str::to_string)
        .collect();
    if names.is_empty() {
        names.push(String::new());
    }
    let keys: Vec<&str> = names.iter().map(String::as_str).collect();
    let apart = ocr_bill::split_by_account(usage, &keys, |u| &u.account);
    // Each account's plans are rendered as they are made, and dropped.
    let mut each = match names.len() {
        1 => None,
        n => Some(reports::PerAccount::new(prices, format, style, n)?),
    };
    let mut overcounted = false;
    let mut out = Vec::new();
    for (name, rows) in names.iter().zip(apart) {
        let plans =
            plan_all(ocr_bill::monthly_by_api(&rows)?).map_err(|e| match name.as_str() {
                "" => e,
                _ => e.context(format!("account {name}")),
            })?;
        overcounted |= plans.len() > 1;
        let from = rows.iter().map(|u| u.month).min();
        let report = reports::Plans::new(&plans, from.expect("an account has rows"))?;
        match &mut each {
            Some(each) => each.add(name, &report)?,
            None => out = render(&reports::Priced::new(prices, report), format, style)?,
        }
    }
    if let Some(each) = each {
        out = each.finish()?;
    }
    if format == Format::Table
        && overcounted
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
