//! Where results go: stdout, or a file given with `-o`, written atomically (a
//! temporary file beside it, renamed into place when complete), so that a run
//! that fails leaves no half-written file and never an input overwritten.

use std::fs;
use std::io::{self, BufWriter, Write};
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
