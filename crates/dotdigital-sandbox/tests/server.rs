//! The server around the semantics: path decoding, query and header checks,
//! custom identifiers, concurrency, faults, admin routes, and the binary.

#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{ANN, Api, send};
use dotdigital_sandbox::Sandbox;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn path_values_are_percent_decoded_exactly_once() {
    let api = Api::start().await;
    let created = api.create("a+b@example.com", json!({})).await;
    // `%2B` and a literal `+` are both a plus; `%40` is `@`; `%252B` stays `%2B`.
    for path_value in [
        "a%2Bb%40example.com",
        "a+b@example.com",
        "A+B%40Example.com",
    ] {
        let reply = api.patch("email", path_value, "", json!({})).await;
        assert_eq!(reply.status, 200, "{path_value}");
        assert_eq!(reply.body["contactId"], created["contactId"]);
    }
    let reply = api
        .patch(
            "email",
            "a%252Bb%40example.com",
            "",
            json!({"identifiers": {"email": "a%2Bb@example.com"}}),
        )
        .await;
    assert_eq!(reply.status, 201);
    assert_eq!(reply.body["identifiers"]["email"], "a%2Bb@example.com");
    // The error names the segment that is not UTF-8 once decoded.
    let reply = api.patch("email", "%FF%FE", "", json!({})).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.items(), ["value"]);
    let reply = api.patch("%FF", "ann@example.com", "", json!({})).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.items(), ["identifier"]);
}

#[tokio::test]
async fn merge_option_and_integration_token_are_checked() {
    let api = Api::start().await;
    let body = json!({"identifiers": {"email": "ann@example.com"}});
    let reply = api
        .patch_by_email(ANN, "?merge-option=overwriteIfEmpty", body.clone())
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.items(), ["merge-option"]);
    let url = api.url("/contacts/v3/email/ann@example.com");
    let with_token = |token: &str| {
        api.http
            .patch(&url)
            .basic_auth(api.sandbox.api_user(), Some(api.sandbox.api_password()))
            .header("x-ddg-integration-token", token)
            .json(&body)
    };
    let reply = send(with_token("not-a-guid")).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.items(), ["x-ddg-integration-token"]);
    let reply = send(with_token("{5a96bc79-19a7-4544-973b-e2da0c9136f9}")).await;
    assert_eq!(reply.status, 201);
    assert_eq!(api.sandbox.contact_count(), 1);
}

#[tokio::test]
async fn only_configured_custom_identifiers_exist() {
    let api = Api::with(Sandbox::builder().custom_identifier("crmId")).await;
    let created = api
        .create(
            ANN,
            json!({"identifiers": {"email": "ann@example.com", "crmId": "CRM-1"}}),
        )
        .await;
    assert_eq!(created["identifiers"]["crmId"], "CRM-1");
    let reply = api
        .patch(
            "crmId",
            "CRM-1",
            "",
            json!({"dataFields": {"FIRSTNAME": "Ann"}}),
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["contactId"], created["contactId"]);
    let reply = api.patch("shopId", "S-1", "", json!({})).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.items(), ["identifier"]);
    let reply = api
        .patch(
            "crmId",
            "CRM-1",
            "",
            json!({"identifiers": {"shopId": "S-1"}}),
        )
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.items(), ["identifiers.shopId"]);
    // Custom identifiers are unique too.
    let reply = api
        .patch(
            "email",
            "bob@example.com",
            "",
            json!({"identifiers": {"email": "bob@example.com", "crmId": "CRM-1"}}),
        )
        .await;
    assert_eq!(reply.status, 409);
}

#[tokio::test]
async fn fifty_parallel_creates_of_one_email_give_one_201_and_49_updates() {
    let api = std::sync::Arc::new(Api::start().await);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50 {
        let api = api.clone();
        tasks.spawn(async move {
            let body = json!({
                "identifiers": {"email": "same@example.com"},
                "dataFields": {"FIRSTNAME": format!("n{i}")},
            });
            let reply = api.patch("email", "same@example.com", "", body).await;
            (reply.status, reply.body["contactId"].clone())
        });
    }
    let mut statuses = Vec::new();
    let mut ids = std::collections::BTreeSet::new();
    while let Some(done) = tasks.join_next().await {
        let (status, id) = done.unwrap();
        statuses.push(status);
        ids.insert(id.to_string());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1);
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 49);
    assert_eq!(ids.len(), 1);
    assert_eq!(api.sandbox.contact_count(), 1);
}

#[tokio::test]
async fn injected_errors_are_seeded_and_change_nothing() {
    let statuses = |seed| async move {
        let api = Api::with(Sandbox::builder().fail_rate(0.5).seed(seed)).await;
        let mut statuses = Vec::new();
        for i in 0..40 {
            let email = format!("c{i}@example.com");
            let reply = api
                .patch(
                    "email",
                    &email,
                    "",
                    json!({"identifiers": {"email": email}}),
                )
                .await;
            if reply.status >= 500 {
                assert!(
                    reply.body["errorCode"]
                        .as_str()
                        .unwrap()
                        .starts_with("server:")
                );
            }
            statuses.push(reply.status);
        }
        let created = statuses.iter().filter(|s| **s == 201).count();
        assert_eq!(api.sandbox.contact_count(), created);
        statuses
    };
    let first = statuses(42).await;
    assert_eq!(first, statuses(42).await);
    assert!(first.contains(&500) && first.contains(&503) && first.contains(&201));
    // Admin routes are never faulted.
    let api = Api::with(Sandbox::builder().fail_rate(1.0)).await;
    let reply = api.admin(Method::GET, "/_sandbox/stats", None).await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn a_dropped_connection_gets_no_answer_and_changes_nothing() {
    let api = Api::with(Sandbox::builder().drop_rate(1.0)).await;
    let result = api
        .http
        .patch(api.url("/contacts/v3/email/ann@example.com"))
        .basic_auth(api.sandbox.api_user(), Some(api.sandbox.api_password()))
        .json(&json!({"identifiers": {"email": "ann@example.com"}}))
        .send()
        .await;
    let error = result.unwrap_err();
    assert!(error.status().is_none(), "{error:?}");
    assert_eq!(api.sandbox.contact_count(), 0);
    let stats = api.admin(Method::GET, "/_sandbox/stats", None).await;
    assert_eq!(
        stats.body["droppedConnections"],
        json!([{"route": "PATCH /contacts/v3/{identifier}/{value}", "count": 1}])
    );
}

#[tokio::test]
async fn added_latency_delays_api_answers() {
    let api = Api::with(Sandbox::builder().latency(Duration::from_millis(150))).await;
    let started = Instant::now();
    let reply = api.get("/contacts/v3/email/ann@example.com").await;
    assert_eq!(reply.status, 404);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn get_and_delete_observe_and_prepare_state() {
    let api = Api::start().await;
    assert_eq!(api.contact(ANN).await.status, 404);
    assert_eq!(
        api.contact(ANN).await.body["errorCode"],
        "contacts:contactNotFound"
    );
    assert_eq!(
        api.delete("/contacts/v3/email/ann@example.com")
            .await
            .status,
        404
    );
    let created = api.create(ANN, json!({})).await;
    let id = created["contactId"].as_u64().unwrap();
    assert_eq!(
        api.get(&format!("/v2/contacts/{id}")).await.body["email"],
        "ann@example.com"
    );
    assert_eq!(
        api.delete(&format!("/contacts/v3/contactId/{id}"))
            .await
            .status,
        204
    );
    assert_eq!(
        api.delete(&format!("/contacts/v3/contactId/{id}"))
            .await
            .status,
        404
    );
    assert_eq!(api.get(&format!("/v2/contacts/{id}")).await.status, 404);
    // v2 PUT by id restores it.
    let reply = api
        .put_v2(&id.to_string(), json!({"email": "ann@example.com"}))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(api.contact(ANN).await.body["status"], "subscribed");
}

#[tokio::test]
async fn admin_routes_reset_configure_count_and_seed() {
    let api = Api::start().await;
    let config = api.admin(Method::GET, "/_sandbox/config", None).await;
    assert_eq!(config.body["apiUser"], "demo@apiconnector.com");
    assert!(config.body.get("apiPassword").is_none());
    assert_eq!(
        config.body["dataFields"][0],
        json!({"name": "FIRSTNAME", "type": "String"})
    );

    let change = json!({
        "dataFields": [{"name": "SCORE", "type": "Numeric"}],
        "customIdentifiers": ["crmId"],
        "lists": [{"id": 1, "name": "One"}],
        "rateLimit": 100,
    });
    let reply = api
        .admin(Method::PATCH, "/_sandbox/config", Some(change))
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let reply = api
        .admin(
            Method::POST,
            "/_sandbox/contacts",
            Some(json!({"identifiers": {"email": "ann@example.com", "crmId": "C1"}, "dataFields": {"SCORE": 3}, "lists": [1]})),
        )
        .await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    assert_eq!(reply.body["dataFields"], json!({"SCORE": 3}));
    let reply = api.patch("crmId", "C1", "", json!({})).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-ratelimit-limit"), "100");

    for bad in [
        json!({"faults": {"errorRate": 2}}),
        json!({"customIdentifiers": ["bad name"]}),
        json!({"dataFields": [{"name": "X", "type": "Text"}]}),
        json!({"colour": "red"}),
    ] {
        let reply = api
            .admin(Method::PATCH, "/_sandbox/config", Some(bad.clone()))
            .await;
        assert_eq!(reply.status, 400, "{bad}");
    }

    let stats = api.admin(Method::GET, "/_sandbox/stats", None).await;
    assert_eq!(stats.body["contacts"], json!({"active": 1, "binned": 0}));
    assert!(stats.body["requests"].as_array().unwrap().contains(&json!({
        "route": "PATCH /contacts/v3/{identifier}/{value}", "status": 200, "count": 1
    })));
    assert_eq!(
        api.admin(Method::POST, "/_sandbox/reset", None)
            .await
            .status,
        200
    );
    assert_eq!(api.sandbox.contact_count(), 0);
    let reply = api.admin(Method::GET, "/_sandbox/nothing", None).await;
    assert_eq!(reply.status, 404);
    let reply = api.admin(Method::DELETE, "/_sandbox/reset", None).await;
    assert_eq!(reply.status, 405);
}

#[tokio::test]
async fn debug_output_never_shows_the_password() {
    let sandbox = Sandbox::builder()
        .api_password("s3cret-pass")
        .start()
        .await
        .unwrap();
    assert!(!format!("{sandbox:?}").contains("s3cret-pass"));
    assert_eq!(sandbox.api_password(), "s3cret-pass");
    sandbox.shutdown().await;
}

/// Starts the sandbox binary; returns it and the base URL of its first line.
fn spawn_binary(command: &mut Command) -> (std::process::Child, String) {
    dotdigital_capture_server::spawn_listening(command).unwrap()
}

#[test]
fn the_binary_prints_its_address_first_and_stops_on_sigterm() {
    let (mut child, base_url) = spawn_binary(
        Command::new(env!("CARGO_BIN_EXE_dotdigital-sandbox")).args([
            "--listen",
            "127.0.0.1:0",
            "--api-password",
            "pa55word!",
            "--custom-identifier",
            "crmId",
        ]),
    );
    assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url}");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = runtime.block_on(async {
        reqwest::Client::new()
            .patch(format!("{base_url}/contacts/v3/crmId/C1"))
            .basic_auth("demo@apiconnector.com", Some("pa55word!"))
            .json(&json!({"identifiers": {"email": "ann@example.com", "crmId": "C1"}}))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 201);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert!(child.wait().unwrap().success());

    let bad = Command::new(env!("CARGO_BIN_EXE_dotdigital-sandbox"))
        .args(["--rate-limit", "many"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--rate-limit"));
}

#[tokio::test]
async fn off_loopback_the_admin_routes_need_the_api_credentials() {
    let sandbox = Sandbox::builder()
        .listen("0.0.0.0:0".parse().unwrap())
        .start()
        .await
        .unwrap();
    let port = sandbox.base_url().rsplit(':').next().unwrap().to_owned();
    let stats = format!("http://127.0.0.1:{port}/_sandbox/stats");
    let http = reqwest::Client::new();
    let anonymous = send(http.get(&stats)).await;
    assert_eq!(anonymous.status, 401);
    assert!(anonymous.header("www-authenticate").starts_with("Basic"));
    let reset = send(http.post(format!("http://127.0.0.1:{port}/_sandbox/reset"))).await;
    assert_eq!(reset.status, 401, "nothing is reset without credentials");
    let signed = send(
        http.get(&stats)
            .basic_auth(sandbox.api_user(), Some(sandbox.api_password())),
    )
    .await;
    assert_eq!(signed.status, 200);
    sandbox.shutdown().await;

    // On loopback they stay open, for tests and demos.
    let api = Api::start().await;
    assert_eq!(
        api.admin(Method::GET, "/_sandbox/stats", None).await.status,
        200
    );
}

#[test]
fn the_binary_reads_the_password_from_the_environment() {
    let (mut child, base_url) = spawn_binary(
        Command::new(env!("CARGO_BIN_EXE_dotdigital-sandbox"))
            .args(["--listen", "127.0.0.1:0"])
            .env(dotdigital_sandbox::API_PASSWORD_VAR, "from-the-env"),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = |password: &'static str| {
        runtime.block_on(async {
            reqwest::Client::new()
                .patch(format!("{base_url}/contacts/v3/email/ann@example.com"))
                .basic_auth("demo@apiconnector.com", Some(password))
                .json(&json!({"identifiers": {"email": "ann@example.com"}}))
                .send()
                .await
                .unwrap()
                .status()
        })
    };
    assert_eq!(
        status("demo-password"),
        401,
        "the default no longer applies"
    );
    assert_eq!(status("from-the-env"), 201);
    child.kill().unwrap();
    child.wait().unwrap();
}
