//! Usage data as users have it: the usage, packs and top-ups files read into
//! rows (columns found by the one header resolver, dates rolled up to months,
//! accounts trimmed), and usage regrouped for `plan`.

use std::fmt;
use std::io::Read;

use rust_decimal::Decimal;

use crate::columns::{Role, Wanted};
use crate::month::Month;
use crate::pricing::{Item, PriceList};
use crate::records::{ReadError, Record, RecordReader};
use crate::totals::TotalsRows;
use crate::{Error, Marks, Money};
use rustc_hash::FxHashMap;

/// A problem in an input file, at a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// 1-based line (the header is line 1); 0 for the file as a whole.
    pub line: u64,
    /// What was wrong.
    pub message: String,
    /// What the user can do about it, when one thing will do.
    pub remedy: Option<crate::Remedy>,
    /// Where a stray quote that opens on `line` closes (told after
    /// `message`).
    pub closes_on: Option<u64>,
    /// The row conflicts with another over its account (`message` says so,
    /// naming the other's line in this input).
    pub conflict: Option<AccountConflict>,
}

impl InputError {
    /// What was wrong, with where a stray quote closes, its line as `line`
    /// names it (`line 7`, `line 7 of b.csv`).
    pub fn why(&self, line: impl Fn(u64) -> String) -> String {
        crate::batch::why_with_close(&self.message, self.closes_on, line)
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = self.why(|l| format!("line {l}"));
        if self.line == 0 {
            f.write_str(&why)
        } else {
            write!(f, "line {}: {why}", self.line)
        }
    }
}

impl std::error::Error for InputError {}

/// Calls of one API in one month.
#[derive(Clone, Debug)]
pub struct Usage<'a> {
    /// The account (empty when the file has no account column).
    pub account: String,
    /// The month.
    pub month: Month,
    /// The billing item billed.
    pub api: &'a Item,
    /// The API named, when the row named an API (not the item itself).
    pub source: Option<&'a crate::Api>,
    /// Calls.
    pub calls: u64,
    /// The file's rows summed into this one (rows of one account, month and
    /// API are one usage as they are read: a log of calls, a row a call, takes
    /// the memory of its months, not of its rows).
    pub rows: u64,
}

/// Packs of one size bought in a month.
#[derive(Clone, Debug)]
pub struct Purchase<'a> {
    /// The account (empty when the file has no account column).
    pub account: String,
    /// The price paid for one pack, when not the list price.
    pub price: Option<Decimal>,
    /// The month bought (the first month served).
    pub month: Month,
    /// The API.
    pub api: &'a Item,
    /// Calls in one pack (a size the price list offers).
    pub size: u64,
    /// Number of packs.
    pub count: u64,
}

/// Money credited to the account before a month's settlement.
#[derive(Clone, Debug)]
pub struct TopUp {
    /// The account (empty when the file has no account column).
    pub account: String,
    /// The month.
    pub month: Month,
    /// The amount, not negative.
    pub amount: Money,
}

/// Reads a CSV file's rows, the wanted columns found by the header resolver,
/// with line numbers; values are trimmed. Totals rows (`合计`) are read past
/// and counted, and so are rows of other products than OCR and, in `usage`
/// (not a packs or top-ups file), the rows of prepaid purchases.
fn read_rows<R: Read>(
    input: R,
    wanted: &[Wanted<'_>],
    pivots: Option<&PriceList>,
    usage: bool,
    mut row: impl FnMut(u64, &[Option<String>], Marks) -> Result<(), String>,
) -> Result<TotalsRows, InputError> {
    let at = |line: u64| {
        move |message: String| InputError {
            line,
            message,
            remedy: None,
            closes_on: None,
            conflict: None,
        }
    };
    let mut reader = RecordReader::new(input);
    let read_error = |e: ReadError| match crate::batch::row_error(e) {
        Ok(error) => InputError {
            line: error.line,
            message: error.message.to_string(),
            remedy: None,
            closes_on: error.closes_on,
            conflict: None,
        },
        Err(ReadError::TooLong(line)) => InputError {
            line,
            message: crate::records::too_long_message(),
            remedy: None,
            closes_on: None,
            conflict: None,
        },
        Err(ReadError::Io(e)) => InputError {
            line: 0,
            message: e.to_string(),
            remedy: crate::NotText::remedy_of(&e),
            closes_on: None,
            conflict: None,
        },
        Err(_) => InputError {
            line: 0,
            message: "unreadable input".to_string(),
            remedy: None,
            closes_on: None,
            conflict: None,
        },
    };
    let required: Vec<&str> = wanted
        .iter()
        .filter(|w| w.required)
        .map(|w| w.role.name())
        .collect();
    let header = reader
        .next_header()
        .map_err(read_error)?
        .ok_or(InputError {
            line: 0,
            message: format!(
                "the file is empty; expected a header row with {}",
                required.join(", ")
            ),
            remedy: None,
            closes_on: None,
            conflict: None,
        })?;
    let names: Vec<String> = header
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    let role = |r: Role| wanted.iter().position(|w| w.role == r);
    // In usage, a calls column named with a multiple of calls as its unit
    // (`调用量(万次)`) is read at that scale: its counts take the suffix.
    let calls_at = role(Role::Calls).filter(|&i| wanted[i].named.is_none() && !wanted[i].absent);
    let scaled = calls_at
        .filter(|_| pivots.is_some())
        .and_then(|at| Some((at, crate::columns::scaled_calls_column(&names)?)));
    let mut calls_suffix = None;
    let (positions, spread) = match (crate::columns::resolve(&names, wanted), scaled) {
        (Ok(positions), _) => (positions, None),
        (Err(_), Some((at_calls, (column, suffix)))) => {
            let mut named = wanted.to_vec();
            named[at_calls].named = Some(names[column].as_str());
            let positions = crate::columns::resolve(&names, &named).map_err(at(1))?;
            if let Some(unit) = role(Role::Unit).and_then(|i| positions[i]) {
                return Err(at(1)(format!(
                    "the calls column '{}' names its unit, and so does the column '{}': \
                     expected one",
                    names[column], names[unit]
                )));
            }
            calls_suffix = Some((at_calls, suffix));
            (positions, None)
        }
        (Err(e), None) => match pivots.and_then(|prices| find_pivot(&names, wanted, prices)) {
            Some((positions, spread)) => (positions, Some(spread)),
            None => return Err(at(1)(e)),
        },
    };
    let account = role(Role::Account).and_then(|i| positions[i]);
    // A bill's details hold every product's rows, and the packs bought: those
    // are no OCR usage (and another product's name no API of the price list).
    let mut not_usage = crate::columns::NotUsage::of(&names, &positions);
    // Packs are prepaid purchases: a billing mode says so of usage rows only.
    if !usage {
        not_usage.mode = None;
    }
    // (A file separated by semicolons may write 9.000 as 9,000.)
    let marks = Marks::of_delimiter(reader.delimiter());
    let mut values: Vec<Option<String>> = Vec::new();
    let mut totals = TotalsRows::default();
    // Rows read as usage (neither another product's nor totals).
    let mut rows_read = 0u64;
    while let Some(record) = reader.next_record().map_err(read_error)? {
        let line = record.line;
        if record.repeats(&names) {
            continue;
        }
        if let Some(row) = record.not_usage(not_usage) {
            totals.add_left_out(&row);
            continue;
        }
        // A totals or subtotal row, as `batch` tells one: its account cell says
        // so, or it cannot be read and one of its cells does.
        // In a pivot table, a row of which a cell says so: its cells are
        // read one at a time, and one read before a bad one would be billed.
        let said = match spread {
            Some(_) => record.totals_word(),
            None => record.account_totals_word(account),
        };
        if let Some(word) = said {
            totals.add(line, word);
            continue;
        }
        rows_read += 1;
        let read = if let Err(why) = record.has_fields(names.len()) {
            Err(why)
        } else {
            // Each cell into the string it had in the row before (no allocation a cell).
            values.resize(positions.len(), None);
            for (value, p) in values.iter_mut().zip(&positions) {
                match p {
                    Some(i) => {
                        let cell = value.get_or_insert_with(String::new);
                        cell.clear();
                        cell.push_str(String::from_utf8_lossy(record.field(*i)).trim());
                    }
                    None => *value = None,
                }
            }
            if let Some((at_calls, suffix)) = calls_suffix {
                if let Some(count) = values[at_calls].as_mut().filter(|c| !c.is_empty()) {
                    count.push_str(suffix);
                }
            }
            match &spread {
                // A count under a column that is neither read nor a totals
                // column: calls under a name not known (a typo, a month
                // without its year), never left out unsaid.
                Some(spread) => match spread.unread_count(&names, &record) {
                    Some(why) => Err(why),
                    // A row for each of the spread columns' cells that holds calls.
                    None => spread.columns.iter().try_for_each(|(i, value)| {
                        let calls = String::from_utf8_lossy(record.field(*i)).trim().to_string();
                        if calls.is_empty() {
                            return Ok(());
                        }
                        values[spread.role_at] = Some(value.clone());
                        values[spread.calls_at] = Some(calls);
                        row(line, &values, marks).map_err(|e| format!("column {}: {e}", names[*i]))
                    }),
                },
                None => row(line, &values, marks),
            }
        };
        if let Err(message) = read {
            match record.totals_word() {
                Some(word) => totals.add(line, word),
                None => {
                    let hint = record.note_hint().unwrap_or_default();
                    return Err(at(line)(format!("{message}{hint}")));
                }
            }
        }
    }
    let product = not_usage.product.map(|p| names[p].as_str());
    match totals.only_other_products(rows_read, product) {
        Some(why) => Err(at(0)(why)),
        None => Ok(totals),
    }
}

/// A column of usage that a spreadsheet's pivot table spreads over a
/// column for each of its values, the calls in the cells: the months
/// (`api,2026-01,2026-02`), or the APIs (`month,身份证识别,银行卡识别`).
struct Spread<'f> {
    /// The column spread (`Role::Month`, `Role::Api`).
    role: Role,
    /// The value a header names, if it names one.
    value: &'f dyn Fn(&str) -> Option<String>,
    /// Columns it takes at least.
    least: usize,
    /// What a column's name says (`month with its year, as 2026-01`).
    what: &'static str,
}

/// Where the spread columns of a header are, and what each says.
pub(crate) struct Spreading {
    /// The role spread over the columns: `Role::Month` or `Role::Api`.
    pub(crate) role: Role,
    /// The places in the wanted columns' values of the spread role and the calls.
    pub(crate) role_at: usize,
    pub(crate) calls_at: usize,
    /// Each spread column's place and value (`2026-01`; an API's name).
    pub(crate) columns: Vec<(usize, String)>,
    /// The other columns not read, but for totals columns (`合计`).
    pub(crate) unread: Vec<usize>,
    /// What a spread column's name says (`month with its year (2026-01)`).
    pub(crate) what: &'static str,
}

impl Spreading {
    /// Why a row's cells cannot be read: a count under a column that is
    /// neither read nor a totals column (calls under a name not known, a
    /// typo, a month without its year), never left out unsaid.
    pub(crate) fn unread_count(&self, names: &[String], record: &Record<'_>) -> Option<String> {
        let i = *(self.unread.iter()).find(|&&i| crate::totals::holds_count(record.field(i)))?;
        Some(format!(
            "column '{}' holds a count but names no {}; name it as one, or delete the column",
            names[i], self.what
        ))
    }
}

/// A spreadsheet's pivot table of usage, where `wanted` are not found in
/// `names` as columns: its months (named with their year) or its APIs as
/// columns, the calls in the cells. The wanted columns found beside them,
/// and where the spread columns are.
pub(crate) fn find_pivot(
    names: &[String],
    wanted: &[Wanted<'_>],
    prices: &PriceList,
) -> Option<(Vec<Option<usize>>, Spreading)> {
    let month = |name: &str| Month::named_by(name).map(|m| m.to_string());
    let api = |name: &str| prices.find(name).ok().map(|_| name.trim().to_string());
    let spreads = [
        Spread {
            role: Role::Month,
            value: &month,
            least: 2,
            what: "month with its year (2026-01)",
        },
        Spread {
            role: Role::Api,
            value: &api,
            least: 1,
            what: "API of the price list (`ocr-bill prices` lists them)",
        },
    ];
    spreads.iter().find_map(|s| s.columns(names, wanted))
}

impl Spread<'_> {
    /// The wanted columns, the spread role and the calls found in `names`
    /// spread over columns; `None` when the header is not such a table: the
    /// role or the calls are named on the command line or found as usual, or
    /// fewer columns name a value than it takes.
    fn columns(
        &self,
        names: &[String],
        wanted: &[Wanted<'_>],
    ) -> Option<(Vec<Option<usize>>, Spreading)> {
        let spread = |w: &Wanted<'_>| w.role == self.role || w.role == Role::Calls;
        if wanted
            .iter()
            .any(|w| spread(w) && (w.named.is_some() || w.absent))
        {
            return None;
        }
        let columns: Vec<(usize, String)> = (names.iter().enumerate())
            .filter_map(|(i, n)| Some((i, (self.value)(n)?)))
            .collect();
        if columns.len() < self.least {
            return None;
        }
        let rest: Vec<Wanted<'_>> = wanted
            .iter()
            .map(|w| Wanted {
                required: w.required && !spread(w),
                ..w.clone()
            })
            .collect();
        let positions = crate::columns::resolve(names, &rest).ok()?;
        // The role or the calls found beside them, or a spread column taken
        // for another role: no such table.
        let taken = wanted
            .iter()
            .zip(&positions)
            .any(|(w, p)| spread(w) && p.is_some());
        if taken || columns.iter().any(|(i, _)| positions.contains(&Some(*i))) {
            return None;
        }
        let at = |role: Role| wanted.iter().position(|w| w.role == role);
        let unread = (0..names.len())
            .filter(|i| !positions.contains(&Some(*i)) && !columns.iter().any(|(c, _)| c == i))
            .filter(|&i| crate::totals::totals_word(names[i].as_bytes()).is_none())
            .collect();
        let spreading = Spreading {
            role: self.role,
            role_at: at(self.role)?,
            calls_at: at(Role::Calls)?,
            columns,
            unread,
            what: self.what,
        };
        Some((positions, spreading))
    }
}

/// Checks that months do not go back in a file, account by account (a file
/// sorted by account, then month, is in order).
#[derive(Default)]
struct InOrder(std::collections::HashMap<String, Month>);

impl InOrder {
    fn check(&mut self, account: &str, month: Month) -> Result<(), String> {
        match self.0.get_mut(account) {
            Some(last) if month < *last => Err(match account {
                "" => format!("month {month} comes after {last}; rows must be in month order"),
                _ => format!(
                    "month {month} comes after {last} for account {account}; each account's \
                     rows must be in month order"
                ),
            }),
            Some(last) => {
                *last = month;
                Ok(())
            }
            None => {
                self.0.insert(account.to_string(), month);
                Ok(())
            }
        }
    }
}

/// The account of a row (empty when the file has none).
fn account_of(v: &Option<String>) -> Result<String, String> {
    account_in(v).map(str::to_string)
}

/// The account a cell names (none: the empty name), checked.
fn account_in(v: &Option<String>) -> Result<&str, String> {
    let account = text(v);
    crate::parse::check_account(account.as_bytes())?;
    Ok(account)
}

fn text(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("")
}

/// Column names to read usage by, where not the usual ones.
#[derive(Clone, Debug, Default)]
pub struct UsageColumns {
    /// The API column.
    pub api: Option<String>,
    /// The calls column.
    pub calls: Option<String>,
    /// The account column.
    pub account: Option<String>,
    /// The month (or date) column.
    pub month: Option<String>,
    /// Each row is one call (a log of calls, without a calls column): rows
    /// are counted, not a column read.
    pub count_rows: bool,
}

/// Refuses a row without an account where others name theirs: it is no
/// one's, and summed with a named account it could be another's calls (a
/// spreadsheet's merged cell leaves the rows below its first empty).
#[derive(Default)]
pub(crate) struct AccountsSeen {
    first_blank: Option<u64>,
    first_named: Option<(u64, String)>,
}

impl AccountsSeen {
    /// The account of the row at `line`, checked against the rows before it.
    pub(crate) fn check(&mut self, line: u64, account: &str) -> Result<(), AccountConflict> {
        if account.is_empty() {
            self.first_blank.get_or_insert(line);
        } else if self.first_named.is_none() {
            self.first_named = Some((line, account.to_string()));
        }
        let (Some(blank), Some((named, name))) = (self.first_blank, &self.first_named) else {
            return Ok(());
        };
        Err(AccountConflict {
            line,
            other: if blank == line { *named } else { blank },
            name: name.clone(),
            unnamed: blank == line,
        })
    }
}

/// A row without an account in a file whose other rows name theirs, or the
/// other way round: the rows' accounts cannot be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountConflict {
    /// The row refused.
    pub line: u64,
    /// The earlier row it conflicts with.
    pub other: u64,
    /// The first account named.
    pub name: String,
    /// The row refused has no account (and the other names one).
    pub unnamed: bool,
}

impl AccountConflict {
    /// Why the row is refused, naming the other row's line as `other` says
    /// (`line 2`, or `line 2 of a.csv` when it is another file's).
    pub fn why(&self, other: &str) -> String {
        let name = &self.name;
        let conflict = match self.unnamed {
            true => format!("this row has no account, while {other} names '{name}'"),
            false => format!("this row names '{name}', while {other} has no account"),
        };
        format!(
            "{conflict}; every row of a file with accounts names its own (a merged cell of \
             a spreadsheet leaves the rows below its first empty: fill them in)"
        )
    }
}

impl fmt::Display for AccountConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.why(&format!("line {}", self.other)))
    }
}

/// Reads usage: the month (or a date within it), API and calls columns, and
/// an optional account column, in any order of rows; rows of one account,
/// month and API are summed by the ledger.
pub fn read_usage<'a, R: Read>(
    input: R,
    prices: &'a PriceList,
    names: &UsageColumns,
) -> Result<(Vec<Usage<'a>>, TotalsRows), InputError> {
    let mut rows = Vec::new();
    let wanted = [
        Wanted::named(Role::Month, names.month.as_deref(), true),
        Wanted::named(Role::Api, names.api.as_deref(), true),
        Wanted::calls(names.calls.as_deref(), names.count_rows),
        Wanted::named(Role::Account, names.account.as_deref(), false),
        Wanted::optional(Role::Unit),
    ];
    let mut accounts = AccountsSeen::default();
    // (The conflict of accounts a row is refused for, told apart.)
    let mut conflict = None;
    // Each account's number, so that the key below holds no copy of its name.
    let mut numbers: FxHashMap<String, u32> = FxHashMap::default();
    // Each account, month, API and billing item's place in `rows` (the API
    // by its place in the price list; a row naming the item itself by none).
    // Small keys: a file of many accounts has as many of them as rows.
    let mut places: FxHashMap<(u32, Month, u32, u32), u32> = FxHashMap::default();
    let totals = read_rows(input, &wanted, Some(prices), true, |line, v, marks| {
        let month = Month::parse(text(&v[0]))?;
        let found = prices.find(text(&v[1])).map_err(|e| e.to_string())?;
        let suffix = crate::columns::unit_suffix(text(&v[4]))?;
        let calls = if names.count_rows {
            1
        } else {
            crate::columns::count_in_unit(text(&v[2]), suffix, marks)?
        };
        let account = account_in(&v[3])?;
        accounts.check(line, account).map_err(|c| {
            let why = c.to_string();
            conflict = Some(c);
            why
        })?;
        let next = numbers.len() as u32;
        let number = match numbers.get(account) {
            Some(&n) => n,
            None => *numbers.entry(account.to_string()).or_insert(next),
        };
        let place = |i: Option<usize>| i.map_or(Some(u32::MAX), |i| u32::try_from(i).ok());
        let (Some(api), Some(item)) = (
            place(found.api.and_then(|a| prices.api_index(a))),
            place(Some(found.item_index)),
        ) else {
            return Err("the price list has more APIs than a usage file can name".into());
        };
        let key = (number, month, api, item);
        match places.get(&key) {
            Some(&at) => {
                let u: &mut Usage = &mut rows[at as usize];
                u.calls = u.calls.checked_add(calls).ok_or_else(|| {
                    format!("the calls of {} in {month} overflow", found.item.key)
                })?;
                u.rows += 1;
            }
            None => {
                let at = u32::try_from(rows.len())
                    .map_err(|_| format!("more than {} accounts, months and APIs", u32::MAX))?;
                places.insert(key, at);
                rows.push(Usage {
                    account: account.to_string(),
                    month,
                    api: found.item,
                    source: found.api,
                    calls,
                    rows: 1,
                });
            }
        }
        Ok(())
    })
    .map_err(|e| InputError { conflict, ..e })?;
    Ok((rows, totals))
}

/// Reads pack purchases: columns `month`, `api`, `calls` (the pack size, also
/// `size`, `规格`…) and an optional `count`, in month order.
pub fn read_packs<'a, R: Read>(
    input: R,
    prices: &'a PriceList,
) -> Result<(Vec<Purchase<'a>>, TotalsRows), InputError> {
    let mut rows = Vec::new();
    let mut order = InOrder::default();
    let wanted = [
        Wanted::required(Role::Month),
        Wanted::required(Role::Api),
        Wanted::required(Role::PackSize),
        Wanted::optional(Role::Count),
        Wanted::optional(Role::Account),
        Wanted::optional(Role::Price),
        Wanted::optional(Role::Expiry),
        Wanted::optional(Role::Paid),
    ];
    let totals = read_rows(input, &wanted, None, false, |_, v, marks| {
        let month = Month::parse(text(&v[0]))?;
        let account = account_of(&v[4])?;
        order.check(&account, month)?;
        let api = prices.item(text(&v[1])).map_err(|e| e.to_string())?;
        let size = marks.count(text(&v[2])).map_err(|e| e.to_string())?;
        let count = match v[3].as_deref() {
            None | Some("") => 1,
            Some(c) => marks.count(c).map_err(|e| format!("pack count: {e}"))?,
        };
        if count == 0 || count > crate::prepaid::MAX_PACKS {
            return Err(format!(
                "pack count {count}: expected 1 to {}",
                crate::prepaid::MAX_PACKS
            ));
        }
        let money = |cell: &Option<String>, what: &str| match cell.as_deref() {
            None | Some("") => Ok(None),
            Some(m) => marks.money(m).map(Some).map_err(|e| format!("{what}: {e}")),
        };
        let price = price_of_one(
            money(&v[5], "pack price")?,
            money(&v[7], "amount paid")?,
            count,
        )?;
        api.pack_at(size, price).map_err(|e| e.to_string())?;
        if let Some(expiry) = v[6].as_deref().filter(|e| !e.is_empty()) {
            check_expiry(month, expiry, prices.settings.pack_validity_months)?;
        }
        rows.push(Purchase {
            account,
            price,
            month,
            api,
            size,
            count,
        });
        Ok(())
    })?;
    Ok((rows, totals))
}

/// The price paid for one pack of a row: its price column, or what the row's
/// `count` packs cost together (an order list's `实付金额`) divided among
/// them, to the fen; given both, they must agree.
fn price_of_one(
    price: Option<Money>,
    paid: Option<Money>,
    count: u64,
) -> Result<Option<Decimal>, String> {
    match (price, paid) {
        (Some(price), Some(paid)) => {
            let makes = price.decimal().checked_mul(Decimal::from(count));
            if makes == Some(paid.decimal()) {
                return Ok(Some(price.decimal()));
            }
            let makes = makes.map_or_else(
                || "more than a decimal holds".to_string(),
                |d| Money::round(d).to_string(),
            );
            Err(format!(
                "the pack price {price} for {count} packs makes {makes}, but the amount paid is \
                 {paid}; give one or the other"
            ))
        }
        (Some(price), None) => Ok(Some(price.decimal())),
        (None, Some(paid)) => {
            let packs = i128::from(count);
            if paid.fen() % packs != 0 {
                return Err(format!(
                    "the amount paid, {paid}, is not the same whole number of fen for each of \
                     the {count} packs; give the price of one pack in a price column"
                ));
            }
            Ok(Some(Decimal::from_i128_with_scale(paid.fen() / packs, 2)))
        }
        (None, None) => Ok(None),
    }
}

/// Checks a pack's expiry (`到期时间`, as the console lists orders) against
/// the validity every pack of the price list has: a pack bought in `month`
/// serves through `month + validity − 1`, and expires on a day of the month
/// after (a year to the day: `2026-01-03` → `2027-01-03`) or at the end of
/// its last month. A pack of another validity (a promotion's) is refused:
/// billed as the list's, it would serve months it does not, or stop early.
fn check_expiry(month: Month, expiry: &str, validity: u32) -> Result<(), String> {
    let expires = Month::parse(expiry).map_err(|e| format!("expiry: {e}"))?;
    let last = month.plus(validity - 1);
    if expires == last || expires == last.plus(1) {
        return Ok(());
    }
    Err(format!(
        "the pack expires {expiry}, but packs of this price list are valid {} \
         from the month bought ({month} through {last}); a pack of another validity cannot be \
         billed with it (all packs of one: set pack_validity_months in a pricing file)",
        crate::words::counted(u64::from(validity), "month")
    ))
}

/// Reads top-ups: columns `month`, `amount` and an optional account, in
/// month order.
pub fn read_topups<R: Read>(input: R) -> Result<(Vec<TopUp>, TotalsRows), InputError> {
    let mut rows = Vec::new();
    let mut order = InOrder::default();
    let wanted = [
        Wanted::required(Role::Month),
        Wanted::required(Role::Amount),
        Wanted::optional(Role::Account),
        Wanted::optional(Role::Kind),
    ];
    let totals = read_rows(input, &wanted, None, false, |_, v, marks| {
        // A statement's other rows (消费, 退款) are no money credited; an
        // empty cell says nothing, as in every optional column.
        if let Some(kind) = v[3].as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            if !TOP_UP_KINDS.iter().any(|k| k.eq_ignore_ascii_case(kind)) {
                return Err(format!(
                    "the row is a '{kind}', not a top-up (充值): the file may hold only \
                     money credited; leave the other rows out"
                ));
            }
        }
        let month = Month::parse(text(&v[0]))?;
        let account = account_of(&v[2])?;
        order.check(&account, month)?;
        let amount = marks.money(text(&v[1])).map_err(|e| e.to_string())?;
        rows.push(TopUp {
            account,
            month,
            amount,
        });
        Ok(())
    })?;
    Ok((rows, totals))
}

/// The kinds of transaction (`交易类型`) that credit money: the rows a
/// top-ups file may hold where it says its rows' kind.
const TOP_UP_KINDS: [&str; 12] = [
    "充值",
    "在线充值",
    "线下充值",
    "汇款充值",
    "转账充值",
    "收入",
    "入账",
    "top-up",
    "topup",
    "top up",
    "recharge",
    "deposit",
];

/// Each billing item of a usage file with its calls in each month, from the
/// first.
pub type MonthlyCalls<'a> = Vec<(&'a Item, Vec<u64>)>;

/// Usage regrouped per API as monthly calls from `from` to `until` (by
/// default the first and the last month of the rows; months without rows are
/// 0; rows outside are left out), APIs in order of first appearance: the
/// forecast `plan` reads from a usage file. Returns the first month too.
pub fn monthly_by_api<'a>(
    usage: &[Usage<'a>],
    from: Option<Month>,
    until: Option<Month>,
) -> Result<(Month, MonthlyCalls<'a>), Error> {
    let inside = |m: Month| crate::Months { from, until }.contains(m);
    let months = || usage.iter().map(|u| u.month).filter(|&m| inside(m));
    let (Some(first), Some(last)) = (from.or(months().min()), until.or(months().max())) else {
        return Err(Error::Invalid("the usage file has no rows".into()));
    };
    if first > last {
        return Err(Error::Invalid(format!(
            "the plan would start in {first} and end in {last}; the first month must not come \
             after the last"
        )));
    }
    let span = (first.months_until(last) + 1) as usize;
    if span > 1200 {
        return Err(Error::Invalid(format!(
            "usage from {first} to {last}: too many months"
        )));
    }
    let mut out: MonthlyCalls<'a> = Vec::new();
    // Each item's place in `out`, by key.
    let mut places: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for u in usage.iter().filter(|u| inside(u.month)) {
        let at = *places.entry(u.api.key.as_str()).or_insert_with(|| {
            out.push((u.api, vec![0; span]));
            out.len() - 1
        });
        let slot = &mut out[at].1[first.months_until(u.month) as usize];
        *slot = slot
            .checked_add(u.calls)
            .ok_or(Error::Overflow("the month's calls"))?;
    }
    Ok((first, out))
}

/// The distinct non-empty accounts named, in order of first appearance (one
/// pass: a file of many accounts takes no longer per row).
pub fn accounts<'s>(names: impl IntoIterator<Item = &'s str>) -> Vec<&'s str> {
    let mut seen = rustc_hash::FxHashSet::default();
    names
        .into_iter()
        .filter(|n| !n.is_empty() && seen.insert(*n))
        .collect()
}

/// `rows` apart by account: the rows of each of `names` in turn, in their
/// order; a row of an account not named is left out. The rows are put in
/// order where they are (each account looked up once a row), and each
/// account's are moved
/// out as it is reached: a file of many accounts takes the memory of its rows
/// and of one account's, not twice its rows.
pub fn split_by_account<T>(
    mut rows: Vec<T>,
    names: &[&str],
    account: impl Fn(&T) -> &str,
) -> ByAccount<T> {
    // (A name given twice is its first place: the one the count below meets
    // first. Its later places get no rows.)
    let at: FxHashMap<&str, usize> = (names.iter().enumerate().rev())
        .map(|(i, n)| (*n, i))
        .collect();
    // (Stable: an account's rows keep their order. An account not named
    // sorts last, and is never taken.)
    rows.sort_by_cached_key(|row| at.get(account(row)).copied().unwrap_or(usize::MAX));
    // Each account's rows, counted in the order the sort left them in.
    let mut counts = vec![0; names.len()];
    let mut i = 0;
    for row in &rows {
        while names.get(i).is_some_and(|n| *n != account(row)) {
            i += 1;
        }
        match counts.get_mut(i) {
            Some(count) => *count += 1,
            None => break,
        }
    }
    ByAccount {
        rows: rows.into_iter(),
        counts,
        next: 0,
    }
}

/// The rows of each account in turn: see [`split_by_account`].
pub struct ByAccount<T> {
    rows: std::vec::IntoIter<T>,
    /// Each account's rows.
    counts: Vec<usize>,
    /// The account given next.
    next: usize,
}

impl<T> ByAccount<T> {
    /// How many rows each account has, in the order of the names.
    pub fn counts(&self) -> &[usize] {
        &self.counts
    }
}

impl<T> Iterator for ByAccount<T> {
    type Item = Vec<T>;

    fn next(&mut self) -> Option<Vec<T>> {
        let count = *self.counts.get(self.next)?;
        self.next += 1;
        Some(self.rows.by_ref().take(count).collect())
    }
}

/// Refuses rows of several accounts: each account has its own free quotas,
/// tiers, packs, freeze and balance, so their rows are never billed together.
pub fn one_account<'s>(names: impl IntoIterator<Item = &'s str>) -> Result<(), Error> {
    let all = accounts(names);
    if all.len() > 1 {
        return Err(Error::SeveralAccounts {
            count: all.len(),
            names: crate::first_of(all.iter(), 10),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::split_by_account;

    /// Each named account's rows in turn, in their order; rows of an account
    /// not named left out; a lone row and no rows alike.
    #[test]
    fn rows_apart_by_account_keep_their_order() {
        // Rows `(account, n)` split by `names`: each account's count, and its `n`s.
        let split = |rows: Vec<(&str, i32)>, names: &[&str]| {
            let split = split_by_account(rows, names, |r| r.0);
            let counts = split.counts().to_vec();
            let apart: Vec<Vec<i32>> = split
                .map(|rows| rows.iter().map(|r| r.1).collect())
                .collect();
            (counts, apart)
        };
        let rows = vec![("b", 1), ("a", 2), ("x", 3), ("b", 4), ("a", 5), ("b", 6)];
        assert_eq!(
            split(rows, &["b", "a", "c"]),
            (vec![3, 2, 0], vec![vec![1, 4, 6], vec![2, 5], vec![]])
        );
        // An account without rows between two with rows.
        let rows = vec![("a", 1), ("b", 2), ("a", 3)];
        assert_eq!(
            split(rows.clone(), &["b", "c", "a"]),
            (vec![1, 0, 2], vec![vec![2], vec![], vec![1, 3]])
        );
        // A name given twice: its rows at its first place.
        assert_eq!(
            split(rows, &["a", "b", "a"]),
            (vec![2, 1, 0], vec![vec![1, 3], vec![2], vec![]])
        );
        // (A slice of fewer than two is not sorted; its rows still count.)
        let one: Vec<_> = split_by_account(vec![("", 7)], &[""], |r| r.0).collect();
        assert_eq!(one, vec![vec![("", 7)]]);
        let empty: Vec<(&str, i32)> = Vec::new();
        let none: Vec<Vec<(&str, i32)>> = split_by_account(empty, &["a"], |r| r.0).collect();
        assert_eq!(none, vec![Vec::new()]);
    }
}
