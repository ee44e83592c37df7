//! Calendar months, and the dates and timestamps usage files carry them in.
//!
//! Tier reaching looks at a calendar month's total, so every date form is read
//! down to its month: `2025-06`, `2025/6`, `202506`, `2025年6月`, and days or
//! times within a month: `2025-06-15`, `2025/6/15`, `2025-06-15 13:45:00`,
//! `2025-06-15T13:45:00Z`, `20250615`, `20250615134500`, dates named in
//! English (`Jan 2026`, `5-Jan-2026`, `Jan 5, 2026 1:45 PM`), and Unix times
//! (`1749966300`, or in milliseconds `1749966300000`). A timestamp that names
//! its zone, and a Unix time, is read on the bill's clock, China Standard
//! Time (UTC+8).

use std::fmt;

use serde::{Serialize, Serializer};

/// Months from `from` to `until`, either end open (`--from`, `--until`): the
/// one test of whether a month is chosen, and its wording in messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Months {
    /// The first month, if any.
    pub from: Option<Month>,
    /// The last month, if any.
    pub until: Option<Month>,
}

impl Months {
    /// Whether either end is set.
    pub fn limited(self) -> bool {
        self.from.is_some() || self.until.is_some()
    }

    /// Whether `month` is one of them.
    #[inline]
    pub fn contains(self, month: Month) -> bool {
        self.from.is_none_or(|f| f <= month) && self.until.is_none_or(|u| month <= u)
    }

    /// The months chosen, for a message: `from 2026-01 to 2026-06`, `from
    /// 2026-01 on`, `until 2026-06` (empty when all are).
    pub fn window(self) -> String {
        match (self.from, self.until) {
            (Some(f), Some(u)) => format!("from {f} to {u}"),
            (Some(f), None) => format!("from {f} on"),
            (None, Some(u)) => format!("until {u}"),
            (None, None) => String::new(),
        }
    }

    /// Where the months not chosen are, for a message: `outside 2026-01 to
    /// 2026-06`, `before 2026-01`, `after 2026-06` (empty when all are chosen).
    pub fn beyond(self) -> String {
        match (self.from, self.until) {
            (Some(f), Some(u)) => format!("outside {f} to {u}"),
            (Some(f), None) => format!("before {f}"),
            (None, Some(u)) => format!("after {u}"),
            (None, None) => String::new(),
        }
    }
}

/// A calendar month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month(u32);

/// What a date field held: its month, and whether it named a day (or a
/// moment) within the month rather than the month itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dated {
    /// The calendar month.
    pub month: Month,
    /// The text named a day or a time, not a whole month.
    pub has_day: bool,
}

impl Month {
    /// The first month there is (1000-01): a placeholder for a single month's
    /// packs, whose expiry does not matter.
    pub const FIRST: Month = Month(1000 * 12);

    /// The month of year `year` (1000–9999) and month `month` (1–12).
    pub fn new(year: u32, month: u32) -> Option<Month> {
        ((1000..=9999).contains(&year) && (1..=12).contains(&month))
            .then(|| Month(year * 12 + month - 1))
    }

    /// The year.
    pub fn year(self) -> u32 {
        self.0 / 12
    }

    /// The month of the year, 1–12.
    pub fn month(self) -> u32 {
        self.0 % 12 + 1
    }

    /// Parses a month or a date within one, rolled up to its month.
    ///
    /// ```
    /// use ocr_bill::Month;
    /// for text in ["2026-12", "2026/12", "202612", "2026-12-31", "2026/12/1 08:00", "20261231", "２０２６－１２"] {
    ///     assert_eq!(Month::parse(text).unwrap().to_string(), "2026-12");
    /// }
    /// assert_eq!(Month::parse("2026-12").unwrap().next().to_string(), "2027-01");
    /// assert!(Month::parse("2026-02-30").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Month, String> {
        Month::parse_dated(text).map(|d| d.month)
    }

    /// Parses a month or a date within one, telling which it was. Full-width
    /// digits and signs, as a Chinese input method types them (`２０２６－０１`),
    /// are read as the ASCII ones.
    pub fn parse_dated(text: &str) -> Result<Dated, String> {
        let folded: String;
        let plain = if text.is_ascii() {
            text.trim()
        } else {
            folded = text.chars().map(crate::parse::half_width).collect();
            folded.trim()
        };
        parse_dated(plain).ok_or_else(|| {
            // A spreadsheet writes a date as its serial number (days since
            // 1899-12-30) from a column formatted as General: 45823 for
            // 2025-06-15. Said so for the years 2000 to 2099, never guessed.
            let serial = plain
                .parse::<u32>()
                .is_ok_and(|n| (36_526..=73_050).contains(&n));
            // `6/15/2025` or `15/6/2025`: which number is the month is not
            // told by the text (and `6/5/2025` is June or May).
            let parts: Vec<&str> = plain.split(['/', '.', '-']).collect();
            let day_month_year = matches!(parts[..], [d, m, y]
                if number(d, 1, 2).is_some()
                    && number(m, 1, 2).is_some()
                    && number(y, 4, 4).is_some());
            // `Jun-25`: Excel shows a date so as `mmm-yy` (June 2025) and as
            // `mmm-dd`/`d-mmm` (June 25th, no year): never guessed.
            let named = |p: &str| month_of_name(p).is_some();
            let short: Vec<&str> = plain
                .split(['/', '.', '-', ' ', ','])
                .filter(|p| !p.is_empty())
                .collect();
            let two = |p: &str| number(p, 1, 2).is_some();
            let short_year = matches!(short[..], [a, b]
                if (named(a) && two(b)) || (named(b) && two(a)));
            // `5-Jan-26`: a day, but of 2026 or of 1926?
            let short_date = matches!(short[..], [a, b, c]
                if two(c) && ((two(a) && named(b)) || (named(a) && two(b))));
            // `1月`, `January`: which year is not said.
            let no_year = without_year(plain);
            // Ten digits that are both (see `digits_only`).
            let two_ways = plain.len() == 10
                && !plain.starts_with('0')
                && plain.bytes().all(|b| b.is_ascii_digit());
            let hint = if plain.is_empty() {
                "; the cell is empty: every row needs its month (a merged cell of a spreadsheet \
                 leaves the rows below its first empty: fill them in)"
            } else if serial {
                "; it looks like a spreadsheet's date serial number: format the column as a \
                 date and export again"
            } else if day_month_year {
                "; a date with the year last does not tell its day from its month \
                 (6/5/2025 is June or May): write the year first, as 2025-06-05"
            } else if two_ways {
                "; ten digits read both as a Unix time and as yyyymmddhh: write the date \
                 with separators (2026-01-15 13:00) or the Unix time in milliseconds"
            } else if no_year {
                "; a month without its year: write the year too, as 2026-01"
            } else if short_date {
                "; a year of two digits: write it with four (5-Jan-2026), or format the \
                 column as yyyy-mm-dd and export again"
            } else if short_year {
                "; a month's name with two digits (Jun-25, 25-Jun) is June 2025 or June 25th, \
                 as a spreadsheet shows a date formatted mmm-yy or d-mmm: format the column as \
                 yyyy-mm and export again"
            } else {
                ""
            };
            format!(
                "month '{text}' is not YYYY-MM (2026-01) or a date within a month \
                 (2026-01-15, 2026/1/15, 20260115, 2026-01-15 13:45:00){hint}"
            )
        })
    }

    /// Whether a header's name is a month, with its year or without
    /// (`2026-01`, `2026年1月`, `1月`, `Jan`): a table whose months are
    /// columns.
    pub fn names_a_month(text: &str) -> bool {
        let plain: String = text.chars().map(crate::parse::half_width).collect();
        Month::named_by(text).is_some() || without_year(plain.trim())
    }

    /// The month a column's name names, with its year (`2026-01`,
    /// `2026年1月`, a day within it): a calendar's words, never a Unix time
    /// or a timestamp of digits alone (a column named `1000012345` is an
    /// account's, not a moment's).
    pub fn named_by(header: &str) -> Option<Month> {
        let folded: String = header.chars().map(crate::parse::half_width).collect();
        let plain = folded.trim();
        let moment = plain.len() >= 10 && plain.bytes().all(|b| b.is_ascii_digit());
        (!moment).then(|| Month::parse(plain).ok()).flatten()
    }

    /// The month after.
    pub fn next(self) -> Month {
        Month(self.0 + 1)
    }

    /// The month `n` months later (saturating far beyond any real date).
    pub fn plus(self, n: u32) -> Month {
        Month(self.0.saturating_add(n))
    }

    /// Months from `self` to `later` (0 for the same month; negative before).
    pub fn months_until(self, later: Month) -> i64 {
        i64::from(later.0) - i64::from(self.0)
    }
}

fn days_in(year: u32, month: u32) -> u32 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A month named without its year (`1月`, `Jan`, `January`).
fn without_year(plain: &str) -> bool {
    match plain.strip_suffix('月') {
        Some(m) => number(m, 1, 2).is_some_and(|m| (1..=12).contains(&m)),
        None => month_of_name(plain).is_some(),
    }
}

fn number(digits: &str, min_len: usize, max_len: usize) -> Option<u32> {
    ((min_len..=max_len).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// The offset from UTC of the clock that Tencent Cloud's bill months follow:
/// China Standard Time (UTC+8). A timestamp that names its own zone (`Z`,
/// `+00:00`, `-05:00`) is read on this clock; one without a zone as it stands.
pub const BILL_CLOCK_UTC_OFFSET_MINUTES: i32 = 8 * 60;

/// A time of day, `HH:MM[:SS[.fff]]`, and its zone if it names one (`Z`,
/// `±HH:MM`, `±HHMM`, `±HH`, or `UTC` / `GMT` after a space, with such an
/// offset or one of `±H`: `13:45:00 UTC`, `13:45 GMT+8`): minutes into the day
/// and the zone's offset.
fn clock_and_zone(time: &str) -> Option<(i32, Option<i32>)> {
    let named = time
        .as_bytes()
        .windows(3)
        .position(|name| name.eq_ignore_ascii_case(b"UTC") || name.eq_ignore_ascii_case(b"GMT"));
    let (clock, zone) = if let Some(at) = named {
        let offset = match &time[at + 3..] {
            "" => 0,
            offset => zone_offset(offset, 1)?,
        };
        (time[..at].trim_end(), Some(offset))
    } else if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        (clock, Some(0))
    } else if let Some(at) = time.rfind(['+', '-']) {
        // (`13:45:00 +0800`, as Go and many logs write it.)
        (time[..at].trim_end(), Some(zone_offset(&time[at..], 2)?))
    } else {
        (time, None)
    };
    Some((time_of_day(clock)?, zone))
}

/// Minutes into the day of a time: `HH:MM[:SS[.fff]]` or, as Chinese Excel
/// and WPS format it, `H时M分[S秒]`; on a 12-hour clock after `上午` / `下午`
/// or before `AM` / `PM` (`下午1:45`, `1:45 PM`).
fn time_of_day(clock: &str) -> Option<i32> {
    let (clock, afternoon) = twelve_hour(clock);
    let clock = match clock.split_once('.') {
        Some((clock, fraction)) => {
            number(fraction, 1, 9)?;
            clock
        }
        None => clock,
    };
    // Hours, minutes and maybe seconds, each of one or two digits.
    let (body, separators, fields): (&str, &[char], _) = if clock.contains('时') {
        match clock.strip_suffix('秒') {
            Some(body) => (body, &['时', '分'], 3..=3),
            None => (clock.strip_suffix('分')?, &['时'], 2..=2),
        }
    } else {
        (clock, &[':'], 2..=3)
    };
    let mut values = [0u32; 3];
    let mut count = 0;
    for part in body.split(separators) {
        *values.get_mut(count)? = number(part, 1, 2).filter(|&v| v < 60)?;
        count += 1;
    }
    if !fields.contains(&count) {
        return None;
    }
    let [h, m, _] = values;
    let h = match afternoon {
        None if h < 24 => h,
        // 12 AM is midnight, 12 PM noon.
        Some(pm) if (1..=12).contains(&h) => h % 12 + if pm { 12 } else { 0 },
        _ => return None,
    };
    Some((h * 60 + m) as i32)
}

/// A time on a 12-hour clock, less its marker, and whether it is after noon;
/// any other time as it is.
fn twelve_hour(clock: &str) -> (&str, Option<bool>) {
    for (marker, pm) in [("上午", false), ("下午", true)] {
        if let Some(rest) = clock.strip_prefix(marker) {
            return (rest.trim_start(), Some(pm));
        }
    }
    let at = clock.len().saturating_sub(2);
    match (clock.get(..at), clock.get(at..)) {
        (Some(rest), Some(marker)) if !rest.is_empty() => {
            if marker.eq_ignore_ascii_case("AM") {
                (rest.trim_end(), Some(false))
            } else if marker.eq_ignore_ascii_case("PM") {
                (rest.trim_end(), Some(true))
            } else {
                (clock, None)
            }
        }
        _ => (clock, None),
    }
}

/// A zone's offset from UTC in minutes, from its sign and hours (at least
/// `min_hour_digits` digits), then minutes if any: `+08:00`, `+0800`, `-05`.
fn zone_offset(zone: &str, min_hour_digits: usize) -> Option<i32> {
    let (sign, zone) = (zone.get(..1)?, zone.get(1..)?);
    let (hours, minutes) = match zone.split_once(':') {
        Some((h, m)) => (h, m),
        None if zone.len() == 4 && zone.is_ascii() => zone.split_at(2),
        None => (zone, "00"),
    };
    let hours = number(hours, min_hour_digits, 2).filter(|&h| h <= 14)?;
    let minutes = number(minutes, 2, 2).filter(|&m| m < 60)?;
    let offset = (hours * 60 + minutes) as i32;
    match sign {
        "+" => Some(offset),
        "-" => Some(-offset),
        _ => None,
    }
}

/// The 0-based number of a month's English name or its abbreviation
/// (`June`, `jun`, `Sept.` less its point), ASCII case ignored.
fn month_of_name(name: &str) -> Option<usize> {
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let name = name.to_ascii_lowercase();
    NAMES.iter().position(|full| {
        name == *full || name == full[..3] || (name == "sept" && *full == "september")
    })
}

/// A month or a day named in English with its year, as a spreadsheet set to
/// English shows one: a month (`Jan 2026`, `January 2026`, `Jan-2026`,
/// `2026 Jan`) or a day (`5-Jan-2026`, `5 January 2026`, `Jan 5, 2026`,
/// `2026-Jan-05`), a day maybe with a time after it (`5-Jan-2026 13:45`,
/// `Jan 5, 2026 1:45 PM`). A two-digit year (`Jan-26`, `5-Jan-26`) is none:
/// it reads as a day too.
fn english_date(t: &str) -> Option<Dated> {
    if !t.bytes().any(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    // The words of the date, and where each ends; a time after it keeps its
    // own separators.
    let mut words: Vec<(&str, usize)> = Vec::with_capacity(3);
    let mut start = None;
    for (at, c) in t.char_indices().chain([(t.len(), ' ')]) {
        let separator = matches!(c, ' ' | '-' | '.' | ',' | '/');
        match (start, separator) {
            (None, false) => start = Some(at),
            (Some(from), true) => {
                words.push((&t[from..at], at));
                start = None;
                if words.len() == 3 {
                    break;
                }
            }
            _ => {}
        }
    }
    let year = |w: &str| number(w, 4, 4);
    let day = |w: &str| number(w, 1, 2);
    let (name, year, day, end) = match words[..] {
        [(a, _), (b, end)] => match (year(a), year(b)) {
            (Some(y), None) => (b, y, None, end),
            (None, Some(y)) => (a, y, None, end),
            _ => return None,
        },
        [(a, _), (b, _), (c, end)] => match (day(a), month_of_name(b), month_of_name(a)) {
            (Some(d), Some(_), _) => (b, year(c)?, Some(d), end),
            (None, None, Some(_)) => (a, year(c)?, Some(day(b)?), end),
            (None, Some(_), None) => (b, year(a)?, Some(day(c)?), end),
            _ => return None,
        },
        _ => return None,
    };
    let month = month_of_name(name)? as u32 + 1;
    let rest = t[end..].trim_start_matches([' ', ',']);
    let clock = match (rest, day) {
        ("", _) => None,
        (time, Some(_)) => Some(clock_and_zone(time)?),
        (_, None) => return None,
    };
    on_the_bill_clock(year, month, day, clock)
}

fn parse_dated(t: &str) -> Option<Dated> {
    if let Some(dated) = english_date(t) {
        return Some(dated);
    }
    if let Some(dated) = digits_only(t) {
        return dated;
    }
    // A time of day after the date: `2025-06-15 13:45:00`, `…T13:45:00Z`.
    let (date, time) = match t.find([' ', 'T']) {
        Some(at) => (&t[..at], Some(t[at + 1..].trim())),
        None => (t, None),
    };
    let clock = match time {
        Some(time) => Some(clock_and_zone(time)?),
        None => None,
    };
    let date = date
        .strip_suffix('日')
        .or_else(|| date.strip_suffix('月'))
        .unwrap_or(date);
    let parts: Vec<&str> = date.split(['-', '/', '.', '年', '月']).collect();
    let (year, month, day) = match parts.as_slice() {
        // (Sliced by bytes: only ASCII, which `number` then reads as digits.)
        [compact] if compact.len() == 8 && compact.is_ascii() => (
            number(&compact[..4], 4, 4)?,
            number(&compact[4..6], 2, 2)?,
            Some(number(&compact[6..], 2, 2)?),
        ),
        [compact] if compact.len() == 6 && compact.is_ascii() => (
            number(&compact[..4], 4, 4)?,
            number(&compact[4..], 2, 2)?,
            None,
        ),
        // `01/2026`, `1.2026`: a month before its year, as a spreadsheet
        // shows a date formatted mm/yyyy (the year's four digits tell which is
        // which).
        [m, y] if m.len() <= 2 && y.len() == 4 => (number(y, 4, 4)?, number(m, 1, 2)?, None),
        [y, m] => (number(y, 4, 4)?, number(m, 1, 2)?, None),
        [y, m, d] => (number(y, 4, 4)?, number(m, 1, 2)?, Some(number(d, 1, 2)?)),
        _ => return None,
    };
    on_the_bill_clock(year, month, day, clock)
}

/// The month of a date, and of a moment on it at `clock` (minutes into the
/// day, and its zone if it names one), on the bill's clock.
fn on_the_bill_clock(
    year: u32,
    month: u32,
    day: Option<u32>,
    clock: Option<(i32, Option<i32>)>,
) -> Option<Dated> {
    let mut m = Month::new(year, month)?;
    if let Some(d) = day {
        if d == 0 || d > days_in(year, month) {
            return None;
        }
    }
    if let Some((minutes, zone)) = clock {
        let day = day?;
        // On the bill's clock the moment may fall on the day before or after,
        // and so in the month before or after.
        if let Some(zone) = zone {
            let local = minutes - zone + BILL_CLOCK_UTC_OFFSET_MINUTES;
            if local >= 24 * 60 && day == days_in(year, month) {
                m = m.next();
            } else if local < 0 && day == 1 {
                m = Month(m.0.checked_sub(1)?);
            }
            Month::new(m.year(), m.month())?;
        }
    }
    Some(Dated {
        month: m,
        has_day: day.is_some(),
    })
}

/// A date or moment written as digits alone, beyond `yyyymm` and
/// `yyyymmdd`: `yyyymmddhhmm[ss]` (as it stands), or a Unix time in seconds
/// or milliseconds, 10 or 13 digits (a moment in UTC, read on the bill's
/// clock). `Some(None)`: digits that are no date, or that read two ways (ten
/// digits that are a Unix time and `yyyymmddhh` too). `None`: not such digits.
fn digits_only(t: &str) -> Option<Option<Dated>> {
    if !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let compact = |t: &str| -> Option<Dated> {
        let (year, month, day) = (
            number(&t[..4], 4, 4)?,
            number(&t[4..6], 2, 2)?,
            number(&t[6..8], 2, 2)?,
        );
        let month_of = Month::new(year, month)?;
        if day == 0 || day > days_in(year, month) {
            return None;
        }
        // Hours, minutes and seconds after the date, two digits each.
        let clock: Vec<u32> = t.as_bytes()[8..]
            .chunks(2)
            .map(|pair| u32::from(pair[0] - b'0') * 10 + u32::from(pair[1] - b'0'))
            .collect();
        let fits = clock.first().is_none_or(|&h| h < 24) && clock.iter().skip(1).all(|&v| v < 60);
        fits.then_some(Dated {
            month: month_of,
            has_day: true,
        })
    };
    match t.len() {
        12 | 14 => Some(compact(t)),
        // A year of this era (1712011512 is a Unix time of 2024, not a date
        // of 1712).
        10 if compact(t).is_some_and(|d| (1900..2100).contains(&d.month.year())) => Some(None),
        // (From 2001-09-09 on: a Unix time of zero is a missing one.)
        10 | 13 if !t.starts_with('0') => {
            let seconds = t.parse::<i64>().ok()? / if t.len() == 13 { 1000 } else { 1 };
            let local = seconds + i64::from(BILL_CLOCK_UTC_OFFSET_MINUTES) * 60;
            let (year, month) = civil_month(local.div_euclid(86_400));
            Some(Month::new(year, month).map(|month| Dated {
                month,
                has_day: true,
            }))
        }
        _ => None,
    }
}

/// The year and month of a day counted from 1970-01-01 (day 0), in the
/// proleptic Gregorian calendar (Howard Hinnant's `civil_from_days`).
fn civil_month(days: i64) -> (u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (u32::try_from(year).unwrap_or(0), month as u32)
}

impl std::str::FromStr for Month {
    type Err = String;
    fn from_str(s: &str) -> Result<Month, String> {
        Month::parse(s)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_date_form_rolls_up_to_its_month() {
        for (text, month, has_day) in [
            ("2025-06", "2025-06", false),
            ("2025/6", "2025-06", false),
            ("202506", "2025-06", false),
            ("2025年6月", "2025-06", false),
            ("06/2025", "2025-06", false),
            ("6.2025", "2025-06", false),
            ("12-2025", "2025-12", false),
            ("2025-06-15", "2025-06", true),
            ("2025/6/15", "2025-06", true),
            ("2025.06.15", "2025-06", true),
            ("2025年6月15日", "2025-06", true),
            ("20250615", "2025-06", true),
            ("2025-06-15 13:45:00", "2025-06", true),
            ("2025-06-15 13:45", "2025-06", true),
            ("2025-06-15T13:45:00Z", "2025-06", true),
            ("2025-06-15T13:45:00.123+08:00", "2025-06", true),
            (" 2024-02-29 ", "2024-02", true),
            // A moment with a zone falls in the month of the bill's clock (UTC+8).
            ("2025-06-30T15:59:59Z", "2025-06", true),
            ("2025-06-30T16:00:00Z", "2025-07", true),
            ("2025-06-30 16:00:00+00:00", "2025-07", true),
            ("2025-12-31T20:00:00.5Z", "2026-01", true),
            ("2025-07-01T00:30:00+09:00", "2025-06", true),
            ("2025-06-30T16:00:00+0000", "2025-07", true),
            ("2025-06-30T15:59:00+00", "2025-06", true),
            ("2024-02-29T23:00:00-05:00", "2024-03", true),
            ("2025-06-30 23:59:59", "2025-06", true),
            ("2025-06-30T23:59:59+08:00", "2025-06", true),
            // An offset after a space, as Go and many logs write it.
            ("2025-06-30 16:00:00 +0000", "2025-07", true),
            ("2025-07-01 00:30:00 +09:00", "2025-06", true),
            // A zone named as UTC or GMT, as databases and logs write it.
            ("2025-06-30 16:00:00 UTC", "2025-07", true),
            ("2025-06-30 15:59:59 utc", "2025-06", true),
            ("2025-06-30 16:00:00.000 GMT", "2025-07", true),
            ("2025-06-30 23:30 GMT+8", "2025-06", true),
            ("2025-06-30 23:30 UTC+08:00", "2025-06", true),
            ("2025-07-01 00:30:00 UTC+9", "2025-06", true),
            ("2025-06-30T16:00:00UTC", "2025-07", true),
            // A 12-hour clock, and hours and minutes in Chinese, as Chinese
            // Excel and WPS format a date and time.
            ("2025/6/15 下午1:45", "2025-06", true),
            ("2025/6/15 上午 12:05:09", "2025-06", true),
            ("2025/6/15 1:45 PM", "2025-06", true),
            ("2025/6/15 12:00am", "2025-06", true),
            ("2025年6月15日 13时45分", "2025-06", true),
            ("2025年6月15日 13时45分30秒", "2025-06", true),
            ("2025年6月15日 下午1时45分", "2025-06", true),
            // (A zone still moves the moment: 11 PM in UTC is July 1 at 7 AM.)
            ("2025-06-30 11:00 PM UTC", "2025-07", true),
        ] {
            let d = Month::parse_dated(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(d.month.to_string(), month, "{text}");
            assert_eq!(d.has_day, has_day, "{text}");
        }
    }

    #[test]
    fn impossible_dates_are_refused_naming_the_value() {
        for text in [
            "2025-13",
            "2025-00",
            "2025-02-29",
            "2025-06-31",
            "2025-06-15 25:00",
            "0999-01",
            "2025",
            "25-06",
            "13/2025",
            "00/2025",
            "6/25",
            "006/2025",
            "2025-6-1-1",
            "abc",
            "",
            "2025-06 13:00",
            "20250631",
            "2025-06-15x",
            "2025-06-15T13:45:00+8",
            "2025-06-15 13:45 UTC+15",
            "2025-06-15 13:45 PM",
            "2025-06-15 0:45 AM",
            "2025-06-15 下午13:45",
            "2025-06-15 13时",
            "2025-06-15 13时45",
            "2025-06-15 13时45秒",
            "2025-06-15 13时45分30",
            "2025-06-15 13时45分30秒5",
            "2025-06-15 13:45:30:10",
            "2025-06-15 PM",
            "2025-06-15 上午",
            "2025-06-15 13:45 UTC+",
            "2025-06-15 13:45 GMT8",
            "2025-06-15 13:45 UTCX",
            "2025-06-15 13:45 EST",
            "2025-06-15 UTC",
            "2025-06-15T13:45:00+15:00",
            "2025-06-15T13:45:00.Z",
            "2025-06-15T13:45:00-05:60",
            "9999-12-31T20:00:00Z",
            "1000-01-01T00:30:00+09:00",
            // Six or eight bytes that are not all ASCII: no compact date.
            "合计",
            "2025年份",
            "二〇二五〇六",
        ] {
            let err = Month::parse(text).unwrap_err();
            assert!(err.contains(&format!("'{text}'")), "{text}: {err}");
        }
    }

    /// A month's name with two digits is a year or a day: said, never guessed.
    #[test]
    fn a_two_digit_year_or_day_is_named_never_guessed() {
        for text in ["Jan-26", "26-Jan", "Jun 25", "june/25"] {
            let err = Month::parse(text).unwrap_err();
            assert!(err.contains("is June 2025 or June 25th"), "{text}: {err}");
        }
        assert!(!Month::parse("2025-06-15x")
            .unwrap_err()
            .contains("June 25th"));
        for text in ["", "  "] {
            let err = Month::parse(text).unwrap_err();
            assert!(err.contains("the cell is empty"), "{text}: {err}");
        }
        for text in ["1月", "12月", "１２月", "January", "jan"] {
            let err = Month::parse(text).unwrap_err();
            assert!(err.contains("a month without its year"), "{text}: {err}");
        }
        for text in ["hello", "abc-12", "13月"] {
            let err = Month::parse(text).unwrap_err();
            assert!(
                !err.contains("without its year") && !err.contains("25th"),
                "{text}: {err}"
            );
        }
    }

    /// Full-width digits are read as a Chinese input method means them.
    #[test]
    fn full_width_dates_are_read_as_ascii_ones() {
        for (text, month) in [
            ("２０２５０６", "2025-06"),
            ("２０２５／６／１５　１３：４５", "2025-06"),
        ] {
            assert_eq!(Month::parse(text).unwrap().to_string(), month, "{text}");
        }
    }

    /// Timestamps of digits alone: `yyyymmddhhmm[ss]` as it stands, and Unix
    /// times (seconds or milliseconds, UTC) on the bill's clock, UTC+8.
    #[test]
    fn compact_timestamps_and_unix_times_roll_up_to_their_month() {
        for (text, month) in [
            ("20250615134500", "2025-06"),
            ("202506151345", "2025-06"),
            ("20251231235959", "2025-12"),
            // 2026-01-01T00:00:00Z: 08:00 in Beijing.
            ("1767225600", "2026-01"),
            ("1767225600000", "2026-01"),
            // 2026-01-31T15:59:59Z and 16:00:00Z: either side of midnight in Beijing.
            ("1769875199", "2026-01"),
            ("1769875200", "2026-02"),
            ("1769875199999", "2026-01"),
            ("1769875200000", "2026-02"),
            // 2024-02-29T16:00:00Z, a leap day's evening: March in Beijing.
            ("1709222400", "2024-03"),
            ("１７６７２２５６００", "2026-01"),
        ] {
            let d = Month::parse_dated(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(
                (d.month.to_string(), d.has_day),
                (month.into(), true),
                "{text}"
            );
        }
        // Not a date and time, a zero (missing) Unix time, other lengths.
        for text in [
            "20251332000000",
            "20250615240000",
            "20250615136000",
            "202506151360",
            "0000000000",
            "0767225600000",
            "17672256000",
            "176722560",
        ] {
            let err = Month::parse(text).unwrap_err();
            assert!(!err.contains("both"), "{text}: {err}");
        }
        // A Unix time of these years whose digits would be a date of the
        // 18th century is a Unix time: 2024-04-01T22:45:12Z.
        assert_eq!(Month::parse("1712011512").unwrap().to_string(), "2024-04");
        // Ten digits that are yyyymmddhh too are refused, saying why.
        let err = Month::parse("2026011513").unwrap_err();
        assert!(
            err.contains("both as a Unix time and as yyyymmddhh"),
            "{err}"
        );
        // A column's name is a month by a calendar's words, never by digits
        // alone that would be a moment (an account's number).
        assert_eq!(
            Month::named_by("2026-01").map(|m| m.to_string()),
            Some("2026-01".into())
        );
        assert_eq!(
            Month::named_by(" 202601 ").map(|m| m.to_string()),
            Some("2026-01".into())
        );
        for header in [
            "1767225600",
            "1000012345",
            "202601151345",
            "１７６７２２５６００",
        ] {
            assert_eq!(Month::named_by(header), None, "{header}");
            assert!(!Month::names_a_month(header), "{header}");
        }
    }

    #[test]
    fn a_date_serial_number_is_named_never_guessed() {
        let err = Month::parse("45823").unwrap_err();
        assert!(err.contains("date serial number"), "{err}");
        let err = Month::parse("12345").unwrap_err();
        assert!(!err.contains("serial"), "{err}");
    }

    /// A month named in English with a four-digit year is read; a two-digit
    /// year, or a date with the year last, is refused, the latter saying why.
    #[test]
    fn english_month_names_and_year_last_dates() {
        for text in [
            "Jan 2026",
            "January 2026",
            "jan-2026",
            "2026 Jan",
            "JAN. 2026",
            "Jan, 2026",
        ] {
            let d = Month::parse_dated(text).unwrap();
            assert_eq!(
                (d.month.to_string(), d.has_day),
                ("2026-01".into(), false),
                "{text}"
            );
        }
        assert_eq!(
            Month::parse_dated("Sept 2025").unwrap().month.to_string(),
            "2025-09"
        );
        assert_eq!(
            Month::parse_dated("May 2025").unwrap().month.to_string(),
            "2025-05"
        );
        for text in ["Jan-26", "Janu 2026", "Jan 2026 Feb", "Jan"] {
            assert!(Month::parse_dated(text).is_err(), "{text}");
        }
        // A day named so, as Excel set to English shows a date (d-mmm-yyyy,
        // mmm d, yyyy), maybe with its time.
        for text in [
            "5-Jan-2026",
            "05-Jan-2026",
            "5 January 2026",
            "Jan 5, 2026",
            "January 5 2026",
            "2026-Jan-05",
            "5-Jan-2026 13:45",
            "Jan 5, 2026 1:45 PM",
            "31-jan-2026 23:59:59",
        ] {
            let d = Month::parse_dated(text).unwrap();
            assert_eq!(
                (d.month.to_string(), d.has_day),
                ("2026-01".into(), true),
                "{text}"
            );
        }
        // A moment in another zone, on the bill's clock (UTC+8).
        for (text, month) in [
            ("31-Jan-2026 16:00 UTC", "2026-02"),
            ("31-Jan-2026 15:59 UTC", "2026-01"),
            ("Feb 1, 2026 00:30 +09:00", "2026-01"),
        ] {
            assert_eq!(Month::parse(text).unwrap().to_string(), month, "{text}");
        }
        // No such day, a time that is none, a time after a month, a word too many.
        for text in [
            "30-Feb-2026",
            "32-Jan-2026",
            "0-Jan-2026",
            "5-Jan-2026 25:00",
            "5-Jan-2026x",
            "Jan 2026 13:45",
            "5-Jan-Feb-2026",
            "5-5-Jan",
        ] {
            assert!(Month::parse_dated(text).is_err(), "{text}");
        }
        // With a year of two digits, it is 2026 or 1926: said, never guessed.
        for text in ["5-Jan-26", "Jan 5, 26"] {
            let err = Month::parse_dated(text).unwrap_err();
            assert!(err.contains("a year of two digits"), "{text}: {err}");
        }
        for text in ["6/15/2025", "15/6/2025", "06.05.2025"] {
            let err = Month::parse_dated(text).unwrap_err();
            assert!(
                err.contains("does not tell its day from its month"),
                "{err}"
            );
        }
    }

    #[test]
    fn month_arithmetic() {
        let m = Month::parse("2026-11").unwrap();
        assert_eq!(m.next().next().to_string(), "2027-01");
        assert_eq!(m.plus(14).to_string(), "2028-01");
        assert_eq!(m.months_until(m.plus(3)), 3);
        assert_eq!(m.plus(3).months_until(m), -3);
    }
}
