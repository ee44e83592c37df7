//! Usage CSV in, bills out, streaming: every input row is billed or reported.
//!
//! - `options`: what is asked, what is reported, how a run fails;
//! - `columns`: which columns are the API, calls, account and month;
//! - `biller`: a row's bill cells (the hot path);
//! - `writer`: CSV, Excel CSV and JSON Lines rows;
//! - `pipeline`: the ungrouped stream, billed in blocks on worker threads;
//! - `keys`: rows that share an account, month and billing item, counted;
//! - `group`: `--group-by`.

mod biller;
mod columns;
mod group;
mod keys;
mod options;
mod pipeline;
mod writer;

use std::io::{Read, Write};

pub(crate) use options::why_with_close;
pub use options::{BatchError, BatchFormat, BatchOptions, BatchSummary, RowError, RowFilter};
pub(crate) use writer::csv_field;
pub use writer::{spreadsheet_safe, BILL_COLUMNS};

use biller::Biller;
use columns::{columns, Columns};
use pipeline::stream;
use writer::RowFormat;

use crate::bill::Calculator;
use crate::columns::{Role, Wanted};
use crate::records::{too_long_message, ReadError, Record, RecordReader};
use crate::Marks;

/// Reads usage CSV from `input` and writes bills to `output`.
///
/// Without grouping each row is billed on its own as it streams by, in bounded
/// memory: blocks of input are billed on all cores and written in input order.
/// With `group_by`, rows with equal group values and API are summed (a month's
/// total picks the tier) and written when the input ends, in order of first
/// appearance. Bad rows go to `on_skip` with `skip_invalid`, or stop the run with
/// [`BatchError::Row`] after everything before them was written.
///
/// ```
/// use ocr_bill::{run_batch, BatchFormat, BatchOptions, Calculator, PriceList};
/// let prices = PriceList::builtin();
/// let options = BatchOptions { format: BatchFormat::Csv, ..Default::default() };
/// let mut out = Vec::new();
/// let input = "api,calls\nlicense,9000\n";
/// run_batch(Calculator::new(&prices), input.as_bytes(), &mut out, &options, &mut |_| {}).unwrap();
/// assert!(String::from_utf8(out).unwrap().contains("license,9000,1000,8000,2,0.15,1200.00"));
/// ```
pub fn run_batch<R: Read, W: Write>(
    calc: Calculator<'_>,
    input: R,
    output: W,
    options: &BatchOptions,
    on_skip: &mut dyn FnMut(&RowError),
) -> Result<BatchSummary, BatchError> {
    let mut reader = RecordReader::new(input).multiline(options.multiline_fields);
    let Some(header) = reader.next_header().map_err(read_error)? else {
        return Err(BatchError::Input(
            "the input is empty; expected a header row with api and calls columns".into(),
        ));
    };
    let names: Vec<String> = header
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    let mut cols = columns(&names, options, calc.prices).map_err(|e| match e {
        // A pivot table with the APIs across (`月份,身份证识别,银行卡识别`):
        // no API column, and columns named as APIs are.
        BatchError::Input(m) => {
            let api = [Wanted::named(
                Role::Api,
                options.api_column.as_deref(),
                true,
            )];
            let apis: Vec<&str> = (names.iter())
                .filter(|n| calc.prices.find(n).is_ok())
                .map(String::as_str)
                .collect();
            BatchError::Input(
                if apis.is_empty() || crate::columns::resolve(&names, &api).is_ok() {
                    m
                } else {
                    format!(
                        "{m}; the APIs are columns here ({}): expected a row for each API, with \
                     the API and its calls in two columns (turn the API columns into rows: \
                     Unpivot Columns, 逆透视列, in Excel's or WPS's Power Query; `ledger`, \
                     `plan` and `batch --group-by` read such a table as it is)",
                        crate::first_of(apis.iter(), 3)
                    )
                },
            )
        }
        other => other,
    })?;
    cols.per_account = calc.prices.settings.free_quota == crate::FreeQuota::PerAccount;
    cols.delimiter = reader.delimiter();
    let product = cols.not_usage.product.map(|p| names[p].clone());
    let summary = if cols.grouped {
        let labels = cols.labels.clone();
        group::run_grouped(calc, reader, output, &labels, &cols, options, on_skip)?
    } else {
        let format = RowFormat::new(options.format, names, cols.calls.as_slice());
        let (input, leftover, first_line) = reader.into_parts();
        stream(
            calc, input, leftover, first_line, output, &cols, &format, options, on_skip,
        )?
    };
    match summary
        .totals
        .only_other_products(summary.rows, product.as_deref())
    {
        Some(why) => Err(BatchError::Input(why)),
        None => Ok(summary),
    }
}

/// Whether the header line `other` (a usage file joined after the first, as
/// `batch` joins several) names the columns of the header line `first` at
/// the same places, whatever their names or language (`account,month,api,calls`
/// and `账号,月份,接口,调用量`), with the same delimiter: its rows then read as
/// the first's, under the first's header.
///
/// ```
/// use ocr_bill::{same_columns, BatchOptions, PriceList};
/// let (prices, options) = (PriceList::builtin(), BatchOptions::default());
/// let same = |a: &str, b: &str| same_columns(a.as_bytes(), b.as_bytes(), &options, &prices);
/// assert!(same("account,month,api,calls", "账号,月份,接口,调用量"));
/// assert!(!same("account,month,api,calls", "account,api,month,calls"));
/// assert!(!same("account,month,api,calls", "账号;月份;接口;调用量"));
/// ```
pub fn same_columns(
    first: &[u8],
    other: &[u8],
    options: &BatchOptions,
    prices: &crate::PriceList,
) -> bool {
    let read = |line: &[u8]| {
        let mut reader = RecordReader::new(line.chain(&b"\n"[..]));
        let names: Vec<String> = match reader.next_header() {
            Ok(Some(header)) => (header.iter())
                .map(|h| String::from_utf8_lossy(h).trim().to_string())
                .collect(),
            _ => return None,
        };
        let cols = columns(&names, options, prices).ok()?;
        Some((cols, reader.delimiter()))
    };
    match (read(first), read(other)) {
        (Some((a, da)), Some((b, db))) => da == db && a.same_places(&b),
        _ => false,
    }
}

/// The scale of a row's counts, as the suffix they take: its unit cell's,
/// where the file has one (see [`crate::columns::unit_suffix`]), else the
/// one the calls column's name gives.
#[inline(always)]
fn unit_of(record: &Record<'_>, cols: &Columns) -> Result<&'static str, String> {
    match cols.unit {
        Some(unit) => crate::columns::unit_suffix(&String::from_utf8_lossy(record.field(unit))),
        None => Ok(cols.calls_suffix),
    }
}

/// The count in cell `c` of a record at the scale `suffix` gives it (`万`
/// in a column of 万次; empty for calls): plain digits fast (a cell of up to
/// 8 read as one word), every other form as the file writes its numbers (see
/// [`Marks`]).
#[inline(always)]
fn calls_in(record: &Record<'_>, c: usize, suffix: &str, cols: &Columns) -> Result<u64, String> {
    let field = record.field(c);
    if suffix.is_empty() {
        if let Some(n) = eight_digits(field.len(), record.field_room(c)) {
            return Ok(n);
        }
        if !field.is_empty() && field.len() < 20 {
            let mut n = 0u64;
            let mut plain = true;
            for &d in field {
                let digit = d.wrapping_sub(b'0');
                plain &= digit < 10;
                n = n.wrapping_mul(10).wrapping_add(u64::from(digit));
            }
            if plain {
                return Ok(n);
            }
        }
    }
    let marks = Marks::of_delimiter(cols.delimiter);
    crate::columns::count_in_unit(&String::from_utf8_lossy(field), suffix, marks)
}

/// Eight ASCII zeros, as one word.
const ZEROS: u64 = 0x3030_3030_3030_3030;

/// Whether every byte of `word` is an ASCII digit: its high nibble 3, and
/// still 3 with 6 added (eight bytes checked at once).
#[inline(always)]
fn all_digits(word: [u8; 8]) -> bool {
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    let x = u64::from_le_bytes(word);
    x & HIGH == ZEROS && x.wrapping_add(0x0606_0606_0606_0606) & HIGH == ZEROS
}

/// The count of a cell of 1 to 8 plain digits, read as one word from
/// `room` (the cell's `len` bytes and those after it), or `None` for any
/// other cell: no loop whose end depends on how many digits there are.
#[inline(always)]
fn eight_digits(len: usize, room: &[u8]) -> Option<u64> {
    let word = room.first_chunk::<8>()?;
    if !(1..=8).contains(&len) {
        return None;
    }
    // The cell's bytes at the top (the first, most significant digit lowest),
    // '0's before them.
    let text = u64::from_le_bytes(*word) << (8 * (8 - len))
        | ZEROS.checked_shr(8 * len as u32).unwrap_or(0);
    if !all_digits(text.to_le_bytes()) {
        return None;
    }
    let d = text - ZEROS;
    // Pairs, fours, then eight digits, each the more significant one times
    // its scale plus the other.
    let d = (d.wrapping_mul(10).wrapping_add(d >> 8)) & 0x00FF_00FF_00FF_00FF;
    let d = (d.wrapping_mul(100).wrapping_add(d >> 16)) & 0x0000_FFFF_0000_FFFF;
    Some((d.wrapping_mul(10_000).wrapping_add(d >> 32)) & 0xFFFF_FFFF)
}

fn too_long(line: u64) -> RowError {
    RowError::new(line, too_long_message())
}

/// The API index and call count of a row, or why it cannot be billed.
#[inline(always)]
fn read_row(
    biller: &mut Biller<'_>,
    record: &Record<'_>,
    cols: &Columns,
) -> Result<(usize, u64), String> {
    record.has_fields(cols.count)?;
    let api = biller.api(record.field(cols.api))?;
    // The unit first: it scales the count (0.9 of 万次).
    let suffix = unit_of(record, cols)?;
    let calls = match cols.calls {
        Some(c) => calls_in(record, c, suffix, cols)?,
        None => 1,
    };
    Ok((api, calls))
}

/// A malformed record as a row error (reading goes on at the next line), or
/// the error that is not one row's.
pub(crate) fn row_error(e: ReadError) -> Result<RowError, ReadError> {
    match e {
        ReadError::Malformed {
            line,
            message,
            closes_on,
        } => Ok(RowError {
            line,
            message: message.into(),
            closes_on,
            // A quote that closes lines later may be a field that really
            // spans lines.
            remedy: closes_on.map(|_| crate::Remedy::MultilineFields),
        }),
        other => Err(other),
    }
}

fn read_error(e: ReadError) -> BatchError {
    match row_error(e) {
        Ok(error) => BatchError::Row(error),
        Err(ReadError::Io(e)) => BatchError::Io(e),
        Err(other) => BatchError::Row(too_long(match other {
            ReadError::TooLong(line) => line,
            _ => 0,
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::eight_digits;

    /// What a loop over the cell's bytes reads: the count of 1 to 8 plain
    /// digits, else nothing.
    fn plain_count(cell: &[u8]) -> Option<u64> {
        let digits = (1..=8).contains(&cell.len()) && cell.iter().all(u8::is_ascii_digit);
        digits.then(|| cell.iter().fold(0, |n, &d| n * 10 + u64::from(d - b'0')))
    }

    /// Read as one word, a cell gives the count the bytes say, whatever
    /// follows it: every length, every byte in every place, and leading
    /// zeros; and nothing where fewer than 8 bytes are left to read.
    #[test]
    fn a_short_cell_of_digits_is_read_as_one_word() {
        let after = [
            &b",2026-01\n"[..],
            b"\n",
            b"99999999",
            b"\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF",
        ];
        let mut cells: Vec<Vec<u8>> = vec![b"0".to_vec(), b"00001234".to_vec()];
        for len in 1..=9usize {
            let base: Vec<u8> = (0..len).map(|i| b"987654321"[i]).collect();
            cells.push(base.clone());
            for at in 0..len {
                for b in [
                    0u8,
                    b' ',
                    b',',
                    b'.',
                    b'/',
                    b':',
                    b'?',
                    b'@',
                    0x36 + 0x80,
                    0xB9,
                    0xFF,
                ] {
                    let mut other = base.clone();
                    other[at] = b;
                    cells.push(other);
                }
            }
        }
        cells.push(b"99999999".to_vec());
        for cell in &cells {
            for tail in after {
                let room: Vec<u8> = cell.iter().chain(tail).copied().collect();
                if room.len() < 8 {
                    assert_eq!(eight_digits(cell.len(), &room), None, "{cell:?}");
                    continue;
                }
                assert_eq!(
                    eight_digits(cell.len(), &room),
                    plain_count(cell),
                    "{:?} then {:?}",
                    String::from_utf8_lossy(cell),
                    String::from_utf8_lossy(tail)
                );
            }
        }
        assert_eq!(eight_digits(0, b"12345678"), None);
    }
}
