//! `curve`: the cost curve's points.

use ocr_bill::PackList;
use serde::Serialize;

use crate::render::{table, Grid, Report};

/// The cost curve.
#[derive(Serialize)]
#[serde(transparent)]
pub struct CurveReport<'a>(pub &'a ocr_bill::Curve);

impl Report for CurveReport<'_> {
    fn human(&self) -> String {
        let mut out = format!(
            "Monthly cost of {} ({}) against calls\n",
            self.0.api, self.0.name
        );
        out.push_str(&table(&self.grid()));
        out
    }

    fn grid(&self) -> Grid {
        let mut g = Grid::new(&[
            "calls",
            "postpaid",
            "postpaid_per_call",
            "with_packs",
            "with_packs_per_call",
            "packs",
        ]);
        let per =
            |d: Option<rust_decimal::Decimal>| d.map(|d| format!("{d:.4}")).unwrap_or_default();
        for p in &self.0.points {
            g.push(vec![
                p.calls.to_string(),
                p.postpaid.to_string(),
                per(p.postpaid_per_call),
                p.with_packs.to_string(),
                per(p.with_packs_per_call),
                PackList(&p.packs).to_string(),
            ]);
        }
        g
    }
}
