//! The API routes: HTTP in (path segments, query, header, JSON body), the
//! operation in `import` / `v2`, HTTP out.
//!
//! Path segments are percent-decoded exactly once (by axum's router), so `%2B`
//! is `+`, `%40` is `@`, `%252B` is `%2B`, and a literal `+` stays a plus.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{RawPathParams, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{patch, put};
use chrono::Utc;
use serde_json::Value;

use crate::app::App;
use crate::error::{ApiError, Detail, V2Error, json_response, no_content};
use crate::gate::api_gate;
use crate::import::{self, MergeOption};
use crate::v2;

/// Largest request body accepted.
const BODY_LIMIT: usize = 1024 * 1024;

pub(crate) fn api_routes(app: Arc<App>) -> Router<Arc<App>> {
    Router::new()
        .route(
            "/contacts/v3/{identifier}/{value}",
            patch(import_contact)
                .get(get_contact)
                .delete(delete_contact),
        )
        .route("/v2/contacts/{id}", put(update_contact).get(get_v2_contact))
        .route_layer(from_fn_with_state(app, api_gate))
}

async fn import_contact(
    State(app): State<Arc<App>>,
    params: Result<RawPathParams, RawPathParamsRejection>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = async {
        let (identifier, value) = v3_path(&params)?;
        check_integration_token(&headers)?;
        let merge = merge_option(&uri)?;
        let body = read_json(body).await.map_err(|problem| problem.v3())?;
        import::import(&app, &identifier, &value, merge, &body)
    };
    match result.await {
        Ok(imported) => json_response(imported.status, &imported.contact),
        Err(error) => error.into_response(),
    }
}

async fn get_contact(
    State(app): State<Arc<App>>,
    params: Result<RawPathParams, RawPathParamsRejection>,
) -> Response {
    let found = v3_path(&params).and_then(|(identifier, value)| {
        let config = app.config();
        let (identifier, value) = import::path_identifier(&identifier, &value, &config)?;
        app.store()
            .find(&identifier, &value)
            .map(|contact| contact.to_v3(&config))
            .ok_or_else(not_found)
    });
    match found {
        Ok(contact) => json_response(StatusCode::OK, &contact),
        Err(error) => error.into_response(),
    }
}

/// Moves an active contact to the recycle bin.
async fn delete_contact(
    State(app): State<Arc<App>>,
    params: Result<RawPathParams, RawPathParamsRejection>,
) -> Response {
    let deleted = v3_path(&params).and_then(|(identifier, value)| {
        let config = app.config();
        let (identifier, value) = import::path_identifier(&identifier, &value, &config)?;
        let mut store = app.store();
        let mut contact = store
            .find(&identifier, &value)
            .filter(|contact| !contact.binned)
            .cloned()
            .ok_or_else(not_found)?;
        contact.binned = true;
        contact.updated = Utc::now();
        store.put(contact);
        Ok(())
    });
    match deleted {
        Ok(()) => no_content(),
        Err(error) => error.into_response(),
    }
}

async fn update_contact(
    State(app): State<Arc<App>>,
    params: Result<RawPathParams, RawPathParamsRejection>,
    body: Body,
) -> Response {
    let result = async {
        let id = v2::path_id(
            &path_segment(&params, "id")
                .map_err(|e| V2Error::bad_request(e, "ERROR_PARAMETER_INVALID"))?,
        )?;
        let body = read_json(body).await.map_err(|problem| problem.v2())?;
        v2::update_contact(&app, id, &body)
    };
    match result.await {
        Ok(contact) => json_response(StatusCode::OK, &contact),
        Err(error) => error.into_response(),
    }
}

async fn get_v2_contact(
    State(app): State<Arc<App>>,
    params: Result<RawPathParams, RawPathParamsRejection>,
) -> Response {
    let found = path_segment(&params, "id")
        .map_err(|e| V2Error::bad_request(e, "ERROR_PARAMETER_INVALID"))
        .and_then(|id| v2::path_id(&id))
        .and_then(|id| v2::get_contact(&app, id));
    match found {
        Ok(contact) => json_response(StatusCode::OK, &contact),
        Err(error) => error.into_response(),
    }
}

fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "contacts:contactNotFound",
        "No contact matches the identifier",
    )
}

/// The decoded `identifier` and `value` segments.
fn v3_path(
    params: &Result<RawPathParams, RawPathParamsRejection>,
) -> Result<(String, String), ApiError> {
    let segment = |name| {
        path_segment(params, name).map_err(|e| ApiError::field("server:badRequest", name, e))
    };
    Ok((segment("identifier")?, segment("value")?))
}

/// One path segment, as axum decoded it.
fn path_segment(
    params: &Result<RawPathParams, RawPathParamsRejection>,
    name: &str,
) -> Result<String, String> {
    let params = params
        .as_ref()
        .map_err(|_| "is not valid UTF-8 once percent-decoded".to_owned())?;
    Ok(params
        .iter()
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
        .unwrap_or_default())
}

/// `merge-option` from the query; `overwrite` when absent.
fn merge_option(uri: &Uri) -> Result<MergeOption, ApiError> {
    let pairs = uri.query().unwrap_or_default().split('&');
    for pair in pairs {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if decode_query(key) == "merge-option" {
            return MergeOption::parse(&decode_query(value));
        }
    }
    Ok(MergeOption::Overwrite)
}

fn decode_query(text: &str) -> String {
    let text = text.replace('+', " ");
    percent_encoding::percent_decode_str(&text)
        .decode_utf8_lossy()
        .into_owned()
}

/// The optional `x-ddg-integration-token` must be a GUID, optionally in braces.
fn check_integration_token(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get("x-ddg-integration-token") else {
        return Ok(());
    };
    let token = value.to_str().unwrap_or_default();
    let inner = token
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .unwrap_or(token);
    let groups: Vec<&str> = inner.split('-').collect();
    let lengths = groups.iter().map(|g| g.len()).collect::<Vec<_>>();
    let is_guid = lengths == [8, 4, 4, 4, 12]
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()));
    if is_guid {
        Ok(())
    } else {
        Err(ApiError::field(
            "server:badRequest",
            "x-ddg-integration-token",
            "must be a GUID such as 5a96bc79-19a7-4544-973b-e2da0c9136f9, optionally in braces",
        ))
    }
}

/// Why a body could not be read as JSON.
#[derive(Debug)]
pub(crate) struct JsonProblem {
    item: String,
    description: String,
}

impl JsonProblem {
    fn v3(self) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "contacts:badJson",
            description: "The request body is not valid JSON".to_owned(),
            details: vec![Detail::new(self.item, self.description)],
        }
    }

    fn v2(self) -> V2Error {
        V2Error::bad_request(
            format!(
                "The request body is not valid JSON ({}: {}).",
                self.item, self.description
            ),
            "ERROR_PARAMETER_INVALID",
        )
    }
}

/// Reads the whole body (at most [`BODY_LIMIT`] bytes) as JSON.
pub(crate) async fn read_json(body: Body) -> Result<Value, JsonProblem> {
    let bytes = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| JsonProblem {
            item: "body".to_owned(),
            description: format!("must be at most {BODY_LIMIT} bytes"),
        })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(JsonProblem {
            item: "body".to_owned(),
            description: "is required".to_owned(),
        });
    }
    serde_json::from_slice(&bytes).map_err(|e| JsonProblem {
        item: format!("line {}, position {}", e.line(), e.column()),
        description: e.to_string(),
    })
}
