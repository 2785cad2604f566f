#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]
//! `cargo xtask check` under plain `cargo test`: the workspace passes, and a
//! drifted copy of it fails with the diff and the commands that fix it.

mod common;

use std::path::{Path, PathBuf};

use xtask::{check, snapshots, workspace_root};

/// A scratch workspace named after the test: a fixture spec of these tests'
/// own (a frozen copy, so a value added to the real spec breaks nothing here)
/// and the snapshots it generates.
fn scratch_workspace(name: &str) -> PathBuf {
    let root = common::scratch(name);
    let _ = std::fs::remove_dir_all(&root);
    let spec =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check/dotdigital-contacts.yaml");
    let text = std::fs::read_to_string(spec).unwrap();
    let spec_path = root.join(dotdigital_spec::SPEC_PATH);
    std::fs::create_dir_all(spec_path.parent().unwrap()).unwrap();
    std::fs::write(&spec_path, &text).unwrap();
    let dir = root.join(snapshots::SNAPSHOT_DIR);
    std::fs::create_dir_all(&dir).unwrap();
    for artifact in snapshots::artifacts(&text).unwrap() {
        let snapshot = format!(
            "---\nsource: xtask/src/snapshots.rs\n---\n{}\n",
            artifact.contents
        );
        std::fs::write(dir.join(format!("{}.snap", artifact.name)), snapshot).unwrap();
    }
    check(&root).unwrap();
    root
}

fn edit_spec(root: &Path, from: &str, to: &str) {
    let path = root.join(dotdigital_spec::SPEC_PATH);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "the spec no longer contains {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

fn snapshot_files(root: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(root.join(snapshots::SNAPSHOT_DIR))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn the_workspace_passes_check() {
    // rust-analyzer's convention: drift fails plain `cargo test` too.
    if let Err(failure) = check(&workspace_root()) {
        panic!("{failure}");
    }
}

#[test]
fn the_snapshots_are_insta_snapshots() {
    // Asserting through insta keeps the files referenced for
    // `cargo insta test --unreferenced=reject` and reviewable with `cargo insta review`.
    let root = workspace_root();
    let text = xtask::read_spec(&root).unwrap();
    snapshots::assert_with_insta(&root, &snapshots::artifacts(&text).unwrap());
}

#[test]
fn a_drifted_spec_fails_with_the_diff_and_the_fixing_commands_and_writes_nothing() {
    let root = scratch_workspace("drifted-spec");
    edit_spec(
        &root,
        "enum: [overwrite, overwrite-if-not-empty, overwrite-if-empty]",
        "enum: [overwrite, overwrite-if-not-empty, overwrite-if-empty, append]",
    );
    let before = snapshot_files(&root);
    let report = check(&root).unwrap_err().to_string();
    assert!(
        report.contains("xtask/snapshots/spec.snap does not match"),
        "{report}"
    );
    assert!(
        report.contains("xtask/snapshots/dotdigital_contacts_api.rs.snap does not match"),
        "{report}"
    );
    assert!(report.contains("+  parameters/query/merge-option: string enum [\"overwrite\", \"overwrite-if-not-empty\", \"overwrite-if-empty\", \"append\"]"), "{report}");
    assert!(
        report.contains("run `cargo xtask codegen --accept`"),
        "{report}"
    );
    assert_eq!(snapshot_files(&root), before, "check must never write");
}

#[test]
fn a_pending_snapshot_fails_check() {
    let root = scratch_workspace("pending-snapshot");
    let pending = root.join(snapshots::SNAPSHOT_DIR).join("spec.snap.new");
    std::fs::write(
        &pending,
        "---\nsource: xtask/src/snapshots.rs\n---\nleft over\n",
    )
    .unwrap();
    let report = check(&root).unwrap_err().to_string();
    assert!(
        report.contains("xtask/snapshots/spec.snap.new: a pending snapshot nobody reviewed"),
        "{report}"
    );
    assert!(report.contains("cargo xtask codegen --accept"), "{report}");
}

#[test]
fn a_snapshot_no_artifact_produces_fails_check() {
    let root = scratch_workspace("stray-snapshot");
    std::fs::write(
        root.join(snapshots::SNAPSHOT_DIR).join("old.snap"),
        "---\n---\nx\n",
    )
    .unwrap();
    let report = check(&root).unwrap_err().to_string();
    assert!(
        report.contains("xtask/snapshots/old.snap: a snapshot no artifact produces"),
        "{report}"
    );
}

#[test]
fn a_broken_spec_rule_fails_check_with_its_pointer() {
    let root = scratch_workspace("broken-rule");
    edit_spec(
        &root,
        "          description: Resubscribe without a confirmation email (the service assumes true when left out).\n",
        "          description: Resubscribe without a confirmation email (the service assumes true when left out).\n          default: true\n",
    );
    let report = check(&root).unwrap_err().to_string();
    assert!(
        report.contains("/components/schemas/ResubscribeOptions/properties/resubscribeWithNoChallenge/default: a default on a request-body property"),
        "{report}"
    );
}

#[test]
fn xtask_builds_no_crate_generated_from_the_spec_or_built_on_it() {
    // So a spec change that breaks those crates cannot stop xtask from reporting it.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = std::process::Command::new(cargo)
        .current_dir(workspace_root())
        .args([
            "tree",
            "--offline",
            "-p",
            "xtask",
            "-e",
            "normal,build",
            "--prefix",
            "none",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tree = String::from_utf8_lossy(&output.stdout);
    assert!(tree.contains("dotdigital-codegen"), "{tree}");
    for krate in xtask::cargo::SPEC_CRATES {
        assert!(
            !tree
                .lines()
                .any(|line| line.starts_with(&format!("{krate} "))),
            "xtask depends on {krate}:\n{tree}"
        );
    }
}
