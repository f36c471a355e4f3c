//! Retries and rate limits, on a paused tokio clock (no real sleeping).

use std::time::Duration;

use tokio::time::Instant;
use wiremock::{MockServer, ResponseTemplate};
use withings_http::{Client, ErrorKind, ManualClock, RateLimiter, RetryPolicy};
use withings_model::measure::GetMeas;

use crate::common::*;

/// Paused-clock tests must not have a request timeout: the runtime auto-advances to the next
/// timer while it waits on the mock server's (real) socket.
fn paused_client(server: &MockServer, policy: RetryPolicy) -> Client {
    builder(server, &ManualClock::new(t0()))
        .access_token(ACCESS.into())
        .retry_policy(policy)
        .no_timeout()
        .build()
        .unwrap()
}

fn rate_limited(wait: Option<i64>) -> ResponseTemplate {
    let body = wait.map_or_else(|| "{}".to_owned(), |w| format!(r#"{{"wait_seconds":{w}}}"#));
    ResponseTemplate::new(200).set_body_string(format!(
        r#"{{"status":601,"body":{body},"error":"Same arguments in less than 10 seconds"}}"#
    ))
}

#[tokio::test(start_paused = true)]
async fn status_601_waits_wait_seconds_then_retries() {
    let server = MockServer::start().await;
    getmeas()
        .respond_with(rate_limited(Some(57)))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    getmeas()
        .respond_with(ok(GETMEAS_BODY))
        .expect(1)
        .mount(&server)
        .await;
    let client = paused_client(&server, RetryPolicy::default());
    let start = Instant::now();
    let body = client.send(&GetMeas::new()).await.unwrap();
    assert_eq!(body.timezone, "Europe/Paris");
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(57) && waited < Duration::from_secs(58),
        "waited {waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn status_601_without_hint_waits_60_s_until_the_cap_then_fails() {
    let server = MockServer::start().await;
    getmeas()
        .respond_with(rate_limited(None))
        .expect(3)
        .mount(&server)
        .await;
    let policy = RetryPolicy::default().max_rate_limit_wait(Duration::from_secs(120));
    let client = paused_client(&server, policy);
    let start = Instant::now();
    let e = client.send(&GetMeas::new()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert_eq!(e.retry_after(), Some(Duration::from_secs(60)));
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(120) && waited < Duration::from_secs(121),
        "waited {waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn status_601_asking_more_than_the_cap_returns_at_once() {
    let server = MockServer::start().await;
    getmeas()
        .respond_with(rate_limited(Some(600)))
        .expect(1)
        .mount(&server)
        .await;
    let client = paused_client(&server, RetryPolicy::default());
    let start = Instant::now();
    let e = client.send(&GetMeas::new()).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.retry_after()),
        (ErrorKind::RateLimited, Some(Duration::from_secs(600)))
    );
    assert!(e.to_string().contains("wait 600 s"), "{e}");
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn status_522_backs_off_and_retries_a_bounded_number_of_times() {
    let server = MockServer::start().await;
    getmeas()
        .respond_with(status(522, "timeout"))
        .up_to_n_times(2)
        .with_priority(1)
        .expect(2)
        .mount(&server)
        .await;
    getmeas()
        .respond_with(ok(GETMEAS_BODY))
        .expect(1)
        .mount(&server)
        .await;
    let policy = RetryPolicy::default()
        .base_delay(Duration::from_secs(1))
        .max_delay(Duration::from_secs(10));
    let client = paused_client(&server, policy.clone());
    let start = Instant::now();
    client.send(&GetMeas::new()).await.unwrap();
    // Two backoffs: [0.5, 1] s then [1, 2] s.
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(1500) && waited <= Duration::from_secs(3),
        "waited {waited:?}"
    );
    server.verify().await;

    server.reset().await;
    getmeas()
        .respond_with(status(522, "timeout"))
        .expect(4)
        .mount(&server)
        .await;
    let e = paused_client(&server, policy.max_retries(3))
        .send(&GetMeas::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ApiTimeout);
    assert!(e.is_timeout() && e.is_retryable());
}

#[tokio::test(start_paused = true)]
async fn invalid_params_bad_state_and_unauthorized_are_never_retried() {
    let server = MockServer::start().await;
    for code in [503, 247, 524, 214, 2554] {
        server.reset().await;
        getmeas()
            .respond_with(status(code, "no"))
            .expect(1)
            .mount(&server)
            .await;
        let e = paused_client(&server, RetryPolicy::default())
            .send(&GetMeas::new())
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(code));
        assert!(!e.is_retryable());
        server.verify().await;
    }
}

#[tokio::test(start_paused = true)]
async fn http_5xx_is_retried_with_backoff() {
    let server = MockServer::start().await;
    getmeas()
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    getmeas()
        .respond_with(ok(GETMEAS_BODY))
        .expect(1)
        .mount(&server)
        .await;
    paused_client(&server, RetryPolicy::default())
        .send(&GetMeas::new())
        .await
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_shared_rate_limiter_spaces_calls_of_every_client() {
    let server = MockServer::start().await;
    getmeas()
        .respond_with(ok(GETMEAS_BODY))
        .expect(6)
        .mount(&server)
        .await;
    let limiter = RateLimiter::new(2, Duration::from_secs(2));
    let make = || {
        builder(&server, &ManualClock::new(t0()))
            .access_token(ACCESS.into())
            .rate_limiter(limiter.clone())
            .no_timeout()
            .build()
            .unwrap()
    };
    let (a, b) = (make(), make());
    let start = Instant::now();
    for _ in 0..3 {
        a.send(&GetMeas::new()).await.unwrap();
        b.send(&GetMeas::new()).await.unwrap();
    }
    // A burst of 2, then one per second for the other 4.
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(4) && waited < Duration::from_secs(5),
        "waited {waited:?}"
    );
}

#[tokio::test]
async fn transport_errors_are_retryable_and_say_so() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = Client::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .access_token(ACCESS.into())
        .retry_policy(
            RetryPolicy::default()
                .max_retries(2)
                .base_delay(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let e = client.send(&GetMeas::new()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport);
    assert!(e.is_retryable());
    assert!(e.to_string().contains("could not connect"), "{e}");
    assert!(
        std::error::Error::source(&e).is_some(),
        "the hyper error is chained"
    );
}
