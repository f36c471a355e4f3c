//! `withings worker` and `withings jobs`: the fleet's worker process and its job queue.
//!
//! Both read the fleet's configuration (`--config FILE`, a TOML file, or
//! `$WITHINGS_FLEET_CONFIG`, then the `WITHINGS_*` variables: see `withings_fleet::config`);
//! the work itself is `withings_fleet`'s. This module reads flags, handles signals and prints.

use std::io::Write;
use std::path::Path;

use clap::Args;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use withings_fleet::FleetConfig;
use withings_fleet::jobs::{JobFilter, JobRow, JobState, Listing};

use crate::error::Failure;
use crate::fleet_serve::{failure, stop_signal};
use crate::output::{Cell, Format, Table, col, extra};

/// `withings worker`.
#[derive(Debug, Clone, Args)]
pub(crate) struct WorkerArgs {
    /// This worker's name in the queue, unique in the fleet [default: <host>-<pid>].
    #[arg(long, value_name = "NAME")]
    pub(crate) id: Option<String>,
    /// Enqueue a subscription check for every active user and exit: the running workers
    /// subscribe what is missing and revoke what is not configured (after the callback URL
    /// changed, or was down long enough for Withings to drop subscriptions).
    #[arg(long)]
    pub(crate) reconcile_all: bool,
}

/// `withings jobs`.
#[derive(Debug, Clone, Args)]
pub(crate) struct JobsArgs {
    /// Only jobs in this state: queued, running, done, parked, cancelled.
    #[arg(long, value_name = "STATE", value_parser = parse_state)]
    pub(crate) state: Option<JobState>,
    /// Only this user's jobs (their Withings user id).
    #[arg(long, value_name = "ID")]
    pub(crate) user: Option<String>,
    /// At most this many jobs, newest first.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub(crate) limit: i64,
    /// Print how many jobs are in each state instead of the jobs.
    #[arg(long)]
    pub(crate) counts: bool,
}

fn parse_state(s: &str) -> Result<JobState, String> {
    s.trim().to_ascii_lowercase().parse().map_err(|_| {
        format!("`{s}` is not a job state: queued, running, done, parked or cancelled")
    })
}

fn load(config: Option<&Path>) -> Result<FleetConfig, Failure> {
    FleetConfig::load(config).map_err(|e| failure(&e))
}

/// `<host>-<pid>`: unique among the processes of a fleet without any setting.
fn default_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".to_owned());
    format!("{host}-{}", std::process::id())
}

/// `withings worker`: runs until SIGTERM/SIGINT, then finishes or releases its jobs.
pub(crate) async fn worker(
    config: Option<&Path>,
    args: &WorkerArgs,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let config = load(config)?;
    if args.reconcile_all {
        let fleet = config.open_fleet().await.map_err(|e| failure(&e))?;
        let done = withings_fleet::jobs::reconcile_all(&fleet, config.queue_cap)
            .await
            .map_err(|e| failure(&e))?;
        writeln!(
            out,
            "subscription checks: {} queued, {} already queued, {} skipped (inactive or at the queue cap)",
            done.queued, done.merged, done.skipped
        )?;
        return Ok(());
    }
    let id = args.id.clone().unwrap_or_else(default_id);
    let stats = withings_fleet::worker::run(&config, &id, stop_signal())
        .await
        .map_err(|e| failure(&e))?;
    writeln!(
        out,
        "worker {id} stopped: {} done, {} marked re-authorize, {} failed, {} released",
        stats.done, stats.reauthorize, stats.failed, stats.released
    )?;
    Ok(())
}

/// `withings jobs`: the queue's jobs (or counts per state) in `format`; a closed pipe is not
/// an error.
pub(crate) async fn jobs(
    config: Option<&Path>,
    args: &JobsArgs,
    tz: Option<&TimeZone>,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let table = jobs_listing(config, args, tz).await?;
    match table.write(format, out).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

async fn jobs_listing(
    config: Option<&Path>,
    args: &JobsArgs,
    tz: Option<&TimeZone>,
) -> Result<Table, Failure> {
    let config = load(config)?;
    let fleet = config.open_fleet().await.map_err(|e| failure(&e))?;
    let filter = JobFilter {
        state: args.state,
        userid: args.user.clone(),
        limit: args.limit.max(1),
    };
    let listing = withings_fleet::jobs::list(&fleet, &filter)
        .await
        .map_err(|e| failure(&e))?;
    let tz = tz.cloned().unwrap_or_else(TimeZone::system);
    Ok(if args.counts {
        counts_table(&listing)
    } else {
        jobs_table(&listing, &tz)
    })
}

/// One row per state, every state listed (0 when none).
fn counts_table(listing: &Listing) -> Table {
    let mut t = Table::new(&[col("state"), col("jobs")]);
    for state in JobState::ALL {
        let n = listing
            .counts
            .iter()
            .find(|(s, _)| *s == state)
            .map_or(0, |(_, n)| *n);
        t.push(vec![Cell::text(state.as_str()), Cell::Int(n)]);
    }
    t
}

fn time(seconds: Option<i64>, tz: &TimeZone) -> Cell {
    seconds
        .and_then(|s| Timestamp::from_second(s).ok())
        .map_or(Cell::Null, |t| Cell::Time(t.to_zoned_datetime(tz.clone())))
}

/// One row per job; the counts per state as a note under the table.
fn jobs_table(listing: &Listing, tz: &TimeZone) -> Table {
    let mut t = Table::new(&[
        col("id"),
        col("user"),
        col("kind"),
        col("appli"),
        col("state"),
        col("attempts"),
        col("last_error"),
        col("updated"),
        extra("worker"),
        extra("merged"),
        extra("start"),
        extra("end"),
        extra("run_after"),
        extra("lease_until"),
        extra("created"),
    ]);
    for r in &listing.rows {
        t.push(row(r, tz));
    }
    let counts: Vec<String> = listing
        .counts
        .iter()
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    t.notes.push(if counts.is_empty() {
        "the queue is empty".to_owned()
    } else {
        format!("all jobs: {}", counts.join(", "))
    });
    t
}

fn row(r: &JobRow, tz: &TimeZone) -> Vec<Cell> {
    vec![
        Cell::Int(r.id),
        Cell::text(&r.userid),
        Cell::text(r.kind.as_str()),
        Cell::opt_int(r.appli.map(i64::from)),
        Cell::text(r.state.as_str()),
        Cell::Int(i64::from(r.attempts)),
        Cell::opt_text(r.last_error.clone()),
        time(Some(r.updated_at), tz),
        Cell::opt_text(r.worker.clone()),
        Cell::Int(i64::from(r.merged)),
        time(r.start, tz),
        time(r.end, tz),
        time(Some(r.run_after), tz),
        time(r.lease_until, tz),
        time(Some(r.created_at), tz),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_parse_in_any_case_and_a_wrong_one_names_the_choices() {
        assert_eq!(parse_state("Parked"), Ok(JobState::Parked));
        assert_eq!(parse_state("queued"), Ok(JobState::Queued));
        let e = parse_state("lost").unwrap_err();
        assert!(
            e.contains("queued, running, done, parked or cancelled"),
            "{e}"
        );
    }

    #[test]
    fn counts_list_every_state() {
        let listing = Listing::new(Vec::new(), vec![(JobState::Parked, 3)]);
        let t = counts_table(&listing);
        let mut out = Vec::new();
        t.write(crate::output::Format::Csv, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "state,jobs\nqueued,0\nrunning,0\ndone,0\nparked,3\ncancelled,0\n"
        );
    }
}
