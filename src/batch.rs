//! Usage CSV in, bills out, streaming: every input row is billed or reported.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{self, Read, Write};
use std::sync::{mpsc, Mutex};

use rust_decimal::Decimal;

use crate::bill::{Calculator, Charge};
use crate::columns::{Role, Wanted};
use crate::money::format_price;
use crate::month::{Dated, Month};
use crate::pricing::Item;
use crate::records::{too_long_message, ReadError, Record, RecordReader, MAX_RECORD_BYTES};
use crate::{parse_count, Error, Money};

/// Output of `batch`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BatchFormat {
    /// CSV: the input columns plus the bill columns.
    #[default]
    Csv,
    /// CSV for spreadsheets: a UTF-8 byte-order mark, CRLF, and cells that
    /// would start a formula neutralised (see [`spreadsheet_safe`]).
    ExcelCsv,
    /// JSON Lines: one object per output row.
    JsonLines,
}

/// How to read and group the usage.
#[derive(Clone, Debug, Default)]
pub struct BatchOptions {
    /// Column holding the API name (default: found by its usual names).
    pub api_column: Option<String>,
    /// Column holding the call count (default: found by its usual names).
    pub calls_column: Option<String>,
    /// Column holding the account (default: found by its usual names, if any).
    pub account_column: Option<String>,
    /// Column holding the month or date (default: found by its usual names, if any).
    pub month_column: Option<String>,
    /// Columns whose equal values (with the API) are summed into one month.
    pub group_by: Vec<String>,
    /// Report bad rows and go on, instead of stopping at the first.
    pub skip_invalid: bool,
    /// Accept quoted fields that span lines (refused by default: in a usage
    /// file they are almost always a stray quote that swallowed rows).
    pub multiline_fields: bool,
    /// Output format.
    pub format: BatchFormat,
}

/// A row that could not be billed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line of the input where the row starts (the header is line 1).
    pub line: u64,
    /// Why (shared by consecutive rows refused for the same reason, so that a
    /// file of bad rows stays small in memory).
    pub message: std::sync::Arc<str>,
    /// Where a stray quote that opens on `line` closes.
    pub closes_on: Option<u64>,
}

impl RowError {
    fn new(line: u64, message: String) -> RowError {
        RowError {
            line,
            message: message.into(),
            closes_on: None,
        }
    }
}

impl fmt::Display for RowError {
    /// The reason, with where a stray quote closes (without the line prefix).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(close) = self.closes_on {
            write!(
                f,
                "; it closes on line {close}, and the lines between are read as rows"
            )?;
        }
        Ok(())
    }
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
    /// Rows billed on their own (without grouping) although another row has
    /// the same account, month and API: each was billed as a whole month.
    pub shared: u64,
    /// Rows billed on their own whose date names a day, not a month.
    pub daily: u64,
    /// The amounts written, summed, in fen (0.01).
    pub fen: i128,
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// A bad row, without `skip_invalid`; every row before it was written.
    #[error("line {}: {}", .0.line, .0)]
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

/// A cell as a spreadsheet may show it: one that would start a formula (`=`,
/// `+`, `-`, `@`, tab or CR; OWASP's CSV-injection guidance) gets a leading
/// `'`, unless it is a plain number such as `-5.00`, which no spreadsheet runs.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let number = cell.parse::<rust_decimal::Decimal>().is_ok() && !cell.starts_with('+');
    if risky && !number {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
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

const MEMO_BITS: u32 = 11;
const MEMO_BYTES: usize = 46;

/// A remembered row bill: the bill cells (as CSV text) of `calls` calls of API
/// `api`, in one cache line.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Memo {
    calls: u64,
    /// The amount in fen.
    fen: i64,
    api: u8,
    len: u8,
    bytes: [u8; MEMO_BYTES],
}

/// A tier's first call count and its bill, if it has a price.
type TierCliff = Option<(u64, Money)>;

/// Per-API facts computed once per run.
struct Biller<'a> {
    /// Recent row bills, direct-mapped by (API, calls).
    memo: Vec<Memo>,
    /// The bill cells of the last row not remembered.
    scratch: Cells,
    calc: Calculator<'a>,
    apis: Vec<&'a Item>,
    /// Names seen in the input → index into `apis`, direct-mapped by a key
    /// that is the whole name up to 16 bytes (longer names are compared too).
    seen: Vec<Option<(NameKey, Vec<u8>, usize)>>,
    /// Per API, per tier: the list unit price as text ("" for contact sales);
    /// shared by the APIs of one tier table.
    prices: Vec<std::sync::Arc<[String]>>,
    /// Per API, per tier: the tier's first call count and its bill, if it has a
    /// price; shared by the APIs of one tier table.
    cliffs: Vec<std::sync::Arc<[TierCliff]>>,
}

impl<'a> Biller<'a> {
    fn new(calc: Calculator<'a>) -> Self {
        Biller {
            scratch: Cells::default(),
            memo: vec![
                Memo {
                    api: u8::MAX,
                    calls: 0,
                    fen: 0,
                    len: 0,
                    bytes: [0; MEMO_BYTES],
                };
                1 << MEMO_BITS
            ],
            calc,
            apis: Vec::new(),
            seen: vec![None; 64],
            prices: Vec::new(),
            cliffs: Vec::new(),
        }
    }

    fn api(&mut self, name: &[u8]) -> Result<usize, String> {
        let key = NameKey::of(name);
        let slot = key.slot();
        if let Some((k, n, i)) = &self.seen[slot] {
            if *k == key && (name.len() <= 16 || n == name) {
                return Ok(*i);
            }
        }
        let text = String::from_utf8_lossy(name);
        let api = self.calc.prices.item(&text).map_err(|e| e.to_string())?;
        let index = match self.apis.iter().position(|a| a.key == api.key) {
            Some(i) => i,
            None => {
                // Facts of a tier table are computed once for all the APIs
                // that share it.
                let shared = self.apis.iter().position(|a| {
                    std::sync::Arc::ptr_eq(&a.tiers, &api.tiers)
                        && self.calc.lone_free(a) == self.calc.lone_free(api)
                });
                let (prices, cliffs) = match shared {
                    Some(i) => (self.prices[i].clone(), self.cliffs[i].clone()),
                    None => {
                        let bounds = self.calc.prices.settings.tier_bounds;
                        let prices: Vec<String> = api
                            .tiers
                            .iter()
                            .map(|t| match t.price {
                                crate::TierPrice::List(p) => format_price(p),
                                crate::TierPrice::ContactSales { .. } => String::new(),
                            })
                            .collect();
                        let cliffs: Vec<TierCliff> = (0..api.tiers.len())
                            .map(|i| {
                                let at = api.first_calls_of_tier(i, bounds);
                                let free = self.calc.lone_free(api);
                                let c = self
                                    .calc
                                    .charge(api, at, free, &mut [], &mut Vec::new())
                                    .ok()?;
                                Some((at, c.amount))
                            })
                            .collect();
                        (prices.into(), cliffs.into())
                    }
                };
                self.prices.push(prices);
                self.cliffs.push(cliffs);
                self.apis.push(api);
                self.apis.len() - 1
            }
        };
        self.seen[slot] = Some((key, name.to_vec(), index));
        Ok(index)
    }

    /// The bill columns of `calls` calls of API `api` as CSV text (each cell
    /// after a comma), remembered for the next row with the same API and count
    /// (usage repeats counts a lot).
    fn bill(&mut self, api: usize, calls: u64) -> Result<(&[u8], i64), String> {
        self.bill_with_free(api, calls, None)
    }

    /// [`Biller::bill`] with the free calls the item has this month when not
    /// its own quota (an account's allowance shared by its items).
    fn bill_with_free(
        &mut self,
        api: usize,
        calls: u64,
        free: Option<u64>,
    ) -> Result<(&[u8], i64), String> {
        // The API in the top bits before mixing, so that it picks the slot too.
        let slot = ((calls ^ ((api as u64) << 56)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            >> (64 - MEMO_BITS)) as usize;
        let m = &self.memo[slot];
        if free.is_none() && usize::from(m.api) == api && m.calls == calls {
            let m = &self.memo[slot];
            return Ok((&m.bytes[..usize::from(m.len)], m.fen));
        }
        let c = self.charge(api, calls, free)?;
        let lone = self.calc.lone_free(self.apis[api]);
        let facts = self.facts(api, calls, &c, free.is_some_and(|f| f != lone));
        let mut cells = std::mem::take(&mut self.scratch);
        self.cells(api, &facts, &mut cells);
        self.scratch = cells;
        let text = &self.scratch.buf;
        let fen = fen_of(c.amount);
        if free.is_none() && text.len() <= MEMO_BYTES && api < usize::from(u8::MAX) {
            let m = &mut self.memo[slot];
            m.api = api as u8;
            m.calls = calls;
            m.fen = fen;
            m.len = text.len() as u8;
            m.bytes[..text.len()].copy_from_slice(text);
        }
        Ok((text, fen))
    }

    /// The month's charge of `calls` calls of API `api`, with `free` free
    /// calls when not its own quota.
    fn charge(&self, api: usize, calls: u64, free: Option<u64>) -> Result<Charge, String> {
        let lone = self.calc.lone_free(self.apis[api]);
        self.calc
            .charge(
                self.apis[api],
                calls,
                free.unwrap_or(lone),
                &mut [],
                &mut Vec::new(),
            )
            .map_err(|e| e.to_string())
    }

    /// What the bill columns say of one month's charge.
    fn facts(&self, api: usize, calls: u64, c: &Charge, shared_free: bool) -> BillFacts {
        BillFacts {
            free_calls: c.free_calls,
            billable_calls: c.billable_calls,
            tier: Some((c.tier_index, c.unit_price)),
            amount: c.amount,
            // The cliffs are known for an item's own free calls; with a share of
            // an account's allowance the cheaper tier's bill is not, so none is
            // named.
            cliff: self.cliff(api, calls, c).filter(|_| !shared_free),
        }
    }

    /// The nearest higher tier whose first call count is billed less.
    fn cliff(&self, api: usize, calls: u64, c: &Charge) -> Option<(u64, Money)> {
        self.cliffs[api][c.tier_index + 1..]
            .iter()
            .flatten()
            .find(|(at, amount)| *at > calls && *amount < c.amount)
            .copied()
    }

    /// The bill columns' values.
    fn cells(&self, api: usize, f: &BillFacts, cells: &mut Cells) {
        cells.clear();
        cells.push_u64(f.free_calls);
        cells.push_u64(f.billable_calls);
        match f.tier {
            Some((tier, price)) => {
                cells.push_u64(tier as u64 + 1);
                match price {
                    Some(p) => match self.prices[api][tier].as_str() {
                        "" => cells.push_str(&format_price(p)),
                        text => cells.push_str(text),
                    },
                    None => cells.push_str(""),
                }
            }
            None => {
                cells.push_str("");
                cells.push_str("");
            }
        }
        cells.push_money(f.amount);
        match f.cliff {
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

/// An amount in fen (0.01), for the run's total.
fn fen_of(amount: Money) -> i64 {
    i64::try_from(amount.decimal().mantissa()).unwrap_or(i64::MAX)
}

/// What the bill columns of one output row say: one month's charge, or the
/// sum of a group's months.
struct BillFacts {
    free_calls: u64,
    billable_calls: u64,
    /// The reached tier (0-based) and its unit price (`None` when nothing is
    /// charged); `None` when the months summed reached different ones.
    tier: Option<(usize, Option<Decimal>)>,
    amount: Money,
    /// More calls would be billed less: the cheaper tier's first call count
    /// and its bill (one month's only).
    cliff: Option<(u64, Money)>,
}

impl BillFacts {
    /// Adds another month's charge of the same billing item.
    fn add(&mut self, other: BillFacts) -> Result<(), String> {
        let overflow = || "the group's calls overflow".to_string();
        self.free_calls = self
            .free_calls
            .checked_add(other.free_calls)
            .ok_or_else(overflow)?;
        self.billable_calls = self
            .billable_calls
            .checked_add(other.billable_calls)
            .ok_or_else(overflow)?;
        if self.tier != other.tier {
            self.tier = None;
        }
        self.amount = self
            .amount
            .checked_add(other.amount)
            .map_err(|e| e.to_string())?;
        self.cliff = None;
        Ok(())
    }
}

/// A name's first and last 8 bytes and its length: equal keys mean equal names
/// up to 16 bytes. Built with two loads, no loop, for the names of most rows.
#[derive(Clone, Copy, PartialEq, Eq)]
struct NameKey {
    head: u64,
    tail: u64,
    len: usize,
}

impl NameKey {
    fn of(name: &[u8]) -> NameKey {
        let len = name.len();
        let word = |bytes: &[u8]| u64::from_le_bytes(bytes.try_into().expect("8 bytes"));
        if len >= 8 {
            return NameKey {
                head: word(&name[..8]),
                tail: word(&name[len - 8..]),
                len,
            };
        }
        let mut head = 0u64;
        for (i, &b) in name.iter().enumerate() {
            head |= u64::from(b) << (8 * i);
        }
        NameKey { head, tail: 0, len }
    }

    /// A slot of a 64-entry table.
    fn slot(self) -> usize {
        ((self.head ^ self.tail.rotate_left(17) ^ self.len as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            >> 58) as usize
    }
}

/// The bill cells of a row as CSV text, each after a comma (`,1000,8000,…`),
/// built in one reused buffer: a CSV row appends it as it is. No cell holds a
/// comma (counts, prices, amounts).
#[derive(Default)]
struct Cells {
    buf: Vec<u8>,
}

impl Cells {
    fn clear(&mut self) {
        self.buf.clear();
    }

    fn push_str(&mut self, s: &str) {
        self.buf.push(b',');
        self.buf.extend_from_slice(s.as_bytes());
    }

    fn push_u64(&mut self, n: u64) {
        self.buf.push(b',');
        push_digits(&mut self.buf, n);
    }

    fn push_money(&mut self, m: Money) {
        self.buf.push(b',');
        m.write_to(&mut self.buf);
    }
}

/// Appends `n` in decimal.
fn push_digits(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// The cells of a bill text, without their commas.
fn cells_of(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    text.get(1..).unwrap_or_default().split(|&b| b == b',')
}

/// A call count: plain digits fast, every other form through [`parse_count`].
fn calls_of(field: &[u8]) -> Result<u64, String> {
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

/// Formats output rows as CSV or JSON Lines into a byte buffer.
struct RowFormat {
    format: BatchFormat,
    columns: Vec<(String, JsonKind)>,
}

/// Writes one CSV field, quoted when it holds a comma, quote or line break.
fn csv_field(out: &mut Vec<u8>, field: &[u8]) {
    if !field
        .iter()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        out.extend_from_slice(field);
        return;
    }
    out.push(b'"');
    for part in field.split_inclusive(|&b| b == b'"') {
        out.extend_from_slice(part);
        if part.last() == Some(&b'"') {
            out.push(b'"');
        }
    }
    out.push(b'"');
}

/// Writes a JSON string.
fn json_string(out: &mut Vec<u8>, text: &[u8]) {
    serde_json::to_writer(out, &String::from_utf8_lossy(text)).expect("writing to memory");
}

impl RowFormat {
    /// `leading` are the columns before the bill columns; `integers` those of
    /// them written as integers in JSON.
    fn new(format: BatchFormat, leading: Vec<String>, integers: &[usize]) -> Self {
        let bill = BILL_COLUMNS.iter().map(|c| {
            let kind = match *c {
                "unit_price" | "amount" | "cliff_amount" => JsonKind::OptionalText,
                _ => JsonKind::Integer,
            };
            (c.to_string(), kind)
        });
        let columns = leading
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
        RowFormat { format, columns }
    }

    /// The CSV header row (nothing for JSON Lines).
    fn header(&self, out: &mut Vec<u8>) {
        let excel = self.format == BatchFormat::ExcelCsv;
        if excel {
            out.extend_from_slice(b"\xEF\xBB\xBF");
        }
        if self.format != BatchFormat::JsonLines {
            for (i, (name, _)) in self.columns.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                self.field(out, name.as_bytes());
            }
            out.extend_from_slice(if excel { b"\r\n" } else { b"\n" });
        }
    }

    /// One CSV field, made safe for spreadsheets in Excel CSV.
    fn field(&self, out: &mut Vec<u8>, field: &[u8]) {
        if self.format == BatchFormat::ExcelCsv {
            let text = String::from_utf8_lossy(field);
            csv_field(out, spreadsheet_safe(&text).as_bytes());
        } else {
            csv_field(out, field);
        }
    }

    /// One output row: the leading fields, then the bill cells. In CSV, `raw`
    /// (the input record as read) stands for the leading fields unchanged. `calls`
    /// is the position and parsed value of the call count, an integer in JSON.
    fn row<'f>(
        &self,
        out: &mut Vec<u8>,
        leading: impl Iterator<Item = &'f [u8]>,
        raw: Option<&[u8]>,
        calls: (usize, u64),
        bill: &'f [u8],
    ) {
        match self.format {
            BatchFormat::Csv | BatchFormat::ExcelCsv => {
                match raw.filter(|_| self.format == BatchFormat::Csv) {
                    Some(raw) => out.extend_from_slice(raw),
                    None => {
                        for (i, f) in leading.enumerate() {
                            if i > 0 {
                                out.push(b',');
                            }
                            self.field(out, f);
                        }
                    }
                }
                out.extend_from_slice(bill);
                out.extend_from_slice(if self.format == BatchFormat::ExcelCsv {
                    b"\r\n"
                } else {
                    b"\n"
                });
            }
            BatchFormat::JsonLines => {
                out.push(b'{');
                let fields = leading.chain(cells_of(bill));
                for (i, ((name, kind), f)) in self.columns.iter().zip(fields).enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    json_string(out, name.as_bytes());
                    out.push(b':');
                    match kind {
                        _ if i == calls.0 => push_digits(out, calls.1),
                        JsonKind::Integer | JsonKind::OptionalText if f.is_empty() => {
                            out.extend_from_slice(b"null")
                        }
                        JsonKind::Integer => out.extend_from_slice(f),
                        JsonKind::Text | JsonKind::OptionalText => json_string(out, f),
                    }
                }
                out.extend_from_slice(b"}\n");
            }
        }
    }
}

struct Columns {
    count: usize,
    api: usize,
    calls: usize,
    account: Option<usize>,
    month: Option<usize>,
    group: Vec<usize>,
    /// The free calls are the account's, shared by its items.
    per_account: bool,
}

fn columns(names: &[String], options: &BatchOptions) -> Result<Columns, BatchError> {
    let wanted = [
        Wanted {
            role: Role::Api,
            named: options.api_column.as_deref(),
            required: true,
        },
        Wanted {
            role: Role::Calls,
            named: options.calls_column.as_deref(),
            required: true,
        },
        Wanted {
            role: Role::Account,
            named: options.account_column.as_deref(),
            required: options.account_column.is_some(),
        },
        Wanted {
            role: Role::Month,
            named: options.month_column.as_deref(),
            required: options.month_column.is_some(),
        },
    ];
    let found = crate::columns::resolve(names, &wanted).map_err(BatchError::Input)?;
    let (api, calls) = (found[0].unwrap_or(0), found[1].unwrap_or(0));
    let mut group = Vec::new();
    for g in &options.group_by {
        let hits: Vec<usize> = (0..names.len()).filter(|&i| names[i] == g.trim()).collect();
        match hits.as_slice() {
            [one] => group.push(*one),
            [] => {
                return Err(BatchError::Input(format!(
                    "the header has no '{g}' column (a --group-by column); columns: {}",
                    names.join(", ")
                )))
            }
            _ => {
                return Err(BatchError::Input(format!(
                    "the header has {} columns named '{g}'; expected one",
                    hits.len()
                )))
            }
        }
    }
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
    let months_apart = found[3].is_some_and(|m| !group.contains(&m));
    let reserved = |n: &str| {
        BILL_COLUMNS.contains(&n)
            || (!group.is_empty() && ["api", "calls", "rows"].contains(&n))
            || (!group.is_empty() && months_apart && n == "months")
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
    Ok(Columns {
        count: names.len(),
        api,
        calls,
        account: found[2],
        month: found[3],
        group,
        per_account: false,
    })
}

/// Trims ASCII spaces and tabs, as every field is compared.
fn trimmed(field: &[u8]) -> &[u8] {
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
fn month_of(field: &[u8]) -> Result<Dated, String> {
    let f = trimmed(field);
    let digit = |i: usize| {
        f.get(i)
            .filter(|b| b.is_ascii_digit())
            .map(|b| u32::from(b - b'0'))
    };
    let fast = match f.len() {
        7 | 10 if f[4] == b'-' && (f.len() == 7 || f[7] == b'-') => {
            let year = (0..4).try_fold(0, |y, i| digit(i).map(|d| y * 10 + d));
            let month = digit(5).zip(digit(6)).map(|(a, b)| a * 10 + b);
            let day = if f.len() == 10 {
                digit(8).zip(digit(9)).map(|(a, b)| a * 10 + b)
            } else {
                Some(1)
            };
            match (year, month, day) {
                (Some(y), Some(m), Some(d)) if (1..=28).contains(&d) => {
                    Month::new(y, m).map(|month| Dated {
                        month,
                        has_day: f.len() == 10,
                    })
                }
                _ => None,
            }
        }
        _ => None,
    };
    match fast {
        Some(d) => Ok(d),
        None => Month::parse_dated(&String::from_utf8_lossy(f)),
    }
}

/// A group as people read it: `account=acme, month=2026-01`.
fn group_label(names: &[String], columns: &[usize], values: &[&[u8]]) -> String {
    columns
        .iter()
        .zip(values)
        .map(|(&c, v)| format!("{}={}", names[c], String::from_utf8_lossy(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rows per (account, month, billing item) fingerprint: rows that share a key
/// were each billed as a whole month, and the user is told how many. Every
/// key is kept once (8 bytes and a control byte); a count only for the keys
/// seen again, so that memory is half what a count per key would take.
#[derive(Default)]
struct KeyCounts {
    seen: std::collections::HashSet<u64, rustc_hash::FxBuildHasher>,
    again: HashMap<u64, u64, rustc_hash::FxBuildHasher>,
}

impl KeyCounts {
    fn add(&mut self, key: u64) {
        if !self.seen.insert(key) {
            *self.again.entry(key).or_insert(1) += 1;
        }
    }

    /// Rows whose key another row has too.
    fn shared(&self) -> u64 {
        self.again.values().sum()
    }
}

/// The fingerprint of a row's account, month and API.
fn row_key(record: &Record<'_>, cols: &Columns, api: usize, month: Option<Month>) -> u64 {
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut h = rustc_hash::FxBuildHasher.build_hasher();
    if let Some(a) = cols.account {
        trimmed(record.field(a)).hash(&mut h);
    }
    match (month, cols.month) {
        (Some(m), _) => m.hash(&mut h),
        (None, Some(c)) => trimmed(record.field(c)).hash(&mut h),
        (None, None) => {}
    }
    // With one allowance per account, rows of other items share it too.
    if !cols.per_account {
        api.hash(&mut h);
    }
    // Mix the high bits, which pick the shard.
    let x = h.finish();
    x ^ (x >> 29).wrapping_mul(0xBF58_476D_1CE4_E5B9)
}

/// Input bytes handed to a worker at a time (cut at a record boundary).
const BLOCK_BYTES: usize = 1 << 18;
/// Blocks in flight at once: bounds memory whatever the input size.
const BLOCKS_IN_FLIGHT: usize = 4;
/// Output buffered before it is written.
const FLUSH_BYTES: usize = 1 << 17;

/// Spare byte buffers, so that blocks reuse memory instead of asking the
/// allocator (and the kernel) for fresh pages every time.
#[derive(Default)]
struct Pool(Mutex<Vec<Vec<u8>>>);

impl Pool {
    fn get(&self) -> Vec<u8> {
        self.0
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_default()
    }

    fn put(&self, mut buf: Vec<u8>) {
        buf.clear();
        if let Ok(mut p) = self.0.lock() {
            if p.len() < 4 * BLOCKS_IN_FLIGHT {
                p.push(buf);
            }
        }
    }
}

/// How the blocks of one run are billed.
#[derive(Clone, Copy)]
struct Job<'a> {
    cols: &'a Columns,
    format: &'a RowFormat,
    skip_invalid: bool,
    multiline: bool,
    /// Rows' (account, month, item) keys are counted: the input has an
    /// account or month column.
    count_keys: bool,
}

/// What a worker made of one block of input.
struct BlockResult {
    out: Vec<u8>,
    /// Bad rows, with lines counted from the block's first line (1).
    errors: Vec<RowError>,
    rows: u64,
    written: u64,
    daily: u64,
    /// The (account, month, item) fingerprints of the rows written, when counted.
    keys: Vec<u64>,
    fen: i128,
    /// Newlines in the block, to number the lines of the next one.
    newlines: u64,
    /// Stopped at the first bad row (without `skip_invalid`).
    stopped: bool,
}

/// Bills the records of one block (complete records only).
fn bill_block(biller: &mut Biller<'_>, pool: &Pool, block: Vec<u8>, job: &Job<'_>) -> BlockResult {
    let Job {
        cols,
        format,
        skip_invalid,
        multiline,
        count_keys,
    } = *job;
    let mut out = pool.get();
    out.reserve(block.len() * 9 / 4);
    let mut result = BlockResult {
        out,
        errors: Vec::new(),
        rows: 0,
        written: 0,
        daily: 0,
        keys: Vec::new(),
        fen: 0,
        newlines: 0,
        stopped: false,
    };
    let mut reader = RecordReader::<io::Empty>::from_bytes(block).multiline(multiline);
    loop {
        let record = match reader.next_record() {
            Ok(Some(record)) => record,
            Ok(None) => break,
            Err(e) => match row_error(e) {
                Ok(error) => {
                    result.rows += 1;
                    result.errors.push(error);
                    if !skip_invalid {
                        result.stopped = true;
                        break;
                    }
                    continue;
                }
                Err(e) => {
                    // A block holds whole records, so only an overlong one lands here.
                    let line = match e {
                        ReadError::TooLong(line) => line,
                        _ => 0,
                    };
                    result.errors.push(too_long(line));
                    result.stopped = true;
                    break;
                }
            },
        };
        result.rows += 1;
        let billed = read_row(biller, &record, cols)
            .and_then(|(api, calls)| Ok((api, calls, biller.bill(api, calls)?)));
        match billed {
            Ok((api, calls, (bill, fen))) => {
                format.row(
                    &mut result.out,
                    record.iter(),
                    Some(record.raw),
                    (cols.calls, calls),
                    bill,
                );
                result.written += 1;
                result.fen += i128::from(fen);
                if count_keys {
                    let dated = cols.month.and_then(|m| month_of(record.field(m)).ok());
                    result.daily += u64::from(dated.is_some_and(|d| d.has_day));
                    result
                        .keys
                        .push(row_key(&record, cols, api, dated.map(|d| d.month)));
                }
            }
            Err(message) => {
                let mut error = RowError::new(record.line, message);
                if let Some(last) = result.errors.last() {
                    if last.message == error.message {
                        error.message = std::sync::Arc::clone(&last.message);
                    }
                }
                result.errors.push(error);
                if !skip_invalid {
                    result.stopped = true;
                    break;
                }
            }
        }
    }
    result.newlines = reader.lines_read();
    pool.put(reader.into_buffer());
    result
}

/// The end of the last complete record in `block` (after its newline), counting
/// quotes so that a newline inside a quoted field is not taken for one.
fn record_boundary(block: &[u8]) -> Option<usize> {
    if memchr::memchr(b'"', block).is_none() {
        return memchr::memrchr(b'\n', block).map(|i| i + 1);
    }
    let mut inside = false;
    let mut last = None;
    for i in memchr::memchr2_iter(b'"', b'\n', block) {
        match block[i] {
            b'"' => inside = !inside,
            _ if !inside => last = Some(i + 1),
            _ => {}
        }
    }
    last
}

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
    mut output: W,
    options: &BatchOptions,
    on_skip: &mut dyn FnMut(&RowError),
) -> Result<BatchSummary, BatchError> {
    let mut reader = RecordReader::new(input).multiline(options.multiline_fields);
    let Some(header) = reader.next_record().map_err(read_error)? else {
        return Err(BatchError::Input(
            "the input is empty; expected a header row with api and calls columns".into(),
        ));
    };
    let names: Vec<String> = header
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    let mut cols = columns(&names, options)?;
    cols.per_account = calc.prices.settings.free_quota == crate::FreeQuota::PerAccount;
    if cols.group.is_empty() {
        let format = RowFormat::new(options.format, names, &[cols.calls]);
        let (input, leftover, first_line) = reader.into_parts();
        return stream(
            calc, input, leftover, first_line, output, &cols, &format, options, on_skip,
        );
    }

    // Grouped: sum calls per (group values, API) in order of first appearance.
    // A group's key is its values, each length-prefixed, and the API: stored
    // once, as the map's key.
    struct Group {
        api: usize,
        calls: u64,
        rows: u64,
        first_line: u64,
        /// Where its key is in `arena`.
        key: std::ops::Range<usize>,
        /// The key's hash, so that growing the table reads no keys.
        hash: u64,
    }
    // A bill is one month's: a grouping that leaves the month column out
    // keeps the months apart (the month ends the group's values, unwritten),
    // bills each, and writes their sum.
    let month_apart = cols.month.filter(|m| !cols.group.contains(m));
    let mut biller = Biller::new(calc);
    let mut summary = BatchSummary::default();
    let mut bad = |summary: &mut BatchSummary, error: RowError| -> Result<(), BatchError> {
        if options.skip_invalid {
            summary.skipped += 1;
            on_skip(&error);
            Ok(())
        } else {
            Err(BatchError::Row(error))
        }
    };
    // Group keys are stored end to end in one arena and found through a hash
    // table of group numbers: no allocation per group.
    use std::hash::BuildHasher;
    let hasher = rustc_hash::FxBuildHasher;
    let mut index: hashbrown::HashTable<usize> = hashbrown::HashTable::new();
    let mut arena: Vec<u8> = Vec::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut key = Vec::new();
    loop {
        let record = match reader.next_record() {
            Ok(Some(record)) => record,
            Ok(None) => break,
            Err(e) => match row_error(e) {
                Ok(error) => {
                    summary.rows += 1;
                    bad(&mut summary, error)?;
                    continue;
                }
                Err(e) => return Err(read_error(e)),
            },
        };
        summary.rows += 1;
        let line = record.line;
        let (api, calls) = match read_row(&mut biller, &record, &cols) {
            Ok(row) => row,
            Err(message) => {
                bad(&mut summary, RowError::new(line, message))?;
                continue;
            }
        };
        // Group values are compared trimmed, and a month column's dates as
        // their month: daily rows become the month's total.
        key.clear();
        let mut bad_month = None;
        for &g in &cols.group {
            let value = trimmed(record.field(g));
            let month;
            let value = if Some(g) == cols.month {
                match month_of(value) {
                    Ok(d) => {
                        month = d.month.to_string();
                        month.as_bytes()
                    }
                    Err(message) => {
                        bad_month = Some(message);
                        break;
                    }
                }
            } else {
                value
            };
            key.extend_from_slice(&(value.len() as u32).to_le_bytes());
            key.extend_from_slice(value);
        }
        if let Some(message) = bad_month {
            bad(&mut summary, RowError::new(line, message))?;
            continue;
        }
        if let Some(m) = month_apart {
            match month_of(record.field(m)) {
                Ok(d) => {
                    let month = d.month.to_string();
                    key.extend_from_slice(&(month.len() as u32).to_le_bytes());
                    key.extend_from_slice(month.as_bytes());
                }
                Err(message) => {
                    bad(&mut summary, RowError::new(line, message))?;
                    continue;
                }
            }
        }
        key.extend_from_slice(&(api as u32).to_le_bytes());
        let hash = hasher.hash_one(key.as_slice());
        let found = index
            .find(hash, |&g| {
                groups[g].hash == hash && arena[groups[g].key.clone()] == key[..]
            })
            .copied();
        let at = match found {
            Some(at) => at,
            None => {
                let start = arena.len();
                arena.extend_from_slice(&key);
                groups.push(Group {
                    api,
                    calls: 0,
                    rows: 0,
                    first_line: line,
                    key: start..arena.len(),
                    hash,
                });
                let at = groups.len() - 1;
                index.insert_unique(hash, at, |&g| groups[g].hash);
                at
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
                bad(&mut summary, RowError::new(line, message))?;
            }
        }
    }
    drop(index);
    let key_of = |g: &Group| &arena[g.key.clone()];
    fn values_of(key: &[u8], count: usize) -> Vec<&[u8]> {
        let mut values = Vec::with_capacity(count);
        let mut rest = key;
        for _ in 0..count {
            let (len, tail) = rest.split_at(4);
            let len = u32::from_le_bytes(len.try_into().expect("4 bytes")) as usize;
            values.push(&tail[..len]);
            rest = &tail[len..];
        }
        values
    }
    let leading: Vec<String> = cols
        .group
        .iter()
        .map(|&g| names[g].clone())
        .chain(["api", "calls", "rows"].map(String::from))
        .chain(month_apart.map(|_| "months".to_string()))
        .collect();
    let calls_at = cols.group.len() + 1;
    let format = RowFormat::new(
        options.format,
        leading,
        &[calls_at, calls_at + 1, calls_at + 2],
    );
    let mut out = Vec::with_capacity(FLUSH_BYTES * 2);
    format.header(&mut out);
    // An account's allowance of free calls is shared by the items of a group
    // (the same group values), in price-list order.
    let shared_free: Vec<Option<u64>> =
        if calc.prices.settings.free_quota == crate::FreeQuota::PerAccount {
            let item_index = |api: usize| {
                calc.prices
                    .items
                    .iter()
                    .position(|i| i.key == biller.apis[api].key)
                    .unwrap_or(usize::MAX)
            };
            let mut by_values: HashMap<&[u8], Vec<usize>, rustc_hash::FxBuildHasher> =
                HashMap::default();
            for (at, key) in groups.iter().map(key_of).enumerate() {
                by_values.entry(&key[..key.len() - 4]).or_default().push(at);
            }
            let mut free = vec![None; groups.len()];
            for members in by_values.values() {
                let month: Vec<(usize, u64)> = members
                    .iter()
                    .map(|&at| (item_index(groups[at].api), groups[at].calls))
                    .collect();
                for (&at, f) in members.iter().zip(calc.free_calls(&month)) {
                    free[at] = Some(f);
                }
            }
            free
        } else {
            vec![None; groups.len()]
        };
    if let Some(m) = month_apart {
        // Each month billed on its own, one row per group values and billing
        // item: the months' bills summed. Written once all are billed.
        struct Total {
            /// Its first group (of one month).
            group: usize,
            calls: u64,
            rows: u64,
            months: u64,
            facts: Option<BillFacts>,
            /// Why a month could not be billed (its first line, the message):
            /// the row is left out.
            error: Option<(u64, String)>,
        }
        let mut totals: Vec<Total> = Vec::new();
        let mut found: HashMap<Vec<u8>, usize, rustc_hash::FxBuildHasher> = HashMap::default();
        let label_columns: Vec<usize> = cols.group.iter().copied().chain([m]).collect();
        for (at, (g, free)) in groups.iter().zip(shared_free).enumerate() {
            let key = key_of(g);
            let values = values_of(key, cols.group.len() + 1);
            // The key without the month: the group values and the API.
            let month_starts = key.len() - 4 - 4 - values[cols.group.len()].len();
            let outer = [&key[..month_starts], &key[key.len() - 4..]].concat();
            let t = *found.entry(outer).or_insert_with(|| {
                totals.push(Total {
                    group: at,
                    calls: 0,
                    rows: 0,
                    months: 0,
                    facts: None,
                    error: None,
                });
                totals.len() - 1
            });
            let total = &mut totals[t];
            total.rows += g.rows;
            total.months += 1;
            let billed = total
                .calls
                .checked_add(g.calls)
                .ok_or_else(|| "the group's calls overflow".to_string())
                .and_then(|calls| {
                    total.calls = calls;
                    let c = biller.charge(g.api, g.calls, free)?;
                    let lone = calc.lone_free(biller.apis[g.api]);
                    let facts = biller.facts(g.api, g.calls, &c, free.is_some_and(|f| f != lone));
                    match &mut total.facts {
                        Some(sum) => sum.add(facts),
                        None => {
                            total.facts = Some(facts);
                            Ok(())
                        }
                    }
                });
            if let Err(message) = billed {
                let group = group_label(&names, &label_columns, &values);
                let message = format!("group {group} ({} rows): {message}", g.rows);
                if !options.skip_invalid {
                    return Err(BatchError::Row(RowError::new(g.first_line, message)));
                }
                total.error.get_or_insert((g.first_line, message));
            }
        }
        let mut cells = Cells::default();
        for total in totals {
            let g = &groups[total.group];
            if let Some((line, mut message)) = total.error {
                if total.months > 1 {
                    message.push_str(&format!(
                        "; its {} months ({} rows) are left out with it",
                        total.months, total.rows
                    ));
                }
                summary.skipped += total.rows;
                on_skip(&RowError::new(line, message));
                continue;
            }
            let facts = total.facts.expect("a month billed");
            summary.fen += i128::from(fen_of(facts.amount));
            biller.cells(g.api, &facts, &mut cells);
            let key = key_of(g);
            let values = values_of(key, cols.group.len());
            let numbers = [total.calls, total.rows, total.months].map(|n| n.to_string());
            let lead = values
                .iter()
                .copied()
                .chain([biller.apis[g.api].key.as_bytes()])
                .chain(numbers.iter().map(|n| n.as_bytes()));
            format.row(&mut out, lead, None, (calls_at, total.calls), &cells.buf);
            summary.written += 1;
            if out.len() >= FLUSH_BYTES {
                output.write_all(&out)?;
                out.clear();
            }
        }
        output.write_all(&out)?;
        output.flush()?;
        return Ok(summary);
    }
    for (g, free) in groups.iter().zip(shared_free) {
        let key = key_of(g);
        let values = values_of(key, cols.group.len());
        let api_key = biller.apis[g.api];
        match biller.bill_with_free(g.api, g.calls, free) {
            Ok((bill, fen)) => {
                summary.fen += i128::from(fen);
                let calls = g.calls.to_string();
                let rows = g.rows.to_string();
                let lead = values.iter().copied().chain([
                    api_key.key.as_bytes(),
                    calls.as_bytes(),
                    rows.as_bytes(),
                ]);
                format.row(&mut out, lead, None, (calls_at, g.calls), bill);
                summary.written += 1;
                if out.len() >= FLUSH_BYTES {
                    output.write_all(&out)?;
                    out.clear();
                }
            }
            Err(message) => {
                let group = group_label(&names, &cols.group, &values);
                let error = RowError::new(
                    g.first_line,
                    format!("group {group} ({} rows): {message}", g.rows),
                );
                if options.skip_invalid {
                    summary.skipped += g.rows;
                    on_skip(&error);
                } else {
                    output.write_all(&out)?;
                    output.flush()?;
                    return Err(BatchError::Row(error));
                }
            }
        }
    }
    output.write_all(&out)?;
    output.flush()?;
    Ok(summary)
}

/// Where blocks are billed: on worker threads, or on this thread when the whole
/// input is one block (no threads to start for a small file).
enum Billing<'w, 'a> {
    Threads {
        jobs: mpsc::Sender<(u64, Vec<u8>)>,
        done: &'w mpsc::Receiver<(u64, BlockResult)>,
    },
    Here {
        biller: Box<Biller<'a>>,
        pool: &'w Pool,
        job: &'w Job<'w>,
    },
}

/// The ungrouped stream: this thread reads blocks cut at record boundaries and
/// writes results in order; workers bill the blocks.
#[allow(clippy::too_many_arguments)]
fn stream<R: Read, W: Write>(
    calc: Calculator<'_>,
    mut input: R,
    mut pending_input: Vec<u8>,
    first_line: u64,
    mut output: W,
    cols: &Columns,
    format: &RowFormat,
    options: &BatchOptions,
    on_skip: &mut dyn FnMut(&RowError),
) -> Result<BatchSummary, BatchError> {
    let mut head = Vec::new();
    format.header(&mut head);
    output.write_all(&head)?;
    let pool = &Pool::default();
    let job = &Job {
        cols,
        format,
        skip_invalid: options.skip_invalid,
        multiline: options.multiline_fields,
        count_keys: cols.account.is_some() || cols.month.is_some(),
    };
    let want = BLOCK_BYTES as u64;
    if (input.by_ref().take(want).read_to_end(&mut pending_input)? as u64) < want {
        let mut here = Billing::Here {
            biller: Box::new(Biller::new(calc)),
            pool,
            job,
        };
        let mut rest = &[][..];
        return coordinate(
            &mut rest,
            &mut pending_input,
            first_line,
            &mut output,
            &mut here,
            pool,
            options,
            on_skip,
        );
    }
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let (job_tx, job_rx) = mpsc::channel::<(u64, Vec<u8>)>();
    let job_rx = Mutex::new(job_rx);
    let (done_tx, done_rx) = mpsc::channel::<(u64, BlockResult)>();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let done_tx = done_tx.clone();
                let job_rx = &job_rx;
                scope.spawn(move || {
                    let mut biller = Biller::new(calc);
                    loop {
                        let next = job_rx.lock().map(|rx| rx.recv());
                        let Ok(Ok((seq, block))) = next else { break };
                        let result = bill_block(&mut biller, pool, block, job);
                        if done_tx.send((seq, result)).is_err() {
                            break;
                        }
                    }
                })
            })
            .collect();
        drop(done_tx);
        let mut threads = Billing::Threads {
            jobs: job_tx,
            done: &done_rx,
        };
        let result = coordinate(
            &mut input,
            &mut pending_input,
            first_line,
            &mut output,
            &mut threads,
            pool,
            options,
            on_skip,
        );
        // Closing the job queue stops the workers.
        drop(threads);
        for h in handles {
            let _ = h.join();
        }
        result
    })
}

/// Feeds blocks to the workers and writes their results in input order.
#[allow(clippy::too_many_arguments)]
fn coordinate<R: Read, W: Write>(
    input: &mut R,
    carry: &mut Vec<u8>,
    first_line: u64,
    output: &mut W,
    billing: &mut Billing<'_, '_>,
    pool: &Pool,
    options: &BatchOptions,
    on_skip: &mut dyn FnMut(&RowError),
) -> Result<BatchSummary, BatchError> {
    let mut summary = BatchSummary::default();
    // One count per (account, month, item) fingerprint, kept here while the
    // workers bill: rows sharing a key were each billed as a whole month.
    let mut key_counts = KeyCounts::default();
    let mut results: BTreeMap<u64, BlockResult> = BTreeMap::new();
    let (mut sent, mut next_to_write) = (0u64, 0u64);
    let mut line_base = first_line - 1;
    let mut eof = false;
    // A record with no end in sight: refused once everything before it is out.
    let mut overlong = false;
    loop {
        // Write every finished block that is next in order.
        while let Some(r) = results.remove(&next_to_write) {
            next_to_write += 1;
            summary.rows += r.rows;
            summary.written += r.written;
            summary.daily += r.daily;
            for &k in &r.keys {
                key_counts.add(k);
            }
            summary.fen += r.fen;
            let mut stop = None;
            for mut e in r.errors {
                e.line += line_base;
                if let Some(close) = &mut e.closes_on {
                    *close += line_base;
                }
                if options.skip_invalid && !r.stopped {
                    // Reported before the block's rows are written, so that a
                    // closed output cannot hide them.
                    summary.skipped += 1;
                    on_skip(&e);
                } else {
                    stop = Some(e);
                    break;
                }
            }
            output.write_all(&r.out)?;
            pool.put(r.out);
            if let Some(e) = stop {
                output.flush()?;
                return Err(BatchError::Row(e));
            }
            line_base += r.newlines;
        }
        if eof && next_to_write == sent {
            output.flush()?;
            if overlong {
                return Err(BatchError::Row(too_long(line_base + 1)));
            }
            summary.shared = key_counts.shared();
            return Ok(summary);
        }
        if eof || sent - next_to_write >= BLOCKS_IN_FLIGHT as u64 {
            let Billing::Threads { done, .. } = billing else {
                unreachable!("blocks billed here are written at once")
            };
            let (seq, r) = done
                .recv()
                .map_err(|_| io::Error::other("a batch worker stopped"))?;
            results.insert(seq, r);
            continue;
        }
        // Read a block that ends at a record boundary.
        let mut block = pool.get();
        block.append(carry);
        let cut = loop {
            if let Some(cut) = record_boundary(&block) {
                if block.len() >= BLOCK_BYTES {
                    break cut;
                }
            }
            let want = BLOCK_BYTES.max(block.len() / 2) as u64;
            let n = input.by_ref().take(want).read_to_end(&mut block)?;
            if (n as u64) < want {
                eof = true;
                break block.len();
            }
            if block.len() > MAX_RECORD_BYTES && record_boundary(&block).is_none() {
                // An unbalanced quote: cut at a line end all the same, and the
                // worker reports the quote where it opens.
                if let Some(line_end) = memchr::memrchr(b'\n', &block) {
                    break line_end + 1;
                }
                overlong = true;
                eof = true;
                break 0;
            }
        };
        if overlong {
            carry.clear();
            pool.put(block);
            continue;
        }
        carry.extend_from_slice(&block[cut..]);
        block.truncate(cut);
        if !block.is_empty() {
            match billing {
                Billing::Threads { jobs, .. } => jobs
                    .send((sent, block))
                    .map_err(|_| io::Error::other("the batch workers stopped"))?,
                Billing::Here { biller, pool, job } => {
                    let r = bill_block(biller, pool, block, job);
                    results.insert(sent, r);
                }
            }
            sent += 1;
        }
    }
}

fn too_long(line: u64) -> RowError {
    RowError::new(line, too_long_message())
}

/// The API index and call count of a row, or why it cannot be billed.
fn read_row(
    biller: &mut Biller<'_>,
    record: &Record<'_>,
    cols: &Columns,
) -> Result<(usize, u64), String> {
    if record.len() != cols.count {
        return Err(format!(
            "expected {} fields as in the header, found {}",
            cols.count,
            record.len()
        ));
    }
    let api = biller.api(record.field(cols.api))?;
    let calls = calls_of(record.field(cols.calls))?;
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
