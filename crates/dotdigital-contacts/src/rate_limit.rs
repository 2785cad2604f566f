//! Dotdigital's tiered call-rate limit, as its `X-RateLimit-*` headers report it.

use std::time::Duration;

use reqwest::header::HeaderMap;

/// The rate-limit headers of one answer. Each is optional: the service (or a
/// gateway in front of it) may leave any of them out.
///
/// ```
/// use dotdigital_contacts::RateLimit;
/// let mut headers = reqwest::header::HeaderMap::new();
/// headers.insert("x-ratelimit-limit", "35".parse().unwrap());
/// headers.insert("x-ratelimit-remaining", "0".parse().unwrap());
/// headers.insert("x-ratelimit-reset", "12".parse().unwrap());
/// let limit = RateLimit::from_headers(&headers).unwrap();
/// assert_eq!(limit.remaining, Some(0));
/// assert_eq!(limit.wait(), Some(std::time::Duration::from_secs(12)));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateLimit {
    /// `X-RateLimit-Limit`: calls allowed per minute in this tier.
    pub limit: Option<u32>,
    /// `X-RateLimit-Remaining`: calls left in the current window.
    pub remaining: Option<u32>,
    /// `X-RateLimit-Reset`: time until the window resets (read as seconds).
    pub reset: Option<Duration>,
    /// `X-RateLimit-Scope`: the tier the call counts against.
    pub scope: Option<String>,
    /// `Retry-After` in seconds, when a server or gateway sends it.
    pub retry_after: Option<Duration>,
}

impl RateLimit {
    /// Reads the headers; `None` when none of them is present.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        let number = |name: &str| text(name).and_then(|v| v.parse::<u32>().ok());
        let seconds = |name: &str| {
            text(name)
                .and_then(|v| v.parse::<u64>().ok())
                .map(Duration::from_secs)
        };
        let limit = RateLimit {
            limit: number("x-ratelimit-limit"),
            remaining: number("x-ratelimit-remaining"),
            reset: seconds("x-ratelimit-reset"),
            scope: text("x-ratelimit-scope").map(str::to_owned),
            retry_after: seconds("retry-after"),
        };
        (limit != RateLimit::default()).then_some(limit)
    }

    /// How long the server asks to wait: `Retry-After` if sent, else the reset time.
    pub fn wait(&self) -> Option<Duration> {
        self.retry_after.or(self.reset)
    }
}

impl std::fmt::Display for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |v: Option<u32>| v.map_or_else(|| "?".to_owned(), |v| v.to_string());
        write!(
            f,
            "limit {}, remaining {}",
            show(self.limit),
            show(self.remaining)
        )?;
        if let Some(reset) = self.reset {
            write!(f, ", resets in {}s", reset.as_secs())?;
        }
        if let Some(scope) = &self.scope {
            write!(f, ", scope {scope}")?;
        }
        Ok(())
    }
}
