//! The worker and the reconciler against a throwaway PostgreSQL cluster and the sandbox:
//! jobs claimed from the real queue, synced through the real engine into the real store.
//! Every test is skipped, loudly, on a machine without PostgreSQL (`CI` set: it fails).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use withings::http::{AccessToken, RefreshToken};
use withings::jiff::Timestamp;
use withings::model::notify::{Appli, Subscribe};
use withings::{AppCredentials, CallbackUrl, MemoryTokenStore, TokenSet};
use withings_fleet::worker::{Outcome, Settings, Worker};
use withings_postgres::testing::TestCluster;
use withings_postgres::{
    Cipher, Database, Enqueued, Fleet, JobFilter, JobKind, JobState, NewJob, UserStatus,
};
use withings_sandbox::{RunningSandbox, Sandbox};

/// The sandbox's start: 2024-06-03T16:53:20Z.
const START: i64 = 1_717_433_600;
const CAP: i64 = 100;

struct Env {
    // Dropped last: the cluster outlives the pool.
    fleet: Fleet,
    sandbox: RunningSandbox,
    _pg: TestCluster,
}

async fn env(name: &str, users: usize) -> Option<Env> {
    let pg = TestCluster::start()?;
    let url = pg.database(name).unwrap();
    let db = Database::connect(&url, 8).await.unwrap();
    db.migrate().await.unwrap();
    let fleet = Fleet::new(db, Cipher::from_key(&[7u8; 32]).unwrap());
    let sandbox = Sandbox::builder()
        .now(Timestamp::from_second(START).unwrap())
        .users(users)
        .history_days(40)
        // Jobs run again on purpose here: the identical-request rule would answer 601.
        .rate_limit(false)
        .app_limit(600, Duration::from_secs(1))
        .build()
        .start()
        .await
        .unwrap();
    Some(Env {
        fleet,
        sandbox,
        _pg: pg,
    })
}

impl Env {
    /// Onboards `userid` as the server would: tokens from the sandbox, stored sealed.
    async fn onboard(&self, userid: &str) {
        let issued = self.sandbox.issue_tokens(userid).unwrap();
        let tokens = self.tokens(&issued);
        self.fleet.add_user(&tokens).await.unwrap();
    }

    fn tokens(&self, issued: &withings_sandbox::IssuedTokens) -> TokenSet {
        let expires = self.sandbox.now() + Duration::from_secs(issued.expires_in.unsigned_abs());
        TokenSet::new(
            AccessToken::new(issued.access_token.clone()),
            RefreshToken::new(issued.refresh_token.clone()),
            expires,
        )
        .with_userid(issued.userid.clone())
        .with_scope(issued.scope.clone())
    }

    fn settings(&self) -> Settings {
        let mut s = Settings::new(
            "test-worker",
            AppCredentials::new(self.sandbox.client_id(), self.sandbox.client_secret()),
        );
        s.base_url = Some(self.sandbox.base_url().to_owned());
        s.rate_requests = 600;
        s.rate_period = Duration::from_secs(1);
        s.rate_margin = Some(Duration::from_millis(50));
        s.lease = Duration::from_secs(30);
        s.heartbeat = Duration::from_secs(5);
        s.poll = Duration::from_millis(50);
        s.backoff = Duration::ZERO;
        s.max_backoff = Duration::ZERO;
        // These tests run a user's jobs back to back on purpose (retries, redeliveries); the
        // cooldown is tested with the queue and in the load test.
        s.cooldown = Duration::ZERO;
        s
    }

    fn worker(&self, settings: Settings) -> Worker {
        let clock = self.sandbox.manual_clock().unwrap();
        Worker::with_clock(self.fleet.clone(), settings, Arc::new(clock))
    }

    async fn enqueue(&self, job: NewJob) -> i64 {
        match self.fleet.queue().enqueue(job, CAP).await.unwrap() {
            Enqueued::Queued(id) | Enqueued::Merged(id) => id,
            other => panic!("not enqueued: {other:?}"),
        }
    }

    async fn state_of(&self, id: i64) -> JobState {
        let rows = self
            .fleet
            .queue()
            .list(&JobFilter {
                limit: 1000,
                ..JobFilter::default()
            })
            .await
            .unwrap();
        rows.iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("job {id} not listed"))
            .state
    }

    /// Every measure row of `userid`, as text, in key order (synced_at included: a row
    /// written again with equal values keeps it).
    async fn measure_rows(&self, userid: &str) -> Vec<String> {
        let c = self.fleet.database().client().await.unwrap();
        c.query(
            "SELECT grpid, type, position, value, attrib, modified, synced_at FROM measures \
             WHERE user_id = $1 ORDER BY grpid, type, position",
            &[&userid],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {} {:?} {:?} {}",
                r.get::<_, i64>(0),
                r.get::<_, i64>(1),
                r.get::<_, i64>(2),
                r.get::<_, String>(3),
                r.get::<_, Option<i64>>(4),
                r.get::<_, Option<i64>>(5),
                r.get::<_, i64>(6),
            )
        })
        .collect()
    }

    /// (grpid, measures in the group) of `userid` in PostgreSQL.
    async fn stored_groups(&self, userid: &str) -> Vec<(i64, i64)> {
        let c = self.fleet.database().client().await.unwrap();
        c.query(
            "SELECT grpid, count(*) FROM measures WHERE user_id = $1 GROUP BY grpid ORDER BY grpid",
            &[&userid],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get::<_, i64>(0), r.get::<_, i64>(1)))
        .collect()
    }

    /// (grpid, measures in the group) of `userid` in the sandbox, its whole history.
    fn true_groups(&self, userid: &str) -> Vec<(i64, i64)> {
        let from = Timestamp::from_second(0).unwrap();
        let to = self.sandbox.now() + Duration::from_secs(86_400);
        self.sandbox
            .ground_truth(userid, from, to)
            .unwrap()
            .iter()
            .map(|g| (g.grpid, i64::try_from(g.measures).unwrap()))
            .collect()
    }
}

/// A server that answers every request with `reply` (HTTP 200), or never answers when
/// `reply` is `None`. Returns its base URL.
async fn fake_api(reply: Option<&'static str>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65_536];
                let _ = socket.read(&mut buf).await;
                match reply {
                    Some(body) => {
                        let response = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = socket.write_all(response.as_bytes()).await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(3600)).await,
                }
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_jobs_sync_each_users_measures_into_postgres() {
    let Some(env) = env("worker_notify", 3).await else {
        return;
    };
    let users = env.sandbox.user_ids();
    for u in &users {
        env.onboard(u).await;
    }
    // A new weigh-in for the second user, then a burst of notifications: three for the
    // same user × appli merge into one job.
    let at = env.sandbox.now() - Duration::from_secs(600);
    env.sandbox.add_weigh_in(&users[1], at).unwrap();
    let mut ids = Vec::new();
    for u in &users {
        ids.push(
            env.enqueue(NewJob::notify(u, 1, Some(START - 3600), Some(START)))
                .await,
        );
    }
    let again = env
        .enqueue(NewJob::notify(&users[1], 1, Some(START - 60), Some(START)))
        .await;
    assert_eq!(again, ids[1], "a burst for one user × appli is merged");

    // The worker's loop, until every job is done.
    let worker = env.worker(env.settings());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        worker
            .run(async {
                let _ = stopped.await;
            })
            .await
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    for id in &ids {
        while env.state_of(*id).await != JobState::Done {
            assert!(
                tokio::time::Instant::now() < deadline,
                "job {id} not done in time: {:?}",
                env.state_of(*id).await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    stop.send(()).unwrap();
    let stats = running.await.unwrap().unwrap();
    // The scheduler may have added a catch-up per user: at least the three notifications.
    assert!(stats.done >= 3, "{stats:?}");
    assert_eq!(stats.failed, 0, "{stats:?}");

    for u in &users {
        let truth = env.true_groups(u);
        assert!(!truth.is_empty(), "user {u} has measures in the sandbox");
        assert_eq!(env.stored_groups(u).await, truth, "user {u}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_redelivered_after_its_lease_expired_changes_nothing() {
    let Some(env) = env("worker_redelivery", 1).await else {
        return;
    };
    let user = env.sandbox.user_ids()[0].clone();
    env.onboard(&user).await;
    let worker = env.worker(env.settings());
    env.enqueue(NewJob::notify(&user, 1, Some(START - 60), Some(START)))
        .await;
    let first = worker.run_one().await.unwrap().unwrap();
    assert!(
        matches!(first.outcome, Outcome::Done(_)),
        "{:?}",
        first.outcome
    );
    let before = env.measure_rows(&user).await;
    assert!(!before.is_empty());

    // The same notification again, claimed by a worker that dies holding it.
    let id = env
        .enqueue(NewJob::notify(&user, 1, Some(START - 60), Some(START)))
        .await;
    let dead = env
        .fleet
        .queue()
        .with_cooldown(Duration::ZERO)
        .claim("dead-worker", Duration::from_secs(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dead.id, id);
    assert!(
        worker.run_one().await.unwrap().is_none(),
        "leased jobs are not claimed"
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;

    let again = worker.run_one().await.unwrap().unwrap();
    assert_eq!(again.job.id, id, "the expired lease is taken over");
    assert_eq!(again.job.attempts, 2);
    assert!(
        matches!(again.outcome, Outcome::Done(_)),
        "{:?}",
        again.outcome
    );
    assert_eq!(env.state_of(id).await, JobState::Done);
    assert_eq!(
        env.measure_rows(&user).await,
        before,
        "the redelivered job changed rows"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_grant_marks_the_user_reauthorize_and_is_not_retried() {
    let Some(env) = env("worker_dead_grant", 1).await else {
        return;
    };
    let user = env.sandbox.user_ids()[0].clone();
    env.onboard(&user).await;
    // The user removes the app: calls answer 401, refreshes 503.
    env.sandbox.unlink(&user).unwrap();
    let id = env
        .enqueue(NewJob::notify(&user, 1, Some(START - 60), Some(START)))
        .await;
    let worker = env.worker(env.settings());
    let ran = worker.run_one().await.unwrap().unwrap();
    assert!(
        matches!(&ran.outcome, Outcome::Reauthorize(why) if why.contains("refresh")),
        "{:?}",
        ran.outcome
    );
    assert_eq!(
        env.fleet.user_status(&user).await.unwrap(),
        Some(UserStatus::Reauthorize)
    );
    assert_eq!(env.state_of(id).await, JobState::Done);
    assert!(
        worker.run_one().await.unwrap().is_none(),
        "nothing to retry"
    );
    assert_eq!(
        env.fleet
            .queue()
            .enqueue(NewJob::notify(&user, 1, None, None), CAP)
            .await
            .unwrap(),
        Enqueued::UnknownUser,
        "no new job for a user who must re-authorize"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_job_is_parked_after_its_tries_and_listed() {
    let Some(env) = env("worker_parked", 1).await else {
        return;
    };
    let user = env.sandbox.user_ids()[0].clone();
    env.onboard(&user).await;
    let mut settings = env.settings();
    // An API that knows no action: a failure that is not the user's grant.
    settings.base_url = Some(fake_api(Some(r#"{"status":2554,"error":"Unknown action"}"#)).await);
    settings.max_attempts = 2;
    let worker = env.worker(settings);
    let id = env
        .enqueue(NewJob::notify(&user, 1, Some(START - 60), Some(START)))
        .await;

    let first = worker.run_one().await.unwrap().unwrap();
    assert!(
        matches!(
            &first.outcome,
            Outcome::Failed {
                state: Some(JobState::Queued),
                ..
            }
        ),
        "{:?}",
        first.outcome
    );
    // Queued again at once (no backoff), to the second: the queue counts whole seconds.
    let mut second = None;
    for _ in 0..40 {
        second = worker.run_one().await.unwrap();
        if second.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let second = second.expect("the failed job is tried again");
    assert_eq!(second.job.id, id);
    assert!(
        matches!(
            &second.outcome,
            Outcome::Failed {
                state: Some(JobState::Parked),
                ..
            }
        ),
        "{:?}",
        second.outcome
    );
    assert!(
        worker.run_one().await.unwrap().is_none(),
        "a parked job is not claimed"
    );
    assert_eq!(
        env.fleet.user_status(&user).await.unwrap(),
        Some(UserStatus::Active),
        "an API failure is not a dead grant"
    );

    let listing = withings_fleet::jobs::list(
        &env.fleet,
        &JobFilter {
            state: Some(JobState::Parked),
            userid: None,
            limit: 10,
        },
    )
    .await
    .unwrap();
    assert_eq!(listing.rows.len(), 1);
    let row = &listing.rows[0];
    assert_eq!((row.id, row.attempts, row.kind), (id, 2, JobKind::Notify));
    let error = row.last_error.as_deref().unwrap_or_default();
    assert!(error.contains("2554"), "{error}");
    assert!(
        listing.counts.contains(&(JobState::Parked, 1)),
        "{:?}",
        listing.counts
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unlink_cancels_the_users_jobs_and_purges_their_data() {
    let Some(env) = env("worker_unlink", 2).await else {
        return;
    };
    let ids = env.sandbox.user_ids();
    let (user, other) = (ids[0].clone(), ids[1].clone());
    env.onboard(&user).await;
    env.onboard(&other).await;
    let mut settings = env.settings();
    settings.purge_on_unlink = true;
    let worker = env.worker(settings);
    for u in [&user, &other] {
        env.enqueue(NewJob::notify(u, 1, Some(START - 60), Some(START)))
            .await;
        let ran = worker.run_one().await.unwrap().unwrap();
        assert!(matches!(ran.outcome, Outcome::Done(_)), "{:?}", ran.outcome);
    }
    assert!(!env.measure_rows(&user).await.is_empty());
    let other_rows = env.measure_rows(&other).await;

    // The unlink arrives first; a sleep notification queued behind it must not run.
    let unlink = env.enqueue(NewJob::new(&user, JobKind::Unlink)).await;
    let behind = env
        .enqueue(NewJob::notify(&user, 44, Some(START - 60), Some(START)))
        .await;
    let ran = worker.run_one().await.unwrap().unwrap();
    assert_eq!(ran.job.id, unlink);
    assert!(
        matches!(&ran.outcome, Outcome::Done(what) if what.contains("deleted")),
        "{:?}",
        ran.outcome
    );
    assert_eq!(
        env.fleet.user_status(&user).await.unwrap(),
        Some(UserStatus::Unlinked)
    );
    assert_eq!(env.state_of(behind).await, JobState::Cancelled);
    // The unlink job itself ends as done, not cancelled by its own cancellation.
    assert_eq!(env.state_of(unlink).await, JobState::Done);
    assert!(
        worker.run_one().await.unwrap().is_none(),
        "no job of the user runs"
    );
    assert!(
        env.measure_rows(&user).await.is_empty(),
        "the user's data is purged"
    );
    assert_eq!(
        env.measure_rows(&other).await,
        other_rows,
        "another user's stays"
    );
    assert_eq!(
        env.fleet
            .queue()
            .enqueue(NewJob::notify(&user, 1, None, None), CAP)
            .await
            .unwrap(),
        Enqueued::UnknownUser
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reconciler_subscribes_the_missing_revokes_the_extra_and_then_does_nothing() {
    let Some(env) = env("worker_reconcile", 1).await else {
        return;
    };
    let user = env.sandbox.user_ids()[0].clone();
    let issued = env.sandbox.issue_tokens(&user).unwrap();
    env.fleet.add_user(&env.tokens(&issued)).await.unwrap();
    // Not loopback: the sandbox records these without probing them.
    let url = "https://fleet.example.com/notify/Zk3v9QpL2mXc7RtY8wNb4H";
    let old = "https://old.example.com/notify/abc";
    // What the user has before: an old URL, and the right URL for an appli not wanted.
    let direct = withings::Client::builder()
        .base_url(env.sandbox.base_url())
        .token_store(MemoryTokenStore::with_tokens(env.tokens(&issued)))
        .clock(env.sandbox.manual_clock().unwrap())
        .build()
        .unwrap();
    for (u, appli) in [(old, Appli::Weight), (url, Appli::BloodPressure)] {
        direct
            .send(&Subscribe::new(CallbackUrl::parse(u).unwrap(), appli))
            .await
            .unwrap();
    }

    let mut settings = env.settings();
    settings.callback = Some(CallbackUrl::parse(url).unwrap());
    settings.applis = vec![Appli::Weight, Appli::Sleep];
    let worker = env.worker(settings);
    env.enqueue(NewJob::new(&user, JobKind::Reconcile)).await;
    let ran = worker.run_one().await.unwrap().unwrap();
    assert!(matches!(ran.outcome, Outcome::Done(_)), "{:?}", ran.outcome);
    let mut subs = env.sandbox.subscriptions(&user).unwrap();
    subs.sort();
    assert_eq!(subs, vec![(1, url.to_owned()), (44, url.to_owned())]);

    // Again: one `notify list`, nothing changed.
    let calls = env.sandbox.api_calls(&user);
    env.enqueue(NewJob::new(&user, JobKind::Reconcile)).await;
    let ran = worker.run_one().await.unwrap().unwrap();
    assert_eq!(
        ran.outcome,
        Outcome::Done("subscriptions: 2 kept, subscribed [], revoked []".to_owned())
    );
    assert_eq!(env.sandbox.api_calls(&user), calls + 1);
    let mut again = env.sandbox.subscriptions(&user).unwrap();
    again.sort();
    assert_eq!(again, subs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_releases_a_job_still_running_after_the_grace_period() {
    let Some(env) = env("worker_shutdown", 1).await else {
        return;
    };
    let user = env.sandbox.user_ids()[0].clone();
    env.onboard(&user).await;
    let mut settings = env.settings();
    // An API that never answers: the job is still running when the signal comes.
    settings.base_url = Some(fake_api(None).await);
    settings.grace = Duration::from_millis(300);
    let worker = env.worker(settings);
    let id = env
        .enqueue(NewJob::notify(&user, 1, Some(START - 60), Some(START)))
        .await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        worker
            .run(async {
                let _ = stopped.await;
            })
            .await
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while env.state_of(id).await != JobState::Running {
        assert!(tokio::time::Instant::now() < deadline, "never claimed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send(()).unwrap();
    let stats = tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .expect("the worker stops within its grace period")
        .unwrap()
        .unwrap();
    // The notification, and any catch-up the scheduler queued, all hang on the silent API.
    assert!(stats.released >= 1, "{stats:?}");
    assert_eq!(stats.done, 0, "{stats:?}");
    let rows = env.fleet.queue().list(&JobFilter::default()).await.unwrap();
    let row = rows.iter().find(|r| r.id == id).unwrap();
    assert_eq!(row.state, JobState::Queued, "released to the queue");
    assert_eq!(row.attempts, 0, "a released attempt is not counted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catch_up_restores_dropped_subscriptions_and_syncs_everything_once_per_period() {
    let Some(env) = env("worker_catchup", 1).await else {
        return;
    };
    let user = env.sandbox.user_ids()[0].clone();
    env.onboard(&user).await;
    let url = "https://fleet.example.com/notify/Zk3v9QpL2mXc7RtY8wNb4H";
    let mut settings = env.settings();
    settings.callback = Some(CallbackUrl::parse(url).unwrap());
    settings.applis = vec![Appli::Weight, Appli::Sleep];
    let worker = env.worker(settings);
    let other = env.worker(env.settings());

    // Two workers run the scheduler: one catch-up for the user, not two.
    assert_eq!(worker.schedule().await.unwrap(), 1);
    assert_eq!(other.schedule().await.unwrap(), 0);
    let ran = worker.run_one().await.unwrap().unwrap();
    assert_eq!(ran.job.kind, JobKind::Sync);
    assert!(
        matches!(&ran.outcome, Outcome::Done(what) if what.starts_with("subscriptions: 0 kept, subscribed [1,44]")),
        "{:?}",
        ran.outcome
    );
    let mut subs = env.sandbox.subscriptions(&user).unwrap();
    subs.sort();
    assert_eq!(subs, vec![(1, url.to_owned()), (44, url.to_owned())]);
    assert_eq!(env.stored_groups(&user).await, env.true_groups(&user));
    let c = env.fleet.database().client().await.unwrap();
    let nights: i64 = c
        .query_one(
            "SELECT count(*) FROM sleep_summaries WHERE user_id = $1",
            &[&user],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        nights > 0,
        "a catch-up syncs every data type, sleep included"
    );
    assert!(worker.run_one().await.unwrap().is_none());
    assert_eq!(worker.schedule().await.unwrap(), 0, "not due again yet");
}
