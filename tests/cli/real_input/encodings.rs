//! Encodings and line ends as Windows tools save them: GBK, UTF-16, lone CRs,
//! files of several encodings joined.

use crate::files;
use crate::test::Test;

#[test]
fn a_gbk_file_with_chinese_headers_is_billed_right() {
    let text =
        "账号,日期,接口名称,调用量\n张三,2025-06-01,身份证,6000\n李四,2025-06-02,身份证,6000\n\
                张三,2025-06-03,身份证,3000\n";
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable);
    let out = Test::new()
        .args(&["batch", "--group-by", "账号,日期", "-f", "json"])
        .stdin(gbk.to_vec())
        .output();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2, "{stdout}");
    assert_eq!(rows[0]["账号"], "张三");
    assert_eq!(rows[0]["日期"], "2025-06");
    assert_eq!(rows[0]["calls"], 9000);
    assert_eq!(rows[0]["amount"], "1200.00");
    assert_eq!(rows[1]["账号"], "李四");
    assert_eq!(rows[1]["amount"], "750.00");
    // The ledger reads the same file, one account at a time.
    let (_d, p) = files(&[("gbk.csv", "")]);
    std::fs::write(&p[0], &gbk[..]).unwrap();
    let v = Test::new()
        .args(&["ledger", "--usage", &p[0], "--account", "张三"])
        .json();
    assert_eq!(v["months"][0]["bill"], "1200.00");
    // Forcing the wrong encoding is an error naming the place, never mojibake.
    let err = Test::new()
        .args(&["--encoding", "utf-8", "ledger", "--usage", &p[0]])
        .fails(1);
    assert!(
        err.contains("not UTF-8 text at byte") && err.contains("line 1"),
        "{err}"
    );
}

#[test]
fn utf16_without_a_byte_order_mark_is_read_as_utf16() {
    // Some tools (iconv -t UTF-16LE, PowerShell's -Encoding Unicode piped
    // elsewhere) write UTF-16 with no byte-order mark: it is told by its zero
    // bytes, either way round, and billed as the text it is.
    let text =
        "账号\t月份\t接口\t调用量\r\nA\t2026-01\t身份证\t9000\r\nB\t2026-01\tgeneral\t90000\r\n";
    let expected = "账号,月份,接口,调用量,free_calls,billable_calls,tier,unit_price,amount,cliff_calls,cliff_amount\n\
                    A,2026-01,身份证,9000,1000,8000,2,0.15,1200.00,10001,900.10\n\
                    B,2026-01,general,90000,1000,89000,3,0.10,8900.00,100001,5940.06\n";
    let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    for bytes in [le, be] {
        let out = Test::new().arg("batch").stdin(bytes).run();
        assert_eq!(out.stdout, expected);
    }
}

/// Excel for Mac's "CSV (Macintosh)" ends its lines in a lone CR: each is a
/// line, counted as one, in every reader, however large the file (one line
/// of 20 MB would be refused as too long).
#[test]
fn lines_that_end_in_a_lone_cr_are_lines() {
    let mut text = String::from("account,month,api,calls\r");
    for i in 0..800_000u64 {
        text.push_str(&format!(
            "A{},2026-0{},idcard,{}\r",
            i % 3,
            1 + i % 9,
            i % 20_000
        ));
    }
    let lf = text.replace('\r', "\n");
    assert!(text.len() > 16 << 20);
    let grouped = [
        "batch",
        "--group-by",
        "account,month",
        "--negotiated-price",
        "0.04",
    ];
    for args in [vec!["batch"], grouped.to_vec()] {
        let (cr_out, lf_out) = (
            Test::new().args(&args).stdin(text.clone()).run().stdout,
            Test::new().args(&args).stdin(lf.clone()).run().stdout,
        );
        assert!(cr_out == lf_out && cr_out.lines().count() >= 10, "{args:?}");
    }
    // A bad row is told at its line, by batch and by ledger; a CRLF among
    // the lines is one line end.
    // (And lines that end in CRs before their LF, as text converted to CRLF
    // twice has them, are LF lines.)
    for bad in [
        "account,month,api,calls\rA,2026-01,idcard,9000\r\nA,2026-02,idcard,9x\r",
        "account,month,api,calls\r\r\nA,2026-01,idcard,9000\r\r\nA,2026-02,idcard,9x\r\r\n",
    ] {
        for args in [vec!["batch"], vec!["ledger", "--usage", "-"]] {
            let err = Test::new().args(&args).stdin(bad).status(1).run().stderr;
            assert!(
                err.contains("line 3: invalid call count '9x'"),
                "{args:?}: {err}"
            );
        }
    }
    Test::new()
        .args(&["ledger", "--usage", "-", "-f", "csv"])
        .stdin("month,api,calls\r2026-01,idcard,9000\r2026-02,idcard,900\r")
        .stdout_has("\n2026-02,idcard,900,900,")
        .run();
}

#[test]
fn excel_unicode_text_is_tab_separated_utf16_and_billed_right() {
    // Excel's and WPS's "Unicode text" (Unicode 文本): UTF-16LE with a
    // byte-order mark, tab-separated, a count with a comma quoted.
    let text = "账号\t日期\t接口名称\t调用量\r\n张三\t2025-06-01\t身份证\t\"6,000\"\r\n\
                李四\t2025-06-02\t身份证\t6000\r\n张三\t2025-06-03\t身份证\t3000\r\n";
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let out = Test::new()
        .args(&["batch", "--group-by", "账号,日期"])
        .stdin(utf16.clone())
        .run();
    assert_eq!(
        out.stdout,
        "账号,日期,api,calls,rows,free_calls,billable_calls,tier,unit_price,amount,cliff_calls,cliff_amount\n\
         张三,2025-06,idcard,9000,2,1000,8000,2,0.15,1200.00,10001,900.10\n\
         李四,2025-06,idcard,6000,1,1000,5000,2,0.15,750.00,,\n"
    );
    // Row by row, the output is CSV: the fields are written again, not the
    // tab-separated line.
    Test::new()
        .arg("batch")
        .stdin(utf16)
        .stdout_has("\n张三,2025-06-01,身份证,\"6,000\",1000,5000,2,0.15,750.00,,\n")
        .run();
    // The ledger reads the same file.
    let (_d, p) = files(&[("u.txt", &text.replace("\r\n", "\n"))]);
    let v = Test::new()
        .args(&["ledger", "--usage", &p[0], "--account", "张三"])
        .json();
    assert_eq!(v["months"][0]["bill"], "1200.00");
}

#[test]
fn a_gbk_file_whose_first_chinese_text_comes_late_is_billed() {
    // Thousands of ASCII rows, then the first Chinese name, saved as GBK.
    let mut text = String::from("account,month,api,calls\n");
    for i in 0..4000 {
        text.push_str(&format!("acct{i:05},2026-01,idcard,100\n"));
    }
    text.push_str("张三,2026-01,身份证,9000\n");
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    Test::new()
        .arg("batch")
        .stdin(gbk.to_vec())
        .stdout_has("\n张三,2026-01,身份证,9000,1000,8000,2,0.15,1200.00,10001,900.10\n")
        .stderr_has("4001 rows written, total 1200.00 CNY")
        .run();
}

#[test]
fn the_header_of_files_joined_one_after_another_is_read_past() {
    // `cat jan.csv feb.csv`, each saved with its byte-order mark.
    let one = |account: &str| {
        format!("\u{feff}账号,月份,接口,调用量\r\n{account},2026-01,身份证,9000\r\n")
    };
    let joined = one("1") + &one("2");
    Test::new()
        .arg("batch")
        .stdin(joined.clone())
        .stdout_has("\n1,2026-01,身份证,9000,1000,8000,2,0.15,1200.00,10001,900.10\n2,2026-01,")
        .stderr_has("2 rows written, total 2400.00")
        .run();
    Test::new()
        .args(&["batch", "--group-by", "account,month"])
        .stdin(joined.clone())
        .stderr_has("2 rows written, total 2400.00")
        .run();
    let v = Test::new().args(&["ledger", "-"]).stdin(joined).json();
    assert_eq!(v["accounts"][1]["months"][0]["bill"], "1200.00", "{v}");
    // One saved by Excel as GBK, one in UTF-8 (with its byte-order mark or
    // not), in either order, through a pipe or as one file: each read as
    // what it is, as files named one after another are, so that 张三 is one
    // account: 11,000 calls in January, at 0.10. (Before, the second was
    // read in the first's encoding: 张三 in UTF-8 read as GBK is 寮犱笁, a
    // second account, billed 1,350.00 with exit 0.)
    let dir = tempfile::tempdir().unwrap();
    for header in ["account,month,api,calls", "账号,月份,接口,调用量"] {
        let file = |calls: u32| format!("{header}\n张三,2026-01,身份证,{calls}\n");
        let gbk = encoding_rs::GBK.encode(&file(6000)).0.into_owned();
        let utf8 = file(5000).into_bytes();
        let bom = [&b"\xEF\xBB\xBF"[..], &utf8].concat();
        for parts in [[&gbk, &utf8], [&utf8, &gbk], [&gbk, &bom], [&bom, &gbk]] {
            let joined = [&parts[0][..], &parts[1][..]].concat();
            let path = dir.path().join("joined.csv");
            std::fs::write(&path, &joined).unwrap();
            for from_file in [false, true] {
                let test = Test::new().args(&["batch", "--group-by", "account,month"]);
                let out = match from_file {
                    true => test.arg(&path),
                    false => test.stdin(joined.clone()),
                };
                let out = out.stderr_has("1 row written, total 1000.00").run().stdout;
                assert!(
                    out.contains("\n张三,2026-01,idcard,11000,2,1000,10000,3,0.10,1000.00,"),
                    "{header} {from_file}: {out}"
                );
            }
        }
    }
}
