//! The command line as clap sees it: the shared flags, the subcommands and
//! their arguments. Definitions only.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use ocr_bill::InputEncoding;

use crate::render::Format;

const EXAMPLES: &str = "\
Examples:
  ocr-bill postpaid --api idcard --calls 9000
  ocr-bill postpaid --api idcard --calls 9k --api vat-invoice --calls 1.5万 --format json
  ocr-bill postpaid --api general --calls 2M --negotiated-price 0.04
  ocr-bill prepaid --api bankcard --calls 2500 --packs 1000
  ocr-bill quote --api idcard --calls 7000 --months 12
  ocr-bill prices --api 身份证";

/// Exact bills for Tencent Cloud OCR (文字识别): tier reaching, free quota, packs, freeze.
#[derive(Debug, Parser)]
#[command(
    name = "ocr-bill",
    // Usage lines say `ocr-bill` wherever it runs, not the file's name
    // (`ocr-bill.exe` on Windows).
    bin_name = "ocr-bill",
    version,
    after_help = EXAMPLES,
    max_term_width = 100,
    // The variables fill the top level's flags (a flag after the subcommand
    // wins over both); the flags' own text names them, for every subcommand.
    mut_arg("edition", |a| a.env("OCR_BILL_EDITION").hide_env(true)),
    mut_arg("pricing", |a| a.env("OCR_BILL_PRICING").hide_env(true))
)]
pub struct Cli {
    #[command(flatten)]
    pub shared: Shared,

    #[command(subcommand)]
    pub command: Command,
}

/// The flags of every subcommand, given before its name or after it
/// (`ocr-bill -f json postpaid …`, `ocr-bill postpaid … -f json`): the top
/// level's, and each subcommand's own copy, added to the one that runs (see
/// `Lazy`), which is far less work than clap's global arguments, copied into
/// every subcommand at each start (#14). A flag given after the subcommand's
/// name wins; `OCR_BILL_EDITION` and `OCR_BILL_PRICING` fill the top level's.
#[derive(Debug, Default, Args)]
pub struct Shared {
    /// Built-in edition of the price page to bill with: a, b, seed, c, d, e, intl
    /// (`ocr-bill prices --editions` lists them) [default: seed] [env: OCR_BILL_EDITION]
    #[arg(long, value_name = "NAME")]
    pub edition: Option<String>,

    /// Price list file to bill with; it starts from --edition (or the edition it
    /// names) and overrides what it states [env: OCR_BILL_PRICING]
    #[arg(long, value_name = "FILE")]
    pub pricing: Option<PathBuf>,

    /// Encoding of input files: auto (UTF-8, or GB18030/GBK as saved by Excel or WPS
    /// on Chinese Windows, told from its first bytes that are not ASCII; UTF-16 by its
    /// byte-order mark or its zero bytes), utf-8, gbk, gb18030 [default: auto]
    #[arg(long, value_enum)]
    pub encoding: Option<EncodingArg>,

    /// The sheet of a workbook (xlsx, xls, ods) given as input to read [default: its
    /// sheet with data, or its sheets that begin with one header]
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,

    /// Write the output to FILE (atomically: a failed run leaves no file) instead
    /// of stdout; an input of the run is never overwritten. Without --format,
    /// FILE's extension says the format (.xlsx, .csv, .json; .toml for prices)
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// CSV for Excel and WPS: UTF-8 byte-order mark, CRLF, and cells that would
    /// start a formula (=, +, -, @) prefixed with ' (plain CSV is for pipelines);
    /// implies --format csv
    #[arg(long)]
    pub excel: bool,

    /// Fit tables to N columns, wrapping text cells (numbers never wrap); 0 for
    /// no limit. Default: the terminal's width on a terminal (COLUMNS, else the
    /// terminal's size, else 100), no limit when writing to a pipe or file
    #[arg(long, value_name = "N")]
    pub width: Option<u16>,

    /// Output format [default: table; csv for batch and curve]
    #[arg(long, short = 'f', value_enum)]
    pub format: Option<Format>,
}

impl Shared {
    /// The flags given after the subcommand's name over those before it.
    pub fn overlay(&mut self, later: Shared) {
        let Shared {
            edition,
            pricing,
            encoding,
            sheet,
            output,
            excel,
            width,
            format,
        } = later;
        self.edition = edition.or(self.edition.take());
        self.pricing = pricing.or(self.pricing.take());
        self.encoding = encoding.or(self.encoding);
        self.sheet = sheet.or(self.sheet.take());
        self.output = output.or(self.output.take());
        self.excel |= excel;
        self.width = width.or(self.width);
        self.format = format.or(self.format);
    }
}

/// `--encoding`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum EncodingArg {
    /// UTF-8, or GB18030 when its first bytes that are not ASCII are not UTF-8 but GB18030,
    /// or UTF-16
    #[default]
    Auto,
    /// UTF-8
    #[value(name = "utf-8", alias = "utf8")]
    Utf8,
    /// GBK (read as GB18030, its superset)
    Gbk,
    /// GB18030
    Gb18030,
}

impl From<EncodingArg> for InputEncoding {
    fn from(e: EncodingArg) -> Self {
        match e {
            EncodingArg::Auto => InputEncoding::Auto,
            EncodingArg::Utf8 => InputEncoding::Utf8,
            EncodingArg::Gbk | EncodingArg::Gb18030 => InputEncoding::Gb18030,
        }
    }
}

/// A subcommand's arguments and its copy of the shared flags, added to its
/// parser only when that subcommand is the one run (`Command::defer`): a run
/// builds the parser of one subcommand, not of every one, which is most of
/// clap's start-up (#14). Derefs to the arguments.
#[derive(Debug)]
pub struct Lazy<T>(pub T, pub Shared);

impl<T> std::ops::Deref for Lazy<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> std::ops::DerefMut for Lazy<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: Args> Args for Lazy<T> {
    fn group_id() -> Option<clap::Id> {
        T::group_id()
    }
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.defer(|cmd| keep_about(cmd, |c| Shared::augment_args(T::augment_args(c))))
    }
    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        cmd.defer(|cmd| {
            keep_about(cmd, |c| {
                Shared::augment_args_for_update(T::augment_args_for_update(c))
            })
        })
    }
}

/// Adds the arguments to a subcommand whose description is already set: the
/// description stays the subcommand's, not the argument struct's doc comment.
fn keep_about(cmd: clap::Command, augment: fn(clap::Command) -> clap::Command) -> clap::Command {
    let (about, long) = (cmd.get_about().cloned(), cmd.get_long_about().cloned());
    let cmd = augment(cmd);
    let cmd = match about {
        Some(about) => cmd.about(about),
        None => cmd.about(None::<&str>),
    };
    match long {
        Some(long) => cmd.long_about(long),
        None => cmd.long_about(None::<&str>),
    }
}

impl<T: clap::FromArgMatches> clap::FromArgMatches for Lazy<T> {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        Ok(Lazy(
            T::from_arg_matches(matches)?,
            Shared::from_arg_matches(matches)?,
        ))
    }
    fn from_arg_matches_mut(matches: &mut clap::ArgMatches) -> Result<Self, clap::Error> {
        Ok(Lazy(
            T::from_arg_matches_mut(matches)?,
            Shared::from_arg_matches_mut(matches)?,
        ))
    }
    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)?;
        self.1.update_from_arg_matches(matches)
    }
    fn update_from_arg_matches_mut(
        &mut self,
        matches: &mut clap::ArgMatches,
    ) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches_mut(matches)?;
        self.1.update_from_arg_matches_mut(matches)
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// This month's postpaid bill: reached tier, voucher, amount and the freeze it triggers
    #[command(
        override_usage = "ocr-bill postpaid [OPTIONS] --api <API> --calls <N>",
        after_help = "Examples:
  ocr-bill postpaid --api idcard --calls 9000
  ocr-bill postpaid --api license --calls 9k --api general --calls 10万
  ocr-bill postpaid --api bankcard --calls 1.2M --negotiated-price 0.05 --format json"
    )]
    Postpaid(Lazy<PostpaidArgs>),
    /// One month with prepaid packs bought: free quota, then packs, then overage
    #[command(after_help = "Examples:
  ocr-bill prepaid --api bankcard --calls 2500 --packs 1000
  ocr-bill prepaid --api idcard --calls 50000 --packs 10k
  ocr-bill prepaid --api general --calls 30万 --packs 1k,10kx2,10万x2 --format json")]
    Prepaid(Lazy<PrepaidArgs>),
    /// Which prepaid packs to buy for the calls expected in a year, compared side by side
    #[command(after_help = "Examples:
  ocr-bill quote --api idcard --calls 7000
  ocr-bill quote --api idcard --calls 3000 --months 12
  ocr-bill quote --api general --calls 2.5M --format json
  ocr-bill quote --api idcard --calls 7000 --api general --calls 50000 --months 12")]
    Quote(Lazy<QuoteArgs>),
    /// Bill usage CSV (a file or stdin) row by row, or grouped by account and month
    #[command(after_help = "Examples:
  ocr-bill batch usage.csv > bills.csv
  export-usage | ocr-bill batch --group-by account,month > bills.csv
  ocr-bill batch usage.csv --skip-invalid --format json 2> skipped.txt
  ocr-bill batch year.csv --group-by account,month --account 1001 --from 2026-04

Input: a header row with `api` and `calls` columns (names set by --api-column and
--calls-column); other columns pass through. Output: the input columns plus free_calls,
billable_calls, tier, unit_price, amount, cliff_calls, cliff_amount. With --group-by, a
spreadsheet's pivot table (months or APIs as columns) is read too.

Exit codes: 0 all rows billed; 1 a bad row stopped the run (rows before it were written)
or the input is unusable; 2 a command-line error, or --account, --from and --until chose
no row; 3 --skip-invalid left rows out (each reported on stderr).")]
    Batch(Lazy<BatchArgs>),
    /// Month by month: packs expiring, alerts, the freeze released and taken, arrears
    #[command(after_help = "Examples:
  ocr-bill ledger --usage usage.csv
  ocr-bill ledger --usage usage.csv --packs packs.csv --balance 5000 --topups topups.csv
  ocr-bill ledger --usage usage.csv --packs packs.csv --until 2027-12 --format json

Files (CSV with a header row, rows in month order):
  USAGE   month,api,calls          rows of one month and API are summed
  PACKS   month,api,calls[,count]  packs bought; calls is the pack size
  TOPUPS  month,amount             credited before that month's settlement")]
    Ledger(Lazy<LedgerArgs>),
    /// The cheapest packs to buy at the start of a period, given each month's calls
    #[command(after_help = "Examples:
  ocr-bill plan --api idcard --monthly 9000 12000 8000 15000
  ocr-bill plan --api general --monthly 50k 50k 50k 50k 50k 50k --format json
  ocr-bill plan --api idcard --monthly 9000 12000 --api general --monthly 50k 50k
  ocr-bill plan --usage usage.csv

Each month the free quota is used first, then the packs, then postpaid overage at the
tier that month's total calls reach. Compared: all postpaid, the cheapest purchase, and
packs covering every call (the source's arithmetic).")]
    Plan(Lazy<PlanArgs>),
    /// The month's bill and the price per call against monthly calls (CSV, SVG chart)
    #[command(after_help = "Examples:
  ocr-bill curve --api idcard
  ocr-bill curve --api idcard --max 200k --svg idcard.svg
  ocr-bill curve --api vat-invoice --max 2M --negotiated-price 0.15 --points 400")]
    Curve(Lazy<CurveArgs>),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    #[command(after_help = "Examples:
  ocr-bill completions bash > ~/.local/share/bash-completion/completions/ocr-bill
  ocr-bill completions zsh > ~/.zfunc/_ocr-bill
  ocr-bill completions fish > ~/.config/fish/completions/ocr-bill.fish")]
    Completions(Lazy<CompletionsArgs>),
    /// Print the manual page (roff), or write one page per subcommand into a folder
    #[command(after_help = "Examples:
  ocr-bill man > ocr-bill.1 && man ./ocr-bill.1
  ocr-bill man --dir ~/.local/share/man/man1     # ocr-bill.1, ocr-bill-postpaid.1, ...")]
    Man(Lazy<ManArgs>),
    /// Show the loaded price list and its settings
    #[command(after_help = "Examples:
  ocr-bill prices
  ocr-bill prices --api vat-invoice --format json
  ocr-bill --pricing my-prices.toml prices")]
    Prices(Lazy<PricesArgs>),
}

/// Arguments of `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Arguments of `man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write ocr-bill.1 and ocr-bill-SUBCOMMAND.1 for every subcommand into DIR
    /// (made if it is not there)
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Arguments of `postpaid`.
#[derive(Debug, Args)]
pub struct PostpaidArgs {
    /// API key, Chinese name or alias; repeat `--api A --calls N` for several APIs
    #[arg(long, required_unless_present = "file", value_name = "API")]
    pub api: Vec<String>,

    /// The month's calls of the matching --api: 9000, 9_000, 9k, 1.5M, 10万
    #[arg(
        long,
        required_unless_present = "file",
        value_name = "N",
        allow_hyphen_values = true
    )]
    pub calls: Vec<String>,

    /// A usage file given as to `batch`: refused, naming the commands that
    /// read one
    #[arg(value_name = "FILE", hide = true)]
    pub file: Option<std::path::PathBuf>,

    /// Unit price for the contact-sales tier (请联系商务), e.g. 0.04
    #[arg(long, value_name = "PRICE", allow_hyphen_values = true)]
    pub negotiated_price: Option<String>,
}

/// Arguments of `prepaid`: its flags, and the --api each --packs follows.
#[derive(Debug)]
pub struct PrepaidArgs {
    pub flags: PrepaidFlags,
    /// For each --packs in turn, the place among the --api of the one it
    /// follows on the command line; `None` before the first.
    pub packs_after: Vec<Option<usize>>,
}

impl std::ops::Deref for PrepaidArgs {
    type Target = PrepaidFlags;
    fn deref(&self) -> &PrepaidFlags {
        &self.flags
    }
}

impl Args for PrepaidArgs {
    fn group_id() -> Option<clap::Id> {
        PrepaidFlags::group_id()
    }
    fn augment_args(cmd: clap::Command) -> clap::Command {
        PrepaidFlags::augment_args(cmd)
    }
    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        PrepaidFlags::augment_args_for_update(cmd)
    }
}

impl clap::FromArgMatches for PrepaidArgs {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        Ok(PrepaidArgs {
            flags: PrepaidFlags::from_arg_matches(matches)?,
            packs_after: packs_after(matches),
        })
    }
    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        self.flags.update_from_arg_matches(matches)?;
        self.packs_after = packs_after(matches);
        Ok(())
    }
}

/// For each --packs, the --api it follows (its place among them).
fn packs_after(matches: &clap::ArgMatches) -> Vec<Option<usize>> {
    let at = |id: &str| -> Vec<usize> { (matches.indices_of(id).into_iter().flatten()).collect() };
    let apis = at("api");
    (at("packs").into_iter())
        .map(|packs| apis.iter().rposition(|&api| api < packs))
        .collect()
}

/// The flags of `prepaid`.
#[derive(Debug, Args)]
pub struct PrepaidFlags {
    /// API key, Chinese name or alias; repeat `--api A --calls N [--packs SPEC]` for
    /// several billing items of the account
    #[arg(long, required = true, value_name = "API")]
    pub api: Vec<String>,

    /// The month's calls of the matching --api: 9000, 9k, 1.5M, 10万
    #[arg(long, required = true, value_name = "N", allow_hyphen_values = true)]
    pub calls: Vec<String>,

    /// Packs bought for the --api before it, SIZE[xCOUNT][@PRICE] separated by
    /// commas: 1000, 1k,10kx2, 100kx3@3500
    #[arg(long, value_name = "SPEC", allow_hyphen_values = true)]
    pub packs: Vec<String>,

    /// Unit price for overage in the contact-sales tier (请联系商务)
    #[arg(long, value_name = "PRICE", allow_hyphen_values = true)]
    pub negotiated_price: Option<String>,
}

/// Arguments of `quote`.
#[derive(Debug, Args)]
pub struct QuoteArgs {
    /// API key, Chinese name or alias; repeat `--api A --calls N` for more: APIs
    /// of one billing item are quoted as the item, whose packs serve them all,
    /// and several items each on its own, with the sum of their cheapest
    #[arg(long, value_name = "API", required = true)]
    pub api: Vec<String>,

    /// Calls expected within the packs' validity (a year): 7000, 7k, 1.5M, 10万
    #[arg(long, value_name = "N", allow_hyphen_values = true, required = true)]
    pub calls: Vec<String>,

    /// Spread the calls evenly over M months and compare with postpaid, whose free
    /// quota applies every month
    #[arg(long, value_name = "M")]
    pub months: Option<u32>,

    /// Unit price for the contact-sales tier, used by the postpaid comparison
    #[arg(long, value_name = "PRICE", allow_hyphen_values = true)]
    pub negotiated_price: Option<String>,

    /// Prices actually paid for pack sizes, SIZE@PRICE separated by commas
    /// (e.g. 100k@3500): the quote searches packs at these prices
    #[arg(long, value_name = "SIZE@PRICE,...")]
    pub pack_price: Option<String>,

    /// Show every option in the table, also a single pack far bigger than needed
    #[arg(long)]
    pub all_options: bool,
}

/// Arguments of `batch`.
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// Usage CSV with a header row; stdin when absent or `-`. Several files
    /// of the same columns (a day's export each) are billed as one, with one
    /// header
    #[arg(value_name = "FILE")]
    pub file: Vec<PathBuf>,

    /// Sum rows with equal values in these columns (and the same API) before
    /// billing, e.g. account,month: daily rows become monthly bills. Leaving the
    /// month column out (account) bills each month apart and writes their sum;
    /// `api` alone sums a file without account and month columns per billing item
    #[arg(long, value_name = "COL,...", value_delimiter = ',')]
    pub group_by: Vec<String>,

    /// Report bad rows on stderr and go on; exit 3 if any row was left out
    #[arg(long)]
    pub skip_invalid: bool,

    /// Accept quoted fields that span lines (legal CSV; refused by default, since in
    /// a usage file it is almost always a stray quote that swallowed the rows after it)
    #[arg(long)]
    pub multiline_fields: bool,

    /// Bill only this account's rows, when the file holds rows of several (an
    /// `account` or `账号` column); the others are left out and counted
    #[arg(long, value_name = "NAME")]
    pub account: Option<String>,

    /// Bill only rows of this month (YYYY-MM) and after; the others are left
    /// out and counted
    #[arg(long, value_name = "YYYY-MM")]
    pub from: Option<String>,

    /// Bill only rows of this month (YYYY-MM) and before; the others are left
    /// out and counted
    #[arg(long, value_name = "YYYY-MM")]
    pub until: Option<String>,

    #[command(flatten)]
    pub columns: ColumnArgs,

    /// Unit price for volumes in the contact-sales tier (请联系商务)
    #[arg(long, value_name = "PRICE", allow_hyphen_values = true)]
    pub negotiated_price: Option<String>,
}

/// The usage columns' names, for `batch`, `ledger` and `plan` alike.
#[derive(Debug, Args, Default)]
pub struct ColumnArgs {
    /// Name of the column holding the API [default: api, 接口, 接口名称, action, …]
    #[arg(long, value_name = "NAME")]
    pub api_column: Option<String>,

    /// Name of the column holding the call count [default: calls, 调用量, 次数, …]
    #[arg(long, value_name = "NAME")]
    pub calls_column: Option<String>,

    /// Name of the column holding the account [default: account, 账号, 账户, …]
    #[arg(long, value_name = "NAME")]
    pub account_column: Option<String>,

    /// Name of the column holding the month or date [default: month, date, 月份, 日期, …]
    #[arg(long, value_name = "NAME")]
    pub month_column: Option<String>,

    /// Each row is one call (a log of calls, without a calls column): count the
    /// rows, rolled up into their months
    #[arg(long, conflicts_with = "calls_column")]
    pub count_rows: bool,
}

impl ColumnArgs {
    /// The first of these flags given, if any: each is about a usage file.
    pub(super) fn given(&self) -> Option<&'static str> {
        [
            (self.api_column.is_some(), "--api-column"),
            (self.calls_column.is_some(), "--calls-column"),
            (self.account_column.is_some(), "--account-column"),
            (self.month_column.is_some(), "--month-column"),
            (self.count_rows, "--count-rows"),
        ]
        .into_iter()
        .find_map(|(given, flag)| given.then_some(flag))
    }

    pub(super) fn names(&self) -> ocr_bill::UsageColumns {
        ocr_bill::UsageColumns {
            api: self.api_column.clone(),
            calls: self.calls_column.clone(),
            account: self.account_column.clone(),
            month: self.month_column.clone(),
            count_rows: self.count_rows,
        }
    }
}

/// Arguments of `ledger`.
#[derive(Debug, Args)]
pub struct LedgerArgs {
    /// Usage CSV (`-` for stdin): month (or a date), api, calls, and optionally
    /// account; English or Chinese headers (月份/日期, 接口, 调用量, 账号).
    /// Repeat it for several files (a month's or a day's export each): their
    /// rows are read as one file's
    #[arg(long, value_name = "FILE", required_unless_present = "file")]
    pub usage: Vec<PathBuf>,

    /// The usage files, as --usage: `ocr-bill ledger 2026-*.csv`
    #[arg(value_name = "FILE")]
    pub file: Vec<PathBuf>,

    /// Pack purchases CSV: month, api, calls (the pack size), optional count;
    /// repeat it for several files
    #[arg(long, value_name = "FILE")]
    pub packs: Vec<PathBuf>,

    /// Top-ups CSV: month, amount; repeat it for several files
    #[arg(long, value_name = "FILE")]
    pub topups: Vec<PathBuf>,

    /// Opening balance (e.g. 5000, 1万, 1,000.50; negative for arrears carried in);
    /// with it or --topups the balance, arrears and freeze are followed
    #[arg(long, value_name = "AMOUNT", allow_hyphen_values = true)]
    pub balance: Option<String>,

    /// Start with this month (YYYY-MM); rows before it are left out and counted,
    /// and --balance is the balance at its start
    #[arg(long, value_name = "YYYY-MM")]
    pub from: Option<String>,

    /// End with this month (YYYY-MM), even if the files end earlier; rows after it
    /// are left out and counted
    #[arg(long, value_name = "YYYY-MM")]
    pub until: Option<String>,

    /// The account to follow, when the files hold rows of several (an `account`
    /// or `账号` column); rows of packs and top-ups files without one apply to it
    #[arg(long, value_name = "NAME")]
    pub account: Option<String>,

    #[command(flatten)]
    pub columns: ColumnArgs,

    /// Unit price for volumes in the contact-sales tier (请联系商务)
    #[arg(long, value_name = "PRICE", allow_hyphen_values = true)]
    pub negotiated_price: Option<String>,
}

impl Command {
    /// The shared flags given after the subcommand's name.
    pub fn take_shared(&mut self) -> Shared {
        let shared = match self {
            Command::Postpaid(l) => &mut l.1,
            Command::Prepaid(l) => &mut l.1,
            Command::Quote(l) => &mut l.1,
            Command::Batch(l) => &mut l.1,
            Command::Ledger(l) => &mut l.1,
            Command::Plan(l) => &mut l.1,
            Command::Curve(l) => &mut l.1,
            Command::Completions(l) => &mut l.1,
            Command::Man(l) => &mut l.1,
            Command::Prices(l) => &mut l.1,
        };
        std::mem::take(shared)
    }

    /// Usage files given as the positional `FILE`s are `--usage` files.
    pub fn fold_usage_file(&mut self) {
        let (usage, file) = match self {
            Command::Ledger(Lazy(a, _)) => (&mut a.usage, &mut a.file),
            Command::Plan(Lazy(a, _)) => (&mut a.usage, &mut a.file),
            _ => return,
        };
        usage.append(file);
    }
}

/// Arguments of `plan`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("forecast").required(true).multiple(true).args(["api", "usage", "file"])))]
pub struct PlanArgs {
    /// API key, Chinese name or alias, each followed by its --monthly; repeat
    /// `--api A --monthly N N ...` for more: APIs of one billing item are
    /// planned as the item, several items each on its own, with their sum
    #[arg(long, value_name = "API", requires = "monthly")]
    pub api: Vec<String>,

    /// Calls in each month of the --api before it, separated by spaces (up to
    /// the packs' validity, 12): `--monthly 9000 12,000 8k`. A comma is a
    /// thousands separator, never a list separator.
    #[arg(long, value_name = "N N ...", num_args = 1..)]
    pub monthly: Vec<String>,

    /// How many of `monthly` each `--monthly` gave, in order (set from the
    /// parsed matches: derive flattens them).
    #[arg(skip)]
    pub monthly_runs: Vec<usize>,

    /// Usage CSV (month, api, calls) as for `ledger`: every API in it is
    /// planned. Repeat it for several files: their rows are read as one file's
    #[arg(long, value_name = "FILE", conflicts_with_all = ["api", "monthly"])]
    pub usage: Vec<PathBuf>,

    /// The usage files, as --usage: `ocr-bill plan 2026-*.csv`
    #[arg(value_name = "FILE", conflicts_with_all = ["api", "monthly"])]
    pub file: Vec<PathBuf>,

    /// The account to plan for, when the usage file holds rows of several
    #[arg(long, value_name = "NAME")]
    pub account: Option<String>,

    /// Plan from this month of the usage file (YYYY-MM); rows before it are
    /// left out and counted
    #[arg(long, value_name = "YYYY-MM")]
    pub from: Option<String>,

    /// Plan until this month (YYYY-MM), even if the file ends earlier; rows
    /// after it are left out and counted
    #[arg(long, value_name = "YYYY-MM")]
    pub until: Option<String>,

    #[command(flatten)]
    pub columns: ColumnArgs,

    /// Unit price for months in the contact-sales tier (请联系商务)
    #[arg(long, value_name = "PRICE", allow_hyphen_values = true)]
    pub negotiated_price: Option<String>,

    /// Prices actually paid for pack sizes, SIZE@PRICE separated by commas
    /// (e.g. 1000@84): the plan searches packs at these prices
    #[arg(long, value_name = "SIZE@PRICE,...")]
    pub pack_price: Option<String>,
}

/// Arguments of `curve`.
#[derive(Debug, Args)]
pub struct CurveArgs {
    /// API key, Chinese name or alias
    #[arg(long, value_name = "API")]
    pub api: String,

    /// Largest monthly call count [default: 10% past the last tier bound]
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub max: Option<String>,

    /// Points along the calls axis, besides every tier edge
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub points: usize,

    /// Also draw the chart as SVG into this file
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,

    /// Unit price for the contact-sales tier (请联系商务)
    #[arg(long, value_name = "PRICE", allow_hyphen_values = true)]
    pub negotiated_price: Option<String>,
}

/// Arguments of `prices`.
#[derive(Debug, Args)]
pub struct PricesArgs {
    /// Show only the billing item of this API
    #[arg(long, value_name = "API", conflicts_with = "editions")]
    pub api: Option<String>,

    /// List the built-in editions of the price page, with their sources
    #[arg(long)]
    pub editions: bool,
}
