//! `/measure getmeas`, `/v2/measure confirmuser`.

use jiff::Timestamp;
use withings_decode::measure::{MeasureGroup, Measurements};
use withings_model::codes::Category;
use withings_model::measure::{ConfirmUser, GetMeas, MeasureType};
use withings_model::{EmptyBody, TimeWindow};

use crate::Client;

/// Measures: weight, body composition, blood pressure, temperature, SpO2... From
/// [`Client::measures`].
#[derive(Debug, Clone, Copy)]
pub struct MeasureCalls<'a> {
    client: &'a Client,
}

impl<'a> MeasureCalls<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// `getmeas`: measure groups, each the measures one device took at one time. Without a
    /// window, all of the user's history (paged: use `.stream()` or `.collect_all()`).
    ///
    /// ```no_run
    /// # async fn _run(client: &withings::Client) -> withings::Result<()> {
    /// use withings::MeasureType;
    /// use withings::jiff::{Timestamp, ToSpan};
    ///
    /// let now = Timestamp::now();
    /// let meas = client
    ///     .measures()
    ///     .getmeas()
    ///     .meastypes([MeasureType::Weight, MeasureType::FatRatio])
    ///     .between(now - 48.hours(), now)
    ///     .collect_all()
    ///     .await?;
    /// for (group, weight) in meas.of_kind(MeasureType::Weight) {
    ///     println!("{}: {} kg", group.local, weight.value);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn getmeas(&self) -> GetMeasRequest {
        GetMeasRequest {
            client: self.client.clone(),
            endpoint: GetMeas::new(),
        }
    }

    /// `confirmuser`: says whether an ambiguous measure group (attrib 1, "may be someone
    /// else") is the user's (`true`) or not (`false`).
    ///
    /// ```no_run
    /// # async fn _run(client: &withings::Client) -> withings::Result<()> {
    /// client.measures().confirmuser(1_234_567_890, true).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn confirmuser(&self, grpid: i64, is_confirmed: bool) -> ConfirmUserRequest {
        ConfirmUserRequest {
            client: self.client.clone(),
            endpoint: ConfirmUser::new(grpid, is_confirmed),
        }
    }
}

/// `getmeas`, from [`MeasureCalls::getmeas`]. Paged: groups follow `more`/`offset`.
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct GetMeasRequest {
    client: Client,
    endpoint: GetMeas,
}

impl GetMeasRequest {
    /// Only these measure types (sent as one `meastypes` list); replaces earlier types.
    pub fn meastypes(mut self, types: impl IntoIterator<Item = MeasureType>) -> Self {
        self.endpoint.meastypes = types.into_iter().collect();
        self
    }

    /// Adds one measure type to the list.
    pub fn meastype(mut self, kind: MeasureType) -> Self {
        self.endpoint = self.endpoint.meastype(kind);
        self
    }

    /// Real measures or user objectives (`category`; default: both).
    pub fn category(mut self, category: Category) -> Self {
        self.endpoint = self.endpoint.category(category);
        self
    }

    /// Measures taken from `start` to `end` (replaces a [`since`](Self::since) cursor).
    pub fn between(mut self, start: Timestamp, end: Timestamp) -> Self {
        self.endpoint.window = Some(TimeWindow::Range { start, end });
        self
    }

    /// Measures created or modified after `at` (`lastupdate`, the cursor for incremental
    /// sync; replaces a [`between`](Self::between) range).
    pub fn since(mut self, at: Timestamp) -> Self {
        self.endpoint.window = Some(TimeWindow::LastUpdate(at));
        self
    }

    /// The window as a value (or `None`: all history).
    pub fn window(mut self, window: Option<TimeWindow>) -> Self {
        self.endpoint.window = window;
        self
    }

    /// Starts at this `offset` (from a previous page).
    pub fn offset(mut self, offset: i64) -> Self {
        self.endpoint = self.endpoint.offset(offset);
        self
    }
}

paged_call!(GetMeasRequest, GetMeas, Measurements, MeasureGroup);

/// `confirmuser`, from [`MeasureCalls::confirmuser`]. Answers nothing ([`EmptyBody`]).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct ConfirmUserRequest {
    client: Client,
    endpoint: ConfirmUser,
}

single_call!(ConfirmUserRequest, ConfirmUser, EmptyBody);
