//! `ocr-bill plan`: the cheapest purchase for given months or a usage file.

use ocr_bill::{parse_count, Item, PriceList};

use super::args::PlanArgs;
use super::input::{calculator, check_account, month_flag, paid_prices, read_files};
use super::{Out, UsageError};
use crate::output::Spill;
use crate::render::{diagnostic, render};
use crate::report as reports;

pub(super) fn run(prices: &PriceList, args: &PlanArgs, out: &Out) -> anyhow::Result<Spill> {
    let (format, style) = (out.format, out.style);
    let calc = calculator(prices, args.negotiated_price.as_deref())?;
    // What is said of a usage file, where the plan reads none.
    let about_a_file = [
        (args.account.is_some(), "--account"),
        (args.from.is_some(), "--from"),
        (args.until.is_some(), "--until"),
    ]
    .into_iter()
    .find_map(|(given, flag)| given.then_some(flag))
    .or(args.columns.given());
    if let (false, Some(flag)) = (args.api.is_empty(), about_a_file) {
        return Err(UsageError(format!(
            "{flag} is about a usage file; --api and --monthly have none"
        ))
        .into());
    }
    // Each item with its free calls of each month: its own quota, or its
    // share of the account's allowance (edition `b`), which the month's calls
    // of the items before it in the price list decide, whatever packs any
    // item holds; so the items' plans are each exact, and their sum too.
    let plan_all = |forecasts: Vec<(&Item, Vec<u64>)>| {
        let free = month_by_month_free(&calc, prices, &forecasts);
        forecasts
            .into_iter()
            .zip(free)
            .map(|((item, monthly), free)| {
                let item = paid_prices(item, args.pack_price.as_deref())?;
                Ok(calc.plan_with_free(&item, &monthly, &free)?)
            })
            .collect::<anyhow::Result<Vec<_>>>()
    };
    if args.usage.is_empty() {
        let forecasts = forecasts(prices, args)?;
        let plans = plan_all(forecasts)?;
        let notes = shared_free_notes(prices, plans.len());
        return Ok(match plans.as_slice() {
            [plan] => render(
                &reports::Priced::new(prices, reports::PlanReport(plan)),
                format,
                style,
            )?,
            _ => render(
                &reports::Priced::new(prices, reports::Plans::new(&plans, None, notes)?),
                format,
                style,
            )?,
        }
        .into());
    }
    let mut usage = read_files(&args.usage, "usage", out, |r| {
        ocr_bill::read_usage(r, prices, &args.columns.names())
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
    let several = names.len() > 1;
    let chosen = ocr_bill::Months {
        from: month_flag("--from", &args.from)?,
        until: month_flag("--until", &args.until)?,
    };
    let (from, until) = (chosen.from, chosen.until);
    if let (Some(from), Some(until)) = (from, until) {
        anyhow::ensure!(from <= until, "--from {from} comes after --until {until}");
    }
    let outside: u64 = (usage.iter().filter(|u| !chosen.contains(u.month)))
        .map(|u| u.rows)
        .sum();
    if outside > 0 {
        usage.retain(|u| chosen.contains(u.month));
        // (The window asked for, and where the rows left out are.)
        let (window, beyond) = (chosen.window(), chosen.beyond());
        anyhow::ensure!(
            !usage.is_empty(),
            "no usage rows {window}: all {outside} are {beyond}"
        );
        // (A set: a file may hold hundreds of thousands of accounts.)
        let kept: rustc_hash::FxHashSet<&str> = usage.iter().map(|u| u.account.as_str()).collect();
        let gone: Vec<&String> = names
            .iter()
            .filter(|n| !kept.contains(n.as_str()))
            .collect();
        let gone = match gone.len() {
            0 => String::new(),
            n => format!(
                ", and with them {n} account{} without rows {window}: {}",
                if n == 1 { "" } else { "s" },
                ocr_bill::first_of(gone.iter(), 10)
            ),
        };
        diagnostic(&format!(
            "note: {outside} usage row{} {beyond} {} left out{gone}",
            if outside == 1 { "" } else { "s" },
            if outside == 1 { "was" } else { "were" }
        ))?;
        names.retain(|n| kept.contains(n.as_str()));
    }
    if names.is_empty() {
        names.push(String::new());
    }
    let keys: Vec<&str> = names.iter().map(String::as_str).collect();
    let apart = ocr_bill::split_by_account(usage, &keys, |u| &u.account);
    // Each account's plans are rendered as they are made, and dropped (a file
    // of several accounts is told as such, if the window leaves one).
    let mut each = match several {
        false => None,
        true => Some(reports::PerAccount::new(
            prices,
            format,
            style,
            names.len(),
        )?),
    };
    let plan_account = |(name, rows): (&String, Vec<ocr_bill::Usage<'_>>)| {
        let in_account = |e: anyhow::Error| match name.as_str() {
            "" => e,
            _ => e.context(format!("account {name}")),
        };
        let (first, monthly) = ocr_bill::monthly_by_api(&rows, from, until)?;
        let months = monthly.first().map_or(0, |m| m.1.len()) as u32;
        let validity = prices.settings.pack_validity_months;
        if months > validity {
            let last = first.plus(months - 1);
            return Err(in_account(anyhow::anyhow!(
                "the usage runs from {first} to {last}, {months} months; a plan covers {} \
                 (the packs' validity): choose them with --from and --until (the last \
                 {validity}: --from {})",
                ocr_bill::plan_months(validity),
                first.plus(months - validity)
            )));
        }
        Ok((first, plan_all(monthly).map_err(in_account)?))
    };
    let mut out = Spill::default();
    // The accounts planned a few hundred at a time on every core, and told in
    // their order.
    let mut accounts = names.iter().zip(apart);
    loop {
        let some: Vec<_> = accounts.by_ref().take(256).collect();
        if some.is_empty() {
            break;
        }
        let these: Vec<&String> = some.iter().map(|(name, _)| *name).collect();
        for (name, planned) in these
            .into_iter()
            .zip(super::in_parallel(some, &plan_account))
        {
            let (first, plans) = planned?;
            let notes = shared_free_notes(prices, plans.len());
            let report = reports::Plans::new(&plans, Some(first), notes)?;
            match &mut each {
                Some(each) => each.add(name, &report)?,
                None => out = render(&reports::Priced::new(prices, report), format, style)?.into(),
            }
        }
    }
    if let Some(each) = each {
        out = each.finish()?;
    }
    Ok(out)
}

/// What plans of `plans` billing items together say: how an account's free
/// calls (edition `b`) were shared by them.
fn shared_free_notes(prices: &PriceList, plans: usize) -> Vec<String> {
    let shared = prices.settings.free_quota == ocr_bill::FreeQuota::PerAccount;
    (shared && plans > 1)
        .then(|| {
            format!(
                "this edition's {} free calls a month are the account's: each month the items \
                 take them in price-list order, each up to its calls, and each item is planned \
                 with its share",
                prices.settings.free_calls_per_month
            )
        })
        .into_iter()
        .collect()
}

/// Each item's free calls in each month of `forecasts` (items distinct), as
/// the calculator shares them out.
fn month_by_month_free(
    calc: &ocr_bill::Calculator<'_>,
    prices: &PriceList,
    forecasts: &[(&Item, Vec<u64>)],
) -> Vec<Vec<u64>> {
    let index = |item: &Item| prices.items.iter().position(|i| i.key == item.key);
    match (forecasts.iter())
        .map(|(item, monthly)| Some((index(item)?, monthly.as_slice())))
        .collect::<Option<Vec<_>>>()
    {
        Some(items) => calc.free_calls_by_month(&items),
        // (Every forecast's item is the price list's: each as if alone.)
        None => (forecasts.iter())
            .map(|(item, monthly)| vec![calc.lone_free(item); monthly.len()])
            .collect(),
    }
}

/// The command line's forecasts, each `--api` with its `--monthly`: APIs of
/// one billing item summed month by month, as the item's.
fn forecasts<'p>(
    prices: &'p PriceList,
    args: &PlanArgs,
) -> anyhow::Result<Vec<(&'p Item, Vec<u64>)>> {
    // Each --monthly's values (all of them as one, if not told apart).
    let mut rest = args.monthly.as_slice();
    let runs = match args.monthly_runs.as_slice() {
        [] => vec![rest.len()],
        runs => runs.to_vec(),
    };
    let monthly: Vec<&[String]> = (runs.iter())
        .map(|&n| {
            let (run, after) = rest.split_at(n.min(rest.len()));
            rest = after;
            run
        })
        .collect();
    if args.api.len() != monthly.len() {
        return Err(UsageError(format!(
            "--api and --monthly come in pairs, each API with its months' calls: got {} --api \
             and {} --monthly",
            args.api.len(),
            monthly.len()
        ))
        .into());
    }
    let mut items: Vec<(&Item, Vec<u64>, &str)> = Vec::new();
    for (api, monthly) in args.api.iter().zip(monthly) {
        let found = prices.find(api)?;
        let calls = monthly
            .iter()
            .flat_map(|n| n.split_whitespace())
            .map(parse_count)
            .collect::<Result<Vec<_>, _>>()?;
        if let Some((_, first, first_api)) = items.first() {
            anyhow::ensure!(
                calls.len() == first.len(),
                "--api {api} has {} and --api {first_api} {}: the plans cover the same months, \
                 so give each API as many",
                ocr_bill::counted(calls.len() as u64, "month"),
                ocr_bill::counted(first.len() as u64, "month")
            );
        }
        match items
            .iter_mut()
            .find(|(item, ..)| std::ptr::eq(*item, found.item))
        {
            Some((_, summed, _)) => {
                for (sum, n) in summed.iter_mut().zip(calls) {
                    *sum = sum.checked_add(n).ok_or_else(|| {
                        anyhow::anyhow!("the calls of {} in a month overflow", found.item.key)
                    })?;
                }
            }
            None => items.push((found.item, calls, api)),
        }
    }
    Ok(items
        .into_iter()
        .map(|(item, calls, _)| (item, calls))
        .collect())
}
