//! The flags of issue 12: `meas --category`, `--data-fields`, `--updated-since`, and the full
//! intraday columns, in table, json and csv; refused values send nothing.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use withings_sandbox::{RecordedCall, SystemClock};

use crate::data::{ACTIVITY, INTRADAY, MEAS, SLEEP, SLEEP_SUMMARY, WORKOUTS, all_formats, text};
use crate::harness::{Env, parse_csv};

/// The sandbox's last call to `path` with `action`.
fn last_call(env: &Env, path: &str, action: &str) -> RecordedCall {
    env.sandbox
        .calls()
        .into_iter()
        .rev()
        .find(|c| c.path == path && c.get("action") == Some(action))
        .unwrap_or_else(|| panic!("no {path} {action} call"))
}

fn json_rows(env: &Env, args: &[&str]) -> Vec<BTreeMap<String, Value>> {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    serde_json::from_str(env.run(&a).ok()).unwrap()
}

fn grpids(rows: &[BTreeMap<String, Value>]) -> BTreeSet<i64> {
    rows.iter().map(|r| r["grpid"].as_i64().unwrap()).collect()
}

/// 2024-06-01T00:00:00Z: `--updated-since 2024-06-01` with `TZ=UTC`.
const JUNE_1: &str = "1717200000";

#[test]
fn meas_lists_real_measures_unless_asked_for_objectives() {
    let env = Env::new();
    env.login();
    // The sandbox's weight objective (75 kg) was typed in 60 days before its clock, on
    // 4 April in the evening.
    let window = ["--from", "2024-04-01", "--to", "2024-04-10"];
    let args = |category: Option<&'static str>| -> Vec<&'static str> {
        let mut a = vec!["meas"];
        if let Some(c) = category {
            a.extend(["--category", c]);
        }
        a.extend(window);
        a
    };

    let real = all_formats(&env, &args(None), MEAS);
    assert_eq!(
        last_call(&env, "/measure", "getmeas").get("category"),
        Some("1")
    );
    assert!(real.len() > 30, "{}", real.len());
    assert!(real.iter().all(|r| r["category"] == "real"));
    assert_eq!(
        json_rows(&env, &args(Some("real"))),
        real,
        "real is the default"
    );

    let objectives = all_formats(&env, &args(Some("objective")), MEAS);
    assert_eq!(
        last_call(&env, "/measure", "getmeas").get("category"),
        Some("2")
    );
    assert_eq!(objectives.len(), 1, "{objectives:?}");
    assert_eq!(objectives[0]["category"], "objective");
    assert_eq!(objectives[0]["type"], "weight");
    assert_eq!(objectives[0]["value"], "75");
    assert_eq!(objectives[0]["unit"], "kg");

    let all = all_formats(&env, &args(Some("all")), MEAS);
    assert_eq!(last_call(&env, "/measure", "getmeas").get("category"), None);
    assert_eq!(all.len(), real.len() + 1);
    assert_eq!(grpids(&all), &grpids(&real) | &grpids(&objectives));

    let before = env.sandbox.calls().len();
    let mut bad = args(Some("goals"));
    bad.extend(["--format", "json"]);
    env.run(&bad)
        .fails(2, "unknown category `goals`: use real, objective or all");
    assert_eq!(
        env.sandbox.calls().len(),
        before,
        "a refused flag sent a call"
    );
}

#[test]
fn data_fields_narrow_what_is_asked_and_unknown_names_send_nothing() {
    let env = Env::new();
    env.login();

    let rows = all_formats(
        &env,
        &[
            "activity",
            "--data-fields",
            "steps,distance",
            "--from",
            "2024-05-27",
            "--to",
            "2024-06-03",
        ],
        ACTIVITY,
    );
    let call = last_call(&env, "/v2/measure", "getactivity");
    assert_eq!(call.get("data_fields"), Some("steps,distance"));
    assert_eq!(rows.len(), 8);
    for r in &rows {
        assert!(r["steps"].is_i64() && r["distance_m"].is_number(), "{r:?}");
        assert!(
            r["calories"].is_null() && r["hr_average"].is_null(),
            "{r:?}"
        );
    }

    let rows = all_formats(
        &env,
        &[
            "intraday",
            "--data-fields",
            "heart_rate",
            "--from",
            "2024-06-02T08:00:00Z",
            "--to",
            "2024-06-02T12:00:00Z",
        ],
        INTRADAY,
    );
    let call = last_call(&env, "/v2/measure", "getintradayactivity");
    assert_eq!(call.get("data_fields"), Some("heart_rate"));
    // One sample per 10 minutes, each with a heart rate and nothing else.
    assert_eq!(rows.len(), 24, "{rows:?}");
    for r in &rows {
        assert!(r["heart_rate"].is_i64(), "{r:?}");
        assert!(r["steps"].is_null() && r["duration_s"].is_null(), "{r:?}");
    }

    let rows = all_formats(
        &env,
        &[
            "workouts",
            "--data-fields",
            "calories",
            "--from",
            "2024-03-05",
            "--to",
            "2024-06-03",
        ],
        WORKOUTS,
    );
    assert_eq!(
        last_call(&env, "/v2/measure", "getworkouts").get("data_fields"),
        Some("calories")
    );
    assert!(rows.len() > 3);
    assert!(
        rows.iter()
            .all(|r| r["steps"].is_null() && r["hr_average"].is_null())
    );
    assert!(rows.iter().any(|r| r["calories"].is_number()));

    let rows = all_formats(
        &env,
        &[
            "sleep",
            "--data-fields",
            "hr",
            "--from",
            "2024-06-02T12:00:00Z",
            "--to",
            "2024-06-03T12:00:00Z",
        ],
        SLEEP,
    );
    assert_eq!(
        last_call(&env, "/v2/sleep", "get").get("data_fields"),
        Some("hr")
    );
    assert!(rows.len() > 3);
    assert!(
        rows.iter()
            .all(|r| r["rr_min"].is_null() && r["rr_max"].is_null())
    );
    assert!(rows.iter().any(|r| r["hr_min"].is_i64()));

    let rows = all_formats(
        &env,
        &[
            "sleep-summary",
            "--data-fields",
            "total_timeinbed,deepsleepduration",
            "--from",
            "2024-05-27",
            "--to",
            "2024-06-03",
        ],
        SLEEP_SUMMARY,
    );
    assert_eq!(
        last_call(&env, "/v2/sleep", "getsummary").get("data_fields"),
        Some("total_timeinbed,deepsleepduration")
    );
    assert!(rows.len() >= 7);
    for r in &rows {
        assert!(r["in_bed_s"].is_i64() && r["deep_s"].is_i64(), "{r:?}");
        assert!(r["light_s"].is_null() && r["wakeups"].is_null(), "{r:?}");
    }

    // Names as the API spells them, in any case; an unknown one is refused with the list.
    let before = env.sandbox.calls().len();
    for (command, action, field, valid) in [
        (
            "activity",
            "getactivity",
            "steps",
            "steps, distance, elevation",
        ),
        (
            "intraday",
            "getintradayactivity",
            "steps",
            "spo2_auto, rmssd, sdnn1",
        ),
        ("workouts", "getworkouts", "calories", "calories, intensity"),
        ("sleep", "sleep get", "hr", "hr, rr"),
        (
            "sleep-summary",
            "sleep getsummary",
            "total_timeinbed",
            "total_timeinbed",
        ),
    ] {
        let fields = format!("{field},bogus");
        env.run(&[command, "--data-fields", &fields, "--since", "2d"])
            .fails(
                2,
                &format!("unknown data field `bogus` for {action}: the valid ones are "),
            );
        let run = env.run(&[command, "--data-fields", "bogus"]);
        assert!(run.stderr.contains(valid), "{command}: {}", run.stderr);
    }
    assert_eq!(
        env.sandbox.calls().len(),
        before,
        "a refused flag sent a call"
    );
    env.run(&["activity", "--data-fields", "STEPS", "--since", "2d"])
        .ok();
    assert_eq!(
        last_call(&env, "/v2/measure", "getactivity").get("data_fields"),
        Some("steps")
    );
}

#[test]
fn updated_since_sends_lastupdate_instead_of_a_window() {
    let env = Env::new();
    env.login();

    let rows = all_formats(&env, &["meas", "--updated-since", "2024-06-01"], MEAS);
    let call = last_call(&env, "/measure", "getmeas");
    assert_eq!(call.get("lastupdate"), Some(JUNE_1));
    assert_eq!((call.get("startdate"), call.get("enddate")), (None, None));
    // Every group of the sandbox was stored within minutes of being taken: what changed
    // since June 1st is what was taken since.
    let taken = json_rows(&env, &["meas", "--from", "2024-06-01T00:00:00Z"]);
    assert!(!rows.is_empty());
    assert_eq!(grpids(&rows), grpids(&taken));

    // Days are stored after they end: 31 May was last modified before 02:00 Paris time
    // on 1 June (00:00 UTC), so what changed since is 1, 2 and 3 June.
    let rows = all_formats(
        &env,
        &["activity", "--updated-since", "2024-06-01"],
        ACTIVITY,
    );
    let call = last_call(&env, "/v2/measure", "getactivity");
    assert_eq!(call.get("lastupdate"), Some(JUNE_1));
    assert_eq!(call.get("startdateymd"), None);
    let dates: Vec<&str> = rows.iter().map(|r| text(r, "date")).collect();
    assert_eq!(dates, ["2024-06-01", "2024-06-02", "2024-06-03"]);

    let rows = all_formats(
        &env,
        &["workouts", "--updated-since", "2024-05-20T00:00:00Z"],
        WORKOUTS,
    );
    assert_eq!(
        last_call(&env, "/v2/measure", "getworkouts").get("lastupdate"),
        Some("1716163200")
    );
    let dated = json_rows(
        &env,
        &["workouts", "--from", "2024-05-20", "--to", "2024-06-03"],
    );
    let ids = |rows: &[BTreeMap<String, Value>]| -> BTreeSet<i64> {
        rows.iter().map(|r| r["id"].as_i64().unwrap()).collect()
    };
    assert!(!rows.is_empty());
    assert_eq!(ids(&rows), ids(&dated));

    let rows = all_formats(
        &env,
        &["sleep-summary", "--updated-since", "2024-06-01"],
        SLEEP_SUMMARY,
    );
    let call = last_call(&env, "/v2/sleep", "getsummary");
    assert_eq!(call.get("lastupdate"), Some(JUNE_1));
    assert_eq!(call.get("startdateymd"), None);
    assert!((2..=3).contains(&rows.len()), "{rows:?}");

    // A window and --updated-since are one or the other; a bad value sends nothing.
    let before = env.sandbox.calls().len();
    env.run(&["meas", "--updated-since", "2024-06-01", "--since", "7d"])
        .fails(2, "cannot be used with");
    env.run(&[
        "activity",
        "--updated-since",
        "2024-06-01",
        "--from",
        "2024-05-01",
    ])
    .fails(2, "cannot be used with");
    env.run(&["workouts", "--updated-since", "last week"])
        .fails(2, "is neither a date or time");
    assert_eq!(env.sandbox.calls().len(), before);
}

#[test]
fn updated_since_takes_an_age_counted_back_from_now() {
    let env = Env::with(|b| b.clock(SystemClock).rate_limit(false));
    env.login();
    let run = env.run(&[
        "meas",
        "--types",
        "weight",
        "--updated-since",
        "7d",
        "--format",
        "csv",
    ]);
    let (_, rows) = parse_csv(run.ok());
    assert!((3..=10).contains(&rows.len()), "{} weigh-ins", rows.len());
    let call = last_call(&env, "/measure", "getmeas");
    let lastupdate: i64 = call.get("lastupdate").unwrap().parse().unwrap();
    assert_eq!(call.get("startdate"), None);
    // The same instant as the start of `--since 7d`, counted back from the same clock.
    env.run(&[
        "meas", "--types", "weight", "--since", "7d", "--format", "csv",
    ])
    .ok();
    let since = last_call(&env, "/measure", "getmeas");
    let start: i64 = since.get("startdate").unwrap().parse().unwrap();
    assert!(
        (0..=60).contains(&(start - lastupdate)),
        "lastupdate {lastupdate}, startdate {start}"
    );
}

#[test]
fn intraday_has_every_column_and_the_table_shows_those_with_values() {
    let env = Env::new();
    env.login();
    // 00:00–04:00 in Paris: the watch records SpO2, HRV and breathing at night.
    let night = all_formats(
        &env,
        &[
            "intraday",
            "--from",
            "2024-06-02T22:00:00Z",
            "--to",
            "2024-06-03T02:00:00Z",
        ],
        INTRADAY,
    );
    let call = last_call(&env, "/v2/measure", "getintradayactivity");
    let asked: BTreeSet<&str> = call.get("data_fields").unwrap().split(',').collect();
    for f in [
        "spo2_auto",
        "rmssd",
        "sdnn1",
        "hrv_quality",
        "core_body_temperature",
        "rr",
        "chest_movement_rate",
    ] {
        assert!(asked.contains(f), "{f} not asked: {asked:?}");
    }
    assert_eq!(night.len(), 24);
    for r in &night {
        let spo2 = r["spo2_auto"].as_f64().unwrap();
        assert!((94.0..=99.0).contains(&spo2), "{r:?}");
        assert!((25.0..=70.0).contains(&r["rmssd_ms"].as_f64().unwrap()));
        assert!((35.0..=80.0).contains(&r["sdnn1_ms"].as_f64().unwrap()));
        assert!((1..=4).contains(&r["hrv_quality"].as_i64().unwrap()));
        assert!((12..=16).contains(&r["rr"].as_i64().unwrap()));
        assert!((12..=16).contains(&r["chest_movement_rate"].as_i64().unwrap()));
        // The sandbox's watch has no core-temperature sensor.
        assert!(r["core_body_temperature_c"].is_null());
    }
    let table = env.run(&[
        "intraday",
        "--from",
        "2024-06-02T22:00:00Z",
        "--to",
        "2024-06-03T02:00:00Z",
    ]);
    let header: Vec<&str> = table
        .ok()
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    for shown in [
        "spo2_auto",
        "rmssd_ms",
        "sdnn1_ms",
        "hrv_quality",
        "rr",
        "chest_movement_rate",
    ] {
        assert!(header.contains(&shown), "{shown} hidden: {header:?}");
    }
    assert!(!header.contains(&"core_body_temperature_c"), "{header:?}");

    // 10:00–14:00 in Paris: none of the night readings; the table leaves their columns out,
    // csv keeps them empty.
    let day = [
        "intraday",
        "--from",
        "2024-06-02T08:00:00Z",
        "--to",
        "2024-06-02T12:00:00Z",
    ];
    let table = env.run(&day);
    let header: Vec<&str> = table
        .ok()
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        [
            "time",
            "duration",
            "steps",
            "calories",
            "distance_m",
            "heart_rate"
        ]
    );
    let mut csv = day.to_vec();
    csv.extend(["--format", "csv"]);
    let (header, rows) = parse_csv(env.run(&csv).ok());
    assert_eq!(header, INTRADAY);
    let spo2 = header.iter().position(|h| h == "spo2_auto").unwrap();
    assert!(rows.iter().all(|r| r[spo2].is_empty()));
}
