//! Input as it really comes, where a silently wrong bill would be the worst
//! outcome: stray quotes, commas in counts, several accounts, daily rows.

mod accounts;
mod columns;
mod encodings;
mod numbers;
mod spreadsheets;
mod streams;

/// A usage file of `rows` data rows (header on line 1), with `edit` applied to
/// each line by its 1-based number.
fn usage(rows: usize, edit: impl Fn(usize, String) -> String) -> String {
    let mut text = String::from("account,month,api,calls\n");
    for i in 0..rows {
        let line = format!("acct{},2026-01,idcard,{}", i % 7, 100 + i % 5000);
        text.push_str(&edit(i + 2, line));
        text.push('\n');
    }
    text
}
