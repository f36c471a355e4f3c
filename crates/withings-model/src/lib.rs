//! Wire types of the Withings Health API.
//!
//! This crate describes every public endpoint's request parameters and response bodies as
//! they really arrive, quirks included (API notes §6): `more` as an integer, a boolean or
//! absent; ids as strings or numbers or `null`; `model` as a name or a code; `goals: []` for
//! "no goals"; timestamps as map keys. It knows nothing of HTTP and does no IO: it is serde
//! types, the [`envelope`] every response comes in, and each endpoint described as data
//! ([`endpoint::Endpoint`]) so that one generic path can send any of them.
//!
//! Invariants:
//! - Parsing never panics; a body that does not match gives a [`ParseError`] naming the JSON
//!   path (`body.measuregrps[3].measures[0].value`) — except a bad record of a list, which
//!   is rejected on its own while the others are kept ([`items`]: [`Items`], [`Rejected`]).
//! - Physiological values the API documents as integers but has sent with a fraction are a
//!   [`Number`], kept as received (API notes §15).
//! - Integer codes are open enums ([`codes`]): an unknown code is kept as `Unknown(raw)` and
//!   serializes back to the same integer. Nothing is logged per unknown value.
//! - Secrets (tokens) are `secrecy` types whose `Debug` is redacted.
//!
//! ```
//! use withings_model::envelope::{parse_reply, Reply};
//! use withings_model::measure::GetMeasBody;
//!
//! let json = br#"{"status":0,"body":{"updatetime":1717430000,"timezone":"Europe\/Berlin",
//!   "measuregrps":[{"grpid":1,"attrib":0,"date":1717429800,"created":1717429900,"category":1,
//!   "deviceid":null,"measures":[{"value":70005,"type":1,"unit":-3}]}],"more":0}}"#;
//! let Reply::Ok(body) = parse_reply::<GetMeasBody>(json).unwrap() else { panic!() };
//! assert_eq!(body.timezone, "Europe/Berlin");
//! assert_eq!(body.measuregrps[0].measures[0].value, 70005);
//! ```
#![doc(test(attr(deny(warnings))))]

#[macro_use]
mod code;
pub mod de;
#[macro_use]
pub mod endpoint;
pub mod envelope;
mod error;
pub mod items;
mod number;
pub mod scope;
pub mod url;

pub mod activity;
pub mod heart;
pub mod measure;
pub mod notify;
pub mod oauth2;
pub mod signature;
pub mod sleep;
pub mod stetho;
pub mod user;
pub mod workout;

pub mod codes;

pub use code::{UnknownCode, UnknownName};
pub use endpoint::{
    Body, DateWindow, Endpoint, Form, MAX_CALLS, Paged, PagedBody, RequestError, Service, TimeSpan,
    TimeWindow,
};
pub use envelope::{ApiStatus, EmptyBody, Reply, parse_reply};
pub use error::{ParseError, ParseErrorKind};
pub use items::{Items, Positions, Record, Rejected, TimedItems};
pub use number::Number;
