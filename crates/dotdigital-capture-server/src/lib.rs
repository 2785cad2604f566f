//! Two loopback servers for client tests and benchmarks.
//!
//! [`CaptureServer`], for wire tests: it binds `127.0.0.1:0`, records each
//! request exactly as it arrived (method, raw path, query, headers, body) and
//! answers with scripted replies, the last one repeating.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use dotdigital_capture_server::{CaptureServer, Reply};
//! let server = CaptureServer::start(vec![Reply::json(201, serde_json::json!({"ok": true}))]).await;
//! let answer = std::net::TcpStream::connect(server.addr()).is_ok();
//! assert!(answer);
//! assert!(server.requests().is_empty());
//! # }
//! ```
//!
//! [`FixedServer`], for benchmarks, answers every request with one reply at
//! once from a thread of its own, and records nothing.
#![warn(missing_docs)]

mod fixed;

pub use fixed::FixedServer;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode};

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Captured {
    /// `PATCH`, `PUT`, …
    pub method: String,
    /// The raw, still percent-encoded path.
    pub path: String,
    /// The raw query, if any.
    pub query: Option<String>,
    /// Every header.
    pub headers: HeaderMap,
    /// The body bytes.
    pub body: Bytes,
}

impl Captured {
    /// The body parsed as JSON (`Null` if it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// A scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
    /// A delay before answering.
    pub delay: Duration,
}

impl Reply {
    /// A JSON answer.
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Reply {
            status,
            headers: vec![(
                "content-type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body: body.to_string(),
            delay: Duration::ZERO,
        }
    }

    /// A plain-text answer (e.g. a gateway's HTML error page).
    pub fn text(status: u16, content_type: &str, body: &str) -> Self {
        Reply {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds Dotdigital's rate-limit headers with a budget no benchmark
    /// exhausts, so a client that paces itself never waits.
    pub fn unlimited_rate(self) -> Self {
        self.header("X-RateLimit-Limit", "100000000")
            .header("X-RateLimit-Remaining", "99999999")
            .header("X-RateLimit-Reset", "60")
    }

    /// Waits before answering.
    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

#[derive(Default)]
struct State {
    replies: Vec<Reply>,
    captured: Vec<Captured>,
}

/// A running capture server; it stops when the test's runtime ends.
#[derive(Clone)]
pub struct CaptureServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for CaptureServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl CaptureServer {
    /// Starts a server answering with `replies` in order; the last repeats.
    ///
    /// # Panics
    /// If `replies` is empty or no loopback port can be bound (test setup errors).
    pub async fn start(replies: Vec<Reply>) -> Self {
        assert!(
            !replies.is_empty(),
            "a capture server needs at least one reply"
        );
        let state = Arc::new(Mutex::new(State {
            replies,
            captured: Vec::new(),
        }));
        let shared = state.clone();
        let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
            let state = shared.clone();
            async move { answer(state, request).await }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        CaptureServer { addr, state }
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Captured> {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .captured
            .clone()
    }
}

async fn answer(
    state: Arc<Mutex<State>>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let reply = {
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        let index = state.captured.len().min(state.replies.len() - 1);
        state.captured.push(Captured {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts.headers,
            body,
        });
        state.replies[index].clone()
    };
    // A zero sleep would still wait for tokio's next 1 ms timer tick.
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut response = axum::response::Response::new(Body::from(reply.body));
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in reply.headers {
        if let (Ok(name), Ok(value)) = (name.parse::<axum::http::HeaderName>(), value.parse()) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// Spawns `command`, a server that prints `listening on URL` as the first
/// line of its stdout (the `dotdigital-sandbox` binary, `dotdigital sandbox`),
/// and returns it with that URL. stderr is discarded.
pub fn spawn_listening(
    command: &mut std::process::Command,
) -> std::io::Result<(std::process::Child, String)> {
    use std::io::{BufRead, BufReader, Read};
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let mut line = String::new();
    if let Some(stdout) = child.stdout.take() {
        // Bounded: the first line says where it listens.
        BufReader::new(stdout.take(1024)).read_line(&mut line)?;
    }
    match line.trim().strip_prefix("listening on ") {
        Some(url) => Ok((child, url.to_owned())),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            Err(std::io::Error::other(format!(
                "the server did not say where it listens: {line:?}"
            )))
        }
    }
}

/// A v3 contact as Dotdigital answers an import: what a test server replies
/// when the test is about the request, not the answer.
pub fn contact_json() -> serde_json::Value {
    serde_json::json!({
        "contactId": 7,
        "status": "subscribed",
        "created": "2026-01-05T09:30:00Z",
        "updated": "2026-01-05T09:30:00Z",
        "identifiers": {"email": "ann@example.com", "crmId": "A-1"},
        "dataFields": {"FIRSTNAME": "Ann", "POSTCODE": null},
        "channelProperties": {"email": {"emailType": "Html", "optInType": "Single", "status": "subscribed"}}
    })
}
