//! One test per rule of what the sandbox emulates (its crate docs and the README, "Sandbox"), over real
//! HTTP on 127.0.0.1. Every PATCH/PUT answer is also checked against the spec.

#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

mod common;

use common::{ANN, Api, send};
use dotdigital_sandbox::Sandbox;
use serde_json::json;

#[tokio::test]
async fn no_or_wrong_credentials_is_401_with_www_authenticate_and_no_side_effect() {
    let api = Api::start().await;
    let url = api.url("/contacts/v3/email/ann@example.com");
    let body = json!({"identifiers": {"email": "ann@example.com"}});
    for request in [
        api.http.patch(&url).json(&body),
        api.http
            .patch(&url)
            .basic_auth(api.sandbox.api_user(), Some("wrong-password"))
            .json(&body),
        api.http
            .put(api.url("/v2/contacts/0"))
            .basic_auth("someone@apiconnector.com", Some(api.sandbox.api_password()))
            .json(&json!({"email": "ann@example.com"})),
    ] {
        let reply = send(request).await;
        assert_eq!(reply.status, 401);
        assert!(reply.header("www-authenticate").starts_with("Basic"));
    }
    assert_eq!(api.sandbox.contact_count(), 0);
}

#[tokio::test]
async fn an_active_contact_found_by_identifier_is_updated_with_200() {
    let api = Api::start().await;
    let created = api
        .create(ANN, json!({"dataFields": {"FIRSTNAME": "Ann"}}))
        .await;
    let reply = api
        .patch_by_email(ANN, "", json!({"dataFields": {"LASTNAME": "Smith"}}))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["contactId"], created["contactId"]);
    // Only the fields sent change.
    assert_eq!(reply.body["dataFields"]["FIRSTNAME"], "Ann");
    assert_eq!(reply.body["dataFields"]["LASTNAME"], "Smith");
    // Found by another identifier too.
    let by_id = api
        .patch(
            "contactId",
            &created["contactId"].to_string(),
            "",
            json!({"dataFields": {"GENDER": "F"}}),
        )
        .await;
    assert_eq!(by_id.status, 200);
    assert_eq!(by_id.body["dataFields"]["LASTNAME"], "Smith");
}

#[tokio::test]
async fn a_contact_only_in_the_recycle_bin_is_restored_then_updated_with_200() {
    let api = Api::start().await;
    let created = api
        .create(ANN, json!({"dataFields": {"FIRSTNAME": "Ann"}}))
        .await;
    assert_eq!(
        api.delete("/contacts/v3/email/ann@example.com")
            .await
            .status,
        204
    );
    let binned = api.contact(ANN).await;
    assert_eq!(binned.body["status"], "binned");
    assert_eq!(api.sandbox.contact_count(), 0);

    let reply = api
        .patch_by_email(ANN, "", json!({"dataFields": {"LASTNAME": "Smith"}}))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["contactId"], created["contactId"]);
    assert_eq!(reply.body["status"], "subscribed");
    assert_eq!(reply.body["dataFields"]["FIRSTNAME"], "Ann");
    assert_eq!(reply.body["dataFields"]["LASTNAME"], "Smith");
    assert_eq!(api.sandbox.contact_count(), 1);
}

#[tokio::test]
async fn not_found_creates_with_201_and_needs_an_email_or_mobile_number_in_the_body() {
    let api = Api::start().await;
    let reply = api
        .patch_by_email(ANN, "", json!({"dataFields": {"FIRSTNAME": "Ann"}}))
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.items(), ["identifiers"]);
    assert_eq!(api.sandbox.contact_count(), 0);

    let reply = api
        .patch(
            "mobileNumber",
            "447123123123",
            "",
            json!({"identifiers": {"mobileNumber": "+447123123123"}}),
        )
        .await;
    assert_eq!(reply.status, 201);
    assert_eq!(reply.body["identifiers"]["mobileNumber"], "447123123123");
    assert_eq!(
        reply.body["channelProperties"]["sms"]["status"],
        "noSubscription"
    );

    let created = api.create(ANN, json!({})).await;
    assert_eq!(created["status"], "subscribed");
    assert_eq!(
        created["channelProperties"]["email"]["status"],
        "subscribed"
    );
    assert_eq!(
        created["channelProperties"]["email"]["emailType"],
        "PlainText"
    );
    assert_eq!(
        created["channelProperties"]["email"]["optInType"],
        "Unknown"
    );
    assert_eq!(api.sandbox.contact_count(), 2);
}

#[tokio::test]
async fn an_identifier_value_of_the_wrong_type_is_400_invalid_id() {
    let api = Api::start().await;
    let body = json!({"identifiers": {"email": "ann@example.com"}});
    for (identifier, value) in [
        ("email", "not-an-email"),
        ("contactId", "abc"),
        ("mobileNumber", "07123-123123"),
        ("mobileNumber", "12345"),
    ] {
        let reply = api.patch(identifier, value, "", body.clone()).await;
        assert_eq!(reply.status, 400, "{identifier}={value}");
        assert_eq!(reply.body["errorCode"], "contacts:invalidId");
        assert_eq!(reply.items(), ["value"]);
    }
    let reply = api
        .patch_by_email(
            ANN,
            "",
            json!({"identifiers": {"email": "ann@example.com", "mobileNumber": "+44 7123"}}),
        )
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body["errorCode"], "contacts:invalidId");
    assert_eq!(reply.items(), ["identifiers.mobileNumber"]);
    assert_eq!(api.sandbox.contact_count(), 0);
}

#[tokio::test]
async fn a_body_identifier_used_by_another_contact_is_409_and_changes_nothing() {
    let api = Api::start().await;
    api.create(
        ANN,
        json!({"identifiers": {"email": "ann@example.com", "mobileNumber": "447000000001"}}),
    )
    .await;
    let bob = api
        .create(
            "bob@example.com",
            json!({"dataFields": {"FIRSTNAME": "Bob"}}),
        )
        .await;
    let reply = api
        .patch(
            "email",
            "bob@example.com",
            "",
            json!({
                "identifiers": {"mobileNumber": "447000000001"},
                "dataFields": {"FIRSTNAME": "Robert"},
            }),
        )
        .await;
    assert_eq!(reply.status, 409);
    assert_eq!(reply.body["errorCode"], "contacts:idAlreadyExists");
    assert_eq!(reply.items(), ["identifiers.mobileNumber"]);
    let after = api.contact("bob@example.com").await;
    assert_eq!(after.body, bob);

    // A new contact whose identifiers clash is not created either.
    let reply = api
        .patch(
            "email",
            "carol@example.com",
            "",
            json!({"identifiers": {"email": "carol@example.com", "mobileNumber": "447000000001"}}),
        )
        .await;
    assert_eq!(reply.status, 409);
    assert_eq!(api.sandbox.contact_count(), 2);
}

#[tokio::test]
async fn contact_id_or_null_identifier_in_the_body_is_400() {
    let api = Api::start().await;
    let created = api.create(ANN, json!({})).await;
    for (body, item) in [
        (
            json!({"identifiers": {"contactId": "1"}}),
            "identifiers.contactId",
        ),
        (json!({"identifiers": {"email": null}}), "identifiers.email"),
        (
            json!({"identifiers": {"mobileNumber": null}}),
            "identifiers.mobileNumber",
        ),
    ] {
        let reply = api.patch_by_email(ANN, "", body).await;
        assert_eq!(reply.status, 400);
        assert_eq!(reply.items(), [item]);
    }
    assert_eq!(api.contact(ANN).await.body, created);
}

/// A sandbox holding Ann, with a first name and a postcode.
async fn ann_in_n1() -> Api {
    let api = Api::start().await;
    let fields = json!({"dataFields": {"FIRSTNAME": "Ann", "POSTCODE": "N1"}});
    api.create(ANN, fields).await;
    api
}

#[tokio::test]
async fn merge_option_overwrite_sets_and_null_clears() {
    let api = ann_in_n1().await;
    let reply = api
        .patch_by_email(
            ANN,
            "?merge-option=overwrite",
            json!({"dataFields": {"FIRSTNAME": "Anne", "POSTCODE": null, "LASTNAME": ""}}),
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["dataFields"]["FIRSTNAME"], "Anne");
    assert_eq!(reply.body["dataFields"]["POSTCODE"], json!(null));
    assert_eq!(reply.body["dataFields"]["LASTNAME"], json!(null));
    // Absent means overwrite.
    let reply = api
        .patch_by_email(ANN, "", json!({"dataFields": {"FIRSTNAME": null}}))
        .await;
    assert_eq!(reply.body["dataFields"]["FIRSTNAME"], json!(null));
}

#[tokio::test]
async fn merge_option_overwrite_if_not_empty_ignores_null_and_empty_strings() {
    let api = ann_in_n1().await;
    let reply = api
        .patch_by_email(
            ANN,
            "?merge-option=overwrite-if-not-empty",
            json!({"dataFields": {"FIRSTNAME": "", "POSTCODE": null, "LASTNAME": "Smith"}}),
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["dataFields"]["FIRSTNAME"], "Ann");
    assert_eq!(reply.body["dataFields"]["POSTCODE"], "N1");
    assert_eq!(reply.body["dataFields"]["LASTNAME"], "Smith");
}

#[tokio::test]
async fn merge_option_overwrite_if_empty_writes_only_into_empty_fields() {
    let api = Api::start().await;
    api.create(ANN, json!({"dataFields": {"FIRSTNAME": "Ann"}}))
        .await;
    let reply = api
        .patch_by_email(
            ANN,
            "?merge-option=overwrite-if-empty",
            json!({"dataFields": {"FIRSTNAME": "Anne", "LASTNAME": "Smith", "POSTCODE": null}}),
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["dataFields"]["FIRSTNAME"], "Ann");
    assert_eq!(reply.body["dataFields"]["LASTNAME"], "Smith");
    let reply = api
        .patch_by_email(
            ANN,
            "?merge-option=overwrite-if-empty",
            json!({"dataFields": {"FIRSTNAME": null}}),
        )
        .await;
    assert_eq!(reply.body["dataFields"]["FIRSTNAME"], "Ann");
}

#[tokio::test]
async fn an_unknown_data_field_or_a_wrong_type_is_400_and_changes_nothing() {
    let api = Api::with(
        Sandbox::builder()
            .data_field("AGE", dotdigital_sandbox::DataFieldType::Numeric)
            .data_field("BIRTHDAY", dotdigital_sandbox::DataFieldType::Date)
            .data_field("VIP", dotdigital_sandbox::DataFieldType::Boolean),
    )
    .await;
    let created = api.create(ANN, json!({"dataFields": {"AGE": 40}})).await;
    for (fields, item) in [
        (
            json!({"FIRSTNAME": "Anne", "NICKNAME": "An"}),
            "dataFields.NICKNAME",
        ),
        (
            json!({"FIRSTNAME": "Anne", "AGE": "forty"}),
            "dataFields.AGE",
        ),
        (
            json!({"FIRSTNAME": "Anne", "BIRTHDAY": "yesterday"}),
            "dataFields.BIRTHDAY",
        ),
        (json!({"FIRSTNAME": "Anne", "VIP": "yes"}), "dataFields.VIP"),
        (json!({"FIRSTNAME": 7}), "dataFields.FIRSTNAME"),
    ] {
        let reply = api
            .patch_by_email(ANN, "", json!({"dataFields": fields}))
            .await;
        assert_eq!(reply.status, 400, "{fields}");
        assert_eq!(reply.items(), [item]);
    }
    assert_eq!(api.contact(ANN).await.body, created);
    // Right types, and names matched case-insensitively.
    let reply = api
        .patch_by_email(
            ANN,
            "",
            json!({"dataFields": {"age": 41.5, "Birthday": "1985-04-01", "VIP": true}}),
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["dataFields"]["AGE"], 41.5);
    assert_eq!(reply.body["dataFields"]["BIRTHDAY"], "1985-04-01");
    assert_eq!(reply.body["dataFields"]["VIP"], true);
}

#[tokio::test]
async fn lists_are_added_to_existing_memberships() {
    let api = Api::with(Sandbox::builder().list(7, "Newsletter")).await;
    api.create(ANN, json!({"lists": [12345]})).await;
    let reply = api
        .patch_by_email(ANN, "", json!({"lists": [7, 12345]}))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.body["lists"],
        json!([
            {"id": 12345, "name": "Top customers", "status": "subscribed"},
            {"id": 7, "name": "Newsletter", "status": "subscribed"},
        ])
    );
    for (lists, item) in [
        (json!([99]), "lists[0]"),
        (json!([]), "lists"),
        (json!((0..101).collect::<Vec<i32>>()), "lists"),
    ] {
        let reply = api.patch_by_email(ANN, "", json!({"lists": lists})).await;
        assert_eq!(reply.status, 400);
        assert_eq!(reply.items(), [item]);
    }
}

#[tokio::test]
async fn consent_records_are_appended_with_a_server_date_time_created() {
    let api = Api::start().await;
    let record = json!({
        "text": "Yes, I would like to receive a monthly newsletter",
        "dateTimeConsented": "2023-01-26T21:29:00Z",
        "url": "http://www.example.com/signup",
        "ipAddress": "129.168.0.2",
        "userAgent": "Mozilla/5.0",
    });
    api.create(ANN, json!({"consentRecords": [record]})).await;
    let reply = api
        .patch_by_email(ANN, "", json!({"consentRecords": [record, record]}))
        .await;
    assert_eq!(reply.status, 200);
    let records = reply.body["consentRecords"].as_array().unwrap();
    assert_eq!(records.len(), 3);
    assert!(records.iter().all(|r| r["dateTimeCreated"].is_string()));
    assert_eq!(records[2]["text"], record["text"]);
    let six = json!({"consentRecords": vec![record.clone(); 6]});
    let reply = api.patch_by_email(ANN, "", six).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.items(), ["consentRecords"]);
}

#[tokio::test]
async fn opt_in_type_verified_double_gives_pending_opt_in_and_reports_double() {
    let api = Api::start().await;
    let created = api
        .create(ANN,
            json!({"channelProperties": {"email": {"optInType": "verifiedDouble", "emailType": "html"}}}),
        )
        .await;
    assert_eq!(created["status"], "pendingOptIn");
    assert_eq!(
        created["channelProperties"]["email"],
        json!({"emailType": "Html", "optInType": "Double", "status": "pendingOptIn"})
    );
    let v2 = api
        .put_v2(
            "0",
            json!({"email": "bob@example.com", "optInType": "VerifiedDouble"}),
        )
        .await;
    assert_eq!(v2.status, 200);
    assert_eq!(v2.body["optInType"], "Double");
    assert_eq!(v2.body["status"], "PendingOptIn");
}

#[tokio::test]
async fn v2_put_is_a_full_replace_creates_with_id_0_or_unknown_and_errors_carry_a_token() {
    let api = Api::start().await;
    let created = api
        .put_v2(
            "0",
            json!({
                "email": "john@example.com",
                "optInType": "Single",
                "emailType": "Html",
                "dataFields": [{"key": "FIRSTNAME", "value": "John"}, {"key": "GENDER", "value": "Male"}],
            }),
        )
        .await;
    assert_eq!(created.status, 200);
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(created.body["status"], "Subscribed");
    // Every account data field is listed, null when unset.
    assert_eq!(
        created.body["dataFields"],
        json!([
            {"key": "FIRSTNAME", "value": "John"},
            {"key": "LASTNAME", "value": null},
            {"key": "FULLNAME", "value": null},
            {"key": "GENDER", "value": "Male"},
            {"key": "POSTCODE", "value": null},
        ])
    );
    // Full replace: unsent fields clear, opt-in and email type reset.
    let replaced = api
        .put_v2(
            &id.to_string(),
            json!({"email": "john@example.com", "dataFields": [{"key": "GENDER", "value": "Male"}]}),
        )
        .await;
    assert_eq!(replaced.status, 200);
    assert_eq!(replaced.body["id"], id);
    assert_eq!(replaced.body["optInType"], "Unknown");
    assert_eq!(replaced.body["emailType"], "PlainText");
    assert_eq!(
        replaced.body["dataFields"][0],
        json!({"key": "FIRSTNAME", "value": null})
    );
    // v3 sees the same contact.
    let v3 = api.contact("john@example.com").await;
    assert_eq!(v3.body["contactId"], id);
    assert_eq!(v3.body["dataFields"]["GENDER"], "Male");
    // An unknown id with a new email creates.
    let unknown = api
        .put_v2("999", json!({"email": "jane@example.com"}))
        .await;
    assert_eq!(unknown.status, 200);
    assert_ne!(unknown.body["id"], 999);
    assert_eq!(
        api.get(&format!("/v2/contacts/{}", unknown.body["id"]))
            .await
            .status,
        200
    );
    // Errors.
    for (path, body, token) in [
        ("0", json!({"email": "nope"}), "ERROR_PARAMETER_INVALID"),
        (
            "0",
            json!({"email": "john@example.com"}),
            "ERROR_CONTACT_INVALID",
        ),
        (
            "0",
            json!({"email": "x@example.com", "dataFields": [{"key": "NOPE", "value": 1}]}),
            "ERROR_DATAFIELD_NOTFOUND",
        ),
        (
            "0",
            json!({"optInType": "Single"}),
            "ERROR_PARAMETER_INVALID",
        ),
        (
            "5",
            json!({"id": 6, "email": "x@example.com"}),
            "ERROR_PARAMETER_INVALID",
        ),
        (
            "0",
            json!({"email": "x@example.com", "dataFields": [{"key": "GENDER", "value": 1}]}),
            "ERROR_PARAMETER_INVALID",
        ),
        (
            "abc",
            json!({"email": "x@example.com"}),
            "ERROR_PARAMETER_INVALID",
        ),
    ] {
        let reply = api.put_v2(path, body.clone()).await;
        assert_eq!(reply.status, 400, "{body}");
        assert!(
            reply.body["message"].as_str().unwrap().ends_with(token),
            "{}",
            reply.body
        );
    }
    assert_eq!(api.get("/v2/contacts/12345").await.status, 404);
    assert_eq!(api.sandbox.contact_count(), 2);
}

#[tokio::test]
async fn the_rate_limit_sends_its_headers_on_every_answer_and_429_when_exceeded() {
    let api = Api::with(Sandbox::builder().rate_limit(3)).await;
    let body = json!({"identifiers": {"email": "ann@example.com"}});
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let reply = api.patch_by_email(ANN, "", body.clone()).await;
        assert!(reply.status < 300);
        assert_eq!(reply.header("x-ratelimit-limit"), "3");
        assert_eq!(reply.header("x-ratelimit-scope"), "mediumCallRate");
        let reset: u64 = reply.header("x-ratelimit-reset").parse().unwrap();
        assert!((1..=60).contains(&reset));
        remaining.push(reply.header("x-ratelimit-remaining").to_owned());
    }
    assert_eq!(remaining, ["2", "1", "0"]);
    let reply = api
        .patch(
            "email",
            "bob@example.com",
            "",
            json!({"identifiers": {"email": "bob@example.com"}}),
        )
        .await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.body["errorCode"], "server:tooManyRequests");
    assert_eq!(reply.header("x-ratelimit-remaining"), "0");
    assert_eq!(api.sandbox.contact_count(), 1);
    // Unauthenticated calls are answered with the headers but not counted.
    let reply = send(
        api.http
            .patch(api.url("/contacts/v3/email/a@b.co"))
            .json(&body),
    )
    .await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.header("x-ratelimit-limit"), "3");
}

#[tokio::test]
async fn malformed_json_or_a_schema_violation_is_400_with_details_never_500() {
    let api = Api::start().await;
    let url = api.url("/contacts/v3/email/ann@example.com");
    for raw in ["{", "", "[1,", "\"text\"", "{\"dataFields\": {\"A\": 1,}}"] {
        let reply = send(
            api.http
                .patch(&url)
                .basic_auth(api.sandbox.api_user(), Some(api.sandbox.api_password()))
                .header("content-type", "application/json")
                .body(raw),
        )
        .await;
        common::conforms("/paths/~1contacts~1v3~1{identifier}~1{value}/patch", &reply);
        assert_eq!(reply.status, 400, "{raw:?}");
        assert!(reply.body["errorCode"].is_string());
        assert!(reply.body["description"].is_string());
        assert!(!reply.items().is_empty(), "{raw:?}");
    }
    let reply = api
        .patch_by_email(
            ANN,
            "",
            json!({
                "identifiers": {"email": "ann@example.com"},
                "channelProperties": {"email": {"optInType": "Double", "colour": "red"}},
                "preferences": [{"id": 1}],
            }),
        )
        .await;
    assert_eq!(reply.status, 400);
    let mut items = reply.items();
    items.sort();
    assert_eq!(
        items,
        [
            "channelProperties.email.colour",
            "channelProperties.email.optInType",
            "preferences[0].isOptedIn",
        ]
    );
    let reply = api
        .put_v2("0", json!({"email": "a@b.co", "extra": 1}))
        .await;
    assert_eq!(reply.status, 400);
    assert!(reply.body["message"].as_str().unwrap().contains("extra"));
    assert_eq!(api.sandbox.contact_count(), 0);
}

#[tokio::test]
async fn v2_put_reads_null_types_and_data_fields_as_not_given_as_dotdigital_declares_them_nullable()
{
    let api = Api::start().await;
    let created = api
        .put_v2(
            "0",
            json!({"email": "john@example.com", "optInType": "Single", "emailType": "Html",
                   "dataFields": [{"key": "FIRSTNAME", "value": "John"}]}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let id = created.body["id"].to_string();
    let replaced = api
        .put_v2(
            &id,
            json!({"email": "john@example.com", "optInType": null, "emailType": null, "dataFields": null}),
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    assert_eq!(replaced.body["optInType"], "Unknown");
    assert_eq!(replaced.body["emailType"], "PlainText");
    assert_eq!(
        replaced.body["dataFields"][0],
        json!({"key": "FIRSTNAME", "value": null})
    );
}

#[tokio::test]
async fn preferences_are_left_out_of_a_contact_that_has_none() {
    let api = Api::start().await;
    let without = api.create(ANN, json!({})).await;
    assert!(without.get("preferences").is_none(), "{without}");
    let with = api
        .patch_by_email(
            ANN,
            "",
            json!({"preferences": [{"id": 7, "isOptedIn": true}]}),
        )
        .await;
    assert_eq!(
        with.body["preferences"],
        json!([{"id": 7, "isOptedIn": true}])
    );
}

#[tokio::test]
async fn the_sms_channel_reports_the_country_of_the_mobile_number() {
    let api = Api::start().await;
    for (number, country) in [
        ("447123123123", "GB"),
        ("+4915112345678", "DE"),
        ("80012345678", "ZZ"),
    ] {
        let reply = api
            .patch(
                "mobileNumber",
                number,
                "",
                json!({"identifiers": {"mobileNumber": number}}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        assert_eq!(
            reply.body["channelProperties"]["sms"],
            json!({"countryCode": country, "status": "noSubscription"})
        );
    }
}
