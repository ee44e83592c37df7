//! What each start of the program loads (issue #14): on Linux with glibc, the
//! C library alone.

/// The program needs no `libm.so.6` (its math functions are its own,
/// `src/libm_symbols.rs`) and, where the compiler has a static unwinder,
/// no `libgcc_s.so.1` (`build.rs`): a library needed would be named in the
/// program's dynamic string table. A crate that calls a math function not
/// defined there brings `libm.so.6` back, and this test names it.
#[test]
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn a_start_loads_the_c_library_alone() {
    let program = std::fs::read(env!("CARGO_BIN_EXE_ocr-bill")).unwrap();
    let names = |name: &[u8]| program.windows(name.len()).any(|w| w == name);
    assert!(
        names(b"libc.so.6"),
        "the dynamic string table is not where looked"
    );
    assert!(
        !names(b"libm.so.6"),
        "ocr-bill needs libm.so.6: a math function is called that src/libm_symbols.rs \
         does not define (nm -D --undefined-only names it)"
    );
    if option_env!("OCR_BILL_STATIC_UNWINDER").is_some() {
        assert!(!names(b"libgcc_s.so.1"), "ocr-bill needs libgcc_s.so.1");
    }
}
