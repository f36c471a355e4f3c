//! `/notify` (no `v2/` prefix): webhook subscriptions (`subscribe`, `get`, `list`, `update`,
//! `revoke`; API notes §4.1, §5.12), and the [`Notification`] Withings POSTs to a callback URL
//! (API notes §8).
//!
//! Callback URLs are plain strings: Withings checks them (https, ≤ 255 characters, no IP, no
//! `localhost`, ports 80/443, API notes §3.1) and answers status 293 when they do not pass.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::EmptyBody;
use crate::endpoint::{Endpoint, Form, Service};
use crate::items::{Items, Record, check_opt_seconds};
use crate::scope::Scope;
use crate::url::CallbackUrl;

open_enum! {
    /// Notification category (`appli`, API notes §7.8). Every source but one agrees on exactly
    /// these codes.
    pub enum Appli {
        /// New weight or body-composition data (fetch with getmeas).
        Weight = 1 => "weight",
        /// New temperature data (getmeas).
        Temperature = 2 => "temperature",
        /// New blood pressure, heart rate or SpO2 data (getmeas).
        BloodPressure = 4 => "blood_pressure",
        /// New activity data (getactivity, getintradayactivity, getworkouts).
        Activity = 16 => "activity",
        /// New sleep data (sleep getsummary / get).
        Sleep = 44 => "sleep",
        /// A user profile action: `action` says `delete`, `unlink` or `update`.
        User = 46 => "user",
        /// The user got into bed.
        BedIn = 50 => "bed_in",
        /// The user got out of bed.
        BedOut = 51 => "bed_out",
        /// The sleep sensor finished its initial inflation.
        InflateDone = 52 => "inflate_done",
        /// A cellular / Data Hub device with no linked account (subscribed signed, per app).
        NoAccount = 53 => "no_account",
        /// New ECG data (heart list, then get).
        Ecg = 54 => "ecg",
        /// An ECG measure failed.
        EcgFailed = 55 => "ecg_failed",
        /// New glucose data (getmeas).
        Glucose = 58 => "glucose",
    }
}

/// `action=subscribe`: sends notifications of `appli` for this user to `callbackurl`.
/// Status 293 means the URL is invalid or did not answer Withings' HEAD probe (API notes §8).
///
/// The URL is a [`CallbackUrl`], checked against Withings' rules when it is made, so a
/// subscription with a URL Withings would refuse cannot even be built:
///
/// ```
/// use withings_model::notify::{Appli, Subscribe};
/// use withings_model::url::{CallbackUrl, UrlRule};
/// use withings_model::Endpoint;
///
/// let url = CallbackUrl::parse("https://example.com/withings/notify/4f1c")?;
/// let req = Subscribe::new(url, Appli::Weight).comment("weight sync");
/// assert_eq!(req.form().get("appli"), Some("1"));
/// assert_eq!(CallbackUrl::parse("http://192.168.1.20:8123/hook"), Err(UrlRule::NotHttps));
/// # Ok::<(), UrlRule>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Subscribe {
    /// `callbackurl`.
    pub callbackurl: CallbackUrl,
    /// `appli`.
    pub appli: Appli,
    /// `comment`: a free-text label.
    pub comment: Option<String>,
}

impl Subscribe {
    /// Subscribes `callbackurl` to `appli`.
    #[must_use]
    pub fn new(callbackurl: CallbackUrl, appli: Appli) -> Self {
        Self {
            callbackurl,
            appli,
            comment: None,
        }
    }

    /// Adds a `comment`.
    #[must_use]
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }
}

impl Endpoint for Subscribe {
    const SERVICE: Service = Service::Notify;
    const ACTION: &'static str = "subscribe";
    // A retried subscribe can subscribe twice (or fail with 293 the second time).
    const IDEMPOTENT: bool = false;
    // The scope of the appli (API notes §7.8); no single scope covers every appli.
    const SCOPES: &'static [Scope] = &[];
    type Body = EmptyBody;

    fn encode(&self, form: &mut Form) {
        form.push("callbackurl", self.callbackurl.as_str())
            .int("appli", self.appli.code());
        if let Some(comment) = &self.comment {
            form.push("comment", comment.as_str());
        }
    }
}

/// Declares a request that names one existing subscription: `callbackurl` (any text: it
/// must match what was subscribed, even a URL Withings would refuse today) and an optional
/// `appli` (the server's default is 1).
macro_rules! subscription_request {
    (
        $(#[$doc:meta])*
        $name:ident { action: $action:literal, idempotent: $idem:literal, body: $body:ty $(,)? }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub struct $name {
            /// `callbackurl`.
            pub callbackurl: String,
            /// `appli`; the server's default is 1 (weight).
            pub appli: Option<Appli>,
        }

        impl $name {
            /// For the subscription of `callbackurl` (default appli).
            #[must_use]
            pub fn new(callbackurl: impl Into<String>) -> Self {
                Self {
                    callbackurl: callbackurl.into(),
                    appli: None,
                }
            }

            /// For this `appli`.
            #[must_use]
            pub fn appli(mut self, appli: Appli) -> Self {
                self.appli = Some(appli);
                self
            }
        }

        impl Endpoint for $name {
            const SERVICE: Service = Service::Notify;
            const ACTION: &'static str = $action;
            const IDEMPOTENT: bool = $idem;
            // The scope of the appli (API notes §7.8); no single scope covers every appli.
            const SCOPES: &'static [Scope] = &[];
            type Body = $body;

            fn encode(&self, form: &mut Form) {
                form.push("callbackurl", self.callbackurl.as_str())
                    .opt_int("appli", self.appli.map(Appli::code));
            }
        }
    };
}

subscription_request! {
/// `action=get`: the subscription of `callbackurl` (for `appli`, which the server takes as 1
/// when omitted).
    NotifyGet { action: "get", idempotent: true, body: NotifyGetBody }
}

/// The body of `notify get`: one subscription (not a list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NotifyGetBody {
    /// The category; absent in some payloads (then unknown).
    #[serde(default)]
    pub appli: Option<Appli>,
    /// The callback URL.
    pub callbackurl: String,
    /// The comment given at subscription. Optional because `subscribe` takes no comment
    /// when none is given, and what `get` then returns is not documented.
    #[serde(default)]
    pub comment: Option<String>,
    /// Expiry (unix seconds; 2147483647 means never). Not in the current spec; a
    /// `YYYY-MM-DD` date has been seen too (read as 00:00 UTC that day).
    #[serde(default, deserialize_with = "crate::de::opt_unix_or_date::deserialize")]
    pub expires: Option<i64>,
}

/// `action=list`: every subscription of the user, optionally for one `appli`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NotifyList {
    /// `appli`: only this category.
    pub appli: Option<Appli>,
}

impl NotifyList {
    /// Every subscription.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Only subscriptions for `appli`.
    #[must_use]
    pub fn appli(mut self, appli: Appli) -> Self {
        self.appli = Some(appli);
        self
    }
}

impl Endpoint for NotifyList {
    const SERVICE: Service = Service::Notify;
    const ACTION: &'static str = "list";
    const IDEMPOTENT: bool = true;
    // The scope of the appli (API notes §7.8); no single scope covers every appli.
    const SCOPES: &'static [Scope] = &[];
    type Body = NotifyListBody;

    fn encode(&self, form: &mut Form) {
        if let Some(appli) = self.appli {
            form.int("appli", appli.code());
        }
    }
}

/// The body of `notify list`: `{profiles: [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NotifyListBody {
    /// The subscriptions. A subscription that cannot be read is left out and listed in
    /// [`rejected`](crate::Items::rejected) (API notes §15).
    pub profiles: Items<Profile>,
}

/// One subscription in `notify list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Profile {
    /// The category; absent in some payloads (then unknown).
    #[serde(default)]
    pub appli: Option<Appli>,
    /// The callback URL.
    pub callbackurl: String,
    /// The comment given at subscription (`""` seen; optional as in [`NotifyGetBody`]).
    #[serde(default)]
    pub comment: Option<String>,
    /// Expiry (unix seconds); `2147483647` (the largest 32-bit time) means never. Not in the
    /// current spec, present in real payloads; a `YYYY-MM-DD` date has been seen too (read as
    /// 00:00 UTC that day).
    #[serde(default, deserialize_with = "crate::de::opt_unix_or_date::deserialize")]
    pub expires: Option<i64>,
}

/// A subscription is read on its own (see [`Items`]): its `expires` must be an instant the
/// decoder can represent.
impl Record for Profile {
    const LIST: &'static str = "body.profiles";

    fn check(&self) -> Result<(), String> {
        check_opt_seconds(self.expires, "expires")
    }
}

/// `action=update`: changes one thing of the subscription (`callbackurl`, `appli`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Update {
    /// `callbackurl` of the subscription to change.
    pub callbackurl: String,
    /// `appli` of the subscription to change.
    pub appli: Appli,
    /// The change: the API accepts exactly one.
    pub change: UpdateChange,
}

/// What an [`Update`] changes; the spec makes the three mutually exclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpdateChange {
    /// `new_callbackurl`, checked like a subscription's.
    CallbackUrl(CallbackUrl),
    /// `new_appli`.
    Appli(Appli),
    /// `comment`.
    Comment(String),
}

impl Update {
    /// Applies `change` to the subscription of `callbackurl` for `appli`.
    #[must_use]
    pub fn new(callbackurl: impl Into<String>, appli: Appli, change: UpdateChange) -> Self {
        Self {
            callbackurl: callbackurl.into(),
            appli,
            change,
        }
    }
}

impl Endpoint for Update {
    const SERVICE: Service = Service::Notify;
    const ACTION: &'static str = "update";
    // A retried update may report a failure for a change that was made.
    const IDEMPOTENT: bool = false;
    // The scope of the appli (API notes §7.8); no single scope covers every appli.
    const SCOPES: &'static [Scope] = &[];
    type Body = EmptyBody;

    fn encode(&self, form: &mut Form) {
        form.push("callbackurl", self.callbackurl.as_str())
            .int("appli", self.appli.code());
        match &self.change {
            UpdateChange::CallbackUrl(url) => form.push("new_callbackurl", url.as_str()),
            UpdateChange::Appli(appli) => form.int("new_appli", appli.code()),
            UpdateChange::Comment(comment) => form.push("comment", comment.as_str()),
        };
    }
}

subscription_request! {
    /// `action=revoke`: removes the subscription of `callbackurl` (for `appli`, or the
    /// server's default). Status 294 means there was no such subscription.
    ///
    /// Not idempotent: a retried revoke answers 294 for a revoke that worked.
    Revoke { action: "revoke", idempotent: false, body: EmptyBody }
}

/// A notification as Withings POSTs it to a callback URL: an
/// `application/x-www-form-urlencoded` body such as
/// `userid=10203040&appli=44&startdate=1717364400&enddate=1717393800` (API notes §8).
///
/// Which keys come depends on the appli and is only partly documented (API notes §7.8, §14),
/// so every field is optional. Unknown keys are ignored (the docs' own example carries a
/// stray `foo=bar`), and so are empty values. Notifications are unsigned: treat one as a hint
/// to re-fetch with your own token, never as data.
///
/// ```
/// use withings_model::notify::{Appli, Notification};
///
/// let n = Notification::from_form(b"userid=10203040&appli=44&startdate=1717364400&enddate=1717393800").unwrap();
/// assert_eq!(n.appli, Some(Appli::Sleep));
/// assert_eq!((n.startdate, n.enddate), (Some(1717364400), Some(1717393800)));
/// assert!(Notification::from_form(b"appli=44&startdate=abc").is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Notification {
    /// `userid`; absent for appli 53 (no account).
    pub userid: Option<String>,
    /// `appli`.
    pub appli: Option<Appli>,
    /// `startdate` (unix seconds): start of the data to fetch.
    pub startdate: Option<i64>,
    /// `enddate` (unix seconds): end of the data to fetch.
    pub enddate: Option<i64>,
    /// `date`: a `YYYY-MM-DD` day (appli 16), or unix seconds for some events; kept as text.
    pub date: Option<String>,
    /// `deviceid` (bed events, appli 53).
    pub deviceid: Option<String>,
    /// `action` for appli 46: `delete`, `unlink` or `update`.
    pub action: Option<String>,
}

/// A notification body that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotificationError {
    /// A key that must hold an integer (`appli`, `startdate`, `enddate`) holds something else.
    NotAnInteger {
        /// The form key.
        key: &'static str,
        /// The value received.
        value: String,
    },
    /// A known key appears twice with different values: which one is meant is ambiguous.
    Repeated {
        /// The form key.
        key: &'static str,
    },
}

impl NotificationError {
    /// The form key at fault.
    #[must_use]
    pub fn key(&self) -> &'static str {
        match self {
            Self::NotAnInteger { key, .. } | Self::Repeated { key } => key,
        }
    }
}

impl fmt::Display for NotificationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAnInteger { key, value } => {
                write!(
                    f,
                    "notification key `{key}` holds `{value}`, which is not an integer"
                )
            }
            Self::Repeated { key } => write!(
                f,
                "notification key `{key}` appears twice with different values"
            ),
        }
    }
}

impl std::error::Error for NotificationError {}

impl Notification {
    /// Parses the form body of a notification request.
    ///
    /// # Errors
    /// [`NotificationError`] naming the key when `appli`, `startdate` or `enddate` is not an
    /// integer, or when a known key is repeated with different values.
    pub fn from_form(bytes: &[u8]) -> Result<Self, NotificationError> {
        let mut n = Self::default();
        for (key, value) in form_urlencoded::parse(bytes) {
            if value.is_empty() {
                continue;
            }
            match key.as_ref() {
                "userid" => set(&mut n.userid, "userid", value.into_owned())?,
                "appli" => set(
                    &mut n.appli,
                    "appli",
                    Appli::from_code(integer("appli", &value)?),
                )?,
                "startdate" => set(&mut n.startdate, "startdate", integer("startdate", &value)?)?,
                "enddate" => set(&mut n.enddate, "enddate", integer("enddate", &value)?)?,
                "date" => set(&mut n.date, "date", value.into_owned())?,
                "deviceid" => set(&mut n.deviceid, "deviceid", value.into_owned())?,
                "action" => set(&mut n.action, "action", value.into_owned())?,
                _ => {}
            }
        }
        Ok(n)
    }
}

fn integer(key: &'static str, value: &str) -> Result<i64, NotificationError> {
    value.parse().map_err(|_| NotificationError::NotAnInteger {
        key,
        value: value.to_owned(),
    })
}

fn set<T: PartialEq>(
    slot: &mut Option<T>,
    key: &'static str,
    value: T,
) -> Result<(), NotificationError> {
    match slot {
        Some(old) if *old != value => Err(NotificationError::Repeated { key }),
        _ => {
            *slot = Some(value);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{Reply, parse_reply};

    const URL: &str = "https://example.org/hooks/withings/3f9a";

    #[test]
    fn requests_encode() {
        let f = Subscribe::new(CallbackUrl::parse(URL).unwrap(), Appli::Sleep)
            .comment("sleep")
            .form();
        assert_eq!(
            f.encode(),
            "action=subscribe&callbackurl=https%3A%2F%2Fexample.org%2Fhooks%2Fwithings%2F3f9a&appli=44&comment=sleep"
        );
        assert_eq!(Subscribe::fixture_dir(), "notify-subscribe");
        assert_eq!(NotifyGet::new(URL).form().get("appli"), None);
        assert_eq!(
            NotifyGet::new(URL).appli(Appli::Ecg).form().get("appli"),
            Some("54")
        );
        assert_eq!(NotifyList::new().form().encode(), "action=list");
        assert_eq!(
            NotifyList::new().appli(Appli::Weight).form().encode(),
            "action=list&appli=1"
        );
        assert_eq!(
            Revoke::new(URL).appli(Appli::User).form().get("appli"),
            Some("46")
        );
    }

    #[test]
    fn update_sends_exactly_one_change() {
        let keys = |change| {
            Update::new(URL, Appli::Weight, change)
                .form()
                .pairs()
                .map(|(k, _)| k.to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            keys(UpdateChange::CallbackUrl(
                CallbackUrl::parse("https://example.org/new").unwrap()
            )),
            ["action", "callbackurl", "appli", "new_callbackurl"]
        );
        assert_eq!(
            keys(UpdateChange::Appli(Appli::Temperature)),
            ["action", "callbackurl", "appli", "new_appli"]
        );
        assert_eq!(
            keys(UpdateChange::Comment("x".into())),
            ["action", "callbackurl", "appli", "comment"]
        );
        let f = Update::new(URL, Appli::Weight, UpdateChange::Appli(Appli::Temperature)).form();
        assert_eq!(f.get("new_appli"), Some("2"));
    }

    #[test]
    fn list_with_escaped_urls_and_never_expiring() {
        let json = br#"{"status":0,"body":{"profiles":[{"appli":1,"callbackurl":"https:\/\/example.org\/h","expires":2147483647,"comment":""},{"appli":99,"callbackurl":"https:\/\/example.org\/h","comment":null}]}}"#;
        let Reply::Ok(body) = parse_reply::<NotifyListBody>(json).unwrap() else {
            panic!()
        };
        assert_eq!(body.profiles[0].callbackurl, "https://example.org/h");
        assert_eq!(body.profiles[0].comment.as_deref(), Some(""));
        assert_eq!(body.profiles[1].appli, Some(Appli::from_code(99)));
        assert_eq!(
            (
                body.profiles[1].comment.as_deref(),
                body.profiles[1].expires
            ),
            (None, None)
        );
    }

    #[test]
    fn notification_reads_known_keys_and_ignores_others() {
        let n = Notification::from_form(b"userid=10203040&appli=46&action=unlink&foo=bar").unwrap();
        assert_eq!(n.userid.as_deref(), Some("10203040"));
        assert_eq!(
            (n.appli, n.action.as_deref()),
            (Some(Appli::User), Some("unlink"))
        );
        let n = Notification::from_form(b"appli=53&deviceid=0a1b2c").unwrap();
        assert_eq!((n.userid, n.deviceid.as_deref()), (None, Some("0a1b2c")));
        let n = Notification::from_form(b"userid=1&appli=16&date=2024-06-03&startdate=").unwrap();
        assert_eq!((n.date.as_deref(), n.startdate), (Some("2024-06-03"), None));
        assert_eq!(
            Notification::from_form(b"").unwrap(),
            Notification::default()
        );
        assert_eq!(
            Notification::from_form(b"appli=99").unwrap().appli,
            Some(Appli::from_code(99))
        );
        // Same value twice is harmless; different values are ambiguous.
        assert!(Notification::from_form(b"appli=1&appli=1").is_ok());
        let e = Notification::from_form(b"appli=1&appli=4").unwrap_err();
        assert_eq!(e, NotificationError::Repeated { key: "appli" });
    }

    #[test]
    fn notification_errors_name_the_key() {
        let e = Notification::from_form(b"userid=1&appli=44&startdate=abc&enddate=1717393800")
            .unwrap_err();
        assert_eq!(e.key(), "startdate");
        assert_eq!(
            e.to_string(),
            "notification key `startdate` holds `abc`, which is not an integer"
        );
        assert_eq!(
            Notification::from_form(b"appli=4.0").unwrap_err().key(),
            "appli"
        );
        assert_eq!(
            Notification::from_form(b"enddate=%2B%2B")
                .unwrap_err()
                .key(),
            "enddate"
        );
    }
}
single_body!(NotifyGetBody, NotifyListBody);
