//! Which input columns are the API, calls, account and month, and how group
//! values are read.

use super::options::{BatchError, BatchFormat, BatchOptions};
use super::writer::BILL_COLUMNS;
use crate::columns::{Role, Wanted};
use crate::month::{Dated, Month};

pub(super) struct Columns {
    /// The header's names, trimmed: a record that repeats them is read past.
    pub(super) names: Vec<String>,
    pub(super) count: usize,
    pub(super) api: usize,
    /// The calls column; none when each row is one call.
    pub(super) calls: Option<usize>,
    pub(super) account: Option<usize>,
    pub(super) month: Option<usize>,
    /// The unit of the calls (`用量单位`), where the file names one.
    pub(super) unit: Option<usize>,
    /// The product (`产品名称`) and billing mode (`计费模式`) of a row, where
    /// the file names them: rows of other products than OCR, and prepaid
    /// purchases, are left out.
    pub(super) not_usage: crate::columns::NotUsage,
    /// The columns rows are grouped by besides the API (none for
    /// `--group-by api`: the file's rows of a billing item summed).
    pub(super) group: Vec<usize>,
    /// Rows are summed before billing (`--group-by`), not billed one by one.
    pub(super) grouped: bool,
    /// The free calls are the account's, shared by its items.
    pub(super) per_account: bool,
    /// The byte between the input's fields (told from its header line).
    pub(super) delimiter: u8,
    /// A pivot table's columns, its months or APIs across (read with
    /// `--group-by`): the role spread over them is a column past the
    /// header's, at `count`, each cell's from its column's name.
    pub(super) pivot: Option<crate::input::Spreading>,
    /// The header's names as groups are labelled and written, a pivot
    /// table's spread role after them (`month`).
    pub(super) labels: Vec<String>,
    /// The scale the calls column's name gives its counts (`调用量(万次)`: `万`),
    /// as the suffix a count takes; empty for calls.
    pub(super) calls_suffix: &'static str,
}

impl Columns {
    /// Whether another header's columns (a file joined after the first) are
    /// these at the same places, whatever their names: the API, calls,
    /// account, month, unit, product and billing mode, the groups and the
    /// count, and neither is a pivot table (whose columns name months).
    pub(super) fn same_places(&self, other: &Columns) -> bool {
        self.pivot.is_none()
            && other.pivot.is_none()
            && (
                self.count,
                self.api,
                self.calls,
                self.account,
                self.month,
                self.unit,
            ) == (
                other.count,
                other.api,
                other.calls,
                other.account,
                other.month,
                other.unit,
            )
            && self.not_usage == other.not_usage
            && (&self.group, self.grouped, self.calls_suffix)
                == (&other.group, other.grouped, other.calls_suffix)
    }
}

pub(super) fn columns(
    names: &[String],
    options: &BatchOptions,
    prices: &crate::PriceList,
) -> Result<Columns, BatchError> {
    let wanted = [
        Wanted::named(Role::Api, options.api_column.as_deref(), true),
        Wanted::calls(options.calls_column.as_deref(), options.count_rows),
        Wanted::named(Role::Account, options.account_column.as_deref(), false),
        Wanted::named(Role::Month, options.month_column.as_deref(), false),
        Wanted::optional(Role::Unit),
    ];
    // A calls column named with a multiple of calls as its unit
    // (`调用量(万次)`) is read at that scale. A pivot table is read where rows
    // are summed: each of its cells is a month's (or an API's) calls.
    let scaled = crate::columns::scaled_calls_column(names)
        .filter(|_| options.calls_column.is_none() && !options.count_rows);
    let mut calls_suffix = "";
    let (found, pivot) = match (crate::columns::resolve(names, &wanted), scaled) {
        (Ok(found), _) => (found, None),
        (Err(_), Some((column, suffix))) => {
            let mut named = wanted.clone();
            named[1] = Wanted::calls(Some(names[column].as_str()), false);
            calls_suffix = suffix;
            let found = crate::columns::resolve(names, &named).map_err(BatchError::Input)?;
            if let Some(unit) = found[4] {
                return Err(BatchError::Input(format!(
                    "the calls column '{}' names its unit, and so does the column '{}': \
                     expected one",
                    names[column], names[unit]
                )));
            }
            (found, None)
        }
        (Err(e), None) => match (options.group_by.is_empty(), options.count_rows) {
            (false, false) => match crate::input::find_pivot(names, &wanted, prices) {
                Some((mut found, pivot)) => {
                    found[pivot.role_at] = Some(names.len());
                    (found, Some(pivot))
                }
                None => return Err(BatchError::Input(e)),
            },
            _ => return Err(BatchError::Input(e)),
        },
    };
    let labels: Vec<String> = (names.iter().cloned())
        .chain(pivot.as_ref().map(|p| match p.role {
            Role::Month => "month".to_string(),
            _ => "api".to_string(),
        }))
        .collect();
    let names = labels.as_slice();
    let (api, calls) = (found[0].unwrap_or(0), found[1]);
    // A row of one call billed alone is no month's bill.
    if options.count_rows && options.group_by.is_empty() {
        return Err(BatchError::Input(
            "--count-rows counts each row as one call, so rows are billed only when summed: \
             group them (--group-by account,month, or --group-by month without an account \
             column)"
                .into(),
        ));
    }
    let mut group = Vec::new();
    for g in &options.group_by {
        let hits: Vec<usize> = (0..names.len()).filter(|&i| names[i] == g.trim()).collect();
        // `account` and `month` also name the account and month columns the
        // header resolver found (账号, 月份, date, …).
        let role = match g.trim().to_ascii_lowercase().as_str() {
            "account" => found[2],
            "month" => found[3],
            // (Refused below: rows are always grouped by API.)
            "api" => Some(api),
            "calls" => calls,
            _ => None,
        };
        match (hits.as_slice(), role) {
            ([one], _) => group.push(*one),
            ([], Some(column)) => group.push(column),
            ([], None) => {
                return Err(BatchError::Input(format!(
                    "the header has no '{g}' column to group by; columns: {}",
                    crate::columns::listed(names)
                )))
            }
            (_, _) => {
                return Err(BatchError::Input(format!(
                    "the header has {} columns named '{g}'; expected one",
                    hits.len()
                )))
            }
        }
    }
    // `--group-by api` alone: rows are always grouped by API, so it sums the
    // file's rows of each billing item (a file with neither an account nor a
    // month column, taken as one account's month).
    let grouped = !group.is_empty();
    if grouped && group.iter().all(|&g| g == api) {
        group.clear();
    }
    if let Some(&column) = group.iter().find(|&&g| g == api || Some(g) == calls) {
        let rest: Vec<&str> = options
            .group_by
            .iter()
            .zip(&group)
            .filter(|&(_, &g)| g != api && Some(g) != calls)
            .map(|(name, _)| name.trim())
            .collect();
        return Err(BatchError::Input(format!(
            "--group-by names the {} column '{}': rows are always grouped by API and their \
             calls summed; leave it out{}",
            if column == api { "API" } else { "calls" },
            names[column],
            if rest.is_empty() {
                String::new()
            } else {
                format!(" (--group-by {})", rest.join(","))
            }
        )));
    }
    // RULES §8: rows of different accounts are never summed into one bill.
    if let Some(account) = found[2].filter(|a| grouped && !group.contains(a)) {
        let others: Vec<&str> = options
            .group_by
            .iter()
            .map(|g| g.trim())
            .filter(|g| !g.eq_ignore_ascii_case("api") && *g != names[api])
            .collect();
        return Err(BatchError::Input(format!(
            "grouping without the account column '{}' would sum rows of different accounts \
             into one bill; each account is billed on its own: group by it too \
             ({})",
            names[account],
            std::iter::once("account")
                .chain(others)
                .collect::<Vec<_>>()
                .join(",")
        )));
    }
    let output: Vec<&str> = if !grouped {
        names.iter().map(String::as_str).collect()
    } else {
        group.iter().map(|&g| names[g].as_str()).collect()
    };
    let months_apart = found[3].is_some_and(|m| !group.contains(&m));
    let reserved = |n: &str| {
        BILL_COLUMNS.contains(&n)
            || (grouped && ["api", "calls", "rows"].contains(&n))
            || (grouped && months_apart && n == "months")
    };
    if let Some(clash) = output.iter().find(|n| reserved(n)) {
        return Err(BatchError::Input(format!(
            "the input column '{clash}' clashes with an output column; rename it"
        )));
    }
    if options.format == BatchFormat::JsonLines {
        if let Some(i) = (0..output.len()).find(|&i| output[i].is_empty()) {
            return Err(BatchError::Input(format!(
                "column {} has an empty name; JSON objects need a name for each value: \
                 name it in the header, or use CSV",
                i + 1
            )));
        }
        if let Some((i, j)) = (0..output.len())
            .flat_map(|i| (i + 1..output.len()).map(move |j| (i, j)))
            .find(|&(i, j)| output[i] == output[j])
        {
            return Err(BatchError::Input(format!(
                "columns {} and {} are both named '{}'; JSON objects need distinct names: \
                 rename one in the header, or use CSV",
                i + 1,
                j + 1,
                output[i]
            )));
        }
    }
    // Rows of one account, or of some months, need the column that says so.
    let filter = &options.filter;
    if let (Some(name), None) = (&filter.account, found[2]) {
        return Err(BatchError::Input(format!(
            "--account '{name}': the header has no account column to choose its rows by; \
             columns: {}",
            crate::columns::listed(names)
        )));
    }
    if filter.months.limited() && found[3].is_none() {
        return Err(BatchError::Input(format!(
            "--from and --until choose rows by their month, and the header has no month \
             column; columns: {}",
            crate::columns::listed(names)
        )));
    }
    let header = &names[..names.len() - usize::from(pivot.is_some())];
    Ok(Columns {
        names: header.iter().map(|n| n.trim().to_string()).collect(),
        count: header.len(),
        api,
        calls,
        account: found[2],
        month: found[3],
        unit: found[4],
        not_usage: crate::columns::NotUsage::of(header, &found),
        group,
        grouped,
        per_account: false,
        delimiter: b',',
        pivot,
        labels: labels.clone(),
        calls_suffix,
    })
}

/// Trims ASCII spaces and tabs, as every field is compared.
pub(super) fn trimmed(field: &[u8]) -> &[u8] {
    let blank = |b: Option<&u8>| matches!(b, Some(b' ' | b'\t'));
    if !blank(field.first()) && !blank(field.last()) {
        return field;
    }
    let start = field.iter().position(|b| !matches!(b, b' ' | b'\t'));
    let Some(start) = start else {
        return &[];
    };
    let end = field
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(start);
    &field[start..=end]
}

/// The month a date field names, or why it names none; `YYYY-MM` and
/// `YYYY-MM-DD` are read straight from the bytes, other forms by [`Month`].
#[inline(always)]
pub(super) fn month_of(field: &[u8]) -> Result<Dated, String> {
    match month_at_fixed_places(field) {
        Some(d) => Ok(d),
        None => month_of_text(field),
    }
}

/// `YYYY-MM` or `YYYY-MM-DD` (a day from 1 to 28, which every month has):
/// the first eight bytes read as one word, its two dashes and its six digits
/// checked at once, the year's digits combined in pairs.
#[inline(always)]
fn month_at_fixed_places(f: &[u8]) -> Option<Dated> {
    use super::ZEROS;
    // Bytes 4 and 7: the dashes (a month alone has seven bytes: a dash is
    // put in its eighth).
    const DASHES: u64 = 0x2D00_002D_0000_0000;
    const DASH_BYTES: u64 = 0xFF00_00FF_0000_0000;
    let half = |at: usize| {
        u64::from(u32::from_le_bytes(
            f[at..at + 4].try_into().expect("4 bytes"),
        ))
    };
    let (word, day) = match f.len() {
        // Bytes 0-3 and 3-6: byte 3 read twice, in its place both times.
        7 => (
            half(0) | half(3) << 24 | u64::from(b'-') << 56,
            [b'0', b'1'],
        ),
        10 => (half(0) | half(4) << 32, [f[8], f[9]]),
        _ => return None,
    };
    if word & DASH_BYTES != DASHES {
        return None;
    }
    // The day's digits where the dashes were: eight digits, or not a month
    // at fixed places.
    let digits = word & !DASH_BYTES | u64::from(day[0]) << 32 | u64::from(day[1]) << 56;
    if !super::all_digits(digits.to_le_bytes()) {
        return None;
    }
    let d = digits - ZEROS;
    if !(1..=28).contains(&((d >> 32 & 0xFF) * 10 + (d >> 56))) {
        return None;
    }
    // The year's digits in pairs (bytes 0 and 2), then the two pairs.
    let pairs = (d.wrapping_mul(10) + (d >> 8)) & 0x00FF_00FF;
    let year = (pairs & 0xFF) * 100 + (pairs >> 16);
    let month = (d >> 40 & 0xFF) * 10 + (d >> 48 & 0xFF);
    Month::new(year as u32, month as u32).map(|month| Dated {
        month,
        has_day: f.len() == 10,
    })
}

/// Any other form of a month or date, trimmed of blanks.
#[inline(never)]
fn month_of_text(field: &[u8]) -> Result<Dated, String> {
    Month::parse_dated(&String::from_utf8_lossy(trimmed(field)))
}

/// A group as people read it: `account=acme, month=2026-01`.
pub(super) fn group_label(names: &[String], columns: &[usize], values: &[&[u8]]) -> String {
    columns
        .iter()
        .zip(values)
        .map(|(&c, v)| format!("{}={}", names[c], String::from_utf8_lossy(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte-level reading of `YYYY-MM` and `YYYY-MM-DD` agrees with the
    /// general date parser, on every form near it, valid or not.
    #[test]
    fn month_of_agrees_with_the_date_parser() {
        let inputs = [
            "2026-01",
            "2026-12",
            "2026-00",
            "2026-13",
            "0999-05",
            "9999-12",
            "2026-1",
            "2026-01-01",
            "2026-01-28",
            "2026-01-29",
            "2026-02-29",
            "2026-02-30",
            "2024-02-29",
            "2026-01-31",
            "2026-04-31",
            "2026-01-00",
            "2026-01-3a",
            "20a6-01",
            "2026/01",
            "2026-01-15 13:45:00",
            " 2026-01 ",
            "\t2026-01-15",
            "",
            "-",
            "2026--01",
            "２０２６-01",
            // Bytes just past the digits (`:` after `9`, `/` before `0`).
            "2026-0:",
            "2026-/1",
            "202:-01",
            "2026-01-2:",
            "2026-01-/5",
            "2026-01_15",
            "2026-01-15x",
            // A byte past '9' where the day's last digit is (day 10, 20 if read as one).
            "2026-01-0:",
            "2026-01-1:",
            "2026-01-:0",
        ];
        for text in inputs {
            let fast = month_of(text.as_bytes());
            let general = Month::parse_dated(text.trim_matches([' ', '\t']));
            assert_eq!(
                fast.is_ok(),
                general.is_ok(),
                "{text:?}: {fast:?} vs {general:?}"
            );
            if let (Ok(a), Ok(b)) = (fast, general) {
                assert_eq!(a, b, "{text:?}");
            }
        }
        // Every byte at every place of both forms: a month read at fixed
        // places is the parser's, and the usual forms are all read there.
        for template in ["2026-06", "2026-06-15"] {
            for at in 0..template.len() {
                for b in 0..=0x7Fu8 {
                    let mut bytes = template.as_bytes().to_vec();
                    bytes[at] = b;
                    let text = std::str::from_utf8(&bytes).expect("ASCII");
                    if let Some(d) = month_at_fixed_places(&bytes) {
                        assert_eq!(Month::parse_dated(text), Ok(d), "{text:?}");
                    }
                }
            }
        }
        for year in [1000, 2026, 9999] {
            for month in 1..=12 {
                assert!(month_at_fixed_places(format!("{year}-{month:02}").as_bytes()).is_some());
                for day in 1..=28 {
                    let date = format!("{year}-{month:02}-{day:02}");
                    assert!(month_at_fixed_places(date.as_bytes()).is_some(), "{date}");
                }
            }
        }
        assert_eq!(trimmed(b" \tx \t"), b"x");
        assert_eq!(trimmed(b" \t "), b"");
        assert_eq!(trimmed(b"x"), b"x");
    }
}
