//! One month with prepaid packs bought: free quota, then packs, then
//! postpaid overage at the tier the month's total reaches.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::bill::{by_item, ApiCalls, BillLine, Calculator, Event, HeldPack, ItemMonth};
use crate::money::serialize_price;
use crate::pricing::{Found, Item};
use crate::Month;
use crate::{Error, Money, PackSpec};

/// The most packs one purchase may list (each is tracked on its own).
pub const MAX_PACKS: u64 = 100_000;

/// The use of one purchase of packs in the month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PackUse {
    /// Number of its first pack (1-based, in the order bought).
    pub pack: usize,
    /// Packs bought together.
    pub packs: u64,
    /// Calls in one pack.
    pub calls: u64,
    /// Price paid for one pack.
    pub price: Money,
    /// Calls drawn this month.
    pub used: u64,
    /// Calls left.
    pub remaining: u64,
}

/// One API's month with packs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PrepaidMonth {
    /// API key.
    pub api: String,
    /// Chinese name.
    pub name: String,
    /// The APIs whose calls were summed into this billing item's month, when
    /// named.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub apis: Vec<ApiCalls>,
    /// The month's calls.
    pub calls: u64,
    /// Calls covered by the free quota.
    pub free_calls: u64,
    /// Calls served by the packs.
    pub pack_calls: u64,
    /// Calls billed postpaid beyond the free quota and the packs.
    pub billable_calls: u64,
    /// The reached tier, 1-based, and its range.
    pub tier: usize,
    /// The reached tier's range.
    pub tier_range: String,
    /// Unit price of the overage; `None` without overage.
    #[serde(serialize_with = "serialize_price")]
    pub unit_price: Option<Decimal>,
    /// What the packs cost.
    pub pack_cost: Money,
    /// The overage bill.
    pub overage_amount: Money,
    /// Packs plus overage.
    pub total: Money,
    /// Calls left in the packs, which stay valid until they expire.
    pub pack_calls_left: u64,
    /// Each pack's use.
    pub packs: Vec<PackUse>,
    /// Alerts: packs low, used up, calls gone postpaid.
    pub alerts: Vec<Event>,
    /// What the month assumed (an item's one-time free pack taken as spent).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Exact list-price value of the calls packs did not serve: the base of
    /// a list-price freeze (see [`Calculator::prepaid_freeze`]).
    #[serde(skip)]
    pub list_value: Option<Decimal>,
}

impl Calculator<'_> {
    /// One month of `calls` with `purchases` ((size, count) pairs) bought for it.
    ///
    /// ```
    /// use ocr_bill::{Calculator, PriceList};
    /// let prices = PriceList::builtin();
    /// let bankcard = prices.item("bankcard").unwrap();
    /// // The source's example 7: 2,500 calls, one 1,000-call pack.
    /// let packs = ocr_bill::parse_pack_spec("1000").unwrap();
    /// let month = Calculator::new(&prices).prepaid(bankcard, 2500, &packs).unwrap();
    /// assert_eq!(month.billable_calls, 500);
    /// assert_eq!(month.total.to_string(), "195.00");
    /// ```
    pub fn prepaid(
        &self,
        api: &Item,
        calls: u64,
        purchases: &[PackSpec],
    ) -> Result<PrepaidMonth, Error> {
        self.prepaid_with_free(api, calls, self.lone_free(api), purchases)
    }

    /// An account's month: each API named with its calls and the packs bought
    /// for it. The calls of APIs of one billing item are summed and its packs
    /// serve them all (共享资源包), in the order listed; the free calls are
    /// shared by the price list's scope (per item, or the account's allowance
    /// taken in price-list order). One month per billing item, in the order
    /// first named.
    pub fn prepaid_month(
        &self,
        usage: &[(Found<'_>, u64, Vec<PackSpec>)],
    ) -> Result<Vec<PrepaidMonth>, Error> {
        let merged = by_item(
            usage
                .iter()
                .map(|(found, calls, packs)| (found, *calls, &packs[..])),
        )?;
        let month: Vec<(usize, u64)> = merged.iter().map(|m| (m.index, m.calls)).collect();
        let free = self.free_calls(&month);
        merged
            .into_iter()
            .zip(free)
            .map(
                |(
                    ItemMonth {
                        index,
                        calls,
                        apis,
                        with,
                    },
                    free,
                )| {
                    let mut month =
                        self.prepaid_with_free(&self.prices.items[index], calls, free, &with)?;
                    month.apis = apis;
                    Ok(month)
                },
            )
            .collect()
    }

    /// One billing item's month with `free` free calls and packs bought.
    fn prepaid_with_free(
        &self,
        api: &Item,
        calls: u64,
        free: u64,
        purchases: &[PackSpec],
    ) -> Result<PrepaidMonth, Error> {
        purchases
            .iter()
            .try_fold(0u64, |acc, p| acc.checked_add(p.count))
            .filter(|&n| n <= MAX_PACKS)
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "too many packs: at most {MAX_PACKS} in one purchase"
                ))
            })?;
        let mut held = Vec::with_capacity(purchases.len());
        let mut next_id = 1;
        let mut pack_cost = Money::ZERO;
        for p in purchases {
            let pack = api.pack_at(p.size, p.price)?;
            let price = Money::round(pack.price);
            let lot = HeldPack::new(next_id, p.count, &api.key, p.size, price, Month::FIRST);
            lot.remaining()?;
            let cost = Decimal::from(p.count)
                .checked_mul(pack.price)
                .ok_or(Error::Overflow("the packs' cost"))?;
            pack_cost = pack_cost.checked_add(Money::round(cost))?;
            next_id += p.count as usize;
            held.push(lot);
        }
        let line: BillLine = self.line_with_free(api, calls, free, &mut held)?;
        let total = pack_cost.checked_add(line.amount)?;
        let pack_calls_left = held.iter().try_fold(0u64, |sum, p| {
            p.remaining()?
                .checked_add(sum)
                .ok_or(Error::Overflow("the pack calls left"))
        })?;
        let packs = held
            .iter()
            .map(|p| {
                let remaining = p.remaining()?;
                let bought = p
                    .size
                    .checked_mul(p.count)
                    .ok_or(Error::Overflow("the pack calls bought"))?;
                Ok(PackUse {
                    pack: p.id,
                    packs: p.count,
                    calls: p.size,
                    price: p.price,
                    used: bought - remaining,
                    remaining,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(PrepaidMonth {
            api: line.api,
            name: line.name,
            apis: line.apis,
            calls,
            free_calls: line.free_calls,
            pack_calls: line.pack_calls,
            billable_calls: line.billable_calls,
            tier: line.tier,
            tier_range: line.tier_range,
            unit_price: line.unit_price,
            pack_cost,
            overage_amount: line.amount,
            total,
            pack_calls_left,
            packs,
            alerts: line.events,
            notes: crate::bill::one_time_note(api).into_iter().collect(),
            list_value: line.list_value,
        })
    }

    /// What the account freezes after a month of these items with packs
    /// (RULES §4; calls served by packs are prepaid, §3): by the price list's
    /// basis over the overage bills, rounded once.
    pub fn prepaid_freeze(&self, months: &[PrepaidMonth]) -> Result<Money, Error> {
        self.freeze_of(months.iter().map(|m| crate::bill::FreezeLine {
            api: &m.api,
            postpaid_calls: m.free_calls + m.billable_calls,
            range: &m.tier_range,
            amount: m.overage_amount,
            list_value: m.list_value,
        }))
    }
}
