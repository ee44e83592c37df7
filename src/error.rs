//! The calculator's typed errors: each says what was wrong and with which value.

use thiserror::Error;

/// Everything the calculator can refuse.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Error {
    /// A name that is neither an API key, a Chinese name nor an alias.
    #[error("unknown API '{name}'{suggestion}; expected one of: {valid}")]
    UnknownApi {
        /// What the user wrote.
        name: String,
        /// `; did you mean 'x'?` or empty.
        suggestion: String,
        /// The valid keys, comma-separated.
        valid: String,
    },
    /// A call count that is not a whole, non-negative number.
    #[error("invalid call count '{input}': {reason}")]
    BadCount {
        /// What the user wrote.
        input: String,
        /// Why it was refused.
        reason: String,
    },
    /// A money amount or price that is not a decimal number.
    #[error("invalid amount '{input}': {reason}")]
    BadAmount {
        /// What the user wrote.
        input: String,
        /// Why it was refused.
        reason: String,
    },
    /// The volume reached a tier without a list price (请联系商务).
    #[error(
        "{api}: {calls} calls reach the contact-sales tier ({range}, 请联系商务), which has \
         no list price: it needs a negotiated price (negotiated_price on that tier in the \
         pricing file)"
    )]
    ContactSales {
        /// API key.
        api: String,
        /// Calls that picked the tier.
        calls: u64,
        /// The tier's range, e.g. `n > 1000000`.
        range: String,
    },
    /// A list-price freeze of calls whose tier has no list price.
    #[error(
        "{api}: the freeze counts the {calls} calls that packs did not serve at the unit \
         price of the tier they reach ({range}), the contact-sales tier (请联系商务), which has \
         no list price: it needs a negotiated price (negotiated_price on that tier in the \
         pricing file)"
    )]
    FreezeContactSales {
        /// Billing item key.
        api: String,
        /// Calls that packs did not serve.
        calls: u64,
        /// The tier's range, e.g. `n > 1000000`.
        range: String,
    },
    /// A refusal of one month of several (the ledger's).
    #[error("{month}: {refusal}")]
    InMonth {
        /// The month, `YYYY-MM`.
        month: String,
        /// What was refused.
        refusal: Box<Error>,
    },
    /// The API has no prepaid packs in the price list.
    #[error("{api} has no prepaid packs in the price list; it is billed postpaid only")]
    NoPacks {
        /// API key.
        api: String,
    },
    /// A pack size the price list does not offer for this API.
    #[error("{api} has no pack of {size} calls; packs offered: {offered}")]
    PackSizeNotOffered {
        /// API key.
        api: String,
        /// The size asked for.
        size: u64,
        /// The sizes offered, comma-separated.
        offered: String,
    },
    /// A malformed pack list such as `1k,10kx`.
    #[error("invalid pack list '{input}': {reason}")]
    BadPackSpec {
        /// What the user wrote.
        input: String,
        /// Why it was refused.
        reason: String,
    },
    /// Rows of several accounts where one account's are expected.
    #[error(
        "the input holds rows of {count} accounts ({names}); each account is billed on its \
         own (its own free quota, tiers, packs, freeze and balance)"
    )]
    SeveralAccounts {
        /// How many accounts.
        count: usize,
        /// The first few, comma-separated.
        names: String,
    },
    /// A count of months or points outside what the calculation takes.
    #[error("{value} {what}: expected 1 to {max}{why}")]
    OutOfRange {
        /// `months` or `points`.
        what: &'static str,
        /// What was asked for.
        value: u64,
        /// The most it takes.
        max: u64,
        /// Why that is the most (`, the months a pack stays valid`), or empty.
        why: &'static str,
    },
    /// Arithmetic that would not fit in a decimal.
    #[error("numbers too large: {0} overflowed")]
    Overflow(&'static str),
    /// Anything else about user input, already phrased.
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// What the user can do about it, when one thing will do.
    pub fn remedy(&self) -> Option<Remedy> {
        match self {
            Error::ContactSales { .. } | Error::FreezeContactSales { .. } => {
                Some(Remedy::NegotiatedPrice)
            }
            Error::SeveralAccounts { .. } => Some(Remedy::ChooseAccount),
            Error::InMonth { refusal, .. } => refusal.remedy(),
            _ => None,
        }
    }
}

/// What a user can do about a refusal. The library names it; a front end says
/// how in its own terms (the command line names a flag).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Remedy {
    /// Give a price for the contact-sales tier.
    NegotiatedPrice,
    /// Choose one account of several.
    ChooseAccount,
    /// Accept quoted fields that span lines (the file really has them).
    MultilineFields,
    /// Read the input as GBK (GB18030).
    ReadAsGbk,
    /// Read the input as UTF-8.
    ReadAsUtf8,
    /// Name the input's encoding.
    NameTheEncoding,
    /// Save a workbook as CSV.
    SaveAsCsv,
    /// Name the sheet of a workbook to read.
    ChooseSheet,
}

/// Names for a message: the first `shown` of them and how many more there are
/// (`a, b, c and 7 more`), so that a list of thousands stays one short line.
///
/// ```
/// assert_eq!(ocr_bill::first_of(["a", "b", "c"].iter(), 2), "a, b and 1 more");
/// assert_eq!(ocr_bill::first_of(["a", "b"].iter(), 2), "a, b");
/// ```
pub fn first_of<S: AsRef<str>>(names: impl ExactSizeIterator<Item = S>, shown: usize) -> String {
    let more = names.len().saturating_sub(shown);
    let mut list = String::with_capacity(24 * shown.min(names.len()) + 64);
    for (i, name) in names.take(shown).enumerate() {
        if i > 0 {
            list.push_str(", ");
        }
        list.push_str(name.as_ref());
    }
    if more > 0 {
        list.push_str(&format!(" and {more} more"));
    }
    list
}
