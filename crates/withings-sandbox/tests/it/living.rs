//! The living account over HTTP: five years of history walked page by page, `lastupdate`
//! returning exactly what changed after the clock moves, deletions seen only by a re-read,
//! the issue-12 records in their wire shapes, and the compressed application limit.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::Value;
use withings_model::activity::{GetActivity, GetActivityBody};
use withings_model::measure::{GetMeas, GetMeasBody};
use withings_model::sleep::{GetSleep, GetSleepBody, GetSleepSummary, GetSleepSummaryBody};
use withings_model::user::{GetDevice, GetGoals};
use withings_model::workout::{GetWorkouts, GetWorkoutsBody};
use withings_model::{Endpoint, Reply, parse_reply};
use withings_sandbox::{Error, Inventory, Sandbox};

use crate::harness::{Harness, NOW, tokens, ts};

const DAY: i64 = 86_400;

/// A sandbox for walking whole histories: big pages, no limits.
async fn roomy() -> Harness {
    Harness::with(|b| {
        b.rate_limit(false)
            .no_app_limit()
            .page_size(200)
            .meas_page_size(300)
    })
    .await
}

/// Every record of a paged action, following `more`/`offset`; the number of pages.
async fn walk<E: Endpoint>(
    h: &Harness,
    t: &str,
    pairs: &[(&str, &str)],
    key: &str,
) -> (Vec<Value>, usize) {
    let mut offset = 0i64;
    let mut records = Vec::new();
    for pages in 1..1000 {
        let off = offset.to_string();
        let mut all: Vec<(&str, &str)> = pairs.to_vec();
        if offset > 0 {
            all.push(("offset", &off));
        }
        let resp = h.call_to::<E>(t, &all).await;
        let v = resp.json();
        assert_eq!(v["status"], 0, "{}", resp.text());
        let body = &v["body"];
        records.extend(body[key].as_array().unwrap().iter().cloned());
        let more = body["more"]
            .as_bool()
            .unwrap_or_else(|| body["more"].as_i64().unwrap() == 1);
        if !more {
            return (records, pages);
        }
        let next = body["offset"].as_i64().unwrap();
        assert!(next > offset, "offset must advance");
        offset = next;
    }
    panic!("{} {}: more than 1000 pages", E::SERVICE.path(), E::ACTION)
}

/// Everything the list endpoints return for `lastupdate=since`, keyed by record.
type Snapshot = BTreeMap<String, Value>;

async fn snapshot(h: &Harness, t: &str, since: i64) -> Snapshot {
    let since = since.to_string();
    let pairs = [("lastupdate", since.as_str())];
    let mut all = Snapshot::new();
    let (groups, _) = walk::<GetMeas>(h, t, &pairs, "measuregrps").await;
    for g in groups {
        // The group sent twice (attrib 0 and 8) is one record with two copies.
        let key = format!("meas {}", g["grpid"]);
        match all.get_mut(&key) {
            Some(Value::Array(copies)) => copies.push(g),
            _ => {
                all.insert(key, Value::Array(vec![g]));
            }
        }
    }
    for (action, key, id) in [
        ("activity", "activities", "date"),
        ("workouts", "series", "id"),
        ("summary", "series", "id"),
    ] {
        let records = match action {
            "activity" => walk::<GetActivity>(h, t, &pairs, key).await.0,
            "workouts" => walk::<GetWorkouts>(h, t, &pairs, key).await.0,
            _ => walk::<GetSleepSummary>(h, t, &pairs, key).await.0,
        };
        for r in records {
            let k = format!("{action} {}", r[id]);
            assert!(all.insert(k.clone(), r).is_none(), "{k} twice");
        }
    }
    all
}

fn count(s: &Snapshot, prefix: &str) -> usize {
    s.keys().filter(|k| k.starts_with(prefix)).count()
}

/// The counts of a snapshot, as [`Inventory`] counts them.
fn counts(s: &Snapshot) -> (usize, usize, usize, usize) {
    (
        count(s, "meas "),
        count(s, "activity "),
        count(s, "workouts "),
        count(s, "summary "),
    )
}

fn inv_counts(i: &Inventory) -> (usize, usize, usize, usize) {
    (
        i.measure_groups,
        i.activity_days,
        i.workouts,
        i.sleep_summaries,
    )
}

#[tokio::test]
async fn five_years_page_by_page_match_the_inventory() {
    let h = roomy().await;
    let (t, _) = h.login().await;
    let inventory = h.sandbox.inventory();

    let (groups, pages) = walk::<GetMeas>(&h, &t, &[], "measuregrps").await;
    assert!(pages > 5, "{pages} pages");
    let ids: BTreeSet<i64> = groups
        .iter()
        .map(|g| g["grpid"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), inventory.measure_groups);
    assert_eq!(groups.len(), ids.len() + 1, "one group is sent twice");
    let measures: usize = groups
        .iter()
        .filter(|g| g["attrib"] != 8)
        .map(|g| g["measures"].as_array().unwrap().len())
        .sum();
    assert_eq!(measures, inventory.measures);
    let dates: Vec<i64> = groups.iter().map(|g| g["date"].as_i64().unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first");
    // On the oldest day, the height typed in at account creation, five years ago.
    let height = groups
        .iter()
        .rev()
        .take(3)
        .find(|g| g["measures"][0]["type"] == 4)
        .unwrap();
    assert!(height["date"].as_i64().unwrap() < NOW - 5 * 365 * DAY + 2 * DAY);

    let far = [("startdateymd", "2000-01-01"), ("enddateymd", "2030-01-01")];
    let (days, pages) = walk::<GetActivity>(&h, &t, &far, "activities").await;
    assert_eq!(days.len(), inventory.activity_days);
    assert_eq!(days.len(), 1826);
    assert_eq!(pages, 10);
    let dates: Vec<&str> = days.iter().map(|d| d["date"].as_str().unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] < w[1]), "oldest first, once");
    assert_eq!(dates.first(), Some(&"2019-06-05"));
    assert_eq!(dates.last(), Some(&"2024-06-03"));

    let (workouts, _) = walk::<GetWorkouts>(&h, &t, &far, "series").await;
    assert_eq!(workouts.len(), inventory.workouts);
    let (nights, _) = walk::<GetSleepSummary>(&h, &t, &far, "series").await;
    assert_eq!(nights.len(), inventory.sleep_summaries);
    let ecgs: Vec<Value> = walk::<withings_model::heart::HeartList>(&h, &t, &[], "series")
        .await
        .0;
    assert_eq!(ecgs.len(), inventory.ecgs);

    // Small pages walk the same records.
    let small = Harness::with(|b| b.rate_limit(false).no_app_limit().page_size(97)).await;
    let (st, _) = small.login().await;
    let (again, pages) = walk::<GetActivity>(&small, &st, &far, "activities").await;
    assert_eq!(pages, 19);
    assert_eq!(again, days);
    // A window inside the history: only its days.
    let year = [("startdateymd", "2021-01-01"), ("enddateymd", "2021-12-31")];
    let (in_2021, _) = walk::<GetActivity>(&h, &t, &year, "activities").await;
    assert_eq!(in_2021.len(), 365);
}

#[tokio::test]
async fn lastupdate_returns_exactly_what_changed_after_a_day() {
    let h = roomy().await;
    let (t, refresh) = h.login().await;
    let before = snapshot(&h, &t, 0).await;
    assert_eq!(counts(&before), inv_counts(&h.sandbox.inventory()));
    // Nothing changed since "now".
    let none = snapshot(&h, &t, NOW).await;
    assert!(none.is_empty(), "{:?}", none.keys().collect::<Vec<_>>());

    assert_eq!(
        h.sandbox.advance(Duration::from_secs(DAY as u64)).unwrap(),
        ts(NOW + DAY)
    );
    // The access token lived 3 hours of the sandbox's clock.
    let expired = h.call_to::<GetGoals>(&t, &[]).await;
    assert_eq!(expired.status_code(), 401);
    let (t, _) = tokens(&h.refresh(&refresh).await);
    let after = snapshot(&h, &t, 0).await;
    assert_eq!(counts(&after), inv_counts(&h.sandbox.inventory()));

    // What changed, worked out from the two complete pictures.
    let changed: BTreeSet<&String> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, _)| k)
        .collect();
    let since = snapshot(&h, &t, NOW).await;
    let returned: BTreeSet<&String> = since.keys().collect();
    assert_eq!(
        returned, changed,
        "lastupdate must return exactly the new and changed"
    );
    for (k, v) in &since {
        assert_eq!(
            Some(v),
            after.get(k),
            "{k}: lastupdate and a full read disagree"
        );
    }
    assert_eq!(
        counts(&since),
        inv_counts(&h.sandbox.updated_since(ts(NOW)))
    );

    // New records of the day, and old ones edited.
    let is_new = |k: &&&String| !before.contains_key(**k);
    assert!(
        changed
            .iter()
            .filter(is_new)
            .any(|k| k.starts_with("meas "))
    );
    assert!(
        changed
            .iter()
            .filter(is_new)
            .any(|k| k.starts_with("summary "))
    );
    assert!(changed.iter().any(|k| *k == "activity \"2024-06-04\""));
    let old = |prefix: &str| {
        changed
            .iter()
            .filter(|k| k.starts_with(prefix) && before.contains_key(**k))
            .count()
    };
    // Yesterday's activity settled, today's grew, 30 days before re-synced.
    assert!(old("activity ") >= 2, "{changed:?}");
    assert!(changed.contains(&&"activity \"2024-05-04\"".to_owned()));
    assert!(old("summary ") >= 1 && old("workouts ") >= 1, "{changed:?}");
    // The ambiguous weigh-in of 12 days before, confirmed by the user.
    let confirmed: Vec<&Value> = changed
        .iter()
        .filter(|k| k.starts_with("meas ") && before.contains_key(**k))
        .map(|k| &after[*k][0])
        .collect();
    assert!(
        confirmed
            .iter()
            .any(|g| g["attrib"] == 7 && g["date"].as_i64().unwrap() < NOW - 11 * DAY),
        "{confirmed:?}"
    );
    // Every answer still parses.
    let meas = h
        .call_to::<GetMeas>(&t, &[("lastupdate", &NOW.to_string())])
        .await;
    assert!(matches!(
        parse_reply::<GetMeasBody>(&meas.body),
        Ok(Reply::Ok(_))
    ));
}

#[tokio::test]
async fn a_deleted_weigh_in_disappears_and_lastupdate_does_not_say_so() {
    let h = roomy().await;
    let (t, refresh) = h.login().await;
    let window = [
        ("startdate", &*(NOW - 30 * DAY).to_string()),
        ("enddate", &*NOW.to_string()),
    ]
    .map(|(k, v)| (k, v.to_owned()));
    let pairs: Vec<(&str, &str)> = window.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let ids = |v: &Value| -> BTreeSet<i64> {
        v["body"]["measuregrps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["grpid"].as_i64().unwrap())
            .collect()
    };
    let before = ids(&h.call_to::<GetMeas>(&t, &pairs).await.json());
    assert!(h.sandbox.deleted_since(ts(NOW)).is_empty());

    // Eleven hours on: still there.
    h.sandbox.advance(Duration::from_secs(11 * 3600)).unwrap();
    let (t, refresh) = tokens(&h.refresh(&refresh).await);
    assert_eq!(ids(&h.call_to::<GetMeas>(&t, &pairs).await.json()), before);
    h.sandbox.advance(Duration::from_secs(3600)).unwrap();
    let (t, _) = tokens(&h.refresh(&refresh).await);
    let after = ids(&h.call_to::<GetMeas>(&t, &pairs).await.json());
    let gone: Vec<i64> = before.difference(&after).copied().collect();
    assert_eq!(gone.len(), 1, "one weigh-in deleted");
    assert_eq!(h.sandbox.deleted_since(ts(NOW)), gone);
    assert!(after.is_subset(&before), "nothing new inside an old window");
    let since = h
        .call_to::<GetMeas>(&t, &[("lastupdate", &NOW.to_string())])
        .await
        .json();
    assert!(!ids(&since).contains(&gone[0]), "no trace in lastupdate");
    // A deleted group cannot be confirmed either.
    let confirm = h
        .call_to::<withings_model::measure::ConfirmUser>(
            &t,
            &[("grpid", &gone[0].to_string()), ("is_confirmed", "true")],
        )
        .await;
    assert_eq!(confirm.status_code(), 503);
}

#[tokio::test]
async fn new_days_keep_coming_as_the_clock_moves() {
    let h = roomy().await;
    let (t, refresh) = h.login().await;
    let start = h.sandbox.inventory();
    let mut refresh = refresh;
    let mut token = t;
    for week in 1..=4 {
        h.sandbox
            .advance(Duration::from_secs(7 * DAY as u64))
            .unwrap();
        let (t, r) = tokens(&h.refresh(&refresh).await);
        (token, refresh) = (t, r);
        let now = h.sandbox.inventory();
        assert_eq!(now.activity_days, start.activity_days + 7 * week);
        assert!(now.sleep_summaries >= start.sleep_summaries + 7 * week);
        assert!(now.measure_groups >= start.measure_groups + 5 * week);
    }
    // A Body Scan weigh-in every Sunday: four groups each.
    let since = (NOW - 2 * DAY).to_string();
    let (groups, _) = walk::<GetMeas>(&h, &token, &[("startdate", &since)], "measuregrps").await;
    let scans = groups.iter().filter(|g| g["modelid"] == 19).count();
    assert_eq!(scans, 5 * 4, "2024-06-02 and the four Sundays after it");
}

#[tokio::test]
async fn the_issue_12_records_arrive_in_their_wire_shapes() {
    let h = roomy().await;
    let (t, _) = h.login().await;
    let month = [
        ("startdate", &*(NOW - 30 * DAY).to_string()),
        ("enddate", &*NOW.to_string()),
    ]
    .map(|(k, v)| (k, v.to_owned()));
    let pairs: Vec<(&str, &str)> = month.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let resp = h.call_to::<GetMeas>(&t, &pairs).await;
    let Ok(Reply::Ok(parsed)) = parse_reply::<GetMeasBody>(&resp.body) else {
        panic!("{}", resp.text())
    };
    assert!(matches!(
        withings_decode::decode_reply::<GetMeasBody>(&resp.body),
        Ok(Reply::Ok(_))
    ));
    assert!(!parsed.measuregrps.is_empty());
    let v = resp.json();
    let groups = v["body"]["measuregrps"].as_array().unwrap();
    // A Body Scan weigh-in: four groups, one date, one device, four grpids.
    let scan: Vec<&Value> = groups.iter().filter(|g| g["modelid"] == 19).collect();
    let mut by_date: BTreeMap<i64, Vec<&Value>> = BTreeMap::new();
    for g in &scan {
        by_date
            .entry(g["date"].as_i64().unwrap())
            .or_default()
            .push(g);
    }
    assert_eq!(by_date.len(), 4, "four Sundays in 30 days");
    for weigh_in in by_date.values() {
        assert_eq!(weigh_in.len(), 4);
        let ids: BTreeSet<i64> = weigh_in
            .iter()
            .map(|g| g["grpid"].as_i64().unwrap())
            .collect();
        assert_eq!(ids.len(), 4);
        assert!(
            weigh_in
                .iter()
                .all(|g| g["deviceid"] == weigh_in[0]["deviceid"]
                    && g["model"] == "Body Scan 2"
                    && g["attrib"] == 0)
        );
        let types: BTreeSet<i64> = weigh_in
            .iter()
            .flat_map(|g| g["measures"].as_array().unwrap())
            .map(|m| m["type"].as_i64().unwrap())
            .collect();
        for kind in [1, 6, 11, 91, 155, 173, 174, 175, 196, 226, 227] {
            assert!(types.contains(&kind), "{kind}: {types:?}");
        }
        let segmental: Vec<(i64, i64)> = weigh_in
            .iter()
            .flat_map(|g| g["measures"].as_array().unwrap())
            .filter_map(|m| Some((m["type"].as_i64()?, m.get("position")?.as_i64()?)))
            .collect();
        assert_eq!(segmental.len(), 15);
    }
    // The evening weigh-in where the user picked their profile.
    assert_eq!(groups.iter().filter(|g| g["attrib"] == 3).count(), 1);
    // The weight objective is category 2; the real weigh-ins are category 1.
    let objective = h.call_to::<GetMeas>(&t, &[("category", "2")]).await.json();
    let objectives = objective["body"]["measuregrps"].as_array().unwrap();
    assert_eq!(objectives.len(), 1);
    assert_eq!(objectives[0]["measures"][0]["type"], 1);
    let real = h
        .call_to::<GetMeas>(&t, &[("category", "1"), ("meastype", "1")])
        .await
        .json();
    assert!(
        real["body"]["measuregrps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["category"] == 1)
    );

    // A nap beside a night: two summaries with the same date, from two devices.
    let nap_day = [("startdateymd", "2024-05-18"), ("enddateymd", "2024-05-18")];
    let resp = h.call_to::<GetSleepSummary>(&t, &nap_day).await;
    assert!(matches!(
        withings_decode::decode_reply::<GetSleepSummaryBody>(&resp.body),
        Ok(Reply::Ok(_))
    ));
    let v = resp.json();
    let series = v["body"]["series"].as_array().unwrap();
    assert_eq!(series.len(), 2);
    assert!(series.iter().all(|n| n["date"] == "2024-05-18"));
    assert_eq!(
        (series[0]["model"].as_i64(), series[1]["model"].as_i64()),
        (Some(32), Some(16))
    );
    let night = series[0]["enddate"].as_i64().unwrap() - series[0]["startdate"].as_i64().unwrap();
    let nap = series[1]["enddate"].as_i64().unwrap() - series[1]["startdate"].as_i64().unwrap();
    assert!(night > 6 * 3600 && nap < 3600, "{night} {nap}");
    // Its segments, from the watch, in `sleep get`.
    let (s, e) = (
        series[1]["startdate"].as_i64().unwrap(),
        series[1]["enddate"].as_i64().unwrap(),
    );
    let resp = h
        .call_to::<GetSleep>(
            &t,
            &[
                ("startdate", &s.to_string()),
                ("enddate", &e.to_string()),
                ("data_fields", "hr,snoring"),
            ],
        )
        .await;
    let Ok(Reply::Ok(segments)) = parse_reply::<GetSleepBody>(&resp.body) else {
        panic!("{}", resp.text())
    };
    assert!(segments.series.len() >= 4);
    let v = resp.json();
    assert_eq!(v["body"]["model"], 16);
    for seg in v["body"]["series"].as_array().unwrap() {
        assert_eq!(seg["model"], "ScanWatch");
        assert!(
            seg["hr"].is_object() && seg.get("snoring").is_none(),
            "{seg}"
        );
    }

    // The devices, the Body Scan 2 among them.
    let devices = h.call_to::<GetDevice>(&t, &[]).await.json();
    let list = devices["body"]["devices"].as_array().unwrap();
    assert_eq!(list.len(), 5);
    let scan = list.iter().find(|d| d["model_id"] == 19).unwrap();
    assert_eq!(scan["type"], "Scale");
    assert!(scan["last_session_date"].as_i64().unwrap() > NOW - 2 * DAY);
}

#[tokio::test]
async fn the_same_start_and_the_same_moves_answer_the_same_bytes() {
    let (a, b) = (roomy().await, roomy().await);
    let mut bodies = Vec::new();
    for h in [&a, &b] {
        h.advance(3 * DAY + 5000);
        let (t, _) = h.login().await;
        let mut out = Vec::new();
        for since in [0, NOW, NOW + DAY] {
            let s = since.to_string();
            let pairs = [("lastupdate", s.as_str())];
            out.push(h.call_to::<GetMeas>(&t, &pairs).await.body);
            out.push(h.call_to::<GetActivity>(&t, &pairs).await.body);
            out.push(h.call_to::<GetWorkouts>(&t, &pairs).await.body);
            out.push(h.call_to::<GetSleepSummary>(&t, &pairs).await.body);
        }
        bodies.push(out);
    }
    assert_eq!(bodies[0], bodies[1]);
    // And they parse.
    let parsed = |i: usize| bodies[0][i].clone();
    assert!(matches!(
        parse_reply::<GetActivityBody>(&parsed(1)),
        Ok(Reply::Ok(_))
    ));
    assert!(matches!(
        parse_reply::<GetWorkoutsBody>(&parsed(2)),
        Ok(Reply::Ok(_))
    ));
}

#[tokio::test]
async fn only_a_manual_clock_can_be_advanced() {
    let fixed = Sandbox::builder()
        .clock(withings_sandbox::SystemClock)
        .build()
        .start()
        .await
        .unwrap();
    assert!(fixed.manual_clock().is_none());
    let err = fixed.advance(Duration::from_secs(1)).unwrap_err();
    assert!(matches!(err, Error::FixedClock), "{err:?}");
    // A clock given by the test is shared with it.
    let h = Harness::start().await;
    assert_eq!(h.sandbox.started_at(), ts(NOW));
    h.advance(60);
    assert_eq!(h.sandbox.now(), ts(NOW + 60));
    h.sandbox.advance(Duration::from_secs(60)).unwrap();
    use withings_sandbox::Clock as _;
    assert_eq!(h.clock.now(), ts(NOW + 120));
    assert_eq!(h.sandbox.manual_clock().unwrap().now(), ts(NOW + 120));
    assert_eq!(h.sandbox.started_at(), ts(NOW));
}

#[tokio::test]
async fn a_shorter_history_is_all_there_is() {
    let h = Harness::with(|b| b.history_days(30).rate_limit(false).page_size(100)).await;
    let (t, _) = h.login().await;
    let (days, _) = walk::<GetActivity>(&h, &t, &[("lastupdate", "0")], "activities").await;
    assert_eq!(days.len(), 30);
    assert_eq!(days[0]["date"], "2024-05-05");
    assert_eq!(h.sandbox.inventory().activity_days, 30);
}

#[tokio::test]
async fn a_compressed_application_limit_refuses_then_lets_through() {
    // 10 requests in any 2 s: the real limit's shape, thirty times faster.
    let h = Harness::with(|b| b.rate_limit(false).app_limit(10, Duration::from_secs(2))).await;
    // The token request counts (the authorize page is not the API).
    let (t, _) = h.login().await;
    let mut answers = Vec::new();
    for _ in 0..10 {
        answers.push(h.call_to::<GetGoals>(&t, &[]).await.json());
    }
    let statuses: Vec<i64> = answers
        .iter()
        .map(|v| v["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [0, 0, 0, 0, 0, 0, 0, 0, 0, 601]);
    let wait = answers[9]["body"]["wait_seconds"].as_i64().unwrap();
    assert!((1..=2).contains(&wait), "whole seconds, at least 1: {wait}");
    assert_eq!(h.sandbox.app_limit_counts(), (11, 1));
    // Once the window has passed, requests go through again.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(h.call_to::<GetGoals>(&t, &[]).await.status_code(), 0);
}
