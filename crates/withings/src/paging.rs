//! Pagination: following `more`/`offset` to the end, and resuming where it stopped.
//!
//! Paged actions (getmeas, getactivity, getworkouts, sleep getsummary, heart list, stetho
//! list) answer one page at a time with `more` (an integer for getmeas, a boolean elsewhere;
//! both are read) and the `offset` to ask for next. Several popular clients never follow them
//! and silently return only the first page of a user's history (API notes §12.8).
//!
//! Every paged request ([`Paged`]) can be sent with:
//! - [`Client::send`]: one page, decoded;
//! - [`Client::pages`]: a [`PageStream`] of decoded pages;
//! - [`Client::stream`]: an [`ItemStream`] of the items (measure groups, days, workouts,
//!   nights, records), yielded as each page arrives;
//! - [`Client::collect_all`]: every page merged into one value of the same type as one page;
//!   [`Client::collect_rest`] continues one that stopped.
//!
//! The next page is requested only once the current one has been consumed, so a caller that
//! stops polling stops the requests.
//!
//! # When a stream stops
//! - after a page with `more` false (or absent): the end;
//! - at the first error (transport, status, decode): the error is the last item, an
//!   [`Interrupted`] whose [`resume`](Interrupted::resume) is the request of the page that
//!   failed (its `offset` set) and whose [`page`](Interrupted::page) is that page's number;
//!   the pages before it were yielded;
//! - when a page says `more` but gives no `offset`, or an `offset` not greater than the one it
//!   was requested with: that page's items are yielded, then an [`Interrupted`] holding
//!   [`Error::Pagination`], with no `resume`. Asking again would return the same page forever
//!   (a `more=1, offset=0` page has been seen in the wild, API notes §12.8); the error tells
//!   the caller the history may be incomplete.
//!
//! [`Client::collect_all`] stops at the same points and returns the same [`Interrupted`], with
//! the pages it merged before the stop in [`fetched`](Interrupted::fetched): nothing received
//! is thrown away.
//!
//! # Rejected records
//! A record of a page that cannot be read (a measure group, a day, a workout…) does not stop
//! the pages: it is left out of the page and listed in its `rejected` entries with its path,
//! error and JSON text (API notes §15). [`Client::collect_all`] keeps every page's entries,
//! each numbered with its page ([`Rejected::response`], counted as [`Interrupted::page`]
//! counts), since a path such as `body.series[3]` is relative to its page. A [`PageStream`]
//! yields each page with its own entries (unnumbered: the page is known); an [`ItemStream`]
//! yields only records.
//!
//! # Resuming
//! A 601 (rate limited, once the [`RetryPolicy`](crate::RetryPolicy)'s budget is spent), a
//! network failure or a 5xx on page N does not lose pages 1..N−1, nor make the caller start
//! over: send [`resume`](Interrupted::resume) again — to [`Client::collect_all`],
//! [`Client::pages`] or [`Client::stream`] for the remaining pages alone, or give the whole
//! [`Interrupted`] to [`Client::collect_rest`] for the remaining pages merged onto
//! `fetched`. Either way every page arrives once: the resumed request starts at the page that
//! failed, none before it.
//!
//! ```no_run
//! # async fn _run(client: &withings::Client) -> withings::Result<()> {
//! use std::time::Duration;
//! # let sleep = |_: Duration| async {};
//! use withings::jiff::civil::date;
//! use withings::model::activity::GetActivity;
//!
//! let request = GetActivity::new().dates(date(2020, 1, 1), date(2024, 6, 30));
//! let mut result = client.collect_all(request).await;
//! let days = loop {
//!     match result {
//!         Ok(days) => break days,
//!         Err(stop) if stop.error.is_rate_limited() && stop.resume.is_some() => {
//!             let wait = stop.error.retry_after().unwrap_or(Duration::from_secs(60));
//!             println!("rate limited at page {}: waiting {} s", stop.page, wait.as_secs());
//!             sleep(wait).await; // your runtime's timer, e.g. `tokio::time::sleep`
//!             result = client.collect_rest(stop).await;
//!         }
//!         // Anything else: the error (`?` would do the same).
//!         Err(stop) => return Err(stop.into()),
//!     }
//! };
//! println!("{} days", days.len());
//! # Ok(()) }
//! ```
//!
//! Why this shape: the place to resume is the model request itself (ready to send, with its
//! `offset` set) and what was fetched is the merged output of that request, both typed by
//! the request. A variant of the one [`Error`], which is not generic, could only carry them
//! type-erased, to be downcast by the caller (`err.resume::<GetActivity>()`, which can fail at
//! run time). So the streams and `collect_all` fail with the generic [`Interrupted<E>`]
//! instead: one type for both (a stream's has no `fetched`: its pages were yielded), shown
//! as its [`error`](Interrupted::error) (same `Display` and `source`), and turned into that
//! [`Error`] by `?` (`From<Interrupted<E>> for Error`), so callers that do not resume write
//! `client.collect_all(request).await?` as before.
//!
//! Consume a stream with the `futures-util` crate's `StreamExt`/`TryStreamExt`, or use
//! [`Client::collect_all`] and need nothing else:
//!
//! ```no_run
//! # async fn _run(client: &withings::Client) -> withings::Result<()> {
//! use futures_util::TryStreamExt;
//! use withings::jiff::civil::date;
//! use withings::model::activity::GetActivity;
//!
//! let mut days = client.stream(GetActivity::new().dates(date(2024, 1, 1), date(2024, 6, 30)));
//! while let Some(day) = days.try_next().await? {
//!     println!("{}: {:?} steps", day.date, day.steps);
//! }
//! # Ok(()) }
//! ```

use std::fmt;
use std::pin::Pin;

use futures_core::Stream;
use futures_util::{StreamExt, TryStreamExt, stream};
use withings_decode::measure::Measurements;
use withings_decode::{Decode, Records, Rejected};
use withings_http::Received;
use withings_model::{Endpoint, Paged, PagedBody, RequestError};

use crate::client::{Output, decode};
use crate::{Client, Error};

/// A stream of the items of every page of the request `E`, in order. `Send`, `'static`: it
/// owns a clone of the client, so it can be stored or moved to another task. Its last item
/// is an [`Interrupted`] when it stops before the end.
pub type ItemStream<E> =
    Pin<Box<dyn Stream<Item = Result<<Output<E> as Page>::Item, Interrupted<E>>> + Send + 'static>>;

/// A stream of the decoded pages of the request `E`, in order. Its last item is an
/// [`Interrupted`] when it stops before the end.
pub type PageStream<E> =
    Pin<Box<dyn Stream<Item = Result<Output<E>, Interrupted<E>>> + Send + 'static>>;

/// Why a paged request stopped before its last page, where to resume it, and (from
/// [`Client::collect_all`]) what was fetched before: see [Resuming](self#resuming).
///
/// Shown as its [`error`](Self::error) (the same `Display` and `source`); `?` turns it into
/// that [`Error`].
#[non_exhaustive]
pub struct Interrupted<E>
where
    E: Endpoint,
    E::Body: Decode,
{
    /// Why the pages stopped: the error of the page that failed (transport, status, decode),
    /// or [`Error::Pagination`].
    pub error: Error,
    /// The request of the page that failed: the request sent at first, its `offset` set to
    /// that page's. Sending it (to [`Client::collect_all`], [`Client::pages`],
    /// [`Client::stream`]) asks for that page and those after it, none before.
    /// [`Client::collect_rest`] sends it for you. `None` when there is no page to resume at:
    /// after [`Error::Pagination`] (no usable offset was given).
    pub resume: Option<E>,
    /// The number (from 1) of the page that could not be received: the first page `resume`
    /// asks for. Counted from the first page of the stream or of the `collect_all` that
    /// stopped ([`Client::collect_rest`] keeps counting).
    pub page: usize,
    /// From [`Client::collect_all`] (and `collect_rest`): the pages received before the stop,
    /// merged (`None` when the first page failed). Always `None` from a stream, whose pages
    /// were yielded.
    pub fetched: Option<Output<E>>,
}

impl<E> Interrupted<E>
where
    E: Endpoint,
    E::Body: Decode,
{
    /// The error, dropping the rest (what `?` does).
    #[must_use]
    pub fn into_error(self) -> Error {
        self.error
    }
}

impl<E> From<Interrupted<E>> for Error
where
    E: Endpoint,
    E::Body: Decode,
{
    fn from(stop: Interrupted<E>) -> Self {
        stop.error
    }
}

impl<E> fmt::Debug for Interrupted<E>
where
    E: Endpoint,
    E::Body: Decode,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fetched = if self.fetched.is_some() {
            "Some(..)"
        } else {
            "None"
        };
        f.debug_struct("Interrupted")
            .field("error", &self.error)
            .field("page", &self.page)
            .field("resume", &self.resume)
            .field("fetched", &format_args!("{fetched}"))
            .finish()
    }
}

impl<E> fmt::Display for Interrupted<E>
where
    E: Endpoint,
    E::Body: Decode,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl<E> std::error::Error for Interrupted<E>
where
    E: Endpoint,
    E::Body: Decode,
{
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.error)
    }
}

/// The decoded body of one page of a paged action.
pub trait Page: Sized {
    /// One item of the page.
    type Item;

    /// The items of this page, in the order received. The records the page rejected
    /// ([`Rejected`]) are not items: an [`ItemStream`] leaves them out; read pages
    /// ([`Client::pages`]) or [`Client::collect_all`] to see them.
    fn into_items(self) -> Vec<Self::Item>;

    /// Appends the items of the next page (and keeps what describes the whole answer), and
    /// its rejected records.
    fn merge(&mut self, next: Self);

    /// Numbers the records this page rejected with the page's number, from 1 (see
    /// [`Rejected::response`]): their paths are relative to that page. Pages without
    /// rejected records have nothing to do, which is what the default does.
    fn number_rejected(&mut self, page: usize) {
        let _ = page;
    }
}

impl<T> Page for Vec<T> {
    type Item = T;

    fn into_items(self) -> Vec<T> {
        self
    }

    fn merge(&mut self, next: Self) {
        self.extend(next);
    }
}

/// The records of a list action (days, workouts, nights, recordings), and those rejected.
impl<T> Page for Records<T> {
    type Item = T;

    fn into_items(self) -> Vec<T> {
        self.records
    }

    fn merge(&mut self, next: Self) {
        self.records.extend(next.records);
        self.rejected.extend(next.rejected);
    }

    fn number_rejected(&mut self, page: usize) {
        number(&mut self.rejected, page);
    }
}

/// Items are measure groups; pages merge with [`Measurements::append`]: the first page's
/// time zone, the latest `updated`, every page's rejected groups, and a `grpid` repeated on a
/// later page merged into its first copy.
impl Page for Measurements {
    type Item = withings_decode::measure::MeasureGroup;

    fn into_items(self) -> Vec<Self::Item> {
        self.groups
    }

    fn merge(&mut self, next: Self) {
        self.append(next);
    }

    fn number_rejected(&mut self, page: usize) {
        number(&mut self.rejected, page);
    }
}

fn number(rejected: &mut [Rejected], page: usize) {
    for r in rejected {
        r.response.get_or_insert(page);
    }
}

struct State<E> {
    client: Client,
    /// The request of the next page; `None` once the stream has ended (or is about to).
    next: Option<E>,
    /// The number of the next page.
    page: usize,
    /// A pagination error to yield after the page that caused it.
    stuck: Option<Error>,
}

/// The pages of `request`, the first one numbered `first_page`.
pub(crate) fn pages<E>(client: Client, request: E, first_page: usize) -> PageStream<E>
where
    E: Paged,
    E::Body: PagedBody + Decode,
    Output<E>: Send + 'static,
{
    let state = State {
        client,
        next: Some(request),
        page: first_page,
        stuck: None,
    };
    Box::pin(stream::unfold(state, |mut st| async move {
        if let Some(error) = st.stuck.take() {
            let stop = Interrupted {
                error,
                resume: None,
                page: st.page,
                fetched: None,
            };
            return Some((Err(stop), st));
        }
        let request = st.next.take()?;
        let (items, more, offset) = match fetch(&st.client, &request).await {
            Ok(fetched) => fetched,
            Err(error) => {
                // `next` stays `None`: the error is the last item.
                let stop = Interrupted {
                    error,
                    page: st.page,
                    resume: Some(request),
                    fetched: None,
                };
                return Some((Err(stop), st));
            }
        };
        if more {
            let previous = request.current_offset().unwrap_or(0);
            match offset {
                Some(next) if next > previous => {
                    let mut request = request;
                    request.set_offset(next);
                    st.next = Some(request);
                }
                offset => {
                    st.stuck = Some(Error::Pagination {
                        service: E::SERVICE,
                        action: E::ACTION,
                        page: st.page,
                        offset,
                        previous,
                    });
                }
            }
        }
        st.page += 1;
        Some((Ok(items), st))
    }))
}

/// One page, decoded, with its `more` and `offset`: read in one pass when the request takes
/// one call and the body's reader answers (as [`Client::send`] does), else from the wire
/// body.
async fn fetch<E>(client: &Client, request: &E) -> Result<(Output<E>, bool, Option<i64>), Error>
where
    E: Paged,
    E::Body: PagedBody + Decode,
{
    match client.send_received(request).await? {
        Received::OnePass(read) => Ok((read.output, read.more, read.offset)),
        Received::Wire(body) => {
            let (more, offset) = (body.more(), body.offset());
            Ok((decode::<E>(body)?, more, offset))
        }
    }
}

pub(crate) fn items<E>(client: Client, request: E) -> ItemStream<E>
where
    E: Paged,
    E::Body: PagedBody + Decode,
    Output<E>: Page + Send + 'static,
    <Output<E> as Page>::Item: Send + 'static,
{
    pages(client, request, 1)
        .map_ok(|page| stream::iter(page.into_items().into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}

/// Every page of `request` (the first numbered `first_page`) merged onto `fetched`, calling
/// `on_page(n)` as page `n` arrives.
pub(crate) async fn collect<E>(
    client: Client,
    request: E,
    first_page: usize,
    mut fetched: Option<Output<E>>,
    mut on_page: impl FnMut(usize),
) -> Result<Output<E>, Interrupted<E>>
where
    E: Paged,
    E::Body: PagedBody + Decode,
    Output<E>: Page + Send + 'static,
{
    let mut pages = pages(client, request, first_page);
    let mut n = first_page;
    while let Some(next) = pages.next().await {
        match next {
            Ok(mut page) => {
                // Merged, a rejected record's path needs its page to mean something.
                page.number_rejected(n);
                on_page(n);
                n += 1;
                match &mut fetched {
                    Some(all) => all.merge(page),
                    None => fetched = Some(page),
                }
            }
            Err(mut stop) => {
                stop.fetched = fetched;
                return Err(stop);
            }
        }
    }
    // The first poll yields a page or an error, never the end.
    fetched.ok_or_else(|| Interrupted {
        error: Error::Request(RequestError::Missing {
            action: E::ACTION,
            what: "a first page (the stream ended before any)",
        }),
        resume: None,
        page: n,
        fetched: None,
    })
}

/// Continues `stop`: its `resume` request merged onto its `fetched`, numbered from its page.
pub(crate) async fn collect_rest<E>(
    client: Client,
    mut stop: Interrupted<E>,
    on_page: impl FnMut(usize),
) -> Result<Output<E>, Interrupted<E>>
where
    E: Paged,
    E::Body: PagedBody + Decode,
    Output<E>: Page + Send + 'static,
{
    match stop.resume.take() {
        Some(request) => collect(client, request, stop.page, stop.fetched, on_page).await,
        None => Err(stop),
    }
}
