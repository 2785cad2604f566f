//! The spec parses as OpenAPI 3.0, has exactly the two operations, and every
//! example in it validates against its schema.

#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

use dotdigital_spec::{SPEC_YAML, examples, parse, to_json};
use serde_json::Value;

#[test]
fn parses_with_openapiv3_and_has_exactly_the_two_operations() {
    let spec = parse(SPEC_YAML).unwrap();
    assert_eq!(spec.openapi, "3.0.3");
    let mut operations: Vec<_> = spec
        .operations()
        .map(|(path, method, op)| (path.to_owned(), method.to_owned(), op.operation_id.clone()))
        .collect();
    operations.sort();
    assert_eq!(
        operations,
        [
            (
                "/contacts/v3/{identifier}/{value}".to_owned(),
                "patch".to_owned(),
                Some("importContact".to_owned())
            ),
            (
                "/v2/contacts/{id}".to_owned(),
                "put".to_owned(),
                Some("updateContact".to_owned())
            ),
        ]
    );
}

#[test]
fn every_example_validates_against_its_schema() {
    let spec = to_json(SPEC_YAML).unwrap();
    let found = examples(&spec);
    let mut failures = Vec::new();
    for example in &found {
        let validator = dotdigital_spec::validator(&spec, &example.schema).unwrap();
        for error in validator.iter_errors(&example.value) {
            failures.push(format!(
                "{}: {} at {}",
                example.location,
                error,
                error.instance_path()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} invalid examples:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(found.len() > 40, "only {} examples found", found.len());
}

#[test]
fn a_wrong_example_is_caught() {
    let spec = to_json(SPEC_YAML).unwrap();
    let validator = dotdigital_spec::validator(
        &spec,
        &serde_json::json!({"$ref": "#/components/schemas/ImportContactRequest"}),
    )
    .unwrap();
    let bad = serde_json::json!({"lists": [], "consentRecords": [{"text": "yes"}], "channelProperties": {"email": {"emailType": "Html"}}});
    let errors: Vec<String> = validator
        .iter_errors(&bad)
        .map(|e| e.instance_path().to_string())
        .collect();
    assert!(errors.contains(&"/lists".to_owned()), "{errors:?}");
    assert!(
        errors.contains(&"/consentRecords/0".to_owned()),
        "{errors:?}"
    );
    assert!(
        errors.contains(&"/channelProperties/email/emailType".to_owned()),
        "{errors:?}"
    );
    let fine = serde_json::json!({"dataFields": {"POSTCODE": null}, "identifiers": {"email": "a@b.co", "crmId": "7"}});
    assert!(validator.is_valid(&fine));
}

#[test]
fn every_request_body_and_response_carries_an_example() {
    let spec = to_json(SPEC_YAML).unwrap();
    let mut missing = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let mut media: Vec<(String, &Value)> = Vec::new();
            for (kind, content) in op["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flatten()
            {
                media.push((format!("{method} {path} request {kind}"), content));
            }
            for (status, response) in op["responses"].as_object().unwrap() {
                for (kind, content) in response["content"].as_object().into_iter().flatten() {
                    media.push((format!("{method} {path} {status} {kind}"), content));
                }
            }
            missing.extend(
                media
                    .into_iter()
                    .filter(|(_, c)| c.get("example").is_none() && c.get("examples").is_none())
                    .map(|(at, _)| at),
            );
        }
    }
    assert!(missing.is_empty(), "no example: {missing:?}");
}

#[test]
fn no_request_body_property_has_a_default() {
    // A `default` on a body property makes the generated client always send it,
    // silently overwriting server state (see the spec rules in the README).
    let spec = to_json(SPEC_YAML).unwrap();
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    for name in [
        "ImportContactRequest",
        "IdentifiersUpdate",
        "ChannelPropertiesUpdate",
        "EmailChannelUpdate",
        "ResubscribeOptions",
        "MobileChannelUpdate",
        "PreferenceUpdate",
        "ConsentRecord",
        "ApiContactUpdate",
        "ApiContactDataField",
    ] {
        let schema = &schemas[name];
        assert!(schema.is_object(), "{name} missing");
        for (prop, def) in schema["properties"].as_object().unwrap() {
            assert!(def.get("default").is_none(), "{name}.{prop} has a default");
            if let Some(target) = def["$ref"].as_str() {
                let target = target.trim_start_matches("#/components/schemas/");
                assert!(
                    schemas[target].get("default").is_none(),
                    "{name}.{prop} refers to {target}, which has a default"
                );
            }
        }
    }
}
