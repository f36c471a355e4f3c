//! `withings chart` and `withings report`: the local database drawn as SVG charts or one
//! self-contained HTML page, offline (no token, no network). What is drawn and how is
//! `withings-report`'s; the series are `withings_sync::series`'.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use withings_report::Chart;
use withings_sync::SqliteStore;

use crate::error::{Exit, Failure};
use crate::sync::{db_path, failure};
use crate::window::parse_since;

/// `withings chart`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ChartArgs {
    /// What to draw: weight (with a 7-day average), body-fat, sleep (stages per night),
    /// steps (per day), heart-rate (resting: lowest of the night).
    #[arg(value_parser = parse_chart)]
    pub(crate) chart: Chart,
    /// The SVG file to write.
    #[arg(long, value_name = "FILE.svg")]
    pub(crate) out: PathBuf,
    #[command(flatten)]
    pub(crate) common: DrawArgs,
}

/// `withings report`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ReportArgs {
    /// The HTML file to write.
    #[arg(long, value_name = "FILE.html")]
    pub(crate) out: PathBuf,
    #[command(flatten)]
    pub(crate) common: DrawArgs,
}

/// What `chart` and `report` share.
#[derive(Debug, Clone, Args)]
pub(crate) struct DrawArgs {
    /// How far back from now: 1y, 90d, 8w [default: 1y].
    #[arg(long, value_name = "AGE", value_parser = parse_age)]
    pub(crate) since: Option<SignedDuration>,
    /// Only this user's data [default: every user's in the database].
    #[arg(long, value_name = "ID")]
    pub(crate) user: Option<String>,
    /// The database file [default: as `withings sync`; env WITHINGS_DB].
    #[arg(long, value_name = "PATH")]
    pub(crate) db: Option<PathBuf>,
}

fn parse_chart(s: &str) -> Result<Chart, String> {
    Chart::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = Chart::ALL.iter().map(|c| c.name()).collect();
        format!("unknown chart `{s}`: use {}", names.join(", "))
    })
}

/// `--since` as everywhere, plus years (`1y` = 365 days).
fn parse_age(s: &str) -> Result<SignedDuration, String> {
    match s.trim().strip_suffix('y') {
        Some(n) => n
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .map(|n| SignedDuration::from_hours(n * 365 * 24))
            .ok_or_else(|| format!("invalid age `{s}`: use a whole number of years, 1y to 100y")),
        None => parse_since(s),
    }
}

const DEFAULT_AGE: SignedDuration = SignedDuration::from_hours(365 * 24);

impl DrawArgs {
    fn open(&self) -> Result<SqliteStore, Failure> {
        let path = db_path(self.db.as_ref())?;
        if !path.exists() {
            return Err(Failure::new(
                Exit::Config,
                format!(
                    "no database at {}: run `withings sync` first (or pass --db)",
                    path.display()
                ),
            ));
        }
        SqliteStore::open(&path).map_err(|e| failure(None, e))
    }

    fn since(&self, now: Timestamp) -> Timestamp {
        now.checked_sub(self.since.unwrap_or(DEFAULT_AGE))
            .unwrap_or(Timestamp::MIN)
    }
}

fn draw_failure(e: withings_report::Error) -> Failure {
    match e {
        withings_report::Error::Store(e) => failure(None, e),
        other => Failure::other(other.to_string()),
    }
}

fn write_file(path: &Path, text: &str) -> Result<(), Failure> {
    std::fs::write(path, text).map_err(|e| {
        Failure::new(
            Exit::Config,
            format!("cannot write {}: {e}", path.display()),
        )
    })
}

/// `withings chart`: writes the SVG and says where.
pub(crate) async fn chart(
    args: &ChartArgs,
    tz: &TimeZone,
    now: Timestamp,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let store = args.common.open()?;
    let since = args.common.since(now);
    let data = withings_report::load(&store, args.chart, args.common.user.as_deref(), Some(since))
        .await
        .map_err(draw_failure)?;
    let svg = withings_report::svg(args.chart, &data, tz).map_err(draw_failure)?;
    write_file(&args.out, &svg)?;
    writeln!(
        out,
        "{} chart written to {}",
        args.chart,
        args.out.display()
    )?;
    Ok(())
}

/// `withings report`: writes the HTML page and says where.
pub(crate) async fn report(
    args: &ReportArgs,
    tz: &TimeZone,
    now: Timestamp,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let store = args.common.open()?;
    write_report(&store, &args.common, tz, now, &args.out).await?;
    writeln!(
        out,
        "report written to {}: open it in a browser",
        args.out.display()
    )?;
    Ok(())
}

/// Writes the report of `store` to `path` (also the demo's).
pub(crate) async fn write_report(
    store: &SqliteStore,
    args: &DrawArgs,
    tz: &TimeZone,
    now: Timestamp,
    path: &Path,
) -> Result<(), Failure> {
    let html = withings_report::report(store, args.user.as_deref(), Some(args.since(now)), now, tz)
        .await
        .map_err(draw_failure)?;
    write_file(path, &html)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ages_take_years_and_the_usual_units() {
        assert_eq!(
            parse_age("1y").unwrap(),
            SignedDuration::from_hours(365 * 24)
        );
        assert_eq!(
            parse_age("90d").unwrap(),
            SignedDuration::from_hours(90 * 24)
        );
        assert!(parse_age("0y").is_err());
        assert!(parse_age("xy").unwrap_err().contains("years"));
    }
}
