//! The v2 update: the opt-in and email types are chosen or explicitly reset.

#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

mod common;

use common::client;
use dotdigital_capture_server::{CaptureServer, Reply};
use dotdigital_contacts::types::{ApiContactEmailType, ApiContactOptInType, ApiContactStatus};
use serde_json::json;

fn stored() -> Reply {
    Reply::json(
        200,
        json!({"id": 100, "email": "john@example.com", "optInType": "Single", "emailType": "Html", "dataFields": [{"key": "FIRSTNAME", "value": "John"}, {"key": "POSTCODE", "value": null}], "status": "Subscribed"}),
    )
}

#[tokio::test]
async fn update_sends_the_chosen_types_and_data_field_changes() {
    let server = CaptureServer::start(vec![stored()]).await;
    let updated = client(&server)
        .update_contact(
            100,
            "john@example.com",
            ApiContactOptInType::Single,
            ApiContactEmailType::Html,
        )
        .set("FIRSTNAME", "John")
        .clear("POSTCODE")
        .status(ApiContactStatus::Subscribed)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.contact.id, Some(100));
    let request = &server.requests()[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("PUT", "/v2/contacts/100")
    );
    assert_eq!(
        request.json(),
        json!({"email": "john@example.com", "optInType": "Single", "emailType": "Html", "status": "Subscribed",
               "dataFields": [{"key": "FIRSTNAME", "value": "John"}, {"key": "POSTCODE", "value": null}]})
    );
}

#[tokio::test]
async fn the_explicit_reset_leaves_the_types_out() {
    let server = CaptureServer::start(vec![stored()]).await;
    client(&server)
        .update_contact_resetting_types(0, "new@example.com")
        .send()
        .await
        .unwrap();
    let request = &server.requests()[0];
    assert_eq!(request.path, "/v2/contacts/0");
    assert_eq!(request.json(), json!({"email": "new@example.com"}));
}
