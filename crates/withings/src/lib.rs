//! Client library for the Withings Health API: weight and body composition, blood pressure,
//! activity, workouts, sleep, ECG — every public endpoint as a typed call, pagination
//! followed to the end, decoded values with exact decimals and local times.
//!
//! # Quick start
//!
//! ```no_run
//! use withings::model::measure::GetMeas;
//! use withings::{AppCredentials, CallbackUrl, Client, FileTokenStore, MeasureType, Scope};
//! use withings::jiff::{Timestamp, ToSpan};
//!
//! # async fn _run() -> withings::Result<()> {
//! let credentials = AppCredentials::new("my-client-id", "my-client-secret")
//!     .with_redirect_uri(CallbackUrl::parse("https://example.com/withings/callback")?);
//! let client = Client::builder()
//!     .credentials(credentials)
//!     .token_store(FileTokenStore::new("withings-token.json"))
//!     .build()?;
//!
//! // Once: send the user to Withings and read back the URL they were redirected to.
//! if client.tokens().await?.is_none() {
//!     let pending = client.authorize(&[Scope::UserMetrics, Scope::UserActivity])?;
//!     println!("Open {}", pending.url());
//!     let mut pasted = String::new();
//!     std::io::stdin().read_line(&mut pasted).ok();
//!     client.complete_authorization(&pending, &pasted).await?; // saved to the token file
//! }
//!
//! // Weight over the last 48 hours, every page.
//! let now = Timestamp::now();
//! let request = GetMeas::new().meastypes([MeasureType::Weight]).between(now - 48.hours(), now);
//! let meas = client.collect_all(request).await?;
//! for (group, weight) in meas.of_kind(MeasureType::Weight) {
//!     println!("{}: {} kg", group.local().strftime("%Y-%m-%d %H:%M %Z"), weight.value());
//! }
//! # Ok(()) }
//! ```
//!
//! # Layout
//! - Every endpoint is declared once, in [`model`]: a request type that is its own builder
//!   (`GetMeas::new().meastypes([Weight]).between(a, b)`) and implements [`Endpoint`] (its
//!   service, action, parameters, body type, and traits: paged, split into 24 h calls,
//!   idempotent, scopes, validation).
//! - [`Client`] (built by [`ClientBuilder`]) sends any of them the same way:
//!   [`send`](Client::send) returns decoded domain values, [`send_wire`](Client::send_wire)
//!   the wire body; paged requests also have [`collect_all`](Client::collect_all),
//!   [`pages`](Client::pages) and [`stream`](Client::stream) ([`paging`]), which say where to
//!   resume when a page fails ([`Interrupted`]). Requests over more than 24 h of `sleep get`
//!   and `getintradayactivity` are split and merged inside, whoever sends them.
//! - [`Client::call`] is the escape hatch: any action, any parameters, JSON back.
//! - [`notification`] reads what Withings POSTs to a callback URL and says what to fetch.
//! - [`Error`] is the one error type; [`Result`] uses it.
//!
//! The layers below are re-exported: [`model`] (wire types, quirks included), [`decode`]
//! (wire → domain), [`http`] (transport, OAuth 2, token stores).
//!
//! # Crate features
//! - `bundled-tzdb`: compile the IANA time zone database in, for machines without
//!   `/usr/share/zoneinfo` (containers, Windows). Off by default, as jiff asks of libraries.
//!
//! Decoding a recorded response needs no client:
//!
//! ```
//! use withings::decode::{decode_reply, Reply};
//! use withings::model::measure::GetMeasBody;
//!
//! let json = br#"{"status":0,"body":{"updatetime":1717430000,"timezone":"Europe\/Paris",
//!   "measuregrps":[{"grpid":7,"attrib":0,"date":1717429800,"created":1717429900,"category":1,
//!   "deviceid":null,"measures":[{"value":78250,"type":1,"unit":-3}]}]}}"#;
//! let Reply::Ok(meas) = decode_reply::<GetMeasBody>(json)? else { unreachable!() };
//! assert_eq!(meas.groups[0].measures()[0].value().to_string(), "78.25");
//! # Ok::<(), withings::decode::DecodeError>(())
//! ```
#![doc(test(attr(deny(warnings))))]

mod client;
mod error;
pub mod notification;
pub mod paging;

pub use client::{Client, ClientBuilder, Output};
pub use error::{Error, Result};
pub use notification::{Delivery, Fetch, FetchPlan, Fetched};
pub use paging::{Interrupted, ItemStream, Page, PageStream};

#[doc(inline)]
pub use withings_decode as decode;
#[doc(inline)]
pub use withings_http as http;
#[doc(inline)]
pub use withings_model as model;

/// The date and time library of the API: [`Timestamp`](jiff::Timestamp) for instants,
/// [`civil::Date`](jiff::civil::Date) for local days.
pub use jiff;

pub use futures_core::Stream;
pub use withings_decode::{Decimal, Decode, DecodeError, OnePass};
pub use withings_http::{
    AccessToken, AppCredentials, AuthorizationCode, Clock, ErrorKind, FileTokenStore, ManualClock,
    MemoryTokenStore, PendingAuthorization, RateLimiter, RawBody, Received, RefreshToken, Region,
    RetryPolicy, SystemClock, TokenSet, TokenStore,
};
pub use withings_model::activity::{ActivityField, IntradayField};
pub use withings_model::codes::Category;
pub use withings_model::measure::MeasureType;
pub use withings_model::notify::{Appli, UpdateChange};
pub use withings_model::scope::Scope;
pub use withings_model::sleep::{SleepField, SleepSummaryField};
pub use withings_model::url::{CallbackUrl, UrlRule};
pub use withings_model::workout::WorkoutField;
pub use withings_model::{
    DateWindow, EmptyBody, Endpoint, Form, Paged, RequestError, Service, TimeSpan, TimeWindow,
};
