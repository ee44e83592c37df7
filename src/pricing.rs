//! The price list: a raw serde layer mirroring `pricing.toml`, validated into
//! [`PriceList`], which the calculator then trusts.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::money::{format_price, serialize_decimal};
use crate::{parse_decimal, Error};

/// The longest API key, name or alias accepted.
pub const MAX_NAME_CHARS: usize = 64;

/// The price list of the source page, embedded in the binary.
pub const DEFAULT_PRICING: &str = include_str!("../pricing.toml");

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
    pub tiers: Arc<[Tier]>,
    /// Name of the pack table, if the API has packs.
    pub pack_table: Option<String>,
    /// The packs on offer at a list price, ascending by size; empty when none
    /// (shared by every item that names the same table).
    pub packs: Arc<[Pack]>,
    /// Every size of the pack table, with the ones not sold or sold only at a
    /// negotiated price.
    pub pack_cells: Arc<[PackCell]>,
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

impl Item {
    /// Tier reaching: the 0-based index of the one tier whose range holds
    /// `calls` (the one place a tier is chosen).
    pub fn tier_index(&self, calls: u64, bounds: TierBounds) -> usize {
        // Tiers ascend, so the tiers below `calls` are a prefix.
        let below_it = |t: &Tier| match (t.upto, bounds) {
            (None, _) => false,
            (Some(upto), TierBounds::LowerExclusive) => calls > upto,
            (Some(upto), TierBounds::UpperExclusive) => calls >= upto,
        };
        // A price page's few tiers are counted without a branch (a binary
        // search's branches are a coin toss a row when counts are spread);
        // a long table is searched.
        let below = if self.tiers.len() <= 8 {
            self.tiers.iter().map(|t| usize::from(below_it(t))).sum()
        } else {
            self.tiers.partition_point(below_it)
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

/// How far `wanted` is from the known name `known`, when near enough to be
/// suggested for it. An ASCII name (a key, an action) may be a third of its
/// length off, at least two edits (`idcrad`). A Chinese name is compared
/// without the 识别 ("recognition") that most end in, and may be one character
/// off if three or more remain (身分证 for 身份证), none if fewer: each
/// character names the product, and every two-character product + 识别 is two
/// edits from every other (表格识别, table recognition, is not 名片识别, business
/// cards; 火车票 is not 车牌).
fn near(wanted: &Wanted<'_>, known: &Known) -> Option<usize> {
    let (name, chars, set, most) = if known.ascii {
        (
            wanted.name,
            wanted.chars,
            wanted.set,
            2.max(known.chars / 3),
        )
    } else {
        let most = usize::from(known.chars >= 3);
        (wanted.bare, wanted.bare_chars, wanted.bare_set, most)
    };
    // Lengths further apart than that are further apart in edits too, and so
    // are names with more characters that the other has nowhere: no distance
    // to compute (a file of unknown names asks for one a row).
    if chars.abs_diff(known.chars) > most
        || set.missing_from(known.set).max(known.set.missing_from(set)) > most
    {
        return None;
    }
    let form = if known.ascii {
        &known.name
    } else {
        bare(&known.name)
    };
    Some(strsim::levenshtein(name, form)).filter(|&d| d <= most)
}

/// A Chinese name without the 识别 ("recognition") that most end in.
fn bare(name: &str) -> &str {
    name.strip_suffix("识别").unwrap_or(name)
}

/// The characters of a name, as 256 bits: an ASCII character its own, any
/// other one of 128 by its code. A character of one name whose bit the other
/// lacks is not in the other: an edit at least.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct CharSet {
    ascii: u128,
    other: u128,
}

impl CharSet {
    fn of(name: &str) -> CharSet {
        name.chars()
            .fold(CharSet::default(), |set, c| match u8::try_from(c) {
                Ok(b) if b.is_ascii() => CharSet {
                    ascii: set.ascii | 1u128 << b,
                    ..set
                },
                _ => CharSet {
                    other: set.other | 1u128 << (u32::from(c) % 128),
                    ..set
                },
            })
    }

    /// How many of its bits `other` lacks: at least as many edits apart.
    fn missing_from(self, other: CharSet) -> usize {
        ((self.ascii & !other.ascii).count_ones() + (self.other & !other.other).count_ones())
            as usize
    }
}

/// An unknown name as [`near`] compares it with each known one: measured once.
struct Wanted<'a> {
    name: &'a str,
    chars: usize,
    set: CharSet,
    bare: &'a str,
    bare_chars: usize,
    bare_set: CharSet,
}

impl<'a> Wanted<'a> {
    fn new(name: &'a str) -> Self {
        let bare = bare(name);
        Wanted {
            name,
            chars: name.chars().count(),
            set: CharSet::of(name),
            bare,
            bare_chars: bare.chars().count(),
            bare_set: CharSet::of(bare),
        }
    }
}

/// A known name as [`near`] compares it with unknown ones: an ASCII name as
/// it is, any other without its 识别.
#[derive(Clone, Debug)]
struct Known {
    name: String,
    ascii: bool,
    chars: usize,
    set: CharSet,
}

impl Known {
    fn new(name: &str) -> Known {
        let ascii = name.is_ascii();
        let form = if ascii { name } else { bare(name) };
        Known {
            name: name.to_string(),
            ascii,
            chars: form.chars().count(),
            set: CharSet::of(form),
        }
    }
}

/// The known names measured for suggestions, when a name is first refused: a
/// cache of what the list holds, equal whatever it holds.
#[derive(Clone, Debug, Default)]
struct Measured(std::sync::OnceLock<Vec<Known>>);

impl PartialEq for Measured {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Measured {}

/// The built-in editions, oldest first by content: name and price list.
pub const EDITIONS: [(&str, &str); 7] = [
    ("a", include_str!("../editions/a.toml")),
    ("b", include_str!("../editions/b.toml")),
    ("seed", DEFAULT_PRICING),
    ("c", include_str!("../editions/c.toml")),
    ("d", include_str!("../editions/d.toml")),
    ("e", include_str!("../editions/e.toml")),
    ("intl", include_str!("../editions/intl.toml")),
];

/// The built-in editions as each start reads them: packed by `build.rs`
/// from the same TOML files (`src/packed.rs`), in the order of [`EDITIONS`].
/// (Its length is the list's: an edition added there and not here does not
/// compile.)
const PACKED: [&[u8]; EDITIONS.len()] = {
    macro_rules! packed {
        ($name:literal) => {
            include_bytes!(concat!(env!("OUT_DIR"), "/", $name, ".packed"))
        };
    }
    [
        packed!("a"),
        packed!("b"),
        packed!("seed"),
        packed!("c"),
        packed!("d"),
        packed!("e"),
        packed!("intl"),
    ]
};

/// Built-in edition `i` as the TOML of [`EDITIONS`] reads, from its packed
/// form; with `shift`, its spans are [`BASE_SPANS`] on, as the base of a
/// pricing file.
fn packed_raw(i: usize, shift: bool) -> Result<RawPriceList, PricingError> {
    let shift = if shift { BASE_SPANS } else { 0 };
    crate::packed::from_packed(PACKED[i], shift).map_err(|e| PricingError {
        position: e.span.map(|s| position(EDITIONS[i].1, s.start - shift)),
        message: e.message,
    })
}

/// Where the spans of a pricing file's base edition start: a value of the
/// edition that the file's values make wrong is named in the edition's text,
/// not at a place of the file.
const BASE_SPANS: usize = 1 << (usize::BITS - 2);

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

    /// The API of this key.
    pub fn api_by_key(&self, key: &str) -> Option<&Api> {
        self.apis.iter().find(|a| a.key == key)
    }

    fn unknown(&self, name: &str) -> Error {
        // As the names are kept: lower case, half width, Chinese without spaces.
        let wanted = name_key(name.trim());
        let measured = Wanted::new(&wanted);
        let known = (self.measured.0)
            .get_or_init(|| self.names.keys().map(|name| Known::new(name)).collect());
        let near: Vec<(usize, &String)> = known
            .iter()
            .filter_map(|k| near(&measured, k).map(|d| (d, &k.name)))
            .collect();
        // Every key at the least distance (车票: 汽车票 or 火车票), in list order.
        let least = near.iter().map(|(d, _)| *d).min();
        let mut keys: Vec<(usize, &str)> = near
            .iter()
            .filter(|(d, _)| Some(*d) == least)
            .filter_map(|(_, n)| match &self.names[*n] {
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
        let suggestion = if crate::records::totals_word(wanted.as_bytes()).is_some() {
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
        let mut tiers: BTreeMap<&str, &Arc<[Tier]>> = BTreeMap::new();
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

/// The text of a built-in edition, or an error listing them.
pub fn edition_text(name: &str) -> Result<&'static str, Error> {
    edition_index(name).map(|i| EDITIONS[i].1)
}

/// Where a built-in edition is in [`EDITIONS`], or an error listing them.
fn edition_index(name: &str) -> Result<usize, Error> {
    EDITIONS
        .iter()
        .position(|(n, _)| n.eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| {
            Error::Invalid(format!(
                "unknown edition '{name}'; expected one of: {}",
                EDITIONS.map(|(n, _)| n).join(", ")
            ))
        })
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

fn parse_raw(text: &str) -> Result<RawPriceList, PricingError> {
    let error = |e: toml::de::Error| PricingError {
        position: e.span().map(|s| position(text, s.start)),
        message: e.message().trim().replace('\n', " "),
    };
    let mut root = toml::de::DeTable::parse(text).map_err(error)?;
    decimals_as_written(root.get_mut());
    RawPriceList::deserialize(toml::de::Deserializer::from(root)).map_err(error)
}

/// Money and ratios written as TOML floats (`price = 0.15`) are read as the
/// decimals they are written as, never through binary floating point: in the
/// fields that hold a decimal (these, and only these, are [`DecimalValue`]s or
/// prices), a float's text becomes a string (`"0.15"`) before deserializing.
/// A float anywhere else is refused as before (`upto = 1000.5`).
fn decimals_as_written(root: &mut toml::de::DeTable<'_>) {
    use toml::de::{DeTable, DeValue};
    fn field<'a, 'i>(
        table: &'a mut DeTable<'i>,
        key: &str,
    ) -> Option<&'a mut Spanned<DeValue<'i>>> {
        table
            .iter_mut()
            .find(|(k, _)| k.get_ref() == key)
            .map(|(_, v)| v)
    }
    fn as_written(value: Option<&mut Spanned<DeValue<'_>>>) {
        if let Some(value) = value {
            if let DeValue::Float(f) = value.get_ref() {
                let text = f.as_str().to_owned();
                *value.get_mut() = DeValue::String(text.into());
            }
        }
    }
    // Each table of tables of rows (`[tiers] standard = [{ price = … }]`).
    fn rows(root: &mut DeTable<'_>, tables: &str, keys: &[&str]) {
        let Some(DeValue::Table(tables)) = field(root, tables).map(Spanned::get_mut) else {
            return;
        };
        for (_, rows) in tables.iter_mut() {
            let DeValue::Array(rows) = rows.get_mut() else {
                continue;
            };
            for row in rows.iter_mut() {
                if let DeValue::Table(row) = row.get_mut() {
                    for key in keys {
                        as_written(field(row, key));
                    }
                }
            }
        }
    }
    as_written(field(root, "pack_alert_below"));
    if let Some(DeValue::Table(freeze)) = field(root, "freeze").map(Spanned::get_mut) {
        as_written(field(freeze, "ratio"));
    }
    rows(root, "tiers", &["price", "negotiated_price"]);
    rows(root, "packs", &["price"]);
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
#[serde(
    deny_unknown_fields,
    expecting = "a price list: a TOML table of settings, [tiers], [packs] and [[api]]"
)]
struct RawPriceList {
    edition: Option<Spanned<String>>,
    about: Option<RawAbout>,
    currency: Option<String>,
    #[serde(default, deserialize_with = "some_count")]
    free_calls_per_month: Option<u64>,
    #[serde(default, deserialize_with = "some_word")]
    free_quota: Option<FreeQuota>,
    one_time_free_months: Option<Spanned<Months>>,
    #[serde(default, deserialize_with = "some_word")]
    tier_bounds: Option<TierBounds>,
    #[serde(default, deserialize_with = "some_word")]
    overage_tier_basis: Option<OverageTierBasis>,
    pack_validity_months: Option<Spanned<Months>>,
    pack_alert_below: Option<Spanned<ShareValue>>,
    #[serde(default, deserialize_with = "some_word")]
    pack_alert: Option<AlertRule>,
    #[serde(default)]
    freeze: RawFreeze,
    #[serde(default)]
    tiers: BTreeMap<String, Spanned<Listed<Spanned<RawTier>>>>,
    #[serde(default)]
    packs: BTreeMap<String, Spanned<Listed<Spanned<RawPack>>>>,
    #[serde(default, deserialize_with = "some_word")]
    lists: Option<Lists>,
    item: Option<Vec<Spanned<RawItem>>>,
    api: Option<Vec<Spanned<RawApi>>>,
    unpriced: Option<Spanned<RawUnpriced>>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an [unpriced] table: why = \"…\", names = [\"…\", …]"
)]
struct RawUnpriced {
    why: String,
    names: Vec<String>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(
    deny_unknown_fields,
    expecting = "an [about] table: name, source, summary"
)]
struct RawAbout {
    name: Option<String>,
    source: Option<String>,
    summary: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, expecting = "a [freeze] table: basis and ratio")]
struct RawFreeze {
    #[serde(default, deserialize_with = "some_word")]
    basis: Option<FreezeBasis>,
    ratio: Option<Spanned<ShareValue>>,
}

impl RawPriceList {
    /// This file over `base`: each setting this file leaves out, each tier or
    /// pack table it does not define, and the item and API lists if it has
    /// none, come from `base`.
    fn over(mut self, base: RawPriceList) -> RawPriceList {
        let mut tiers = base.tiers;
        tiers.append(&mut self.tiers);
        let mut packs = base.packs;
        packs.append(&mut self.packs);
        let (item, api) = match (self.lists, self.api) {
            (Some(Lists::Merge), api) => (
                merged(base.item, self.item, |i| i.key.get_ref()),
                merged(base.api, api, |a| a.key.get_ref()),
            ),
            (_, Some(api)) => (self.item, Some(api)),
            (_, None) => (self.item.or(base.item), base.api),
        };
        RawPriceList {
            edition: self.edition,
            about: self.about.or(base.about),
            currency: self.currency.or(base.currency),
            free_calls_per_month: self.free_calls_per_month.or(base.free_calls_per_month),
            free_quota: self.free_quota.or(base.free_quota),
            one_time_free_months: self.one_time_free_months.or(base.one_time_free_months),
            tier_bounds: self.tier_bounds.or(base.tier_bounds),
            overage_tier_basis: self.overage_tier_basis.or(base.overage_tier_basis),
            pack_validity_months: self.pack_validity_months.or(base.pack_validity_months),
            pack_alert_below: self.pack_alert_below.or(base.pack_alert_below),
            pack_alert: self.pack_alert.or(base.pack_alert),
            freeze: RawFreeze {
                basis: self.freeze.basis.or(base.freeze.basis),
                ratio: self.freeze.ratio.or(base.freeze.ratio),
            },
            tiers,
            packs,
            lists: None,
            item,
            api,
            unpriced: self.unpriced.or(base.unpriced),
        }
    }
}

/// The edition's list `base` with the file's entries `mine`: each in the
/// place of the edition's entry of its key, if it has one, else after them.
/// Two of the file's entries of one key both stay, to be refused as the
/// file's list would be without `lists = "merge"`.
fn merged<T>(
    base: Option<Vec<Spanned<T>>>,
    mine: Option<Vec<Spanned<T>>>,
    key: impl Fn(&T) -> &String,
) -> Option<Vec<Spanned<T>>> {
    let Some(mine) = mine else {
        return base;
    };
    let mut list = base.unwrap_or_default();
    // The edition's entries not yet replaced.
    let mut theirs = vec![true; list.len()];
    for entry in mine {
        let same = |e: &Spanned<T>| key(e.get_ref()) == key(entry.get_ref());
        match (0..theirs.len()).find(|&i| theirs[i] && same(&list[i])) {
            Some(at) => {
                list[at] = entry;
                theirs[at] = false;
            }
            None => list.push(entry),
        }
    }
    Some(list)
}

/// A required value, or the error naming it.
fn need<T>(value: Option<T>, name: &str) -> Result<T, PricingError> {
    value.ok_or_else(|| PricingError {
        position: None,
        message: format!("missing field `{name}`"),
    })
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a tier: { upto = 10000, price = \"0.15\" }"
)]
struct RawTier {
    #[serde(default, deserialize_with = "some_count")]
    upto: Option<u64>,
    price: RawTierPrice,
    negotiated_price: Option<DecimalValue>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a pack: { calls = 1000, price = 120 }"
)]
struct RawPack {
    #[serde(deserialize_with = "count")]
    calls: u64,
    price: RawPackPrice,
}

/// A pack cell: a price, `"contact-sales"` (联系商务) or `"not-sold"` (——).
enum RawPackPrice {
    Price(Decimal),
    ContactSales,
    NotSold,
}

impl<'de> Deserialize<'de> for RawPackPrice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match d.deserialize_any(DecimalVisitor {
            allow_contact_sales: true,
            allow_percent: false,
        })? {
            RawTierPrice::List(p) => Ok(RawPackPrice::Price(p)),
            RawTierPrice::ContactSales => Ok(RawPackPrice::ContactSales),
            RawTierPrice::NotSold => Ok(RawPackPrice::NotSold),
        }
    }
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a billing item: a table with key, name and tiers"
)]
struct RawItem {
    key: Spanned<String>,
    name: Spanned<String>,
    #[serde(default)]
    aliases: Vec<Spanned<String>>,
    tiers: Spanned<String>,
    packs: Option<Spanned<String>>,
    #[serde(default, deserialize_with = "some_count")]
    free_calls_per_month: Option<u64>,
    #[serde(default, deserialize_with = "some_count")]
    one_time_free_calls: Option<u64>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an API: a table with key, name and tiers (or item)"
)]
struct RawApi {
    key: Spanned<String>,
    name: Spanned<String>,
    #[serde(default)]
    aliases: Vec<Spanned<String>>,
    #[serde(default)]
    actions: Vec<Spanned<String>>,
    /// Names the page also gives to an API of another billing item: accepted
    /// only with the candidates named.
    #[serde(default)]
    shared_names: Vec<Spanned<String>>,
    category: Option<Spanned<String>>,
    item: Option<Spanned<String>>,
    tiers: Option<Spanned<String>>,
    packs: Option<Spanned<String>>,
    #[serde(default, deserialize_with = "some_count")]
    free_calls_per_month: Option<u64>,
    #[serde(default, deserialize_with = "some_count")]
    one_time_free_calls: Option<u64>,
}

/// A whole number in a pricing file: a TOML integer (`10000`, `10_000`); a
/// string (`"10,000"`) or a negative number is refused saying what to write,
/// `expected`.
fn whole<'de, D: Deserializer<'de>>(d: D, expected: &'static str) -> Result<u64, D::Error> {
    struct Whole(&'static str);
    impl Visitor<'_> for Whole {
        type Value = u64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
        }
    }
    d.deserialize_u64(Whole(expected))
}

/// A setting named by a word in quotes (`free_quota = "per-item"`): a value of
/// another type (`free_quota = 1`) is refused naming the words, as a misspelt
/// word is.
fn some_word<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: de::DeserializeOwned,
{
    struct Word<T>(std::marker::PhantomData<T>);
    impl<T: de::DeserializeOwned> Visitor<'_> for Word<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let words: Vec<String> = words::<T>().iter().map(|w| format!("\"{w}\"")).collect();
            write!(f, "one of {}, in quotes", words.join(", "))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            T::deserialize(de::value::StrDeserializer::new(v))
        }
    }
    d.deserialize_any(Word(std::marker::PhantomData)).map(Some)
}

/// The words a setting's type is named by (its enum's variants, as serde
/// names them): the variants that serde lists when refusing an unknown one.
fn words<T: de::DeserializeOwned>() -> &'static [&'static str] {
    #[derive(Debug)]
    struct Words(&'static [&'static str]);
    impl fmt::Display for Words {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{:?}", self.0)
        }
    }
    impl std::error::Error for Words {}
    impl de::Error for Words {
        fn custom<M: fmt::Display>(_: M) -> Words {
            Words(&[])
        }
        fn unknown_variant(_: &str, expected: &'static [&'static str]) -> Words {
            Words(expected)
        }
    }
    match T::deserialize(de::value::StrDeserializer::<Words>::new("")) {
        Err(Words(words)) => words,
        Ok(_) => &[],
    }
}

/// A table's list in a pricing file (`standard = [ … ]`): any other value is
/// refused saying what the list holds.
struct Listed<T>(Vec<T>);

/// What a [`Listed`] list holds, for the refusal of anything else.
trait ListOf {
    const LIST: &'static str;
}

impl ListOf for Spanned<RawTier> {
    const LIST: &'static str =
        "a list of tiers: [{ upto = 1000, price = \"0\" }, …, { price = \"0.06\" }]";
}

impl ListOf for Spanned<RawPack> {
    const LIST: &'static str = "a list of packs: [{ calls = 1000, price = 120 }, …]";
}

impl<T> std::ops::Deref for Listed<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<'de, T: Deserialize<'de> + ListOf> Deserialize<'de> for Listed<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Listed<T>, D::Error> {
        struct List<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de> + ListOf> Visitor<'de> for List<T> {
            type Value = Listed<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(T::LIST)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Listed<T>, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Listed(items))
            }
        }
        d.deserialize_seq(List(std::marker::PhantomData))
    }
}

/// A count of calls (see [`whole`]).
fn count<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    whole(
        d,
        "a whole number of calls, without quotes: 10000 or 10_000",
    )
}

/// A number of months (`pack_validity_months = 12`; see [`whole`]).
struct Months(u32);

impl<'de> Deserialize<'de> for Months {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Months, D::Error> {
        const EXPECTED: &str = "a whole number of months, without quotes: 12";
        let months = whole(d, EXPECTED)?;
        u32::try_from(months)
            .map(Months)
            .map_err(|_| de::Error::invalid_value(de::Unexpected::Unsigned(months), &EXPECTED))
    }
}

/// A count of calls that may be left out (see [`count`]).
fn some_count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    count(d).map(Some)
}

/// A decimal written as a string (`"0.15"`), an integer (`120`) or a TOML float
/// (`0.15`, read as written by [`decimals_as_written`]; a float that reaches
/// the visitor has been rounded through binary floating point and is refused).
struct DecimalValue(Decimal);

struct DecimalVisitor {
    allow_contact_sales: bool,
    /// A share may be written as a percentage (`"20%"` is 0.20), as the pages
    /// write them (120% freeze, 20% alert).
    allow_percent: bool,
}

impl<'de> Visitor<'de> for DecimalVisitor {
    type Value = RawTierPrice;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.allow_contact_sales {
            f.write_str("a price as a string such as \"0.15\", an integer, or \"contact-sales\"")
        } else if self.allow_percent {
            f.write_str("a share as a decimal such as \"0.15\" or a percentage such as \"15%\"")
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
        if self.allow_contact_sales && v == "not-sold" {
            return Ok(RawTierPrice::NotSold);
        }
        let (number, percent) = match v.trim().strip_suffix('%') {
            Some(number) if self.allow_percent => (number, true),
            _ => (v, false),
        };
        // A percentage is a hundredth: the same digits at two more decimal
        // places, exact, or refused where a decimal has no room for them.
        let share = |mut d: Decimal| {
            if !percent {
                return Ok(d);
            }
            d.set_scale(d.scale() + 2)
                .map(|()| d)
                .map_err(|_| Error::BadAmount {
                    input: v.to_string(),
                    reason: "has too many decimal places as a percentage; a decimal holds at most \
                         28 decimal places"
                        .into(),
                })
        };
        parse_decimal(number)
            .and_then(share)
            .map(RawTierPrice::List)
            .map_err(|e| {
                let reason = match e {
                    Error::BadAmount { reason, .. } if reason.contains("28 decimal") => reason,
                    _ => "is not a decimal number".to_string(),
                };
                E::custom(format!(
                    "'{v}' {reason}; expected {}",
                    if self.allow_contact_sales {
                        "a price such as \"0.15\" or \"contact-sales\""
                    } else if self.allow_percent {
                        "a share such as \"0.15\" or \"15%\""
                    } else {
                        "a decimal such as \"0.15\""
                    }
                ))
            })
    }
}

impl<'de> Deserialize<'de> for DecimalValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        decimal_of(d, false).map(DecimalValue)
    }
}

/// A share (a ratio, a threshold): a [`DecimalValue`], or a percentage
/// written as a string (`"120%"` is 1.2).
struct ShareValue(Decimal);

impl<'de> Deserialize<'de> for ShareValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        decimal_of(d, true).map(ShareValue)
    }
}

fn decimal_of<'de, D: Deserializer<'de>>(d: D, allow_percent: bool) -> Result<Decimal, D::Error> {
    match d.deserialize_any(DecimalVisitor {
        allow_contact_sales: false,
        allow_percent,
    })? {
        RawTierPrice::List(v) => Ok(v),
        _ => unreachable!("refused by the visitor"),
    }
}

enum RawTierPrice {
    List(Decimal),
    ContactSales,
    /// Only in pack tables; refused in a tier.
    NotSold,
}

impl<'de> Deserialize<'de> for RawTierPrice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DecimalVisitor {
            allow_contact_sales: true,
            allow_percent: false,
        })
    }
}

struct Checker<'a> {
    text: &'a str,
    /// The name and text of the built-in edition the price list builds on,
    /// whose values' spans are [`BASE_SPANS`] on.
    base: Option<(&'a str, &'a str)>,
}

impl Checker<'_> {
    fn fail<T>(&self, span: Range<usize>, mut message: String) -> Result<T, PricingError> {
        let position = match self.base {
            Some((name, text)) if span.start >= BASE_SPANS => {
                let (line, column) = position(text, span.start - BASE_SPANS);
                message.push_str(&format!(
                    " (at line {line}, column {column} of built-in edition '{name}', \
                     which the file builds on)"
                ));
                None
            }
            _ => Some(position(self.text, span.start)),
        };
        Err(PricingError { position, message })
    }
}

impl RawPriceList {
    fn validate(self, text: &str, base: Option<(&str, &str)>) -> Result<PriceList, PricingError> {
        let c = Checker { text, base };
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
        if !(1..=1200).contains(&validity.get_ref().0) {
            return c.fail(
                validity.span(),
                format!(
                    "pack_validity_months is {}; expected 1 to 1200 (100 years)",
                    validity.get_ref().0
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
        let one_time_months = self.one_time_free_months.map(|m| {
            if (1..=1200).contains(&m.get_ref().0) {
                Ok(m.get_ref().0)
            } else {
                c.fail(
                    m.span(),
                    format!(
                        "one_time_free_months is {}; expected 1 to 1200",
                        m.get_ref().0
                    ),
                )
            }
        });
        let settings = Settings {
            currency,
            free_calls_per_month: need(self.free_calls_per_month, "free_calls_per_month")?,
            free_quota: self.free_quota.unwrap_or(FreeQuota::PerItem),
            one_time_free_months: one_time_months.transpose()?,
            tier_bounds: need(self.tier_bounds, "tier_bounds")?,
            overage_tier_basis: need(self.overage_tier_basis, "overage_tier_basis")?,
            freeze_basis: need(self.freeze.basis, "freeze.basis")?,
            freeze_ratio: ratio,
            pack_validity_months: validity.get_ref().0,
            pack_alert_below: alert,
            pack_alert: self.pack_alert.unwrap_or(AlertRule::EveryPack),
        };
        let about = self.about.clone().unwrap_or_default();
        let about = About {
            edition: about
                .name
                .or_else(|| self.edition.as_ref().map(|e| e.get_ref().clone()))
                .unwrap_or_default(),
            source: about.source.unwrap_or_default(),
            summary: about.summary.unwrap_or_default(),
            file: None,
            based_on: None,
        };
        let api_list = need(self.api, "api")?;

        let mut schedules: BTreeMap<String, Arc<[Tier]>> = BTreeMap::new();
        for (name, tiers) in &self.tiers {
            schedules.insert(name.clone(), c.tiers(name, tiers)?.into());
        }
        let mut pack_tables: BTreeMap<String, Arc<[PackCell]>> = BTreeMap::new();
        for (name, packs) in &self.packs {
            pack_tables.insert(name.clone(), c.packs(name, packs)?.into());
        }
        let tier_table = |owner: &str, t: &Spanned<String>| -> Result<Arc<[Tier]>, PricingError> {
            match schedules.get(t.get_ref()) {
                Some(tiers) => Ok(Arc::clone(tiers)),
                None => c.fail(
                    t.span(),
                    format!(
                        "'{owner}' names tier table '{}', which is not defined; defined: {}",
                        t.get_ref(),
                        schedules.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                ),
            }
        };
        let pack_table =
            |owner: &str, p: &Option<Spanned<String>>| -> Result<Arc<[PackCell]>, PricingError> {
                match p {
                    None => Ok(Arc::from([])),
                    Some(p) => match pack_tables.get(p.get_ref()) {
                        Some(cells) => Ok(Arc::clone(cells)),
                        None => c.fail(
                            p.span(),
                            format!(
                                "'{owner}' names pack table '{}', which is not defined; \
                                 defined: {}",
                                p.get_ref(),
                                pack_tables.keys().cloned().collect::<Vec<_>>().join(", ")
                            ),
                        ),
                    },
                }
            };
        let make_item = |key: &str,
                         name: &str,
                         aliases: Vec<String>,
                         tiers: &Spanned<String>,
                         packs: &Option<Spanned<String>>,
                         free: Option<u64>,
                         one_time: Option<u64>|
         -> Result<Item, PricingError> {
            let cells = pack_table(key, packs)?;
            if one_time.is_some_and(|calls| calls > 0) && settings.one_time_free_months.is_none() {
                return Err(PricingError {
                    position: None,
                    message: format!(
                        "'{key}' has one_time_free_calls but the list has no \
                         one_time_free_months; expected how many months its one-time free pack \
                         stays valid"
                    ),
                });
            }
            Ok(Item {
                key: key.to_string(),
                name: name.to_string(),
                aliases,
                apis: Vec::new(),
                free_calls_per_month: free.unwrap_or(settings.free_calls_per_month),
                one_time_free_calls: one_time.unwrap_or(0),
                tier_table: tiers.get_ref().clone(),
                tiers: tier_table(key, tiers)?,
                pack_table: packs.as_ref().map(|p| p.get_ref().clone()),
                packs: listed(&cells).into(),
                pack_cells: cells,
            })
        };

        // Names: every key, name, alias and action is claimed once.
        let mut names: HashMap<String, Named, rustc_hash::FxBuildHasher> = HashMap::default();
        let check_name = |n: &Spanned<String>, what: &str| -> Result<String, PricingError> {
            let value = n.get_ref().trim();
            if value.is_empty() {
                return c.fail(n.span(), format!("empty {what}; expected a name"));
            }
            let length = value.chars().count();
            if length > MAX_NAME_CHARS || value.chars().any(char::is_control) {
                return c.fail(
                    n.span(),
                    format!(
                        "{what} of {length} characters (or with control characters); \
                         expected a name of at most {MAX_NAME_CHARS}"
                    ),
                );
            }
            Ok(value.to_string())
        };
        let check_key = |n: &Spanned<String>, what: &str| -> Result<String, PricingError> {
            let key = check_name(n, what)?;
            if key.contains(char::is_whitespace) || !key.is_ascii() {
                return c.fail(
                    n.span(),
                    format!("{what} '{key}' is not one ASCII word; keys are for scripts"),
                );
            }
            Ok(key)
        };

        // Declared billing items.
        let mut declared: Vec<(Item, Vec<Spanned<String>>, Range<usize>)> = Vec::new();
        for raw in self.item.iter().flatten() {
            let span = raw.span();
            let r = raw.get_ref();
            let key = check_key(&r.key, "billing item key")?;
            let name = check_name(&r.name, "billing item name")?;
            if declared.iter().any(|(i, _, _)| i.key == key) {
                return c.fail(
                    r.key.span(),
                    format!("billing item '{key}' is declared twice"),
                );
            }
            let aliases = r
                .aliases
                .iter()
                .map(|a| check_name(a, "billing item alias"))
                .collect::<Result<Vec<_>, _>>()?;
            let item = make_item(
                &key,
                &name,
                aliases,
                &r.tiers,
                &r.packs,
                r.free_calls_per_month,
                r.one_time_free_calls,
            )?;
            let mut claimed = vec![r.key.clone(), r.name.clone()];
            claimed.extend(r.aliases.iter().cloned());
            declared.push((item, claimed, span));
        }

        // APIs, each under a declared item or an item of its own; items are
        // ordered by their first API.
        let mut items: Vec<Item> = Vec::new();
        let mut item_of_declared: Vec<Option<usize>> = vec![None; declared.len()];
        let mut apis: Vec<Api> = Vec::new();
        for raw in &api_list {
            let r = raw.get_ref();
            let index = apis.len();
            let key = check_key(&r.key, "API key")?;
            let name = check_name(&r.name, "API name")?;
            let item = match (&r.item, &r.tiers) {
                (Some(item_key), None) => {
                    if r.packs.is_some()
                        || r.free_calls_per_month.is_some()
                        || r.one_time_free_calls.is_some()
                    {
                        return c.fail(
                            raw.span(),
                            format!(
                                "API '{key}' is billed under item '{}': its packs and free \
                                 calls are the item's, set them there",
                                item_key.get_ref()
                            ),
                        );
                    }
                    let Some(d) = declared
                        .iter()
                        .position(|(i, _, _)| i.key == *item_key.get_ref())
                    else {
                        return c.fail(
                            item_key.span(),
                            format!(
                                "API '{key}' names billing item '{}', which is not declared; \
                                 declared: {}",
                                item_key.get_ref(),
                                declared
                                    .iter()
                                    .map(|(i, _, _)| i.key.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        );
                    };
                    match item_of_declared[d] {
                        Some(at) => at,
                        None => {
                            items.push(declared[d].0.clone());
                            item_of_declared[d] = Some(items.len() - 1);
                            items.len() - 1
                        }
                    }
                }
                (None, Some(tiers)) => {
                    items.push(make_item(
                        &key,
                        &name,
                        Vec::new(),
                        tiers,
                        &r.packs,
                        r.free_calls_per_month,
                        r.one_time_free_calls,
                    )?);
                    items.len() - 1
                }
                (None, None) => {
                    return c.fail(
                        raw.span(),
                        format!(
                            "missing field `tiers` in API '{key}': it needs its own tier \
                             table (`tiers`) or the billing item it is billed under (`item`)"
                        ),
                    )
                }
                (Some(_), Some(_)) => {
                    return c.fail(
                        raw.span(),
                        format!(
                            "API '{key}' has both `item` and `tiers`; an API billed under an \
                             item has the item's tiers"
                        ),
                    )
                }
            };
            items[item].apis.push(key.clone());
            let mut claim = |n: &Spanned<String>, what: &str| -> Result<String, PricingError> {
                let value = check_name(n, what)?;
                let folded = name_key(&value);
                match names.get(&folded) {
                    Some(Named::Api(other)) if *other != index => c.fail(
                        n.span(),
                        format!(
                            "duplicate API name '{value}': already used by API #{}; a name \
                             the page gives to two APIs belongs in shared_names",
                            other + 1
                        ),
                    ),
                    Some(Named::Ambiguous(_)) => c.fail(
                        n.span(),
                        format!("'{value}' is listed in shared_names elsewhere"),
                    ),
                    _ => {
                        names.insert(folded, Named::Api(index));
                        Ok(value)
                    }
                }
            };
            claim(&r.key, "API key")?;
            claim(&r.name, "API name")?;
            let aliases = r
                .aliases
                .iter()
                .map(|a| claim(a, "API alias"))
                .collect::<Result<Vec<_>, _>>()?;
            // An action two APIs share is made ambiguous below.
            let actions = r
                .actions
                .iter()
                .map(|a| check_key(a, "API action"))
                .collect::<Result<Vec<_>, _>>()?;
            apis.push(Api {
                key,
                name,
                aliases,
                actions,
                shared_names: r
                    .shared_names
                    .iter()
                    .map(|n| n.get_ref().trim().to_string())
                    .collect(),
                category: r
                    .category
                    .as_ref()
                    .map(|n| check_name(n, "category"))
                    .transpose()?,
                item,
            });
        }
        // Names the page gives to several APIs, and actions two APIs share.
        for (index, raw) in api_list.iter().enumerate() {
            let r = raw.get_ref();
            let shared = r.shared_names.iter().map(|n| (n, true));
            let actions = r.actions.iter().map(|n| (n, false));
            for (n, is_shared) in shared.chain(actions) {
                let value = check_name(n, "shared name")?;
                let k = name_key(&value);
                match names.get_mut(&k) {
                    None if is_shared => {
                        names.insert(k, Named::Ambiguous(vec![index]));
                    }
                    None => {
                        names.insert(k, Named::Api(index));
                    }
                    Some(Named::Ambiguous(list)) if !list.contains(&index) => list.push(index),
                    Some(Named::Api(other)) if *other != index && !is_shared => {
                        let other = *other;
                        names.insert(k, Named::Ambiguous(vec![other, index]));
                    }
                    Some(Named::Api(other)) if *other != index => {
                        return c.fail(
                            n.span(),
                            format!(
                                "shared name '{value}' is already the name of API #{}",
                                *other + 1
                            ),
                        )
                    }
                    _ => {}
                }
            }
        }
        for named in names.values_mut() {
            if let Named::Ambiguous(list) = named {
                if list.len() == 1 {
                    *named = Named::Api(list[0]);
                }
            }
        }
        // Billing items' own names, unless one of their APIs has the name.
        for (d, (_, claimed, span)) in declared.iter().enumerate() {
            let Some(at) = item_of_declared[d] else {
                return c.fail(
                    span.clone(),
                    format!(
                        "billing item '{}' has no API; name it in an API's `item`",
                        declared[d].0.key
                    ),
                );
            };
            for n in claimed {
                let value = check_name(n, "billing item name")?;
                match names.get(&name_key(&value)) {
                    None => {
                        names.insert(name_key(&value), Named::Item(at));
                    }
                    Some(Named::Api(i)) if apis[*i].item == at => {}
                    // Another spelling of one of its own names.
                    Some(Named::Item(i)) if *i == at => {}
                    Some(_) => {
                        return c.fail(
                            n.span(),
                            format!(
                                "billing item name '{value}' is already the name of another \
                                 API or item"
                            ),
                        )
                    }
                }
            }
        }
        // Service categories, where no API or item has the name: a name that
        // stands for several APIs is refused with them listed.
        for (index, api) in apis.iter().enumerate() {
            let Some(category) = &api.category else {
                continue;
            };
            match names.get_mut(&name_key(category)) {
                None => {
                    names.insert(name_key(category), Named::Category(vec![index]));
                }
                Some(Named::Category(list)) => list.push(index),
                Some(_) => {}
            }
        }
        // Names without a price, where no API, item or category has the name
        // (a file that prices one of them bills it).
        let unpriced = match self.unpriced {
            None => None,
            Some(u) => {
                let span = u.span();
                let u = u.into_inner();
                if u.why.trim().is_empty() || u.names.iter().any(|n| n.trim().is_empty()) {
                    return c.fail(
                        span,
                        "an [unpriced] table needs why they have no price and their names, \
                         none empty"
                            .to_string(),
                    );
                }
                for name in &u.names {
                    names
                        .entry(name_key(name.trim()))
                        .or_insert(Named::Unpriced);
                }
                Some(Unpriced {
                    why: u.why,
                    names: u.names,
                })
            }
        };
        if apis.is_empty() {
            return Err(PricingError {
                position: None,
                message: "the price list defines no API; expected at least one [[api]] table"
                    .into(),
            });
        }
        // The validity of one-time free packs is a setting only of a list
        // that has some (a file inheriting it from its edition has none).
        let one_time = items.iter().any(|i| i.one_time_free_calls > 0);
        Ok(PriceList {
            settings: Settings {
                one_time_free_months: settings.one_time_free_months.filter(|_| one_time),
                ..settings
            },
            about,
            items,
            apis,
            unpriced,
            names,
            measured: Measured::default(),
        })
    }
}

impl Checker<'_> {
    fn tiers(
        &self,
        name: &str,
        raw: &Spanned<Listed<Spanned<RawTier>>>,
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
                (RawTierPrice::NotSold, _) => {
                    return self.fail(
                        here,
                        format!(
                            "tier {} of '{name}' says \"not-sold\"; a tier has a price or \
                             \"contact-sales\"",
                            i + 1
                        ),
                    )
                }
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
        raw: &Spanned<Listed<Spanned<RawPack>>>,
    ) -> Result<Vec<PackCell>, PricingError> {
        let mut cells: Vec<PackCell> = Vec::new();
        for spanned in raw.get_ref().iter() {
            let p = spanned.get_ref();
            if p.calls == 0 {
                return self.fail(
                    spanned.span(),
                    format!("a pack of '{name}' has calls = 0; expected a positive size"),
                );
            }
            let price = match p.price {
                RawPackPrice::Price(price) if price <= Decimal::ZERO => {
                    return self.fail(
                        spanned.span(),
                        format!(
                            "the {}-call pack of '{name}' has price {price}; expected more than 0",
                            p.calls
                        ),
                    )
                }
                RawPackPrice::Price(price) => PackPrice::List(price),
                RawPackPrice::ContactSales => PackPrice::ContactSales,
                RawPackPrice::NotSold => PackPrice::NotSold,
            };
            if cells.iter().any(|q| q.calls == p.calls) {
                return self.fail(
                    spanned.span(),
                    format!("pack table '{name}' lists a {}-call pack twice", p.calls),
                );
            }
            cells.push(PackCell {
                calls: p.calls,
                price,
            });
        }
        cells.sort_by_key(|c| c.calls);
        Ok(cells)
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

#[cfg(test)]
mod edition_tests {
    use super::*;

    #[test]
    fn every_built_in_edition_is_valid() {
        for (name, _) in EDITIONS {
            let list = PriceList::edition(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(list.about.edition, name);
        }
    }

    /// Each built-in edition read packed (as at each start) is the price
    /// list its TOML parses to.
    #[test]
    fn every_edition_reads_the_same_packed_as_parsed() {
        for (name, text) in EDITIONS {
            let parsed = parse_raw(text)
                .and_then(|raw| raw.validate(text, None))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(PriceList::edition(name).unwrap(), parsed, "{name}");
        }
    }

    #[test]
    fn every_edition_written_as_toml_reads_back_the_same() {
        for (name, _) in EDITIONS {
            let list = PriceList::edition(name).unwrap();
            let text = list.to_toml();
            let mut back =
                PriceList::from_toml(&text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
            // Read as a file, it says what it starts from; all else is the same.
            assert_eq!(back.about.based_on.take().as_deref(), Some("seed"));
            assert_eq!(back, list, "{name}");
        }
    }
}

#[cfg(test)]
mod validator_tests {
    use super::*;

    /// A one-API price list with these tiers and packs (TOML array bodies).
    fn list(tiers: &str, packs: &str) -> Result<PriceList, PricingError> {
        PriceList::from_toml(&format!(
            "free_calls_per_month = 1000\ntier_bounds = \"lower-exclusive\"\n\
             overage_tier_basis = \"total-calls\"\npack_validity_months = 12\n\
             pack_alert_below = \"0.15\"\n[freeze]\nbasis = \"bill\"\nratio = \"1.2\"\n\
             [tiers]\nt = [{tiers}]\n[packs]\np = [{packs}]\n\
             [[api]]\nkey = \"x\"\nname = \"X\"\ntiers = \"t\"\npacks = \"p\"\n"
        ))
    }

    fn refused(tiers: &str, packs: &str) -> String {
        match list(tiers, packs) {
            Ok(_) => panic!("accepted tiers [{tiers}] packs [{packs}]"),
            Err(e) => e.to_string(),
        }
    }

    const TIERS: &str = r#"{ upto = 1000, price = "0" }, { price = "0.15" }"#;
    const PACKS: &str = r#"{ calls = 1000, price = "120" }"#;

    #[test]
    fn a_well_formed_list_is_accepted() {
        let l = list(TIERS, PACKS).unwrap();
        assert_eq!(l.items[0].tiers.len(), 2);
        assert_eq!(l.items[0].packs[0].calls, 1000);
    }

    #[test]
    fn tiers_ascend_and_only_the_last_is_open() {
        let e = refused(
            r#"{ upto = 5000, price = "0.1" }, { upto = 1000, price = "0.2" }, { price = "0" }"#,
            PACKS,
        );
        assert!(e.contains("ascending"), "{e}");
        let e = refused(r#"{ price = "0.1" }, { price = "0.2" }"#, PACKS);
        assert!(e.contains("only the last tier is open-ended"), "{e}");
        let e = refused("", PACKS);
        assert!(e.contains("has no tiers"), "{e}");
        let e = refused(r#"{ upto = 0, price = "0.1" }, { price = "0" }"#, PACKS);
        assert!(e.contains("upto = 0"), "{e}");
    }

    #[test]
    fn a_value_of_the_wrong_kind_says_what_was_expected_in_the_file_s_terms() {
        for (text, want) in [
            (
                "[tiers]\nt = [0.5]\n",
                "expected a tier: { upto = 10000, price = \"0.15\" }",
            ),
            (
                "[packs]\np = [5]\n",
                "expected a pack: { calls = 1000, price = 120 }",
            ),
            (
                "freeze = 1.2\n",
                "expected a [freeze] table: basis and ratio",
            ),
            ("about = 3\n", "expected an [about] table"),
            (
                "api = [1]\n",
                "expected an API: a table with key, name and tiers",
            ),
            (
                "item = [1]\n",
                "expected a billing item: a table with key, name and tiers",
            ),
        ] {
            let e = PriceList::from_toml(text).unwrap_err().to_string();
            assert!(e.contains(want) && !e.contains("Raw"), "{text}: {e}");
        }
    }

    #[test]
    fn prices_are_exact_decimals() {
        // Decimals written as TOML floats are the decimals written, in every
        // field that holds one, even past what binary floating point keeps.
        let file = |q: &str| {
            format!(
                "pack_alert_below = {q}0.2{q}\n[freeze]\nbasis = \"bill\"\nratio = {q}1.25{q}\n\
                 [tiers]\nt = [{{ upto = 1000, price = {q}0.1{q} }}, \
                 {{ upto = 5000, price = {q}0.1234567890123456789{q} }}, \
                 {{ price = \"contact-sales\", negotiated_price = {q}0.035{q} }}]\n\
                 [packs]\np = [{{ calls = 1000, price = {q}99.90{q} }}]\n\
                 [[api]]\nkey = \"x\"\nname = \"X\"\ntiers = \"t\"\npacks = \"p\"\n"
            )
        };
        let floats = PriceList::from_toml(&file("")).unwrap();
        assert_eq!(floats, PriceList::from_toml(&file("\"")).unwrap());
        assert_eq!(
            floats.items[0].tiers[1].price,
            TierPrice::List("0.1234567890123456789".parse().unwrap())
        );
        assert_eq!(floats.items[0].packs[0].price.to_string(), "99.90");
        // Underscores as TOML allows them.
        let t = r#"{ upto = 1000, price = 0.000_5 }, { price = "0" }"#;
        let l = list(t, PACKS).unwrap();
        assert_eq!(
            l.items[0].tiers[0].price,
            TierPrice::List("0.0005".parse().unwrap())
        );
        // Shares may be percentages, as the pages write them; prices may not.
        let shares = PriceList::from_toml(
            &file("")
                .replace("0.2", "\"20%\"")
                .replace("1.25", "\"125 %\""),
        )
        .unwrap();
        assert_eq!(shares, floats);
        assert_eq!(shares.settings.pack_alert_below.to_string(), "0.20");
        let e = refused(r#"{ upto = 1000, price = "5%" }, { price = "0" }"#, PACKS);
        assert!(e.contains("'5%' is not a decimal number"), "{e}");
        // A percentage with no room left for its two more places is refused,
        // never rounded.
        let long = format!("pack_alert_below = \"0.{}%\"", "1".repeat(27));
        let e = PriceList::from_toml(&long).unwrap_err().to_string();
        assert!(e.contains("too many decimal places as a percentage"), "{e}");
        // A float where a whole number belongs is still refused.
        let e = refused(
            r#"{ upto = 1000.5, price = "0.1" }, { price = "0" }"#,
            PACKS,
        );
        assert!(e.contains("floating point `1000.5`"), "{e}");
        let e = refused(TIERS, r#"{ calls = 1000, price = "1e3" }"#);
        assert!(e.contains("'1e3' is not a decimal number"), "{e}");
    }

    #[test]
    fn packs_have_a_size_and_appear_once() {
        let e = refused(TIERS, r#"{ calls = 0, price = "1" }"#);
        assert!(e.contains("calls = 0"), "{e}");
        let e = refused(
            TIERS,
            r#"{ calls = 1000, price = "1" }, { calls = 1000, price = "2" }"#,
        );
        assert!(e.contains("lists a 1000-call pack twice"), "{e}");
    }

    #[test]
    fn a_negotiated_price_belongs_to_a_contact_sales_tier() {
        let e = refused(
            r#"{ upto = 1000, price = "0.1", negotiated_price = "0.05" }, { price = "0" }"#,
            PACKS,
        );
        assert!(e.contains("negotiated_price belongs only"), "{e}");
        let l = list(
            r#"{ upto = 1000, price = "0.1" }, { price = "contact-sales", negotiated_price = "0.05" }"#,
            PACKS,
        )
        .unwrap();
        assert_eq!(
            l.items[0].tiers[1].price,
            TierPrice::ContactSales {
                negotiated: Some(Decimal::new(5, 2))
            }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The bound that spares distances is never above the distance: no
        /// suggestion is lost to it.
        #[test]
        fn missing_characters_are_at_most_the_distance(
            a in "[a-eO1-3身份证识别票据]{0,12}",
            b in "[a-eO1-3身份证识别票据]{0,12}",
        ) {
            let d = strsim::levenshtein(&a, &b);
            let (a, b) = (CharSet::of(&a), CharSet::of(&b));
            proptest::prop_assert!(a.missing_from(b).max(b.missing_from(a)) <= d);
        }
    }

    /// A name with nothing in common with the known ones (a file of unknown
    /// names, one a row) is told apart from each without a distance.
    #[test]
    fn missing_characters_tell_strangers_apart() {
        let stranger = CharSet::of("未知接口123456");
        let action = CharSet::of("generalbasicocr");
        // 11 letters it has not; 4 Chinese characters and 6 digits the other way.
        assert_eq!(action.missing_from(stranger), 11);
        assert_eq!(stranger.missing_from(action), 10);
        assert_eq!(CharSet::of("idcrad").missing_from(CharSet::of("idcard")), 0);
        assert_eq!(
            CharSet::of("idcardx").missing_from(CharSet::of("idcard")),
            1
        );
        assert_eq!(CharSet::of("身分证").missing_from(CharSet::of("身份证")), 1);
    }

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

    /// Short tables (counted) and long ones (searched) pick the same tier as
    /// the definition, at and around every bound, under both bounds.
    #[test]
    fn every_table_length_reaches_the_tier_that_holds_the_count() {
        for len in [1usize, 2, 5, 8, 9, 40] {
            let tiers: Vec<String> = (1..len)
                .map(|i| format!("{{ upto = {}, price = \"0.{i:02}\" }}", i * 1000))
                .chain(std::iter::once("{ price = \"0.01\" }".to_string()))
                .collect();
            for bounds in ["lower-exclusive", "upper-exclusive"] {
                let toml = format!(
                    "tier_bounds = \"{bounds}\"\n[tiers]\nstandard = [{}]\n",
                    tiers.join(", ")
                );
                let list = PriceList::from_toml(&toml).unwrap();
                let item = list.item("idcard").unwrap();
                let b = list.settings.tier_bounds;
                assert_eq!(item.tiers.len(), len);
                for calls in (0..=len as u64 * 1000 + 1).filter(|c| matches!(c % 1000, 0 | 1 | 999))
                {
                    assert_eq!(
                        item.tier_index(calls, b),
                        holding(item, calls, b),
                        "{len} tiers, {bounds}, {calls} calls"
                    );
                }
                assert_eq!(item.tier_index(u64::MAX, b), len - 1);
            }
        }
    }
}
