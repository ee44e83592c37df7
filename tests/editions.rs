//! Properties that hold on every built-in edition of the price page: the
//! subcommands agree with each other, and quotes are exact.

use ocr_bill::{Calculator, PriceList, EDITIONS};
use proptest::prelude::*;

/// (edition index, API index, calls): an API named by its Chinese name.
fn case() -> impl Strategy<Value = (usize, usize, u64)> {
    (
        0..EDITIONS.len(),
        any::<prop::sample::Index>(),
        0u64..=1_000_000,
    )
        .prop_map(|(e, api, calls)| {
            let list = PriceList::edition(EDITIONS[e].0).unwrap();
            (e, api.index(list.apis.len()), calls)
        })
}

/// The cheapest cost covering `need`, over every count of each size up to
/// what covers the need alone.
fn brute_force(packs: &[ocr_bill::Pack], need: u64) -> rust_decimal::Decimal {
    let mut best: Option<rust_decimal::Decimal> = None;
    let mut counts = vec![0u64; packs.len()];
    loop {
        let covered: u64 = counts.iter().zip(packs).map(|(c, p)| c * p.calls).sum();
        if covered >= need {
            let cost: rust_decimal::Decimal = counts
                .iter()
                .zip(packs)
                .map(|(c, p)| rust_decimal::Decimal::from(*c) * p.price)
                .sum();
            if best.is_none_or(|b| cost < b) {
                best = Some(cost);
            }
        }
        let mut i = 0;
        loop {
            if i == counts.len() {
                return best.unwrap_or_default();
            }
            if counts[i] < need.div_ceil(packs[i].calls).max(1) {
                counts[i] += 1;
                break;
            }
            counts[i] = 0;
            i += 1;
        }
    }
}

fn calculator(list: &PriceList) -> Calculator<'_> {
    // Contact-sales tiers are billed at a negotiated price, as a user would.
    Calculator::new(list).with_negotiated_price(Some("0.01".parse().unwrap()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// `batch` bills a row as `postpaid` bills one API's month.
    #[test]
    fn batch_equals_postpaid_on_every_edition(rows in proptest::collection::vec(case(), 1..6)) {
        for (e, api, calls) in rows {
            let list = PriceList::edition(EDITIONS[e].0).unwrap();
            let calc = calculator(&list);
            let api = &list.apis[api];
            let input = format!("api,calls\n{},{calls}\n", api.name);
            let mut out = Vec::new();
            ocr_bill::run_batch(calc, input.as_bytes(), &mut out, &Default::default(), &mut |_| {})
                .unwrap();
            let text = String::from_utf8(out).unwrap();
            let amount = text.lines().nth(1).unwrap().split(',').nth(6).unwrap().to_string();
            let found = list.find(&api.key).unwrap();
            let bill = calc.postpaid_month(&[(found, calls)]).unwrap();
            prop_assert_eq!(amount, bill.amount.to_string(), "{} {}", EDITIONS[e].0, api.key);
        }
    }

    /// A ledger of one month without packs bills as `postpaid`, freeze included;
    /// `prepaid` without packs is `postpaid`.
    #[test]
    fn ledger_and_prepaid_equal_postpaid_on_every_edition(
        (e, api, calls) in case(),
        (_, other, more) in case(),
    ) {
        let list = PriceList::edition(EDITIONS[e].0).unwrap();
        let calc = calculator(&list);
        let other = other % list.apis.len();
        let pairs = [(&list.apis[api], calls), (&list.apis[other], more)];
        let found: Vec<_> = pairs.iter().map(|(a, n)| (list.find(&a.key).unwrap(), *n)).collect();
        let bill = calc.postpaid_month(&found).unwrap();
        let month: ocr_bill::Month = "2026-03".parse().unwrap();
        let input = ocr_bill::LedgerInput {
            usage: pairs
                .iter()
                .map(|(a, n)| ocr_bill::Usage {
                    account: String::new(),
                    month,
                    api: &list.items[a.item],
                    source: Some(*a),
                    calls: *n,
                    rows: 1,
                })
                .collect(),
            ..Default::default()
        };
        let ledger = calc.ledger(&input).unwrap();
        // One-time free packs are granted by the ledger only.
        let one_time = pairs.iter().any(|(a, _)| list.items[a.item].one_time_free_calls > 0);
        if !one_time {
            prop_assert_eq!(ledger.months[0].bill, bill.amount);
            prop_assert_eq!(ledger.months[0].freeze, bill.freeze);
        } else {
            prop_assert!(ledger.months[0].bill <= bill.amount);
        }
        let item = &list.items[list.apis[api].item];
        let alone = calc.postpaid_month(&[(list.find(&list.apis[api].key).unwrap(), calls)]).unwrap();
        let prepaid = calc.prepaid(item, calls, &[]).unwrap();
        prop_assert_eq!(prepaid.total, alone.amount);
    }

    /// The cheapest packs of every pack table of every edition, against brute force.
    #[test]
    fn quotes_are_exact_on_every_edition(e in 0..EDITIONS.len(), item in any::<prop::sample::Index>(), need in 0u64..40_000) {
        let list = PriceList::edition(EDITIONS[e].0).unwrap();
        let item = &list.items[item.index(list.items.len())];
        prop_assume!(!item.packs.is_empty());
        let best = ocr_bill::cheapest_packs(&item.packs, need).unwrap();
        let want = ocr_bill::Money::round(brute_force(&item.packs, need));
        prop_assert_eq!(best.cost, want);
    }
}
