//! Every fixture of every endpoint, served through wiremock and read through the façade's
//! typed call: the outcome must match the decode harness's `.expected` snapshot (the decoded
//! value, the API status, or the JSON path of the error).

use std::future::Future;

use serde::Serialize;
use wiremock::MockServer;
use withings::jiff::civil::date;
use withings::{Appli, Client, DateWindow, UpdateChange};

use crate::support::{Outcome, catch_all, client, fixture, fixtures_root, mount, outcome, ts};
use withings::model::{activity, heart, measure, notify, sleep, stetho, user, workout};

/// Runs `call` against every case of `dir` that has a snapshot; returns how many ran.
async fn sweep<B, T, F, Fut>(service_path: &str, action: &'static str, dir: &str, call: F) -> usize
where
    B: withings::Decode + serde::de::DeserializeOwned,
    T: Serialize,
    F: Fn(Client) -> Fut,
    Fut: Future<Output = withings::Result<T>>,
{
    let mut cases: Vec<String> = std::fs::read_dir(fixtures_root().join(dir))
        .unwrap_or_else(|e| panic!("fixtures/{dir}: {e}"))
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".json").map(str::to_owned)
        })
        .collect();
    cases.sort();
    let server = MockServer::start().await;
    let mut ran = 0;
    for case in cases {
        let body = fixture(dir, &case);
        let expected = outcome::<B>(&body);
        server.reset().await;
        mount(&server, service_path, action, body, 1).await;
        catch_all(&server).await;
        let result = call(client(&server)).await;
        let what = format!("fixtures/{dir}/{case}.json");
        match expected {
            Outcome::Ok(ok) => {
                let value = match result {
                    Ok(v) => serde_json::to_value(v).unwrap(),
                    Err(e) => panic!("{what}: expected a value, got the error: {e}"),
                };
                assert_eq!(
                    value, ok,
                    "{what}: the façade's value differs from decode_reply's"
                );
            }
            Outcome::Status(status) => {
                let e = result
                    .err()
                    .unwrap_or_else(|| panic!("{what}: expected status {status}"));
                assert_eq!(e.status(), Some(status), "{what}: {e}");
            }
            Outcome::ErrorAt(path) => {
                let e = result
                    .err()
                    .unwrap_or_else(|| panic!("{what}: expected an error at {path}"));
                assert_eq!(e.json_path().unwrap_or(""), path, "{what}: {e}");
            }
        }
        server.verify().await;
        ran += 1;
    }
    assert!(ran >= 2, "too few fixtures in fixtures/{dir}");
    ran
}

const URL: &str = "https://example.com/withings/notify/4f1c";

#[tokio::test]
async fn every_measure_and_activity_fixture_decodes_through_the_typed_calls() {
    sweep::<measure::GetMeasBody, _, _, _>(
        "/measure",
        "getmeas",
        "measure-getmeas",
        |c| async move { c.measures().getmeas().send().await },
    )
    .await;
    sweep::<withings::EmptyBody, _, _, _>(
        "/v2/measure",
        "confirmuser",
        "v2-measure-confirmuser",
        |c| async move { c.measures().confirmuser(7, true).send().await },
    )
    .await;
    let days = DateWindow::Dates {
        start: date(2024, 6, 1),
        end: date(2024, 6, 3),
    };
    sweep::<activity::GetActivityBody, _, _, _>(
        "/v2/measure",
        "getactivity",
        "v2-measure-getactivity",
        |c| async move { c.activity().getactivity(days).send().await },
    )
    .await;
    sweep::<activity::GetIntradayActivityBody, _, _, _>(
        "/v2/measure",
        "getintradayactivity",
        "v2-measure-getintradayactivity",
        |c| async move {
            c.activity()
                .getintradayactivity(ts(1_717_372_800), ts(1_717_459_200))
                .send()
                .await
        },
    )
    .await;
    sweep::<workout::GetWorkoutsBody, _, _, _>(
        "/v2/measure",
        "getworkouts",
        "v2-measure-getworkouts",
        |c| async move { c.activity().getworkouts(days).send().await },
    )
    .await;
}

#[tokio::test]
async fn every_sleep_heart_stetho_and_user_fixture_decodes_through_the_typed_calls() {
    sweep::<sleep::GetSleepBody, _, _, _>("/v2/sleep", "get", "v2-sleep-get", |c| async move {
        c.sleep()
            .get(ts(1_717_365_600), ts(1_717_408_800))
            .send()
            .await
    })
    .await;
    sweep::<sleep::GetSleepSummaryBody, _, _, _>(
        "/v2/sleep",
        "getsummary",
        "v2-sleep-getsummary",
        |c| async move {
            c.sleep()
                .getsummary(DateWindow::LastUpdate(ts(1_717_000_000)))
                .send()
                .await
        },
    )
    .await;
    sweep::<heart::HeartListBody, _, _, _>("/v2/heart", "list", "v2-heart-list", |c| async move {
        c.heart().list().send().await
    })
    .await;
    sweep::<heart::HeartGetBody, _, _, _>("/v2/heart", "get", "v2-heart-get", |c| async move {
        c.heart().get(170_000_321).send().await
    })
    .await;
    sweep::<stetho::StethoListBody, _, _, _>(
        "/v2/stetho",
        "list",
        "v2-stetho-list",
        |c| async move { c.stetho().list().send().await },
    )
    .await;
    sweep::<stetho::StethoGetBody, _, _, _>("/v2/stetho", "get", "v2-stetho-get", |c| async move {
        c.stetho().get(42).send().await
    })
    .await;
    sweep::<user::GetDeviceBody, _, _, _>(
        "/v2/user",
        "getdevice",
        "v2-user-getdevice",
        |c| async move { c.user().getdevice().send().await },
    )
    .await;
    sweep::<user::GetGoalsBody, _, _, _>(
        "/v2/user",
        "getgoals",
        "v2-user-getgoals",
        |c| async move { c.user().getgoals().send().await },
    )
    .await;
}

#[tokio::test]
async fn every_notify_fixture_decodes_through_the_typed_calls() {
    sweep::<withings::EmptyBody, _, _, _>(
        "/notify",
        "subscribe",
        "notify-subscribe",
        |c| async move { c.notify().subscribe(URL, Appli::Weight).send().await },
    )
    .await;
    sweep::<notify::NotifyGetBody, _, _, _>("/notify", "get", "notify-get", |c| async move {
        c.notify().get(URL).send().await
    })
    .await;
    sweep::<notify::NotifyListBody, _, _, _>("/notify", "list", "notify-list", |c| async move {
        c.notify().list().send().await
    })
    .await;
    sweep::<withings::EmptyBody, _, _, _>("/notify", "update", "notify-update", |c| async move {
        c.notify()
            .update(URL, Appli::Weight, UpdateChange::Comment("x".into()))
            .send()
            .await
    })
    .await;
    sweep::<withings::EmptyBody, _, _, _>("/notify", "revoke", "notify-revoke", |c| async move {
        c.notify().revoke(URL).send().await
    })
    .await;
}
