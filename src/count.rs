//! Call counts in the forms people write them: `9000`, `9_000`, `9k`, `1.5M`, `10万`.

use crate::Error;

/// Parses a call count: digits with optional `_` or `,` separators, an optional
/// fraction, and an optional multiplier suffix (`k`, `M`, `千`, `万`, `亿`).
///
/// The result must be a whole number that fits in a `u64`.
///
/// ```
/// use ocr_bill::parse_count;
/// assert_eq!(parse_count("9_000").unwrap(), 9000);
/// assert_eq!(parse_count("1.5M").unwrap(), 1_500_000);
/// assert_eq!(parse_count("10万").unwrap(), 100_000);
/// assert!(parse_count("-5").is_err());
/// ```
pub fn parse_count(input: &str) -> Result<u64, Error> {
    let bad = |reason: &str| Error::BadCount {
        input: input.to_string(),
        reason: reason.to_string(),
    };
    let s = input.trim();
    if s.is_empty() {
        return Err(bad(
            "empty; expected a whole number such as 9000, 9k or 10万",
        ));
    }
    if s.starts_with('-') {
        return Err(bad("a call count cannot be negative"));
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    let (number, multiplier): (&str, u128) = match s.chars().last() {
        Some('k' | 'K') => (&s[..s.len() - 1], 1_000),
        Some('m' | 'M') => (&s[..s.len() - 1], 1_000_000),
        Some('千') => (&s[..s.len() - '千'.len_utf8()], 1_000),
        Some('万') => (&s[..s.len() - '万'.len_utf8()], 10_000),
        Some('亿') => (&s[..s.len() - '亿'.len_utf8()], 100_000_000),
        _ => (s, 1),
    };
    let number = number.trim_end();
    let expected = "expected a whole number such as 9000, 9_000, 9k, 1.5M or 10万";
    let (int_part, frac_part) = match number.split_once('.') {
        Some((i, f)) => (i, f),
        None => (number, ""),
    };
    let digits_ok = |part: &str, allow_separators: bool| {
        !part.is_empty()
            && part.starts_with(|c: char| c.is_ascii_digit())
            && part.ends_with(|c: char| c.is_ascii_digit())
            && part
                .chars()
                .all(|c| c.is_ascii_digit() || (allow_separators && (c == '_' || c == ',')))
    };
    if !digits_ok(int_part, true) || (number.contains('.') && !digits_ok(frac_part, false)) {
        return Err(bad(expected));
    }
    let too_large = || bad(&format!("too large; at most {} calls", u64::MAX));
    let mut mantissa: u128 = 0;
    for c in int_part.chars().chain(frac_part.chars()) {
        if let Some(digit) = c.to_digit(10) {
            mantissa = mantissa
                .checked_mul(10)
                .and_then(|m| m.checked_add(u128::from(digit)))
                .ok_or_else(too_large)?;
        }
    }
    let divisor = u32::try_from(frac_part.len())
        .ok()
        .and_then(|n| 10u128.checked_pow(n))
        .ok_or_else(too_large)?;
    let scaled = mantissa.checked_mul(multiplier).ok_or_else(too_large)?;
    if scaled % divisor != 0 {
        return Err(bad("not a whole number of calls"));
    }
    u64::try_from(scaled / divisor).map_err(|_| too_large())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_human_forms() {
        for (text, want) in [
            ("9000", 9000),
            ("9_000", 9000),
            ("9,000", 9000),
            ("9k", 9000),
            ("9K", 9000),
            ("1.5M", 1_500_000),
            ("1万", 10_000),
            ("10万", 100_000),
            ("100万", 1_000_000),
            ("1.5万", 15_000),
            ("2亿", 200_000_000),
            ("0", 0),
            (" 42 ", 42),
            ("18446744073709551615", u64::MAX),
        ] {
            assert_eq!(parse_count(text).unwrap(), want, "{text}");
        }
    }

    #[test]
    fn refuses_bad_counts_naming_the_value() {
        for (text, needle) in [
            ("-5", "negative"),
            ("9.5", "whole number"),
            ("1.2345k", "whole number"),
            ("abc", "expected a whole number"),
            ("", "empty"),
            ("9__", "expected"),
            ("_9", "expected"),
            ("1e6", "expected"),
            ("18446744073709551616", "too large"),
            ("99999999999999999999999999999999999999999", "too large"),
            ("k", "expected"),
            ("1.", "expected"),
        ] {
            let err = parse_count(text).unwrap_err().to_string();
            assert!(err.contains(needle), "{text}: {err}");
            assert!(err.contains(&format!("'{text}'")), "{text}: {err}");
        }
    }
}
