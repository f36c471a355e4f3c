//! Pagination over three pages for every paged endpoint (`more` as an integer and as a
//! boolean), the stop on an offset that does not advance, and resuming after a failed page.

use std::time::Duration;

use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};
use withings::decode::measure::Measurements;
use withings::jiff::civil::date;
use withings::model::activity::GetActivity;
use withings::model::heart::HeartList;
use withings::model::measure::GetMeas;
use withings::model::sleep::GetSleepSummary;
use withings::model::stetho::StethoList;
use withings::model::workout::GetWorkouts;
use withings::paging::Page;
use withings::{Client, DateWindow, Endpoint, Error, Interrupted, Output, Paged as _};

use crate::support::{catch_all, client, decoded, fixture, fixture_of, param, requests};

/// A paged endpoint and its fixtures: one page with `more` set, one last page.
struct Paged {
    service_path: &'static str,
    action: &'static str,
    dir: String,
    more_case: &'static str,
    last_case: &'static str,
    /// `more` and `offset` exactly as the `more_case` fixture writes them.
    native: (&'static str, i64),
    /// The other spelling of "more", for the second page.
    other_more: &'static str,
    /// The decoded items of a body of this endpoint, as JSON.
    decode: fn(&str) -> Vec<serde_json::Value>,
    /// The items of every page of the endpoint's request, as JSON, from the first page on.
    stream: StreamFn,
}

/// The items of a stream, as JSON, whatever the endpoint (its [`Interrupted`] made an
/// [`Error`]).
type JsonStream = BoxStream<'static, withings::Result<serde_json::Value>>;

/// Starts a stream of an endpoint's items, as JSON, on a client.
type StreamFn = Box<dyn Fn(&Client) -> JsonStream>;

fn items_of<B>(body: &str) -> Vec<serde_json::Value>
where
    B: withings::Decode + serde::de::DeserializeOwned,
{
    let ok = decoded::<B>(body);
    let list = if ok.is_array() {
        ok
    } else {
        ok["groups"].clone()
    };
    list.as_array().expect("items").clone()
}

impl Paged {
    /// The endpoint of `request` (its service, action and fixture folder), streamed from the
    /// first page.
    fn of<E>(
        request: E,
        more_case: &'static str,
        native: (&'static str, i64),
        other_more: &'static str,
    ) -> Self
    where
        E: withings::model::Paged,
        E::Body: withings::model::PagedBody + withings::Decode,
        Output<E>: Page + Send + 'static,
        <Output<E> as Page>::Item: serde::Serialize + Send + 'static,
    {
        Self {
            service_path: E::SERVICE.path(),
            action: E::ACTION,
            dir: E::fixture_dir(),
            more_case,
            last_case: "normal",
            native,
            other_more,
            decode: items_of::<E::Body>,
            stream: Box::new(move |c: &Client| {
                c.stream(request.clone())
                    .map_ok(|v| serde_json::to_value(v).unwrap())
                    .map_err(Error::from)
                    .boxed()
            }),
        }
    }
}

fn endpoints() -> Vec<Paged> {
    let days = DateWindow::Dates {
        start: date(2024, 5, 1),
        end: date(2024, 6, 30),
    };
    vec![
        Paged::of(GetMeas::new(), "more-int-with-offset", ("1", 300), "true"),
        Paged::of(
            GetActivity::new().window(days),
            "more_pages",
            ("true", 100),
            "1",
        ),
        Paged::of(
            GetWorkouts::new().window(days),
            "more_pages",
            ("true", 50),
            "1",
        ),
        Paged::of(
            GetSleepSummary::new().window(days),
            "more-true-with-offset",
            ("true", 300),
            "1",
        ),
        Paged::of(HeartList::new(), "more_pages", ("true", 30), "1"),
        Paged::of(StethoList::new(), "more_pages", ("true", 10), "1"),
    ]
}

impl Paged {
    /// The `more_case` body with `more`/`offset` respelled.
    fn page(&self, more: &str, offset: Option<i64>) -> String {
        let body = fixture(&self.dir, self.more_case);
        let from = format!("\"more\":{},\"offset\":{}", self.native.0, self.native.1);
        assert!(
            body.contains(&from),
            "{}/{}: no `{from}`",
            self.dir,
            self.more_case
        );
        let to = match offset {
            Some(o) => format!("\"more\":{more},\"offset\":{o}"),
            None => format!("\"more\":{more}"),
        };
        body.replace(&from, &to)
    }

    /// Serves `body` to the request of this endpoint with this `offset` (`None`: no offset).
    async fn mount(&self, server: &MockServer, offset: Option<i64>, body: String) {
        let action = self.action;
        let want = offset.map(|o| o.to_string());
        Mock::given(method("POST"))
            .and(path(self.service_path))
            .and(move |r: &Request| {
                param(r, "action").as_deref() == Some(action) && param(r, "offset") == want
            })
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .named(format!("{} {action} offset={offset:?}", self.service_path))
            .expect(1)
            .mount(server)
            .await;
    }

    /// The items of this endpoint's stream, as JSON, from the first page on.
    fn stream(&self, c: &Client) -> JsonStream {
        (self.stream)(c)
    }

    /// The decoded items of a fixture, from its snapshot.
    fn items(&self, case: &str) -> Vec<serde_json::Value> {
        (self.decode)(&fixture(&self.dir, case))
    }
}

#[tokio::test]
async fn every_paged_endpoint_streams_three_pages_with_more_as_int_and_bool() {
    for p in &endpoints() {
        let x = p.native.1;
        let server = MockServer::start().await;
        p.mount(&server, None, fixture(&p.dir, p.more_case)).await;
        p.mount(&server, Some(x), p.page(p.other_more, Some(2 * x)))
            .await;
        p.mount(&server, Some(2 * x), fixture(&p.dir, p.last_case))
            .await;
        catch_all(&server).await;

        let got: Vec<_> = p.stream(&client(&server)).try_collect().await.unwrap();
        let first = p.items(p.more_case);
        let mut want = first.clone();
        want.extend(first);
        want.extend(p.items(p.last_case));
        assert!(
            want.len() >= 3,
            "{}: too few items to tell pages apart",
            p.dir
        );
        assert_eq!(
            got, want,
            "{} {}: items of the three pages",
            p.service_path, p.action
        );

        let offsets: Vec<_> = requests(&server)
            .await
            .iter()
            .map(|r| param(r, "offset"))
            .collect();
        assert_eq!(
            offsets,
            vec![None, Some(x.to_string()), Some((2 * x).to_string())],
            "{}",
            p.dir
        );
        server.verify().await;
    }
}

#[tokio::test]
async fn a_non_advancing_offset_stops_with_a_pagination_error_after_the_items() {
    for p in &endpoints() {
        let x = p.native.1;
        let server = MockServer::start().await;
        p.mount(&server, None, fixture(&p.dir, p.more_case)).await;
        // The second page says "more" again with the offset it was asked with.
        p.mount(&server, Some(x), p.page(p.other_more, Some(x)))
            .await;
        catch_all(&server).await;

        let mut stream = p.stream(&client(&server));
        let per_page = p.items(p.more_case).len();
        for i in 0..2 * per_page {
            let item = stream.next().await;
            assert!(matches!(item, Some(Ok(_))), "{}: item {i}: {item:?}", p.dir);
        }
        match stream.next().await {
            Some(Err(Error::Pagination {
                page,
                offset,
                previous,
                action,
                ..
            })) => {
                assert_eq!(
                    (page, offset, previous, action),
                    (2, Some(x), x, p.action),
                    "{}",
                    p.dir
                );
            }
            other => panic!("{}: expected a pagination error, got {other:?}", p.dir),
        }
        assert!(
            stream.next().await.is_none(),
            "{}: the stream must end",
            p.dir
        );
        assert_eq!(requests(&server).await.len(), 2, "{}", p.dir);
        server.verify().await;
    }
}

#[tokio::test]
async fn more_without_an_offset_stops_after_the_first_page() {
    let p = &endpoints()[4];
    assert_eq!(p.action, HeartList::ACTION);
    let server = MockServer::start().await;
    p.mount(&server, None, p.page("true", None)).await;
    catch_all(&server).await;
    let c = client(&server);
    let stop = c.collect_all(HeartList::new()).await.unwrap_err();
    // Nothing to resume at, and the first page is kept.
    assert!(stop.resume.is_none(), "{stop:?}");
    assert_eq!(stop.page, 2);
    let first = p.items(p.more_case);
    let kept = serde_json::to_value(stop.fetched.as_ref().expect("the first page")).unwrap();
    assert_eq!(kept, serde_json::Value::Array(first));
    let e = Error::from(stop);
    assert!(
        matches!(
            e,
            Error::Pagination {
                page: 1,
                offset: None,
                previous: 0,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("offset (none)"), "{e}");
}

#[tokio::test]
async fn items_are_yielded_before_the_next_page_is_requested() {
    let p = &endpoints()[0];
    let x = p.native.1;
    let server = MockServer::start().await;
    p.mount(&server, None, fixture(&p.dir, p.more_case)).await;
    p.mount(&server, Some(x), fixture(&p.dir, p.last_case))
        .await;
    catch_all(&server).await;
    let c = client(&server);
    let mut stream = c.stream(GetMeas::new());
    for _ in 0..p.items(p.more_case).len() {
        stream.try_next().await.unwrap().unwrap();
    }
    assert_eq!(
        requests(&server).await.len(),
        1,
        "the second page was fetched early"
    );
    let rest: Vec<_> = stream.try_collect().await.unwrap();
    assert_eq!(rest.len(), p.items(p.last_case).len());
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn collect_all_and_pages_merge_and_split_the_same_pages() {
    let p = &endpoints()[0];
    let x = p.native.1;
    let server = MockServer::start().await;
    // Each page is asked twice: once by collect_all, once by pages().
    Mock::given(method("POST"))
        .and(path(GetMeas::SERVICE.path()))
        .and(|r: &Request| param(r, "offset").is_none())
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture(&p.dir, p.more_case)))
        .expect(2)
        .mount(&server)
        .await;
    let last = fixture(&p.dir, p.last_case);
    Mock::given(method("POST"))
        .and(path(GetMeas::SERVICE.path()))
        .and(move |r: &Request| param(r, "offset") == Some(x.to_string()))
        .respond_with(ResponseTemplate::new(200).set_body_string(last))
        .expect(2)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let c = client(&server);

    let all = c.collect_all(GetMeas::new()).await.unwrap();
    // The pages joined, except that a grpid the first page already has is merged into it
    // (API notes §12.14; the two fixtures share one group), not listed twice.
    let mut want = p.items(p.more_case);
    let grpid = |g: &serde_json::Value| g["grpid"].as_i64().unwrap();
    let known: Vec<i64> = want.iter().map(grpid).collect();
    let mut repeated = Vec::new();
    for g in p.items(p.last_case) {
        if known.contains(&grpid(&g)) {
            repeated.push(grpid(&g));
        } else {
            want.push(g);
        }
    }
    let got = serde_json::to_value(&all.groups).unwrap();
    let got = got.as_array().unwrap();
    assert_eq!(
        got.iter().map(grpid).collect::<Vec<_>>(),
        want.iter().map(grpid).collect::<Vec<_>>()
    );
    // Every group but a merged one is exactly as its page had it.
    for (g, w) in got.iter().zip(&want) {
        if !repeated.contains(&grpid(g)) {
            assert_eq!(g, w);
        }
    }
    let first =
        decoded::<<GetMeas as Endpoint>::Body>(&fixture(&p.dir, p.more_case))["timezone"].clone();
    assert_eq!(serde_json::to_value(&all.timezone).unwrap(), first);

    let pages: Vec<_> = c.pages(GetMeas::new()).try_collect().await.unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!(
        pages[0].groups.len() + pages[1].groups.len(),
        all.groups.len() + repeated.len()
    );
}

#[tokio::test]
async fn a_stream_starts_at_the_requested_offset() {
    let p = &endpoints()[1];
    assert_eq!(p.action, GetActivity::ACTION);
    let server = MockServer::start().await;
    // Asked from offset 100, a page answering offset 100 again does not advance.
    p.mount(&server, Some(100), fixture(&p.dir, p.more_case))
        .await;
    catch_all(&server).await;
    let c = client(&server);
    let days = DateWindow::Dates {
        start: date(2024, 6, 1),
        end: date(2024, 6, 3),
    };
    let mut pages = c.pages(GetActivity::new().window(days).offset(100));
    assert!(pages.try_next().await.unwrap().is_some());
    assert!(matches!(
        pages.next().await.map(|r| r.map_err(Error::from)),
        Some(Err(Error::Pagination { previous: 100, .. }))
    ));
}

/// The `grpid`s of [`five_pages`], in order: pages 1 to 4 hold one group each (`grpid` 1 to
/// 4), page 5 the `normal` fixture's three (the first renamed 5).
const FIVE_PAGES_GRPIDS: [i64; 7] = [1, 2, 3, 4, 5, 5_123_450_001, 5_123_440_042];

/// Five pages of getmeas told apart by their `grpid`s, each served exactly once at its offset
/// (none, 300, 600, 900, 1200). With `refuse_page_3`, the first request for page 3 gets a 601
/// (wait 57 s) before it.
async fn five_pages(refuse_page_3: bool) -> MockServer {
    let p = &endpoints()[0];
    assert_eq!(p.action, GetMeas::ACTION);
    let x = p.native.1;
    let server = MockServer::start().await;
    for k in 1..=5 {
        let body = if k < 5 {
            p.page("1", Some(k * x))
        } else {
            fixture(&p.dir, p.last_case)
        };
        let from = "\"grpid\":5123456789";
        assert!(body.contains(from), "page {k}");
        let body = body.replacen(from, &format!("\"grpid\":{k}"), 1);
        p.mount(&server, (k > 1).then(|| (k - 1) * x), body).await;
    }
    if refuse_page_3 {
        Mock::given(method("POST"))
            .and(path(GetMeas::SERVICE.path()))
            .and(move |r: &Request| param(r, "offset") == Some((2 * x).to_string()))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_string(fixture_of::<GetMeas>("status-601-rate-limited")),
            )
            .up_to_n_times(1)
            .with_priority(1)
            .named("getmeas page 3: a 601 the first time")
            .expect(1)
            .mount(&server)
            .await;
    }
    catch_all(&server).await;
    server
}

fn grpids(m: &Measurements) -> Vec<i64> {
    m.groups.iter().map(|g| g.grpid()).collect()
}

/// The `offset` of every request the server received, in order.
async fn offsets(server: &MockServer) -> Vec<Option<i64>> {
    requests(server)
        .await
        .iter()
        .map(|r| param(r, "offset").map(|o| o.parse().unwrap()))
        .collect()
}

/// Page 3 asked twice (the 601, then the page), every other page once.
const RESUMED_OFFSETS: [Option<i64>; 6] =
    [None, Some(300), Some(600), Some(600), Some(900), Some(1200)];

#[tokio::test]
async fn a_601_on_page_3_of_5_resumes_at_page_3_and_ends_with_all_5_pages_none_twice() {
    // The same pages without the 601: what the resumed run must end with.
    let server = five_pages(false).await;
    let want = client(&server).collect_all(GetMeas::new()).await.unwrap();
    assert_eq!(grpids(&want), FIVE_PAGES_GRPIDS);
    assert_eq!(
        offsets(&server).await,
        [None, Some(300), Some(600), Some(900), Some(1200)]
    );
    server.verify().await;

    // `client` has `RetryPolicy::none()`: the 601 surfaces at once.
    let server = five_pages(true).await;
    let c = client(&server);
    let mut seen = Vec::new();
    let stop = c
        .collect_all_observed(GetMeas::new(), |n| seen.push(n))
        .await
        .unwrap_err();
    assert!(stop.error.is_rate_limited(), "{stop:?}");
    assert_eq!(stop.error.status(), Some(601));
    assert_eq!(stop.error.retry_after(), Some(Duration::from_secs(57)));
    assert_eq!(stop.to_string(), stop.error.to_string());
    assert_eq!(stop.page, 3);
    assert_eq!(stop.resume, Some(GetMeas::new().offset(600)));
    assert_eq!(grpids(stop.fetched.as_ref().unwrap()), [1, 2]);
    assert_eq!(seen, [1, 2]);

    let all = c
        .collect_rest_observed(stop, |n| seen.push(n))
        .await
        .unwrap();
    assert_eq!(seen, [1, 2, 3, 4, 5], "pages numbered on");
    assert_eq!(grpids(&all), FIVE_PAGES_GRPIDS);
    assert_eq!(
        serde_json::to_value(&all).unwrap(),
        serde_json::to_value(&want).unwrap(),
        "the resumed run merges to the uninterrupted one"
    );
    assert_eq!(offsets(&server).await, RESUMED_OFFSETS);
    server.verify().await;
}

#[tokio::test]
async fn the_resume_request_sent_again_gives_the_remaining_pages() {
    let server = five_pages(true).await;
    let c = client(&server);
    let Interrupted {
        error,
        resume,
        fetched,
        page,
        ..
    } = c.collect_all(GetMeas::new()).await.unwrap_err();
    assert!(error.is_rate_limited(), "{error}");
    assert_eq!(page, 3);
    let resume = resume.unwrap();
    assert_eq!(resume.current_offset(), Some(600));
    let mut all = fetched.unwrap();
    let rest = c.collect_all(resume).await.unwrap();
    assert_eq!(grpids(&rest), [3, 4, 5, 5_123_450_001, 5_123_440_042]);
    all.merge(rest);
    assert_eq!(grpids(&all), FIVE_PAGES_GRPIDS);
    assert_eq!(offsets(&server).await, RESUMED_OFFSETS);
    server.verify().await;
}

#[tokio::test]
async fn a_stream_ends_with_where_to_resume_and_the_resumed_stream_goes_on() {
    let server = five_pages(true).await;
    let c = client(&server);
    let mut items = c.stream(GetMeas::new());
    let mut got = Vec::new();
    let mut stop = loop {
        match items.next().await.expect("an item or the error") {
            Ok(group) => got.push(group.grpid()),
            Err(stop) => break stop,
        }
    };
    assert!(items.next().await.is_none(), "the error is the last item");
    assert_eq!(got, [1, 2]);
    assert_eq!(stop.page, 3);
    assert!(stop.fetched.is_none(), "a stream's pages were yielded");
    let resume = stop.resume.take().unwrap();
    assert_eq!(resume.current_offset(), Some(600));

    let rest: Vec<_> = c.stream(resume).try_collect().await.unwrap();
    got.extend(rest.iter().map(|g| g.grpid()));
    assert_eq!(got, FIVE_PAGES_GRPIDS);
    assert_eq!(offsets(&server).await, RESUMED_OFFSETS);
    server.verify().await;

    // An error like any other for callers that do not resume.
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(stop);
    assert!(boxed.to_string().contains("wait 57 s"), "{boxed}");
}

#[tokio::test]
async fn collect_rest_without_a_resume_request_returns_the_stop_unchanged() {
    let p = &endpoints()[4];
    let server = MockServer::start().await;
    p.mount(&server, None, p.page("true", None)).await;
    catch_all(&server).await;
    let c = client(&server);
    let stop = c.collect_all(HeartList::new()).await.unwrap_err();
    assert!(stop.resume.is_none());
    let again = c.collect_rest(stop).await.unwrap_err();
    assert!(
        matches!(again.error, Error::Pagination { page: 1, .. }),
        "{again:?}"
    );
    assert_eq!(again.page, 2);
    assert!(again.fetched.is_some());
    assert_eq!(requests(&server).await.len(), 1, "nothing sent again");
    server.verify().await;
}

#[tokio::test]
async fn collect_all_keeps_the_rejected_records_of_every_page_numbered_by_page() {
    let p = &endpoints()[1];
    assert_eq!(p.action, GetActivity::ACTION);
    // Page 1 (offset none) and page 2 (offset 100) each hold a day that cannot be read, at
    // the same path of their own page.
    let bad = |n: i64| format!(r#"{{"date":"2024-06-0{n}","timezone":"UTC","steps":"page {n}"}},"#);
    let with_bad = |body: String, n: i64| {
        body.replacen(
            "\"activities\":[",
            &format!("\"activities\":[{}", bad(n)),
            1,
        )
    };
    let server = MockServer::start().await;
    p.mount(&server, None, with_bad(p.page("true", Some(100)), 1))
        .await;
    p.mount(&server, Some(100), with_bad(fixture(&p.dir, "normal"), 2))
        .await;
    catch_all(&server).await;
    let days = client(&server)
        .collect_all(GetActivity::new().dates(date(2024, 5, 1), date(2024, 6, 30)))
        .await
        .unwrap();
    assert_eq!(
        days.len(),
        p.items(p.more_case).len() + p.items("normal").len(),
        "every good day of both pages"
    );
    let got: Vec<_> = days
        .rejected
        .iter()
        .map(|r| (r.path.as_str(), r.raw(), r.response))
        .collect();
    let (one, two) = (bad(1), bad(2));
    assert_eq!(
        got,
        [
            ("body.activities[0]", one.trim_end_matches(','), Some(1)),
            ("body.activities[0]", two.trim_end_matches(','), Some(2)),
        ]
    );
    // One page alone, through `send`: the entry, unnumbered.
    server.reset().await;
    p.mount(&server, None, with_bad(fixture(&p.dir, "normal"), 1))
        .await;
    let day = client(&server)
        .send(&GetActivity::new().dates(date(2024, 5, 1), date(2024, 6, 30)))
        .await
        .unwrap();
    assert_eq!(day.rejected.len(), 1);
    assert_eq!(day.rejected[0].response, None);
    server.verify().await;
}
