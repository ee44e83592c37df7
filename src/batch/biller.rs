//! The hot path: a row's API and calls to its bill cells.

use rust_decimal::Decimal;

use crate::bill::Calculator;
use crate::money::{digits_back, format_price, whole_fen};
use crate::pricing::Item;
use crate::Money;

use super::options::Refusal;
use super::writer::Padded;

/// Refused names remembered at most, per worker.
const REFUSALS_KEPT: usize = 1024;

/// A tier's first call count and its bill, if it has a price.
pub(super) type TierCliff = Option<(u64, Money)>;

/// A tier's cells as CSV text: its number and unit price (`,2,0.15`), and its
/// number alone (`,2,`) for a bill of nothing, or a price not known.
#[derive(Clone)]
pub(super) struct TierCells {
    pub(super) priced: Option<Cells>,
    pub(super) unpriced: Cells,
    /// The unit price as the calculator resolves it.
    pub(super) price: Option<Decimal>,
    /// That price in whole fen, when it is a whole number of them: a bill at
    /// it is an exact integer product, no rounding.
    pub(super) fen: Option<u64>,
    /// The least of the bills at the first call counts of the tiers above
    /// (`None`: none above has a price): a bill no greater has no cliff.
    pub(super) least_above: Option<Money>,
}

/// Per-API facts computed once per run.
#[derive(Clone)]
pub(super) struct Biller<'a> {
    /// The bill cells of the last row billed.
    pub(super) scratch: Cells,
    pub(super) calc: Calculator<'a>,
    pub(super) apis: Vec<&'a Item>,
    /// Names seen in the input → index into `apis`, direct-mapped by a key
    /// that is the whole name up to 16 bytes (longer names are compared too).
    pub(super) seen: Vec<Option<(NameKey, Vec<u8>, usize)>>,
    /// Names refused, with why (a file billed with the wrong edition names
    /// the same unknown API on row after row): up to [`REFUSALS_KEPT`].
    pub(super) refused: std::collections::HashMap<Box<[u8]>, String>,
    /// Per API, per tier: the tier's cells (its unit price as the calculator
    /// resolves it: a contact-sales tier's negotiated price); shared by the
    /// APIs of one tier table.
    pub(super) tiers: Vec<std::sync::Arc<[TierCells]>>,
    /// Per API, per tier: the tier's first call count and its bill, if it has a
    /// price, and the two bill cells that name it as a cliff (`,10001,900.10`);
    /// shared by the APIs of one tier table.
    pub(super) cliffs: Vec<std::sync::Arc<[TierCliff]>>,
    pub(super) cliff_cells: Vec<std::sync::Arc<[Cells]>>,
}

impl<'a> Biller<'a> {
    pub(super) fn new(calc: Calculator<'a>) -> Self {
        Biller {
            scratch: Cells::default(),
            calc,
            apis: Vec::new(),
            seen: vec![None; 64],
            refused: std::collections::HashMap::new(),
            tiers: Vec::new(),
            cliffs: Vec::new(),
            cliff_cells: Vec::new(),
        }
    }

    /// The billing item an API name is billed as (its index here), or why
    /// none: a name met before from the table, inline (every row asks).
    #[inline(always)]
    pub(super) fn api(&mut self, name: &[u8]) -> Result<usize, String> {
        let key = NameKey::of(name);
        let slot = key.slot();
        if let Some((k, n, i)) = &self.seen[slot] {
            if *k == key && (name.len() <= 16 || n == name) {
                return Ok(*i);
            }
        }
        self.api_met(name, key, slot)
    }

    /// [`Biller::api`] of a name not in the table: looked up in the price
    /// list, and remembered.
    #[inline(never)]
    fn api_met(&mut self, name: &[u8], key: NameKey, slot: usize) -> Result<usize, String> {
        if let Some(why) = self.refused.get(name) {
            return Err(why.clone());
        }
        let text = String::from_utf8_lossy(name);
        let api = match self.calc.prices.item(&text) {
            Ok(api) => api,
            Err(e) => {
                let why = e.to_string();
                if self.refused.len() < REFUSALS_KEPT {
                    self.refused.insert(name.into(), why.clone());
                }
                return Err(why);
            }
        };
        let index = match self.apis.iter().position(|a| a.key == api.key) {
            Some(i) => i,
            None => {
                // Facts of a tier table are computed once for all the APIs
                // that share it.
                let shared = self.apis.iter().position(|a| {
                    a.tiers.same_table(&api.tiers)
                        && self.calc.lone_free(a) == self.calc.lone_free(api)
                });
                let (tiers, cliffs, cliff_cells) = match shared {
                    Some(i) => (
                        self.tiers[i].clone(),
                        self.cliffs[i].clone(),
                        self.cliff_cells[i].clone(),
                    ),
                    None => {
                        let bounds = self.calc.prices.settings.tier_bounds;
                        let cliffs: Vec<TierCliff> = (0..api.tiers.len())
                            .map(|i| {
                                let at = api.first_calls_of_tier(i, bounds);
                                let free = self.calc.lone_free(api);
                                let c = self
                                    .calc
                                    .charge(api, at, free, &mut [], &mut Vec::new())
                                    .ok()?;
                                Some((at, c.amount))
                            })
                            .collect();
                        let tiers: Vec<TierCells> = (0..api.tiers.len())
                            .map(|i| {
                                let price = self.calc.price(api, i);
                                // (Written from the last cell back.)
                                let tier_cells = |price: &str| {
                                    let mut cells = Cells::default();
                                    cells.put_str(price);
                                    cells.put_u64(i as u64 + 1);
                                    cells
                                };
                                TierCells {
                                    priced: price.map(|p| tier_cells(&format_price(p))),
                                    unpriced: tier_cells(""),
                                    price,
                                    fen: price.and_then(whole_fen),
                                    least_above: cliffs[i + 1..]
                                        .iter()
                                        .flatten()
                                        .map(|c| c.1)
                                        .min(),
                                }
                            })
                            .collect();
                        let cliff_cells: Vec<Cells> = cliffs
                            .iter()
                            .map(|c| {
                                let mut cells = Cells::default();
                                if let Some((at, amount)) = c {
                                    cells.put_money(*amount);
                                    cells.put_u64(*at);
                                }
                                cells
                            })
                            .collect();
                        (tiers.into(), cliffs.into(), cliff_cells.into())
                    }
                };
                self.tiers.push(tiers);
                self.cliffs.push(cliffs);
                self.cliff_cells.push(cliff_cells);
                self.apis.push(api);
                self.apis.len() - 1
            }
        };
        self.seen[slot] = Some((key, name.to_vec(), index));
        Ok(index)
    }

    /// The bill columns of `calls` calls of API `api` as CSV text (each cell
    /// after a comma), and the amount in fen.
    pub(super) fn bill(&mut self, api: usize, calls: u64) -> Result<(Padded<'_>, i128), Refusal> {
        self.bill_with_free(api, calls, None)
    }

    /// [`Biller::bill`] with the free calls the item has this month when not
    /// its own quota (an account's allowance shared by its items).
    ///
    /// Every row is billed afresh: a memo of recent bills, kept by earlier
    /// releases, cost more to fill than it saved once a bill was a few integer
    /// operations and cells written back (docs/performance.md).
    #[inline(always)]
    pub(super) fn bill_with_free(
        &mut self,
        api: usize,
        calls: u64,
        free: Option<u64>,
    ) -> Result<(Padded<'_>, i128), Refusal> {
        let facts = self.facts(api, calls, free)?;
        write_cells(
            &self.tiers[api],
            &self.cliff_cells[api],
            &facts,
            &mut self.scratch,
        );
        Ok((self.scratch.padded(), facts.amount.fen()))
    }

    /// The keys of the billing items met so far that have a one-time free
    /// pack.
    pub(super) fn one_time_items(&self) -> impl Iterator<Item = &str> {
        self.apis
            .iter()
            .filter(|a| a.one_time_free_calls > 0)
            .map(|a| a.key.as_str())
    }

    /// The free calls API `api` has in a month as the account's only usage.
    pub(super) fn lone_free(&self, api: usize) -> u64 {
        self.calc.lone_free(self.apis[api])
    }

    /// What the bill columns say of `calls` calls of API `api` in a month, with
    /// `free` free calls when not its own quota (a share of an account's
    /// allowance).
    #[inline(always)]
    pub(super) fn facts(
        &self,
        api: usize,
        calls: u64,
        free: Option<u64>,
    ) -> Result<BillFacts, Refusal> {
        let lone = self.lone_free(api);
        let item = self.apis[api];
        let free_calls = calls.min(free.unwrap_or(lone));
        let billable_calls = calls - free_calls;
        // A month without packs: its postpaid calls are all its calls.
        let tier = item.tier_index(
            self.calc.tier_calls(calls, calls),
            self.calc.prices.settings.tier_bounds,
        );
        let t = &self.tiers[api][tier];
        // At a price of whole fen the bill is an integer product (most rows);
        // any other price, a contact-sales tier or an overflow is the
        // calculator's to bill, round or refuse.
        let whole = match (billable_calls, t.fen) {
            (0, _) => Some((tier, None, Money::ZERO)),
            (_, Some(fen)) => {
                Money::calls_at_fen(billable_calls, fen).map(|amount| (tier, t.price, amount))
            }
            _ => None,
        };
        let (tier, price, amount) = match whole {
            Some(bill) => bill,
            None => {
                let (_, o) = self
                    .calc
                    .overage_of(item, calls, free_calls)
                    .map_err(Refusal::from)?;
                (o.tier_index, o.price, o.amount)
            }
        };
        Ok(BillFacts {
            free_calls,
            billable_calls,
            // The price is shown only when calls are billed at it.
            tier: Some((tier, price.filter(|_| billable_calls > 0))),
            amount,
            // The cliffs are known for an item's own free calls; with a share of
            // an account's allowance the cheaper tier's bill is not, so none is
            // named.
            cliff: self
                .cliff(api, calls, tier, amount)
                .filter(|_| free.is_none_or(|f| f == lone)),
        })
    }

    /// The nearest higher tier whose first call count is billed less.
    #[inline(always)]
    pub(super) fn cliff(
        &self,
        api: usize,
        calls: u64,
        tier: usize,
        amount: Money,
    ) -> Option<usize> {
        // No tier above is billed less than this bill (most rows): none to
        // look at one by one, and no call.
        if self.tiers[api][tier]
            .least_above
            .is_none_or(|least| amount <= least)
        {
            return None;
        }
        self.cliff_above(api, calls, tier, amount)
    }

    /// [`Biller::cliff`] of a bill greater than some tier's above.
    #[inline(never)]
    fn cliff_above(&self, api: usize, calls: u64, tier: usize, amount: Money) -> Option<usize> {
        let above = self.cliffs[api][tier + 1..].iter().copied();
        crate::bill::nearest_cliff(above, calls, amount).map(|(i, _)| tier + 1 + i)
    }

    /// The bill columns' values.
    pub(super) fn cells(&self, api: usize, f: &BillFacts, cells: &mut Cells) {
        write_cells(&self.tiers[api], &self.cliff_cells[api], f, cells);
    }
}

/// The bill columns' values of an item with tiers `tiers` and cliffs
/// `cliffs`, written from the last cell back.
#[inline(always)]
fn write_cells(tiers: &[TierCells], cliffs: &[Cells], f: &BillFacts, cells: &mut Cells) {
    cells.clear();
    match f.cliff {
        Some(i) => cells.put_cells(&cliffs[i]),
        None => cells.put_bytes(b",,"),
    }
    cells.put_money(f.amount);
    match f.tier {
        Some((tier, price)) => {
            let t = &tiers[tier];
            match (price, &t.priced) {
                (None, _) => cells.put_cells(&t.unpriced),
                (Some(_), Some(priced)) => cells.put_cells(priced),
                // (The calculator resolved no price for the tier, yet billed at one.)
                (Some(p), None) => {
                    cells.put_bytes(format_price(p).as_bytes());
                    cells.put_cells(&t.unpriced);
                }
            }
        }
        None => cells.put_bytes(b",,"),
    }
    cells.put_u64(f.billable_calls);
    cells.put_u64(f.free_calls);
}

/// What the bill columns of one output row say: one month's charge, or the
/// sum of a group's months.
pub(super) struct BillFacts {
    pub(super) free_calls: u64,
    pub(super) billable_calls: u64,
    /// The reached tier (0-based) and its unit price (`None` when nothing is
    /// charged); `None` when the months summed reached different ones.
    pub(super) tier: Option<(usize, Option<Decimal>)>,
    pub(super) amount: Money,
    /// More calls would be billed less: the cheaper tier (one month's only).
    pub(super) cliff: Option<usize>,
}

impl BillFacts {
    /// Adds another month's charge of the same billing item.
    pub(super) fn add(&mut self, other: BillFacts) -> Result<(), String> {
        let overflow = || "the group's calls overflow".to_string();
        self.free_calls = self
            .free_calls
            .checked_add(other.free_calls)
            .ok_or_else(overflow)?;
        self.billable_calls = self
            .billable_calls
            .checked_add(other.billable_calls)
            .ok_or_else(overflow)?;
        if self.tier != other.tier {
            self.tier = None;
        }
        self.amount = self
            .amount
            .checked_add(other.amount)
            .map_err(|e| e.to_string())?;
        self.cliff = None;
        Ok(())
    }
}

/// A name's first and last 8 bytes (4 bytes of a name shorter than 8) and its
/// length: equal keys mean equal names up to 16 bytes. Built with two loads,
/// no loop, for the names of most rows.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct NameKey {
    pub(super) head: u64,
    pub(super) tail: u64,
    pub(super) len: usize,
}

impl NameKey {
    pub(super) fn of(name: &[u8]) -> NameKey {
        let len = name.len();
        let word = |bytes: &[u8]| u64::from_le_bytes(bytes.try_into().expect("8 bytes"));
        let half = |bytes: &[u8]| u64::from(u32::from_le_bytes(bytes.try_into().expect("4 bytes")));
        // Two loads that overlap cover every byte of a name of 4 to 16 bytes.
        let (head, tail) = match len {
            8.. => (word(&name[..8]), word(&name[len - 8..])),
            4..=7 => (half(&name[..4]) | half(&name[len - 4..]) << 32, 0),
            _ => (name.iter().rev().fold(0, |k, &b| k << 8 | u64::from(b)), 0),
        };
        NameKey { head, tail, len }
    }

    /// A slot of a 64-entry table.
    pub(super) fn slot(self) -> usize {
        ((self.head ^ self.tail.rotate_left(17) ^ self.len as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            >> 58) as usize
    }
}

/// Bytes of a row's bill cells at most, with their commas: two counts (21
/// each), a tier's number and price (22 and 31), an amount (42) and a cliff
/// (62), 199 in all.
const CELLS_MAX: usize = 256;
/// Room before the cells and after them, for copies of a fixed size.
const SLACK: usize = 64;
const CELLS_END: usize = SLACK + CELLS_MAX;

/// The bill cells of a row as CSV text, each after a comma (`,1000,8000,…`),
/// written from the last back into a fixed buffer: numbers two digits at a
/// time in place, a tier's and a cliff's cells by a copy of a fixed size, so
/// that no call copies a few bytes and no vector grows. A CSV row appends the
/// text as it is; no cell holds a comma (counts, prices, amounts).
#[derive(Clone)]
pub(super) struct Cells {
    buf: [u8; CELLS_END + SLACK],
    /// Where the text starts; it ends at `CELLS_END`.
    start: usize,
}

impl Default for Cells {
    fn default() -> Self {
        Cells {
            buf: [0; CELLS_END + SLACK],
            start: CELLS_END,
        }
    }
}

impl Cells {
    pub(super) fn clear(&mut self) {
        self.start = CELLS_END;
    }

    pub(super) fn len(&self) -> usize {
        CELLS_END - self.start
    }

    pub(super) fn text(&self) -> &[u8] {
        &self.buf[self.start..CELLS_END]
    }

    /// The text with room after it, for a copy of a fixed size.
    pub(super) fn padded(&self) -> Padded<'_> {
        Padded::new(&self.buf[self.start..], self.len())
    }

    /// `bytes` before the cells written so far.
    pub(super) fn put_bytes(&mut self, bytes: &[u8]) {
        let start = self.start - bytes.len();
        self.buf[start..self.start].copy_from_slice(bytes);
        self.start = start;
    }

    /// A cell holding `s`.
    pub(super) fn put_str(&mut self, s: &str) {
        self.put_bytes(s.as_bytes());
        self.put_bytes(b",");
    }

    #[inline(always)]
    pub(super) fn put_u64(&mut self, n: u64) {
        self.start = digits_back(&mut self.buf, self.start, n) - 1;
        self.buf[self.start] = b',';
    }

    #[inline(always)]
    pub(super) fn put_money(&mut self, m: Money) {
        self.start = m.write_back(&mut self.buf, self.start) - 1;
        self.buf[self.start] = b',';
    }

    /// Another's cells (a tier's, a cliff's) before these: up to 16 bytes by
    /// a copy of 16 (most tiers' cells), up to [`SLACK`] by a copy of that
    /// size, the bytes before them landing where nothing is written yet.
    #[inline(always)]
    pub(super) fn put_cells(&mut self, other: &Cells) {
        match other.len() {
            len @ ..=16 => self.put_fixed::<16>(other, len),
            len @ ..=SLACK => self.put_fixed::<SLACK>(other, len),
            _ => self.put_bytes(other.text()),
        }
    }

    /// [`Cells::put_cells`] of cells `len` ≤ `N` (≤ [`SLACK`]) bytes long, by
    /// a copy of `N` bytes.
    #[inline(always)]
    fn put_fixed<const N: usize>(&mut self, other: &Cells, len: usize) {
        let from: &[u8; N] = other.buf[CELLS_END - N..]
            .first_chunk()
            .expect("a fixed copy's bytes");
        self.buf[self.start - N..self.start].copy_from_slice(from);
        self.start -= len;
    }
}

#[cfg(test)]
mod tests {
    use super::{Cells, NameKey, CELLS_MAX, SLACK};
    use crate::money::format_price;
    use crate::Money;
    use rust_decimal::Decimal;

    /// Cells written from the last back read as the same cells written
    /// forward, up to the longest a bill can have (every count `u64::MAX`, the
    /// largest amounts, the longest price), and pieces longer than a fixed
    /// copy.
    #[test]
    fn cells_written_back_read_forward() {
        let longest_price = Decimal::from_i128_with_scale(-(1i128 << 95), 28);
        let prices = [
            Decimal::new(15, 2),
            Decimal::ZERO,
            longest_price,
            Decimal::MAX,
        ];
        let amounts = [
            Money::ZERO,
            Money::round(Decimal::new(120_000, 2)),
            Money::round(Decimal::MAX),
            Money::round(Decimal::MIN),
        ];
        for (price, amount) in prices.into_iter().zip(amounts) {
            for n in [0, 7, 1000, u64::MAX] {
                let price = format_price(price);
                let mut tier = Cells::default();
                tier.put_str(&price);
                tier.put_u64(n);
                let mut cliff = Cells::default();
                cliff.put_money(amount);
                cliff.put_u64(n);
                let mut cells = Cells::default();
                cells.put_cells(&cliff);
                cells.put_money(amount);
                cells.put_cells(&tier);
                cells.put_u64(n);
                cells.put_u64(n);
                let want = format!(",{n},{n},{n},{price},{amount},{n},{amount}");
                assert_eq!(String::from_utf8_lossy(cells.text()), want);
                assert_eq!(cells.len(), want.len());
                assert!(cells.len() <= CELLS_MAX);
                assert_eq!(&cells.padded().text(), &want.as_bytes());
            }
        }
        // A piece longer than a fixed copy is copied as it is.
        let mut long = Cells::default();
        long.put_str(&"9".repeat(SLACK + 5));
        let mut cells = Cells::default();
        cells.put_u64(1);
        cells.put_cells(&long);
        cells.put_bytes(b",,");
        assert_eq!(
            cells.text(),
            format!(",,,{},1", "9".repeat(SLACK + 5)).as_bytes()
        );
    }

    /// Names of up to 16 bytes have equal keys exactly when they are equal:
    /// every length, and names that differ in any one byte.
    #[test]
    fn a_name_key_tells_names_of_up_to_16_bytes_apart() {
        let mut names: Vec<Vec<u8>> = vec![Vec::new()];
        for len in 1..=16usize {
            let base: Vec<u8> = (0..len).map(|i| b'a' + i as u8).collect();
            names.push(base.clone());
            for at in 0..len {
                for b in [0u8, b'0', 0x80, 0xFF] {
                    let mut other = base.clone();
                    other[at] = b;
                    names.push(other);
                }
            }
        }
        names.sort();
        names.dedup();
        for (i, a) in names.iter().enumerate() {
            assert!(NameKey::of(a) == NameKey::of(&a.clone()));
            for b in &names[i + 1..] {
                assert!(NameKey::of(a) != NameKey::of(b), "{a:?} and {b:?}");
            }
        }
    }
}
