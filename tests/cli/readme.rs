//! Every `ocr-bill` command the README shows in its `sh` examples runs as
//! written (on small files of the names it uses), and the figures its comments
//! promise (`# 195.00`) are in what it prints: an example that a renamed flag
//! or a changed rule broke fails here, not in a user's shell.

use std::path::Path;

use crate::test::Test;
use crate::{files, fixture};

/// The files the examples name, small and of the kind each example reads
/// (`usage.csv` one account's, as `--balance` wants; `accounts.csv` two).
const FILES: &[(&str, &str)] = &[
    (
        "usage.csv",
        "account,month,api,calls\n\
         acme,2026-09,idcard,9000\nacme,2026-10,idcard,12000\nacme,2026-11,general,50000\n\
         acme,2026-09,bankcard,2500\nacme,2027-01,idcard,800\n",
    ),
    (
        "accounts.csv",
        "account,month,api,calls\nacme,2026-01,idcard,9000\nacme,2026-02,idcard,12000\n\
         beta,2026-01,bankcard,2500\n",
    ),
    (
        "packs.csv",
        "account,month,api,calls,count\nacme,2026-01,idcard,1000,2\nacme,2026-09,idcard,10000,1\n",
    ),
    ("topups.csv", "account,month,amount\nacme,2026-10,500\n"),
    (
        "quarter.csv",
        "account,month,api,calls\nacme,2026-01,idcard,9000\nacme,2026-02,idcard,1000\n\
         acme,2026-03,general,30000\n",
    ),
    (
        "year.csv",
        "account,month,api,calls\n1001,2026-03,idcard,9000\n1001,2026-04,idcard,9000\n\
         1001,2026-05,idcard,12000\n1002,2026-05,idcard,500\n1001,2026-07,idcard,1\n",
    ),
    (
        "api-log.csv",
        "time,account,api\n2026-01-15 13:45:00,acme,idcard\n2026-01-16 09:00:00,acme,idcard\n\
         2026-02-01 00:00:01,beta,general\n",
    ),
    ("jan.csv", "month,api,calls\n2026-01,idcard,9000\n"),
    ("feb.csv", "month,api,calls\n2026-02,idcard,12000\n"),
    ("mar.csv", "month,api,calls\n2026-03,idcard,8000\n"),
    (
        "exports/2026-01-01.csv",
        "date,account,api,calls\n2026-01-01,acme,idcard,400\n",
    ),
    (
        "exports/2026-01-02.csv",
        "date,account,api,calls\n2026-01-02,acme,idcard,700\n",
    ),
];

/// The README's example commands: each line of an `sh` block that runs
/// `ocr-bill`, with its comment.
fn examples(readme: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut in_sh = false;
    for line in readme.lines() {
        if line.starts_with("```") {
            in_sh = !in_sh && line == "```sh";
            continue;
        }
        let line = line.trim();
        if in_sh && !line.starts_with('#') && line.contains("ocr-bill ") {
            let (command, comment) = line.split_once(" # ").unwrap_or((line, ""));
            found.push((command.trim().to_string(), comment.trim().to_string()));
        }
    }
    found
}

/// An example's arguments after `ocr-bill`, as a shell would pass them here:
/// quotes taken off, a glob expanded in `dir`, `~` as `dir`, a file of
/// `tests/fixtures/` as the repository's; the part after a
/// pipe into ocr-bill (its stdin is then a usage file), before `&&`, and
/// without redirections. `None` for a line that is not ocr-bill's to run
/// (`cargo install`) or that writes to a file the user's shell names
/// (`>> $PROFILE`).
fn arguments(command: &str, dir: &Path) -> Option<(Vec<String>, bool)> {
    let command = command.split(" && ").next()?;
    let (command, piped) = match command.split_once("| ") {
        Some((_, after)) => (after, true),
        None => (command, false),
    };
    let words = words(command);
    if words.first().map(String::as_str) != Some("ocr-bill") || command.contains('$') {
        return None;
    }
    let mut args = Vec::new();
    let mut rest = words[1..].iter();
    while let Some(word) = rest.next() {
        match word.as_str() {
            ">" | ">>" | "2>" => {
                rest.next();
            }
            w if w.contains('*') => args.extend(glob(dir, w)),
            // (The repository's own files, where the README's reader has them.)
            w => args.push(match w.strip_prefix("tests/fixtures/") {
                Some(name) => fixture(name),
                None => w.replacen('~', &dir.to_string_lossy(), 1),
            }),
        }
    }
    Some((args, piped))
}

/// Words split at spaces, quotes taken off.
fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote = None;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.get_or_insert_with(String::new).push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                word.get_or_insert_with(String::new);
            }
            (None, ' ') => words.extend(word.take()),
            (None, c) => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

/// The files of `dir` a pattern with one `*` matches, sorted as a shell
/// sorts them.
fn glob(dir: &Path, pattern: &str) -> Vec<String> {
    let (folder, name) = pattern.rsplit_once('/').unwrap_or(("", pattern));
    let (head, tail) = name.split_once('*').expect("a glob");
    let mut matched: Vec<String> = std::fs::read_dir(dir.join(folder))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(head) && n.ends_with(tail) && n.len() >= head.len() + tail.len())
        .map(|n| format!("{folder}/{n}"))
        .collect();
    matched.sort();
    assert!(!matched.is_empty(), "{pattern} matches no file");
    matched
}

/// The amounts a comment promises (`195.00`, `4,700.00`): money with two
/// decimals, as the output writes it.
fn amounts(comment: &str) -> Vec<&str> {
    comment
        .split(|c: char| !(c.is_ascii_digit() || c == ',' || c == '.'))
        .map(|w| w.trim_matches(|c| c == ',' || c == '.'))
        .filter(|w| {
            w.split_once('.')
                .is_some_and(|(whole, fen)| fen.len() == 2 && !whole.is_empty())
        })
        .collect()
}

#[test]
fn every_example_of_the_readme_runs_and_prints_what_its_comment_says() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let (dir, _) = files(FILES);
    let mut ran = 0;
    for (command, comment) in examples(&readme) {
        let Some((args, piped)) = arguments(&command, dir.path()) else {
            continue;
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut test = Test::new().current_dir(dir.path()).args(&args);
        if piped {
            test = test.stdin(FILES[0].1);
        }
        for amount in amounts(&comment) {
            test = test.stdout_has(amount);
        }
        test.run();
        ran += 1;
    }
    // (The README shows more than fifty; a parse that found few is wrong.)
    assert!(ran >= 45, "only {ran} examples found in the README");
}

#[test]
fn the_example_reader_takes_a_shell_line_as_a_shell_would() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("exports")).unwrap();
    for name in ["2026-01-02.csv", "2026-01-01.csv", "2026-02-01.csv"] {
        std::fs::write(dir.path().join("exports").join(name), "").unwrap();
    }
    let (args, piped) = arguments(
        "ocr-bill batch exports/2026-01-*.csv --format json 2> skipped.txt > out.csv",
        dir.path(),
    )
    .unwrap();
    assert_eq!(
        args,
        [
            "batch",
            "exports/2026-01-01.csv",
            "exports/2026-01-02.csv",
            "--format",
            "json"
        ]
    );
    assert!(!piped);
    let (args, piped) = arguments("export-usage | ocr-bill batch -f csv", dir.path()).unwrap();
    assert_eq!(args, ["batch", "-f", "csv"]);
    assert!(piped);
    let (args, _) = arguments(
        "ocr-bill --pricing tests/fixtures/variant.toml prices",
        dir.path(),
    )
    .unwrap();
    assert_eq!(
        args,
        ["--pricing", fixture("variant.toml").as_str(), "prices"]
    );
    assert!(arguments("cargo install --path .", dir.path()).is_none());
    assert!(arguments("ocr-bill completions powershell >> $PROFILE", dir.path()).is_none());
    assert_eq!(words("a 'b c' \"d\""), ["a", "b c", "d"]);
    assert_eq!(
        amounts("800.00 + 39,000 × 0.10 = 4,700.00."),
        ["800.00", "0.10", "4,700.00"]
    );
    let found = examples(
        "```sh\nocr-bill prices   # 1.00\n# ocr-bill no\n```\n```\nocr-bill not sh\n```\n",
    );
    assert_eq!(found, [("ocr-bill prices".to_string(), "1.00".to_string())]);
}
