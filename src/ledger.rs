//! Months in a row: packs bought, drawn soonest-expiring first and
//! expiring, alerts, the freeze released and taken, the balance and arrears.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::bill::{ApiCalls, BillLine, Calculator, Event, HeldPack};
use crate::columns::{Role, Wanted};
use crate::month::Month;
use crate::pricing::{Item, PriceList};
use crate::records::{ReadError, RecordReader};
use crate::{parse_count, parse_money, Error, Money};

/// A problem in an input file, at a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// 1-based line (the header is line 1); 0 for the file as a whole.
    pub line: u64,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

impl std::error::Error for InputError {}

/// Calls of one API in one month.
#[derive(Clone, Debug)]
pub struct Usage<'a> {
    /// The account (empty when the file has no account column).
    pub account: String,
    /// The month.
    pub month: Month,
    /// The billing item billed.
    pub api: &'a Item,
    /// The API named, when the row named an API (not the item itself).
    pub source: Option<&'a crate::Api>,
    /// Calls.
    pub calls: u64,
}

/// Packs of one size bought in a month.
#[derive(Clone, Debug)]
pub struct Purchase<'a> {
    /// The account (empty when the file has no account column).
    pub account: String,
    /// The price paid for one pack, when not the list price.
    pub price: Option<Decimal>,
    /// The month bought (the first month served).
    pub month: Month,
    /// The API.
    pub api: &'a Item,
    /// Calls in one pack (a size the price list offers).
    pub size: u64,
    /// Number of packs.
    pub count: u64,
}

/// Money credited to the account before a month's settlement.
#[derive(Clone, Debug)]
pub struct TopUp {
    /// The account (empty when the file has no account column).
    pub account: String,
    /// The month.
    pub month: Month,
    /// The amount, not negative.
    pub amount: Money,
}

/// Reads a CSV file's rows, the wanted columns found by the header resolver,
/// with line numbers; values are trimmed.
fn read_rows<R: Read>(
    input: R,
    wanted: &[Wanted<'_>],
    mut row: impl FnMut(u64, &[Option<String>]) -> Result<(), String>,
) -> Result<(), InputError> {
    let at = |line: u64| move |message: String| InputError { line, message };
    let mut reader = RecordReader::new(input);
    let read_error = |e: ReadError| match crate::batch::row_error(e) {
        Ok(error) => InputError {
            line: error.line,
            message: error.to_string(),
        },
        Err(ReadError::TooLong(line)) => InputError {
            line,
            message: crate::records::too_long_message(),
        },
        Err(e) => InputError {
            line: 0,
            message: match e {
                ReadError::Io(e) => e.to_string(),
                _ => "unreadable input".to_string(),
            },
        },
    };
    let required: Vec<&str> = wanted
        .iter()
        .filter(|w| w.required)
        .map(|w| w.role.name())
        .collect();
    let header = reader
        .next_record()
        .map_err(read_error)?
        .ok_or(InputError {
            line: 0,
            message: format!(
                "the file is empty; expected a header row with {}",
                required.join(", ")
            ),
        })?;
    let names: Vec<String> = header
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    let positions = crate::columns::resolve(&names, wanted).map_err(at(1))?;
    let mut values: Vec<Option<String>> = Vec::new();
    while let Some(record) = reader.next_record().map_err(read_error)? {
        let line = record.line;
        if record.len() != names.len() {
            return Err(at(line)(format!(
                "expected {} fields as in the header, found {}",
                names.len(),
                record.len()
            )));
        }
        values.clear();
        for p in &positions {
            values.push(p.map(|i| String::from_utf8_lossy(record.field(i)).trim().to_string()));
        }
        row(line, &values).map_err(at(line))?;
    }
    Ok(())
}

/// Checks that months do not go back in a file.
struct InOrder(Option<Month>);

impl InOrder {
    fn check(&mut self, month: Month) -> Result<(), String> {
        if let Some(last) = self.0 {
            if month < last {
                return Err(format!(
                    "month {month} comes after {last}; rows must be in month order"
                ));
            }
        }
        self.0 = Some(month);
        Ok(())
    }
}

fn text(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("")
}

/// Column names to read usage by, where not the usual ones.
#[derive(Clone, Debug, Default)]
pub struct UsageColumns {
    /// The API column.
    pub api: Option<String>,
    /// The calls column.
    pub calls: Option<String>,
    /// The account column.
    pub account: Option<String>,
    /// The month (or date) column.
    pub month: Option<String>,
}

/// Reads usage: the month (or a date within it), API and calls columns, and
/// an optional account column, in any order of rows; rows of one account,
/// month and API are summed by the ledger.
pub fn read_usage<'a, R: Read>(
    input: R,
    prices: &'a PriceList,
    names: &UsageColumns,
) -> Result<Vec<Usage<'a>>, InputError> {
    let mut rows = Vec::new();
    fn named(role: Role, name: Option<&str>, required: bool) -> Wanted<'_> {
        Wanted {
            role,
            named: name,
            required: required || name.is_some(),
        }
    }
    let wanted = [
        named(Role::Month, names.month.as_deref(), true),
        named(Role::Api, names.api.as_deref(), true),
        named(Role::Calls, names.calls.as_deref(), true),
        named(Role::Account, names.account.as_deref(), false),
    ];
    read_rows(input, &wanted, |_, v| {
        let month = Month::parse(text(&v[0]))?;
        let found = prices.find(text(&v[1])).map_err(|e| e.to_string())?;
        let calls = parse_count(text(&v[2])).map_err(|e| e.to_string())?;
        rows.push(Usage {
            account: v[3].clone().unwrap_or_default(),
            month,
            api: found.item,
            source: found.api,
            calls,
        });
        Ok(())
    })?;
    Ok(rows)
}

/// Reads pack purchases: columns `month`, `api`, `calls` (the pack size) and an
/// optional `count`, in month order.
pub fn read_packs<'a, R: Read>(
    input: R,
    prices: &'a PriceList,
) -> Result<Vec<Purchase<'a>>, InputError> {
    let mut rows = Vec::new();
    let mut order = InOrder(None);
    let wanted = [
        Wanted::required(Role::Month),
        Wanted::required(Role::Api),
        Wanted::required(Role::Calls),
        Wanted::optional(Role::Count),
        Wanted::optional(Role::Account),
        Wanted::optional(Role::Price),
    ];
    read_rows(input, &wanted, |_, v| {
        let month = Month::parse(text(&v[0]))?;
        order.check(month)?;
        let api = prices.item(text(&v[1])).map_err(|e| e.to_string())?;
        let size = parse_count(text(&v[2])).map_err(|e| e.to_string())?;
        let price = match v[5].as_deref() {
            None | Some("") => None,
            Some(p) => {
                let paid = parse_money(p).map_err(|e| format!("pack price: {e}"))?;
                Some(paid.decimal())
            }
        };
        api.pack_at(size, price).map_err(|e| e.to_string())?;
        let count = match v[3].as_deref() {
            None | Some("") => 1,
            Some(c) => parse_count(c).map_err(|e| format!("pack count: {e}"))?,
        };
        if count == 0 || count > crate::prepaid::MAX_PACKS {
            return Err(format!(
                "pack count {count}: expected 1 to {}",
                crate::prepaid::MAX_PACKS
            ));
        }
        rows.push(Purchase {
            account: v[4].clone().unwrap_or_default(),
            price,
            month,
            api,
            size,
            count,
        });
        Ok(())
    })?;
    Ok(rows)
}

/// Reads top-ups: columns `month`, `amount` and an optional account, in
/// month order.
pub fn read_topups<R: Read>(input: R) -> Result<Vec<TopUp>, InputError> {
    let mut rows = Vec::new();
    let mut order = InOrder(None);
    let wanted = [
        Wanted::required(Role::Month),
        Wanted::required(Role::Amount),
        Wanted::optional(Role::Account),
    ];
    read_rows(input, &wanted, |_, v| {
        let month = Month::parse(text(&v[0]))?;
        order.check(month)?;
        let amount = parse_money(text(&v[1])).map_err(|e| e.to_string())?;
        rows.push(TopUp {
            account: v[2].clone().unwrap_or_default(),
            month,
            amount,
        });
        Ok(())
    })?;
    Ok(rows)
}

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
    /// Balance after settlement.
    pub balance: Money,
    /// Balance minus what is frozen.
    pub available: Money,
    /// What is owed when the balance is negative (欠费), else 0.
    pub arrears: Money,
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
    /// Balance after the last month.
    pub closing_balance: Money,
}

/// The month-by-month simulation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ledger {
    /// The opening balance.
    pub opening_balance: Money,
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

impl Calculator<'_> {
    /// The index of a billing item of this calculator's price list.
    fn item_index(&self, item: &Item) -> Result<usize, Error> {
        self.prices
            .items
            .iter()
            .position(|i| i.key == item.key)
            .ok_or_else(|| Error::Invalid(format!("{} is not in the price list", item.key)))
    }

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
    ///     usage: vec![Usage { account: String::new(), month: "2026-01".parse().unwrap(), api: license, source: None, calls: 9000 }],
    ///     until: Some("2026-02".parse().unwrap()),
    ///     ..Default::default()
    /// };
    /// let ledger = Calculator::new(&prices).ledger(&input).unwrap();
    /// assert_eq!(ledger.months[0].freeze.to_string(), "1440.00");
    /// assert_eq!(ledger.months[1].released.to_string(), "1440.00");
    /// ```
    pub fn ledger(&self, input: &LedgerInput<'_>) -> Result<Ledger, Error> {
        let settings = &self.prices.settings;
        one_account(
            input
                .usage
                .iter()
                .map(|u| u.account.as_str())
                .chain(input.packs.iter().map(|p| p.account.as_str()))
                .chain(input.topups.iter().map(|t| t.account.as_str())),
        )?;
        let months = input
            .usage
            .iter()
            .map(|u| u.month)
            .chain(input.packs.iter().map(|p| p.month))
            .chain(input.topups.iter().map(|t| t.month));
        let first = input.from.or(months.clone().min()).or(input.until);
        let last = input.until.or(months.max()).or(input.from);
        let (Some(first), Some(last)) = (first, last) else {
            return Ok(Ledger {
                opening_balance: input.opening_balance,
                months: Vec::new(),
                totals: LedgerTotals {
                    paid_for_packs: Money::ZERO,
                    paid_postpaid: Money::ZERO,
                    calls_wasted: 0,
                    value_wasted: Money::ZERO,
                    topups: Money::ZERO,
                    closing_balance: input.opening_balance,
                },
                balance_tracked: input.track_balance,
                left_out: Vec::new(),
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
        for (what, outside) in [
            (
                "usage rows",
                input.usage.iter().filter(|u| !inside(u.month)).count(),
            ),
            (
                "pack purchases",
                input.packs.iter().filter(|p| !inside(p.month)).count(),
            ),
            (
                "top-ups",
                input.topups.iter().filter(|t| !inside(t.month)).count(),
            ),
        ] {
            if outside > 0 {
                left_out.push(format!(
                    "{outside} {what} outside {first} to {last} were left out"
                ));
            }
        }
        // The month's calls per billing item (item index), and per API.
        let mut calls_by: BTreeMap<(Month, usize), u64> = BTreeMap::new();
        let mut apis_by: BTreeMap<(Month, usize), Vec<ApiCalls>> = BTreeMap::new();
        for u in input.usage.iter().filter(|u| inside(u.month)) {
            let index = self.item_index(u.api)?;
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
        let mut next_id = 0usize;
        // One-time free packs (首次开通赠送) are granted in the first month to
        // the billing items the usage has.
        let mut granted: Vec<usize> = calls_by.keys().map(|&(_, i)| i).collect();
        granted.sort_unstable();
        granted.dedup();
        for index in granted {
            let item = &self.prices.items[index];
            if item.one_time_free_calls == 0 {
                continue;
            }
            let mut lot = HeldPack::new(
                next_id + 1,
                1,
                &item.key,
                item.one_time_free_calls,
                Money::ZERO,
                first.plus(settings.one_time_free_months - 1),
            );
            lot.free = true;
            next_id += 1;
            held.push(lot);
        }
        let mut balance = input.opening_balance;
        let mut frozen = Money::ZERO;
        let mut out = Vec::new();
        let mut totals = LedgerTotals {
            paid_for_packs: Money::ZERO,
            paid_postpaid: Money::ZERO,
            calls_wasted: 0,
            value_wasted: Money::ZERO,
            topups: Money::ZERO,
            closing_balance: Money::ZERO,
        };
        let mut month = first;
        while month <= last {
            let mut events = Vec::new();
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
            let mut lines = Vec::new();
            for (&(index, calls), free) in month_items.iter().zip(free) {
                let item = &self.prices.items[index];
                let mut mine: Vec<HeldPack> = Vec::new();
                held.retain(|h| {
                    if h.api == item.key {
                        mine.push(h.clone());
                        false
                    } else {
                        true
                    }
                });
                // Free packs first, then the soonest-expiring.
                mine.sort_by_key(|h| (!h.free, h.last_month, h.id));
                let mut line = self.line_with_free(item, calls, free, &mut mine)?;
                line.apis = apis_by.remove(&(month, index)).unwrap_or_default();
                events.append(&mut line.events);
                held.extend(mine);
                lines.push(line);
            }
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
            frozen = self.freeze(&lines)?;
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
                balance,
                available,
                arrears,
                events,
            });
            month = month.next();
        }
        totals.closing_balance = balance;
        Ok(Ledger {
            opening_balance: input.opening_balance,
            months: out,
            totals,
            balance_tracked: input.track_balance,
            left_out,
        })
    }
}

/// Usage regrouped per API as monthly calls over the file's whole span (months
/// without rows are 0), APIs in order of first appearance: the forecast `plan`
/// reads from a usage file.
pub fn monthly_by_api<'a>(usage: &[Usage<'a>]) -> Result<Vec<(&'a Item, Vec<u64>)>, Error> {
    let (Some(first), Some(last)) = (
        usage.iter().map(|u| u.month).min(),
        usage.iter().map(|u| u.month).max(),
    ) else {
        return Err(Error::Invalid("the usage file has no rows".into()));
    };
    let span = (first.months_until(last) + 1) as usize;
    if span > 1200 {
        return Err(Error::Invalid(format!(
            "usage from {first} to {last}: too many months"
        )));
    }
    let mut out: Vec<(&'a Item, Vec<u64>)> = Vec::new();
    for u in usage {
        let at = match out.iter().position(|(a, _)| a.key == u.api.key) {
            Some(i) => i,
            None => {
                out.push((u.api, vec![0; span]));
                out.len() - 1
            }
        };
        let slot = &mut out[at].1[first.months_until(u.month) as usize];
        *slot = slot
            .checked_add(u.calls)
            .ok_or(Error::Overflow("the month's calls"))?;
    }
    Ok(out)
}

/// The distinct non-empty accounts named, in order of first appearance.
pub fn accounts<'s>(names: impl IntoIterator<Item = &'s str>) -> Vec<&'s str> {
    let mut seen: Vec<&str> = Vec::new();
    for n in names {
        if !n.is_empty() && !seen.contains(&n) {
            seen.push(n);
        }
    }
    seen
}

/// Refuses rows of several accounts: each account has its own free quotas,
/// tiers, packs, freeze and balance, so their rows are never billed together.
pub fn one_account<'s>(names: impl IntoIterator<Item = &'s str>) -> Result<(), Error> {
    let all = accounts(names);
    if all.len() > 1 {
        let shown: Vec<&str> = all.iter().take(10).copied().collect();
        let more = match all.len() - shown.len() {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        return Err(Error::SeveralAccounts {
            count: all.len(),
            names: format!("{}{more}", shown.join(", ")),
        });
    }
    Ok(())
}
