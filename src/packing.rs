//! The packer of the built-in price lists: TOML text to the packed form that
//! `src/packed.rs` reads at each start. Used by `build.rs` (as a module of
//! its own, by path) and by the reader's tests.

/// TOML `text`, packed: its root table (see [`pack_value`]).
pub fn pack(text: &str) -> Result<Vec<u8>, String> {
    let root = toml::de::DeTable::parse(text).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    pack_table(&mut out, root.get_ref(), root.span())?;
    Ok(out)
}

/// The packed form (read by `src/packed.rs`): each value is a tag byte, its
/// span in the TOML text (two counts), then
/// - `S`: a string, its length and its bytes (a float is its text as
///   written, the decimal it is read as);
/// - `I`: an integer, i64 little-endian;
/// - `B`: a boolean, one byte;
/// - `A`: an array, its count and the values;
/// - `T`: a table, its count and, for each entry, its key (length, bytes)
///   and its value.
///
/// A count or length is written 7 bits a byte, low bits first, the top bit
/// set on each byte but the last (LEB128).
fn pack_value(
    out: &mut Vec<u8>,
    value: &toml::Spanned<toml::de::DeValue<'_>>,
) -> Result<(), String> {
    use toml::de::DeValue;
    let span = value.span();
    match value.get_ref() {
        DeValue::String(s) => pack_text(out, b'S', span, s),
        DeValue::Float(f) => pack_text(out, b'S', span, f.as_str()),
        DeValue::Integer(i) => {
            let n = i64::from_str_radix(i.as_str(), i.radix())
                .map_err(|e| format!("the integer {}: {e}", i.as_str()))?;
            head(out, b'I', span);
            out.extend_from_slice(&n.to_le_bytes());
        }
        DeValue::Boolean(b) => {
            head(out, b'B', span);
            out.push(u8::from(*b));
        }
        DeValue::Array(items) => {
            head(out, b'A', span);
            count(out, items.len());
            for item in items.iter() {
                pack_value(out, item)?;
            }
        }
        DeValue::Table(table) => pack_table(out, table, span)?,
        DeValue::Datetime(d) => {
            return Err(format!(
                "the date {d}: a built-in price list holds no dates (write it as a string)"
            ))
        }
    }
    Ok(())
}

fn pack_table(
    out: &mut Vec<u8>,
    table: &toml::de::DeTable<'_>,
    span: std::ops::Range<usize>,
) -> Result<(), String> {
    head(out, b'T', span);
    count(out, table.len());
    for (key, value) in table.iter() {
        count(out, key.get_ref().len());
        out.extend_from_slice(key.get_ref().as_bytes());
        pack_value(out, value)?;
    }
    Ok(())
}

fn pack_text(out: &mut Vec<u8>, tag: u8, span: std::ops::Range<usize>, text: &str) {
    head(out, tag, span);
    count(out, text.len());
    out.extend_from_slice(text.as_bytes());
}

fn head(out: &mut Vec<u8>, tag: u8, span: std::ops::Range<usize>) {
    out.push(tag);
    count(out, span.start);
    count(out, span.end);
}

fn count(out: &mut Vec<u8>, n: usize) {
    let mut n = u32::try_from(n).expect("a built-in price list of less than 4 GB");
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}
