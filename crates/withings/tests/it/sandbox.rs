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
