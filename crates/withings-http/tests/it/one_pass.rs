//! `send_with`: a success read by the caller's one-pass reader, anything it declines read as
//! `send` reads it, and every other answer (statuses, waits, refreshes, errors) exactly
//! `send`'s, with the same requests.

use std::time::Duration;

use tokio::time::Instant;
use wiremock::matchers::bearer_token;
use wiremock::{MockServer, Request, ResponseTemplate};
use withings_http::{Client, ErrorKind, ManualClock, MemoryTokenStore, Received, RetryPolicy};
use withings_model::measure::{GetMeas, GetMeasBody};

use crate::common::*;

/// A reader of the whole response text, answering only for `{"status":0,…}` with a list of
/// groups (as the one-pass readers of `withings-decode` answer only for what they read).
fn whole(bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    (text.starts_with(r#"{"status":0,"#) && text.contains(r#""measuregrps":["#))
        .then(|| text.to_owned())
}

/// A reader that declines everything.
fn declines(_: &[u8]) -> Option<String> {
    None
}

/// A reader that must never be shown the response.
fn never_called(bytes: &[u8]) -> Option<String> {
    panic!("the reader was shown {}", String::from_utf8_lossy(bytes))
}

fn client(server: &MockServer) -> Client {
    builder(server, &ManualClock::new(t0()))
        .access_token(ACCESS.into())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_plain_success_is_the_readers_answer() {
    let server = MockServer::start().await;
    getmeas()
        .respond_with(ok(GETMEAS_BODY))
        .expect(1)
        .mount(&server)
        .await;
    let got = client(&server)
        .send_with(&GetMeas::new(), whole)
        .await
        .unwrap();
    assert_eq!(
        got,
        Received::OnePass(format!(r#"{{"status":0,"body":{GETMEAS_BODY}}}"#))
    );
}

#[tokio::test]
async fn a_declined_success_is_the_wire_body() {
    let server = MockServer::start().await;
    getmeas()
        .respond_with(ok(GETMEAS_BODY))
        .expect(1)
        .mount(&server)
        .await;
    let got = client(&server)
        .send_with(&GetMeas::new(), declines)
        .await
        .unwrap();
    let Received::Wire(body) = got else {
        panic!("the reader declined, yet: {got:?}")
    };
    assert_eq!(body.timezone, "Europe/Paris");
    assert_eq!(body.measuregrps.len(), 1);
    assert_eq!(body.measuregrps[0].measures[0].value, 70005);
}

/// An error page is never handed to the reader, even one holding a successful envelope: the
/// wire model reads it, as `send` does.
#[tokio::test]
async fn a_response_without_a_2xx_status_is_not_shown_to_the_reader() {
    let server = MockServer::start().await;
    getmeas()
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_string(format!(r#"{{"status":0,"body":{GETMEAS_BODY}}}"#)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let got = client(&server)
        .send_with(&GetMeas::new(), never_called)
        .await
        .unwrap();
    assert!(
        matches!(&got, Received::Wire(b) if b.timezone == "Europe/Paris"),
        "{got:?}"
    );
}

/// What `send` and `send_with` are given to answer, served on a fresh server each.
#[derive(Debug, Clone, Copy)]
enum Scenario {
    /// 601 with `wait_seconds` 57, then the success.
    RateLimitedThenOk,
    /// 601 without a hint every time: waited out to the budget, then the error.
    RateLimitedPastTheBudget,
    /// 401 to the old token, a refresh, then the success with the new token.
    RefusedTokenThenOk,
    /// 401 before and after the refresh: the error, not a loop.
    RefusedTokenTwice,
    /// 522 twice (backed off and retried), then the success.
    TimeoutTwiceThenOk,
    /// A success whose body is not the wire model, the access token inside it.
    BodyNotTheModel,
}

impl Scenario {
    const ALL: [Self; 6] = [
        Self::RateLimitedThenOk,
        Self::RateLimitedPastTheBudget,
        Self::RefusedTokenThenOk,
        Self::RefusedTokenTwice,
        Self::TimeoutTwiceThenOk,
        Self::BodyNotTheModel,
    ];

    async fn serve(self) -> MockServer {
        let server = MockServer::start().await;
        let rate_limited = |wait: &str| {
            ResponseTemplate::new(200).set_body_string(format!(
                r#"{{"status":601,"body":{wait},"error":"Same arguments in less than 10 seconds"}}"#
            ))
        };
        match self {
            Self::RateLimitedThenOk => {
                getmeas()
                    .respond_with(rate_limited(r#"{"wait_seconds":57}"#))
                    .up_to_n_times(1)
                    .with_priority(1)
                    .mount(&server)
                    .await;
                getmeas()
                    .respond_with(ok(GETMEAS_BODY))
                    .mount(&server)
                    .await;
            }
            Self::RateLimitedPastTheBudget => {
                getmeas()
                    .respond_with(rate_limited("{}"))
                    .mount(&server)
                    .await;
            }
            Self::RefusedTokenThenOk | Self::RefusedTokenTwice => {
                let second = if matches!(self, Self::RefusedTokenThenOk) {
                    ok(GETMEAS_BODY)
                } else {
                    status(401, "invalid_token")
                };
                getmeas()
                    .and(bearer_token(ACCESS))
                    .respond_with(status(401, "invalid_token"))
                    .mount(&server)
                    .await;
                requesttoken()
                    .respond_with(ok(&token_body(NEW_ACCESS, NEW_REFRESH, None)))
                    .mount(&server)
                    .await;
                getmeas()
                    .and(bearer_token(NEW_ACCESS))
                    .respond_with(second)
                    .mount(&server)
                    .await;
            }
            Self::TimeoutTwiceThenOk => {
                getmeas()
                    .respond_with(status(522, "timeout"))
                    .up_to_n_times(2)
                    .with_priority(1)
                    .mount(&server)
                    .await;
                getmeas()
                    .respond_with(ok(GETMEAS_BODY))
                    .mount(&server)
                    .await;
            }
            Self::BodyNotTheModel => {
                getmeas()
                    .respond_with(ok(&format!(
                        r#"{{"updatetime":1,"timezone":"UTC","measuregrps":{{"token":"{ACCESS}"}}}}"#
                    )))
                    .mount(&server)
                    .await;
            }
        }
        server
    }

    /// A client with a token store holding the old pair, on a paused clock (no timeout), the
    /// rate-limit budget at 120 s.
    fn client(server: &MockServer) -> Client {
        builder(server, &ManualClock::new(t0()))
            .token_store(MemoryTokenStore::with_tokens(old_tokens()))
            .retry_policy(
                RetryPolicy::default()
                    .base_delay(Duration::from_millis(1))
                    .max_delay(Duration::from_millis(5))
                    .max_rate_limit_wait(Duration::from_secs(120)),
            )
            .no_timeout()
            .build()
            .unwrap()
    }
}

/// An error as compared: kind, API status, retry delay, JSON path, `Display` and `Debug`.
type Failure = (
    ErrorKind,
    Option<i64>,
    Option<Duration>,
    Option<String>,
    String,
);

/// What a send did: each request (path, action, bearer token), how long it took on the paused
/// clock, and its outcome: `Ok` with the time zone received, or the error as compared.
#[derive(Debug, PartialEq)]
struct Outcome {
    requests: Vec<(String, String, String)>,
    waited: Duration,
    result: Result<String, Failure>,
}

async fn outcome<T>(
    server: &MockServer,
    started: Instant,
    result: Result<T, withings_http::Error>,
    ok: impl FnOnce(T) -> String,
) -> Outcome {
    let requests = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r: &Request| {
            let action = form_of(r)
                .into_iter()
                .find(|(k, _)| k == "action")
                .map(|(_, v)| v)
                .unwrap_or_default();
            let bearer = r
                .headers
                .get("authorization")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            (r.url.path().to_owned(), action, bearer)
        })
        .collect();
    Outcome {
        requests,
        waited: started.elapsed(),
        result: result.map(ok).map_err(|e| {
            (
                e.kind(),
                e.status(),
                e.retry_after(),
                e.json_path().map(str::to_owned),
                format!("{e} / {e:?}"),
            )
        }),
    }
}

/// Every scenario sent with `send` and with `send_with`: the same requests, the same waits,
/// the same errors (kind, status, retry delay, JSON path, text); a success is the reader's
/// answer with `send_with`, the wire body with `send`.
#[tokio::test(start_paused = true)]
async fn statuses_waits_refreshes_and_errors_are_sends() {
    for scenario in Scenario::ALL {
        let server = scenario.serve().await;
        let started = Instant::now();
        let sent = Scenario::client(&server).send(&GetMeas::new()).await;
        let by_send = outcome(&server, started, sent, |b: GetMeasBody| b.timezone).await;

        let server = scenario.serve().await;
        let started = Instant::now();
        let sent = Scenario::client(&server)
            .send_with(&GetMeas::new(), whole)
            .await;
        let by_send_with = outcome(&server, started, sent, |r| match r {
            Received::OnePass(text) => {
                assert!(text.contains(GETMEAS_BODY), "{scenario:?}: read {text}");
                "Europe/Paris".to_owned()
            }
            Received::Wire(b) => panic!("{scenario:?}: the reader declined, yet {b:?}"),
        })
        .await;

        assert_eq!(by_send_with, by_send, "{scenario:?}");
        // What each scenario is meant to show, so that the comparison compares something.
        let calls = by_send.requests.len();
        match (scenario, &by_send.result) {
            (Scenario::RateLimitedThenOk, Ok(_)) => {
                assert_eq!(calls, 2);
                assert!(by_send.waited >= Duration::from_secs(57), "{by_send:?}");
            }
            (Scenario::RateLimitedPastTheBudget, Err((ErrorKind::RateLimited, ..))) => {
                assert_eq!(calls, 3, "{by_send:?}");
            }
            (Scenario::RefusedTokenThenOk, Ok(_)) => {
                assert_eq!(calls, 3);
                assert!(by_send.requests[2].2.ends_with(NEW_ACCESS), "{by_send:?}");
            }
            (Scenario::RefusedTokenTwice, Err((ErrorKind::Auth, Some(401), ..))) => {
                assert_eq!(calls, 3);
            }
            (Scenario::TimeoutTwiceThenOk, Ok(_)) => assert_eq!(calls, 3),
            (Scenario::BodyNotTheModel, Err((ErrorKind::Decode, _, _, Some(path), text))) => {
                assert_eq!(calls, 1);
                assert!(path.starts_with("body.measuregrps"), "{path}");
                for secret in ALL_SECRETS {
                    assert!(!text.contains(secret), "{text} leaks {secret}");
                }
            }
            (scenario, other) => panic!("{scenario:?}: {other:?}"),
        }
    }
}
