//! `ocr-bill ledger`: the usage, packs and top-ups files, month by month.

use anyhow::{anyhow, Context};
use ocr_bill::{read_packs, read_topups, read_usage, split_by_account, LedgerInput, PriceList};

use super::args::LedgerArgs;
use super::input::{calculator, check_account, month_flag, opening_balance, read_files};
use super::{Out, UsageError};
use crate::output::Spill;
use crate::render::{diagnostic, render};
use crate::report as reports;

pub(super) fn run(prices: &PriceList, args: &LedgerArgs, out: &Out) -> anyhow::Result<Spill> {
    let (format, style) = (out.format, out.style);
    let calc = calculator(prices, args.negotiated_price.as_deref())?;
    if args.usage.is_empty() {
        return Err(
            UsageError("ledger needs a usage file: ocr-bill ledger usage.csv".into()).into(),
        );
    }
    let mut input = LedgerInput {
        usage: read_files(&args.usage, "usage", out, |r| {
            read_usage(r, prices, &args.columns.names())
        })?,
        packs: read_files(&args.packs, "packs", out, |r| read_packs(r, prices))?,
        topups: read_files(&args.topups, "top-ups", out, read_topups)?,
        opening_balance: match &args.balance {
            Some(b) => opening_balance(b)?,
            None => ocr_bill::Money::ZERO,
        },
        track_balance: args.balance.is_some() || !args.topups.is_empty(),
        from: month_flag("--from", &args.from)?,
        until: month_flag("--until", &args.until)?,
    };
    // Every account is followed to the files' last month: an account without
    // rows in a month the files cover had no calls in it, and its freeze is
    // still released and its packs still expire as the months pass.
    input.until = input.until.or(input.months().max());
    if let Some(name) = &args.account {
        let name = name.trim();
        check_account(name, input.usage.iter().map(|u| u.account.as_str()))?;
        keep_account(&mut input, name);
    }
    let names: Vec<String> = ocr_bill::accounts(input.accounts())
        .into_iter()
        .map(str::to_string)
        .collect();
    if names.len() <= 1 {
        let ledger = calc.ledger(&input)?;
        return Ok(render(
            &reports::Priced::new(prices, reports::LedgerReport(&ledger)),
            format,
            style,
        )?
        .into());
    }
    // Each account on its own (RULES §8): its own quotas, packs, freeze and
    // balance. What is not one account's cannot be given to one.
    let shown = || ocr_bill::first_of(names.iter(), 10);
    if args.balance.is_some() {
        return Err(UsageError(format!(
            "--balance is one account's opening balance, and the files hold {} accounts ({}): \
             choose one with --account",
            names.len(),
            shown()
        ))
        .into());
    }
    for (file, unnamed) in [
        ("usage", input.usage.iter().any(|u| u.account.is_empty())),
        ("packs", input.packs.iter().any(|p| p.account.is_empty())),
        ("top-ups", input.topups.iter().any(|t| t.account.is_empty())),
    ] {
        if unnamed {
            return Err(anyhow!(
                "the {file} file has no account column, and the files hold {} accounts ({}): \
                 name each row's account in an account column, or choose one with --account",
                names.len(),
                shown()
            ));
        }
    }
    // Each account's rows apart, in one pass over each file (every row names
    // its account here).
    let keys: Vec<&str> = names.iter().map(String::as_str).collect();
    let usage = split_by_account(std::mem::take(&mut input.usage), &keys, |u| &u.account);
    let packs = split_by_account(std::mem::take(&mut input.packs), &keys, |p| &p.account);
    let topups = split_by_account(std::mem::take(&mut input.topups), &keys, |t| &t.account);
    // An account that only packs or top-ups name (a mistyped ID, most often)
    // is billed as one of its own, and the account meant goes without them.
    let counts = usage
        .counts()
        .iter()
        .zip(packs.counts())
        .zip(topups.counts());
    for (name, ((&usage, &packs), &topups)) in names.iter().zip(counts) {
        let by = match (usage == 0, packs == 0, topups == 0) {
            (false, ..) => continue,
            (true, false, false) => "the packs and top-ups files",
            (true, false, true) => "the packs file",
            (true, true, _) => "the top-ups file",
        };
        diagnostic(&format!(
            "warning: account {name} is named only in {by}, with no usage: it is billed as an \
             account of its own; if those rows are another account's, correct the account there"
        ))?;
    }
    // Each account's ledger is rendered as it is made, and dropped.
    let mut each = reports::PerAccount::new(prices, format, style, names.len())?;
    for (((name, usage), packs), topups) in names.iter().zip(usage).zip(packs).zip(topups) {
        let one = LedgerInput {
            usage,
            packs,
            topups,
            ..input.clone()
        };
        // (A context, so that the error's remedy is still found in the chain.)
        let ledger = calc
            .ledger(&one)
            .with_context(|| format!("account {name}"))?;
        each.add(name, &reports::LedgerReport(&ledger))?;
    }
    each.finish()
}

/// Leaves the rows of account `name` (and the packs and top-ups of no
/// account, which are then its).
fn keep_account(input: &mut LedgerInput<'_>, name: &str) {
    input.usage.retain(|u| u.account == name);
    input
        .packs
        .retain(|p| p.account.is_empty() || p.account == name);
    input
        .topups
        .retain(|t| t.account.is_empty() || t.account == name);
}
