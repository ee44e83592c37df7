//! Plan benchmark: the exact best purchase for 12 months of all 9 APIs.
//!
//! `cargo bench --bench plan` plans several 12-month forecasts per API (steady,
//! seasonal, spiky, tiny, near the contact-sales bound) and prints the median
//! time to plan all 9 APIs once.

use std::hint::black_box;
use std::time::Instant;

use ocr_bill::{Calculator, PriceList};

fn main() {
    let prices = PriceList::builtin();
    let calc = Calculator::new(&prices);
    let forecasts: Vec<(&str, Vec<u64>)> = vec![
        ("steady 11k", vec![11_000; 12]),
        (
            "seasonal",
            vec![
                3_000, 5_000, 9_000, 15_000, 40_000, 90_000, 120_000, 90_000, 40_000, 15_000,
                9_000, 5_000,
            ],
        ),
        (
            "spiky",
            vec![
                800, 800, 950_000, 800, 800, 12_000, 800, 800, 300_000, 800, 800, 800,
            ],
        ),
        (
            "tiny",
            vec![100, 900, 1_000, 1_001, 500, 0, 0, 700, 999, 1_000, 20, 1],
        ),
        ("near 1M", vec![999_999; 12]),
        ("growing", (1..=12).map(|m| 6_000 * m * m).collect()),
    ];
    println!(
        "{:<12} {:>18} {:>14}",
        "forecast", "median ms, 9 APIs", "best idcard"
    );
    let mut worst: f64 = 0.0;
    for (name, monthly) in &forecasts {
        let mut times = Vec::new();
        let mut best = String::new();
        for _ in 0..21 {
            let start = Instant::now();
            for api in &prices.items {
                let plan = calc.plan(black_box(api), black_box(monthly)).unwrap();
                if api.key == "idcard" {
                    best = plan.cheapest.option.cost.to_string();
                }
                black_box(plan);
            }
            times.push(start.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        worst = worst.max(median);
        println!("{name:<12} {median:>18.3} {best:>14}");
    }
    println!(
        "slowest median: {worst:.3} ms for 12 months of all 9 APIs (target: well under 50 ms)"
    );
}
