//! The shared rate limit: several processes, one budget, the database's clock.

#![allow(clippy::unwrap_used, reason = "test helpers: a failure fails the test")]

use std::time::Duration;

use tokio::time::Instant;
use withings::http::Limiter;
use withings_postgres::testing::TestCluster;
use withings_postgres::{Cipher, Database, Fleet};

/// The most instants any window of `period` holds, for sorted instants.
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

async fn fleet(url: &str, connections: usize) -> Fleet {
    let db = Database::connect(url, connections).await.unwrap();
    Fleet::new(db, Cipher::from_key(&[3; 32]).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_processes_never_put_more_than_n_in_a_period_and_use_the_budget() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let url = pg.database("limiter").unwrap();
    Database::connect(&url, 1)
        .await
        .unwrap()
        .migrate()
        .await
        .unwrap();
    const N: u32 = 20;
    const PERIOD: Duration = Duration::from_millis(500);
    const MARGIN: Duration = Duration::from_millis(40);
    const TASKS_PER_POOL: usize = 10;
    const CALLS_PER_TASK: usize = 4;

    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let fleet = fleet(&url, 4).await;
        let limiter = fleet.limiter(N, PERIOD).with_margin(MARGIN);
        for _ in 0..TASKS_PER_POOL {
            let limiter = limiter.clone();
            tasks.push(tokio::spawn(async move {
                let mut times = Vec::new();
                for _ in 0..CALLS_PER_TASK {
                    limiter.acquire().await;
                    times.push(Instant::now());
                }
                times
            }));
        }
    }
    let mut times = Vec::new();
    for t in tasks {
        times.extend(t.await.unwrap());
    }
    times.sort();
    let total = times.len();
    assert_eq!(total, 3 * TASKS_PER_POOL * CALLS_PER_TASK);
    let busiest = busiest_window(&times, PERIOD);
    assert!(
        busiest <= N as usize,
        "{busiest} calls in one window of {PERIOD:?}"
    );
    // 120 calls at 20 per 540 ms: the last batch starts 5 spacings after the first.
    let took = times[total - 1] - start;
    let ideal = (PERIOD + MARGIN) * 5;
    eprintln!(
        "limiter: {total} calls, busiest window of {PERIOD:?} held {busiest} (limit {N}), last at {took:?} (schedule {ideal:?})"
    );
    assert!(
        took >= ideal,
        "took {took:?}, less than the schedule allows ({ideal:?})"
    );
    assert!(
        took <= ideal + Duration::from_millis(600),
        "took {took:?}, far more than the schedule needs ({ideal:?}): the budget is not used"
    );
    // The bookings were pruned: at most the slots of the last two periods remain.
    let client = Database::connect(&url, 1)
        .await
        .unwrap()
        .client()
        .await
        .unwrap();
    let left: i64 = client
        .query_one("SELECT count(*) FROM fleet_rate", &[])
        .await
        .unwrap()
        .get(0);
    assert!(left <= i64::from(3 * N), "{left} slots kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_acquire_never_lets_an_extra_call_through() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let url = pg.database("limiter_cancel").unwrap();
    Database::connect(&url, 1)
        .await
        .unwrap()
        .migrate()
        .await
        .unwrap();
    let period = Duration::from_millis(800);
    let a = fleet(&url, 2)
        .await
        .limiter(2, period)
        .with_margin(Duration::ZERO);
    let b = fleet(&url, 2)
        .await
        .limiter(2, period)
        .with_margin(Duration::ZERO);
    let start = Instant::now();
    a.acquire().await;
    b.acquire().await;
    assert!(start.elapsed() < period / 2, "the first two go at once");
    // The third must wait for the period: dropped after 100 ms, it has booked and wasted a
    // slot at ~800 ms, or booked nothing; either way no extra call gets through.
    let third = tokio::time::timeout(Duration::from_millis(100), a.acquire()).await;
    assert!(third.is_err());
    b.acquire().await;
    let fourth = start.elapsed();
    assert!(fourth >= period, "the fourth call went at {fourth:?}");
    a.acquire().await;
    b.acquire().await;
    let sixth = start.elapsed();
    assert!(sixth >= period * 2, "the sixth call went at {sixth:?}");
}
