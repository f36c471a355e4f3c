//! `withings sync`: the user's history into the local database, incrementally
//! (`withings-sync`), with a progress line and a summary table.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use jiff::SignedDuration;
use withings_sync::{DataType, FullWindow, HookPoint, SqliteStore, Sync, SyncOptions};

use crate::app::{Ctx, Progress};
use crate::error::{Exit, Failure};
use crate::output::{Cell, Table, col, extra};
use crate::window::parse_since;

/// `withings sync`.
#[derive(Debug, Clone, Args)]
pub(crate) struct SyncArgs {
    /// Only these data, comma-separated: measures, activity, workouts, sleep (summaries and
    /// segments), sleep-summaries, sleep-segments, intraday, heart, devices, goals
    /// [default: all but intraday].
    #[arg(long, value_delimiter = ',', value_name = "DATA", value_parser = parse_data)]
    pub(crate) only: Vec<Vec<DataType>>,
    /// Also re-read a window (--since, default: the whole history) and delete from the
    /// database what Withings no longer returns in it (deleted weigh-ins…).
    #[arg(long)]
    pub(crate) full: bool,
    /// With --full: the window to re-read, back from now: 90d, 2w.
    #[arg(long, value_name = "AGE", value_parser = parse_since, requires = "full")]
    pub(crate) since: Option<SignedDuration>,
    /// Also fetch intraday samples (one call per day that changed).
    #[arg(long)]
    pub(crate) intraday: bool,
    /// The database file [default: $XDG_DATA_HOME/withings/withings.db or
    /// ~/.local/share/withings/withings.db; env WITHINGS_DB].
    #[arg(long, value_name = "PATH")]
    pub(crate) db: Option<PathBuf>,
}

fn parse_data(s: &str) -> Result<Vec<DataType>, String> {
    match s.trim() {
        "sleep" => Ok(vec![DataType::SleepSummaries, DataType::SleepSegments]),
        name => DataType::from_name(name).map(|t| vec![t]).ok_or_else(|| {
            format!(
                "unknown data `{name}`: use measures, activity, workouts, sleep, sleep-summaries, sleep-segments, intraday, heart, devices or goals"
            )
        }),
    }
}

/// `--db`, else `WITHINGS_DB`, else the XDG data folder.
pub(crate) fn db_path(flag: Option<&PathBuf>) -> Result<PathBuf, Failure> {
    if let Some(p) = flag {
        return Ok(p.clone());
    }
    if let Some(p) = std::env::var_os("WITHINGS_DB").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    withings_sync::default_db_path().map_err(|e| Failure::config(format!("{e} (or pass --db)")))
}

/// Maps a store or sync failure to an exit code and one line.
pub(crate) fn failure(ctx: Option<&Ctx>, e: withings_sync::Error) -> Failure {
    match e {
        withings_sync::Error::Api { data_type, source } => {
            let f = match ctx {
                Some(ctx) => ctx.fail(source),
                None => crate::app::from_facade(&source),
            };
            Failure::new(
                f.exit,
                format!(
                    "syncing {data_type}: {} (what was written so far is kept: run `withings sync` again to go on)",
                    f.message
                ),
            )
        }
        withings_sync::Error::NoDataDir => Failure::config(format!("{e} (or pass --db)")),
        withings_sync::Error::NoUser => Failure::new(Exit::Auth, e.to_string()),
        other => Failure::other(other.to_string()),
    }
}

/// `WITHINGS_RATE_LIMIT=REQUESTS/SECONDS` (e.g. `1200/60` for a partner plan, or a
/// compressed period in tests against the sandbox): the client's rate limiter.
pub(crate) fn rate_limit_from_env() -> Option<withings::RateLimiter> {
    let v = std::env::var("WITHINGS_RATE_LIMIT").ok()?;
    let (n, secs) = v.trim().split_once('/')?;
    let n: u32 = n.trim().parse().ok().filter(|n| *n > 0)?;
    let secs: f64 = secs.trim().parse().ok().filter(|s: &f64| *s > 0.0)?;
    Some(withings::RateLimiter::new(n, Duration::from_secs_f64(secs)))
}

/// The crash test hook (`WITHINGS_SYNC_CRASH_AT=inside:K` or `after:K`): the process kills
/// itself with SIGKILL inside the K-th write's transaction (after its records, before its
/// cursor) or right after the K-th write committed. Not for users.
fn crash_hook() -> Option<withings_sync::HookFn> {
    let v = std::env::var("WITHINGS_SYNC_CRASH_AT").ok()?;
    let (at, k) = v.trim().split_once(':')?;
    let k: u64 = k.parse().ok()?;
    let inside = match at {
        "inside" => true,
        "after" => false,
        _ => return None,
    };
    Some(Arc::new(move |p| {
        let hit = match p {
            HookPoint::BeforeCursor { page } => inside && page == k,
            HookPoint::Committed { page } => !inside && page == k,
            _ => false,
        };
        if hit {
            let pid = std::process::id().to_string();
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid])
                .status();
            std::process::abort();
        }
    }))
}

pub(crate) async fn run(ctx: &Ctx, args: &SyncArgs) -> Result<Table, Failure> {
    let path = db_path(args.db.as_ref())?;
    let store = SqliteStore::open(&path).map_err(|e| failure(Some(ctx), e))?;
    let user = match ctx.client.tokens().await {
        Ok(t) => t.and_then(|t| t.userid().map(str::to_owned)),
        Err(e) => return Err(ctx.fail(e)),
    }
    .ok_or_else(|| failure(Some(ctx), withings_sync::Error::NoUser))?;

    let mut options = SyncOptions::new(ctx.now)
        .only(args.only.iter().flatten().copied())
        .intraday(args.intraday);
    if args.full {
        let from = match args.since {
            Some(age) => ctx.now - age,
            None => withings_sync::HISTORY_START,
        };
        options = options.full(FullWindow { from, to: ctx.now });
    }
    if let Some(hook) = crash_hook() {
        options = options.hook(hook);
    }

    let mut progress = Progress::new("sync");
    let sync = Sync::new(ctx.client.clone(), store, user, options);
    let report = sync
        .run(|p| match p {
            withings_sync::Progress::Call { data_type, calls } => {
                progress.step(&format!("{data_type}: call"), calls as usize);
            }
            withings_sync::Progress::Page {
                data_type, records, ..
            } => progress.step(&format!("{data_type}: records"), records as usize),
            withings_sync::Progress::Queue { data_type, left } => {
                progress.step(&format!("{data_type}: queued"), left);
            }
            _ => {}
        })
        .await
        .map_err(|e| failure(Some(ctx), e))?;
    drop(progress);

    let mut table = Table::new(&[
        col("data"),
        col("calls"),
        col("records"),
        col("inserted"),
        col("updated"),
        col("deleted"),
        col("rejected"),
        extra("pages"),
        extra("unchanged"),
        extra("recovered"),
    ]);
    let n = |v: u64| Cell::Int(i64::try_from(v).unwrap_or(i64::MAX));
    for (t, r) in &report.types {
        table.push(vec![
            Cell::text(t.name()),
            n(r.calls),
            n(r.records),
            n(r.stats.inserted),
            n(r.stats.updated),
            n(r.stats.deleted + r.stats.purged),
            n(r.stats.rejected),
            n(r.pages),
            n(r.stats.unchanged),
            n(r.recovered),
        ]);
    }
    let total = report.total();
    if args.full {
        table.notes.push(format!(
            "--full: {} record(s) deleted that Withings no longer has",
            total.stats.purged
        ));
    }
    table.notes.extend(report.warnings.iter().cloned());
    table.notes.push(format!("database: {}", path.display()));
    Ok(table)
}
