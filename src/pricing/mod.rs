//! The price list: a raw serde layer mirroring `pricing.toml`, validated into
//! [`PriceList`], which the calculator then trusts.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::{format_price, serialize_decimal};
use crate::Error;

mod editions;
mod names;
mod raw;
mod validate;

use editions::{edition_index, packed_raw, BASE_SPANS};
pub use editions::{edition_text, EDITIONS};
use names::{Known, Measured};
use raw::{parse_raw, position};

/// The longest API key, name or alias accepted.
pub const MAX_NAME_CHARS: usize = 64;

/// The price list of the source page, embedded in the binary.
pub const DEFAULT_PRICING: &str = include_str!("../../pricing.toml");

/// Which end of a tier's range is inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TierBounds {
    /// `lower < n ≤ upper`: 10,000 calls are in the 0.15 tier (the source).
    /// Also written `upper-inclusive`.
    #[serde(alias = "upper-inclusive")]
    LowerExclusive,
    /// `lower ≤ n < upper`: 10,000 calls are in the 0.10 tier. Also written
    /// `lower-inclusive`.
    #[serde(alias = "lower-inclusive")]
    UpperExclusive,
}

/// Which call count picks the tier for overage after packs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OverageTierBasis {
    /// The month's total calls of the API (the source).
    TotalCalls,
    /// Only the calls not served by packs (free quota plus overage).
    PostpaidCalls,
}

/// What the monthly freeze is taken on.
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

/// Who shares the monthly free calls (免费额度).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FreeQuota {
    /// Each billing item has its own free calls every month (the seed).
    PerItem,
    /// The account has one allowance a month, taken by its billing items in
    /// price-list order (edition `b`).
    PerAccount,
    /// No monthly free calls.
    None,
}

/// How a pricing file's `[[item]]` and `[[api]]` lists meet the lists of the
/// edition it starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Lists {
    /// The file's lists are the whole lists (as a file without the setting).
    Replace,
    /// An entry whose key the edition has replaces the edition's, in its
    /// place; the others are added after the edition's.
    Merge,
}

/// When a pack alert (余量预警) is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlertRule {
    /// Every pack: when its calls left fall below the alert share, and when it
    /// is used up (the seed).
    EveryPack,
    /// Only while a billing item has exactly one usable pack left: when its
    /// calls left fall below the alert share, and when it reaches 0 (`d`, `e`).
    LastPack,
}

/// Account-wide settings of the price list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Settings {
    /// Currency code shown in outputs.
    pub currency: String,
    /// Free calls a month (per billing item, or per account), applied as a
    /// voucher; a billing item may set its own.
    pub free_calls_per_month: u64,
    /// Who shares the monthly free calls.
    pub free_quota: FreeQuota,
    /// Months a one-time free pack (首次开通赠送) stays valid; `None` in a list
    /// whose items have no one-time free calls (the file need not say).
    pub one_time_free_months: Option<u32>,
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
    /// Which packs are alerted on.
    pub pack_alert: AlertRule,
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

/// A prepaid pack on offer at a list price.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Pack {
    /// Calls in the pack.
    pub calls: u64,
    /// Price of one pack.
    #[serde(serialize_with = "serialize_decimal")]
    pub price: Decimal,
}

/// What a cell of a pack table says of one size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PackPrice {
    /// Sold at this list price.
    List(Decimal),
    /// Sold only at a negotiated price (联系商务).
    ContactSales,
    /// Not sold (——).
    NotSold,
}

/// One size of a pack table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PackCell {
    /// Calls in the pack.
    pub calls: u64,
    /// Its price, if any.
    pub price: PackPrice,
}

/// A billing item (计费项, 资源包名称): what has a price. Its tiers are reached
/// by the month's calls of all its APIs together; its packs and free calls
/// serve all of them. Where a page prices each API on its own, each API is
/// its own billing item, with the API's key and name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// The stable key (`idcard`, `general-cards`).
    pub key: String,
    /// The Chinese name (`身份证`, `通用证照识别`).
    pub name: String,
    /// Further accepted names.
    pub aliases: Vec<String>,
    /// The keys of the APIs billed under this item, in price-list order.
    pub apis: Vec<String>,
    /// Free calls a month for this item (with [`FreeQuota::PerItem`]).
    pub free_calls_per_month: u64,
    /// Calls of a free pack granted once, at first activation (首次开通赠送),
    /// valid `one_time_free_months`; 0 for none.
    pub one_time_free_calls: u64,
    /// Name of the tier schedule.
    pub tier_table: String,
    /// The postpaid tiers, ascending, last open-ended (shared by every API
    /// that names the same table).
    pub tiers: Tiers,
    /// Name of the pack table, if the API has packs.
    pub pack_table: Option<String>,
    /// The packs on offer at a list price, ascending by size; empty when none
    /// (shared by every item that names the same table).
    pub packs: Arc<[Pack]>,
    /// Every size of the pack table, with the ones not sold or sold only at a
    /// negotiated price.
    pub pack_cells: Arc<[PackCell]>,
}

/// Tiers of a table counted without a branch; a longer one is searched.
const SHORT_TABLE: usize = 8;

/// A postpaid tier table: its tiers (a slice, through `Deref`), shared by the
/// items that name it, and its first 8 bounds side by side, made with them
/// (what [`Item::tier_index`] counts a short table from).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tiers {
    tiers: Arc<[Tier]>,
    /// The bounds, `u64::MAX` for the open-ended last tier and past the end.
    uppers: [u64; SHORT_TABLE],
}

impl Tiers {
    /// A table of validated tiers: ascending, the last open-ended.
    pub(crate) fn new(tiers: Vec<Tier>) -> Tiers {
        let mut uppers = [u64::MAX; SHORT_TABLE];
        for (u, t) in uppers.iter_mut().zip(&tiers) {
            *u = t.upto.unwrap_or(u64::MAX);
        }
        Tiers {
            tiers: tiers.into(),
            uppers,
        }
    }

    /// Whether two items name the same table (one table shared, not two
    /// equal ones).
    pub fn same_table(&self, other: &Tiers) -> bool {
        Arc::ptr_eq(&self.tiers, &other.tiers)
    }
}

impl std::ops::Deref for Tiers {
    type Target = [Tier];

    fn deref(&self) -> &[Tier] {
        &self.tiers
    }
}

/// An API (接口), as users name it: billed under its billing item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Api {
    /// The stable key (`idcard`).
    pub key: String,
    /// The Chinese name (`身份证识别`).
    pub name: String,
    /// Further accepted names (other spellings on the pages).
    pub aliases: Vec<String>,
    /// Tencent Cloud API action names (`IDCardOCR`).
    pub actions: Vec<String>,
    /// Names the page also gives to an API of another billing item.
    pub shared_names: Vec<String>,
    /// The page's service category (服务类别, `卡证文字识别`), if it names one.
    pub category: Option<String>,
    /// Index of its billing item in [`PriceList::items`].
    pub item: usize,
}

/// The sizes of a pack table sold at a list price.
fn listed(cells: &[PackCell]) -> Vec<Pack> {
    cells
        .iter()
        .filter_map(|c| match c.price {
            PackPrice::List(price) => Some(Pack {
                calls: c.calls,
                price,
            }),
            _ => None,
        })
        .collect()
}

/// What a name given by a user stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Named {
    Api(usize),
    Item(usize),
    /// A name a page gives to several APIs (of different billing items).
    Ambiguous(Vec<usize>),
    /// A service category's name (服务类别) that is no API's or item's name:
    /// its APIs.
    Category(Vec<usize>),
    /// An API the page names without a price ([`PriceList::unpriced`]).
    Unpriced,
}

/// The place of `x` in `all`, when `x` is one of its elements (by address,
/// not by value: two equal elements are told apart).
fn index_in<T>(all: &[T], x: &T) -> Option<usize> {
    let offset = (x as *const T as usize).checked_sub(all.as_ptr() as usize)?;
    let i = offset / std::mem::size_of::<T>().max(1);
    all.get(i).filter(|at| std::ptr::eq(*at, x)).map(|_| i)
}

/// A name resolved: the billing item billed, and the API when the name was
/// an API's (not the item's own).
#[derive(Clone, Copy, Debug)]
pub struct Found<'a> {
    /// The billing item.
    pub item: &'a Item,
    /// Its index in [`PriceList::items`].
    pub item_index: usize,
    /// The API named, if the name was an API's.
    pub api: Option<&'a Api>,
}

/// The bounds of `uppers` below `calls`, without a branch.
#[inline(always)]
fn bounds_below<const N: usize>(uppers: &[u64; N], calls: u64, bounds: TierBounds) -> usize {
    match bounds {
        TierBounds::LowerExclusive => uppers.iter().map(|&u| usize::from(calls > u)).sum(),
        TierBounds::UpperExclusive => uppers.iter().map(|&u| usize::from(calls >= u)).sum(),
    }
}

impl Item {
    /// Tier reaching: the 0-based index of the one tier whose range holds
    /// `calls` (the one place a tier is chosen).
    pub fn tier_index(&self, calls: u64, bounds: TierBounds) -> usize {
        // Tiers ascend, so the tiers below `calls` are a prefix.
        // A price page's few tiers are counted without a branch (a binary
        // search's branches are a coin toss a row when counts are spread),
        // from their bounds side by side; a long table is searched. (The
        // open-ended last tier and the places past the end are `u64::MAX`:
        // counted only for `u64::MAX` calls up to an upper-exclusive bound,
        // and the last tier is the most there is.) The kind of bound is
        // matched once, outside the count: one closure matching it for each
        // bound made a flat `batch` run 7–10 % slower.
        let uppers = &self.tiers.uppers;
        let below = if self.tiers.len() <= 5 {
            // (Most tables: four bounds to count.)
            bounds_below::<4>(uppers[..4].try_into().expect("4 bounds"), calls, bounds)
        } else if self.tiers.len() <= SHORT_TABLE {
            bounds_below(uppers, calls, bounds)
        } else {
            self.tiers.partition_point(|t| match (t.upto, bounds) {
                (None, _) => false,
                (Some(upto), TierBounds::LowerExclusive) => calls > upto,
                (Some(upto), TierBounds::UpperExclusive) => calls >= upto,
            })
        };
        below.min(self.tiers.len() - 1)
    }

    /// The tier that `calls` reach, with its bounds described.
    ///
    /// ```
    /// use ocr_bill::{PriceList, TierBounds};
    /// let prices = PriceList::builtin();
    /// let idcard = prices.item("idcard").unwrap();
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

    /// The item with its packs at the prices paid (`(size, price)` pairs; a
    /// size sold only at a negotiated price becomes purchasable): what quotes
    /// and plans search when packs are bought at promotional prices.
    pub fn with_prices_paid(&self, paid: &[(u64, Decimal)]) -> Result<Item, Error> {
        let mut cells: Vec<PackCell> = self.pack_cells.to_vec();
        for &(size, price) in paid {
            self.pack_at(size, Some(price))?;
            if let Some(cell) = cells.iter_mut().find(|c| c.calls == size) {
                cell.price = PackPrice::List(price);
            }
        }
        Ok(Item {
            packs: listed(&cells).into(),
            pack_cells: cells.into(),
            ..self.clone()
        })
    }

    /// The pack of exactly `calls` calls at its list price, or an error naming
    /// the sizes offered.
    pub fn pack(&self, calls: u64) -> Result<Pack, Error> {
        self.pack_at(calls, None)
    }

    /// The pack of exactly `calls` calls at the price paid (`paid`, the list
    /// price when `None`). A size not sold, or sold only at a negotiated price
    /// and bought without one, is refused.
    pub fn pack_at(&self, calls: u64, paid: Option<Decimal>) -> Result<Pack, Error> {
        if self.pack_cells.is_empty() {
            return Err(Error::NoPacks {
                api: self.key.clone(),
            });
        }
        let offered = || {
            self.pack_cells
                .iter()
                .filter(|c| c.price != PackPrice::NotSold)
                .map(|c| c.calls.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let cell = self
            .pack_cells
            .iter()
            .find(|c| c.calls == calls)
            .filter(|c| c.price != PackPrice::NotSold)
            .ok_or_else(|| Error::PackSizeNotOffered {
                api: self.key.clone(),
                size: calls,
                offered: offered(),
            })?;
        match (cell.price, paid) {
            (_, Some(price)) => Ok(Pack { calls, price }),
            (PackPrice::List(price), None) => Ok(Pack { calls, price }),
            (_, None) => Err(Error::Invalid(format!(
                "{}: the {calls}-call pack has no list price (联系商务); give the price paid, \
                 e.g. {calls}@PRICE",
                self.key
            ))),
        }
    }
}

/// A validated price list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceList {
    /// Account-wide settings.
    pub settings: Settings,
    /// What the list is: its edition, source page and what distinguishes it.
    pub about: About,
    /// The billing items in price-list order (the order a per-account free
    /// quota is taken in).
    pub items: Vec<Item>,
    /// The APIs in price-list order.
    pub apis: Vec<Api>,
    /// APIs the page names but prices not (edition `c`'s free-beta APIs): a
    /// bill of one is refused, saying why.
    pub unpriced: Option<Unpriced>,
    names: HashMap<String, Named, rustc_hash::FxBuildHasher>,
    measured: Measured,
}

/// APIs a page names without a price, and why (`[unpriced]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unpriced {
    /// Why they have no price, as the refusal says it.
    pub why: String,
    /// Their names.
    pub names: Vec<String>,
}

/// What a price list says of itself (`[about]`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct About {
    /// The edition's name (`seed`, `d`), or the base a file starts from.
    pub edition: String,
    /// Where the prices come from.
    pub source: String,
    /// What bills differently from the seed.
    pub summary: String,
    /// The pricing file it was read from, as given (`--pricing FILE`); none
    /// for a built-in edition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The built-in edition a file starts from and overrides; none for a
    /// built-in edition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub based_on: Option<String>,
}

impl About {
    /// The price list as outputs name it: `edition d`, or for a file
    /// `negotiated.toml over edition d` (with its own name, if it gives one),
    /// so that a bill never passes for the list prices when it is not.
    pub fn label(&self) -> String {
        match (&self.file, &self.based_on) {
            (None, None) => format!("edition {}", self.edition),
            (file, Some(base)) => {
                let file = file.as_deref().unwrap_or("a price list");
                if self.edition == *base {
                    format!("{file} over edition {base}")
                } else {
                    format!("{file} ({}) over edition {base}", self.edition)
                }
            }
            (Some(file), None) => format!("{file} (edition {})", self.edition),
        }
    }
}

impl PriceList {
    /// The source page's price list (the embedded `pricing.toml`).
    pub fn builtin() -> PriceList {
        PriceList::edition("seed").expect("the embedded pricing.toml is valid")
    }

    /// A built-in edition by name (`a`, `b`, `seed`, `c`, `d`, `e`, `intl`).
    pub fn edition(name: &str) -> Result<PriceList, Error> {
        let i = edition_index(name)?;
        let list = packed_raw(i, false)
            .and_then(|raw| raw.validate(EDITIONS[i].1, None))
            .map_err(|e| Error::Invalid(format!("built-in edition '{name}': {e}")))?;
        Ok(list)
    }

    /// Parses and validates a price list.
    ///
    /// ```
    /// let list = ocr_bill::PriceList::from_toml(ocr_bill::DEFAULT_PRICING).unwrap();
    /// assert_eq!(list.item("身份证").unwrap().key, "idcard");
    /// ```
    /// A file may name the built-in edition it starts from (`edition = "d"`,
    /// default `seed`): the settings, tier and pack tables, billing items and
    /// API list that it leaves out come from that edition, so a file need only
    /// say what differs (a negotiated price, a changed pack price).
    pub fn from_toml(text: &str) -> Result<PriceList, PricingError> {
        PriceList::from_toml_over(text, "seed")
    }

    /// Parses and validates a price list that starts from the built-in
    /// edition `base` unless it names its own (`edition = "…"`).
    pub fn from_toml_over(text: &str, base: &str) -> Result<PriceList, PricingError> {
        let raw = parse_raw(text)?;
        if EDITIONS.iter().any(|(_, t)| *t == text) {
            return raw.validate(text, None);
        }
        let base_name = raw
            .edition
            .as_ref()
            .map(|e| e.get_ref().clone())
            .unwrap_or_else(|| base.to_string());
        let base_index = edition_index(&base_name).map_err(|e| PricingError {
            position: raw.edition.as_ref().map(|e| position(text, e.span().start)),
            message: e.to_string(),
        })?;
        let base = packed_raw(base_index, true).expect("the built-in editions read");
        let mut list = raw.over(base).validate(text, Some(EDITIONS[base_index]))?;
        if list.about.edition.is_empty() || list.about.edition == base_name {
            list.about.edition = base_name.clone();
        }
        list.about.based_on = Some(base_name);
        Ok(list)
    }

    /// Resolves a name: an API's key, Chinese name, alias or action name, or a
    /// billing item's key or name (ASCII case-insensitively), also with `资源包`
    /// after it (a pack's name). A name the page gives to APIs of two billing
    /// items is refused with both candidates.
    pub fn find(&self, name: &str) -> Result<Found<'_>, Error> {
        let wanted = name.trim();
        if wanted.is_empty() {
            return Err(Error::Invalid(
                "the API name is empty; expected an API key such as idcard".into(),
            ));
        }
        match self.names.get(&name_key(wanted)) {
            Some(Named::Api(i)) => {
                let api = &self.apis[*i];
                Ok(Found {
                    item: &self.items[api.item],
                    item_index: api.item,
                    api: Some(api),
                })
            }
            Some(Named::Item(i)) => Ok(Found {
                item: &self.items[*i],
                item_index: *i,
                api: None,
            }),
            Some(Named::Ambiguous(apis)) => Err(Error::Invalid(format!(
                "'{wanted}' names APIs of {} billing items: {}; name one",
                apis.len(),
                apis.iter()
                    .map(|&i| {
                        let api = &self.apis[i];
                        format!(
                            "{} ({}, billed as {})",
                            api.key, api.name, self.items[api.item].name
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" or ")
            ))),
            Some(Named::Unpriced) => Err(Error::Invalid(format!(
                "'{wanted}' has no price in edition {}: {}",
                self.about.edition,
                self.unpriced.as_ref().map_or("", |u| u.why.as_str())
            ))),
            Some(Named::Category(apis)) => Err(Error::Invalid(format!(
                "'{wanted}' is a service category (服务类别) of {} API{}, not an API: {}; name \
                 the API",
                apis.len(),
                if apis.len() == 1 { "" } else { "s" },
                apis.iter()
                    .map(|&i| format!("{} ({})", self.apis[i].key, self.apis[i].name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
            // A pack's name in an order list (`身份证识别资源包`) names its item.
            // (What the name before it is, ambiguous too, is told as of it.)
            None => match wanted
                .strip_suffix("资源包")
                .filter(|n| self.names.contains_key(&name_key(n.trim())))
            {
                Some(named) => self.find(named),
                None => match self.named_twice(wanted) {
                    Some(named) => self.find(named),
                    None => Err(self.unknown(name)),
                },
            },
        }
    }

    /// A name with another name of the same API in brackets after it, as a
    /// console or a report may write one (`身份证识别（IDCardOCR）`,
    /// `IDCardOCR (身份证识别)`): the name before them, when both name one API.
    fn named_twice<'n>(&self, name: &'n str) -> Option<&'n str> {
        let inner = name.strip_suffix(')').or_else(|| name.strip_suffix('）'))?;
        let (outer, bracketed) = inner.rsplit_once(['(', '（'])?;
        let (outer, bracketed) = (outer.trim(), bracketed.trim());
        let api = |n: &str| match self.names.get(&name_key(n)) {
            Some(Named::Api(i)) => Some(*i),
            _ => None,
        };
        let named = api(outer)?;
        (api(bracketed) == Some(named)).then_some(outer)
    }

    /// The billing item a name stands for (see [`PriceList::find`]).
    pub fn item(&self, name: &str) -> Result<&Item, Error> {
        self.find(name).map(|f| f.item)
    }

    /// The place of `api`, one of this list's APIs, in [`PriceList::apis`].
    pub fn api_index(&self, api: &Api) -> Option<usize> {
        index_in(&self.apis, api)
    }

    /// The place of `item`, one of this list's billing items, in
    /// [`PriceList::items`].
    pub fn item_index(&self, item: &Item) -> Option<usize> {
        index_in(&self.items, item)
    }

    /// The API of this key.
    pub fn api_by_key(&self, key: &str) -> Option<&Api> {
        self.apis.iter().find(|a| a.key == key)
    }

    fn unknown(&self, name: &str) -> Error {
        // As the names are kept: lower case, half width, Chinese without spaces.
        let wanted = name_key(name.trim());
        let nearest = self.measured.nearest(&wanted, || {
            self.names.keys().map(|name| Known::new(name)).collect()
        });
        // Every key at the least distance (车票: 汽车票 or 火车票), in list order.
        let mut keys: Vec<(usize, &str)> = nearest
            .iter()
            .filter_map(|n| match &self.names[*n] {
                Named::Api(i) => Some((*i, self.apis[*i].key.as_str())),
                Named::Item(i) => Some((self.apis.len() + *i, self.items[*i].key.as_str())),
                Named::Ambiguous(_) | Named::Category(_) | Named::Unpriced => None,
            })
            .collect();
        keys.sort();
        let mut seen = std::collections::HashSet::new();
        keys.retain(|(_, k)| seen.insert(*k));
        let suggestion = (!keys.is_empty()).then(|| {
            let quoted: Vec<String> = keys.iter().map(|(_, k)| format!("'{k}'")).collect();
            quoted.join(" or ")
        });
        // A word for a total (a cell of a spreadsheet's totals row) is no API.
        let suggestion = if crate::totals::totals_word(wanted.as_bytes()).is_some() {
            Some("; a total is not an API (a totals row of a file is read past)".to_string())
        } else {
            suggestion.map(|k| format!("; did you mean {k}?"))
        };
        Error::UnknownApi {
            name: name.to_string(),
            suggestion: suggestion.unwrap_or_default(),
            valid: crate::first_of(self.apis.iter().map(|a| a.key.as_str()), 12)
                + if self.apis.len() > 12 {
                    " (ocr-bill prices lists them)"
                } else {
                    ""
                },
        }
    }
}

impl PriceList {
    /// The price list as a complete pricing file, to start a file of one's own
    /// from: every setting, table, billing item and API, as loaded.
    pub fn to_toml(&self) -> String {
        use std::fmt::Write as _;
        let s = &self.settings;
        let q = |text: &str| toml::Value::String(text.to_string()).to_string();
        let kebab = |v: &dyn erased::Kebab| v.kebab();
        let mut out = String::new();
        let _ = writeln!(out, "# ocr-bill price list: edition {}", self.about.edition);
        let _ = writeln!(out, "currency = {}", q(&s.currency));
        let _ = writeln!(out, "free_calls_per_month = {}", s.free_calls_per_month);
        let _ = writeln!(out, "free_quota = {}", q(&kebab(&s.free_quota)));
        if let Some(months) = s.one_time_free_months {
            let _ = writeln!(out, "one_time_free_months = {months}");
        }
        let _ = writeln!(out, "tier_bounds = {}", q(&kebab(&s.tier_bounds)));
        let _ = writeln!(
            out,
            "overage_tier_basis = {}",
            q(&kebab(&s.overage_tier_basis))
        );
        let _ = writeln!(out, "pack_validity_months = {}", s.pack_validity_months);
        let _ = writeln!(
            out,
            "pack_alert_below = {}",
            q(&s.pack_alert_below.to_string())
        );
        let _ = writeln!(out, "pack_alert = {}", q(&kebab(&s.pack_alert)));
        let _ = writeln!(out, "\n[about]\nname = {}", q(&self.about.edition));
        let _ = writeln!(out, "source = {}", q(&self.about.source));
        let _ = writeln!(out, "summary = {}", q(&self.about.summary));
        let _ = writeln!(out, "\n[freeze]\nbasis = {}", q(&kebab(&s.freeze_basis)));
        let _ = writeln!(out, "ratio = {}", q(&s.freeze_ratio.to_string()));
        let mut tiers: BTreeMap<&str, &Tiers> = BTreeMap::new();
        let mut packs: BTreeMap<&str, &Arc<[PackCell]>> = BTreeMap::new();
        for item in &self.items {
            tiers.insert(&item.tier_table, &item.tiers);
            if let Some(name) = &item.pack_table {
                packs.insert(name, &item.pack_cells);
            }
        }
        out.push_str("\n[tiers]\n");
        for (name, table) in tiers {
            let _ = writeln!(out, "{} = [", q(name));
            for t in table.iter() {
                let upto = t.upto.map(|u| format!("upto = {u}, ")).unwrap_or_default();
                let price = match t.price {
                    TierPrice::List(p) => format!("price = {}", q(&p.to_string())),
                    TierPrice::ContactSales { negotiated: None } => {
                        "price = \"contact-sales\"".to_string()
                    }
                    TierPrice::ContactSales {
                        negotiated: Some(p),
                    } => format!(
                        "price = \"contact-sales\", negotiated_price = {}",
                        q(&p.to_string())
                    ),
                };
                let _ = writeln!(out, "  {{ {upto}{price} }},");
            }
            out.push_str("]\n");
        }
        out.push_str("\n[packs]\n");
        for (name, cells) in packs {
            let _ = writeln!(out, "{} = [", q(name));
            for c in cells.iter() {
                let price = match c.price {
                    PackPrice::List(p) => q(&p.to_string()),
                    PackPrice::ContactSales => q("contact-sales"),
                    PackPrice::NotSold => q("not-sold"),
                };
                let _ = writeln!(out, "  {{ calls = {}, price = {price} }},", c.calls);
            }
            out.push_str("]\n");
        }
        let list = |names: &[String]| names.iter().map(|n| q(n)).collect::<Vec<_>>().join(", ");
        // An item is written as its own table when it is not simply its API's.
        let own = |item: &Item| {
            item.apis.len() == 1
                && self
                    .api_by_key(&item.apis[0])
                    .is_some_and(|a| a.key == item.key && a.name == item.name)
                && item.aliases.is_empty()
        };
        for item in self.items.iter().filter(|i| !own(i)) {
            let _ = writeln!(
                out,
                "\n[[item]]\nkey = {}\nname = {}",
                q(&item.key),
                q(&item.name)
            );
            if !item.aliases.is_empty() {
                let _ = writeln!(out, "aliases = [{}]", list(&item.aliases));
            }
            let _ = writeln!(out, "tiers = {}", q(&item.tier_table));
            if let Some(p) = &item.pack_table {
                let _ = writeln!(out, "packs = {}", q(p));
            }
            let _ = writeln!(out, "free_calls_per_month = {}", item.free_calls_per_month);
            let _ = writeln!(out, "one_time_free_calls = {}", item.one_time_free_calls);
        }
        for api in &self.apis {
            let item = &self.items[api.item];
            let _ = writeln!(
                out,
                "\n[[api]]\nkey = {}\nname = {}",
                q(&api.key),
                q(&api.name)
            );
            for (field, names) in [
                ("aliases", &api.aliases),
                ("actions", &api.actions),
                ("shared_names", &api.shared_names),
            ] {
                if !names.is_empty() {
                    let _ = writeln!(out, "{field} = [{}]", list(names));
                }
            }
            if let Some(category) = &api.category {
                let _ = writeln!(out, "category = {}", q(category));
            }
            if own(item) {
                let _ = writeln!(out, "tiers = {}", q(&item.tier_table));
                if let Some(p) = &item.pack_table {
                    let _ = writeln!(out, "packs = {}", q(p));
                }
                let _ = writeln!(out, "free_calls_per_month = {}", item.free_calls_per_month);
                let _ = writeln!(out, "one_time_free_calls = {}", item.one_time_free_calls);
            } else {
                let _ = writeln!(out, "item = {}", q(&item.key));
            }
        }
        if let Some(u) = &self.unpriced {
            let _ = writeln!(
                out,
                "\n[unpriced]\nwhy = {}\nnames = [{}]",
                q(&u.why),
                list(&u.names)
            );
        }
        out
    }
}

/// The kebab-case name serde gives a settings enum.
mod erased {
    pub trait Kebab {
        fn kebab(&self) -> String;
    }

    impl<T: serde::Serialize> Kebab for T {
        fn kebab(&self) -> String {
            match toml::Value::try_from(self) {
                Ok(toml::Value::String(s)) => s,
                _ => String::new(),
            }
        }
    }
}

/// How a name is looked up: exactly, but for ASCII case and the full-width
/// forms a Chinese input method types (`（高精度版）`, `ＩＤＣａｒｄＯＣＲ`), and
/// in a Chinese name its spaces, which the pages themselves place or not
/// (`行驶证 / 驾驶证识别`, `智能结构化识别 V2`): `通用印刷体识别(高精度版)` finds its
/// API. An ASCII name keeps its spaces (`id card` is no `idcard`).
fn name_key(name: &str) -> String {
    if name.is_ascii() {
        return name.to_ascii_lowercase();
    }
    let mut key = String::with_capacity(name.len());
    for c in name.chars() {
        key.push(crate::parse::half_width(c).to_ascii_lowercase());
    }
    if !key.is_ascii() {
        key.retain(|c| !c.is_whitespace());
    }
    key
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The tier a count reaches, by the definition: the first whose range
    /// holds it (the last is open-ended).
    fn holding(item: &Item, calls: u64, bounds: TierBounds) -> usize {
        item.tiers
            .iter()
            .position(|t| match (t.upto, bounds) {
                (None, _) => true,
                (Some(u), TierBounds::LowerExclusive) => calls <= u,
                (Some(u), TierBounds::UpperExclusive) => calls < u,
            })
            .expect("an open-ended last tier")
    }

    /// An API's or item's place is found by address: each of the list's at
    /// its own place, an equal one of another list at none.
    #[test]
    fn places_are_of_the_list_own_elements() {
        let prices = PriceList::edition("d").unwrap();
        for (i, api) in prices.apis.iter().enumerate() {
            assert_eq!(prices.api_index(api), Some(i));
        }
        for (i, item) in prices.items.iter().enumerate() {
            assert_eq!(prices.item_index(item), Some(i));
        }
        let other = PriceList::edition("d").unwrap();
        assert_eq!(prices.api_index(&other.apis[0]), None);
        assert_eq!(prices.item_index(&other.items[3]), None);
        let copy = prices.items[1].clone();
        assert_eq!(prices.item_index(&copy), None);
    }

    /// Short tables (counted) and long ones (searched) pick the same tier as
    /// the definition, at and around every bound, under both bounds.
    #[test]
    fn every_table_length_reaches_the_tier_that_holds_the_count() {
        for len in [1u64, 2, 4, 5, 6, 8, 9, 40] {
            let uppers: Vec<u64> = (1..len).map(|i| i * 1000).collect();
            let calls: Vec<u64> = (0..=len * 1000 + 1)
                .filter(|c| matches!(c % 1000, 0 | 1 | 999))
                .collect();
            reaches_as_defined(&uppers, &calls);
        }
        // The largest bound a pricing file can write (TOML's largest
        // integer), short and long tables, at and around it.
        let top = i64::MAX as u64;
        for len in [3u64, 9] {
            let uppers: Vec<u64> = (1..len - 1).map(|i| i * 1000).chain([top]).collect();
            reaches_as_defined(&uppers, &[0, 1000, top - 1, top, top + 1, u64::MAX - 1]);
        }
    }

    /// `tier_index` against the definition, for a table of tiers up to
    /// `uppers` and an open-ended last, under both bounds, at `calls` and at
    /// the most calls there can be.
    fn reaches_as_defined(uppers: &[u64], calls: &[u64]) {
        let tiers: Vec<String> = (uppers.iter().enumerate())
            .map(|(i, u)| format!("{{ upto = {u}, price = \"0.{:02}\" }}", i + 1))
            .chain(["{ price = \"0.01\" }".to_string()])
            .collect();
        for bounds in ["lower-exclusive", "upper-exclusive"] {
            let toml = format!(
                "tier_bounds = \"{bounds}\"\n[tiers]\nstandard = [{}]\n",
                tiers.join(", ")
            );
            let list = PriceList::from_toml(&toml).unwrap();
            let item = list.item("idcard").unwrap();
            let b = list.settings.tier_bounds;
            assert_eq!(item.tiers.len(), uppers.len() + 1);
            for &c in calls.iter().chain([&u64::MAX]) {
                let len = uppers.len() + 1;
                assert_eq!(
                    item.tier_index(c, b),
                    holding(item, c, b),
                    "{len} tiers, {bounds}, {c} calls"
                );
            }
            assert_eq!(item.tier_index(u64::MAX, b), uppers.len());
        }
    }
}
