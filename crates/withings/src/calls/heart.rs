//! `/v2/heart list`, `get`.

use jiff::Timestamp;
use withings_decode::heart::{EcgSignal, HeartRecord};
use withings_model::TimeSpan;
use withings_model::heart::{HeartGet, HeartList};

use crate::Client;

/// ECG and blood-pressure records, and ECG signals. From [`Client::heart`].
#[derive(Debug, Clone, Copy)]
pub struct HeartCalls<'a> {
    client: &'a Client,
}

impl<'a> HeartCalls<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// `list`: ECG records (with the blood pressure and heart rate taken with them). Without
    /// a range, all of them. Paged.
    ///
    /// ```no_run
    /// # async fn _run(client: &withings::Client) -> withings::Result<()> {
    /// let records = client.heart().list().collect_all().await?;
    /// for r in records {
    ///     if let Some(ecg) = &r.ecg {
    ///         println!("{}: signal {} ({})", r.taken_at, ecg.signal_id, ecg.afib);
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> HeartListRequest {
        HeartListRequest {
            client: self.client.clone(),
            endpoint: HeartList::new(),
        }
    }

    /// `get`: the samples of one ECG signal (`signalid` from [`list`](Self::list)).
    ///
    /// ```no_run
    /// # async fn _run(client: &withings::Client) -> withings::Result<()> {
    /// let signal = client.heart().get(123_456).send().await?;
    /// println!("{} samples at {} Hz", signal.samples.len(), signal.sampling_frequency_hz);
    /// # Ok(()) }
    /// ```
    pub fn get(&self, signalid: i64) -> HeartGetRequest {
        HeartGetRequest {
            client: self.client.clone(),
            endpoint: HeartGet::new(signalid),
        }
    }
}

/// `heart list`, from [`HeartCalls::list`]. Paged.
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct HeartListRequest {
    client: Client,
    endpoint: HeartList,
}

impl HeartListRequest {
    /// Records taken from `start` to `end`.
    pub fn between(mut self, start: Timestamp, end: Timestamp) -> Self {
        self.endpoint.span = Some(TimeSpan { start, end });
        self
    }

    /// Starts at this `offset`.
    pub fn offset(mut self, offset: i64) -> Self {
        self.endpoint = self.endpoint.offset(offset);
        self
    }
}

paged_call!(HeartListRequest, HeartList, Vec<HeartRecord>, HeartRecord);

/// `heart get`, from [`HeartCalls::get`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct HeartGetRequest {
    client: Client,
    endpoint: HeartGet,
}

impl HeartGetRequest {
    /// Asks for the filtered signal (`with_filtered`).
    pub fn with_filtered(mut self, value: bool) -> Self {
        self.endpoint = self.endpoint.with_filtered(value);
        self
    }

    /// Asks for the R-R intervals (`with_intervals`).
    pub fn with_intervals(mut self, value: bool) -> Self {
        self.endpoint = self.endpoint.with_intervals(value);
        self
    }
}

single_call!(HeartGetRequest, HeartGet, EcgSignal);
