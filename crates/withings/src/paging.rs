//! Pagination: following `more`/`offset` to the end.
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
//! - [`Client::collect_all`]: every page merged into one value of the same type as one page.
//!
//! The next page is requested only once the current one has been consumed, so a caller that
//! stops polling stops the requests.
//!
//! # When a stream stops
//! - after a page with `more` false (or absent): the end;
//! - at the first error (transport, status, decode): the error is the last item;
//! - when a page says `more` but gives no `offset`, or an `offset` not greater than the one it
//!   was requested with: that page's items are yielded, then [`Error::Pagination`]. Asking
//!   again would return the same page forever (a `more=1, offset=0` page has been seen in the
//!   wild, API notes §12.8); the error tells the caller the history may be incomplete.
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

use std::pin::Pin;

use futures_core::Stream;
use futures_util::{StreamExt, TryStreamExt, stream};
use withings_decode::Decode;
use withings_decode::measure::Measurements;
use withings_model::{Paged, PagedBody, RequestError};

use crate::{Client, Error, Result};

/// A stream of the items of every page, in order. `Send`, `'static`: it owns a clone of the
/// client, so it can be stored or moved to another task.
pub type ItemStream<T> = Pin<Box<dyn Stream<Item = Result<T>> + Send + 'static>>;

/// A stream of decoded pages, in order.
pub type PageStream<T> = Pin<Box<dyn Stream<Item = Result<T>> + Send + 'static>>;

/// The decoded body of one page of a paged action.
pub trait Page: Sized {
    /// One item of the page.
    type Item;

    /// The items of this page, in the order received.
    fn into_items(self) -> Vec<Self::Item>;

    /// Appends the items of the next page (and keeps what describes the whole answer).
    fn merge(&mut self, next: Self);
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

/// Items are measure groups; merged pages keep the first page's time zone and the latest
/// `updated`.
impl Page for Measurements {
    type Item = withings_decode::measure::MeasureGroup;

    fn into_items(self) -> Vec<Self::Item> {
        self.groups
    }

    fn merge(&mut self, next: Self) {
        self.updated = self.updated.max(next.updated);
        self.groups.extend(next.groups);
    }
}

struct State<E> {
    client: Client,
    endpoint: E,
    page: usize,
    offset: i64,
    done: bool,
    stuck: Option<Error>,
}

pub(crate) fn pages<E>(client: Client, endpoint: E) -> PageStream<<E::Body as Decode>::Output>
where
    E: Paged,
    E::Body: PagedBody + Decode,
    <E::Body as Decode>::Output: Send + 'static,
{
    let state = State {
        offset: endpoint.current_offset().unwrap_or(0),
        client,
        endpoint,
        page: 0,
        done: false,
        stuck: None,
    };
    Box::pin(stream::try_unfold(state, |mut st| async move {
        if let Some(e) = st.stuck.take() {
            return Err(e);
        }
        if st.done {
            return Ok(None);
        }
        st.page += 1;
        let body = st.client.send_wire(&st.endpoint).await?;
        let (more, next) = (body.more(), body.offset());
        let page = body
            .decode()
            .map_err(|e| Error::decode(E::SERVICE, E::ACTION, e))?;
        if !more {
            st.done = true;
        } else {
            match next {
                Some(next) if next > st.offset => {
                    st.offset = next;
                    st.endpoint.set_offset(next);
                }
                offset => {
                    st.stuck = Some(Error::Pagination {
                        service: E::SERVICE,
                        action: E::ACTION,
                        page: st.page,
                        offset,
                        previous: st.offset,
                    });
                }
            }
        }
        Ok(Some((page, st)))
    }))
}

pub(crate) fn items<E>(
    client: Client,
    endpoint: E,
) -> ItemStream<<<E::Body as Decode>::Output as Page>::Item>
where
    E: Paged,
    E::Body: PagedBody + Decode,
    <E::Body as Decode>::Output: Page + Send + 'static,
    <<E::Body as Decode>::Output as Page>::Item: Send + 'static,
{
    pages(client, endpoint)
        .map_ok(|page| stream::iter(page.into_items().into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}

pub(crate) async fn collect_all<E>(
    client: Client,
    endpoint: E,
    mut on_page: impl FnMut(usize),
) -> Result<<E::Body as Decode>::Output>
where
    E: Paged,
    E::Body: PagedBody + Decode,
    <E::Body as Decode>::Output: Page + Send + 'static,
{
    let mut pages = pages(client, endpoint);
    let mut all: Option<<E::Body as Decode>::Output> = None;
    let mut n = 0;
    while let Some(page) = pages.try_next().await? {
        n += 1;
        on_page(n);
        match &mut all {
            Some(all) => all.merge(page),
            None => all = Some(page),
        }
    }
    // The first poll yields a page or an error, never the end.
    all.ok_or(Error::Request(RequestError::Missing {
        action: E::ACTION,
        what: "a first page (the stream ended before any)",
    }))
}
