//! Suggestions for a name the price list does not know: how near each known
//! name is, measured once.

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
pub(super) struct Known {
    name: String,
    ascii: bool,
    chars: usize,
    set: CharSet,
}

impl Known {
    pub(super) fn new(name: &str) -> Known {
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
pub(super) struct Measured(std::sync::OnceLock<Vec<Known>>);

impl Measured {
    /// The known names nearest to `wanted` (written as names are kept: lower
    /// case, half width, Chinese without spaces), every one at the least
    /// distance; the known names are measured by `names` when first asked.
    pub(super) fn nearest(&self, wanted: &str, names: impl FnOnce() -> Vec<Known>) -> Vec<&str> {
        let wanted = Wanted::new(wanted);
        let near: Vec<(usize, &str)> = (self.0.get_or_init(names).iter())
            .filter_map(|k| near(&wanted, k).map(|d| (d, k.name.as_str())))
            .collect();
        let least = near.iter().map(|(d, _)| *d).min();
        near.into_iter()
            .filter(|(d, _)| Some(*d) == least)
            .map(|(_, name)| name)
            .collect()
    }
}

impl PartialEq for Measured {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Measured {}

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
}
