//! `/v2/stetho`: the BPM Core records heart sounds with each of its ECGs.

use serde_json::Value;
use withings_decode::{Reply, decode_reply};
use withings_model::heart::HeartList;
use withings_model::stetho::{StethoGet, StethoGetBody, StethoList, StethoListBody};

use crate::harness::{Harness, NOW};

const DAY: i64 = 86_400;
const BPM_CORE: &str = "1234abcd5678ef901234abcd5678ef901234abcd";

/// The demo window's two ECGs from `heart list`: the BPM Core's (with blood pressure), then
/// the watch's.
async fn ecgs(h: &Harness, t: &str) -> (Value, Value) {
    let quarter = (NOW - 90 * DAY).to_string();
    let list = h
        .call_to::<HeartList>(t, &[("startdate", &quarter)])
        .await
        .json();
    let series = list["body"]["series"].as_array().unwrap();
    assert_eq!(series.len(), 2, "{list}");
    let (bpm, watch): (Vec<&Value>, Vec<&Value>) =
        series.iter().partition(|r| r["bloodpressure"].is_object());
    assert_eq!((bpm.len(), watch.len()), (1, 1), "{list}");
    (bpm[0].clone(), watch[0].clone())
}

async fn list(h: &Harness, t: &str, params: &[(&str, &str)]) -> Value {
    let resp = h.call_to::<StethoList>(t, params).await;
    assert_eq!(resp.status_code(), 0, "{}", resp.text());
    let Ok(Reply::Ok(_)) = decode_reply::<StethoListBody>(&resp.body) else {
        panic!("does not decode: {}", resp.text())
    };
    resp.json()["body"].clone()
}

#[tokio::test]
async fn list_gives_the_bpm_cores_recordings_in_the_window() {
    let h = Harness::start().await;
    let (t, _) = h.login().await;
    let (ecg, _) = ecgs(&h, &t).await;
    let at = ecg["timestamp"].as_i64().unwrap();
    let ecg_id = ecg["ecg"]["signalid"].as_i64().unwrap();

    let quarter = (NOW - 90 * DAY).to_string();
    let now = NOW.to_string();
    let body = list(&h, &t, &[("startdate", &quarter), ("enddate", &now)]).await;
    let series = body["series"].as_array().unwrap();
    assert_eq!(series.len(), 1, "{body}");
    let rec = &series[0];
    assert_eq!(rec["hash_deviceid"], BPM_CORE);
    assert_eq!(rec["signalid"], ecg_id + 10_000_000);
    assert_eq!(rec["timestamp"], at, "taken with the ECG");
    assert_eq!(rec["timezone"], "Europe/Paris");
    assert_eq!(rec["vhd"], 0);
    assert_eq!(body["more"], false);
    assert_eq!(body["offset"], 1);

    // The window bounds are inclusive; outside it, nothing.
    let (on, after, before) = (at.to_string(), (at + 1).to_string(), (at - 1).to_string());
    let exact = list(&h, &t, &[("startdate", &on), ("enddate", &on)]).await;
    assert_eq!(exact["series"].as_array().unwrap().len(), 1);
    let later = list(&h, &t, &[("startdate", &after), ("enddate", &now)]).await;
    assert!(later["series"].as_array().unwrap().is_empty(), "{later}");
    let earlier = list(&h, &t, &[("startdate", &quarter), ("enddate", &before)]).await;
    assert!(
        earlier["series"].as_array().unwrap().is_empty(),
        "{earlier}"
    );
    // Paging by offset: past the only record, an empty last page.
    let next = list(&h, &t, &[("startdate", &quarter), ("offset", "1")]).await;
    assert!(next["series"].as_array().unwrap().is_empty(), "{next}");
    assert_eq!(next["more"], false);
}

#[tokio::test]
async fn every_record_of_the_history_pages_and_is_the_bpm_cores() {
    let h = Harness::with(|b| b.page_size(1)).await;
    let (t, _) = h.login().await;
    let inventory = h.sandbox.inventory();
    let mut offset = 0;
    let mut ids = Vec::new();
    loop {
        let o = offset.to_string();
        let body = list(&h, &t, &[("offset", &o)]).await;
        let series = body["series"].as_array().unwrap();
        assert!(series.len() <= 1, "{body}");
        for r in series {
            assert_eq!(r["hash_deviceid"], BPM_CORE);
            ids.push(r["signalid"].as_i64().unwrap());
        }
        if body["more"] == false {
            break;
        }
        offset = body["offset"].as_i64().unwrap();
    }
    // The BPM Core's ECGs only: fewer than all of them, at least the demo window's one.
    assert!(!ids.is_empty() && ids.len() < inventory.ecgs, "{ids:?}");
    assert!(ids.iter().all(|id| (180_000_000..190_000_000).contains(id)));
}

#[tokio::test]
async fn get_serves_a_body_the_model_and_decoder_read() {
    let h = Harness::start().await;
    let (t, _) = h.login().await;
    let (ecg, _) = ecgs(&h, &t).await;
    let id = (ecg["ecg"]["signalid"].as_i64().unwrap() + 10_000_000).to_string();

    let resp = h.call_to::<StethoGet>(&t, &[("signalid", &id)]).await;
    assert_eq!(resp.status_code(), 0, "{}", resp.text());
    let Ok(Reply::Ok(signal)) = decode_reply::<StethoGetBody>(&resp.body) else {
        panic!("does not decode: {}", resp.text())
    };
    assert_eq!(signal.samples.len(), 500);
    assert_eq!(signal.frequency_hz, Some(250));
    assert_eq!(signal.duration, Some(jiff::SignedDuration::from_secs(2)));
    assert_eq!(signal.reported_duration, Some(2));
    assert_eq!(signal.size, Some(500));
    assert_eq!(signal.channels, Some(1));
    assert_eq!(signal.position.map(|p| p.code()), Some(3), "left arm");
    assert_eq!(signal.vhd, Some(0));
    assert!(signal.samples.iter().all(|c| (0..=255).contains(c)));
    // Heart sounds, not silence: A-law codes of both signs and of several segments.
    let distinct: std::collections::BTreeSet<i64> = signal.samples.iter().copied().collect();
    assert!(distinct.len() > 20, "{distinct:?}");
    let body = resp.json()["body"].clone();
    assert_eq!(body["model"], 44, "the BPM Core");
    assert_eq!(body["format"], 1);
    assert_eq!(body["resolution"], 8);
    // The same bytes again (after the 10 s in which Withings refuses a repeated call).
    h.advance(11);
    let again = h.call_to::<StethoGet>(&t, &[("signalid", &id)]).await;
    assert_eq!(again.body, resp.body);
}

#[tokio::test]
async fn get_refuses_an_id_that_names_no_recording() {
    let h = Harness::start().await;
    let (t, _) = h.login().await;
    let (ecg, watch) = ecgs(&h, &t).await;
    let ecg_id = ecg["ecg"]["signalid"].as_i64().unwrap();
    let watch = watch["ecg"]["signalid"].as_i64().unwrap();
    for id in [
        // The ECG's own id, the watch's ECG shifted like a recording, unknown ones.
        ecg_id,
        watch + 10_000_000,
        ecg_id + 10_000_002,
        12_345,
        -1,
        i64::MIN,
    ] {
        let resp = h
            .call_to::<StethoGet>(&t, &[("signalid", &id.to_string())])
            .await;
        assert_eq!(resp.status_code(), 503, "{id}: {}", resp.text());
        assert!(resp.text().contains("invalid signalid"), "{}", resp.text());
    }
    let missing = h.call_to::<StethoGet>(&t, &[]).await;
    assert_ne!(missing.status_code(), 0, "{}", missing.text());
}
