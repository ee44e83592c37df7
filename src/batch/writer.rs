//! The output rows: CSV, Excel CSV and JSON Lines, written byte by byte.

use crate::money::digits_back;

use super::options::BatchFormat;

/// Output buffered before it is written.
pub(super) const FLUSH_BYTES: usize = 1 << 17;

/// A cell as a spreadsheet may show it: one that would start a formula (`=`,
/// `+`, `-`, `@`, tab or CR; OWASP's CSV-injection guidance) gets a leading
/// `'`, unless it is a plain number such as `-5.00`, which no spreadsheet runs.
/// In an account column (`account`), an ID that a spreadsheet would show
/// otherwise than as written, 12 digits or more (`1.00012E+11`) or with a
/// leading zero (`123` for `00123`), is written as the text formula
/// `="100012345678"`, which ocr-bill reads back as its text.
///
/// ```
/// use ocr_bill::spreadsheet_safe;
/// assert_eq!(spreadsheet_safe("=1+2", false), "'=1+2");
/// assert_eq!(spreadsheet_safe("-5.00", false), "-5.00");
/// assert_eq!(spreadsheet_safe("100012345678", true), "=\"100012345678\"");
/// assert_eq!(spreadsheet_safe("00123", true), "=\"00123\"");
/// assert_eq!(spreadsheet_safe("12345", true), "12345");
/// assert_eq!(spreadsheet_safe("100012345678", false), "100012345678");
/// ```
pub fn spreadsheet_safe(cell: &str, account: bool) -> std::borrow::Cow<'_, str> {
    let digits = cell.len() > 1 && cell.bytes().all(|b| b.is_ascii_digit());
    if account && digits && (cell.len() >= 12 || cell.starts_with('0')) {
        return std::borrow::Cow::Owned(format!("=\"{cell}\""));
    }
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let number = cell.parse::<rust_decimal::Decimal>().is_ok() && !cell.starts_with('+');
    if risky && !number {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// The bill columns appended to every output row.
pub const BILL_COLUMNS: [&str; 7] = [
    "free_calls",
    "billable_calls",
    "tier",
    "unit_price",
    "amount",
    "cliff_calls",
    "cliff_amount",
];

/// Appends `n` in decimal.
pub(super) fn push_digits(out: &mut Vec<u8>, n: u64) {
    let mut digits = [0; 20];
    let start = digits_back(&mut digits, 20, n);
    out.extend_from_slice(&digits[start..]);
}

/// A short text at the start of `room`, bytes that may run past it (the rest
/// of a block of input, a bill's cell buffer): appended with a copy of a
/// fixed size (32 bytes, or 64 for a longer text), then cut, instead of a
/// call to copy a few bytes (two per row).
#[derive(Clone, Copy)]
pub(super) struct Padded<'a> {
    room: &'a [u8],
    len: usize,
}

impl<'a> Padded<'a> {
    /// The first `len` bytes of `room`.
    pub(super) fn new(room: &'a [u8], len: usize) -> Self {
        debug_assert!(len <= room.len(), "a text within its room");
        Padded { room, len }
    }

    pub(super) fn text(self) -> &'a [u8] {
        &self.room[..self.len]
    }

    #[inline(always)]
    pub(super) fn append_to(self, out: &mut Vec<u8>) {
        let at = out.len();
        if !self.extend_fixed::<32>(out) && !self.extend_fixed::<64>(out) {
            out.extend_from_slice(self.text());
            return;
        }
        out.truncate(at + self.len);
    }

    /// Appends `N` bytes of the room, when the text is at most that long and
    /// the room holds them (the caller cuts the rest); false otherwise.
    #[inline(always)]
    fn extend_fixed<const N: usize>(self, out: &mut Vec<u8>) -> bool {
        let chunk = self.room.first_chunk::<N>().filter(|_| self.len <= N);
        if let Some(chunk) = chunk {
            out.extend_from_slice(chunk);
        }
        chunk.is_some()
    }
}

/// The cells of a bill text, without their commas.
pub(super) fn cells_of(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    text.get(1..).unwrap_or_default().split(|&b| b == b',')
}

/// How a column is written in JSON.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum JsonKind {
    /// A string, as read.
    Text,
    /// An integer, or null when empty.
    Integer,
    /// A string, or null when empty.
    OptionalText,
}

/// Formats output rows as CSV or JSON Lines into a byte buffer.
pub(super) struct RowFormat {
    pub(super) format: BatchFormat,
    pub(super) columns: Vec<(String, JsonKind)>,
    /// Per column: it names accounts (its IDs kept as text in Excel CSV).
    pub(super) accounts: Vec<bool>,
}

/// Writes one CSV field, quoted when it holds a comma, quote or line break.
pub(crate) fn csv_field(out: &mut Vec<u8>, field: &[u8]) {
    if !field
        .iter()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        out.extend_from_slice(field);
        return;
    }
    out.push(b'"');
    for part in field.split_inclusive(|&b| b == b'"') {
        out.extend_from_slice(part);
        if part.last() == Some(&b'"') {
            out.push(b'"');
        }
    }
    out.push(b'"');
}

/// Writes a JSON string.
pub(super) fn json_string(out: &mut Vec<u8>, text: &[u8]) {
    serde_json::to_writer(out, &String::from_utf8_lossy(text)).expect("writing to memory");
}

impl RowFormat {
    /// `leading` are the columns before the bill columns; `integers` those of
    /// them written as integers in JSON.
    pub(super) fn new(format: BatchFormat, leading: Vec<String>, integers: &[usize]) -> Self {
        let bill = BILL_COLUMNS.iter().map(|c| {
            let kind = match *c {
                "unit_price" | "amount" | "cliff_amount" => JsonKind::OptionalText,
                _ => JsonKind::Integer,
            };
            (c.to_string(), kind)
        });
        let columns = leading
            .into_iter()
            .enumerate()
            .map(|(i, h)| {
                let kind = if integers.contains(&i) {
                    JsonKind::Integer
                } else {
                    JsonKind::Text
                };
                (h, kind)
            })
            .chain(bill)
            .collect::<Vec<_>>();
        let accounts = columns
            .iter()
            .map(|(name, _)| crate::columns::names_accounts(name))
            .collect();
        RowFormat {
            format,
            columns,
            accounts,
        }
    }

    /// The CSV header row (nothing for JSON Lines).
    pub(super) fn header(&self, out: &mut Vec<u8>) {
        let excel = self.format == BatchFormat::ExcelCsv;
        if excel {
            out.extend_from_slice(crate::UTF8_BOM);
        }
        if self.format != BatchFormat::JsonLines {
            for (i, (name, _)) in self.columns.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                self.field(out, name.as_bytes(), false);
            }
            out.extend_from_slice(if excel { b"\r\n" } else { b"\n" });
        }
    }

    /// One CSV field, made safe for spreadsheets in Excel CSV.
    pub(super) fn field(&self, out: &mut Vec<u8>, field: &[u8], account: bool) {
        if self.format == BatchFormat::ExcelCsv {
            let text = String::from_utf8_lossy(field);
            csv_field(out, spreadsheet_safe(&text, account).as_bytes());
        } else {
            csv_field(out, field);
        }
    }

    /// One output row: the leading fields, then the bill cells. In CSV, `raw`
    /// (the input record as read) stands for the leading fields unchanged. `calls`
    /// is the position (if a column holds it) and parsed value of the call
    /// count, an integer in JSON.
    #[inline]
    pub(super) fn row<'f>(
        &self,
        out: &mut Vec<u8>,
        leading: impl Iterator<Item = &'f [u8]>,
        raw: Option<Padded<'_>>,
        calls: (Option<usize>, u64),
        bill: Padded<'f>,
    ) {
        match self.format {
            BatchFormat::Csv | BatchFormat::ExcelCsv => {
                match raw.filter(|_| self.format == BatchFormat::Csv) {
                    Some(raw) => raw.append_to(out),
                    None => {
                        for (i, f) in leading.enumerate() {
                            if i > 0 {
                                out.push(b',');
                            }
                            self.field(out, f, self.accounts.get(i).copied().unwrap_or(false));
                        }
                    }
                }
                bill.append_to(out);
                if self.format == BatchFormat::ExcelCsv {
                    out.push(b'\r');
                }
                out.push(b'\n');
            }
            BatchFormat::JsonLines => {
                out.push(b'{');
                let fields = leading.chain(cells_of(bill.text()));
                for (i, ((name, kind), f)) in self.columns.iter().zip(fields).enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    json_string(out, name.as_bytes());
                    out.push(b':');
                    match kind {
                        _ if Some(i) == calls.0 => push_digits(out, calls.1),
                        JsonKind::Integer | JsonKind::OptionalText if f.is_empty() => {
                            out.extend_from_slice(b"null")
                        }
                        JsonKind::Integer => out.extend_from_slice(f),
                        JsonKind::Text | JsonKind::OptionalText => json_string(out, f),
                    }
                }
                out.extend_from_slice(b"}\n");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Padded;

    /// Whatever the text's length and the room after it (none, less than a
    /// fixed copy, more), exactly the text is appended, after what was there.
    #[test]
    fn a_padded_text_appends_exactly_its_bytes() {
        let bytes: Vec<u8> = (0..200u8).collect();
        for room in 0..=130 {
            for len in 0..=room {
                let padded = Padded::new(&bytes[..room], len);
                assert_eq!(padded.text(), &bytes[..len]);
                let mut out = b"head".to_vec();
                padded.append_to(&mut out);
                assert_eq!(&out[..4], b"head", "room {room}, length {len}");
                assert_eq!(&out[4..], &bytes[..len], "room {room}, length {len}");
            }
        }
    }
}
