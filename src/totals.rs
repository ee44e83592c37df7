//! Rows of a usage file that are not usage, read past and told: a spreadsheet's
//! totals and subtotal rows, notes below a table, and a bill's rows of other
//! products or of prepaid purchases.

use crate::records::Record;

/// Words a note below a table starts with (`备注`, `数据来源`, `Note`).
const NOTE_WORDS: [&str; 9] = [
    "备注",
    "注",
    "说明",
    "数据来源",
    "来源",
    "制表",
    "note",
    "source",
    "remark",
];

/// The words that make a row a spreadsheet's totals row (`合计,,,9000`), compared
/// trimmed, without a closing colon, ASCII case-insensitively.
const TOTALS_WORDS: [&str; 16] = [
    "合计",
    "总计",
    "小计",
    "汇总",
    "总和",
    "合計",
    "總計",
    "小計",
    "彙總",
    "total",
    "totals",
    "subtotal",
    "sub-total",
    "grand total",
    "grandtotal",
    "sum",
];

/// The totals word a cell holds, if it holds nothing else.
#[inline]
pub fn totals_word(cell: &[u8]) -> Option<&'static str> {
    // Most cells are told apart by their first byte: a word's first (UTF-8
    // of 合总小汇總彙, or t, s, g), or a space before it (an ideographic
    // space's is 0xE3).
    let first = *cell.first()?;
    if cell.len() > 16
        || !matches!(
            first.to_ascii_lowercase(),
            0xE3 | 0xE5..=0xE7 | b't' | b's' | b'g' | b' ' | b'\t'
        )
    {
        return None;
    }
    word_of(cell)
}

/// The words a spreadsheet writes after a group's label in its subtotal
/// rows: Excel's and WPS's Subtotal (分类汇总) and pivot tables, `1001 汇总`
/// (`1001 合計` in Traditional Chinese, `1001 Total` in English).
const SUBTOTAL_WORDS: [&str; 7] = ["汇总", "合计", "小计", "彙總", "合計", "小計", "total"];

/// The subtotal word of a cell holding a group's label, a space and the
/// word (`1001 汇总`, `acme Total`): it makes a subtotal only of a row of
/// nothing else but counts (see [`Record::totals_word`]), since a name may
/// end so.
fn labelled_subtotal_word(cell: &[u8]) -> Option<&'static str> {
    let text = std::str::from_utf8(cell).ok()?.trim();
    let (label, word) = text.rsplit_once([' ', '\u{3000}'])?;
    if label.trim().is_empty() {
        return None;
    }
    SUBTOTAL_WORDS
        .into_iter()
        .find(|w| w.eq_ignore_ascii_case(word))
}

/// A cell that holds a count of calls.
pub(crate) fn holds_count(cell: &[u8]) -> bool {
    let text = String::from_utf8_lossy(cell);
    !text.trim().is_empty() && crate::parse_count(text.trim()).is_ok()
}

#[inline(never)]
fn word_of(cell: &[u8]) -> Option<&'static str> {
    let text = std::str::from_utf8(cell).ok()?.trim();
    let text = text
        .strip_suffix(':')
        .or_else(|| text.strip_suffix('：'))
        .unwrap_or(text)
        .trim_end();
    TOTALS_WORDS
        .into_iter()
        .find(|w| w.eq_ignore_ascii_case(text))
}

/// A row of a bill's details that is no OCR usage, with the cell that says so.
pub enum LeftOut<'a> {
    /// Another product's (its product).
    Product(std::borrow::Cow<'a, str>),
    /// A prepaid purchase, a pack's (its billing mode).
    Purchase(std::borrow::Cow<'a, str>),
}

/// Rows of totals read past (a spreadsheet's `合计` row is no usage: ocr-bill
/// sums the rows itself): how many, and the first one's line and word.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TotalsRows {
    /// Rows read past.
    pub count: u64,
    /// The first one's line and the word it holds.
    pub first: Option<(u64, &'static str)>,
    /// Rows of other products than OCR read past (a bill's details hold every
    /// product's rows).
    pub other_products: u64,
    /// The first few products those rows name.
    pub products: Vec<String>,
    /// Rows of prepaid purchases read past (a bill's details hold the packs
    /// bought beside the usage).
    pub purchases: u64,
    /// The billing modes those rows name.
    pub modes: Vec<String>,
}

impl TotalsRows {
    /// Counts a totals row.
    pub fn add(&mut self, line: u64, word: &'static str) {
        self.count += 1;
        if self.first.is_none_or(|(first, _)| line < first) {
            self.first = Some((line, word));
        }
    }

    /// Counts a row that is no OCR usage.
    pub fn add_left_out(&mut self, row: &LeftOut<'_>) {
        match row {
            LeftOut::Product(product) => {
                self.other_products += 1;
                name(&mut self.products, product.trim());
            }
            LeftOut::Purchase(mode) => {
                self.purchases += 1;
                name(&mut self.modes, mode.trim());
            }
        }
    }

    /// Why a file is refused whose every row (`rows` read as usage: none)
    /// is another product's than OCR: its product column (named `column`) is
    /// likely not Tencent Cloud's product (a reseller's own products), and a
    /// bill of nothing would hide it.
    pub(crate) fn only_other_products(&self, rows: u64, column: Option<&str>) -> Option<String> {
        (self.other_products > 0 && rows == 0).then(|| {
            format!(
                "no row is OCR's (文字识别): the product column{} names only other products \
                 ({}); if it is not Tencent Cloud's product, rename it",
                column.map(|c| format!(" '{c}'")).unwrap_or_default(),
                self.products.join(", ")
            )
        })
    }

    /// Counts another part's totals rows.
    pub fn merge(&mut self, other: &TotalsRows) {
        if let Some((line, word)) = other.first {
            self.add(line, word);
            self.count += other.count - 1;
        }
        self.other_products += other.other_products;
        for p in &other.products {
            name(&mut self.products, p);
        }
        self.purchases += other.purchases;
        for m in &other.modes {
            name(&mut self.modes, m);
        }
    }

    /// What to tell people, when rows were read past.
    ///
    /// ```
    /// let mut t = ocr_bill::TotalsRows::default();
    /// t.add(5, "合计");
    /// assert_eq!(t.note().unwrap(), "line 5 is a totals row (合计), not usage: left out, as ocr-bill sums the rows itself");
    /// ```
    pub fn note(&self) -> Option<String> {
        let rows = |n: u64, of: &str, names: &[String], what: &str| {
            (n > 0).then(|| {
                format!(
                    "{} of {of} ({}{}) {} {what}",
                    crate::words::counted(n, "row"),
                    names.join(", "),
                    if names.len() == NAMES_KEPT {
                        ", …"
                    } else {
                        ""
                    },
                    if n == 1 { "is" } else { "are" }
                )
            })
        };
        let notes: Vec<String> = [
            self.first.map(|(line, word)| self.totals_note(line, word)),
            rows(
                self.other_products,
                "other products",
                &self.products,
                "not OCR usage: left out",
            ),
            rows(
                self.purchases,
                "prepaid purchases",
                &self.modes,
                "not usage: left out (give the packs bought with --packs)",
            ),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!notes.is_empty()).then(|| notes.join("; "))
    }

    fn totals_note(&self, line: u64, word: &str) -> String {
        if self.count == 1 {
            format!(
                "line {line} is a totals row ({word}), not usage: left out, as ocr-bill sums \
                 the rows itself"
            )
        } else {
            format!(
                "{} totals rows ({word}, the first on line {line}) are not usage: left out, \
                 as ocr-bill sums the rows itself",
                self.count
            )
        }
    }
}

/// Other products, or billing modes, named in a note, at most.
const NAMES_KEPT: usize = 5;

/// Keeps a name for a note, if there is room and it is new.
fn name(names: &mut Vec<String>, name: &str) {
    if names.len() < NAMES_KEPT && !names.iter().any(|n| n == name) {
        names.push(name.to_string());
    }
}

/// Whether a record is usage, or a row read past.
impl<'a> Record<'a> {
    /// Why the record is no OCR usage, if its product (`产品名称`) is
    /// another's or its billing mode (`计费模式`) a prepaid purchase's, by
    /// the columns `not` the file has.
    #[inline]
    pub fn not_usage(&self, not: crate::columns::NotUsage) -> Option<LeftOut<'a>> {
        if not.none() {
            return None;
        }
        self.left_out(not)
    }

    fn left_out(&self, not: crate::columns::NotUsage) -> Option<LeftOut<'a>> {
        let cell = |c: Option<usize>| Some(String::from_utf8_lossy(self.get(c?)?));
        if let Some(product) = cell(not.product).filter(|p| !crate::columns::is_ocr_product(p)) {
            return Some(LeftOut::Product(product));
        }
        cell(not.mode)
            .filter(|m| crate::columns::is_prepaid_mode(m))
            .map(LeftOut::Purchase)
    }

    /// The word of a totals row (`合计,,,9000`, `Total,idcard,9000`): a cell of
    /// the record that holds only a word for a total, or, as a spreadsheet's
    /// subtotals are written, a group's label and the word with nothing else
    /// in the row but counts (`1001 汇总,,,9000`, `acme Total,,,9000`). Such a
    /// row is no usage.
    pub fn totals_word(&self) -> Option<&'static str> {
        self.iter()
            .find_map(totals_word)
            .or_else(|| self.labelled_subtotal())
    }

    /// The subtotal word of a row of a group's label and the word, its other
    /// cells empty or counts (the subtotals): a note beside a row of usage
    /// (`Q1 Total`) makes no subtotal of it.
    fn labelled_subtotal(&self) -> Option<&'static str> {
        let mut word = None;
        for cell in self.iter().filter(|c| !c.trim_ascii().is_empty()) {
            match (word, labelled_subtotal_word(cell)) {
                (None, Some(w)) => word = Some(w),
                _ if holds_count(cell) => {}
                _ => return None,
            }
        }
        word
    }

    /// The word of a totals row whose account cell (column `account`, if the
    /// file has one) holds one: `合计,2026-01,idcard,9000` would otherwise be
    /// billed as an account's usage.
    #[inline]
    pub fn account_totals_word(&self, account: Option<usize>) -> Option<&'static str> {
        let a = account.filter(|&a| a < self.len())?;
        totals_word(self.field(a))
    }

    /// Why a row that cannot be read is no usage, when its first cell is its
    /// only one and reads as a note (`备注：数据来源…`, `Source: console`
    /// below a table): said after the row's error.
    pub fn note_hint(&self) -> Option<String> {
        let first = std::str::from_utf8(self.field(0)).ok()?.trim();
        let alone = (1..self.len()).all(|i| self.field(i).trim_ascii().is_empty());
        let lower = first.to_lowercase();
        let note = first.contains(['：', ':']) || NOTE_WORDS.iter().any(|w| lower.starts_with(w));
        (alone && note).then(|| {
            format!(" (the row holds only '{first}': a note below the table? delete the row)")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::RecordReader;

    #[test]
    fn a_totals_word_is_a_cell_that_says_only_total() {
        for cell in [
            "合计",
            " 合计：",
            "\u{3000}合计",
            "总计:",
            "小计",
            "Total",
            "TOTAL ",
            "Grand Total",
            "sum",
        ] {
            assert!(totals_word(cell.as_bytes()).is_some(), "{cell}");
        }
        for cell in [
            "",
            "合计数",
            "totals2",
            "acct1",
            "total calls",
            "2026-01",
            "9000",
            "summary",
        ] {
            assert_eq!(totals_word(cell.as_bytes()), None, "{cell}");
        }
        // A group's label before the word, as a spreadsheet's subtotals
        // write it, in a row that cannot be read as usage.
        let fields = |cells: &[&str]| {
            let raw = cells.join(",");
            let mut reader = RecordReader::new(raw.as_bytes());
            let record = reader.next_record().unwrap().unwrap();
            record.totals_word()
        };
        assert_eq!(fields(&["1001 汇总", "", "", "9000"]), Some("汇总"));
        assert_eq!(fields(&["acme Total", "", "", "9000"]), Some("total"));
        assert_eq!(
            fields(&["", "2026-01\u{3000}合計", "", "9000"]),
            Some("合計")
        );
        assert_eq!(fields(&["1001", "2026-01", "", "9000"]), None);
        // Beside cells of usage it is a note, not a subtotal.
        assert_eq!(
            fields(&["1001", "2026-01", "idcard", "9k?", "Q1 Total"]),
            None
        );
        assert_eq!(fields(&["1001 汇总", "", "", "9k?"]), None);
        assert_eq!(fields(&["a 汇总", "", "1,000", "2万"]), Some("汇总"));
        assert_eq!(fields(&[" 汇总x", "total calls", "", ""]), None);
        // (The word alone is the plain form.)
        assert_eq!(labelled_subtotal_word(" 汇总".as_bytes()), None);
        let mut t = TotalsRows::default();
        t.add(90, "合计");
        t.merge(&TotalsRows {
            count: 2,
            first: Some((7, "小计")),
            ..TotalsRows::default()
        });
        assert_eq!((t.count, t.first), (3, Some((7, "小计"))));
        // Rows of other products: counted, the first few named once each,
        // merged from another part, and told after the totals.
        let mut other = TotalsRows::default();
        for p in [
            "云服务器",
            "云数据库 MySQL",
            "云服务器",
            "对象存储",
            "CDN",
            "负载均衡",
            "短信",
        ] {
            other.add_left_out(&LeftOut::Product(p.into()));
        }
        t.merge(&other);
        assert_eq!(t.other_products, 7);
        assert_eq!(
            t.products,
            ["云服务器", "云数据库 MySQL", "对象存储", "CDN", "负载均衡"]
        );
        let note = t.note().unwrap();
        assert!(
            note.starts_with("3 totals rows (小计, the first on line 7)"),
            "{note}"
        );
        assert!(
            note.ends_with("; 7 rows of other products (云服务器, 云数据库 MySQL, 对象存储, CDN, 负载均衡, …) are not OCR usage: left out"),
            "{note}"
        );
        let mut one = TotalsRows::default();
        one.add_left_out(&LeftOut::Product(" 云服务器 ".into()));
        assert_eq!(
            one.note().unwrap(),
            "1 row of other products (云服务器) is not OCR usage: left out"
        );
        // Prepaid purchases (a bill's packs bought), counted apart and merged.
        let mut bought = TotalsRows::default();
        bought.add_left_out(&LeftOut::Purchase("包年包月".into()));
        one.merge(&bought);
        one.merge(&bought);
        assert_eq!(
            one.note().unwrap(),
            "1 row of other products (云服务器) is not OCR usage: left out; 2 rows of \
             prepaid purchases (包年包月) are not usage: left out (give the packs bought with \
             --packs)"
        );
    }
}
