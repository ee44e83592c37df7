//! The cheapest purchase of prepaid packs covering a number of calls, exact for
//! any pack table and any number of calls.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::pricing::Pack;
use crate::{Error, Money};

/// Packs of one size in a purchase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PackCount {
    /// Calls in one pack.
    pub calls: u64,
    /// How many packs.
    pub count: u64,
    /// Price of one pack.
    pub price: Money,
    /// `count × price`.
    pub cost: Money,
}

/// A list of packs as the command line and CSV write it, `10000x1 1000x2`
/// (nothing for none); [`PackList::human`] as a table shows it.
#[derive(Clone, Copy, Debug)]
pub struct PackList<'a>(pub &'a [PackCount]);

impl std::fmt::Display for PackList<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{}x{}", p.calls, p.count)?;
        }
        Ok(())
    }
}

impl PackList<'_> {
    /// `1 × 10000 + 2 × 1000`, or `none`, each pack size written by `num` (a
    /// table's thousands separators: `1 × 10,000`).
    pub fn human(self, num: &dyn Fn(&str) -> String) -> String {
        if self.0.is_empty() {
            return "none".into();
        }
        self.0
            .iter()
            .map(|c| format!("{} × {}", c.count, num(&c.calls.to_string())))
            .collect::<Vec<_>>()
            .join(" + ")
    }
}

/// Serializes a list of packs as [`PackList`] writes it.
pub fn serialize_pack_list<S: serde::Serializer>(
    packs: &[PackCount],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_str(&PackList(packs))
}

/// A multiset of packs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Purchase {
    /// The packs, largest first; empty when nothing is needed.
    pub packs: Vec<PackCount>,
    /// What the packs cost.
    pub cost: Money,
    /// Calls the packs hold (more than a `u64` when the need is near its top).
    pub covered_calls: u128,
    /// Covered calls beyond the need, which expire unused.
    pub unused_calls: u128,
    /// Number of packs.
    pub pack_count: u64,
}

impl Purchase {
    /// The purchase of `counts` packs of each size, for a need of `need` calls.
    pub(crate) fn from_counts(counts: &[(Pack, u64)], need: u64) -> Result<Purchase, Error> {
        let mut packs: Vec<PackCount> = counts
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|&(p, n)| {
                let cost = Decimal::from(n)
                    .checked_mul(p.price)
                    .ok_or(Error::Overflow("the packs' cost"))?;
                Ok(PackCount {
                    calls: p.calls,
                    count: n,
                    price: Money::round(p.price),
                    cost: Money::round(cost),
                })
            })
            .collect::<Result<_, Error>>()?;
        packs.sort_by_key(|p| std::cmp::Reverse(p.calls));
        let exact = counts.iter().try_fold(Decimal::ZERO, |acc, &(p, n)| {
            Decimal::from(n)
                .checked_mul(p.price)
                .and_then(|c| acc.checked_add(c))
                .ok_or(Error::Overflow("the packs' cost"))
        })?;
        let covered = counts.iter().try_fold(0u128, |acc, &(p, n)| {
            u128::from(p.calls)
                .checked_mul(u128::from(n))
                .and_then(|c| acc.checked_add(c))
                .ok_or(Error::Overflow("the packs' calls"))
        })?;
        Ok(Purchase {
            packs,
            cost: Money::round(exact),
            covered_calls: covered,
            unused_calls: covered.saturating_sub(u128::from(need)),
            pack_count: counts
                .iter()
                .try_fold(0u64, |acc, (_, n)| acc.checked_add(*n))
                .ok_or(Error::Overflow("the number of packs"))?,
        })
    }
}

/// The cheapest multiset of packs whose sizes add up to at least `need` calls;
/// ties go to fewer unused calls, then to fewer packs.
///
/// Exact for any pack table (a bigger pack need not be cheaper per call). The
/// work depends on the pack table, not on `need`: in an optimal purchase every
/// pack size `j` other than the best-value size `b` occurs fewer than
/// `size_b / gcd(size_b, size_j)` times (otherwise that many `j` packs could be
/// swapped for `b` packs holding the same calls for no more money and no more
/// packs), so only a few counts of `b` around `need / size_b` are worth trying,
/// and the same holds level by level for the rest.
///
/// ```
/// use ocr_bill::{cheapest_packs, PriceList};
/// let prices = PriceList::builtin();
/// let packs = &prices.item("idcard").unwrap().packs;
/// let best = cheapest_packs(packs, 7000).unwrap();
/// assert_eq!(best.cost.to_string(), "800.00"); // 1 × 10,000, not 7 × 1,000
/// ```
pub fn cheapest_packs(packs: &[Pack], need: u64) -> Result<Purchase, Error> {
    if packs.is_empty() {
        return Err(Error::Invalid("no packs to choose from".into()));
    }
    // Every cost the search adds up is at most this sum; refuse what cannot fit.
    packs.iter().try_fold(Decimal::ZERO, |acc, p| {
        Decimal::from(need / p.calls + 1)
            .checked_mul(p.price)
            .and_then(|c| c.checked_mul(Decimal::from(p.calls)))
            .and_then(|c| acc.checked_add(c))
            .ok_or(Error::Overflow("the packs' cost"))
    })?;
    let order = best_value_first(packs);
    let mut search = Search {
        order: &order,
        need,
        counts: vec![0; order.len()],
        best: None,
        steps: SEARCH_STEPS,
    };
    search.dfs(0, i128::from(need), Decimal::ZERO, 0);
    if search.steps == 0 {
        return Err(search_too_large(SEARCH_STEPS));
    }
    let (counts, _) = search
        .best
        .expect("the best-value pack alone covers any need");
    let pairs: Vec<(Pack, u64)> = order.iter().copied().zip(counts).collect();
    Purchase::from_counts(&pairs, need)
}

/// The packs ordered best value first: lower price per call (compared without
/// division, `p_a·s_b < p_b·s_a`), equal value with the larger pack first.
pub(crate) fn best_value_first(packs: &[Pack]) -> Vec<Pack> {
    let mut order = packs.to_vec();
    order.sort_by(|a, b| {
        let value = match (
            a.price.checked_mul(Decimal::from(b.calls)),
            b.price.checked_mul(Decimal::from(a.calls)),
        ) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => (a.price / Decimal::from(a.calls)).cmp(&(b.price / Decimal::from(b.calls))),
        };
        value.then(b.calls.cmp(&a.calls))
    });
    order
}

/// The cheapest purchase using only packs of one size.
pub fn single_size(pack: Pack, need: u64) -> Result<Purchase, Error> {
    Purchase::from_counts(&[(pack, need.div_ceil(pack.calls))], need)
}

/// (cost, unused calls, packs): smaller is better, compared in this order.
type Key = (Decimal, u64, u64);

struct Search<'a> {
    order: &'a [Pack],
    need: u64,
    counts: Vec<u64>,
    best: Option<(Vec<u64>, Key)>,
    /// Search steps left (see [`SEARCH_STEPS`]).
    steps: u64,
}

/// The most steps an exact pack search takes before it gives up with an error
/// rather than answer late or inexactly. Realistic tables need thousands.
pub(crate) const SEARCH_STEPS: u64 = 20_000_000;

/// The error of a search that ran out of steps.
pub(crate) fn search_too_large(steps: u64) -> Error {
    Error::Invalid(format!(
        "no exact answer within {steps} search steps: the pack table is too irregular \
         (sizes with few common divisors, nearly equal prices per call) or the volume too \
         large for its smallest best-value pack"
    ))
}

pub(crate) fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

impl Search<'_> {
    /// Can `spent` plus `left` calls at `pack`'s price per call (a lower bound on
    /// completing the purchase) still reach the best cost? Compared without
    /// division, `spent·s + p·left ≤ best·s`, so ties are never lost to rounding;
    /// if that overflows, the branch is kept (slower, never wrong).
    fn may_reach_best(&self, spent: Decimal, left: i128, pack: &Pack) -> bool {
        let Some((_, (best, _, _))) = &self.best else {
            return true;
        };
        let s = Decimal::from(pack.calls);
        let lhs = spent.checked_mul(s).and_then(|a| {
            pack.price
                .checked_mul(Decimal::from(left))
                .and_then(|b| a.checked_add(b))
        });
        match (lhs, best.checked_mul(s)) {
            (Some(l), Some(r)) => l <= r,
            _ => true,
        }
    }

    fn offer(&mut self, cost: Decimal, covered: u128, packs: u64) {
        let key = (cost, (covered - u128::from(self.need)) as u64, packs);
        if self.best.as_ref().is_none_or(|(_, best)| key < *best) {
            self.best = Some((self.counts.clone(), key));
        }
    }

    /// Chooses the count of `order[level]`, the best value among the packs left.
    fn dfs(&mut self, level: usize, remaining: i128, cost: Decimal, packs: u64) {
        if self.steps == 0 {
            return;
        }
        self.steps -= 1;
        if remaining <= 0 {
            let covered = (i128::from(self.need) - remaining) as u128;
            self.offer(cost, covered, packs);
            return;
        }
        let Some(&pack) = self.order.get(level) else {
            return;
        };
        let size = i128::from(pack.calls);
        if !self.may_reach_best(cost, remaining, &pack) {
            return;
        }
        let most = (remaining + size - 1) / size;
        // Calls the remaining sizes can hold in an optimal purchase.
        let rest_cap: i128 = self.order[level + 1..]
            .iter()
            .map(|q| {
                let g = gcd(pack.calls, q.calls);
                (i128::from(pack.calls / g) - 1) * i128::from(q.calls)
            })
            .sum();
        let least = ((remaining - rest_cap).max(0) + size - 1) / size;
        let next = self.order.get(level + 1).copied();
        for count in (least..=most).rev() {
            if self.steps == 0 {
                return;
            }
            self.steps -= 1;
            let left = remaining - count * size;
            let spent = cost + pack.price * Decimal::from(count);
            if left > 0 {
                let Some(next) = next else { continue };
                // Fewer of this pack only raises the bound: stop once it is beaten.
                if !self.may_reach_best(spent, left, &next) {
                    break;
                }
            }
            self.counts[level] = count as u64;
            self.dfs(level + 1, left, spent, packs + count as u64);
            self.counts[level] = 0;
        }
    }
}

/// Which purchase a quote option is; serialized as `cheapest` or
/// `only N-call packs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuoteChoice {
    /// The cheapest multiset of packs.
    Cheapest,
    /// The best purchase with packs of this one size.
    OnlySize(u64),
}

impl QuoteChoice {
    /// The label, with the pack size written by `size` (digits grouped for a
    /// table).
    ///
    /// ```
    /// use ocr_bill::QuoteChoice;
    /// let only = QuoteChoice::OnlySize(10_000);
    /// assert_eq!(only.to_string(), "only 10000-call packs");
    /// assert_eq!(only.label(|n| format!("{}k", n / 1000)), "only 10k-call packs");
    /// ```
    pub fn label(self, size: impl Fn(u64) -> String) -> String {
        match self {
            QuoteChoice::Cheapest => "cheapest".to_string(),
            QuoteChoice::OnlySize(calls) => format!("only {}-call packs", size(calls)),
        }
    }
}

impl std::fmt::Display for QuoteChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label(|calls| calls.to_string()))
    }
}

impl Serialize for QuoteChoice {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Which way of paying for calls spread over months is cheapest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SpreadChoice {
    /// No packs: every month postpaid with its free quota.
    AllPostpaid,
    /// Packs for only the calls beyond the free quotas.
    PacksBeyondFree,
    /// Packs for every call (the source's arithmetic).
    PacksAllCalls,
}

impl SpreadChoice {
    /// The name in JSON and CSV.
    pub fn key(self) -> &'static str {
        match self {
            SpreadChoice::AllPostpaid => "all-postpaid",
            SpreadChoice::PacksBeyondFree => "packs-beyond-free",
            SpreadChoice::PacksAllCalls => "packs-all-calls",
        }
    }

    /// How people read it.
    pub fn describe(self) -> &'static str {
        match self {
            SpreadChoice::AllPostpaid => "all postpaid",
            SpreadChoice::PacksBeyondFree => "packs for the calls beyond the free quotas",
            SpreadChoice::PacksAllCalls => "packs for all calls",
        }
    }
}

/// A quote option: a purchase and how it compares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QuoteOption {
    /// `cheapest` or `only N-call packs`.
    pub label: QuoteChoice,
    /// The purchase.
    #[serde(flatten)]
    pub purchase: Purchase,
    /// Cost divided by the calls needed, 4 decimals; `None` when no calls are needed.
    #[serde(serialize_with = "crate::money::serialize_per_call")]
    pub cost_per_used_call: Option<Decimal>,
    /// How much more than the cheapest option.
    pub extra_cost: Money,
}

/// The optimum first, then the best purchase with each single pack size that is
/// not the optimum itself, cheapest first.
pub fn pack_options(packs: &[Pack], need: u64) -> Result<Vec<QuoteOption>, Error> {
    let best = cheapest_packs(packs, need)?;
    let mut singles = packs
        .iter()
        .map(|&p| single_size(p, need))
        .collect::<Result<Vec<_>, _>>()?;
    singles.retain(|s| s.packs != best.packs);
    singles.sort_by(|a, b| {
        (a.cost, a.unused_calls, a.pack_count).cmp(&(b.cost, b.unused_calls, b.pack_count))
    });
    let base = best.cost;
    let option = |label: QuoteChoice, purchase: Purchase| -> Result<QuoteOption, Error> {
        Ok(QuoteOption {
            label,
            cost_per_used_call: crate::money::per_call(purchase.cost, need),
            extra_cost: purchase.cost.checked_sub(base)?,
            purchase,
        })
    };
    let mut options = vec![option(QuoteChoice::Cheapest, best)?];
    for s in singles {
        let label = QuoteChoice::OnlySize(s.packs[0].calls);
        options.push(option(label, s)?);
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack(calls: u64, price: i64) -> Pack {
        Pack {
            calls,
            price: Decimal::from(price),
        }
    }

    #[test]
    fn source_examples() {
        let table = [
            pack(1000, 120),
            pack(10_000, 800),
            pack(100_000, 5000),
            pack(1_000_000, 30_000),
            pack(10_000_000, 200_000),
        ];
        assert_eq!(
            cheapest_packs(&table, 3000).unwrap().cost.to_string(),
            "360.00"
        );
        let seven = cheapest_packs(&table, 7000).unwrap();
        assert_eq!(seven.cost.to_string(), "800.00");
        assert_eq!(seven.packs[0].calls, 10_000);
        assert_eq!(cheapest_packs(&table, 0).unwrap().pack_count, 0);
    }

    #[test]
    fn huge_needs_are_answered() {
        let table = [
            pack(1000, 120),
            pack(10_000, 800),
            pack(10_000_000, 200_000),
        ];
        let p = cheapest_packs(&table, 1_000_000_000_000_000).unwrap();
        assert_eq!(p.covered_calls, 1_000_000_000_000_000);
        assert_eq!(p.cost.to_string(), "20000000000000.00");
    }
}

/// `calls` spread evenly over `months` months, the remainder in the first
/// months (as `quote --months` spreads them).
///
/// ```
/// assert_eq!(ocr_bill::spread_calls(250_000, 12)[..2], [20_834, 20_834]);
/// assert_eq!(ocr_bill::spread_calls(250_000, 12).iter().sum::<u64>(), 250_000);
/// ```
pub fn spread_calls(calls: u64, months: u32) -> Vec<u64> {
    let m = u64::from(months).max(1);
    (0..u64::from(months))
        .map(|i| calls / m + u64::from(i < calls % m))
        .collect()
}

/// The calls spread evenly over some months, compared with postpaid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Spread {
    /// Months the calls are spread over.
    pub months: u32,
    /// Calls in each month (the remainder goes to the first months).
    pub monthly_calls: Vec<u64>,
    /// All postpaid: the sum of the monthly bills, each with its free quota.
    pub postpaid_cost: Money,
    /// Calls beyond each month's free quota, summed.
    pub beyond_free_calls: u64,
    /// The cheapest packs for only those calls.
    pub beyond_free_packs: Purchase,
    /// `all-postpaid`, `packs-beyond-free` or `packs-all-calls`.
    pub cheapest: SpreadChoice,
    /// Its cost.
    pub cheapest_cost: Money,
}

/// A quote: pack options for a number of calls, optionally spread over months.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Quote {
    /// API key.
    pub api: String,
    /// Chinese name.
    pub name: String,
    /// Calls to cover.
    pub calls: u64,
    /// The optimum first, then the best with each single pack size.
    pub options: Vec<QuoteOption>,
    /// With `--months`: postpaid and packs beyond the free quotas.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spread: Option<Spread>,
    /// What the quote assumed (an item's one-time free pack taken as spent).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Quote {
    /// The cheapest option (there is always one).
    pub fn cheapest(&self) -> &QuoteOption {
        self.options
            .iter()
            .find(|o| o.label == QuoteChoice::Cheapest)
            .expect("a quote has its cheapest option")
    }
}

impl crate::Calculator<'_> {
    /// Which packs to buy for `calls` in a year; with `months`, the calls are
    /// spread evenly and compared with all-postpaid and with packs for only the
    /// calls beyond the monthly free quotas.
    ///
    /// ```
    /// use ocr_bill::{Calculator, PriceList};
    /// let prices = PriceList::builtin();
    /// let idcard = prices.item("idcard").unwrap();
    /// let q = Calculator::new(&prices).quote(idcard, 3000, Some(12)).unwrap();
    /// assert_eq!(q.cheapest().purchase.cost.to_string(), "360.00"); // 3 × 1,000
    /// let spread = q.spread.unwrap();
    /// assert_eq!(spread.cheapest, ocr_bill::SpreadChoice::AllPostpaid); // 250 calls a month are free
    /// ```
    pub fn quote(
        &self,
        api: &crate::Item,
        calls: u64,
        months: Option<u32>,
    ) -> Result<Quote, Error> {
        self.quote_with_free(api, calls, months, None)
    }

    /// [`crate::Calculator::quote`] with the free calls of each of the `months`
    /// given (an item's share of the account's allowance, edition `b`, as
    /// the months' calls of the items before it decide); `None`: the item's
    /// own.
    pub fn quote_with_free(
        &self,
        api: &crate::Item,
        calls: u64,
        months: Option<u32>,
        free: Option<&[u64]>,
    ) -> Result<Quote, Error> {
        if api.packs.is_empty() {
            return Err(Error::NoPacks {
                api: api.key.clone(),
            });
        }
        let options = pack_options(&api.packs, calls)?;
        let spread = match months {
            None => None,
            Some(m) => {
                let cheapest = options
                    .iter()
                    .find(|o| o.label == QuoteChoice::Cheapest)
                    .expect("pack_options gives the cheapest");
                Some(self.spread(api, calls, m, free, cheapest)?)
            }
        };
        Ok(Quote {
            api: api.key.clone(),
            name: api.name.clone(),
            calls,
            options,
            spread,
            notes: crate::bill::one_time_note(api).into_iter().collect(),
        })
    }

    fn spread(
        &self,
        api: &crate::Item,
        calls: u64,
        months: u32,
        free: Option<&[u64]>,
        all_calls: &QuoteOption,
    ) -> Result<Spread, Error> {
        let validity = self.prices.settings.pack_validity_months;
        if months == 0 || months > validity {
            return Err(Error::OutOfRange {
                what: "months",
                value: u64::from(months),
                max: u64::from(validity),
                why: ", the months a pack stays valid",
            });
        }
        let monthly_calls = spread_calls(calls, months);
        if free.is_some_and(|f| f.len() != monthly_calls.len()) {
            return Err(Error::Invalid(format!(
                "free calls of {} months for {months} months",
                free.map_or(0, <[u64]>::len)
            )));
        }
        let mut postpaid_cost = Money::ZERO;
        let mut beyond = 0u64;
        for (i, &c) in monthly_calls.iter().enumerate() {
            let free = free.map_or_else(|| self.lone_free(api), |f| f[i]);
            let line = self.line_with_free(api, c, free, &mut [])?;
            postpaid_cost = postpaid_cost.checked_add(line.amount)?;
            beyond += c - line.free_calls;
        }
        let beyond_free_packs = cheapest_packs(&api.packs, beyond)?;
        let (cheapest, cheapest_cost) = [
            (SpreadChoice::AllPostpaid, postpaid_cost),
            (SpreadChoice::PacksBeyondFree, beyond_free_packs.cost),
            (SpreadChoice::PacksAllCalls, all_calls.purchase.cost),
        ]
        .into_iter()
        .min_by_key(|(_, cost)| *cost)
        .expect("three options");
        Ok(Spread {
            months,
            monthly_calls,
            postpaid_cost,
            beyond_free_calls: beyond,
            beyond_free_packs,
            cheapest,
            cheapest_cost,
        })
    }
}
