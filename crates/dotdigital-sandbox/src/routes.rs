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
use crate::import::{self, MERGE_OPTION, MergeOption};
use crate::model::Model;
use crate::v2;

/// The integration tracking header, as the spec names it.
const INTEGRATION_TOKEN: &str = "x-ddg-integration-token";

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
        let (identifier, value) = v3_path(&params, &uri)?;
        check_integration_token(&headers, app.model())?;
        let merge = MergeOption::parse(query_value(&uri, MERGE_OPTION).as_deref(), app.model())?;
        let body = read_json(body).await.map_err(|problem| problem.v3())?;
        import::import(&app, &identifier, &value, merge, body)
    };
    match result.await {
        Ok(imported) => json_response(imported.status, &imported.contact),
        Err(error) => error.into_response(),
    }
}

async fn get_contact(
    State(app): State<Arc<App>>,
    params: Result<RawPathParams, RawPathParamsRejection>,
    uri: Uri,
) -> Response {
    let found = v3_path(&params, &uri).and_then(|(identifier, value)| {
        let config = app.config();
        let model = app.model();
        let (identifier, value) = import::path_identifier(&identifier, &value, &config, model)?;
        app.store()
            .find(&identifier, &value)
            .map(|contact| contact.to_v3(&config, model))
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
    uri: Uri,
) -> Response {
    let deleted = v3_path(&params, &uri).and_then(|(identifier, value)| {
        let config = app.config();
        let (identifier, value) =
            import::path_identifier(&identifier, &value, &config, app.model())?;
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

/// The decoded `identifier` and `value` segments. axum refuses the whole
/// path when one segment is not UTF-8 once decoded: the error names that one.
fn v3_path(
    params: &Result<RawPathParams, RawPathParamsRejection>,
    uri: &Uri,
) -> Result<(String, String), ApiError> {
    if params.is_err() {
        let raw: Vec<&str> = uri.path().rsplitn(3, '/').collect();
        let broken = |segment: &str| {
            percent_encoding::percent_decode_str(segment)
                .decode_utf8()
                .is_err()
        };
        // rsplitn gives the value first, then the identifier.
        let name = match raw.as_slice() {
            [_, identifier, ..] if broken(identifier) => "identifier",
            _ => "value",
        };
        return Err(ApiError::field(
            "server:badRequest",
            name,
            "is not valid UTF-8 once percent-decoded",
        ));
    }
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

/// The first value of query parameter `name`, decoded.
fn query_value(uri: &Uri, name: &str) -> Option<String> {
    uri.query().unwrap_or_default().split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (decode_query(key) == name).then(|| decode_query(value))
    })
}

fn decode_query(text: &str) -> String {
    let text = text.replace('+', " ");
    percent_encoding::percent_decode_str(&text)
        .decode_utf8_lossy()
        .into_owned()
}

/// The optional `x-ddg-integration-token`, checked against its schema in the spec.
fn check_integration_token(headers: &HeaderMap, model: &Model) -> Result<(), ApiError> {
    let Some(value) = headers.get(INTEGRATION_TOKEN) else {
        return Ok(());
    };
    let token = value.to_str().map_err(|_| {
        ApiError::field("server:badRequest", INTEGRATION_TOKEN, "must be ASCII text")
    })?;
    model.check_parameter(INTEGRATION_TOKEN, token)
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
