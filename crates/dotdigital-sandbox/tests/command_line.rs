//! The `dotdigital-sandbox` binary's command line: its `--help` is
//! snapshotted, and matches `dotdigital sandbox --help` (the CLI's snapshot)
//! below the usage line, since both flatten one `SandboxArgs`.

#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

use std::path::Path;
use std::process::Command;

/// The help text after its `Usage:` line (which names the command).
fn below_usage(help: &str) -> String {
    help.lines()
        .filter(|line| !line.starts_with("Usage: "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn help_is_the_same_as_dotdigital_sandbox() {
    let output = Command::new(env!("CARGO_BIN_EXE_dotdigital-sandbox"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    insta::assert_snapshot!("help", help);

    let cli_snapshot = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../dotdigital-cli/tests/snapshots/what_users_read__help_sandbox.snap");
    let Ok(snapshot) = std::fs::read_to_string(&cli_snapshot) else {
        // A packaged crate has no sibling crates.
        eprintln!("skipped: {} not found", cli_snapshot.display());
        return;
    };
    // An insta snapshot: a front matter between `---` lines, then the text.
    let cli_help = snapshot.splitn(3, "---\n").nth(2).unwrap();
    assert_eq!(below_usage(&help), below_usage(cli_help));
}

#[test]
fn bad_flags_are_usage_errors() {
    let output = Command::new(env!("CARGO_BIN_EXE_dotdigital-sandbox"))
        .args(["--fail-rate", "1.5"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--fail-rate") && stderr.contains("between 0 and 1"),
        "{stderr}"
    );
}
