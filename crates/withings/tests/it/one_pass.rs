//! The typed path reads a one-call response in one pass (getmeas, sleep get) and takes the wire
//! model where the one pass declines: whichever way, `send`, `pages` and `collect_all` give
//! what the wire path gives for the same bytes (`parse_reply`, then `Decode::decode`), and
//! paging follows each page's `more`/`offset`.

use futures_util::TryStreamExt;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};
use withings::decode::Reply;
use withings::model::measure::GetMeas;
use withings::model::sleep::GetSleep;
use withings::paging::Page;
use withings::{Decode, Endpoint, Output};

use crate::support::{catch_all, client, fixture_of, param, requests, serve_for, ts};

/// The wire path: the bytes parsed into the wire model, then decoded.
fn wire<E>(bytes: &str) -> Output<E>
where
    E: Endpoint,
    E::Body: Decode + serde::de::DeserializeOwned,
{
    match withings::model::parse_reply::<E::Body>(bytes.as_bytes()) {
        Ok(Reply::Ok(body)) => body.decode().expect("the wire path decodes"),
        other => panic!("not a success: {:?}", other.map(|_| ())),
    }
}

/// Equal values, and equal text (`==` on a zoned time compares the instant only; the text
/// also has the zone).
fn assert_same<T: PartialEq + std::fmt::Debug + serde::Serialize>(got: &T, want: &T, what: &str) {
    assert_eq!(got, want, "{what}");
    assert_eq!(
        serde_json::to_string(got).unwrap(),
        serde_json::to_string(want).unwrap(),
        "{what}"
    );
}

#[tokio::test]
async fn send_getmeas_gives_the_wire_paths_measurements_whether_read_in_one_pass_or_not() {
    // Read in one pass; a numeric deviceid and a group to reject are left to the wire model.
    for case in [
        "normal",
        "more-int-with-offset",
        "manual-entry-nulls",
        "deviceid-number",
        "one-bad-group-among-good",
    ] {
        let body = fixture_of::<GetMeas>(case);
        let server = serve_for::<GetMeas>(body.clone(), 1).await;
        let got = client(&server).send(&GetMeas::new()).await.unwrap();
        assert_same(&got, &wire::<GetMeas>(&body), case);
        // What the fixture holds, written down before the code ran.
        match case {
            "normal" => {
                assert_eq!(got.groups[0].measures()[0].value().to_string(), "78.25");
                assert_eq!(got.timezone, "Europe/Berlin");
            }
            "deviceid-number" => {
                assert_eq!(got.groups[0].device_id(), Some("99990001"));
            }
            "one-bad-group-among-good" => {
                assert_eq!(got.groups.len(), 2, "{case}");
                assert_eq!(got.rejected.len(), 1, "{case}");
                assert_eq!(got.rejected[0].path, "body.measuregrps[1]");
            }
            _ => assert!(!got.groups.is_empty(), "{case}"),
        }
    }
}

/// `{"status":0,"body":…}` of a getmeas page holding `groups`, then `tail` (`more`, `offset`).
fn page(groups: &[String], tail: &str) -> String {
    format!(
        r#"{{"status":0,"body":{{"updatetime":1717430000,"timezone":"Europe\/Berlin","measuregrps":[{}]{tail}}}}}"#,
        groups.join(",")
    )
}

/// A weight group: `grpid`, `grams` at `date`, from `device` (JSON: a string, a number…).
fn weight(grpid: i64, date: i64, grams: i64, device: &str) -> String {
    format!(
        r#"{{"grpid":{grpid},"attrib":0,"date":{date},"created":{date},"category":1,"deviceid":{device},"measures":[{{"value":{grams},"type":1,"unit":-3}}]}}"#
    )
}

/// Three pages: read in one pass (more 1, offset 10); a numeric `deviceid`, which only the
/// wire model reads (more true, offset 20); a group without `date`, rejected by the wire path
/// (the last page).
fn three_pages() -> [String; 3] {
    let device = r#""0a1b""#;
    [
        page(
            &[
                weight(1, 1_717_000_000, 78_250, device),
                weight(2, 1_717_100_000, 78_100, device),
            ],
            r#","more":1,"offset":10"#,
        ),
        page(
            &[weight(3, 1_717_200_000, 77_900, "99990001")],
            r#","more":true,"offset":20"#,
        ),
        page(
            &[
                r#"{"grpid":4,"attrib":0,"category":1,"measures":[{"value":1,"type":1,"unit":0}]}"#
                    .to_owned(),
                weight(5, 1_717_300_000, 77_800, device),
            ],
            r#","more":0"#,
        ),
    ]
}

/// Serves the pages by their `offset` (none, 10, 20), each `times` times.
async fn serve_pages(pages: &[String; 3], times: u64) -> MockServer {
    let server = MockServer::start().await;
    for (offset, body) in [None, Some("10"), Some("20")].into_iter().zip(pages) {
        Mock::given(method("POST"))
            .and(path(GetMeas::SERVICE.path()))
            .and(move |r: &Request| param(r, "offset").as_deref() == offset)
            .respond_with(ResponseTemplate::new(200).set_body_string(body.clone()))
            .named(format!("getmeas offset={offset:?}"))
            .expect(times)
            .mount(&server)
            .await;
    }
    catch_all(&server).await;
    server
}

#[tokio::test]
async fn pages_and_collect_all_follow_more_and_offset_through_pages_read_either_way() {
    let pages = three_pages();
    let server = serve_pages(&pages, 2).await;
    let c = client(&server);

    let got: Vec<_> = c.pages(GetMeas::new()).try_collect().await.unwrap();
    assert_eq!(got.len(), 3);
    for (n, (got, body)) in got.iter().zip(&pages).enumerate() {
        assert_same(got, &wire::<GetMeas>(body), &format!("page {}", n + 1));
    }

    let all = c.collect_all(GetMeas::new()).await.unwrap();
    let mut want = wire::<GetMeas>(&pages[0]);
    for (n, body) in pages.iter().enumerate().skip(1) {
        let mut next = wire::<GetMeas>(body);
        next.number_rejected(n + 1);
        want.merge(next);
    }
    assert_same(&all, &want, "collect_all");
    assert_eq!(
        all.groups.iter().map(|g| g.grpid()).collect::<Vec<_>>(),
        [1, 2, 3, 5]
    );
    assert_eq!(all.groups[2].device_id(), Some("99990001"));
    assert_eq!(
        all.rejected
            .iter()
            .map(|r| (r.path.as_str(), r.response))
            .collect::<Vec<_>>(),
        [("body.measuregrps[0]", Some(3))]
    );

    let offsets: Vec<_> = requests(&server)
        .await
        .iter()
        .map(|r| param(r, "offset"))
        .collect();
    let once = [None, Some("10".to_owned()), Some("20".to_owned())];
    assert_eq!(offsets, [once.clone(), once].concat());
}

#[tokio::test]
async fn send_sleep_get_in_one_call_gives_the_wire_paths_segments() {
    // 12 hours: one call. `normal` is read in one pass; a segment to reject is not.
    let request = GetSleep::new().between(ts(1_717_365_600), ts(1_717_408_800));
    assert_eq!(request.calls().unwrap().len(), 1);
    for case in ["normal", "hrv-mvt-series", "one-bad-segment-among-good"] {
        let body = fixture_of::<GetSleep>(case);
        let server = serve_for::<GetSleep>(body.clone(), 1).await;
        let got = client(&server).send(&request).await.unwrap();
        assert_same(&got, &wire::<GetSleep>(&body), case);
        assert!(!got.segments.is_empty(), "{case}");
        assert_eq!(
            got.rejected.len(),
            usize::from(case == "one-bad-segment-among-good"),
            "{case}"
        );
    }
}
