//! `prices`: the loaded price list, and `prices --editions`.

use ocr_bill::{format_price, Item, PriceList, Settings, TierPrice};
use serde::Serialize;

use crate::render::{num, table, Grid, Report};

/// The loaded price list, optionally narrowed to some APIs.
#[derive(Serialize)]
pub struct Prices<'a> {
    about: &'a ocr_bill::About,
    settings: &'a Settings,
    apis: Vec<PriceApi<'a>>,
    /// APIs the page names without a price (only where a list has some).
    #[serde(skip_serializing_if = "Option::is_none")]
    unpriced: Option<&'a ocr_bill::Unpriced>,
}

/// A billing item with its APIs, tiers and packs.
#[derive(Serialize)]
struct PriceApi<'a> {
    key: &'a str,
    name: &'a str,
    aliases: &'a [String],
    /// The APIs billed under the item: key and Chinese name.
    item_apis: Vec<(&'a str, &'a str)>,
    free_calls_per_month: u64,
    one_time_free_calls: u64,
    tier_table: &'a str,
    tiers: Vec<PriceTier>,
    pack_table: Option<&'a str>,
    packs: Vec<PackOffer>,
}

/// A size of a pack table and its price (null when not sold at a list price).
#[derive(Serialize)]
struct PackOffer {
    calls: u64,
    #[serde(serialize_with = "ocr_bill::serialize_price")]
    price: Option<rust_decimal::Decimal>,
    /// "list", "contact-sales" (联系商务) or "not-sold" (——).
    sold: &'static str,
}

#[derive(Serialize)]
struct PriceTier {
    tier: usize,
    range: String,
    lower: u64,
    upper: Option<u64>,
    #[serde(serialize_with = "ocr_bill::serialize_price")]
    price: Option<rust_decimal::Decimal>,
    contact_sales: bool,
}

impl<'a> Prices<'a> {
    pub fn new(list: &'a PriceList, apis: Vec<&'a Item>) -> Self {
        let bounds = list.settings.tier_bounds;
        Prices {
            about: &list.about,
            settings: &list.settings,
            unpriced: list.unpriced.as_ref(),
            apis: apis
                .into_iter()
                .map(|a| PriceApi {
                    key: &a.key,
                    name: &a.name,
                    aliases: &a.aliases,
                    item_apis: a
                        .apis
                        .iter()
                        .filter_map(|k| list.api_by_key(k))
                        .map(|api| (api.key.as_str(), api.name.as_str()))
                        .collect(),
                    free_calls_per_month: a.free_calls_per_month,
                    one_time_free_calls: a.one_time_free_calls,
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
                    packs: a
                        .pack_cells
                        .iter()
                        .map(|c| match c.price {
                            ocr_bill::PackPrice::List(p) => PackOffer {
                                calls: c.calls,
                                price: Some(p),
                                sold: "list",
                            },
                            ocr_bill::PackPrice::ContactSales => PackOffer {
                                calls: c.calls,
                                price: None,
                                sold: "contact-sales",
                            },
                            ocr_bill::PackPrice::NotSold => PackOffer {
                                calls: c.calls,
                                price: None,
                                sold: "not-sold",
                            },
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

impl Report for Prices<'_> {
    fn human(&self) -> String {
        let s = self.settings;
        // A built-in edition with its source page; a file by its name over
        // the edition it starts from (whose page is not the file's source).
        let mut out = match (&self.about.file, self.about.source.as_str()) {
            (None, source) if !source.is_empty() => {
                format!("Price list: {} ({source})\n", self.about.label())
            }
            _ => format!("Price list: {}\n", self.about.label()),
        };
        out.push_str(&format!(
            "Settings: currency {}; free calls {}; tier bounds {}; overage tier basis {}; \
             freeze {}; packs valid {}, alert {} below {}%\n\n",
            s.currency,
            match s.free_quota {
                ocr_bill::FreeQuota::PerItem => format!(
                    "{} per billing item a month (voucher)",
                    num(s.free_calls_per_month)
                ),
                ocr_bill::FreeQuota::PerAccount => format!(
                    "{} per account a month, taken by the items in this order",
                    num(s.free_calls_per_month)
                ),
                ocr_bill::FreeQuota::None => "none".to_string(),
            },
            match s.tier_bounds {
                ocr_bill::TierBounds::LowerExclusive => "lower < n ≤ upper",
                ocr_bill::TierBounds::UpperExclusive => "lower ≤ n < upper",
            },
            match s.overage_tier_basis {
                ocr_bill::OverageTierBasis::TotalCalls => "the month's total calls",
                ocr_bill::OverageTierBasis::PostpaidCalls => "calls not served by packs",
            },
            match s.freeze_basis {
                ocr_bill::FreezeBasis::Bill => format!("{} × the bill", s.freeze_ratio.normalize()),
                ocr_bill::FreezeBasis::ListPrice =>
                    format!("{} × calls at list price", s.freeze_ratio.normalize()),
                ocr_bill::FreezeBasis::None => "none".to_string(),
            },
            ocr_bill::counted(u64::from(s.pack_validity_months), "month"),
            match s.pack_alert {
                ocr_bill::AlertRule::EveryPack => "on every pack",
                ocr_bill::AlertRule::LastPack => "on an item's last usable pack",
            },
            (s.pack_alert_below * rust_decimal::Decimal::from(100)).normalize(),
        ));
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
                    .map(|p| match p.price {
                        Some(price) => format!("{}: {}", num(p.calls), num(format_price(price))),
                        None if p.sold == "not-sold" => format!("{}: not sold (——)", num(p.calls)),
                        None => format!("{}: contact sales (联系商务)", num(p.calls)),
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            let mut name = a.name.to_string();
            if !a.aliases.is_empty() {
                name.push_str(&format!("\n(also {})", a.aliases.join(", ")));
            }
            if a.item_apis.len() > 1 || a.item_apis.iter().any(|(k, _)| *k != a.key) {
                name.push_str("\nbills the calls of:");
                for (key, api_name) in &a.item_apis {
                    name.push_str(&format!("\n  {key} {api_name}"));
                }
            }
            if a.one_time_free_calls > 0 {
                name.push_str(&format!(
                    "\n{} free calls once, at activation",
                    num(a.one_time_free_calls)
                ));
            }
            if a.free_calls_per_month != s.free_calls_per_month
                && s.free_quota == ocr_bill::FreeQuota::PerItem
            {
                name.push_str(&format!(
                    "\n{} free calls a month",
                    num(a.free_calls_per_month)
                ));
            }
            g.push(vec![a.key.to_string(), name, tiers, packs]);
        }
        out.push_str(&table(&g));
        if let Some(u) = self.unpriced {
            out.push_str(&format!(
                "Not priced: {}; each is {}\n",
                u.names.join(", "),
                u.why
            ));
        }
        out
    }

    fn grid(&self) -> Grid {
        let mut g = Grid::new(&[
            "api", "name", "kind", "tier", "lower", "upper", "range", "calls", "price",
        ]);
        for a in &self.apis {
            for t in &a.tiers {
                g.push(vec![
                    a.key.into(),
                    a.name.into(),
                    "tier".into(),
                    t.tier.to_string(),
                    t.lower.to_string(),
                    t.upper.map(|u| u.to_string()).unwrap_or_default(),
                    t.range.clone(),
                    String::new(),
                    match (t.price, t.contact_sales) {
                        (Some(p), _) => format_price(p),
                        (None, _) => "contact-sales".into(),
                    },
                ]);
            }
            for p in &a.packs {
                g.push(vec![
                    a.key.into(),
                    a.name.into(),
                    "pack".into(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    p.calls.to_string(),
                    p.price.map(format_price).unwrap_or_else(|| p.sold.into()),
                ]);
            }
        }
        g.with_currency(&self.settings.currency)
    }
}

/// A built-in edition: its name, the currency it bills in, what it says of
/// itself.
#[derive(Serialize)]
pub struct Edition {
    pub edition: String,
    pub currency: String,
    pub source: String,
    pub summary: String,
}

/// The built-in editions of the price page.
#[derive(Serialize)]
#[serde(transparent)]
pub struct Editions(pub Vec<Edition>);

impl Report for Editions {
    fn human(&self) -> String {
        let mut out = String::new();
        for e in &self.0 {
            out.push_str(&format!(
                "{:<5} {}  {}\n      source: {}\n",
                e.edition, e.currency, e.summary, e.source
            ));
        }
        out.push_str(
            "Choose one with --edition NAME (or OCR_BILL_EDITION); the default is seed.\n",
        );
        out
    }

    fn grid(&self) -> Grid {
        let mut g = Grid::new(&["edition", "currency", "summary", "source"]);
        for e in &self.0 {
            g.push(vec![
                e.edition.clone(),
                e.currency.clone(),
                e.summary.clone(),
                e.source.clone(),
            ]);
        }
        g
    }
}
