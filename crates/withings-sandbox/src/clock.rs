//! Where the sandbox's "now" comes from.
//!
//! The sandbox never reads the system clock in its logic: token expiry, the 30-second life of
//! an authorization code, the 10-second window of the rate limit and the demo data all take the
//! time from a [`Clock`]. Tests pass a [`ManualClock`] and move it forward; the command-line
//! tool passes [`SystemClock`].

use std::sync::{Arc, Mutex, PoisonError};

use jiff::{SignedDuration, Timestamp};

/// A source of the current instant.
///
/// Implemented for [`ManualClock`], [`SystemClock`] and any `Fn() -> Timestamp` closure.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

impl<F> Clock for F
where
    F: Fn() -> Timestamp + Send + Sync + 'static,
{
    fn now(&self) -> Timestamp {
        self()
    }
}

/// The real clock: the only place in the crate that reads the system time.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    // The one sanctioned read of the wall clock (clippy.toml forbids it elsewhere): everything
    // else receives the instant from a `Clock`, so tests can drive time by hand.
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that only moves when told to. Clones share the same instant, so a test can keep
/// one handle and give another to the sandbox.
///
/// ```
/// use jiff::{SignedDuration, Timestamp};
/// use withings_sandbox::{Clock, ManualClock};
///
/// let clock = ManualClock::new(Timestamp::from_second(1_717_430_000).unwrap());
/// let handle = clock.clone();
/// handle.advance(SignedDuration::from_secs(31));
/// assert_eq!(clock.now().as_second(), 1_717_430_031);
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<Timestamp>>,
}

impl ManualClock {
    /// A clock stopped at `now`.
    #[must_use]
    pub fn new(now: Timestamp) -> Self {
        Self {
            now: Arc::new(Mutex::new(now)),
        }
    }

    /// Moves the clock to `now` (backwards too).
    pub fn set(&self, now: Timestamp) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = now;
    }

    /// Moves the clock by `by` (negative moves it back); saturates at the ends of the
    /// representable range.
    pub fn advance(&self, by: SignedDuration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now = now.saturating_add(by).unwrap_or(*now);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
