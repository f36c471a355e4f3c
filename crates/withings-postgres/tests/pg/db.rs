use withings_postgres::testing::TestCluster;
use withings_postgres::{Database, Error};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_run_once_even_when_five_processes_start_together() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let url = pg.database("migrate").unwrap();
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let db = Database::connect(&url, 2).await?;
            db.migrate().await?;
            db.ready().await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let db = Database::connect(&url, 1).await.unwrap();
    let client = db.client().await.unwrap();
    let rows = client
        .query(
            "SELECT track, version FROM schema_versions ORDER BY track",
            &[],
        )
        .await
        .unwrap();
    let got: Vec<(String, i32)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(
        got,
        vec![
            (
                "fleet".to_owned(),
                i32::try_from(withings_postgres::fleet_schema::MIGRATIONS.len()).unwrap()
            ),
            (
                "sync".to_owned(),
                i32::try_from(withings_sync::schema::MIGRATIONS.len()).unwrap()
            ),
        ]
    );
    // The sync tables exist.
    client
        .query("SELECT count(*) FROM measures", &[])
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_schema_is_refused_and_readiness_says_why() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let url = pg.database("newer").unwrap();
    let db = Database::connect(&url, 1).await.unwrap();
    assert!(matches!(
        db.ready().await,
        Err(Error::Database { .. } | Error::Corrupt(_))
    ));
    db.migrate().await.unwrap();
    db.client()
        .await
        .unwrap()
        .execute(
            "UPDATE schema_versions SET version = 99 WHERE track = 'sync'",
            &[],
        )
        .await
        .unwrap();
    let err = db.migrate().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::NewerSchema {
                track: "sync",
                found: 99,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade"), "{err}");
    assert!(
        db.ready()
            .await
            .unwrap_err()
            .to_string()
            .contains("version 99")
    );
}

#[tokio::test]
async fn a_bad_url_and_an_unreachable_server_are_named() {
    let err = Database::connect("postgres://u@127.0.0.1:notaport/x", 1)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err}");
    // Port 1 on loopback: nothing listens there.
    let err = Database::connect("postgres://u@127.0.0.1:1/x", 1)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Connect(_)), "{err}");
    assert!(err.to_string().contains("127.0.0.1:1/x"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_cluster_refuses_then_serves_again_with_its_data() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let url = pg.database("pause").unwrap();
    let db = Database::connect(&url, 2).await.unwrap();
    db.migrate().await.unwrap();
    pg.pause().unwrap();
    let err = db.ready().await.unwrap_err();
    assert!(
        matches!(err, Error::Connect(_) | Error::Database { .. }),
        "{err}"
    );
    pg.resume().unwrap();
    // The pool drops the dead connections and opens new ones; the tables are still there.
    let mut ok = false;
    for _ in 0..20 {
        if db.ready().await.is_ok() {
            ok = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ok, "the database did not come back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_kind_knows_how_long_none_of_it_was_alive() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let url = pg.database("alive").unwrap();
    let db = Database::connect(&url, 2).await.unwrap();
    db.migrate().await.unwrap();
    let fleet = withings_postgres::Fleet::new(
        db.clone(),
        withings_postgres::Cipher::from_key(&[9; 32]).unwrap(),
    );
    assert_eq!(fleet.mark_alive("serve").await.unwrap(), None);
    // Back-date the mark: an outage of an hour.
    db.client()
        .await
        .unwrap()
        .execute(
            "UPDATE fleet_alive SET seen_at = seen_at - 3600 WHERE name = 'serve'",
            &[],
        )
        .await
        .unwrap();
    let gap = fleet.mark_alive("serve").await.unwrap().unwrap();
    assert!((3600..3610).contains(&gap.as_secs()), "{gap:?}");
    assert!(fleet.mark_alive("serve").await.unwrap().unwrap().as_secs() < 5);
    assert_eq!(fleet.mark_alive("worker").await.unwrap(), None);
}
