//! The price list: a raw serde layer mirroring `pricing.toml`, validated into
//! [`PriceList`], which the calculator then trusts.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Range;
use std::str::FromStr;
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::money::{format_price, serialize_decimal};
use crate::Error;

/// The longest API key, name or alias accepted.
pub const MAX_NAME_CHARS: usize = 64;

/// The price list of the source page, embedded in the binary.
pub const DEFAULT_PRICING: &str = include_str!("../pricing.toml");

/// Which end of a tier's range is inclusive (RULES §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TierBounds {
    /// `lower < n ≤ upper`: 10,000 calls are in the 0.15 tier (the source).
    LowerExclusive,
    /// `lower ≤ n < upper`: 10,000 calls are in the 0.10 tier.
    UpperExclusive,
}

/// Which call count picks the tier for overage after packs (RULES §3, §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OverageTierBasis {
    /// The month's total calls of the API (the source).
    TotalCalls,
    /// Only the calls not served by packs (free quota plus overage).
    PostpaidCalls,
}

/// What the monthly freeze is taken on (RULES §4, §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FreezeBasis {
    /// `ratio × bill`, the bill after vouchers (the source, ratio 1.2).
    Bill,
    /// `ratio × calls × list price`, before the free-quota voucher.
    ListPrice,
    /// No freeze.
    None,
}

/// Account-wide settings of the price list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Settings {
    /// Currency code shown in outputs.
    pub currency: String,
    /// Free calls per API per calendar month, applied as a voucher.
    pub free_calls_per_month: u64,
    /// Which end of a tier range is inclusive.
    pub tier_bounds: TierBounds,
    /// Which count picks the overage tier.
    pub overage_tier_basis: OverageTierBasis,
    /// What the freeze is taken on.
    pub freeze_basis: FreezeBasis,
    /// The freeze ratio (1.2 in the source).
    #[serde(serialize_with = "serialize_decimal")]
    pub freeze_ratio: Decimal,
    /// Months a pack is valid, counting the month of purchase.
    pub pack_validity_months: u32,
    /// A pack alert fires when its remaining calls fall below this share of its size.
    #[serde(serialize_with = "serialize_decimal")]
    pub pack_alert_below: Decimal,
}

/// The price of one tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TierPrice {
    /// A list price per call.
    List(Decimal),
    /// No list price (请联系商务), optionally with a negotiated price.
    ContactSales {
        /// A negotiated unit price from the pricing file.
        negotiated: Option<Decimal>,
    },
}

/// One tier of a postpaid schedule; the tiers of a schedule are ascending and
/// the last is open-ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tier {
    /// The bound shared with the next tier; `None` for the last tier.
    pub upto: Option<u64>,
    /// The unit price.
    pub price: TierPrice,
}

/// A tier that a call count reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReachedTier {
    /// 1-based position in the schedule.
    pub number: usize,
    /// The lower bound (the previous tier's `upto`, 0 for the first).
    pub lower: u64,
    /// The upper bound, `None` for the last tier.
    pub upper: Option<u64>,
    /// The tier's price.
    pub price: TierPrice,
    /// The range as text, e.g. `1000 < n ≤ 10000`.
    pub range: String,
}

/// A prepaid pack on offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Pack {
    /// Calls in the pack.
    pub calls: u64,
    /// Price of one pack, yuan.
    #[serde(serialize_with = "serialize_decimal")]
    pub price: Decimal,
}

/// One API of the price list with its postpaid tiers and its packs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Api {
    /// The stable key (`idcard`).
    pub key: String,
    /// The Chinese name (`身份证`).
    pub name: String,
    /// Further accepted names.
    pub aliases: Vec<String>,
    /// Name of the tier schedule.
    pub tier_table: String,
    /// The postpaid tiers, ascending, last open-ended (shared by every API
    /// that names the same table).
    pub tiers: Arc<[Tier]>,
    /// Name of the pack table, if the API has packs.
    pub pack_table: Option<String>,
    /// The packs on offer, ascending by size; empty when none (shared by every
    /// API that names the same table).
    pub packs: Arc<[Pack]>,
}

impl Api {
    /// Tier reaching: the 0-based index of the one tier whose range holds
    /// `calls` (the one place a tier is chosen).
    pub fn tier_index(&self, calls: u64, bounds: TierBounds) -> usize {
        // Tiers ascend, so the tiers below `calls` are a prefix: binary search.
        let below = self.tiers.partition_point(|t| match (t.upto, bounds) {
            (None, _) => false,
            (Some(upto), TierBounds::LowerExclusive) => calls > upto,
            (Some(upto), TierBounds::UpperExclusive) => calls >= upto,
        });
        below.min(self.tiers.len() - 1)
    }

    /// The tier that `calls` reach, with its bounds described.
    ///
    /// ```
    /// use ocr_bill::{PriceList, TierBounds};
    /// let prices = PriceList::builtin();
    /// let idcard = prices.api("idcard").unwrap();
    /// assert_eq!(idcard.tier_for(10_000, TierBounds::LowerExclusive).range, "1000 < n ≤ 10000");
    /// assert_eq!(idcard.tier_for(10_000, TierBounds::UpperExclusive).range, "10000 ≤ n < 100000");
    /// ```
    pub fn tier_for(&self, calls: u64, bounds: TierBounds) -> ReachedTier {
        self.reached(self.tier_index(calls, bounds), bounds)
    }

    /// The tier at `index` (0-based) with its bounds described.
    pub fn reached(&self, index: usize, bounds: TierBounds) -> ReachedTier {
        let tier = self.tiers[index];
        let lower = if index == 0 {
            0
        } else {
            self.tiers[index - 1].upto.unwrap_or(0)
        };
        let range = match (index, tier.upto, bounds) {
            (0, Some(u), TierBounds::LowerExclusive) => format!("n ≤ {u}"),
            (0, Some(u), TierBounds::UpperExclusive) => format!("n < {u}"),
            (0, None, _) => "all n".to_string(),
            (_, Some(u), TierBounds::LowerExclusive) => format!("{lower} < n ≤ {u}"),
            (_, Some(u), TierBounds::UpperExclusive) => format!("{lower} ≤ n < {u}"),
            (_, None, TierBounds::LowerExclusive) => format!("n > {lower}"),
            (_, None, TierBounds::UpperExclusive) => format!("n ≥ {lower}"),
        };
        ReachedTier {
            number: index + 1,
            lower,
            upper: tier.upto,
            price: tier.price,
            range,
        }
    }

    /// The smallest call count inside tier `index` (0-based).
    pub fn first_calls_of_tier(&self, index: usize, bounds: TierBounds) -> u64 {
        match (index, bounds) {
            (0, _) => 0,
            (i, TierBounds::LowerExclusive) => self.tiers[i - 1].upto.unwrap_or(0) + 1,
            (i, TierBounds::UpperExclusive) => self.tiers[i - 1].upto.unwrap_or(0),
        }
    }

    /// The pack of exactly `calls` calls, or an error naming the sizes offered.
    pub fn pack(&self, calls: u64) -> Result<Pack, Error> {
        if self.packs.is_empty() {
            return Err(Error::NoPacks {
                api: self.key.clone(),
            });
        }
        self.packs
            .iter()
            .find(|p| p.calls == calls)
            .copied()
            .ok_or_else(|| Error::PackSizeNotOffered {
                api: self.key.clone(),
                size: calls,
                offered: self
                    .packs
                    .iter()
                    .map(|p| p.calls.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

/// A validated price list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceList {
    /// Account-wide settings.
    pub settings: Settings,
    /// The APIs in file order.
    pub apis: Vec<Api>,
    names: HashMap<String, usize>,
}

impl PriceList {
    /// The source page's price list (the embedded `pricing.toml`).
    pub fn builtin() -> PriceList {
        PriceList::from_toml(DEFAULT_PRICING).expect("the embedded pricing.toml is valid")
    }

    /// Parses and validates a price list.
    ///
    /// ```
    /// let list = ocr_bill::PriceList::from_toml(ocr_bill::DEFAULT_PRICING).unwrap();
    /// assert_eq!(list.api("身份证").unwrap().key, "idcard");
    /// ```
    /// Settings, tier and pack tables and the API list that the file leaves out
    /// come from the built-in price list ([`DEFAULT_PRICING`]), so a variant
    /// file need only say what differs.
    pub fn from_toml(text: &str) -> Result<PriceList, PricingError> {
        let raw = parse_raw(text)?;
        let raw = if text == DEFAULT_PRICING {
            raw
        } else {
            raw.over(parse_raw(DEFAULT_PRICING).expect("the embedded pricing.toml parses"))
        };
        raw.validate(text)
    }

    /// Looks an API up by key, Chinese name or alias (ASCII case-insensitively).
    pub fn api(&self, name: &str) -> Result<&Api, Error> {
        if let Some(&i) = self.names.get(&name_key(name.trim())) {
            return Ok(&self.apis[i]);
        }
        if name.trim().is_empty() {
            return Err(Error::Invalid(
                "the API name is empty; expected an API key such as idcard".into(),
            ));
        }
        let wanted = name.trim().to_ascii_lowercase();
        let closest = self
            .names
            .keys()
            .map(|n| (strsim::levenshtein(&wanted, n), n))
            .filter(|(d, n)| *d <= 2.max(n.chars().count() / 3))
            .min();
        let shown: Vec<&str> = self.apis.iter().take(12).map(|a| a.key.as_str()).collect();
        let more = self.apis.len() - shown.len();
        Err(Error::UnknownApi {
            name: name.to_string(),
            suggestion: closest
                .map(|(_, n)| format!("; did you mean '{}'?", self.apis[self.names[n]].key))
                .unwrap_or_default(),
            valid: if more > 0 {
                format!(
                    "{}, and {more} more (ocr-bill prices lists them)",
                    shown.join(", ")
                )
            } else {
                shown.join(", ")
            },
        })
    }
}

fn name_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// A price list refused, with the 1-based line and column of the place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricingError {
    /// Line and column (1-based), when known.
    pub position: Option<(usize, usize)>,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for PricingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, col)) => write!(f, "line {line}, column {col}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for PricingError {}

fn parse_raw(text: &str) -> Result<RawPriceList, PricingError> {
    toml::from_str(text).map_err(|e| PricingError {
        position: e.span().map(|s| position(text, s.start)),
        message: e.message().trim().replace('\n', " "),
    })
}

fn position(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, col)
}

// ---- the raw layer: mirrors the TOML ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPriceList {
    currency: Option<String>,
    free_calls_per_month: Option<u64>,
    tier_bounds: Option<TierBounds>,
    overage_tier_basis: Option<OverageTierBasis>,
    pack_validity_months: Option<Spanned<u32>>,
    pack_alert_below: Option<Spanned<DecimalValue>>,
    #[serde(default)]
    freeze: RawFreeze,
    #[serde(default)]
    tiers: BTreeMap<String, Spanned<Vec<Spanned<RawTier>>>>,
    #[serde(default)]
    packs: BTreeMap<String, Spanned<Vec<Spanned<RawPack>>>>,
    api: Option<Vec<Spanned<RawApi>>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFreeze {
    basis: Option<FreezeBasis>,
    ratio: Option<Spanned<DecimalValue>>,
}

impl RawPriceList {
    /// This file over `base`: each setting this file leaves out, each tier or
    /// pack table it does not define, and the API list if it has none, come
    /// from `base`.
    fn over(mut self, base: RawPriceList) -> RawPriceList {
        let mut tiers = base.tiers;
        tiers.append(&mut self.tiers);
        let mut packs = base.packs;
        packs.append(&mut self.packs);
        RawPriceList {
            currency: self.currency.or(base.currency),
            free_calls_per_month: self.free_calls_per_month.or(base.free_calls_per_month),
            tier_bounds: self.tier_bounds.or(base.tier_bounds),
            overage_tier_basis: self.overage_tier_basis.or(base.overage_tier_basis),
            pack_validity_months: self.pack_validity_months.or(base.pack_validity_months),
            pack_alert_below: self.pack_alert_below.or(base.pack_alert_below),
            freeze: RawFreeze {
                basis: self.freeze.basis.or(base.freeze.basis),
                ratio: self.freeze.ratio.or(base.freeze.ratio),
            },
            tiers,
            packs,
            api: self.api.or(base.api),
        }
    }
}

/// A required value, or the error naming it.
fn need<T>(value: Option<T>, name: &str) -> Result<T, PricingError> {
    value.ok_or_else(|| PricingError {
        position: None,
        message: format!("missing field `{name}`"),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTier {
    upto: Option<u64>,
    price: RawTierPrice,
    negotiated_price: Option<DecimalValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPack {
    calls: u64,
    price: DecimalValue,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApi {
    key: Spanned<String>,
    name: Spanned<String>,
    #[serde(default)]
    aliases: Vec<Spanned<String>>,
    tiers: Spanned<String>,
    packs: Option<Spanned<String>>,
}

/// A decimal written as a string (`"0.15"`) or an integer (`120`); a TOML float
/// is refused because it has already been rounded through binary floating point.
struct DecimalValue(Decimal);

struct DecimalVisitor {
    allow_contact_sales: bool,
}

impl<'de> Visitor<'de> for DecimalVisitor {
    type Value = RawTierPrice;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.allow_contact_sales {
            f.write_str("a price as a string such as \"0.15\", an integer, or \"contact-sales\"")
        } else {
            f.write_str("a decimal as a string such as \"0.15\", or an integer")
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawTierPrice, E> {
        Ok(RawTierPrice::List(Decimal::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawTierPrice, E> {
        Ok(RawTierPrice::List(Decimal::from(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawTierPrice, E> {
        Err(E::custom(format!(
            "{v} is a TOML float, which binary floating point cannot hold exactly; \
             write it as a string: \"{v}\""
        )))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawTierPrice, E> {
        if self.allow_contact_sales && v == "contact-sales" {
            return Ok(RawTierPrice::ContactSales);
        }
        parse_decimal(v).map(RawTierPrice::List).map_err(|e| {
            let reason = match e {
                Error::BadAmount { reason, .. } if reason.contains("28 decimal") => reason,
                _ => "is not a decimal number".to_string(),
            };
            E::custom(format!(
                "'{v}' {reason}; expected {}",
                if self.allow_contact_sales {
                    "a price such as \"0.15\" or \"contact-sales\""
                } else {
                    "a decimal such as \"0.15\""
                }
            ))
        })
    }
}

impl<'de> Deserialize<'de> for DecimalValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match d.deserialize_any(DecimalVisitor {
            allow_contact_sales: false,
        })? {
            RawTierPrice::List(v) => Ok(DecimalValue(v)),
            RawTierPrice::ContactSales => unreachable!("refused by the visitor"),
        }
    }
}

enum RawTierPrice {
    List(Decimal),
    ContactSales,
}

impl<'de> Deserialize<'de> for RawTierPrice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DecimalVisitor {
            allow_contact_sales: true,
        })
    }
}

/// Parses a plain decimal such as `0.15` or `1200` (no exponent, no separators).
///
/// A value that a decimal cannot hold exactly (more than 28 decimal places, or
/// more than 28 significant digits) is refused, never rounded.
pub fn parse_decimal(text: &str) -> Result<Decimal, Error> {
    let t = text.trim();
    let unsigned = t.trim_start_matches(['-', '+']);
    let plain = !t.is_empty()
        && t.len() - unsigned.len() <= 1
        && unsigned.chars().all(|c| c.is_ascii_digit() || c == '.')
        && unsigned.matches('.').count() <= 1
        && unsigned.chars().any(|c| c.is_ascii_digit());
    if !plain {
        return Err(Error::BadAmount {
            input: text.to_string(),
            reason: "expected a decimal number such as 0.15 or 1200".into(),
        });
    }
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let (int, frac) = (int.trim_start_matches('0'), frac.trim_end_matches('0'));
    let inexact = |reason: String| Error::BadAmount {
        input: text.to_string(),
        reason: format!(
            "{reason}; a decimal holds at most 28 decimal places and about 28 significant digits"
        ),
    };
    if frac.len() > 28 {
        return Err(inexact(format!("has {} decimal places", frac.len())));
    }
    let value = Decimal::from_str(t).map_err(|_| {
        inexact(format!(
            "has {} significant digits, which cannot all be held",
            int.len() + frac.len()
        ))
    })?;
    // Refuse a value that parsing rounded: its digits must all survive.
    let wanted = match frac {
        "" => if int.is_empty() { "0" } else { int }.to_string(),
        f => format!("{}.{f}", if int.is_empty() { "0" } else { int }),
    };
    if value.abs().normalize().to_string() != wanted {
        return Err(inexact(format!(
            "has {} significant digits, which cannot all be held",
            int.len() + frac.len()
        )));
    }
    Ok(value)
}

struct Checker<'a> {
    text: &'a str,
}

impl Checker<'_> {
    fn fail<T>(&self, span: Range<usize>, message: String) -> Result<T, PricingError> {
        Err(PricingError {
            position: Some(position(self.text, span.start)),
            message,
        })
    }
}

impl RawPriceList {
    fn validate(self, text: &str) -> Result<PriceList, PricingError> {
        let c = Checker { text };
        let ratio_field = need(self.freeze.ratio, "freeze.ratio")?;
        let ratio = ratio_field.get_ref().0;
        if ratio.is_sign_negative() {
            return c.fail(
                ratio_field.span(),
                format!("freeze ratio {ratio} is negative; expected 0 or more"),
            );
        }
        let alert_field = need(self.pack_alert_below, "pack_alert_below")?;
        let alert = alert_field.get_ref().0;
        if alert.is_sign_negative() || alert > Decimal::ONE {
            return c.fail(
                alert_field.span(),
                format!("pack_alert_below {alert} is not a share between 0 and 1 (0.15 is 15%)"),
            );
        }
        let validity = need(self.pack_validity_months, "pack_validity_months")?;
        if !(1..=1200).contains(validity.get_ref()) {
            return c.fail(
                validity.span(),
                format!(
                    "pack_validity_months is {}; expected 1 to 1200 (100 years)",
                    validity.get_ref()
                ),
            );
        }
        let currency = need(self.currency, "currency")?;
        if currency.is_empty()
            || currency.chars().count() > 8
            || currency.chars().any(char::is_control)
        {
            return Err(PricingError {
                position: None,
                message: format!(
                    "currency of {} characters; expected a code such as \"CNY\"",
                    currency.chars().count()
                ),
            });
        }
        let settings = Settings {
            currency,
            free_calls_per_month: need(self.free_calls_per_month, "free_calls_per_month")?,
            tier_bounds: need(self.tier_bounds, "tier_bounds")?,
            overage_tier_basis: need(self.overage_tier_basis, "overage_tier_basis")?,
            freeze_basis: need(self.freeze.basis, "freeze.basis")?,
            freeze_ratio: ratio,
            pack_validity_months: *validity.get_ref(),
            pack_alert_below: alert,
        };
        let api_list = need(self.api, "api")?;

        let mut schedules: BTreeMap<String, Arc<[Tier]>> = BTreeMap::new();
        for (name, tiers) in &self.tiers {
            schedules.insert(name.clone(), c.tiers(name, tiers)?.into());
        }
        let mut pack_tables: BTreeMap<String, Arc<[Pack]>> = BTreeMap::new();
        for (name, packs) in &self.packs {
            pack_tables.insert(name.clone(), c.packs(name, packs)?.into());
        }

        let mut apis = Vec::new();
        let mut names: HashMap<String, usize> = HashMap::new();
        for raw in &api_list {
            let span = raw.span();
            let raw = raw.get_ref();
            let index = apis.len();
            let mut claim = |n: &Spanned<String>, what: &str| -> Result<(), PricingError> {
                let value = n.get_ref().trim();
                if value.is_empty() {
                    return c.fail(n.span(), format!("empty API {what}; expected a name"));
                }
                let length = value.chars().count();
                if length > MAX_NAME_CHARS || value.chars().any(char::is_control) {
                    return c.fail(
                        n.span(),
                        format!(
                            "API {what} of {length} characters (or with control characters); \
                             expected a name of at most {MAX_NAME_CHARS}"
                        ),
                    );
                }
                if let Some(&other) = names.get(&name_key(value)) {
                    if other != index {
                        return c.fail(
                            n.span(),
                            format!(
                                "duplicate API name '{value}': already used by API #{}",
                                other + 1
                            ),
                        );
                    }
                }
                names.insert(name_key(value), index);
                Ok(())
            };
            claim(&raw.key, "key")?;
            if raw.key.get_ref().contains(char::is_whitespace) {
                return c.fail(
                    raw.key.span(),
                    format!("API key '{}' contains spaces", raw.key.get_ref()),
                );
            }
            claim(&raw.name, "name")?;
            for alias in &raw.aliases {
                claim(alias, "alias")?;
            }
            let tier_name = raw.tiers.get_ref();
            let Some(tiers) = schedules.get(tier_name) else {
                return c.fail(
                    raw.tiers.span(),
                    format!(
                        "API '{}' names tier table '{tier_name}', which is not defined; defined: {}",
                        raw.key.get_ref(),
                        schedules.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                );
            };
            let (pack_table, packs) = match &raw.packs {
                None => (None, Arc::from([])),
                Some(p) => match pack_tables.get(p.get_ref()) {
                    Some(packs) => (Some(p.get_ref().clone()), Arc::clone(packs)),
                    None => {
                        return c.fail(
                            p.span(),
                            format!(
                                "API '{}' names pack table '{}', which is not defined; defined: {}",
                                raw.key.get_ref(),
                                p.get_ref(),
                                pack_tables.keys().cloned().collect::<Vec<_>>().join(", ")
                            ),
                        )
                    }
                },
            };
            let _ = span;
            apis.push(Api {
                key: raw.key.get_ref().trim().to_string(),
                name: raw.name.get_ref().trim().to_string(),
                aliases: raw
                    .aliases
                    .iter()
                    .map(|a| a.get_ref().trim().to_string())
                    .collect(),
                tier_table: tier_name.clone(),
                tiers: Arc::clone(tiers),
                pack_table,
                packs,
            });
        }
        if apis.is_empty() {
            return Err(PricingError {
                position: None,
                message: "the price list defines no API; expected at least one [[api]] table"
                    .into(),
            });
        }
        Ok(PriceList {
            settings,
            apis,
            names,
        })
    }
}

impl Checker<'_> {
    fn tiers(
        &self,
        name: &str,
        raw: &Spanned<Vec<Spanned<RawTier>>>,
    ) -> Result<Vec<Tier>, PricingError> {
        if raw.get_ref().is_empty() {
            return self.fail(raw.span(), format!("tier table '{name}' has no tiers"));
        }
        let last = raw.get_ref().len() - 1;
        let mut tiers = Vec::new();
        let mut previous: Option<u64> = None;
        for (i, spanned) in raw.get_ref().iter().enumerate() {
            let t = spanned.get_ref();
            let here = spanned.span();
            match (t.upto, i == last) {
                (None, false) => {
                    return self.fail(
                        here,
                        format!(
                            "tier {} of '{name}' has no upto; only the last tier is open-ended",
                            i + 1
                        ),
                    )
                }
                (Some(u), true) => {
                    return self.fail(
                        here,
                        format!(
                            "the last tier of '{name}' has upto = {u}; the last tier must be \
                             open-ended (omit upto) so that every call count has a tier"
                        ),
                    )
                }
                (Some(u), false) => {
                    if let Some(p) = previous {
                        if u <= p {
                            return self.fail(
                                here,
                                format!(
                                    "tier {} of '{name}' has upto = {u}, not above the previous \
                                     tier's {p}; tiers must be ascending without overlap",
                                    i + 1
                                ),
                            );
                        }
                    } else if u == 0 {
                        return self.fail(
                            here,
                            format!("tier 1 of '{name}' has upto = 0; expected more than 0"),
                        );
                    }
                    previous = Some(u);
                }
                (None, true) => {}
            }
            let negotiated = t.negotiated_price.as_ref().map(|d| d.0);
            let price = match (&t.price, negotiated) {
                (RawTierPrice::List(p), None) => TierPrice::List(*p),
                (RawTierPrice::List(_), Some(_)) => {
                    return self.fail(
                        here,
                        format!(
                            "tier {} of '{name}' has a list price and a negotiated_price; \
                             negotiated_price belongs only on a \"contact-sales\" tier",
                            i + 1
                        ),
                    )
                }
                (RawTierPrice::ContactSales, n) => TierPrice::ContactSales { negotiated: n },
            };
            let shown = match price {
                TierPrice::List(p) => Some(p),
                TierPrice::ContactSales { negotiated } => negotiated,
            };
            if let Some(p) = shown {
                if p.is_sign_negative() && !p.is_zero() {
                    return self.fail(
                        here,
                        format!(
                            "tier {} of '{name}' has price {p}, which is negative; expected 0 or more",
                            i + 1
                        ),
                    );
                }
            }
            tiers.push(Tier {
                upto: t.upto,
                price,
            });
        }
        Ok(tiers)
    }

    fn packs(
        &self,
        name: &str,
        raw: &Spanned<Vec<Spanned<RawPack>>>,
    ) -> Result<Vec<Pack>, PricingError> {
        let mut packs: Vec<Pack> = Vec::new();
        for spanned in raw.get_ref() {
            let p = spanned.get_ref();
            if p.calls == 0 {
                return self.fail(
                    spanned.span(),
                    format!("a pack of '{name}' has calls = 0; expected a positive size"),
                );
            }
            if p.price.0 <= Decimal::ZERO {
                return self.fail(
                    spanned.span(),
                    format!(
                        "the {}-call pack of '{name}' has price {}; expected more than 0",
                        p.calls, p.price.0
                    ),
                );
            }
            if packs.iter().any(|q| q.calls == p.calls) {
                return self.fail(
                    spanned.span(),
                    format!("pack table '{name}' lists a {}-call pack twice", p.calls),
                );
            }
            packs.push(Pack {
                calls: p.calls,
                price: p.price.0,
            });
        }
        packs.sort();
        Ok(packs)
    }
}

impl fmt::Display for TierPrice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TierPrice::List(p) => f.write_str(&format_price(*p)),
            TierPrice::ContactSales { negotiated: None } => f.write_str("contact sales"),
            TierPrice::ContactSales {
                negotiated: Some(p),
            } => write!(f, "{} (negotiated)", format_price(*p)),
        }
    }
}
