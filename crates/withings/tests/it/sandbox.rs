//! End to end against the offline sandbox: authorization, then every data call of the
//! façade with small pages, so that streams cross many pages of a real server's paging.

use futures_util::TryStreamExt;
use withings::jiff::civil::date;
use withings::jiff::{SignedDuration, Timestamp};
use withings::{
    AppCredentials, Client, DateWindow, ManualClock, MemoryTokenStore, RedirectUri, Scope,
    SleepField,
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
        .with_redirect_uri(RedirectUri::parse("https://example.org/withings/cb").unwrap());
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
        .oauth2()
        .authorize(&[Scope::UserMetrics, Scope::UserActivity])
        .unwrap();
    let redirected = sandbox.approve(pending.url()).unwrap();
    let tokens = client
        .oauth2()
        .complete_authorization(&pending, &redirected)
        .await
        .unwrap();
    assert!(tokens.userid().is_some());

    // 30 days of weigh-ins, 7 groups a page: several pages, streamed and collected alike.
    let month_ago = now - SignedDuration::from_hours(24 * 30);
    let req = client.measures().getmeas().between(month_ago, now);
    let groups: Vec<_> = req.stream().try_collect().await.unwrap();
    assert!(groups.len() > 14, "{} groups", groups.len());
    let all = req.collect_all().await.unwrap();
    assert_eq!(all.groups, groups);
    let pages: Vec<_> = req.pages().try_collect().await.unwrap();
    assert!(pages.len() >= 3, "{} pages", pages.len());

    let days = DateWindow::Dates {
        start: date(2024, 5, 20),
        end: date(2024, 6, 2),
    };
    let activity: Vec<_> = client
        .activity()
        .getactivity(days)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert!(activity.len() >= 10, "{} days", activity.len());
    let mut dates: Vec<_> = activity.iter().map(|d| d.date).collect();
    dates.dedup();
    assert!(dates.len() >= 10, "the pages repeat days: {dates:?}");

    client
        .activity()
        .getworkouts(days)
        .collect_all()
        .await
        .unwrap();
    let nights = client.sleep().getsummary(days).collect_all().await.unwrap();
    assert!(nights.len() >= 10, "{} nights", nights.len());
    client.heart().list().collect_all().await.unwrap();
    client.user().getdevice().send().await.unwrap();
    client.user().getgoals().send().await.unwrap();

    // 48 h of sleep states: two calls of 24 h, merged in order.
    let two_days_ago = now - SignedDuration::from_hours(48);
    let req = client
        .sleep()
        .get(two_days_ago, now)
        .data_fields([SleepField::Hr]);
    assert_eq!(req.split().unwrap().len(), 2);
    let night = req.send().await.unwrap();
    assert!(!night.segments.is_empty());
    assert!(night.segments.windows(2).all(|w| w[0].start <= w[1].start));

    let samples = client
        .activity()
        .getintradayactivity(two_days_ago, now)
        .send()
        .await
        .unwrap();
    assert!(samples.windows(2).all(|w| w[0].at < w[1].at));

    let devices = client
        .call(
            withings::Service::User,
            "getdevice",
            [] as [(&str, &str); 0],
        )
        .await
        .unwrap();
    assert!(devices["devices"].is_array());

    sandbox.shutdown().await;
}
