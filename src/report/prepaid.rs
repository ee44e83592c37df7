//! `prepaid`: one month with packs, for one item or the account.

use ocr_bill::format_price;
use serde::Serialize;

use super::{call_cells, price_cell};
use crate::render::{num, table, Grid, Report};

/// A month with packs.
#[derive(Serialize)]
#[serde(transparent)]
pub struct Prepaid<'a>(pub &'a ocr_bill::PrepaidMonth);

impl Report for Prepaid<'_> {
    fn human(&self) -> String {
        let m = self.0;
        let mut g = Grid::new(&["calls", "source", "unit price", "amount"]);
        g.push(vec![
            m.free_calls.to_string(),
            "free quota (voucher)".into(),
            "-".into(),
            "0.00".into(),
        ]);
        g.push(vec![
            m.pack_calls.to_string(),
            format!("prepaid packs ({} bought)", m.packs.len()),
            "-".into(),
            m.pack_cost.to_string(),
        ]);
        g.push(vec![
            m.billable_calls.to_string(),
            format!("postpaid overage, tier {} ({})", m.tier, m.tier_range),
            price_cell(m.unit_price),
            m.overage_amount.to_string(),
        ]);
        let mut out = format!("{} ({}): {} calls this month\n", m.api, m.name, m.calls);
        out.push_str(&table(&g));
        out.push_str(&format!(
            "Total: {} (packs {} + overage {})\nCalls left in the packs: {}\n",
            m.total, m.pack_cost, m.overage_amount, m.pack_calls_left
        ));
        for e in &m.alerts {
            out.push_str(&format!("Alert: {}\n", e.describe()));
        }
        for note in &m.notes {
            out.push_str(&format!("Note: {note}\n"));
        }
        out
    }

    fn grid(&self) -> Grid {
        let m = self.0;
        let mut g = Grid::new(&[
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
        ]);
        let calls = call_cells(m.calls, m.free_calls, m.pack_calls, m.billable_calls);
        g.push(
            [m.api.clone(), m.name.clone()]
                .into_iter()
                .chain(calls)
                .chain([
                    m.tier.to_string(),
                    m.unit_price.map(format_price).unwrap_or_default(),
                    m.pack_cost.to_string(),
                    m.overage_amount.to_string(),
                    m.total.to_string(),
                    m.pack_calls_left.to_string(),
                    m.alerts
                        .iter()
                        .map(|e| e.describe())
                        .collect::<Vec<_>>()
                        .join("; "),
                ])
                .collect(),
        );
        g
    }
}

/// An account's month of several billing items with packs.
#[derive(Serialize)]
pub struct PrepaidAccount<'a> {
    months: &'a [ocr_bill::PrepaidMonth],
    total: ocr_bill::Money,
}

impl<'a> PrepaidAccount<'a> {
    pub fn new(months: &'a [ocr_bill::PrepaidMonth]) -> anyhow::Result<Self> {
        Ok(PrepaidAccount {
            months,
            total: ocr_bill::Money::checked_sum(months.iter().map(|m| m.total))?,
        })
    }
}

impl Report for PrepaidAccount<'_> {
    fn human(&self) -> String {
        let mut out: String = self
            .months
            .iter()
            .map(|m| Prepaid(m).human())
            .collect::<Vec<_>>()
            .join("\n");
        out.push_str(&format!("\nAccount total: {}\n", num(self.total)));
        out
    }

    fn grid(&self) -> Grid {
        let mut grids = self.months.iter().map(|m| Prepaid(m).grid());
        let mut all = grids.next().unwrap_or_else(|| Grid::new::<&str>(&[]));
        for g in grids {
            all.rows.extend(g.rows);
        }
        all
    }
}
