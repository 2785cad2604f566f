#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]
//! The wrapper-schema compatibility check on hand-written schemas in the
//! shape schemars produces, until the wrapper emits its own.

use std::path::Path;

use xtask::wrapper_schema::check_wrapper_schema;

fn findings(fixture: &str) -> Vec<String> {
    let spec = dotdigital_spec::to_json(dotdigital_spec::SPEC_YAML).unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/wrapper")
        .join(fixture);
    let wrapper: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    check_wrapper_schema(&spec, "ImportContactRequest", &wrapper)
}

#[test]
fn a_wrapper_inside_the_spec_passes() {
    assert_eq!(findings("compatible.json"), Vec::<String>::new());
}

#[test]
fn every_way_out_of_the_spec_is_reported() {
    assert_eq!(
        findings("incompatible.json"),
        [
            "ImportContactRequest.channelProperties.email.emailType: the wrapper can send \"Html\", not in the spec's enum",
            "ImportContactRequest.channelProperties.email.optInType: the spec allows only \"unknown\", \"single\", \"double\", \"verifiedDouble\", the wrapper any value",
            "ImportContactRequest.consentRecords[].dateTimeConsented: required by the spec, optional in the wrapper",
            "ImportContactRequest.consentRecords[].ipAddress: required by the spec, optional in the wrapper",
            "ImportContactRequest.consentRecords[].text: the wrapper can send null, the spec wants string",
            "ImportContactRequest.consentRecords[].url: required by the spec, optional in the wrapper",
            "ImportContactRequest.consentRecords[].userAgent: required by the spec, optional in the wrapper",
            "ImportContactRequest.identifiers.email: the wrapper can send integer, the spec wants string",
            "ImportContactRequest.lists: the spec has maxItems 100, the wrapper 500",
            "ImportContactRequest.lists: the spec has minItems 1, the wrapper none",
            "ImportContactRequest.lists[]: the spec wants format int32, the wrapper sends int64",
            "ImportContactRequest.nickname: the spec has no such property",
        ]
    );
}
