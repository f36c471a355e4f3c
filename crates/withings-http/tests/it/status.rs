//! Each status family, the envelope read status-first, malformed envelopes, HTTP errors, and
//! the raw escape hatch.

use wiremock::matchers::{bearer_token, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};
use withings_http::{Client, ErrorKind, ManualClock, RetryPolicy, Service, StatusFamily};
use withings_model::measure::GetMeas;

use crate::common::*;

/// A client with a fixed token (no refresh on 401) and no retries.
fn plain(server: &MockServer) -> Client {
    builder(server, &ManualClock::new(t0()))
        .access_token(ACCESS.into())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn success_sends_a_bearer_form_post_and_returns_the_typed_body() {
    let server = MockServer::start().await;
    getmeas()
        .and(bearer_token(ACCESS))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(form_has("meastypes", "1,6"))
        .respond_with(ok(GETMEAS_BODY))
        .expect(1)
        .mount(&server)
        .await;
    let client = plain(&server);
    let req = GetMeas::new().meastypes([
        withings_model::measure::MeasureType::Weight,
        withings_model::measure::MeasureType::FatRatio,
    ]);
    let body = client.send(&req).await.unwrap();
    assert_eq!(body.timezone, "Europe/Paris");
    assert_eq!(body.measuregrps[0].measures[0].value, 70005);
}

#[tokio::test]
async fn each_status_family_maps_to_its_kind_with_status_text_and_advice() {
    let server = MockServer::start().await;
    let client = plain(&server);
    let cases: &[(i64, ErrorKind, StatusFamily, bool, &str)] = &[
        (
            100,
            ErrorKind::Auth,
            StatusFamily::Authentication,
            false,
            "run the authorization again",
        ),
        (
            401,
            ErrorKind::Auth,
            StatusFamily::Authentication,
            false,
            "run the authorization again",
        ),
        (
            503,
            ErrorKind::InvalidParams,
            StatusFamily::InvalidParams,
            false,
            "check the parameters",
        ),
        (
            293,
            ErrorKind::InvalidParams,
            StatusFamily::InvalidParams,
            false,
            "check the parameters",
        ),
        (
            214,
            ErrorKind::Unauthorized,
            StatusFamily::Unauthorized,
            false,
            "scopes",
        ),
        (
            2555,
            ErrorKind::Unauthorized,
            StatusFamily::Unauthorized,
            false,
            "scopes",
        ),
        (
            2554,
            ErrorKind::NotImplemented,
            StatusFamily::NotImplemented,
            false,
            "action name",
        ),
        (
            601,
            ErrorKind::RateLimited,
            StatusFamily::TooManyRequests,
            true,
            "wait 60 s",
        ),
        (
            522,
            ErrorKind::ApiTimeout,
            StatusFamily::Timeout,
            true,
            "retry later",
        ),
        (
            524,
            ErrorKind::BadState,
            StatusFamily::BadState,
            false,
            "bad state",
        ),
        (
            2556,
            ErrorKind::ApiOther,
            StatusFamily::Error,
            false,
            "retry later",
        ),
        (
            4242,
            ErrorKind::ApiOther,
            StatusFamily::Unknown,
            false,
            "status 4242",
        ),
    ];
    for &(code, kind, fam, retryable, advice) in cases {
        server.reset().await;
        getmeas()
            .respond_with(status(code, "some detail"))
            .expect(1)
            .mount(&server)
            .await;
        let e = client.send(&GetMeas::new()).await.unwrap_err();
        assert_eq!(e.kind(), kind, "status {code}");
        assert_eq!(e.status(), Some(code));
        assert_eq!(e.family(), Some(fam), "status {code}");
        assert_eq!(e.api_error_text(), Some("some detail"));
        assert_eq!(e.is_retryable(), retryable, "status {code}");
        assert_eq!(e.service(), Some(Service::Measure));
        assert_eq!(e.action(), Some("getmeas"));
        let text = e.to_string();
        assert!(text.starts_with("/measure getmeas: "), "{text}");
        assert!(
            text.contains(&format!("status {code}: some detail")),
            "{text}"
        );
        assert!(text.contains(advice), "status {code}: {text}");
        server.verify().await;
    }
}

#[tokio::test]
async fn rate_limit_status_carries_wait_seconds() {
    let server = MockServer::start().await;
    getmeas()
        .respond_with(ResponseTemplate::new(200).set_body_string(
            r#"{"status":601,"body":{"wait_seconds":57},"error":"Same arguments in less than 10 seconds"}"#,
        ))
        .mount(&server)
        .await;
    let e = plain(&server).send(&GetMeas::new()).await.unwrap_err();
    assert!(e.is_rate_limited());
    assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(57)));
    assert!(e.to_string().contains("wait 57 s"), "{e}");
}

#[tokio::test]
async fn malformed_envelopes_are_decode_errors_naming_the_path() {
    let server = MockServer::start().await;
    let client = plain(&server);
    let cases: &[(&str, &str, &str)] = &[
        (r#"{"status":"zero","body":{}}"#, "status", "status"),
        // A bad field outside the records fails the whole body (a bad record is only
        // rejected: see below).
        (
            r#"{"status":0,"body":{"updatetime":true,"timezone":"Europe\/Paris","measuregrps":[],"more":0}}"#,
            "body.updatetime",
            "updatetime",
        ),
        (r#"{"body":{}}"#, "", "body"),
        ("<html>maintenance</html>", "", "maintenance"),
        // serde_path_to_error's name for "somewhere inside `body`".
        (
            r#"{"status":0,"body":{"updatetime":17"#,
            "body.?",
            "updatetime",
        ),
    ];
    for &(body, want_path, in_excerpt) in cases {
        server.reset().await;
        getmeas()
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .mount(&server)
            .await;
        let e = client.send(&GetMeas::new()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode, "{body}");
        assert_eq!(e.json_path(), Some(want_path), "{body}: {e}");
        assert!(
            e.body_excerpt().unwrap().contains(in_excerpt),
            "{body}: {:?}",
            e.body_excerpt()
        );
        assert!(!e.is_retryable());
        if !want_path.is_empty() {
            assert!(e.to_string().contains(&format!("at `{want_path}`")), "{e}");
        }
    }

    // One bad record is not a failed call: it is rejected with its path and raw text.
    server.reset().await;
    getmeas()
        .respond_with(ResponseTemplate::new(200).set_body_string(
            r#"{"status":0,"body":{"updatetime":1717430000,"timezone":"Europe\/Paris","measuregrps":[{"grpid":true}],"more":0}}"#,
        ))
        .mount(&server)
        .await;
    let body = client.send(&GetMeas::new()).await.unwrap();
    let rejected = body.measuregrps.rejected();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].path, "body.measuregrps[0]");
    assert!(rejected[0].error.contains("grpid"), "{}", rejected[0].error);
    assert_eq!(rejected[0].raw(), r#"{"grpid":true}"#);
}

#[tokio::test]
async fn body_before_status_still_reads_the_status_first() {
    let server = MockServer::start().await;
    getmeas()
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"body":{"wait_seconds":3},"status":601}"#),
        )
        .mount(&server)
        .await;
    let e = plain(&server).send(&GetMeas::new()).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.retry_after()),
        (
            ErrorKind::RateLimited,
            Some(std::time::Duration::from_secs(3))
        )
    );
}

#[tokio::test]
async fn http_errors_without_an_envelope_are_http_status_errors() {
    let server = MockServer::start().await;
    let client = plain(&server);
    getmeas()
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>bad gateway</html>"))
        .mount(&server)
        .await;
    let e = client.send(&GetMeas::new()).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.http_status()),
        (ErrorKind::HttpStatus, Some(502))
    );
    assert!(e.is_retryable());
    server.reset().await;
    getmeas()
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "7")
                .set_body_string("slow down"),
        )
        .mount(&server)
        .await;
    let e = client.send(&GetMeas::new()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(7)));
    server.reset().await;
    getmeas()
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let e = client.send(&GetMeas::new()).await.unwrap_err();
    assert_eq!((e.kind(), e.is_retryable()), (ErrorKind::HttpStatus, false));
    assert!(e.to_string().contains("check the base URL"), "{e}");
}

#[tokio::test]
async fn send_raw_returns_the_body_text_with_the_same_status_handling() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/user"))
        .and(bearer_token(ACCESS))
        .and(form_has("action", "getdevice"))
        .and(form_has("x", "1"))
        .respond_with(ok(r#"{"devices":[{"type":"Scale","battery":"unknown"}]}"#))
        .expect(1)
        .mount(&server)
        .await;
    let client = plain(&server);
    let mut form = withings_model::Form::new();
    form.push("action", "ignored").push("x", "1");
    let raw = client
        .send_raw(Service::User, "getdevice", &form)
        .await
        .unwrap();
    assert_eq!(
        raw.as_str(),
        r#"{"devices":[{"type":"Scale","battery":"unknown"}]}"#
    );
    let v: serde_json::Value = raw.parse().unwrap();
    assert_eq!(v["devices"][0]["battery"], "unknown");
    let e = raw.parse::<Vec<i64>>().unwrap_err();
    assert_eq!((e.kind(), e.json_path()), (ErrorKind::Decode, Some("body")));
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(
        form_of(&reqs[0])
            .iter()
            .filter(|(k, _)| k == "action")
            .count(),
        1
    );

    server.reset().await;
    Mock::given(path("/v2/user"))
        .respond_with(status(2554, "unknown action"))
        .mount(&server)
        .await;
    let e = client
        .send_raw(Service::User, "nope", &withings_model::Form::new())
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.action()),
        (ErrorKind::NotImplemented, Some("nope"))
    );
}
