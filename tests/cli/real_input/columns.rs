//! Columns under the names real files give them: order lists' and the console's
//! pack names, an API column beside its billing item, calls made beside calls
//! billed, a doubled column, API names with another name in brackets, the same
//! column options in every subcommand.

use crate::files;
use crate::test::Test;

#[test]
fn ledger_and_plan_take_the_column_options_of_batch() {
    let (_d, p) = files(&[("u.csv", "when,what,n\n2026-01,idcard,9000\n")]);
    let args = |cmd: &str| {
        vec![
            cmd.to_string(),
            "--usage".into(),
            p[0].clone(),
            "--month-column".into(),
            "when".into(),
            "--api-column".into(),
            "what".into(),
            "--calls-column".into(),
            "n".into(),
        ]
    };
    let ledger: Vec<String> = args("ledger");
    let v = Test::new()
        .args(&ledger.iter().map(String::as_str).collect::<Vec<_>>())
        .json();
    assert_eq!(v["months"][0]["bill"], "1200.00");
    let plan: Vec<String> = args("plan");
    let v = Test::new()
        .args(&plan.iter().map(String::as_str).collect::<Vec<_>>())
        .json();
    assert_eq!(v["plans"][0]["monthly"], serde_json::json!([9000]));
    // Stdin, as for batch.
    let out = Test::new()
        .args(&["ledger", "--usage", "-", "-f", "json"])
        .stdin("month,api,calls\n2026-01,idcard,9000\n")
        .output();
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"bill\": \"1200.00\""));
}

#[test]
fn a_pack_order_list_is_read_with_its_own_names() {
    // As an order list names a purchase: 购买时间, 资源包名称, 资源包规格,
    // 数量, 成交价.
    let dir = tempfile::tempdir().unwrap();
    let usage = dir.path().join("usage.csv");
    let packs = dir.path().join("packs.csv");
    std::fs::write(&usage, "月份,接口名称,调用量\n2026-01,户口本识别,11000\n").unwrap();
    std::fs::write(
        &packs,
        "购买时间,资源包名称,资源包规格,数量,成交价\n2026-01-05,通用证照识别,10000,1,700\n",
    )
    .unwrap();
    let v = Test::new()
        .args(&["--edition", "d", "ledger"])
        .arg(usage.to_str().unwrap())
        .args(&["--packs", packs.to_str().unwrap()])
        .json();
    let month = &v["months"][0];
    assert_eq!(month["pack_cost"], "700.00", "{v}");
    assert_eq!(month["lines"][0]["pack_calls"], 10000, "{v}");
    assert_eq!(month["bill"], "0.00", "{v}");
}

#[test]
fn an_api_column_is_read_beside_its_billing_item_and_product() {
    // A console export of a page with three columns of names: the API's is
    // read; the billing item follows from it.
    Test::new()
        .args(&["--edition", "d", "batch", "--group-by", "month"])
        .stdin(
            "服务类别,接口名称,计费项名称,月份,调用量\n\
             卡证文字识别,户口本识别,通用证照识别,2026-01,6000\n\
             卡证文字识别,房产证识别,通用证照识别,2026-01,5000\n",
        )
        .stdout_has("\n2026-01,cards,11000,2,1000,10000,2,0.10,1000.00,,\n")
        .run();
    Test::new()
        .arg("batch")
        .stdin("产品,接口名称,调用量\n文字识别,身份证识别,6000\n")
        .stdout_has(",6000,1000,5000,2,0.15,750.00,")
        .run();
    // Two broader names and no API column: which is meant is asked.
    Test::new()
        .arg("batch")
        .stdin("产品,计费项,调用量\n身份证识别,身份证识别,6000\n")
        .status(1)
        .stderr_has("two api columns, '产品' and '计费项'")
        .run();
}

#[test]
fn calls_made_beside_calls_billed_are_never_chosen_silently() {
    // A console export with the calls made and the calls billed (or the
    // successful ones): which one is billed is the user's choice.
    let file = "日期,接口名称,调用次数,计费次数\n2026-01-01,身份证,9500,9000\n";
    Test::new()
        .arg("batch")
        .stdin(file)
        .status(1)
        .stderr_has("two calls columns, '调用次数' and '计费次数'; expected one (name the one to use with --calls-column)")
        .run();
    Test::new()
        .args(&["batch", "--calls-column", "计费次数"])
        .stdin(file)
        .stdout_has(",9500,9000,1000,8000,2,0.15,1200.00,")
        .run();
    Test::new()
        .arg("batch")
        .stdin("日期,接口名称,成功次数\n2026-01-01,身份证,9000\n")
        .stdout_has(",9000,1000,8000,2,0.15,1200.00,")
        .run();
    // The total beside the successful and failed calls: the successful ones
    // are not taken silently either.
    Test::new()
        .arg("batch")
        .stdin(
            "日期,接口名称,总调用量,成功调用量,失败调用量\n2026-01-02,身份证识别,9000,8000,1000\n",
        )
        .status(1)
        .stderr_has("two calls columns, '总调用量' and '成功调用量'")
        .run();
}

/// `ledger usage.csv` and `plan usage.csv`, as `batch usage.csv` is written:
/// the positional file is a `--usage` file; the same file both ways is
/// refused (its rows would count twice).
#[test]
fn ledger_and_plan_take_the_usage_file_as_batch_does() {
    let usage = "account,month,api,calls\nA,2026-01,idcard,9000\nB,2026-01,idcard,100\nA,2026-02,idcard,12000\n";
    let (_d, p) = files(&[("usage.csv", usage)]);
    for command in ["ledger", "plan"] {
        let flagged = Test::new()
            .args(&[command, "--usage", &p[0], "--account", "A"])
            .json();
        let positional = Test::new().args(&[command, &p[0], "--account", "A"]).json();
        assert_eq!(positional, flagged, "{command}");
        let err = Test::new()
            .args(&[command, &p[0], "--usage", &p[0]])
            .fails(2);
        assert!(err.contains("is given twice"), "{command}: {err}");
    }
    let v = Test::new()
        .args(&["ledger", &p[0], "--account", "A"])
        .json();
    assert_eq!(v["months"][0]["bill"], "1200.00");
    assert_eq!(v["months"][1]["bill"], "1100.00");
}

#[test]
fn a_console_pack_list_names_its_packs_by_their_item() {
    // The packs as Tencent's console lists an account's orders: the pack's
    // name is its billing item's with 资源包 after it.
    let (_d, p) = files(&[
        ("usage.csv", "month,api,calls\n2026-01,idcard,12000\n"),
        (
            "packs.csv",
            "资源包ID,资源包名称,规格,购买时间,到期时间\n\
             PKG-1,身份证识别资源包,10000,2026-01-03 10:00:00,2027-01-03 10:00:00\n",
        ),
    ]);
    let v = Test::new()
        .args(&["ledger", &p[0], "--packs", &p[1]])
        .json();
    let month = &v["months"][0];
    assert_eq!(month["pack_cost"], "800.00", "{v}");
    assert_eq!(month["bill"], "100.00", "{v}");
    Test::new()
        .args(&["postpaid", "--api", "资源包", "--calls", "9000"])
        .status(1)
        .stderr_has("unknown API '资源包'")
        .run();
    // A pack's name over an ambiguous name is refused naming both candidates.
    Test::new()
        .args(&["--edition", "d", "prices", "--api", "混贴票据识别资源包"])
        .status(1)
        .stderr_has("'混贴票据识别' names APIs of 2 billing items")
        .run();
    // Its expiry (a year to the day) is the list's validity; a pack of three
    // months is not billed as one of twelve.
    let (_d, q) = files(&[(
        "packs.csv",
        "资源包名称,规格,购买时间,到期时间
         身份证识别资源包,10000,2026-01-03,2027-01-03
         身份证识别资源包,10000,2026-02-10,2026-05-10
",
    )]);
    Test::new()
        .args(&["ledger", &p[0], "--packs", &q[0]])
        .status(1)
        .stderr_has("line 3: the pack expires 2026-05-10, but packs of this price list are valid 12 months from the month bought (2026-02 through 2027-01)")
        .run();
}

/// Two columns of a role that no option names are told apart by renaming
/// one, in every reader: the usage unit of `ledger` as of `batch`.
#[test]
fn a_doubled_column_no_option_names_is_to_be_renamed() {
    let file = "month,api,calls,计量单位,用量单位\n2026-01,idcard,5,次,次\n";
    let want = "the header has two unit columns, '计量单位' and '用量单位'; expected one (rename or delete the other)";
    let err = Test::new().arg("batch").stdin(file).fails(1);
    assert!(err.contains(want), "{err}");
    let (_d, p) = files(&[("usage.csv", file)]);
    let err = Test::new().args(&["ledger", &p[0]]).fails(1);
    assert!(err.contains(want), "{err}");
}

/// An API written with another of its names in brackets, as a console or a
/// report may write it, is that API; brackets naming another API, or no API,
/// are refused.
#[test]
fn an_api_with_another_of_its_names_in_brackets_is_that_api() {
    for name in [
        "身份证识别（IDCardOCR）",
        "IDCardOCR (身份证识别)",
        "身份证识别(idcard)",
    ] {
        Test::new()
            .arg("batch")
            .stdin(format!("api,calls\n{name},9000\n"))
            .stdout_has(",9000,1000,8000,2,0.15,1200.00,")
            .run();
    }
    for name in [
        "身份证识别（银行卡识别）",
        "身份证识别（高精度版）",
        "idcard()",
    ] {
        Test::new()
            .args(&["postpaid", "--api", name, "--calls", "9000"])
            .status(1)
            .stderr_has(&format!("unknown API '{name}'"))
            .run();
    }
    // A page's own name with brackets is that name (edition c).
    Test::new()
        .args(&[
            "--edition",
            "c",
            "postpaid",
            "--api",
            "通用印刷体识别（高精度版）（GeneralAccurateOCR）",
            "--calls",
            "9000",
        ])
        .stdout_has("4,000.00")
        .run();
}
