//! `ocr-bill batch`: the usage file streamed through the library's batch, its
//! skipped rows reported, its summary and exit code.

use std::path::PathBuf;

use anyhow::anyhow;
use ocr_bill::{
    run_batch, BatchError, BatchFormat, BatchOptions, PriceList, Role, RowError, Wanted,
    BILL_COLUMNS,
};

use super::args::BatchArgs;
use super::input::{calculator, file_names, month_flag, no_file_twice, open_input};
use super::joined::{same_headers, Joined, Places};
use super::{exit, one_line, Out, UsageError};
use crate::output::{Destination, Spill};
use crate::render::{diagnostic, CsvStyle, Format};

pub(super) fn run(
    prices: &PriceList,
    args: &BatchArgs,
    out: &Out,
    dest: &Destination,
) -> anyhow::Result<i32> {
    let (format, style) = (out.given, out.style);
    // A table or a workbook is drawn from the bills as CSV once every row is
    // billed; CSV and JSON Lines stream.
    let (format, drawn) = match (format.unwrap_or(Format::Csv), style) {
        (Format::Csv, CsvStyle::Plain) => (BatchFormat::Csv, None),
        (Format::Csv, CsvStyle::Excel) => (BatchFormat::ExcelCsv, None),
        (Format::Json, _) => (BatchFormat::JsonLines, None),
        (f @ (Format::Table | Format::Xlsx), _) => (BatchFormat::Csv, Some(f)),
        (Format::Toml, _) => {
            return Err(UsageError("--format toml is for `prices` only".into()).into())
        }
    };
    let options = BatchOptions {
        api_column: args.columns.api_column.clone(),
        calls_column: args.columns.calls_column.clone(),
        account_column: args.columns.account_column.clone(),
        month_column: args.columns.month_column.clone(),
        group_by: args.group_by.iter().map(|g| g.trim().to_string()).collect(),
        count_rows: args.columns.count_rows,
        skip_invalid: args.skip_invalid,
        multiline_fields: args.multiline_fields,
        format,
        filter: ocr_bill::RowFilter {
            account: args.account.as_deref().map(|a| a.trim().to_string()),
            months: ocr_bill::Months {
                from: month_flag("--from", &args.from)?,
                until: month_flag("--until", &args.until)?,
            },
        },
        threads: None,
    };
    if let ocr_bill::Months {
        from: Some(from),
        until: Some(until),
    } = options.filter.months
    {
        anyhow::ensure!(from <= until, "--from {from} comes after --until {until}");
    }
    let calc = calculator(prices, args.negotiated_price.as_deref())?;
    crate::render::stdout_is_open()?;
    // Every skipped row is reported; a report that cannot be written fails the run.
    // Several files are read as one stream, each line named in its file.
    // (Files of the first's columns under other names are joined too.)
    let same = |a: &[u8], b: &[u8]| ocr_bill::same_columns(a, b, &options, prices);
    let (input, source, places): (Box<dyn std::io::Read>, String, _) = match &args.file[..] {
        [] | [_] => {
            let (input, source, parts) =
                open_input(args.file.first().map(PathBuf::as_path), "usage", out)?;
            // (Of a zip archive of several parts, lines are named in theirs.)
            let places = Places::of_parts(&source, &parts);
            (input, source, places)
        }
        several => {
            no_file_twice(several, "usage")?;
            same_headers(several, out, &same)?;
            let (joined, places) = Joined::new(several, out, &same);
            (Box::new(joined), file_names(several), Some(places))
        }
    };
    // A line of the input, as people find it: `line 5`, or `b.csv: line 5`.
    let at = |line: u64| match &places {
        None => format!("{source}: line {line}"),
        Some(p) => {
            let (name, line) = p.of(line);
            format!("{name}: line {line}")
        }
    };
    let mut skips = SkipReports {
        places: places.clone(),
        ..SkipReports::default()
    };
    let mut report = |e: &RowError| skips.add(e);
    let mut sink = dest.open()?;
    // (Past a few MB, the bills wait in a temporary file.)
    let mut bills = Spill::default();
    let result = match drawn {
        None => run_batch(calc, input, &mut sink, &options, &mut report),
        Some(_) => run_batch(calc, input, &mut bills, &options, &mut report),
    };
    let reported = skips.reported;
    if let Err(e) = skips.finish() {
        return Err(
            anyhow::Error::new(e).context("cannot write the skipped rows' reports to stderr")
        );
    }
    let summary = match result {
        Ok(summary) => summary,
        // The reader of the output went away (`| head`): no error, but a run
        // that skipped rows never exits 0.
        Err(BatchError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            if reported > 0 {
                diagnostic(&format!(
                    "ocr-bill: skipped {} of {source} before the output was closed",
                    ocr_bill::counted(reported, "row")
                ))?;
                return Ok(exit::SKIPPED);
            }
            return Ok(exit::OK);
        }
        Err(BatchError::Io(e)) => {
            return Err(anyhow::Error::new(e).context(format!("batch {source}")))
        }
        Err(BatchError::Row(row)) => {
            return Err(anyhow!(
                "{}: {}",
                at(row.line),
                with_advice(&row, places.as_ref())
            ))
        }
        Err(BatchError::Accounts(c)) => {
            let other = other_line(places.as_ref(), c.line, c.other);
            return Err(anyhow!("{}: {}", at(c.line), c.why(&other)));
        }
        Err(e) => return Err(anyhow!("{source}: {e}")),
    };
    // Rows of other accounts, or months outside the range, were left out:
    // told, and a filter that kept nothing is refused (a mistyped account).
    if summary.left_out > 0 {
        let filter = &options.filter;
        let told = match summary.other_accounts.as_slice() {
            [] => String::new(),
            accounts => format!("; accounts left out: {}", accounts.join(", ")),
        };
        if summary.written == 0 && summary.skipped == 0 {
            let chosen = match (&filter.account, filter.months.limited()) {
                (Some(a), false) => format!("of account '{a}'"),
                (Some(a), true) => format!("of account '{a}' {}", filter.months.window()),
                (None, _) => filter.months.window(),
            };
            return Err(UsageError(format!(
                "{source}: no rows {chosen}; {} left out{told}",
                ocr_bill::counted(summary.left_out, cells_or_rows(&summary))
            ))
            .into());
        }
        diagnostic(&format!(
            "note: {source}: {} {} left out{told}",
            ocr_bill::counted(summary.left_out, cells_or_rows(&summary)),
            filter.left_out()
        ))?;
    }
    if let (Some((line, word)), Some(places)) = (summary.totals.first, &places) {
        // Told of the file of the first.
        let (name, line) = places.of(line);
        let totals = ocr_bill::TotalsRows {
            first: Some((line, word)),
            ..summary.totals.clone()
        };
        diagnostic(&format!(
            "note: {name}: {}",
            totals.note().unwrap_or_default()
        ))?;
    } else if let Some(note) = summary.totals.note() {
        diagnostic(&format!("note: {source}: {note}"))?;
    }
    for key in &summary.one_time {
        if let Some(note) = prices.item(key).ok().and_then(ocr_bill::one_time_note) {
            diagnostic(&format!("note: {note}"))?;
        }
    }
    if summary.shared > 0 {
        let days = match summary.daily {
            0 => String::new(),
            1 => " (1 row is dated by day, not by month)".to_string(),
            n => format!(" ({n} rows are dated by day, not by month)"),
        };
        // What the rows share, by the columns the file has.
        let per_account = prices.settings.free_quota == ocr_bill::FreeQuota::PerAccount;
        let shared = match (summary.shared_by, per_account) {
            ("account,month", true) => {
                "account and month (whose free calls the account's items share)".to_string()
            }
            ("api", true) => "free calls (an account's items share them)".to_string(),
            (one, true) => format!("{one} (whose free calls the account's items share)"),
            ("account,month", false) => "account, month and billing item".to_string(),
            ("api", false) => "billing item".to_string(),
            (one, false) => format!("{one} and billing item"),
        };
        // Without an account or a month column, any rows may be one account's
        // month.
        let unsaid = match summary.shared_by {
            "api" => {
                " (the file has no account or month column, so its rows may be one \
                       account's month)"
            }
            _ => "",
        };
        diagnostic(&format!(
            "warning: {} rows share their {shared} with another row{days}, and each was \
             billed as if it were the whole month{unsaid}; to bill each month's total, group \
             them: --group-by {}",
            summary.shared, summary.shared_by
        ))?;
    }
    if summary.unnamed_accounts > 0 && summary.named_accounts > 0 {
        let (n, of) = (
            summary.unnamed_accounts,
            summary.unnamed_accounts + summary.named_accounts,
        );
        diagnostic(&format!(
            "warning: {n} of the {of} rows {} no account while the others name theirs; each \
             was billed on its own, but its calls may be another row's account's (a merged \
             cell of a spreadsheet leaves the rows below its first empty: fill them in)",
            if n == 1 { "has" } else { "have" }
        ))?;
    }
    if let Some(drawn) = drawn {
        match drawn {
            Format::Xlsx => {
                let bytes = crate::render::xlsx_of_csv("batch", bills.into_reader()?, counted)?;
                std::io::Write::write_all(&mut sink, &bytes)?;
            }
            _ => crate::render::table_of_csv(
                bills.into_reader()?,
                &["cliff_amount", "cliff_calls", "free_calls", "tier"],
                counted,
                &mut sink,
            )?,
        }
    }
    sink.commit()?;
    let total = rust_decimal::Decimal::try_from_i128_with_scale(summary.fen, 2)
        .map(|d| ocr_bill::Money::round(d).to_string())
        .unwrap_or_else(|_| "(too large)".into());
    let billed = format!(
        "{} written, total {total} {} (price list: {})",
        ocr_bill::counted(summary.written, "row"),
        prices.settings.currency,
        prices.about.label()
    );
    if summary.skipped > 0 {
        diagnostic(&format!(
            "ocr-bill: skipped {} of {} of {source}; {billed}",
            summary.skipped,
            ocr_bill::counted(summary.rows, "row")
        ))?;
        return Ok(exit::SKIPPED);
    }
    diagnostic(&format!("ocr-bill: {source}: {billed}"))?;
    Ok(exit::OK)
}

/// What the left-out count counts: a pivot table's cells, or rows.
fn cells_or_rows(summary: &ocr_bill::BatchSummary) -> &'static str {
    if summary.left_out_cells {
        "cell"
    } else {
        "row"
    }
}

/// The columns of the bills whose numbers are counts or money, shown with
/// thousands separators in a table: the calls and the bill's columns. The
/// input's other columns are shown as written: an account's number
/// (`100012345678`) or a month of digits (`202601`) is no quantity.
fn counted(header: &[String]) -> Vec<bool> {
    let calls = ocr_bill::resolve_columns(header, &[Wanted::optional(Role::Calls)])
        .ok()
        .and_then(|found| found[0]);
    (header.iter().enumerate())
        .map(|(i, h)| Some(i) == calls || h == "rows" || BILL_COLUMNS.contains(&h.as_str()))
        .collect()
}

/// Reports of skipped rows on stderr, one line each, except that a run of
/// consecutive lines skipped for the same reason is one line (`skipped lines
/// 2–500001 (500000 rows): …`), so that a file of bad rows gives a short report.
#[derive(Default)]
struct SkipReports {
    /// First line, last line and reason of the run not yet written.
    run: Option<(u64, u64, String)>,
    /// Where each of several files' lines are.
    places: Option<Places>,
    reported: u64,
    /// The reports written so far, a block at a time.
    out: crate::render::Diagnostics,
    failed: Option<std::io::Error>,
}

impl SkipReports {
    fn add(&mut self, e: &RowError) {
        self.reported += 1;
        let reason = one_line(&with_advice(e, self.places.as_ref()));
        // (Of several files, a run stays in one.)
        let same_file =
            |a: u64, b: u64| self.places.as_ref().is_none_or(|p| p.of(a).0 == p.of(b).0);
        if let Some((_, last, text)) = &self.run {
            if *text == reason && e.line == *last + 1 && same_file(*last, e.line) {
                if let Some((_, last, _)) = &mut self.run {
                    *last = e.line;
                }
                return;
            }
        }
        self.flush();
        self.run = Some((e.line, e.line, reason));
    }

    fn flush(&mut self) {
        let Some((first, last, reason)) = self.run.take() else {
            return;
        };
        if self.failed.is_some() {
            return;
        }
        // (Of several files, in the file of the first: a run stays in one.)
        let (of, at) = match &self.places {
            None => (String::new(), first),
            Some(p) => {
                let (name, line) = p.of(first);
                (format!(" of {name}"), line)
            }
        };
        let line = if first == last {
            format!("skipped line {at}{of}: {reason}")
        } else {
            format!(
                "skipped lines {at}–{}{of} ({} rows): {reason}",
                at + (last - first),
                last - first + 1
            )
        };
        self.failed = self.out.line(&line).err();
    }

    fn finish(mut self) -> std::io::Result<()> {
        self.flush();
        if self.failed.is_none() {
            self.failed = self.out.flush().err();
        }
        self.failed.map_or(Ok(()), Err)
    }
}

/// A row's reason, with what to do about it on this command line.
fn with_advice(row: &RowError, places: Option<&Places>) -> String {
    let why = row.why(|close| other_line(places, row.line, close));
    match row.remedy {
        Some(r) => format!("{why}; {}", super::advice(r)),
        None => why,
    }
}

/// Line `other` as told at line `line` of the input: `line 7`, or `line 7
/// of b.csv` when it is in another of its files or parts.
fn other_line(places: Option<&Places>, line: u64, other: u64) -> String {
    match places {
        Some(p) => super::joined::other_line(|l| p.of(l), line, other),
        None => format!("line {other}"),
    }
}
