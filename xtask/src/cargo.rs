//! Building the hand-written crates in a child `cargo`, so xtask itself never
//! compiles a crate generated from the spec and can report on one that no
//! longer builds.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::Failure;

/// The crates generated from the spec or built on it: what a spec change can break.
pub const SPEC_CRATES: [&str; 3] = [
    "dotdigital-contacts-api",
    "dotdigital-contacts",
    "dotdigital-cli",
];

/// The variable the client's `build.rs` reads the spec path from.
pub const SPEC_VAR: &str = "DOTDIGITAL_CONTACTS_SPEC";

/// What a cargo run found: the first error of each crate that failed to compile.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Whether cargo succeeded.
    pub success: bool,
    /// Crate and target (`dotdigital-contacts (lib)`) to its first compiler error.
    pub broken: BTreeMap<String, String>,
    /// The end of cargo's own output, for failures that are not compile errors.
    pub tail: String,
}

impl Outcome {
    /// One line per broken crate, with its first error.
    pub fn describe(&self) -> String {
        if self.broken.is_empty() {
            return self.tail.clone();
        }
        let mut out = String::new();
        for (krate, error) in &self.broken {
            out.push_str(&format!("  {krate} no longer compiles:\n"));
            for line in error.lines().take(12) {
                out.push_str(&format!("    {line}\n"));
            }
        }
        out
    }
}

/// `cargo <subcommand> --all-targets -p <each of SPEC_CRATES> <args>` in
/// `root`, the client generated from `spec` (or from `openapi/` when `None`).
pub fn run(
    root: &Path,
    subcommand: &str,
    args: &[&str],
    spec: Option<&Path>,
) -> Result<Outcome, Failure> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(root).arg(subcommand);
    for krate in SPEC_CRATES {
        command.args(["-p", krate]);
    }
    command
        .args(["--message-format", "json"])
        .args(args)
        .env("CARGO_TERM_COLOR", "never")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match spec {
        // A changed spec changes what users read (`--help` lists enum
        // values): those snapshots are today's spec's, checked by the plain
        // test run. insta neither fails on them here nor writes into the tree.
        Some(path) => command
            .env(SPEC_VAR, path)
            .env("INSTA_UPDATE", "no")
            .env("INSTA_FORCE_PASS", "1"),
        None => command.env_remove(SPEC_VAR),
    };
    let output = command
        .output()
        .map_err(|e| Failure::new(format!("cannot run cargo {subcommand}: {e}")))?;
    let mut outcome = Outcome {
        success: output.status.success(),
        ..Outcome::default()
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    for line in stdout.lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-message" || message["message"]["level"] != "error" {
            continue;
        }
        let krate = crate_name(&message);
        let rendered = message["message"]["rendered"].as_str().unwrap_or_default();
        outcome
            .broken
            .entry(krate)
            .or_insert_with(|| rendered.to_owned());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|l| !l.starts_with('{'))
        .chain(stderr.lines())
        .collect();
    // Which tests failed and why, wherever they are in the output.
    let failures: Vec<&str> = lines
        .iter()
        .enumerate()
        .filter(|(_, line)| line.contains("panicked at") || line.ends_with("... FAILED"))
        .flat_map(|(i, _)| lines[i..lines.len().min(i + 4)].iter().copied())
        .take(40)
        .collect();
    let tail = &lines[lines.len().saturating_sub(20)..];
    outcome.tail = failures
        .iter()
        .chain(tail)
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    Ok(outcome)
}

/// `dotdigital-contacts-api (example import_contact)` from a cargo message.
fn crate_name(message: &serde_json::Value) -> String {
    // `path+file:///…/crates/NAME#0.1.0`, or `registry+…#NAME@1.0.0`.
    let id = message["package_id"].as_str().unwrap_or("?");
    let (url, fragment) = id.split_once('#').unwrap_or((id, ""));
    let package = match fragment.split_once('@') {
        Some((name, _)) => name,
        None => url.rsplit('/').next().unwrap_or(url),
    };
    let target = &message["target"];
    let kind = target["kind"][0].as_str().unwrap_or("target");
    match kind {
        "lib" => format!("{package} (lib)"),
        _ => format!(
            "{package} ({kind} {})",
            target["name"].as_str().unwrap_or("?")
        ),
    }
}
