//! Pagination over three pages for every paged endpoint (`more` as an integer and as a
//! boolean), and the stop on an offset that does not advance.

use futures_util::{StreamExt, TryStreamExt};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};
use withings::jiff::civil::date;
use withings::model::activity::GetActivity;
use withings::model::heart::HeartList;
use withings::model::measure::GetMeas;
use withings::model::sleep::GetSleepSummary;
use withings::model::stetho::StethoList;
use withings::model::workout::GetWorkouts;
use withings::paging::Page;
use withings::{Client, DateWindow, Endpoint, Error, ItemStream, Output};

use crate::support::{catch_all, client, decoded, fixture, param, requests};

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

/// Starts a stream of an endpoint's items, as JSON, on a client.
type StreamFn = Box<dyn Fn(&Client) -> ItemStream<serde_json::Value>>;

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
    fn stream(&self, c: &Client) -> ItemStream<serde_json::Value> {
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
    let e = c.collect_all(HeartList::new()).await.unwrap_err();
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
    let mut want = p.items(p.more_case);
    want.extend(p.items(p.last_case));
    assert_eq!(
        serde_json::to_value(&all.groups).unwrap(),
        serde_json::Value::Array(want)
    );
    let first =
        decoded::<<GetMeas as Endpoint>::Body>(&fixture(&p.dir, p.more_case))["timezone"].clone();
    assert_eq!(serde_json::to_value(&all.timezone).unwrap(), first);

    let pages: Vec<_> = c.pages(GetMeas::new()).try_collect().await.unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!(
        pages[0].groups.len() + pages[1].groups.len(),
        all.groups.len()
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
        pages.next().await,
        Some(Err(Error::Pagination { previous: 100, .. }))
    ));
}
