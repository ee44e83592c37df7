//! `ledger`: the account's months, its lines and its packs.

use ocr_bill::BillLine;
use serde::Serialize;

use super::{call_cells, price_cell};
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

/// A ledger line's cells, the same in the table and in CSV.
fn ledger_line(m: &ocr_bill::LedgerMonth, line: &BillLine) -> Vec<String> {
    let calls = call_cells(
        line.calls,
        line.free_calls,
        line.pack_calls,
        line.billable_calls,
    );
    [m.month.to_string(), line.api.clone()]
        .into_iter()
        .chain(calls)
        .chain([price_cell(line.unit_price), line.amount.to_string()])
        .collect()
}

/// An amount as a cell; empty for none.
fn optional(m: Option<ocr_bill::Money>) -> String {
    m.map(|m| m.to_string()).unwrap_or_default()
}

/// The month's account cells, its events last (all of them).
fn account_cells(m: &ocr_bill::LedgerMonth) -> Vec<String> {
    let mut cells = account_amounts(m);
    cells.push(described(m.events.iter()));
    cells
}

fn described<'e>(events: impl Iterator<Item = &'e ocr_bill::Event>) -> String {
    events.map(|e| e.describe()).collect::<Vec<_>>().join("; ")
}

/// The month's account cells but its events.
fn account_amounts(m: &ocr_bill::LedgerMonth) -> Vec<String> {
    vec![
        m.pack_cost.to_string(),
        m.topups.to_string(),
        m.bill.to_string(),
        m.released.to_string(),
        m.deducted.to_string(),
        m.freeze.to_string(),
        // Empty when no balance is followed.
        optional(m.balance),
        optional(m.available),
        optional(m.arrears),
    ]
}

/// The events cell of each row of a month in CSV, a row per billing item: the
/// events of the row's item, and on the first row also those of no item
/// (arrears) and of items without a row this month (a pack expiring unused).
/// So each event is written once, not on every row of the month (a month of
/// many items and many alerts stays the size of its events).
fn events_by_row(m: &ocr_bill::LedgerMonth) -> Vec<String> {
    let rows: std::collections::HashMap<&str, usize> = m
        .lines
        .iter()
        .enumerate()
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
                calls.push(ledger_line(m, line));
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
            let c = account_cells(m);
            account.push(
                std::iter::once(m.month.to_string())
                    .chain(c.into_iter().take(shown))
                    .collect(),
            );
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
        if !calls.rows.is_empty() {
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
        for m in &self.0.months {
            let account = account_amounts(m);
            let events = events_by_row(m);
            if m.lines.is_empty() {
                let mut row = vec![m.month.to_string()];
                row.extend(std::iter::repeat_n(String::new(), 7));
                row.extend(account.clone());
                row.extend(events);
                g.push(row);
                continue;
            }
            for (line, events) in m.lines.iter().zip(events) {
                let mut row = ledger_line(m, line);
                row.extend(account.clone());
                row.push(events);
                g.push(row);
            }
        }
        g
    }
}
