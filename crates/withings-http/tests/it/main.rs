//! Integration tests of withings-http against local wiremock servers (no real network).
//!
//! One binary with modules, to link once on 2-core machines.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod oauth;
mod one_pass;
mod resend;
mod retry;
mod secrets;
mod status;
mod store;
mod transport;
