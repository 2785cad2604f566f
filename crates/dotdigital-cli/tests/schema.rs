//! `dotdigital contacts schema`: the printed JSON Schema, checked with a
//! standard validator (the `jsonschema` crate), takes exactly the JSONL rows
//! the real binary's `sync --dry-run` takes, and refuses the ones it refuses.

#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

fn dotdigital(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dotdigital"))
        .args(args)
        .env_remove("DOTDIGITAL_API_USER")
        .output()
        .unwrap()
}

fn schema(args: &[&str]) -> jsonschema::Validator {
    let mut all = vec!["contacts", "schema"];
    all.extend(args);
    let output = dotdigital(&all);
    assert!(output.status.success(), "{output:?}");
    let schema: Value = serde_json::from_slice(&output.stdout).unwrap();
    jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

/// Each row's verdict from the real sync (`--dry-run` reads and checks every
/// row as it would before sending): row number to `None` (taken) or the error.
fn sync_verdicts(dir: &Path, rows: &[Value], identifier: &str) -> Vec<Option<String>> {
    std::fs::create_dir_all(dir).unwrap();
    let input = dir.join("rows.jsonl");
    let report = dir.join("report.jsonl");
    let _ = std::fs::remove_file(&report);
    let text: Vec<String> = rows.iter().map(Value::to_string).collect();
    std::fs::write(&input, text.join("\n") + "\n").unwrap();
    dotdigital(&[
        "contacts",
        "sync",
        "--dry-run",
        "--identifier",
        identifier,
        "--report",
        report.to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    let report = std::fs::read_to_string(&report).unwrap();
    // Row lines only: the first line says what the report was made from.
    let lines: Vec<Value> = report
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|line| line.get("row").is_some())
        .collect();
    assert_eq!(lines.len(), rows.len(), "{report}");
    lines
        .iter()
        .map(|line| match line["status"].as_str() {
            Some("valid") => None,
            _ => Some(line["error"].as_str().unwrap_or("?").to_owned()),
        })
        .collect()
}

fn lists(n: i32) -> Value {
    json!((1..=n).collect::<Vec<i32>>())
}

fn consent(ip: &str) -> Value {
    json!({"text": "Yes", "dateTimeConsented": "2023-01-26T21:29:00Z", "url": "https://example.com/signup",
           "ipAddress": ip, "userAgent": "Mozilla/5.0"})
}

#[test]
fn the_row_schema_takes_exactly_the_rows_the_sync_takes() {
    let email = |e: &str| json!({"email": e});
    let rows = [
        // Taken.
        json!({"identifiers": {"email": "ann@example.com", "mobileNumber": "+447123123123", "crmId": "A-1"},
               "dataFields": {"FIRSTNAME": "Ann", "POSTCODE": null, "AGE": 40},
               "channelProperties": {"email": {"emailType": "html", "optInType": "double", "status": "subscribed",
                   "resubscribeOptions": {"resubscribeWithNoChallenge": false, "preferredLocale": "en-EN"}}},
               "lists": lists(100), "preferences": [{"id": 1, "isOptedIn": true}],
               "consentRecords": [consent("129.168.0.2"), consent("::1")]}),
        json!({"identifiers": email("bob@example.com"), "lists": []}),
        json!({"identifiers": email("cy@example.com"), "contactId": 12}),
        json!({"identifiers": email("dee@example.com"), "channelProperties": null}),
        // Refused.
        json!({"identifiers": email("bob@example.com"), "dataFeilds": {"FIRSTNAME": "Bob"}}),
        json!({"identifiers": email("cy@example.com"), "lists": lists(101)}),
        json!({"identifiers": email("cy@example.com"), "lists": [3_000_000_000_i64]}),
        json!({"identifiers": email("ed@example.com"), "channelProperties": {"email": {"optInTyp": "single"}}}),
        json!({"identifiers": email("ed@example.com"), "channelProperties": {"email": {"optInType": "triple"}}}),
        json!({"identifiers": {"email": "fay@example.com", "mobileNumber": "+44 7123"}}),
        json!({"identifiers": email("not an address")}),
        json!({"identifiers": email("gus@example.com"), "consentRecords": vec![consent("1.2.3.4"); 6]}),
        json!({"identifiers": email("gus@example.com"), "consentRecords": [consent("not-an-ip")]}),
        json!({"identifiers": email("hal@example.com"), "preferences": [{"id": 1}]}),
        json!({"identifiers": {"mobileNumber": "447123123123"}}),
        json!({"identifiers": null}),
        json!({"dataFields": {"FIRSTNAME": "Ivy"}}),
        json!([]),
    ];
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("schema-rows");
    let verdicts = sync_verdicts(&dir, &rows, "email");
    let validator = schema(&[]);
    for (row, verdict) in rows.iter().zip(&verdicts) {
        assert_eq!(
            validator.is_valid(row),
            verdict.is_none(),
            "the schema and the sync disagree on {row} (sync: {verdict:?})"
        );
    }
    // Not vacuous: the first four are taken, the rest refused, and for the
    // reasons the issue names.
    let taken = verdicts.iter().filter(|v| v.is_none()).count();
    assert_eq!(taken, 4, "{verdicts:?}");
    assert!(
        verdicts[4]
            .as_deref()
            .unwrap()
            .contains("dataFeilds: not a property the spec has")
    );
    assert!(
        verdicts[5]
            .as_deref()
            .unwrap()
            .contains("at most 100 items, got 101")
    );
    let error = validator.validate(&rows[4]).unwrap_err();
    assert!(error.to_string().contains("dataFeilds"), "{error}");
    let error = validator.validate(&rows[5]).unwrap_err();
    assert_eq!(error.instance_path().as_str(), "/lists");
}

#[test]
fn the_row_schema_follows_the_identifier_the_sync_keys_on() {
    let rows = [
        json!({"contactId": 42, "dataFields": {"FIRSTNAME": "Ann"}}),
        json!({"contactId": "42"}),
        json!({"identifiers": {"email": "ann@example.com"}}),
    ];
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("schema-contact-id");
    let verdicts = sync_verdicts(&dir, &rows, "contactId");
    assert_eq!(
        verdicts.iter().filter(|v| v.is_none()).count(),
        1,
        "{verdicts:?}"
    );
    let validator = schema(&["--identifier", "contactId"]);
    for (row, verdict) in rows.iter().zip(&verdicts) {
        assert_eq!(
            validator.is_valid(row),
            verdict.is_none(),
            "{row}: {verdict:?}"
        );
    }
    let rows = [
        json!({"identifiers": {"crmId": "A-1"}}),
        json!({"identifiers": {"crmId": ""}}),
        json!({"identifiers": {"email": "ann@example.com"}}),
    ];
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("schema-custom");
    let verdicts = sync_verdicts(&dir, &rows, "crmId");
    assert_eq!(
        verdicts.iter().filter(|v| v.is_none()).count(),
        1,
        "{verdicts:?}"
    );
    let validator = schema(&["--identifier", "crmId"]);
    for (row, verdict) in rows.iter().zip(&verdicts) {
        assert_eq!(
            validator.is_valid(row),
            verdict.is_none(),
            "{row}: {verdict:?}"
        );
    }
}

#[test]
fn the_update_schema_takes_exactly_the_bodies_the_update_reader_takes() {
    let bodies = [
        json!({"email": "john@example.com", "optInType": "Double", "emailType": "Html",
               "dataFields": [{"key": "GENDER", "value": "Male"}, {"key": "POSTCODE", "value": null}]}),
        json!({"email": "john@example.com", "id": 100, "status": "Subscribed"}),
        json!({"emial": "john@example.com"}),
        json!({"email": "john@example.com", "nickname": "J"}),
        json!({"email": ""}),
        json!({"email": "john@example.com", "optInType": "Sometimes"}),
        json!({"email": "john@example.com", "dataFields": [{"key": "A", "value": 1, "type": "n"}]}),
        json!({"email": "john@example.com", "id": 3_000_000_000_i64}),
        json!({"optInType": "Single"}),
    ];
    let validator = schema(&["--update"]);
    let mut taken = 0;
    for body in &bodies {
        let read = dotdigital_contacts::json::update_request(&body.to_string());
        taken += usize::from(read.is_ok());
        assert_eq!(validator.is_valid(body), read.is_ok(), "{body}: {read:?}");
    }
    assert_eq!(taken, 2);
}
