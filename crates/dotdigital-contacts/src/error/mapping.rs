//! Turning every kind of failed answer into [`Error`]: the documented error
//! bodies, statuses that mean the same for every operation, bodies that are
//! not the documented JSON, and answers that never came.

use dotdigital_contacts_api::{AnswerTooLarge, ResponseHead, types};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use super::{Delivery, ErrorDetail, quoted_body};
use crate::{Error, RateLimit};

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

pub(crate) async fn to_error<T: serde::de::DeserializeOwned, E: ErrorBody>(
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
            // Not seen through this crate's client (every call captures the
            // head); the status is unknown, so none is made up.
            None => Error::UnseenStatus {
                body: quoted_body(&body),
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
