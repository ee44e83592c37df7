//! The built-in editions of the price page, packed by `build.rs`.

use super::raw::RawPriceList;
use super::*;

/// The built-in editions, oldest first by content: name and price list.
pub const EDITIONS: [(&str, &str); 7] = [
    ("a", include_str!("../../editions/a.toml")),
    ("b", include_str!("../../editions/b.toml")),
    ("seed", DEFAULT_PRICING),
    ("c", include_str!("../../editions/c.toml")),
    ("d", include_str!("../../editions/d.toml")),
    ("e", include_str!("../../editions/e.toml")),
    ("intl", include_str!("../../editions/intl.toml")),
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
pub(super) fn packed_raw(i: usize, shift: bool) -> Result<RawPriceList, PricingError> {
    let shift = if shift { BASE_SPANS } else { 0 };
    crate::packed::from_packed(PACKED[i], shift).map_err(|e| PricingError {
        position: e.span.map(|s| position(EDITIONS[i].1, s.start - shift)),
        message: e.message,
    })
}

/// Where the spans of a pricing file's base edition start: a value of the
/// edition that the file's values make wrong is named in the edition's text,
/// not at a place of the file.
pub(super) const BASE_SPANS: usize = 1 << (usize::BITS - 2);

/// The text of a built-in edition, or an error listing them.
pub fn edition_text(name: &str) -> Result<&'static str, Error> {
    edition_index(name).map(|i| EDITIONS[i].1)
}

/// Where a built-in edition is in [`EDITIONS`], or an error listing them.
pub(super) fn edition_index(name: &str) -> Result<usize, Error> {
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
