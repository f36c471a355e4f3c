//! The SQLite store: idempotent upserts, one transaction per batch, the file's mode, the
//! window operations and chunked reads.

use std::sync::Arc;

use withings_sync::schema::{ACTIVITY, DEVICES, MEASURES};
use withings_sync::{
    Batch, Cursor, DataType, Hook, Op, Pending, ReadQuery, Row, SqliteStore, Store, Value,
};

use crate::support::{TempDir, count, dump};

/// A measure row of `grpid` taken at `at`, `value` as mantissa with exponent -2.
fn measure(grpid: i64, at: i64, mantissa: i64) -> Row {
    let d = withings::decode::Decimal::new(mantissa, -2).unwrap();
    Row {
        table: &MEASURES,
        values: vec![
            Value::Int(grpid),
            Value::Int(1),
            Value::Int(-1),
            Value::Text(d.to_string()),
            Value::Int(mantissa),
            Value::Int(-2),
            Value::Text("kg".into()),
            Value::Int(1),
            Value::Int(0),
            Value::Int(at),
            Value::Text("2024-06-03T07:00:00+02:00".into()),
            Value::Text("Europe/Paris".into()),
            Value::Null,
            Value::Int(at + 60),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        ],
    }
}

fn batch(at: i64, ops: Vec<Op>) -> Batch {
    Batch {
        user: "u1".into(),
        synced_at: at,
        ops,
    }
}

fn upsert(row: Row) -> Op {
    Op::Upsert {
        row,
        on_change: None,
        seen: false,
    }
}

#[tokio::test]
async fn writing_the_same_record_twice_changes_nothing() {
    let store = SqliteStore::open_in_memory().unwrap();
    let first = store
        .write(batch(100, vec![upsert(measure(7, 1000, 7825))]))
        .await
        .unwrap();
    assert_eq!((first.inserted, first.updated, first.unchanged), (1, 0, 0));
    let before = withings_sync::query(&store, "SELECT * FROM measures").unwrap();

    // The same record again, at a later sync: nothing changes, not even synced_at.
    let again = store
        .write(batch(200, vec![upsert(measure(7, 1000, 7825))]))
        .await
        .unwrap();
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 1));
    assert_eq!(again.written(), 0);
    assert_eq!(
        withings_sync::query(&store, "SELECT * FROM measures").unwrap(),
        before
    );

    // A changed value updates the one row in place.
    let changed = store
        .write(batch(300, vec![upsert(measure(7, 1000, 7830))]))
        .await
        .unwrap();
    assert_eq!((changed.inserted, changed.updated), (0, 1));
    let rows =
        withings_sync::query(&store, "SELECT value, mantissa, synced_at FROM measures").unwrap();
    assert_eq!(
        rows,
        vec![vec![
            Value::Text("78.3".into()),
            Value::Int(7830),
            Value::Int(300)
        ]]
    );
}

/// `measure` with attribution `attrib` (index 8 of the measures columns).
fn measure_attrib(grpid: i64, attrib: i64) -> Row {
    let mut row = measure(grpid, 1000, 7825);
    row.values[8] = Value::Int(attrib);
    row
}

#[tokio::test]
async fn the_duplicate_attribution_8_never_replaces_0_whatever_the_order() {
    // API notes §12.14: one group sent twice, attrib 0 and 8, possibly on two pages.
    for order in [[0, 8], [8, 0]] {
        let store = SqliteStore::open_in_memory().unwrap();
        for (i, a) in order.into_iter().enumerate() {
            store
                .write(batch(i as i64, vec![upsert(measure_attrib(7, a))]))
                .await
                .unwrap();
        }
        let rows = withings_sync::query(&store, "SELECT attrib FROM measures").unwrap();
        assert_eq!(rows, vec![vec![Value::Int(0)]], "order {order:?}");
    }
    // Any other change of attribution is written (a confirmed weigh-in: 1 then 7).
    let store = SqliteStore::open_in_memory().unwrap();
    for a in [1, 7] {
        store
            .write(batch(a, vec![upsert(measure_attrib(7, a))]))
            .await
            .unwrap();
    }
    let rows = withings_sync::query(&store, "SELECT attrib FROM measures").unwrap();
    assert_eq!(rows, vec![vec![Value::Int(7)]]);
}

#[tokio::test]
async fn a_measure_without_position_is_one_row_however_often_written() {
    // NULLs never conflict in a unique key: the position is stored as -1 instead.
    let store = SqliteStore::open_in_memory().unwrap();
    for _ in 0..3 {
        store
            .write(batch(1, vec![upsert(measure(9, 1000, 100))]))
            .await
            .unwrap();
    }
    assert_eq!(count(&store, "measures"), 1);
}

#[tokio::test]
async fn a_batch_that_fails_inside_its_transaction_leaves_nothing() {
    let store = SqliteStore::open_in_memory().unwrap();
    let cursor = Cursor {
        data_type: DataType::Measures,
        lastupdate: 5000,
        offset: Some(7),
        next_lastupdate: Some(6000),
    };
    let boom = Hook(Arc::new(|| {
        panic!("crash between the records and the cursor")
    }));
    let err = store
        .write(batch(
            1,
            vec![
                upsert(measure(1, 1000, 100)),
                Op::Enqueue(Pending {
                    data_type: DataType::SleepSegments,
                    start: 10,
                    end: 20,
                }),
                Op::Hook(boom),
                Op::SetCursor(cursor),
            ],
        ))
        .await;
    assert!(err.is_err());
    assert_eq!(count(&store, "measures"), 0);
    assert_eq!(count(&store, "pending"), 0);
    assert_eq!(store.cursor("u1", DataType::Measures).await.unwrap(), None);

    // The same batch without the crash: records and cursor together.
    store
        .write(batch(
            1,
            vec![upsert(measure(1, 1000, 100)), Op::SetCursor(cursor)],
        ))
        .await
        .unwrap();
    assert_eq!(count(&store, "measures"), 1);
    assert_eq!(
        store.cursor("u1", DataType::Measures).await.unwrap(),
        Some(cursor)
    );
}

#[cfg(unix)]
#[tokio::test]
async fn the_database_file_is_created_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new();
    let path = dir.0.join("nested").join("withings").join("withings.db");
    let store = SqliteStore::open(&path).unwrap();
    store
        .write(batch(1, vec![upsert(measure(1, 1000, 100))]))
        .await
        .unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600, "database file");
    assert_eq!(mode(path.parent().unwrap()), 0o700, "its folder");
    let wal = path.with_extension("db-wal");
    assert!(wal.exists(), "WAL journal");
    assert_eq!(mode(&wal), 0o600, "the WAL journal");
    drop(store);
    // Opened again: the data is there.
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(count(&store, "measures"), 1);
}

#[tokio::test]
async fn replace_makes_a_window_exactly_the_rows_given() {
    let store = SqliteStore::open_in_memory().unwrap();
    let rows = |ids: &[i64]| {
        ids.iter()
            .map(|&g| measure(g, g * 100, g))
            .collect::<Vec<_>>()
    };
    let replace = |rows, start, end| Op::Replace {
        table: &MEASURES,
        start: Some(start),
        end: Some(end),
        rows,
    };
    store
        .write(batch(1, vec![replace(rows(&[1, 2, 3, 4, 5]), 0, 10_000)]))
        .await
        .unwrap();
    // Window [200, 450): 2, 3 and 4 were there; 3 is gone, 4 changes, 1 and 5 are outside.
    let mut four = measure(4, 400, 44);
    four.values[3] = Value::Text("0.44".into());
    let stats = store
        .write(batch(
            2,
            vec![replace(vec![measure(2, 200, 2), four], 200, 450)],
        ))
        .await
        .unwrap();
    assert_eq!(
        (
            stats.inserted,
            stats.updated,
            stats.unchanged,
            stats.deleted
        ),
        (0, 1, 1, 1)
    );
    let grpids: Vec<i64> = dump(&store, &MEASURES)
        .iter()
        .map(|r| r[1].as_int().unwrap())
        .collect();
    assert_eq!(grpids, [1, 2, 4, 5]);

    // Without bounds: the whole table for the user (devices).
    let device = |key: &str| Row {
        table: &DEVICES,
        values: vec![
            Value::Text(key.into()),
            Value::Text("Scale".into()),
            Value::Text("high".into()),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Text("UTC".into()),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        ],
    };
    let all = |rows| Op::Replace {
        table: &DEVICES,
        start: None,
        end: None,
        rows,
    };
    store
        .write(batch(1, vec![all(vec![device("a"), device("b")])]))
        .await
        .unwrap();
    let s = store
        .write(batch(1, vec![all(vec![device("b")])]))
        .await
        .unwrap();
    assert_eq!(s.deleted, 1);
    assert_eq!(count(&store, "devices"), 1);
}

#[tokio::test]
async fn a_full_pass_purges_only_unseen_rows_of_its_window() {
    let store = SqliteStore::open_in_memory().unwrap();
    let ops: Vec<Op> = (1..=5).map(|g| upsert(measure(g, g * 100, g))).collect();
    store.write(batch(1, ops)).await.unwrap();
    let seen = |g: i64| Op::Upsert {
        row: measure(g, g * 100, g),
        on_change: None,
        seen: true,
    };
    // The pass over [150, 450] sees 2 and 4 over two pages: 3 is gone; 1 and 5 are outside.
    store
        .write(batch(2, vec![Op::BeginFull(&MEASURES), seen(2)]))
        .await
        .unwrap();
    let end = store
        .write(batch(
            2,
            vec![
                seen(4),
                Op::PurgeUnseen {
                    table: &MEASURES,
                    start: Value::Int(150),
                    end: Value::Int(450),
                },
            ],
        ))
        .await
        .unwrap();
    assert_eq!(end.purged, 1);
    let grpids: Vec<i64> = dump(&store, &MEASURES)
        .iter()
        .map(|r| r[1].as_int().unwrap())
        .collect();
    assert_eq!(grpids, [1, 2, 4, 5]);
    assert_eq!(
        count(&store, "full_seen"),
        0,
        "the pass's keys are forgotten"
    );
}

#[tokio::test]
async fn on_change_queues_work_only_for_new_or_changed_rows() {
    let store = SqliteStore::open_in_memory().unwrap();
    let night = Pending {
        data_type: DataType::SleepSegments,
        start: 100,
        end: 200,
    };
    let op = |m| Op::Upsert {
        row: measure(1, 1000, m),
        on_change: Some(night),
        seen: false,
    };
    let s = store.write(batch(1, vec![op(1)])).await.unwrap();
    assert_eq!(s.queued, 1);
    store.write(batch(1, vec![Op::Done(night)])).await.unwrap();
    let s = store.write(batch(1, vec![op(1)])).await.unwrap();
    assert_eq!(s.queued, 0, "unchanged: nothing to fetch again");
    let s = store.write(batch(1, vec![op(2)])).await.unwrap();
    assert_eq!(s.queued, 1, "changed: fetched again");
    assert_eq!(
        store
            .pending("u1", DataType::SleepSegments, 10)
            .await
            .unwrap(),
        vec![night]
    );
}

#[tokio::test]
async fn reads_go_on_in_chunks_in_time_order_from_since() {
    let store = SqliteStore::open_in_memory().unwrap();
    let ops = (1..=10)
        .map(|g| upsert(measure(g, 10_000 - g * 100, g)))
        .collect();
    store.write(batch(1, ops)).await.unwrap();
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let chunk = store
            .read(ReadQuery {
                table: &MEASURES,
                user: Some("u1".into()),
                since: Some(Value::Int(9_000)),
                after: after.clone(),
                limit: 3,
            })
            .await
            .unwrap();
        if chunk.is_empty() {
            break;
        }
        after = chunk.last().cloned();
        all.extend(chunk);
    }
    // taken_at = 10000 - 100 g ≥ 9000: g = 1..=10; oldest first.
    let grpids: Vec<i64> = all.iter().map(|r| r[1].as_int().unwrap()).collect();
    assert_eq!(grpids, [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    assert_eq!(all[0][0], Value::Text("u1".into()), "user_id first");
    assert_eq!(all[0].len(), MEASURES.columns.len() + 1, "no synced_at");
}

#[tokio::test]
async fn rejected_records_count_their_tries_and_are_forgotten_once_accepted() {
    let store = SqliteStore::open_in_memory().unwrap();
    let r = withings_sync::Rejected {
        data_type: DataType::Activity,
        raw: r#"{"date":"2024-13-01"}"#.into(),
        context: "{}".into(),
        path: "body.activities[0].date".into(),
        error: "not a date".into(),
    };
    store
        .write(batch(1, vec![Op::Reject(r.clone())]))
        .await
        .unwrap();
    store
        .write(batch(2, vec![Op::Reject(r.clone())]))
        .await
        .unwrap();
    let rows =
        withings_sync::query(&store, "SELECT tries, first_seen, last_tried FROM rejected").unwrap();
    assert_eq!(
        rows,
        vec![vec![Value::Int(2), Value::Int(1), Value::Int(2)]]
    );
    assert_eq!(store.rejected("u1", 10).await.unwrap(), vec![r.clone()]);
    store
        .write(batch(
            3,
            vec![Op::Accept {
                data_type: DataType::Activity,
                raw: r.raw,
            }],
        ))
        .await
        .unwrap();
    assert_eq!(count(&store, "rejected"), 0);
    let _ = &ACTIVITY;
}

/// The purge's SQL comes from the schema for both dialects: only nights own rows (their
/// segments), and the PostgreSQL text has its own placeholders only.
#[test]
fn the_purge_sql_is_generated_for_each_dialect_from_the_owner_relation() {
    use withings_sync::TableDef;
    use withings_sync::schema::{Dialect, SLEEP_SEGMENTS, SLEEP_SUMMARIES, TableSql};
    for table in TableDef::all() {
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            let sql = TableSql::new(table, dialect);
            let owned = if table.name == SLEEP_SUMMARIES.name {
                1
            } else {
                0
            };
            assert_eq!(sql.purge_owned.len(), owned, "{}", table.name);
            for s in sql.purge_owned.iter().chain([&sql.purge]) {
                let other = if dialect == Dialect::Postgres {
                    "?"
                } else {
                    "$"
                };
                assert!(!s.contains(other), "{dialect:?}: {s}");
            }
        }
    }
    let owner = SLEEP_SEGMENTS.owner.unwrap();
    assert_eq!(owner.table.name, "sleep_summaries");
    let pg = TableSql::new(&SLEEP_SUMMARIES, Dialect::Postgres);
    assert!(pg.purge_owned[0].starts_with("DELETE FROM sleep_segments WHERE user_id = $1"));
    println!("{}\n{}", pg.purge_owned[0], pg.purge);
}
