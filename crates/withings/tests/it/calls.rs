//! Each model request sent through the client: the request form it sends (action,
//! parameters, encodings) and what it returns for the `normal` fixture.

use withings::jiff::civil::date;
use withings::model::activity::{GetActivity, GetIntradayActivity};
use withings::model::heart::{HeartGet, HeartList};
use withings::model::measure::{ConfirmUser, GetMeas};
use withings::model::notify::{NotifyGet, NotifyList, Revoke, Subscribe, Update};
use withings::model::sleep::{GetSleep, GetSleepSummary};
use withings::model::stetho::{StethoGet, StethoList};
use withings::model::user::{GetDevice, GetGoals};
use withings::model::workout::GetWorkouts;
use withings::{
    ActivityField, Appli, CallbackUrl, Category, DateWindow, Endpoint, ErrorKind, IntradayField,
    MeasureType, SleepField, SleepSummaryField, UpdateChange, UrlRule, WorkoutField,
};

use crate::support::{assert_form, decoded, fixture_of, only_request, requests, serve_for, ts};

const URL: &str = "https://example.com/withings/notify/4f1c";

/// What the `normal` fixture of `E` decodes to without the façade.
fn normal<E>() -> serde_json::Value
where
    E: Endpoint,
    E::Body: withings::Decode,
{
    decoded::<E::Body>(&fixture_of::<E>("normal"))
}

/// A server answering `E`'s fixture `case` exactly `times` times.
async fn serve_case<E: Endpoint>(case: &str, times: u64) -> wiremock::MockServer {
    serve_for::<E>(fixture_of::<E>(case), times).await
}

fn callback(url: &str) -> CallbackUrl {
    CallbackUrl::parse(url).unwrap()
}

#[tokio::test]
async fn getmeas_sends_meastypes_category_range_and_offset_and_decodes() {
    let server = serve_case::<GetMeas>("normal", 1).await;
    let c = crate::support::client(&server);
    let req = GetMeas::new()
        .meastypes([MeasureType::Weight, MeasureType::FatRatio])
        .add_meastype(MeasureType::from_code(999))
        .category(Category::Real)
        .updated_since(ts(1))
        .between(ts(1_717_200_000), ts(1_717_430_000))
        .offset(40);
    let meas = c.send(&req).await.unwrap();
    assert_eq!(serde_json::to_value(&meas).unwrap(), normal::<GetMeas>());
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
    let text = fixture_of::<GetMeas>("normal");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let server = serve_for::<GetMeas>(text, 1).await;
    let c = crate::support::client(&server);
    let req = GetMeas::new()
        .between(ts(1), ts(2))
        .updated_since(ts(1_717_000_000));
    let wire = c.send_wire(&req).await.unwrap();
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
    let server = serve_case::<ConfirmUser>("ok", 1).await;
    let c = crate::support::client(&server);
    c.send(&ConfirmUser::new(1_234_567_890, false))
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
    let server = serve_case::<GetActivity>("normal", 2).await;
    let c = crate::support::client(&server);
    let days = c
        .send(
            &GetActivity::new()
                .window(DateWindow::LastUpdate(ts(5)))
                .dates(date(2024, 6, 1), date(2024, 6, 3))
                .data_fields([ActivityField::Steps, ActivityField::HrAverage])
                .offset(7),
        )
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&days).unwrap(),
        normal::<GetActivity>()
    );
    c.send(
        &GetActivity::new()
            .window(DateWindow::Dates {
                start: date(2024, 6, 1),
                end: date(2024, 6, 3),
            })
            .updated_since(ts(1_717_000_000)),
    )
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
    let server = serve_case::<GetIntradayActivity>("normal", 1).await;
    let c = crate::support::client(&server);
    let req = GetIntradayActivity::new()
        .between(ts(1_717_372_800), ts(1_717_459_200))
        .data_fields([IntradayField::Steps, IntradayField::HeartRate]);
    assert_eq!(req.calls().unwrap(), vec![req.clone()]);
    let samples = c.send(&req).await.unwrap();
    assert_eq!(
        serde_json::to_value(&samples).unwrap(),
        normal::<GetIntradayActivity>()
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
    let text = fixture_of::<GetIntradayActivity>("normal");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let server = serve_for::<GetIntradayActivity>(text, 1).await;
    let c = crate::support::client(&server);
    let req = GetIntradayActivity::new();
    assert_eq!(req.calls().unwrap().len(), 1);
    let body = c.send_wire(&req).await.unwrap();
    assert_eq!(
        body.series.len(),
        json["body"]["series"].as_object().unwrap().len()
    );
    let r = only_request(&server, "/v2/measure").await;
    assert_form(&r, &[("action", "getintradayactivity")]);
}

#[tokio::test]
async fn getworkouts_sends_ymd_dates_fields_and_offset() {
    let server = serve_case::<GetWorkouts>("normal", 1).await;
    let c = crate::support::client(&server);
    let workouts = c
        .send(
            &GetWorkouts::new()
                .window(DateWindow::Dates {
                    start: date(2024, 5, 30),
                    end: date(2024, 6, 3),
                })
                .data_fields([WorkoutField::Calories, WorkoutField::HrAverage])
                .offset(3),
        )
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&workouts).unwrap(),
        normal::<GetWorkouts>()
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
    let server = serve_case::<GetSleep>("normal", 1).await;
    let c = crate::support::client(&server);
    let night = c
        .send(
            &GetSleep::new()
                .between(ts(1_717_365_600), ts(1_717_408_800))
                .data_fields([SleepField::Hr, SleepField::Rr, SleepField::Snoring]),
        )
        .await
        .unwrap();
    assert_eq!(serde_json::to_value(&night).unwrap(), normal::<GetSleep>());
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
    let server = serve_case::<GetSleepSummary>("normal", 1).await;
    let c = crate::support::client(&server);
    let nights = c
        .send(
            &GetSleepSummary::new()
                .window(DateWindow::LastUpdate(ts(1)))
                .dates(date(2024, 6, 1), date(2024, 6, 3))
                .all_fields()
                .data_fields([
                    SleepSummaryField::TotalSleepTime,
                    SleepSummaryField::HrAverage,
                ]),
        )
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&nights).unwrap(),
        normal::<GetSleepSummary>()
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
    let server = serve_case::<HeartList>("normal", 1).await;
    let c = crate::support::client(&server);
    let records = c
        .send(
            &HeartList::new()
                .between(ts(1_717_200_000), ts(1_717_430_000))
                .offset(10),
        )
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&records).unwrap(),
        normal::<HeartList>()
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

    let server = serve_case::<HeartGet>("normal", 1).await;
    let c = crate::support::client(&server);
    let signal = c
        .send(
            &HeartGet::new(170_000_321)
                .with_filtered(true)
                .with_intervals(false),
        )
        .await
        .unwrap();
    assert_eq!(serde_json::to_value(&signal).unwrap(), normal::<HeartGet>());
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
    let server = serve_case::<StethoList>("normal", 1).await;
    let c = crate::support::client(&server);
    let records = c
        .send(&StethoList::new().between(ts(1_717_200_000), ts(1_717_430_000)))
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&records).unwrap(),
        normal::<StethoList>()
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

    let server = serve_case::<StethoGet>("normal", 1).await;
    let c = crate::support::client(&server);
    let signal = c.send(&StethoGet::new(555)).await.unwrap();
    assert_eq!(
        serde_json::to_value(&signal).unwrap(),
        normal::<StethoGet>()
    );
    let r = only_request(&server, "/v2/stetho").await;
    assert_form(&r, &[("action", "get"), ("signalid", "555")]);
}

#[tokio::test]
async fn user_getdevice_and_getgoals_send_only_the_action() {
    let server = serve_case::<GetDevice>("normal", 1).await;
    let c = crate::support::client(&server);
    let devices = c.send(&GetDevice::new()).await.unwrap();
    assert_eq!(
        serde_json::to_value(&devices).unwrap(),
        normal::<GetDevice>()
    );
    assert_form(
        &only_request(&server, "/v2/user").await,
        &[("action", "getdevice")],
    );

    let server = serve_case::<GetGoals>("normal", 1).await;
    let c = crate::support::client(&server);
    let goals = c.send(&GetGoals::new()).await.unwrap();
    assert_eq!(serde_json::to_value(&goals).unwrap(), normal::<GetGoals>());
    assert_form(
        &only_request(&server, "/v2/user").await,
        &[("action", "getgoals")],
    );
}

#[tokio::test]
async fn notify_subscribe_checks_the_url_then_sends_it() {
    let server = serve_case::<Subscribe>("normal", 1).await;
    let c = crate::support::client(&server);
    c.send(&Subscribe::new(callback(URL), Appli::Sleep).comment("sleep sync"))
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

    // Refused before anything is sent: a subscription cannot be built without a checked
    // URL (and the catch-all would fail the test if anything reached the server).
    let long = format!("https://example.com/{}", "a".repeat(250));
    for (url, rule) in [
        ("http://example.com/cb", UrlRule::NotHttps),
        ("https://192.168.1.20/cb", UrlRule::IpAddress),
        ("https://localhost/cb", UrlRule::Localhost),
        ("https://example.com:8443/cb", UrlRule::Port),
        ("not a url", UrlRule::NotAUrl),
        (long.as_str(), UrlRule::TooLong),
    ] {
        let e = CallbackUrl::parse(url).unwrap_err();
        assert_eq!(e, rule, "{url}");
        // As a client error, the rule is its kind.
        let e = withings::Error::from(withings::http::Error::from(e));
        assert_eq!(
            e.http_kind(),
            Some(ErrorKind::CallbackUrl(rule)),
            "{url}: {e}"
        );
    }
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn notify_subscribe_in_restricted_mode_accepts_a_local_url() {
    let server = serve_case::<Subscribe>("normal", 1).await;
    let c = crate::support::client(&server);
    let local = "http://localhost:8080/cb";
    assert_eq!(CallbackUrl::parse(local), Err(UrlRule::NotHttps));
    c.send(&Subscribe::new(
        CallbackUrl::restricted(local).unwrap(),
        Appli::Weight,
    ))
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
    let server = serve_case::<Subscribe>("error_293_callback_unreachable", 1).await;
    let c = crate::support::client(&server);
    let e = c
        .send(&Subscribe::new(callback(URL), Appli::Weight))
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(293));
    assert_eq!(e.http_kind(), Some(ErrorKind::InvalidParams));
}

#[tokio::test]
async fn notify_get_list_update_revoke_send_their_parameters() {
    let server = serve_case::<NotifyGet>("normal", 1).await;
    let c = crate::support::client(&server);
    let sub = c
        .send(&NotifyGet::new(URL).appli(Appli::Sleep))
        .await
        .unwrap();
    assert_eq!(serde_json::to_value(&sub).unwrap(), normal::<NotifyGet>());
    assert_form(
        &only_request(&server, "/notify").await,
        &[("action", "get"), ("callbackurl", URL), ("appli", "44")],
    );

    let server = serve_case::<NotifyList>("normal", 1).await;
    let c = crate::support::client(&server);
    let subs = c
        .send(&NotifyList::new().appli(Appli::Weight))
        .await
        .unwrap();
    assert_eq!(serde_json::to_value(&subs).unwrap(), normal::<NotifyList>());
    assert_form(
        &only_request(&server, "/notify").await,
        &[("action", "list"), ("appli", "1")],
    );

    let server = serve_case::<Update>("normal", 1).await;
    let c = crate::support::client(&server);
    let new_url = "https://example.com/withings/notify/9d2e";
    c.send(&Update::new(
        URL,
        Appli::Weight,
        UpdateChange::CallbackUrl(callback(new_url)),
    ))
    .await
    .unwrap();
    // A new URL that breaks the rules cannot be put in an update (nothing is sent: the
    // server saw one request).
    let e = CallbackUrl::parse("http://10.0.0.1/x").unwrap_err();
    assert!(
        matches!(
            withings::http::Error::from(e).kind(),
            ErrorKind::CallbackUrl(_)
        ),
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

    let server = serve_case::<Revoke>("normal", 1).await;
    let c = crate::support::client(&server);
    c.send(&Revoke::new(URL).appli(Appli::Ecg)).await.unwrap();
    assert_form(
        &only_request(&server, "/notify").await,
        &[("action", "revoke"), ("callbackurl", URL), ("appli", "54")],
    );
}

#[tokio::test]
async fn api_statuses_become_typed_errors() {
    let server = serve_case::<GetGoals>("error_401_invalid_token", 1).await;
    let c = crate::support::client(&server);
    let e = c.send(&GetGoals::new()).await.unwrap_err();
    assert!(e.is_auth(), "{e}");
    assert_eq!(e.status(), Some(401));

    let server = serve_case::<HeartGet>("error_601_rate_limited", 1).await;
    let c = crate::support::client(&server);
    let e = c.send(&HeartGet::new(1)).await.unwrap_err();
    assert!(e.is_rate_limited(), "{e}");
}

#[tokio::test]
async fn decode_errors_name_the_call_and_the_path() {
    let server = serve_case::<GetMeas>("malformed-unknown-timezone", 1).await;
    let c = crate::support::client(&server);
    let e = c.send(&GetMeas::new()).await.unwrap_err();
    assert!(matches!(e, withings::Error::Decode { .. }), "{e:?}");
    let text = e.to_string();
    assert!(text.contains("/measure action=getmeas"), "{text}");
    assert!(text.contains(e.json_path().unwrap()), "{text}");
}
