//! Prints the last 48 hours of weight and body composition, daily activity, workouts, sleep
//! states and sleep summaries, like the Go client's `cmd/getMeasurements` — but every page,
//! ranges over 24 h split for `sleep get`, and times in a zone you choose (the Go client
//! hard-codes JST).
//!
//! ```text
//! cargo run -p withings --example auth               # once: authorize, save the token
//! cargo run -p withings --example get_measurements -- [--tz Asia/Tokyo] [--hours 48]
//! ```
//!
//! Without `--tz`, each record is shown in its own zone as Withings reports it (sleep
//! segments carry none: they use this machine's zone).
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod common;

use std::process::ExitCode;

use common::{Options, Settings};
use withings::jiff::tz::TimeZone;
use withings::jiff::{SignedDuration, Timestamp, ZonedDateTime};
use withings::model::activity::GetActivity;
use withings::model::measure::GetMeas;
use withings::model::sleep::{GetSleep, GetSleepSummary};
use withings::model::workout::GetWorkouts;
use withings::{ActivityField, Category, Client, DateWindow, MeasureType, SleepField};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let options = match Options::parse() {
        Ok(o) => o,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    match run(&options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Shows instants in the chosen zone, or in the record's own.
struct Clock {
    tz: Option<TimeZone>,
    fallback: TimeZone,
}

impl Clock {
    fn at(&self, at: Timestamp, own: Option<&ZonedDateTime>) -> String {
        let zoned = match (&self.tz, own) {
            (Some(tz), _) => at.to_zoned_datetime(tz.clone()),
            (None, Some(own)) => own.clone(),
            (None, None) => at.to_zoned_datetime(self.fallback.clone()),
        };
        zoned.strftime("%Y-%m-%d %H:%M:%S %Z").to_string()
    }
}

fn hm(d: Option<SignedDuration>) -> String {
    d.map_or_else(
        || "-".to_owned(),
        |d| format!("{}h{:02}", d.as_secs() / 3600, d.as_secs() % 3600 / 60),
    )
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

async fn run(o: &Options) -> Result<(), String> {
    let settings = Settings::load(o)?;
    let client = common::client(o, &settings)?;
    let err = |e: withings::Error| {
        if e.is_auth() {
            format!(
                "{}\n(run `cargo run -p withings --example auth` first)",
                common::report(&e)
            )
        } else {
            common::report(&e)
        }
    };
    if client.tokens().await.map_err(err)?.is_none() {
        return Err(format!(
            "no token in {}: run `cargo run -p withings --example auth` first",
            o.token.display()
        ));
    }
    let tz = match &o.tz {
        Some(name) => Some(TimeZone::get(name).map_err(|e| format!("--tz {name}: {e}"))?),
        None => None,
    };
    let clock = Clock {
        fallback: tz.clone().unwrap_or_else(TimeZone::system),
        tz,
    };
    // The one place this program reads the clock.
    let end = withings::Clock::now(&withings::SystemClock);
    let start = end - SignedDuration::from_hours(o.hours);
    // Activity, workouts and sleep summaries are selected by local dates.
    let days = DateWindow::Dates {
        start: start.to_zoned_datetime(clock.fallback.clone()).date(),
        end: end.to_zoned_datetime(clock.fallback.clone()).date(),
    };

    measures(&client, &clock, start, end).await.map_err(err)?;
    activity(&client, days).await.map_err(err)?;
    workouts(&client, &clock, days).await.map_err(err)?;
    sleep(&client, &clock, start, end).await.map_err(err)?;
    sleep_summary(&client, &clock, days).await.map_err(err)?;
    Ok(())
}

async fn measures(
    client: &Client,
    clock: &Clock,
    start: Timestamp,
    end: Timestamp,
) -> withings::Result<()> {
    println!("========== Getmeas[START] ==========");
    let request = GetMeas::new()
        .category(Category::Real)
        .meastypes([
            MeasureType::Weight,
            MeasureType::Height,
            MeasureType::FatFreeMass,
            MeasureType::BoneMass,
            MeasureType::FatRatio,
            MeasureType::FatMassWeight,
            MeasureType::Temperature,
            MeasureType::HeartPulse,
            MeasureType::Hydration,
        ])
        .between(start, end);
    let meas = client.collect_all(request).await?;
    for group in &meas.groups {
        for m in group.measures() {
            println!(
                "{}(Grpid:{}, Category:{}, Attrib:{}, DeviceID:{})",
                m.kind(),
                group.grpid(),
                group.category(),
                group
                    .attrib()
                    .map_or_else(|| "-".to_owned(), |a| a.to_string()),
                group.device_id().unwrap_or("-")
            );
            println!(
                "{}, {} {}",
                clock.at(group.taken_at(), Some(&group.local())),
                m.value(),
                m.unit().map_or("", |u| u.symbol())
            );
        }
    }
    println!("{} measure groups", meas.groups.len());
    println!("========== Getmeas[END] ==========");
    Ok(())
}

async fn activity(client: &Client, days: DateWindow) -> withings::Result<()> {
    println!("========== Getactivity[START] ==========");
    let request = GetActivity::new().window(days).data_fields([
        ActivityField::Steps,
        ActivityField::Calories,
        ActivityField::HrAverage,
        ActivityField::HrMin,
        ActivityField::HrMax,
    ]);
    let days = client.collect_all(request).await?;
    for d in days {
        let hr = d.heart_rate;
        println!(
            "Date:{}, Steps:{}, BurnedCalories:{}, HRAverage:{}, HRMinimum:{}, HRMax:{}",
            d.date,
            opt(d.steps),
            opt(d.calories),
            opt(hr.and_then(|h| h.average)),
            opt(hr.and_then(|h| h.min)),
            opt(hr.and_then(|h| h.max)),
        );
    }
    println!("========== Getactivity[END] ==========");
    Ok(())
}

async fn workouts(client: &Client, clock: &Clock, days: DateWindow) -> withings::Result<()> {
    println!("========== Getworkouts[START] ==========");
    for w in client.collect_all(GetWorkouts::new().window(days)).await? {
        println!(
            "{} to {}: {} ({}), Calories:{}, Steps:{}, Distance(m):{}",
            clock.at(w.start, Some(&w.local_start)),
            clock.at(w.end, Some(&w.local_end)),
            w.category,
            hm(Some(w.duration)),
            opt(w.calories),
            opt(w.steps),
            opt(w.distance_m),
        );
    }
    println!("========== Getworkouts[END] ==========");
    Ok(())
}

async fn sleep(
    client: &Client,
    clock: &Clock,
    start: Timestamp,
    end: Timestamp,
) -> withings::Result<()> {
    println!("========== Getsleep[START] ==========");
    let request = GetSleep::new()
        .between(start, end) // 48 h: two calls of 24 h, merged
        .data_fields([SleepField::Hr, SleepField::Rr, SleepField::Snoring]);
    let night = client.send(&request).await?;
    let first = |s: &[withings::decode::sleep::SeriesPoint<withings::decode::Number>]| {
        opt(s.first().map(|p| p.value))
    };
    for seg in &night.segments {
        println!(
            "{} to {}: {}, Hr:{}, Rr:{}, Snoring:{}",
            clock.at(seg.start, None),
            clock.at(seg.end, None),
            seg.state,
            first(&seg.hr),
            first(&seg.rr),
            first(&seg.snoring),
        );
    }
    println!("========== Getsleep[END] ==========");
    Ok(())
}

async fn sleep_summary(client: &Client, clock: &Clock, days: DateWindow) -> withings::Result<()> {
    println!("========== Getsleepsummary[START] ==========");
    for n in client
        .collect_all(GetSleepSummary::new().window(days).all_fields())
        .await?
    {
        let m = &n.metrics;
        println!(
            "{}-{}: BDI:{}, deep sleep:{}, duration to sleep:{}, duration to wakeup:{}, HrAverage:{}, Max:{}, Min:{}, WakeupCounts:{}, Score:{}",
            clock.at(n.start, Some(&n.local_start)),
            clock.at(n.end, Some(&n.local_end)),
            opt(m.breathing_disturbances_intensity),
            hm(m.deep_sleep),
            hm(m.duration_to_sleep),
            hm(m.duration_to_wakeup),
            opt(m.heart_rate_average),
            opt(m.heart_rate_max),
            opt(m.heart_rate_min),
            opt(m.wakeup_count),
            opt(m.sleep_score),
        );
    }
    println!("========== Getsleepsummary[END] ==========");
    Ok(())
}
