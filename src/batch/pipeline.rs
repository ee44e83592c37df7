//! The ungrouped stream: blocks of input cut at record boundaries, billed on
//! this thread and helper threads (one thread a core), written in order.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::sync::{mpsc, Mutex};

use super::biller::Biller;
use super::columns::{month_of, trimmed, Columns};
use super::keys::KeyLog;
use super::options::{
    BatchError, BatchOptions, BatchSummary, Refusal, RowError, RowFilter, ACCOUNTS_TOLD,
};
use super::writer::{Padded, RowFormat};
use super::{read_row, row_error, too_long};
use crate::bill::Calculator;
use crate::month::Month;
use crate::records::{ReadError, RecordReader, MAX_RECORD_BYTES};
use crate::totals::{totals_word, TotalsRows};

/// The fingerprint of a row's account, month and billing item (by the
/// item's place in the price list that every billing thread shares: the index
/// of an API differs between threads, which meet them in another order).
pub(super) fn row_key(
    account: Option<&[u8]>,
    cols: &Columns,
    item: &crate::pricing::Item,
    month: Option<Month>,
) -> u64 {
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut h = rustc_hash::FxBuildHasher.build_hasher();
    if let Some(a) = account {
        a.hash(&mut h);
    }
    // The month read from the month column (none without one).
    month.hash(&mut h);
    // With one allowance per account, rows of other items share it too.
    if !cols.per_account {
        std::ptr::from_ref(item).hash(&mut h);
    }
    // Mix the high bits, which pick the partition.
    let x = h.finish();
    x ^ (x >> 29).wrapping_mul(0xBF58_476D_1CE4_E5B9)
}

/// Input bytes billed at a time (a block, cut at a record boundary): small
/// enough that a block, its output and the partitions of the rows' keys stay
/// in a core's own cache between the read that fills it and the bill (one
/// core on flat rows: 4 % faster than blocks of 256 KiB).
pub(super) const BLOCK_BYTES: usize = 1 << 16;
/// Blocks in flight at once (read and not yet written): bounds memory
/// whatever the input size (each about 0.2 MB with its output). Twice those
/// queued and being billed on two cores, so that a block billed slowly does
/// not hold the others up.
pub(super) const BLOCKS_IN_FLIGHT: usize = 8;

/// Threads that bill blocks at most (this one and two helpers): with the
/// blocks in flight and the count after the last row, the peak stays within
/// 16 MiB on a machine of any size (with blocks of 256 KiB, 15.2–15.7 MB
/// with three at 10,000,000 rows and 12.8–14.6 MB on two cores; 8.1 MB on
/// two cores with blocks of 64 KiB).
const BILLING_THREADS: usize = 3;

/// Blocks queued for `helpers` helper threads: one each and two to spare, so
/// that none waits while this thread bills a block of its own.
fn helper_queue(helpers: u64) -> u64 {
    helpers + 2
}

/// Spare byte buffers, so that blocks reuse memory instead of asking the
/// allocator (and the kernel) for fresh pages every time.
#[derive(Default)]
pub(super) struct Pool(Mutex<Vec<Vec<u8>>>);

impl Pool {
    /// A buffer, empty.
    pub(super) fn get(&self) -> Vec<u8> {
        let mut buf = self.get_storage();
        buf.clear();
        buf
    }

    /// A buffer with the bytes it last held: storage already initialized,
    /// which a read can fill without zeroing it first.
    fn get_storage(&self) -> Vec<u8> {
        self.0
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_default()
    }

    pub(super) fn put(&self, buf: Vec<u8>) {
        if let Ok(mut p) = self.0.lock() {
            if p.len() < 4 * BLOCKS_IN_FLIGHT {
                p.push(buf);
            }
        }
    }
}

/// How the blocks of one run are billed.
#[derive(Clone, Copy)]
pub(super) struct Job<'a> {
    pub(super) cols: &'a Columns,
    pub(super) format: &'a RowFormat,
    pub(super) skip_invalid: bool,
    pub(super) multiline: bool,
    /// The rows billed, when not all.
    pub(super) filter: Option<&'a RowFilter>,
}

/// What a billing thread made of one block of input.
pub(super) struct BlockResult {
    pub(super) out: Vec<u8>,
    /// Bad rows, with lines counted from the block's first line (1).
    pub(super) errors: Vec<RowError>,
    pub(super) rows: u64,
    pub(super) written: u64,
    pub(super) daily: u64,
    /// Rows written whose account cell is empty.
    pub(super) unnamed: u64,
    /// Rows left out by the filter.
    pub(super) left_out: u64,
    /// The first accounts of rows left out as other accounts'.
    pub(super) other_accounts: Vec<Vec<u8>>,
    /// The fingerprints of the rows' keys, when counted.
    pub(super) keys: Vec<u64>,
    pub(super) fen: i128,
    /// Newlines in the block, to number the lines of the next one.
    pub(super) newlines: u64,
    /// Stopped at the first bad row (without `skip_invalid`).
    pub(super) stopped: bool,
    /// Totals rows read past, lines counted as the errors' are.
    pub(super) totals: TotalsRows,
}

/// Bills the records of one block (complete records only).
pub(super) fn bill_block(
    biller: &mut Biller<'_>,
    pool: &Pool,
    block: Vec<u8>,
    job: &Job<'_>,
) -> BlockResult {
    let Job {
        cols,
        format,
        skip_invalid,
        multiline,
        filter,
    } = *job;
    let mut out = pool.get();
    out.reserve(block.len() * 9 / 4);
    let mut result = BlockResult {
        out,
        errors: Vec::new(),
        rows: 0,
        written: 0,
        daily: 0,
        unnamed: 0,
        left_out: 0,
        other_accounts: Vec::new(),
        keys: Vec::new(),
        fen: 0,
        newlines: 0,
        stopped: false,
        totals: TotalsRows::default(),
    };
    let mut reader = RecordReader::<io::Empty>::from_bytes(block)
        .multiline(multiline)
        .with_delimiter(cols.delimiter);
    // The input's record stands for its fields in CSV output when it is CSV.
    let pass_through = cols.delimiter == b',';
    // Read once, not again on each row (a load through `job` every row).
    let (not_usage, account_col, month_col, calls_col) =
        (cols.not_usage, cols.account, cols.month, cols.calls);
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
        // A row of another product than OCR (a bill's details hold them all).
        if let Some(row) = record.not_usage(not_usage) {
            result.rows -= 1;
            result.totals.add_left_out(&row);
            continue;
        }
        // A month column's value must be a month (or a date within one), as
        // when grouping: the row's month is what it shares with others.
        let read = read_row(biller, &record, cols).and_then(|(api, calls)| {
            let dated = month_col.map(|m| month_of(record.field(m))).transpose()?;
            Ok((api, calls, dated))
        });
        // A row of another account, or of a month outside the range: left
        // out, before its bill (which it might not have).
        if let (Some(filter), Ok((_, _, dated))) = (filter, &read) {
            let account_cell = account_col.map(|a| record.field(a));
            let account = account_cell.map_or(&[][..], trimmed);
            // (A subtotal row, `小计,2026-01,idcard,9000`, is told as one below.)
            if !filter.keeps_account(account) && account_cell.and_then(totals_word).is_none() {
                result.left_out += 1;
                let told = &mut result.other_accounts;
                if told.len() < ACCOUNTS_TOLD && !told.iter().any(|a| a == account) {
                    told.push(account.to_vec());
                }
                continue;
            }
            if dated.is_some_and(|d| !filter.months.contains(d.month)) {
                result.left_out += 1;
                continue;
            }
        }
        let billed = read
            .map_err(Refusal::from)
            .and_then(|(api, calls, dated)| Ok((api, calls, dated, biller.bill(api, calls)?)));
        match billed {
            Ok((api, calls, dated, (bill, fen))) => {
                let account_cell = account_col.map(|a| record.field(a));
                // A subtotal row, as its account cell says (`小计,2026-01,idcard,9000`).
                if let Some(word) = account_cell.and_then(totals_word) {
                    result.rows -= 1;
                    result.totals.add(record.line, word);
                    continue;
                }
                format.row(
                    &mut result.out,
                    record.iter(),
                    pass_through.then(|| Padded::new(record.raw_room(), record.raw.len())),
                    (calls_col, calls),
                    bill,
                );
                result.written += 1;
                result.fen += fen;
                // The account, trimmed, as rows are compared.
                let account = account_cell.map(trimmed);
                // (Without an account or a month column, every row is taken
                // as the same account's same month: its item is its key.)
                result.daily += u64::from(dated.is_some_and(|d| d.has_day));
                let item = biller.apis[api];
                result
                    .keys
                    .push(row_key(account, cols, item, dated.map(|d| d.month)));
                if let Some(a) = account {
                    result.unnamed += u64::from(a.is_empty());
                }
            }
            // The header again (files joined one after another): no row.
            Err(_) if record.repeats(&cols.names) => result.rows -= 1,
            Err(message) => {
                if let Some(word) = record.totals_word() {
                    result.rows -= 1;
                    result.totals.add(record.line, word);
                    continue;
                }
                let message = match record.note_hint() {
                    Some(hint) => message.map(|m| format!("{m}{hint}")),
                    None => message,
                };
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

/// Reads up to `want` bytes into `block` from `filled` on (fewer only at the
/// end of the input), growing it as needed: its bytes up to its length are
/// storage already initialized, so no zeroing precedes the reads.
fn read_into<R: Read>(
    input: &mut R,
    block: &mut Vec<u8>,
    filled: usize,
    want: usize,
) -> io::Result<usize> {
    let end = filled + want;
    if block.len() < end {
        block.resize(end, 0);
    }
    let mut got = 0;
    while got < want {
        match input.read(&mut block[filled + got..end]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// The end of the last complete record in `block` (after its newline), counting
/// quotes so that a newline inside a quoted field is not taken for one.
pub(super) fn record_boundary(block: &[u8]) -> Option<usize> {
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

/// Where blocks are billed: on helper threads and this one, or on this thread
/// alone when the whole input is one block (no threads to start for a small
/// file) or there is one core.
pub(super) enum Billing<'w, 'a> {
    Threads {
        jobs: mpsc::Sender<(u64, Vec<u8>)>,
        done: &'w mpsc::Receiver<(u64, BlockResult)>,
        /// Blocks sent to the helpers whose results have not come back.
        queued: u64,
        /// Helper threads.
        helpers: u64,
        /// This thread bills a block too whenever the helpers have enough
        /// queued (no thread more than cores, none waiting for work).
        biller: Box<Biller<'a>>,
        job: &'w Job<'w>,
    },
    Here {
        biller: Box<Biller<'a>>,
        job: &'w Job<'w>,
    },
}

/// The ungrouped stream: this thread reads blocks cut at record boundaries,
/// keeps the helpers' queue filled, bills the blocks beyond it and writes
/// results in order; the helpers bill the blocks queued.
#[allow(clippy::too_many_arguments)]
pub(super) fn stream<R: Read, W: Write>(
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
    let mut keys = KeyLog::new();
    let job = &Job {
        cols,
        format,
        skip_invalid: options.skip_invalid,
        multiline: options.multiline_fields,
        filter: options.filter.chosen(),
    };
    let want = BLOCK_BYTES as u64;
    let small = (input.by_ref().take(want).read_to_end(&mut pending_input)? as u64) < want;
    let threads = options
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, BILLING_THREADS);
    // One block, or one thread (one core): billed on this thread, between
    // reads and writes (a helper would only take turns with it).
    if small || threads == 1 {
        let mut here = Billing::Here {
            biller: Box::new(Biller::new(calc)),
            job,
        };
        let summary = coordinate(
            &mut input,
            &mut pending_input,
            first_line,
            &mut output,
            &mut here,
            pool,
            &mut keys,
            options,
            on_skip,
        );
        let mut summary = with_shared(summary?, keys, cols)?;
        if let Billing::Here { biller, .. } = &here {
            add_one_time(&mut summary, biller.one_time_items());
        }
        return Ok(summary);
    }
    let (job_tx, job_rx) = mpsc::channel::<(u64, Vec<u8>)>();
    let job_rx = Mutex::new(job_rx);
    let (done_tx, done_rx) = mpsc::channel::<(u64, BlockResult)>();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (1..threads)
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
                    biller
                        .one_time_items()
                        .map(String::from)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        drop(done_tx);
        let mut threads = Billing::Threads {
            jobs: job_tx,
            done: &done_rx,
            queued: 0,
            helpers: threads as u64 - 1,
            biller: Box::new(Biller::new(calc)),
            job,
        };
        let result = coordinate(
            &mut input,
            &mut pending_input,
            first_line,
            &mut output,
            &mut threads,
            pool,
            &mut keys,
            options,
            on_skip,
        );
        // Closing the job queue stops the helpers.
        let mut one_time: Vec<String> = Vec::new();
        if let Billing::Threads { biller, .. } = &threads {
            one_time.extend(biller.one_time_items().map(String::from));
        }
        drop(threads);
        one_time.extend(
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default()),
        );
        let mut summary = with_shared(result?, keys, cols)?;
        add_one_time(&mut summary, one_time.iter().map(String::as_str));
        Ok(summary)
    })
}

/// Adds billing items with a one-time free pack to the summary, each once.
pub(super) fn add_one_time<'k>(summary: &mut BatchSummary, keys: impl Iterator<Item = &'k str>) {
    for key in keys {
        if !summary.one_time.iter().any(|k| k == key) {
            summary.one_time.push(key.to_string());
        }
    }
    summary.one_time.sort();
}

/// A run's summary with the rows that share a key (all counted once every
/// block is billed), and the grouping that would bill them together.
fn with_shared(
    mut summary: BatchSummary,
    keys: KeyLog,
    cols: &Columns,
) -> Result<BatchSummary, BatchError> {
    summary.shared = keys.shared()?;
    summary.shared_by = match (cols.account, cols.month) {
        (Some(_), Some(_)) => "account,month",
        (Some(_), None) => "account",
        (None, Some(_)) => "month",
        (None, None) => "api",
    };
    Ok(summary)
}

/// Feeds blocks to the helpers (or bills them here) and writes their results
/// in input order.
#[allow(clippy::too_many_arguments)]
pub(super) fn coordinate<R: Read, W: Write>(
    input: &mut R,
    carry: &mut Vec<u8>,
    first_line: u64,
    output: &mut W,
    billing: &mut Billing<'_, '_>,
    pool: &Pool,
    keys: &mut KeyLog,
    options: &BatchOptions,
    on_skip: &mut dyn FnMut(&RowError),
) -> Result<BatchSummary, BatchError> {
    let mut summary = BatchSummary::default();
    let mut results: BTreeMap<u64, BlockResult> = BTreeMap::new();
    let (mut sent, mut next_to_write) = (0u64, 0u64);
    let mut line_base = first_line - 1;
    let mut eof = false;
    // A record with no end in sight: refused once everything before it is out.
    let mut overlong = false;
    loop {
        if let Billing::Threads { done, queued, .. } = billing {
            while let Ok((seq, r)) = done.try_recv() {
                *queued -= 1;
                results.insert(seq, r);
            }
        }
        // Write every finished block that is next in order.
        while let Some(r) = results.remove(&next_to_write) {
            next_to_write += 1;
            summary.rows += r.rows;
            summary.written += r.written;
            summary.daily += r.daily;
            summary.named_accounts += r.written - r.unnamed;
            summary.unnamed_accounts += r.unnamed;
            summary.left_out += r.left_out;
            for account in &r.other_accounts {
                summary.tell_account(account);
            }
            summary.fen += r.fen;
            // (Lines counted from the block's first.)
            let first = r.totals.first.map(|(line, word)| (line + line_base, word));
            summary.totals.merge(&TotalsRows { first, ..r.totals });
            keys.add_all(&r.keys)?;
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
            return Ok(summary);
        }
        let limit = match billing {
            Billing::Threads { .. } => BLOCKS_IN_FLIGHT as u64,
            // (Billed at once: nothing to wait for.)
            Billing::Here { .. } => u64::MAX,
        };
        if eof || sent - next_to_write >= limit {
            let Billing::Threads { done, queued, .. } = billing else {
                unreachable!("blocks billed here are written at once")
            };
            let (seq, r) = done
                .recv()
                .map_err(|_| io::Error::other("a batch worker stopped"))?;
            *queued -= 1;
            results.insert(seq, r);
            continue;
        }
        // Read a block that ends at a record boundary: the carried bytes,
        // then reads into the bytes a reused buffer held.
        let mut block = pool.get_storage();
        let mut filled = carry.len();
        if block.len() < filled {
            block.resize(filled, 0);
        }
        block[..filled].copy_from_slice(carry);
        carry.clear();
        let cut = loop {
            if let Some(cut) = record_boundary(&block[..filled]) {
                if filled >= BLOCK_BYTES {
                    break cut;
                }
            }
            let want = BLOCK_BYTES.max(filled / 2);
            let n = read_into(input, &mut block, filled, want)?;
            filled += n;
            if n < want {
                eof = true;
                break filled;
            }
            if filled > MAX_RECORD_BYTES && record_boundary(&block[..filled]).is_none() {
                // An unbalanced quote: cut at a line end all the same, and the
                // block's biller reports the quote where it opens.
                if let Some(line_end) = memchr::memrchr(b'\n', &block[..filled]) {
                    break line_end + 1;
                }
                overlong = true;
                eof = true;
                break 0;
            }
        };
        block.truncate(filled);
        if overlong {
            carry.clear();
            pool.put(block);
            continue;
        }
        carry.extend_from_slice(&block[cut..]);
        block.truncate(cut);
        if !block.is_empty() {
            match billing {
                Billing::Threads {
                    jobs,
                    queued,
                    helpers,
                    ..
                } if *queued < helper_queue(*helpers) => {
                    jobs.send((sent, block))
                        .map_err(|_| io::Error::other("the batch workers stopped"))?;
                    *queued += 1;
                }
                Billing::Threads { biller, job, .. } | Billing::Here { biller, job } => {
                    results.insert(sent, bill_block(biller, pool, block, job));
                }
            }
            sent += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{run_batch, BatchOptions, BatchSummary, Calculator, PriceList};

    /// Bills `input` on `threads` threads: the output, the summary or the
    /// error that stopped the run, and the lines of the skipped rows.
    fn billed(
        input: &str,
        threads: usize,
        skip_invalid: bool,
    ) -> (Vec<u8>, Result<BatchSummary, String>, Vec<u64>) {
        let list = PriceList::builtin();
        let options = BatchOptions {
            skip_invalid,
            threads: Some(threads),
            ..Default::default()
        };
        let mut out = Vec::new();
        let mut skipped = Vec::new();
        let summary = run_batch(
            Calculator::new(&list),
            input.as_bytes(),
            &mut out,
            &options,
            &mut |e| skipped.push(e.line),
        )
        .map_err(|e| e.to_string());
        (out, summary, skipped)
    }

    /// Usage of `rows` rows, every 997th with a bad count (`9,00`).
    fn usage(rows: u64) -> String {
        let mut input = String::from("account,month,api,calls\n");
        for i in 0..rows {
            let api = ["idcard", "general", "vat-invoice"][(i % 3) as usize];
            let calls = if i % 997 == 0 {
                "9,00".to_string()
            } else {
                (i * 37 % 150_000).to_string()
            };
            input.push_str(&format!(
                "acct{},2026-0{},{api},{calls}\n",
                i % 4_000,
                1 + i % 9
            ));
        }
        input
    }

    /// Many blocks, more than are ever in flight, billed on this thread alone
    /// (one core) or on this thread and helpers give the same bytes, counts
    /// and reports, whichever thread billed which block.
    #[test]
    fn one_thread_bills_many_blocks_as_helpers_do() {
        let input = usage(200_000);
        assert!(input.len() > 2 * super::BLOCKS_IN_FLIGHT * super::BLOCK_BYTES);
        let (out, summary, skipped) = billed(&input, 1, true);
        let summary = summary.unwrap();
        assert_eq!(summary.rows, 200_000);
        assert_eq!(summary.skipped, 201);
        assert_eq!(skipped.len(), 201);
        assert!(summary.shared > 0);
        for threads in [2, 3, 4] {
            let (o, s, k) = billed(&input, threads, true);
            assert!(o == out, "{threads} threads");
            assert_eq!(s.unwrap(), summary, "{threads} threads");
            assert_eq!(k, skipped);
        }
    }

    /// A bad row far into the input stops the run at the same row on any
    /// number of threads: every row before it written, none after.
    #[test]
    fn a_bad_row_stops_every_thread_count_at_the_same_row() {
        let mut input = usage(120_000).replace("9,00", "900");
        input.push_str("acct1,2026-01,idcard,-5\n");
        input.push_str(&usage(40_000)["account,month,api,calls\n".len()..]);
        let (out, result, _) = billed(&input, 1, false);
        let error = result.unwrap_err();
        assert!(error.starts_with("line 120002: "), "{error}");
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 120_001);
        for threads in [2, 3, 4] {
            let (o, r, _) = billed(&input, threads, false);
            assert!(o == out, "{threads} threads");
            assert_eq!(r.unwrap_err(), error, "{threads} threads");
        }
    }
}
