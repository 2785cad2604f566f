//! The HTTP server: the router, and an accept loop on hyper directly so that a
//! fault can close a connection without answering (axum's `serve` cannot: its
//! services never fail). Shutdown stops accepting and lets open requests finish.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, Uri};
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

use crate::admin::admin_routes;
use crate::app::App;
use crate::error::ApiError;
use crate::gate;
use crate::routes::api_routes;
use crate::stats::{self, DropConnection};

/// How long shutdown waits for requests in flight.
const DRAIN: Duration = Duration::from_secs(5);

pub(crate) fn router(app: Arc<App>) -> Router {
    api_routes(app.clone())
        .merge(admin_routes().route_layer(from_fn_with_state(app.clone(), gate::admin_gate)))
        .route_layer(from_fn_with_state(app.clone(), stats::count))
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(app)
}

async fn no_route(method: Method, uri: Uri) -> Response {
    let error = ApiError::new(
        StatusCode::NOT_FOUND,
        "server:notFound",
        format!("No route for {method} {}", uri.path()),
    );
    axum::response::IntoResponse::into_response(error)
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    let error = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "server:methodNotAllowed",
        format!("{method} is not allowed on {}", uri.path()),
    );
    axum::response::IntoResponse::into_response(error)
}

/// The error a connection ends with when a fault drops it.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for Dropped {}

/// Serves `router` on `listener` until `stop` turns true.
pub(crate) async fn serve(listener: TcpListener, router: Router, mut stop: watch::Receiver<bool>) {
    let graceful = GracefulShutdown::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|stopped| *stopped) => break,
        };
        let Ok((stream, _)) = accepted else {
            // Out of file descriptors or a reset before accept: try again shortly.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            let router = router.clone();
            async move {
                let response: Response = match router.oneshot(request.map(Body::new)).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                if response.extensions().get::<DropConnection>().is_some() {
                    // hyper closes the connection without writing a response.
                    return Err(Dropped);
                }
                Ok::<_, Dropped>(response)
            }
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // Errors here are the client going away or a dropped connection.
            let _ = connection.await;
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN, graceful.shutdown()).await;
}
