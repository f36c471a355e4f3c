//! The application-wide rate limit, shared by every process through the database.
//!
//! Withings counts requests per application: every worker of the fleet spends the same 120
//! a minute. Each [`acquire`](Limiter::acquire) books a send time in `fleet_rate`, in one
//! transaction under a transaction-scoped advisory lock, then sleeps until it. An advisory
//! lock rather than a row lock: the booking reads "the n-th latest slot", a set of rows
//! that grows and shrinks, which no row lock can cover; the lock serializes only bookings
//! (a few statements, well under a millisecond each) and is released by the commit, or by
//! the server when the connection dies. The database clock is the one clock: slots are
//! computed from `clock_timestamp()` in the booking statement, and the caller only sleeps
//! for the difference, so workers with skewed clocks still share one schedule.

use std::time::Duration;

use tokio::time::Instant;
use withings::http::{Acquire, Limiter};

use crate::fleet::now_x;
use crate::{Database, Result};

/// The advisory lock key of the bookings ("wrate" in ASCII, distinct from the migrations').
const RATE_LOCK: i64 = 0x0077_7261_7465;

/// The longest wait between two attempts to book while the database is unreachable.
const MAX_RETRY: Duration = Duration::from_secs(5);

/// At most `requests` in any window of `period`, across every process sharing the database.
///
/// A booking takes the earliest slot that keeps every window of `period + margin` at
/// `requests` or fewer: `max(now, n-th latest slot + period + margin, latest slot)`. Slots
/// older than two periods are pruned in the same statement. A dropped `acquire` either rolls
/// its booking back (before the commit) or wastes its slot (after): a slot is never handed
/// out twice. When the database is unreachable, `acquire` waits and tries again (logging a
/// warning): a request is never sent without a booking.
#[derive(Clone, Debug)]
pub struct PgLimiter {
    db: Database,
    requests: u32,
    period: Duration,
    margin: Duration,
}

impl PgLimiter {
    pub(crate) fn new(db: Database, requests: u32, period: Duration) -> Self {
        Self {
            db,
            requests: requests.max(1),
            period,
            margin: period / 50,
        }
    }

    /// Adds `margin` to the period between a booking and the `requests`-th before it
    /// (default: a fiftieth of the period, 1.2 s for a minute), to absorb the jitter between
    /// the booked instant and the request's arrival at Withings: the time from the booking
    /// to the sleep, scheduling, the network.
    #[must_use]
    pub fn with_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// The limit: requests per period, and the safety margin.
    #[must_use]
    pub fn limit(&self) -> (u32, Duration, Duration) {
        (self.requests, self.period, self.margin)
    }

    /// Books the next slot; returns when the caller may send (local monotonic clock).
    async fn book(&self) -> Result<Instant> {
        let spacing = micros(self.period.saturating_add(self.margin));
        let keep = micros(self.period).saturating_mul(2);
        let offset = i64::from(self.requests) - 1;
        let mut client = self.db.client().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&RATE_LOCK])
            .await?;
        // Under the lock, so this statement's clock reading is later than every booking
        // already committed.
        let row = tx
            .query_one(
                concat!(
                    "WITH t AS (SELECT floor(",
                    now_x!(),
                    " * 1000000)::bigint AS now), \
                     nth AS (SELECT slot_us FROM fleet_rate ORDER BY slot_us DESC OFFSET $1 LIMIT 1), \
                     slot AS (SELECT GREATEST(t.now, (SELECT slot_us FROM nth) + $2, \
                     (SELECT max(slot_us) FROM fleet_rate)) AS at, t.now FROM t), \
                     ins AS (INSERT INTO fleet_rate (slot_us) SELECT at FROM slot), \
                     del AS (DELETE FROM fleet_rate WHERE slot_us < (SELECT now FROM slot) - $3) \
                     SELECT at, now FROM slot"
                ),
                &[&offset, &spacing, &keep],
            )
            .await?;
        // Read right after the clock was: the wait is measured from no earlier than the
        // database's `now`, so the send is never before the slot.
        let read_at = Instant::now();
        let at: i64 = row.try_get(0)?;
        let now: i64 = row.try_get(1)?;
        tx.commit().await?;
        let wait = Duration::from_micros(u64::try_from(at.saturating_sub(now)).unwrap_or(0));
        Ok(read_at + wait)
    }
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

impl Limiter for PgLimiter {
    fn acquire(&self) -> Acquire<'_> {
        Box::pin(async move {
            let mut retry = Duration::from_millis(100);
            loop {
                match self.book().await {
                    Ok(at) => {
                        tokio::time::sleep_until(at).await;
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, retry_in_ms = retry.as_millis(), "cannot book a request slot in PostgreSQL; waiting before trying again");
                        tokio::time::sleep(retry).await;
                        retry = (retry * 2).min(MAX_RETRY);
                    }
                }
            }
        })
    }
}
