//! The ledger and grouped `batch` against independent models of the rules,
//! written from RULES rather than from the calculator.
//!
//! The ledger's model goes month by month through RULES §2–§4 and §7: the
//! free quota (per item, or the account's allowance taken in price-list
//! order), one-time free packs, packs drawn soonest-expiring first, overage at
//! the tier the month's total (or its calls packs did not serve) reaches,
//! alerts by the list's rule, expiry,
//! the freeze (of the bill, or of the calls at list price) and the balance,
//! for random usage, purchases (at list or paid prices) and top-ups in
//! every edition, as built in and under pricing files
//! that change the settings of RULES §6. The grouped `batch` model sums dated
//! rows of several accounts into each account's month and billing item
//! (RULES §7.1, §8) on every edition.

use ocr_bill::{
    AlertRule, BatchOptions, Calculator, Event, FreeQuota, FreezeBasis, Item, LedgerInput, Money,
    Month, OverageTierBasis, PackPurchase, PriceList, TierBounds, TierPrice, TopUp, Usage,
};
use proptest::prelude::*;
use rust_decimal::{Decimal, RoundingStrategy};

/// Each edition and the API names its cases use (in `d` and `e`, two APIs of
/// one shared item, and APIs with a one-time free pack and no monthly free
/// calls, one of `d`'s with 100-call packs; `e`'s flat row; `a` and `intl`
/// sell no packs).
const LEDGER_CASES: [(&str, &[&str]); 7] = [
    ("seed", &["idcard", "bankcard"]),
    ("b", &["general", "idcard", "bankcard"]),
    ("c", &["idcard", "bankcard", "general-accurate"]),
    (
        "d",
        &[
            "residence-booklet",
            "property-cert",
            "idcard",
            "barcode-query",
            "verify-bizlicense",
        ],
    ),
    ("a", &["idcard", "general"]),
    (
        "e",
        &[
            "residence-booklet",
            "passport",
            "medical-invoice",
            "vat-invoice-verify",
        ],
    ),
    ("intl", &["general", "bankcard"]),
];

#[derive(Debug, Clone)]
struct Case {
    edition: usize,
    first: u32,
    /// (month offset, API, calls)
    usage: Vec<(u32, usize, u64)>,
    /// (month offset, API whose item the packs serve, index of a size on sale
    /// at a list price, count, price paid in fen or the list price)
    packs: Vec<(u32, usize, usize, u64, Option<u64>)>,
    /// (month offset, fen)
    topups: Vec<(u32, u64)>,
    /// Opening balance in fen, when one is followed.
    balance: Option<i64>,
    /// Settings a pricing file changes, over the edition; none for the
    /// edition as built in.
    variant: Option<Variant>,
}

/// The settings of RULES §6 that a pricing file can change, as one draws them.
#[derive(Debug, Clone)]
struct Variant {
    upper_exclusive: bool,
    free_calls: u64,
    quota: &'static str,
    freeze: (&'static str, &'static str),
    alert: (&'static str, &'static str),
    validity: u32,
    overage_basis: &'static str,
}

impl Variant {
    /// A pricing file over `edition` that states these settings.
    fn toml(&self, edition: &str) -> String {
        format!(
            "edition = \"{edition}\"\n\
             tier_bounds = \"{}\"\n\
             free_calls_per_month = {}\n\
             free_quota = \"{}\"\n\
             pack_alert = \"{}\"\n\
             pack_alert_below = \"{}\"\n\
             pack_validity_months = {}\n\
             overage_tier_basis = \"{}\"\n\
             [freeze]\nbasis = \"{}\"\nratio = \"{}\"\n",
            if self.upper_exclusive {
                "upper-exclusive"
            } else {
                "lower-exclusive"
            },
            self.free_calls,
            self.quota,
            self.alert.0,
            self.alert.1,
            self.validity,
            self.overage_basis,
            self.freeze.0,
            self.freeze.1,
        )
    }
}

/// The edition as built in, or a pricing file over it.
fn price_list(edition: &str, variant: &Option<Variant>) -> PriceList {
    match variant {
        None => PriceList::edition(edition).unwrap(),
        Some(v) => PriceList::from_toml(&v.toml(edition)).unwrap(),
    }
}

fn variant() -> impl Strategy<Value = Variant> {
    (
        any::<bool>(),
        prop::sample::select(vec![0u64, 500, 1000, 3000]),
        prop::sample::select(vec!["per-item", "per-account", "none"]),
        prop::sample::select(vec![
            ("bill", "1.2"),
            ("bill", "1.15"),
            ("list-price", "1"),
            ("list-price", "0.333"),
            ("none", "1"),
        ]),
        prop::sample::select(vec![
            ("every-pack", "0.15"),
            ("every-pack", "0.5"),
            ("last-pack", "0.2"),
            ("last-pack", "0.75"),
        ]),
        1u32..=24,
        prop::sample::select(vec!["total-calls", "postpaid-calls"]),
    )
        .prop_map(
            |(upper_exclusive, free_calls, quota, freeze, alert, validity, overage_basis)| {
                Variant {
                    upper_exclusive,
                    free_calls,
                    quota,
                    freeze,
                    alert,
                    validity,
                    overage_basis,
                }
            },
        )
}

fn calls() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..=300,
        0u64..=1_100,
        1_000u64..=12_000,
        9_000u64..=110_000,
        90_000u64..=450_000
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (0usize..LEDGER_CASES.len(), 0u32..12, 1u32..=20).prop_flat_map(|(edition, first, months)| {
        let apis = LEDGER_CASES[edition].1.len();
        (
            proptest::collection::vec((0..months, 0..apis, calls()), 1..24),
            proptest::collection::vec(
                (
                    0..months,
                    0..apis,
                    0usize..4,
                    1u64..=3,
                    proptest::option::of(1u64..=5_000_000),
                ),
                0..5,
            ),
            proptest::collection::vec((0..months, 0u64..=5_000_000), 0..3),
            proptest::option::of(prop_oneof![Just(0i64), Just(500_050), Just(-30_000)]),
            proptest::option::of(variant()),
        )
            .prop_map(move |(usage, packs, topups, balance, variant)| Case {
                edition,
                first,
                usage,
                packs,
                topups,
                balance,
                variant,
            })
    })
}

fn yuan(fen: i128) -> Decimal {
    Decimal::from_i128_with_scale(fen, 2)
}

/// To the fen, half away from zero (RULES §5).
fn to_fen(x: Decimal) -> Decimal {
    x.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// The unit price of the tier `n` calls reach, by the bounds of the list (a
/// contact-sales tier's negotiated price, if it has one).
fn reached_price(item: &Item, n: u64, bounds: TierBounds) -> Option<Decimal> {
    let tier = item.tiers.iter().find(|t| match (t.upto, bounds) {
        (None, _) => true,
        (Some(up), TierBounds::LowerExclusive) => n <= up,
        (Some(up), TierBounds::UpperExclusive) => n < up,
    })?;
    match tier.price {
        TierPrice::List(p) => Some(p),
        TierPrice::ContactSales { negotiated } => negotiated,
    }
}

/// A pack the model holds.
struct Held {
    item: usize,
    number: usize,
    size: u64,
    left: u64,
    last: Month,
    free: bool,
    /// Told low (the last-pack rule).
    told_low: bool,
}

/// What the model expects of a month.
#[derive(Debug, PartialEq)]
struct Expected {
    month: Month,
    /// (item key, calls, free, from packs, billable, amount), by item key.
    lines: Vec<(String, u64, u64, u64, u64, Decimal)>,
    bill: Decimal,
    freeze: Decimal,
    balance: Option<Decimal>,
    /// Alerts and switches to postpaid, as (kind, item, pack number or
    /// billable calls), sorted.
    events: Vec<(&'static str, String, u64)>,
    /// Pack calls that expired unused at the month's end.
    expired: u64,
}

/// The pack sold at a list price that a case's index picks, if the item has
/// packs.
fn pack_of(item: &Item, index: usize) -> Option<(u64, Decimal)> {
    (!item.packs.is_empty()).then(|| {
        let pack = &item.packs[index % item.packs.len()];
        (pack.calls, pack.price)
    })
}

/// The months as the rules say they go; `None` when a month's overage falls
/// in a tier without a price.
fn model(list: &PriceList, items: &[usize], case: &Case, start: Month) -> Option<Vec<Expected>> {
    let s = &list.settings;
    let at = |offset: u32| start.plus(offset);
    let mut months: Vec<Month> = (case.usage.iter().map(|u| at(u.0)))
        .chain(
            // (Packs of an item that sells none are no purchase.)
            (case.packs.iter())
                .filter(|p| pack_of(&list.items[items[p.1]], p.2).is_some())
                .map(|p| at(p.0)),
        )
        .chain(case.topups.iter().map(|t| at(t.0)))
        .collect();
    months.sort();
    let (first, last) = (months[0], months[months.len() - 1]);
    // One-time free packs, granted in the first month to the items used.
    let mut held: Vec<Held> = Vec::new();
    let mut used: Vec<usize> = case.usage.iter().map(|u| items[u.1]).collect();
    used.sort_unstable();
    used.dedup();
    for &i in &used {
        let size = list.items[i].one_time_free_calls;
        if size > 0 {
            held.push(Held {
                item: i,
                number: 0,
                size,
                left: size,
                last: first.plus(s.one_time_free_months.unwrap() - 1),
                free: true,
                told_low: false,
            });
        }
    }
    let tracked = case.balance.is_some() || !case.topups.is_empty();
    let mut balance = yuan(case.balance.unwrap_or(0).into());
    let every = s.pack_alert == AlertRule::EveryPack;
    let low = |left: u64, size: u64| Decimal::from(left) < s.pack_alert_below * Decimal::from(size);
    let mut number = 0;
    let mut out = Vec::new();
    let mut m = first;
    while m <= last {
        let mut events = Vec::new();
        let mut cost = Decimal::ZERO;
        for p in case.packs.iter().filter(|p| at(p.0) == m) {
            let Some((size, list_price)) = pack_of(&list.items[items[p.1]], p.2) else {
                continue;
            };
            for _ in 0..p.3 {
                number += 1;
                cost += p.4.map_or(list_price, |fen| yuan(fen.into()));
                held.push(Held {
                    item: items[p.1],
                    number,
                    size,
                    left: size,
                    last: m.plus(s.pack_validity_months - 1),
                    free: false,
                    told_low: false,
                });
            }
        }
        let mut calls: Vec<(usize, u64)> = Vec::new();
        for u in case.usage.iter().filter(|u| at(u.0) == m) {
            match calls.iter_mut().find(|c| c.0 == items[u.1]) {
                Some(c) => c.1 += u.2,
                None => calls.push((items[u.1], u.2)),
            }
        }
        // The account's allowance goes to the items in price-list order.
        calls.sort_unstable();
        let mut allowance = s.free_calls_per_month;
        let (mut lines, mut bill, mut at_list) = (Vec::new(), Decimal::ZERO, Decimal::ZERO);
        for &(i, n) in &calls {
            let item = &list.items[i];
            let key = || item.key.clone();
            let free = match s.free_quota {
                FreeQuota::PerItem => n.min(item.free_calls_per_month),
                FreeQuota::PerAccount => {
                    let taken = n.min(allowance);
                    allowance -= taken;
                    taken
                }
                FreeQuota::None => 0,
            };
            let mut need = n - free;
            // Free packs first, then soonest-expiring, then bought first.
            let mut mine: Vec<&mut Held> = (held.iter_mut())
                .filter(|h| h.item == i && h.left > 0)
                .collect();
            mine.sort_by_key(|h| (!h.free, h.last, h.number));
            let had_packs = !mine.is_empty();
            let mut from_packs = 0;
            for h in mine {
                if need == 0 {
                    break;
                }
                let was_low = low(h.left, h.size);
                let take = need.min(h.left);
                h.left -= take;
                need -= take;
                from_packs += take;
                if every && !h.free {
                    if h.left == 0 {
                        events.push(("used-up", key(), h.number as u64));
                    } else if low(h.left, h.size) && !was_low {
                        events.push(("low", key(), h.number as u64));
                    }
                }
            }
            if !every && from_packs > 0 {
                // Only while the item has one usable paid pack left.
                let paid = |h: &&mut Held| h.item == i && !h.free;
                let mut usable: Vec<&mut Held> = held
                    .iter_mut()
                    .filter(paid)
                    .filter(|h| h.left > 0)
                    .collect();
                match &mut usable[..] {
                    [one] if low(one.left, one.size) && !one.told_low => {
                        one.told_low = true;
                        events.push(("low", key(), one.number as u64));
                    }
                    [] => {
                        let last =
                            (held.iter_mut().filter(paid)).max_by_key(|h| (h.last, h.number));
                        if let Some(last) = last {
                            events.push(("used-up", key(), last.number as u64));
                        }
                    }
                    _ => {}
                }
            }
            // The tier: by the month's total, or by the calls packs did not serve.
            let tier_calls = match s.overage_tier_basis {
                OverageTierBasis::TotalCalls => n,
                OverageTierBasis::PostpaidCalls => free + need,
            };
            let price = reached_price(item, tier_calls, s.tier_bounds);
            let amount = match (need, price) {
                (0, _) => Decimal::ZERO,
                (_, Some(p)) => to_fen(Decimal::from(need) * p),
                (_, None) => return None,
            };
            if need > 0 && had_packs {
                events.push(("switched", key(), need));
            }
            // A list-price freeze of postpaid calls needs their price too.
            match (s.freeze_basis, price) {
                (_, Some(p)) => at_list += p * Decimal::from(free + need),
                (FreezeBasis::ListPrice, None) if free + need > 0 => return None,
                _ => {}
            }
            bill += amount;
            lines.push((key(), n, free, from_packs, need, amount));
        }
        let freeze = match s.freeze_basis {
            FreezeBasis::Bill => to_fen(bill * s.freeze_ratio),
            FreezeBasis::ListPrice => to_fen(at_list * s.freeze_ratio),
            FreezeBasis::None => Decimal::ZERO,
        };
        let topups: Decimal = (case.topups.iter().filter(|t| at(t.0) == m))
            .map(|t| yuan(t.1.into()))
            .sum();
        balance = balance - cost + topups - bill;
        let expired = (held.iter().filter(|h| h.last == m)).map(|h| h.left).sum();
        held.retain(|h| h.last != m);
        lines.sort();
        events.sort();
        out.push(Expected {
            month: m,
            lines,
            bill,
            freeze,
            balance: tracked.then_some(balance),
            events,
            expired,
        });
        m = m.next();
    }
    Some(out)
}

/// The ledger's month in the model's terms.
fn observed(month: &ocr_bill::LedgerMonth) -> Expected {
    let mut lines: Vec<_> = (month.lines.iter())
        .map(|l| {
            let amount = l.amount.decimal();
            (
                l.api.clone(),
                l.calls,
                l.free_calls,
                l.pack_calls,
                l.billable_calls,
                amount,
            )
        })
        .collect();
    lines.sort();
    let mut events = Vec::new();
    let mut expired = 0;
    for e in &month.events {
        match e {
            Event::PackLow { api, pack, .. } => events.push(("low", api.clone(), *pack as u64)),
            Event::PackUsedUp {
                api, pack, through, ..
            } => {
                for n in *pack..=through.unwrap_or(*pack) {
                    events.push(("used-up", api.clone(), n as u64));
                }
            }
            Event::SwitchedToPostpaid {
                api,
                billable_calls,
            } => events.push(("switched", api.clone(), *billable_calls)),
            Event::PackExpired { unused_calls, .. } => expired += unused_calls,
            Event::Arrears { balance } => {
                assert!(balance.is_negative(), "arrears told of {balance}");
                assert_eq!(Some(*balance), month.balance, "arrears of another balance");
            }
            Event::FreePackGranted { .. } => {}
        }
    }
    events.sort();
    Expected {
        month: month.month,
        lines,
        bill: month.bill.decimal(),
        freeze: month.freeze.decimal(),
        balance: month.balance.map(Money::decimal),
        events,
        expired,
    }
}

fn check(case: &Case) -> Result<(), TestCaseError> {
    let (edition, names) = LEDGER_CASES[case.edition];
    let list = price_list(edition, &case.variant);
    let found: Vec<_> = names.iter().map(|n| list.find(n).unwrap()).collect();
    let items: Vec<usize> = found.iter().map(|f| f.item_index).collect();
    let start = Month::new(2026, case.first + 1).unwrap();
    let at = |offset: u32| start.plus(offset);
    let mut packs: Vec<PackPurchase> = Vec::new();
    for p in &case.packs {
        let item = found[p.1].item;
        if let Some((size, _)) = pack_of(item, p.2) {
            packs.push(PackPurchase {
                account: String::new(),
                price: p.4.map(|fen| yuan(fen.into())),
                month: at(p.0),
                api: item,
                size,
                count: p.3,
            });
        }
    }
    packs.sort_by_key(|p| p.month);
    let mut topups: Vec<TopUp> = (case.topups.iter())
        .map(|t| TopUp {
            account: String::new(),
            month: at(t.0),
            amount: Money::round(yuan(t.1.into())),
        })
        .collect();
    topups.sort_by_key(|t| t.month);
    let input = LedgerInput {
        usage: (case.usage.iter())
            .map(|u| Usage {
                account: String::new(),
                month: at(u.0),
                api: found[u.1].item,
                source: found[u.1].api,
                calls: u.2,
                rows: 1,
            })
            .collect(),
        packs,
        topups,
        opening_balance: Money::round(yuan(case.balance.unwrap_or(0).into())),
        track_balance: case.balance.is_some() || !case.topups.is_empty(),
        ..Default::default()
    };
    let got = Calculator::new(&list).ledger(&input);
    let Some(expected) = model(&list, &items, case, start) else {
        // A month's overage, or the calls of a list-price freeze, reached a
        // tier without a list price.
        let refusal = match &got {
            Err(ocr_bill::Error::InMonth { refusal, .. }) => Some(refusal.as_ref()),
            _ => None,
        };
        prop_assert!(
            matches!(
                refusal,
                Some(
                    ocr_bill::Error::ContactSales { .. }
                        | ocr_bill::Error::FreezeContactSales { .. }
                )
            ),
            "{got:?}"
        );
        return Ok(());
    };
    let ledger = got.unwrap();
    let months: Vec<Expected> = ledger.months.iter().map(observed).collect();
    prop_assert_eq!(&months, &expected);
    let wasted: u64 = expected.iter().map(|e| e.expired).sum();
    prop_assert_eq!(ledger.totals.calls_wasted, wasted);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn ledger_follows_the_rules_month_by_month(case in case()) {
        check(&case)?;
    }
}

/// The last-pack rule on one pack of 100 calls of 营业执照识别及核验（详细版）
/// in edition `d`: its 50 one-time free calls, then the pack, told low once
/// (below 20 calls left) though drawn again while low, then used up.
#[test]
fn the_last_pack_is_told_low_once() {
    let case = Case {
        edition: 3,
        first: 0,
        // 50 free + 85 from the pack (15 left), 5 (10 left), 12 (used up, 2 billed).
        usage: vec![(0, 4, 135), (1, 4, 5), (2, 4, 12)],
        packs: vec![(0, 4, 0, 1, None)],
        topups: vec![],
        balance: None,
        variant: None,
    };
    check(&case).unwrap();
    let list = PriceList::edition("d").unwrap();
    let item = list.find("verify-bizlicense").unwrap().item_index;
    let start = Month::new(2026, 1).unwrap();
    let months = model(&list, &[0, 0, 0, 0, item], &case, start).unwrap();
    let kinds: Vec<Vec<&str>> = (months.iter())
        .map(|m| m.events.iter().map(|e| e.0).collect())
        .collect();
    assert_eq!(kinds, [vec!["low"], vec![], vec!["switched", "used-up"]]);
    assert_eq!(months[2].lines[0].5.to_string(), "1.00");
}

/// A usage file of several accounts, dated by day in the forms spreadsheets
/// write: (account, month 1–3, day, date form, API index, calls).
type Rows = Vec<(u8, u32, u32, u8, prop::sample::Index, u64)>;

fn rows() -> impl Strategy<Value = (usize, Rows, Option<Variant>)> {
    let row = (
        0u8..3,
        1u32..=3,
        1u32..=28,
        0u8..4,
        any::<prop::sample::Index>(),
        prop_oneof![0u64..=1_500, 0u64..=20_000, 0u64..=400_000],
    );
    (
        0..ocr_bill::EDITIONS.len(),
        proptest::collection::vec(row, 1..40),
        proptest::option::of(variant()),
    )
}

/// Grouped by account and month, each account's month of a billing item is
/// one line: the calls of all its APIs summed, its free calls (the item's, or
/// the account's allowance taken in price-list order), billed at the tier the
/// total reaches; lines in order of first appearance.
fn check_grouped(
    edition: &str,
    rows: &Rows,
    variant: &Option<Variant>,
) -> Result<(), TestCaseError> {
    let list = price_list(edition, variant);
    // Contact-sales tiers are billed at a negotiated price, as a user would.
    let negotiated: Decimal = "0.01".parse().unwrap();
    let calc = Calculator::new(&list).with_negotiated_price(Some(negotiated));
    let s = &list.settings;
    let mut input = String::from("account,date,api,calls\n");
    // (account, month, item) in order of first appearance, and their calls.
    let mut groups: Vec<((u8, u32, usize), u64)> = Vec::new();
    for &(account, month, day, form, api, calls) in rows {
        let api = &list.apis[api.index(list.apis.len())];
        let date = match form {
            0 => format!("2026-{month:02}-{day:02}"),
            1 => format!("2026/{month}/{day}"),
            2 => format!("2026{month:02}{day:02}"),
            _ => format!("2026-{month:02}-{day:02} 13:45:00"),
        };
        input += &format!("acct{account},{date},{},{calls}\n", api.key);
        let key = (account, month, api.item);
        match groups.iter_mut().find(|g| g.0 == key) {
            Some(g) => g.1 += calls,
            None => groups.push((key, calls)),
        }
    }
    // The account's allowance, taken by its items in price-list order.
    let mut free_of = vec![0u64; groups.len()];
    let mut by_order: Vec<usize> = (0..groups.len()).collect();
    by_order.sort_by_key(|&g| groups[g].0);
    let mut allowance = (None, 0);
    for g in by_order {
        let ((account, month, item), n) = groups[g];
        if allowance.0 != Some((account, month)) {
            allowance = (Some((account, month)), s.free_calls_per_month);
        }
        free_of[g] = match s.free_quota {
            FreeQuota::PerItem => n.min(list.items[item].free_calls_per_month),
            FreeQuota::PerAccount => {
                let taken = n.min(allowance.1);
                allowance.1 -= taken;
                taken
            }
            FreeQuota::None => 0,
        };
    }
    let expected: Vec<String> = (groups.iter().zip(&free_of))
        .map(|(&((account, month, item), n), &free)| {
            let item = &list.items[item];
            let price = reached_price(item, n, s.tier_bounds).unwrap_or(negotiated);
            let amount = to_fen(Decimal::from(n - free) * price);
            format!(
                "acct{account},2026-{month:02},{},{n},{free},{amount:.2}",
                item.key
            )
        })
        .collect();
    let options = BatchOptions {
        group_by: vec!["account".into(), "month".into()],
        ..Default::default()
    };
    let mut out = Vec::new();
    ocr_bill::run_batch(calc, input.as_bytes(), &mut out, &options, &mut |_| {}).unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let wanted = ["account", "date", "api", "calls", "free_calls", "amount"].map(at);
    let got: Vec<String> = lines
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            wanted.map(|i| cells[i]).join(",")
        })
        .collect();
    prop_assert_eq!(got, expected, "{}", input);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn grouped_batch_bills_each_account_month_and_item_once((edition, rows, variant) in rows()) {
        check_grouped(ocr_bill::EDITIONS[edition].0, &rows, &variant)?;
    }
}

/// The place of item `i` in `items`, added at the end when not there.
fn entry(items: &mut Vec<(usize, u64, Vec<ocr_bill::PackSpec>)>, i: usize) -> usize {
    match items.iter().position(|e| e.0 == i) {
        Some(p) => p,
        None => {
            items.push((i, 0, Vec::new()));
            items.len() - 1
        }
    }
}

/// One month's calls of each API and the packs bought for its item: (API,
/// calls) and (API, index of a size on sale, count, price paid in fen).
type Month1 = (Vec<(usize, u64)>, Vec<(usize, usize, u64, Option<u64>)>);

fn one_month() -> impl Strategy<Value = (usize, Month1, Option<Variant>)> {
    (0usize..LEDGER_CASES.len()).prop_flat_map(|edition| {
        let apis = LEDGER_CASES[edition].1.len();
        (
            Just(edition),
            (
                proptest::collection::vec((0..apis, calls()), 1..5),
                proptest::collection::vec(
                    (
                        0..apis,
                        0usize..4,
                        1u64..=3,
                        proptest::option::of(1u64..=5_000_000),
                    ),
                    0..4,
                ),
            ),
            proptest::option::of(variant()),
        )
    })
}

/// `prepaid` of an account's month (each item with the packs bought for it)
/// is the ledger's month with those packs: free, pack and billable calls, the
/// overage's amount, what the packs cost and the freeze. (Items with a
/// one-time free pack are left out: `prepaid` takes it as spent, the ledger
/// grants it.)
fn check_prepaid(
    edition: &str,
    names: &[&str],
    month: &Month1,
    variant: &Option<Variant>,
) -> Result<(), TestCaseError> {
    let list = price_list(edition, variant);
    let found: Vec<_> = names.iter().map(|n| list.find(n).unwrap()).collect();
    let usable = |api: usize| found[api].item.one_time_free_calls == 0;
    let at = Month::new(2026, 5).unwrap();
    // Per item, in order of first appearance: calls and packs.
    let mut items: Vec<(usize, u64, Vec<ocr_bill::PackSpec>)> = Vec::new();
    // As named to `prepaid`: each API with its calls, or with packs bought
    // (APIs of one billing item are summed by it).
    let mut named = Vec::new();
    let mut usage = Vec::new();
    for &(api, calls) in month.0.iter().filter(|u| usable(u.0)) {
        let e = entry(&mut items, found[api].item_index);
        items[e].1 += calls;
        named.push((found[api], calls, Vec::new()));
        usage.push(Usage {
            account: String::new(),
            month: at,
            api: found[api].item,
            source: found[api].api,
            calls,
            rows: 1,
        });
    }
    let mut packs = Vec::new();
    for &(api, size, count, fen) in month.1.iter().filter(|p| usable(p.0)) {
        let Some((size, _)) = pack_of(found[api].item, size) else {
            continue;
        };
        let price = fen.map(|f| yuan(f.into()));
        let e = entry(&mut items, found[api].item_index);
        items[e].2.push(ocr_bill::PackSpec { size, count, price });
        named.push((
            found[api],
            0,
            vec![ocr_bill::PackSpec { size, count, price }],
        ));
        packs.push(PackPurchase {
            account: String::new(),
            price,
            month: at,
            api: found[api].item,
            size,
            count,
        });
    }
    prop_assume!(!usage.is_empty());
    let calc = Calculator::new(&list);
    // As `prepaid` bills it: the month, then the freeze after it (a freeze
    // at list price may need a contact-sales tier's price, and then both
    // refuse).
    let prepaid = (calc.prepaid_month(&named))
        .and_then(|p| calc.prepaid_freeze(&p).map(|freeze| (p, freeze)));
    let ledger = calc.ledger(&LedgerInput {
        usage,
        packs,
        until: Some(at),
        ..Default::default()
    });
    let (prepaid, ledger) = match (prepaid, ledger) {
        (Ok(p), Ok(l)) => (p, l),
        (Err(_), Err(_)) => return Ok(()),
        (p, l) => return Err(TestCaseError::fail(format!("{p:?} against {l:?}"))),
    };
    let (prepaid, freeze) = prepaid;
    // One month per billing item, in the order first named, with its APIs'
    // calls summed.
    let months: Vec<_> = prepaid.iter().map(|p| (p.api.clone(), p.calls)).collect();
    let expected: Vec<_> = (items.iter())
        .map(|e| (list.items[e.0].key.clone(), e.1))
        .collect();
    prop_assert_eq!(months, expected);
    let m = &ledger.months[0];
    // The ledger has a line for each item with usage rows (of 0 calls too).
    let with_rows = |i: &usize| {
        month
            .0
            .iter()
            .any(|u| usable(u.0) && found[u.0].item_index == *i)
    };
    let mut from_prepaid: Vec<_> = (prepaid.iter().zip(&items))
        .filter(|(_, e)| with_rows(&e.0))
        .map(|(p, _)| p)
        .map(|p| {
            (
                p.api.clone(),
                p.free_calls,
                p.pack_calls,
                p.billable_calls,
                p.overage_amount,
            )
        })
        .collect();
    let mut from_ledger: Vec<_> = (m.lines.iter())
        .map(|l| {
            (
                l.api.clone(),
                l.free_calls,
                l.pack_calls,
                l.billable_calls,
                l.amount,
            )
        })
        .collect();
    from_prepaid.sort();
    from_ledger.sort();
    prop_assert_eq!(from_prepaid, from_ledger);
    let pack_cost = Money::checked_sum(prepaid.iter().map(|p| p.pack_cost)).unwrap();
    prop_assert_eq!(pack_cost, m.pack_cost);
    prop_assert_eq!(freeze, m.freeze);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn prepaid_is_the_ledgers_month((edition, month, variant) in one_month()) {
        let (name, names) = LEDGER_CASES[edition];
        check_prepaid(name, names, &month, &variant)?;
    }
}
