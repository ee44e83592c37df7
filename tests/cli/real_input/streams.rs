//! Standard streams, pipes and compressed inputs: output that cannot be
//! written, closed pipes, summaries and reports on stderr, gzip and zip.

use crate::test::Test;

/// Runs the binary through `sh` with redirections; returns (exit code, stderr).
#[cfg(target_os = "linux")]
fn shell(script: &str, stdin: &str) -> (i32, String) {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_ocr-bill"))
        .env_remove("OCR_BILL_PRICING")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            let mut input = child.stdin.take().unwrap();
            let _ = input.write_all(stdin.as_bytes());
            drop(input);
            child.wait_with_output()
        })
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
#[cfg(target_os = "linux")]
fn output_that_cannot_be_written_is_an_error_never_a_panic() {
    let usage = "api,calls\nidcard,9000\nidcrad,5\nlicense,9000\n";
    for (script, want) in [
        (r#""$0" prices >&-"#, 1),
        (r#""$0" batch >&-"#, 1),
        (r#""$0" --help > /dev/full"#, 1),
        (r#""$0" --version > /dev/full"#, 1),
        (r#""$0" postpaid --api idcard --calls 9000 > /dev/full"#, 1),
        (r#""$0" batch --skip-invalid 2> /dev/full"#, 1),
        (r#""$0" postpaid --api idcard --calls 2M 2> /dev/full"#, 1),
        (r#""$0" --help > /dev/null"#, 0),
    ] {
        let (code, err) = shell(script, usage);
        assert_eq!(code, want, "{script}: {err}");
        assert!(!err.contains("panicked"), "{script}: {err}");
    }
}

#[test]
#[cfg(unix)]
fn dev_null_opened_for_reading_and_writing_is_not_a_closed_stdout() {
    // What Python's subprocess.DEVNULL and other launchers pass: /dev/null, O_RDWR.
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
        .unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_ocr-bill"))
        .args(["postpaid", "--api", "idcard", "--calls", "9000"])
        .env_remove("OCR_BILL_PRICING")
        .stdout(null)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
#[cfg(target_os = "linux")]
fn a_closed_pipe_never_hides_skipped_rows() {
    let mut usage = String::from("api,calls\nidcard,9000\nidcrad,5\n");
    for _ in 0..200_000 {
        usage.push_str("license,9000\n");
    }
    // The pipeline's status is head's: ocr-bill's own is echoed to stderr.
    let (_, err) = shell(
        r#"{ "$0" batch --skip-invalid; echo "exit=$?" >&2; } | head -5 > /dev/null"#,
        &usage,
    );
    assert!(
        err.contains("skipped line 3: unknown API 'idcrad'"),
        "{err}"
    );
    assert!(err.contains("exit=3"), "{err}");
}

#[test]
fn json_never_gets_duplicate_or_empty_keys() {
    for (header, want) in [
        ("x,x,api,calls", "columns 1 and 2 are both named 'x'"),
        (",,api,calls", "column 1 has an empty name"),
    ] {
        let out = Test::new()
            .args(&["batch", "-f", "json"])
            .stdin(format!("{header}\na,b,idcard,9000\n"))
            .output();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{header}: {err}");
        assert!(err.contains(want), "{header}: {err}");
        // CSV carries them as they are.
        let out = Test::new()
            .arg("batch")
            .stdin(format!("{header}\na,b,idcard,9000\n"))
            .output();
        assert_eq!(out.status.code(), Some(0), "{header}");
    }
}

#[test]
fn a_file_of_bad_rows_gets_a_short_report() {
    // (A line of empty fields is blank, no bad row: these have a count.)
    let input = format!("api,calls\n{}idcard,9000\n", ",9000\n".repeat(100_000));
    let out = Test::new()
        .args(&["batch", "--skip-invalid"])
        .stdin(input)
        .output();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(
        err.starts_with("skipped lines 2–100001 (100000 rows): the API name is empty"),
        "{err}"
    );
    assert!(err.contains("skipped 100000 of 100001 rows"), "{err}");
}

#[test]
fn batch_ends_with_a_summary_on_stderr() {
    let out = Test::new()
        .arg("batch")
        .stdin("api,calls\nidcard,9000\nlicense,90000\n")
        .output();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim(),
        "ocr-bill: stdin: 2 rows written, total 10100.00 CNY (price list: edition seed)"
    );
    let out = Test::new()
        .args(&["--edition", "intl", "batch", "--group-by", "account"])
        .stdin("account,api,calls\na,general,9000\nb,general,9000\n")
        .output();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("total 378.00 USD"), "{err}");
    Test::new()
        .arg("batch")
        .stdin(
            "api,calls
idcard,9000
",
        )
        .stderr_has("stdin: 1 row written, total 1200.00 CNY")
        .run();
}

/// A usage file compressed with gzip, or the one file of a zip archive (a
/// bill's details as a billing center downloads them), is read as it
/// decompresses, by every reader, from a file or stdin; so are the parts of
/// one export in a zip archive, as one file; an archive of files that begin
/// otherwise is refused, naming them, and a damaged one is an error.
#[test]
fn a_gzip_file_or_a_zip_archive_is_read_as_it_decompresses() {
    use std::io::Write;
    let (gbk, _, _) = encoding_rs::GBK
        .encode("账号,月份,接口,调用量\n1001,2026-01,身份证,5000\n1001,2026-01,身份证,4000\n");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&gbk).unwrap();
    let gz = gz.finish().unwrap();
    let zipped = |files: &[(&str, &[u8])]| {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, bytes) in files {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap().into_inner()
    };
    let one = zipped(&[("账单/usage.csv", &gbk)]);
    let (february, _, _) =
        encoding_rs::GBK.encode("账号,月份,接口,调用量\n1001,2026-02,身份证,3000\n");
    let two = zipped(&[("part1.csv", &gbk), ("part2.csv", &february)]);
    let other = zipped(&[("a.csv", &gbk), ("b.csv", b"api,calls\nidcard,5\n")]);
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (name, bytes) in [
        ("usage.csv", &gbk[..]),
        ("usage.csv.gz", &gz[..]),
        ("bill.zip", &one[..]),
        ("other.zip", &other[..]),
        ("cut.gz", &gz[..gz.len() - 8]),
        ("two.zip", &two[..]),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        paths.push(path.to_string_lossy().into_owned());
    }
    for args in [
        vec!["batch"],
        vec!["batch", "--group-by", "account,month"],
        vec!["ledger", "-f", "csv"],
        vec!["plan", "-f", "csv"],
    ] {
        let plain = Test::new().args(&args).arg(&paths[0]).run().stdout;
        assert!(plain.lines().count() > 1, "{args:?}: {plain}");
        for (path, bytes) in [(&paths[1], &gz), (&paths[2], &one)] {
            let from_file = Test::new().args(&args).arg(path).run().stdout;
            assert_eq!(from_file, plain, "{args:?} {path}");
            let mut piped = args.clone();
            piped.push("-");
            if args[0] != "batch" {
                piped.insert(piped.len() - 1, "--usage");
            }
            let from_stdin = Test::new().args(&piped).stdin(bytes.clone()).run().stdout;
            assert_eq!(from_stdin, plain, "{args:?} stdin of {path}");
        }
    }
    // January is one month of 9,000 calls.
    Test::new()
        .args(&["batch", "--group-by", "account,month", &paths[2]])
        .stdout_has("1001,2026-01,idcard,9000,2,1000,8000,2,0.15,1200.00,")
        .run();
    // The parts of one export: January's 9,000 calls and February's 3,000.
    for args in [
        vec!["batch", "--group-by", "account,month"],
        vec!["ledger", "-f", "csv", "--usage"],
    ] {
        let out = Test::new().args(&args).arg(&paths[5]).run().stdout;
        assert!(out.contains("2026-01,idcard,9000,"), "{args:?}: {out}");
        assert!(out.contains("2026-02,idcard,3000,"), "{args:?}: {out}");
    }
    let err = Test::new().args(&["batch", &paths[3]]).fails(1);
    assert!(
        err.contains("zip archive of 2 files (a.csv, b.csv), whose first lines differ"),
        "{err}"
    );
    // Parts saved in other encodings (one by Excel as GBK, one in UTF-8):
    // each read as what it is, as files named one after another are, so
    // that 张三 is one account: 11,000 calls in January, at 0.10.
    let (gbk_part, _, _) =
        encoding_rs::GBK.encode("账号,月份,接口,调用量\n张三,2026-01,身份证,6000\n");
    let utf8_part = "账号,月份,接口,调用量\n张三,2026-01,身份证,5000\n".as_bytes();
    // Excel's "Unicode text": UTF-16 with a byte-order mark, tab-separated.
    let unicode_text = |text: &str| {
        let units = text.replace(',', "\t").encode_utf16().collect::<Vec<u16>>();
        std::iter::once(0xFEFF_u16)
            .chain(units)
            .flat_map(u16::to_le_bytes)
            .collect::<Vec<u8>>()
    };
    let utf16_parts = [
        unicode_text("账号,月份,接口,调用量\r\n张三,2026-01,身份证,6000\r\n"),
        unicode_text("账号,月份,接口,调用量\r\n张三,2026-01,身份证,5000\r\n"),
    ];
    for (name, parts) in [
        ("mixed.zip", [&gbk_part[..], utf8_part]),
        ("mixed2.zip", [utf8_part, &gbk_part[..]]),
        ("unicode.zip", [&utf16_parts[0][..], &utf16_parts[1][..]]),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, zipped(&[("a.csv", parts[0]), ("b.csv", parts[1])])).unwrap();
        let out = Test::new()
            .args(&["batch", "--group-by", "account,month"])
            .arg(&path)
            .run()
            .stdout;
        assert_eq!(out.lines().count(), 2, "{name}: {out}");
        assert!(
            out.contains("张三,2026-01,idcard,11000,2,1000,10000,3,0.10,1000.00,"),
            "{name}: {out}"
        );
    }
    // Parts that begin with Excel's `sep=;` line, or a title above the
    // header: the later parts' headers are read past as repeated headers.
    for first in [
        "sep=;\naccount;month;api;calls\n",
        "OCR 用量,,,\naccount,month,api,calls\n",
    ] {
        let row = |calls: u32| match first.starts_with("sep") {
            true => format!("{first}A;2026-01;idcard;{calls}\n"),
            false => format!("{first}A,2026-01,idcard,{calls}\n"),
        };
        let parts = zipped(&[
            ("p1.csv", row(5000).as_bytes()),
            ("p2.csv", row(4000).as_bytes()),
        ]);
        let path = dir.path().join("parts.zip");
        std::fs::write(&path, parts).unwrap();
        Test::new()
            .args(&["batch", "--group-by", "account,month"])
            .arg(&path)
            .stdout_has("A,2026-01,idcard,9000,2,1000,8000,2,0.15,1200.00,")
            .run();
    }
    // An error names the part and its line there (the second part's line 2,
    // the stream's line 5 after a first part of 3 lines), from a file or
    // stdin, and so does a line it names besides its own.
    let bad = |second: &str| {
        let part2 = encoding_rs::GBK.encode(second).0;
        let path = dir.path().join("bad.zip");
        std::fs::write(&path, zipped(&[("part1.csv", &gbk), ("part2.csv", &part2)])).unwrap();
        path
    };
    let path = bad("账号,月份,接口,调用量\n1001,2026-02,身份证,-5\n");
    for args in [vec!["batch"], vec!["ledger", "--usage"]] {
        let err = Test::new().args(&args).arg(&path).status(1).run().stderr;
        assert!(
            err.contains("part2.csv in ") && err.contains("bad.zip: line 2: "),
            "{args:?}: {err}"
        );
    }
    let err = Test::new()
        .args(&["batch", "--skip-invalid"])
        .stdin(std::fs::read(&path).unwrap())
        .status(3)
        .run()
        .stderr;
    assert!(
        err.contains("skipped line 2 of part2.csv in stdin: "),
        "{err}"
    );
    // A stray quote on the part's line 2 that closes on its line 3.
    let path = bad("账号,月份,接口,调用量\n1001,2026-02,\"身份证,5\n1001,2026-03,身份证\",5\n");
    for args in [vec!["batch"], vec!["ledger", "--usage"]] {
        let err = Test::new().args(&args).arg(&path).status(1).run().stderr;
        assert!(
            err.contains("bad.zip: line 2: ") && err.contains("it closes on line 3,"),
            "{args:?}: {err}"
        );
    }
    // A row without an account in the second part, where the first part's
    // line 2 names one.
    let path = bad("账号,月份,接口,调用量\n,2026-02,身份证,5\n");
    for args in [
        vec!["batch", "--group-by", "account,month"],
        vec!["ledger", "--usage"],
    ] {
        let err = Test::new().args(&args).arg(&path).status(1).run().stderr;
        assert!(
            err.contains("part2.csv in ")
                && err.contains(
                    "bad.zip: line 2: this row has no account, while line 2 of \
                                 part1.csv in "
                )
                && err.contains("bad.zip names '1001'"),
            "{args:?}: {err}"
        );
    }
    let err = Test::new().args(&["batch", &paths[4]]).fails(1);
    assert!(
        err.contains("gzip-compressed input cannot be read"),
        "{err}"
    );
    // A zipped file of UTF-16 text (Excel's Unicode text) is decoded before its
    // line ends are read: its CRLFs are line ends, and 不 (U+4E0D, bytes
    // `0D 4E`) stays itself.
    let mut utf16 = vec![0xFF, 0xFE];
    let text =
        "账号\t月份\t接口\t调用量\r\n不A\t2026-01\t身份证\t9000\r\nB\t2026-01\t身份证\t9x\r\n";
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let ran = Test::new()
        .arg("batch")
        .stdin(zipped(&[("unicode.txt", &utf16)]))
        .status(1)
        .run();
    assert!(
        ran.stdout.contains("\n不A,2026-01,身份证,9000,1000,8000,"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stderr
            .contains("stdin: line 3: invalid call count '9x'"),
        "{}",
        ran.stderr
    );
}

/// A pipe named as a file (`<(zcat usage.csv.gz)`, `/dev/stdin`) is read
/// once, as it comes, as stdin is: compressed or not, and several of them
/// joined by `batch` (each header checked when it is reached).
#[cfg(unix)]
#[test]
fn pipes_named_as_files_are_read_once_as_they_come() {
    use std::io::Write;
    let csv = "account,month,api,calls\n1001,2026-01,idcard,9000\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(csv.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    for bytes in [csv.as_bytes().to_vec(), gz] {
        Test::new()
            .args(&["batch", "/dev/stdin"])
            .stdin(bytes)
            .stdout_has("1001,2026-01,idcard,9000,1000,8000,2,0.15,1200.00,")
            .run();
    }
    // Two named pipes, each written by a thread of its own.
    let dir = tempfile::tempdir().unwrap();
    let mut writers = Vec::new();
    let mut paths = Vec::new();
    for (i, rows) in ["1001,2026-01,idcard,4000\n", "1001,2026-01,idcard,5000\n"]
        .iter()
        .enumerate()
    {
        let path = dir.path().join(format!("pipe{i}"));
        let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let text = format!("account,month,api,calls\n{rows}");
        let writer_path = path.clone();
        writers.push(std::thread::spawn(move || {
            // (Opening blocks until the reader opens the pipe.)
            let mut pipe = std::fs::OpenOptions::new()
                .write(true)
                .open(writer_path)
                .unwrap();
            pipe.write_all(text.as_bytes()).unwrap();
        }));
        paths.push(path.to_string_lossy().into_owned());
    }
    // (Were a pipe opened twice, the second open would wait for a writer
    // forever: the run is cut off and fails instead.)
    Test::new()
        .args(&["batch", "--group-by", "account,month", &paths[0], &paths[1]])
        .timeout(std::time::Duration::from_secs(60))
        .stdout_has("1001,2026-01,idcard,9000,2,1000,8000,2,0.15,1200.00,")
        .run();
    for writer in writers {
        writer.join().unwrap();
    }
    // A folder among the files is still refused before anything is written.
    let (_f, file) = crate::files(&[("usage.csv", csv)]);
    let ran = Test::new()
        .args(&["batch", &file[0], dir.path().to_str().unwrap()])
        .status(1)
        .run();
    assert!(ran.stdout.is_empty(), "{}", ran.stdout);
    assert!(
        ran.stderr.contains("cannot read usage file"),
        "{}",
        ran.stderr
    );
}
