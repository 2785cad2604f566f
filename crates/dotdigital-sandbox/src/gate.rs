//! What every API request passes before its handler, in Dotdigital's order:
//! Basic auth (401, counted against nothing), the call-rate limit (429),
//! then injected faults and latency. Rejected and faulted requests never
//! reach a handler, so they change nothing. Admin routes skip all of this.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;

use crate::app::App;
use crate::config::Config;
use crate::error::{ApiError, V2Error};
use crate::faults::Fault;
use crate::stats::DropConnection;

/// Middleware for the admin routes: off loopback they need the API credentials.
pub(crate) async fn admin_gate(
    State(app): State<Arc<App>>,
    request: Request,
    next: Next,
) -> Response {
    if app.admin_needs_credentials && !authorised(request.headers(), &app.config()) {
        return unauthorised(false);
    }
    next.run(request).await
}

/// Middleware for the API routes.
pub(crate) async fn api_gate(
    State(app): State<Arc<App>>,
    request: Request,
    next: Next,
) -> Response {
    let config = app.config();
    let v2 = request.uri().path().starts_with("/v2/");
    let authorised = authorised(request.headers(), &config);
    let rate = config.rate_limit.map(|limit| {
        let window = Duration::from_secs(config.rate_window_secs);
        app.rate().take(limit, window, Instant::now(), authorised)
    });
    let mut response = if !authorised {
        unauthorised(v2)
    } else if rate.is_some_and(|rate| !rate.allowed) {
        error(
            v2,
            StatusCode::TOO_MANY_REQUESTS,
            "server:tooManyRequests",
            "Call rate limit exceeded.",
            " ERROR_APIUSAGE_EXCEEDED",
        )
    } else {
        let fault = app.faults().roll(&config.faults);
        if config.faults.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(config.faults.latency_ms)).await;
        }
        match fault {
            Fault::None => next.run(request).await,
            Fault::InternalError => error(
                v2,
                StatusCode::INTERNAL_SERVER_ERROR,
                "server:internalServerError",
                "Injected fault: internal server error.",
                " ERROR_UNKNOWN",
            ),
            Fault::Unavailable => error(
                v2,
                StatusCode::SERVICE_UNAVAILABLE,
                "server:serviceUnavailable",
                "Injected fault: service unavailable.",
                " ERROR_UNKNOWN",
            ),
            Fault::Drop => {
                let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
                response.extensions_mut().insert(DropConnection);
                response
            }
        }
    };
    if let Some(rate) = rate {
        rate.write(response.headers_mut());
    }
    response
}

/// Whether the request carries the account's Basic credentials.
/// 401 with `WWW-Authenticate: Basic`, in the v2 or v3 error shape.
fn unauthorised(v2: bool) -> Response {
    let mut response = error(
        v2,
        StatusCode::UNAUTHORIZED,
        "server:unauthorized",
        "Authorization has been denied for this request.",
        "",
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"Dotdigital sandbox\""),
    );
    response
}

fn authorised(headers: &HeaderMap, config: &Config) -> bool {
    let Some(encoded) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .strip_prefix("Basic ")
                .or_else(|| value.strip_prefix("basic "))
        })
    else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let expected = format!("{}:{}", config.api_user, config.api_password);
    decoded == expected.as_bytes()
}

/// An error in the shape of the route's API version; v2 messages end with
/// their `ERROR_…` token.
fn error(
    v2: bool,
    status: StatusCode,
    code: &'static str,
    description: &str,
    v2_token: &str,
) -> Response {
    if v2 {
        V2Error {
            status,
            message: format!("{description}{v2_token}"),
        }
        .into_response()
    } else {
        ApiError::new(status, code, description).into_response()
    }
}
