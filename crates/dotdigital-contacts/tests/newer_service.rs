//! A server that answers what a newer Dotdigital would: enum values and
//! headers the spec does not list yet. Every call that succeeded on the
//! server succeeds here; what cannot be read says where and that the request
//! was applied.

#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

mod common;

use common::{client, contact_json, import_ann};
use dotdigital_capture_server::{CaptureServer, Reply};
use dotdigital_contacts::types::{ContactStatus, EmailChannelStatus, StoredApiContactStatus};
use dotdigital_contacts::{ContactsClient, Delivery, Error, ImportOutcome, RetryPolicy};
use serde_json::json;

#[tokio::test]
async fn unknown_response_enum_values_are_kept_not_refused() {
    let mut contact = contact_json();
    contact["status"] = json!("dormant");
    contact["channelProperties"] = json!({
        "email": {"emailType": "Amp", "optInType": "Triple", "status": "greylisted"},
        "sms": {"status": "paused"}
    });
    contact["lists"] = json!([{"id": 1, "name": "VIP", "status": "archived"}]);
    let server = CaptureServer::start(vec![Reply::json(201, contact.clone())]).await;
    let imported = import_ann(&client(&server)).await.unwrap();
    assert_eq!(imported.outcome, ImportOutcome::Created);
    assert_eq!(
        imported.contact.status,
        ContactStatus::Other("dormant".to_owned())
    );
    let email = imported
        .contact
        .channel_properties
        .as_ref()
        .and_then(|c| c.email.as_ref())
        .unwrap();
    assert_eq!(
        email.status,
        EmailChannelStatus::Other("greylisted".to_owned())
    );
    assert_eq!(email.opt_in_type.to_string(), "Triple");
    // Written back unchanged: a value read is a value the service accepts.
    let written = serde_json::to_value(&imported.contact).unwrap();
    assert_eq!(written["channelProperties"], contact["channelProperties"]);
    assert_eq!(written["lists"][0]["status"], "archived");
    // Known values are still themselves.
    assert_eq!(
        "subscribed".parse::<ContactStatus>().unwrap(),
        ContactStatus::Subscribed
    );
}

#[tokio::test]
async fn v2_answers_keep_unknown_values_too() {
    let server = CaptureServer::start(vec![Reply::json(
        200,
        json!({"id": 5, "email": "john@example.com", "optInType": "Quadruple", "emailType": "Amp", "status": "Hibernating", "dataFields": []}),
    )])
    .await;
    let updated = client(&server)
        .update_contact_resetting_types(5, "john@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(
        updated.contact.status,
        Some(StoredApiContactStatus::Other("Hibernating".to_owned()))
    );
}

#[tokio::test]
async fn request_enums_stay_closed() {
    let err = "subscribd"
        .parse::<dotdigital_contacts::types::EmailStatusUpdate>()
        .unwrap_err();
    assert_eq!(err.to_string(), "invalid value");
}

#[tokio::test]
async fn a_new_response_header_is_readable() {
    let server = CaptureServer::start(vec![
        Reply::json(200, contact_json()).header("X-Request-Id", "req-42"),
    ])
    .await;
    let imported = import_ann(&client(&server)).await.unwrap();
    assert_eq!(imported.headers()["x-request-id"], "req-42");
}

/// The headers the spec documents on `operation`'s success answers, and one
/// it does not (a newer service's).
fn documented_success_headers(operation: &str) -> Vec<String> {
    let spec = dotdigital_spec::to_json(dotdigital_spec::SPEC_YAML).unwrap();
    let mut names = vec!["X-Request-Id".to_owned()];
    for (_, _, op) in dotdigital_spec::operations(&spec) {
        if op["operationId"] != operation {
            continue;
        }
        for (status, response) in op["responses"].as_object().unwrap() {
            if status.starts_with('2') {
                names.extend(
                    response["headers"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(n, _)| n.clone()),
                );
            }
        }
    }
    names
}

/// Under `cargo xtask evolve` the spec gains a success header, and this test,
/// built from that spec, reads it through the wrapper.
#[tokio::test]
async fn every_header_the_spec_documents_on_a_success_is_readable() {
    let imports = documented_success_headers("importContact");
    let updates = documented_success_headers("updateContact");
    let with = |mut reply: Reply, names: &[String]| {
        for name in names {
            reply = reply.header(name, &format!("value of {name}"));
        }
        reply
    };
    let server = CaptureServer::start(vec![
        with(Reply::json(200, contact_json()), &imports),
        with(
            Reply::json(200, json!({"id": 5, "email": "john@example.com"})),
            &updates,
        ),
    ])
    .await;
    let client = client(&server);
    let imported = import_ann(&client).await.unwrap();
    for name in &imports {
        assert_eq!(
            imported.headers()[name.as_str()],
            format!("value of {name}").as_str()
        );
    }
    let updated = client
        .update_contact_resetting_types(5, "john@example.com")
        .send()
        .await
        .unwrap();
    for name in &updates {
        assert_eq!(
            updated.headers()[name.as_str()],
            format!("value of {name}").as_str()
        );
    }
}

#[tokio::test]
async fn a_value_of_the_wrong_type_is_named_by_its_path_and_the_request_was_applied() {
    let mut contact = contact_json();
    contact["channelProperties"] =
        json!({"email": {"emailType": "Html", "optInType": "Single", "status": 7}});
    let server = CaptureServer::start(vec![Reply::json(201, contact)]).await;
    let err = import_ann(&client(&server)).await.unwrap_err();
    assert!(
        matches!(&err, Error::UnreadableAnswer { status, .. } if status.as_u16() == 201),
        "{err:?}"
    );
    assert_eq!(err.delivery(), Delivery::Sent);
    let text = err.to_string();
    assert!(text.contains("`channelProperties.email.status`"), "{text}");
    assert!(text.contains("the request was applied"), "{text}");
}

#[tokio::test]
async fn a_cut_off_answer_says_so() {
    let whole = contact_json().to_string();
    let cut = &whole[..whole.len() / 2];
    let server = CaptureServer::start(vec![Reply::text(200, "application/json", cut)]).await;
    let err = import_ann(&client(&server)).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("the JSON is cut off after"), "{text}");
    assert!(text.contains("the request was applied"), "{text}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn an_answer_over_the_limit_fails_without_being_held_whole() {
    let huge = format!("\"{}\"", "x".repeat(8 * 1024 * 1024));
    let server = CaptureServer::start(vec![
        Reply::text(200, "application/json", &huge),
        Reply::text(502, "text/html", &huge),
    ])
    .await;
    let client = ContactsClient::builder()
        .base_url(server.base_url())
        .credentials("apiuser-1@apiconnector.com", "pw")
        .retry_policy(RetryPolicy::none())
        .max_answer_bytes(64 * 1024)
        .build()
        .unwrap();
    for expected in [200, 502] {
        let err = import_ann(&client).await.unwrap_err();
        assert!(
            matches!(&err, Error::AnswerTooLarge { status, limit: 65536 } if status.as_u16() == expected),
            "{err:?}"
        );
        assert_eq!(err.delivery(), Delivery::Sent);
        assert!(err.to_string().contains("limit of 65536 bytes"), "{err}");
    }
}

#[tokio::test]
async fn server_text_never_reaches_a_terminal_raw() {
    let server = CaptureServer::start(vec![Reply::text(
        502,
        "text/html",
        "<h1>\u{1b}]0;pwned\u{7}\u{1b}[2J bad gateway</h1>",
    )])
    .await;
    let err = import_ann(&client(&server)).await.unwrap_err();
    let text = err.to_string();
    assert!(!text.chars().any(char::is_control), "{text:?}");
    assert!(text.contains("\\x1b]0;pwned"), "{text}");
}
