//! The engine against the sandbox: a first sync fills every table, a second asks only what
//! it must and writes nothing, a crash at any write loses and duplicates nothing, `--full`
//! deletes what Withings no longer returns, rejected records are retried.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use withings::jiff::{SignedDuration, Timestamp};
use withings_sync::schema::{HEART, MEASURES, SLEEP_SEGMENTS, SLEEP_SUMMARIES};
use withings_sync::{
    Batch, DataType, FullWindow, HookPoint, Op, Rejected, Report, SqliteStore, Store, Sync,
    SyncOptions, TableDef, Value,
};

use crate::support::{client, count, dump, now, sandbox};

async fn run(
    store: &SqliteStore,
    options: SyncOptions,
) -> (Report, withings_sandbox::RunningSandbox) {
    let sandbox = sandbox().await;
    let report = run_on(&sandbox, store, options).await.unwrap();
    (report, sandbox)
}

async fn run_on(
    sandbox: &withings_sandbox::RunningSandbox,
    store: &SqliteStore,
    options: SyncOptions,
) -> withings_sync::Result<Report> {
    let (client, user) = client(sandbox).await;
    Sync::new(client, store.clone(), user, options)
        .run(|_| {})
        .await
}

/// Data calls per action, from the sandbox's log.
fn calls_by_action(sandbox: &withings_sandbox::RunningSandbox) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for c in sandbox.calls() {
        *m.entry(format!("{} {}", c.path, c.get("action").unwrap_or("")))
            .or_insert(0) += 1;
    }
    m
}

fn all_tables(store: &SqliteStore) -> Vec<(&'static str, Vec<Vec<Value>>)> {
    TableDef::all().map(|t| (t.name, dump(store, t))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sync_asks_one_page_per_list_and_writes_nothing() {
    let store = SqliteStore::open_in_memory().unwrap();
    let sandbox = sandbox().await;
    let first = run_on(&sandbox, &store, SyncOptions::new(now()))
        .await
        .unwrap();
    for t in [
        "measures",
        "activity",
        "workouts",
        "sleep_summaries",
        "sleep_segments",
        "heart",
        "devices",
        "goals",
    ] {
        assert!(count(&store, t) > 0, "{t} is empty after the first sync");
    }
    assert_eq!(count(&store, "intraday"), 0, "intraday is opt-in");
    assert_eq!(
        count(&store, "pending"),
        0,
        "every queued night was fetched"
    );
    let total = first.total();
    assert!(total.pages > 10, "{total:?}");
    assert_eq!(total.stats.inserted, total.stats.written(), "{total:?}");
    // One sleep get per night, none for nights already known.
    let nights = count(&store, "sleep_summaries") as usize;
    let first_calls = calls_by_action(&sandbox);
    assert_eq!(first_calls["/v2/sleep get"], nights);
    let before = all_tables(&store);

    let n = sandbox.calls().len();
    let second = run_on(&sandbox, &store, SyncOptions::new(now()))
        .await
        .unwrap();
    let calls: Vec<_> = sandbox.calls().into_iter().skip(n).collect();
    assert_eq!(second.total().stats.written(), 0, "{second:?}");
    assert_eq!(all_tables(&store), before);
    // getmeas, getactivity, getworkouts, getsummary, heart list, getdevice, getgoals: once
    // each (the records inside the overlap fit one page), nothing else.
    let actions: Vec<String> = calls
        .iter()
        .map(|c| format!("{} {}", c.path, c.get("action").unwrap_or("")))
        .collect();
    assert_eq!(
        actions,
        [
            "/measure getmeas",
            "/v2/measure getactivity",
            "/v2/measure getworkouts",
            "/v2/sleep getsummary",
            "/v2/heart list",
            "/v2/user getdevice",
            "/v2/user getgoals"
        ],
        "{calls:#?}"
    );
    // The lists asked from their cursors, not from the start of history.
    for c in &calls[..4] {
        let lastupdate: i64 = c.get("lastupdate").unwrap().parse().unwrap();
        assert!(lastupdate > crate::support::NOW - 40 * 86_400, "{c:?}");
    }
    assert_eq!(second.total().calls, 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_getmeas_cursor_is_the_servers_time_minus_the_overlap() {
    let store = SqliteStore::open_in_memory().unwrap();
    let options = SyncOptions::new(now())
        .only([DataType::Measures])
        .overlap(SignedDuration::from_mins(30));
    run(&store, options).await;
    let c = store
        .cursor(&user_of(&store), DataType::Measures)
        .await
        .unwrap()
        .unwrap();
    // The sandbox's clock is frozen at NOW: `updatetime` = NOW.
    assert_eq!(c.lastupdate, crate::support::NOW - 1800);
    assert_eq!((c.offset, c.next_lastupdate), (None, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_v2_cursors_are_the_largest_modified_seen_minus_the_overlap() {
    let store = SqliteStore::open_in_memory().unwrap();
    run(&store, SyncOptions::new(now()).only([DataType::Workouts])).await;
    let max: i64 = withings_sync::query(&store, "SELECT MAX(modified) FROM workouts").unwrap()[0]
        [0]
    .as_int()
    .unwrap();
    let c = store
        .cursor(&user_of(&store), DataType::Workouts)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.lastupdate, max - 3600);
}

fn user_of(store: &SqliteStore) -> String {
    withings_sync::query(store, "SELECT user_id FROM cursors LIMIT 1").unwrap()[0][0]
        .as_text()
        .unwrap()
        .to_owned()
}

/// A crash (a panic inside the write's transaction, or right after a commit) at write `k`,
/// then a run to the end: the same database as an uninterrupted sync.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_stopped_at_any_write_then_resumed_equals_an_uninterrupted_one() {
    let options = || {
        SyncOptions::new(now()).only([
            DataType::Measures,
            DataType::Workouts,
            DataType::SleepSummaries,
            DataType::SleepSegments,
        ])
    };
    let reference = SqliteStore::open_in_memory().unwrap();
    let (report, _) = run(&reference, options()).await;
    let pages = report.total().pages;
    let want = all_tables(&reference);
    assert!(pages >= 10, "{pages} writes");

    let sandbox = sandbox().await;
    for (k, inside) in [
        (1, true),
        (2, false),
        (pages / 3, true),
        (pages / 2, false),
        (pages - 1, true),
    ] {
        let store = SqliteStore::open_in_memory().unwrap();
        let hook: withings_sync::HookFn = Arc::new(move |p| match p {
            HookPoint::BeforeCursor { page } if inside && page == k => {
                panic!("crash inside write {k}")
            }
            HookPoint::Committed { page } if !inside && page == k => {
                panic!("crash after write {k}")
            }
            _ => {}
        });
        let hooked = options().hook(hook);
        let stopped = tokio::spawn({
            let store = store.clone();
            let sandbox_url = sandbox.base_url().to_owned();
            let _ = sandbox_url;
            let (client, user) = client(&sandbox).await;
            async move { Sync::new(client, store, user, hooked).run(|_| {}).await }
        })
        .await;
        assert!(
            stopped.is_err() || stopped.as_ref().is_ok_and(Result::is_err),
            "write {k}: the crash did not stop the run"
        );
        let partial = all_tables(&store);
        assert_ne!(
            partial, want,
            "write {k}: nothing left to do after the crash"
        );
        run_on(&sandbox, &store, options()).await.unwrap();
        assert_eq!(
            all_tables(&store),
            want,
            "after a crash at write {k} (inside: {inside})"
        );
        assert_eq!(count(&store, "pending"), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sync_deletes_what_withings_no_longer_returns_in_its_window() {
    let store = SqliteStore::open_in_memory().unwrap();
    let sandbox = sandbox().await;
    run_on(
        &sandbox,
        &store,
        SyncOptions::new(now()).only([DataType::Measures]),
    )
    .await
    .unwrap();
    let kept = dump(&store, &MEASURES);
    let user = user_of(&store);
    // A weigh-in Withings no longer has (deleted in the app), and one outside the window.
    let ghost = |grpid: i64, at: i64| {
        let mut row = withings_sync::Row {
            table: &MEASURES,
            values: kept[0][1..].to_vec(),
        };
        row.values[0] = Value::Int(grpid);
        row.values[9] = Value::Int(at);
        Op::Upsert {
            row,
            on_change: None,
            seen: false,
        }
    };
    let window_start = crate::support::NOW - 20 * 86_400;
    store
        .write(Batch {
            user: user.clone(),
            synced_at: 1,
            ops: vec![
                ghost(999_001, crate::support::NOW - 86_400),
                ghost(999_002, window_start - 86_400),
            ],
        })
        .await
        .unwrap();
    let window = FullWindow {
        from: Timestamp::from_second(window_start).unwrap(),
        to: now(),
    };
    let report = run_on(
        &sandbox,
        &store,
        SyncOptions::new(now())
            .only([DataType::Measures])
            .full(window),
    )
    .await
    .unwrap();
    assert_eq!(report.total().stats.purged, 1, "{report:?}");
    let grpids: Vec<i64> = dump(&store, &MEASURES)
        .iter()
        .map(|r| r[1].as_int().unwrap())
        .collect();
    assert!(!grpids.contains(&999_001), "the deleted weigh-in is gone");
    assert!(grpids.contains(&999_002), "outside the window: kept");
    assert_eq!(grpids.len(), kept.len() + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_records_are_retried_and_written_once_they_decode() {
    let store = SqliteStore::open_in_memory().unwrap();
    let sandbox = sandbox().await;
    let (_, user) = client(&sandbox).await;
    let group = r#"{"grpid":4242,"attrib":0,"date":1717390000,"created":1717390100,"modified":1717390100,"category":1,"deviceid":null,"hash_deviceid":null,"measures":[{"value":70125,"type":1,"unit":-3}]}"#;
    let context = r#"{"updatetime":1717430000,"timezone":"Europe/Paris","measuregrps":[],"more":false,"offset":null}"#;
    let good = Rejected {
        data_type: DataType::Measures,
        raw: group.into(),
        context: context.into(),
        path: "body.measuregrps[0].measures[0].unit".into(),
        error: "an older decoder refused it".into(),
    };
    let bad = Rejected {
        raw: group.replace("\"unit\":-3", "\"unit\":999"),
        ..good.clone()
    };
    store
        .write(Batch {
            user: user.clone(),
            synced_at: 1,
            ops: vec![Op::Reject(good), Op::Reject(bad)],
        })
        .await
        .unwrap();
    let report = run_on(
        &sandbox,
        &store,
        SyncOptions::new(now()).only([DataType::Measures]),
    )
    .await
    .unwrap();
    assert_eq!(report.total().recovered, 1);
    let row = withings_sync::query(
        &store,
        "SELECT value, unit FROM measures WHERE grpid = 4242",
    )
    .unwrap();
    assert_eq!(
        row,
        vec![vec![Value::Text("70.125".into()), Value::Text("kg".into())]]
    );
    let left = withings_sync::query(&store, "SELECT tries, path FROM rejected").unwrap();
    assert_eq!(
        left,
        vec![vec![
            Value::Int(2),
            Value::Text("body.measuregrps[0]".into())
        ]]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intraday_is_fetched_for_the_days_that_changed_only_when_asked() {
    let store = SqliteStore::open_in_memory().unwrap();
    let sandbox = sandbox().await;
    let options = SyncOptions::new(now())
        .only([DataType::Activity])
        .intraday(true);
    run_on(&sandbox, &store, options.clone()).await.unwrap();
    let days = count(&store, "activity") as usize;
    assert!(count(&store, "intraday") > 0);
    let calls = calls_by_action(&sandbox);
    assert!(
        calls["/v2/measure getintradayactivity"] >= days,
        "{calls:?} for {days} days"
    );
    let n = sandbox.calls().len();
    run_on(&sandbox, &store, options).await.unwrap();
    let again: Vec<_> = sandbox.calls().into_iter().skip(n).collect();
    assert_eq!(again.len(), 1, "{again:#?}");
    let _ = Mutex::new(());
}

/// A night Withings no longer returns goes with its segments; a segment also held by a night
/// that stays (the same night stored under two keys) is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sync_deletes_the_segments_of_the_nights_it_purges() {
    let store = SqliteStore::open_in_memory().unwrap();
    let sandbox = sandbox().await;
    let sleep =
        || SyncOptions::new(now()).only([DataType::SleepSummaries, DataType::SleepSegments]);
    run_on(&sandbox, &store, sleep()).await.unwrap();
    let nights = dump(&store, &SLEEP_SUMMARIES);
    let segments = dump(&store, &SLEEP_SEGMENTS);
    let user = user_of(&store);
    let window_start = crate::support::NOW - 20 * 86_400;
    // The latest night: inside the window.
    let real = nights
        .iter()
        .max_by_key(|r| r[5].as_int().unwrap())
        .unwrap();
    let (start, end) = (real[5].as_int().unwrap(), real[6].as_int().unwrap());
    assert!(start > window_start);
    let held = |lo: i64, hi: i64, rows: &[Vec<Value>]| {
        rows.iter()
            .filter(|s| (lo..hi).contains(&s[2].as_int().unwrap()))
            .count()
    };
    assert!(held(start, end, &segments) > 0, "the night has segments");
    let night = |key: &str, start: i64, end: i64| {
        let mut values = real[1..].to_vec();
        values[0] = Value::Text(key.into());
        values[1] = Value::Null;
        values[4] = Value::Int(start);
        values[5] = Value::Int(end);
        withings_sync::Row {
            table: &SLEEP_SUMMARIES,
            values,
        }
    };
    let segment = |at: i64| {
        let mut values = segments[0][1..].to_vec();
        values[1] = Value::Int(at);
        values[2] = Value::Int(at + 600);
        withings_sync::Row {
            table: &SLEEP_SEGMENTS,
            values,
        }
    };
    // A nap deleted in the app (two segments), the latest night stored again under a key
    // Withings no longer sends, and a deleted nap outside the window (kept, with its
    // segment).
    let nap = start - 10 * 3_600;
    let old_nap = window_start - 2 * 86_400;
    let mut batch = Batch::new(user, 1);
    for row in [
        night("id:999001", nap, nap + 3_600),
        segment(nap),
        segment(nap + 1_800),
        night("id:999002", start, end),
        night("id:999003", old_nap, old_nap + 3_600),
        segment(old_nap),
    ] {
        batch.upsert(row);
    }
    store.write(batch).await.unwrap();

    let window = FullWindow {
        from: Timestamp::from_second(window_start).unwrap(),
        to: now(),
    };
    let report = run_on(&sandbox, &store, sleep().full(window))
        .await
        .unwrap();
    let stats = report.total().stats;
    assert_eq!(stats.purged, 2, "{report:?}");
    assert_eq!(stats.deleted, 2, "the nap's two segments: {report:?}");
    let keys: Vec<String> = dump(&store, &SLEEP_SUMMARIES)
        .iter()
        .map(|r| r[1].as_text().unwrap().to_owned())
        .collect();
    assert!(!keys.contains(&"id:999001".to_owned()));
    assert!(!keys.contains(&"id:999002".to_owned()));
    assert!(keys.contains(&"id:999003".to_owned()), "outside the window");
    let after = dump(&store, &SLEEP_SEGMENTS);
    assert_eq!(
        held(nap, nap + 3_600, &after),
        0,
        "the nap's segments are gone"
    );
    assert_eq!(
        held(start, end, &after),
        held(start, end, &segments),
        "the night that stays keeps its segments"
    );
    assert_eq!(held(old_nap, old_nap + 3_600, &after), 1);
    assert_eq!(after.len(), segments.len() + 1);
}

/// `heart list` has no `lastupdate`: an incremental pass reads the last
/// [`SyncOptions::heart_reread`] again, so a record Withings changed in that window is
/// caught even when it is older than the latest record; one changed before the window is
/// caught by `--full` only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heart_records_changed_in_the_reread_window_are_caught_older_ones_by_full() {
    const DAY: i64 = 86_400;
    let store = SqliteStore::open_in_memory().unwrap();
    let sandbox = sandbox().await;
    let options = |days: i64| {
        SyncOptions::new(now())
            .only([DataType::Heart])
            .heart_reread(SignedDuration::from_secs(days * DAY))
    };
    run_on(&sandbox, &store, options(20)).await.unwrap();
    let user = user_of(&store);
    let synced = dump(&store, &HEART);
    // taken_at is column 2 (after user_id and record_key). The sandbox's records of the
    // last 20 days: one 3 days old (the latest), one 17 days old.
    let taken = |r: &Vec<Value>| r[2].as_int().unwrap();
    let latest = synced.iter().map(taken).max().unwrap();
    let cursor = store.cursor(&user, DataType::Heart).await.unwrap().unwrap();
    assert_eq!(
        cursor.lastupdate,
        latest - 3_600,
        "the latest recording minus the overlap"
    );
    let older = synced
        .iter()
        .find(|r| (crate::support::NOW - 20 * DAY..latest - 3_600).contains(&taken(r)))
        .expect("a record of the last 20 days older than the latest")
        .clone();
    // As if Withings had revised its classification since: the stored copy differs from
    // what it returns.
    let revise = || async {
        let mut values = older[1..].to_vec();
        values[6] = Value::Int(9);
        let mut batch = Batch::new(user.clone(), 1);
        batch.upsert(withings_sync::Row {
            table: &HEART,
            values,
        });
        store.write(batch).await.unwrap();
        assert!(!dump(&store, &HEART).contains(&older));
    };

    // Inside the re-read window, before the latest record (which a cursor at the latest
    // recording time minus the overlap would start after): caught, in one call.
    revise().await;
    let n = sandbox.calls().len();
    let report = run_on(&sandbox, &store, options(20)).await.unwrap();
    assert_eq!(report.total().stats.updated, 1, "{report:?}");
    assert_eq!(sandbox.calls().len() - n, 1, "one heart list call");
    assert_eq!(dump(&store, &HEART), synced);

    // With a 10-day window the 17-day-old record is not read again.
    revise().await;
    let report = run_on(&sandbox, &store, options(10)).await.unwrap();
    assert_eq!(report.total().stats.written(), 0, "{report:?}");
    assert!(
        !dump(&store, &HEART).contains(&older),
        "not caught incrementally"
    );
    let full = FullWindow {
        from: Timestamp::from_second(crate::support::NOW - 60 * DAY).unwrap(),
        to: now(),
    };
    let report = run_on(&sandbox, &store, options(10).full(full))
        .await
        .unwrap();
    assert_eq!(report.total().stats.updated, 1, "{report:?}");
    assert_eq!(dump(&store, &HEART), synced, "--full catches it");
}
