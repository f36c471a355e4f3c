//! No secret in any `Debug`, `Display`, error message or log line.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::SignedDuration;
use wiremock::matchers::bearer_token;
use wiremock::{MockServer, ResponseTemplate};
use withings_http::{
    AccessToken, AuthorizationCode, CallbackUrl, Client, ClientSecret, CsrfState, Error, ErrorKind,
    FileTokenStore, ManualClock, MemoryTokenStore, RateLimiter, RefreshToken, Region, RetryPolicy,
    Scope, Service, StatusFamily, SystemClock,
};
use withings_model::measure::GetMeas;

use crate::common::*;

const STATE: &str = "5ta7e5ta7e5ta7e5ta7e5ta7e5ta7e00";
const CODE: &str = "C0DE-c0de-C0DE-c0de";

fn assert_clean(what: &str, text: &str, extra: &[&str]) {
    for s in ALL_SECRETS.iter().chain(extra) {
        assert!(!text.contains(s), "{what} leaks {s:?}: {text}");
    }
}

/// Display, Debug and the whole source chain.
fn error_text(e: &Error) -> String {
    let mut t = format!("{e} | {e:?}");
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        let _ = write!(t, " | {s} | {s:?}");
        src = s.source();
    }
    t
}

#[tokio::test]
async fn every_public_type_formats_without_secrets() {
    let server = MockServer::start().await;
    requesttoken()
        .respond_with(ok(&token_body(NEW_ACCESS, NEW_REFRESH, Some(USERID))))
        .mount(&server)
        .await;
    getmeas()
        .respond_with(ok(GETMEAS_BODY))
        .mount(&server)
        .await;
    let store = Arc::new(MemoryTokenStore::with_tokens(old_tokens()));
    let clock = ManualClock::new(t0() + SignedDuration::from_hours(4));
    let builder = builder(&server, &clock).token_store(store.clone());
    let builder_debug = format!("{builder:?}");
    let client = builder.build().unwrap();
    client.send(&GetMeas::new()).await.unwrap(); // holds the refreshed tokens now
    let pending = client.authorize(&[Scope::UserMetrics]).unwrap();
    let state = pending.state().expose_secret().to_owned();
    let raw = client
        .send_raw(
            Service::OAuth2,
            "requesttoken",
            &withings_model::Form::new(),
        )
        .await
        .unwrap();

    let items: Vec<(&str, String)> = vec![
        ("ClientBuilder", builder_debug),
        ("Client", format!("{client:?}")),
        ("AppCredentials", format!("{:?}", credentials())),
        (
            "ClientSecret",
            format!("{:?}", ClientSecret::new(CLIENT_SECRET)),
        ),
        ("AccessToken", format!("{:?}", AccessToken::new(ACCESS))),
        ("RefreshToken", format!("{:?}", RefreshToken::new(REFRESH))),
        ("TokenSet", format!("{:?}", old_tokens())),
        (
            "client.tokens()",
            format!("{:?}", client.tokens().await.unwrap()),
        ),
        ("MemoryTokenStore", format!("{store:?}")),
        (
            "FileTokenStore",
            format!("{:?}", FileTokenStore::new("/tmp/token.json")),
        ),
        ("PendingAuthorization", format!("{pending:?}")),
        ("CsrfState", format!("{:?}", CsrfState::new(STATE))),
        (
            "AuthorizationCode",
            format!("{:?}", AuthorizationCode::new(CODE)),
        ),
        ("RawBody", format!("{raw:?}")),
        (
            "RateLimiter",
            format!("{:?}", RateLimiter::withings_default()),
        ),
        ("RetryPolicy", format!("{:?}", RetryPolicy::default())),
        ("ManualClock", format!("{clock:?}")),
        ("SystemClock", format!("{SystemClock:?}")),
        ("Region", format!("{:?}", Region::Us)),
        (
            "Scope",
            format!("{:?} {}", Scope::UserActivity, Scope::UserActivity),
        ),
        (
            "CallbackUrl",
            format!(
                "{0:?} {0}",
                CallbackUrl::parse("https://example.com/cb").unwrap()
            ),
        ),
        ("ErrorKind", format!("{:?}", ErrorKind::Auth)),
        ("StatusFamily", format!("{:?}", StatusFamily::InvalidParams)),
    ];
    for (what, text) in &items {
        assert_clean(what, text, &[&state, STATE, CODE]);
        assert!(!text.is_empty());
    }
    assert!(
        items
            .iter()
            .any(|(w, t)| *w == "PendingAuthorization" && t.contains("authorize2"))
    );
}

#[tokio::test]
async fn every_error_displays_without_secrets() {
    let server = MockServer::start().await;
    let mut errors: Vec<(&str, Error)> = Vec::new();
    let clock = ManualClock::new(t0());
    let client = builder(&server, &clock)
        .token_store(MemoryTokenStore::with_tokens(old_tokens()))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();

    // Withings' error text echoing the bearer token and the client secret.
    getmeas()
        .and(bearer_token(ACCESS))
        .respond_with(status(
            342,
            &format!("bad Bearer {ACCESS} with client_secret={CLIENT_SECRET}"),
        ))
        .mount(&server)
        .await;
    errors.push((
        "status with echoed secrets",
        client.send(&GetMeas::new()).await.unwrap_err(),
    ));

    // A token response that does not parse: the tokens are in the body and in serde's message.
    server.reset().await;
    requesttoken()
        .respond_with(ResponseTemplate::new(200).set_body_string(format!(
            r#"{{"status":0,"body":{{"access_token":"{NEW_ACCESS}","refresh_token":"{NEW_REFRESH}","expires_in":"{NEW_REFRESH}"}}}}"#
        )))
        .mount(&server)
        .await;
    errors.push((
        "undecodable token body",
        client.refresh().await.unwrap_err(),
    ));

    // A refused refresh, an expired code, a state mismatch, a refused redirect URI.
    server.reset().await;
    requesttoken()
        .and(form_has("grant_type", "refresh_token"))
        .respond_with(status(503, &format!("invalid refresh_token {REFRESH}")))
        .mount(&server)
        .await;
    requesttoken()
        .and(form_has("grant_type", "authorization_code"))
        .respond_with(status(503, &format!("Invalid Params: invalid code {CODE}")))
        .mount(&server)
        .await;
    errors.push(("refused refresh", client.refresh().await.unwrap_err()));
    errors.push((
        "expired code",
        client
            .exchange_code(&AuthorizationCode::new(CODE))
            .await
            .unwrap_err(),
    ));
    let pending = client.authorize(&[Scope::UserMetrics]).unwrap();
    errors.push((
        "state mismatch",
        pending
            .code_from(&format!("https://example.com/cb?code={CODE}&state={STATE}"))
            .unwrap_err(),
    ));
    errors.push((
        "redirect",
        CallbackUrl::parse(&format!("http://localhost/cb?code={CODE}"))
            .unwrap_err()
            .into(),
    ));
    errors.push((
        "declined",
        pending
            .code_from(&format!("https://x.example/cb?error=denied&state={STATE}"))
            .unwrap_err(),
    ));

    // Transport, timeout, HTTP status, store failure.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dead = Client::builder()
        .base_url(format!("http://127.0.0.1:{closed}"))
        .access_token(ACCESS.into())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    errors.push(("transport", dead.send(&GetMeas::new()).await.unwrap_err()));
    server.reset().await;
    getmeas()
        .respond_with(ok(GETMEAS_BODY).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let slow = Client::builder()
        .base_url(server.uri())
        .access_token(ACCESS.into())
        .timeout(Duration::from_millis(100))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    errors.push(("timeout", slow.send(&GetMeas::new()).await.unwrap_err()));
    server.reset().await;
    getmeas()
        .respond_with(ResponseTemplate::new(500).set_body_string(format!("oops {ACCESS}")))
        .mount(&server)
        .await;
    errors.push(("http 500", slow.send(&GetMeas::new()).await.unwrap_err()));
    let dir = TempDir::new("secrets");
    std::fs::write(
        dir.path().join("t.json"),
        format!(r#"{{"access_token":"{ACCESS}"#),
    )
    .unwrap();
    let store = FileTokenStore::new(dir.path().join("t.json"));
    errors.push((
        "corrupt store",
        withings_http::TokenStore::load(&store).await.unwrap_err(),
    ));
    errors.push((
        "config",
        Client::builder()
            .base_url("http://example.com")
            .build()
            .unwrap_err(),
    ));

    for (what, e) in &errors {
        assert_clean(
            what,
            &error_text(e),
            &[pending.state().expose_secret(), STATE, CODE],
        );
    }
    let kinds: Vec<_> = errors.iter().map(|(_, e)| e.kind()).collect();
    assert_eq!(
        kinds,
        [
            ErrorKind::InvalidParams,
            ErrorKind::Decode,
            ErrorKind::Auth,
            ErrorKind::CodeExpired,
            ErrorKind::InvalidState,
            ErrorKind::CallbackUrl(withings_http::UrlRule::NotHttps),
            ErrorKind::AccessDenied,
            ErrorKind::Transport,
            ErrorKind::Timeout,
            ErrorKind::HttpStatus,
            ErrorKind::TokenStore,
            ErrorKind::Config,
        ]
    );
    // The decode error still says where.
    assert_eq!(errors[1].1.json_path(), Some("body.expires_in"));
}

/// A minimal subscriber that writes every span field and event into a string.
struct Capture {
    out: Arc<Mutex<String>>,
    next: AtomicU64,
}

struct Visitor<'a>(&'a mut String);

impl tracing::field::Visit for Visitor<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut out = self.out.lock().unwrap();
        let _ = write!(out, "\nspan {}", span.metadata().name());
        span.record(&mut Visitor(&mut out));
        tracing::span::Id::from_u64(self.next.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut out = self.out.lock().unwrap();
        out.push_str("\nrecord");
        values.record(&mut Visitor(&mut out));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut out = self.out.lock().unwrap();
        let _ = write!(out, "\nevent {}", event.metadata().target());
        event.record(&mut Visitor(&mut out));
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test]
async fn log_lines_carry_service_action_attempt_status_and_no_secret() {
    let out = Arc::new(Mutex::new(String::new()));
    // tracing caches per-callsite interest. If another test thread registers the span's
    // callsite while this subscriber is being installed, "no interest" can stick. So make
    // sure the callsites are registered first (one call before installing), then recompute.
    let warm = MockServer::start().await;
    getmeas().respond_with(ok(GETMEAS_BODY)).mount(&warm).await;
    let warm_client = builder(&warm, &ManualClock::new(t0()))
        .access_token(ACCESS.into())
        .build()
        .unwrap();
    warm_client.send(&GetMeas::new()).await.unwrap();
    let _guard = tracing::subscriber::set_default(Capture {
        out: out.clone(),
        next: AtomicU64::new(0),
    });
    tracing::callsite::rebuild_interest_cache();
    let server = MockServer::start().await;
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
        .respond_with(ok(GETMEAS_BODY))
        .mount(&server)
        .await;
    let client = builder(&server, &ManualClock::new(t0()))
        .token_store(MemoryTokenStore::with_tokens(old_tokens()))
        .build()
        .unwrap();
    client.send(&GetMeas::new()).await.unwrap();
    let log = out.lock().unwrap().clone();
    assert_clean("log", &log, &[]);
    assert!(
        log.contains("span withings.call service=\"/measure\" action=\"getmeas\""),
        "{log}"
    );
    assert!(
        log.contains("span withings.call service=\"/v2/oauth2\" action=\"requesttoken\""),
        "{log}"
    );
    assert!(log.contains("record status=401"), "{log}");
    assert!(log.contains("record attempt=2"), "{log}");
    assert!(
        log.contains("record status=0") && log.contains("latency_ms="),
        "{log}"
    );
    assert!(log.contains("refreshed and saved"), "{log}");
}
