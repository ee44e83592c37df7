//! `--group-by`: rows summed per group values and billing item, in order of
//! first appearance, then billed as months.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::io::{Read, Write};
use std::ops::Range;

use super::biller::{BillFacts, Biller, Cells};
use super::columns::{group_label, month_of, trimmed, Columns};
use super::options::{Refusal, RowFilter};
use super::writer::{Padded, RowFormat, FLUSH_BYTES};
use super::{read_error, read_row, row_error};
use super::{BatchError, BatchOptions, BatchSummary, RowError};
use crate::bill::Calculator;
use crate::records::RecordReader;

/// One group: the rows of one set of group values (and, when the month column
/// is not grouped by, one month) and one billing item.
pub(super) struct Group {
    pub(super) calls: u64,
    pub(super) first_line: u64,
    /// Where its key starts in the arena (after its length: see [`Groups`]).
    key_start: usize,
    /// Its rows: more than `u32::MAX` of them are refused, as an overflowing
    /// sum of calls is.
    pub(super) rows: u32,
    api: u32,
}

impl Group {
    /// The billing item, as the biller numbers it.
    pub(super) fn api(&self) -> usize {
        self.api as usize
    }
}

/// The groups of an input. A group's key is its values, each length-prefixed
/// (the month last when it is kept apart), and the API; keys are stored end to
/// end in one arena and found through a hash table whose entries are a group's
/// number and the top half of its key's hash (so that probing and growing the
/// table read no group and no key but the one that matches): no allocation per
/// group, 32 bytes a group plus its key and 8 bytes a slot. Each key in the
/// arena follows its length: one byte below 255, else 255 and four bytes.
#[derive(Default)]
pub(super) struct Groups {
    pub(super) arena: Vec<u8>,
    pub(super) groups: Vec<Group>,
}

impl Groups {
    pub(super) fn key(&self, g: &Group) -> &[u8] {
        key_at(&self.arena, g.key_start)
    }
}

/// The key whose length is at `start` in `arena`.
fn key_at(arena: &[u8], start: usize) -> &[u8] {
    match arena[start] {
        255 => {
            let len = u32::from_le_bytes(arena[start + 1..start + 5].try_into().expect("4 bytes"));
            &arena[start + 5..start + 5 + len as usize]
        }
        len => &arena[start + 1..start + 1 + usize::from(len)],
    }
}

/// Appends a key after its length (see [`Groups`]); where it starts.
fn push_key(arena: &mut Vec<u8>, key: &[u8]) -> usize {
    let start = arena.len();
    match u8::try_from(key.len()) {
        Ok(len) if len < 255 => arena.push(len),
        _ => {
            arena.push(255);
            let len = u32::try_from(key.len()).expect("a key is shorter than a record");
            arena.extend_from_slice(&len.to_le_bytes());
        }
    }
    arena.extend_from_slice(key);
    start
}

/// The first `count` values of a key.
pub(super) fn values_of(key: &[u8], count: usize) -> Vec<&[u8]> {
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

pub(super) fn push_value(key: &mut Vec<u8>, value: &[u8]) {
    key.extend_from_slice(&(value.len() as u32).to_le_bytes());
    key.extend_from_slice(value);
}

/// Reads, groups, bills and writes the rest of the input.
pub(super) fn run_grouped<R: Read, W: Write>(
    calc: Calculator<'_>,
    mut reader: RecordReader<R>,
    output: W,
    names: &[String],
    cols: &Columns,
    options: &BatchOptions,
    on_skip: &mut dyn FnMut(&RowError),
) -> Result<BatchSummary, BatchError> {
    // A bill is one month's: a grouping that leaves the month column out
    // keeps the months apart (the month ends the group's values, unwritten),
    // bills each, and writes their sum.
    let month_apart = cols.month.filter(|m| !cols.group.contains(m));
    let mut biller = Biller::new(calc);
    let mut summary = BatchSummary::default();
    let groups = read_groups(
        &mut reader,
        &mut biller,
        cols,
        month_apart,
        options,
        &mut summary,
        on_skip,
    )?;
    let leading: Vec<String> = cols
        .group
        .iter()
        .map(|&g| names[g].clone())
        .chain(["api", "calls", "rows"].map(String::from))
        .chain(month_apart.map(|_| "months".to_string()))
        .collect();
    // The counts (calls, rows, and months when kept apart) are integers in JSON.
    let calls_at = cols.group.len() + 1;
    let counts: Vec<usize> = (calls_at..leading.len()).collect();
    let format = RowFormat::new(options.format, leading, &counts);
    let mut emit = Emit {
        out: Vec::with_capacity(FLUSH_BYTES * 2),
        output,
        summary,
        on_skip,
    };
    format.header(&mut emit.out);
    let free = shared_free(&calc, &biller, &groups);
    let writer = Writer {
        groups: &groups,
        names,
        cols,
        format: &format,
        calls_at,
        skip_invalid: options.skip_invalid,
    };
    match month_apart {
        Some(m) => writer.months_summed(&mut biller, free, m, &mut emit)?,
        None => writer.each(&mut biller, free, &mut emit)?,
    }
    emit.flush()?;
    let mut summary = emit.summary;
    super::pipeline::add_one_time(&mut summary, biller.one_time_items());
    Ok(summary)
}

/// Rows parsed for the table, in input order: their keys end to end, and per
/// row its key's length, the top half of its hash, API, calls and line.
#[derive(Default)]
struct Parsed {
    keys: Vec<u8>,
    rows: Vec<ParsedRow>,
}

struct ParsedRow {
    top: u64,
    key_len: u32,
    api: u32,
    calls: u64,
    line: u64,
}

/// Rows handed to the table at a time.
const PARSED_ROWS: usize = 4096;

/// Sums the calls of the rows per group, in order of first appearance: this
/// thread reads and parses the rows, another keeps the table.
pub(super) fn read_groups<R: Read>(
    reader: &mut RecordReader<R>,
    biller: &mut Biller<'_>,
    cols: &Columns,
    month_apart: Option<usize>,
    options: &BatchOptions,
    summary: &mut BatchSummary,
    on_skip: &mut dyn FnMut(&RowError),
) -> Result<Groups, BatchError> {
    let mut bad = |summary: &mut BatchSummary, error: RowError| -> Result<(), BatchError> {
        if options.skip_invalid {
            summary.skipped += 1;
            on_skip(&error);
            Ok(())
        } else {
            Err(BatchError::Row(error))
        }
    };
    std::thread::scope(|scope| {
        let (to_table, parsed) = std::sync::mpsc::sync_channel::<Parsed>(4);
        let (recycle, spare) = std::sync::mpsc::channel::<Parsed>();
        let table = scope.spawn(move || keep_table(parsed, recycle));
        let filter = options.filter.chosen();
        // A pivot table's months across are chosen cell by cell.
        summary.left_out_cells = filter.is_some() && cols.month == Some(cols.count);
        let read = parse_rows(
            reader,
            biller,
            cols,
            month_apart,
            filter,
            summary,
            &mut bad,
            &to_table,
            &spare,
        );
        drop(to_table);
        let (groups, overflows) = table.join().expect("the table thread does not panic")?;
        // A sum that overflows is a bad row too; without --skip-invalid the
        // first bad row in input order stops the run.
        if let Err(BatchError::Row(stop)) = &read {
            let earlier = overflows.into_iter().find(|(line, _)| *line < stop.line);
            return Err(match earlier {
                Some((line, message)) => BatchError::Row(RowError::new(line, message)),
                None => read.expect_err("a bad row stopped the reading"),
            });
        }
        read?;
        for (line, message) in overflows {
            bad(summary, RowError::new(line, message))?;
        }
        Ok(groups)
    })
}

/// Reads and parses every row, handing them to the table in batches.
#[allow(clippy::too_many_arguments)]
fn parse_rows<R: Read>(
    reader: &mut RecordReader<R>,
    biller: &mut Biller<'_>,
    cols: &Columns,
    month_apart: Option<usize>,
    filter: Option<&RowFilter>,
    summary: &mut BatchSummary,
    bad: &mut dyn FnMut(&mut BatchSummary, RowError) -> Result<(), BatchError>,
    to_table: &std::sync::mpsc::SyncSender<Parsed>,
    spare: &std::sync::mpsc::Receiver<Parsed>,
) -> Result<(), BatchError> {
    let mut accounts = crate::input::AccountsSeen::default();
    let mut batch = Parsed::default();
    let mut key = Vec::new();
    let mut month = Vec::new();
    // A row's API and calls; in a pivot table, each cell's, and which spread
    // column's it is.
    let mut single = None;
    let mut cells: Vec<(usize, u64, usize)> = Vec::new();
    let result = loop {
        let record = match reader.next_record() {
            Ok(Some(record)) => record,
            Ok(None) => break Ok(()),
            Err(e) => match row_error(e) {
                Ok(error) => {
                    summary.rows += 1;
                    if let Err(e) = bad(summary, error) {
                        break Err(e);
                    }
                    continue;
                }
                Err(e) => break Err(read_error(e)),
            },
        };
        summary.rows += 1;
        let line = record.line;
        if let Some(word) = record.account_totals_word(cols.account) {
            summary.rows -= 1;
            summary.totals.add(line, word);
            continue;
        }
        if let Some(row) = record.not_usage(cols.not_usage) {
            summary.rows -= 1;
            summary.totals.add_left_out(&row);
            continue;
        }
        // In a pivot table, a row of which any cell says it is a totals row
        // is left out whole, none of its cells summed, as `ledger` reads it.
        if let Some(word) = cols.pivot.as_ref().and_then(|_| record.totals_word()) {
            summary.rows -= 1;
            summary.totals.add(line, word);
            continue;
        }
        // The row's calls: one API's, or a pivot table's cells, each of its
        // column's month (or API).
        let read = match &cols.pivot {
            None => read_row(biller, &record, cols).map(|row| single = Some(row)),
            Some(pivot) => {
                cells.clear();
                pivot_cells(biller, &record, cols, pivot, &mut cells)
            }
        };
        if let Err(message) = read {
            // The header again (files joined one after another): no row.
            if record.repeats(&cols.names) {
                summary.rows -= 1;
                continue;
            }
            match totals_or_bad(summary, bad, &record, message) {
                Ok(()) => continue,
                Err(e) => break Err(e),
            }
        }
        // A row of another account, or of a month outside the range, is left
        // out; of a pivot table with months across, the cells of those months.
        if let Some(filter) = filter {
            if !left_in(filter, &record, cols, &mut cells, summary) {
                continue;
            }
        }
        let mut grouper = Grouper {
            record: &record,
            cols,
            month_apart,
            accounts: &mut accounts,
            key: &mut key,
            month: &mut month,
            batch: &mut batch,
        };
        let (rows_before, keys_before) = (grouper.batch.rows.len(), grouper.batch.keys.len());
        let grouped = match (single.take(), &cols.pivot) {
            (Some((api, calls)), _) => grouper.push(api, calls, None),
            (None, Some(pivot)) => cells.iter().try_for_each(|&(api, calls, at)| {
                grouper.push(api, calls, Some(pivot.columns[at].1.as_bytes()))
            }),
            (None, None) => Ok(()),
        };
        match grouped {
            Ok(()) => {}
            Err(Ungrouped::Fatal(e)) => break Err(e),
            Err(Ungrouped::Bad(message)) => {
                // None of the row's cells is summed.
                batch.rows.truncate(rows_before);
                batch.keys.truncate(keys_before);
                // A subtotal row (`1001,合计,idcard,9000`: its month cell says
                // so) is no usage, as where rows are billed one by one.
                match totals_or_bad(summary, bad, &record, message) {
                    Ok(()) => continue,
                    Err(e) => break Err(e),
                }
            }
        }
        if batch.rows.len() >= PARSED_ROWS {
            let next = spare.try_recv().unwrap_or_default();
            if to_table.send(std::mem::replace(&mut batch, next)).is_err() {
                break Ok(());
            }
        }
    };
    // The rows before a bad one are summed too (an earlier overflow among
    // them is the first bad row).
    if !batch.rows.is_empty() {
        let _ = to_table.send(batch);
    }
    result
}

/// Whether `filter` keeps the row `record` (its API and calls read): its
/// account's, and its month (a bad one is the grouping's to report); of a
/// pivot table with months across, `cells` is left with the months kept.
/// What it leaves out is counted, a pivot table's by its cells.
fn left_in(
    filter: &RowFilter,
    record: &crate::records::Record<'_>,
    cols: &Columns,
    cells: &mut Vec<(usize, u64, usize)>,
    summary: &mut BatchSummary,
) -> bool {
    let spread_months = cols.month == Some(cols.count);
    if let Some(account) = cols.account.map(|a| trimmed(record.field(a))) {
        if !filter.keeps_account(account) {
            summary.tell_account(account);
            summary.left_out += if spread_months { cells.len() as u64 } else { 1 };
            return false;
        }
    }
    if !filter.months.limited() {
        return true;
    }
    match (cols.month, &cols.pivot) {
        (Some(_), Some(pivot)) if spread_months => {
            let before = cells.len();
            cells.retain(|&(_, _, at)| {
                month_of(pivot.columns[at].1.as_bytes())
                    .is_ok_and(|d| filter.months.contains(d.month))
            });
            summary.left_out += (before - cells.len()) as u64;
            true
        }
        (Some(m), _) => match month_of(trimmed(record.field(m))) {
            Ok(d) if !filter.months.contains(d.month) => {
                summary.left_out += 1;
                false
            }
            _ => true,
        },
        (None, _) => true,
    }
}

/// Why a row's values cannot be grouped: a value that is none (a month that
/// is no month, an account that lost its digits), or the file's fault.
enum Ungrouped {
    Bad(String),
    Fatal(BatchError),
}

/// Groups a record's calls: its group values, then its billing item, as a
/// key appended to the batch for the table.
struct Grouper<'g, 'r> {
    record: &'g crate::records::Record<'r>,
    cols: &'g Columns,
    month_apart: Option<usize>,
    accounts: &'g mut crate::input::AccountsSeen,
    key: &'g mut Vec<u8>,
    month: &'g mut Vec<u8>,
    batch: &'g mut Parsed,
}

impl Grouper<'_, '_> {
    /// Appends `calls` calls of billing item `api` under the record's group
    /// values, `spread` the value of a pivot table's spread column (its
    /// column's month), which is past the record's.
    #[inline(always)]
    fn push(&mut self, api: usize, calls: u64, spread: Option<&[u8]>) -> Result<(), Ungrouped> {
        let (cols, line) = (self.cols, self.record.line);
        self.key.clear();
        // Group values are compared trimmed, and a month column's dates as
        // their month: daily rows become the month's total.
        let month_columns = cols.group.iter().map(|&g| (g, Some(g) == cols.month));
        let kept_apart = self.month_apart.map(|m| (m, true));
        for (column, is_month) in month_columns.chain(kept_apart) {
            let value = match spread {
                Some(value) if column == cols.count => value,
                _ => trimmed(self.record.field(column)),
            };
            if !is_month {
                if Some(column) == cols.account {
                    crate::parse::check_account(value).map_err(Ungrouped::Bad)?;
                    // Not one row's fault but the file's: whose rows the
                    // blank ones are is not known, skipped or not.
                    (self.accounts)
                        .check(line, &String::from_utf8_lossy(value))
                        .map_err(|c| Ungrouped::Fatal(BatchError::Accounts(c)))?;
                }
                push_value(self.key, value);
                continue;
            }
            let d = month_of(value).map_err(Ungrouped::Bad)?;
            // The month as text, in a buffer kept for every row.
            self.month.clear();
            write!(self.month, "{}", d.month).expect("writes to a Vec");
            push_value(self.key, self.month);
        }
        self.key.extend_from_slice(&(api as u32).to_le_bytes());
        self.batch.rows.push(ParsedRow {
            top: rustc_hash::FxBuildHasher.hash_one(self.key.as_slice()) >> 32,
            key_len: self.key.len() as u32,
            api: api as u32,
            calls,
            line,
        });
        self.batch.keys.extend_from_slice(self.key);
        Ok(())
    }
}

/// A row that cannot be read or grouped: a totals row (a cell says so) is
/// left out and told; any other is a bad row.
fn totals_or_bad(
    summary: &mut BatchSummary,
    bad: &mut dyn FnMut(&mut BatchSummary, RowError) -> Result<(), BatchError>,
    record: &crate::records::Record<'_>,
    message: String,
) -> Result<(), BatchError> {
    match record.totals_word() {
        Some(word) => {
            summary.rows -= 1;
            summary.totals.add(record.line, word);
            Ok(())
        }
        None => bad(summary, RowError::new(record.line, message)),
    }
}

/// A pivot table row's calls: each cell of a spread column that holds any,
/// with the row's API (or the column's) and the cell's column; an empty cell
/// is no usage. A count under a column not read refuses the row.
fn pivot_cells(
    biller: &mut Biller<'_>,
    record: &crate::records::Record<'_>,
    cols: &Columns,
    pivot: &crate::input::Spreading,
    cells: &mut Vec<(usize, u64, usize)>,
) -> Result<(), String> {
    record.has_fields(cols.count)?;
    if let Some(why) = pivot.unread_count(&cols.names, record) {
        return Err(why);
    }
    let suffix = super::unit_of(record, cols)?;
    for (at, (column, value)) in pivot.columns.iter().enumerate() {
        let cell = trimmed(record.field(*column));
        if cell.is_empty() {
            continue;
        }
        let in_column = |e: String| format!("column {}: {e}", cols.names[*column]);
        let calls = super::calls_in(record, *column, suffix, cols).map_err(in_column)?;
        let api = match pivot.role {
            crate::columns::Role::Api => biller.api(value.as_bytes()),
            _ => biller.api(record.field(cols.api)),
        }
        .map_err(in_column)?;
        cells.push((api, calls, at));
    }
    Ok(())
}

/// The table: sums the parsed rows per group, in order of first appearance;
/// returns the groups and the rows whose sum overflowed (line, why).
#[allow(clippy::type_complexity)]
fn keep_table(
    parsed: std::sync::mpsc::Receiver<Parsed>,
    recycle: std::sync::mpsc::Sender<Parsed>,
) -> Result<(Groups, Vec<(u64, String)>), BatchError> {
    // Entries: the key hash's top 32 bits, then the group's number.
    let mut index: hashbrown::HashTable<u64> = hashbrown::HashTable::new();
    let slot_hash = |entry: u64| (entry >> 32).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut all = Groups::default();
    let mut overflows = Vec::new();
    for mut batch in parsed {
        let mut from = 0;
        for row in &batch.rows {
            let key = &batch.keys[from..from + row.key_len as usize];
            from += row.key_len as usize;
            let top = row.top;
            let Groups { arena, groups } = &mut all;
            let found = index
                .find(slot_hash(top << 32), |&e| {
                    let g = &groups[(e & u64::from(u32::MAX)) as usize];
                    e >> 32 == top && key_at(arena, g.key_start) == key
                })
                .copied();
            let at = match found {
                Some(e) => (e & u64::from(u32::MAX)) as usize,
                None => {
                    let at = u32::try_from(groups.len()).map_err(|_| {
                        BatchError::Input(format!(
                            "more than {} groups; group by fewer columns",
                            u32::MAX
                        ))
                    })?;
                    groups.push(Group {
                        api: row.api,
                        calls: 0,
                        rows: 0,
                        first_line: row.line,
                        key_start: push_key(arena, key),
                    });
                    let entry = top << 32 | u64::from(at);
                    index.insert_unique(slot_hash(entry), entry, |&e| slot_hash(e));
                    at as usize
                }
            };
            let g = &mut groups[at];
            match (g.calls.checked_add(row.calls), g.rows.checked_add(1)) {
                (Some(total), Some(rows)) => {
                    g.calls = total;
                    g.rows = rows;
                }
                (None, _) => overflows.push((
                    row.line,
                    format!(
                        "the group's calls overflow: {} + {} is more than {}",
                        g.calls,
                        row.calls,
                        u64::MAX
                    ),
                )),
                (_, None) => overflows.push((
                    row.line,
                    format!(
                        "the group has more than {} rows; group by more columns",
                        u32::MAX
                    ),
                )),
            }
        }
        batch.keys.clear();
        batch.rows.clear();
        let _ = recycle.send(batch);
    }
    Ok((all, overflows))
}

/// When an account's allowance is shared by the items of a group (the same
/// group values and month), in price-list order: the free calls of each group.
/// `None` when each item has its own quota.
pub(super) fn shared_free(
    calc: &Calculator<'_>,
    biller: &Biller<'_>,
    all: &Groups,
) -> Option<Vec<u64>> {
    if calc.prices.settings.free_quota != crate::FreeQuota::PerAccount {
        return None;
    }
    let item_index = |api: usize| {
        calc.prices
            .items
            .iter()
            .position(|i| i.key == biller.apis[api].key)
            .unwrap_or(usize::MAX)
    };
    let mut by_values: HashMap<&[u8], Vec<usize>, rustc_hash::FxBuildHasher> = HashMap::default();
    for (at, g) in all.groups.iter().enumerate() {
        let key = all.key(g);
        by_values.entry(&key[..key.len() - 4]).or_default().push(at);
    }
    let mut free = vec![0; all.groups.len()];
    for members in by_values.values() {
        let month: Vec<(usize, u64)> = members
            .iter()
            .map(|&at| (item_index(all.groups[at].api()), all.groups[at].calls))
            .collect();
        for (&at, f) in members.iter().zip(calc.free_calls(&month)) {
            free[at] = f;
        }
    }
    Some(free)
}

/// Writes billed groups as rows.
pub(super) struct Writer<'a> {
    pub(super) groups: &'a Groups,
    pub(super) names: &'a [String],
    pub(super) cols: &'a Columns,
    pub(super) format: &'a RowFormat,
    /// Where the calls are among the leading columns.
    pub(super) calls_at: usize,
    pub(super) skip_invalid: bool,
}

impl Writer<'_> {
    /// One row per group: each group is one month. Groups are billed in
    /// chunks on two threads (the odd chunks on a helper) and written in order.
    pub(super) fn each<W: Write>(
        &self,
        biller: &mut Biller<'_>,
        free: Option<Vec<u64>>,
        emit: &mut Emit<'_, W>,
    ) -> Result<(), BatchError> {
        const CHUNK: usize = 1 << 15;
        let groups = &self.groups.groups;
        let chunks = groups.len().div_ceil(CHUNK);
        let free = free.as_deref();
        let chunk = |biller: &mut Biller<'_>, k: usize| {
            let end = ((k + 1) * CHUNK).min(groups.len());
            self.bill_chunk(biller, k * CHUNK..end, free)
        };
        std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Billed>(2);
            if chunks > 1 {
                let mut helper = biller.clone();
                scope.spawn(move || {
                    for k in (1..chunks).step_by(2) {
                        if tx.send(chunk(&mut helper, k)).is_err() {
                            return;
                        }
                    }
                });
            }
            for k in 0..chunks {
                let billed = if k % 2 == 0 {
                    chunk(biller, k)
                } else {
                    rx.recv().expect("the helper bills every odd chunk")
                };
                emit.out.extend_from_slice(&billed.out);
                emit.summary.fen += billed.fen;
                emit.summary.written += billed.written;
                for (rows, error) in &billed.skipped {
                    emit.skipped(*rows, error);
                }
                if let Some(error) = billed.stop {
                    // The groups before it are complete: written.
                    emit.flush()?;
                    return Err(BatchError::Row(error));
                }
                if emit.out.len() >= FLUSH_BYTES {
                    emit.flush()?;
                }
            }
            Ok(())
        })
    }

    /// Bills groups `range` into rows.
    fn bill_chunk(
        &self,
        biller: &mut Biller<'_>,
        range: Range<usize>,
        free: Option<&[u64]>,
    ) -> Billed {
        let mut billed = Billed::default();
        for at in range {
            let g = &self.groups.groups[at];
            let values = values_of(self.groups.key(g), self.cols.group.len());
            let api_key = biller.apis[g.api()].key.as_bytes();
            match biller.bill_with_free(g.api(), g.calls, free.map(|f| f[at])) {
                Ok((bill, fen)) => {
                    self.row(
                        &mut billed.out,
                        &values,
                        api_key,
                        &[g.calls, u64::from(g.rows)],
                        bill,
                    );
                    billed.fen += fen;
                    billed.written += 1;
                }
                Err(why) => {
                    let group = group_label(self.names, &self.cols.group, &values);
                    let error = RowError::new(g.first_line, of_group(&group, g.rows, why));
                    if !self.skip_invalid {
                        billed.stop = Some(error);
                        break;
                    }
                    billed.skipped.push((u64::from(g.rows), error));
                }
            }
        }
        billed
    }

    /// One row per group values and billing item, the sum of its months
    /// (column `month` kept apart), each billed on its own. Written once all
    /// are billed, so that a month that cannot be billed leaves its whole row
    /// out, never a partial sum.
    pub(super) fn months_summed<W: Write>(
        &self,
        biller: &mut Biller<'_>,
        free: Option<Vec<u64>>,
        month: usize,
        emit: &mut Emit<'_, W>,
    ) -> Result<(), BatchError> {
        struct Total {
            /// Its first group (of one month).
            group: usize,
            calls: u64,
            rows: u64,
            months: u64,
            facts: Option<BillFacts>,
            /// Why a month could not be billed (its first line, why): the
            /// row is left out.
            error: Option<(u64, Refusal)>,
        }
        let width = self.cols.group.len();
        let mut totals: Vec<Total> = Vec::new();
        let mut found: HashMap<Vec<u8>, usize, rustc_hash::FxBuildHasher> = HashMap::default();
        let label_columns: Vec<usize> = self.cols.group.iter().copied().chain([month]).collect();
        for (at, g) in self.groups.groups.iter().enumerate() {
            let free = free.as_ref().map(|f| f[at]);
            let key = self.groups.key(g);
            let values = values_of(key, width + 1);
            // The key without the month: the group values and the API.
            let month_starts = key.len() - 4 - 4 - values[width].len();
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
            total.rows += u64::from(g.rows);
            total.months += 1;
            let billed = total
                .calls
                .checked_add(g.calls)
                .ok_or_else(|| Refusal::from("the group's calls overflow".to_string()))
                .and_then(|calls| {
                    total.calls = calls;
                    let facts = biller.facts(g.api(), g.calls, free)?;
                    match &mut total.facts {
                        Some(sum) => sum.add(facts).map_err(Refusal::from),
                        None => {
                            total.facts = Some(facts);
                            Ok(())
                        }
                    }
                });
            if let Err(why) = billed {
                let group = group_label(self.names, &label_columns, &values);
                let why = of_group(&group, g.rows, why);
                if !self.skip_invalid {
                    return Err(BatchError::Row(RowError::new(g.first_line, why)));
                }
                total.error.get_or_insert((g.first_line, why));
            }
        }
        let mut cells = Cells::default();
        for total in totals {
            let g = &self.groups.groups[total.group];
            if let Some((line, mut why)) = total.error {
                if total.months > 1 {
                    why.message.push_str(&format!(
                        "; its {} months ({} rows) are left out with it",
                        total.months, total.rows
                    ));
                }
                emit.skipped(total.rows, &RowError::new(line, why));
                continue;
            }
            let facts = total.facts.expect("a month billed");
            biller.cells(g.api(), &facts, &mut cells);
            let values = values_of(self.groups.key(g), width);
            let numbers = [total.calls, total.rows, total.months];
            let api_key = biller.apis[g.api()].key.as_bytes();
            self.row(&mut emit.out, &values, api_key, &numbers, cells.padded());
            emit.summary.fen += facts.amount.fen();
            emit.summary.written += 1;
            if emit.out.len() >= FLUSH_BYTES {
                emit.flush()?;
            }
        }
        Ok(())
    }

    /// Writes one row: the group values, the API, the counts (calls first),
    /// then the bill cells.
    fn row(
        &self,
        out: &mut Vec<u8>,
        values: &[&[u8]],
        api_key: &[u8],
        numbers: &[u64],
        bill: Padded<'_>,
    ) {
        let calls = (Some(self.calls_at), numbers[0]);
        let numbers: Vec<String> = numbers.iter().map(u64::to_string).collect();
        let lead = values
            .iter()
            .copied()
            .chain([api_key])
            .chain(numbers.iter().map(|n| n.as_bytes()));
        self.format.row(out, lead, None, calls, bill);
    }
}

/// A chunk of groups billed: its rows, and the groups left out.
#[derive(Default)]
struct Billed {
    out: Vec<u8>,
    written: u64,
    fen: i128,
    /// Groups reported and left out (with `skip_invalid`): rows, why.
    skipped: Vec<(u64, RowError)>,
    /// The group that stops the run (without `skip_invalid`).
    stop: Option<RowError>,
}

/// Where grouped rows go: a buffer written out in chunks, and the run's
/// counts and reports.
pub(super) struct Emit<'a, W: Write> {
    out: Vec<u8>,
    output: W,
    summary: BatchSummary,
    on_skip: &'a mut dyn FnMut(&RowError),
}

impl<W: Write> Emit<'_, W> {
    /// Writes what is buffered.
    fn flush(&mut self) -> Result<(), BatchError> {
        self.output.write_all(&self.out)?;
        self.output.flush()?;
        self.out.clear();
        Ok(())
    }

    /// Reports a group left out, with its rows.
    fn skipped(&mut self, rows: u64, error: &RowError) {
        self.summary.skipped += rows;
        (self.on_skip)(error);
    }
}

/// A group's refusal, said of the group: its label and its rows
/// (`group account=A, month=2026-01 (1 row): …`).
fn of_group(label: &str, rows: u32, why: Refusal) -> Refusal {
    why.map(|m| {
        format!(
            "group {label} ({}): {m}",
            crate::words::counted(u64::from(rows), "row")
        )
    })
}
