//! Sending one request: the retry loop. What each failed attempt means is
//! [`crate::error::mapping`]'s job.

use std::future::Future;

use dotdigital_contacts_api::{ResponseValue, capture_response_head};

use crate::error::Delivery;
use crate::error::mapping::{ErrorBody, to_error};
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
