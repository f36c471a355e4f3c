//! End to end: record from the offline Withings stand-in into a temporary fixtures tree,
//! scrub, check; then plant live-looking values and see the check name them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use withings_decode::{Decode, Reply, decode_reply};
use withings_http::{AccessToken, AppCredentials, Client, Form, Scope, Service};
use withings_model::heart::{HeartGetBody, HeartListBody};
use withings_model::measure::GetMeasBody;
use withings_model::notify::{NotifyGetBody, NotifyListBody};
use withings_model::sleep::GetSleepSummaryBody;
use withings_model::user::GetDeviceBody;
use withings_sandbox::{DEMO_USER_ID, Sandbox};
use xtask::check::check_tree;
use xtask::manifest;
use xtask::record::{RecordOptions, record};
use xtask::scrub::{is_hex_pseudonym, is_url_pseudonym};

/// 2024-06-03T15:53:20Z.
const NOW: i64 = 1_717_430_000;

/// A live-looking callback, as a real app would register it.
const LIVE_CALLBACK: &str = "https://hooks.acme-health.io/withings/u-8842?key=9f2c";

const MANIFEST: &str = r#"
[[record]]
dir = "measure-getmeas"
case = "recorded"
params = { meastypes = [1, 6, 8], category = 1, startdate = "{now-7d}", enddate = "{now}" }

[[record]]
dir = "v2-user-getdevice"
case = "recorded"

[[record]]
dir = "v2-heart-list"
case = "recorded"
params = { startdate = "{now-365d}", enddate = "{now}" }

[[record]]
dir = "v2-heart-get"
case = "recorded"
params = { signalid = "{ref v2-heart-list/recorded body.series[0].ecg.signalid}" }

[[record]]
dir = "v2-sleep-getsummary"
case = "last-week"
params = { startdateymd = "{today-7d}", enddateymd = "{today}" }

[[record]]
dir = "notify-list"
case = "recorded"

[[record]]
dir = "notify-get"
case = "recorded"
params = { callbackurl = "{ref notify-list/recorded body.profiles[0].callbackurl}", appli = "{ref notify-list/recorded body.profiles[0].appli}" }

# No recording has signal id 1 in the stand-in: status 503, reported, nothing written.
[[record]]
dir = "v2-stetho-get"
case = "recorded"
params = { signalid = 1 }
"#;

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn decodes<B: Decode + DeserializeOwned>(root: &Path, file: &str) {
    let bytes = std::fs::read(root.join(file)).unwrap();
    match decode_reply::<B>(&bytes) {
        Ok(Reply::Ok(_)) => {}
        Ok(Reply::Status(s)) => panic!("{file}: status {s:?}"),
        Err(e) => panic!("{file}: {e}"),
    }
}

fn strings_at(text: &str, key: &str) -> BTreeSet<String> {
    fn walk(v: &serde_json::Value, key: &str, out: &mut BTreeSet<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    if k == key
                        && let Some(s) = v.as_str()
                    {
                        out.insert(s.to_owned());
                    }
                    walk(v, key, out);
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, key, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(&serde_json::from_str(text).unwrap(), key, &mut out);
    out
}

#[tokio::test(flavor = "current_thread")]
async fn records_scrubs_and_checks_against_the_sandbox() {
    let sandbox = Sandbox::builder()
        .now(jiff::Timestamp::from_second(NOW).unwrap())
        .rate_limit(false)
        .build()
        .start()
        .await
        .unwrap();

    // An app with a token, and one notification with a live-looking callback and comment.
    let app = Client::builder()
        .base_url(sandbox.base_url())
        .credentials(AppCredentials::new(
            sandbox.client_id(),
            sandbox.client_secret(),
        ))
        .build()
        .unwrap();
    let tokens = app
        .demo_access(&[Scope::UserInfo, Scope::UserMetrics, Scope::UserActivity])
        .await
        .unwrap();
    let token = tokens.access_token().expose_secret().to_owned();
    let mut form = Form::new();
    form.push("callbackurl", LIVE_CALLBACK)
        .push("appli", "1")
        .push("comment", "Jane's scale");
    app.send_raw(Service::Notify, "subscribe", &form)
        .await
        .unwrap();

    // Record the way the command line does: a bare access token.
    let client = Client::builder()
        .base_url(sandbox.base_url())
        .access_token(AccessToken::new(token.clone()))
        .build()
        .unwrap();
    let tmp = TempDir::new("regen-e2e");
    let root = &tmp.0;
    let manifest = manifest::parse(MANIFEST).unwrap();
    let options = RecordOptions {
        now: NOW,
        shift_days: 0,
        only: Vec::new(),
    };
    let done = record(root, &manifest, &client, &options).await.unwrap();

    assert_eq!(
        done.written,
        [
            "measure-getmeas/recorded.json",
            "v2-user-getdevice/recorded.json",
            "v2-heart-list/recorded.json",
            "v2-heart-get/recorded.json",
            "v2-sleep-getsummary/last-week.json",
            "notify-list/recorded.json",
            "notify-get/recorded.json",
        ]
    );
    assert_eq!(done.failures.len(), 1, "{:#?}", done.failures);
    assert!(done.failures[0].starts_with("v2-stetho-get/recorded: "));
    assert!(!root.join("v2-stetho-get").exists());

    // Nothing in the tree looks live, and nothing live is in it.
    assert_eq!(check_tree(root).unwrap(), Vec::new());
    let device_raw = client
        .send_raw(Service::User, "getdevice", &Form::new())
        .await
        .unwrap();
    let live_devices = strings_at(&format!("{{\"d\":{}}}", device_raw.as_str()), "deviceid");
    assert!(!live_devices.is_empty());
    for file in &done.written {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        assert!(text.starts_with("{\"status\":0,\"body\":"), "{file}");
        for live in [DEMO_USER_ID, token.as_str(), "acme-health", "Jane"] {
            assert!(!text.contains(live), "{file} still holds a live value");
        }
        for id in &live_devices {
            assert!(
                !text.contains(id.as_str()),
                "{file} still holds a device id"
            );
        }
    }

    // The wire form is the server's: same length (ids keep theirs), same escapes, and the
    // same document once the ids are set aside.
    let recorded = std::fs::read_to_string(root.join("v2-user-getdevice/recorded.json")).unwrap();
    let live = format!("{{\"status\":0,\"body\":{}}}", device_raw.as_str());
    assert_eq!(recorded.len(), live.len());
    assert_eq!(recorded.matches("\\/").count(), live.matches("\\/").count());
    let without_ids = |text: &str| {
        let mut v: serde_json::Value = serde_json::from_str(text).unwrap();
        for d in v["body"]["devices"].as_array_mut().unwrap() {
            for k in ["deviceid", "hash_deviceid"] {
                if let Some(x) = d.get_mut(k) {
                    *x = serde_json::Value::Null;
                }
            }
        }
        v
    };
    assert_eq!(without_ids(&recorded), without_ids(&live));
    let ids = strings_at(&recorded, "deviceid");
    assert!(ids.iter().all(|id| is_hex_pseudonym(id)), "{ids:?}");

    // Pseudonyms join across files: the devices of the measures are the devices listed.
    let read = |f: &str| std::fs::read_to_string(root.join(f)).unwrap();
    let listed = strings_at(&read("v2-user-getdevice/recorded.json"), "deviceid");
    let measured = strings_at(&read("measure-getmeas/recorded.json"), "hash_deviceid");
    assert!(
        !measured.is_empty() && measured.is_subset(&listed),
        "{measured:?} ⊄ {listed:?}"
    );
    let list_urls = strings_at(&read("notify-list/recorded.json"), "callbackurl");
    let get_urls = strings_at(&read("notify-get/recorded.json"), "callbackurl");
    assert_eq!(list_urls, get_urls);
    assert!(
        list_urls.iter().all(|u| is_url_pseudonym(u)),
        "{list_urls:?}"
    );
    assert!(
        read("notify-list/recorded.json")
            .contains("\"callbackurl\":\"https:\\/\\/example.org\\/callback\\/1\"")
    );
    assert!(read("notify-list/recorded.json").contains("\"comment\":\"scrubbed-0001\""));

    // Every recorded file decodes.
    decodes::<GetMeasBody>(root, "measure-getmeas/recorded.json");
    decodes::<GetDeviceBody>(root, "v2-user-getdevice/recorded.json");
    decodes::<HeartListBody>(root, "v2-heart-list/recorded.json");
    decodes::<HeartGetBody>(root, "v2-heart-get/recorded.json");
    decodes::<GetSleepSummaryBody>(root, "v2-sleep-getsummary/last-week.json");
    decodes::<NotifyListBody>(root, "notify-list/recorded.json");
    decodes::<NotifyGetBody>(root, "notify-get/recorded.json");

    // A second run with a shift moves the times and keeps the ids' pseudonyms in form.
    let shifted = RecordOptions {
        shift_days: -3,
        only: vec!["v2-heart-list".into()],
        ..options
    };
    let again = record(root, &manifest, &client, &shifted).await.unwrap();
    assert_eq!(again.written, ["v2-heart-list/recorded.json"]);
    let ts = |text: &str| -> Vec<i64> {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        v["body"]["series"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["timestamp"].as_i64().unwrap())
            .collect()
    };
    let before = ts(&live_heart_list(&client).await);
    let after = ts(&read("v2-heart-list/recorded.json"));
    assert_eq!(
        after,
        before.iter().map(|t| t - 3 * 86_400).collect::<Vec<_>>()
    );
    assert_eq!(check_tree(root).unwrap(), Vec::new());
    // Another run, other numbers: its ids must not seem to join those of the first run.
    let rerun = strings_at(&read("v2-heart-list/recorded.json"), "deviceid");
    assert!(
        !rerun.is_empty() && rerun.is_disjoint(&listed),
        "{rerun:?} vs {listed:?}"
    );

    // Planted: a real-looking access token and an email address.
    let oauth = root.join("v2-oauth2-requesttoken");
    std::fs::create_dir_all(&oauth).unwrap();
    std::fs::write(
        oauth.join("planted.json"),
        format!(
            concat!(
                r#"{{"status":0,"body":{{"userid":"99990001","access_token":"{}","#,
                r#""refresh_token":"5c0b000000000000000000000000000000000009","expires_in":10800,"#,
                r#""scope":"user.metrics","token_type":"Bearer"}}}}"#
            ),
            "7d3f0a9e12b4c6d8e0f1a2b3c4d5e6f708192a3b"
        ),
    )
    .unwrap();
    std::fs::write(
        root.join("v2-user-getdevice/planted.json"),
        r#"{"status":0,"body":{"devices":[{"type":"Scale","owner":"Contact: jane.doe@gmail.com"}]}}"#,
    )
    .unwrap();
    let findings = check_tree(root).unwrap();
    let lines: Vec<String> = findings.iter().map(ToString::to_string).collect();
    assert_eq!(findings.len(), 2, "{lines:#?}");
    assert!(
        lines[0].starts_with(
            "v2-oauth2-requesttoken/planted.json: body.access_token: `access_token` holds a hex string of 40 characters, not a pseudonym"
        ),
        "{}",
        lines[0]
    );
    assert!(
        lines[1]
            .starts_with("v2-user-getdevice/planted.json: body.devices[0].owner: an email address"),
        "{}",
        lines[1]
    );
    for line in &lines {
        assert!(
            !line.contains("7d3f0a9e") && !line.contains("jane"),
            "{line}"
        );
    }

    sandbox.shutdown().await;
}

/// The heart list as the stand-in sends it, in an envelope.
async fn live_heart_list(client: &Client) -> String {
    let mut form = Form::new();
    form.push("startdate", (NOW - 365 * 86_400).to_string())
        .push("enddate", NOW.to_string());
    let raw = client
        .send_raw(Service::Heart, "list", &form)
        .await
        .unwrap();
    format!("{{\"status\":0,\"body\":{}}}", raw.as_str())
}
