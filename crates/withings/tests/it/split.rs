//! `getintradayactivity` and `sleep get` answer at most 24 h: longer ranges become several
//! calls, merged sorted and without the duplicates of the seams.

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};
use withings::model::activity::GetIntradayActivity;
use withings::model::sleep::GetSleep;
use withings::{Endpoint, Error, IntradayField, RequestError, SleepField, TimeSpan};

use crate::support::{catch_all, client, fixture_of, form, param, requests, ts};

const DAY: i64 = 86_400;

/// Serves `body` to the call of `E` that starts at `start`, once.
async fn mount_chunk<E: Endpoint>(server: &MockServer, start: i64, body: String) {
    let action = E::ACTION;
    Mock::given(method("POST"))
        .and(path(E::SERVICE.path()))
        .and(move |r: &Request| {
            param(r, "action").as_deref() == Some(action)
                && param(r, "startdate") == Some(start.to_string())
        })
        .respond_with(ResponseTemplate::new(200).set_body_string(body))
        .named(format!("{action} startdate={start}"))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn intraday_over_50_hours_is_three_calls_merged_sorted_without_seam_duplicates() {
    // 2024-06-02T00:00Z; the first call ends at 1717372800, where the second starts.
    let s = 1_717_286_400;
    let server = MockServer::start().await;
    // Out of order, and holding a sample exactly on the seam (1717372800, 12 steps).
    mount_chunk::<GetIntradayActivity>(
        &server,
        s,
        fixture_of::<GetIntradayActivity>("samples_out_of_order"),
    )
    .await;
    // The seam sample again (another copy), and one later sample.
    let second = r#"{"status":0,"body":{"series":{"1717400000":{"steps":5,"duration":60},"1717372800":{"steps":99,"duration":60}}}}"#;
    mount_chunk::<GetIntradayActivity>(&server, s + DAY, second.to_owned()).await;
    mount_chunk::<GetIntradayActivity>(
        &server,
        s + 2 * DAY,
        fixture_of::<GetIntradayActivity>("empty_series"),
    )
    .await;
    catch_all(&server).await;
    let c = client(&server);

    let req = GetIntradayActivity::new()
        .between(ts(s), ts(s + 50 * 3600))
        .data_fields([IntradayField::Steps]);
    let calls = req.calls().unwrap();
    assert_eq!(calls.len(), 3);
    assert_eq!(
        calls.iter().map(|c| c.span).collect::<Vec<_>>(),
        [
            (s, s + DAY),
            (s + DAY, s + 2 * DAY),
            (s + 2 * DAY, s + 50 * 3600)
        ]
        .map(|(a, b)| Some(TimeSpan {
            start: ts(a),
            end: ts(b)
        }))
    );
    assert!(
        calls
            .iter()
            .all(|c| c.data_fields == [IntradayField::Steps])
    );
    let samples = c.send(&req).await.unwrap();
    let at: Vec<i64> = samples.iter().map(|x| x.at.as_second()).collect();
    assert_eq!(
        at,
        vec![
            1_717_369_200,
            1_717_369_260,
            1_717_371_000,
            1_717_372_800,
            1_717_400_000
        ]
    );
    let seam = samples
        .iter()
        .find(|x| x.at.as_second() == 1_717_372_800)
        .unwrap();
    assert_eq!(
        seam.steps,
        Some(12),
        "the first call's copy of the seam sample is kept"
    );

    let forms: Vec<_> = requests(&server).await.iter().map(form).collect();
    let spans: Vec<_> = forms
        .iter()
        .map(|f| {
            let get = |k: &str| {
                f.iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.clone())
                    .unwrap()
            };
            (get("startdate"), get("enddate"), get("data_fields"))
        })
        .collect();
    let span = |a: i64, b: i64| (a.to_string(), b.to_string(), "steps".to_owned());
    assert_eq!(
        spans,
        vec![
            span(s, s + DAY),
            span(s + DAY, s + 2 * DAY),
            span(s + 2 * DAY, s + 50 * 3600)
        ]
    );
    server.verify().await;
}

#[tokio::test]
async fn intraday_send_wire_merges_the_bodies_of_every_call() {
    let s = 1_717_286_400;
    let server = MockServer::start().await;
    let first = fixture_of::<GetIntradayActivity>("normal");
    let first_json: serde_json::Value = serde_json::from_str(&first).unwrap();
    mount_chunk::<GetIntradayActivity>(&server, s, first).await;
    mount_chunk::<GetIntradayActivity>(
        &server,
        s + DAY,
        fixture_of::<GetIntradayActivity>("empty_series"),
    )
    .await;
    catch_all(&server).await;
    let c = client(&server);
    let req = GetIntradayActivity::new().between(ts(s), ts(s + DAY + 1));
    assert_eq!(req.calls().unwrap().len(), 2);
    // One body: the first call's three samples, and nothing from the empty second call.
    let body = c.send_wire(&req).await.unwrap();
    assert_eq!(body.series.len(), 3);
    let keys: Vec<String> = body.series.keys().map(ToString::to_string).collect();
    let mut want: Vec<String> = first_json["body"]["series"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    want.sort();
    assert_eq!(keys, want);
    assert_eq!(requests(&server).await.len(), 2);
    server.verify().await;
}

#[tokio::test]
async fn sleep_get_over_30_hours_is_two_calls_merged_with_a_seam_segment_kept_once() {
    // 2024-06-02T15:00Z: the night of the fixture falls in the first call.
    let s = 1_717_340_400;
    let server = MockServer::start().await;
    mount_chunk::<GetSleep>(&server, s, fixture_of::<GetSleep>("night-out-of-order")).await;
    // The last segment of the first call again, and a nap the next day.
    let second = r#"{"status":0,"body":{"series":[{"startdate":1717430000,"state":1,"enddate":1717431000,"model":"Aura Sensor V2","model_id":63},{"startdate":1717368600,"state":3,"enddate":1717369800,"model":"Aura Sensor V2","model_id":63}],"model":32}}"#;
    mount_chunk::<GetSleep>(&server, s + DAY, second.to_owned()).await;
    catch_all(&server).await;
    let c = client(&server);

    let req = GetSleep::new()
        .between(ts(s), ts(s + 30 * 3600))
        .data_fields([SleepField::Hr]);
    assert_eq!(req.calls().unwrap().len(), 2);
    let night = c.send(&req).await.unwrap();
    let starts: Vec<i64> = night.segments.iter().map(|x| x.start.as_second()).collect();
    assert_eq!(
        starts,
        vec![
            1_717_364_400,
            1_717_365_000,
            1_717_366_800,
            1_717_368_600,
            1_717_430_000
        ]
    );
    let seam = &night.segments[3];
    assert!(
        !seam.hr.is_empty(),
        "the first call's copy (with its hr series) is kept"
    );

    let rs = requests(&server).await;
    let ends: Vec<_> = rs.iter().map(|r| param(r, "enddate").unwrap()).collect();
    assert_eq!(
        ends,
        vec![(s + DAY).to_string(), (s + 30 * 3600).to_string()]
    );
    assert!(
        rs.iter()
            .all(|r| param(r, "data_fields").as_deref() == Some("hr"))
    );
    server.verify().await;
}

#[tokio::test]
async fn a_reversed_range_is_refused_before_sending() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let c = client(&server);
    let req = GetSleep::new().between(ts(200), ts(100));
    assert!(matches!(
        req.calls(),
        Err(RequestError::ReversedWindow { .. })
    ));
    let e = c.send(&req).await.unwrap_err();
    assert!(
        matches!(e, Error::Request(RequestError::ReversedWindow { .. })),
        "{e:?}"
    );
    let e = c
        .send(&GetIntradayActivity::new().between(ts(200), ts(100)))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("before it starts"), "{e}");
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn a_range_needing_more_than_max_calls_is_refused_before_sending() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let c = client(&server);
    let days = i64::try_from(withings::model::MAX_CALLS).unwrap() + 1;
    let req = GetIntradayActivity::new().between(ts(0), ts(days * DAY));
    assert!(matches!(
        req.calls(),
        Err(RequestError::TooManyCalls { .. })
    ));
    let e = c.send(&req).await.unwrap_err();
    assert!(
        matches!(e, Error::Request(RequestError::TooManyCalls { .. })),
        "{e:?}"
    );
    // Exactly MAX_CALLS days is allowed.
    let req = GetIntradayActivity::new().between(ts(0), ts((days - 1) * DAY));
    assert_eq!(req.calls().unwrap().len(), withings::model::MAX_CALLS);
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn sleep_get_keeps_the_rejected_segments_of_every_call_numbered_by_call() {
    let s = 1_717_286_400;
    let server = MockServer::start().await;
    // A bad segment in each call; the second call also returns the first one's bad segment
    // again (a seam): it is listed once, as the first call returned it.
    let seam = format!(
        r#"{{"startdate":{},"state":"deep","enddate":{}}}"#,
        s + DAY - 60,
        s + DAY + 60
    );
    let first = format!(
        r#"{{"status":0,"body":{{"series":[{{"startdate":{s},"state":1,"enddate":{}}},{seam}],"model":32}}}}"#,
        s + 600
    );
    let second = format!(
        r#"{{"status":0,"body":{{"series":[{seam},{{"startdate":{},"state":2,"enddate":{}}},{{"startdate":{},"state":1}}],"model":32}}}}"#,
        s + DAY + 60,
        s + DAY + 600,
        s + DAY + 700
    );
    mount_chunk::<GetSleep>(&server, s, first).await;
    mount_chunk::<GetSleep>(&server, s + DAY, second).await;
    catch_all(&server).await;
    let req = GetSleep::new()
        .between(ts(s), ts(s + 30 * 3600))
        .data_fields([SleepField::Hr]);
    let night = client(&server).send(&req).await.unwrap();
    assert_eq!(night.segments.len(), 2);
    let got: Vec<_> = night
        .rejected
        .iter()
        .map(|r| (r.path.as_str(), r.response))
        .collect();
    assert_eq!(
        got,
        [("body.series[1]", Some(1)), ("body.series[2]", Some(2))],
        "each path is relative to the call it names"
    );
    assert_eq!(night.rejected[0].raw(), seam);
    assert!(night.rejected[1].error.contains("missing field `enddate`"));
    server.verify().await;
}
