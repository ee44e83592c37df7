//! The month's bill of one API and of an account: tier reaching, the free-quota
//! voucher, packs drawn soonest-expiring first, overage, and the freeze.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::money::{calls_times, serialize_price};
use crate::pricing::{FreezeBasis, Item, OverageTierBasis, PriceList, TierPrice};
use crate::{Error, Money, Month};

/// A prepaid pack an account holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HeldPack {
    /// 1-based number of the pack in the order it was bought.
    pub id: usize,
    /// API key the pack is for.
    pub api: String,
    /// Calls in the pack.
    pub size: u64,
    /// What the pack cost.
    pub price: Money,
    /// Calls left.
    pub remaining: u64,
    /// Last month the pack serves; it expires after that month.
    #[serde(skip)]
    pub last_month: Month,
    /// The low-balance alert has fired.
    #[serde(skip)]
    pub alerted_low: bool,
}

impl HeldPack {
    /// A full pack, numbered `id`, serving through `last_month`.
    pub fn new(id: usize, api: &str, size: u64, price: Money, last_month: Month) -> HeldPack {
        HeldPack {
            id,
            api: api.to_string(),
            size,
            price,
            remaining: size,
            last_month,
            alerted_low: false,
        }
    }
}

/// What the account is told during a month (站内信/邮件/短信), in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Event {
    /// A pack's remaining calls fell below the alert share of its size.
    PackLow {
        /// API key.
        api: String,
        /// Pack number.
        pack: usize,
        /// Pack size.
        size: u64,
        /// Calls left.
        remaining: u64,
    },
    /// A pack has no calls left.
    PackUsedUp {
        /// API key.
        api: String,
        /// Pack number.
        pack: usize,
        /// Pack size.
        size: u64,
    },
    /// The API's packs ran out this month and its further calls went postpaid.
    SwitchedToPostpaid {
        /// API key.
        api: String,
        /// Calls billed postpaid this month beyond the free quota.
        overage_calls: u64,
    },
    /// A pack expired with calls unused (过期作废).
    PackExpired {
        /// API key.
        api: String,
        /// Pack number.
        pack: usize,
        /// Pack size.
        size: u64,
        /// Calls that expired unused.
        unused_calls: u64,
        /// What the unused calls had cost, pro rata of the pack price.
        unused_value: Money,
    },
    /// The balance went below zero (欠费).
    Arrears {
        /// The balance after settlement.
        balance: Money,
    },
}

impl Event {
    /// A one-line description for people.
    pub fn describe(&self) -> String {
        match self {
            Event::PackLow {
                api,
                pack,
                size,
                remaining,
            } => format!("{api}: pack #{pack} ({size} calls) is low: {remaining} calls left"),
            Event::PackUsedUp { api, pack, size } => {
                format!("{api}: pack #{pack} ({size} calls) is used up")
            }
            Event::SwitchedToPostpaid { api, overage_calls } => {
                format!("{api}: packs used up, {overage_calls} calls went postpaid")
            }
            Event::PackExpired {
                api,
                pack,
                size,
                unused_calls,
                unused_value,
            } => format!(
                "{api}: pack #{pack} ({size} calls) expired with {unused_calls} calls unused \
                 (worth {unused_value})"
            ),
            Event::Arrears { balance } => format!("arrears (欠费): balance is {balance}"),
        }
    }
}

/// Adding calls that reach a cheaper tier would lower the month's bill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cliff {
    /// The smallest call count with the lower bill.
    pub calls: u64,
    /// Calls to add to get there.
    pub extra_calls: u64,
    /// The month's bill at that count.
    pub amount: Money,
    /// How much lower that bill is.
    pub saving: Money,
}

/// The numbers of one API's month, without names (cheap to compute in bulk).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Charge {
    /// Calls covered by the free-quota voucher.
    pub free_calls: u64,
    /// Calls served by prepaid packs.
    pub pack_calls: u64,
    /// Calls charged postpaid.
    pub billable_calls: u64,
    /// The call count that picked the tier.
    pub tier_calls: u64,
    /// The reached tier, 0-based.
    pub tier_index: usize,
    /// Unit price of the reached tier; `None` when nothing is billed.
    pub unit_price: Option<Decimal>,
    /// Postpaid calls × unit price, rounded.
    pub gross: Money,
    /// Free calls × unit price, shown as `gross − amount` so that the line adds
    /// up as shown.
    pub voucher: Money,
    /// The exact amount, billable calls × unit price, rounded once.
    pub amount: Money,
    /// Postpaid calls (free quota included, packs not) × the reached tier's
    /// price, exact: the base of a list-price freeze (0 without a price).
    pub list_value: Decimal,
}

/// One API's line of a month's bill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BillLine {
    /// API key.
    pub api: String,
    /// Chinese name.
    pub name: String,
    /// The month's total calls.
    pub calls: u64,
    /// Calls covered by the free-quota voucher.
    pub free_calls: u64,
    /// Calls served by prepaid packs.
    pub pack_calls: u64,
    /// Calls charged postpaid (overage beyond free quota and packs).
    pub billable_calls: u64,
    /// The call count that picked the tier.
    pub tier_calls: u64,
    /// The reached tier, 1-based.
    pub tier: usize,
    /// The reached tier's range.
    pub tier_range: String,
    /// Unit price of the reached tier; `None` when nothing is billed.
    #[serde(serialize_with = "serialize_price")]
    pub unit_price: Option<Decimal>,
    /// Postpaid calls (free + billable) × unit price, rounded.
    pub gross: Money,
    /// The free-quota voucher: `gross − amount`, so that the line adds up as
    /// shown (free calls × unit price, give or take the last fen).
    pub voucher: Money,
    /// Billable calls × unit price, exact, rounded once.
    pub amount: Money,
    /// Exact base of a list-price freeze (see [`Charge::list_value`]).
    #[serde(skip)]
    pub list_value: Decimal,
    /// Pack alerts raised while drawing on packs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
    /// Where more calls would cost less (postpaid only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cliff: Option<Cliff>,
}

/// An account's postpaid bill for one month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PostpaidBill {
    /// Currency code.
    pub currency: String,
    /// One line per API.
    pub lines: Vec<BillLine>,
    /// The sum of the lines.
    pub amount: Money,
    /// What the account freezes for next month.
    pub freeze: Money,
}

/// The pure calculator over a price list.
#[derive(Clone, Copy, Debug)]
pub struct Calculator<'a> {
    /// The price list.
    pub prices: &'a PriceList,
    /// A negotiated unit price for contact-sales tiers (overrides the file's).
    pub negotiated_price: Option<Decimal>,
}

impl<'a> Calculator<'a> {
    /// A calculator without a negotiated price.
    pub fn new(prices: &'a PriceList) -> Self {
        Calculator {
            prices,
            negotiated_price: None,
        }
    }

    /// The same calculator with a negotiated price for contact-sales tiers.
    pub fn with_negotiated_price(self, price: Option<Decimal>) -> Self {
        Calculator {
            negotiated_price: price,
            ..self
        }
    }

    /// One API's month as numbers: the free quota first, then the packs in the
    /// order given (soonest-expiring first), then postpaid overage at the reached
    /// tier. `packs` are drawn down in place; alerts are appended to `events`.
    pub fn charge(
        &self,
        api: &Item,
        calls: u64,
        packs: &mut [HeldPack],
        events: &mut Vec<Event>,
    ) -> Result<Charge, Error> {
        let settings = &self.prices.settings;
        let free = calls.min(settings.free_calls_per_month);
        let mut need = calls - free;
        let had_pack_calls = packs.iter().any(|p| p.remaining > 0);
        for pack in packs.iter_mut().filter(|p| p.remaining > 0) {
            if need == 0 {
                break;
            }
            let take = need.min(pack.remaining);
            pack.remaining -= take;
            need -= take;
            if pack.remaining == 0 {
                pack.alerted_low = true;
                events.push(Event::PackUsedUp {
                    api: api.key.clone(),
                    pack: pack.id,
                    size: pack.size,
                });
            } else if !pack.alerted_low
                && Decimal::from(pack.remaining)
                    < settings.pack_alert_below * Decimal::from(pack.size)
            {
                pack.alerted_low = true;
                events.push(Event::PackLow {
                    api: api.key.clone(),
                    pack: pack.id,
                    size: pack.size,
                    remaining: pack.remaining,
                });
            }
        }
        let overage = need;
        if overage > 0 && had_pack_calls {
            events.push(Event::SwitchedToPostpaid {
                api: api.key.clone(),
                overage_calls: overage,
            });
        }
        let postpaid_calls = free + overage;
        let tier_calls = match settings.overage_tier_basis {
            OverageTierBasis::TotalCalls => calls,
            OverageTierBasis::PostpaidCalls => postpaid_calls,
        };
        let tier_index = api.tier_index(tier_calls, settings.tier_bounds);
        let mut charge = Charge {
            free_calls: free,
            pack_calls: calls - free - overage,
            billable_calls: overage,
            tier_calls,
            tier_index,
            unit_price: None,
            gross: Money::ZERO,
            voucher: Money::ZERO,
            amount: Money::ZERO,
            list_value: Decimal::ZERO,
        };
        let price = match api.tiers[tier_index].price {
            TierPrice::List(p) => Some(p),
            TierPrice::ContactSales { negotiated } => self.negotiated_price.or(negotiated),
        };
        if let Some(price) = price {
            charge.list_value = calls_times(postpaid_calls, price)?;
        }
        if overage > 0 {
            let price = price.ok_or_else(|| Error::ContactSales {
                api: api.key.clone(),
                calls: tier_calls,
                range: api.reached(tier_index, settings.tier_bounds).range,
            })?;
            charge.unit_price = Some(price);
            charge.gross = Money::round(charge.list_value);
            charge.amount = Money::round(calls_times(overage, price)?);
            charge.voucher = charge.gross.checked_sub(charge.amount)?;
        }
        Ok(charge)
    }

    /// One API's month as a bill line (see [`Calculator::charge`]).
    pub fn line(&self, api: &Item, calls: u64, packs: &mut [HeldPack]) -> Result<BillLine, Error> {
        let mut events = Vec::new();
        let c = self.charge(api, calls, packs, &mut events)?;
        let tier = api.reached(c.tier_index, self.prices.settings.tier_bounds);
        Ok(BillLine {
            api: api.key.clone(),
            name: api.name.clone(),
            calls,
            free_calls: c.free_calls,
            pack_calls: c.pack_calls,
            billable_calls: c.billable_calls,
            tier_calls: c.tier_calls,
            tier: tier.number,
            tier_range: tier.range,
            unit_price: c.unit_price,
            gross: c.gross,
            voucher: c.voucher,
            amount: c.amount,
            list_value: c.list_value,
            events,
            cliff: None,
        })
    }

    /// One API's postpaid line (no packs), with the nearest tier cliff if more
    /// calls would lower the bill.
    pub fn postpaid_line(&self, api: &Item, calls: u64) -> Result<BillLine, Error> {
        let mut line = self.line(api, calls, &mut [])?;
        line.cliff = self.cliff(api, calls, line.amount);
        Ok(line)
    }

    /// The smallest call count above `calls` in a higher tier whose bill is below
    /// `amount`, if any.
    pub fn cliff(&self, api: &Item, calls: u64, amount: Money) -> Option<Cliff> {
        let bounds = self.prices.settings.tier_bounds;
        let current = api.tier_index(calls, bounds);
        (current + 1..api.tiers.len()).find_map(|index| {
            let at = api.first_calls_of_tier(index, bounds);
            let there = self.charge(api, at, &mut [], &mut Vec::new()).ok()?.amount;
            (at > calls && there < amount).then(|| Cliff {
                calls: at,
                extra_calls: at - calls,
                amount: there,
                saving: Money::round(amount.decimal() - there.decimal()),
            })
        })
    }

    /// An account's postpaid month: one line per API (repeated APIs are summed,
    /// since tier reaching looks at the month's total), their sum, and the freeze.
    pub fn postpaid(&self, usage: &[(&Item, u64)]) -> Result<PostpaidBill, Error> {
        let mut merged: Vec<(&Item, u64)> = Vec::new();
        for &(api, calls) in usage {
            match merged.iter_mut().find(|(a, _)| a.key == api.key) {
                Some((_, total)) => {
                    *total = total
                        .checked_add(calls)
                        .ok_or(Error::Overflow("the month's calls"))?
                }
                None => merged.push((api, calls)),
            }
        }
        let lines = merged
            .iter()
            .map(|&(api, calls)| self.postpaid_line(api, calls))
            .collect::<Result<Vec<_>, _>>()?;
        let amount = Money::checked_sum(lines.iter().map(|l| l.amount))?;
        let freeze = self.freeze(&lines)?;
        Ok(PostpaidBill {
            currency: self.prices.settings.currency.clone(),
            lines,
            amount,
            freeze,
        })
    }

    /// The freeze taken after settling a month with these lines (RULES §4).
    pub fn freeze(&self, lines: &[BillLine]) -> Result<Money, Error> {
        let settings = &self.prices.settings;
        // Round once per freeze: the list-price base is summed exactly.
        let base = match settings.freeze_basis {
            FreezeBasis::None => return Ok(Money::ZERO),
            FreezeBasis::Bill => Money::checked_sum(lines.iter().map(|l| l.amount))?.decimal(),
            FreezeBasis::ListPrice => lines
                .iter()
                .try_fold(Decimal::ZERO, |sum, l| sum.checked_add(l.list_value))
                .ok_or(Error::Overflow("the freeze"))?,
        };
        base.checked_mul(settings.freeze_ratio)
            .map(Money::round)
            .ok_or(Error::Overflow("the freeze"))
    }
}
