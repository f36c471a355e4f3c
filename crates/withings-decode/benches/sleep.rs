//! Decoding a large `sleep get` response (365 nights of per-minute series, 24.6 MB)
//! through the public decode path, side by side with two serde_json baselines on the same
//! bytes: skipping everything (`IgnoredAny`) and a minimal typed parse of each segment's
//! start, end, state and heart rate series.
//!
//! The input is generated in memory (`benches/support/sleep_data.rs`). Run:
//! `cargo bench -p withings-decode --bench sleep`. Peak memory is measured separately
//! (`benches/sleep_memory.rs`), so that the profiler's per-allocation bookkeeping does not
//! distort these timings.
#![allow(
    missing_docs,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr
)]

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;
use serde::de::IgnoredAny;
use withings_decode::{Decode, Reply, decode_reply};
use withings_model::sleep::GetSleepBody;

#[path = "support/sleep_data.rs"]
mod sleep_data;

/// A year of nights in one body (a real call returns at most 24 hours: one night).
const NIGHTS: usize = 365;

pub(crate) static INPUT: LazyLock<(Vec<u8>, sleep_data::Shape)> = LazyLock::new(|| {
    let (text, shape) = sleep_data::generate(NIGHTS);
    (text.into_bytes(), shape)
});

/// The input's bytes.
pub(crate) fn input() -> &'static [u8] {
    &INPUT.0
}

/// Checks, before anything is timed, that the input is what the figures claim: every
/// segment decodes, and `decode_reply` takes the one pass on it (the wire path is not timed).
pub(crate) fn check_input() {
    let (bytes, shape) = &*INPUT;
    assert!(
        GetSleepBody::decode_one_pass(bytes).is_some(),
        "the one pass declined the generated input"
    );
    let Reply::Ok(night) = decode_reply::<GetSleepBody>(bytes).unwrap() else {
        panic!("status")
    };
    assert!(night.rejected.is_empty());
    assert_eq!(night.segments.len(), shape.segments);
    for series in [
        night.segments.iter().map(|s| s.hr.len()).sum::<usize>(),
        night.segments.iter().map(|s| s.rr.len()).sum(),
        night.segments.iter().map(|s| s.snoring.len()).sum(),
        night.segments.iter().map(|s| s.sdnn_1.len()).sum(),
        night.segments.iter().map(|s| s.rmssd.len()).sum(),
        night.segments.iter().map(|s| s.mvt_score.len()).sum(),
    ] {
        assert_eq!(series, shape.samples_per_series);
    }
    assert_eq!(minimal_hr_points(bytes), shape.samples_per_series);
    eprintln!(
        "input: {} bytes, {NIGHTS} nights, {} segments, {} points in each of {} series",
        bytes.len(),
        shape.segments,
        shape.samples_per_series,
        sleep_data::SERIES.len()
    );
}

fn main() {
    check_input();
    divan::main();
}

#[derive(Deserialize)]
struct MinimalEnvelope {
    body: MinimalBody,
}

#[derive(Deserialize)]
struct MinimalBody {
    series: Vec<MinimalSegment>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct MinimalSegment {
    startdate: i64,
    enddate: i64,
    state: i64,
    #[serde(default)]
    hr: BTreeMap<i64, f64>,
}

/// Not a baseline of the issue: the same plain parse of all six series the input carries,
/// to tell the cost of reading five more series from the decode's own cost.
#[derive(Deserialize)]
#[allow(dead_code)]
struct AllSeriesSegment {
    startdate: i64,
    enddate: i64,
    state: i64,
    #[serde(default)]
    hr: BTreeMap<i64, f64>,
    #[serde(default)]
    rr: BTreeMap<i64, f64>,
    #[serde(default)]
    snoring: BTreeMap<i64, f64>,
    #[serde(default)]
    sdnn_1: BTreeMap<i64, f64>,
    #[serde(default)]
    rmssd: BTreeMap<i64, f64>,
    #[serde(default)]
    mvt_score: BTreeMap<i64, f64>,
}

#[derive(Deserialize)]
struct AllSeriesEnvelope {
    body: AllSeriesBody,
}

#[derive(Deserialize)]
struct AllSeriesBody {
    series: Vec<AllSeriesSegment>,
}

fn minimal_hr_points(bytes: &[u8]) -> usize {
    let env: MinimalEnvelope = serde_json::from_slice(bytes).unwrap();
    env.body.series.iter().map(|s| s.hr.len()).sum()
}

#[divan::bench(sample_count = 20)]
fn baseline_ignored_any() -> IgnoredAny {
    serde_json::from_slice::<IgnoredAny>(input()).unwrap()
}

#[divan::bench(sample_count = 20)]
fn baseline_minimal_typed() -> usize {
    minimal_hr_points(input())
}

/// For reference only (see [`AllSeriesSegment`]).
#[divan::bench(sample_count = 20)]
fn typed_all_six_series() -> usize {
    let env: AllSeriesEnvelope = serde_json::from_slice(input()).unwrap();
    env.body.series.iter().map(|s| s.hr.len()).sum()
}

#[divan::bench(sample_count = 20)]
fn full_decode() -> usize {
    let Reply::Ok(night) = decode_reply::<GetSleepBody>(input()).unwrap() else {
        panic!("status")
    };
    night.segments.iter().map(|s| s.hr.len()).sum()
}
