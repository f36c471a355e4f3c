//! The durable job queue: what the server acknowledged and the workers must do.
//!
//! The server answers Withings 200 only once the job is committed here, so a notification
//! is never acknowledged and lost. Row locks do all the coordination: `FOR UPDATE SKIP
//! LOCKED` hands each job to one claimer without claimers waiting on each other, a lease
//! (renewed by heartbeats) lets another worker take over from one that died, and the user's
//! row serializes that user's enqueues (exact caps). No advisory lock is needed: every
//! decision is about rows that exist.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use tokio_postgres::Row;

use crate::fleet::{now_x, seconds};
use crate::{Database, Error, Result, UserStatus};

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// A Withings notification: sync the data types of its `appli` over its window.
    Notify,
    /// A catch-up: sync every data type (notifications can be lost).
    Sync,
    /// The user unlinked the application: cancel their jobs, mark them, maybe purge.
    Unlink,
    /// The user's profile changed (appli 46 other than unlink).
    ProfileUpdate,
    /// Bring the user's notification subscriptions in line with the configuration.
    Reconcile,
}

impl JobKind {
    /// The text stored in `fleet_jobs.kind`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Notify => "notify",
            Self::Sync => "sync",
            Self::Unlink => "unlink",
            Self::ProfileUpdate => "profile_update",
            Self::Reconcile => "reconcile",
        }
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "notify" => Ok(Self::Notify),
            "sync" => Ok(Self::Sync),
            "unlink" => Ok(Self::Unlink),
            "profile_update" => Ok(Self::ProfileUpdate),
            "reconcile" => Ok(Self::Reconcile),
            other => Err(Error::Corrupt(format!("unknown job kind {other:?}"))),
        }
    }
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobState {
    /// Waiting for a worker (from `run_after` on).
    Queued,
    /// Claimed by a worker that holds its lease.
    Running,
    /// Finished.
    Done,
    /// Failed its last allowed attempt: kept for an operator (`withings jobs`).
    Parked,
    /// Dropped (the user unlinked, or merged into another job).
    Cancelled,
}

impl JobState {
    /// Every state, in lifecycle order.
    pub const ALL: [Self; 5] = [
        Self::Queued,
        Self::Running,
        Self::Done,
        Self::Parked,
        Self::Cancelled,
    ];

    /// The text stored in `fleet_jobs.state`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Parked => "parked",
            Self::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobState {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| Error::Corrupt(format!("unknown job state {s:?}")))
    }
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// The Withings user.
    pub userid: String,
    /// What to do.
    pub kind: JobKind,
    /// The notification category (`appli`), for [`JobKind::Notify`].
    pub appli: Option<i32>,
    /// Start of the notified window (unix seconds).
    pub start: Option<i64>,
    /// End of the notified window (unix seconds).
    pub end: Option<i64>,
}

impl NewJob {
    /// A job of `kind` for `userid`, without appli or window.
    #[must_use]
    pub fn new(userid: impl Into<String>, kind: JobKind) -> Self {
        Self {
            userid: userid.into(),
            kind,
            appli: None,
            start: None,
            end: None,
        }
    }

    /// A notification job: `appli` over `[start, end]` (unix seconds, when given).
    #[must_use]
    pub fn notify(
        userid: impl Into<String>,
        appli: i32,
        start: Option<i64>,
        end: Option<i64>,
    ) -> Self {
        Self {
            userid: userid.into(),
            kind: JobKind::Notify,
            appli: Some(appli),
            start,
            end,
        }
    }
}

/// What [`JobQueue::enqueue`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Enqueued {
    /// A new job, with its id.
    Queued(i64),
    /// Merged into the queued job with this id (its window widened).
    Merged(i64),
    /// The user is unknown or not active: nothing was written.
    UnknownUser,
    /// The user already has the maximum of queued jobs: nothing was written.
    Capped,
}

/// The default per-user cooldown ([`JobQueue::with_cooldown`]): Withings' window for
/// identical requests.
pub const DEFAULT_COOLDOWN: Duration = Duration::from_secs(10);

/// The first key of the advisory locks that serialize claims per user (the second is a
/// hash of the user id); distinct from the limiter's and the migrations' keys.
const USER_CLAIM_LOCKS: i32 = 0x7769_7468; // "with"

/// A claimed job, for the worker that runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Job {
    /// The job's id.
    pub id: i64,
    /// The Withings user.
    pub userid: String,
    /// What to do.
    pub kind: JobKind,
    /// The notification category, for [`JobKind::Notify`].
    pub appli: Option<i32>,
    /// Start of the (merged) window, unix seconds.
    pub start: Option<i64>,
    /// End of the (merged) window, unix seconds.
    pub end: Option<i64>,
    /// Attempts so far, this one included (1 on the first run).
    pub attempts: i32,
    /// How many enqueues were merged into this job (1 when none).
    pub merged: i32,
    /// When the lease ends unless renewed ([`JobQueue::heartbeat`]), unix seconds of the
    /// database clock.
    pub lease_until: i64,
}

/// Everything about a job, for `withings jobs`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JobRow {
    /// The job's id.
    pub id: i64,
    /// The Withings user.
    pub userid: String,
    /// What to do.
    pub kind: JobKind,
    /// The notification category.
    pub appli: Option<i32>,
    /// Start of the window, unix seconds.
    pub start: Option<i64>,
    /// End of the window, unix seconds.
    pub end: Option<i64>,
    /// Where the job is.
    pub state: JobState,
    /// Attempts so far.
    pub attempts: i32,
    /// Not claimed before this instant (unix seconds).
    pub run_after: i64,
    /// The running worker's lease end (unix seconds).
    pub lease_until: Option<i64>,
    /// The worker that claimed it last.
    pub worker: Option<String>,
    /// The error of the last failed attempt.
    pub last_error: Option<String>,
    /// When it was enqueued (unix seconds).
    pub created_at: i64,
    /// When it last changed (unix seconds).
    pub updated_at: i64,
    /// How many enqueues it stands for.
    pub merged: i32,
}

/// Which jobs [`JobQueue::list`] returns: newest first, at most `limit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFilter {
    /// Only jobs in this state.
    pub state: Option<JobState>,
    /// Only this user's jobs.
    pub userid: Option<String>,
    /// At most this many rows.
    pub limit: i64,
}

impl Default for JobFilter {
    /// Every job, the newest 100.
    fn default() -> Self {
        Self {
            state: None,
            userid: None,
            limit: 100,
        }
    }
}

/// The columns of a [`JobRow`], in [`row_of`]'s order.
const ROW_COLUMNS: &str = "id, userid, kind, appli, start_at, end_at, state, attempts, run_after, \
                           lease_until, worker, last_error, created_at, updated_at, merged";

fn row_of(r: &Row) -> Result<JobRow> {
    Ok(JobRow {
        id: r.try_get(0)?,
        userid: r.try_get(1)?,
        kind: r.try_get::<_, &str>(2)?.parse()?,
        appli: r.try_get(3)?,
        start: r.try_get(4)?,
        end: r.try_get(5)?,
        state: r.try_get::<_, &str>(6)?.parse()?,
        attempts: r.try_get(7)?,
        run_after: r.try_get(8)?,
        lease_until: r.try_get(9)?,
        worker: r.try_get(10)?,
        last_error: r.try_get(11)?,
        created_at: r.try_get(12)?,
        updated_at: r.try_get(13)?,
        merged: r.try_get(14)?,
    })
}

/// The job queue in `fleet_jobs`. Cheap to clone.
///
/// Enqueueing locks the user's row (`FOR NO KEY UPDATE`) for its transaction: enqueues of
/// one user are serialized, which makes the per-user cap exact, while other users' enqueues
/// and every claim go on. Merging relies on a partial unique index (one *queued* job per
/// user, kind and appli) and `INSERT … ON CONFLICT … DO UPDATE`, so a burst of
/// notifications becomes one job whatever the interleaving. Claims use `FOR UPDATE SKIP
/// LOCKED`: claimers never wait on each other and never get the same job. A job whose
/// worker died is claimed again once its lease expires; since a job only writes through the
/// sync engine (idempotent upserts), running it twice changes nothing.
#[derive(Clone, Debug)]
pub struct JobQueue {
    db: Database,
    backoff: Duration,
    max_backoff: Duration,
    cooldown: Duration,
}

impl JobQueue {
    pub(crate) fn new(db: Database) -> Self {
        Self {
            db,
            backoff: Duration::from_secs(30),
            max_backoff: Duration::from_secs(3600),
            cooldown: DEFAULT_COOLDOWN,
        }
    }

    /// Sets the wait before a failed job is tried again: `base` after the first failure,
    /// doubling after each one, at most `max` (default 30 s doubling up to 1 h).
    #[must_use]
    pub fn with_backoff(mut self, base: Duration, max: Duration) -> Self {
        self.backoff = base;
        self.max_backoff = max;
        self
    }

    /// The least time between the end of a user's job and the start of their next one
    /// (10 s by default). A notification arriving while a user's job runs queues the next
    /// sync at once; run straight away, its requests would repeat the ones just sent, and
    /// Withings refuses a request repeated within 10 s with status 601. Waiting also lets
    /// a burst of notifications merge into that one queued job.
    #[must_use]
    pub fn with_cooldown(mut self, cooldown: Duration) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// The wait after the `attempts`-th failed attempt.
    fn backoff_after(&self, attempts: i32) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(0);
        self.backoff
            .saturating_mul(1u32 << doublings)
            .min(self.max_backoff)
    }

    /// Enqueues `job`, unless the user is unknown or not active ([`Enqueued::UnknownUser`]:
    /// nothing written, so forged POSTs cost nothing). A queued job with the same user, kind
    /// and appli absorbs it ([`Enqueued::Merged`]: its window widened to cover both — a
    /// missing bound is ignored — its `merged` count raised, no new row). A user who already
    /// has `cap` queued jobs (others than the one it would merge into) gets
    /// [`Enqueued::Capped`] (nothing written).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn enqueue(&self, job: NewJob, cap: i64) -> Result<Enqueued> {
        let mut client = self.db.client().await?;
        // The forged-POST path first, in one round trip and no transaction: a flood of
        // notifications for unknown users costs one indexed read each. (Checked again under
        // the row lock below, for a user unlinked in between.)
        let check = client
            .prepare_cached("SELECT status FROM fleet_users WHERE userid = $1")
            .await?;
        let known: Option<String> = client
            .query_opt(&check, &[&job.userid])
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        if known.as_deref() != Some(UserStatus::Active.as_str()) {
            return Ok(Enqueued::UnknownUser);
        }
        let tx = client.transaction().await?;
        let status: Option<String> = tx
            .query_opt(
                "SELECT status FROM fleet_users WHERE userid = $1 FOR NO KEY UPDATE",
                &[&job.userid],
            )
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        if status.as_deref() != Some(UserStatus::Active.as_str()) {
            // Dropping the transaction rolls it back: nothing was written.
            return Ok(Enqueued::UnknownUser);
        }
        let kind = job.kind.as_str();
        let counts = tx
            .query_one(
                "SELECT count(*) FILTER (WHERE kind = $2 AND appli IS NOT DISTINCT FROM $3), \
                 count(*) FILTER (WHERE NOT (kind = $2 AND appli IS NOT DISTINCT FROM $3)) \
                 FROM fleet_jobs WHERE userid = $1 AND state = 'queued'",
                &[&job.userid, &kind, &job.appli],
            )
            .await?;
        let same: i64 = counts.try_get(0)?;
        let others: i64 = counts.try_get(1)?;
        if same == 0 && others >= cap {
            return Ok(Enqueued::Capped);
        }
        let row = tx
            .query_one(
                concat!(
                    "WITH t AS (SELECT floor(",
                    now_x!(),
                    ")::bigint AS now) \
                     INSERT INTO fleet_jobs (userid, kind, appli, start_at, end_at, state, \
                     run_after, created_at, updated_at) \
                     SELECT $1, $2, $3, $4, $5, 'queued', t.now, t.now, t.now FROM t \
                     ON CONFLICT (userid, kind, (COALESCE(appli, -1))) WHERE state = 'queued' \
                     DO UPDATE SET start_at = LEAST(fleet_jobs.start_at, EXCLUDED.start_at), \
                     end_at = GREATEST(fleet_jobs.end_at, EXCLUDED.end_at), \
                     merged = fleet_jobs.merged + 1, updated_at = EXCLUDED.updated_at \
                     RETURNING id, (xmax = 0) AS inserted"
                ),
                &[&job.userid, &kind, &job.appli, &job.start, &job.end],
            )
            .await?;
        let id: i64 = row.try_get(0)?;
        let inserted: bool = row.try_get(1)?;
        tx.commit().await?;
        Ok(if inserted {
            Enqueued::Queued(id)
        } else {
            Enqueued::Merged(id)
        })
    }

    /// Claims the next job for `worker`: a queued one due now, or a running one whose lease
    /// expired (its worker died), oldest due first. It becomes running, leased to `worker`
    /// until `lease` from now, its attempts counted. `None` when there is nothing to do (or
    /// every candidate is being claimed by someone else at this instant).
    ///
    /// A user's jobs run one at a time, [`cooldown`](Self::with_cooldown) apart: a job is
    /// not handed out while another job of the same user runs under a live lease, nor
    /// within the cooldown after the user's last job ended. A job whose lease expired counts
    /// as running for one cooldown more (and is only then claimed again): its worker may be
    /// alive but stalled, its requests still going. Two syncs of one user at once would send the same
    /// requests (Withings refuses a repeat within 10 s with 601) and spend the budget twice.
    /// Claims of one user's jobs are serialized by an advisory lock on the user and the
    /// check is made again under it, so two workers claiming at the same instant never both
    /// get a job of the same user.
    ///
    /// # Errors
    /// [`Error::Database`]; [`Error::Corrupt`] for a row this build cannot read.
    pub async fn claim(&self, worker: &str, lease: Duration) -> Result<Option<Job>> {
        let mut client = self.db.client().await?;
        let cooldown = seconds(self.cooldown);
        // A candidate another claimer took for the same user a moment ago is given up and the
        // next one tried; a handful of tries covers any realistic race.
        for _ in 0..4 {
            let tx = client.transaction().await?;
            let Some(candidate) = tx
                .query_opt(
                    concat!(
                        "WITH t AS (SELECT ",
                        now_x!(),
                        " AS x) \
                         SELECT j.id, j.userid FROM fleet_jobs j, t \
                         WHERE ((j.state = 'queued' AND j.run_after <= t.x) \
                         OR (j.state = 'running' AND j.lease_until <= t.x - $1::float8)) \
                         AND NOT EXISTS (SELECT 1 FROM fleet_jobs r WHERE r.userid = j.userid \
                         AND r.state = 'running' AND r.lease_until > t.x - $1::float8 AND r.id <> j.id) \
                         AND NOT EXISTS (SELECT 1 FROM fleet_users u WHERE u.userid = j.userid \
                         AND u.last_ran_at > t.x - $1::float8) \
                         ORDER BY j.run_after, j.id LIMIT 1 FOR UPDATE OF j SKIP LOCKED"
                    ),
                    &[&cooldown],
                )
                .await?
            else {
                return Ok(None);
            };
            let id: i64 = candidate.try_get(0)?;
            let userid: &str = candidate.try_get(1)?;
            // One claim per user at a time across the fleet, then the check again with a
            // fresh snapshot: a claimer that took another job of this user while we chose
            // ours has committed by now, and we see it.
            tx.execute(
                "SELECT pg_advisory_xact_lock($1, hashtext($2))",
                &[&USER_CLAIM_LOCKS, &userid],
            )
            .await?;
            let busy: bool = tx
                .query_one(
                    concat!(
                        "WITH t AS (SELECT ",
                        now_x!(),
                        " AS x) \
                         SELECT EXISTS (SELECT 1 FROM fleet_jobs r, t WHERE r.userid = $1 \
                         AND r.state = 'running' AND r.lease_until > t.x - $3::float8 AND r.id <> $2) \
                         OR EXISTS (SELECT 1 FROM fleet_users u, t WHERE u.userid = $1 \
                         AND u.last_ran_at > t.x - $3::float8)"
                    ),
                    &[&userid, &id, &cooldown],
                )
                .await?
                .try_get(0)?;
            if busy {
                // Dropping the transaction rolls it back and frees the row.
                continue;
            }
            let r = tx
                .query_one(
                    concat!(
                        "WITH t AS (SELECT ",
                        now_x!(),
                        " AS x) \
                         UPDATE fleet_jobs SET state = 'running', worker = $2, \
                         lease_until = ceil(t.x + $3::float8)::bigint, attempts = attempts + 1, \
                         updated_at = floor(t.x)::bigint \
                         FROM t WHERE fleet_jobs.id = $1 \
                         RETURNING fleet_jobs.id, userid, kind, appli, start_at, end_at, attempts, \
                         merged, lease_until"
                    ),
                    &[&id, &worker, &seconds(lease)],
                )
                .await?;
            let job = Job {
                id: r.try_get(0)?,
                userid: r.try_get(1)?,
                kind: r.try_get::<_, &str>(2)?.parse()?,
                appli: r.try_get(3)?,
                start: r.try_get(4)?,
                end: r.try_get(5)?,
                attempts: r.try_get(6)?,
                merged: r.try_get(7)?,
                lease_until: r.try_get(8)?,
            };
            tx.commit().await?;
            return Ok(Some(job));
        }
        Ok(None)
    }

    /// Extends the lease of job `id` to `lease` from now; `false` when `worker` no longer
    /// holds it (claimed by another after its lease expired, cancelled, finished): the worker
    /// should stop working on it.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn heartbeat(&self, id: i64, worker: &str, lease: Duration) -> Result<bool> {
        let client = self.db.client().await?;
        let n = client
            .execute(
                concat!(
                    "WITH t AS (SELECT ",
                    now_x!(),
                    " AS x) \
                     UPDATE fleet_jobs SET lease_until = ceil(t.x + $3::float8)::bigint, \
                     updated_at = floor(t.x)::bigint FROM t \
                     WHERE id = $1 AND worker = $2 AND state = 'running'"
                ),
                &[&id, &worker, &seconds(lease)],
            )
            .await?;
        Ok(n == 1)
    }

    /// Marks job `id` done, when `worker` still holds it (otherwise nothing changes: the job
    /// was cancelled, or claimed again by another worker whose run counts).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn complete(&self, id: i64, worker: &str) -> Result<()> {
        let client = self.db.client().await?;
        let n = client
            .execute(
                concat!(
                    "WITH t AS (SELECT ",
                    now_x!(),
                    " AS x), \
                     done AS (UPDATE fleet_jobs SET state = 'done', lease_until = NULL, \
                     updated_at = floor(t.x)::bigint FROM t \
                     WHERE id = $1 AND worker = $2 AND state = 'running' RETURNING userid) \
                     UPDATE fleet_users SET last_ran_at = t.x FROM t, done \
                     WHERE fleet_users.userid = done.userid"
                ),
                &[&id, &worker],
            )
            .await?;
        if n == 0 {
            tracing::warn!(
                job = id,
                worker,
                "finished a job this worker no longer holds; left as it is"
            );
        }
        Ok(())
    }

    /// Gives job `id` back, due now, without counting the attempt (the worker shuts down
    /// before finishing it). Nothing changes when `worker` does not hold it.
    ///
    /// # Errors
    /// [`Error::Config`] when there is no job `id`; [`Error::Database`].
    pub async fn release(&self, id: i64, worker: &str) -> Result<()> {
        self.requeue(id, worker, Requeue::Release).await.map(drop)
    }

    /// Records a failed attempt of job `id`: parked with `error` once it has had
    /// `max_attempts` attempts, else queued again after a backoff
    /// ([`with_backoff`](Self::with_backoff)). Returns the job's state now: `Parked` or
    /// `Queued` (also when it was merged into a job of the same key queued meanwhile), or the
    /// state it has when `worker` no longer holds it (nothing is changed then).
    ///
    /// # Errors
    /// [`Error::Config`] when there is no job `id`; [`Error::Database`]; [`Error::Corrupt`].
    pub async fn fail(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        max_attempts: i32,
    ) -> Result<JobState> {
        self.requeue(
            id,
            worker,
            Requeue::Fail {
                error,
                max_attempts,
            },
        )
        .await
    }

    /// Puts a running job back in the queue (or parks it). A queued job with the same key may
    /// have been enqueued meanwhile (the unique index allows one): then this one's window is
    /// merged into it and this row is cancelled, pointing at it.
    async fn requeue(&self, id: i64, worker: &str, how: Requeue<'_>) -> Result<JobState> {
        let mut client = self.db.client().await?;
        let tx = client.transaction().await?;
        // The user row first, then the job: the order `enqueue` takes its locks in.
        let Some(userid) = tx
            .query_opt("SELECT userid FROM fleet_jobs WHERE id = $1", &[&id])
            .await?
        else {
            return Err(Error::Config(format!("there is no job {id}")));
        };
        let userid: String = userid.try_get(0)?;
        tx.execute(
            "SELECT 1 FROM fleet_users WHERE userid = $1 FOR NO KEY UPDATE",
            &[&userid],
        )
        .await?;
        let job = tx
            .query_one(
                &format!("SELECT {ROW_COLUMNS} FROM fleet_jobs WHERE id = $1 FOR UPDATE"),
                &[&id],
            )
            .await?;
        let job = row_of(&job)?;
        if job.state != JobState::Running || job.worker.as_deref() != Some(worker) {
            return Ok(job.state);
        }
        // The job ends here (for now): the user's cooldown starts.
        tx.execute(
            concat!(
                "UPDATE fleet_users SET last_ran_at = ",
                now_x!(),
                " WHERE userid = $1"
            ),
            &[&userid],
        )
        .await?;
        let (error, attempts, delay) = match how {
            Requeue::Release => (None, job.attempts.saturating_sub(1).max(0), Duration::ZERO),
            Requeue::Fail {
                error,
                max_attempts,
            } => {
                if job.attempts >= max_attempts {
                    tx.execute(
                        concat!(
                            "UPDATE fleet_jobs SET state = 'parked', last_error = $2, \
                             lease_until = NULL, updated_at = floor(",
                            now_x!(),
                            ")::bigint WHERE id = $1"
                        ),
                        &[&id, &error],
                    )
                    .await?;
                    tx.commit().await?;
                    return Ok(JobState::Parked);
                }
                (Some(error), job.attempts, self.backoff_after(job.attempts))
            }
        };
        let sibling = tx
            .query_opt(
                "SELECT id FROM fleet_jobs WHERE userid = $1 AND kind = $2 \
                 AND appli IS NOT DISTINCT FROM $3 AND state = 'queued' FOR UPDATE",
                &[&job.userid, &job.kind.as_str(), &job.appli],
            )
            .await?;
        if let Some(sibling) = sibling {
            let sibling: i64 = sibling.try_get(0)?;
            tx.execute(
                concat!(
                    "UPDATE fleet_jobs SET start_at = LEAST(start_at, $2), \
                     end_at = GREATEST(end_at, $3), merged = merged + $4, updated_at = floor(",
                    now_x!(),
                    ")::bigint WHERE id = $1"
                ),
                &[&sibling, &job.start, &job.end, &job.merged],
            )
            .await?;
            let note = match error {
                Some(e) => format!("{e} (then merged into job {sibling})"),
                None => format!("released, merged into job {sibling}"),
            };
            tx.execute(
                concat!(
                    "UPDATE fleet_jobs SET state = 'cancelled', last_error = $2, \
                     lease_until = NULL, updated_at = floor(",
                    now_x!(),
                    ")::bigint WHERE id = $1"
                ),
                &[&id, &note],
            )
            .await?;
        } else {
            tx.execute(
                concat!(
                    "WITH t AS (SELECT ",
                    now_x!(),
                    " AS x) \
                     UPDATE fleet_jobs SET state = 'queued', lease_until = NULL, \
                     run_after = CASE WHEN $2::float8 > 0 \
                     THEN ceil(t.x + $2::float8)::bigint ELSE floor(t.x)::bigint END, attempts = $3, \
                     last_error = COALESCE($4, last_error), updated_at = floor(t.x)::bigint \
                     FROM t WHERE id = $1"
                ),
                &[&id, &seconds(delay), &attempts, &error],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(JobState::Queued)
    }

    /// Cancels every queued or running job of `userid` (a running job's worker learns it at
    /// its next [`heartbeat`](Self::heartbeat)), except a running [`JobKind::Unlink`]: the
    /// job that calls this ends as done, not cancelled by itself. Returns how many.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn cancel_user(&self, userid: &str) -> Result<u64> {
        let client = self.db.client().await?;
        Ok(client
            .execute(
                concat!(
                    "UPDATE fleet_jobs SET state = 'cancelled', lease_until = NULL, \
                     last_error = COALESCE(last_error, 'cancelled'), updated_at = floor(",
                    now_x!(),
                    ")::bigint WHERE userid = $1 AND state IN ('queued', 'running') \
                     AND NOT (state = 'running' AND kind = 'unlink')"
                ),
                &[&userid],
            )
            .await?)
    }

    /// The jobs `filter` selects, newest first.
    ///
    /// # Errors
    /// [`Error::Database`]; [`Error::Corrupt`].
    pub async fn list(&self, filter: &JobFilter) -> Result<Vec<JobRow>> {
        let client = self.db.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {ROW_COLUMNS} FROM fleet_jobs \
                     WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR userid = $2) \
                     ORDER BY id DESC LIMIT $3"
                ),
                &[
                    &filter.state.map(JobState::as_str),
                    &filter.userid,
                    &filter.limit.max(0),
                ],
            )
            .await?;
        rows.iter().map(row_of).collect()
    }

    /// How many jobs are in each state, in [`JobState::ALL`] order (states with none are left
    /// out).
    ///
    /// # Errors
    /// [`Error::Database`]; [`Error::Corrupt`].
    pub async fn counts(&self) -> Result<Vec<(JobState, i64)>> {
        let client = self.db.client().await?;
        let rows = client
            .query("SELECT state, count(*) FROM fleet_jobs GROUP BY state", &[])
            .await?;
        let mut counts = rows
            .iter()
            .map(|r| Ok((r.try_get::<_, &str>(0)?.parse()?, r.try_get(1)?)))
            .collect::<Result<Vec<(JobState, i64)>>>()?;
        counts.sort_unstable();
        Ok(counts)
    }

    /// Enqueues a catch-up ([`JobKind::Sync`]) for every active user whose last catch-up is
    /// at least `every` old (or who never had one), merging with a catch-up already queued,
    /// and stamps those users; returns how many users got one. Several workers may call it
    /// at once: a user being stamped by one is skipped by the others.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn schedule_catchups(&self, every: Duration) -> Result<u64> {
        let client = self.db.client().await?;
        Ok(client
            .execute(
                concat!(
                    "WITH t AS (SELECT floor(",
                    now_x!(),
                    ")::bigint AS now), \
                     due AS (SELECT u.userid FROM fleet_users u, t WHERE u.status = 'active' \
                     AND (u.last_catchup_at IS NULL OR u.last_catchup_at <= t.now - $1) \
                     FOR NO KEY UPDATE OF u SKIP LOCKED), \
                     ins AS (INSERT INTO fleet_jobs (userid, kind, state, run_after, created_at, \
                     updated_at) SELECT due.userid, 'sync', 'queued', t.now, t.now, t.now \
                     FROM due, t \
                     ON CONFLICT (userid, kind, (COALESCE(appli, -1))) WHERE state = 'queued' \
                     DO UPDATE SET merged = fleet_jobs.merged + 1, updated_at = EXCLUDED.updated_at) \
                     UPDATE fleet_users SET last_catchup_at = t.now FROM t, due \
                     WHERE fleet_users.userid = due.userid"
                ),
                &[&i64::try_from(every.as_secs()).unwrap_or(i64::MAX)],
            )
            .await?)
    }
}

/// What [`JobQueue::requeue`] does with a running job.
enum Requeue<'a> {
    /// Back to the queue, due now, the attempt not counted.
    Release,
    /// A failed attempt: retried after a backoff, or parked after `max_attempts`.
    Fail { error: &'a str, max_attempts: i32 },
}
