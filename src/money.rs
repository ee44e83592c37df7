//! Money and prices as exact decimals, rounded to the fen once where final.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Serialize, Serializer};

use crate::Error;

/// Rounds to the fen (0.01 yuan), half away from zero (四舍五入).
///
/// The one rounding helper of the crate: a bill line, a freeze and a pack
/// purchase are each rounded here once, when final.
pub fn round_fen(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// An amount of money in yuan, always rounded to the fen: held as a whole
/// number of fen, so that sums, comparisons and formatting are integer work.
/// Every amount is also a decimal (at most 96 bits at two, one or no
/// decimals): an operation whose result would not be is refused.
///
/// Serializes as a string with exactly two decimals (`"1200.00"`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i128);

impl Money {
    /// Zero yuan.
    pub const ZERO: Money = Money(0);

    /// Rounds an exact amount to the fen (see [`round_fen`]).
    ///
    /// ```
    /// use ocr_bill::Money;
    /// use rust_decimal::Decimal;
    /// assert_eq!(Money::round(Decimal::new(1125, 3)).to_string(), "1.13"); // not banker's 1.12
    /// ```
    pub fn round(exact: Decimal) -> Money {
        // An amount with two decimals or fewer is its own rounding.
        let d = if exact.scale() <= 2 {
            exact
        } else {
            round_fen(exact)
        };
        // (Scaled in 128 bits: a 96-bit mantissa times 100 fits.)
        Money(d.mantissa() * 10i128.pow(2 - d.scale()))
    }

    /// The amount as a decimal: two decimals, or fewer when the amount
    /// needs all 96 bits of a decimal's mantissa at fewer.
    pub fn decimal(self) -> Decimal {
        decimal_of(self.0).expect("every amount is a decimal (see Money)")
    }

    /// Adds two amounts, refusing an overflow instead of wrapping.
    pub fn checked_add(self, other: Money) -> Result<Money, Error> {
        Money::checked(self.0.checked_add(other.0)).ok_or(Error::Overflow("a sum of amounts"))
    }

    /// Subtracts, refusing an overflow.
    pub fn checked_sub(self, other: Money) -> Result<Money, Error> {
        Money::checked(self.0.checked_sub(other.0))
            .ok_or(Error::Overflow("a difference of amounts"))
    }

    /// Sums amounts, refusing an overflow.
    pub fn checked_sum<I: IntoIterator<Item = Money>>(items: I) -> Result<Money, Error> {
        items
            .into_iter()
            .try_fold(Money::ZERO, |acc, m| acc.checked_add(m))
    }

    /// True when the amount is below zero (arrears).
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// The amount in fen (0.01 yuan).
    pub fn fen(self) -> i128 {
        self.0
    }

    /// An amount of `fen`, a whole number of them (any `u64` is a decimal at
    /// two places).
    pub(crate) fn of_fen(fen: u64) -> Money {
        Money(i128::from(fen))
    }

    /// `calls` calls at a unit price of `fen_price` whole fen: exact, so no
    /// rounding; `None` when the product overflows 64 bits. The same amount as
    /// [`Money::round`] of [`calls_times`] at that price.
    pub(crate) fn calls_at_fen(calls: u64, fen_price: u64) -> Option<Money> {
        calls.checked_mul(fen_price).map(Money::of_fen)
    }

    /// An amount of `fen`, when it is a decimal.
    fn checked(fen: Option<i128>) -> Option<Money> {
        fen.filter(|&f| decimal_of(f).is_some()).map(Money)
    }

    /// Appends the amount with exactly two decimals (`1200.00`, `-0.13`) to `out`,
    /// without allocating (written back to front, then copied; also behind
    /// `Display`).
    pub fn write_to(self, out: &mut Vec<u8>) {
        let mut text = [0; MONEY_BYTES];
        let start = self.write_back(&mut text, MONEY_BYTES);
        out.extend_from_slice(&text[start..]);
    }

    /// Writes the amount with exactly two decimals so that it ends at `end`
    /// of `buf`, and returns where it starts: the one money formatter.
    /// `buf` needs [`MONEY_BYTES`] before `end`.
    #[inline(always)]
    pub(crate) fn write_back(self, buf: &mut [u8], end: usize) -> usize {
        let m = self.0;
        let fen = m.unsigned_abs();
        // Through 64-bit division where the fen fit, being far cheaper than
        // 128-bit.
        let (yuan, cents) = match u64::try_from(fen) {
            Ok(f) => (u128::from(f / 100), (f % 100) as usize),
            Err(_) => (fen / 100, (fen % 100) as usize),
        };
        buf[end - 2..end].copy_from_slice(&PAIRS[2 * cents..2 * cents + 2]);
        buf[end - 3] = b'.';
        let mut start = match u64::try_from(yuan) {
            Ok(y) => digits_back(buf, end - 3, y),
            Err(_) => {
                // The last nineteen digits with their zeros, then the rest (a
                // fen count below 2^128 leaves fewer than 2^64 of those).
                const CHUNK: u128 = 10_000_000_000_000_000_000;
                let (high, low) = ((yuan / CHUNK) as u64, (yuan % CHUNK) as u64);
                let at = end - 3 - 19;
                let low_start = digits_back(buf, end - 3, low);
                buf[at..low_start].fill(b'0');
                digits_back(buf, at, high)
            }
        };
        if m < 0 {
            start -= 1;
            buf[start] = b'-';
        }
        start
    }
}

/// Bytes of an amount's text at most: a sign, 39 digits of the fen (any
/// `i128`) and a point.
pub(crate) const MONEY_BYTES: usize = 41;

/// The two decimal digits of each number below 100.
const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Writes `n` in decimal so that it ends at `end` of `buf`, and returns
/// where it starts (two digits at a time, in place: no buffer of its own to
/// copy from). `buf` needs 20 bytes before `end`.
#[inline(always)]
pub(crate) fn digits_back(buf: &mut [u8], mut end: usize, mut n: u64) -> usize {
    while n >= 10_000 {
        let r = (n % 10_000) as usize;
        n /= 10_000;
        let (high, low) = (r / 100, r % 100);
        buf[end - 2..end].copy_from_slice(&PAIRS[2 * low..2 * low + 2]);
        buf[end - 4..end - 2].copy_from_slice(&PAIRS[2 * high..2 * high + 2]);
        end -= 4;
    }
    let mut n = n as usize;
    if n >= 100 {
        let low = n % 100;
        n /= 100;
        buf[end - 2..end].copy_from_slice(&PAIRS[2 * low..2 * low + 2]);
        end -= 2;
    }
    if n >= 10 {
        buf[end - 2..end].copy_from_slice(&PAIRS[2 * n..2 * n + 2]);
        end - 2
    } else {
        buf[end - 1] = b'0' + n as u8;
        end - 1
    }
}

/// `fen` as a decimal, at the most decimals (of two) that its mantissa's 96
/// bits hold; `None` when none do.
fn decimal_of(fen: i128) -> Option<Decimal> {
    [(1, 2), (10, 1), (100, 0)]
        .into_iter()
        .filter(|&(unit, _)| fen % unit == 0)
        .find_map(|(unit, scale)| Decimal::try_from_i128_with_scale(fen / unit, scale).ok())
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = Vec::with_capacity(24);
        self.write_to(&mut buf);
        f.write_str(std::str::from_utf8(&buf).expect("ASCII digits"))
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Multiplies a call count by a unit price exactly, refusing an overflow.
pub fn calls_times(calls: u64, price: Decimal) -> Result<Decimal, Error> {
    // The product of the integers, at the price's scale, when it fits the 96
    // bits of a decimal (any price of the lists times any realistic count):
    // what `checked_mul` gives, without its general path.
    if let Ok(m) = u128::try_from(price.mantissa()) {
        if let Some(p) = u128::from(calls).checked_mul(m).filter(|&p| p < 1 << 96) {
            // (A zero product has scale 0, as `checked_mul` gives it.)
            let scale = if p == 0 { 0 } else { price.scale() };
            return Ok(Decimal::from_i128_with_scale(p as i128, scale));
        }
    }
    Decimal::from(calls)
        .checked_mul(price)
        // A product with fewer decimals than the price was rounded: refuse it.
        .filter(|x| x.scale() >= price.scale() || x.is_zero())
        .ok_or(Error::Overflow("calls × unit price"))
}

/// A unit price as a whole number of fen, when it is one (`0.15` → 15,
/// `2` → 200); `None` for a price with a fraction of a fen (`0.125`), which
/// only [`round_fen`] can bill, or one below zero or past 64 bits.
pub(crate) fn whole_fen(price: Decimal) -> Option<u64> {
    let fen = price.checked_mul(Decimal::ONE_HUNDRED)?.normalize();
    if fen.scale() != 0 {
        return None;
    }
    u64::try_from(fen.mantissa()).ok()
}

/// Formats a unit price with at least two decimals (`0.15`, `0.10`, `0.125`).
pub fn format_price(price: Decimal) -> String {
    let p = price.normalize();
    if p.scale() < 2 {
        format!("{p:.2}")
    } else {
        p.to_string()
    }
}

/// Serializes an optional unit price as a string with at least two decimals, or null.
pub fn serialize_price<S: Serializer>(price: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
    match price {
        Some(p) => s.collect_str(&format_price(*p)),
        None => s.serialize_none(),
    }
}

/// The price per call of `amount` over `calls`, to four decimals (half away
/// from zero); `None` for no calls. The one per-call rounding of the crate.
pub fn per_call(amount: Money, calls: u64) -> Option<Decimal> {
    (calls > 0).then(|| {
        (amount.decimal() / Decimal::from(calls))
            .round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
    })
}

/// Serializes a per-call price as a string with four decimals, or null.
pub fn serialize_per_call<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(d) => s.collect_str(&format!("{d:.4}")),
        None => s.serialize_none(),
    }
}

/// Serializes a decimal (a ratio or a price) as a plain string.
pub fn serialize_decimal<S: Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format_price(*value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn rounds_half_away_from_zero_not_bankers() {
        assert_eq!(Money::round(d("0.125")).to_string(), "0.13");
        assert_eq!(Money::round(d("0.135")).to_string(), "0.14");
        assert_eq!(Money::round(d("-0.125")).to_string(), "-0.13");
        assert_eq!(Money::round(d("1200")).to_string(), "1200.00");
    }

    #[test]
    fn prices_keep_two_decimals_at_least() {
        assert_eq!(format_price(d("0.1")), "0.10");
        assert_eq!(format_price(d("0.150")), "0.15");
        assert_eq!(format_price(d("0.125")), "0.125");
        assert_eq!(format_price(d("120")), "120.00");
    }

    #[test]
    fn formats_two_decimals() {
        for (v, want) in [
            ("0", "0.00"),
            ("0.5", "0.50"),
            ("-0.13", "-0.13"),
            ("1200", "1200.00"),
            ("900.1", "900.10"),
            ("0.07", "0.07"),
            ("-0.05", "-0.05"),
            ("1", "1.00"),
            ("-1.1", "-1.10"),
            ("10.01", "10.01"),
            // The largest amount in 64 bits of fen, and the next (128-bit).
            ("184467440737095516.15", "184467440737095516.15"),
            ("184467440737095516.16", "184467440737095516.16"),
            ("123456789012345678901234.56", "123456789012345678901234.56"),
        ] {
            assert_eq!(Money::round(d(v)).to_string(), want);
        }
    }

    /// Digits and amounts written backward read as Rust's own formatting
    /// gives them: around every power of ten, at the ends of `u64` and
    /// `i128`, and spread values between.
    #[test]
    fn written_backward_as_formatted_forward() {
        let mut numbers: Vec<u64> = vec![0, u64::MAX, u64::MAX - 1];
        for k in 0..20 {
            let p = 10u64.pow(k);
            numbers.extend([p - 1, p, p + 1]);
        }
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            numbers.push(x >> (x % 64));
        }
        for &n in &numbers {
            let mut buf = [b'x'; 24];
            let start = digits_back(&mut buf, 22, n);
            assert_eq!(&buf[start..22], n.to_string().as_bytes());
            assert_eq!(&buf[22..], b"xx", "nothing written after the end");
        }
        let mut fens: Vec<i128> = vec![i128::MIN, i128::MAX, i128::MIN + 1, 0, -1, 1];
        for &n in &numbers {
            let n = i128::from(n);
            fens.extend([n, -n, n * 100 + 7, n * 1_000_000_000_000_000_000 + n]);
        }
        for fen in fens {
            let sign = if fen < 0 { "-" } else { "" };
            let abs = fen.unsigned_abs();
            let want = format!("{sign}{}.{:02}", abs / 100, abs % 100);
            let mut buf = [b'x'; MONEY_BYTES + 2];
            let start = Money(fen).write_back(&mut buf, MONEY_BYTES);
            assert_eq!(&buf[start..MONEY_BYTES], want.as_bytes(), "{fen}");
            assert_eq!(Money(fen).to_string(), want);
        }
    }

    #[test]
    fn overflow_is_refused() {
        assert!(calls_times(u64::MAX, Decimal::MAX).is_err());
        let big = Money::round(Decimal::MAX);
        assert!(big.checked_add(big).is_err());
    }

    /// An amount is held in fen and is always a decimal again: the largest
    /// decimals round-trip, and a sum that no decimal holds to the fen is
    /// refused rather than rounded.
    #[test]
    fn amounts_are_decimals_and_sums_beyond_them_refused() {
        for v in [
            "79228162514264337593543950335",
            "7922816251426433759354395033.5",
            "792281625142643375935439503.35",
            "-792281625142643375935439503.35",
            "0.01",
        ] {
            assert_eq!(Money::round(d(v)).decimal(), d(v), "{v}");
        }
        let top = Money::round(d("792281625142643375935439503.35"));
        let fen = Money::round(d("0.01"));
        assert!(top.checked_add(fen).is_err());
        assert_eq!(
            top.checked_sub(fen).unwrap().to_string(),
            "792281625142643375935439503.34"
        );
        assert!(Money::round(d("-792281625142643375935439503.35"))
            .checked_sub(fen)
            .is_err());
        // A sum kept at fewer decimals where it fits there.
        let whole = Money::round(d("39614081257132168796771975167"));
        assert_eq!(
            whole.checked_add(whole).unwrap().decimal(),
            d("79228162514264337593543950334")
        );
    }

    /// The integer path gives what `checked_mul` gives, value and scale, up to
    /// where the product leaves 96 bits (and the general path takes over).
    #[test]
    fn calls_times_is_checked_mul() {
        let general = |calls: u64, price: Decimal| {
            Decimal::from(calls)
                .checked_mul(price)
                .filter(|x| x.scale() >= price.scale() || x.is_zero())
        };
        let prices = [
            "0",
            "0.15",
            "0.0075",
            "1.20",
            "12.3456789",
            "0.0000000000000000000000000001",
            "79228162514264337593543950335",
            "4294967296.5",
        ];
        for price in prices.map(d) {
            let m = price.mantissa().unsigned_abs();
            let edge = ((1u128 << 96) / m.max(1)).min(u128::from(u64::MAX)) as u64;
            for calls in [
                0,
                1,
                9_000,
                1_000_001,
                edge.saturating_sub(1),
                edge,
                edge.saturating_add(1),
                u64::MAX,
            ] {
                let fast = calls_times(calls, price).ok();
                let want = general(calls, price);
                assert_eq!(fast, want, "{calls} × {price}");
                if let (Some(f), Some(w)) = (fast, want) {
                    assert_eq!(f.scale(), w.scale(), "{calls} × {price}");
                }
            }
        }
    }

    /// An amount kept at scale 0 or 1 (an integer price) is still written and
    /// counted in fen, up to the largest decimal.
    #[test]
    fn amounts_of_any_scale_are_fen() {
        for (v, text, fen) in [
            ("27000", "27000.00", 2_700_000),
            ("0.5", "0.50", 50),
            ("-3", "-3.00", -300),
            ("0", "0.00", 0),
            (
                "1000000000000000000000000000",
                "1000000000000000000000000000.00",
                100_000_000_000_000_000_000_000_000_000,
            ),
            (
                "79228162514264337593543950335",
                "79228162514264337593543950335.00",
                7_922_816_251_426_433_759_354_395_033_500,
            ),
        ] {
            let m = Money::round(d(v));
            assert_eq!(m.to_string(), text, "{v}");
            assert_eq!(m.fen(), fen, "{v}");
        }
    }
}
