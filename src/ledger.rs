//! Months in a row: packs bought, drawn soonest-expiring first and
//! expiring, alerts, the freeze released and taken, the balance and arrears.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::bill::{ApiCalls, BillLine, Calculator, Event, HeldPack};
use crate::input::{one_account, Purchase, TopUp, Usage};
use crate::month::Month;
use crate::{Error, Money};

/// A pack bought in a month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PackBought {
    /// Number of the first pack, in order of purchase.
    pub pack: usize,
    /// Packs bought together.
    pub packs: u64,
    /// Billing item key.
    pub api: String,
    /// Calls in one pack.
    pub calls: u64,
    /// Price paid for one pack.
    pub price: Money,
    /// What the packs cost.
    pub cost: Money,
    /// The last month they serve.
    pub expires_after: Month,
}

/// One month of the account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LedgerMonth {
    /// The month.
    pub month: Month,
    /// One line per API with calls.
    pub lines: Vec<BillLine>,
    /// Packs bought this month.
    pub packs_bought: Vec<PackBought>,
    /// What they cost, paid from the balance when bought.
    pub pack_cost: Money,
    /// Credited before settlement.
    pub topups: Money,
    /// The postpaid bill: the sum of the lines' amounts.
    pub bill: Money,
    /// Last month's freeze, released at settlement.
    pub released: Money,
    /// Deducted at settlement (the bill).
    pub deducted: Money,
    /// Frozen at settlement as the estimate of next month.
    pub freeze: Money,
    /// Balance after settlement (`None` when no balance is followed: then no
    /// figure of it is given, rather than one counted from an unknown start).
    pub balance: Option<Money>,
    /// Balance minus what is frozen (`None` when no balance is followed).
    pub available: Option<Money>,
    /// What is owed when the balance is negative (欠费), else 0 (`None` when no
    /// balance is followed).
    pub arrears: Option<Money>,
    /// What the account was told, in order.
    pub events: Vec<Event>,
}

/// Sums over the whole ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LedgerTotals {
    /// Paid for packs.
    pub paid_for_packs: Money,
    /// Paid postpaid (the sum of the bills).
    pub paid_postpaid: Money,
    /// Pack calls that expired unused.
    pub calls_wasted: u64,
    /// What those calls had cost.
    pub value_wasted: Money,
    /// Credited.
    pub topups: Money,
    /// Balance after the last month (`None` when no balance is followed).
    pub closing_balance: Option<Money>,
}

/// The month-by-month simulation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ledger {
    /// The opening balance (`None` when no balance is followed).
    pub opening_balance: Option<Money>,
    /// Every month from the first to the last of the inputs (or of the
    /// window asked for), none skipped.
    pub months: Vec<LedgerMonth>,
    /// Sums.
    pub totals: LedgerTotals,
    /// Whether a balance is followed (see [`LedgerInput::track_balance`]).
    pub balance_tracked: bool,
    /// Input rows outside the window asked for, which were left out.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<String>,
    /// What the figures cannot say alone: calls in months when a followed
    /// balance says Tencent had stopped the service for arrears.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// What the ledger is run on.
#[derive(Clone, Debug, Default)]
pub struct LedgerInput<'a> {
    /// Calls per month and API (several rows of one month and API are summed).
    pub usage: Vec<Usage<'a>>,
    /// Pack purchases.
    pub packs: Vec<Purchase<'a>>,
    /// Top-ups.
    pub topups: Vec<TopUp>,
    /// The balance before the first month.
    pub opening_balance: Money,
    /// Whether a balance is followed (an opening balance or top-ups were
    /// given). Without one, packs and bills are paid as they fall due and no
    /// arrears are reported.
    pub track_balance: bool,
    /// Start with this month (rows before it are left out, and counted);
    /// default: the first month of the inputs.
    pub from: Option<Month>,
    /// End with this month (rows after it are left out, and counted), even if
    /// the inputs end earlier; default: the last month of the inputs.
    pub until: Option<Month>,
}

impl LedgerInput<'_> {
    /// The account of every row of usage, packs and top-ups, in that order
    /// (empty where a file has no account column).
    pub fn accounts(&self) -> impl Iterator<Item = &str> {
        self.usage
            .iter()
            .map(|u| u.account.as_str())
            .chain(self.packs.iter().map(|p| p.account.as_str()))
            .chain(self.topups.iter().map(|t| t.account.as_str()))
    }

    /// The month of every row of usage, packs and top-ups.
    pub fn months(&self) -> impl Iterator<Item = Month> + Clone + '_ {
        self.usage
            .iter()
            .map(|u| u.month)
            .chain(self.packs.iter().map(|p| p.month))
            .chain(self.topups.iter().map(|t| t.month))
    }
}

impl Calculator<'_> {
    /// Simulates the account month by month.
    ///
    /// Each month: packs bought are paid; usage is billed per API (free quota,
    /// then the API's packs soonest-expiring first, then overage); top-ups are
    /// credited; at settlement last month's freeze is released, the bill
    /// deducted and the new freeze taken; packs whose last month it was expire.
    ///
    /// ```
    /// use ocr_bill::{Calculator, LedgerInput, PriceList, Usage};
    /// let prices = PriceList::builtin();
    /// let license = prices.item("license").unwrap();
    /// let input = LedgerInput {
    ///     usage: vec![Usage { account: String::new(), month: "2026-01".parse().unwrap(), api: license, source: None, calls: 9000, rows: 1 }],
    ///     until: Some("2026-02".parse().unwrap()),
    ///     ..Default::default()
    /// };
    /// let ledger = Calculator::new(&prices).ledger(&input).unwrap();
    /// assert_eq!(ledger.months[0].freeze.to_string(), "1440.00");
    /// assert_eq!(ledger.months[1].released.to_string(), "1440.00");
    /// ```
    pub fn ledger(&self, input: &LedgerInput<'_>) -> Result<Ledger, Error> {
        let settings = &self.prices.settings;
        // A balance figure only when a balance is followed.
        let tracked = |m: Money| input.track_balance.then_some(m);
        one_account(input.accounts())?;
        let months = input.months();
        let first = input.from.or(months.clone().min()).or(input.until);
        let last = input.until.or(months.max()).or(input.from);
        let (Some(first), Some(last)) = (first, last) else {
            return Ok(Ledger {
                opening_balance: tracked(input.opening_balance),
                months: Vec::new(),
                totals: LedgerTotals {
                    paid_for_packs: Money::ZERO,
                    paid_postpaid: Money::ZERO,
                    calls_wasted: 0,
                    value_wasted: Money::ZERO,
                    topups: Money::ZERO,
                    closing_balance: tracked(input.opening_balance),
                },
                balance_tracked: input.track_balance,
                left_out: Vec::new(),
                notes: Vec::new(),
            });
        };
        if first > last {
            return Err(Error::Invalid(format!(
                "the ledger would start in {first} and end in {last}; the first month must \
                 not come after the last"
            )));
        }
        if first.months_until(last) > 1200 {
            return Err(Error::Invalid(format!(
                "the ledger would run from {first} to {last}; at most 100 years"
            )));
        }
        let inside = |m: Month| first <= m && m <= last;
        let mut left_out = Vec::new();
        for ((one, many), outside) in [
            (
                ("usage row", "usage rows"),
                (input.usage.iter().filter(|u| !inside(u.month)))
                    .map(|u| u.rows as usize)
                    .sum(),
            ),
            (
                ("pack purchase", "pack purchases"),
                input.packs.iter().filter(|p| !inside(p.month)).count(),
            ),
            (
                ("top-up", "top-ups"),
                input.topups.iter().filter(|t| !inside(t.month)).count(),
            ),
        ] {
            if outside > 0 {
                let (what, were) = if outside == 1 {
                    (one, "was")
                } else {
                    (many, "were")
                };
                left_out.push(format!(
                    "{outside} {what} outside {first} to {last} {were} left out"
                ));
            }
        }
        // A pack bought before the window may still serve calls in it: its
        // calls left are not known without the months before, so the window is
        // billed as if it had not been bought, and the user is told.
        let still_valid = input
            .packs
            .iter()
            .filter(|p| p.month < first && p.month.plus(settings.pack_validity_months - 1) >= first)
            .count();
        if still_valid > 0 {
            left_out.push(format!(
                "{still_valid} of them bought before {first} would still serve calls from \
                 {first}: the window is billed as if they were never bought; start the ledger \
                 at the first month to carry them"
            ));
        }
        // The month's calls per billing item (item index), and per API.
        let mut calls_by: BTreeMap<(Month, usize), u64> = BTreeMap::new();
        let mut apis_by: BTreeMap<(Month, usize), Vec<ApiCalls>> = BTreeMap::new();
        for u in input.usage.iter().filter(|u| inside(u.month)) {
            // (An item of another price list is found by its key.)
            let index = (self.prices.item_index(u.api))
                .or_else(|| self.prices.items.iter().position(|i| i.key == u.api.key))
                .ok_or_else(|| Error::Invalid(format!("{} is not in the price list", u.api.key)))?;
            let total = calls_by.entry((u.month, index)).or_insert(0);
            *total = total
                .checked_add(u.calls)
                .ok_or(Error::Overflow("the month's calls"))?;
            if let Some(api) = u.source {
                let list = apis_by.entry((u.month, index)).or_default();
                match list.iter_mut().find(|a| a.api == api.key) {
                    Some(a) => a.calls = a.calls.saturating_add(u.calls),
                    None => list.push(ApiCalls {
                        api: api.key.clone(),
                        name: api.name.clone(),
                        calls: u.calls,
                    }),
                }
            }
        }
        let mut held: Vec<HeldPack> = Vec::new();
        // Paid packs are numbered in the order bought, from 1.
        let mut next_id = 0usize;
        // One-time free packs (首次开通赠送) are granted in the first month to
        // the billing items the usage has; they are not numbered (0) and are
        // told as granted.
        let mut granted: Vec<usize> = calls_by.keys().map(|&(_, i)| i).collect();
        granted.sort_unstable();
        granted.dedup();
        let mut grants = Vec::new();
        for index in granted {
            let item = &self.prices.items[index];
            if item.one_time_free_calls == 0 {
                continue;
            }
            let months = settings.one_time_free_months.expect(
                "a price list with one-time free calls states their validity (checked when read)",
            );
            let mut lot = HeldPack::new(
                0,
                1,
                &item.key,
                item.one_time_free_calls,
                Money::ZERO,
                first.plus(months - 1),
            );
            lot.free = true;
            grants.push(Event::FreePackGranted {
                api: lot.api.clone(),
                size: lot.size,
                expires_after: lot.last_month,
            });
            held.push(lot);
        }
        let mut balance = input.opening_balance;
        let mut frozen = Money::ZERO;
        // Sized as they will be: a file of many accounts holds many ledgers.
        let mut out = Vec::with_capacity(first.months_until(last) as usize + 1);
        let mut totals = LedgerTotals {
            paid_for_packs: Money::ZERO,
            paid_postpaid: Money::ZERO,
            calls_wasted: 0,
            value_wasted: Money::ZERO,
            topups: Money::ZERO,
            closing_balance: None,
        };
        let mut month = first;
        while month <= last {
            let mut events = std::mem::take(&mut grants);
            // Packs bought this month are paid now and serve from this month.
            let mut packs_bought = Vec::new();
            let mut pack_cost = Money::ZERO;
            for p in input.packs.iter().filter(|p| p.month == month) {
                let pack = p.api.pack_at(p.size, p.price)?;
                let last_month = month.plus(settings.pack_validity_months - 1);
                let lot = HeldPack::new(
                    next_id + 1,
                    p.count,
                    &p.api.key,
                    p.size,
                    Money::round(pack.price),
                    last_month,
                );
                lot.remaining()?;
                next_id = next_id
                    .checked_add(p.count as usize)
                    .ok_or(Error::Overflow("the number of packs"))?;
                let cost = Decimal::from(p.count)
                    .checked_mul(pack.price)
                    .map(Money::round)
                    .ok_or(Error::Overflow("the packs' cost"))?;
                pack_cost = pack_cost.checked_add(cost)?;
                packs_bought.push(PackBought {
                    pack: lot.id,
                    packs: p.count,
                    api: lot.api.clone(),
                    calls: lot.size,
                    price: lot.price,
                    cost,
                    expires_after: lot.last_month,
                });
                held.push(lot);
            }
            // Usage, per billing item in price-list order, with the month's
            // rows summed and the free calls by the price list's scope.
            let month_items: Vec<(usize, u64)> = calls_by
                .range((month, 0)..=(month, usize::MAX))
                .map(|(&(_, i), &c)| (i, c))
                .collect();
            let free = self.free_calls(&month_items);
            let mut lines = Vec::with_capacity(month_items.len());
            // The packs held, by billing item, each with its place (one pass,
            // whatever the number of items and packs).
            let mut by_item: BTreeMap<String, Vec<(usize, HeldPack)>> = BTreeMap::new();
            for (at, h) in held.drain(..).enumerate() {
                match by_item.get_mut(&h.api) {
                    Some(lots) => lots.push((at, h)),
                    None => {
                        by_item.insert(h.api.clone(), vec![(at, h)]);
                    }
                }
            }
            let mut used = Vec::new();
            for (&(index, calls), free) in month_items.iter().zip(free) {
                let item = &self.prices.items[index];
                let mut mine: Vec<HeldPack> = (by_item.remove(&item.key).unwrap_or_default())
                    .into_iter()
                    .map(|(_, h)| h)
                    .collect();
                // Free packs first, then the soonest-expiring.
                mine.sort_by_key(|h| (!h.free, h.last_month, h.id));
                let mut line = self
                    .line_with_free(item, calls, free, &mut mine)
                    .map_err(|e| in_month(month, e))?;
                line.apis = apis_by.remove(&(month, index)).unwrap_or_default();
                events.append(&mut line.events);
                used.extend(mine);
                lines.push(line);
            }
            // The packs not drawn on, in their places, then the ones drawn on
            // in the items' order: ordered by number (a stable sort).
            let mut rest: Vec<(usize, HeldPack)> = by_item.into_values().flatten().collect();
            rest.sort_by_key(|(at, _)| *at);
            held.extend(rest.into_iter().map(|(_, h)| h).chain(used));
            held.sort_by_key(|h| h.id);
            let bill = Money::checked_sum(lines.iter().map(|l| l.amount))?;
            let topups = Money::checked_sum(
                input
                    .topups
                    .iter()
                    .filter(|t| t.month == month)
                    .map(|t| t.amount),
            )?;
            // Settlement: release, deduct, freeze.
            let released = frozen;
            balance = balance
                .checked_add(topups)?
                .checked_sub(pack_cost)?
                .checked_sub(bill)?;
            frozen = self.freeze(&lines).map_err(|e| in_month(month, e))?;
            // Packs whose last month this was expire now.
            let mut kept = Vec::with_capacity(held.len());
            for h in held.drain(..) {
                if h.last_month > month {
                    kept.push(h);
                    continue;
                }
                let unused = h.remaining()?;
                if unused > 0 {
                    let (price, left, size) = (
                        h.price.decimal(),
                        Decimal::from(unused),
                        Decimal::from(h.size),
                    );
                    let value = Money::round(
                        price
                            .checked_mul(left)
                            .map_or_else(|| price * (left / size), |x| x / size),
                    );
                    totals.calls_wasted = totals
                        .calls_wasted
                        .checked_add(unused)
                        .ok_or(Error::Overflow("the calls wasted"))?;
                    totals.value_wasted = totals.value_wasted.checked_add(value)?;
                    events.push(Event::PackExpired {
                        api: h.api.clone(),
                        pack: h.drawn_from(),
                        free: h.free,
                        packs: h.usable(),
                        size: h.size,
                        unused_calls: unused,
                        unused_value: value,
                    });
                }
            }
            held = kept;
            let available = balance.checked_sub(frozen)?;
            let arrears = if input.track_balance && balance.is_negative() {
                events.push(Event::Arrears { balance });
                Money::ZERO.checked_sub(balance)?
            } else {
                Money::ZERO
            };
            totals.paid_for_packs = totals.paid_for_packs.checked_add(pack_cost)?;
            totals.paid_postpaid = totals.paid_postpaid.checked_add(bill)?;
            totals.topups = totals.topups.checked_add(topups)?;
            out.push(LedgerMonth {
                month,
                lines,
                packs_bought,
                pack_cost,
                topups,
                bill,
                released,
                deducted: bill,
                freeze: frozen,
                balance: tracked(balance),
                available: tracked(available),
                arrears: tracked(arrears),
                events,
            });
            month = month.next();
        }
        totals.closing_balance = tracked(balance);
        let opening = tracked(input.opening_balance);
        let notes = stopped_for_arrears(opening, &out).into_iter().collect();
        Ok(Ledger {
            opening_balance: opening,
            months: out,
            totals,
            balance_tracked: input.track_balance,
            left_out,
            notes,
        })
    }
}

/// Months listed in a note at most.
const MONTHS_NAMED: usize = 3;

/// The note on months with calls that follow a settlement in arrears (a
/// followed balance below zero, or an opening balance) which no top-up of
/// theirs cleared, if any.
///
/// Tencent stops OCR 24 hours after a settlement (on the 1st to 3rd) leaves
/// the balance negative, packs included, until the arrears are paid
/// (欠费说明). Monthly figures do not say on which day a call was made, so
/// such calls may be of the hours before the stop; more often a top-up, or
/// the opening balance, is missing from what the ledger was given.
fn stopped_for_arrears(opening: Option<Money>, months: &[LedgerMonth]) -> Option<String> {
    // Each month with the balance it started with: the opening balance (a
    // negative one is arrears carried in), then the last month's.
    let starts = std::iter::once(opening).chain(months.iter().map(|m| m.balance));
    let stopped: Vec<String> = months
        .iter()
        .zip(starts)
        .filter(|(month, start)| {
            let in_arrears = start.is_some_and(|b| b.is_negative());
            // The month's balance before its own settlement: with its top-ups
            // credited and its packs paid.
            let still = month
                .balance
                .and_then(|b| b.checked_add(month.bill).ok())
                .is_some_and(|b| b.is_negative());
            in_arrears && still && month.lines.iter().any(|l| l.calls > 0)
        })
        .map(|(month, _)| month.month.to_string())
        .collect();
    let named = match stopped.len() {
        0 => return None,
        n if n > MONTHS_NAMED => format!(
            "{} and {} more",
            stopped[..MONTHS_NAMED].join(", "),
            n - MONTHS_NAMED
        ),
        _ => stopped.join(", "),
    };
    Some(format!(
        "calls in {named} follow a settlement that left the balance negative, with no \
         top-up clearing it: Tencent stops OCR 24 hours after such a settlement, packs \
         included, until the arrears are paid (欠费说明), so only calls of the hours \
         before the stop could be billed there; a top-up (--topups) or the opening \
         balance (--balance) may be missing"
    ))
}

/// A refusal of `month`'s settlement, naming the month.
fn in_month(month: Month, error: Error) -> Error {
    Error::InMonth {
        month: month.to_string(),
        refusal: Box::new(error),
    }
}
