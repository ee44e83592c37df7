//! One integration test binary that drives the real `ocr-bill` executable.

mod bad_inputs;
mod batch;
mod curve;
mod editions;
mod ledger;
mod output;
mod plan;
mod postpaid;
mod prepaid;
mod pricing_file;
mod quote;
mod readme;
mod real_input;
mod snapshots;
mod startup;
mod test;

use std::path::PathBuf;

use serde_json::Value;

/// Edition d's worked example of a shared billing item: 6,000 户口本识别 and
/// 5,000 房产证识别 calls are 11,000 calls of 通用证照识别.
pub const POSTPAID_D: &[&str] = &[
    "--edition",
    "d",
    "postpaid",
    "--api",
    "户口本识别",
    "--calls",
    "6000",
    "--api",
    "房产证识别",
    "--calls",
    "5000",
];

/// Writes files into a temporary folder (a name may hold folders); returns
/// it (keep it alive) and the files' paths.
pub fn files(list: &[(&str, &str)]) -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let paths = list
        .iter()
        .map(|(name, text)| {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, text).unwrap();
            p.to_string_lossy().into_owned()
        })
        .collect();
    (dir, paths)
}

/// A file under tests/fixtures.
pub fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// A string field of a JSON value.
pub fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string in {v}"))
}
