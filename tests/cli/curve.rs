//! `curve`: the cost curve as CSV, JSON and an SVG chart.

use crate::s;
use crate::test::Test;

#[test]
fn curve_csv_has_both_sides_of_every_cliff() {
    let out = Test::new().args(&["curve", "--api", "idcard"]).output();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with(
        "calls,postpaid,postpaid_per_call,with_packs,with_packs_per_call,packs,currency\n"
    ));
    assert!(text.contains("\n10000,1350.00,0.1350,"), "{text}");
    assert!(text.contains("\n10001,900.10,0.0900,"), "{text}");
    assert!(text.contains("\n100000,9900.00,"), "{text}");
    assert!(text.contains("\n100001,5940.06,"), "{text}");
    // Stops at the contact-sales bound without a negotiated price.
    assert!(
        text.trim_end()
            .lines()
            .last()
            .unwrap()
            .starts_with("1000000,"),
        "{text}"
    );
    // With packs the month never costs more than postpaid.
    let mut r = csv::Reader::from_reader(text.as_bytes());
    for row in r.records() {
        let row = row.unwrap();
        let postpaid: f64 = row[1].parse().unwrap();
        let packs: f64 = row[3].parse().unwrap();
        assert!(packs <= postpaid, "{row:?}");
    }
}

#[test]
fn curve_svg_parses_and_holds_both_series() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("idcard.svg");
    let out = Test::new()
        .args(&[
            "curve",
            "--api",
            "idcard",
            "--max",
            "200k",
            "--svg",
            path.to_str().unwrap(),
        ])
        .output();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svg = std::fs::read_to_string(&path).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let lines = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "polyline")
        .count();
    assert!(lines >= 4, "two series in two panels: {lines}");
    let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
    for want in [
        "postpaid",
        "with the best packs",
        "bill (CNY)",
        "CNY per call",
        "10k",
        "100k",
    ] {
        assert!(texts.iter().any(|t| t.contains(want)), "no {want}");
    }
    // The axes name the edition's currency.
    let path = dir.path().join("intl.svg");
    Test::new()
        .args(&["--edition", "intl", "curve", "--api", "general"])
        .args(&["--max", "200k", "--svg", path.to_str().unwrap()])
        .run();
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(
        svg.contains("bill (USD)") && svg.contains("USD per call") && !svg.contains("CNY"),
        "{svg}"
    );
}

#[test]
fn curve_errors_and_json() {
    let err = Test::new()
        .args(&["curve", "--api", "idcard", "--max", "2M"])
        .fails(1);
    assert!(err.contains("contact-sales"), "{err}");
    let v = Test::new()
        .args(&[
            "curve",
            "--api",
            "idcard",
            "--max",
            "2M",
            "--negotiated-price",
            "0.04",
            "--points",
            "20",
        ])
        .json();
    let last = v["points"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["calls"], 2000000);
    assert_eq!(s(&last, "postpaid"), "79960.00");
    let err = Test::new()
        .args(&["curve", "--api", "idcard", "--points", "0"])
        .fails(1);
    assert!(err.contains("--points 0"), "{err}");
}
