//! A streaming CSV record reader for `batch`: plain lines are split on commas
//! directly (the common case, as fast as `cut`), lines with quotes go through
//! `csv_core`. Each record keeps its raw bytes, so a pass-through writer can copy
//! them unchanged, and its 1-based line number.

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

    /// The `i`-th field, unquoted.
    pub fn field(&self, i: usize) -> &'a [u8] {
        &self.field_bytes[self.fields[i].clone()]
    }

    /// The fields, unquoted.
    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.len()).map(|i| self.field(i))
    }
}

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
    /// The CSV state machine, made when a quoted record first needs it.
    core: Option<Box<csv_core::Reader>>,
    fields: Vec<Range<usize>>,
    unquoted: Vec<u8>,
    ends: Vec<usize>,
}

/// Why a record could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The input failed.
    Io(io::Error),
    /// A record longer than [`MAX_RECORD_BYTES`], at this line.
    TooLong(u64),
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
            core: None,
            fields: Vec::new(),
            unquoted: Vec::new(),
            ends: vec![0; 64],
        }
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
                    if self.at_start && self.end >= 3 {
                        self.at_start = false;
                        if self.buf[..3] == *b"\xEF\xBB\xBF" {
                            self.start = 3;
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
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, ReadError> {
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
            for (i, &b) in window.iter().enumerate() {
                match b {
                    b',' => {
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
                None if window.is_empty() => return Ok(None),
                None => (window.len(), window.len()),
            };
            let record_start = self.start;
            let number = self.line;
            self.start += line_end;
            self.line += 1;
            if text_end == 0 {
                continue;
            }
            self.fields
                .push(record_start + field_start..record_start + text_end);
            return Ok(Some(Record {
                raw: &self.buf[record_start..record_start + text_end],
                line: number,
                fields: &self.fields,
                field_bytes: &self.buf,
            }));
        }
    }

    /// A record with quotes, which may span lines: parsed by `csv_core` from its
    /// start, reading more input until the record is complete.
    fn quoted_record(&mut self) -> Result<Option<Record<'_>>, ReadError> {
        loop {
            let core = self
                .core
                .get_or_insert_with(|| Box::new(csv_core::Reader::new()));
            core.reset();
            let input = &self.buf[self.start..self.end];
            let (mut nin, mut nout, mut nend) = (0, 0, 0);
            if self.unquoted.len() < input.len() {
                self.unquoted.resize(input.len(), 0);
            }
            // Some(true): a record; Some(false): only blank lines were left at the
            // end of input; None: the record goes on past what is buffered.
            let found = loop {
                let (result, i, o, e) = core.read_record(
                    &input[nin..],
                    &mut self.unquoted[nout..],
                    &mut self.ends[nend..],
                );
                nin += i;
                nout += o;
                nend += e;
                match result {
                    csv_core::ReadRecordResult::Record => break Some(true),
                    csv_core::ReadRecordResult::OutputFull => {
                        let grown = self.unquoted.len() * 2 + 64;
                        self.unquoted.resize(grown, 0);
                    }
                    csv_core::ReadRecordResult::OutputEndsFull => {
                        let grown = self.ends.len() * 2;
                        self.ends.resize(grown, 0);
                    }
                    csv_core::ReadRecordResult::InputEmpty | csv_core::ReadRecordResult::End
                        if self.eof =>
                    {
                        // Finish the last record at the end of input.
                        let (result, _, o, e) = core.read_record(
                            &[],
                            &mut self.unquoted[nout..],
                            &mut self.ends[nend..],
                        );
                        nout += o;
                        nend += e;
                        break Some(result == csv_core::ReadRecordResult::Record);
                    }
                    csv_core::ReadRecordResult::InputEmpty | csv_core::ReadRecordResult::End => {
                        break None
                    }
                }
            };
            match found {
                None => {
                    self.fill()?;
                    continue;
                }
                Some(false) => {
                    self.line += memchr::memchr_iter(b'\n', input).count() as u64;
                    self.start = self.end;
                    return Ok(None);
                }
                Some(true) => {}
            }
            let consumed = &self.buf[self.start..self.start + nin];
            let mut raw_len = consumed.len();
            while raw_len > 0 && matches!(consumed[raw_len - 1], b'\n' | b'\r') {
                raw_len -= 1;
            }
            // Blank lines (and lone CRs) before the record are not part of it.
            let skipped = consumed[..raw_len]
                .iter()
                .take_while(|&&b| b == b'\n' || b == b'\r')
                .count();
            let line = self.line + memchr::memchr_iter(b'\n', &consumed[..skipped]).count() as u64;
            self.line += memchr::memchr_iter(b'\n', consumed).count() as u64;
            let record_start = self.start;
            self.start += nin;
            self.fields.clear();
            let mut field_start = 0;
            for &end in &self.ends[..nend] {
                self.fields.push(field_start..end);
                field_start = end;
            }
            let _ = nout;
            return Ok(Some(Record {
                raw: &self.buf[record_start + skipped..record_start + raw_len],
                line,
                fields: &self.fields,
                field_bytes: &self.unquoted,
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gives at most `chunk` bytes per read, to cross every buffer boundary.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn all(input: &[u8], chunk: usize) -> Vec<(u64, Vec<String>, String)> {
        let mut r = RecordReader::new(Trickle(input, chunk));
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
        let got = all(b"a\n\"unterminated", 1 << 10);
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn an_overlong_record_is_refused() {
        let long = vec![b'x'; MAX_RECORD_BYTES + 10];
        let mut r = RecordReader::new(&long[..]);
        assert!(matches!(r.next_record(), Err(ReadError::TooLong(1))));
    }
}
