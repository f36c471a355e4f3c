//! Integration tests of the façade: every call end to end against a wiremock server serving
//! the recorded fixtures, pagination, 24 h splitting, notifications, the escape hatch, and
//! one run against the offline sandbox. One binary (one link step on 2-core machines).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod calls;
mod escape;
mod fixtures;
mod notifications;
mod one_pass;
mod paging;
mod sandbox;
mod shared_tokens;
mod split;
mod support;
