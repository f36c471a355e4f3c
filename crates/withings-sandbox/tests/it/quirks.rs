//! The API's quirks, as the bytes show them: rate limit, PHP JSON, odd records, determinism.

use serde_json::Value;
use withings_model::activity::{GetActivity, GetIntradayActivity};
use withings_model::heart::{HeartGet, HeartList};
use withings_model::measure::{GetMeas, GetMeasBody};
use withings_model::sleep::{GetSleep, GetSleepSummary};
use withings_model::user::{GetDevice, GetGoals};
use withings_model::workout::GetWorkouts;
use withings_model::{Reply, parse_reply};

use crate::harness::{Harness, NOW, send};

const DAY: i64 = 86_400;

#[tokio::test]
async fn an_identical_request_within_10_seconds_gets_601_with_wait_seconds() {
    let h = Harness::start().await;
    let (t, _) = h.login().await;
    let getmeas = [("meastypes", "1")];
    assert_eq!(h.call_to::<GetMeas>(&t, &getmeas).await.status_code(), 0);
    let limited = h.call_to::<GetMeas>(&t, &getmeas).await;
    assert_eq!(limited.status, 200);
    assert_eq!(
        limited.text(),
        r#"{"status":601,"body":{"wait_seconds":10},"error":"Same arguments in less than 10 seconds"}"#
    );
    let Reply::Status(status) = parse_reply::<GetMeasBody>(&limited.body).unwrap() else {
        panic!()
    };
    assert_eq!((status.status, status.wait_seconds), (601, Some(10)));
    h.advance(4);
    assert_eq!(
        h.call_to::<GetMeas>(&t, &getmeas).await.json()["body"]["wait_seconds"],
        6
    );
    // Another request is not the same request.
    assert_eq!(
        h.call_to::<GetMeas>(&t, &[("meastypes", "6")])
            .await
            .status_code(),
        0
    );
    h.advance(6);
    assert_eq!(h.call_to::<GetMeas>(&t, &getmeas).await.status_code(), 0);

    // Token requests count too: retrying a refused code at once is refused differently.
    let code = "0000000000000000000000000000000000000000";
    assert_eq!(h.exchange(code).await.status_code(), 503);
    assert_eq!(h.exchange(code).await.status_code(), 601);
}

#[tokio::test]
async fn the_rate_limit_can_be_turned_off() {
    let h = Harness::with(|b| b.rate_limit(false)).await;
    let (t, _) = h.login().await;
    for _ in 0..3 {
        assert_eq!(h.call_to::<GetGoals>(&t, &[]).await.status_code(), 0);
    }
}

#[tokio::test]
async fn json_is_written_like_php() {
    let h = Harness::start().await;
    let (t, _) = h.login().await;
    let resp = h.call_to::<GetMeas>(&t, &[]).await;
    let text = resp.text();
    assert!(text.starts_with(r#"{"status":0,"body":{"updatetime":1717430000,"timezone":"Europe\/Paris","measuregrps":[{"grpid":"#));
    assert!(
        !text.contains(": ") && !text.contains(", ") && !text.contains('\n'),
        "compact"
    );
    assert!(!text.contains("Europe/Paris"), "slashes escaped");
}

#[tokio::test]
async fn the_odd_records_of_real_accounts_are_there() {
    let h = Harness::with(|b| b.history_days(90).meas_page_size(1000).page_size(1000)).await;
    let (t, _) = h.login().await;

    let meas = h.call_to::<GetMeas>(&t, &[]).await.json();
    let groups = meas["body"]["measuregrps"].as_array().unwrap();
    // A manual weigh-in: no device, no model (API notes §12.10).
    assert!(groups.iter().any(|g| g["attrib"] == 2
        && g["category"] == 1
        && g["deviceid"].is_null()
        && g["hash_deviceid"].is_null()
        && g["model"].is_null()
        && g["modelid"].is_null()));
    // The same grpid twice, attrib 0 then 8, side by side (API notes §12.14).
    let twin = groups.iter().position(|g| g["attrib"] == 8).unwrap();
    assert_eq!(groups[twin - 1]["grpid"], groups[twin]["grpid"]);
    assert_eq!(groups[twin - 1]["attrib"], 0);
    // Body composition on the scale's groups.
    let scale = groups.iter().find(|g| g["model"] == "Body+").unwrap();
    let mut types: Vec<i64> = scale["measures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["type"].as_i64().unwrap())
        .collect();
    types.sort_unstable();
    assert_eq!(types, [1, 5, 6, 8, 76, 77, 88]);
    let dates: Vec<i64> = groups.iter().map(|g| g["date"].as_i64().unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert!(*dates.last().unwrap() >= NOW - 90 * DAY);

    let act = h
        .call_to::<GetActivity>(
            &t,
            &[("startdateymd", "2024-01-01"), ("enddateymd", "2024-06-30")],
        )
        .await
        .json();
    let days = act["body"]["activities"].as_array().unwrap();
    assert!(
        days.iter()
            .any(|d| d["brand"] == 18 && d["deviceid"].is_null() && d["is_tracker"] == false)
    );
    assert!(
        days.iter()
            .any(|d| d["brand"] == 1 && d["hr_average"] == 0 && d["hr_zone_0"] == 0)
    );
    assert!(
        days.iter().all(|d| d["distance"].is_f64()
            && d["calories"].is_f64()
            && d["totalcalories"].is_f64())
    );

    let workouts = h
        .call_to::<GetWorkouts>(
            &t,
            &[("startdateymd", "2024-01-01"), ("enddateymd", "2024-06-30")],
        )
        .await
        .json();
    let series = workouts["body"]["series"].as_array().unwrap();
    assert!(
        series
            .iter()
            .any(|w| w["deviceid"].is_null() && w["data"]["hr_average"].is_null())
    );
    assert!(
        series
            .iter()
            .all(|w| w["data"]["algo_pause_duration"].is_null())
    );

    let (s, e) = ((NOW - DAY).to_string(), NOW.to_string());
    let sleep = h
        .call_to::<GetSleep>(
            &t,
            &[
                ("startdate", &s),
                ("enddate", &e),
                ("data_fields", "hr,rr,snoring"),
            ],
        )
        .await
        .json();
    let segments = sleep["body"]["series"].as_array().unwrap();
    let starts: Vec<i64> = segments
        .iter()
        .map(|s| s["startdate"].as_i64().unwrap())
        .collect();
    assert!(
        starts.windows(2).any(|w| w[0] > w[1]),
        "segments are not sorted (API notes §5.5)"
    );
    let hr = segments[0]["hr"].as_object().unwrap();
    let first = segments[0]["startdate"].as_i64().unwrap();
    assert_eq!(
        hr.keys().next().unwrap(),
        &first.to_string(),
        "timestamp-keyed map"
    );
    assert_eq!(sleep["body"]["model"], 32);
    assert_eq!(segments[0]["model"], "Aura Sensor V2");

    let devices = h.call_to::<GetDevice>(&t, &[]).await.json();
    assert!(
        devices["body"]["devices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["battery"] == "unknown"
                && d["model"] == ""
                && d["first_session_date"].is_null()
                && d["last_session_date"].is_null())
    );
}

/// The same requests in the same order against a sandbox.
async fn transcript(h: &Harness) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let code = h.authorize("same").await;
    let token = h.exchange(&code).await;
    let t = token.json()["body"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    out.push(token.body);
    let (s, e) = ((NOW - 2 * DAY).to_string(), NOW.to_string());
    let dates = [("startdateymd", "2024-03-01"), ("enddateymd", "2024-06-03")];
    let span = [("startdate", s.as_str()), ("enddate", e.as_str())];
    let sleep = [&span[..], &[("data_fields", "hr,rr,snoring")]].concat();
    out.push(h.call_to::<GetMeas>(&t, &[]).await.body);
    out.push(h.call_to::<GetActivity>(&t, &dates).await.body);
    out.push(h.call_to::<GetIntradayActivity>(&t, &span).await.body);
    out.push(h.call_to::<GetWorkouts>(&t, &dates).await.body);
    out.push(h.call_to::<GetSleep>(&t, &sleep).await.body);
    out.push(h.call_to::<GetSleepSummary>(&t, &dates).await.body);
    out.push(h.call_to::<HeartList>(&t, &[]).await.body);
    out.push(h.call_to::<GetDevice>(&t, &[]).await.body);
    out.push(h.call_to::<GetGoals>(&t, &[]).await.body);
    let list: Value = serde_json::from_slice(&out[7]).unwrap();
    let id = list["body"]["series"][0]["ecg"]["signalid"].to_string();
    out.push(h.call_to::<HeartGet>(&t, &[("signalid", &id)]).await.body);
    out
}

#[tokio::test]
async fn two_sandboxes_with_the_same_now_answer_byte_for_byte_the_same() {
    let (a, b) = (Harness::start().await, Harness::start().await);
    let (ta, tb) = (transcript(&a).await, transcript(&b).await);
    assert_eq!(ta.len(), tb.len());
    for (i, (x, y)) in ta.iter().zip(&tb).enumerate() {
        assert!(
            x == y,
            "response {i} differs:\n{}\n{}",
            String::from_utf8_lossy(x),
            String::from_utf8_lossy(y)
        );
    }
    // A day later the overlapping days keep their values.
    let later = Harness::at(NOW + DAY, |b| b).await;
    let (s, e) = ((NOW - 5 * DAY).to_string(), (NOW - 4 * DAY).to_string());
    let pairs = [("startdate", s.as_str()), ("enddate", e.as_str())];
    let (t1, _) = a.login().await;
    let (t2, _) = later.login().await;
    let g1 = a.call_to::<GetMeas>(&t1, &pairs).await.json()["body"]["measuregrps"].clone();
    let g2 = later.call_to::<GetMeas>(&t2, &pairs).await.json()["body"]["measuregrps"].clone();
    assert_eq!(g1, g2);
}

#[tokio::test]
async fn non_api_requests_get_plain_answers() {
    let h = Harness::start().await;
    let index = h.get("/").await;
    assert_eq!(index.status, 200);
    assert!(index.text().contains("sandbox-client"));
    let put = send(h.sandbox.addr(), "PUT", "/measure", &[], "").await;
    assert_eq!(put.status, 405);
    let post_authorize = h
        .post("/oauth2_user/authorize2", &[("response_type", "code")])
        .await;
    assert_eq!(post_authorize.status, 405);
}
