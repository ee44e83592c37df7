//! Compressed inputs: a usage file compressed with gzip (`usage.csv.gz`), or
//! the file of a zip archive (a bill's details as a billing center downloads
//! them), or its several files as the parts of one export, each read as it
//! decompresses, in bounded memory. A workbook is a zip archive too (xlsx,
//! ods): it is left to the workbook reader, as is anything else.

use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Arc, Mutex};

use crate::{DecodedReader, InputEncoding, LineEnds, NotText, UTF8_BOM};

/// The largest zip archive read from standard input, which is read whole (a
/// zip archive's directory is at its end).
pub const MAX_STDIN_ARCHIVE_BYTES: u64 = 1 << 30;

/// Bytes decompressed at a time from a zip archive's file.
const CHUNK: usize = 1 << 16;

/// Where each part of a zip archive read as one export (see [`uncompressed`])
/// begins in the text read, filled in as the archive decompresses: a line of
/// that text told as its part's own. Empty for any other input.
#[derive(Clone, Debug, Default)]
pub struct Parts(Arc<Mutex<Vec<(u64, String)>>>);

impl Parts {
    /// The parts' names, in the archive's order, none begun yet.
    fn named(names: Vec<String>) -> Parts {
        Parts(Arc::new(Mutex::new(
            names.into_iter().map(|n| (u64::MAX, n)).collect(),
        )))
    }

    /// Whether there are none: the input is not a zip archive of several
    /// parts.
    pub fn is_empty(&self) -> bool {
        self.0.lock().map_or(true, |p| p.is_empty())
    }

    /// The part that holds line `line` (1-based) of the text read, and that
    /// line's number in the part; `None` when the input has no parts.
    pub fn of(&self, line: u64) -> Option<(String, u64)> {
        let parts = self.0.lock().ok()?;
        // (Begun parts in order, then those not begun: the last begun at or
        // before it; of parts begun on one line, empty ones but the last.)
        let at = parts.partition_point(|(first, _)| *first <= line);
        let (first, name) = parts.get(at.checked_sub(1)?)?;
        Some((name.clone(), line - first + 1))
    }

    /// Part `index` begins on line `line` of the text read.
    fn begins(&self, index: usize, line: u64) {
        if let Ok(mut parts) = self.0.lock() {
            if let Some(part) = parts.get_mut(index) {
                part.0 = line;
            }
        }
    }
}

/// The content of `input`, a file: decompressed when it is gzip or a zip
/// archive (not a workbook) of one file or of the parts of one export, else
/// as it is; and where the parts begin in it.
///
/// The parts of one export are each decoded from `encoding` on their own,
/// as files named one after another are (one saved by Excel as GBK, another
/// in UTF-8), and handed on as UTF-8 text; any other content is handed on as
/// it is, to be decoded.
pub fn uncompressed<R: Read + Seek + Send + 'static>(
    mut input: R,
    encoding: InputEncoding,
) -> io::Result<(Box<dyn Read>, Parts)> {
    let mut magic = Vec::with_capacity(HEAD);
    (&mut input).take(HEAD as u64).read_to_end(&mut magic)?;
    input.seek(SeekFrom::Start(0))?;
    Ok(match Kind::of(&magic)? {
        Kind::Gzip => (gunzipped(BufReader::new(input))?, Parts::default()),
        Kind::Zip => match unzip(input, encoding)? {
            Unzipped::File(file, parts) => (Box::new(file), parts),
            Unzipped::Workbook(mut input) => {
                input.seek(SeekFrom::Start(0))?;
                (Box::new(input), Parts::default())
            }
        },
        Kind::Other => (Box::new(input), Parts::default()),
    })
}

/// The content of `input`, a stream (standard input), as [`uncompressed`]:
/// a zip archive is read whole first, up to [`MAX_STDIN_ARCHIVE_BYTES`].
pub fn uncompressed_stream<R: Read + 'static>(
    input: R,
    encoding: InputEncoding,
) -> io::Result<(Box<dyn Read>, Parts)> {
    let mut input = BufReader::with_capacity(CHUNK, input);
    let magic = input.fill_buf()?;
    Ok(match Kind::of(magic)? {
        Kind::Gzip => (gunzipped(input)?, Parts::default()),
        Kind::Zip => {
            let mut whole = Vec::new();
            (&mut input)
                .take(MAX_STDIN_ARCHIVE_BYTES + 1)
                .read_to_end(&mut whole)?;
            if whole.len() as u64 > MAX_STDIN_ARCHIVE_BYTES {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "the input is a zip archive larger than the {} MB read from standard \
                         input; name the file instead",
                        MAX_STDIN_ARCHIVE_BYTES >> 20
                    ),
                ));
            }
            uncompressed(io::Cursor::new(whole), encoding)?
        }
        Kind::Other => (Box::new(input), Parts::default()),
    })
}

/// The first bytes of an input that tell what it is (a tar archive's mark
/// is at byte 257).
const HEAD: usize = 512;

/// What an input's first bytes say it is.
enum Kind {
    Gzip,
    Zip,
    Other,
}

impl Kind {
    /// What an input that begins with `head` is; an error when it is a kind
    /// of file that holds no usage ocr-bill can read (another archive, a
    /// document, an image), saying what it is.
    fn of(head: &[u8]) -> io::Result<Kind> {
        if head.starts_with(b"\x1F\x8B") {
            return Ok(Kind::Gzip);
        } else if head.starts_with(b"PK\x03\x04") {
            return Ok(Kind::Zip);
        }
        match not_readable(head) {
            Some(e) => Err(e),
            None => Ok(Kind::Other),
        }
    }
}

/// The error for an input that begins with `head` when it is an archive
/// ocr-bill does not open, a document or an image, naming what it is.
fn not_readable(head: &[u8]) -> Option<io::Error> {
    let archive = "extract the usage file from it (with 7-Zip, WinRAR or tar) and name that";
    let compressed = "decompress it (with 7-Zip, or bunzip2, unxz or unzstd) and name the file it \
                      gives, or compress it with gzip or zip instead";
    let document = "export the usage as CSV or as a workbook and name that";
    let kinds: [(bool, &str, &str); 9] = [
        (head.starts_with(b"Rar!\x1A\x07"), "a RAR archive", archive),
        (
            head.starts_with(b"7z\xBC\xAF\x27\x1C"),
            "a 7z archive",
            archive,
        ),
        (
            // (And a NUL in its name field, which no text has.)
            head.get(257..262) == Some(b"ustar") && head[..100].contains(&0),
            "a tar archive",
            archive,
        ),
        (
            head.starts_with(b"\xFD7zXZ\x00"),
            "an xz-compressed file",
            compressed,
        ),
        (
            head.starts_with(b"BZh") && head.get(4..10) == Some(b"1AY&SY"),
            "a bzip2-compressed file",
            compressed,
        ),
        (
            head.starts_with(b"\x28\xB5\x2F\xFD"),
            "a zstd-compressed file",
            compressed,
        ),
        (head.starts_with(b"%PDF-"), "a PDF document", document),
        (
            head.starts_with(b"\x89PNG\r\n\x1A\n"),
            "a PNG image",
            document,
        ),
        (head.starts_with(b"\xFF\xD8\xFF"), "a JPEG image", document),
    ];
    let (_, what, advice) = kinds.into_iter().find(|(is, _, _)| *is)?;
    Some(io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "the input is {what}, which ocr-bill does not read: {advice} (ocr-bill reads CSV \
             or tab-separated text, gzip files, zip archives and workbooks)"
        ),
    ))
}

/// A gzip stream's content, refused when it is an archive that ocr-bill
/// does not open (`usage.tar.gz`).
fn gunzipped<R: BufRead + 'static>(input: R) -> io::Result<Box<dyn Read>> {
    let mut content = BufReader::with_capacity(CHUNK, gunzip(input));
    if let Some(e) = not_readable(content.fill_buf()?) {
        return Err(e);
    }
    Ok(Box::new(content))
}

/// A gzip stream's content (every member of it, as `gunzip` reads them), its
/// errors saying what the input is.
fn gunzip<R: BufRead>(input: R) -> impl Read {
    Told {
        inner: flate2::bufread::MultiGzDecoder::new(input),
        what: "the gzip-compressed input",
    }
}

/// A reader whose errors say what was being read.
struct Told<R> {
    inner: R,
    what: &'static str,
}

impl<R: Read> Read for Told<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner
            .read(buf)
            .map_err(|e| io::Error::new(e.kind(), format!("{} cannot be read: {e}", self.what)))
    }
}

/// A zip archive, read.
enum Unzipped<R> {
    /// Its file, or its parts as one, as they decompress (and where they
    /// begin).
    File(ZipFileReader, Parts),
    /// A workbook (xlsx, xlsm, xlsb, ods), to be read as one.
    Workbook(R),
}

/// The file of a zip archive that is no workbook, or its parts of one export
/// read as one (see [`parts`]), decompressed on a thread of its own (the
/// archive's reader borrows the archive); any error, a checksum that does not
/// match among them, ends the content with it.
fn unzip<R: Read + Seek + Send + 'static>(
    mut input: R,
    encoding: InputEncoding,
) -> io::Result<Unzipped<R>> {
    // Its names; one that cannot be read as an archive is left to the
    // workbook reader, which says what to do with a damaged workbook.
    let names: Option<Vec<String>> = zip::ZipArchive::new(&mut input).ok().and_then(|a| {
        (a.file_names())
            .map(|n| n.map(|n| n.into_owned()))
            .collect::<Result<_, _>>()
            .ok()
    });
    let workbook = |names: &[String]| {
        (names.iter())
            .any(|n| n == "[Content_Types].xml" || n == "mimetype" || n.starts_with("xl/"))
    };
    let names = match names {
        Some(names) if !workbook(&names) => names,
        _ => return Ok(Unzipped::Workbook(input)),
    };
    input.seek(SeekFrom::Start(0))?;
    let mut archive = zip::ZipArchive::new(input).map_err(unreadable)?;
    // Its files, but folders and what an archiver adds (`__MACOSX/`,
    // `.DS_Store`).
    let files: Vec<(usize, &String)> = (0..names.len())
        .map(|i| (i, &names[i]))
        .filter(|(_, n)| {
            let base = n.rsplit('/').next().unwrap_or(n);
            !n.ends_with('/') && !n.starts_with("__MACOSX/") && !base.starts_with('.')
        })
        .collect();
    let entries: Vec<(usize, &String)> = match files.as_slice() {
        [] => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the input is a zip archive with no file in it".to_string(),
            ))
        }
        [one] => {
            lone_file(&mut archive, *one)?;
            vec![*one]
        }
        several => parts(&mut archive, several, encoding)?,
    };
    let parts = match entries.as_slice() {
        [_] => Parts::default(),
        _ => Parts::named(entries.iter().map(|(_, n)| n.to_string()).collect()),
    };
    let names: Vec<String> = entries.iter().map(|(_, n)| n.to_string()).collect();
    let entries: Vec<usize> = entries.iter().map(|(i, _)| *i).collect();
    let begun = parts.clone();
    let (send, receive) = sync_channel::<io::Result<Vec<u8>>>(4);
    std::thread::spawn(move || {
        // Whether the last byte handed on ended a line, and whether a part
        // handed on its first line (the header).
        let (mut at_line_start, mut header_sent) = (true, false);
        // Lines handed on, of several parts.
        let (several, mut lines) = (entries.len() > 1, 0);
        for (part, &index) in entries.iter().enumerate() {
            // (Of several parts, each is decoded on its own, and its lone
            // CRs read as line ends: see LineEnds. A lone file is left to be
            // decoded, and its line ends read, as any input.)
            let mut file: Box<dyn Read> = match archive.by_index(index) {
                Ok(file) if several => Box::new(LineEnds::new(DecodedReader::new(file, encoding))),
                Ok(file) => Box::new(file),
                Err(e) => {
                    let _ = send.send(Err(unreadable(e)));
                    return;
                }
            };
            // A part after the first that has any: its first line (the header
            // they all begin with) left blank, which every reader passes over
            // (so that lines are counted as the parts have them, one part
            // after another), and its rows on a line of their own. (An empty
            // part is read all the same: its checksum too.)
            let mut skipping = header_sent;
            if skipping && !at_line_start {
                if send.send(Ok(b"\n".to_vec())).is_err() {
                    return;
                }
                at_line_start = true;
                lines += 1;
            }
            begun.begins(part, lines + 1);
            // (A part's byte-order mark, decoded: no text of its own, so
            // that a part of one alone adds nothing, as an empty part.)
            let mut bom = several;
            loop {
                let mut chunk = vec![0; CHUNK];
                match file.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => {
                        chunk.truncate(n);
                        if std::mem::take(&mut bom) && chunk.starts_with(UTF8_BOM) {
                            chunk.drain(..UTF8_BOM.len());
                        }
                        if skipping {
                            match memchr::memchr(b'\n', &chunk) {
                                Some(end) => {
                                    chunk.drain(..end);
                                    skipping = false;
                                }
                                None => continue,
                            }
                        }
                        let Some(&last) = chunk.last() else { continue };
                        at_line_start = last == b'\n';
                        header_sent = true;
                        // (Counted where the parts' beginnings are wanted.)
                        if several {
                            lines += memchr::memchr_iter(b'\n', &chunk).count() as u64;
                        }
                        // (The reader went away: nothing more is wanted.)
                        if send.send(Ok(chunk)).is_err() {
                            return;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        // (A part that is not text in its encoding, named,
                        // with what to do.)
                        let e = match NotText::remedy_of(&e) {
                            Some(_) if several => in_part(e, &names[part]),
                            _ => io::Error::new(
                                e.kind(),
                                format!("the zip archive's file cannot be read: {e}"),
                            ),
                        };
                        let _ = send.send(Err(e));
                        return;
                    }
                }
            }
        }
        // An empty chunk marks the end: without it, a thread that stopped (a
        // panic in the decompressor) is an error, never a shorter file.
        let _ = send.send(Ok(Vec::new()));
    });
    Ok(Unzipped::File(
        ZipFileReader {
            chunks: receive,
            chunk: Vec::new(),
            at: 0,
            ended: false,
        },
        parts,
    ))
}

/// The files of a zip archive of several (`several`, by index and name) to
/// read as one, in the archive's order: the parts of one export (a bill's
/// details split in files), each beginning with the same first line (its
/// header), which the parts after the first leave blank. Empty files add
/// nothing. Files that are not plain text (a workbook, an archive, UTF-16
/// text), or whose first lines differ, are refused, naming them.
fn parts<'n, R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    several: &[(usize, &'n String)],
    encoding: InputEncoding,
) -> io::Result<Vec<(usize, &'n String)>> {
    let listed: Vec<&str> = several.iter().map(|(_, n)| n.as_str()).collect();
    let refused = |why: String| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "the input is a zip archive of {} files ({}), {why}: extract them and name each \
                 (batch, ledger and plan read several files as one)",
                several.len(),
                crate::first_of(listed.iter(), 5)
            ),
        )
    };
    let mut first: Option<(&str, String)> = None;
    let mut entries = Vec::new();
    for &(index, name) in several {
        let mut file = archive.by_index(index).map_err(unreadable)?;
        // Its first bytes, a size no header reaches.
        let mut head = Vec::new();
        (&mut file).take(FIRST_LINE_BYTES).read_to_end(&mut head)?;
        entries.push((index, name));
        // An empty part adds nothing (read all the same, its checksum too),
        // nor does one of a byte-order mark alone (an empty sheet saved so).
        if matches!(&head[..], b"" | UTF8_BOM | b"\xFF\xFE" | b"\xFE\xFF") {
            continue;
        }
        // Not text: refused, naming it (UTF-16, as Excel's "Unicode text"
        // saves it, is text where the encoding is not told otherwise).
        let utf16 = crate::decode::utf16_of(&head).is_some() && encoding == InputEncoding::Auto;
        let raw_line = &head[..memchr::memchr(b'\n', &head).unwrap_or(head.len())];
        let raw_line = raw_line.strip_prefix(UTF8_BOM).unwrap_or(raw_line);
        let binary = [&b"PK\x03\x04"[..], b"\x1F\x8B", b"\xD0\xCF\x11\xE0"]
            .iter()
            .any(|magic| raw_line.starts_with(magic))
            || raw_line.contains(&0);
        if binary && !utf16 {
            return Err(refused(format!(
                "and {name} is not plain text (a workbook or an archive; UTF-16 text is read \
                 with --encoding auto)"
            )));
        }
        // Its first line as the part is read (decoded on its own, by the
        // same first bytes), compared as text.
        let mut line = Vec::new();
        BufReader::new(LineEnds::new(DecodedReader::new(&head[..], encoding)))
            .read_until(b'\n', &mut line)
            .map_err(|e| in_part(e, name))?;
        let line = line.strip_prefix(UTF8_BOM).unwrap_or(&line);
        let header = String::from_utf8_lossy(line.trim_ascii_end()).into_owned();
        match &first {
            None => first = Some((name, header)),
            Some((first_name, first_header)) if *first_header != header => {
                return Err(refused(format!(
                    "whose first lines differ ({first_name}: '{first_header}'; {name}: \
                     '{header}')"
                )));
            }
            Some(_) => {}
        }
    }
    Ok(entries)
}

/// A part's read error named with the part (`b.csv: the input is not UTF-8
/// text at byte 5, line 2`), with what to do when it is not text.
fn in_part(e: io::Error, name: &str) -> io::Error {
    match NotText::remedy_of(&e) {
        Some(remedy) => NotText::error(format!("{name}: {e}"), remedy),
        None => io::Error::new(e.kind(), format!("{name}: {e}")),
    }
}

/// Refuses the lone file (`index`, `name`) of a zip archive when it is
/// another archive or compressed file, a document or an image, saying what
/// it is.
fn lone_file<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    (index, name): (usize, &String),
) -> io::Result<()> {
    let mut head = Vec::with_capacity(HEAD);
    let file = archive.by_index(index).map_err(unreadable)?;
    file.take(HEAD as u64).read_to_end(&mut head)?;
    // (A workbook is a zip archive too, read as the sheet it is.)
    let zip_named = name.to_ascii_lowercase().ends_with(".zip");
    let why = match Kind::of(&head) {
        Ok(Kind::Other) => return Ok(()),
        Ok(Kind::Zip) if !zip_named => return Ok(()),
        // (Told as what the file is, not the input.)
        Err(e) => e.to_string().replacen("the input is", "that file is", 1),
        Ok(_) => "that file is an archive itself: extract it and name it".to_string(),
    };
    Err(io::Error::new(
        io::ErrorKind::InvalidData,
        format!("the input is a zip archive of one file, {name}: {why}"),
    ))
}

/// A zip archive's error as what the input is.
fn unreadable(e: zip::result::ZipError) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("the input is a zip archive that cannot be read ({e})"),
    )
}

/// Bytes of a part's first line read at most to compare it with the others'.
const FIRST_LINE_BYTES: u64 = 1 << 16;

/// A zip archive's file, as its thread decompresses it.
struct ZipFileReader {
    chunks: Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    at: usize,
    /// The end was handed on (an empty chunk).
    ended: bool,
}

impl Read for ZipFileReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.chunk.len() {
            if self.ended {
                return Ok(0);
            }
            match self.chunks.recv() {
                Ok(chunk) => {
                    self.chunk = chunk?;
                    self.at = 0;
                    self.ended = self.chunk.is_empty();
                }
                Err(_) => {
                    return Err(io::Error::other(
                        "the zip archive's file stopped before its end",
                    ))
                }
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zipped(files: &[(&str, &[u8])]) -> Vec<u8> {
        zipped_as(files, zip::CompressionMethod::Deflated)
    }

    fn zipped_as(files: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(method);
        for (name, bytes) in files {
            zip.start_file(*name, options).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    fn read(input: Box<dyn Read>) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut input = input;
        input.read_to_end(&mut out)?;
        Ok(out)
    }

    /// What each way in reads of `bytes`: as a file, and as a stream.
    fn both(bytes: &[u8]) -> [io::Result<Vec<u8>>; 2] {
        both_with_parts(bytes).map(|got| got.map(|(text, _)| text))
    }

    /// Parts saved in different encodings (one by Excel as GBK, one in
    /// UTF-8) are each decoded on their own, as files named one after
    /// another are, headers compared as text; before, the first part's
    /// encoding was taken for all, and the other's names read as other names.
    #[test]
    fn parts_in_other_encodings_are_each_decoded_on_their_own() {
        let gbk = |t: &str| encoding_rs::GB18030.encode(t).0.into_owned();
        let rows = "账号,接口,调用量\n张三,idcard,6000\n";
        let big_utf8 = format!("账号,接口,调用量\n{}", "李四,idcard,5\n".repeat(10_000));
        for (first, second) in [
            (gbk(rows), big_utf8.clone().into_bytes()),
            (big_utf8.clone().into_bytes(), gbk(rows)),
        ] {
            let archive = zipped(&[("a.csv", &first), ("b.csv", &second)]);
            for got in both_with_parts(&archive) {
                let (text, _) = got.unwrap();
                let text = String::from_utf8(text).unwrap();
                assert!(text.starts_with("账号,接口,调用量\n"), "{}", &text[..40]);
                assert!(text.contains("\n张三,idcard,6000\n"));
                assert_eq!(text.matches("李四,idcard,5\n").count(), 10_000);
            }
        }
        // A part that is not text in its encoding is named, its line its own.
        let archive = zipped(&[
            ("a.csv", rows.as_bytes()),
            ("b.csv", b"\xE8\xB4\xA6\xE5\x8F\xB7,\xE6\x8E\xA5\xE5\x8F\xA3,\xE8\xB0\x83\xE7\x94\xA8\xE9\x87\x8F\nx,idcard,1\n\xFF\xFF,idcard,2\n"),
        ]);
        for got in both_with_parts(&archive) {
            let err = got.unwrap_err();
            assert!(NotText::remedy_of(&err).is_some(), "{err}");
            let err = err.to_string();
            assert!(
                err.starts_with("b.csv: ") && err.contains("line 3"),
                "{err}"
            );
        }
        // UTF-16 parts (Excel's "Unicode text"), with a byte-order mark or
        // without, among others; refused where another encoding is told.
        let utf16 = |t: &str, bom: &[u8], le: bool| {
            let units = t.encode_utf16().flat_map(|u| match le {
                true => u.to_le_bytes(),
                false => u.to_be_bytes(),
            });
            bom.iter().copied().chain(units).collect::<Vec<u8>>()
        };
        let archive = zipped(&[
            ("a.csv", &utf16(rows, b"\xFF\xFE", true)),
            ("b.csv", rows.as_bytes()),
            ("c.csv", &utf16(rows, b"", true)),
            ("d.csv", &utf16(rows, b"\xFE\xFF", false)),
            // Empty, saved with a byte-order mark alone.
            ("e.csv", b"\xFF\xFE"),
            ("f.csv", b"\xEF\xBB\xBF"),
        ]);
        // The same with the empty ones first.
        let first_empty = zipped(&[
            ("f.csv", b"\xEF\xBB\xBF"),
            ("e.csv", b"\xFF\xFE"),
            ("a.csv", &utf16(rows, b"\xFF\xFE", true)),
            ("b.csv", rows.as_bytes()),
        ]);
        for (archive, parts) in [(&archive, 4), (&first_empty, 2)] {
            for got in both_with_parts(archive) {
                let (text, _) = got.unwrap();
                let text = String::from_utf8(text).unwrap();
                assert!(text.starts_with("账号,接口,调用量\n"), "{text}");
                assert_eq!(
                    text.matches("\n张三,idcard,6000\n").count(),
                    parts,
                    "{text}"
                );
            }
        }
        let told = uncompressed(io::Cursor::new(archive), InputEncoding::Utf8);
        let err = told.err().unwrap().to_string();
        assert!(err.contains("a.csv is not plain text"), "{err}");
        // Read as GB18030 when told so, each part.
        let archive = zipped(&[("a.csv", &gbk(rows)), ("b.csv", &gbk(rows))]);
        let (input, _) = uncompressed(io::Cursor::new(archive), InputEncoding::Gb18030).unwrap();
        let text = String::from_utf8(read(input).unwrap()).unwrap();
        assert_eq!(text.matches("张三,idcard,6000").count(), 2, "{text}");
    }

    /// [`both`], with where the parts begin, once read.
    fn both_with_parts(bytes: &[u8]) -> [io::Result<(Vec<u8>, Parts)>; 2] {
        let read = |(input, parts)| read(input).map(|text| (text, parts));
        let file =
            uncompressed(io::Cursor::new(bytes.to_vec()), InputEncoding::Auto).and_then(read);
        let stream = uncompressed_stream(io::Cursor::new(bytes.to_vec()), InputEncoding::Auto)
            .and_then(read);
        [file, stream]
    }

    #[test]
    fn a_zip_archives_one_file_is_read_whole_across_chunks() {
        // More than one chunk, so that the thread hands on several.
        let csv: Vec<u8> = (0..20_000)
            .flat_map(|i| format!("acct{i},2026-01,idcard,{i}\n").into_bytes())
            .collect();
        let archive = zipped(&[("__MACOSX/._u.csv", b"x"), ("bill/u.csv", &csv)]);
        for got in both(&archive) {
            assert_eq!(got.unwrap(), csv);
        }
    }

    /// A lone file's bytes are handed on as they are, whatever they are:
    /// UTF-16 text's CR bytes (`\r\0`, and 不 U+4E0D's `0D 4E`) are no line
    /// ends until it is decoded.
    #[test]
    fn a_zip_archives_one_file_is_handed_on_byte_for_byte() {
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(
            "api\tcalls\r\n不\t1\r\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        );
        for got in both(&zipped(&[("u.txt", &utf16)])) {
            assert_eq!(got.unwrap(), utf16);
        }
    }

    #[test]
    fn a_file_whose_thread_stops_before_its_end_is_an_error() {
        let (send, receive) = sync_channel(4);
        send.send(Ok(b"api,calls\n".to_vec())).unwrap();
        // (The thread gone without the empty chunk that marks the end.)
        drop(send);
        let reader = ZipFileReader {
            chunks: receive,
            chunk: Vec::new(),
            at: 0,
            ended: false,
        };
        let err = read(Box::new(reader)).unwrap_err().to_string();
        assert!(err.contains("stopped before its end"), "{err}");
    }

    /// The parts of one export, each beginning with the same header, are
    /// read as one file: the header once (the others blank lines), every
    /// part's rows in the archive's order, each on a line of its own, an empty
    /// part adding nothing.
    #[test]
    fn the_parts_of_one_export_are_read_as_one_file() {
        let big: Vec<u8> = std::iter::once(b"api,calls\r\n".to_vec())
            .chain((0..20_000).map(|i| format!("idcard,{i}\r\n").into_bytes()))
            .flatten()
            .collect();
        let archive = zipped(&[
            ("bill/empty0.csv", b""),
            ("bill/part1.csv", b"api,calls\nidcard,1\nidcard,2"),
            ("bill/", b""),
            ("bill/part2.csv", b"\xEF\xBB\xBFapi,calls\ngeneral,3\n"),
            ("bill/empty.csv", b""),
            ("bill/part3.csv", &big),
            ("bill/part4.csv", b"api,calls"),
        ]);
        // (Each later header left as a blank line, which readers pass over.)
        let mut want = b"api,calls\nidcard,1\nidcard,2\n\ngeneral,3\n\n".to_vec();
        want.extend_from_slice(&big[b"api,calls\r\n".len()..]);
        for got in both_with_parts(&archive) {
            let (text, parts) = got.unwrap();
            assert!(text == want);
            // Each line told in its part, as the part numbers it.
            let part = |line| parts.of(line).unwrap();
            assert_eq!(part(1), ("bill/part1.csv".into(), 1));
            assert_eq!(part(3), ("bill/part1.csv".into(), 3));
            assert_eq!(part(4), ("bill/part2.csv".into(), 1));
            assert_eq!(part(5), ("bill/part2.csv".into(), 2));
            assert_eq!(part(6), ("bill/part3.csv".into(), 1));
            assert_eq!(part(20_006), ("bill/part3.csv".into(), 20_001));
            assert_eq!(part(20_007), ("bill/part4.csv".into(), 1));
            assert!(!parts.is_empty());
        }
        // An archive of one file, or no archive, has no parts.
        let one = zipped(&[("u.csv", b"api,calls\nidcard,1\n")]);
        for bytes in [&one[..], b"api,calls\nidcard,1\n"] {
            for got in both_with_parts(bytes) {
                let (_, parts) = got.unwrap();
                assert!(parts.is_empty() && parts.of(2).is_none());
            }
        }
    }

    /// Parts whose lines end in a lone CR (Excel for Mac), the same
    /// parts as the others or not: each read with LF line ends on its own, so
    /// that its header is told, passed over, and its lines counted.
    #[test]
    fn parts_whose_lines_end_in_a_lone_cr_are_read_as_any() {
        let archive = zipped(&[
            ("a.csv", b"api,calls\ridcard,1\r"),
            ("b.csv", b"api,calls\ridcard,1\r"),
            ("c.csv", b"api,calls\ngeneral,2\n"),
            ("d.csv", b"api,calls\rplate,3"),
        ]);
        for got in both_with_parts(&archive) {
            let (text, parts) = got.unwrap();
            assert_eq!(
                String::from_utf8(text).unwrap(),
                "api,calls\nidcard,1\n\nidcard,1\n\ngeneral,2\n\nplate,3"
            );
            assert_eq!(parts.of(4), Some(("b.csv".into(), 2)));
            assert_eq!(parts.of(8), Some(("d.csv".into(), 2)));
        }
    }

    /// Files of other first lines, or not plain text, are refused, naming
    /// them; an archive of no file too.
    #[test]
    fn other_files_or_none_are_refused_naming_them() {
        let refused = |bytes: Vec<u8>| {
            uncompressed(io::Cursor::new(bytes), InputEncoding::Auto)
                .err()
                .unwrap()
                .to_string()
        };
        let err = refused(zipped(&[
            ("a.csv", b"api,calls\nidcard,1\n"),
            ("b.csv", b"account,api,calls\nA,idcard,1\n"),
        ]));
        assert!(
            err.contains(
                "zip archive of 2 files (a.csv, b.csv), whose first lines differ \
                          (a.csv: 'api,calls'; b.csv: 'account,api,calls')"
            ),
            "{err}"
        );
        // Shown as what Excel saves: GB18030.
        let err = refused(zipped(&[
            ("a.csv", b"api,calls\n"),
            ("b.csv", b"\xBD\xD3\xBF\xDA,calls\n"),
        ]));
        assert!(err.contains("b.csv: '接口,calls'"), "{err}");
        let book = zipped(&[("xl/workbook.xml", b"<y/>")]);
        let err = refused(zipped(&[("a.csv", b"api,calls\n"), ("b.xlsx", &book)]));
        assert!(
            err.contains("and b.xlsx is not plain text") && err.contains("extract them"),
            "{err}"
        );
        // UTF-16 is read as its text (its header here is another).
        let err = refused(zipped(&[
            ("a.csv", b"api,calls\n"),
            ("b.csv", b"\xFF\xFEa\0"),
        ]));
        assert!(err.contains("b.csv: 'a')"), "{err}");
        let err = refused(zipped(&[(".DS_Store", b"1")]));
        assert!(err.contains("no file in it"), "{err}");
    }

    #[test]
    fn a_workbook_and_plain_text_are_left_as_they_are() {
        let book = zipped(&[
            ("[Content_Types].xml", b"<x/>"),
            ("xl/workbook.xml", b"<y/>"),
        ]);
        // (The last, shorter than any magic.)
        for bytes in [&book[..], b"api,calls\nidcard,9000\n", b"P"] {
            for got in both(bytes) {
                assert_eq!(got.unwrap(), bytes);
            }
        }
    }

    /// Other archives, compressed files, documents and images are refused,
    /// saying what they are, before any of them is read as text; a tar
    /// archive inside gzip too.
    #[test]
    fn files_that_hold_no_readable_usage_are_refused_saying_what_they_are() {
        let mut tar = vec![0u8; 1024];
        tar[..6].copy_from_slice(b"u.csv\0");
        tar[257..263].copy_from_slice(b"ustar\0");
        let mut tar_gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        tar_gz.write_all(&tar).unwrap();
        let tar_gz = tar_gz.finish().unwrap();
        let cases: [(&[u8], &str); 10] = [
            (b"Rar!\x1A\x07\x01\x00", "a RAR archive"),
            (b"7z\xBC\xAF\x27\x1C\x00\x04", "a 7z archive"),
            (&tar, "a tar archive"),
            (&tar_gz, "a tar archive"),
            (b"\xFD7zXZ\x00\x00", "an xz-compressed file"),
            (b"BZh91AY&SY\x00", "a bzip2-compressed file"),
            (b"\x28\xB5\x2F\xFD\x00", "a zstd-compressed file"),
            (b"%PDF-1.7\n", "a PDF document"),
            (b"\x89PNG\r\n\x1A\n\x00", "a PNG image"),
            (b"\xFF\xD8\xFF\xE0\x00", "a JPEG image"),
        ];
        for (bytes, what) in cases {
            for got in both(bytes) {
                let err = got.unwrap_err().to_string();
                assert!(
                    err.contains(&format!("the input is {what}, which")),
                    "{err}"
                );
            }
        }
        // The lone file of a zip archive too, and an archive in one.
        for (file, what) in [
            (&b"%PDF-1.7\n"[..], "that file is a PDF document, which"),
            (&tar_gz, "that file is an archive itself"),
        ] {
            for got in both(&zipped(&[("bill/x", file)])) {
                let err = got.unwrap_err().to_string();
                assert!(
                    err.contains(&format!("a zip archive of one file, bill/x: {what}")),
                    "{err}"
                );
            }
        }
        let inner = zipped(&[("u.csv", b"api,calls\n")]);
        for got in both(&zipped(&[("bill/x.ZIP", &inner)])) {
            let err = got.unwrap_err().to_string();
            assert!(
                err.contains("bill/x.ZIP: that file is an archive itself"),
                "{err}"
            );
        }
        // (A workbook is a zip archive too: handed on, to be read as one.)
        for got in both(&zipped(&[("bill/book.xlsx", &inner)])) {
            assert_eq!(got.unwrap(), inner);
        }
        // Text that begins as one of them might does not stop it, nor text
        // that has `ustar` where a tar archive's mark is.
        let mut ustar = b"api,calls\n".to_vec();
        while ustar.len() < 257 {
            ustar.extend_from_slice(b"idcard,1\n");
        }
        ustar.truncate(257);
        ustar.extend_from_slice(b"ustar,1\n");
        for got in both(&ustar) {
            assert_eq!(got.unwrap(), ustar);
        }
        for text in [
            &b"BZh,calls\nidcard,1\n"[..],
            b"%PDF,calls\n",
            b"7z,calls\n",
        ] {
            for got in both(text) {
                assert_eq!(got.unwrap(), text);
            }
        }
    }

    #[test]
    fn gzip_is_read_and_a_corrupt_stream_is_an_error() {
        let text = b"api,calls\nidcard,9000\n";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(text).unwrap();
        let gz = gz.finish().unwrap();
        for got in both(&gz) {
            assert_eq!(got.unwrap(), text);
        }
        for got in both(&gz[..gz.len() - 6]) {
            let err = got.unwrap_err().to_string();
            assert!(
                err.contains("gzip-compressed input cannot be read"),
                "{err}"
            );
        }
    }

    #[test]
    fn a_zip_file_that_does_not_match_its_checksum_is_an_error() {
        let mut archive = zipped_as(
            &[("u.csv", b"api,calls\nidcard,9000\n")],
            zip::CompressionMethod::Stored,
        );
        // A byte of the data changed, as a damaged download has it.
        let at = archive.windows(6).position(|w| w == b"idcard").unwrap();
        archive[at] ^= 0x20;
        for got in both(&archive) {
            assert!(got.is_err(), "{got:?}");
        }
    }
}
