//! Every validation error names the field and the limit, and sends nothing.

#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

mod common;

use common::{client, ok};
use dotdigital_capture_server::CaptureServer;
use dotdigital_contacts::types::{ApiContactEmailType, ApiContactOptInType};
use dotdigital_contacts::{
    ConsentRecord, Delivery, EmailChannel, Error, Identifier, ImportContact,
};

fn consent() -> ConsentRecord {
    ConsentRecord::new()
        .text("Yes")
        .consented_at("2026-01-05T09:30:00Z".parse().unwrap())
        .url("https://example.com/s")
        .ip_address("10.0.0.1")
        .user_agent("Mozilla/5.0")
}

async fn rejected(server: &CaptureServer, import: ImportContact<'_>, field: &str, limit: &str) {
    let err = import.send().await.unwrap_err();
    let Error::Validation { field: got, reason } = &err else {
        panic!("expected a validation error, got {err:?}")
    };
    assert_eq!(got, field, "{err}");
    assert!(
        reason.contains(limit),
        "{reason:?} should mention {limit:?}"
    );
    assert_eq!(err.delivery(), Delivery::NotSent);
    assert!(
        server.requests().is_empty(),
        "nothing may be sent for {field}"
    );
}

#[tokio::test]
async fn import_inputs_are_checked_before_the_network() {
    let server = CaptureServer::start(vec![ok(200)]).await;
    let client = client(&server);
    let email = || client.import_contact(Identifier::email("ann@example.com"));
    let cases: Vec<(ImportContact<'_>, &str, &str)> = vec![
        (
            client.import_contact(Identifier::custom("", "x")),
            "identifier",
            "shorter than 1 characters",
        ),
        (
            client.import_contact(Identifier::custom("a".repeat(51), "x")),
            "identifier",
            "longer than 50 characters",
        ),
        (
            client.import_contact(Identifier::custom("crm id", "x")),
            "identifier",
            "\"crm id\": doesn't match pattern",
        ),
        (
            client.import_contact(Identifier::custom("email", "x")),
            "identifier",
            "built-in",
        ),
        (
            client.import_contact(Identifier::custom("crmId", "")),
            "value",
            "shorter than 1 characters",
        ),
        (
            client.import_contact(Identifier::custom("crmId", "x".repeat(257))),
            "value",
            "longer than 256 characters",
        ),
        (
            client.import_contact(Identifier::email("ann@")),
            "value",
            "not an email address",
        ),
        (
            client.import_contact(Identifier::mobile_number("+44 7123 123123")),
            "value",
            "E.164",
        ),
        (
            email().email("not-an-email"),
            "identifiers.email",
            "not an email address",
        ),
        (
            email().mobile_number("07123"),
            "identifiers.mobileNumber",
            "E.164",
        ),
        (
            email().custom_identifier("contactId", "5"),
            "identifiers.contactId",
            "contactId cannot be changed",
        ),
        (
            email().custom_identifier("crm id", "5"),
            "identifiers.crm id",
            "doesn't match pattern",
        ),
        (
            email().custom_identifier("crmId", "x".repeat(257)),
            "identifiers.crmId",
            "longer than 256 characters",
        ),
        (email().set("", "x"), "dataFields", "must not be empty"),
        (
            email().set("SCORE", f64::NAN),
            "dataFields.SCORE",
            "not a finite number",
        ),
        (
            email().lists(1..=101),
            "lists",
            "at most 100 items, got 101",
        ),
        (
            email()
                .consent_record(consent())
                .consent_record(consent())
                .consent_record(consent())
                .consent_record(consent())
                .consent_record(consent())
                .consent_record(consent()),
            "consentRecords",
            "at most 5 items, got 6",
        ),
        (
            email().consent_record(
                ConsentRecord::new()
                    .text("")
                    .consented_at("2026-01-05T09:30:00Z".parse().unwrap())
                    .url("https://e.com")
                    .ip_address("10.0.0.1")
                    .user_agent("ua"),
            ),
            "consentRecords[0]",
            "text: shorter than 1 characters",
        ),
        (
            email().consent_record(
                ConsentRecord::new()
                    .text("t")
                    .consented_at("2026-01-05T09:30:00Z".parse().unwrap())
                    .url("https://e.com")
                    .ip_address("10.0.0.1")
                    .user_agent(""),
            ),
            "consentRecords[0]",
            "userAgent: shorter than 1 characters",
        ),
        (
            email().consent_record(
                ConsentRecord::new()
                    .text("t")
                    .consented_at("2026-01-05T09:30:00Z".parse().unwrap())
                    .url("/signup")
                    .ip_address("10.0.0.1")
                    .user_agent("ua"),
            ),
            "consentRecords[0].url",
            "absolute URL",
        ),
        (
            email().consent_record(
                ConsentRecord::new()
                    .text("t")
                    .consented_at("2026-01-05T09:30:00Z".parse().unwrap())
                    .url("https://e.com")
                    .ip_address("10.0.0.300")
                    .user_agent("ua"),
            ),
            "consentRecords[0].ipAddress",
            "IPv4 or IPv6",
        ),
        (
            email().email_channel(EmailChannel::new().resubscribe_with_challenge(
                dotdigital_contacts::types::PreferredLocale::EnEn,
                "not a url",
            )),
            "channelProperties.email.resubscribeOptions.redirectUrlAfterChallenge",
            "absolute URL",
        ),
    ];
    for (import, field, limit) in cases {
        rejected(&server, import, field, limit).await;
    }
}

#[tokio::test]
async fn update_inputs_are_checked_before_the_network() {
    let server = CaptureServer::start(vec![ok(200)]).await;
    let client = client(&server);
    for (update, field) in [
        (
            client.update_contact(
                -1,
                "a@example.com",
                ApiContactOptInType::Single,
                ApiContactEmailType::Html,
            ),
            "id",
        ),
        (
            client.update_contact(
                1,
                "",
                ApiContactOptInType::Single,
                ApiContactEmailType::Html,
            ),
            "email",
        ),
        (client.update_contact_resetting_types(1, "john@"), "email"),
        (
            client
                .update_contact_resetting_types(1, "a@example.com")
                .set(" ", 1),
            "dataFields",
        ),
    ] {
        let err = update.send().await.unwrap_err();
        assert!(
            matches!(&err, Error::Validation { field: f, .. } if f == field),
            "{err:?}"
        );
    }
    assert!(server.requests().is_empty());
}

#[test]
fn configuration_errors_name_the_setting() {
    let cases = [
        (
            dotdigital_contacts::ContactsClient::builder()
                .build()
                .unwrap_err(),
            "credentials",
        ),
        (
            dotdigital_contacts::ContactsClient::builder()
                .credentials("u", "")
                .build()
                .unwrap_err(),
            "credentials",
        ),
        (
            dotdigital_contacts::ContactsClient::builder()
                .credentials("u", "p")
                .base_url("ftp://x")
                .build()
                .unwrap_err(),
            "base_url",
        ),
        (
            dotdigital_contacts::ContactsClient::builder()
                .credentials("u", "p")
                .integration_token("nope")
                .build()
                .unwrap_err(),
            "integration_token",
        ),
    ];
    for (err, setting) in cases {
        assert!(
            matches!(&err, Error::Configuration { setting: s, .. } if s == setting),
            "{err:?}"
        );
    }
}

#[test]
fn from_env_names_the_missing_or_invalid_variable() {
    use std::collections::HashMap;
    let env = |pairs: &[(&str, &str)]| {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        dotdigital_contacts::ContactsClient::from_env_with(move |name| map.get(name).cloned())
    };
    let user = ("DOTDIGITAL_API_USER", "u@apiconnector.com");
    let password = ("DOTDIGITAL_API_PASSWORD", "s3cret-pass");
    let message =
        |r: Result<dotdigital_contacts::ContactsClient, Error>| r.unwrap_err().to_string();
    assert!(message(env(&[])).contains("DOTDIGITAL_API_USER"));
    assert!(message(env(&[user])).contains("DOTDIGITAL_API_PASSWORD"));
    assert!(
        message(env(&[user, password, ("DOTDIGITAL_REGION", "r9")])).contains("DOTDIGITAL_REGION")
    );
    assert!(
        message(env(&[user, password, ("DOTDIGITAL_BASE_URL", "nope")]))
            .contains("DOTDIGITAL_BASE_URL")
    );
    assert!(
        message(env(&[
            user,
            password,
            ("DOTDIGITAL_INTEGRATION_TOKEN", "x")
        ]))
        .contains("DOTDIGITAL_INTEGRATION_TOKEN")
    );
    assert!(
        message(env(&[
            user,
            password,
            ("DOTDIGITAL_REGION", "r2"),
            ("DOTDIGITAL_BASE_URL", "http://x")
        ]))
        .contains("not both")
    );
    assert_eq!(
        env(&[user, password]).unwrap().base_url(),
        "https://r1-api.dotdigital.com"
    );
    assert_eq!(
        env(&[user, password, ("DOTDIGITAL_REGION", "R3")])
            .unwrap()
            .base_url(),
        "https://r3-api.dotdigital.com"
    );
    assert_eq!(
        env(&[
            user,
            password,
            ("DOTDIGITAL_BASE_URL", "https://api.dotmailer.com/")
        ])
        .unwrap()
        .base_url(),
        "https://api.dotmailer.com"
    );
    let err = message(env(&[user, ("DOTDIGITAL_API_PASSWORD", "")]));
    assert!(err.contains("DOTDIGITAL_API_PASSWORD") && !err.contains("s3cret-pass"));
}
