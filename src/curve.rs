//! The cost curve: the month's bill and price per call against monthly
//! calls, postpaid and with the best packs bought for the month, with both
//! sides of every tier edge.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::bill::Calculator;
use crate::money::{per_call, serialize_per_call};
use crate::pricing::Item;
use crate::quote::PackCount;
use crate::{Error, Money};

/// The most points a curve is drawn at (besides the tier edges).
pub const MAX_POINTS: usize = 100_000;

/// One point of the cost curve.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CurvePoint {
    /// Calls in the month.
    pub calls: u64,
    /// The month's postpaid bill.
    pub postpaid: Money,
    /// `postpaid / calls`, 4 decimals; `None` at 0 calls.
    #[serde(serialize_with = "serialize_per_call")]
    pub postpaid_per_call: Option<Decimal>,
    /// The month's cost with the best packs bought for it (packs + overage).
    pub with_packs: Money,
    /// `with_packs / calls`, 4 decimals.
    #[serde(serialize_with = "serialize_per_call")]
    pub with_packs_per_call: Option<Decimal>,
    /// The packs of that purchase, written `10000x1 1000x2` (empty for none).
    #[serde(serialize_with = "crate::quote::serialize_pack_list")]
    pub packs: Vec<PackCount>,
}

/// The month's cost against its calls.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Curve {
    /// API key.
    pub api: String,
    /// Chinese name.
    pub name: String,
    /// Points in increasing calls, including both sides of every tier edge.
    pub points: Vec<CurvePoint>,
}

impl Calculator<'_> {
    /// The month's postpaid bill and best-packs cost at `points` call counts
    /// spaced geometrically up to `max` (and 0), plus both sides of every tier edge (where the
    /// tier-reaching cliffs are). Without `max`: 10% past the last tier bound,
    /// or the bound itself when the tier above it has no price.
    pub fn curve(&self, api: &Item, max: Option<u64>, points: usize) -> Result<Curve, Error> {
        let bounds = self.prices.settings.tier_bounds;
        // The API's own monthly quota (or the account's), as its bill counts it.
        let free = self.lone_free(api);
        let last_bound = api
            .tiers
            .iter()
            .filter_map(|t| t.upto)
            .max()
            // One open tier, no bound: chart up to the largest pack, or ten free quotas.
            .unwrap_or_else(|| {
                let packs = api.packs.iter().map(|p| p.calls).max().unwrap_or(0);
                packs.max(free.saturating_mul(10)).max(1)
            });
        let top_priced = match api.tiers.last().map(|t| t.price) {
            Some(crate::TierPrice::ContactSales { negotiated }) => {
                negotiated.or(self.negotiated_price).is_some()
            }
            _ => true,
        };
        let max = match max {
            Some(m) => m,
            None if top_priced => last_bound + last_bound / 10,
            None => match bounds {
                crate::TierBounds::LowerExclusive => last_bound,
                crate::TierBounds::UpperExclusive => last_bound - 1,
            },
        };
        if points == 0 || points > MAX_POINTS {
            return Err(Error::OutOfRange {
                what: "points",
                value: points as u64,
                max: MAX_POINTS as u64,
                why: "",
            });
        }
        // Geometric spacing: as many points per decade at 1k as at 1M (by
        // the `libm` crate's logarithm and exponential, so that the points
        // are the same on every system, not its C library's).
        let top = libm::log(max.max(1) as f64);
        let mut at: Vec<u64> = std::iter::once(0)
            .chain((0..=points).map(|i| {
                (libm::exp(top * i as f64 / points as f64).round() as u64).clamp(1, max.max(1))
            }))
            .filter(|&c| c <= max)
            .collect();
        for i in 1..api.tiers.len() {
            let first = api.first_calls_of_tier(i, bounds);
            at.extend(
                [first.saturating_sub(1), first]
                    .into_iter()
                    .filter(|&c| c <= max),
            );
        }
        if free <= max {
            at.push(free);
        }
        at.sort_unstable();
        at.dedup();
        let points = at
            .into_iter()
            .map(|calls| {
                let postpaid = self.line(api, calls, &mut [])?.amount;
                let best = if api.packs.is_empty() {
                    None
                } else {
                    Some(self.cheapest_option(api, &[calls])?)
                };
                let with_packs = best.as_ref().map_or(postpaid, |b| b.cost);
                Ok(CurvePoint {
                    calls,
                    postpaid,
                    postpaid_per_call: per_call(postpaid, calls),
                    with_packs,
                    with_packs_per_call: per_call(with_packs, calls),
                    packs: best.map(|b| b.packs).unwrap_or_default(),
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Curve {
            api: api.key.clone(),
            name: api.name.clone(),
            points,
        })
    }
}
