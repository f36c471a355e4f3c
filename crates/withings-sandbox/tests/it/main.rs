//! The sandbox as a client sees it: a real TCP connection, raw bytes, the model's parser and
//! the decoder on every answer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod endpoints;
mod fleet;
mod harness;
mod living;
mod oauth;
mod quirks;
mod server;
mod stetho;
