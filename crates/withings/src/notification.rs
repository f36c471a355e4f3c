//! Notifications: what Withings POSTs to a callback URL, and what to fetch in answer.
//!
//! Withings sends `application/x-www-form-urlencoded` bodies such as
//! `userid=10203040&appli=44&startdate=1717364400&enddate=1717393800` (API notes §8). They
//! are unsigned: treat one as a prompt to fetch with the user's own token, never as data.
//! Answer the POST with 2xx within a couple of seconds and do the fetching afterwards;
//! Withings retries a delivery it thinks failed (T+0, +10 s, +1 min, +1 h, +4 h), so the
//! same notification may arrive more than once: [`Delivery::dedup_key`] recognises it.
//!
//! ```
//! use withings::model::Endpoint;
//! use withings::notification::{Delivery, FetchPlan};
//!
//! let n = Delivery::parse(b"userid=10203040&appli=1&startdate=1717364400&enddate=1717368000")?;
//! assert_eq!(n.dedup_key().as_str(), "10203040/1/1717364400/1717368000/-/-/-");
//! let FetchPlan::Fetch(fetch) = n.fetch_plan() else { unreachable!() };
//! let getmeas = fetch.getmeas.as_ref().unwrap();
//! // Every type: one weigh-in brings weight, body composition, heart rate, nerve score…
//! assert_eq!(getmeas.form().get("meastypes"), None);
//! assert_eq!(getmeas.form().get("startdate"), Some("1717364400"));
//! # Ok::<(), withings::Error>(())
//! ```
//!
//! With a client, [`Client::fetch`] sends every planned request (all pages, 24 h splits) and
//! returns decoded data:
//!
//! ```no_run
//! # async fn _run(client: &withings::Client, body: &[u8]) -> withings::Result<()> {
//! use withings::notification::{Delivery, FetchPlan};
//!
//! let n = Delivery::parse(body)?;
//! if let FetchPlan::Fetch(fetch) = n.fetch_plan() {
//!     let data = client.fetch(&fetch).await?;
//!     if let Some(m) = &data.measures {
//!         println!("{} new measure groups", m.groups.len());
//!     }
//! }
//! # Ok(()) }
//! ```

use std::fmt;

use jiff::civil::{Date, Time};
use jiff::tz::Offset;
use jiff::{SignedDuration, Timestamp};
use withings_decode::activity::{DailyActivity, IntradaySample};
use withings_decode::heart::HeartRecord;
use withings_decode::measure::Measurements;
use withings_decode::notify::decode_notification;
pub use withings_decode::notify::{EventDate, NotificationEvent, UserAction, Window};
use withings_decode::sleep::{SleepSegments, SleepSummary};
use withings_decode::workout::Workout;
use withings_decode::{Decode, Records};
use withings_model::activity::{GetActivity, GetIntradayActivity};
use withings_model::heart::HeartList;
use withings_model::measure::{GetMeas, MeasureType};
use withings_model::notify::Appli;
use withings_model::sleep::{GetSleep, GetSleepSummary};
use withings_model::workout::GetWorkouts;
use withings_model::{DateWindow, Endpoint, Paged, PagedBody, TimeSpan};

use crate::paging::Page;
use crate::{Client, Error, Result};

/// One delivery of a notification to a callback URL, decoded: the event it announces, the
/// key that recognises Withings' repeated deliveries of it, and what to fetch in answer.
///
/// (The wire form is [`withings_model::notify::Notification`]; the decoded event is
/// [`NotificationEvent`].)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    event: NotificationEvent,
}

impl Delivery {
    /// Parses the form body of the POST. Unknown keys and empty values are ignored; every key
    /// is optional (which ones come depends on the appli, API notes §7.8).
    ///
    /// # Errors
    /// [`Error::Notification`] naming the form key when `appli`, `startdate` or `enddate` is
    /// not an integer, a key is repeated with different values, or `date` is neither
    /// `YYYY-MM-DD` nor unix seconds.
    pub fn parse(form_body: &[u8]) -> Result<Self> {
        decode_notification(form_body)
            .map(Self::from_event)
            .map_err(|source| Error::Notification { source })
    }

    /// Wraps an already decoded event.
    #[must_use]
    pub fn from_event(event: NotificationEvent) -> Self {
        Self { event }
    }

    /// The decoded event: user, appli, window, device, action.
    #[must_use]
    pub fn event(&self) -> &NotificationEvent {
        &self.event
    }

    /// The decoded event.
    #[must_use]
    pub fn into_event(self) -> NotificationEvent {
        self.event
    }

    /// The category (`appli`).
    #[must_use]
    pub fn appli(&self) -> Option<Appli> {
        self.event.appli
    }

    /// The Withings user (absent for appli 53).
    #[must_use]
    pub fn user_id(&self) -> Option<&str> {
        self.event.user_id.as_deref()
    }

    /// A key equal for two deliveries of the same notification (Withings retries a delivery
    /// it thinks failed), whatever the order of the form keys or any unknown key: the user,
    /// appli, start, end, date, device and action, `/`-separated, `-` for an absent part.
    /// Keep the keys of recent deliveries (a few hours: the retries span about 5 h) and skip
    /// a notification whose key was seen.
    #[must_use]
    pub fn dedup_key(&self) -> DeliveryKey {
        let e = &self.event;
        let part = |v: Option<String>| v.unwrap_or_else(|| "-".to_owned());
        let date = e.window.date.map(|d| match d {
            EventDate::Day(day) => day.to_string(),
            EventDate::At(at) => at.as_second().to_string(),
            // A form added later to the non-exhaustive enum still gets a stable text.
            other => format!("{other:?}"),
        });
        // Free text (user and device ids, the action) could hold the separator: escape it.
        let text = |v: Option<&str>| v.map(|s| s.replace('%', "%25").replace('/', "%2F"));
        let key = [
            text(e.user_id.as_deref()),
            e.appli.map(|a| a.code().to_string()),
            e.window.start.map(|t| t.as_second().to_string()),
            e.window.end.map(|t| t.as_second().to_string()),
            date,
            text(e.device_id.as_deref()),
            text(e.action.as_ref().map(UserAction::as_str)),
        ]
        .into_iter()
        .map(part)
        .collect::<Vec<_>>()
        .join("/");
        DeliveryKey(key)
    }

    /// What to fetch now that this notification arrived (see [`FetchPlan`]).
    #[must_use]
    pub fn fetch_plan(&self) -> FetchPlan {
        FetchPlan::for_event(&self.event)
    }
}

/// Identifies one notification across Withings' repeated deliveries; see
/// [`Delivery::dedup_key`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeliveryKey(String);

impl DeliveryKey {
    /// The key as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DeliveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a notification asks you to do (API notes §7.8).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchPlan {
    /// New data: send these requests with the user's token ([`Client::fetch`]).
    ///
    /// - appli 1 (weight) and 58 (glucose): `getmeas` over `startdate`–`enddate`, every
    ///   type: one weigh-in on a Body Scan or Body Cardio brings groups of many types at
    ///   once (heart rate, vascular age, nerve score, water, visceral fat, segmental masses,
    ///   BMR, metabolic age, ESC: API notes §15), and the glucose type is not documented
    ///   reliably; narrow `getmeas.meastypes` yourself if you want fewer;
    /// - appli 2, 4: `getmeas` for the appli's measure types (2: temperature 12,71,73; 4:
    ///   blood pressure, pulse, SpO2 9,10,11,54);
    /// - appli 16: `getactivity`, `getintradayactivity` and `getworkouts`. A `date` gives
    ///   that local day (intraday: every instant that is that day in some zone, UTC−12 to
    ///   UTC+14); `startdate`/`enddate` give the range, with the days widened by one on each
    ///   side since the user's zone is not in the notification (API notes §11);
    /// - appli 44: `sleep getsummary` (days widened likewise) and `sleep get` over the range;
    ///   with only a `date`, `getsummary` for that day;
    /// - appli 54: `heart list` over the range (then `heart get` for each new signal) and
    ///   `getmeas` for the ECG's measures (130 afib, 135–139 intervals and PPG afib).
    Fetch(Box<Fetch>),
    /// Appli 46: the user's account changed; nothing to fetch. `unlink` and `delete` mean
    /// the tokens no longer work: forget them.
    UserChanged(Option<UserAction>),
    /// An event with no data to fetch: bed in/out (50, 51), inflation done (52), no account
    /// for a device (53: link it through the partner API), ECG failed (55).
    Nothing(Appli),
    /// A data appli whose notification carries no usable window: sync from your own
    /// `lastupdate` cursor instead.
    MissingWindow(Appli),
    /// No appli, or a code this library does not know.
    Unknown(Option<Appli>),
}

/// The requests a [`FetchPlan`] calls for: model requests, each sent in full by
/// [`Client::fetch`] (every page, every 24 h piece) when it is set.
///
/// Each field is the one declaration of its endpoint in [`withings_model`]: send one alone
/// with [`Client::send`] or [`Client::collect_all`], read its form with
/// [`Endpoint::form`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Fetch {
    /// `/measure getmeas`.
    pub getmeas: Option<GetMeas>,
    /// `/v2/measure getactivity`.
    pub getactivity: Option<GetActivity>,
    /// `/v2/measure getintradayactivity`.
    pub getintradayactivity: Option<GetIntradayActivity>,
    /// `/v2/measure getworkouts`.
    pub getworkouts: Option<GetWorkouts>,
    /// `/v2/sleep getsummary`.
    pub sleep_getsummary: Option<GetSleepSummary>,
    /// `/v2/sleep get`.
    pub sleep_get: Option<GetSleep>,
    /// `/v2/heart list`.
    pub heart_list: Option<HeartList>,
}

/// The decoded answers to a [`Fetch`]: a field is set when its request was.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Fetched {
    /// From `getmeas` (every page).
    pub measures: Option<Measurements>,
    /// From `getactivity` (every page).
    pub activity: Option<Records<DailyActivity>>,
    /// From `getintradayactivity` (every 24 h call, merged).
    pub intraday: Option<Records<IntradaySample>>,
    /// From `getworkouts` (every page).
    pub workouts: Option<Records<Workout>>,
    /// From `sleep getsummary` (every page).
    pub sleep_summaries: Option<Records<SleepSummary>>,
    /// From `sleep get` (every 24 h call, merged).
    pub sleep: Option<SleepSegments>,
    /// From `heart list` (every page).
    pub heart: Option<Records<HeartRecord>>,
}

impl Client {
    /// Sends every request of a [`Fetch`] in full — every page of a paged request, every
    /// 24 h piece of a split one — and returns the decoded data.
    ///
    /// # Errors
    /// The first error of [`Client::collect_all`] or [`Client::send`].
    pub async fn fetch(&self, fetch: &Fetch) -> Result<Fetched> {
        async fn all<E>(c: &Client, r: Option<&E>) -> Result<Option<crate::client::Output<E>>>
        where
            E: Paged,
            E::Body: PagedBody + Decode,
            crate::client::Output<E>: Page + Send + 'static,
        {
            match r {
                Some(r) => Ok(Some(c.collect_all(r.clone()).await?)),
                None => Ok(None),
            }
        }
        async fn one<E>(c: &Client, r: Option<&E>) -> Result<Option<crate::client::Output<E>>>
        where
            E: Endpoint,
            E::Body: Decode,
        {
            match r {
                Some(r) => Ok(Some(c.send(r).await?)),
                None => Ok(None),
            }
        }
        Ok(Fetched {
            measures: all(self, fetch.getmeas.as_ref()).await?,
            activity: all(self, fetch.getactivity.as_ref()).await?,
            intraday: one(self, fetch.getintradayactivity.as_ref()).await?,
            workouts: all(self, fetch.getworkouts.as_ref()).await?,
            sleep_summaries: all(self, fetch.sleep_getsummary.as_ref()).await?,
            sleep: one(self, fetch.sleep_get.as_ref()).await?,
            heart: all(self, fetch.heart_list.as_ref()).await?,
        })
    }
}

/// The measure types each measure appli announces (API notes §7.8).
fn meastypes_of(appli: Appli) -> &'static [MeasureType] {
    use MeasureType as M;
    match appli {
        Appli::Temperature => &[M::Temperature, M::BodyTemperature, M::SkinTemperature],
        Appli::BloodPressure => &[
            M::DiastolicBloodPressure,
            M::SystolicBloodPressure,
            M::HeartPulse,
            M::Spo2,
        ],
        Appli::Ecg => &[
            M::AfibEcg,
            M::QrsInterval,
            M::PrInterval,
            M::QtInterval,
            M::CorrectedQtInterval,
            M::AfibPpg,
        ],
        // Weight, glucose: every type (see `FetchPlan::Fetch`).
        _ => &[],
    }
}

/// The range of a notification: `startdate`/`enddate`; a lone bound or an instant `date`
/// stands for both ends.
fn range(w: &Window) -> Option<TimeSpan> {
    let at = match w.date {
        Some(EventDate::At(at)) => Some(at),
        _ => None,
    };
    let start = w.start.or(w.end).or(at)?;
    let end = w.end.or(w.start).or(at)?;
    Some(TimeSpan {
        start: start.min(end),
        end: start.max(end),
    })
}

fn utc_date(at: Timestamp) -> Date {
    Offset::UTC.to_datetime(at).date()
}

/// The local days a UTC range can fall on, whatever the user's zone: one more on each side.
fn widened_days(span: TimeSpan) -> DateWindow {
    let start = utc_date(span.start);
    let end = utc_date(span.end);
    DateWindow::Dates {
        start: start.yesterday().unwrap_or(start),
        end: end.tomorrow().unwrap_or(end),
    }
}

/// Every instant that is local day `day` in some zone (UTC−12 to UTC+14).
fn any_zone_day(day: Date) -> Option<TimeSpan> {
    let midnight = Offset::UTC
        .to_timestamp(day.to_datetime(Time::midnight()))
        .ok()?;
    Some(TimeSpan {
        start: midnight.checked_sub(SignedDuration::from_hours(14)).ok()?,
        end: midnight.checked_add(SignedDuration::from_hours(36)).ok()?,
    })
}

impl FetchPlan {
    fn fetch(fetch: Fetch) -> Self {
        Self::Fetch(Box::new(fetch))
    }

    /// The plan for a decoded notification.
    #[must_use]
    pub fn for_event(event: &NotificationEvent) -> Self {
        let Some(appli) = event.appli else {
            return Self::Unknown(None);
        };
        let w = &event.window;
        let day = match w.date {
            Some(EventDate::Day(d)) => Some(d),
            _ => None,
        };
        let span = range(w);
        match appli {
            Appli::Weight | Appli::Temperature | Appli::BloodPressure | Appli::Glucose => {
                let Some(span) = span else {
                    return Self::MissingWindow(appli);
                };
                let req = GetMeas::new()
                    .meastypes(meastypes_of(appli).iter().copied())
                    .between(span.start, span.end);
                Self::fetch(Fetch {
                    getmeas: Some(req),
                    ..Fetch::default()
                })
            }
            Appli::Activity => {
                let (days, intraday) = match (day, span) {
                    // A local day is exact: prefer it to a range.
                    (Some(d), _) => (DateWindow::Dates { start: d, end: d }, any_zone_day(d)),
                    (None, Some(span)) => (widened_days(span), Some(span)),
                    (None, None) => return Self::MissingWindow(appli),
                };
                Self::fetch(Fetch {
                    getactivity: Some(GetActivity::new().window(days)),
                    getintradayactivity: intraday.map(|span| GetIntradayActivity::new().span(span)),
                    getworkouts: Some(GetWorkouts::new().window(days)),
                    ..Fetch::default()
                })
            }
            Appli::Sleep => match (span, day) {
                (Some(span), _) => Self::fetch(Fetch {
                    sleep_getsummary: Some(GetSleepSummary::new().window(widened_days(span))),
                    sleep_get: Some(GetSleep::new().span(span)),
                    ..Fetch::default()
                }),
                (None, Some(d)) => Self::fetch(Fetch {
                    sleep_getsummary: Some(GetSleepSummary::new().dates(d, d)),
                    ..Fetch::default()
                }),
                (None, None) => Self::MissingWindow(appli),
            },
            Appli::Ecg => match span {
                Some(span) => Self::fetch(Fetch {
                    getmeas: Some(
                        GetMeas::new()
                            .meastypes(meastypes_of(appli).iter().copied())
                            .between(span.start, span.end),
                    ),
                    heart_list: Some(HeartList::new().span(span)),
                    ..Fetch::default()
                }),
                None => Self::MissingWindow(appli),
            },
            Appli::User => Self::UserChanged(event.action.clone()),
            Appli::BedIn
            | Appli::BedOut
            | Appli::InflateDone
            | Appli::NoAccount
            | Appli::EcgFailed => Self::Nothing(appli),
            other => Self::Unknown(Some(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedup_key_ignores_key_order_and_unknown_keys() {
        let a = Delivery::parse(b"userid=1&appli=44&startdate=10&enddate=20").unwrap();
        let b = Delivery::parse(b"enddate=20&foo=bar&appli=44&startdate=10&userid=1").unwrap();
        assert_eq!(a.dedup_key(), b.dedup_key());
        let c = Delivery::parse(b"userid=1&appli=44&startdate=10&enddate=21").unwrap();
        assert_ne!(a.dedup_key(), c.dedup_key());
        let d = Delivery::parse(b"userid=a%2Fb&appli=46&action=unlink").unwrap();
        assert_eq!(d.dedup_key().as_str(), "a%2Fb/46/-/-/-/-/unlink");
    }

    #[test]
    fn widened_days_cover_every_zone() {
        let span = TimeSpan {
            start: Timestamp::from_second(1_717_372_800).unwrap(), // 2024-06-03T00:00Z
            end: Timestamp::from_second(1_717_459_199).unwrap(),
        };
        assert_eq!(
            widened_days(span),
            DateWindow::Dates {
                start: jiff::civil::date(2024, 6, 2),
                end: jiff::civil::date(2024, 6, 4)
            }
        );
        let day = any_zone_day(jiff::civil::date(2024, 6, 3)).unwrap();
        assert_eq!(day.start.to_string(), "2024-06-02T10:00:00Z");
        assert_eq!(day.end.to_string(), "2024-06-04T12:00:00Z");
    }
}
