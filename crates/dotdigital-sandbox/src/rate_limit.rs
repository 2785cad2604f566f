//! Dotdigital's tiered call-rate limit: a number of calls per minute. The
//! sandbox counts every authenticated API call in one tier, reported as scope
//! `mediumCallRate`. A window opens with the first call and lasts a minute
//! (not aligned to the clock, so a short test never straddles two windows;
//! a test that wants to see several can make it shorter).

use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue};

/// The tier name sent in `X-RateLimit-Scope`.
pub(crate) const SCOPE: &str = "mediumCallRate";

/// Calls counted in the current window.
#[derive(Debug, Default)]
pub(crate) struct RateWindow {
    opened: Option<Instant>,
    used: u32,
}

/// What the headers report for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateState {
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the current minute ends.
    pub reset: u64,
    pub allowed: bool,
}

impl RateWindow {
    /// Counts one call (when `consume`) at `now` against `limit` calls per `window`.
    pub fn take(&mut self, limit: u32, window: Duration, now: Instant, consume: bool) -> RateState {
        let opened = match self.opened {
            Some(opened) if now.duration_since(opened) < window => opened,
            _ => {
                self.used = 0;
                *self.opened.insert(now)
            }
        };
        let allowed = self.used < limit;
        if consume && allowed {
            self.used += 1;
        }
        let left = window.saturating_sub(now.duration_since(opened));
        RateState {
            limit,
            remaining: limit.saturating_sub(self.used),
            reset: left.as_secs() + u64::from(left.subsec_nanos() > 0),
            allowed,
        }
    }
}

impl RateState {
    pub fn write(&self, headers: &mut HeaderMap) {
        headers.insert("x-ratelimit-limit", HeaderValue::from(self.limit));
        headers.insert("x-ratelimit-remaining", HeaderValue::from(self.remaining));
        headers.insert("x-ratelimit-reset", HeaderValue::from(self.reset));
        headers.insert("x-ratelimit-scope", HeaderValue::from_static(SCOPE));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn the_window_refills_each_minute() {
        let mut window = RateWindow::default();
        let start = Instant::now();
        let at = |secs| start + Duration::from_secs(secs);
        let first = window.take(2, MINUTE, start, true);
        assert_eq!((first.remaining, first.reset), (1, 60));
        assert_eq!(window.take(2, MINUTE, at(1), true).remaining, 0);
        let over = window.take(2, MINUTE, at(45), true);
        assert!(!over.allowed);
        assert_eq!(over.reset, 15);
        assert!(window.take(2, MINUTE, at(60), true).allowed);
    }
}
