//! The cost curve drawn as an SVG chart (plotters): the month's bill and the
//! price per call against monthly calls, postpaid and with the best packs.

use anyhow::anyhow;
use ocr_bill::Curve;
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

/// The chart as SVG text.
pub fn svg(curve: &Curve) -> anyhow::Result<String> {
    // (calls, postpaid bill, bill with packs, postpaid per call, with packs per call)
    type Point = (f64, f64, f64, Option<f64>, Option<f64>);
    let points: Vec<Point> = curve
        .points
        .iter()
        .map(|p| {
            (
                p.calls as f64,
                p.postpaid.decimal().to_f64().unwrap_or(0.0),
                p.with_packs.decimal().to_f64().unwrap_or(0.0),
                p.postpaid_per_call.and_then(|d| d.to_f64()),
                p.with_packs_per_call.and_then(|d| d.to_f64()),
            )
        })
        .collect();
    // A log scale for calls, so every tier cliff (1k, 10k, 100k, …) shows.
    let points: Vec<_> = points.into_iter().filter(|p| p.0 >= 100.0).collect();
    let min_calls = points.first().map_or(100.0, |p| p.0);
    let max_calls = points.last().map_or(10.0, |p| p.0).max(min_calls * 10.0);
    let max_bill = points.iter().map(|p| p.1.max(p.2)).fold(1.0, f64::max) * 1.05;
    let max_per_call = points
        .iter()
        .flat_map(|p| [p.3, p.4])
        .flatten()
        .fold(0.01, f64::max)
        * 1.1;
    let postpaid_color = RGBColor(200, 40, 40);
    let packs_color = RGBColor(30, 90, 200);
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (900, 800)).into_drawing_area();
        let draw = |e: &dyn std::fmt::Display| anyhow!("drawing the chart: {e}");
        root.fill(&WHITE).map_err(|e| draw(&e))?;
        let root = root
            .titled(
                &format!("{}: monthly cost against calls (tier reaching)", curve.api),
                ("sans-serif", 24),
            )
            .map_err(|e| draw(&e))?;
        let (upper, lower) = root.split_vertically(400);
        let mut bill = ChartBuilder::on(&upper)
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .caption("The month's bill", ("sans-serif", 18))
            .build_cartesian_2d((min_calls..max_calls).log_scale(), 0f64..max_bill)
            .map_err(|e| draw(&e))?;
        bill.configure_mesh()
            .x_desc("calls in the month (log scale)")
            .y_desc("bill (yuan, CNY)")
            .x_label_formatter(&|x| calls_label(*x))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()
            .map_err(|e| draw(&e))?;
        bill.draw_series(LineSeries::new(
            points.iter().map(|p| (p.0, p.1)),
            postpaid_color.stroke_width(2),
        ))
        .map_err(|e| draw(&e))?
        .label("postpaid")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], postpaid_color));
        bill.draw_series(LineSeries::new(
            points.iter().map(|p| (p.0, p.2)),
            packs_color.stroke_width(2),
        ))
        .map_err(|e| draw(&e))?
        .label("with the best packs")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], packs_color));
        bill.configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()
            .map_err(|e| draw(&e))?;

        let mut price = ChartBuilder::on(&lower)
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .caption("Price per call", ("sans-serif", 18))
            .build_cartesian_2d((min_calls..max_calls).log_scale(), 0f64..max_per_call)
            .map_err(|e| draw(&e))?;
        price
            .configure_mesh()
            .x_desc("calls in the month (log scale)")
            .y_desc("yuan per call")
            .x_label_formatter(&|x| calls_label(*x))
            .y_label_formatter(&|y| format!("{y:.3}"))
            .draw()
            .map_err(|e| draw(&e))?;
        price
            .draw_series(LineSeries::new(
                points.iter().filter_map(|p| p.3.map(|v| (p.0, v))),
                postpaid_color.stroke_width(2),
            ))
            .map_err(|e| draw(&e))?
            .label("postpaid")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], postpaid_color));
        price
            .draw_series(LineSeries::new(
                points.iter().filter_map(|p| p.4.map(|v| (p.0, v))),
                packs_color.stroke_width(2),
            ))
            .map_err(|e| draw(&e))?
            .label("with the best packs")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], packs_color));
        price
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()
            .map_err(|e| draw(&e))?;
        root.present().map_err(|e| draw(&e))?;
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
