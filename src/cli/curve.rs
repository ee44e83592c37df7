//! `ocr-bill curve`: the cost curve, as data and an SVG chart.

use std::fs;

use anyhow::Context;
use ocr_bill::{parse_count, PriceList};

use super::args::CurveArgs;
use super::input::calculator;
use super::{flag_named, Out};
use crate::render::{render, Format};
use crate::report as reports;

pub(super) fn run(prices: &PriceList, args: &CurveArgs, out: &Out) -> anyhow::Result<Vec<u8>> {
    let calc = calculator(prices, args.negotiated_price.as_deref())?;
    let api = prices.item(&args.api)?;
    let max = args.max.as_deref().map(parse_count).transpose()?;
    let curve = calc
        .curve(api, max, args.points)
        .map_err(|e| flag_named(e, "--points"))?;
    if let Some(path) = &args.svg {
        let svg = crate::chart::svg(&curve, &prices.settings.currency)?;
        fs::write(path, svg)
            .with_context(|| format!("cannot write the chart to {}", path.display()))?;
    }
    // CSV unless asked otherwise: a curve is data for a chart.
    render(
        &reports::Priced::new(prices, reports::CurveReport(&curve)),
        out.given.unwrap_or(Format::Csv),
        out.style,
    )
}
