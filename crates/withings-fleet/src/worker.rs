//! `withings worker`: claims jobs from the shared queue and runs them.
//!
//! A worker runs up to [`Settings::concurrency`] jobs at once. Each job is claimed with a
//! lease ([`JobQueue::claim`]) that a heartbeat extends while it runs, so a worker that dies
//! (SIGKILL, a lost machine) leaves its jobs to another one once the lease runs out. What a
//! job does depends on its kind:
//!
//! - [`Notify`](JobKind::Notify) (a notification for one appli) and the periodic catch-up
//!   [`Sync`](JobKind::Sync): the sync engine ([`withings_sync::Sync`]) for that user, into
//!   PostgreSQL ([`PgStore`]), with the data types of the appli ([`data_types_for`]) or all
//!   of them. The sync engine is the only way data is fetched: its cursors (`lastupdate`)
//!   decide what to ask for, so the notified window is a prompt, not a filter, and a burst
//!   of notifications for one user × appli, merged into one job by the queue, costs one
//!   sync. A catch-up also reconciles the user's subscriptions first
//!   ([`crate::reconcile`]): a subscription Withings dropped after failed deliveries comes
//!   back with the next catch-up.
//! - [`Unlink`](JobKind::Unlink) (appli 46, `unlink` or `delete`): the user's other jobs are
//!   cancelled, the user is marked [`Unlinked`](UserStatus::Unlinked), and their data and
//!   tokens are deleted when [`Settings::purge_on_unlink`] says so.
//! - [`ProfileUpdate`](JobKind::ProfileUpdate) (appli 46, `update`): the parts of the profile
//!   the sync keeps, devices and goals, are read again.
//! - [`Reconcile`](JobKind::Reconcile): the user's subscriptions ([`crate::reconcile`]).
//!
//! Every job is at-least-once: a job whose worker died is run again. That changes nothing,
//! because a job writes only through the sync engine (idempotent upserts, each page with its
//! cursor in one transaction) and the reconciler (which compares before it changes).
//!
//! When a job fails:
//! - Withings refused the user's grant ([`ErrorKind::Auth`]: the refresh token was refused,
//!   or no token is left): the user is marked [`Reauthorize`](UserStatus::Reauthorize), the
//!   job is done and never retried, and jobs of users who are not active are skipped. (A
//!   wrong client secret also makes Withings refuse refreshes: check the configuration before
//!   asking users to reconnect.)
//! - anything else: [`JobQueue::fail`] queues it again after a backoff, or parks it with its
//!   error after [`Settings::max_attempts`] tries; parked jobs show in `withings jobs`.
//!
//! Each worker also runs the scheduler every [`Settings::schedule_every`]:
//! [`JobQueue::schedule_catchups`] enqueues a catch-up for every active user whose last one
//! is older than [`Settings::catchup_every`]. It decides in the database, so any number of
//! workers running it enqueue each catch-up once.
//!
//! Shutdown ([`Worker::run`]'s `shutdown` future, SIGTERM/SIGINT in the CLI): no new claim,
//! the running jobs get [`Settings::grace`] to finish, and those still running are stopped
//! and [released](JobQueue::release) to the queue for another worker, their attempt not
//! counted.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;
use withings::model::notify::Appli;
use withings::{AppCredentials, CallbackUrl, Clock, ErrorKind, SystemClock};
use withings_postgres::{Fleet, Job, JobKind, JobQueue, JobState, PgLimiter, PgStore, UserStatus};
use withings_sync::{DataType, SyncOptions};

use crate::error::error_chain as chain;
use crate::{Error, FleetConfig, Result};

/// The data types a notification of `appli` announces, for the sync engine; `None` when
/// it announces nothing the sync keeps. The one place this mapping is made (API notes §7.8):
///
/// | appli | data types |
/// |---|---|
/// | 1 weight, 2 temperature, 4 blood pressure, 58 glucose | measures |
/// | 16 activity | activity, workouts |
/// | 44 sleep | sleep summaries, sleep segments (of the nights that changed) |
/// | 54 ECG | heart, measures (the ECG's intervals and AFib results are measure types) |
/// | 46 user | devices, goals (the profile, for `update`; `unlink`/`delete` are their own job) |
/// | 50, 51 bed in/out, 52 inflate done, 53 no account, 55 ECG failed, unknown | — |
///
/// Intraday samples are opt-in in the sync engine and not fetched on notification.
///
/// ```
/// use withings::model::notify::Appli;
/// use withings_fleet::worker::data_types_for;
/// use withings_sync::DataType;
///
/// assert_eq!(data_types_for(Appli::Weight), Some(vec![DataType::Measures]));
/// assert_eq!(data_types_for(Appli::BedIn), None);
/// ```
#[must_use]
pub fn data_types_for(appli: Appli) -> Option<Vec<DataType>> {
    use DataType as D;
    let types = match appli {
        Appli::Weight | Appli::Temperature | Appli::BloodPressure | Appli::Glucose => {
            vec![D::Measures]
        }
        Appli::Activity => vec![D::Activity, D::Workouts],
        Appli::Sleep => vec![D::SleepSummaries, D::SleepSegments],
        Appli::Ecg => vec![D::Heart, D::Measures],
        Appli::User => vec![D::Devices, D::Goals],
        _ => return None,
    };
    Some(types)
}

/// How a worker behaves, and what it needs to call Withings. Made from the configuration
/// ([`Settings::from_config`]) or, in tests, with [`Settings::new`] and its fields.
///
/// `Debug` leaves out the callback URL (it holds the notification secret) and the
/// credentials print their secret redacted.
#[derive(Clone)]
#[non_exhaustive]
pub struct Settings {
    /// This worker's name, recorded on the jobs it claims (unique in the fleet).
    pub id: String,
    /// The application's credentials (refreshing tokens needs them).
    pub credentials: AppCredentials,
    /// The API base URL (`None`: Withings').
    pub base_url: Option<String>,
    /// The application-wide rate limit shared by the fleet: at most this many requests...
    pub rate_requests: u32,
    /// ...in any window of this period.
    pub rate_period: Duration,
    /// Added to the period by the shared limiter, for the network's jitter (`None`: the
    /// limiter's default).
    pub rate_margin: Option<Duration>,
    /// The callback URL notifications are sent to (`None`: subscriptions are not managed).
    pub callback: Option<CallbackUrl>,
    /// The applis every user is subscribed to.
    pub applis: Vec<Appli>,
    /// How many jobs run at once.
    pub concurrency: usize,
    /// How long a claim holds a job before another worker may take it over.
    pub lease: Duration,
    /// How often a running job's lease is extended (well under `lease`).
    pub heartbeat: Duration,
    /// Tries before a failing job is parked.
    pub max_attempts: i32,
    /// How long running jobs may take to finish after the shutdown signal.
    pub grace: Duration,
    /// How long an idle worker waits before it looks at the queue again.
    pub poll: Duration,
    /// How often each active user gets a catch-up sync.
    pub catchup_every: Duration,
    /// How often this worker runs the scheduler.
    pub schedule_every: Duration,
    /// Whether an unlinked user's data and tokens are deleted.
    pub purge_on_unlink: bool,
    /// The wait before a failed job is tried again, doubling with each failure...
    pub backoff: Duration,
    /// ...up to this.
    pub max_backoff: Duration,
    /// How close to its expiry an access token is refreshed before a call.
    pub refresh_margin: Duration,
    /// The least time between the end of a user's job and the start of their next
    /// ([`JobQueue::with_cooldown`](withings_postgres::JobQueue::with_cooldown)).
    pub cooldown: Duration,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("id", &self.id)
            .field("credentials", &self.credentials)
            .field("base_url", &self.base_url)
            .field("rate_requests", &self.rate_requests)
            .field("rate_period", &self.rate_period)
            .field("rate_margin", &self.rate_margin)
            .field("callback", &self.callback.as_ref().map(|_| "[redacted]"))
            .field("applis", &self.applis)
            .field("concurrency", &self.concurrency)
            .field("lease", &self.lease)
            .field("heartbeat", &self.heartbeat)
            .field("max_attempts", &self.max_attempts)
            .field("grace", &self.grace)
            .field("poll", &self.poll)
            .field("catchup_every", &self.catchup_every)
            .field("schedule_every", &self.schedule_every)
            .field("purge_on_unlink", &self.purge_on_unlink)
            .field("backoff", &self.backoff)
            .field("max_backoff", &self.max_backoff)
            .finish()
    }
}

impl Settings {
    /// Settings with the defaults: 4 jobs at once, a 60 s lease extended every 20 s, 5
    /// tries, 30 s of grace, a 1 s poll, a catch-up a day checked every minute, Withings'
    /// 120 requests a minute, no callback URL, data kept on unlink.
    #[must_use]
    pub fn new(id: impl Into<String>, credentials: AppCredentials) -> Self {
        Self {
            id: id.into(),
            credentials,
            base_url: None,
            rate_requests: 120,
            rate_period: Duration::from_secs(60),
            rate_margin: None,
            callback: None,
            applis: Vec::new(),
            concurrency: 4,
            lease: Duration::from_secs(60),
            heartbeat: Duration::from_secs(20),
            max_attempts: 5,
            grace: Duration::from_secs(30),
            poll: Duration::from_secs(1),
            catchup_every: Duration::from_secs(24 * 3600),
            schedule_every: Duration::from_secs(60),
            purge_on_unlink: false,
            backoff: Duration::from_secs(30),
            max_backoff: Duration::from_secs(3600),
            // The client's own default: refreshed 5 minutes before expiry.
            refresh_margin: Duration::from_secs(300),
            cooldown: withings_postgres::DEFAULT_COOLDOWN,
        }
    }

    /// The settings of worker `id` from the fleet's configuration: its `[withings]`,
    /// `[rate_limit]` and `[worker]` sections, `shutdown_grace`, and the notification URL
    /// (`<public_url>/notify/<secret>`) the reconciler subscribes. The scheduler runs every
    /// minute (or every quarter of `catchup_every`, when shorter).
    ///
    /// # Errors
    /// [`Error::Config`] when the notification URL is not one Withings could call.
    pub fn from_config(config: &FleetConfig, id: impl Into<String>) -> Result<Self> {
        let w = &config.withings;
        let mut s = Self::new(
            id,
            AppCredentials::new(w.client_id.clone(), w.client_secret.clone()),
        );
        s.base_url.clone_from(&w.base_url);
        s.rate_requests = config.rate_limit.requests;
        s.rate_period = config.rate_limit.period;
        s.rate_margin = Some(config.rate_limit.margin);
        let callback = config.notify_callback()?;
        s.callback = Some(callback);
        s.applis.clone_from(&w.applis);
        let c = &config.worker;
        s.concurrency = c.jobs_in_flight;
        s.lease = c.lease;
        s.heartbeat = c.heartbeat;
        s.poll = c.poll;
        s.max_attempts = c.max_attempts;
        s.catchup_every = c.catchup_every;
        s.schedule_every =
            (c.catchup_every / 4).clamp(Duration::from_secs(1), Duration::from_secs(60));
        s.purge_on_unlink = c.purge_on_unlink;
        s.refresh_margin = c.refresh_margin;
        s.cooldown = c.cooldown;
        s.grace = config.shutdown_grace;
        Ok(s)
    }
}

/// `withings worker`: the worker named `worker_id` with `config`'s settings, until
/// `shutdown` resolves (see [`Worker::run`]).
///
/// # Errors
/// [`Error::Postgres`] when the database cannot be opened at start; [`Error::Config`].
pub async fn run(
    config: &FleetConfig,
    worker_id: &str,
    shutdown: impl Future<Output = ()>,
) -> Result<Stats> {
    let settings = Settings::from_config(config, worker_id)?;
    let fleet = config.open_fleet().await?;
    Worker::new(fleet, settings).run(shutdown).await
}

/// What became of one claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Done; what it did.
    Done(String),
    /// Withings refused the user's grant: the user is marked re-authorize, the job done.
    Reauthorize(String),
    /// Failed with this error; the job is now `state` (queued again, or parked).
    Failed {
        /// The error, its causes included.
        error: String,
        /// Where the job went (`None`: the queue could not be told; the lease will expire).
        state: Option<JobState>,
    },
    /// Stopped at shutdown and given back to the queue.
    Released,
    /// The heartbeat found the lease taken over by another worker: stopped.
    LeaseLost,
}

/// A job and what became of it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Ran {
    /// The job as claimed.
    pub job: Job,
    /// What became of it.
    pub outcome: Outcome,
}

/// What a [`Worker::run`] did, counted by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Jobs done.
    pub done: u64,
    /// Users marked re-authorize.
    pub reauthorize: u64,
    /// Jobs failed (queued again or parked).
    pub failed: u64,
    /// Jobs released at shutdown.
    pub released: u64,
    /// Jobs stopped because another worker took them over.
    pub lease_lost: u64,
}

impl Stats {
    fn count(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Done(_) => self.done += 1,
            Outcome::Reauthorize(_) => self.reauthorize += 1,
            Outcome::Failed { .. } => self.failed += 1,
            Outcome::Released => self.released += 1,
            Outcome::LeaseLost => self.lease_lost += 1,
        }
    }
}

/// Why a job did not succeed.
enum JobError {
    /// Withings refused the grant.
    DeadGrant(String),
    /// Anything else: retried.
    Failed(String),
}

impl From<Error> for JobError {
    fn from(e: Error) -> Self {
        if is_dead_grant(&e) {
            Self::DeadGrant(chain(&e))
        } else {
            Self::Failed(chain(&e))
        }
    }
}

impl From<withings_postgres::Error> for JobError {
    fn from(e: withings_postgres::Error) -> Self {
        Error::from(e).into()
    }
}

/// Whether Withings refused the user's grant for good: a refused refresh token, a token
/// refused again after a refresh, or no token left (all [`ErrorKind::Auth`]).
fn is_dead_grant(e: &Error) -> bool {
    let api = match e {
        Error::Withings(w) => Some(w),
        Error::Sync(s) => s.api(),
        _ => None,
    };
    api.is_some_and(|w| w.http_kind() == Some(ErrorKind::Auth))
}

/// A worker: a handle on the queue, the store and the shared limiter. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Worker {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    fleet: Fleet,
    queue: JobQueue,
    store: PgStore,
    /// One limiter for the process, shared by every client it builds.
    limiter: Arc<PgLimiter>,
    settings: Settings,
    clock: Arc<dyn Clock>,
}

impl Worker {
    /// A worker on `fleet` (a migrated database), reading the system clock.
    #[must_use]
    pub fn new(fleet: Fleet, settings: Settings) -> Self {
        Self::with_clock(fleet, settings, Arc::new(SystemClock))
    }

    /// A worker whose "now" (token expiry, the sync's `synced_at`) comes from `clock`: the
    /// sandbox's, in tests.
    #[must_use]
    pub fn with_clock(fleet: Fleet, settings: Settings, clock: Arc<dyn Clock>) -> Self {
        let mut limiter = fleet.limiter(settings.rate_requests, settings.rate_period);
        if let Some(margin) = settings.rate_margin {
            limiter = limiter.with_margin(margin);
        }
        Self {
            inner: Arc::new(Inner {
                queue: fleet
                    .queue()
                    .with_backoff(settings.backoff, settings.max_backoff)
                    .with_cooldown(settings.cooldown),
                store: PgStore::new(fleet.database().clone()),
                limiter: Arc::new(limiter),
                settings,
                clock,
                fleet,
            }),
        }
    }

    /// The settings.
    #[must_use]
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// A client for `userid`: their tokens in PostgreSQL, the process's shared limiter.
    ///
    /// # Errors
    /// [`Error::Withings`] when the base URL is unusable.
    pub fn client(&self, userid: &str) -> Result<withings::Client> {
        let s = &self.inner.settings;
        let mut b = withings::Client::builder()
            .credentials(s.credentials.clone())
            .token_store(self.inner.fleet.token_store(userid))
            .rate_limiter(self.inner.limiter.clone())
            .refresh_margin(s.refresh_margin)
            .clock(self.inner.clock.clone());
        if let Some(url) = &s.base_url {
            b = b.base_url(url.clone());
        }
        b.build().map_err(|e| Error::Withings(e.into()))
    }

    /// Claims one job and runs it to its end (heartbeats included); `None` when no job is
    /// due. For tests and one-shot tools: [`run`](Self::run) is the worker's loop.
    ///
    /// # Errors
    /// [`Error::Postgres`] when the claim fails.
    pub async fn run_one(&self) -> Result<Option<Ran>> {
        let lease = self.inner.settings.lease;
        match self
            .inner
            .queue
            .claim(&self.inner.settings.id, lease)
            .await?
        {
            Some(job) => Ok(Some(self.clone().run_job(job).await)),
            None => Ok(None),
        }
    }

    /// Runs the scheduler once: enqueues the catch-ups that are due. Returns how many.
    ///
    /// # Errors
    /// [`Error::Postgres`].
    pub async fn schedule(&self) -> Result<u64> {
        let every = self.inner.settings.catchup_every;
        Ok(self.inner.queue.schedule_catchups(every).await?)
    }

    /// The worker's loop, until `shutdown` resolves: claims jobs (at most
    /// [`Settings::concurrency`] at once), runs them, runs the scheduler; then lets the
    /// running jobs finish within [`Settings::grace`] and releases the others.
    ///
    /// A database that cannot be reached is waited for (logged), never a reason to exit.
    ///
    /// # Errors
    /// None at present: failures are per job and logged; the `Result` leaves room for a
    /// fatal condition.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) -> Result<Stats> {
        let s = &self.inner.settings;
        let mut shutdown = std::pin::pin!(shutdown);
        let mut running: JoinSet<Ran> = JoinSet::new();
        let mut claimed: HashMap<tokio::task::Id, Job> = HashMap::new();
        let mut stats = Stats::default();
        let mut next_schedule = Instant::now();
        let mut backoff = s.poll;
        tracing::info!(worker = %s.id, concurrency = s.concurrency, "worker started");
        loop {
            if Instant::now() >= next_schedule {
                match self.schedule().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(catchups = n, "catch-up syncs enqueued"),
                    Err(e) => {
                        tracing::warn!(error = %chain(&e), "scheduler failed; retrying later")
                    }
                }
                next_schedule = Instant::now() + s.schedule_every;
            }
            let mut wait = None;
            while running.len() < s.concurrency.max(1) {
                match self.inner.queue.claim(&s.id, s.lease).await {
                    Ok(Some(job)) => {
                        backoff = s.poll;
                        let handle = running.spawn(self.clone().run_job(job.clone()));
                        claimed.insert(handle.id(), job);
                    }
                    Ok(None) => {
                        wait = Some(s.poll);
                        break;
                    }
                    Err(e) => {
                        // The database is away: wait longer each time, up to a minute.
                        tracing::warn!(error = %chain(&e), wait_ms = backoff.as_millis(), "cannot claim a job");
                        wait = Some(backoff);
                        backoff = (backoff * 2).min(Duration::from_secs(60));
                        break;
                    }
                }
            }
            let until_schedule = next_schedule.saturating_duration_since(Instant::now());
            let wait = wait.unwrap_or(until_schedule).min(until_schedule);
            tokio::select! {
                () = &mut shutdown => break,
                Some(joined) = running.join_next_with_id(), if !running.is_empty() => {
                    settle(joined, &mut claimed, &mut stats);
                }
                () = tokio::time::sleep(wait) => {}
            }
        }
        tracing::info!(
            running = running.len(),
            grace_ms = s.grace.as_millis(),
            "shutting down"
        );
        let deadline = Instant::now() + s.grace;
        while !running.is_empty() {
            match tokio::time::timeout_at(deadline, running.join_next_with_id()).await {
                Ok(Some(joined)) => settle(joined, &mut claimed, &mut stats),
                Ok(None) | Err(_) => break,
            }
        }
        running.abort_all();
        while let Some(joined) = running.join_next_with_id().await {
            // A job that finished while being aborted is settled; the others are released.
            if joined.is_ok() {
                settle(joined, &mut claimed, &mut stats);
            }
        }
        for (_, job) in claimed.drain() {
            match self.inner.queue.release(job.id, &s.id).await {
                Ok(()) => tracing::info!(job = job.id, "job released"),
                Err(e) => {
                    tracing::warn!(job = job.id, error = %chain(&e), "cannot release a job; its lease will expire");
                }
            }
            stats.count(&Outcome::Released);
        }
        tracing::info!(?stats, "worker stopped");
        Ok(stats)
    }

    /// Runs `job` with its heartbeat, then tells the queue how it went.
    async fn run_job(self, job: Job) -> Ran {
        let outcome = tokio::select! {
            result = self.execute(&job) => self.finish(&job, result).await,
            () = self.heartbeat(job.id) => Outcome::LeaseLost,
        };
        match &outcome {
            Outcome::Done(what) => {
                tracing::info!(job = job.id, user = %job.userid, kind = ?job.kind, "{what}")
            }
            Outcome::Failed { error, state } => {
                tracing::warn!(job = job.id, user = %job.userid, kind = ?job.kind, ?state, "job failed: {error}")
            }
            other => {
                tracing::warn!(job = job.id, user = %job.userid, kind = ?job.kind, "{other:?}")
            }
        }
        Ran { job, outcome }
    }

    /// Extends the lease of job `id` every [`Settings::heartbeat`]; returns when the lease
    /// is found to belong to someone else.
    async fn heartbeat(&self, id: i64) {
        let s = &self.inner.settings;
        // A zero setting must not turn the heartbeat into a busy loop on the database.
        let every = s.heartbeat.max(Duration::from_millis(100));
        loop {
            tokio::time::sleep(every).await;
            match self.inner.queue.heartbeat(id, &s.id, s.lease).await {
                Ok(true) => {}
                Ok(false) => return,
                // The database is away: the lease may expire and the job run twice, which
                // changes nothing; keep working.
                Err(e) => tracing::warn!(job = id, error = %chain(&e), "heartbeat failed"),
            }
        }
    }

    /// Records the result of a job in the queue.
    async fn finish(&self, job: &Job, result: Result<String, JobError>) -> Outcome {
        let s = &self.inner.settings;
        let q = &self.inner.queue;
        match result {
            Ok(what) => {
                if let Err(e) = q.complete(job.id, &s.id).await {
                    tracing::warn!(job = job.id, error = %chain(&e), "cannot mark the job done; it will run again (harmlessly)");
                }
                Outcome::Done(what)
            }
            Err(JobError::DeadGrant(why)) => {
                let reason = format!("Withings refused the grant: {why}");
                let marked = self
                    .inner
                    .fleet
                    .set_user_status(&job.userid, UserStatus::Reauthorize, &reason)
                    .await;
                match marked {
                    Ok(()) => {
                        if let Err(e) = q.complete(job.id, &s.id).await {
                            tracing::warn!(job = job.id, error = %chain(&e), "cannot mark the job done");
                        }
                        Outcome::Reauthorize(reason)
                    }
                    Err(e) => {
                        self.fail(
                            job,
                            &format!("{reason}; and marking the user failed: {}", chain(&e)),
                        )
                        .await
                    }
                }
            }
            Err(JobError::Failed(error)) => self.fail(job, &error).await,
        }
    }

    async fn fail(&self, job: &Job, error: &str) -> Outcome {
        let s = &self.inner.settings;
        let state = match self
            .inner
            .queue
            .fail(job.id, &s.id, error, s.max_attempts)
            .await
        {
            Ok(state) => Some(state),
            Err(e) => {
                tracing::warn!(job = job.id, error = %chain(&e), "cannot record the failure; the lease will expire");
                None
            }
        };
        Outcome::Failed {
            error: error.to_owned(),
            state,
        }
    }

    /// Does what `job` asks; the text says what was done.
    async fn execute(&self, job: &Job) -> Result<String, JobError> {
        let user = job.userid.as_str();
        if job.kind == JobKind::Unlink {
            return self.unlink(user).await;
        }
        // A user marked re-authorize or unlinked after this job was queued: nothing to do,
        // and nothing to retry.
        match self.inner.fleet.user_status(user).await? {
            Some(UserStatus::Active) => {}
            Some(status) => {
                return Ok(format!("skipped: the user is {}", status.as_str()));
            }
            None => return Ok("skipped: the fleet does not know this user".to_owned()),
        }
        match job.kind {
            JobKind::Notify => {
                let Some(code) = job.appli else {
                    return self.sync(user, Vec::new()).await;
                };
                let appli = Appli::from_code(i64::from(code));
                match data_types_for(appli) {
                    Some(types) => self.sync(user, types).await,
                    None => Ok(format!("appli {code} announces nothing the sync keeps")),
                }
            }
            JobKind::Sync => {
                let reconciled = match self.reconcile(user).await {
                    Ok(what) => what,
                    Err(JobError::DeadGrant(why)) => return Err(JobError::DeadGrant(why)),
                    // The data matter more: a callback that cannot be subscribed today does
                    // not hold the catch-up back.
                    Err(JobError::Failed(why)) => format!("subscriptions not reconciled: {why}"),
                };
                let synced = self.sync(user, Vec::new()).await?;
                Ok(format!("{reconciled}; {synced}"))
            }
            JobKind::ProfileUpdate => {
                let synced = self
                    .sync(user, vec![DataType::Devices, DataType::Goals])
                    .await?;
                Ok(format!(
                    "profile update: devices and goals read again (the sync keeps no other part of the profile); {synced}"
                ))
            }
            JobKind::Reconcile => self.reconcile(user).await,
            JobKind::Unlink => self.unlink(user).await,
        }
    }

    /// The sync engine for `user`, for `types` (every type when empty).
    async fn sync(&self, user: &str, types: Vec<DataType>) -> Result<String, JobError> {
        let client = self.client(user)?;
        let options = SyncOptions::new(self.inner.clock.now()).only(types);
        let report = withings_sync::Sync::new(client, self.inner.store.clone(), user, options)
            .run(|_| {})
            .await
            .map_err(Error::from)?;
        let t = report.total();
        for w in &report.warnings {
            tracing::warn!(user, "{w}");
        }
        Ok(format!(
            "synced: {} calls, {} records, {} rows written",
            t.calls,
            t.records,
            t.stats.written()
        ))
    }

    /// The reconciler for `user`.
    async fn reconcile(&self, user: &str) -> Result<String, JobError> {
        let s = &self.inner.settings;
        let Some(callback) = &s.callback else {
            return Ok("no callback URL configured: subscriptions not managed".to_owned());
        };
        let client = self.client(user)?;
        let plan = crate::reconcile::reconcile(&client, callback, &s.applis).await?;
        Ok(format!("subscriptions: {plan}"))
    }

    /// The user unlinked the application: no more jobs, marked unlinked, purged if asked.
    async fn unlink(&self, user: &str) -> Result<String, JobError> {
        let fleet = &self.inner.fleet;
        fleet
            .set_user_status(
                user,
                UserStatus::Unlinked,
                "unlinked in Withings (appli 46)",
            )
            .await?;
        let cancelled = self.inner.queue.cancel_user(user).await?;
        let purged = if self.inner.settings.purge_on_unlink {
            format!(
                ", {} rows of data and tokens deleted",
                fleet.delete_user_data(user).await?
            )
        } else {
            String::new()
        };
        Ok(format!("unlinked: {cancelled} jobs cancelled{purged}"))
    }
}

/// Counts a finished job task and forgets its claim.
fn settle(
    joined: Result<(tokio::task::Id, Ran), tokio::task::JoinError>,
    claimed: &mut HashMap<tokio::task::Id, Job>,
    stats: &mut Stats,
) {
    match joined {
        Ok((id, ran)) => {
            claimed.remove(&id);
            stats.count(&ran.outcome);
        }
        Err(e) => {
            // A panicked job stays claimed until its lease expires, then runs again (and
            // counts an attempt): nothing to release, the task state is unknown.
            if let Some(job) = claimed.remove(&e.id()) {
                tracing::error!(job = job.id, "job task failed: {e}");
            }
            stats.count(&Outcome::Failed {
                error: e.to_string(),
                state: None,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_measure_appli_syncs_measures() {
        for code in [1, 2, 4, 58] {
            assert_eq!(
                data_types_for(Appli::from_code(code)),
                Some(vec![DataType::Measures]),
                "appli {code}"
            );
        }
    }

    #[test]
    fn activity_sleep_and_ecg_map_to_their_tables() {
        assert_eq!(
            data_types_for(Appli::Activity),
            Some(vec![DataType::Activity, DataType::Workouts])
        );
        assert_eq!(
            data_types_for(Appli::Sleep),
            Some(vec![DataType::SleepSummaries, DataType::SleepSegments])
        );
        assert_eq!(
            data_types_for(Appli::Ecg),
            Some(vec![DataType::Heart, DataType::Measures])
        );
    }

    #[test]
    fn events_without_data_sync_nothing() {
        for code in [50, 51, 52, 53, 55, 999] {
            assert_eq!(data_types_for(Appli::from_code(code)), None, "appli {code}");
        }
    }

    /// A configuration with every worker setting given (invented values).
    fn config() -> FleetConfig {
        let toml = r#"
token_key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
shutdown_grace = "7s"
[database]
url = "postgres://fleet@127.0.0.1:5432/fleet"
[withings]
client_id = "app-id"
client_secret = "app-s3cret-value"
base_url = "http://127.0.0.1:8088"
applis = [1, 44]
[server]
public_url = "https://fleet.example.com"
notify_secret = "Zt3kQ9vX2mB7nR4wY8cL1pF6hJ0sD5gA"
[rate_limit]
requests = 60
period = "30s"
margin = "500ms"
[worker]
lease = "90s"
heartbeat = "15s"
poll = "250ms"
max_attempts = 3
catchup_every = "12h"
purge_on_unlink = true
jobs_in_flight = 6
"#;
        FleetConfig::from_parts(Some(toml), "fleet.toml", &|_| None).unwrap()
    }

    #[test]
    fn the_settings_come_from_the_configuration() {
        let s = Settings::from_config(&config(), "w-7").unwrap();
        assert_eq!(s.id, "w-7");
        assert_eq!(s.base_url.as_deref(), Some("http://127.0.0.1:8088"));
        assert_eq!(
            (s.rate_requests, s.rate_period, s.rate_margin),
            (
                60,
                Duration::from_secs(30),
                Some(Duration::from_millis(500))
            )
        );
        assert_eq!(
            s.callback.as_ref().map(CallbackUrl::as_str),
            Some("https://fleet.example.com/notify/Zt3kQ9vX2mB7nR4wY8cL1pF6hJ0sD5gA")
        );
        assert_eq!(s.applis, vec![Appli::Weight, Appli::Sleep]);
        assert_eq!(s.concurrency, 6);
        assert_eq!(
            (s.lease, s.heartbeat, s.poll),
            (
                Duration::from_secs(90),
                Duration::from_secs(15),
                Duration::from_millis(250)
            )
        );
        assert_eq!(s.max_attempts, 3);
        assert_eq!(s.catchup_every, Duration::from_secs(12 * 3600));
        assert_eq!(s.schedule_every, Duration::from_secs(60));
        assert!(s.purge_on_unlink);
        assert_eq!(s.grace, Duration::from_secs(7));
    }

    #[test]
    fn the_settings_never_show_the_secrets() {
        let s = Settings::from_config(&config(), "w-7").unwrap();
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("Zt3kQ9vX2mB7nR4wY8cL1pF6hJ0sD5gA"),
            "{shown}"
        );
        assert!(!shown.contains("app-s3cret-value"), "{shown}");
        assert!(shown.contains("app-id"), "{shown}");
    }

    #[test]
    fn the_error_chain_names_each_cause_once() {
        let inner = std::io::Error::other("connection refused");
        let e = Error::Io {
            what: "cannot read x".into(),
            source: inner,
        };
        assert_eq!(chain(&e), "cannot read x: connection refused");
    }
}
