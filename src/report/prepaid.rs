//! `prepaid`: one month with packs, for one item or the account.

use serde::Serialize;

use super::{lead_cells, price_cell, Freeze};
use crate::render::{grouped, num, table, Grid, Report};

/// A month with packs, and the freeze it leaves.
#[derive(Serialize)]
pub struct Prepaid<'a> {
    #[serde(flatten)]
    pub month: &'a ocr_bill::PrepaidMonth,
    #[serde(flatten)]
    pub freeze: Freeze,
}

impl Report for Prepaid<'_> {
    fn human(&self) -> String {
        let mut out = month_human(self.month);
        out.push_str(&self.freeze.human());
        out
    }

    fn notes(&self) -> Vec<&str> {
        self.month.notes.iter().map(String::as_str).collect()
    }

    fn grid(&self) -> Grid {
        let mut g = Grid::new(&PREPAID_CSV);
        g.push(month_row(self.month, self.freeze.freeze));
        g
    }
}

/// The CSV columns of an item's month with packs; `freeze` is the account's.
const PREPAID_CSV: [&str; 14] = [
    "api",
    "name",
    "calls",
    "free_calls",
    "pack_calls",
    "billable_calls",
    "tier",
    "unit_price",
    "pack_cost",
    "overage_amount",
    "total",
    "pack_calls_left",
    "alerts",
    "freeze",
];

/// An item's month with packs, for people.
fn month_human(m: &ocr_bill::PrepaidMonth) -> String {
    let mut g = Grid::new(&["calls", "source", "unit price", "amount"]);
    g.push(vec![
        m.free_calls.to_string(),
        "free quota (voucher)".into(),
        String::new(),
        "0.00".into(),
    ]);
    g.push(vec![
        m.pack_calls.to_string(),
        format!(
            "prepaid packs ({} bought)",
            m.packs.iter().map(|p| p.packs).sum::<u64>()
        ),
        String::new(),
        m.pack_cost.to_string(),
    ]);
    g.push(vec![
        m.billable_calls.to_string(),
        format!("postpaid overage, tier {} ({})", m.tier, m.tier_range),
        price_cell(m.unit_price),
        m.overage_amount.to_string(),
    ]);
    let mut out = format!(
        "{} ({}): {} {} this month\n",
        m.api,
        m.name,
        num(m.calls),
        ocr_bill::plural(m.calls, "call")
    );
    out.push_str(&super::postpaid::apis_summed(&m.api, &m.apis).unwrap_or_default());
    out.push_str(&table(&g));
    out.push_str(&format!(
        "Total: {} (packs {} + overage {})\nCalls left in the packs: {}\n",
        num(m.total),
        num(m.pack_cost),
        num(m.overage_amount),
        num(m.pack_calls_left)
    ));
    for e in &m.alerts {
        out.push_str(&format!("Alert: {}\n", e.describe_with(&grouped)));
    }
    for note in &m.notes {
        out.push_str(&format!("Note: {note}\n"));
    }
    out
}

/// An item's month with packs as a CSV row, with the account's freeze.
fn month_row(m: &ocr_bill::PrepaidMonth, freeze: ocr_bill::Money) -> Vec<String> {
    let calls = [m.calls, m.free_calls, m.pack_calls, m.billable_calls];
    lead_cells(&m.api, &m.name, calls)
        .chain([
            m.tier.to_string(),
            price_cell(m.unit_price),
            m.pack_cost.to_string(),
            m.overage_amount.to_string(),
            m.total.to_string(),
            m.pack_calls_left.to_string(),
            m.alerts
                .iter()
                .map(|e| e.describe())
                .collect::<Vec<_>>()
                .join("; "),
            freeze.to_string(),
        ])
        .collect()
}

/// An account's month of several billing items with packs, and the freeze
/// the account's month leaves.
#[derive(Serialize)]
pub struct PrepaidAccount<'a> {
    months: &'a [ocr_bill::PrepaidMonth],
    total: ocr_bill::Money,
    #[serde(flatten)]
    freeze: Freeze,
    /// What the account's month assumed (free calls shared by its items).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
}

impl<'a> PrepaidAccount<'a> {
    pub fn new(
        months: &'a [ocr_bill::PrepaidMonth],
        freeze: Freeze,
        notes: Vec<String>,
    ) -> anyhow::Result<Self> {
        Ok(PrepaidAccount {
            months,
            total: ocr_bill::Money::checked_sum(months.iter().map(|m| m.total))?,
            freeze,
            notes,
        })
    }
}

impl Report for PrepaidAccount<'_> {
    fn human(&self) -> String {
        let mut out: String = self
            .months
            .iter()
            .map(month_human)
            .collect::<Vec<_>>()
            .join("\n");
        out.push_str(&format!("\nAccount total: {}\n", num(self.total)));
        out.push_str(&self.freeze.human());
        for note in &self.notes {
            out.push_str(&format!("Note: {note}\n"));
        }
        out
    }

    fn notes(&self) -> Vec<&str> {
        (self.months.iter().flat_map(|m| &m.notes))
            .chain(&self.notes)
            .map(String::as_str)
            .collect()
    }

    fn grid(&self) -> Grid {
        let mut g = Grid::new(&PREPAID_CSV);
        for m in self.months {
            g.push(month_row(m, self.freeze.freeze));
        }
        g
    }
}
