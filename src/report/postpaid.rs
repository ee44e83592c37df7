//! `postpaid`: the month's bill lines, the freeze, the cliffs.

use ocr_bill::{ApiCalls, BillLine, PostpaidBill};
use serde::Serialize;

use super::{lead_cells, price_cell};
use crate::render::{num, table, Grid, Report};

/// The postpaid bill.
#[derive(Serialize)]
#[serde(transparent)]
pub struct Postpaid<'a>(pub &'a PostpaidBill);

const LINE_HEADERS: [&str; 16] = [
    "api",
    "name",
    "calls",
    "free_calls",
    "pack_calls",
    "billable_calls",
    "tier",
    "tier_range",
    "unit_price",
    "gross",
    "voucher",
    "amount",
    "bill",
    "freeze",
    "cliff_calls",
    "cliff_amount",
];

/// One API's CSV row; `bill` and `freeze` are the account's, on every row.
fn line_row(l: &BillLine, bill: &PostpaidBill) -> Vec<String> {
    let calls = [l.calls, l.free_calls, l.pack_calls, l.billable_calls];
    lead_cells(&l.api, &l.name, calls)
        .chain([
            l.tier.to_string(),
            l.tier_range.clone(),
            price_cell(l.unit_price),
            l.gross.to_string(),
            l.voucher.to_string(),
            l.amount.to_string(),
            bill.amount.to_string(),
            bill.freeze.to_string(),
            l.cliff
                .as_ref()
                .map(|c| c.calls.to_string())
                .unwrap_or_default(),
            l.cliff
                .as_ref()
                .map(|c| c.amount.to_string())
                .unwrap_or_default(),
        ])
        .collect()
}

/// `cards = residence-booklet (户口本识别) 6,000 + …`: the APIs whose calls a
/// billing item's line sums, when other than one of the item's own key.
pub fn apis_summed(item: &str, apis: &[ApiCalls]) -> Option<String> {
    let summed = apis.len() > 1 || apis.iter().any(|a| a.api != item);
    summed.then(|| {
        let parts: Vec<String> = apis
            .iter()
            .map(|a| format!("{} ({}) {}", a.api, a.name, num(a.calls)))
            .collect();
        format!("{item} = {}\n", parts.join(" + "))
    })
}

/// The note under a table when more calls would cost less.
pub fn cliff_note(l: &BillLine) -> Option<String> {
    l.cliff.as_ref().map(|c| {
        format!(
            "Tier cliff: {} calls of {} cost {}; at {} calls ({} more) the bill would be {} \
             ({} less), since the month's total picks one unit price for every call.",
            num(l.calls),
            l.api,
            num(l.amount),
            num(c.calls),
            num(c.extra_calls),
            num(c.amount),
            num(c.saving)
        )
    })
}

impl Report for Postpaid<'_> {
    fn human(&self) -> String {
        let bill = self.0;
        let mut g = Grid::new(&[
            "api",
            "name",
            "calls",
            "free",
            "billable",
            "tier reached",
            "unit price",
            "gross",
            "voucher",
            "amount",
        ])
        .secondary(&["name", "gross", "voucher"]);
        for l in &bill.lines {
            g.push(vec![
                l.api.clone(),
                l.name.clone(),
                l.calls.to_string(),
                l.free_calls.to_string(),
                l.billable_calls.to_string(),
                format!("{} ({})", l.tier, l.tier_range),
                price_cell(l.unit_price),
                l.gross.to_string(),
                l.voucher.to_string(),
                l.amount.to_string(),
            ]);
        }
        let mut out = table(&g);
        for l in &bill.lines {
            out.push_str(&apis_summed(&l.api, &l.apis).unwrap_or_default());
        }
        out.push_str(&format!(
            "Bill: {} {} (price list: {})\n{}",
            num(bill.amount),
            bill.currency,
            bill.price_list,
            super::Freeze {
                freeze: bill.freeze,
                freezes: !bill.no_freeze,
            }
            .human()
        ));
        for note in bill.lines.iter().filter_map(cliff_note) {
            out.push_str(&note);
            out.push('\n');
        }
        for note in &bill.notes {
            out.push_str(&format!("Note: {note}\n"));
        }
        out
    }

    fn notes(&self) -> Vec<&str> {
        self.0.notes.iter().map(String::as_str).collect()
    }

    fn grid(&self) -> Grid {
        let mut g = Grid::new(&LINE_HEADERS);
        for l in &self.0.lines {
            g.push(line_row(l, self.0));
        }
        g.with_currency(&self.0.currency)
    }
}
