//! Client library for the Withings Health API.
//!
//! This is the crate applications depend on. Today it re-exports the layers below it; the
//! typed per-endpoint calls and pagination arrive with the façade issue.
//!
//! - [`model`]: wire types of every public endpoint, as they really arrive (quirks included).
//! - [`decode`]: pure functions from wire types to domain values (exact decimals, local times).
//! - [`http`]: transport and OAuth 2.
//!
//! ```
//! use withings::decode::{decode_reply, Reply};
//! use withings::model::measure::GetMeasBody;
//!
//! let json = br#"{"status":0,"body":{"updatetime":1717430000,"timezone":"Europe\/Paris",
//!   "measuregrps":[{"grpid":7,"attrib":0,"date":1717429800,"created":1717429900,"category":1,
//!   "deviceid":null,"measures":[{"value":78250,"type":1,"unit":-3}]}]}}"#;
//! let Reply::Ok(meas) = decode_reply::<GetMeasBody>(json)? else { unreachable!() };
//! assert_eq!(meas.groups[0].measures[0].value.to_string(), "78.25");
//! # Ok::<(), withings::decode::DecodeError>(())
//! ```
//!
//! # Crate features
//! - `bundled-tzdb`: compile the IANA time zone database in, for machines without
//!   `/usr/share/zoneinfo` (containers, Windows). Off by default, as jiff asks of libraries.
#![doc(test(attr(deny(warnings))))]

#[doc(inline)]
pub use withings_decode as decode;
#[doc(inline)]
pub use withings_http as http;
#[doc(inline)]
pub use withings_model as model;
