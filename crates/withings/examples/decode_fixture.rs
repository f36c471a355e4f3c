//! Decodes recorded responses from `fixtures/` and prints what a user would see: a weight and
//! body-composition table and a sleep summary, each in the zone the API reported.
//!
//! `cargo run -p withings --example decode_fixture [getmeas.json] [getsummary.json]`
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::print_literal)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use withings::decode::{Decode, Reply, decode_reply};
use withings::model::codes::MeasureType;
use withings::model::measure::GetMeasBody;
use withings::model::sleep::GetSleepSummaryBody;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(rel)
}

fn load<B>(path: &Path) -> Result<B::Output, String>
where
    B: Decode + serde::de::DeserializeOwned,
{
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    match decode_reply::<B>(&bytes).map_err(|e| format!("{}: {e}", path.display()))? {
        Reply::Ok(out) => Ok(out),
        Reply::Status(s) => Err(format!("{}: Withings answered {s}", path.display())),
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let meas_path = args
        .next()
        .unwrap_or_else(|| fixture("measure-getmeas/normal.json"));
    let sleep_path = args
        .next()
        .unwrap_or_else(|| fixture("v2-sleep-getsummary/normal.json"));
    match run(&meas_path, &sleep_path) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(meas_path: &Path, sleep_path: &Path) -> Result<(), String> {
    let meas = load::<GetMeasBody>(meas_path)?;
    println!(
        "Measurements ({}), from {}",
        meas.timezone,
        meas_path.display()
    );
    println!(
        "{:<22} {:<38} {:>10} {:<6} {}",
        "local time", "measure", "value", "unit", "attribution"
    );
    for group in &meas.groups {
        for m in group.measures() {
            let unit = m.unit().map(|u| u.symbol()).unwrap_or("");
            let who = if group.may_be_someone_else() {
                "maybe someone else"
            } else {
                "this user"
            };
            let kind = match m.position() {
                Some(p) => format!("{} ({p})", m.kind()),
                None => m.kind().to_string(),
            };
            let when = group.local().strftime("%Y-%m-%d %H:%M %Z").to_string();
            println!("{when:<22} {kind:<38} {:>10} {unit:<6} {who}", m.value());
        }
    }
    let weights: Vec<_> = meas.of_kind(MeasureType::Weight).collect();
    if let Some((group, w)) = weights.first() {
        println!(
            "\nlatest weight: {} kg on {}",
            w.value(),
            group.local().date()
        );
    }

    let nights = load::<GetSleepSummaryBody>(sleep_path)?;
    println!("\nSleep summaries, from {}", sleep_path.display());
    println!(
        "{:<12} {:<18} {:<18} {:>10} {:>10} {:>8}",
        "night", "in bed", "out of bed", "asleep", "deep", "score"
    );
    for night in &nights {
        let m = &night.metrics;
        let hm = |d: Option<jiff::SignedDuration>| {
            d.map(|d| format!("{}h{:02}", d.as_secs() / 3600, d.as_secs() % 3600 / 60))
                .unwrap_or_else(|| "-".into())
        };
        println!(
            "{:<12} {:<18} {:<18} {:>10} {:>10} {:>8}",
            night.date.to_string(),
            night.local_start.strftime("%m-%d %H:%M %Z").to_string(),
            night.local_end.strftime("%m-%d %H:%M %Z").to_string(),
            hm(m.total_sleep_time.or(m.asleep_duration)),
            hm(m.deep_sleep),
            m.sleep_score
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into()),
        );
    }
    Ok(())
}
