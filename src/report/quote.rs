//! `quote`: the pack options side by side, and the months' verdict.

use ocr_bill::PackList;
use serde::Serialize;

use crate::render::{grouped, num, table, Grid, Report};

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
    /// The least and most free calls a month of the item's share of the
    /// account's allowance (edition `b`, several items spread over months),
    /// where it is not `free`.
    #[serde(skip)]
    pub share: Option<(u64, u64)>,
    /// Say how to compare with postpaid (`--months`), when the quote does not
    /// (one item's; several items' say it once).
    #[serde(skip)]
    pub months_hint: bool,
}

impl Report for QuoteReport<'_> {
    fn human(&self) -> String {
        let q = self.quote;
        let mut out = format!(
            "Packs for {} {} of {} ({}); packs are valid {}, unused calls expire\n",
            num(q.calls),
            ocr_bill::plural(q.calls, "call"),
            q.api,
            q.name,
            ocr_bill::counted(u64::from(self.validity), "month")
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
                // (Grouped in the table, as every count there; JSON and CSV
                // keep `only 10000-call packs`.)
                o.label.label(|calls| grouped(&calls.to_string())),
                PackList(&o.purchase.packs).human(&grouped),
                o.purchase.cost.to_string(),
                o.purchase.covered_calls.to_string(),
                o.purchase.unused_calls.to_string(),
                o.cost_per_used_call
                    .map(|d| format!("{d:.4}"))
                    .unwrap_or_default(),
                format!("+{}", o.extra_cost),
            ]);
        }
        out.push_str(&table(&g));
        if hidden > 0 {
            let (options, them) = if hidden == 1 {
                ("option", "it")
            } else {
                ("options", "them")
            };
            out.push_str(&format!(
                "({hidden} {options} of one pack bigger than needed left out; --all-options shows \
                 {them}, and JSON and CSV have them all)\n"
            ));
        }
        match &q.spread {
            None if !self.months_hint => {}
            None if self.free == 0 => {
                out.push_str("Note: add --months M to compare with postpaid over M months.\n")
            }
            None => out.push_str(&format!(
                "Note: like the source's examples this ignores the {} free calls every month; \
                 add --months M to compare with postpaid over M months.\n",
                num(self.free)
            )),
            Some(s) => {
                let low = s.monthly_calls.iter().min().copied().unwrap_or(0);
                let high = s.monthly_calls.iter().max().copied().unwrap_or(0);
                let per_month = if low == high {
                    format!("{} {}", num(low), ocr_bill::plural(low, "call"))
                } else {
                    format!("{}–{} calls", num(low), num(high))
                };
                out.push_str(&format!(
                    "\nSpread over {} ({per_month} a month):\n",
                    ocr_bill::counted(u64::from(s.months), "month")
                ));
                let mut g = Grid::new(&["plan", "packs", "cost"]);
                let free = match self.share {
                    None => format!("{} free calls a month", num(self.free)),
                    Some((low, high)) if low == high => {
                        format!(
                            "{} free calls a month, its share of the account's",
                            num(low)
                        )
                    }
                    Some((low, high)) => format!(
                        "{}–{} free calls a month, its share of the account's",
                        num(low),
                        num(high)
                    ),
                };
                g.push(vec![
                    format!("all postpaid ({free})"),
                    "none".into(),
                    s.postpaid_cost.to_string(),
                ]);
                g.push(vec![
                    format!(
                        "packs for the {} calls beyond the free quotas",
                        num(s.beyond_free_calls)
                    ),
                    PackList(&s.beyond_free_packs.packs).human(&grouped),
                    s.beyond_free_packs.cost.to_string(),
                ]);
                g.push(vec![
                    format!("packs for all {} calls", num(q.calls)),
                    PackList(&q.cheapest().purchase.packs).human(&grouped),
                    q.cheapest().purchase.cost.to_string(),
                ]);
                out.push_str(&table(&g));
                out.push_str(&format!(
                    "Cheapest: {}, {}\n",
                    s.cheapest.describe(),
                    num(s.cheapest_cost)
                ));
            }
        }
        for note in &q.notes {
            out.push_str(&format!("Note: {note}\n"));
        }
        out
    }

    fn notes(&self) -> Vec<&str> {
        self.quote.notes.iter().map(String::as_str).collect()
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
                PackList(&p.packs).to_string(),
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
                format!(
                    "all postpaid over {}",
                    ocr_bill::counted(u64::from(s.months), "month")
                ),
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

/// Quotes for several billing items of an account, each on its own (packs
/// serve one item), with what the cheapest of each costs together.
#[derive(Serialize)]
pub struct Quotes<'a> {
    #[serde(skip)]
    pub all_options: bool,
    #[serde(skip)]
    pub validity: u32,
    /// Each item's free calls a month, in the order of `quotes`.
    #[serde(skip)]
    pub free: Vec<u64>,
    /// Each item's share of the account's, where shared (see
    /// [`QuoteReport::share`]).
    #[serde(skip)]
    pub shares: Vec<Option<(u64, u64)>>,
    pub quotes: &'a [ocr_bill::Quote],
    /// The cheapest packs of every item, summed.
    pub cost: ocr_bill::Money,
    /// With `--months`: the cheapest way of every item (postpaid, or packs),
    /// summed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cheapest_cost: Option<ocr_bill::Money>,
}

impl<'a> Quotes<'a> {
    pub fn new(
        quotes: &'a [ocr_bill::Quote],
        free: Vec<u64>,
        shares: Vec<Option<(u64, u64)>>,
        all_options: bool,
        validity: u32,
    ) -> Result<Self, ocr_bill::Error> {
        let cost = ocr_bill::Money::checked_sum(quotes.iter().map(|q| q.cheapest().purchase.cost))?;
        let cheapest_cost = quotes
            .iter()
            .map(|q| q.spread.as_ref().map(|s| s.cheapest_cost))
            .collect::<Option<Vec<_>>>()
            .map(ocr_bill::Money::checked_sum)
            .transpose()?;
        Ok(Quotes {
            all_options,
            validity,
            free,
            shares,
            quotes,
            cost,
            cheapest_cost,
        })
    }

    fn each(&self) -> impl Iterator<Item = QuoteReport<'a>> + '_ {
        self.quotes
            .iter()
            .zip(&self.free)
            .zip(self.shares.iter().chain(std::iter::repeat(&None)))
            .map(|((quote, &free), &share)| QuoteReport {
                all_options: self.all_options,
                quote,
                validity: self.validity,
                free,
                share,
                months_hint: false,
            })
    }
}

impl Report for Quotes<'_> {
    fn human(&self) -> String {
        let mut out = String::new();
        for q in self.each() {
            out.push_str(&q.human());
            out.push('\n');
        }
        let each = |cost: &dyn Fn(&ocr_bill::Quote) -> ocr_bill::Money| {
            (self.quotes.iter())
                .map(|q| format!("{} {}", q.api, num(cost(q))))
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push_str(&format!(
            "All {} billing items: the cheapest packs cost {} ({}).\n",
            self.quotes.len(),
            num(self.cost),
            each(&|q| q.cheapest().purchase.cost)
        ));
        if self.cheapest_cost.is_none() {
            out.push_str(match self.free.iter().any(|&f| f > 0) {
                true => {
                    "Note: like the source's examples these quotes ignore the monthly free \
                     calls; add --months M to compare with postpaid over M months.\n"
                }
                false => "Note: add --months M to compare with postpaid over M months.\n",
            });
        }
        if let Some(total) = self.cheapest_cost {
            out.push_str(&format!(
                "All {} billing items, spread over the months: the cheapest way costs {} ({}).\n",
                self.quotes.len(),
                num(total),
                each(&|q| q
                    .spread
                    .as_ref()
                    .map_or(ocr_bill::Money::ZERO, |s| s.cheapest_cost))
            ));
        }
        out
    }

    fn notes(&self) -> Vec<&str> {
        (self.quotes.iter().flat_map(|q| &q.notes))
            .map(String::as_str)
            .collect()
    }

    fn grid(&self) -> Grid {
        let mut grids = self.each().map(|q| q.grid());
        let mut g = grids.next().expect("quotes of several items");
        for other in grids {
            g.append(&other);
        }
        g
    }
}
