//! Pacing from the `X-RateLimit-*` headers of every answer: spread the calls
//! left in the window evenly over the time left, so a sync runs at the allowed
//! rate instead of bouncing off 429s; never faster than `--max-rate`.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use dotdigital_contacts::RateLimit;
use tokio::time::Instant;

#[derive(Debug)]
pub struct Pacer {
    state: Mutex<State>,
    /// The interval `--max-rate` asks for (zero without it).
    min_interval: Duration,
}

#[derive(Debug)]
struct State {
    next_start: Instant,
    interval: Duration,
    in_flight: u32,
}

impl Pacer {
    /// A pacer that starts calls at most `max_per_minute` a minute, if given.
    pub fn new(max_per_minute: Option<u32>) -> Self {
        let min_interval = max_per_minute
            .filter(|n| *n > 0)
            .map_or(Duration::ZERO, |n| Duration::from_secs(60) / n);
        Pacer {
            state: Mutex::new(State {
                next_start: Instant::now(),
                interval: min_interval,
                in_flight: 0,
            }),
            min_interval,
        }
    }

    /// Waits for this call's turn.
    pub async fn wait_turn(&self) {
        let start = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            let start = state.next_start.max(Instant::now());
            state.next_start = start + state.interval;
            state.in_flight += 1;
            start
        };
        // A timer, even one already due, waits for the next tick of tokio's
        // millisecond wheel: only sleep when there is something to wait for.
        if start > Instant::now() {
            tokio::time::sleep_until(start).await;
        }
    }

    /// Learns from an answer's rate-limit headers (none: no limit known).
    pub fn observe(&self, rate_limit: Option<&RateLimit>) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.in_flight = state.in_flight.saturating_sub(1);
        let (Some(remaining), Some(reset)) = (
            rate_limit.and_then(|r| r.remaining),
            rate_limit.and_then(|r| r.reset),
        ) else {
            return;
        };
        // Calls already on their way will use some of what is left.
        let budget = remaining.saturating_sub(state.in_flight);
        // The reset is whole seconds, so the window really ends half a second
        // earlier on average; spreading over the estimate wastes less of it.
        let reset = reset
            .saturating_sub(Duration::from_millis(500))
            .max(Duration::from_millis(500));
        let interval = if budget == 0 {
            state.next_start = state.next_start.max(Instant::now() + reset);
            reset / rate_limit.and_then(|r| r.limit).unwrap_or(1).max(1)
        } else {
            reset / budget
        };
        state.interval = interval.max(self.min_interval);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(remaining: u32, reset_secs: u64) -> RateLimit {
        let mut limit = RateLimit::default();
        limit.limit = Some(600);
        limit.remaining = Some(remaining);
        limit.reset = Some(Duration::from_secs(reset_secs));
        limit
    }

    #[test]
    fn max_rate_is_a_floor_under_the_headers_pacing() {
        let pacer = Pacer::new(Some(120));
        assert_eq!(
            pacer.state.lock().unwrap().interval,
            Duration::from_millis(500)
        );
        pacer.observe(Some(&limit(10_000, 60)));
        assert_eq!(
            pacer.state.lock().unwrap().interval,
            Duration::from_millis(500)
        );
        pacer.observe(Some(&limit(10, 60)));
        assert_eq!(
            pacer.state.lock().unwrap().interval,
            Duration::from_millis(59_500) / 10,
            "the headers still slow it further"
        );
    }

    #[test]
    fn the_interval_spreads_what_is_left_over_the_window() {
        let pacer = Pacer::new(None);
        pacer.observe(Some(&limit(100, 10)));
        assert_eq!(
            pacer.state.lock().unwrap().interval,
            Duration::from_millis(95),
            "9.5 s left on average, over 100 calls"
        );
        pacer.observe(Some(&limit(0, 30)));
        let state = pacer.state.lock().unwrap();
        assert!(
            state.next_start >= Instant::now() + Duration::from_secs(29),
            "waits for the window to reset"
        );
        assert_eq!(
            state.interval,
            Duration::from_millis(29_500) / 600,
            "then paces at the full rate"
        );
    }
}
