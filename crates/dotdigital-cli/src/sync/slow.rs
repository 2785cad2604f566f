//! Long waits made visible: a row not finished after a few seconds (no
//! answer yet, or waiting between retries) is logged, with the per-attempt
//! timeout and the worst case a row can take.

use std::sync::Mutex;
use std::time::Duration;

use dotdigital_contacts::RetryPolicy;
use tokio::time::Instant;

use crate::terminal::Stderr;

/// A call is reported once it waited this long, then every [`AGAIN`].
const FIRST: Duration = Duration::from_secs(5);
const AGAIN: Duration = Duration::from_secs(10);

pub struct SlowCalls {
    stderr: Stderr,
    /// Said once, with the first notice.
    limits: String,
    /// At most one notice a second: many stuck calls are one event.
    last_notice: Mutex<Option<Instant>>,
}

impl SlowCalls {
    pub fn new(stderr: &Stderr, timeout: Duration, policy: &RetryPolicy) -> Self {
        let attempts = policy.max_retries.saturating_add(1);
        let worst = worst_case(timeout, policy);
        SlowCalls {
            stderr: stderr.clone(),
            limits: format!(
                "each attempt waits up to {} (--timeout), and a row gives up after {attempts} attempt{}, at most {} with the backoff between them (--retries)",
                seconds(timeout),
                if attempts == 1 { "" } else { "s" },
                seconds(worst)
            ),
            last_notice: Mutex::new(None),
        }
    }

    /// Runs `call`, saying so while it waits long for an answer.
    pub async fn watch<F: Future>(&self, row: u64, call: F) -> F::Output {
        let mut call = std::pin::pin!(call);
        let started = Instant::now();
        let mut next = started + FIRST;
        loop {
            tokio::select! {
                biased;
                out = &mut call => return out,
                () = tokio::time::sleep_until(next) => {}
            }
            self.notice(row, started.elapsed());
            next += AGAIN;
        }
    }

    fn notice(&self, row: u64, waited: Duration) {
        let first = {
            let mut last = self
                .last_notice
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if last.is_some_and(|at| at.elapsed() < Duration::from_secs(1)) {
                return;
            }
            last.replace(Instant::now()).is_none()
        };
        let limits = if first {
            format!(" ({})", self.limits)
        } else {
            String::new()
        };
        self.stderr.line(&format!(
            "waiting: row {row} has not finished after {}, retries included{limits}",
            seconds(waited)
        ));
    }
}

/// The longest a row can take without an answer: every attempt timing out,
/// with the longest backoff between them (a 429's own wait aside).
pub fn worst_case(timeout: Duration, policy: &RetryPolicy) -> Duration {
    let retries = policy.max_retries;
    let backoff: Duration = (0..retries)
        .filter_map(|retry| policy.delay(retry, None, 1.0))
        .sum();
    timeout.saturating_mul(retries.saturating_add(1)) + backoff
}

/// `7 s`, `5 min 2 s` (to the nearest second).
fn seconds(duration: Duration) -> String {
    let secs = (duration + Duration::from_millis(500)).as_secs();
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_case_in_the_help_is_the_defaults_sum() {
        let policy = RetryPolicy::default().max_retries(super::super::DEFAULT_RETRIES);
        let timeout = Duration::from_secs(super::super::DEFAULT_TIMEOUT_SECS);
        // The --timeout help and the README say "5 min 2 s".
        assert_eq!(seconds(worst_case(timeout, &policy)), "5 min 2 s");
    }
}
