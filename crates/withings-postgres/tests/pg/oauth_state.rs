//! OAuth states: random, single use, expiring; shared by every server process.

#![allow(clippy::unwrap_used, reason = "test helpers: a failure fails the test")]

use std::time::Duration;

use withings_postgres::testing::TestCluster;
use withings_postgres::{Cipher, Database, Fleet};

async fn fleet(pg: &TestCluster, name: &str) -> (Fleet, String) {
    let url = pg.database(name).unwrap();
    let db = Database::connect(&url, 4).await.unwrap();
    db.migrate().await.unwrap();
    let key = Cipher::generate_base64().unwrap();
    (Fleet::new(db, Cipher::from_base64(&key).unwrap()), url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_is_taken_once_and_only_before_it_expires() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let (fleet, url) = fleet(&pg, "states").await;
    let a = fleet.create_state(Duration::from_secs(600)).await.unwrap();
    let b = fleet.create_state(Duration::from_secs(600)).await.unwrap();
    assert_ne!(a, b);
    // 192 bits in unpadded base64url.
    assert_eq!(a.len(), 32, "{a}");
    assert!(
        a.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'),
        "{a}"
    );
    assert!(!fleet.take_state("not-a-state-we-made").await.unwrap());
    assert!(fleet.take_state(&a).await.unwrap());
    assert!(
        !fleet.take_state(&a).await.unwrap(),
        "a state is single use"
    );

    // Another server process (another pool) sees the same states.
    let other = Fleet::new(
        Database::connect(&url, 2).await.unwrap(),
        Cipher::from_base64(&Cipher::generate_base64().unwrap()).unwrap(),
    );
    assert!(other.take_state(&b).await.unwrap());

    // Expired: valid for at least the ttl, then refused.
    let short = fleet.create_state(Duration::from_secs(1)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(!fleet.take_state(&short).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_callbacks_racing_with_one_state_let_exactly_one_through() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let (fleet, url) = fleet(&pg, "state_race").await;
    for _ in 0..10 {
        let state = fleet.create_state(Duration::from_secs(60)).await.unwrap();
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let url = url.clone();
            let state = state.clone();
            tasks.push(tokio::spawn(async move {
                let db = Database::connect(&url, 1).await.unwrap();
                let f = Fleet::new(db, Cipher::from_key(&[9; 32]).unwrap());
                f.take_state(&state).await.unwrap()
            }));
        }
        let mut taken = 0;
        for t in tasks {
            taken += usize::from(t.await.unwrap());
        }
        assert_eq!(taken, 1);
    }
}
