//! One way to run the binary in a test, after just's `Test`: say what to run
//! and what must come out, then run it.
//!
//! ```ignore
//! Test::new()
//!     .args(&["postpaid", "--api", "idcard", "--calls", "9000"])
//!     .status(0)
//!     .stdout_has("1,200.00")
//!     .run();
//! ```

use std::ffi::OsStr;
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

/// A run of `ocr-bill`, with what is expected of it.
pub struct Test {
    command: Command,
    /// The arguments, for messages.
    shown: Vec<String>,
    status: Option<i32>,
    stdout: Option<String>,
    stdout_has: Vec<String>,
    stderr_has: Vec<String>,
}

/// What a run wrote, as text, and how it ended.
pub struct Ran {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Test {
    /// The binary, with no pricing file or edition from the environment.
    pub fn new() -> Test {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ocr-bill"));
        command
            .env_remove("OCR_BILL_PRICING")
            .env_remove("OCR_BILL_EDITION");
        Test {
            command,
            shown: Vec::new(),
            status: None,
            stdout: None,
            stdout_has: Vec::new(),
            stderr_has: Vec::new(),
        }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Test {
        self.shown.push(arg.as_ref().to_string_lossy().into_owned());
        self.command.arg(arg);
        self
    }

    pub fn args(mut self, args: &[&str]) -> Test {
        for a in args {
            self = self.arg(a);
        }
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Test {
        self.command.env(key, value);
        self
    }

    /// Runs it in folder `dir` (relative paths are read there).
    pub fn current_dir(mut self, dir: &std::path::Path) -> Test {
        self.command.current_dir(dir);
        self
    }

    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Test {
        self.command.write_stdin(input.into());
        self
    }

    /// The exit code it must end with (0 unless said).
    pub fn status(mut self, code: i32) -> Test {
        self.status = Some(code);
        self
    }

    /// Exactly what it must write to stdout.
    pub fn stdout(mut self, text: &str) -> Test {
        self.stdout = Some(text.to_string());
        self
    }

    /// Text stdout must hold.
    pub fn stdout_has(mut self, text: &str) -> Test {
        self.stdout_has.push(text.to_string());
        self
    }

    /// Ends the run after `limit`, as failed (a run that could wait
    /// forever, on a pipe that is never written; only the tests of named
    /// pipes, which are Unix's, need one).
    #[cfg_attr(not(unix), allow(dead_code))]
    pub fn timeout(mut self, limit: std::time::Duration) -> Test {
        self.command.timeout(limit);
        self
    }

    /// Text stderr must hold.
    pub fn stderr_has(mut self, text: &str) -> Test {
        self.stderr_has.push(text.to_string());
        self
    }

    /// Runs it without expectations: the raw output (for binary stdout).
    pub fn output(mut self) -> Output {
        self.command.output().unwrap()
    }

    /// Runs it and checks every expectation; returns what it wrote.
    pub fn run(mut self) -> Ran {
        let out = self.command.output().unwrap();
        let ran = Ran {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        let args = &self.shown;
        assert_eq!(
            ran.code,
            Some(self.status.unwrap_or(0)),
            "{args:?}: {}",
            ran.stderr
        );
        if let Some(expected) = &self.stdout {
            assert_eq!(&ran.stdout, expected, "{args:?} stdout");
        }
        for text in &self.stdout_has {
            assert!(
                ran.stdout.contains(text),
                "{args:?}: no {text:?} in\n{}",
                ran.stdout
            );
        }
        for text in &self.stderr_has {
            assert!(
                ran.stderr.contains(text),
                "{args:?}: no {text:?} in\n{}",
                ran.stderr
            );
        }
        ran
    }

    /// Runs it with `--format json` and parses what it wrote.
    pub fn json(self) -> Value {
        let ran = self.args(&["--format", "json"]).run();
        serde_json::from_str(&ran.stdout).unwrap()
    }

    /// Runs it expecting exit `code` and nothing on stdout; returns stderr.
    pub fn fails(self, code: i32) -> String {
        self.status(code).stdout("").run().stderr
    }
}
