//! Quote benchmark: `cheapest_packs` for needs up to 10^15 calls.
//!
//! `cargo bench --bench quote` prints the median time of one optimal quote for
//! several needs, on the source's pack table and on awkward tables (sizes with no
//! common divisor, a bigger pack dearer per call, near-equal values).

use std::hint::black_box;
use std::time::Instant;

use ocr_bill::{cheapest_packs, Pack, PriceList};
use rust_decimal::Decimal;

fn pack(calls: u64, price: &str) -> Pack {
    Pack {
        calls,
        price: price.parse::<Decimal>().unwrap(),
    }
}

fn median_micros(packs: &[Pack], need: u64) -> f64 {
    let mut times = Vec::new();
    for _ in 0..201 {
        let start = Instant::now();
        black_box(cheapest_packs(black_box(packs), black_box(need)).unwrap());
        times.push(start.elapsed().as_secs_f64() * 1e6);
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let source = PriceList::builtin().item("idcard").unwrap().packs.to_vec();
    let tables: Vec<(&str, Vec<Pack>)> = vec![
        ("source packs", source),
        (
            "coprime sizes",
            vec![
                pack(997, "120"),
                pack(10_007, "800"),
                pack(100_003, "5000"),
                pack(1_000_003, "30000"),
            ],
        ),
        (
            "bigger pack dearer per call",
            vec![
                pack(1000, "100"),
                pack(10_000, "1200"),
                pack(100_000, "9000"),
                pack(333, "35"),
            ],
        ),
        (
            "near-equal value",
            vec![
                pack(1000, "100"),
                pack(10_000, "999.99"),
                pack(100_000, "9999.8"),
                pack(7, "0.71"),
            ],
        ),
    ];
    let needs = [
        7_000u64,
        123_456_789,
        987_654_321_987,
        999_999_999_999_999,
        1_000_000_000_000_000,
    ];
    println!("{:<30} {:>20} {:>12}", "pack table", "calls", "median µs");
    let mut worst: f64 = 0.0;
    for (name, packs) in &tables {
        for &need in &needs {
            let t = median_micros(packs, need);
            worst = worst.max(t);
            println!("{name:<30} {need:>20} {t:>12.2}");
        }
    }
    println!("slowest median: {worst:.2} µs (target: well under 1000 µs)");
}
