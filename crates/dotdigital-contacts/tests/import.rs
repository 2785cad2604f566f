//! The wire effect of every import helper, seen by a capture server.

#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

mod common;

use common::{client, import_ann, ok};
use dotdigital_capture_server::CaptureServer;
use dotdigital_contacts::{
    ConsentRecord, DataFields, EmailChannel, Identifier, ImportOutcome, types,
};
use serde_json::json;

#[tokio::test]
async fn the_merge_option_defaults_to_overwrite_and_is_always_sent() {
    let server = CaptureServer::start(vec![ok(200)]).await;
    let client = client(&server);
    import_ann(&client).await.unwrap();
    client
        .import_contact(Identifier::email("ann@example.com"))
        .merge_option(types::MergeOption::OverwriteIfEmpty)
        .send()
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(requests[0].method, "PATCH");
    assert_eq!(requests[0].path, "/contacts/v3/email/ann@example.com");
    assert_eq!(requests[0].query.as_deref(), Some("merge-option=overwrite"));
    assert_eq!(
        requests[1].query.as_deref(),
        Some("merge-option=overwrite-if-empty")
    );
    assert_eq!(
        requests[0].json(),
        json!({"identifiers": {"email": "ann@example.com"}}),
        "only the identifier a create needs; nothing untouched is sent"
    );
}

#[tokio::test]
async fn each_identifier_kind_addresses_the_path() {
    let server = CaptureServer::start(vec![ok(200)]).await;
    let client = client(&server);
    for identifier in [
        Identifier::email("ann+tag@example.com"),
        Identifier::mobile_number("+447123123123"),
        Identifier::contact_id(35212311),
        Identifier::custom("crm_id", "A/1 2"),
    ] {
        client.import_contact(identifier).send().await.unwrap();
    }
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/contacts/v3/email/ann%2Btag@example.com",
            "/contacts/v3/mobileNumber/%2B447123123123",
            "/contacts/v3/contactId/35212311",
            "/contacts/v3/crm_id/A%2F1%202",
        ]
    );
}

#[tokio::test]
async fn set_and_clear_produce_values_and_nulls_and_untouched_fields_stay_out() {
    let server = CaptureServer::start(vec![ok(200)]).await;
    let birthday = chrono::NaiveDate::from_ymd_opt(1990, 5, 17).unwrap();
    client(&server)
        .import_contact(Identifier::contact_id(7))
        .set("FIRSTNAME", "Ann")
        .set("AGE", 36)
        .set("SCORE", 4.5)
        .set("VIP", true)
        .set("BIRTHDAY", birthday)
        .clear("POSTCODE")
        .set("LASTNAME", "Smith")
        .clear("LASTNAME")
        .send()
        .await
        .unwrap();
    assert_eq!(
        server.requests()[0].json(),
        json!({"dataFields": {"FIRSTNAME": "Ann", "AGE": 36, "SCORE": 4.5, "VIP": true, "BIRTHDAY": "1990-05-17", "POSTCODE": null, "LASTNAME": null}})
    );
}

#[tokio::test]
async fn prepared_data_fields_apply_on_top() {
    let server = CaptureServer::start(vec![ok(200)]).await;
    let mut fields = DataFields::new();
    fields.set("GENDER", "F").clear("POSTCODE");
    client(&server)
        .import_contact(Identifier::contact_id(7))
        .set("POSTCODE", "N1")
        .data_fields(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(
        server.requests()[0].json(),
        json!({"dataFields": {"GENDER": "F", "POSTCODE": null}})
    );
}

#[tokio::test]
async fn identifiers_channels_lists_preferences_and_consent_records_reach_the_wire() {
    let server = CaptureServer::start(vec![ok(201)]).await;
    let consented_at = "2026-01-05T09:30:00Z".parse().unwrap();
    let imported = client(&server)
        .import_contact(Identifier::email("ann@example.com"))
        .email("ann@example.com")
        .mobile_number("447123123123")
        .custom_identifier("crmId", "A-1")
        .email_channel(
            EmailChannel::new()
                .email_type(types::EmailTypeUpdate::Html)
                .opt_in_type(types::OptInTypeUpdate::VerifiedDouble)
                .status(types::EmailStatusUpdate::Subscribed)
                .resubscribe_with_challenge(
                    types::PreferredLocale::EnEn,
                    "https://example.com/back",
                ),
        )
        .sms_status(types::ChannelStatusUpdate::Subscribed)
        .whats_app_status(types::ChannelStatusUpdate::NoSubscription)
        .list(1)
        .lists([2, 3])
        .preference(10, true)
        .preference(11, false)
        .consent_record(
            ConsentRecord::new()
                .text("Yes please")
                .consented_at(consented_at)
                .url("https://example.com/signup")
                .ip_address("129.168.0.2")
                .user_agent("Mozilla/5.0"),
        )
        .consent_record(
            ConsentRecord::new()
                .text("Ja")
                .consented_at(consented_at)
                .url("https://example.com/de")
                .ip_address("2b01:1234:136::d6b7")
                .user_agent("curl/8"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(imported.outcome, ImportOutcome::Created);
    assert_eq!(imported.contact.contact_id, 7);
    assert_eq!(imported.attempts, 1);
    assert_eq!(
        server.requests()[0].json(),
        json!({
            "identifiers": {"email": "ann@example.com", "mobileNumber": "447123123123", "crmId": "A-1"},
            "channelProperties": {
                "email": {
                    "emailType": "html", "optInType": "verifiedDouble", "status": "subscribed",
                    "resubscribeOptions": {"resubscribeWithNoChallenge": false, "preferredLocale": "en-EN", "redirectUrlAfterChallenge": "https://example.com/back"}
                },
                "sms": {"status": "subscribed"},
                "whatsApp": {"status": "noSubscription"}
            },
            "lists": [1, 2, 3],
            "preferences": [{"id": 10, "isOptedIn": true}, {"id": 11, "isOptedIn": false}],
            "consentRecords": [
                {"text": "Yes please", "dateTimeConsented": "2026-01-05T09:30:00Z", "url": "https://example.com/signup", "ipAddress": "129.168.0.2", "userAgent": "Mozilla/5.0"},
                {"text": "Ja", "dateTimeConsented": "2026-01-05T09:30:00Z", "url": "https://example.com/de", "ipAddress": "2b01:1234:136::d6b7", "userAgent": "curl/8"}
            ]
        })
    );
}

#[tokio::test]
async fn created_and_updated_come_from_the_status() {
    for (status, outcome) in [(201, ImportOutcome::Created), (200, ImportOutcome::Updated)] {
        let server =
            CaptureServer::start(vec![ok(status).header("x-ratelimit-remaining", "9")]).await;
        let imported = client(&server)
            .import_contact(Identifier::contact_id(7))
            .send()
            .await
            .unwrap();
        assert_eq!(imported.outcome, outcome);
        assert_eq!(imported.rate_limit.unwrap().remaining, Some(9));
    }
}

#[tokio::test]
async fn the_integration_token_and_user_agent_are_sent() {
    let server = CaptureServer::start(vec![ok(200)]).await;
    let client = dotdigital_contacts::ContactsClient::builder()
        .base_url(server.base_url())
        .credentials("u@apiconnector.com", "p4ssword")
        .integration_token("5a96bc79-19a7-4544-973b-e2da0c9136f9")
        .user_agent("crm-sync/2.1")
        .build()
        .unwrap();
    import_ann(&client).await.unwrap();
    let headers = &server.requests()[0].headers;
    assert_eq!(
        headers["x-ddg-integration-token"],
        "5a96bc79-19a7-4544-973b-e2da0c9136f9"
    );
    assert_eq!(headers["user-agent"], "crm-sync/2.1");
    assert!(
        headers["authorization"]
            .to_str()
            .unwrap()
            .starts_with("Basic ")
    );
}

#[tokio::test]
async fn an_applied_body_reaches_the_wire_whole_on_top_of_earlier_calls() {
    let server = CaptureServer::start(vec![ok(200)]).await;
    let body = json!({
        "identifiers": {"email": "ann@example.com", "mobileNumber": "447123123123", "crmId": "A-1"},
        "dataFields": {"FIRSTNAME": "Ann", "POSTCODE": null},
        "channelProperties": {
            "email": {"emailType": "html", "optInType": "double", "status": "subscribed",
                      "resubscribeOptions": {"resubscribeWithNoChallenge": false, "preferredLocale": "en-EN",
                                             "redirectUrlAfterChallenge": "https://example.com/back"}},
            "sms": {"status": "subscribed"},
            "whatsApp": {"status": "unsubscribed"}
        },
        "lists": [2],
        "preferences": [{"id": 7, "isOptedIn": true}],
        "consentRecords": [{"text": "Yes", "dateTimeConsented": "2026-01-05T09:30:00Z",
                            "url": "https://example.com/s", "ipAddress": "10.0.0.1", "userAgent": "Mozilla/5.0"}]
    });
    client(&server)
        .import_contact(Identifier::email("ann@example.com"))
        .set("LASTNAME", "Smith")
        .set("FIRSTNAME", "Anne")
        .list(1)
        .sms_status(types::ChannelStatusUpdate::Unsubscribed)
        .apply(serde_json::from_value(body.clone()).unwrap())
        .unwrap()
        .send()
        .await
        .unwrap();
    let mut expected = body;
    expected["dataFields"]["LASTNAME"] = json!("Smith");
    expected["lists"] = json!([1, 2]);
    assert_eq!(
        server.requests()[0].json(),
        expected,
        "the body wins; lists append"
    );
}
