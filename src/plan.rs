//! `plan`: the cheapest pack purchase at the start of a period, given each
//! month's calls (free quota first, then the packs, then postpaid overage at the
//! tier that month's total reaches), against all-postpaid and the source-style
//! "cover every call with packs".

use rustc_hash::FxHashMap;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::bill::{Calculator, Event, HeldPack};
use crate::money::serialize_price;
use crate::pricing::OverageTierBasis;
use crate::pricing::{Item, Pack};
use crate::quote::{
    best_value_first, cheapest_packs, gcd, search_too_large, PackCount, Purchase, SEARCH_STEPS,
};
use crate::{Error, Money};

/// Which purchase a plan option is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlanChoice {
    /// No packs; every month postpaid with its free quota.
    AllPostpaid,
    /// The optimum.
    Cheapest,
    /// The cheapest packs covering every call (the source's arithmetic).
    PacksAllCalls,
}

impl PlanChoice {
    /// The name in JSON and CSV.
    pub fn key(self) -> &'static str {
        match self {
            PlanChoice::AllPostpaid => "all-postpaid",
            PlanChoice::Cheapest => "cheapest",
            PlanChoice::PacksAllCalls => "packs-all-calls",
        }
    }

    /// How people read it.
    pub fn describe(self) -> &'static str {
        match self {
            PlanChoice::AllPostpaid => "all postpaid",
            PlanChoice::Cheapest => "cheapest purchase",
            PlanChoice::PacksAllCalls => "packs for every call (source)",
        }
    }
}

/// One plan option: packs bought at the start and the period's cost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlanOption {
    /// `all-postpaid`, `best` or `cover-all-calls`.
    pub label: PlanChoice,
    /// Packs bought, largest first.
    pub packs: Vec<PackCount>,
    /// Calls in the packs.
    pub pack_calls: u64,
    /// What the packs cost.
    pub pack_cost: Money,
    /// The postpaid bills of the months, summed.
    pub postpaid_cost: Money,
    /// `pack_cost + postpaid_cost`: the period's cost.
    pub cost: Money,
}

/// Where one month's calls came from under a plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlanMonth {
    /// 1-based month of the period.
    pub month: usize,
    /// Calls.
    pub calls: u64,
    /// Under the free quota.
    pub free_calls: u64,
    /// Served by the packs.
    pub pack_calls: u64,
    /// Billed postpaid.
    pub billable_calls: u64,
    /// The overage's unit price; `None` without overage.
    #[serde(serialize_with = "serialize_price")]
    pub unit_price: Option<Decimal>,
    /// The month's postpaid bill.
    pub amount: Money,
}

/// The best option with its months.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BestPlan {
    /// The option.
    #[serde(flatten)]
    pub option: PlanOption,
    /// Month by month.
    pub months: Vec<PlanMonth>,
}

/// A plan for one API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// API key.
    pub api: String,
    /// Chinese name.
    pub name: String,
    /// Calls per month.
    pub monthly: Vec<u64>,
    /// All postpaid, the best purchase, and packs covering every call.
    pub options: Vec<PlanOption>,
    /// The cheapest option (ties: less paid for packs, then fewer packs).
    pub cheapest: BestPlan,
    /// All-postpaid cost minus the cheapest cost.
    pub saving_vs_postpaid: Money,
    /// Packs-for-all-calls cost minus the cheapest cost.
    pub saving_vs_packs_all_calls: Money,
    /// What the plan assumed (an item's one-time free pack taken as spent).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A plan's search step costs a postpaid bound, so it gets fewer steps.
const PLAN_STEPS: u64 = SEARCH_STEPS / 10;

/// (cost, pack cost, packs): smaller is better, in this order.
type Key = (Decimal, Decimal, u64);

struct Search<'c, 'a> {
    calc: &'c Calculator<'a>,
    api: &'c Item,
    monthly: &'c [u64],
    /// Each month's free calls.
    free: &'c [u64],
    order: Vec<Pack>,
    counts: Vec<u64>,
    best: Option<(Vec<u64>, Key)>,
    /// The postpaid cost of the months given a pool of pack calls (None: a
    /// month needs a contact-sales price that was not given).
    postpaid: FxHashMap<u64, Option<Decimal>>,
    /// Pool sizes where the postpaid cost may change slope (cumulative needs).
    breakpoints: Vec<u64>,
    /// The calls beyond the free quotas of all the months: a pool this large
    /// leaves nothing postpaid.
    need: u64,
    error: Option<Error>,
    pool: Vec<HeldPack>,
    events: Vec<Event>,
    /// A single month billed at one known price: (calls beyond the free
    /// quota, unit price), for the closed-form postpaid cost.
    single: Option<(u64, Decimal)>,
    /// Per level: the most calls the packs of that level and after can add
    /// (saturating; `u64::MAX` for the first level, which is unlimited).
    caps: Vec<u64>,
    /// Per level: the price per call of its pack.
    rates: Vec<Decimal>,
    /// Search steps left.
    steps: u64,
}

impl Search<'_, '_> {
    /// The months' postpaid cost with `pool` pack calls (memoized).
    fn postpaid(&mut self, pool: u64) -> Option<Decimal> {
        // One month whose total picks the tier: the overage is the need the
        // pool leaves, at one price, rounded once (as `charge` bills it).
        if let Some((need, price)) = self.single {
            let overage = need.saturating_sub(pool);
            return crate::money::calls_times(overage, price)
                .ok()
                .map(|x| Money::round(x).decimal());
        }
        if let Some(&known) = self.postpaid.get(&pool) {
            return known;
        }
        let mut total = Some(Decimal::ZERO);
        self.pool[0].refill(pool);
        for (&calls, &free) in self.monthly.iter().zip(self.free) {
            self.events.clear();
            match self
                .calc
                .charge(self.api, calls, free, &mut self.pool, &mut self.events)
            {
                Ok(c) => match total.map(|t| t.checked_add(c.amount.decimal())) {
                    Some(Some(t)) => total = Some(t),
                    Some(None) => {
                        self.error
                            .get_or_insert(Error::Overflow("the months' bills"));
                        total = None;
                    }
                    None => {}
                },
                Err(Error::ContactSales { .. }) => total = None,
                Err(e) => {
                    self.error.get_or_insert(e);
                    total = None;
                }
            }
        }
        self.postpaid.insert(pool, total);
        total
    }

    /// A lower bound on `r·x + postpaid(pool + x)` over x ≥ 0, where `r` is the
    /// cheapest price per call of the packs left. When the month's total picks
    /// the tier, the postpaid cost never rises with the pool, so on each stretch
    /// between breakpoints it is at least its value at the stretch's end. When
    /// the calls not served by packs pick it, fewer postpaid calls can cost more
    /// (the tier cliff), and only 0 is a safe bound.
    fn bound(&mut self, pool: u64, level: usize) -> Option<Decimal> {
        if let Some((need, price)) = self.single {
            // One month at one price: adding x pack calls costs at least r·x
            // and leaves p·(need − pool − x); linear in x, so the least is at an
            // end of [0, min(cap, need − pool)]. Less half a fen for rounding.
            let left = need.saturating_sub(pool);
            let at_start = price.checked_mul(Decimal::from(left))?;
            let lowest = match self.rates.get(level) {
                Some(&r) => {
                    let x = left.min(self.caps[level]);
                    let at_end = r
                        .checked_mul(Decimal::from(x))?
                        .checked_add(price.checked_mul(Decimal::from(left - x))?)?;
                    at_start.min(at_end)
                }
                None => at_start,
            };
            return Some(lowest - Decimal::new(5, 3));
        }
        let Some(per_call) = self.order.get(level).copied() else {
            return self.postpaid(pool);
        };
        if self.calc.prices.settings.overage_tier_basis == OverageTierBasis::PostpaidCalls {
            return Some(Decimal::ZERO);
        }
        // The packs left can add at most `cap` calls (the exchange bound limits
        // each size after the first): beyond that the calls go postpaid.
        let cap = self.caps[level];
        let top = pool.saturating_add(cap);
        let mut points: Vec<u64> = vec![pool];
        points.extend(
            self.breakpoints
                .iter()
                .copied()
                .filter(|&b| b > pool && b < top),
        );
        let mut lowest: Option<Decimal> = None;
        for (i, &at) in points.iter().enumerate() {
            // On [at, next): at least the pack calls to reach `at`, plus the
            // postpaid cost at the interval's end.
            // Too large to multiply: 0 is still a lower bound.
            let extra = per_call
                .price
                .checked_mul(Decimal::from(at - pool))
                .map_or(Decimal::ZERO, |x| x / Decimal::from(per_call.calls));
            let end = points.get(i + 1).copied().unwrap_or(top);
            let rest = if end == u64::MAX {
                Some(Decimal::ZERO)
            } else {
                self.postpaid(end)
            };
            // An infeasible end (a contact-sales month) bounds nothing: use 0.
            let rest = rest.unwrap_or(Decimal::ZERO);
            let value = extra + rest;
            lowest = Some(lowest.map_or(value, |l: Decimal| l.min(value)));
        }
        lowest
    }

    fn offer(&mut self, pool: u64, pack_cost: Decimal, packs: u64) {
        let Some(postpaid) = self.postpaid(pool) else {
            return;
        };
        let Some(cost) = pack_cost.checked_add(postpaid) else {
            self.error
                .get_or_insert(Error::Overflow("the period's cost"));
            return;
        };
        let key = (cost, pack_cost, packs);
        if self.best.as_ref().is_none_or(|(_, b)| key < *b) {
            self.best = Some((self.counts.clone(), key));
        }
    }

    fn dfs(&mut self, level: usize, pool: u64, pack_cost: Decimal, packs: u64) {
        if self.steps == 0 {
            return;
        }
        self.steps -= 1;
        if level == self.order.len() {
            self.offer(pool, pack_cost, packs);
            return;
        }
        let pack = self.order[level];
        // Enough of this pack to cover what is left, and no more: a pack
        // beyond that could be taken away with nothing going postpaid.
        // (Within u64: beyond, the calls could not be counted anyway.)
        let mut most = (self.need.saturating_sub(pool))
            .div_ceil(pack.calls)
            .min((u64::MAX - pool) / pack.calls);
        // Exchange bound: fewer than size_i / gcd(size_i, size) of this pack,
        // for every better-value size i before it.
        for better in &self.order[..level] {
            most = most.min(better.calls / gcd(better.calls, pack.calls) - 1);
        }
        // One month at one price: a pack costing a fen or more above its
        // calls postpaid does no better than leaving them postpaid (rounding
        // the overage moves it by under a fen), and costs more in packs.
        if let Some((_, price)) = self.single {
            let postpaid = price
                .checked_mul(Decimal::from(pack.calls))
                .and_then(|x| x.checked_add(Decimal::new(1, 2)));
            if postpaid.is_some_and(|x| x <= pack.price) {
                most = 0;
            }
        }
        // Most packs first: good purchases come early and cut the rest.
        for count in (0..=most).rev() {
            // Every count tried is a step: the budget bounds the loop too.
            if self.steps == 0 {
                return;
            }
            self.steps -= 1;
            let pool_here = pool + count * pack.calls;
            let cost_here = pack_cost + pack.price * Decimal::from(count);
            if let Some((_, (best, _, _))) = &self.best {
                let best = *best;
                // The bound divides; allow for its last-digit rounding.
                let above = self
                    .bound(pool_here, level + 1)
                    .and_then(|lb| cost_here.checked_add(lb))
                    .and_then(|x| x.checked_sub(Decimal::new(1, 20)));
                if above.is_some_and(|x| x > best) {
                    continue;
                }
            }
            self.counts[level] = count;
            self.dfs(level + 1, pool_here, cost_here, packs + count);
            self.counts[level] = 0;
        }
    }
}

impl Plan {
    /// The option of this choice (`PacksAllCalls` is missing for an API
    /// without packs).
    pub fn option(&self, choice: PlanChoice) -> Option<&PlanOption> {
        self.options.iter().find(|o| o.label == choice)
    }
}

impl Calculator<'_> {
    /// The cheapest purchase of packs at the start of a period of `monthly`
    /// calls (at most the packs' validity in months), exact for any price list.
    ///
    /// The period's cost of a purchase is its price plus the months' postpaid
    /// bills, which depend only on the calls the packs hold. The search runs
    /// over the count of each pack size, best value first, and keeps fewer than
    /// `size_i / gcd(size_i, size_j)` packs of a size `j` after a better-value
    /// size `i` (more could be swapped for `i` packs holding the same calls for
    /// no more money), cutting branches whose lower bound is above the best.
    ///
    /// ```
    /// use ocr_bill::{Calculator, PriceList};
    /// let prices = PriceList::builtin();
    /// let idcard = prices.item("idcard").unwrap();
    /// let plan = Calculator::new(&prices).plan(idcard, &[11_000; 4]).unwrap();
    /// assert_eq!(plan.cheapest.option.cost.to_string(), "3200.00"); // 4 × 10,000 packs
    /// assert_eq!(plan.saving_vs_postpaid.to_string(), "800.00");
    /// ```
    pub fn plan(&self, api: &Item, monthly: &[u64]) -> Result<Plan, Error> {
        self.plan_with_free(api, monthly, &vec![self.lone_free(api); monthly.len()])
    }

    /// [`Calculator::plan`] with each month's free calls given: an item's
    /// share of the account's allowance (edition `b`), which the month's calls
    /// of the items before it decide.
    pub fn plan_with_free(&self, api: &Item, monthly: &[u64], free: &[u64]) -> Result<Plan, Error> {
        if free.len() != monthly.len() {
            return Err(Error::Invalid(format!(
                "{} months of free calls for {} months of calls",
                free.len(),
                monthly.len()
            )));
        }
        let pairs = self.cheapest_pairs(api, monthly, free)?;
        let all_calls = monthly
            .iter()
            .try_fold(0u64, |a, &c| a.checked_add(c))
            .ok_or(Error::Overflow("the period's calls"))?;
        let best = self.plan_option(PlanChoice::Cheapest, api, monthly, free, &pairs)?;
        let cover_all = cheapest_packs(&api.packs, all_calls).ok();
        let cover_pairs: Vec<(Pack, u64)> = cover_all
            .map(|p| {
                p.packs
                    .iter()
                    .map(|c| (api.pack(c.calls).expect("offered"), c.count))
                    .collect()
            })
            .unwrap_or_default();
        // All postpaid: refused like any postpaid bill when a month reaches the
        // contact-sales tier without a price.
        let postpaid = self
            .plan_option(PlanChoice::AllPostpaid, api, monthly, free, &[])?
            .option;
        let mut options = vec![postpaid.clone(), best.option.clone()];
        let cover = if api.packs.is_empty() {
            None
        } else {
            Some(
                self.plan_option(PlanChoice::PacksAllCalls, api, monthly, free, &cover_pairs)?
                    .option,
            )
        };
        options.extend(cover.clone());
        Ok(Plan {
            api: api.key.clone(),
            name: api.name.clone(),
            monthly: monthly.to_vec(),
            saving_vs_postpaid: postpaid.cost.checked_sub(best.option.cost)?,
            saving_vs_packs_all_calls: match &cover {
                Some(c) => c.cost.checked_sub(best.option.cost)?,
                None => Money::ZERO,
            },
            options,
            cheapest: best,
            notes: crate::bill::one_time_note(api).into_iter().collect(),
        })
    }

    /// The cheapest option alone, without the others and the months (what
    /// the cost curve needs at each point).
    pub fn cheapest_option(&self, api: &Item, monthly: &[u64]) -> Result<PlanOption, Error> {
        let free = vec![self.lone_free(api); monthly.len()];
        let pairs = self.cheapest_pairs(api, monthly, &free)?;
        Ok(self
            .plan_option(PlanChoice::Cheapest, api, monthly, &free, &pairs)?
            .option)
    }

    /// The packs of the cheapest purchase, found by an exact search.
    fn cheapest_pairs(
        &self,
        api: &Item,
        monthly: &[u64],
        free: &[u64],
    ) -> Result<Vec<(Pack, u64)>, Error> {
        let validity = self.prices.settings.pack_validity_months as usize;
        if monthly.is_empty() || monthly.len() > validity {
            return Err(Error::Invalid(format!(
                "{} months given; a plan covers {} (the packs' validity)",
                monthly.len(),
                plan_months(self.prices.settings.pack_validity_months)
            )));
        }
        let mut breakpoints = Vec::new();
        let mut need = 0u64;
        for (&calls, &free) in monthly.iter().zip(free) {
            need = need
                .checked_add(calls.saturating_sub(free))
                .ok_or(Error::Overflow("the period's calls"))?;
            breakpoints.push(need);
        }
        breakpoints.dedup();
        // Every sum of pack prices the search makes is at most this; refuse what
        // cannot fit (with room for the months' bills on top).
        api.packs
            .iter()
            .try_fold(Decimal::ZERO, |acc, p| {
                Decimal::from(need.div_ceil(p.calls) + 1)
                    .checked_mul(p.price)
                    .and_then(|c| acc.checked_add(c))
            })
            .and_then(|sum| sum.checked_mul(Decimal::from(4)))
            .ok_or(Error::Overflow("the packs' cost"))?;
        let order = best_value_first(&api.packs);
        let mut caps = vec![0u64; order.len() + 1];
        for level in (0..order.len()).rev() {
            let most = order[..level]
                .iter()
                .map(|better| better.calls / gcd(better.calls, order[level].calls) - 1)
                .min()
                .map_or(u64::MAX, |m| m.saturating_mul(order[level].calls));
            caps[level] = caps[level + 1].saturating_add(most);
        }
        let single = match monthly {
            [calls] if self.prices.settings.overage_tier_basis == OverageTierBasis::TotalCalls => {
                let index = api.tier_index(*calls, self.prices.settings.tier_bounds);
                self.price(api, index)
                    .map(|p| (calls.saturating_sub(free[0]), p))
            }
            _ => None,
        };
        let rates = order
            .iter()
            .map(|p| p.price / Decimal::from(p.calls))
            .collect();
        let mut search = Search {
            rates,
            single,
            caps,
            calc: self,
            api,
            monthly,
            free,
            counts: vec![0; order.len()],
            order,
            best: None,
            postpaid: FxHashMap::default(),
            breakpoints,
            need,
            error: None,
            pool: vec![HeldPack::pool(&api.key, 0)],
            events: Vec::new(),
            steps: PLAN_STEPS,
        };
        // All postpaid first: it is the bound every purchase must beat.
        let postpaid_only = search.postpaid(0);
        search.offer(0, Decimal::ZERO, 0);
        search.dfs(0, 0, Decimal::ZERO, 0);
        if let Some(e) = search.error.take() {
            return Err(e);
        }
        if search.steps == 0 {
            return Err(search_too_large(PLAN_STEPS));
        }
        if postpaid_only.is_none() {
            // Refused the way the months' own bills are.
            for (&calls, &free) in monthly.iter().zip(free) {
                self.line_with_free(api, calls, free, &mut [])?;
            }
        }
        let (counts, _) = search.best.clone().expect("all postpaid is an option");
        Ok(search.order.iter().copied().zip(counts).collect())
    }

    /// One option: the packs bought and the months billed with them.
    fn plan_option(
        &self,
        label: PlanChoice,
        api: &Item,
        monthly: &[u64],
        free: &[u64],
        packs: &[(Pack, u64)],
    ) -> Result<BestPlan, Error> {
        let purchase = Purchase::from_counts(packs, 0)?;
        let pack_calls =
            u64::try_from(purchase.covered_calls).map_err(|_| Error::Overflow("the pack calls"))?;
        // The packs as one pool: they are all bought together and expire together.
        let mut pool = vec![HeldPack::pool(&api.key, pack_calls)];
        let mut months = Vec::new();
        let mut postpaid = Money::ZERO;
        for (i, (&calls, &free)) in monthly.iter().zip(free).enumerate() {
            let line = self.line_with_free(api, calls, free, &mut pool)?;
            postpaid = postpaid.checked_add(line.amount)?;
            months.push(PlanMonth {
                month: i + 1,
                calls,
                free_calls: line.free_calls,
                pack_calls: line.pack_calls,
                billable_calls: line.billable_calls,
                unit_price: line.unit_price,
                amount: line.amount,
            });
        }
        Ok(BestPlan {
            option: PlanOption {
                label,
                cost: purchase.cost.checked_add(postpaid)?,
                packs: purchase.packs,
                pack_calls,
                pack_cost: purchase.cost,
                postpaid_cost: postpaid,
            },
            months,
        })
    }
}

/// The months a plan may cover with packs valid `validity` months, in words:
/// `1 to 12 months`, or `1 month`.
///
/// ```
/// assert_eq!(ocr_bill::plan_months(12), "1 to 12 months");
/// assert_eq!(ocr_bill::plan_months(1), "1 month");
/// ```
pub fn plan_months(validity: u32) -> String {
    match validity {
        1 => "1 month".to_string(),
        v => format!("1 to {v} months"),
    }
}
