//! Tables for people: a grid drawn, fitted to the terminal's width, numbers
//! grouped; a CSV of any length drawn a chunk of rows at a time.

use comfy_table::{presets, CellAlignment, ColumnConstraint, ContentArrangement, Table, Width};

use super::*;

/// CSV (a header and rows) drawn as a table, read twice: once to lay the
/// table out, once to draw it a chunk of rows at a time, so that a table of
/// a million rows takes the memory of a few thousand. `secondary` names the
/// columns a table fitted to a narrow width leaves out first.
pub fn table_of_csv<R: io::Read + io::Seek>(
    mut csv: R,
    secondary: &[&str],
    counted: impl Fn(&[String]) -> Vec<bool>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    type Records<'r, R> = csv::StringRecordsIntoIter<&'r mut R>;
    fn records<R: io::Read>(csv: &mut R) -> anyhow::Result<(Vec<String>, Records<'_, R>)> {
        let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(csv);
        let headers = reader.headers()?.iter().map(String::from).collect();
        Ok((headers, reader.into_records()))
    }
    let row = |r: csv::Result<csv::StringRecord>| -> anyhow::Result<Vec<String>> {
        Ok(r?.iter().map(String::from).collect())
    };
    let (headers, rows) = records(&mut csv)?;
    let grid = Grid::new(&headers).secondary(secondary);
    let mut shape = TableShape::new(&grid.headers, &grid.secondary);
    shape.grouped = counted(&grid.headers);
    for r in rows {
        shape.see(&row(r)?);
    }
    csv.rewind()?;
    let (_, rows) = records(&mut csv)?;
    // (Stdout is line-buffered: a write per line of a long table otherwise.)
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    shape.write(rows.map(row), table_width(), &mut out)?;
    out.flush()?;
    Ok(())
}

/// A grid drawn as a table for people; numeric-looking columns align right.
/// The width tables are fitted to, set once by the binary (none: no limit).
static TABLE_WIDTH: std::sync::OnceLock<Option<u16>> = std::sync::OnceLock::new();

/// Fits every table of this run to `width` columns (`None`: no limit).
pub fn fit_tables_to(width: Option<u16>) {
    // Set once per run; a second call changes nothing.
    let _ = TABLE_WIDTH.set(width);
}

/// A grid drawn as a table for people, fitted to the run's width.
pub fn table(grid: &Grid) -> String {
    // (A table names the currency in its closing line, not in a column.)
    debug_assert!(
        grid.last.is_none(),
        "a table of a grid with a currency column"
    );
    let mut shape = TableShape::new(&grid.headers, &grid.secondary);
    let cells: Vec<Vec<String>> = grid
        .rows()
        .map(|row| shape.see(&row.iter().collect::<Vec<_>>()))
        .collect();
    shape.drawn(cells, table_width())
}

/// The width tables are fitted to (`None`: no limit).
fn table_width() -> Option<u16> {
    TABLE_WIDTH.get().copied().flatten()
}

/// Rows of a table drawn at a time: a table of more rows is laid out from
/// what [`TableShape::see`] saw of all of them and drawn this many rows at a
/// time, so that its memory does not grow with its rows.
const TABLE_CHUNK: usize = 4096;

/// What a table's columns hold, seen a row at a time (cells as shown, e.g.
/// [`grouped`]): enough to lay out a table of any number of rows.
struct TableShape {
    headers: Vec<String>,
    secondary: Vec<usize>,
    /// Per column: its numbers are shown with thousands separators (counts
    /// and money; not an account's number or a date of digits).
    grouped: Vec<bool>,
    rows: usize,
    /// Per column: every cell is a number, empty or `-`.
    numeric: Vec<bool>,
    /// Per column: its widest line, and the cell with its longest word (the
    /// widths as shown).
    widest: Vec<(usize, String)>,
    wordiest: Vec<(usize, String)>,
}

impl TableShape {
    fn new(headers: &[String], secondary: &[usize]) -> TableShape {
        let columns = headers.len();
        TableShape {
            headers: headers.to_vec(),
            secondary: secondary.to_vec(),
            grouped: vec![true; columns],
            rows: 0,
            numeric: vec![true; columns],
            widest: vec![(0, String::new()); columns],
            wordiest: vec![(0, String::new()); columns],
        }
    }

    /// Takes a row's cells into account, and gives them as the table shows
    /// them.
    fn see<S: AsRef<str>>(&mut self, row: &[S]) -> Vec<String> {
        self.rows += 1;
        let shown = self.shown(row);
        for (i, (cell, text)) in row.iter().zip(&shown).enumerate().take(self.headers.len()) {
            let cell = cell.as_ref();
            let number = cell.is_empty()
                || cell == "-"
                || cell.trim_start_matches('+').parse::<f64>().is_ok();
            self.numeric[i] &= number;
            let word = longest_word(text);
            if word > self.wordiest[i].0 {
                self.wordiest[i] = (word, text.clone());
            }
            let wide = text.lines().map(shown_width).max().unwrap_or(0);
            if wide > self.widest[i].0 {
                self.widest[i] = (wide, text.clone());
            }
        }
        // A row shorter than the header (never built so) makes no column numeric.
        for n in self.numeric.iter_mut().skip(row.len()) {
            *n = false;
        }
        shown
    }

    /// The table of `rows`, all the rows seen, fitted to `width`.
    fn drawn(&self, rows: Vec<Vec<String>>, width: Option<u16>) -> String {
        let (table, hidden) = self.laid_out(rows, width);
        format!("{table}\n{}", self.hidden_note(&hidden))
    }

    /// Column `i`'s width with its header on one line and its widest cell,
    /// padding included.
    fn whole_width(&self, i: usize) -> usize {
        let header = self
            .headers
            .get(i)
            .map_or(0, |h| h.lines().map(shown_width).max().unwrap_or(0));
        let cells = self.widest.get(i).map_or(0, |(wide, _)| *wide);
        header.max(cells) + 2
    }

    /// Whether column `i` holds numbers only (aligned right).
    fn numeric(&self, i: usize) -> bool {
        self.rows > 0 && self.numeric.get(i).copied().unwrap_or(false)
    }

    /// A comfy table of `rows`, in the style of every table, with the header
    /// if `header`, its numeric columns aligned right and their empty cells
    /// shown as `-` (a number that does not apply: no unit price where no
    /// call is billed, no cliff), as in every table.
    fn styled(&self, rows: Vec<Vec<String>>, header: bool) -> Table {
        let mut t = Table::new();
        t.load_style(presets::UTF8_FULL_CONDENSED);
        if header {
            t.set_header(self.headers.clone());
        }
        t.add_rows(rows.into_iter().map(|mut row| {
            for (i, cell) in row.iter_mut().enumerate() {
                if cell.is_empty() && self.numeric(i) {
                    cell.push('-');
                }
            }
            row
        }));
        for (i, column) in t.column_iter_mut().enumerate() {
            // A row longer than the header (never built so) gets a plain column.
            if self.numeric(i) {
                column.set_cell_alignment(CellAlignment::Right);
            }
        }
        t
    }

    /// A comfy table of `rows`, with the columns' alignment and constraints
    /// as every row seen asks for, and the columns left out to fit.
    fn laid_out(&self, rows: Vec<Vec<String>>, width: Option<u16>) -> (Table, Vec<usize>) {
        let mut t = self.styled(rows, true);
        // Fitted to a width, a column is never narrower than its longest word
        // (so a number or a date is never broken over lines): a numeric column
        // is exactly that wide, and text wraps at spaces. Widths count the
        // cell's padding, one space each side.
        let least: Vec<usize> = (self.headers.iter().zip(&self.wordiest))
            .map(|(h, (word, _))| longest_word(h).max(*word) + 2)
            .collect();
        let mut hidden = Vec::new();
        // A numeric column's header on one line (`unit price`) when the whole
        // table fits so, no cell wrapped; else its header wraps before any
        // text cell does.
        let mut headers_whole = false;
        if let Some(width) = width {
            t.set_width(width);
            t.set_content_arrangement(ContentArrangement::Dynamic);
            // Too narrow even so: leave out secondary columns, one at a time.
            let needed = |hidden: &[usize], whole: bool| {
                let shown: Vec<usize> = (0..least.len()).filter(|i| !hidden.contains(i)).collect();
                let column = |i: usize| match whole {
                    true => self.whole_width(i),
                    false => least[i],
                };
                shown.iter().map(|&i| column(i)).sum::<usize>() + shown.len() + 1
            };
            for &i in &self.secondary {
                if needed(&hidden, false) <= usize::from(width) {
                    break;
                }
                hidden.push(i);
            }
            headers_whole = needed(&hidden, true) <= usize::from(width);
        }
        for (i, column) in t.column_iter_mut().enumerate() {
            let numeric = self.numeric(i);
            let least = match headers_whole && numeric {
                true => self.whole_width(i),
                false => least.get(i).copied().unwrap_or(2),
            };
            let least = u16::try_from(least).unwrap_or(u16::MAX);
            if hidden.contains(&i) {
                column.set_constraint(ColumnConstraint::Hidden);
            } else if width.is_some() && numeric {
                column.set_constraint(ColumnConstraint::Absolute(Width::Fixed(least)));
            } else if width.is_some() {
                column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(least)));
            }
        }
        (t, hidden)
    }

    /// The note under a table that left columns out to fit the width.
    fn hidden_note(&self, hidden: &[usize]) -> String {
        if hidden.is_empty() {
            return String::new();
        }
        let names: Vec<&str> = hidden.iter().map(|&i| self.headers[i].as_str()).collect();
        format!(
            "(left out to fit the width: {}; --width 0, -f csv or -f json show every column)\n",
            names.join(", ")
        )
    }

    /// Draws the table of the rows seen, which `rows` gives again in order (as
    /// [`TableShape::see`] was given them),
    /// [`TABLE_CHUNK`] rows at a time: all of them at once when they are no
    /// more (the table [`TableShape::drawn`] draws); else the columns' widths
    /// are laid out from the widest and the wordiest cell of each, and each
    /// chunk is drawn at those widths, the borders between chunks left out.
    fn write<I>(&self, rows: I, width: Option<u16>, out: &mut dyn Write) -> anyhow::Result<()>
    where
        I: Iterator<Item = anyhow::Result<Vec<String>>>,
    {
        let mut rows = rows.map(|r| r.map(|r| self.shown(&r))).peekable();
        if self.rows <= TABLE_CHUNK {
            let all = rows.take(TABLE_CHUNK).collect::<anyhow::Result<Vec<_>>>()?;
            out.write_all(self.drawn(all, width).as_bytes())?;
            return Ok(());
        }
        let sample = vec![
            self.widest.iter().map(|(_, c)| c.clone()).collect(),
            self.wordiest.iter().map(|(_, c)| c.clone()).collect(),
        ];
        let (probe, hidden) = self.laid_out(sample, width);
        let widths = border_widths(&probe.to_string());
        let mut first = true;
        while rows.peek().is_some() {
            let chunk = rows
                .by_ref()
                .take(TABLE_CHUNK)
                .collect::<anyhow::Result<Vec<_>>>()?;
            let mut t = self.styled(chunk, first);
            let mut shown = widths.iter();
            for (i, column) in t.column_iter_mut().enumerate() {
                if hidden.contains(&i) {
                    column.set_constraint(ColumnConstraint::Hidden);
                } else if let Some(&w) = shown.next() {
                    column.set_constraint(ColumnConstraint::Absolute(Width::Fixed(w)));
                }
            }
            let last = rows.peek().is_none();
            let text = t.to_string();
            let mut lines: Vec<&str> = text.lines().collect();
            if !last {
                lines.pop();
            }
            for line in lines.into_iter().skip(usize::from(!first)) {
                out.write_all(line.as_bytes())?;
                out.write_all(b"\n")?;
            }
            first = false;
        }
        out.write_all(self.hidden_note(&hidden).as_bytes())?;
        Ok(())
    }

    /// A row's cells as the table shows them: the numbers of counted columns
    /// with thousands separators.
    fn shown<S: AsRef<str>>(&self, row: &[S]) -> Vec<String> {
        (row.iter().enumerate())
            .map(|(i, c)| match self.grouped.get(i) {
                Some(false) => c.as_ref().to_string(),
                _ => grouped(c.as_ref()),
            })
            .collect()
    }
}

/// The widths of a drawn table's columns, padding included, from its top
/// border (`┌──────┬────┐`).
fn border_widths(table: &str) -> Vec<u16> {
    let top = table.lines().next().unwrap_or_default();
    let inner = top.trim_start_matches('┌').trim_end_matches('┐');
    inner
        .split('┬')
        .map(|s| u16::try_from(s.chars().count()).unwrap_or(u16::MAX))
        .collect()
}

/// The display width of the longest space-separated word of `text` (as a
/// terminal shows it: a Chinese character is two columns).
fn longest_word(text: &str) -> usize {
    text.split_whitespace()
        .map(unicode_width::UnicodeWidthStr::width)
        .max()
        .unwrap_or(0)
}

/// [`grouped`] of any number (money or a count), for notes under tables.
pub fn num(x: impl std::fmt::Display) -> String {
    grouped(&x.to_string())
}

/// A number as people read it, with thousands separators (`53,940.00`,
/// `1,000,000`); anything else unchanged. Tables only: CSV and JSON keep plain
/// numbers.
pub fn grouped(cell: &str) -> String {
    // A difference written with its sign (`+13500.00`) as its number is.
    if let Some(rest) = cell.strip_prefix('+').filter(|r| !r.starts_with('-')) {
        if number_of(rest).is_some() {
            return format!("+{}", grouped(rest));
        }
    }
    if number_of(cell).is_none() {
        return cell.to_string();
    }
    let (sign, rest) = match cell.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", cell),
    };
    let (int, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut out = String::from(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// A table of more rows than are drawn at once is the table drawn whole
    /// when it is not fitted to a width: the same bytes, with wide
    /// characters, lines within cells and numbers. Fitted to a width, its
    /// layout comes from each column's widest and wordiest cells: every line
    /// is as wide, the same words are shown, and the same columns are left
    /// out.
    fn a_long_table_drawn_in_chunks_is_the_table_drawn_whole() {
        let headers: Vec<String> = ["account", "name", "calls", "amount", "tier"]
            .map(String::from)
            .to_vec();
        let names = [
            "通用证照识别",
            "a b c",
            "two words here",
            "",
            "x\ny",
            "长 名字 很长的名字",
            "a b c d e f g h i j k l m n o p",
            "abcdefghijklmnopq",
        ];
        let rows: Vec<Vec<String>> = (0..TABLE_CHUNK * 2 + 17)
            .map(|i| {
                vec![
                    format!("acct{:06}", i * 7919 % 100_003),
                    names[i * i % names.len()].to_string(),
                    (i * i % 1_000_003).to_string(),
                    format!("{}.{:02}", i * 31 % 99_991, i % 100),
                    if i % 5 == 0 {
                        String::new()
                    } else {
                        (i % 4).to_string()
                    },
                ]
            })
            .collect();
        let words = |t: &str| -> Vec<String> {
            let mut words: Vec<String> = t
                .split(|c: char| c == '│' || c == '┆' || c.is_whitespace())
                .filter(|w| !w.is_empty() && !w.starts_with(['┌', '╞', '└']))
                .map(String::from)
                .collect();
            words.sort();
            words
        };
        for width in [None, Some(200), Some(60), Some(40), Some(24)] {
            let mut shape = TableShape::new(&headers, &[4, 2]);
            let shown: Vec<Vec<String>> = rows.iter().map(|r| shape.see(r)).collect();
            let whole = shape.drawn(shown, width);
            let mut chunked = Vec::new();
            shape
                .write(rows.iter().cloned().map(Ok), width, &mut chunked)
                .unwrap();
            let chunked = String::from_utf8(chunked).unwrap();
            if width.is_none() {
                assert_eq!(chunked, whole);
                continue;
            }
            let table_lines = |t: &str| -> Vec<usize> {
                let mut w: Vec<usize> = t
                    .lines()
                    .filter(|l| !l.starts_with('('))
                    .map(shown_width)
                    .collect();
                w.dedup();
                w
            };
            assert_eq!(table_lines(&chunked).len(), 1, "width {width:?}");
            assert_eq!(words(&chunked), words(&whole), "width {width:?}");
            let note = |t: &str| t.lines().last().map(String::from);
            assert_eq!(note(&chunked), note(&whole), "width {width:?}");
        }
    }

    /// A numeric column's header is on one line when the whole table fits
    /// so; a width one narrower wraps that header, not a text cell.
    #[test]
    fn a_numeric_header_wraps_only_when_the_table_would_not_fit() {
        let headers: Vec<String> = ["api", "tier reached", "unit price"]
            .map(String::from)
            .to_vec();
        let row = ["idcard", "2 (1000 < n ≤ 10000)", "0.15"].map(String::from);
        let drawn = |width: u16| {
            let mut shape = TableShape::new(&headers, &[]);
            let shown = vec![shape.see(&row)];
            shape.drawn(shown, Some(width))
        };
        let natural = {
            let mut shape = TableShape::new(&headers, &[]);
            let shown = vec![shape.see(&row)];
            shape.drawn(shown, None)
        };
        let width = natural.lines().map(shown_width).max().unwrap();
        for room in [width, width + 1, 200] {
            let t = drawn(u16::try_from(room).unwrap());
            assert_eq!(t, natural, "width {room}");
            assert!(t.contains("┆ unit price │"), "width {room}:\n{t}");
        }
        let t = drawn(u16::try_from(width - 1).unwrap());
        assert!(t.contains("┆  unit │") && t.contains("┆ price │"), "{t}");
        assert!(t.contains("2 (1000 < n ≤ 10000)"), "{t}");
    }

    #[test]
    fn table_numbers_are_grouped_with_their_sign() {
        for (cell, want) in [
            ("13500.00", "13,500.00"),
            ("+13500.00", "+13,500.00"),
            ("-1234567", "-1,234,567"),
            ("+0.00", "+0.00"),
            ("+-5", "+-5"),
            ("+abc", "+abc"),
            ("idcard", "idcard"),
        ] {
            assert_eq!(grouped(cell), want, "{cell}");
        }
    }
}
