//! Differential tests: getmeas read in one pass ([`Decode::decode_one_pass`], which
//! `decode_reply` and the façade's typed path try first) gives what the wire path (`parse_reply` into the wire model, then `decode`)
//! gives, on every getmeas fixture, on the benchmarks' generated responses and on generated
//! bodies full of the quirks (repeated grpids, out-of-range units, the zone after the groups…).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../benches/support/getmeas_data.rs"]
#[allow(dead_code, unreachable_pub)]
mod getmeas_data;

use std::path::Path;

use proptest::prelude::*;
use withings_decode::measure::Measurements;
use withings_decode::{Decode, DecodeError, Reply, decode_reply};
use withings_model::PagedBody;
use withings_model::measure::GetMeasBody;

/// The wire path, as `decode_reply` took it before the one pass.
fn wire_path(bytes: &[u8]) -> Result<Reply<Measurements>, DecodeError> {
    match withings_model::parse_reply::<GetMeasBody>(bytes)? {
        Reply::Ok(body) => body.decode().map(Reply::Ok),
        Reply::Status(s) => Ok(Reply::Status(s)),
    }
}

/// The one pass's output alone.
fn decode_one_pass(bytes: &[u8]) -> Option<Measurements> {
    GetMeasBody::decode_one_pass(bytes).map(|p| p.output)
}

/// Checks both paths agree on `bytes` (the output, and `more`/`offset` with the wire body's);
/// returns whether the one pass answered.
fn same(bytes: &[u8]) -> bool {
    let wire = wire_path(bytes);
    let got = decode_reply::<GetMeasBody>(bytes);
    assert_eq!(
        got,
        wire,
        "decode_reply differs on {}",
        String::from_utf8_lossy(bytes)
    );
    let Some(page) = GetMeasBody::decode_one_pass(bytes) else {
        return false;
    };
    let Ok(Reply::Ok(body)) = withings_model::parse_reply::<GetMeasBody>(bytes) else {
        panic!(
            "the one pass answered where the wire model does not parse: {}",
            String::from_utf8_lossy(bytes)
        );
    };
    assert_eq!(
        (page.more, page.offset),
        (body.more(), body.offset()),
        "more/offset of {}",
        String::from_utf8_lossy(bytes)
    );
    let fast = page.output;
    match &wire {
        Ok(Reply::Ok(m)) => {
            assert_eq!(&fast, m, "{}", String::from_utf8_lossy(bytes));
            // `==` on a zoned time compares the instant only: the text has the zone.
            assert_eq!(
                serde_json::to_string(&fast).unwrap(),
                serde_json::to_string(m).unwrap(),
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
        other => panic!(
            "the one pass answered where the wire path gave {other:?}: {}",
            String::from_utf8_lossy(bytes)
        ),
    }
    true
}

/// Fixtures holding a quirk that only the wire model reads (a numeric `deviceid`, `model` as a
/// code, the spec's `model_id`): the one pass declines them, and the wire path answers.
const LEFT_TO_THE_WIRE_PATH: &[&str] = &["deviceid-number", "model-as-int", "model-id-spelling"];

#[test]
fn every_getmeas_fixture_decodes_the_same() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/measure-getmeas");
    let mut answered = Vec::new();
    let mut cases = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            cases += 1;
            let bytes = std::fs::read(&path).unwrap();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            // A successful response without a rejected group is the one pass's to read, but
            // for the quirks it leaves to the wire model.
            let readable =
                matches!(wire_path(&bytes), Ok(Reply::Ok(ref m)) if m.rejected.is_empty());
            let fast = same(&bytes);
            assert_eq!(
                fast,
                readable && !LEFT_TO_THE_WIRE_PATH.contains(&name.as_str()),
                "{name}: one pass answered: {fast}"
            );
            if fast {
                answered.push(name);
            }
        }
    }
    assert!(cases >= 20, "{cases} fixtures found in {}", dir.display());
    for expected in [
        "normal",
        "bom-before-json",
        "duplicate-grpid-attrib-0-and-8",
        "updatetime-string",
        "missing-created-and-attrib",
        "manual-entry-nulls",
    ] {
        assert!(
            answered.iter().any(|n| n == expected),
            "{expected} not read in one pass: {answered:?}"
        );
    }
}

#[test]
fn the_benchmark_response_decodes_the_same_in_one_pass() {
    let data = getmeas_data::generate(3_000);
    assert!(same(data.as_bytes()), "the one pass declined");
    let m = decode_one_pass(data.as_bytes()).unwrap();
    assert_eq!(m.groups.len(), 3_000);
    assert_eq!(
        m.groups[0].local().time_zone().iana_name(),
        Some("Europe/Berlin")
    );
}

#[test]
fn a_zone_after_the_groups_and_a_non_monotonic_order() {
    let g = |id: i64, attrib: i64, v: i64| {
        format!(
            r#"{{"grpid":{id},"attrib":{attrib},"date":1717429800,"category":1,"measures":[{{"value":{v},"type":1,"unit":-3}}]}}"#
        )
    };
    let json = format!(
        r#"{{"status":0,"body":{{"measuregrps":[{},{},{},{},{}],"more":1,"offset":5,"updatetime":"1717430000","timezone":"America\/New_York"}}}}"#,
        g(5, 8, 1),
        g(3, 0, 1),
        g(9, 0, 1),
        g(5, 0, 2),
        g(3, 0, 1)
    );
    assert!(same(json.as_bytes()));
    let m = decode_one_pass(json.as_bytes()).unwrap();
    assert_eq!(
        m.groups.iter().map(|g| g.grpid()).collect::<Vec<_>>(),
        [5, 3, 9]
    );
    assert_eq!(m.groups[0].measures().len(), 2);
    assert_eq!(
        m.groups[0].local().to_string(),
        "2024-06-03T11:50:00-04:00[America/New_York]"
    );
    // The one pass declines what the wire path must read (status, body before status,
    // duplicate fields, a bad `more`), and both paths still agree.
    for other in [
        r#"{"status":401,"error":"invalid token"}"#.to_owned(),
        r#"{"body":{"updatetime":1,"timezone":"UTC","measuregrps":[]},"status":0}"#.to_owned(),
        r#"{"status":0,"body":{"updatetime":1,"timezone":"UTC","timezone":"UTC","measuregrps":[]}}"#.to_owned(),
        r#"{"status":0,"body":{"updatetime":1,"timezone":"UTC","measuregrps":[],"more":7}}"#.to_owned(),
        r#"{"status":0,"body":{"updatetime":1,"timezone":"Mars\/Olympus","measuregrps":[]}}"#.to_owned(),
    ] {
        assert!(!same(other.as_bytes()), "{other}");
    }
}

/// The shapes the one pass reads itself (escaped names and ids, unknown keys, `null`s) and
/// the ones it leaves to the wire path (a value of another type than the wire field's, a
/// repeated key, a measure as an array, a control character in an id): both paths agree.
#[test]
fn what_the_one_pass_reads_and_what_it_declines() {
    let body = |group: &str| {
        format!(
            r#"{{"status":0,"body":{{"updatetime":1717430000,"timezone":"UTC","measuregrps":[{group}]}}}}"#
        )
    };
    let m = r#"{"value":78250,"type":1,"unit":-3}"#;
    let read = [
        format!(r#"{{"grpid":1,"date":1717429800,"category":1,"measures":[{m}]}}"#),
        format!(
            r#"{{"gr\u0070id":1,"date":1717429800,"category":"1","deviceid":"a\/b","hash_deviceid":"é","measures":[{m}],"extra":{{"x":[1]}}}}"#
        ),
        r#"{"grpid":1,"attrib":null,"date":1717429800,"created":"1717429900","modified":null,"category":1,"deviceid":null,"measures":[{"value":1,"type":"6","unit":0,"algo":null,"fm":3,"position":null}],"modelid":null,"model":"","comment":"x","probability":null}"#.to_owned(),
    ];
    for group in read {
        let json = body(&group);
        assert!(same(json.as_bytes()), "declined: {json}");
    }
    let declined = [
        format!(r#"{{"grpid":1,"date":1717429800,"category":1,"model":13,"measures":[{m}]}}"#),
        format!(r#"{{"grpid":1,"date":1717429800,"category":1,"deviceid":12,"measures":[{m}]}}"#),
        format!(r#"{{"grpid":1,"date":1717429800,"category":1,"model_id":4,"measures":[{m}]}}"#),
        format!(r#"{{"grpid":1,"grpid":2,"date":1717429800,"category":1,"measures":[{m}]}}"#),
        format!(r#"{{"grpid":1,"date":1717429800,"category":1,"deviceid":"a\u0001","measures":[{m}]}}"#),
        r#"{"grpid":1,"date":1717429800,"category":1,"measures":[[78250,1,-3]]}"#.to_owned(),
        r#"{"grpid":1,"date":1717429800,"category":1,"measures":[{"value":1,"type":1,"unit":0,"algo":1.5}]}"#.to_owned(),
        r#"{"grpid":1,"date":1717429800,"category":1,"measures":[{"value":1,"type":1,"unit":0,"fm":"3"}]}"#.to_owned(),
        r#"{"grpid":1,"date":1717429800,"category":1,"measures":[{"value":1,"value":2,"type":1,"unit":0}]}"#.to_owned(),
        r#"{"grpid":1,"date":1717429800,"category":1,"measures":[{"value":1,"type":1,"unit":0,"position":18446744073709551615}]}"#.to_owned(),
        r#"{"grpid":1,"date":1717429800,"category":1,"comment":7,"measures":[]}"#.to_owned(),
    ];
    for group in declined {
        let json = body(&group);
        assert!(!same(json.as_bytes()), "answered: {json}");
    }
}

fn group() -> impl Strategy<Value = String> {
    let measure = (
        -100_000i64..100_000,
        prop::sample::select(vec![1i64, 4, 6, 11, 130, 173, 999]),
        prop_oneof![9 => -5i64..=2, 1 => prop::sample::select(vec![-66i64, -65, -64, 64, 65])],
        prop::option::of(prop::sample::select(vec![7i64, 10, 11])),
    )
        .prop_map(|(value, kind, unit, position)| {
            let position = position.map_or(String::new(), |p| format!(r#","position":{p}"#));
            format!(r#"{{"value":{value},"type":{kind},"unit":{unit}{position}}}"#)
        });
    (
        1i64..8,
        prop::option::of(prop::sample::select(vec![0i64, 1, 2, 8, 10000])),
        prop_oneof![19 => 1_600_000_000i64..1_800_000_000, 1 => Just(99_999_999_999_999i64)],
        prop::option::of(prop::sample::select(vec![
            r#""0a1b""#,
            "14546187",
            "null",
            r#""x\/y""#,
        ])),
        prop::sample::select(vec![
            r#","modelid":10,"model":"Body Scan""#,
            r#","model_id":13,"model":13"#,
            r#","modelid":null,"model":null,"comment":null"#,
            "",
        ]),
        prop::collection::vec(measure, 0..4),
        any::<bool>(),
    )
        .prop_map(|(id, attrib, date, device, model, measures, created)| {
            let attrib = attrib.map_or(String::new(), |a| format!(r#","attrib":{a}"#));
            let device = device.map_or(String::new(), |d| {
                format!(r#","deviceid":{d},"hash_deviceid":{d}"#)
            });
            let created = if created {
                format!(r#","created":"{date}","modified":{date}"#)
            } else {
                String::new()
            };
            format!(
                r#"{{"grpid":{id}{attrib},"date":{date}{created},"category":1{device},"measures":[{}]{model}}}"#,
                measures.join(",")
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn generated_bodies_decode_the_same(
        groups in prop::collection::vec(group(), 0..8),
        zone in prop::sample::select(vec!["Europe\\/Berlin", "UTC", "Asia/Kolkata", "Nowhere/Else"]),
        zone_last in any::<bool>(),
        tail in prop::sample::select(vec!["", r#","more":0"#, r#","more":false,"offset":3"#, r#","more":"x""#]),
    ) {
        let groups = groups.join(",");
        let body = if zone_last {
            format!(r#"{{"updatetime":1717430000,"measuregrps":[{groups}]{tail},"timezone":"{zone}"}}"#)
        } else {
            format!(r#"{{"updatetime":1717430000,"timezone":"{zone}","measuregrps":[{groups}]{tail}}}"#)
        };
        let json = format!(r#"{{"status":0,"body":{body}}}"#);
        same(json.as_bytes());
    }
}
