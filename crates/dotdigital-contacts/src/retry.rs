//! When and how long to wait before trying a request again.

use std::time::Duration;

use crate::Error;

/// One retry about to happen, as [`ContactsClientBuilder::on_retry`](crate::ContactsClientBuilder::on_retry) sees it.
#[derive(Debug)]
#[non_exhaustive]
pub struct Retrying<'a> {
    /// `importContact` or `updateContact`.
    pub operation: &'static str,
    /// Which retry this is (1 for the first).
    pub retry: u32,
    /// How long the client waits before sending it.
    pub delay: Duration,
    /// What the previous attempt ended with.
    pub error: &'a Error,
}

/// Bounded exponential backoff with jitter, honouring the server's
/// `Retry-After` / `X-RateLimit-Reset`.
///
/// Only 429, 500, 502, 503, 504 and transport errors are retried; any other
/// answer means the request itself is wrong and is returned at once. Whether
/// one of those is retried depends on what a repeat of the request costs:
///
/// | request | retried on |
/// |---|---|
/// | v3 import without consent records or emails (an upsert) | all of them |
/// | v3 import that appends consent records, or sends an email (`optInType: verifiedDouble`, `resubscribeWithNoChallenge: false`) | only when it certainly was not applied: 429, or a connection that never opened |
/// | v2 update with `optInType: VerifiedDouble` (sends an email) | the same |
/// | any other v2 update (a full replace) | all of them; when an attempt may have been applied (no answer, or a 5xx) and the retry is refused, as a create's repeat is once the email is taken, the result is [`Error::MaybeApplied`](crate::Error::MaybeApplied), never a plain failure |
///
/// [`ContactsClientBuilder::on_retry`](crate::ContactsClientBuilder::on_retry)
/// sees every retry as it happens.
///
/// ```
/// use std::time::Duration;
/// use dotdigital_contacts::RetryPolicy;
/// let policy = RetryPolicy::default()
///     .max_retries(5)
///     .initial_backoff(Duration::from_millis(100))
///     .max_backoff(Duration::from_secs(2));
/// assert_eq!((policy.max_retries, policy.max_backoff), (5, Duration::from_secs(2)));
/// assert_eq!(RetryPolicy::none().max_retries, 0);
///
/// // At most 5 s of waiting per 429, whatever the server asks: a longer wait
/// // fails the call with Error::RateLimited at once.
/// let impatient = RetryPolicy::default().max_server_wait(Duration::from_secs(5));
/// assert_eq!(impatient.max_server_wait, Duration::from_secs(5));
/// ```
///
/// Each setting is read as a field and set with the method of the same name.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// How many times a request is tried again after the first attempt.
    pub max_retries: u32,
    /// The first backoff; it doubles on each retry.
    pub initial_backoff: Duration,
    /// The largest backoff between two attempts.
    pub max_backoff: Duration,
    /// The longest wait accepted when the server says how long to wait.
    pub max_server_wait: Duration,
}

impl Default for RetryPolicy {
    /// 3 retries, 250 ms doubling to at most 8 s, and at most 60 s when the
    /// server says how long to wait (a Dotdigital rate-limit window is a minute).
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            max_server_wait: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// How many times a request is tried again after the first attempt.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The first backoff; it doubles on each retry.
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The largest backoff between two attempts.
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The longest wait the client accepts when the server says how long to
    /// wait; a longer one is returned as an error instead of slept through.
    pub fn max_server_wait(mut self, wait: Duration) -> Self {
        self.max_server_wait = wait;
        self
    }

    /// The longest a call can spend waiting between attempts: each retry
    /// waits at most the longer of [`max_backoff`](Self::max_backoff) and
    /// [`max_server_wait`](Self::max_server_wait). The attempts themselves
    /// come on top, each bounded by
    /// [`ContactsClientBuilder::timeout`](crate::ContactsClientBuilder::timeout).
    ///
    /// ```
    /// use dotdigital_contacts::RetryPolicy;
    /// assert_eq!(RetryPolicy::default().worst_case_wait().as_secs(), 180);
    /// assert_eq!(RetryPolicy::none().worst_case_wait().as_secs(), 0);
    /// ```
    pub fn worst_case_wait(&self) -> std::time::Duration {
        self.max_server_wait
            .max(self.max_backoff)
            .saturating_mul(self.max_retries)
    }

    /// The wait before retry number `retry` (0-based), or `None` when the
    /// request must not be retried again.
    ///
    /// The backoff is `initial * 2^retry`, capped at the maximum, with "equal
    /// jitter": a uniform draw (`jitter` in `0.0..1.0`) picks a point in its
    /// upper half, so concurrent clients spread out but never retry at once.
    /// A wait the server asked for is honoured when it is longer.
    ///
    /// ```
    /// use std::time::Duration;
    /// use dotdigital_contacts::RetryPolicy;
    /// let policy = RetryPolicy::default();
    /// assert_eq!(policy.delay(0, None, 1.0), Some(Duration::from_millis(250)));
    /// assert_eq!(policy.delay(1, Some(Duration::from_secs(12)), 0.5), Some(Duration::from_secs(12)));
    /// assert_eq!(policy.delay(0, Some(Duration::from_secs(61)), 0.5), None, "longer than max_server_wait");
    /// assert_eq!(policy.delay(3, None, 0.5), None, "retries spent");
    /// ```
    pub fn delay(
        &self,
        retry: u32,
        server_wait: Option<Duration>,
        jitter: f64,
    ) -> Option<Duration> {
        if retry >= self.max_retries {
            return None;
        }
        let exponential = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(retry.min(31)));
        let capped = exponential.min(self.max_backoff);
        let backoff = capped.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0));
        match server_wait {
            Some(wait) if wait > self.max_server_wait => None,
            Some(wait) => Some(wait.max(backoff)),
            None => Some(backoff),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_is_capped_and_jitter_stays_in_the_upper_half() {
        let policy = RetryPolicy::default()
            .max_retries(10)
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_secs(1));
        for retry in 0..10 {
            let full = Duration::from_millis(100 * 2u64.pow(retry)).min(Duration::from_secs(1));
            assert_eq!(policy.delay(retry, None, 1.0), Some(full));
            assert_eq!(policy.delay(retry, None, 0.0), Some(full / 2));
            let mid = policy.delay(retry, None, 0.37).unwrap();
            assert!(
                mid >= full / 2 && mid <= full,
                "{mid:?} outside [{:?}, {full:?}]",
                full / 2
            );
        }
        assert_eq!(
            policy.delay(10, None, 0.5),
            None,
            "no more retries than configured"
        );
    }

    #[test]
    fn the_servers_wait_is_honoured_up_to_the_limit() {
        let policy = RetryPolicy::default().max_server_wait(Duration::from_secs(30));
        assert_eq!(
            policy.delay(0, Some(Duration::from_secs(12)), 0.5),
            Some(Duration::from_secs(12))
        );
        assert_eq!(
            policy.delay(0, Some(Duration::ZERO), 1.0),
            Some(Duration::from_millis(250))
        );
        assert_eq!(policy.delay(0, Some(Duration::from_secs(31)), 0.5), None);
    }

    #[test]
    fn none_never_retries() {
        assert_eq!(RetryPolicy::none().delay(0, None, 0.5), None);
    }
}
