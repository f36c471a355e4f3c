//! Every endpoint answers in shapes the model parses and the decoder interprets; filters and
//! paging behave like Withings'.

use serde::de::DeserializeOwned;
use serde_json::Value;
use withings_decode::{Decode, decode_reply};
use withings_model::activity::{
    GetActivity, GetActivityBody, GetIntradayActivity, GetIntradayActivityBody,
};
use withings_model::heart::{HeartGet, HeartGetBody, HeartList, HeartListBody};
use withings_model::measure::{ConfirmUser, GetMeas, GetMeasBody};
use withings_model::notify::{
    NotifyGet, NotifyGetBody, NotifyList, NotifyListBody, Revoke, Subscribe, Update,
};
use withings_model::sleep::{GetSleep, GetSleepBody, GetSleepSummary, GetSleepSummaryBody};
use withings_model::stetho::{StethoList, StethoListBody};
use withings_model::user::{GetDevice, GetDeviceBody, GetGoals, GetGoalsBody};
use withings_model::workout::{GetWorkouts, GetWorkoutsBody};
use withings_model::{EmptyBody, Endpoint, Reply, parse_reply};

use crate::harness::{Harness, NOW, Resp};

/// Parses with the model and decodes with the decoder; both must succeed with status 0.
fn check<B>(what: &str, resp: &Resp) -> B
where
    B: DeserializeOwned + Decode,
    B::Output: std::fmt::Debug,
{
    assert_eq!(resp.status, 200, "{what}");
    let parsed = parse_reply::<B>(&resp.body)
        .unwrap_or_else(|e| panic!("{what}: does not parse: {e}\n{}", resp.text()));
    let Reply::Ok(body) = parsed else {
        panic!("{what}: status {}", resp.text())
    };
    match decode_reply::<B>(&resp.body) {
        Ok(Reply::Ok(_)) => {}
        other => panic!("{what}: does not decode: {other:?}"),
    }
    body
}

const DAY: i64 = 86_400;

#[tokio::test]
async fn every_data_endpoint_parses_and_decodes() {
    let h = Harness::start().await;
    let (t, _) = h.login().await;
    let (from, to) = ("2024-03-01", "2024-06-03");
    let start = (NOW - 2 * DAY).to_string();
    let end = NOW.to_string();

    let meas: GetMeasBody = check("getmeas", &h.call_to::<GetMeas>(&t, &[]).await);
    assert_eq!(meas.measuregrps.len(), 30);
    assert!(meas.more);

    let act: GetActivityBody = check(
        "getactivity",
        &h.call_to::<GetActivity>(&t, &[("startdateymd", from), ("enddateymd", to)])
            .await,
    );
    assert_eq!(act.activities.len(), 10);
    let fields = "steps,distance,elevation,soft,moderate,intense,active,calories,totalcalories,hr_average,hr_min,hr_max,hr_zone_0,hr_zone_1,hr_zone_2,hr_zone_3";
    let _: GetActivityBody = check(
        "getactivity data_fields",
        &h.call_to::<GetActivity>(&t, &[("lastupdate", "0"), ("data_fields", fields)])
            .await,
    );

    let intraday: GetIntradayActivityBody = check(
        "getintradayactivity",
        &h.call_to::<GetIntradayActivity>(&t, &[("startdate", &start), ("enddate", &end)])
            .await,
    );
    assert!(intraday.series.len() > 100);
    let all = "steps,elevation,calories,distance,stroke,pool_lap,duration,heart_rate,spo2_auto,rmssd,sdnn1,hrv_quality,core_body_temperature,rr,chest_movement_rate";
    let _: GetIntradayActivityBody = check(
        "getintradayactivity data_fields",
        &h.call_to::<GetIntradayActivity>(&t, &[("data_fields", all)])
            .await,
    );

    let workouts: GetWorkoutsBody = check(
        "getworkouts",
        &h.call_to::<GetWorkouts>(&t, &[("startdateymd", from), ("enddateymd", to)])
            .await,
    );
    assert!(!workouts.series.is_empty());

    let sleep_fields = "hr,rr,snoring,sdnn_1,rmssd,hrv_quality,mvt_score,chest_movement_rate,withings_index,breathing_sounds";
    let night_start = (NOW - DAY).to_string();
    let sleep: GetSleepBody = check(
        "sleep get",
        &h.call_to::<GetSleep>(
            &t,
            &[
                ("startdate", &night_start),
                ("enddate", &end),
                ("data_fields", sleep_fields),
            ],
        )
        .await,
    );
    assert!(sleep.series.len() > 5);
    assert!(
        sleep
            .series
            .iter()
            .all(|s| !s.hr.is_empty() && !s.rr.is_empty())
    );

    let summary: GetSleepSummaryBody = check(
        "getsummary",
        &h.call_to::<GetSleepSummary>(&t, &[("startdateymd", from), ("enddateymd", to)])
            .await,
    );
    assert_eq!(summary.series.len(), 10);
    let every = "total_timeinbed,total_sleep_time,asleepduration,lightsleepduration,deepsleepduration,remsleepduration,sleep_efficiency,sleep_latency,wakeup_latency,wakeupduration,wakeupcount,waso,nb_rem_episodes,breathing_disturbances_intensity,apnea_hypopnea_index,withings_index,durationtosleep,durationtowakeup,out_of_bed_count,hr_average,hr_min,hr_max,rr_average,rr_min,rr_max,snoring,snoringepisodecount,sleep_score,night_events,mvt_score_avg,mvt_active_duration,rmssd_start_avg,rmssd_end_avg,chest_movement_rate_average,chest_movement_rate_min,chest_movement_rate_max";
    let _: GetSleepSummaryBody = check(
        "getsummary data_fields",
        &h.call_to::<GetSleepSummary>(&t, &[("lastupdate", "0"), ("data_fields", every)])
            .await,
    );

    // The demo window's two ECGs (older ones come about monthly).
    let quarter = (NOW - 90 * DAY).to_string();
    let heart: HeartListBody = check(
        "heart list",
        &h.call_to::<HeartList>(&t, &[("startdate", &quarter)]).await,
    );
    assert_eq!(heart.series.len(), 2);
    assert_eq!(
        heart
            .series
            .iter()
            .filter(|r| r.bloodpressure.is_some())
            .count(),
        1
    );
    for rec in &heart.series {
        let id = rec.ecg.as_ref().unwrap().signalid.to_string();
        let signal: HeartGetBody = check(
            "heart get",
            &h.call_to::<HeartGet>(&t, &[("signalid", &id)]).await,
        );
        assert!(signal.signal.len() >= 6000, "{}", signal.signal.len());
        assert!(matches!(signal.sampling_frequency, 300 | 500));
    }

    let devices: GetDeviceBody = check("getdevice", &h.call_to::<GetDevice>(&t, &[]).await);
    assert_eq!(devices.devices.len(), 5);
    let goals: GetGoalsBody = check("getgoals", &h.call_to::<GetGoals>(&t, &[]).await);
    assert_eq!(goals.goals.steps, Some(10000));
    let _: StethoListBody = check("stetho list", &h.call_to::<StethoList>(&t, &[]).await);

    let grpid = meas.measuregrps[0].grpid.to_string();
    let _: EmptyBody = check(
        "confirmuser",
        &h.call_to::<ConfirmUser>(&t, &[("grpid", &grpid), ("is_confirmed", "true")])
            .await,
    );
}

#[tokio::test]
async fn notify_keeps_an_in_memory_subscription_list() {
    let h = Harness::start().await;
    let (t, _) = h.login().await;
    let url = "https://example.org/hooks/withings/3f9a";
    let _: EmptyBody = check(
        "subscribe",
        &h.call_to::<Subscribe>(
            &t,
            &[("callbackurl", url), ("appli", "1"), ("comment", "weight")],
        )
        .await,
    );
    let _: EmptyBody = check(
        "subscribe 44",
        &h.call_to::<Subscribe>(&t, &[("callbackurl", url), ("appli", "44")])
            .await,
    );
    let list = h.call_to::<NotifyList>(&t, &[]).await;
    assert_eq!(
        list.text(),
        r#"{"status":0,"body":{"profiles":[{"appli":1,"callbackurl":"https:\/\/example.org\/hooks\/withings\/3f9a","expires":2147483647,"comment":"weight"},{"appli":44,"callbackurl":"https:\/\/example.org\/hooks\/withings\/3f9a","expires":2147483647,"comment":""}]}}"#
    );
    let listed: NotifyListBody = check("list", &list);
    assert_eq!(listed.profiles.len(), 2);
    let got: NotifyGetBody = check(
        "get",
        &h.call_to::<NotifyGet>(&t, &[("callbackurl", url)]).await,
    );
    assert_eq!(got.comment.as_deref(), Some("weight"));
    let _: EmptyBody = check(
        "update",
        &h.call_to::<Update>(
            &t,
            &[("callbackurl", url), ("appli", "44"), ("comment", "sleep")],
        )
        .await,
    );
    let only44: NotifyListBody = check(
        "list 44",
        &h.call_to::<NotifyList>(&t, &[("appli", "44")]).await,
    );
    assert_eq!(only44.profiles.len(), 1);
    assert_eq!(only44.profiles[0].comment.as_deref(), Some("sleep"));
    let _: EmptyBody = check(
        "revoke",
        &h.call_to::<Revoke>(&t, &[("callbackurl", url), ("appli", "1")])
            .await,
    );
    let missing = h
        .call_to::<NotifyGet>(&t, &[("callbackurl", url), ("appli", "1")])
        .await;
    assert_eq!(missing.status_code(), 343);
    // The same request again: past the rate limit's 10 s first.
    h.advance(10);
    let gone = h
        .call_to::<Revoke>(&t, &[("callbackurl", url), ("appli", "1")])
        .await;
    assert_eq!(gone.status_code(), 294);
    let bad = h
        .call_to::<Subscribe>(&t, &[("callbackurl", "ftp://x"), ("appli", "1")])
        .await;
    assert_eq!(bad.status_code(), 293);
}

/// Walks every page of a paged action; returns the records and the raw last page.
async fn walk<E: Endpoint>(
    h: &Harness,
    t: &str,
    pairs: &[(&str, &str)],
    key: &str,
) -> (Vec<Value>, Value, usize) {
    let mut offset = 0i64;
    let mut records = Vec::new();
    for pages in 1..200 {
        let off = offset.to_string();
        let mut all: Vec<(&str, &str)> = pairs.to_vec();
        if offset > 0 {
            all.push(("offset", &off));
        }
        let v = h.call_to::<E>(t, &all).await.json();
        assert_eq!(v["status"], 0, "{v}");
        let body = &v["body"];
        records.extend(body[key].as_array().unwrap().iter().cloned());
        let more = body["more"]
            .as_bool()
            .unwrap_or_else(|| body["more"].as_i64().unwrap() == 1);
        if !more {
            return (records, body.clone(), pages);
        }
        let next = body["offset"].as_i64().unwrap();
        assert!(next > offset, "offset must advance");
        offset = next;
    }
    panic!("{} {}: more than 200 pages", E::SERVICE.path(), E::ACTION)
}

#[tokio::test]
async fn paging_walks_every_page_and_ends_with_more_false() {
    // The demo window only: 90 days, walked in small pages.
    let h = Harness::with(|b| b.history_days(90).page_size(7).meas_page_size(9)).await;
    let (t, _) = h.login().await;

    let (groups, last, pages) = walk::<GetMeas>(&h, &t, &[], "measuregrps").await;
    assert!(pages > 5);
    // getmeas: `more` is the integer 0 on the last page, and `offset` 0.
    assert_eq!(last["more"], 0);
    assert_eq!(last["offset"], 0);
    let everything = h
        .call_to::<GetMeas>(&t, &[("lastupdate", "0")])
        .await
        .json();
    assert_eq!(everything["body"]["more"], 1);
    let big = Harness::with(|b| b.history_days(90).meas_page_size(1000)).await;
    let (bt, _) = big.login().await;
    let all = big.call_to::<GetMeas>(&bt, &[]).await.json();
    assert_eq!(
        all["body"]["measuregrps"].as_array().unwrap().len(),
        groups.len()
    );

    let days = [("startdateymd", "2024-01-01"), ("enddateymd", "2024-06-03")];
    let (activities, last, pages) = walk::<GetActivity>(&h, &t, &days, "activities").await;
    assert_eq!(activities.len(), 90);
    assert_eq!(pages, 13);
    // The v2 lists: a boolean `more`, and `offset` past the end even on the last page (§6).
    assert_eq!(last["more"], false);
    assert_eq!(last["offset"], 90);
    let dates: Vec<&str> = activities
        .iter()
        .map(|a| a["date"].as_str().unwrap())
        .collect();
    assert!(
        dates.windows(2).all(|w| w[0] < w[1]),
        "oldest first, no repeats"
    );
    assert_eq!(dates.last(), Some(&"2024-06-03"));

    let workouts = [("startdateymd", "2024-01-01"), ("enddateymd", "2024-06-03")];
    let (series, _, _) = walk::<GetWorkouts>(&h, &t, &workouts, "series").await;
    assert!(series.len() >= 25);
    let summaries = [("lastupdate", "0")];
    let (nights, _, _) = walk::<GetSleepSummary>(&h, &t, &summaries, "series").await;
    assert!(nights.len() >= 89);
    let (ecgs, _, _) = walk::<HeartList>(&h, &t, &[], "series").await;
    assert_eq!(ecgs.len(), 2);
}

#[tokio::test]
async fn filters_follow_the_request_parameters() {
    let h = Harness::with(|b| b.meas_page_size(1000)).await;
    let (t, _) = h.login().await;
    let groups = |v: &Value| v["body"]["measuregrps"].as_array().unwrap().clone();

    let typed = groups(
        &h.call_to::<GetMeas>(&t, &[("meastypes", "1,6")])
            .await
            .json(),
    );
    assert!(!typed.is_empty());
    for g in &typed {
        for m in g["measures"].as_array().unwrap() {
            assert!(matches!(m["type"].as_i64(), Some(1 | 6)), "{m}");
        }
    }
    let height = groups(&h.call_to::<GetMeas>(&t, &[("meastype", "4")]).await.json());
    assert_eq!(height.len(), 1);
    assert_eq!(height[0]["deviceid"], Value::Null);
    let objectives = groups(&h.call_to::<GetMeas>(&t, &[("category", "2")]).await.json());
    assert_eq!(objectives.len(), 1);
    let (s, e) = ((NOW - 7 * DAY).to_string(), (NOW - 3 * DAY).to_string());
    let week = groups(
        &h.call_to::<GetMeas>(&t, &[("startdate", &s), ("enddate", &e)])
            .await
            .json(),
    );
    assert!(!week.is_empty());
    assert!(
        week.iter()
            .all(|g| (NOW - 7 * DAY..=NOW - 3 * DAY).contains(&g["date"].as_i64().unwrap()))
    );
    let since = groups(&h.call_to::<GetMeas>(&t, &[("lastupdate", &e)]).await.json());
    assert!(!since.is_empty());
    assert!(
        since
            .iter()
            .all(|g| g["modified"].as_i64().unwrap() > NOW - 3 * DAY)
    );

    let one_day = h
        .call_to::<GetActivity>(
            &t,
            &[("startdateymd", "2024-06-01"), ("enddateymd", "2024-06-01")],
        )
        .await
        .json();
    let days = one_day["body"]["activities"].as_array().unwrap();
    assert_eq!(days.len(), 1);
    assert_eq!(days[0]["date"], "2024-06-01");
    let only_steps = h
        .call_to::<GetActivity>(
            &t,
            &[
                ("startdateymd", "2024-06-01"),
                ("enddateymd", "2024-06-01"),
                ("data_fields", "steps"),
            ],
        )
        .await
        .json();
    let day = &only_steps["body"]["activities"][0];
    assert!(
        day.get("steps").is_some() && day.get("distance").is_none() && day.get("date").is_some()
    );
    let missing = h.call_to::<GetActivity>(&t, &[]).await;
    assert_eq!(missing.status_code(), 503);

    // Sleep get and intraday: at most 24 h from startdate, whatever enddate says.
    let (s, e) = ((NOW - 4 * DAY).to_string(), NOW.to_string());
    let sleep = h
        .call_to::<GetSleep>(&t, &[("startdate", &s), ("enddate", &e)])
        .await
        .json();
    let segments = sleep["body"]["series"].as_array().unwrap();
    assert!(!segments.is_empty());
    for seg in segments {
        assert!(seg["enddate"].as_i64().unwrap() > NOW - 4 * DAY);
        assert!(seg["startdate"].as_i64().unwrap() < NOW - 3 * DAY);
    }
    let intraday = h
        .call_to::<GetIntradayActivity>(&t, &[("startdate", &s), ("enddate", &e)])
        .await
        .json();
    let keys: Vec<i64> = intraday["body"]["series"]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.parse().unwrap())
        .collect();
    assert!(!keys.is_empty());
    assert!(
        keys.iter()
            .all(|k| (NOW - 4 * DAY..NOW - 3 * DAY).contains(k))
    );
    // Nothing recorded: PHP's empty array.
    let (s, e) = ((NOW + DAY).to_string(), (NOW + 2 * DAY).to_string());
    let empty = h
        .call_to::<GetIntradayActivity>(&t, &[("startdate", &s), ("enddate", &e)])
        .await;
    assert_eq!(empty.text(), r#"{"status":0,"body":{"series":[]}}"#);
    let _: GetIntradayActivityBody = check("empty intraday", &empty);
}

#[tokio::test]
async fn unknown_services_and_actions_answer_2554() {
    let h = Harness::start().await;
    let (t, _) = h.login().await;
    assert_eq!(
        h.call(&t, "/measure", &[("action", "getmeasures")])
            .await
            .status_code(),
        2554
    );
    assert_eq!(
        h.call(&t, "/v2/nothing", &[("action", "get")])
            .await
            .status_code(),
        2554
    );
    assert_eq!(
        h.post("/v2/oauth2", &[("action", "listusers")])
            .await
            .status_code(),
        2554
    );
}
