//! Input text as it comes: UTF-8, or GB18030/GBK as saved by Excel and WPS on
//! Chinese Windows, or UTF-16 (with a byte-order mark or without), decoded to UTF-8 while
//! streaming. Nothing is ever replaced: bytes that are not text in the input's
//! encoding are an error naming where they are. In auto mode, files joined
//! one after another (`cat jan.csv feb.csv`: each begins with the input's
//! first line) are each decoded in their own encoding.

use std::io::{self, Read};

use encoding_rs::{Decoder, DecoderResult, Encoding, GB18030, UTF_16BE, UTF_16LE, UTF_8};

/// Which encoding an input is read in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InputEncoding {
    /// UTF-8 unless the first bytes that are not ASCII are not UTF-8 but GB18030 (GBK),
    /// or the input is UTF-16 (by its byte-order mark, or without one by where
    /// its zero bytes are).
    #[default]
    Auto,
    /// UTF-8.
    Utf8,
    /// GB18030, a superset of GBK and GB2312.
    Gb18030,
}

/// How much of the input is looked at to tell UTF-8 from GB18030.
const SNIFF_BYTES: usize = 1 << 16;

enum Mode {
    /// Not decided yet (auto).
    Sniffing,
    /// UTF-8, checked as it passes: `carry` holds the start of a character
    /// split across reads. `undecided` while every byte so far was ASCII in
    /// auto mode: GB18030 reads ASCII alike, so the first other bytes decide.
    Utf8 { carry: Vec<u8>, undecided: bool },
    /// Decoded from another encoding into `out`, of which `out_at..` is unread.
    Decoding {
        decoder: Decoder,
        raw: Vec<u8>,
        out: Vec<u8>,
        out_at: usize,
        eof: bool,
    },
}

/// A reader of UTF-8 text over an input in some encoding.
pub struct DecodedReader<R> {
    inner: R,
    mode: Mode,
    /// Bytes of the input consumed so far, and newlines among them (for errors).
    offset: u64,
    lines: u64,
    /// Bytes read while sniffing, not yet handed out or decoded.
    held: Held,
    /// The encoding decided on.
    encoding: &'static str,
    /// The sheet to read of a workbook given as input (none: its sheet with
    /// data).
    sheet: Option<String>,
    /// Where files joined one after another begin (auto mode, text in UTF-8
    /// or GB18030): each file's bytes decide its own encoding.
    joins: Option<Joins>,
    /// The next bytes held begin a line that another file may begin with
    /// (not the file being read's own first line, nor the rest of a line).
    line_start: bool,
    /// The bytes decoded end where another file begins.
    part_ended: bool,
    /// The last bytes handed out in UTF-8 (auto mode, no joined file met):
    /// where a file joined after them in GBK begins, if it does.
    recent: Recent,
}

/// The last few KB of the bytes handed out.
#[derive(Default)]
struct Recent(Vec<u8>);

impl Recent {
    const KEPT: usize = 4096;

    fn keep(&mut self, bytes: &[u8]) {
        let bytes = &bytes[bytes.len().saturating_sub(Self::KEPT)..];
        if self.0.len() + bytes.len() > 2 * Self::KEPT {
            self.0
                .drain(..self.0.len().saturating_sub(Self::KEPT - bytes.len()));
        }
        self.0.extend_from_slice(bytes);
    }
}

/// Files joined one after another in one input (`cat jan.csv feb.csv`,
/// one saved by Excel as GBK, another in UTF-8): each begins with the
/// input's first line (its header, or a title above it), and each is decoded
/// in its own encoding, as files named one after another are.
struct Joins {
    /// The input's first line with content, without its line end, and the
    /// same text in the other encoding (UTF-8 or GB18030) where it differs.
    forms: Vec<Vec<u8>>,
    /// Another file has begun: the start of the next is looked for in UTF-8
    /// text too (GB18030 text is always looked through).
    met: bool,
    /// The encoding of the file before, which a file whose text does not
    /// tell keeps.
    previous: Option<&'static Encoding>,
}

impl<R: Read> DecodedReader<R> {
    /// Reads `inner` in `encoding`.
    pub fn new(inner: R, encoding: InputEncoding) -> Self {
        let mut reader = DecodedReader {
            inner,
            mode: Mode::Sniffing,
            offset: 0,
            lines: 1,
            held: Held::default(),
            encoding: "UTF-8",
            sheet: None,
            joins: None,
            line_start: false,
            part_ended: false,
            recent: Recent::default(),
        };
        match encoding {
            InputEncoding::Auto => {}
            InputEncoding::Utf8 => {
                reader.mode = Mode::Utf8 {
                    carry: Vec::new(),
                    undecided: false,
                }
            }
            InputEncoding::Gb18030 => reader.decode_with(GB18030),
        }
        reader
    }

    /// Reads sheet `name` of a workbook given as input, instead of its sheet
    /// with data.
    pub fn with_sheet(mut self, name: Option<String>) -> Self {
        self.sheet = name;
        self
    }

    /// The encoding the input is read in (after the first read).
    pub fn encoding(&self) -> &'static str {
        self.encoding
    }

    fn decode_with(&mut self, encoding: &'static Encoding) {
        self.encoding = encoding.name();
        self.mode = Mode::Decoding {
            decoder: encoding.new_decoder_with_bom_removal(),
            raw: vec![0; 1 << 16],
            out: Vec::new(),
            out_at: 0,
            eof: false,
        };
    }

    fn not_text(&self, at: u64, byte: Option<u8>) -> io::Error {
        let what = byte.map_or_else(String::new, |b| format!(" (byte 0x{b:02X})"));
        let (hint, remedy) = if self.encoding == "UTF-8" {
            (
                "; a file saved by Excel or WPS on Chinese Windows is GBK",
                crate::Remedy::ReadAsGbk,
            )
        } else {
            ("", crate::Remedy::ReadAsUtf8)
        };
        NotText::error(
            format!(
                "the input is not {} text at byte {at}, line {}{what}{hint}",
                self.encoding, self.lines
            ),
            remedy,
        )
    }

    /// Decides between UTF-8 and GB18030 by `text`, where the input's first
    /// bytes that are not ASCII begin (`complete`: it runs to the end of the
    /// input); an error when it is neither.
    fn decide(&mut self, text: &[u8], complete: bool) -> io::Result<()> {
        let utf8 = utf8_prefix_ok(text, complete);
        // A file joined after one in GB18030 whose text reads as UTF-8 but
        // holds no Chinese (`José`, or a GBK name that happens to be UTF-8
        // too) tells nothing: it keeps GB18030 where it reads so.
        let after_gb18030 = self.joins.as_ref().and_then(|j| j.previous) == Some(GB18030);
        let keeps_gb18030 = utf8 && after_gb18030 && !plainly_utf8(text);
        let gb18030 = (!utf8 || keeps_gb18030) && reads_as_gb18030(text, complete);
        if utf8 && !gb18030 {
            self.encoding = "UTF-8";
            self.mode = Mode::Utf8 {
                carry: Vec::new(),
                undecided: false,
            };
            return Ok(());
        }
        if !gb18030 {
            let at = std::str::from_utf8(text).map_or_else(|e| e.valid_up_to(), |_| 0);
            let lines = self.lines + memchr::memchr_iter(b'\n', &text[..at]).count() as u64;
            return Err(NotText::error(
                format!(
                    "the input is neither UTF-8 nor GB18030 (GBK) text: byte 0x{:02X} at \
                     {}, line {lines}",
                    text[at],
                    self.offset + at as u64
                ),
                crate::Remedy::NameTheEncoding,
            ));
        }
        self.decode_with(GB18030);
        Ok(())
    }

    /// Decides the encoding of the file whose bytes the held ones begin with
    /// (from its first bytes that are not ASCII, or the input's start): by
    /// them up to the sniffing size, read ahead as needed, or up to where a
    /// file joined after it begins.
    fn decide_held(&mut self) -> io::Result<()> {
        // (Line starts from `from` on are looked at: the last line looked at
        // again, as it may have been cut off.)
        let (mut from, mut complete) = (1, false);
        // (A little past the sniffing size, so that a file's first line cut
        // there is seen whole.)
        let most = SNIFF_BYTES + self.joins.as_ref().map_or(0, |j| margin(&j.forms));
        let end = loop {
            let rest = self.held.rest();
            let end = (self.joins.as_ref()).and_then(|j| boundary(rest, from, &j.forms));
            if end.is_some() || complete || rest.len() >= most {
                break end;
            }
            from = memchr::memrchr(b'\n', rest).map_or(1, |i| i + 1);
            // Read ahead in steps that grow with what is held, so that a short
            // file joined after another takes time of its size.
            let want = rest.len().max(4096).min(most - rest.len());
            self.held.compact();
            let got = (&mut self.inner)
                .take(want as u64)
                .read_to_end(&mut self.held.bytes)?;
            complete = got < want;
        };
        if let (Some(joins), Some(_)) = (&mut self.joins, end) {
            joins.met = true;
        }
        let held = std::mem::take(&mut self.held);
        let text = held.rest();
        // (Up to the sniffing size when no other file begins before: bytes
        // past it may be the first of another, in another encoding.)
        let cut = end.unwrap_or(text.len().min(SNIFF_BYTES));
        let decided = self.decide(&text[..cut], end.is_some() || complete && cut == text.len());
        self.held = held;
        decided
    }

    /// From where a file joined after the one read so far (in `current`)
    /// begins, its bytes decide its encoding anew.
    fn next_part(&mut self, current: &'static Encoding) {
        if let Some(joins) = &mut self.joins {
            joins.met = true;
            joins.previous = Some(current);
        }
        self.encoding = "UTF-8";
        self.mode = Mode::Utf8 {
            carry: Vec::new(),
            undecided: true,
        };
        self.line_start = false;
    }

    /// Decides the encoding from the start of the input.
    fn sniff(&mut self) -> io::Result<()> {
        let mut head = Vec::with_capacity(SNIFF_BYTES);
        (&mut self.inner)
            .take(SNIFF_BYTES as u64)
            .read_to_end(&mut head)?;
        let complete = head.len() < SNIFF_BYTES;
        // A workbook, not text: an xlsx, ods or et file is a zip archive; an
        // xls (or an older et) file a compound document. It is read whole,
        // as the CSV text of its sheet.
        if head.starts_with(b"PK\x03\x04") || head.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")
        {
            let limit = crate::workbook::MAX_WORKBOOK_BYTES as u64 + 1;
            (&mut self.inner)
                .take(limit.saturating_sub(head.len() as u64))
                .read_to_end(&mut head)?;
            let csv = crate::workbook::csv_of(head, self.sheet.as_deref()).map_err(|e| match e
                .remedy
            {
                Some(remedy) => NotText::error(e.message, remedy),
                None => io::Error::new(io::ErrorKind::InvalidData, e.message),
            })?;
            self.mode = Mode::Utf8 {
                carry: Vec::new(),
                undecided: false,
            };
            self.encoding = "UTF-8";
            self.held = Held::of(csv);
            return Ok(());
        }
        if let Some(encoding) = utf16_of(&head) {
            self.decode_with(encoding);
            self.held = Held::of(head);
            return Ok(());
        }
        self.joins = first_line(&head).map(|line| Joins {
            forms: forms_of(line),
            met: false,
            previous: None,
        });
        self.line_start = false;
        let ascii = head.is_ascii() && !complete;
        self.held = Held::of(head);
        if ascii {
            self.mode = Mode::Utf8 {
                carry: Vec::new(),
                undecided: true,
            };
            return Ok(());
        }
        self.decide_held()
    }
}

/// The UTF-16 an input that begins with `head` is in: by its byte-order
/// mark, or without one by its zero bytes.
pub(crate) fn utf16_of(head: &[u8]) -> Option<&'static Encoding> {
    if head.starts_with(b"\xFF\xFE") {
        Some(UTF_16LE)
    } else if head.starts_with(b"\xFE\xFF") {
        Some(UTF_16BE)
    } else {
        utf16_without_bom(head)
    }
}

/// UTF-16 without a byte-order mark, as some tools write it, told by its zero
/// bytes: text in UTF-8 or GB18030 has none, while UTF-16 has one in every
/// ASCII character (each comma, digit and newline), all on the same side of
/// its two-byte units: the second byte (little-endian) or the first
/// (big-endian). Anything else keeps the usual sniffing.
fn utf16_without_bom(head: &[u8]) -> Option<&'static Encoding> {
    let (mut first, mut second) = (0usize, 0usize);
    for unit in head.chunks(2) {
        first += usize::from(unit[0] == 0);
        second += usize::from(unit.get(1) == Some(&0));
    }
    // At least one unit in four ASCII: a header's commas and rows of digits
    // are more, even among Chinese names; a stray zero byte is far fewer.
    let enough = (head.len() / 2 / 4).max(1);
    match (first, second) {
        (0, n) if n >= enough => Some(UTF_16LE),
        (n, 0) if n >= enough => Some(UTF_16BE),
        _ => None,
    }
}

/// True when `bytes` are GB18030, but for a character cut off at the end of
/// an input that goes on.
fn reads_as_gb18030(bytes: &[u8], complete: bool) -> bool {
    let mut decoder = GB18030.new_decoder_without_bom_handling();
    let mut out = vec![0; decoder.max_utf8_buffer_length(bytes.len()).unwrap_or(0)];
    let (result, _, _) = decoder.decode_to_utf8_without_replacement(bytes, &mut out, complete);
    !matches!(result, DecoderResult::Malformed(..))
}

/// True when UTF-8 `text` (perhaps cut off at its end) plainly is UTF-8: it
/// begins with a byte-order mark, or holds Chinese (a CJK ideograph,
/// radical or punctuation mark, or a full-width form: three bytes each),
/// which GB18030 bytes read as UTF-8 next to never are (their rare valid
/// runs are mostly of two-byte characters: Latin, Greek, Cyrillic).
fn plainly_utf8(text: &[u8]) -> bool {
    if text.starts_with(UTF8_BOM) {
        return true;
    }
    let valid = match std::str::from_utf8(text) {
        Ok(all) => all,
        Err(e) => std::str::from_utf8(&text[..e.valid_up_to()]).unwrap_or_default(),
    };
    valid.chars().any(|c| {
        matches!(c, '\u{2E80}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{FE30}'..='\u{FE4F}' | '\u{FF00}'..='\u{FFEF}')
    })
}

/// UTF-8's byte-order mark.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The input's first line with content (after a byte-order mark and empty
/// lines), without its line end, when `head` holds all of it.
fn first_line(head: &[u8]) -> Option<&[u8]> {
    let mut rest = head.strip_prefix(UTF8_BOM).unwrap_or(head);
    loop {
        let end = memchr::memchr(b'\n', rest)?;
        let line = &rest[..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !line.is_empty() {
            return Some(line);
        }
        rest = &rest[end + 1..];
    }
}

/// `line` as it is, and the same text in the other encoding (GB18030 for
/// UTF-8 text, UTF-8 for GB18030 text) where it differs.
fn forms_of(line: &[u8]) -> Vec<Vec<u8>> {
    let mut forms = vec![line.to_vec()];
    if !line.is_ascii() {
        let other = match std::str::from_utf8(line) {
            Ok(text) => Some(GB18030.encode(text).0.into_owned()),
            Err(_) => GB18030
                .decode_without_bom_handling_and_without_replacement(line)
                .map(|text| text.into_owned().into_bytes()),
        };
        forms.extend(other.filter(|other| other != line));
    }
    forms
}

/// The first place in `bytes`, from `from` on, where a file joined after
/// another begins: the start of a line (at 0 only when `from` is 0) that
/// holds one of `forms` up to its line end, a byte-order mark before it or
/// not. Looked for line by line, so that it takes time up to the place found.
fn boundary(bytes: &[u8], from: usize, forms: &[Vec<u8>]) -> Option<usize> {
    let after = from.saturating_sub(1);
    let starts = memchr::memchr_iter(b'\n', bytes.get(after..)?).map(|i| after + i + 1);
    (from == 0)
        .then_some(0)
        .into_iter()
        .chain(starts)
        .find(|&start| {
            let line = &bytes[start..];
            let line = line.strip_prefix(UTF8_BOM).unwrap_or(line);
            forms.iter().any(|form| {
                line.starts_with(form) && matches!(line.get(form.len()), Some(b'\r' | b'\n'))
            })
        })
}

/// Bytes past a place that show whether a file's first line begins there:
/// a byte-order mark, the longest of `forms`, and a line end.
fn margin(forms: &[Vec<u8>]) -> usize {
    UTF8_BOM.len() + forms.iter().map(Vec::len).max().unwrap_or(0) + 2
}

/// Where the file that the byte at `at` of `bytes` is in begins, when files
/// are joined: the last start of one before it (see [`boundary`]).
fn part_before(bytes: &[u8], at: usize, forms: &[Vec<u8>]) -> Option<usize> {
    let mut last = None;
    while let Some(b) = boundary(bytes, last.map_or(1, |b| b + 1), forms).filter(|&b| b <= at) {
        last = Some(b);
    }
    last
}

/// Bytes read from the input ahead of their use (to decide an encoding, or
/// past where a joined file begins), handed out before any more is read: a
/// cursor over a buffer, so that bytes just taken go back by moving it.
#[derive(Default)]
struct Held {
    bytes: Vec<u8>,
    at: usize,
}

impl Held {
    fn of(bytes: Vec<u8>) -> Held {
        Held { bytes, at: 0 }
    }

    /// The bytes held, not yet handed out.
    fn rest(&self) -> &[u8] {
        &self.bytes[self.at..]
    }

    /// Hands out up to `buf.len()` of the bytes held.
    fn take(&mut self, buf: &mut [u8]) -> usize {
        let n = self.rest().len().min(buf.len());
        buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        n
    }

    /// Holds again the last `n` bytes handed out.
    fn rewind(&mut self, n: usize) {
        self.at -= n;
    }

    /// Lets go of bytes handed out (those still held keep their order), so
    /// that the buffer does not grow with the input.
    fn compact(&mut self) {
        if self.at == self.bytes.len() {
            self.bytes.clear();
            self.at = 0;
        } else if self.at > self.bytes.len() / 2 {
            self.bytes.drain(..self.at);
            self.at = 0;
        }
    }

    /// Holds again `buf[from..n]`, bytes of a read not handed out after all:
    /// the read's first `taken` bytes were taken from here, the rest read from
    /// the input after them (and before any held since).
    fn unread(&mut self, buf: &[u8], from: usize, n: usize, taken: usize) {
        let rewound = taken.saturating_sub(from);
        if rewound == 0 && self.at == self.bytes.len() {
            self.bytes.clear();
            self.at = 0;
        }
        self.rewind(rewound);
        let after = self.at + rewound;
        self.bytes
            .splice(after..after, buf[from.max(taken)..n].iter().copied());
    }
}

/// Reads some bytes into `buf`: those held, else from `inner`, and after a
/// few held (a character's start held back), from `inner` too; and how many
/// of them were held.
fn read_some<R: Read>(
    held: &mut Held,
    inner: &mut R,
    buf: &mut [u8],
) -> io::Result<(usize, usize)> {
    let few = held.rest().len() < 4;
    let taken = held.take(buf);
    if taken == 0 || few && taken < buf.len() {
        return Ok((taken + inner.read(&mut buf[taken..])?, taken));
    }
    Ok((taken, taken))
}

/// Reads into `buf` the held bytes, and more from `inner`, up to where a
/// file joined after this one begins, if it does among them (then `true`):
/// whole lines (a line longer than `buf` in part, the last one whether it
/// ends or not). `line_start`: the held bytes begin a line that may be
/// another file's first (said again of those after the bytes read).
fn read_part<R: Read>(
    held: &mut Held,
    inner: &mut R,
    forms: &[Vec<u8>],
    line_start: &mut bool,
    buf: &mut [u8],
) -> io::Result<(usize, bool)> {
    // Enough held to see a file's first line whole wherever it begins
    // among the bytes handed out.
    let margin = margin(forms);
    let need = buf.len() + margin;
    if held.rest().len() < need {
        held.compact();
        let want = need - held.rest().len();
        (&mut *inner)
            .take(want as u64)
            .read_to_end(&mut held.bytes)?;
    }
    let rest = held.rest();
    let window = rest.len().min(buf.len());
    let from = usize::from(!*line_start);
    let seen = &rest[..(window + margin).min(rest.len())];
    if let Some(b) = boundary(seen, from, forms).filter(|&b| b <= window) {
        held.take(&mut buf[..b]);
        *line_start = false;
        return Ok((b, true));
    }
    // Whole lines while more follows; else all (the input's end, or a line
    // longer than `buf`, in part).
    let cut = match memchr::memrchr(b'\n', &rest[..window]) {
        Some(i) if window < rest.len() => i + 1,
        _ => window,
    };
    *line_start = cut > 0 && rest[cut - 1] == b'\n' || cut == 0 && *line_start;
    held.take(&mut buf[..cut]);
    Ok((cut, false))
}

/// True when `bytes` are UTF-8, but for a character cut off at the end of an
/// input that goes on.
fn utf8_prefix_ok(bytes: &[u8], complete: bool) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => !complete && e.error_len().is_none(),
    }
}

impl<R: Read> Read for DecodedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if matches!(self.mode, Mode::Sniffing) {
            self.sniff()?;
        }
        match &self.mode {
            Mode::Sniffing => unreachable!("decided above"),
            Mode::Utf8 {
                undecided: true, ..
            } => self.read_undecided(buf),
            Mode::Utf8 { .. } => self.read_utf8(buf),
            Mode::Decoding { .. } => self.read_decoded(buf),
        }
    }
}

impl<R: Read> DecodedReader<R> {
    /// Auto mode while every byte so far (of this file, where files are
    /// joined) was ASCII: handed out as it is, GB18030 reading ASCII alike,
    /// until the first other bytes, which decide.
    fn read_undecided(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let (n, from_held) = read_some(&mut self.held, &mut self.inner, buf)?;
        if !buf[..n].is_ascii() {
            if let Some(p) = buf[..n].iter().position(|b| !b.is_ascii()) {
                // ASCII up to `p`, handed out as it is in either
                // encoding; the bytes from `p` on decide.
                self.held.unread(buf, p, n, from_held);
                self.lines += memchr::memchr_iter(b'\n', &buf[..p]).count() as u64;
                self.offset += p as u64;
                self.decide_held()?;
                // (No other file begins at `p`: this one goes on there.)
                self.line_start = false;
                return if p > 0 { Ok(p) } else { self.read(buf) };
            }
        }
        // ASCII, so UTF-8, and no character was begun before them.
        self.lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        self.offset += n as u64;
        Ok(n)
    }

    /// UTF-8, checked as it passes; where files are joined, up to where the
    /// next begins.
    fn read_utf8(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let (mut n, from_held, next_part) = match self.joins.as_ref().filter(|j| j.met) {
            Some(joins) => {
                let line_start = &mut self.line_start;
                let (n, next) = read_part(
                    &mut self.held,
                    &mut self.inner,
                    &joins.forms,
                    line_start,
                    buf,
                )?;
                (n, 0, next)
            }
            None => {
                let (n, from_held) = read_some(&mut self.held, &mut self.inner, buf)?;
                (n, from_held, false)
            }
        };
        let Mode::Utf8 { carry, .. } = &mut self.mode else {
            unreachable!("read in UTF-8")
        };
        // Check the bytes handed out, with a character begun before.
        let mut joined;
        let checked: &[u8] = if carry.is_empty() {
            &buf[..n]
        } else {
            joined = std::mem::take(carry);
            joined.extend_from_slice(&buf[..n]);
            &joined
        };
        let start = self.offset - (checked.len() - n) as u64;
        // (Where a file joined after this one may begin in GBK, a character
        // begun at the read's end is held back rather than handed out: its
        // bytes may be that file's.)
        let hold_back = self.joins.as_ref().is_some_and(|j| !j.met);
        match std::str::from_utf8(checked) {
            Ok(_) => {}
            Err(e) if e.error_len().is_none() && n > 0 => {
                let valid = e.valid_up_to();
                // (All of it a character's start: read on, unless the input
                // ended; then it is handed out, and found cut off.)
                if hold_back && checked.len() == n && (valid > 0 || n > from_held) {
                    self.held.unread(buf, valid, n, from_held);
                    n = valid;
                    if n == 0 {
                        return self.read(buf);
                    }
                } else {
                    *carry = checked[valid..].to_vec();
                }
            }
            Err(e) => {
                let at = e.valid_up_to();
                // (A character begun before was handed out then.)
                let carried = checked.len() - n;
                if let Some(at) = at.checked_sub(carried) {
                    if let Some(handed) = self.joined_here(&buf[..n], at)? {
                        self.held.unread(buf, handed, n, from_held);
                        self.lines += memchr::memchr_iter(b'\n', &buf[..handed]).count() as u64;
                        self.offset += handed as u64;
                        self.next_part(UTF_8);
                        return if handed > 0 {
                            Ok(handed)
                        } else {
                            self.read(buf)
                        };
                    }
                }
                self.lines += memchr::memchr_iter(b'\n', &checked[..at]).count() as u64;
                let byte = checked.get(at).copied();
                return Err(self.not_text(start + at as u64, byte));
            }
        }
        self.lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        self.offset += n as u64;
        if self.joins.as_ref().is_some_and(|j| !j.met) {
            self.recent.keep(&buf[..n]);
        }
        if next_part {
            self.next_part(UTF_8);
            if n == 0 {
                return self.read(buf);
            }
        }
        Ok(n)
    }

    /// Where bytes that are not UTF-8 at `at` of `read` (the bytes of a read
    /// in UTF-8, none handed out yet) are in a file joined after another
    /// (none met before) whose first line comes before them, with only ASCII
    /// of it handed out: the bytes of `read` up to that file, which decides
    /// its encoding from there.
    fn joined_here(&mut self, read: &[u8], at: usize) -> io::Result<Option<usize>> {
        let Some(joins) = self.joins.as_ref().filter(|j| !j.met) else {
            return Ok(None);
        };
        // A little of what follows too, so that a first line this read cuts
        // off is seen whole (held after the bytes held, which the read's may
        // go back before).
        let margin = margin(&joins.forms);
        if self.held.rest().len() < margin {
            let want = margin - self.held.rest().len();
            (&mut self.inner)
                .take(want as u64)
                .read_to_end(&mut self.held.bytes)?;
        }
        let recent = &self.recent.0;
        let ahead = &self.held.rest()[..margin.min(self.held.rest().len())];
        let seen = [recent, read, ahead].concat();
        let Some(b) = part_before(&seen, recent.len() + at, &joins.forms) else {
            return Ok(None);
        };
        Ok(match b.checked_sub(recent.len()) {
            Some(handed) => Some(handed),
            None => seen[b..recent.len()].is_ascii().then_some(0),
        })
    }

    /// Decoded from another encoding; in GB18030 (auto mode), up to where a
    /// file joined after this one begins.
    fn read_decoded(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Mode::Decoding {
            decoder,
            raw,
            out,
            out_at,
            eof,
        } = &mut self.mode
        else {
            unreachable!("read decoded")
        };
        while *out_at == out.len() {
            if *eof {
                if !std::mem::take(&mut self.part_ended) {
                    return Ok(0);
                }
                // A file joined after this one begins: its bytes decide.
                let current = decoder.encoding();
                self.next_part(current);
                return self.read(buf);
            }
            let (got, ends) = match &self.joins {
                Some(joins) => {
                    let line_start = &mut self.line_start;
                    read_part(
                        &mut self.held,
                        &mut self.inner,
                        &joins.forms,
                        line_start,
                        raw,
                    )?
                }
                None => (read_some(&mut self.held, &mut self.inner, raw)?.0, false),
            };
            let last = got == 0 || ends;
            self.part_ended = ends;
            *eof = last;
            out.clear();
            *out_at = 0;
            out.resize(
                decoder.max_utf8_buffer_length(got).unwrap_or(got * 3 + 16),
                0,
            );
            let (result, read, written) =
                decoder.decode_to_utf8_without_replacement(&raw[..got], out, last);
            out.truncate(written);
            if let DecoderResult::Malformed(bad, _) = result {
                let at = self.offset + read as u64 - u64::from(bad);
                let byte = raw.get(read.saturating_sub(usize::from(bad))).copied();
                self.lines += memchr::memchr_iter(b'\n', out).count() as u64;
                return Err(self.not_text(at, byte));
            }
            self.offset += got as u64;
            self.lines += memchr::memchr_iter(b'\n', out).count() as u64;
        }
        let n = (out.len() - *out_at).min(buf.len());
        buf[..n].copy_from_slice(&out[*out_at..*out_at + n]);
        *out_at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::tests::Trickle;

    fn read_all(bytes: &[u8], encoding: InputEncoding) -> io::Result<(String, &'static str)> {
        let mut r = DecodedReader::new(bytes, encoding);
        let mut out = String::new();
        r.read_to_string(&mut out)?;
        Ok((out, r.encoding()))
    }

    #[test]
    fn gbk_is_detected_and_decoded() {
        let (gbk, _, _) = GB18030.encode("账号,接口,调用量\n张三,身份证,9000\n李四,身份证,5\n");
        let (text, enc) = read_all(&gbk, InputEncoding::Auto).unwrap();
        assert_eq!(enc, "gb18030");
        assert!(
            text.contains("张三,身份证,9000") && text.contains("李四"),
            "{text}"
        );
        let (text, enc) = read_all("账号,调用量\n".as_bytes(), InputEncoding::Auto).unwrap();
        assert_eq!((text.as_str(), enc), ("账号,调用量\n", "UTF-8"));
    }

    #[test]
    fn utf16_with_a_byte_order_mark_is_decoded() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "api,calls\n身份证,9\n".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let (text, _) = read_all(&bytes, InputEncoding::Auto).unwrap();
        assert_eq!(text, "api,calls\n身份证,9\n");
    }

    #[test]
    fn utf16_without_a_byte_order_mark_is_told_by_its_zero_bytes() {
        let text = "账号,月份,接口,调用量\nA,2026-01,身份证,9000\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        for (bytes, name) in [(le, "UTF-16LE"), (be, "UTF-16BE")] {
            let (decoded, enc) = read_all(&bytes, InputEncoding::Auto).unwrap();
            assert_eq!((decoded.as_str(), enc), (text, name));
        }
        // Zero bytes on both sides of the units, or too few: not UTF-16,
        // read as before (the stray zero is the reader's to refuse).
        let (decoded, enc) = read_all(b"a\0\0b,calls\n", InputEncoding::Auto).unwrap();
        assert_eq!((decoded.as_str(), enc), ("a\0\0b,calls\n", "UTF-8"));
        let mut sparse = b"api,calls\nid\0card,5\n".to_vec();
        let (_, enc) = read_all(&sparse, InputEncoding::Auto).unwrap();
        assert_eq!(enc, "UTF-8");
        sparse.splice(0..0, *b"id\0card,5\n");
        let (_, enc) = read_all(&sparse, InputEncoding::Auto).unwrap();
        assert_eq!(enc, "UTF-8");
        // Forced UTF-8 is not second-guessed.
        let le: Vec<u8> = "api\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let (decoded, enc) = read_all(&le, InputEncoding::Utf8).unwrap();
        assert_eq!((decoded.as_bytes(), enc), (&le[..], "UTF-8"));
    }

    #[test]
    fn bytes_that_are_not_text_are_an_error_never_replaced() {
        // ASCII for a long stretch, then a stray byte that is text in neither
        // encoding.
        let mut bytes = "api,calls\n".repeat(10_000).into_bytes();
        bytes.extend_from_slice(b"idcard,9\xff\n");
        let err = read_all(&bytes, InputEncoding::Auto).unwrap_err();
        assert_eq!(
            NotText::remedy_of(&err),
            Some(crate::Remedy::NameTheEncoding)
        );
        let err = err.to_string();
        assert!(
            err.contains("neither UTF-8 nor GB18030 (GBK) text: byte 0xFF at 100008, line 10001"),
            "{err}"
        );
        // After UTF-8 Chinese text, a stray byte is not UTF-8, and GBK is
        // suggested.
        let mut bytes = format!("api,calls\n{}", "身份证,9\n".repeat(10_000)).into_bytes();
        bytes.extend_from_slice(b"idcard,9\xff\n");
        let err = read_all(&bytes, InputEncoding::Auto).unwrap_err();
        assert_eq!(NotText::remedy_of(&err), Some(crate::Remedy::ReadAsGbk));
        assert!(
            err.to_string()
                .contains("not UTF-8 text at byte 120018, line 10002"),
            "{err}"
        );
        let err = read_all(b"a\n\xff\xff\xff\n", InputEncoding::Auto)
            .unwrap_err()
            .to_string();
        assert!(err.contains("neither UTF-8 nor GB18030"), "{err}");
        let err = read_all(b"ok\n\xff\xfe\xfd", InputEncoding::Gb18030)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("not gb18030 text") && err.contains("line 2"),
            "{err}"
        );
    }

    /// Each file of an input that joins files one after another
    /// (`cat jan.csv feb.csv`), each beginning with the input's first line,
    /// as its own text: `parts` as (encoding, with a byte-order mark, text),
    /// read a few bytes at a time or at once, against the parts decoded
    /// each on its own.
    fn joined(parts: &[(&'static Encoding, bool, &str)]) {
        let mut bytes = Vec::new();
        let mut want = String::new();
        for &(encoding, bom, text) in parts {
            if bom {
                bytes.extend_from_slice(UTF8_BOM);
                want.push('\u{FEFF}');
            }
            bytes.extend_from_slice(&encoding.encode(text).0);
            want.push_str(text);
        }
        for chunk in [7, 4096, usize::MAX] {
            let mut r = DecodedReader::new(Trickle(&bytes, chunk), InputEncoding::Auto);
            let mut got = String::new();
            r.read_to_string(&mut got).unwrap_or_else(|e| {
                panic!(
                    "{e}: {chunk} {:?}",
                    parts
                        .iter()
                        .map(|p| (p.0.name(), p.1, p.2.len()))
                        .collect::<Vec<_>>()
                )
            });
            assert!(got == want, "read {chunk} bytes at a time: {got:?}");
        }
    }

    #[test]
    fn files_joined_one_after_another_are_each_read_in_their_own_encoding() {
        let rows = |name: &str, n: usize| format!("{name},2026-01,身份证,900\n").repeat(n);
        let gbk = |n| format!("account,month,api,calls\n{}", rows("张三", n));
        let small = gbk(1);
        // Either first; a byte-order mark before a UTF-8 file (Excel's CSV
        // UTF-8), or none; three files.
        joined(&[(GB18030, false, &small), (UTF_8, false, &small)]);
        joined(&[(UTF_8, false, &small), (GB18030, false, &small)]);
        joined(&[(GB18030, false, &small), (UTF_8, true, &small)]);
        joined(&[(UTF_8, true, &small), (GB18030, false, &small)]);
        joined(&[
            (GB18030, false, &small),
            (UTF_8, false, &small),
            (GB18030, false, &small),
        ]);
        // Files longer than what decides an encoding (64 KB), either first:
        // the UTF-8 file's bytes are read as UTF-8 until the GBK ones.
        let long = gbk(3000);
        joined(&[
            (UTF_8, false, &long),
            (GB18030, false, &long),
            (UTF_8, false, &small),
        ]);
        joined(&[(GB18030, false, &long), (UTF_8, true, &long)]);
        // A header in Chinese: the same line, in the other encoding.
        let chinese = format!("账号,月份,接口,调用量\r\n{}", rows("李四", 2));
        joined(&[(GB18030, false, &chinese), (UTF_8, false, &chinese)]);
        joined(&[(UTF_8, false, &chinese), (GB18030, false, &chinese)]);
        // A file with no Chinese in it, however short.
        let ascii = "account,month,api,calls\nacme,2026-01,idcard,9\n";
        joined(&[
            (GB18030, false, &small),
            (UTF_8, false, ascii),
            (UTF_8, false, &small),
        ]);
        // A GBK file after another whose bytes happen to be UTF-8 too (隆拢
        // reads as `¡£`): no Chinese in that reading, so it stays GBK.
        let odd = "account,month,api,calls\n隆拢,2026-01,idcard,9\n";
        joined(&[(GB18030, false, &small), (GB18030, false, odd)]);
        // Many short files: each decided on its own bytes.
        let many: Vec<_> = (0..2000)
            .map(|i| match i % 3 {
                0 => (GB18030, false, small.as_str()),
                1 => (UTF_8, i % 2 == 0, small.as_str()),
                _ => (UTF_8, false, ascii),
            })
            .collect();
        joined(&many);
        // The first line again with more after it is no file's start.
        let (text, _) = read_all("a,b\n张三,1\na,b,c\n".as_bytes(), InputEncoding::Auto).unwrap();
        assert_eq!(text, "a,b\n张三,1\na,b,c\n");
    }

    #[test]
    fn a_workbook_is_named_as_such() {
        for head in [
            &b"PK\x03\x04\x14\x00\x06\x00"[..],
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00",
        ] {
            let err = read_all(head, InputEncoding::Auto).unwrap_err();
            assert!(err.to_string().contains("spreadsheet workbook"), "{err}");
            assert_eq!(NotText::remedy_of(&err), Some(crate::Remedy::SaveAsCsv));
        }
    }

    #[test]
    fn a_character_split_across_reads_is_fine() {
        let text = "身份证,9\n".repeat(3);
        let mut r = DecodedReader::new(Trickle(text.as_bytes(), 1), InputEncoding::Utf8);
        let mut out = String::new();
        r.read_to_string(&mut out).unwrap();
        assert_eq!(out, text);
    }

    #[test]
    fn the_first_bytes_that_are_not_ascii_decide_however_late() {
        // More ASCII rows than are sniffed, then Chinese text: GBK (as Excel
        // saves it) or UTF-8, read whole in chunks of every size.
        let ascii = "acct00001,2026-01,idcard,100\n".repeat(SNIFF_BYTES / 20);
        let text = format!("{ascii}张三,2026-01,身份证,9000\nb,2026-01,名片,1\n");
        let (gbk, _, _) = GB18030.encode(&text);
        for (bytes, encoding) in [(&gbk[..], "gb18030"), (text.as_bytes(), "UTF-8")] {
            for chunk in [7, 1 << 12, 1 << 17] {
                let mut r = DecodedReader::new(Trickle(bytes, chunk), InputEncoding::Auto);
                let mut out = String::new();
                r.read_to_string(&mut out).unwrap();
                assert!(out == text, "{encoding}, chunk {chunk}");
                assert_eq!(r.encoding().to_lowercase(), encoding.to_lowercase());
            }
        }
        // Bytes that are neither are named where they are.
        let mut bad = ascii.clone().into_bytes();
        bad.extend_from_slice(b"x,\xFF\xFF\n");
        let err = read_all(&bad, InputEncoding::Auto).unwrap_err().to_string();
        let line = ascii.lines().count() + 1;
        assert!(
            err.contains("neither UTF-8 nor GB18030")
                && err.contains(&format!("at {}, line {line}", ascii.len() + 2)),
            "{err}"
        );
    }
}

/// Input that is not text in the encoding it is read in: the message, and
/// what to do about it.
#[derive(Debug)]
pub struct NotText {
    message: String,
    remedy: crate::Remedy,
}

impl NotText {
    pub(crate) fn error(message: String, remedy: crate::Remedy) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, NotText { message, remedy })
    }

    /// What to do about a read error, when it is input that is not text.
    pub fn remedy_of(e: &io::Error) -> Option<crate::Remedy> {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<NotText>())
            .map(|n| n.remedy)
    }
}

impl std::fmt::Display for NotText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for NotText {}
