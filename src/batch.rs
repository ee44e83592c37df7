//! Usage CSV in, bills out, streaming: every input row is billed or reported.

use std::collections::HashMap;
use std::io::{self, Read, Write};

use csv::{ByteRecord, ReaderBuilder, WriterBuilder};

use crate::bill::{Calculator, Charge};
use crate::money::format_price;
use crate::pricing::Api;
use crate::{parse_count, Error, Money};

/// Turns CRLF line ends into LF as the input streams by, so that the csv
/// crate's line numbers hold (they lag by one on CRLF input: rust-csv issue
/// 395). A lone CR is kept. Quoted fields keep their text, with CRLF inside
/// them read as LF.
struct CrlfToLf<R> {
    inner: R,
    /// The last byte read was a CR, held back to see whether LF follows.
    held_cr: bool,
}

impl<R: Read> Read for CrlfToLf<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.len() < 2 {
            // Too small to look past a CR (the csv reader never asks for so little).
            if std::mem::take(&mut self.held_cr) && !buf.is_empty() {
                buf[0] = b'\r';
                return Ok(1);
            }
            return self.inner.read(buf);
        }
        loop {
            let start = usize::from(std::mem::take(&mut self.held_cr));
            if start == 1 {
                buf[0] = b'\r';
            }
            let n = self.inner.read(&mut buf[start..])?;
            if n == 0 {
                return Ok(start);
            }
            let out = self.compact(buf, start + n);
            if out > 0 {
                return Ok(out);
            }
        }
    }
}

impl<R> CrlfToLf<R> {
    /// Removes each CR directly before an LF in `buf[..n]`; holds back a final CR.
    fn compact(&mut self, buf: &mut [u8], n: usize) -> usize {
        let Some(first) = memchr::memchr(b'\r', &buf[..n]) else {
            return n;
        };
        let mut write = first;
        let mut read = first;
        while read < n {
            let b = buf[read];
            if b == b'\r' {
                if read + 1 == n {
                    self.held_cr = true;
                    break;
                }
                if buf[read + 1] == b'\n' {
                    read += 1;
                    continue;
                }
            }
            buf[write] = b;
            write += 1;
            read += 1;
        }
        write
    }
}

/// Output of `batch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchFormat {
    /// CSV: the input columns plus the bill columns.
    Csv,
    /// JSON Lines: one object per output row.
    JsonLines,
}

/// How to read and group the usage.
#[derive(Clone, Debug)]
pub struct BatchOptions {
    /// Column holding the API name.
    pub api_column: String,
    /// Column holding the call count.
    pub calls_column: String,
    /// Columns whose equal values (with the API) are summed into one month.
    pub group_by: Vec<String>,
    /// Report bad rows and go on, instead of stopping at the first.
    pub skip_invalid: bool,
    /// Output format.
    pub format: BatchFormat,
}

/// A row that could not be billed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line of the input where the row starts (the header is line 1).
    pub line: u64,
    /// Why.
    pub message: String,
}

/// How a run went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchSummary {
    /// Data rows read.
    pub rows: u64,
    /// Rows written.
    pub written: u64,
    /// Input rows reported and left out (only with `skip_invalid`).
    pub skipped: u64,
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// A bad row, without `skip_invalid`; every row before it was written.
    #[error("line {}: {}", .0.line, .0.message)]
    Row(RowError),
    /// The input as a whole is unusable (no header, a missing column).
    #[error("{0}")]
    Input(String),
    /// Reading or writing failed (a closed pipe included).
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl From<Error> for BatchError {
    fn from(e: Error) -> Self {
        BatchError::Input(e.to_string())
    }
}

/// The bill columns appended to every output row.
pub const BILL_COLUMNS: [&str; 7] = [
    "free_calls",
    "billable_calls",
    "tier",
    "unit_price",
    "amount",
    "cliff_calls",
    "cliff_amount",
];

/// Per-API facts computed once per run.
struct Biller<'a> {
    calc: Calculator<'a>,
    apis: Vec<&'a Api>,
    /// Names seen in the input → index into `apis` (a handful: a scan beats hashing).
    seen: Vec<(Vec<u8>, usize)>,
    /// Per API, per tier: the list unit price as text ("" for contact sales).
    prices: Vec<Vec<String>>,
    /// Per API, per tier: the tier's first call count and its bill, if it has a price.
    cliffs: Vec<Vec<Option<(u64, Money)>>>,
}

impl<'a> Biller<'a> {
    fn new(calc: Calculator<'a>) -> Self {
        Biller {
            calc,
            apis: Vec::new(),
            seen: Vec::new(),
            prices: Vec::new(),
            cliffs: Vec::new(),
        }
    }

    fn api(&mut self, name: &[u8]) -> Result<usize, String> {
        if let Some((_, i)) = self.seen.iter().find(|(n, _)| n == name) {
            return Ok(*i);
        }
        let text = String::from_utf8_lossy(name);
        let api = self.calc.prices.api(&text).map_err(|e| e.to_string())?;
        let index = match self.apis.iter().position(|a| a.key == api.key) {
            Some(i) => i,
            None => {
                let bounds = self.calc.prices.settings.tier_bounds;
                self.prices.push(
                    api.tiers
                        .iter()
                        .map(|t| match t.price {
                            crate::TierPrice::List(p) => format_price(p),
                            crate::TierPrice::ContactSales { .. } => String::new(),
                        })
                        .collect(),
                );
                self.cliffs.push(
                    (0..api.tiers.len())
                        .map(|i| {
                            let at = api.first_calls_of_tier(i, bounds);
                            let c = self.calc.charge(api, at, &mut [], &mut Vec::new()).ok()?;
                            Some((at, c.amount))
                        })
                        .collect(),
                );
                self.apis.push(api);
                self.apis.len() - 1
            }
        };
        if self.seen.len() < 64 {
            self.seen.push((name.to_vec(), index));
        }
        Ok(index)
    }

    fn charge(&self, api: usize, calls: u64) -> Result<Charge, String> {
        self.calc
            .charge(self.apis[api], calls, &mut [], &mut Vec::new())
            .map_err(|e| e.to_string())
    }

    /// The nearest higher tier whose first call count is billed less.
    fn cliff(&self, api: usize, calls: u64, c: &Charge) -> Option<(u64, Money)> {
        self.cliffs[api][c.tier_index + 1..]
            .iter()
            .flatten()
            .find(|(at, amount)| *at > calls && *amount < c.amount)
            .copied()
    }

    /// The bill columns' values of a charge.
    fn cells(&self, api: usize, calls: u64, c: &Charge, cells: &mut Cells) {
        cells.clear();
        cells.push_u64(c.free_calls);
        cells.push_u64(c.billable_calls);
        cells.push_u64(c.tier_index as u64 + 1);
        match c.unit_price {
            Some(p) => match self.prices[api][c.tier_index].as_str() {
                "" => cells.push_str(&format_price(p)),
                text => cells.push_str(text),
            },
            None => cells.push_str(""),
        }
        cells.push_money(c.amount);
        match self.cliff(api, calls, c) {
            Some((at, amount)) => {
                cells.push_u64(at);
                cells.push_money(amount);
            }
            None => {
                cells.push_str("");
                cells.push_str("");
            }
        }
    }
}

/// Field values built in one reused buffer, without allocating per row.
#[derive(Default)]
struct Cells {
    buf: Vec<u8>,
    ends: Vec<usize>,
}

impl Cells {
    fn clear(&mut self) {
        self.buf.clear();
        self.ends.clear();
    }

    fn end(&mut self) {
        self.ends.push(self.buf.len());
    }

    fn push_str(&mut self, s: &str) {
        self.buf.extend_from_slice(s.as_bytes());
        self.end();
    }

    fn push_u64(&mut self, n: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        let mut n = n;
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.buf.extend_from_slice(&digits[i..]);
        self.end();
    }

    fn push_money(&mut self, m: Money) {
        m.write_to(&mut self.buf);
        self.end();
    }

    fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let cell = &self.buf[start..end];
            start = end;
            cell
        })
    }
}

/// A call count: plain digits fast, every other form through [`parse_count`].
fn calls_of(field: &[u8]) -> Result<u64, String> {
    if !field.is_empty() && field.len() < 20 && field.iter().all(u8::is_ascii_digit) {
        return Ok(field
            .iter()
            .fold(0u64, |n, d| n * 10 + u64::from(d - b'0')));
    }
    parse_count(&String::from_utf8_lossy(field)).map_err(|e| e.to_string())
}

/// How a column is written in JSON.
#[derive(Clone, Copy, PartialEq, Eq)]
enum JsonKind {
    /// A string, as read.
    Text,
    /// An integer, or null when empty.
    Integer,
    /// A string, or null when empty.
    OptionalText,
}

/// Writes rows as CSV or JSON Lines.
enum Sink<W: Write> {
    Csv(csv::Writer<W>),
    Json(io::BufWriter<W>, Vec<(String, JsonKind)>),
}

impl<W: Write> Sink<W> {
    /// `integers` are the leading columns written as integers in JSON.
    fn new(
        format: BatchFormat,
        out: W,
        leading: Vec<String>,
        integers: &[usize],
    ) -> io::Result<Self> {
        let bill = BILL_COLUMNS.iter().map(|c| {
            let kind = match *c {
                "unit_price" | "amount" | "cliff_amount" => JsonKind::OptionalText,
                _ => JsonKind::Integer,
            };
            (c.to_string(), kind)
        });
        let columns: Vec<(String, JsonKind)> = leading
            .into_iter()
            .enumerate()
            .map(|(i, h)| {
                let kind = if integers.contains(&i) {
                    JsonKind::Integer
                } else {
                    JsonKind::Text
                };
                (h, kind)
            })
            .chain(bill)
            .collect();
        Ok(match format {
            BatchFormat::Csv => {
                let mut w = WriterBuilder::new()
                    .buffer_capacity(1 << 16)
                    .from_writer(out);
                w.write_record(columns.iter().map(|(h, _)| h))?;
                Sink::Csv(w)
            }
            BatchFormat::JsonLines => {
                Sink::Json(io::BufWriter::with_capacity(1 << 16, out), columns)
            }
        })
    }

    /// One output row: the leading fields, then the bill cells. `calls` is the
    /// position and parsed value of the call count, written as an integer in JSON.
    fn row<'f>(
        &mut self,
        leading: impl Iterator<Item = &'f [u8]>,
        calls: (usize, u64),
        cells: &'f Cells,
    ) -> io::Result<()> {
        match self {
            Sink::Csv(w) => {
                for f in leading.chain(cells.iter()) {
                    w.write_field(f)?;
                }
                w.write_record(None::<&[u8]>)?;
            }
            Sink::Json(w, columns) => {
                w.write_all(b"{")?;
                let fields = leading.chain(cells.iter());
                for (i, ((name, kind), f)) in columns.iter().zip(fields).enumerate() {
                    if i > 0 {
                        w.write_all(b",")?;
                    }
                    serde_json::to_writer(&mut *w, name)?;
                    w.write_all(b":")?;
                    match kind {
                        _ if i == calls.0 => write!(w, "{}", calls.1)?,
                        JsonKind::Integer | JsonKind::OptionalText if f.is_empty() => {
                            w.write_all(b"null")?
                        }
                        JsonKind::Integer => w.write_all(f)?,
                        JsonKind::Text | JsonKind::OptionalText => {
                            serde_json::to_writer(&mut *w, &String::from_utf8_lossy(f))?
                        }
                    }
                }
                w.write_all(b"}\n")?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Csv(w) => w.flush(),
            Sink::Json(w, _) => w.flush(),
        }
    }
}

struct Columns {
    count: usize,
    api: usize,
    calls: usize,
    group: Vec<usize>,
}

fn columns(names: &[String], options: &BatchOptions) -> Result<Columns, BatchError> {
    let find = |wanted: &str, what: &str| -> Result<usize, BatchError> {
        let hits: Vec<usize> = (0..names.len()).filter(|&i| names[i] == wanted).collect();
        match hits.as_slice() {
            [one] => Ok(*one),
            [] => Err(BatchError::Input(format!(
                "the header has no '{wanted}' column ({what}); columns: {}",
                names.join(", ")
            ))),
            _ => Err(BatchError::Input(format!(
                "the header has {} columns named '{wanted}'; expected one",
                hits.len()
            ))),
        }
    };
    let api = find(&options.api_column, "the API name")?;
    let calls = find(&options.calls_column, "the call count")?;
    let group = options
        .group_by
        .iter()
        .map(|g| find(g, "a --group-by column"))
        .collect::<Result<Vec<_>, _>>()?;
    if group.contains(&api) || group.contains(&calls) {
        return Err(BatchError::Input(
            "--group-by names the API or calls column; rows are always grouped by API and \
             their calls summed"
                .into(),
        ));
    }
    let output: Vec<&str> = if group.is_empty() {
        names.iter().map(String::as_str).collect()
    } else {
        group.iter().map(|&g| names[g].as_str()).collect()
    };
    let reserved = |n: &str| {
        BILL_COLUMNS.contains(&n) || (!group.is_empty() && ["api", "calls", "rows"].contains(&n))
    };
    if let Some(clash) = output.iter().find(|n| reserved(n)) {
        return Err(BatchError::Input(format!(
            "the input column '{clash}' clashes with an output column; rename it"
        )));
    }
    Ok(Columns {
        count: names.len(),
        api,
        calls,
        group,
    })
}

/// Reads usage CSV from `input` and writes bills to `output`.
///
/// Without grouping each row is billed on its own as it streams by, in constant
/// memory. With `group_by`, rows with equal group values and API are summed (a
/// month's total picks the tier) and written when the input ends, in order of
/// first appearance. Bad rows go to `on_skip` with `skip_invalid`, or stop the
/// run with [`BatchError::Row`] after everything before them was written.
pub fn run_batch<R: Read, W: Write>(
    calc: Calculator<'_>,
    input: R,
    output: W,
    options: &BatchOptions,
    on_skip: &mut dyn FnMut(&RowError),
) -> Result<BatchSummary, BatchError> {
    let mut reader = ReaderBuilder::new()
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(CrlfToLf {
            inner: input,
            held_cr: false,
        });
    let header = reader.byte_headers().map_err(csv_error)?;
    let mut names: Vec<String> = header
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    if let Some(first) = names.first_mut() {
        if let Some(rest) = first.strip_prefix('\u{feff}') {
            *first = rest.trim().to_string();
        }
    }
    if names.iter().all(String::is_empty) {
        return Err(BatchError::Input(
            "the input is empty; expected a header row with api and calls columns".into(),
        ));
    }
    let cols = columns(&names, options)?;
    let mut biller = Biller::new(calc);
    let mut summary = BatchSummary::default();
    let mut cells = Cells::default();
    let mut record = ByteRecord::new();
    let line_of = |record: &ByteRecord| record.position().map_or(0, |p| p.line());
    let mut bad = |summary: &mut BatchSummary, error: RowError| -> Result<(), BatchError> {
        if options.skip_invalid {
            summary.skipped += 1;
            on_skip(&error);
            Ok(())
        } else {
            Err(BatchError::Row(error))
        }
    };

    if cols.group.is_empty() {
        let mut sink = Sink::new(options.format, output, names, &[cols.calls])?;
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    sink.flush()?;
                    return Err(csv_error(e));
                }
            }
            summary.rows += 1;
            let billed = read_row(&mut biller, &record, &cols).and_then(|(api, calls)| {
                let c = biller.charge(api, calls)?;
                Ok((api, calls, c))
            });
            match billed {
                Ok((api, calls, c)) => {
                    biller.cells(api, calls, &c, &mut cells);
                    sink.row(record.iter(), (cols.calls, calls), &cells)?;
                    summary.written += 1;
                }
                Err(message) => {
                    let line = line_of(&record);
                    if let Err(e) = bad(&mut summary, RowError { line, message }) {
                        sink.flush()?;
                        return Err(e);
                    }
                }
            }
        }
        sink.flush()?;
        return Ok(summary);
    }

    // Grouped: sum calls per (group values, API) in order of first appearance.
    struct Group {
        values: Vec<Vec<u8>>,
        api: usize,
        calls: u64,
        rows: u64,
        first_line: u64,
    }
    let mut index: HashMap<(Vec<Vec<u8>>, usize), usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(e)),
        }
        summary.rows += 1;
        let line = line_of(&record);
        let (api, calls) = match read_row(&mut biller, &record, &cols) {
            Ok(row) => row,
            Err(message) => {
                bad(&mut summary, RowError { line, message })?;
                continue;
            }
        };
        let key = (
            cols.group.iter().map(|&g| record[g].to_vec()).collect(),
            api,
        );
        let at = match index.get(&key) {
            Some(&at) => at,
            None => {
                groups.push(Group {
                    values: key.0.clone(),
                    api,
                    calls: 0,
                    rows: 0,
                    first_line: line,
                });
                index.insert(key, groups.len() - 1);
                groups.len() - 1
            }
        };
        let g = &mut groups[at];
        match g.calls.checked_add(calls) {
            Some(total) => {
                g.calls = total;
                g.rows += 1;
            }
            None => {
                let message = format!(
                    "the group's calls overflow: {} + {calls} is more than {}",
                    g.calls,
                    u64::MAX
                );
                bad(&mut summary, RowError { line, message })?;
            }
        }
    }
    drop(index);
    let leading: Vec<String> = cols
        .group
        .iter()
        .map(|&g| names[g].clone())
        .chain(["api".to_string(), "calls".to_string(), "rows".to_string()])
        .collect();
    let calls_at = cols.group.len() + 1;
    let mut sink = Sink::new(options.format, output, leading, &[calls_at, calls_at + 1])?;
    for g in &groups {
        match biller.charge(g.api, g.calls) {
            Ok(c) => {
                biller.cells(g.api, g.calls, &c, &mut cells);
                let calls = g.calls.to_string();
                let rows = g.rows.to_string();
                let lead = g.values.iter().map(Vec::as_slice).chain([
                    biller.apis[g.api].key.as_bytes(),
                    calls.as_bytes(),
                    rows.as_bytes(),
                ]);
                sink.row(lead, (calls_at, g.calls), &cells)?;
                summary.written += 1;
            }
            Err(message) => {
                let group = cols
                    .group
                    .iter()
                    .zip(&g.values)
                    .map(|(&c, v)| format!("{}={}", names[c], String::from_utf8_lossy(v)))
                    .collect::<Vec<_>>()
                    .join(", ");
                let error = RowError {
                    line: g.first_line,
                    message: format!("group {group} ({} rows): {message}", g.rows),
                };
                if options.skip_invalid {
                    summary.skipped += g.rows;
                    on_skip(&error);
                } else {
                    sink.flush()?;
                    return Err(BatchError::Row(error));
                }
            }
        }
    }
    sink.flush()?;
    Ok(summary)
}

/// The API index and call count of a row, or why it cannot be billed.
fn read_row(
    biller: &mut Biller<'_>,
    record: &ByteRecord,
    cols: &Columns,
) -> Result<(usize, u64), String> {
    if record.len() != cols.count {
        return Err(format!(
            "expected {} fields as in the header, found {}",
            cols.count,
            record.len()
        ));
    }
    let api = biller.api(&record[cols.api])?;
    let calls = calls_of(&record[cols.calls])?;
    Ok((api, calls))
}

fn csv_error(e: csv::Error) -> BatchError {
    let line = e.position().map(|p| p.line());
    match e.into_kind() {
        csv::ErrorKind::Io(io) => BatchError::Io(io),
        other => {
            let message = format!("unreadable CSV: {other:?}");
            match line {
                Some(line) => BatchError::Row(RowError { line, message }),
                None => BatchError::Input(message),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads through `CrlfToLf` with reads of at most `chunk` bytes.
    fn through(input: &[u8], chunk: usize) -> Vec<u8> {
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut out = Vec::new();
        let mut r = CrlfToLf { inner: Trickle(input, chunk), held_cr: false };
        let mut buf = vec![0u8; chunk.max(2) + 1];
        loop {
            let n = r.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        out
    }

    #[test]
    fn crlf_becomes_lf_at_any_chunk_boundary() {
        let input = b"a,b\r\nc\r,d\r\n\r\r\ne\r";
        let want = b"a,b\nc\r,d\n\r\ne\r".to_vec();
        for chunk in 1..input.len() + 2 {
            assert_eq!(through(input, chunk), want, "chunk {chunk}");
        }
    }
}
