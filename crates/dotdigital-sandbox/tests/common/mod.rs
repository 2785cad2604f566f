//! A small HTTP client for the sandbox tests. Every answer to the spec's two
//! operations is checked against the response schema the spec gives for its
//! status, so each test is also a conformance test.

#![allow(dead_code, reason = "each test file uses a different part")]

use std::sync::OnceLock;

use dotdigital_sandbox::{Sandbox, SandboxBuilder};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

/// The contact most tests create and change.
pub const ANN: &str = "ann@example.com";

/// One answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The `details[].item` of a v3 error.
    pub fn items(&self) -> Vec<String> {
        self.body["details"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d["item"].as_str().map(str::to_owned))
            .collect()
    }
}

pub struct Api {
    pub sandbox: Sandbox,
    pub http: reqwest::Client,
    /// The spec the sandbox was built from, as JSON: answers are checked against it.
    pub spec: Value,
}

impl Api {
    pub async fn start() -> Self {
        Self::with(Sandbox::builder()).await
    }

    pub async fn with(builder: SandboxBuilder) -> Self {
        Self {
            sandbox: builder.start().await.unwrap(),
            http: reqwest::Client::new(),
            spec: spec().clone(),
        }
    }

    /// A sandbox built from `spec` (a changed copy of the project's spec).
    pub async fn with_spec(spec: Value) -> Self {
        let text = serde_json::to_string(&spec).unwrap();
        Self {
            sandbox: Sandbox::builder().spec(text).start().await.unwrap(),
            http: reqwest::Client::new(),
            spec,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base_url())
    }

    /// A request to the sandbox with the API user's credentials.
    pub fn authed(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .basic_auth(self.sandbox.api_user(), Some(self.sandbox.api_password()))
    }

    /// `PATCH /contacts/v3/email/{email}{query}`.
    pub async fn patch_by_email(&self, email: &str, query: &str, body: Value) -> Reply {
        self.patch("email", email, query, body).await
    }

    /// `PATCH /contacts/v3/{identifier}/{value}{query}`; `value` goes on the wire as given.
    pub async fn patch(&self, identifier: &str, value: &str, query: &str, body: Value) -> Reply {
        let path = format!("/contacts/v3/{identifier}/{value}{query}");
        let request = self.authed(reqwest::Method::PATCH, &path).json(&body);
        let reply = send(request).await;
        conforms_to(
            &self.spec,
            "/paths/~1contacts~1v3~1{identifier}~1{value}/patch",
            &reply,
        );
        reply
    }

    /// Creates a contact by email and returns it.
    pub async fn create(&self, email: &str, extra: Value) -> Value {
        let mut body = json!({ "identifiers": { "email": email } });
        if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
            body.extend(extra);
        }
        let reply = self.patch("email", email, "", body).await;
        assert_eq!(reply.status, 201, "{:?}", reply.body);
        reply.body
    }

    pub async fn put_v2(&self, id: &str, body: Value) -> Reply {
        let path = format!("/v2/contacts/{id}");
        let request = self.authed(reqwest::Method::PUT, &path).json(&body);
        let reply = send(request).await;
        conforms_to(&self.spec, "/paths/~1v2~1contacts~1{id}/put", &reply);
        reply
    }

    pub async fn get(&self, path: &str) -> Reply {
        send(self.authed(reqwest::Method::GET, path)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        send(self.authed(reqwest::Method::DELETE, path)).await
    }

    /// `GET /contacts/v3/email/{email}`.
    pub async fn contact(&self, email: &str) -> Reply {
        self.get(&format!("/contacts/v3/email/{email}")).await
    }

    pub async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Reply {
        let mut request = self.http.request(method, self.url(path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        send(request).await
    }
}

pub async fn send(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    if status != 204 {
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{headers:?}"
        );
    }
    Reply {
        status,
        headers,
        body,
    }
}

/// The project's spec as JSON.
pub fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| dotdigital_spec::to_json(dotdigital_spec::SPEC_YAML).unwrap())
}

/// Panics unless the answer is documented for the operation and matches its schema.
pub fn conforms(operation: &str, reply: &Reply) {
    conforms_to(spec(), operation, reply);
}

/// [`conforms`], for an answer of a sandbox built from `spec`.
pub fn conforms_to(spec: &Value, operation: &str, reply: &Reply) {
    if matches!(reply.status, 500 | 503) {
        return; // injected faults, documented by the sandbox rather than the spec
    }
    let pointer = format!(
        "{operation}/responses/{}/content/application~1json/schema",
        reply.status
    );
    let schema = spec
        .pointer(&pointer)
        .unwrap_or_else(|| panic!("status {} is not documented for {operation}", reply.status));
    let validator = dotdigital_spec::validator(spec, schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&reply.body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{operation} {} answer breaks the spec: {errors:?}\n{}",
        reply.status,
        reply.body
    );
}
