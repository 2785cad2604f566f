#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]
//! The evolution catalogue without the builds (`cargo xtask evolve` in CI
//! does those): it covers what it promises, every additive change still
//! generates a client, and `xtask diff` calls each change what it is.

mod common;

use xtask::evolve::{Build, Edit, apply, catalogue, run};
use xtask::workspace_root;

use common::spec;

#[test]
fn the_catalogue_covers_every_request_object_the_response_and_each_operation() {
    let edits: Vec<String> = catalogue(&spec())
        .iter()
        .map(|c| c.edit.to_string())
        .collect();
    for expected in [
        "new optional property on ImportContactRequest",
        "new optional property on IdentifiersUpdate",
        "new optional property on ConsentRecord",
        "new optional property on ResubscribeOptions",
        "new optional property on ApiContactUpdate",
        "new optional property on ApiContactDataField",
        "new optional property on Contact",
        "new optional query parameter on importContact",
        "new response header on importContact",
        "new optional query parameter on updateContact",
    ] {
        assert!(
            edits.iter().any(|e| e == expected),
            "{expected} missing from {edits:#?}"
        );
    }
    let cases = catalogue(&spec());
    let breaking: Vec<&Edit> = cases
        .iter()
        .filter(|c| !c.additive)
        .map(|c| &c.edit)
        .collect();
    assert!(
        matches!(
            breaking[..],
            [
                Edit::RemoveProperty { .. },
                Edit::AddProperty { required: true, .. },
                Edit::RemoveEnumValue { .. }
            ]
        ),
        "{breaking:?}"
    );
}

#[test]
fn every_additive_change_still_generates_a_client() {
    let spec = spec();
    for case in catalogue(&spec).into_iter().filter(|c| c.additive) {
        let changed = serde_json::to_string(&apply(&spec, &case.edit).unwrap()).unwrap();
        let source = dotdigital_codegen::generate(&changed).unwrap();
        if matches!(case.edit, Edit::AddProperty { .. }) {
            assert!(source.contains("evolution_probe"), "{}", case.edit);
        }
    }
}

#[test]
fn all_additive_changes_at_once_still_generate_a_client() {
    let spec = spec();
    let together = catalogue(&spec)
        .into_iter()
        .filter(|c| c.additive)
        .fold(spec.clone(), |changed, case| {
            apply(&changed, &case.edit).unwrap()
        });
    dotdigital_codegen::generate(&serde_json::to_string(&together).unwrap()).unwrap();
}

#[test]
fn xtask_diff_calls_every_change_what_the_catalogue_expects() {
    let scratch = common::scratch("evolve-verdicts");
    let (report, all_ok) = run(&workspace_root(), &scratch, Build::Nothing).unwrap();
    assert!(all_ok, "{report}");
    assert!(report.contains("| value removed from enum"), "{report}");
    assert!(report.contains("non-breaking; Rust: minor"), "{report}");
    assert!(report.contains("breaking; Rust: major"), "{report}");
}
