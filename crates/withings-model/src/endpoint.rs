//! Endpoints described as data.
//!
//! Every Withings call is a POST of a form to a service path, with the verb in `action`. An
//! [`Endpoint`] is a request type that knows its [`Service`], its action, how its parameters
//! encode into the [`Form`] (unix seconds or `YYYY-MM-DD`, comma lists, `meastypes` rather than
//! `meastype` for lists) and which body type answers it. One generic path in `withings-http`
//! sends any of them; nothing here is written out twice.

use std::borrow::Cow;
use std::fmt;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::de::DeserializeOwned;

use crate::scope::Scope;

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
    /// Any other path, for the escape hatch: services this crate declares no endpoint of
    /// (`/v2/rawdata`, `/v2/dropshipment`, `/v2/user` `get`/`link`…) and whatever Withings
    /// adds. Made by [`Service::other`], which checks the path.
    Other(OtherPath),
}

/// The path of a service this crate declares no endpoint of, checked by [`Service::other`]:
/// `/` then segments of ASCII letters, digits, `_` and `-`.
///
/// Paths are interned: each distinct path is allocated once per process and kept, so that a
/// [`Service`] stays `Copy`. A program meets a handful of service paths; nothing else is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OtherPath(&'static str);

impl OtherPath {
    /// The path, with its leading slash (`/v2/rawdata`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

/// A service path [`Service::other`] refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InvalidServicePath(pub String);

impl fmt::Display for InvalidServicePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a service path: give segments of letters, digits, `_` and `-` separated by `/`, e.g. v2/rawdata",
            self.0
        )
    }
}

impl std::error::Error for InvalidServicePath {}

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

    /// A service by path, for the escape hatch: a declared service when the path is one
    /// (`sleep`, `/v2/sleep`, `v2-sleep`), otherwise [`Service::Other`] with the path
    /// normalised to a leading slash (`v2/rawdata` → `/v2/rawdata`).
    ///
    /// ```
    /// use withings_model::Service;
    /// assert_eq!(Service::other("v2/sleep")?, Service::Sleep);
    /// let raw = Service::other("v2/rawdata")?;
    /// assert_eq!(raw.path(), "/v2/rawdata");
    /// assert_eq!(raw.slug(), "v2-rawdata");
    /// assert!(Service::other("../etc").is_err());
    /// # Ok::<(), withings_model::endpoint::InvalidServicePath>(())
    /// ```
    ///
    /// # Errors
    /// [`InvalidServicePath`] for an empty path, an empty segment, or a character other than
    /// ASCII letters, digits, `_`, `-` and the separating `/`.
    pub fn other(path: &str) -> Result<Self, InvalidServicePath> {
        if let Some(known) = Self::parse(path) {
            return Ok(known);
        }
        let trimmed = path.trim().trim_start_matches('/');
        let valid = !trimmed.is_empty()
            && trimmed.split('/').all(|seg| {
                !seg.is_empty()
                    && seg
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            });
        if !valid {
            return Err(InvalidServicePath(path.to_owned()));
        }
        Ok(Self::Other(OtherPath(intern(&format!("/{trimmed}")))))
    }

    /// The URL path under the API host, e.g. `/v2/sleep`.
    #[must_use]
    pub const fn path(self) -> &'static str {
        match self {
            Self::Other(p) => p.0,
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
    pub fn slug(self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Self::Other(p) => return Cow::Owned(p.0[1..].replace('/', "-")),
            Self::Measure => "measure",
            Self::MeasureV2 => "v2-measure",
            Self::Sleep => "v2-sleep",
            Self::Heart => "v2-heart",
            Self::Stetho => "v2-stetho",
            Self::User => "v2-user",
            Self::Notify => "notify",
            Self::OAuth2 => "v2-oauth2",
            Self::Signature => "v2-signature",
        })
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

    /// Whether calls to this service carry the user's access token: every service but the
    /// token and signature ones (`/v2/oauth2`, `/v2/signature`), which authenticate with the
    /// client secret or a signature.
    #[must_use]
    pub const fn takes_user_token(self) -> bool {
        !matches!(self, Self::OAuth2 | Self::Signature)
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.path())
    }
}

/// The one copy of each distinct path [`Service::other`] was given.
fn intern(path: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock, PoisonError};
    static PATHS: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut paths = PATHS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(p) = paths.get(path) {
        return p;
    }
    let leaked: &'static str = Box::leak(path.to_owned().into_boxed_str());
    paths.insert(leaked);
    leaked
}

/// One Withings action, declared once: where it lives, what it needs, how it answers.
///
/// A request type is its own builder (`GetMeas::new().meastypes([Weight]).between(a, b)`);
/// implementing this trait is the whole declaration of an endpoint. Every caller — the
/// façade, the CLI, notification plans, the sandbox's routes, the fixture tests — reads the
/// same constants and sends through the same path, so the endpoint's traits hold whoever
/// sends it:
///
/// - **paging**: paged actions also implement [`Paged`] (through the `paged!` macro, which
///   gives them the `offset` setter); their body implements [`PagedBody`];
/// - **splitting**: actions the API answers for at most [`MAX_SPAN`](Self::MAX_SPAN) per call
///   (sleep get, getintradayactivity) set it and expose their span; [`calls`](Self::calls)
///   cuts a longer span into consecutive calls and [`Body::append`] merges their answers;
/// - **idempotency**: [`IDEMPOTENT`](Self::IDEMPOTENT) says whether sending twice is the
///   same as sending once (reads are; subscribe, update, revoke, a code exchange and signed
///   calls are not), which is what the transport's retry policy reads;
/// - **scopes**: [`SCOPES`](Self::SCOPES), what the user must have granted;
/// - **validation**: [`validate`](Self::validate) refuses a request that cannot be right
///   before anything is sent.
///
/// Setter names follow one rule across endpoints: `between(start, end)` for an instant
/// window (`startdate`/`enddate`), `dates(start, end)` for local dates
/// (`startdateymd`/`enddateymd`), `updated_since(at)` for `lastupdate`, `offset(n)`,
/// `data_fields(..)` that replaces the list, `add_data_field(f)` that appends, and
/// `all_fields()`.
pub trait Endpoint: Clone + fmt::Debug + Send + Sync + 'static {
    /// The service (URL path) the action lives on.
    const SERVICE: Service;
    /// The `action` form field.
    const ACTION: &'static str;
    /// Whether sending the request twice has the same effect as sending it once. Only
    /// idempotent requests are retried after they may have reached the server.
    const IDEMPOTENT: bool;
    /// The scopes the user must have granted; empty when no particular scope is documented
    /// (any user token works) or when no user token is involved (token and signature calls).
    const SCOPES: &'static [Scope];
    /// The longest span the API answers per call; `None` when the request is sent as one
    /// call whatever its window.
    const MAX_SPAN: Option<SignedDuration> = None;
    /// The wire type of the `body` of a successful response.
    type Body: Body;

    /// Adds this request's parameters (everything but `action`) to the form.
    fn encode(&self, form: &mut Form);

    /// Refuses a request that cannot be right (a window that ends before it starts, a
    /// required parameter left out) before anything is sent. Default: every request is valid.
    ///
    /// # Errors
    /// A [`RequestError`] naming the parameter.
    fn validate(&self) -> Result<(), RequestError> {
        Ok(())
    }

    /// The window a split request covers (`None` for requests that are not split, or that
    /// ask for the most recent data).
    fn span(&self) -> Option<TimeSpan> {
        None
    }

    /// The same request over another span (split requests only; others return themselves).
    #[must_use]
    fn with_span(&self, span: TimeSpan) -> Self {
        let _ = span;
        self.clone()
    }

    /// The whole form for this request: `action` first, then the parameters.
    fn form(&self) -> Form {
        let mut form = Form::new();
        form.push("action", Self::ACTION);
        self.encode(&mut form);
        form
    }

    /// The calls this request takes, in order: itself, or for a split request, one per
    /// consecutive piece of at most [`MAX_SPAN`](Self::MAX_SPAN). Each piece starts where the
    /// previous one ended, so a record on a seam may come back twice; [`Body::append`] keeps
    /// it once.
    ///
    /// # Errors
    /// [`RequestError`] from [`validate`](Self::validate), for a span that ends before it
    /// starts, or one that needs more than [`MAX_CALLS`] calls.
    fn calls(&self) -> Result<Vec<Self>, RequestError> {
        self.validate()?;
        match (Self::MAX_SPAN, self.span()) {
            (Some(max), Some(span)) => Ok(span
                .chunks(max, Self::ACTION)?
                .into_iter()
                .map(|piece| self.with_span(piece))
                .collect()),
            _ => Ok(vec![self.clone()]),
        }
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

/// More calls than this for one split request is almost certainly a mistake (a window of
/// years built from a default): it is refused rather than sent as thousands of requests.
pub const MAX_CALLS: usize = 1000;

/// The wire body of a successful response.
pub trait Body: DeserializeOwned + Send + 'static {
    /// Takes in the body of the next call of the same request (the next 24 h piece of a
    /// split request). Split bodies append their records, keeping a record returned by two
    /// adjacent calls once; for every other body the later answer replaces the earlier,
    /// which is what the default does.
    fn append(&mut self, next: Self) {
        *self = next;
    }

    /// Numbers the rejected records of this body (see [`Rejected`](crate::Rejected)) with
    /// the response they came from, from 1, before it is merged with others: the sender of
    /// a split request calls it for each call's body. Bodies without record lists have
    /// nothing to number, which is what the default does.
    fn number_rejected(&mut self, response: usize) {
        let _ = response;
    }
}

/// A request the model refuses before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// A window that ends before it starts.
    ReversedWindow {
        /// The action.
        action: &'static str,
        /// The window's start, as text.
        start: String,
        /// The window's end, as text.
        end: String,
    },
    /// A split request whose window needs more than [`MAX_CALLS`] calls.
    TooManyCalls {
        /// The action.
        action: &'static str,
        /// How many calls the window needs, at least.
        calls: usize,
    },
    /// A parameter the action needs was not given.
    Missing {
        /// The action.
        action: &'static str,
        /// What to set, e.g. "dates(start, end) or updated_since(at)".
        what: &'static str,
    },
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ReversedWindow { action, start, end } => write!(
                f,
                "{action}: the window ends ({end}) before it starts ({start}); swap the bounds"
            ),
            Self::TooManyCalls { action, calls } => write!(
                f,
                "{action}: the window needs {calls} calls or more (the API answers at most 24 h \
                 per call, and at most {MAX_CALLS} calls are sent for one request); ask for a \
                 shorter window"
            ),
            Self::Missing { action, what } => write!(f, "{action} needs {what}"),
        }
    }
}

impl std::error::Error for RequestError {}

/// A paged request: the next page is the same request with a new `offset`.
pub trait Paged: Endpoint
where
    Self::Body: PagedBody,
{
    /// The `offset` this request asks for (`None`: the first page).
    fn current_offset(&self) -> Option<i64>;
    /// Sets the `offset` to ask for.
    fn set_offset(&mut self, offset: i64);
}

/// Implements [`Paged`] (and an `offset` setter) for a request with an `offset: Option<i64>`
/// field, and [`PagedBody`] and [`Body`] for its body with `more: bool` and
/// `offset: Option<i64>` fields: every paged action of the API has that shape.
macro_rules! paged {
    ($request:ty => $body:ty) => {
        impl $crate::endpoint::Paged for $request {
            fn current_offset(&self) -> Option<i64> {
                self.offset
            }
            fn set_offset(&mut self, offset: i64) {
                self.offset = Some(offset);
            }
        }

        impl $request {
            /// Asks for the page at `offset` (from the previous page's `offset`).
            #[must_use]
            pub fn offset(mut self, offset: i64) -> Self {
                self.offset = Some(offset);
                self
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

        impl $crate::endpoint::Body for $body {}
    };
}

/// Implements [`Body`] with the default (the later answer replaces the earlier) for bodies
/// of requests that are neither paged nor split.
macro_rules! single_body {
    ($($body:ty),+ $(,)?) => {
        $(impl $crate::endpoint::Body for $body {})+
    };
}

/// The setters of a request with a `window: Option<DateWindow>` field: `dates(start, end)`
/// and `updated_since(at)`, each replacing the other.
macro_rules! date_window_setters {
    ($request:ty) => {
        impl $request {
            /// The local days from `start` to `end`, both inclusive, in the user's time zone
            /// (`startdateymd`/`enddateymd`; replaces `updated_since`).
            #[must_use]
            pub fn dates(mut self, start: jiff::civil::Date, end: jiff::civil::Date) -> Self {
                self.window = Some($crate::endpoint::DateWindow::Dates { start, end });
                self
            }

            /// What was created or modified after `at` (`lastupdate`): the cursor for
            /// incremental sync (replaces `dates`).
            #[must_use]
            pub fn updated_since(mut self, at: jiff::Timestamp) -> Self {
                self.window = Some($crate::endpoint::DateWindow::LastUpdate(at));
                self
            }

            /// The window as a value (replaces any window).
            #[must_use]
            pub fn window(mut self, window: $crate::endpoint::DateWindow) -> Self {
                self.window = Some(window);
                self
            }
        }
    };
}

/// The setters of a request with a `span: Option<TimeSpan>` field: `between(start, end)`.
macro_rules! span_setters {
    ($request:ty) => {
        impl $request {
            /// From `start` to `end` (`startdate`/`enddate`, unix seconds).
            #[must_use]
            pub fn between(mut self, start: jiff::Timestamp, end: jiff::Timestamp) -> Self {
                self.span = Some($crate::endpoint::TimeSpan { start, end });
                self
            }

            /// The span as a value (replaces any span).
            #[must_use]
            pub fn span(mut self, span: $crate::endpoint::TimeSpan) -> Self {
                self.span = Some(span);
                self
            }
        }
    };
}

/// The `data_fields` setters of a request with a `data_fields: Vec<F>` field, where `F` has
/// an `ALL` list: `data_fields` replaces, `add_data_field` appends, `all_fields` asks for
/// every field.
macro_rules! data_field_setters {
    ($request:ty, $field:ty) => {
        impl $request {
            /// Exactly these fields (`data_fields`), in order, a repeated one kept once,
            /// replacing any earlier choice; an empty list sends none (the server's default
            /// set).
            #[must_use]
            pub fn data_fields(mut self, fields: impl IntoIterator<Item = $field>) -> Self {
                self.data_fields.clear();
                fields.into_iter().fold(self, Self::add_data_field)
            }

            /// Adds one field to the list (kept once).
            #[must_use]
            pub fn add_data_field(mut self, field: $field) -> Self {
                if !self.data_fields.contains(&field) {
                    self.data_fields.push(field);
                }
                self
            }

            /// Every field the API offers.
            #[must_use]
            pub fn all_fields(mut self) -> Self {
                self.data_fields = <$field>::ALL.to_vec();
                self
            }
        }
    };
}

/// Declares a request of the "local dates or `lastupdate`, `data_fields`, paged" shape
/// (getactivity, getworkouts, sleep getsummary): the struct, `new`, the window and field
/// setters, the `Endpoint` impl (a window is required) and paging. Only what differs is
/// written at the call site.
macro_rules! dated_request {
    (
        $(#[$doc:meta])*
        $name:ident {
            service: $service:ident,
            action: $action:literal,
            scopes: [$($scope:ident),*],
            fields: $field:ty,
            body: $body:ty $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        #[non_exhaustive]
        pub struct $name {
            /// `startdateymd`+`enddateymd` (local dates, both inclusive), or `lastupdate`;
            /// one of them is required.
            pub window: Option<$crate::endpoint::DateWindow>,
            /// `data_fields`; empty means "not sent" (the server's default set).
            pub data_fields: Vec<$field>,
            /// `offset` of the page to ask for.
            pub offset: Option<i64>,
        }

        impl $name {
            /// A request with no window yet: set one with `dates` or `updated_since`.
            #[must_use]
            pub fn new() -> Self {
                Self::default()
            }
        }

        date_window_setters!($name);
        data_field_setters!($name, $field);

        impl $crate::endpoint::Endpoint for $name {
            const SERVICE: $crate::endpoint::Service = $crate::endpoint::Service::$service;
            const ACTION: &'static str = $action;
            const IDEMPOTENT: bool = true;
            const SCOPES: &'static [$crate::scope::Scope] = &[$($crate::scope::Scope::$scope),*];
            type Body = $body;

            fn encode(&self, form: &mut $crate::endpoint::Form) {
                if let Some(window) = &self.window {
                    form.date_window(window);
                }
                form.list("data_fields", &self.data_fields)
                    .opt_int("offset", self.offset);
            }

            fn validate(&self) -> Result<(), $crate::endpoint::RequestError> {
                $crate::endpoint::check_date_window(Self::ACTION, self.window.as_ref())
            }
        }

        paged!($name => $body);
    };
}

/// Declares a request of the "optional `startdate`/`enddate` span, paged" shape (heart list,
/// stetho list): the struct, `new`, `between`/`span`, the `Endpoint` impl and paging.
macro_rules! span_list_request {
    (
        $(#[$doc:meta])*
        $name:ident {
            service: $service:ident,
            action: $action:literal,
            scopes: [$($scope:ident),*],
            body: $body:ty $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        #[non_exhaustive]
        pub struct $name {
            /// `startdate`/`enddate`: only records in this span (everything when `None`).
            pub span: Option<$crate::endpoint::TimeSpan>,
            /// `offset`: the page to ask for (from the previous body's `offset`).
            pub offset: Option<i64>,
        }

        impl $name {
            /// Every record, first page.
            #[must_use]
            pub fn new() -> Self {
                Self::default()
            }
        }

        span_setters!($name);

        impl $crate::endpoint::Endpoint for $name {
            const SERVICE: $crate::endpoint::Service = $crate::endpoint::Service::$service;
            const ACTION: &'static str = $action;
            const IDEMPOTENT: bool = true;
            const SCOPES: &'static [$crate::scope::Scope] = &[$($crate::scope::Scope::$scope),*];
            type Body = $body;

            fn encode(&self, form: &mut $crate::endpoint::Form) {
                form.opt_span(self.span.as_ref())
                    .opt_int("offset", self.offset);
            }

            fn validate(&self) -> Result<(), $crate::endpoint::RequestError> {
                $crate::endpoint::check_span(Self::ACTION, self.span.as_ref())
            }
        }

        paged!($name => $body);
    };
}

/// Declares a request the API answers for at most 24 h per call, with a `startdate`/`enddate`
/// span and `data_fields` (sleep get, getintradayactivity): the struct, `new`, the setters,
/// and the `Endpoint` impl that lets [`Endpoint::calls`] cut a longer span. `span_required`
/// says whether the action refuses a request without a span.
macro_rules! split_request {
    (
        $(#[$doc:meta])*
        $name:ident {
            service: $service:ident,
            action: $action:literal,
            scopes: [$($scope:ident),*],
            fields: $field:ty,
            body: $body:ty,
            span_required: $required:literal $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        #[non_exhaustive]
        pub struct $name {
            /// `startdate`/`enddate`, cut into calls of at most 24 h.
            pub span: Option<$crate::endpoint::TimeSpan>,
            /// `data_fields`; empty means "not sent".
            pub data_fields: Vec<$field>,
        }

        impl $name {
            /// A request with no span yet: set one with `between`.
            #[must_use]
            pub fn new() -> Self {
                Self::default()
            }
        }

        span_setters!($name);
        data_field_setters!($name, $field);

        impl $crate::endpoint::Endpoint for $name {
            const SERVICE: $crate::endpoint::Service = $crate::endpoint::Service::$service;
            const ACTION: &'static str = $action;
            const IDEMPOTENT: bool = true;
            const SCOPES: &'static [$crate::scope::Scope] = &[$($crate::scope::Scope::$scope),*];
            const MAX_SPAN: Option<jiff::SignedDuration> =
                Some(jiff::SignedDuration::from_hours(24));
            type Body = $body;

            fn encode(&self, form: &mut $crate::endpoint::Form) {
                form.opt_span(self.span.as_ref())
                    .list("data_fields", &self.data_fields);
            }

            fn validate(&self) -> Result<(), $crate::endpoint::RequestError> {
                if $required && self.span.is_none() {
                    return Err($crate::endpoint::RequestError::Missing {
                        action: Self::ACTION,
                        what: "a span: between(start, end)",
                    });
                }
                $crate::endpoint::check_span(Self::ACTION, self.span.as_ref())
            }

            fn span(&self) -> Option<$crate::endpoint::TimeSpan> {
                self.span
            }

            fn with_span(&self, span: $crate::endpoint::TimeSpan) -> Self {
                Self {
                    span: Some(span),
                    ..self.clone()
                }
            }
        }
    };
}

/// Declares a closed enum of `data_fields` names (the API rejects names it does not know, so
/// a request may only carry names from the reference) with `as_str`, `ALL`, `from_name`,
/// `Display` and `FromStr`.
macro_rules! field_names {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            /// Every field, in the order the reference lists them.
            pub const ALL: &'static [Self] = &[ $( Self::$variant, )* ];

            /// The name the API uses in `data_fields`.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( Self::$variant => $wire, )*
                }
            }

            /// The field with this wire name, exactly as the API spells it (`FromStr` also
            /// takes other letter cases).
            #[must_use]
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|f| f.as_str() == name)
            }
        }

        /// The wire name.
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// Parses a wire name (case-insensitive).
        impl ::std::str::FromStr for $name {
            type Err = $crate::UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let s = s.trim();
                Self::ALL
                    .iter()
                    .copied()
                    .find(|f| f.as_str().eq_ignore_ascii_case(s))
                    .ok_or_else(|| $crate::UnknownName { what: stringify!($name), given: s.to_owned() })
            }
        }
    };
}

/// A body that says whether more pages follow (`more`, `offset`).
pub trait PagedBody: Body {
    /// Whether the server says another page follows.
    fn more(&self) -> bool;
    /// The offset to ask for next, when given.
    fn offset(&self) -> Option<i64>;
}

/// The form keys whose values [`Form`]'s `Debug` never shows: credentials, one-time codes,
/// tokens, signatures and their nonces, OAuth state. A key matches whatever its ASCII case
/// (the escape hatch `withings raw … key=value` passes keys typed at run time).
///
/// The list only governs `Debug`: [`Form::encode`], [`Form::get`] and [`Form::pairs`] still
/// give the values, since they are what is sent.
pub const SECRET_FORM_KEYS: &[&str] = &[
    "client_secret",
    "code",
    "refresh_token",
    "access_token",
    "csrf_token",
    "id_token",
    "token",
    "signature",
    "nonce",
    "state",
    "password",
    "secret",
];

/// What [`Form`]'s `Debug` shows in place of the value of a [`SECRET_FORM_KEYS`] key.
pub const REDACTED: &str = "[redacted]";

/// The form body of a request, as ordered key/value pairs. `Debug` shows the keys and
/// values but the values of [`SECRET_FORM_KEYS`], which it prints as `"[redacted]"`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Form {
    // Keys are nearly always the API's fixed names; `Cow` lets the escape hatch
    // (`withings raw … key=value`) pass keys typed at run time without leaking them.
    pairs: Vec<(Cow<'static, str>, String)>,
}

impl Form {
    /// Whether `Debug` hides the value of `key` (one of [`SECRET_FORM_KEYS`], any ASCII case).
    #[must_use]
    pub fn is_secret_key(key: &str) -> bool {
        SECRET_FORM_KEYS
            .iter()
            .any(|secret| secret.eq_ignore_ascii_case(key.trim()))
    }
}

impl fmt::Debug for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Pairs<'a>(&'a Form);
        impl fmt::Debug for Pairs<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list()
                    .entries(self.0.pairs().map(|(k, v)| {
                        let shown = if Form::is_secret_key(k) { REDACTED } else { v };
                        (k, shown)
                    }))
                    .finish()
            }
        }
        f.debug_struct("Form").field("pairs", &Pairs(self)).finish()
    }
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

    /// Adds an integer parameter when it is set.
    pub fn opt_int(&mut self, key: &'static str, value: Option<i64>) -> &mut Self {
        if let Some(value) = value {
            self.int(key, value);
        }
        self
    }

    /// Adds a `startdate`/`enddate` span when it is set.
    pub fn opt_span(&mut self, span: Option<&TimeSpan>) -> &mut Self {
        if let Some(span) = span {
            self.span(span);
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

/// Checks a date window: present, and not ending before it starts.
pub(crate) fn check_date_window(
    action: &'static str,
    window: Option<&DateWindow>,
) -> Result<(), RequestError> {
    match window {
        None => Err(RequestError::Missing {
            action,
            what: "a window: dates(start, end) or updated_since(at)",
        }),
        Some(DateWindow::Dates { start, end }) if end < start => {
            Err(RequestError::ReversedWindow {
                action,
                start: start.to_string(),
                end: end.to_string(),
            })
        }
        Some(_) => Ok(()),
    }
}

/// Checks an optional span: absent, or not ending before it starts.
pub(crate) fn check_span(
    action: &'static str,
    span: Option<&TimeSpan>,
) -> Result<(), RequestError> {
    match span {
        Some(span) if span.end < span.start => Err(RequestError::ReversedWindow {
            action,
            start: span.start.to_string(),
            end: span.end.to_string(),
        }),
        _ => Ok(()),
    }
}

impl TimeSpan {
    /// This span cut into consecutive pieces of at most `max`; each piece starts where the
    /// previous one ended. An empty span is one piece.
    ///
    /// # Errors
    /// [`RequestError::ReversedWindow`] when the span ends before it starts,
    /// [`RequestError::TooManyCalls`] when it needs more than [`MAX_CALLS`] pieces.
    pub fn chunks(
        self,
        max: SignedDuration,
        action: &'static str,
    ) -> Result<Vec<Self>, RequestError> {
        if self.end < self.start {
            return Err(RequestError::ReversedWindow {
                action,
                start: self.start.to_string(),
                end: self.end.to_string(),
            });
        }
        let mut out = Vec::new();
        let mut start = self.start;
        loop {
            let end = match start.checked_add(max) {
                Ok(end) if end < self.end => end,
                _ => self.end,
            };
            out.push(Self { start, end });
            if end >= self.end {
                return Ok(out);
            }
            if out.len() >= MAX_CALLS {
                return Err(RequestError::TooManyCalls {
                    action,
                    calls: MAX_CALLS + 1,
                });
            }
            start = end;
        }
    }
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

    #[test]
    fn form_debug_redacts_secret_values_and_shows_the_rest() {
        let mut form = Form::new();
        form.push("action", "requesttoken")
            .push("client_id", "my-client")
            .push("CLIENT_SECRET", "s3cr3t-value")
            .push(String::from("Password"), "hunter2")
            .push("nonce", "n0nce-value")
            .push("signature", "51gnature")
            .push("state", "st4te");
        let debug = format!("{form:?}");
        for secret in [
            "s3cr3t-value",
            "hunter2",
            "n0nce-value",
            "51gnature",
            "st4te",
        ] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        assert!(
            debug.contains(r#"("action", "requesttoken")"#)
                && debug.contains(r#"("client_id", "my-client")"#)
                && debug.contains(r#"("CLIENT_SECRET", "[redacted]")"#)
                && debug.contains(r#"("Password", "[redacted]")"#),
            "{debug}"
        );
        // The values are still what is sent.
        assert_eq!(form.get("CLIENT_SECRET"), Some("s3cr3t-value"));
        assert!(form.encode().contains("hunter2"));
    }
}
