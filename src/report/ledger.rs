//! `ledger`: the account's months, its lines and its packs.

use ocr_bill::BillLine;
use serde::Serialize;

use super::price_cell;
use crate::render::{grouped, num, table, Amount, Grid, Report, Summed};

/// The month-by-month ledger.
#[derive(Serialize)]
#[serde(transparent)]
pub struct LedgerReport<'a>(pub &'a ocr_bill::Ledger);

/// The account's columns: the CSV name and the table's heading.
const ACCOUNT: [(&str, &str); 10] = [
    ("pack_cost", "packs bought"),
    ("topups", "top-ups"),
    ("bill", "bill"),
    ("released", "released"),
    ("deducted", "deducted"),
    ("freeze", "freeze"),
    ("balance", "balance"),
    ("available", "available"),
    ("arrears", "arrears"),
    ("events", "events"),
];

/// A line's columns after the month and API, in CSV.
const LINE_CSV: [&str; 6] = [
    "calls",
    "free_calls",
    "pack_calls",
    "billable_calls",
    "unit_price",
    "amount",
];

/// A ledger line's cells, the same in the table and in CSV, added to the row
/// `g` is building.
fn ledger_line(g: &mut Grid, m: &ocr_bill::LedgerMonth, line: &BillLine) {
    g.cell(m.month).cell(&line.api);
    for calls in [
        line.calls,
        line.free_calls,
        line.pack_calls,
        line.billable_calls,
    ] {
        g.cell(calls);
    }
    g.cell(price_cell(line.unit_price)).cell(line.amount);
}

/// The month's first `shown` account cells (of [`ACCOUNT`]), added to the row
/// `g` is building; the events cell, the last, is `events`.
fn account_cells(g: &mut Grid, m: &ocr_bill::LedgerMonth, shown: usize, events: &str) {
    let amounts = [
        Some(m.pack_cost),
        Some(m.topups),
        Some(m.bill),
        Some(m.released),
        Some(m.deducted),
        Some(m.freeze),
        // Empty when no balance is followed.
        m.balance,
        m.available,
        m.arrears,
    ];
    for amount in amounts.iter().take(shown) {
        match amount {
            Some(a) => g.cell(a),
            None => g.cell(""),
        };
    }
    if shown > amounts.len() {
        g.cell(events);
    }
}

fn described<'e>(events: impl Iterator<Item = &'e ocr_bill::Event>) -> String {
    events.map(|e| e.describe()).collect::<Vec<_>>().join("; ")
}

/// The events cell of each row of a month in CSV, a row per billing item: the
/// events of the row's item, and on the first row also those of no item
/// (arrears) and of items without a row this month (a pack expiring unused).
/// So each event is written once, not on every row of the month (a month of
/// many items and many alerts stays the size of its events). Empty for a
/// month without events (most months: nothing is made for them).
fn events_by_row(m: &ocr_bill::LedgerMonth) -> Vec<String> {
    if m.events.is_empty() {
        return Vec::new();
    }
    // (A price list may have a thousand items, each with its alerts.)
    let rows: rustc_hash::FxHashMap<&str, usize> = (m.lines.iter().enumerate())
        .map(|(i, l)| (l.api.as_str(), i))
        .collect();
    let mut each: Vec<Vec<&ocr_bill::Event>> = vec![Vec::new(); m.lines.len().max(1)];
    for e in &m.events {
        let at = e.item().and_then(|item| rows.get(item)).copied();
        each[at.unwrap_or(0)].push(e);
    }
    each.into_iter().map(|e| described(e.into_iter())).collect()
}

impl LedgerReport<'_> {
    /// The months' calls, a row per month and billing item.
    fn calls_grid(&self) -> Grid {
        let headers: Vec<&str> = ["month", "api"]
            .into_iter()
            .chain(super::CALLS_HEADINGS)
            .collect();
        let mut calls = Grid::new(&headers).secondary(&["unit price"]);
        for m in &self.0.months {
            for line in &m.lines {
                ledger_line(&mut calls, m, line);
            }
        }
        calls
    }

    /// The account, a row per month (the balance columns when one is followed).
    fn months_grid(&self) -> Grid {
        let shown = if self.0.balance_tracked { 9 } else { 6 };
        let headers: Vec<&str> = std::iter::once("month")
            .chain(ACCOUNT[..shown].iter().map(|(_, heading)| *heading))
            .collect();
        let mut account = Grid::new(&headers).secondary(&["top-ups", "deducted", "released"]);
        for m in &self.0.months {
            account.cell(m.month);
            account_cells(&mut account, m, shown, "");
        }
        account
    }
}

impl Report for LedgerReport<'_> {
    fn summed(&self) -> Option<Summed> {
        let t = &self.0.totals;
        let mut amounts = vec![
            ("paid_for_packs", Amount::Money(t.paid_for_packs)),
            ("paid_postpaid", Amount::Money(t.paid_postpaid)),
            ("calls_wasted", Amount::Calls(t.calls_wasted)),
            ("value_wasted", Amount::Money(t.value_wasted)),
        ];
        let mut line =
            "paid for packs {}; paid postpaid {}; pack calls wasted by expiry {} (worth {})";
        // The balance, where it is followed.
        if let Some(closing) = t.closing_balance {
            amounts.push(("topups", Amount::Money(t.topups)));
            amounts.push(("closing_balance", Amount::Money(closing)));
            line =
                "paid for packs {}; paid postpaid {}; pack calls wasted by expiry {} (worth {}); \
                    top-ups {}; closing balance {}";
        }
        Some(Summed { amounts, line })
    }

    fn sheets(&self) -> Vec<(String, Grid)> {
        vec![
            ("calls".to_string(), self.calls_grid()),
            ("months".to_string(), self.months_grid()),
        ]
    }

    fn human(&self) -> String {
        let l = self.0;
        let mut out = if let Some(opening) = l.opening_balance {
            format!("Opening balance: {}\n", num(opening))
        } else {
            "No balance followed (give --balance or --topups for the balance and arrears); \
             packs and bills are paid as they fall due.\n"
                .to_string()
        };
        let calls = self.calls_grid();
        if !calls.is_empty() {
            out.push_str(&table(&calls));
        }
        out.push_str(&table(&self.months_grid()));
        let events: Vec<String> = l
            .months
            .iter()
            .flat_map(|m| {
                m.events
                    .iter()
                    .map(move |e| format!("  {}  {}", m.month, e.describe_with(&grouped)))
            })
            .collect();
        if !events.is_empty() {
            out.push_str("Events:\n");
            out.push_str(&events.join("\n"));
            out.push('\n');
        }
        out.push_str("Totals: ");
        out.push_str(&self.summed().map(|s| s.line()).unwrap_or_default());
        out.push('\n');
        for note in self.notes() {
            out.push_str(&format!("Note: {note}\n"));
        }
        out
    }

    fn notes(&self) -> Vec<&str> {
        let l = self.0;
        l.left_out
            .iter()
            .chain(&l.notes)
            .map(String::as_str)
            .collect()
    }

    fn grid(&self) -> Grid {
        let headers: Vec<&str> = ["month", "api"]
            .into_iter()
            .chain(LINE_CSV)
            .chain(ACCOUNT.iter().map(|(name, _)| *name))
            .collect();
        let mut g = Grid::new(&headers);
        g.reserve(self.0.months.iter().map(|m| m.lines.len().max(1)).sum());
        for m in &self.0.months {
            let events = events_by_row(m);
            let events = |row: usize| events.get(row).map_or("", String::as_str);
            if m.lines.is_empty() {
                g.cell(m.month);
                for _ in 0..LINE_CSV.len() + 1 {
                    g.cell("");
                }
                account_cells(&mut g, m, ACCOUNT.len(), events(0));
                continue;
            }
            for (row, line) in m.lines.iter().enumerate() {
                ledger_line(&mut g, m, line);
                account_cells(&mut g, m, ACCOUNT.len(), events(row));
            }
        }
        g
    }
}
