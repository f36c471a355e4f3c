//! `cargo xtask`: project chores, in Rust so they run wherever cargo does.
//!
//! The library holds what `regen-fixtures` does, so that tests can run it on a temporary
//! fixtures tree against a stand-in server:
//! - [`scrub`]: the pseudonym rules and the scrubber (pure, text in, text out);
//! - [`check`]: the honesty check (nothing in `fixtures/` may look live);
//! - [`manifest`]: `fixtures/manifest.toml`, what to record;
//! - [`record`]: calls the API and writes scrubbed responses;
//! - [`cli`]: the command line, on the workspace's own `fixtures/`.
//!
//! and `fuzz`: [`fuzz`] mutates the fixtures and decodes them with every decode entry point;
//! `bench-decode`: [`bench_decode`] times whole decoding processes side by side.

pub mod bench_decode;
pub mod check;
pub mod cli;
mod flags;
pub mod fuzz;
mod json;
pub mod manifest;
pub mod record;
pub mod scrub;
