//! When and how long to wait before trying a call again.

use std::time::Duration;

/// How the client retries (API notes §9.3).
///
/// - Status 601 waits `wait_seconds` (60 s without it) and tries again while the total wait
///   stays within [`max_rate_limit_wait`](Self::max_rate_limit_wait); after that the call
///   returns [`ErrorKind::RateLimited`](crate::ErrorKind::RateLimited).
/// - Status 522, HTTP 5xx/429, transport errors and timeouts retry with jittered
///   exponential backoff, at most [`max_retries`](Self::max_retries) times.
/// - Invalid parameters, unauthorized, not implemented, bad state and auth errors are never
///   retried blindly (a 401 refreshes the token once, then retries once: see
///   [`Client`](crate::Client)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_rate_limit_wait: Duration,
}

impl Default for RetryPolicy {
    /// 3 retries from 500 ms up to 30 s; up to 2 minutes of waiting on 601s.
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_rate_limit_wait: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// No retries and no waiting: every error is returned at once.
    #[must_use]
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            max_rate_limit_wait: Duration::ZERO,
            ..Self::default()
        }
    }

    /// How many times a transient failure (522, transport, timeout, HTTP 5xx) is retried.
    #[must_use]
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// The first backoff delay; it doubles each retry (before jitter).
    #[must_use]
    pub fn base_delay(mut self, d: Duration) -> Self {
        self.base_delay = d;
        self
    }

    /// The longest backoff delay.
    #[must_use]
    pub fn max_delay(mut self, d: Duration) -> Self {
        self.max_delay = d;
        self
    }

    /// The most time one call spends waiting on status 601 in total. A `wait_seconds` that
    /// would go past it is not waited: the call returns the rate-limited error instead.
    #[must_use]
    pub fn max_rate_limit_wait(mut self, d: Duration) -> Self {
        self.max_rate_limit_wait = d;
        self
    }

    pub(crate) fn retries(&self) -> u32 {
        self.max_retries
    }

    pub(crate) fn rate_limit_budget(&self) -> Duration {
        self.max_rate_limit_wait
    }

    /// The delay before retry number `n` (0-based): `base × 2ⁿ`, capped, then scaled by a
    /// random factor in [½, 1] so clients that failed together do not retry together.
    pub(crate) fn backoff(&self, n: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << n.min(20))
            .min(self.max_delay);
        let mut b = [0u8; 2];
        let r = match getrandom::getrandom(&mut b) {
            Ok(()) => u16::from_le_bytes(b),
            Err(_) => u16::MAX,
        };
        let half = exp / 2;
        half + half.mul_f64(f64::from(r) / f64::from(u16::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_jitter_and_is_capped() {
        let p = RetryPolicy::default()
            .base_delay(Duration::from_secs(1))
            .max_delay(Duration::from_secs(5));
        for n in 0..8 {
            let full = Duration::from_secs(1 << n.min(3)).min(Duration::from_secs(5));
            let d = p.backoff(n);
            assert!(
                d >= full / 2 && d <= full,
                "retry {n}: {d:?} not in [{:?}, {full:?}]",
                full / 2
            );
        }
    }
}
