#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]
//! `cargo xtask diff` on fixture pairs: `tests/fixtures/diff/base.yaml` against
//! each other file there, one change of one class each.

use std::path::{Path, PathBuf};
use std::process::Command;

use xtask::diff::{Class, Rust, diff, model_of, read_side, render, rust_semver};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/diff")
        .join(format!("{name}.yaml"))
}

/// `(class, kind, where)` of every change from base to the named fixture.
fn changes(name: &str) -> Vec<(Class, &'static str, String)> {
    let text = |n: &str| std::fs::read_to_string(fixture(n)).unwrap();
    let old = model_of("base", &text("base")).unwrap();
    let new = model_of(name, &text(name)).unwrap();
    diff(&old, &new)
        .into_iter()
        .map(|c| (c.class, c.kind, c.at))
        .collect()
}

fn one(class: Class, kind: &'static str, at: &str) -> Vec<(Class, &'static str, String)> {
    vec![(class, kind, at.to_owned())]
}

#[test]
fn identical_specs_have_no_changes() {
    assert_eq!(changes("base"), []);
}

#[test]
fn removed_operation_is_breaking() {
    assert_eq!(
        changes("removed_operation"),
        one(Class::Breaking, "removed operation", "GET /things")
    );
}

#[test]
fn removed_parameter_is_breaking() {
    assert_eq!(
        changes("removed_parameter"),
        one(
            Class::Breaking,
            "removed parameter",
            "updateThing parameters/query/mode"
        )
    );
}

#[test]
fn removed_property_is_breaking() {
    assert_eq!(
        changes("removed_property"),
        one(
            Class::Breaking,
            "removed property",
            "updateThing request/tags"
        )
    );
}

#[test]
fn removed_enum_value_is_breaking() {
    assert_eq!(
        changes("removed_enum_value"),
        one(
            Class::Breaking,
            "removed enum value",
            "updateThing request/colour"
        )
    );
}

#[test]
fn changed_type_is_breaking_wherever_the_schema_is_used() {
    assert_eq!(
        changes("changed_type"),
        [
            (
                Class::Breaking,
                "changed type",
                "listThings responses/200/[]/id".to_owned()
            ),
            (
                Class::Breaking,
                "changed type",
                "updateThing responses/200/id".to_owned()
            ),
        ]
    );
}

#[test]
fn new_required_property_is_breaking() {
    assert_eq!(
        changes("new_required_property"),
        one(
            Class::Breaking,
            "new required property",
            "updateThing request/owner"
        )
    );
}

#[test]
fn new_required_parameter_is_breaking() {
    assert_eq!(
        changes("new_required_parameter"),
        one(
            Class::Breaking,
            "new required parameter",
            "updateThing parameters/query/owner"
        )
    );
}

#[test]
fn tightened_limit_is_breaking() {
    assert_eq!(
        changes("tightened_limit"),
        one(
            Class::Breaking,
            "tightened limit",
            "updateThing request/name"
        )
    );
}

#[test]
fn added_optional_property_is_not_breaking() {
    assert_eq!(
        changes("added_optional_property"),
        one(
            Class::NonBreaking,
            "added optional property",
            "updateThing request/note"
        )
    );
}

#[test]
fn added_optional_parameter_is_not_breaking() {
    assert_eq!(
        changes("added_optional_parameter"),
        one(
            Class::NonBreaking,
            "added optional parameter",
            "updateThing parameters/query/dryRun"
        )
    );
}

#[test]
fn relaxed_limit_is_not_breaking() {
    assert_eq!(
        changes("relaxed_limit"),
        one(
            Class::NonBreaking,
            "relaxed limit",
            "updateThing request/name"
        )
    );
}

#[test]
fn new_enum_value_in_a_response_breaks_exhaustive_matches() {
    assert_eq!(
        changes("new_enum_value_in_response"),
        [
            (
                Class::ExhaustiveMatch,
                "new enum value in a response",
                "listThings responses/200/[]/state".to_owned()
            ),
            (
                Class::ExhaustiveMatch,
                "new enum value in a response",
                "updateThing responses/200/state".to_owned()
            ),
        ]
    );
}

#[test]
fn the_table_shows_old_and_new_values_and_the_semver_hint() {
    let text = |n: &str| std::fs::read_to_string(fixture(n)).unwrap();
    let old = model_of("base", &text("base")).unwrap();
    let new = model_of("tightened", &text("tightened_limit")).unwrap();
    assert_eq!(
        render(&diff(&old, &new)),
        "| class | change | where | old | new |\n\
         |---|---|---|---|---|\n\
         | breaking | tightened limit | `updateThing request/name` | `maxLength 50` | `maxLength 20` |\n\
         \n\
         wire: 1 breaking, 0 breaking for exhaustive matches, 0 non-breaking.\n\
         semver (dotdigital-contacts-api, dotdigital-contacts): Rust major (tightened limit): \
         a breaking release; the crates are 0.x, so 0.x.y -> 0.(x+1).0.\n"
    );
}

/// The Rust semver hint for the change from base to the named fixture.
fn rust(name: &str) -> Rust {
    let text = |n: &str| std::fs::read_to_string(fixture(n)).unwrap();
    let old = model_of("base", &text("base")).unwrap();
    rust_semver(&diff(&old, &model_of(name, &text(name)).unwrap()))
}

#[test]
fn additions_are_minor_for_rust_because_the_generated_types_are_non_exhaustive() {
    for fixture in [
        "added_optional_parameter",
        "added_optional_property",
        "new_enum_value_in_response",
    ] {
        assert_eq!(rust(fixture), Rust::Minor, "{fixture}");
    }
}

#[test]
fn removals_retypes_and_new_requirements_are_major_for_rust() {
    for fixture in [
        "removed_operation",
        "removed_enum_value",
        "changed_type",
        "new_required_property",
        "new_required_parameter",
    ] {
        assert_eq!(rust(fixture), Rust::Major, "{fixture}");
    }
    assert_eq!(
        rust("relaxed_limit"),
        Rust::Patch,
        "a new maxLength value keeps the newtype"
    );
}

fn run_diff(new: &str, fail_on_breaking: bool) -> (Option<i32>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command.arg("diff").arg(fixture("base")).arg(fixture(new));
    if fail_on_breaking {
        command.arg("--fail-on-breaking");
    }
    let output = command.output().unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

#[test]
fn fail_on_breaking_exits_1_only_when_something_breaks() {
    let (code, table) = run_diff("removed_property", true);
    assert_eq!(code, Some(1));
    assert!(table.contains("| breaking | removed property |"), "{table}");
    assert_eq!(run_diff("removed_property", false).0, Some(0));
    assert_eq!(run_diff("new_enum_value_in_response", true).0, Some(1));
    assert_eq!(run_diff("added_optional_property", true).0, Some(0));
}

#[test]
fn a_git_side_reads_the_spec_at_that_revision() {
    let root = xtask::workspace_root();
    let text = read_side(&root, "git:HEAD").unwrap();
    assert!(
        model_of("HEAD", &text)
            .unwrap()
            .operations
            .contains_key("PUT /v2/contacts/{id}")
    );
    let err = read_side(&root, "git:no-such-revision")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("git show no-such-revision:openapi/dotdigital-contacts.yaml failed"),
        "{err}"
    );
}
