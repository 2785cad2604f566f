//! The `ClientHooks` of the generated client: what progenitor does not do.

use std::cell::RefCell;
use std::future::Future;

use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};

use crate::{Client, Credentials};

const INTEGRATION_TOKEN: HeaderName = HeaderName::from_static("x-ddg-integration-token");
/// Named once: a `&str` name is parsed again on every call.
const API_VERSION: HeaderName = HeaderName::from_static("api-version");

impl ClientHooks<Credentials> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        let credentials = &self.inner;
        // progenitor sends `api-version: <info.version>`; Dotdigital defines no such header.
        request.headers_mut().remove(API_VERSION);

        request
            .headers_mut()
            .insert(AUTHORIZATION, credentials.authorization.clone());

        if let Some(token) = &credentials.integration_token
            && !request.headers().contains_key(&INTEGRATION_TOKEN)
        {
            let mut value = HeaderValue::from_str(token).map_err(|_| {
                Error::InvalidRequest(
                    "x-ddg-integration-token holds characters not allowed in an HTTP header"
                        .to_owned(),
                )
            })?;
            value.set_sensitive(true);
            request.headers_mut().insert(INTEGRATION_TOKEN, value);
        }

        // progenitor leaves `+` raw in path segments. Servers that decode paths
        // like query strings read it as a space, so send it as `%2B`.
        if request.url().path().contains('+') {
            let path = request.url().path().replace('+', "%2B");
            request.url_mut().set_path(&path);
        }
        Ok(())
    }

    /// Sends the request; the answer's body is read through a limit, so a
    /// server cannot make the client hold more than
    /// [`Credentials::with_answer_limit`] bytes of it.
    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let response = self.client().execute(request).await?;
        Ok(limited(response, self.inner.answer_limit))
    }

    async fn post<E>(
        &self,
        result: &reqwest::Result<reqwest::Response>,
        _info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        if let Ok(response) = result {
            // Only an error's headers are needed (rate limits of a 429); not
            // copying a success's keeps the common path cheap.
            let status = response.status();
            let headers = if status.is_success() {
                HeaderMap::new()
            } else {
                response.headers().clone()
            };
            let head = ResponseHead { status, headers };
            // Outside `capture_response_head` there is no slot, and nothing to record.
            let _ = RESPONSE_HEAD.try_with(|slot| *slot.borrow_mut() = Some(head));
        }
        Ok(())
    }
}

/// `response` whose body fails with [`AnswerTooLarge`] once more than `limit`
/// bytes arrive. Status and headers are untouched.
fn limited(response: reqwest::Response, limit: usize) -> reqwest::Response {
    let response: http::Response<reqwest::Body> = response.into();
    let response = response.map(|body| {
        let body = http_body_util::BodyExt::map_err(
            http_body_util::Limited::new(body, limit),
            move |e| -> Box<dyn std::error::Error + Send + Sync> {
                if e.is::<http_body_util::LengthLimitError>() {
                    Box::new(AnswerTooLarge { limit })
                } else {
                    e
                }
            },
        );
        reqwest::Body::wrap(body)
    });
    response.into()
}

/// An answer's body was longer than the client reads
/// ([`Credentials::with_answer_limit`]); found in the source chain of the
/// body's read error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerTooLarge {
    /// The limit, in bytes.
    pub limit: usize,
}

impl std::fmt::Display for AnswerTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the answer is longer than the limit of {} bytes",
            self.limit
        )
    }
}

impl std::error::Error for AnswerTooLarge {}

/// Status and headers of the last answer received inside
/// [`capture_response_head`].
#[derive(Debug, Clone)]
pub struct ResponseHead {
    /// The HTTP status.
    pub status: reqwest::StatusCode,
    /// The response headers (e.g. `X-RateLimit-*`) of an error status;
    /// empty for a success status.
    pub headers: HeaderMap,
}

tokio::task_local! {
    static RESPONSE_HEAD: RefCell<Option<ResponseHead>>;
}

/// Runs `call` and returns its output with the status and headers of the last
/// HTTP answer it received.
///
/// progenitor drops the status when a documented error status comes with a
/// body that is not the documented JSON (`Error::InvalidResponsePayload`), e.g.
/// an HTML 429 from a gateway. This keeps it, per call, so concurrent calls
/// never see each other's answers.
///
/// ```no_run
/// # async fn run(client: dotdigital_contacts_api::Client, body: dotdigital_contacts_api::types::ImportContactRequest) {
/// use dotdigital_contacts_api::capture_response_head;
/// let (result, head) = capture_response_head(
///     client.import_contact().identifier("email").value("ann@example.com").body(body).send(),
/// ).await;
/// if let (Err(_), Some(head)) = (result, head) {
///     eprintln!("failed with HTTP {}", head.status);
/// }
/// # }
/// ```
pub async fn capture_response_head<F: Future>(call: F) -> (F::Output, Option<ResponseHead>) {
    RESPONSE_HEAD
        .scope(RefCell::new(None), async {
            let output = call.await;
            let head = RESPONSE_HEAD.with(|slot| slot.borrow_mut().take());
            (output, head)
        })
        .await
}
