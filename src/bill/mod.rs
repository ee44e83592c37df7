//! The month's bill of one API and of an account: tier reaching, the free-quota
//! voucher, packs drawn soonest-expiring first, overage, and the freeze.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::money::{calls_times, serialize_price};
use crate::pricing::{
    AlertRule, Found, FreeQuota, FreezeBasis, Item, OverageTierBasis, PriceList, TierPrice,
};
use crate::words::plural;
use crate::{Error, Money, Month};

mod held;

pub use held::{Event, HeldPack};

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
    /// price, exact: the base of a list-price freeze; `None` when there are
    /// such calls and the tier has no price (contact sales, none negotiated).
    pub list_value: Option<Decimal>,
}

/// The postpaid part of a month: the reached tier and the overage's bill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overage {
    /// The call count that picked the tier.
    pub tier_calls: u64,
    /// The reached tier, 0-based.
    pub tier_index: usize,
    /// The tier's unit price (negotiated for a contact-sales tier); `None`
    /// when it has none.
    pub price: Option<Decimal>,
    /// The overage calls × the unit price, rounded once.
    pub amount: Money,
}

/// What a month's freeze needs of one of its lines.
pub(crate) struct FreezeLine<'a> {
    /// Billing item key.
    pub api: &'a str,
    /// Calls that packs did not serve (free quota included).
    pub postpaid_calls: u64,
    /// The reached tier's range.
    pub range: &'a str,
    /// The line's bill.
    pub amount: Money,
    /// The exact list-price value of the postpaid calls (see
    /// [`Charge::list_value`]).
    pub list_value: Option<Decimal>,
}

/// One API's line of a month's bill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BillLine {
    /// Billing item key (the API's own key where an API is billed alone).
    pub api: String,
    /// Chinese name of the billing item.
    pub name: String,
    /// The APIs whose calls were summed into this line, when named.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub apis: Vec<ApiCalls>,
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
    pub list_value: Option<Decimal>,
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
    /// The price list's edition.
    pub edition: String,
    /// The pricing file the prices come from, if not a built-in edition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pricing_file: Option<String>,
    /// The price list as people are told it ([`crate::About::label`]).
    #[serde(skip)]
    pub price_list: String,
    /// One line per billing item.
    pub lines: Vec<BillLine>,
    /// The sum of the lines.
    pub amount: Money,
    /// What the account freezes for next month.
    pub freeze: Money,
    /// The price list freezes nothing (editions d, e, intl): `freeze` is 0.
    #[serde(skip)]
    pub no_freeze: bool,
    /// What the bill assumed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The calls of one API summed into a billing item's line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiCalls {
    /// API key.
    pub api: String,
    /// Chinese name.
    pub name: String,
    /// Its calls this month.
    pub calls: u64,
}

/// One billing item's part of an account's month, as named on the command
/// line: its calls summed over its APIs, the APIs named, and what was given
/// with each (the packs bought for it), joined in the order given.
pub struct ItemMonth<T> {
    /// Its index in [`PriceList::items`].
    pub index: usize,
    /// The calls of its APIs, summed.
    pub calls: u64,
    /// Each API named, with its calls.
    pub apis: Vec<ApiCalls>,
    /// What was given with its APIs, in the order given.
    pub with: Vec<T>,
}

/// An account's month by billing item, in the order first named: the calls
/// of an item's APIs are summed (tier reaching and the free quota look at
/// the item's total, RULES §7.1) and each API named is kept with its calls.
pub fn by_item<'u, 'p: 'u, T: Clone + 'u>(
    usage: impl IntoIterator<Item = (&'u Found<'p>, u64, &'u [T])>,
) -> Result<Vec<ItemMonth<T>>, Error> {
    let mut merged: Vec<ItemMonth<T>> = Vec::new();
    for (found, calls, with) in usage {
        let at = match merged.iter().position(|m| m.index == found.item_index) {
            Some(at) => at,
            None => {
                merged.push(ItemMonth {
                    index: found.item_index,
                    calls: 0,
                    apis: Vec::new(),
                    with: Vec::new(),
                });
                merged.len() - 1
            }
        };
        let m = &mut merged[at];
        m.calls = m
            .calls
            .checked_add(calls)
            .ok_or(Error::Overflow("the month's calls"))?;
        m.with.extend_from_slice(with);
        if let Some(api) = found.api {
            // (No more than the item's total, which did not overflow.)
            match m.apis.iter_mut().find(|a| a.api == api.key) {
                Some(a) => a.calls = a.calls.saturating_add(calls),
                None => m.apis.push(ApiCalls {
                    api: api.key.clone(),
                    name: api.name.clone(),
                    calls,
                }),
            }
        }
    }
    Ok(merged)
}

/// What a bill or plan that starts no ledger assumes of a billing item's
/// one-time free pack, if it has one.
pub fn one_time_note(item: &Item) -> Option<String> {
    (item.one_time_free_calls > 0).then(|| {
        format!(
            "{}: its one-time {} free calls (granted once at activation) are taken as spent; \
             the ledger grants them in the first month",
            item.key, item.one_time_free_calls
        )
    })
}

/// The pure calculator over a price list.
#[derive(Clone, Copy, Debug)]
pub struct Calculator<'a> {
    /// The price list.
    pub prices: &'a PriceList,
    /// A negotiated unit price for contact-sales tiers (overrides the file's).
    pub negotiated_price: Option<Decimal>,
}

/// The tier-cliff rule, for `postpaid` and `batch` alike: of the tiers above
/// the reached one, in order, each tier's first call count and its bill (`None`
/// when it has no price), the first above `calls` billed less than `amount`,
/// and its place among them.
pub fn nearest_cliff(
    tiers_above: impl IntoIterator<Item = Option<(u64, Money)>>,
    calls: u64,
    amount: Money,
) -> Option<(usize, (u64, Money))> {
    tiers_above.into_iter().enumerate().find_map(|(i, tier)| {
        tier.filter(|&(at, there)| at > calls && there < amount)
            .map(|t| (i, t))
    })
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

    /// One billing item's month as numbers: `free` free calls first (the
    /// month's free quota for the item), then the packs in the order given
    /// (free packs, then soonest-expiring first), then postpaid overage at the
    /// reached tier. `packs` are drawn down in place; alerts are appended to
    /// `events` by the price list's alert rule.
    pub fn charge(
        &self,
        api: &Item,
        calls: u64,
        free: u64,
        packs: &mut [HeldPack],
        events: &mut Vec<Event>,
    ) -> Result<Charge, Error> {
        let settings = &self.prices.settings;
        let free = calls.min(free);
        let mut need = calls - free;
        let had_pack_calls = packs.iter().any(|p| p.usable() > 0);
        let every = settings.pack_alert == AlertRule::EveryPack;
        let share = settings.pack_alert_below;
        for pack in packs.iter_mut() {
            if need == 0 {
                break;
            }
            need -= pack.draw(need, every && !pack.free, events);
            if every && !pack.free {
                pack.low_alert(share, events);
            }
        }
        if !every && need < calls - free {
            // Only the last usable paid pack is alerted on: at the share, and at 0.
            let paid = || packs.iter().filter(|p| !p.free);
            let usable: u64 = paid().map(HeldPack::usable).sum();
            if usable == 1 {
                if let Some(last) = packs.iter_mut().find(|p| !p.free && p.usable() > 0) {
                    last.low_alert(share, events);
                }
            } else if usable == 0 {
                if let Some(last) = paid().rfind(|p| p.count > 0) {
                    events.push(Event::PackUsedUp {
                        api: last.api.clone(),
                        pack: last.id + last.count as usize - 1,
                        through: None,
                        size: last.size,
                    });
                }
            }
        }
        let overage = need;
        if overage > 0 && had_pack_calls {
            events.push(Event::SwitchedToPostpaid {
                api: api.key.clone(),
                billable_calls: overage,
            });
        }
        let postpaid_calls = free + overage;
        let o = self.overage(api, calls, postpaid_calls, overage)?;
        let mut charge = Charge {
            free_calls: free,
            pack_calls: calls - free - overage,
            billable_calls: overage,
            tier_calls: o.tier_calls,
            tier_index: o.tier_index,
            unit_price: None,
            gross: Money::ZERO,
            voucher: Money::ZERO,
            amount: o.amount,
            list_value: (postpaid_calls == 0).then_some(Decimal::ZERO),
        };
        // (Overage without a price was refused above.)
        if let Some(price) = o.price {
            let value = calls_times(postpaid_calls, price)?;
            charge.list_value = Some(value);
            if overage > 0 {
                charge.unit_price = Some(price);
                charge.gross = Money::round(value);
                charge.voucher = charge.gross.checked_sub(charge.amount)?;
            }
        }
        Ok(charge)
    }

    /// A month without packs, for `batch`'s rows: of `calls` calls of one
    /// billing item, the free calls (up to `free`) and the postpaid part. The
    /// same numbers as [`Calculator::charge`] gives, without the voucher's.
    pub fn overage_of(&self, api: &Item, calls: u64, free: u64) -> Result<(u64, Overage), Error> {
        let free = calls.min(free);
        Ok((free, self.overage(api, calls, calls, calls - free)?))
    }

    /// The tier the month reaches (by the price list's basis: all of the
    /// month's calls, or its postpaid calls) and the `overage` calls' bill at
    /// its price; a tier without a price refuses a month with overage.
    fn overage(
        &self,
        api: &Item,
        calls: u64,
        postpaid_calls: u64,
        overage: u64,
    ) -> Result<Overage, Error> {
        let settings = &self.prices.settings;
        let tier_calls = self.tier_calls(calls, postpaid_calls);
        let tier_index = api.tier_index(tier_calls, settings.tier_bounds);
        let price = self.price(api, tier_index);
        let amount = match (overage, price) {
            (0, _) => Money::ZERO,
            (_, Some(price)) => Money::round(calls_times(overage, price)?),
            (_, None) => {
                return Err(Error::ContactSales {
                    api: api.key.clone(),
                    calls: tier_calls,
                    range: api.reached(tier_index, settings.tier_bounds).range,
                })
            }
        };
        Ok(Overage {
            tier_calls,
            tier_index,
            price,
            amount,
        })
    }

    /// The call count that picks a month's tier, by the price list's basis: all
    /// of the month's `calls`, or its `postpaid_calls`.
    pub fn tier_calls(&self, calls: u64, postpaid_calls: u64) -> u64 {
        match self.prices.settings.overage_tier_basis {
            OverageTierBasis::TotalCalls => calls,
            OverageTierBasis::PostpaidCalls => postpaid_calls,
        }
    }

    /// The unit price of tier `tier` (0-based) of `api`: its list price, or for
    /// a contact-sales tier the negotiated price (the calculator's, else the
    /// price list's); `None` when it has none.
    pub fn price(&self, api: &Item, tier: usize) -> Option<Decimal> {
        match api.tiers[tier].price {
            TierPrice::List(p) => Some(p),
            TierPrice::ContactSales { negotiated } => self.negotiated_price.or(negotiated),
        }
    }

    /// The free calls a billing item has in a month when it is the account's
    /// only usage: its own monthly quota, the account's, or none.
    pub fn lone_free(&self, item: &Item) -> u64 {
        match self.prices.settings.free_quota {
            FreeQuota::PerItem => item.free_calls_per_month,
            FreeQuota::PerAccount => self.prices.settings.free_calls_per_month,
            FreeQuota::None => 0,
        }
    }

    /// The free calls of each of a month's items (`(item index, calls)`, item
    /// indices distinct): each its own quota, or the account's one allowance
    /// taken by the items in price-list order, each up to its calls.
    pub fn free_calls(&self, month: &[(usize, u64)]) -> Vec<u64> {
        let settings = &self.prices.settings;
        match settings.free_quota {
            FreeQuota::PerItem => month
                .iter()
                .map(|&(i, _)| self.prices.items[i].free_calls_per_month)
                .collect(),
            FreeQuota::None => vec![0; month.len()],
            FreeQuota::PerAccount => {
                let mut order: Vec<usize> = (0..month.len()).collect();
                order.sort_by_key(|&k| month[k].0);
                let mut left = settings.free_calls_per_month;
                let mut free = vec![0; month.len()];
                for k in order {
                    free[k] = left.min(month[k].1);
                    left -= free[k];
                }
                free
            }
        }
    }

    /// The free calls of each item of `items` (`(item index, calls of each
    /// month)`, item indices distinct) in each of its months, as
    /// [`Calculator::free_calls`] shares each month out: in edition `b` an
    /// item's share of the account's allowance, which the month's calls of
    /// the items before it in the price list decide, whatever packs any holds.
    ///
    /// ```
    /// use ocr_bill::{Calculator, PriceList};
    /// let prices = PriceList::edition("b").unwrap();
    /// let index = |key| prices.items.iter().position(|i| i.key == key).unwrap();
    /// let (idcard, general) = (index("idcard"), index("general"));
    /// // 通用印刷体识别 (general) comes first in edition b's price list.
    /// let free = Calculator::new(&prices)
    ///     .free_calls_by_month(&[(idcard, &[9000, 9000]), (general, &[600, 1500])]);
    /// assert_eq!(free, [vec![400, 0], vec![600, 1000]]);
    /// ```
    pub fn free_calls_by_month(&self, items: &[(usize, &[u64])]) -> Vec<Vec<u64>> {
        let months = items.iter().map(|(_, m)| m.len()).max().unwrap_or(0);
        let mut free: Vec<Vec<u64>> = (items.iter())
            .map(|(_, m)| Vec::with_capacity(m.len()))
            .collect();
        for m in 0..months {
            let month: Vec<(usize, u64)> = (items.iter())
                .map(|&(i, monthly)| (i, monthly.get(m).copied().unwrap_or(0)))
                .collect();
            for (k, share) in self.free_calls(&month).into_iter().enumerate() {
                if m < items[k].1.len() {
                    free[k].push(share);
                }
            }
        }
        free
    }

    /// One billing item's month as a bill line, the item being the account's
    /// only usage (see [`Calculator::charge`]).
    pub fn line(&self, item: &Item, calls: u64, packs: &mut [HeldPack]) -> Result<BillLine, Error> {
        self.line_with_free(item, calls, self.lone_free(item), packs)
    }

    /// One billing item's month as a bill line with `free` free calls.
    pub fn line_with_free(
        &self,
        item: &Item,
        calls: u64,
        free: u64,
        packs: &mut [HeldPack],
    ) -> Result<BillLine, Error> {
        let mut events = Vec::new();
        let c = self.charge(item, calls, free, packs, &mut events)?;
        let tier = item.reached(c.tier_index, self.prices.settings.tier_bounds);
        Ok(BillLine {
            api: item.key.clone(),
            name: item.name.clone(),
            apis: Vec::new(),
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

    /// The smallest call count above `calls` in a higher tier whose bill is below
    /// `amount`, if any.
    pub fn cliff(&self, item: &Item, calls: u64, amount: Money) -> Option<Cliff> {
        let bounds = self.prices.settings.tier_bounds;
        let free = self.lone_free(item);
        let current = item.tier_index(calls, bounds);
        let tiers_above = (current + 1..item.tiers.len()).map(|index| {
            let at = item.first_calls_of_tier(index, bounds);
            let c = self.charge(item, at, free, &mut [], &mut Vec::new()).ok()?;
            Some((at, c.amount))
        });
        nearest_cliff(tiers_above, calls, amount).map(|(_, (at, there))| Cliff {
            calls: at,
            extra_calls: at - calls,
            amount: there,
            saving: Money::round(amount.decimal() - there.decimal()),
        })
    }

    /// An account's postpaid month of billing items (each given once or
    /// several times; tier reaching looks at the month's total).
    pub fn postpaid(&self, usage: &[(&Item, u64)]) -> Result<PostpaidBill, Error> {
        let named: Vec<(Found<'_>, u64)> = usage
            .iter()
            .map(|&(item, calls)| {
                let index = self
                    .prices
                    .items
                    .iter()
                    .position(|i| i.key == item.key)
                    .ok_or_else(|| {
                        Error::Invalid(format!("{} is not in the price list", item.key))
                    })?;
                Ok((
                    Found {
                        item: &self.prices.items[index],
                        item_index: index,
                        api: None,
                    },
                    calls,
                ))
            })
            .collect::<Result<_, Error>>()?;
        self.postpaid_month(&named)
    }

    /// An account's postpaid month: one line per billing item, with the calls
    /// of all its APIs summed (tier reaching looks at the month's total of the
    /// item) and the APIs shown; the free calls by the price list's scope;
    /// their sum, and the freeze.
    pub fn postpaid_month(&self, usage: &[(Found<'_>, u64)]) -> Result<PostpaidBill, Error> {
        let merged = by_item::<()>(usage.iter().map(|(found, calls)| (found, *calls, &[][..])))?;
        let mut notes = Vec::new();
        for m in &merged {
            notes.extend(one_time_note(&self.prices.items[m.index]));
        }
        let month: Vec<(usize, u64)> = merged.iter().map(|m| (m.index, m.calls)).collect();
        let free = self.free_calls(&month);
        let mut lines = Vec::with_capacity(merged.len());
        for (
            ItemMonth {
                index, calls, apis, ..
            },
            free,
        ) in merged.into_iter().zip(free)
        {
            let item = &self.prices.items[index];
            let mut line = self.line_with_free(item, calls, free, &mut [])?;
            // The cliffs are known for an item's own free calls; with a share of
            // an account's allowance the cheaper tier's bill is not (as in batch).
            if free == self.lone_free(item) {
                line.cliff = self.cliff(item, calls, line.amount);
            }
            line.apis = apis;
            lines.push(line);
        }
        notes.extend(self.allowance_note(lines.len()));
        let amount = Money::checked_sum(lines.iter().map(|l| l.amount))?;
        let freeze = self.freeze(&lines)?;
        Ok(PostpaidBill {
            currency: self.prices.settings.currency.clone(),
            edition: self.prices.about.edition.clone(),
            pricing_file: self.prices.about.file.clone(),
            price_list: self.prices.about.label(),
            lines,
            amount,
            freeze,
            no_freeze: self.prices.settings.freeze_basis == FreezeBasis::None,
            notes,
        })
    }

    /// What a month of `items` billing items says of the free calls, when
    /// they are the account's, shared by its items (edition b).
    pub fn allowance_note(&self, items: usize) -> Option<String> {
        (self.prices.settings.free_quota == FreeQuota::PerAccount && items > 1).then(|| {
            format!(
                "the account's {} free calls a month are taken by the billing items in \
                 price-list order",
                self.prices.settings.free_calls_per_month
            )
        })
    }

    /// The freeze taken after settling a month with these lines: ratio × the
    /// bill, ratio × the lines' exact list-price value, or none; rounded once.
    pub fn freeze(&self, lines: &[BillLine]) -> Result<Money, Error> {
        self.freeze_of(lines.iter().map(|l| FreezeLine {
            api: &l.api,
            postpaid_calls: l.free_calls + l.billable_calls,
            range: &l.tier_range,
            amount: l.amount,
            list_value: l.list_value,
        }))
    }

    /// The freeze over a month's bill lines; a list-price freeze of calls at
    /// a tier without a price is refused, as their bill would be.
    pub(crate) fn freeze_of<'l>(
        &self,
        mut lines: impl Iterator<Item = FreezeLine<'l>>,
    ) -> Result<Money, Error> {
        let settings = &self.prices.settings;
        // Round once per freeze: the list-price base is summed exactly.
        let base = match settings.freeze_basis {
            FreezeBasis::None => return Ok(Money::ZERO),
            FreezeBasis::Bill => Money::checked_sum(lines.map(|l| l.amount))?.decimal(),
            FreezeBasis::ListPrice => lines.try_fold(Decimal::ZERO, |sum, l| {
                let value = l.list_value.ok_or_else(|| Error::FreezeContactSales {
                    api: l.api.to_string(),
                    calls: l.postpaid_calls,
                    range: l.range.to_string(),
                })?;
                sum.checked_add(value).ok_or(Error::Overflow("the freeze"))
            })?,
        };
        base.checked_mul(settings.freeze_ratio)
            .map(Money::round)
            .ok_or(Error::Overflow("the freeze"))
    }
}
