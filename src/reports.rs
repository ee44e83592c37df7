//! How each result looks in each format: JSON is the lib's serialized struct,
//! CSV and the human table are built here.

use ocr_bill::{format_price, BillLine, Item, PostpaidBill, PriceList, Settings, TierPrice};
use serde::Serialize;

use crate::render::{num, table, Grid, Report};

fn price_cell(price: Option<rust_decimal::Decimal>) -> String {
    price.map(format_price).unwrap_or_else(|| "-".into())
}

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
    vec![
        l.api.clone(),
        l.name.clone(),
        l.calls.to_string(),
        l.free_calls.to_string(),
        l.pack_calls.to_string(),
        l.billable_calls.to_string(),
        l.tier.to_string(),
        l.tier_range.clone(),
        l.unit_price.map(format_price).unwrap_or_default(),
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
    ]
}

/// A line sums the calls of APIs other than one of the item's own key.
pub fn summed(l: &BillLine) -> bool {
    l.apis.len() > 1 || l.apis.iter().any(|a| a.api != l.api)
}

/// `idcard 6000 + …`: the APIs whose calls a billing item's line sums.
pub fn apis_summed(l: &BillLine) -> String {
    l.apis
        .iter()
        .map(|a| format!("{} ({}) {}", a.api, a.name, a.calls))
        .collect::<Vec<_>>()
        .join(" + ")
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
        for l in bill.lines.iter().filter(|l| summed(l)) {
            out.push_str(&format!("{} = {}\n", l.api, apis_summed(l)));
        }
        out.push_str(&format!(
            "Bill: {} {} (price list: edition {})\nFreeze after settlement: {} (held until next \
             month's settlement)\n",
            num(bill.amount),
            bill.currency,
            bill.edition,
            num(bill.freeze)
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

    fn grid(&self) -> Grid {
        let mut g = Grid::new(&LINE_HEADERS);
        for l in &self.0.lines {
            g.push(line_row(l, self.0));
        }
        g
    }
}

/// The loaded price list, optionally narrowed to some APIs.
#[derive(Serialize)]
pub struct Prices<'a> {
    about: &'a ocr_bill::About,
    settings: &'a Settings,
    apis: Vec<PriceApi<'a>>,
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
        let mut out = format!(
            "Price list: edition {} ({})\n",
            self.about.edition,
            if self.about.source.is_empty() {
                "a pricing file"
            } else {
                &self.about.source
            }
        );
        out.push_str(&format!(
            "Settings: currency {}; free calls {}; tier bounds {}; overage tier basis {}; \
             freeze {}; packs valid {} months, alert {} below {}%\n\n",
            s.currency,
            match s.free_quota {
                ocr_bill::FreeQuota::PerItem => format!(
                    "{} per billing item a month (voucher)",
                    s.free_calls_per_month
                ),
                ocr_bill::FreeQuota::PerAccount => format!(
                    "{} per account a month, taken by the items in this order",
                    s.free_calls_per_month
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
            s.pack_validity_months,
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
                        Some(price) => format!("{}: {}", p.calls, format_price(price)),
                        None if p.sold == "not-sold" => format!("{}: not sold (——)", p.calls),
                        None => format!("{}: contact sales (联系商务)", p.calls),
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
                    a.one_time_free_calls
                ));
            }
            if a.free_calls_per_month != s.free_calls_per_month
                && s.free_quota == ocr_bill::FreeQuota::PerItem
            {
                name.push_str(&format!("\n{} free calls a month", a.free_calls_per_month));
            }
            g.push(vec![a.key.to_string(), name, tiers, packs]);
        }
        out.push_str(&table(&g));
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
        g
    }
}

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
            m.overage_calls.to_string(),
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
            "overage_calls",
            "tier",
            "unit_price",
            "pack_cost",
            "overage_amount",
            "total",
            "pack_calls_left",
            "alerts",
        ]);
        g.push(vec![
            m.api.clone(),
            m.name.clone(),
            m.calls.to_string(),
            m.free_calls.to_string(),
            m.pack_calls.to_string(),
            m.overage_calls.to_string(),
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
        ]);
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

/// A pack quote.
#[derive(Serialize)]
pub struct QuoteReport<'a> {
    /// Show every option in the table, also packs far bigger than needed.
    #[serde(skip)]
    pub all_options: bool,
    #[serde(flatten)]
    pub quote: &'a ocr_bill::Quote,
    #[serde(skip)]
    pub validity: u32,
    #[serde(skip)]
    pub free: u64,
}

fn packs_cell(p: &ocr_bill::Purchase) -> String {
    if p.packs.is_empty() {
        return "none".into();
    }
    p.packs
        .iter()
        .map(|c| format!("{} × {}", c.count, c.calls))
        .collect::<Vec<_>>()
        .join(" + ")
}

impl Report for QuoteReport<'_> {
    fn human(&self) -> String {
        let q = self.quote;
        let mut out = format!(
            "Packs for {} calls of {} ({}); packs are valid {} months, unused calls expire\n",
            q.calls, q.api, q.name, self.validity
        );
        let mut g = Grid::new(&[
            "option",
            "packs",
            "cost",
            "covered",
            "unused",
            "per used call",
            "vs cheapest",
        ]);
        // A single pack bigger than a smaller size that alone covers the need is
        // no option anyone would buy (a 10,000,000-call pack for 3,000 calls).
        let sizes: Vec<u64> = q
            .options
            .iter()
            .filter_map(|o| o.purchase.packs.first().map(|p| p.calls))
            .collect();
        let absurd = |o: &ocr_bill::QuoteOption| {
            o.purchase.pack_count == 1
                && o.purchase
                    .packs
                    .first()
                    .is_some_and(|p| sizes.iter().any(|&s| s >= q.calls && s < p.calls))
        };
        let mut hidden = 0;
        for o in &q.options {
            if !self.all_options && o.label != ocr_bill::QuoteChoice::Cheapest && absurd(o) {
                hidden += 1;
                continue;
            }
            g.push(vec![
                o.label.to_string(),
                packs_cell(&o.purchase),
                o.purchase.cost.to_string(),
                o.purchase.covered_calls.to_string(),
                o.purchase.unused_calls.to_string(),
                o.cost_per_used_call
                    .map(|d| format!("{d:.4}"))
                    .unwrap_or_else(|| "-".into()),
                format!("+{}", o.extra_cost),
            ]);
        }
        out.push_str(&table(&g));
        if hidden > 0 {
            out.push_str(&format!(
                "({hidden} options of one pack bigger than needed left out; --all-options shows \
                 them, and JSON and CSV have them all)\n"
            ));
        }
        match &q.spread {
            None => out.push_str(&format!(
                "Note: like the source's examples this ignores the {} free calls every month; \
                 add --months M to compare with postpaid over M months.\n",
                self.free
            )),
            Some(s) => {
                let low = s.monthly_calls.iter().min().copied().unwrap_or(0);
                let high = s.monthly_calls.iter().max().copied().unwrap_or(0);
                let per_month = if low == high {
                    format!("{low}")
                } else {
                    format!("{low}–{high}")
                };
                out.push_str(&format!(
                    "\nSpread over {} months ({per_month} calls a month):\n",
                    s.months
                ));
                let mut g = Grid::new(&["plan", "packs", "cost"]);
                g.push(vec![
                    format!("all postpaid ({} free calls a month)", self.free),
                    "none".into(),
                    s.postpaid_cost.to_string(),
                ]);
                g.push(vec![
                    format!(
                        "packs for the {} calls beyond the free quotas",
                        s.beyond_free_calls
                    ),
                    packs_cell(&s.beyond_free_packs),
                    s.beyond_free_packs.cost.to_string(),
                ]);
                g.push(vec![
                    format!("packs for all {} calls", q.calls),
                    packs_cell(&q.options[0].purchase),
                    q.options[0].purchase.cost.to_string(),
                ]);
                out.push_str(&table(&g));
                out.push_str(&format!(
                    "Cheapest: {}, {}\n",
                    s.cheapest.describe(),
                    s.cheapest_cost
                ));
            }
        }
        out
    }

    fn grid(&self) -> Grid {
        let q = self.quote;
        let mut g = Grid::new(&[
            "api",
            "calls",
            "option",
            "packs",
            "cost",
            "covered_calls",
            "unused_calls",
            "cost_per_used_call",
            "extra_cost",
        ]);
        let mut row = |label: &str,
                       p: &ocr_bill::Purchase,
                       per: Option<rust_decimal::Decimal>,
                       extra: String| {
            g.push(vec![
                q.api.clone(),
                q.calls.to_string(),
                label.to_string(),
                p.packs
                    .iter()
                    .map(|c| format!("{}x{}", c.calls, c.count))
                    .collect::<Vec<_>>()
                    .join(" "),
                p.cost.to_string(),
                p.covered_calls.to_string(),
                p.unused_calls.to_string(),
                per.map(|d| format!("{d:.4}")).unwrap_or_default(),
                extra,
            ]);
        };
        for o in &q.options {
            row(
                &o.label.to_string(),
                &o.purchase,
                o.cost_per_used_call,
                o.extra_cost.to_string(),
            );
        }
        if let Some(s) = &q.spread {
            row(
                "packs beyond free quotas",
                &s.beyond_free_packs,
                None,
                String::new(),
            );
            // Every format carries the same answer: all postpaid, and the verdict.
            g.push(vec![
                q.api.clone(),
                q.calls.to_string(),
                format!("all postpaid over {} months", s.months),
                String::new(),
                s.postpaid_cost.to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ]);
            g.push(vec![
                q.api.clone(),
                q.calls.to_string(),
                format!("cheapest: {}", s.cheapest.key()),
                String::new(),
                s.cheapest_cost.to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ]);
        }
        g
    }
}

/// The month-by-month ledger.
#[derive(Serialize)]
#[serde(transparent)]
pub struct LedgerReport<'a>(pub &'a ocr_bill::Ledger);

const LEDGER_ACCOUNT: [&str; 10] = [
    "pack_cost",
    "topups",
    "bill",
    "released",
    "deducted",
    "freeze",
    "balance",
    "available",
    "arrears",
    "events",
];

/// A ledger line's cells, the same in the table and in CSV.
fn ledger_line(m: &ocr_bill::LedgerMonth, line: &BillLine) -> Vec<String> {
    vec![
        m.month.to_string(),
        line.api.clone(),
        line.calls.to_string(),
        line.free_calls.to_string(),
        line.pack_calls.to_string(),
        line.billable_calls.to_string(),
        line.unit_price.map(format_price).unwrap_or_default(),
        line.amount.to_string(),
    ]
}

fn account_cells(m: &ocr_bill::LedgerMonth) -> Vec<String> {
    vec![
        m.pack_cost.to_string(),
        m.topups.to_string(),
        m.bill.to_string(),
        m.released.to_string(),
        m.deducted.to_string(),
        m.freeze.to_string(),
        m.balance.to_string(),
        m.available.to_string(),
        m.arrears.to_string(),
        m.events
            .iter()
            .map(|e| e.describe())
            .collect::<Vec<_>>()
            .join("; "),
    ]
}

impl LedgerReport<'_> {
    /// The months' calls, a row per month and billing item.
    fn calls_grid(&self) -> Grid {
        let mut calls = Grid::new(&[
            "month",
            "api",
            "calls",
            "free",
            "from packs",
            "overage",
            "unit price",
            "amount",
        ])
        .secondary(&["unit price"]);
        for m in &self.0.months {
            for line in &m.lines {
                calls.push(ledger_line(m, line));
            }
        }
        calls
    }

    /// The account, a row per month (the balance columns when one is followed).
    fn months_grid(&self) -> Grid {
        let shown = if self.0.balance_tracked { 9 } else { 6 };
        let headers = [
            "month",
            "packs bought",
            "top-ups",
            "bill",
            "released",
            "deducted",
            "freeze",
            "balance",
            "available",
            "arrears",
        ];
        let mut account =
            Grid::new(&headers[..=shown]).secondary(&["top-ups", "deducted", "released"]);
        for m in &self.0.months {
            let c = account_cells(m);
            account.push(
                std::iter::once(m.month.to_string())
                    .chain(c.into_iter().take(shown))
                    .collect(),
            );
        }
        account
    }
}

impl Report for LedgerReport<'_> {
    fn sheets(&self) -> Vec<(String, Grid)> {
        vec![
            ("calls".to_string(), self.calls_grid()),
            ("months".to_string(), self.months_grid()),
        ]
    }

    fn human(&self) -> String {
        let l = self.0;
        let mut out = if l.balance_tracked {
            format!("Opening balance: {}\n", num(l.opening_balance))
        } else {
            "No balance followed (give --balance or --topups for the balance and arrears); \
             packs and bills are paid as they fall due.\n"
                .to_string()
        };
        let calls = self.calls_grid();
        if !calls.rows.is_empty() {
            out.push_str(&table(&calls));
        }
        out.push_str(&table(&self.months_grid()));
        let events: Vec<String> = l
            .months
            .iter()
            .flat_map(|m| {
                m.events
                    .iter()
                    .map(move |e| format!("  {}  {}", m.month, e.describe()))
            })
            .collect();
        if !events.is_empty() {
            out.push_str("Events:\n");
            out.push_str(&events.join("\n"));
            out.push('\n');
        }
        let t = &l.totals;
        out.push_str(&format!(
            "Totals: paid for packs {}; paid postpaid {}; pack calls wasted by expiry {} (worth {})",
            num(t.paid_for_packs),
            num(t.paid_postpaid),
            num(t.calls_wasted),
            num(t.value_wasted)
        ));
        if l.balance_tracked {
            out.push_str(&format!(
                "; top-ups {}; closing balance {}",
                num(t.topups),
                num(t.closing_balance)
            ));
        }
        out.push('\n');
        for note in &l.left_out {
            out.push_str(&format!("Note: {note}\n"));
        }
        out
    }

    fn grid(&self) -> Grid {
        let headers: Vec<&str> = [
            "month",
            "api",
            "calls",
            "free_calls",
            "pack_calls",
            "billable_calls",
            "unit_price",
            "amount",
        ]
        .into_iter()
        .chain(LEDGER_ACCOUNT)
        .collect();
        let mut g = Grid::new(&headers);
        for m in &self.0.months {
            let account = account_cells(m);
            if m.lines.is_empty() {
                let mut row = vec![m.month.to_string()];
                row.extend(std::iter::repeat_n(String::new(), 7));
                row.extend(account.clone());
                g.push(row);
            }
            for line in &m.lines {
                let mut row = ledger_line(m, line);
                row.extend(account.clone());
                g.push(row);
            }
        }
        g
    }
}

fn plan_packs(o: &ocr_bill::PlanOption) -> String {
    if o.packs.is_empty() {
        return "none".into();
    }
    o.packs
        .iter()
        .map(|c| format!("{} × {}", c.count, c.calls))
        .collect::<Vec<_>>()
        .join(" + ")
}

fn plan_human(p: &ocr_bill::Plan) -> String {
    let mut out = format!(
        "Plan for {} ({}), {} months: {}\n",
        p.api,
        p.name,
        p.monthly.len(),
        p.monthly
            .iter()
            .map(u64::to_string)
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
            plan_packs(o),
            o.pack_calls.to_string(),
            o.pack_cost.to_string(),
            o.postpaid_cost.to_string(),
            o.cost.to_string(),
            format!(
                "+{}",
                num(o
                    .cost
                    .checked_sub(p.cheapest.option.cost)
                    .unwrap_or(ocr_bill::Money::ZERO))
            ),
        ]);
    }
    out.push_str(&table(&g));
    out.push_str(&format!(
        "Cheapest: {} for {}; saves {} against all postpaid and {} against packs for every call.\n",
        plan_packs(&p.cheapest.option),
        num(p.cheapest.option.cost),
        num(p.saving_vs_postpaid),
        num(p.saving_vs_packs_all_calls)
    ));
    let mut m = Grid::new(&[
        "month",
        "calls",
        "free",
        "from packs",
        "overage",
        "unit price",
        "amount",
    ]);
    for month in &p.cheapest.months {
        m.push(vec![
            month.month.to_string(),
            month.calls.to_string(),
            month.free_calls.to_string(),
            month.pack_calls.to_string(),
            month.overage_calls.to_string(),
            price_cell(month.unit_price),
            month.amount.to_string(),
        ]);
    }
    out.push_str(&table(&m));
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
            o.packs
                .iter()
                .map(|c| format!("{}x{}", c.calls, c.count))
                .collect::<Vec<_>>()
                .join(" "),
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
        plan_human(self.0)
    }

    fn grid(&self) -> Grid {
        let mut g = Grid::new(&PLAN_HEADERS);
        plan_rows(self.0, &mut g);
        g
    }
}

/// Plans for every API of a usage file.
#[derive(Serialize)]
pub struct Plans<'a> {
    plans: &'a [ocr_bill::Plan],
    cost: ocr_bill::Money,
    postpaid_cost: ocr_bill::Money,
    saving_vs_postpaid: ocr_bill::Money,
}

impl<'a> Plans<'a> {
    pub fn new(plans: &'a [ocr_bill::Plan]) -> anyhow::Result<Self> {
        let cost = ocr_bill::Money::checked_sum(plans.iter().map(|p| p.cheapest.option.cost))?;
        let postpaid_cost = ocr_bill::Money::checked_sum(plans.iter().map(|p| p.options[0].cost))?;
        Ok(Plans {
            plans,
            cost,
            postpaid_cost,
            saving_vs_postpaid: postpaid_cost.checked_sub(cost)?,
        })
    }
}

impl Report for Plans<'_> {
    fn human(&self) -> String {
        let mut out = String::new();
        for p in self.plans {
            out.push_str(&plan_human(p));
            out.push('\n');
        }
        out.push_str(&format!(
            "All APIs: cheapest {} against {} all postpaid (saves {}).\n",
            num(self.cost),
            num(self.postpaid_cost),
            num(self.saving_vs_postpaid)
        ));
        out
    }

    fn grid(&self) -> Grid {
        let mut g = Grid::new(&PLAN_HEADERS);
        for p in self.plans {
            plan_rows(p, &mut g);
        }
        g
    }
}

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
                p.packs.clone(),
            ]);
        }
        g
    }
}

/// The built-in editions of the price page.
#[derive(Serialize)]
#[serde(transparent)]
pub struct Editions(pub Vec<ocr_bill::About>);

impl Report for Editions {
    fn human(&self) -> String {
        let mut out = String::new();
        for e in &self.0 {
            out.push_str(&format!(
                "{:<5} {}\n      source: {}\n",
                e.edition, e.summary, e.source
            ));
        }
        out.push_str(
            "Choose one with --edition NAME (or OCR_BILL_EDITION); the default is seed.\n",
        );
        out
    }

    fn grid(&self) -> Grid {
        let mut g = Grid::new(&["edition", "summary", "source"]);
        for e in &self.0 {
            g.push(vec![e.edition.clone(), e.summary.clone(), e.source.clone()]);
        }
        g
    }
}
