//! The store (SQLite, in temporary files) and the engine against the offline sandbox.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod engine;
mod live;
mod migrations;
mod one_pass;
mod store;
mod support;
