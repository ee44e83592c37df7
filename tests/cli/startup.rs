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

/// `src/hot-text.ld`, which `build.rs` hands the linker on native Linux
/// release builds, is what `benches/hot-text.sh` writes: one output section placed
/// before `.text`, each line a pattern of one function's code (its mangled
/// name, with wildcards), in its own section or in the compiler's section of
/// unlikely code. A hand edit that breaks it would break every release build
/// on Linux, which the tests (debug builds) do not link with it.
#[test]
fn the_start_up_linker_script_is_one_section_of_function_patterns() {
    // (As a checkout that turns line ends into CRLF has it, too.)
    let script = include_str!("../../src/hot-text.ld").replace("\r\n", "\n");
    let (body, after) = script
        .split_once("SECTIONS\n{\n  .text.first :\n  {\n")
        .and_then(|(_, rest)| rest.split_once("\n  }\n}\nINSERT BEFORE .text;\n"))
        .expect("SECTIONS { .text.first : { … } } INSERT BEFORE .text;");
    assert_eq!(after, "", "nothing after the INSERT");
    let lines: Vec<&str> = body.lines().collect();
    assert!(
        lines.len() > 100,
        "{} patterns: too few to matter",
        lines.len()
    );
    for line in lines {
        let pattern = line
            .strip_prefix("    *(.text.")
            .and_then(|l| l.strip_suffix(')'))
            .and_then(|l| l.split_once(" .text.unlikely."))
            .filter(|(a, b)| a == b)
            .map(|(a, _)| a)
            .unwrap_or_else(|| panic!("not a function's pattern: {line}"));
        assert!(
            pattern.starts_with("_R") || pattern.starts_with("_ZN"),
            "not a Rust mangled name: {line}"
        );
        assert!(
            pattern
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_$.*".contains(&b)),
            "a byte a linker script pattern would read otherwise: {line}"
        );
    }
}
