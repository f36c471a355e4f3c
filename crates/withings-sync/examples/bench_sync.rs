//! Benchmark (not a test): a first sync of the sandbox's one-year and five-year histories
//! into an empty SQLite file, the client's limiter off.
//!
//! ```text
//! cargo run --release -p withings-sync --example bench_sync [-- DAYS...]   # default 365 1826
//! ```
//!
//! For each history length the program starts the sandbox (no application limit, default
//! page sizes) in its own process and runs the sync in a child process of itself, so the
//! child's peak resident memory (`VmHWM`) counts the client, the engine and SQLite only —
//! not the sandbox's generated history, nor an earlier, longer run. The child authorizes
//! through a pipe: it prints the authorize URL, the parent plays the user
//! ([`RunningSandbox::approve`]) and writes back the redirect.
//!
//! It prints, per endpoint, the calls made and the minimum the API allows for that history:
//! - each list (`getmeas`, `getactivity`, `getworkouts`, `sleep getsummary`, `heart list`):
//!   `max(1, ceil(records / page size))` — one call per page of the whole history, the
//!   sandbox's page sizes (30 groups for getmeas, 10 records for the v2 lists);
//! - `sleep get`: the fewest windows of at most 24 h that cover every night and nap (greedy
//!   over the summaries' `[start, end]` as stored, sorted by start: each window opens at the
//!   first night not yet covered and takes every night that ends within 24 h of it);
//! - `getdevice`, `getgoals`: one each.
//!
//! Then the simulated clock: the measured number of calls replayed through the client's
//! default limiter ([`RateLimiter::withings_default`], 120 per 60 s) on a paused tokio clock,
//! each call lasting the mean measured call time, gives the time a first sync would take
//! against Withings' limit; nothing is waited for real.
//!
//! [`RunningSandbox::approve`]: withings_sandbox::RunningSandbox::approve
//! [`RateLimiter::withings_default`]: withings::RateLimiter::withings_default
// A benchmark reports on stdout.
#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;
use std::error::Error;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use withings::jiff::Timestamp;
use withings::{AppCredentials, CallbackUrl, Client, ManualClock, MemoryTokenStore, Scope};
use withings_sandbox::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox};
use withings_sync::{SqliteStore, Sync, SyncOptions, TableDef};

type Res<T> = Result<T, Box<dyn Error>>;

/// 2024-06-03T15:53:20Z, the instant the tests use: the history ends there.
const NOW: i64 = 1_717_430_000;
/// The sandbox's default page sizes (`SandboxBuilder::meas_page_size`, `page_size`).
const MEAS_PAGE: usize = 30;
const PAGE: usize = 10;

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        let base_url = args.get(1).ok_or("--child needs a base URL")?;
        let db = args.get(2).ok_or("--child needs a database path")?;
        return child(base_url, Path::new(db));
    }
    let days: Vec<u32> = if args.is_empty() {
        vec![365, 1826]
    } else {
        args.iter()
            .map(|a| a.parse())
            .collect::<Result<_, _>>()
            .map_err(|e| format!("history lengths are day counts: {e}"))?
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut five_year_calls = None;
    for d in days {
        let (calls, per_call) = runtime.block_on(parent(d))?;
        five_year_calls = Some((d, calls, per_call));
    }
    if let Some((d, calls, per_call)) = five_year_calls {
        simulated(d, calls, per_call)?;
    }
    Ok(())
}

/// One history length: sandbox here, sync in a child process, figures printed.
async fn parent(days: u32) -> Res<(u64, Duration)> {
    let now = Timestamp::from_second(NOW)?;
    let sandbox = Sandbox::builder()
        .now(now)
        .no_app_limit()
        .history_days(days)
        .build()
        .start()
        .await?;
    let dir = std::env::temp_dir().join(format!("withings-bench-sync-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let db = dir.join(format!("{days}.db"));

    let mut child = Command::new(std::env::current_exe()?)
        .arg("--child")
        .arg(sandbox.base_url())
        .arg(&db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().ok_or("no child stdin")?;
    let stdout = child.stdout.take().ok_or("no child stdout")?;
    let lines = BufReader::new(stdout).lines();
    let mut results = BTreeMap::new();
    for line in lines {
        let line = line?;
        if let Some(url) = line.strip_prefix("authorize ") {
            let redirected = sandbox.approve(url)?;
            writeln!(stdin, "{redirected}")?;
            stdin.flush()?;
        } else if let Some((k, v)) = line.split_once('=') {
            results.insert(k.to_owned(), v.to_owned());
        }
    }
    let status = child.wait()?;
    if !status.success() {
        return Err(format!("the sync child failed: {status}").into());
    }
    let get = |k: &str| -> Res<f64> {
        Ok(results
            .get(k)
            .ok_or_else(|| format!("the child did not report {k}"))?
            .parse::<f64>()?)
    };

    // Calls made, per endpoint, from the sandbox's log.
    let mut made: BTreeMap<String, u64> = BTreeMap::new();
    for c in sandbox.calls() {
        *made
            .entry(format!("{} {}", c.path, c.get("action").unwrap_or("")))
            .or_insert(0) += 1;
    }
    let inv = sandbox.inventory();
    let store = SqliteStore::open(&db)?;
    let nights = withings_sync::query(
        &store,
        "SELECT start_at, end_at FROM sleep_summaries ORDER BY start_at",
    )?;
    let nights: Vec<(i64, i64)> = nights
        .iter()
        .filter_map(|r| Some((r.first()?.as_int()?, r.get(1)?.as_int()?)))
        .collect();
    let pages = |n: usize, size: usize| n.div_ceil(size).max(1) as u64;
    let minimum: Vec<(&str, u64)> = vec![
        ("/measure getmeas", pages(inv.measure_groups, MEAS_PAGE)),
        ("/v2/measure getactivity", pages(inv.activity_days, PAGE)),
        ("/v2/measure getworkouts", pages(inv.workouts, PAGE)),
        ("/v2/sleep getsummary", pages(inv.sleep_summaries, PAGE)),
        ("/v2/sleep get", day_windows(&nights)),
        ("/v2/heart list", pages(inv.ecgs, PAGE)),
        ("/v2/user getdevice", 1),
        ("/v2/user getgoals", 1),
    ];
    let mut rows = 0;
    for t in TableDef::all() {
        let n = withings_sync::query(&store, &format!("SELECT COUNT(*) FROM {}", t.name))?;
        rows += n
            .first()
            .and_then(|r| r.first())
            .and_then(|v| v.as_int())
            .unwrap_or(0);
    }

    println!("\n== history_days {days} ==");
    println!(
        "inventory: {} measure groups ({} measures), {} activity days, {} workouts, \
         {} sleep summaries ({} segments), {} ECGs",
        inv.measure_groups,
        inv.measures,
        inv.activity_days,
        inv.workouts,
        inv.sleep_summaries,
        inv.sleep_segments,
        inv.ecgs
    );
    println!("| endpoint | calls made | minimum |");
    println!("|---|---|---|");
    let (mut total_made, mut total_min) = (0, 0);
    for (endpoint, min) in &minimum {
        let m = made.get(*endpoint).copied().unwrap_or(0);
        total_made += m;
        total_min += min;
        println!("| `{endpoint}` | {m} | {min} |");
    }
    for (endpoint, m) in &made {
        if !minimum.iter().any(|(e, _)| e == endpoint) {
            total_made += m;
            println!("| `{endpoint}` (not needed) | {m} | 0 |");
        }
    }
    println!("| total | {total_made} | {total_min} |");
    let calls = get("calls")?;
    let wall = get("wall_s")?;
    let written = get("written")?;
    println!(
        "engine: {calls} calls, {} pages, {} records received, {written} rows written, \
         {rows} rows in the file",
        get("pages")?,
        get("records")?,
    );
    println!(
        "wall {wall:.2} s, {:.0} rows written/s, {:.2} ms per call, sync process CPU {:.2} s, \
         peak RSS (VmHWM) {:.1} MiB, database {:.1} MiB",
        written / wall,
        wall * 1000.0 / calls,
        get("cpu_s")?,
        get("vmhwm_kib")? / 1024.0,
        std::fs::metadata(&db)?.len() as f64 / 1_048_576.0
    );
    drop(store);
    sandbox.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    let per_call = Duration::from_secs_f64(wall / calls.max(1.0));
    Ok((calls as u64, per_call))
}

/// The fewest windows of at most 24 h covering every `[start, end]` (sorted by start).
fn day_windows(nights: &[(i64, i64)]) -> u64 {
    let mut windows = 0;
    let mut open: Option<i64> = None;
    for &(start, end) in nights {
        match open {
            Some(w) if end - w <= 86_400 => {}
            _ => {
                windows += 1;
                open = Some(start);
            }
        }
    }
    windows
}

/// The child: authorize through the pipe, sync into `db`, report `key=value` lines.
fn child(base_url: &str, db: &Path) -> Res<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let now = Timestamp::from_second(NOW)?;
        let credentials = AppCredentials::new(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
            .with_redirect_uri(CallbackUrl::parse("https://example.org/withings/cb")?);
        let client = Client::builder()
            .base_url(base_url)
            .account_url(base_url)
            .credentials(credentials)
            .token_store(MemoryTokenStore::new())
            .clock(ManualClock::new(now))
            .no_rate_limit()
            .build()?;
        let pending = client.authorize(&[Scope::UserMetrics, Scope::UserActivity])?;
        println!("authorize {}", pending.url());
        let mut redirected = String::new();
        std::io::stdin().read_line(&mut redirected)?;
        let tokens = client
            .complete_authorization(&pending, redirected.trim())
            .await?;
        let user = tokens.userid().ok_or("the token names no user")?.to_owned();
        let store = SqliteStore::open(PathBuf::from(db))?;
        let started = Instant::now();
        let report = Sync::new(client, store, user, SyncOptions::new(now))
            .run(|_| {})
            .await?;
        let wall = started.elapsed().as_secs_f64();
        let t = report.total();
        println!("calls={}", t.calls);
        println!("pages={}", t.pages);
        println!("records={}", t.records);
        println!("written={}", t.stats.written());
        println!("wall_s={wall}");
        println!("cpu_s={}", cpu_seconds()?);
        println!("vmhwm_kib={}", vmhwm_kib()?);
        Ok(())
    })
}

/// The process's peak resident set, from `/proc/self/status`.
fn vmhwm_kib() -> Res<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .ok_or("no VmHWM in /proc/self/status")?;
    Ok(line.trim().trim_end_matches("kB").trim().parse()?)
}

/// The process's user + system CPU time, from `/proc/self/stat` (fields 14 and 15, in
/// USER_HZ ticks: 100 a second on Linux).
fn cpu_seconds() -> Res<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    let after = stat.rsplit_once(')').ok_or("no ) in /proc/self/stat")?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| -> Res<f64> {
        Ok(fields
            .get(i)
            .ok_or("/proc/self/stat is short")?
            .parse::<f64>()?)
    };
    // Field 3 (state) is the first after the command name.
    Ok((tick(14 - 3)? + tick(15 - 3)?) / 100.0)
}

/// `calls` calls, each lasting `per_call`, through the default limiter on a paused clock.
fn simulated(days: u32, calls: u64, per_call: Duration) -> Res<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()?;
    let elapsed = runtime.block_on(async {
        let limiter = withings::RateLimiter::withings_default();
        let start = tokio::time::Instant::now();
        for _ in 0..calls {
            limiter.acquire().await;
            tokio::time::sleep(per_call).await;
        }
        start.elapsed()
    });
    let floor = (calls.div_ceil(120).saturating_sub(1)) * 60;
    println!(
        "\n== simulated clock, history_days {days}, default limiter (120 per 60 s) ==\n\
         {calls} calls at {:.2} ms each: {:.1} min ({} s) on the paused clock; \
         the limit alone: at least (ceil({calls}/120) - 1) x 60 s = {floor} s",
        per_call.as_secs_f64() * 1000.0,
        elapsed.as_secs_f64() / 60.0,
        elapsed.as_secs()
    );
    Ok(())
}
