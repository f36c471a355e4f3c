//! Every fixture of every endpoint, served through wiremock and sent through the façade
//! ([`Client::send`](withings::Client::send)): the outcome must match the `.expected` snapshot
//! beside the fixture — the decoded value, the API status, or the message and JSON path of the
//! error — rendered as the decode crate's harness (`crates/withings-decode/tests/fixtures`)
//! renders it, and compared byte for byte.

use serde::Serialize;
use wiremock::MockServer;
use withings::jiff::civil::date;
use withings::model::ApiStatus;
use withings::model::activity::{GetActivity, GetIntradayActivity};
use withings::model::heart::{HeartGet, HeartList};
use withings::model::measure::{ConfirmUser, GetMeas};
use withings::model::notify::{NotifyGet, NotifyList, Revoke, Subscribe, Update};
use withings::model::sleep::{GetSleep, GetSleepSummary};
use withings::model::stetho::{StethoGet, StethoList};
use withings::model::user::{GetDevice, GetGoals};
use withings::model::workout::GetWorkouts;
use withings::{Appli, CallbackUrl, DateWindow, Endpoint, ErrorKind, Output, UpdateChange};

use crate::support::{catch_all, client, fixture, fixtures_root, mount_for, ts};

/// Renders a JSON value as snapshot text: pretty-printed, with a final newline (the decode
/// harness's format).
fn snapshot_text(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap();
    text.push('\n');
    text
}

/// What the façade answered, as the decode harness renders `decode_reply`'s result:
/// `{"ok": value}`, `{"status": ApiStatus}` or `{"error": {"message", "path"}}`.
fn render<T: Serialize>(result: withings::Result<T>) -> Result<String, String> {
    let value = match result {
        Ok(v) => serde_json::json!({ "ok": v }),
        // The body parsed but a value could not be interpreted: the decode crate's error.
        Err(withings::Error::Decode { source, .. }) => {
            serde_json::json!({ "error": { "message": source.to_string(), "path": source.path() } })
        }
        Err(withings::Error::Http(e)) if e.kind() == ErrorKind::Decode => {
            // The body does not match the wire model: the transport keeps the model's
            // `ParseError` as the source, whose text is the harness's message.
            let Some(parse) = std::error::Error::source(&e) else {
                return Err(format!("a decode error without its parse error: {e}"));
            };
            serde_json::json!({
                "error": { "message": parse.to_string(), "path": e.json_path().unwrap_or_default() }
            })
        }
        Err(e) => {
            let Some(code) = e.status() else {
                return Err(format!("an error the snapshot cannot show: {e}"));
            };
            let mut status = ApiStatus::new(code);
            if let Some(text) = e.http().and_then(withings::http::Error::api_error_text) {
                status = status.with_error(text);
            }
            // `wait_seconds` reaches the caller as the retry delay of a 601.
            if e.is_rate_limited()
                && let Some(after) = e.retry_after()
            {
                status = status.with_wait_seconds(i64::try_from(after.as_secs()).unwrap());
            }
            serde_json::json!({ "status": status })
        }
    };
    Ok(snapshot_text(&value))
}

/// The `.expected` snapshot of a case, as the façade reports it: a 601 without
/// `wait_seconds` is retried after 60 s (API notes §9.3), which is what the façade says.
fn expected(text: &str) -> String {
    let mut value: serde_json::Value = serde_json::from_str(text).unwrap();
    let status = &mut value["status"];
    if status["status"] == 601 && status["wait_seconds"].is_null() {
        status["wait_seconds"] = 60.into();
        return snapshot_text(&value);
    }
    text.to_owned()
}

/// The first differing line of two snapshots, with its neighbours (as the decode harness
/// shows it).
fn diff(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<_>, Vec<_>) = (expected.lines().collect(), actual.lines().collect());
    let first = e
        .iter()
        .zip(&a)
        .position(|(x, y)| x != y)
        .unwrap_or(e.len().min(a.len()));
    let from = first.saturating_sub(2);
    let show = |lines: &[&str]| {
        lines
            .iter()
            .skip(from)
            .take(5)
            .map(|l| format!("    {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "  at line {}:\n  expected:\n{}\n  actual:\n{}",
        first + 1,
        show(&e),
        show(&a)
    )
}

/// Sends `request` once for every case of its fixture folder, each served in turn, and
/// compares the outcome with the case's `.expected`; returns how many ran.
async fn sweep<E>(request: E) -> usize
where
    E: Endpoint,
    E::Body: withings::Decode,
    Output<E>: Serialize,
{
    let dir = E::fixture_dir();
    let mut cases: Vec<String> = std::fs::read_dir(fixtures_root().join(&dir))
        .unwrap_or_else(|e| panic!("fixtures/{dir}: {e}"))
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".json").map(str::to_owned)
        })
        .collect();
    cases.sort();
    let server = MockServer::start().await;
    let mut failures = Vec::new();
    let mut ran = 0;
    for case in cases {
        let what = format!("fixtures/{dir}/{case}");
        let snapshot = fixtures_root().join(&dir).join(format!("{case}.expected"));
        let snapshot = std::fs::read_to_string(&snapshot).unwrap_or_else(|e| {
            panic!("{what}.expected: {e} (UPDATE_EXPECT=1 in withings-decode)")
        });
        server.reset().await;
        mount_for::<E>(&server, fixture(&dir, &case), 1).await;
        catch_all(&server).await;
        let result = client(&server).send(&request).await;
        match render(result) {
            Ok(actual) => {
                let want = expected(&snapshot);
                if actual != want {
                    failures.push(format!(
                        "{what}.json: the façade's outcome differs from its .expected\n{}",
                        diff(&want, &actual)
                    ));
                }
            }
            Err(problem) => failures.push(format!("{what}.json: {problem}")),
        }
        server.verify().await;
        ran += 1;
    }
    assert!(ran >= 2, "too few fixtures in fixtures/{dir}");
    assert!(
        failures.is_empty(),
        "{} of {ran} cases failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    ran
}

const URL: &str = "https://example.com/withings/notify/4f1c";

#[tokio::test]
async fn every_measure_and_activity_fixture_decodes_through_the_typed_calls() {
    sweep(GetMeas::new()).await;
    sweep(ConfirmUser::new(7, true)).await;
    let days = DateWindow::Dates {
        start: date(2024, 6, 1),
        end: date(2024, 6, 3),
    };
    sweep(GetActivity::new().window(days)).await;
    sweep(GetIntradayActivity::new().between(ts(1_717_372_800), ts(1_717_459_200))).await;
    sweep(GetWorkouts::new().window(days)).await;
}

#[tokio::test]
async fn every_sleep_heart_stetho_and_user_fixture_decodes_through_the_typed_calls() {
    sweep(GetSleep::new().between(ts(1_717_365_600), ts(1_717_408_800))).await;
    sweep(GetSleepSummary::new().updated_since(ts(1_717_000_000))).await;
    sweep(HeartList::new()).await;
    sweep(HeartGet::new(170_000_321)).await;
    sweep(StethoList::new()).await;
    sweep(StethoGet::new(42)).await;
    sweep(GetDevice::new()).await;
    sweep(GetGoals::new()).await;
}

#[tokio::test]
async fn every_notify_fixture_decodes_through_the_typed_calls() {
    sweep(Subscribe::new(
        CallbackUrl::parse(URL).unwrap(),
        Appli::Weight,
    ))
    .await;
    sweep(NotifyGet::new(URL)).await;
    sweep(NotifyList::new()).await;
    sweep(Update::new(
        URL,
        Appli::Weight,
        UpdateChange::Comment("x".into()),
    ))
    .await;
    sweep(Revoke::new(URL)).await;
}

#[test]
fn a_snapshot_that_differs_is_reported() {
    // The comparison can fail: a changed value, status or path is not equal to its snapshot.
    let ok = render::<i64>(Ok(1)).unwrap();
    assert_eq!(ok, "{\n  \"ok\": 1\n}\n");
    assert_ne!(expected("{\n  \"ok\": 2\n}\n"), ok);
    assert_eq!(
        expected(
            "{\n  \"status\": {\n    \"error\": null,\n    \"status\": 601,\n    \"wait_seconds\": null\n  }\n}\n"
        ),
        "{\n  \"status\": {\n    \"error\": null,\n    \"status\": 601,\n    \"wait_seconds\": 60\n  }\n}\n"
    );
}
