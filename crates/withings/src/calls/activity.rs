//! `/v2/measure getactivity`, `getintradayactivity`, `getworkouts`.

use jiff::Timestamp;
use jiff::civil::Date;
use withings_decode::Decode;
use withings_decode::activity::{DailyActivity, IntradaySample};
use withings_decode::workout::Workout;
use withings_model::activity::{
    ActivityField, GetActivity, GetIntradayActivity, GetIntradayActivityBody, IntradayField,
};
use withings_model::workout::{GetWorkouts, WorkoutField};
use withings_model::{DateWindow, Endpoint, TimeSpan};

use crate::{Client, Error, Result, split};

/// Activity: daily aggregates, intraday samples, workouts. From [`Client::activity`].
#[derive(Debug, Clone, Copy)]
pub struct ActivityCalls<'a> {
    client: &'a Client,
}

impl<'a> ActivityCalls<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// `getactivity`: one aggregate per local day (steps, distance, calories, heart-rate
    /// zones), for local dates (`startdateymd`/`enddateymd`, both inclusive) or since a
    /// `lastupdate` cursor. Paged.
    ///
    /// ```no_run
    /// # async fn _run(client: &withings::Client) -> withings::Result<()> {
    /// use withings::DateWindow;
    /// use withings::jiff::civil::date;
    ///
    /// let days = client
    ///     .activity()
    ///     .getactivity(DateWindow::Dates { start: date(2024, 6, 1), end: date(2024, 6, 7) })
    ///     .collect_all()
    ///     .await?;
    /// for day in days {
    ///     println!("{}: {:?} steps", day.date, day.steps);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn getactivity(&self, window: DateWindow) -> GetActivityRequest {
        GetActivityRequest {
            client: self.client.clone(),
            endpoint: GetActivity::new(window),
        }
    }

    /// `getintradayactivity`: samples (steps, heart rate, calories...) from `start` to `end`.
    /// Withings answers at most 24 h per call: a longer range is sent as several calls of at
    /// most 24 h, merged (sorted by time, duplicates at the seams removed).
    ///
    /// ```no_run
    /// # async fn _run(client: &withings::Client) -> withings::Result<()> {
    /// use withings::IntradayField;
    /// use withings::jiff::{Timestamp, ToSpan};
    ///
    /// let now = Timestamp::now();
    /// let samples = client
    ///     .activity()
    ///     .getintradayactivity(now - 48.hours(), now) // two calls
    ///     .data_fields([IntradayField::Steps, IntradayField::HeartRate])
    ///     .send()
    ///     .await?;
    /// println!("{} samples", samples.len());
    /// # Ok(()) }
    /// ```
    pub fn getintradayactivity(
        &self,
        start: Timestamp,
        end: Timestamp,
    ) -> GetIntradayActivityRequest {
        GetIntradayActivityRequest {
            client: self.client.clone(),
            endpoint: GetIntradayActivity::between(start, end),
        }
    }

    /// `getintradayactivity` without dates: Withings' most recent samples (one call).
    ///
    /// ```no_run
    /// # async fn _run(client: &withings::Client) -> withings::Result<()> {
    /// let latest = client.activity().latest_intraday().send().await?;
    /// println!("{} samples", latest.len());
    /// # Ok(()) }
    /// ```
    pub fn latest_intraday(&self) -> GetIntradayActivityRequest {
        GetIntradayActivityRequest {
            client: self.client.clone(),
            endpoint: GetIntradayActivity::new(),
        }
    }

    /// `getworkouts`: workouts by local dates or since a `lastupdate` cursor. Paged.
    ///
    /// ```no_run
    /// # async fn _run(client: &withings::Client) -> withings::Result<()> {
    /// use withings::DateWindow;
    /// use withings::jiff::Timestamp;
    ///
    /// let since = Timestamp::constant(1_717_200_000, 0);
    /// let workouts = client.activity().getworkouts(DateWindow::LastUpdate(since)).collect_all().await?;
    /// for w in workouts {
    ///     println!("{} {} for {}", w.local_start, w.category, w.duration);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn getworkouts(&self, window: DateWindow) -> GetWorkoutsRequest {
        GetWorkoutsRequest {
            client: self.client.clone(),
            endpoint: GetWorkouts::new(window),
        }
    }
}

/// `getactivity`, from [`ActivityCalls::getactivity`]. Paged.
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct GetActivityRequest {
    client: Client,
    endpoint: GetActivity,
}

impl GetActivityRequest {
    /// The local days from `start` to `end`, both inclusive (replaces the window).
    pub fn dates(mut self, start: Date, end: Date) -> Self {
        self.endpoint.window = DateWindow::Dates { start, end };
        self
    }

    /// Days created or modified after `at` (`lastupdate`; replaces the window).
    pub fn since(mut self, at: Timestamp) -> Self {
        self.endpoint.window = DateWindow::LastUpdate(at);
        self
    }

    /// Only these fields (`data_fields`; default: the server's set).
    pub fn data_fields(mut self, fields: impl IntoIterator<Item = ActivityField>) -> Self {
        self.endpoint = self.endpoint.data_fields(fields);
        self
    }

    /// Starts at this `offset`.
    pub fn offset(mut self, offset: i64) -> Self {
        self.endpoint = self.endpoint.offset(offset);
        self
    }
}

paged_call!(
    GetActivityRequest,
    GetActivity,
    Vec<DailyActivity>,
    DailyActivity
);

/// `getintradayactivity`, from [`ActivityCalls::getintradayactivity`]: ranges longer than
/// 24 h are split into several calls and merged.
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct GetIntradayActivityRequest {
    client: Client,
    endpoint: GetIntradayActivity,
}

impl GetIntradayActivityRequest {
    pub(crate) fn with_endpoint(client: Client, endpoint: GetIntradayActivity) -> Self {
        Self { client, endpoint }
    }

    /// From `start` to `end` (replaces the range).
    pub fn between(mut self, start: Timestamp, end: Timestamp) -> Self {
        self.endpoint.span = Some(TimeSpan { start, end });
        self
    }

    /// Only these fields (`data_fields`).
    pub fn data_fields(mut self, fields: impl IntoIterator<Item = IntradayField>) -> Self {
        self.endpoint = self.endpoint.data_fields(fields);
        self
    }

    /// Sends the request (several calls for a range over 24 h) and decodes the samples,
    /// sorted by time, one per instant.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a range that ends before it starts or needs more than
    /// 1000 calls; otherwise those of [`Client::send`], from the first call that fails.
    pub async fn send(&self) -> Result<Vec<IntradaySample>> {
        let mut all = Vec::new();
        for body in self.send_wire().await? {
            let samples = body.decode().map_err(|e| {
                Error::decode(GetIntradayActivity::SERVICE, GetIntradayActivity::ACTION, e)
            })?;
            all.extend(samples);
        }
        all.sort_by_key(|s| s.at);
        // Consecutive calls share their boundary instant: keep the first copy.
        all.dedup_by_key(|s| s.at);
        Ok(all)
    }

    /// Sends the request and returns the wire bodies undecoded, one per call of at most
    /// 24 h, in time order.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub async fn send_wire(&self) -> Result<Vec<GetIntradayActivityBody>> {
        let Some(span) = self.endpoint.span else {
            return Ok(vec![self.client.send_wire(&self.endpoint).await?]);
        };
        let mut bodies = Vec::new();
        for chunk in split::chunks(span)? {
            let mut endpoint = self.endpoint.clone();
            endpoint.span = Some(chunk);
            bodies.push(self.client.send_wire(&endpoint).await?);
        }
        Ok(bodies)
    }

    /// The calls [`send`](Self::send) makes: one request per piece of at most 24 h.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] as [`send`](Self::send).
    pub fn split(&self) -> Result<Vec<GetIntradayActivity>> {
        match self.endpoint.span {
            None => Ok(vec![self.endpoint.clone()]),
            Some(span) => Ok(split::chunks(span)?
                .into_iter()
                .map(|chunk| {
                    let mut e = self.endpoint.clone();
                    e.span = Some(chunk);
                    e
                })
                .collect()),
        }
    }
}

request_common!(GetIntradayActivityRequest, GetIntradayActivity);

/// `getworkouts`, from [`ActivityCalls::getworkouts`]. Paged.
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct GetWorkoutsRequest {
    client: Client,
    endpoint: GetWorkouts,
}

impl GetWorkoutsRequest {
    /// The local days from `start` to `end`, both inclusive (replaces the window).
    pub fn dates(mut self, start: Date, end: Date) -> Self {
        self.endpoint.window = DateWindow::Dates { start, end };
        self
    }

    /// Workouts created or modified after `at` (`lastupdate`; replaces the window).
    pub fn since(mut self, at: Timestamp) -> Self {
        self.endpoint.window = DateWindow::LastUpdate(at);
        self
    }

    /// Only these fields (`data_fields`).
    pub fn data_fields(mut self, fields: impl IntoIterator<Item = WorkoutField>) -> Self {
        self.endpoint = self.endpoint.data_fields(fields);
        self
    }

    /// Starts at this `offset`.
    pub fn offset(mut self, offset: i64) -> Self {
        self.endpoint = self.endpoint.offset(offset);
        self
    }
}

paged_call!(GetWorkoutsRequest, GetWorkouts, Vec<Workout>, Workout);
