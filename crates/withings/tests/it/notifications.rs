//! Notification bodies (`fixtures/notify-callback/*.form`): parsing, the fetch plan of every
//! appli, de-duplication keys, and running a plan against the server.

use wiremock::MockServer;
use withings::model::measure::GetMeas;
use withings::model::sleep::{GetSleep, GetSleepSummary};
use withings::notification::{Delivery, Fetch, FetchPlan, UserAction};
use withings::{Appli, Endpoint, Error, Service};

use crate::support::{
    assert_form, catch_all, client, fixture_of, fixtures_root, mount_for, requests,
};

fn form_fixture(case: &str) -> Vec<u8> {
    let p = fixtures_root()
        .join("notify-callback")
        .join(format!("{case}.form"));
    let mut bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    while bytes.last().is_some_and(u8::is_ascii_whitespace) {
        bytes.pop();
    }
    bytes
}

fn parse(case: &str) -> Delivery {
    Delivery::parse(&form_fixture(case)).unwrap_or_else(|e| panic!("{case}: {e}"))
}

/// The requests of a plan, in the order [`Client::fetch`](withings::Client::fetch) sends
/// them.
fn fetch_of(plan: &FetchPlan) -> &Fetch {
    let FetchPlan::Fetch(fetch) = plan else {
        panic!("expected requests, got {plan:?}")
    };
    fetch
}

/// One planned request: its service and its form, `action` included, as (key, value) pairs.
fn planned<E: Endpoint>(req: &E) -> (Service, Vec<(String, String)>) {
    let form = req
        .form()
        .pairs()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    (E::SERVICE, form)
}

/// The services and forms of a plan's requests, in the order they are sent.
fn calls(plan: &FetchPlan) -> Vec<(Service, Vec<(String, String)>)> {
    let f = fetch_of(plan);
    [
        f.getmeas.as_ref().map(planned),
        f.getactivity.as_ref().map(planned),
        f.getintradayactivity.as_ref().map(planned),
        f.getworkouts.as_ref().map(planned),
        f.sleep_getsummary.as_ref().map(planned),
        f.sleep_get.as_ref().map(planned),
        f.heart_list.as_ref().map(planned),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The forms of a plan's requests, `action` included, as (key, value) text pairs.
fn forms(plan: &FetchPlan) -> Vec<Vec<(String, String)>> {
    calls(plan).into_iter().map(|(_, form)| form).collect()
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn every_callback_fixture_parses_like_decode_notification() {
    let dir = fixtures_root().join("notify-callback");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let Some(case) = name.strip_suffix(".form") else {
            continue;
        };
        let bytes = form_fixture(case);
        let direct = withings::decode::notify::decode_notification(&bytes);
        match (Delivery::parse(&bytes), direct) {
            (Ok(n), Ok(event)) => assert_eq!(n.into_event(), event, "{case}"),
            (Err(e), Err(direct)) => {
                assert!(matches!(e, Error::Notification { .. }), "{case}: {e:?}");
                assert_eq!(e.json_path(), Some(direct.path()), "{case}");
                assert!(e.to_string().contains(direct.path()), "{case}: {e}");
            }
            (got, direct) => panic!("{case}: {got:?} but decode_notification gives {direct:?}"),
        }
        n += 1;
    }
    assert!(n >= 15, "only {n} callback fixtures");
}

#[test]
fn measure_applis_plan_getmeas_with_their_types_over_the_window() {
    let cases = [
        (
            "appli_2_temperature",
            "12,71,73",
            "1717400000",
            "1717400001",
        ),
        (
            "appli_4_blood_pressure",
            "9,10,11,54",
            "1717420000",
            "1717420001",
        ),
    ];
    for (case, types, start, end) in cases {
        let plan = parse(case).fetch_plan();
        assert_eq!(
            forms(&plan),
            vec![pairs(&[
                ("action", "getmeas"),
                ("meastypes", types),
                ("startdate", start),
                ("enddate", end)
            ])],
            "{case}"
        );
    }
    // Weight: every type, since one weigh-in brings many (heart rate 11, vascular age 155,
    // nerve score 196, water 168/169, visceral fat 170, segmental 173–175, BMR 226, metabolic
    // age 227, ESC 229): no filter.
    let plan = parse("appli_1_weight").fetch_plan();
    assert_eq!(
        forms(&plan),
        vec![pairs(&[
            ("action", "getmeas"),
            ("startdate", "1717429800"),
            ("enddate", "1717429801")
        ])]
    );
    // Glucose: the measure type is not documented reliably, so no filter.
    let plan = parse("appli_58_glucose").fetch_plan();
    assert_eq!(
        forms(&plan),
        vec![pairs(&[
            ("action", "getmeas"),
            ("startdate", "1717410000"),
            ("enddate", "1717410001")
        ])]
    );
}

#[test]
fn activity_with_a_date_plans_that_day() {
    let plan = parse("appli_16_activity_date").fetch_plan();
    let f = forms(&plan);
    assert_eq!(f.len(), 3);
    assert_eq!(
        f[0],
        pairs(&[
            ("action", "getactivity"),
            ("startdateymd", "2024-06-03"),
            ("enddateymd", "2024-06-03")
        ])
    );
    // Every instant that is 2024-06-03 somewhere: 2024-06-02T10:00Z to 2024-06-04T12:00Z.
    assert_eq!(
        f[1],
        pairs(&[
            ("action", "getintradayactivity"),
            ("startdate", "1717322400"),
            ("enddate", "1717502400")
        ])
    );
    assert_eq!(
        f[2],
        pairs(&[
            ("action", "getworkouts"),
            ("startdateymd", "2024-06-03"),
            ("enddateymd", "2024-06-03")
        ])
    );
}

#[test]
fn activity_with_a_range_widens_the_days_by_one_each_side() {
    let n = Delivery::parse(b"userid=10203040&appli=16&startdate=1717372800&enddate=1717376400")
        .unwrap();
    let f = forms(&n.fetch_plan());
    assert_eq!(
        f[0][1..],
        pairs(&[("startdateymd", "2024-06-02"), ("enddateymd", "2024-06-04")])
    );
    assert_eq!(
        f[1][1..],
        pairs(&[("startdate", "1717372800"), ("enddate", "1717376400")])
    );
    assert_eq!(f[2][0].1, "getworkouts");
}

#[test]
fn sleep_plans_getsummary_then_get() {
    let plan = parse("appli_44_sleep").fetch_plan();
    assert_eq!(
        forms(&plan),
        vec![
            pairs(&[
                ("action", "getsummary"),
                ("startdateymd", "2024-06-01"),
                ("enddateymd", "2024-06-04")
            ]),
            pairs(&[
                ("action", "get"),
                ("startdate", "1717364400"),
                ("enddate", "1717393800")
            ]),
        ]
    );
    let only_date = Delivery::parse(b"userid=1&appli=44&date=2024-06-03").unwrap();
    assert_eq!(
        forms(&only_date.fetch_plan()),
        vec![pairs(&[
            ("action", "getsummary"),
            ("startdateymd", "2024-06-03"),
            ("enddateymd", "2024-06-03")
        ])]
    );
}

#[test]
fn ecg_plans_heart_list() {
    let plan = parse("appli_54_ecg").fetch_plan();
    assert_eq!(
        forms(&plan),
        vec![
            pairs(&[
                ("action", "getmeas"),
                ("meastypes", "130,135,136,137,138,139"),
                ("startdate", "1717330000"),
                ("enddate", "1717330030")
            ]),
            pairs(&[
                ("action", "list"),
                ("startdate", "1717330000"),
                ("enddate", "1717330030")
            ])
        ]
    );
    assert_eq!(calls(&plan)[1].0, Service::Heart);
    assert!(fetch_of(&plan).heart_list.is_some());
}

#[test]
fn events_without_data_plan_nothing() {
    assert_eq!(
        parse("appli_46_user_unlink").fetch_plan(),
        FetchPlan::UserChanged(Some(UserAction::Unlink))
    );
    for (case, appli) in [
        ("appli_50_bed_in_epoch_date", Appli::BedIn),
        ("appli_51_bed_out", Appli::BedOut),
        ("appli_52_inflate_done", Appli::InflateDone),
        ("appli_53_no_account", Appli::NoAccount),
        ("appli_55_ecg_failed", Appli::EcgFailed),
    ] {
        assert_eq!(
            parse(case).fetch_plan(),
            FetchPlan::Nothing(appli),
            "{case}"
        );
    }
    assert_eq!(
        parse("unknown_appli_99").fetch_plan(),
        FetchPlan::Unknown(Some(Appli::from_code(99)))
    );
    assert_eq!(
        Delivery::parse(b"userid=1").unwrap().fetch_plan(),
        FetchPlan::Unknown(None)
    );
    assert_eq!(
        Delivery::parse(b"userid=1&appli=1").unwrap().fetch_plan(),
        FetchPlan::MissingWindow(Appli::Weight)
    );
}

#[test]
fn retried_deliveries_share_a_dedup_key() {
    let a = parse("appli_1_weight");
    let b = parse("unknown_keys"); // the same notification with a stray `foo=bar`
    assert_eq!(a.dedup_key(), b.dedup_key());
    let user = a.user_id().expect("userid");
    assert_eq!(
        a.dedup_key().to_string(),
        format!("{user}/1/1717429800/1717429801/-/-/-")
    );
    assert_eq!(a.appli(), Some(Appli::Weight));
    assert_ne!(a.dedup_key(), parse("appli_2_temperature").dedup_key());
    let no_account = parse("appli_53_no_account");
    let device = no_account.event().device_id.clone().expect("deviceid");
    assert_eq!(
        no_account.dedup_key().to_string(),
        format!("-/53/-/-/-/{device}/-")
    );
    let day = parse("appli_16_activity_date");
    assert_eq!(
        day.dedup_key().to_string(),
        format!("{user}/16/-/-/2024-06-03/-/-")
    );
}

#[tokio::test]
async fn a_weight_notification_fetches_getmeas_through_the_client() {
    let server = MockServer::start().await;
    mount_for::<GetMeas>(&server, fixture_of::<GetMeas>("normal"), 1).await;
    catch_all(&server).await;
    let c = client(&server);
    let plan = parse("appli_1_weight").fetch_plan();
    let got = c.fetch(fetch_of(&plan)).await.unwrap();
    let meas = got.measures.expect("measures");
    assert!(!meas.groups.is_empty());
    assert!(got.activity.is_none() && got.sleep.is_none() && got.heart.is_none());
    let rs = requests(&server).await;
    assert_form(
        &rs[0],
        &[
            ("action", "getmeas"),
            ("startdate", "1717429800"),
            ("enddate", "1717429801"),
        ],
    );
}

#[tokio::test]
async fn a_sleep_notification_fetches_summaries_and_segments_through_the_client() {
    let server = MockServer::start().await;
    mount_for::<GetSleepSummary>(&server, fixture_of::<GetSleepSummary>("normal"), 1).await;
    mount_for::<GetSleep>(&server, fixture_of::<GetSleep>("normal"), 1).await;
    catch_all(&server).await;
    let c = client(&server);
    let plan = parse("appli_44_sleep").fetch_plan();
    let got = c.fetch(fetch_of(&plan)).await.unwrap();
    assert!(matches!(&got.sleep_summaries, Some(n) if !n.is_empty()));
    assert!(matches!(&got.sleep, Some(s) if !s.segments.is_empty()));
    assert!(got.measures.is_none() && got.heart.is_none());
    // The summaries are asked first, then the segments.
    let actions: Vec<_> = requests(&server)
        .await
        .iter()
        .map(|r| crate::support::param(r, "action"))
        .collect();
    assert_eq!(
        actions,
        [GetSleepSummary::ACTION, GetSleep::ACTION].map(|a| Some(a.to_owned()))
    );
    server.verify().await;
}
