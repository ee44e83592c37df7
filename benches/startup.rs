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
//!
//! Each `ocr-bill` is timed twice: the binary as the linker wrote it, and a
//! copy of it written afresh, as `cargo install` (or a package, as for
//! `/bin/true`) puts a program in place, which is the one users run.

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

/// A copy of `bin`, written afresh as `cargo install` or a package manager
/// writes a program into place: the kernel maps a file written in one pass
/// with fewer page faults than the linker's output (112 against 93 for the
/// static build, measured), which is what a user's installed `ocr-bill`
/// starts from.
fn installed_copy(bin: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("startup");
    std::fs::create_dir_all(&dir).expect("a directory for the copy");
    let copy = dir.join("ocr-bill");
    // A new file each run, not the old one's pages rewritten.
    let _ = std::fs::remove_file(&copy);
    std::fs::copy(bin, &copy).expect("copy the binary");
    copy.to_str().expect("a UTF-8 path").to_string()
}

/// The size of the ELF section `name` of the program at `path`, if it has
/// one (`None` too for a file that is not a 64-bit little-endian ELF file).
fn elf_section_size(path: &str, name: &str) -> Option<u64> {
    let elf = std::fs::read(path).ok()?;
    let at = |off: usize, n: usize| elf.get(off..off + n);
    let word = |off: usize, n: usize| -> Option<u64> {
        let mut b = [0u8; 8];
        b[..n].copy_from_slice(at(off, n)?);
        Some(u64::from_le_bytes(b))
    };
    if at(0, 6)? != b"\x7fELF\x02\x01" {
        return None;
    }
    let (shoff, shentsize) = (word(0x28, 8)? as usize, word(0x3a, 2)? as usize);
    let (shnum, shstrndx) = (word(0x3c, 2)? as usize, word(0x3e, 2)? as usize);
    let header = |i: usize| shoff + i * shentsize;
    let names = word(header(shstrndx) + 0x18, 8)? as usize;
    (0..shnum).find_map(|i| {
        let start = names + word(header(i), 4)? as usize;
        let text = elf.get(start..)?;
        let end = text.iter().position(|&b| b == 0)?;
        (&text[..end] == name.as_bytes())
            .then(|| word(header(i) + 0x20, 8))
            .flatten()
    })
}

fn main() {
    if std::env::var_os(FLOOR).is_some_and(|v| !v.is_empty()) {
        return;
    }
    let me = std::env::current_exe().expect("the bench's own path");
    let me = me.to_str().expect("a UTF-8 path");
    let bin =
        std::env::var("OCR_BILL_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_ocr-bill").into());
    let copy = installed_copy(&bin);
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1000);
    let args = ["postpaid", "--api", "idcard", "--calls", "9000"];
    let version = ["--version"];
    // (program, arguments, what it shows), timed in turn, round after round.
    let runs_of: [(&str, &[&str], &str); 6] = [
        ("/bin/true", &[], "/bin/true"),
        (me, &[], "a Rust program that exits at once (the floor)"),
        (&bin, &version, "ocr-bill --version, as built"),
        (&bin, &args, "ocr-bill postpaid, as built"),
        (&copy, &version, "ocr-bill --version, installed copy"),
        (&copy, &args, "ocr-bill postpaid, installed copy"),
    ];
    for _ in 0..50 {
        for (program, args, _) in &runs_of {
            time_once(program, args);
        }
    }
    let mut times = vec![Vec::with_capacity(runs); runs_of.len()];
    for _ in 0..runs {
        for (t, (program, args, _)) in times.iter_mut().zip(&runs_of) {
            t.push(time_once(program, args));
        }
    }
    let medians: Vec<f64> = times.into_iter().map(median).collect();
    println!("binary: {bin} (copy: {copy}), {runs} runs each");
    // The code a start runs, put together by src/hot-text.ld (build.rs).
    if cfg!(target_os = "linux") {
        match elf_section_size(&bin, ".text.first") {
            Some(size) => println!("code put together for a start (.text.first): {size} bytes"),
            None => println!(
                "no .text.first section: src/hot-text.ld was not used, or matched no \
                 function (benches/hot-text.sh writes it anew)"
            ),
        }
    }
    println!("postpaid: postpaid --api idcard --calls 9000");
    for ((_, _, what), ms) in runs_of.iter().zip(&medians) {
        println!("{what:<46} median {ms:.3} ms, ratio {:.2}", ms / medians[0]);
    }
    // The default, portable build ≤ 1.5; the opt-in static build ≤ 1.3.
    let target = if std::env::var_os("OCR_BILL_BIN").is_some() {
        "≤ 1.30 for the static build"
    } else {
        "≤ 1.50"
    };
    println!(
        "ratio {:.2} installed, {:.2} as built (target {target})",
        medians[5] / medians[0],
        medians[3] / medians[0]
    );
}
