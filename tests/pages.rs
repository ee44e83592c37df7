//! Each built-in edition against the price tables of the page it was
//! transcribed from (verbatim copies in `tests/data/pages`): every row of a
//! postpaid table is billed under the billing item the row names, at the row's
//! price at both ends of each tier's range as the header states it, and every
//! cell of a pack table is the item's pack of that size, at that price, not
//! sold (`——`) or sold only at a price paid (`联系商务`). Tables without call
//! prices (free-beta lists, QPS add-ons, comparisons) are left out.

use ocr_bill::{PackPrice, PriceList, TierPrice};
use rust_decimal::Decimal;

/// Edition name and its page.
const PAGES: [(&str, &str); 7] = [
    (
        "a",
        include_str!("data/pages/tencent-ocr-billing-A-oldest.md"),
    ),
    ("b", include_str!("data/pages/tencent-ocr-billing-B.md")),
    (
        "seed",
        include_str!("data/pages/tencent-ocr-billing-seed.zh.md"),
    ),
    (
        "c",
        include_str!("data/pages/tencent-ocr-billing-C-15-apis.md"),
    ),
    (
        "d",
        include_str!("data/pages/tencent-ocr-billing-D-shared-items.md"),
    ),
    (
        "e",
        include_str!("data/pages/tencent-ocr-billing-E-lower-inclusive.md"),
    ),
    (
        "intl",
        include_str!("data/pages/tencent-ocr-billing-intl.md"),
    ),
];

/// The tables of a page, HTML (`<table>`, with `rowspan` and `colspan` cells
/// repeated into every row and column they span) and Markdown (`| a | b |`),
/// each a grid of cell texts, the header first.
fn tables(page: &str) -> Vec<Vec<Vec<String>>> {
    let mut tables = html_tables(page);
    let mut grid: Vec<Vec<String>> = Vec::new();
    for line in page.lines().chain([""]) {
        let line = line.trim();
        if line.starts_with('|') {
            let cells: Vec<String> = line
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect();
            // The line under the header (`| --- | --- |`).
            if !cells.iter().all(|c| c.chars().all(|ch| ch == '-')) {
                grid.push(cells);
            }
        } else if !grid.is_empty() {
            tables.push(std::mem::take(&mut grid));
        }
    }
    tables
}

fn html_tables(page: &str) -> Vec<Vec<Vec<String>>> {
    let mut tables = Vec::new();
    for table in page.split("<table").skip(1) {
        let table = table.split("</table>").next().unwrap_or_default();
        // Cells still spanning rows below: column → (text, rows left).
        let mut spans: std::collections::BTreeMap<usize, (String, usize)> = Default::default();
        let mut grid = Vec::new();
        for row in table.split("<tr").skip(1) {
            let mut cells = Vec::new();
            let mut pieces = row
                .split("<t")
                .skip(1)
                .filter(|p| p.starts_with(['d', 'h']));
            let mut col = 0;
            loop {
                if let Some((text, left)) = spans.get_mut(&col) {
                    cells.push(text.clone());
                    *left -= 1;
                    if *left == 0 {
                        spans.remove(&col);
                    }
                    col += 1;
                    continue;
                }
                let Some(piece) = pieces.next() else {
                    if spans.keys().any(|&c| c > col) {
                        col += 1;
                        continue;
                    }
                    break;
                };
                let (attributes, rest) = piece.split_once('>').expect("a cell's tag closes");
                let text = plain(rest.split("</t").next().unwrap_or_default());
                let span = |name: &str| {
                    attributes
                        .split(name)
                        .nth(1)
                        .and_then(|s| s.trim_start_matches(['=', '"']).split('"').next())
                        .map_or(1, |n| n.parse::<usize>().expect("a span is a number"))
                };
                for _ in 0..span("colspan") {
                    if span("rowspan") > 1 {
                        spans.insert(col, (text.clone(), span("rowspan") - 1));
                    }
                    cells.push(text.clone());
                    col += 1;
                }
            }
            grid.push(cells);
        }
        tables.push(grid);
    }
    tables
}

/// A cell's text without its tags (`<a href=…>名称</a>`), trimmed.
fn plain(html: &str) -> String {
    // A `<` opens a tag only before a letter or `/`: `0 < 调用量` is text.
    let mut text = String::new();
    let mut in_tag = false;
    let mut chars = html.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '<' if chars
                .peek()
                .is_some_and(|n| n.is_ascii_alphabetic() || *n == '/') =>
            {
                in_tag = true
            }
            '>' if in_tag => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.trim().to_string()
}

/// The numbers of a header or cell, `万` read as 10,000: `1万 < 调用量 ≤ 10万`
/// → [10000, 100000]; `5,000 元` → [5000].
fn numbers(text: &str) -> Vec<Decimal> {
    let text = text.replace([',', ' '], "");
    let mut found = Vec::new();
    let mut digits = String::new();
    for c in text.chars().chain([' ']) {
        if c.is_ascii_digit() || (c == '.' && !digits.is_empty()) {
            digits.push(c);
            continue;
        }
        if !digits.is_empty() {
            let n: Decimal = digits.parse().expect("a number");
            found.push(if c == '万' {
                n * Decimal::from(10_000)
            } else {
                n
            });
            digits.clear();
        }
    }
    found
}

/// The call counts at both ends of a tier header's range (`1000<调用量≤1 万`
/// → 1001 and 10000; `1万 ≤ 月调用量 < 10万` → 10000 and 99999; `100 万以上` →
/// 1000001 and far above).
fn ends(header: &str) -> (u64, u64) {
    let n: Vec<u64> = numbers(header)
        .iter()
        .map(|d| u64::try_from(*d).expect("a whole count"))
        .collect();
    let lower_inclusive =
        header.contains("≤ 月") || header.contains("≤月") || header.contains("及以上");
    let first = if lower_inclusive { n[0] } else { n[0] + 1 };
    if header.contains("以上") {
        return (first, 1_000_000_000);
    }
    let upper_inclusive = !lower_inclusive && header.contains('≤');
    (first, if upper_inclusive { n[1] } else { n[1] - 1 })
}

/// What a price cell says: a price (`0.15 元/次`, `免费` is 0), or `None` for
/// contact sales (`联系商务`, `请联系商务`).
fn price_cell(cell: &str) -> Option<Decimal> {
    if cell.contains("联系商务") {
        return None;
    }
    if cell == "免费" {
        return Some(Decimal::ZERO);
    }
    let n = numbers(cell);
    assert!(n.len() == 1, "a price cell: {cell}");
    Some(n[0])
}

fn same_name(a: &str, b: &str) -> bool {
    let bare = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    bare(a) == bare(b)
}

#[test]
fn every_edition_bills_its_pages_price_tables() {
    for (edition, page) in PAGES {
        let list = PriceList::edition(edition).unwrap();
        let bounds = list.settings.tier_bounds;
        let (mut tier_rows, mut pack_rows) = (0, 0);
        for table in tables(page) {
            let header = &table[0];
            let is_tier = |h: &String| h.contains("调用量") && h != "月接口调用总量";
            let is_size = |h: &String| {
                let h = h.replace(' ', "");
                h.ends_with('次')
                    && h.trim_end_matches('次')
                        .trim_end_matches('万')
                        .parse::<u64>()
                        .is_ok()
            };
            let Some(first) = header.iter().position(|h| is_tier(h) || is_size(h)) else {
                continue;
            };
            let tiers = is_tier(&header[first]);
            // The API column (`接口名称`, else the one before the prices) and,
            // where the page has one, the billing item's.
            let api_col = header
                .iter()
                .position(|h| h.contains("接口名称"))
                .unwrap_or(first - 1);
            let item_col = header
                .iter()
                .position(|h| h == "资源包名称" || h == "计费项名称");
            for row in &table[1..] {
                let mut row = row.clone();
                // Edition b's VAT row opens its prices with a `免费` cell that its
                // header has no column for.
                if row.len() == header.len() + 1 && row[first] == "免费" {
                    row.remove(first);
                }
                assert_eq!(row.len(), header.len(), "{edition}: row {row:?}");
                let api = &row[api_col];
                // A name the page lists under two items is found by the item's.
                let item = match list.item(api) {
                    Ok(item) => item,
                    Err(e) => {
                        let named = item_col
                            .map(|c| &row[c])
                            .unwrap_or_else(|| panic!("{edition}: {api}: {e}"));
                        assert!(
                            e.to_string().contains("names APIs of 2 billing items"),
                            "{edition}: {api}: {e}"
                        );
                        list.items
                            .iter()
                            .find(|i| same_name(&i.name, named))
                            .unwrap_or_else(|| panic!("{edition}: no item {named}"))
                    }
                };
                if let Some(c) = item_col {
                    assert!(
                        same_name(&item.name, &row[c])
                            || list.item(&row[c]).is_ok_and(|i| i.key == item.key),
                        "{edition}: {api} is billed as {}, the page says {}",
                        item.name,
                        row[c]
                    );
                }
                for (h, cell) in header[first..].iter().zip(&row[first..]) {
                    if tiers {
                        let want = price_cell(cell);
                        let (low, high) = ends(h);
                        for calls in [low, high] {
                            let got = match item.tier_for(calls, bounds).price {
                                TierPrice::List(p) => Some(p),
                                TierPrice::ContactSales { .. } => None,
                            };
                            assert_eq!(got, want, "{edition}: {api}, {calls} calls ({h}): {cell}");
                        }
                    } else {
                        let size = u64::try_from(numbers(h)[0]).unwrap();
                        let got = item
                            .pack_cells
                            .iter()
                            .find(|p| p.calls == size)
                            .map(|p| p.price);
                        let want = if cell.contains("联系商务") {
                            Some(PackPrice::ContactSales)
                        } else if cell.starts_with('—') || cell == "-" {
                            Some(PackPrice::NotSold)
                        } else {
                            Some(PackPrice::List(numbers(cell)[0]))
                        };
                        // A size not sold may also be missing from the table.
                        if !(want == Some(PackPrice::NotSold) && got.is_none()) {
                            assert_eq!(got, want, "{edition}: {api}, pack of {size}: {cell}");
                        }
                    }
                }
                if tiers {
                    tier_rows += 1;
                } else {
                    pack_rows += 1;
                }
            }
        }
        // Every page has a postpaid table; a page with packs, a pack table.
        assert!(
            tier_rows >= list.items.len().min(3),
            "{edition}: {tier_rows} postpaid rows read"
        );
        if list.items.iter().any(|i| !i.packs.is_empty()) {
            assert!(pack_rows > 0, "{edition}: no pack rows read");
        }
        eprintln!("{edition}: {tier_rows} postpaid rows, {pack_rows} pack rows");
    }
}
