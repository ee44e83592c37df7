//! Where results go: stdout, or a file given with `-o`, written atomically (a
//! temporary file beside it, renamed into place when complete), so that a run
//! that fails leaves no half-written file and never an input overwritten.

use std::fs;
use std::io::{self, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};

use crate::render::{emit, stdout_is_open};

/// The output of a run.
pub struct Destination {
    path: Option<PathBuf>,
}

impl Destination {
    /// Stdout, or `path`; refuses a path that is one of the run's `inputs`.
    pub fn new(path: Option<&Path>, inputs: &[&Path]) -> anyhow::Result<Destination> {
        if let Some(out) = path {
            let out_real = fs::canonicalize(out).ok();
            for input in inputs {
                let same = match (&out_real, fs::canonicalize(input).ok()) {
                    (Some(a), Some(b)) => *a == b,
                    _ => out == *input,
                };
                if same {
                    return Err(anyhow!(
                        "-o {}: that is an input of this run; write the output elsewhere",
                        out.display()
                    ));
                }
            }
        }
        Ok(Destination {
            path: path.map(Path::to_path_buf),
        })
    }

    /// True when the output is a terminal (binary output is refused there).
    pub fn is_terminal(&self) -> bool {
        use std::io::IsTerminal;
        self.path.is_none() && io::stdout().is_terminal()
    }

    /// Writes a whole result.
    pub fn write_all(&self, bytes: &[u8]) -> anyhow::Result<()> {
        match &self.path {
            None => Ok(emit(bytes)?),
            Some(_) => {
                let mut sink = self.open()?;
                sink.write_all(bytes)?;
                sink.commit()
            }
        }
    }

    /// Writes a result kept whole until now (see [`Spill`]).
    pub fn write(&self, result: Spill) -> anyhow::Result<()> {
        if result.file.is_none() {
            return self.write_all(&result.mem);
        }
        let mut sink = self.open()?;
        io::copy(&mut result.into_reader()?, &mut sink)?;
        sink.commit()
    }

    /// A writer for a streamed result; [`Sink::commit`] makes a file appear.
    pub fn open(&self) -> anyhow::Result<Sink> {
        match &self.path {
            None => {
                stdout_is_open()?;
                Ok(Sink::Stdout(io::stdout().lock()))
            }
            Some(path) => {
                let dir = match path.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d,
                    _ => Path::new("."),
                };
                let mut builder = tempfile::Builder::new();
                builder.prefix(".ocr-bill-").suffix(".part");
                // The file a user asked for, readable as any file they make
                // (0666 less the umask), not a private temporary's 0600.
                #[cfg(unix)]
                builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
                // The reason without the temporary file's name, which the
                // user never gave.
                let file = builder.tempfile_in(dir).map_err(|e| {
                    let why = if dir.is_dir() {
                        io::Error::from(e.kind()).to_string()
                    } else {
                        format!("there is no directory {}", dir.display())
                    };
                    anyhow!("cannot write {}: {why}", path.display())
                })?;
                Ok(Sink::File(BufWriter::new(file), path.clone()))
            }
        }
    }
}

/// A streamed output.
pub enum Sink {
    /// Standard output.
    Stdout(io::StdoutLock<'static>),
    /// A temporary file, renamed to the path on commit (removed if dropped).
    File(BufWriter<tempfile::NamedTempFile>, PathBuf),
}

impl Sink {
    /// Completes the output: flushes stdout, or puts the file in place.
    pub fn commit(self) -> anyhow::Result<()> {
        match self {
            Sink::Stdout(mut out) => Ok(crate::render::quiet_on_closed_pipe(out.flush())?),
            Sink::File(buf, path) => {
                let file = buf
                    .into_inner()
                    .map_err(|e| anyhow!("cannot write {}: {}", path.display(), e.error()))?;
                file.as_file()
                    .sync_all()
                    .with_context(|| format!("cannot write {}", path.display()))?;
                file.persist(&path)
                    .map_err(|e| anyhow!("cannot write {}: {}", path.display(), e.error))?;
                Ok(())
            }
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Stdout(out) => out.write(buf),
            Sink::File(file, _) => file.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Sink::Stdout(out) => out.write_all(buf),
            Sink::File(file, _) => file.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Stdout(out) => out.flush(),
            Sink::File(file, _) => file.flush(),
        }
    }
}

/// Bytes to read, and read again.
pub trait ReadSeek: io::Read + io::Seek {}
impl<T: io::Read + io::Seek> ReadSeek for T {}

/// A result written out whole once it is complete, so that a run that fails
/// halfway writes none of it: kept in memory up to [`SPILL_AT`] bytes, and past
/// that in an unnamed temporary file (removed when closed), so that `ledger`
/// and `plan` over many accounts take disk for their output, not memory.
#[derive(Default)]
pub struct Spill {
    mem: Vec<u8>,
    file: Option<BufWriter<fs::File>>,
    /// No temporary file could be made: all of it stays in memory.
    in_memory: bool,
}

/// Bytes of output kept in memory before the rest goes to a temporary file.
const SPILL_AT: usize = 8 << 20;

impl From<Vec<u8>> for Spill {
    fn from(mem: Vec<u8>) -> Spill {
        Spill {
            mem,
            ..Spill::default()
        }
    }
}

impl Spill {
    /// All of it, to read from its start (and again, after a rewind).
    pub fn into_reader(self) -> io::Result<Box<dyn ReadSeek>> {
        Ok(match self.file {
            None => Box::new(io::Cursor::new(self.mem)),
            Some(file) => {
                let mut file = file.into_inner().map_err(|e| e.into_error())?;
                file.rewind()?;
                Box::new(file)
            }
        })
    }

    /// All of it, read back (for tests).
    #[cfg(test)]
    pub fn into_bytes(self) -> io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.into_reader()?.read_to_end(&mut bytes)?;
        Ok(bytes)
    }
}

impl Write for Spill {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        if self.file.is_none() && !self.in_memory && self.mem.len() + buf.len() > SPILL_AT {
            match tempfile::tempfile() {
                Ok(file) => {
                    let mut file = BufWriter::new(file);
                    file.write_all(&std::mem::take(&mut self.mem))?;
                    self.file = Some(file);
                }
                // (No writable temporary directory: memory, as it would be.)
                Err(_) => self.in_memory = true,
            }
        }
        match &mut self.file {
            Some(file) => file.write_all(buf),
            None => {
                self.mem.extend_from_slice(buf);
                Ok(())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().map_or(Ok(()), Write::flush)
    }
}

#[cfg(test)]
mod tests {
    use super::{Spill, SPILL_AT};
    use std::io::Write;

    /// What is written comes back byte for byte, whether it stayed in memory
    /// or went to the temporary file past the limit (in writes of several
    /// sizes, one crossing the limit).
    #[test]
    fn a_spill_keeps_every_byte_in_order() {
        for total in [0, 10, SPILL_AT, SPILL_AT + 1, 3 * SPILL_AT + 12_345] {
            let bytes: Vec<u8> = (0..total).map(|i| (i % 251) as u8).collect();
            let mut spill = Spill::default();
            let mut at = 0;
            for size in [1, 7, 4096, SPILL_AT / 3 + 5].iter().cycle() {
                if at == total {
                    break;
                }
                let end = (at + size).min(total);
                spill.write_all(&bytes[at..end]).unwrap();
                at = end;
            }
            assert_eq!(spill.file.is_some(), total > SPILL_AT, "{total}");
            assert!(spill.file.is_none() || spill.mem.is_empty(), "{total}");
            assert!(spill.into_bytes().unwrap() == bytes, "{total}");
        }
    }
}
