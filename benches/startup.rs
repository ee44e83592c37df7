//! Startup benchmark: one `ocr-bill postpaid` process against `/bin/true`.
//!
//! `cargo bench --bench startup` runs both many times, interleaved so that load on
//! a shared machine hits both alike, and prints the medians and their ratio.
//! Set `OCR_BILL_BIN` to time another build of the binary (e.g. a static one).
//!
//! Two more processes show where the time goes: the bench itself run as a
//! Rust program that exits at once (built by the same profile, with Rust's
//! standard start-up and no work: the floor of any Rust command line on the
//! machine), and `ocr-bill --version` (the binary loaded and its command line
//! parsed by clap, no price list read and no bill).

use std::process::{Command, Stdio};
use std::time::Instant;

fn time_once(program: &str, args: &[&str]) -> f64 {
    let start = Instant::now();
    let status = Command::new(program)
        .args(args)
        // Every child has the variable (the same environment for all); it is
        // set for those run without arguments: the bench itself (the floor)
        // and `/bin/true`, which ignores it.
        .env(FLOOR, if args.is_empty() { "1" } else { "" })
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

/// Set in the bench's own child, which then exits at once.
const FLOOR: &str = "OCR_BILL_STARTUP_FLOOR";

fn main() {
    if std::env::var_os(FLOOR).is_some_and(|v| !v.is_empty()) {
        return;
    }
    let me = std::env::current_exe().expect("the bench's own path");
    let me = me.to_str().expect("a UTF-8 path");
    let bin =
        std::env::var("OCR_BILL_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_ocr-bill").into());
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1000);
    let args = ["postpaid", "--api", "idcard", "--calls", "9000"];
    let version = ["--version"];
    for _ in 0..50 {
        time_once("/bin/true", &[]);
        time_once(me, &[]);
        time_once(&bin, &version);
        time_once(&bin, &args);
    }
    let (mut t, mut f, mut v, mut o) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        t.push(time_once("/bin/true", &[]));
        f.push(time_once(me, &[]));
        v.push(time_once(&bin, &version));
        o.push(time_once(&bin, &args));
    }
    let (mt, mf, mv, mo) = (median(t), median(f), median(v), median(o));
    println!("binary: {bin}, {runs} runs each");
    let line = |what: &str, ms: f64, note: &str| {
        println!("{what:<44} median {ms:.3} ms, ratio {:.2}{note}", ms / mt);
    };
    line("/bin/true", mt, "");
    line("a Rust program that exits at once", mf, " (the floor)");
    line("ocr-bill --version", mv, " (loading and clap)");
    line("ocr-bill postpaid --api idcard --calls 9000", mo, "");
    // The default, portable build ≤ 1.5; the opt-in static build ≤ 1.3.
    let target = if std::env::var_os("OCR_BILL_BIN").is_some() {
        "≤ 1.30 for the static build"
    } else {
        "≤ 1.50"
    };
    println!("ratio {:.2} (target {target})", mo / mt);
}
