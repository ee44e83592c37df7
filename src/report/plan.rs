//! `plan`: the options of one plan, or of each item of a usage file.

use ocr_bill::{Month, PackList};
use serde::Serialize;

use super::{call_cells, price_cell};
use crate::render::{grouped, num, table, Amount, Grid, Report, Summed};

/// One plan as text; `first` is the calendar month of its first month, when
/// the months are a usage file's.
fn plan_human(p: &ocr_bill::Plan, first: Option<Month>) -> String {
    let span = match (first, p.monthly.len()) {
        (Some(first), 1) => format!(" ({first})"),
        (Some(first), n) => format!(" ({first} to {})", first.plus(n as u32 - 1)),
        (None, _) => String::new(),
    };
    let mut out = format!(
        "Plan for {} ({}), {} month{}{span}: {}\n",
        p.api,
        p.name,
        p.monthly.len(),
        if p.monthly.len() == 1 { "" } else { "s" },
        p.monthly
            .iter()
            .map(|&calls| num(calls))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut g = Grid::new(&[
        "option",
        "packs bought",
        "pack calls",
        "packs",
        "postpaid",
        "cost",
        "vs cheapest",
    ]);
    for o in &p.options {
        g.push(vec![
            o.label.describe().to_string(),
            PackList(&o.packs).human(&grouped),
            o.pack_calls.to_string(),
            o.pack_cost.to_string(),
            o.postpaid_cost.to_string(),
            o.cost.to_string(),
            // (Raw, as the other money cells: the table groups its digits
            // and aligns the column right.)
            format!(
                "+{}",
                o.cost
                    .checked_sub(p.cheapest.option.cost)
                    .unwrap_or(ocr_bill::Money::ZERO)
            ),
        ]);
    }
    out.push_str(&table(&g));
    let mut savings = Vec::new();
    let cheapest = match p.cheapest.option.packs.is_empty() {
        true => "all postpaid, no packs,".to_string(),
        false => {
            savings.push(format!(
                "{} against all postpaid",
                num(p.saving_vs_postpaid)
            ));
            PackList(&p.cheapest.option.packs).human(&grouped)
        }
    };
    // (An item without packs has no such option.)
    if p.option(ocr_bill::PlanChoice::PacksAllCalls).is_some() {
        savings.push(format!(
            "{} against packs for every call",
            num(p.saving_vs_packs_all_calls)
        ));
    }
    out.push_str(&format!(
        "Cheapest: {cheapest} for {}",
        num(p.cheapest.option.cost)
    ));
    if !savings.is_empty() {
        out.push_str(&format!("; saves {}", savings.join(" and ")));
    }
    out.push_str(".\n");
    let headers: Vec<&str> = std::iter::once("month")
        .chain(super::CALLS_HEADINGS)
        .collect();
    let mut m = Grid::new(&headers);
    for month in &p.cheapest.months {
        let calls = call_cells(
            month.calls,
            month.free_calls,
            month.pack_calls,
            month.billable_calls,
        );
        let label = match first {
            Some(first) => first.plus(month.month as u32 - 1).to_string(),
            None => month.month.to_string(),
        };
        m.push(
            std::iter::once(label)
                .chain(calls)
                .chain([price_cell(month.unit_price), month.amount.to_string()]),
        );
    }
    out.push_str(&table(&m));
    for note in &p.notes {
        out.push_str(&format!("Note: {note}\n"));
    }
    out
}

const PLAN_HEADERS: [&str; 8] = [
    "api",
    "option",
    "packs",
    "pack_calls",
    "pack_cost",
    "postpaid_cost",
    "cost",
    "cheapest",
];

fn plan_rows(p: &ocr_bill::Plan, g: &mut Grid) {
    for o in &p.options {
        g.push(vec![
            p.api.clone(),
            o.label.key().to_string(),
            PackList(&o.packs).to_string(),
            o.pack_calls.to_string(),
            o.pack_cost.to_string(),
            o.postpaid_cost.to_string(),
            o.cost.to_string(),
            (o.label == ocr_bill::PlanChoice::Cheapest).to_string(),
        ]);
    }
}

/// One API's plan.
#[derive(Serialize)]
#[serde(transparent)]
pub struct PlanReport<'a>(pub &'a ocr_bill::Plan);

impl Report for PlanReport<'_> {
    fn human(&self) -> String {
        plan_human(self.0, None)
    }

    fn notes(&self) -> Vec<&str> {
        self.0.notes.iter().map(String::as_str).collect()
    }

    fn grid(&self) -> Grid {
        let mut g = Grid::new(&PLAN_HEADERS);
        plan_rows(self.0, &mut g);
        g
    }
}

/// Plans for every billing item of a usage file, over its months (`from` to
/// `until`; a plan's month 1 is `from`), or of the command line's `--api`s
/// (no calendar months).
#[derive(Serialize)]
pub struct Plans<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<Month>,
    #[serde(skip_serializing_if = "Option::is_none")]
    until: Option<Month>,
    plans: &'a [ocr_bill::Plan],
    cost: ocr_bill::Money,
    postpaid_cost: ocr_bill::Money,
    saving_vs_postpaid: ocr_bill::Money,
    /// What the plans together assumed (an account's free calls, which each
    /// item's plan counts).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
}

impl<'a> Plans<'a> {
    pub fn new(
        plans: &'a [ocr_bill::Plan],
        from: Option<Month>,
        notes: Vec<String>,
    ) -> anyhow::Result<Self> {
        let months = plans.first().map_or(1, |p| p.monthly.len());
        let cost = ocr_bill::Money::checked_sum(plans.iter().map(|p| p.cheapest.option.cost))?;
        let postpaid_cost = ocr_bill::Money::checked_sum(plans.iter().map(|p| {
            p.option(ocr_bill::PlanChoice::AllPostpaid)
                .expect("every plan has all-postpaid")
                .cost
        }))?;
        Ok(Plans {
            from,
            until: from.map(|from| from.plus(months as u32 - 1)),
            plans,
            cost,
            postpaid_cost,
            saving_vs_postpaid: postpaid_cost.checked_sub(cost)?,
            notes,
        })
    }
}

impl Report for Plans<'_> {
    fn human(&self) -> String {
        let mut out = String::new();
        for p in self.plans {
            out.push_str(&plan_human(p, self.from));
            out.push('\n');
        }
        out.push_str("All APIs: ");
        out.push_str(&self.summed().map(|s| s.line()).unwrap_or_default());
        out.push('\n');
        for note in &self.notes {
            out.push_str(&format!("Note: {note}\n"));
        }
        out
    }

    fn summed(&self) -> Option<Summed> {
        Some(Summed {
            amounts: vec![
                ("cost", Amount::Money(self.cost)),
                ("postpaid_cost", Amount::Money(self.postpaid_cost)),
                ("saving_vs_postpaid", Amount::Money(self.saving_vs_postpaid)),
            ],
            line: "cheapest {} against {} all postpaid (saves {}).",
        })
    }

    fn notes(&self) -> Vec<&str> {
        (self.plans.iter().flat_map(|p| &p.notes))
            .chain(&self.notes)
            .map(String::as_str)
            .collect()
    }

    fn grid(&self) -> Grid {
        let mut g = Grid::new(&PLAN_HEADERS);
        for p in self.plans {
            plan_rows(p, &mut g);
        }
        g
    }
}
