//! The raw layer: serde types that mirror the TOML of a pricing file.

use serde::de::{self, Deserializer, Visitor};
use toml::Spanned;

use crate::parse_decimal;

use super::*;

/// A pricing file's TOML read into the raw layer; an error is placed at its
/// line and column.
pub(super) fn parse_raw(text: &str) -> Result<RawPriceList, PricingError> {
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
pub(super) fn decimals_as_written(root: &mut toml::de::DeTable<'_>) {
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

/// The line and column (1-based, in characters) of byte `offset` of `text`.
pub(super) fn position(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, col)
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a price list: a TOML table of settings, [tiers], [packs] and [[api]]"
)]
pub(super) struct RawPriceList {
    pub(super) edition: Option<Spanned<String>>,
    pub(super) about: Option<RawAbout>,
    pub(super) currency: Option<String>,
    #[serde(default, deserialize_with = "some_count")]
    pub(super) free_calls_per_month: Option<u64>,
    #[serde(default, deserialize_with = "some_word")]
    pub(super) free_quota: Option<FreeQuota>,
    pub(super) one_time_free_months: Option<Spanned<Months>>,
    #[serde(default, deserialize_with = "some_word")]
    pub(super) tier_bounds: Option<TierBounds>,
    #[serde(default, deserialize_with = "some_word")]
    pub(super) overage_tier_basis: Option<OverageTierBasis>,
    pub(super) pack_validity_months: Option<Spanned<Months>>,
    pub(super) pack_alert_below: Option<Spanned<ShareValue>>,
    #[serde(default, deserialize_with = "some_word")]
    pub(super) pack_alert: Option<AlertRule>,
    #[serde(default)]
    pub(super) freeze: RawFreeze,
    #[serde(default)]
    pub(super) tiers: BTreeMap<String, Spanned<Listed<Spanned<RawTier>>>>,
    #[serde(default)]
    pub(super) packs: BTreeMap<String, Spanned<Listed<Spanned<RawPack>>>>,
    #[serde(default, deserialize_with = "some_word")]
    pub(super) lists: Option<Lists>,
    pub(super) item: Option<Vec<Spanned<RawItem>>>,
    pub(super) api: Option<Vec<Spanned<RawApi>>>,
    pub(super) unpriced: Option<Spanned<RawUnpriced>>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an [unpriced] table: why = \"…\", names = [\"…\", …]"
)]
pub(super) struct RawUnpriced {
    pub(super) why: String,
    pub(super) names: Vec<String>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(
    deny_unknown_fields,
    expecting = "an [about] table: name, source, summary"
)]
pub(super) struct RawAbout {
    pub(super) name: Option<String>,
    pub(super) source: Option<String>,
    pub(super) summary: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, expecting = "a [freeze] table: basis and ratio")]
pub(super) struct RawFreeze {
    #[serde(default, deserialize_with = "some_word")]
    pub(super) basis: Option<FreezeBasis>,
    pub(super) ratio: Option<Spanned<ShareValue>>,
}

impl RawPriceList {
    /// This file over `base`: each setting this file leaves out, each tier or
    /// pack table it does not define, and the item and API lists if it has
    /// none, come from `base`.
    pub(super) fn over(mut self, base: RawPriceList) -> RawPriceList {
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
pub(super) fn merged<T>(
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
pub(super) fn need<T>(value: Option<T>, name: &str) -> Result<T, PricingError> {
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
pub(super) struct RawTier {
    #[serde(default, deserialize_with = "some_count")]
    pub(super) upto: Option<u64>,
    pub(super) price: RawTierPrice,
    pub(super) negotiated_price: Option<DecimalValue>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a pack: { calls = 1000, price = 120 }"
)]
pub(super) struct RawPack {
    #[serde(deserialize_with = "count")]
    pub(super) calls: u64,
    pub(super) price: RawPackPrice,
}

/// A pack cell: a price, `"contact-sales"` (联系商务) or `"not-sold"` (——).
pub(super) enum RawPackPrice {
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
pub(super) struct RawItem {
    pub(super) key: Spanned<String>,
    pub(super) name: Spanned<String>,
    #[serde(default)]
    pub(super) aliases: Vec<Spanned<String>>,
    pub(super) tiers: Spanned<String>,
    pub(super) packs: Option<Spanned<String>>,
    #[serde(default, deserialize_with = "some_count")]
    pub(super) free_calls_per_month: Option<u64>,
    #[serde(default, deserialize_with = "some_count")]
    pub(super) one_time_free_calls: Option<u64>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an API: a table with key, name and tiers (or item)"
)]
pub(super) struct RawApi {
    pub(super) key: Spanned<String>,
    pub(super) name: Spanned<String>,
    #[serde(default)]
    pub(super) aliases: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) actions: Vec<Spanned<String>>,
    /// Names the page also gives to an API of another billing item: accepted
    /// only with the candidates named.
    #[serde(default)]
    pub(super) shared_names: Vec<Spanned<String>>,
    pub(super) category: Option<Spanned<String>>,
    pub(super) item: Option<Spanned<String>>,
    pub(super) tiers: Option<Spanned<String>>,
    pub(super) packs: Option<Spanned<String>>,
    #[serde(default, deserialize_with = "some_count")]
    pub(super) free_calls_per_month: Option<u64>,
    #[serde(default, deserialize_with = "some_count")]
    pub(super) one_time_free_calls: Option<u64>,
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
pub(super) struct Listed<T>(pub(super) Vec<T>);

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
pub(super) struct Months(pub(super) u32);

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
pub(super) struct DecimalValue(pub(super) Decimal);

pub(super) struct DecimalVisitor {
    pub(super) allow_contact_sales: bool,
    /// A share may be written as a percentage (`"20%"` is 0.20), as the pages
    /// write them (120% freeze, 20% alert).
    pub(super) allow_percent: bool,
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
pub(super) struct ShareValue(pub(super) Decimal);

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

pub(super) enum RawTierPrice {
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
