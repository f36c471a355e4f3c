//! The commands of issue 12: `heart get`, `stetho list|get`, `confirmuser`, `notify get|update`,
//! `oauth2 revoke`, `oauth2 demo-access`, each in table, json and csv, against the sandbox.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::data::{all_formats, text};
use crate::harness::{Env, Run, calls_of, csv_header, parse_csv, same_values};

/// `args` with `--format <format>` appended.
fn run_as(env: &Env, args: &[&str], format: &str) -> Run {
    let mut a = args.to_vec();
    a.extend(["--format", format]);
    env.run(&a)
}

/// The `expires_at` of the token file, shown in `zone` with `format`.
fn expires_at(path: &std::path::Path, zone: &str, format: &str) -> String {
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let at = jiff::Timestamp::from_second(v["expires_at"].as_i64().unwrap()).unwrap();
    at.to_zoned_datetime(jiff::tz::TimeZone::get(zone).unwrap())
        .strftime(format)
        .to_string()
}

/// The table's header names and its rows, split on runs of two spaces or more.
fn table_cells(table: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let split = |line: &str| -> Vec<String> {
        line.split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let mut lines = table.lines();
    let header = split(lines.next().unwrap());
    (header, lines.map(split).collect())
}

const HEART_SIGNAL: &[&str] = &[
    "signal_id",
    "index",
    "value_uv",
    "sampling_hz",
    "heart_rate",
    "wear_position",
    "model",
];

#[test]
fn heart_get_gives_every_sample_in_json_and_csv_and_a_summary_in_the_table() {
    let env = Env::new();
    env.login();
    let list = env.run(&[
        "heart",
        "list",
        "--from",
        "2024-03-01",
        "--to",
        "2024-06-03",
        "--format",
        "json",
    ]);
    let records: Vec<BTreeMap<String, Value>> = serde_json::from_str(list.ok()).unwrap();
    // `heart list` is what `heart` lists.
    let bare = env.run(&[
        "heart",
        "--from",
        "2024-03-01",
        "--to",
        "2024-06-03",
        "--format",
        "json",
    ]);
    assert_eq!(bare.ok(), list.stdout);
    assert_eq!(records.len(), 2, "{records:?}");
    // The sandbox's two ECGs: the BPM Core's (with blood pressure) at 500 Hz for 20 s, worn
    // on the left arm (3); the ScanWatch's at 300 Hz for 30 s, on the left wrist (1).
    for r in &records {
        let id = r["signal_id"].as_i64().unwrap().to_string();
        let bpm = r["systolic_mmhg"].is_i64();
        let (hz, seconds, position) = if bpm {
            (500, 20, "left_arm")
        } else {
            (300, 30, "left_wrist")
        };
        let json = env.run(&["heart", "get", &id, "--format", "json"]);
        let csv = env.run(&["heart", "get", &id, "--format", "csv"]);
        assert_eq!(csv_header(csv.ok()), HEART_SIGNAL);
        let rows = same_values(json.ok(), &csv.stdout);
        assert_eq!(rows.len(), hz * seconds, "signal {id}");
        // The samples are the body's `signal`, in order, as Withings sent them.
        let raw = env.run(&[
            "raw",
            "v2/heart",
            "get",
            &format!("signalid={id}"),
            "--format",
            "json",
        ]);
        let body: Value = serde_json::from_str(raw.ok()).unwrap();
        let signal: Vec<i64> = body["signal"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        let values: Vec<i64> = rows
            .iter()
            .map(|r| r["value_uv"].as_i64().unwrap())
            .collect();
        assert_eq!(values, signal, "signal {id}");
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(row["index"], i as i64);
            assert_eq!(row["signal_id"], r["signal_id"]);
            assert_eq!(row["sampling_hz"], hz as i64);
            assert_eq!(row["heart_rate"], r["heart_rate"], "as heart list says");
            assert_eq!(row["model"], r["model"], "as heart list says");
            assert_eq!(text(row, "wear_position"), position);
        }

        let table = env.run(&["heart", "get", &id]);
        let (header, cells) = table_cells(table.ok());
        assert_eq!(
            header,
            [
                "signal_id",
                "samples",
                "sampling_hz",
                "duration",
                "heart_rate",
                "wear_position",
                "model"
            ]
        );
        assert_eq!(cells.len(), 1, "{}", table.stdout);
        let row = &cells[0];
        assert_eq!(row[0], id);
        assert_eq!(row[1], (hz * seconds).to_string());
        assert_eq!(row[2], hz.to_string());
        assert_eq!(row[3], format!("{seconds}s"));
        assert_eq!(row[5], position);
    }

    env.run(&["heart", "get", "12345"])
        .fails(6, "invalid signalid");
    env.run(&["heart", "get", "twelve"]).fails(2, "twelve");
    env.run(&["heart", "get", "1", "--since", "7d"])
        .fails(2, "--since");
}

const STETHO_SIGNAL: &[&str] = &[
    "signal_id",
    "index",
    "value",
    "frequency_hz",
    "format",
    "resolution",
    "channels",
    "position",
    "vhd",
    "model",
];

/// The sandbox's BPM Core records heart sounds with its ECG: one recording in the demo
/// window, 2 s at 250 Hz, under the cuff on the left arm.
#[test]
fn stetho_list_and_get_show_the_bpm_cores_recording() {
    let env = Env::new();
    env.login();
    let window = ["--from", "2024-03-01", "--to", "2024-06-03"];
    let rows = all_formats(
        &env,
        &[&["stetho", "list"][..], &window].concat(),
        &["taken_at", "timezone", "signal_id", "vhd", "device_hash"],
    );
    let sent = calls_of(&env, "/v2/stetho", "list");
    assert_eq!(sent.len(), 3, "one call per format: {sent:?}");
    // 2024-03-01T00:00:00Z to 2024-06-03T23:59:59Z (TZ=UTC in the tests).
    assert_eq!(sent[0].get("startdate"), Some("1709251200"));
    assert_eq!(sent[0].get("enddate"), Some("1717459199"));

    // The recording is the one taken with the BPM Core's ECG (the one with blood pressure).
    let heart = env.run(&[&["heart", "list"][..], &window, &["--format", "json"]].concat());
    let ecgs: Vec<BTreeMap<String, Value>> = serde_json::from_str(heart.ok()).unwrap();
    let ecg = ecgs.iter().find(|r| r["systolic_mmhg"].is_i64()).unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let r = &rows[0];
    let id = r["signal_id"].as_i64().unwrap();
    assert_eq!(id, ecg["signal_id"].as_i64().unwrap() + 10_000_000);
    // Taken with the ECG, shown in the zone the record names (Paris, summer time).
    let instant = |v: &Value| v.as_str().unwrap().parse::<jiff::Timestamp>().unwrap();
    assert_eq!(instant(&r["taken_at"]), instant(&ecg["taken_at"]));
    assert!(text(r, "taken_at").ends_with("+02:00"), "{r:?}");
    assert_eq!(r["vhd"], 0);
    assert_eq!(
        text(r, "device_hash"),
        "1234abcd5678ef901234abcd5678ef901234abcd"
    );
    // The table shows the same recording.
    let table = env.run(&[&["stetho", "list"][..], &window].concat());
    let (header, cells) = table_cells(table.ok());
    let at = header.iter().position(|h| h == "signal_id").unwrap();
    assert_eq!(cells.len(), 1, "{}", table.stdout);
    assert_eq!(cells[0][at], id.to_string());
    // A window without it: no records.
    let empty = env.run(&[
        "stetho",
        "list",
        "--from",
        "2024-03-01",
        "--to",
        "2024-05-01",
    ]);
    assert_eq!(
        empty.ok().lines().next(),
        Some("(no records in this window)")
    );

    // Its signal: every sample in json and csv, a summary in the table.
    let id = id.to_string();
    let json = run_as(&env, &["stetho", "get", &id], "json");
    let csv = run_as(&env, &["stetho", "get", &id], "csv");
    assert_eq!(csv_header(csv.ok()), STETHO_SIGNAL);
    let samples = same_values(json.ok(), &csv.stdout);
    assert_eq!(samples.len(), 500);
    let raw = env.run(&[
        "raw",
        "v2/stetho",
        "get",
        &format!("signalid={id}"),
        "--format",
        "json",
    ]);
    let body: Value = serde_json::from_str(raw.ok()).unwrap();
    let signal = body["signal"].as_array().unwrap();
    assert_eq!(signal.len(), 500);
    for (i, (row, v)) in samples.iter().zip(signal).enumerate() {
        assert_eq!(row["index"], i as i64);
        assert_eq!(&row["value"], v, "sample {i}");
        assert_eq!(row["signal_id"].to_string(), id);
        assert_eq!(row["frequency_hz"], 250);
        assert_eq!(row["channels"], 1);
        assert_eq!(text(row, "position"), "left_arm");
        assert_eq!(text(row, "model"), "bpm_core");
    }
    let table = env.run(&["stetho", "get", &id]);
    let (header, cells) = table_cells(table.ok());
    assert_eq!(
        header,
        [
            "signal_id",
            "samples",
            "frequency_hz",
            "duration",
            "position",
            "vhd",
            "model"
        ]
    );
    assert_eq!(cells.len(), 1, "{}", table.stdout);
    assert_eq!(
        cells[0],
        [id.as_str(), "500", "250", "2s", "left_arm", "0", "bpm_core"]
    );
    let get = calls_of(&env, "/v2/stetho", "get");
    assert!(get.iter().all(|c| c.get("signalid") == Some(id.as_str())));

    // An id that names no recording: the ECG's own one.
    let ecg_id = ecg["signal_id"].to_string();
    env.run(&["stetho", "get", &ecg_id])
        .fails(6, "invalid signalid");
    let get = calls_of(&env, "/v2/stetho", "get");
    assert_eq!(get.last().unwrap().get("signalid"), Some(ecg_id.as_str()));
    env.run(&["stetho", "get", "forty-two"])
        .fails(2, "forty-two");
}

#[test]
fn confirmuser_says_whose_a_group_is() {
    let env = Env::new();
    env.login();
    let meas = env.run(&[
        "meas",
        "--types",
        "weight",
        "--from",
        "2024-06-01",
        "--to",
        "2024-06-03",
        "--format",
        "json",
    ]);
    let rows: Vec<BTreeMap<String, Value>> = serde_json::from_str(meas.ok()).unwrap();
    let grpid = rows[0]["grpid"].as_i64().unwrap().to_string();

    let json = env.run(&["confirmuser", &grpid, "--confirm", "--format", "json"]);
    assert_eq!(
        json.ok(),
        format!("[\n  {{\"action\":\"confirmed\",\"grpid\":{grpid},\"is_confirmed\":true}}\n]\n")
    );
    let csv = env.run(&["confirmuser", &grpid, "--reject", "--format", "csv"]);
    assert_eq!(
        csv.ok(),
        format!("action,grpid,is_confirmed\nrejected,{grpid},false\n")
    );
    let table = env.run(&["confirmuser", &grpid, "--confirm"]);
    let (header, cells) = table_cells(table.ok());
    assert_eq!(header, ["action", "grpid", "is_confirmed"]);
    assert_eq!(cells, [["confirmed", grpid.as_str(), "true"]]);
    let sent = calls_of(&env, "/v2/measure", "confirmuser");
    let answers: Vec<(Option<&str>, Option<&str>)> = sent
        .iter()
        .map(|c| (c.get("grpid"), c.get("is_confirmed")))
        .collect();
    let g = Some(grpid.as_str());
    assert_eq!(
        answers,
        [(g, Some("true")), (g, Some("false")), (g, Some("true"))]
    );

    // No answer, or both: refused before anything is sent.
    let before = env.sandbox.calls().len();
    env.run(&["confirmuser", &grpid]).fails(2, "--confirm");
    env.run(&["confirmuser", &grpid, "--confirm", "--reject"])
        .fails(2, "cannot be used with");
    assert_eq!(env.sandbox.calls().len(), before);
    env.run(&["confirmuser", "1", "--confirm"])
        .fails(6, "invalid grpid");
}

#[test]
fn notify_get_and_update_one_subscription() {
    let env = Env::new();
    env.login();
    let url = "https://example.org/withings/notify?a=1,2";
    env.run(&[
        "notify",
        "subscribe",
        "--callback-url",
        url,
        "--appli",
        "weight",
        "--comment",
        "scale",
    ])
    .ok();

    let get = ["notify", "get", "--callback-url", url, "--appli", "weight"];
    let rows = all_formats(
        &env,
        &get,
        &["appli", "appli_code", "callback_url", "comment", "expires"],
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["appli"], "weight");
    assert_eq!(rows[0]["appli_code"], 1);
    assert_eq!(rows[0]["callback_url"], url);
    assert_eq!(rows[0]["comment"], "scale");
    // `notify get` answers no expiry.
    assert_eq!(rows[0]["expires"], Value::Null);
    // Without --appli, Withings' default (weight) is meant: no appli is sent.
    let json = env.run(&["notify", "get", "--callback-url", url, "--format", "json"]);
    let rows: Vec<Value> = serde_json::from_str(json.ok()).unwrap();
    assert_eq!(rows[0]["appli"], "weight");
    assert_eq!(
        calls_of(&env, "/notify", "get")
            .last()
            .unwrap()
            .get("appli"),
        None
    );

    // The comment, in each format.
    let update = [
        "notify",
        "update",
        "--callback-url",
        url,
        "--appli",
        "weight",
        "--comment",
        "bathroom scale",
    ];
    let csv = run_as(&env, &update, "csv");
    assert_eq!(
        csv.ok(),
        format!(
            "action,appli,callback_url,changed,to\nupdated,weight,\"{url}\",comment,bathroom scale\n"
        )
    );
    let json = run_as(&env, &update, "json");
    let rows: Vec<Value> = serde_json::from_str(json.ok()).unwrap();
    assert_eq!(rows[0]["changed"], "comment");
    assert_eq!(rows[0]["to"], "bathroom scale");
    let table = env.run(&update);
    assert!(
        table
            .ok()
            .lines()
            .nth(1)
            .unwrap()
            .contains("bathroom scale"),
        "{}",
        table.stdout
    );
    let sent = calls_of(&env, "/notify", "update");
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[0].get("comment"), Some("bathroom scale"));
    assert_eq!(sent[0].get("appli"), Some("1"));
    let json = env.run(&[
        "notify",
        "get",
        "--callback-url",
        url,
        "--appli",
        "weight",
        "--format",
        "json",
    ]);
    let rows: Vec<Value> = serde_json::from_str(json.ok()).unwrap();
    assert_eq!(rows[0]["comment"], "bathroom scale");

    // The category: the subscription moves from weight to sleep.
    env.run(&[
        "notify",
        "update",
        "--callback-url",
        url,
        "--appli",
        "weight",
        "--new-appli",
        "sleep",
    ])
    .ok();
    assert_eq!(
        calls_of(&env, "/notify", "update")
            .last()
            .unwrap()
            .get("new_appli"),
        Some("44")
    );
    env.run(&["notify", "get", "--callback-url", url, "--appli", "weight"])
        .fails(6, "status 343");
    let json = env.run(&[
        "notify",
        "get",
        "--callback-url",
        url,
        "--appli",
        "sleep",
        "--format",
        "json",
    ]);
    let rows: Vec<Value> = serde_json::from_str(json.ok()).unwrap();
    assert_eq!(rows[0]["appli"], "sleep");

    // The URL: checked as subscribe checks it, before anything is sent.
    let before = env.sandbox.calls().len();
    env.run(&[
        "notify",
        "update",
        "--callback-url",
        url,
        "--appli",
        "sleep",
        "--new-callback-url",
        "http://192.168.1.20:8123/hook",
    ])
    .fails(
        2,
        "--new-callback-url `http://192.168.1.20:8123/hook` is refused",
    );
    env.run(&[
        "notify",
        "update",
        "--callback-url",
        url,
        "--appli",
        "sleep",
    ])
    .fails(2, "--new-callback-url");
    env.run(&[
        "notify",
        "update",
        "--callback-url",
        url,
        "--appli",
        "sleep",
        "--comment",
        "a",
        "--new-appli",
        "weight",
    ])
    .fails(2, "cannot be used with");
    assert_eq!(
        env.sandbox.calls().len(),
        before,
        "a refused update was sent"
    );
    let moved = "https://example.org/withings/elsewhere";
    let csv = env.run(&[
        "notify",
        "update",
        "--callback-url",
        url,
        "--appli",
        "sleep",
        "--new-callback-url",
        moved,
        "--format",
        "csv",
    ]);
    assert_eq!(
        parse_csv(csv.ok()).1,
        [["updated", "sleep", url, "callback_url", moved]]
    );
    let json = env.run(&["notify", "list", "--format", "json"]);
    let rows: Vec<Value> = serde_json::from_str(json.ok()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["callback_url"], moved);
    assert_eq!(rows[0]["appli"], "sleep");
    // Nothing to update: Withings' status 286.
    env.run(&[
        "notify",
        "update",
        "--callback-url",
        url,
        "--appli",
        "sleep",
        "--comment",
        "x",
    ])
    .fails(6, "status 286");
}

#[test]
fn oauth2_revoke_ends_the_grant_and_removes_the_token() {
    let env = Env::new();
    for format in ["json", "csv", "table"] {
        let tokens = env.login();
        let path = env.token_path();
        let kept = std::fs::read(&path).unwrap();
        let run = run_as(&env, &["oauth2", "revoke"], format);
        run.ok();
        run.no_secret(&tokens.all());
        let shown = format!("{} (removed)", path.display());
        match format {
            "json" => {
                let rows: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
                assert_eq!(rows[0]["action"], "revoked");
                assert_eq!(rows[0]["userid"], "10203040");
                assert_eq!(rows[0]["token_file"], shown.as_str());
            }
            "csv" => assert_eq!(
                parse_csv(&run.stdout).1,
                [["revoked", "10203040", shown.as_str()]]
            ),
            _ => {
                let (header, cells) = table_cells(&run.stdout);
                assert_eq!(header, ["action", "userid", "token_file"]);
                assert_eq!(cells, [["revoked", "10203040", shown.as_str()]]);
            }
        }
        assert!(!path.exists(), "the token file is removed");
        env.run(&["devices"]).fails(3, "no token in");
        // Put back, the old tokens are refused: Withings revoked them.
        std::fs::write(&path, &kept).unwrap();
        env.run(&["devices"]).fails(3, "refused the stored token");
    }

    // Signed: without the app's credentials nothing is sent and the token stays.
    env.login();
    let mut c = crate::harness::clean_cmd(&env.dir.0);
    c.arg("--base-url")
        .arg(env.sandbox.base_url())
        .args(["oauth2", "revoke"]);
    let run = Run::from_output(c.output().unwrap());
    run.fails(5, "revoking is a signed call");
    assert!(env.token_path().exists());
    env.run(&["devices"]).ok();
}

#[test]
fn oauth2_demo_access_saves_tokens_like_a_login() {
    let env = Env::new();
    let path = env.token_path();
    let json = env.run(&["oauth2", "demo-access", "--format", "json"]);
    let rows: Vec<Value> = serde_json::from_str(json.ok()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["action"], "demo_access");
    assert_eq!(rows[0]["userid"], "10203040");
    assert_eq!(rows[0]["scope"], "user.info,user.metrics,user.activity");
    assert_eq!(rows[0]["token_file"], path.display().to_string());
    // The expiry saved with the tokens (counted by the client from `expires_in`), in UTC.
    assert_eq!(
        rows[0]["expires"],
        expires_at(&path, "UTC", "%Y-%m-%dT%H:%M:%S%:z")
    );
    let tokens = crate::harness::Tokens::read(&path);
    json.no_secret(&tokens.all());
    // The saved token works.
    env.run(&["devices"]).ok();

    let csv = env.run(&[
        "oauth2",
        "demo-access",
        "--scopes",
        "user.metrics",
        "--format",
        "csv",
    ]);
    let (header, rows) = parse_csv(csv.ok());
    assert_eq!(
        header,
        ["action", "userid", "scope", "expires", "token_file"]
    );
    assert_eq!(rows[0][2], "user.metrics");
    let renewed = crate::harness::Tokens::read(&path);
    assert_ne!(renewed.access, tokens.access, "the new tokens are saved");
    let table = env.run(&["oauth2", "demo-access", "--tz", "Europe/Paris"]);
    let (header, cells) = table_cells(table.ok());
    assert_eq!(
        header,
        ["action", "userid", "scope", "expires", "token_file"]
    );
    assert_eq!(
        cells[0][3],
        expires_at(&path, "Europe/Paris", "%Y-%m-%d %H:%M")
    );
    table.no_secret(&crate::harness::Tokens::read(&path).all());

    // Signed: credentials are needed.
    let mut c = crate::harness::clean_cmd(&env.dir.0);
    c.arg("--base-url")
        .arg(env.sandbox.base_url())
        .args(["oauth2", "demo-access"]);
    Run::from_output(c.output().unwrap()).fails(5, "demo access is a signed call");
}
