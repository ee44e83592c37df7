//! Three things at build time:
//!
//! - **The built-in price lists, packed** (issue #14): `pricing.toml` and
//!   `editions/*.toml` are parsed here, and each start reads the values back
//!   from a compact form (`src/packed.rs`) instead of parsing TOML: every
//!   number stays in the TOML files, and a test reads each edition both ways
//!   to the same price list.
//! - **GCC's unwinder, linked in** on Linux with glibc, so that each start
//!   loads one shared library fewer (`libgcc_s.so.1`: about 0.09 ms of a run
//!   of about 1 ms, `cargo bench --bench startup`). Rust's standard library
//!   asks for `-lgcc_s`, the unwinder panics use. The C compiler that links
//!   ocr-bill ships the same unwinder as a static archive, `libgcc_eh.a`; put
//!   in a directory of its own as `libgcc_s.a`, searched before the system's,
//!   it is what `-lgcc_s` finds. Where the compiler names no such archive
//!   (another compiler, a cross build, the static recipe of the README, which
//!   links it already), nothing changes: the unwinder is the shared library,
//!   as in any Rust program.
//! - **The code a start runs, put together** on Linux release builds
//!   (`src/hot-text.ld`, see [`hot_text`]): about 30 fewer page faults a start.

// The packer, shared with the reader's tests.
#[path = "src/packing.rs"]
mod packing;

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CC");
    pack_editions();
    let var = |name: &str| env::var(name).unwrap_or_default();
    let native = var("TARGET") == var("HOST");
    let glibc = var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu";
    hot_text(native && glibc);
    let static_crt = var("CARGO_CFG_TARGET_FEATURE")
        .split(',')
        .any(|f| f == "crt-static");
    if !(native && glibc) || static_crt {
        return;
    }
    if let Some(dir) = unwinder_dir() {
        println!("cargo:rustc-link-search=native={}", dir.display());
        // (For the test that reads the libraries the program needs.)
        println!("cargo:rustc-env=OCR_BILL_STATIC_UNWINDER=1");
    }
}

/// On native Linux (glibc) release builds, the linker script `src/hot-text.ld`
/// (`benches/hot-text.sh` writes it): the functions a start of the one-shot
/// commands runs, put together before the rest of the code, so that a start
/// touches fewer pages of it (a page fault each 64 KB touched).
///
/// Only where the link is the one Rust makes by default for the machine it
/// runs on, Linux with glibc: the C compiler as the driver (hence `-Wl,`),
/// and GNU ld or LLD behind it, which both read the script's `INSERT`. A cross
/// build, a linker named in the configuration or the flags (gold or mold read
/// linker scripts otherwise; `ld.lld` called directly takes no `-Wl,`), and
/// debug builds, whose start-up nobody times (the script's patterns add a
/// second or two to each of their links), are linked as they were.
fn hot_text(native_glibc: bool) {
    println!("cargo:rerun-if-changed=src/hot-text.ld");
    println!("cargo:rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    let var = |name: &str| env::var(name).unwrap_or_default();
    let flags = var("CARGO_ENCODED_RUSTFLAGS");
    let linker_named = env::var_os("RUSTC_LINKER").is_some()
        || flags.contains("linker")
        || flags.contains("fuse-ld");
    if !native_glibc || linker_named || var("PROFILE") != "release" {
        return;
    }
    let script = PathBuf::from(var("CARGO_MANIFEST_DIR")).join("src/hot-text.ld");
    // (`-Wl,` splits its argument at commas.)
    if script.is_file() && !script.to_string_lossy().contains(',') {
        println!("cargo:rustc-link-arg-bins=-Wl,-T,{}", script.display());
    }
}

/// A directory holding the compiler's `libgcc_eh.a` as `libgcc_s.a`, if the
/// compiler has one.
fn unwinder_dir() -> Option<PathBuf> {
    let cc = env::var("RUSTC_LINKER")
        .or_else(|_| env::var("CC"))
        .unwrap_or_else(|_| "cc".into());
    let out = Command::new(cc)
        .arg("-print-file-name=libgcc_eh.a")
        .output()
        .ok()?;
    // (A compiler without it prints the bare name back.)
    let archive = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    if !out.status.success() || !archive.is_absolute() || !archive.is_file() {
        return None;
    }
    let dir = PathBuf::from(env::var_os("OUT_DIR")?).join("unwinder");
    std::fs::create_dir_all(&dir).ok()?;
    std::fs::copy(&archive, dir.join("libgcc_s.a")).ok()?;
    Some(dir)
}

/// Writes each built-in edition, packed, to `OUT_DIR/<name>.packed`: `seed`
/// from `pricing.toml`, the others from `editions/<name>.toml`.
fn pack_editions() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut sources = vec![("seed".to_string(), PathBuf::from("pricing.toml"))];
    println!("cargo:rerun-if-changed=pricing.toml");
    println!("cargo:rerun-if-changed=editions");
    let dir = std::fs::read_dir("editions").expect("the editions directory");
    for entry in dir {
        let path = entry.expect("an entry of editions/").path();
        if path.extension().is_some_and(|e| e == "toml") {
            println!("cargo:rerun-if-changed={}", path.display());
            let name = path
                .file_stem()
                .expect("a file name")
                .to_string_lossy()
                .into_owned();
            sources.push((name, path));
        }
    }
    for (name, path) in sources {
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let bytes = packing::pack(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        std::fs::write(out.join(format!("{name}.packed")), bytes).expect("writing OUT_DIR");
    }
}
