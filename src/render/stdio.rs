//! Writing to stdout and stderr: a closed pipe is no error, a closed
//! descriptor is; diagnostics a block at a time, long values shortened.

use super::*;

/// Writes bytes to stdout; a closed pipe is not an error, a closed or full
/// stdout is.
pub fn emit(bytes: &[u8]) -> io::Result<()> {
    stdout_is_open()?;
    let mut out = io::stdout().lock();
    quiet_on_closed_pipe(out.write_all(bytes).and_then(|_| out.flush()))
}

/// Whether stdout was closed when ocr-bill started (see `main`).
static STDOUT_WAS_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Notes which standard descriptors the caller closed and puts `/dev/null` in
/// their place (so that no file opened later takes their number), and ignores
/// SIGPIPE so that a closed pipe is an error to handle, as Rust's start-up does.
#[cfg(all(unix, not(test)))]
pub fn claim_standard_descriptors() {
    for fd in 0..=2 {
        // SAFETY: fcntl(F_GETFD) only asks whether the descriptor is open.
        let closed = unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1;
        if closed {
            if fd == 1 {
                STDOUT_WAS_CLOSED.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            // SAFETY: opening /dev/null; the lowest free number is `fd`.
            unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
        }
    }
    // SAFETY: setting a signal's disposition to "ignore".
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}

/// Fails when stdout was closed (`>&-`): what is written would vanish without
/// a word.
pub fn stdout_is_open() -> io::Result<()> {
    if STDOUT_WAS_CLOSED.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(io::Error::other(
            "stdout is closed; nothing would be written",
        ));
    }
    Ok(())
}

/// Writes a diagnostic line to stderr, reporting (not panicking on) a failure;
/// a value it quotes is shortened when long (see [`clipped`]).
pub fn diagnostic(line: &str) -> io::Result<()> {
    let mut err = io::stderr().lock();
    writeln!(err, "{}", clipped(line)).and_then(|_| err.flush())
}

/// Diagnostic lines written to stderr a block at a time (a line each to a
/// terminal, where someone reads them as they come), each as [`diagnostic`]
/// writes it: a file of many bad rows is reported in a few writes, not one
/// a row. What is held is written by [`Diagnostics::flush`], which the
/// holder calls before anything else is written to stderr.
#[derive(Default)]
pub struct Diagnostics {
    held: String,
    /// Stderr is a terminal (asked once, at the first line).
    terminal: Option<bool>,
}

impl Diagnostics {
    /// Bytes held before they are written.
    const BLOCK: usize = 64 * 1024;

    /// Adds a line, written now if stderr is a terminal or the block is full.
    pub fn line(&mut self, line: &str) -> io::Result<()> {
        self.held.push_str(&clipped(line));
        self.held.push('\n');
        let terminal = *self
            .terminal
            .get_or_insert_with(|| io::IsTerminal::is_terminal(&io::stderr()));
        match terminal || self.held.len() >= Self::BLOCK {
            true => self.flush(),
            false => Ok(()),
        }
    }

    /// Writes the lines held.
    pub fn flush(&mut self) -> io::Result<()> {
        if self.held.is_empty() {
            return Ok(());
        }
        let mut err = io::stderr().lock();
        let written = err
            .write_all(self.held.as_bytes())
            .and_then(|_| err.flush());
        self.held.clear();
        written
    }
}

/// Quoted values longer than this are shortened in diagnostics.
const QUOTED_CHARS: usize = 200;

/// `line` with each quoted value (`'…'`) of more than 200 characters cut to its
/// first 60 and its length (`'xxxx…' (2000000 characters)`): a cell of
/// megabytes named in an error leaves the error one readable line.
fn clipped(line: &str) -> std::borrow::Cow<'_, str> {
    if line.len() <= QUOTED_CHARS {
        return line.into();
    }
    // Most lines quote short values: told from the quotes' places alone.
    let mut quotes = memchr::memchr_iter(b'\'', line.as_bytes());
    let mut any_long = false;
    while let Some(open) = quotes.next() {
        let close = quotes.next().unwrap_or(line.len());
        if close - open > QUOTED_CHARS {
            any_long = true;
            break;
        }
    }
    if !any_long {
        return line.into();
    }
    // (A piece past an odd number of quotes is inside a pair.)
    let long = |i: usize, p: &str| i % 2 == 1 && p.chars().count() > QUOTED_CHARS;
    let mut out = String::with_capacity(line.len().min(1024));
    let mut length = None;
    for (i, piece) in line.split('\'').enumerate() {
        if i > 0 {
            out.push('\'');
        }
        if let Some(n) = length.take() {
            out.push_str(&format!(" ({n} characters)"));
        }
        if long(i, piece) {
            out.extend(piece.chars().take(60));
            out.push('…');
            length = Some(piece.chars().count());
        } else {
            out.push_str(piece);
        }
    }
    // (A long value whose quote is never closed ends the line.)
    if let Some(n) = length {
        out.push_str(&format!(" ({n} characters)"));
    }
    out.into()
}

/// Turns a closed pipe (`| head -1`) into success.
pub fn quiet_on_closed_pipe(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_quoted_values_are_clipped() {
        let long = "x".repeat(5000);
        let (x60, wide) = ("x".repeat(60), "账".repeat(300));
        let cases = [
            (
                format!("error: line 2: unknown API '{long}'; expected one of: a, b"),
                format!(
                    "error: line 2: unknown API '{x60}…' (5000 characters); expected one of: a, b"
                ),
            ),
            // A value at the end, several values, characters beyond ASCII.
            (
                format!("a '{wide}' b 'short' c '{long}'"),
                format!(
                    "a '{}…' (300 characters) b 'short' c '{x60}…' (5000 characters)",
                    "账".repeat(60)
                ),
            ),
            // A quote never closed.
            (
                format!("error: '{long}"),
                format!("error: '{x60}… (5000 characters)"),
            ),
        ];
        for (line, want) in cases {
            assert_eq!(clipped(&line), want);
        }
        // Short values, and long lines of short values, are left alone.
        for line in [
            "error: 'abc'",
            &format!("{long} 'abc' {long}"),
            &format!("'{}'", "y".repeat(200)),
            // 300 bytes, but 100 characters.
            &format!("error: line 2: '{}' and more text", "账".repeat(100)),
        ] {
            assert_eq!(clipped(line), line);
        }
    }
}
