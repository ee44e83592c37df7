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
mod real_input;
mod snapshots;

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

/// The binary, with no pricing file from the environment.
pub fn ocr() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ocr-bill"));
    c.env_remove("OCR_BILL_PRICING");
    c
}

/// Runs with `--format json`, asserts exit 0 and parses stdout.
pub fn json(args: &[&str]) -> Value {
    let out = ocr()
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs, asserts the exit code, and returns stderr; stdout must be empty.
pub fn fails(args: &[&str], code: i32) -> String {
    let out = ocr().args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?} wrote to stdout");
    stderr
}

/// Writes files into a temporary folder; returns it (keep it alive) and the
/// files' paths.
pub fn files(list: &[(&str, &str)]) -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let paths = list
        .iter()
        .map(|(name, text)| {
            let p = dir.path().join(name);
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
