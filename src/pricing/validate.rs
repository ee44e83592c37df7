//! The raw layer checked into a [`PriceList`] the calculator can trust: each
//! error placed at its line and column.

use std::ops::Range;

use toml::Spanned;

use super::raw::{need, Listed, RawPack, RawPackPrice, RawPriceList, RawTier, RawTierPrice};
use super::*;

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
    pub(super) fn validate(
        self,
        text: &str,
        base: Option<(&str, &str)>,
    ) -> Result<PriceList, PricingError> {
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

        let mut schedules: BTreeMap<String, Tiers> = BTreeMap::new();
        for (name, tiers) in &self.tiers {
            schedules.insert(name.clone(), Tiers::new(c.tiers(name, tiers)?));
        }
        let mut pack_tables: BTreeMap<String, Arc<[PackCell]>> = BTreeMap::new();
        for (name, packs) in &self.packs {
            pack_tables.insert(name.clone(), c.packs(name, packs)?.into());
        }
        let tier_table = |owner: &str, t: &Spanned<String>| -> Result<Tiers, PricingError> {
            match schedules.get(t.get_ref()) {
                Some(tiers) => Ok(tiers.clone()),
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
