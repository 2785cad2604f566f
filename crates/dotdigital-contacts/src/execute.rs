//! Sending one request: retries, and turning every kind of answer into [`Error`].

use std::future::Future;

use dotdigital_contacts_api::{
    AnswerTooLarge, ResponseHead, ResponseValue, capture_response_head, types,
};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::error::{Delivery, ErrorDetail, quoted_body};
use crate::{ContactsClient, Error, RateLimit, Retrying};

/// What repeating a request costs, which decides what may be retried
/// (documented on [`RetryPolicy`](crate::RetryPolicy)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeat {
    /// An upsert without consent records or emails: sent twice, it has the
    /// effect of sending once. Every transient failure is retried.
    Safe,
    /// A v2 PUT: safe as an update, but it may create a contact, and once
    /// created, a repeat is refused (the email is taken). A refusal after an
    /// attempt that may have been applied is reported as maybe applied.
    MayCreate,
    /// Appends consent records or sends an email when applied: repeated only
    /// when it certainly was not (never sent, or refused with 429).
    OnlyIfNotApplied,
}

/// A successful answer with what the caller may want from its head.
pub(crate) struct Answer<T> {
    pub(crate) value: ResponseValue<T>,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) attempts: u32,
}

impl ContactsClient {
    /// Runs `call` until it succeeds, fails for good, or the retry policy is spent.
    pub(crate) async fn execute<T, E, F, Fut>(
        &self,
        operation: &'static str,
        repeat: Repeat,
        mut call: F,
    ) -> Result<Answer<T>, Error>
    where
        T: serde::de::DeserializeOwned,
        E: ErrorBody,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, dotdigital_contacts_api::Error<E>>>,
    {
        let mut retry = 0;
        // For `MayCreate`: the last attempt that may have been applied.
        let mut maybe_applied: Option<Error> = None;
        loop {
            // Boxed: a request's future is kilobytes, and moving it into the
            // head capture by value copies it (measured: 10k instructions a call).
            let (result, head) = capture_response_head(Box::pin(call())).await;
            let error = match result {
                Ok(value) => {
                    let rate_limit = RateLimit::from_headers(value.headers());
                    return Ok(Answer {
                        value,
                        rate_limit,
                        attempts: retry + 1,
                    });
                }
                // Boxed, like the sleep below: only a failed attempt pays for
                // it, and every caller's future stays small to move.
                Err(error) => Box::pin(to_error::<T, E>(error, head)).await,
            };
            let may_repeat = error.is_retryable()
                && (repeat != Repeat::OnlyIfNotApplied || error.certainly_not_applied());
            let delay = if may_repeat {
                self.retry
                    .delay(retry, error.server_wait(), fastrand::f64())
            } else {
                None
            };
            let Some(delay) = delay else {
                return Err(match maybe_applied {
                    Some(earlier) if repeat == Repeat::MayCreate => Error::MaybeApplied {
                        earlier: Box::new(earlier),
                        last: Box::new(error),
                    },
                    _ => error,
                });
            };
            retry += 1;
            tracing::info!(operation, retry, delay_ms = delay.as_millis() as u64, error = %error, "retrying");
            if let Some(on_retry) = &self.on_retry {
                on_retry(&Retrying {
                    operation,
                    retry,
                    delay,
                    error: &error,
                });
            }
            let unclear = error.delivery() == Delivery::MaybeSent
                || error.status().is_some_and(|s| s.is_server_error());
            if repeat == Repeat::MayCreate && unclear {
                maybe_applied = Some(error);
            }
            if !delay.is_zero() {
                // A zero sleep would still wait for the next 1 ms timer tick.
                Box::pin(tokio::time::sleep(delay)).await;
            }
        }
    }
}

/// An operation's documented error body.
pub(crate) trait ErrorBody {
    fn into_error(self, status: StatusCode, headers: &HeaderMap) -> Error;
}

impl ErrorBody for types::ErrorResponse {
    fn into_error(self, status: StatusCode, headers: &HeaderMap) -> Error {
        let message = format!("{}: {}", self.error_code, self.description);
        by_status(status, headers, message).unwrap_or_else(|| Error::Api {
            status,
            error_code: self.error_code,
            description: self.description,
            details: self
                .details
                .into_iter()
                .map(|d| ErrorDetail {
                    item: d.item,
                    description: d.description,
                })
                .collect(),
            rate_limit: RateLimit::from_headers(headers).map(Box::new),
        })
    }
}

impl ErrorBody for types::ApiMessage {
    fn into_error(self, status: StatusCode, headers: &HeaderMap) -> Error {
        by_status(status, headers, self.message.clone()).unwrap_or_else(|| {
            let error_token = self
                .message
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .find(|w| w.starts_with("ERROR_"))
                .map(str::to_owned);
            Error::ApiV2 {
                status,
                message: self.message,
                error_token,
                rate_limit: RateLimit::from_headers(headers).map(Box::new),
            }
        })
    }
}

/// The statuses that mean the same whatever the operation and body.
fn by_status(status: StatusCode, headers: &HeaderMap, message: String) -> Option<Error> {
    let rate_limit = RateLimit::from_headers(headers);
    match status {
        StatusCode::UNAUTHORIZED => Some(Error::Unauthorized {
            message,
            rate_limit: rate_limit.map(Box::new),
        }),
        StatusCode::FORBIDDEN => Some(Error::Forbidden {
            message,
            rate_limit: rate_limit.map(Box::new),
        }),
        StatusCode::TOO_MANY_REQUESTS => Some(Error::RateLimited {
            rate_limit: rate_limit.unwrap_or_default(),
            message,
        }),
        _ => None,
    }
}

/// An answer whose body is not the documented JSON: keep status and text.
fn undocumented(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
    let text = quoted_body(body);
    // A v3-shaped error under an undocumented status (e.g. 500) is still one.
    if let Ok(parsed) = serde_json::from_slice::<types::ErrorResponse>(body) {
        return parsed.into_error(status, headers);
    }
    let message = if text.trim().is_empty() {
        status.canonical_reason().unwrap_or("no body").to_owned()
    } else {
        text.clone()
    };
    by_status(status, headers, message).unwrap_or_else(|| Error::UnexpectedResponse {
        status,
        body: text,
        rate_limit: RateLimit::from_headers(headers).map(Box::new),
    })
}

/// A success whose body is not `T`: where the JSON breaks, and how. Parsed
/// again (only on this failure path) to find the path, which the generated
/// client's error does not give.
fn unreadable<T: serde::de::DeserializeOwned>(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Error {
    let reason = match serde_path_to_error::deserialize::<_, T>(
        &mut serde_json::Deserializer::from_slice(body),
    ) {
        Ok(_) => "the generated client refused it, but it parses now".to_owned(),
        Err(e) if e.inner().is_eof() => format!(
            "the JSON is cut off after {} bytes ({})",
            body.len(),
            e.inner()
        ),
        Err(e) => format!("at `{}`: {}", e.path(), e.inner()),
    };
    Error::UnreadableAnswer {
        status,
        reason,
        rate_limit: RateLimit::from_headers(headers).map(Box::new),
    }
}

/// The limit a body read failed on, when that is why it failed.
fn answer_limit(error: &reqwest::Error) -> Option<usize> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(too_large) = current.downcast_ref::<AnswerTooLarge>() {
            return Some(too_large.limit);
        }
        source = current.source();
    }
    None
}

async fn to_error<T: serde::de::DeserializeOwned, E: ErrorBody>(
    error: dotdigital_contacts_api::Error<E>,
    head: Option<ResponseHead>,
) -> Error {
    use dotdigital_contacts_api::Error as Api;
    match error {
        Api::ErrorResponse(response) => {
            let (status, headers) = (response.status(), response.headers().clone());
            response.into_inner().into_error(status, &headers)
        }
        Api::InvalidResponsePayload(body, _) => match head {
            Some(head) if head.status.is_success() => {
                unreadable::<T>(head.status, &head.headers, &body)
            }
            Some(head) => undocumented(head.status, &head.headers, &body),
            None => Error::UnexpectedResponse {
                status: StatusCode::OK,
                body: quoted_body(&body),
                rate_limit: None,
            },
        },
        Api::UnexpectedResponse(response) => {
            let (status, headers) = (response.status(), response.headers().clone());
            match response.bytes().await {
                Ok(body) => undocumented(status, &headers, &body),
                Err(e) => match answer_limit(&e) {
                    Some(limit) => Error::AnswerTooLarge { status, limit },
                    None => undocumented(status, &headers, &[]),
                },
            }
        }
        Api::CommunicationError(source) => {
            let delivery = if source.is_connect() || source.is_builder() {
                Delivery::NotSent
            } else {
                Delivery::MaybeSent
            };
            Error::Transport { delivery, source }
        }
        Api::ResponseBodyError(source) => match (answer_limit(&source), head) {
            (Some(limit), Some(head)) => Error::AnswerTooLarge {
                status: head.status,
                limit,
            },
            _ => Error::Transport {
                delivery: Delivery::Sent,
                source,
            },
        },
        Api::InvalidUpgrade(source) => Error::Transport {
            delivery: Delivery::Sent,
            source,
        },
        Api::InvalidRequest(reason) | Api::Custom(reason) => Error::validation("request", reason),
    }
}
