//! A server for benchmarks: it answers every request with one fixed reply, at
//! once, from its own thread, and records nothing, so that what a benchmark
//! measures is the client.

use std::net::SocketAddr;
use std::thread::JoinHandle;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::sync::oneshot;

use crate::Reply;

/// A running fixed-reply server; it stops when dropped.
///
/// ```
/// use dotdigital_capture_server::{FixedServer, Reply};
/// let server = FixedServer::start(Reply::json(200, serde_json::json!({"ok": true})));
/// assert!(std::net::TcpStream::connect(server.addr()).is_ok());
/// ```
#[derive(Debug)]
pub struct FixedServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// The reply, parsed once.
#[derive(Clone)]
struct Fixed {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl FixedServer {
    /// Starts the server on `127.0.0.1:0` in a thread of its own, with its own
    /// single-threaded runtime. The reply's delay is ignored.
    ///
    /// # Panics
    /// If no loopback port can be bound or a header is invalid (setup errors).
    pub fn start(reply: Reply) -> Self {
        let mut headers = HeaderMap::new();
        for (name, value) in &reply.headers {
            let name: HeaderName = name.parse().expect("a valid header name");
            headers.insert(
                name,
                HeaderValue::from_str(value).expect("a valid header value"),
            );
        }
        let fixed = Fixed {
            status: StatusCode::from_u16(reply.status).expect("a valid status"),
            headers,
            body: Bytes::from(reply.body),
        };
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("fixed-server".to_owned())
            .spawn(move || serve(listener, fixed, stopped))
            .expect("spawn the server thread");
        FixedServer {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for FixedServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(listener: std::net::TcpListener, fixed: Fixed, mut stopped: oneshot::Receiver<()>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("a runtime for the server thread");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
        loop {
            let stream = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => continue,
                },
                _ = &mut stopped => return,
            };
            let _ = stream.set_nodelay(true);
            let fixed = fixed.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                    let fixed = fixed.clone();
                    async move {
                        // Read the body so the connection can be reused.
                        let _ = request.into_body().collect().await;
                        let mut response = Response::new(Full::new(fixed.body));
                        *response.status_mut() = fixed.status;
                        *response.headers_mut() = fixed.headers;
                        Ok::<_, std::convert::Infallible>(response)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}
