//! `withings jobs`: what the shared queue holds, for an operator; and enqueueing work by hand.
//!
//! The listing is the queue's own ([`JobQueue::list`](withings_postgres::JobQueue::list), newest first, filtered by state and
//! user) with the number of jobs in each state ([`JobQueue::counts`](withings_postgres::JobQueue::counts)): parked jobs, with the
//! error of their last attempt, are the ones that need a person.

use withings_postgres::{Enqueued, Fleet, NewJob};
/// The queue's types, for callers that do not depend on `withings-postgres` (the CLI).
pub use withings_postgres::{JobFilter, JobKind, JobRow, JobState};

use crate::Result;

/// Jobs and the count of each state.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Listing {
    /// The jobs the filter selected, newest first.
    pub rows: Vec<JobRow>,
    /// How many jobs are in each state (all jobs, whatever the filter), in lifecycle order.
    pub counts: Vec<(JobState, i64)>,
}

impl Listing {
    /// A listing of `rows` and `counts` (counts sorted in lifecycle order).
    #[must_use]
    pub fn new(rows: Vec<JobRow>, mut counts: Vec<(JobState, i64)>) -> Self {
        counts.sort_by_key(|(state, _)| *state);
        Self { rows, counts }
    }
}

/// The jobs `filter` selects, and the counts per state.
///
/// # Errors
/// [`crate::Error::Postgres`].
pub async fn list(fleet: &Fleet, filter: &JobFilter) -> Result<Listing> {
    let queue = fleet.queue();
    let rows = queue.list(filter).await?;
    let counts = queue.counts().await?;
    Ok(Listing::new(rows, counts))
}

/// What [`reconcile_all`] enqueued.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Enqueueing {
    /// New jobs.
    pub queued: u64,
    /// Users who already had one queued (merged).
    pub merged: u64,
    /// Users skipped: no longer active, or at the queue's cap.
    pub skipped: u64,
}

/// Enqueues a [`Reconcile`](JobKind::Reconcile) job for every active user (`withings worker
/// --reconcile-all`): after the callback URL changed, or was down long enough for Withings
/// to drop subscriptions. Users who already have one queued are not queued twice.
///
/// # Errors
/// [`crate::Error::Postgres`].
pub async fn reconcile_all(fleet: &Fleet, cap: i64) -> Result<Enqueueing> {
    let queue = fleet.queue();
    let mut done = Enqueueing::default();
    for user in fleet.active_users().await? {
        match queue
            .enqueue(NewJob::new(user, JobKind::Reconcile), cap)
            .await?
        {
            Enqueued::Queued(_) => done.queued += 1,
            Enqueued::Merged(_) => done.merged += 1,
            _ => done.skipped += 1,
        }
    }
    Ok(done)
}
