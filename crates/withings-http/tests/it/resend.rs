//! What is sent again after a failure, and what never is: the endpoint's declaration
//! (`Endpoint::IDEMPOTENT`) decides; signed calls are signed anew for every attempt; a code
//! exchange is sent once; a hostile `Retry-After` is capped, never a panic.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};
use withings_http::{
    AuthorizationCode, ErrorKind, MAX_RETRY_AFTER, ManualClock, MemoryTokenStore, RetryPolicy,
};
use withings_model::Endpoint;
use withings_model::measure::GetMeas;
use withings_model::notify::{Appli, Subscribe};
use withings_model::oauth2::Revoke;
use withings_model::signature::GetNonce;
use withings_model::url::CallbackUrl;

use crate::common::*;

fn endpoint<E: Endpoint>() -> wiremock::MockBuilder {
    Mock::given(method("POST"))
        .and(path(E::SERVICE.path()))
        .and(form_has("action", E::ACTION))
}

#[tokio::test]
async fn a_subscribe_whose_answer_is_late_reaches_the_server_once() {
    let server = MockServer::start().await;
    endpoint::<Subscribe>()
        .respond_with(ok("{}").set_delay(Duration::from_millis(600)))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, &ManualClock::new(t0()))
        .access_token(ACCESS.into())
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let url = CallbackUrl::parse("https://example.com/withings/notify").unwrap();
    let e = client
        .send(&Subscribe::new(url, Appli::Weight))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(!e.is_unsent());
    // The same timeout on an idempotent read is retried (the control: the policy retries).
    let read = MockServer::start().await;
    getmeas()
        .respond_with(ok(GETMEAS_BODY).set_delay(Duration::from_millis(600)))
        .expect(4)
        .mount(&read)
        .await;
    let client = builder(&read, &ManualClock::new(t0()))
        .access_token(ACCESS.into())
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    assert_eq!(
        client.send(&GetMeas::new()).await.unwrap_err().kind(),
        ErrorKind::Timeout
    );
}

#[tokio::test(start_paused = true)]
async fn a_subscribe_refused_with_601_is_sent_again() {
    let server = MockServer::start().await;
    endpoint::<Subscribe>()
        .respond_with(status(601, "Too many requests"))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    endpoint::<Subscribe>()
        .respond_with(ok("{}"))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, &ManualClock::new(t0()))
        .access_token(ACCESS.into())
        .retry_policy(RetryPolicy::default().max_rate_limit_wait(Duration::from_secs(120)))
        .no_timeout()
        .build()
        .unwrap();
    let url = CallbackUrl::parse("https://example.com/withings/notify").unwrap();
    client
        .send(&Subscribe::new(url, Appli::Weight))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_code_exchange_that_timed_out_is_not_sent_again() {
    let server = MockServer::start().await;
    requesttoken()
        .respond_with(
            ok(&token_body(NEW_ACCESS, NEW_REFRESH, Some(USERID)))
                .set_delay(Duration::from_millis(600)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, &ManualClock::new(t0()))
        .token_store(MemoryTokenStore::new())
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let e = client
        .exchange_code(&AuthorizationCode::new("c0de-c0de"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    // Not reported as an expired code: the caller learns it timed out.
    assert_ne!(e.kind(), ErrorKind::CodeExpired);
}

/// `getnonce` answering a new nonce each time: `n1`, `n2`, …
fn counting_nonces() -> impl Fn(&Request) -> ResponseTemplate + Send + Sync + 'static {
    let n = Arc::new(AtomicUsize::new(0));
    move |_: &Request| {
        let i = n.fetch_add(1, Ordering::SeqCst) + 1;
        ok(&format!(r#"{{"nonce":"n{i}"}}"#))
    }
}

#[tokio::test(start_paused = true)]
async fn a_signed_call_refused_with_601_is_signed_again_with_a_new_nonce() {
    let server = MockServer::start().await;
    endpoint::<GetNonce>()
        .respond_with(counting_nonces())
        .expect(2)
        .mount(&server)
        .await;
    endpoint::<Revoke>()
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"status":601,"body":{"wait_seconds":1},"error":"busy"}"#),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    endpoint::<Revoke>()
        .respond_with(ok("{}"))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, &ManualClock::new(t0()))
        .token_store(MemoryTokenStore::new())
        .retry_policy(RetryPolicy::default().max_rate_limit_wait(Duration::from_secs(10)))
        .no_timeout()
        .build()
        .unwrap();
    client.revoke(USERID).await.unwrap();
    let nonces: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == Revoke::SERVICE.path())
        .filter(|r| {
            form_of(r)
                .iter()
                .any(|(k, v)| k == "action" && v == "revoke")
        })
        .map(|r| {
            form_of(r)
                .into_iter()
                .find(|(k, _)| k == "nonce")
                .unwrap()
                .1
        })
        .collect();
    assert_eq!(nonces, ["n1", "n2"]);
}

#[tokio::test(start_paused = true)]
async fn a_huge_retry_after_after_a_first_429_is_an_error_not_a_panic() {
    let server = MockServer::start().await;
    getmeas()
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    getmeas()
        .respond_with(
            ResponseTemplate::new(429).insert_header("retry-after", "18446744073709551615"),
        )
        .mount(&server)
        .await;
    let client = builder(&server, &ManualClock::new(t0()))
        .access_token(ACCESS.into())
        .retry_policy(RetryPolicy::default().max_rate_limit_wait(Duration::MAX))
        .no_timeout()
        .build()
        .unwrap();
    let e = client.send(&GetMeas::new()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert_eq!(e.retry_after(), Some(MAX_RETRY_AFTER));
}

#[tokio::test(start_paused = true)]
async fn every_wait_is_told_to_the_hook_before_it_starts() {
    let server = MockServer::start().await;
    getmeas()
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"status":601,"body":{"wait_seconds":57},"error":"busy"}"#),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    getmeas()
        .respond_with(ok(GETMEAS_BODY))
        .mount(&server)
        .await;
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let client = builder(&server, &ManualClock::new(t0()))
        .access_token(ACCESS.into())
        .rate_limiter(withings_http::RateLimiter::new(1, Duration::from_secs(5)))
        .retry_policy(RetryPolicy::default())
        .no_timeout()
        .on_wait(move |w| log.lock().unwrap().push(w))
        .build()
        .unwrap();
    client.send(&GetMeas::new()).await.unwrap();
    client.send(&GetMeas::new()).await.unwrap();
    let seen = seen.lock().unwrap().clone();
    let reasons: Vec<_> = seen.iter().map(|w| (w.reason, w.duration)).collect();
    assert_eq!(
        reasons,
        [
            (
                withings_http::WaitReason::RateLimited,
                Duration::from_secs(57)
            ),
            // The retry of the first call comes 57 s after its slot: no pacing. The second
            // call comes at once after it and waits for the limiter's next slot.
            (withings_http::WaitReason::Pacing, Duration::ZERO),
        ]
    );
}
