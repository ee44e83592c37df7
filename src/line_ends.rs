//! Text whose lines end in a lone CR (`\r`), as Excel for Mac's "CSV
//! (Macintosh)" saves it, read with LF line ends, so that its lines are
//! counted, split into blocks and read as any other file's. What ends the
//! first line decides: a lone CR, or else (LF, CRLF) the text is handed on
//! untouched.

use std::io::{self, Read};

/// A reader of `R`'s text with its lone CRs read as LFs, when its first line
/// ends in one (see the module's documentation).
pub struct LineEnds<R> {
    inner: R,
    mode: Mode,
    /// The first bytes, read to decide the mode, and how many of them were
    /// handed on.
    first: Vec<u8>,
    at: usize,
    /// The byte after the last one handed on, read to tell a lone CR from a
    /// CRLF's, and handed on first by the next read.
    held: Option<u8>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    /// No line end seen yet.
    Undecided,
    /// Lines end in LF or CRLF: handed on as they are.
    AsTheyAre,
    /// Lines end in a lone CR: each handed on as an LF (a CRLF as it is).
    LoneCr,
}

/// Bytes read at most looking for the first line end (past them the text is
/// handed on as it is: the record reader refuses a line that long).
const FIRST_LINE_BYTES: usize = 1 << 20;

impl<R: Read> LineEnds<R> {
    /// Reads `inner`.
    pub fn new(inner: R) -> Self {
        LineEnds {
            inner,
            mode: Mode::Undecided,
            first: Vec::new(),
            at: 0,
            held: None,
        }
    }

    /// Reads up to the first line end and what follows its CRs (an LF, or
    /// not), or the end, and decides the mode by them.
    fn decide(&mut self) -> io::Result<()> {
        let mut chunk = [0u8; 8192];
        loop {
            let n = read_some(&mut self.inner, &mut chunk)?;
            self.first.extend_from_slice(&chunk[..n]);
            let text = &self.first;
            let end = memchr::memchr2(b'\r', b'\n', text);
            // (What follows the first line's CRs: `\r\r\n`, as text
            // converted to CRLF twice has it, ends in an LF.)
            let after = end.map(|i| {
                text[i..]
                    .iter()
                    .position(|&b| b != b'\r')
                    .map(|j| text[i + j])
            });
            self.mode = match (end.map(|i| text[i]), after) {
                (Some(b'\n'), _) | (_, Some(Some(b'\n'))) => Mode::AsTheyAre,
                (Some(_), Some(Some(_))) => Mode::LoneCr,
                // CRs to the end of the input, or no line end in it.
                (Some(_), _) if n == 0 => Mode::LoneCr,
                _ if n == 0 || text.len() > FIRST_LINE_BYTES => Mode::AsTheyAre,
                _ => continue,
            };
            if self.mode == Mode::LoneCr {
                let mut first = std::mem::take(&mut self.first);
                let kept = self.translated(&mut first)?;
                first.truncate(kept);
                self.first = first;
            }
            return Ok(());
        }
    }

    /// `text` (read from the input) with each CR not followed by an LF made
    /// one; the byte after a CR at its end is read first, and held.
    fn translated(&mut self, text: &mut [u8]) -> io::Result<usize> {
        if text.last() == Some(&b'\r') && self.held.is_none() {
            let mut next = [0u8; 1];
            if read_some(&mut self.inner, &mut next)? == 1 {
                self.held = Some(next[0]);
            }
        }
        let held = self.held;
        let mut from = 0;
        while let Some(i) = memchr::memchr(b'\r', &text[from..]).map(|i| from + i) {
            if text.get(i + 1).copied().or(held) != Some(b'\n') {
                text[i] = b'\n';
            }
            from = i + 1;
        }
        Ok(text.len())
    }
}

impl<R: Read> Read for LineEnds<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.mode == Mode::Undecided {
            self.decide()?;
        }
        if self.at < self.first.len() {
            let n = buf.len().min(self.first.len() - self.at);
            buf[..n].copy_from_slice(&self.first[self.at..self.at + n]);
            self.at += n;
            return Ok(n);
        }
        if self.mode == Mode::AsTheyAre {
            return self.inner.read(buf);
        }
        // A lone-CR text: the byte held from the last read first.
        let mut n = 0;
        if let Some(b) = self.held.take() {
            buf[0] = b;
            n = 1;
        }
        if n < buf.len() {
            n += self.inner.read(&mut buf[n..])?;
        }
        self.translated(&mut buf[..n])
    }
}
/// One read into `buf`, past interruptions.
fn read_some<R: Read>(input: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match input.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader handing on at most `chunk` bytes a read.
    struct Chunks<'a>(&'a [u8], usize);

    impl Read for Chunks<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.1).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// What `LineEnds` hands on of `text`, read `chunk` bytes at a time into
    /// buffers of `room` bytes.
    fn read(text: &[u8], chunk: usize, room: usize) -> Vec<u8> {
        let mut reader = LineEnds::new(Chunks(text, chunk));
        let mut out = Vec::new();
        let mut buf = vec![0u8; room];
        loop {
            let n = reader.read(&mut buf).unwrap();
            if n == 0 {
                return out;
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    #[test]
    fn lone_crs_are_read_as_lfs_when_the_first_line_ends_in_one() {
        let cases: [(&[u8], &[u8]); 10] = [
            (b"a,b\r1,2\r3,4\r", b"a,b\n1,2\n3,4\n"),
            (b"a,b\r1,2", b"a,b\n1,2"),
            (b"a,b\r", b"a,b\n"),
            (b"a,b\r\r1,2\r", b"a,b\n\n1,2\n"),
            // A CRLF among them stays one, and so does a CR in a quoted field
            // (read as the line break it is).
            (b"a,b\r1,2\r\n\"x\ry\",3\r", b"a,b\n1,2\r\n\"x\ny\",3\n"),
            // LF or CRLF first: as it is, lone CRs too; and CRs before an LF.
            (b"a,b\n1,2\r3,4\n", b"a,b\n1,2\r3,4\n"),
            (b"a,b\r\r\n1,2\r\r\n", b"a,b\r\r\n1,2\r\r\n"),
            (b"a,b\r\n1,2\r3,4\r\n", b"a,b\r\n1,2\r3,4\r\n"),
            (b"no line end", b"no line end"),
            (b"", b""),
        ];
        for (text, want) in cases {
            for chunk in [1, 2, 3, 4, 7, 64] {
                for room in [1, 2, 5, 64] {
                    assert_eq!(
                        read(text, chunk, room),
                        want,
                        "{:?} in chunks of {chunk}, buffers of {room}",
                        String::from_utf8_lossy(text)
                    );
                }
            }
        }
    }

    /// What the reader should hand on of `text`, said plainly: if the first
    /// line end's CRs are followed by anything but an LF, every CR not
    /// followed by an LF made one.
    fn plainly(text: &[u8]) -> Vec<u8> {
        let lone = match text.iter().position(|&b| b == b'\r' || b == b'\n') {
            Some(i) if text[i] == b'\r' => text[i..].iter().find(|&&b| b != b'\r') != Some(&b'\n'),
            _ => false,
        };
        let mut out = text.to_vec();
        for i in 0..out.len() {
            if lone && text[i] == b'\r' && text.get(i + 1) != Some(&b'\n') {
                out[i] = b'\n';
            }
        }
        out
    }

    #[test]
    fn any_text_in_any_reads_is_handed_on_as_said_plainly() {
        // (A small generator of its own: texts of line ends, text and quotes.)
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..3000 {
            let len = next(40) as usize;
            let text: Vec<u8> = (0..len).map(|_| b"a,\r\n\"\r"[next(6) as usize]).collect();
            let (chunk, room) = (1 + next(9) as usize, 1 + next(9) as usize);
            assert_eq!(
                read(&text, chunk, room),
                plainly(&text),
                "{text:?} {chunk} {room}"
            );
        }
    }
}
