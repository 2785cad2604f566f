//! Dotdigital's tiered call-rate limit: a number of calls per wall-clock
//! minute. The sandbox counts every authenticated API call in one tier,
//! reported as scope `mediumCallRate`.

use axum::http::{HeaderMap, HeaderValue};

/// The tier name sent in `X-RateLimit-Scope`.
pub(crate) const SCOPE: &str = "mediumCallRate";

/// Calls counted in the current minute.
#[derive(Debug, Default)]
pub(crate) struct RateWindow {
    minute: u64,
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
    /// Counts one call (when `consume`) at `now` (Unix seconds) against `limit`.
    pub fn take(&mut self, limit: u32, now: u64, consume: bool) -> RateState {
        let minute = now / 60;
        if minute != self.minute {
            self.minute = minute;
            self.used = 0;
        }
        let allowed = self.used < limit;
        if consume && allowed {
            self.used += 1;
        }
        RateState {
            limit,
            remaining: limit.saturating_sub(self.used),
            reset: 60 - now % 60,
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

    #[test]
    fn the_window_refills_each_minute() {
        let mut window = RateWindow::default();
        let start = 6_000; // a minute boundary
        assert_eq!(window.take(2, start, true).remaining, 1);
        assert_eq!(window.take(2, start + 1, true).remaining, 0);
        let over = window.take(2, start + 45, true);
        assert!(!over.allowed);
        assert_eq!(over.reset, 15);
        assert!(window.take(2, start + 60, true).allowed);
    }
}
