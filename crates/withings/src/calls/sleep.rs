//! `/v2/sleep get`, `getsummary`.

use jiff::Timestamp;
use jiff::civil::Date;
use withings_decode::Decode;
use withings_decode::sleep::{SleepSegments, SleepSummary};
use withings_model::sleep::{
    GetSleep, GetSleepBody, GetSleepSummary, SleepField, SleepSummaryField,
};
use withings_model::{DateWindow, Endpoint, TimeSpan};

use crate::{Client, Error, Result, split};

/// Sleep: nightly summaries and the sleep states within a night. From [`Client::sleep`].
#[derive(Debug, Clone, Copy)]
pub struct SleepCalls<'a> {
    client: &'a Client,
}

impl<'a> SleepCalls<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// `get`: sleep-state segments (awake, light, deep, REM) from `start` to `end`, with the
    /// series asked for in `data_fields`. Withings answers at most 24 h per call: a longer
    /// range is sent as several calls of at most 24 h, merged (sorted, a segment returned
    /// by two calls kept once).
    ///
    /// ```no_run
    /// # async fn _run(client: &withings::Client) -> withings::Result<()> {
    /// use withings::SleepField;
    /// use withings::jiff::{Timestamp, ToSpan};
    ///
    /// let now = Timestamp::now();
    /// let night = client
    ///     .sleep()
    ///     .get(now - 48.hours(), now)
    ///     .data_fields([SleepField::Hr, SleepField::Rr, SleepField::Snoring])
    ///     .send()
    ///     .await?;
    /// for seg in &night.segments {
    ///     println!("{} – {}: {}", seg.start, seg.end, seg.state);
    /// }
    /// println!("deep sleep: {}", night.hypnogram().deep);
    /// # Ok(()) }
    /// ```
    pub fn get(&self, start: Timestamp, end: Timestamp) -> GetSleepRequest {
        GetSleepRequest {
            client: self.client.clone(),
            endpoint: GetSleep::between(start, end),
        }
    }

    /// `getsummary`: one summary per night (durations, heart and breathing rates, sleep
    /// score), by local dates (a night belongs to the date it ended) or since a `lastupdate`
    /// cursor. Without [`data_fields`](GetSleepSummaryRequest::data_fields), Withings
    /// returns its default set ([`SleepSummaryField::DEFAULT`]: durations and counts, no
    /// heart rate or score). Paged.
    ///
    /// ```no_run
    /// # async fn _run(client: &withings::Client) -> withings::Result<()> {
    /// use withings::DateWindow;
    /// use withings::jiff::civil::date;
    ///
    /// let nights = client
    ///     .sleep()
    ///     .getsummary(DateWindow::Dates { start: date(2024, 6, 1), end: date(2024, 6, 3) })
    ///     .collect_all()
    ///     .await?;
    /// for n in nights {
    ///     println!("{}: score {:?}", n.date, n.metrics.sleep_score);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn getsummary(&self, window: DateWindow) -> GetSleepSummaryRequest {
        GetSleepSummaryRequest {
            client: self.client.clone(),
            endpoint: GetSleepSummary::new(window),
        }
    }
}

/// `sleep get`, from [`SleepCalls::get`]: ranges longer than 24 h are split into several
/// calls and merged.
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct GetSleepRequest {
    client: Client,
    endpoint: GetSleep,
}

impl GetSleepRequest {
    pub(crate) fn with_endpoint(client: Client, endpoint: GetSleep) -> Self {
        Self { client, endpoint }
    }

    /// From `start` to `end` (replaces the range).
    pub fn between(mut self, start: Timestamp, end: Timestamp) -> Self {
        self.endpoint.span = TimeSpan { start, end };
        self
    }

    /// Adds series to return with each segment (`data_fields`).
    pub fn data_fields(mut self, fields: impl IntoIterator<Item = SleepField>) -> Self {
        self.endpoint = self.endpoint.data_fields(fields);
        self
    }

    /// Asks for every series the API offers.
    pub fn all_fields(mut self) -> Self {
        self.endpoint = self.endpoint.all_fields();
        self
    }

    /// Sends the request (several calls for a range over 24 h) and decodes the segments,
    /// sorted by start; a segment returned by two consecutive calls is kept once.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a range that ends before it starts or needs more than
    /// 1000 calls; otherwise those of [`Client::send`], from the first call that fails.
    pub async fn send(&self) -> Result<SleepSegments> {
        let mut merged: Option<SleepSegments> = None;
        for body in self.send_wire().await? {
            let part = body
                .decode()
                .map_err(|e| Error::decode(GetSleep::SERVICE, GetSleep::ACTION, e))?;
            match &mut merged {
                None => merged = Some(part),
                Some(all) => {
                    if all.model.is_none() {
                        all.model = part.model;
                    }
                    all.segments.extend(part.segments);
                }
            }
        }
        let mut merged = merged
            .ok_or_else(|| Error::InvalidRequest("the sleep range produced no call".to_owned()))?;
        merged.segments.sort_by_key(|s| (s.start, s.end));
        // A segment crossing a seam comes back from both calls.
        merged
            .segments
            .dedup_by(|b, a| a.start == b.start && a.end == b.end && a.state == b.state);
        Ok(merged)
    }

    /// Sends the request and returns the wire bodies undecoded, one per call of at most
    /// 24 h, in time order.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub async fn send_wire(&self) -> Result<Vec<GetSleepBody>> {
        let mut bodies = Vec::new();
        for endpoint in self.split()? {
            bodies.push(self.client.send_wire(&endpoint).await?);
        }
        Ok(bodies)
    }

    /// The calls [`send`](Self::send) makes: one request per piece of at most 24 h.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] as [`send`](Self::send).
    pub fn split(&self) -> Result<Vec<GetSleep>> {
        Ok(split::chunks(self.endpoint.span)?
            .into_iter()
            .map(|chunk| {
                let mut e = self.endpoint.clone();
                e.span = chunk;
                e
            })
            .collect())
    }
}

request_common!(GetSleepRequest, GetSleep);

/// `sleep getsummary`, from [`SleepCalls::getsummary`]. Paged.
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct GetSleepSummaryRequest {
    client: Client,
    endpoint: GetSleepSummary,
}

impl GetSleepSummaryRequest {
    /// The nights ending on local dates `start` to `end`, both inclusive (replaces the
    /// window).
    pub fn dates(mut self, start: Date, end: Date) -> Self {
        self.endpoint.window = DateWindow::Dates { start, end };
        self
    }

    /// Nights created or modified after `at` (`lastupdate`; replaces the window).
    pub fn since(mut self, at: Timestamp) -> Self {
        self.endpoint.window = DateWindow::LastUpdate(at);
        self
    }

    /// Exactly these fields (`data_fields`), replacing the default set.
    pub fn data_fields(mut self, fields: impl IntoIterator<Item = SleepSummaryField>) -> Self {
        self.endpoint.data_fields.clear();
        self.endpoint = self.endpoint.data_fields(fields);
        self
    }

    /// Every field the API offers.
    pub fn all_fields(mut self) -> Self {
        self.endpoint = self.endpoint.all_fields();
        self
    }

    /// Starts at this `offset`.
    pub fn offset(mut self, offset: i64) -> Self {
        self.endpoint = self.endpoint.offset(offset);
        self
    }
}

paged_call!(
    GetSleepSummaryRequest,
    GetSleepSummary,
    Vec<SleepSummary>,
    SleepSummary
);
