//! The `withings` binary run as a process against a sandbox started by the test: every
//! command in every format, json and csv parsed back to the same values, and the error paths
//! with their exit codes and one-line messages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod chart;
mod commands;
mod data;
mod errors;
mod flags;
mod fleet_load;
mod harness;
mod latest_units;
mod raw_notify;
mod resume;
mod same_path;
mod sandbox_demo;
mod sync;
mod verbose;
