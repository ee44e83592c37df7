//! The C math functions ocr-bill's code and its crates call (the curve's
//! spacing, the chart's log scale, a workbook's compression), defined here in
//! Rust (the `libm` crate, a port of musl's) on Linux with glibc.
//!
//! With them defined in the program, the linker needs no `libm.so.6`, and
//! every start of ocr-bill loads one shared library fewer: about 0.06 ms of a
//! run of about 1 ms (`cargo bench --bench startup`). None of them computes
//! money; they place points on a curve and a chart.
//!
//! A function called that is not here would bring `libm.so.6` back (a test
//! reads the binary's needed libraries).

#[no_mangle]
pub extern "C" fn exp(x: f64) -> f64 {
    libm::exp(x)
}

#[no_mangle]
pub extern "C" fn log(x: f64) -> f64 {
    libm::log(x)
}

#[no_mangle]
pub extern "C" fn log2(x: f64) -> f64 {
    libm::log2(x)
}

#[no_mangle]
pub extern "C" fn log10(x: f64) -> f64 {
    libm::log10(x)
}

#[no_mangle]
pub extern "C" fn pow(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}
