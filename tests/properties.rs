//! Property tests of the calculator against independent reference arithmetic.

use std::str::FromStr;

use ocr_bill::{Calculator, PriceList};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// A random price list: one API with random ascending tiers (prices with up to
/// four decimals), a random free quota and either tier-bound convention.
#[derive(Debug, Clone)]
struct Table {
    uptos: Vec<u64>,
    prices_ten_thousandths: Vec<u64>,
    free: u64,
    upper_exclusive: bool,
}

fn table() -> impl Strategy<Value = Table> {
    (1usize..6)
        .prop_flat_map(|n| {
            (
                proptest::collection::btree_set(1u64..2_000_000, n - 1),
                // Some prices whole yuan, written as TOML integers (scale 0).
                proptest::collection::vec(
                    prop_oneof![3 => 0u64..20_000, 1 => (0u64..4).prop_map(|y| y * 10_000)],
                    n,
                ),
                0u64..5_000,
                any::<bool>(),
            )
        })
        .prop_map(|(uptos, prices, free, upper_exclusive)| Table {
            uptos: uptos.into_iter().collect(),
            prices_ten_thousandths: prices,
            free,
            upper_exclusive,
        })
}

fn price(p: u64) -> Decimal {
    Decimal::new(p as i64, 4)
}

/// A price as a price list writes it: as few decimals as it needs (`0.15`,
/// `1.5`), a whole number as a TOML integer (`2`).
fn price_text(p: u64) -> String {
    let d = price(p).normalize();
    if d.scale() == 0 {
        d.to_string()
    } else {
        format!("\"{d}\"")
    }
}

impl Table {
    fn toml(&self) -> String {
        let mut tiers = String::new();
        for (i, p) in self.prices_ten_thousandths.iter().enumerate() {
            match self.uptos.get(i) {
                Some(u) => {
                    tiers.push_str(&format!("{{ upto = {u}, price = {} }},\n", price_text(*p)))
                }
                None => tiers.push_str(&format!("{{ price = {} }},\n", price_text(*p))),
            }
        }
        format!(
            "free_calls_per_month = {}\ntier_bounds = \"{}\"\noverage_tier_basis = \"total-calls\"\n\
             pack_validity_months = 12\npack_alert_below = \"0.15\"\n\
             [freeze]\nbasis = \"bill\"\nratio = \"1.2\"\n\
             [tiers]\nt = [\n{tiers}]\n[[api]]\nkey = \"x\"\nname = \"X\"\ntiers = \"t\"\n",
            self.free,
            if self.upper_exclusive { "upper-exclusive" } else { "lower-exclusive" }
        )
    }

    /// The reached tier's price, by scanning ranges written out literally.
    fn reference_price(&self, n: u64) -> u64 {
        let mut lower = 0u64;
        for (i, p) in self.prices_ten_thousandths.iter().enumerate() {
            let inside = match self.uptos.get(i) {
                None => true,
                Some(&upper) if self.upper_exclusive => lower <= n && n < upper,
                Some(&upper) => (i == 0 || lower < n) && n <= upper,
            };
            if inside {
                return *p;
            }
            lower = self.uptos[i];
        }
        unreachable!()
    }
}

/// Rounds a value given in units of 10^-scale to fen, half away from zero.
fn round_to_fen(value: u128, scale: u32) -> u128 {
    let unit = 10u128.pow(scale - 2);
    (value + unit / 2) / unit
}

fn fen(text: &str) -> u128 {
    let d = Decimal::from_str(text).unwrap();
    assert_eq!(d.scale(), 2, "{text} has two decimals");
    d.mantissa() as u128
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn amount_is_billable_calls_times_the_reached_price(t in table(), n in 0u64..3_000_000) {
        let list = PriceList::from_toml(&t.toml()).unwrap();
        let calc = Calculator::new(&list);
        let bill = calc.postpaid(&[(&list.items[0], n)]).unwrap();
        let billable = n - n.min(t.free);
        let p = t.reference_price(n);
        // price has 4 decimals: amount in 10^-4 yuan, rounded to fen.
        let want = if billable == 0 { 0 } else { round_to_fen(u128::from(billable) * u128::from(p), 4) };
        prop_assert_eq!(fen(&bill.amount.to_string()), want);
        prop_assert!(!bill.amount.is_negative());
        prop_assert_eq!(bill.lines[0].billable_calls, billable);
        // Freeze: 1.2 × amount, rounded half away from zero (in 10^-3 yuan).
        let freeze = round_to_fen(fen(&bill.amount.to_string()) * 12, 3);
        prop_assert_eq!(fen(&bill.freeze.to_string()), freeze);
    }

    #[test]
    fn default_prices_follow_the_source_formula(n in 0u64..=1_000_000) {
        let list = PriceList::builtin();
        let calc = Calculator::new(&list);
        for key in ["idcard", "vat-invoice"] {
            let api = list.item(key).unwrap();
            let bill = calc.postpaid(&[(api, n)]).unwrap();
            let fen_per_call: u128 = match (key, n) {
                (_, 0..=1000) => 0,
                ("idcard", 1001..=10_000) => 15,
                ("idcard", 10_001..=100_000) => 10,
                ("idcard", _) => 6,
                (_, 1001..=10_000) => 50,
                (_, 10_001..=100_000) => 35,
                _ => 20,
            };
            let want = u128::from(n - n.min(1000)) * fen_per_call;
            prop_assert_eq!(fen(&bill.amount.to_string()), want);
            prop_assert_eq!(fen(&bill.freeze.to_string()), round_to_fen(want * 12, 3));
        }
    }
}

/// Brute force: the lexicographically least (cost, unused, packs) cover of `need`
/// by dynamic programming over every total up to `need + largest size`.
fn brute_force_packs(packs: &[(u64, i64)], need: u64) -> (i64, u64, u64) {
    let limit = (need + packs.iter().map(|p| p.0).max().unwrap()) as usize;
    let mut best: Vec<Option<(i64, u64)>> = vec![None; limit + 1];
    best[0] = Some((0, 0));
    for total in 1..=limit {
        for &(size, cents) in packs {
            if let Some(prev) = total.checked_sub(size as usize).and_then(|t| best[t]) {
                let cand = (prev.0 + cents, prev.1 + 1);
                if best[total].is_none_or(|b| cand < b) {
                    best[total] = Some(cand);
                }
            }
        }
    }
    (need as usize..=limit)
        .filter_map(|t| best[t].map(|(c, n)| (c, t as u64 - need, n)))
        .min()
        .unwrap()
}

/// `cheapest_packs` on a table of (size, price in fen) agrees with brute force on
/// cost, unused calls and packs, and lists packs holding what it says it covers.
fn check_cheapest_packs(table: &[(u64, i64)], need: u64) -> Result<(), TestCaseError> {
    let packs: Vec<ocr_bill::Pack> = table
        .iter()
        .map(|&(calls, cents)| ocr_bill::Pack {
            calls,
            price: Decimal::new(cents, 2),
        })
        .collect();
    let got = ocr_bill::cheapest_packs(&packs, need).unwrap();
    let (cents, unused, count) = brute_force_packs(table, need);
    prop_assert_eq!(got.cost.decimal(), Decimal::new(cents, 2));
    prop_assert_eq!(got.unused_calls, u128::from(unused));
    prop_assert_eq!(got.pack_count, count);
    prop_assert!(got.covered_calls >= u128::from(need));
    let listed: u64 = got.packs.iter().map(|p| p.calls * p.count).sum();
    prop_assert_eq!(u128::from(listed), got.covered_calls);
    Ok(())
}

fn pack_table() -> impl Strategy<Value = Vec<(u64, i64)>> {
    proptest::collection::btree_map(1u64..60, 1i64..50_000, 1..5)
        .prop_map(|m| m.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    /// Exact for any table, including ones where a bigger pack is not cheaper per call.
    #[test]
    fn cheapest_packs_equals_brute_force(table in pack_table(), need in 0u64..400) {
        check_cheapest_packs(&table, need)?;
    }

    /// Large needs: agrees with brute force on the part beyond a multiple of the
    /// best-value pack, checked on tables with small sizes.
    #[test]
    fn cheapest_packs_scales_like_brute_force(table in pack_table(), need in 0u64..3000) {
        check_cheapest_packs(&table, need)?;
    }
}

/// Tables where some packs have exactly the same price per call, so ties decide.
fn equal_value_table() -> impl Strategy<Value = Vec<(u64, i64)>> {
    (
        proptest::collection::btree_set(1u64..40, 2..5),
        1i64..30,
        proptest::collection::vec(any::<bool>(), 5),
        1i64..2000,
    )
        .prop_map(|(sizes, cents_per_call, proportional, other)| {
            sizes
                .into_iter()
                .zip(proportional)
                .map(|(s, same)| {
                    (
                        s,
                        if same {
                            s as i64 * cents_per_call
                        } else {
                            other
                        },
                    )
                })
                .collect()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn ties_go_to_fewer_unused_then_fewer_packs(table in equal_value_table(), need in 0u64..500) {
        check_cheapest_packs(&table, need)?;
    }
}

/// A random single-API price list with packs, for `plan`.
#[derive(Debug, Clone)]
struct PlanCase {
    table: Table,
    postpaid_basis: bool,
    packs: Vec<(u64, i64)>,
    monthly: Vec<u64>,
    /// The API's own monthly quota, in place of the list's.
    item_free: Option<u64>,
}

fn plan_case() -> impl Strategy<Value = PlanCase> {
    (
        (1usize..5).prop_flat_map(|n| {
            (
                proptest::collection::btree_set(1u64..30_000, n - 1),
                proptest::collection::vec(0u64..5_000, n),
                0u64..2_000,
                any::<bool>(),
            )
        }),
        any::<bool>(),
        // Sizes sharing divisors (multiples of 100) make the exchange bound bite.
        prop_oneof![
            proptest::collection::btree_map(50u64..4_000, 100i64..60_000, 1..4),
            proptest::collection::btree_map((1u64..30).prop_map(|k| k * 100), 100i64..60_000, 1..5),
        ],
        proptest::collection::vec(0u64..8_000, 1..5),
        proptest::option::of(0u64..2_000),
    )
        .prop_map(
            |((uptos, prices, free, upper), postpaid_basis, packs, monthly, item_free)| PlanCase {
                table: Table {
                    uptos: uptos.into_iter().collect(),
                    prices_ten_thousandths: prices,
                    free,
                    upper_exclusive: upper,
                },
                postpaid_basis,
                packs: packs.into_iter().collect(),
                monthly,
                item_free,
            },
        )
}

impl PlanCase {
    fn toml(&self) -> String {
        let mut text = self.table.toml().replace(
            "overage_tier_basis = \"total-calls\"",
            if self.postpaid_basis {
                "overage_tier_basis = \"postpaid-calls\""
            } else {
                "overage_tier_basis = \"total-calls\""
            },
        );
        let item = match self.item_free {
            Some(free) => format!("tiers = \"t\"\npacks = \"p\"\nfree_calls_per_month = {free}\n"),
            None => "tiers = \"t\"\npacks = \"p\"\n".to_string(),
        };
        text = text.replace("tiers = \"t\"\n", &item);
        text.push_str("[packs]\np = [\n");
        for (calls, cents) in &self.packs {
            text.push_str(&format!(
                "{{ calls = {calls}, price = \"{}\" }},\n",
                Decimal::new(*cents, 2)
            ));
        }
        text.push_str("]\n");
        text
    }

    /// The API's monthly free quota.
    fn free(&self) -> u64 {
        self.item_free.unwrap_or(self.table.free)
    }

    /// The months' postpaid bills in fen with `pool` pack calls, simulated from
    /// the rules directly.
    fn postpaid_fen(&self, mut pool: u64) -> u128 {
        let free = self.free();
        self.monthly
            .iter()
            .map(|&n| {
                let f = n.min(free);
                let draw = (n - f).min(pool);
                pool -= draw;
                let overage = n - f - draw;
                if overage == 0 {
                    return 0;
                }
                let basis = if self.postpaid_basis { f + overage } else { n };
                round_to_fen(
                    u128::from(overage) * u128::from(self.table.reference_price(basis)),
                    4,
                )
            })
            .sum()
    }

    /// Brute force: every total of pack calls up to the need plus the largest
    /// pack, each with its cheapest exact multiset, scored by (cost, pack cost, packs).
    fn brute_force(&self) -> (u128, u128, u64) {
        let need: u64 = self
            .monthly
            .iter()
            .map(|&n| n.saturating_sub(self.free()))
            .sum();
        let limit = (need + self.packs.iter().map(|p| p.0).max().unwrap()) as usize;
        let mut best: Vec<Option<(i64, u64)>> = vec![None; limit + 1];
        best[0] = Some((0, 0));
        for total in 1..=limit {
            for &(size, cents) in &self.packs {
                if let Some(prev) = total.checked_sub(size as usize).and_then(|t| best[t]) {
                    let cand = (prev.0 + cents, prev.1 + 1);
                    if best[total].is_none_or(|b| cand < b) {
                        best[total] = Some(cand);
                    }
                }
            }
        }
        (0..=limit)
            .filter_map(|t| {
                best[t].map(|(cents, count)| {
                    let cost = cents as u128;
                    (cost + self.postpaid_fen(t as u64), cost, count)
                })
            })
            .min()
            .unwrap()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// `plan` is exact: it matches brute force on random forecasts and price lists
    /// (either tier convention and either overage basis).
    #[test]
    fn plan_equals_brute_force(case in plan_case()) {
        check_plan(&case)?;
    }

    /// One month, where the search bills the overage at one price (what each
    /// point of `curve` asks for), alike.
    #[test]
    fn one_month_plan_equals_brute_force(case in plan_case().prop_map(|mut c| {
        c.monthly.truncate(1);
        c
    })) {
        check_plan(&case)?;
    }
}

fn check_plan(case: &PlanCase) -> Result<(), TestCaseError> {
    let list = PriceList::from_toml(&case.toml()).unwrap();
    let plan = Calculator::new(&list)
        .plan(&list.items[0], &case.monthly)
        .unwrap();
    let (cost, pack_cost, packs) = case.brute_force();
    let best = &plan.cheapest.option;
    prop_assert_eq!(fen(&best.cost.to_string()), cost);
    prop_assert_eq!(fen(&best.pack_cost.to_string()), pack_cost);
    prop_assert_eq!(best.packs.iter().map(|p| p.count).sum::<u64>(), packs);
    // Every option is priced the same way and none beats the best.
    for o in &plan.options {
        prop_assert!(o.cost >= best.cost);
        prop_assert_eq!(
            fen(&o.cost.to_string()),
            fen(&o.pack_cost.to_string()) + fen(&o.postpaid_cost.to_string())
        );
    }
    Ok(())
}

/// A random usage: a few APIs of the built-in list with call counts below the
/// contact-sales tier.
fn usage() -> impl Strategy<Value = Vec<(usize, u64)>> {
    proptest::collection::vec((0usize..9, 0u64..=1_000_000), 1..6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// One month without packs: the ledger's bill and freeze are the postpaid bill's.
    #[test]
    fn ledger_month_without_packs_equals_postpaid(rows in usage()) {
        let list = PriceList::builtin();
        // Repeated APIs can sum past 1,000,000: give the contact-sales tier a price.
        let calc = Calculator::new(&list).with_negotiated_price(Some(Decimal::new(4, 2)));
        let pairs: Vec<(&ocr_bill::Item, u64)> = rows.iter().map(|&(a, n)| (&list.items[a], n)).collect();
        let bill = calc.postpaid(&pairs).unwrap();
        let month: ocr_bill::Month = "2026-05".parse().unwrap();
        let input = ocr_bill::LedgerInput {
            usage: pairs
                .iter()
                .map(|&(api, calls)| ocr_bill::Usage {
                    account: String::new(),
                    month,
                    api,
                    source: None,
                    calls,
                    rows: 1,
                })
                .collect(),
            ..Default::default()
        };
        let ledger = calc.ledger(&input).unwrap();
        prop_assert_eq!(ledger.months.len(), 1);
        prop_assert_eq!(ledger.months[0].bill, bill.amount);
        prop_assert_eq!(ledger.months[0].freeze, bill.freeze);
        prop_assert!(!ledger.months[0].bill.is_negative());
    }

    /// `prepaid` with no packs is `postpaid`.
    #[test]
    fn prepaid_without_packs_equals_postpaid(api in 0usize..9, calls in 0u64..=1_000_000) {
        let list = PriceList::builtin();
        let calc = Calculator::new(&list);
        let month = calc.prepaid(&list.items[api], calls, &[]).unwrap();
        let bill = calc.postpaid(&[(&list.items[api], calls)]).unwrap();
        prop_assert_eq!(month.total, bill.amount);
        prop_assert_eq!(month.billable_calls, bill.lines[0].billable_calls);
    }

    /// `batch` bills every row as `postpaid` bills it, and loses none.
    #[test]
    fn batch_equals_postpaid_row_by_row(rows in usage(), crlf in any::<bool>()) {
        let list = PriceList::builtin();
        let calc = Calculator::new(&list);
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut input = format!("api,calls{eol}");
        for &(a, n) in &rows {
            input.push_str(&format!("{},{n}{eol}", list.items[a].name));
        }
        let options = ocr_bill::BatchOptions {
            group_by: Vec::new(),
            skip_invalid: false,
            multiline_fields: false,
            format: ocr_bill::BatchFormat::Csv,
            ..Default::default()
        };
        let mut out = Vec::new();
        let summary = ocr_bill::run_batch(calc, input.as_bytes(), &mut out, &options, &mut |_| {}).unwrap();
        prop_assert_eq!(summary.written, rows.len() as u64);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().skip(1).collect();
        prop_assert_eq!(lines.len(), rows.len());
        for (line, &(a, n)) in lines.iter().zip(&rows) {
            let bill = calc.postpaid(&[(&list.items[a], n)]).unwrap();
            let amount = line.split(',').nth(6).unwrap();
            prop_assert_eq!(amount, bill.amount.to_string());
        }
    }

    /// `batch`'s total is the sum of the amounts it writes, in fen, whatever
    /// the prices' decimals (a whole-yuan price once made it 100 times less).
    #[test]
    fn batch_total_is_the_sum_of_its_rows(
        t in table(),
        calls in proptest::collection::vec(0u64..3_000_000, 1..8),
        grouped in any::<bool>(),
    ) {
        let list = PriceList::from_toml(&t.toml()).unwrap();
        let calc = Calculator::new(&list);
        let mut input = String::from("account,api,calls\n");
        for (i, n) in calls.iter().enumerate() {
            input.push_str(&format!("a{i},X,{n}\n"));
        }
        let options = ocr_bill::BatchOptions {
            group_by: if grouped { vec!["account".into()] } else { Vec::new() },
            format: ocr_bill::BatchFormat::Csv,
            ..Default::default()
        };
        let mut out = Vec::new();
        let summary = ocr_bill::run_batch(calc, input.as_bytes(), &mut out, &options, &mut |_| {}).unwrap();
        let text = String::from_utf8(out).unwrap();
        let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
        let at = header.iter().position(|h| *h == "amount").unwrap();
        let sum: u128 = text.lines().skip(1).map(|l| fen(l.split(',').nth(at).unwrap())).sum();
        prop_assert_eq!(summary.fen, sum as i128);
    }

    /// `batch` bills each row of any price table as the source formula does:
    /// billable calls × the reached tier's price, rounded once to the fen.
    /// Prices of whole fen (an integer product) and with fractions of a fen
    /// (rounded) alike, row by row, with the tier and the price shown.
    #[test]
    fn batch_rows_follow_the_source_formula(
        t in table(),
        calls in proptest::collection::vec(0u64..3_000_000, 1..12),
    ) {
        let list = PriceList::from_toml(&t.toml()).unwrap();
        let calc = Calculator::new(&list);
        let mut input = String::from("api,calls\n");
        for n in &calls {
            input.push_str(&format!("X,{n}\n"));
        }
        let text = batch_csv(calc, &input);
        for (line, &n) in text.lines().skip(1).zip(&calls) {
            let cells: Vec<&str> = line.split(',').collect();
            let billable = n - n.min(t.free);
            let p = t.reference_price(n);
            let want = if billable == 0 { 0 } else { round_to_fen(u128::from(billable) * u128::from(p), 4) };
            prop_assert_eq!(fen(cells[6]), want, "{}", line);
            prop_assert_eq!(cells[3].parse::<u64>().unwrap(), billable);
            let shown = if billable == 0 { String::new() } else { ocr_bill::format_price(price(p)) };
            prop_assert_eq!(cells[5], shown.as_str(), "{}", line);
        }
        prop_assert_eq!(text.lines().count(), calls.len() + 1);
    }

    /// Huge prices and counts: every calculation answers or refuses; none panics
    /// or wraps around.
    #[test]
    fn overflow_is_refused_never_wrapped(
        mantissa in 1u128..79_228_162_514_264_337_593_543_950_335u128,
        scale in 0u32..6,
        calls in any::<u64>(),
        months in proptest::collection::vec(any::<u64>(), 1..4),
    ) {
        let price = Decimal::from_i128_with_scale(mantissa as i128, scale);
        let text = format!(
            "free_calls_per_month = 0\ntier_bounds = \"lower-exclusive\"\n\
             overage_tier_basis = \"total-calls\"\npack_validity_months = 12\n\
             pack_alert_below = \"0.15\"\n[freeze]\nbasis = \"bill\"\nratio = \"1.2\"\n\
             [tiers]\nt = [{{ price = \"{price}\" }}]\n\
             [packs]\np = [{{ calls = 1, price = \"{price}\" }}, {{ calls = 7, price = \"1\" }}]\n\
             [[api]]\nkey = \"x\"\nname = \"X\"\ntiers = \"t\"\npacks = \"p\"\n"
        );
        let list = PriceList::from_toml(&text).unwrap();
        let calc = Calculator::new(&list);
        let api = &list.items[0];
        if let Ok(bill) = calc.postpaid(&[(api, calls)]) {
            // Answered: then it is exact.
            let want = Decimal::from(calls).checked_mul(price).unwrap();
            prop_assert_eq!(bill.amount.decimal(), ocr_bill::round_fen(want));
            prop_assert!(!bill.amount.is_negative() && !bill.freeze.is_negative());
        }
        let _ = calc.prepaid(api, calls, &[ocr_bill::PackSpec { size: 1, count: 3, price: None }]);
        let _ = ocr_bill::cheapest_packs(&api.packs, calls);
        let _ = calc.quote(api, calls, Some(3));
        let _ = calc.plan(api, &months);
        let _ = calc.curve(api, Some(calls), 5);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// A month, a date or a count as a cell may hold it (digits, Chinese date
    /// words, full-width forms, separators) is read or refused with a message
    /// naming it, never a panic: the readers slice text by bytes.
    #[test]
    fn cells_of_any_text_are_read_or_refused(
        text in "[0-9０-９年月日号合计万千亿kKmM :T+\\-/.,Z_，．]{0,12}",
    ) {
        if let Err(e) = ocr_bill::Month::parse(&text) {
            prop_assert!(e.contains(text.trim()), "{}: {}", text, e);
        }
        let _ = ocr_bill::parse_count(&text);
    }
}

/// Usage of a few accounts, months and APIs (names of edition d, two of them
/// sharing the billing item 通用证照识别, and one API under two names): per
/// account, per month, per API name, calls or none.
type Cells = Vec<Option<u64>>;

const PIVOT_ACCOUNTS: [&str; 3] = ["1001", "1002", "acme"];
const PIVOT_MONTHS: [&str; 4] = ["2026-01", "2026-02", "2026-03", "2026-07"];
const PIVOT_APIS: [&str; 5] = [
    "身份证识别",
    "户口本识别",
    "房产证识别",
    "idcard",
    "GeneralBasicOCR",
];

fn pivot_cells() -> impl Strategy<Value = (usize, Cells)> {
    (
        1usize..=3,
        proptest::collection::vec(
            prop_oneof![2 => Just(None), 3 => (0u64..=2_000_000).prop_map(Some)],
            PIVOT_ACCOUNTS.len() * PIVOT_MONTHS.len() * PIVOT_APIS.len(),
        ),
    )
}

/// What `read_usage` makes of a file: (account, month, item, API, calls, rows), sorted.
fn read_as(text: &str, list: &PriceList) -> Vec<(String, String, String, String, u64, u64)> {
    let (rows, _) = ocr_bill::read_usage(text.as_bytes(), list, &Default::default()).unwrap();
    let mut rows: Vec<_> = rows
        .into_iter()
        .map(|u| {
            let source = u.source.map_or(String::new(), |a| a.key.clone());
            (
                u.account,
                u.month.to_string(),
                u.api.key.clone(),
                source,
                u.calls,
                u.rows,
            )
        })
        .collect();
    rows.sort();
    rows
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// A pivot table, months across or APIs across, reads as the rows it
    /// stands for, written one a row: the same usage, row for row.
    #[test]
    fn a_pivot_table_reads_as_its_rows((accounts, cells) in pivot_cells()) {
        let list = PriceList::edition("d").unwrap();
        let cell = |a: usize, m: usize, p: usize| {
            cells[(a * PIVOT_MONTHS.len() + m) * PIVOT_APIS.len() + p]
        };
        let text = |n: Option<u64>| n.map_or(String::new(), |n| n.to_string());
        let mut long = String::from("账号,月份,接口,调用量\n");
        let mut across_months = format!("账号,接口,{},合计\n", PIVOT_MONTHS.join(","));
        let mut across_apis = format!("账号,月份,{}\n", PIVOT_APIS.join(","));
        for (a, account) in PIVOT_ACCOUNTS.iter().enumerate().take(accounts) {
            for (p, api) in PIVOT_APIS.iter().enumerate() {
                let row: Vec<String> = (0..PIVOT_MONTHS.len()).map(|m| text(cell(a, m, p))).collect();
                across_months += &format!("{account},{api},{},x\n", row.join(","));
                for (m, month) in PIVOT_MONTHS.iter().enumerate() {
                    if let Some(n) = cell(a, m, p) {
                        long += &format!("{account},{month},{api},{n}\n");
                    }
                }
            }
            for (m, month) in PIVOT_MONTHS.iter().enumerate() {
                let row: Vec<String> = (0..PIVOT_APIS.len()).map(|p| text(cell(a, m, p))).collect();
                across_apis += &format!("{account},{month},{}\n", row.join(","));
            }
        }
        if long.lines().count() == 1 {
            return Ok(());
        }
        let want = read_as(&long, &list);
        prop_assert_eq!(&read_as(&across_months, &list), &want, "{}", across_months);
        prop_assert_eq!(&read_as(&across_apis, &list), &want, "{}", across_apis);
    }
}

/// A reader that hands out at most `chunk` bytes a read, as a pipe may.
struct Chunked<'a>(&'a [u8], usize);

impl std::io::Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.len().min(self.1).min(buf.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// One file of a joined input: its encoding (0 UTF-8, 1 UTF-8 with a
/// byte-order mark, 2 GBK), its rows (an account of each kind: Chinese,
/// ASCII, Latin; `José` is kept out of GBK files, which cannot hold it),
/// and CRLF line ends or not.
fn joined_file() -> impl Strategy<Value = (u8, Vec<(u8, u16)>, bool)> {
    (
        0u8..3,
        proptest::collection::vec((0u8..3, 0u16..5000), 0..40),
        any::<bool>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Files joined one after another (`cat a.csv b.csv`), each in its own
    /// encoding and beginning with the same first line, read back as their
    /// texts joined, whatever the reads' sizes: each file is decoded as
    /// what it is (a file of ASCII alone reads alike either way).
    #[test]
    fn joined_files_read_as_their_texts(
        files in proptest::collection::vec(joined_file(), 1..6),
        chinese_header in any::<bool>(),
        padding in 0usize..3000,
        chunk in prop_oneof![1usize..64, 4096usize..70_000],
    ) {
        let header = if chinese_header { "账号,月份,接口,调用量" } else { "account,month,api,calls" };
        let mut bytes = Vec::new();
        let mut want = String::new();
        for (f, (encoding, rows, crlf)) in files.iter().enumerate() {
            let end = if *crlf { "\r\n" } else { "\n" };
            let mut text = format!("{header}{end}");
            for (i, (kind, calls)) in rows.iter().enumerate() {
                let account = match (kind, encoding) {
                    (0, _) => "张三",
                    (2, 0 | 1) => "José",
                    _ => "acme",
                };
                text += &format!("{account},2026-01,身份证,{calls}{end}");
                // Long files too: more than decides an encoding.
                if f == 0 && i == 0 {
                    text += &format!("acme,2026-01,idcard,1{end}").repeat(padding);
                }
            }
            if *encoding == 1 {
                bytes.extend_from_slice(b"\xEF\xBB\xBF");
                want.push('\u{FEFF}');
            }
            let coded = match encoding {
                2 => encoding_rs::GBK.encode(&text).0.into_owned(),
                _ => text.clone().into_bytes(),
            };
            bytes.extend_from_slice(&coded);
            want += &text;
        }
        let mut reader = ocr_bill::DecodedReader::new(
            Chunked(&bytes, chunk),
            ocr_bill::InputEncoding::Auto,
        );
        let mut got = String::new();
        std::io::Read::read_to_string(&mut reader, &mut got)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(got == want, "{} files, chunk {}", files.len(), chunk);
    }
}

/// What is wrong with a usage row, if anything.
#[derive(Debug, Clone, Copy)]
enum RowFault {
    None,
    Month,
    Api,
    Count,
    Negative,
    Empty,
    MoreFields,
    FewerFields,
}

fn faulty_rows() -> impl Strategy<Value = Vec<(RowFault, usize, u64)>> {
    let fault = prop_oneof![
        8 => Just(RowFault::None),
        1 => Just(RowFault::Month),
        1 => Just(RowFault::Api),
        1 => Just(RowFault::Count),
        1 => Just(RowFault::Negative),
        1 => Just(RowFault::Empty),
        1 => Just(RowFault::MoreFields),
        1 => Just(RowFault::FewerFields),
    ];
    // Long account cells too, so that a file spans many of the blocks that
    // are billed on several threads.
    proptest::collection::vec((fault, 1usize..3000, 0u64..300_000), 1..200)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// With `skip_invalid`, every good row is written once and in order, and
    /// every bad row is reported once with its line, on any number of
    /// threads, grouped or not: no row is lost.
    #[test]
    fn skipped_rows_are_each_reported_and_no_row_is_lost(
        rows in faulty_rows(),
        threads in 1usize..=3,
        grouped in any::<bool>(),
        crlf in any::<bool>(),
    ) {
        let list = PriceList::builtin();
        let calc = Calculator::new(&list);
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut input = format!("id,account,month,api,calls{eol}");
        let (mut good, mut bad) = (Vec::new(), Vec::new());
        for (i, &(fault, width, calls)) in rows.iter().enumerate() {
            let account = format!("{}{}", i % 7, "x".repeat(width));
            let mut cells = vec![
                i.to_string(),
                account,
                "2026-03".to_string(),
                "idcard".to_string(),
                calls.to_string(),
            ];
            match fault {
                RowFault::None => {}
                RowFault::Month => cells[2] = "2026-13".into(),
                RowFault::Api => cells[3] = "nosuch".into(),
                RowFault::Count => cells[4] = "12x".into(),
                RowFault::Negative => cells[4] = "-3".into(),
                RowFault::Empty => cells[4].clear(),
                RowFault::MoreFields => cells.push("z".into()),
                RowFault::FewerFields => cells.truncate(3),
            }
            match fault {
                RowFault::None => good.push(i),
                // The header is line 1.
                _ => bad.push(i as u64 + 2),
            }
            input += &cells.join(",");
            input += eol;
        }
        let options = ocr_bill::BatchOptions {
            group_by: if grouped { vec!["id".into(), "account".into()] } else { Vec::new() },
            skip_invalid: true,
            format: ocr_bill::BatchFormat::Csv,
            threads: Some(threads),
            ..Default::default()
        };
        let mut out = Vec::new();
        let mut reported = Vec::new();
        let summary = ocr_bill::run_batch(calc, input.as_bytes(), &mut out, &options, &mut |e| {
            reported.push(e.line)
        })
        .unwrap();
        prop_assert_eq!(&reported, &bad);
        prop_assert_eq!(summary.skipped, bad.len() as u64);
        prop_assert_eq!(summary.written, good.len() as u64);
        let text = String::from_utf8(out).unwrap();
        let ids: Vec<usize> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().parse().unwrap())
            .collect();
        prop_assert_eq!(ids, good);
    }
}

/// `batch`'s CSV output of a usage CSV.
fn batch_csv(calc: Calculator<'_>, input: &str) -> String {
    let options = ocr_bill::BatchOptions {
        format: ocr_bill::BatchFormat::Csv,
        ..Default::default()
    };
    let mut out = Vec::new();
    ocr_bill::run_batch(calc, input.as_bytes(), &mut out, &options, &mut |_| {}).unwrap();
    String::from_utf8(out).unwrap()
}

/// `batch` names the tier cliff `postpaid` names, on the call counts of every
/// tier with a price where a cliff begins (found by bisection: within a tier
/// the bill grows with the calls), around them and at the tier's ends, in
/// editions with either kind of bound and with a listed top tier.
#[test]
fn batch_names_the_cliffs_postpaid_names() {
    for edition in ["seed", "d", "e", "intl"] {
        let list = PriceList::edition(edition).unwrap();
        let calc = Calculator::new(&list);
        let bounds = list.settings.tier_bounds;
        let cliff = |item, n| {
            calc.postpaid(&[(item, n)])
                .ok()
                .map(|b| b.lines[0].cliff.clone())
        };
        let mut rows = Vec::new();
        for (a, item) in list.items.iter().enumerate() {
            for t in 0..item.tiers.len() {
                let first = item.first_calls_of_tier(t, bounds);
                let Some(upto) = item.tiers[t].upto else {
                    continue;
                };
                let last = match bounds {
                    ocr_bill::TierBounds::LowerExclusive => upto,
                    ocr_bill::TierBounds::UpperExclusive => upto - 1,
                };
                if cliff(item, last).is_none() {
                    continue; // (a contact-sales tier)
                }
                let (mut lo, mut hi) = (first, last + 1);
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    match cliff(item, mid) {
                        Some(Some(_)) => hi = mid,
                        _ => lo = mid + 1,
                    }
                }
                let near = |n: u64| n.saturating_sub(2)..=(n + 2).min(last);
                for n in near(lo).chain(near(first)).chain(near(last)) {
                    rows.push((a, n.max(first)));
                }
            }
        }
        let mut input = String::from("api,calls\n");
        for &(a, n) in &rows {
            input.push_str(&format!("{},{n}\n", list.items[a].key));
        }
        let text = batch_csv(calc, &input);
        let mut cliffs = 0;
        for (line, &(a, n)) in text.lines().skip(1).zip(&rows) {
            let cells: Vec<&str> = line.split(',').collect();
            let want = cliff(&list.items[a], n).flatten();
            let got = (cells[7], cells[8]);
            match want {
                Some(c) => {
                    cliffs += 1;
                    assert_eq!(
                        got,
                        (c.calls.to_string().as_str(), c.amount.to_string().as_str()),
                        "{edition} {line}"
                    );
                }
                None => assert_eq!(got, ("", ""), "{edition} {line}"),
            }
        }
        assert!(cliffs > 0, "{edition}: no cliff met");
        assert_eq!(text.lines().count(), rows.len() + 1);
    }
}
