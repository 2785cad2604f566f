//! Requests counted by route and status, for `GET /_sandbox/stats`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Value, json};

use crate::app::App;

/// Marks a response that must not be sent: the connection is closed instead.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DropConnection;

/// Counters; routes are `METHOD /template`.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    answered: BTreeMap<(String, u16), u64>,
    dropped: BTreeMap<String, u64>,
}

impl Stats {
    pub fn to_json(&self) -> Value {
        let requests: Vec<Value> = self
            .answered
            .iter()
            .map(|((route, status), count)| json!({ "route": route, "status": status, "count": count }))
            .collect();
        let dropped: Vec<Value> = self
            .dropped
            .iter()
            .map(|(route, count)| json!({ "route": route, "count": count }))
            .collect();
        json!({ "requests": requests, "droppedConnections": dropped })
    }
}

/// Middleware (after routing): counts each request under its route template.
pub(crate) async fn count(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let route = format!(
        "{} {}",
        request.method(),
        request
            .extensions()
            .get::<MatchedPath>()
            .map_or("(unmatched)", MatchedPath::as_str)
    );
    let response = next.run(request).await;
    let mut stats = app.stats();
    if response.extensions().get::<DropConnection>().is_some() {
        *stats.dropped.entry(route).or_default() += 1;
    } else {
        *stats
            .answered
            .entry((route, response.status().as_u16()))
            .or_default() += 1;
    }
    response
}
