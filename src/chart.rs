//! The cost curve drawn as an SVG chart (plotters): the month's bill and the
//! price per call against monthly calls, postpaid and with the best packs.

use anyhow::anyhow;
use ocr_bill::Curve;
use plotters::coord::Shift;
use plotters::prelude::*;
use rust_decimal::prelude::ToPrimitive;

/// Calls as people say them: 9,500 → "9.5k", 1,000,000 → "1M".
fn calls_label(calls: f64) -> String {
    let (value, unit) = if calls >= 1e6 {
        (calls / 1e6, "M")
    } else if calls >= 1e3 {
        (calls / 1e3, "k")
    } else {
        (calls, "")
    };
    let text = format!("{value:.1}");
    format!("{}{unit}", text.trim_end_matches(".0"))
}

fn drawing(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("drawing the chart: {e}")
}

const POSTPAID: RGBColor = RGBColor(200, 40, 40);
const PACKS: RGBColor = RGBColor(30, 90, 200);

/// One panel: two series (postpaid, with packs) against calls on a log scale.
struct Panel<'a> {
    caption: &'a str,
    y_desc: &'a str,
    y_decimals: usize,
    legend: SeriesLabelPosition,
    postpaid: Vec<(f64, f64)>,
    packs: Vec<(f64, f64)>,
}

impl Panel<'_> {
    fn draw(
        self,
        area: &DrawingArea<SVGBackend<'_>, Shift>,
        calls: (f64, f64),
    ) -> anyhow::Result<()> {
        let top = self
            .postpaid
            .iter()
            .chain(&self.packs)
            .map(|p| p.1)
            .fold(0.01, f64::max)
            * 1.08;
        let mut chart = ChartBuilder::on(area)
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .caption(self.caption, ("sans-serif", 18))
            .build_cartesian_2d((calls.0..calls.1).log_scale(), 0f64..top)
            .map_err(drawing)?;
        let decimals = self.y_decimals;
        chart
            .configure_mesh()
            .x_desc("calls in the month (log scale)")
            .y_desc(self.y_desc)
            .x_label_formatter(&|x| calls_label(*x))
            .y_label_formatter(&|y| format!("{y:.decimals$}"))
            .draw()
            .map_err(drawing)?;
        for (label, color, series) in [
            ("postpaid", POSTPAID, self.postpaid),
            ("with the best packs", PACKS, self.packs),
        ] {
            chart
                .draw_series(LineSeries::new(series, color.stroke_width(2)))
                .map_err(drawing)?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        }
        chart
            .configure_series_labels()
            .position(self.legend)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()
            .map_err(drawing)?;
        Ok(())
    }
}

/// The chart as SVG text, money in `currency` (the price list's).
pub fn svg(curve: &Curve, currency: &str) -> anyhow::Result<String> {
    // A log scale for calls, so every tier cliff (1k, 10k, 100k, …) shows.
    let points: Vec<_> = curve.points.iter().filter(|p| p.calls >= 100).collect();
    let calls = |p: &&ocr_bill::CurvePoint| p.calls as f64;
    let low = points.first().map_or(100.0, calls);
    let high = points.last().map_or(1000.0, calls).max(low * 10.0);
    let money = |m: ocr_bill::Money| m.decimal().to_f64().unwrap_or(0.0);
    let series = |f: &dyn Fn(&ocr_bill::CurvePoint) -> Option<f64>| -> Vec<(f64, f64)> {
        points
            .iter()
            .filter_map(|p| f(p).map(|v| (p.calls as f64, v)))
            .collect()
    };
    let (bill_desc, per_call_desc) = (format!("bill ({currency})"), format!("{currency} per call"));
    let bill = Panel {
        caption: "The month's bill",
        y_desc: &bill_desc,
        y_decimals: 0,
        legend: SeriesLabelPosition::UpperLeft,
        postpaid: series(&|p| Some(money(p.postpaid))),
        packs: series(&|p| Some(money(p.with_packs))),
    };
    let per_call = Panel {
        caption: "Price per call",
        y_desc: &per_call_desc,
        y_decimals: 3,
        legend: SeriesLabelPosition::UpperRight,
        postpaid: series(&|p| p.postpaid_per_call.and_then(|d| d.to_f64())),
        packs: series(&|p| p.with_packs_per_call.and_then(|d| d.to_f64())),
    };
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (900, 800)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        let root = root
            .titled(
                &format!("{}: monthly cost against calls (tier reaching)", curve.api),
                ("sans-serif", 24),
            )
            .map_err(drawing)?;
        let (upper, lower) = root.split_vertically(400);
        bill.draw(&upper, (low, high))?;
        per_call.draw(&lower, (low, high))?;
        root.present().map_err(drawing)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_labelled_in_k_and_m() {
        assert_eq!(calls_label(0.0), "0");
        assert_eq!(calls_label(9500.0), "9.5k");
        assert_eq!(calls_label(10000.0), "10k");
        assert_eq!(calls_label(1_000_000.0), "1M");
    }
}
