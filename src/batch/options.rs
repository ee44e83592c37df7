//! What `batch` is asked to do, what it reports, and how it fails.

use std::fmt;
use std::io;

use crate::{Error, Remedy};

/// Output of `batch`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BatchFormat {
    /// CSV: the input columns plus the bill columns.
    #[default]
    Csv,
    /// CSV for spreadsheets: a UTF-8 byte-order mark, CRLF, and cells that
    /// would start a formula neutralised (see [`spreadsheet_safe`](super::writer::spreadsheet_safe)).
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
    /// Each row is one call (a log of calls, without a calls column): rows
    /// are counted, and must be grouped.
    pub count_rows: bool,
    /// Report bad rows and go on, instead of stopping at the first.
    pub skip_invalid: bool,
    /// Accept quoted fields that span lines (refused by default: in a usage
    /// file they are almost always a stray quote that swallowed rows).
    pub multiline_fields: bool,
    /// Output format.
    pub format: BatchFormat,
    /// The rows billed, when not all: one account's, the months of a range;
    /// the others are left out and counted.
    pub filter: RowFilter,
    /// Threads that bill the ungrouped stream (default: the cores available,
    /// up to 8); with 1, or an input of one block, rows are billed on the
    /// calling thread between reads and writes.
    pub threads: Option<usize>,
}

/// The rows `batch` bills, when not all (`--account`, `--from`, `--until`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RowFilter {
    /// Only this account's rows (compared trimmed, as rows are grouped).
    pub account: Option<String>,
    /// Only rows of these months.
    pub months: crate::Months,
}

impl RowFilter {
    /// The filter, when it leaves any row out (else none, and no test a row).
    pub(super) fn chosen(&self) -> Option<&RowFilter> {
        (*self != RowFilter::default()).then_some(self)
    }

    /// Whether a row of account `account` (trimmed) is billed. A row of no
    /// account is never left out: whose it is is not known (a merged cell
    /// leaves the rows below its first empty), so it goes where any such row
    /// goes (refused when grouped, billed with a warning row by row).
    #[inline]
    pub(super) fn keeps_account(&self, account: &[u8]) -> bool {
        account.is_empty()
            || self
                .account
                .as_ref()
                .is_none_or(|a| a.as_bytes() == account)
    }

    /// What the rows left out are, for a message: `of other accounts than
    /// 1001, or of months outside 2026-01 to 2026-06`.
    pub fn left_out(&self) -> String {
        let months = (self.months.limited()).then(|| format!("of months {}", self.months.beyond()));
        let account = self
            .account
            .as_ref()
            .map(|a| format!("of other accounts than {a}"));
        match (account, months) {
            (Some(a), Some(m)) => format!("{a}, or {m}"),
            (Some(one), None) | (None, Some(one)) => one,
            (None, None) => String::new(),
        }
    }
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
    /// What the user can do about it, when one thing will do.
    pub remedy: Option<Remedy>,
}

impl RowError {
    pub(super) fn new(line: u64, why: impl Into<Refusal>) -> RowError {
        let why = why.into();
        RowError {
            line,
            message: why.message.into(),
            closes_on: None,
            remedy: why.remedy,
        }
    }

    /// The reason, with where a stray quote closes, its line as `line` names
    /// it (`line 7`, `line 7 of b.csv`).
    pub fn why(&self, line: impl Fn(u64) -> String) -> String {
        why_with_close(&self.message, self.closes_on, line)
    }
}

/// Why a row or group cannot be billed, and what the user can do about it.
pub(super) struct Refusal {
    pub(super) message: String,
    pub(super) remedy: Option<Remedy>,
}

impl Refusal {
    /// The same refusal, its message rephrased (the remedy kept).
    pub(super) fn map(self, f: impl FnOnce(String) -> String) -> Refusal {
        Refusal {
            message: f(self.message),
            remedy: self.remedy,
        }
    }
}

impl From<String> for Refusal {
    fn from(message: String) -> Self {
        Refusal {
            message,
            remedy: None,
        }
    }
}

impl From<Error> for Refusal {
    fn from(e: Error) -> Self {
        Refusal {
            message: e.to_string(),
            remedy: e.remedy(),
        }
    }
}

/// A row's reason `message`, with where a stray quote that opens on it
/// closes (`close`), that line as `line` names it.
pub(crate) fn why_with_close(
    message: &str,
    close: Option<u64>,
    line: impl Fn(u64) -> String,
) -> String {
    match close {
        Some(close) => format!(
            "{message}; it closes on {}, and the lines between are read as rows",
            line(close)
        ),
        None => message.to_string(),
    }
}

impl fmt::Display for RowError {
    /// The reason, with where a stray quote closes (without the line prefix).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.why(|l| format!("line {l}")))
    }
}

/// How a run went.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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
    /// Rows billed on their own that name an account.
    pub named_accounts: u64,
    /// Rows billed on their own whose account cell is empty: beside named
    /// ones, whose calls those are is not known.
    pub unnamed_accounts: u64,
    /// The `group_by` that bills each month's total of the rows that share
    /// one: `account,month`, `account` or `month`, by the columns the input
    /// has (role names, which `group_by` takes whatever the header calls them).
    pub shared_by: &'static str,
    /// The amounts written, summed, in fen (0.01).
    pub fen: i128,
    /// Billing items of the input with a one-time free pack, which a single
    /// month's bill takes as spent (RULES §7.2), by key.
    pub one_time: Vec<String>,
    /// Totals rows (`合计`) read past: no usage.
    pub totals: crate::totals::TotalsRows,
    /// Rows left out by the filter (of a pivot table, cells): another
    /// account's, or a month outside the range.
    pub left_out: u64,
    /// The first accounts of the rows left out as other accounts' (up to
    /// ten), in input order: what a mistyped `--account` meant.
    pub other_accounts: Vec<String>,
    /// What `left_out` counts is a pivot table's cells (its months across),
    /// not rows.
    pub left_out_cells: bool,
}

/// Accounts of rows left out that a run tells at most.
pub(super) const ACCOUNTS_TOLD: usize = 10;

impl BatchSummary {
    /// Keeps `account` among the accounts told, if there is room.
    pub(super) fn tell_account(&mut self, account: &[u8]) {
        let name = String::from_utf8_lossy(account);
        if self.other_accounts.len() < ACCOUNTS_TOLD
            && !self.other_accounts.iter().any(|a| *a == *name)
        {
            self.other_accounts.push(name.into_owned());
        }
    }
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
    /// A row without an account where others name theirs, or the other way
    /// round: whose rows the blank ones are is not known.
    #[error("line {}: {}", .0.line, .0)]
    Accounts(crate::input::AccountConflict),
    /// Reading or writing failed (a closed pipe included).
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl From<Error> for BatchError {
    fn from(e: Error) -> Self {
        BatchError::Input(e.to_string())
    }
}
