//! `getintradayactivity` and `sleep get` answer at most 24 h: longer ranges become several
//! calls, merged sorted and without the duplicates of the seams.

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};
use withings::{Error, IntradayField, SleepField};

use crate::support::{catch_all, client, fixture, form, param, requests, ts};

const DAY: i64 = 86_400;

async fn mount_chunk(
    server: &MockServer,
    service_path: &str,
    action: &'static str,
    start: i64,
    body: String,
) {
    Mock::given(method("POST"))
        .and(path(service_path))
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
    let dir = "v2-measure-getintradayactivity";
    // Out of order, and holding a sample exactly on the seam (1717372800, 12 steps).
    mount_chunk(
        &server,
        "/v2/measure",
        "getintradayactivity",
        s,
        fixture(dir, "samples_out_of_order"),
    )
    .await;
    // The seam sample again (another copy), and one later sample.
    let second = r#"{"status":0,"body":{"series":{"1717400000":{"steps":5,"duration":60},"1717372800":{"steps":99,"duration":60}}}}"#;
    mount_chunk(
        &server,
        "/v2/measure",
        "getintradayactivity",
        s + DAY,
        second.to_owned(),
    )
    .await;
    mount_chunk(
        &server,
        "/v2/measure",
        "getintradayactivity",
        s + 2 * DAY,
        fixture(dir, "empty_series"),
    )
    .await;
    catch_all(&server).await;
    let c = client(&server);

    let req = c
        .activity()
        .getintradayactivity(ts(s), ts(s + 50 * 3600))
        .data_fields([IntradayField::Steps]);
    assert_eq!(req.split().unwrap().len(), 3);
    let samples = req.send().await.unwrap();
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
async fn intraday_send_wire_returns_one_body_per_call() {
    let s = 1_717_286_400;
    let server = MockServer::start().await;
    let dir = "v2-measure-getintradayactivity";
    mount_chunk(
        &server,
        "/v2/measure",
        "getintradayactivity",
        s,
        fixture(dir, "normal"),
    )
    .await;
    mount_chunk(
        &server,
        "/v2/measure",
        "getintradayactivity",
        s + DAY,
        fixture(dir, "empty_series"),
    )
    .await;
    catch_all(&server).await;
    let c = client(&server);
    let bodies = c
        .activity()
        .getintradayactivity(ts(s), ts(s + DAY + 1))
        .send_wire()
        .await
        .unwrap();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0].series.len(), 3);
    assert!(bodies[1].series.is_empty());
}

#[tokio::test]
async fn sleep_get_over_30_hours_is_two_calls_merged_with_a_seam_segment_kept_once() {
    // 2024-06-02T15:00Z: the night of the fixture falls in the first call.
    let s = 1_717_340_400;
    let server = MockServer::start().await;
    mount_chunk(
        &server,
        "/v2/sleep",
        "get",
        s,
        fixture("v2-sleep-get", "night-out-of-order"),
    )
    .await;
    // The last segment of the first call again, and a nap the next day.
    let second = r#"{"status":0,"body":{"series":[{"startdate":1717430000,"state":1,"enddate":1717431000,"model":"Aura Sensor V2","model_id":63},{"startdate":1717368600,"state":3,"enddate":1717369800,"model":"Aura Sensor V2","model_id":63}],"model":32}}"#;
    mount_chunk(&server, "/v2/sleep", "get", s + DAY, second.to_owned()).await;
    catch_all(&server).await;
    let c = client(&server);

    let night = c
        .sleep()
        .get(ts(s), ts(s + 30 * 3600))
        .data_fields([SleepField::Hr])
        .send()
        .await
        .unwrap();
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
    let e = c.sleep().get(ts(200), ts(100)).send().await.unwrap_err();
    assert!(matches!(e, Error::InvalidRequest(_)), "{e:?}");
    let e = c
        .activity()
        .getintradayactivity(ts(200), ts(100))
        .send()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("before it starts"), "{e}");
    assert!(requests(&server).await.is_empty());
}
