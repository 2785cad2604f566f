//! `cargo xtask`: the workspace's drift checks (rust-analyzer's convention: a
//! workspace member run through the `.cargo/config.toml` alias).
//!
//! - `codegen` records insta snapshots of what the build generates;
//! - `check` (what CI runs) enforces the spec rules and compares every
//!   snapshot without writing;
//! - `diff` classifies the changes between two OpenAPI documents for client
//!   users (the `openapi-change-classifier` crate): a rule id and a level
//!   each, as a table, JSON or CI annotations on the spec's lines;
//! - `upstream` compares our operations with Dotdigital's published files;
//! - `evolve` applies a catalogue of spec changes to scratch copies and
//!   builds, tests and runs the crates against each;
//! - `build-cost` measures what a new crate making one import pays to build.

use std::path::{Path, PathBuf};
use std::process::Command;

pub mod build_cost;
pub mod cargo;
pub mod end_to_end;
pub mod evolve;
pub mod guarantees;
pub mod round_trip;
pub mod rules;
pub mod snapshots;
pub mod upstream;

/// Why a command failed: the whole report, ready to print.
#[derive(Debug)]
pub struct Failure(String);

impl Failure {
    /// A failure with this report.
    pub fn new(report: impl Into<String>) -> Failure {
        Failure(report.into())
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failure {}

impl From<openapi_change_classifier::Error> for Failure {
    fn from(error: openapi_change_classifier::Error) -> Failure {
        Failure(error.to_string())
    }
}

/// Reads one side of `cargo xtask diff` (a path, `git:<rev>` for the spec at
/// that revision, or `git:<rev>:<path>`) into the classifier's model.
pub fn load_side(root: &Path, side: &str) -> Result<openapi_change_classifier::Model, Failure> {
    Ok(openapi_change_classifier::load(
        root,
        side,
        dotdigital_spec::SPEC_PATH,
    )?)
}

/// The workspace root this xtask was built in.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Reads the spec of the workspace at `root`.
pub fn read_spec(root: &Path) -> Result<String, Failure> {
    let path = root.join(dotdigital_spec::SPEC_PATH);
    std::fs::read_to_string(&path)
        .map_err(|e| Failure::new(format!("cannot read {}: {e}", path.display())))
}

/// The spec parses and keeps the project's rules, and every snapshot
/// matches. Never writes. On success returns a short summary.
pub fn check(root: &Path) -> Result<String, Failure> {
    check_with(root, false)
}

/// `cargo xtask check`: [`check`], and with `compile` (child cargo runs):
/// when the generated client drifted, which hand-written crates no longer
/// compile against the client the spec now generates; otherwise, every
/// snapshot of the crates' tests that no test asserts any more.
pub fn check_with(root: &Path, compile: bool) -> Result<String, Failure> {
    let text = read_spec(root)?;
    let spec_path = dotdigital_spec::SPEC_PATH;
    dotdigital_spec::parse(&text).map_err(|e| Failure::new(format!("{spec_path}: {e}")))?;
    let spec =
        dotdigital_spec::to_json(&text).map_err(|e| Failure::new(format!("{spec_path}: {e}")))?;
    let mut report = String::new();
    let mut summary = String::new();
    let violations = rules::violations(&spec);
    if !violations.is_empty() {
        report.push_str(&format!(
            "{spec_path} breaks {} spec rule(s) (README.md, \"Changing the spec\"):\n",
            violations.len()
        ));
        for violation in &violations {
            report.push_str(&format!("  {violation}\n"));
        }
    }
    let artifacts = snapshots::artifacts(&text)?;
    let client = artifacts
        .iter()
        .find(|a| a.name == snapshots::CLIENT)
        .map_or("", |a| a.contents.as_str());
    for problem in guarantees::problems(&spec, client) {
        report.push_str(&format!("{problem}\n"));
    }
    let drift = snapshots::compare(root, &artifacts);
    let strays = snapshots::strays(root, &artifacts);
    for problem in drift.iter().chain(&strays) {
        report.push_str(problem);
        if !problem.ends_with('\n') {
            report.push('\n');
        }
    }
    if !drift.is_empty() || !strays.is_empty() {
        report.push_str(&format!("error: snapshots drifted; {}\n", snapshots::FIX));
    }
    if compile {
        report.push_str(&derived_schemas(root, &spec, &mut summary));
    }
    let client_drifted = drift.iter().any(|d| d.contains(snapshots::CLIENT));
    if compile && !client_drifted {
        // The crates' own snapshots: every one is still asserted by a test
        // (their tests build only against the client the spec generates).
        for problem in snapshots::unreferenced_crate_snapshots(root)? {
            report.push_str(&format!("{problem}\n"));
        }
    }
    if compile && client_drifted {
        let outcome = cargo::run(root, "check", &["--all-targets"], None)?;
        if outcome.success {
            report.push_str(
                "the hand-written crates still compile against the client the spec generates now\n",
            );
        } else {
            report.push_str(&format!(
                "against the client the spec generates now:\n{}",
                outcome.describe()
            ));
        }
    }
    if report.is_empty() {
        Ok(format!(
            "ok: {spec_path} keeps the spec rules; {} snapshots match{summary}",
            artifacts.len() + usize::from(compile)
        ))
    } else {
        Err(Failure::new(report))
    }
}

/// The round trip of the derived JSON Schemas against the spec, and their
/// snapshot (both need the client built with its `schemars` feature, in a
/// child cargo). Returns the problems; the summary of a pass goes to `summary`.
fn derived_schemas(root: &Path, spec: &serde_json::Value, summary: &mut String) -> String {
    let started = std::time::Instant::now();
    // A client that no longer builds is reported with the rest, not instead of it.
    let derived = match round_trip::derived_schemas(root) {
        Ok(derived) => derived,
        Err(failure) => return format!("{failure}\n"),
    };
    let round = round_trip::compare(spec, &derived);
    let mut report = String::new();
    if round.differences.is_empty() {
        summary.push_str(&format!(
            "\n{} ({:.1} s)",
            round.render(),
            started.elapsed().as_secs_f64()
        ));
    } else {
        report.push_str(&round.render());
    }
    let artifact = snapshots::derived_artifact(&derived);
    for problem in snapshots::compare(root, std::slice::from_ref(&artifact)) {
        report.push_str(&format!(
            "{problem}\nerror: snapshots drifted; {}\n",
            snapshots::FIX
        ));
    }
    report
}

/// `cargo xtask codegen`: records the snapshots through insta in a child
/// process whose `INSTA_UPDATE` is set (`new`, or `always` with `accept`),
/// then says what is pending review.
pub fn codegen(root: &Path, accept: bool) -> Result<String, Failure> {
    // Pending snapshots of an earlier run are outdated by this one.
    snapshots::remove_pending(root)?;
    let exe = std::env::current_exe()
        .map_err(|e| Failure::new(format!("cannot find the xtask binary: {e}")))?;
    let status = Command::new(exe)
        .arg(RECORD)
        .current_dir(root)
        .env("INSTA_UPDATE", if accept { "always" } else { "new" })
        .env("INSTA_FORCE_PASS", "1")
        .env("INSTA_WORKSPACE_ROOT", root)
        .status()
        .map_err(|e| Failure::new(format!("cannot run the xtask binary: {e}")))?;
    if !status.success() {
        return Err(Failure::new("recording the snapshots failed (see above)"));
    }
    // A spec edit also shows in what users read (`--help` lists enum values):
    // the crates' own insta snapshots are refreshed by the same command.
    let refreshed = snapshots::refresh_crate_snapshots(root, accept)?;
    let text = read_spec(root)?;
    let artifacts = snapshots::artifacts(&text)?;
    let pending: Vec<String> = snapshots::strays(root, &artifacts);
    if pending.is_empty() {
        Ok(format!(
            "ok: {} snapshots in {} match the spec; {refreshed}\nreview the change with `git diff`, then commit it",
            artifacts.len() + 1, // and the derived JSON Schemas
            snapshots::SNAPSHOT_DIR,
        ))
    } else {
        Ok(format!(
            "{}\n{refreshed}\naccept them all with `cargo xtask codegen --accept` (or review the `.snap.new` files with `cargo insta review`, from `cargo install cargo-insta`), then commit {}/",
            pending.join("\n"),
            snapshots::SNAPSHOT_DIR
        ))
    }
}

/// The hidden subcommand `codegen` runs in its child process.
pub const RECORD: &str = "record-snapshots";

/// What the child process of `codegen` does: assert every artifact with insta.
pub fn record(root: &Path) -> Result<(), Failure> {
    let text = read_spec(root)?;
    let mut artifacts = snapshots::artifacts(&text)?;
    artifacts.push(snapshots::derived_artifact(&round_trip::derived_schemas(
        root,
    )?));
    snapshots::assert_with_insta(root, &artifacts);
    Ok(())
}
