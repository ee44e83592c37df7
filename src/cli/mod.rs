//! The command line: clap definitions (`args`), loading inputs and the price
//! list (`input`), one file per subcommand that runs it, and here the dispatch
//! and the exit codes. Everything clap lives under this folder.

mod args;
mod batch;
mod curve;
mod input;
mod joined;
mod ledger;
mod plan;
mod postpaid;
mod prepaid;
mod prices;
mod quote;
mod shell;

use std::ffi::OsString;
use std::fmt;
use std::path::Path;

use ocr_bill::{InputEncoding, NotText, Remedy};

pub use args::Cli;
use args::Command;

use crate::output::Destination;
use crate::render::{diagnostic, emit, CsvStyle, Format};

/// How a subcommand's result is written.
pub(crate) struct Out {
    /// `--format`, or the table.
    pub format: Format,
    /// `--format` as given.
    pub given: Option<Format>,
    /// Plain CSV, or for spreadsheets (`--excel`).
    pub style: CsvStyle,
    /// `--encoding` of input files.
    pub encoding: InputEncoding,
    /// `--sheet`: the sheet of a workbook given as input.
    pub sheet: Option<String>,
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
    // (A debug build's way to test what a panic, a bug, ends the run with.)
    #[cfg(debug_assertions)]
    if std::env::var_os("OCR_BILL_TEST_PANIC").is_some() {
        panic!("a panic asked for by OCR_BILL_TEST_PANIC");
    }
    // An empty variable means "not set", as for most variables.
    for var in ["OCR_BILL_PRICING", "OCR_BILL_EDITION"] {
        if std::env::var_os(var).is_some_and(|v| v.is_empty()) {
            std::env::remove_var(var);
        }
    }
    let cli = match parse(args) {
        Ok(mut cli) => {
            cli.command.fold_usage_file();
            let later = cli.command.take_shared();
            cli.shared.overlay(later);
            cli
        }
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
            let advice = remedy_in(&err).map_or_else(String::new, |r| format!("; {}", advice(r)));
            let _ = diagnostic(&format!("error: {}{advice}", one_line(&format!("{err:#}"))));
            if err.downcast_ref::<UsageError>().is_some() {
                exit::USAGE
            } else {
                exit::INPUT
            }
        }
    }
}

/// The command line, as `Cli::try_parse_from`, and what derive does not
/// keep: how many calls each `plan --monthly` gave.
fn parse<I: IntoIterator<Item = OsString>>(args: I) -> Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let mut matches = Cli::command().try_get_matches_from(args)?;
    let runs: Vec<usize> = match matches.subcommand_matches("plan") {
        Some(plan) => (plan
            .get_occurrences::<String>("monthly")
            .into_iter()
            .flatten())
        .map(Iterator::count)
        .collect(),
        None => Vec::new(),
    };
    let mut cli =
        Cli::from_arg_matches_mut(&mut matches).map_err(|e| e.format(&mut Cli::command()))?;
    if let Command::Plan(plan) = &mut cli.command {
        plan.monthly_runs = runs;
    }
    Ok(cli)
}

/// How to do what a remedy asks, on this command line.
pub(crate) fn advice(remedy: Remedy) -> String {
    match remedy {
        Remedy::NegotiatedPrice => "pass --negotiated-price PRICE".into(),
        Remedy::ChooseAccount => "choose one with --account NAME".into(),
        Remedy::MultilineFields => {
            "pass --multiline-fields if the file really has fields across lines".into()
        }
        Remedy::ReadAsGbk => "pass --encoding gbk".into(),
        Remedy::ReadAsUtf8 => "pass --encoding utf-8 if the file is UTF-8".into(),
        Remedy::NameTheEncoding => "pass --encoding if you know which it is".into(),
        Remedy::SaveAsCsv => {
            "save it as CSV in Excel or WPS (另存为 → CSV UTF-8, CSV or Unicode text) and bill that"
                .into()
        }
        Remedy::ChooseSheet => "choose one with --sheet NAME".into(),
    }
}

/// A count out of range, named by the flag that gave it (`--months 13:
/// expected 1 to 12, …`); any other error as it is.
pub(crate) fn flag_named(e: ocr_bill::Error, flag: &str) -> anyhow::Error {
    match e {
        ocr_bill::Error::OutOfRange {
            value, max, why, ..
        } => anyhow::anyhow!("{flag} {value}: expected 1 to {max}{why}"),
        other => other.into(),
    }
}

/// The remedy an error carries, wherever it is in the chain.
fn remedy_in(err: &anyhow::Error) -> Option<Remedy> {
    err.chain().find_map(|c| {
        if let Some(e) = c.downcast_ref::<ocr_bill::Error>() {
            e.remedy()
        } else if let Some(e) = c.downcast_ref::<ocr_bill::InputError>() {
            e.remedy
        } else if let Some(e) = c.downcast_ref::<std::io::Error>() {
            NotText::remedy_of(e)
        } else {
            None
        }
    })
}

/// A message on one line: control characters (a NUL or a line break read from a
/// file) are shown escaped.
pub fn one_line(text: &str) -> String {
    // No control character can be there without one of these bytes (C1
    // controls are U+0080–U+009F, 0xC2 then a byte): most messages, as they are.
    if !(text.bytes()).any(|b| b < 0x20 || b == 0x7f || b == 0xc2) {
        return text.to_owned();
    }
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

/// `work` done on each of `jobs`, the results in their order: the jobs split
/// into as many runs in a row as the machine has cores (up to 8), one thread
/// each (the accounts of a file, each planned on its own).
pub(crate) fn in_parallel<T: Send, R: Send>(
    jobs: Vec<T>,
    work: &(impl Fn(T) -> R + Sync),
) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if threads < 2 || jobs.len() < 2 {
        return jobs.into_iter().map(work).collect();
    }
    let per = jobs.len().div_ceil(threads);
    let mut runs: Vec<Vec<T>> = Vec::with_capacity(threads);
    let mut jobs = jobs.into_iter();
    loop {
        let run: Vec<T> = jobs.by_ref().take(per).collect();
        if run.is_empty() {
            break;
        }
        runs.push(run);
    }
    std::thread::scope(|scope| {
        let done: Vec<_> = (runs.into_iter())
            .map(|run| scope.spawn(move || run.into_iter().map(work).collect::<Vec<R>>()))
            .collect();
        (done.into_iter())
            .flat_map(|d| d.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
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

fn execute(cli: &Cli) -> anyhow::Result<i32> {
    if matches!(cli.command, Command::Completions(_) | Command::Man(_)) {
        return shell::run(cli);
    }
    let prices_command = matches!(cli.command, Command::Prices(_));
    let given = output_format(cli.shared.format, cli.shared.output.as_deref())?;
    // How the format was asked for, as a refusal names it: `--format json`, or
    // the -o file's name that says it.
    let asked = |f: Format| match (cli.shared.format, cli.shared.output.as_deref()) {
        (None, Some(file)) => format!("-o {} ({f})", file.display()),
        _ => format!("--format {f}"),
    };
    // --excel is CSV as Excel and WPS read it (a workbook is Excel's already).
    let given = match (given, cli.shared.excel) {
        (None, true) => Some(Format::Csv),
        (Some(f @ (Format::Table | Format::Json | Format::Toml)), true) => {
            return Err(UsageError(format!(
                "--excel writes CSV for Excel and WPS; it means nothing with {}",
                asked(f)
            ))
            .into());
        }
        (given, _) => given,
    };
    let prices = input::load_prices(cli.shared.pricing.as_deref(), cli.shared.edition.as_deref())?;
    let out = Out {
        format: given.unwrap_or(Format::Table),
        given,
        style: if cli.shared.excel {
            CsvStyle::Excel
        } else {
            CsvStyle::Plain
        },
        encoding: cli.shared.encoding.unwrap_or_default().into(),
        sheet: cli.shared.sheet.clone(),
    };
    let dest = Destination::new(cli.shared.output.as_deref(), &input::inputs(cli))?;
    crate::render::fit_tables_to(match cli.shared.width {
        Some(0) => None,
        Some(n) => Some(n),
        None if dest.is_terminal() => Some(terminal_width()),
        None => None,
    });
    if given == Some(Format::Toml) && !prices_command {
        return Err(UsageError(format!(
            "{} is for `prices` only: a pricing file, not a bill",
            asked(Format::Toml)
        ))
        .into());
    }
    if given == Some(Format::Xlsx) && dest.is_terminal() {
        return Err(UsageError(
            "an Excel workbook is binary: write it to a file with -o FILE.xlsx".into(),
        )
        .into());
    }
    let result: crate::output::Spill = match &cli.command {
        Command::Batch(args) => return batch::run(&prices, args, &out, &dest),
        Command::Postpaid(args) => postpaid::run(&prices, args, &out)?.into(),
        Command::Prepaid(args) => prepaid::run(&prices, args, &out)?.into(),
        Command::Quote(args) => quote::run(&prices, args, &out)?.into(),
        Command::Ledger(args) => ledger::run(&prices, args, &out)?,
        Command::Plan(args) => plan::run(&prices, args, &out)?,
        Command::Curve(args) => curve::run(&prices, args, &out)?.into(),
        Command::Prices(args) => prices::run(&prices, args, &out)?.into(),
        Command::Completions(_) | Command::Man(_) => unreachable!("handled above"),
    };
    dest.write(result)?;
    Ok(exit::OK)
}

/// `--format`, or the format the `-o` file's name says: `bills.xlsx` is a
/// workbook, `.csv` CSV, `.json` JSON, `.toml` a pricing file (`prices`
/// alone writes one; the caller refuses it for the others), any other name
/// the command's default. A workbook named as text, or text named as a
/// workbook, is refused: the file would not open in what its name says.
fn output_format(
    given: Option<Format>,
    output: Option<&Path>,
) -> Result<Option<Format>, UsageError> {
    let extension = output
        .and_then(Path::extension)
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let file = || output.map_or_else(String::new, |p| p.display().to_string());
    let named = match extension.as_deref() {
        Some("svg") => {
            return Err(UsageError(format!(
                "-o {} names an SVG chart, which `curve --svg FILE` writes; -o writes a table, \
                 CSV, JSON or a workbook",
                file()
            )))
        }
        Some(other @ ("xls" | "xlsm" | "xlsb" | "ods" | "et")) => {
            return Err(UsageError(format!(
                "-o {} names a .{other} workbook; ocr-bill writes Excel workbooks as .xlsx",
                file()
            )))
        }
        Some("xlsx") => Some(Format::Xlsx),
        Some("csv") => Some(Format::Csv),
        Some("json") => Some(Format::Json),
        Some("toml") => Some(Format::Toml),
        _ => None,
    };
    match (given, named) {
        (Some(given), Some(named))
            if given != named && (given == Format::Xlsx || named == Format::Xlsx) =>
        {
            let file = file();
            Err(UsageError(if named == Format::Xlsx {
                format!(
                    "-o {file} names an Excel workbook, but --format {given} writes text; \
                     leave --format out (or say --format xlsx), or name the file for its format"
                )
            } else {
                format!(
                    "--format xlsx writes an Excel workbook, but -o {file} names a .{} file; \
                     name it FILE.xlsx",
                    extension.as_deref().unwrap_or_default()
                )
            }))
        }
        (Some(given), _) => Ok(Some(given)),
        (None, named) => Ok(named),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_output_file_name_says_its_format() {
        let f = |given, name: &str| output_format(given, Some(Path::new(name)));
        assert_eq!(f(None, "bills.XLSX").unwrap(), Some(Format::Xlsx));
        assert_eq!(f(None, "bills.csv").unwrap(), Some(Format::Csv));
        assert_eq!(f(None, "out/bill.json").unwrap(), Some(Format::Json));
        assert_eq!(f(None, "bill.txt").unwrap(), None);
        assert_eq!(output_format(None, None).unwrap(), None);
        assert_eq!(f(None, "prices.toml").unwrap(), Some(Format::Toml));
        // --format wins, but text and a workbook are never swapped.
        assert_eq!(
            f(Some(Format::Csv), "bill.json").unwrap(),
            Some(Format::Csv)
        );
        assert_eq!(f(Some(Format::Table), "bill").unwrap(), Some(Format::Table));
        let e = f(Some(Format::Csv), "bills.xlsx").unwrap_err().0;
        assert!(
            e.contains("-o bills.xlsx names an Excel workbook, but --format csv"),
            "{e}"
        );
        let e = f(Some(Format::Xlsx), "bills.csv").unwrap_err().0;
        assert!(e.contains("names a .csv file"), "{e}");
        // A name no format writes is refused, not filled with another format.
        let e = f(None, "idcard.svg").unwrap_err().0;
        assert!(e.contains("`curve --svg FILE`"), "{e}");
        let e = f(None, "bills.xls").unwrap_err().0;
        assert!(e.contains("as .xlsx"), "{e}");
    }

    #[test]
    fn work_in_parallel_keeps_the_order() {
        for n in [0, 1, 2, 3, 7, 1000] {
            let jobs: Vec<u64> = (0..n).collect();
            let expected: Vec<String> = jobs.iter().map(|j| (j * 3).to_string()).collect();
            assert_eq!(in_parallel(jobs, &|j: u64| (j * 3).to_string()), expected);
        }
    }

    #[test]
    fn messages_stay_on_one_line() {
        assert_eq!(one_line("a\nb\0c\td"), "a\\nb\\u{0}c\\td");
        assert_eq!(one_line("身份证 'x'"), "身份证 'x'");
        // A C1 control (U+0085, next line) and a character beside them (·).
        assert_eq!(one_line("a\u{85}b·c\u{7f}"), "a\\u{85}b·c\\u{7f}");
        assert_eq!(one_line("a·b"), "a·b");
    }

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
