//! `PgStore` against the reference `SqliteStore`: the same syncs against the sandbox leave
//! the same tables, cursors, queue and rejected records, with the same counts; a batch that
//! fails midway leaves nothing; two workers writing the same batch at once agree.

#![allow(
    clippy::unwrap_used,
    reason = "a test fails on the first unexpected error"
)]

use std::sync::Arc;
use std::time::Duration;

use withings::jiff::Timestamp;
use withings::{AppCredentials, CallbackUrl, Client, ManualClock, MemoryTokenStore, Scope};
use withings_postgres::testing::TestCluster;
use withings_postgres::{Database, PgStore};
use withings_sandbox::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, RunningSandbox, Sandbox};
use withings_sync::schema::{MEASURES, SLEEP_SEGMENTS, SLEEP_SUMMARIES};
use withings_sync::{
    Batch, Cursor, DataType, FullWindow, Hook, Op, Pending, ReadQuery, Rejected, Row, SqliteStore,
    Store, Sync, SyncOptions, TableDef, Value, WriteStats,
};

/// 2024-06-03T15:53:20Z: the sandbox's data is generated around it.
const NOW: i64 = 1_717_430_000;
const DAY: Duration = Duration::from_secs(24 * 3600);

/// A sandbox stopped at [`NOW`] with 60 days of history and small pages (every list spans
/// several), no 601 rule.
async fn sandbox() -> RunningSandbox {
    Sandbox::builder()
        .now(Timestamp::from_second(NOW).unwrap())
        .meas_page_size(7)
        .page_size(4)
        .rate_limit(false)
        .no_app_limit()
        .history_days(60)
        .build()
        .start()
        .await
        .unwrap()
}

/// A client authorized against `sandbox`, on the sandbox's clock, and its user id.
async fn client(sandbox: &RunningSandbox, clock: ManualClock) -> (Client, String) {
    let credentials = AppCredentials::new(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
        .with_redirect_uri(CallbackUrl::parse("https://example.org/withings/cb").unwrap());
    let client = Client::builder()
        .base_url(sandbox.base_url())
        .account_url(sandbox.base_url())
        .credentials(credentials)
        .token_store(MemoryTokenStore::new())
        .clock(clock)
        .no_rate_limit()
        .build()
        .unwrap();
    let pending = client
        .authorize(&[Scope::UserMetrics, Scope::UserActivity])
        .unwrap();
    let redirected = sandbox.approve(pending.url()).unwrap();
    let tokens = client
        .complete_authorization(&pending, &redirected)
        .await
        .unwrap();
    let user = tokens.userid().unwrap().to_owned();
    (client, user)
}

/// A migrated database `name` on the cluster, with a pool of `max` connections.
async fn database(pg: &TestCluster, name: &str, max: usize) -> (String, Database) {
    let url = pg.database(name).unwrap();
    let db = Database::connect(&url, max).await.unwrap();
    db.migrate().await.unwrap();
    (url, db)
}

/// Everything a store holds for `user`, read through the `Store` trait only.
#[derive(Debug, PartialEq)]
struct Snapshot {
    tables: Vec<(&'static str, Vec<Vec<Value>>)>,
    bounds: Vec<(&'static str, Option<(Value, Value)>)>,
    cursors: Vec<Option<Cursor>>,
    pending: Vec<Vec<Pending>>,
    rejected: Vec<Rejected>,
}

async fn snapshot(store: &impl Store, user: &str) -> Snapshot {
    let mut tables = Vec::new();
    let mut bounds = Vec::new();
    for table in TableDef::all() {
        let all = store
            .read(ReadQuery {
                table,
                user: None,
                since: None,
                after: None,
                limit: usize::MAX,
            })
            .await
            .unwrap();
        // Read again in chunks of 7 rows, each after the last row of the previous one: the
        // order and the `after` comparison must agree.
        let mut chunked: Vec<Vec<Value>> = Vec::new();
        loop {
            let chunk = store
                .read(ReadQuery {
                    table,
                    user: Some(user.to_owned()),
                    since: None,
                    after: chunked.last().cloned(),
                    limit: 7,
                })
                .await
                .unwrap();
            if chunk.is_empty() {
                break;
            }
            chunked.extend(chunk);
        }
        let mine: Vec<Vec<Value>> = all
            .iter()
            .filter(|r| r[0] == Value::Text(user.to_owned()))
            .cloned()
            .collect();
        assert_eq!(
            chunked, mine,
            "{}: chunked reads differ from one read",
            table.name
        );
        tables.push((table.name, all));
        bounds.push((table.name, store.bounds(user, table).await.unwrap()));
    }
    let mut cursors = Vec::new();
    let mut pending = Vec::new();
    for t in DataType::ALL {
        cursors.push(store.cursor(user, *t).await.unwrap());
        pending.push(store.pending(user, *t, usize::MAX).await.unwrap());
    }
    Snapshot {
        tables,
        bounds,
        cursors,
        pending,
        rejected: store.rejected(user, usize::MAX).await.unwrap(),
    }
}

async fn sync<S: Store + Clone>(
    client: &Client,
    user: &str,
    store: &S,
    options: SyncOptions,
) -> WriteStats {
    Sync::new(client.clone(), store.clone(), user.to_owned(), options)
        .run(|_| {})
        .await
        .unwrap()
        .total()
        .stats
}

/// Runs the same sync into both stores and checks that they counted the same writes and
/// hold the same data; returns the counts.
async fn sync_both(
    client: &Client,
    user: &str,
    sqlite: &SqliteStore,
    pg: &PgStore,
    options: SyncOptions,
    step: &str,
) -> WriteStats {
    let want = sync(client, user, sqlite, options.clone()).await;
    let got = sync(client, user, pg, options).await;
    assert_eq!(
        got, want,
        "{step}: PostgreSQL counted differently from SQLite"
    );
    same_data(sqlite, pg, user, step).await;
    got
}

/// Both stores hold the same data for `user`.
async fn same_data(sqlite: &SqliteStore, pg: &PgStore, user: &str, step: &str) -> Snapshot {
    let (want, got) = (snapshot(sqlite, user).await, snapshot(pg, user).await);
    assert!(
        got == want,
        "{step}: PostgreSQL holds other data than SQLite:\n{}",
        first_difference(&want, &got)
    );
    got
}

/// The first table (or list) where two snapshots differ, for a readable failure.
fn first_difference(want: &Snapshot, got: &Snapshot) -> String {
    for ((name, w), (_, g)) in want.tables.iter().zip(&got.tables) {
        if w != g {
            let at = w.iter().zip(g).position(|(a, b)| a != b);
            return format!(
                "table {name}: {} rows in SQLite, {} in PostgreSQL; first differing row {at:?}: \
                 {:?} vs {:?}",
                w.len(),
                g.len(),
                at.and_then(|i| w.get(i)),
                at.and_then(|i| g.get(i)),
            );
        }
    }
    format!(
        "bounds {:?} vs {:?}\ncursors {:?} vs {:?}\npending {:?} vs {:?}\nrejected {:?} vs {:?}",
        want.bounds,
        got.bounds,
        want.cursors,
        got.cursors,
        want.pending,
        got.pending,
        want.rejected,
        got.rejected
    )
}

/// A measure row (invented values): group `grpid`, taken at `at`, weighing `kg` grams.
fn measure(grpid: i64, at: i64, grams: i64) -> Row {
    Row {
        table: &MEASURES,
        values: vec![
            Value::Int(grpid),
            Value::Int(1),
            Value::Int(-1),
            Value::Text(format!("{}.{:03}", grams / 1000, grams % 1000)),
            Value::Int(grams),
            Value::Int(-3),
            Value::Text("kg".into()),
            Value::Int(1),
            Value::Int(0),
            Value::Int(at),
            Value::Text("2024-06-01T08:00:00".into()),
            Value::Text("Europe/Paris".into()),
            Value::Int(at),
            Value::Int(at),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        ],
    }
}

fn upsert(row: Row) -> Op {
    Op::Upsert {
        row,
        on_change: None,
        seen: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_syncs_leave_the_same_data_in_postgresql_as_in_sqlite() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let (_, db) = database(&pg, "equivalence", 4).await;
    let pg_store = PgStore::new(db);
    let sqlite = SqliteStore::open_in_memory().unwrap();
    let sandbox = sandbox().await;
    let (client, user) = client(&sandbox, sandbox.manual_clock().unwrap()).await;
    // Intraday samples are turned on from the third sync: it backfills every stored day.
    let options = |intraday: bool| SyncOptions::new(sandbox.now()).intraday(intraday);

    let first = sync_both(
        &client,
        &user,
        &sqlite,
        &pg_store,
        options(false),
        "first sync",
    )
    .await;
    assert!(first.inserted > 1000, "{first:?}");
    assert_eq!(first.inserted, first.written(), "{first:?}");
    for t in ["measures", "activity", "sleep_segments", "devices", "goals"] {
        let rows = pg_store
            .read(ReadQuery {
                table: TableDef::by_name(t).unwrap(),
                user: Some(user.clone()),
                since: None,
                after: None,
                limit: 1,
            })
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "{t} is empty after the first sync");
    }

    let second = sync_both(
        &client,
        &user,
        &sqlite,
        &pg_store,
        options(false),
        "second sync",
    )
    .await;
    assert_eq!(second.written(), 0, "{second:?}");
    assert!(second.unchanged > 0, "{second:?}");

    let start = sandbox.now();
    sandbox.advance(DAY).unwrap();
    let third = sync_both(
        &client,
        &user,
        &sqlite,
        &pg_store,
        options(true),
        "after a day",
    )
    .await;
    assert!(third.inserted > 0 && third.queued > 0, "{third:?}");
    let intraday = snapshot(&pg_store, &user).await.tables[2].1.len();
    assert!(intraday > 0, "the third sync backfilled intraday samples");
    assert!(
        !sandbox.deleted_since(start).is_empty(),
        "the sandbox deletes a weigh-in in a day"
    );

    // A nap deleted in the app, with its two segments, in both stores: the `--full` pass
    // purges it (and its segments) along with the weigh-in the sandbox deleted.
    let window_start = sandbox.now().as_second() - 20 * 86_400;
    let nights = pg_store
        .read(ReadQuery {
            table: &SLEEP_SUMMARIES,
            user: Some(user.clone()),
            since: Some(Value::Int(window_start)),
            after: None,
            limit: usize::MAX,
        })
        .await
        .unwrap();
    let segments = pg_store
        .read(ReadQuery {
            table: &SLEEP_SEGMENTS,
            user: Some(user.clone()),
            since: None,
            after: None,
            limit: 1,
        })
        .await
        .unwrap();
    // The latest night in the window; the nap the afternoon before it.
    let latest = nights.last().unwrap();
    let nap = latest[5].as_int().unwrap() - 10 * 3_600;
    assert!(nap > window_start);
    let mut night = latest[1..].to_vec();
    night[0] = Value::Text("id:999001".into());
    night[1] = Value::Null;
    night[4] = Value::Int(nap);
    night[5] = Value::Int(nap + 3_600);
    let segment = |at: i64| {
        let mut values = segments[0][1..].to_vec();
        values[1] = Value::Int(at);
        values[2] = Value::Int(at + 600);
        upsert(Row {
            table: &SLEEP_SEGMENTS,
            values,
        })
    };
    let ghosts = Batch {
        user: user.clone(),
        synced_at: 1,
        ops: vec![
            upsert(Row {
                table: &SLEEP_SUMMARIES,
                values: night,
            }),
            segment(nap),
            segment(nap + 1_800),
        ],
    };
    let want = sqlite.write(ghosts.clone()).await.unwrap();
    assert_eq!(pg_store.write(ghosts).await.unwrap(), want);
    assert_eq!(want.inserted, 3);

    let window = FullWindow {
        from: Timestamp::from_second(window_start).unwrap(),
        to: sandbox.now(),
    };
    let full = sync_both(
        &client,
        &user,
        &sqlite,
        &pg_store,
        options(true).full(window),
        "--full",
    )
    .await;
    assert!(full.purged >= 1, "the nap: {full:?}");
    assert!(full.deleted >= 2, "the nap's segments: {full:?}");
    let keys: Vec<Value> = snapshot(&pg_store, &user).await.tables[4]
        .1
        .iter()
        .map(|r| r[1].clone())
        .collect();
    assert!(
        !keys.contains(&Value::Text("id:999001".into())),
        "the nap is purged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_counts_and_stores_as_in_sqlite() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let (_, db) = database(&pg, "operations", 2).await;
    let pg_store = PgStore::new(db);
    let sqlite = SqliteStore::open_in_memory().unwrap();
    let user = "10203040";
    let night = Pending {
        data_type: DataType::SleepSegments,
        start: NOW - 8 * 3600,
        end: NOW,
    };
    let rejected = |raw: &str| Rejected {
        data_type: DataType::Measures,
        raw: raw.to_owned(),
        context: "{}".to_owned(),
        path: "measures[0].value".to_owned(),
        error: "invented".to_owned(),
    };
    let cursor = |lastupdate: i64, offset: Option<i64>| Cursor {
        data_type: DataType::Measures,
        lastupdate,
        offset,
        next_lastupdate: offset.map(|_| NOW),
    };
    let changed = |mut row: Row| {
        row.values[8] = Value::Int(8); // attrib 8 never replaces a stored 0
        row.values[12] = Value::Int(NOW + 1);
        row
    };
    let batches = vec![
        vec![
            Op::BeginFull(&MEASURES),
            Op::Upsert {
                row: measure(1, NOW - 100, 70_125),
                on_change: Some(night),
                seen: true,
            },
            upsert(measure(2, NOW - 200, 70_300)),
            upsert(measure(2, NOW - 200, 70_300)),
            Op::Reject(rejected(r#"{"grpid":3}"#)),
            Op::Reject(rejected(r#"{"grpid":4}"#)),
            Op::Enqueue(Pending {
                data_type: DataType::Intraday,
                start: NOW - 86_400,
                end: NOW,
            }),
            Op::SetCursor(cursor(NOW - 3600, Some(7))),
        ],
        vec![
            // The same group again (unchanged, nothing queued), one changed but for a kept
            // attribution, one changed for real (queued again: already queued, counted 0).
            Op::Upsert {
                row: measure(1, NOW - 100, 70_125),
                on_change: Some(night),
                seen: true,
            },
            upsert(changed(measure(2, NOW - 200, 70_300))),
            Op::Upsert {
                row: measure(2, NOW - 200, 70_900),
                on_change: Some(night),
                seen: false,
            },
            Op::Reject(rejected(r#"{"grpid":3}"#)),
            Op::Accept {
                data_type: DataType::Measures,
                raw: r#"{"grpid":4}"#.to_owned(),
            },
            Op::Done(night),
            Op::Enqueue(night),
            Op::Replace {
                table: &MEASURES,
                start: Some(NOW - 150),
                end: Some(NOW),
                rows: vec![measure(5, NOW - 120, 71_000)],
            },
            Op::SetCursor(cursor(NOW, None)),
        ],
        vec![
            Op::Upsert {
                row: measure(5, NOW - 120, 71_000),
                on_change: None,
                seen: true,
            },
            Op::PurgeUnseen {
                table: &MEASURES,
                start: Value::Int(NOW - 1000),
                end: Value::Int(NOW),
            },
            // A whole-table replace: only the listed key stays.
            Op::Replace {
                table: &MEASURES,
                start: None,
                end: None,
                rows: vec![measure(5, NOW - 120, 71_000)],
            },
        ],
    ];
    for (i, ops) in batches.into_iter().enumerate() {
        let batch = Batch {
            user: user.to_owned(),
            synced_at: NOW + i64::try_from(i).unwrap(),
            ops,
        };
        let want = sqlite.write(batch.clone()).await.unwrap();
        let got = pg_store.write(batch).await.unwrap();
        assert_eq!(got, want, "batch {i}");
        same_data(&sqlite, &pg_store, user, &format!("batch {i}")).await;
    }
    // The counts themselves (the same in both stores, checked above).
    let snap = snapshot(&pg_store, user).await;
    let measures = &snap.tables[0].1;
    assert_eq!(measures.len(), 1, "{measures:?}");
    assert_eq!(snap.rejected.len(), 1);
    assert_eq!(snap.cursors[0], Some(cursor(NOW, None)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_that_fails_midway_writes_nothing_and_leaves_the_cursor() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    // One connection: the batch after the failure runs on the very connection that failed.
    let (_, db) = database(&pg, "failing", 1).await;
    let pg_store = PgStore::new(db);
    let sqlite = SqliteStore::open_in_memory().unwrap();
    let user = "10203040";
    let set = |lastupdate: i64| {
        Op::SetCursor(Cursor {
            data_type: DataType::Measures,
            lastupdate,
            offset: None,
            next_lastupdate: None,
        })
    };
    let before = Batch {
        user: user.to_owned(),
        synced_at: NOW,
        ops: vec![upsert(measure(1, NOW - 10, 70_000)), set(NOW - 3600)],
    };
    sqlite.write(before.clone()).await.unwrap();
    pg_store.write(before).await.unwrap();

    // A group whose `value` is NULL (a NOT NULL column) among good ones: the statements
    // before and after it are already on the wire when the server refuses it.
    let mut bad = measure(3, NOW - 5, 70_500);
    bad.values[3] = Value::Null;
    let mut ops = vec![
        set(NOW),
        Op::Enqueue(Pending {
            data_type: DataType::Intraday,
            start: NOW - 86_400,
            end: NOW,
        }),
        upsert(measure(1, NOW - 10, 70_100)),
        upsert(measure(2, NOW - 8, 70_200)),
        upsert(bad),
    ];
    ops.extend((10..200).map(|g| upsert(measure(g, NOW - g, 70_000 + g))));
    ops.push(set(NOW + 1));
    let failing = Batch {
        user: user.to_owned(),
        synced_at: NOW + 1,
        ops,
    };
    assert!(sqlite.write(failing.clone()).await.is_err());
    let err = pg_store.write(failing).await.unwrap_err();
    assert!(err.to_string().contains("PostgreSQL"), "{err}");
    let snap = same_data(&sqlite, &pg_store, user, "after the failed batch").await;
    assert_eq!(
        snap.cursors[0].unwrap().lastupdate,
        NOW - 3600,
        "cursor unchanged"
    );
    assert_eq!(snap.tables[0].1.len(), 1, "no group written");
    assert_eq!(
        snap.tables[0].1[0][4],
        Value::Text("70.000".into()),
        "not updated"
    );
    assert!(snap.pending.iter().all(Vec::is_empty), "nothing queued");

    // The connection is usable again, and a row of the wrong shape fails before any SQL.
    let stats = pg_store
        .write(Batch {
            user: user.to_owned(),
            synced_at: NOW + 2,
            ops: vec![upsert(measure(2, NOW - 8, 70_200)), set(NOW + 2)],
        })
        .await
        .unwrap();
    assert_eq!(stats.inserted, 1);
    let mut short = measure(4, NOW, 1);
    short.values.pop();
    let err = pg_store
        .write(Batch {
            user: user.to_owned(),
            synced_at: NOW + 3,
            ops: vec![set(NOW + 3), upsert(short)],
        })
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("17 values for 18 columns"),
        "{err}"
    );
    let cursor = pg_store.cursor(user, DataType::Measures).await.unwrap();
    assert_eq!(cursor.unwrap().lastupdate, NOW + 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_writing_the_same_batch_at_once_agree() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let (url, db) = database(&pg, "concurrent", 2).await;
    let a = PgStore::new(db);
    let b = PgStore::new(Database::connect(&url, 2).await.unwrap());
    let sqlite = SqliteStore::open_in_memory().unwrap();
    let user = "10203040";
    // The rows of a page, the page's queue entry and cursor; with `pause`, the worker stops
    // for that long halfway through (inside its transaction).
    let batch = |rows: Vec<Row>, round: i64, pause: Option<Duration>| {
        let half = rows.len() / 2;
        let mut ops: Vec<Op> = Vec::new();
        for (i, row) in rows.into_iter().enumerate() {
            if i == half
                && let Some(pause) = pause
            {
                ops.push(Op::Hook(Hook(Arc::new(move || std::thread::sleep(pause)))));
            }
            ops.push(upsert(row));
        }
        ops.push(Op::Enqueue(Pending {
            data_type: DataType::Intraday,
            start: NOW - 86_400,
            end: NOW,
        }));
        ops.push(Op::SetCursor(Cursor {
            data_type: DataType::Measures,
            lastupdate: NOW + round,
            offset: None,
            next_lastupdate: None,
        }));
        Batch {
            user: user.to_owned(),
            synced_at: NOW + round,
            ops,
        }
    };
    let rows = |round: i64| -> Vec<Row> {
        (1..=300)
            .map(|g| measure(g, NOW - g, 70_000 + g + round))
            .collect()
    };

    // Round 0: the same batch at the same time.
    sqlite.write(batch(rows(0), 0, None)).await.unwrap();
    let (one, two) = tokio::join!(
        a.write(batch(rows(0), 0, None)),
        b.write(batch(rows(0), 0, None))
    );
    let (one, two) = (one.unwrap(), two.unwrap());
    assert_eq!(one.inserted + two.inserted, 300, "{one:?} {two:?}");
    assert_eq!(one.unchanged + two.unchanged, 300, "{one:?} {two:?}");
    assert_eq!(one.queued + two.queued, 1, "{one:?} {two:?}");
    same_data(&sqlite, &a, user, "round 0").await;

    // Round 1: every row changed, the second worker taking them in reverse order, both
    // pausing halfway: each holds the half the other needs next. PostgreSQL breaks the
    // deadlock by aborting one, which is applied again and finds the rows already written.
    sqlite.write(batch(rows(1), 1, None)).await.unwrap();
    let pause = Some(Duration::from_millis(700));
    let mut reversed = rows(1);
    reversed.reverse();
    let one = tokio::spawn({
        let (a, batch) = (a.clone(), batch(rows(1), 1, pause));
        async move { a.write(batch).await }
    });
    let two = tokio::spawn({
        let (b, batch) = (b.clone(), batch(reversed, 1, pause));
        async move { b.write(batch).await }
    });
    let (one, two) = (one.await.unwrap().unwrap(), two.await.unwrap().unwrap());
    assert_eq!(one.updated + two.updated, 300, "{one:?} {two:?}");
    assert_eq!(one.inserted + two.inserted, 0, "{one:?} {two:?}");
    same_data(&sqlite, &a, user, "round 1").await;
    // The deadlock did happen (the statistics reach the view within a second or so).
    let client = a.database().client().await.unwrap();
    let mut deadlocks = 0;
    for _ in 0..50 {
        deadlocks = client
            .query_one(
                "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()",
                &[],
            )
            .await
            .unwrap()
            .get::<_, i64>(0);
        if deadlocks > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // (More than once when a retry meets the other worker still halfway.)
    assert!(deadlocks >= 1, "the two workers were meant to deadlock");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_are_in_sqlites_byte_order_whatever_the_databases_collation() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    // A database whose default collation is linguistic (ICU, English): it sorts "B" between
    // "a" and "c" and ignores punctuation at first, where SQLite compares bytes.
    let admin = Database::connect(&pg.url(), 1).await.unwrap();
    admin
        .client()
        .await
        .unwrap()
        .batch_execute(
            "CREATE DATABASE english TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' \
             LOCALE 'C'",
        )
        .await
        .unwrap();
    let url = format!("{}english", pg.url().trim_end_matches("postgres"));
    let db = Database::connect(&url, 1).await.unwrap();
    db.migrate().await.unwrap();
    let keys = [
        "id:10", "ID:2", "id-3", "id_4", "t:a", "T:b", "tz", "é:1", "e:2",
    ];
    let client = db.client().await.unwrap();
    let linguistic: Vec<String> = client
        .query(
            "SELECT k FROM unnest($1::text[]) k ORDER BY k",
            &[&&keys[..]],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut bytes: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    bytes.sort();
    assert_ne!(
        linguistic, bytes,
        "the database's own order must differ for this test"
    );
    drop(client); // the pool's one connection, for the store

    let pg_store = PgStore::new(db);
    let sqlite = SqliteStore::open_in_memory().unwrap();
    for user in ["b", "A", "a"] {
        let workout = |key: &str| Row {
            table: &withings_sync::schema::WORKOUTS,
            values: vec![
                Value::Text(key.to_owned()),
                Value::Null,
                Value::Int(1),
                Value::Int(NOW - 3600),
                Value::Int(NOW),
                Value::Text("2024-06-03T16:53:20".into()),
                Value::Text("2024-06-03T17:53:20".into()),
                Value::Text("2024-06-03".into()),
                Value::Int(3600),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Int(NOW),
                Value::Real(312.5),
                Value::Int(4_000),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Text("{}".into()),
            ],
        };
        let batch = Batch {
            user: user.to_owned(),
            synced_at: NOW,
            ops: keys.iter().map(|k| upsert(workout(k))).collect(),
        };
        assert_eq!(
            pg_store.write(batch.clone()).await.unwrap(),
            sqlite.write(batch).await.unwrap()
        );
    }
    for user in ["b", "A", "a"] {
        same_data(&sqlite, &pg_store, user, user).await;
    }
    let read = pg_store
        .read(ReadQuery {
            table: &withings_sync::schema::WORKOUTS,
            user: Some("a".to_owned()),
            since: None,
            after: None,
            limit: usize::MAX,
        })
        .await
        .unwrap();
    let got: Vec<&str> = read.iter().map(|r| r[1].as_text().unwrap()).collect();
    assert_eq!(got, bytes, "byte order");
}
