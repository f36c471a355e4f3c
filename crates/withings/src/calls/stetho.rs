//! `/v2/stetho list`, `get`.

use jiff::Timestamp;
use withings_decode::stetho::{StethoRecord, StethoSignal};
use withings_model::TimeSpan;
use withings_model::stetho::{StethoGet, StethoList};

use crate::Client;

/// Stethoscope records and signals. From [`Client::stetho`].
#[derive(Debug, Clone, Copy)]
pub struct StethoCalls<'a> {
    client: &'a Client,
}

impl<'a> StethoCalls<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// `list`: stethoscope recordings. Without a range, all of them. Paged.
    ///
    /// ```no_run
    /// # async fn _run(client: &withings::Client) -> withings::Result<()> {
    /// let records = client.stetho().list().collect_all().await?;
    /// for r in records {
    ///     println!("{}: signal {}", r.taken_at, r.signal_id);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> StethoListRequest {
        StethoListRequest {
            client: self.client.clone(),
            endpoint: StethoList::new(),
        }
    }

    /// `get`: the samples of one stethoscope signal (`signalid` from [`list`](Self::list)).
    ///
    /// ```no_run
    /// # async fn _run(client: &withings::Client) -> withings::Result<()> {
    /// let signal = client.stetho().get(987_654).send().await?;
    /// println!("{} samples", signal.samples.len());
    /// # Ok(()) }
    /// ```
    pub fn get(&self, signalid: i64) -> StethoGetRequest {
        StethoGetRequest {
            client: self.client.clone(),
            endpoint: StethoGet::new(signalid),
        }
    }
}

/// `stetho list`, from [`StethoCalls::list`]. Paged.
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct StethoListRequest {
    client: Client,
    endpoint: StethoList,
}

impl StethoListRequest {
    /// Recordings taken from `start` to `end`.
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

paged_call!(
    StethoListRequest,
    StethoList,
    Vec<StethoRecord>,
    StethoRecord
);

/// `stetho get`, from [`StethoCalls::get`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct StethoGetRequest {
    client: Client,
    endpoint: StethoGet,
}

single_call!(StethoGetRequest, StethoGet, StethoSignal);
