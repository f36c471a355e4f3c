//! The fleet's load test (issue 14): `withings serve` and four `withings worker` processes on
//! one throwaway PostgreSQL cluster, against a sandbox with many users that sends
//! notifications, on a compressed rate-limit period shared by the sandbox and the workers.
//!
//! Small by default (CI); `WITHINGS_LOAD_SCALE=full` runs the full scale of the issue — 200
//! users, 2,000 notifications, a burst of 1,000 POSTs, 10,000 forged POSTs — and the figures it
//! prints go to BENCHMARKS.md ("Fleet load test"):
//!
//! ```sh
//! WITHINGS_LOAD_SCALE=full cargo test -p withings-cli --release --test cli fleet_load -- --nocapture
//! ```
//!
//! What it checks, in order:
//! 1. onboarding of every user's subscriptions through the reconciler (`--reconcile-all`);
//! 2. the notifications, with one worker killed with SIGKILL halfway and started again: every
//!    notified measure group ends in PostgreSQL exactly once, nothing the sandbox does not
//!    hold is there, every delivery was acknowledged, no job is left running or parked, none
//!    is still held by the killed worker;
//! 3. tokens expiring during the run: at most one refresh per expiry per user across all
//!    workers, no refresh with a spent token, nobody asked to re-authorize;
//! 4. the application limit: the sandbox refused nothing and never saw more than the limit
//!    in any window of the period, across all workers;
//! 5. a burst of POSTs answered 2xx (p50/p99 latency reported);
//! 6. the database stopped for a moment: notifications in that moment get a non-2xx, the
//!    sandbox retries as Withings does, none is lost;
//! 7. forged POSTs for unknown users: all acknowledged, zero API calls, zero jobs;
//! 8. an `unlink` notification: the user is marked unlinked, their jobs stop, later
//!    notifications for them are dropped.
#![allow(
    clippy::print_stderr,
    reason = "the load test reports its figures on stderr (run with --nocapture)"
)]
#![allow(
    clippy::disallowed_methods,
    reason = "real time is the point: processes, a sandbox on the system clock, tokens expiring"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use withings::http::{AccessToken, RefreshToken, TokenSet};
use withings_postgres::testing::TestCluster;
use withings_postgres::{Cipher, Database, Fleet};
use withings_sandbox::{RunningSandbox, Sandbox};

use crate::harness::{CLIENT_ID, SECRET, TempDir, clean_cmd};

/// Test-only secrets (the sandbox is on loopback and every value is invented).
const NOTIFY_SECRET: &str = "load-test-notify-secret-0123456789abcdef";
/// 32 bytes of base64 ("withings-load-test-token-key-32b").
const TOKEN_KEY: &str = "d2l0aGluZ3MtbG9hZC10ZXN0LXRva2VuLWtleS0zMmI=";

/// The compressed rate limit: the real 120 requests, in a second instead of a minute.
const REQUESTS: u32 = 120;
const PERIOD: Duration = Duration::from_secs(1);

struct Scale {
    users: usize,
    notifications: usize,
    burst: usize,
    forged: usize,
    token_lifetime: Duration,
}

impl Scale {
    fn from_env() -> Self {
        if std::env::var("WITHINGS_LOAD_SCALE").as_deref() == Ok("full") {
            Self {
                users: 200,
                notifications: 2_000,
                burst: 1_000,
                forged: 10_000,
                token_lifetime: Duration::from_secs(20),
            }
        } else {
            Self {
                users: 12,
                notifications: 120,
                burst: 300,
                forged: 1_000,
                token_lifetime: Duration::from_secs(8),
            }
        }
    }
}

/// The fleet's processes, killed when dropped (a failing test leaves nothing running).
struct Processes {
    children: Vec<(String, Child)>,
}

impl Drop for Processes {
    fn drop(&mut self) {
        for (_, c) in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

struct Harness {
    dir: TempDir,
    env: Vec<(&'static str, String)>,
}

impl Harness {
    fn cmd(&self) -> Command {
        let mut c = clean_cmd(&self.dir.0);
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    fn spawn(&self, name: &str, args: &[&str]) -> Child {
        let log = std::fs::File::create(self.dir.0.join(format!("{name}.log"))).unwrap();
        self.cmd()
            .args(args)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap()
    }

    fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.0.join(format!("{name}.log"))).unwrap_or_default()
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.1 request on a fresh connection; the status code.
async fn http(port: u16, method: &str, path: &str, body: &str) -> std::io::Result<u16> {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await?;
    let head = String::from_utf8_lossy(&buf);
    head.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status line in {head:.80}")))
}

/// Polls `check` every 100 ms until it holds or `limit` passes.
async fn wait_until<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Jobs per state.
async fn job_counts(db: &Database) -> BTreeMap<String, i64> {
    let c = db.client().await.unwrap();
    c.query("SELECT state, count(*) FROM fleet_jobs GROUP BY state", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1)))
        .collect()
}

async fn idle(db: &Database) -> bool {
    let c = job_counts(db).await;
    c.get("queued").copied().unwrap_or(0) == 0 && c.get("running").copied().unwrap_or(0) == 0
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// `n` POSTs, `concurrency` at a time; their latencies (sorted) and statuses.
async fn post_burst(
    port: u16,
    bodies: Vec<String>,
    concurrency: usize,
) -> (Vec<Duration>, BTreeMap<u16, usize>) {
    let path = format!("/notify/{NOTIFY_SECRET}");
    let queue = std::sync::Arc::new(tokio::sync::Mutex::new(bodies));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let queue = queue.clone();
        let path = path.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let Some(body) = queue.lock().await.pop() else {
                    break;
                };
                let t = Instant::now();
                let status = http(port, "POST", &path, &body).await.unwrap_or(0);
                out.push((t.elapsed(), status));
            }
            out
        }));
    }
    let mut latencies = Vec::new();
    let mut statuses = BTreeMap::new();
    for t in tasks {
        for (d, s) in t.await.unwrap() {
            latencies.push(d);
            *statuses.entry(s).or_insert(0) += 1;
        }
    }
    latencies.sort();
    (latencies, statuses)
}

#[test]
fn fleet_under_load_loses_nothing_and_stays_within_the_limit() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let scale = Scale::from_env();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(&pg, &scale));
}

#[allow(clippy::too_many_lines, reason = "one scenario, told in order")]
async fn run(pg: &TestCluster, scale: &Scale) {
    let t0 = Instant::now();
    let url = pg.database("fleet_load").unwrap();
    let sandbox: RunningSandbox = Sandbox::builder()
        .client_id(CLIENT_ID)
        .client_secret(SECRET)
        .users(scale.users)
        .history_days(14)
        .app_limit(REQUESTS, PERIOD)
        .access_token_lifetime(scale.token_lifetime)
        // Withings' retries (+10 s, +1 min, …) a tenth as long.
        .notify_retry_scale(0.1)
        .probe_callbacks(true)
        .build()
        .start()
        .await
        .unwrap();

    // Every user linked: tokens minted by the sandbox, sealed into PostgreSQL.
    let db = Database::connect(&url, 4).await.unwrap();
    db.migrate().await.unwrap();
    let fleet = Fleet::new(db.clone(), Cipher::from_base64(TOKEN_KEY).unwrap());
    let users = sandbox.user_ids();
    let issued_at = Timestamp::now();
    for u in &users {
        let t = sandbox.issue_tokens(u).unwrap();
        let set = TokenSet::new(
            AccessToken::new(t.access_token),
            RefreshToken::new(t.refresh_token),
            issued_at
                .checked_add(jiff::SignedDuration::from_secs(t.expires_in))
                .unwrap(),
        )
        .with_userid(u.clone())
        .with_scope(t.scope);
        fleet.add_user(&set).await.unwrap();
    }

    let port = free_port();
    let public_url = format!("http://127.0.0.1:{port}");
    let h = Harness {
        dir: TempDir::new(),
        env: vec![
            ("WITHINGS_DATABASE_URL", url.clone()),
            // At least twice the jobs in flight plus two (withings_postgres::Fleet's pool rule).
            ("WITHINGS_DATABASE_MAX_CONNECTIONS", "16".into()),
            ("WITHINGS_CLIENT_ID", CLIENT_ID.into()),
            ("WITHINGS_CLIENT_SECRET", SECRET.into()),
            ("WITHINGS_BASE_URL", sandbox.base_url().into()),
            ("WITHINGS_ACCOUNT_URL", sandbox.base_url().into()),
            ("WITHINGS_PUBLIC_URL", public_url.clone()),
            ("WITHINGS_NOTIFY_SECRET", NOTIFY_SECRET.into()),
            ("WITHINGS_LISTEN", format!("127.0.0.1:{port}")),
            ("WITHINGS_TOKEN_KEY", TOKEN_KEY.into()),
            ("WITHINGS_APPLIS", "1,46".into()),
            ("WITHINGS_RATE_REQUESTS", REQUESTS.to_string()),
            ("WITHINGS_RATE_PERIOD", format!("{}ms", PERIOD.as_millis())),
            // The sandbox counts requests on arrival; a booked slot is sent a little later,
            // by however long the worker takes to build and send it — tens of milliseconds
            // with five debug processes on two cores, over 50 ms at full scale. A quarter of
            // the compressed period covers it (the default, 1.2 s on 60 s, is 2 %).
            ("WITHINGS_RATE_MARGIN", "250ms".into()),
            ("WITHINGS_QUEUE_CAP", "50".into()),
            ("WITHINGS_WORKER_LEASE", "6s".into()),
            ("WITHINGS_WORKER_HEARTBEAT", "1s".into()),
            ("WITHINGS_WORKER_POLL", "100ms".into()),
            ("WITHINGS_WORKER_MAX_ATTEMPTS", "8".into()),
            ("WITHINGS_WORKER_JOBS_IN_FLIGHT", "6".into()),
            ("WITHINGS_WORKER_CATCHUP_EVERY", "24h".into()),
            ("WITHINGS_SHUTDOWN_GRACE", "2s".into()),
            // Tokens of seconds: refresh a fraction of a second before expiry, not 5 minutes
            // (which would refresh before every call).
            ("WITHINGS_WORKER_REFRESH_MARGIN", "200ms".into()),
        ],
    };
    let mut procs = Processes {
        children: Vec::new(),
    };
    procs
        .children
        .push(("serve".into(), h.spawn("serve", &["serve"])));
    for w in ["w1", "w2", "w3", "w4"] {
        procs
            .children
            .push((w.into(), h.spawn(w, &["worker", "--id", w])));
    }
    let start = Instant::now();
    while http(port, "GET", "/readyz", "").await.ok() != Some(200) {
        let (_, serve) = &mut procs.children[0];
        let exited = serve.try_wait().unwrap();
        assert!(
            exited.is_none() && start.elapsed() < Duration::from_secs(60),
            "serve is not ready ({exited:?}); its log:\n{}",
            h.log("serve")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // 1. Subscriptions through the reconciler: every user, appli 1 and 46, at our callback.
    let out = h
        .cmd()
        .args(["worker", "--reconcile-all"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let callback = format!("{public_url}/notify/{NOTIFY_SECRET}");
    wait_until(
        Duration::from_secs(120),
        "every user subscribed",
        || async {
            users.iter().all(|u| {
                let subs = sandbox.subscriptions(u).unwrap_or_default();
                [1, 46]
                    .iter()
                    .all(|a| subs.iter().any(|(appli, cb)| appli == a && *cb == callback))
            })
        },
    )
    .await;
    let onboarded = t0.elapsed();

    // 2. The notifications, one worker killed halfway.
    let calls_before = sandbox.app_limit_stats().requests;
    let t_notify = Instant::now();
    let mut notified: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for i in 0..scale.notifications {
        let u = &users[i % users.len()];
        let at = Timestamp::now()
            .checked_sub(jiff::SignedDuration::from_secs(60))
            .unwrap();
        let grpid = sandbox.add_weigh_in(u, at).unwrap();
        notified.entry(u.clone()).or_default().push(grpid);
        if i == scale.notifications / 2 {
            let (_, w2) = procs.children.iter_mut().find(|(n, _)| n == "w2").unwrap();
            w2.kill().unwrap(); // SIGKILL
            w2.wait().unwrap();
            procs
                .children
                .push(("w2b".into(), h.spawn("w2b", &["worker", "--id", "w2b"])));
        }
        // A steady stream, not one instant: about 200 a second.
        if i % 20 == 19 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    assert!(
        sandbox.deliveries_settled(Duration::from_secs(120)).await,
        "deliveries still retrying"
    );
    wait_until(Duration::from_secs(600), "the queue to drain", || idle(&db)).await;
    let drained = t_notify.elapsed();
    let calls_notify = sandbox.app_limit_stats().requests - calls_before;
    // What the calls were (the sandbox remembers the last 4,096 data calls; token calls are
    // counted by the refreshes below).
    let mut by_action: BTreeMap<String, usize> = BTreeMap::new();
    for c in sandbox.calls() {
        let key = format!("{} {}", c.path, c.get("action").unwrap_or("?"));
        *by_action.entry(key).or_insert(0) += 1;
    }

    let undelivered: Vec<_> = sandbox
        .deliveries()
        .into_iter()
        .filter(|d| !d.delivered)
        .collect();
    assert!(undelivered.is_empty(), "not acknowledged: {undelivered:?}");

    // Every notified group exactly once, with all its measures; nothing the sandbox lacks.
    let c = db.client().await.unwrap();
    for u in &users {
        let stored: BTreeMap<i64, i64> = c
            .query(
                "SELECT grpid, count(*) FROM measures WHERE user_id = $1 GROUP BY grpid",
                &[u],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        for g in sandbox.added_weigh_ins(u).unwrap() {
            assert_eq!(
                stored.get(&g.grpid).copied(),
                Some(i64::try_from(g.measures).unwrap()),
                "user {u}: notified group {} not stored exactly once",
                g.grpid
            );
        }
        let truth: BTreeSet<i64> = sandbox
            .ground_truth(u, Timestamp::UNIX_EPOCH, Timestamp::now())
            .unwrap()
            .iter()
            .map(|g| g.grpid)
            .collect();
        let phantom: Vec<_> = stored.keys().filter(|g| !truth.contains(g)).collect();
        assert!(
            phantom.is_empty(),
            "user {u}: rows the sandbox does not hold: {phantom:?}"
        );
        assert_eq!(
            notified[u].len(),
            sandbox.added_weigh_ins(u).unwrap().len(),
            "user {u}"
        );
    }

    // No job left running, parked, or held by the killed worker.
    let counts = job_counts(&db).await;
    assert_eq!(counts.get("parked"), None, "parked jobs: {counts:?}");
    let held: i64 = c
        .query_one(
            "SELECT count(*) FROM fleet_jobs WHERE worker = 'w2' AND state = 'running'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(held, 0, "jobs still claimed by the killed worker");

    // 3. Tokens: expiries happened, at most one refresh per expiry per user, none with a
    // spent token, nobody asked to re-authorize.
    let elapsed = issued_at.duration_until(Timestamp::now()).as_secs_f64();
    let max_per_user = (elapsed / scale.token_lifetime.as_secs_f64()).ceil() as u64;
    let mut refreshes = 0;
    for u in &users {
        let n = sandbox.refresh_count(u);
        assert!(
            n <= max_per_user,
            "user {u}: {n} refreshes in {elapsed:.0} s of {:?} tokens",
            scale.token_lifetime
        );
        refreshes += n;
        assert_eq!(
            fleet.user_status(u).await.unwrap(),
            Some(withings_postgres::UserStatus::Active),
            "user {u}"
        );
    }
    assert!(refreshes > 0, "no token expired during the run");
    let rc = sandbox.refresh_counts();
    assert_eq!(rc.refused, 0, "refreshes refused: {rc:?}");
    // A spent token reused within the rotation grace: only possible for the one refresh the
    // killed worker may have made without storing its result.
    assert!(rc.reused <= 1, "refresh tokens spent twice: {rc:?}");

    // 4. The application limit, across all workers.
    let limit = sandbox.app_limit_stats();
    assert_eq!(limit.refused, 0, "601s: {limit:?}");
    assert!(
        limit.max_in_window <= u64::from(REQUESTS),
        "a window held {} requests: {limit:?}",
        limit.max_in_window
    );

    // 5. A burst of POSTs for known users (each queues or merges one sync).
    let bodies: Vec<String> = (0..scale.burst)
        .map(|i| {
            let now = Timestamp::now().as_second();
            format!(
                "userid={}&appli=1&startdate={}&enddate={now}",
                users[i % users.len()],
                now - 3600
            )
        })
        .collect();
    let t_burst = Instant::now();
    let (lat, statuses) = post_burst(port, bodies, 50).await;
    let burst_time = t_burst.elapsed();
    assert_eq!(
        statuses.get(&200).copied().unwrap_or(0),
        scale.burst,
        "statuses: {statuses:?}"
    );
    let (p50, p99) = (percentile(&lat, 0.5), percentile(&lat, 0.99));
    wait_until(Duration::from_secs(600), "the burst's syncs", || idle(&db)).await;

    // 6. The database stopped for a moment: the callback answers non-2xx, the sandbox
    // retries, nothing is lost.
    let paused_users: Vec<String> = users.iter().take(3).cloned().collect();
    pg.pause().unwrap();
    let status_down = http(
        port,
        "POST",
        &format!("/notify/{NOTIFY_SECRET}"),
        &format!("userid={}&appli=1&startdate=1&enddate=2", users[0]),
    )
    .await
    .unwrap_or(0);
    let mut during_pause = Vec::new();
    for u in &paused_users {
        let at = Timestamp::now()
            .checked_sub(jiff::SignedDuration::from_secs(30))
            .unwrap();
        during_pause.push((u.clone(), sandbox.add_weigh_in(u, at).unwrap()));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    pg.resume().unwrap();
    assert!(
        (500..600).contains(&status_down),
        "a POST while the database is down got {status_down}, not a 5xx"
    );
    assert!(
        sandbox.deliveries_settled(Duration::from_secs(120)).await,
        "deliveries still retrying after the database came back"
    );
    wait_until(
        Duration::from_secs(300),
        "the queue after the outage",
        || idle(&db),
    )
    .await;
    let retried = sandbox
        .deliveries()
        .iter()
        .filter(|d| d.attempts.len() > 1)
        .count();
    for (u, grpid) in &during_pause {
        let n: i64 = db
            .client()
            .await
            .unwrap()
            .query_one(
                "SELECT count(*) FROM measures WHERE user_id = $1 AND grpid = $2",
                &[u, grpid],
            )
            .await
            .unwrap()
            .get(0);
        assert!(
            n > 0,
            "user {u}: group {grpid} notified during the outage was lost"
        );
    }
    assert!(
        retried > 0,
        "no delivery needed a retry: the outage was not exercised"
    );

    // 7. Forged POSTs for unknown users: acknowledged, no API call, no job.
    let calls = sandbox.app_limit_stats().requests;
    let jobs_before: i64 = job_counts(&db).await.values().sum();
    let forged: Vec<String> = (0..scale.forged)
        .map(|i| format!("userid={}&appli=1&startdate=1&enddate=2", 990_000_000 + i))
        .collect();
    let t_forged = Instant::now();
    let (_, forged_statuses) = post_burst(port, forged, 50).await;
    let forged_time = t_forged.elapsed();
    assert_eq!(
        forged_statuses.get(&200).copied().unwrap_or(0),
        scale.forged,
        "{forged_statuses:?}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        sandbox.app_limit_stats().requests,
        calls,
        "forged POSTs cost API calls"
    );
    assert_eq!(job_counts(&db).await.values().sum::<i64>(), jobs_before);

    // 8. A user removes the app: Withings sends appli 46 `unlink`; that user's jobs stop and
    // a later notification for them is acknowledged and dropped.
    let gone = users[1].clone();
    sandbox.unlink(&gone).unwrap();
    assert!(sandbox.deliveries_settled(Duration::from_secs(60)).await);
    wait_until(Duration::from_secs(120), "the unlink", || async {
        fleet.user_status(&gone).await.unwrap() == Some(withings_postgres::UserStatus::Unlinked)
    })
    .await;
    let status = http(
        port,
        "POST",
        &format!("/notify/{NOTIFY_SECRET}"),
        &format!("userid={gone}&appli=1&startdate=1&enddate=2"),
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    let waiting: i64 = db
        .client()
        .await
        .unwrap()
        .query_one(
            "SELECT count(*) FROM fleet_jobs WHERE userid = $1 AND state IN ('queued', 'running')",
            &[&gone],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(waiting, 0, "an unlinked user still has jobs");

    let limit = sandbox.app_limit_stats();
    assert_eq!(limit.refused, 0, "601s: {limit:?}");
    assert!(limit.max_in_window <= u64::from(REQUESTS), "{limit:?}");
    // Nor the other 601: the same request within 10 s (two syncs of one user at once).
    assert_eq!(
        sandbox.same_request_refusals(),
        0,
        "identical requests refused"
    );

    eprintln!(
        "fleet load test: {users} users, {notifs} notifications, 1 serve + 4 workers (one \
         SIGKILLed and restarted), limit {REQUESTS}/{PERIOD:?}\n\
         - onboarding (subscriptions of every user): {onboarded:.1?}\n\
         - notifications → queue drained: {drained:.1?}; API calls {calls_notify} ({per:.2} per \
         notification)\n\
         - sandbox: {total} requests, 0 refused, busiest window {busiest}/{REQUESTS}\n\
         - token refreshes: {refreshes} (lifetime {life:?}), reused {reused}, refused 0\n\
         - burst of {burst} POSTs: {burst_time:.1?}, p50 {p50:.1?}, p99 {p99:.1?}\n\
         - database outage: POST answered {status_down}, {retried} deliveries retried, none lost\n\
         - {forged} forged POSTs: {forged_time:.1?}, 0 API calls, 0 jobs; an unlink stopped its user\n\
         - data calls by action (whole run so far): {by_action:?}\n\
         - whole test: {whole:.1?}",
        users = scale.users,
        notifs = scale.notifications,
        per = calls_notify as f64 / scale.notifications as f64,
        total = limit.requests,
        busiest = limit.max_in_window,
        life = scale.token_lifetime,
        reused = rc.reused,
        burst = scale.burst,
        forged = scale.forged,
        whole = t0.elapsed(),
    );
    for name in ["serve", "w1", "w3", "w4", "w2b"] {
        let log = h.log(name);
        assert!(
            !log.contains(NOTIFY_SECRET) && !log.contains(SECRET) && !log.contains(TOKEN_KEY),
            "{name} logged a secret"
        );
    }
    drop(procs);
    sandbox.shutdown().await;
}
