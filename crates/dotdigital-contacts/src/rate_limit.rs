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
#[non_exhaustive]
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
        // One pass over the headers: every answer is read, and five lookups
        // by name cost more than the pass.
        let mut limit = RateLimit::default();
        for (name, value) in headers {
            let name = name.as_str();
            if !(name.starts_with("x-ratelimit-") || name == "retry-after") {
                continue;
            }
            let Some(text) = value.to_str().ok().map(str::trim) else {
                continue;
            };
            let seconds = || text.parse::<u64>().ok().map(Duration::from_secs);
            match name {
                "x-ratelimit-limit" => limit.limit = text.parse().ok(),
                "x-ratelimit-remaining" => limit.remaining = text.parse().ok(),
                "x-ratelimit-reset" => limit.reset = seconds(),
                "x-ratelimit-scope" => limit.scope = Some(text.to_owned()),
                "retry-after" => limit.retry_after = seconds(),
                _ => {}
            }
        }
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
