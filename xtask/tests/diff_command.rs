#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]
//! `cargo xtask diff`: the command around the `openapi-change-classifier`
//! crate (whose own tests hold the rules): exit codes, formats, annotations
//! on the spec's lines, and `git:` sides naming the project's spec.

mod common;

use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    xtask::workspace_root().join("crates/openapi-change-classifier/tests/fixtures")
}

fn side(path: &Path) -> String {
    path.display().to_string()
}

fn fixture(name: &str) -> PathBuf {
    fixtures().join(format!("{name}.yaml"))
}

fn run_diff(old: &str, new: &str, flags: &[&str]) -> (Option<i32>, String) {
    let args = ["diff", old, new].into_iter().chain(flags.iter().copied());
    let output = common::xtask(args);
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

fn run_base(new: &str, flags: &[&str]) -> (Option<i32>, String) {
    run_diff(&side(&fixture("base")), &side(&fixture(new)), flags)
}

#[test]
fn fail_on_breaking_exits_1_on_an_error_and_fail_on_warning_on_a_warning_too() {
    let (code, table) = run_base("removed_enum_value", &["--fail-on-breaking"]);
    assert_eq!(code, Some(1));
    assert!(
        table.contains("| error | request-property-enum-value-removed |"),
        "{table}"
    );
    assert_eq!(run_base("removed_enum_value", &[]).0, Some(0));
    assert_eq!(
        run_base("new_enum_value_in_response", &["--fail-on-breaking"]).0,
        Some(1)
    );
    assert_eq!(
        run_base("removed_property", &["--fail-on-breaking"]).0,
        Some(0)
    );
    assert_eq!(
        run_base("removed_property", &["--fail-on-warning"]).0,
        Some(1)
    );
    assert_eq!(
        run_base("added_optional_property", &["--fail-on-warning"]).0,
        Some(0)
    );
    assert_eq!(run_base("base", &["--format", "yaml"]).0, Some(2));
}

#[test]
fn json_output_has_each_change_with_its_rule_level_and_pointers() {
    let (code, text) = run_base(
        "tightened_limit",
        &["--format", "json", "--fail-on-breaking"],
    );
    assert_eq!(code, Some(1));
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let change = &json["changes"][0];
    assert_eq!(change["id"], "request-property-limit-tightened");
    assert_eq!(change["level"], "error");
    assert_eq!(change["operation"], "updateThing");
    assert_eq!(change["node"], "request/name");
    assert_eq!(
        change["newPointer"],
        "#/components/schemas/ThingUpdate/properties/name"
    );
    assert_eq!(json["counts"]["error"], 1);
    assert_eq!(json["rustSemver"], "patch");
}

#[test]
fn github_output_is_one_workflow_annotation_per_change() {
    let (code, text) = run_base("removed_property", &["--format", "github"]);
    assert_eq!(code, Some(0));
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("::warning file=")
            && first.contains(
                "removed_property.yaml,line=11,title=request-property-removed::updateThing request/tags: \
                 array minItems 1 -> - "
            ),
        "{first}"
    );
    assert!(
        first.ends_with("(#/paths/~1things~1{id}/patch/requestBody)"),
        "{first}"
    );
}

#[test]
fn github_annotations_carry_the_line_of_the_change_in_the_new_file() {
    let (_, text) = run_base("tightened_limit", &["--format", "github"]);
    let first = text.lines().next().unwrap();
    let new_text = std::fs::read_to_string(fixture("tightened_limit")).unwrap();
    // The change is to ThingUpdate's `name`: the line that names it.
    let line = new_text
        .lines()
        .position(|l| l.trim_start().starts_with("name:") && l.starts_with("        "))
        .unwrap()
        + 1;
    assert!(
        first.contains(&format!("tightened_limit.yaml,line={line},title=")),
        "{first}\n{new_text}"
    );
}

#[test]
fn a_git_side_alone_is_the_project_spec_at_that_revision() {
    let root = xtask::workspace_root();
    let model = xtask::load_side(&root, "git:HEAD").unwrap();
    assert!(model.operations.contains_key("PUT /v2/contacts/{id}"));
    let err = xtask::load_side(&root, "git:no-such-revision")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("git show no-such-revision:openapi/dotdigital-contacts.yaml failed"),
        "{err}"
    );
}
