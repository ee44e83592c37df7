//! Counts said in words: `1 row`, `2 rows`.

/// `noun` as it goes with a count of `n`: `call` for 1, `calls` for any other.
///
/// ```
/// assert_eq!(ocr_bill::plural(1, "month"), "month");
/// assert_eq!(ocr_bill::plural(12, "month"), "months");
/// assert_eq!(ocr_bill::plural(0, "call"), "calls");
/// ```
pub fn plural(n: u64, noun: &str) -> String {
    match n {
        1 => noun.to_string(),
        _ => format!("{noun}s"),
    }
}

/// `n` and its noun: `1 row`, `7 rows`.
///
/// ```
/// assert_eq!(ocr_bill::counted(1, "row"), "1 row");
/// assert_eq!(ocr_bill::counted(7, "row"), "7 rows");
/// ```
pub fn counted(n: u64, noun: &str) -> String {
    format!("{n} {}", plural(n, noun))
}
