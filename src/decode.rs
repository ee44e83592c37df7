//! Input text as it comes: UTF-8, or GB18030/GBK as saved by Excel and WPS on
//! Chinese Windows, or UTF-16 (with a byte-order mark or without), decoded to UTF-8 while
//! streaming. Nothing is ever replaced: bytes that are not text in the input's
//! encoding are an error naming where they are.

use std::io::{self, Read};

use encoding_rs::{Decoder, DecoderResult, Encoding, GB18030, UTF_16BE, UTF_16LE};

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
    sniffed: Vec<u8>,
    /// The encoding decided on.
    encoding: &'static str,
    /// The sheet to read of a workbook given as input (none: its sheet with
    /// data).
    sheet: Option<String>,
}

impl<R: Read> DecodedReader<R> {
    /// Reads `inner` in `encoding`.
    pub fn new(inner: R, encoding: InputEncoding) -> Self {
        let mut reader = DecodedReader {
            inner,
            mode: Mode::Sniffing,
            offset: 0,
            lines: 1,
            sniffed: Vec::new(),
            encoding: "UTF-8",
            sheet: None,
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
        if utf8_prefix_ok(text, complete) {
            self.mode = Mode::Utf8 {
                carry: Vec::new(),
                undecided: false,
            };
            return Ok(());
        }
        let mut decoder = GB18030.new_decoder_without_bom_handling();
        let mut out = vec![0; decoder.max_utf8_buffer_length(text.len()).unwrap_or(0)];
        let (result, _, _) = decoder.decode_to_utf8_without_replacement(text, &mut out, complete);
        if matches!(result, DecoderResult::Malformed(..)) {
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

    /// Bytes from the input after `first`, up to the sniffing size: what
    /// decides the encoding; and whether they run to the end of the input.
    fn lookahead(&mut self, mut first: Vec<u8>) -> io::Result<(Vec<u8>, bool)> {
        let more = SNIFF_BYTES.saturating_sub(first.len()) as u64;
        let got = (&mut self.inner).take(more).read_to_end(&mut first)?;
        Ok((first, (got as u64) < more))
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
            self.sniffed = csv;
            return Ok(());
        }
        if let Some(encoding) = utf16_of(&head) {
            self.decode_with(encoding);
        } else if head.is_ascii() && !complete {
            self.mode = Mode::Utf8 {
                carry: Vec::new(),
                undecided: true,
            };
        } else {
            self.decide(&head, complete)?;
        }
        self.sniffed = head;
        Ok(())
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
        match &mut self.mode {
            Mode::Sniffing => unreachable!("decided above"),
            Mode::Utf8 { carry, undecided } => {
                let n = if self.sniffed.is_empty() {
                    self.inner.read(buf)?
                } else {
                    let n = self.sniffed.len().min(buf.len());
                    buf[..n].copy_from_slice(&self.sniffed[..n]);
                    self.sniffed.drain(..n);
                    n
                };
                if *undecided && !buf[..n].is_ascii() {
                    if let Some(p) = buf[..n].iter().position(|b| !b.is_ascii()) {
                        // ASCII up to `p`, handed out as it is in either
                        // encoding; the bytes from `p` on decide.
                        let mut rest = buf[p..n].to_vec();
                        rest.append(&mut self.sniffed);
                        self.lines += memchr::memchr_iter(b'\n', &buf[..p]).count() as u64;
                        self.offset += p as u64;
                        let (rest, complete) = self.lookahead(rest)?;
                        self.decide(&rest, complete)?;
                        self.sniffed = rest;
                        return if p > 0 { Ok(p) } else { self.read(buf) };
                    }
                }
                // Still undecided, the bytes are ASCII (checked above), so
                // UTF-8, and no character was begun before them.
                if *undecided {
                    self.lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
                    self.offset += n as u64;
                    return Ok(n);
                }
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
                match std::str::from_utf8(checked) {
                    Ok(_) => {}
                    Err(e) if e.error_len().is_none() && n > 0 => {
                        *carry = checked[e.valid_up_to()..].to_vec();
                    }
                    Err(e) => {
                        let at = e.valid_up_to();
                        self.lines += memchr::memchr_iter(b'\n', &checked[..at]).count() as u64;
                        let byte = checked.get(at).copied();
                        return Err(self.not_text(start + at as u64, byte));
                    }
                }
                self.lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
                self.offset += n as u64;
                Ok(n)
            }
            Mode::Decoding {
                decoder,
                raw,
                out,
                out_at,
                eof,
            } => {
                while *out_at == out.len() {
                    if *eof {
                        return Ok(0);
                    }
                    let got = if self.sniffed.is_empty() {
                        self.inner.read(raw)?
                    } else {
                        let n = self.sniffed.len().min(raw.len());
                        raw[..n].copy_from_slice(&self.sniffed[..n]);
                        self.sniffed.drain(..n);
                        n
                    };
                    *eof = got == 0;
                    out.clear();
                    *out_at = 0;
                    out.resize(
                        decoder.max_utf8_buffer_length(got).unwrap_or(got * 3 + 16),
                        0,
                    );
                    let (result, read, written) =
                        decoder.decode_to_utf8_without_replacement(&raw[..got], out, *eof);
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
        let mut bytes = "api,calls\n身份证,9\n".repeat(10_000).into_bytes();
        bytes.extend_from_slice(b"idcard,9\xff\n");
        let err = read_all(&bytes, InputEncoding::Auto).unwrap_err();
        assert_eq!(NotText::remedy_of(&err), Some(crate::Remedy::ReadAsGbk));
        assert!(
            err.to_string()
                .contains("not UTF-8 text at byte 220008, line 20001"),
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
