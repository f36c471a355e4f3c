//! The job queue: merging, caps, forged notifications, claims across processes, leases,
//! retries and parking, cancellation, catch-ups.

#![allow(clippy::unwrap_used, reason = "test helpers: a failure fails the test")]

use std::collections::HashSet;
use std::time::Duration;

use jiff::Timestamp;
use withings::http::TokenSet;
use withings_postgres::testing::TestCluster;
use withings_postgres::{
    Cipher, Database, Enqueued, Fleet, JobFilter, JobKind, JobQueue, JobState, NewJob, UserStatus,
};

const CAP: i64 = 50;

async fn connect(url: &str) -> Fleet {
    let db = Database::connect(url, 4).await.unwrap();
    Fleet::new(db, Cipher::from_key(&[4; 32]).unwrap())
}

async fn setup(pg: &TestCluster, name: &str, users: &[&str]) -> (Fleet, String) {
    let url = pg.database(name).unwrap();
    let fleet = connect(&url).await;
    fleet.database().migrate().await.unwrap();
    for u in users {
        let t = TokenSet::new(
            "ACCESS-invented".into(),
            "REFRESH-invented".into(),
            Timestamp::from_second(2_000_000_000).unwrap(),
        )
        .with_userid(*u);
        fleet.add_user(&t).await.unwrap();
    }
    (fleet, url)
}

async fn all_jobs(q: &JobQueue) -> Vec<withings_postgres::JobRow> {
    q.list(&JobFilter {
        limit: 10_000,
        ..JobFilter::default()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_or_stale_notifications_write_nothing() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let (fleet, _) = setup(&pg, "q_unknown", &["1", "2"]).await;
    let q = fleet
        .queue()
        .with_cooldown(Duration::ZERO)
        .with_cooldown(Duration::ZERO);
    assert_eq!(
        q.enqueue(NewJob::notify("999", 1, Some(1), Some(2)), CAP)
            .await
            .unwrap(),
        Enqueued::UnknownUser
    );
    fleet
        .set_user_status("2", UserStatus::Reauthorize, "test")
        .await
        .unwrap();
    assert_eq!(
        q.enqueue(NewJob::notify("2", 1, Some(1), Some(2)), CAP)
            .await
            .unwrap(),
        Enqueued::UnknownUser
    );
    assert!(all_jobs(&q).await.is_empty());
    assert!(q.counts().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_merges_into_one_job_with_the_widest_window() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let (fleet, _) = setup(&pg, "q_merge", &["1"]).await;
    let q = fleet
        .queue()
        .with_cooldown(Duration::ZERO)
        .with_cooldown(Duration::ZERO);
    let Enqueued::Queued(id) = q
        .enqueue(NewJob::notify("1", 1, Some(100), Some(200)), CAP)
        .await
        .unwrap()
    else {
        panic!("the first is queued")
    };
    assert_eq!(
        q.enqueue(NewJob::notify("1", 1, Some(50), Some(150)), CAP)
            .await
            .unwrap(),
        Enqueued::Merged(id)
    );
    assert_eq!(
        q.enqueue(NewJob::notify("1", 1, Some(180), Some(300)), CAP)
            .await
            .unwrap(),
        Enqueued::Merged(id)
    );
    // Another appli, and windowless catch-ups (NULL appli) merge among themselves.
    let other = q
        .enqueue(NewJob::notify("1", 44, Some(1), Some(2)), CAP)
        .await
        .unwrap();
    assert!(matches!(other, Enqueued::Queued(o) if o != id), "{other:?}");
    let Enqueued::Queued(sync) = q
        .enqueue(NewJob::new("1", JobKind::Sync), CAP)
        .await
        .unwrap()
    else {
        panic!("a catch-up is queued")
    };
    assert_eq!(
        q.enqueue(NewJob::new("1", JobKind::Sync), CAP)
            .await
            .unwrap(),
        Enqueued::Merged(sync)
    );

    let jobs = all_jobs(&q).await;
    assert_eq!(jobs.len(), 3);
    let merged = jobs.iter().find(|j| j.id == id).unwrap();
    assert_eq!(
        (merged.start, merged.end, merged.merged),
        (Some(50), Some(300), 3)
    );
    assert_eq!(merged.kind, JobKind::Notify);
    assert_eq!(merged.appli, Some(1));
    assert_eq!(merged.state, JobState::Queued);

    // Concurrent enqueues of one key from several processes still make one job.
    let (fleet2, url) = setup(&pg, "q_merge_race", &["7"]).await;
    drop(fleet2);
    let mut tasks = Vec::new();
    for i in 0..12 {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let f = connect(&url).await;
            f.queue()
                .with_cooldown(Duration::ZERO)
                .with_cooldown(Duration::ZERO)
                .enqueue(NewJob::notify("7", 16, Some(i), Some(i + 10)), CAP)
                .await
                .unwrap()
        }));
    }
    let mut queued = 0;
    for t in tasks {
        if matches!(t.await.unwrap(), Enqueued::Queued(_)) {
            queued += 1;
        }
    }
    assert_eq!(queued, 1);
    let jobs = all_jobs(&connect(&url).await.queue()).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        (jobs[0].start, jobs[0].end, jobs[0].merged),
        (Some(0), Some(21), 12)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_with_cap_queued_jobs_gets_no_more_but_still_merges() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let (fleet, _) = setup(&pg, "q_cap", &["1", "2"]).await;
    let q = fleet
        .queue()
        .with_cooldown(Duration::ZERO)
        .with_cooldown(Duration::ZERO);
    for appli in [1, 4, 16] {
        assert!(matches!(
            q.enqueue(NewJob::notify("1", appli, None, None), 3)
                .await
                .unwrap(),
            Enqueued::Queued(_)
        ));
    }
    assert_eq!(
        q.enqueue(NewJob::notify("1", 44, None, None), 3)
            .await
            .unwrap(),
        Enqueued::Capped
    );
    assert!(matches!(
        q.enqueue(NewJob::notify("1", 4, Some(5), Some(6)), 3)
            .await
            .unwrap(),
        Enqueued::Merged(_)
    ));
    // Another user is not affected.
    assert!(matches!(
        q.enqueue(NewJob::notify("2", 44, None, None), 3)
            .await
            .unwrap(),
        Enqueued::Queued(_)
    ));
    assert_eq!(q.counts().await.unwrap(), vec![(JobState::Queued, 4)]);
    // A running job does not count against the cap.
    q.claim("w", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        q.enqueue(NewJob::notify("1", 44, None, None), 3)
            .await
            .unwrap(),
        Enqueued::Queued(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn claimers_in_several_processes_never_get_the_same_job() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let users: Vec<String> = (0..20).map(|i| format!("{}", 5000 + i)).collect();
    let refs: Vec<&str> = users.iter().map(String::as_str).collect();
    let (fleet0, url) = setup(&pg, "q_claim", &refs).await;
    let mut expected = HashSet::new();
    for u in &users {
        for appli in [1, 16, 44] {
            match fleet0
                .queue()
                .with_cooldown(Duration::ZERO)
                .with_cooldown(Duration::ZERO)
                .enqueue(NewJob::notify(u.clone(), appli, Some(1), Some(2)), CAP)
                .await
                .unwrap()
            {
                Enqueued::Queued(id) => assert!(expected.insert(id)),
                other => panic!("{other:?}"),
            }
        }
    }
    let mut tasks = Vec::new();
    for p in 0..3 {
        let q = connect(&url)
            .await
            .queue()
            .with_cooldown(Duration::ZERO)
            .with_cooldown(Duration::ZERO);
        for w in 0..4 {
            let q = q.clone();
            let worker = format!("worker-{p}-{w}");
            tasks.push(tokio::spawn(async move {
                let mut got = Vec::new();
                let mut idle = 0;
                while idle < 3 {
                    match q.claim(&worker, Duration::from_secs(60)).await.unwrap() {
                        Some(job) => {
                            idle = 0;
                            assert_eq!(job.attempts, 1);
                            got.push(job.id);
                            tokio::time::sleep(Duration::from_millis(2)).await;
                            q.complete(job.id, &worker).await.unwrap();
                        }
                        None => {
                            idle += 1;
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                }
                got
            }));
        }
    }
    let mut seen = Vec::new();
    for t in tasks {
        seen.extend(t.await.unwrap());
    }
    let unique: HashSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "a job was claimed twice");
    assert_eq!(unique, expected);
    assert_eq!(
        fleet0
            .queue()
            .with_cooldown(Duration::ZERO)
            .counts()
            .await
            .unwrap(),
        vec![(JobState::Done, 60)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_workers_job_is_claimed_again_when_its_lease_expires() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let (fleet, url) = setup(&pg, "q_lease", &["1"]).await;
    let q = fleet
        .queue()
        .with_cooldown(Duration::ZERO)
        .with_cooldown(Duration::ZERO);
    let other = fleet_queue(&url).await;
    q.enqueue(NewJob::notify("1", 1, Some(10), Some(20)), CAP)
        .await
        .unwrap();
    let job = q
        .claim("dead", Duration::from_secs(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (job.userid.as_str(), job.kind, job.appli),
        ("1", JobKind::Notify, Some(1))
    );
    assert_eq!((job.start, job.end, job.attempts), (Some(10), Some(20), 1));
    // Leased: nobody else gets it.
    assert!(
        other
            .claim("alive", Duration::from_secs(1))
            .await
            .unwrap()
            .is_none()
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let again = other
        .claim("alive", Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.id, job.id);
    assert_eq!(again.attempts, 2);
    // The dead worker's late heartbeat and completion change nothing.
    assert!(
        !q.heartbeat(job.id, "dead", Duration::from_secs(30))
            .await
            .unwrap()
    );
    q.complete(job.id, "dead").await.unwrap();
    let row = &all_jobs(&q).await[0];
    assert_eq!(
        (row.state, row.worker.as_deref()),
        (JobState::Running, Some("alive"))
    );
    // The live worker's heartbeat extends its lease.
    assert!(
        other
            .heartbeat(job.id, "alive", Duration::from_secs(120))
            .await
            .unwrap()
    );
    let extended = all_jobs(&q).await[0].lease_until.unwrap();
    assert!(
        extended >= again.lease_until + 80,
        "{extended} vs {}",
        again.lease_until
    );
    other.complete(job.id, "alive").await.unwrap();
    assert_eq!(all_jobs(&q).await[0].state, JobState::Done);
    assert!(
        q.claim("x", Duration::from_secs(1))
            .await
            .unwrap()
            .is_none()
    );
}

async fn fleet_queue(url: &str) -> JobQueue {
    connect(url)
        .await
        .queue()
        .with_cooldown(Duration::ZERO)
        .with_cooldown(Duration::ZERO)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_job_backs_off_then_is_parked_after_max_attempts() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let (fleet, _) = setup(&pg, "q_fail", &["1", "2"]).await;
    let fast = fleet
        .queue()
        .with_cooldown(Duration::ZERO)
        .with_backoff(Duration::ZERO, Duration::ZERO);
    fast.enqueue(NewJob::notify("1", 1, None, None), CAP)
        .await
        .unwrap();
    for attempt in 1..=3 {
        let job = fast
            .claim("w", Duration::from_secs(60))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(job.attempts, attempt);
        let state = fast
            .fail(job.id, "w", &format!("boom {attempt}"), 3)
            .await
            .unwrap();
        let want = if attempt < 3 {
            JobState::Queued
        } else {
            JobState::Parked
        };
        assert_eq!(state, want, "after attempt {attempt}");
    }
    assert!(
        fast.claim("w", Duration::from_secs(60))
            .await
            .unwrap()
            .is_none()
    );
    let parked = fast
        .list(&JobFilter {
            state: Some(JobState::Parked),
            ..JobFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].last_error.as_deref(), Some("boom 3"));
    assert_eq!(parked[0].attempts, 3);

    // With the default backoff, a failed job is not due again right away.
    let slow = fleet
        .queue()
        .with_cooldown(Duration::ZERO)
        .with_cooldown(Duration::ZERO);
    slow.enqueue(NewJob::notify("2", 1, None, None), CAP)
        .await
        .unwrap();
    let job = slow
        .claim("w", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        slow.fail(job.id, "w", "timeout", 5).await.unwrap(),
        JobState::Queued
    );
    assert!(
        slow.claim("w", Duration::from_secs(60))
            .await
            .unwrap()
            .is_none()
    );
    let row = slow
        .list(&JobFilter {
            userid: Some("2".into()),
            ..JobFilter::default()
        })
        .await
        .unwrap()
        .remove(0);
    assert!(row.run_after >= row.updated_at + 30, "{row:?}");
    assert_eq!(row.last_error.as_deref(), Some("timeout"));
    // A worker that does not hold the job changes nothing.
    assert_eq!(
        slow.fail(job.id, "other", "x", 1).await.unwrap(),
        JobState::Queued
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_released_job_is_due_again_without_counting_the_attempt() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let (fleet, _) = setup(&pg, "q_release", &["1"]).await;
    let q = fleet
        .queue()
        .with_cooldown(Duration::ZERO)
        .with_cooldown(Duration::ZERO);
    q.enqueue(NewJob::notify("1", 1, Some(100), Some(200)), CAP)
        .await
        .unwrap();
    let job = q
        .claim("w1", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    q.release(job.id, "w1").await.unwrap();
    let job = q
        .claim("w2", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.attempts, 1);

    // While it runs, the same notification comes again: a new queued job. Releasing the
    // running one then merges it into that job instead of making two.
    let Enqueued::Queued(newer) = q
        .enqueue(NewJob::notify("1", 1, Some(150), Some(400)), CAP)
        .await
        .unwrap()
    else {
        panic!("a running job does not absorb new notifications")
    };
    q.release(job.id, "w2").await.unwrap();
    let queued = q
        .list(&JobFilter {
            state: Some(JobState::Queued),
            ..JobFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].id, newer);
    assert_eq!(
        (queued[0].start, queued[0].end, queued[0].merged),
        (Some(100), Some(400), 2)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlinking_cancels_the_users_queued_and_running_jobs() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let (fleet, _) = setup(&pg, "q_cancel", &["1", "2"]).await;
    let q = fleet
        .queue()
        .with_cooldown(Duration::ZERO)
        .with_cooldown(Duration::ZERO);
    for appli in [1, 44] {
        q.enqueue(NewJob::notify("1", appli, None, None), CAP)
            .await
            .unwrap();
    }
    q.enqueue(NewJob::notify("2", 1, None, None), CAP)
        .await
        .unwrap();
    let running = q
        .claim("w", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(running.userid, "1");
    assert_eq!(q.cancel_user("1").await.unwrap(), 2);
    assert!(
        !q.heartbeat(running.id, "w", Duration::from_secs(60))
            .await
            .unwrap()
    );
    q.complete(running.id, "w").await.unwrap();
    assert_eq!(
        q.counts().await.unwrap(),
        vec![(JobState::Queued, 1), (JobState::Cancelled, 2)]
    );
    let next = q
        .claim("w", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next.userid, "2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catchups_are_scheduled_once_per_period_for_active_users() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let (fleet, _) = setup(&pg, "q_catchup", &["1", "2", "3"]).await;
    fleet
        .set_user_status("3", UserStatus::Unlinked, "test")
        .await
        .unwrap();
    let q = fleet
        .queue()
        .with_cooldown(Duration::ZERO)
        .with_cooldown(Duration::ZERO);
    assert_eq!(
        q.schedule_catchups(Duration::from_secs(3600))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        q.schedule_catchups(Duration::from_secs(3600))
            .await
            .unwrap(),
        0
    );
    let jobs = all_jobs(&q).await;
    let mut users: Vec<&str> = jobs.iter().map(|j| j.userid.as_str()).collect();
    users.sort_unstable();
    assert_eq!(users, ["1", "2"]);
    assert!(
        jobs.iter()
            .all(|j| j.kind == JobKind::Sync && j.appli.is_none())
    );
    // Due again (every 0 s): merged into the queued catch-ups, no new rows.
    assert_eq!(q.schedule_catchups(Duration::ZERO).await.unwrap(), 2);
    let jobs = all_jobs(&q).await;
    assert_eq!(jobs.len(), 2);
    assert!(jobs.iter().all(|j| j.merged == 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_jobs_run_one_at_a_time_others_users_meanwhile() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let (fleet, _) = setup(&pg, "q_per_user", &["1", "2"]).await;
    let q = fleet
        .queue()
        .with_cooldown(Duration::ZERO)
        .with_cooldown(Duration::ZERO);
    // Two jobs of user 1 (different applis: not merged) and one of user 2.
    for (u, appli) in [("1", 1), ("1", 44), ("2", 1)] {
        assert!(matches!(
            q.enqueue(NewJob::notify(u, appli, Some(1), Some(2)), CAP)
                .await
                .unwrap(),
            Enqueued::Queued(_)
        ));
    }
    let lease = Duration::from_secs(60);
    let first = q.claim("w1", lease).await.unwrap().unwrap();
    assert_eq!(first.userid, "1");
    // User 1's second job waits while the first runs; user 2's is handed out.
    let second = q.claim("w2", lease).await.unwrap().unwrap();
    assert_eq!(second.userid, "2");
    assert!(q.claim("w3", lease).await.unwrap().is_none());
    q.complete(first.id, "w1").await.unwrap();
    let third = q.claim("w3", lease).await.unwrap().unwrap();
    assert_eq!((third.userid.as_str(), third.appli), ("1", Some(44)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_next_job_waits_the_cooldown_after_the_last_one_ended() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let (fleet, _) = setup(&pg, "q_cooldown", &["1", "2"]).await;
    let q = fleet.queue().with_cooldown(Duration::from_secs(2));
    let lease = Duration::from_secs(60);
    q.enqueue(NewJob::notify("1", 1, Some(1), Some(2)), CAP)
        .await
        .unwrap();
    let first = q.claim("w1", lease).await.unwrap().unwrap();
    // A notification while it runs: queued, not merged into the running job.
    q.enqueue(NewJob::notify("1", 1, Some(3), Some(4)), CAP)
        .await
        .unwrap();
    q.complete(first.id, "w1").await.unwrap();
    // Another user is not held back.
    q.enqueue(NewJob::notify("2", 1, Some(1), Some(2)), CAP)
        .await
        .unwrap();
    assert_eq!(q.claim("w2", lease).await.unwrap().unwrap().userid, "2");
    assert!(
        q.claim("w2", lease).await.unwrap().is_none(),
        "user 1 within the cooldown"
    );
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let next = q.claim("w2", lease).await.unwrap().unwrap();
    assert_eq!((next.userid.as_str(), next.start), ("1", Some(3)));
}
