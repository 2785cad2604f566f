//! The reviewed artifacts: what `cargo xtask codegen` records as insta
//! snapshots in `xtask/snapshots/` and what `cargo xtask check` compares
//! against them without ever writing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use insta::TextSnapshotKind;
use insta::internals::TextSnapshotContents;

use crate::Failure;
use openapi_change_classifier::Model;

/// Where the snapshots live, relative to the workspace root.
pub const SNAPSHOT_DIR: &str = "xtask/snapshots";

/// What fixes drift, printed with every failure.
pub const FIX: &str = "to accept the change, run `cargo xtask codegen --accept` (it also refreshes \
     the crates' snapshots a spec edit touches), review it with `git diff`, and commit the snapshots";

/// The snapshot of the generated client.
pub const CLIENT: &str = "dotdigital_contacts_api.rs";

/// The snapshot of the JSON Schemas derived from the generated types.
pub const DERIVED: &str = "json_schemas";

/// The derived schemas (type name to schema) as a reviewed artifact.
pub fn derived_artifact(derived: &serde_json::Value) -> Artifact {
    Artifact {
        name: DERIVED,
        contents: serde_json::to_string_pretty(derived).unwrap_or_default(),
    }
}

/// One reviewed artifact: a snapshot name and the text it must hold.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// The snapshot's name: the file is `xtask/snapshots/<name>.snap`.
    pub name: &'static str,
    /// The current text.
    pub contents: String,
}

/// Everything reviewed: the client source, byte for byte what `build.rs`
/// compiles, and the normalised spec.
pub fn artifacts(spec_text: &str) -> Result<Vec<Artifact>, Failure> {
    let source = dotdigital_codegen::generate(spec_text)
        .map_err(|e| Failure::new(format!("{}: {e}", dotdigital_spec::SPEC_PATH)))?;
    let spec = dotdigital_spec::to_json(spec_text)
        .map_err(|e| Failure::new(format!("{}: {e}", dotdigital_spec::SPEC_PATH)))?;
    Ok(vec![
        Artifact {
            name: CLIENT,
            contents: source,
        },
        Artifact {
            name: "spec",
            contents: Model::from_spec(&spec).render(),
        },
    ])
}

/// Asserts every artifact with insta, which writes `.snap.new` files (or not)
/// as `INSTA_UPDATE` says. Used by `cargo xtask codegen` and by the test that
/// makes snapshots visible to `cargo insta test --unreferenced=reject`.
pub fn assert_with_insta(root: &Path, artifacts: &[Artifact]) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root.join(SNAPSHOT_DIR));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for artifact in artifacts {
            insta::assert_snapshot!(artifact.name, &artifact.contents);
        }
    });
}

/// Compares every artifact with its stored snapshot, in the way insta
/// compares, without writing anything. Each mismatch comes back as a
/// unified diff (stored → generated).
pub fn compare(root: &Path, artifacts: &[Artifact]) -> Vec<String> {
    let mut problems = Vec::new();
    for artifact in artifacts {
        let path = snapshot_path(root, artifact.name);
        let shown = display(root, &path);
        let stored = match insta::Snapshot::from_file(&path) {
            Ok(snapshot) => snapshot,
            Err(e) => {
                problems.push(format!("{shown}: cannot read the snapshot ({e})"));
                continue;
            }
        };
        let Some(stored) = stored.as_text() else {
            problems.push(format!("{shown}: not a text snapshot"));
            continue;
        };
        let current = TextSnapshotContents::new(artifact.contents.clone(), TextSnapshotKind::File);
        if !stored.matches_latest(&current) {
            let old = stored.to_string();
            let new = current.to_string();
            let diff = similar::TextDiff::from_lines(&old, &new)
                .unified_diff()
                .context_radius(3)
                .header(
                    &format!("{shown} (stored)"),
                    &format!("{shown} (generated now)"),
                )
                .to_string();
            problems.push(format!("{shown} does not match:\n{diff}"));
        }
    }
    problems
}

/// Files in the snapshot folder that no artifact owns, and pending snapshots
/// left over from a run that was never reviewed.
pub fn strays(root: &Path, artifacts: &[Artifact]) -> Vec<String> {
    let dir = root.join(SNAPSHOT_DIR);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return vec![format!("{}: no snapshot folder", display(root, &dir))];
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut problems = Vec::new();
    for name in names {
        let shown = format!("{SNAPSHOT_DIR}/{name}");
        if name.ends_with(".snap.new") || name.ends_with(".pending-snap") {
            problems.push(format!("{shown}: a pending snapshot nobody reviewed"));
        } else if !artifacts.iter().any(|a| name == format!("{}.snap", a.name))
            // Made by a child cargo, only when the crates are built: see `derived_artifact`.
            && name != format!("{DERIVED}.snap")
        {
            problems.push(format!(
                "{shown}: a snapshot no artifact produces (delete it)"
            ));
        }
    }
    problems
}

/// Deletes the pending `.snap.new` files in the snapshot folder.
pub fn remove_pending(root: &Path) -> Result<(), Failure> {
    let dir = root.join(SNAPSHOT_DIR);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(());
    };
    for entry in entries.filter_map(Result::ok) {
        if entry.file_name().to_string_lossy().ends_with(".snap.new") {
            std::fs::remove_file(entry.path()).map_err(|e| {
                Failure::new(format!("cannot remove {}: {e}", entry.path().display()))
            })?;
        }
    }
    Ok(())
}

/// The crates' insta snapshots (`crates/<crate>/tests/snapshots/
/// <target>__<name>.snap`): for each owning `(package, test target)`, the
/// snapshot files, relative to the workspace root.
fn crate_snapshots(root: &Path) -> Result<BTreeMap<(String, String), Vec<String>>, Failure> {
    let mut found: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let crates = std::fs::read_dir(root.join("crates"))
        .map_err(|e| Failure::new(format!("cannot list crates/: {e}")))?;
    for krate in crates.filter_map(Result::ok) {
        let Ok(snapshots) = std::fs::read_dir(krate.path().join("tests/snapshots")) else {
            continue;
        };
        let package = krate.file_name().to_string_lossy().into_owned();
        for snapshot in snapshots.filter_map(Result::ok) {
            let name = snapshot.file_name().to_string_lossy().into_owned();
            if let Some((target, _)) = name.split_once("__")
                && name.ends_with(".snap")
            {
                found
                    .entry((package.clone(), target.to_owned()))
                    .or_default()
                    .push(format!("crates/{package}/tests/snapshots/{name}"));
            }
        }
    }
    Ok(found)
}

/// Runs one test target with insta writing under `insta_root` (`always`, or
/// `new` for `.snap.new` files) and never failing on a snapshot.
fn run_target(
    root: &Path,
    (package, target): (&str, &str),
    insta_root: &Path,
    update: &str,
) -> Result<(), Failure> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = std::process::Command::new(&cargo)
        .current_dir(root)
        .args(["test", "-q", "-p", package, "--test", target])
        .env("INSTA_UPDATE", update)
        .env("INSTA_FORCE_PASS", "1")
        .env("INSTA_WORKSPACE_ROOT", insta_root)
        .status()
        .map_err(|e| Failure::new(format!("cannot run cargo test: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Failure::new(format!(
            "the snapshot tests of {package} (test {target}) failed (see above)"
        )))
    }
}

/// Re-runs every test target of the workspace's crates that owns insta
/// snapshots, with insta writing (`always` when `accept`, else `.snap.new`
/// files). Says which targets ran.
pub fn refresh_crate_snapshots(root: &Path, accept: bool) -> Result<String, Failure> {
    let targets = crate_snapshots(root)?;
    let update = if accept { "always" } else { "new" };
    for (package, target) in targets.keys() {
        run_target(root, (package, target), root, update)?;
    }
    let names: Vec<String> = targets.keys().map(|(p, t)| format!("{p} {t}")).collect();
    Ok(format!(
        "crate snapshots refreshed by: {}",
        names.join(", ")
    ))
}

/// Every committed snapshot of the crates that no test asserts any more.
/// Each owning test target runs with insta pointed at an empty scratch root
/// (`INSTA_WORKSPACE_ROOT`, `INSTA_UPDATE=new`), where every snapshot it
/// asserts lands as a `.snap.new`; a committed `.snap` without one there is
/// unreferenced. Needs no tool beyond cargo (not cargo-insta).
pub fn unreferenced_crate_snapshots(root: &Path) -> Result<Vec<String>, Failure> {
    let scratch = root.join("target/xtask-unreferenced-snapshots");
    let _ = std::fs::remove_dir_all(&scratch);
    let mut unreferenced = Vec::new();
    for ((package, target), committed) in crate_snapshots(root)? {
        if !root
            .join(format!("crates/{package}/tests/{target}.rs"))
            .is_file()
        {
            unreferenced.extend(committed);
            continue;
        }
        run_target(root, (&package, &target), &scratch, "new")?;
        let produced = |snapshot: &String| scratch.join(format!("{snapshot}.new")).is_file();
        unreferenced.extend(committed.into_iter().filter(|s| !produced(s)));
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(unreferenced
        .into_iter()
        .map(|s| format!("{s}: a snapshot no test asserts (delete it)"))
        .collect())
}

fn snapshot_path(root: &Path, name: &str) -> PathBuf {
    root.join(SNAPSHOT_DIR).join(format!("{name}.snap"))
}

fn display(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}
