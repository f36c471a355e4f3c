//! The handle on the fleet's shared state: one [`Database`] and the [`Cipher`] that seals
//! tokens, from which the server and the workers reach users, tokens, the shared rate
//! limit, the job queue and the OAuth states.

use std::time::Duration;

use crate::Result;
use crate::limiter::PgLimiter;
use crate::queue::JobQueue;
use crate::tokens::PgTokenStore;
use crate::{Cipher, Database};

/// The database clock, exact (numeric unix seconds), for a statement's `WITH t AS (SELECT
/// … AS x)`: every instant of the fleet comes from it, never from a worker's clock.
/// Instants that say when something happened are stored as `floor(x)`; deadlines
/// ("not before", "valid until") as `ceil(x + duration)`, so they never come early.
macro_rules! now_x {
    () => {
        "extract(epoch from clock_timestamp())"
    };
}
pub(crate) use now_x;

/// A duration as seconds for SQL (`float8`), saturating.
pub(crate) fn seconds(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// The fleet's shared state in PostgreSQL. Cheap to clone (clones share the pool).
///
/// Users and OAuth states are methods here; tokens, the limiter and the queue are handles
/// made here ([`token_store`](Self::token_store), [`limiter`](Self::limiter),
/// [`queue`](Self::queue)).
///
/// Pool size: a token refresh holds one connection from the re-read to the write, across
/// its HTTP call, and that call waits for the limiter, which books on another connection of
/// the same pool; workers of the same user wait for the row on a connection each. Give the
/// pool at least twice as many connections as the process runs jobs at once, plus two (one
/// for claims and heartbeats, one spare): with fewer, every connection may be held by
/// refreshes that wait for one more, and the process stalls.
#[derive(Clone, Debug)]
pub struct Fleet {
    pub(crate) db: Database,
    pub(crate) cipher: Cipher,
}

impl Fleet {
    /// The fleet state in `db` (migrated: [`Database::migrate`]), sealing tokens with
    /// `cipher`.
    #[must_use]
    pub fn new(db: Database, cipher: Cipher) -> Self {
        Self { db, cipher }
    }

    /// The database underneath (for the sync store and readiness checks).
    #[must_use]
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The token store of `userid`, for a `withings::Client` working for that user: its
    /// refreshes are serialized across the whole fleet by a row lock.
    #[must_use]
    pub fn token_store(&self, userid: &str) -> PgTokenStore {
        PgTokenStore::new(self.db.clone(), self.cipher.clone(), userid)
    }

    /// The application-wide rate limit: at most `requests` in any window of `period`, for
    /// every process sharing this database. Give the same limiter (or one made with the same
    /// numbers) to every client; tune the safety margin with [`PgLimiter::with_margin`].
    #[must_use]
    pub fn limiter(&self, requests: u32, period: Duration) -> PgLimiter {
        PgLimiter::new(self.db.clone(), requests, period)
    }

    /// The durable job queue.
    #[must_use]
    pub fn queue(&self) -> JobQueue {
        JobQueue::new(self.db.clone())
    }

    /// Records that a process of kind `name` (e.g. `"serve"`) is alive now, and returns how
    /// long it had not been, by the database clock: `None` the first time ever. Any process
    /// of that kind refreshes the same mark, so with several servers the gap is the time
    /// during which none was running.
    ///
    /// # Errors
    /// [`Error::Database`](crate::Error::Database) and [`Error::Connect`](crate::Error::Connect).
    pub async fn mark_alive(&self, name: &str) -> Result<Option<Duration>> {
        let client = self.db.client().await?;
        let row = client
            .query_one(
                concat!(
                    "WITH t AS (SELECT floor(",
                    now_x!(),
                    ")::bigint AS now), \
                     prev AS (SELECT seen_at FROM fleet_alive WHERE name = $1), \
                     up AS (INSERT INTO fleet_alive (name, seen_at) SELECT $1, t.now FROM t \
                     ON CONFLICT (name) DO UPDATE SET seen_at = EXCLUDED.seen_at) \
                     SELECT (SELECT t.now - prev.seen_at FROM t, prev)"
                ),
                &[&name],
            )
            .await?;
        let gap: Option<i64> = row.try_get(0)?;
        Ok(gap.map(|s| Duration::from_secs(u64::try_from(s).unwrap_or(0))))
    }
}
