//! What the generated client puts on the wire, seen by a capture server on
//! 127.0.0.1 that records each request exactly and answers as told.

#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

use dotdigital_capture_server::{CaptureServer, Captured, Reply, contact_json};
use dotdigital_contacts_api::{Client, Credentials, Error, capture_response_head, types};
use serde_json::{Value, json};

fn client(server: &CaptureServer) -> Client {
    Client::new_with_client(
        &server.base_url(),
        dotdigital_contacts_api::http_client_builder()
            .unwrap()
            .build()
            .unwrap(),
        Credentials::new("apiuser-1@apiconnector.com", "pa55word!"),
    )
}

fn only_request(server: &CaptureServer) -> Captured {
    let captured = server.requests();
    assert_eq!(
        captured.len(),
        1,
        "expected exactly one request, got {captured:?}"
    );
    captured[0].clone()
}

fn json_reply(status: u16, body: Value) -> Vec<Reply> {
    vec![Reply::json(status, body)]
}

async fn import(
    client: &Client,
    identifier: &str,
    value: &str,
    body: &types::ImportContactRequest,
) -> Result<dotdigital_contacts_api::ResponseValue<types::Contact>, Error<types::ErrorResponse>> {
    client
        .import_contact()
        .identifier(identifier)
        .value(value)
        .merge_option(types::MergeOption::OverwriteIfNotEmpty)
        .body(body.clone())
        .send()
        .await
}

/// Imports ann@example.com with an empty body: what most of these tests send.
async fn import_ann(
    server: &CaptureServer,
) -> Result<dotdigital_contacts_api::ResponseValue<types::Contact>, Error<types::ErrorResponse>> {
    import(
        &client(server),
        "email",
        "ann@example.com",
        &types::ImportContactRequest::default(),
    )
    .await
}

#[tokio::test]
async fn import_is_a_patch_with_the_identifier_in_the_path_and_the_merge_option_in_the_query() {
    let server = CaptureServer::start(json_reply(200, contact_json())).await;
    import_ann(&server).await.unwrap();
    let request = only_request(&server);
    assert_eq!(request.method, "PATCH");
    assert_eq!(request.path, "/contacts/v3/email/ann@example.com");
    assert_eq!(
        request.query.as_deref(),
        Some("merge-option=overwrite-if-not-empty")
    );
    assert_eq!(request.headers["content-type"], "application/json");
    assert_eq!(request.json(), json!({}));
}

#[tokio::test]
async fn path_values_are_encoded_so_a_standard_server_decodes_the_original() {
    let server = CaptureServer::start(json_reply(200, contact_json())).await;
    let client = client(&server);
    let values = [
        "ann+tag@example.com",
        "a/b",
        "100%",
        "what?",
        "#1",
        "two words",
        "zoë.ångström@exämple.com",
        "+44 7123/?#% é",
    ];
    for value in values {
        import(
            &client,
            "crm_id-2",
            value,
            &types::ImportContactRequest::default(),
        )
        .await
        .unwrap();
    }
    let captured = server.requests();
    assert_eq!(captured.len(), values.len());
    for (value, request) in values.iter().zip(&captured) {
        let segments: Vec<&str> = request.path.split('/').collect();
        assert_eq!(
            segments.len(),
            5,
            "{value:?} was not kept in one path segment: {}",
            request.path
        );
        assert_eq!(segments[3], "crm_id-2");
        assert!(
            !segments[4].contains('+'),
            "`+` must be sent as %2B, got {}",
            request.path
        );
        let decoded = percent_encoding::percent_decode_str(segments[4])
            .decode_utf8()
            .unwrap();
        assert_eq!(decoded, *value);
        assert_eq!(
            request.query.as_deref(),
            Some("merge-option=overwrite-if-not-empty"),
            "the value leaked into the query"
        );
    }
}

#[tokio::test]
async fn null_data_fields_reach_the_wire_and_absent_fields_stay_absent() {
    let server = CaptureServer::start(json_reply(200, contact_json())).await;
    let mut body = types::ImportContactRequest::default();
    body.data_fields.insert("FIRSTNAME".into(), json!("Ann"));
    body.data_fields.insert("POSTCODE".into(), Value::Null);
    import(&client(&server), "email", "ann@example.com", &body)
        .await
        .unwrap();
    assert_eq!(
        only_request(&server).json(),
        json!({"dataFields": {"FIRSTNAME": "Ann", "POSTCODE": null}})
    );
}

#[tokio::test]
async fn every_request_carries_basic_auth_and_no_api_version_header() {
    let server = CaptureServer::start(json_reply(200, contact_json())).await;
    import_ann(&server).await.unwrap();
    let headers = only_request(&server).headers;
    // base64("apiuser-1@apiconnector.com:pa55word!")
    assert_eq!(
        headers["authorization"],
        "Basic YXBpdXNlci0xQGFwaWNvbm5lY3Rvci5jb206cGE1NXdvcmQh"
    );
    assert!(!headers.contains_key("api-version"), "{headers:?}");
    assert!(!headers.contains_key("x-ddg-integration-token"));
    assert_eq!(headers["accept"], "application/json");
}

#[tokio::test]
async fn the_integration_token_is_sent_and_a_per_call_token_wins() {
    let server = CaptureServer::start(json_reply(200, contact_json())).await;
    let credentials =
        Credentials::new("u", "p").with_integration_token("5a96bc79-19a7-4544-973b-e2da0c9136f9");
    let client = Client::new_with_client(
        &server.base_url(),
        dotdigital_contacts_api::http_client_builder()
            .unwrap()
            .build()
            .unwrap(),
        credentials,
    );
    let body = types::ImportContactRequest::default();
    let import = || {
        client
            .import_contact()
            .identifier("email")
            .value("a@b.co")
            .body(body.clone())
    };
    import().send().await.unwrap();
    import()
        .x_ddg_integration_token("{0a96bc79-19a7-4544-973b-e2da0c9136f9}")
        .send()
        .await
        .unwrap();
    let captured = server.requests();
    assert_eq!(
        captured[0].headers["x-ddg-integration-token"],
        "5a96bc79-19a7-4544-973b-e2da0c9136f9"
    );
    let tokens: Vec<_> = captured[1]
        .headers
        .get_all("x-ddg-integration-token")
        .iter()
        .collect();
    assert_eq!(tokens, ["{0a96bc79-19a7-4544-973b-e2da0c9136f9}"]);
    assert_eq!(captured[0].query, None, "no merge option given, none sent");
}

#[tokio::test]
async fn created_and_updated_are_told_apart_by_status() {
    for status in [200, 201] {
        let server = CaptureServer::start(json_reply(status, contact_json())).await;
        let response = import_ann(&server).await.unwrap();
        assert_eq!(response.status().as_u16(), status);
        assert_eq!(response.contact_id, 7);
        assert_eq!(response.identifiers.extra["crmId"], "A-1");
        assert_eq!(response.data_fields["POSTCODE"], Value::Null);
        let email = response
            .channel_properties
            .as_ref()
            .unwrap()
            .email
            .as_ref()
            .unwrap();
        assert_eq!(email.email_type, types::EmailType::Html);
    }
}

#[tokio::test]
async fn documented_error_bodies_parse_into_the_typed_error() {
    for (status, code) in [
        (400, "contacts:invalidId"),
        (409, "contacts:idAlreadyExists"),
    ] {
        let body = json!({"errorCode": code, "description": "nope", "details": [{"item": "identifiers.email", "description": "taken"}]});
        let server = CaptureServer::start(json_reply(status, body)).await;
        let err = import_ann(&server).await.unwrap_err();
        let Error::ErrorResponse(response) = err else {
            panic!("expected a typed error, got {err:?}")
        };
        assert_eq!(response.status().as_u16(), status);
        assert_eq!(response.error_code, code);
        assert_eq!(response.details[0].item, "identifiers.email");
    }
}

#[tokio::test]
async fn a_429_with_a_non_json_body_still_reports_its_status_and_rate_limit_headers() {
    let reply = Reply::text(429, "text/html", "<html>Too Many Requests</html>")
        .header("x-ratelimit-limit", "35")
        .header("x-ratelimit-remaining", "0")
        .header("x-ratelimit-reset", "12");
    let server = CaptureServer::start(vec![reply]).await;
    let client = client(&server);
    let (result, head) = capture_response_head(import(
        &client,
        "email",
        "ann@example.com",
        &types::ImportContactRequest::default(),
    ))
    .await;
    assert!(
        matches!(result, Err(Error::InvalidResponsePayload(..))),
        "{result:?}"
    );
    let head = head.expect("the answer's head is kept");
    assert_eq!(head.status.as_u16(), 429);
    assert_eq!(head.headers["x-ratelimit-reset"], "12");
}

#[tokio::test]
async fn a_500_with_a_non_json_body_reports_its_status_and_body() {
    let server =
        CaptureServer::start(vec![Reply::text(500, "text/plain", "upstream exploded")]).await;
    let err = import_ann(&server).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    let Error::UnexpectedResponse(response) = err else {
        panic!("expected the raw response")
    };
    assert_eq!(response.text().await.unwrap(), "upstream exploded");
}

#[tokio::test]
async fn concurrent_calls_capture_their_own_response_heads() {
    let ok = CaptureServer::start(json_reply(200, contact_json())).await;
    let limited = CaptureServer::start(vec![Reply::text(429, "text/plain", "")]).await;
    let (ok_client, limited_client) = (client(&ok), client(&limited));
    let body = types::ImportContactRequest::default();
    let ((_, a), (_, b)) = tokio::join!(
        capture_response_head(import(&ok_client, "email", "a@b.co", &body)),
        capture_response_head(import(&limited_client, "email", "a@b.co", &body)),
    );
    assert_eq!(a.unwrap().status.as_u16(), 200);
    assert_eq!(b.unwrap().status.as_u16(), 429);
}

#[tokio::test]
async fn the_v2_put_body_carries_only_what_the_caller_set() {
    let answer = json!({"id": 100, "email": "john@example.com", "optInType": "Unknown", "emailType": "PlainText", "dataFields": [{"key": "POSTCODE", "value": null}], "status": "Subscribed"});
    let server = CaptureServer::start(json_reply(200, answer)).await;
    let postcode = types::ApiContactDataField::builder()
        .key("POSTCODE".to_owned())
        .value(Some(Value::Null));
    let body = types::ApiContactUpdate::builder()
        .email("john@example.com")
        .data_fields(vec![postcode.try_into().unwrap()]);
    let contact = client(&server)
        .update_contact()
        .id(100)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(contact.id, Some(100));
    let request = only_request(&server);
    assert_eq!(request.method, "PUT");
    assert_eq!(request.path, "/v2/contacts/100");
    assert_eq!(
        request.json(),
        json!({"email": "john@example.com", "dataFields": [{"key": "POSTCODE", "value": null}]})
    );
}

#[tokio::test]
async fn v2_errors_parse_into_the_message_type() {
    let server = CaptureServer::start(json_reply(
        404,
        json!({"message": "Error: ERROR_CONTACT_NOT_FOUND"}),
    ))
    .await;
    let body = types::ApiContactUpdate::builder().email("x@example.com");
    let err = client(&server)
        .update_contact()
        .id(5)
        .body(body)
        .send()
        .await
        .unwrap_err();
    let Error::ErrorResponse(response) = err else {
        panic!("expected a typed error")
    };
    assert_eq!(response.status().as_u16(), 404);
    assert!(response.message.ends_with("ERROR_CONTACT_NOT_FOUND"));
}

#[tokio::test]
async fn limits_in_the_spec_are_checked_before_the_network() {
    let server = CaptureServer::start(json_reply(200, contact_json())).await;
    let client = client(&server);
    let import = |identifier: String, value: String| {
        client
            .import_contact()
            .identifier(identifier)
            .value(value)
            .body(types::ImportContactRequest::default())
    };
    let too_long = "a".repeat(51);
    for identifier in ["", "my id", too_long.as_str()] {
        let err = import(identifier.into(), "x".into())
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidRequest(_)),
            "{identifier:?}: {err}"
        );
    }
    let err = import("email".into(), "x".repeat(257))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err}");
    let err = import("email".into(), "a@b.co".into())
        .x_ddg_integration_token("not-a-guid")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err}");
    let no_email = types::ApiContactUpdate::builder().email("");
    let err = client
        .update_contact()
        .id(1)
        .body(no_email)
        .send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("email"), "{err}");
    assert!(server.requests().is_empty(), "nothing was sent");
}

#[test]
fn debug_output_holds_no_secret() {
    let client = Client::new_with_client(
        "http://127.0.0.1:1",
        dotdigital_contacts_api::http_client_builder()
            .unwrap()
            .build()
            .unwrap(),
        Credentials::new("u@apiconnector.com", "pa55word!")
            .with_integration_token("5a96bc79-19a7-4544-973b-e2da0c9136f9"),
    );
    let shown = format!("{client:?}");
    assert!(shown.contains("u@apiconnector.com"));
    assert!(
        !shown.contains("pa55word!") && !shown.contains("5a96bc79"),
        "{shown}"
    );
}
