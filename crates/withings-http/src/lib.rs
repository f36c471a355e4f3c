//! Transport and OAuth 2 for the Withings Health API (being built: see issue 3).
//!
//! This crate will send any [`withings_model::Endpoint`] over HTTPS with a bearer token,
//! check the envelope's status before the body, refresh rotating tokens and respect rate
//! limits.
#![doc(test(attr(deny(warnings))))]

pub use withings_model::{Endpoint, Service};
