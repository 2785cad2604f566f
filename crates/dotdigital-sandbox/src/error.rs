//! Error answers in the two shapes Dotdigital uses: v3 `ErrorResponse`
//! (`errorCode`, `description`, `details`) and v2 `ApiMessage` (`message`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// The error code of a request the sandbox cannot emulate faithfully.
pub(crate) const NOT_EMULATED: &str = "sandbox:notEmulated";

/// One item of a v3 error: the field concerned and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Detail {
    pub item: String,
    pub description: String,
}

impl Detail {
    pub fn new(item: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            item: item.into(),
            description: description.into(),
        }
    }
}

/// A v3 error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub description: String,
    pub details: Vec<Detail>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            code,
            description: description.into(),
            details: Vec::new(),
        }
    }

    /// A 400 naming one field.
    pub fn field(
        code: &'static str,
        item: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        let detail = Detail::new(item, description);
        Self {
            status: StatusCode::BAD_REQUEST,
            code,
            description: format!("{}: {}", detail.item, detail.description),
            details: vec![detail],
        }
    }

    /// A 400 for a request that breaks the spec's schema.
    pub fn schema(details: Vec<Detail>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "server:badRequest",
            description: "The request does not match the API's schema".to_owned(),
            details,
        }
    }

    /// A 400 for a value the spec allows but the sandbox has no behaviour
    /// for, or cannot answer: it says so rather than guess.
    pub fn not_emulated(item: impl Into<String>, description: impl Into<String>) -> Self {
        let detail = Detail::new(item, description);
        Self {
            status: StatusCode::BAD_REQUEST,
            code: NOT_EMULATED,
            description: format!(
                "The sandbox does not emulate this: {}: {}",
                detail.item, detail.description
            ),
            details: vec![detail],
        }
    }

    /// A 400 for a request whose answer would break the spec's answer schema.
    pub fn unanswerable(details: Vec<Detail>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: NOT_EMULATED,
            description: "The sandbox does not emulate this request: its answer would not match the spec's answer schema".to_owned(),
            details,
        }
    }

    pub fn invalid_id(item: impl Into<String>, identifier: &str, value: &str) -> Self {
        let mut error = Self::field(
            "contacts:invalidId",
            item,
            format!("not a valid value for the identifier '{identifier}'"),
        );
        error.description =
            format!("The id value '{value}' is invalid for the identifier '{identifier}'");
        error
    }

    pub fn body(&self) -> Value {
        let mut body = json!({ "errorCode": self.code, "description": self.description });
        if !self.details.is_empty() {
            body["details"] = self
                .details
                .iter()
                .map(|d| json!({ "item": d.item, "description": d.description }))
                .collect();
        }
        body
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json_response(self.status, &self.body())
    }
}

/// A v2 error answer: the message ends with Dotdigital's `ERROR_…` token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct V2Error {
    pub status: StatusCode,
    pub message: String,
}

impl V2Error {
    pub fn bad_request(text: impl std::fmt::Display, token: &str) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: format!("{text} {token}"),
        }
    }

    pub fn not_found() -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            message: "Error: ERROR_CONTACT_NOT_FOUND".to_owned(),
        }
    }
}

impl IntoResponse for V2Error {
    fn into_response(self) -> Response {
        json_response(self.status, &json!({ "message": self.message }))
    }
}

/// 204 without a body (still typed JSON, like every answer of the sandbox).
pub(crate) fn no_content() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// A JSON answer; every answer of the sandbox carries this content type.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}
