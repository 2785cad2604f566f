#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]
//! One fixture pair per rule in `tests/fixtures/rules/` (each directory's
//! `expect` lists the `level rule-id` pairs it must report, and nothing
//! else), then `tests/fixtures/base.yaml` against each other file there for
//! places, the table and the semver hint.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use openapi_change_classifier::format::markdown;
use openapi_change_classifier::{
    Change, Level, REQUEST_SUBJECTS, RESPONSE_SUBJECTS, RULES, Rust, SCHEMA_RULES, Source,
    all_rules, diff, load, model_of, rust_semver,
};

/// What `git:<rev>` alone names in these tests.
const DEFAULT_PATH: &str = "crates/openapi-change-classifier/tests/fixtures/base.yaml";

/// The repository root (git sides are read from there).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn load_side(side: &str) -> openapi_change_classifier::Model {
    load(&root(), side, DEFAULT_PATH).unwrap()
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn side(path: &Path) -> String {
    path.display().to_string()
}

/// Every rule fixture: its name and the `(level, id)` pairs it expects.
fn rule_fixtures() -> Vec<(String, BTreeSet<(Level, String)>)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(fixtures().join("rules")).unwrap() {
        let dir = entry.unwrap().path();
        let expect = std::fs::read_to_string(dir.join("expect")).unwrap();
        let expected = expect
            .lines()
            .map(|line| {
                let (level, id) = line.split_once(' ').unwrap();
                (Level::parse(level).unwrap(), id.to_owned())
            })
            .collect();
        found.push((
            dir.file_name().unwrap().to_string_lossy().into_owned(),
            expected,
        ));
    }
    found.sort();
    found
}

fn rule_changes(name: &str) -> Vec<Change> {
    let dir = fixtures().join("rules").join(name);
    let old = load_side(&side(&dir.join("old.yaml")));
    let new = load_side(&side(&dir.join("new.yaml")));
    diff(&old, &new)
}

#[test]
fn every_rule_fixture_reports_its_rules_at_their_levels_and_nothing_else() {
    let started = Instant::now();
    let fixtures = rule_fixtures();
    let known: BTreeSet<(String, Level)> = all_rules().into_iter().collect();
    let mut wrong = Vec::new();
    for (name, expected) in &fixtures {
        let changes = rule_changes(name);
        let reported: BTreeSet<(Level, String)> =
            changes.iter().map(|c| (c.level, c.id.clone())).collect();
        if &reported != expected {
            wrong.push(format!(
                "{name}: expected {expected:?}, reported {changes:#?}"
            ));
        }
        for (level, id) in &reported {
            if !known.contains(&(id.clone(), *level)) {
                wrong.push(format!(
                    "{name}: {id} at {level:?} is not in the rule table"
                ));
            }
        }
    }
    eprintln!(
        "{} rule fixtures diffed in {:.0} ms",
        fixtures.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_rule_has_a_fixture() {
    let expected: BTreeSet<(Level, String)> =
        rule_fixtures().into_iter().flat_map(|(_, e)| e).collect();
    let covered = |id: &str, level: Level| expected.contains(&(level, id.to_owned()));
    let mut missing = Vec::new();
    for (id, level) in RULES {
        if !covered(id, *level) {
            missing.push((*id).to_owned());
        }
    }
    for rule in SCHEMA_RULES {
        for (subjects, level) in [
            (REQUEST_SUBJECTS, rule.request),
            (RESPONSE_SUBJECTS, rule.response),
        ] {
            let Some(level) = level else { continue };
            if !subjects
                .iter()
                .any(|s| covered(&format!("{s}-{}", rule.word), level))
            {
                missing.push(format!("{}-{}", subjects[0], rule.word));
            }
        }
    }
    assert!(missing.is_empty(), "no fixture for {missing:?}");
}

#[test]
fn the_readme_lists_every_rule() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let ids = RULES
        .iter()
        .map(|(id, _)| *id)
        .chain(SCHEMA_RULES.iter().map(|r| r.word));
    let missing: Vec<&str> = ids
        .filter(|id| !readme.contains(&format!("`{id}`")))
        .collect();
    assert!(missing.is_empty(), "README.md does not list {missing:?}");
}

#[test]
fn a_removed_first_branch_is_one_removed_branch_not_renamed_schemas() {
    let changes = rule_changes("request-property-one-of-removed");
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0].node, "request/p/oneOf/0");
    assert_eq!(changes[0].old, "object = Cat");
    assert_eq!(
        changes[0].old_pointer,
        "#/paths/~1things~1{id}/patch/requestBody/content/application~1json/schema/properties/p/oneOf/0"
    );
}

/// `(level, id)` of every change a rule fixture reports.
fn verdicts(name: &str) -> Vec<(Level, String)> {
    rule_changes(name)
        .into_iter()
        .map(|c| (c.level, c.id))
        .collect()
}

#[test]
fn the_three_kinds_of_disagreement_with_oasdiff_are_settled() {
    // A body gaining a media type beside the one compared is not a type change.
    assert_eq!(
        verdicts("request-body-second-media-type-added"),
        [(Level::Info, "request-body-media-type-added".to_owned())]
    );
    // A typed group losing a branch loses a branch, not a property's type.
    assert_eq!(
        verdicts("response-property-one-of-typed-group-branch-removed"),
        [(Level::Info, "response-property-one-of-removed".to_owned())]
    );
    // A pattern generalised on a shared schema: oasdiff's id on the request
    // side; the response side breaks a generated client (README).
    assert_eq!(
        verdicts("request-property-pattern-generalized-shared-schema"),
        [
            (
                Level::Error,
                "response-property-pattern-generalized".to_owned()
            ),
            (
                Level::Info,
                "request-property-pattern-generalized".to_owned()
            ),
        ]
    );
}

#[test]
fn a_property_inside_an_external_file_points_into_that_file() {
    let changes = rule_changes("external-ref-nested-limit-tightened");
    assert_eq!(changes[0].node, "request/tag");
    assert_eq!(
        changes[0].old_pointer,
        "old/schemas.yaml#/Pet/properties/tag"
    );
    assert_eq!(
        changes[0].new_pointer,
        "new/schemas.yaml#/Pet/properties/tag"
    );
    assert_eq!(
        (changes[0].old.as_str(), changes[0].new.as_str()),
        ("maxLength 20", "maxLength 10")
    );
}

fn fixture(name: &str) -> PathBuf {
    fixtures().join(format!("{name}.yaml"))
}

/// Every change from base to the named fixture.
fn base_changes(name: &str) -> Vec<Change> {
    let old = load_side(&side(&fixture("base")));
    diff(&old, &load_side(&side(&fixture(name))))
}

/// `(level, id, where)` of every change from base to the named fixture.
fn changes(name: &str) -> Vec<(Level, String, String)> {
    base_changes(name)
        .into_iter()
        .map(|c| (c.level, c.id.clone(), c.at()))
        .collect()
}

fn one(level: Level, id: &str, at: &str) -> Vec<(Level, String, String)> {
    vec![(level, id.to_owned(), at.to_owned())]
}

#[test]
fn identical_specs_have_no_changes() {
    assert_eq!(changes("base"), []);
}

#[test]
fn changes_are_placed_by_operation_and_node() {
    assert_eq!(
        changes("removed_operation"),
        one(
            Level::Error,
            "api-removed-without-deprecation",
            "GET /things"
        )
    );
    assert_eq!(
        changes("removed_parameter"),
        one(
            Level::Warning,
            "request-parameter-removed",
            "updateThing parameters/query/mode"
        )
    );
    assert_eq!(
        changes("removed_enum_value"),
        one(
            Level::Error,
            "request-property-enum-value-removed",
            "updateThing request/colour"
        )
    );
    assert_eq!(
        changes("new_required_parameter"),
        one(
            Level::Error,
            "new-required-request-parameter",
            "updateThing parameters/query/owner"
        )
    );
}

#[test]
fn a_change_to_a_shared_schema_is_reported_wherever_it_is_used() {
    assert_eq!(
        changes("changed_type"),
        [
            (
                Level::Error,
                "response-property-type-changed".to_owned(),
                "listThings responses/200/[]/id".to_owned()
            ),
            (
                Level::Error,
                "response-property-type-changed".to_owned(),
                "updateThing responses/200/id".to_owned()
            ),
        ]
    );
}

#[test]
fn a_new_response_enum_value_breaks_exhaustive_matches() {
    let changes = base_changes("new_enum_value_in_response");
    assert_eq!(changes.len(), 2);
    assert!(changes.iter().all(|c| c.level == Level::Error
        && c.id == "response-property-enum-value-added"
        && c.breaks_exhaustive_matches()));
    assert_eq!(
        openapi_change_classifier::verdict(&changes),
        "breaking for exhaustive matches"
    );
}

#[test]
fn each_change_carries_the_pointer_of_both_sides() {
    let changes = base_changes("tightened_limit");
    assert_eq!(
        changes[0].old_pointer,
        "#/components/schemas/ThingUpdate/properties/name"
    );
    assert_eq!(changes[0].new_pointer, changes[0].old_pointer);
    let added = base_changes("added_optional_property");
    assert_eq!(
        added[0].old_pointer,
        "#/paths/~1things~1{id}/patch/requestBody"
    );
    assert_eq!(
        added[0].new_pointer,
        "#/components/schemas/ThingUpdate/properties/note"
    );
}

#[test]
fn the_table_shows_old_and_new_values_and_the_semver_hint() {
    assert_eq!(
        markdown(&base_changes("tightened_limit")),
        "| level | rule | where | old | new |\n\
         |---|---|---|---|---|\n\
         | error | request-property-limit-tightened | `updateThing request/name` | `maxLength 50` | `maxLength 20` |\n\
         \n\
         wire: 1 error (0 of them breaking for exhaustive matches only), 0 warning, 0 info.\n\
         semver (the generated client): Rust patch (request-property-limit-tightened): \
         a patch release, 0.x.y -> 0.x.(y+1).\n"
    );
}

/// The Rust semver hint for the change from base to the named fixture.
fn rust(name: &str) -> Rust {
    rust_semver(&base_changes(name))
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
        "removed_parameter",
        "removed_property",
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

#[test]
fn a_git_side_reads_the_default_path_or_any_file_at_that_revision() {
    let text = Source::parse("git:HEAD", DEFAULT_PATH)
        .read(&root())
        .unwrap();
    assert!(
        model_of("HEAD", &text)
            .unwrap()
            .operations
            .contains_key("GET /things")
    );
    let rules = "git:HEAD:crates/openapi-change-classifier/tests/fixtures/rules";
    let old = load_side(&format!("{rules}/endpoint-added/old.yaml"));
    assert!(!old.operations.is_empty());
    let err = Source::parse("git:no-such-revision", DEFAULT_PATH)
        .read(&root())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!("git show no-such-revision:{DEFAULT_PATH} failed")),
        "{err}"
    );
}

#[test]
fn a_git_side_reads_external_refs_from_the_same_revision() {
    let dir = "crates/openapi-change-classifier/tests/fixtures/rules/external-ref-response-property-became-optional";
    let old = load_side(&format!("git:HEAD:{dir}/old.yaml"));
    let new = load_side(&format!("{}/{dir}/new.yaml", root().display()));
    let ids: Vec<String> = diff(&old, &new).into_iter().map(|c| c.id).collect();
    assert_eq!(ids, ["response-property-became-optional"]);
}
