//! What xtask's tests share: the `xtask` binary run as a user runs it, a
//! scratch folder per test, the project's spec as JSON.

#![allow(dead_code, reason = "each test file uses a different part")]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `cargo xtask <args>`: the built binary, run from the workspace.
pub fn xtask<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(xtask::workspace_root())
        .output()
        .unwrap()
}

/// A path in cargo's scratch folder for tests.
pub fn scratch(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// The project's spec as JSON.
pub fn spec() -> serde_json::Value {
    let text = xtask::read_spec(&xtask::workspace_root()).unwrap();
    dotdigital_spec::to_json(&text).unwrap()
}
