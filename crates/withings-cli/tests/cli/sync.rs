//! `withings sync` and `withings export` as processes against the sandbox: a first sync
//! fills the database (a private file), a second asks one page per list and writes nothing,
//! exports print the same exact values as csv and json, and a sync killed with SIGKILL at
//! ten points, then run again, leaves the database an uninterrupted sync leaves.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::{Env, Run, same_values};

/// The client's limiter compressed to the sandbox's (no app limit there): a history syncs in
/// seconds.
const RATE: &str = "1000/1";

const TABLES: [&str; 9] = [
    "measures",
    "activity",
    "workouts",
    "sleep-summaries",
    "sleep-segments",
    "intraday",
    "heart",
    "devices",
    "goals",
];

fn env() -> Env {
    let env = Env::with(|b| {
        b.rate_limit(false)
            .no_app_limit()
            .history_days(60)
            .page_size(3)
            .meas_page_size(5)
    });
    env.login();
    env
}

fn sync(env: &Env, db: &Path, args: &[&str]) -> Run {
    let mut c = env.cmd();
    c.env("WITHINGS_RATE_LIMIT", RATE)
        .arg("--base-url")
        .arg(env.sandbox.base_url())
        .args(["sync", "--format", "json", "--db"])
        .arg(db)
        .args(args);
    Run::from_output(c.output().unwrap())
}

fn export(env: &Env, db: &Path, table: &str, format: &str) -> String {
    // Offline: no --base-url, no credentials needed.
    let mut c = crate::harness::clean_cmd(&env.dir.0);
    c.args(["export", "--table", table, "--format", format, "--db"])
        .arg(db);
    let run = Run::from_output(c.output().unwrap());
    run.ok().to_owned()
}

/// The summary rows of a `sync --format json`, by data type.
fn summary(run: &Run) -> BTreeMap<String, BTreeMap<String, Value>> {
    let rows: Vec<BTreeMap<String, Value>> = serde_json::from_str(run.ok()).unwrap();
    rows.into_iter()
        .map(|r| (r["data"].as_str().unwrap().to_owned(), r))
        .collect()
}

fn sum(s: &BTreeMap<String, BTreeMap<String, Value>>, column: &str) -> i64 {
    s.values().map(|r| r[column].as_i64().unwrap()).sum()
}

fn db(env: &Env, name: &str) -> PathBuf {
    env.dir.0.join(name)
}

#[test]
fn sync_from_empty_then_again_writes_nothing_and_asks_one_page_per_list() {
    let env = env();
    let path = db(&env, "data/withings.db");
    let first = sync(&env, &path, &[]);
    let s = summary(&first);
    for t in [
        "measures",
        "activity",
        "workouts",
        "sleep-summaries",
        "sleep-segments",
        "heart",
        "devices",
        "goals",
    ] {
        assert!(s[t]["inserted"].as_i64().unwrap() > 0, "{t}: {:?}", s[t]);
    }
    assert!(!s.contains_key("intraday"), "intraday is opt-in");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the database holds health data");
    }

    let before = env.sandbox.calls().len();
    let second = sync(&env, &path, &[]);
    let calls = env.sandbox.calls();
    let s = summary(&second);
    for column in ["inserted", "updated", "deleted", "rejected"] {
        assert_eq!(sum(&s, column), 0, "{column}: {}", second.stdout);
    }
    let actions: Vec<String> = calls[before..]
        .iter()
        .map(|c| format!("{} {}", c.path, c.get("action").unwrap_or("")))
        .collect();
    assert_eq!(
        actions,
        [
            "/measure getmeas",
            "/v2/measure getactivity",
            "/v2/measure getworkouts",
            "/v2/sleep getsummary",
            "/v2/heart list",
            "/v2/user getdevice",
            "/v2/user getgoals"
        ]
    );
    assert_eq!(sum(&s, "calls"), 7);
    // The progress line never reaches a pipe.
    assert!(second.stderr.is_empty(), "{}", second.stderr);
}

#[test]
fn export_prints_the_same_exact_values_as_csv_and_json_offline() {
    let env = env();
    let path = db(&env, "withings.db");
    sync(&env, &path, &["--only", "measures,activity"]).ok();
    let json = export(&env, &path, "measures", "json");
    let csv = export(&env, &path, "measures", "csv");
    let rows = same_values(&json, &csv);
    assert!(rows.len() > 20, "{} measures", rows.len());
    for r in &rows {
        // Exact decimals: the text, and the pair it is made of.
        let value = r["value"].as_str().unwrap();
        let (m, e) = (
            r["mantissa"].as_i64().unwrap(),
            r["exponent"].as_i64().unwrap(),
        );
        let exact = withings::decode::Decimal::new(m, e).unwrap();
        assert_eq!(value, exact.to_string());
        assert!(r.contains_key("local_time") && r.contains_key("time_zone"));
        assert!(!r.contains_key("synced_at"), "bookkeeping is not exported");
    }
    // --since keeps the recent rows, in time order. It counts back from the wall clock,
    // and the sandbox's history ends at NOW: a week before NOW, in days from today.
    #[allow(clippy::disallowed_methods)]
    let today = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let since = format!("{}d", (today - crate::harness::NOW) / 86_400 + 7);
    let mut c = crate::harness::clean_cmd(&env.dir.0);
    c.args([
        "export", "--table", "activity", "--since", &since, "--format", "json", "--db",
    ])
    .arg(&path);
    let recent: Vec<BTreeMap<String, Value>> =
        serde_json::from_str(Run::from_output(c.output().unwrap()).ok()).unwrap();
    let all: Vec<BTreeMap<String, Value>> =
        serde_json::from_str(&export(&env, &path, "activity", "json")).unwrap();
    assert!(
        (7..=9).contains(&recent.len()) && recent.len() < all.len(),
        "{} of {}",
        recent.len(),
        all.len()
    );
    let dates: Vec<&str> = recent.iter().map(|r| r["date"].as_str().unwrap()).collect();
    let mut sorted = dates.clone();
    sorted.sort_unstable();
    assert_eq!(dates, sorted);
    // A table never synced exports a header and nothing else.
    assert_eq!(export(&env, &path, "heart", "json"), "[]\n");
    assert!(export(&env, &path, "heart", "csv").starts_with("user_id,record_key,"));
}

#[test]
fn export_without_a_database_says_to_sync_first() {
    let env = Env::new();
    let mut c = crate::harness::clean_cmd(&env.dir.0);
    c.args(["export", "--db"]).arg(env.dir.0.join("none.db"));
    Run::from_output(c.output().unwrap()).fails(5, "run `withings sync` first");
}

/// Every table of the database, as `withings export --format json` prints it.
fn tables(env: &Env, db: &Path) -> Vec<String> {
    TABLES.iter().map(|t| export(env, db, t, "json")).collect()
}

#[cfg(unix)]
#[test]
fn a_sync_killed_at_ten_points_then_resumed_equals_an_uninterrupted_one() {
    use std::os::unix::process::ExitStatusExt;

    let env = env();
    let only = ["--only", "measures,workouts,sleep,devices"];
    let reference = db(&env, "reference.db");
    let s = summary(&sync(&env, &reference, &only));
    let pages: u64 = s.values().map(|r| r["pages"].as_u64().unwrap()).sum();
    assert!(pages > 20, "{pages} writes");
    let want = tables(&env, &reference);

    // Ten points over the whole run, inside a write's transaction (after its records,
    // before its cursor) and right after a commit, alternately.
    let points: Vec<(String, u64)> = (0..10u64)
        .map(|i| {
            let k = 1 + i * (pages - 2) / 9;
            let at = if i % 2 == 0 { "inside" } else { "after" };
            (at.to_owned(), k)
        })
        .collect();
    for (at, k) in points {
        let path = db(&env, &format!("killed-{at}-{k}.db"));
        let mut c = env.cmd();
        c.env("WITHINGS_RATE_LIMIT", RATE)
            .env("WITHINGS_SYNC_CRASH_AT", format!("{at}:{k}"))
            .arg("--base-url")
            .arg(env.sandbox.base_url())
            .args(["sync", "--format", "json", "--db"])
            .arg(&path)
            .args(only);
        let out = c.output().unwrap();
        assert_eq!(
            out.status.signal(),
            Some(9),
            "{at}:{k}: not killed: {:?} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        assert_ne!(
            tables(&env, &path),
            want,
            "{at}:{k}: the kill left nothing to do"
        );
        sync(&env, &path, &only).ok();
        assert_eq!(tables(&env, &path), want, "after a kill {at} write {k}");
    }
}
