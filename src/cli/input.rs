//! Loading what a run reads: the price list, input files (decoded), the
//! calculator with a negotiated price, and the arguments that name them.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use ocr_bill::{
    parse_pack_spec, parse_price, Calculator, DecodedReader, Item, LineEnds, PriceList, TotalsRows,
};
use rust_decimal::Decimal;

use super::args::{Cli, Command};
use super::{Out, UsageError};

/// The files a run reads, which `-o` must not overwrite.
pub(super) fn inputs(cli: &Cli) -> Vec<&Path> {
    let mut paths: Vec<&Path> = cli.shared.pricing.iter().map(PathBuf::as_path).collect();
    match &cli.command {
        Command::Batch(a) => paths.extend(a.file.iter().map(PathBuf::as_path)),
        Command::Ledger(a) => {
            paths.extend(a.usage.iter().map(PathBuf::as_path));
            paths.extend(a.packs.iter().map(PathBuf::as_path));
            paths.extend(a.topups.iter().map(PathBuf::as_path));
        }
        Command::Plan(a) => paths.extend(a.usage.iter().map(PathBuf::as_path)),
        Command::Curve(a) => paths.extend(a.svg.as_deref()),
        _ => {}
    }
    paths
}

/// The item with its packs at the prices paid given by `--pack-price`.
pub(super) fn paid_prices(item: &Item, spec: Option<&str>) -> anyhow::Result<Item> {
    let Some(spec) = spec else {
        return Ok(item.clone());
    };
    let expected = "expected SIZE@PRICE items separated by commas, e.g. 100k@3500,10k@700";
    // `100000=3500` or `100k:3500`: told as what --pack-price takes, not as a
    // pack size that does not read.
    if let Some(unpriced) = (spec.split(',').map(str::trim)).find(|i| !i.contains('@')) {
        let what = match ocr_bill::price_cut_by_comma(spec) {
            _ if unpriced.is_empty() => "an empty item".into(),
            // (Every size has a price here: the digits are the price's.)
            Some((_, price, digits)) => format!(
                "'{unpriced}' has no @PRICE: is '{price},{digits}' one price? write it without \
                 a thousands separator and with a decimal point (100k@3500, 1k@84.5)"
            ),
            None => format!("'{unpriced}' has no @PRICE"),
        };
        anyhow::bail!("--pack-price '{spec}': {what}; {expected}");
    }
    let paid = parse_pack_spec(spec)
        .context("--pack-price")?
        .into_iter()
        .map(|p| match p.price {
            Some(price) if p.count == 1 => Ok((p.size, price)),
            _ => Err(anyhow::anyhow!(
                "--pack-price '{spec}': a price is paid per pack of a size, without xCOUNT; \
                 {expected}"
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(item.with_prices_paid(&paid)?)
}

/// Refuses an `--account` that no usage row names, listing those that do.
pub(super) fn check_account<'s>(
    name: &str,
    accounts: impl Iterator<Item = &'s str>,
) -> anyhow::Result<()> {
    let all = ocr_bill::accounts(accounts);
    if all.contains(&name) {
        return Ok(());
    }
    Err(UsageError(if all.is_empty() {
        format!("--account '{name}': the usage file has no account column")
    } else {
        format!(
            "--account '{name}': no usage rows of that account; accounts in the file: {}",
            ocr_bill::first_of(all.iter(), 10)
        )
    })
    .into())
}

/// An input opened: its text decoded to UTF-8, its name for messages, and
/// where the parts of a zip archive read as one begin in it.
pub(super) type Opened = (Box<dyn Read>, String, ocr_bill::Parts);

/// Opens an input (a file, or stdin for `-` or none), decompressed and
/// decoded.
pub(super) fn open_input(path: Option<&Path>, what: &str, out: &Out) -> anyhow::Result<Opened> {
    // (Lines that end in a lone CR, as Excel for Mac saves them, read as any.
    // The parts of a zip archive read as one come decoded, each on its own.)
    let decoded = |inner: Box<dyn Read>, parts: &ocr_bill::Parts| {
        let encoding = match parts.is_empty() {
            true => out.encoding,
            false => ocr_bill::InputEncoding::Utf8,
        };
        LineEnds::new(DecodedReader::new(inner, encoding).with_sheet(out.sheet.clone()))
    };
    let stdin = || -> anyhow::Result<Opened> {
        // Rows typed at a terminal: say so, rather than seem to hang.
        if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            crate::render::diagnostic(&format!(
                "ocr-bill: reading the {what} file from the terminal; type its CSV rows and end \
                 with Ctrl-D (Ctrl-Z, Enter on Windows), or name a file"
            ))?;
        }
        // (Compressed: gzip streams; a zip archive is read whole first.)
        let (input, parts) = ocr_bill::uncompressed_stream(std::io::stdin().lock(), out.encoding)
            .with_context(|| format!("cannot read the {what} file from stdin"))?;
        Ok((Box::new(decoded(input, &parts)), "stdin".to_string(), parts))
    };
    Ok(match path {
        None => stdin()?,
        Some(p) if p == Path::new("-") => stdin()?,
        Some(p) => {
            let cannot = || format!("cannot read {what} file {}", p.display());
            let file = fs::File::open(p).with_context(cannot)?;
            // A gzip-compressed file, or a zip archive (its file, or its parts as one), as it
            // decompresses; a pipe (`<(zcat …)`, /dev/stdin), which cannot
            // seek, as stdin is.
            let regular = file.metadata().is_ok_and(|m| m.is_file());
            let (input, parts) = match regular {
                true => ocr_bill::uncompressed(file, out.encoding),
                false => ocr_bill::uncompressed_stream(file, out.encoding),
            }
            .with_context(cannot)?;
            (
                Box::new(decoded(input, &parts)),
                p.display().to_string(),
                parts,
            )
        }
    })
}

/// Reads one input file (`-` for stdin) with its parser; errors name the file
/// and line, and totals rows read past are told on stderr.
pub(super) fn read_file<T>(
    path: &Path,
    what: &str,
    out: &Out,
    parse: impl FnOnce(Box<dyn Read>) -> Result<(Vec<T>, TotalsRows), ocr_bill::InputError>,
) -> anyhow::Result<Vec<T>> {
    read_from(open_input(Some(path), what, out)?, what, parse)
}

/// Reads one input opened with its parser, as [`read_file`]: a line of a
/// zip archive's part is named in its part.
fn read_from<T>(
    (input, name, parts): Opened,
    what: &str,
    parse: impl FnOnce(Box<dyn Read>) -> Result<(Vec<T>, TotalsRows), ocr_bill::InputError>,
) -> anyhow::Result<Vec<T>> {
    let (rows, mut totals) = parse(input).map_err(|mut e| {
        let of = |line| super::joined::in_part(&name, &parts, line);
        // (Lines it names besides its own: in its part, or another's.)
        let other = |l| super::joined::other_line(of, e.line, l);
        if let Some(c) = &e.conflict {
            e.message = c.why(&other(c.other));
        }
        e.message = e.why(other);
        e.closes_on = None;
        let (name, line) = of(e.line);
        e.line = line;
        anyhow::Error::new(e).context(format!("{what} file {name}"))
    })?;
    // (Told of the file, or the part, of the first.)
    let name = match &mut totals.first {
        Some((line, _)) => {
            let (name, own) = super::joined::in_part(&name, &parts, *line);
            *line = own;
            name
        }
        None => name,
    };
    if let Some(note) = totals.note() {
        crate::render::diagnostic(&format!("note: {what} file {name}: {note}"))?;
    }
    Ok(rows)
}

/// `--api` and `--calls` given as many times each (they pair up in order).
pub(super) fn in_pairs(api: &[String], calls: &[String]) -> Result<(), UsageError> {
    if api.len() == calls.len() {
        return Ok(());
    }
    Err(UsageError(format!(
        "--api and --calls come in pairs: got {} --api and {} --calls",
        api.len(),
        calls.len()
    )))
}

/// The rows of several files (usage, packs or top-ups: `what`), read one
/// after another as one file's (each with its own header, encoding and
/// sheet; errors name the file). Of several, an empty file (a day without
/// calls) adds nothing; none at all is no rows.
pub(super) fn read_files<T>(
    paths: &[PathBuf],
    what: &str,
    out: &Out,
    parse: impl Fn(Box<dyn Read>) -> Result<(Vec<T>, TotalsRows), ocr_bill::InputError>,
) -> anyhow::Result<Vec<T>> {
    no_file_twice(paths, what)?;
    let [path] = paths else {
        let mut rows = Vec::new();
        let mut read = 0;
        for path in paths {
            let Some(opened) = super::joined::unless_empty(path, what, out)? else {
                continue;
            };
            rows.extend(read_from(opened, what, &parse)?);
            read += 1;
        }
        anyhow::ensure!(
            read > 0 || paths.is_empty(),
            "the {what} files {} are all empty; expected a header row",
            file_names(paths)
        );
        return Ok(rows);
    };
    read_file(path, what, out, parse)
}

/// Refuses a file named twice (as itself or by another path to it): its rows
/// would be counted twice.
pub(super) fn no_file_twice(paths: &[PathBuf], what: &str) -> anyhow::Result<()> {
    // Each file by its canonical path (as given where it has none: stdin).
    let mut seen: std::collections::HashMap<PathBuf, &PathBuf> = std::collections::HashMap::new();
    for path in paths {
        let canonical = fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        if let Some(twice) = seen.insert(canonical, path) {
            return Err(UsageError(format!(
                "the {what} file {} is given twice{}: its rows would be counted twice",
                path.display(),
                if twice == path {
                    String::new()
                } else {
                    format!(" (as {})", twice.display())
                }
            ))
            .into());
        }
    }
    Ok(())
}

/// Files named in messages: `a.csv, b.csv and c.csv`, or the first and how
/// many more.
pub(super) fn file_names(paths: &[PathBuf]) -> String {
    let names: Vec<String> = (paths.iter())
        .map(|p| match p.to_str() {
            Some("-") => "stdin".into(),
            _ => p.display().to_string(),
        })
        .collect();
    match names.as_slice() {
        [] => "stdin".into(),
        [one] => one.clone(),
        [rest @ .., last] if names.len() <= 3 => format!("{} and {last}", rest.join(", ")),
        [first, rest @ ..] => format!("{first} and {} more files", rest.len()),
    }
}

/// The opening balance: a decimal with at most two places, which may be
/// negative (arrears carried in).
pub(super) fn opening_balance(text: &str) -> anyhow::Result<ocr_bill::Money> {
    let owed = text.trim().strip_prefix('-');
    let amount = ocr_bill::parse_money(owed.unwrap_or(text)).context("--balance")?;
    Ok(match owed {
        Some(_) => ocr_bill::Money::ZERO.checked_sub(amount)?,
        None => amount,
    })
}

/// Loads the price list: a file over an edition, or a built-in edition.
pub(super) fn load_prices(path: Option<&Path>, edition: Option<&str>) -> anyhow::Result<PriceList> {
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
    let mut list = PriceList::from_toml_over(&text, edition_name)
        .map_err(|e| anyhow!("pricing file {}: {e}", path.display()))?;
    list.about.file = Some(path.display().to_string());
    Ok(list)
}

/// The largest pricing file read.
pub(super) const MAX_PRICING_BYTES: u64 = 1 << 20;

pub(super) fn calculator<'a>(
    prices: &'a PriceList,
    negotiated: Option<&str>,
) -> anyhow::Result<Calculator<'a>> {
    let price = negotiated
        .map(|p| {
            let value = parse_price(p)?;
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

/// A month given on the command line, as `--from` or `--until`.
pub(super) fn month_flag(
    flag: &str,
    value: &Option<String>,
) -> anyhow::Result<Option<ocr_bill::Month>> {
    (value.as_deref().map(ocr_bill::Month::parse).transpose())
        .map_err(|e| anyhow::anyhow!("{flag}: {e}"))
}
