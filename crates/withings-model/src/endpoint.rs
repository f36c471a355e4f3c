//! Endpoints described as data.
//!
//! Every Withings call is a POST of a form to a service path, with the verb in `action`. An
//! [`Endpoint`] is a request type that knows its [`Service`], its action, how its parameters
//! encode into the [`Form`] (unix seconds or `YYYY-MM-DD`, comma lists, `meastypes` rather than
//! `meastype` for lists) and which body type answers it. One generic path in `withings-http`
//! sends any of them; nothing here is written out twice.

use std::borrow::Cow;
use std::fmt;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::de::DeserializeOwned;

/// A Withings web service: the path part of the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Service {
    /// `/measure` (no `v2/` prefix): getmeas.
    Measure,
    /// `/v2/measure`: getactivity, getintradayactivity, getworkouts, confirmuser.
    MeasureV2,
    /// `/v2/sleep`: get, getsummary.
    Sleep,
    /// `/v2/heart`: list, get.
    Heart,
    /// `/v2/stetho`: list, get.
    Stetho,
    /// `/v2/user`: getdevice, getgoals.
    User,
    /// `/notify` (no `v2/` prefix): subscribe, get, list, update, revoke.
    Notify,
    /// `/v2/oauth2`: requesttoken, revoke, getdemoaccess.
    OAuth2,
    /// `/v2/signature`: getnonce.
    Signature,
}

impl Service {
    /// Every service this crate describes.
    pub const ALL: &'static [Self] = &[
        Self::Measure,
        Self::MeasureV2,
        Self::Sleep,
        Self::Heart,
        Self::Stetho,
        Self::User,
        Self::Notify,
        Self::OAuth2,
        Self::Signature,
    ];

    /// The URL path under the API host, e.g. `/v2/sleep`.
    #[must_use]
    pub const fn path(self) -> &'static str {
        match self {
            Self::Measure => "/measure",
            Self::MeasureV2 => "/v2/measure",
            Self::Sleep => "/v2/sleep",
            Self::Heart => "/v2/heart",
            Self::Stetho => "/v2/stetho",
            Self::User => "/v2/user",
            Self::Notify => "/notify",
            Self::OAuth2 => "/v2/oauth2",
            Self::Signature => "/v2/signature",
        }
    }

    /// The path as one word, slashes turned into dashes: `v2-sleep`. Names fixture folders
    /// (`fixtures/<slug>-<action>/`).
    #[must_use]
    pub const fn slug(self) -> &'static str {
        match self {
            Self::Measure => "measure",
            Self::MeasureV2 => "v2-measure",
            Self::Sleep => "v2-sleep",
            Self::Heart => "v2-heart",
            Self::Stetho => "v2-stetho",
            Self::User => "v2-user",
            Self::Notify => "notify",
            Self::OAuth2 => "v2-oauth2",
            Self::Signature => "v2-signature",
        }
    }

    /// The service for a path (`/v2/sleep`), slug (`v2-sleep`) or bare name (`sleep`,
    /// `measure`); bare `measure` is the v1 `/measure` service.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().trim_start_matches('/');
        Self::ALL.iter().copied().find(|svc| {
            let path = &svc.path()[1..];
            s == path || s == svc.slug() || path.strip_prefix("v2/") == Some(s)
        })
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.path())
    }
}

/// A request to one Withings action, described as data.
pub trait Endpoint {
    /// The service (URL path) the action lives on.
    const SERVICE: Service;
    /// The `action` form field.
    const ACTION: &'static str;
    /// The wire type of the `body` of a successful response.
    type Body: DeserializeOwned;
    /// Adds this request's parameters (everything but `action`) to the form.
    fn encode(&self, form: &mut Form);

    /// The whole form for this request: `action` first, then the parameters.
    fn form(&self) -> Form {
        let mut form = Form::new();
        form.push("action", Self::ACTION);
        self.encode(&mut form);
        form
    }

    /// The fixture folder for this endpoint's responses: `<service slug>-<action>`.
    #[must_use]
    fn fixture_dir() -> String
    where
        Self: Sized,
    {
        format!("{}-{}", Self::SERVICE.slug(), Self::ACTION)
    }
}

/// A paged request: the next page is the same request with a new `offset`.
pub trait Paged: Endpoint
where
    Self::Body: PagedBody,
{
    /// Sets the `offset` to ask for.
    fn set_offset(&mut self, offset: i64);
}

/// Implements [`Paged`] for a request with an `offset: Option<i64>` field and [`PagedBody`]
/// for its body with `more: bool` and `offset: Option<i64>` fields: every paged action of the
/// API has that shape.
macro_rules! paged {
    ($request:ty => $body:ty) => {
        impl $crate::endpoint::Paged for $request {
            fn set_offset(&mut self, offset: i64) {
                self.offset = Some(offset);
            }
        }

        impl $crate::endpoint::PagedBody for $body {
            fn more(&self) -> bool {
                self.more
            }
            fn offset(&self) -> Option<i64> {
                self.offset
            }
        }
    };
}

/// A body that says whether more pages follow (`more`, `offset`).
pub trait PagedBody {
    /// Whether the server says another page follows.
    fn more(&self) -> bool;
    /// The offset to ask for next, when given.
    fn offset(&self) -> Option<i64>;
}

/// The form body of a request, as ordered key/value pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    // Keys are nearly always the API's fixed names; `Cow` lets the escape hatch
    // (`withings raw … key=value`) pass keys typed at run time without leaking them.
    pairs: Vec<(Cow<'static, str>, String)>,
}

impl Form {
    /// An empty form.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a parameter as text. The key is usually one of the API's names (`"startdate"`);
    /// an owned `String` works too.
    pub fn push(
        &mut self,
        key: impl Into<Cow<'static, str>>,
        value: impl Into<String>,
    ) -> &mut Self {
        self.pairs.push((key.into(), value.into()));
        self
    }

    /// Adds an integer parameter.
    pub fn int(&mut self, key: &'static str, value: i64) -> &mut Self {
        self.push(key, value.to_string())
    }

    /// Adds an instant as unix seconds (`startdate`, `enddate`, `lastupdate`).
    pub fn unix(&mut self, key: &'static str, at: Timestamp) -> &mut Self {
        self.int(key, at.as_second())
    }

    /// Adds a calendar date as `YYYY-MM-DD` (`startdateymd`, `enddateymd`).
    pub fn ymd(&mut self, key: &'static str, date: Date) -> &mut Self {
        self.push(key, date.strftime("%Y-%m-%d").to_string())
    }

    /// Adds a list as one comma-separated value (`meastypes`, `data_fields`); nothing is added
    /// for an empty list.
    pub fn list<I>(&mut self, key: &'static str, items: I) -> &mut Self
    where
        I: IntoIterator,
        I::Item: fmt::Display,
    {
        use fmt::Write;
        let mut joined = String::new();
        for item in items {
            if !joined.is_empty() {
                joined.push(',');
            }
            let _ = write!(joined, "{item}");
        }
        if !joined.is_empty() {
            self.push(key, joined);
        }
        self
    }

    /// Adds a boolean as `true` / `false`.
    pub fn flag(&mut self, key: &'static str, value: bool) -> &mut Self {
        self.push(key, if value { "true" } else { "false" })
    }

    /// Adds a unix-seconds window: `startdate`+`enddate`, or `lastupdate`.
    pub fn time_window(&mut self, window: &TimeWindow) -> &mut Self {
        match *window {
            TimeWindow::Range { start, end } => self.unix("startdate", start).unix("enddate", end),
            TimeWindow::LastUpdate(at) => self.unix("lastupdate", at),
        }
    }

    /// Adds a calendar window: `startdateymd`+`enddateymd`, or `lastupdate`.
    pub fn date_window(&mut self, window: &DateWindow) -> &mut Self {
        match *window {
            DateWindow::Dates { start, end } => {
                self.ymd("startdateymd", start).ymd("enddateymd", end)
            }
            DateWindow::LastUpdate(at) => self.unix("lastupdate", at),
        }
    }

    /// The value of the first parameter named `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The pairs, in order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_ref(), v.as_str()))
    }

    /// The `application/x-www-form-urlencoded` body.
    #[must_use]
    pub fn encode(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.pairs())
            .finish()
    }
}

/// A window of instants, sent as unix seconds: a `startdate`/`enddate` range or everything
/// created or modified since `lastupdate` (the two are mutually exclusive in the API).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeWindow {
    /// From `start` to `end`.
    Range {
        /// `startdate`.
        start: Timestamp,
        /// `enddate`.
        end: Timestamp,
    },
    /// Everything created or updated after this instant (`lastupdate`): the cursor for sync.
    LastUpdate(Timestamp),
}

/// A window of local calendar days, sent as `YYYY-MM-DD`, or a `lastupdate` cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateWindow {
    /// From `start` to `end`, both inclusive, as dates in the user's time zone.
    Dates {
        /// `startdateymd`.
        start: Date,
        /// `enddateymd`.
        end: Date,
    },
    /// Everything created or updated after this instant (`lastupdate`).
    LastUpdate(Timestamp),
}

/// A `startdate`/`enddate` span for actions that take no `lastupdate` (sleep get, intraday
/// activity, heart and stetho list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeSpan {
    /// `startdate`.
    pub start: Timestamp,
    /// `enddate`.
    pub end: Timestamp,
}

impl Form {
    /// Adds a `startdate`/`enddate` span.
    pub fn span(&mut self, span: &TimeSpan) -> &mut Self {
        self.unix("startdate", span.start).unix("enddate", span.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_parse_accepts_path_slug_and_bare_name() {
        assert_eq!(Service::parse("/v2/sleep"), Some(Service::Sleep));
        assert_eq!(Service::parse("v2-sleep"), Some(Service::Sleep));
        assert_eq!(Service::parse("sleep"), Some(Service::Sleep));
        assert_eq!(Service::parse("measure"), Some(Service::Measure));
        assert_eq!(Service::parse("v2/measure"), Some(Service::MeasureV2));
        assert_eq!(Service::parse("notify"), Some(Service::Notify));
        assert_eq!(Service::parse("nope"), None);
    }

    #[test]
    fn form_encodes_dates_lists_and_windows() {
        let mut form = Form::new();
        form.push("action", "getactivity")
            .date_window(&DateWindow::Dates {
                start: jiff::civil::date(2024, 6, 1),
                end: jiff::civil::date(2024, 6, 3),
            })
            .list("data_fields", ["steps", "distance"])
            .list("empty", Vec::<i64>::new());
        assert_eq!(
            form.encode(),
            "action=getactivity&startdateymd=2024-06-01&enddateymd=2024-06-03&data_fields=steps%2Cdistance"
        );
        let mut form = Form::new();
        form.time_window(&TimeWindow::LastUpdate(
            Timestamp::from_second(1_717_430_000).unwrap(),
        ));
        assert_eq!(form.get("lastupdate"), Some("1717430000"));
        assert_eq!(form.get("startdate"), None);
    }
}
