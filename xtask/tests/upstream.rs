#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]
//! `cargo xtask upstream`: a layered published description against our flat
//! one, deviations matched by pointer, and the exit code on an unlisted one.

mod common;

use std::path::{Path, PathBuf};

use openapi_change_classifier::{Difference, Model, compare, model_of};
use xtask::upstream::{files, run, skipped};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/upstream")
        .join(name)
}

fn model(name: &str) -> Model {
    model_of(name, &std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
}

fn d(pointer: &str, kind: &str, upstream: &str, ours: &str) -> Difference {
    Difference {
        pointer: pointer.to_owned(),
        kind: kind.to_owned(),
        upstream: upstream.to_owned(),
        ours: ours.to_owned(),
    }
}

#[test]
fn layers_are_merged_and_every_difference_is_named() {
    let (compared, differences) = compare(&model("published.json"), &model("ours.yaml"));
    assert_eq!(compared, ["updateThing"]);
    assert_eq!(
        differences,
        [
            d(
                "updateThing/request/colour#enum/Unknown",
                "enum",
                "present",
                "-"
            ),
            d(
                "updateThing/request/colour#nullable",
                "nullable",
                "true",
                "false"
            ),
            d("updateThing/request/name#default", "default", "\"x\"", "-"),
            d("updateThing/responses/200/id#minimum", "minimum", "0", "-"),
            d(
                "updateThing/responses/200/id#type",
                "type",
                "integer",
                "integer(int64)"
            ),
            d(
                "updateThing/responses/200/label",
                "only upstream",
                "required undefined",
                "-"
            ),
            d(
                "updateThing/responses/401#additionalProperties",
                "additionalProperties",
                "-",
                "open"
            ),
            d(
                "updateThing/responses/401#media",
                "media",
                "-",
                "application/json"
            ),
            d("updateThing/responses/401#type", "type", "none", "object"),
        ]
    );
}

/// A published file that is our own spec with one change, whatever the spec
/// holds today: a query parameter only upstream has on every operation.
fn drifted_upstream(name: &str) -> PathBuf {
    let root = xtask::workspace_root();
    let mut spec = dotdigital_spec::to_json(&xtask::read_spec(&root).unwrap()).unwrap();
    for item in spec["paths"].as_object_mut().unwrap().values_mut() {
        for op in item.as_object_mut().unwrap().values_mut() {
            let probe = serde_json::json!({"name": "upstreamProbe", "in": "query", "schema": {"type": "string"}});
            match op["parameters"].as_array_mut() {
                Some(parameters) => parameters.push(probe),
                None => op["parameters"] = serde_json::json!([probe]),
            }
        }
    }
    let path = common::scratch(name);
    std::fs::write(&path, serde_json::to_string_pretty(&spec).unwrap()).unwrap();
    path
}

#[test]
fn an_unlisted_difference_fails_and_is_marked() {
    let root = xtask::workspace_root();
    let (report, all_listed) = run(&root, &[drifted_upstream("upstream-run.yaml")]).unwrap();
    assert!(!all_listed);
    // The unlisted differences stand on their own, last, before the verdict.
    let unlisted = report
        .split("UNLISTED differences (in no row of openapi/deviations.md):")
        .nth(1)
        .unwrap();
    assert!(
        unlisted.contains(
            "upstream-run.yaml | only upstream | `importContact/parameters/query/upstreamProbe` |"
        ),
        "{report}"
    );
    assert_eq!(report.matches("| UNLISTED |").count(), 2, "{report}");
    assert!(
        report.contains("error: 2 difference(s) not listed in openapi/deviations.md"),
        "{report}"
    );
}

#[test]
fn the_command_exits_1_on_an_unlisted_difference() {
    let output = common::xtask([
        "upstream".as_ref(),
        drifted_upstream("upstream-exit.yaml").as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn a_file_without_our_operations_is_an_error() {
    let root = xtask::workspace_root();
    let err = run(&root, &[fixture("published.json")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("describes none of our operations"), "{err}");
}

#[test]
fn without_files_and_without_shared_upstream_it_skips() {
    let lonely = common::scratch("clone/without/shared");
    std::fs::create_dir_all(&lonely).unwrap();
    assert_eq!(files(&lonely, &[]), None);
    let message = skipped();
    assert!(
        message.contains("cargo xtask upstream path/to/dotdigital-contacts-service.json"),
        "{message}"
    );
    assert_eq!(
        files(&lonely, &["x.json"]),
        Some(vec![PathBuf::from("x.json")])
    );
}
