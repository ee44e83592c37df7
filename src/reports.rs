//! How each result looks in each format: JSON is the lib's serialized struct,
//! CSV and the human table are built here.

use ocr_bill::{format_price, Api, BillLine, PostpaidBill, PriceList, Settings, TierPrice};
use serde::Serialize;

use crate::render::{table, Grid, Report};

fn price_cell(price: Option<rust_decimal::Decimal>) -> String {
    price.map(format_price).unwrap_or_else(|| "-".into())
}

/// The postpaid bill.
#[derive(Serialize)]
#[serde(transparent)]
pub struct Postpaid<'a>(pub &'a PostpaidBill);

const LINE_HEADERS: [&str; 15] = [
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
    "freeze",
    "cliff_calls",
    "cliff_amount",
];

fn line_row(l: &BillLine) -> Vec<String> {
    vec![
        l.api.clone(),
        l.name.clone(),
        l.calls.to_string(),
        l.free_calls.to_string(),
        l.pack_calls.to_string(),
        l.billable_calls.to_string(),
        l.tier.to_string(),
        l.tier_range.clone(),
        price_cell(l.unit_price),
        l.gross.to_string(),
        l.voucher.to_string(),
        l.amount.to_string(),
        String::new(),
        l.cliff
            .as_ref()
            .map(|c| c.calls.to_string())
            .unwrap_or_default(),
        l.cliff
            .as_ref()
            .map(|c| c.amount.to_string())
            .unwrap_or_default(),
    ]
}

/// The note under a table when more calls would cost less.
pub fn cliff_note(l: &BillLine) -> Option<String> {
    l.cliff.as_ref().map(|c| {
        format!(
            "Tier cliff: {} calls of {} cost {}; at {} calls ({} more) the bill would be {} \
             ({} less), since the month's total picks one unit price for every call.",
            l.calls, l.api, l.amount, c.calls, c.extra_calls, c.amount, c.saving
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
        ]);
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
        out.push_str(&format!(
            "Bill: {} {}\nFreeze after settlement: {} (held until next month's settlement)\n",
            bill.amount, bill.currency, bill.freeze
        ));
        for note in bill.lines.iter().filter_map(cliff_note) {
            out.push_str(&note);
            out.push('\n');
        }
        out
    }

    fn grid(&self) -> Grid {
        let mut g = Grid::new(&LINE_HEADERS);
        for l in &self.0.lines {
            g.push(line_row(l));
        }
        let mut total = vec![String::new(); LINE_HEADERS.len()];
        total[0] = "total".into();
        total[2] = self
            .0
            .lines
            .iter()
            .map(|l| l.calls)
            .sum::<u64>()
            .to_string();
        total[11] = self.0.amount.to_string();
        total[12] = self.0.freeze.to_string();
        g.push(total);
        g
    }
}

/// The loaded price list, optionally narrowed to some APIs.
#[derive(Serialize)]
pub struct Prices<'a> {
    settings: &'a Settings,
    apis: Vec<PriceApi<'a>>,
}

#[derive(Serialize)]
struct PriceApi<'a> {
    key: &'a str,
    name: &'a str,
    aliases: &'a [String],
    tier_table: &'a str,
    tiers: Vec<PriceTier>,
    pack_table: Option<&'a str>,
    packs: &'a [ocr_bill::Pack],
}

#[derive(Serialize)]
struct PriceTier {
    tier: usize,
    range: String,
    lower: u64,
    upper: Option<u64>,
    #[serde(serialize_with = "ser_opt_price")]
    price: Option<rust_decimal::Decimal>,
    contact_sales: bool,
}

fn ser_opt_price<S: serde::Serializer>(
    p: &Option<rust_decimal::Decimal>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match p {
        Some(p) => s.collect_str(&format_price(*p)),
        None => s.serialize_none(),
    }
}

impl<'a> Prices<'a> {
    pub fn new(list: &'a PriceList, apis: Vec<&'a Api>) -> Self {
        let bounds = list.settings.tier_bounds;
        Prices {
            settings: &list.settings,
            apis: apis
                .into_iter()
                .map(|a| PriceApi {
                    key: &a.key,
                    name: &a.name,
                    aliases: &a.aliases,
                    tier_table: &a.tier_table,
                    tiers: (0..a.tiers.len())
                        .map(|i| {
                            let r = a.reached(i, bounds);
                            let (price, contact_sales) = match r.price {
                                TierPrice::List(p) => (Some(p), false),
                                TierPrice::ContactSales { negotiated } => (negotiated, true),
                            };
                            PriceTier {
                                tier: r.number,
                                range: r.range,
                                lower: r.lower,
                                upper: r.upper,
                                price,
                                contact_sales,
                            }
                        })
                        .collect(),
                    pack_table: a.pack_table.as_deref(),
                    packs: &a.packs,
                })
                .collect(),
        }
    }
}

impl Report for Prices<'_> {
    fn human(&self) -> String {
        let s = self.settings;
        let mut out = format!(
            "Settings: currency {}; {} free calls per API per month (voucher); tier bounds {}; \
             overage tier basis {}; freeze {} × {}; packs valid {} months, alert below {}%\n\n",
            s.currency,
            s.free_calls_per_month,
            match s.tier_bounds {
                ocr_bill::TierBounds::LowerExclusive => "lower < n ≤ upper",
                ocr_bill::TierBounds::UpperExclusive => "lower ≤ n < upper",
            },
            match s.overage_tier_basis {
                ocr_bill::OverageTierBasis::TotalCalls => "the month's total calls",
                ocr_bill::OverageTierBasis::PostpaidCalls => "calls not served by packs",
            },
            s.freeze_ratio.normalize(),
            match s.freeze_basis {
                ocr_bill::FreezeBasis::Bill => "the bill",
                ocr_bill::FreezeBasis::ListPrice => "calls at list price",
                ocr_bill::FreezeBasis::None => "nothing (no freeze)",
            },
            s.pack_validity_months,
            (s.pack_alert_below * rust_decimal::Decimal::from(100)).normalize(),
        );
        let mut g = Grid::new(&[
            "api",
            "name",
            "postpaid tiers (unit price)",
            "packs (calls: price)",
        ]);
        for a in &self.apis {
            let tiers = a
                .tiers
                .iter()
                .map(|t| match (t.price, t.contact_sales) {
                    (Some(p), false) => format!("{}: {}", t.range, format_price(p)),
                    (Some(p), true) => format!("{}: {} (negotiated)", t.range, format_price(p)),
                    (None, _) => format!("{}: contact sales (请联系商务)", t.range),
                })
                .collect::<Vec<_>>()
                .join("\n");
            let packs = if a.packs.is_empty() {
                "none (postpaid only)".to_string()
            } else {
                a.packs
                    .iter()
                    .map(|p| format!("{}: {}", p.calls, format_price(p.price)))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            let mut name = a.name.to_string();
            if !a.aliases.is_empty() {
                name.push_str(&format!("\n(also {})", a.aliases.join(", ")));
            }
            g.push(vec![a.key.to_string(), name, tiers, packs]);
        }
        out.push_str(&table(&g));
        out
    }

    fn grid(&self) -> Grid {
        let mut g = Grid::new(&["api", "name", "kind", "tier", "range", "calls", "price"]);
        for a in &self.apis {
            for t in &a.tiers {
                g.push(vec![
                    a.key.into(),
                    a.name.into(),
                    "tier".into(),
                    t.tier.to_string(),
                    t.range.clone(),
                    String::new(),
                    match (t.price, t.contact_sales) {
                        (Some(p), _) => format_price(p),
                        (None, _) => "contact-sales".into(),
                    },
                ]);
            }
            for p in a.packs {
                g.push(vec![
                    a.key.into(),
                    a.name.into(),
                    "pack".into(),
                    String::new(),
                    String::new(),
                    p.calls.to_string(),
                    format_price(p.price),
                ]);
            }
        }
        g
    }
}
