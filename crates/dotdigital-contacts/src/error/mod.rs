//! The one error type of the crate.

use std::time::Duration;

use reqwest::StatusCode;

use crate::rate_limit::RateLimit;

pub(crate) mod mapping;

/// Whether a failed request may have reached Dotdigital, so that a bulk sync
/// can account for every row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Delivery {
    /// Nothing left the machine (invalid input, bad configuration, no connection).
    NotSent,
    /// The connection broke or timed out after the request was written: the
    /// change may or may not have been applied.
    MaybeSent,
    /// Dotdigital answered, so it received the request.
    Sent,
}

/// One item of a v3 error's `details`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorDetail {
    /// The field, identifier or item concerned.
    pub item: String,
    /// What is wrong with it.
    pub description: String,
}

/// Everything that can go wrong, with what the server said kept intact.
///
/// `Display` includes the server's code and message; the HTTP status is kept
/// even when the body is not JSON. No variant ever holds a password or token.
///
/// Match the variants you act on, with a wildcard arm for the rest (the enum
/// is `#[non_exhaustive]`: a later release may add one); [`status`](Self::status),
/// [`delivery`](Self::delivery), [`is_retryable`](Self::is_retryable),
/// [`certainly_not_applied`](Self::certainly_not_applied) and
/// [`rate_limit`](Self::rate_limit) answer the common questions whatever the variant.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let sandbox = dotdigital_sandbox::Sandbox::start_default().await?;
/// # let client = dotdigital_contacts::ContactsClient::builder()
/// #     .base_url(sandbox.base_url())
/// #     .credentials(sandbox.api_user(), sandbox.api_password())
/// #     .build()?;
/// use dotdigital_contacts::{Delivery, Error, Identifier};
/// let err = client
///     .import_contact(Identifier::email("ann@example.com"))
///     .set("NOT_A_FIELD", "x")
///     .send()
///     .await
///     .unwrap_err();
/// match &err {
///     Error::Api { status, error_code, details, .. } => {
///         assert_eq!(status.as_u16(), 400);
///         assert!(!error_code.is_empty(), "Dotdigital's namespaced code");
///         for detail in details {
///             eprintln!("{}: {}", detail.item, detail.description);
///         }
///     }
///     Error::RateLimited { rate_limit, .. } => eprintln!("wait {:?}", rate_limit.wait()),
///     Error::Unauthorized { .. } | Error::Forbidden { .. } => eprintln!("check the credentials and region"),
///     Error::Transport { delivery: Delivery::MaybeSent, .. } => eprintln!("may have been applied"),
///     other => eprintln!("{other}"),
/// }
/// assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
/// assert_eq!(err.delivery(), Delivery::Sent);
/// assert!(!err.is_retryable() && !err.certainly_not_applied());
///
/// // Bad input fails before the network: nothing was sent.
/// let err = client.import_contact(Identifier::email("not an email")).send().await.unwrap_err();
/// assert!(matches!(&err, Error::Validation { field, .. } if field == "value"), "{err}");
/// assert!(err.certainly_not_applied() && err.rate_limit().is_none());
/// # Ok(()) }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input breaks a documented limit; nothing was sent.
    #[error("invalid {field}: {reason}")]
    Validation {
        /// The field, e.g. `identifiers.email` or `lists`.
        field: String,
        /// The rule it breaks, with the limit.
        reason: String,
    },

    /// The client cannot be built (a missing or invalid setting or environment variable).
    #[error("configuration: {setting}: {reason}")]
    Configuration {
        /// The setting or environment variable, e.g. `DOTDIGITAL_API_USER`.
        setting: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A v3 error answer (`errorCode`, `description`, `details`).
    #[error(
        "HTTP {status}: {}: {}{}",
        escaped(error_code),
        escaped(description),
        details_suffix(description, details)
    )]
    Api {
        /// The HTTP status.
        status: StatusCode,
        /// Dotdigital's namespaced code, e.g. `contacts:idAlreadyExists`.
        error_code: String,
        /// Dotdigital's description.
        description: String,
        /// Per-item details.
        details: Vec<ErrorDetail>,
        /// The `X-RateLimit-*` headers of the answer, when it had them
        /// (boxed: they are rarely read, and the error stays small).
        rate_limit: Option<Box<RateLimit>>,
    },

    /// A v2 error answer (`{"message": "… ERROR_…"}`).
    #[error("HTTP {status}: {}", escaped(message))]
    ApiV2 {
        /// The HTTP status.
        status: StatusCode,
        /// The whole message.
        message: String,
        /// The `ERROR_…` token at the end of the message, when there is one.
        error_token: Option<String>,
        /// The `X-RateLimit-*` headers of the answer, when it had them
        /// (boxed: they are rarely read, and the error stays small).
        rate_limit: Option<Box<RateLimit>>,
    },

    /// 401: the API user or password is wrong, or the user is disabled.
    #[error(
        "HTTP 401 unauthorized: {} (check the API user and password)",
        escaped(message)
    )]
    Unauthorized {
        /// What the server said.
        message: String,
        /// The `X-RateLimit-*` headers of the answer, when it had them
        /// (boxed: they are rarely read, and the error stays small).
        rate_limit: Option<Box<RateLimit>>,
    },

    /// 403: access denied; most often the account lives in another region.
    #[error(
        "HTTP 403 forbidden: {} (is the region right? accounts live in r1, r2 or r3)",
        escaped(message)
    )]
    Forbidden {
        /// What the server said.
        message: String,
        /// The `X-RateLimit-*` headers of the answer, when it had them
        /// (boxed: they are rarely read, and the error stays small).
        rate_limit: Option<Box<RateLimit>>,
    },

    /// 429: the API user's call-rate limit is exhausted (after any retries).
    #[error("HTTP 429 rate limited: {} ({rate_limit})", escaped(message))]
    RateLimited {
        /// The `X-RateLimit-*` and `Retry-After` headers of the answer.
        rate_limit: RateLimit,
        /// What the server said.
        message: String,
    },

    /// No answer: connection refused, reset, dropped or timed out.
    #[error("transport error ({}): {source}", delivery.describe())]
    Transport {
        /// Whether the request may have been applied.
        delivery: Delivery,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },

    /// An answer this client does not expect (an undocumented status, or an
    /// error body that is not the documented JSON); status and body are kept.
    #[error("unexpected HTTP {status}: {}", escaped(body))]
    UnexpectedResponse {
        /// The HTTP status.
        status: StatusCode,
        /// The body as text, cut to [`QUOTED_BODY_BYTES`] (the length is said at the end).
        body: String,
        /// The `X-RateLimit-*` headers of the answer, when it had them
        /// (boxed: they are rarely read, and the error stays small).
        rate_limit: Option<Box<RateLimit>>,
    },

    /// A success status whose body is not the documented JSON: cut off, or a
    /// value the client's types cannot hold. The request was applied.
    #[error(
        "HTTP {status}: the request was applied, but its answer cannot be read: {}",
        escaped(reason)
    )]
    UnreadableAnswer {
        /// The HTTP status (a success).
        status: StatusCode,
        /// Where in the JSON, as a path (`channelProperties.email.status`;
        /// `.` for the whole body), and what is wrong there.
        reason: String,
        /// The `X-RateLimit-*` headers of the answer, when it had them.
        rate_limit: Option<Box<RateLimit>>,
    },

    /// An answer longer than the client reads
    /// ([`ContactsClientBuilder::max_answer_bytes`](crate::ContactsClientBuilder::max_answer_bytes)).
    /// Dotdigital received the request, so it may have been applied.
    #[error(
        "HTTP {status}: the answer is longer than the client's limit of {limit} bytes; the request was received and may have been applied"
    )]
    AnswerTooLarge {
        /// The HTTP status.
        status: StatusCode,
        /// The limit, in bytes.
        limit: usize,
    },

    /// An answer whose status the client could not see (a call made outside
    /// this crate's client) and whose body is not the documented JSON.
    #[error(
        "an answer with an unknown status and an unreadable body: {}",
        escaped(body)
    )]
    UnseenStatus {
        /// The body as text, cut to [`QUOTED_BODY_BYTES`].
        body: String,
    },

    /// A request that can create a contact (a v2 PUT with id 0 or an id
    /// Dotdigital does not know) got no clear answer, and the retry was
    /// refused, most likely because the first attempt created the contact and
    /// its email is now taken. Neither a failure nor a success: look the
    /// contact up before trying again.
    #[error(
        "maybe applied: an earlier attempt may have created the contact ({earlier}); the retry got {last}"
    )]
    MaybeApplied {
        /// The attempt whose answer was lost (a dropped connection or a 5xx).
        earlier: Box<Error>,
        /// The answer to the last retry.
        #[source]
        last: Box<Error>,
    },
}

/// How much of an unexpected body an error keeps: enough to recognise a
/// gateway's page, never a whole answer.
pub const QUOTED_BODY_BYTES: usize = 512;

/// The details, each once: a detail that only repeats the description (the
/// service often says the same thing twice) is left out.
fn details_suffix(description: &str, details: &[ErrorDetail]) -> String {
    details
        .iter()
        .filter(|d| !description.contains(&d.description))
        .map(|d| format!("; {}: {}", escaped(&d.item), escaped(&d.description)))
        .collect()
}

/// Text from the server with control characters escaped (`\u{1b}`), so an
/// error printed to a terminal can never move its cursor or retitle it.
pub(crate) fn escaped(text: &str) -> std::borrow::Cow<'_, str> {
    crate::text::escape_controls(text)
}

/// `body` as text, cut at [`QUOTED_BODY_BYTES`] on a character boundary, with
/// its full length said when it was cut.
pub(crate) fn quoted_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(QUOTED_BODY_BYTES)]);
    let text = text.trim_end_matches('\u{fffd}');
    if body.len() > QUOTED_BODY_BYTES {
        format!("{text}… ({} bytes in all)", body.len())
    } else {
        text.to_owned()
    }
}

impl Delivery {
    /// `not-sent`, `maybe-sent` or `sent`: a stable name for reports.
    ///
    /// ```
    /// assert_eq!(dotdigital_contacts::Delivery::MaybeSent.as_str(), "maybe-sent");
    /// ```
    pub fn as_str(&self) -> &'static str {
        match self {
            Delivery::NotSent => "not-sent",
            Delivery::MaybeSent => "maybe-sent",
            Delivery::Sent => "sent",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Delivery::NotSent => "not sent",
            Delivery::MaybeSent => "may have been applied",
            Delivery::Sent => "sent",
        }
    }
}

impl Error {
    pub(crate) fn validation(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Validation {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn configuration(setting: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Configuration {
            setting: setting.into(),
            reason: reason.into(),
        }
    }

    /// The HTTP status of the answer, when there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api { status, .. }
            | Error::ApiV2 { status, .. }
            | Error::UnexpectedResponse { status, .. }
            | Error::UnreadableAnswer { status, .. }
            | Error::AnswerTooLarge { status, .. } => Some(*status),
            Error::Unauthorized { .. } => Some(StatusCode::UNAUTHORIZED),
            Error::Forbidden { .. } => Some(StatusCode::FORBIDDEN),
            Error::RateLimited { .. } => Some(StatusCode::TOO_MANY_REQUESTS),
            Error::MaybeApplied { last, .. } => last.status(),
            Error::Validation { .. }
            | Error::Configuration { .. }
            | Error::Transport { .. }
            | Error::UnseenStatus { .. } => None,
        }
    }

    /// Whether the request may have reached Dotdigital.
    pub fn delivery(&self) -> Delivery {
        match self {
            Error::Validation { .. } | Error::Configuration { .. } => Delivery::NotSent,
            Error::Transport { delivery, .. } => *delivery,
            Error::MaybeApplied { .. } => Delivery::MaybeSent,
            _ => Delivery::Sent,
        }
    }

    /// Whether trying the same request again may succeed: 429, 500, 502, 503,
    /// 504 and transport errors. Other answers mean the request itself is wrong.
    /// Whether a retry is also *safe* depends on the request ([`RetryPolicy`](crate::RetryPolicy)).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::Transport { .. } => true,
            Error::UnexpectedResponse { status, .. }
            | Error::Api { status, .. }
            | Error::ApiV2 { status, .. } => {
                matches!(status.as_u16(), 500 | 502..=504)
            }
            _ => false,
        }
    }

    /// Whether the request certainly changed nothing: it never left the
    /// machine, or it was refused by the rate limit before being looked at.
    pub fn certainly_not_applied(&self) -> bool {
        matches!(self, Error::RateLimited { .. }) || self.delivery() == Delivery::NotSent
    }

    /// The `X-RateLimit-*` headers of the answer, whatever its status (none
    /// when there was no answer, or it carried none).
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        match self {
            Error::RateLimited { rate_limit, .. } => Some(rate_limit),
            Error::Api { rate_limit, .. }
            | Error::ApiV2 { rate_limit, .. }
            | Error::Unauthorized { rate_limit, .. }
            | Error::Forbidden { rate_limit, .. }
            | Error::UnexpectedResponse { rate_limit, .. }
            | Error::UnreadableAnswer { rate_limit, .. } => rate_limit.as_deref(),
            Error::MaybeApplied { last, .. } => last.rate_limit(),
            Error::Validation { .. }
            | Error::Configuration { .. }
            | Error::Transport { .. }
            | Error::AnswerTooLarge { .. }
            | Error::UnseenStatus { .. } => None,
        }
    }

    /// How long the server asked to wait before trying again, if it said.
    pub(crate) fn server_wait(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { rate_limit, .. } => rate_limit.wait(),
            // Only a 429's reset means "wait this long"; any answer may say Retry-After.
            other => other.rate_limit().and_then(|r| r.retry_after),
        }
    }
}
