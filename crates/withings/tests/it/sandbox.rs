//! End to end against the offline sandbox: authorization, then every data call of the
//! façade with small pages, so that streams cross many pages of a real server's paging.

use futures_util::TryStreamExt;
use withings::jiff::civil::date;
use withings::jiff::{SignedDuration, Timestamp};
use withings::model::activity::{GetActivity, GetIntradayActivity};
use withings::model::heart::HeartList;
use withings::model::measure::GetMeas;
use withings::model::sleep::{GetSleep, GetSleepSummary};
use withings::model::user::{GetDevice, GetGoals};
use withings::model::workout::GetWorkouts;
use withings::{
    AppCredentials, CallbackUrl, Client, DateWindow, Endpoint, ManualClock, MemoryTokenStore,
    Scope, SleepField,
};
use withings_sandbox::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox};

#[tokio::test]
async fn the_facade_runs_against_the_sandbox_end_to_end() {
    // 2024-06-03T12:00Z.
    let now = Timestamp::from_second(1_717_416_000).unwrap();
    let sandbox = Sandbox::builder()
        .now(now)
        .meas_page_size(7)
        .page_size(3)
        .rate_limit(false)
        .build()
        .start()
        .await
        .unwrap();
    let credentials = AppCredentials::new(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
        .with_redirect_uri(CallbackUrl::parse("https://example.org/withings/cb").unwrap());
    let client = Client::builder()
        .base_url(sandbox.base_url())
        .account_url(sandbox.base_url())
        .credentials(credentials)
        .token_store(MemoryTokenStore::new())
        .clock(ManualClock::new(now))
        .no_rate_limit()
        .build()
        .unwrap();

    let pending = client
        .authorize(&[Scope::UserMetrics, Scope::UserActivity])
        .unwrap();
    let redirected = sandbox.approve(pending.url()).unwrap();
    let tokens = client
        .complete_authorization(&pending, &redirected)
        .await
        .unwrap();
    assert!(tokens.userid().is_some());

    // 30 days of weigh-ins, 7 groups a page: several pages, streamed and collected alike.
    let month_ago = now - SignedDuration::from_hours(24 * 30);
    let req = GetMeas::new().between(month_ago, now);
    let groups: Vec<_> = client.stream(req.clone()).try_collect().await.unwrap();
    assert!(groups.len() > 14, "{} groups", groups.len());
    let all = client.collect_all(req.clone()).await.unwrap();
    assert_eq!(all.groups, groups);
    let pages: Vec<_> = client.pages(req).try_collect().await.unwrap();
    assert!(pages.len() >= 3, "{} pages", pages.len());

    let days = DateWindow::Dates {
        start: date(2024, 5, 20),
        end: date(2024, 6, 2),
    };
    let activity: Vec<_> = client
        .stream(GetActivity::new().window(days))
        .try_collect()
        .await
        .unwrap();
    assert!(activity.len() >= 10, "{} days", activity.len());
    let mut dates: Vec<_> = activity.iter().map(|d| d.date).collect();
    dates.dedup();
    assert!(dates.len() >= 10, "the pages repeat days: {dates:?}");

    client
        .collect_all(GetWorkouts::new().window(days))
        .await
        .unwrap();
    let nights = client
        .collect_all(GetSleepSummary::new().window(days))
        .await
        .unwrap();
    assert!(nights.len() >= 10, "{} nights", nights.len());
    client.collect_all(HeartList::new()).await.unwrap();
    client.send(&GetDevice::new()).await.unwrap();
    client.send(&GetGoals::new()).await.unwrap();

    // 48 h of sleep states: two calls of 24 h, merged in order.
    let two_days_ago = now - SignedDuration::from_hours(48);
    let req = GetSleep::new()
        .between(two_days_ago, now)
        .data_fields([SleepField::Hr]);
    assert_eq!(req.calls().unwrap().len(), 2);
    let night = client.send(&req).await.unwrap();
    assert!(!night.segments.is_empty());
    assert!(night.segments.windows(2).all(|w| w[0].start <= w[1].start));

    let samples = client
        .send(&GetIntradayActivity::new().between(two_days_ago, now))
        .await
        .unwrap();
    assert!(samples.windows(2).all(|w| w[0].at < w[1].at));

    let devices = client
        .call(
            GetDevice::SERVICE,
            GetDevice::ACTION,
            [] as [(&str, &str); 0],
        )
        .await
        .unwrap();
    assert!(devices["devices"].is_array());

    sandbox.shutdown().await;
}

/// A client of the sandbox with a token, the given limiter (or none) and no retries: a 601
/// is an error the test sees.
async fn limited_client(
    sandbox: &withings_sandbox::RunningSandbox,
    limiter: Option<withings::RateLimiter>,
) -> Client {
    let now = Timestamp::from_second(1_717_416_000).unwrap();
    let credentials = AppCredentials::new(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
        .with_redirect_uri(CallbackUrl::parse("https://example.org/withings/cb").unwrap());
    let mut b = Client::builder()
        .base_url(sandbox.base_url())
        .account_url(sandbox.base_url())
        .credentials(credentials)
        .token_store(MemoryTokenStore::new())
        .clock(ManualClock::new(now))
        .retry_policy(withings::RetryPolicy::none());
    b = match limiter {
        Some(l) => b.rate_limiter(l),
        None => b.no_rate_limit(),
    };
    let client = b.build().unwrap();
    let pending = client.authorize(&[Scope::UserMetrics]).unwrap();
    let redirected = sandbox.approve(pending.url()).unwrap();
    client
        .complete_authorization(&pending, &redirected)
        .await
        .unwrap();
    client
}

/// 300 calls against a sandbox enforcing 120 requests per (compressed) second; the client's
/// limiter, set to the same budget with a margin for the loopback's jitter, never lets a
/// 601 happen. The control without a limiter does see 601s: the test can fail.
#[tokio::test]
async fn the_client_limiter_keeps_300_calls_clear_of_the_application_limit() {
    use std::time::Duration;
    let now = Timestamp::from_second(1_717_416_000).unwrap();
    for limited in [true, false] {
        let sandbox = Sandbox::builder()
            .now(now)
            .rate_limit(false)
            .app_limit(120, Duration::from_secs(1))
            .build()
            .start()
            .await
            .unwrap();
        let limiter = limited.then(|| withings::RateLimiter::new(120, Duration::from_millis(1050)));
        let client = limited_client(&sandbox, limiter).await;
        let mut refused = 0;
        for _ in 0..300 {
            match client.send(&GetGoals::new()).await {
                Ok(_) => {}
                Err(e) if e.status() == Some(601) => refused += 1,
                Err(e) => panic!("{e}"),
            }
        }
        let (_, refused_by_sandbox) = sandbox.app_limit_counts();
        assert_eq!(refused, refused_by_sandbox);
        if limited {
            assert_eq!(refused, 0, "the limiter let a 601 happen");
        } else {
            assert!(
                refused > 0,
                "without a limiter the sandbox must refuse some"
            );
        }
    }
}
