//! Client-side rate limiting, so a well-behaved application never sees status 601.
//!
//! Withings allows an application N requests in any window of the period (120 a minute on
//! the public plan, all users and endpoints combined, API notes §9.4). [`RateLimiter`]
//! guarantees exactly that within one process; the [`Limiter`] trait lets a limiter shared
//! by several processes (one in a database, say) take its place without touching callers.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// A future that resolves when one more request may be sent.
pub type Acquire<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Something that paces requests: the client awaits [`acquire`](Self::acquire) before each
/// one it sends (retries included).
///
/// An implementation must let at most its limit through in any window of its period, across
/// every client sharing it, and stay correct when an `acquire` future is dropped before it
/// resolves (a cancelled call): it may then waste the slot, never hand it out twice.
pub trait Limiter: Send + Sync + fmt::Debug + 'static {
    /// Waits until one more request may be sent, and counts it as sent.
    fn acquire(&self) -> Acquire<'_>;
}

/// A shared limiter is a limiter: `Arc<dyn Limiter>` (from
/// [`Client::rate_limiter`](crate::Client::rate_limiter)) can be given to another client.
impl<L: Limiter + ?Sized> Limiter for Arc<L> {
    fn acquire(&self) -> Acquire<'_> {
        (**self).acquire()
    }
}

/// At most `n` requests in any window of `period`, shared by every clone.
///
/// Each call books the earliest slot that keeps every window of `period` at `n` or fewer
/// requests — that is, no earlier than `period` after the `n`-th booking before it — then
/// waits for it. Bookings are made in arrival order under a lock, so callers are served
/// first come, first served. A dropped `acquire` keeps its slot (wasted, never reused), so
/// cancellation never lets more than `n` through. Memory: the last `n` slots.
///
/// ```
/// # async fn _run() {
/// use std::time::Duration;
/// use withings_http::RateLimiter;
///
/// let limiter = RateLimiter::new(120, Duration::from_secs(60));
/// let shared = limiter.clone(); // the same budget: give it to every client of the app
/// limiter.acquire().await;
/// # let _ = shared;
/// # }
/// ```
#[derive(Clone)]
pub struct RateLimiter {
    inner: Arc<Inner>,
}

struct Inner {
    requests: usize,
    period: Duration,
    /// The booked slots, oldest first; at most `requests` of them.
    slots: Mutex<VecDeque<Instant>>,
}

impl RateLimiter {
    /// At most `requests` in any window of `period` (a `requests` of 0 counts as 1).
    #[must_use]
    pub fn new(requests: u32, period: Duration) -> Self {
        let requests = usize::try_from(requests.max(1)).unwrap_or(usize::MAX);
        Self {
            inner: Arc::new(Inner {
                requests,
                period,
                slots: Mutex::new(VecDeque::with_capacity(requests.min(4096))),
            }),
        }
    }

    /// Withings' public-plan limit: 120 requests per minute.
    #[must_use]
    pub fn withings_default() -> Self {
        Self::new(120, Duration::from_secs(60))
    }

    /// The limit: requests per period.
    #[must_use]
    pub fn limit(&self) -> (usize, Duration) {
        (self.inner.requests, self.inner.period)
    }

    /// Waits until one more request is allowed, and counts it.
    pub async fn acquire(&self) {
        let at = self.reserve(Instant::now());
        if at > Instant::now() {
            tokio::time::sleep_until(at).await;
        }
    }

    /// Books the earliest slot at or after `now` that keeps every window at the limit.
    fn reserve(&self, now: Instant) -> Instant {
        let i = &self.inner;
        let mut slots = i.slots.lock().unwrap_or_else(PoisonError::into_inner);
        let at = if slots.len() < i.requests {
            // Fewer than n bookings ever: only order matters.
            slots.back().map_or(now, |last| (*last).max(now))
        } else {
            // The n-th booking back (the oldest kept) opens the next slot a period later.
            let oldest = slots.front().copied().unwrap_or(now);
            let last = slots.back().copied().unwrap_or(now);
            (oldest + i.period).max(now).max(last)
        };
        if slots.len() >= i.requests {
            slots.pop_front();
        }
        slots.push_back(at);
        at
    }
}

impl Limiter for RateLimiter {
    fn acquire(&self) -> Acquire<'_> {
        Box::pin(RateLimiter::acquire(self))
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

    /// The most requests any window of `period` holds, for sorted instants.
    fn busiest_window(times: &[Instant], period: Duration) -> usize {
        let mut best = 0;
        let mut start = 0;
        for end in 0..times.len() {
            while times[end] - times[start] >= period {
                start += 1;
            }
            best = best.max(end - start + 1);
        }
        best
    }

    #[tokio::test(start_paused = true)]
    async fn a_thousand_calls_never_put_more_than_120_in_a_minute() {
        let l = RateLimiter::withings_default();
        let start = Instant::now();
        let mut times = Vec::new();
        for _ in 0..1000 {
            l.acquire().await;
            times.push(Instant::now());
        }
        assert_eq!(busiest_window(&times, Duration::from_secs(60)), 120);
        // The ideal schedule: 120 at once each minute, the 1000th in the 9th minute.
        let ideal = Duration::from_secs(60 * (999 / 120));
        let took = start.elapsed();
        assert!(
            took.abs_diff(ideal) <= ideal / 50,
            "took {took:?}, ideal {ideal:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn twenty_tasks_sharing_clones_stay_within_the_limit() {
        let l = RateLimiter::withings_default();
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let l = l.clone();
            tasks.push(tokio::spawn(async move {
                let mut times = Vec::new();
                for _ in 0..50 {
                    l.acquire().await;
                    times.push(Instant::now());
                }
                times
            }));
        }
        let mut times = Vec::new();
        for t in tasks {
            times.extend(t.await.unwrap());
        }
        times.sort();
        assert_eq!(times.len(), 1000);
        assert_eq!(busiest_window(&times, Duration::from_secs(60)), 120);
        let ideal = Duration::from_secs(60 * (999 / 120));
        let took = start.elapsed();
        assert!(
            took.abs_diff(ideal) <= ideal / 50,
            "took {took:?}, ideal {ideal:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_121st_call_waits_for_the_first_to_leave_the_window() {
        let l = RateLimiter::withings_default();
        let start = Instant::now();
        for _ in 0..120 {
            l.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        l.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_acquire_never_lets_an_extra_call_through() {
        let l = RateLimiter::new(2, Duration::from_secs(10));
        let start = Instant::now();
        l.acquire().await;
        l.acquire().await;
        // Booked for t=10 s, then dropped at t=1 s: its slot is spent, not reused.
        let third = tokio::time::timeout(Duration::from_secs(1), l.acquire()).await;
        assert!(third.is_err());
        l.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_secs(10));
        l.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_secs(20));
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_quiet_period_the_whole_budget_is_there_again() {
        let l = RateLimiter::new(3, Duration::from_secs(3));
        for _ in 0..3 {
            l.acquire().await;
        }
        tokio::time::advance(Duration::from_secs(3)).await;
        let t = Instant::now();
        for _ in 0..3 {
            l.acquire().await;
        }
        assert_eq!(t.elapsed(), Duration::ZERO);
    }
}
