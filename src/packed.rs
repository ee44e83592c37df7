//! The built-in price lists as `build.rs` packs them: the values of each
//! edition's TOML, parsed at build time, read back through serde at each
//! start into the same raw price list the TOML gives (a test reads every
//! edition both ways), in a third of the instructions (issue #14, callgrind:
//! the default edition 0.34 → 0.12 million, edition `e` 1.77 → 0.65).
//!
//! The form is described in `src/packing.rs` (`pack_value`). Each value keeps its
//! span in the edition's TOML text, so that an error points where the TOML
//! parse would have.

use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// Why packed bytes could not be read as what was asked: a message, and the
/// span of the value it is about.
#[derive(Debug)]
pub(crate) struct PackedError {
    pub(crate) message: String,
    pub(crate) span: Option<std::ops::Range<usize>>,
}

impl fmt::Display for PackedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PackedError {}

impl de::Error for PackedError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        PackedError {
            message: msg.to_string(),
            span: None,
        }
    }
}

/// Reads `T` from packed bytes, each span moved `shift` bytes on (to tell a
/// built-in edition's values from a pricing file's once merged).
pub(crate) fn from_packed<'de, T: Deserialize<'de>>(
    bytes: &'de [u8],
    shift: usize,
) -> Result<T, PackedError> {
    let mut cursor = Cursor {
        bytes,
        at: 0,
        shift,
    };
    let value = T::deserialize(Value(&mut cursor))?;
    if cursor.at != bytes.len() {
        return Err(de::Error::custom("packed bytes after the price list"));
    }
    Ok(value)
}

/// Where reading is in the packed bytes.
struct Cursor<'de> {
    bytes: &'de [u8],
    at: usize,
    /// Added to each span.
    shift: usize,
}

/// A value's tag and span.
struct Head {
    tag: u8,
    span: std::ops::Range<usize>,
}

impl<'de> Cursor<'de> {
    fn take(&mut self, n: usize) -> Result<&'de [u8], PackedError> {
        let bytes = self
            .bytes
            .get(self.at..self.at + n)
            .ok_or_else(|| de::Error::custom("packed bytes cut short"))?;
        self.at += n;
        Ok(bytes)
    }

    /// A count or length, 7 bits a byte (see `src/packing.rs`).
    fn count(&mut self) -> Result<usize, PackedError> {
        let mut n = 0usize;
        for shift in (0..32).step_by(7) {
            let byte = self.take(1)?[0];
            n |= usize::from(byte & 0x7F) << shift;
            if byte < 0x80 {
                return Ok(n);
            }
        }
        Err(de::Error::custom("a packed count of more than 32 bits"))
    }

    fn head(&mut self) -> Result<Head, PackedError> {
        let tag = self.take(1)?[0];
        let start = self.count()? + self.shift;
        let end = self.count()? + self.shift;
        Ok(Head {
            tag,
            span: start..end,
        })
    }

    /// The next value's head, not taken.
    fn peek(&mut self) -> Result<Head, PackedError> {
        let at = self.at;
        let head = self.head();
        self.at = at;
        head
    }

    fn text(&mut self) -> Result<&'de str, PackedError> {
        let len = self.count()?;
        std::str::from_utf8(self.take(len)?).map_err(de::Error::custom)
    }

    /// Steps over one value.
    fn skip(&mut self) -> Result<(), PackedError> {
        let head = self.head()?;
        match head.tag {
            b'S' => self.text().map(drop),
            b'I' => self.take(8).map(drop),
            b'B' => self.take(1).map(drop),
            b'A' => (0..self.count()?).try_for_each(|_| self.skip()),
            b'T' => (0..self.count()?).try_for_each(|_| {
                self.text()?;
                self.skip()
            }),
            tag => Err(bad_tag(tag)),
        }
    }
}

fn bad_tag(tag: u8) -> PackedError {
    de::Error::custom(format!("packed bytes hold an unknown tag {tag}"))
}

/// The next value of the packed bytes, as a serde deserializer.
struct Value<'a, 'de>(&'a mut Cursor<'de>);

impl<'de> IntoDeserializer<'de, PackedError> for Value<'_, 'de> {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

/// An error with the span of its value, unless it has one already.
fn at(span: std::ops::Range<usize>) -> impl FnOnce(PackedError) -> PackedError {
    move |mut e| {
        e.span.get_or_insert(span);
        e
    }
}

impl<'de> de::Deserializer<'de> for Value<'_, 'de> {
    type Error = PackedError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PackedError> {
        let cursor = self.0;
        let head = cursor.head()?;
        let span = head.span.clone();
        match head.tag {
            b'S' => {
                let text = cursor.text()?;
                visitor.visit_borrowed_str(text)
            }
            b'I' => {
                let bytes = cursor.take(8)?.try_into().expect("8 bytes");
                visitor.visit_i64(i64::from_le_bytes(bytes))
            }
            b'B' => visitor.visit_bool(cursor.take(1)?[0] != 0),
            tag @ (b'A' | b'T') => {
                let left = cursor.count()?;
                let key = tag == b'T';
                let mut items = Items { cursor, left, key };
                let value = if key {
                    visitor.visit_map(&mut items)
                } else {
                    visitor.visit_seq(&mut items)
                }?;
                items.finish()?;
                Ok(value)
            }
            tag => Err(bad_tag(tag)),
        }
        .map_err(at(span))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PackedError> {
        // (A value absent is a key absent: a present one is some.)
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, PackedError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, PackedError> {
        if serde_spanned::de::is_spanned(name) {
            let span = self.0.peek()?.span;
            return visitor.visit_map(serde_spanned::de::SpannedDeserializer::new(self, span));
        }
        self.deserialize_any(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, PackedError> {
        let head = self.0.head()?;
        match head.tag {
            b'S' => {
                let text = self.0.text()?;
                visitor
                    .visit_enum(de::value::BorrowedStrDeserializer::new(text))
                    .map_err(at(head.span))
            }
            _ => Err(at(head.span)(de::Error::custom(
                "a word in quotes was expected",
            ))),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map identifier
        ignored_any
    }
}

/// The values of an array, or the entries of a table, being read.
struct Items<'a, 'de> {
    cursor: &'a mut Cursor<'de>,
    left: usize,
    /// A table: each value follows its key.
    key: bool,
}

impl Items<'_, '_> {
    /// Steps over what the visitor left unread.
    fn finish(&mut self) -> Result<(), PackedError> {
        while self.left > 0 {
            self.left -= 1;
            if self.key {
                self.cursor.text()?;
            }
            self.cursor.skip()?;
        }
        Ok(())
    }
}

impl<'de> SeqAccess<'de> for &mut Items<'_, 'de> {
    type Error = PackedError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, PackedError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(Value(self.cursor)).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

impl<'de> MapAccess<'de> for &mut Items<'_, 'de> {
    type Error = PackedError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, PackedError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let key = self.cursor.text()?;
        seed.deserialize(de::value::BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, PackedError> {
        seed.deserialize(Value(self.cursor))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;
    use toml::Spanned;

    use super::from_packed;
    use crate::packing::pack;

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        name: Spanned<String>,
        price: String,
        count: i64,
        hex: u8,
        big: u64,
        on: bool,
        off: Option<bool>,
        missing: Option<String>,
        word: Word,
        list: Vec<Spanned<i64>>,
        tables: Vec<Inner>,
        map: BTreeMap<String, Spanned<Inner>>,
        #[serde(default)]
        nested: Vec<Vec<String>>,
    }

    #[derive(Deserialize, Debug, PartialEq)]
    struct Inner {
        a: Option<i64>,
        b: Option<String>,
    }

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "kebab-case")]
    enum Word {
        OnePart,
        Other,
    }

    const TEXT: &str = r#"
name = "身份证 \"ID\""   # a comment
price = 1.50
count = -31
hex = 0x1F
big = 1_000_000
on = true
off = false
word = "one-part"
list = [1, 2,
  3]
nested = [["x"], [], ['y', "z"]]
[[tables]]
a = 1
[[tables]]
b = 'two'
[map.first]
a = 7
[map."se cond"]
b = "8"
"#;

    /// What the TOML deserializer reads, the packed form reads: every kind of
    /// value, the spans of spanned ones, absent and present options, a word.
    #[test]
    fn a_packed_document_reads_as_its_toml() {
        let packed = pack(TEXT).unwrap();
        let read: Doc = from_packed(&packed, 0).unwrap();
        // (A float is read as the text it is written as: the decimal.)
        let parsed: Doc = toml::from_str(&TEXT.replace("1.50", "\"1.50\"")).unwrap();
        assert_eq!(read.price, "1.50");
        assert_eq!((read.count, read.hex), (-31, 31));
        assert_eq!(read, parsed);
        assert_eq!(read.name.span(), parsed.name.span());
        assert_eq!(&TEXT[read.name.span()], "\"身份证 \\\"ID\\\"\"");
        let items: Vec<&str> = read.list.iter().map(|v| &TEXT[v.span()]).collect();
        assert_eq!(items, ["1", "2", "3"]);
        assert_eq!(&TEXT[read.map["se cond"].span()], "[map.\"se cond\"]");
    }

    /// Fields a type does not know are refused as the TOML deserializer
    /// refuses them, with the span of where they are; the bytes after a value
    /// left unread are stepped over.
    #[test]
    fn unknown_fields_and_cut_bytes_are_errors_not_garbage() {
        #[derive(Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        struct Strict {
            #[allow(dead_code)]
            a: i64,
        }
        let text = "a = 1\nz = [1, {b = 2}]\n";
        let e = from_packed::<Strict>(&pack(text).unwrap(), 0).unwrap_err();
        assert!(e.message.contains("unknown field `z`"), "{}", e.message);
        // A type that reads only some of a table's entries and ignores the rest.
        #[derive(Deserialize, Debug, PartialEq)]
        struct Loose {
            a: i64,
            c: String,
        }
        let loose: Loose =
            from_packed(&pack("a = 1\nz = [1, {b = 2}]\nc = 'x'\n").unwrap(), 0).unwrap();
        assert_eq!(
            loose,
            Loose {
                a: 1,
                c: "x".into()
            }
        );
        let packed = pack(text).unwrap();
        for cut in 0..packed.len() {
            assert!(
                from_packed::<Loose>(&packed[..cut], 0).is_err(),
                "cut at {cut}"
            );
        }
    }
}
