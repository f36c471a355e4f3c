//! A client-side rate limiter, so a well-behaved application never sees status 601.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// Limits requests to `n` per period, shared by every [`Client`](crate::Client) given a clone
/// of it. Withings' limit is per application, all users and endpoints combined (120 requests
/// per minute on the public plan, API notes §9.4), so one limiter per client id is right.
///
/// It is a generic cell rate algorithm on `tokio::time`: a burst of up to `n` calls goes
/// straight through, after that calls are spaced `period / n` apart, in arrival order.
#[derive(Clone)]
pub struct RateLimiter {
    inner: Arc<Inner>,
}

struct Inner {
    requests: u32,
    period: Duration,
    interval: Duration,
    tolerance: Duration,
    /// Theoretical arrival time of the next request.
    tat: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// At most `requests` per `period` (a `requests` of 0 counts as 1).
    #[must_use]
    pub fn new(requests: u32, period: Duration) -> Self {
        let requests = requests.max(1);
        let interval = period / requests;
        Self {
            inner: Arc::new(Inner {
                requests,
                period,
                interval,
                tolerance: interval * (requests - 1),
                tat: Mutex::new(None),
            }),
        }
    }

    /// Withings' public-plan limit: 120 requests per minute.
    #[must_use]
    pub fn withings_default() -> Self {
        Self::new(120, Duration::from_secs(60))
    }

    /// Waits until one more request is allowed, and counts it.
    pub async fn acquire(&self) {
        if let Some(at) = self.reserve(Instant::now()) {
            tokio::time::sleep_until(at).await;
        }
    }

    /// Books a slot at `now`; returns when it starts if that is in the future.
    fn reserve(&self, now: Instant) -> Option<Instant> {
        let i = &self.inner;
        let mut tat = i
            .tat
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let t = tat.map_or(now, |t| t.max(now));
        *tat = Some(t + i.interval);
        t.checked_sub(i.tolerance).filter(|start| *start > now)
    }
}

impl Default for RateLimiter {
    fn default() -> Self {
        Self::withings_default()
    }
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("requests", &self.inner.requests)
            .field("period", &self.inner.period)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn bursts_then_spaces_requests() {
        let l = RateLimiter::new(3, Duration::from_secs(3));
        let start = Instant::now();
        for _ in 0..3 {
            l.acquire().await;
        }
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "a burst of 3 passes at once"
        );
        l.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_secs(1));
        l.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn clones_share_the_budget() {
        let a = RateLimiter::new(120, Duration::from_secs(60));
        let b = a.clone();
        let start = Instant::now();
        for _ in 0..60 {
            a.acquire().await;
            b.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        a.acquire().await;
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(500),
            "the 121st call waits one interval"
        );
        // After a quiet minute the full burst is available again.
        tokio::time::advance(Duration::from_secs(60)).await;
        let t = Instant::now();
        for _ in 0..120 {
            b.acquire().await;
        }
        assert_eq!(t.elapsed(), Duration::ZERO);
    }
}
