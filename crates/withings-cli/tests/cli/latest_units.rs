//! `withings latest` and `--units metric|imperial`, in table, json and csv; the expected
//! values (the latest of each type, pounds, inches, miles) are worked out here by hand from
//! the metric output, not by the library under test.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::data::{ACTIVITY, INTRADAY, MEAS, WORKOUTS, all_formats, text};
use crate::harness::Env;

type Row = BTreeMap<String, Value>;

const LATEST: &[&str] = &[
    "type",
    "position",
    "value",
    "unit",
    "taken_at",
    "timezone",
    "model",
    "device_id",
    "type_code",
    "grpid",
    "attrib",
    "exact",
];

/// The 30 days before the sandbox's clock.
const WINDOW: [&str; 4] = ["--from", "2024-05-04", "--to", "2024-06-03"];

fn json_rows(env: &Env, args: &[&str]) -> Vec<Row> {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    serde_json::from_str(env.run(&a).ok()).unwrap()
}

fn with_window<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut a = args.to_vec();
    a.extend(WINDOW);
    a
}

/// `(type, position)`: the key of a latest value.
fn key(r: &Row) -> (String, String) {
    (
        text(r, "type").to_owned(),
        r["position"].as_str().unwrap_or("").to_owned(),
    )
}

/// A decimal text as an integer count of `10^-digits` (`"172.5"`, 2 → 17250); the text must
/// not have more digits than that.
fn scaled(s: &str, digits: u32) -> i128 {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    assert!(
        frac.len() <= digits as usize,
        "{s} has more than {digits} digits"
    );
    let negative = int.starts_with('-');
    let mut v: i128 = format!("{}{frac}", int.trim_start_matches('-'))
        .parse()
        .unwrap();
    for _ in frac.len()..digits as usize {
        v *= 10;
    }
    if negative { -v } else { v }
}

/// `s` (a decimal text) as `(mantissa, digits after the point)`.
fn parts(s: &str) -> (i128, u32) {
    let digits = s.split_once('.').map_or(0, |(_, f)| f.len() as u32);
    (scaled(s, digits), digits)
}

/// `num / den` rounded half away from zero.
fn round_div(num: i128, den: i128) -> i128 {
    let q = num / den;
    let r = num % den;
    if 2 * r.abs() >= den.abs() {
        q + num.signum() * den.signum()
    } else {
        q
    }
}

/// Hundredths of a pound in `kg` (1 lb = 0.45359237 kg exactly), rounded half away from zero.
fn pound_hundredths(kg: &str) -> i128 {
    let (m, d) = parts(kg);
    // kg / 0.45359237 × 100 = m × 10^10 / (45359237 × 10^d)
    round_div(m * 10i128.pow(10), 45_359_237 * 10i128.pow(d))
}

/// Whether `kg` in pounds is a finite decimal with at most two digits (then it is exact).
fn pounds_exact(kg: &str) -> bool {
    let (m, d) = parts(kg);
    (m * 10i128.pow(10)) % (45_359_237 * 10i128.pow(d)) == 0
}

#[test]
fn latest_gives_the_newest_own_value_of_each_type() {
    let env = Env::new();
    env.login();
    let latest = all_formats(&env, &with_window(&["latest"]), LATEST);
    assert_eq!(
        crate::harness::calls_of(&env, "/measure", "getmeas")
            .last()
            .unwrap()
            .get("category"),
        Some("1"),
        "only real measures are asked for"
    );

    // By hand: every real measure of the window; the user's own groups (not attrib 1, nor
    // one without an attrib); per (type, position) the latest taken, a larger grpid first on
    // a tie. Every time of the window is in Paris summer time, so the texts compare as
    // instants.
    let meas = json_rows(&env, &with_window(&["meas", "--category", "real"]));
    let mut expected: BTreeMap<(String, String), &Row> = BTreeMap::new();
    let mut ambiguous = 0;
    for r in &meas {
        if matches!(r["attrib"].as_str(), None | Some("device_ambiguous")) {
            ambiguous += 1;
            continue;
        }
        let better = |held: &&Row| {
            (text(r, "taken_at"), r["grpid"].as_i64())
                > (text(held, "taken_at"), held["grpid"].as_i64())
        };
        match expected.get(&key(r)) {
            Some(held) if !better(held) => {}
            _ => {
                expected.insert(key(r), r);
            }
        }
    }
    assert!(
        ambiguous > 0,
        "the window has an ambiguous weigh-in to skip"
    );
    let got: BTreeMap<(String, String), &Row> = latest.iter().map(|r| (key(r), r)).collect();
    assert_eq!(got.len(), latest.len(), "one row per type and position");
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (k, want) in &expected {
        let row = got[k];
        for field in [
            "value",
            "unit",
            "taken_at",
            "grpid",
            "attrib",
            "model",
            "device_id",
        ] {
            assert_eq!(row[field], want[field], "{k:?} {field}");
        }
        assert_eq!(row["exact"], true);
        assert_eq!(row["type_code"], want["type_code"]);
    }
    // Rows by type code, then position code (API notes §7.3: right arm 2, left arm 3, left
    // leg 10, right leg 11, torso 12).
    let position_code = |p: &str| match p {
        "" => -1,
        "right_arm" => 2,
        "left_arm" => 3,
        "left_leg" => 10,
        "right_leg" => 11,
        "torso" => 12,
        other => panic!("position {other} not in this test's table"),
    };
    let codes: Vec<(i64, i64)> = latest
        .iter()
        .map(|r| (r["type_code"].as_i64().unwrap(), position_code(&key(r).1)))
        .collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(codes, sorted);
    assert!(
        codes.iter().any(|&(_, p)| p >= 0),
        "the window has a Body Scan weigh-in with segmental measures"
    );

    // The table shows the position only when some row has one.
    let types = ["latest", "--types", "weight,fat_ratio"];
    let table = env.run(&with_window(&types));
    let header: Vec<&str> = table
        .ok()
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(header, ["type", "value", "unit", "taken_at", "model"]);
    assert_eq!(table.stdout.lines().count(), 3, "{}", table.stdout);
    let weight = &got[&("weight".to_owned(), String::new())];
    let line = table.stdout.lines().nth(1).unwrap();
    assert!(
        line.starts_with("weight") && line.contains(text(weight, "value")),
        "{line}"
    );

    // Only the groups that may be someone else's.
    let only = json_rows(&env, &with_window(&["latest", "--ambiguous", "only"]));
    assert!(!only.is_empty());
    assert!(
        only.iter().all(|r| r["attrib"] == "device_ambiguous"),
        "{only:?}"
    );
    let included = json_rows(&env, &with_window(&["latest", "--ambiguous", "include"]));
    let newest_weight = meas
        .iter()
        .filter(|r| r["type"] == "weight")
        .map(|r| text(r, "taken_at"))
        .max()
        .unwrap();
    let w = included.iter().find(|r| r["type"] == "weight").unwrap();
    assert_eq!(text(w, "taken_at"), newest_weight);

    let before = env.sandbox.calls().len();
    env.run(&["latest", "--ambiguous", "maybe"])
        .fails(2, "unknown policy `maybe`: use skip, include or only");
    assert_eq!(env.sandbox.calls().len(), before);
}

#[test]
fn imperial_units_show_pounds_and_inches_rounded_and_say_so() {
    let env = Env::new();
    env.login();
    // Metric is the default and the API's own units.
    let metric = json_rows(&env, &with_window(&["meas"]));
    assert_eq!(
        json_rows(&env, &with_window(&["meas", "--units", "metric"])),
        metric
    );
    let imperial = all_formats(&env, &with_window(&["meas", "--units", "imperial"]), MEAS);
    assert_eq!(imperial.len(), metric.len());
    let mut pounds = 0;
    for (m, i) in metric.iter().zip(&imperial) {
        assert_eq!(
            (m["grpid"].clone(), m["type"].clone()),
            (i["grpid"].clone(), i["type"].clone())
        );
        match text(m, "unit") {
            "kg" => {
                pounds += 1;
                assert_eq!(i["unit"], "lb");
                let kg = text(m, "value");
                let lb = text(i, "value");
                assert_eq!(
                    scaled(lb, 2),
                    pound_hundredths(kg),
                    "{kg} kg is not {lb} lb"
                );
                assert_eq!(i["exact"], pounds_exact(kg), "{kg} kg");
            }
            "m" => {
                assert_eq!(i["unit"], "in");
                // m / 0.0254 = m × 10000 / 254
                let (v, d) = parts(text(m, "value"));
                let want = round_div(v * 10i128.pow(4) * 100, 254 * 10i128.pow(d));
                assert_eq!(scaled(text(i, "value"), 2), want);
            }
            // %, bpm, mmHg, m/s, scores: as sent.
            other => {
                assert_eq!(i["unit"], other);
                assert_eq!(i["value"], m["value"]);
                assert_eq!(i["exact"], true);
            }
        }
    }
    assert!(pounds > 20, "{pounds} masses");
    // A worked example, written out: 78.25 kg = 172.5118… lb.
    assert_eq!(pound_hundredths("78.25"), 17251);
    assert_eq!(pound_hundredths("75"), 16535);

    // `latest` converts the same way.
    let latest = json_rows(&env, &with_window(&["latest", "--types", "weight,height"]));
    let latest_lb = all_formats(
        &env,
        &with_window(&["latest", "--types", "weight,height", "--units", "imperial"]),
        LATEST,
    );
    assert_eq!(latest.len(), latest_lb.len());
    let kg = latest.iter().find(|r| r["type"] == "weight").unwrap();
    let lb = latest_lb.iter().find(|r| r["type"] == "weight").unwrap();
    assert_eq!(lb["unit"], "lb");
    assert_eq!(lb["grpid"], kg["grpid"]);
    assert_eq!(
        scaled(text(lb, "value"), 2),
        pound_hundredths(text(kg, "value"))
    );
    let table = env.run(&with_window(&[
        "latest", "--types", "weight", "--units", "imperial",
    ]));
    let line = table.ok().lines().nth(1).unwrap().to_owned();
    assert!(line.contains(" lb"), "{line}");

    // The goal weight, and distances in miles.
    let goals = json_rows(&env, &["goals"]);
    let goals_lb = all_formats(
        &env,
        &["goals", "--units", "imperial"],
        &["steps", "sleep_s", "weight_lb"],
    );
    assert_eq!(
        scaled(text(&goals_lb[0], "weight_lb"), 2),
        pound_hundredths(text(&goals[0], "weight_kg"))
    );
    // Every command with a distance: the same rows, `distance_mi` for `distance_m`.
    for (args, columns) in [
        (
            &["activity", "--from", "2024-05-27", "--to", "2024-06-03"][..],
            ACTIVITY,
        ),
        (
            &["workouts", "--from", "2024-05-04", "--to", "2024-06-03"][..],
            WORKOUTS,
        ),
        (
            &[
                "intraday",
                "--from",
                "2024-06-02T08:00:00Z",
                "--to",
                "2024-06-02T12:00:00Z",
            ][..],
            INTRADAY,
        ),
    ] {
        let metric = json_rows(&env, args);
        let miles: Vec<&str> = columns
            .iter()
            .map(|c| match *c {
                "distance_m" => "distance_mi",
                "core_body_temperature_c" => "core_body_temperature_f",
                other => other,
            })
            .collect();
        let mut imperial_args = args.to_vec();
        imperial_args.extend(["--units", "imperial"]);
        let imperial = all_formats(&env, &imperial_args, &miles);
        assert_eq!(imperial.len(), metric.len(), "{args:?}");
        let mut converted = 0;
        for (m, i) in metric.iter().zip(&imperial) {
            if m["distance_m"].is_null() {
                assert!(i["distance_mi"].is_null());
                continue;
            }
            converted += 1;
            let metres = m["distance_m"].to_string();
            // m / 1609.344 in thousandths = m × 10^6 / (1609344 × 10^d)
            let (v, digits) = parts(&metres);
            let want = round_div(v * 10i128.pow(6), 1_609_344 * 10i128.pow(digits));
            assert_eq!(
                scaled(text(i, "distance_mi"), 3),
                want,
                "{args:?}: {metres} m"
            );
        }
        assert!(converted > 0, "{args:?}: no distance to convert");
    }
    // Written out: 10 km = 6.2137… mi.
    assert_eq!(round_div(10_000 * 10i128.pow(6), 1_609_344), 6214);

    let before = env.sandbox.calls().len();
    env.run(&["meas", "--units", "furlongs"])
        .fails(2, "unknown unit system `furlongs`: use metric or imperial");
    assert_eq!(env.sandbox.calls().len(), before);
}
