//! Webhook subscriptions (`notify list`, `notify get`) and inbound notifications.
//!
//! `subscribe`, `update` and `revoke` answer an empty body
//! ([`EmptyBody`](withings_model::EmptyBody)), which decodes to itself.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Serialize, Serializer};
use withings_model::notify::{self as wire, Appli, Notification, NotificationError};

use crate::time::{timestamp, ymd};
use crate::{Decode, DecodeError, Records};

/// `expires` value that means "never": the largest 32-bit unix time (API notes §5.12).
pub const NEVER_EXPIRES: i64 = 2_147_483_647;

/// When a subscription expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expiry {
    /// The API sent `2147483647`, its "never".
    Never,
    /// At this instant.
    At(Timestamp),
}

/// Serializes as `"never"` or the instant.
impl Serialize for Expiry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Never => s.serialize_str("never"),
            Self::At(at) => at.serialize(s),
        }
    }
}

/// A notification subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Subscription {
    /// The category; unknown codes are kept; `None` when the payload leaves it out.
    pub appli: Option<Appli>,
    /// The URL notifications are POSTed to.
    pub callback_url: String,
    /// The comment given at subscription; `None` when absent or empty.
    pub comment: Option<String>,
    /// When it expires; `None` when the response does not say (the current spec has no
    /// `expires`).
    pub expires: Option<Expiry>,
}

fn subscription(
    appli: Option<Appli>,
    callbackurl: String,
    comment: Option<String>,
    expires: Option<i64>,
    path: impl FnOnce() -> String,
) -> Result<Subscription, DecodeError> {
    let expires = match expires {
        Some(NEVER_EXPIRES) => Some(Expiry::Never),
        Some(seconds) => Some(Expiry::At(timestamp(seconds, path)?)),
        None => None,
    };
    Ok(Subscription {
        appli,
        callback_url: callbackurl,
        comment: comment.filter(|c| !c.is_empty()),
        expires,
    })
}

/// A subscription that cannot be read (`body.profiles[i]`) is left out and listed in the
/// output's [`Records::rejected`] (API notes §15).
impl Decode for wire::NotifyListBody {
    type Output = Records<Subscription>;

    fn decode(self) -> Result<Records<Subscription>, DecodeError> {
        let (profiles, at, rejected) = self.profiles.into_parts();
        let records = profiles
            .into_iter()
            .enumerate()
            .map(|(k, p)| {
                subscription(p.appli, p.callbackurl, p.comment, p.expires, || {
                    format!("body.profiles[{}].expires", at.of(k))
                })
            })
            .collect::<Result<_, DecodeError>>()?;
        Ok(Records::new(records, rejected))
    }
}

impl Decode for wire::NotifyGetBody {
    type Output = Subscription;

    fn decode(self) -> Result<Subscription, DecodeError> {
        subscription(
            self.appli,
            self.callbackurl,
            self.comment,
            self.expires,
            || "body.expires".to_owned(),
        )
    }
}

/// What happened to the user, for appli 46.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UserAction {
    /// `delete`: the user deleted their account.
    Delete,
    /// `unlink`: the user removed your app; their tokens no longer work.
    Unlink,
    /// `update`: the user's profile changed.
    Update,
    /// Any other text, kept as received.
    Other(String),
}

impl UserAction {
    /// The action for the API's text.
    #[must_use]
    pub fn from_wire(text: &str) -> Self {
        match text {
            "delete" => Self::Delete,
            "unlink" => Self::Unlink,
            "update" => Self::Update,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The API's text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Delete => "delete",
            Self::Unlink => "unlink",
            Self::Update => "update",
            Self::Other(text) => text,
        }
    }
}

/// Serializes as the API's text.
impl Serialize for UserAction {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The `date` of a notification: a day (`YYYY-MM-DD`, appli 16) or, for some events, unix
/// seconds (API notes §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventDate {
    /// A local calendar day, in the user's zone.
    Day(Date),
    /// An instant.
    At(Timestamp),
}

/// The data a notification points at. Any part may be missing: which keys come depends on the
/// appli and is only partly documented (API notes §7.8, §14).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Window {
    /// `startdate`: start of the new data.
    pub start: Option<Timestamp>,
    /// `enddate`: end of the new data.
    pub end: Option<Timestamp>,
    /// `date`.
    pub date: Option<EventDate>,
}

/// A notification Withings POSTed to a callback URL. It is unsigned: use it as a prompt to
/// fetch with the user's token (`appli` says what to fetch, `window` from when), not as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct NotificationEvent {
    /// The user; absent for appli 53 (a device with no linked account).
    pub user_id: Option<String>,
    /// The category; unknown codes are kept.
    pub appli: Option<Appli>,
    /// The data to fetch.
    pub window: Window,
    /// The device (bed events, appli 53).
    pub device_id: Option<String>,
    /// What happened to the user (appli 46).
    pub action: Option<UserAction>,
}

/// Paths of notification errors are the form keys (`startdate`), there being no JSON body.
impl Decode for Notification {
    type Output = NotificationEvent;

    fn decode(self) -> Result<NotificationEvent, DecodeError> {
        let date = match self.date.as_deref() {
            Some(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
                let seconds = text.parse::<i64>().map_err(|_| DecodeError::Invalid {
                    path: "date".to_owned(),
                    problem: format!("`{text}` is neither YYYY-MM-DD nor unix seconds"),
                })?;
                Some(EventDate::At(timestamp(seconds, || "date".to_owned())?))
            }
            Some(text) => Some(EventDate::Day(ymd(text, || "date".to_owned())?)),
            None => None,
        };
        let window = Window {
            start: self
                .startdate
                .map(|s| timestamp(s, || "startdate".to_owned()))
                .transpose()?,
            end: self
                .enddate
                .map(|s| timestamp(s, || "enddate".to_owned()))
                .transpose()?,
            date,
        };
        Ok(NotificationEvent {
            user_id: self.userid,
            appli: self.appli,
            window,
            device_id: self.deviceid,
            action: self.action.as_deref().map(UserAction::from_wire),
        })
    }
}

/// Parses and decodes the form body of a notification request in one call.
///
/// ```
/// use withings_decode::notify::decode_notification;
/// use withings_model::notify::Appli;
///
/// let n = decode_notification(b"userid=10203040&appli=44&startdate=1717364400&enddate=1717393800").unwrap();
/// assert_eq!(n.appli, Some(Appli::Sleep));
/// assert_eq!(n.window.start.unwrap().to_string(), "2024-06-02T21:40:00Z");
/// let e = decode_notification(b"appli=44&startdate=abc").unwrap_err();
/// assert_eq!(e.path(), "startdate");
/// ```
///
/// # Errors
/// [`DecodeError::Invalid`] whose path is the form key at fault: a number that does not
/// parse, a key repeated with different values, a `date` that is neither `YYYY-MM-DD` nor
/// unix seconds; [`DecodeError::Timestamp`] for seconds out of range.
pub fn decode_notification(bytes: &[u8]) -> Result<NotificationEvent, DecodeError> {
    Notification::from_form(bytes).map_err(form_error)?.decode()
}

fn form_error(e: NotificationError) -> DecodeError {
    let problem = match &e {
        NotificationError::NotAnInteger { value, .. } => format!("`{value}` is not an integer"),
        NotificationError::Repeated { .. } => {
            "the key appears twice with different values".to_owned()
        }
        other => other.to_string(),
    };
    DecodeError::Invalid {
        path: e.key().to_owned(),
        problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode_reply;
    use withings_model::Reply;

    #[test]
    fn never_expiring_and_empty_comments() {
        let json = br#"{"status":0,"body":{"profiles":[{"appli":1,"callbackurl":"https:\/\/example.org\/h","expires":2147483647,"comment":""},{"appli":44,"callbackurl":"https:\/\/example.org\/h","expires":1717430000,"comment":"sleep"},{"appli":4,"callbackurl":"https:\/\/example.org\/h"}]}}"#;
        let Reply::Ok(subs) = decode_reply::<wire::NotifyListBody>(json).unwrap() else {
            panic!()
        };
        assert_eq!(
            (subs[0].expires, subs[0].comment.as_deref()),
            (Some(Expiry::Never), None)
        );
        assert_eq!(
            subs[1].expires,
            Some(Expiry::At(Timestamp::from_second(1_717_430_000).unwrap()))
        );
        assert_eq!(subs[1].comment.as_deref(), Some("sleep"));
        assert_eq!(subs[2].expires, None);
        assert_eq!(serde_json::to_string(&Expiry::Never).unwrap(), r#""never""#);
    }

    #[test]
    fn notification_dates_are_days_or_instants() {
        let n = decode_notification(b"userid=1&appli=16&date=2024-06-03").unwrap();
        assert_eq!(
            n.window.date,
            Some(EventDate::Day(jiff::civil::date(2024, 6, 3)))
        );
        let n = decode_notification(b"userid=1&appli=50&date=1717364400&deviceid=abc").unwrap();
        assert_eq!(
            n.window.date,
            Some(EventDate::At(
                Timestamp::from_second(1_717_364_400).unwrap()
            ))
        );
        assert_eq!(
            decode_notification(b"date=2024-13-01").unwrap_err().path(),
            "date"
        );
        assert_eq!(
            decode_notification(b"date=99999999999999999999")
                .unwrap_err()
                .path(),
            "date"
        );
    }

    #[test]
    fn user_actions_and_errors() {
        let n = decode_notification(b"userid=1&appli=46&action=unlink").unwrap();
        assert_eq!(n.action, Some(UserAction::Unlink));
        assert_eq!(
            UserAction::from_wire("merge"),
            UserAction::Other("merge".into())
        );
        let e = decode_notification(b"appli=44&enddate=1717393800&startdate=abc").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid value at `startdate`: `abc` is not an integer"
        );
        let e = decode_notification(b"userid=1&userid=2").unwrap_err();
        assert_eq!(e.path(), "userid");
    }
}
