//! The corpus of bad inputs under tests/bad: each is refused with a one-line
//! error naming the file and what was wrong, exit 1, nothing on stdout.

use std::io::Write;

use crate::files;
use crate::test::Test;

fn run(args: &[&str]) -> (Option<i32>, String, usize) {
    let out = Test::new().args(args).output();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.stdout.len(),
    )
}

#[test]
fn every_bad_input_has_its_one_line_error() {
    let root = env!("CARGO_MANIFEST_DIR");
    let manifest = std::fs::read_to_string(format!("{root}/tests/bad/expected.tsv")).unwrap();
    let mut checked = 0;
    for line in manifest.lines().filter(|l| !l.starts_with('#')) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [file, command, expected] = fields[..] else {
            panic!("bad manifest line {line}")
        };
        let path = format!("{root}/{file}");
        let args: Vec<&str> = match command {
            "pricing" => vec!["--pricing", &path, "prices"],
            "batch" => vec!["batch", &path],
            "ledger" => vec!["ledger", "--usage", &path],
            other => panic!("unknown command {other}"),
        };
        let (code, err, stdout) = run(&args);
        assert_eq!(code, Some(1), "{file}: {err}");
        assert!(err.starts_with("error: "), "{file}: {err}");
        assert_eq!(err.lines().count(), 1, "{file}: {err}");
        assert!(
            err.contains(file.rsplit('/').next().unwrap()),
            "{file}: {err}"
        );
        assert!(err.contains(expected), "{file}: want {expected:?} in {err}");
        if command != "batch" {
            assert_eq!(stdout, 0, "{file}");
        }
        checked += 1;
    }
    assert!(checked >= 25, "{checked}");
}

#[test]
fn a_ten_megabyte_pricing_file_is_refused_by_size() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    writeln!(f, "currency = \"{}\"", "x".repeat(10 << 20)).unwrap();
    let path = f.path().to_str().unwrap();
    let (code, err, _) = run(&["--pricing", path, "prices"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("larger than 1048576 bytes"), "{err}");
    assert_eq!(err.lines().count(), 1);
}

#[test]
fn a_hundred_megabyte_line_is_refused_in_bounded_memory() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(b"api,calls\nidcard,5\n").unwrap();
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..100 {
        f.write_all(&chunk).unwrap();
    }
    f.write_all(b"\nidcard,7\n").unwrap();
    let path = f.path().to_str().unwrap();
    let mut ledger = tempfile::NamedTempFile::new().unwrap();
    ledger
        .write_all(b"month,api,calls\n2026-01,idcard,5\n")
        .unwrap();
    for _ in 0..100 {
        ledger.write_all(&chunk).unwrap();
    }
    let ledger_path = ledger.path().to_str().unwrap();
    for args in [
        vec!["batch", path],
        vec!["batch", "--skip-invalid", path],
        vec!["ledger", "--usage", ledger_path],
    ] {
        let out = Test::new().args(&args).output();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("line 3"), "{args:?}: {err}");
        assert!(err.contains("longer than"), "{args:?}: {err}");
        if args[0] == "batch" {
            // The row before the bad line was written.
            assert!(String::from_utf8_lossy(&out.stdout).contains("idcard,5,5,0"));
        }
    }
    // Peak memory stays bounded (Linux: read the child's high-water mark).
    if cfg!(target_os = "linux") && std::path::Path::new("/usr/bin/time").exists() {
        let out = std::process::Command::new("/usr/bin/time")
            .args(["-f", "%M", env!("CARGO_BIN_EXE_ocr-bill"), "batch", path])
            .env_remove("OCR_BILL_PRICING")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        let kb: u64 = err.lines().last().unwrap().trim().parse().unwrap();
        assert!(kb < 64 * 1024, "peak {kb} KB for a 100 MB line");
    }
}

#[test]
fn a_refusal_names_the_flag_that_fixes_it() {
    // The library says what is needed; the command line names its flag.
    let (_d, p) = files(&[
        ("price.csv", "api,calls\nidcard,2000000\nidcard,5\n"),
        (
            "quote.csv",
            "account,api,calls\n\"a,idcard,5\nb\",idcard,6\n",
        ),
        ("gbk.csv", ""),
    ]);
    std::fs::write(&p[2], b"api,calls\n\xc9\xed\xb7\xdd\xd6\xa4,9\n").unwrap();
    Test::new()
        .args(&["batch", &p[0]])
        .status(1)
        .stderr_has("line 2:")
        .stderr_has("needs a negotiated price")
        .stderr_has("; pass --negotiated-price PRICE\n")
        .run();
    // Skipped rows carry it too.
    Test::new()
        .args(&["batch", "--skip-invalid", &p[0]])
        .status(3)
        .stderr_has("skipped line 2:")
        .stderr_has("; pass --negotiated-price PRICE\n")
        .run();
    let out = Test::new().args(&["batch", &p[1]]).output();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("it closes on line 3"), "{err}");
    assert!(
        err.contains("pass --multiline-fields if the file really has fields across lines"),
        "{err}"
    );
    let err = Test::new()
        .args(&["batch", "--encoding", "utf-8", &p[2]])
        .fails(1);
    assert!(err.contains("is GBK; pass --encoding gbk"), "{err}");
    let err = Test::new()
        .args(&["ledger", "--encoding", "utf-8", "--usage", &p[2]])
        .fails(1);
    assert!(err.contains("usage file"), "{err}");
    assert!(err.contains("pass --encoding gbk"), "{err}");
}

/// A cell of megabytes named in an error (an API, a month, a count) leaves
/// the error one readable line: the value cut, its length said.
#[test]
fn a_huge_cell_is_named_in_part() {
    let huge = "x".repeat(1 << 20);
    let usage = format!("account,month,api,calls\n1,2026-01,{huge},5\n1,{huge},idcard,5\n");
    let (_dir, paths) = files(&[("usage.csv", &usage)]);
    let (code, err, _) = run(&["batch", &paths[0]]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "unknown API '{}…' (1048576 characters)",
            &huge[..60]
        )),
        "{}",
        &err[..err.len().min(300)]
    );
    assert!(err.len() < 600 && err.lines().count() == 1, "{}", err.len());
    // Skipped rows are reported the same way, each on its line.
    let (code, err, _) = run(&["batch", "--skip-invalid", &paths[0]]);
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains("(1048576 characters)") && err.len() < 1500,
        "{}",
        err.len()
    );
    let (code, err, _) = run(&["ledger", "--usage", &paths[0]]);
    assert_eq!(code, Some(1));
    assert!(err.len() < 600 && err.lines().count() == 1, "{}", err.len());
}

/// A panic, a bug, ends the run with the exit code Rust gives one (101) and
/// its message, never an abort (134) of a panic unwinding out of the C `main`.
/// (Only a debug build panics on request, and `cargo test --release` builds
/// the binary without debug assertions, as it builds this test.)
#[cfg(debug_assertions)]
#[test]
fn a_bug_ends_the_run_with_exit_code_101_and_its_message() {
    Test::new()
        .args(&["prices"])
        .env("OCR_BILL_TEST_PANIC", "1")
        .status(101)
        .stderr_has("a panic asked for by OCR_BILL_TEST_PANIC")
        .run();
}
