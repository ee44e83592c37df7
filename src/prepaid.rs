//! One month with prepaid packs bought (RULES §3): free quota, then packs, then
//! postpaid overage at the tier the month's total reaches.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::bill::{BillLine, Calculator, Event, HeldPack};
use crate::money::serialize_price;
use crate::pricing::Item;
use crate::Month;
use crate::{parse_count, Error, Money};

/// Packs to buy: `SIZE[xCOUNT]` items separated by commas, e.g. `1k,10kx2`, `1万x3`.
///
/// Returns (size, count) pairs in the order given. Sizes take the forms of
/// [`parse_count`]; the count separator is `x`, `X`, `×` or `*`.
///
/// ```
/// assert_eq!(ocr_bill::parse_pack_spec("1k,10kx2").unwrap(), vec![(1000, 1), (10000, 2)]);
/// ```
pub fn parse_pack_spec(spec: &str) -> Result<Vec<(u64, u64)>, Error> {
    let bad = |reason: String| Error::BadPackSpec {
        input: spec.to_string(),
        reason,
    };
    if spec.trim().is_empty() {
        return Err(bad("empty; expected sizes such as 1000 or 1k,10kx2".into()));
    }
    spec.split(',')
        .map(|item| {
            let item = item.trim();
            let (size, count) = match item.rfind(['x', 'X', '×', '*']) {
                Some(at) => {
                    let sep = item[at..].chars().next().map_or(1, char::len_utf8);
                    (&item[..at], &item[at + sep..])
                }
                None => (item, "1"),
            };
            let size = parse_count(size).map_err(|e| bad(format!("pack size: {e}")))?;
            let count = parse_count(count).map_err(|e| bad(format!("pack count: {e}")))?;
            if count == 0 {
                return Err(bad(format!("'{item}' buys 0 packs")));
            }
            Ok((size, count))
        })
        .collect()
}

/// The most packs one purchase may list (each is tracked on its own).
pub const MAX_PACKS: u64 = 100_000;

/// The use of one pack in the month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PackUse {
    /// Pack number (1-based, in the order bought).
    pub pack: usize,
    /// Calls in the pack.
    pub calls: u64,
    /// Price paid.
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
    /// The month's calls.
    pub calls: u64,
    /// Calls covered by the free quota.
    pub free_calls: u64,
    /// Calls served by the packs.
    pub pack_calls: u64,
    /// Calls billed postpaid beyond the free quota and the packs.
    pub overage_calls: u64,
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
}

impl Calculator<'_> {
    /// One month of `calls` with `purchases` ((size, count) pairs) bought for it.
    ///
    /// ```
    /// use ocr_bill::{Calculator, PriceList};
    /// let prices = PriceList::builtin();
    /// let bankcard = prices.item("bankcard").unwrap();
    /// // The source's example 7: 2,500 calls, one 1,000-call pack.
    /// let month = Calculator::new(&prices).prepaid(bankcard, 2500, &[(1000, 1)]).unwrap();
    /// assert_eq!(month.overage_calls, 500);
    /// assert_eq!(month.total.to_string(), "195.00");
    /// ```
    pub fn prepaid(
        &self,
        api: &Item,
        calls: u64,
        purchases: &[(u64, u64)],
    ) -> Result<PrepaidMonth, Error> {
        let packs_bought = purchases
            .iter()
            .try_fold(0u64, |acc, &(_, count)| acc.checked_add(count))
            .filter(|&n| n <= MAX_PACKS)
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "too many packs: at most {MAX_PACKS} in one purchase"
                ))
            })?;
        let mut held = Vec::with_capacity(packs_bought as usize);
        for &(size, count) in purchases {
            let pack = api.pack(size)?;
            for _ in 0..count {
                let id = held.len() + 1;
                held.push(HeldPack::new(
                    id,
                    &api.key,
                    size,
                    Money::round(pack.price),
                    Month::FIRST,
                ));
            }
        }
        let pack_cost = Money::checked_sum(held.iter().map(|p| p.price))?;
        let line: BillLine = self.line(api, calls, &mut held)?;
        let total = pack_cost.checked_add(line.amount)?;
        let pack_calls_left = held
            .iter()
            .try_fold(0u64, |sum, p| sum.checked_add(p.remaining))
            .ok_or(Error::Overflow("the pack calls left"))?;
        Ok(PrepaidMonth {
            api: line.api,
            name: line.name,
            calls,
            free_calls: line.free_calls,
            pack_calls: line.pack_calls,
            overage_calls: line.billable_calls,
            tier: line.tier,
            tier_range: line.tier_range,
            unit_price: line.unit_price,
            pack_cost,
            overage_amount: line.amount,
            total,
            pack_calls_left,
            packs: held
                .iter()
                .map(|p| PackUse {
                    pack: p.id,
                    calls: p.size,
                    price: p.price,
                    used: p.size - p.remaining,
                    remaining: p.remaining,
                })
                .collect(),
            alerts: line.events,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_specs() {
        assert_eq!(parse_pack_spec("1000").unwrap(), vec![(1000, 1)]);
        assert_eq!(
            parse_pack_spec("1k, 10kx2,1万x3,100万×1").unwrap(),
            vec![(1000, 1), (10_000, 2), (10_000, 3), (1_000_000, 1)]
        );
        for bad in ["", "1k,", "abc", "1kx0", "1kx-1", "1kx1.5", "x2"] {
            let err = parse_pack_spec(bad).unwrap_err().to_string();
            assert!(err.contains(&format!("'{bad}'")), "{bad}: {err}");
        }
    }
}
