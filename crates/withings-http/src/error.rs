//! The one error type of this crate, and the status-code families of API notes §9.1.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use withings_model::url::UrlRule;
use withings_model::{ApiStatus, ParseError, Service};

use crate::redact;

/// The family a Withings `status` code belongs to (the official "Response Status" table,
/// API notes §9.1). Withings publishes families only; the `error` text sometimes says more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatusFamily {
    /// `0`.
    Success,
    /// 100–102, 200, 401: the token or the credentials were refused.
    Authentication,
    /// The long "invalid params" list (incl. 503, the expired authorization code).
    InvalidParams,
    /// 214, 277, 2553, 2555: this application may not call this service.
    Unauthorized,
    /// 2554: unknown action or service.
    NotImplemented,
    /// "An error occurred": Withings-side failures that may be transient.
    Error,
    /// 522: Withings timed out; retry.
    Timeout,
    /// 524: bad state.
    BadState,
    /// 601: too many requests.
    TooManyRequests,
    /// A code the table does not list.
    Unknown,
}

/// The family of a Withings `status` code, exactly per the official table (API notes §9.1).
///
/// Where older libraries disagree (2554 as "unauthorized", 100 as "no data", 5002–5004
/// missing) the official table wins.
///
/// ```
/// use withings_http::{family, StatusFamily};
/// assert_eq!(family(401), StatusFamily::Authentication);
/// assert_eq!(family(503), StatusFamily::InvalidParams);
/// assert_eq!(family(601), StatusFamily::TooManyRequests);
/// assert_eq!(family(42), StatusFamily::Unknown);
/// ```
#[must_use]
pub const fn family(status: i64) -> StatusFamily {
    match status {
        0 => StatusFamily::Success,
        100..=102 | 200 | 401 => StatusFamily::Authentication,
        201..=213
        | 216..=218
        | 220..=221
        | 223
        | 225
        | 227..=230
        | 234..=236
        | 238
        | 240..=252
        | 254
        | 260..=267
        | 271..=272
        | 275..=276
        | 283..=288
        | 290
        | 293..=295
        | 297
        | 300..=304
        | 321
        | 323..=353
        | 380..=382
        | 400
        | 501..=511
        | 523
        | 532
        | 3017..=3019 => StatusFamily::InvalidParams,
        214 | 277 | 2553 | 2555 => StatusFamily::Unauthorized,
        2554 => StatusFamily::NotImplemented,
        215
        | 219
        | 222
        | 224
        | 226
        | 231..=233
        | 237
        | 253
        | 255..=259
        | 268..=270
        | 273..=274
        | 278..=282
        | 289
        | 291..=292
        | 296
        | 298
        | 305..=320
        | 322
        | 370..=375
        | 383
        | 391
        | 402
        | 516..=521
        | 525..=531
        | 533
        | 602
        | 700
        | 1051..=1054
        | 2551..=2552
        | 2556..=2559
        | 3000..=3016
        | 3020..=3024
        | 5000..=5006
        | 6000
        | 6010..=6011
        | 9000
        | 10000 => StatusFamily::Error,
        522 => StatusFamily::Timeout,
        524 => StatusFamily::BadState,
        601 => StatusFamily::TooManyRequests,
        _ => StatusFamily::Unknown,
    }
}

/// What went wrong, for matching. The [`Error`] carries the details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Withings refused the token or credentials (status 100–102, 200, 401), a refresh was
    /// refused, or there is no token at all: the user must authorize again.
    Auth,
    /// Withings rejected the parameters (the "invalid params" family, API notes §9.1).
    InvalidParams,
    /// This application may not call this service (214, 277, 2553, 2555).
    Unauthorized,
    /// Unknown action or service (2554).
    NotImplemented,
    /// Too many requests (601, or HTTP 429); see [`Error::retry_after`].
    RateLimited,
    /// Withings timed out (522).
    ApiTimeout,
    /// Bad state (524).
    BadState,
    /// Any other non-zero status ("an error occurred", or a code the table does not list).
    ApiOther,
    /// An HTTP status other than 2xx without a Withings envelope (a proxy or an outage page).
    HttpStatus,
    /// The connection could not be made or broke.
    Transport,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// No complete response within the client's timeout.
    Timeout,
    /// The response was larger than the client's cap.
    ResponseTooLarge,
    /// The response is not the JSON the model expects; see [`Error::json_path`].
    Decode,
    /// The client was configured wrongly (base URL, missing credentials...).
    Config,
    /// A redirect URI breaks one of Withings' rules.
    CallbackUrl(UrlRule),
    /// The `state` of a redirected URL is missing or does not match the authorization.
    InvalidState,
    /// The authorization code is expired (codes live 30 s) or was already used.
    CodeExpired,
    /// The user declined the authorization.
    AccessDenied,
    /// The token store failed to load or save.
    TokenStore,
}

/// The longest wait a server may ask for (`Retry-After`, `wait_seconds`): one hour. A larger
/// value is read as this much; whether to wait that long is the retry policy's call.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// `secs` seconds, at most [`MAX_RETRY_AFTER`].
pub(crate) fn capped_wait(secs: u64) -> Duration {
    Duration::from_secs(secs).min(MAX_RETRY_AFTER)
}

/// The service and action an error came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CallSite {
    pub(crate) service: Service,
    pub(crate) action: String,
}

/// An error from this crate: one word wide, with a [`kind`](Error::kind), the Withings status
/// and `error` text when there was one, and a message that says what to do.
///
/// Secrets (tokens, the client secret, the OAuth state and code) never appear in its
/// `Display` or `Debug`; foreign errors are reachable through [`source`](StdError::source)
/// only.
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    status: Option<i64>,
    http_status: Option<u16>,
    api_error: Option<String>,
    retry_after: Option<Duration>,
    call: Option<CallSite>,
    message: Option<String>,
    path: Option<String>,
    excerpt: Option<String>,
    source: Option<Box<dyn StdError + Send + Sync>>,
    /// The request provably never reached the server (connection refused, name not
    /// resolved, TLS handshake failed): sending it again cannot do anything twice.
    unsent: bool,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                status: None,
                http_status: None,
                api_error: None,
                retry_after: None,
                call: None,
                message: None,
                path: None,
                excerpt: None,
                source: None,
                unsent: false,
            }),
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config).with_message(message)
    }

    /// A token-store failure, for implementors of [`TokenStore`](crate::TokenStore).
    /// `message` must not contain a secret.
    #[must_use]
    pub fn token_store(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::TokenStore).with_message(message)
    }

    /// A token-store failure caused by `source` (an I/O error, a database error...), for
    /// implementors of [`TokenStore`](crate::TokenStore). Neither may contain a secret.
    #[must_use]
    pub fn token_store_with_source(
        message: impl Into<String>,
        source: impl StdError + Send + Sync + 'static,
    ) -> Self {
        Self::token_store(message).with_source(source)
    }

    /// The error for a non-zero Withings status. `secrets` are redacted from the `error` text.
    pub(crate) fn from_status(status: &ApiStatus, secrets: &[&str]) -> Self {
        let kind = match family(status.status) {
            StatusFamily::Authentication => ErrorKind::Auth,
            StatusFamily::InvalidParams => ErrorKind::InvalidParams,
            StatusFamily::Unauthorized => ErrorKind::Unauthorized,
            StatusFamily::NotImplemented => ErrorKind::NotImplemented,
            StatusFamily::TooManyRequests => ErrorKind::RateLimited,
            StatusFamily::Timeout => ErrorKind::ApiTimeout,
            StatusFamily::BadState => ErrorKind::BadState,
            StatusFamily::Error | StatusFamily::Unknown | StatusFamily::Success => {
                ErrorKind::ApiOther
            }
        };
        let mut e = Self::new(kind);
        e.inner.status = Some(status.status);
        e.inner.api_error = status
            .error
            .as_deref()
            .map(|t| redact::text(t, secrets, 200));
        if kind == ErrorKind::RateLimited {
            // API notes §9.3: without a hint, wait at least 60 s; a hint past the cap is
            // hostile or broken, not a reason to sleep for days.
            let secs = status.wait_seconds.filter(|s| *s >= 0).unwrap_or(60);
            e.inner.retry_after = Some(capped_wait(secs.unsigned_abs()));
        }
        e
    }

    /// A body that does not parse: keeps the JSON path and a short redacted excerpt.
    pub(crate) fn decode(parse: ParseError, body: &[u8], secrets: &[&str]) -> Self {
        let mut all: Vec<&str> = secrets.to_vec();
        all.extend(redact::secrets_in_json(body));
        let message = redact::text(parse.message(), &all, 300);
        let mut e = Self::new(ErrorKind::Decode);
        e.inner.path = Some(parse.path().to_owned());
        e.inner.excerpt = Some(redact::excerpt(body, parse.line(), parse.column(), &all));
        let clean = message == parse.message();
        e.inner.message = Some(message);
        if clean {
            // Chain the model's error only when its text holds nothing we had to redact.
            e.inner.source = Some(Box::new(parse));
        }
        e
    }

    /// Redacts more secrets (known only to the caller, such as an authorization code) from
    /// the texts that came from the server.
    pub(crate) fn redacting(mut self, secrets: &[&str]) -> Self {
        if let Some(t) = &self.inner.api_error {
            self.inner.api_error = Some(redact::text(t, secrets, 200));
        }
        if let Some(x) = &self.inner.excerpt {
            self.inner.excerpt = Some(redact::text(x, secrets, 200));
        }
        self
    }

    /// Marks the error as proof that the request never reached the server.
    pub(crate) fn unsent(mut self) -> Self {
        self.inner.unsent = true;
        self
    }

    /// Whether the request provably never reached the server (connection refused, name not
    /// resolved, TLS handshake failed): then even a call that is not idempotent (subscribe,
    /// a code exchange) can be sent again safely.
    #[must_use]
    pub fn is_unsent(&self) -> bool {
        self.inner.unsent
    }

    pub(crate) fn with_message(mut self, message: impl Into<String>) -> Self {
        self.inner.message = Some(message.into());
        self
    }

    pub(crate) fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.inner.source = Some(Box::new(source));
        self
    }

    pub(crate) fn with_boxed_source(mut self, source: Box<dyn StdError + Send + Sync>) -> Self {
        self.inner.source = Some(source);
        self
    }

    pub(crate) fn with_call(mut self, service: Service, action: &str) -> Self {
        if self.inner.call.is_none() {
            self.inner.call = Some(CallSite {
                service,
                action: action.to_owned(),
            });
        }
        self
    }

    pub(crate) fn with_http_status(mut self, code: u16) -> Self {
        self.inner.http_status = Some(code);
        self
    }

    pub(crate) fn with_retry_after(mut self, after: Option<Duration>) -> Self {
        self.inner.retry_after = after;
        self
    }

    /// The same error with another kind (a refused refresh becomes [`ErrorKind::Auth`], an
    /// invalid-params answer to a code exchange becomes [`ErrorKind::CodeExpired`]).
    pub(crate) fn with_status(mut self, status: i64) -> Self {
        self.inner.status = Some(status);
        self
    }

    pub(crate) fn into_kind(mut self, kind: ErrorKind) -> Self {
        self.inner.kind = kind;
        self
    }

    /// What went wrong.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The Withings `status` code, when the error came from one.
    #[must_use]
    pub fn status(&self) -> Option<i64> {
        self.inner.status
    }

    /// The family of [`status`](Self::status) (API notes §9.1).
    #[must_use]
    pub fn family(&self) -> Option<StatusFamily> {
        self.inner.status.map(family)
    }

    /// The HTTP status code, when the answer was not a Withings envelope.
    #[must_use]
    pub fn http_status(&self) -> Option<u16> {
        self.inner.http_status
    }

    /// Withings' own `error` text (e.g. "Invalid Params: invalid code"), secrets redacted.
    #[must_use]
    pub fn api_error_text(&self) -> Option<&str> {
        self.inner.api_error.as_deref()
    }

    /// How long to wait before calling again: `wait_seconds` of a 601 (60 s when absent), or
    /// an HTTP `Retry-After`.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// For [`ErrorKind::Decode`]: the JSON path of the offending value, e.g.
    /// `body.measuregrps[3].measures[0].value` (empty when the document itself is broken).
    #[must_use]
    pub fn json_path(&self) -> Option<&str> {
        self.inner.path.as_deref()
    }

    /// For [`ErrorKind::Decode`]: a short excerpt of the body around the problem, with tokens
    /// redacted.
    #[must_use]
    pub fn body_excerpt(&self) -> Option<&str> {
        self.inner.excerpt.as_deref()
    }

    /// The service path (`/v2/sleep`) of the call that failed, when known.
    #[must_use]
    pub fn service(&self) -> Option<Service> {
        self.inner.call.as_ref().map(|c| c.service)
    }

    /// The action (`getsummary`) of the call that failed, when known.
    #[must_use]
    pub fn action(&self) -> Option<&str> {
        self.inner.call.as_ref().map(|c| c.action.as_str())
    }

    /// Whether the same call may succeed later: rate limits, Withings timeouts (522),
    /// transport errors and timeouts, HTTP 5xx/429. Never invalid parameters or auth errors.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self.inner.kind {
            ErrorKind::RateLimited
            | ErrorKind::ApiTimeout
            | ErrorKind::Transport
            | ErrorKind::Timeout => true,
            ErrorKind::HttpStatus => self.inner.http_status.is_some_and(|c| c >= 500 || c == 429),
            _ => false,
        }
    }

    /// Whether the user has to go through the authorization again (refused or missing token,
    /// refused refresh, expired code, declined consent, state mismatch).
    #[must_use]
    pub fn is_auth(&self) -> bool {
        matches!(
            self.inner.kind,
            ErrorKind::Auth
                | ErrorKind::CodeExpired
                | ErrorKind::AccessDenied
                | ErrorKind::InvalidState
        )
    }

    /// Whether this is a rate limit (601 or HTTP 429).
    #[must_use]
    pub fn is_rate_limited(&self) -> bool {
        self.inner.kind == ErrorKind::RateLimited
    }

    /// Whether this is a timeout: the client's own, or Withings' 522.
    #[must_use]
    pub fn is_timeout(&self) -> bool {
        matches!(self.inner.kind, ErrorKind::Timeout | ErrorKind::ApiTimeout)
    }

    fn write_status(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(s) = self.inner.status {
            write!(f, " (status {s}")?;
            if let Some(t) = &self.inner.api_error {
                write!(f, ": {t}")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        if let Some(c) = &i.call {
            write!(f, "{} {}: ", c.service.path(), c.action)?;
        }
        let msg = i.message.as_deref();
        match i.kind {
            ErrorKind::Auth => {
                f.write_str(msg.unwrap_or("Withings refused the access token or credentials"))?;
                self.write_status(f)?;
                f.write_str("; run the authorization again")
            }
            ErrorKind::InvalidParams => {
                f.write_str("Withings rejected the request parameters")?;
                self.write_status(f)?;
                f.write_str("; check the parameters named in the message and their formats")
            }
            ErrorKind::Unauthorized => {
                f.write_str("this application may not call this service")?;
                self.write_status(f)?;
                f.write_str("; check the scopes granted and the app's plan with Withings")
            }
            ErrorKind::NotImplemented => {
                f.write_str("Withings does not know this action")?;
                self.write_status(f)?;
                f.write_str("; check the service path and the action name")
            }
            ErrorKind::RateLimited => {
                f.write_str("Withings rate limit reached")?;
                self.write_status(f)?;
                if let Some(c) = i.http_status.filter(|_| i.status.is_none()) {
                    write!(f, " (HTTP {c})")?;
                }
                match i.retry_after {
                    Some(d) => write!(f, "; wait {} s before calling again", d.as_secs()),
                    None => f.write_str("; wait before calling again"),
                }
            }
            ErrorKind::ApiTimeout => {
                f.write_str("Withings timed out")?;
                self.write_status(f)?;
                f.write_str("; retry later")
            }
            ErrorKind::BadState => {
                f.write_str("Withings reports a bad state")?;
                self.write_status(f)?;
                f.write_str("; check the state of what the call acts on before retrying")
            }
            ErrorKind::ApiOther => {
                f.write_str("Withings reported an error")?;
                self.write_status(f)?;
                f.write_str("; retry later, and report it if it persists")
            }
            ErrorKind::HttpStatus => {
                let code = i.http_status.unwrap_or(0);
                write!(
                    f,
                    "the server answered HTTP {code} without a Withings envelope"
                )?;
                if code >= 500 {
                    f.write_str("; Withings may be down, retry later")
                } else {
                    f.write_str("; check the base URL")
                }
            }
            ErrorKind::Transport => {
                f.write_str(msg.unwrap_or("the connection to Withings failed"))?;
                f.write_str("; check the network and the base URL, then retry")
            }
            ErrorKind::Tls => {
                f.write_str("the TLS handshake with the server failed")?;
                f.write_str(
                    "; check the system clock, the host name and any TLS-intercepting proxy",
                )
            }
            ErrorKind::Timeout => {
                f.write_str(msg.unwrap_or("no complete response in time"))?;
                f.write_str("; retry, or raise the client's timeout")
            }
            ErrorKind::ResponseTooLarge => {
                f.write_str(msg.unwrap_or("the response exceeded the size cap"))?;
                f.write_str("; ask for a shorter window, or raise the client's max_response_size")
            }
            ErrorKind::Decode => {
                f.write_str("the response does not match the expected format")?;
                if let Some(p) = i.path.as_deref().filter(|p| !p.is_empty()) {
                    write!(f, " at `{p}`")?;
                }
                if let Some(m) = msg {
                    write!(f, ": {m}")?;
                }
                if let Some(x) = i.excerpt.as_deref().filter(|x| !x.is_empty()) {
                    write!(f, " (near: {x})")?;
                }
                Ok(())
            }
            ErrorKind::Config => f.write_str(msg.unwrap_or("invalid client configuration")),
            ErrorKind::CallbackUrl(rule) => fmt::Display::fmt(&rule, f),
            ErrorKind::InvalidState => {
                f.write_str(msg.unwrap_or(
                    "the state of the redirected URL does not match this authorization",
                ))?;
                f.write_str("; start the authorization again (the redirect may be forged or stale)")
            }
            ErrorKind::CodeExpired => {
                f.write_str("the authorization code is expired or was already used")?;
                self.write_status(f)?;
                f.write_str("; codes live 30 s and work once: run the authorization again and paste the URL at once")
            }
            ErrorKind::AccessDenied => {
                f.write_str(msg.unwrap_or("the user declined the authorization"))?;
                f.write_str("; run the authorization again if this was a mistake")
            }
            ErrorKind::TokenStore => {
                write!(f, "token store: {}", msg.unwrap_or("failed"))
            }
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every field is either free of secrets or redacted when stored.
        fmt::Debug::fmt(&self.inner, f)
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

/// A callback URL refused by the model's rules, as [`ErrorKind::CallbackUrl`].
impl From<UrlRule> for Error {
    fn from(rule: UrlRule) -> Self {
        Self::new(ErrorKind::CallbackUrl(rule))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The official table (API notes §9.1), written out independently of `family`.
    const TABLE: &[(i64, i64, StatusFamily)] = {
        use StatusFamily::*;
        &[
            (0, 0, Success),
            (100, 102, Authentication),
            (200, 200, Authentication),
            (401, 401, Authentication),
            (201, 213, InvalidParams),
            (216, 218, InvalidParams),
            (220, 221, InvalidParams),
            (223, 223, InvalidParams),
            (225, 225, InvalidParams),
            (227, 230, InvalidParams),
            (234, 236, InvalidParams),
            (238, 238, InvalidParams),
            (240, 252, InvalidParams),
            (254, 254, InvalidParams),
            (260, 267, InvalidParams),
            (271, 272, InvalidParams),
            (275, 276, InvalidParams),
            (283, 288, InvalidParams),
            (290, 290, InvalidParams),
            (293, 295, InvalidParams),
            (297, 297, InvalidParams),
            (300, 304, InvalidParams),
            (321, 321, InvalidParams),
            (323, 353, InvalidParams),
            (380, 382, InvalidParams),
            (400, 400, InvalidParams),
            (501, 511, InvalidParams),
            (523, 523, InvalidParams),
            (532, 532, InvalidParams),
            (3017, 3019, InvalidParams),
            (214, 214, Unauthorized),
            (277, 277, Unauthorized),
            (2553, 2553, Unauthorized),
            (2555, 2555, Unauthorized),
            (2554, 2554, NotImplemented),
            (215, 215, Error),
            (219, 219, Error),
            (222, 222, Error),
            (224, 224, Error),
            (226, 226, Error),
            (231, 233, Error),
            (237, 237, Error),
            (253, 253, Error),
            (255, 259, Error),
            (268, 270, Error),
            (273, 274, Error),
            (278, 282, Error),
            (289, 289, Error),
            (291, 292, Error),
            (296, 296, Error),
            (298, 298, Error),
            (305, 320, Error),
            (322, 322, Error),
            (370, 375, Error),
            (383, 383, Error),
            (391, 391, Error),
            (402, 402, Error),
            (516, 521, Error),
            (525, 531, Error),
            (533, 533, Error),
            (602, 602, Error),
            (700, 700, Error),
            (1051, 1054, Error),
            (2551, 2552, Error),
            (2556, 2559, Error),
            (3000, 3016, Error),
            (3020, 3024, Error),
            (5000, 5006, Error),
            (6000, 6000, Error),
            (6010, 6011, Error),
            (9000, 9000, Error),
            (10000, 10000, Error),
            (522, 522, Timeout),
            (524, 524, BadState),
            (601, 601, TooManyRequests),
        ]
    };

    #[test]
    fn family_matches_each_range_boundary_of_the_official_table() {
        for &(lo, hi, fam) in TABLE {
            assert_eq!(family(lo), fam, "low end of {lo}..={hi}");
            assert_eq!(family(hi), fam, "high end of {lo}..={hi}");
            // Just outside each boundary: either another listed range or Unknown.
            for outside in [lo - 1, hi + 1] {
                let listed = TABLE.iter().find(|(l, h, _)| (*l..=*h).contains(&outside));
                let want = listed.map_or(StatusFamily::Unknown, |(_, _, f)| *f);
                assert_eq!(family(outside), want, "just outside {lo}..={hi}: {outside}");
            }
        }
    }

    #[test]
    fn family_agrees_with_the_table_everywhere_and_ranges_do_not_overlap() {
        for s in -5..=11_000 {
            let hits: Vec<_> = TABLE
                .iter()
                .filter(|(l, h, _)| (*l..=*h).contains(&s))
                .collect();
            assert!(hits.len() <= 1, "status {s} listed twice");
            let want = hits.first().map_or(StatusFamily::Unknown, |(_, _, f)| *f);
            assert_eq!(family(s), want, "status {s}");
        }
    }

    #[test]
    fn status_maps_to_kind_and_rate_limit_defaults_to_60_s() {
        let e = Error::from_status(&ApiStatus::new(601), &[]);
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert_eq!(e.retry_after(), Some(Duration::from_secs(60)));
        assert!(e.is_retryable() && e.is_rate_limited());
        let e = Error::from_status(&ApiStatus::new(601).with_wait_seconds(57), &[]);
        assert_eq!(e.retry_after(), Some(Duration::from_secs(57)));
        assert!(e.to_string().contains("wait 57 s"), "{e}");
        let e = Error::from_status(
            &ApiStatus::new(503).with_error("Invalid Params: invalid code"),
            &[],
        );
        assert_eq!(e.kind(), ErrorKind::InvalidParams);
        assert!(!e.is_retryable());
        assert_eq!(e.api_error_text(), Some("Invalid Params: invalid code"));
        assert_eq!(
            Error::from_status(&ApiStatus::new(522), &[]).kind(),
            ErrorKind::ApiTimeout
        );
        assert_eq!(
            Error::from_status(&ApiStatus::new(524), &[]).kind(),
            ErrorKind::BadState
        );
        assert_eq!(
            Error::from_status(&ApiStatus::new(42), &[]).kind(),
            ErrorKind::ApiOther
        );
        assert!(Error::from_status(&ApiStatus::new(401), &[]).is_auth());
    }

    #[test]
    fn error_is_one_word_and_thread_safe() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }
}
