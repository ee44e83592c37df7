//! Several usage files read by `batch` as one stream, each line still named in
//! its own file.

use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use ocr_bill::Parts;

use super::input::{open_input, Opened};
use super::Out;

/// Lines a file may have above its header (empty lines, `sep=;`, titles),
/// at most, and the bytes read looking for it.
const ABOVE_THE_HEADER: usize = 8;
const HEADER_BYTES: usize = 1 << 20;

/// Where each file's lines are in the stream, in the order read.
#[derive(Clone, Default)]
pub(super) struct Places(Arc<Mutex<Vec<Place>>>);

/// Where one file's lines are in the stream.
struct Place {
    /// The stream's line that is the file's first line kept.
    first: u64,
    /// The file's own number of that line.
    own: u64,
    name: String,
    /// Where its parts begin in it (a zip archive of several).
    parts: Parts,
}

impl Places {
    /// The places of one input, when it is a zip archive of several parts.
    pub(super) fn of_parts(name: &str, parts: &Parts) -> Option<Places> {
        if parts.is_empty() {
            return None;
        }
        let places = Places::default();
        places.add(1, 1, name.to_string(), parts.clone());
        Some(places)
    }

    /// The file (or a zip archive's part) and its own line of line `line` of
    /// the stream.
    pub(super) fn of(&self, line: u64) -> (String, u64) {
        let Ok(places) = self.0.lock() else {
            return (String::new(), line);
        };
        // (Files in the order read: the last that starts at or before it.)
        let at = places.partition_point(|p| p.first <= line);
        match at.checked_sub(1).map(|i| &places[i]) {
            Some(p) => in_part(&p.name, &p.parts, line - p.first + p.own),
            None => (String::new(), line),
        }
    }

    fn add(&self, first: u64, own: u64, name: String, parts: Parts) {
        if let Ok(mut p) = self.0.lock() {
            p.push(Place {
                first,
                own,
                name,
                parts,
            });
        }
    }
}

/// Line `other` as told at line `line`: `line 2`, or `line 2 of a.csv` when
/// `of` (where a line is) puts it in another file or part.
pub(super) fn other_line(of: impl Fn(u64) -> (String, u64), line: u64, other: u64) -> String {
    let (name, own) = of(other);
    match name == of(line).0 {
        true => format!("line {own}"),
        false => format!("line {own} of {name}"),
    }
}

/// The file `name` or its part (`part2.csv in usage.zip`) that holds its
/// line `line`, and that line's number there.
pub(super) fn in_part(name: &str, parts: &Parts, line: u64) -> (String, u64) {
    match parts.of(line).filter(|_| line > 0) {
        Some((part, own)) => (format!("{part} in {name}"), own),
        None => (name.to_string(), line),
    }
}

/// Whether a file's header line names the first file's columns at the same
/// places (the same line, or the same columns named otherwise: another
/// language, another export).
pub(super) type SameColumns<'s> = &'s dyn Fn(&[u8], &[u8]) -> bool;

/// Whether header `line` is `first`'s, as `same` tells.
fn same_header(first: Option<&[u8]>, line: Option<&[u8]>, same: SameColumns<'_>) -> bool {
    match (first, line) {
        (Some(first), Some(line)) => first == line || same(first, line),
        (first, line) => first == line,
    }
}

/// Usage files read one after another as one: each decoded on its own (its
/// encoding, its sheet) and ending with a newline. Each file after the first
/// must have the first's header, or the same columns at the same places under
/// other names, which it then leaves out with the lines above it, so that the
/// stream is one header (the first's) and the rows of every file.
pub(super) struct Joined<'o> {
    paths: std::vec::IntoIter<PathBuf>,
    out: &'o Out,
    same: SameColumns<'o>,
    current: Option<(Box<dyn Read>, String)>,
    /// The first file's name and header line (without its line end), once
    /// it is open.
    first: Option<(String, Option<Vec<u8>>)>,
    /// Bytes to hand on before reading more of the current file.
    pending: Vec<u8>,
    at: usize,
    /// The last byte handed on.
    last: Option<u8>,
    /// Newlines handed on.
    lines: u64,
    places: Places,
}

impl<'o> Joined<'o> {
    pub(super) fn new(
        paths: &[PathBuf],
        out: &'o Out,
        same: SameColumns<'o>,
    ) -> (Joined<'o>, Places) {
        let places = Places::default();
        let joined = Joined {
            paths: Vec::from(paths).into_iter(),
            out,
            same,
            current: None,
            first: None,
            pending: Vec::new(),
            at: 0,
            last: None,
            lines: 0,
            places: places.clone(),
        };
        (joined, places)
    }

    /// Opens the next file and reads it up to its header: the first file's
    /// is kept whole; another's must be the first's, and is left out with the
    /// lines above it. `false` when no file is left.
    fn open_next(&mut self) -> io::Result<bool> {
        let Some(path) = self.paths.next() else {
            return Ok(false);
        };
        let mut head = Head::open(&path, "usage", self.out)?;
        let line = head.line().map(<[u8]>::to_vec);
        match (&self.first, head.header.clone()) {
            // Nothing but empty lines: no rows to add.
            _ if head.empty() => head.bytes.clear(),
            (None, _) => {
                self.first = Some((head.name.clone(), line));
                (self.places).add(self.lines + 1, 1, head.name.clone(), head.parts.clone());
            }
            (Some((_, header)), Some((above, range)))
                if same_header(header.as_deref(), line.as_deref(), self.same) =>
            {
                // Its rows start on the line after its header.
                let own = above as u64 + 2;
                (self.places).add(self.lines + 1, own, head.name.clone(), head.parts.clone());
                head.bytes.drain(..=range.end);
            }
            (Some((first, header)), _) => {
                return Err(not_the_first(
                    &head.name,
                    line.as_deref(),
                    first,
                    header.as_deref(),
                ));
            }
        }
        let Head {
            input, name, bytes, ..
        } = head;
        self.pending = bytes;
        self.at = 0;
        self.current = Some((input, name));
        Ok(true)
    }

    /// Hands on `n` bytes of `buf`, counted.
    fn handed(&mut self, buf: &[u8]) -> usize {
        self.lines += memchr::memchr_iter(b'\n', buf).count() as u64;
        if let Some(&b) = buf.last() {
            self.last = Some(b);
        }
        buf.len()
    }
}

/// Checks, before anything is written, that the files (but stdin and pipes,
/// read once) have the first's header: a file of other columns is refused before
/// the first's rows are billed.
pub(super) fn same_headers(paths: &[PathBuf], out: &Out, same: SameColumns<'_>) -> io::Result<()> {
    let mut first: Option<(String, Option<Vec<u8>>)> = None;
    // (A pipe, `<(zcat …)`, is read once too: checked when it is reached.)
    let read_once = |p: &PathBuf| {
        p.as_os_str() == "-" || std::fs::metadata(p).is_ok_and(|m| !m.is_file() && !m.is_dir())
    };
    for path in paths.iter().filter(|p| !read_once(p)) {
        let head = Head::open(path, "usage", out)?;
        if head.empty() {
            continue;
        }
        let line = head.line().map(<[u8]>::to_vec);
        match &first {
            None => first = Some((head.name, line)),
            Some((name, header)) if !same_header(header.as_deref(), line.as_deref(), same) => {
                return Err(not_the_first(
                    &head.name,
                    line.as_deref(),
                    name,
                    header.as_deref(),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// A file opened to be read whole, unless it is empty (nothing but blank
/// lines): its input and name.
pub(super) fn unless_empty(
    path: &std::path::Path,
    what: &str,
    out: &Out,
) -> io::Result<Option<Opened>> {
    let head = Head::open(path, what, out)?;
    if head.empty() {
        return Ok(None);
    }
    let input: Box<dyn Read> = Box::new(io::Cursor::new(head.bytes).chain(head.input));
    Ok(Some((input, head.name, head.parts)))
}

/// A file opened and read up to its header.
struct Head {
    input: Box<dyn Read>,
    name: String,
    parts: Parts,
    /// Its first bytes (without a byte order mark), through its header's
    /// newline at least, unless the file ends before.
    bytes: Vec<u8>,
    /// The lines above the header, and the header's range in `bytes`.
    header: Option<(usize, std::ops::Range<usize>)>,
}

impl Head {
    /// Opens a `what` file (usage, packs, top-ups) and reads it up to its
    /// header.
    fn open(path: &std::path::Path, what: &str, out: &Out) -> io::Result<Head> {
        let (mut input, name, parts) =
            open_input(Some(path), what, out).map_err(|e| io::Error::other(format!("{e:#}")))?;
        let mut bytes = Vec::new();
        let mut chunk = [0u8; 8192];
        let header = loop {
            // (A UTF-8 byte order mark is no part of the header.)
            if bytes.starts_with(ocr_bill::UTF8_BOM) {
                bytes.drain(..ocr_bill::UTF8_BOM.len());
            }
            if let Some(found) = header_in(&bytes) {
                break Some(found);
            }
            if bytes.len() > HEADER_BYTES {
                break None;
            }
            let n = match input.read(&mut chunk) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io::Error::new(e.kind(), format!("{name}: {e}"))),
            };
            if n == 0 {
                // The last line, without a newline after it.
                if bytes.last().is_some_and(|&b| b != b'\n') {
                    bytes.push(b'\n');
                }
                break header_in(&bytes);
            }
            bytes.extend_from_slice(&chunk[..n]);
        };
        Ok(Head {
            input,
            name,
            parts,
            bytes,
            header,
        })
    }

    /// Nothing but empty lines: no header, no rows.
    fn empty(&self) -> bool {
        self.header.is_none() && self.bytes.iter().all(u8::is_ascii_whitespace)
    }

    /// The header line, without its line end.
    fn line(&self) -> Option<&[u8]> {
        let (_, range) = self.header.clone()?;
        Some(trim_line_end(&self.bytes[range]))
    }
}

/// A file whose header is not the first file's, refused.
fn not_the_first(
    name: &str,
    theirs: Option<&[u8]>,
    first: &str,
    header: Option<&[u8]>,
) -> io::Error {
    let said = |line: Option<&[u8]>| {
        line.map_or("(none found)".into(), |l| {
            format!("'{}'", String::from_utf8_lossy(l))
        })
    };
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "{name}: its header {} is not the first file's ({first}: {}): batch joins files \
             of the same columns, at the same places, into one output; bill it apart, or \
             read the files with ledger, which takes each file's own header",
            said(theirs),
            said(header)
        ),
    )
}

/// The header line of a file's first bytes, if they hold it whole: the
/// number of lines above it and its byte range (without the newline).
fn header_in(head: &[u8]) -> Option<(usize, std::ops::Range<usize>)> {
    let mut start = 0;
    for above in 0..=ABOVE_THE_HEADER {
        let end = start + memchr::memchr(b'\n', &head[start..])?;
        if !ocr_bill::is_title(&head[start..end]) {
            return Some((above, start..end));
        }
        start = end + 1;
    }
    None
}

fn trim_line_end(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

impl Read for Joined<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.at < self.pending.len() {
                let n = buf.len().min(self.pending.len() - self.at);
                buf[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
                self.at += n;
                return Ok(self.handed(&buf[..n]));
            }
            let Some((input, name)) = &mut self.current else {
                if !self.open_next()? {
                    return Ok(0);
                }
                continue;
            };
            let n = match input.read(buf) {
                Ok(n) => n,
                Err(e) => return Err(io::Error::new(e.kind(), format!("{name}: {e}"))),
            };
            if n > 0 {
                return Ok(self.handed(&buf[..n]));
            }
            // The file's end: its last line ends before the next file's.
            self.current = None;
            if self.last.is_some_and(|b| b != b'\n') {
                self.pending = b"\n".to_vec();
                self.at = 0;
            }
        }
    }
}
