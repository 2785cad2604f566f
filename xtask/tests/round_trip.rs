#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]
//! The round trip of the derived JSON Schemas against the spec: today's
//! workspace passes (its client built in a child cargo), and a derived schema
//! that lost a `nullable`, a `maxItems` or an enum value fails with the JSON
//! pointer and both values (a fixture spec and a deliberately mismatched pair).

use std::path::Path;

use serde_json::{Value, json};
use xtask::round_trip::{self, Difference};

fn fixture() -> (Value, Value) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/round_trip");
    let spec = std::fs::read_to_string(dir.join("spec.yaml")).unwrap();
    let derived = std::fs::read_to_string(dir.join("derived.json")).unwrap();
    (
        dotdigital_spec::to_json(&spec).unwrap(),
        serde_json::from_str(&derived).unwrap(),
    )
}

/// The fixture's derived schemas with the value at `pointer` replaced.
fn mismatched(pointer: &str, value: Value) -> Vec<Difference> {
    let (spec, mut derived) = fixture();
    *derived.pointer_mut(pointer).unwrap() = value;
    round_trip::compare(&spec, &derived).differences
}

fn difference(pointer: &str, spec: Option<Value>, derived: Option<Value>) -> Difference {
    Difference {
        pointer: pointer.to_owned(),
        spec,
        derived,
    }
}

#[test]
fn a_faithful_pair_passes_and_says_which_rules_allowed_what() {
    let (spec, derived) = fixture();
    let report = round_trip::compare(&spec, &derived);
    assert_eq!(report.differences, [], "{}", report.render());
    assert_eq!(report.compared, 4);
    let allowed: Vec<(&str, &str)> = report
        .allowed
        .iter()
        .map(|(id, at)| (*id, at.as_str()))
        .collect();
    assert_eq!(
        allowed,
        [
            (
                "optional-reads-null",
                "#/components/schemas/Got/properties/status"
            ),
            (
                "optional-reads-null",
                "#/components/schemas/Put/properties/status"
            ),
            ("open-response-enum", "#/components/schemas/Seen"),
        ]
    );
    assert!(
        report.render().contains("open-response-enum ×1"),
        "{}",
        report.render()
    );
}

#[test]
fn a_lost_nullable_fails_with_the_pointer_and_both_values() {
    let differences = mismatched("/Put/properties/note", json!({"type": "string"}));
    assert_eq!(
        differences,
        [difference(
            "#/components/schemas/Put/properties/note/nullable",
            Some(json!(true)),
            Some(json!(false))
        )]
    );
    assert_eq!(
        differences[0].to_string(),
        "#/components/schemas/Put/properties/note/nullable: spec true, derived false"
    );
}

#[test]
fn a_required_property_that_turns_nullable_fails() {
    let (spec, mut derived) = fixture();
    // `optional-reads-null` is for properties that are not required only.
    let put = derived.pointer_mut("/Put/properties").unwrap();
    put["tags"] = json!({"anyOf": [put["tags"].clone(), {"type": "null"}]});
    derived["Put"]["required"] = json!(["note", "tags"]);
    let mut spec = spec;
    spec["components"]["schemas"]["Put"]["required"] = json!(["note", "tags"]);
    let differences = round_trip::compare(&spec, &derived).differences;
    assert!(
        differences.contains(&difference(
            "#/components/schemas/Put/properties/tags/nullable",
            Some(json!(false)),
            Some(json!(true))
        )),
        "{differences:?}"
    );
}

#[test]
fn a_lost_max_items_fails_with_the_pointer_and_both_values() {
    let differences = mismatched(
        "/Put/properties/tags",
        json!({"items": {"type": "string"}, "minItems": 1, "type": "array"}),
    );
    assert_eq!(
        differences,
        [difference(
            "#/components/schemas/Put/properties/tags/maxItems",
            Some(json!(3)),
            None
        )]
    );
    assert_eq!(
        differences[0].to_string(),
        "#/components/schemas/Put/properties/tags/maxItems: spec 3, derived (absent)"
    );
}

#[test]
fn a_lost_enum_value_fails_with_the_pointer_and_both_values() {
    let differences = mismatched("/Wanted/enum", json!(["on"]));
    assert_eq!(
        differences,
        [difference(
            "#/components/schemas/Wanted/enum",
            Some(json!(["on", "off"])),
            Some(json!(["on"]))
        )]
    );
}

#[test]
fn a_request_enum_may_not_be_open() {
    // Only a response enum may accept any string.
    let differences = mismatched("/Wanted", json!({"title": "Wanted", "type": "string"}));
    assert_eq!(
        differences,
        [difference(
            "#/components/schemas/Wanted/enum",
            Some(json!(["on", "off"])),
            None
        )]
    );
}

#[test]
fn an_opened_object_and_a_missing_type_fail() {
    let differences = mismatched("/Put/additionalProperties", json!(true));
    assert_eq!(
        differences,
        [difference(
            "#/components/schemas/Put/additionalProperties",
            Some(json!(false)),
            Some(json!(true))
        )]
    );
    let (spec, mut derived) = fixture();
    derived.as_object_mut().unwrap().remove("Got");
    let report = round_trip::compare(&spec, &derived);
    assert_eq!(
        report.differences,
        [difference(
            "#/components/schemas/Got",
            Some(json!("Got")),
            None
        )]
    );
}

#[test]
fn every_allowed_difference_has_a_reason() {
    for rule in round_trip::ALLOWED {
        assert!(rule.reason.len() > 40, "{}", rule.id);
    }
}

#[test]
fn the_workspace_derived_schemas_mean_what_its_spec_says_and_match_their_snapshot() {
    // The client built with its `schemars` feature, in a child cargo: xtask
    // itself never compiles the generated code.
    let root = xtask::workspace_root();
    let spec = dotdigital_spec::to_json(&xtask::read_spec(&root).unwrap()).unwrap();
    let derived = round_trip::derived_schemas(&root).unwrap();
    let report = round_trip::compare(&spec, &derived);
    assert_eq!(report.differences, [], "{}", report.render());
    let artifact = xtask::snapshots::derived_artifact(&derived);
    let drift = xtask::snapshots::compare(&root, std::slice::from_ref(&artifact));
    assert!(drift.is_empty(), "{}", drift.join("\n"));
    // Through insta too, so `cargo insta test --unreferenced=reject` sees the snapshot used.
    xtask::snapshots::assert_with_insta(&root, &[artifact]);
}
