//! Many accounts, configurable token lifetime, refresh accounting, notification delivery,
//! ground truth and the application limit's statistics: what a fleet's load test relies on.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use withings_model::measure::GetMeas;
use withings_model::notify::{NotifyGet, NotifyList, Revoke, Subscribe};
use withings_model::user::GetGoals;
use withings_sandbox::{DEMO_USER_ID, Error, Sandbox};

use crate::harness::{Harness, NOW, REDIRECT, SCOPE, form, query_param, tokens, ts};

/// The `grpid`s of a getmeas answer.
fn grpids(v: &Value) -> Vec<i64> {
    v["body"]["measuregrps"]
        .as_array()
        .unwrap_or_else(|| panic!("no measuregrps: {v}"))
        .iter()
        .map(|g| g["grpid"].as_i64().unwrap())
        .collect()
}

/// Every `grpid` getmeas returns for a window, all pages walked.
async fn all_grpids(h: &Harness, token: &str, window: &[(&str, &str)]) -> Vec<i64> {
    let mut out = Vec::new();
    let mut offset = "0".to_owned();
    loop {
        let mut params: Vec<(&str, &str)> = window.to_vec();
        params.push(("offset", &offset));
        let v = h.call_to::<GetMeas>(token, &params).await.json();
        assert_eq!(v["status"], 0, "{v}");
        out.extend(grpids(&v));
        if v["body"]["more"] == 0 {
            return out;
        }
        offset = v["body"]["offset"].to_string();
    }
}

#[tokio::test]
async fn each_account_has_its_id_its_tokens_and_its_own_data() {
    let h = Harness::with(|b| b.users(3).rate_limit(false).history_days(20)).await;
    let ids = h.sandbox.user_ids();
    assert_eq!(ids, ["10203040", "10203041", "10203042"]);
    assert_eq!(ids[0], DEMO_USER_ID);

    // The authorize page approves as the account `sandbox_user` names.
    let target = format!(
        "/oauth2_user/authorize2?{}",
        form(&[
            ("response_type", "code"),
            ("client_id", h.sandbox.client_id()),
            ("redirect_uri", REDIRECT),
            ("state", "s"),
            ("scope", SCOPE),
            ("sandbox_user", "10203042"),
        ])
    );
    let resp = h.get(&target).await;
    assert_eq!(resp.status, 302, "{}", resp.text());
    let code = query_param(resp.header("location").unwrap(), "code").unwrap();
    let exchanged = h.exchange(&code).await;
    assert_eq!(exchanged.json()["body"]["userid"], "10203042");
    let (third, _) = tokens(&exchanged);

    // Without it, the first account, as always.
    let (first, _) = h.login().await;
    // In-process, as the second.
    let url = format!(
        "{}?{}",
        h.sandbox.authorize_url(),
        form(&[
            ("response_type", "code"),
            ("client_id", h.sandbox.client_id()),
            ("redirect_uri", REDIRECT),
            ("state", "s"),
            ("scope", SCOPE),
            ("sandbox_user", "10203040"),
        ])
    );
    let location = h.sandbox.approve_as("10203041", &url).unwrap();
    let code = query_param(&location, "code").unwrap();
    let exchanged = h.exchange(&code).await;
    assert_eq!(exchanged.json()["body"]["userid"], "10203041");
    let (second, _) = tokens(&exchanged);

    let window = [("startdate", "1716000000"), ("enddate", "1717430000")];
    let mut seen: Vec<Vec<i64>> = Vec::new();
    for (rank, token) in [&first, &second, &third].into_iter().enumerate() {
        let groups = all_grpids(&h, token, &window).await;
        assert!(groups.len() > 10, "account {rank}: {groups:?}");
        // Ids are shifted by a billion per account: nothing of another account shows.
        let base = 5_000_000_000 + rank as i64 * 1_000_000_000;
        assert!(
            groups
                .iter()
                .all(|g| (base..base + 1_000_000_000).contains(g)),
            "account {rank} read another account's groups: {groups:?}"
        );
        seen.push(groups.iter().map(|g| g - base).collect());
    }
    // Each account has its own calendar of weigh-ins (the seed differs), not a copy.
    assert_ne!(seen[0], seen[1]);
    assert_ne!(seen[1], seen[2]);
    assert_eq!(
        h.sandbox.api_calls("10203041"),
        1 + (seen[1].len() as u64 - 1) / 30
    );

    // An unknown account is named on the page and by the in-process calls.
    let bad = target.replace("10203042", "99");
    let resp = h.get(&bad).await;
    assert_eq!(resp.status, 400);
    assert!(resp.text().contains("`sandbox_user`"), "{}", resp.text());
    assert!(matches!(
        h.sandbox.approve_as("99", &url),
        Err(Error::UnknownUser { userid }) if userid == "99"
    ));
    assert!(matches!(
        h.sandbox.issue_tokens("99"),
        Err(Error::UnknownUser { .. })
    ));
}

#[tokio::test]
async fn the_first_account_answers_the_same_bytes_whatever_the_account_count() {
    let one = Harness::with(|b| b.rate_limit(false)).await;
    let many = Harness::with(|b| b.users(200).rate_limit(false)).await;
    let (t1, _) = one.login().await;
    let (t2, _) = many.login().await;
    let window = [("startdate", "1716000000"), ("enddate", "1717430000")];
    let a = one.call_to::<GetMeas>(&t1, &window).await;
    let b = many.call_to::<GetMeas>(&t2, &window).await;
    assert_eq!(a.text(), b.text());
    // The same tokens too: the sequence of invented values does not depend on the count.
    assert_eq!(t1, t2);
    // And a later account is the same in two sandboxes with the same seed.
    let other = Harness::with(|b| b.users(200).rate_limit(false)).await;
    let x = many.sandbox.issue_tokens("10203239").unwrap();
    let y = other.sandbox.issue_tokens("10203239").unwrap();
    let a = many.call_to::<GetMeas>(&x.access_token, &window).await;
    let b = other.call_to::<GetMeas>(&y.access_token, &window).await;
    assert_eq!(a.text(), b.text());
    let later = grpids(&a.json());
    assert!(!later.is_empty());
    assert!(later.iter().all(|g| *g > 199_000_000_000), "{later:?}");
}

#[tokio::test]
async fn issued_tokens_work_for_every_account_and_expire_on_the_configured_lifetime() {
    let h = Harness::with(|b| {
        b.users(200)
            .rate_limit(false)
            .access_token_lifetime(Duration::from_secs(60))
    })
    .await;
    let ids = h.sandbox.user_ids();
    assert_eq!(ids.len(), 200);
    let mut pairs = Vec::new();
    for id in &ids {
        let t = h.sandbox.issue_tokens(id).unwrap();
        assert_eq!((t.userid.as_str(), t.expires_in), (id.as_str(), 60));
        assert_eq!(
            t.scope,
            "user.info,user.metrics,user.activity,user.sleepevents"
        );
        assert!(
            !format!("{t:?}").contains(&t.access_token),
            "tokens stay out of Debug"
        );
        pairs.push(t);
    }
    let last = pairs.last().unwrap();
    assert_eq!(
        h.call_to::<GetGoals>(&last.access_token, &[])
            .await
            .status_code(),
        0
    );

    // 60 s of the sandbox's clock later the access token is dead; one refresh per user.
    h.advance(60);
    assert_eq!(
        h.call_to::<GetGoals>(&last.access_token, &[])
            .await
            .status_code(),
        401
    );
    let resp = h.refresh(&last.refresh_token).await;
    assert_eq!(resp.json()["body"]["expires_in"], 60);
    assert_eq!(resp.json()["body"]["userid"], "10203239");
    let (access, refresh) = tokens(&resp);
    assert_eq!(h.call_to::<GetGoals>(&access, &[]).await.status_code(), 0);
    assert_eq!(h.sandbox.refresh_count("10203239"), 1);
    assert_eq!(h.sandbox.refresh_count("10203040"), 0);
    assert_eq!(h.sandbox.dead_refreshes(), 0);

    // A second worker refreshing with the rotated token: refused (the new access token was
    // used), and counted.
    assert_eq!(h.refresh(&last.refresh_token).await.status_code(), 503);
    assert_eq!(h.sandbox.dead_refreshes(), 1);
    // Two refreshes with one token before the new pair is used: the grace lets the second
    // through, but it is counted too.
    let other = &pairs[7];
    tokens(&h.refresh(&other.refresh_token).await);
    tokens(&h.refresh(&other.refresh_token).await);
    assert_eq!(h.sandbox.dead_refreshes(), 2);
    assert_eq!(h.sandbox.refresh_count(&other.userid), 2);
    // The fresh pair refreshes normally.
    tokens(&h.refresh(&refresh).await);
    assert_eq!(h.sandbox.refresh_count("10203239"), 2);
    assert_eq!(h.sandbox.dead_refreshes(), 2);
}

/// What a callback receiver got.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    path: String,
    content_type: Option<String>,
    body: String,
}

/// A tiny callback server: answers HEAD with `head`, each POST with the next of `posts`
/// (200 once they are used up), and records every request.
struct Receiver {
    addr: SocketAddr,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(head: u16, posts: &[u16]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let got = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(posts.iter().copied().collect::<VecDeque<u16>>()));
        let log = Arc::clone(&got);
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let log = Arc::clone(&log);
                let script = Arc::clone(&script);
                tokio::spawn(async move {
                    let mut raw = Vec::new();
                    let mut buf = [0u8; 4096];
                    let (head_len, length) = loop {
                        let n = stream.read(&mut buf).await.unwrap();
                        assert!(n > 0, "the sandbox closed before sending its request");
                        raw.extend_from_slice(&buf[..n]);
                        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                            let text = String::from_utf8_lossy(&raw[..end]).to_lowercase();
                            let length = text
                                .lines()
                                .find_map(|l| l.strip_prefix("content-length:"))
                                .map_or(0, |v| v.trim().parse::<usize>().unwrap());
                            break (end + 4, length);
                        }
                    };
                    while raw.len() < head_len + length {
                        let n = stream.read(&mut buf).await.unwrap();
                        assert!(n > 0);
                        raw.extend_from_slice(&buf[..n]);
                    }
                    let head_text = String::from_utf8_lossy(&raw[..head_len]).into_owned();
                    let mut parts = head_text.split(' ');
                    let method = parts.next().unwrap().to_owned();
                    let path = parts.next().unwrap().to_owned();
                    let content_type = head_text.lines().find_map(|l| {
                        l.to_lowercase()
                            .strip_prefix("content-type:")
                            .map(|v| v.trim().to_owned())
                    });
                    let body = String::from_utf8_lossy(&raw[head_len..]).into_owned();
                    let status = if method == "HEAD" {
                        head
                    } else {
                        script.lock().unwrap().pop_front().unwrap_or(200)
                    };
                    log.lock().unwrap().push(Received {
                        method,
                        path,
                        content_type,
                        body,
                    });
                    let answer = format!(
                        "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    );
                    let _ = stream.write_all(answer.as_bytes()).await;
                });
            }
        });
        Self { addr, got }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

#[tokio::test]
async fn subscribing_probes_the_callback_and_a_weigh_in_is_posted_with_retries() {
    let h = Harness::with(|b| {
        b.users(2)
            .rate_limit(false)
            .history_days(10)
            .notify_retry_scale(0.001)
            .probe_callbacks(true)
    })
    .await;
    let receiver = Receiver::start(200, &[500, 503]).await;
    let url = receiver.url("/notify/s3cret");
    let user = "10203041";
    let t = h.sandbox.issue_tokens(user).unwrap();
    let resp = h
        .call_to::<Subscribe>(&t.access_token, &[("callbackurl", &url), ("appli", "1")])
        .await;
    assert_eq!(resp.status_code(), 0, "{}", resp.text());
    let got = receiver.got();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        (got[0].method.as_str(), got[0].path.as_str()),
        ("HEAD", "/notify/s3cret")
    );
    assert_eq!(h.sandbox.subscriptions(user).unwrap(), [(1, url.clone())]);
    // Subscriptions are per user: the first account has none.
    let first = h.sandbox.issue_tokens(DEMO_USER_ID).unwrap();
    let list = h
        .call_to::<NotifyList>(&first.access_token, &[])
        .await
        .json();
    assert_eq!(list["body"]["profiles"], serde_json::json!([]));
    let got_one = h
        .call_to::<NotifyGet>(
            &first.access_token,
            &[("callbackurl", &url), ("appli", "1")],
        )
        .await;
    assert_eq!(got_one.status_code(), 343);

    let at = ts(NOW - 600);
    let grpid = h.sandbox.add_weigh_in(user, at).unwrap();
    assert!(h.sandbox.deliveries_settled(Duration::from_secs(10)).await);
    let deliveries = h.sandbox.deliveries();
    assert_eq!(deliveries.len(), 1);
    let d = &deliveries[0];
    let expected = format!(
        "userid={user}&appli=1&startdate={}&enddate={}",
        NOW - 660,
        NOW - 540
    );
    assert_eq!(d.form, expected);
    assert_eq!(
        (d.userid.as_str(), d.appli, d.window),
        (user, 1, Some((NOW - 660, NOW - 540)))
    );
    assert_eq!(d.callbackurl, url);
    assert!(d.delivered && d.finished, "{d:?}");
    let statuses: Vec<Option<u16>> = d.attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(500), Some(503), Some(200)]);
    // The schedule, a thousand times faster: +10 ms, then +60 ms after the second attempt.
    let gap1 = d.attempts[1].after - d.attempts[0].after;
    let gap2 = d.attempts[2].after - d.attempts[1].after;
    assert!(gap1 >= Duration::from_millis(10), "{gap1:?}");
    assert!(gap2 >= Duration::from_millis(60), "{gap2:?}");
    let posts: Vec<Received> = receiver
        .got()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 3);
    for p in &posts {
        assert_eq!(p.body, expected);
        assert_eq!(p.path, "/notify/s3cret");
        assert_eq!(
            p.content_type.as_deref(),
            Some("application/x-www-form-urlencoded")
        );
    }

    // The group is there for the fetch the notification prompts, and in the ground truth.
    let since = (NOW - 1).to_string();
    let v = h
        .call_to::<GetMeas>(&t.access_token, &[("lastupdate", &since)])
        .await
        .json();
    assert_eq!(grpids(&v), [grpid]);
    let window = [("startdate", "1717429340"), ("enddate", "1717429460")];
    assert_eq!(all_grpids(&h, &t.access_token, &window).await, [grpid]);
    let truth = h.sandbox.ground_truth(user, at, at).unwrap();
    assert_eq!(truth.iter().map(|g| g.grpid).collect::<Vec<_>>(), [grpid]);
    assert_eq!(
        (truth[0].date, truth[0].modified, truth[0].measures),
        (NOW - 600, NOW, 2)
    );
    assert_eq!(h.sandbox.added_weigh_ins(user).unwrap(), truth);
    assert!(h.sandbox.added_weigh_ins(DEMO_USER_ID).unwrap().is_empty());
    // Nothing for the other account.
    assert!(
        h.sandbox
            .ground_truth(DEMO_USER_ID, at, at)
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_callback_that_fails_the_probe_is_refused_with_293() {
    let h = Harness::with(|b| b.rate_limit(false).probe_callbacks(true)).await;
    let t = h.sandbox.issue_tokens(DEMO_USER_ID).unwrap();
    let not_found = Receiver::start(404, &[]).await;
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap()
    };
    for url in [not_found.url("/cb"), format!("http://{closed}/cb")] {
        let resp = h
            .call_to::<Subscribe>(&t.access_token, &[("callbackurl", &url), ("appli", "44")])
            .await;
        assert_eq!(resp.status_code(), 293, "{url}: {}", resp.text());
        assert!(
            resp.json()["error"]
                .as_str()
                .unwrap()
                .contains("HEAD probe")
        );
    }
    assert_eq!(not_found.got().len(), 1);
    assert!(h.sandbox.subscriptions(DEMO_USER_ID).unwrap().is_empty());
    // A URL the sandbox does not contact (not loopback http) is kept unprobed, as before.
    let resp = h
        .call_to::<Subscribe>(
            &t.access_token,
            &[("callbackurl", "https://example.org/cb"), ("appli", "44")],
        )
        .await;
    assert_eq!(resp.status_code(), 0);
    assert_eq!(
        h.sandbox
            .notify(DEMO_USER_ID, 44, ts(NOW - 60), ts(NOW))
            .unwrap(),
        0
    );
    assert!(h.sandbox.deliveries().is_empty());
}

#[tokio::test]
async fn a_delivery_gives_up_after_five_attempts() {
    let h = Harness::with(|b| b.rate_limit(false).notify_retry_scale(0.0001)).await;
    let receiver = Receiver::start(200, &[500; 10]).await;
    let t = h.sandbox.issue_tokens(DEMO_USER_ID).unwrap();
    let url = receiver.url("/n");
    let resp = h
        .call_to::<Subscribe>(&t.access_token, &[("callbackurl", &url), ("appli", "44")])
        .await;
    assert_eq!(resp.status_code(), 0);
    assert_eq!(
        h.sandbox
            .notify(DEMO_USER_ID, 44, ts(NOW - 3600), ts(NOW))
            .unwrap(),
        1
    );
    assert!(h.sandbox.deliveries_settled(Duration::from_secs(20)).await);
    let d = &h.sandbox.deliveries()[0];
    assert!(d.finished && !d.delivered, "{d:?}");
    assert_eq!(d.attempts.len(), 5);
    assert!(d.attempts.iter().all(|a| a.status == Some(500)));
    // 10 s, 1 min, 1 h, 4 h, ten thousand times faster.
    let last_gap = d.attempts[4].after - d.attempts[3].after;
    assert!(last_gap >= Duration::from_millis(1440), "{last_gap:?}");
    assert_eq!(
        d.form,
        format!(
            "userid={DEMO_USER_ID}&appli=44&startdate={}&enddate={NOW}",
            NOW - 3600
        )
    );
}

#[tokio::test]
async fn unlink_revokes_the_tokens_and_posts_appli_46() {
    let h = Harness::with(|b| b.users(2).rate_limit(false)).await;
    let receiver = Receiver::start(200, &[]).await;
    let user = "10203041";
    let t = h.sandbox.issue_tokens(user).unwrap();
    let keep = h.sandbox.issue_tokens(DEMO_USER_ID).unwrap();
    let url = receiver.url("/hook");
    for appli in ["46", "1"] {
        let resp = h
            .call_to::<Subscribe>(&t.access_token, &[("callbackurl", &url), ("appli", appli)])
            .await;
        assert_eq!(resp.status_code(), 0, "{}", resp.text());
    }
    assert_eq!(h.sandbox.unlink(user).unwrap(), 1);
    assert!(h.sandbox.deliveries_settled(Duration::from_secs(10)).await);
    let d = &h.sandbox.deliveries()[0];
    assert!(d.delivered);
    assert_eq!(
        (d.appli, d.action.as_deref(), d.window),
        (46, Some("unlink"), None)
    );
    assert_eq!(d.form, format!("userid={user}&appli=46&action=unlink"));
    let posts: Vec<Received> = receiver
        .got()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].body, d.form);
    // The user's grant is dead and the subscriptions gone; the other account is untouched.
    assert_eq!(
        h.call_to::<GetGoals>(&t.access_token, &[])
            .await
            .status_code(),
        401
    );
    assert_eq!(h.refresh(&t.refresh_token).await.status_code(), 503);
    assert!(h.sandbox.subscriptions(user).unwrap().is_empty());
    assert_eq!(
        h.call_to::<GetGoals>(&keep.access_token, &[])
            .await
            .status_code(),
        0
    );
    // A weigh-in after the unlink notifies nobody.
    h.sandbox.add_weigh_in(user, ts(NOW)).unwrap();
    assert_eq!(h.sandbox.deliveries().len(), 1);
    // Revoking a subscription through the API is per user too.
    let resp = h
        .call_to::<Revoke>(&keep.access_token, &[("callbackurl", &url)])
        .await;
    assert_eq!(resp.status_code(), 294);
}

#[tokio::test]
async fn the_ground_truth_is_what_getmeas_returns_for_the_window() {
    let h = Harness::with(|b| b.users(3).rate_limit(false).history_days(30)).await;
    let user = "10203042";
    let t = h.sandbox.issue_tokens(user).unwrap();
    let added = h.sandbox.add_weigh_in(user, ts(NOW - 86_400)).unwrap();
    let (start, end) = (NOW - 20 * 86_400, NOW);
    let (s, e) = (start.to_string(), end.to_string());
    let mut fetched = all_grpids(&h, &t.access_token, &[("startdate", &s), ("enddate", &e)]).await;
    fetched.sort_unstable();
    // getmeas sends the duplicated group twice (§12.14); the truth lists each grpid once.
    fetched.dedup();
    let truth = h.sandbox.ground_truth(user, ts(start), ts(end)).unwrap();
    let truth_ids: Vec<i64> = truth.iter().map(|g| g.grpid).collect();
    assert_eq!(truth_ids, fetched);
    assert!(truth_ids.contains(&added));
    assert!(truth.iter().all(|g| (start..=end).contains(&g.date)));
    assert!(truth.len() > 20, "{}", truth.len());
}

#[tokio::test]
async fn app_limit_stats_count_601s_and_the_busiest_window_of_all_users() {
    let h = Harness::with(|b| {
        b.users(2)
            .rate_limit(false)
            .app_limit(5, Duration::from_secs(2))
    })
    .await;
    let a = h.sandbox.issue_tokens(DEMO_USER_ID).unwrap();
    let b = h.sandbox.issue_tokens("10203041").unwrap();
    let before = h.sandbox.app_limit_stats();
    assert_eq!(
        (before.requests, before.refused, before.max_in_window),
        (0, 0, 0)
    );
    assert_eq!(before.limit, Some((5, Duration::from_secs(2))));
    let mut statuses = Vec::new();
    for i in 0..7 {
        let token = if i % 2 == 0 { &a } else { &b };
        statuses.push(
            h.call_to::<GetGoals>(&token.access_token, &[])
                .await
                .status_code(),
        );
    }
    assert_eq!(statuses, [0, 0, 0, 0, 0, 601, 601]);
    let stats = h.sandbox.app_limit_stats();
    assert_eq!(
        (stats.requests, stats.refused, stats.max_in_window),
        (7, 2, 7)
    );

    // A client that paces itself keeps every window within the limit.
    let paced =
        Harness::with(|b| b.rate_limit(false).app_limit(3, Duration::from_millis(300))).await;
    let t = paced.sandbox.issue_tokens(DEMO_USER_ID).unwrap();
    for _ in 0..6 {
        assert_eq!(
            paced
                .call_to::<GetGoals>(&t.access_token, &[])
                .await
                .status_code(),
            0
        );
        tokio::time::sleep(Duration::from_millis(110)).await;
    }
    let stats = paced.sandbox.app_limit_stats();
    assert_eq!((stats.requests, stats.refused), (6, 0));
    assert!((1..=3).contains(&stats.max_in_window), "{stats:?}");
}

#[tokio::test]
async fn a_sandbox_on_the_system_clock_notifies_too() {
    let running = Sandbox::builder()
        .rate_limit(false)
        .history_days(2)
        .notify_retry_scale(0.0)
        .build()
        .start()
        .await
        .unwrap();
    let receiver = Receiver::start(200, &[]).await;
    let t = running.issue_tokens(DEMO_USER_ID).unwrap();
    let body = form(&[
        ("action", "subscribe"),
        ("callbackurl", &receiver.url("/x")),
        ("appli", "1"),
    ]);
    let auth = format!("Bearer {}", t.access_token);
    let resp = crate::harness::send(
        running.addr(),
        "POST",
        "/notify",
        &[("Authorization", &auth)],
        &body,
    )
    .await;
    assert_eq!(resp.status_code(), 0, "{}", resp.text());
    running.add_weigh_in(DEMO_USER_ID, running.now()).unwrap();
    assert!(running.deliveries_settled(Duration::from_secs(10)).await);
    assert!(running.deliveries()[0].delivered);
    running.shutdown().await;
}

#[tokio::test]
async fn without_probing_any_callback_url_is_recorded_and_still_notified() {
    let h = Harness::with(|b| b.rate_limit(false).notify_retry_scale(0.0)).await;
    let t = h.sandbox.issue_tokens(DEMO_USER_ID).unwrap();
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap()
    };
    let url = format!("http://{closed}/hook");
    let resp = h
        .call_to::<Subscribe>(&t.access_token, &[("callbackurl", &url), ("appli", "1")])
        .await;
    assert_eq!(resp.status_code(), 0, "{}", resp.text());
    h.sandbox.add_weigh_in(DEMO_USER_ID, ts(NOW)).unwrap();
    assert!(h.sandbox.deliveries_settled(Duration::from_secs(10)).await);
    let d = &h.sandbox.deliveries()[0];
    assert!(d.finished && !d.delivered);
    assert_eq!(d.attempts.len(), 5);
    assert!(d.attempts.iter().all(|a| {
        a.status.is_none()
            && a.error
                .as_deref()
                .is_some_and(|e| e.contains("cannot connect"))
    }));
}
