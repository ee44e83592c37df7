//! Startup benchmark: one `ocr-bill postpaid` process against `/bin/true`.
//!
//! `cargo bench --bench startup` runs both many times, interleaved so that load on
//! a shared machine hits both alike, and prints the medians and their ratio.
//! Set `OCR_BILL_BIN` to time another build of the binary (e.g. a static one).

use std::process::{Command, Stdio};
use std::time::Instant;

fn time_once(program: &str, args: &[&str]) -> f64 {
    let start = Instant::now();
    let status = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .status()
        .expect("spawn");
    assert!(status.success(), "{program} failed");
    start.elapsed().as_secs_f64() * 1e3
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let bin =
        std::env::var("OCR_BILL_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_ocr-bill").into());
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1000);
    let args = ["postpaid", "--api", "idcard", "--calls", "9000"];
    for _ in 0..50 {
        time_once("/bin/true", &[]);
        time_once(&bin, &args);
    }
    let (mut t, mut o) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        t.push(time_once("/bin/true", &[]));
        o.push(time_once(&bin, &args));
    }
    let (mt, mo) = (median(t), median(o));
    println!("binary: {bin}");
    println!("/bin/true                                 median {mt:.3} ms over {runs} runs");
    println!("ocr-bill postpaid --api idcard --calls 9000 median {mo:.3} ms over {runs} runs");
    // The default, portable build ≤ 1.5; the opt-in static build ≤ 1.3.
    let target = if std::env::var_os("OCR_BILL_BIN").is_some() {
        "≤ 1.30 for the static build"
    } else {
        "≤ 1.50"
    };
    println!("ratio {:.2} (target {target})", mo / mt);
}
