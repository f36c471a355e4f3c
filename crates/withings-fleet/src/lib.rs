//! Many Withings users on many workers: web onboarding, notification callbacks and the
//! workers that sync on notification, sharing their state in PostgreSQL.
//!
//! - [`config`]: the settings of every fleet process (one TOML file, overridden by the
//!   environment);
//! - [`server`]: `withings serve`, the HTTP side: `/connect`, the OAuth callback, the
//!   notification callback, health and readiness;
//! - [`worker`]: `withings worker`, which claims jobs from the shared queue and syncs;
//! - [`reconcile`]: each user's notification subscriptions made equal to the configuration;
//! - [`jobs`]: `withings jobs`, the queue as an operator sees it;
//! - [`Error`]: the one error type of the crate.
#![doc(test(attr(deny(warnings))))]

pub mod config;
mod error;
pub mod jobs;
pub mod reconcile;
pub mod server;
pub mod worker;

pub use config::FleetConfig;
pub use error::{Error, Result, error_chain};
