//! The one error type of the façade.

use std::time::Duration;

use withings_decode::DecodeError;
use withings_model::Service;

/// A result whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a call through this crate can fail with.
///
/// - [`Error::Http`]: the transport, OAuth, or a non-zero Withings `status` (with its family,
///   see [`withings_http::ErrorKind`]). Retryable failures arrive here only once the
///   [`RetryPolicy`](withings_http::RetryPolicy) is exhausted.
/// - [`Error::Decode`]: the response parsed but a value in it cannot be interpreted (an
///   unknown time zone, an impossible date); the JSON path says which.
/// - [`Error::Pagination`]: Withings said more pages follow but gave no offset past the
///   current one; the stream stopped instead of asking for the same page forever.
/// - [`Error::Notification`]: a notification body that cannot be read.
/// - [`Error::Request`]: a request the model refuses before anything is sent (a window that
///   ends before it starts, a missing parameter, a split that needs too many calls).
///
/// `Display` describes what failed at this layer; the underlying error is the
/// [`source`](std::error::Error::source) (except for [`Error::Http`], which is shown as is).
///
/// Paged calls ([`Client::collect_all`](crate::Client::collect_all), the page and item
/// streams) fail with an [`Interrupted`](crate::Interrupted) holding this error, the request
/// to resume with and the pages already fetched; `?` turns it into this error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Transport, OAuth or API status failure, from [`withings_http`].
    #[error(transparent)]
    Http(#[from] withings_http::Error),
    /// The body of a successful response could not be turned into domain values.
    #[error(
        "the response to {service} action={action} holds a value that cannot be interpreted at `{path}`",
        path = source.path()
    )]
    Decode {
        /// The service called.
        service: Service,
        /// The action called.
        action: &'static str,
        /// What could not be interpreted, with its JSON path.
        #[source]
        source: DecodeError,
    },
    /// A paged call that would loop: `more` was set but the next `offset` did not advance.
    /// There is nothing to resume: the [`Interrupted`](crate::Interrupted) holding it has no
    /// `resume` request.
    #[error(
        "{service} action={action}: page {page} says more data follows but its offset ({offset}) does not advance past {previous}; stopped to avoid asking for the same page forever (the items received so far were delivered)",
        offset = offset.map_or_else(|| "none".to_owned(), |o| o.to_string())
    )]
    Pagination {
        /// The service called.
        service: Service,
        /// The action called.
        action: &'static str,
        /// The page (1-based) that said `more` without a usable offset.
        page: usize,
        /// The offset that page asked for next (`None`: it gave none).
        offset: Option<i64>,
        /// The offset that page was requested with.
        previous: i64,
    },
    /// A notification body (the form Withings POSTs to a callback URL) that cannot be read.
    #[error("the notification body cannot be read at key `{path}`", path = source.path())]
    Notification {
        /// What could not be read, with the form key as its path.
        #[source]
        source: DecodeError,
    },
    /// A request refused before sending: the message says what to change.
    #[error("invalid request: {0}")]
    Request(#[from] withings_model::RequestError),
    /// A service path the escape hatch refuses ([`Service::other`](withings_model::Service::other)).
    #[error(transparent)]
    ServicePath(#[from] withings_model::endpoint::InvalidServicePath),
}

impl Error {
    /// The transport/API error, when this is one.
    #[must_use]
    pub fn http(&self) -> Option<&withings_http::Error> {
        match self {
            Self::Http(e) => Some(e),
            _ => None,
        }
    }

    /// The transport/API error kind, when this is one.
    #[must_use]
    pub fn http_kind(&self) -> Option<withings_http::ErrorKind> {
        self.http().map(withings_http::Error::kind)
    }

    /// The Withings `status` code, when the API answered one.
    #[must_use]
    pub fn status(&self) -> Option<i64> {
        self.http().and_then(withings_http::Error::status)
    }

    /// The JSON path (or notification form key) of the value at fault, for decode errors.
    #[must_use]
    pub fn json_path(&self) -> Option<&str> {
        match self {
            Self::Http(e) => e.json_path(),
            Self::Decode { source, .. } | Self::Notification { source } => Some(source.path()),
            _ => None,
        }
    }

    /// Whether the user must authorize again (token refused, refresh refused, no token).
    #[must_use]
    pub fn is_auth(&self) -> bool {
        self.http().is_some_and(withings_http::Error::is_auth)
    }

    /// Whether Withings (or the client-side limiter) asked to slow down.
    #[must_use]
    pub fn is_rate_limited(&self) -> bool {
        self.http()
            .is_some_and(withings_http::Error::is_rate_limited)
    }

    /// Whether trying the same call later may succeed.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        self.http().is_some_and(withings_http::Error::is_retryable)
    }

    /// How long Withings asked to wait (status 601), when it said.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        self.http().and_then(withings_http::Error::retry_after)
    }

    pub(crate) fn decode(service: Service, action: &'static str, source: DecodeError) -> Self {
        Self::Decode {
            service,
            action,
            source,
        }
    }
}

/// A callback URL refused by the model's rules is reported as the transport's
/// [`ErrorKind::CallbackUrl`](withings_http::ErrorKind::CallbackUrl) error.
impl From<withings_model::url::UrlRule> for Error {
    fn from(rule: withings_model::url::UrlRule) -> Self {
        Self::Http(rule.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_call_and_path() {
        let e = Error::Pagination {
            service: Service::Heart,
            action: "list",
            page: 3,
            offset: Some(20),
            previous: 20,
        };
        let text = e.to_string();
        assert!(text.contains("/v2/heart action=list: page 3"), "{text}");
        assert!(
            text.contains("offset (20) does not advance past 20"),
            "{text}"
        );
        let e = Error::decode(
            Service::Sleep,
            "getsummary",
            DecodeError::Date {
                path: "body.series[1].date".into(),
                text: "x".into(),
            },
        );
        assert!(e.to_string().contains("`body.series[1].date`"), "{e}");
        assert_eq!(e.json_path(), Some("body.series[1].date"));
        assert!(std::error::Error::source(&e).is_some());
    }
}
