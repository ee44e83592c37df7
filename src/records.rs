//! A streaming CSV record reader for `batch`: plain lines are split on the
//! delimiter directly (the common case, as fast as `cut`), lines with quotes are
//! read strictly (RFC 4180) by [`scan_quoted`]. The delimiter is a comma, a tab
//! or a semicolon, told from the header line ([`RecordReader::next_header`]).
//! Each record keeps its raw bytes, so a pass-through writer can copy them
//! unchanged, and its 1-based line number.

use std::io::{self, Read};
use std::ops::Range;

/// The longest record accepted; a longer one is an error, so that memory stays
/// bounded on a pathological input.
pub const MAX_RECORD_BYTES: usize = 16 << 20;

/// What is said of a record longer than [`MAX_RECORD_BYTES`].
pub fn too_long_message() -> String {
    format!("a record longer than {MAX_RECORD_BYTES} bytes; is this a CSV file?")
}

/// A record of the input.
pub struct Record<'a> {
    /// The record's bytes as read, without its line terminator.
    pub raw: &'a [u8],
    /// `raw` and every byte after it in the reader's buffer.
    room: &'a [u8],
    /// 1-based line where the record starts.
    pub line: u64,
    fields: &'a [Range<usize>],
    field_bytes: &'a [u8],
}

impl<'a> Record<'a> {
    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether the record has the header's `count` fields, or why not.
    #[inline]
    pub(crate) fn has_fields(&self, count: usize) -> Result<(), String> {
        match self.len() == count {
            true => Ok(()),
            false => Err(self.fields_unlike(count)),
        }
    }

    /// Why the record has not the header's `count` fields: a line of NUL
    /// bytes is no text at all (a file padded, or cut short by a copy or
    /// download that stopped).
    #[cold]
    fn fields_unlike(&self, count: usize) -> String {
        let found = self.len();
        match memchr::memchr(0, self.raw) {
            Some(_) => format!(
                "expected {count} fields as in the header, found {found}: the line holds NUL \
                 bytes, not text; the file may be damaged or cut short (a copy or download \
                 that stopped): get it again"
            ),
            None => format!(
                "expected {count} fields as in the header, found {found}{}",
                self.split_number(count).unwrap_or_default()
            ),
        }
    }

    /// When the record has more fields than the header, and two neighbouring
    /// ones are a number cut at its comma (`9,000` or `9,00` unquoted, as a
    /// spreadsheet saves a formatted number: one to three digits, then one to
    /// three), a note saying so.
    fn split_number(&self, count: usize) -> Option<String> {
        if self.len() <= count {
            return None;
        }
        let group = |f: &[u8]| (1..=3).contains(&f.len()) && f.iter().all(u8::is_ascii_digit);
        (1..self.len()).find_map(|i| {
            let (a, b) = (self.field(i - 1), self.field(i));
            if !(group(a) && group(b)) {
                return None;
            }
            // (Joined by a comma as the line is written: not by a tab or a
            // semicolon, nor across a quote.)
            let joined = [a, b].join(&b',');
            memchr::memmem::find(self.raw, &joined)?;
            let number = String::from_utf8_lossy(&joined);
            Some(format!(
                ": fields {i} and {} read '{number}' as two; a number with a comma in a \
                 comma-separated file is quoted (\"{number}\"), or written without the \
                 thousands separator",
                i + 1
            ))
        })
    }

    /// The `i`-th field, unquoted.
    pub fn field(&self, i: usize) -> &'a [u8] {
        &self.field_bytes[self.fields[i].clone()]
    }

    /// The `i`-th field, unquoted, and every byte after it where it is held:
    /// room to read a short field as one word.
    pub fn field_room(&self, i: usize) -> &'a [u8] {
        &self.field_bytes[self.fields[i].start..]
    }

    /// The record's bytes as read and every byte after them in the reader's
    /// buffer: room to copy the record in a copy of a fixed size.
    pub fn raw_room(&self) -> &'a [u8] {
        self.room
    }

    /// The `i`-th field, unquoted, if the record has one.
    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        (i < self.len()).then(|| self.field(i))
    }

    /// The fields, unquoted.
    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.len()).map(|i| self.field(i))
    }

    /// The record is the header again (`names`, trimmed), as where files
    /// were joined one after another (each with its byte-order mark): no
    /// data, read past.
    pub fn repeats(&self, names: &[String]) -> bool {
        let unmarked = |field: &'a [u8]| field.strip_prefix(crate::UTF8_BOM).unwrap_or(field);
        self.len() == names.len()
            && self.iter().zip(names).all(|(field, name)| {
                std::str::from_utf8(unmarked(field)).is_ok_and(|f| f.trim() == name)
            })
    }
}

/// Title lines skipped above a header, at most.
const MAX_TITLES: usize = 5;

/// Reads records from a byte stream.
pub struct RecordReader<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    at_start: bool,
    /// Line of the next byte at `start`.
    line: u64,
    /// Quoted fields may span lines.
    multiline: bool,
    /// The byte between fields.
    delimiter: u8,
    fields: Vec<Range<usize>>,
    unquoted: Vec<u8>,
    /// The record last read: where its text starts and ends in `buf`, its
    /// line, and whether its fields were unquoted into `unquoted`.
    record: (usize, usize),
    record_line: u64,
    record_unquoted: bool,
}

/// Why a record could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The input failed.
    Io(io::Error),
    /// A record longer than [`MAX_RECORD_BYTES`], at this line.
    TooLong(u64),
    /// A malformed record at this line (a stray quote); reading goes on at the
    /// next line.
    Malformed {
        /// 1-based line where the record starts.
        line: u64,
        /// What is wrong, in words a user can act on.
        message: String,
        /// The line where a stray quote that opens on `line` closes.
        closes_on: Option<u64>,
    },
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

impl<R: Read> RecordReader<R> {
    /// A reader over bytes already in memory, which continue an input already
    /// begun (no byte-order mark is skipped); the bytes are parsed in place.
    pub fn from_bytes(bytes: Vec<u8>) -> RecordReader<io::Empty> {
        let end = bytes.len();
        RecordReader {
            buf: bytes,
            end,
            eof: true,
            at_start: false,
            ..RecordReader::with_buffer(io::empty(), Vec::new())
        }
    }

    /// A reader over `inner` from the start of the input (a UTF-8 byte-order
    /// mark is skipped).
    pub fn new(inner: R) -> Self {
        RecordReader::with_buffer(inner, vec![0; 1 << 16])
    }

    fn with_buffer(inner: R, buf: Vec<u8>) -> Self {
        RecordReader {
            inner,
            buf,
            start: 0,
            end: 0,
            eof: false,
            at_start: true,
            line: 1,
            multiline: false,
            delimiter: b',',
            fields: Vec::new(),
            unquoted: Vec::new(),
            record: (0, 0),
            record_line: 0,
            record_unquoted: false,
        }
    }

    /// Accepts quoted fields that span lines (legal CSV, but in a usage file
    /// more often a stray quote that swallowed the lines after it).
    pub fn multiline(mut self, allow: bool) -> Self {
        self.multiline = allow;
        self
    }

    /// Splits fields on `delimiter` (a comma unless told otherwise).
    pub fn with_delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// The byte between fields.
    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// The header: the first record, split on the delimiter its line uses (see
    /// [`delimiter_of`]), which then splits every record after it. A first
    /// line `sep=;`, as Excel reads and writes it, names the delimiter and is
    /// not the header; nor are up to five title lines above the header (lines
    /// of one value at most, followed by others).
    pub fn next_header(&mut self) -> Result<Option<Record<'_>>, ReadError> {
        let mut titles = 0;
        loop {
            let window = &self.buf[self.start..self.end];
            let content = window.iter().position(|&b| b != b'\n' && b != b'\r');
            let line = content
                .and_then(|s| memchr::memchr(b'\n', &window[s..]).map(|e| (s, &window[s..s + e])));
            match line {
                Some((s, line)) => {
                    let text = line.strip_suffix(b"\r").unwrap_or(line);
                    // (The delimiter named: any mark but a quote, or a tab.)
                    if let [b's' | b'S', b'e' | b'E', b'p' | b'P', b'=', d] = *text {
                        if d.is_ascii_punctuation() && d != b'"' || d == b'\t' {
                            self.delimiter = d;
                            self.skip(s + line.len() + 1);
                            return self.next_record();
                        }
                    }
                    let delimiter = delimiter_of(line);
                    // A title above the header (`腾讯云OCR调用明细,,,`, as a report
                    // saved from a spreadsheet begins): a line of one value at
                    // most, where a header has two columns at least, with lines
                    // after it.
                    if is_title(line) && titles < MAX_TITLES {
                        let through = s + line.len() + 1;
                        if window[through..].iter().any(|&b| b != b'\n' && b != b'\r') {
                            titles += 1;
                            self.skip(through);
                            continue;
                        }
                        if !self.eof {
                            self.fill()?;
                            continue;
                        }
                    }
                    self.delimiter = delimiter;
                    break;
                }
                None if self.eof => {
                    self.delimiter = content.map_or(b',', |s| delimiter_of(&window[s..]));
                    break;
                }
                None => {
                    self.fill()?;
                }
            }
        }
        self.next_record()
    }

    /// Goes past the first `n` buffered bytes, counting their lines.
    fn skip(&mut self, n: usize) {
        let passed = &self.buf[self.start..self.start + n];
        self.line += memchr::memchr_iter(b'\n', passed).count() as u64;
        self.start += n;
    }

    /// Reads more input after what is buffered; false at the end of input.
    fn fill(&mut self) -> Result<bool, ReadError> {
        if self.eof {
            return Ok(false);
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            if self.buf.len() >= MAX_RECORD_BYTES {
                return Err(ReadError::TooLong(self.line));
            }
            self.buf
                .resize((self.buf.len() * 2).min(MAX_RECORD_BYTES), 0);
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    if self.at_start && self.end >= crate::UTF8_BOM.len() {
                        self.at_start = false;
                        if self.buf.starts_with(crate::UTF8_BOM) {
                            self.start = crate::UTF8_BOM.len();
                        }
                    }
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Newlines consumed so far.
    pub fn lines_read(&self) -> u64 {
        self.line - 1
    }

    /// The input, the bytes read from it but not yet consumed, and the line
    /// they start on.
    pub fn into_parts(self) -> (R, Vec<u8>, u64) {
        (
            self.inner,
            self.buf[self.start..self.end].to_vec(),
            self.line,
        )
    }

    /// The reader's buffer, for reuse.
    pub fn into_buffer(self) -> Vec<u8> {
        self.buf
    }

    /// The next record, skipping blank lines; `None` at the end of input.
    #[inline]
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, ReadError> {
        // (The record is made here, where it is used, from the reader's
        // fields: a record returned whole from the scan was stored in pieces
        // and loaded back in wider ones, which stalled every row.)
        Ok(self.advance()?.then(|| self.record()))
    }

    /// The record last read by [`RecordReader::advance`].
    #[inline(always)]
    fn record(&self) -> Record<'_> {
        let (start, end) = self.record;
        Record {
            raw: &self.buf[start..end],
            room: &self.buf[start..self.end],
            line: self.record_line,
            fields: &self.fields,
            field_bytes: if self.record_unquoted {
                &self.unquoted
            } else {
                &self.buf
            },
        }
    }

    /// Reads the next record (see [`RecordReader::record`]), skipping blank
    /// lines; false at the end of input.
    #[inline(always)]
    fn advance(&mut self) -> Result<bool, ReadError> {
        loop {
            // One pass over the line: commas split fields; a quote, or a CR that
            // does not end the line, hands the record to the CSV state machine
            // (a lone CR ends a record there, as in the csv crate).
            let window = &self.buf[self.start..self.end];
            self.fields.clear();
            let mut field_start = 0;
            // (end of the text, end of the line including its terminator)
            let mut line: Option<(usize, usize)> = None;
            let mut special = false;
            let mut need_more = false;
            let mut from = 0;
            let delimiter = self.delimiter;
            while let Some(i) = next_special(window, from, delimiter) {
                from = i + 1;
                match window[i] {
                    d if d == delimiter => {
                        self.fields.push(self.start + field_start..self.start + i);
                        field_start = i + 1;
                    }
                    b'\n' => {
                        line = Some((i, i + 1));
                        break;
                    }
                    b'\r' => match window.get(i + 1) {
                        Some(b'\n') => {
                            line = Some((i, i + 2));
                            break;
                        }
                        None if !self.eof => {
                            need_more = true;
                            break;
                        }
                        _ => {
                            special = true;
                            break;
                        }
                    },
                    b'"' => {
                        special = true;
                        break;
                    }
                    _ => {}
                }
            }
            if special {
                return self.quoted_record();
            }
            let (text_end, line_end) = match line {
                Some(found) => found,
                None if need_more || !self.eof => {
                    self.fill()?;
                    continue;
                }
                None if window.is_empty() => return Ok(false),
                None => (window.len(), window.len()),
            };
            let record_start = self.start;
            let number = self.line;
            self.start += line_end;
            self.line += 1;
            // A blank line, or one of empty fields only (`,,,`, as a spreadsheet
            // saves a formatted row left empty), holds no record.
            let text = &self.buf[record_start..record_start + text_end];
            if text
                .iter()
                .all(|&b| b == delimiter || b == b' ' || b == b'\t')
            {
                continue;
            }
            self.fields
                .push(record_start + field_start..record_start + text_end);
            self.record = (record_start, record_start + text_end);
            self.record_line = number;
            self.record_unquoted = false;
            return Ok(true);
        }
    }

    /// A record with quotes (or a lone CR), read strictly (RFC 4180): a quoted
    /// field ends at a closing quote followed by the delimiter or the line end, and
    /// spans lines only in multi-line mode. A malformed record is reported at
    /// the line it starts on, and reading goes on at the next line, so that every
    /// line is either a record or reported.
    fn quoted_record(&mut self) -> Result<bool, ReadError> {
        loop {
            let input = &self.buf[self.start..self.end];
            let scanned = scan_quoted(
                input,
                self.eof,
                self.multiline,
                self.delimiter,
                &mut self.unquoted,
                &mut self.fields,
            );
            match scanned {
                Scanned::More => {
                    if input.len() >= MAX_RECORD_BYTES {
                        // A quote that no line end closes within the limit.
                        let consumed = memchr::memchr(b'\n', input).map_or(input.len(), |p| p + 1);
                        let line = self.line;
                        self.start += consumed;
                        self.line += 1;
                        return Err(ReadError::Malformed {
                            line,
                            message: format!(
                                "the quote that opens a field on this line is not closed \
                                 within {MAX_RECORD_BYTES} bytes (a stray '\"'?)"
                            ),
                            closes_on: None,
                        });
                    }
                    self.fill()?;
                }
                Scanned::Blank { consumed } => {
                    self.skip(consumed);
                    if self.start == self.end && self.eof {
                        return Ok(false);
                    }
                    return self.advance();
                }
                Scanned::Bad {
                    consumed,
                    message,
                    closes_after,
                } => {
                    let line = self.line;
                    self.start += consumed;
                    self.line += 1;
                    return Err(ReadError::Malformed {
                        line,
                        message,
                        closes_on: closes_after.map(|n| line + n),
                    });
                }
                Scanned::Record { text_len, consumed } => {
                    let line = self.line;
                    let record_start = self.start;
                    self.skip(consumed);
                    self.record = (record_start, record_start + text_len);
                    self.record_line = line;
                    self.record_unquoted = true;
                    return Ok(true);
                }
            }
        }
    }
}

/// What [`scan_quoted`] found at the start of `input`.
enum Scanned {
    /// A record: its text (without the terminator) and the bytes it takes.
    Record { text_len: usize, consumed: usize },
    /// An empty line ended by a lone CR.
    Blank { consumed: usize },
    /// The record goes on past the bytes given.
    More,
    /// A malformed record; `consumed` reaches the end of its first line; a
    /// stray quote closes `closes_after` lines below.
    Bad {
        consumed: usize,
        message: String,
        closes_after: Option<u64>,
    },
}

/// Scans one record that starts at `input[0]`, unquoting its fields into
/// `out` (ranges in `fields`). Messages speak of lines relative to the
/// record's first ("this line"), since a block does not know its line number.
fn scan_quoted(
    input: &[u8],
    eof: bool,
    multiline: bool,
    delimiter: u8,
    out: &mut Vec<u8>,
    fields: &mut Vec<Range<usize>>,
) -> Scanned {
    out.clear();
    fields.clear();
    let bad_closing =
        |message: String, closes_after: Option<u64>| match memchr::memchr(b'\n', input) {
            Some(p) => Scanned::Bad {
                consumed: p + 1,
                message,
                closes_after,
            },
            None if eof => Scanned::Bad {
                consumed: input.len(),
                message,
                closes_after,
            },
            None => Scanned::More,
        };
    let bad = |message: String| bad_closing(message, None);
    let here = |newlines: u64| match newlines {
        0 => "on this line".to_string(),
        n => format!("{n} lines below"),
    };
    // The record ends at `at` (a line end or the end of input): how many bytes.
    let end = |at: usize| -> Option<usize> {
        match input.get(at) {
            None => eof.then_some(at),
            Some(b'\n') => Some(at + 1),
            Some(b'\r') => match input.get(at + 1) {
                Some(b'\n') => Some(at + 2),
                None if !eof => None,
                _ => Some(at + 1),
            },
            Some(_) => unreachable!("called at a line end"),
        }
    };
    let mut newlines = 0u64;
    let mut i = 0;
    loop {
        let field_start = out.len();
        if input.get(i) == Some(&b'"') {
            let open_line = newlines;
            i += 1;
            loop {
                let Some(j) = memchr::memchr2(b'"', b'\n', &input[i..]).map(|j| i + j) else {
                    if !eof {
                        return Scanned::More;
                    }
                    return bad(format!(
                        "the quote that opens a field {} is never closed (a stray '\"'?)",
                        here(open_line)
                    ));
                };
                out.extend_from_slice(&input[i..j]);
                if input[j] == b'\n' {
                    if !multiline {
                        return match closing_line(&input[j..], eof) {
                            None => Scanned::More,
                            Some(Some(n)) => bad_closing(
                                "a quoted field opens on this line and does not close on it \
                                 (a stray '\"'?); fields may span lines only when that is asked for"
                                    .to_string(),
                                Some(n),
                            ),
                            Some(None) => bad(
                                "the quote that opens a field on this line is never closed \
                                 (a stray '\"'?)"
                                    .to_string(),
                            ),
                        };
                    }
                    newlines += 1;
                    out.push(b'\n');
                    i = j + 1;
                    continue;
                }
                match input.get(j + 1) {
                    Some(b'"') => {
                        out.push(b'"');
                        i = j + 2;
                    }
                    None if !eof => return Scanned::More,
                    _ => {
                        i = j + 1;
                        break;
                    }
                }
            }
            // `"=""0123"""`, the same text formula quoted as CSV: its text.
            if let Some(text) = out[field_start..]
                .strip_prefix(b"=\"")
                .and_then(|t| t.strip_suffix(b"\""))
                .filter(|t| !t.contains(&b'"'))
            {
                let len = text.len();
                out.copy_within(field_start + 2..field_start + 2 + len, field_start);
                out.truncate(field_start + len);
            }
            fields.push(field_start..out.len());
            match input.get(i) {
                Some(&d) if d == delimiter => i += 1,
                None | Some(b'\n' | b'\r') => {
                    return match end(i) {
                        None => Scanned::More,
                        Some(consumed) => Scanned::Record {
                            text_len: i,
                            consumed,
                        },
                    }
                }
                Some(&c) => {
                    return bad(format!(
                        "after the closing quote of field {} {}, expected {} or the end \
                         of the line, found '{}'; double a quote inside a quoted field (\"\"), \
                         or remove the stray quote",
                        fields.len(),
                        here(newlines),
                        delimiter_name(delimiter),
                        char::from(c).escape_default()
                    ))
                }
            }
        } else {
            let rest = &input[i..];
            let stop = rest
                .iter()
                .position(|&b| b == delimiter || matches!(b, b'\n' | b'\r' | b'"'))
                .map(|p| i + p);
            let j = match stop {
                Some(j) => j,
                None if !eof => return Scanned::More,
                None => input.len(),
            };
            out.extend_from_slice(&input[i..j]);
            match input.get(j) {
                // `="0123"`: a spreadsheet's text formula, as exports write a
                // number that must stay text (an account of 12 digits): the
                // quoted text is the field.
                Some(b'"') if j == i + 1 && input[i] == b'=' => {
                    out.truncate(field_start);
                    i = j;
                }
                Some(b'"') => {
                    return bad(format!(
                        "a quote inside unquoted field {} {}; quote the whole field and \
                         double the quotes inside it (\"a \"\"b\"\"\"), or remove the stray \
                         quote",
                        fields.len() + 1,
                        here(newlines)
                    ))
                }
                Some(&d) if d == delimiter => {
                    fields.push(field_start..out.len());
                    i = j + 1;
                }
                _ => {
                    if fields.is_empty() && j == 0 {
                        return match end(j) {
                            None => Scanned::More,
                            Some(consumed) => Scanned::Blank { consumed },
                        };
                    }
                    fields.push(field_start..out.len());
                    return match end(j) {
                        None => Scanned::More,
                        Some(consumed) => Scanned::Record {
                            text_len: j,
                            consumed,
                        },
                    };
                }
            }
        }
    }
}

/// Where a quote left open at a line end closes: `Some(Some(n))`, `n` lines
/// further on (doubled quotes are not a close); `Some(None)` when it never
/// does; `None` when more input is needed to tell.
fn closing_line(rest: &[u8], eof: bool) -> Option<Option<u64>> {
    let mut lines = 0;
    let mut i = 0;
    while let Some(j) = memchr::memchr2(b'"', b'\n', &rest[i..]).map(|j| i + j) {
        if rest[j] == b'\n' {
            lines += 1;
            i = j + 1;
            continue;
        }
        match rest.get(j + 1) {
            Some(b'"') => i = j + 2,
            None if !eof => return None,
            _ => return Some(Some(lines)),
        }
    }
    eof.then_some(None)
}

/// Whether a line (without its newline) may stand above a header as a title
/// (`腾讯云OCR调用明细,,,`): one value at most, split on the delimiter its line
/// uses, where a header has two columns at least. An empty line and Excel's
/// `sep=;` are such lines too.
pub fn is_title(line: &[u8]) -> bool {
    let text = line.strip_suffix(b"\r").unwrap_or(line);
    let delimiter = delimiter_of(text);
    text.split(|&b| b == delimiter)
        .filter(|f| f.iter().any(|&b| !matches!(b, b' ' | b'\t')))
        .count()
        <= 1
}

/// The delimiter of a header line: a comma if it has one outside quotes, else
/// a tab (Excel's and WPS's "Unicode text", tab-separated), else a semicolon
/// (CSV where the decimal mark is a comma), else a comma (one column).
pub fn delimiter_of(line: &[u8]) -> u8 {
    let mut quoted = false;
    let (mut tab, mut semicolon) = (false, false);
    for &b in line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => return b',',
            b'\t' if !quoted => tab = true,
            b';' if !quoted => semicolon = true,
            _ => {}
        }
    }
    if tab {
        b'\t'
    } else if semicolon {
        b';'
    } else {
        b','
    }
}

/// The delimiter in words, for messages.
pub fn delimiter_name(delimiter: u8) -> &'static str {
    match delimiter {
        b'\t' => "a tab",
        b';' => "a semicolon",
        _ => "a comma",
    }
}

/// The first byte at or after `from` that may end a field: below `-` (see
/// [`next_below_minus`]) or the delimiter.
fn next_special(bytes: &[u8], from: usize, delimiter: u8) -> Option<usize> {
    if delimiter < b'-' {
        return next_below_minus(bytes, from);
    }
    let rest = bytes.get(from..)?;
    rest.iter()
        .position(|&b| b < b'-' || b == delimiter)
        .map(|p| from + p)
}

/// The first byte at or after `from` below `-` (0x2D): the comma, the line
/// ends and the quote are the only such bytes that matter to a record, and
/// text (letters, digits, `-`, `.`, bytes of multi-byte characters) is none.
/// Eight bytes at a time: for a byte `b` < 0x80, `(b | 0x80) - 0x2D` keeps its
/// top bit exactly when `b` ≥ 0x2D, and no byte borrows from the next.
fn next_below_minus(bytes: &[u8], from: usize) -> Option<usize> {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const MINUS: u64 = 0x2D2D_2D2D_2D2D_2D2D;
    let mut i = from;
    while let Some(word) = bytes.get(i..i + 8) {
        let x = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        let below = !((x | HIGH) - MINUS) & !x & HIGH;
        if below != 0 {
            return Some(i + (below.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    bytes
        .get(i..)?
        .iter()
        .position(|&b| b < b'-')
        .map(|p| i + p)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The word-at-a-time search finds what a byte-by-byte one finds, for
    /// every byte value at every position of a word and in the tail.
    #[test]
    fn next_below_minus_is_the_first_byte_below_minus() {
        let naive = |bytes: &[u8], from: usize| (from..bytes.len()).find(|&i| bytes[i] < b'-');
        for len in [0, 1, 7, 8, 9, 16, 21] {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = b;
                    for from in [0, at, at.saturating_sub(3)] {
                        assert_eq!(
                            next_below_minus(&bytes, from),
                            naive(&bytes, from),
                            "{bytes:?} from {from}"
                        );
                    }
                }
            }
        }
        let mixed = "acct00,2026-08,身份证,9,000\r\n\"x\"".as_bytes();
        for from in 0..mixed.len() {
            assert_eq!(next_below_minus(mixed, from), naive(mixed, from));
        }
    }

    /// Gives at most `chunk` bytes per read, to cross every buffer boundary.
    pub(crate) struct Trickle<'a>(pub(crate) &'a [u8], pub(crate) usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn all(input: &[u8], chunk: usize) -> Vec<(u64, Vec<String>, String)> {
        let mut r = RecordReader::new(Trickle(input, chunk)).multiline(true);
        let mut out = Vec::new();
        while let Some(rec) = r.next_record().unwrap() {
            out.push((
                rec.line,
                rec.iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect(),
                String::from_utf8_lossy(rec.raw).into_owned(),
            ));
        }
        out
    }

    /// A field-count error says which two fields look like one number cut at
    /// its comma, and only then.
    #[test]
    fn a_number_cut_at_its_comma_is_named() {
        let why = |line: &str, count: usize| {
            let mut r = RecordReader::new(line.as_bytes());
            let record = r.next_record().unwrap().unwrap();
            record.has_fields(count).err()
        };
        let named = |line: &str, pair: &str| {
            let message = why(line, 3).unwrap();
            assert!(message.contains(pair), "{line}: {message}");
        };
        named("A,idcard,9,000", "fields 3 and 4 read '9,000' as two");
        named("A,idcard,9,00", "fields 3 and 4 read '9,00' as two");
        named("A,1,234,idcard", "fields 2 and 3 read '1,234' as two");
        named("A,idcard,12,500,7", "fields 3 and 4 read '12,500' as two");
        for plain in [
            "A,idcard,9,0000",
            "A,idcard,9000,12",
            "A,idcard,x,000",
            "A,idcard,9,",
            "A,idcard,\"9\",000x",
        ] {
            let message = why(plain, 3).unwrap();
            assert!(!message.contains("read '"), "{plain}: {message}");
            assert!(message.ends_with("found 4"), "{plain}: {message}");
        }
        // Fewer fields than the header: nothing was cut.
        assert!(why("9,000", 3).unwrap().ends_with("found 2"));
        assert_eq!(why("A,idcard,9000", 3), None);
    }

    #[test]
    fn plain_quoted_crlf_bom_blank_lines_and_line_numbers() {
        let input = "\u{feff}a,b\r\n1,2\r\n\r\n\"x,\"\"y\"\"\",3\n\"multi\r\nline\",4\n5,\n6,7";
        let want = vec![
            (1, vec!["a", "b"], "a,b"),
            (2, vec!["1", "2"], "1,2"),
            (4, vec!["x,\"y\"", "3"], "\"x,\"\"y\"\"\",3"),
            (5, vec!["multi\r\nline", "4"], "\"multi\r\nline\",4"),
            (7, vec!["5", ""], "5,"),
            (8, vec!["6", "7"], "6,7"),
        ];
        for chunk in [1, 2, 3, 5, 7, 64, 1 << 20] {
            let got = all(input.as_bytes(), chunk);
            assert_eq!(got.len(), want.len(), "chunk {chunk}: {got:?}");
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(g.0, w.0, "chunk {chunk}");
                assert_eq!(g.1, w.1, "chunk {chunk}");
                assert_eq!(g.2, w.2, "chunk {chunk}");
            }
        }
    }

    /// `="0123"`, a spreadsheet's text formula (as exports keep a long number
    /// text), and its CSV-quoted form `"=""0123"""` are the quoted text; a
    /// quote after other text is still a stray one.
    #[test]
    fn text_formulas_are_their_text() {
        for chunk in [1, 2, 3, 5, 1 << 10] {
            let got = all(b"=\"0123\",\"=\"\"9000\"\"\",=\"a,b\"\n", chunk);
            assert_eq!(got.len(), 1, "chunk {chunk}: {got:?}");
            assert_eq!(got[0].1, ["0123", "9000", "a,b"], "chunk {chunk}");
        }
        let mut reader = RecordReader::new(&b"x=\"1\",2\n"[..]);
        assert!(reader.next_record().is_err());
        // A quoted field that only looks like one keeps its quotes.
        let got = all(b"\"=\"\"a\"\"b\"\"\"\n", 1 << 10);
        assert_eq!(got[0].1, ["=\"a\"b\""]);
    }

    #[test]
    fn a_lone_cr_ends_a_record_with_or_without_quotes() {
        for chunk in [1, 2, 3, 7, 1 << 10] {
            let plain = all(b"a,b\rc,d\n", chunk);
            let quoted = all(b"\"a\",b\rc,d\n", chunk);
            assert_eq!(plain.len(), 2, "chunk {chunk}: {plain:?}");
            assert_eq!(quoted.len(), 2, "chunk {chunk}: {quoted:?}");
            assert_eq!(plain[1].1, vec!["c", "d"]);
            assert_eq!(quoted[1].1, vec!["c", "d"]);
        }
    }

    #[test]
    fn blank_lines_and_lone_crs_end_without_a_record() {
        for chunk in [1, 2, 3, 1 << 10] {
            // A line of empty fields, as a spreadsheet saves an empty formatted
            // row, is blank too; one with a value, or an empty first field, is not.
            let got = all(b"a,b\n,,\n , ,\t\r\n,x\n,,\n", chunk);
            let lines: Vec<u64> = got.iter().map(|r| r.0).collect();
            assert_eq!(lines, [1, 4], "chunk {chunk}: {got:?}");
            assert_eq!(got[1].1, ["", "x"], "chunk {chunk}");
            assert_eq!(all(b"\r\r", chunk).len(), 0, "chunk {chunk}");
            assert_eq!(all(b"\r\n\r\n\"x\"", chunk).len(), 1, "chunk {chunk}");
            let got = all(b"a\n\r\rb,\"c\"\n", chunk);
            assert_eq!(got.len(), 2, "chunk {chunk}: {got:?}");
            assert_eq!(got[1].2, "b,\"c\"", "chunk {chunk}");
            assert_eq!(got[1].0, 2, "chunk {chunk}");
        }
    }

    #[test]
    fn a_quoted_last_record_without_newline() {
        let got = all(b"a\n\"q\"", 3);
        assert_eq!(got[1].1, vec!["q"]);
    }

    /// A record's line and fields, or an error's line and message.
    type Read1 = Result<(u64, Vec<String>), (u64, String)>;

    /// Every record or error, in order, reading strictly.
    fn strict(input: &[u8], chunk: usize) -> Vec<Read1> {
        let mut r = RecordReader::new(Trickle(input, chunk));
        let mut out = Vec::new();
        loop {
            match r.next_record() {
                Ok(Some(rec)) => out.push(Ok((
                    rec.line,
                    rec.iter()
                        .map(|f| String::from_utf8_lossy(f).into_owned())
                        .collect(),
                ))),
                Ok(None) => return out,
                Err(ReadError::Malformed {
                    line,
                    message,
                    closes_on,
                }) => out.push(Err((line, format!("{message} {closes_on:?}")))),
                Err(e) => panic!("{e:?}"),
            }
        }
    }

    #[test]
    fn strict_reading_reports_stray_quotes_at_their_line_and_goes_on() {
        let input = b"a,b\n\"x,1\n2,3\n4,5\"\n6,7\n\"q\"z,8\n9,\"unterminated\n10,11\n";
        for chunk in [1, 2, 5, 1 << 10] {
            let got = strict(input, chunk);
            let lines: Vec<u64> = got
                .iter()
                .map(|r| match r {
                    Ok((l, _)) | Err((l, _)) => *l,
                })
                .collect();
            assert_eq!(
                lines,
                vec![1, 2, 3, 4, 5, 6, 7, 8],
                "chunk {chunk}: {got:?}"
            );
            let err = |i: usize| got[i].clone().unwrap_err().1;
            assert!(
                err(1).contains("opens on this line and does not close"),
                "{}",
                err(1)
            );
            assert!(err(1).ends_with("Some(4)"), "{}", err(1));
            assert_eq!(got[2], Ok((3, vec!["2".to_string(), "3".to_string()])));
            assert!(
                err(3).contains("quote inside unquoted field 2 on this line"),
                "{}",
                err(3)
            );
            assert!(
                err(5).contains("after the closing quote of field 1 on this"),
                "{}",
                err(5)
            );
            assert!(
                err(6).contains("on this line is never closed"),
                "{}",
                err(6)
            );
            assert_eq!(got[7], Ok((8, vec!["10".to_string(), "11".to_string()])));
        }
    }

    #[test]
    fn multiline_mode_reads_fields_across_lines_and_reports_an_unterminated_one() {
        let got = all(b"a\n\"x\ny\",1\n2\n", 3);
        assert_eq!(got[1].1, vec!["x\ny", "1"]);
        assert_eq!(got[2].0, 4);
        let mut r = RecordReader::new(&b"a\n\"open\nb\nc\n"[..]).multiline(true);
        r.next_record().unwrap();
        match r.next_record() {
            Err(ReadError::Malformed { line, message, .. }) => {
                assert_eq!(line, 2);
                assert!(message.contains("never closed"), "{message}");
            }
            _ => panic!("expected an error"),
        }
    }

    #[test]
    fn the_delimiter_is_told_from_the_header_line() {
        for (line, want) in [
            (&b"api,calls"[..], b','),
            (b"api\tcalls", b'\t'),
            (b"api;calls", b';'),
            (b"\"a,b\"\tcalls", b'\t'),
            (b"\"a;b\",calls", b','),
            (b"api\tcalls;x", b'\t'),
            (b"api", b','),
            (b"", b','),
        ] {
            assert_eq!(
                delimiter_of(line),
                want,
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn tab_and_semicolon_files_read_as_their_header_says() {
        let rows: [&[&str]; 4] = [
            &["api", "calls"],
            &["idcard", "9,000"],
            &["a;b\tc", "1"],
            &["x", ""],
        ];
        for d in [b',', b'\t', b';'] {
            // A byte-order mark and a blank line before the header.
            let mut text = b"\xEF\xBB\xBF\r\n".to_vec();
            for row in rows {
                for (i, f) in row.iter().enumerate() {
                    if i > 0 {
                        text.push(d);
                    }
                    if f.bytes().any(|b| b == d || b == b',' || b == b';') {
                        text.extend_from_slice(format!("\"{f}\"").as_bytes());
                    } else {
                        text.extend_from_slice(f.as_bytes());
                    }
                }
                text.extend_from_slice(b"\r\n");
            }
            for chunk in [1, 2, 3, 1 << 10] {
                let mut r = RecordReader::new(Trickle(&text, chunk));
                let fields = |rec: Record<'_>| -> Vec<String> {
                    rec.iter()
                        .map(|f| String::from_utf8_lossy(f).into_owned())
                        .collect()
                };
                let header = r.next_header().unwrap().map(fields);
                assert_eq!(header, Some(vec!["api".into(), "calls".into()]));
                assert_eq!(r.delimiter(), d, "chunk {chunk}");
                let mut got = Vec::new();
                while let Some(rec) = r.next_record().unwrap() {
                    got.push(fields(rec));
                }
                let want: Vec<Vec<String>> = rows[1..]
                    .iter()
                    .map(|row| row.iter().map(|f| f.to_string()).collect())
                    .collect();
                assert_eq!(got, want, "delimiter {}, chunk {chunk}", d as char);
            }
        }
    }

    /// A report's title lines above its header are no header; a lone line,
    /// or a sixth title line, is.
    #[test]
    fn title_lines_above_the_header_are_skipped() {
        for chunk in [1, 2, 5, 1 << 10] {
            let header = |input: &[u8]| {
                let mut r = RecordReader::new(Trickle(input, chunk));
                let h = r
                    .next_header()
                    .unwrap()
                    .map(|h| (h.line, String::from_utf8_lossy(h.raw).into_owned()));
                let first = r.next_record().unwrap().map(|rec| rec.line);
                (h, first)
            };
            let titled = "腾讯云OCR调用明细,,,\n\n  \n统计周期：2026年1月\na,b\n1,2\n";
            assert_eq!(
                header(titled.as_bytes()),
                (Some((5, "a,b".to_string())), Some(6)),
                "chunk {chunk}"
            );
            assert_eq!(
                header(b"title\ta\tb\n"),
                (Some((1, "title\ta\tb".to_string())), None)
            );
            assert_eq!(header(b"api\n"), (Some((1, "api".to_string())), None));
            assert_eq!(header(b"api\n\n"), (Some((1, "api".to_string())), None));
            let six = "t\n".repeat(6) + "a,b\n";
            assert_eq!(header(six.as_bytes()).0, Some((6, "t".to_string())));
        }
    }

    #[test]
    fn an_excel_sep_line_names_the_delimiter_and_is_no_header() {
        for chunk in [1, 2, 5, 1 << 10] {
            let input = b"\xEF\xBB\xBFsep=;\r\naccount;calls\r\n\"a,b\";9\r\n";
            let mut r = RecordReader::new(Trickle(input, chunk));
            let header = r.next_header().unwrap().map(|h| (h.line, h.len()));
            assert_eq!(header, Some((2, 2)), "chunk {chunk}");
            assert_eq!(r.delimiter(), b';');
            let row = r.next_record().unwrap().unwrap();
            assert_eq!(
                (row.line, row.field(0), row.field(1)),
                (3, &b"a,b"[..], &b"9"[..])
            );
        }
        // `sep=` alone on a line only: a header that merely starts so is one,
        // and so is `sep=` with a letter or a digit.
        for (input, fields) in [(&b"sep=x,calls\n"[..], 2), (b"sep=a\n", 1), (b"sep=1\n", 1)] {
            let mut r = RecordReader::new(input);
            assert_eq!(r.next_header().unwrap().map(|h| h.len()), Some(fields));
        }
    }

    #[test]
    fn a_bad_closing_quote_names_the_delimiter() {
        let mut r = RecordReader::new(&b"\"a\"x\tb\n"[..]).with_delimiter(b'\t');
        match r.next_record() {
            Err(ReadError::Malformed { message, .. }) => {
                assert!(message.contains("expected a tab or the end"), "{message}");
            }
            _ => panic!("expected an error"),
        }
    }

    #[test]
    fn an_overlong_record_is_refused() {
        let long = vec![b'x'; MAX_RECORD_BYTES + 10];
        let mut r = RecordReader::new(&long[..]);
        assert!(matches!(r.next_record(), Err(ReadError::TooLong(1))));
    }
}
