//! The sandbox follows the spec it is built from: each test changes a copy
//! of the project's spec (as the team keeping the client in sync would),
//! builds a sandbox from it with no sandbox edit, and talks to it over HTTP.
//! Every answer is checked against the changed spec. The copies are made by
//! walking from the operations, so the tests hold as the spec gains values.

#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

mod common;

use common::{ANN, Api, conforms_to, spec};
use serde_json::{Value, json};

const IMPORT: &str = "/paths/~1contacts~1v3~1{identifier}~1{value}/patch";
const UPDATE: &str = "/paths/~1v2~1contacts~1{id}/put";

/// The JSON pointer of the schema reached from `start` (a pointer to a
/// schema) by following `path` (property names, `[]` for items), with every
/// `$ref` on the way resolved.
fn schema_pointer(spec: &Value, start: &str, path: &[&str]) -> String {
    let resolve = |mut pointer: String| {
        while let Some(target) = spec.pointer(&pointer).unwrap()["$ref"].as_str() {
            pointer = target.trim_start_matches('#').to_owned();
        }
        pointer
    };
    let mut pointer = resolve(start.to_owned());
    for step in path {
        let next = if *step == "[]" {
            format!("{pointer}/items")
        } else {
            format!("{pointer}/properties/{step}")
        };
        pointer = resolve(next);
    }
    pointer
}

fn request(path: &[&str]) -> String {
    let start = format!("{IMPORT}/requestBody/content/application~1json/schema");
    schema_pointer(spec(), &start, path)
}

fn answer(operation: &str, path: &[&str]) -> String {
    let start = format!("{operation}/responses/200/content/application~1json/schema");
    schema_pointer(spec(), &start, path)
}

/// Adds property `name` with `schema` to the object schema at `pointer`.
fn add_property(spec: &mut Value, pointer: &str, name: &str, schema: Value) {
    let object = spec.pointer_mut(pointer).unwrap();
    object["properties"][name] = schema;
}

/// Appends `value` to the enum of the schema at `pointer`.
fn add_enum_value(spec: &mut Value, pointer: &str, value: &str) {
    let schema = spec.pointer_mut(pointer).unwrap();
    schema["enum"].as_array_mut().unwrap().push(json!(value));
}

fn consent_record() -> Value {
    json!({
        "text": "Yes, please",
        "dateTimeConsented": "2023-01-26T21:29:00Z",
        "url": "http://www.example.com/signup",
        "ipAddress": "129.168.0.2",
        "userAgent": "Mozilla/5.0",
    })
}

#[tokio::test]
async fn new_optional_properties_round_trip_through_patch_and_get_at_any_depth() {
    let mut spec = spec().clone();
    // At the top level: a string, and an object of its own.
    let loyalty = json!({"type": "object", "properties": {
        "tier": {"type": "string"}, "since": {"type": "integer"}}});
    for at in [request(&[]), answer(IMPORT, &[])] {
        add_property(&mut spec, &at, "nickname", json!({"type": "string"}));
        add_property(&mut spec, &at, "loyalty", loyalty.clone());
    }
    // Inside channelProperties.email.
    let frequency = json!({"type": "string", "enum": ["weekly", "monthly"]});
    add_property(
        &mut spec,
        &request(&["channelProperties", "email"]),
        "frequency",
        frequency.clone(),
    );
    add_property(
        &mut spec,
        &answer(IMPORT, &["channelProperties", "email"]),
        "frequency",
        frequency,
    );
    // Inside consent records and preferences, objects without data fields.
    let source = json!({"type": "string"});
    add_property(
        &mut spec,
        &request(&["consentRecords", "[]"]),
        "source",
        source.clone(),
    );
    add_property(
        &mut spec,
        &answer(IMPORT, &["consentRecords", "[]"]),
        "source",
        source.clone(),
    );
    add_property(
        &mut spec,
        &request(&["preferences", "[]"]),
        "source",
        source.clone(),
    );
    add_property(
        &mut spec,
        &answer(IMPORT, &["preferences", "[]"]),
        "source",
        source,
    );
    // Only in the request: stored, but the answer has no place for it.
    add_property(&mut spec, &request(&[]), "note", json!({"type": "string"}));
    let api = Api::with_spec(spec).await;

    let mut record = consent_record();
    record["source"] = json!("web form");
    let created = api
        .create(
            ANN,
            json!({
                "nickname": "Annie",
                "note": "met at the fair",
                "loyalty": {"tier": "gold"},
                "channelProperties": {"email": {"frequency": "weekly", "emailType": "html"}},
                "consentRecords": [record],
                "preferences": [{"id": 7, "isOptedIn": true, "source": "web"}],
            }),
        )
        .await;
    assert_eq!(created["nickname"], "Annie");
    assert_eq!(created["loyalty"], json!({"tier": "gold"}));
    assert_eq!(
        created["channelProperties"]["email"],
        json!({"emailType": "Html", "optInType": "Unknown", "status": "subscribed", "frequency": "weekly"})
    );
    assert_eq!(created["consentRecords"][0]["source"], "web form");
    assert!(created["consentRecords"][0]["dateTimeCreated"].is_string());
    assert_eq!(
        created["preferences"],
        json!([{"id": 7, "isOptedIn": true, "source": "web"}])
    );
    assert!(created.get("note").is_none(), "{created}");

    // An update merges into what is stored; GET shows the same contact.
    let updated = api
        .patch_by_email(ANN,
            "",
            json!({"loyalty": {"since": 2020}, "channelProperties": {"email": {"frequency": "monthly"}}}),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(
        updated.body["loyalty"],
        json!({"tier": "gold", "since": 2020})
    );
    assert_eq!(updated.body["nickname"], "Annie");
    assert_eq!(
        updated.body["channelProperties"]["email"]["frequency"],
        "monthly"
    );
    let read = api.contact(ANN).await;
    conforms_to(&api.spec, IMPORT, &read);
    assert_eq!(read.body, updated.body);
}

#[tokio::test]
async fn a_merge_option_the_spec_allows_but_the_sandbox_does_not_model_is_not_emulated() {
    let mut spec = spec().clone();
    let parameters = spec.pointer(&format!("{IMPORT}/parameters")).unwrap();
    let index = parameters
        .as_array()
        .unwrap()
        .iter()
        .position(|p| p["name"] == "merge-option")
        .unwrap();
    let merge_option = schema_pointer(&spec, &format!("{IMPORT}/parameters/{index}/schema"), &[]);
    add_enum_value(&mut spec, &merge_option, "replace");
    let api = Api::with_spec(spec).await;
    let body = json!({"identifiers": {"email": "ann@example.com"}});

    let reply = api
        .patch_by_email(ANN, "?merge-option=replace", body.clone())
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body["errorCode"], "sandbox:notEmulated");
    assert_eq!(reply.items(), ["merge-option"]);
    let description = reply.body["description"].as_str().unwrap();
    assert!(description.contains("does not emulate") && description.contains("'replace'"));
    assert_eq!(api.sandbox.contact_count(), 0);

    // A value outside the spec is a plain bad request, naming the allowed ones.
    let reply = api
        .patch_by_email(ANN, "?merge-option=merge", body.clone())
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body["errorCode"], "server:badRequest");
    assert!(
        reply.body["details"][0]["description"]
            .as_str()
            .unwrap()
            .contains("overwrite-if-empty")
    );
    // The options it models still work.
    let reply = api
        .patch_by_email(ANN, "?merge-option=overwrite-if-empty", body)
        .await;
    assert_eq!(reply.status, 201);
}

#[tokio::test]
async fn a_request_enum_value_answers_cannot_report_is_not_emulated_and_changes_nothing() {
    let mut spec = spec().clone();
    add_enum_value(
        &mut spec,
        &request(&["channelProperties", "email", "emailType"]),
        "amp",
    );
    add_enum_value(
        &mut spec,
        &request(&["channelProperties", "sms", "status"]),
        "paused",
    );
    let api = Api::with_spec(spec.clone()).await;
    let created = api.create(ANN, json!({})).await;
    for (channels, item) in [
        (
            json!({"email": {"emailType": "amp"}}),
            "channelProperties.email.emailType",
        ),
        (
            json!({"sms": {"status": "paused"}}),
            "channelProperties.sms.status",
        ),
    ] {
        let reply = api
            .patch_by_email(ANN, "", json!({"channelProperties": channels}))
            .await;
        assert_eq!(reply.status, 400, "{}", reply.body);
        assert_eq!(reply.body["errorCode"], "sandbox:notEmulated");
        assert_eq!(reply.items(), [item]);
    }
    assert_eq!(api.contact(ANN).await.body, created);

    // Once the answers can report it (v3 and v2 alike), it is stored and answered.
    add_enum_value(
        &mut spec,
        &answer(IMPORT, &["channelProperties", "email", "emailType"]),
        "Amp",
    );
    add_enum_value(&mut spec, &answer(UPDATE, &["emailType"]), "Amp");
    let api = Api::with_spec(spec).await;
    let created = api
        .create(
            ANN,
            json!({"channelProperties": {"email": {"emailType": "amp"}}}),
        )
        .await;
    assert_eq!(created["channelProperties"]["email"]["emailType"], "Amp");
    let v2 = api
        .get(&format!("/v2/contacts/{}", created["contactId"]))
        .await;
    conforms_to(&api.spec, UPDATE, &v2);
    assert_eq!(v2.body["emailType"], "Amp");
}

#[tokio::test]
async fn a_v2_type_value_answers_cannot_report_is_not_emulated_and_changes_nothing() {
    let mut spec = spec().clone();
    let v2_request = format!("{UPDATE}/requestBody/content/application~1json/schema");
    let opt_in = schema_pointer(&spec, &v2_request, &["optInType"]);
    add_enum_value(&mut spec, &opt_in, "Triple");
    let api = Api::with_spec(spec).await;
    let reply = api
        .put_v2(
            "0",
            json!({"email": "john@example.com", "optInType": "Triple"}),
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    let message = reply.body["message"].as_str().unwrap();
    assert!(message.contains("'Triple'") && message.ends_with("SANDBOX_NOT_EMULATED"));
    assert_eq!(api.sandbox.contact_count(), 0);
}

#[tokio::test]
async fn a_sent_value_the_answer_schema_cannot_hold_is_not_emulated_and_changes_nothing() {
    let mut spec = spec().clone();
    add_property(
        &mut spec,
        &request(&[]),
        "tier",
        json!({"type": "string", "enum": ["gold", "platinum"]}),
    );
    add_property(
        &mut spec,
        &answer(IMPORT, &[]),
        "tier",
        json!({"type": "string", "enum": ["gold"]}),
    );
    let api = Api::with_spec(spec).await;
    let reply = api
        .patch_by_email(
            ANN,
            "",
            json!({"identifiers": {"email": "ann@example.com"}, "tier": "platinum"}),
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.body["errorCode"], "sandbox:notEmulated");
    assert_eq!(reply.items(), ["tier"]);
    assert_eq!(api.sandbox.contact_count(), 0);
    let created = api.create(ANN, json!({"tier": "gold"})).await;
    assert_eq!(created["tier"], "gold");
}

#[tokio::test]
async fn a_new_v2_property_round_trips_and_the_next_full_replace_drops_it() {
    let mut spec = spec().clone();
    let v2_request = schema_pointer(
        &spec,
        &format!("{UPDATE}/requestBody/content/application~1json/schema"),
        &[],
    );
    add_property(&mut spec, &v2_request, "notes", json!({"type": "string"}));
    add_property(
        &mut spec,
        &answer(UPDATE, &[]),
        "notes",
        json!({"type": "string"}),
    );
    let api = Api::with_spec(spec).await;
    let created = api
        .put_v2("0", json!({"email": "john@example.com", "notes": "VIP"}))
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(created.body["notes"], "VIP");
    let id = created.body["id"].to_string();
    let read = api.get(&format!("/v2/contacts/{id}")).await;
    conforms_to(&api.spec, UPDATE, &read);
    assert_eq!(read.body["notes"], "VIP");
    let replaced = api.put_v2(&id, json!({"email": "john@example.com"})).await;
    assert_eq!(replaced.status, 200);
    assert!(replaced.body.get("notes").is_none(), "{}", replaced.body);
}

#[tokio::test]
async fn answer_enums_split_into_schemas_of_their_own_change_nothing() {
    // The v2 answer's enums as separate (Stored…) schemas, as the spec is
    // about to have them: found from the operation, not by name.
    let mut spec = spec().clone();
    for property in ["optInType", "emailType", "status"] {
        let at = answer(UPDATE, &[property]);
        let copy = spec.pointer(&at).unwrap().clone();
        let name = format!("Stored{property}");
        spec["components"]["schemas"][&name] = copy;
        let holder = answer(UPDATE, &[]);
        spec.pointer_mut(&holder).unwrap()["properties"][property] =
            json!({"$ref": format!("#/components/schemas/{name}")});
    }
    let api = Api::with_spec(spec).await;
    let reply = api
        .put_v2(
            "0",
            json!({"email": "john@example.com", "optInType": "VerifiedDouble", "emailType": "Html"}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["optInType"], "Double");
    assert_eq!(reply.body["status"], "PendingOptIn");
}

#[tokio::test]
async fn a_new_built_in_identifier_is_checked_by_its_schema_unique_and_found_by_path() {
    let mut spec = spec().clone();
    add_property(
        &mut spec,
        &request(&["identifiers"]),
        "externalId",
        json!({"type": "string", "pattern": "^X[0-9]+$"}),
    );
    let api = Api::with_spec(spec).await;
    let created = api
        .create(
            ANN,
            json!({"identifiers": {"email": "ann@example.com", "externalId": "X1"}}),
        )
        .await;
    assert_eq!(created["identifiers"]["externalId"], "X1");
    let found = api.patch("externalId", "X1", "", json!({})).await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(found.body["contactId"], created["contactId"]);
    let wrong = api.patch("externalId", "Y1", "", json!({})).await;
    assert_eq!(wrong.status, 400);
    assert_eq!(wrong.body["errorCode"], "contacts:invalidId");
    let taken = api
        .patch(
            "email",
            "bob@example.com",
            "",
            json!({"identifiers": {"email": "bob@example.com", "externalId": "X1"}}),
        )
        .await;
    assert_eq!(taken.status, 409);
    assert_eq!(taken.items(), ["identifiers.externalId"]);
}
