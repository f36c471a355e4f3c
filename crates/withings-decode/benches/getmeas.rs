//! Decoding a 50,000-group getmeas response (about 29 MB) through the public decode path,
//! side by side with two serde_json baselines on the same bytes: skipping everything
//! (`IgnoredAny`) and a minimal typed parse of only date, value, type and unit.
//!
//! `cargo xtask gen-bench-data` writes the input to `target/bench-data/getmeas-50000.json`;
//! without it the same bytes are generated in memory. Run: `cargo bench -p withings-decode`.
//! Peak memory is measured separately (`benches/getmeas_memory.rs`), so that the profiler's
//! per-allocation bookkeeping does not distort these timings.
#![allow(
    missing_docs,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr
)]

use std::sync::LazyLock;

use serde::Deserialize;
use serde::de::IgnoredAny;
use withings_decode::{Reply, decode_reply};
use withings_model::measure::GetMeasBody;

#[path = "support/getmeas_data.rs"]
mod getmeas_data;

// Peak memory is measured by `getmeas_memory` with an allocation profiler; this binary runs
// uninstrumented so the timings are not skewed by counting every allocation.

const GROUPS: usize = 50_000;

pub(crate) static INPUT: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/bench-data")
        .join(format!("getmeas-{GROUPS}.json"));
    std::fs::read(&path).unwrap_or_else(|_| getmeas_data::generate(GROUPS).into_bytes())
});

fn main() {
    eprintln!("input: {} bytes, {GROUPS} groups", INPUT.len());
    divan::main();
}

#[derive(Deserialize)]
struct MinimalEnvelope {
    body: MinimalBody,
}

#[derive(Deserialize)]
struct MinimalBody {
    measuregrps: Vec<MinimalGroup>,
}

#[derive(Deserialize)]
struct MinimalGroup {
    #[allow(dead_code)]
    date: i64,
    measures: Vec<MinimalMeasure>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct MinimalMeasure {
    value: i64,
    #[serde(rename = "type")]
    kind: i64,
    unit: i64,
}

#[divan::bench(sample_count = 20)]
fn baseline_ignored_any() -> IgnoredAny {
    serde_json::from_slice::<IgnoredAny>(&INPUT).unwrap()
}

#[divan::bench(sample_count = 20)]
fn baseline_minimal_typed() -> usize {
    let env: MinimalEnvelope = serde_json::from_slice(&INPUT).unwrap();
    env.body.measuregrps.iter().map(|g| g.measures.len()).sum()
}

#[divan::bench(sample_count = 20)]
fn full_decode() -> usize {
    let Reply::Ok(meas) = decode_reply::<GetMeasBody>(&INPUT).unwrap() else {
        panic!("status")
    };
    meas.groups.iter().map(|g| g.measures().len()).sum()
}

/// What a caller pays for what the decode no longer does up front: every group's local time
/// (`MeasureGroup::local`, computed from the response's zone when asked for).
#[divan::bench(sample_count = 20)]
fn local_times_of_every_group(bencher: divan::Bencher<'_, '_>) {
    let Reply::Ok(meas) = decode_reply::<GetMeasBody>(&INPUT).unwrap() else {
        panic!("status")
    };
    bencher.bench(|| {
        meas.groups
            .iter()
            .map(|g| i64::from(g.local().day()))
            .sum::<i64>()
    });
}
