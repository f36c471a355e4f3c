//! Peak memory of the sleep get decode, beside the same baselines as `sleep.rs`.
//!
//! divan's allocation profiler reports "max alloc": the peak of live heap bytes during one
//! run, not counting the input, which is allocated (and checked) before. Compare it with the
//! input size.
#![allow(
    missing_docs,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr
)]

#[path = "sleep.rs"]
#[allow(dead_code)]
mod timing;

#[global_allocator]
static ALLOC: divan::AllocProfiler = divan::AllocProfiler::system();

fn main() {
    timing::check_input();
    divan::main();
}
