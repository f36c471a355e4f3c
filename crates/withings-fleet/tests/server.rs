//! `withings serve` against a throwaway PostgreSQL cluster and the offline sandbox:
//! onboarding end to end, and every answer of the notification callback.
//!
//! Every test needs PostgreSQL (`TestCluster::start`, skipped loudly without it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

#[path = "config.rs"]
mod config;
#[path = "server_support.rs"]
mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::Full;
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::rt::TokioExecutor;
use tokio::sync::oneshot;
use withings_fleet::FleetConfig;
use withings_postgres::testing::TestCluster;
use withings_postgres::{JobKind, JobState, UserStatus};

use support::{Harness, Http, query_param};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn onboarding_connects_stores_sealed_tokens_and_subscribes() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let h = Harness::start(&pg, "onboard", &[]).await;
    let user = h.sandbox.user_ids()[1].clone();

    // /connect: a redirect to the sandbox's authorize page with our redirect URI and a state.
    let (status, headers, _) = h.request(Method::GET, "/connect", "").await;
    assert_eq!(status, StatusCode::FOUND);
    let location = headers.get("location").expect("a Location header").clone();
    assert!(
        location.starts_with(&format!("{}/oauth2_user/authorize2?", h.sandbox.base_url())),
        "{location}"
    );
    assert_eq!(
        query_param(&location, "redirect_uri").as_deref(),
        Some(format!("{}/oauth/callback", h.origin).as_str())
    );
    assert_eq!(
        query_param(&location, "client_id").as_deref(),
        Some(h.sandbox.client_id())
    );
    let state = query_param(&location, "state").expect("a state");
    assert!(state.len() >= 22, "state {state:?} is short");
    // Each visit draws a new state.
    let (_, again, _) = h.request(Method::GET, "/connect", "").await;
    assert_ne!(
        query_param(&again["location"], "state"),
        Some(state.clone())
    );

    // The user allows on the authorize page, which sends the browser to our callback.
    let callback = h.sandbox.approve_as(&user, &location).unwrap();
    assert!(
        callback.starts_with(&format!("{}/oauth/callback?", h.origin)),
        "{callback}"
    );
    let (status, headers, page) = h.request(Method::GET, &callback, "").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(headers["content-type"].starts_with("text/html"));
    assert!(page.contains("connected"), "{page}");

    // The user is active with tokens stored sealed: the token text is not in the row.
    assert_eq!(
        h.fleet.user_status(&user).await.unwrap(),
        Some(UserStatus::Active)
    );
    let stored = withings::TokenStore::load(&h.fleet.token_store(&user))
        .await
        .unwrap()
        .expect("tokens stored");
    let db = h.fleet.database().client().await.unwrap();
    let row = db
        .query_one(
            "SELECT access_token, refresh_token FROM fleet_tokens WHERE userid = $1",
            &[&user],
        )
        .await
        .unwrap();
    let (access, refresh): (Vec<u8>, Vec<u8>) = (row.get(0), row.get(1));
    for (sealed, plain) in [
        (&access, stored.access_token().expose_secret()),
        (&refresh, stored.refresh_token().expose_secret()),
    ] {
        assert!(!plain.is_empty());
        assert!(
            !sealed.windows(plain.len()).any(|w| w == plain.as_bytes()),
            "a token is stored in clear"
        );
    }

    // Subscribed: every configured appli to our notification URL, in the sandbox.
    let subs = h.sandbox.subscriptions(&user).unwrap();
    let notify_url = h.config.callback_url();
    let mut applis: Vec<i64> = subs
        .iter()
        .filter(|(_, url)| url == notify_url.expose())
        .map(|(a, _)| *a)
        .collect();
    applis.sort_unstable();
    assert_eq!(applis, vec![1, 4, 16, 44, 46], "{subs:?}");

    // The callback URL is single use: the state was spent.
    let (status, _, page) = h.request(Method::GET, &callback, "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("expired or was already used"), "{page}");
    let code = query_param(&callback, "code").unwrap();
    assert!(
        !page.contains(&code) && !page.contains(&state),
        "the page echoes input"
    );

    // A forged state, a missing code, a declined consent: 400, nothing echoed.
    for (query, expect) in [
        (
            "code=abc&state=forged-state-value",
            "expired or was already used",
        ),
        ("state=whatever", "incomplete"),
        ("error=access_denied&state=x", "declined"),
    ] {
        let (status, _, page) = h
            .request(Method::GET, &format!("/oauth/callback?{query}"), "")
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(page.contains(expect), "{query}: {page}");
        assert!(!page.contains("forged-state-value"), "{page}");
    }

    // Onboarding a user whose notifications then arrive: queued for the worker.
    let at = h.sandbox.now();
    h.sandbox.add_weigh_in(&user, at).unwrap();
    assert!(h.sandbox.deliveries_settled(Duration::from_secs(10)).await);
    let jobs = h.jobs().await;
    assert!(
        jobs.iter()
            .any(|j| j.userid == user && j.kind == JobKind::Notify && j.appli == Some(1)),
        "{jobs:?}"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_notification_callback_answers_as_designed() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let h = Harness::start(&pg, "notify", &[("WITHINGS_QUEUE_CAP", "2")]).await;
    let users = h.sandbox.user_ids();
    let user = users[0].clone();
    h.add_user(&user).await;

    // Withings' probe before it records a subscription.
    for method in [Method::HEAD, Method::GET] {
        let (status, _, _) = h.request(method.clone(), &h.notify_path(), "").await;
        assert_eq!(status, StatusCode::OK, "{method}");
    }
    // Health and readiness.
    assert_eq!(
        h.request(Method::GET, "/healthz", "").await.0,
        StatusCode::OK
    );
    assert_eq!(
        h.request(Method::GET, "/readyz", "").await.0,
        StatusCode::OK
    );

    // A valid notification: 200 once the job is committed.
    let status = h
        .post_notify(&format!(
            "userid={user}&appli=1&startdate=1717364400&enddate=1717368000"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let jobs = h.jobs().await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let job = &jobs[0];
    assert_eq!(
        (
            job.userid.as_str(),
            job.kind,
            job.appli,
            job.start,
            job.end,
            job.state
        ),
        (
            user.as_str(),
            JobKind::Notify,
            Some(1),
            Some(1_717_364_400),
            Some(1_717_368_000),
            JobState::Queued
        )
    );
    // The same user and appli again: merged into the queued job, its window widened.
    let status = h
        .post_notify(&format!(
            "userid={user}&appli=1&startdate=1717360000&enddate=1717370000"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let jobs = h.jobs().await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(
        (jobs[0].start, jobs[0].end),
        (Some(1_717_360_000), Some(1_717_370_000))
    );

    // Wrong secret: 404, as any unknown path; nothing queued.
    let wrong = format!("/notify/{}x", h.config.server.notify_secret.expose());
    for path in [wrong.as_str(), "/notify/", "/notify/short"] {
        let (status, _, _) = h
            .request(Method::POST, path, &format!("userid={user}&appli=44"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    // Unknown user: 200 and dropped.
    assert_eq!(
        h.post_notify("userid=999999&appli=44").await,
        StatusCode::OK
    );
    // Malformed: 400.
    for body in [
        "appli=1",
        &format!("userid={user}"),
        &format!("userid={user}&appli=x1"),
        &format!("userid={user}&appli=46&action=dance"),
    ] {
        assert_eq!(h.post_notify(body).await, StatusCode::BAD_REQUEST, "{body}");
    }
    // Too large: 413.
    let big = format!("userid={user}&appli=1&pad={}", "x".repeat(20_000));
    assert_eq!(h.post_notify(&big).await, StatusCode::PAYLOAD_TOO_LARGE);
    // Other methods on the notification path.
    assert_eq!(
        h.request(Method::PUT, &h.notify_path(), "").await.0,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(
        h.jobs().await.len(),
        1,
        "only the first notification made a job"
    );

    // Sleep: a second job (another appli); then the cap (2 queued jobs) drops the third.
    assert_eq!(
        h.post_notify(&format!("userid={user}&appli=44&startdate=1&enddate=2"))
            .await,
        StatusCode::OK
    );
    assert_eq!(h.jobs().await.len(), 2);
    assert_eq!(
        h.post_notify(&format!("userid={user}&appli=16&startdate=1&enddate=2"))
            .await,
        StatusCode::OK
    );
    assert_eq!(
        h.jobs().await.len(),
        2,
        "the capped notification was dropped"
    );

    // appli 46: unlink becomes an Unlink job for the worker.
    let other = users[2].clone();
    h.add_user(&other).await;
    assert_eq!(
        h.post_notify(&format!("userid={other}&appli=46&action=unlink"))
            .await,
        StatusCode::OK
    );
    let jobs = h.jobs().await;
    assert!(
        jobs.iter()
            .any(|j| j.userid == other && j.kind == JobKind::Unlink),
        "{jobs:?}"
    );

    // Nothing on the POST path called Withings.
    assert_eq!(h.sandbox.app_limit_stats().requests, 0);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_forged_notifications_cost_no_api_call() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let h = Harness::start(&pg, "forged", &[]).await;
    // Real Withings accounts the fleet does not know, and ids nobody has.
    let not_onboarded = h.sandbox.user_ids();
    let before = h.sandbox.app_limit_stats().requests;
    let started = Instant::now();
    let h = std::sync::Arc::new(h);
    let mut tasks = tokio::task::JoinSet::new();
    const TASKS: usize = 16;
    const EACH: usize = 625;
    for t in 0..TASKS {
        let h = std::sync::Arc::clone(&h);
        let known = not_onboarded.clone();
        tasks.spawn(async move {
            let mut not_ok = 0;
            for i in 0..EACH {
                let userid = if i % 2 == 0 {
                    known[i % known.len()].clone()
                } else {
                    format!("{}", 70_000_000 + t * EACH + i)
                };
                let appli = [1, 4, 16, 44][i % 4];
                let status = h
                    .post_notify(&format!(
                        "userid={userid}&appli={appli}&startdate=1717364400&enddate=1717368000"
                    ))
                    .await;
                if status != StatusCode::OK {
                    not_ok += 1;
                }
            }
            not_ok
        });
    }
    let mut not_ok = 0;
    while let Some(n) = tasks.join_next().await {
        not_ok += n.unwrap();
    }
    let elapsed = started.elapsed();
    eprintln!(
        "{} forged POSTs answered in {elapsed:?} ({:.0}/s)",
        TASKS * EACH,
        (TASKS * EACH) as f64 / elapsed.as_secs_f64()
    );
    assert_eq!(not_ok, 0, "every forged notification is answered 200");
    assert!(
        h.jobs().await.is_empty(),
        "a forged notification made a job"
    );
    assert_eq!(
        h.sandbox.app_limit_stats().requests,
        before,
        "a forged notification reached Withings"
    );
    for userid in &not_onboarded {
        assert_eq!(h.sandbox.api_calls(userid), 0);
    }
    let h = std::sync::Arc::into_inner(h).expect("the tasks are done");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_down_answers_503_so_withings_retries() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let h = Harness::start(&pg, "down", &[]).await;
    let user = h.sandbox.user_ids()[0].clone();
    h.add_user(&user).await;
    assert_eq!(
        h.post_notify(&format!("userid={user}&appli=1")).await,
        StatusCode::OK
    );

    // The database stops (the cluster is shut down and removed).
    drop(pg);
    let body = format!("userid={user}&appli=44&startdate=1&enddate=2");
    assert_eq!(h.post_notify(&body).await, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(h.post_notify(&body).await, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        h.request(Method::GET, "/readyz", "").await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        h.request(Method::GET, "/connect", "").await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    // The process itself is alive, and Withings' probe still passes.
    assert_eq!(
        h.request(Method::GET, "/healthz", "").await.0,
        StatusCode::OK
    );
    assert_eq!(
        h.request(Method::HEAD, &h.notify_path(), "").await.0,
        StatusCode::OK
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_allow_list_refuses_other_peers() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    // Loopback is not in the list: our own POSTs are refused.
    let h = Harness::start(
        &pg,
        "allow",
        &[("WITHINGS_NOTIFY_ALLOW_FROM", "192.0.2.0/24")],
    )
    .await;
    let user = h.sandbox.user_ids()[0].clone();
    h.add_user(&user).await;
    assert_eq!(
        h.post_notify(&format!("userid={user}&appli=1")).await,
        StatusCode::FORBIDDEN
    );
    assert!(h.jobs().await.is_empty());
    // The probe is not a notification: it passes (Withings probes from the same servers).
    assert_eq!(
        h.request(Method::HEAD, &h.notify_path(), "").await.0,
        StatusCode::OK
    );
    h.stop().await;

    let h = Harness::start(
        &pg,
        "allow2",
        &[("WITHINGS_NOTIFY_ALLOW_FROM", "192.0.2.0/24,127.0.0.0/8")],
    )
    .await;
    h.add_user(&user).await;
    assert_eq!(
        h.post_notify(&format!("userid={user}&appli=1")).await,
        StatusCode::OK
    );
    assert_eq!(h.jobs().await.len(), 1);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_listens_where_configured_and_returns_on_shutdown() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let url = pg.database("serve").unwrap();
    let port = {
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        free.local_addr().unwrap().port()
    };
    let listen = format!("127.0.0.1:{port}");
    let origin = format!("http://{listen}");
    let key = withings_fleet::config::generate_token_key().unwrap();
    let secret = withings_fleet::config::generate_notify_secret().unwrap();
    let env: HashMap<&str, &str> = [
        ("WITHINGS_DATABASE_URL", url.as_str()),
        ("WITHINGS_CLIENT_ID", "id"),
        ("WITHINGS_CLIENT_SECRET", "secret"),
        ("WITHINGS_PUBLIC_URL", origin.as_str()),
        ("WITHINGS_LISTEN", listen.as_str()),
        ("WITHINGS_NOTIFY_SECRET", secret.expose()),
        ("WITHINGS_TOKEN_KEY", key.expose()),
        ("WITHINGS_SHUTDOWN_GRACE", "1s"),
    ]
    .into_iter()
    .collect();
    let config =
        FleetConfig::from_parts(None, "-", &|k| env.get(k).map(|v| (*v).to_owned())).unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    // `serve` opens (and migrates) the database itself.
    let server = tokio::spawn(withings_fleet::server::serve(config, async {
        let _ = stopped.await;
    }));
    let http: Http = HttpClient::builder(TokioExecutor::new()).build_http();
    let mut ready = None;
    for _ in 0..100 {
        let req = Request::get(format!("{origin}/readyz"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        if let Ok(resp) = http.request(req).await {
            ready = Some(resp.status());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        ready,
        Some(StatusCode::OK),
        "the server never answered on {listen}"
    );
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("serve returns after its shutdown future")
        .unwrap()
        .unwrap();
    // The listener is closed.
    assert!(tokio::net::TcpStream::connect(&listen).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_after_a_long_outage_checks_every_users_subscriptions() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let h = Harness::start(&pg, "outage", &[]).await;
    let users = h.sandbox.user_ids();
    for u in &users[..2] {
        h.add_user(u).await;
    }
    let check = |fleet| withings_fleet::server::check_subscriptions_after_outage(fleet, 50);
    // The first start ever: nothing to check.
    assert_eq!(check(&h.fleet).await.unwrap(), None);
    let reconciles = |rows: &[withings_postgres::JobRow]| {
        rows.iter()
            .filter(|r| r.kind == JobKind::Reconcile && r.state == JobState::Queued)
            .count()
    };
    let listed = h.fleet.queue().list(&Default::default()).await.unwrap();
    assert_eq!(reconciles(&listed), 0);
    // No server for an hour.
    h.fleet
        .database()
        .client()
        .await
        .unwrap()
        .execute("UPDATE fleet_alive SET seen_at = seen_at - 3600", &[])
        .await
        .unwrap();
    let gap = check(&h.fleet).await.unwrap().unwrap();
    assert!(gap.as_secs() >= 3600, "{gap:?}");
    let listed = h.fleet.queue().list(&Default::default()).await.unwrap();
    assert_eq!(reconciles(&listed), 2, "{listed:?}");
    h.stop().await;
}
