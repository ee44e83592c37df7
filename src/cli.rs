//! The command line: clap parsing, loading the price list, dispatching to the
//! pure calculator, and exit codes. Everything clap lives here.

use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use clap::{Args, CommandFactory, Parser, Subcommand};
use ocr_bill::{
    parse_count, parse_decimal, parse_pack_spec, read_packs, read_topups, read_usage, run_batch,
    BatchError, BatchFormat, BatchOptions, Calculator, DecodedReader, InputEncoding, Item,
    LedgerInput, Month, PriceList, RowError,
};
use rust_decimal::Decimal;

use crate::output::Destination;
use crate::render::{diagnostic, emit, render, CsvStyle, Format};
use crate::reports;

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
#[command(name = "ocr-bill", version, after_help = EXAMPLES, max_term_width = 100)]
pub struct Cli {
    /// Built-in edition of the price page to bill with: a, b, seed, c, d, e, intl
    /// (`ocr-bill prices --editions` lists them) [default: seed]
    #[arg(long, global = true, env = "OCR_BILL_EDITION", value_name = "NAME")]
    pub edition: Option<String>,

    /// Price list file to bill with; it starts from --edition (or the edition it
    /// names) and overrides what it states
    #[arg(long, global = true, env = "OCR_BILL_PRICING", value_name = "FILE")]
    pub pricing: Option<PathBuf>,

    /// Encoding of input files: auto (UTF-8, or GB18030/GBK as saved by Excel or WPS
    /// on Chinese Windows, told from the start of the file), utf-8, gbk, gb18030
    #[arg(long, global = true, value_enum, default_value_t = EncodingArg::Auto)]
    pub encoding: EncodingArg,

    /// Write the output to FILE (atomically: a failed run leaves no file) instead
    /// of stdout; an input of the run is never overwritten
    #[arg(long, short = 'o', global = true, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// CSV for Excel and WPS: UTF-8 byte-order mark, CRLF, and cells that would
    /// start a formula (=, +, -, @) prefixed with ' (plain CSV is for pipelines)
    #[arg(long, global = true)]
    pub excel: bool,

    /// Fit tables to N columns, wrapping text cells (numbers never wrap); 0 for
    /// no limit. Default: the terminal's width on a terminal (COLUMNS, else the
    /// terminal's size, else 100), no limit when writing to a pipe or file
    #[arg(long, global = true, value_name = "N")]
    pub width: Option<u16>,

    /// Output format [default: table; csv for batch and curve]
    #[arg(long, short = 'f', global = true, value_enum)]
    pub format: Option<Format>,

    #[command(subcommand)]
    pub command: Command,
}

/// `--encoding`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EncodingArg {
    /// UTF-8, or GB18030 when the start of the file is not UTF-8 but is GB18030
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

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// This month's postpaid bill: reached tier, voucher, amount and the freeze it triggers
    #[command(after_help = "Examples:
  ocr-bill postpaid --api idcard --calls 9000
  ocr-bill postpaid --api license --calls 9k --api general --calls 10万
  ocr-bill postpaid --api bankcard --calls 1.2M --negotiated-price 0.05 --format json")]
    Postpaid(PostpaidArgs),
    /// One month with prepaid packs bought: free quota, then packs, then overage
    #[command(after_help = "Examples:
  ocr-bill prepaid --api bankcard --calls 2500 --packs 1000
  ocr-bill prepaid --api idcard --calls 50000 --packs 10k
  ocr-bill prepaid --api general --calls 30万 --packs 1k,10kx2,10万x2 --format json")]
    Prepaid(PrepaidArgs),
    /// Which prepaid packs to buy for the calls expected in a year, compared side by side
    #[command(after_help = "Examples:
  ocr-bill quote --api idcard --calls 7000
  ocr-bill quote --api idcard --calls 3000 --months 12
  ocr-bill quote --api general --calls 2.5M --format json")]
    Quote(QuoteArgs),
    /// Bill usage CSV (a file or stdin) row by row, or grouped by account and month
    #[command(after_help = "Examples:
  ocr-bill batch usage.csv > bills.csv
  export-usage | ocr-bill batch --group-by account,month > bills.csv
  ocr-bill batch usage.csv --skip-invalid --format json 2> skipped.txt

Input: a header row with `api` and `calls` columns (names set by --api-column and
--calls-column); other columns pass through. Output: the input columns plus free_calls,
billable_calls, tier, unit_price, amount, cliff_calls, cliff_amount.

Exit codes: 0 all rows billed; 1 a bad row stopped the run (rows before it were written)
or the input is unusable; 3 --skip-invalid left rows out (each reported on stderr).")]
    Batch(BatchArgs),
    /// Month by month: packs expiring, alerts, the freeze released and taken, arrears
    #[command(after_help = "Examples:
  ocr-bill ledger --usage usage.csv
  ocr-bill ledger --usage usage.csv --packs packs.csv --balance 5000 --topups topups.csv
  ocr-bill ledger --usage usage.csv --packs packs.csv --until 2027-12 --format json

Files (CSV with a header row, rows in month order):
  USAGE   month,api,calls          rows of one month and API are summed
  PACKS   month,api,calls[,count]  packs bought; calls is the pack size
  TOPUPS  month,amount             credited before that month's settlement")]
    Ledger(LedgerArgs),
    /// The cheapest packs to buy at the start of a period, given each month's calls
    #[command(after_help = "Examples:
  ocr-bill plan --api idcard --monthly 9000 12000 8000 15000
  ocr-bill plan --api general --monthly 50k 50k 50k 50k 50k 50k --format json
  ocr-bill plan --usage usage.csv

Each month the free quota is used first, then the packs, then postpaid overage at the
tier that month's total calls reach. Compared: all postpaid, the cheapest purchase, and
packs covering every call (the source's arithmetic).")]
    Plan(PlanArgs),
    /// The month's bill and the price per call against monthly calls (CSV, SVG chart)
    #[command(after_help = "Examples:
  ocr-bill curve --api idcard
  ocr-bill curve --api idcard --max 200k --svg idcard.svg
  ocr-bill curve --api vat-invoice --max 2M --negotiated-price 0.15 --points 400")]
    Curve(CurveArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    #[command(after_help = "Examples:
  ocr-bill completions bash > ~/.local/share/bash-completion/completions/ocr-bill
  ocr-bill completions zsh > ~/.zfunc/_ocr-bill
  ocr-bill completions fish > ~/.config/fish/completions/ocr-bill.fish")]
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), or write one page per subcommand into a folder
    #[command(after_help = "Examples:
  ocr-bill man > ocr-bill.1 && man ./ocr-bill.1
  ocr-bill man --dir ~/.local/share/man/man1     # ocr-bill.1, ocr-bill-postpaid.1, ...")]
    Man {
        /// Write ocr-bill.1 and ocr-bill-SUBCOMMAND.1 for every subcommand into DIR
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Show the loaded price list and its settings
    #[command(after_help = "Examples:
  ocr-bill prices
  ocr-bill prices --api vat-invoice --format json
  ocr-bill --pricing my-prices.toml prices")]
    Prices(PricesArgs),
}

/// Arguments of `postpaid`.
#[derive(Debug, Args)]
pub struct PostpaidArgs {
    /// API key, Chinese name or alias; repeat `--api A --calls N` for several APIs
    #[arg(long, required = true, value_name = "API")]
    pub api: Vec<String>,

    /// The month's calls of the matching --api: 9000, 9_000, 9k, 1.5M, 10万
    #[arg(long, required = true, value_name = "N", allow_hyphen_values = true)]
    pub calls: Vec<String>,

    /// Unit price for the contact-sales tier (请联系商务), e.g. 0.04
    #[arg(long, value_name = "PRICE", allow_hyphen_values = true)]
    pub negotiated_price: Option<String>,
}

/// Arguments of `prepaid`.
#[derive(Debug, Args)]
pub struct PrepaidArgs {
    /// API key, Chinese name or alias; repeat `--api A --calls N [--packs SPEC]` for
    /// several billing items of the account
    #[arg(long, required = true, value_name = "API")]
    pub api: Vec<String>,

    /// The month's calls of the matching --api: 9000, 9k, 1.5M, 10万
    #[arg(long, required = true, value_name = "N", allow_hyphen_values = true)]
    pub calls: Vec<String>,

    /// Packs bought for the matching --api (the n-th --packs for the n-th --api),
    /// SIZE[xCOUNT][@PRICE] separated by commas: 1000, 1k,10kx2, 100kx3@3500
    #[arg(long, value_name = "SPEC", allow_hyphen_values = true)]
    pub packs: Vec<String>,

    /// Unit price for overage in the contact-sales tier (请联系商务)
    #[arg(long, value_name = "PRICE", allow_hyphen_values = true)]
    pub negotiated_price: Option<String>,
}

/// Arguments of `quote`.
#[derive(Debug, Args)]
pub struct QuoteArgs {
    /// API key, Chinese name or alias
    #[arg(long, value_name = "API")]
    pub api: String,

    /// Calls expected within the packs' validity (a year): 7000, 7k, 1.5M, 10万
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub calls: String,

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
    /// Usage CSV with a header row; stdin when absent or `-`
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// Sum rows with equal values in these columns (and the same API) before
    /// billing, e.g. account,month: daily rows become monthly bills. Leaving the
    /// month column out (account) bills each month apart and writes their sum
    #[arg(long, value_name = "COL,...", value_delimiter = ',')]
    pub group_by: Vec<String>,

    /// Report bad rows on stderr and go on; exit 3 if any row was left out
    #[arg(long)]
    pub skip_invalid: bool,

    /// Accept quoted fields that span lines (legal CSV; refused by default, since in
    /// a usage file it is almost always a stray quote that swallowed the rows after it)
    #[arg(long)]
    pub multiline_fields: bool,

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
}

impl ColumnArgs {
    fn names(&self) -> ocr_bill::UsageColumns {
        ocr_bill::UsageColumns {
            api: self.api_column.clone(),
            calls: self.calls_column.clone(),
            account: self.account_column.clone(),
            month: self.month_column.clone(),
        }
    }
}

/// Arguments of `ledger`.
#[derive(Debug, Args)]
pub struct LedgerArgs {
    /// Usage CSV (`-` for stdin): month (or a date), api, calls, and optionally
    /// account; English or Chinese headers (月份/日期, 接口, 调用量, 账号)
    #[arg(long, value_name = "FILE")]
    pub usage: PathBuf,

    /// Pack purchases CSV: month, api, calls (the pack size), optional count
    #[arg(long, value_name = "FILE")]
    pub packs: Option<PathBuf>,

    /// Top-ups CSV: month, amount
    #[arg(long, value_name = "FILE")]
    pub topups: Option<PathBuf>,

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

/// Arguments of `plan`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("forecast").required(true).args(["api", "usage"])))]
pub struct PlanArgs {
    /// API key, Chinese name or alias (with --monthly)
    #[arg(long, value_name = "API", requires = "monthly")]
    pub api: Option<String>,

    /// Calls in each month, separated by spaces (up to the packs' validity, 12):
    /// `--monthly 9000 12,000 8k`. A comma is a thousands separator, never a
    /// list separator.
    #[arg(long, value_name = "N N ...", num_args = 1..)]
    pub monthly: Vec<String>,

    /// Usage CSV (month, api, calls) as for `ledger`: every API in it is planned
    #[arg(long, value_name = "FILE", conflicts_with_all = ["api", "monthly"])]
    pub usage: Option<PathBuf>,

    /// The account to plan for, when the usage file holds rows of several
    #[arg(long, value_name = "NAME", requires = "usage")]
    pub account: Option<String>,

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

/// A command-line usage error found after parsing (exit 2).
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Exit codes (documented in the README).
pub mod exit {
    /// Success.
    pub const OK: i32 = 0;
    /// Bad input or a refused calculation.
    pub const INPUT: i32 = 1;
    /// Command-line usage error.
    pub const USAGE: i32 = 2;
    /// `batch --skip-invalid` left rows out.
    pub const SKIPPED: i32 = 3;
}

/// Parses the arguments, runs the command and returns the exit code.
pub fn run<I: IntoIterator<Item = OsString>>(args: I) -> i32 {
    // An empty variable means "not set", as for most variables.
    for var in ["OCR_BILL_PRICING", "OCR_BILL_EDITION"] {
        if std::env::var_os(var).is_some_and(|v| v.is_empty()) {
            std::env::remove_var(var);
        }
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            let _ = e.print();
            return exit::USAGE;
        }
        Err(e) => {
            // --help and --version: their output is the result, so a failed
            // write is an error.
            let text = e.render().to_string();
            return match emit(text.as_bytes()) {
                Ok(()) => exit::OK,
                Err(err) => {
                    let _ = diagnostic(&format!("error: cannot write to stdout: {err}"));
                    exit::INPUT
                }
            };
        }
    };
    match execute(&cli) {
        Ok(code) => code,
        Err(err) => {
            if err.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return exit::OK;
            }
            let _ = diagnostic(&format!("error: {}", one_line(&format!("{err:#}"))));
            if err.downcast_ref::<UsageError>().is_some() {
                exit::USAGE
            } else {
                exit::INPUT
            }
        }
    }
}

fn execute(cli: &Cli) -> anyhow::Result<i32> {
    match &cli.command {
        Command::Completions { .. } | Command::Man { .. } => {
            // Flags about prices, inputs and formats mean nothing here.
            let ignored = [
                (cli.format.is_some(), "--format"),
                (cli.excel, "--excel"),
                (cli.pricing.is_some(), "--pricing"),
                (cli.edition.is_some(), "--edition"),
                (cli.encoding != EncodingArg::Auto, "--encoding"),
            ];
            if let Some((_, flag)) = ignored.iter().find(|(given, _)| *given) {
                return Err(UsageError(format!(
                    "{flag} means nothing to `{}`",
                    match cli.command {
                        Command::Man { .. } => "man",
                        _ => "completions",
                    }
                ))
                .into());
            }
        }
        _ => {}
    }
    match &cli.command {
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(*shell, &mut completion_command(), "ocr-bill", &mut out);
            Destination::new(cli.output.as_deref(), &[])?.write_all(&out)?;
            return Ok(exit::OK);
        }
        Command::Man { dir } => {
            match dir {
                None => {
                    let out = man_page(Cli::command())?;
                    Destination::new(cli.output.as_deref(), &[])?.write_all(&out)?;
                }
                Some(dir) => {
                    let mut cmd = Cli::command();
                    cmd.build();
                    let mut pages = vec![("ocr-bill.1".to_string(), man_page(cmd.clone())?)];
                    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
                        let name = format!("ocr-bill-{}", sub.get_name());
                        pages.push((
                            format!("{name}.1"),
                            man_page(
                                sub.clone()
                                    .name(name)
                                    .bin_name(format!("ocr-bill {}", sub.get_name())),
                            )?,
                        ));
                    }
                    for (file, page) in pages {
                        let path = dir.join(file);
                        Destination::new(Some(&path), &[])?.write_all(&page)?;
                    }
                }
            }
            return Ok(exit::OK);
        }
        _ => {}
    }
    let prices = load_prices(cli.pricing.as_deref(), cli.edition.as_deref())?;
    let format = cli.format.unwrap_or(Format::Table);
    let style = if cli.excel {
        CsvStyle::Excel
    } else {
        CsvStyle::Plain
    };
    let dest = Destination::new(cli.output.as_deref(), &inputs(cli))?;
    crate::render::fit_tables_to(match cli.width {
        Some(0) => None,
        Some(n) => Some(n),
        None if dest.is_terminal() => Some(terminal_width()),
        None => None,
    });
    if cli.format == Some(Format::Toml) && !matches!(cli.command, Command::Prices(_)) {
        return Err(UsageError("--format toml is for `prices` only".into()).into());
    }
    if cli.format == Some(Format::Xlsx) && dest.is_terminal() {
        return Err(UsageError(
            "an Excel workbook is binary: write it to a file with -o FILE.xlsx".into(),
        )
        .into());
    }
    let bytes = match &cli.command {
        Command::Batch(args) => {
            return batch(&prices, args, cli.format, style, cli.encoding.into(), &dest)
        }
        Command::Postpaid(args) => {
            if args.api.len() != args.calls.len() {
                return Err(UsageError(format!(
                    "--api and --calls come in pairs: got {} --api and {} --calls",
                    args.api.len(),
                    args.calls.len()
                ))
                .into());
            }
            let calc = calculator(&prices, args.negotiated_price.as_deref())?;
            let usage = args
                .api
                .iter()
                .zip(&args.calls)
                .map(|(api, calls)| Ok((prices.find(api)?, parse_count(calls)?)))
                .collect::<Result<Vec<_>, ocr_bill::Error>>()?;
            let bill = calc.postpaid_month(&usage)?;
            render(&reports::Postpaid(&bill), format, style)?
        }
        Command::Prepaid(args) => {
            if args.api.len() != args.calls.len() || args.packs.len() > args.api.len() {
                return Err(UsageError(format!(
                    "--api and --calls come in pairs, each with at most one --packs: got {} \
                     --api, {} --calls and {} --packs",
                    args.api.len(),
                    args.calls.len(),
                    args.packs.len()
                ))
                .into());
            }
            let calc = calculator(&prices, args.negotiated_price.as_deref())?;
            let mut usage: Vec<(usize, u64, Vec<ocr_bill::PackSpec>)> = Vec::new();
            for (i, (api, calls)) in args.api.iter().zip(&args.calls).enumerate() {
                let found = prices.find(api)?;
                if usage.iter().any(|(at, _, _)| *at == found.item_index) {
                    return Err(UsageError(format!(
                        "--api {api}: its billing item {} is named twice; give its month's \
                         calls once",
                        found.item.key
                    ))
                    .into());
                }
                let packs = match args.packs.get(i) {
                    Some(spec) => parse_pack_spec(spec)?,
                    None => Vec::new(),
                };
                usage.push((found.item_index, parse_count(calls)?, packs));
            }
            let months = calc.prepaid_month(&usage)?;
            if let [month] = months.as_slice() {
                render(&reports::Prepaid(month), format, style)?
            } else {
                render(&reports::PrepaidAccount::new(&months)?, format, style)?
            }
        }
        Command::Quote(args) => {
            let calc = calculator(&prices, args.negotiated_price.as_deref())?;
            let api = &paid_prices(prices.item(&args.api)?, args.pack_price.as_deref())?;
            let calls = parse_count(&args.calls)?;
            let quote = calc.quote(api, calls, args.months)?;
            render(
                &reports::QuoteReport {
                    all_options: args.all_options,
                    quote: &quote,
                    validity: prices.settings.pack_validity_months,
                    free: prices.settings.free_calls_per_month,
                },
                format,
                style,
            )?
        }
        Command::Ledger(args) => {
            let calc = calculator(&prices, args.negotiated_price.as_deref())?;
            let month = |flag: &str, value: &Option<String>| {
                value
                    .as_deref()
                    .map(Month::parse)
                    .transpose()
                    .map_err(|e| anyhow!("{flag}: {e}"))
            };
            let mut input = LedgerInput {
                usage: read_file(&args.usage, "usage", cli.encoding.into(), |r| {
                    read_usage(r, &prices, &args.columns.names())
                })?,
                packs: match &args.packs {
                    Some(p) => {
                        read_file(p, "packs", cli.encoding.into(), |r| read_packs(r, &prices))?
                    }
                    None => Vec::new(),
                },
                topups: match &args.topups {
                    Some(p) => read_file(p, "top-ups", cli.encoding.into(), read_topups)?,
                    None => Vec::new(),
                },
                opening_balance: match &args.balance {
                    Some(b) => opening_balance(b)?,
                    None => ocr_bill::Money::ZERO,
                },
                track_balance: args.balance.is_some() || args.topups.is_some(),
                from: month("--from", &args.from)?,
                until: month("--until", &args.until)?,
            };
            if let Some(name) = &args.account {
                let name = name.trim();
                check_account(name, input.usage.iter().map(|u| u.account.as_str()))?;
                input.usage.retain(|u| u.account == name);
                input
                    .packs
                    .retain(|p| p.account.is_empty() || p.account == name);
                input
                    .topups
                    .retain(|t| t.account.is_empty() || t.account == name);
            }
            let ledger = calc.ledger(&input).map_err(choose_account)?;
            render(&reports::LedgerReport(&ledger), format, style)?
        }
        Command::Plan(args) => {
            let calc = calculator(&prices, args.negotiated_price.as_deref())?;
            let forecasts: Vec<(Item, Vec<u64>)> = match (&args.api, &args.usage) {
                (Some(api), _) => {
                    let monthly = args
                        .monthly
                        .iter()
                        .flat_map(|n| n.split_whitespace())
                        .map(parse_count)
                        .collect::<Result<Vec<_>, _>>()?;
                    vec![(
                        paid_prices(prices.item(api)?, args.pack_price.as_deref())?,
                        monthly,
                    )]
                }
                (None, Some(path)) => {
                    let mut usage = read_file(path, "usage", cli.encoding.into(), |r| {
                        read_usage(r, &prices, &args.columns.names())
                    })?;
                    if let Some(name) = &args.account {
                        let name = name.trim();
                        check_account(name, usage.iter().map(|u| u.account.as_str()))?;
                        usage.retain(|u| u.account == name);
                    }
                    ocr_bill::one_account(usage.iter().map(|u| u.account.as_str()))
                        .map_err(choose_account)?;
                    ocr_bill::monthly_by_api(&usage)?
                        .into_iter()
                        .map(|(item, monthly)| {
                            Ok((paid_prices(item, args.pack_price.as_deref())?, monthly))
                        })
                        .collect::<anyhow::Result<Vec<_>>>()?
                }
                (None, None) => unreachable!("clap requires --api or --usage"),
            };
            let plans = forecasts
                .iter()
                .map(|(api, monthly)| calc.plan(api, monthly))
                .collect::<Result<Vec<_>, _>>()?;
            if args.usage.is_none() {
                render(&reports::PlanReport(&plans[0]), format, style)?
            } else {
                let mut out = render(&reports::Plans::new(&plans)?, format, style)?;
                if format == Format::Table
                    && plans.len() > 1
                    && prices.settings.free_quota == ocr_bill::FreeQuota::PerAccount
                {
                    out.extend_from_slice(
                        b"Note: this edition's free calls are the account's, shared by its items; \
                          each item is planned as if it had them alone, so the plans together \
                          count them more than once.\n",
                    );
                }
                out
            }
        }
        Command::Curve(args) => {
            let calc = calculator(&prices, args.negotiated_price.as_deref())?;
            let api = prices.item(&args.api)?;
            let max = args.max.as_deref().map(parse_count).transpose()?;
            let curve = calc.curve(api, max, args.points)?;
            if let Some(path) = &args.svg {
                let svg = crate::chart::svg(&curve)?;
                fs::write(path, svg)
                    .with_context(|| format!("cannot write the chart to {}", path.display()))?;
            }
            render(
                &reports::CurveReport(&curve),
                cli.format.unwrap_or(Format::Csv),
                style,
            )?
        }
        Command::Completions { .. } | Command::Man { .. } => unreachable!("handled above"),
        Command::Prices(args) if args.editions => {
            let editions = ocr_bill::EDITIONS
                .iter()
                .map(|(name, _)| PriceList::edition(name).map(|l| l.about))
                .collect::<Result<Vec<_>, _>>()?;
            render(&reports::Editions(editions), format, style)?
        }
        Command::Prices(args) if format == Format::Toml && args.api.is_none() => {
            prices.to_toml().into_bytes()
        }
        Command::Prices(args) => {
            let apis = match &args.api {
                Some(name) => vec![prices.item(name)?],
                None => prices.items.iter().collect(),
            };
            render(&reports::Prices::new(&prices, apis), format, style)?
        }
    };
    let mut bytes = bytes;
    // Every table names the price list it used (postpaid's bill line does).
    if format == Format::Table
        && matches!(
            cli.command,
            Command::Prepaid(_) | Command::Quote(_) | Command::Plan(_) | Command::Ledger(_)
        )
    {
        bytes.extend_from_slice(
            format!(
                "Price list: edition {}, in {}\n",
                prices.about.edition, prices.settings.currency
            )
            .as_bytes(),
        );
    }
    dest.write_all(&bytes)?;
    Ok(exit::OK)
}

/// A manual page, with the exit status section clap does not write.
fn man_page(cmd: clap::Command) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut out)?;
    out.extend_from_slice(
        b".SH \"EXIT STATUS\"\n.TP\n0\nSuccess (also when the reader of the output goes away \
          early, unless rows were skipped).\n.TP\n1\nBad input or a refused calculation: an \
          unknown or ambiguous API, a bad count, price or file, a contact-sales volume without a \
          negotiated price, rows of several accounts, an overflow, or an output that cannot be \
          written.\n.TP\n2\nCommand-line usage error.\n.TP\n3\nbatch --skip-invalid left rows \
          out; each is reported on stderr.\n",
    );
    Ok(out)
}

/// The command line with every API name of every edition as the values of
/// `--api`, for shell completion (parsing accepts any name).
fn completion_command() -> clap::Command {
    let mut names: Vec<String> = Vec::new();
    for (edition, _) in ocr_bill::EDITIONS {
        if let Ok(list) = PriceList::edition(edition) {
            for api in &list.apis {
                names.extend([api.key.clone(), api.name.clone()]);
            }
            names.extend(list.items.iter().map(|i| i.key.clone()));
        }
    }
    names.sort();
    names.dedup();
    let mut cmd = Cli::command();
    for sub in ["postpaid", "prepaid", "quote", "plan", "curve", "prices"] {
        let values = names.clone();
        cmd = cmd.mut_subcommand(sub, |c| {
            c.mut_arg("api", |a| {
                a.value_parser(clap::builder::PossibleValuesParser::new(values))
            })
        });
    }
    cmd
}

/// The files a run reads, which `-o` must not overwrite.
fn inputs(cli: &Cli) -> Vec<&Path> {
    let mut paths: Vec<&Path> = cli.pricing.iter().map(PathBuf::as_path).collect();
    match &cli.command {
        Command::Batch(a) => paths.extend(a.file.as_deref()),
        Command::Ledger(a) => {
            paths.push(&a.usage);
            paths.extend(a.packs.as_deref());
            paths.extend(a.topups.as_deref());
        }
        Command::Plan(a) => paths.extend(a.usage.as_deref()),
        Command::Curve(a) => paths.extend(a.svg.as_deref()),
        _ => {}
    }
    paths
}

fn batch(
    prices: &PriceList,
    args: &BatchArgs,
    format: Option<Format>,
    style: CsvStyle,
    encoding: InputEncoding,
    dest: &Destination,
) -> anyhow::Result<i32> {
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
        skip_invalid: args.skip_invalid,
        multiline_fields: args.multiline_fields,
        format,
    };
    let calc = calculator(prices, args.negotiated_price.as_deref())?;
    crate::render::stdout_is_open()?;
    // Every skipped row is reported; a report that cannot be written fails the run.
    let mut skips = SkipReports::default();
    let mut report = |e: &RowError| skips.add(e);
    let (input, source) = open_input(args.file.as_deref(), "usage", encoding)?;
    let mut sink = dest.open()?;
    let mut bills = Vec::new();
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
                    "ocr-bill: skipped {reported} rows of {source} before the output was closed"
                ))?;
                return Ok(exit::SKIPPED);
            }
            return Ok(exit::OK);
        }
        Err(BatchError::Io(e)) => {
            return Err(anyhow::Error::new(e).context(format!("batch {source}")))
        }
        Err(e) => return Err(anyhow!("{source}: {e}")),
    };
    if summary.shared > 0 {
        let days = match summary.daily {
            0 => String::new(),
            n => format!(" ({n} rows are dated by day, not by month)"),
        };
        let shared = if prices.settings.free_quota == ocr_bill::FreeQuota::PerAccount {
            "account and month (whose free calls the account's items share)"
        } else {
            "account, month and billing item"
        };
        diagnostic(&format!(
            "warning: {} rows share their {shared} with another row{days}, and each was \
             billed as if it were the whole month; to bill each month's total, group them: \
             --group-by account,month (the columns that name them)",
            summary.shared
        ))?;
    }
    if let Some(drawn) = drawn {
        let grid = crate::render::grid_of_csv(&bills)?.secondary(&[
            "cliff_amount",
            "cliff_calls",
            "free_calls",
            "tier",
        ]);
        let bytes = match drawn {
            Format::Xlsx => crate::render::xlsx_bytes(&[("batch".to_string(), grid)])?,
            _ => crate::render::table(&grid).into_bytes(),
        };
        std::io::Write::write_all(&mut sink, &bytes)?;
    }
    sink.commit()?;
    let total = rust_decimal::Decimal::try_from_i128_with_scale(summary.fen, 2)
        .map(|d| ocr_bill::Money::round(d).to_string())
        .unwrap_or_else(|_| "(too large)".into());
    let billed = format!(
        "{} rows written, total {total} {} (price list: edition {})",
        summary.written, prices.settings.currency, prices.about.edition
    );
    if summary.skipped > 0 {
        diagnostic(&format!(
            "ocr-bill: skipped {} of {} rows of {source}; {billed}",
            summary.skipped, summary.rows
        ))?;
        return Ok(exit::SKIPPED);
    }
    diagnostic(&format!("ocr-bill: {source}: {billed}"))?;
    Ok(exit::OK)
}

/// Reports of skipped rows on stderr, one line each, except that a run of
/// consecutive lines skipped for the same reason is one line (`skipped lines
/// 2–500001 (500000 rows): …`), so that a file of bad rows gives a short report.
#[derive(Default)]
struct SkipReports {
    /// First line, last line and reason of the run not yet written.
    run: Option<(u64, u64, String)>,
    reported: u64,
    failed: Option<std::io::Error>,
}

impl SkipReports {
    fn add(&mut self, e: &RowError) {
        self.reported += 1;
        let reason = one_line(&e.to_string());
        if let Some((_, last, text)) = &mut self.run {
            if *text == reason && e.line == *last + 1 {
                *last = e.line;
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
        let line = if first == last {
            format!("skipped line {first}: {reason}")
        } else {
            format!(
                "skipped lines {first}–{last} ({} rows): {reason}",
                last - first + 1
            )
        };
        self.failed = diagnostic(&line).err();
    }

    fn finish(mut self) -> std::io::Result<()> {
        self.flush();
        self.failed.map_or(Ok(()), Err)
    }
}

/// The item with its packs at the prices paid given by `--pack-price`.
fn paid_prices(item: &Item, spec: Option<&str>) -> anyhow::Result<Item> {
    let Some(spec) = spec else {
        return Ok(item.clone());
    };
    let paid = parse_pack_spec(spec)
        .context("--pack-price")?
        .into_iter()
        .map(|p| match p.price {
            Some(price) if p.count == 1 => Ok((p.size, price)),
            _ => Err(UsageError(format!(
                "--pack-price '{spec}': expected SIZE@PRICE items, e.g. 100k@3500"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(item.with_prices_paid(&paid)?)
}

/// Refuses an `--account` that no usage row names, listing those that do.
fn check_account<'s>(name: &str, accounts: impl Iterator<Item = &'s str>) -> anyhow::Result<()> {
    let all = ocr_bill::accounts(accounts);
    if all.contains(&name) {
        return Ok(());
    }
    Err(UsageError(if all.is_empty() {
        format!("--account '{name}': the usage file has no account column")
    } else {
        let shown: Vec<&str> = all.iter().take(10).copied().collect();
        format!(
            "--account '{name}': no usage rows of that account; accounts in the file: {}{}",
            shown.join(", "),
            if all.len() > 10 { ", …" } else { "" }
        )
    })
    .into())
}

/// The calculator's refusal of several accounts, with the option that
/// chooses one.
fn choose_account(e: ocr_bill::Error) -> anyhow::Error {
    match e {
        ocr_bill::Error::SeveralAccounts { .. } => anyhow!("{e} with --account NAME"),
        other => other.into(),
    }
}

/// Opens an input (a file, or stdin for `-` or none) decoded to UTF-8; returns
/// it and its name for messages.
fn open_input(
    path: Option<&Path>,
    what: &str,
    encoding: InputEncoding,
) -> anyhow::Result<(Box<dyn Read>, String)> {
    Ok(match path {
        None => (
            Box::new(DecodedReader::new(std::io::stdin().lock(), encoding)),
            "stdin".to_string(),
        ),
        Some(p) if p == Path::new("-") => (
            Box::new(DecodedReader::new(std::io::stdin().lock(), encoding)),
            "stdin".to_string(),
        ),
        Some(p) => {
            let file = fs::File::open(p)
                .with_context(|| format!("cannot read {what} file {}", p.display()))?;
            (
                Box::new(DecodedReader::new(file, encoding)),
                p.display().to_string(),
            )
        }
    })
}

/// Reads one input file (`-` for stdin) with its parser; errors name the file
/// and line.
fn read_file<T>(
    path: &Path,
    what: &str,
    encoding: InputEncoding,
    parse: impl FnOnce(Box<dyn Read>) -> Result<T, ocr_bill::InputError>,
) -> anyhow::Result<T> {
    let (input, name) = open_input(Some(path), what, encoding)?;
    parse(input).map_err(|e| anyhow!("{what} file {name}: {e}"))
}

/// The opening balance: a decimal with at most two places, which may be
/// negative (arrears carried in).
fn opening_balance(text: &str) -> anyhow::Result<ocr_bill::Money> {
    let owed = text.trim().strip_prefix('-');
    let amount = ocr_bill::parse_money(owed.unwrap_or(text)).context("--balance")?;
    Ok(match owed {
        Some(_) => ocr_bill::Money::ZERO.checked_sub(amount)?,
        None => amount,
    })
}

/// Loads the price list: a file over an edition, or a built-in edition.
pub fn load_prices(path: Option<&Path>, edition: Option<&str>) -> anyhow::Result<PriceList> {
    let edition_name = edition.unwrap_or("seed");
    let Some(path) = path else {
        return PriceList::edition(edition_name).map_err(|e| anyhow!("--edition: {e}"));
    };
    ocr_bill::edition_text(edition_name).map_err(|e| anyhow!("--edition: {e}"))?;
    let cannot = || format!("cannot read pricing file {}", path.display());
    let mut bytes = Vec::new();
    fs::File::open(path)
        .and_then(|f| f.take(MAX_PRICING_BYTES + 1).read_to_end(&mut bytes))
        .with_context(cannot)?;
    if bytes.len() as u64 > MAX_PRICING_BYTES {
        return Err(anyhow!(
            "pricing file {} is larger than {MAX_PRICING_BYTES} bytes; a price list is a few KB",
            path.display()
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow!(
            "pricing file {} is not UTF-8 text (bad byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })?;
    PriceList::from_toml_over(&text, edition_name)
        .map_err(|e| anyhow!("pricing file {}: {e}", path.display()))
}

/// The largest pricing file read.
const MAX_PRICING_BYTES: u64 = 1 << 20;

/// A message on one line: control characters (a NUL or a line break read from a
/// file) are shown escaped.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn calculator<'a>(
    prices: &'a PriceList,
    negotiated: Option<&str>,
) -> anyhow::Result<Calculator<'a>> {
    let price = negotiated
        .map(|p| {
            let value = parse_decimal(p)?;
            if value.is_sign_negative() && !value.is_zero() {
                return Err(ocr_bill::Error::BadAmount {
                    input: p.to_string(),
                    reason: "a negotiated price cannot be negative".into(),
                });
            }
            Ok::<Decimal, ocr_bill::Error>(value)
        })
        .transpose()
        .context("--negotiated-price")?;
    Ok(Calculator::new(prices).with_negotiated_price(price))
}

/// The terminal's width: COLUMNS, else the terminal's size, else 100.
fn terminal_width() -> u16 {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<u16>().ok())
        .filter(|&n| n > 0)
    {
        return n;
    }
    #[cfg(unix)]
    {
        // SAFETY: TIOCGWINSZ fills a winsize struct that lives on this stack.
        let mut size: libc::winsize = unsafe { std::mem::zeroed() };
        if unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) } == 0
            && size.ws_col > 0
        {
            return size.ws_col;
        }
    }
    100
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_stay_on_one_line() {
        assert_eq!(one_line("a\nb\0c\td"), "a\\nb\\u{0}c\\td");
        assert_eq!(one_line("身份证 'x'"), "身份证 'x'");
    }

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
