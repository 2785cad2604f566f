//! Imports one contact with the generated client.
//!
//! With `DOTDIGITAL_API_USER` and `DOTDIGITAL_API_PASSWORD` set (and optionally
//! `DOTDIGITAL_BASE_URL`, default `https://r1-api.dotdigital.com`) it calls
//! Dotdigital. Without them it starts a minimal loopback responder that answers
//! like the service would for a new contact, and prints what it received: a
//! demonstration of the wire format, not an emulator.

use dotdigital_contacts_api::{Client, Credentials, types};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (base_url, credentials) = match (
        std::env::var("DOTDIGITAL_API_USER"),
        std::env::var("DOTDIGITAL_API_PASSWORD"),
    ) {
        (Ok(user), Ok(password)) => {
            let base_url = std::env::var("DOTDIGITAL_BASE_URL")
                .unwrap_or_else(|_| "https://r1-api.dotdigital.com".to_owned());
            (base_url, Credentials::new(user, password))
        }
        _ => {
            println!("no DOTDIGITAL_API_USER/DOTDIGITAL_API_PASSWORD: using a loopback responder");
            (
                start_loopback_responder().await?,
                Credentials::new("demo@apiconnector.com", "demo-password"),
            )
        }
    };

    let client = Client::new_with_client(&base_url, reqwest::Client::new(), credentials);
    let mut body = types::ImportContactRequest {
        identifiers: Some(types::IdentifiersUpdate {
            email: Some("ann@example.com".into()),
            mobile_number: None,
            extra: Default::default(),
        }),
        lists: vec![12345],
        ..Default::default()
    };
    body.data_fields.insert("FIRSTNAME".into(), json!("Ann"));
    body.data_fields
        .insert("POSTCODE".into(), serde_json::Value::Null);

    let response = client
        .import_contact(
            &"email".parse()?,
            &"ann@example.com".parse()?,
            Some(types::MergeOption::Overwrite),
            None,
            &body,
        )
        .await?;
    let outcome = if response.status() == 201 {
        "created"
    } else {
        "updated"
    };
    println!("{outcome} contact {}", response.contact_id);
    println!("{}", serde_json::to_string_pretty(&response.into_inner())?);
    Ok(())
}

/// Answers every PATCH with 201 and a contact made from the request body.
async fn start_loopback_responder() -> Result<String, std::io::Error> {
    let app = axum::Router::new().fallback(|request: axum::extract::Request| async move {
        let (parts, body) = request.into_parts();
        let body = axum::body::to_bytes(body, 1 << 20)
            .await
            .unwrap_or_default();
        println!("> {} {}", parts.method, parts.uri);
        println!("> {}", String::from_utf8_lossy(&body));
        let sent: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let contact = json!({
            "contactId": 1,
            "status": "subscribed",
            "created": "2026-01-05T09:30:00Z",
            "updated": "2026-01-05T09:30:00Z",
            "identifiers": sent["identifiers"],
            "dataFields": sent["dataFields"],
        });
        (axum::http::StatusCode::CREATED, axum::Json(contact))
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base_url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(base_url)
}
