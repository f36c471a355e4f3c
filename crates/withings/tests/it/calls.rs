//! Each typed call: the request form it sends (action, parameters, encodings) and what it
//! returns for the `normal` fixture.

use withings::jiff::civil::date;
use withings::{
    ActivityField, Appli, Category, DateWindow, ErrorKind, IntradayField, MeasureType,
    RedirectUriRule, SleepField, SleepSummaryField, UpdateChange, WorkoutField,
};

use crate::support::{assert_form, decoded, fixture, only_request, requests, serve, ts};
use withings::model::{activity, heart, measure, notify, sleep, stetho, user, workout};

const URL: &str = "https://example.com/withings/notify/4f1c";

/// What the `normal` fixture of `dir` decodes to without the façade.
fn normal<B>(dir: &str) -> serde_json::Value
where
    B: withings::Decode + serde::de::DeserializeOwned,
{
    decoded::<B>(&fixture(dir, "normal"))
}

#[tokio::test]
async fn getmeas_sends_meastypes_category_range_and_offset_and_decodes() {
    let dir = "measure-getmeas";
    let server = serve("/measure", "getmeas", fixture(dir, "normal"), 1).await;
    let c = crate::support::client(&server);
    let meas = c
        .measures()
        .getmeas()
        .meastypes([MeasureType::Weight, MeasureType::FatRatio])
        .meastype(MeasureType::Unknown(999))
        .category(Category::Real)
        .since(ts(1))
        .between(ts(1_717_200_000), ts(1_717_430_000))
        .offset(40)
        .send()
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&meas).unwrap(),
        normal::<measure::GetMeasBody>(dir)
    );
    assert!(meas.of_kind(MeasureType::Weight).next().is_some());
    let r = only_request(&server, "/measure").await;
    assert_form(
        &r,
        &[
            ("action", "getmeas"),
            ("meastypes", "1,6,999"),
            ("category", "1"),
            ("startdate", "1717200000"),
            ("enddate", "1717430000"),
            ("offset", "40"),
        ],
    );
}

#[tokio::test]
async fn getmeas_since_sends_lastupdate_only_and_send_wire_returns_the_wire_body() {
    let dir = "measure-getmeas";
    let text = fixture(dir, "normal");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let server = serve("/measure", "getmeas", text, 1).await;
    let c = crate::support::client(&server);
    let wire = c
        .measures()
        .getmeas()
        .between(ts(1), ts(2))
        .since(ts(1_717_000_000))
        .send_wire()
        .await
        .unwrap();
    assert_eq!(
        Some(wire.timezone.as_str()),
        json["body"]["timezone"].as_str()
    );
    assert_eq!(
        wire.measuregrps.len(),
        json["body"]["measuregrps"].as_array().unwrap().len()
    );
    let r = only_request(&server, "/measure").await;
    assert_form(&r, &[("action", "getmeas"), ("lastupdate", "1717000000")]);
}

#[tokio::test]
async fn confirmuser_sends_grpid_and_flag() {
    let server = serve(
        "/v2/measure",
        "confirmuser",
        fixture("v2-measure-confirmuser", "ok"),
        1,
    )
    .await;
    let c = crate::support::client(&server);
    c.measures()
        .confirmuser(1_234_567_890, false)
        .send()
        .await
        .unwrap();
    let r = only_request(&server, "/v2/measure").await;
    assert_form(
        &r,
        &[
            ("action", "confirmuser"),
            ("grpid", "1234567890"),
            ("is_confirmed", "false"),
        ],
    );
}

#[tokio::test]
async fn getactivity_sends_ymd_dates_or_lastupdate() {
    let dir = "v2-measure-getactivity";
    let server = serve("/v2/measure", "getactivity", fixture(dir, "normal"), 2).await;
    let c = crate::support::client(&server);
    let days = c
        .activity()
        .getactivity(DateWindow::LastUpdate(ts(5)))
        .dates(date(2024, 6, 1), date(2024, 6, 3))
        .data_fields([ActivityField::Steps, ActivityField::HrAverage])
        .offset(7)
        .send()
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&days).unwrap(),
        normal::<activity::GetActivityBody>(dir)
    );
    c.activity()
        .getactivity(DateWindow::Dates {
            start: date(2024, 6, 1),
            end: date(2024, 6, 3),
        })
        .since(ts(1_717_000_000))
        .send()
        .await
        .unwrap();
    let rs = requests(&server).await;
    assert_form(
        &rs[0],
        &[
            ("action", "getactivity"),
            ("startdateymd", "2024-06-01"),
            ("enddateymd", "2024-06-03"),
            ("data_fields", "steps,hr_average"),
            ("offset", "7"),
        ],
    );
    assert_form(
        &rs[1],
        &[("action", "getactivity"), ("lastupdate", "1717000000")],
    );
}

#[tokio::test]
async fn getintradayactivity_within_24_hours_is_one_call() {
    let dir = "v2-measure-getintradayactivity";
    let server = serve(
        "/v2/measure",
        "getintradayactivity",
        fixture(dir, "normal"),
        1,
    )
    .await;
    let c = crate::support::client(&server);
    let samples = c
        .activity()
        .getintradayactivity(ts(1_717_372_800), ts(1_717_459_200))
        .data_fields([IntradayField::Steps, IntradayField::HeartRate])
        .send()
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&samples).unwrap(),
        normal::<activity::GetIntradayActivityBody>(dir)
    );
    let r = only_request(&server, "/v2/measure").await;
    assert_form(
        &r,
        &[
            ("action", "getintradayactivity"),
            ("startdate", "1717372800"),
            ("enddate", "1717459200"),
            ("data_fields", "steps,heart_rate"),
        ],
    );
}

#[tokio::test]
async fn latest_intraday_sends_no_dates() {
    let dir = "v2-measure-getintradayactivity";
    let server = serve(
        "/v2/measure",
        "getintradayactivity",
        fixture(dir, "normal"),
        1,
    )
    .await;
    let c = crate::support::client(&server);
    let bodies = c.activity().latest_intraday().send_wire().await.unwrap();
    assert_eq!(bodies.len(), 1);
    let r = only_request(&server, "/v2/measure").await;
    assert_form(&r, &[("action", "getintradayactivity")]);
}

#[tokio::test]
async fn getworkouts_sends_ymd_dates_fields_and_offset() {
    let dir = "v2-measure-getworkouts";
    let server = serve("/v2/measure", "getworkouts", fixture(dir, "normal"), 1).await;
    let c = crate::support::client(&server);
    let workouts = c
        .activity()
        .getworkouts(DateWindow::Dates {
            start: date(2024, 5, 30),
            end: date(2024, 6, 3),
        })
        .data_fields([WorkoutField::Calories, WorkoutField::HrAverage])
        .offset(3)
        .send()
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&workouts).unwrap(),
        normal::<workout::GetWorkoutsBody>(dir)
    );
    let r = only_request(&server, "/v2/measure").await;
    assert_form(
        &r,
        &[
            ("action", "getworkouts"),
            ("startdateymd", "2024-05-30"),
            ("enddateymd", "2024-06-03"),
            ("data_fields", "calories,hr_average"),
            ("offset", "3"),
        ],
    );
}

#[tokio::test]
async fn sleep_get_sends_unix_span_and_series_fields() {
    let dir = "v2-sleep-get";
    let server = serve("/v2/sleep", "get", fixture(dir, "normal"), 1).await;
    let c = crate::support::client(&server);
    let night = c
        .sleep()
        .get(ts(1_717_365_600), ts(1_717_408_800))
        .data_fields([SleepField::Hr, SleepField::Rr, SleepField::Snoring])
        .send()
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&night).unwrap(),
        normal::<sleep::GetSleepBody>(dir)
    );
    let r = only_request(&server, "/v2/sleep").await;
    assert_form(
        &r,
        &[
            ("action", "get"),
            ("startdate", "1717365600"),
            ("enddate", "1717408800"),
            ("data_fields", "hr,rr,snoring"),
        ],
    );
}

#[tokio::test]
async fn sleep_getsummary_sends_ymd_dates_and_replaces_fields() {
    let dir = "v2-sleep-getsummary";
    let server = serve("/v2/sleep", "getsummary", fixture(dir, "normal"), 1).await;
    let c = crate::support::client(&server);
    let nights = c
        .sleep()
        .getsummary(DateWindow::LastUpdate(ts(1)))
        .dates(date(2024, 6, 1), date(2024, 6, 3))
        .all_fields()
        .data_fields([
            SleepSummaryField::TotalSleepTime,
            SleepSummaryField::HrAverage,
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&nights).unwrap(),
        normal::<sleep::GetSleepSummaryBody>(dir)
    );
    let r = only_request(&server, "/v2/sleep").await;
    assert_form(
        &r,
        &[
            ("action", "getsummary"),
            ("startdateymd", "2024-06-01"),
            ("enddateymd", "2024-06-03"),
            ("data_fields", "total_sleep_time,hr_average"),
        ],
    );
}

#[tokio::test]
async fn heart_list_and_get_send_their_parameters() {
    let server = serve("/v2/heart", "list", fixture("v2-heart-list", "normal"), 1).await;
    let c = crate::support::client(&server);
    let records = c
        .heart()
        .list()
        .between(ts(1_717_200_000), ts(1_717_430_000))
        .offset(10)
        .send()
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&records).unwrap(),
        normal::<heart::HeartListBody>("v2-heart-list")
    );
    let r = only_request(&server, "/v2/heart").await;
    assert_form(
        &r,
        &[
            ("action", "list"),
            ("startdate", "1717200000"),
            ("enddate", "1717430000"),
            ("offset", "10"),
        ],
    );

    let server = serve("/v2/heart", "get", fixture("v2-heart-get", "normal"), 1).await;
    let c = crate::support::client(&server);
    let signal = c
        .heart()
        .get(170_000_321)
        .with_filtered(true)
        .with_intervals(false)
        .send()
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&signal).unwrap(),
        normal::<heart::HeartGetBody>("v2-heart-get")
    );
    let r = only_request(&server, "/v2/heart").await;
    assert_form(
        &r,
        &[
            ("action", "get"),
            ("signalid", "170000321"),
            ("with_filtered", "true"),
            ("with_intervals", "false"),
        ],
    );
}

#[tokio::test]
async fn stetho_list_and_get_send_their_parameters() {
    let server = serve("/v2/stetho", "list", fixture("v2-stetho-list", "normal"), 1).await;
    let c = crate::support::client(&server);
    let records = c
        .stetho()
        .list()
        .between(ts(1_717_200_000), ts(1_717_430_000))
        .send()
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&records).unwrap(),
        normal::<stetho::StethoListBody>("v2-stetho-list")
    );
    let r = only_request(&server, "/v2/stetho").await;
    assert_form(
        &r,
        &[
            ("action", "list"),
            ("startdate", "1717200000"),
            ("enddate", "1717430000"),
        ],
    );

    let server = serve("/v2/stetho", "get", fixture("v2-stetho-get", "normal"), 1).await;
    let c = crate::support::client(&server);
    let signal = c.stetho().get(555).send().await.unwrap();
    assert_eq!(
        serde_json::to_value(&signal).unwrap(),
        normal::<stetho::StethoGetBody>("v2-stetho-get")
    );
    let r = only_request(&server, "/v2/stetho").await;
    assert_form(&r, &[("action", "get"), ("signalid", "555")]);
}

#[tokio::test]
async fn user_getdevice_and_getgoals_send_only_the_action() {
    let server = serve(
        "/v2/user",
        "getdevice",
        fixture("v2-user-getdevice", "normal"),
        1,
    )
    .await;
    let c = crate::support::client(&server);
    let devices = c.user().getdevice().send().await.unwrap();
    assert_eq!(
        serde_json::to_value(&devices).unwrap(),
        normal::<user::GetDeviceBody>("v2-user-getdevice")
    );
    assert_form(
        &only_request(&server, "/v2/user").await,
        &[("action", "getdevice")],
    );

    let server = serve(
        "/v2/user",
        "getgoals",
        fixture("v2-user-getgoals", "normal"),
        1,
    )
    .await;
    let c = crate::support::client(&server);
    let goals = c.user().getgoals().send().await.unwrap();
    assert_eq!(
        serde_json::to_value(&goals).unwrap(),
        normal::<user::GetGoalsBody>("v2-user-getgoals")
    );
    assert_form(
        &only_request(&server, "/v2/user").await,
        &[("action", "getgoals")],
    );
}

#[tokio::test]
async fn notify_subscribe_checks_the_url_then_sends_it() {
    let server = serve(
        "/notify",
        "subscribe",
        fixture("notify-subscribe", "normal"),
        1,
    )
    .await;
    let c = crate::support::client(&server);
    c.notify()
        .subscribe(URL, Appli::Sleep)
        .comment("sleep sync")
        .send()
        .await
        .unwrap();
    let r = only_request(&server, "/notify").await;
    assert_form(
        &r,
        &[
            ("action", "subscribe"),
            ("callbackurl", URL),
            ("appli", "44"),
            ("comment", "sleep sync"),
        ],
    );

    // Refused before anything is sent: the catch-all would fail the test otherwise.
    for (url, rule) in [
        ("http://example.com/cb", RedirectUriRule::NotHttps),
        ("https://192.168.1.20/cb", RedirectUriRule::IpAddress),
        ("https://localhost/cb", RedirectUriRule::Localhost),
        ("https://example.com:8443/cb", RedirectUriRule::Port),
        ("not a url", RedirectUriRule::NotAUrl),
    ] {
        let e = c
            .notify()
            .subscribe(url, Appli::Weight)
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            e.http_kind(),
            Some(ErrorKind::RedirectUri(rule)),
            "{url}: {e}"
        );
    }
    let long = format!("https://example.com/{}", "a".repeat(250));
    let e = c
        .notify()
        .subscribe(long, Appli::Weight)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        e.http_kind(),
        Some(ErrorKind::RedirectUri(RedirectUriRule::TooLong))
    );
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn notify_subscribe_in_restricted_mode_accepts_a_local_url() {
    let server = serve(
        "/notify",
        "subscribe",
        fixture("notify-subscribe", "normal"),
        1,
    )
    .await;
    let c = crate::support::client(&server);
    c.notify()
        .subscribe("http://localhost:8080/cb", Appli::Weight)
        .restricted_mode()
        .send()
        .await
        .unwrap();
    let r = only_request(&server, "/notify").await;
    assert_form(
        &r,
        &[
            ("action", "subscribe"),
            ("callbackurl", "http://localhost:8080/cb"),
            ("appli", "1"),
        ],
    );
}

#[tokio::test]
async fn notify_subscribe_status_293_is_an_invalid_params_error() {
    let server = serve(
        "/notify",
        "subscribe",
        fixture("notify-subscribe", "error_293_callback_unreachable"),
        1,
    )
    .await;
    let c = crate::support::client(&server);
    let e = c
        .notify()
        .subscribe(URL, Appli::Weight)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(293));
    assert_eq!(e.http_kind(), Some(ErrorKind::InvalidParams));
}

#[tokio::test]
async fn notify_get_list_update_revoke_send_their_parameters() {
    let server = serve("/notify", "get", fixture("notify-get", "normal"), 1).await;
    let c = crate::support::client(&server);
    let sub = c
        .notify()
        .get(URL)
        .appli(Appli::Sleep)
        .send()
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&sub).unwrap(),
        normal::<notify::NotifyGetBody>("notify-get")
    );
    assert_form(
        &only_request(&server, "/notify").await,
        &[("action", "get"), ("callbackurl", URL), ("appli", "44")],
    );

    let server = serve("/notify", "list", fixture("notify-list", "normal"), 1).await;
    let c = crate::support::client(&server);
    let subs = c.notify().list().appli(Appli::Weight).send().await.unwrap();
    assert_eq!(
        serde_json::to_value(&subs).unwrap(),
        normal::<notify::NotifyListBody>("notify-list")
    );
    assert_form(
        &only_request(&server, "/notify").await,
        &[("action", "list"), ("appli", "1")],
    );

    let server = serve("/notify", "update", fixture("notify-update", "normal"), 1).await;
    let c = crate::support::client(&server);
    let new_url = "https://example.com/withings/notify/9d2e";
    c.notify()
        .update(
            URL,
            Appli::Weight,
            UpdateChange::CallbackUrl(new_url.into()),
        )
        .send()
        .await
        .unwrap();
    let e = c
        .notify()
        .update(
            URL,
            Appli::Weight,
            UpdateChange::CallbackUrl("http://10.0.0.1/x".into()),
        )
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(e.http_kind(), Some(ErrorKind::RedirectUri(_))),
        "{e}"
    );
    assert_form(
        &only_request(&server, "/notify").await,
        &[
            ("action", "update"),
            ("callbackurl", URL),
            ("appli", "1"),
            ("new_callbackurl", new_url),
        ],
    );

    let server = serve("/notify", "revoke", fixture("notify-revoke", "normal"), 1).await;
    let c = crate::support::client(&server);
    c.notify()
        .revoke(URL)
        .appli(Appli::Ecg)
        .send()
        .await
        .unwrap();
    assert_form(
        &only_request(&server, "/notify").await,
        &[("action", "revoke"), ("callbackurl", URL), ("appli", "54")],
    );
}

#[tokio::test]
async fn api_statuses_become_typed_errors() {
    let server = serve(
        "/v2/user",
        "getgoals",
        fixture("v2-user-getgoals", "error_401_invalid_token"),
        1,
    )
    .await;
    let c = crate::support::client(&server);
    let e = c.user().getgoals().send().await.unwrap_err();
    assert!(e.is_auth(), "{e}");
    assert_eq!(e.status(), Some(401));

    let server = serve(
        "/v2/heart",
        "get",
        fixture("v2-heart-get", "error_601_rate_limited"),
        1,
    )
    .await;
    let c = crate::support::client(&server);
    let e = c.heart().get(1).send().await.unwrap_err();
    assert!(e.is_rate_limited(), "{e}");
}

#[tokio::test]
async fn decode_errors_name_the_call_and_the_path() {
    let server = serve(
        "/measure",
        "getmeas",
        fixture("measure-getmeas", "malformed-unknown-timezone"),
        1,
    )
    .await;
    let c = crate::support::client(&server);
    let e = c.measures().getmeas().send().await.unwrap_err();
    assert!(matches!(e, withings::Error::Decode { .. }), "{e:?}");
    let text = e.to_string();
    assert!(text.contains("/measure action=getmeas"), "{text}");
    assert!(text.contains(e.json_path().unwrap()), "{text}");
}
