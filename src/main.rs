//! `ocr-bill`: parse, run, print the error, exit with its code.
//!
//! On Unix the entry point is a C `main`, so that ocr-bill sees its standard
//! descriptors as the caller left them: Rust's own start-up reopens a closed
//! stdout on `/dev/null`, after which `ocr-bill prices >&-` could not be told
//! from `ocr-bill prices > /dev/null` and would claim success.
#![cfg_attr(all(unix, not(test)), no_main)]

mod chart;
mod cli;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod libm_symbols;
mod output;
mod render;
mod report;

#[cfg(all(unix, not(test)))]
#[no_mangle]
pub extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    render::claim_standard_descriptors();
    // A panic (a bug) ends the run after its message with the exit code Rust
    // gives one, 101: unwinding out of this C function would abort the
    // process instead (134, and no destructor run).
    std::panic::catch_unwind(|| cli::run(std::env::args_os())).unwrap_or(101)
}

#[cfg(any(not(unix), test))]
fn main() {
    std::process::exit(cli::run(std::env::args_os()));
}
