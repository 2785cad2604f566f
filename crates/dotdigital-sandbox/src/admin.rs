//! Admin routes under `/_sandbox/`, JSON in and out. They skip the rate limit
//! and faults, and need no credentials on loopback; a sandbox listening on
//! any other address asks for its API credentials here too.
//!
//! - `POST /_sandbox/reset`: forget contacts, statistics and the rate window;
//! - `GET /_sandbox/config`, `PATCH /_sandbox/config`: read or change the
//!   account (data fields, custom identifiers, lists, rate limit, faults);
//! - `GET /_sandbox/stats`: requests by route and status, contacts stored;
//! - `POST /_sandbox/contacts`: store a contact (a v3 import body with
//!   `identifiers.email` or `identifiers.mobileNumber`), answered as v3 does.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::app::App;
use crate::config::ConfigChange;
use crate::error::{ApiError, json_response};
use crate::identifier::{EMAIL, MOBILE_NUMBER};
use crate::import::{self, MergeOption};
use crate::routes::read_json;

pub(crate) fn admin_routes() -> Router<Arc<App>> {
    Router::new()
        .route("/_sandbox/reset", post(reset))
        .route("/_sandbox/config", get(config).patch(change_config))
        .route("/_sandbox/stats", get(stats))
        .route("/_sandbox/contacts", post(seed_contact))
}

async fn reset(State(app): State<Arc<App>>) -> Response {
    app.reset();
    json_response(StatusCode::OK, &json!({ "reset": true }))
}

async fn config(State(app): State<Arc<App>>) -> Response {
    json_response(StatusCode::OK, &json!(*app.config()))
}

async fn change_config(State(app): State<Arc<App>>, body: Body) -> Response {
    let result = async {
        let body = read_json(body)
            .await
            .map_err(|_| ApiError::field("server:badRequest", "body", "must be a JSON object"))?;
        let change: ConfigChange = serde_json::from_value(body)
            .map_err(|e| ApiError::field("server:badRequest", "body", e.to_string()))?;
        let next = app
            .config()
            .changed(change, app.model())
            .map_err(|e| ApiError::field("server:badRequest", "config", e))?;
        app.set_config(next);
        Ok::<_, ApiError>(json!(*app.config()))
    };
    match result.await {
        Ok(config) => json_response(StatusCode::OK, &config),
        Err(error) => error.into_response(),
    }
}

async fn stats(State(app): State<Arc<App>>) -> Response {
    let (active, binned) = app.store().counts();
    let mut body = app.stats().to_json();
    body["contacts"] = json!({ "active": active, "binned": binned });
    json_response(StatusCode::OK, &body)
}

async fn seed_contact(State(app): State<Arc<App>>, body: Body) -> Response {
    let result = async {
        let body = read_json(body)
            .await
            .map_err(|_| ApiError::field("server:badRequest", "body", "must be a JSON object"))?;
        seed(&app, body)
    };
    match result.await {
        Ok(imported) => json_response(imported.status, &imported.contact),
        Err(error) => error.into_response(),
    }
}

/// Imports `body` keyed by its email (else its mobile number), as a v3
/// `PATCH` with `merge-option=overwrite` would.
pub(crate) fn seed(app: &App, body: Value) -> Result<import::Imported, ApiError> {
    let key = [EMAIL, MOBILE_NUMBER].into_iter().find_map(|name| {
        body.pointer(&format!("/identifiers/{name}"))
            .and_then(Value::as_str)
            .map(|value| (name, value.to_owned()))
    });
    let Some((identifier, value)) = key else {
        return Err(ApiError::field(
            "server:badRequest",
            "identifiers",
            "must carry email or mobileNumber",
        ));
    };
    import::import(app, identifier, &value, MergeOption::Overwrite, body)
}
