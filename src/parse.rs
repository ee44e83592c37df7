//! Everything read from what people write: call counts (`9000`, `9,000`, `9k`,
//! `1.5M`, `10万`), amounts of money, plain decimals (prices) and pack lists.

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::{Error, Money};

/// Why a cell of dashes alone (`-`, `－`, `—`) is no number.
const DASH: &str =
    "a dash, as a spreadsheet shows zero or no data, is not a number; write 0 for none";

/// A cell of dashes alone: a spreadsheet's zero or no data, never read as a number.
fn is_dash(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| matches!(c, '-' | '－' | '–' | '—' | '―'))
}

/// Parses a call count: digits with optional thousands separators (`,` or `_`,
/// only between groups of three digits: `9,000`, `1_000_000`), an optional
/// fraction after a point, and an optional multiplier suffix (`k`, `M`, `千`,
/// `万`, `亿`), then optionally the unit `次`. `9,00`, `1,2,3` and `1,5k` are
/// refused, never read as 900, 123 or 15,000; so is `9.000`, nine or nine
/// thousand by where it was written, and `1.23E+07`.
///
/// The result must be a whole number that fits in a `u64`. Full-width digits,
/// comma, point and underscore, as a Chinese input method types them, are
/// read as the ASCII ones.
///
/// ```
/// use ocr_bill::parse_count;
/// assert_eq!(parse_count("9_000").unwrap(), 9000);
/// assert_eq!(parse_count("９，０００").unwrap(), 9000);
/// assert_eq!(parse_count("1.5M").unwrap(), 1_500_000);
/// assert_eq!(parse_count("10万").unwrap(), 100_000);
/// assert!(parse_count("-5").is_err());
/// ```
pub fn parse_count(input: &str) -> Result<u64, Error> {
    let bad = |reason: &str| Error::BadCount {
        input: input.to_string(),
        reason: reason.to_string(),
    };
    let ascii = half_width_digits(input);
    let s = ascii.trim();
    if s.is_empty() {
        return Err(bad(
            "empty; expected a whole number such as 9000, 9k or 10万",
        ));
    }
    if is_dash(s) {
        return Err(bad(DASH));
    }
    if s.starts_with('-') || is_bracketed(s) {
        return Err(bad("a call count cannot be negative"));
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    // The unit, as a Chinese sheet may write it: `9000次`, `1万次`.
    let s = s.strip_suffix('次').map_or(s, str::trim_end);
    if is_scientific(s) {
        return Err(bad(
            "scientific notation, as a spreadsheet writes a number too wide for its column, \
             which may have lost digits; format the column as a whole number and export again",
        ));
    }
    let (number, multiplier) = split_multiplier(s);
    let multiplier = u128::from(multiplier);
    let expected = "expected a whole number such as 9000, 9_000, 9k, 1.5M or 10万";
    let (int_part, frac_part) = match number.split_once('.') {
        Some((i, f)) => (i, f),
        None => (number, ""),
    };
    let digits_ok = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !grouped_ok(int_part) || (number.contains('.') && !digits_ok(frac_part)) {
        let reason =
            if int_part.contains([',', '_']) && int_part.bytes().any(|b| b.is_ascii_digit()) {
                "expected a thousands separator (',' or '_') only between groups of three digits, \
             as in 9,000 or 1_000_000; a decimal point is '.'; several counts are separated by \
             spaces"
            } else {
                expected
            };
        return Err(bad(reason));
    }
    // `9.000` is nine with a decimal point, and nine thousand where a point
    // separates thousands (much of Europe, and CSV saved there): never guessed.
    if multiplier == 1
        && (1..=3).contains(&int_part.len())
        && frac_part.len() == 3
        && int_part.bytes().any(|b| b != b'0')
    {
        return Err(bad(&format!(
            "ambiguous: {int_part}.{frac_part} calls, or {int_part}{frac_part} with a point \
             between thousands? write the count without the point"
        )));
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

/// Parses an amount of money as people write it: `5000`, `1,000.50`, `1_000`,
/// `1万`, `2.5k`, `3千`, with an optional `元` or `¥` (`￥`); thousands separators
/// only between groups of three digits, and full-width digits, as for call
/// counts. Not negative.
///
/// ```
/// use ocr_bill::parse_amount;
/// assert_eq!(parse_amount("1万").unwrap().to_string(), "10000");
/// assert_eq!(parse_amount("1,000.50").unwrap().to_string(), "1000.50");
/// assert!(parse_amount("1,00").is_err());
/// ```
pub fn parse_amount(input: &str) -> Result<rust_decimal::Decimal, Error> {
    use rust_decimal::Decimal;
    let bad = |reason: &str| Error::BadAmount {
        input: input.to_string(),
        reason: reason.to_string(),
    };
    let ascii = half_width_digits(input);
    let s = without_yuan(&ascii);
    if is_dash(s) {
        return Err(bad(DASH));
    }
    if s.starts_with('-') || is_bracketed(s) {
        return Err(bad("an amount cannot be negative"));
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    let (number, multiplier) = split_multiplier(s);
    let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
    if !grouped_ok(int_part)
        || (number.contains('.')
            && (frac_part.is_empty() || !frac_part.bytes().all(|b| b.is_ascii_digit())))
    {
        return Err(bad(
            "expected an amount such as 5000, 1,000.50, 1万 or 2.5k (thousands separators \
             only between groups of three digits)",
        ));
    }
    let digits: String = int_part.chars().filter(char::is_ascii_digit).collect();
    let plain = if frac_part.is_empty() {
        digits
    } else {
        format!("{digits}.{frac_part}")
    };
    let value = crate::parse_decimal(&plain).map_err(|_| bad("too many digits"))?;
    value
        .checked_mul(Decimal::from(multiplier))
        .ok_or_else(|| bad("too large"))
}

/// Money as written without its marks: `¥` (`￥`) before it, `元` after it.
fn without_yuan(text: &str) -> &str {
    let t = text.trim();
    let t = t.strip_prefix(['¥', '￥']).unwrap_or(t);
    t.strip_suffix('元').unwrap_or(t).trim()
}

/// Parses a price as the pages write it: a plain decimal, optionally with `¥`
/// (`￥`) before it and `元` or `元/次` (yuan a call) after it: `0.04`,
/// `0.04元/次`, `¥3500`, `3500元`. Full-width digits and point are read as
/// ASCII.
///
/// ```
/// use ocr_bill::parse_price;
/// assert_eq!(parse_price("0.04元/次").unwrap().to_string(), "0.04");
/// assert_eq!(parse_price("￥3500").unwrap().to_string(), "3500");
/// assert!(parse_price("0.04元/月").is_err());
/// ```
pub fn parse_price(text: &str) -> Result<Decimal, Error> {
    let ascii = half_width_digits(text);
    let t = ascii.trim();
    // (Yuan a call: the unit of the pages' unit prices.)
    let t = without_yuan(t.strip_suffix("/次").unwrap_or(t));
    parse_decimal(t).map_err(|e| match e {
        Error::BadAmount { reason, .. } => Error::BadAmount {
            input: text.to_string(),
            reason,
        },
        other => other,
    })
}

/// Parses a plain decimal such as `0.15` or `1200` (no exponent, no separators).
///
/// A value that a decimal cannot hold exactly (more than 28 decimal places, or
/// more than 28 significant digits) is refused, never rounded.
pub fn parse_decimal(text: &str) -> Result<Decimal, Error> {
    let t = text.trim();
    let unsigned = t.trim_start_matches(['-', '+']);
    let plain = !t.is_empty()
        && t.len() - unsigned.len() <= 1
        && unsigned.chars().all(|c| c.is_ascii_digit() || c == '.')
        && unsigned.matches('.').count() <= 1
        && unsigned.chars().any(|c| c.is_ascii_digit());
    if !plain {
        return Err(Error::BadAmount {
            input: text.to_string(),
            reason: "expected a decimal number such as 0.15 or 1200".into(),
        });
    }
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let (int, frac) = (int.trim_start_matches('0'), frac.trim_end_matches('0'));
    let inexact = |reason: String| Error::BadAmount {
        input: text.to_string(),
        reason: format!(
            "{reason}; a decimal holds at most 28 decimal places and about 28 significant digits"
        ),
    };
    if frac.len() > 28 {
        return Err(inexact(format!("has {} decimal places", frac.len())));
    }
    let value = Decimal::from_str(t).map_err(|_| {
        inexact(format!(
            "has {} significant digits, which cannot all be held",
            int.len() + frac.len()
        ))
    })?;
    // Refuse a value that parsing rounded: its digits must all survive.
    let wanted = match frac {
        "" => if int.is_empty() { "0" } else { int }.to_string(),
        f => format!("{}.{f}", if int.is_empty() { "0" } else { int }),
    };
    if value.abs().normalize().to_string() != wanted {
        return Err(inexact(format!(
            "has {} significant digits, which cannot all be held",
            int.len() + frac.len()
        )));
    }
    Ok(value)
}

/// How a file writes its numbers, told from its delimiter. CSV separated by
/// semicolons is what spreadsheets save where the decimal mark is a comma
/// (much of Europe), so there a number with one comma before three digits
/// reads two ways, `9,000` nine thousand or 9.000, and is refused, as `9.000`
/// is everywhere; `1,000,000` and `1,000.50` read one way only. Elsewhere (a
/// comma or a tab between fields, and the command line) a comma separates
/// thousands, as Chinese and English spreadsheets write them.
///
/// ```
/// use ocr_bill::Marks;
/// assert_eq!(Marks::PLAIN.count("9,000").unwrap(), 9000);
/// assert!(Marks::of_delimiter(b';').count("9,000").is_err());
/// assert_eq!(Marks::of_delimiter(b';').count("1,000,000").unwrap(), 1_000_000);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Marks {
    /// A comma may be the decimal mark.
    decimal_comma: bool,
}

impl Marks {
    /// A comma separates thousands.
    pub const PLAIN: Marks = Marks {
        decimal_comma: false,
    };

    /// The marks of a file whose fields are separated by `delimiter`.
    pub fn of_delimiter(delimiter: u8) -> Marks {
        Marks {
            decimal_comma: delimiter == b';',
        }
    }

    /// A call count (see [`parse_count`]).
    pub fn count(self, cell: &str) -> Result<u64, Error> {
        match self.two_ways(cell) {
            Some(reason) => Err(Error::BadCount {
                input: cell.to_string(),
                reason,
            }),
            None => parse_count(cell),
        }
    }

    /// An amount of money (see [`parse_money`]).
    pub fn money(self, cell: &str) -> Result<Money, Error> {
        match self.two_ways(cell) {
            Some(reason) => Err(Error::BadAmount {
                input: cell.to_string(),
                reason,
            }),
            None => parse_money(cell),
        }
    }

    /// Why `cell` reads two ways where a comma may be the decimal mark.
    fn two_ways(self, cell: &str) -> Option<String> {
        if !self.decimal_comma {
            return None;
        }
        let ascii = half_width_digits(cell);
        let s = without_yuan(&ascii);
        let s = s.strip_prefix('+').unwrap_or(s);
        let s = s.strip_suffix('次').map_or(s, str::trim_end);
        let (number, _) = split_multiplier(s);
        let (int, frac) = number.split_once(',')?;
        let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        let zero = |part: &str| part.bytes().all(|b| b == b'0');
        if !((1..=3).contains(&int.len()) && frac.len() == 3 && digits(int) && digits(frac))
            || (zero(int) && zero(frac))
        {
            return None;
        }
        let int = int.trim_start_matches('0');
        let whole = if int.is_empty() { "0" } else { int };
        let decimal = match frac.trim_end_matches('0') {
            "" => whole.to_string(),
            f => format!("{whole}.{f}"),
        };
        let thousands = format!("{int}{frac}");
        Some(format!(
            "ambiguous in a file separated by semicolons, as CSV is saved where the decimal \
             mark is a comma: {number} is {decimal} there, and {} where a comma separates \
             thousands; write the number without the comma",
            thousands.trim_start_matches('0')
        ))
    }
}

/// Parses an amount of money: a decimal, not negative, at most two decimals.
pub fn parse_money(text: &str) -> Result<Money, Error> {
    let value = parse_amount(text)?;
    let bad = |reason: &str| Error::BadAmount {
        input: text.to_string(),
        reason: reason.to_string(),
    };
    if value.is_sign_negative() && !value.is_zero() {
        return Err(bad("an amount cannot be negative"));
    }
    if value.normalize().scale() > 2 {
        return Err(bad(
            "more than two decimals; money is counted to the hundredth (0.01: a fen, a cent)",
        ));
    }
    Ok(Money::round(value))
}

/// Packs of one size bought together, at the price paid (the list price when
/// `price` is `None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PackSpec {
    /// Calls in one pack.
    pub size: u64,
    /// Number of packs.
    pub count: u64,
    /// The price paid for one pack, if not the list price.
    pub price: Option<Decimal>,
}

/// Packs to buy: `SIZE[xCOUNT][@PRICE]` items separated by commas, e.g.
/// `1k,10kx2`, `1万x3`, `100kx3@3500` (three 100,000-call packs at 3,500 each).
///
/// Sizes take the forms of [`parse_count`]; the count separator is `x`, `X`,
/// `×` or `*`; the price is a decimal (the list price when left out).
///
/// ```
/// use ocr_bill::{parse_pack_spec, PackSpec};
/// let specs = parse_pack_spec("1k,10kx2@700").unwrap();
/// assert_eq!(specs[0], PackSpec { size: 1000, count: 1, price: None });
/// assert_eq!(specs[1].count, 2);
/// assert_eq!(specs[1].price.unwrap().to_string(), "700");
/// ```
pub fn parse_pack_spec(spec: &str) -> Result<Vec<PackSpec>, Error> {
    let bad = |reason: String| Error::BadPackSpec {
        input: spec.to_string(),
        reason,
    };
    if spec.trim().is_empty() {
        return Err(bad("empty; expected sizes such as 1000 or 1k,10kx2".into()));
    }
    if let Some((priced, price, digits)) = price_cut_by_comma(spec) {
        return Err(bad(format!(
            "'{priced},{digits}' reads as a price of {price} and then a pack of {digits} calls: \
             a comma separates packs; write a price without a thousands separator and with a \
             decimal point (100k@3500, 1k@84.5), or that pack as {digits}x1"
        )));
    }
    // `10,000` is one size to a person and two packs (10 and 000) to the list.
    if let Some(n) = parse_count(spec).ok().filter(|_| spec.contains(',')) {
        // `100,100,100` may also be three packs of 100: say how to write either.
        let items: Vec<&str> = spec.split(',').map(str::trim).collect();
        let packs = items
            .iter()
            .all(|i| parse_count(i).is_ok_and(|c| c > 0))
            .then(|| {
                if items.iter().all(|i| *i == items[0]) {
                    format!("{}x{}", items[0], items.len())
                } else {
                    items.join(" , ")
                }
            });
        return Err(bad(match packs {
            Some(packs) => format!(
                "ambiguous: one pack of {n} calls (write {n}) or {} packs (write {packs})",
                items.len()
            ),
            None => format!(
                "a comma separates packs here (1k,10kx2); write the size {n} without a \
                 thousands separator"
            ),
        }));
    }
    spec.split(',')
        .map(|item| {
            let item = item.trim();
            if item.is_empty() {
                return Err(bad(
                    "an empty pack between commas, or a comma at an end; expected sizes \
                     such as 1000 or 1k,10kx2"
                        .into(),
                ));
            }
            let whole = item;
            let (item, price) = match item.split_once('@') {
                Some((packs, price)) => {
                    let paid = parse_price(price).map_err(|e| bad(format!("pack price: {e}")))?;
                    if paid <= Decimal::ZERO {
                        return Err(bad(format!("pack price {paid}: expected more than 0")));
                    }
                    (packs.trim(), Some(paid))
                }
                None => (item, None),
            };
            let (size, count) = match item.rfind(['x', 'X', '×', '*']) {
                Some(at) => {
                    let sep = item[at..].chars().next().map_or(1, char::len_utf8);
                    (&item[..at], &item[at + sep..])
                }
                None => (item, "1"),
            };
            // `3x`, `x3` or `@700`: a size or a count left out.
            let missing = [("size", size), ("count", count)]
                .into_iter()
                .find(|(_, part)| part.trim().is_empty());
            if let Some((what, _)) = missing {
                return Err(bad(format!(
                    "'{whole}' has no pack {what}; write SIZExCOUNT, such as 10kx2 (two packs \
                     of 10,000 calls), or SIZE@PRICE for a price paid, such as 100k@3500"
                )));
            }
            let size = parse_count(size).map_err(|e| bad(format!("pack size: {e}")))?;
            let count = parse_count(count).map_err(|e| bad(format!("pack count: {e}")))?;
            if count == 0 {
                return Err(bad(format!("'{item}' buys 0 packs")));
            }
            Ok(PackSpec { size, count, price })
        })
        .collect()
}

/// A price that a comma may have cut in two (`100k@3,500`, `1k@84,5`): an
/// item priced in whole digits followed by an item of one to three digits
/// alone, which reads as a pack of that many calls. The priced item, its
/// price and those digits.
pub fn price_cut_by_comma(spec: &str) -> Option<(&str, &str, &str)> {
    let items: Vec<&str> = spec.split(',').map(str::trim).collect();
    items.windows(2).find_map(|pair| {
        let [priced, digits] = *pair else {
            return None;
        };
        let price = priced.split_once('@')?.1.trim();
        let digits_alone =
            (1..=3).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
        (price.ends_with(|c: char| c.is_ascii_digit()) && !price.contains('.') && digits_alone)
            .then_some((priced, price, digits))
    })
}

/// Refuses an account that a spreadsheet or a script wrote as a number: in
/// scientific notation (`1.00012E+11`: a long account ID in a General
/// column), where accounts that differ in later digits would read as one; or
/// with decimals (`100012345678.0`, as pandas writes a column of numbers with
/// a gap), which would be another account than the same ID written as text;
/// or in full-width digits, as a Chinese input method types them.
pub(crate) fn check_account(value: &[u8]) -> Result<(), String> {
    // Full-width digits (a Chinese input method's `１０００１`): another
    // account than the same digits in half width, unless said.
    if !value.is_ascii() {
        let text = String::from_utf8_lossy(value);
        let text = text.trim();
        let half: String = text.chars().map(half_width).collect();
        if !half.is_empty() && half.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "account '{text}' is written in full-width digits: it would be another account \
                 than '{half}'; write it in half-width digits"
            ));
        }
        return Ok(());
    }
    // (A value that starts with a letter, or has no exponent or point, at a
    // glance.)
    if !value.first().is_some_and(u8::is_ascii_digit)
        || memchr::memchr3(b'E', b'e', b'.', value).is_none()
    {
        return Ok(());
    }
    match std::str::from_utf8(value).map(str::trim) {
        Ok(text) if is_scientific(text) => Err(format!(
            "account '{text}' is in scientific notation, as a spreadsheet writes a long \
             number: accounts that differ in later digits would read as one; format the \
             column as text and export again"
        )),
        Ok(text) if is_whole_with_decimals(text) => Err(format!(
            "account '{text}' is a whole number written with decimals, as a spreadsheet or \
             a script writes a column of numbers: it would be another account than '{}'; \
             write the account as text, without the decimals",
            text.split('.').next().unwrap_or_default()
        )),
        _ => Ok(()),
    }
}

/// `100012345678.0`: digits, a point and zeros only.
fn is_whole_with_decimals(s: &str) -> bool {
    s.split_once('.').is_some_and(|(whole, zeros)| {
        !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && !zeros.is_empty()
            && zeros.bytes().all(|b| b == b'0')
    })
}

/// `1.23E+07`, `5e6`: digits, an optional fraction, `e` or `E`, an optional
/// sign and digits.
fn is_scientific(s: &str) -> bool {
    let Some((mantissa, exponent)) = s.split_once(['e', 'E']) else {
        return false;
    };
    let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, "0"));
    [whole, fraction, exponent]
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// A number and its multiplier suffix (`k`, `M`, `千`, `万`, `百万`, `千万`,
/// `亿`, and `w` / `W`, as Chinese writes 万 in Latin letters: `1.5w`; 1
/// without).
fn split_multiplier(s: &str) -> (&str, u64) {
    const SUFFIXES: [(&str, u64); 11] = [
        ("百万", 1_000_000),
        ("千万", 10_000_000),
        ("k", 1_000),
        ("K", 1_000),
        ("m", 1_000_000),
        ("M", 1_000_000),
        ("w", 10_000),
        ("W", 10_000),
        ("千", 1_000),
        ("万", 10_000),
        ("亿", 100_000_000),
    ];
    SUFFIXES
        .iter()
        .find_map(|&(suffix, multiplier)| {
            s.strip_suffix(suffix)
                .map(|number| (number.trim_end(), multiplier))
        })
        .unwrap_or((s, 1))
}

/// Digits, optionally in thousands groups: one to three leading digits, then
/// groups of exactly three after each separator; one kind of separator.
fn grouped_ok(int_part: &str) -> bool {
    let bytes = int_part.as_bytes();
    if bytes.is_empty()
        || !bytes
            .iter()
            .all(|b| b.is_ascii_digit() || *b == b',' || *b == b'_')
    {
        return false;
    }
    let separators: Vec<u8> = bytes
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_digit())
        .collect();
    let Some(&sep) = separators.first() else {
        return true;
    };
    if separators.iter().any(|&s| s != sep) {
        return false;
    }
    let mut groups = int_part.split(sep as char);
    let first = groups.next().unwrap_or("");
    (1..=3).contains(&first.len()) && groups.all(|g| g.len() == 3)
}

/// `input` with its full-width digits, comma, point and underscore (as a
/// Chinese input method types them: ９，０００) as the ASCII ones.
fn half_width_digits(input: &str) -> std::borrow::Cow<'_, str> {
    let full_width = |c: char| matches!(c, '０'..='９' | '，' | '．' | '＿');
    if !input.chars().any(full_width) {
        return input.into();
    }
    input
        .chars()
        .map(|c| if full_width(c) { half_width(c) } else { c })
        .collect::<String>()
        .into()
}

/// The ASCII form of a full-width character (U+FF01–U+FF5E, as a Chinese
/// input method types `９`, `（`, `Ａ`) and of the ideographic space; any other
/// character as it is.
pub(crate) fn half_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// A number in brackets, `(9000)`: negative, as accounting formats write it.
fn is_bracketed(s: &str) -> bool {
    let inner = (s.strip_prefix('(').and_then(|s| s.strip_suffix(')')))
        .or_else(|| s.strip_prefix('（').and_then(|s| s.strip_suffix('）')));
    inner.is_some_and(|n| n.trim_start().starts_with(|c: char| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_comma_of_a_file_separated_by_semicolons_may_be_a_decimal_mark() {
        use super::Marks;
        let semicolons = Marks::of_delimiter(b';');
        // One comma before three digits reads two ways there: refused,
        // counts and money alike, with a unit or a multiplier after it.
        for (cell, decimal, thousands) in [
            ("9,000", "9", "9000"),
            ("1,250万", "1.25", "1250"),
            ("９，０００次", "9", "9000"),
            ("0,500", "0.5", "500"),
            (" +12,345 ", "12.345", "12345"),
        ] {
            let e = semicolons.count(cell).unwrap_err().to_string();
            let both = format!("is {decimal} there, and {thousands} where a comma separates");
            assert!(e.contains("ambiguous") && e.contains(&both), "{cell}: {e}");
        }
        let e = semicolons.money("¥1,000元").unwrap_err().to_string();
        assert!(e.starts_with("invalid amount '¥1,000元': ambiguous"), "{e}");
        // What reads one way only is read so.
        for (cell, calls) in [("9000", 9000), ("1,000,000", 1_000_000), ("9,000.0", 9000)] {
            assert_eq!(semicolons.count(cell).unwrap(), calls, "{cell}");
        }
        assert_eq!(semicolons.count("0,000").unwrap(), 0);
        assert_eq!(semicolons.money("1,000.50").unwrap().to_string(), "1000.50");
        // Where fields are separated by commas or tabs, a comma separates thousands.
        for delimiter in [b',', b'\t'] {
            assert_eq!(Marks::of_delimiter(delimiter).count("9,000").unwrap(), 9000);
            let money = Marks::of_delimiter(delimiter).money("1,000").unwrap();
            assert_eq!(money.to_string(), "1000.00");
        }
        assert_eq!(Marks::PLAIN, Marks::of_delimiter(b','));
    }

    #[test]
    fn a_dash_is_no_number_nor_a_negative_one() {
        use super::{parse_amount, parse_count};
        for dash in ["-", " - ", "--", "－", "—", "–"] {
            let e = parse_count(dash).unwrap_err().to_string();
            assert!(e.contains("a dash") && e.contains("write 0"), "{dash}: {e}");
            let e = parse_amount(dash).unwrap_err().to_string();
            assert!(e.contains("a dash"), "{dash}: {e}");
        }
        let e = parse_count("-5").unwrap_err().to_string();
        assert!(e.contains("cannot be negative"), "{e}");
        let e = parse_amount("-5").unwrap_err().to_string();
        assert!(e.contains("cannot be negative"), "{e}");
        // In brackets, as accounting formats write a negative number.
        for negative in ["(9000)", "（9,000）", " (5) "] {
            let e = parse_count(negative).unwrap_err().to_string();
            assert!(e.contains("cannot be negative"), "{negative}: {e}");
            let e = parse_amount(negative).unwrap_err().to_string();
            assert!(e.contains("cannot be negative"), "{negative}: {e}");
        }
        // Words in brackets are no number, not a negative one.
        for word in ["()", "(n/a)", "（无）"] {
            let e = parse_count(word).unwrap_err().to_string();
            assert!(!e.contains("negative"), "{word}: {e}");
        }
    }

    #[test]
    fn full_width_counts_are_read_as_ascii() {
        use super::{parse_amount, parse_count};
        assert_eq!(
            parse_amount("￥１，０００．５０").unwrap().to_string(),
            "1000.50"
        );
        assert_eq!(parse_count("１０００").unwrap(), 1000);
        assert_eq!(parse_count("9，000").unwrap(), 9000);
        assert_eq!(parse_count("１．５万").unwrap(), 15_000);
        assert_eq!(parse_count("１＿０００").unwrap(), 1000);
        // The same rules as for ASCII: no misplaced separator.
        let e = parse_count("９，００").unwrap_err().to_string();
        assert!(
            e.contains("'９，００'") && e.contains("groups of three"),
            "{e}"
        );
    }

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
            ("18,446,744,073,709,551,615", u64::MAX),
            ("1,000,000", 1_000_000),
            ("1,500k", 1_500_000),
            ("12,000", 12_000),
            // Not ambiguous: a point after four digits, or after thousands
            // separated by commas, is a decimal point; zero is zero.
            ("1234.000", 1234),
            ("9,000.000", 9000),
            ("0.000", 0),
            ("9.00", 9),
            ("1.500万", 15_000),
            ("9000次", 9000),
            ("1万次", 10_000),
            ("9,000 次", 9000),
            ("1w", 10_000),
            ("1.5W", 15_000),
            ("2w次", 20_000),
            ("2百万", 2_000_000),
            ("1.5千万", 15_000_000),
            ("3千万次", 30_000_000),
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
            ("1e6", "scientific notation"),
            ("1.23E+07", "scientific notation"),
            ("9.5e-1", "scientific notation"),
            ("18446744073709551616", "too large"),
            ("99999999999999999999999999999999999999999", "too large"),
            ("k", "expected"),
            ("1.", "expected"),
            ("9,00", "groups of three digits"),
            ("1,2,3", "groups of three digits"),
            ("1,5k", "groups of three digits"),
            ("9000,12000", "groups of three digits"),
            ("9,000,12,000", "groups of three digits"),
            ("1_000,000", "groups of three digits"),
            ("1,0000", "groups of three digits"),
            ("9,", "groups of three digits"),
            ("9.000", "ambiguous: 9.000 calls, or 9000"),
            ("100.000", "ambiguous"),
            ("9.500", "or 9500 with a point between thousands"),
            ("９．０００", "ambiguous"),
        ] {
            let err = parse_count(text).unwrap_err().to_string();
            assert!(err.contains(needle), "{text}: {err}");
            assert!(err.contains(&format!("'{text}'")), "{text}: {err}");
        }
    }

    #[test]
    fn pack_specs() {
        let plain = |size, count| PackSpec {
            size,
            count,
            price: None,
        };
        assert_eq!(parse_pack_spec("1000").unwrap(), vec![plain(1000, 1)]);
        assert_eq!(
            parse_pack_spec("1k, 10kx2,1万x3,100万×1").unwrap(),
            vec![
                plain(1000, 1),
                plain(10_000, 2),
                plain(10_000, 3),
                plain(1_000_000, 1)
            ]
        );
        let paid = parse_pack_spec("100kx3@3500").unwrap();
        assert_eq!(paid[0].price, Some(Decimal::from(3500)));
        for bad in [
            "", "1k,", "abc", "1kx0", "1kx-1", "1kx1.5", "x2", "1k@", "1k@-5", "1k@0", "1k@x",
        ] {
            let err = parse_pack_spec(bad).unwrap_err().to_string();
            assert!(err.contains(&format!("'{bad}'")), "{bad}: {err}");
        }
        // An empty pack, and a size or count left out, are named as such.
        for bad in ["1k,,2k", "1k,", ",1k"] {
            let err = parse_pack_spec(bad).unwrap_err().to_string();
            assert!(err.contains("an empty pack between commas"), "{bad}: {err}");
        }
        for (bad, what) in [
            ("3x", "count"),
            ("x3", "size"),
            ("10k×", "count"),
            ("@700", "size"),
        ] {
            let err = parse_pack_spec(bad).unwrap_err().to_string();
            let named = format!("'{bad}' has no pack {what}; write SIZExCOUNT");
            assert!(err.contains(&named), "{bad}: {err}");
        }
        // A size with a thousands separator is not two packs.
        for bad in ["10,000", "1,000,000"] {
            let err = parse_pack_spec(bad).unwrap_err().to_string();
            assert!(err.contains("a comma separates packs here"), "{bad}: {err}");
        }
        // Packs that read as one size too: both ways are told.
        let err = parse_pack_spec("100,100,100").unwrap_err().to_string();
        assert!(
            err.contains("one pack of 100100100 calls (write 100100100) or 3 packs (write 100x3)"),
            "{err}"
        );
        assert_eq!(
            parse_pack_spec("1000,100").unwrap(),
            vec![plain(1000, 1), plain(100, 1)]
        );
        // A price with a thousands separator or a decimal comma is not a
        // price and a pack; a pack after a price is written so that it is not
        // taken for one.
        for (bad, price, pack) in [
            ("100kx3@3,500", "3", "500"),
            ("1k@84,5", "84", "5"),
            ("10k, 1k@1,100", "1", "100"),
            ("1k@¥1,200", "¥1", "200"),
        ] {
            let err = parse_pack_spec(bad).unwrap_err().to_string();
            let told = format!("reads as a price of {price} and then a pack of {pack} calls");
            assert!(err.contains(&told), "{bad}: {err}");
            assert!(
                err.contains(&format!("or that pack as {pack}x1")),
                "{bad}: {err}"
            );
        }
        for fine in [
            "1k@84.5,100x1",
            "1k@84,1k",
            "1k@84, 1000",
            "100,1k@84",
            "1k@84.50,100",
        ] {
            assert!(parse_pack_spec(fine).is_ok(), "{fine}");
        }
        // A full-width comma is no list separator: one size.
        assert_eq!(
            parse_pack_spec("１０，０００").unwrap(),
            vec![plain(10_000, 1)]
        );
    }
}
